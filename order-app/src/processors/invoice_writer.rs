use std::sync::Arc;

use async_trait::async_trait;
use order_domain::{EventEnvelope, Order, OrderEvent, OrderStatus};
use order_ports::{DocumentKey, DocumentKind, DocumentRequest, ProcessorKind};
use tracing::info;

use super::Processor;
use crate::app::OrderApp;
use crate::error::{AppError, Context};

/// Writes the tax invoice of each new order and the receipt of each paid one. The document's
/// key and bytes are deterministic and its serial number is allocated once per order, so a
/// retried job rewrites an identical object.
pub struct InvoiceWriter {
    app: Arc<OrderApp>,
}

impl InvoiceWriter {
    /// An invoice writer on `app`.
    pub fn new(app: Arc<OrderApp>) -> Self {
        Self { app }
    }

    async fn write(&self, kind: DocumentKind, order: &Order) -> Result<DocumentKey, AppError> {
        let (storage, documents) = (&self.app.storage, &self.app.documents);
        let supplier = &self.app.config.supplier;
        let tenant_id = self.app.tenant_of(order).await?;
        let number = storage
            .invoice_numbers
            .number_for(&supplier.id, order.id())
            .await
            .context("allocating the invoice number")?;
        let issued_at = match kind {
            DocumentKind::Invoice => order.created_at(),
            DocumentKind::Receipt => order.payment().map_or(order.updated_at(), |payment| payment.paid_at),
        };
        let document = documents
            .renderer
            .render(&DocumentRequest { kind, order, supplier, number, issued_at })
            .context("rendering the document")?;
        let key = DocumentKey { tenant_id, order_id: order.id(), kind };
        documents.store.put(&key, document.bytes, &document.content_type).await.context("storing the document")?;
        info!(order = %order.id(), key = %key, number = %number, "document written");
        Ok(key)
    }
}

#[async_trait]
impl Processor for InvoiceWriter {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::InvoiceWriter
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        match &event.event {
            OrderEvent::OrderCreated(created) => {
                self.write(DocumentKind::Invoice, &Order::from_created(created)).await?;
            }
            OrderEvent::OrderStatusChanged(changed) if changed.to == OrderStatus::Paid => {
                self.write(DocumentKind::Receipt, &changed.order).await?;
            }
            OrderEvent::OrderStatusChanged(_)
            | OrderEvent::UnappliedPaymentReceived(_)
            | OrderEvent::UnappliedPaymentRefunded(_) => {}
        }
        Ok(())
    }
}
