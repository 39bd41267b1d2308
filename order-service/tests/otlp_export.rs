//! The trace export (feature `otlp`) end to end: an order created through the HTTP API (a real
//! server on a socket) and handled by the four processors of the in-memory stack reaches a stub
//! OTLP collector (a real socket, `POST /v1/traces`, decoded as the collector would) as one trace:
//! the server's `request` span, a child of the caller's span, and one `handle` span per
//! processor, each a child of the request's span.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use chrono::{TimeZone, Utc};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use order_ports::ProcessorKind;
use order_service::memory::{InMemoryStack, StackOptions};
use order_service::telemetry::otlp::OtlpSettings;

/// An order created over HTTP with a caller's trace.
#[path = "support/traced_create.rs"]
mod traced_create;
use prost::Message as _;
use traced_create::create_over_http;
use tracing_subscriber::layer::SubscriberExt as _;

/// A span as the collector received it, with its resource's service name.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    name: String,
    kind: i32,
    status: i32,
    attributes: Vec<(String, String)>,
}

impl Received {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

type Collected = Arc<Mutex<Vec<Received>>>;

/// The stub collector's OTLP/HTTP traces endpoint: decodes the protobuf request and keeps its
/// spans.
async fn export(State(collected): State<Collected>, body: Bytes) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    let request = ExportTraceServiceRequest::decode(body).unwrap();
    let text = |value: Option<&Value>| match value {
        Some(Value::StringValue(text)) => text.clone(),
        Some(Value::IntValue(number)) => number.to_string(),
        other => format!("{other:?}"),
    };
    let mut collected = collected.lock().unwrap();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|resource| &resource.attributes)
            .find(|kv| kv.key == "service.name")
            .map(|kv| text(kv.value.as_ref().and_then(|v| v.value.as_ref())))
            .unwrap_or_default();
        for span in resource_spans.scope_spans.into_iter().flat_map(|scope| scope.spans) {
            collected.push(Received {
                service: service.clone(),
                trace_id: hex::encode(&span.trace_id),
                span_id: hex::encode(&span.span_id),
                parent_span_id: hex::encode(&span.parent_span_id),
                name: span.name,
                kind: span.kind,
                status: span.status.map_or(0, |status| status.code),
                attributes: span
                    .attributes
                    .iter()
                    .map(|kv| (kv.key.clone(), text(kv.value.as_ref().and_then(|v| v.value.as_ref()))))
                    .collect(),
            });
        }
    }
    // An empty ExportTraceServiceResponse: everything accepted.
    ([("content-type", "application/x-protobuf")], Vec::new())
}

/// Starts the stub collector; returns its base URL and what it receives.
async fn collector() -> (String, Collected) {
    let collected = Collected::default();
    let app = axum::Router::new().route("/v1/traces", axum::routing::post(export)).with_state(collected.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, collected)
}

fn stack() -> InMemoryStack {
    InMemoryStack::new(StackOptions::demo(Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap())).unwrap()
}

/// The order's trace at the collector: its one `request` span and the four processors' `handle`
/// spans, each handle span a child of the request span, all in one trace, under `service`.
fn assert_one_trace(spans: &[Received], order_id: &str, service: &str) -> Received {
    let trace_id = spans
        .iter()
        .find(|span| span.name == "handle" && span.attribute("order_id") == Some(order_id))
        .unwrap_or_else(|| panic!("no handle span of {order_id} at the collector: {spans:#?}"))
        .trace_id
        .clone();
    let trace: Vec<&Received> = spans.iter().filter(|span| span.trace_id == trace_id).collect();
    let requests: Vec<&&Received> = trace.iter().filter(|span| span.name == "request").collect();
    assert_eq!(requests.len(), 1, "one request span in trace {trace_id}: {trace:#?}");
    let request = (*requests[0]).clone();
    assert_eq!(request.kind, SpanKind::Server as i32, "{request:?}");
    assert_eq!(request.attribute("method"), Some("POST"), "{request:?}");
    assert_eq!(request.status, StatusCode::Unset as i32, "{request:?}");

    let handles: Vec<&&Received> = trace.iter().filter(|span| span.name == "handle").collect();
    let processors: BTreeSet<&str> = handles.iter().filter_map(|span| span.attribute("processor")).collect();
    let all: BTreeSet<&str> = ProcessorKind::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(processors, all, "a handle span per processor in trace {trace_id}: {handles:#?}");
    assert_eq!(handles.len(), 4, "{handles:#?}");
    let own: BTreeSet<&str> = handles.iter().map(|span| span.span_id.as_str()).collect();
    assert_eq!(own.len(), 4, "each processor's span has its own id: {handles:#?}");
    for handle in &handles {
        assert_eq!(handle.parent_span_id, request.span_id, "the request's span is the parent: {handle:?}");
        assert_eq!(handle.kind, SpanKind::Consumer as i32, "{handle:?}");
        assert_eq!(handle.attribute("order_id"), Some(order_id), "{handle:?}");
        assert_eq!(handle.attribute("event"), Some("ORDER_CREATED"), "{handle:?}");
        assert_eq!(handle.status, StatusCode::Unset as i32, "{handle:?}");
    }
    for span in &trace {
        assert_eq!(span.service, service, "{span:?}");
        for id in ["trace_id", "span_id", "parent_span_id"] {
            assert_eq!(span.attribute(id), None, "the ids are the span's own, not attributes: {span:?}");
        }
    }
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orders_trace_runs_from_the_create_request_to_the_four_processors_at_the_collector() {
    let (base, collected) = collector().await;
    let settings = OtlpSettings::from_lookup(|name| match name {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(base.clone()),
        "OTEL_SERVICE_NAME" => Some("bbws-otlp-test".to_owned()),
        _ => None,
    })
    .unwrap()
    .expect("an endpoint is set");
    let (traces, layer) = settings.start().unwrap();
    assert!(traces.is_exporting());
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer.filtered())).unwrap();
    let stack = stack();

    // The caller's trace: the request's span is the caller's span's child.
    let caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let continued = create_over_http(&stack, "cart_otlp_1", Some(caller)).await;
    // Without a traceparent the server starts the trace: the request's span is its root.
    let started = create_over_http(&stack, "cart_otlp_2", None).await;
    traces.flush().await;

    let spans = collected.lock().unwrap().clone();
    let request = assert_one_trace(&spans, &continued, "bbws-otlp-test");
    assert_eq!(request.trace_id, "0af7651916cd43dd8448eb211c80319c", "the caller's trace");
    assert_eq!(request.parent_span_id, "b7ad6b7169203331", "the caller's span is the parent");
    assert_ne!(request.span_id, "b7ad6b7169203331");

    let request = assert_one_trace(&spans, &started, "bbws-otlp-test");
    assert_eq!(request.parent_span_id, "", "a new trace's request span is its root: {request:?}");
    assert_ne!(request.trace_id, "0af7651916cd43dd8448eb211c80319c");

    traces.shutdown().await;
}
