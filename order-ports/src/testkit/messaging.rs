//! The contracts of [`EventPublisher`] and [`EventQueue`]: fan-out to every subscriber queue,
//! hiding while handled, retries with receive counts, the retry budget and the dead-letter
//! queue, redrive, long polling, and the depth a queue reports.
//!
//! Written to hold on SQS as well as in memory: it relies on no visibility timeout (an AWS
//! fixture may use 0 for fast retries), only on `release` with an explicit delay; it does not
//! assume delivery order; and it collects messages over several receives, since one receive
//! may return fewer messages than are waiting. Depths are awaited rather than read once, since
//! SQS's counts are approximate and may lag.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use order_domain::EventEnvelope;
use order_domain::testing::now;

use super::data::{TENANT, created, order};
use super::must;
use crate::messaging::{Delivery, EventPublisher, EventQueue, QueueDepth};

/// A publisher and the queues subscribed to it.
#[derive(Clone)]
pub struct Bus {
    /// Publishes to every queue below.
    pub publisher: Arc<dyn EventPublisher>,
    /// The subscriber queues, in the order their names were given.
    pub queues: Vec<Arc<dyn EventQueue>>,
}

/// Supplies fresh topics with subscriber queues.
#[async_trait]
pub trait MessagingFixture: Send + Sync {
    /// A fresh publisher with one fresh, empty queue (and dead-letter queue) per name, each
    /// allowing `max_receive_count` receives of a message before the next moves it to the
    /// dead-letter queue.
    async fn fresh(&self, subscribers: &[&str], max_receive_count: u32) -> Bus;

    /// Puts `body` straight on `queue`, as a foreign producer could, bypassing the publisher.
    async fn send_raw(&self, queue: &dyn EventQueue, body: &str);
}

/// Runs every contract of this suite as its own test against `$fixture` (a
/// [`MessagingFixture`]).
#[macro_export]
macro_rules! messaging_contract_tests {
    ($fixture:expr) => {
        $crate::__contract_tests!(
            $fixture,
            messaging,
            [
                published_events_reach_every_subscriber,
                acknowledged_messages_are_gone,
                released_messages_come_back_with_a_higher_count,
                release_with_a_delay_hides_the_message_until_then,
                deferred_messages_come_back_after_the_delay_without_spending_the_budget,
                messages_past_their_budget_move_to_the_dead_letter_queue,
                redrive_gives_dead_letters_a_fresh_budget,
                undecodable_bodies_are_delivered_as_errors,
                receive_waits_for_a_message_to_arrive,
                the_retry_budget_is_the_queues_receive_limit,
                depth_counts_visible_in_flight_and_delayed_messages,
                depth_counts_dead_letters_once_the_budget_is_spent,
            ]
        );
    };
}

/// How long the suite waits for a message it expects.
const PATIENCE: Duration = Duration::from_secs(10);
/// One long poll while collecting.
const POLL: Duration = Duration::from_secs(1);

fn events(count: u32) -> Vec<EventEnvelope> {
    (1..=count).map(|i| created(u128::from(i), &order(TENANT, i, now()))).collect()
}

/// Receives until `count` deliveries arrived (or [`PATIENCE`] ran out).
async fn collect(queue: &dyn EventQueue, count: usize) -> Vec<Delivery> {
    let deadline = Instant::now() + PATIENCE;
    let mut got = Vec::new();
    while got.len() < count && Instant::now() < deadline {
        got.extend(must(queue.receive(count - got.len(), POLL).await, "receive"));
    }
    assert_eq!(got.len(), count, "{}: expected {count} deliveries, got {got:?}", queue.name());
    got
}

/// One delivery, waiting for it.
async fn one(queue: &dyn EventQueue) -> Delivery {
    let mut got = collect(queue, 1).await;
    got.remove(0)
}

/// Asserts nothing is delivered within a short wait.
async fn nothing(queue: &dyn EventQueue, why: &str) {
    let got = must(queue.receive(10, Duration::from_millis(300)).await, "receive");
    assert!(got.is_empty(), "{}: {why}, got {got:?}", queue.name());
}

fn sorted_events(deliveries: &[Delivery]) -> Vec<EventEnvelope> {
    let mut events: Vec<EventEnvelope> = deliveries
        .iter()
        .map(|d| d.event.clone().unwrap_or_else(|e| panic!("delivery {} does not decode: {e}", d.message_id)))
        .collect();
    events.sort_by_key(|e| e.message_id);
    events
}

