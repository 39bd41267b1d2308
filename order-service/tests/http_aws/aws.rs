//! The HTTP suite's backend on AWS: for every test a fresh, uniquely named environment (tables,
//! topic, queues, buckets, sender) provisioned on the moto server that `scripts/test` starts,
//! and the application wired to it on a manual clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use adapters_aws::{AwsClients, AwsSettings, ProvisionSpec, provision};
use adapters_memory::{ManualClock, MemoryCartGateway};
use adapters_system::{CipherKey, SystemClock};
use order_app::{OrderApp, Processor};
use order_ports::Clock;
use order_ports::PerProcessor;
use order_service::aws::{AwsStack, AwsStackOptions};
use order_service::memory::demo_config;

/// The variable `scripts/test` sets to the moto server's URL.
const ENDPOINT_VARIABLE: &str = "BBWS_TEST_AWS_ENDPOINT";

/// The moto endpoint. Fails the test loudly when it is not configured: these tests never skip.
fn endpoint() -> String {
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!(
            "{ENDPOINT_VARIABLE} is not set. The http_aws tests run the HTTP suite on the AWS adapters \
             against a moto server: run them through `scripts/test`, which installs moto into .venv, starts \
             it and sets {ENDPOINT_VARIABLE}; or start `.venv/bin/python scripts/moto_server.py -p PORT` \
             yourself and run `{ENDPOINT_VARIABLE}=http://127.0.0.1:PORT cargo test -p order-service \
             --features aws --test http_aws`"
        ),
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A lowercase name no other test (nor an earlier run on the same server) uses.
fn unique() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("h{}-{n}-{nanos:x}", std::process::id())
}

/// The application under test on its own AWS environment, and what the tests reach behind it.
pub(crate) struct Stack {
    aws: AwsStack,
    carts: Arc<MemoryCartGateway>,
    clients: AwsClients,
    clock: Arc<ManualClock>,
}

impl Stack {
    /// Provisions a fresh environment and wires the application to it. Queues give up after
    /// three receives; the runner short-polls, so a drain ends as soon as every queue is empty.
    pub async fn start() -> Self {
        let settings =
            AwsSettings::new("af-south-1").with_endpoint_url(endpoint()).with_static_credentials("testing", "testing");
        let clients = AwsClients::connect(&settings).await;
        let environment = unique();
        let mut spec = ProvisionSpec::for_environment(&environment, format!("orders@{environment}.example.co.za"));
        spec.max_receive_count = PerProcessor::all(3);
        // Several feed shards and number sequences, as a deployment at scale has them.
        spec.layout = adapters_aws::TableLayout::new(4, 3).unwrap();
        let resources = provision(&clients, &spec).await.unwrap();
        let clock = Arc::new(ManualClock::new(SystemClock.now()));
        let carts = Arc::new(MemoryCartGateway::new());
        let options = AwsStackOptions::new(demo_config(), CipherKey::from_bytes([42; 32]), carts.clone())
            .with_clock(clock.clone())
            .with_poll_wait(Duration::ZERO)
            .with_retry_delay(Duration::ZERO);
        let stack = AwsStack::new(&clients, &resources, options).unwrap();
        Self { aws: stack, carts, clients, clock }
    }

    pub fn app(&self) -> Arc<OrderApp> {
        self.aws.app.clone()
    }

    /// The cart service, to seed carts.
    pub fn carts(&self) -> Arc<MemoryCartGateway> {
        self.carts.clone()
    }

    /// The four processors.
    pub fn processors(&self) -> PerProcessor<Arc<dyn Processor>> {
        self.aws.processors()
    }

    /// Runs the four processors until every queue is empty.
    pub async fn drain(&self) {
        self.drain_with(self.processors()).await;
    }

    /// Runs the given processors (each on its own SQS queue) until every queue is empty.
    pub async fn drain_with(&self, processors: PerProcessor<Arc<dyn Processor>>) {
        self.aws.consumer(processors).drain().await.unwrap();
    }

    /// How many orders are recorded: the orders table's order items, read with a raw,
    /// strongly consistent `Scan` (the table is this test's own).
    pub async fn order_count(&self) -> usize {
        let mut count = 0;
        let mut start = None;
        loop {
            let out = self
                .clients
                .dynamodb
                .scan()
                .table_name(&self.aws.resources.orders_table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            for item in out.items() {
                let text = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).map_or("", String::as_str);
                if text("PK").starts_with("TENANT#") && text("SK").starts_with("ORDER#") {
                    count += 1;
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return count;
            }
        }
    }

    /// Moves the application's clock.
    pub fn advance(&self, by: chrono::TimeDelta) {
        self.clock.advance(by);
    }
}
