//! The queue- and schedule-triggered handlers, kept apart from the runtime so that tests (and a
//! service's own Lambda) call them directly with recorded events.
//!
//! - [`handle_sqs_batch`]: one SQS batch for one processor (the `lambda-processor` function). Answers with a partial batch
//!   response: only the records that failed are reported in `batchItemFailures`, by their SQS
//!   message id, and only those come back.
//! - [`handle_sweep`]: the scheduled sweep (the `lambda-sweep` function): [`OrderApp::sweep`],
//!   the policy every host shares — the outbox relay, then the expiry page by page until
//!   nothing is left or the invocation's deadline is near.
//!
//! Both are thin: decode, call `order-app`, map the outcome. No business rule lives here.
//!
//! # What happens to a record
//! | the record | the answer | what SQS does |
//! |---|---|---|
//! | handled (or an event the processor ignores) | not listed | deletes it |
//! | the processor met another worker's lease (`AppError::LeaseHeld`) | not listed, once a delayed copy is on the queue ([`EventQueue::defer`]) | delivers the copy once the lease can have run out, with a fresh receive count: contention spends no retry |
//! | … and the copy could not be sent | listed, its visibility set to the lease's remaining time (`ChangeMessageVisibility`) | redelivers it after the lease, at the cost of one receive |
//! | the processor failed, retryable or not | listed | redelivers it; after the queue's `maxReceiveCount` moves it to the dead-letter queue |
//! | the body is not an event envelope | listed | the same: it ends in the dead-letter queue, kept for inspection |
//! | failed, and the record has no message id | the whole invocation fails | redelivers the whole batch |
//!
//! A body that cannot be decoded will never succeed, but acknowledging it would leave only a
//! log line behind; reporting it keeps the message itself in the dead-letter queue, where it can
//! be read and redriven (from the CLI) once the cause is fixed. A processor error that is not
//! retryable is reported for the same reason: the processors are idempotent, so a later redrive
//! after a fix is safe. Failing records are logged by [`order_app::handle_event`] at `error`
//! (permanent) or `warn` (retryable), in its span that names the request.
//!
//! Besides [`order_app::handle_event`]'s handled / failed, the handler records what became of
//! each record that did not succeed ([`order_app::metrics::attempt`]): a failure is *retried*,
//! or *dead-lettered* when its `ApproximateReceiveCount` has reached the queue's
//! [retry budget](EventQueue::retry_budget) (asked for once per batch, only when a record
//! failed; without a receive count or a budget a failure is counted as failed only); contention
//! is *deferred*.
//!
//! A failure can only be reported by its message id. SQS always sets one; should a record ever
//! lack it, an empty `itemIdentifier` would be read by Lambda as a failure of the whole batch
//! anyway, so the handler says so plainly: it returns [`BatchError::UnattributedFailures`], the
//! invocation fails, and every record of the batch comes back (the ones already handled are
//! handled again, harmlessly). A record without an id that succeeded needs no report.

use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use lambda_runtime::Diagnostic;
use order_app::metrics::{self, Attempt};
use order_app::{OrderApp, Processor, SweepError, SweepOptions, SweepSummary, deferral};
use order_domain::EventEnvelope;
use order_ports::{Delivery, EventQueue};
use tracing::{Instrument, error, field, info, info_span, warn};

/// Records of one batch handled at once by [`handle_sqs_batch`].
pub const RECORD_CONCURRENCY: usize = 10;

/// Why an invocation failed as a whole (Lambda then retries all of it).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Records failed that carry no message id, so they cannot be reported one by one.
    #[error("{0} failed record(s) carry no SQS message id; failing the whole batch so that it is redelivered")]
    UnattributedFailures(usize),
}

impl From<BatchError> for Diagnostic {
    fn from(error: BatchError) -> Self {
        Self { error_type: "BatchError".into(), error_message: error.to_string() }
    }
}

/// How one record ended.
enum Outcome {
    /// Handled: not reported.
    Handled,
    /// Met a lease and deferred with a delayed copy: not reported, no receive spent.
    Deferred,
    /// Met a lease, could not be deferred: reported, hidden until the lease can have run out.
    Delayed,
    /// Failed on its `receive_count`-th receive (`None`: the record does not say): reported.
    Failed { receive_count: Option<u32> },
}

