//! The application: its configuration, the ports it is wired to, and shared helpers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use order_domain::{
    DocumentPolicy, Email, EventEnvelope, ExpiryPolicy, GuestTenantDecision, Order, OrderEvent, PricingRules, TenantId,
};
use order_ports::{PortError, Supplier};
use tracing::{info, warn};

use crate::builder::{Documents, Messaging, OrderAppBuilder, Storage, System, Upstream};
use crate::error::{AppError, Context};

/// How the application behaves. Built by the host from its own configuration; the library
/// reads no environment.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// VAT table and accepted currencies.
    pub pricing: PricingRules,
    /// When unpaid orders expire or are cancelled.
    pub expiry: ExpiryPolicy,
    /// The seller on every tax document.
    pub supplier: Supplier,
    /// Base URL of the customer portal; customer emails link to `{portal_url}/orders/{id}`.
    pub portal_url: String,
    /// Base URL of the staff console; internal emails link to `{staff_console_url}/orders/{id}`.
    pub staff_console_url: String,
    /// Who receives internal notifications.
    pub staff_emails: Vec<Email>,
    /// How long after its id was issued an order may still be unrecorded: a `GET` in that
    /// window answers "not recorded yet", and the relay re-publishes claims older than it.
    pub recording_grace: Duration,
    /// How long a worker holds an email's effect record before another may retry it.
    pub effect_lease: Duration,
    /// When new orders get their tax invoice (recorded on each order as it is created, so a
    /// change applies to new orders only).
    pub document_policy: DocumentPolicy,
}

/// The application: use cases (this type's methods) and the processors built on it. Built with
/// [`OrderApp::builder`]; shared as `Arc<OrderApp>`.
pub struct OrderApp {
    pub(crate) storage: Storage,
    pub(crate) messaging: Messaging,
    pub(crate) documents: Documents,
    pub(crate) upstream: Upstream,
    pub(crate) system: System,
    pub(crate) config: AppConfig,
}

impl OrderApp {
    /// A builder with nothing set: every group of ports and the configuration must be given
    /// (a composition root pre-fills the [`System`] ports with the real clock and ids).
    pub fn builder() -> OrderAppBuilder {
        OrderAppBuilder::default()
    }

    /// A builder holding this application's ports and configuration, to build a variant that
    /// differs in some of them (a decorated port, another configuration).
    pub fn to_builder(&self) -> OrderAppBuilder {
        OrderApp::builder()
            .storage(self.storage.clone())
            .messaging(self.messaging.clone())
            .documents(self.documents.clone())
            .upstream(self.upstream.clone())
            .system(self.system.clone())
            .config(self.config.clone())
    }

    /// Its storage ports.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Its messaging port.
    pub fn messaging(&self) -> &Messaging {
        &self.messaging
    }

    /// Its document and email ports.
    pub fn documents(&self) -> &Documents {
        &self.documents
    }

    /// The other services it reads.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// Its clock and id generator.
    pub fn system(&self) -> &System {
        &self.system
    }

    /// Its configuration.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// Wraps events in envelopes with fresh ids, stamped now, naming the request in progress
    /// (see [`context`](crate::context)).
    pub(crate) fn envelopes(&self, events: Vec<OrderEvent>) -> Vec<EventEnvelope> {
        let now = self.system.clock.now();
        events.into_iter().map(|event| self.envelope(now, event)).collect()
    }

    /// Wraps one event in an envelope with a fresh id, naming the request in progress.
    pub(crate) fn envelope(&self, at: DateTime<Utc>, event: OrderEvent) -> EventEnvelope {
        EventEnvelope::new(self.system.ids.message_id(), at, event)
            .with_correlation_id(crate::context::correlation_id())
            .with_traceparent(crate::context::trace())
    }

    /// The tenant an order belongs to, resolving a guest order's tenant by its email: the
    /// existing tenant for that email, or a new UNVALIDATED one. Idempotent and race-safe, so
    /// any processor may call it: when two guests race to create the tenant, the directory's
    /// uniqueness guard lets one win and the other finds the winner.
    pub(crate) async fn tenant_of(&self, order: &Order) -> Result<TenantId, AppError> {
        if let Some(tenant) = order.tenant_id() {
            return Ok(tenant.clone());
        }
        let email = order.customer_email();
        let found = self.storage.tenants.find_by_email(email).await.context("looking up the guest's tenant")?;
        match order_domain::decide_guest_tenant(email, found.as_ref()) {
            GuestTenantDecision::Use(tenant) => Ok(tenant),
            GuestTenantDecision::CreateUnvalidated { email } => {
                let id = self.system.ids.tenant_id();
                match self.storage.tenants.create_unvalidated(&id, &email, self.system.clock.now()).await {
                    Ok(tenant) => {
                        info!(tenant = %tenant.id, order = %order.id(), "created an unvalidated tenant for a guest order");
                        Ok(tenant.id)
                    }
                    Err(PortError::AlreadyExists) => {
                        // A concurrent order for the same email created it first: use theirs.
                        let winner = self
                            .storage
                            .tenants
                            .find_by_email(&email)
                            .await
                            .context("re-reading the guest's tenant")?;
                        winner.map(|tenant| tenant.id).ok_or_else(|| AppError::Dependency {
                            context: "resolving the guest's tenant",
                            source: PortError::transient("tenant reported as existing but not found"),
                        })
                    }
                    Err(source) => Err(AppError::Dependency { context: "creating the guest's tenant", source }),
                }
            }
        }
    }

    /// Waits for what the adapters finish in the background after a request has been answered
    /// (published outbox entries being deleted, see `OrderRepository::clear_outbox_soon`).
    /// Hosts call it as they stop, so that a clean stop leaves nothing for the relay to publish
    /// again; the sweep calls it at its end.
    pub async fn settle(&self) {
        self.storage.orders.flush_outbox_clearing().await;
    }

    /// Publishes events committed with an order change and hands them to the outbox to be
    /// cleared off the request path (`clear_outbox_soon`). A failed publish is logged and left
    /// in the outbox for the relay: the change itself is already safe.
    pub(crate) async fn publish_committed(&self, order: &Order, envelopes: &[EventEnvelope]) {
        let Some(tenant_id) = order.tenant_id() else { return };
        for envelope in envelopes {
            match self.messaging.publisher.publish(envelope).await {
                Ok(()) => {
                    let entry = order_ports::OutboxEntry {
                        tenant_id: tenant_id.clone(),
                        order_id: order.id(),
                        event: envelope.clone(),
                    };
                    if let Err(error) = self.storage.orders.clear_outbox_soon(&entry).await {
                        warn!(order = %order.id(), %error, "published, but could not clear the outbox; the relay will publish again");
                    }
                }
                Err(error) => {
                    warn!(order = %order.id(), event = envelope.event.event_type(), %error, "publish failed; the relay will retry");
                }
            }
        }
    }
}
