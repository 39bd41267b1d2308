//! Fixtures: a fresh, fully provisioned set of resources per test on the moto server, the
//! adapters wired to it, a test cipher, and order fixtures. Contract suites from
//! `order-ports` (feature `testkit`) can take their adapters from [`Fixture::adapters`].

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use adapters_aws::{AwsAdapters, AwsClients, AwsResources, AwsSettings, ProvisionSpec, TableLayout, provision};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use order_domain::testing::{address, line, now};
use order_domain::{
    ActorKind, CartId, CartOwner, CartSnapshot, Email, EventEnvelope, NewOrder, Order, OrderEvent, OrderId,
    PaymentMethod, PricingRules, TenantId,
};
use order_ports::PerProcessor;
use order_ports::{FieldCipher, PortError, PortResult};
use uuid::Uuid;

/// The variable `scripts/test` sets to the moto server's URL.
pub const ENDPOINT_VARIABLE: &str = "BBWS_TEST_AWS_ENDPOINT";

/// The moto endpoint. Fails the test loudly when it is not configured: these tests never skip.
pub fn endpoint() -> String {
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{ENDPOINT_VARIABLE} is not set. The adapters-aws tests run against a moto server: \
             run them through `scripts/test`, which installs moto into .venv, starts it and sets \
             {ENDPOINT_VARIABLE}; or start `.venv/bin/python scripts/moto_server.py -p PORT` yourself and export \
             {ENDPOINT_VARIABLE}=http://127.0.0.1:PORT"
        ),
    }
}

/// Settings for the moto server.
pub fn settings() -> AwsSettings {
    AwsSettings::new("af-south-1").with_endpoint_url(endpoint()).with_static_credentials("testing", "testing")
}

/// Clients for the moto server.
pub async fn clients() -> AwsClients {
    AwsClients::connect(&settings()).await
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A lowercase name no other test (or earlier run on the same server) uses.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{n}-{nanos:x}", std::process::id())
}

/// A distinct number per call, for ids and message ids.
pub fn next_number() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A fresh set of resources and the adapters wired to it.
pub struct Fixture {
    pub clients: AwsClients,
    pub resources: AwsResources,
    pub adapters: AwsAdapters,
    pub spec: ProvisionSpec,
}

impl Fixture {
    /// The orders table's item at `pk`/`sk` as stored (strongly consistent), to check its layout.
    pub async fn raw_item(&self, pk: &str, sk: &str) -> std::collections::HashMap<String, AttributeValue> {
        self.clients
            .dynamodb
            .get_item()
            .table_name(&self.resources.orders_table)
            .key("PK", AttributeValue::S(pk.to_owned()))
            .key("SK", AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_else(|| panic!("no item at {pk} / {sk}"))
    }
}

/// A test environment's spec: unique names, 3 receives per message (the HLD's budget, kept
/// small so DLQ tests are quick), and a layout of [`FEED_SHARDS`] feed shards and
/// [`NUMBER_SEQUENCES`] number sequences, so that every contract test runs on several shards.
pub fn spec() -> ProvisionSpec {
    let environment = unique("t");
    let mut spec = ProvisionSpec::for_environment(&environment, format!("orders@{environment}.example.co.za"));
    spec.max_receive_count = PerProcessor::all(3);
    spec.layout = TableLayout::new(FEED_SHARDS, NUMBER_SEQUENCES).unwrap();
    spec
}

/// Feed shards of the tests' layout.
pub const FEED_SHARDS: u16 = 4;
/// Number sequences of the tests' layout.
pub const NUMBER_SEQUENCES: u16 = 3;

/// Provisions a fresh environment on the moto server and wires every adapter to it.
pub async fn fresh() -> Fixture {
    fresh_with(spec()).await
}

/// As [`fresh`], with a given spec.
pub async fn fresh_with(spec: ProvisionSpec) -> Fixture {
    let clients = clients().await;
    let resources = provision(&clients, &spec).await.unwrap();
    let adapters = AwsAdapters::new(&clients, &resources, Arc::new(TestCipher));
    Fixture { clients, resources, adapters, spec }
}

/// A reversible, obviously-not-secure cipher that still behaves like an AEAD to its callers:
/// the context is bound (a sealed value does not open under another), tampering is detected,
/// and the plaintext does not appear in the sealed bytes.
pub struct TestCipher;

const MAGIC: &[u8] = b"TESTSEAL";

fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |acc, b| acc.rotate_left(1) ^ b)
}

