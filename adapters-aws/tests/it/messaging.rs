//! `SnsEventPublisher` and `SqsEventQueue`: fan-out, acknowledgement, retries, dead letters.

use std::time::Duration;

use order_ports::ProcessorKind;
use order_ports::{EventPublisher, EventQueue};

use crate::support::{created_event, fresh, order_for, tenant};

const WAIT: Duration = Duration::from_secs(1);

#[tokio::test]
async fn one_publish_reaches_all_four_queues_and_an_ack_removes_it() {
    let f = fresh().await;
    let event = created_event(&order_for(&tenant("tenant_acme")));
    f.adapters.publisher.publish(&event).await.unwrap();

    for processor in ProcessorKind::ALL {
        let queue = f.adapters.queues.get(processor);
        assert!(queue.name().ends_with(processor.name()), "{}", queue.name());
        let deliveries = queue.receive(10, WAIT).await.unwrap();
        assert_eq!(deliveries.len(), 1, "{processor}");
        assert_eq!(deliveries[0].event, Ok(event.clone()), "{processor}");
        assert_eq!(deliveries[0].receive_count, 1);
        queue.ack(&deliveries[0].receipt).await.unwrap();
        queue.ack(&deliveries[0].receipt).await.unwrap(); // acknowledging twice is a success
        queue.release(&deliveries[0].receipt, Duration::ZERO).await.ok();
        assert!(queue.receive(10, Duration::ZERO).await.unwrap().is_empty(), "{processor} still has the message");
        assert!(queue.dead_letters(10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_undecodable_body_is_delivered_as_an_error() {
    let f = fresh().await;
    let queue = &f.adapters.queues.record_writer;
    f.clients.sqs.send_message().queue_url(&queue.config().url).message_body("{not json").send().await.unwrap();
    let deliveries = queue.receive(10, WAIT).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].event.is_err());
}

#[tokio::test]
async fn a_released_message_comes_back_until_its_budget_is_spent_then_waits_in_the_dlq_for_a_redrive() {
    let f = fresh().await;
    let event = created_event(&order_for(&tenant("tenant_acme")));
    f.adapters.publisher.publish(&event).await.unwrap();
    let queue = &f.adapters.queues.invoice_writer;
    let others = &f.adapters.queues.customer_notifier;

    // maxReceiveCount (3 in the fixture): that many deliveries, each released at once for a retry …
    let budget = *f.spec.max_receive_count.get(ProcessorKind::InvoiceWriter);
    assert_eq!(budget, 3);
    for attempt in 1..=budget {
        let deliveries = queue.receive(10, WAIT).await.unwrap();
        assert_eq!(deliveries.len(), 1, "attempt {attempt}");
        assert_eq!(deliveries[0].receive_count, attempt);
        queue.release(&deliveries[0].receipt, Duration::ZERO).await.unwrap();
    }
    // … and the fourth receive finds it moved to the dead-letter queue.
    assert!(queue.receive(10, Duration::ZERO).await.unwrap().is_empty());
    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(serde_json::from_str::<order_domain::EventEnvelope>(&dead[0].body).unwrap(), event);
    assert_eq!(queue.dead_letters(10).await.unwrap(), dead, "inspecting leaves the dead letters in place");

    // The other processors are unaffected.
    assert_eq!(others.receive(10, WAIT).await.unwrap().len(), 1);

    // Redrive: back on the queue with a fresh budget, and the DLQ is empty.
    assert_eq!(queue.redrive(10).await.unwrap(), 1);
    assert!(queue.dead_letters(10).await.unwrap().is_empty());
    let again = queue.receive(10, WAIT).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].event, Ok(event));
    assert_eq!(again[0].receive_count, 1);
    queue.ack(&again[0].receipt).await.unwrap();
    assert_eq!(queue.redrive(10).await.unwrap(), 0);
}

#[tokio::test]
async fn receive_hands_out_batches_and_dead_letters_pages_past_ten() {
    let f = fresh().await;
    let queue = &f.adapters.queues.internal_notifier;
    for _ in 0..12 {
        f.adapters.publisher.publish(&created_event(&order_for(&tenant("tenant_acme")))).await.unwrap();
    }
    assert!(queue.receive(0, WAIT).await.unwrap().is_empty());
    let mut received = 0;
    let mut rounds = 0;
    while received < 12 && rounds < 20 {
        let batch = queue.receive(5, WAIT).await.unwrap();
        assert!(batch.len() <= 5);
        received += batch.len();
        rounds += 1;
    }
    assert_eq!(received, 12);

    // Straight to the DLQ (as if the budget were spent), then inspected and redriven in pages.
    let dlq = &queue.config().dead_letter_url;
    for i in 0..12 {
        f.clients.sqs.send_message().queue_url(dlq).message_body(format!("dead {i}")).send().await.unwrap();
    }
    assert_eq!(queue.dead_letters(11).await.unwrap().len(), 11);
    assert_eq!(queue.dead_letters(20).await.unwrap().len(), 12);
    assert_eq!(queue.redrive(7).await.unwrap(), 7);
    assert_eq!(queue.redrive(20).await.unwrap(), 5);
    assert!(queue.dead_letters(20).await.unwrap().is_empty());
}
