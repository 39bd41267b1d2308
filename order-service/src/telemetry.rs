//! The one log initialiser of every host: `tracing` events to stdout, filtered by `RUST_LOG`
//! (default `info`); and, in builds with the feature `otlp`, the export of the hosts' spans as
//! OpenTelemetry traces.
//!
//! ## Traces
//! Every request the API answers runs in a `request` span, and every event a processor handles
//! in a `handle` span, each carrying the W3C trace context the service already propagates
//! (`trace_id`, `span_id`, `parent_span_id`): the creating request's trace continues, through the
//! event's `traceparent`, in each of the four processors' spans. [`init`] exports those spans as
//! OTLP traces (HTTP/protobuf, module `otlp`) when the build has the feature `otlp` **and** the
//! standard variable `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//! set; the exported spans keep those ids, so a collector shows one trace from the request to the
//! processors. `OTEL_SERVICE_NAME` names the service (default `bbws-order-management`). Without
//! the feature or the variable nothing is exported and nothing else changes.
//!
//! The spans leave in batches: a long-running host calls [`Traces::shutdown`] as it stops (after
//! SIGTERM), a Lambda function [`Traces::flush`] after each invocation, before the environment
//! may be frozen.

use std::io::IsTerminal as _;

use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::Registry;
use tracing_subscriber::util::SubscriberInitExt as _;

#[cfg(feature = "otlp")]
pub mod otlp;

/// The standard variable naming the OTLP collector's base URL (`…/v1/traces` is appended).
pub const ENDPOINT_VARIABLE: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// The standard variable naming the OTLP collector's traces URL, used as it is; it wins over
/// [`ENDPOINT_VARIABLE`].
pub const TRACES_ENDPOINT_VARIABLE: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// The standard variable naming the service in the exported traces.
pub const SERVICE_NAME_VARIABLE: &str = "OTEL_SERVICE_NAME";
/// The service's name in the exported traces when [`SERVICE_NAME_VARIABLE`] is not set.
pub const DEFAULT_SERVICE_NAME: &str = "bbws-order-management";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal (development).
    Text,
    /// One JSON object per line with the current span's fields and no colour codes: what
    /// CloudWatch Logs and other log stores index (Lambda, containers).
    Json,
}

/// The trace export is configured wrongly: the host refuses to start, naming the variable.
#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    /// An endpoint variable is not an `http` or `https` URL.
    #[error("{variable}={value:?} is not an OTLP/HTTP endpoint ({reason}); expected e.g. http://localhost:4318")]
    InvalidEndpoint {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A protocol variable asks for something else than OTLP over HTTP with protobuf.
    #[error("{variable}={value:?}: traces are exported as http/protobuf only")]
    UnsupportedProtocol {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },
    /// The exporter could not be built.
    #[error("cannot start the OTLP trace exporter: {0}")]
    Exporter(String),
}

/// The trace export of a host: a handle to flush and stop it. Off (every method does nothing)
/// when the build has no feature `otlp` or no endpoint is configured. Cheap to clone; every
/// clone is the same export.
#[derive(Debug, Clone, Default)]
pub struct Traces {
    #[cfg(feature = "otlp")]
    processor: Option<std::sync::Arc<dyn opentelemetry_sdk::trace::SpanProcessor>>,
}

impl Traces {
    /// No export.
    pub fn off() -> Self {
        Self::default()
    }

    /// Whether spans are being exported.
    pub fn is_exporting(&self) -> bool {
        #[cfg(feature = "otlp")]
        return self.processor.is_some();
        #[cfg(not(feature = "otlp"))]
        false
    }

    /// Exports every span that has ended and waits until the collector took them (or the
    /// exporter's timeout passed). A Lambda function calls it after each invocation. A failure
    /// is logged: the work's outcome does not depend on its traces.
    // Without the feature `otlp` there is nothing to wait for; the signature stays the same.
    #[cfg_attr(not(feature = "otlp"), allow(clippy::unused_async))]
    pub async fn flush(&self) {
        #[cfg(feature = "otlp")]
        if let Some(processor) = self.processor.clone() {
            // The batch processor blocks until its own thread has exported.
            match tokio::task::spawn_blocking(move || processor.force_flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "could not export the spans"),
                Err(error) => tracing::warn!(%error, "could not export the spans"),
            }
        }
    }

    /// Exports what is left and stops the export; spans that end later are dropped. A
    /// long-running host calls it once, as it stops. A failure is logged.
    // Without the feature `otlp` there is nothing to wait for; the signature stays the same.
    #[cfg_attr(not(feature = "otlp"), allow(clippy::unused_async))]
    pub async fn shutdown(&self) {
        #[cfg(feature = "otlp")]
        if let Some(processor) = self.processor.clone() {
            match tokio::task::spawn_blocking(move || processor.shutdown()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "could not export the last spans"),
                Err(error) => tracing::warn!(%error, "could not export the last spans"),
            }
        }
    }
}

