//! The development server as a user starts it (`server --dev`, the built binary on a loopback
//! socket): its order ids are random, so none tells how many orders came before it or which
//! comes next, and its demo carts are ordered only by their owners, as the cart service's are.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

/// The running binary; killed when the test ends, however it ends.
struct DevServer {
    child: Child,
    base: String,
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start() -> DevServer {
    // A free port: the development issuer names the bound address in its tokens.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--dev", "--bind", &format!("127.0.0.1:{port}")])
        .env_remove("BBWS_BACKEND")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = DevServer { child, base: format!("http://127.0.0.1:{port}") };
    for _ in 0..300 {
        if reqwest::get(format!("{}/health", server.base)).await.is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server --dev did not answer /health within 30 s");
}

async fn token(server: &DevServer, body: Value) -> String {
    let response = reqwest::Client::new().post(format!("{}/dev/token", server.base)).json(&body).send().await.unwrap();
    response.json::<Value>().await.unwrap()["accessToken"].as_str().unwrap().to_owned()
}

fn create_body(cart: &str) -> Value {
    json!({
        "cartId": cart,
        "customerEmail": "thandi@acme.co.za",
        "billingAddress": {"name": "Thandi Nkosi", "line1": "12 Long Street", "city": "Cape Town", "postalCode": "8001"}
    })
}

async fn create(server: &DevServer, path: &str, token: Option<&str>, cart: &str) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(format!("{}{path}", server.base)).json(&create_body(cart));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

/// The 80 bits of randomness of an order id's ULID (`order_` + 10 characters of time + 16).
fn random_part(id: &str) -> u128 {
    let ulid = id.strip_prefix("order_").unwrap();
    ulid::Ulid::from_string(ulid).unwrap().random()
}

#[tokio::test]
async fn the_development_server_hands_out_random_ids_and_orders_a_cart_only_for_its_owner() {
    let server = start().await;
    let acme = token(&server, json!({"role": "customer", "tenantId": "tenant_acme"})).await;
    let tenant_path = "/v1.0/tenants/tenant_acme/orders";

    let (status, first) = create(&server, tenant_path, Some(&acme), "cart_demo_1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, second) = create(&server, tenant_path, Some(&acme), "cart_demo_3").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{second}");
    let (first, second) =
        (random_part(first["orderId"].as_str().unwrap()), random_part(second["orderId"].as_str().unwrap()));
    assert!(first > 1 << 40 || second > 1 << 40, "not a counter: {first}, {second}");
    assert_ne!(second.abs_diff(first), 1, "not consecutive: {first}, {second}");

    // Even demo carts are guests': a tenant's customer is told they do not exist; odd ones are
    // tenant_acme's: a guest, or another tenant's customer, is told the same.
    let (status, refused) = create(&server, tenant_path, Some(&acme), "cart_demo_2").await;
    assert_eq!(
        (status, refused["type"].as_str().unwrap().ends_with("cart-not-found")),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "{refused}"
    );
    let (status, refused) = create(&server, "/v1.0/orders", None, "cart_demo_5").await;
    assert_eq!(
        (status, refused["type"].as_str().unwrap().ends_with("cart-not-found")),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "{refused}"
    );
    let other = token(&server, json!({"role": "customer", "tenantId": "tenant_other"})).await;
    let (status, refused) = create(&server, "/v1.0/tenants/tenant_other/orders", Some(&other), "cart_demo_1").await;
    assert_eq!(
        (status, refused["type"].as_str().unwrap().ends_with("cart-not-found")),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "{refused}"
    );
    let (status, guest) = create(&server, "/v1.0/orders", None, "cart_demo_2").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{guest}");
}
