//! The queue worker: the processors fed from their queues in one long-running process, for
//! deployments without Lambda (a container or a VM). `src/bin/worker.rs` runs it on the four
//! SQS queues; the loop itself takes any [`EventQueue`], so the in-memory queues test it.
//!
//! Each [`Subscription`] gets its own consumer with a bound on the events it handles at once
//! (the HLD's reserved concurrency: record writer 5, invoice writer 10, notifiers 5 each). A
//! consumer receives only as many messages as it has free slots, so a received message starts
//! at once and no message waits, hidden, behind others. What happens to a message:
//!
//! - handled: deleted (acknowledged);
//! - failed: released after the retry delay; after the queue's retry budget the queue moves it
//!   to its dead-letter queue;
//! - received, but the worker was told to stop before it started: released at once (visibility
//!   0), so another worker receives it immediately;
//! - still in flight when the shutdown grace ends: left alone; the queue hands it out again
//!   after its visibility timeout. Processors are idempotent, so a redo is harmless.
//!
//! Shutdown ([`Worker::run`]'s future completes): every consumer stops receiving, a receive
//! already waiting is allowed to return (a long poll ends after at most
//! [`WorkerOptions::wait`]) and what it returns is released, the events in flight are finished
//! and acknowledged, and the run returns a [`WorkerReport`]. Nothing is lost on any path.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use order_app::Subscription;
//! use order_ports::{EventQueue, PerProcessor};
//! use order_service::memory::{InMemoryStack, StackOptions};
//! use order_service::worker::{Worker, WorkerOptions};
//!
//! let stack = InMemoryStack::new(StackOptions::wall_clock()).unwrap();
//! let queues = stack.queues.map(|_, queue| queue.clone() as Arc<dyn EventQueue>);
//! let subs = Subscription::per_processor(stack.processors(), &queues, &PerProcessor::all(5));
//! let options = WorkerOptions { wait: Duration::from_millis(50), ..WorkerOptions::default() };
//! let report = Worker::new(subs, options).run(tokio::time::sleep(Duration::from_millis(100))).await;
//! assert_eq!(report.total().received, 0);
//! # });
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use order_app::Subscription;
use order_ports::Delivery;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{Instrument, info, info_span, warn};

/// How a [`Worker`] polls and stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerOptions {
    /// Messages asked for per receive (SQS allows at most 10); fewer when fewer slots are free.
    pub batch: usize,
    /// How long one receive waits for messages (SQS long polling, at most 20 s). A shutdown
    /// waits for a receive in progress, so this bounds how long stopping takes to begin.
    pub wait: Duration,
    /// How long a failed message stays hidden before its retry.
    pub retry_delay: Duration,
    /// How long a shutdown waits for the events in flight before it gives up on them (they
    /// return to their queue after its visibility timeout).
    pub grace: Duration,
    /// The pause after a receive fails, before the next attempt.
    pub error_backoff: Duration,
}

impl Default for WorkerOptions {
    /// Batches of 10, 10 s long polls, failures retried after 5 s, 25 s of shutdown grace
    /// (inside the 30 s that container platforms give between SIGTERM and SIGKILL), 1 s
    /// pause after a failed receive.
    fn default() -> Self {
        Self {
            batch: 10,
            wait: Duration::from_secs(10),
            retry_delay: Duration::from_secs(5),
            grace: Duration::from_secs(25),
            error_backoff: Duration::from_secs(1),
        }
    }
}

/// What one processor's consumer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessorCounts {
    /// Messages received.
    pub received: usize,
    /// Handled and acknowledged.
    pub handled: usize,
    /// Failed attempts, released for a retry.
    pub failed: usize,
    /// Received after the shutdown began, released unstarted (visible again at once).
    pub released: usize,
    /// Still in flight when the shutdown grace ended; they return after the visibility timeout.
    pub abandoned: usize,
    /// Receives that failed (the consumer paused and tried again).
    pub receive_errors: usize,
}

impl ProcessorCounts {
    fn add(&mut self, other: &Self) {
        self.received += other.received;
        self.handled += other.handled;
        self.failed += other.failed;
        self.released += other.released;
        self.abandoned += other.abandoned;
        self.receive_errors += other.receive_errors;
    }

