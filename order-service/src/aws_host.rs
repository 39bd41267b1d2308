//! Configuration of an AWS-backed host from its environment (feature `aws`): where AWS is, which
//! resources to use, and the key sealing billing addresses. The server, the Lambda functions,
//! the queue worker and the CLI all read the same variables, so one deployment's settings work
//! for every host. The hosts that run the application ([`AwsHost`]) also read its
//! [`Profile`] — the application's settings and the cart service (see
//! [`profile`](crate::profile)) — and name every missing or invalid variable of both in one
//! error.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `BBWS_AWS_REGION` (else `AWS_REGION`) | the region | `af-south-1` |
//! | `BBWS_AWS_ENDPOINT` | a local AWS-compatible server (moto); fixed `testing` keys unless `AWS_ACCESS_KEY_ID` is set | AWS itself |
//! | `BBWS_ENVIRONMENT` | `dev`, `sit` or `prod`: the default resource names | `dev` |
//! | `BBWS_FIELD_KEY` | 64 hex digits: the AES-256 key for billing addresses at rest | required |
//! | `BBWS_PROVISION` | `true`: create (or find) the environment's resources at start-up — local servers and dev accounts only | `false` |
//! | `BBWS_ORDERS_TABLE`, `BBWS_TENANTS_TABLE` | table names | `bbws-orders-{env}`, `bbws-tenants-{env}` |
//! | `BBWS_DOCUMENTS_BUCKET`, `BBWS_TEMPLATES_BUCKET` | bucket names | `bbws-orders-{env}`, `bbws-email-templates-{env}` |
//! | `BBWS_SENDER` | the verified SES sender | `orders@bbws.co.za` |
//! | `BBWS_TOPIC_ARN` | the event topic | required unless provisioning |
//! | `BBWS_QUEUE_URL_RECORD_WRITER` (`_INVOICE_WRITER`, `_INTERNAL_NOTIFIER`, `_CUSTOMER_NOTIFIER`) | each processor's queue | required unless provisioning |
//! | `BBWS_DLQ_URL_RECORD_WRITER` (…) | each processor's dead-letter queue | required unless provisioning |
//! | `BBWS_FEED_SHARDS` | shards of the orders table's work feeds (outbox, unrecorded claims, open orders), 1–1024 (`adapters_aws::TableLayout`) | `16` |
//! | `BBWS_FEED_SHARDS_READ` | shards the relay and sweeps read, at least `BBWS_FEED_SHARDS`: the old count while shards drain after a reduction | `BBWS_FEED_SHARDS` |
//! | `BBWS_NUMBER_SEQUENCES` | parallel gap-free sequences of each supplier's tax invoice and credit-note numbers, 1–1024 (`INV-000042`; sequence 7 `INV-07-000042`) | `1` |
//!
//! ```
//! use order_service::aws_host::{AwsHostConfig, Resources};
//! let env = [
//!     ("BBWS_AWS_ENDPOINT", "http://127.0.0.1:5000"),
//!     ("BBWS_FIELD_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
//!     ("BBWS_PROVISION", "true"),
//! ];
//! let config = AwsHostConfig::from_lookup(|name| {
//!     env.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
//! })?;
//! assert!(matches!(config.resources, Resources::Provision(_)));
//! # Ok::<(), order_service::aws_host::HostConfigError>(())
//! ```

use std::fmt;

use adapters_aws::layout::MAX_SHARDS;
use adapters_aws::{
    AwsClients, AwsResources, AwsSettings, ProvisionError, ProvisionSpec, QueueConfig, TableLayout, provision,
};
use adapters_system::CipherKey;
use order_ports::PortError;
use order_ports::{PerProcessor, ProcessorKind};

use crate::aws::{AwsStack, AwsStackOptions};
use crate::profile::{Mode, Profile};
use crate::settings::{InvalidSettings, SettingsReader};

/// The sender used when `BBWS_SENDER` is not set.
pub const DEFAULT_SENDER: &str = "orders@bbws.co.za";

/// The region used when neither `BBWS_AWS_REGION` nor `AWS_REGION` is set.
pub const DEFAULT_REGION: &str = "af-south-1";

