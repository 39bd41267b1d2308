//! The four event processors. Each has its own queue, retry budget and dead-letter queue, and
//! each is idempotent under at-least-once delivery, so a duplicate or a retry after a partial
//! failure redoes only what did not happen.

use async_trait::async_trait;
use order_domain::EventEnvelope;
use std::sync::Arc;
use std::time::Instant;

use order_ports::{PerProcessor, ProcessorKind};
use tracing::Instrument;

use crate::app::OrderApp;
use crate::builder::System;
use crate::error::AppError;

mod invoice_writer;
mod notifiers;
mod record_writer;

pub use invoice_writer::InvoiceWriter;
pub use notifiers::{CustomerNotifier, InternalNotifier};
pub use record_writer::RecordWriter;

/// Handles events from one queue.
#[async_trait]
pub trait Processor: Send + Sync {
    /// Which of the four processors this is: its queue, its concurrency, its name in logs.
    fn kind(&self) -> ProcessorKind;

    /// The processor's name (`record-writer`), for logs.
    fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Handles one event. `Ok` deletes the message; an error leaves it for a retry (and,
    /// after the queue's retry budget, its dead-letter queue). Events the processor does not
    /// care about are `Ok`.
    ///
    /// # Errors
    /// Any [`AppError`]; [`AppError::is_retryable`] says whether a retry may help.
    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError>;

    /// The clock and ids of the processor's application: an event's lag
    /// ([`EVENT_LAG`](crate::metrics::EVENT_LAG): from its timestamp to its handling done) is
    /// read with the clock. `None` (the default) records no lag. The four processors give
    /// their application's.
    fn system(&self) -> Option<&System> {
        None
    }
}

/// Handles `event` with `processor` the way every host should: in a span `handle` that names the
/// processor, the event, the order and the request that caused it (`request_id`, from the
/// envelope's `correlationId`, `-` when there is none) and continues its trace (`trace_id`, its
/// own `span_id` and the `parent_span_id` of the envelope's `traceparent`; a new trace for an
/// event without one), and inside that request's [`context`](crate::context), so that anything
/// published while handling it names the same request and trace. Its outcome, time and lag
/// are recorded in the [metrics](crate::metrics). A failure is logged in that span: at `warn` when a retry may help, at `error` when
/// it will fail again (the message then ends in its dead-letter queue, kept for a redrive);
/// contention ([`AppError::LeaseHeld`]) is no failure and is logged at `info`.
/// The [`Consumer`](crate::consumer::Consumer) calls it for every delivery; a queue-triggered
/// host (a Lambda) calls it per record.
///
/// # Errors
/// Whatever [`Processor::handle`] returns.
pub async fn handle_event(processor: &dyn Processor, event: &EventEnvelope) -> Result<(), AppError> {
    // The processor's own span in the event's trace (a new trace for an event without one).
    let trace = match processor.system() {
        Some(system) => Some(crate::context::start_span(system, event.traceparent)),
        None => event.traceparent,
    };
    let span = tracing::info_span!(
        "handle",
        processor = processor.name(),
        event = event.event.event_type(),
        order_id = %event.event.order_id(),
        request_id = %event.correlation_id.as_ref().map_or("-", |id| id.as_str()),
        trace_id = %trace.map_or_else(|| "-".to_owned(), |trace| trace.trace_id_hex()),
        span_id = %trace.map_or_else(|| "-".to_owned(), |trace| trace.parent_id_hex()),
        parent_span_id = %event.traceparent.map_or_else(|| "-".to_owned(), |parent| parent.parent_id_hex()),
    );
    let handled = crate::context::with_correlation_id(
        event.correlation_id.clone(),
        crate::context::with_trace(trace, processor.handle(event)),
    );
    async move {
        let started = Instant::now();
        let outcome = handled.await;
        let took = started.elapsed();
        let lag = processor.system().map(|system| (system.clock.now() - event.timestamp).to_std().unwrap_or_default());
        match &outcome {
            Ok(()) => crate::metrics::event_done(processor.kind(), event, true, took, lag),
            // Contention is no failure: the consumer counts it as deferred.
            Err(error) if error.lease_remaining().is_some() => {}
            Err(_) => crate::metrics::event_done(processor.kind(), event, false, took, lag),
        }
        if let Err(error) = &outcome {
            if let Some(lease_remaining) = error.lease_remaining() {
                tracing::info!(%error, ?lease_remaining, "another worker holds the lease; the message comes back when it can have run out");
            } else if error.is_retryable() {
                tracing::warn!(%error, retryable = true, "processing failed; the message will be redelivered");
            } else {
                tracing::error!(
                    %error,
                    retryable = false,
                    "processing failed and will fail again; the message goes to the dead-letter queue after its retries"
                );
            }
        }
        outcome
    }
    .instrument(span)
    .await
}

impl OrderApp {
    /// The processor of `kind` on this application.
    pub fn processor(self: &Arc<Self>, kind: ProcessorKind) -> Arc<dyn Processor> {
        match kind {
            ProcessorKind::RecordWriter => Arc::new(RecordWriter::new(self.clone())),
            ProcessorKind::InvoiceWriter => Arc::new(InvoiceWriter::new(self.clone())),
            ProcessorKind::InternalNotifier => Arc::new(InternalNotifier::new(self.clone())),
            ProcessorKind::CustomerNotifier => Arc::new(CustomerNotifier::new(self.clone())),
        }
    }

    /// The canonical processor set: one processor per kind, each to be fed from its own queue.
    pub fn processors(self: &Arc<Self>) -> PerProcessor<Arc<dyn Processor>> {
        PerProcessor::from_fn(|kind| self.processor(kind))
    }
}
