//! The routes: parse, authenticate, call order-app, map the result.

use std::any::Any;
use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use order_app::{CreateOutcome, Principal, Service};
use order_domain::{OrderId, PaymentMethod, TenantId};
use order_ports::ListQuery;
use serde::de::DeserializeOwned;
use tracing::{Span, info, warn};
use utoipa::OpenApi;

use super::auth::{AuthError, DevTokenRequest};
use super::dto::{
    CreateOrderBody, Health, ListParams, OrderAccepted, OrderPageView, OrderView, PaymentAcknowledged,
    PaymentConfirmationBody, UpdateOrderBody,
};
use super::idempotency::KeyState;
use super::payfast::ItnRefusal;
use super::problem::{Problem, idempotency_key_reused};
use super::{HttpState, IDEMPOTENT_REPLAYED};

type Answer = Result<Response, Problem>;

/// The OpenAPI 3.1 document of this server, generated from the handlers and bodies.
#[derive(OpenApi)]
#[openapi(
    info(title = "BBWS Order Management", description = "Orders for the BBWS Customer Portal."),
    paths(
        create_tenant_order,
        create_guest_order,
        get_order,
        list_orders,
        update_order,
        confirm_payment,
        health
    ),
    components(schemas(Problem, super::dto::PayfastItnForm)),
    modifiers(&BearerAuth),
    tags((name = "orders", description = "Creating, reading and changing orders"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

// ---- authentication -------------------------------------------------------------------------

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

async fn authenticate(state: &HttpState, headers: &HeaderMap) -> Result<Principal, Problem> {
    let token = bearer(headers).ok_or_else(|| Problem::unauthorized("Send a bearer token."))?;
    match state.auth.authenticate(token).await {
        Ok(principal) => {
            Span::current().record("principal", tracing::field::display(&principal));
            Ok(principal)
        }
        Err(error @ AuthError::KeysUnavailable(_)) => {
            warn!(%error, "cannot verify tokens");
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
                "Tokens cannot be verified right now; try again shortly.",
            )
            .retry_after(std::time::Duration::from_secs(5)))
        }
        Err(error) => {
            info!(%error, "token refused");
            Err(Problem::unauthorized("The token is invalid or expired."))
        }
    }
}

// ---- parsing --------------------------------------------------------------------------------

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    body.map_err(|rejection| {
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
    })
}

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn unsupported_media_type(expected: &str) -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        format!("Send the body as {expected}."),
    )
}

fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Problem> {
    if media_type(headers) != "application/json" {
        return Err(unsupported_media_type("application/json"));
    }
    serde_json::from_slice(body).map_err(|error| {
        if error.is_data() {
            // serde's message is about the client's own document: which field, what was expected.
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", "Invalid body", error.to_string())
        } else {
            Problem::bad_request("malformed-json", "The body is not well-formed JSON.")
        }
    })
}

fn order_id(raw: &str) -> Result<OrderId, Problem> {
    OrderId::parse(raw).map_err(|_| Problem::not_found())
}

fn tenant_id(raw: &str) -> Result<TenantId, Problem> {
    TenantId::parse(raw).map_err(|e| Problem::bad_request("invalid-value", e.to_string()))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(str::trim).filter(|k| (1..=255).contains(&k.len()));
    key.map(|k| Some(k.to_owned())).ok_or_else(|| {
        Problem::bad_request("invalid-idempotency-key", "Idempotency-Key must be 1 to 255 visible characters.")
    })
}

/// `If-Match`: `*` (or absent) means unconditional; otherwise the version in the ETag. An ETag
/// that is not one of ours can never match.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    tag.parse().map(Some).map_err(|_| {
        Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            "Precondition failed",
            "If-Match does not match the order's current ETag; read the order again.",
        )
    })
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn order_response(status: StatusCode, order: &order_domain::Order) -> Response {
    let mut response = (status, Json(OrderView::from(order))).into_response();
    response.headers_mut().insert(header::ETAG, etag(order.version()));
    response
}

// ---- creates --------------------------------------------------------------------------------

