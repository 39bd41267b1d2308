//! The default [`Authenticator`]: Cognito JSON Web Tokens (RFC 7519) in an
//! `Authorization: Bearer` header (RFC 6750), signed with RS256 by a key of the pool's JWKS,
//! mapped to principals by their Cognito claims.
//!
//! Only RS256 is accepted. The algorithm is checked against the header before any key is
//! chosen, so `alg: none`, HS256 signed with the public key, and every other algorithm are
//! refused (RFC 8725 §3.1). The issuer must be the pool; an id token's `aud` or an access
//! token's `client_id` must be an accepted app client; `exp` and `nbf` are checked with a small
//! leeway. Then the claims decide the principal, first match wins:
//!
//! 1. an access token of a service's app client (machine to machine) → that service;
//! 2. membership of a service group (`cognito:groups`) → that service;
//! 3. membership of the staff group → staff;
//! 4. otherwise the tenant claim (`custom:tenant_id`) → that tenant's customer; no valid
//!    tenant → refused.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use headers::authorization::Bearer;
use headers::{Authorization, HeaderMapExt};
use jsonwebtoken::{Algorithm, Validation};
use order_app::{Principal, Service};
use order_domain::TenantId;
use serde::Deserialize;

use super::jwks::{JwksSource, KeySet};
use super::verified::{self, Remembered, VERIFIED_TOKEN_CAPACITY, VERIFIED_TOKEN_MAX_AGE, Verified, VerifiedTokens};
use super::{AuthError, Authenticator};

/// What a Cognito token must say to be accepted, and how its claims map to principals.
#[derive(Debug, Clone)]
pub struct CognitoConfig {
    /// The only accepted `iss` (Cognito: `https://cognito-idp.{region}.amazonaws.com/{poolId}`).
    pub issuer: String,
    /// Accepted app client ids: an id token's `aud` or an access token's `client_id`.
    pub client_ids: HashSet<String>,
    /// The claim carrying a customer's tenant, e.g. `custom:tenant_id`.
    pub tenant_claim: String,
    /// The Cognito group whose members are staff.
    pub staff_group: String,
    /// Cognito groups that make a token a named service.
    pub service_groups: HashMap<String, Service>,
    /// App client ids that are named services (machine-to-machine access tokens).
    pub service_clients: HashMap<String, Service>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// The shortest time between two fetches of the key set.
    pub refetch_interval: Duration,
}

impl CognitoConfig {
    /// A configuration for `issuer` and one client id, with the default claim and group names:
    /// tenant in `custom:tenant_id`, staff in group `staff`, services in groups `payment-service`,
    /// `provisioning-service` and `cart-service`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            client_ids: HashSet::from([client_id.into()]),
            tenant_claim: "custom:tenant_id".into(),
            staff_group: "staff".into(),
            service_groups: HashMap::from([
                ("payment-service".into(), Service::Payment),
                ("provisioning-service".into(), Service::Provisioning),
                ("cart-service".into(), Service::Cart),
            ]),
            service_clients: HashMap::new(),
            leeway_secs: 30,
            refetch_interval: Duration::from_secs(30),
        }
    }
}

/// Verifies Cognito bearer tokens against a JWKS and maps them to principals; remembers the
/// tokens it verified (see [`VERIFIED_TOKEN_MAX_AGE`]).
pub struct CognitoAuthenticator {
    config: CognitoConfig,
    keys: KeySet,
    verified: Mutex<VerifiedTokens>,
    /// Signatures checked so far (tests count the ones the remembered tokens spare).
    signature_checks: AtomicU64,
}

impl std::fmt::Debug for CognitoAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoAuthenticator").field("config", &self.config).finish_non_exhaustive()
    }
}

/// The claims this server reads. Unknown claims are ignored (Cognito adds many).
#[derive(Debug, Deserialize)]
struct Claims {
    /// Checked by `jsonwebtoken`; kept so a remembered token is checked again on every use.
    exp: u64,
    nbf: Option<u64>,
    token_use: Option<String>,
    aud: Option<Audience>,
    client_id: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
    #[serde(flatten)]
    other: HashMap<String, serde_json::Value>,
}

/// `aud`: one string or an array of them (RFC 7519 §4.1.3).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains_any(&self, accepted: &HashSet<String>) -> bool {
        match self {
            Self::One(one) => accepted.contains(one),
            Self::Many(many) => many.iter().any(|aud| accepted.contains(aud)),
        }
    }
}

