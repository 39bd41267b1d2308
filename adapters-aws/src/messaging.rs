//! [`SnsEventPublisher`] and [`SqsEventQueue`]: one topic fanned out to one queue per processor.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue as SnsAttribute;
use aws_sdk_sqs::operation::delete_message::DeleteMessageError;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message, MessageAttributeValue,
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};
use order_domain::EventEnvelope;
use order_ports::{DeadLetter, Delivery, EventPublisher, EventQueue, PortError, PortResult, QueueDepth};
use tokio::sync::OnceCell;

use crate::config::QueueConfig;
use crate::error::{classify, invalid};

/// SQS hands out at most 10 messages per receive and takes at most 10 entries per batch.
const SQS_BATCH: usize = 10;
/// SQS delays a message it is sent by at most 15 minutes.
const MAX_DELAY_SECONDS: u64 = 900;
/// SQS long polling waits at most 20 seconds.
const MAX_WAIT_SECONDS: u64 = 20;
/// How long messages read from a dead-letter queue stay hidden while it is being read.
const DLQ_HOLD_SECONDS: i32 = 30;

/// Publishes events to one SNS topic: one `Publish` per event, the envelope's JSON as the
/// message and `eventType` / `orderId` as message attributes (which raw delivery hands on to
/// the queues).
#[derive(Debug, Clone)]
pub struct SnsEventPublisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsEventPublisher {
    /// A publisher to `topic_arn`.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Self { client, topic_arn: topic_arn.into() }
    }
}

fn sqs_string(value: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder().data_type("String").string_value(value).build().map_err(|e| {
        PortError::Unavailable {
            message: format!("could not build an SQS message attribute: {e}"),
            retryable: false,
            source: Some(Box::new(e)),
        }
    })
}

fn sns_string(value: &str) -> PortResult<SnsAttribute> {
    SnsAttribute::builder().data_type("String").string_value(value).build().map_err(|e| PortError::Unavailable {
        message: format!("could not build an SNS message attribute: {e}"),
        retryable: false,
        source: Some(Box::new(e)),
    })
}

#[async_trait]
impl EventPublisher for SnsEventPublisher {
    async fn publish(&self, event: &EventEnvelope) -> PortResult<()> {
        let body = serde_json::to_string(event).map_err(|e| invalid(format!("event does not serialize: {e}")))?;
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(body)
            .message_attributes("eventType", sns_string(event.event.event_type())?)
            .message_attributes("orderId", sns_string(&event.event.order_id().to_string())?)
            .send()
            .await
            .map_err(|e| classify("Publish", e))?;
        Ok(())
    }
}

/// One processor's SQS queue and its dead-letter queue.
///
/// The retry budget is the queue's redrive policy (`maxReceiveCount`, set by
/// [`provision`](crate::provision)): SQS itself moves a message to the dead-letter queue when it
/// is received once more than that. Calls: `receive` one `ReceiveMessage` (long polling, up to
/// 10 messages); `ack` one `DeleteMessage`; `release` one `ChangeMessageVisibility`; `defer`
/// one `SendMessage` of the event with `DelaySeconds` (the copy's receive count starts afresh,
/// which is what keeps contention off the retry budget) and one `DeleteMessage`, in that order;
/// `dead_letters` ⌈n/10⌉+1 `ReceiveMessage` and ⌈n/10⌉ `ChangeMessageVisibilityBatch` (to make
/// them visible again); `redrive` per batch of up to 10: one `ReceiveMessage` on the
/// dead-letter queue, one `SendMessageBatch` to the queue and one `DeleteMessageBatch` — send
/// before delete, so a crash in between duplicates a message rather than losing it;
/// `retry_budget` one `GetQueueAttributes` (`RedrivePolicy`) the first time it succeeds, none
/// after (a queue's redrive policy changes only with a deployment, which restarts the host);
/// `depth` two `GetQueueAttributes`, of the queue and of its dead-letter queue, at once.
#[derive(Debug, Clone)]
pub struct SqsEventQueue {
    client: aws_sdk_sqs::Client,
    queue: QueueConfig,
    /// The redrive policy's `maxReceiveCount`, once read (shared by clones).
    retry_budget: Arc<OnceCell<Option<u32>>>,
}

