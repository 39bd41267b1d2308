//! The background service of a long-running host: the [consumer](crate::consumer) over the
//! application's canonical processors, the periodic [sweep](OrderApp::sweep) (relay, then
//! expiry), and a periodic sample of every processor's queue depth ([`metrics::queue_depth`]),
//! until a shutdown future completes. The HTTP server runs it beside its routes, the
//! queue worker runs it alone, and a service that embeds the application spawns it:
//!
//! ```
//! use std::sync::Arc;
//! use order_app::OrderApp;
//! use order_app::background::BackgroundOptions;
//! use order_ports::{EventQueue, PerProcessor};
//!
//! /// Runs the processors and the sweep until `shutdown` (a signal, say) completes.
//! async fn process(app: Arc<OrderApp>, queues: PerProcessor<Arc<dyn EventQueue>>, shutdown: impl Future<Output = ()>) {
//!     let report = app.background(&queues, BackgroundOptions::default()).run(shutdown).await;
//!     println!("{} events handled, {} sweeps", report.consumer.total().handled, report.sweeps);
//! }
//! ```
//!
//! Stopping loses nothing: the consumer releases what it received but did not start and
//! finishes what it started (see [`Consumer::run`]); a sweep in progress may finish within the
//! same grace, and one cut short is safe too, since every change it made was committed with its
//! event in the outbox, which the next sweep relays.

use std::sync::Arc;
use std::time::{Duration, Instant};

use order_ports::{EventQueue, PerProcessor, ProcessorKind};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tracing::{debug, info, warn};

use crate::app::OrderApp;
use crate::consumer::{Consumer, ConsumerOptions, ConsumerReport, Subscription, stop_requested};
use crate::metrics;
use crate::usecases::sweep::SweepOptions;

/// What the background service runs, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackgroundOptions {
    /// Events handled at once, per processor (at least 1 each).
    pub concurrency: PerProcessor<usize>,
    /// How the consumer polls and stops; its `grace` also bounds a sweep in progress at shutdown.
    pub consumer: ConsumerOptions,
    /// How often the sweep runs (the first at start); `None` runs no sweep in this process,
    /// for a deployment where another host (the sweep Lambda, a server) runs it. Each sweep
    /// may start expiry pages for one period, so sweeps never pile up.
    pub sweep_every: Option<Duration>,
    /// How each sweep pages.
    pub sweep: SweepOptions,
    /// How often the depth of every processor's queue is sampled into the queue gauges
    /// ([`metrics::queue_depth`]), the first at start; `None` samples nothing. A host that
    /// records no metrics turns it off: on SQS each sample costs two `GetQueueAttributes` per
    /// queue.
    pub queue_depth_every: Option<Duration>,
}

impl Default for BackgroundOptions {
    /// The HLD's reserved concurrency (record writer 5, invoice writer 10, notifiers 5 each),
    /// the consumer's defaults, a sweep every 10 s (the relay's pace: an event left in the
    /// outbox by a failed publish waits at most that long) with pages of 100, and the queues'
    /// depth every 15 s.
    fn default() -> Self {
        Self {
            concurrency: PerProcessor::from_fn(|kind| if kind == ProcessorKind::InvoiceWriter { 10 } else { 5 }),
            consumer: ConsumerOptions::default(),
            sweep_every: Some(Duration::from_secs(10)),
            sweep: SweepOptions::default(),
            queue_depth_every: Some(Duration::from_secs(15)),
        }
    }
}

/// What a run of the background service did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackgroundReport {
    /// What the consumer did.
    pub consumer: ConsumerReport,
    /// Sweeps run (failed ones included).
    pub sweeps: usize,
    /// Sweeps that failed (logged; the next one picks up the rest). What each sweep did is
    /// logged by [`OrderApp::sweep`].
    pub failed_sweeps: usize,
}

/// The consumer, the sweep and the depth samples of one application, ready to run; see the
/// [module docs](self).
pub struct Background {
    app: Arc<OrderApp>,
    consumer: Consumer,
    queues: Vec<(ProcessorKind, Arc<dyn EventQueue>)>,
    options: BackgroundOptions,
}

