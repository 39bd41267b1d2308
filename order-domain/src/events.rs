//! Event contracts: what the order system publishes, in the HLD's envelope.
//!
//! ```json
//! {
//!   "messageId": "5f0c…", "timestamp": "2026-01-06T10:30:00Z",
//!   "version": "1.0", "eventType": "ORDER_CREATED", "correlationId": "req-7f3a…",
//!   "payload": { "orderId": "order_…", "tenantId": null, "customerEmail": "…", … }
//! }
//! ```
//!
//! `correlationId` is optional: the id of the request that caused the event, when a host knew
//! one; events without it (older ones included) read as before.
//!
//! Payloads carry a full snapshot of the order, so no consumer depends on another having run
//! first. Deserializing goes through the validated constructors of every field, and an
//! `ORDER_CREATED` payload whose totals do not add up is refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::address::BillingAddress;
use crate::documents::DocumentPolicy;
use crate::email::Email;
use crate::ids::{CampaignCode, CartId, CorrelationId, OrderId, PaymentId, TenantId};
use crate::money::Currency;
use crate::order::{Order, check_snapshot};
use crate::payment::{Payment, PaymentMethod, UnappliedReason};
use crate::pricing::{OrderLine, Totals};
use crate::status::{ActorKind, OrderStatus};
use crate::text::Reason;
use crate::trace::TraceParent;

/// The version of the event schema: always `"1.0"` for these contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchemaVersion;

impl SchemaVersion {
    /// The wire value.
    pub const CURRENT: &'static str = "1.0";
}

impl TryFrom<String> for SchemaVersion {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value == Self::CURRENT {
            Ok(Self)
        } else {
            Err(format!("unsupported event version {value:?}, expected \"{}\"", Self::CURRENT))
        }
    }
}

impl From<SchemaVersion> for String {
    fn from(_: SchemaVersion) -> Self {
        SchemaVersion::CURRENT.to_owned()
    }
}

/// A published event: an id and a timestamp around an [`OrderEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventEnvelope {
    /// Unique per published event; consumers may use it to drop exact duplicates.
    pub message_id: Uuid,
    /// When the event was produced.
    pub timestamp: DateTime<Utc>,
    /// Schema version, `"1.0"`.
    pub version: SchemaVersion,
    /// The request that caused the event (`X-Request-Id`), when known; omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub correlation_id: Option<CorrelationId>,
    /// The W3C trace context of the work that produced the event (the creating request's
    /// span), so that each processor's span continues that trace; omitted when there is none.
    /// A value that is not a valid `traceparent` reads as none rather than making the event
    /// unreadable (see [`trace::lenient`](crate::trace::lenient)).
    #[serde(
        rename = "traceparent",
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "crate::trace::lenient"
    )]
    pub traceparent: Option<TraceParent>,
    /// `eventType` and `payload`.
    #[serde(flatten)]
    pub event: OrderEvent,
}

impl EventEnvelope {
    /// Wraps an event, without a correlation id. The id and time come from the caller: the
    /// domain reads no clock and draws no random numbers.
    pub fn new(message_id: Uuid, timestamp: DateTime<Utc>, event: OrderEvent) -> Self {
        Self { message_id, timestamp, version: SchemaVersion, correlation_id: None, traceparent: None, event }
    }

    /// The same envelope, naming the request that caused it.
    #[must_use]
    pub fn with_correlation_id(mut self, correlation_id: Option<CorrelationId>) -> Self {
        self.correlation_id = correlation_id;
        self
    }

    /// The same envelope, in the trace of the work that produced it.
    #[must_use]
    pub fn with_traceparent(mut self, traceparent: Option<TraceParent>) -> Self {
        self.traceparent = traceparent;
        self
    }
}

/// Something that happened to an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "eventType", content = "payload", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderEvent {
    /// An order was accepted.
    OrderCreated(OrderCreated),
    /// An order moved from one status to another.
    OrderStatusChanged(OrderStatusChanged),
    /// A verified payment was not taken as the order's consideration (the order was closed,
    /// already paid, or the amount differs): it must be refunded, and staff are told. Events
    /// published before the other reasons existed carried the type `LATE_PAYMENT_RECEIVED`;
    /// they read as this one, with the reason `ORDER_CLOSED`.
    #[serde(alias = "LATE_PAYMENT_RECEIVED")]
    UnappliedPaymentReceived(UnappliedPaymentReceived),
    /// An unapplied payment was recorded as returned to the payer.
    UnappliedPaymentRefunded(UnappliedPaymentRefunded),
}

