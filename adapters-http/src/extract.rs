//! Extractors: what a handler needs from a request, parsed into order-app and domain types, with
//! every client mistake rejected as `application/problem+json` (RFC 9457).
//!
//! | extractor | reads | rejection |
//! |---|---|---|
//! | [`Authenticated`] | the request head, through the state's [`Authenticator`] | 401, or 503 when credentials cannot be checked now |
//! | `Option<Authenticated>` | the same; `None` when no credentials were sent | 401 for credentials that are sent and invalid |
//! | [`IfMatch`] | `If-Match` (RFC 9110 §13.1.1), typed by the `headers` crate | 400 when it is not `*` or a list of entity-tags (`1`, unquoted, is not) |
//! | `Option<IdempotencyKey>` | `Idempotency-Key` ([`IdempotencyKey`], a typed header) | 400 when it is not 1 to 255 visible characters |
//! | [`JsonBody<T>`] | an `application/json` body into `T` (bodies refuse unknown fields) | 413 too large, 415 not JSON, 400 malformed, 422 not a `T` |

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{
    ConnectInfo, FromRef, FromRequest, FromRequestParts, OptionalFromRequestParts, OriginalUri, Path, Query, Request,
};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use headers::{ETag, Header, HeaderMapExt};
use order_app::Principal;
use order_app::usecases::update::VersionPrecondition;
use order_domain::{OrderId, TenantId};
use serde::de::DeserializeOwned;
use tracing::{Span, info, warn};

use crate::auth::{AuthError, Authenticator};
use crate::problem::Problem;

// ---- authentication -------------------------------------------------------------------------

/// The principal that sent the request, as the state's [`Authenticator`] says; recorded in the
/// request's span as `principal`.
///
/// Works with any state from which an `Arc<dyn Authenticator>` can be taken ([`FromRef`]), so an
/// embedder's own handlers can use it too. As `Option<Authenticated>` it is `None` when the
/// request carries no credentials ([`AuthError::Missing`]) and still refuses invalid ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated(pub Principal);

async fn authenticate<S>(parts: &Parts, state: &S) -> Result<Principal, AuthError>
where
    Arc<dyn Authenticator>: FromRef<S>,
{
    let authenticator = Arc::<dyn Authenticator>::from_ref(state);
    let principal = authenticator.authenticate(parts).await?;
    Span::current().record("principal", tracing::field::display(&principal));
    Ok(principal)
}

/// The answer to a request that could not be authenticated; the cause goes to the log only.
fn refused(error: &AuthError) -> Problem {
    match error {
        AuthError::Missing => Problem::unauthorized("Send a bearer token."),
        AuthError::Invalid(_) => {
            info!(%error, "credentials refused");
            Problem::unauthorized("The token is invalid or expired.")
        }
        AuthError::Unavailable(_) => {
            warn!(%error, "cannot verify credentials");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
                "Tokens cannot be verified right now; try again shortly.",
            )
            .retry_after(Duration::from_secs(5))
        }
    }
}

impl<S> FromRequestParts<S> for Authenticated
where
    Arc<dyn Authenticator>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await.map(Self).map_err(|error| refused(&error))
    }
}

impl<S> OptionalFromRequestParts<S> for Authenticated
where
    Arc<dyn Authenticator>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        match authenticate(parts, state).await {
            Ok(principal) => Ok(Some(Self(principal))),
            Err(AuthError::Missing) => Ok(None),
            Err(error) => Err(refused(&error)),
        }
    }
}

// ---- If-Match -------------------------------------------------------------------------------

/// The entity-tag of an order at `version`: `"<version>"`, a strong tag (RFC 9110 §8.8.3).
pub fn version_tag(version: u64) -> Option<ETag> {
    format!("\"{version}\"").parse().ok()
}

/// The request's `If-Match` (RFC 9110 §13.1.1) as a precondition on an order's version: absent
/// or `*`, any version passes; otherwise the order's entity-tag ([`version_tag`]) must equal one
/// of those listed under the strong comparison (RFC 9110 §8.8.3.2), so weak tags, and tags that
/// are not this server's, never pass and the change is answered 412.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IfMatch(pub Option<headers::IfMatch>);

