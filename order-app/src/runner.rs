//! Driving the processors from their queues, in process.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use order_ports::{Delivery, EventQueue, PerProcessor, PortError};
use tracing::{Instrument, info_span, warn};

use crate::processors::{Processor, handle_event};

/// A processor and the queue it consumes.
#[derive(Clone)]
pub struct Subscription {
    /// What handles the events.
    pub processor: Arc<dyn Processor>,
    /// Where they come from.
    pub queue: Arc<dyn EventQueue>,
    /// How many events of this queue are handled at once.
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

/// What a run did, per processor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Events handled successfully (and deleted), by processor name.
    pub handled: BTreeMap<&'static str, usize>,
    /// Failed attempts (released for a retry), by processor name.
    pub failed: BTreeMap<&'static str, usize>,
}

/// Drives processors from their queues: receive a batch, handle each event (with bounded
/// concurrency per processor), delete what succeeded, release what failed for a retry. After
/// a queue's retry budget a failing message moves to its dead-letter queue (the queue does
/// that), and the other processors are unaffected.
pub struct Runner {
    subscriptions: Vec<Subscription>,
    batch: usize,
    wait: Duration,
    retry_delay: Duration,
}

impl Runner {
    /// A runner receiving up to 10 messages per poll, releasing failures for immediate retry.
    pub fn new(subscriptions: Vec<Subscription>) -> Self {
        Self { subscriptions, batch: 10, wait: Duration::ZERO, retry_delay: Duration::ZERO }
    }

    /// How many messages to receive per poll (SQS allows at most 10).
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.clamp(1, 10);
        self
    }

    /// How long one poll waits for messages to arrive (long polling).
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// How long a failed message stays hidden before its retry.
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// Polls every queue once, concurrently; returns how many messages were received.
    ///
    /// # Errors
    /// A queue that cannot be read; the other queues' work is still done and reported.
    pub async fn poll_once(&self, report: &mut RunReport) -> Result<usize, PortError> {
        let rounds = futures::future::join_all(self.subscriptions.iter().map(|sub| self.poll(sub))).await;
        let mut received = 0;
        let mut first_error = None;
        for (sub, round) in self.subscriptions.iter().zip(rounds) {
            match round {
                Ok((ok, failed)) => {
                    received += ok + failed;
                    *report.handled.entry(sub.processor.name()).or_default() += ok;
                    *report.failed.entry(sub.processor.name()).or_default() += failed;
                }
                Err(error) => {
                    warn!(queue = sub.queue.name(), %error, "could not receive");
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) if received == 0 => Err(error),
            _ => Ok(received),
        }
    }

    /// Polls until a round receives nothing from any queue: every event published so far has
    /// been handled or has landed in a dead-letter queue.
    ///
    /// # Errors
    /// A queue that cannot be read.
    pub async fn run_until_drained(&self) -> Result<RunReport, PortError> {
        let mut report = RunReport::default();
        while self.poll_once(&mut report).await? > 0 {}
        Ok(report)
    }

    /// One batch from one queue: (handled, failed).
    async fn poll(&self, sub: &Subscription) -> Result<(usize, usize), PortError> {
        let deliveries = sub.queue.receive(self.batch, self.wait).await?;
        let handled = AtomicUsize::new(0);
        let failed = AtomicUsize::new(0);
        futures::stream::iter(deliveries)
            .for_each_concurrent(sub.concurrency.max(1), |delivery| {
                let span = info_span!("event", processor = sub.processor.name(), message_id = %delivery.message_id, receive = delivery.receive_count);
                let (handled, failed) = (&handled, &failed);
                async move {
                    if self.handle(sub, delivery).await {
                        handled.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                .instrument(span)
            })
            .await;
        Ok((handled.into_inner(), failed.into_inner()))
    }

    /// Handles one delivery; `true` when it succeeded and was deleted.
    async fn handle(&self, sub: &Subscription, delivery: Delivery) -> bool {
        let outcome = match &delivery.event {
            Ok(event) => handle_event(sub.processor.as_ref(), event).await.map_err(|error| {
                warn!(order = %event.event.order_id(), event = event.event.event_type(), %error, retryable = error.is_retryable(), "processing failed");
            }),
            Err(reason) => {
                warn!(%reason, "message is not a valid event; it will reach the dead-letter queue");
                Err(())
            }
        };
        if outcome.is_ok() {
            if let Err(error) = sub.queue.ack(&delivery.receipt).await {
                // The message comes back and is handled again: processors are idempotent.
                warn!(%error, "handled, but could not delete the message");
            }
            return true;
        }
        if let Err(error) = sub.queue.release(&delivery.receipt, self.retry_delay).await {
            warn!(%error, "could not release the message; it returns after its visibility timeout");
        }
        false
    }
}