/// Every published event reaches every subscriber queue, received once, decoded as it was
/// published.
///
/// # Panics
/// When the contract is broken.
pub async fn published_events_reach_every_subscriber(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records", "invoices", "notices"], 3).await;
    let sent = events(2);
    for event in &sent {
        must(bus.publisher.publish(event).await, "publish");
    }
    for queue in &bus.queues {
        let got = collect(queue.as_ref(), 2).await;
        assert_eq!(sorted_events(&got), sent, "{} received every event", queue.name());
        assert!(got.iter().all(|d| d.receive_count == 1), "first delivery counts 1");
        for delivery in &got {
            must(queue.ack(&delivery.receipt).await, "ack");
        }
        nothing(queue.as_ref(), "every message was acknowledged").await;
    }
}

/// An acknowledged message never comes back; acknowledging twice is a success.
///
/// # Panics
/// When the contract is broken.
pub async fn acknowledged_messages_are_gone(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records"], 3).await;
    let queue = bus.queues[0].as_ref();
    must(bus.publisher.publish(&events(1)[0]).await, "publish");
    let delivery = one(queue).await;
    must(queue.ack(&delivery.receipt).await, "ack");
    must(queue.ack(&delivery.receipt).await, "ack twice");
    nothing(queue, "an acknowledged message is deleted").await;
    assert!(must(queue.dead_letters(10).await, "dead letters").is_empty());
}

/// A released message is delivered again with the same id and event and a receive count one
/// higher.
///
/// # Panics
/// When the contract is broken.
pub async fn released_messages_come_back_with_a_higher_count(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records"], 5).await;
    let queue = bus.queues[0].as_ref();
    let event = events(1).remove(0);
    must(bus.publisher.publish(&event).await, "publish");
    let first = one(queue).await;
    assert_eq!(first.receive_count, 1);
    must(queue.release(&first.receipt, Duration::ZERO).await, "release");
    let second = one(queue).await;
    assert_eq!((second.message_id.as_str(), second.receive_count), (first.message_id.as_str(), 2));
    assert_eq!(second.event, Ok(event));
    must(queue.ack(&second.receipt).await, "ack");
}

/// A message released with a delay is not delivered before the delay has passed, and is after.
///
/// # Panics
/// When the contract is broken.
pub async fn release_with_a_delay_hides_the_message_until_then(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records"], 5).await;
    let queue = bus.queues[0].as_ref();
    must(bus.publisher.publish(&events(1)[0]).await, "publish");
    let first = one(queue).await;
    let released_at = Instant::now();
    must(queue.release(&first.receipt, Duration::from_secs(2)).await, "release with delay");
    nothing(queue, "the message is hidden during its delay").await;
    let again = one(queue).await;
    assert!(released_at.elapsed() >= Duration::from_millis(1900), "not before the delay passed");
    assert_eq!((again.message_id, again.receive_count), (first.message_id, 2));
}

/// A deferred message (another worker holds its lease) is hidden for the delay and comes back
/// with the same event; however often it is deferred, its receive count does not rise, so with
/// a budget of 2 receives four deferrals and a failure later it is still delivered, never
/// moved to the dead-letter queue.
///
/// # Panics
/// When the contract is broken.
pub async fn deferred_messages_come_back_after_the_delay_without_spending_the_budget(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["notifier"], 2).await;
    let queue = bus.queues[0].as_ref();
    let event = events(1).remove(0);
    must(bus.publisher.publish(&event).await, "publish");
    let first = one(queue).await;
    let deferred_at = Instant::now();
    must(queue.defer(&first, Duration::from_secs(2)).await, "defer");
    nothing(queue, "the message is hidden during its delay").await;
    let mut again = one(queue).await;
    assert!(deferred_at.elapsed() >= Duration::from_millis(1900), "not before the delay passed");
    assert_eq!((again.receive_count, &again.event), (1, &Ok(event.clone())), "the deferral cost no receive");
    for _ in 0..3 {
        must(queue.defer(&again, Duration::ZERO).await, "defer again");
        again = one(queue).await;
        assert_eq!(again.receive_count, 1, "deferrals never count");
    }
    must(queue.release(&again.receipt, Duration::ZERO).await, "a real failure");
    let last = one(queue).await;
    assert_eq!((last.receive_count, last.event), (2, Ok(event)), "failures still count");
    must(queue.ack(&last.receipt).await, "ack");
    assert!(must(queue.dead_letters(10).await, "dead letters").is_empty(), "nothing dead");
}

