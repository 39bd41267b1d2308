//! The consumer on in-memory queues: shutdown mid-batch, a receive in progress at shutdown, the
//! grace running out, failures retried.

use std::sync::Arc;
use std::time::Duration;

use adapters_memory::{MemoryEventBus, MemoryQueue, QueueConfig};
use order_app::{Consumer, ConsumerOptions, ConsumerReport, Processor, Subscription};
use order_ports::{EventPublisher, EventQueue, ProcessorKind};

use crate::support::{Behaviour, Probe, TroubledQueue, assert_unique, events};

const SENT: usize = 30;

fn options() -> ConsumerOptions {
    ConsumerOptions {
        wait: Duration::from_millis(20),
        retry_delay: Duration::ZERO,
        grace: Duration::from_secs(10),
        ..ConsumerOptions::default()
    }
}

/// A bus with one queue per name, each holding the same [`SENT`] events.
async fn loaded(names: &[&str], config: QueueConfig) -> Vec<Arc<MemoryQueue>> {
    let bus = MemoryEventBus::new();
    let queues = names.iter().map(|name| bus.subscribe(*name, config)).collect();
    for event in events(SENT as u128) {
        bus.publish(&event).await.unwrap();
    }
    queues
}

fn subscription(processor: &Arc<Probe>, queue: Arc<dyn EventQueue>, concurrency: usize) -> Subscription {
    Subscription { processor: processor.clone() as Arc<dyn Processor>, queue, concurrency }
}

