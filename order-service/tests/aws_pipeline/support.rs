//! A fresh, uniquely named AWS environment per test on the moto server, the stack wired to it,
//! and raw reads (straight SDK calls, not the adapters) of what ended up in DynamoDB, S3, SQS
//! and SES.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use adapters_aws::{AwsClients, AwsResources, AwsSettings, ProvisionSpec, provision};
use adapters_memory::MemoryCartGateway;
use adapters_system::{CipherKey, SystemClock};
use order_app::{CreateOrderRequest, Principal, Service};
use order_domain::testing::{address, line};
use order_domain::{CartId, CartSnapshot, Email, Payment, PaymentId, PaymentMethod, TenantId};
use order_ports::{Clock, PerProcessor};
use order_service::aws::{AwsStack, AwsStackOptions};
use order_service::aws_host::AwsHost;
use order_service::memory::demo_config;

/// The variable `scripts/test` sets to the moto server's URL.
pub const ENDPOINT_VARIABLE: &str = "BBWS_TEST_AWS_ENDPOINT";

/// The key billing addresses are sealed with in these tests.
pub const KEY: [u8; 32] = [42; 32];

/// Receives per message before a queue gives it to its dead-letter queue.
pub const MAX_RECEIVES: u32 = 3;

/// The moto endpoint. Fails the test loudly when it is not configured: these tests never skip.
pub fn endpoint() -> String {
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!(
            "{ENDPOINT_VARIABLE} is not set. The aws_pipeline tests run the whole pipeline against a moto \
             server: run them through `scripts/test`, which installs moto into .venv, starts it and sets \
             {ENDPOINT_VARIABLE}; or start `.venv/bin/python scripts/moto_server.py -p PORT` yourself and run \
             `{ENDPOINT_VARIABLE}=http://127.0.0.1:PORT cargo test -p order-service --features aws --test aws_pipeline`"
        ),
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A lowercase name no other test (nor an earlier run on the same server) uses.
fn unique() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("p{}-{n}-{nanos:x}", std::process::id())
}

/// A provisioned environment and the stack on it.
pub struct Env {
    pub clients: AwsClients,
    pub resources: AwsResources,
    pub stack: AwsStack,
    /// The in-memory cart service [`request`] seeds: the stack's own in [`fresh`]; a stack
    /// [`from_host`] fetches its carts from the cart service its settings name instead.
    pub carts: Arc<MemoryCartGateway>,
}

/// Provisions a fresh environment on moto (own tables, topic, queues, buckets and sender) and
/// wires the whole application to it, with the demonstration configuration and an in-memory
/// cart service. Queues give up after [`MAX_RECEIVES`] receives; the runner short-polls, so a
/// drain ends as soon as every queue is empty.
pub async fn fresh() -> Env {
    let settings =
        AwsSettings::new("af-south-1").with_endpoint_url(endpoint()).with_static_credentials("testing", "testing");
    let clients = AwsClients::connect(&settings).await;
    let environment = unique();
    let mut spec = ProvisionSpec::for_environment(&environment, format!("orders@{environment}.example.co.za"));
    spec.max_receive_count = PerProcessor::all(MAX_RECEIVES);
    // Several feed shards and number sequences, as a deployment at scale has them.
    spec.layout = adapters_aws::TableLayout::new(4, 3).unwrap();
    let resources = provision(&clients, &spec).await.unwrap();
    let carts = Arc::new(MemoryCartGateway::new());
    let options = AwsStackOptions::new(demo_config(), CipherKey::from_bytes(KEY), carts.clone())
        .with_poll_wait(Duration::ZERO)
        .with_retry_delay(Duration::ZERO);
    let stack = AwsStack::new(&clients, &resources, options).unwrap();
    Env { clients, resources, stack, carts }
}

