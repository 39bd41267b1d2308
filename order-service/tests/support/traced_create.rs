//! Creating an order over HTTP on a real socket with a caller's `traceparent`, shared by the
//! tests that follow its trace (`consumer/correlation.rs`, `otlp_export.rs`).

use std::sync::Arc;

use order_app::Principal;
use order_domain::TenantId;
use order_service::memory::InMemoryStack;

/// Every caller is tenant_acme's customer.
pub(crate) struct AcmeCustomer;

#[async_trait::async_trait]
impl adapters_http::auth::Authenticator for AcmeCustomer {
    async fn authenticate(&self, _: &axum::http::request::Parts) -> Result<Principal, adapters_http::auth::AuthError> {
        Ok(Principal::Customer { tenant_id: TenantId::parse("tenant_acme").unwrap() })
    }
}

/// Creates an order from a new cart over HTTP on a real socket, with `traceparent` if given,
/// stops the server (so that the request's span has ended) and drains the stack; returns the
/// order's id.
pub(crate) async fn create_over_http(stack: &InMemoryStack, cart: &str, traceparent: Option<&str>) -> String {
    let cart_id = order_domain::CartId::parse(cart).unwrap();
    let owner = order_domain::CartOwner::Tenant(TenantId::parse("tenant_acme").unwrap());
    let lines = vec![order_domain::testing::line("HOSTING-PRO", "575.00", 1)];
    stack.carts.add_cart(order_domain::CartSnapshot::new(cart_id, owner, lines).unwrap());

    let state = adapters_http::HttpState::new(
        stack.app.clone(),
        Arc::new(AcmeCustomer),
        adapters_http::cursor::CursorSigner::new(&[42; 32]).unwrap(),
        Arc::new(adapters_http::payfast::PayfastVerifier::new(adapters_http::payfast::PayfastConfig {
            merchant_id: "10000100".into(),
            passphrase: None,
            allowed_sources: Vec::new(),
        })),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(adapters_http::serve(listener, adapters_http::router(state), async move {
        let _ = stopped.await;
    }));
    let body = serde_json::json!({
        "cartId": cart,
        "customerEmail": "thandi@example.co.za",
        "billingAddress": {"name": "Thandi Nkosi", "line1": "12 Long Street", "city": "Cape Town", "postalCode": "8001"},
    });
    let mut post = reqwest::Client::new().post(format!("{base}/v1.0/tenants/tenant_acme/orders")).json(&body);
    if let Some(traceparent) = traceparent {
        post = post.header("traceparent", traceparent);
    }
    let response = post.send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED, "{}", response.text().await.unwrap());
    let order_id = response.json::<serde_json::Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let report = stack.drain().await.unwrap();
    assert_eq!((report.total().handled, report.total().failed), (4, 0), "{report:?}");
    order_id
}
