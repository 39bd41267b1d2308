//! The HTTP suite of `tests/http` again, on the AWS adapters: the same test modules, with a
//! backend that provisions a fresh environment per test on the moto server `scripts/test`
//! starts (`BBWS_TEST_AWS_ENDPOINT`; without it these tests fail, never skip). Built only with
//! the `aws` feature. `cart_service` adds what only production's wiring has: the cart service
//! reached over HTTP.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

#[path = "aws.rs"]
mod backend;
#[path = "../http/harness.rs"]
mod harness;

#[path = "../http/auth.rs"]
mod auth;
#[path = "../http/basics.rs"]
mod basics;
#[path = "../http/documents.rs"]
mod documents;
#[path = "../http/embed.rs"]
mod embed;
#[path = "../http/listing.rs"]
mod listing;
#[path = "../http/orders.rs"]
mod orders;
#[path = "../http/payments.rs"]
mod payments;

/// The cart service over HTTP (AWS only: production's wiring).
mod cart_service;
/// The stub cart service of `adapters-cart-service`'s tests, on a real socket.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../adapters-cart-service/tests/it/stub.rs"]
mod cart_stub;

pub(crate) use harness::*;