impl FieldCipher for TestCipher {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> PortResult<Vec<u8>> {
        let mut out = MAGIC.to_vec();
        out.push(checksum(context));
        out.push(checksum(plaintext));
        out.extend(plaintext.iter().map(|b| b ^ 0x5a));
        Ok(out)
    }

    fn open(&self, sealed: &[u8], context: &[u8]) -> PortResult<Vec<u8>> {
        let refuse = || PortError::InvalidData("sealed value does not open".into());
        let rest = sealed.strip_prefix(MAGIC).ok_or_else(refuse)?;
        let (&[ctx, sum], body) = rest.split_at_checked(2).ok_or_else(refuse)? else { return Err(refuse()) };
        let plain: Vec<u8> = body.iter().map(|b| b ^ 0x5a).collect();
        if ctx != checksum(context) || sum != checksum(&plain) {
            return Err(refuse());
        }
        Ok(plain)
    }
}

pub fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).unwrap()
}

/// A PENDING order for `tenant`, created at `at`, on its own cart.
pub fn order_at(tenant: &TenantId, at: DateTime<Utc>) -> Order {
    let n = next_number();
    let new = NewOrder {
        id: OrderId::from_parts(at, u128::from(n) + 1),
        tenant_id: Some(tenant.clone()),
        customer_email: Email::parse("thandi@example.co.za").unwrap(),
        cart: CartSnapshot::new(
            CartId::parse(format!("cart_{n}")).unwrap(),
            CartOwner::Tenant(tenant.clone()),
            vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
        )
        .unwrap(),
        campaign_code: None,
        campaign: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        document_policy: order_domain::DocumentPolicy::default(),
    };
    Order::create(new, &PricingRules::south_africa(), ActorKind::Customer, at).unwrap().0
}

/// A PENDING order for `tenant`, created now.
pub fn order_for(tenant: &TenantId) -> Order {
    order_at(tenant, now())
}

/// Wraps an event with a fresh message id.
pub fn envelope(event: OrderEvent, at: DateTime<Utc>) -> EventEnvelope {
    EventEnvelope::new(Uuid::from_u128(u128::from(next_number()) + (1 << 64)), at, event)
}

/// The `ORDER_CREATED` envelope of `order`.
pub fn created_event(order: &Order) -> EventEnvelope {
    envelope(OrderEvent::OrderCreated(order.created_event()), order.created_at())
}

/// `now()` plus `minutes`.
pub fn minutes(minutes: i64) -> DateTime<Utc> {
    now() + TimeDelta::minutes(minutes)
}

/// A plain HTTP GET against the moto server (for its `/moto-api/` introspection endpoints).
///
/// moto builds `data.json` by serializing every object it holds; an object that another test
/// changes meanwhile (a table's first item) can make that fail with HTTP 500, so a failed read
/// is repeated a few times.
pub fn moto_get(path: &str) -> String {
    let mut last = String::new();
    for _ in 0..5 {
        match try_moto_get(path) {
            Ok(body) => return body,
            Err(head) => last = head,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("moto answered {last}");
}

fn try_moto_get(path: &str) -> Result<String, String> {
    let endpoint = endpoint();
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    if !(head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200")) {
        return Err(head.to_owned());
    }
    Ok(if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// Asserts a port error is a retryable `Unavailable`.
pub fn assert_retryable(err: &PortError) {
    assert!(err.is_retryable(), "expected a retryable Unavailable, got {err:?}");
}