impl SqsEventQueue {
    /// The queue described by `queue`.
    pub fn new(client: aws_sdk_sqs::Client, queue: QueueConfig) -> Self {
        Self { client, queue, retry_budget: Arc::new(OnceCell::new()) }
    }

    /// The queue's configuration.
    pub fn config(&self) -> &QueueConfig {
        &self.queue
    }

    /// Receives up to `max` (≤ 10) messages from the dead-letter queue without waiting,
    /// hiding them for a while.
    async fn receive_dead(&self, max: usize, with_attributes: bool) -> PortResult<Vec<Message>> {
        let mut request = self
            .client
            .receive_message()
            .queue_url(&self.queue.dead_letter_url)
            .max_number_of_messages(batch_size(max))
            .visibility_timeout(DLQ_HOLD_SECONDS)
            .wait_time_seconds(0);
        if with_attributes {
            request = request.message_attribute_names("All");
        }
        let out = request.send().await.map_err(|e| classify("ReceiveMessage(dead letters)", e))?;
        Ok(out.messages.unwrap_or_default())
    }

    /// The attributes `names` of the queue at `url`.
    async fn attributes(
        &self,
        url: &str,
        names: &[QueueAttributeName],
        operation: &'static str,
    ) -> PortResult<HashMap<QueueAttributeName, String>> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .set_attribute_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|e| classify(operation, e))?;
        Ok(out.attributes.unwrap_or_default())
    }

    /// Reads the redrive policy's `maxReceiveCount`.
    async fn read_retry_budget(&self) -> PortResult<Option<u32>> {
        let attributes = self
            .attributes(&self.queue.url, &[QueueAttributeName::RedrivePolicy], "GetQueueAttributes(RedrivePolicy)")
            .await?;
        match attributes.get(&QueueAttributeName::RedrivePolicy) {
            Some(policy) if !policy.trim().is_empty() => max_receive_count(policy).map(Some),
            _ => Ok(None),
        }
    }

    /// Makes hidden dead-letter messages visible again.
    async fn unhide_dead(&self, receipts: &[String]) -> PortResult<()> {
        for chunk in receipts.chunks(SQS_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, receipt)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(receipt)
                        .visibility_timeout(0)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| PortError::permanent(format!("could not build a visibility change: {e}")))?;
            self.client
                .change_message_visibility_batch()
                .queue_url(&self.queue.dead_letter_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| classify("ChangeMessageVisibilityBatch(dead letters)", e))?;
        }
        Ok(())
    }
}

/// The `maxReceiveCount` of a redrive policy's JSON, a number or (as CloudFormation and the
/// console may write it) a string of one.
fn max_receive_count(policy: &str) -> PortResult<u32> {
    let unreadable = |why: &str| PortError::permanent(format!("the queue's redrive policy {why}: {policy}"));
    let policy: serde_json::Value = serde_json::from_str(policy).map_err(|_| unreadable("is not JSON"))?;
    let count = match policy.get("maxReceiveCount") {
        Some(serde_json::Value::Number(count)) => count.as_u64(),
        Some(serde_json::Value::String(count)) => count.trim().parse().ok(),
        _ => None,
    };
    count.and_then(|count| u32::try_from(count).ok()).ok_or_else(|| unreadable("has no valid maxReceiveCount"))
}

/// An `ApproximateNumberOf…` attribute; absent is 0.
fn count(attributes: &HashMap<QueueAttributeName, String>, name: &QueueAttributeName) -> PortResult<u64> {
    attributes.get(name).map_or(Ok(0), |value| {
        value
            .trim()
            .parse()
            .map_err(|_| PortError::permanent(format!("SQS answered {name:?} = {value:?}, not a count")))
    })
}

