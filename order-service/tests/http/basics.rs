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

/// Every `$ref` in `value`, with where it was found.
fn references(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "$ref" {
                    found.push((at.to_owned(), value.as_str().unwrap_or_default().to_owned()));
                } else {
                    references(value, &format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, at, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_states_what_the_server_enforces() {
    let server = server().await;
    let document: Value = server.client.get(server.url("/openapi.json")).send().await.unwrap().json().await.unwrap();

    // Every reference resolves (a contract tool refuses the operations whose do not).
    let mut found = Vec::new();
    references(&document, "", &mut found);
    for (at, reference) in found {
        let target = reference.strip_prefix('#').map(|pointer| document.pointer(pointer));
        assert!(matches!(target, Some(Some(_))), "{at}: {reference} does not resolve");
    }

    // The constraints the server enforces are in the document.
    let schema = |name: &str| document["components"]["schemas"][name].clone();
    let list = &document["paths"]["/v1.0/tenants/{tenantId}/orders"]["get"]["parameters"];
    let limit = list.as_array().unwrap().iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!((limit["schema"]["minimum"].as_u64(), limit["schema"]["maximum"].as_u64()), (Some(1), Some(100)));
    let tenant = schema("TenantId");
    assert_eq!((tenant["pattern"].as_str(), tenant["maxLength"].as_u64()), (Some("^[A-Za-z0-9_-]+$"), Some(64)));
    let billing = schema("BillingAddressBody");
    for field in ["name", "line1", "city", "postalCode"] {
        let pattern = billing["properties"][field]["pattern"].as_str().unwrap_or_default();
        assert!(pattern.starts_with(r"^\s*[^\s") || pattern.starts_with(r"^\s*[A-Za-z0-9-]"), "{field}: {pattern:?}");
        assert!(billing["required"].as_array().unwrap().contains(&json!(field)), "{field} is required");
    }
    let line = schema("OrderLineBody");
    assert_eq!(
        (line["properties"]["quantity"]["minimum"].as_u64(), line["properties"]["quantity"]["maximum"].as_u64()),
        (Some(1), Some(10_000))
    );

    // Every status each route answers is listed for it.
    for (path, method, statuses) in [
        (
            "/v1.0/tenants/{tenantId}/orders",
            "post",
            &["202", "400", "401", "403", "404", "409", "413", "415", "422", "502", "503"][..],
        ),
        ("/v1.0/orders", "post", &["202", "400", "401", "409", "413", "415", "422", "502", "503"]),
        ("/v1.0/orders/{orderId}", "get", &["200", "401", "404", "503"]),
        ("/v1.0/tenants/{tenantId}/orders", "get", &["200", "400", "401", "404", "503"]),
        (
            "/v1.0/orders/{orderId}",
            "put",
            &["200", "400", "401", "403", "404", "409", "412", "413", "415", "422", "503"],
        ),
        (
            "/v1.0/orders/{orderId}/paymentconfirmation",
            "post",
            &["200", "400", "401", "403", "404", "409", "413", "415", "422", "503"],
        ),
        (
            "/v1.0/orders/{orderId}/payments/{paymentId}/refund",
            "post",
            &["200", "400", "401", "403", "404", "409", "413", "415", "422", "503"],
        ),
        ("/v1.0/orders/{orderId}/documents", "get", &["200", "401", "404", "410", "503"]),
        ("/v1.0/orders/{orderId}/documents/{name}", "get", &["200", "401", "404", "410", "503"]),
    ] {
        let responses = document["paths"][path][method]["responses"].as_object().unwrap();
        let listed: Vec<&str> = responses.keys().map(String::as_str).collect();
        assert_eq!(listed, statuses, "{method} {path}");
    }
}

#[tokio::test]
async fn query_string_mistakes_are_answered_in_this_apis_words() {
    let server = server().await;
    let token = customer("tenant_acme");
    for query in ["limit=abc", "limit=-1", "from=yesterday", "unknown=1"] {
        let response = server.get(&format!("/v1.0/tenants/tenant_acme/orders?{query}"), &token).await;
        let body = problem(response, StatusCode::BAD_REQUEST, "invalid-query").await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.starts_with("The query string is not valid: "), "{query}: {detail}");
        assert!(!detail.contains("Failed to deserialize"), "{query}: {detail}");
    }
    for limit in [0, 101] {
        let response = server.get(&format!("/v1.0/tenants/tenant_acme/orders?limit={limit}"), &token).await;
        problem(response, StatusCode::BAD_REQUEST, "invalid-query").await;
    }
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