/// With a budget of 2 receives, the third receive moves the message to the dead-letter queue
/// instead of delivering it; dead letters can be looked at without removing them; other
/// subscribers keep their own copy.
///
/// # Panics
/// When the contract is broken.
pub async fn messages_past_their_budget_move_to_the_dead_letter_queue(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["failing", "healthy"], 2).await;
    let (failing, healthy) = (bus.queues[0].as_ref(), bus.queues[1].as_ref());
    let event = events(1).remove(0);
    must(bus.publisher.publish(&event).await, "publish");
    for attempt in 1..=2 {
        let delivery = one(failing).await;
        assert_eq!(delivery.receive_count, attempt);
        must(failing.release(&delivery.receipt, Duration::ZERO).await, "release");
    }
    nothing(failing, "the budget is spent").await;
    let dead = must(failing.dead_letters(10).await, "dead letters");
    assert_eq!(dead.len(), 1, "the message is in the dead-letter queue: {dead:?}");
    assert!(dead[0].body.contains(&event.message_id.to_string()), "the body is the event as published");
    assert_eq!(must(failing.dead_letters(10).await, "look again"), dead, "looking removes nothing");
    let copy = one(healthy).await;
    assert_eq!((copy.receive_count, copy.event), (1, Ok(event)), "the other subscriber is unaffected");
    assert!(must(healthy.dead_letters(10).await, "dead letters").is_empty());
}

/// `redrive` moves dead letters back with a fresh budget and says how many moved.
///
/// # Panics
/// When the contract is broken.
pub async fn redrive_gives_dead_letters_a_fresh_budget(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records"], 1).await;
    let queue = bus.queues[0].as_ref();
    let sent = events(2);
    for event in &sent {
        must(bus.publisher.publish(event).await, "publish");
    }
    for delivery in collect(queue, 2).await {
        must(queue.release(&delivery.receipt, Duration::ZERO).await, "release");
    }
    nothing(queue, "both budgets are spent").await;
    assert_eq!(must(queue.dead_letters(10).await, "dead letters").len(), 2);

    assert_eq!(must(queue.redrive(1).await, "redrive one"), 1);
    assert_eq!(must(queue.dead_letters(10).await, "dead letters").len(), 1, "one left behind");
    assert_eq!(must(queue.redrive(10).await, "redrive the rest"), 1);
    assert!(must(queue.dead_letters(10).await, "dead letters").is_empty());
    assert_eq!(must(queue.redrive(10).await, "redrive nothing"), 0);

    let back = collect(queue, 2).await;
    assert!(back.iter().all(|d| d.receive_count == 1), "a fresh budget: {back:?}");
    assert_eq!(sorted_events(&back), sent);
}

/// A body that is not an event is delivered with the reason as `Err`, and once its budget is
/// spent it lands in the dead-letter queue as it was received.
///
/// # Panics
/// When the contract is broken.
pub async fn undecodable_bodies_are_delivered_as_errors(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records"], 1).await;
    let queue = bus.queues[0].as_ref();
    fixture.send_raw(queue, "{\"not\": \"an event\"}").await;
    let delivery = one(queue).await;
    assert!(delivery.event.is_err(), "undecodable body: {delivery:?}");
    must(queue.release(&delivery.receipt, Duration::ZERO).await, "release");
    nothing(queue, "the budget is spent").await;
    let dead = must(queue.dead_letters(10).await, "dead letters");
    assert_eq!(dead.iter().map(|d| d.body.as_str()).collect::<Vec<_>>(), ["{\"not\": \"an event\"}"]);
}

