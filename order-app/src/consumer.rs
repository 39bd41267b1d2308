//! THE queue consumer: the processors fed from their queues in one process. The worker binary,
//! the server's background service and the in-memory stack's `drain` all run this one loop;
//! a queue-triggered host (a Lambda) gets its batches from the platform instead, and both call
//! [`handle_event`] for every event, so every event is handled in a `handle` span naming its
//! request and inside that request's [`context`](crate::context).
//!
//! Each [`Subscription`] gets its own consumer with a bound on the events it handles at once
//! (the HLD's reserved concurrency: record writer 5, invoice writer 10, notifiers 5 each). A
//! consumer receives only as many messages as it has free slots, so a received message starts
//! at once and no message waits, hidden, behind others. What happens to a message:
//!
//! - handled: deleted (acknowledged);
//! - failed: released after the retry delay; after the queue's retry budget the queue moves it
//!   to its dead-letter queue;
//! - met a lease held by another worker ([`AppError::LeaseHeld`]: that worker is doing the same
//!   thing, or crashed doing it): contention, not a failure. [Deferred](EventQueue::defer)
//!   until the lease can have run out ([`deferral`]), without spending the retry budget; if
//!   the deferral fails, released after that delay like a failure. So a crashed worker's
//!   leases cost its redeliveries nothing: they come back once the leases have expired;
//! - received, but the consumer was told to stop before it started: released at once
//!   (visibility 0), so another consumer receives it immediately;
//! - still in flight when the shutdown grace ends: left alone; the queue hands it out again
//!   after its visibility timeout. Processors are idempotent, so a redo is harmless.
//!
//! Besides [`handle_event`]'s handled / failed, the consumer records what became of each attempt
//! that did not succeed ([`metrics::attempt`]): a failure is *retried*, or *dead-lettered* when
//! it was the message's last receive within the queue's [retry budget](EventQueue::retry_budget)
//! (asked for once per subscription, on its first failure; while the queue cannot tell, a
//! failure is counted as failed only); contention is *deferred*.
//!
//! Two ways to run it:
//! - [`Consumer::run`] until a shutdown future completes: every consumer stops receiving, a
//!   receive already waiting is allowed to return (a long poll ends after at most
//!   [`ConsumerOptions::wait`]) and what it returns is released, the events in flight are
//!   finished and acknowledged, and the run returns a [`ConsumerReport`]. Nothing is lost.
//! - [`Consumer::drain`] until a round over every queue receives nothing (each round's events
//!   are finished before the next round, so events they publish are seen): every event
//!   published so far has been handled or has reached a dead-letter queue. For tests, the
//!   quickstart and benchmarks.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use order_app::consumer::{Consumer, ConsumerOptions};
//!
//! // No subscriptions: a consumer with nothing to do returns at once.
//! let consumer = Consumer::new(Vec::new(), ConsumerOptions::default());
//! let report = consumer.drain().await.unwrap();
//! assert_eq!(report.total().received, 0);
//! let report = consumer.run(tokio::time::sleep(Duration::from_millis(10))).await;
//! assert_eq!(report.total().received, 0);
//! # });
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use order_ports::{Delivery, EventQueue, PerProcessor, PortError, ProcessorKind};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::{JoinError, JoinSet};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::error::AppError;
use crate::metrics::{self, Attempt};
use crate::processors::{Processor, handle_event};

/// Added to a lease's remaining time before a deferred message comes back: the lease's end was
/// set by another worker's clock and is judged by this one's, so a small skew must not make the
/// message come back just before the lease ends (and be deferred once more).
pub const LEASE_MARGIN: Duration = Duration::from_secs(1);

/// When `error` is contention ([`AppError::LeaseHeld`]), how long to hide its message so that it
/// comes back once the lease can have run out: the lease's remaining time plus
/// [`LEASE_MARGIN`]. `None` for a failure, which is released for a retry and spends the budget.
/// Every consumer — [`Consumer`] and the Lambda batch handler — decides through this.
///
/// ```
/// use std::time::Duration;
/// use order_app::AppError;
/// use order_app::consumer::{LEASE_MARGIN, deferral};
///
/// let held = AppError::LeaseHeld { what: "sending", lease_remaining: Duration::from_secs(20) };
/// assert_eq!(deferral(&held), Some(Duration::from_secs(20) + LEASE_MARGIN));
/// assert_eq!(deferral(&AppError::NotFound), None);
/// ```
pub fn deferral(error: &AppError) -> Option<Duration> {
    error.lease_remaining().map(|remaining| remaining + LEASE_MARGIN)
}

