//! The four event processors. Each has its own queue, retry budget and dead-letter queue, and
//! each is idempotent under at-least-once delivery, so a duplicate or a retry after a partial
//! failure redoes only what did not happen.

use async_trait::async_trait;
use order_domain::EventEnvelope;

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
    /// The processor's name (`record-writer`), for logs and queue names.
    fn name(&self) -> &'static str;

    /// Handles one event. `Ok` deletes the message; an error leaves it for a retry (and,
    /// after the queue's retry budget, its dead-letter queue). Events the processor does not
    /// care about are `Ok`.
    ///
    /// # Errors
    /// Any [`AppError`]; [`AppError::is_retryable`] says whether a retry may help.
    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError>;
}
