//! The whole pipeline on AWS, against a moto server: create → SNS → four SQS queues → the four
//! processors → DynamoDB, S3 and SES, then payment, duplicates and a broken processor, and a
//! production host's configuration (its own supplier, the cart service over HTTP). Every
//! test provisions its own uniquely named environment and checks the outcome with raw SDK
//! reads, not through the adapters under test.
//!
//! `scripts/test` starts moto and exports `BBWS_TEST_AWS_ENDPOINT`; without it these tests
//! fail (they never skip). One binary, because every test binary links the whole SDK; built
//! only with the `aws` feature (`--all-features`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // Tests fail loudly.

mod support;

/// The stub cart service of `adapters-cart-service`'s tests, on a real socket.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../adapters-cart-service/tests/it/stub.rs"]
mod cart_stub;

mod faults;
mod flows;
mod production;
