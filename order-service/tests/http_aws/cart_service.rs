//! The HTTP API on AWS with the cart service reached over HTTP, as production wires it: the
//! gateway built from the `BBWS_CART_SERVICE_…` settings, the cart service a stub on a real
//! socket. A customer's create fetches the cart from it and the record writer marks the cart
//! inactive there; a cart service that is down makes the create answer 503 with `Retry-After`
//! and claim nothing, and the same request succeeds once it is back.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use adapters_cart_service::HttpCartGateway;
use order_app::{OrderApp, Upstream};
use order_domain::testing::line;
use order_domain::{CartId, CartSnapshot};
use order_ports::CartGateway;
use order_service::profile::cart_service_config;
use order_service::settings::SettingsReader;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::cart_stub::{Fault, StubCartService, TOKEN};
use crate::{Options, Server, create_body, customer, problem, server_with};

/// The cart service's gateway from a host's settings: the stub at `base_url`, its token, short
/// timings (two attempts of at most a second each).
fn gateway(base_url: &str) -> Arc<dyn CartGateway> {
    let vars = [
        ("BBWS_CART_SERVICE_URL", base_url.to_owned()),
        ("BBWS_CART_SERVICE_TOKEN", TOKEN.to_owned()),
        ("BBWS_CART_SERVICE_TIMEOUT", "1s".to_owned()),
        ("BBWS_CART_SERVICE_ATTEMPTS", "2".to_owned()),
    ];
    let lookup = |name: &str| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone());
    let mut reader = SettingsReader::new(&lookup);
    let config = cart_service_config(&mut reader);
    Arc::new(HttpCartGateway::new(&reader.finish_with(config).unwrap()).unwrap())
}

/// A server whose application fetches carts through `carts`, and that application (its
/// processors run the record writer against the same cart service).
async fn server_on(carts: Arc<dyn CartGateway>) -> (Server, Arc<OrderApp>) {
    let made = Arc::new(OnceLock::new());
    let keep = made.clone();
    let server = server_with(Options {
        app: Some(Box::new(move |stack| {
            let app = stack.app();
            let app = app.to_builder().upstream(Upstream { carts, ..app.upstream().clone() }).build().unwrap();
            keep.set(app.clone()).ok();
            app
        })),
        ..Options::default()
    })
    .await;
    let app = made.get().unwrap().clone();
    (server, app)
}

fn snapshot(cart: &str) -> CartSnapshot {
    CartSnapshot::new(
        CartId::parse(cart).unwrap(),
        order_domain::CartOwner::Tenant(order_domain::TenantId::parse("tenant_acme").unwrap()),
        vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
    )
    .unwrap()
}

async fn create(server: &Server, cart: &str, key: &str) -> Response {
    server
        .client
        .post(server.url("/v1.0/tenants/tenant_acme/orders"))
        .bearer_auth(customer("tenant_acme"))
        .header("idempotency-key", key)
        .json(&create_body(cart, "thandi@acme.co.za"))
        .send()
        .await
        .unwrap()
}

async fn claimed(app: &OrderApp, cart: &str) -> bool {
    app.storage().claims.find(&CartId::parse(cart).unwrap()).await.unwrap().is_some()
}

/// An address nothing listens on (yet).
fn vacant_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

