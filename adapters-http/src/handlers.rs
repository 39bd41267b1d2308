//! The routes: extract, call one use case, map the result. Every parsing and refusal rule lives
//! in an extractor ([`crate::extract`]) or a DTO ([`crate::dto`]).

use std::any::Any;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Json;
use axum::extract::rejection::RawFormRejection;
use axum::extract::{FromRequest, RawForm, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use headers::{ContentType, HeaderMapExt};
use order_app::usecases::create::idempotency_scope;
use order_app::{CreateOutcome, Principal, Service};
use order_domain::{OrderId, PaymentId, PaymentMethod, TenantId};
use order_ports::ListQuery;
use tracing::{Span, info, warn};
use utoipa::OpenApi;

use super::dto::{
    CreateOrderBody, DocumentListView, DocumentView, Health, IdempotencyKeyParam, ListParams, OrderAccepted,
    OrderIdParam, OrderPageView, OrderView, PaymentAcknowledged, PaymentConfirmationBody, PaymentRefundBody,
    TenantIdParam, UpdateOrderBody,
};
use super::extract::{
    Authenticated, DocumentPath, IdempotencyKey, IfMatch, JsonBody, MountPrefix, OrderIdPath, Params, PaymentPath,
    Peer, TenantIdPath, unreadable, unsupported_media_type, version_tag,
};
use super::idempotency::KeyState;
use super::payfast::ItnRefusal;
use super::problem::{Problem, idempotency_key_reused};
use super::{HttpState, IDEMPOTENT_REPLAYED};

type Answer = Result<Response, Problem>;

/// The OpenAPI 3.1 document of the order routes, generated from the handlers and bodies.
#[derive(OpenApi)]
#[openapi(
    info(title = "BBWS Order Management", description = "Orders for the BBWS Customer Portal."),
    paths(
        create_tenant_order,
        create_guest_order,
        get_order,
        list_orders,
        list_documents,
        get_document,
        update_order,
        confirm_payment,
        refund_payment,
        health
    ),
    components(schemas(
        Problem,
        super::dto::PayfastItnForm,
        super::dto::StatusFilter,
        TenantIdParam,
        OrderIdParam,
        IdempotencyKeyParam
    )),
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

fn order_response(status: StatusCode, order: &order_domain::Order) -> Response {
    let mut response = (status, Json(OrderView::from(order))).into_response();
    if let Some(tag) = version_tag(order.version()) {
        response.headers_mut().typed_insert(tag);
    }
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
        ("tenantId" = TenantIdParam, Path, description = "The tenant"),
        ("Idempotency-Key" = Option<IdempotencyKeyParam>, Header, description = "Makes retries safe: the same key and body from the same caller replay the first answer; another caller's key is another key"),
    ),
    request_body = CreateOrderBody,
    responses(
        (status = 202, description = "Accepted", body = OrderAccepted,
         headers(("Location" = String, description = "The order"), ("Idempotent-Replayed" = Option<String>, description = "`true` on a replay"))),
        (status = 400, description = "Malformed JSON, tenant id or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A caller that may not create orders (e.g. the payment service)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Another tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same key in flight, the caller's cart already ordered, or inactive", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, key reused with a different body, or a cart that is unknown or not the caller's (the same answer)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The cart service answered a cart that cannot become an order (e.g. a line the tax invoice cannot print)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn create_tenant_order(
    State(state): State<HttpState>,
    MountPrefix(prefix): MountPrefix,
    Authenticated(principal): Authenticated,
    TenantIdPath(tenant): TenantIdPath,
    key: Option<IdempotencyKey>,
    JsonBody(body): JsonBody<CreateOrderBody>,
) -> Answer {
    create(&state, &prefix, principal, Some(tenant), key, body).await
}

/// Create an order at guest checkout.
///
/// No token needed; the tenant is resolved from the customer's email when the order is recorded.
/// A token, when sent (the cart service sends one), must be valid.
#[utoipa::path(
    post, path = "/v1.0/orders", tag = "orders",
    params(("Idempotency-Key" = Option<IdempotencyKeyParam>, Header, description = "Makes retries safe: a guest's key is scoped by the cart, so two guests' keys never meet")),
    request_body = CreateOrderBody,
    responses(
        (status = 202, description = "Accepted", body = OrderAccepted,
         headers(("Location" = String, description = "The order"), ("Idempotent-Replayed" = Option<String>, description = "`true` on a replay"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A token was sent and is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same key in flight, the caller's cart already ordered, or inactive", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, key reused with a different body, or a cart that is unknown or not the caller's (the same answer)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The cart service answered a cart that cannot become an order (e.g. a line the tax invoice cannot print)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub(super) async fn create_guest_order(
    State(state): State<HttpState>,
    MountPrefix(prefix): MountPrefix,
    // Credentials are optional here; when sent they must be valid (the cart service sends them).
    principal: Option<Authenticated>,
    key: Option<IdempotencyKey>,
    JsonBody(body): JsonBody<CreateOrderBody>,
) -> Answer {
    let principal = principal.map_or(Principal::Guest, |Authenticated(principal)| principal);
    create(&state, &prefix, principal, None, key, body).await
}

async fn create(
    state: &HttpState,
    prefix: &str,
    principal: Principal,
    tenant: Option<TenantId>,
    key: Option<IdempotencyKey>,
    body: CreateOrderBody,
) -> Answer {
    let request = body.try_into_request()?;
    let in_flight = match &key {
        Some(key) => {
            // The caller's own key: scoped as the application scopes it.
            let scope = idempotency_scope(&principal, tenant.as_ref(), &request.cart_id);
            let fingerprint = serde_json::to_vec(&request).unwrap_or_default();
            match state.keys.begin(&format!("{scope}/{}", key.as_str()), &fingerprint) {
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
    let key = key.as_ref().map(IdempotencyKey::as_str);
    let outcome: CreateOutcome = match &tenant {
        Some(tenant) => state.app.create_for_tenant(&principal, tenant, request, key).await,
        None => state.app.create_guest(&principal, request, key).await,
    }?;
    if let Some(in_flight) = in_flight {
        in_flight.succeeded();
    }
    let location = format!("{prefix}/v1.0/orders/{}", outcome.order_id);
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
    params(("orderId" = OrderIdParam, Path, description = "The order")),
    responses(
        (status = 200, description = "The order", body = OrderView, headers(("ETag" = String, description = "The order's version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not recorded yet (with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get_order(
    State(state): State<HttpState>,
    Authenticated(principal): Authenticated,
    OrderIdPath(id): OrderIdPath,
) -> Answer {
    let order = state.app.get(&principal, id).await?;
    Ok(order_response(StatusCode::OK, &order))
}

/// List an order's documents.
///
/// The pro forma or tax invoice, the receipt and the credit note written so far, in the order of
/// the order's life; the same authorization as reading the order (another tenant's is 404).
/// Documents are written moments after each step, so the newest may not be listed yet. The
/// development server keeps only a bounded window of documents: one it evicted is not listed,
/// and an order whose every document was evicted is answered 410 (`document-evicted`).
#[utoipa::path(
    get, path = "/v1.0/orders/{orderId}/documents", tag = "orders",
    params(("orderId" = OrderIdParam, Path, description = "The order")),
    responses(
        (status = 200, description = "The documents", body = DocumentListView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not recorded yet (with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Every document the order had was evicted from the development server's bounded window (`document-evicted`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn list_documents(
    State(state): State<HttpState>,
    MountPrefix(prefix): MountPrefix,
    Authenticated(principal): Authenticated,
    OrderIdPath(id): OrderIdPath,
) -> Answer {
    let documents = state.app.order_documents(&principal, id).await?;
    let documents = documents.iter().map(|document| DocumentView::new(document, id, &prefix)).collect();
    Ok(Json(DocumentListView { documents }).into_response())
}

/// Fetch one of an order's documents (PDF).
///
/// `name` is a document's `name` from the listing (`invoice_{orderId}.pdf`, …). Answers the
/// PDF with `Content-Disposition: attachment`; the same authorization as reading the order. A
/// document the development server evicted from its bounded window is 410 (`document-evicted`).
#[utoipa::path(
    get, path = "/v1.0/orders/{orderId}/documents/{name}", tag = "orders",
    params(
        ("orderId" = OrderIdParam, Path, description = "The order"),
        ("name" = String, Path, description = "The document's file name, e.g. `invoice_{orderId}.pdf`"),
    ),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"{name}\"`"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order or document (or not written yet)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The document was evicted from the development server's bounded window of documents (`document-evicted`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get_document(
    State(state): State<HttpState>,
    Authenticated(principal): Authenticated,
    DocumentPath(id, kind): DocumentPath,
) -> Answer {
    let (document, bytes) = state.app.order_document(&principal, id, kind).await?;
    let name = order_ports::DocumentKey::file_name_of(kind, id);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&document.meta.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    // The name is `{kind}_{orderId}.pdf`: ASCII letters, digits, `_` and `.` only.
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// List a tenant's orders, newest first.
#[utoipa::path(
    get, path = "/v1.0/tenants/{tenantId}/orders", tag = "orders",
    params(("tenantId" = TenantIdParam, Path, description = "The tenant"), ListParams),
    responses(
        (status = 200, description = "One page", body = OrderPageView),
        (status = 400, description = "Bad tenant id, filter, limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Another tenant", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn list_orders(
    State(state): State<HttpState>,
    Authenticated(principal): Authenticated,
    TenantIdPath(tenant): TenantIdPath,
    Params(params): Params<ListParams>,
) -> Answer {
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
/// and the payment service refund. `If-Match` with the order's ETag makes the change conditional
/// (RFC 9110 §13.1.1, strong comparison).
#[utoipa::path(
    put, path = "/v1.0/orders/{orderId}", tag = "orders",
    params(
        ("orderId" = OrderIdParam, Path, description = "The order"),
        ("If-Match" = Option<String>, Header, description = "The ETag read, several (`\"1\", \"2\"`), or `*` (RFC 9110 §13.1.1): compared strongly, so a weak tag (`W/\"2\"`) never matches; 412 if none is the order's current ETag; 400 if it is not `*` or a list of quoted entity-tags (`2` unquoted is not)"),
    ),
    request_body = UpdateOrderBody,
    responses(
        (status = 200, description = "The order after the change", body = OrderView, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not permitted for this caller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status, or changed concurrently", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body or reason", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn update_order(
    State(state): State<HttpState>,
    Authenticated(principal): Authenticated,
    OrderIdPath(id): OrderIdPath,
    if_match: IfMatch,
    JsonBody(body): JsonBody<UpdateOrderBody>,
) -> Answer {
    let change = body.try_into_change()?;
    let order = state.app.update_if(&principal, id, change, &if_match).await?;
    Ok(order_response(StatusCode::OK, &order))
}

/// Confirm a payment.
///
/// Either the payment service's JSON (bearer token of the payment service) or a PayFast ITN
/// (`application/x-www-form-urlencoded`, verified by source address, signature, merchant id and
/// status). Idempotent on the payment id. Anything unverified is refused and changes nothing. A
/// verified payment is a fact: one the order does not take (cancelled or expired, already paid,
/// or not the order total) is recorded as money to return, staff are told, and the answer is
/// still 200 (`applied: false`) so the sender stops retrying.
#[utoipa::path(
    post, path = "/v1.0/orders/{orderId}/paymentconfirmation", tag = "orders",
    params(("orderId" = OrderIdParam, Path, description = "The order")),
    request_body(content(
        (PaymentConfirmationBody = "application/json"),
        (super::dto::PayfastItnForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Recorded (or already recorded): applied, or held as money to return when the order does not take it", body = PaymentAcknowledged),
        (status = 400, description = "ITN refused (unverified), or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "JSON without a valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the payment service, or ITN from an unknown source", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The payment id is held by another order, or a concurrent change; retry", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor a form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ())
)]
pub(super) async fn confirm_payment(
    State(state): State<HttpState>,
    Peer(peer): Peer,
    principal: Option<Authenticated>,
    OrderIdPath(id): OrderIdPath,
    notice: PaymentNotice,
) -> Answer {
    let now = state.app.system().clock.now();
    match notice {
        PaymentNotice::Payfast(fields) => payfast_itn(&state, peer, id, &fields, now).await,
        PaymentNotice::Service(body) => {
            let Some(Authenticated(principal)) = principal else {
                return Err(Problem::unauthorized("Send a bearer token."));
            };
            let payment = body.try_into_payment(now)?;
            let payment_id = payment.payment_id.clone();
            let order = state.app.confirm_payment(&principal, id, payment).await?;
            Ok(acknowledged(&order, &payment_id))
        }
    }
}

/// The two bodies a payment confirmation comes as, told apart by `Content-Type`.
pub(super) enum PaymentNotice {
    /// The payment service's JSON (it must send its token too).
    Service(PaymentConfirmationBody),
    /// A PayFast ITN: the form fields in the order received, as the signature covers them.
    Payfast(Vec<(String, String)>),
}

impl<S: Send + Sync> FromRequest<S> for PaymentNotice {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media_type = request.headers().typed_get::<ContentType>().map(mime::Mime::from);
        match media_type.as_ref().map(mime::Mime::essence_str) {
            Some("application/x-www-form-urlencoded") => {
                let RawForm(form) =
                    RawForm::from_request(request, state).await.map_err(|rejection| match rejection {
                        RawFormRejection::BytesRejection(rejection) => unreadable(&rejection),
                        _ => unsupported_media_type("application/x-www-form-urlencoded"),
                    })?;
                Ok(Self::Payfast(form_urlencoded::parse(&form).into_owned().collect()))
            }
            Some("application/json") => {
                JsonBody::from_request(request, state).await.map(|JsonBody(body)| Self::Service(body))
            }
            _ => Err(unsupported_media_type("application/json or application/x-www-form-urlencoded")),
        }
    }
}

/// A PayFast notification: verified (source, signature, merchant, status) by the state's
/// [`ItnVerifier`](crate::payfast::ItnVerifier), then confirmed as a payment; the amount is the
/// domain's rule, checked once, where the order is loaded. Anything refused changes nothing.
async fn payfast_itn(
    state: &HttpState,
    peer: Option<SocketAddr>,
    id: OrderId,
    fields: &[(String, String)],
    now: chrono::DateTime<chrono::Utc>,
) -> Answer {
    // Without a peer address nothing is trusted as coming from PayFast.
    let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |peer| peer.ip());
    let refused = |status: StatusCode, why: &dyn std::fmt::Display| {
        warn!(order_id = %id, %peer, %why, "PayFast notification refused");
        Problem::new(status, "itn-refused", "Notification refused", "The payment notification could not be verified.")
    };
    let itn = state.itn.verify(fields, peer).map_err(|refusal| {
        let status = if matches!(refusal, ItnRefusal::UnknownSource(_)) {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::BAD_REQUEST
        };
        refused(status, &refusal)
    })?;
    if itn.order_id != id {
        return Err(refused(StatusCode::BAD_REQUEST, &"the notification is for another order"));
    }
    let payment = order_domain::Payment {
        payment_id: itn.payment_id,
        amount: itn.amount,
        method: PaymentMethod::Payfast,
        paid_at: now,
    };
    let payment_id = payment.payment_id.clone();
    let order = state.app.confirm_payment(&Principal::Service(Service::Payment), id, payment).await?;
    let answer = acknowledged(&order, &payment_id);
    info!(order_id = %id, status = %order.status(), applied = is_applied(&order, &payment_id), "PayFast notification recorded");
    Ok(answer)
}

fn is_applied(order: &order_domain::Order, payment: &PaymentId) -> bool {
    order.payment().is_some_and(|applied| applied.payment_id == *payment)
}

/// 200 for every recorded payment, applied or not, so the sender stops retrying.
fn acknowledged(order: &order_domain::Order, payment: &PaymentId) -> Response {
    Json(PaymentAcknowledged {
        order_id: order.id().to_string(),
        status: order.status().as_str().to_owned(),
        version: order.version(),
        applied: is_applied(order, payment),
    })
    .into_response()
}

/// Record the refund of an unapplied payment.
///
/// A verified payment the order did not take (it was cancelled or expired, already paid, or the
/// amount differs from the total) is held on the order as money to return. The payment service
/// or staff record here that it was returned; the order's status does not change. Recording it
/// again answers the order as it is.
#[utoipa::path(
    post, path = "/v1.0/orders/{orderId}/payments/{paymentId}/refund", tag = "orders",
    params(
        ("orderId" = OrderIdParam, Path, description = "The order"),
        ("paymentId" = String, Path, description = "The unapplied payment's id"),
    ),
    request_body(content = PaymentRefundBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded (or already recorded)", body = OrderView, headers(("ETag" = String, description = "The order's version"))),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither the payment service nor staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or it holds no such unapplied payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Changed concurrently; retry", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reference", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn refund_payment(
    State(state): State<HttpState>,
    Authenticated(principal): Authenticated,
    PaymentPath(id, payment_id): PaymentPath,
    JsonBody(body): JsonBody<PaymentRefundBody>,
) -> Answer {
    let reference = body.reference()?;
    let order = state.app.refund_payment(&principal, id, payment_id, reference).await?;
    Ok(order_response(StatusCode::OK, &order))
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

/// `POST /dev/token`: a token for any principal, from the development issuer.
#[cfg(feature = "dev-issuer")]
pub(super) async fn dev_token(
    State(issuer): State<std::sync::Arc<crate::auth::DevIssuer>>,
    JsonBody(request): JsonBody<super::dto::DevTokenRequest>,
) -> Answer {
    use crate::auth::DevIssuerError;
    match issuer.mint(&request) {
        Ok(token) => Ok(Json(token).into_response()),
        Err(DevIssuerError::Request(why)) => {
            Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value", "Invalid value", why))
        }
        Err(error) => Err(Problem::internal(&error)),
    }
}

/// `GET /dev/jwks.json`: the development issuer's public key.
#[cfg(feature = "dev-issuer")]
pub(super) async fn dev_jwks(State(issuer): State<std::sync::Arc<crate::auth::DevIssuer>>) -> Response {
    Json(issuer.jwks()).into_response()
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
