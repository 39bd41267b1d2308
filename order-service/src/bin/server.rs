//! The HTTP server, in memory (the default) or on AWS (`--backend aws`, feature `aws`, the
//! `BBWS_…` variables of [`aws_host`](order_service::aws_host)), with the application's
//! [background service](order_app::background) (processors and sweep) unless `--no-processors`
//! leaves it to others (in an AWS deployment, the Lambda functions). SIGTERM or SIGINT stops both
//! gracefully. `--dev` (`cargo run -p order-service --bin server -- --dev`) mints tokens at
//! `POST /dev/token` and uses the demonstration settings and demo carts; without it, on either
//! backend, the application's settings and the cart service's of
//! [`profile`](order_service::profile) and the token settings of
//! [`http_settings`](order_service::http_settings) are required, and the server refuses to
//! start naming what is missing. In memory it keeps a bounded window of documents and emails
//! (`--keep-documents`, `--keep-emails`, 1000 each; 0 keeps every one), so that they take a fixed
//! memory however many orders it takes (the orders themselves are all kept). Prometheus metrics are
//! served at `GET /metrics` on an admin address (`--metrics-addr`, `127.0.0.1:9464`; `off`
//! records nothing and samples no queue depth), see [`metrics`](order_service::metrics). Built
//! with the feature `otlp` and given `OTEL_EXPORTER_OTLP_ENDPOINT`, it exports its request and
//! processor spans as OTLP traces and flushes them as it stops (see
//! [`telemetry`](order_service::telemetry)). `--help` lists every flag.

use std::error::Error;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use adapters_http::{router, serve};
use clap::{Parser, ValueEnum};
use futures::FutureExt;
use order_app::{BackgroundOptions, ConsumerOptions};
use order_service::http_settings::HttpSettings;
use order_service::memory::{InMemoryStack, StackOptions};
use order_service::metrics::{DEFAULT_METRICS_ADDR, MetricsAddr, serve_prometheus};
use order_service::profile::{Mode, Profile};
use order_service::telemetry::{LogFormat, run_host};
use tracing::info;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Where the orders live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// In-memory adapters: no set-up, nothing kept after the process ends.
    Memory,
    /// DynamoDB, SNS/SQS, S3 and SES, configured by the `BBWS_…` variables (feature `aws`).
    Aws,
}

/// BBWS Order Management HTTP server.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Where the orders live.
    #[arg(long, env = "BBWS_BACKEND", value_enum, default_value_t = Backend::Memory)]
    backend: Backend,
    /// Address to listen on.
    #[arg(long, env = "BBWS_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Log as JSON lines.
    #[arg(long, env = "BBWS_LOG_JSON")]
    log_json: bool,
    #[command(flatten)]
    http: HttpSettings,
    /// Run no processors and no sweep here (in AWS deployments, Lambda functions do).
    #[arg(long, env = "BBWS_NO_PROCESSORS")]
    no_processors: bool,
    /// How long one receive waits for messages on an empty queue, in milliseconds.
    #[arg(long, env = "BBWS_POLL_MS", default_value_t = 200)]
    poll_ms: u64,
    /// How often the sweep (outbox relay, then expiry) runs, in seconds.
    #[arg(long, env = "BBWS_SWEEP_SECS", default_value_t = 10)]
    sweep_secs: u64,
    /// In memory: how many documents (PDFs) to keep, the oldest evicted first so that they take
    /// a fixed memory; fetching an evicted one answers 410 `document-evicted`. 0 keeps every one.
    #[arg(long, env = "BBWS_KEEP_DOCUMENTS", default_value_t = 1000, value_name = "N")]
    keep_documents: usize,
    /// In memory: how many sent emails to keep, the oldest evicted first. 0 keeps every one.
    #[arg(long, env = "BBWS_KEEP_EMAILS", default_value_t = 1000, value_name = "N")]
    keep_emails: usize,
    /// Threads of the processors' own runtime, at the lowest scheduling priority: their CPU work
    /// (rendering PDFs) never occupies the threads that answer requests, so a backlog delays
    /// documents, never answers. 0 runs them on the request threads; at most 64.
    #[arg(long, env = "BBWS_PROCESSOR_THREADS", default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u16).range(0..=64))]
    processor_threads: u16,
    /// Where to serve Prometheus metrics (`GET /metrics`): an admin address apart from the
    /// API's, loopback by default; `off` records nothing.
    #[arg(long, env = "BBWS_METRICS_ADDR", default_value = DEFAULT_METRICS_ADDR, value_name = "ADDR|off")]
    metrics_addr: MetricsAddr,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let format = if args.log_json { LogFormat::Json } else { LogFormat::Text };
    run_host(format, |name| std::env::var(name).ok(), || run(args)).await
}

