//! The event bus: one topic fanning out to named subscriber queues, each with its own retry
//! budget, visibility timeout and dead-letter queue — the SNS topic with subscribed SQS queues
//! (raw delivery) and redrive policies of the AWS deployment.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use order_domain::EventEnvelope;
use order_ports::{DeadLetter, Delivery, EventPublisher, EventQueue, PortError, PortResult, QueueDepth};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::sync::lock;

/// A queue's delivery settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    /// How many times a message may be received; the receive that would exceed it moves the
    /// message to the dead-letter queue instead (SQS's `maxReceiveCount`). The HLD asks for 3
    /// retries; AWS advises at least 5 for a Lambda-driven queue, because throttled
    /// invocations count as receives too.
    pub max_receive_count: u32,
    /// How long a received message stays hidden unless acknowledged or released.
    pub visibility_timeout: Duration,
}

impl Default for QueueConfig {
    /// 5 receives, 30 seconds (SQS's default visibility timeout).
    fn default() -> Self {
        Self { max_receive_count: 5, visibility_timeout: Duration::from_secs(30) }
    }
}

impl QueueConfig {
    /// `max_receive_count` receives with the default visibility timeout.
    pub fn with_max_receive_count(max_receive_count: u32) -> Self {
        Self { max_receive_count, ..Self::default() }
    }
}

#[derive(Debug)]
struct Message {
    id: String,
    body: String,
    receive_count: u32,
    visible_at: Instant,
    /// When it was put on the queue (sent, redriven, or deferred: SQS's deferral is a copy).
    sent_at: Instant,
    /// Hidden by a deferral's delay rather than by a delivery (SQS counts a delayed message
    /// apart from one in flight).
    delayed: bool,
    /// The receipt of the current delivery, while the message is in flight.
    receipt: Option<String>,
}

#[derive(Debug, Default)]
struct QueueState {
    /// By position in the queue: oldest first. A map rather than a `VecDeque` so that an
    /// acknowledged message leaves in O(log n) from anywhere in the queue.
    messages: BTreeMap<u64, Message>,
    /// The receipt of every message in flight → its position in `messages`, so that `ack` and
    /// `release` find their message without a scan.
    receipts: HashMap<String, u64>,
    dead: VecDeque<DeadLetter>,
    /// The position the next message sent or redriven takes.
    next_position: u64,
    next_message: u64,
    next_receipt: u64,
}

impl QueueState {
    /// Appends a message at the back of the queue.
    fn push_back(&mut self, message: Message) {
        let position = self.next_position;
        self.next_position += 1;
        self.messages.insert(position, message);
    }

    /// The position of the message `receipt` was issued for, forgetting the receipt.
    fn take_receipt(&mut self, receipt: &str) -> Option<u64> {
        self.receipts.remove(receipt)
    }
}

/// One subscriber's queue with its dead-letter queue.
///
/// Each received message is hidden until acknowledged, released or its visibility timeout
/// passes; every receive increments its receive count; the receive that would exceed
/// `max_receive_count` moves it to the dead-letter queue instead of delivering it. Bodies are
/// kept as the JSON text the publisher sent (SNS raw delivery), so a body that is not a valid
/// event is delivered with [`Delivery::event`] set to `Err(reason)`.
#[derive(Debug)]
pub struct MemoryQueue {
    name: String,
    config: QueueConfig,
    state: Mutex<QueueState>,
    /// Wakes long-polling receivers when a message is sent, released or redriven.
    arrived: Notify,
}

impl MemoryQueue {
    /// An empty queue.
    pub fn new(name: impl Into<String>, config: QueueConfig) -> Self {
        Self { name: name.into(), config, state: Mutex::new(QueueState::default()), arrived: Notify::new() }
    }

    /// The queue's settings.
    pub fn config(&self) -> QueueConfig {
        self.config
    }

    /// Puts a raw body on the queue, as a foreign producer could (for tests of bodies that are
    /// not valid events). Returns the message id.
    pub fn send_raw(&self, body: impl Into<String>) -> String {
        let id = {
            let mut state = lock(&self.state);
            state.next_message += 1;
            let id = format!("{}-{:08}", self.name, state.next_message);
            let now = Instant::now();
            state.push_back(Message {
                id: id.clone(),
                body: body.into(),
                receive_count: 0,
                visible_at: now,
                sent_at: now,
                delayed: false,
                receipt: None,
            });
            id
        };
        self.arrived.notify_waiters();
        id
    }