impl VersionPrecondition for IfMatch {
    fn admits(&self, version: u64) -> bool {
        match &self.0 {
            None => true,
            Some(if_match) => version_tag(version).is_some_and(|tag| if_match.precondition_passes(&tag)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let invalid =
            || Problem::bad_request("invalid-if-match", "If-Match must be * or a list of entity-tags such as \"3\".");
        let if_match = parts.headers.typed_try_get::<headers::IfMatch>().map_err(|_| invalid())?;
        // `headers` keeps a list as it came and skips members that are not entity-tags when it
        // compares, so `If-Match: 1` would silently never match (412). A field that is not
        // `If-Match = "*" / #entity-tag` (RFC 9110 §13.1.1) is the client's syntax error: 400.
        if if_match.as_ref().is_some_and(|if_match| !if_match.is_any())
            && !parts.headers.get_all(axum::http::header::IF_MATCH).iter().all(lists_entity_tags)
        {
            return Err(invalid());
        }
        Ok(Self(if_match))
    }
}

/// Whether a field line is a list of entity-tags (RFC 9110 §8.8.3, lists as §5.6.1 says: empty
/// members ignored, at least one member). Each member is parsed by `headers`' [`ETag`]; only the
/// list is split here, at commas outside the quoted opaque part.
fn lists_entity_tags(value: &HeaderValue) -> bool {
    let Ok(text) = value.to_str() else { return false };
    let mut members = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (index, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                members.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    members.push(&text[start..]);
    let mut members = members.into_iter().map(str::trim).filter(|member| !member.is_empty()).peekable();
    members.peek().is_some() && members.all(|member| member.parse::<ETag>().is_ok())
}

// ---- Idempotency-Key ------------------------------------------------------------------------

static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The `Idempotency-Key` request header (IETF draft `draft-ietf-httpapi-idempotency-key-header`):
/// a client's name for one logical request, so that a retry is answered with the first answer.
/// One value of 1 to 255 visible ASCII characters, surrounding whitespace ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Header for IdempotencyKey {
    fn name() -> &'static HeaderName {
        &IDEMPOTENCY_KEY
    }

    fn decode<'i, I: Iterator<Item = &'i HeaderValue>>(values: &mut I) -> Result<Self, headers::Error> {
        let value = values.next().ok_or_else(headers::Error::invalid)?;
        if values.next().is_some() {
            return Err(headers::Error::invalid());
        }
        // `to_str` accepts visible ASCII (and spaces and tabs) only.
        let key = value.to_str().map_err(|_| headers::Error::invalid())?.trim();
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(headers::Error::invalid());
        }
        Ok(Self(key.to_owned()))
    }

    fn encode<E: Extend<HeaderValue>>(&self, values: &mut E) {
        if let Ok(value) = HeaderValue::from_str(&self.0) {
            values.extend(std::iter::once(value));
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        parts.headers.typed_try_get::<Self>().map_err(|_| {
            Problem::bad_request("invalid-idempotency-key", "Idempotency-Key must be 1 to 255 visible characters.")
        })
    }
}

// ---- bodies ---------------------------------------------------------------------------------

/// An `application/json` body (RFC 8259) deserialized into `T`. The request types of
/// [`dto`](crate::dto) refuse unknown fields, so a misspelt field is a 422, never ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::JsonDataError(error)) => {
                // The cause names the client's own field and what was expected of it.
                let detail = std::error::Error::source(&error).map_or_else(|| error.body_text(), ToString::to_string);
                Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", "Invalid body", detail))
            }
            Err(JsonRejection::JsonSyntaxError(_)) => {
                Err(Problem::bad_request("malformed-json", "The body is not well-formed JSON."))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(unsupported_media_type("application/json")),
            Err(JsonRejection::BytesRejection(rejection)) => Err(unreadable(&rejection)),
            Err(_) => Err(Problem::bad_request("unreadable-body", "The request body could not be read.")),
        }
    }
}

