//! # adapters-http
//!
//! The HTTP driving adapter: the order endpoints (DESIGN §5, plus an order's documents and the
//! refund of unapplied payments) over any wired [`OrderApp`], as axum routes that a host serves
//! on their own ([`router`]) or that another service mounts into its own axum app ([`routes`]).
//!
//! Thin by design: extractors ([`extract`]) parse each request into order-app and domain types
//! and authenticate the caller into a [`Principal`](order_app::Principal) through an
//! [`Authenticator`]; each handler calls one use case and maps its result. No business rule
//! lives here. Every client mistake is answered `application/problem+json` (RFC 9457).
//!
//! ## Two ways to serve
//! - [`router`]: a whole server — the order routes, `/health`, `/openapi.json`, in development
//!   builds `/dev/token` and `/dev/jwks.json`, 404 and 405 as problems, and the global layers
//!   (request id, trace span, caught panics, body limit). [`serve`] runs it on a socket.
//! - [`routes`]: the order endpoints only, for an embedder to `nest` under its own prefix
//!   behind its own layers. They carry what each order request needs wherever it is mounted:
//!   the body limit of the [`HttpState`], an `X-Request-Id` (the client's, else a new one,
//!   echoed in the response), and the request's correlation context, so that every event the
//!   request causes names that id. Authentication is the [`Authenticator`] the state holds, so
//!   the embedder's identity provider decides who the caller is.
//!
//! ## Features
//! - `dev-issuer`: `auth::DevIssuer` (a key pair made at start-up that mints tokens for any
//!   principal), `HttpState::with_dev_issuer` and the `/dev/*` routes. Only development hosts
//!   enable it; without it none of these exist, so a production build cannot mint tokens
//!   whatever its configuration says. `order-service` enables it through its default feature
//!   `dev`; production builds use `--no-default-features`.
//!
//! ## Layout
//! - [`auth`]: the [`Authenticator`] port; Cognito JWTs verified against a JWKS as the default
//!   implementation; the development issuer.
//! - [`extract`]: the extractors (principal, `If-Match`, `Idempotency-Key`, JSON bodies).
//! - [`dto`]: request and response bodies (transport shapes only).
//! - [`problem`]: `application/problem+json` errors and the mapping of every `AppError`.
//! - [`cursor`]: signed, tenant-bound page cursors.
//! - [`payfast`]: the ITN verifier port and PayFast's rules.
//! - [`idempotency`]: in-flight and recently completed `Idempotency-Key`s.
//! - `handlers`: the routes; [`ApiDoc`]: the OpenAPI document generated from them.

pub mod auth;
pub mod cursor;
pub mod dto;
pub mod extract;
mod handlers;
pub mod idempotency;
pub mod payfast;
pub mod problem;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef, MatchedPath, State};
use axum::http::{HeaderName, Request, Response};
use axum::routing::{get, post};
use order_app::OrderApp;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use handlers::ApiDoc;

use self::auth::Authenticator;
use self::cursor::CursorSigner;
use self::idempotency::IdempotencyKeys;
use self::payfast::ItnVerifier;

/// The header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The W3C Trace Context header a caller continues its trace with
/// (<https://www.w3.org/TR/trace-context/#traceparent-header>).
pub const TRACEPARENT: &str = "traceparent";

/// The header that marks a replayed create.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The largest request body accepted by default (64 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// How many completed idempotency keys are remembered by default.
pub const DEFAULT_IDEMPOTENCY_KEYS: usize = 10_000;

