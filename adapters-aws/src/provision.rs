//! Creating every resource the adapters need, on AWS or on a local server.

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use aws_sdk_s3::operation::create_bucket::CreateBucketError;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use aws_sdk_sesv2::operation::create_email_identity::CreateEmailIdentityError;
use aws_sdk_sqs::operation::get_queue_url::GetQueueUrlError;
use aws_sdk_sqs::types::QueueAttributeName;

use order_ports::{PerProcessor, ProcessorKind};

use crate::config::{AwsClients, AwsResources, QueueConfig};
use crate::dynamo::names::{FEEDPK, FEEDS, FEEDSK, GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, PK, SK};
use crate::error::ProvisionError;
use crate::layout::TableLayout;

/// Dead letters are kept 14 days, SQS's maximum.
const DLQ_RETENTION_SECONDS: u32 = 1_209_600;
/// How long provisioning waits for a table to become ACTIVE.
const TABLE_WAIT: Duration = Duration::from_mins(5);

/// What to create: every name, and the queues' retry budgets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionSpec {
    /// The orders table.
    pub orders_table: String,
    /// The tenants table.
    pub tenants_table: String,
    /// The event topic's name.
    pub topic_name: String,
    /// Queues are named `{queue_prefix}-{processor}` and `{queue_prefix}-{processor}-dlq`.
    pub queue_prefix: String,
    /// The documents bucket (globally unique on AWS).
    pub documents_bucket: String,
    /// The email-templates bucket (globally unique on AWS).
    pub templates_bucket: String,
    /// The sender address, verified as an SES identity (a bare address, `orders@example.co.za`).
    pub sender: String,
    /// Receives per message before SQS moves it to the dead-letter queue. The HLD's "3
    /// retries" is 4; AWS advises at least 5 for a queue drained by Lambda, because throttled
    /// invocations count as receives too.
    pub max_receive_count: PerProcessor<u32>,
    /// How long a received message stays hidden before it is handed out again.
    pub visibility_timeout: Duration,
    /// How the orders table spreads its shared keys (not a property of the table's schema:
    /// it is handed on in [`AwsResources::layout`]).
    pub layout: TableLayout,
}

impl ProvisionSpec {
    /// The names of DESIGN §4 for an environment (`dev`, `sit`, `prod`): table
    /// `bbws-orders-{env}`, `bbws-tenants-{env}`, topic `bbws-order-events-{env}`, queues
    /// `bbws-orders-{env}-record-writer` (…), buckets `bbws-orders-{env}` and
    /// `bbws-email-templates-{env}`; 5 receives per message, 30 s visibility.
    pub fn for_environment(environment: &str, sender: impl Into<String>) -> Self {
        Self {
            orders_table: format!("bbws-orders-{environment}"),
            tenants_table: format!("bbws-tenants-{environment}"),
            topic_name: format!("bbws-order-events-{environment}"),
            queue_prefix: format!("bbws-orders-{environment}"),
            documents_bucket: format!("bbws-orders-{environment}"),
            templates_bucket: format!("bbws-email-templates-{environment}"),
            sender: sender.into(),
            max_receive_count: PerProcessor::all(5),
            visibility_timeout: Duration::from_secs(30),
            layout: TableLayout::default(),
        }
    }

    /// The queue name of `processor`.
    pub fn queue_name(&self, processor: ProcessorKind) -> String {
        format!("{}-{}", self.queue_prefix, processor.name())
    }
}

