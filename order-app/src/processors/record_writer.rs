use std::sync::Arc;

use async_trait::async_trait;
use order_domain::{EventEnvelope, Order, OrderEvent};
use order_ports::{PortError, ProcessorKind};
use tracing::{info, warn};

use super::Processor;
use crate::app::OrderApp;
use crate::error::{AppError, Context};

/// Stores each new order (resolving a guest order's tenant first) and marks its cart
/// inactive. The insert is conditional, so a duplicate delivery stores nothing twice.
pub struct RecordWriter {
    app: Arc<OrderApp>,
}

impl RecordWriter {
    /// A record writer on `app`.
    pub fn new(app: Arc<OrderApp>) -> Self {
        Self { app }
    }
}

#[async_trait]
impl Processor for RecordWriter {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::RecordWriter
    }

    fn system(&self) -> Option<&crate::builder::System> {
        Some(&self.app.system)
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        let OrderEvent::OrderCreated(created) = &event.event else { return Ok(()) };
        let mut order = Order::from_created(created);
        let tenant = self.app.tenant_of(&order).await?;
        order.assign_guest_tenant(tenant)?;
        let (storage, upstream) = (&self.app.storage, &self.app.upstream);
        match storage.orders.insert(&order).await {
            Ok(()) => info!(order = %order.id(), tenant = ?order.tenant_id(), "order recorded"),
            Err(PortError::AlreadyExists) => info!(order = %order.id(), "order already recorded (duplicate delivery)"),
            Err(source) => return Err(AppError::Dependency { context: "recording the order", source }),
        }
        match upstream.carts.mark_inactive(order.cart_id()).await {
            Ok(()) => Ok(()),
            // A cart the cart service handed over with its lines may be unknown to its
            // lookup API; the order is recorded either way.
            Err(PortError::NotFound) => {
                warn!(cart = %order.cart_id(), "cart service does not know the cart; nothing to mark inactive");
                Ok(())
            }
            Err(source) => Err(source).context("marking the cart inactive"),
        }
    }
}
