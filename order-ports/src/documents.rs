//! Tax documents (pro forma and tax invoices, receipts, credit notes): numbering, rendering and
//! storing them. Which documents an order needs, and when, is the domain's rule
//! ([`Order::documents`]); these ports only carry it out.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use order_domain::{Order, OrderId, TenantId, VatNumber};

use crate::error::PortResult;

pub use order_domain::DocumentKind;

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
    /// `{tenantId}/{orderId}/{kind}_{orderId}.pdf`, the layout of DESIGN §4 (`kind` as
    /// [`DocumentKind::as_str`]: `proforma`, `invoice`, `receipt`, `creditnote`).
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.tenant_id, self.order_id, self.file_name())
    }

    /// `{kind}_{orderId}.pdf`: the last segment of the path, and the name a download offers.
    pub fn file_name(&self) -> String {
        Self::file_name_of(self.kind, self.order_id)
    }

    /// The file name of `order_id`'s document of `kind`: `{kind}_{orderId}.pdf`.
    pub fn file_name_of(kind: DocumentKind, order_id: OrderId) -> String {
        format!("{}_{order_id}.pdf", kind.as_str())
    }

    /// The kind of document a file name of `order_id` names, if it is one of its file names.
    pub fn kind_of_file(name: &str, order_id: OrderId) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|&kind| Self::file_name_of(kind, order_id) == name)
    }

    /// The prefix every document of one order shares: `{tenantId}/{orderId}/`.
    pub fn order_prefix(tenant_id: &TenantId, order_id: OrderId) -> String {
        format!("{tenant_id}/{order_id}/")
    }
}

impl fmt::Display for DocumentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// What is stored with a document besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentMeta {
    /// The MIME type (`application/pdf`).
    pub content_type: String,
    /// The document's own serial number (tax invoice, credit note); `None` for a pro forma
    /// invoice and a receipt.
    pub number: Option<DocumentNumber>,
    /// Its date of issue.
    pub issued_at: DateTime<Utc>,
}

/// A stored document as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Which document.
    pub kind: DocumentKind,
    /// Its size in bytes.
    pub size: u64,
    /// What was stored with it.
    pub meta: DocumentMeta,
}

/// Stored documents.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Stores (or overwrites) a document, encrypted at rest, with its `meta`.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn put(&self, key: &DocumentKey, bytes: Vec<u8>, meta: &DocumentMeta) -> PortResult<()>;

    /// A stored document's bytes.
    ///
    /// # Errors
    /// MUST return [`NotFound`](crate::PortError::NotFound) when nothing is stored there, and
    /// [`Evicted`](crate::PortError::Evicted) instead when the store had it and dropped it to
    /// stay within its bounds (only a bounded store does).
    async fn get(&self, key: &DocumentKey) -> PortResult<Vec<u8>>;

    /// A stored document's bytes with its description, in one read.
    ///
    /// # Errors
    /// As [`DocumentStore::get`]: [`NotFound`](crate::PortError::NotFound) when nothing is
    /// stored there, [`Evicted`](crate::PortError::Evicted) when it was and was dropped.
    async fn fetch(&self, key: &DocumentKey) -> PortResult<(StoredDocument, Vec<u8>)>;

    /// The documents stored for one order, in [`DocumentKind`] order (empty when there are
    /// none). Documents a bounded store dropped are not listed.
    ///
    /// # Errors
    /// [`Unavailable`](crate::PortError::Unavailable); a bounded store MUST return
    /// [`Evicted`](crate::PortError::Evicted) when it keeps none of the order's documents and
    /// dropped at least one, so that "no documents yet" is never said of evicted ones.
    async fn list(&self, tenant_id: &TenantId, order_id: OrderId) -> PortResult<Vec<StoredDocument>>;
}

/// A sequence of serial numbers. Tax invoices and credit notes are numbered in separate,
/// gap-free sequences per supplier, told apart by their prefix (`INV-000042`, `CN-000007`):
/// VAT Act s20(4)(b) and s21(3)(b) ask for "an individual serialised number" on each, and a
/// credit note's number never takes a tax invoice's place in its sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NumberSeries {
    /// Tax invoices: `INV-000001`, …
    TaxInvoice,
    /// Credit notes: `CN-000001`, …
    CreditNote,
}

impl NumberSeries {
    /// `INV` or `CN`.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::TaxInvoice => "INV",
            Self::CreditNote => "CN",
        }
    }

    /// The series a document kind is numbered in, if any (pro forma invoices and receipts are
    /// not).
    pub fn of(kind: DocumentKind) -> Option<Self> {
        match kind {
            DocumentKind::TaxInvoice => Some(Self::TaxInvoice),
            DocumentKind::CreditNote => Some(Self::CreditNote),
            DocumentKind::ProForma | DocumentKind::Receipt => None,
        }
    }
}