/// Every message is either handled (once) and gone, or visible on its queue; none in flight,
/// none dead.
fn assert_accounted(report: &ConsumerReport, probe: &Probe, queue: &MemoryQueue) {
    let counts = *report.processors.get(probe.kind);
    let handled = probe.handled();
    assert_unique(&handled);
    assert_eq!(counts.handled, handled.len(), "{report:?}");
    assert_eq!(queue.in_flight(), 0, "nothing stays hidden after the shutdown");
    assert_eq!(handled.len() + queue.depth(), SENT, "handled + remaining = sent ({report:?})");
    assert_eq!(queue.dead_letter_depth(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_mid_batch_finishes_what_is_in_flight_and_leaves_the_rest_on_the_queue() {
    let config = QueueConfig::with_max_receive_count(3);
    let queues = loaded(&["record-writer", "invoice-writer"], config).await;
    let records = Probe::new(ProcessorKind::RecordWriter, Behaviour::Slow(Duration::from_millis(150)));
    let invoices = Probe::new(ProcessorKind::InvoiceWriter, Behaviour::Slow(Duration::from_millis(100)));
    let subs = vec![subscription(&records, queues[0].clone(), 3), subscription(&invoices, queues[1].clone(), 5)];

    // Shut down once a few events of each processor are running.
    let shutdown = {
        let (records, invoices) = (records.clone(), invoices.clone());
        async move {
            records.wait_started(4).await;
            invoices.wait_started(6).await;
        }
    };
    let report = Consumer::new(subs, options()).run(shutdown).await;

    for (probe, queue) in [(&records, &queues[0]), (&invoices, &queues[1])] {
        assert_accounted(&report, probe, queue);
        let counts = *report.processors.get(probe.kind);
        assert_eq!(probe.started(), counts.handled, "every started event was finished: {report:?}");
        assert!(counts.handled > 0 && counts.handled < SENT, "stopped mid-way: {report:?}");
        assert_eq!((counts.failed, counts.abandoned), (0, 0), "{report:?}");
    }

    // A second consumer takes the rest: every event handled exactly once over both runs.
    let subs = vec![subscription(&records, queues[0].clone(), 3), subscription(&invoices, queues[1].clone(), 5)];
    let done = {
        let queues = queues.clone();
        async move {
            while queues.iter().any(|q| q.depth() + q.in_flight() > 0) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    Consumer::new(subs, options()).run(done).await;
    for (probe, queue) in [(&records, &queues[0]), (&invoices, &queues[1])] {
        let handled = probe.handled();
        assert_unique(&handled);
        assert_eq!(handled.len(), SENT);
        assert_eq!((queue.depth(), queue.in_flight(), queue.dead_letter_depth()), (0, 0, 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_received_while_shutting_down_are_released_visible_at_once() {
    let config = QueueConfig::with_max_receive_count(3);
    let queues = loaded(&["record-writer"], config).await;
    let queue = TroubledQueue::holding(queues[0].clone(), Duration::from_millis(200));
    let probe = Probe::new(ProcessorKind::RecordWriter, Behaviour::Slow(Duration::ZERO));
    let subs = vec![subscription(&probe, queue.clone(), 5)];

    // The shutdown comes while the first receive holds its five messages.
    let shutdown = {
        let queue = queue.clone();
        async move { queue.holding.notified().await }
    };
    let started = std::time::Instant::now();
    let report = Consumer::new(subs, options()).run(shutdown).await;

    let counts = report.processors.record_writer;
    assert_eq!((counts.received, counts.released, counts.handled), (5, 5, 0), "{report:?}");
    assert_eq!(probe.started(), 0, "nothing received during the shutdown is started");
    assert_accounted(&report, &probe, &queues[0]);
    assert_eq!(queues[0].depth(), SENT, "released with visibility 0: all visible at once");
    assert!(started.elapsed() < Duration::from_secs(2), "no wait for a visibility timeout");

    // The released messages are handed out again at once, with their receive counted.
    let again = queues[0].receive(10, Duration::ZERO).await.unwrap();
    assert_eq!(again.iter().filter(|d| d.receive_count == 2).count(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_still_running_when_the_grace_ends_return_after_their_visibility_timeout() {
    let config = QueueConfig { max_receive_count: 3, visibility_timeout: Duration::from_millis(400) };
    let queues = loaded(&["record-writer"], config).await;
    let probe = Probe::new(ProcessorKind::RecordWriter, Behaviour::Hang);
    let subs = vec![subscription(&probe, queues[0].clone(), 2)];
    let options = ConsumerOptions { grace: Duration::from_millis(100), ..options() };

    let shutdown = {
        let probe = probe.clone();
        async move { probe.wait_started(2).await }
    };
    let report = Consumer::new(subs, options).run(shutdown).await;

    let counts = report.processors.record_writer;
    assert_eq!((counts.received, counts.handled, counts.abandoned), (2, 0, 2), "{report:?}");
    assert_eq!(queues[0].in_flight(), 2, "abandoned, not acknowledged");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!((queues[0].depth(), queues[0].in_flight(), queues[0].dead_letter_depth()), (SENT, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_event_is_released_for_its_retry_and_then_handled() {
    let config = QueueConfig::with_max_receive_count(3);
    let queues = loaded(&["customer-notifier"], config).await;
    let probe = Probe::new(ProcessorKind::CustomerNotifier, Behaviour::FailOnce);
    let subs = vec![subscription(&probe, queues[0].clone(), 5)];
    let done = {
        let probe = probe.clone();
        async move {
            while probe.handled().len() < SENT {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    let report = Consumer::new(subs, options()).run(done).await;

    let counts = report.processors.customer_notifier;
    assert_eq!((counts.handled, counts.failed, counts.released), (SENT, SENT, 0), "{report:?}");
    assert_unique(&probe.handled());
    assert_eq!((queues[0].depth(), queues[0].in_flight(), queues[0].dead_letter_depth()), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_that_cannot_be_read_is_retried_after_a_pause() {
    let config = QueueConfig::with_max_receive_count(3);
    let queues = loaded(&["internal-notifier"], config).await;
    let queue = TroubledQueue::flaky(queues[0].clone(), 3);
    let probe = Probe::new(ProcessorKind::InternalNotifier, Behaviour::Slow(Duration::ZERO));
    let subs = vec![subscription(&probe, queue, 5)];
    let options = ConsumerOptions { error_backoff: Duration::from_millis(50), ..options() };
    let done = {
        let probe = probe.clone();
        async move {
            while probe.handled().len() < SENT {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    let started = std::time::Instant::now();
    let report = Consumer::new(subs, options).run(done).await;

    let counts = report.processors.internal_notifier;
    assert_eq!((counts.receive_errors, counts.handled, counts.failed), (3, SENT, 0), "{report:?}");
    assert!(started.elapsed() >= Duration::from_millis(150), "a pause after each failed receive");
    assert_unique(&probe.handled());
    assert_eq!((queues[0].depth(), queues[0].in_flight(), queues[0].dead_letter_depth()), (0, 0, 0));
}
