//! The OTLP trace export (feature `otlp`): a `tracing` layer that turns each span carrying the
//! service's W3C trace context into an OpenTelemetry span with **those** ids, handed to the SDK's
//! batch processor and the OTLP/HTTP (protobuf) exporter.
//!
//! The service decides its trace and span ids itself (`order_app::context::start_span`: the
//! caller's trace, or a new X-Ray-compatible one) and carries them across the fan-out in each
//! event's `traceparent`. The spans that carry them say so in their fields: a `request` span
//! (`adapters-http`) and a `handle` span (`order_app::processors::handle_event`) each have
//! `trace_id`, `span_id` and `parent_span_id` (lower-case hex, `-` when none). [`OtlpLayer`]
//! exports exactly those spans, when they close, as OpenTelemetry spans with
//! - the trace id, span id and parent span id of those fields (a `request` span's parent is the
//!   caller's span of its `traceparent` header; a `handle` span's, the creating request's span);
//! - the span's name, its start and end (wall clock), its kind (`request`: server, `handle`:
//!   consumer), every other field as an attribute, and an error status with the message of the
//!   first error event logged inside it.
//!
//! A span without a valid `trace_id` and `span_id` is not exported. Building the spans from the
//! fields, rather than letting an OpenTelemetry tracer mint ids of its own, is what keeps one id
//! from the request to the four processors, on every host, across processes and queues.
//!
//! Configuration: [`OtlpSettings::from_lookup`] reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the
//! traces URL as it is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL, `/v1/traces` appended),
//! and `OTEL_SERVICE_NAME`; neither endpoint set means no export. The exporter crate honours the
//! other standard variables itself (`OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT`,
//! `…_COMPRESSION` where built, the batch processor's `OTEL_BSP_…`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::{InstrumentationScope, KeyValue, Value};
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SpanData, SpanProcessor};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterFn, Filtered};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::{
    DEFAULT_SERVICE_NAME, ENDPOINT_VARIABLE, SERVICE_NAME_VARIABLE, TRACES_ENDPOINT_VARIABLE, Traces, TracesError,
};

/// The path of traces under a collector's base URL (OTLP/HTTP).
const TRACES_PATH: &str = "/v1/traces";

/// The protocol variables: only `http/protobuf` is built.
const PROTOCOL_VARIABLES: [&str; 2] = ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"];

/// The fields that carry a span's place in its trace; every other field is an attribute.
const TRACE_ID: &str = "trace_id";
const SPAN_ID: &str = "span_id";
const PARENT_SPAN_ID: &str = "parent_span_id";

/// Where the traces go and under which service name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpSettings {
    /// The collector's traces URL (e.g. `http://localhost:4318/v1/traces`).
    pub endpoint: String,
    /// The `service.name` of the exported spans.
    pub service_name: String,
}

impl OtlpSettings {
    /// The settings from the standard variables read through `env`; `None` when neither
    /// endpoint variable is set (or both are empty): no export.
    ///
    /// # Errors
    /// [`TracesError`] naming the variable: an endpoint that is not an `http`/`https` URL, or a
    /// protocol other than `http/protobuf`.
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, TracesError> {
        let set = |variable: &str| env(variable).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        for variable in PROTOCOL_VARIABLES {
            if let Some(value) = set(variable).filter(|value| value != "http/protobuf") {
                return Err(TracesError::UnsupportedProtocol { variable, value });
            }
        }
        let endpoint = if let Some(value) = set(TRACES_ENDPOINT_VARIABLE) {
            checked_url(TRACES_ENDPOINT_VARIABLE, &value)?;
            value
        } else if let Some(value) = set(ENDPOINT_VARIABLE) {
            checked_url(ENDPOINT_VARIABLE, &value)?;
            format!("{}{TRACES_PATH}", value.trim_end_matches('/'))
        } else {
            return Ok(None);
        };
        let service_name = set(SERVICE_NAME_VARIABLE).unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned());
        Ok(Some(Self { endpoint, service_name }))
    }

    /// Starts the export: the OTLP/HTTP exporter behind the SDK's batch processor (its own
    /// thread), and the layer that feeds it.
    ///
    /// # Errors
    /// [`TracesError::Exporter`] when the exporter cannot be built.
    pub fn start(&self) -> Result<(Traces, OtlpLayer), TracesError> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(self.endpoint.clone())
            .build()
            .map_err(|error| TracesError::Exporter(error.to_string()))?;
        let mut processor = BatchSpanProcessor::builder(exporter).build();
        processor.set_resource(&Resource::builder_empty().with_service_name(self.service_name.clone()).build());
        let processor: Arc<dyn SpanProcessor> = Arc::new(processor);
        let layer = OtlpLayer::new(processor.clone()).named(&self.service_name);
        Ok((Traces { processor: Some(processor) }, layer))
    }
}

