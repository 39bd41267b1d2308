//! Test processors and queues for driving the consumer into its shutdown paths.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use order_app::{AppError, Processor};
use order_domain::{EventEnvelope, OrderEvent};
use order_ports::{DeadLetter, Delivery, EventQueue, PortResult, ProcessorKind};
use tokio::sync::Notify;
use uuid::Uuid;

/// `count` distinct ORDER_CREATED events (message ids 1…count).
pub fn events(count: u128) -> Vec<EventEnvelope> {
    let (order, now) = order_domain::testing::pending_order();
    (1..=count)
        .map(|n| EventEnvelope::new(Uuid::from_u128(n), now, OrderEvent::OrderCreated(order.created_event())))
        .collect()
}

/// Waits until `reached` holds, checking again each time `notify` wakes its waiters.
async fn wait_until(notify: &Notify, reached: impl Fn() -> bool) {
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if reached() {
            return;
        }
        notified.await;
    }
}

/// What a [`Probe`] does with each event.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// Succeeds after the delay.
    Slow(Duration),
    /// Never finishes.
    Hang,
    /// Fails the first attempt at each event, then succeeds.
    FailOnce,
}

/// A processor that records every event it finished, counts the events it started and wakes
/// waiters at each start.
pub struct Probe {
    pub kind: ProcessorKind,
    behaviour: Behaviour,
    started: AtomicUsize,
    pub start: Notify,
    attempts: Mutex<BTreeMap<Uuid, usize>>,
    handled: Mutex<Vec<Uuid>>,
}

impl Probe {
    pub fn new(kind: ProcessorKind, behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Self {
            kind,
            behaviour,
            started: AtomicUsize::new(0),
            start: Notify::new(),
            attempts: Mutex::new(BTreeMap::new()),
            handled: Mutex::new(Vec::new()),
        })
    }

    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    /// The message ids handled successfully, in completion order.
    pub fn handled(&self) -> Vec<Uuid> {
        self.handled.lock().unwrap().clone()
    }

    /// Waits until at least `count` events have started.
    pub async fn wait_started(&self, count: usize) {
        wait_until(&self.start, || self.started() >= count).await;
    }
}

#[async_trait]
impl Processor for Probe {
    fn kind(&self) -> ProcessorKind {
        self.kind
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.start.notify_waiters();
        let attempt = {
            let mut attempts = self.attempts.lock().unwrap();
            let attempt = attempts.entry(event.message_id).or_default();
            *attempt += 1;
            *attempt
        };
        match self.behaviour {
            Behaviour::Slow(delay) => tokio::time::sleep(delay).await,
            Behaviour::Hang => std::future::pending::<()>().await,
            Behaviour::FailOnce if attempt == 1 => {
                return Err(AppError::Dependency {
                    context: "the first attempt at each event",
                    source: order_ports::PortError::transient("fails"),
                });
            }
            Behaviour::FailOnce => {}
        }
        self.handled.lock().unwrap().push(event.message_id);
        Ok(())
    }
}

/// No message handled twice.
pub fn assert_unique(handled: &[Uuid]) {
    let mut sorted = handled.to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), handled.len(), "a message was handled twice: {handled:?}");
}

/// A real processor behind a delay, counting the events it started: makes a batch stay in
/// flight long enough for a shutdown to arrive during it (the moto scenarios).
#[cfg(feature = "aws")]
pub struct Delayed {
    inner: Arc<dyn Processor>,
    delay: Duration,
    started: AtomicUsize,
    start: Notify,
}

#[cfg(feature = "aws")]
impl Delayed {
    pub fn new(inner: Arc<dyn Processor>, delay: Duration) -> Arc<Self> {
        Arc::new(Self { inner, delay, started: AtomicUsize::new(0), start: Notify::new() })
    }

    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` events have started.
    pub async fn wait_started(&self, count: usize) {
        wait_until(&self.start, || self.started() >= count).await;
    }
}

#[cfg(feature = "aws")]
#[async_trait]
impl Processor for Delayed {
    fn kind(&self) -> ProcessorKind {
        self.inner.kind()
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.start.notify_waiters();
        tokio::time::sleep(self.delay).await;
        self.inner.handle(event).await
    }
}

/// A queue in trouble: its first `failures` receives fail as an outage would, and with a `hold`
/// its first non-empty receive holds its messages that long before returning them, announcing
/// through `holding` that it does (a receive in progress when the shutdown comes).
pub struct TroubledQueue<Q> {
    pub inner: Arc<Q>,
    failures: AtomicUsize,
    hold: Option<Duration>,
    held: AtomicBool,
    pub holding: Notify,
}

impl<Q> TroubledQueue<Q> {
    /// Its first `failures` receives fail.
    pub fn flaky(inner: Arc<Q>, failures: usize) -> Arc<Self> {
        Arc::new(Self {
            inner,
            failures: AtomicUsize::new(failures),
            hold: None,
            held: AtomicBool::new(false),
            holding: Notify::new(),
        })
    }

    /// Its first non-empty receive takes `hold` longer.
    pub fn holding(inner: Arc<Q>, hold: Duration) -> Arc<Self> {
        Arc::new(Self {
            inner,
            failures: AtomicUsize::new(0),
            hold: Some(hold),
            held: AtomicBool::new(false),
            holding: Notify::new(),
        })
    }
}

#[async_trait]
impl<Q: EventQueue> EventQueue for TroubledQueue<Q> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn receive(&self, max: usize, wait: Duration) -> PortResult<Vec<Delivery>> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(order_ports::PortError::transient("the queue is unreachable"));
        }
        let deliveries = self.inner.receive(max, wait).await?;
        if let Some(hold) = self.hold
            && !deliveries.is_empty()
            && !self.held.swap(true, Ordering::SeqCst)
        {
            self.holding.notify_one();
            tokio::time::sleep(hold).await;
        }
        Ok(deliveries)
    }

    async fn ack(&self, receipt: &str) -> PortResult<()> {
        self.inner.ack(receipt).await
    }

    async fn release(&self, receipt: &str, delay: Duration) -> PortResult<()> {
        self.inner.release(receipt, delay).await
    }

    async fn defer(&self, delivery: &Delivery, delay: Duration) -> PortResult<()> {
        self.inner.defer(delivery, delay).await
    }

    async fn dead_letters(&self, max: usize) -> PortResult<Vec<DeadLetter>> {
        self.inner.dead_letters(max).await
    }

    async fn redrive(&self, max: usize) -> PortResult<usize> {
        self.inner.redrive(max).await
    }
}

/// The request of a tenant order for a fresh cart `cart` on `stack` (its cart service now holds
/// the cart): each such order's ORDER_CREATED goes to all four queues.
pub fn order_request(stack: &order_service::memory::InMemoryStack, cart: &str) -> order_app::CreateOrderRequest {
    let cart_id = order_domain::CartId::parse(cart).unwrap();
    let lines = vec![order_domain::testing::line("HOSTING-PRO", "575.00", 1)];
    stack.carts.add_cart(order_domain::CartSnapshot::new(cart_id.clone(), acme_owner(), lines).unwrap());
    order_app::CreateOrderRequest {
        cart_id,
        customer_email: order_domain::Email::parse("thandi@example.co.za").unwrap(),
        campaign_code: None,
        billing_address: order_domain::testing::address(),
        payment_method: order_domain::PaymentMethod::Payfast,
        items: None,
    }
}

/// `tenant_acme`, the owner of the carts these tests order from.
pub(crate) fn acme_owner() -> order_domain::CartOwner {
    order_domain::CartOwner::Tenant(order_domain::TenantId::parse("tenant_acme").unwrap())
}
