//! `provision`: every resource, with the right shape, and safe to run twice.

use adapters_aws::provision;
use aws_sdk_sqs::types::QueueAttributeName;
use order_ports::{PerProcessor, ProcessorKind};

use crate::support::{clients, spec};

#[tokio::test]
async fn provisioning_creates_every_resource_and_can_run_twice() {
    let clients = clients().await;
    let mut spec = spec();
    spec.max_receive_count =
        PerProcessor { record_writer: 3, invoice_writer: 4, internal_notifier: 5, customer_notifier: 6 };
    let first = provision(&clients, &spec).await.unwrap();
    let second = provision(&clients, &spec).await.unwrap();
    assert_eq!(first, second);

    let table = clients.dynamodb.describe_table().table_name(&first.orders_table).send().await.unwrap().table.unwrap();
    let mut indexes: Vec<_> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            let projection = i.projection().and_then(|p| p.projection_type()).map(|p| p.as_str().to_owned());
            (i.index_name().unwrap_or_default().to_owned(), projection.unwrap_or_default())
        })
        .collect();
    indexes.sort();
    let expected =
        [("FEEDS", "KEYS_ONLY"), ("GSI1", "ALL"), ("GSI2", "ALL")].map(|(n, p)| (n.to_owned(), p.to_owned()));
    assert_eq!(indexes, expected, "the work feeds project keys only: an index write costs one unit");
    assert_eq!(first.layout, spec.layout, "the layout is handed on");
    assert_eq!(
        table.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
    );
    clients.dynamodb.describe_table().table_name(&first.tenants_table).send().await.unwrap();

    let subscriptions = clients.sns.list_subscriptions_by_topic().topic_arn(&first.topic_arn).send().await.unwrap();
    assert_eq!(subscriptions.subscriptions().len(), 4, "one subscription per processor, not doubled by the rerun");
    for subscription in subscriptions.subscriptions() {
        let attributes = clients
            .sns
            .get_subscription_attributes()
            .subscription_arn(subscription.subscription_arn().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(attributes.attributes().unwrap().get("RawMessageDelivery").map(String::as_str), Some("true"));
    }

    for processor in ProcessorKind::ALL {
        let queue = first.queues.get(processor);
        assert_eq!(queue.name, spec.queue_name(processor));
        assert!(queue.name.ends_with(processor.name()));
        let attributes = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&queue.url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let redrive: serde_json::Value =
            serde_json::from_str(&attributes.attributes().unwrap()[&QueueAttributeName::RedrivePolicy]).unwrap();
        let count = match &redrive["maxReceiveCount"] {
            serde_json::Value::String(text) => text.parse::<u32>().unwrap(),
            other => u32::try_from(other.as_u64().unwrap()).unwrap(),
        };
        assert_eq!(count, *spec.max_receive_count.get(processor), "{processor}");
        let dlq_arn = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&queue.dead_letter_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        assert_eq!(
            redrive["deadLetterTargetArn"].as_str(),
            dlq_arn.attributes().unwrap().get(&QueueAttributeName::QueueArn).map(String::as_str)
        );
    }

    for bucket in [&first.documents_bucket, &first.templates_bucket] {
        let encryption = clients.s3.get_bucket_encryption().bucket(bucket).send().await.unwrap();
        let rule = &encryption.server_side_encryption_configuration().unwrap().rules()[0];
        assert_eq!(
            rule.apply_server_side_encryption_by_default().unwrap().sse_algorithm(),
            &aws_sdk_s3::types::ServerSideEncryption::Aes256
        );
    }
    let identity = clients.ses.get_email_identity().email_identity(&first.sender).send().await.unwrap();
    // moto reports verification in `VerificationStatus` (its `VerifiedForSendingStatus` stays false).
    assert_eq!(identity.verification_status(), Some(&aws_sdk_sesv2::types::VerificationStatus::Success));
}
