//! Storing orders, and the claims that make creates idempotent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use order_domain::{CartId, EventEnvelope, Order, OrderId, OrderStatus, Payment, TenantId};
use serde::{Deserialize, Serialize};

use crate::error::PortResult;

/// An opaque position in a listing, produced by the repository that listed. Hosts must not
/// hand a client this value as it is: they sign it and bind it to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PageCursor(pub String);

/// Which orders to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders created at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Only orders created before this instant.
    pub created_before: Option<DateTime<Utc>>,
    /// At most this many orders (1 to [`ListQuery::MAX_LIMIT`]).
    pub limit: u32,
    /// Continue after this position.
    pub cursor: Option<PageCursor>,
}

impl ListQuery {
    /// The largest page.
    pub const MAX_LIMIT: u32 = 100;

    /// The first page of everything, `limit` at a time.
    pub fn first(limit: u32) -> Self {
        Self { status: None, created_from: None, created_before: None, limit, cursor: None }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    /// Newest first.
    pub orders: Vec<Order>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
}

/// One change of an order, committed atomically.
#[derive(Debug, Clone, Copy)]
pub struct OrderUpdate<'a> {
    /// The order after the change (its version is `expected_version + 1`).
    pub order: &'a Order,
    /// The version the caller loaded.
    pub expected_version: u64,
    /// The events announcing the change, stored with it in the outbox so that a crash between
    /// this write and their publication loses nothing.
    pub events: &'a [EventEnvelope],
    /// A payment applied by this change: a record keyed by its id is written in the same step.
    pub payment: Option<&'a Payment>,
}

/// An event committed with an order change and not yet published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The order's tenant.
    pub tenant_id: TenantId,
    /// The order.
    pub order_id: OrderId,
    /// The event to publish.
    pub event: EventEnvelope,
}

/// The orders of all tenants.
///
/// Orders live under their tenant; an order is only ever stored with its tenant resolved.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Stores a new order unless one with its id is already stored, and — in the same atomic
    /// step — marks the cart claim for `order.cart_id()` as recorded when there is one. This is
    /// the record writer's write, safe under at-least-once delivery.
    ///
    /// # Errors
    /// MUST return [`AlreadyExists`](crate::PortError::AlreadyExists) when an order with this id
    /// is stored (nothing is changed), and
    /// [`InvalidData`](crate::PortError::InvalidData) when the order has no tenant.
    async fn insert(&self, order: &Order) -> PortResult<()>;

    /// The order with this id under this tenant.
    ///
    /// # Errors
    /// MUST return [`NotFound`](crate::PortError::NotFound) when the tenant has no such order,
    /// including when the id exists under another tenant.
    async fn get(&self, tenant: &TenantId, id: OrderId) -> PortResult<Order>;

    /// The order with this id, whatever its tenant: for staff, services and id-only routes.
    /// The caller must check the tenant before showing the order to anyone.
    ///
    /// # Errors
    /// MUST return [`NotFound`](crate::PortError::NotFound) when no order has this id.
    async fn get_by_id(&self, id: OrderId) -> PortResult<Order>;

    /// A tenant's orders, newest first (by creation time, then id), filtered by the query.
    ///
    /// # Errors
    /// MUST return [`InvalidData`](crate::PortError::InvalidData) for a cursor this repository
    /// did not produce for this tenant.
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> PortResult<OrderPage>;

    /// Replaces the order if the stored version is `update.expected_version`, adding
    /// `update.events` to the outbox and, when `update.payment` is set, writing a payment record
    /// keyed by its id — all or nothing.
    ///
    /// # Errors
    /// MUST return [`Conflict`](crate::PortError::Conflict) when the stored version differs
    /// (nothing is written), [`NotFound`](crate::PortError::NotFound) when the order is not
    /// stored, and [`AlreadyExists`](crate::PortError::AlreadyExists) when a payment record with
    /// that id already exists for another order.
    async fn update<'a>(&self, update: OrderUpdate<'a>) -> PortResult<()>;

    /// Orders in `status` that entered it at or before `before` (see
    /// [`Order::status_since`]), oldest first, at most `limit`, across all tenants: what the
    /// expiry sweep looks at.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn stale(&self, status: OrderStatus, before: DateTime<Utc>, limit: usize) -> PortResult<Vec<Order>>;

    /// Outbox entries not yet published, oldest first, at most `limit`.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn pending_outbox(&self, limit: usize) -> PortResult<Vec<OutboxEntry>>;

    /// Removes a published entry from the outbox. Removing an entry that is gone is a success.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn clear_outbox(&self, entry: &OutboxEntry) -> PortResult<()>;

    /// Removes a published entry from the outbox soon, off the caller's path: adapters may
    /// batch the removal in the background and return at once (the default removes it now).
    /// An entry whose removal never happens — the process stopped first — stays pending and the
    /// relay publishes it again, which consumers tolerate (they are idempotent by message id).
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable), when the removal could be neither
    /// handed over nor done.
    async fn clear_outbox_soon(&self, entry: &OutboxEntry) -> PortResult<()> {
        self.clear_outbox(entry).await
    }

    /// Waits until every removal handed to [`clear_outbox_soon`](Self::clear_outbox_soon) so
    /// far has been done (or has failed and been logged). Hosts call it as they stop, so that a
    /// clean stop leaves nothing for the relay to publish again. The default has nothing to
    /// wait for.
    async fn flush_outbox_clearing(&self) {}
}

/// A claim on a cart by the create that turned it into an order: the API's only write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartClaim {
    /// The claimed cart.
    pub cart_id: CartId,
    /// The order the cart became.
    pub order_id: OrderId,
    /// The idempotency key the client sent, if any, scoped by its caller as `{scope}/{key}`
    /// (`order_app::usecases::create::idempotency_scope`, e.g. `customer:tenant_acme/key-1`,
    /// `guest:cart_1/key-1`), so that one caller's key never meets another's. Adapters compare
    /// it whole.
    pub idempotency_key: Option<String>,
    /// A hash of the create request, to tell a replay from a different request with the same key.
    pub request_hash: String,
    /// The `ORDER_CREATED` event, re-published when the create is retried.
    pub event: EventEnvelope,
    /// When the claim was made.
    pub claimed_at: DateTime<Utc>,
    /// `true` once the record writer has stored the order.
    pub recorded: bool,
}

/// What a claim attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The claim is new: this create owns the cart.
    Claimed,
    /// The cart (or the idempotency key) was already claimed; here is that claim.
    AlreadyClaimed(Box<CartClaim>),
}

/// Claims on carts (and idempotency keys), so that no cart ever becomes two orders.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CartClaims: Send + Sync {
    /// Claims the cart — and the idempotency key, when the claim has one — unless either is
    /// already claimed, in one atomic step.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable): an existing claim is an outcome,
    /// [`ClaimOutcome::AlreadyClaimed`], not an error.
    async fn claim(&self, claim: &CartClaim) -> PortResult<ClaimOutcome>;

    /// The claim on this cart, if any.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn find(&self, cart: &CartId) -> PortResult<Option<CartClaim>>;

    /// Claims not yet recorded that were made before `before`, oldest first, at most `limit`:
    /// what the relay re-publishes for clients that never retried.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn unrecorded(&self, before: DateTime<Utc>, limit: usize) -> PortResult<Vec<CartClaim>>;
}
