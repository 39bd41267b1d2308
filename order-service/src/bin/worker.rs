//! The queue worker for deployments without Lambda: the application's
//! [background service](order_app::background) on AWS — the four processors long-polling their
//! SQS queues with bounded concurrency each, and the sweep (outbox relay, then expiry) — until
//! SIGTERM or SIGINT. On the signal it stops receiving, releases what it received but did not
//! start, finishes (and acknowledges) what is in flight, and exits 0.
//!
//! Prometheus metrics are served at `GET /metrics` on `--metrics-addr` (`127.0.0.1:9465`; `off`
//! records nothing and samples no queue depth). Built with the feature `otlp` and given
//! `OTEL_EXPORTER_OTLP_ENDPOINT`, it exports the processors' spans as OTLP traces and flushes
//! them as it stops (see `order_service::telemetry`).
//!
//! The sweep runs here by default, so that a deployment of servers (`--no-processors`) and
//! workers is a whole system; several workers sweeping at once are safe (the expiry's writes
//! are version-conditioned, a twice-relayed event is a duplicate the processors tolerate).
//! `--no-sweep` leaves it to another host, such as the sweep Lambda.
//!
//! AWS is configured by the `BBWS_…` variables every host reads (see `aws_host`), the
//! application and the cart service by those of `profile`; without them the worker refuses to
//! start, naming every one missing. `--dev` (`BBWS_DEV`, in builds with the feature `dev`)
//! uses the demonstration settings and an in-memory cart service instead, for a local run:
//!
//! ```sh
//! eval "$(cargo run -p order-service --features aws --bin bbws -- local provision)"
//! cargo run -p order-service --features aws --bin worker -- --dev
//! ```

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures::FutureExt;
use order_app::{BackgroundOptions, ConsumerOptions};
use order_ports::PerProcessor;
use order_service::aws_host::AwsHost;
use order_service::metrics::{MetricsAddr, serve_prometheus};
use order_service::profile::Mode;
use order_service::telemetry::{LogFormat, run_host};
use tracing::info;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// BBWS Order Management queue worker (SQS): the four processors and the sweep until
/// SIGTERM/SIGINT.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Record writer events handled at once.
    #[arg(long, env = "BBWS_WORKER_RECORD_WRITER", default_value_t = 5)]
    record_writer: usize,
    /// Invoice writer events handled at once.
    #[arg(long, env = "BBWS_WORKER_INVOICE_WRITER", default_value_t = 10)]
    invoice_writer: usize,
    /// Internal notifier events handled at once.
    #[arg(long, env = "BBWS_WORKER_INTERNAL_NOTIFIER", default_value_t = 5)]
    internal_notifier: usize,
    /// Customer notifier events handled at once.
    #[arg(long, env = "BBWS_WORKER_CUSTOMER_NOTIFIER", default_value_t = 5)]
    customer_notifier: usize,
    /// Seconds one receive waits for messages (SQS long polling, 1–20); a shutdown begins
    /// within this time.
    #[arg(long, env = "BBWS_WORKER_POLL_WAIT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=20))]
    poll_wait_secs: u64,
    /// Seconds a failed message stays hidden before its retry.
    #[arg(long, env = "BBWS_WORKER_RETRY_DELAY_SECS", default_value_t = 5)]
    retry_delay_secs: u64,
    /// Seconds a shutdown waits for the events in flight.
    #[arg(long, env = "BBWS_WORKER_GRACE_SECS", default_value_t = 25)]
    grace_secs: u64,
    /// How often the sweep (outbox relay, then expiry) runs, in seconds.
    #[arg(long, env = "BBWS_SWEEP_SECS", default_value_t = 10)]
    sweep_secs: u64,
    /// Run no sweep here (another host, such as the sweep Lambda, runs it).
    #[arg(long, env = "BBWS_WORKER_NO_SWEEP")]
    no_sweep: bool,
    /// Log as JSON lines.
    #[arg(long, env = "BBWS_LOG_JSON")]
    log_json: bool,
    /// Development mode: the demonstration settings and an in-memory cart service (builds with
    /// the feature `dev` only; others refuse to start with it).
    #[arg(long, env = "BBWS_DEV")]
    dev: bool,
    /// Where to serve Prometheus metrics (`GET /metrics`), loopback by default (beside a
    /// server's `127.0.0.1:9464`); `off` records nothing.
    #[arg(long, env = "BBWS_WORKER_METRICS_ADDR", default_value = WORKER_METRICS_ADDR, value_name = "ADDR|off")]
    metrics_addr: MetricsAddr,
}

/// The worker's default metrics address: the port after the server's, so both run on one host.
const WORKER_METRICS_ADDR: &str = "127.0.0.1:9465";

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let format = if args.log_json { LogFormat::Json } else { LogFormat::Text };
    run_host(format, |name| std::env::var(name).ok(), || run(args)).await
}

async fn run(args: Args) -> Result<()> {
    let host = AwsHost::from_lookup(|name| std::env::var(name).ok(), Mode::from_dev_flag(args.dev))?;
    let stack = host.stack().await?;
    let options = BackgroundOptions {
        concurrency: PerProcessor {
            record_writer: args.record_writer,
            invoice_writer: args.invoice_writer,
            internal_notifier: args.internal_notifier,
            customer_notifier: args.customer_notifier,
        },
        consumer: ConsumerOptions {
            wait: Duration::from_secs(args.poll_wait_secs),
            retry_delay: Duration::from_secs(args.retry_delay_secs),
            grace: Duration::from_secs(args.grace_secs),
            ..ConsumerOptions::default()
        },
        sweep_every: (!args.no_sweep).then(|| Duration::from_secs(args.sweep_secs.max(1))),
        ..BackgroundOptions::default()
    };
    info!(environment = %host.aws.environment, dev = args.dev, sweep = !args.no_sweep, "starting the queue worker");
    let shutdown = order_service::signal::shutdown().shared();
    let metrics = serve_prometheus(args.metrics_addr, shutdown.clone()).await?;
    // Nothing records the queues' depth without metrics: no sample, no GetQueueAttributes.
    let options =
        BackgroundOptions { queue_depth_every: options.queue_depth_every.filter(|_| metrics.is_some()), ..options };
    let background = stack.app.background(&stack.event_queues(), options);
    let total = background.run(shutdown).await.consumer.total();
    if let Some(metrics) = metrics {
        metrics.await?;
    }
    info!(handled = total.handled, released = total.released, "bye");
    Ok(())
}
