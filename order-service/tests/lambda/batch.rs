//! The processor handler in memory, fed the recorded SQS batches: partial batch responses,
//! redelivery, poison messages, records without a message id, the concurrency bound, and what
//! the metrics count of the records that did not succeed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use adapters_lambda::{BatchError, handle_sqs_batch, handle_sqs_batch_with};
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{TimeZone, Utc};
use order_app::{AppError, OrderApp, Processor, Storage};
use order_domain::{Email, EventEnvelope, OrderId, Tenant, TenantId};
use order_ports::{EventQueue, PortError, PortResult, ProcessorKind, TenantDirectory};
use order_service::memory::{InMemoryStack, StackOptions};
use order_service::metrics::emf::EmfRecorder;

use crate::sqs_event;

/// The recorded record-writer batch: a tenant order, the golden guest order, a guest order.
const BATCH: &str = "sqs_record_writer_batch.json";
const GOLDEN_MESSAGE: &str = "3b2a6f0e-5c1d-4e8f-9a7b-1c2d3e4f5a6b";
const GUEST_ORDER_MESSAGE: &str = "9beabfd9-493d-4cb8-abc7-1328b6197dfb";
const TENANT_ORDER: &str = "order_01M89KXAK7XZPE36X51VY6ZQ8H";
const GOLDEN_ORDER: &str = "order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A";
const GUEST_ORDER: &str = "order_01M89KXAM8SACPRXM0SD0PHHMD";

/// The recorded batch of one good record, an SNS notification (raw delivery off) and a text
/// sent by hand from the console.
const POISON: &str = "sqs_poison_batch.json";
const SNS_NOTIFICATION_MESSAGE: &str = "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a";
const CONSOLE_TEXT_MESSAGE: &str = "e4d3c2b1-a0f9-4e8d-b7c6-a5b4c3d2e1f0";

fn stack() -> InMemoryStack {
    InMemoryStack::new(StackOptions::demo(Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap())).unwrap()
}

fn order_id(id: &str) -> OrderId {
    id.parse().unwrap()
}

fn failed_ids(response: &SqsBatchResponse) -> Vec<&str> {
    let mut ids: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    ids.sort_unstable();
    ids
}

/// The tenant directory, unreachable for the first `failures` look-ups of one email address.
struct FlakyTenants {
    inner: Arc<dyn TenantDirectory>,
    email: Email,
    failures: AtomicU32,
}

#[async_trait]
impl TenantDirectory for FlakyTenants {
    async fn find_by_email(&self, email: &Email) -> PortResult<Option<Tenant>> {
        if *email == self.email
            && self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
        {
            return Err(PortError::transient("tenant directory throttled"));
        }
        self.inner.find_by_email(email).await
    }

    async fn create_unvalidated(&self, id: &TenantId, email: &Email, at: chrono::DateTime<Utc>) -> PortResult<Tenant> {
        self.inner.create_unvalidated(id, email, at).await
    }
}

/// The stack's application with the tenant directory failing once for the golden sample's
/// customer (whose guest order must resolve a tenant before it is recorded).
fn app_with_flaky_tenants(stack: &InMemoryStack) -> Arc<OrderApp> {
    let tenants = FlakyTenants {
        inner: stack.tenants.clone(),
        email: Email::parse("user@example.com").unwrap(),
        failures: AtomicU32::new(1),
    };
    let storage = Storage { tenants: Arc::new(tenants), ..stack.app.storage().clone() };
    stack.app.to_builder().storage(storage).build().unwrap()
}

/// The record writer's queue, on which the handler defers a record that meets a lease.
fn records_queue(stack: &InMemoryStack) -> &dyn EventQueue {
    stack.queue(ProcessorKind::RecordWriter).as_ref()
}

fn recorded(stack: &InMemoryStack, id: &str) -> bool {
    stack.store.stored_item(order_id(id)).is_some()
}

