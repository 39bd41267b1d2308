//! The HTTP API as a Lambda function behind API Gateway (HTTP API, payload format 2.0): the
//! server's router, configured by the `BBWS_…` variables (see `order_service::lambda`),
//! logging JSON lines, its metrics in CloudWatch Embedded Metric Format after each request (and,
//! with the feature `otlp` and an OTLP endpoint, its spans).

use order_service::lambda::{flushing, install_metrics, start_api};
use order_service::telemetry::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let traces = init(LogFormat::Json, |name| std::env::var(name).ok())
        .inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    let api = start_api(|name| std::env::var(name).ok())
        .await
        .inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    // After start-up, so that a refusal is the first thing the function logs.
    let metrics = install_metrics(|name| std::env::var(name).ok())?;
    lambda_http::run(flushing(api, metrics, traces)).await
}
