//! `lambda-sweep`: the scheduled function (an EventBridge schedule, e.g. `rate(1 minute)`) that
//! runs the outbox relay and the expiry sweep until nothing is left or the invocation's
//! deadline is near, and returns what it did. The AWS resources come from the `BBWS_…`
//! variables of [`AwsHostConfig`]; the SDK clients and the application are built once, at
//! start-up. A failure fails the invocation, and the scheduler retries it.

use std::sync::Arc;

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use bbws_examples::aws_host::AwsHostConfig;
use bbws_examples::lambda::{SweepError, SweepSummary, handle_sweep, init_json_logs};
use bbws_examples::stack::demo_config;
use lambda_runtime::{LambdaEvent, service_fn};
use order_app::OrderApp;
use tracing::{error, info};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_json_logs();
    let app = start().await.inspect_err(|error| error!(%error, "start-up failed"))?;
    info!("sweep ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<CloudWatchEvent>| {
        let app = app.clone();
        async move { handle(&app, event).await }
    }))
    .await
}

/// Reads the configuration and wires the application on the AWS stack.
async fn start() -> Result<Arc<OrderApp>, lambda_runtime::Error> {
    Ok(AwsHostConfig::from_env()?.stack(demo_config()?).await?.app)
}

async fn handle(app: &OrderApp, event: LambdaEvent<CloudWatchEvent>) -> Result<SweepSummary, SweepError> {
    let deadline = event.context.deadline();
    handle_sweep(app, event.payload, deadline).await
}
