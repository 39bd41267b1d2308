//! What every HTTP test shares: a real server on an ephemeral loopback port over the backend's
//! application ([`crate::backend::Stack`]), a real HTTP client, tokens, and problem+json checks.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use adapters_http::auth::DevIssuer;
use adapters_http::cursor::CursorSigner;
use adapters_http::dto::DevTokenRequest;
use adapters_http::idempotency::IdempotencyKeys;
use adapters_http::payfast::{PayfastConfig, PayfastVerifier};
use adapters_http::problem::{PROBLEM_JSON, TYPE_BASE};
use adapters_http::{HttpState, router, serve};
use order_app::OrderApp;
use order_domain::testing::line;
use order_domain::{CartId, CartOwner, CartSnapshot, TenantId};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// One key pair for the whole binary: RSA key generation is the slow part of a server start.
pub(crate) static ISSUER: LazyLock<Arc<DevIssuer>> =
    LazyLock::new(|| Arc::new(DevIssuer::generate("http://issuer.test/dev", "bbws-test-client").unwrap()));

pub(crate) const MERCHANT_ID: &str = "10000100";
pub(crate) const PASSPHRASE: &str = "jt7NOE43FZPn salt";

pub(crate) use crate::backend::Stack;

/// Builds the application a test server serves from the stack.
pub(crate) type MakeApp = Box<dyn FnOnce(&Stack) -> Arc<OrderApp>>;

/// How a test server differs from the default.
pub(crate) struct Options {
    /// Networks allowed to send PayFast notifications.
    pub payfast_allow: Vec<&'static str>,
    /// Largest body.
    pub body_limit: usize,
    /// Replaces the application (e.g. with slowed-down ports).
    pub app: Option<MakeApp>,
}

impl Default for Options {
    fn default() -> Self {
        Self { payfast_allow: vec!["127.0.0.1/32"], body_limit: 64 * 1024, app: None }
    }
}

pub(crate) struct Server {
    pub base: String,
    pub stack: Stack,
    pub client: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub(crate) async fn server() -> Server {
    server_with(Options::default()).await
}

pub(crate) async fn server_with(options: Options) -> Server {
    server_on(Stack::start().await, options).await
}

/// A server over `stack` (one a backend built in its own way).
pub(crate) async fn server_on(stack: Stack, options: Options) -> Server {
    let app = match options.app {
        Some(make) => make(&stack),
        None => stack.app(),
    };
    let state = HttpState::new(
        app,
        Arc::new(ISSUER.authenticator()),
        CursorSigner::new(&[42; 32]).unwrap(),
        payfast(&options.payfast_allow),
    )
    .with_idempotency_keys(IdempotencyKeys::new(1000))
    .with_body_limit(options.body_limit)
    .with_dev_issuer(ISSUER.clone());
    start(stack, router(state)).await
}

/// Serves `app` (a whole router, or an embedder's app around the routes) over `stack` on an
/// ephemeral loopback port.
pub(crate) async fn start(stack: Stack, app: axum::Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, app, async move {
        let _ = rx.await;
    }));
    Server { base: format!("http://{address}"), stack, client: reqwest::Client::new(), _shutdown: tx }
}

/// PayFast's rules with the test merchant and passphrase, from the `allowed` networks.
pub(crate) fn payfast(allowed: &[&str]) -> Arc<PayfastVerifier> {
    Arc::new(PayfastVerifier::new(PayfastConfig {
        merchant_id: MERCHANT_ID.into(),
        passphrase: Some(PASSPHRASE.into()),
        allowed_sources: allowed.iter().map(|net| net.parse().unwrap()).collect(),
    }))
}

/// A customer's token for `tenant`.
pub(crate) fn customer(tenant: &str) -> String {
    mint("customer", Some(tenant))
}

/// A token for a role (`staff`, `payment`, `provisioning`, `cart`).
pub(crate) fn mint(role: &str, tenant: Option<&str>) -> String {
    ISSUER
        .mint(&DevTokenRequest { role: role.into(), tenant_id: tenant.map(Into::into), ttl_secs: None })
        .unwrap()
        .access_token
}

/// Seeds a cart of `tenant_acme` of R1 150.00 + R199.00 = R1 349.00.
pub(crate) fn seed_cart(server: &Server, cart: &str) {
    seed_cart_of(server, cart, Some("tenant_acme"));
}

/// Seeds a cart of R1 349.00 owned by `tenant` (`None`: a guest's cart).
pub(crate) fn seed_cart_of(server: &Server, cart: &str, tenant: Option<&str>) {
    let owner = tenant.map_or(CartOwner::Guest, |tenant| CartOwner::Tenant(TenantId::parse(tenant).unwrap()));
    server.stack.carts().add_cart(
        CartSnapshot::new(
            CartId::parse(cart).unwrap(),
            owner,
            vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
        )
        .unwrap(),
    );
}

pub(crate) fn create_body(cart: &str, email: &str) -> Value {
    json!({
        "cartId": cart,
        "customerEmail": email,
        "billingAddress": {
            "name": "Thandi Nkosi",
            "line1": "12 Long Street",
            "city": "Cape Town",
            "postalCode": "8001"
        }
    })
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn put_json(&self, path: &str, token: &str, if_match: Option<&str>, body: &Value) -> Response {
        let mut request = self.client.put(self.url(path)).bearer_auth(token).json(body);
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        request.send().await.unwrap()
    }

    /// Creates an order for `tenant` from a freshly seeded cart and records it (runs the
    /// processors). Returns the order id.
    pub async fn recorded_order(&self, tenant: &str, cart: &str) -> String {
        seed_cart_of(self, cart, Some(tenant));
        let response = self
            .post_json(
                &format!("/v1.0/tenants/{tenant}/orders"),
                Some(&customer(tenant)),
                &create_body(cart, "thandi@acme.co.za"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let id = response.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
        self.stack.drain().await;
        id
    }

    /// The order as staff see it.
    pub async fn order(&self, id: &str) -> Value {
        let response = self.get(&format!("/v1.0/orders/{id}"), &mint("staff", None)).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

/// Asserts a problem+json answer with `status` and a `type` ending in `slug`; returns it.
pub(crate) async fn problem(response: Response, status: StatusCode, slug: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, PROBLEM_JSON);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], format!("{TYPE_BASE}{slug}"), "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}
