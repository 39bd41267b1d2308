//! Runnable hosts and programs for BBWS Order Management, and the wiring they share.
//!
//! - [`stack`]: the whole application on in-memory adapters — what the quickstart runs and
//!   what the whole-pipeline tests drive.
//! - `src/bin/quickstart.rs`: an order's whole life in one process.

pub mod stack;
