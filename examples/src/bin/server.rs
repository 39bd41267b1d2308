//! The HTTP server on the in-memory stack, with the processors, the expiry sweep and the
//! outbox relay running in the background.
//!
//! Development mode (`--dev`) makes an RSA key pair at start-up, serves its JWKS at
//! `/dev/jwks.json`, mints tokens at `POST /dev/token`, accepts PayFast notifications from
//! loopback and seeds demo carts `cart_demo_1` … `cart_demo_9`:
//!
//! ```sh
//! cargo run -p bbws-examples --bin server -- --dev
//! ```
//!
//! Without `--dev`, tokens are verified against a real issuer: `--issuer`, `--client-id`,
//! `--jwks-url` or `--jwks-file`, and `--cursor-key` are required. Every flag also reads an
//! environment variable (`BBWS_…`); `--help` lists them.

use std::collections::HashMap;
use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bbws_examples::http::auth::{AuthConfig, Authenticator, DevIssuer, JwksSource};
use bbws_examples::http::cursor::CursorSigner;
use bbws_examples::http::idempotency::IdempotencyKeys;
use bbws_examples::http::payfast::{IpNet, PAYFAST_NETWORKS, PayfastConfig, PayfastVerifier};
use bbws_examples::http::{DEFAULT_BODY_LIMIT, HttpState, router, serve};
use bbws_examples::stack::{InMemoryStack, StackOptions};
use clap::Parser;
use order_app::{RunReport, Service};
use order_domain::testing::line;
use order_domain::{CartId, CartSnapshot};
use rand::RngCore;
use tracing::{info, warn};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// BBWS Order Management HTTP server (in-memory adapters).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Development mode: local keys and tokens, demo carts, PayFast from loopback.
    #[arg(long, env = "BBWS_DEV")]
    dev: bool,
    /// Address to listen on.
    #[arg(long, env = "BBWS_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Log as JSON lines.
    #[arg(long, env = "BBWS_LOG_JSON")]
    log_json: bool,
    /// Token issuer (Cognito: https://cognito-idp.REGION.amazonaws.com/POOL_ID).
    #[arg(long, env = "BBWS_ISSUER")]
    issuer: Option<String>,
    /// Accepted app client ids (repeat or comma-separate).
    #[arg(long = "client-id", env = "BBWS_CLIENT_IDS", value_delimiter = ',')]
    client_ids: Vec<String>,
    /// JWKS URL.
    #[arg(long, env = "BBWS_JWKS_URL", conflicts_with = "jwks_file")]
    jwks_url: Option<String>,
    /// JWKS file.
    #[arg(long, env = "BBWS_JWKS_FILE")]
    jwks_file: Option<PathBuf>,
    /// The claim carrying a customer's tenant.
    #[arg(long, env = "BBWS_TENANT_CLAIM", default_value = "custom:tenant_id")]
    tenant_claim: String,
    /// The Cognito group of staff.
    #[arg(long, env = "BBWS_STAFF_GROUP", default_value = "staff")]
    staff_group: String,
    /// App clients that are services, as SERVICE=CLIENT_ID (payment, provisioning, cart).
    #[arg(long = "service-client", env = "BBWS_SERVICE_CLIENTS", value_delimiter = ',')]
    service_clients: Vec<String>,
    /// Key (at least 32 bytes) signing page cursors; random in development mode.
    #[arg(long, env = "BBWS_CURSOR_KEY", hide_env_values = true)]
    cursor_key: Option<String>,
    /// PayFast merchant id.
    #[arg(long, env = "BBWS_PAYFAST_MERCHANT_ID", default_value = "10000100")]
    payfast_merchant_id: String,
    /// PayFast passphrase.
    #[arg(long, env = "BBWS_PAYFAST_PASSPHRASE", hide_env_values = true)]
    payfast_passphrase: Option<String>,
    /// Networks allowed to send PayFast notifications (default: PayFast's; loopback added in dev).
    #[arg(long = "payfast-allow", env = "BBWS_PAYFAST_ALLOW", value_delimiter = ',')]
    payfast_allow: Vec<IpNet>,
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

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    init_logs(args.log_json);

    let stack = Arc::new(InMemoryStack::new(StackOptions::wall_clock())?);
    let (auth, dev) = authentication(&args).await?;
    let cursor_key = match (&args.cursor_key, args.dev) {
        (Some(key), _) => key.as_bytes().to_vec(),
        (None, true) => {
            let mut key = vec![0; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            key
        }
        (None, false) => return Err("--cursor-key (BBWS_CURSOR_KEY) is required outside development mode".into()),
    };
    let mut allowed = if args.payfast_allow.is_empty() {
        PAYFAST_NETWORKS.iter().map(|net| net.parse()).collect::<std::result::Result<Vec<IpNet>, _>>()?
    } else {
        args.payfast_allow.clone()
    };
    if args.dev {
        allowed.extend(["127.0.0.0/8".parse::<IpNet>()?, "::1".parse::<IpNet>()?]);
        seed_demo_carts(&stack)?;
    }
    let itn = PayfastVerifier::new(PayfastConfig {
        merchant_id: args.payfast_merchant_id.clone(),
        passphrase: args.payfast_passphrase.clone(),
        allowed_sources: allowed,
    });
    let state = HttpState {
        app: stack.app.clone(),
        auth,
        cursors: CursorSigner::new(&cursor_key)?,
        itn: Arc::new(itn),
        keys: IdempotencyKeys::new(10_000),
        dev,
        body_limit: DEFAULT_BODY_LIMIT,
    };

    background(&stack, &args);
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    info!(address = %listener.local_addr()?, dev = args.dev, "serving");
    serve(listener, router(state), async {
        let _ = tokio::signal::ctrl_c().await;
        info!("shutting down");
    })
    .await?;
    Ok(())
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().with_current_span(true).with_span_list(false).init();
    } else {
        builder.init();
    }
}