/// 413 for a body over the limit, 400 for any other failure to read it.
pub(crate) fn unreadable(rejection: &BytesRejection) -> Problem {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            "The request body is larger than this server accepts.",
        )
    } else {
        Problem::bad_request("unreadable-body", "The request body could not be read.")
    }
}

/// 415, naming what to send.
pub(crate) fn unsupported_media_type(expected: &str) -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        format!("Send the body as {expected}."),
    )
}

// ---- the routes' own parameters -------------------------------------------------------------

/// Query parameters into `T`; 400 `invalid-query` naming the parameter otherwise, in this
/// API's words (the deserializer's cause, never the framework's text).
pub(crate) struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(params)| Self(params)).map_err(|rejection| {
            // The innermost cause is serde's, naming the parameter ("limit: invalid digit …").
            let mut cause: &dyn std::error::Error = &rejection;
            while let Some(source) = cause.source() {
                cause = source;
            }
            let cause: String = cause.to_string().chars().filter(|c| !c.is_control()).take(200).collect();
            Problem::bad_request("invalid-query", format!("The query string is not valid: {cause}."))
        })
    }
}

/// The `{order_id}` of the path; recorded in the request's span. A malformed id names no order:
/// 404.
pub(crate) struct OrderIdPath(pub OrderId);

impl<S: Send + Sync> FromRequestParts<S> for OrderIdPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = <Path<String> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::not_found())?;
        let id = OrderId::parse(&raw).map_err(|_| Problem::not_found())?;
        Span::current().record("order_id", tracing::field::display(id));
        Ok(Self(id))
    }
}

/// The `{order_id}` and `{payment_id}` of a payment's path; 404 when either is not an id.
pub(crate) struct PaymentPath(pub OrderId, pub order_domain::PaymentId);

impl<S: Send + Sync> FromRequestParts<S> for PaymentPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((order, payment)) = <Path<(String, String)> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::not_found())?;
        let id = OrderId::parse(&order).map_err(|_| Problem::not_found())?;
        let payment = order_domain::PaymentId::parse(&payment).map_err(|_| Problem::not_found())?;
        Span::current().record("order_id", tracing::field::display(id));
        Ok(Self(id, payment))
    }
}

/// The `{order_id}` and `{name}` of a document's path (`{kind}_{orderId}.pdf`); 404 when
/// either is not one.
pub(crate) struct DocumentPath(pub OrderId, pub order_domain::DocumentKind);

impl<S: Send + Sync> FromRequestParts<S> for DocumentPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((order, name)) = <Path<(String, String)> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::not_found())?;
        let id = OrderId::parse(&order).map_err(|_| Problem::not_found())?;
        let kind = order_ports::DocumentKey::kind_of_file(&name, id).ok_or_else(Problem::not_found)?;
        Span::current().record("order_id", tracing::field::display(id));
        Ok(Self(id, kind))
    }
}

/// The `{tenant_id}` of the path; 400 when it is not a tenant id.
pub(crate) struct TenantIdPath(pub TenantId);

impl<S: Send + Sync> FromRequestParts<S> for TenantIdPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = <Path<String> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::bad_request("invalid-value", "The tenant id in the path is not valid."))?;
        TenantId::parse(&raw).map(Self).map_err(|e| Problem::bad_request("invalid-value", e.to_string()))
    }
}

/// The peer address of the connection, when the host provides it (a socket server through
/// `into_make_service_with_connect_info`, the Lambda adapter from the event). PayFast's source
/// check refuses a notification whose peer is unknown.
pub(crate) struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| *peer)))
    }
}

/// Where the routes are mounted: the prefix an embedder nested them under (empty at the root),
/// so that the links an answer carries (`Location`) lead back through it.
pub(crate) struct MountPrefix(pub String);

impl<S: Send + Sync> FromRequestParts<S> for MountPrefix {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // A nested router sees its own part of the path; axum keeps the whole as `OriginalUri`.
        let prefix = parts
            .extensions
            .get::<OriginalUri>()
            .and_then(|OriginalUri(original)| original.path().strip_suffix(parts.uri.path()))
            .unwrap_or_default();
        Ok(Self(prefix.trim_end_matches('/').to_owned()))
    }
}
