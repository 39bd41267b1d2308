//! The application's resource configuration from the outputs of a stack deployed from
//! `deploy/template.yaml` (feature `aws`).
//!
//! The template gives every name a host needs as a stack output; [`resources_from_outputs`]
//! turns those outputs (key → value, however they were read: `DescribeStacks`,
//! `aws cloudformation describe-stacks`, a CI step) into the [`AwsResources`] the adapters take.
//! The output keys are the [`OUTPUT_KEYS`]; each output's description in the template names the
//! `BBWS_…` variable the functions receive the same value in.
//!
//! ```
//! use std::collections::BTreeMap;
//! use order_service::deploy_outputs::{OUTPUT_KEYS, resources_from_outputs};
//!
//! let outputs: BTreeMap<String, String> = OUTPUT_KEYS
//!     .iter()
//!     .map(|key| (key.to_string(), format!("https://sqs.af-south-1.amazonaws.com/123456789012/{key}")))
//!     .collect();
//! let resources = resources_from_outputs(&outputs)?;
//! assert_eq!(resources.queues.record_writer.name, "RecordWriterQueueUrl");
//! # Ok::<(), order_service::deploy_outputs::MissingOutput>(())
//! ```

use std::collections::BTreeMap;

use adapters_aws::{AwsResources, QueueConfig, TableLayout};
use order_ports::{PerProcessor, ProcessorKind};

/// The outputs [`resources_from_outputs`] reads.
pub const OUTPUT_KEYS: [&str; 14] = [
    "OrdersTableName",
    "TenantsTableName",
    "EventTopicArn",
    "RecordWriterQueueUrl",
    "InvoiceWriterQueueUrl",
    "InternalNotifierQueueUrl",
    "CustomerNotifierQueueUrl",
    "RecordWriterDeadLetterQueueUrl",
    "InvoiceWriterDeadLetterQueueUrl",
    "InternalNotifierDeadLetterQueueUrl",
    "CustomerNotifierDeadLetterQueueUrl",
    "DocumentsBucketName",
    "TemplatesBucketName",
    "Sender",
];

/// A stack output [`resources_from_outputs`] needs is absent (or empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stack has no output {0}")]
pub struct MissingOutput(pub String);

/// The output key prefix of a processor's queues: `RecordWriter`, `InvoiceWriter`, ….
pub fn output_prefix(processor: ProcessorKind) -> &'static str {
    match processor {
        ProcessorKind::RecordWriter => "RecordWriter",
        ProcessorKind::InvoiceWriter => "InvoiceWriter",
        ProcessorKind::InternalNotifier => "InternalNotifier",
        ProcessorKind::CustomerNotifier => "CustomerNotifier",
    }
}

/// The resources named by a deployed stack's outputs. A queue's name is the last segment of
/// its URL.
///
/// # Errors
/// [`MissingOutput`] naming the first of [`OUTPUT_KEYS`] that is absent or empty.
pub fn resources_from_outputs(outputs: &BTreeMap<String, String>) -> Result<AwsResources, MissingOutput> {
    let get = |key: &str| -> Result<String, MissingOutput> {
        outputs.get(key).filter(|value| !value.is_empty()).cloned().ok_or_else(|| MissingOutput(key.to_owned()))
    };
    let queue = |processor: ProcessorKind| -> Result<QueueConfig, MissingOutput> {
        let prefix = output_prefix(processor);
        let url = get(&format!("{prefix}QueueUrl"))?;
        let dead_letter_url = get(&format!("{prefix}DeadLetterQueueUrl"))?;
        let name = url.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
        Ok(QueueConfig { name, url, dead_letter_url })
    };
    Ok(AwsResources {
        orders_table: get("OrdersTableName")?,
        tenants_table: get("TenantsTableName")?,
        topic_arn: get("EventTopicArn")?,
        queues: PerProcessor {
            record_writer: queue(ProcessorKind::RecordWriter)?,
            invoice_writer: queue(ProcessorKind::InvoiceWriter)?,
            internal_notifier: queue(ProcessorKind::InternalNotifier)?,
            customer_notifier: queue(ProcessorKind::CustomerNotifier)?,
        },
        documents_bucket: get("DocumentsBucketName")?,
        templates_bucket: get("TemplatesBucketName")?,
        sender: get("Sender")?,
        layout: layout_from_outputs(outputs),
    })
}

/// The table layout of the outputs `FeedShards` and `NumberSequences` (the template's
/// parameters of the same names); the default layout where they are absent or not counts.
fn layout_from_outputs(outputs: &BTreeMap<String, String>) -> TableLayout {
    let count = |key: &str| outputs.get(key).and_then(|value| value.trim().parse::<u16>().ok());
    let default = TableLayout::default();
    TableLayout::new(
        count("FeedShards").unwrap_or(default.feed_shards()),
        count("NumberSequences").unwrap_or(default.number_sequences()),
    )
    .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs() -> BTreeMap<String, String> {
        let mut outputs: BTreeMap<String, String> =
            OUTPUT_KEYS.iter().map(|key| ((*key).to_owned(), format!("value-of-{key}"))).collect();
        for processor in ProcessorKind::ALL {
            let prefix = output_prefix(processor);
            let base =
                format!("https://sqs.af-south-1.amazonaws.com/123456789012/bbws-orders-sit-{}", processor.name());
            outputs.insert(format!("{prefix}QueueUrl"), base.clone());
            outputs.insert(format!("{prefix}DeadLetterQueueUrl"), format!("{base}-dlq"));
        }
        outputs
    }

    #[test]
    fn every_name_comes_from_its_output() {
        let resources = resources_from_outputs(&outputs()).unwrap();
        assert_eq!(resources.orders_table, "value-of-OrdersTableName");
        assert_eq!(resources.tenants_table, "value-of-TenantsTableName");
        assert_eq!(resources.topic_arn, "value-of-EventTopicArn");
        assert_eq!(resources.documents_bucket, "value-of-DocumentsBucketName");
        assert_eq!(resources.templates_bucket, "value-of-TemplatesBucketName");
        assert_eq!(resources.sender, "value-of-Sender");
        for (processor, queue) in resources.queues.iter() {
            assert_eq!(queue.name, format!("bbws-orders-sit-{}", processor.name()));
            assert!(queue.url.ends_with(&queue.name), "{queue:?}");
            assert_eq!(queue.dead_letter_url, format!("{}-dlq", queue.url));
        }
    }

    #[test]
    fn a_missing_or_empty_output_is_named() {
        let mut missing = outputs();
        missing.remove("InternalNotifierDeadLetterQueueUrl");
        assert_eq!(
            resources_from_outputs(&missing).unwrap_err().to_string(),
            "the stack has no output InternalNotifierDeadLetterQueueUrl"
        );
        let mut empty = outputs();
        empty.insert("EventTopicArn".into(), String::new());
        assert_eq!(resources_from_outputs(&empty).unwrap_err(), MissingOutput("EventTopicArn".into()));
    }
}
