//! Building an [`OrderApp`]: its ports in five groups, each named for what it gives the
//! application, and its configuration.
//!
//! | group | ports |
//! |---|---|
//! | [`Storage`] | orders and their outbox, cart claims, tenants, invoice serials, once-only effects |
//! | [`Messaging`] | the event publisher |
//! | [`Documents`] | PDF rendering, the document store, email templates, the mailer |
//! | [`Upstream`] | the cart service and the campaign catalog |
//! | [`System`] | the clock and the id generator |
//!
//! This crate depends on no adapter, so it has no defaults for any group: a composition root
//! gives them, and typically hands out a builder with the production [`System`] ports already
//! set (`order_service::app_builder()`). A missing group is an error that names it, not a panic.
//!
//! ```
//! use order_app::OrderApp;
//!
//! let Err(error) = OrderApp::builder().build() else { unreachable!() };
//! assert_eq!(error.missing(), ["storage", "messaging", "documents", "upstream", "system", "config"]);
//! ```

use std::sync::Arc;

use order_ports::{
    CampaignCatalog, CartClaims, CartGateway, Clock, DocumentNumbers, DocumentRenderer, DocumentStore, EffectLog,
    EmailRenderer, EventPublisher, IdGenerator, Mailer, OrderRepository, TenantDirectory,
};

use crate::app::{AppConfig, OrderApp};

/// Where the application keeps its state. On AWS one DynamoDB table holds all but the tenants.
#[derive(Clone)]
pub struct Storage {
    /// Orders and their outbox.
    pub orders: Arc<dyn OrderRepository>,
    /// Cart claims (what makes a create idempotent).
    pub claims: Arc<dyn CartClaims>,
    /// Tenants by email.
    pub tenants: Arc<dyn TenantDirectory>,
    /// Invoice serial numbers.
    pub document_numbers: Arc<dyn DocumentNumbers>,
    /// Once-only side effects (an email sent once per occasion).
    pub effects: Arc<dyn EffectLog>,
}

/// How the application tells the processors (and anyone subscribed) what happened.
#[derive(Clone)]
pub struct Messaging {
    /// Publishes every event to every subscriber.
    pub publisher: Arc<dyn EventPublisher>,
}

/// What the application renders, keeps and sends.
#[derive(Clone)]
pub struct Documents {
    /// PDF rendering of tax documents (pro forma and tax invoices, receipts, credit notes).
    pub renderer: Arc<dyn DocumentRenderer>,
    /// Stored tax documents.
    pub store: Arc<dyn DocumentStore>,
    /// Email templates.
    pub emails: Arc<dyn EmailRenderer>,
    /// Sending email.
    pub mailer: Arc<dyn Mailer>,
}

/// The other services the application reads.
#[derive(Clone)]
pub struct Upstream {
    /// The cart service.
    pub carts: Arc<dyn CartGateway>,
    /// Campaign rules.
    pub campaigns: Arc<dyn CampaignCatalog>,
}

/// The time and fresh ids: the real clock and random ids in production, a manual clock and
/// sequential ids in tests.
#[derive(Clone)]
pub struct System {
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Fresh ids.
    pub ids: Arc<dyn IdGenerator>,
}

/// Collects the groups of ports and the configuration of an [`OrderApp`]; see the
/// [module docs](self). Setting a group twice keeps the second.
#[derive(Clone, Default)]
pub struct OrderAppBuilder {
    storage: Option<Storage>,
    messaging: Option<Messaging>,
    documents: Option<Documents>,
    upstream: Option<Upstream>,
    system: Option<System>,
    config: Option<AppConfig>,
}

/// The builder was missing some groups.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the application cannot be built without its {}", .missing.join(", "))]
pub struct BuildError {
    missing: Vec<&'static str>,
}

impl BuildError {
    /// What was missing: `storage`, `messaging`, `documents`, `upstream`, `system`, `config`.
    pub fn missing(&self) -> &[&'static str] {
        &self.missing
    }
}

impl OrderAppBuilder {
    /// Sets the storage ports.
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Sets the event publisher.
    pub fn messaging(mut self, messaging: Messaging) -> Self {
        self.messaging = Some(messaging);
        self
    }

    /// Sets the document and email ports.
    pub fn documents(mut self, documents: Documents) -> Self {
        self.documents = Some(documents);
        self
    }

    /// Sets the cart service and the campaign catalog.
    pub fn upstream(mut self, upstream: Upstream) -> Self {
        self.upstream = Some(upstream);
        self
    }

    /// Sets the clock and the id generator.
    pub fn system(mut self, system: System) -> Self {
        self.system = Some(system);
        self
    }

    /// Sets the configuration.
    pub fn config(mut self, config: AppConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The application.
    ///
    /// # Errors
    /// [`BuildError`] naming every group that was not set.
    pub fn build(self) -> Result<Arc<OrderApp>, BuildError> {
        match self {
            Self {
                storage: Some(storage),
                messaging: Some(messaging),
                documents: Some(documents),
                upstream: Some(upstream),
                system: Some(system),
                config: Some(config),
            } => Ok(Arc::new(OrderApp { storage, messaging, documents, upstream, system, config })),
            incomplete => {
                let given = [
                    ("storage", incomplete.storage.is_some()),
                    ("messaging", incomplete.messaging.is_some()),
                    ("documents", incomplete.documents.is_some()),
                    ("upstream", incomplete.upstream.is_some()),
                    ("system", incomplete.system.is_some()),
                    ("config", incomplete.config.is_some()),
                ];
                Err(BuildError { missing: given.into_iter().filter(|(_, set)| !set).map(|(name, _)| name).collect() })
            }
        }
    }
}