/// A document's serial number: unique per supplier and series, never reused.
///
/// A supplier may number each series in several parallel sequences, each gap-free within
/// itself, so that no single counter limits how many documents can be numbered per second
/// (see `adapters_aws::TableLayout`). The sequence is part of the number: sequence 0 prints as
/// `INV-000042`, sequence 7 as `INV-07-000042`. VAT Act s20(4)(b) asks a tax invoice for "an
/// individual serialised number"; each printed number is unique and serialised within its
/// sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentNumber {
    /// Which series (tax invoices or credit notes).
    pub series: NumberSeries,
    /// Which of the supplier's parallel sequences of that series, from 0.
    pub sequence: u16,
    /// The number in that sequence, from 1.
    pub serial: u64,
}

impl DocumentNumber {
    /// A tax invoice's number in sequence 0.
    pub fn invoice(serial: u64) -> Self {
        Self { series: NumberSeries::TaxInvoice, sequence: 0, serial }
    }

    /// A credit note's number in sequence 0.
    pub fn credit_note(serial: u64) -> Self {
        Self { series: NumberSeries::CreditNote, sequence: 0, serial }
    }

    /// The same number in `sequence`.
    #[must_use]
    pub fn in_sequence(self, sequence: u16) -> Self {
        Self { sequence, ..self }
    }

    /// Parses the printed form (`INV-000042`, `CN-7`, `INV-07-000042`).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('-');
        let prefix = parts.next()?;
        let series = [NumberSeries::TaxInvoice, NumberSeries::CreditNote].into_iter().find(|s| s.prefix() == prefix)?;
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        match (parts.next(), parts.next(), parts.next()) {
            (Some(serial), None, None) if digits(serial) => {
                Some(Self { series, sequence: 0, serial: serial.parse().ok()? })
            }
            (Some(sequence), Some(serial), None) if digits(sequence) && digits(serial) => {
                let sequence: u16 = sequence.parse().ok()?;
                // Sequence 0 is printed without its sequence: one number, one spelling.
                (sequence > 0).then_some(())?;
                Some(Self { series, sequence, serial: serial.parse().ok()? })
            }
            _ => None,
        }
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.sequence {
            0 => write!(f, "{}-{:06}", self.series.prefix(), self.serial),
            sequence => write!(f, "{}-{sequence:02}-{:06}", self.series.prefix(), self.serial),
        }
    }
}

/// Allocates serial numbers for tax documents.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait DocumentNumbers: Send + Sync {
    /// The number of `order`'s document in `series` from `supplier`: allocated on the first
    /// call, the same number on every later call (a retried or concurrent job reuses it).
    /// Numbers of one supplier, series and sequence increase from 1, without gaps, and are
    /// never given to two orders, however many calls run concurrently. Which sequence an order
    /// takes is the adapter's choice (one sequence unless it is configured with more).
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn number_for(&self, supplier: &str, series: NumberSeries, order: OrderId) -> PortResult<DocumentNumber>;
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

/// The tax invoice a receipt or credit note refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceReference {
    /// Its number.
    pub number: DocumentNumber,
    /// Its date of issue.
    pub issued_at: DateTime<Utc>,
}

/// Everything a document shows, frozen: rendering the same request gives the same bytes.
#[derive(Debug, Clone, Copy)]
pub struct DocumentRequest<'a> {
    /// Which document.
    pub kind: DocumentKind,
    /// The order snapshot.
    pub order: &'a Order,
    /// The seller.
    pub supplier: &'a Supplier,
    /// The document's own serial number: a tax invoice's or a credit note's; `None` for a pro
    /// forma invoice and a receipt.
    pub number: Option<DocumentNumber>,
    /// The tax invoice it refers to: a receipt's and a credit note's; `None` otherwise.
    pub invoice: Option<InvoiceReference>,
    /// The date of issue (from the order, never the clock, so retries give identical bytes).
    pub issued_at: DateTime<Utc>,
    /// Why, on a credit note (the cancellation, expiry or refund).
    pub reason: Option<&'a str>,
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

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn numbers_print_their_sequence_and_parse_back() {
        let first = DocumentNumber::invoice(42);
        assert_eq!(first.to_string(), "INV-000042");
        let seventh = DocumentNumber::credit_note(7).in_sequence(7);
        assert_eq!(seventh.to_string(), "CN-07-000007");
        let big = DocumentNumber::invoice(1_234_567).in_sequence(300);
        assert_eq!(big.to_string(), "INV-300-1234567");
        for number in [first, seventh, big] {
            assert_eq!(DocumentNumber::parse(&number.to_string()), Some(number));
        }
        assert_eq!(DocumentNumber::parse("CN-7"), Some(DocumentNumber::credit_note(7)));
        for wrong in ["INV-00-000001", "INV-", "INV--1", "INV-1-2-3", "XX-000001", "INV-+1", "INV-07-"] {
            assert_eq!(DocumentNumber::parse(wrong), None, "{wrong}");
        }
    }
}
