//! The orders, events and claims the suites write, built from `order_domain::testing`.

use chrono::{DateTime, TimeDelta, Utc};
use order_domain::testing::{new_order, now, zar};
use order_domain::{
    ActorKind, CartId, EventEnvelope, NewOrder, Order, OrderEvent, OrderId, Payment, PaymentId, PaymentMethod,
    PricingRules, TenantId,
};
use uuid::Uuid;

use crate::orders::CartClaim;

/// The tenant most suites write under.
pub const TENANT: &str = "tenant_contract_a";
/// Another tenant, to check isolation.
pub const OTHER_TENANT: &str = "tenant_contract_b";

/// A tenant id from a valid literal.
///
/// # Panics
/// When `id` is not a valid tenant id.
pub fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap_or_else(|e| panic!("test tenant id {id:?}: {e}"))
}

/// A cart id from a valid literal.
///
/// # Panics
/// When `id` is not a valid cart id.
pub fn cart(id: &str) -> CartId {
    CartId::parse(id).unwrap_or_else(|e| panic!("test cart id {id:?}: {e}"))
}

/// `order_domain::testing::now()` plus `minutes`.
pub fn minutes(minutes: i64) -> DateTime<Utc> {
    now() + TimeDelta::minutes(minutes)
}

/// A PENDING order (total R1 349.00) of `tenant`, created at `created_at`, with entropy `seq`
/// in its id and its own cart `cart_{seq}`.
///
/// # Panics
/// Never for valid arguments.
pub fn order(tenant_id: &str, seq: u32, created_at: DateTime<Utc>) -> Order {
    let base = new_order();
    let cart = order_domain::CartSnapshot::new(
        cart(&format!("cart_{seq}")),
        order_domain::CartOwner::Tenant(tenant(tenant_id)),
        base.cart.lines().to_vec(),
    )
    .unwrap_or_else(|e| panic!("test cart: {e}"));
    let new = NewOrder {
        id: OrderId::from_parts(created_at, u128::from(seq)),
        tenant_id: Some(tenant(tenant_id)),
        cart,
        ..base
    };
    create(new, ActorKind::Customer, created_at)
}

/// A guest order: no tenant yet.
///
/// # Panics
/// Never.
pub fn guest_order(seq: u32) -> Order {
    let new = NewOrder { id: OrderId::from_parts(now(), u128::from(seq)), tenant_id: None, ..new_order() };
    create(new, ActorKind::Guest, now())
}

fn create(new: NewOrder, actor: ActorKind, at: DateTime<Utc>) -> Order {
    match Order::create(new, &PricingRules::south_africa(), actor, at) {
        Ok((order, _)) => order,
        Err(e) => panic!("test order: {e}"),
    }
}

/// A verified payment of the full R1 349.00 under `id`.
///
/// # Panics
/// When `id` is not a valid payment id.
pub fn payment(id: &str) -> Payment {
    Payment {
        payment_id: PaymentId::parse(id).unwrap_or_else(|e| panic!("test payment id {id:?}: {e}")),
        amount: zar("1349.00"),
        method: PaymentMethod::Payfast,
        paid_at: minutes(5),
    }
}

/// Wraps an event in an envelope with message id `seq`.
pub fn envelope(seq: u128, event: OrderEvent) -> EventEnvelope {
    EventEnvelope::new(Uuid::from_u128(seq), now(), event)
}

/// The `ORDER_CREATED` envelope of `order`, with message id `seq`.
pub fn created(seq: u128, order: &Order) -> EventEnvelope {
    envelope(seq, OrderEvent::OrderCreated(order.created_event()))
}

/// `order` after `change`, with the events it produced wrapped as envelopes (message ids from
/// `first_seq` on).
///
/// # Panics
/// When the domain refuses the change.
pub fn changed(
    order: &Order,
    first_seq: u128,
    change: impl FnOnce(&mut Order) -> Result<Vec<OrderEvent>, order_domain::OrderError>,
) -> (Order, Vec<EventEnvelope>) {
    let mut next = order.clone();
    let events = change(&mut next).unwrap_or_else(|e| panic!("test change refused: {e}"));
    let envelopes = events.into_iter().zip(first_seq..).map(|(event, seq)| envelope(seq, event)).collect();
    (next, envelopes)
}

/// A claim of cart `cart_id` by `order`, made at `claimed_at`, not yet recorded.
pub fn claim(cart_id: &str, order: &Order, key: Option<&str>, claimed_at: DateTime<Utc>) -> CartClaim {
    CartClaim {
        cart_id: cart(cart_id),
        order_id: order.id(),
        idempotency_key: key.map(str::to_owned),
        request_hash: format!("hash-of-{}", order.id()),
        event: created(1, order),
        claimed_at,
        recorded: false,
    }
}
