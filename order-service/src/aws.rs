//! The whole application wired to the AWS adapters (feature `aws`): the same application and
//! processors as [`InMemoryStack`](crate::memory::InMemoryStack), on real infrastructure.
//!
//! | port | adapter |
//! |---|---|
//! | orders, cart claims, effect records, invoice serials | DynamoDB orders table |
//! | tenants | DynamoDB tenants table |
//! | events | one SNS topic, fanned out to four SQS queues, each with its dead-letter queue |
//! | tax documents | S3 documents bucket (SSE-S3, AES-256) |
//! | email templates | S3 templates bucket (overrides of the built-in templates), each read kept for a minute |
//! | email | SES v2 |
//! | PDF and email rendering | `adapters-documents` |
//! | billing addresses at rest | AES-256-GCM ([`AesGcmCipher`]) under a key from the host |
//! | campaign catalog | `DynamoCampaignCatalog` (`CAMPAIGN#{code}` items in the orders table) |
//! | cart service | the one given: the cart service's HTTP API (`adapters-cart-service`) from a host's settings, an in-memory one in development mode and tests |
//!
//! A host builds [`AwsClients`] once from its settings, gets [`AwsResources`] from
//! [`provision`](adapters_aws::provision) or its deployment outputs, and wires them with its
//! application settings and cart service (the hosts do all of it with
//! [`AwsHost`](crate::aws_host::AwsHost)):
//!
//! ```no_run
//! # async fn wire(env: impl Fn(&str) -> Option<String>) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use adapters_aws::{AwsClients, AwsSettings, ProvisionSpec, provision};
//! use adapters_cart_service::{CartServiceConfig, CartServiceToken, HttpCartGateway};
//! use adapters_system::CipherKey;
//! use order_service::app_settings::AppSettings;
//! use order_service::aws::{AwsStack, AwsStackOptions};
//!
//! let clients = AwsClients::connect(&AwsSettings::new("af-south-1")).await;
//! let resources = provision(&clients, &ProvisionSpec::for_environment("dev", "orders@bbws.co.za")).await?;
//! let key = CipherKey::from_hex(&std::fs::read_to_string("/run/secrets/field-key")?)?;
//! let settings = AppSettings::from_lookup(env)?; // a host passes its environment
//! let token = CartServiceToken::new(std::fs::read_to_string("/run/secrets/cart-token")?.trim())?;
//! let carts = Arc::new(HttpCartGateway::new(&CartServiceConfig::new("https://carts.internal", token)?)?);
//! let stack = AwsStack::new(&clients, &resources, AwsStackOptions::new(settings.config(), key, carts))?;
//! let report = stack.drain().await?; // handle what the four queues hold, then return
//! # let _ = report; Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use adapters_aws::{AwsAdapters, AwsClients, AwsResources, DynamoCampaignCatalog, S3TemplateSource, SqsEventQueue};
use adapters_documents::{PdfRenderer, TemplateRenderer};
use adapters_system::{AesGcmCipher, CipherKey};
use order_app::{
    AppConfig, Consumer, ConsumerOptions, ConsumerReport, Documents, Messaging, OrderApp, Processor, Storage,
    Subscription, Upstream,
};
use order_ports::{CartGateway, Clock, EventQueue, IdGenerator, PerProcessor, PortError, ProcessorKind};

/// How to build an [`AwsStack`].
#[derive(Clone)]
pub struct AwsStackOptions {
    /// The application's configuration.
    pub config: AppConfig,
    /// The key billing addresses are sealed with before they are stored.
    pub cipher_key: CipherKey,
    /// The cart service: its HTTP API in production (`adapters-cart-service`), an in-memory
    /// one in development mode and tests.
    pub carts: Arc<dyn CartGateway>,
    /// The time (the wall clock of [`system_ports`](crate::system_ports) unless replaced).
    pub clock: Arc<dyn Clock>,
    /// Fresh ids (random, of [`system_ports`](crate::system_ports), unless replaced).
    pub ids: Arc<dyn IdGenerator>,
    /// Events handled at once per processor.
    pub concurrency: usize,
    /// How long one poll of a queue waits for messages (SQS long polling, rounded up to whole
    /// seconds, at most 20). [`Duration::ZERO`] is a short poll: quick, but on SQS a short poll
    /// samples only some servers and may miss messages, so [`AwsStack::drain`] may return early.
    pub poll_wait: Duration,
    /// How long a failed message stays hidden before it is received again.
    pub retry_delay: Duration,
    /// How long an email template read from S3 (or its absence) is kept before it is read again.
    pub template_ttl: Duration,
}

impl AwsStackOptions {
    /// `config`, `cipher_key` and the cart service `carts`, the system clock, random ids, 8
    /// events at once per processor, 1 s long polls, failed messages retried at once.
    pub fn new(config: AppConfig, cipher_key: CipherKey, carts: Arc<dyn CartGateway>) -> Self {
        let system = crate::system_ports();
        Self {
            config,
            cipher_key,
            carts,
            clock: system.clock,
            ids: system.ids,
            concurrency: 8,
            poll_wait: Duration::from_secs(1),
            retry_delay: Duration::ZERO,
            template_ttl: Duration::from_mins(1),
        }
    }

