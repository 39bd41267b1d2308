//! The whole application wired to in-memory adapters: zero set-up, no network.
//!
//! The configuration comes with [`StackOptions`]: a host's settings, or (feature `demo`) the
//! demonstration values [`demo_config`], [`demo_supplier`] and the carts of
//! [`seed_demo_carts`] that development mode and the quickstart use.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use adapters_documents::{PdfRenderer, TemplateRenderer};
use adapters_memory::{
    ManualClock, MemoryCampaignCatalog, MemoryCartGateway, MemoryDocumentNumbers, MemoryDocumentStore, MemoryEffectLog,
    MemoryEventBus, MemoryMailbox, MemoryQueue, MemoryStore, MemoryTemplateSource, MemoryTenantDirectory, QueueConfig,
    SequentialIds,
};
use adapters_system::{AesGcmCipher, CipherKey, RandomIds, SystemClock};
use chrono::{DateTime, Utc};
use order_app::{
    AppConfig, Consumer, ConsumerOptions, ConsumerReport, Documents, Messaging, OrderApp, Processor, Storage,
    Subscription, System, Upstream,
};
use order_ports::{CartGateway, Clock, EventQueue, IdGenerator, PerProcessor, PortError, ProcessorKind};

#[cfg(feature = "demo")]
pub use demo::{demo_config, demo_supplier, seed_demo_carts};

/// How to build a stack.
#[derive(Clone)]
pub struct StackOptions {
    /// The application's configuration (a host's [`AppSettings`](crate::app_settings::AppSettings),
    /// or the demonstration values of [`demo_config`] with the feature `demo`).
    pub config: AppConfig,
    /// The cart service the application uses instead of the stack's own in-memory one (the
    /// HTTP cart service of a host outside development mode).
    pub cart_gateway: Option<Arc<dyn CartGateway>>,
    /// What the manual clock reads at the start.
    pub start: DateTime<Utc>,
    /// Each queue's retry budget (receives before the dead-letter queue).
    pub max_receive_count: u32,
    /// Events handled at once per processor.
    pub concurrency: usize,
    /// When set, the application reads the system clock (a long-running server) and the
    /// stack's manual clock is not consulted.
    pub wall_clock: bool,
    /// Where order ids come from: random ([`RandomIds`]) for a server that runs for real, so
    /// that no id tells how many orders came before it or which comes next; sequential
    /// ([`SequentialIds`]) only on a manual clock ([`StackOptions::starting_at`]), where a
    /// deterministic run (tests, the quickstart) wants the same ids every time.
    pub ids: Arc<dyn IdGenerator>,
    /// How many documents the document store keeps, evicting the oldest first; `None` keeps
    /// every one (tests, the quickstart). A long-running server bounds it so that its memory
    /// stays flat ([`MemoryDocumentStore::keeping`]).
    pub keep_documents: Option<NonZeroUsize>,
    /// How many sent emails the mailbox keeps, evicting the oldest first; `None` keeps every
    /// one ([`MemoryMailbox::keeping`]).
    pub keep_emails: Option<NonZeroUsize>,
}

impl StackOptions {
    /// A stack of `config` on the system clock, for a server that runs for real, with its own
    /// in-memory cart service, 4 receives per message and 8 events at once per processor.
    pub fn new(config: AppConfig) -> Self {
        Self {
            config,
            cart_gateway: None,
            start: SystemClock.now(),
            max_receive_count: 4,
            concurrency: 8,
            wall_clock: true,
            ids: Arc::new(RandomIds),
            keep_documents: None,
            keep_emails: None,
        }
    }

    /// The same stack on a manual clock that starts at `start`, with sequential order ids: a
    /// deterministic run (tests, the quickstart).
    pub fn starting_at(mut self, start: DateTime<Utc>) -> Self {
        self.start = start;
        self.wall_clock = false;
        self.ids = Arc::new(SequentialIds::new());
        self
    }

    /// The same stack keeping at most `documents` documents and `emails` sent emails, the oldest
    /// evicted first (0 keeps every one): the development server's bounded memory.
    pub fn keeping(mut self, documents: usize, emails: usize) -> Self {
        self.keep_documents = NonZeroUsize::new(documents);
        self.keep_emails = NonZeroUsize::new(emails);
        self
    }

    /// The same stack with its application fetching carts from `carts`.
    pub fn with_cart_gateway(mut self, carts: Arc<dyn CartGateway>) -> Self {
        self.cart_gateway = Some(carts);
        self
    }

    /// The demonstration configuration ([`demo_config`]) on a manual clock that starts at
    /// `start`: the quickstart's and the tests' stack.
    #[cfg(feature = "demo")]
    pub fn demo(start: DateTime<Utc>) -> Self {
        Self::new(demo_config()).starting_at(start)
    }
}