#[tokio::test]
async fn a_create_while_the_cart_service_is_down_is_503_with_retry_after_claims_nothing_and_succeeds_once_it_is_back() {
    let address = vacant_address();
    let (server, app) = server_on(gateway(&format!("http://{address}"))).await;

    let response = create(&server, "cart_http_1", "checkout-http-1").await;
    assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()).as_deref(), Some("2"));
    problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(!claimed(&app, "cart_http_1").await, "nothing is claimed");
    server.stack.drain_with(app.processors()).await;
    assert_eq!(server.stack.order_count().await, 0, "nothing is recorded");

    // The cart service comes back where the gateway expects it; the client retries.
    let carts = StubCartService::start_on(address).await;
    carts.add_cart(&snapshot("cart_http_1"), true);
    let response = create(&server, "cart_http_1", "checkout-http-1").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
    let fetched = carts.seen();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert_eq!((fetched[0].method.as_str(), fetched[0].path.as_str()), ("GET", "/internal/carts/cart_http_1"));
    assert_eq!(fetched[0].authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));

    // Recorded, then the cart is marked inactive at the cart service.
    server.stack.drain_with(app.processors()).await;
    assert_eq!(server.stack.order_count().await, 1);
    let order = server.get(&format!("/v1.0/orders/{id}"), &customer("tenant_acme")).await;
    assert_eq!(order.status(), StatusCode::OK);
    let marked: Vec<_> = carts.seen().into_iter().filter(|seen| seen.method == "PUT").collect();
    assert_eq!(marked.len(), 1, "{marked:?}");
    assert_eq!(marked[0].path, "/internal/carts/cart_http_1/status");
    assert_eq!(marked[0].body, r#"{"active":false}"#);

    // The cart service now reports the cart inactive: the same request again is the same order.
    let again = create(&server, "cart_http_1", "checkout-http-1").await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(again.json::<Value>().await.unwrap()["orderId"], id.as_str());
}

#[tokio::test]
async fn the_cart_services_other_answers_reach_the_client_as_problems_and_claim_nothing() {
    let carts = StubCartService::start().await;
    let (server, app) = server_on(gateway(&carts.base_url())).await;

    // A 500 then a 200 within one call: retried by the gateway, the client sees only success.
    carts.add_cart(&snapshot("cart_http_flaky"), true).script([Fault::Status(500)]);
    assert_eq!(create(&server, "cart_http_flaky", "k-flaky").await.status(), StatusCode::ACCEPTED);

    // Unknown to the cart service: 422, nothing claimed.
    problem(
        create(&server, "cart_http_unknown", "k-unknown").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cart-not-found",
    )
    .await;
    assert!(!claimed(&app, "cart_http_unknown").await);

    // Busy on both attempts (429 with a short Retry-After): 503 with Retry-After, nothing claimed.
    carts
        .add_cart(&snapshot("cart_http_busy"), true)
        .script([Fault::RetryAfter(429, "0"), Fault::RetryAfter(429, "0")]);
    let busy = create(&server, "cart_http_busy", "k-busy").await;
    assert!(busy.headers().contains_key("retry-after"));
    problem(busy, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(!claimed(&app, "cart_http_busy").await);

    // An answer that is not a cart: the cart service is at fault, 502 (the cause is logged),
    // never a panic, nothing claimed.
    carts.add_cart(&snapshot("cart_http_garbage"), true).script([Fault::Body("<html>oops</html>".into())]);
    problem(create(&server, "cart_http_garbage", "k-garbage").await, StatusCode::BAD_GATEWAY, "cart-unusable").await;
    assert!(!claimed(&app, "cart_http_garbage").await);

    // A cart whose line the tax invoice cannot print: 502 naming the line and the character,
    // never an order whose invoice would print `?`.
    let mut unprintable = crate::cart_stub::cart_json(&snapshot("cart_http_cjk"), true);
    unprintable["lines"][0]["description"] = "SSL 证书".into();
    carts.add_raw("cart_http_cjk", unprintable);
    let refused =
        problem(create(&server, "cart_http_cjk", "k-cjk").await, StatusCode::BAD_GATEWAY, "cart-unusable").await;
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("line 1") && detail.contains("cannot be printed on a tax invoice"), "{refused}");
    assert!(!claimed(&app, "cart_http_cjk").await);

    // An inactive cart: 409.
    carts.add_cart(&snapshot("cart_http_gone"), false);
    problem(create(&server, "cart_http_gone", "k-gone").await, StatusCode::CONFLICT, "cart-inactive").await;
    assert!(!claimed(&app, "cart_http_gone").await);

    server.stack.drain_with(app.processors()).await;
    assert_eq!(server.stack.order_count().await, 1, "only the flaky cart's order");
}
