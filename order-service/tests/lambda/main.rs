//! The Lambda handlers invoked directly, the way the runtime invokes them: recorded SQS and
//! EventBridge events (`tests/fixtures/lambda/`) against the in-memory application, and SQS
//! messages really delivered by SNS on a moto server, converted to the event Lambda would send.
//!
//! The moto tests need `BBWS_TEST_AWS_ENDPOINT` (set by `scripts/test`); without it they fail,
//! they never skip. Built only with the `lambda` feature (`--all-features`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // Tests fail loudly.

/// The AWS pipeline tests' environment helpers: a provisioned environment per test, raw reads.
#[path = "../aws_pipeline/support.rs"]
#[allow(dead_code, reason = "shared with the aws_pipeline tests; these tests use only some of it")]
mod aws_support;

mod aws;
mod batch;
mod bootstrap;
mod sweep;

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use aws_lambda_events::event::sqs::SqsEvent;

/// The text of a fixture under `tests/fixtures/lambda/`.
pub(crate) fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/lambda/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A recorded SQS event, parsed as the runtime parses it.
pub(crate) fn sqs_event(name: &str) -> SqsEvent {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// A recorded EventBridge scheduled event, parsed as the runtime parses it.
pub(crate) fn scheduled_event(name: &str) -> CloudWatchEvent {
    serde_json::from_str(&fixture(name)).unwrap()
}
