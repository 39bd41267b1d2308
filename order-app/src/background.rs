//! The background service of a long-running host: the [consumer](crate::consumer) over the
//! application's canonical processors, and the periodic [sweep](OrderApp::sweep) (relay, then
//! expiry), until a shutdown future completes. The HTTP server runs it beside its routes, the
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
use tracing::{info, warn};

use crate::app::OrderApp;
use crate::consumer::{Consumer, ConsumerOptions, ConsumerReport, Subscription, stop_requested};
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
}

impl Default for BackgroundOptions {
    /// The HLD's reserved concurrency (record writer 5, invoice writer 10, notifiers 5 each),
    /// the consumer's defaults, and a sweep every 10 s (the relay's pace: an event left in the
    /// outbox by a failed publish waits at most that long) with pages of 100.
    fn default() -> Self {
        Self {
            concurrency: PerProcessor::from_fn(|kind| if kind == ProcessorKind::InvoiceWriter { 10 } else { 5 }),
            consumer: ConsumerOptions::default(),
            sweep_every: Some(Duration::from_secs(10)),
            sweep: SweepOptions::default(),
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

/// The consumer and the sweep of one application, ready to run; see the [module docs](self).
pub struct Background {
    app: Arc<OrderApp>,
    consumer: Consumer,
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
        Background { app: self.clone(), consumer: Consumer::new(subscriptions, options.consumer), options }
    }
}

impl Background {
    /// Runs the consumer and the sweep until `shutdown` completes, then stops both gracefully
    /// and reports.
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
        let ((), consumer, mut report) = tokio::join!(signal, consuming, self.sweeps(stopped));
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
