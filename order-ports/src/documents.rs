//! Invoices and receipts: numbering, rendering and storing them.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use order_domain::{Order, OrderId, TenantId, VatNumber};

use crate::error::PortResult;

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// The tax invoice, issued when the order is created.
    Invoice,
    /// The receipt, issued when the order is paid.
    Receipt,
}

impl DocumentKind {
    /// `invoice` or `receipt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::Receipt => "receipt",
        }
    }
}

/// Where a document lives: deterministic, so a retried job overwrites the same object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentKey {
    /// The order's tenant.
    pub tenant_id: TenantId,
    /// The order.
    pub order_id: OrderId,
    /// Which document.
    pub kind: DocumentKind,
}

impl DocumentKey {
    /// `{tenantId}/{orderId}/{kind}_{orderId}.pdf`, the layout of DESIGN §4.
    pub fn path(&self) -> String {
        format!("{}/{}/{}_{}.pdf", self.tenant_id, self.order_id, self.kind.as_str(), self.order_id)
    }
}

impl fmt::Display for DocumentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// Stored documents.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Stores (or overwrites) a document, encrypted at rest.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn put(&self, key: &DocumentKey, bytes: Vec<u8>, content_type: &str) -> PortResult<()>;

    /// A stored document's bytes.
    ///
    /// # Errors
    /// MUST return [`NotFound`](crate::PortError::NotFound) when nothing is stored there.
    async fn get(&self, key: &DocumentKey) -> PortResult<Vec<u8>>;
}

/// A tax invoice's serial number: unique per supplier, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InvoiceNumber(pub u64);

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INV-{:06}", self.0)
    }
}

/// Allocates invoice serial numbers.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait InvoiceNumbers: Send + Sync {
    /// The serial number of `order`'s invoice from `supplier`: allocated on the first call,
    /// the same number on every later call. Numbers of one supplier increase from 1 and are
    /// never given to two orders, however many calls run concurrently.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn number_for(&self, supplier: &str, order: OrderId) -> PortResult<InvoiceNumber>;
}

/// Who issues the documents: the seller's block on a tax invoice (VAT Act s20(4): the
/// supplier's name, address and VAT registration number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplier {
    /// Key for serial numbers (one sequence per supplier).
    pub id: String,
    /// Registered (legal) name.
    pub name: String,
    /// The name it trades under, when it differs from the registered one (printed as
    /// "trading as …" under it).
    pub trading_name: Option<String>,
    /// Postal address, one line per entry.
    pub address: Vec<String>,
    /// VAT registration number.
    pub vat_number: Option<VatNumber>,
    /// Contact email printed on documents.
    pub email: Option<String>,
}

/// Everything a document shows, frozen: rendering the same request gives the same bytes.
#[derive(Debug, Clone, Copy)]
pub struct DocumentRequest<'a> {
    /// Invoice or receipt.
    pub kind: DocumentKind,
    /// The order snapshot.
    pub order: &'a Order,
    /// The seller.
    pub supplier: &'a Supplier,
    /// The invoice's serial number (a receipt refers to it).
    pub number: InvoiceNumber,
    /// The date of issue (from the order, never the clock, so retries give identical bytes).
    pub issued_at: DateTime<Utc>,
}

/// Renders documents (PDF).
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait DocumentRenderer: Send + Sync {
    /// The document's bytes and content type.
    ///
    /// # Errors
    /// [`InvalidData`](crate::PortError::InvalidData) when the request cannot be rendered.
    #[allow(clippy::elidable_lifetime_names)] // mockall needs the lifetime named.
    fn render<'a>(&self, request: &DocumentRequest<'a>) -> PortResult<RenderedDocument>;
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedDocument {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Their MIME type (`application/pdf`).
    pub content_type: String,
}