#[async_trait::async_trait]
impl Authenticator for CognitoAuthenticator {
    /// Verifies the request's `Authorization: Bearer` token. A missing header, or one with
    /// another scheme, is [`AuthError::Missing`].
    async fn authenticate(&self, request: &Parts) -> Result<Principal, AuthError> {
        let Some(Authorization(bearer)) = request.headers.typed_get::<Authorization<Bearer>>() else {
            return Err(AuthError::Missing);
        };
        self.verify_token(bearer.token().trim()).await
    }
}

impl CognitoAuthenticator {
    /// An authenticator with keys from `source`.
    pub fn new(config: CognitoConfig, source: JwksSource) -> Self {
        let keys = KeySet::new(source, config.refetch_interval);
        Self {
            config,
            keys,
            verified: Mutex::new(VerifiedTokens::new(VERIFIED_TOKEN_CAPACITY, VERIFIED_TOKEN_MAX_AGE)),
            signature_checks: AtomicU64::new(0),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CognitoConfig {
        &self.config
    }

    /// Verifies the bearer `token` itself and maps it to a principal.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for any token that is not an RS256 JWT signed by a known key with
    /// the right issuer, client, `token_use` and times, or that maps to no principal;
    /// [`AuthError::Unavailable`] when the key set cannot be read.
    pub async fn verify_token(&self, token: &str) -> Result<Principal, AuthError> {
        self.verify_token_at(token, jsonwebtoken::get_current_timestamp()).await
    }

    /// [`Self::verify_token`] with a remembered token judged at `now` (seconds since the
    /// epoch); a token verified afresh is judged by `jsonwebtoken` at the system time.
    async fn verify_token_at(&self, token: &str, now: u64) -> Result<Principal, AuthError> {
        let digest = verified::digest(token);
        let leeway = self.config.leeway_secs;
        match self.lock_verified().get(&digest, now, leeway) {
            Remembered::Valid(principal) => return Ok(principal),
            Remembered::OutOfTime => return Err(AuthError::invalid("token expired or not yet valid")),
            Remembered::Unknown => {}
        }
        let verified = self.verify(token).await?;
        let principal = verified.principal.clone();
        self.lock_verified().insert(digest, verified, now, leeway);
        Ok(principal)
    }

    /// Checks the signature and claims of `token`, without the remembered tokens.
    async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(AuthError::invalid)?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| AuthError::invalid("no kid"))?;
        let key = self.keys.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway_secs;
        // Cognito access tokens carry `client_id`, not `aud`: both are checked in `principal`.
        validation.validate_aud = false;
        self.signature_checks.fetch_add(1, Ordering::Relaxed);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(AuthError::invalid)?;
        let (exp, nbf) = (data.claims.exp, data.claims.nbf);
        let principal = self.principal(data.claims)?;
        Ok(Verified { principal, exp, nbf, checked_at: Instant::now() })
    }

