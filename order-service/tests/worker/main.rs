//! The queue worker's shutdown: nothing received is lost, nothing is handled twice, nothing
//! reaches a dead-letter queue. In memory always; with the `aws` feature also on moto's SQS
//! (`BBWS_TEST_AWS_ENDPOINT`, set by `scripts/test`; the tests fail without it) and through
//! the real `worker` binary stopped by SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // Tests fail loudly.

mod memory;
mod support;

#[cfg(feature = "aws")]
mod aws;
/// The moto environment and raw reads of the AWS pipeline tests.
#[cfg(feature = "aws")]
#[allow(dead_code, unreachable_pub)]
#[path = "../aws_pipeline/support.rs"]
mod pipeline;