/// A processor and the queue it consumes.
#[derive(Clone)]
pub struct Subscription {
    /// What handles the events.
    pub processor: Arc<dyn Processor>,
    /// Where they come from.
    pub queue: Arc<dyn EventQueue>,
    /// How many events of this queue are handled at once (at least 1).
    pub concurrency: usize,
}

impl Subscription {
    /// One subscription per processor kind: each processor on its own kind's queue, with its
    /// kind's concurrency. Processors and queues are matched by kind, never by position.
    pub fn per_processor(
        processors: PerProcessor<Arc<dyn Processor>>,
        queues: &PerProcessor<Arc<dyn EventQueue>>,
        concurrency: &PerProcessor<usize>,
    ) -> Vec<Subscription> {
        processors
            .into_iter()
            .map(|(kind, processor)| Subscription {
                processor,
                queue: queues.get(kind).clone(),
                concurrency: *concurrency.get(kind),
            })
            .collect()
    }
}

/// How a [`Consumer`] polls and stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerOptions {
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

impl Default for ConsumerOptions {
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
    /// Attempts that met another worker's lease, deferred until it can have run out (no retry
    /// spent).
    pub deferred: usize,
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
        self.deferred += other.deferred;
        self.released += other.released;
        self.abandoned += other.abandoned;
        self.receive_errors += other.receive_errors;
    }

    fn record(&mut self, outcome: Result<Outcome, JoinError>) {
        match outcome {
            Ok(Outcome::Handled) => self.handled += 1,
            Ok(Outcome::Failed) => self.failed += 1,
            Ok(Outcome::Deferred) => self.deferred += 1,
            Err(error) => {
                // A panicking processor: the message was neither deleted nor released, so it
                // comes back after its visibility timeout (and counts towards its budget).
                warn!(%error, "an event handler panicked; the message returns after its visibility timeout");
                self.failed += 1;
            }
        }
    }
}

/// What a run of a [`Consumer`] did, per processor kind (subscriptions of the same kind add up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumerReport {
    /// The counts of each processor.
    pub processors: PerProcessor<ProcessorCounts>,
}

impl ConsumerReport {
    /// The counts of all processors together.
    pub fn total(&self) -> ProcessorCounts {
        let mut total = ProcessorCounts::default();
        for (_, counts) in self.processors.iter() {
            total.add(counts);
        }
        total
    }

    fn add(&mut self, kind: ProcessorKind, counts: &ProcessorCounts) {
        self.processors.get_mut(kind).add(counts);
    }
}

/// The outcome of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Handled,
    Failed,
    Deferred,
}

/// Consumes the subscribed queues; see the [module docs](self).
pub struct Consumer {
    subscriptions: Vec<Subscription>,
    options: ConsumerOptions,
}

impl Consumer {
    /// A consumer over `subscriptions` (each with its own concurrency bound, at least 1).
    pub fn new(subscriptions: Vec<Subscription>, options: ConsumerOptions) -> Self {
        Self { subscriptions, options }
    }

