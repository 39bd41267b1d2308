//! AWS calls per use case, counted by an SDK interceptor ([`CallCounter`]) on every client,
//! against a local AWS-compatible server (moto), beside the minimum each use case needs.
//!
//! ```sh
//! .venv/bin/python scripts/moto_server.py -H 127.0.0.1 -p 5098 &
//! cargo run -p bbws-benchmarks --features aws --bin aws-calls -- --endpoint http://127.0.0.1:5098
//! ```
//!
//! Each use case runs through the application exactly as a host calls it (the processors'
//! `handle`, as a Lambda host calls it per SQS record); queue traffic (receive, delete) is left
//! out of the processors' rows, since it is the runtime's and is batched. The counter is read
//! and reset around each use case, so set-up calls are not counted. The calls are the same in a
//! debug and a release build.

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use adapters_aws::{AwsClients, AwsSettings, CallCount, CallCounter, ProvisionSpec, provision};
use adapters_memory::MemoryCartGateway;
use adapters_system::{CipherKey, SystemClock};
use clap::Parser;
use order_app::{Principal, Service, StatusChange};
use order_domain::{CartId, EventEnvelope, OrderEvent, OrderId, Payment, PaymentId, PaymentMethod, TenantId};
use order_ports::{Clock, EventQueue, ListQuery};
use order_ports::{PerProcessor, ProcessorKind};
use order_service::aws::{AwsStack, AwsStackOptions};
use order_service::memory::demo_config;
use serde::Serialize;

#[path = "shared/orders.rs"]
mod shared;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Counts the AWS calls of each use case on a moto server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The local AWS endpoint (moto).
    #[arg(long, env = "BBWS_BENCH_AWS_ENDPOINT")]
    endpoint: String,
    /// Writes the results as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// One use case: what it called, and the least it could call.
#[derive(Debug, Serialize)]
struct UseCase {
    name: &'static str,
    minimum: &'static str,
    minimum_calls: u64,
    calls: u64,
    attempts: u64,
    detail: String,
}

impl UseCase {
    fn new(name: &'static str, minimum: &'static str, minimum_calls: u64, counted: &[CallCount]) -> Self {
        let detail = counted
            .iter()
            .map(|c| {
                format!(
                    "{} {}{}",
                    c.service,
                    c.operation,
                    if c.calls > 1 { format!(" ×{}", c.calls) } else { String::new() }
                )
            })
            .collect::<Vec<_>>()
            .join(" + ");
        Self {
            name,
            minimum,
            minimum_calls,
            calls: counted.iter().map(|c| c.calls).sum(),
            attempts: counted.iter().map(|c| c.attempts).sum(),
            detail,
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let settings = AwsSettings::new("af-south-1")
        .with_endpoint_url(args.endpoint.trim_end_matches('/'))
        .with_static_credentials("testing", "testing");
    let plain = AwsClients::connect(&settings).await;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let environment = format!("calls-{}-{:x}", std::process::id(), nanos % 0xffff_ffff);
    let mut spec = ProvisionSpec::for_environment(&environment, format!("orders@{environment}.example.co.za"));
    spec.max_receive_count = PerProcessor::all(5);
    let resources = provision(&plain, &spec).await?;

    let counter = CallCounter::new();
    let clients = plain.counted_by(&counter);
    // The cart service is another team's HTTP API: in memory here, so that only AWS calls count.
    let carts = Arc::new(MemoryCartGateway::new());
    let options = AwsStackOptions::new(demo_config(), CipherKey::from_bytes([42; 32]), carts.clone())
        .with_poll_wait(Duration::ZERO)
        .with_retry_delay(Duration::ZERO);
    let stack = AwsStack::new(&clients, &resources, options)?;
    let tenant = TenantId::parse("tenant_calls")?;
    let customer = Principal::Customer { tenant_id: tenant.clone() };
    let processors = stack.processors();
    let mut cases = Vec::new();

    // Create: the API claims the cart and publishes ORDER_CREATED.
    let first = create(&stack, &carts, &customer, &tenant, &counter, "cart_calls_1", &mut cases).await?;
    // The four processors, each handling the ORDER_CREATED from its own queue.
    let minimums: [(&'static str, &'static str, u64); 4] = [
        ("record writer (tenant order)", "1 conditional put", 1),
        ("invoice writer (pro forma; serials are taken at payment)", "1 S3 put", 1),
        (
            "internal notifier (first email of the process)",
            "1 idempotency record + 1 template read + 1 send + 1 completion",
            4,
        ),
        (
            "customer notifier (first email of the process)",
            "1 idempotency record + 1 template read + 1 send + 1 completion",
            4,
        ),
    ];
    for ((name, minimum, calls), (kind, processor)) in minimums.into_iter().zip(processors.iter()) {
        let event = created_event(stack.queue(kind).as_ref(), first).await?;
        counter.take();
        processor.handle(&event).await?;
        cases.push(UseCase::new(name, minimum, calls, &counter.take()));
    }

    counter.take();
    stack.app.get(&customer, first).await?;
    cases.push(UseCase::new("get (customer)", "1 read", 1, &counter.take()));

    stack.app.list(&customer, &tenant, &ListQuery::first(20)).await?;
    cases.push(UseCase::new("list (one page)", "1 query per page", 1, &counter.take()));

    stack.app.update(&customer, first, StatusChange::Cancel(None), None).await?;
    cases.push(UseCase::new("cancel", "1 read + 1 conditional transaction + 1 publish", 3, &counter.take()));
    background_clean_up(&stack, &counter, &mut cases).await;

    // Payment: a second order, recorded and handed to payment first.
    let mut scratch = Vec::new();
    let second = create(&stack, &carts, &customer, &tenant, &counter, "cart_calls_2", &mut scratch).await?;
    let event = created_event(stack.adapters.queues.record_writer.as_ref(), second).await?;
    processors.record_writer.handle(&event).await?;
    stack.app.update(&customer, second, StatusChange::RequestPayment, None).await?;
    let total = stack.app.get(&customer, second).await?.totals().total;
    stack.app.settle().await;
    counter.take();
    let payment = Payment {
        payment_id: PaymentId::parse("pf_calls_1")?,
        amount: total,
        method: PaymentMethod::Payfast,
        paid_at: SystemClock.now(),
    };
    stack.app.confirm_payment(&Principal::Service(Service::Payment), second, payment).await?;
    cases.push(UseCase::new(
        "payment confirmation",
        "1 read + 1 transaction (order, payment record, outbox) + 1 publish",
        3,
        &counter.take(),
    ));
    background_clean_up(&stack, &counter, &mut cases).await;

    // The notifiers again, on the second order: the templates read for the first are cached.
    for (name, kind) in [
        ("internal notifier (templates cached)", ProcessorKind::InternalNotifier),
        ("customer notifier (templates cached)", ProcessorKind::CustomerNotifier),
    ] {
        let event = created_event(stack.queue(kind).as_ref(), second).await?;
        counter.take();
        processors.get(kind).handle(&event).await?;
        cases.push(UseCase::new(name, "1 idempotency record + 1 send + 1 completion", 3, &counter.take()));
    }

    print_table(&cases);
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_vec_pretty(&cases)?)?;
    }
    Ok(())
}