    /// Messages visible now (waiting to be received): the `visible` of
    /// [`EventQueue::depth`], without the rest.
    pub fn depth(&self) -> usize {
        let now = Instant::now();
        lock(&self.state).messages.values().filter(|m| m.visible_at <= now).count()
    }

    /// Messages hidden now: received and not yet acknowledged, released or timed out, or
    /// released or deferred with a delay that has not passed (the `in_flight` and `delayed` of
    /// [`EventQueue::depth`] together).
    pub fn in_flight(&self) -> usize {
        let now = Instant::now();
        lock(&self.state).messages.values().filter(|m| m.visible_at > now).count()
    }

    /// Messages in the dead-letter queue.
    pub fn dead_letter_depth(&self) -> usize {
        lock(&self.state).dead.len()
    }

    /// Takes what is visible now, up to `max`; moves messages past their budget to the DLQ.
    /// Returns the deliveries and, when there are none, when the next hidden message shows.
    fn take_visible(&self, max: usize) -> (Vec<Delivery>, Option<Instant>) {
        let now = Instant::now();
        let mut state = lock(&self.state);
        let state = &mut *state;
        let mut deliveries = Vec::new();
        let mut exhausted = Vec::new();
        for (&position, message) in &mut state.messages {
            if deliveries.len() >= max {
                break;
            }
            if message.visible_at > now {
                continue;
            }
            // A previous delivery's receipt no longer acknowledges the message.
            if let Some(old) = message.receipt.take() {
                state.receipts.remove(&old);
            }
            if message.receive_count >= self.config.max_receive_count {
                exhausted.push(position);
                continue;
            }
            state.next_receipt += 1;
            let receipt = format!("{}:{}:{}", self.name, message.id, state.next_receipt);
            message.receive_count += 1;
            message.visible_at = now + self.config.visibility_timeout;
            message.delayed = false;
            message.receipt = Some(receipt.clone());
            state.receipts.insert(receipt.clone(), position);
            deliveries.push(Delivery {
                message_id: message.id.clone(),
                receipt,
                receive_count: message.receive_count,
                event: serde_json::from_str::<EventEnvelope>(&message.body).map_err(|e| e.to_string()),
            });
        }
        for position in exhausted {
            if let Some(message) = state.messages.remove(&position) {
                state.dead.push_back(DeadLetter { message_id: message.id, body: message.body });
            }
        }
        let next_visible = state.messages.values().map(|m| m.visible_at).filter(|at| *at > now).min();
        (deliveries, next_visible)
    }
}

#[async_trait]
impl EventQueue for MemoryQueue {
    fn name(&self) -> &str {
        &self.name
    }

    async fn receive(&self, max: usize, wait: Duration) -> PortResult<Vec<Delivery>> {
        let deadline = Instant::now() + wait;
        loop {
            // Register interest before looking, so a message sent between the look and the
            // wait still wakes this receiver.
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let (deliveries, next_visible) = self.take_visible(max);
            if !deliveries.is_empty() || max == 0 || Instant::now() >= deadline {
                return Ok(deliveries);
            }
            let until = next_visible.map_or(deadline, |at| at.min(deadline));
            // Either woken by an arrival or by the deadline / a message becoming visible.
            let _ = tokio::time::timeout_at(until, arrived).await;
        }
    }

    async fn ack(&self, receipt: &str) -> PortResult<()> {
        let mut state = lock(&self.state);
        if let Some(position) = state.take_receipt(receipt) {
            state.messages.remove(&position);
        }
        Ok(())
    }

    async fn release(&self, receipt: &str, delay: Duration) -> PortResult<()> {
        {
            let mut state = lock(&self.state);
            let position = state.take_receipt(receipt);
            if let Some(message) = position.and_then(|position| state.messages.get_mut(&position)) {
                message.visible_at = Instant::now() + delay;
                message.delayed = false;
                message.receipt = None;
            }
        }
        self.arrived.notify_waiters();
        Ok(())
    }

    async fn defer(&self, delivery: &Delivery, delay: Duration) -> PortResult<()> {
        if let Err(reason) = &delivery.event {
            return Err(PortError::InvalidData(format!("only an event can be deferred: {reason}")));
        }
        {
            let mut state = lock(&self.state);
            let position = state.take_receipt(&delivery.receipt);
            if let Some(message) = position.and_then(|position| state.messages.get_mut(&position)) {
                // As if this receive had not happened: SQS's copy starts its count afresh, and
                // is a new, delayed message.
                let now = Instant::now();
                message.receive_count = message.receive_count.saturating_sub(1);
                message.visible_at = now + delay;
                message.sent_at = now;
                message.delayed = true;
                message.receipt = None;
            }
        }
        self.arrived.notify_waiters();
        Ok(())
    }