    /// Runs until `shutdown` completes, then stops receiving, releases what was received but
    /// not started, finishes what is in flight (within [`ConsumerOptions::grace`]) and reports.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> ConsumerReport {
        let (stop, stopped) = watch::channel(false);
        let mut consumers = JoinSet::new();
        for sub in &self.subscriptions {
            let lane = Lane::new(sub.clone(), self.options);
            info!(processor = lane.kind.name(), queue = sub.queue.name(), concurrency = lane.concurrency, "consuming");
            consumers.spawn(lane.consume(stopped.clone()));
        }
        info!(subscriptions = consumers.len(), "consumer started");
        tokio::select! {
            () = shutdown => {}
            // Consumers end only when stopped; this arm is for a consumer with none.
            () = async { while consumers.join_next().await.is_some() {} } => {}
        }
        info!("shutting down: no new messages are received; finishing the events in flight");
        let _ = stop.send(true);
        let mut report = ConsumerReport::default();
        while let Some(done) = consumers.join_next().await {
            match done {
                Ok((kind, counts)) => {
                    info!(processor = kind.name(), ?counts, "processor stopped");
                    report.add(kind, &counts);
                }
                Err(error) => warn!(%error, "a consumer ended abnormally"),
            }
        }
        let total = report.total();
        info!(
            received = total.received,
            handled = total.handled,
            failed = total.failed,
            deferred = total.deferred,
            released = total.released,
            abandoned = total.abandoned,
            "consumer stopped: in-flight events finished, released {} unstarted",
            total.released
        );
        report
    }

    /// Polls every queue in rounds until a round receives nothing from any of them: every event
    /// published so far has been handled, has reached a dead-letter queue, or is deferred
    /// behind another worker's lease (and comes back after it). Each round takes
    /// up to one batch per queue (bounded by the subscription's concurrency) and finishes its
    /// events before the next.
    ///
    /// # Errors
    /// The first receive error of a round that received nothing; a queue that fails while
    /// others still deliver is tried again in the next round.
    pub async fn drain(&self) -> Result<ConsumerReport, PortError> {
        let mut lanes: Vec<Lane> = self.subscriptions.iter().map(|sub| Lane::new(sub.clone(), self.options)).collect();
        loop {
            let rounds = futures::future::join_all(lanes.iter_mut().map(Lane::round)).await;
            let mut received = 0;
            let mut first_error = None;
            for round in rounds {
                match round {
                    Ok(count) => received += count,
                    Err(error) => {
                        first_error.get_or_insert(error);
                    }
                }
            }
            if received == 0 {
                if let Some(error) = first_error {
                    return Err(error);
                }
                let mut report = ConsumerReport::default();
                for lane in &lanes {
                    report.add(lane.kind, &lane.counts);
                }
                return Ok(report);
            }
        }
    }
}

/// A queue's retry budget, asked for when a failure first needs it and kept once known, so
/// that a failed attempt can be counted as retried or dead-lettered.
struct RetryBudget {
    queue: Arc<dyn EventQueue>,
    known: OnceCell<Option<u32>>,
    warned: AtomicBool,
}

impl RetryBudget {
    fn new(queue: Arc<dyn EventQueue>) -> Self {
        Self { queue, known: OnceCell::new(), warned: AtomicBool::new(false) }
    }

    /// The budget; `None` while the queue cannot tell. A failure to ask is logged (at `warn` the
    /// first time, then at `debug`) and asked again at the next failure: it only costs the
    /// metrics their split of failures, never a message.
    async fn get(&self) -> Option<u32> {
        match self.known.get_or_try_init(|| self.queue.retry_budget()).await {
            Ok(budget) => *budget,
            Err(error) => {
                if self.warned.swap(true, Ordering::Relaxed) {
                    debug!(queue = self.queue.name(), %error, "could not read the queue's retry budget");
                } else {
                    warn!(
                        queue = self.queue.name(),
                        %error,
                        "could not read the queue's retry budget; failed attempts are counted as failed, not as retried or dead-lettered, until it can be read"
                    );
                }
                None
            }
        }
    }
}

/// One subscription's machinery: its concurrency slots, its events in flight, its counts.
struct Lane {
    sub: Subscription,
    kind: ProcessorKind,
    concurrency: usize,
    options: ConsumerOptions,
    slots: Arc<Semaphore>,
    tasks: JoinSet<Outcome>,
    counts: ProcessorCounts,
    budget: Arc<RetryBudget>,
}

impl Lane {
    fn new(sub: Subscription, options: ConsumerOptions) -> Self {
        let concurrency = sub.concurrency.max(1);
        Self {
            kind: sub.processor.kind(),
            budget: Arc::new(RetryBudget::new(sub.queue.clone())),
            sub,
            concurrency,
            options,
            slots: Arc::new(Semaphore::new(concurrency)),
            tasks: JoinSet::new(),
            counts: ProcessorCounts::default(),
        }
    }

