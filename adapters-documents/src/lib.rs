//! # adapters-documents
//!
//! The renderers both backends share: South African tax invoices and receipts as PDF, and the
//! customer and internal email templates (HTML and plain text) with HTML auto-escaping forced on.