/// Accepts an absolute `http` or `https` URL with a host.
fn checked_url(variable: &'static str, value: &str) -> Result<(), TracesError> {
    let invalid = |reason: String| TracesError::InvalidEndpoint { variable, value: value.to_owned(), reason };
    let url = reqwest::Url::parse(value).map_err(|error| invalid(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("the scheme is {:?}, not http or https", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_owned()));
    }
    Ok(())
}

/// The `tracing` layer that exports the spans carrying a trace context (see the
/// [module](self) docs) to a [`SpanProcessor`]. Install it [`filtered`](Self::filtered), so that
/// it sees those spans and error events whatever the logs' filter.
#[derive(Debug, Clone)]
pub struct OtlpLayer {
    processor: Arc<dyn SpanProcessor>,
    scope: InstrumentationScope,
    service_name: String,
}

/// What the layer keeps of an open span.
struct Recording {
    start: SystemTime,
    fields: BTreeMap<&'static str, Value>,
    error: Option<String>,
}

impl OtlpLayer {
    /// A layer handing each exported span to `processor`.
    pub fn new(processor: Arc<dyn SpanProcessor>) -> Self {
        Self {
            processor,
            scope: InstrumentationScope::builder(env!("CARGO_PKG_NAME"))
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
            service_name: DEFAULT_SERVICE_NAME.to_owned(),
        }
    }

    fn named(mut self, service_name: &str) -> Self {
        service_name.clone_into(&mut self.service_name);
        self
    }

    /// The service name the spans are exported under.
    pub fn service_name(&self) -> &str {
        &self.service_name
    }

    /// The layer with its own filter: the spans that declare a `trace_id` field and the error
    /// events (which mark the span they happen in as failed); nothing else reaches it.
    pub fn filtered<S>(self) -> Filtered<Self, FilterFn<Wanted>, S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        self.with_filter(FilterFn::new(wanted as Wanted))
    }

    /// The OpenTelemetry span of a closed span, if it carries a valid trace context.
    fn span_data(&self, name: &'static str, recording: Recording, end: SystemTime) -> Option<SpanData> {
        let mut fields = recording.fields;
        let text = |value: Option<Value>| match value {
            Some(Value::String(text)) => Some(text.as_str().to_owned()),
            _ => None,
        };
        let trace_id = text(fields.remove(TRACE_ID)).as_deref().and_then(parse_trace_id)?;
        let span_id = text(fields.remove(SPAN_ID)).as_deref().and_then(parse_span_id)?;
        let parent_span_id = text(fields.remove(PARENT_SPAN_ID)).as_deref().and_then(parse_span_id);
        Some(SpanData {
            span_context: SpanContext::new(trace_id, span_id, TraceFlags::SAMPLED, false, TraceState::NONE),
            parent_span_id: parent_span_id.unwrap_or(SpanId::INVALID),
            // The parent is always elsewhere: the caller's process, or the request that
            // published the event.
            parent_span_is_remote: parent_span_id.is_some(),
            span_kind: match name {
                "request" => SpanKind::Server,
                "handle" => SpanKind::Consumer,
                _ => SpanKind::Internal,
            },
            name: Cow::Borrowed(name),
            start_time: recording.start,
            end_time: end,
            attributes: fields.into_iter().map(|(key, value)| KeyValue::new(key, value)).collect(),
            dropped_attributes_count: 0,
            events: opentelemetry_sdk::trace::SpanEvents::default(),
            links: opentelemetry_sdk::trace::SpanLinks::default(),
            status: recording.error.map_or(Status::Unset, Status::error),
            instrumentation_scope: self.scope.clone(),
        })
    }
}

