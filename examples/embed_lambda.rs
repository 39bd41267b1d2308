//! A service's own Lambda function built on the library's SQS batch handling: the service adds
//! its own bookkeeping (here, a log line with how long the batch took and what failed) around
//! `adapters_lambda::handle_sqs_batch`, which runs the order processor on each record through
//! `order_app::handle_event` (the record's span carries the order's request id), reports only
//! the failed records in a partial batch response (`ReportBatchItemFailures`), and keeps poison
//! messages for the dead-letter queue.
//!
//! ```sh
//! cargo run -p bbws-examples --example embed_lambda   # outside Lambda: one demonstration batch
//! ```
//!
//! Inside Lambda (`AWS_LAMBDA_RUNTIME_API` is set), it wires the processor that
//! `BBWS_PROCESSOR` names on the AWS stack from the `BBWS_…` variables and serves batches until
//! the runtime stops it. Outside Lambda, it creates an order on the in-memory adapters, hands
//! the record writer's queue to the handler as Lambda would (plus one poison message) and prints
//! the answer.

use std::error::Error;
use std::time::Instant;

use adapters_lambda::{BatchError, handle_sqs_batch};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{LambdaEvent, service_fn};
use order_app::{CreateOrderRequest, Principal, Processor};
use order_domain::{BillingAddress, BillingAddressInput, CartId, Email, PaymentMethod, TenantId};
use order_ports::{EventQueue, ProcessorKind};
use order_service::memory::{InMemoryStack, StackOptions, demo_config, seed_demo_carts};
use serde_json::json;

/// Errors of this example.
pub type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// The service's handler: the library's batch handling, with the service's own log line.
///
/// # Errors
/// [`BatchError`] when a failed record cannot be reported by its message id (Lambda then
/// retries the whole batch).
pub async fn handle(
    processor: &dyn Processor,
    queue: &dyn EventQueue,
    event: SqsEvent,
) -> std::result::Result<SqsBatchResponse, BatchError> {
    let records = event.records.len();
    let started = Instant::now();
    let response = handle_sqs_batch(processor, queue, event).await?;
    tracing::info!(
        processor = processor.name(),
        records,
        failed = response.batch_item_failures.len(),
        elapsed_ms = started.elapsed().as_millis(),
        "my-service: batch handled"
    );
    Ok(response)
}

/// What the demonstration batch did.
pub struct DemoOutcome {
    /// The order created for it.
    pub order: order_domain::OrderId,
    /// The message ids Lambda would be told failed.
    pub failed: Vec<String>,
    /// Records in the batch.
    pub records: usize,
    /// Whether the order was recorded by the batch.
    pub recorded: bool,
}

/// Creates an order in memory and hands the record writer's messages, plus one poison message,
/// to [`handle`] as an SQS event.
///
/// # Errors
/// When the in-memory application cannot be wired or refuses the order.
pub async fn demo() -> Result<DemoOutcome> {
    let stack = InMemoryStack::new(StackOptions::new(demo_config()))?;
    seed_demo_carts(&stack.carts)?;
    let tenant = TenantId::parse("tenant_acme")?;
    let request = CreateOrderRequest {
        cart_id: CartId::parse("cart_demo_1")?,
        customer_email: Email::parse("thandi@acme.co.za")?,
        campaign_code: None,
        billing_address: BillingAddress::parse(&BillingAddressInput {
            name: "Thandi Nkosi".into(),
            line1: "12 Long Street".into(),
            city: "Cape Town".into(),
            postal_code: "8001".into(),
            ..BillingAddressInput::default()
        })?,
        payment_method: PaymentMethod::Payfast,
        items: None,
    };
    let customer = Principal::Customer { tenant_id: tenant.clone() };
    let order = stack.app.create_for_tenant(&customer, &tenant, request, None).await?.order_id;

    // What Lambda's SQS event source would hand the record writer's function.
    let mut records = Vec::new();
    for delivery in stack.queue(ProcessorKind::RecordWriter).receive(10, std::time::Duration::ZERO).await? {
        let body = match &delivery.event {
            Ok(envelope) => serde_json::to_string(envelope)?,
            Err(reason) => reason.clone(),
        };
        records.push(sqs_message(&delivery.message_id, &body));
    }
    records.push(sqs_message("poison-1", "this is not an event"));
    let event: SqsEvent = serde_json::from_value(json!({ "Records": records }))?;
    let count = event.records.len();

    let writer = stack.app.processor(ProcessorKind::RecordWriter);
    let response = handle(writer.as_ref(), stack.queue(ProcessorKind::RecordWriter).as_ref(), event).await?;
    let failed = response.batch_item_failures.into_iter().map(|failure| failure.item_identifier).collect();
    let recorded = stack.app.get(&Principal::Staff, order).await.is_ok();
    Ok(DemoOutcome { order, failed, records: count, recorded })
}

/// An SQS record as Lambda delivers it (raw SNS delivery: the body is the event's JSON).
fn sqs_message(message_id: &str, body: &str) -> serde_json::Value {
    json!({
        "messageId": message_id,
        "receiptHandle": format!("receipt-{message_id}"),
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:af-south-1:123456789012:bbws-orders-dev-record-writer",
        "awsRegion": "af-south-1",
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    order_service::telemetry::init_logs(order_service::telemetry::LogFormat::Json);
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        let outcome = demo().await?;
        println!(
            "order {}: {} records handed to the handler, recorded: {}, reported as failed: {:?}",
            outcome.order, outcome.records, outcome.recorded, outcome.failed
        );
        return Ok(());
    }
    let subscription = order_service::lambda::start_processor(|name| std::env::var(name).ok()).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let subscription = subscription.clone();
        async move { handle(subscription.processor.as_ref(), subscription.queue.as_ref(), event.payload).await }
    }))
    .await
    .map_err(|error| -> Box<dyn Error + Send + Sync> { error.to_string().into() })
}