async fn authentication(args: &Args) -> Result<(Arc<Authenticator>, Option<Arc<DevIssuer>>)> {
    if args.dev && args.issuer.is_none() {
        let address = args.bind;
        let issuer =
            tokio::task::spawn_blocking(move || DevIssuer::generate(format!("http://{address}/dev"), "bbws-dev"))
                .await??;
        warn!("development mode: anyone who can reach /dev/token can mint any principal");
        let auth = Arc::new(Authenticator::new(issuer.auth_config(), JwksSource::Static(issuer.jwks())));
        return Ok((auth, Some(Arc::new(issuer))));
    }
    let issuer = args.issuer.clone().ok_or("--issuer (BBWS_ISSUER) is required outside development mode")?;
    let first_client = args.client_ids.first().ok_or("--client-id (BBWS_CLIENT_IDS) is required")?;
    let mut config = AuthConfig::new(issuer, first_client.clone());
    config.client_ids.extend(args.client_ids.iter().cloned());
    config.tenant_claim.clone_from(&args.tenant_claim);
    config.staff_group.clone_from(&args.staff_group);
    config.service_clients = service_clients(&args.service_clients)?;
    let source = match (&args.jwks_url, &args.jwks_file) {
        (Some(url), _) => JwksSource::Url(url.clone()),
        (None, Some(path)) => JwksSource::File(path.clone()),
        (None, None) => return Err("--jwks-url or --jwks-file is required outside development mode".into()),
    };
    Ok((Arc::new(Authenticator::new(config, source)), None))
}

fn service_clients(pairs: &[String]) -> Result<HashMap<String, Service>> {
    pairs
        .iter()
        .map(|pair| {
            let (service, client) = pair.split_once('=').ok_or("--service-client takes SERVICE=CLIENT_ID")?;
            let service = match service {
                "payment" => Service::Payment,
                "provisioning" => Service::Provisioning,
                "cart" => Service::Cart,
                other => return Err(format!("unknown service {other:?}").into()),
            };
            Ok((client.to_owned(), service))
        })
        .collect()
}

fn seed_demo_carts(stack: &InMemoryStack) -> Result<()> {
    let products = [("HOSTING-PRO", "575.00", 2), ("DOMAIN-COZA", "199.00", 1), ("SSL-BASIC", "349.99", 1)];
    for n in 1..=9 {
        let (sku, price, quantity) = products[n % products.len()];
        let cart = CartId::parse(format!("cart_demo_{n}"))?;
        stack.carts.add_cart(CartSnapshot::new(cart, vec![line(sku, price, quantity), line("EMAIL-PRO", "89.00", 1)])?);
    }
    info!("seeded demo carts cart_demo_1 … cart_demo_9");
    Ok(())
}

/// The processors, the sweep and the relay, each in its own task.
fn background(stack: &Arc<InMemoryStack>, args: &Args) {
    let runner = stack.runner_with(stack.processors());
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
    let app = stack.app.clone();
    let every = Duration::from_secs(args.sweep_secs.max(1));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(error) = app.expire_stale(100).await {
                warn!(%error, "expiry sweep failed");
            }
        }
    });
    let app = stack.app.clone();
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