#[tokio::test]
async fn a_retryable_failure_reports_exactly_that_record_and_its_redelivery_completes_it() {
    let stack = stack();
    let app = app_with_flaky_tenants(&stack);
    let writer = app.processor(ProcessorKind::RecordWriter);
    let batch = sqs_event(BATCH);
    assert_eq!(batch.records.len(), 3);

    let response = handle_sqs_batch(writer.as_ref(), records_queue(&stack), batch.clone()).await.unwrap();
    assert_eq!(failed_ids(&response), [GOLDEN_MESSAGE]);
    assert!(recorded(&stack, TENANT_ORDER) && recorded(&stack, GUEST_ORDER), "the other records were handled");
    assert!(!recorded(&stack, GOLDEN_ORDER));
    assert_eq!(stack.store.order_count(), 2);

    // SQS redelivers only the reported record; this time the directory answers.
    let mut redelivered = batch.clone();
    redelivered.records.retain(|r| r.message_id.as_deref() == Some(GOLDEN_MESSAGE));
    redelivered.records[0].attributes.insert("ApproximateReceiveCount".into(), "2".into());
    let response = handle_sqs_batch(writer.as_ref(), records_queue(&stack), redelivered).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert!(recorded(&stack, GOLDEN_ORDER));

    // At-least-once: the whole batch once more changes nothing.
    let before = (stack.store.stored_item(order_id(GOLDEN_ORDER)), stack.store.order_count(), stack.tenants.len());
    let response = handle_sqs_batch(writer.as_ref(), records_queue(&stack), batch).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let after = (stack.store.stored_item(order_id(GOLDEN_ORDER)), stack.store.order_count(), stack.tenants.len());
    assert_eq!(after, before);
    assert_eq!(stack.tenants.len(), 2, "one tenant per guest email");
}

/// Refuses every event about one order with an error no retry can fix.
struct Refusing {
    inner: Arc<dyn Processor>,
    order: OrderId,
}

#[async_trait]
impl Processor for Refusing {
    fn kind(&self) -> ProcessorKind {
        self.inner.kind()
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        if event.event.order_id() == self.order {
            return Err(AppError::NotAllowed("injected permanent failure"));
        }
        self.inner.handle(event).await
    }
}

#[tokio::test]
async fn a_permanent_failure_is_reported_too_so_that_the_message_reaches_the_dead_letter_queue() {
    let stack = stack();
    let writer = Refusing { inner: stack.app.processor(ProcessorKind::RecordWriter), order: order_id(GUEST_ORDER) };
    let response = handle_sqs_batch(&writer, records_queue(&stack), sqs_event(BATCH)).await.unwrap();
    assert_eq!(failed_ids(&response), [GUEST_ORDER_MESSAGE]);
    assert_eq!(stack.store.order_count(), 2);
}

#[tokio::test]
async fn undecodable_bodies_are_reported_as_failures_and_the_rest_is_handled() {
    let stack = stack();
    let writer = stack.app.processor(ProcessorKind::RecordWriter);
    let response = handle_sqs_batch(writer.as_ref(), records_queue(&stack), sqs_event(POISON)).await.unwrap();
    let mut expected = [SNS_NOTIFICATION_MESSAGE, CONSOLE_TEXT_MESSAGE];
    expected.sort_unstable();
    assert_eq!(failed_ids(&response), expected);
    assert!(recorded(&stack, TENANT_ORDER), "the good record of the batch was handled");
    assert_eq!(stack.store.order_count(), 1);

    // A record whose body is missing altogether is no different.
    let mut event = sqs_event(POISON);
    event.records[1].body = None;
    let response = handle_sqs_batch(writer.as_ref(), records_queue(&stack), event).await.unwrap();
    assert_eq!(failed_ids(&response), expected);
}

