//! The queue- and schedule-triggered handlers, kept apart from the runtime so that tests (and a
//! service's own Lambda) call them directly with recorded events.
//!
//! - [`handle_sqs_batch`]: one SQS batch for one processor (the `lambda-processor` function). Answers with a partial batch
//!   response: only the records that failed are reported in `batchItemFailures`, by their SQS
//!   message id, and only those come back.
//! - [`handle_sweep`]: the scheduled sweep (the `lambda-sweep` function): the outbox relay, then
//!   the expiry sweep page by page until nothing is left or the invocation's deadline is near.
//!
//! Both are thin: decode, call `order-app`, map the outcome. No business rule lives here.
//!
//! # What happens to a record
//! | the record | the answer | what SQS does |
//! |---|---|---|
//! | handled (or an event the processor ignores) | not listed | deletes it |
//! | the processor failed, retryable or not | listed | redelivers it; after the queue's `maxReceiveCount` moves it to the dead-letter queue |
//! | the body is not an event envelope | listed | the same: it ends in the dead-letter queue, kept for inspection |
//! | failed, and the record has no message id | the whole invocation fails | redelivers the whole batch |
//!
//! A body that cannot be decoded will never succeed, but acknowledging it would leave only a
//! log line behind; reporting it keeps the message itself in the dead-letter queue, where it can
//! be read and redriven (from the CLI) once the cause is fixed. A processor error that is not
//! retryable is reported for the same reason: the processors are idempotent, so a later redrive
//! after a fix is safe. Failing records are logged at `error` (permanent) or `warn` (retryable).
//!
//! A failure can only be reported by its message id. SQS always sets one; should a record ever
//! lack it, an empty `itemIdentifier` would be read by Lambda as a failure of the whole batch
//! anyway, so the handler says so plainly: it returns [`BatchError::UnattributedFailures`], the
//! invocation fails, and every record of the batch comes back (the ones already handled are
//! handled again, harmlessly). A record without an id that succeeded needs no report.

use std::time::{Duration, SystemTime};

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use lambda_runtime::Diagnostic;
use order_app::{AppError, OrderApp, Processor};
use order_domain::EventEnvelope;
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
    Handled,
    Failed,
}

/// Handles one SQS batch with `processor`, up to [`RECORD_CONCURRENCY`] records at once, and
/// answers which records failed (see the module docs for every case).
///
/// # Errors
/// [`BatchError::UnattributedFailures`] when a record without a message id failed.
pub async fn handle_sqs_batch(processor: &dyn Processor, event: SqsEvent) -> Result<SqsBatchResponse, BatchError> {
    handle_sqs_batch_with(processor, event, RECORD_CONCURRENCY).await
}