    /// Until stopped: receive into free slots, hand each message to its own task; then release
    /// what was received after the stop and finish what started.
    async fn consume(mut self, mut stopped: watch::Receiver<bool>) -> (ProcessorKind, ProcessorCounts) {
        loop {
            while let Some(done) = self.tasks.try_join_next() {
                self.counts.record(done);
            }
            let first = tokio::select! {
                biased;
                () = stop_requested(&mut stopped) => break,
                permit = self.slots.clone().acquire_owned() => permit,
            };
            let Ok(first) = first else { break };
            let permits = self.more_slots(first);
            // The receive is not raced against the stop: dropping it half-way could lose the
            // response, and its messages would stay hidden until their visibility timeout. A
            // long poll returns within `wait`; what it brings after the stop is released at once.
            let Ok(deliveries) = self.receive(permits.len()).await else {
                drop(permits);
                tokio::select! {
                    biased;
                    () = stop_requested(&mut stopped) => break,
                    () = tokio::time::sleep(self.options.error_backoff) => continue,
                }
            };
            if *stopped.borrow() {
                self.release_unstarted(deliveries).await;
                break;
            }
            self.start(deliveries, permits).await;
        }
        self.finish(Some(self.options.grace)).await;
        (self.kind, self.counts)
    }

    /// One drain round: a batch into the free slots, every event of it finished.
    async fn round(&mut self) -> Result<usize, PortError> {
        let Ok(first) = self.slots.clone().acquire_owned().await else { return Ok(0) };
        let permits = self.more_slots(first);
        let deliveries = self.receive(permits.len()).await?;
        let received = deliveries.len();
        self.start(deliveries, permits).await;
        self.finish(None).await;
        Ok(received)
    }

    /// `first` and as many more free slots as one batch may fill.
    fn more_slots(&self, first: OwnedSemaphorePermit) -> Vec<OwnedSemaphorePermit> {
        let mut permits = vec![first];
        while permits.len() < self.options.batch.clamp(1, 10) {
            match self.slots.clone().try_acquire_owned() {
                Ok(permit) => permits.push(permit),
                Err(_) => break,
            }
        }
        permits
    }

    /// Up to `max` messages, counted.
    async fn receive(&mut self, max: usize) -> Result<Vec<Delivery>, PortError> {
        match self.sub.queue.receive(max, self.options.wait).await {
            Ok(deliveries) => {
                self.counts.received += deliveries.len();
                Ok(deliveries)
            }
            Err(error) => {
                self.counts.receive_errors += 1;
                warn!(processor = self.kind.name(), queue = self.sub.queue.name(), %error, "could not receive; retrying");
                Err(error)
            }
        }
    }

    /// Starts each delivery in its own task holding one of `permits`; releases any beyond them.
    async fn start(&mut self, deliveries: Vec<Delivery>, permits: Vec<OwnedSemaphorePermit>) {
        let mut permits = permits.into_iter();
        let mut unstarted = Vec::new();
        for delivery in deliveries {
            let Some(permit) = permits.next() else {
                // More than asked for: never from a well-behaved queue, but never dropped.
                unstarted.push(delivery);
                continue;
            };
            let span = info_span!(
                "event",
                processor = self.kind.name(),
                message = %delivery.message_id,
                receive = delivery.receive_count
            );
            let (sub, budget, retry_delay) = (self.sub.clone(), self.budget.clone(), self.options.retry_delay);
            self.tasks.spawn(
                async move {
                    let outcome = handle(&sub, &budget, delivery, retry_delay).await;
                    drop(permit);
                    outcome
                }
                .instrument(span),
            );
        }
        self.release_unstarted(unstarted).await;
    }

