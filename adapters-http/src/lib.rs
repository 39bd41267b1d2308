//! # adapters-http
//!
//! The HTTP driving adapter: the six order endpoints of DESIGN §5 over any wired [`OrderApp`], plus
//! `/health`, `/openapi.json` and, in development mode, `/dev/token` and `/dev/jwks.json`.
//!
//! Thin by design: each handler parses the request into order-app and domain types,
//! authenticates the caller into a [`Principal`](order_app::Principal), calls one use case and
//! maps its result. No business rule lives here.
//!
//! ## Layout
//! - [`auth`]: JWT verification against a JWKS, principals, the development issuer.
//! - [`dto`]: request and response bodies (transport shapes only).
//! - [`problem`]: `application/problem+json` errors and the mapping of every `AppError`.
//! - [`cursor`]: signed, tenant-bound page cursors.
//! - [`payfast`]: the ITN verifier port and PayFast's rules.
//! - [`idempotency`]: in-flight and recently completed `Idempotency-Key`s.
//! - `handlers`: the routes; [`ApiDoc`]: the OpenAPI document generated from them.

pub mod auth;
pub mod cursor;
pub mod dto;
mod handlers;
pub mod idempotency;
pub mod payfast;
pub mod problem;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, Response};
use axum::routing::{get, post};
use order_app::OrderApp;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use handlers::ApiDoc;

use self::auth::{Authenticator, DevIssuer};
use self::cursor::CursorSigner;
use self::idempotency::IdempotencyKeys;
use self::payfast::ItnVerifier;

/// The header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The header that marks a replayed create.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The largest request body accepted (64 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Everything the handlers share.
#[derive(Clone)]
pub struct HttpState {
    /// The application.
    pub app: Arc<OrderApp>,
    /// Token verification.
    pub auth: Arc<Authenticator>,
    /// Page cursor signing.
    pub cursors: CursorSigner,
    /// PayFast notification verification.
    pub itn: Arc<dyn ItnVerifier>,
    /// Idempotency keys in flight and recently completed.
    pub keys: IdempotencyKeys,
    /// The development issuer, when development mode is on.
    pub dev: Option<Arc<DevIssuer>>,
    /// The largest request body accepted.
    pub body_limit: usize,
}

/// The router with every route and middleware: request ids (from `X-Request-Id` or generated,
/// echoed in the response, recorded in each request's span and carried as `correlationId` in
/// every event the request causes), tracing, body limit, panics as problem+json.
pub fn router(state: HttpState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let body_limit = state.body_limit;
    let dev = state.dev.is_some();
    let mut router = Router::new()
        .route("/health", get(handlers::health))
        .route("/openapi.json", get(handlers::openapi))
        .route("/v1.0/tenants/{tenant_id}/orders", post(handlers::create_tenant_order).get(handlers::list_orders))
        .route("/v1.0/orders", post(handlers::create_guest_order))
        .route("/v1.0/orders/{order_id}", get(handlers::get_order).put(handlers::update_order))
        .route("/v1.0/orders/{order_id}/paymentconfirmation", post(handlers::confirm_payment));
    if dev {
        router = router.route("/dev/token", post(handlers::dev_token)).route("/dev/jwks.json", get(handlers::dev_jwks));
    }
    router
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::custom(handlers::panicked))
        .layer(axum::middleware::from_fn(correlate))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(
            |response: &Response<_>, latency: std::time::Duration, _span: &tracing::Span| {
                tracing::info!(status = response.status().as_u16(), latency_ms = latency.as_millis(), "answered");
            },
        ))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Runs the request inside its request id's [`order_app::context`], so that the events the use
/// cases build name it. An id that is not a valid correlation id (over 128 characters, or with
/// spaces) is still echoed and logged, but not put in events.
async fn correlate(request: Request<Body>, next: axum::middleware::Next) -> axum::response::Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| order_domain::CorrelationId::parse(v).ok());
    order_app::context::with_correlation_id(id, next.run(request)).await
}

fn request_span(request: &Request<Body>) -> tracing::Span {
    let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
        principal = tracing::field::Empty,
        order_id = tracing::field::Empty,
    )
}

/// Serves `router` on `listener` until `shutdown` completes, with peer addresses available to
/// handlers (the PayFast source check needs them).
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