/// Where a host's resources come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant, reason = "one value per process, read at start-up")]
pub enum Resources {
    /// Named by the environment (a deployment's outputs).
    Named(AwsResources),
    /// Created or found at start-up from the environment's default names.
    Provision(ProvisionSpec),
}

/// A host's AWS configuration, read from its environment.
#[derive(Clone)]
pub struct AwsHostConfig {
    /// The environment's name (`dev`, `sit`, `prod`).
    pub environment: String,
    /// How to reach AWS.
    pub settings: AwsSettings,
    /// The resources to use.
    pub resources: Resources,
    /// The key billing addresses are sealed with.
    pub cipher_key: CipherKey,
}

impl fmt::Debug for AwsHostConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsHostConfig")
            .field("environment", &self.environment)
            .field("settings", &self.settings)
            .field("resources", &self.resources)
            .finish_non_exhaustive()
    }
}

/// A configuration that cannot be used, or a start that failed.
#[derive(Debug, thiserror::Error)]
pub enum HostConfigError {
    /// Settings are missing or invalid; the message names every one.
    #[error(transparent)]
    Settings(#[from] InvalidSettings),
    /// Provisioning the resources failed.
    #[error("provisioning failed: {0}")]
    Provision(#[from] ProvisionError),
    /// The application could not be wired.
    #[error("wiring the application failed: {0}")]
    Wiring(#[from] PortError),
}

/// The per-processor suffix of the queue variables: `RECORD_WRITER`, ….
pub fn variable_suffix(processor: ProcessorKind) -> String {
    processor.name().replace('-', "_").to_uppercase()
}

impl AwsHostConfig {
    /// Reads the variables through `lookup` (empty values count as unset); a host passes the
    /// process environment, a test a list.
    ///
    /// # Errors
    /// [`HostConfigError::Settings`] naming every variable that is missing or invalid.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, HostConfigError> {
        let mut reader = SettingsReader::new(&lookup);
        let config = Self::read(&mut reader);
        Ok(reader.finish_with(config)?)
    }

    /// Reads the variables with `reader`, which keeps every problem (so that a host names them
    /// together with those of its other settings).
    pub fn read(reader: &mut SettingsReader<'_>) -> Option<Self> {
        let environment = reader.parsed_or("BBWS_ENVIRONMENT", "dev".to_owned(), |value| {
            if value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                Ok(value.to_owned())
            } else {
                Err("lower-case letters, digits and '-' only".to_owned())
            }
        });
        let region = reader
            .optional("BBWS_AWS_REGION")
            .or_else(|| reader.optional("AWS_REGION"))
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        let mut settings = AwsSettings::new(region);
        if let Some(endpoint) = reader.optional("BBWS_AWS_ENDPOINT") {
            settings = settings.with_endpoint_url(endpoint);
            if reader.optional("AWS_ACCESS_KEY_ID").is_none() {
                settings = settings.with_static_credentials("testing", "testing");
            }
        }
        // The key is a secret: its problem says what is wrong with it, never what it is.
        let cipher_key =
            reader.required_parsed("BBWS_FIELD_KEY", |key| CipherKey::from_hex(key).map_err(|error| error.to_string()));
        let provision = reader.parsed_or("BBWS_PROVISION", false, |value| match value {
            "false" | "0" => Ok(false),
            "true" | "1" => Ok(true),
            other => Err(format!("{other:?} is not true or false")),
        });

        let sender = reader.optional("BBWS_SENDER").unwrap_or_else(|| DEFAULT_SENDER.to_owned());
        let mut spec = ProvisionSpec::for_environment(environment.as_deref().unwrap_or("dev"), sender);
        if let Some(name) = reader.optional("BBWS_ORDERS_TABLE") {
            spec.orders_table = name;
        }
        if let Some(name) = reader.optional("BBWS_TENANTS_TABLE") {
            spec.tenants_table = name;
        }
        if let Some(name) = reader.optional("BBWS_DOCUMENTS_BUCKET") {
            spec.documents_bucket = name;
        }
        if let Some(name) = reader.optional("BBWS_TEMPLATES_BUCKET") {
            spec.templates_bucket = name;
        }
        // Each count is checked on its own, so that every bad one is named at once.
        let count = |value: &str| match value.parse::<u16>() {
            Ok(count) if (1..=MAX_SHARDS).contains(&count) => Ok(count),
            _ => Err(format!("{value:?} is not a count from 1 to {MAX_SHARDS}")),
        };
        let feed_shards = reader.parsed_or("BBWS_FEED_SHARDS", TableLayout::DEFAULT_FEED_SHARDS, count);
        let read_shards = reader.optional_parsed("BBWS_FEED_SHARDS_READ", count);
        let sequences = reader.parsed_or("BBWS_NUMBER_SEQUENCES", 1, count);
        if let (Some(shards), Some(read), Some(sequences)) = (feed_shards, read_shards, sequences) {
            match TableLayout::new(shards, sequences).and_then(|layout| read.map_or(Ok(layout), |r| layout.reading(r)))
            {
                Ok(layout) => spec.layout = layout,
                Err(error) => reader.invalid(
                    "BBWS_FEED_SHARDS_READ",
                    format!(
                        "{error} (BBWS_FEED_SHARDS is {shards}{})",
                        if reader.optional("BBWS_FEED_SHARDS").is_none() { ", its default" } else { "" }
                    ),
                ),
            }
        }
        let resources = if provision? {
            Resources::Provision(spec)
        } else {
            let topic_arn = reader.required("BBWS_TOPIC_ARN");
            // Every queue variable is read (and each missing one named) before any is used.
            let queues = PerProcessor::from_fn(|processor| {
                let suffix = variable_suffix(processor);
                let url = reader.required(&format!("BBWS_QUEUE_URL_{suffix}"));
                let dead_letter_url = reader.required(&format!("BBWS_DLQ_URL_{suffix}"));
                url.zip(dead_letter_url)
            });
            let queues = PerProcessor::try_from_fn(|processor| {
                let (url, dead_letter_url) = queues.get(processor).clone().ok_or(())?;
                Ok::<_, ()>(QueueConfig { name: spec.queue_name(processor), url, dead_letter_url })
            })
            .ok();
            Resources::Named(AwsResources {
                orders_table: spec.orders_table,
                tenants_table: spec.tenants_table,
                topic_arn: topic_arn?,
                queues: queues?,
                documents_bucket: spec.documents_bucket,
                templates_bucket: spec.templates_bucket,
                sender: spec.sender,
                layout: spec.layout,
            })
        };
        Some(Self { environment: environment?, settings, resources, cipher_key: cipher_key? })
    }

    /// Builds the SDK clients and settles the resources (provisioning them if asked to).
    ///
    /// # Errors
    /// When provisioning fails.
    pub async fn connect(&self) -> Result<(AwsClients, AwsResources), HostConfigError> {
        let clients = AwsClients::connect(&self.settings).await;
        let resources = match &self.resources {
            Resources::Named(resources) => resources.clone(),
            Resources::Provision(spec) => provision(&clients, spec).await?,
        };
        Ok((clients, resources))
    }

    /// Connects and wires the application on the AWS adapters with `profile`'s configuration
    /// and cart service.
    ///
    /// # Errors
    /// When provisioning fails or the renderers cannot load.
    pub async fn stack(&self, profile: Profile) -> Result<AwsStack, HostConfigError> {
        let (clients, resources) = self.connect().await?;
        let options = AwsStackOptions::new(profile.config, self.cipher_key.clone(), profile.carts);
        Ok(AwsStack::new(&clients, &resources, options)?)
    }
}

/// Everything an AWS host reads from its environment: where AWS and the resources are, and its
/// [`Profile`] (the application's settings and the cart service), every problem of either
/// named in one error.
///
/// ```
/// use order_service::aws_host::AwsHost;
/// use order_service::profile::Mode;
///
/// let error = AwsHost::from_lookup(|_| None, Mode::Production).unwrap_err().to_string();
/// assert!(error.starts_with("BBWS_FIELD_KEY is not set; BBWS_TOPIC_ARN is not set;"), "{error}");
/// assert!(error.contains("BBWS_SUPPLIER_VAT_NUMBER is not set") && error.contains("BBWS_CART_SERVICE_URL is not set"));
/// ```
#[derive(Debug, Clone)]
pub struct AwsHost {
    /// AWS and the resources.
    pub aws: AwsHostConfig,
    /// The application's settings and the cart service.
    pub profile: Profile,
}

impl AwsHost {
    /// Reads the AWS configuration and the profile of `mode` through `lookup`.
    ///
    /// # Errors
    /// [`HostConfigError::Settings`] naming every variable that is missing or invalid.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, mode: Mode) -> Result<Self, HostConfigError> {
        let mut reader = SettingsReader::new(&lookup);
        let aws = AwsHostConfig::read(&mut reader);
        let profile = Profile::read(&mut reader, mode);
        let (aws, profile) = reader.finish_with(aws.zip(profile))?;
        Ok(Self { aws, profile })
    }