impl OrderEvent {
    /// The wire name of the event type (`ORDER_CREATED`).
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::OrderCreated(_) => "ORDER_CREATED",
            Self::OrderStatusChanged(_) => "ORDER_STATUS_CHANGED",
            Self::UnappliedPaymentReceived(_) => "UNAPPLIED_PAYMENT_RECEIVED",
            Self::UnappliedPaymentRefunded(_) => "UNAPPLIED_PAYMENT_REFUNDED",
        }
    }

    /// The order the event is about.
    pub fn order_id(&self) -> OrderId {
        match self {
            Self::OrderCreated(e) => e.order_id,
            Self::OrderStatusChanged(e) => e.order_id,
            Self::UnappliedPaymentReceived(e) => e.order_id,
            Self::UnappliedPaymentRefunded(e) => e.order_id,
        }
    }
}

/// `ORDER_CREATED`: the HLD's payload plus the order snapshot (items, totals, createdAt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "OrderCreatedWire")]
pub struct OrderCreated {
    /// The new order.
    pub order_id: OrderId,
    /// The tenant; `null` for a guest order until the record writer resolves it.
    pub tenant_id: Option<TenantId>,
    /// The customer.
    pub customer_email: Email,
    /// The cart the order came from.
    pub cart_id: CartId,
    /// The campaign applied, if any.
    pub campaign_code: Option<CampaignCode>,
    /// Who is billed.
    pub billing_address: BillingAddress,
    /// How the customer pays.
    pub payment_method: PaymentMethod,
    /// When the order's tax invoice is issued; events published before the field existed
    /// read as `INVOICE_ON_ORDER`, the way those orders were invoiced.
    pub document_policy: DocumentPolicy,
    /// The order's currency.
    pub currency: Currency,
    /// The priced lines.
    pub items: Vec<OrderLine>,
    /// The totals.
    pub totals: Totals,
    /// When the order was created.
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OrderCreatedWire {
    order_id: OrderId,
    tenant_id: Option<TenantId>,
    customer_email: Email,
    cart_id: CartId,
    campaign_code: Option<CampaignCode>,
    billing_address: BillingAddress,
    payment_method: PaymentMethod,
    #[serde(default = "DocumentPolicy::of_earlier_records")]
    document_policy: DocumentPolicy,
    currency: Currency,
    items: Vec<OrderLine>,
    totals: Totals,
    created_at: DateTime<Utc>,
}

impl TryFrom<OrderCreatedWire> for OrderCreated {
    type Error = String;
    fn try_from(w: OrderCreatedWire) -> Result<Self, Self::Error> {
        check_snapshot(&w.items, &w.totals, w.currency).map_err(|e| e.to_string())?;
        Ok(Self {
            order_id: w.order_id,
            tenant_id: w.tenant_id,
            customer_email: w.customer_email,
            cart_id: w.cart_id,
            campaign_code: w.campaign_code,
            billing_address: w.billing_address,
            payment_method: w.payment_method,
            document_policy: w.document_policy,
            currency: w.currency,
            items: w.items,
            totals: w.totals,
            created_at: w.created_at,
        })
    }
}

/// `ORDER_STATUS_CHANGED`: one command moved the order (possibly along two edges, as a
/// payment for a PENDING order does; the order's history holds each edge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderStatusChanged {
    /// The order.
    pub order_id: OrderId,
    /// Its tenant.
    pub tenant_id: Option<TenantId>,
    /// The status before the command.
    pub from: OrderStatus,
    /// The status after it.
    pub to: OrderStatus,
    /// The order's version after the change.
    pub version: u64,
    /// When it changed.
    pub at: DateTime<Utc>,
    /// Who changed it.
    pub actor: ActorKind,
    /// Why, when given.
    pub reason: Option<Reason>,
    /// The order after the change.
    pub order: Order,
}

/// `UNAPPLIED_PAYMENT_RECEIVED`: money arrived that the order did not take — a payment for a
/// cancelled or expired order, a second payment for a paid one, or an amount that differs from
/// the total. The order's status is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnappliedPaymentReceived {
    /// The order.
    pub order_id: OrderId,
    /// Its tenant.
    pub tenant_id: Option<TenantId>,
    /// The order's status, unchanged.
    pub status: OrderStatus,
    /// The payment that needs refunding.
    pub payment: Payment,
    /// Why it was not applied (`ORDER_CLOSED` for events that predate the field).
    #[serde(default)]
    pub reason: UnappliedReason,
    /// The order's version after recording the payment.
    pub version: u64,
    /// The order after recording the payment.
    pub order: Order,
}

/// `UNAPPLIED_PAYMENT_REFUNDED`: an unapplied payment was returned to the payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnappliedPaymentRefunded {
    /// The order.
    pub order_id: OrderId,
    /// Its tenant.
    pub tenant_id: Option<TenantId>,
    /// The payment that was returned.
    pub payment_id: PaymentId,
    /// The order's version after recording the refund.
    pub version: u64,
    /// The order after recording the refund.
    pub order: Order,
}