    /// The principal verified `claims` name (the order is in the module's documentation).
    fn principal(&self, claims: Claims) -> Result<Principal, AuthError> {
        let client = match claims.token_use.as_deref() {
            Some("id") => {
                let aud = claims.aud.ok_or_else(|| AuthError::invalid("id token without aud"))?;
                if !aud.contains_any(&self.config.client_ids) {
                    return Err(AuthError::invalid("audience not accepted"));
                }
                None
            }
            Some("access") => {
                let client = claims.client_id.ok_or_else(|| AuthError::invalid("access token without client_id"))?;
                if !self.config.client_ids.contains(&client) && !self.config.service_clients.contains_key(&client) {
                    return Err(AuthError::invalid("client not accepted"));
                }
                Some(client)
            }
            _ => return Err(AuthError::invalid("token_use must be id or access")),
        };
        if let Some(service) = client.as_ref().and_then(|client| self.config.service_clients.get(client)) {
            return Ok(Principal::Service(*service));
        }
        if let Some(service) = claims.groups.iter().find_map(|group| self.config.service_groups.get(group)) {
            return Ok(Principal::Service(*service));
        }
        if claims.groups.contains(&self.config.staff_group) {
            return Ok(Principal::Staff);
        }
        let tenant = claims
            .other
            .get(&self.config.tenant_claim)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| AuthError::invalid("no tenant claim"))?;
        let tenant_id = TenantId::parse(tenant).map_err(|_| AuthError::invalid("tenant claim is not a tenant id"))?;
        Ok(Principal::Customer { tenant_id })
    }

    fn lock_verified(&self) -> MutexGuard<'_, VerifiedTokens> {
        // A panic mid-update leaves at worst a missing entry.
        self.verified.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(all(test, feature = "dev-issuer"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::LazyLock;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::auth::DevIssuer;
    use crate::dto::DevTokenRequest;

    static ISSUER: LazyLock<DevIssuer> =
        LazyLock::new(|| DevIssuer::generate("http://issuer.test/dev", "bbws-test-client").unwrap());

    fn customer_token() -> String {
        let request =
            DevTokenRequest { role: "customer".into(), tenant_id: Some("tenant_acme".into()), ttl_secs: Some(600) };
        ISSUER.mint(&request).unwrap().access_token
    }

    fn checks(auth: &CognitoAuthenticator) -> u64 {
        auth.signature_checks.load(Ordering::Relaxed)
    }

    fn request(authorization: Option<&str>) -> Parts {
        let mut builder = axum::http::Request::builder();
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[tokio::test]
    async fn the_bearer_token_is_read_from_the_authorization_header() {
        let auth = ISSUER.authenticator();
        let token = customer_token();
        let customer = Principal::Customer { tenant_id: TenantId::parse("tenant_acme").unwrap() };
        assert_eq!(auth.authenticate(&request(Some(&format!("Bearer {token}")))).await.unwrap(), customer);
        assert_eq!(auth.authenticate(&request(Some(&format!("bearer  {token}")))).await.unwrap(), customer);
        assert!(matches!(auth.authenticate(&request(None)).await, Err(AuthError::Missing)));
        assert!(matches!(auth.authenticate(&request(Some("Basic YTpi"))).await, Err(AuthError::Missing)));
        assert!(matches!(auth.authenticate(&request(Some("Bearer nope"))).await, Err(AuthError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_verified_token_is_accepted_again_without_checking_its_signature() {
        let auth = ISSUER.authenticator();
        let token = customer_token();
        let first = auth.verify_token(&token).await.unwrap();
        assert_eq!(checks(&auth), 1);
        for _ in 0..5 {
            assert_eq!(auth.verify_token(&token).await.unwrap(), first);
        }
        assert_eq!(checks(&auth), 1, "remembered");
        assert_eq!(first, Principal::Customer { tenant_id: TenantId::parse("tenant_acme").unwrap() });
    }

    #[tokio::test]
    async fn a_remembered_token_is_refused_once_it_expires() {
        let auth = ISSUER.authenticator();
        let token = customer_token();
        let now = jsonwebtoken::get_current_timestamp();
        let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap();
        let exp = serde_json::from_slice::<serde_json::Value>(&payload).unwrap()["exp"].as_u64().unwrap();
        auth.verify_token_at(&token, now).await.unwrap();
        let after_expiry = exp + auth.config().leeway_secs + 1;
        assert!(matches!(auth.verify_token_at(&token, after_expiry).await, Err(AuthError::Invalid(_))));
        // The expired entry is forgotten: the token's next use is verified afresh (and, at the
        // real time, refused by the signature check's own `exp` test).
        assert_eq!(auth.lock_verified().len(), 0);
        // Within the leeway it was still valid.
        let auth = ISSUER.authenticator();
        auth.verify_token_at(&token, now).await.unwrap();
        assert!(auth.verify_token_at(&token, exp + auth.config().leeway_secs).await.is_ok());
    }

    #[tokio::test]
    async fn a_token_with_one_byte_changed_is_refused_after_the_original_was_remembered() {
        let auth = ISSUER.authenticator();
        let token = customer_token();
        auth.verify_token(&token).await.unwrap();
        let (head, signature) = token.rsplit_once('.').unwrap();
        let mut bytes = signature.as_bytes().to_vec();
        bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
        let tampered = format!("{head}.{}", String::from_utf8(bytes).unwrap());
        assert!(auth.verify_token(&tampered).await.is_err());
        assert!(auth.verify_token(&tampered).await.is_err(), "refusals are not remembered");
        assert_eq!(checks(&auth), 3);
        assert!(auth.verify_token(&token).await.is_ok());
    }
}
