//! Queue behaviour only the in-memory bus shows directly: visibility timeouts (on tokio's
//! paused clock), budgets spent by timeouts, receipts, inspection, the oldest message's age and
//! publish faults.

use std::time::Duration;

use adapters_memory::{MemoryEventBus, MemoryQueue, QueueConfig};
use order_domain::testing::pending_order;
use order_domain::{EventEnvelope, OrderEvent};
use order_ports::{EventPublisher, EventQueue, PortError, QueueDepth};

fn event() -> EventEnvelope {
    let (order, now) = pending_order();
    EventEnvelope::new(uuid::Uuid::from_u128(1), now, OrderEvent::OrderCreated(order.created_event()))
}

fn queue(max_receive_count: u32) -> MemoryQueue {
    MemoryQueue::new("records", QueueConfig { max_receive_count, visibility_timeout: Duration::from_secs(30) })
}

#[tokio::test(start_paused = true)]
async fn a_received_message_is_hidden_until_its_visibility_timeout() {
    let queue = queue(5);
    queue.send_raw(serde_json::to_string(&event()).unwrap());
    assert_eq!((queue.depth(), queue.in_flight()), (1, 0));

    let first = queue.receive(10, Duration::ZERO).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((queue.depth(), queue.in_flight()), (0, 1));
    assert!(queue.receive(10, Duration::ZERO).await.unwrap().is_empty(), "hidden from other consumers");

    tokio::time::advance(Duration::from_secs(29)).await;
    assert!(queue.receive(10, Duration::ZERO).await.unwrap().is_empty(), "still hidden at 29 s");
    tokio::time::advance(Duration::from_secs(2)).await;
    let again = queue.receive(10, Duration::ZERO).await.unwrap();
    assert_eq!(again.len(), 1, "visible again after 30 s");
    assert_eq!((again[0].message_id.as_str(), again[0].receive_count), (first[0].message_id.as_str(), 2));
    assert_eq!(again[0].event, Ok(event()));
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_returns_when_a_hidden_message_times_out() {
    let queue = queue(5);
    queue.send_raw(serde_json::to_string(&event()).unwrap());
    let first = queue.receive(1, Duration::ZERO).await.unwrap();
    let started = tokio::time::Instant::now();
    let again = queue.receive(1, Duration::from_mins(1)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id, first[0].message_id);
    assert_eq!(started.elapsed(), Duration::from_secs(30), "woken exactly when the message became visible");
}

#[tokio::test(start_paused = true)]
async fn an_empty_long_poll_waits_its_whole_wait() {
    let queue = queue(5);
    let started = tokio::time::Instant::now();
    assert!(queue.receive(10, Duration::from_secs(20)).await.unwrap().is_empty());
    assert_eq!(started.elapsed(), Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn timeouts_spend_the_budget_and_the_message_dead_letters() {
    let queue = queue(3);
    let id = queue.send_raw(serde_json::to_string(&event()).unwrap());
    for attempt in 1..=3 {
        let got = queue.receive(10, Duration::ZERO).await.unwrap();
        assert_eq!(got[0].receive_count, attempt, "the handler crashed without releasing");
        tokio::time::advance(Duration::from_secs(31)).await;
    }
    assert!(queue.receive(10, Duration::ZERO).await.unwrap().is_empty(), "the fourth receive dead-letters it");
    assert_eq!((queue.depth(), queue.in_flight(), queue.dead_letter_depth()), (0, 0, 1));
    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead[0].message_id, id);
    assert_eq!(queue.redrive(10).await.unwrap(), 1);
    assert_eq!((queue.depth(), queue.dead_letter_depth()), (1, 0));
    assert_eq!(queue.receive(10, Duration::ZERO).await.unwrap()[0].receive_count, 1, "fresh budget");
}

#[tokio::test]
async fn a_receipt_is_valid_for_its_own_delivery_only() {
    let queue = MemoryQueue::new("records", QueueConfig { max_receive_count: 5, visibility_timeout: Duration::ZERO });
    queue.send_raw("{}");
    let first = queue.receive(1, Duration::ZERO).await.unwrap().remove(0);
    let second = queue.receive(1, Duration::ZERO).await.unwrap().remove(0);
    assert_eq!(second.receive_count, 2, "visibility timeout 0: delivered again at once");
    queue.ack(&first.receipt).await.unwrap();
    assert_eq!(queue.depth() + queue.in_flight(), 1, "a stale receipt deletes nothing");
    queue.ack(&second.receipt).await.unwrap();
    assert_eq!(queue.depth() + queue.in_flight(), 0);
}

#[tokio::test]
async fn failed_publishes_deliver_nothing_and_later_ones_everything() {
    let bus = MemoryEventBus::new();
    let records = bus.subscribe("records", QueueConfig::default());
    bus.fail_next_publishes(2);
    for _ in 0..2 {
        let error = bus.publish(&event()).await.unwrap_err();
        assert!(error.is_retryable(), "{error:?}");
        assert!(matches!(error, PortError::Unavailable { .. }));
    }
    assert_eq!(records.depth(), 0);
    bus.publish(&event()).await.unwrap();
    assert_eq!(records.depth(), 1);
    let late = bus.subscribe("late", QueueConfig::default());
    assert_eq!(late.depth(), 0, "a new subscriber sees only what is published after it subscribed");
    assert_eq!(bus.queue("records").unwrap().depth(), 1);
    assert!(bus.queue("missing").is_none());
}

#[tokio::test(start_paused = true)]
async fn the_oldest_age_is_the_oldest_visible_message_on_the_queues_clock() {
    let queue = queue(5);
    // The port's depth, not the inherent count of visible messages of the same name.
    let depth = || async { EventQueue::depth(&queue).await.unwrap().unwrap() };
    assert_eq!(depth().await, QueueDepth { oldest_age: Some(Duration::ZERO), ..QueueDepth::default() });

    queue.send_raw(serde_json::to_string(&event()).unwrap());
    tokio::time::advance(Duration::from_secs(7)).await;
    queue.send_raw(serde_json::to_string(&event()).unwrap());
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!((depth().await.visible, depth().await.oldest_age), (2, Some(Duration::from_secs(10))));

    // The oldest is received: the age is the next one's; released, it is the oldest again.
    let first = queue.receive(1, Duration::ZERO).await.unwrap().remove(0);
    assert_eq!((depth().await.in_flight, depth().await.oldest_age), (1, Some(Duration::from_secs(3))));
    queue.release(&first.receipt, Duration::ZERO).await.unwrap();
    assert_eq!(depth().await.oldest_age, Some(Duration::from_secs(10)), "a receive does not make it younger");
}
