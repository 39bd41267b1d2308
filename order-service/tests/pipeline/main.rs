//! The whole pipeline in memory: create → fan-out → four processors → updates, with faults.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod documents;
mod faults;
mod flows;
mod races;
mod settings;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use order_app::{CreateOrderRequest, Principal, Service};
use order_domain::testing::{address, line};
use order_domain::{CartId, CartSnapshot, Email, OrderId, Payment, PaymentId, PaymentMethod, TenantId};
use order_service::memory::{InMemoryStack, StackOptions};

pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
}

pub(crate) fn stack() -> InMemoryStack {
    InMemoryStack::new(StackOptions::demo(start())).unwrap()
}

pub(crate) fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

pub(crate) fn customer(id: &str) -> Principal {
    Principal::Customer { tenant_id: tenant(id) }
}

pub(crate) fn payment_service() -> Principal {
    Principal::Service(Service::Payment)
}

/// Seeds a cart of `tenant_acme` of two lines (R1 150.00 + R199.00 = R1 349.00) and returns a
/// request for it.
pub(crate) fn request(stack: &InMemoryStack, cart: &str, email: &str) -> CreateOrderRequest {
    request_of(stack, Some("tenant_acme"), cart, email)
}

/// As [`request`], for a guest's cart.
pub(crate) fn guest_request(stack: &InMemoryStack, cart: &str, email: &str) -> CreateOrderRequest {
    request_of(stack, None, cart, email)
}

/// As [`request`], for a cart of `owner` (`None`: a guest's).
pub(crate) fn request_of(stack: &InMemoryStack, owner: Option<&str>, cart: &str, email: &str) -> CreateOrderRequest {
    let cart_id = CartId::parse(cart).unwrap();
    let owner = owner.map_or(order_domain::CartOwner::Guest, |owner| order_domain::CartOwner::Tenant(tenant(owner)));
    stack.carts.add_cart(
        CartSnapshot::new(
            cart_id.clone(),
            owner,
            vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
        )
        .unwrap(),
    );
    CreateOrderRequest {
        cart_id,
        customer_email: Email::parse(email).unwrap(),
        campaign_code: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        items: None,
    }
}

pub(crate) fn payment(id: &str, amount: &str) -> Payment {
    Payment {
        payment_id: PaymentId::parse(id).unwrap(),
        amount: order_domain::testing::zar(amount),
        method: PaymentMethod::Payfast,
        paid_at: start(),
    }
}

/// Creates a tenant order for `cart` (customer thandi@example.co.za) without running the fan-out.
pub(crate) async fn accepted_order(stack: &InMemoryStack, tenant_id: &str, cart: &str) -> OrderId {
    let request = request_of(stack, Some(tenant_id), cart, "thandi@example.co.za");
    stack.app.create_for_tenant(&customer(tenant_id), &tenant(tenant_id), request, None).await.unwrap().order_id
}

/// Creates a tenant order for `cart` and runs the fan-out.
pub(crate) async fn recorded_order(stack: &InMemoryStack, tenant_id: &str, cart: &str) -> OrderId {
    let id = accepted_order(stack, tenant_id, cart).await;
    stack.drain().await.unwrap();
    id
}

/// Events seen by a spy queue subscribed to the topic, in publication order.
pub(crate) async fn spied(queue: &Arc<adapters_memory::MemoryQueue>) -> Vec<order_domain::EventEnvelope> {
    use order_ports::EventQueue;
    let mut events = Vec::new();
    loop {
        let batch = queue.receive(10, std::time::Duration::ZERO).await.unwrap();
        if batch.is_empty() {
            return events;
        }
        for delivery in batch {
            queue.ack(&delivery.receipt).await.unwrap();
            events.push(delivery.event.unwrap());
        }
    }
}

/// The text of every page of a PDF, extracted by a real PDF parser.
pub(crate) fn pdf_text(bytes: &[u8]) -> String {
    let document = lopdf::Document::load_mem(bytes).expect("a PDF lopdf can open");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document.extract_text(&pages).unwrap()
}