impl OrderApp {
    /// The background service over this application's [canonical processors](OrderApp::processors),
    /// each fed from its own kind's queue in `queues`.
    pub fn background(
        self: &Arc<Self>,
        queues: &PerProcessor<Arc<dyn EventQueue>>,
        options: BackgroundOptions,
    ) -> Background {
        let concurrency = options.concurrency.map(|_, n| (*n).max(1));
        let subscriptions = Subscription::per_processor(self.processors(), queues, &concurrency);
        let queues = subscriptions.iter().map(|sub| (sub.processor.kind(), sub.queue.clone())).collect();
        Background { app: self.clone(), consumer: Consumer::new(subscriptions, options.consumer), queues, options }
    }
}

impl Background {
    /// Runs the consumer, the sweep and the depth samples until `shutdown` completes, then stops
    /// them gracefully and reports.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> BackgroundReport {
        let (stop, stopped) = watch::channel(false);
        let signal = async {
            shutdown.await;
            let _ = stop.send(true);
        };
        let consuming = self.consumer.run({
            let mut stopped = stopped.clone();
            async move { stop_requested(&mut stopped).await }
        });
        let sampling = async {
            if let Some(every) = self.options.queue_depth_every {
                sample_queue_depths(&self.queues, every, stopped.clone()).await;
            }
        };
        let ((), consumer, mut report, ()) = tokio::join!(signal, consuming, self.sweeps(stopped.clone()), sampling);
        report.consumer = consumer;
        self.app.settle().await;
        info!(sweeps = report.sweeps, failed_sweeps = report.failed_sweeps, "background service stopped");
        report
    }

    /// A sweep every period until stopped.
    async fn sweeps(&self, mut stopped: watch::Receiver<bool>) -> BackgroundReport {
        let mut report = BackgroundReport::default();
        let Some(every) = self.options.sweep_every else {
            info!("no sweep in this process");
            return report;
        };
        let every = every.max(Duration::from_millis(1));
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = stop_requested(&mut stopped) => break,
                _ = ticks.tick() => {}
            }
            // Pages may start for one period; the reserve is the last page's room to finish.
            let deadline = Instant::now() + every + self.options.sweep.reserve;
            let grace = self.options.consumer.grace;
            let cut_short = async {
                stop_requested(&mut stopped).await;
                tokio::time::sleep(grace).await;
            };
            tokio::select! {
                swept = self.app.sweep(self.options.sweep, deadline) => {
                    report.sweeps += 1;
                    // A failure is logged by the sweep; the next one picks up the rest.
                    if swept.is_err() {
                        report.failed_sweeps += 1;
                    }
                }
                () = cut_short => {
                    warn!("shutdown grace over: the sweep in progress is cut short; its changes are committed with their events, which the next sweep relays");
                    break;
                }
            }
        }
        report
    }
}

/// What the last depth sample of one queue found: a queue that keeps failing (or cannot tell)
/// is logged once, not every period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LastSample {
    Sampled,
    Failed,
    Unknown,
}

