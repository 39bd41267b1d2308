//! The faults of the cart service: what the caller gets, and how many attempts it took.
//! Timings are test-sized (`stub::config_for`): 500 ms per request, 3 attempts, 10–40 ms
//! back-off, `Retry-After` honoured up to 2 s.

use std::error::Error as _;
use std::time::{Duration, Instant};

use adapters_cart_service::HttpCartGateway;
use order_ports::testkit::data::cart;
use order_ports::{CartGateway, PortError};
use serde_json::json;

use crate::stub::{Fault, StubCartService, config_for};
use crate::two_lines;

async fn stub_with_cart() -> StubCartService {
    let stub = StubCartService::start().await;
    stub.add_cart(&two_lines("cart_live"), true);
    stub
}

#[track_caller]
fn assert_unavailable(error: &PortError, retryable: bool, mentions: &str) {
    assert!(matches!(error, PortError::Unavailable { .. }), "{error:?}");
    assert_eq!(error.is_retryable(), retryable, "{error:?}");
    assert!(error.to_string().contains(mentions), "{error} does not mention {mentions:?}");
}

#[tokio::test]
async fn slow_beyond_the_timeout_is_retried_then_unavailable() {
    let stub = stub_with_cart().await;
    stub.script(std::iter::repeat_n(Fault::Delay(Duration::from_secs(3)), 3));
    let started = Instant::now();

    let error = stub.gateway().snapshot(&cart("cart_live")).await.unwrap_err();

    assert_unavailable(&error, true, "no answer within 500ms");
    assert!(error.to_string().contains("3 attempts"), "{error}");
    assert!(error.source().is_some(), "the cause is kept: {error:?}");
    assert_eq!(stub.seen().len(), 3, "every attempt reached the service");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_millis(2900), "{elapsed:?}");
}

#[tokio::test]
async fn slow_within_the_timeout_succeeds_at_once() {
    let stub = stub_with_cart().await;
    stub.script([Fault::Delay(Duration::from_millis(150))]);

    let snapshot = stub.gateway().snapshot(&cart("cart_live")).await.unwrap();

    assert_eq!(snapshot, two_lines("cart_live"));
    assert_eq!(stub.seen().len(), 1);
}

#[tokio::test]
async fn a_500_then_a_200_succeeds_on_the_second_attempt() {
    let stub = stub_with_cart().await;
    stub.script([Fault::Status(500)]);

    let snapshot = stub.gateway().snapshot(&cart("cart_live")).await.unwrap();

    assert_eq!(snapshot, two_lines("cart_live"));
    let seen = stub.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(10), "backed off first");
}

#[tokio::test]
async fn mark_inactive_is_retried_after_a_502() {
    let stub = stub_with_cart().await;
    stub.script([Fault::Status(502)]);
    let gateway = stub.gateway();

    gateway.mark_inactive(&cart("cart_live")).await.unwrap();

    assert_eq!(stub.seen().len(), 2);
    assert!(matches!(gateway.snapshot(&cart("cart_live")).await, Err(PortError::Conflict(_))));
}

#[tokio::test]
async fn a_lasting_503_gives_up_after_the_last_attempt() {
    let stub = stub_with_cart().await;
    stub.script([Fault::Status(503), Fault::Status(503), Fault::Status(503), Fault::Status(503)]);

    let error = stub.gateway().snapshot(&cart("cart_live")).await.unwrap_err();

    assert_unavailable(&error, true, "answered 503 Service Unavailable");
    assert!(error.to_string().contains("3 attempts"), "{error}");
    assert!(error.to_string().contains("scripted failure"), "the service's problem detail is kept: {error}");
    assert_eq!(stub.seen().len(), 3, "bounded");
}

