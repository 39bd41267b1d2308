//! The Lambda functions' start-up (feature `lambda`): each reads its environment once per cold
//! start, builds the SDK clients and the application once, and hands a handler of
//! `adapters-lambda` to the runtime.
//!
//! | function | variables |
//! |---|---|
//! | `lambda-api` | the `BBWS_…` sets of [`aws_host`](crate::aws_host), [`profile`](crate::profile) (the application's settings and the cart service) and [`HttpSettings::from_env`] |
//! | `lambda-processor` | [`PROCESSOR_VARIABLE`] (`BBWS_PROCESSOR`), the `aws_host` and `profile` sets |
//! | `lambda-sweep` | the `aws_host` and `profile` sets |
//!
//! Every function writes its metrics as CloudWatch Embedded Metric Format to stdout after each
//! invocation ([`install_metrics`], [`flush_metrics`]), in the namespace of
//! `BBWS_METRICS_NAMESPACE` (default `BBWS/OrderManagement`; the template sets one per
//! environment). Built with the feature `otlp` and given `OTEL_EXPORTER_OTLP_ENDPOINT` (such as
//! the ADOT collector layer's), each also exports its spans as OTLP traces and flushes them after
//! each invocation ([`Traces::flush`], [`flushing`]); see [`telemetry`](crate::telemetry).
//!
//! Every function refuses to start without the application's settings and the cart service's;
//! its start-up error names every variable missing or invalid. Only `lambda-api` has a
//! development mode (`BBWS_DEV`, in builds with the feature `dev`), with the demonstration
//! settings and carts; the processors and the sweep run only for real.

use std::sync::Arc;

use adapters_lambda::api::LambdaApi;
use order_app::{OrderApp, Subscription};
use order_ports::{EventQueue, ProcessorKind};
use tracing::info;

use crate::aws_host::{AwsHost, HostConfigError};
use crate::http_settings::{HttpSettings, SettingsError};
use crate::metrics::MetricsError;
use crate::metrics::emf::{self, EmfHandle};
use crate::profile::Mode;
use crate::telemetry::Traces;

/// The variable that chooses the processor of a `lambda-processor` function.
pub const PROCESSOR_VARIABLE: &str = "BBWS_PROCESSOR";

/// `BBWS_PROCESSOR` is missing or names no processor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownProcessor {
    /// The variable is not set.
    #[error("{PROCESSOR_VARIABLE} is not set; expected one of: {valid}", valid = valid_names())]
    NotSet,
    /// The variable names something else.
    #[error("{PROCESSOR_VARIABLE}={given:?} is not a processor; expected one of: {valid}", given = .0, valid = valid_names())]
    Unknown(String),
}

fn valid_names() -> String {
    ProcessorKind::ALL.map(ProcessorKind::name).join(", ")
}

/// Parses the value of `BBWS_PROCESSOR` (`None` when unset): `record-writer`,
/// `invoice-writer`, `internal-notifier` or `customer-notifier`.
///
/// # Errors
/// [`UnknownProcessor`], naming the valid values.
pub fn processor_kind(value: Option<&str>) -> Result<ProcessorKind, UnknownProcessor> {
    let value = value.map(str::trim).filter(|value| !value.is_empty()).ok_or(UnknownProcessor::NotSet)?;
    value.parse().map_err(|_| UnknownProcessor::Unknown(value.to_owned()))
}

/// The `lambda-processor` function from its variables, read through `env` (the binary passes
/// the process environment): the processor `BBWS_PROCESSOR` names (checked before anything
/// touches AWS) on the application on AWS, and its queue (the function's event source, on which
/// a record that meets another worker's lease is deferred), with
/// [`RECORD_CONCURRENCY`](adapters_lambda::RECORD_CONCURRENCY) records at once.
///
/// # Errors
/// [`StartError`] naming the variable that is missing or invalid, or what failed to connect.
pub async fn start_processor(env: impl Fn(&str) -> Option<String>) -> Result<Subscription, StartError> {
    let kind = processor_kind(env(PROCESSOR_VARIABLE).as_deref())?;
    let stack = AwsHost::from_lookup(env, Mode::Production)?.stack().await?;
    Ok(Subscription {
        processor: stack.app.processor(kind),
        queue: stack.queue(kind).clone() as Arc<dyn EventQueue>,
        concurrency: adapters_lambda::RECORD_CONCURRENCY,
    })
}