impl Outcome {
    /// Whether the record is listed in `batchItemFailures`.
    fn reported(&self) -> bool {
        matches!(self, Self::Delayed | Self::Failed { .. })
    }
}

/// Handles one SQS batch with `processor`, up to [`RECORD_CONCURRENCY`] records at once, and
/// answers which records failed (see the module docs for every case). `queue` is the queue the
/// batch comes from (the function's event source): a record that meets another worker's lease
/// is deferred on it.
///
/// # Errors
/// [`BatchError::UnattributedFailures`] when a record without a message id failed.
pub async fn handle_sqs_batch(
    processor: &dyn Processor,
    queue: &dyn EventQueue,
    event: SqsEvent,
) -> Result<SqsBatchResponse, BatchError> {
    handle_sqs_batch_with(processor, queue, event, RECORD_CONCURRENCY).await
}

/// [`handle_sqs_batch`] with up to `concurrency` (at least 1) records at once.
///
/// # Errors
/// [`BatchError::UnattributedFailures`] when a record without a message id failed.
pub async fn handle_sqs_batch_with(
    processor: &dyn Processor,
    queue: &dyn EventQueue,
    event: SqsEvent,
    concurrency: usize,
) -> Result<SqsBatchResponse, BatchError> {
    let records = event.records.len();
    let outcomes: Vec<(Option<String>, Outcome)> = futures::stream::iter(event.records)
        .map(|record| async move {
            let id = record.message_id.clone().filter(|id| !id.trim().is_empty());
            let span = record_span(processor.name(), id.as_deref(), &record);
            let outcome = handle_record(processor, queue, &record).instrument(span).await;
            (id, outcome)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;

    record_attempts(processor, queue, &outcomes).await;
    let mut response = SqsBatchResponse::default();
    let mut unattributed = 0;
    for (id, outcome) in outcomes {
        match (outcome.reported(), id) {
            (false, _) => {}
            (true, Some(id)) => response.add_failure(id),
            (true, None) => unattributed += 1,
        }
    }
    if unattributed > 0 {
        let error = BatchError::UnattributedFailures(unattributed);
        error!(processor = processor.name(), records, %error, "batch failed as a whole");
        return Err(error);
    }
    info!(processor = processor.name(), records, failed = response.batch_item_failures.len(), "batch handled");
    Ok(response)
}

/// Records what became of each record that did not succeed; the queue's retry budget is asked
/// for only when a record failed. A failure to read it is logged, and the failures are then
/// counted as failed only.
async fn record_attempts(processor: &dyn Processor, queue: &dyn EventQueue, outcomes: &[(Option<String>, Outcome)]) {
    let kind = processor.kind();
    let mut budget = None;
    for (_, outcome) in outcomes {
        let attempt = match outcome {
            Outcome::Handled => continue,
            Outcome::Deferred | Outcome::Delayed => Attempt::Deferred,
            Outcome::Failed { receive_count: None } => Attempt::Failed,
            Outcome::Failed { receive_count: Some(receive_count) } => {
                if budget.is_none() {
                    budget = Some(queue.retry_budget().await.unwrap_or_else(|error| {
                        warn!(queue = queue.name(), %error, "could not read the queue's retry budget; the batch's failures are counted as failed only");
                        None
                    }));
                }
                Attempt::failed(*receive_count, budget.flatten())
            }
        };
        metrics::attempt(kind, attempt);
    }
}

/// The `ApproximateReceiveCount` of `record`.
fn receive_count(record: &SqsMessage) -> Option<u32> {
    record.attributes.get("ApproximateReceiveCount").and_then(|count| count.trim().parse().ok())
}

/// The span of one record: the SQS message id and receive count, and once decoded the order and
/// the event. The request id that caused the event is recorded by
/// [`order_app::handle_event`]'s span inside this one.
fn record_span(processor: &'static str, message_id: Option<&str>, record: &SqsMessage) -> tracing::Span {
    info_span!(
        "sqs_record",
        processor,
        message_id = message_id.unwrap_or("-"),
        receive_count = record.attributes.get("ApproximateReceiveCount").map_or("-", String::as_str),
        order_id = field::Empty,
        event_id = field::Empty,
        event_type = field::Empty,
    )
}

/// A string message attribute of `record`.
fn string_attribute<'a>(record: &'a SqsMessage, name: &str) -> Option<&'a str> {
    record.message_attributes.get(name).and_then(|attribute| attribute.string_value.as_deref())
}

