//! The embedding examples run as a user runs them: the same code, exercised and checked.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../embed_axum.rs"]
mod embed_axum;

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../embed_lambda.rs"]
mod embed_lambda;

#[tokio::test]
async fn the_axum_example_serves_the_order_routes_behind_the_services_own_authentication() {
    let service = embed_axum::start("127.0.0.1:0").await.unwrap();
    let lines = embed_axum::demo(service.address).await.unwrap();
    assert_eq!(lines[0], "list without an API key: 401 Unauthorized", "{lines:?}");
    assert!(
        lines[1].starts_with("create as tenant_acme: 202 Accepted, Location /orders-api/v1.0/orders/order_"),
        "{lines:?}"
    );
    assert!(lines[2].starts_with("read as staff: status PENDING, total "), "{lines:?}");
    assert_eq!(lines[3], "read as another tenant: 404 Not Found", "{lines:?}");

    // The service's own routes are its own: no order-API layer or fallback came with the nest.
    let home = reqwest::get(format!("http://{}/", service.address)).await.unwrap();
    assert!(home.headers().get("x-request-id").is_none());
    assert_eq!(home.text().await.unwrap(), "the service's own home page");

    let report = service.stop().await.unwrap();
    assert!(report.consumer.total().handled >= 4, "the four processors handled the order's event: {report:?}");
}

#[tokio::test]
async fn the_lambda_example_records_the_order_and_reports_only_the_poison_message() {
    let outcome = embed_lambda::demo().await.unwrap();
    assert_eq!(outcome.records, 2, "the order's event and the poison message");
    assert!(outcome.recorded, "the record writer stored order {}", outcome.order);
    assert_eq!(outcome.failed, ["poison-1"]);
}