    fn record(&mut self, outcome: Result<Outcome, tokio::task::JoinError>) {
        match outcome {
            Ok(Outcome::Handled) => self.handled += 1,
            Ok(Outcome::Failed) => self.failed += 1,
            Err(error) => {
                // A panicking processor: the message was neither deleted nor released, so it
                // comes back after its visibility timeout (and counts towards its budget).
                warn!(%error, "an event handler panicked; the message returns after its visibility timeout");
                self.failed += 1;
            }
        }
    }
}

/// What a run of the worker did, by processor name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// The counts of each processor.
    pub processors: BTreeMap<&'static str, ProcessorCounts>,
}

impl WorkerReport {
    /// The counts of all processors together.
    pub fn total(&self) -> ProcessorCounts {
        let mut total = ProcessorCounts::default();
        for counts in self.processors.values() {
            total.add(counts);
        }
        total
    }
}

/// The outcome of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Handled,
    Failed,
}

/// Consumes the subscribed queues until told to stop; see the [module docs](self).
pub struct Worker {
    subscriptions: Vec<Subscription>,
    options: WorkerOptions,
}

impl Worker {
    /// A worker over `subscriptions` (each with its own concurrency bound, at least 1).
    pub fn new(subscriptions: Vec<Subscription>, options: WorkerOptions) -> Self {
        Self { subscriptions, options }
    }

    /// Runs until `shutdown` completes, then stops receiving, releases what was received but
    /// not started, finishes what is in flight (within [`WorkerOptions::grace`]) and reports.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> WorkerReport {
        let (stop, stopped) = watch::channel(false);
        let mut consumers = JoinSet::new();
        for sub in self.subscriptions {
            info!(
                processor = sub.processor.name(),
                queue = sub.queue.name(),
                concurrency = sub.concurrency.max(1),
                "consuming"
            );
            consumers.spawn(consume(sub, self.options, stopped.clone()));
        }
        info!(processors = consumers.len(), "worker started");
        let mut report = WorkerReport::default();
        tokio::select! {
            () = shutdown => {}
            // Consumers end only when stopped; this arm is for a worker with none.
            () = async { while consumers.join_next().await.is_some() {} } => {}
        }
        info!("shutting down: no new messages are received; finishing the events in flight");
        let _ = stop.send(true);
        while let Some(done) = consumers.join_next().await {
            match done {
                Ok((name, counts)) => {
                    info!(
                        processor = name,
                        received = counts.received,
                        handled = counts.handled,
                        failed = counts.failed,
                        released = counts.released,
                        abandoned = counts.abandoned,
                        "processor stopped"
                    );
                    report.processors.entry(name).or_default().add(&counts);
                }
                Err(error) => warn!(%error, "a consumer ended abnormally"),
            }
        }
        let total = report.total();
        info!(
            received = total.received,
            handled = total.handled,
            failed = total.failed,
            released = total.released,
            abandoned = total.abandoned,
            "worker stopped: in-flight events finished, released {} unstarted",
            total.released
        );
        report
    }
}