/// Creates (or finds) everything the adapters use and returns its configuration:
///
/// - the orders table (`PK`/`SK`, on-demand; GSI1 `GSI1PK`/`GSI1SK` and GSI2 `GSI2PK` projecting
///   `ALL`, FEEDS `FEEDPK`/`FEEDSK` projecting `KEYS_ONLY`) and the tenants table (`PK`/`SK`, on-demand), waiting until both are
///   ACTIVE;
/// - the topic, and per processor a dead-letter queue (14 days' retention) and a queue with
///   the visibility timeout, a redrive policy (`maxReceiveCount`) and a policy that lets the
///   topic send to it, subscribed to the topic with raw message delivery;
/// - the two buckets, with default SSE-S3 (AES-256) encryption, the documents bucket versioned;
/// - the sender as an SES email identity.
///
/// Running it again finds what exists and re-applies the queue attributes, so it is safe to
/// run twice.
///
/// # Errors
/// [`ProvisionError`] naming the step that failed.
pub async fn provision(clients: &AwsClients, spec: &ProvisionSpec) -> Result<AwsResources, ProvisionError> {
    create_table(clients, &spec.orders_table, true).await?;
    create_table(clients, &spec.tenants_table, false).await?;

    let topic = clients
        .sns
        .create_topic()
        .name(&spec.topic_name)
        .send()
        .await
        .map_err(|e| ProvisionError::sdk("CreateTopic", e))?;
    let topic_arn = topic.topic_arn.ok_or_else(|| ProvisionError::other("CreateTopic", "no topic ARN returned"))?;

    let queue = |kind| create_queue_pair(clients, spec, kind, &topic_arn);
    let queues = PerProcessor {
        record_writer: queue(ProcessorKind::RecordWriter).await?,
        invoice_writer: queue(ProcessorKind::InvoiceWriter).await?,
        internal_notifier: queue(ProcessorKind::InternalNotifier).await?,
        customer_notifier: queue(ProcessorKind::CustomerNotifier).await?,
    };

    create_bucket(clients, &spec.documents_bucket, true).await?;
    create_bucket(clients, &spec.templates_bucket, false).await?;

    match clients.ses.create_email_identity().email_identity(&spec.sender).send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(CreateEmailIdentityError::is_already_exists_exception) => {}
        Err(e) => return Err(ProvisionError::sdk("CreateEmailIdentity", e)),
    }

    Ok(AwsResources {
        orders_table: spec.orders_table.clone(),
        tenants_table: spec.tenants_table.clone(),
        topic_arn,
        queues,
        documents_bucket: spec.documents_bucket.clone(),
        templates_bucket: spec.templates_bucket.clone(),
        sender: spec.sender.clone(),
        layout: spec.layout,
    })
}

fn attribute(name: &str) -> Result<AttributeDefinition, ProvisionError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| ProvisionError::other("CreateTable", e.to_string()))
}

fn key_element(name: &str, key_type: KeyType) -> Result<KeySchemaElement, ProvisionError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(|e| ProvisionError::other("CreateTable", e.to_string()))
}

fn index(
    name: &str,
    keys: Vec<KeySchemaElement>,
    projection: ProjectionType,
) -> Result<GlobalSecondaryIndex, ProvisionError> {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .set_key_schema(Some(keys))
        .projection(Projection::builder().projection_type(projection).build())
        .build()
        .map_err(|e| ProvisionError::other("CreateTable", e.to_string()))
}

async fn create_table(clients: &AwsClients, name: &str, with_indexes: bool) -> Result<(), ProvisionError> {
    let step = format!("CreateTable {name}");
    let mut request = clients
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(PK)?)
        .attribute_definitions(attribute(SK)?)
        .key_schema(key_element(PK, KeyType::Hash)?)
        .key_schema(key_element(SK, KeyType::Range)?);
    if with_indexes {
        request = request
            .attribute_definitions(attribute(GSI1PK)?)
            .attribute_definitions(attribute(GSI1SK)?)
            .attribute_definitions(attribute(GSI2PK)?)
            .attribute_definitions(attribute(FEEDPK)?)
            .attribute_definitions(attribute(FEEDSK)?)
            .global_secondary_indexes(index(
                GSI1,
                vec![key_element(GSI1PK, KeyType::Hash)?, key_element(GSI1SK, KeyType::Range)?],
                ProjectionType::All,
            )?)
            .global_secondary_indexes(index(GSI2, vec![key_element(GSI2PK, KeyType::Hash)?], ProjectionType::All)?)
            .global_secondary_indexes(index(
                FEEDS,
                vec![key_element(FEEDPK, KeyType::Hash)?, key_element(FEEDSK, KeyType::Range)?],
                ProjectionType::KeysOnly,
            )?);
    }
    match request.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(CreateTableError::is_resource_in_use_exception) => {}
        Err(e) => return Err(ProvisionError::sdk(step, e)),
    }
    clients
        .dynamodb
        .wait_until_table_exists()
        .table_name(name)
        .wait(TABLE_WAIT)
        .await
        .map_err(|e| ProvisionError::other(format!("waiting for table {name}"), e.to_string()))?;
    Ok(())
}

