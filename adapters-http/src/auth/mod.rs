//! Authentication: who sent a request, as an [`order_app::Principal`].
//!
//! The routes ask an [`Authenticator`] — a trait, so that a service embedding the routes can
//! bring its own identity provider (a session it already verified, an API gateway's claims,
//! another token issuer). The default implementation, [`CognitoAuthenticator`], verifies
//! Cognito JSON Web Tokens (RFC 7519) against the pool's JSON Web Key Set (RFC 7517).
//!
//! ## Layout
//! - [`Authenticator`] and [`AuthError`]: the port the routes call.
//! - [`jwks`]: JSON Web Key Sets: where they come from, which of their keys are usable, and the
//!   rate-limited re-fetch on an unknown `kid`.
//! - `verified`: the bounded memory of tokens that already passed verification.
//! - [`cognito`]: Cognito's claims mapped to principals, and the [`CognitoAuthenticator`].
//! - `dev` (feature `dev-issuer`): `DevIssuer`, a key pair made at start-up that mints
//!   tokens for any principal — development hosts and tests only.

use axum::http::request::Parts;
use order_app::Principal;

pub mod cognito;
#[cfg(feature = "dev-issuer")]
mod dev;
pub mod jwks;
mod verified;

pub use cognito::{CognitoAuthenticator, CognitoConfig};
#[cfg(feature = "dev-issuer")]
pub use dev::{DevIssuer, DevIssuerError};
pub use jwks::{Jwk, Jwks, JwksSource};
pub use verified::{VERIFIED_TOKEN_CAPACITY, VERIFIED_TOKEN_MAX_AGE};

/// Any error, boxed: the cause of an [`AuthError`], for the log.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a request was not authenticated. Logged with its cause; the client sees only a 401
/// ("authentication required" or "invalid or expired") or a 503, never the cause.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request carries no credentials this authenticator reads (for the Cognito
    /// authenticator: no `Authorization: Bearer` header). Routes that serve guests serve one;
    /// every other route answers 401.
    #[error("no credentials")]
    Missing,
    /// Credentials were sent and are not acceptable: answered 401.
    #[error("invalid credentials: {0}")]
    Invalid(BoxError),
    /// The credentials cannot be checked right now (e.g. the key set cannot be fetched):
    /// answered 503 with `Retry-After`.
    #[error("credentials cannot be verified now: {0}")]
    Unavailable(BoxError),
}

impl AuthError {
    /// [`AuthError::Invalid`] with `cause`.
    pub fn invalid(cause: impl Into<BoxError>) -> Self {
        Self::Invalid(cause.into())
    }

    /// [`AuthError::Unavailable`] with `cause`.
    pub fn unavailable(cause: impl Into<BoxError>) -> Self {
        Self::Unavailable(cause.into())
    }
}

/// Who sent a request: the port between the routes and an identity provider.
///
/// The routes call it once per request that needs a principal (the guest checkout calls it
/// too, and serves a guest on [`AuthError::Missing`]). An implementation reads what it needs
/// from the request's head — a header, a cookie, an extension that the embedder's own
/// middleware inserted — and never the body. Hold it as `Arc<dyn Authenticator>`.
///
/// An embedder whose own layer has already identified the caller maps that identity:
///
/// ```
/// use adapters_http::auth::{AuthError, Authenticator};
/// use axum::http::request::Parts;
/// use order_app::Principal;
/// use order_domain::TenantId;
///
/// /// What the embedder's session layer puts in the request's extensions.
/// #[derive(Clone)]
/// struct Session { tenant: TenantId }
///
/// struct FromSession;
///
/// #[async_trait::async_trait]
/// impl Authenticator for FromSession {
///     async fn authenticate(&self, request: &Parts) -> Result<Principal, AuthError> {
///         let session = request.extensions.get::<Session>().ok_or(AuthError::Missing)?;
///         Ok(Principal::Customer { tenant_id: session.tenant.clone() })
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync {
    /// The principal that sent the request whose head is `request`.
    ///
    /// # Errors
    /// - MUST return [`AuthError::Missing`] when the request carries no credentials at all, so
    ///   that the guest checkout can serve a guest;
    /// - [`AuthError::Invalid`] for credentials that are not acceptable (expired, forged, for
    ///   another audience, mapping to no principal);
    /// - [`AuthError::Unavailable`] when they cannot be checked now; the client is asked to retry.
    async fn authenticate(&self, request: &Parts) -> Result<Principal, AuthError>;
}
