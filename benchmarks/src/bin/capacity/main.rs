//! The DynamoDB capacity model, measured not guessed: drives order lives through the real use
//! cases and processors against moto, bills every DynamoDB write and read per table, index and
//! partition-key value by DynamoDB's rules, and reports the units per order on each key, the
//! hottest key, the highest sustainable order rate (platform-wide and per tenant) and the AWS cost
//! per 1,000 orders.
//!
//! ```sh
//! .venv/bin/python scripts/moto_server.py -H 127.0.0.1 -p 5098 --capacity-log &
//! cargo run -p bbws-benchmarks --features aws --bin capacity -- --endpoint http://127.0.0.1:5098
//! ```
//!
//! The facts come from moto's side (`scripts/dynamo_capacity.py`: item sizes before and after
//! each write, index entries, items read), the rules from [`billing`], the attribution from
//! [`model`]. Lives run one at a time and the log is read after each, so every unit belongs to
//! one life, of one tenant: a partition touched by one life is the order's own, by lives of one
//! tenant the tenant's, by lives of several tenants the platform's.

mod billing;
mod layout;
mod model;
mod prices;
mod report;
#[path = "../shared/orders.rs"]
mod shared;

use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use adapters_aws::{AwsClients, AwsSettings, CallCounter, TableLayout, provision};
use adapters_memory::{ManualClock, MemoryCartGateway};
use adapters_system::SystemClock;
use chrono::TimeDelta;
use clap::Parser;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use order_app::usecases::sweep::SweepOptions;
use order_app::{Principal, Processor, Service, StatusChange};
use order_domain::{CartId, Payment, PaymentId, PaymentMethod, TenantId};
use order_ports::{Clock, EventQueue, PerProcessor, ProcessorKind};
use order_service::aws::AwsStack;
use order_service::memory::demo_config;
use serde::Deserialize;

