//! Integration tests of the document renderers, through the ports they implement.
//!
//! PDFs are opened with a real PDF parser (lopdf) and their extracted text is checked; emails
//! are rendered through `EmailRenderer` with an in-memory template store.
#![allow(clippy::unwrap_used)]

mod email;
mod pdf;
mod support;