fn print_table(cases: &[UseCase]) {
    println!("| use case | AWS calls counted | minimum | excess | calls |");
    println!("|---|---|---|---|---|");
    for case in cases {
        println!(
            "| {} | {} | {} ({}) | {} | {} |",
            case.name,
            case.calls,
            case.minimum_calls,
            case.minimum,
            case.calls.saturating_sub(case.minimum_calls),
            case.detail
        );
        if case.attempts != case.calls {
            println!("  ({} attempts: the SDK retried)", case.attempts);
        }
    }
}

/// The calls a use case left to the background — its published outbox entries, deleted in
/// batches — as a row of their own: they are not in the request path.
async fn background_clean_up(stack: &AwsStack, counter: &CallCounter, cases: &mut Vec<UseCase>) {
    stack.app.settle().await;
    cases.push(UseCase::new(
        "… its outbox clean-up (background, not in the request path)",
        "1 batched delete, shared by up to 25 entries",
        1,
        &counter.take(),
    ));
}

async fn create(
    stack: &AwsStack,
    carts: &MemoryCartGateway,
    customer: &Principal,
    tenant: &TenantId,
    counter: &CallCounter,
    cart: &str,
    cases: &mut Vec<UseCase>,
) -> Result<OrderId> {
    let request = shared::tenant_order(carts, tenant, CartId::parse(cart)?)?;
    counter.take();
    let outcome = stack.app.create_for_tenant(customer, tenant, request, None).await?;
    cases.push(UseCase::new("create (202)", "1 conditional put (cart claim) + 1 publish", 2, &counter.take()));
    Ok(outcome.order_id)
}

/// The ORDER_CREATED of `order` from `queue`, acknowledged along with anything before it (the
/// use case under count is the handling, not the queue traffic).
async fn created_event(queue: &dyn EventQueue, order: OrderId) -> Result<EventEnvelope> {
    for _ in 0..50 {
        for delivery in queue.receive(10, Duration::ZERO).await? {
            queue.ack(&delivery.receipt).await?;
            let event = delivery.event?;
            if matches!(event.event, OrderEvent::OrderCreated(_)) && event.event.order_id() == order {
                return Ok(event);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("the ORDER_CREATED of {order} never arrived on {}", queue.name()).into())
}
