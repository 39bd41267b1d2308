//! A consumer that dies mid-batch (in memory: its run is dropped while emails are being sent,
//! as `kill -9` would leave it) holds effect leases nobody will complete. The consumer that
//! takes over meets them on every redelivery: contention, not failure. It defers each message
//! until the lease can have run out, spends none of the retry budget on it, and then sends
//! every email exactly once; no message reaches a dead-letter queue.
//!
//! Time is tokio's paused clock, and the application's clock follows it, so the queue's
//! visibility timeout (30 s), the lease (1 min) and the deferrals all pass at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use order_app::{ConsumerOptions, Documents, OrderApp, Principal, System};
use order_domain::TenantId;
use order_ports::{Clock, Mailer, OutgoingEmail, PortResult};
use order_service::memory::{InMemoryStack, StackOptions};
use tokio::time::Instant;

use crate::support::order_request;

const ORDERS: usize = 6;

/// The application's clock on tokio's (paused) time, so leases run out as the queue's timers do.
struct TokioClock {
    start: DateTime<Utc>,
    origin: Instant,
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + TimeDelta::from_std(self.origin.elapsed()).unwrap()
    }
}

/// A mail provider that never answers: a worker calling it is mid-send when it dies.
#[derive(Default)]
struct Stuck {
    calls: AtomicUsize,
}

#[async_trait]
impl Mailer for Stuck {
    async fn send(&self, _email: &OutgoingEmail) -> PortResult<String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
}

/// The stack's application on `clock`, sending through `mailer`.
fn app_on(stack: &InMemoryStack, clock: &Arc<TokioClock>, mailer: Arc<dyn Mailer>) -> Arc<OrderApp> {
    let documents = Documents { mailer, ..stack.app.documents().clone() };
    let system = System { clock: clock.clone(), ids: stack.app.system().ids.clone() };
    stack.app.to_builder().documents(documents).system(system).build().unwrap()
}

async fn accept_orders(stack: &InMemoryStack) {
    let tenant = TenantId::parse("tenant_acme").unwrap();
    let customer = Principal::Customer { tenant_id: tenant.clone() };
    for n in 0..ORDERS {
        let request = order_request(stack, &format!("cart_{n}"));
        stack.app.create_for_tenant(&customer, &tenant, request, None).await.unwrap();
    }
}

/// How many times each email (recipients and subject) was sent.
fn sent_counts(stack: &InMemoryStack) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    for sent in stack.mailbox.sent() {
        let to = sent.email.to.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        *counts.entry((to, sent.email.subject.to_string())).or_default() += 1;
    }
    counts
}

#[tokio::test(start_paused = true)]
async fn a_consumer_killed_mid_send_costs_no_email_and_fills_no_dead_letter_queue() {
    let stack = InMemoryStack::new(StackOptions::demo(start())).unwrap();
    let clock = Arc::new(TokioClock { start: start(), origin: Instant::now() });
    accept_orders(&stack).await;
    let queues = stack.event_queues();
    // A short retry delay, as the worker's own (5 s) is short next to a lease (1 min): before
    // contention was told apart, the budget (4 receives) was spent long before the lease ended.
    let options = ConsumerOptions {
        wait: Duration::from_millis(200),
        retry_delay: Duration::from_secs(1),
        ..ConsumerOptions::default()
    };

    // The first consumer takes every message and dies while it is sending emails.
    let provider = Arc::new(Stuck::default());
    let dying = app_on(&stack, &clock, provider.clone());
    let run = {
        let consumer = order_app::Consumer::new(
            order_app::Subscription::per_processor(
                dying.processors(),
                &queues,
                &order_ports::PerProcessor::all(ORDERS),
            ),
            options,
        );
        tokio::spawn(async move { consumer.run(std::future::pending()).await })
    };
    let emails = 2 * ORDERS; // one to the customer, one to staff, per order
    while provider.calls.load(Ordering::SeqCst) < emails {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    run.abort(); // kill -9: no release, no abandon; the leases stay
    assert!(run.await.unwrap_err().is_cancelled());
    assert!(stack.mailbox.sent().is_empty());

    // A new consumer takes over: the messages return after their visibility timeout and meet
    // the dead consumer's leases, which run out a minute after they were taken.
    let app = app_on(&stack, &clock, stack.mailbox.clone());
    let consumer = order_app::Consumer::new(
        order_app::Subscription::per_processor(app.processors(), &queues, &order_ports::PerProcessor::all(ORDERS)),
        options,
    );
    let report = consumer.run(tokio::time::sleep(Duration::from_mins(5))).await;

    let counts = sent_counts(&stack);
    assert_eq!(counts.values().sum::<usize>(), emails, "every email was sent: {counts:?}\n{report:?}");
    assert!(counts.values().all(|n| *n == 1), "and each exactly once: {counts:?}");
    let total = report.total();
    assert!(total.deferred >= 1, "the leases were met and deferred: {report:?}");
    assert_eq!(total.failed, 0, "contention is no failure: {report:?}");
    for (kind, queue) in stack.queues.iter() {
        assert_eq!(queue.dead_letter_depth(), 0, "{kind}: nothing dead ({report:?})");
        assert_eq!((queue.depth(), queue.in_flight()), (0, 0), "{kind}: nothing left ({report:?})");
    }
}
