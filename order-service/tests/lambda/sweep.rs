//! The sweep handler in memory, invoked with the recorded EventBridge schedule: the relay
//! publishes what a failed publish left in the outbox, the expiry pages through stale orders
//! until none is left or the deadline is near, and a failure fails the invocation.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use adapters_lambda::{SweepFailed, handle_sweep, handle_sweep_with};
use adapters_memory::{MemoryQueue, QueueConfig};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use order_app::{
    CreateOrderRequest, Messaging, Principal, StatusChange, Storage, SweepError, SweepOptions, SweepStage, SweepSummary,
};
use order_domain::testing::{address, line};
use order_domain::{
    CartId, CartSnapshot, Email, EventEnvelope, Order, OrderEvent, OrderId, OrderStatus, PaymentMethod, TenantId,
};
use order_ports::{
    EventPublisher, EventQueue, ListQuery, OrderPage, OrderRepository, OrderUpdate, OutboxEntry, PortError, PortResult,
};
use order_service::memory::{InMemoryStack, StackOptions};

use crate::scheduled_event;

const SCHEDULE: &str = "scheduled_event.json";

fn tenant() -> TenantId {
    TenantId::parse("tenant_acme").unwrap()
}

fn customer() -> Principal {
    Principal::Customer { tenant_id: tenant() }
}

fn stack() -> InMemoryStack {
    InMemoryStack::new(StackOptions::demo(Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap())).unwrap()
}

/// A deadline a minute away: plenty for an in-memory sweep.
fn a_minute_left() -> SystemTime {
    SystemTime::now() + Duration::from_mins(1)
}

/// Creates a tenant order for `cart` and runs the fan-out, so the order is recorded.
async fn recorded_order(stack: &InMemoryStack, cart: &str) -> OrderId {
    let cart_id = CartId::parse(cart).unwrap();
    stack.carts.add_cart(
        CartSnapshot::new(
            cart_id.clone(),
            order_domain::CartOwner::Tenant(tenant()),
            vec![line("HOSTING-PRO", "575.00", 1)],
        )
        .unwrap(),
    );
    let request = CreateOrderRequest {
        cart_id,
        customer_email: Email::parse("thandi@example.co.za").unwrap(),
        campaign_code: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        items: None,
    };
    let id = stack.app.create_for_tenant(&customer(), &tenant(), request, None).await.unwrap().order_id;
    stack.drain().await.unwrap();
    id
}

async fn order(stack: &InMemoryStack, id: OrderId) -> Order {
    stack.app.get(&Principal::Staff, id).await.unwrap()
}

/// Every event a spy queue received since it subscribed: (order, event type, new status).
async fn spied(queue: &Arc<MemoryQueue>) -> Vec<(OrderId, &'static str, Option<OrderStatus>)> {
    let mut seen = Vec::new();
    loop {
        let batch = queue.receive(10, Duration::ZERO).await.unwrap();
        if batch.is_empty() {
            return seen;
        }
        for delivery in batch {
            queue.ack(&delivery.receipt).await.unwrap();
            let event = delivery.event.unwrap();
            let to = match &event.event {
                OrderEvent::OrderStatusChanged(changed) => Some(changed.to),
                _ => None,
            };
            seen.push((event.event.order_id(), event.event.event_type(), to));
        }
    }
}

/// A topic that cannot be reached.
struct Unreachable;

#[async_trait]
impl EventPublisher for Unreachable {
    async fn publish(&self, _event: &EventEnvelope) -> PortResult<()> {
        Err(PortError::transient("topic unreachable"))
    }
}

/// Cancels `id` through an application whose topic is down: the change commits, its event
/// stays in the outbox.
async fn cancel_while_the_topic_is_down(stack: &InMemoryStack, id: OrderId) {
    let app = stack.app.to_builder().messaging(Messaging { publisher: Arc::new(Unreachable) }).build().unwrap();
    app.update(&customer(), id, StatusChange::Cancel(None), None).await.unwrap();
    assert_eq!(stack.store.pending_outbox(10).await.unwrap().len(), 1, "the event waits in the outbox");
}

#[tokio::test]
async fn the_scheduled_sweep_relays_the_outbox_and_expires_a_stale_order() {
    let stack = stack();
    let stale = recorded_order(&stack, "cart_1").await;
    let cancelled = recorded_order(&stack, "cart_2").await;
    let spy = stack.bus.subscribe("spy", QueueConfig::default());
    cancel_while_the_topic_is_down(&stack, cancelled).await;
    stack.clock.advance(TimeDelta::hours(25));

    let summary = handle_sweep(&stack.app, scheduled_event(SCHEDULE), a_minute_left()).await.unwrap();
    assert_eq!(
        summary,
        SweepSummary {
            outbox_published: 1,
            claims_republished: 0,
            // One order found, fewer than a page holds: no second page to find nothing.
            pages: 1,
            expired: 1,
            cancelled: 0,
            skipped: 0,
            out_of_time: false
        }
    );
    assert_eq!(order(&stack, stale).await.status(), OrderStatus::Expired);
    assert_eq!(order(&stack, cancelled).await.status(), OrderStatus::Cancelled);
    assert!(stack.store.pending_outbox(10).await.unwrap().is_empty(), "the outbox is empty");
    let events = spied(&spy).await;
    assert!(events.contains(&(cancelled, "ORDER_STATUS_CHANGED", Some(OrderStatus::Cancelled))), "{events:?}");
    assert!(events.contains(&(stale, "ORDER_STATUS_CHANGED", Some(OrderStatus::Expired))), "{events:?}");
    assert_eq!(events.len(), 2, "{events:?}");

    // The next run finds nothing to do.
    let summary = handle_sweep(&stack.app, scheduled_event(SCHEDULE), a_minute_left()).await.unwrap();
    assert_eq!(summary, SweepSummary { pages: 1, ..SweepSummary::default() });
    assert!(spied(&spy).await.is_empty());
}

