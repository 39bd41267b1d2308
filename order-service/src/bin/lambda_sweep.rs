//! `lambda-sweep`: the scheduled function (an EventBridge schedule, e.g. `rate(1 minute)`) that
//! runs the outbox relay and the expiry sweep until nothing is left or the invocation's
//! deadline is near, and returns what it did. Start-up:
//! `order_service::lambda::start_sweep`; each invocation: `adapters_lambda::handle_sweep`.
//! A failure fails the invocation, and the scheduler retries it.

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use order_service::lambda::{flush_metrics, install_metrics, start_sweep};
use order_service::telemetry::{LogFormat, init};
use tracing::{error, info};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let traces = init(LogFormat::Json, |name| std::env::var(name).ok())
        .inspect_err(|error| error!(%error, "start-up failed"))?;
    let app =
        start_sweep(|name| std::env::var(name).ok()).await.inspect_err(|error| error!(%error, "start-up failed"))?;
    // After start-up, so that a refusal is the first thing the function logs.
    let metrics = install_metrics(|name| std::env::var(name).ok())?;
    info!("sweep ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<CloudWatchEvent>| {
        let (app, metrics, traces) = (app.clone(), metrics.clone(), traces.clone());
        async move {
            let deadline = event.context.deadline();
            let answer = adapters_lambda::handle_sweep(&app, event.payload, deadline).await;
            flush_metrics(&metrics);
            traces.flush().await;
            answer
        }
    }))
    .await
}
