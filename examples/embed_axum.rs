//! Another service embeds order management in its own axum app: the order routes are nested
//! under the service's own prefix, behind the service's own authentication (API keys here;
//! a session cookie or another identity provider in real life), and the application's
//! background service (the four processors and the sweep) runs beside the HTTP server in the
//! same process, stopped gracefully with it.
//!
//! ```sh
//! cargo run -p bbws-examples --example embed_axum             # serves, sends a few requests, exits
//! cargo run -p bbws-examples --example embed_axum -- --serve  # keeps serving on 127.0.0.1:8090
//! ```
//!
//! The application here is wired to the in-memory adapters (`order_service::memory`), so the
//! example needs no set-up; a service wires its own ports the same way with
//! `order_service::app_builder()` (storage, messaging, documents, upstream).

use std::collections::HashMap;
use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use adapters_http::HttpState;
use adapters_http::auth::{AuthError, Authenticator};
use adapters_http::cursor::CursorSigner;
use adapters_http::payfast::{PAYFAST_NETWORKS, PayfastConfig, PayfastVerifier};
use async_trait::async_trait;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use order_app::{BackgroundOptions, ConsumerOptions, Principal};
use order_domain::TenantId;
use order_service::memory::{InMemoryStack, StackOptions, demo_config, seed_demo_carts};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Errors of this example.
pub type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// The service's own API keys and whom each stands for (a real service keeps them in its
/// own store, hashed).
#[derive(Clone)]
struct ApiKeys(Arc<HashMap<&'static str, Principal>>);

/// What the service's authentication found: the caller, put in the request's extensions.
#[derive(Clone)]
struct Caller(Principal);

/// The service's own authentication layer: `Authorization: ApiKey <key>`. It only records who
/// the caller is; the order routes decide what that caller may do with an order.
async fn authenticate(State(keys): State<ApiKeys>, mut request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("ApiKey "));
    if let Some(principal) = key.and_then(|key| keys.0.get(key)) {
        let caller = Caller(principal.clone());
        request.extensions_mut().insert(caller);
    }
    next.run(request).await
}

/// The order routes' [`Authenticator`]: the caller the service's layer found, else
/// unauthenticated (the guest checkout route still serves a guest; every other route answers
/// 401 problem+json).
struct ServiceCaller;

#[async_trait]
impl Authenticator for ServiceCaller {
    async fn authenticate(&self, request: &Parts) -> std::result::Result<Principal, AuthError> {
        request.extensions.get::<Caller>().map(|Caller(principal)| principal.clone()).ok_or(AuthError::Missing)
    }
}

/// The running service: its address, and how to stop it.
pub struct Embedded {
    /// Where it listens.
    pub address: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
    background: JoinHandle<order_app::BackgroundReport>,
}

impl Embedded {
    /// Stops the HTTP server and the background service (finishing what is in flight).
    ///
    /// # Errors
    /// When the server failed.
    pub async fn stop(self) -> Result<order_app::BackgroundReport> {
        let _ = self.stop.send(());
        self.server.await??;
        Ok(self.background.await?)
    }
}

