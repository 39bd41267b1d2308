//! The HTTP host end to end: a real server on an ephemeral loopback port, a real HTTP client,
//! in-memory adapters behind it.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod auth;
mod listing;
mod orders;
mod payments;

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use bbws_examples::http::auth::{Authenticator, DevIssuer, DevTokenRequest, JwksSource};
use bbws_examples::http::cursor::CursorSigner;
use bbws_examples::http::idempotency::IdempotencyKeys;
use bbws_examples::http::payfast::{PayfastConfig, PayfastVerifier};
use bbws_examples::http::problem::{PROBLEM_JSON, TYPE_BASE};
use bbws_examples::http::{HttpState, router, serve};
use bbws_examples::stack::{InMemoryStack, StackOptions};
use order_app::OrderApp;
use order_domain::testing::line;
use order_domain::{CartId, CartSnapshot};
use order_ports::Clock;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// One key pair for the whole binary: RSA key generation is the slow part of a server start.
pub(crate) static ISSUER: LazyLock<Arc<DevIssuer>> =
    LazyLock::new(|| Arc::new(DevIssuer::generate("http://issuer.test/dev", "bbws-test-client").unwrap()));

pub(crate) const MERCHANT_ID: &str = "10000100";
pub(crate) const PASSPHRASE: &str = "jt7NOE43FZPn salt";

/// Builds the application a test server serves from the stack.
pub(crate) type MakeApp = Box<dyn FnOnce(&InMemoryStack) -> Arc<OrderApp>>;

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
    pub stack: Arc<InMemoryStack>,
    pub client: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub(crate) async fn server() -> Server {
    server_with(Options::default()).await
}

pub(crate) async fn server_with(options: Options) -> Server {
    let stack = Arc::new(InMemoryStack::new(StackOptions::starting_at(adapters_now())).unwrap());
    let app = match options.app {
        Some(make) => make(&stack),
        None => stack.app.clone(),
    };
    let issuer = ISSUER.clone();
    let state = HttpState {
        app,
        auth: Arc::new(Authenticator::new(issuer.auth_config(), JwksSource::Static(issuer.jwks()))),
        cursors: CursorSigner::new(&[42; 32]).unwrap(),
        itn: Arc::new(PayfastVerifier::new(PayfastConfig {
            merchant_id: MERCHANT_ID.into(),
            passphrase: Some(PASSPHRASE.into()),
            allowed_sources: options.payfast_allow.iter().map(|net| net.parse().unwrap()).collect(),
        })),
        keys: IdempotencyKeys::new(1000),
        dev: Some(issuer),
        body_limit: options.body_limit,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, router(state), async move {
        let _ = rx.await;
    }));
    Server { base: format!("http://{address}"), stack, client: reqwest::Client::new(), _shutdown: tx }
}

fn adapters_now() -> chrono::DateTime<chrono::Utc> {
    adapters_memory::SystemClock.now()
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

/// Seeds a cart of R1 150.00 + R199.00 = R1 349.00.
pub(crate) fn seed_cart(server: &Server, cart: &str) {
    server.stack.carts.add_cart(
        CartSnapshot::new(
            CartId::parse(cart).unwrap(),
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
        seed_cart(self, cart);
        let response = self
            .post_json(
                &format!("/v1.0/tenants/{tenant}/orders"),
                Some(&customer(tenant)),
                &create_body(cart, "thandi@acme.co.za"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let id = response.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
        self.stack.drain().await.unwrap();
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

#[tokio::test]
async fn health_request_ids_and_unknown_routes() {
    let server = server().await;
    let response = server.client.get(server.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let generated = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a generated UUID");
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"status": "ok"}));

    let response = server.client.get(server.url("/health")).header("x-request-id", "req-abc-123").send().await.unwrap();
    assert_eq!(response.headers().get("x-request-id").unwrap(), "req-abc-123");

    problem(server.client.get(server.url("/nope")).send().await.unwrap(), StatusCode::NOT_FOUND, "not-found").await;
    problem(
        server.client.delete(server.url("/v1.0/orders")).send().await.unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_the_six_endpoints() {
    let server = server().await;
    let document: Value = server.client.get(server.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}", document["openapi"]);
    let paths = &document["paths"];
    for (path, method) in [
        ("/v1.0/tenants/{tenantId}/orders", "post"),
        ("/v1.0/orders", "post"),
        ("/v1.0/orders/{orderId}", "get"),
        ("/v1.0/tenants/{tenantId}/orders", "get"),
        ("/v1.0/orders/{orderId}", "put"),
        ("/v1.0/orders/{orderId}/paymentconfirmation", "post"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} is documented");
    }
    assert!(document["components"]["schemas"]["CreateOrderBody"].is_object());
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn dev_tokens_are_minted_over_http_and_accepted() {
    let server = server().await;
    let response = server.post_json("/dev/token", None, &json!({"role": "customer", "tenantId": "tenant_acme"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["tokenType"], "Bearer");
    let listed = server.get("/v1.0/tenants/tenant_acme/orders", token["accessToken"].as_str().unwrap()).await;
    assert_eq!(listed.status(), StatusCode::OK);

    let jwks: Value = server.client.get(server.url("/dev/jwks.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["alg"], "RS256");

    problem(
        server.post_json("/dev/token", None, &json!({"role": "emperor"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-value",
    )
    .await;
}
