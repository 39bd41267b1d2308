//! The `lambda-api` function invoked directly: API Gateway HTTP API (payload format 2.0) events
//! from `tests/fixtures/apigw-v2/` are parsed by `lambda_http` exactly as the runtime parses
//! them and handed to the function's service ([`lambda_api::service`]), over the in-memory
//! application (the router is the same on every backend). Built only with the `lambda` feature.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::sync::Arc;

use adapters_http::HttpState;
use adapters_http::auth::{CognitoAuthenticator, CognitoConfig, DevIssuer, JwksSource};
use adapters_http::cursor::CursorSigner;
use adapters_http::dto::DevTokenRequest;
use adapters_http::idempotency::IdempotencyKeys;
use adapters_http::payfast::{PAYFAST_NETWORKS, PayfastConfig, PayfastVerifier};
use adapters_http::problem::PROBLEM_JSON;
use adapters_lambda::api::{self as lambda_api, LambdaApi};
use axum::body::to_bytes;
use base64::Engine;
use lambda_http::http::{HeaderMap, StatusCode};
use order_domain::testing::line;
use order_domain::{CartId, CartSnapshot};
use order_service::memory::{InMemoryStack, StackOptions, demo_config};
use serde_json::Value;
use tower::ServiceExt;

/// The Cognito pool the test's tokens claim to come from.
const ISSUER: &str = "https://cognito-idp.af-south-1.amazonaws.com/af-south-1_Bbws7Test";
const CLIENT: &str = "5r1tq0bbwsportal";

/// The function's service over a fresh in-memory application, verifying tokens signed by
/// `issuer`, allowing PayFast's networks only.
fn api(issuer: &DevIssuer, stack: &InMemoryStack) -> LambdaApi {
    let auth = CognitoAuthenticator::new(CognitoConfig::new(ISSUER, CLIENT), JwksSource::Static(issuer.jwks()));
    let itn = PayfastVerifier::new(PayfastConfig {
        merchant_id: "10000100".into(),
        passphrase: Some("jt7NOE43FZPn".into()),
        allowed_sources: PAYFAST_NETWORKS.iter().map(|net| net.parse().unwrap()).collect(),
    });
    let state = HttpState::new(stack.app.clone(), Arc::new(auth), CursorSigner::new(&[9; 32]).unwrap(), Arc::new(itn))
        .with_idempotency_keys(IdempotencyKeys::new(100));
    lambda_api::service(state)
}

/// The fixture `name` with its `{{PLACEHOLDERS}}` filled in, parsed as the runtime parses it.
fn event(name: &str, vars: &[(&str, &str)]) -> lambda_http::Request {
    let path = format!("{}/tests/fixtures/apigw-v2/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (key, value) in vars {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    assert!(!text.contains("{{"), "{name}: a placeholder is left in {text}");
    lambda_http::request::from_str(&text).unwrap()
}

/// Invokes the function with `request`: status, headers and the JSON body.
async fn invoke(api: &LambdaApi, request: lambda_http::Request) -> (StatusCode, HeaderMap, Value) {
    let response = api.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.unwrap();
    (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap())
}

fn token(issuer: &DevIssuer, role: &str, tenant: Option<&str>) -> String {
    let request = DevTokenRequest { role: role.into(), tenant_id: tenant.map(Into::into), ttl_secs: None };
    issuer.mint(&request).unwrap().access_token
}

#[tokio::test]
async fn api_gateway_events_create_read_and_list_an_order() {
    let issuer = DevIssuer::generate(ISSUER, CLIENT).unwrap();
    let stack = InMemoryStack::new(StackOptions::new(demo_config())).unwrap();
    stack.carts.add_cart(
        CartSnapshot::new(
            CartId::parse("cart_lambda_1").unwrap(),
            order_domain::CartOwner::Tenant(order_domain::TenantId::parse("tenant_acme").unwrap()),
            vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
        )
        .unwrap(),
    );
    let api = api(&issuer, &stack);
    let customer = token(&issuer, "customer", Some("tenant_acme"));

    let (status, headers, body) = invoke(&api, event("create_tenant_order", &[("TOKEN", &customer)])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["orderId"].as_str().unwrap().to_owned();
    assert_eq!(headers["location"], format!("/v1.0/orders/{id}"));
    assert_eq!(headers["x-request-id"], "Q2cQ3gXLJoEEJbA=", "API Gateway's request id stands in");
    let again = invoke(&api, event("create_tenant_order", &[("TOKEN", &customer)])).await;
    assert_eq!(
        (again.0, &again.1["idempotent-replayed"], &again.2["orderId"]),
        (StatusCode::ACCEPTED, &"true".parse().unwrap(), &body["orderId"])
    );
    stack.drain().await.unwrap();

    let (status, headers, order) = invoke(&api, event("get_order", &[("TOKEN", &customer), ("ORDER_ID", &id)])).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(headers["etag"], "\"1\"");
    assert_eq!(headers["x-request-id"], "portal-7d1e0c", "the client's request id is kept");
    assert_eq!((order["orderId"].as_str(), order["status"].as_str()), (Some(id.as_str()), Some("PENDING")));
    assert_eq!(order["totals"]["total"]["amount"], "1349.00");

    let (status, _, page) = invoke(&api, event("list_orders", &[("TOKEN", &customer)])).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed: Vec<&str> = page["orders"].as_array().unwrap().iter().map(|o| o["orderId"].as_str().unwrap()).collect();
    assert_eq!(listed, vec![id.as_str()]);

    // Refusals are problems, never a 500: a forged token, another tenant.
    let (status, headers, problem) =
        invoke(&api, event("get_order", &[("TOKEN", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), ("ORDER_ID", &id)])).await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap()),
        (StatusCode::UNAUTHORIZED, PROBLEM_JSON),
        "{problem}"
    );
    let intruder = token(&issuer, "customer", Some("tenant_other"));
    let (status, _, _) = invoke(&api, event("get_order", &[("TOKEN", &intruder), ("ORDER_ID", &id)])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn payfast_notifications_are_checked_against_the_events_source_address() {
    let issuer = DevIssuer::generate(ISSUER, CLIENT).unwrap();
    let stack = InMemoryStack::new(StackOptions::new(demo_config())).unwrap();
    let api = api(&issuer, &stack);
    let id = "order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A";
    let path = format!("{}/tests/fixtures/apigw-v2/payfast_itn.form", env!("CARGO_MANIFEST_DIR"));
    let form = std::fs::read_to_string(path).unwrap().trim().replace("{{ORDER_ID}}", id);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&form);
    let length = form.len().to_string();
    let itn = |source_ip: &'static str| {
        event(
            "payfast_itn",
            &[("ORDER_ID", id), ("SOURCE_IP", source_ip), ("FORM_BASE64", &encoded), ("LENGTH", &length)],
        )
    };

    // From outside PayFast's networks: refused before anything is read.
    let (status, headers, problem) = invoke(&api, itn("203.0.113.77")).await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (StatusCode::FORBIDDEN, PROBLEM_JSON), "{problem}");
    // From PayFast's network, the (base64-decoded) form is read and its bad signature refused.
    let (status, _, problem) = invoke(&api, itn("197.97.145.150")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(problem["type"].as_str().unwrap().ends_with("itn-refused"), "{problem}");
}