use crate::model::{Life, LifeKind, Record, Usage};
use crate::report::{Function, LifeRun, Poll, Run};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// The DynamoDB capacity model and the AWS cost per 1,000 orders, measured on moto.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The local AWS endpoint: moto started by `scripts/moto_server.py --capacity-log`.
    #[arg(long, env = "BBWS_BENCH_AWS_ENDPOINT")]
    endpoint: String,
    /// Lives of each kind (completed, cancelled, expired) to drive.
    #[arg(long, default_value_t = 64)]
    lives: usize,
    /// Tenants the lives are spread over (at least 2, so that tenant keys show as such).
    #[arg(long, default_value_t = 4)]
    tenants: usize,
    /// The platform's order rate (orders/s) at which periodic work (sweeps, idle queue polls)
    /// is spread over orders in the cost.
    #[arg(long, default_value_t = 1.0)]
    periodic_rate: f64,
    /// Shards of the work feeds (`BBWS_FEED_SHARDS`).
    #[arg(long, default_value_t = TableLayout::DEFAULT_FEED_SHARDS)]
    feed_shards: u16,
    /// Parallel number sequences (`BBWS_NUMBER_SEQUENCES`).
    #[arg(long, default_value_t = 1)]
    number_sequences: u16,
    /// A name for this run (a layout, a commit), printed and written with the results.
    #[arg(long, default_value = "current layout")]
    label: String,
    /// Writes the results as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.tenants < 2 || args.lives == 0 || args.periodic_rate.is_nan() || args.periodic_rate <= 0.0 {
        return Err("--tenants must be at least 2, --lives at least 1, --periodic-rate above 0".into());
    }
    let table_layout = TableLayout::new(args.feed_shards, args.number_sequences)?;
    let endpoint = args.endpoint.trim_end_matches('/');
    let capacity = CapacityLog::new(endpoint)?;
    capacity.take().await.map_err(|e| format!("{e} (is moto running with --capacity-log?)"))?;

    let settings =
        AwsSettings::new("af-south-1").with_endpoint_url(endpoint).with_static_credentials("testing", "testing");
    let plain = AwsClients::connect(&settings).await;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let environment = format!("cap-{}-{:x}", std::process::id(), nanos % 0xffff_ffff);
    let resources = provision(&plain, &layout::provision_spec(&environment, table_layout)).await?;
    let counter = CallCounter::new();
    let clients = plain.counted_by(&counter);
    let carts = Arc::new(MemoryCartGateway::new());
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let config = demo_config();
    let expire_after = config.expiry.pending_after + TimeDelta::minutes(1);
    let stack = AwsStack::new(&clients, &resources, layout::stack_options(config, carts.clone(), clock.clone()))?;
    let roles = {
        let (orders, tenants) = (resources.orders_table.clone(), resources.tenants_table.clone());
        move |table: &str| match table {
            t if t == orders => "orders".to_owned(),
            t if t == tenants => "tenants".to_owned(),
            other => other.to_owned(),
        }
    };
    let driver = Driver { processors: stack.processors(), stack, carts, clock, counter, capacity, expire_after };

    let tenants: Vec<TenantId> = (1..=args.tenants)
        .map(|n| TenantId::parse(format!("tenant_cap_{n}")))
        .collect::<std::result::Result<_, _>>()?;
    let mut lives = Vec::new();
    let started = Instant::now();
    for n in 0..args.lives {
        for (k, kind) in LifeKind::ALL.into_iter().enumerate() {
            let tenant = &tenants[(n * LifeKind::ALL.len() + k) % tenants.len()];
            let (records, run) = driver.life(kind, tenant, lives.len()).await?;
            let mut usage = Usage::default();
            for (phase_records, sweep) in records {
                usage.add(&phase_records, &roles, sweep);
            }
            lives.push((Life { kind, tenant: tenant.to_string(), usage }, run));
        }
        if (n + 1) % 16 == 0 {
            eprintln!(
                "{} of {} lives of each kind driven ({:.0} s)",
                n + 1,
                args.lives,
                started.elapsed().as_secs_f64()
            );
        }
    }

    // A sweep with nothing due: what a poll of the feeds costs, per poll. Units and calls from
    // the first; its time the median of five (the machine is shared, and an expired order is
    // charged only the sweep time beyond an empty sweep's).
    driver.capacity.take().await?;
    driver.counter.take();
    let mut times = Vec::new();
    let mut first = None;
    for _ in 0..5 {
        let begun = Instant::now();
        driver.stack.app.sweep(SweepOptions::default(), Instant::now() + Duration::from_mins(1)).await?;
        times.push(begun.elapsed().as_secs_f64() * 1e3);
        if first.is_none() {
            let mut usage = Usage::default();
            usage.add(&driver.capacity.take().await?, &roles, false);
            first = Some((usage, tally(driver.counter.take())));
        }
    }
    driver.capacity.take().await?;
    driver.counter.take();
    times.sort_by(f64::total_cmp);
    let (usage, calls) = first.ok_or("no empty sweep ran")?;
    let poll = Poll { usage, calls, duration_ms: times[times.len() / 2] };

    let run = Run::new(args.label.clone(), args.periodic_rate, lives, poll, &layout::shards_of(table_layout));
    println!("{}", run.markdown());
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_vec_pretty(&run.json()?)?)?;
    }
    Ok(())
}

/// Drives lives on one stack.
struct Driver {
    stack: AwsStack,
    processors: PerProcessor<Arc<dyn Processor>>,
    carts: Arc<MemoryCartGateway>,
    clock: Arc<ManualClock>,
    counter: CallCounter,
    capacity: CapacityLog,
    expire_after: TimeDelta,
}

/// Records of one life, in phases; `true` marks a sweep's phase, whose empty reads are per poll.
type Phases = Vec<(Vec<Record>, bool)>;