    /// Connects and wires the application on AWS.
    ///
    /// # Errors
    /// When provisioning fails or the renderers cannot load.
    pub async fn stack(&self) -> Result<AwsStack, HostConfigError> {
        self.aws.stack(self.profile.clone()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn config(vars: &[(&str, &str)]) -> Result<AwsHostConfig, HostConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        AwsHostConfig::from_lookup(move |name| vars.iter().find(|(key, _)| key == name).map(|(_, v)| v.clone()))
    }

    fn named(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = vec![
            ("BBWS_FIELD_KEY".into(), KEY.into()),
            ("BBWS_TOPIC_ARN".into(), "arn:aws:sns:af-south-1:123456789012:bbws-order-events-sit".into()),
        ];
        for processor in ProcessorKind::ALL {
            let suffix = variable_suffix(processor);
            all.push((format!("BBWS_QUEUE_URL_{suffix}"), format!("https://sqs/{}", processor.name())));
            all.push((format!("BBWS_DLQ_URL_{suffix}"), format!("https://sqs/{}-dlq", processor.name())));
        }
        all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        all
    }

    fn from(vars: &[(String, String)]) -> Result<AwsHostConfig, HostConfigError> {
        let vars = vars.to_vec();
        AwsHostConfig::from_lookup(move |name| vars.iter().rev().find(|(key, _)| key == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn a_deployment_names_every_resource() {
        let config = from(&named(&[("BBWS_ENVIRONMENT", "sit"), ("AWS_REGION", "eu-west-1")])).unwrap();
        assert_eq!(config.environment, "sit");
        assert_eq!(config.settings.region, "eu-west-1");
        assert_eq!(config.settings.endpoint_url, None);
        let Resources::Named(resources) = config.resources else { panic!("named resources expected") };
        assert_eq!(resources.orders_table, "bbws-orders-sit");
        assert_eq!(resources.tenants_table, "bbws-tenants-sit");
        assert_eq!(resources.documents_bucket, "bbws-orders-sit");
        assert_eq!(resources.templates_bucket, "bbws-email-templates-sit");
        assert_eq!(resources.sender, DEFAULT_SENDER);
        let invoices = resources.queues.get(ProcessorKind::InvoiceWriter);
        assert_eq!(invoices.url, "https://sqs/invoice-writer");
        assert_eq!(invoices.dead_letter_url, "https://sqs/invoice-writer-dlq");
        assert_eq!(invoices.name, "bbws-orders-sit-invoice-writer");
    }

    #[test]
    fn explicit_names_win_over_the_defaults() {
        let config = from(&named(&[
            ("BBWS_ORDERS_TABLE", "orders-x"),
            ("BBWS_TENANTS_TABLE", "tenants-x"),
            ("BBWS_DOCUMENTS_BUCKET", "docs-x"),
            ("BBWS_TEMPLATES_BUCKET", "templates-x"),
            ("BBWS_SENDER", "billing@example.co.za"),
            ("BBWS_AWS_REGION", "af-south-1"),
            ("AWS_REGION", "us-east-1"),
        ]))
        .unwrap();
        assert_eq!(config.settings.region, "af-south-1");
        let Resources::Named(resources) = config.resources else { panic!("named resources expected") };
        assert_eq!(
            (
                resources.orders_table.as_str(),
                resources.tenants_table.as_str(),
                resources.documents_bucket.as_str(),
                resources.templates_bucket.as_str(),
                resources.sender.as_str()
            ),
            ("orders-x", "tenants-x", "docs-x", "templates-x", "billing@example.co.za")
        );
    }

    #[test]
    fn a_local_endpoint_gets_test_keys_and_may_provision() {
        let config =
            config(&[("BBWS_AWS_ENDPOINT", "http://127.0.0.1:5000"), ("BBWS_FIELD_KEY", KEY), ("BBWS_PROVISION", "1")])
                .unwrap();
        assert_eq!(config.settings.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert!(config.settings.s3_force_path_style);
        assert!(matches!(config.settings.credentials, adapters_aws::CredentialsSource::Static { .. }));
        let Resources::Provision(spec) = config.resources else { panic!("provisioning expected") };
        assert_eq!(spec.orders_table, "bbws-orders-dev");
    }

    #[test]
    fn missing_or_bad_values_are_named() {
        let error = config(&[("BBWS_PROVISION", "true")]).unwrap_err();
        assert_eq!(error.to_string(), "BBWS_FIELD_KEY is not set");
        let error = config(&[("BBWS_FIELD_KEY", "abc"), ("BBWS_PROVISION", "true")]).unwrap_err();
        assert!(error.to_string().starts_with("BBWS_FIELD_KEY: "), "{error}");
        let error = config(&[("BBWS_FIELD_KEY", KEY)]).unwrap_err();
        assert!(error.to_string().starts_with("BBWS_TOPIC_ARN is not set; BBWS_QUEUE_URL_RECORD_WRITER is not set;"));
        let error = config(&[("BBWS_FIELD_KEY", KEY), ("BBWS_PROVISION", "yes")]).unwrap_err();
        assert_eq!(error.to_string(), "BBWS_PROVISION: \"yes\" is not true or false");
        let error =
            config(&[("BBWS_FIELD_KEY", KEY), ("BBWS_ENVIRONMENT", "Prod"), ("BBWS_PROVISION", "1")]).unwrap_err();
        assert!(error.to_string().starts_with("BBWS_ENVIRONMENT: "), "{error}");
        let mut vars = named(&[]);
        vars.retain(|(name, _)| name != "BBWS_DLQ_URL_CUSTOMER_NOTIFIER");
        let error = from(&vars).unwrap_err();
        assert_eq!(error.to_string(), "BBWS_DLQ_URL_CUSTOMER_NOTIFIER is not set");
    }

    #[test]
    fn the_table_layout_is_read_and_every_bad_count_named() {
        let mut vars =
            named(&[("BBWS_FEED_SHARDS", "64"), ("BBWS_FEED_SHARDS_READ", "128"), ("BBWS_NUMBER_SEQUENCES", "8")]);
        let Resources::Named(resources) = from(&vars).unwrap().resources else { panic!("named resources expected") };
        let layout = resources.layout;
        assert_eq!((layout.feed_shards(), layout.feed_shards_read(), layout.number_sequences()), (64, 128, 8));
        let Resources::Named(resources) = from(&named(&[])).unwrap().resources else { panic!("named") };
        assert_eq!(resources.layout, TableLayout::default());

        vars = named(&[("BBWS_FEED_SHARDS", "abc"), ("BBWS_FEED_SHARDS_READ", "0"), ("BBWS_NUMBER_SEQUENCES", "5000")]);
        let error = from(&vars).unwrap_err().to_string();
        for name in ["BBWS_FEED_SHARDS:", "BBWS_FEED_SHARDS_READ:", "BBWS_NUMBER_SEQUENCES:"] {
            assert!(error.contains(name), "{name} in {error}");
        }
        let error = from(&named(&[("BBWS_FEED_SHARDS_READ", "8")])).unwrap_err().to_string();
        assert!(error.contains("at least the feed shards written (16)") && error.contains("its default"), "{error}");
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let error = config(&[("BBWS_FIELD_KEY", "abc"), ("BBWS_ENVIRONMENT", "Prod")]).unwrap_err();
        let HostConfigError::Settings(settings) = error else { panic!("settings expected") };
        let names: Vec<&str> = settings.names().collect();
        assert_eq!(names[..3], ["BBWS_ENVIRONMENT", "BBWS_FIELD_KEY", "BBWS_TOPIC_ARN"]);
        assert_eq!(names.len(), 3 + 2 * ProcessorKind::ALL.len(), "{names:?}");
    }

    #[test]
    fn the_key_never_prints() {
        let config = config(&[("BBWS_FIELD_KEY", KEY), ("BBWS_PROVISION", "true")]).unwrap();
        assert!(!format!("{config:?}").contains("00112233"));
    }
}