/// A receive on an empty queue waits (long polling) and returns as soon as a message arrives,
/// well before its wait is over.
///
/// # Panics
/// When the contract is broken.
pub async fn receive_waits_for_a_message_to_arrive(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records"], 3).await;
    let queue = Arc::clone(&bus.queues[0]);
    let started = Instant::now();
    let waiting = tokio::spawn(async move { queue.receive(1, Duration::from_secs(10)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let event = events(1).remove(0);
    must(bus.publisher.publish(&event).await, "publish");
    let got = match waiting.await {
        Ok(result) => must(result, "long poll"),
        Err(error) => panic!("the receiving task failed: {error}"),
    };
    assert!(started.elapsed() < Duration::from_secs(8), "returned on arrival, not at the end of the wait");
    assert_eq!(got.len(), 1, "the message that arrived during the wait");
    assert_eq!(got[0].event, Ok(event));
}

/// The retry budget a queue reports is the number of receives it was made to allow, and stays
/// so when asked again.
///
/// # Panics
/// When the contract is broken.
pub async fn the_retry_budget_is_the_queues_receive_limit(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records", "invoices"], 3).await;
    for queue in &bus.queues {
        assert_eq!(must(queue.retry_budget().await, "retry budget"), Some(3), "{}", queue.name());
        assert_eq!(must(queue.retry_budget().await, "retry budget again"), Some(3), "{}", queue.name());
    }
    let other = fixture.fresh(&["notices"], 1).await;
    assert_eq!(must(other.queues[0].retry_budget().await, "retry budget"), Some(1), "each queue its own");
}

/// The counts of a depth: visible, in flight, delayed, dead letters.
fn counts(depth: &QueueDepth) -> (u64, u64, u64, u64) {
    (depth.visible, depth.in_flight, depth.delayed, depth.dead_letters)
}

/// The queue's depth once its counts are `expected` (visible, in flight, delayed, dead
/// letters), waiting up to [`PATIENCE`] for approximate counts to catch up.
async fn depth_becomes(queue: &dyn EventQueue, expected: (u64, u64, u64, u64), why: &str) -> QueueDepth {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let depth = must(queue.depth().await, "depth")
            .unwrap_or_else(|| panic!("{}: the queue cannot tell its depth", queue.name()));
        if counts(&depth) == expected {
            return depth;
        }
        assert!(
            Instant::now() < deadline,
            "{}: {why}: expected (visible, in flight, delayed, dead letters) = {expected:?}, got {depth:?}",
            queue.name()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A queue's depth counts the messages waiting, those received and hidden (released with a
/// delay too) and those deferred, each once; the oldest age, where the queue tells it, is no
/// older than the messages are.
///
/// # Panics
/// When the contract is broken.
pub async fn depth_counts_visible_in_flight_and_delayed_messages(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records"], 3).await;
    let queue = bus.queues[0].as_ref();
    let empty = depth_becomes(queue, (0, 0, 0, 0), "a fresh queue is empty").await;
    assert!(matches!(empty.oldest_age, None | Some(Duration::ZERO)), "nothing waits: {empty:?}");

    let published_at = Instant::now();
    for event in &events(3) {
        must(bus.publisher.publish(event).await, "publish");
    }
    let waiting = depth_becomes(queue, (3, 0, 0, 0), "every published message waits").await;
    if let Some(age) = waiting.oldest_age {
        assert!(age <= published_at.elapsed(), "the oldest is no older than the publish: {waiting:?}");
    }

    let received = one(queue).await;
    // Hidden for longer than the test, whatever the queue's visibility timeout.
    must(queue.release(&received.receipt, Duration::from_mins(2)).await, "release with a delay");
    depth_becomes(queue, (2, 1, 0, 0), "a received message is in flight").await;

    let deferred = one(queue).await;
    must(queue.defer(&deferred, Duration::from_mins(2)).await, "defer");
    depth_becomes(queue, (1, 1, 1, 0), "a deferred message is delayed").await;
}

/// A message whose budget is spent is counted in the dead letters, and no longer in the queue.
///
/// # Panics
/// When the contract is broken.
pub async fn depth_counts_dead_letters_once_the_budget_is_spent(fixture: &dyn MessagingFixture) {
    let bus = fixture.fresh(&["records"], 1).await;
    let queue = bus.queues[0].as_ref();
    must(bus.publisher.publish(&events(1)[0]).await, "publish");
    let delivery = one(queue).await;
    must(queue.release(&delivery.receipt, Duration::ZERO).await, "release");
    nothing(queue, "the budget is spent").await;
    let depth = depth_becomes(queue, (0, 0, 0, 1), "the message is a dead letter").await;
    assert!(matches!(depth.oldest_age, None | Some(Duration::ZERO)), "nothing waits: {depth:?}");
    assert_eq!(must(queue.dead_letters(10).await, "dead letters").len(), 1);
}