/// The `lambda-sweep` function's application from its variables, read through `env`.
///
/// # Errors
/// [`StartError`] naming the variable that is missing or invalid, or what failed to connect.
pub async fn start_sweep(env: impl Fn(&str) -> Option<String>) -> Result<Arc<OrderApp>, StartError> {
    Ok(AwsHost::from_lookup(env, Mode::Production)?.stack().await?.app)
}

/// The issuer named by development tokens of a Lambda in development mode (`BBWS_DEV`) when
/// `BBWS_DEV_ISSUER` is not set.
pub const DEV_ISSUER: &str = "bbws-lambda-dev";

/// Why the function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `BBWS_PROCESSOR` names no processor.
    #[error(transparent)]
    Processor(#[from] UnknownProcessor),
    /// The AWS configuration, the application's settings or the cart service's are
    /// incomplete, or the application could not be wired.
    #[error(transparent)]
    Aws(#[from] HostConfigError),
    /// The HTTP settings are incomplete.
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// The `lambda-api` function: the application on AWS from the variables read through `env`,
/// and the HTTP settings (development mode among them) from the process environment through
/// clap's `env` attributes ([`HttpSettings::from_env`]).
///
/// # Errors
/// [`StartError`] naming the variables that are missing or invalid, or what failed to connect.
pub async fn start_api(env: impl Fn(&str) -> Option<String>) -> Result<LambdaApi, StartError> {
    let settings = HttpSettings::from_env()?;
    let host = AwsHost::from_lookup(env, Mode::from_dev_flag(settings.dev))?;
    let stack = host.stack().await?;
    let state = settings.state(stack.app.clone(), DEV_ISSUER).await?;
    info!(environment = %host.aws.environment, table = %stack.resources.orders_table, dev = settings.dev, "API ready");
    Ok(adapters_lambda::api::service(state))
}

/// Installs the function's metrics recorder: CloudWatch Embedded Metric Format in the namespace
/// `BBWS_METRICS_NAMESPACE` names (read through `env`), [`emf::DEFAULT_NAMESPACE`] when unset.
///
/// # Errors
/// When a recorder is already installed.
pub fn install_metrics(env: impl Fn(&str) -> Option<String>) -> Result<EmfHandle, MetricsError> {
    let namespace = env(emf::NAMESPACE_VARIABLE)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| emf::DEFAULT_NAMESPACE.to_owned());
    info!(%namespace, "metrics as CloudWatch Embedded Metric Format on stdout");
    emf::install(namespace)
}

/// Writes what the invocation recorded to stdout, where CloudWatch Logs extracts the metrics.
/// A failed write is logged: the invocation's outcome does not depend on its metrics.
pub fn flush_metrics(handle: &EmfHandle) {
    use order_ports::Clock as _;
    if let Err(error) = handle.flush(std::io::stdout().lock(), adapters_system::SystemClock.now()) {
        tracing::warn!(%error, "could not write the invocation's metrics");
    }
}

/// `service` flushing the metrics and the spans after each request it answers (the API
/// function's). When spans are exported, the answer's body is read here, so that the request's
/// span (which lives as long as the body) has ended and is flushed with the invocation it
/// belongs to; `lambda_http` reads the whole body anyway.
pub fn flushing<S, R>(
    service: S,
    metrics: EmfHandle,
    traces: Traces,
) -> impl tower::Service<
    R,
    Response = axum::response::Response,
    Error = S::Error,
    Future = impl Future<Output = Result<axum::response::Response, S::Error>>,
> + Clone
where
    S: tower::Service<R, Response = axum::response::Response> + Clone,
{
    tower::ServiceBuilder::new()
        .map_future(move |answer: S::Future| {
            let (metrics, traces) = (metrics.clone(), traces.clone());
            async move {
                let mut answered = answer.await;
                if traces.is_exporting()
                    && let Ok(response) = answered
                {
                    answered = Ok(buffered(response).await);
                }
                flush_metrics(&metrics);
                traces.flush().await;
                answered
            }
        })
        .service(service)
}

/// `response` with its body read into memory (and the original body dropped).
async fn buffered(response: axum::response::Response) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => axum::response::Response::from_parts(parts, axum::body::Body::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "could not read the answer's body");
            let mut failed = axum::response::Response::new(axum::body::Body::empty());
            *failed.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
            failed
        }
    }
}
