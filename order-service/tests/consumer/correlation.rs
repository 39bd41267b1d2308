//! The request that caused an event reaches the processor's span on every host path: an order
//! created inside a request's correlation id is handled by each of the four processors in a
//! `handle` span whose `request_id` is that id, and what the processor logs while handling it
//! is logged inside that span. The paths: the consumer's drain (the in-memory stack: tests, the
//! quickstart), the background service (the server and the worker binary run the consumer
//! through it), and the Lambda batch handler (feature `lambda`).
//!
//! The same paths carry the W3C trace context: the trace of the creating request (the caller's
//! `traceparent`, or one the server starts) is continued by each processor's span.
//!
//! A tracing layer installed once for this test binary records every `handle` span, the trace
//! ids of every `request` span, and every log event with the `handle` span around it; each test
//! looks only at its own correlation id or trace.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::sync::{Mutex, Once};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use order_app::context::with_correlation_id;
use order_app::{BackgroundOptions, ConsumerOptions, Principal};
use order_domain::{CorrelationId, TenantId};
use order_ports::ProcessorKind;
use order_service::memory::{InMemoryStack, StackOptions};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use crate::support::order_request;

/// The fields of a span or an event, as text.
#[derive(Debug, Clone, Default)]
struct Fields(BTreeMap<&'static str, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }
}

/// A log event and the fields of the `handle` span it was logged in, if any.
#[derive(Debug, Clone)]
struct Logged {
    message: String,
    handle: Option<Fields>,
}

static HANDLE_SPANS: Mutex<Vec<Fields>> = Mutex::new(Vec::new());
/// The fields recorded on `request` spans after they opened (the trace ids).
static REQUEST_SPANS: Mutex<Vec<Fields>> = Mutex::new(Vec::new());
static LOGGED: Mutex<Vec<Logged>> = Mutex::new(Vec::new());

/// Records `handle` spans and the log events inside them.
struct Capture;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "handle" {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields.clone());
        }
        HANDLE_SPANS.lock().unwrap().push(fields);
    }

    fn on_record(&self, id: &Id, values: &tracing::span::Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id).filter(|span| span.name() == "request") else { return };
        let mut extensions = span.extensions_mut();
        if extensions.get_mut::<Fields>().is_none() {
            extensions.insert(Fields::default());
        }
        let Some(fields) = extensions.get_mut::<Fields>() else { return };
        values.record(fields);
        // The trace ids are recorded one at a time: keep the span once it has both.
        if fields.0.contains_key("trace_id") && fields.0.contains_key("span_id") {
            REQUEST_SPANS.lock().unwrap().push(fields.clone());
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let handle = ctx.event_scope(event).and_then(|scope| {
            scope
                .into_iter()
                .find(|span| span.name() == "handle")
                .and_then(|span| span.extensions().get::<Fields>().cloned())
        });
        let message = fields.0.remove("message").unwrap_or_default();
        LOGGED.lock().unwrap().push(Logged { message, handle });
    }
}

/// Installs the capturing layer for the whole test binary (the consumer's handlers run on
/// runtime threads, where a thread's default subscriber would not reach).
fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let targets = Targets::new()
            .with_target("order_app", Level::INFO)
            .with_target("adapters_lambda", Level::INFO)
            .with_target("adapters_http", Level::INFO)
            .with_target("order_service", Level::INFO);
        let subscriber = tracing_subscriber::registry().with(Capture.with_filter(targets));
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber in this test binary");
    });
}

/// Asserts that each of the four processors opened a `handle` span with `request_id` = `id`,
/// and logged what it did inside such a span.
fn assert_every_processor_handled_in(id: &str) {
    let spans: Vec<Fields> = HANDLE_SPANS
        .lock()
        .unwrap()
        .iter()
        .filter(|span| span.0.get("request_id").map(String::as_str) == Some(id))
        .cloned()
        .collect();
    let processors: BTreeSet<&str> =
        spans.iter().filter_map(|span| span.0.get("processor").map(String::as_str)).collect();
    let all: BTreeSet<&str> = ProcessorKind::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(processors, all, "a handle span with request_id {id} for every processor: {spans:#?}");

    let logged = LOGGED.lock().unwrap().clone();
    for kind in ProcessorKind::ALL {
        let inside = logged.iter().filter(|log| {
            log.handle.as_ref().is_some_and(|span| {
                span.0.get("request_id").map(String::as_str) == Some(id)
                    && span.0.get("processor").map(String::as_str) == Some(kind.name())
            })
        });
        let messages: Vec<&str> = inside.map(|log| log.message.as_str()).collect();
        assert!(!messages.is_empty(), "{kind} logged nothing inside its handle span for {id}");
    }
}

fn stack() -> InMemoryStack {
    InMemoryStack::new(StackOptions::demo(Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap())).unwrap()
}

