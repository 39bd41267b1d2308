//! Runnable hosts and programs for BBWS Order Management, and the wiring they share.
//!
//! - [`stack`]: the whole application on in-memory adapters — what the quickstart runs and
//!   what the whole-pipeline tests drive.
//! - `aws_stack` (feature `aws`): the same application on DynamoDB, SNS/SQS, S3 and SES.
//! - `src/bin/quickstart.rs`: an order's whole life in one process.

pub mod stack;

#[cfg(feature = "aws")]
pub mod aws_stack;