fn batch_size(max: usize) -> i32 {
    i32::try_from(max.clamp(1, SQS_BATCH)).unwrap_or(1)
}

fn seconds(duration: Duration, most: u64) -> i32 {
    let rounded_up = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i32::try_from(rounded_up.min(most)).unwrap_or(0)
}

fn delivery(message: Message) -> Option<Delivery> {
    let Some(receipt) = message.receipt_handle else {
        tracing::warn!(message_id = ?message.message_id, "message without a receipt handle skipped");
        return None;
    };
    let receive_count = message
        .attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|count| count.parse().ok())
        .unwrap_or(1);
    let event = match &message.body {
        Some(body) => serde_json::from_str::<EventEnvelope>(body).map_err(|e| format!("not an event: {e}")),
        None => Err("empty message body".to_owned()),
    };
    Some(Delivery { message_id: message.message_id.unwrap_or_default(), receipt, receive_count, event })
}

#[async_trait]
impl EventQueue for SqsEventQueue {
    fn name(&self) -> &str {
        &self.queue.name
    }

    async fn receive(&self, max: usize, wait: Duration) -> PortResult<Vec<Delivery>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue.url)
            .max_number_of_messages(batch_size(max))
            .wait_time_seconds(seconds(wait, MAX_WAIT_SECONDS))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| classify("ReceiveMessage", e))?;
        Ok(out.messages.unwrap_or_default().into_iter().filter_map(delivery).collect())
    }

    async fn ack(&self, receipt: &str) -> PortResult<()> {
        let result = self.client.delete_message().queue_url(&self.queue.url).receipt_handle(receipt).send().await;
        match result {
            Ok(_) => Ok(()),
            // A receipt of a message already deleted: acknowledging twice is a success.
            Err(e) if e.as_service_error().is_some_and(DeleteMessageError::is_receipt_handle_is_invalid) => Ok(()),
            Err(e) => Err(classify("DeleteMessage", e)),
        }
    }

    async fn release(&self, receipt: &str, delay: Duration) -> PortResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue.url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds(delay, 43_200))
            .send()
            .await
            .map_err(|e| classify("ChangeMessageVisibility", e))?;
        Ok(())
    }

    async fn defer(&self, delivery: &Delivery, delay: Duration) -> PortResult<()> {
        let event = delivery
            .event
            .as_ref()
            .map_err(|reason| PortError::InvalidData(format!("only an event can be deferred: {reason}")))?;
        let body = serde_json::to_string(event).map_err(|e| invalid(format!("event does not serialize: {e}")))?;
        // The attributes the topic's raw delivery puts on every message.
        self.client
            .send_message()
            .queue_url(&self.queue.url)
            .message_body(body)
            .delay_seconds(seconds(delay, MAX_DELAY_SECONDS))
            .message_attributes("eventType", sqs_string(event.event.event_type())?)
            .message_attributes("orderId", sqs_string(&event.event.order_id().to_string())?)
            .send()
            .await
            .map_err(|e| classify("SendMessage(defer)", e))?;
        // Sent before deleted: should the delete fail, the event is there twice, never lost.
        self.ack(&delivery.receipt).await
    }

    async fn dead_letters(&self, max: usize) -> PortResult<Vec<DeadLetter>> {
        let mut letters = Vec::new();
        let mut receipts = Vec::new();
        while letters.len() < max {
            let batch = self.receive_dead(max - letters.len(), false).await?;
            if batch.is_empty() {
                break;
            }
            for message in batch {
                receipts.extend(message.receipt_handle);
                letters.push(DeadLetter {
                    message_id: message.message_id.unwrap_or_default(),
                    body: message.body.unwrap_or_default(),
                });
            }
        }
        self.unhide_dead(&receipts).await?;
        Ok(letters)
    }

    async fn redrive(&self, max: usize) -> PortResult<usize> {
        let mut moved = 0;
        while moved < max {
            let batch = self.receive_dead(max - moved, true).await?;
            if batch.is_empty() {
                break;
            }
            let mut entries = Vec::with_capacity(batch.len());
            for (i, message) in batch.iter().enumerate() {
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(message.body.clone().unwrap_or_default())
                    .set_message_attributes(message.message_attributes.clone())
                    .build()
                    .map_err(|e| PortError::permanent(format!("could not build a redrive entry: {e}")))?;
                entries.push(entry);
            }
            let sent = self
                .client
                .send_message_batch()
                .queue_url(&self.queue.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| classify("SendMessageBatch(redrive)", e))?;
            let sent_ids: Vec<String> = sent.successful().iter().map(|s| s.id().to_owned()).collect();
            let mut deletes = Vec::new();
            let mut unsent = Vec::new();
            for (i, message) in batch.iter().enumerate() {
                let Some(receipt) = message.receipt_handle.clone() else { continue };
                if sent_ids.contains(&i.to_string()) {
                    deletes.push(
                        DeleteMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .receipt_handle(receipt)
                            .build()
                            .map_err(|e| PortError::permanent(format!("could not build a delete entry: {e}")))?,
                    );
                } else {
                    unsent.push(receipt);
                }
            }
            if !deletes.is_empty() {
                self.client
                    .delete_message_batch()
                    .queue_url(&self.queue.dead_letter_url)
                    .set_entries(Some(deletes))
                    .send()
                    .await
                    .map_err(|e| classify("DeleteMessageBatch(redrive)", e))?;
            }
            moved += sent_ids.len();
            if !unsent.is_empty() {
                self.unhide_dead(&unsent).await?;
                tracing::warn!(queue = %self.queue.name, failed = unsent.len(), "some dead letters were not redriven");
                break;
            }
        }
        Ok(moved)
    }

    async fn retry_budget(&self) -> PortResult<Option<u32>> {
        self.retry_budget.get_or_try_init(|| self.read_retry_budget()).await.copied()
    }

    /// SQS's approximate counts; no oldest age (CloudWatch's `ApproximateAgeOfOldestMessage`
    /// has it).
    async fn depth(&self) -> PortResult<Option<QueueDepth>> {
        let (queue, dead) = futures::try_join!(
            self.attributes(
                &self.queue.url,
                &[
                    QueueAttributeName::ApproximateNumberOfMessages,
                    QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
                    QueueAttributeName::ApproximateNumberOfMessagesDelayed,
                ],
                "GetQueueAttributes(depth)",
            ),
            self.attributes(
                &self.queue.dead_letter_url,
                &[QueueAttributeName::ApproximateNumberOfMessages],
                "GetQueueAttributes(dead-letter depth)",
            ),
        )?;
        Ok(Some(QueueDepth {
            visible: count(&queue, &QueueAttributeName::ApproximateNumberOfMessages)?,
            in_flight: count(&queue, &QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
            delayed: count(&queue, &QueueAttributeName::ApproximateNumberOfMessagesDelayed)?,
            dead_letters: count(&dead, &QueueAttributeName::ApproximateNumberOfMessages)?,
            oldest_age: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::max_receive_count;

    #[test]
    fn the_retry_budget_is_read_from_a_number_or_a_string() {
        let arn = "arn:aws:sqs:af-south-1:000000000000:records-dlq";
        let number = format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":5}}"#);
        let string = format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"7"}}"#);
        assert_eq!(max_receive_count(&number).ok(), Some(5));
        assert_eq!(max_receive_count(&string).ok(), Some(7));
        for bad in
            ["", "{}", r#"{"maxReceiveCount":-1}"#, r#"{"maxReceiveCount":"many"}"#, r#"{"maxReceiveCount":1e20}"#]
        {
            assert!(max_receive_count(bad).is_err(), "{bad:?} has no budget");
        }
    }
}
