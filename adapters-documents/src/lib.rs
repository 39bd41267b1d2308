//! # adapters-documents
//!
//! The renderers both backends share: South African tax invoices and receipts as PDF, and the
//! customer and internal email templates (HTML and plain text) with HTML auto-escaping forced on.

pub mod email;
pub mod format;
pub mod pdf;

pub use email::{
    OverrideParts, OverrideProblem, ProblemKind, RenderReport, TemplateConfig, TemplatePart, TemplateRenderer,
};
pub use pdf::{PDF_CONTENT_TYPE, PdfRenderer};