/// Decodes one record and runs the processor on it; defers it when it meets another worker's
/// lease.
async fn handle_record(processor: &dyn Processor, queue: &dyn EventQueue, record: &SqsMessage) -> Outcome {
    let span = tracing::Span::current();
    let event = match decode(record) {
        Ok(event) => event,
        Err(reason) => {
            if let Some(order) = string_attribute(record, "orderId") {
                span.record("order_id", order);
            }
            error!(%reason, "message is not an order event; reported as failed so that it reaches the dead-letter queue");
            return Outcome::Failed { receive_count: receive_count(record) };
        }
    };
    span.record("order_id", field::display(event.event.order_id()));
    span.record("event_id", field::display(event.message_id));
    span.record("event_type", event.event.event_type());
    // Logs a failure itself, inside the span that names the request.
    let error = match order_app::handle_event(processor, &event).await {
        Ok(()) => return Outcome::Handled,
        Err(error) => error,
    };
    let (Some(delay), Some(receipt)) = (deferral(&error), record.receipt_handle.clone()) else {
        return Outcome::Failed { receive_count: receive_count(record) };
    };
    let delivery = Delivery {
        message_id: record.message_id.clone().unwrap_or_default(),
        receipt,
        receive_count: receive_count(record).unwrap_or(1),
        event: Ok(event),
    };
    // A delayed copy and this record acknowledged: no receive of the budget spent. Should the
    // copy fail, the record is reported and hidden until the lease can have run out (Lambda
    // leaves a reported record's visibility as it is).
    match queue.defer(&delivery, delay).await {
        Ok(()) => Outcome::Deferred,
        Err(defer_error) => {
            warn!(error = %defer_error, "could not defer the record; it comes back once the lease can have run out");
            if let Err(release_error) = queue.release(&delivery.receipt, delay).await {
                warn!(error = %release_error, "could not delay the record either; it comes back after its visibility timeout");
            }
            Outcome::Delayed
        }
    }
}

/// The event envelope in a record's body (raw SNS delivery: the body is the envelope's JSON).
fn decode(record: &SqsMessage) -> Result<EventEnvelope, String> {
    let body = record.body.as_deref().ok_or_else(|| "the record has no body".to_owned())?;
    serde_json::from_str(body).map_err(|error| format!("not an event envelope: {error}"))
}

/// A failed sweep, as the Lambda runtime reports it (the scheduler then retries it): the
/// application's [`SweepError`], with what the sweep did before and after the failure.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SweepFailed(#[from] pub SweepError);

impl From<SweepFailed> for Diagnostic {
    fn from(error: SweepFailed) -> Self {
        Self { error_type: "SweepError".into(), error_message: error.to_string() }
    }
}

/// The scheduled sweep with the [default options](SweepOptions::default).
///
/// # Errors
/// [`SweepFailed`] when the relay or the expiry failed to read or write.
pub async fn handle_sweep(
    app: &OrderApp,
    event: CloudWatchEvent,
    deadline: SystemTime,
) -> Result<SweepSummary, SweepFailed> {
    handle_sweep_with(app, event, deadline, SweepOptions::default()).await
}

/// The scheduled sweep: [`OrderApp::sweep`] (one relay pass, then the expiry page by page until
/// a page changes nothing or less than `options.reserve` remains) with `deadline`, the Lambda
/// context's deadline (wall-clock time), as its deadline. What it did is the function's result.
///
/// # Errors
/// [`SweepFailed`] when the relay or the expiry failed to read or write; the other stage still
/// ran, and the scheduler's retry (or the next run) picks up the rest.
pub async fn handle_sweep_with(
    app: &OrderApp,
    event: CloudWatchEvent,
    deadline: SystemTime,
    options: SweepOptions,
) -> Result<SweepSummary, SweepFailed> {
    let span = info_span!("sweep", event_id = event.id.as_deref().unwrap_or("-"), scheduled = %event.time);
    let left = deadline.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
    let summary = app.sweep(options, Instant::now() + left).instrument(span).await?;
    info!(?summary, "sweep invocation finished");
    Ok(summary)
}
