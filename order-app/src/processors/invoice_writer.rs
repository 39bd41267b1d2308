use std::sync::Arc;

use async_trait::async_trait;
use order_domain::{DocumentKind, DueDocument, EventEnvelope, Order, OrderError, OrderEvent, OrderStatus};
use order_ports::{
    DocumentKey, DocumentMeta, DocumentNumber, DocumentRequest, InvoiceReference, NumberSeries, ProcessorKind,
};
use tracing::info;

use super::Processor;
use crate::app::OrderApp;
use crate::error::{AppError, Context};

/// Writes the tax documents each step of an order's life calls for, as the domain decides
/// under the order's document policy ([`Order::documents_issued_on`]): the pro forma or tax
/// invoice of a new order, the tax invoice and receipt of a paid one, the credit note of a
/// cancelled, expired or refunded one that was invoiced. A document's key and bytes are
/// deterministic and its serial number is allocated once per order and series, so a retried
/// job rewrites an identical object.
pub struct InvoiceWriter {
    app: Arc<OrderApp>,
}

impl InvoiceWriter {
    /// An invoice writer on `app`.
    pub fn new(app: Arc<OrderApp>) -> Self {
        Self { app }
    }

    async fn write(&self, order: &Order, due: &DueDocument) -> Result<DocumentKey, AppError> {
        let (storage, documents) = (&self.app.storage, &self.app.documents);
        let supplier = &self.app.config.supplier;
        let tenant_id = self.app.tenant_of(order).await?;
        let numbers = &storage.document_numbers;
        let number = match NumberSeries::of(due.kind) {
            Some(series) => Some(
                numbers.number_for(&supplier.id, series, order.id()).await.context("allocating the document number")?,
            ),
            None => None,
        };
        let invoice = match due.kind {
            DocumentKind::Receipt | DocumentKind::CreditNote => {
                let invoice = order.tax_invoice().ok_or_else(|| {
                    AppError::Rejected(OrderError::Inconsistent(format!(
                        "order {} has a {} but no tax invoice",
                        order.id(),
                        due.kind
                    )))
                })?;
                let number: DocumentNumber = numbers
                    .number_for(&supplier.id, NumberSeries::TaxInvoice, order.id())
                    .await
                    .context("reading the tax invoice's number")?;
                Some(InvoiceReference { number, issued_at: invoice.issued_at })
            }
            DocumentKind::ProForma | DocumentKind::TaxInvoice => None,
        };
        let request = DocumentRequest {
            kind: due.kind,
            order,
            supplier,
            number,
            invoice,
            issued_at: due.issued_at,
            reason: due.reason.as_deref(),
        };
        let document = documents.renderer.render(&request).context("rendering the document")?;
        let key = DocumentKey { tenant_id, order_id: order.id(), kind: due.kind };
        let meta = DocumentMeta { content_type: document.content_type, number, issued_at: due.issued_at };
        documents.store.put(&key, document.bytes, &meta).await.context("storing the document")?;
        let number = number.map(|n| n.to_string()).unwrap_or_default();
        crate::metrics::document_written(due.kind.code());
        info!(order = %order.id(), key = %key, kind = %due.kind, %number, "document written");
        Ok(key)
    }
}

#[async_trait]
impl Processor for InvoiceWriter {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::InvoiceWriter
    }

    fn system(&self) -> Option<&crate::builder::System> {
        Some(&self.app.system)
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        let (order, step) = match &event.event {
            OrderEvent::OrderCreated(created) => (Order::from_created(created), OrderStatus::Pending),
            OrderEvent::OrderStatusChanged(changed) => (changed.order.clone(), changed.to),
            // Money the order did not take is returned, never invoiced.
            OrderEvent::UnappliedPaymentReceived(_) | OrderEvent::UnappliedPaymentRefunded(_) => return Ok(()),
        };
        for due in order.documents_issued_on(step) {
            self.write(&order, &due).await?;
        }
        Ok(())
    }
}