#[tokio::test]
async fn a_failure_without_a_message_id_fails_the_whole_batch() {
    let stack = stack();
    let writer = stack.app.processor(ProcessorKind::RecordWriter);
    let mut event = sqs_event(POISON);
    event.records[1].message_id = None;
    event.records[2].message_id = Some("  ".into());
    let error = handle_sqs_batch(writer.as_ref(), records_queue(&stack), event).await.unwrap_err();
    assert!(matches!(error, BatchError::UnattributedFailures(2)), "{error:?}");
    assert!(recorded(&stack, TENANT_ORDER), "the good record was handled before the batch failed");

    // Only failures need an id: a record without one that succeeds is simply done.
    let mut event: SqsEvent = sqs_event(BATCH);
    event.records[0].message_id = None;
    let response = handle_sqs_batch(writer.as_ref(), records_queue(&stack), event).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(stack.store.order_count(), 3);
}

/// Counts how many events it is handling at the same moment.
struct Gauge {
    now: AtomicUsize,
    most: AtomicUsize,
}

#[async_trait]
impl Processor for Gauge {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::RecordWriter
    }

    async fn handle(&self, _event: &EventEnvelope) -> Result<(), AppError> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn records_are_handled_concurrently_up_to_the_bound() {
    for (bound, expected) in [(1, 1), (2, 2), (10, 3)] {
        let (gauge, stack) = (Gauge { now: AtomicUsize::new(0), most: AtomicUsize::new(0) }, stack());
        let response = handle_sqs_batch_with(&gauge, records_queue(&stack), sqs_event(BATCH), bound).await.unwrap();
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(gauge.most.load(Ordering::SeqCst), expected, "at most {bound} at once");
    }
}

#[tokio::test]
async fn an_empty_batch_reports_nothing() {
    let stack = stack();
    let writer = stack.app.processor(ProcessorKind::RecordWriter);
    let response = handle_sqs_batch(writer.as_ref(), records_queue(&stack), SqsEvent::default()).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(stack.store.order_count(), 0);
}

#[test]
fn the_partial_batch_response_has_the_wire_shape_lambda_reads() {
    let mut response = SqsBatchResponse::default();
    response.add_failure(GOLDEN_MESSAGE);
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": GOLDEN_MESSAGE }] })
    );
}

/// Meets another worker's lease on every event.
struct Contended;

#[async_trait]
impl Processor for Contended {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::RecordWriter
    }

    async fn handle(&self, _event: &EventEnvelope) -> Result<(), AppError> {
        Err(AppError::LeaseHeld { what: "sending", lease_remaining: Duration::from_secs(20) })
    }
}

/// The value of `metric` in the function's EMF document of the record writer.
fn emf_value(documents: &[serde_json::Value], metric: &str) -> Option<f64> {
    documents
        .iter()
        .filter(|document| document["Processor"] == "record-writer")
        .find_map(|document| document[metric].as_f64())
}

#[test]
fn a_failed_record_counts_as_retried_or_on_its_last_receive_as_dead_lettered_and_contention_as_deferred() {
    let stack = stack();
    assert_eq!(stack.queue(ProcessorKind::RecordWriter).config().max_receive_count, 4, "the budget this test assumes");
    // The poison batch: a good record (which meets a lease) and two that are not events, one on
    // its first receive and one on the last the budget allows.
    let mut event = sqs_event(POISON);
    event.records[1].attributes.insert("ApproximateReceiveCount".into(), "4".into());
    event.records[2].attributes.insert("ApproximateReceiveCount".into(), "1".into());

    let recorder = EmfRecorder::new("BBWS/Test");
    let emf = recorder.handle();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let response = metrics::with_local_recorder(&recorder, || {
        runtime.block_on(handle_sqs_batch(&Contended, records_queue(&stack), event))
    })
    .unwrap();
    let mut expected = [SNS_NOTIFICATION_MESSAGE, CONSOLE_TEXT_MESSAGE];
    expected.sort_unstable();
    assert_eq!(failed_ids(&response), expected, "the deferred record is not reported");

    let documents = emf.documents(Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap());
    assert_eq!(emf_value(&documents, "EventsRetried"), Some(1.0), "{documents:#?}");
    assert_eq!(emf_value(&documents, "EventsDeadLettered"), Some(1.0), "{documents:#?}");
    assert_eq!(emf_value(&documents, "EventsDeferred"), Some(1.0), "{documents:#?}");
}
