//! Typed configuration: how to reach AWS ([`AwsSettings`]), the SDK clients built once from it
//! ([`AwsClients`]), and the names of the resources the adapters use ([`AwsResources`]).
//!
//! Nothing here reads the environment: a host builds these values from its own configuration
//! (or receives [`AwsResources`] from [`provision`](crate::provision)).

use std::fmt;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use order_ports::PerProcessor;

use crate::layout::TableLayout;

/// Where the credentials come from.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialsSource {
    /// The SDK's default provider chain (the Lambda execution role, an instance profile, …).
    /// The chain itself consults the process environment, as the AWS SDK documents; this crate
    /// never does.
    DefaultChain,
    /// Fixed keys, for local servers such as moto.
    Static {
        /// The access key id.
        access_key_id: String,
        /// The secret access key (never printed by `Debug`).
        secret_access_key: String,
    },
}

impl fmt::Debug for CredentialsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DefaultChain => f.write_str("DefaultChain"),
            Self::Static { access_key_id, .. } => {
                f.debug_struct("Static").field("access_key_id", access_key_id).finish_non_exhaustive()
            }
        }
    }
}

/// How to reach AWS: region, optional endpoint (a local server), credentials, retries and
/// timeouts.
///
/// ```
/// use adapters_aws::AwsSettings;
/// let local = AwsSettings::new("af-south-1")
///     .with_endpoint_url("http://127.0.0.1:5000")
///     .with_static_credentials("testing", "testing");
/// assert!(local.s3_force_path_style);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The region, e.g. `af-south-1`.
    pub region: String,
    /// A custom endpoint for every service (a local AWS-compatible server); `None` for AWS.
    pub endpoint_url: Option<String>,
    /// Where credentials come from.
    pub credentials: CredentialsSource,
    /// Attempts per call, including the first, made by the SDK's standard retry strategy
    /// before an error reaches an adapter (1 disables retries).
    pub max_attempts: u32,
    /// Upper bound for one call, all attempts included; `None` for the SDK default (none).
    pub operation_timeout: Option<Duration>,
    /// Upper bound for one attempt; `None` for the SDK default (none).
    pub attempt_timeout: Option<Duration>,
    /// Address buckets by path (`endpoint/bucket/key`) instead of by host name; needed by local
    /// servers.
    pub s3_force_path_style: bool,
}

impl AwsSettings {
    /// AWS itself in `region`: default credential chain, 3 attempts, no timeouts.
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            endpoint_url: None,
            credentials: CredentialsSource::DefaultChain,
            max_attempts: 3,
            operation_timeout: None,
            attempt_timeout: None,
            s3_force_path_style: false,
        }
    }

    /// Talks to `url` instead of AWS (and addresses S3 buckets by path).
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self.s3_force_path_style = true;
        self
    }

    /// Uses fixed credentials.
    pub fn with_static_credentials(mut self, access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.credentials =
            CredentialsSource::Static { access_key_id: access_key_id.into(), secret_access_key: secret.into() };
        self
    }

    /// Sets the attempts per call (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Bounds every call (all attempts) by `timeout`.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Bounds every attempt by `timeout`.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }
}

/// The five SDK clients, built once and shared by every adapter (each client is a cheap
/// handle around a shared connection pool; cloning it does not open connections).
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// SNS.
    pub sns: aws_sdk_sns::Client,
    /// S3.
    pub s3: aws_sdk_s3::Client,
    /// SES v2.
    pub ses: aws_sdk_sesv2::Client,
}

impl AwsClients {
    /// Builds the clients from `settings`.
    pub async fn connect(settings: &AwsSettings) -> Self {
        let mut timeouts = TimeoutConfig::builder();
        if let Some(timeout) = settings.operation_timeout {
            timeouts = timeouts.operation_timeout(timeout);
        }
        if let Some(timeout) = settings.attempt_timeout {
            timeouts = timeouts.operation_attempt_timeout(timeout);
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts.max(1)))
            .timeout_config(timeouts.build());
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let CredentialsSource::Static { access_key_id, secret_access_key } = &settings.credentials {
            loader = loader.credentials_provider(Credentials::new(
                access_key_id,
                secret_access_key,
                None,
                None,
                "adapters-aws-static",
            ));
        }
        let config = loader.load().await;
        Self::from_sdk_config(&config, settings.s3_force_path_style)
    }

    /// Builds the clients from an `SdkConfig` the host loaded itself.
    pub fn from_sdk_config(config: &SdkConfig, s3_force_path_style: bool) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(config).force_path_style(s3_force_path_style).build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3),
            ses: aws_sdk_sesv2::Client::new(config),
        }
    }
}

/// One processor's queue and its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// The queue's name (for logs), e.g. `bbws-orders-dev-record-writer`.
    pub name: String,
    /// The queue's URL.
    pub url: String,
    /// The dead-letter queue's URL.
    pub dead_letter_url: String,
}

/// The names of every resource the adapters use: what [`provision`](crate::provision) returns,
/// or what a host fills in from its own deployment outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    /// The single orders table (orders, claims, outbox, payments, effects, invoice serials).
    pub orders_table: String,
    /// The tenants table.
    pub tenants_table: String,
    /// The topic every event is published to.
    pub topic_arn: String,
    /// The four processor queues.
    pub queues: PerProcessor<QueueConfig>,
    /// The bucket for invoices and receipts.
    pub documents_bucket: String,
    /// The bucket for email template overrides.
    pub templates_bucket: String,
    /// The verified SES sender address.
    pub sender: String,
    /// How the orders table spreads its shared keys (feed shards, number sequences); every host
    /// of one deployment uses the same.
    pub layout: TableLayout,
}
