//! Runnable hosts and programs for BBWS Order Management, and the wiring they share.
//!
//! - [`stack`]: the whole application on in-memory adapters — what the quickstart runs and
//!   what the whole-pipeline tests drive.
//! - `aws_stack` (feature `aws`): the same application on DynamoDB, SNS/SQS, S3 and SES;
//!   `aws_host`: its configuration from a host's environment (`BBWS_…` variables).
//! - `src/bin/quickstart.rs`: an order's whole life in one process.
//! - [`http`]: the HTTP host (axum): the six order endpoints, authentication, OpenAPI;
//!   `src/bin/server.rs` serves it (in memory, or on AWS with `--backend aws`).
//! - `lambda_api` (feature `lambda`): the same router as a Lambda function behind API Gateway;
//!   `src/bin/lambda_api.rs` runs it.

pub mod http;
pub mod stack;

#[cfg(feature = "aws")]
pub mod aws_host;
#[cfg(feature = "aws")]
pub mod aws_stack;
#[cfg(feature = "lambda")]
pub mod lambda_api;