#[tokio::test]
async fn the_expiry_pages_until_no_stale_order_is_left() {
    let stack = stack();
    let mut ids = Vec::new();
    for cart in ["cart_1", "cart_2", "cart_3"] {
        ids.push(recorded_order(&stack, cart).await);
    }
    stack.clock.advance(TimeDelta::hours(25));
    let options = SweepOptions { page_size: 1, ..SweepOptions::default() };
    let summary = handle_sweep_with(&stack.app, scheduled_event(SCHEDULE), a_minute_left(), options).await.unwrap();
    assert_eq!((summary.pages, summary.expired, summary.out_of_time), (4, 3, false), "{summary:?}");
    for id in ids {
        assert_eq!(order(&stack, id).await.status(), OrderStatus::Expired);
    }
}

#[tokio::test]
async fn near_the_deadline_the_relay_still_runs_and_the_expiry_waits_for_the_next_run() {
    let stack = stack();
    let stale = recorded_order(&stack, "cart_1").await;
    let cancelled = recorded_order(&stack, "cart_2").await;
    cancel_while_the_topic_is_down(&stack, cancelled).await;
    stack.clock.advance(TimeDelta::hours(25));

    let deadline = SystemTime::now() + Duration::from_secs(5); // less than the 10 s reserve
    let summary = handle_sweep(&stack.app, scheduled_event(SCHEDULE), deadline).await.unwrap();
    assert_eq!(summary, SweepSummary { outbox_published: 1, out_of_time: true, ..SweepSummary::default() });
    assert_eq!(order(&stack, stale).await.status(), OrderStatus::Pending, "left for the next run");

    let summary = handle_sweep(&stack.app, scheduled_event(SCHEDULE), a_minute_left()).await.unwrap();
    assert_eq!((summary.expired, summary.out_of_time), (1, false));
}

/// The orders of the stack, except that the feed of stale orders cannot be read.
struct StaleFeedDown(Arc<dyn OrderRepository>);

#[async_trait]
impl OrderRepository for StaleFeedDown {
    async fn insert(&self, order: &Order) -> PortResult<()> {
        self.0.insert(order).await
    }
    async fn get(&self, tenant: &TenantId, id: OrderId) -> PortResult<Order> {
        self.0.get(tenant, id).await
    }
    async fn get_by_id(&self, id: OrderId) -> PortResult<Order> {
        self.0.get_by_id(id).await
    }
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> PortResult<OrderPage> {
        self.0.list(tenant, query).await
    }
    async fn update<'a>(&self, update: OrderUpdate<'a>) -> PortResult<()> {
        self.0.update(update).await
    }
    async fn stale(&self, _status: OrderStatus, _before: DateTime<Utc>, _limit: usize) -> PortResult<Vec<Order>> {
        Err(PortError::transient("index unavailable"))
    }
    async fn pending_outbox(&self, limit: usize) -> PortResult<Vec<OutboxEntry>> {
        self.0.pending_outbox(limit).await
    }
    async fn clear_outbox(&self, entry: &OutboxEntry) -> PortResult<()> {
        self.0.clear_outbox(entry).await
    }
}

#[tokio::test]
async fn a_failing_expiry_fails_the_invocation_after_the_relay_did_its_part() {
    let stack = stack();
    let cancelled = recorded_order(&stack, "cart_1").await;
    cancel_while_the_topic_is_down(&stack, cancelled).await;
    let storage = Storage { orders: Arc::new(StaleFeedDown(stack.store.clone())), ..stack.app.storage().clone() };
    let app = stack.app.to_builder().storage(storage).build().unwrap();

    let error = handle_sweep(&app, scheduled_event(SCHEDULE), a_minute_left()).await.unwrap_err();
    let SweepFailed(SweepError { stage, source, summary }) = &error;
    assert_eq!(*stage, SweepStage::Expiry);
    assert!(source.is_retryable(), "{source}");
    assert_eq!(*summary, SweepSummary { outbox_published: 1, ..SweepSummary::default() });
    assert!(error.to_string().starts_with("expiry failed: "), "{error}");
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "SweepError");
}

#[test]
fn the_recorded_schedule_is_an_eventbridge_scheduled_event() {
    let event = scheduled_event(SCHEDULE);
    assert_eq!(event.detail_type.as_deref(), Some("Scheduled Event"));
    assert_eq!(event.source.as_deref(), Some("aws.events"));
    assert_eq!(event.time, Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap());
}
