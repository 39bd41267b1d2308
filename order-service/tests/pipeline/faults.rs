//! Faults: duplicate deliveries, flaky and broken processors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use adapters_memory::QueueConfig;
use async_trait::async_trait;
use order_app::{AppError, Principal, Processor, StatusChange};
use order_domain::{Email, EventEnvelope, OrderStatus};
use order_ports::{DocumentKey, DocumentKind, DocumentStore, EventPublisher, EventQueue, PortError, ProcessorKind};

use crate::*;

/// Fails its first `failures` calls, then delegates.
struct Flaky {
    inner: Arc<dyn Processor>,
    failures: u32,
    calls: AtomicU32,
}

#[async_trait]
impl Processor for Flaky {
    fn kind(&self) -> ProcessorKind {
        self.inner.kind()
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            return Err(AppError::Dependency { context: "injected fault", source: PortError::transient("down") });
        }
        self.inner.handle(event).await
    }
}

fn flaky(inner: Arc<dyn Processor>, failures: u32) -> Arc<Flaky> {
    Arc::new(Flaky { inner, failures, calls: AtomicU32::new(0) })
}

#[tokio::test]
async fn every_event_delivered_twice_has_one_effect() {
    let stack = stack();
    let spy = stack.bus.subscribe("spy", QueueConfig::default());
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;
    stack.app.confirm_payment(&payment_service(), id, payment("pf_1", "1349.00")).await.unwrap();
    stack.app.update(&Principal::Staff, id, StatusChange::StartProcessing, None).await.unwrap();
    stack.drain().await.unwrap();
    let before = (stack.store.order_count(), stack.mailbox.sent().len(), stack.documents.len());
    let invoice_key = DocumentKey { tenant_id: tenant("tenant_acme"), order_id: id, kind: DocumentKind::TaxInvoice };
    let invoice = stack.documents.get(&invoice_key).await.unwrap();

    // Deliver every event a second time.
    let events = spied(&spy).await;
    assert_eq!(events.len(), 3, "created, paid, processing");
    for event in &events {
        stack.bus.publish(event).await.unwrap();
    }
    let report = stack.drain().await.unwrap();
    assert_eq!(report.total().handled, 12, "every duplicate was handled: {report:?}");

    assert_eq!((stack.store.order_count(), stack.mailbox.sent().len(), stack.documents.len()), before);
    assert_eq!(
        before,
        (1, 4, 3),
        "one order; confirmation, internal, PAID, PROCESSING emails; pro forma, tax invoice and receipt"
    );
    assert_eq!(stack.documents.get(&invoice_key).await.unwrap(), invoice, "the rewritten invoice has the same bytes");
}

#[tokio::test]
async fn a_processor_that_fails_twice_then_succeeds_completes_once() {
    let stack = stack();
    let mut processors = stack.processors();
    let customer_notifier = flaky(processors.customer_notifier.clone(), 2);
    processors.customer_notifier = customer_notifier.clone();
    let id = accepted_order(&stack, "tenant_acme", "cart_1").await;
    let report = stack.consumer(processors).drain().await.unwrap();

    assert_eq!(customer_notifier.calls.load(Ordering::SeqCst), 3);
    assert_eq!(report.processors.customer_notifier.failed, 2);
    assert_eq!(report.processors.customer_notifier.handled, 1);
    let to_customer = stack.mailbox.sent_to(&Email::parse("thandi@example.co.za").unwrap());
    assert_eq!(to_customer.len(), 1, "sent exactly once");
    assert_eq!(stack.queue(ProcessorKind::CustomerNotifier).dead_letter_depth(), 0);
    assert!(stack.app.get(&Principal::Staff, id).await.is_ok());
}

#[tokio::test]
async fn a_processor_that_always_fails_dead_letters_and_harms_nothing_else() {
    let stack = stack();
    let mut processors = stack.processors();
    processors.invoice_writer = flaky(processors.invoice_writer.clone(), u32::MAX);
    let id = accepted_order(&stack, "tenant_acme", "cart_1").await;
    let report = stack.consumer(processors).drain().await.unwrap();

    let invoices = stack.queue(ProcessorKind::InvoiceWriter);
    assert_eq!(invoices.dead_letter_depth(), 1, "the event ends in the invoice writer's DLQ");
    assert_eq!(report.processors.invoice_writer.failed, 4, "after its retry budget of 4 receives");
    assert!(stack.documents.is_empty());
    // The other three completed.
    assert_eq!(stack.app.get(&Principal::Staff, id).await.unwrap().status(), OrderStatus::Pending);
    assert_eq!(stack.mailbox.sent().len(), 2);
    for kind in [ProcessorKind::RecordWriter, ProcessorKind::InternalNotifier, ProcessorKind::CustomerNotifier] {
        assert_eq!(stack.queue(kind).dead_letter_depth(), 0, "{kind}");
    }

    // Once the fault is fixed, a redrive completes the work.
    assert_eq!(invoices.redrive(10).await.unwrap(), 1);
    stack.drain().await.unwrap();
    assert_eq!(stack.documents.len(), 1);
}

#[tokio::test]
async fn a_failed_publish_after_a_change_is_relayed_from_the_outbox() {
    let stack = stack();
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;
    stack.bus.fail_next_publishes(1);
    stack.app.update(&customer("tenant_acme"), id, StatusChange::Cancel(None), None).await.unwrap();
    stack.drain().await.unwrap();
    let customer_email = Email::parse("thandi@example.co.za").unwrap();
    assert_eq!(stack.mailbox.sent_to(&customer_email).len(), 1, "the cancellation email waits for the relay");

    let relayed = stack.app.relay(100).await.unwrap();
    assert_eq!(relayed.outbox_published, 1);
    stack.drain().await.unwrap();
    assert_eq!(stack.mailbox.sent_to(&customer_email).len(), 2, "confirmation, then cancellation");
    assert_eq!(stack.app.relay(100).await.unwrap().outbox_published, 0, "the outbox is clear");
}

#[tokio::test]
async fn a_create_whose_publish_failed_and_was_never_retried_is_relayed() {
    let stack = stack();
    stack.bus.fail_next_publishes(1);
    let error = stack
        .app
        .create_for_tenant(&customer("tenant_acme"), &tenant("tenant_acme"), request(&stack, "cart_1", "a@b.co"), None)
        .await
        .unwrap_err();
    assert!(error.is_retryable());
    stack.drain().await.unwrap();
    assert_eq!(stack.store.order_count(), 0);

    assert_eq!(stack.app.relay(100).await.unwrap().claims_republished, 0, "within the grace period");
    stack.clock.advance(chrono::TimeDelta::minutes(1));
    assert_eq!(stack.app.relay(100).await.unwrap().claims_republished, 1);
    stack.drain().await.unwrap();
    assert_eq!(stack.store.order_count(), 1);
    assert_eq!(stack.app.relay(100).await.unwrap().claims_republished, 0, "recorded claims are not re-published");
}