    async fn dead_letters(&self, max: usize) -> PortResult<Vec<DeadLetter>> {
        Ok(lock(&self.state).dead.iter().take(max).cloned().collect())
    }

    async fn redrive(&self, max: usize) -> PortResult<usize> {
        let moved = {
            let mut state = lock(&self.state);
            let count = max.min(state.dead.len());
            let now = Instant::now();
            for letter in state.dead.drain(..count).collect::<Vec<_>>() {
                state.push_back(Message {
                    id: letter.message_id,
                    body: letter.body,
                    receive_count: 0,
                    visible_at: now,
                    sent_at: now,
                    delayed: false,
                    receipt: None,
                });
            }
            count
        };
        self.arrived.notify_waiters();
        Ok(moved)
    }

    async fn retry_budget(&self) -> PortResult<Option<u32>> {
        Ok(Some(self.config.max_receive_count))
    }

    /// Exact counts; the oldest visible message's age on the queue's clock (tokio's, so a test
    /// on a paused clock sees the time it advanced).
    async fn depth(&self) -> PortResult<Option<QueueDepth>> {
        let now = Instant::now();
        let state = lock(&self.state);
        let mut depth = QueueDepth { oldest_age: Some(Duration::ZERO), ..QueueDepth::default() };
        for message in state.messages.values() {
            if message.visible_at <= now {
                depth.visible += 1;
                let age = now.saturating_duration_since(message.sent_at);
                depth.oldest_age = depth.oldest_age.max(Some(age));
            } else if message.delayed {
                depth.delayed += 1;
            } else {
                depth.in_flight += 1;
            }
        }
        depth.dead_letters = u64::try_from(state.dead.len()).unwrap_or(u64::MAX);
        Ok(Some(depth))
    }
}

/// The topic: every published event goes, as its JSON body, to every subscriber queue.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use adapters_memory::{MemoryEventBus, QueueConfig};
/// use order_ports::{EventPublisher, EventQueue};
///
/// let bus = MemoryEventBus::new();
/// let records = bus.subscribe("record-writer", QueueConfig::with_max_receive_count(5));
/// let invoices = bus.subscribe("invoice-writer", QueueConfig::with_max_receive_count(5));
/// let (order, now) = order_domain::testing::pending_order();
/// let event = order_domain::EventEnvelope::new(
///     uuid::Uuid::nil(), now, order_domain::OrderEvent::OrderCreated(order.created_event()));
/// bus.publish(&event).await.unwrap();
/// assert_eq!(records.receive(10, Duration::ZERO).await.unwrap().len(), 1);
/// assert_eq!(invoices.depth(), 1);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryEventBus {
    subscribers: Mutex<Vec<Arc<MemoryQueue>>>,
    failures_left: Mutex<u32>,
}

impl MemoryEventBus {
    /// A topic with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates a queue subscribed to the topic. It receives every event published from now on.
    pub fn subscribe(&self, name: impl Into<String>, config: QueueConfig) -> Arc<MemoryQueue> {
        let queue = Arc::new(MemoryQueue::new(name, config));
        lock(&self.subscribers).push(Arc::clone(&queue));
        queue
    }

    /// The subscribed queue with this name.
    pub fn queue(&self, name: &str) -> Option<Arc<MemoryQueue>> {
        lock(&self.subscribers).iter().find(|q| q.name == name).cloned()
    }

    /// Makes the next `count` publishes fail with a retryable
    /// [`Unavailable`](PortError::Unavailable), delivering nothing (fault injection).
    pub fn fail_next_publishes(&self, count: u32) {
        *lock(&self.failures_left) = count;
    }
}

#[async_trait]
impl EventPublisher for MemoryEventBus {
    async fn publish(&self, event: &EventEnvelope) -> PortResult<()> {
        {
            let mut failures = lock(&self.failures_left);
            if *failures > 0 {
                *failures -= 1;
                return Err(PortError::transient("injected publish failure"));
            }
        }
        let body = serde_json::to_string(event)
            .map_err(|e| PortError::InvalidData(format!("event does not serialize: {e}")))?;
        let subscribers = lock(&self.subscribers).clone();
        for queue in subscribers {
            queue.send_raw(body.clone());
        }
        Ok(())
    }
}