/// Everything the routes share: the application and the edge's own parts.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use adapters_http::HttpState;
/// # use adapters_http::auth::{CognitoAuthenticator, CognitoConfig, JwksSource};
/// # use adapters_http::cursor::CursorSigner;
/// # use adapters_http::payfast::{PayfastConfig, PayfastVerifier};
/// # fn wire(app: Arc<order_app::OrderApp>, cursor_key: &[u8], payfast: PayfastConfig) -> Result<HttpState, Box<dyn std::error::Error>> {
/// let pool = "https://cognito-idp.af-south-1.amazonaws.com/af-south-1_Example";
/// let auth = CognitoAuthenticator::new(
///     CognitoConfig::new(pool, "app-client-id"),
///     JwksSource::Url(format!("{pool}/.well-known/jwks.json")),
/// );
/// let state = HttpState::new(app, Arc::new(auth), CursorSigner::new(cursor_key)?, Arc::new(PayfastVerifier::new(payfast)))
///     .with_body_limit(32 * 1024);
/// # Ok(state) }
/// ```
#[derive(Clone)]
pub struct HttpState {
    app: Arc<OrderApp>,
    auth: Arc<dyn Authenticator>,
    cursors: CursorSigner,
    itn: Arc<dyn ItnVerifier>,
    keys: IdempotencyKeys,
    body_limit: usize,
    #[cfg(feature = "dev-issuer")]
    dev: Option<Arc<auth::DevIssuer>>,
}

impl HttpState {
    /// The state serving `app`: callers authenticated by `auth`, page cursors signed by
    /// `cursors`, PayFast notifications verified by `itn`; [`DEFAULT_IDEMPOTENCY_KEYS`] and
    /// [`DEFAULT_BODY_LIMIT`] until changed.
    pub fn new(
        app: Arc<OrderApp>,
        auth: Arc<dyn Authenticator>,
        cursors: CursorSigner,
        itn: Arc<dyn ItnVerifier>,
    ) -> Self {
        Self {
            app,
            auth,
            cursors,
            itn,
            keys: IdempotencyKeys::new(DEFAULT_IDEMPOTENCY_KEYS),
            body_limit: DEFAULT_BODY_LIMIT,
            #[cfg(feature = "dev-issuer")]
            dev: None,
        }
    }

    /// Uses `keys` for the `Idempotency-Key` bookkeeping (e.g. another capacity).
    pub fn with_idempotency_keys(mut self, keys: IdempotencyKeys) -> Self {
        self.keys = keys;
        self
    }

    /// Accepts request bodies of at most `bytes`.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Development mode: [`router`] also serves `POST /dev/token` and `GET /dev/jwks.json`
    /// from `issuer` (feature `dev-issuer`). The authenticator is not changed: give the state
    /// one that accepts the issuer's tokens ([`DevIssuer::authenticator`](auth::DevIssuer::authenticator)).
    #[cfg(feature = "dev-issuer")]
    pub fn with_dev_issuer(mut self, issuer: Arc<auth::DevIssuer>) -> Self {
        self.dev = Some(issuer);
        self
    }

    /// The application.
    pub fn app(&self) -> &Arc<OrderApp> {
        &self.app
    }

    /// Who authenticates the callers.
    pub fn authenticator(&self) -> &Arc<dyn Authenticator> {
        &self.auth
    }

    /// The largest request body accepted.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The development issuer, in development mode (feature `dev-issuer`).
    #[cfg(feature = "dev-issuer")]
    pub fn dev_issuer(&self) -> Option<&Arc<auth::DevIssuer>> {
        self.dev.as_ref()
    }
}

/// The [`extract::Authenticated`] extractor takes the authenticator from the state.
impl FromRef<HttpState> for Arc<dyn Authenticator> {
    fn from_ref(state: &HttpState) -> Self {
        state.auth.clone()
    }
}