/// Creates a tenant order inside request `id`: its ORDER_CREATED, on all four queues, names it.
async fn create_in_request(stack: &InMemoryStack, id: &str) {
    let request = order_request(stack, &format!("cart_{id}"));
    let tenant = TenantId::parse("tenant_acme").unwrap();
    let customer = Principal::Customer { tenant_id: tenant.clone() };
    let correlation = CorrelationId::parse(id).unwrap();
    with_correlation_id(Some(correlation), stack.app.create_for_tenant(&customer, &tenant, request, None))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_memory_drain_handles_each_event_in_its_requests_span() {
    capture();
    let stack = stack();
    create_in_request(&stack, "req-drain-1").await;
    let report = stack.drain().await.unwrap();
    assert_eq!((report.total().handled, report.total().failed), (4, 0), "{report:?}");
    assert_every_processor_handled_in("req-drain-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_service_of_the_server_and_the_worker_handles_each_event_in_its_requests_span() {
    capture();
    let stack = stack();
    create_in_request(&stack, "req-background-1").await;
    let options = BackgroundOptions {
        consumer: ConsumerOptions {
            wait: Duration::from_millis(20),
            retry_delay: Duration::ZERO,
            ..ConsumerOptions::default()
        },
        sweep_every: None,
        ..BackgroundOptions::default()
    };
    let queues = stack.queues.clone();
    let all_handled = async move {
        while queues.iter().any(|(_, queue)| queue.depth() + queue.in_flight() > 0) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let report = stack.app.background(&stack.event_queues(), options).run(all_handled).await;
    assert_eq!((report.consumer.total().handled, report.consumer.total().failed), (4, 0), "{report:?}");
    assert_every_processor_handled_in("req-background-1");
}

#[cfg(feature = "lambda")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_batch_handler_handles_each_event_in_its_requests_span() {
    use adapters_memory::QueueConfig;
    use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
    use order_ports::EventQueue;

    capture();
    let stack = stack();
    let spy = stack.bus.subscribe("spy", QueueConfig::default());
    create_in_request(&stack, "req-lambda-1").await;
    let published = spy.receive(1, Duration::ZERO).await.unwrap().remove(0).event.unwrap();
    assert_eq!(published.correlation_id.as_ref().map(CorrelationId::as_str), Some("req-lambda-1"));

    // The SQS record Lambda would deliver (raw SNS delivery: the body is the envelope's JSON).
    let mut record = SqsMessage::default();
    record.message_id = Some("3b2a6f0e-5c1d-4e8f-9a7b-1c2d3e4f5a6b".into());
    record.body = Some(serde_json::to_string(&published).unwrap());
    for (kind, processor) in stack.processors() {
        let mut batch = SqsEvent::default();
        batch.records = vec![record.clone()];
        let response =
            adapters_lambda::handle_sqs_batch(processor.as_ref(), stack.queue(kind).as_ref(), batch).await.unwrap();
        assert!(response.batch_item_failures.is_empty(), "{kind}: {response:?}");
    }
    assert_every_processor_handled_in("req-lambda-1");
}

/// Creates an order over HTTP on a real socket, with `traceparent` if given, and drains the
/// stack; returns the trace and span ids of the server's `request` span.
async fn create_over_http(stack: &InMemoryStack, cart: &str, traceparent: Option<&str>) -> (String, String) {
    let order_id = crate::traced_create::create_over_http(stack, cart, traceparent).await;
    // The request span of this order: the handle spans name the order, the request span its trace.
    let trace_id = HANDLE_SPANS
        .lock()
        .unwrap()
        .iter()
        .find(|span| span.0.get("order_id") == Some(&order_id))
        .and_then(|span| span.0.get("trace_id").cloned())
        .unwrap();
    let request = REQUEST_SPANS.lock().unwrap().iter().find(|span| span.0.get("trace_id") == Some(&trace_id)).cloned();
    let request = request.unwrap_or_else(|| panic!("no request span in trace {trace_id}"));
    (trace_id, request.0["span_id"].clone())
}

/// Asserts that each of the four processors handled an event in a span of trace `trace_id`,
/// a child of span `parent`, each with a span id of its own.
fn assert_every_processor_continued(trace_id: &str, parent: &str) {
    let spans: Vec<Fields> = HANDLE_SPANS
        .lock()
        .unwrap()
        .iter()
        .filter(|span| span.0.get("trace_id").map(String::as_str) == Some(trace_id))
        .cloned()
        .collect();
    let processors: BTreeSet<&str> =
        spans.iter().filter_map(|span| span.0.get("processor").map(String::as_str)).collect();
    let all: BTreeSet<&str> = ProcessorKind::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(processors, all, "a handle span in trace {trace_id} for every processor: {spans:#?}");
    let own: BTreeSet<&str> = spans.iter().map(|span| span.0["span_id"].as_str()).collect();
    assert_eq!(own.len(), 4, "each processor's span has its own id: {spans:#?}");
    assert!(!own.contains(parent), "{spans:#?}");
    for span in &spans {
        assert_eq!(span.0["parent_span_id"], parent, "the request's span is the parent: {span:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_create_requests_trace_continues_in_each_processors_span() {
    capture();
    let stack = stack();
    let caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let (trace_id, request_span) = create_over_http(&stack, "cart_traced_1", Some(caller)).await;
    assert_eq!(trace_id, "0af7651916cd43dd8448eb211c80319c", "the caller's trace");
    assert_ne!(request_span, "b7ad6b7169203331", "the server's span is the caller's child");
    assert_every_processor_continued(&trace_id, &request_span);

    // Without a traceparent the server starts a trace, whose id is also an X-Ray trace id (it
    // begins with the time: the stack's clock, 2026-11-25 08:00 UTC).
    let (trace_id, request_span) = create_over_http(&stack, "cart_traced_2", None).await;
    let started = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap().timestamp();
    assert_eq!(&trace_id[..8], format!("{started:08x}"), "{trace_id}");
    assert_every_processor_continued(&trace_id, &request_span);
}