/// The predicate of [`OtlpLayer::filtered`]'s filter.
pub type Wanted = fn(&Metadata<'_>) -> bool;

/// The layer's filter: spans that declare a trace id, and error events.
fn wanted(metadata: &Metadata<'_>) -> bool {
    if metadata.is_span() {
        metadata.fields().field(TRACE_ID).is_some()
    } else {
        metadata.is_event() && *metadata.level() == Level::ERROR
    }
}

/// 32 lower-case hex digits, not all zero.
fn parse_trace_id(hex: &str) -> Option<TraceId> {
    (hex.len() == 32 && is_lower_hex(hex))
        .then(|| TraceId::from_hex(hex).ok())
        .flatten()
        .filter(|id| *id != TraceId::INVALID)
}

/// 16 lower-case hex digits, not all zero.
fn parse_span_id(hex: &str) -> Option<SpanId> {
    (hex.len() == 16 && is_lower_hex(hex))
        .then(|| SpanId::from_hex(hex).ok())
        .flatten()
        .filter(|id| *id != SpanId::INVALID)
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

impl<S> Layer<S> for OtlpLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        span.extensions_mut().insert(Recording { start: SystemTime::now(), fields, error: None });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(recording) = span.extensions_mut().get_mut::<Recording>() {
            values.record(&mut Fields(&mut recording.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if *event.metadata().level() != Level::ERROR {
            return;
        }
        // The innermost exported span the error happened in.
        let Some(scope) = ctx.event_scope(event) else { return };
        for span in scope {
            let mut extensions = span.extensions_mut();
            let Some(recording) = extensions.get_mut::<Recording>() else { continue };
            if recording.error.is_none() {
                let mut fields = BTreeMap::new();
                event.record(&mut Fields(&mut fields));
                let message = ["error", "message"]
                    .iter()
                    .find_map(|name| fields.get(name).map(Value::as_str))
                    .unwrap_or(Cow::Borrowed("error"));
                recording.error = Some(message.into_owned());
            }
            return;
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let end = SystemTime::now();
        let Some(span) = ctx.span(&id) else { return };
        let Some(recording) = span.extensions_mut().remove::<Recording>() else { return };
        if let Some(data) = self.span_data(span.name(), recording, end) {
            self.processor.on_end(data);
        }
    }
}

/// Records a span's or an event's fields as attribute values.
struct Fields<'a>(&'a mut BTreeMap<&'static str, Value>);

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name(), Value::F64(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name(), Value::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        let value = i64::try_from(value).map_or_else(|_| Value::from(value.to_string()), Value::I64);
        self.0.insert(field.name(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name(), Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), Value::from(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name(), Value::from(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name(), Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use opentelemetry_sdk::error::OTelSdkResult;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Keeps every span it is handed.
    #[derive(Debug, Default)]
    struct Kept(Mutex<Vec<SpanData>>);

    impl SpanProcessor for Kept {
        fn on_start(&self, _: &mut opentelemetry_sdk::trace::Span, _: &opentelemetry::Context) {}

        fn on_end(&self, span: SpanData) {
            self.0.lock().unwrap().push(span);
        }

        fn force_flush(&self) -> OTelSdkResult {
            Ok(())
        }

        fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
            Ok(())
        }
    }

    /// The spans `work` ends, exported through the filtered layer.
    fn exported(work: impl FnOnce()) -> Vec<SpanData> {
        let kept = Arc::new(Kept::default());
        let subscriber = tracing_subscriber::registry().with(OtlpLayer::new(kept.clone()).filtered());
        tracing::subscriber::with_default(subscriber, work);
        kept.0.lock().unwrap().clone()
    }

    const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

    #[test]
    fn a_span_is_exported_with_the_ids_of_its_fields_and_the_others_as_attributes() {
        let spans = exported(|| {
            let span = tracing::info_span!(
                "handle",
                processor = "record-writer",
                attempt = 2,
                trace_id = TRACE,
                span_id = "00f067aa0ba902b7",
                parent_span_id = "b7ad6b7169203331",
            );
            span.in_scope(|| tracing::info!("handled"));
        });
        assert_eq!(spans.len(), 1, "{spans:#?}");
        let span = &spans[0];
        assert_eq!(span.name, "handle");
        assert_eq!(span.span_context.trace_id().to_string(), TRACE);
        assert_eq!(span.span_context.span_id().to_string(), "00f067aa0ba902b7");
        assert_eq!(span.parent_span_id.to_string(), "b7ad6b7169203331");
        assert!(span.parent_span_is_remote);
        assert_eq!(span.span_kind, SpanKind::Consumer);
        assert_eq!(span.status, Status::Unset);
        assert!(span.start_time <= span.end_time);
        let attributes: BTreeMap<String, String> =
            span.attributes.iter().map(|kv| (kv.key.to_string(), kv.value.to_string())).collect();
        assert_eq!(
            attributes,
            BTreeMap::from([("attempt".into(), "2".into()), ("processor".into(), "record-writer".into())])
        );
    }

    #[test]
    fn ids_recorded_after_the_span_opened_count_and_a_new_trace_has_no_parent() {
        let spans = exported(|| {
            let span = tracing::info_span!(
                "request",
                method = "POST",
                trace_id = tracing::field::Empty,
                span_id = tracing::field::Empty,
                parent_span_id = tracing::field::Empty,
            );
            span.record("trace_id", TRACE);
            span.record("span_id", "b7ad6b7169203331");
            span.record("parent_span_id", "-");
        });
        assert_eq!(spans.len(), 1, "{spans:#?}");
        assert_eq!(spans[0].span_kind, SpanKind::Server);
        assert_eq!(spans[0].span_context.span_id().to_string(), "b7ad6b7169203331");
        assert_eq!(spans[0].parent_span_id, SpanId::INVALID, "a root span");
        assert!(!spans[0].parent_span_is_remote);
    }

    #[test]
    fn spans_without_a_valid_trace_context_are_not_exported() {
        let spans = exported(|| {
            drop(tracing::info_span!("handle", trace_id = "-", span_id = "-", parent_span_id = "-"));
            drop(tracing::info_span!("request", trace_id = tracing::field::Empty, span_id = tracing::field::Empty));
            drop(tracing::info_span!("handle", trace_id = TRACE, span_id = "0000000000000000"));
            drop(tracing::info_span!(
                "handle",
                trace_id = "0AF7651916CD43DD8448EB211C80319C",
                span_id = "00f067aa0ba902b7"
            ));
            drop(tracing::info_span!("sweep", order_id = "ord_1"));
        });
        assert!(spans.is_empty(), "{spans:#?}");
    }

    #[test]
    fn an_error_logged_inside_a_span_makes_its_status_an_error() {
        let spans = exported(|| {
            let span = tracing::info_span!("handle", trace_id = TRACE, span_id = "00f067aa0ba902b7");
            span.in_scope(|| {
                tracing::warn!("a warning is no failure");
                let inner = tracing::info_span!("render");
                inner.in_scope(|| tracing::error!(error = "the mailer refused", "processing failed"));
                tracing::error!("a second error keeps the first");
            });
        });
        assert_eq!(spans.len(), 1, "{spans:#?}");
        assert_eq!(spans[0].status, Status::error("the mailer refused"));
    }

    fn settings(vars: &[(&str, &str)]) -> Result<Option<OtlpSettings>, TracesError> {
        let vars: BTreeMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        OtlpSettings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn without_an_endpoint_nothing_is_exported() {
        assert_eq!(settings(&[]).unwrap(), None);
        assert_eq!(settings(&[(ENDPOINT_VARIABLE, " "), (SERVICE_NAME_VARIABLE, "orders")]).unwrap(), None);
    }

    #[test]
    fn the_base_endpoint_gets_the_traces_path_and_the_traces_endpoint_is_used_as_it_is() {
        let base = settings(&[(ENDPOINT_VARIABLE, "http://localhost:4318/")]).unwrap().unwrap();
        assert_eq!(base.endpoint, "http://localhost:4318/v1/traces");
        assert_eq!(base.service_name, DEFAULT_SERVICE_NAME);
        let both = settings(&[
            (ENDPOINT_VARIABLE, "http://localhost:4318"),
            (TRACES_ENDPOINT_VARIABLE, "https://collector.example/otlp/traces"),
            (SERVICE_NAME_VARIABLE, "orders-staging"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(both.endpoint, "https://collector.example/otlp/traces");
        assert_eq!(both.service_name, "orders-staging");
    }

    #[test]
    fn a_malformed_endpoint_or_another_protocol_is_an_error_naming_the_variable() {
        for (variable, value) in [
            (ENDPOINT_VARIABLE, "localhost:4318"),
            (ENDPOINT_VARIABLE, "not a url"),
            (TRACES_ENDPOINT_VARIABLE, "ftp://collector/v1/traces"),
        ] {
            let error = settings(&[(variable, value)]).unwrap_err();
            assert!(matches!(error, TracesError::InvalidEndpoint { variable: v, .. } if v == variable), "{error:?}");
            assert!(error.to_string().starts_with(variable), "{error}");
        }
        let error = settings(&[(ENDPOINT_VARIABLE, "http://localhost:4317"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])
            .unwrap_err();
        assert!(error.to_string().contains("OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\""), "{error}");
        assert!(
            settings(&[(ENDPOINT_VARIABLE, "http://localhost:4318"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")])
                .unwrap()
                .is_some()
        );
    }
}
