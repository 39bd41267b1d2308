//! The HTTP server, on the in-memory adapters (the default) or on AWS, with the processors, the
//! expiry sweep and the outbox relay running in the background.
//!
//! Development mode (`--dev`) makes an RSA key pair at start-up, serves its JWKS at
//! `/dev/jwks.json`, mints tokens at `POST /dev/token`, accepts PayFast notifications from
//! loopback and seeds demo carts `cart_demo_1` … `cart_demo_9`:
//!
//! ```sh
//! cargo run -p order-service --bin server -- --dev
//! ```
//!
//! `--backend aws` (`BBWS_BACKEND=aws`, feature `aws`) serves the application on DynamoDB,
//! SNS/SQS, S3 and SES, configured by the `BBWS_…` variables of
//! [`aws_host`](order_service::aws_host) (`BBWS_PROVISION=true` creates the resources on a local
//! moto server or a development account).
//!
//! The background work runs against whichever backend serves the API, on both by default: a
//! server alone is a whole system. `--no-processors` (`BBWS_NO_PROCESSORS`) leaves the queues,
//! the sweep and the relay to others — in an AWS deployment, the Lambda functions.
//!
//! Without `--dev`, tokens are verified against a real issuer: `--issuer`, `--client-id`,
//! `--jwks-url` or `--jwks-file`, and `--cursor-key` are required (see
//! [`settings`](order_service::http_settings)). Every flag also reads an environment variable
//! (`BBWS_…`); `--help` lists them.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use adapters_http::{router, serve};
use adapters_memory::MemoryCartGateway;
use clap::{Parser, ValueEnum};
use order_app::{OrderApp, RunReport, Runner};
use order_service::http_settings::HttpSettings;
use order_service::memory::{InMemoryStack, StackOptions, seed_demo_carts};
use order_service::telemetry::{LogFormat, init_logs};
use tracing::{info, warn};

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
#[command(version, about)]
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
    /// Run no processors, sweep or relay here (in AWS deployments, Lambda functions do).
    #[arg(long, env = "BBWS_NO_PROCESSORS")]
    no_processors: bool,
    /// How long the processors wait when their queues are empty, in milliseconds.
    #[arg(long, env = "BBWS_POLL_MS", default_value_t = 200)]
    poll_ms: u64,
    /// How often the expiry sweep runs, in seconds.
    #[arg(long, env = "BBWS_SWEEP_SECS", default_value_t = 60)]
    sweep_secs: u64,
    /// How often the outbox relay runs, in seconds.
    #[arg(long, env = "BBWS_RELAY_SECS", default_value_t = 10)]
    relay_secs: u64,
}

/// The application on the chosen backend, with what the server needs of its adapters.
struct Wired {
    app: Arc<OrderApp>,
    carts: Arc<MemoryCartGateway>,
    runner: Runner,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    init_logs(if args.log_json { LogFormat::Json } else { LogFormat::Text });

    let wired = match args.backend {
        Backend::Memory => {
            let stack = InMemoryStack::new(StackOptions::wall_clock())?;
            Wired { app: stack.app.clone(), carts: stack.carts.clone(), runner: stack.runner_with(stack.processors()) }
        }
        Backend::Aws => aws().await?,
    };
    let state = args.http.state(wired.app.clone(), &format!("http://{}/dev", args.bind)).await?;
    if args.http.dev {
        seed_demo_carts(&wired.carts)?;
        info!("seeded demo carts cart_demo_1 … cart_demo_9");
    }
    if args.no_processors {
        info!("no processors, sweep or relay in this process");
    } else {
        background(wired.app, wired.runner, &args);
    }
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    info!(address = %listener.local_addr()?, backend = ?args.backend, dev = args.http.dev, "serving");
    serve(listener, router(state), async {
        let _ = tokio::signal::ctrl_c().await;
        info!("shutting down");
    })
    .await?;
    Ok(())
}

/// The application on AWS, from the `BBWS_…` variables.
#[cfg(feature = "aws")]
async fn aws() -> Result<Wired> {
    let config = order_service::aws_host::AwsHostConfig::from_lookup(|name| std::env::var(name).ok())?;
    info!(environment = %config.environment, region = %config.settings.region, "connecting to AWS");
    let stack = config.stack(order_service::memory::demo_config()?).await?;
    info!(table = %stack.resources.orders_table, topic = %stack.resources.topic_arn, "AWS resources ready");
    Ok(Wired { app: stack.app.clone(), carts: stack.carts.clone(), runner: stack.runner_with(stack.processors()) })
}

/// Without the `aws` feature there is no AWS backend.
#[cfg(not(feature = "aws"))]
async fn aws() -> Result<Wired> {
    Err("this server was built without the `aws` feature: cargo run -p order-service --features aws --bin server"
        .into())
}

/// The processors, the sweep and the relay, each in its own task.
fn background(app: Arc<OrderApp>, runner: Runner, args: &Args) {
    let poll = Duration::from_millis(args.poll_ms.max(10));
    tokio::spawn(async move {
        let mut report = RunReport::default();
        loop {
            match runner.poll_once(&mut report).await {
                Ok(0) => tokio::time::sleep(poll).await,
                Ok(_) => {}
                Err(error) => {
                    warn!(%error, "processor poll failed");
                    tokio::time::sleep(poll).await;
                }
            }
        }
    });
    let sweeper = app.clone();
    let every = Duration::from_secs(args.sweep_secs.max(1));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(error) = sweeper.expire_stale(100).await {
                warn!(%error, "expiry sweep failed");
            }
        }
    });
    let every = Duration::from_secs(args.relay_secs.max(1));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            match app.relay(100).await {
                Ok(report) if report.outbox_published + report.claims_republished > 0 => info!(?report, "relayed"),
                Ok(_) => {}
                Err(error) => warn!(%error, "relay failed"),
            }
        }
    });
}
