//! Publishing events, and the per-processor queues they fan out to.

use std::time::Duration;

use async_trait::async_trait;
use order_domain::EventEnvelope;

use crate::error::PortResult;

/// Publishes events to every subscriber (on AWS: one SNS topic, four subscribed SQS queues).
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event to every subscriber. Delivery is at least once: subscribers must
    /// tolerate duplicates.
    ///
    /// # Errors
    /// [`Unavailable`](crate::PortError::Unavailable) when the event may not have been
    /// published; the caller keeps it (claim or outbox) and publishes again later.
    async fn publish(&self, event: &EventEnvelope) -> PortResult<()>;
}

/// One message handed to a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The queue's id of the message.
    pub message_id: String,
    /// Handle to acknowledge or release this delivery.
    pub receipt: String,
    /// How many times the message has been received, this time included (1 on first delivery).
    pub receive_count: u32,
    /// The event, or why the body is not a valid event (such a message is never lost: it is
    /// released until its retry budget is spent and then lands in the dead-letter queue).
    pub event: Result<EventEnvelope, String>,
}

/// A message in a dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The queue's id of the message.
    pub message_id: String,
    /// The message body as received.
    pub body: String,
}

/// How many messages a queue holds, by state: what [`EventQueue::depth`] answers.
///
/// On SQS the counts are approximate (SQS's own `ApproximateNumberOf…` attributes, which may
/// lag by a minute); an in-memory queue counts exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Messages waiting to be received (SQS: `ApproximateNumberOfMessages`).
    pub visible: u64,
    /// Messages received and neither acknowledged nor visible again yet, those released with
    /// a delay included (SQS: `ApproximateNumberOfMessagesNotVisible`).
    pub in_flight: u64,
    /// Messages sent with a delay that has not passed, deferred ones among them (SQS:
    /// `ApproximateNumberOfMessagesDelayed`).
    pub delayed: u64,
    /// Messages in the queue's dead-letter queue (SQS: the dead-letter queue's
    /// `ApproximateNumberOfMessages`).
    pub dead_letters: u64,
    /// How long the oldest visible message has been on the queue, zero when none is visible;
    /// `None` when the queue cannot tell (SQS has no such attribute: CloudWatch's
    /// `ApproximateAgeOfOldestMessage` is where its figure is).
    pub oldest_age: Option<Duration>,
}

/// One subscriber's queue: each message is handed to one consumer at a time; a message not
/// acknowledged comes back, and after the queue's retry budget it moves to the queue's
/// dead-letter queue.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait EventQueue: Send + Sync {
    /// The queue's name, for logs.
    fn name(&self) -> &str;

    /// Up to `max` messages, waiting up to `wait` for the first to arrive. Each received
    /// message is hidden from other consumers until acknowledged or released (or its
    /// visibility timeout passes). A message received more times than the retry budget
    /// allows is moved to the dead-letter queue instead of being returned.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn receive(&self, max: usize, wait: Duration) -> PortResult<Vec<Delivery>>;

    /// Deletes a handled message.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable); acknowledging twice is a success.
    async fn ack(&self, receipt: &str) -> PortResult<()>;

    /// Makes a message that could not be handled visible again after `delay`, for a retry.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn release(&self, receipt: &str, delay: Duration) -> PortResult<()>;

    /// Hands a message that could not be handled *yet* back after `delay`, without spending its
    /// retry budget: it comes back with the same event and a receive count this receive did not
    /// raise. For contention (another worker holds the lease of what the message asks for),
    /// never for a failure — failures are [`release`](Self::release)d and count.
    ///
    /// A queue that cannot hide a message that long (SQS delays a message at most 15 minutes)
    /// hands it back earlier; the consumer then meets the lease again and defers again, still
    /// without cost. A queue that counts every receive (SQS) sends a copy of the event with the
    /// delay and then deletes the delivered message, so a crash in between duplicates the
    /// event and never loses it (processors are idempotent).
    ///
    /// # Errors
    /// [`Unavailable`](crate::PortError::Unavailable);
    /// [`InvalidData`](crate::PortError::InvalidData) when the delivery carries no valid event
    /// (such a message is released, never deferred). On an error the message is where it was:
    /// it returns after its visibility timeout, or the caller releases it.
    async fn defer(&self, delivery: &Delivery, delay: Duration) -> PortResult<()>;

    /// Messages in the dead-letter queue, at most `max`, without removing them.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn dead_letters(&self, max: usize) -> PortResult<Vec<DeadLetter>>;

    /// Moves up to `max` messages from the dead-letter queue back to the queue, with a fresh
    /// retry budget; returns how many moved.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn redrive(&self, max: usize) -> PortResult<usize>;

    /// The queue's retry budget: how many receives of a message it allows before the next
    /// moves the message to the dead-letter queue (SQS: the `maxReceiveCount` of the queue's
    /// redrive policy). A failed attempt on a delivery whose
    /// [`receive_count`](Delivery::receive_count) has reached it is the message's last.
    /// `None` when the queue cannot tell (the default), or has no dead-letter queue.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable). A caller that only measures treats
    /// an error as "not known" and carries on.
    async fn retry_budget(&self) -> PortResult<Option<u32>> {
        Ok(None)
    }

    /// How many messages the queue and its dead-letter queue hold, by state (see
    /// [`QueueDepth`]); `None` when the queue cannot tell (the default).
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn depth(&self) -> PortResult<Option<QueueDepth>> {
        Ok(None)
    }
}
