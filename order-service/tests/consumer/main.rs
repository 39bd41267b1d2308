//! The queue consumer (`order_app::consumer`) and the hosts that run it: its shutdown loses
//! nothing, handles nothing twice and dead-letters nothing; every host path handles an event in
//! a `handle` span that carries the event's correlation id. In memory always; with the `aws`
//! feature also on moto's SQS (`BBWS_TEST_AWS_ENDPOINT`, set by `scripts/test`; the tests fail
//! without it) and through the real `worker` binary stopped by SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // Tests fail loudly.

mod correlation;
mod crash;
mod memory;
mod support;
/// An order created over HTTP with a caller's trace.
#[path = "../support/traced_create.rs"]
mod traced_create;

#[cfg(feature = "aws")]
mod aws;
/// The stub cart service of `adapters-cart-service`'s tests, on a real socket.
#[cfg(feature = "aws")]
#[allow(dead_code, unreachable_pub)]
#[path = "../../../adapters-cart-service/tests/it/stub.rs"]
mod cart_stub;
/// The moto environment and raw reads of the AWS pipeline tests.
#[cfg(feature = "aws")]
#[allow(dead_code, unreachable_pub)]
#[path = "../aws_pipeline/support.rs"]
mod pipeline;
