//! # adapters-lambda
//!
//! The AWS Lambda driving adapter of BBWS Order Management: events from Lambda's runtime into
//! the application, and the answers Lambda expects back. No business rule lives here, and no
//! configuration is read: a host (the composition root's Lambda functions, or a service's own
//! Lambda) wires the application and calls these handlers.
//!
//! ## Layout
//! - [`sqs`]: an SQS batch for one processor, answered with a partial batch response
//!   ([`handle_sqs_batch`]); the scheduled relay and expiry sweep ([`handle_sweep`]).
//! - [`api`]: the HTTP routes of `adapters-http` behind API Gateway (HTTP API, payload 2.0).

pub mod api;
pub mod sqs;

pub use sqs::{
    BatchError, RECORD_CONCURRENCY, SweepFailed, handle_sqs_batch, handle_sqs_batch_with, handle_sweep,
    handle_sweep_with,
};