#[tokio::test]
async fn a_429_waits_for_its_retry_after() {
    let stub = stub_with_cart().await;
    stub.script([Fault::RetryAfter(429, "1")]);

    let snapshot = stub.gateway().snapshot(&cart("cart_live")).await.unwrap();

    assert_eq!(snapshot, two_lines("cart_live"));
    let seen = stub.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let waited = seen[1].at - seen[0].at;
    // At least the second asked for; the back-off (≤ 20 ms here) is smaller, so not much more.
    assert!(waited >= Duration::from_secs(1) && waited < Duration::from_millis(1500), "{waited:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_ends_the_retries() {
    let stub = stub_with_cart().await;
    stub.script([Fault::RetryAfter(503, "120")]);
    let started = Instant::now();

    let error = stub.gateway().snapshot(&cart("cart_live")).await.unwrap_err();

    assert_unavailable(&error, true, "asked to retry after 120s");
    assert!(error.to_string().contains("1 attempt"), "{error}");
    assert_eq!(stub.seen().len(), 1, "the service asked for a pause longer than the gateway waits");
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn garbage_is_invalid_data_and_not_retried() {
    let stub = stub_with_cart().await;
    stub.script([Fault::Body("<html>Bad gateway</html>".to_owned())]);

    let error = stub.gateway().snapshot(&cart("cart_live")).await.unwrap_err();

    let PortError::InvalidData(message) = &error else { panic!("{error:?}") };
    assert!(message.contains("cart cart_live is not a cart as the API describes it"), "{message}");
    assert_eq!(stub.seen().len(), 1);
}

#[tokio::test]
async fn a_cart_the_domain_refuses_is_invalid_data_naming_what_is_wrong() {
    let good = json!({ "sku": "HOSTING-PRO", "description": "Hosting", "quantity": 1, "unitPrice": "575.00" });
    let with = |field: &str, value: serde_json::Value| {
        let mut line = good.clone();
        line[field] = value;
        json!({ "cartId": "cart_bad", "tenantId": "tenant_acme", "active": true, "currency": "ZAR", "lines": [good.clone(), line] })
    };
    let cases = [
        (with("sku", json!("HOSTING PRO")), "line 2: sku may contain only letters"),
        (with("unitPrice", json!("575.005")), "line 2: unitPrice: ZAR amounts have at most 2 decimal places"),
        (with("unitPrice", json!(575.0)), "invalid type: floating point `575.0`, expected a string"),
        (with("quantity", json!(0)), "line 2: quantity must be from 1 to 10000"),
        (with("description", json!("")), "line 2: description must not be empty"),
        (
            json!({ "cartId": "cart_other", "tenantId": null, "active": true, "currency": "ZAR", "lines": [good] }),
            "another cart",
        ),
        (
            json!({ "cartId": "cart_bad", "tenantId": null, "active": true, "currency": "ZAR", "lines": [] }),
            "at least one line",
        ),
        (
            json!({ "cartId": "cart_bad", "tenantId": "tenant acme", "active": true, "currency": "ZAR", "lines": [good] }),
            "tenantId: ",
        ),
        (
            json!({ "cartId": "cart_bad", "active": true, "currency": "ZAR", "lines": [good] }),
            "missing field `tenantId`",
        ),
    ];
    for (body, expected) in cases {
        let stub = StubCartService::start().await;
        stub.add_raw("cart_bad", body.clone());

        let error = stub.gateway().snapshot(&cart("cart_bad")).await.unwrap_err();

        let PortError::InvalidData(message) = &error else { panic!("{body}: {error:?}") };
        assert!(message.contains(expected), "{body}\n  gave {message:?}\n  expected {expected:?}");
        assert_eq!(stub.seen().len(), 1, "not retried");
    }
}

#[tokio::test]
async fn an_answer_larger_than_any_cart_is_refused() {
    let stub = stub_with_cart().await;
    stub.script([Fault::Body(" ".repeat(2 * 1024 * 1024))]);

    let error = stub.gateway().snapshot(&cart("cart_live")).await.unwrap_err();

    assert!(matches!(&error, PortError::InvalidData(m) if m.contains("more than 1048576 bytes")), "{error:?}");
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_quickly_after_bounded_retries() {
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gateway = HttpCartGateway::new(&config_for(&format!("http://127.0.0.1:{port}"))).unwrap();
    let started = Instant::now();

    let error = gateway.snapshot(&cart("cart_live")).await.unwrap_err();

    assert_unavailable(&error, true, "could not connect");
    assert!(error.to_string().contains("3 attempts"), "{error}");
    assert!(error.source().and_then(|failure| failure.source()).is_some(), "the connection error is kept: {error:?}");
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn other_client_errors_and_redirects_are_permanent_and_asked_once() {
    for status in [400, 409, 422, 307] {
        let stub = stub_with_cart().await;
        stub.script([Fault::Status(status)]);

        let error = stub.gateway().snapshot(&cart("cart_live")).await.unwrap_err();

        assert_unavailable(&error, false, &format!("answered {status}"));
        assert_eq!(stub.seen().len(), 1, "{status} is not retried");
    }
}
