//! The order routes mounted in another service's axum app: nested under the embedder's prefix,
//! behind the embedder's own authentication, without the router's global layers.

use std::sync::{Arc, Mutex};

use adapters_http::HttpState;
use adapters_http::auth::{AuthError, Authenticator};
use adapters_http::cursor::CursorSigner;
use async_trait::async_trait;
use axum::Router;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use order_app::Principal;
use order_domain::TenantId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::basics::Recording;
use crate::{Server, Stack, create_body, payfast, problem, seed_cart, start};

/// What the embedder's own session layer knows about the caller.
#[derive(Clone)]
struct Session(Principal);

/// The embedder's authentication: an API key per tenant, and one for staff.
async fn sessions(mut request: Request, next: Next) -> Response {
    let principal = match request.headers().get("x-api-key").and_then(|key| key.to_str().ok()) {
        Some("staff-key") => Some(Principal::Staff),
        Some(tenant) => TenantId::parse(tenant).ok().map(|tenant_id| Principal::Customer { tenant_id }),
        None => None,
    };
    if let Some(principal) = principal {
        request.extensions_mut().insert(Session(principal));
    }
    next.run(request).await
}

/// The order routes' authenticator: whoever the embedder's layer says.
struct FromSession;

#[async_trait]
impl Authenticator for FromSession {
    async fn authenticate(&self, request: &Parts) -> Result<Principal, AuthError> {
        request.extensions.get::<Session>().map(|Session(principal)| principal.clone()).ok_or(AuthError::Missing)
    }
}

async fn embedded() -> Server {
    let stack = Stack::start().await;
    let state = HttpState::new(stack.app(), Arc::new(FromSession), CursorSigner::new(&[5; 32]).unwrap(), payfast(&[]));
    let app = Router::new()
        .route("/", get(|| async { "the embedder's home" }))
        .nest("/orders-api", adapters_http::routes(state))
        .layer(axum::middleware::from_fn(sessions));
    start(stack, app).await
}

#[tokio::test]
async fn the_routes_serve_under_the_embedders_prefix_behind_its_own_authentication() {
    let server = embedded().await;
    seed_cart(&server, "cart_embed");
    let orders = "/orders-api/v1.0/tenants/tenant_acme/orders";

    let anonymous = server.client.get(server.url(orders)).send().await.unwrap();
    problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let created = server
        .client
        .post(server.url(orders))
        .header("x-api-key", "tenant_acme")
        .header("x-request-id", "embed-req-1")
        .json(&create_body("cart_embed", "thandi@acme.co.za"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    assert_eq!(created.headers().get("x-request-id").unwrap(), "embed-req-1");
    let location = created.headers().get("location").unwrap().to_str().unwrap().to_owned();
    let id = created.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/orders-api/v1.0/orders/{id}"), "the Location leads back through the prefix");

    // The events the request caused carry its id, though the embedder added no layer for it.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut processors = server.stack.processors();
    processors.record_writer = Arc::new(Recording { inner: processors.record_writer.clone(), seen: seen.clone() });
    server.stack.drain_with(processors).await;
    let correlations: Vec<Value> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|event| serde_json::to_value(event).unwrap()["correlationId"].clone())
        .collect();
    assert_eq!(correlations, [json!("embed-req-1")]);

    let read = server.client.get(server.url(&location)).header("x-api-key", "staff-key").send().await.unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers().get("etag").unwrap(), "\"1\"");
    let generated = read.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(generated.len(), 36, "a request without an id is given one");
    let intruder = server.client.get(server.url(&location)).header("x-api-key", "tenant_other").send().await.unwrap();
    problem(intruder, StatusCode::NOT_FOUND, "not-found").await;
    let wrong_method =
        server.client.delete(server.url(&location)).header("x-api-key", "staff-key").send().await.unwrap();
    problem(wrong_method, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed").await;

    // Nothing global came with the routes: the embedder's own routes and fallback are its own.
    let home = server.client.get(server.url("/")).send().await.unwrap();
    assert!(home.headers().get("x-request-id").is_none());
    assert_eq!(home.text().await.unwrap(), "the embedder's home");
    for path in ["/orders-api/health", "/orders-api/openapi.json", "/orders-api/dev/token"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_ne!(
            response.headers().get("content-type").map(|v| v.to_str().unwrap()),
            Some("application/problem+json")
        );
    }
}
