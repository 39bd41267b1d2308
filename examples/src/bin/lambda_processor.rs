//! `lambda-processor`: one bootstrap for the four event processors, each deployed as its own
//! function behind its own SQS queue (with `ReportBatchItemFailures` on the event source
//! mapping). `BBWS_PROCESSOR` chooses which: `record-writer`, `invoice-writer`,
//! `internal-notifier` or `customer-notifier`; the AWS resources come from the `BBWS_…`
//! variables of [`AwsHostConfig`]. The SDK clients and the application are built once, at
//! start-up; each invocation handles one SQS batch (see `bbws_examples::lambda`).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use bbws_examples::aws_host::AwsHostConfig;
use bbws_examples::lambda::{
    BatchError, PROCESSOR_VARIABLE, handle_sqs_batch, init_json_logs, processor_name, processor_named,
};
use bbws_examples::stack::demo_config;
use lambda_runtime::{LambdaEvent, service_fn};
use order_app::Processor;
use tracing::{error, info};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_json_logs();
    let processor = start().await.inspect_err(|error| error!(%error, "start-up failed"))?;
    info!(processor = processor.name(), "processor ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let processor = processor.clone();
        async move { handle(processor.as_ref(), event).await }
    }))
    .await
}

/// Reads the configuration and wires the chosen processor on the AWS stack.
async fn start() -> Result<Arc<dyn Processor>, lambda_runtime::Error> {
    // The name first: a misconfigured function fails before it touches AWS.
    let name = processor_name(std::env::var(PROCESSOR_VARIABLE).ok().as_deref())?;
    let stack = AwsHostConfig::from_env()?.stack(demo_config()?).await?;
    Ok(processor_named(&stack.app, name)?)
}

async fn handle(processor: &dyn Processor, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, BatchError> {
    handle_sqs_batch(processor, event.payload).await
}