/// Installs the global subscriber: the logs (as [`init_logs`]) and, in builds with the feature
/// `otlp`, the trace export configured by the variables read through `env` (the binaries pass
/// the process environment; see the [module](self) docs). Call once, first thing in a host's
/// `main`; a second call (or a subscriber set elsewhere) leaves the first one in place. In a build
/// without `otlp`, an endpoint variable that is set is only warned about.
///
/// # Errors
/// [`TracesError`] naming the variable when the trace export is configured wrongly (a malformed
/// endpoint, another protocol); the logs are installed all the same, so the host can log it.
pub fn init(format: LogFormat, env: impl Fn(&str) -> Option<String>) -> Result<Traces, TracesError> {
    #[cfg(feature = "otlp")]
    {
        let started =
            otlp::OtlpSettings::from_lookup(&env).and_then(|settings| settings.map(|s| s.start()).transpose());
        match started {
            Ok(Some((traces, layer))) => {
                let service = layer.service_name().to_owned();
                install(format, Some(Box::new(layer.filtered())));
                tracing::info!(%service, "exporting traces over OTLP");
                Ok(traces)
            }
            Ok(None) => {
                install(format, None);
                Ok(Traces::off())
            }
            Err(error) => {
                install(format, None);
                Err(error)
            }
        }
    }
    #[cfg(not(feature = "otlp"))]
    {
        install(format, None);
        for variable in [TRACES_ENDPOINT_VARIABLE, ENDPOINT_VARIABLE] {
            if env(variable).is_some_and(|value| !value.trim().is_empty()) {
                tracing::warn!(variable, "set, but this build exports no traces (it lacks the feature `otlp`)");
            }
        }
        Ok(Traces::off())
    }
}

/// Installs the global subscriber with the logs only: `tracing` events to stdout, filtered by
/// `RUST_LOG` (default `info`). Call once, first thing in a host's `main`; a second call (or a
/// subscriber set elsewhere) leaves the first one in place.
pub fn init_logs(format: LogFormat) {
    install(format, None);
}

/// The logs, filtered by `RUST_LOG`, beside the trace export with its own filter: a `RUST_LOG`
/// that hides `info` hides no span from the collector.
fn install(format: LogFormat, traces: Option<Box<dyn Layer<Registry> + Send + Sync>>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = match format {
        // Colours only on a terminal: a log file or a pipe gets plain text.
        LogFormat::Text => {
            tracing_subscriber::fmt::layer().with_ansi(std::io::stdout().is_terminal()).with_filter(filter).boxed()
        }
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_ansi(false)
            .with_filter(filter)
            .boxed(),
    };
    let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = std::iter::once(logs).chain(traces).collect();
    // Already installed: keep the first subscriber, as documented.
    drop(tracing_subscriber::registry().with(layers).try_init());
}

/// Runs a long-running host (the server, the worker) the way each of them should: the logs and,
/// with the feature `otlp`, the trace export installed from `env` ([`init`]; a bad setting ends
/// the host at once, named), then `host`, then the spans of its last requests and events flushed
/// before the process ends ([`Traces::shutdown`]); its outcome becomes the exit status
/// ([`exit_code`]).
pub async fn run_host<E, F>(
    format: LogFormat,
    env: impl Fn(&str) -> Option<String>,
    host: impl FnOnce() -> F,
) -> std::process::ExitCode
where
    E: std::fmt::Display,
    F: Future<Output = Result<(), E>>,
{
    let traces = match init(format, env) {
        Ok(traces) => traces,
        Err(error) => return exit_code(Err(error)),
    };
    let outcome = host().await;
    traces.shutdown().await;
    exit_code(outcome)
}

/// The exit status of a host whose work ended with `result`: success, or the error logged with
/// its message (`Display`, never `Debug`: a start-up error names every setting missing or
/// invalid) and a failure status.
pub fn exit_code<E: std::fmt::Display>(result: Result<(), E>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "failed");
            std::process::ExitCode::FAILURE
        }
    }
}
