//! Runnable hosts and programs for BBWS Order Management, and the wiring they share.
//!
//! - [`stack`]: the whole application on in-memory adapters — what the quickstart runs and
//!   what the whole-pipeline tests drive.
//! - `aws_stack` (feature `aws`): the same application on DynamoDB, SNS/SQS, S3 and SES;
//!   `aws_host`: its configuration from a host's environment (`BBWS_…` variables).
//! - `deploy_outputs` (feature `aws`): its resource names from the outputs of a stack deployed
//!   from `deploy/template.yaml`.
//! - `src/bin/quickstart.rs`: an order's whole life in one process.
//! - [`http`]: the HTTP host (axum): the six order endpoints, authentication, OpenAPI;
//!   `src/bin/server.rs` serves it (in memory, or on AWS with `--backend aws`).
//! - `lambda_api` (feature `lambda`): the same router as a Lambda function behind API Gateway;
//!   `src/bin/lambda_api.rs` runs it.
//! - `lambda` (feature `lambda`): the handlers of the Lambda bootstraps
//!   `src/bin/lambda_processor.rs` (the four processors, on SQS) and `src/bin/lambda_sweep.rs`
//!   (the scheduled relay and expiry sweep).
//! - [`worker`]: the queue worker loop (bounded concurrency per processor, graceful shutdown);
//!   `src/bin/worker.rs` (feature `aws`) runs it on the four SQS queues.

pub mod http;
pub mod stack;
pub mod worker;

#[cfg(feature = "aws")]
pub mod aws_host;
#[cfg(feature = "aws")]
pub mod aws_stack;
#[cfg(feature = "aws")]
pub mod deploy_outputs;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "lambda")]
pub mod lambda_api;
