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

/// Checks `document` against the required fields of the CloudWatch Embedded Metric Format
/// specification (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
/// a root `_aws` with an integer `Timestamp` (ms) and a non-empty `CloudWatchMetrics`; each
/// directive's `Namespace` (1–255 characters), `Dimensions` (sets of at most 30 names, each a
/// root member holding a string) and `Metrics` (at most 100, each with a `Name` of 1–255
/// characters that is a root member holding a number or at most 100 numbers, and a `Unit`, when
/// given, among CloudWatch's).
fn check_emf(document: &Value) -> Result<(), String> {
    const UNITS: &[&str] = &[
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ];
    let root = document.as_object().ok_or("not an object")?;
    let aws = root.get("_aws").and_then(Value::as_object).ok_or("no _aws object")?;
    aws.get("Timestamp").and_then(Value::as_u64).ok_or("_aws.Timestamp is not a non-negative integer")?;
    let directives = aws.get("CloudWatchMetrics").and_then(Value::as_array).ok_or("no CloudWatchMetrics array")?;
    if directives.is_empty() {
        return Err("CloudWatchMetrics is empty".into());
    }
    for directive in directives {
        let namespace = directive["Namespace"].as_str().ok_or("Namespace is not a string")?;
        if namespace.is_empty() || namespace.len() > 255 {
            return Err(format!("Namespace {namespace:?} is not 1–255 characters"));
        }
        for set in directive["Dimensions"].as_array().ok_or("Dimensions is not an array")? {
            let set = set.as_array().ok_or("a dimension set is not an array")?;
            if set.len() > 30 {
                return Err(format!("a dimension set of {} names", set.len()));
            }
            for name in set {
                let name = name.as_str().ok_or("a dimension name is not a string")?;
                root.get(name)
                    .and_then(Value::as_str)
                    .ok_or(format!("dimension {name} is not a root string member"))?;
            }
        }
        let metrics = directive["Metrics"].as_array().ok_or("Metrics is not an array")?;
        if metrics.len() > 100 {
            return Err(format!("{} metrics in one directive", metrics.len()));
        }
        for metric in metrics {
            let name = metric["Name"].as_str().ok_or("a metric without a Name")?;
            if name.is_empty() || name.len() > 255 {
                return Err(format!("metric name {name:?} is not 1–255 characters"));
            }
            if let Some(unit) = metric.get("Unit") {
                let unit = unit.as_str().ok_or("Unit is not a string")?;
                if !UNITS.contains(&unit) {
                    return Err(format!("{name}: unit {unit} is not a CloudWatch unit"));
                }
            }
            match root.get(name) {
                Some(Value::Number(_)) => {}
                Some(Value::Array(values)) if values.len() <= 100 && values.iter().all(Value::is_number) => {}
                other => return Err(format!("metric {name} holds {other:?}, not a number or up to 100 numbers")),
            }
        }
    }
    Ok(())
}

/// One metric of an EMF document: its name, unit, dimensions (name → value) and values.
#[derive(Debug, Clone, PartialEq)]
struct Emitted {
    name: String,
    unit: Option<String>,
    dimensions: std::collections::BTreeMap<String, String>,
    values: Vec<f64>,
}

fn emitted(document: &Value) -> Vec<Emitted> {
    let directive = &document["_aws"]["CloudWatchMetrics"][0];
    let dimensions: std::collections::BTreeMap<String, String> = directive["Dimensions"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| {
            let name = name.as_str().unwrap();
            (name.to_owned(), document[name].as_str().unwrap().to_owned())
        })
        .collect();
    directive["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|metric| {
            let name = metric["Name"].as_str().unwrap().to_owned();
            let values = match &document[&name] {
                Value::Array(values) => values.iter().map(|v| v.as_f64().unwrap()).collect(),
                one => vec![one.as_f64().unwrap()],
            };
            Emitted { unit: metric["Unit"].as_str().map(str::to_owned), dimensions: dimensions.clone(), name, values }
        })
        .collect()
}