impl std::fmt::Debug for StackOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackOptions")
            .field("config", &self.config)
            .field("cart_gateway", &self.cart_gateway.as_ref().map(|_| "replaced"))
            .field("start", &self.start)
            .field("max_receive_count", &self.max_receive_count)
            .field("concurrency", &self.concurrency)
            .field("wall_clock", &self.wall_clock)
            .field("keep_documents", &self.keep_documents)
            .field("keep_emails", &self.keep_emails)
            .finish_non_exhaustive()
    }
}

/// The application and every in-memory adapter behind it, kept so that callers can seed
/// carts and campaigns, move the clock, and inspect what was stored, sent and dead-lettered.
pub struct InMemoryStack {
    /// The application.
    pub app: Arc<OrderApp>,
    /// Orders, outbox and cart claims.
    pub store: Arc<MemoryStore>,
    /// Tenants.
    pub tenants: Arc<MemoryTenantDirectory>,
    /// The topic.
    pub bus: Arc<MemoryEventBus>,
    /// The four queues, one per processor.
    pub queues: PerProcessor<Arc<MemoryQueue>>,
    /// The in-memory cart service: the application's, unless
    /// [`StackOptions::cart_gateway`] replaced it.
    pub carts: Arc<MemoryCartGateway>,
    /// Campaign rules.
    pub campaigns: Arc<MemoryCampaignCatalog>,
    /// Stored invoices and receipts (the last [`StackOptions::keep_documents`]).
    pub documents: Arc<MemoryDocumentStore>,
    /// Sent emails (the last [`StackOptions::keep_emails`]).
    pub mailbox: Arc<MemoryMailbox>,
    /// Template overrides.
    pub templates: Arc<MemoryTemplateSource>,
    /// The clock.
    pub clock: Arc<ManualClock>,
    options: StackOptions,
}

impl InMemoryStack {
    /// Wires the application to fresh in-memory adapters.
    ///
    /// # Errors
    /// When the renderers cannot load their built-in fonts or templates.
    pub fn new(options: StackOptions) -> Result<Self, PortError> {
        // A fixed demo key: in-memory data never outlives the process.
        let cipher = Arc::new(AesGcmCipher::new(&CipherKey::from_bytes([7; 32])));
        let store = Arc::new(MemoryStore::new(cipher));
        let tenants = Arc::new(MemoryTenantDirectory::new());
        let bus = Arc::new(MemoryEventBus::new());
        let config = QueueConfig::with_max_receive_count(options.max_receive_count);
        let queues = PerProcessor::from_fn(|kind| bus.subscribe(kind.name(), config));
        let carts = Arc::new(MemoryCartGateway::new());
        let campaigns = Arc::new(MemoryCampaignCatalog::new());
        let documents = Arc::new(MemoryDocumentStore::keeping(options.keep_documents));
        let mailbox = Arc::new(MemoryMailbox::keeping(options.keep_emails));
        let templates = Arc::new(MemoryTemplateSource::new());
        let clock = Arc::new(ManualClock::new(options.start));
        let system = System {
            clock: if options.wall_clock { Arc::new(SystemClock) } else { clock.clone() },
            ids: options.ids.clone(),
        };
        let app = crate::app_builder()
            .storage(Storage {
                orders: store.clone(),
                claims: store.clone(),
                tenants: tenants.clone(),
                document_numbers: Arc::new(MemoryDocumentNumbers::new()),
                effects: Arc::new(MemoryEffectLog::new()),
            })
            .messaging(Messaging { publisher: bus.clone() })
            .documents(Documents {
                renderer: Arc::new(PdfRenderer::new()?),
                store: documents.clone(),
                emails: Arc::new(TemplateRenderer::new(templates.clone())?),
                mailer: mailbox.clone(),
            })
            .upstream(Upstream {
                carts: options.cart_gateway.clone().unwrap_or_else(|| carts.clone()),
                campaigns: campaigns.clone(),
            })
            .system(system)
            .config(options.config.clone())
            .build()
            // Every group is set above: this cannot fail, and if it ever did it would say why.
            .map_err(|error| PortError::InvalidData(error.to_string()))?;
        Ok(Self { app, store, tenants, bus, queues, carts, campaigns, documents, mailbox, templates, clock, options })
    }

    /// The four processors on the stack's application.
    pub fn processors(&self) -> PerProcessor<Arc<dyn Processor>> {
        self.app.processors()
    }

    /// The four queues, as the consumer and the background service take them.
    pub fn event_queues(&self) -> PerProcessor<Arc<dyn EventQueue>> {
        self.queues.map(|_, queue| queue.clone() as Arc<dyn EventQueue>)
    }

    /// A consumer of the given processors, each on its own kind's queue, with the stack's
    /// concurrency; it never waits for an empty queue and retries a failure at once.
    pub fn consumer(&self, processors: PerProcessor<Arc<dyn Processor>>) -> Consumer {
        let concurrency = PerProcessor::all(self.options.concurrency);
        let subscriptions = Subscription::per_processor(processors, &self.event_queues(), &concurrency);
        Consumer::new(
            subscriptions,
            ConsumerOptions { wait: Duration::ZERO, retry_delay: Duration::ZERO, ..ConsumerOptions::default() },
        )
    }

