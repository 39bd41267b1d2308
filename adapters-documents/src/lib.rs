//! # adapters-documents
//!
//! The renderers both backends share: South African tax documents (pro forma and tax invoices,
//! receipts, credit notes) as PDF, and the customer and internal email templates (HTML and plain
//! text) with HTML auto-escaping forced on. Neither touches the network or the clock: the PDF
//! renderer is a pure function of its request, and the email renderer reads only the injected
//! [`TemplateSource`].
//!
//! ## Layout
//! - [`pdf`] — [`PdfRenderer`], the [`DocumentRenderer`]: tax invoice (full or abridged form,
//!   chosen by [`TaxInvoiceForm::for_total`]) and receipt, A4, paginated with the table header
//!   repeated and "Page n of m" on every page, DejaVu Sans embedded as a subset (of
//!   `fonts/printable/`, the release files in `fonts/` reduced by `fonts/make-printable` to the
//!   characters the domain accepts; licence in `fonts/LICENSE`), identical bytes for identical
//!   requests.
//! - [`email`] — [`TemplateRenderer`], the [`EmailRenderer`]: the HLD's four templates, each an
//!   HTML body, a text body and a subject (`templates/{customer,internal}/`), compiled in;
//!   overrides fetched from a [`TemplateSource`] on every render; a broken override falls back
//!   to the default and is reported ([`TemplateRenderer::render_report`], `tracing::warn!`).
//! - [`format`](mod@format) — how amounts (`R1,349.00`), dates (SAST) and statuses are written, shared by
//!   both so an email shows the invoice's figures.
//!
//! ## Wiring
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use adapters_documents::{PdfRenderer, TemplateRenderer};
//! use order_ports::{DocumentRenderer, EmailRenderer, PortResult, TemplateSource};
//!
//! /// A host's template store (on AWS: the templates bucket).
//! struct NoOverrides;
//! #[async_trait::async_trait]
//! impl TemplateSource for NoOverrides {
//!     async fn get(&self, _path: &str) -> PortResult<Option<String>> { Ok(None) }
//! }
//!
//! let documents: Arc<dyn DocumentRenderer> = Arc::new(PdfRenderer::new().unwrap());
//! let emails: Arc<dyn EmailRenderer> = Arc::new(TemplateRenderer::new(Arc::new(NoOverrides)).unwrap());
//! # let _ = (documents, emails);
//! # });
//! ```
//!
//! ## Errors
//! Both renderers answer [`PortError::InvalidData`](order_ports::PortError::InvalidData) and
//! never panic on data: a receipt for an unpaid order, a built-in template that cannot render,
//! or a failure inside the PDF library. A broken or unreachable override is not an error.
//!
//! [`TemplateSource`]: order_ports::TemplateSource
//! [`DocumentRenderer`]: order_ports::DocumentRenderer
//! [`EmailRenderer`]: order_ports::EmailRenderer
//! [`TaxInvoiceForm::for_total`]: order_domain::TaxInvoiceForm::for_total

pub mod email;
pub mod format;
pub mod pdf;

pub use email::{
    OverrideParts, OverrideProblem, ProblemKind, RenderReport, TemplateConfig, TemplatePart, TemplateRenderer,
    subject_line,
};
pub use pdf::{PDF_CONTENT_TYPE, PdfRenderer};