    /// Waits for the events in flight, at most `grace` (`None`: as long as they take); what is
    /// still running then is abandoned to its visibility timeout.
    async fn finish(&mut self, grace: Option<Duration>) {
        let in_flight = self.tasks.len();
        if grace.is_some() && in_flight > 0 {
            info!(processor = self.kind.name(), in_flight, "finishing the events in flight");
        }
        let (tasks, counts) = (&mut self.tasks, &mut self.counts);
        let all = async {
            while let Some(done) = tasks.join_next().await {
                counts.record(done);
            }
        };
        let finished = match grace {
            None => {
                all.await;
                true
            }
            Some(grace) => tokio::time::timeout(grace, all).await.is_ok(),
        };
        if !finished {
            self.counts.abandoned += self.tasks.len();
            warn!(
                processor = self.kind.name(),
                abandoned = self.tasks.len(),
                "shutdown grace over: events still in flight are abandoned and return after their visibility timeout"
            );
            self.tasks.abort_all();
        }
    }

    /// Releases deliveries that were never started, visible again at once.
    async fn release_unstarted(&mut self, deliveries: Vec<Delivery>) {
        let count = deliveries.len();
        for delivery in deliveries {
            if let Err(error) = self.sub.queue.release(&delivery.receipt, Duration::ZERO).await {
                warn!(
                    queue = self.sub.queue.name(),
                    message = %delivery.message_id,
                    %error,
                    "could not release an unstarted message; it returns after its visibility timeout"
                );
            }
        }
        if count > 0 {
            info!(processor = self.kind.name(), released = count, "released messages received during shutdown");
        }
        self.counts.released += count;
    }
}

/// Resolves once the consumer is told to stop (or the sender is gone).
pub(crate) async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Handles one delivery through [`handle_event`]: acknowledge on success, defer on contention,
/// release for a retry on failure; records what became of an attempt that did not succeed.
async fn handle(sub: &Subscription, budget: &RetryBudget, delivery: Delivery, retry_delay: Duration) -> Outcome {
    let result = match &delivery.event {
        Ok(event) => handle_event(sub.processor.as_ref(), event).await,
        Err(reason) => {
            warn!(%reason, "message is not a valid event; it will reach the dead-letter queue");
            return release(sub, budget, &delivery, retry_delay, Outcome::Failed).await;
        }
    };
    match result {
        Ok(()) => {
            if let Err(error) = sub.queue.ack(&delivery.receipt).await {
                // The message comes back and is handled again: processors are idempotent.
                warn!(%error, "handled, but could not delete the message");
            }
            Outcome::Handled
        }
        Err(error) => match deferral(&error) {
            Some(delay) => match sub.queue.defer(&delivery, delay).await {
                Ok(()) => {
                    metrics::attempt(sub.processor.kind(), Attempt::Deferred);
                    Outcome::Deferred
                }
                Err(defer_error) => {
                    // Still after the lease, at the cost of one receive of the budget.
                    warn!(error = %defer_error, "could not defer the message; releasing it until the lease can have run out");
                    release(sub, budget, &delivery, delay, Outcome::Deferred).await
                }
            },
            None => release(sub, budget, &delivery, retry_delay, Outcome::Failed).await,
        },
    }
}