/// Create an order for a tenant.
///
/// The cart is priced from the cart service (a cart service caller may send priced items), claimed and
/// announced; the order is recorded asynchronously. Answers 202 with the order id and its `Location`.
#[utoipa::path(
    post, path = "/v1.0/tenants/{tenantId}/orders", tag = "orders",
    params(
        ("tenantId" = String, Path, description = "The tenant"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key and body replay the first answer"),
    ),
    request_body = CreateOrderBody,
    responses(
        (status = 202, description = "Accepted", body = OrderAccepted,
         headers(("Location" = String, description = "The order"), ("Idempotent-Replayed" = Option<String>, description = "`true` on a replay"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Another tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same key in flight, cart already ordered or inactive", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, or key reused with a different body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn create_tenant_order(
    State(state): State<HttpState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let principal = authenticate(&state, &headers).await?;
    let tenant = tenant_id(&tenant)?;
    let body = body_bytes(body)?;
    create(&state, principal, Some(tenant), &headers, &body).await
}

/// Create an order at guest checkout.
///
/// No token needed; the tenant is resolved from the customer's email when the order is recorded.
#[utoipa::path(
    post, path = "/v1.0/orders", tag = "orders",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = CreateOrderBody,
    responses(
        (status = 202, description = "Accepted", body = OrderAccepted, headers(("Location" = String, description = "The order"))),
        (status = 409, description = "Same key in flight, cart already ordered or inactive", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, or key reused with a different body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn create_guest_order(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    // A token is optional here; when one is sent it must be valid (the cart service sends one).
    let principal = if bearer(&headers).is_some() { authenticate(&state, &headers).await? } else { Principal::Guest };
    let body = body_bytes(body)?;
    create(&state, principal, None, &headers, &body).await
}

async fn create(
    state: &HttpState,
    principal: Principal,
    tenant: Option<TenantId>,
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    let request = parse_json::<CreateOrderBody>(headers, body)?.try_into_request()?;
    let key = idempotency_key(headers)?;
    let in_flight = match &key {
        Some(key) => {
            let scope = tenant.as_ref().map_or("guest", TenantId::as_str);
            let fingerprint = serde_json::to_vec(&request).unwrap_or_default();
            match state.keys.begin(&format!("{scope}/{key}"), &fingerprint) {
                Ok(in_flight) => Some(in_flight),
                Err(KeyState::InFlight) => {
                    return Err(Problem::new(
                        StatusCode::CONFLICT,
                        "idempotency-key-in-flight",
                        "Request in progress",
                        "A request with this Idempotency-Key is still being processed; retry shortly.",
                    )
                    .retry_after(std::time::Duration::from_secs(1)));
                }
                Err(KeyState::Reused | KeyState::Proceed) => return Err(idempotency_key_reused()),
            }
        }
        None => None,
    };
    let outcome: CreateOutcome = match &tenant {
        Some(tenant) => state.app.create_for_tenant(&principal, tenant, request, key.as_deref()).await,
        None => state.app.create_guest(&principal, request, key.as_deref()).await,
    }?;
    if let Some(in_flight) = in_flight {
        in_flight.succeeded();
    }
    let location = format!("/v1.0/orders/{}", outcome.order_id);
    Span::current().record("order_id", tracing::field::display(outcome.order_id));
    info!(order_id = %outcome.order_id, replayed = outcome.replayed, "create accepted");
    let mut response = (
        StatusCode::ACCEPTED,
        Json(OrderAccepted { order_id: outcome.order_id.to_string(), location: location.clone() }),
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, location);
    }
    if outcome.replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(response)
}

// ---- reads ----------------------------------------------------------------------------------

/// Read an order.
///
/// Customers see only their own tenant's orders; anything else is 404. An order accepted moments
/// ago may answer 404 `not-recorded-yet` with `Retry-After`.
#[utoipa::path(
    get, path = "/v1.0/orders/{orderId}", tag = "orders",
    params(("orderId" = String, Path, description = "The order")),
    responses(
        (status = 200, description = "The order", body = OrderView, headers(("ETag" = String, description = "The order's version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not recorded yet (with Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get_order(State(state): State<HttpState>, Path(id): Path<String>, headers: HeaderMap) -> Answer {
    let principal = authenticate(&state, &headers).await?;
    let id = order_id(&id)?;
    let order = state.app.get(&principal, id).await?;
    Ok(order_response(StatusCode::OK, &order))
}

/// List a tenant's orders, newest first.
#[utoipa::path(
    get, path = "/v1.0/tenants/{tenantId}/orders", tag = "orders",
    params(("tenantId" = String, Path, description = "The tenant"), ListParams),
    responses(
        (status = 200, description = "One page", body = OrderPageView),
        (status = 400, description = "Bad filter, limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Another tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn list_orders(
    State(state): State<HttpState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Answer {
    let principal = authenticate(&state, &headers).await?;
    let tenant = tenant_id(&tenant)?;
    let Query(params) = params.map_err(|rejection| Problem::bad_request("invalid-query", rejection.body_text()))?;
    let limit = params.limit.unwrap_or(20);
    if !(1..=ListQuery::MAX_LIMIT).contains(&limit) {
        return Err(Problem::bad_request(
            "invalid-query",
            format!("limit must be from 1 to {}.", ListQuery::MAX_LIMIT),
        ));
    }
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from >= to
    {
        return Err(Problem::bad_request("invalid-query", "from must be before to."));
    }
    let cursor =
        params.cursor.as_deref().map(|opaque| state.cursors.verify(&tenant, opaque)).transpose().map_err(|_| {
            Problem::bad_request("invalid-cursor", "The cursor is not valid for this listing; start again without it.")
        })?;
    let query =
        ListQuery { status: params.status()?, created_from: params.from, created_before: params.to, limit, cursor };
    let page = state.app.list(&principal, &tenant, &query).await?;
    let view = OrderPageView {
        orders: page.orders.iter().map(OrderView::from).collect(),
        next_cursor: page.next.as_ref().map(|next| state.cursors.sign(&tenant, next)),
    };
    Ok(Json(view).into_response())
}

// ---- changes --------------------------------------------------------------------------------

/// Change an order's status.
///
/// Owners cancel and hand to payment; the provisioning service moves it through processing; staff
/// and the payment service refund. `If-Match` with the order's ETag makes the change conditional.
#[utoipa::path(
    put, path = "/v1.0/orders/{orderId}", tag = "orders",
    params(
        ("orderId" = String, Path, description = "The order"),
        ("If-Match" = Option<String>, Header, description = "The ETag read; 412 if the order changed since"),
    ),
    request_body = UpdateOrderBody,
    responses(
        (status = 200, description = "The order after the change", body = OrderView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Not permitted for this caller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status, or changed concurrently", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn update_order(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let principal = authenticate(&state, &headers).await?;
    let id = order_id(&id)?;
    let body = body_bytes(body)?;
    let change = parse_json::<UpdateOrderBody>(&headers, &body)?.try_into_change()?;
    let expected = if_match(&headers)?;
    let order = state.app.update(&principal, id, change, expected).await?;
    Ok(order_response(StatusCode::OK, &order))
}

/// Confirm a payment.
///
/// Either the payment service's JSON (bearer token of the payment service) or a PayFast ITN
/// (`application/x-www-form-urlencoded`, verified by source address, signature, merchant id, status and
/// amount). Idempotent on the payment id. Anything unverified is refused and changes nothing.
#[utoipa::path(
    post, path = "/v1.0/orders/{orderId}/paymentconfirmation", tag = "orders",
    params(("orderId" = String, Path, description = "The order")),
    request_body(content(
        (PaymentConfirmationBody = "application/json"),
        (super::dto::PayfastItnForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Recorded (or already recorded)", body = PaymentAcknowledged),
        (status = 400, description = "ITN refused", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the payment service, or ITN from an unknown source", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Paid by another payment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Amount does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ())
)]
pub(super) async fn confirm_payment(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let body = body_bytes(body)?;
    let now = state.app.system().clock.now();
    match media_type(&headers).as_str() {
        "application/x-www-form-urlencoded" => {
            let id = order_id(&id)?;
            payfast_itn(&state, peer, id, &body, now).await
        }
        "application/json" => {
            let principal = authenticate(&state, &headers).await?;
            let id = order_id(&id)?;
            let payment = parse_json::<PaymentConfirmationBody>(&headers, &body)?.try_into_payment(now)?;
            let order = state.app.confirm_payment(&principal, id, payment).await?;
            Ok(acknowledged(&order))
        }
        _ => Err(unsupported_media_type("application/json or application/x-www-form-urlencoded")),
    }
}

async fn payfast_itn(
    state: &HttpState,
    peer: SocketAddr,
    id: OrderId,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Answer {
    let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let refused = |refusal: ItnRefusal| {
        warn!(order_id = %id, peer = %peer, %refusal, "PayFast notification refused");
        let status = match refusal {
            ItnRefusal::UnknownSource(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        };
        Problem::new(status, "itn-refused", "Notification refused", "The payment notification could not be verified.")
    };
    let itn = state.itn.verify(&fields, peer.ip()).map_err(refused)?;
    if itn.order_id != id {
        return Err(refused(ItnRefusal::WrongOrder));
    }
    let principal = Principal::Service(Service::Payment);
    let order = state.app.get(&principal, id).await?;
    state.itn.check_amount(&itn, order.totals().total).map_err(refused)?;
    let payment = order_domain::Payment {
        payment_id: itn.payment_id,
        amount: itn.amount,
        method: PaymentMethod::Payfast,
        paid_at: now,
    };
    let order = state.app.confirm_payment(&principal, id, payment).await?;
    info!(order_id = %id, status = %order.status(), "PayFast notification applied");
    Ok(acknowledged(&order))
}

fn acknowledged(order: &order_domain::Order) -> Response {
    Json(PaymentAcknowledged {
        order_id: order.id().to_string(),
        status: order.status().as_str().to_owned(),
        version: order.version(),
    })
    .into_response()
}

// ---- the rest -------------------------------------------------------------------------------

/// Liveness.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "Up", body = Health)))]
pub(super) async fn health() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

pub(super) async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

pub(super) async fn dev_token(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let Some(issuer) = &state.dev else { return Err(Problem::not_found()) };
    let body = body_bytes(body)?;
    let request = parse_json::<DevTokenRequest>(&headers, &body)?;
    let token = issuer.mint(&request).map_err(|error| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value", "Invalid value", error.to_string())
    })?;
    Ok(Json(token).into_response())
}

pub(super) async fn dev_jwks(State(state): State<HttpState>) -> Answer {
    let Some(issuer) = &state.dev else { return Err(Problem::not_found()) };
    Ok(Json(issuer.jwks()).into_response())
}

pub(super) async fn not_found() -> Problem {
    Problem::not_found()
}

pub(super) async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "This resource does not support that method.",
    )
}

pub(super) fn panicked(_payload: Box<dyn Any + Send + 'static>) -> Response {
    Problem::internal(&"a handler panicked").into_response()
}
