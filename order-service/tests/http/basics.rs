//! The routes around the six endpoints: health, request ids, OpenAPI, development tokens; and
//! the request id that follows an order through the processors.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use order_app::{AppError, Processor};
use order_domain::EventEnvelope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{create_body, customer, problem, seed_cart, server};

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

/// Keeps every event it is handed, then lets the real processor handle it.
pub(crate) struct Recording {
    pub(crate) inner: Arc<dyn Processor>,
    pub(crate) seen: Arc<Mutex<Vec<EventEnvelope>>>,
}

#[async_trait]
impl Processor for Recording {
    fn kind(&self) -> order_ports::ProcessorKind {
        self.inner.kind()
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        self.seen.lock().unwrap().push(event.clone());
        self.inner.handle(event).await
    }
}

#[tokio::test]
async fn the_request_id_follows_the_order_through_the_processors() {
    let server = server().await;
    seed_cart(&server, "cart_rid");
    seed_cart(&server, "cart_rid2");
    let owner = customer("tenant_acme");
    let path = "/v1.0/tenants/tenant_acme/orders";
    let created = server
        .client
        .post(server.url(path))
        .bearer_auth(&owner)
        .header("x-request-id", "abc")
        .json(&create_body("cart_rid", "thandi@acme.co.za"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    assert_eq!(created.headers().get("x-request-id").unwrap(), "abc");
    let id = created.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
    // Without an X-Request-Id the generated one is used.
    let unnamed = server.post_json(path, Some(&owner), &create_body("cart_rid2", "thandi@acme.co.za")).await;
    let generated = unnamed.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let recording = |stack: &crate::Stack| {
        let mut processors = stack.processors();
        processors.record_writer = Arc::new(Recording { inner: processors.record_writer.clone(), seen: seen.clone() });
        processors
    };
    server.stack.drain_with(recording(&server.stack)).await;
    // The status change is committed with the order and published after it (or by the relay).
    let cancelled = server
        .client
        .put(server.url(&format!("/v1.0/orders/{id}")))
        .bearer_auth(&owner)
        .header("x-request-id", "def")
        .json(&json!({"status": "CANCELLED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    server.stack.drain_with(recording(&server.stack)).await;

    let seen: Vec<Value> = seen.lock().unwrap().iter().map(|event| serde_json::to_value(event).unwrap()).collect();
    let mut carried: Vec<(String, String)> = seen
        .iter()
        .map(|event| {
            (event["eventType"].as_str().unwrap().to_owned(), event["correlationId"].as_str().unwrap().to_owned())
        })
        .collect();
    carried.sort();
    let mut expected = vec![
        ("ORDER_CREATED".to_owned(), "abc".to_owned()),
        ("ORDER_CREATED".to_owned(), generated),
        ("ORDER_STATUS_CHANGED".to_owned(), "def".to_owned()),
    ];
    expected.sort();
    assert_eq!(carried, expected, "the record writer saw each event with its request's id");
}