#[test]
fn the_functions_metrics_are_embedded_metric_format_under_their_cloudwatch_names() {
    use adapters_memory::QueueConfig;
    use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
    use order_ports::EventQueue;
    use order_service::metrics::emf::EmfRecorder;

    let recorder = EmfRecorder::new("BBWS/OrderManagement/test");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let issuer = DevIssuer::generate(ISSUER, CLIENT).unwrap();
    let stack = InMemoryStack::new(StackOptions::new(demo_config())).unwrap();
    stack.carts.add_cart(
        CartSnapshot::new(
            CartId::parse("cart_lambda_1").unwrap(),
            order_domain::CartOwner::Tenant(order_domain::TenantId::parse("tenant_acme").unwrap()),
            vec![line("HOSTING-PRO", "575.00", 2)],
        )
        .unwrap(),
    );
    let spy = stack.bus.subscribe("spy", QueueConfig::default());
    metrics::with_local_recorder(&recorder, || {
        order_app::metrics::describe();
        runtime.block_on(async {
            // The API function: one create accepted, one refused.
            let api = api(&issuer, &stack);
            let customer = token(&issuer, "customer", Some("tenant_acme"));
            let (status, _, body) = invoke(&api, event("create_tenant_order", &[("TOKEN", &customer)])).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
            let (status, _, _) =
                invoke(&api, event("create_tenant_order", &[("TOKEN", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")])).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);

            // The four processor functions, each given the SQS record Lambda would deliver.
            let published = spy.receive(1, std::time::Duration::ZERO).await.unwrap().remove(0).event.unwrap();
            let mut record = SqsMessage::default();
            record.message_id = Some("3b2a6f0e-5c1d-4e8f-9a7b-1c2d3e4f5a6b".into());
            record.body = Some(serde_json::to_string(&published).unwrap());
            for (kind, processor) in stack.processors() {
                let mut batch = SqsEvent::default();
                batch.records = vec![record.clone()];
                let response = adapters_lambda::handle_sqs_batch(processor.as_ref(), stack.queue(kind).as_ref(), batch)
                    .await
                    .unwrap();
                assert!(response.batch_item_failures.is_empty(), "{kind}: {response:?}");
            }
        });
    });

    let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 30, 10, 0, 0).unwrap();
    let mut out = Vec::new();
    recorder.handle().flush(&mut out, at).unwrap();
    let text = String::from_utf8(out).unwrap();
    let documents: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert!(!documents.is_empty());
    for document in &documents {
        check_emf(document).unwrap_or_else(|error| panic!("{error}: {document}"));
        assert_eq!(document["_aws"]["CloudWatchMetrics"][0]["Namespace"], "BBWS/OrderManagement/test");
        assert_eq!(document["_aws"]["Timestamp"], at.timestamp_millis());
    }
    let metrics: Vec<Emitted> = documents.iter().flat_map(emitted).collect();
    let find = |name: &str, dimensions: &[(&str, &str)]| {
        let wanted: std::collections::BTreeMap<String, String> =
            dimensions.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        metrics.iter().find(|m| m.name == name && m.dimensions == wanted).cloned()
    };
    // The API's: requests by status class only, durations by route and method.
    assert_eq!(find("HttpRequests", &[("StatusClass", "2xx")]).map(|m| m.values), Some(vec![1.0]));
    assert_eq!(find("HttpRequests", &[("StatusClass", "4xx")]).map(|m| m.values), Some(vec![1.0]));
    let create = find("HttpRequestDuration", &[("Method", "POST"), ("Route", "/v1.0/tenants/{tenant_id}/orders")]);
    let create = create.unwrap_or_else(|| panic!("no create duration in {metrics:#?}"));
    assert_eq!((create.unit.as_deref(), create.values.len()), (Some("Seconds"), 2));
    assert_eq!(find("OrdersCreated", &[("Buyer", "tenant")]).map(|m| m.values), Some(vec![1.0]));
    // Each processor's: handled once, its time and its lag, by processor only.
    for kind in order_ports::ProcessorKind::ALL {
        let processor = [("Processor", kind.name())];
        assert_eq!(find("EventsHandled", &processor).map(|m| m.values), Some(vec![1.0]), "{kind}");
        let lag = find("EventLag", &processor).unwrap_or_else(|| panic!("no lag of {kind}"));
        assert_eq!((lag.unit.as_deref(), lag.values.len()), (Some("Seconds"), 1), "{kind}");
        assert!(find("EventHandlingDuration", &processor).is_some(), "{kind}");
    }
    assert_eq!(find("DocumentsWritten", &[("Kind", "PRO_FORMA")]).map(|m| m.values), Some(vec![1.0]));
    let labels: Vec<&String> = metrics.iter().flat_map(|m| m.dimensions.keys()).collect();
    assert!(labels.iter().all(|name| name.chars().next().is_some_and(char::is_uppercase)), "{labels:?}");
    assert!(metrics.iter().all(|m| !m.name.starts_with("bbws_")), "only CloudWatch names: {metrics:#?}");

    // A flush takes what it writes: the next invocation starts from nothing.
    let mut again = Vec::new();
    recorder.handle().flush(&mut again, at).unwrap();
    assert!(again.is_empty(), "{}", String::from_utf8_lossy(&again));
}
