//! The queue worker for deployments without Lambda: long-polls the four SQS queues and runs
//! the four processors with bounded concurrency each, until SIGTERM or SIGINT. On the signal
//! it stops receiving, releases what it received but did not start, finishes (and
//! acknowledges) what is in flight, and exits 0.
//!
//! AWS is configured by the `BBWS_…` variables every host reads (see `aws_host`):
//!
//! ```sh
//! eval "$(cargo run -p order-service --features aws --bin bbws -- local provision)"
//! cargo run -p order-service --features aws --bin worker
//! ```

use std::error::Error;
use std::time::Duration;

use clap::Parser;
use order_app::Subscription;
use order_ports::{EventQueue, PerProcessor};
use order_service::aws_host::AwsHostConfig;
use order_service::memory::demo_config;
use order_service::telemetry::{LogFormat, init_logs};
use order_service::worker::{Worker, WorkerOptions};
use tracing::info;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// BBWS Order Management queue worker (SQS): the four processors until SIGTERM/SIGINT.
#[derive(Debug, Parser)]
#[command(version, about)]
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
    /// Log as JSON lines.
    #[arg(long, env = "BBWS_LOG_JSON")]
    log_json: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    init_logs(if args.log_json { LogFormat::Json } else { LogFormat::Text });

    let host = AwsHostConfig::from_lookup(|name| std::env::var(name).ok())?;
    let stack = host.stack(demo_config()?).await?;
    let concurrency = PerProcessor {
        record_writer: args.record_writer,
        invoice_writer: args.invoice_writer,
        internal_notifier: args.internal_notifier,
        customer_notifier: args.customer_notifier,
    };
    let queues = stack.adapters.queues.map(|_, queue| queue.clone() as std::sync::Arc<dyn EventQueue>);
    let subscriptions = Subscription::per_processor(stack.processors(), &queues, &concurrency.map(|_, n| (*n).max(1)));
    let options = WorkerOptions {
        wait: Duration::from_secs(args.poll_wait_secs),
        retry_delay: Duration::from_secs(args.retry_delay_secs),
        grace: Duration::from_secs(args.grace_secs),
        ..WorkerOptions::default()
    };
    info!(environment = %host.environment, "starting the queue worker");
    let report = Worker::new(subscriptions, options).run(shutdown_signal()).await;
    let total = report.total();
    info!(handled = total.handled, released = total.released, "bye");
    Ok(())
}

/// Completes on SIGTERM (what container platforms send) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => info!("SIGINT received"),
                }
                return;
            }
            Err(error) => tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the worker"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    info!("SIGINT received");
}
