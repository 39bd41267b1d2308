//! The request context: which request the current work is done for, and in which trace, so
//! that the events it produces name both.
//!
//! A host runs each request's work inside [`with_correlation_id`]; the use cases read
//! [`correlation_id`] when they build event envelopes, and the processors run each event's
//! handling inside the event's own correlation id (see
//! [`handle_event`](crate::processors::handle_event)). A tokio task-local rather than a
//! parameter: no use case signature carries a value that only logs and events need, and work
//! outside any scope (a sweep, a relay, a test) simply has none. A task-local does not follow
//! `tokio::spawn`; the use cases spawn nothing.
//!
//! The trace context works the same way ([`with_trace`], [`trace`]): a host starts a span for
//! each request ([`start_span`]: a child of the caller's W3C `traceparent`, or a new trace), the
//! use cases stamp it on every envelope, and [`handle_event`](crate::processors::handle_event)
//! continues it in each processor's span, so one trace id runs from the creating request to the
//! four processors.
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

use order_domain::{CorrelationId, TraceParent};

use crate::builder::System;

tokio::task_local! {
    static CORRELATION_ID: Option<CorrelationId>;
    static TRACE: Option<TraceParent>;
}

/// Runs `work` with `id` as the correlation id of every event it produces.
pub async fn with_correlation_id<F: Future>(id: Option<CorrelationId>, work: F) -> F::Output {
    CORRELATION_ID.scope(id, work).await
}

/// The correlation id of the work in progress, if a host set one.
pub fn correlation_id() -> Option<CorrelationId> {
    CORRELATION_ID.try_with(Clone::clone).ok().flatten()
}

/// Runs `work` in the trace `trace`: every event it produces carries it as its `traceparent`.
pub async fn with_trace<F: Future>(trace: Option<TraceParent>, work: F) -> F::Output {
    TRACE.scope(trace, work).await
}

/// The trace context of the work in progress (its trace and its own span), if a host set one.
pub fn trace() -> Option<TraceParent> {
    TRACE.try_with(|trace| *trace).ok().flatten()
}

/// The context of a span that starts here: in the trace of `incoming` (the caller's
/// `traceparent`, or an event's) as its child, or else in a new trace whose id begins with the
/// time, so that it is also an X-Ray trace id ([`TraceParent::root`]). Span and trace ids are
/// drawn from `system`'s id generator, the time from its clock.
pub fn start_span(system: &System, incoming: Option<TraceParent>) -> TraceParent {
    let mut span_id = [0; 8];
    span_id.copy_from_slice(&system.ids.message_id().as_bytes()[8..]);
    if let Some(parent) = incoming {
        return parent.child(span_id);
    }
    let mut random = [0; 12];
    random.copy_from_slice(&system.ids.message_id().as_bytes()[4..]);
    let seconds = u64::try_from(system.clock.now().timestamp()).unwrap_or(0);
    TraceParent::root(seconds, random, span_id)
}
