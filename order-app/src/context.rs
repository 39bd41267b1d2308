//! The request context: which request the current work is done for, so that the events it
//! produces name it.
//!
//! A host runs each request's work inside [`with_correlation_id`]; the use cases read
//! [`correlation_id`] when they build event envelopes, and the processors run each event's
//! handling inside the event's own correlation id (see
//! [`handle_event`](crate::processors::handle_event)). A tokio task-local rather than a
//! parameter: no use case signature carries a value that only logs and events need, and work
//! outside any scope (a sweep, a relay, a test) simply has none. A task-local does not follow
//! `tokio::spawn`; the use cases spawn nothing.
//!
//! ```
//! use order_app::context::{correlation_id, with_correlation_id};
//! use order_domain::CorrelationId;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let id = CorrelationId::parse("req-42").unwrap();
//! let seen = with_correlation_id(Some(id.clone()), async { correlation_id() }).await;
//! assert_eq!(seen, Some(id));
//! assert_eq!(correlation_id(), None, "outside the scope there is none");
//! # });
//! ```

use std::future::Future;

use order_domain::CorrelationId;

tokio::task_local! {
    static CORRELATION_ID: Option<CorrelationId>;
}

/// Runs `work` with `id` as the correlation id of every event it produces.
pub async fn with_correlation_id<F: Future>(id: Option<CorrelationId>, work: F) -> F::Output {
    CORRELATION_ID.scope(id, work).await
}

/// The correlation id of the work in progress, if a host set one.
pub fn correlation_id() -> Option<CorrelationId> {
    CORRELATION_ID.try_with(Clone::clone).ok().flatten()
}