/// The variables that make a host provision a fresh environment of its own on moto (and find
/// it again from the same variables); a host's other settings are added to them.
pub fn provisioning_variables() -> Vec<(String, String)> {
    let environment = unique();
    [
        ("BBWS_AWS_ENDPOINT", endpoint()),
        ("BBWS_PROVISION", "true".to_owned()),
        ("BBWS_ENVIRONMENT", environment.clone()),
        ("BBWS_SENDER", format!("orders@{environment}.example.co.za")),
        ("BBWS_FIELD_KEY", hex::encode(KEY)),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// The stack a production host builds from `host` — its AWS settings (provisioned), its
/// application settings and its cart service — short-polling, failed messages retried at once.
pub async fn from_host(host: &AwsHost) -> Env {
    let (clients, resources) = host.aws.connect().await.unwrap();
    let options =
        AwsStackOptions::new(host.profile.config.clone(), host.aws.cipher_key.clone(), host.profile.carts.clone())
            .with_poll_wait(Duration::ZERO)
            .with_retry_delay(Duration::ZERO);
    let stack = AwsStack::new(&clients, &resources, options).unwrap();
    Env { clients, resources, stack, carts: Arc::new(MemoryCartGateway::new()) }
}

pub fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

pub fn customer(id: &str) -> Principal {
    Principal::Customer { tenant_id: tenant(id) }
}

pub fn payment_service() -> Principal {
    Principal::Service(Service::Payment)
}

/// Seeds a cart of `tenant_acme` of two lines (R1 150.00 + R199.00 = R1 349.00) and returns a
/// request for it.
pub fn request(env: &Env, cart: &str, email: &str) -> CreateOrderRequest {
    request_of(env, Some("tenant_acme"), cart, email)
}

/// As [`request`], for a cart of `owner` (`None`: a guest's).
pub fn request_of(env: &Env, owner: Option<&str>, cart: &str, email: &str) -> CreateOrderRequest {
    let cart_id = CartId::parse(cart).unwrap();
    let owner = owner.map_or(order_domain::CartOwner::Guest, |owner| {
        order_domain::CartOwner::Tenant(TenantId::parse(owner).unwrap())
    });
    env.carts.add_cart(
        CartSnapshot::new(
            cart_id.clone(),
            owner,
            vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
        )
        .unwrap(),
    );
    CreateOrderRequest {
        cart_id,
        customer_email: Email::parse(email).unwrap(),
        campaign_code: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        items: None,
    }
}

pub fn payment(id: &str, amount: &str) -> Payment {
    Payment {
        payment_id: PaymentId::parse(id).unwrap(),
        amount: order_domain::testing::zar(amount),
        method: PaymentMethod::Payfast,
        paid_at: SystemClock.now(),
    }
}

/// A DynamoDB attribute, as read back raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    S(String),
    N(String),
    B(Vec<u8>),
    Bool(bool),
    Other(String),
}

impl Attr {
    pub fn s(&self) -> &str {
        match self {
            Self::S(s) => s,
            other => panic!("expected a string attribute, got {other:?}"),
        }
    }
}

/// One DynamoDB item, as read back raw.
pub type Item = BTreeMap<String, Attr>;

/// Every item of `table` (a strongly consistent `Scan`; the tables are the test's own).
pub async fn scan(env: &Env, table: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = env
            .clients
            .dynamodb
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for raw in out.items() {
            let item = raw
                .iter()
                .map(|(name, value)| {
                    let attr = if let Ok(s) = value.as_s() {
                        Attr::S(s.clone())
                    } else if let Ok(n) = value.as_n() {
                        Attr::N(n.clone())
                    } else if let Ok(b) = value.as_b() {
                        Attr::B(b.as_ref().to_vec())
                    } else if let Ok(b) = value.as_bool() {
                        Attr::Bool(*b)
                    } else {
                        Attr::Other(format!("{value:?}"))
                    };
                    (name.clone(), attr)
                })
                .collect();
            items.push(item);
        }
        start = out.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// The orders table's items, by `(PK, SK)`.
pub async fn orders_table(env: &Env) -> BTreeMap<(String, String), Item> {
    keyed(scan(env, &env.resources.orders_table).await)
}

/// The tenants table's items, by `(PK, SK)`.
pub async fn tenants_table(env: &Env) -> BTreeMap<(String, String), Item> {
    keyed(scan(env, &env.resources.tenants_table).await)
}

fn keyed(items: Vec<Item>) -> BTreeMap<(String, String), Item> {
    items.into_iter().map(|item| ((item["PK"].s().to_owned(), item["SK"].s().to_owned()), item)).collect()
}

/// What `HeadObject` and `GetObject` say about one S3 object.
#[derive(Debug)]
pub struct Object {
    pub encryption: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// The documents bucket's object at `key`, with its metadata.
pub async fn object(env: &Env, key: &str) -> Object {
    let s3 = &env.clients.s3;
    let bucket = &env.resources.documents_bucket;
    let head = s3.head_object().bucket(bucket).key(key).send().await.unwrap();
    let body = s3.get_object().bucket(bucket).key(key).send().await.unwrap().body.collect().await.unwrap();
    Object {
        encryption: head.server_side_encryption().map(|e| e.as_str().to_owned()),
        content_type: head.content_type().map(str::to_owned),
        bytes: body.into_bytes().to_vec(),
    }
}

/// Every key in the documents bucket, with its ETag.
pub async fn objects(env: &Env) -> BTreeMap<String, String> {
    let out = env.clients.s3.list_objects_v2().bucket(&env.resources.documents_bucket).send().await.unwrap();
    out.contents()
        .iter()
        .map(|object| (object.key().unwrap().to_owned(), object.e_tag().unwrap_or_default().to_owned()))
        .collect()
}

/// The text of every page of a PDF, extracted by a real PDF parser.
pub fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF: {:?}", &bytes[..bytes.len().min(16)]);
    let document = lopdf::Document::load_mem(bytes).expect("a PDF lopdf can open");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document.extract_text(&pages).unwrap()
}

/// A queue's approximate counts: (visible, in flight).
pub async fn depth(env: &Env, url: &str) -> (u64, u64) {
    let out = env.clients.sqs.get_queue_attributes().queue_url(url).attribute_names("All".into()).send().await.unwrap();
    let attributes = out.attributes().unwrap();
    let count = |name: &str| -> u64 {
        let (_, value) = attributes.iter().find(|(key, _)| key.as_str() == name).unwrap();
        value.parse().unwrap()
    };
    (count("ApproximateNumberOfMessages"), count("ApproximateNumberOfMessagesNotVisible"))
}

/// The bodies of the messages waiting in the queue at `url`, left there (received with a
/// zero visibility timeout).
pub async fn peek(env: &Env, url: &str) -> Vec<String> {
    let out = env
        .clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .wait_time_seconds(0)
        .send()
        .await
        .unwrap();
    out.messages().iter().map(|m| m.body().unwrap_or_default().to_owned()).collect()
}

/// An email as moto's SES recorded it.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// The emails this environment sent: moto's record of SES messages (global to the server),
/// narrowed to those from this environment's own sender address.
pub fn sent_emails(env: &Env) -> Vec<SentEmail> {
    let data: serde_json::Value = serde_json::from_str(&moto_get("/moto-api/data.json")).unwrap();
    let messages = data["ses"]["Message"].as_array().cloned().unwrap_or_default();
    messages
        .iter()
        .filter(|m| m["source"].as_str() == Some(env.resources.sender.as_str()))
        .map(|m| SentEmail {
            id: m["id"].as_str().unwrap().to_owned(),
            to: m["destinations"]["ToAddresses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|to| to.as_str().unwrap().to_owned())
                .collect(),
            subject: m["subject"].as_str().unwrap_or_default().to_owned(),
            body: m["body"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Those of `sent` addressed to `to`.
pub fn addressed<'a>(sent: &'a [SentEmail], to: &str) -> Vec<&'a SentEmail> {
    sent.iter().filter(|m| m.to.iter().any(|t| t == to)).collect()
}

/// A plain HTTP GET against the moto server (for its `/moto-api/` introspection endpoints).
///
/// `data.json` serializes every object on the server and can take seconds; while other tests
/// write, moto may fail serializing an object that changes under it (HTTP 500), so a failed
/// read is repeated a few times.
fn moto_get(path: &str) -> String {
    let mut last = String::new();
    for _ in 0..5 {
        match try_moto_get(path) {
            Ok(body) => return body,
            Err(error) => last = error,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("GET {path} from moto failed 5 times, last: {last}");
}

fn try_moto_get(path: &str) -> Result<String, String> {
    let endpoint = endpoint();
    let host = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(|e| e.to_string())?;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or("not an HTTP response")?;
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let body = &response[split + 4..];
    if !(head.starts_with("http/1.1 200") || head.starts_with("http/1.0 200")) {
        return Err(head);
    }
    let body = if head.contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_vec() };
    Ok(String::from_utf8(body).unwrap())
}

/// Undoes chunked transfer encoding, on bytes (a chunk may end inside a UTF-8 character).
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        let rest = &body[line_end + 2..];
        out.extend_from_slice(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