/// Starts the service on `address` (port 0 for any free port): the service's own routes, the
/// order routes under `/orders-api`, its own authentication in front of both, and the order
/// application's background service.
///
/// # Errors
/// When the application cannot be wired or the address cannot be bound.
pub async fn start(address: &str) -> Result<Embedded> {
    let stack = InMemoryStack::new(StackOptions::new(demo_config()))?;
    seed_demo_carts(&stack.carts)?;

    let payfast = PayfastConfig {
        merchant_id: "10000100".into(),
        passphrase: None,
        allowed_sources: PAYFAST_NETWORKS.iter().map(|net| net.parse()).collect::<std::result::Result<_, _>>()?,
    };
    let state = HttpState::new(
        stack.app.clone(),
        Arc::new(ServiceCaller),
        CursorSigner::new(b"a secret of at least 32 bytes for cursors")?,
        Arc::new(PayfastVerifier::new(payfast)),
    );
    let keys = ApiKeys(Arc::new(HashMap::from([
        ("key-acme", Principal::Customer { tenant_id: TenantId::parse("tenant_acme")? }),
        ("key-other", Principal::Customer { tenant_id: TenantId::parse("tenant_other")? }),
        ("key-staff", Principal::Staff),
    ])));
    let app = Router::new()
        .route("/", get(|| async { "the service's own home page" }))
        .nest("/orders-api", adapters_http::routes(state))
        .layer(axum::middleware::from_fn_with_state(keys, authenticate));

    let (stop, stopped) = oneshot::channel::<()>();
    let stopped = shared(async move {
        let _ = stopped.await;
    });
    // In-memory queues: short polls, so that stopping (which lets a poll in progress return)
    // is quick. On SQS the default 10 s long poll saves requests.
    let options = BackgroundOptions {
        consumer: ConsumerOptions { wait: Duration::from_millis(100), ..ConsumerOptions::default() },
        ..BackgroundOptions::default()
    };
    let background = stack.app.background(&stack.event_queues(), options);
    let background = tokio::spawn(background.run(stopped.clone()));
    let listener = tokio::net::TcpListener::bind(address).await?;
    let address = listener.local_addr()?;
    // `serve` gives handlers the peer address: PayFast notifications are checked against it.
    let server = tokio::spawn(adapters_http::serve(listener, app, stopped));
    Ok(Embedded { address, stop, server, background })
}

/// One shutdown signal that both the server and the background service wait on.
fn shared(signal: impl Future<Output = ()> + Send + 'static) -> impl Future<Output = ()> + Clone + Send + 'static {
    use futures::FutureExt;
    signal.boxed().shared()
}

/// Creates an order through the embedded routes and reads it back, as the service's customer
/// and staff; returns what happened, a line per request.
///
/// # Errors
/// When a request fails to send or an answer is not what the routes promise.
pub async fn demo(address: SocketAddr) -> Result<Vec<String>> {
    let client = reqwest::Client::new();
    let base = format!("http://{address}/orders-api/v1.0");
    let mut lines = Vec::new();

    let anonymous = client.get(format!("{base}/tenants/tenant_acme/orders")).send().await?;
    lines.push(format!("list without an API key: {}", anonymous.status()));

    let body = serde_json::json!({
        "cartId": "cart_demo_1",
        "customerEmail": "thandi@acme.co.za",
        "billingAddress": {"name": "Thandi Nkosi", "line1": "12 Long Street", "city": "Cape Town", "postalCode": "8001"},
    });
    let created = client
        .post(format!("{base}/tenants/tenant_acme/orders"))
        .header("authorization", "ApiKey key-acme")
        .header("idempotency-key", "embed-checkout-1")
        .json(&body)
        .send()
        .await?;
    let status = created.status();
    let location = created.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    lines.push(format!("create as tenant_acme: {status}, Location {location}"));
    if !status.is_success() {
        return Err(format!("create answered {status}: {}", created.text().await?).into());
    }

    // The record writer runs in the background service; the order is readable once recorded.
    let url = format!("http://{address}{location}");
    for _ in 0..100 {
        let read = client.get(&url).header("authorization", "ApiKey key-staff").send().await?;
        if read.status().is_success() {
            let order: serde_json::Value = read.json().await?;
            lines.push(format!(
                "read as staff: status {}, total {} {}",
                order["status"].as_str().unwrap_or("?"),
                order["totals"]["total"]["amount"].as_str().unwrap_or("?"),
                order["totals"]["total"]["currency"].as_str().unwrap_or("?"),
            ));
            let other = client.get(&url).header("authorization", "ApiKey key-other").send().await?;
            lines.push(format!("read as another tenant: {}", other.status()));
            return Ok(lines);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("the order was not recorded within 2 s".into())
}

#[tokio::main]
async fn main() -> Result<()> {
    let serve = std::env::args().any(|arg| arg == "--serve");
    let embedded = start(if serve { "127.0.0.1:8090" } else { "127.0.0.1:0" }).await?;
    println!("serving on http://{}/ (order routes under /orders-api)", embedded.address);
    for line in demo(embedded.address).await? {
        println!("  {line}");
    }
    if serve {
        println!("Ctrl-C stops it");
        tokio::signal::ctrl_c().await?;
    }
    let report = embedded.stop().await?;
    println!("stopped: {} events handled in the background", report.consumer.total().handled);
    Ok(())
}