/// The order endpoints, without `/health`, `/openapi.json` or any global layer: for an
/// embedder to `nest` under a prefix of its own app (or `merge`; they set no fallback).
///
/// Each route still carries what makes an order request correct wherever it is mounted: the
/// state's body limit, an `X-Request-Id` (the client's or the embedder's, else a new UUID,
/// echoed in the response) and the correlation context that puts that id in every event the
/// request causes; a method a route does not support is answered 405 as a problem, a panic 500
/// as a problem; every answer is recorded in the application's metrics (requests by route
/// template, method and status class; time to answer per route — see
/// [`order_app::metrics`]). The peer
/// address that PayFast's source check needs comes from axum's `ConnectInfo<SocketAddr>`:
/// serve the embedding app with `into_make_service_with_connect_info::<SocketAddr>()`, or every
/// PayFast notification is refused as coming from an unknown source.
pub fn routes(state: HttpState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let body_limit = state.body_limit;
    let correlation = axum::middleware::from_fn_with_state(state.clone(), correlate);
    Router::new()
        .route("/v1.0/tenants/{tenant_id}/orders", post(handlers::create_tenant_order).get(handlers::list_orders))
        .route("/v1.0/orders", post(handlers::create_guest_order))
        .route("/v1.0/orders/{order_id}", get(handlers::get_order).put(handlers::update_order))
        .route("/v1.0/orders/{order_id}/paymentconfirmation", post(handlers::confirm_payment))
        .route("/v1.0/orders/{order_id}/payments/{payment_id}/refund", post(handlers::refund_payment))
        .route("/v1.0/orders/{order_id}/documents", get(handlers::list_documents))
        .route("/v1.0/orders/{order_id}/documents/{name}", get(handlers::get_document))
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::custom(handlers::panicked))
        .layer(axum::middleware::from_fn(measure))
        .layer(correlation)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// A whole server: [`routes`], `/health`, `/openapi.json`, with the feature `dev-issuer` and a
/// development issuer in the state `/dev/token` and `/dev/jwks.json`, unknown paths as 404
/// problems, and the global layers: request ids (from `X-Request-Id` or generated, echoed in the
/// response and recorded in each request's span), a trace span per request with its outcome
/// logged, the body limit, and panics answered as 500 problems.
pub fn router(state: HttpState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let body_limit = state.body_limit;
    #[cfg(feature = "dev-issuer")]
    let dev = state.dev.clone();
    #[cfg_attr(not(feature = "dev-issuer"), allow(unused_mut))]
    let mut router = Router::new()
        .route("/health", get(handlers::health))
        .route("/openapi.json", get(handlers::openapi))
        .merge(routes(state));
    #[cfg(feature = "dev-issuer")]
    if let Some(issuer) = dev {
        router = router.merge(
            Router::new()
                .route("/dev/token", post(handlers::dev_token))
                .route("/dev/jwks.json", get(handlers::dev_jwks))
                .with_state(issuer),
        );
    }
    router
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::custom(handlers::panicked))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(
            |response: &Response<_>, latency: std::time::Duration, _span: &tracing::Span| {
                tracing::info!(status = response.status().as_u16(), latency_ms = latency.as_millis(), "answered");
            },
        ))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Records the answered request in the application's metrics
/// ([`order_app::metrics::http_request`]): by the route's template (axum's [`MatchedPath`], never
/// the path, which would make a series per order), method and status, with the time to answer.
/// Outside the panic layer, so that a panic is counted as the 500 it is answered with.
async fn measure(request: Request<Body>, next: axum::middleware::Next) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().clone();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    order_app::metrics::http_request(&route, method.as_str(), response.status().as_u16(), started.elapsed());
    response
}

/// Runs the request inside its request id's [`order_app::context`] and its trace, so that the
/// events the use cases build name both. An id that is not a valid correlation id (over 128
/// characters, or with spaces) is still echoed and logged, but not put in events. The trace:
/// the request's own span, a child of the caller's W3C `traceparent` header when it has a valid
/// one, else a new trace ([`order_app::context::start_span`]); its ids are recorded in the
/// request's span (`trace_id`, `span_id`, and the caller's span as `parent_span_id`, `-` for a
/// new trace) when there is one.
async fn correlate(
    State(state): State<HttpState>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| order_domain::CorrelationId::parse(v).ok());
    let incoming = request
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| order_domain::TraceParent::parse(v).ok());
    let trace = order_app::context::start_span(state.app.system(), incoming);
    let span = tracing::Span::current();
    span.record("trace_id", tracing::field::display(trace.trace_id_hex()));
    span.record("span_id", tracing::field::display(trace.parent_id_hex()));
    let parent = incoming.map_or_else(|| "-".to_owned(), |caller| caller.parent_id_hex());
    span.record("parent_span_id", tracing::field::display(parent));
    let work = order_app::context::with_trace(Some(trace), next.run(request));
    order_app::context::with_correlation_id(id, work).await
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
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
        parent_span_id = tracing::field::Empty,
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