    /// Uses another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses another id generator.
    pub fn with_ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = ids;
        self
    }

    /// Handles up to `concurrency` events at once per processor (at least 1).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Waits up to `wait` in each poll of a queue.
    pub fn with_poll_wait(mut self, wait: Duration) -> Self {
        self.poll_wait = wait;
        self
    }

    /// Keeps email templates read from S3 for `ttl` ([`Duration::ZERO`] reads them for every
    /// email).
    pub fn with_template_ttl(mut self, ttl: Duration) -> Self {
        self.template_ttl = ttl;
        self
    }

    /// Hides a failed message for `delay` before its retry.
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }
}

/// The application on the AWS adapters, with the adapters kept so that callers can seed
/// campaigns, publish, and reach the queues and their dead-letter queues.
pub struct AwsStack {
    /// The application.
    pub app: Arc<OrderApp>,
    /// Every AWS adapter; `adapters.queues` are the four processor queues.
    pub adapters: AwsAdapters,
    /// The names of the resources the adapters use.
    pub resources: AwsResources,
    /// The cart service the application fetches carts from.
    pub carts: Arc<dyn CartGateway>,
    /// Campaign rules (in the orders table; `put` seeds them).
    pub campaigns: Arc<DynamoCampaignCatalog>,
    concurrency: usize,
    poll_wait: Duration,
    retry_delay: Duration,
}

impl AwsStack {
    /// Wires the application to the resources named by `resources`, through `clients`.
    /// Nothing is called on AWS until the application is used.
    ///
    /// # Errors
    /// When the renderers cannot load their built-in fonts or templates.
    pub fn new(clients: &AwsClients, resources: &AwsResources, options: AwsStackOptions) -> Result<Self, PortError> {
        let cipher = Arc::new(AesGcmCipher::new(&options.cipher_key));
        let adapters = AwsAdapters::new(clients, resources, cipher);
        let carts = options.carts;
        let campaigns = adapters.campaigns.clone();
        let templates =
            S3TemplateSource::new(clients.s3.clone(), &resources.templates_bucket).with_cache_ttl(options.template_ttl);
        let app = crate::app_builder()
            .storage(Storage {
                orders: adapters.orders.clone(),
                claims: adapters.orders.clone(),
                tenants: adapters.tenants.clone(),
                document_numbers: adapters.document_numbers.clone(),
                effects: adapters.effects.clone(),
            })
            .messaging(Messaging { publisher: adapters.publisher.clone() })
            .documents(Documents {
                renderer: Arc::new(PdfRenderer::new()?),
                store: adapters.documents.clone(),
                emails: Arc::new(TemplateRenderer::new(Arc::new(templates))?),
                mailer: adapters.mailer.clone(),
            })
            .upstream(Upstream { carts: carts.clone(), campaigns: campaigns.clone() })
            .system(order_app::System { clock: options.clock, ids: options.ids })
            .config(options.config)
            .build()
            // Every group is set above: this cannot fail, and if it ever did it would say why.
            .map_err(|error| PortError::InvalidData(error.to_string()))?;
        Ok(Self {
            app,
            adapters,
            resources: resources.clone(),
            carts,
            campaigns,
            concurrency: options.concurrency,
            poll_wait: options.poll_wait,
            retry_delay: options.retry_delay,
        })
    }

    /// The four processors on the stack's application.
    pub fn processors(&self) -> PerProcessor<Arc<dyn Processor>> {
        self.app.processors()
    }

    /// The four SQS queues, as the consumer and the background service take them.
    pub fn event_queues(&self) -> PerProcessor<Arc<dyn EventQueue>> {
        self.adapters.queues.map(|_, queue| queue.clone() as Arc<dyn EventQueue>)
    }

    /// A consumer of the given processors, each on its own kind's SQS queue, with the stack's
    /// concurrency, poll wait and retry delay.
    pub fn consumer(&self, processors: PerProcessor<Arc<dyn Processor>>) -> Consumer {
        let concurrency = PerProcessor::all(self.concurrency);
        let subscriptions = Subscription::per_processor(processors, &self.event_queues(), &concurrency);
        let options =
            ConsumerOptions { wait: self.poll_wait, retry_delay: self.retry_delay, ..ConsumerOptions::default() };
        Consumer::new(subscriptions, options)
    }

    /// Runs the four processors until a poll of every queue receives nothing: every event
    /// published so far has been handled or has reached a dead-letter queue; then waits for the
    /// outbox entries published meanwhile to be deleted ([`OrderApp::settle`](order_app::OrderApp::settle)).
    ///
    /// # Errors
    /// When a queue cannot be read.
    pub async fn drain(&self) -> Result<ConsumerReport, PortError> {
        let report = self.consumer(self.processors()).drain().await;
        self.app.settle().await;
        report
    }

    /// The SQS queue (and dead-letter queue) of a processor.
    pub fn queue(&self, processor: ProcessorKind) -> &Arc<SqsEventQueue> {
        self.adapters.queues.get(processor)
    }
}