/// [`handle_sqs_batch`] with up to `concurrency` (at least 1) records at once.
///
/// # Errors
/// [`BatchError::UnattributedFailures`] when a record without a message id failed.
pub async fn handle_sqs_batch_with(
    processor: &dyn Processor,
    event: SqsEvent,
    concurrency: usize,
) -> Result<SqsBatchResponse, BatchError> {
    let records = event.records.len();
    let outcomes: Vec<(Option<String>, Outcome)> = futures::stream::iter(event.records)
        .map(|record| async move {
            let id = record.message_id.clone().filter(|id| !id.trim().is_empty());
            let span = record_span(processor.name(), id.as_deref(), &record);
            let outcome = handle_record(processor, &record).instrument(span).await;
            (id, outcome)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;

    let mut response = SqsBatchResponse::default();
    let mut unattributed = 0;
    for (id, outcome) in outcomes {
        match (outcome, id) {
            (Outcome::Handled, _) => {}
            (Outcome::Failed, Some(id)) => response.add_failure(id),
            (Outcome::Failed, None) => unattributed += 1,
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

/// Decodes one record and runs the processor on it.
async fn handle_record(processor: &dyn Processor, record: &SqsMessage) -> Outcome {
    let span = tracing::Span::current();
    let event = match decode(record) {
        Ok(event) => event,
        Err(reason) => {
            if let Some(order) = string_attribute(record, "orderId") {
                span.record("order_id", order);
            }
            error!(%reason, "message is not an order event; reported as failed so that it reaches the dead-letter queue");
            return Outcome::Failed;
        }
    };
    span.record("order_id", field::display(event.event.order_id()));
    span.record("event_id", field::display(event.message_id));
    span.record("event_type", event.event.event_type());
    match order_app::handle_event(processor, &event).await {
        Ok(()) => Outcome::Handled,
        Err(error) => {
            log_failure(&error);
            Outcome::Failed
        }
    }
}

/// The event envelope in a record's body (raw SNS delivery: the body is the envelope's JSON).
fn decode(record: &SqsMessage) -> Result<EventEnvelope, String> {
    let body = record.body.as_deref().ok_or_else(|| "the record has no body".to_owned())?;
    serde_json::from_str(body).map_err(|error| format!("not an event envelope: {error}"))
}

fn log_failure(error: &AppError) {
    if error.is_retryable() {
        warn!(%error, retryable = true, "processing failed; the message will be redelivered");
    } else {
        error!(
            %error,
            retryable = false,
            "processing failed and will fail again; the message goes to the dead-letter queue after its retries"
        );
    }
}

/// How [`handle_sweep_with`] pages and budgets its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOptions {
    /// Orders per status per expiry page, and entries per relay pass.
    pub page_size: usize,
    /// No new page starts when less than this remains before the deadline.
    pub reserve: Duration,
}

impl Default for SweepOptions {
    /// Pages of 100; stop starting pages 10 s before the deadline.
    fn default() -> Self {
        Self { page_size: 100, reserve: Duration::from_secs(10) }
    }
}

/// What one sweep invocation did: the function's result, logged and returned as JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepSummary {
    /// Outbox events of committed changes published by the relay.
    pub outbox_published: usize,
    /// `ORDER_CREATED` of claims still unrecorded after the grace period, published again.
    pub claims_republished: usize,
    /// Expiry pages run.
    pub pages: usize,
    /// PENDING orders expired.
    pub expired: usize,
    /// PAYMENT_PENDING orders cancelled for want of payment.
    pub cancelled: usize,
    /// Orders that changed concurrently and were left for the next sweep.
    pub skipped: usize,
    /// The deadline came near before the expiry ran out of work; the next run goes on.
    pub out_of_time: bool,
}

/// Why a sweep invocation failed (the scheduler retries it).
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The relay or the expiry could not read or write; what the other did is in `summary`.
    #[error("{stage} failed: {source}")]
    Failed {
        /// `relay` or `expiry`.
        stage: &'static str,
        /// What failed.
        #[source]
        source: AppError,
        /// What the invocation did before and after the failure.
        summary: SweepSummary,
    },
}

impl From<SweepError> for Diagnostic {
    fn from(error: SweepError) -> Self {
        Self { error_type: "SweepError".into(), error_message: error.to_string() }
    }
}

/// The scheduled sweep with the [default options](SweepOptions::default).
///
/// # Errors
/// [`SweepError`] when the relay or the expiry failed to read or write.
pub async fn handle_sweep(
    app: &OrderApp,
    event: CloudWatchEvent,
    deadline: SystemTime,
) -> Result<SweepSummary, SweepError> {
    handle_sweep_with(app, event, deadline, SweepOptions::default()).await
}

/// The scheduled sweep: one relay pass (the outbox and unrecorded claims — what keeps a crash
/// from losing an event, so it runs first), then [`OrderApp::expire_stale`] page by page until a
/// page changes nothing or less than `options.reserve` remains before `deadline` (the Lambda
/// context's deadline, wall-clock time). A failure of either stage still lets the other run;
/// the invocation then fails, and the scheduler's retry (or the next run) picks up the rest.
///
/// # Errors
/// [`SweepError`] when the relay or the expiry failed to read or write.
pub async fn handle_sweep_with(
    app: &OrderApp,
    event: CloudWatchEvent,
    deadline: SystemTime,
    options: SweepOptions,
) -> Result<SweepSummary, SweepError> {
    let span = info_span!("sweep", event_id = event.id.as_deref().unwrap_or("-"), scheduled = %event.time);
    async move {
        let mut summary = SweepSummary::default();
        let mut failure = None;
        match app.relay(options.page_size).await {
            Ok(relayed) => {
                summary.outbox_published = relayed.outbox_published;
                summary.claims_republished = relayed.claims_republished;
            }
            Err(error) => failure = Some(("relay", error)),
        }
        loop {
            let left = deadline.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
            if left < options.reserve {
                summary.out_of_time = true;
                warn!(left_ms = left.as_millis(), "deadline near; the next sweep goes on");
                break;
            }
            match app.expire_stale(options.page_size).await {
                Ok(page) => {
                    summary.pages += 1;
                    summary.expired += page.expired;
                    summary.cancelled += page.cancelled;
                    summary.skipped += page.skipped;
                    // A page that changed nothing found nothing left to change (what it skipped
                    // would only be skipped again).
                    if page.expired + page.cancelled == 0 {
                        break;
                    }
                }
                Err(error) => {
                    failure.get_or_insert(("expiry", error));
                    break;
                }
            }
        }
        match failure {
            None => {
                info!(?summary, "sweep finished");
                Ok(summary)
            }
            Some((stage, source)) => {
                error!(stage, error = %source, ?summary, "sweep failed");
                Err(SweepError::Failed { stage, source, summary })
            }
        }
    }
    .instrument(span)
    .await
}