/// The URL of the queue `name`, created if absent.
async fn queue_url(clients: &AwsClients, name: &str) -> Result<String, ProvisionError> {
    match clients.sqs.get_queue_url().queue_name(name).send().await {
        Ok(out) => return out.queue_url.ok_or_else(|| ProvisionError::other("GetQueueUrl", "no URL returned")),
        Err(e) if e.as_service_error().is_some_and(GetQueueUrlError::is_queue_does_not_exist) => {}
        Err(e) => return Err(ProvisionError::sdk(format!("GetQueueUrl {name}"), e)),
    }
    let out = clients
        .sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| ProvisionError::sdk(format!("CreateQueue {name}"), e))?;
    out.queue_url.ok_or_else(|| ProvisionError::other(format!("CreateQueue {name}"), "no URL returned"))
}

async fn queue_arn(clients: &AwsClients, url: &str) -> Result<String, ProvisionError> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| ProvisionError::sdk("GetQueueAttributes", e))?;
    out.attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| ProvisionError::other("GetQueueAttributes", format!("no ARN for {url}")))
}

async fn create_queue_pair(
    clients: &AwsClients,
    spec: &ProvisionSpec,
    processor: ProcessorKind,
    topic_arn: &str,
) -> Result<QueueConfig, ProvisionError> {
    let name = spec.queue_name(processor);
    let dlq_name = format!("{name}-dlq");
    let dlq_url = queue_url(clients, &dlq_name).await?;
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&dlq_url)
        .attributes(QueueAttributeName::MessageRetentionPeriod, DLQ_RETENTION_SECONDS.to_string())
        .send()
        .await
        .map_err(|e| ProvisionError::sdk(format!("SetQueueAttributes {dlq_name}"), e))?;
    let dlq_arn = queue_arn(clients, &dlq_url).await?;

    let url = queue_url(clients, &name).await?;
    let arn = queue_arn(clients, &url).await?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": spec.max_receive_count.get(processor).to_string(),
    });
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "topic-sends",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}
        }]
    });
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::VisibilityTimeout, spec.visibility_timeout.as_secs().to_string())
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .map_err(|e| ProvisionError::sdk(format!("SetQueueAttributes {name}"), e))?;

    clients
        .sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(&arn)
        .attributes("RawMessageDelivery", "true")
        .return_subscription_arn(true)
        .send()
        .await
        .map_err(|e| ProvisionError::sdk(format!("Subscribe {name}"), e))?;

    Ok(QueueConfig { name, url, dead_letter_url: dlq_url })
}

async fn create_bucket(clients: &AwsClients, bucket: &str, versioned: bool) -> Result<(), ProvisionError> {
    let mut request = clients.s3.create_bucket().bucket(bucket);
    let region = clients.s3.config().region().map(ToString::to_string).unwrap_or_default();
    if !region.is_empty() && region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(CreateBucketError::is_bucket_already_owned_by_you) => {}
        Err(e) => return Err(ProvisionError::sdk(format!("CreateBucket {bucket}"), e)),
    }
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .map_err(|e| ProvisionError::other("PutBucketEncryption", e.to_string()))?;
    let encryption = ServerSideEncryptionConfiguration::builder()
        .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default).build())
        .build()
        .map_err(|e| ProvisionError::other("PutBucketEncryption", e.to_string()))?;
    clients
        .s3
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(encryption)
        .send()
        .await
        .map_err(|e| ProvisionError::sdk(format!("PutBucketEncryption {bucket}"), e))?;
    if versioned {
        clients
            .s3
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
            )
            .send()
            .await
            .map_err(|e| ProvisionError::sdk(format!("PutBucketVersioning {bucket}"), e))?;
    }
    Ok(())
}
