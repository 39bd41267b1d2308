//! The HTTP suite of `tests/http` again, on the AWS adapters: the same test modules, with a
//! backend that provisions a fresh environment per test on the moto server `scripts/test`
//! starts (`BBWS_TEST_AWS_ENDPOINT`; without it these tests fail, never skip). Built only with
//! the `aws` feature.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

#[path = "aws.rs"]
mod backend;
#[path = "../http/harness.rs"]
mod harness;

#[path = "../http/auth.rs"]
mod auth;
#[path = "../http/basics.rs"]
mod basics;
#[path = "../http/embed.rs"]
mod embed;
#[path = "../http/listing.rs"]
mod listing;
#[path = "../http/orders.rs"]
mod orders;
#[path = "../http/payments.rs"]
mod payments;

pub(crate) use harness::*;