/// Puts the calling thread at the lowest scheduling priority (on Linux, nice 19), so that a
/// thread answering requests wins a core whenever both are ready. Not being allowed to is only
/// logged: the processors still run, on an equal footing.
fn lowest_priority() {
    if let Err(error) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
        tracing::warn!(?error, "could not lower the processors' thread priority");
    }
}

/// Where the background service runs.
enum Processors {
    /// On the request threads' runtime (`--processor-threads 0`).
    Shared(tokio::task::JoinHandle<order_app::background::BackgroundReport>),
    /// On a runtime of its own, on this thread.
    Own(std::thread::JoinHandle<order_app::background::BackgroundReport>),
}

async fn run(args: Args) -> Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    let mode = Mode::from_dev_flag(args.http.dev);
    let (app, queues) = match args.backend {
        Backend::Memory => {
            let profile = Profile::from_lookup(env, mode)?;
            let options = StackOptions::new(profile.config)
                .with_cart_gateway(profile.carts)
                .keeping(args.keep_documents, args.keep_emails);
            let stack = InMemoryStack::new(options)?;
            info!(
                keep_documents = args.keep_documents,
                keep_emails = args.keep_emails,
                "in memory: keeping the last documents and emails (0: every one)"
            );
            (stack.app.clone(), stack.event_queues())
        }
        #[cfg(feature = "aws")]
        Backend::Aws => {
            let host = order_service::aws_host::AwsHost::from_lookup(env, mode)?;
            let stack = host.stack().await?;
            info!(environment = %host.aws.environment, table = %stack.resources.orders_table, "AWS resources ready");
            (stack.app.clone(), stack.event_queues())
        }
        #[cfg(not(feature = "aws"))]
        Backend::Aws => return Err("built without the `aws` feature (cargo run --features aws)".into()),
    };
    let state = args.http.state(app.clone(), &format!("http://{}/dev", args.bind)).await?;
    let shutdown = order_service::signal::shutdown().shared();
    let metrics = serve_prometheus(args.metrics_addr, shutdown.clone()).await?;
    let background = (!args.no_processors).then(|| {
        let options = BackgroundOptions {
            consumer: ConsumerOptions {
                wait: Duration::from_millis(args.poll_ms.max(10)),
                ..ConsumerOptions::default()
            },
            sweep_every: Some(Duration::from_secs(args.sweep_secs.max(1))),
            // Nothing records the queues' depth without metrics: no sample.
            queue_depth_every: BackgroundOptions::default().queue_depth_every.filter(|_| metrics.is_some()),
            ..BackgroundOptions::default()
        };
        let service = app.background(&queues, options).run(shutdown.clone());
        if args.processor_threads == 0 {
            return Ok(Processors::Shared(tokio::spawn(service)));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(usize::from(args.processor_threads))
            .thread_name("processors")
            .on_thread_start(lowest_priority)
            .enable_all()
            .build()?;
        info!(threads = args.processor_threads, "processors on their own runtime, at the lowest scheduling priority");
        let thread = std::thread::Builder::new().name("processors".into()).spawn(move || {
            lowest_priority();
            runtime.block_on(service)
        })?;
        Ok::<_, std::io::Error>(Processors::Own(thread))
    });
    let background = background.transpose()?;
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    info!(address = %listener.local_addr()?, backend = ?args.backend, dev = args.http.dev, "serving");
    serve(listener, router(state), shutdown).await?;
    match background {
        Some(Processors::Shared(task)) => {
            task.await?;
        }
        Some(Processors::Own(thread)) => {
            tokio::task::spawn_blocking(move || thread.join()).await?.map_err(|_| "the processors' thread panicked")?;
        }
        None => {}
    }
    // Answered requests may have handed published outbox entries to a background deletion.
    app.settle().await;
    if let Some(metrics) = metrics {
        metrics.await?;
    }
    Ok(())
}