    /// Runs the four processors until every queue is empty ([`Consumer::drain`]).
    ///
    /// # Errors
    /// Never for in-memory queues; kept for the shape of the consumer.
    pub async fn drain(&self) -> Result<ConsumerReport, PortError> {
        self.consumer(self.processors()).drain().await
    }

    /// The queue of a processor.
    pub fn queue(&self, kind: ProcessorKind) -> &Arc<MemoryQueue> {
        self.queues.get(kind)
    }
}

/// The demonstration values (feature `demo`): on by default through `dev`, and in the
/// quickstart's, the examples' and the benchmarks' builds; absent from production builds
/// (`--no-default-features --features lambda`), so no production path can reach them.
#[cfg(feature = "demo")]
mod demo {
    use adapters_memory::MemoryCartGateway;
    use order_app::AppConfig;
    use order_domain::{
        CartId, CartOwner, CartSnapshot, Currency, Description, DocumentPolicy, Email, ExpiryPolicy, Money, OrderLine,
        PricingRules, Quantity, Sku, TenantId, VatNumber,
    };
    use order_ports::{PortError, Supplier};

    use crate::app_settings::AppSettings;

    /// The demonstration seller on invoices: development mode's and the quickstart's, never a
    /// production host's (feature `demo`, which production builds leave out).
    pub fn demo_supplier() -> Supplier {
        Supplier {
            id: "bbws".into(),
            name: "Big Beard Web Solutions (Pty) Ltd".into(),
            trading_name: None,
            address: vec!["1 Bree Street".into(), "Cape Town".into(), "8001".into()],
            vat_number: VatNumber::parse("4123456789").ok(),
            email: Some("accounts@bbws.example".into()),
        }
    }

    /// The demonstration configuration: [`demo_supplier`], staff at `orders@bbws.example`, portal
    /// and console at `*.bbws.example`, the default expiry policy and timings. Development mode's
    /// and the quickstart's, never a production host's (feature `demo`, which production builds
    /// leave out; production hosts read [`AppSettings`](crate::app_settings::AppSettings)).
    pub fn demo_config() -> AppConfig {
        AppConfig {
            pricing: PricingRules::south_africa(),
            expiry: ExpiryPolicy::default(),
            supplier: demo_supplier(),
            portal_url: "https://portal.bbws.example".into(),
            staff_console_url: "https://staff.bbws.example".into(),
            // A valid literal: an address the domain refused would leave the staff list empty,
            // which the demonstration tests would notice at once.
            staff_emails: Email::parse("orders@bbws.example").into_iter().collect(),
            recording_grace: AppSettings::DEFAULT_RECORDING_GRACE,
            effect_lease: AppSettings::DEFAULT_EFFECT_LEASE,
            document_policy: DocumentPolicy::default(),
        }
    }

    /// Seeds the demo carts `cart_demo_1` … `cart_demo_9` (a hosting plan, a domain or a
    /// certificate, and a mailbox) for development mode (feature `demo`): the odd ones are
    /// `tenant_acme`'s, the even ones guests' (a cart is ordered only by its owner).
    ///
    /// # Errors
    /// Never: the carts are literals.
    pub fn seed_demo_carts(carts: &MemoryCartGateway) -> Result<(), PortError> {
        let invalid = |e: &dyn std::fmt::Display| PortError::InvalidData(e.to_string());
        let line = |sku: &str, price: &str, quantity: u32| -> Result<OrderLine, PortError> {
            OrderLine::new(
                Sku::parse(sku).map_err(|e| invalid(&e))?,
                Description::parse(format!("Product {sku}")).map_err(|e| invalid(&e))?,
                Quantity::new(quantity).map_err(|e| invalid(&e))?,
                Money::parse(price, Currency::ZAR).map_err(|e| invalid(&e))?,
            )
            .map_err(|e| invalid(&e))
        };
        let products = [("HOSTING-PRO", "575.00", 2), ("DOMAIN-COZA", "199.00", 1), ("SSL-BASIC", "349.99", 1)];
        let acme = TenantId::parse("tenant_acme").map_err(|e| invalid(&e))?;
        for n in 1..=9 {
            let (sku, price, quantity) = products[n % products.len()];
            let cart = CartId::parse(format!("cart_demo_{n}")).map_err(|e| invalid(&e))?;
            let lines = vec![line(sku, price, quantity)?, line("EMAIL-PRO", "89.00", 1)?];
            let owner = if n % 2 == 1 { CartOwner::Tenant(acme.clone()) } else { CartOwner::Guest };
            carts.add_cart(CartSnapshot::new(cart, owner, lines).map_err(|e| invalid(&e))?);
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_demonstration_values_are_complete() {
            let config = super::demo_config();
            assert_eq!(config.staff_emails.len(), 1);
            assert!(config.supplier.vat_number.is_some());
            let carts = adapters_memory::MemoryCartGateway::new();
            super::seed_demo_carts(&carts).unwrap();
        }
    }
}
