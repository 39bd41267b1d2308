//! Errors as `application/problem+json` (RFC 9457): a stable `type` URI, a `title` and a
//! `detail` written for the client. Internal error text goes to the log, never to the client.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use order_app::AppError;
use order_domain::{CommandKind, OrderError, OrderId};
use serde::Serialize;
use tracing::{error, warn};
use utoipa::ToSchema;

/// Where the problem types live; each type is this prefix and a stable slug.
pub const TYPE_BASE: &str = "https://bbws.example/problems/";

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, human summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request, for the client.
    pub detail: String,
    #[serde(skip)]
    retry_after: Option<Duration>,
    #[serde(skip)]
    extra_headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem of kind `slug` (e.g. `not-found`).
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            retry_after: None,
            extra_headers: Vec::new(),
        }
    }

    /// Adds a `Retry-After` header.
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.extra_headers.push((name, value));
        self
    }

    /// 400: the request cannot be understood.
    pub fn bad_request(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, slug, "Bad request", detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required", detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 404: no such order (or not one the caller may see).
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", "No such resource exists for you.")
    }

    /// 500, with the cause logged and not shown.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "Something went wrong on our side. It has been logged; please try again later.",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(after) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(after.as_secs().max(1)));
        }
        for (name, value) in self.extra_headers {
            headers.insert(name, value);
        }
        response
    }
}

impl From<AppError> for Problem {
    /// Every case is mapped deliberately: client mistakes are 4xx, retryable failures 503.
    fn from(error: AppError) -> Self {
        match error {
            AppError::InvalidInput(invalid) => {
                // Domain validation messages name the field and say what it must look like.
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value", "Invalid value", invalid.to_string())
            }
            AppError::Rejected(rejected) => from_order_error(rejected),
            AppError::NotFound => Self::not_found(),
            AppError::NotRecordedYet { retry_after, .. } => Self::new(
                StatusCode::NOT_FOUND,
                "not-recorded-yet",
                "Not recorded yet",
                "The order was accepted moments ago and is still being recorded; ask again shortly.",
            )
            .retry_after(retry_after),
            AppError::NotAllowed(why) => Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", why),
            AppError::StaleVersion { current, .. } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                "Precondition failed",
                format!("The order has changed since you read it (it is now at version {current}); read it again."),
            ),
            AppError::Conflict(_) => Self::new(
                StatusCode::CONFLICT,
                "concurrent-change",
                "Concurrent change",
                "The order was changed by someone else at the same moment; read it again and retry.",
            ),
            AppError::CartAlreadyOrdered(order) => Self::new(
                StatusCode::CONFLICT,
                "cart-already-ordered",
                "Cart already ordered",
                format!("This cart already became order {order} with different details."),
            ),
            AppError::IdempotencyKeyReused => idempotency_key_reused(),
            AppError::CartNotFound => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cart-not-found",
                "Cart not found",
                "The cart service does not know this cart.",
            ),
            AppError::CartInactive => Self::new(
                StatusCode::CONFLICT,
                "cart-inactive",
                "Cart inactive",
                "The cart is no longer active (already ordered or abandoned).",
            ),
            AppError::CartUnusable(what) => Self::new(
                StatusCode::BAD_GATEWAY,
                "cart-unusable",
                "Cart cannot be ordered",
                format!("The cart service answered with a cart that cannot become an order: {what}"),
            ),
            AppError::DocumentEvicted { order_id, retention } => document_evicted(order_id, &retention),
            AppError::PaymentIdReused => Self::new(
                StatusCode::CONFLICT,
                "payment-id-reused",
                "Payment already used",
                "This payment id was already received for another order.",
            ),
            AppError::LeaseHeld { what, lease_remaining } => {
                warn!(what, ?lease_remaining, "lease held by another worker");
                unavailable()
            }
            AppError::Dependency { context, source } => {
                if source.is_retryable() {
                    warn!(context, error = %source, "dependency unavailable");
                    unavailable()
                } else {
                    Self::internal(&format_args!("{context}: {source}"))
                }
            }
        }
    }
}

/// 422 for an idempotency key used before with another request.
pub fn idempotency_key_reused() -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-key-reused",
        "Idempotency key reused",
        "This Idempotency-Key was already used with a different request; use a new key.",
    )
}

/// 410 for a document that was stored and is no longer kept. Only a store with a bounded
/// window evicts (the development server's in-memory documents, sized by its
/// `--keep-documents`); a deployment's store keeps every document.
pub fn document_evicted(order_id: OrderId, retention: &str) -> Problem {
    Problem::new(
        StatusCode::GONE,
        "document-evicted",
        "Document evicted",
        format!(
            "The document of order {order_id} is no longer kept: {retention}. This is the development server's \
             bounded window of documents in memory (--keep-documents or BBWS_KEEP_DOCUMENTS; 0 keeps every \
             document); a deployment keeps every document."
        ),
    )
}

fn unavailable() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Temporarily unavailable",
        "A service we depend on is unavailable; try again shortly.",
    )
    .retry_after(Duration::from_secs(2))
}

fn from_order_error(error: OrderError) -> Problem {
    match error {
        OrderError::IllegalTransition { status, command } => Problem::new(
            StatusCode::CONFLICT,
            "illegal-transition",
            "Not possible in this status",
            format!("Cannot {command} an order that is {status}."),
        ),
        OrderError::NotPermitted { command: CommandKind::RefundPayment, .. } => Problem::new(
            StatusCode::FORBIDDEN,
            "not-permitted",
            "Not permitted",
            "Only the payment service or staff record the refund of a payment.",
        ),
        OrderError::NotPermitted { command, status, .. } => Problem::new(
            StatusCode::FORBIDDEN,
            "not-permitted",
            "Not permitted",
            format!("You may not {command} an order that is {status}."),
        ),
        OrderError::UnknownPayment(_) => Problem::new(
            StatusCode::NOT_FOUND,
            "payment-not-found",
            "Payment not found",
            "The order holds no unapplied payment with this id.",
        ),
        OrderError::Pricing(pricing) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "pricing", "Cannot price the order", pricing.to_string())
        }
        OrderError::UnknownCampaign(code) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-campaign",
            "Unknown campaign",
            format!("There is no campaign {code}."),
        ),
        OrderError::CreateNotPermitted { .. } => {
            Problem::new(StatusCode::FORBIDDEN, "not-permitted", "Not permitted", "You may not create orders.")
        }
        OrderError::TenantRule(rule) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "tenant-rule", "Tenant rule", rule)
        }
        OrderError::TenantAlreadyResolved { .. } => Problem::new(
            StatusCode::CONFLICT,
            "tenant-already-resolved",
            "Tenant already resolved",
            "The order already belongs to another tenant.",
        ),
        inconsistent @ OrderError::Inconsistent(_) => Problem::internal(&inconsistent),
    }
}
