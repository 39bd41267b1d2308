//! What the gateway sends, and what each normal answer becomes.

use adapters_cart_service::{CartServiceConfig, CartServiceToken, HttpCartGateway};
use axum::http::Method;
use order_domain::testing::line;
use order_domain::{CartId, CartOwner, CartSnapshot};
use order_ports::testkit::data::cart;
use order_ports::{CartGateway, PortError};
use serde_json::Value;

use crate::stub::{StubCartService, TOKEN, config_for};
use crate::two_lines;

#[tokio::test]
async fn an_active_cart_is_fetched_with_the_token() {
    let stub = StubCartService::start().await;
    stub.add_cart(&two_lines("cart_live"), true);

    let snapshot = stub.gateway().snapshot(&cart("cart_live")).await.unwrap();

    assert_eq!(snapshot, two_lines("cart_live"));
    let seen = stub.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, Method::GET);
    assert_eq!(seen[0].path, "/internal/carts/cart_live");
    assert_eq!(seen[0].authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
}

#[tokio::test]
async fn a_path_prefix_of_the_base_url_is_kept() {
    let stub = StubCartService::start().await;
    stub.add_cart(&two_lines("cart_live"), true);
    let gateway = HttpCartGateway::new(&config_for(&format!("{}/api/", stub.base_url()))).unwrap();

    gateway.snapshot(&cart("cart_live")).await.unwrap();
    gateway.mark_inactive(&cart("cart_live")).await.unwrap();

    let paths: Vec<String> = stub.seen().into_iter().map(|seen| seen.path).collect();
    assert_eq!(paths, ["/api/internal/carts/cart_live", "/api/internal/carts/cart_live/status"]);
}

#[tokio::test]
async fn the_documented_examples_are_what_the_gateway_reads() {
    let stub = StubCartService::start().await;
    let example = |text: &str| serde_json::from_str::<Value>(text).unwrap();
    stub.add_raw("cart_abc123", example(include_str!("../../openapi/examples/cart-active.json")));
    stub.add_raw("cart_done42", example(include_str!("../../openapi/examples/cart-inactive.json")));
    let gateway = stub.gateway();

    let snapshot = gateway.snapshot(&cart("cart_abc123")).await.unwrap();
    let lines = snapshot.lines();
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0].sku().as_str(), lines[0].quantity().get()), ("HOSTING-PRO", 2));
    assert_eq!(lines[0].unit_price(), order_domain::testing::zar("575.00"));
    assert_eq!(lines[1].description().as_str(), "example.co.za, 1 year");
    assert!(matches!(gateway.snapshot(&cart("cart_done42")).await, Err(PortError::Conflict(_))));
}

#[tokio::test]
async fn an_inactive_cart_is_a_conflict() {
    let stub = StubCartService::start().await;
    stub.add_cart(&two_lines("cart_done"), false);

    let error = stub.gateway().snapshot(&cart("cart_done")).await.unwrap_err();

    assert!(matches!(&error, PortError::Conflict(message) if message.contains("cart_done")), "{error:?}");
    assert_eq!(stub.seen().len(), 1);
}

#[tokio::test]
async fn an_unknown_cart_is_not_found_at_the_first_answer() {
    let stub = StubCartService::start().await;
    let gateway = stub.gateway();

    assert!(matches!(gateway.snapshot(&cart("cart_nope")).await, Err(PortError::NotFound)));
    assert!(matches!(gateway.mark_inactive(&cart("cart_nope")).await, Err(PortError::NotFound)));
    assert_eq!(stub.seen().len(), 2, "one request each, no retries");
}

#[tokio::test]
async fn marking_inactive_puts_the_status_once_and_again() {
    let stub = StubCartService::start().await;
    stub.add_cart(&two_lines("cart_live"), true);
    let gateway = stub.gateway();

    gateway.mark_inactive(&cart("cart_live")).await.unwrap();
    gateway.mark_inactive(&cart("cart_live")).await.unwrap();

    let seen = stub.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for request in &seen {
        assert_eq!(request.method, Method::PUT);
        assert_eq!(request.path, "/internal/carts/cart_live/status");
        assert_eq!(request.content_type.as_deref(), Some("application/json"));
        assert_eq!(serde_json::from_str::<Value>(&request.body).unwrap(), serde_json::json!({ "active": false }));
        assert_eq!(request.authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    }
    assert!(matches!(gateway.snapshot(&cart("cart_live")).await, Err(PortError::Conflict(_))));
}

#[tokio::test]
async fn a_refused_token_is_a_permanent_failure_asked_once() {
    let stub = StubCartService::expecting("another-token").await;
    stub.add_cart(&two_lines("cart_live"), true);

    let error = stub.gateway().snapshot(&cart("cart_live")).await.unwrap_err();

    assert!(matches!(&error, PortError::Unavailable { retryable: false, .. }), "{error:?}");
    assert!(error.to_string().contains("refused our token"), "{error}");
    assert!(error.to_string().contains("401 Unauthorized"), "{error}");
    assert_eq!(stub.seen().len(), 1, "not retried");
}

#[tokio::test]
async fn debug_output_never_shows_the_token() {
    let secret = "very-secret-token";
    let config = CartServiceConfig::new("https://carts.internal", CartServiceToken::new(secret).unwrap()).unwrap();
    let gateway = HttpCartGateway::new(&config).unwrap();
    for shown in [format!("{config:?}"), format!("{gateway:?}"), format!("{:?}", config.clone())] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("carts.internal"), "sanity: {shown}");
    }
}

#[tokio::test]
async fn settings_it_cannot_work_with_are_named() {
    let token = || CartServiceToken::new("t0ken").unwrap();
    for (url, expected) in [
        ("carts.internal", "is not an absolute URL"),
        ("ftp://carts.internal", "must be http or https"),
        ("https://carts.internal/?env=prod", "must not have a query"),
        ("https://user:pw@carts.internal", "must not carry credentials"),
    ] {
        let error = CartServiceConfig::new(url, token()).unwrap_err().to_string();
        assert!(error.contains(expected), "{url}: {error}");
        assert!(!error.contains("pw@"), "a URL with credentials is not echoed: {error}");
    }
    for bad in ["", "two words", "line\nbreak", "=", "tok\"en"] {
        assert!(CartServiceToken::new(bad).is_err(), "{bad:?}");
    }
    let zero =
        CartServiceConfig::new("https://carts.internal", token()).unwrap().with_timeout(std::time::Duration::ZERO);
    assert_eq!(
        HttpCartGateway::new(&zero).unwrap_err().to_string(),
        "the cart service request timeout must be greater than zero"
    );
}

/// The line's description is what the stub serves, so a snapshot round-trips exactly.
#[tokio::test]
async fn a_snapshot_round_trips_exactly() {
    let stub = StubCartService::start().await;
    let id = CartId::parse("cart_x-1").unwrap();
    let snapshot = CartSnapshot::new(id.clone(), CartOwner::Guest, vec![line("A.B_C-1", "0.01", 10_000)]).unwrap();
    stub.add_cart(&snapshot, true);

    assert_eq!(stub.gateway().snapshot(&id).await.unwrap(), snapshot);
}