/// Resolves once the worker is told to stop (or the sender is gone).
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// One subscription's consumer: receive into free slots, hand each message to its own task,
/// and on stop release the unstarted and finish the started.
async fn consume(
    sub: Subscription,
    options: WorkerOptions,
    mut stopped: watch::Receiver<bool>,
) -> (&'static str, ProcessorCounts) {
    let name = sub.processor.name();
    let slots = Arc::new(Semaphore::new(sub.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut counts = ProcessorCounts::default();
    loop {
        while let Some(done) = tasks.try_join_next() {
            counts.record(done);
        }
        let first = tokio::select! {
            biased;
            () = stop_requested(&mut stopped) => break,
            permit = slots.clone().acquire_owned() => permit,
        };
        let Ok(first) = first else { break };
        let mut permits = vec![first];
        while permits.len() < options.batch.clamp(1, 10) {
            match slots.clone().try_acquire_owned() {
                Ok(permit) => permits.push(permit),
                Err(_) => break,
            }
        }
        // The receive is not raced against the stop: dropping it half-way could lose the
        // response, and its messages would stay hidden until their visibility timeout. A long
        // poll returns within `wait`; what it brings after the stop is released at once.
        let deliveries = match sub.queue.receive(permits.len(), options.wait).await {
            Ok(deliveries) => deliveries,
            Err(error) => {
                counts.receive_errors += 1;
                warn!(processor = name, queue = sub.queue.name(), %error, "could not receive; retrying");
                drop(permits);
                tokio::select! {
                    biased;
                    () = stop_requested(&mut stopped) => break,
                    () = tokio::time::sleep(options.error_backoff) => continue,
                }
            }
        };
        counts.received += deliveries.len();
        if *stopped.borrow() {
            counts.released += release_unstarted(&sub, deliveries).await;
            break;
        }
        let mut permits = permits.into_iter();
        let mut unstarted = Vec::new();
        for delivery in deliveries {
            let Some(permit) = permits.next() else {
                // More than asked for: never from a well-behaved queue, but never dropped.
                unstarted.push(delivery);
                continue;
            };
            spawn_handler(&mut tasks, &sub, delivery, permit, options.retry_delay);
        }
        counts.released += release_unstarted(&sub, unstarted).await;
    }

    let in_flight = tasks.len();
    if in_flight > 0 {
        info!(processor = name, in_flight, "finishing the events in flight");
    }
    let finished = tokio::time::timeout(options.grace, async {
        while let Some(done) = tasks.join_next().await {
            counts.record(done);
        }
    })
    .await;
    if finished.is_err() {
        counts.abandoned += tasks.len();
        warn!(
            processor = name,
            abandoned = tasks.len(),
            "shutdown grace over: events still in flight are abandoned and return after their visibility timeout"
        );
        tasks.abort_all();
    }
    (name, counts)
}

/// Handles one delivery in its own task, holding a concurrency slot until it is done.
fn spawn_handler(
    tasks: &mut JoinSet<Outcome>,
    sub: &Subscription,
    delivery: Delivery,
    permit: OwnedSemaphorePermit,
    retry_delay: Duration,
) {
    let span = info_span!(
        "event",
        processor = sub.processor.name(),
        message = %delivery.message_id,
        receive = delivery.receive_count
    );
    let sub = sub.clone();
    tasks.spawn(
        async move {
            let outcome = handle(&sub, delivery, retry_delay).await;
            drop(permit);
            outcome
        }
        .instrument(span),
    );
}

/// Handles one delivery: acknowledge on success, release for a retry on failure.
async fn handle(sub: &Subscription, delivery: Delivery, retry_delay: Duration) -> Outcome {
    let result = match &delivery.event {
        Ok(event) => sub.processor.handle(event).await.map_err(|error| {
            warn!(
                order = %event.event.order_id(),
                event = event.event.event_type(),
                %error,
                retryable = error.is_retryable(),
                "processing failed"
            );
        }),
        Err(reason) => {
            warn!(%reason, "message is not a valid event; it will reach the dead-letter queue");
            Err(())
        }
    };
    if result.is_ok() {
        if let Err(error) = sub.queue.ack(&delivery.receipt).await {
            // The message comes back and is handled again: processors are idempotent.
            warn!(%error, "handled, but could not delete the message");
        }
        return Outcome::Handled;
    }
    if let Err(error) = sub.queue.release(&delivery.receipt, retry_delay).await {
        warn!(%error, "could not release the message; it returns after its visibility timeout");
    }
    Outcome::Failed
}

/// Releases deliveries that were never started, visible again at once; returns how many.
async fn release_unstarted(sub: &Subscription, deliveries: Vec<Delivery>) -> usize {
    let count = deliveries.len();
    for delivery in deliveries {
        if let Err(error) = sub.queue.release(&delivery.receipt, Duration::ZERO).await {
            warn!(
                queue = sub.queue.name(),
                message = %delivery.message_id,
                %error,
                "could not release an unstarted message; it returns after its visibility timeout"
            );
        }
    }
    if count > 0 {
        info!(processor = sub.processor.name(), released = count, "released messages received during shutdown");
    }
    count
}