/// Makes `delivery` visible again after `delay` (should that fail, it returns after its
/// visibility timeout: either way another receive follows); `outcome` is what the attempt
/// counts as, a failure retried or dead-lettered by the receive count and the budget.
async fn release(
    sub: &Subscription,
    budget: &RetryBudget,
    delivery: &Delivery,
    delay: Duration,
    outcome: Outcome,
) -> Outcome {
    if let Err(error) = sub.queue.release(&delivery.receipt, delay).await {
        warn!(%error, "could not release the message; it returns after its visibility timeout");
    }
    let attempt = if outcome == Outcome::Deferred {
        Attempt::Deferred
    } else {
        Attempt::failed(delivery.receive_count, budget.get().await)
    };
    metrics::attempt(sub.processor.kind(), attempt);
    outcome
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use async_trait::async_trait;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use order_domain::{EventEnvelope, OrderEvent};
    use order_ports::{MockEventQueue, PortResult};

    use super::*;

    /// Fails every event with `error()`.
    struct Failing(fn() -> AppError);

    #[async_trait]
    impl Processor for Failing {
        fn kind(&self) -> ProcessorKind {
            ProcessorKind::InvoiceWriter
        }

        async fn handle(&self, _event: &EventEnvelope) -> Result<(), AppError> {
            Err((self.0)())
        }
    }

    fn delivery(receive_count: u32) -> Delivery {
        let (order, now) = order_domain::testing::pending_order();
        let event = EventEnvelope::new(uuid::Uuid::nil(), now, OrderEvent::OrderCreated(order.created_event()));
        Delivery { message_id: "m-1".into(), receipt: format!("r-{receive_count}"), receive_count, event: Ok(event) }
    }

    /// A queue that delivers one message `receives` times, each receive counting one more, and
    /// then nothing; its retry budget answers `budget`, and is asked exactly `budget_reads` times.
    fn queue(receives: u32, budget_reads: usize, budget: fn() -> PortResult<Option<u32>>) -> MockEventQueue {
        let mut queue = MockEventQueue::new();
        queue.expect_name().return_const("invoices".to_owned());
        let count = AtomicU32::new(0);
        queue.expect_receive().returning(move |_, _| {
            let receive = count.fetch_add(1, Ordering::Relaxed) + 1;
            Ok(if receive <= receives { vec![delivery(receive)] } else { Vec::new() })
        });
        queue.expect_release().returning(|_, _| Ok(()));
        queue.expect_defer().returning(|_, _| Ok(()));
        queue.expect_retry_budget().times(budget_reads).returning(budget);
        queue
    }

    /// Drains `queue` with `processor`, returning the counters recorded, by name.
    fn drain(processor: Failing, queue: MockEventQueue) -> Vec<(String, u64)> {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let subscription = Subscription { processor: Arc::new(processor), queue: Arc::new(queue), concurrency: 1 };
        let consumer = Consumer::new(vec![subscription], ConsumerOptions::default());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        ::metrics::with_local_recorder(&recorder, || runtime.block_on(consumer.drain())).unwrap();
        let mut counters: Vec<(String, u64)> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter_map(|(key, _, _, value)| match value {
                DebugValue::Counter(count) => {
                    let key = key.key();
                    assert!(
                        key.labels().any(|label| label.key() == "processor" && label.value() == "invoice-writer"),
                        "{key:?} names its processor"
                    );
                    Some((key.name().to_owned(), count))
                }
                DebugValue::Gauge(_) | DebugValue::Histogram(_) => None,
            })
            .collect();
        counters.sort();
        counters
    }

    fn counters(expected: &[(&str, u64)]) -> Vec<(String, u64)> {
        let mut expected: Vec<(String, u64)> = expected.iter().map(|(name, n)| ((*name).to_owned(), *n)).collect();
        expected.sort();
        expected
    }

    #[test]
    fn a_failure_is_retried_until_the_last_receive_of_the_budget_which_is_dead_lettered() {
        let failing = Failing(|| AppError::NotAllowed("always fails"));
        // Asked for once, on the first failure.
        let recorded = drain(failing, queue(3, 1, || Ok(Some(3))));
        assert_eq!(
            recorded,
            counters(&[(metrics::EVENTS_FAILED, 3), (metrics::EVENTS_RETRIED, 2), (metrics::EVENTS_DEAD_LETTERED, 1)])
        );
    }

    #[test]
    fn without_a_budget_a_failure_is_counted_as_failed_only() {
        let failing = || Failing(|| AppError::NotAllowed("always fails"));
        assert_eq!(drain(failing(), queue(2, 1, || Ok(None))), counters(&[(metrics::EVENTS_FAILED, 2)]));
        // A budget that could not be read is asked for again at the next failure.
        let unreadable = || Err(PortError::transient("GetQueueAttributes throttled"));
        assert_eq!(drain(failing(), queue(2, 2, unreadable)), counters(&[(metrics::EVENTS_FAILED, 2)]));
    }

    #[test]
    fn contention_is_deferred_and_spends_no_budget() {
        let held = Failing(|| AppError::LeaseHeld { what: "sending", lease_remaining: Duration::from_secs(20) });
        assert_eq!(drain(held, queue(2, 0, || Ok(Some(2)))), counters(&[(metrics::EVENTS_DEFERRED, 2)]));
    }
}