/// Samples the depth of every queue into the queue gauges ([`metrics::queue_depth`]) every
/// period, the first at once, until stopped. A failed sample is logged at `warn` when a queue
/// starts failing and at `debug` while it goes on, and records nothing (the gauges keep the last
/// sample); a queue that cannot tell its depth records nothing either.
pub(crate) async fn sample_queue_depths(
    queues: &[(ProcessorKind, Arc<dyn EventQueue>)],
    every: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(1)));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last = vec![LastSample::Sampled; queues.len()];
    loop {
        tokio::select! {
            biased;
            () = stop_requested(&mut stopped) => break,
            _ = ticks.tick() => {}
        }
        // A sample only reads, so a stop may cut it short.
        let samples = tokio::select! {
            biased;
            () = stop_requested(&mut stopped) => break,
            samples = futures::future::join_all(queues.iter().map(|(_, queue)| queue.depth())) => samples,
        };
        for (((kind, queue), sample), last) in queues.iter().zip(samples).zip(&mut last) {
            let queue = queue.name();
            *last = match sample {
                Ok(Some(depth)) => {
                    if *last == LastSample::Failed {
                        info!(queue, "the queue's depth is sampled again");
                    }
                    metrics::queue_depth(*kind, &depth);
                    LastSample::Sampled
                }
                Ok(None) => {
                    if *last != LastSample::Unknown {
                        debug!(queue, "the queue cannot tell its depth; no depth gauges for it");
                    }
                    LastSample::Unknown
                }
                Err(error) => {
                    if *last == LastSample::Failed {
                        debug!(queue, %error, "could not sample the queue's depth");
                    } else {
                        warn!(queue, %error, "could not sample the queue's depth; trying again each period, and saying so once it works");
                    }
                    LastSample::Failed
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use order_ports::{MockEventQueue, PortError, QueueDepth};

    use super::*;

    fn queue(depth: fn() -> order_ports::PortResult<Option<QueueDepth>>) -> Arc<dyn EventQueue> {
        let mut queue = MockEventQueue::new();
        queue.expect_name().return_const("queue".to_owned());
        queue.expect_depth().returning(depth);
        Arc::new(queue)
    }

    #[test]
    fn every_queue_that_tells_its_depth_is_sampled_into_the_gauges() {
        let queues = [
            (
                ProcessorKind::RecordWriter,
                queue(|| {
                    let oldest_age = Some(Duration::from_millis(1500));
                    Ok(Some(QueueDepth { visible: 3, in_flight: 2, delayed: 1, dead_letters: 4, oldest_age }))
                }),
            ),
            (ProcessorKind::InvoiceWriter, queue(|| Ok(Some(QueueDepth { visible: 7, ..QueueDepth::default() })))),
            (ProcessorKind::InternalNotifier, queue(|| Err(PortError::transient("GetQueueAttributes throttled")))),
            (ProcessorKind::CustomerNotifier, queue(|| Ok(None))),
        ];
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let (stop, stopped) = watch::channel(false);
        ::metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                // Two samples, 10 ms apart, then the stop.
                let stopping = async {
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    let _ = stop.send(true);
                };
                tokio::join!(sample_queue_depths(&queues, Duration::from_millis(10), stopped), stopping);
            });
        });
        let mut gauges: Vec<(String, Vec<String>, f64)> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let DebugValue::Gauge(value) = value else { panic!("{key:?} is not a gauge") };
                let key = key.key();
                let labels = key.labels().map(|label| format!("{}={}", label.key(), label.value())).collect();
                (key.name().to_owned(), labels, value.into_inner())
            })
            .collect();
        gauges.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let expected = [
            (metrics::DEAD_LETTER_QUEUE_MESSAGES, vec!["processor=invoice-writer"], 0.0),
            (metrics::DEAD_LETTER_QUEUE_MESSAGES, vec!["processor=record-writer"], 4.0),
            (metrics::QUEUE_MESSAGES, vec!["processor=invoice-writer", "state=delayed"], 0.0),
            (metrics::QUEUE_MESSAGES, vec!["processor=invoice-writer", "state=in_flight"], 0.0),
            (metrics::QUEUE_MESSAGES, vec!["processor=invoice-writer", "state=visible"], 7.0),
            (metrics::QUEUE_MESSAGES, vec!["processor=record-writer", "state=delayed"], 1.0),
            (metrics::QUEUE_MESSAGES, vec!["processor=record-writer", "state=in_flight"], 2.0),
            (metrics::QUEUE_MESSAGES, vec!["processor=record-writer", "state=visible"], 3.0),
            (metrics::QUEUE_OLDEST_MESSAGE_AGE, vec!["processor=record-writer"], 1.5),
        ];
        let expected: Vec<(String, Vec<String>, f64)> = expected
            .into_iter()
            .map(|(name, labels, value)| (name.to_owned(), labels.into_iter().map(str::to_owned).collect(), value))
            .collect();
        assert_eq!(gauges, expected, "the failing queue and the one that cannot tell record nothing");
    }
}
