//! `lambda-processor`: one bootstrap for the four event processors, each deployed as its own
//! function behind its own SQS queue (with `ReportBatchItemFailures` on the event source
//! mapping). `BBWS_PROCESSOR` chooses which; the rest of the configuration is the `BBWS_…` set
//! of `order_service::aws_host`. Start-up: `order_service::lambda::start_processor`; each
//! invocation: `adapters_lambda::handle_sqs_batch`.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use order_service::lambda::{flush_metrics, install_metrics, start_processor};
use order_service::telemetry::{LogFormat, init};
use tracing::{error, info};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let traces = init(LogFormat::Json, |name| std::env::var(name).ok())
        .inspect_err(|error| error!(%error, "start-up failed"))?;
    let subscription = start_processor(|name| std::env::var(name).ok())
        .await
        .inspect_err(|error| error!(%error, "start-up failed"))?;
    // After start-up, so that a refusal is the first thing the function logs.
    let metrics = install_metrics(|name| std::env::var(name).ok())?;
    info!(processor = subscription.processor.name(), queue = subscription.queue.name(), "processor ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (subscription, metrics, traces) = (subscription.clone(), metrics.clone(), traces.clone());
        async move {
            let answer = adapters_lambda::handle_sqs_batch_with(
                subscription.processor.as_ref(),
                subscription.queue.as_ref(),
                event.payload,
                subscription.concurrency,
            )
            .await;
            flush_metrics(&metrics);
            traces.flush().await;
            answer
        }
    }))
    .await
}