impl Driver {
    /// One order life of `kind` for `tenant`, from create to its end; its records and calls.
    async fn life(&self, kind: LifeKind, tenant: &TenantId, n: usize) -> Result<(Phases, LifeRun)> {
        self.capacity.take().await?;
        self.counter.take();
        let mut run = LifeRun::default();
        let mut phases = Vec::new();
        let customer = Principal::Customer { tenant_id: tenant.clone() };
        let request = shared::tenant_order(&self.carts, tenant, CartId::parse(format!("cart_cap_{n}"))?)?;
        let begun = Instant::now();
        let order = self.stack.app.create_for_tenant(&customer, tenant, request, None).await?.order_id;
        run.invoked(Function::Api, begun.elapsed());
        self.drain(&mut run).await?;
        match kind {
            LifeKind::Full => {
                let provisioning = Principal::Service(Service::Provisioning);
                let begun = Instant::now();
                let total =
                    self.stack.app.update(&customer, order, StatusChange::RequestPayment, None).await?.totals().total;
                run.invoked(Function::Api, begun.elapsed());
                self.drain(&mut run).await?;
                let payment = Payment {
                    payment_id: PaymentId::parse(format!("pf_cap_{n}"))?,
                    amount: total,
                    method: PaymentMethod::Payfast,
                    paid_at: self.clock.now(),
                };
                let begun = Instant::now();
                self.stack.app.confirm_payment(&Principal::Service(Service::Payment), order, payment).await?;
                run.invoked(Function::Api, begun.elapsed());
                self.drain(&mut run).await?;
                for change in [StatusChange::StartProcessing, StatusChange::Complete] {
                    let begun = Instant::now();
                    self.stack.app.update(&provisioning, order, change, None).await?;
                    run.invoked(Function::Api, begun.elapsed());
                    self.drain(&mut run).await?;
                }
            }
            LifeKind::Cancelled => {
                let begun = Instant::now();
                self.stack.app.update(&customer, order, StatusChange::Cancel(None), None).await?;
                run.invoked(Function::Api, begun.elapsed());
                self.drain(&mut run).await?;
            }
            LifeKind::Expired => {
                self.stack.app.settle().await;
                phases.push((self.capacity.take().await?, false));
                self.clock.advance(self.expire_after);
                let begun = Instant::now();
                let swept =
                    self.stack.app.sweep(SweepOptions::default(), Instant::now() + Duration::from_mins(1)).await?;
                run.invoked(Function::Sweep, begun.elapsed());
                if swept.expired != 1 {
                    return Err(format!("the sweep expired {} orders, not the one due", swept.expired).into());
                }
                phases.push((self.capacity.take().await?, true));
                self.drain(&mut run).await?;
            }
        }
        // Published outbox entries are deleted in the background: wait, so that their deletion
        // is billed to this life.
        self.stack.app.settle().await;
        phases.push((self.capacity.take().await?, false));
        run.absorb(&tally(self.counter.take()));
        Ok((phases, run))
    }

    /// Hands every queued event to its processor, one event per invocation as a Lambda with
    /// batch size 1 would (the most invocations), until every published event has reached all
    /// four queues and been handled.
    async fn drain(&self, run: &mut LifeRun) -> Result<()> {
        for _ in 0..100 {
            for kind in ProcessorKind::ALL {
                let queue = self.stack.queue(kind);
                let processor = self.processors.get(kind);
                loop {
                    let deliveries = queue.receive(10, Duration::ZERO).await?;
                    if deliveries.is_empty() {
                        break;
                    }
                    run.receives += 1;
                    for delivery in deliveries {
                        run.deliveries += 1;
                        let event = delivery.event.map_err(|e| format!("an unreadable event on {kind:?}: {e}"))?;
                        let begun = Instant::now();
                        processor.handle(&event).await?;
                        run.invoked(Function::Processor(kind), begun.elapsed());
                        queue.ack(&delivery.receipt).await?;
                    }
                }
            }
            run.absorb(&tally(self.counter.take()));
            if run.deliveries >= run.publishes() * 4 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(format!("{} events published, {} deliveries to the four queues arrived", run.publishes(), run.deliveries)
            .into())
    }
}

/// Calls per (service, operation).
fn tally(calls: Vec<adapters_aws::CallCount>) -> BTreeMap<(String, String), u64> {
    let mut tally = BTreeMap::new();
    for call in calls {
        *tally.entry((call.service, call.operation)).or_default() += call.calls;
    }
    tally
}

/// The recorder's log on the moto server (`GET /_capacity`, which also clears it).
struct CapacityLog {
    authority: String,
}

impl CapacityLog {
    fn new(endpoint: &str) -> Result<Self> {
        let uri: hyper::Uri = endpoint.parse()?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("{endpoint}: the capacity log is read over plain http").into());
        }
        let authority = uri.authority().ok_or_else(|| format!("{endpoint}: no host"))?.to_string();
        Ok(Self { authority })
    }

    /// The records since the last call.
    async fn take(&self) -> Result<Vec<Record>> {
        #[derive(Deserialize)]
        struct Answer {
            records: Vec<Record>,
        }
        let stream = tokio::net::TcpStream::connect(&self.authority).await?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let request =
            Request::get("/_capacity").header(hyper::header::HOST, &self.authority).body(Empty::<Bytes>::new())?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            return Err(format!("GET /_capacity answered {status}: {}", String::from_utf8_lossy(&body)).into());
        }
        Ok(serde_json::from_slice::<Answer>(&body)?.records)
    }
}
