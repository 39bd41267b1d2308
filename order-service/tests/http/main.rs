//! The HTTP host end to end: a real server on an ephemeral loopback port, a real HTTP client,
//! in-memory adapters behind it. `tests/http_aws` runs the same modules on the AWS adapters.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

#[path = "memory.rs"]
mod backend;
mod harness;

mod auth;
mod basics;
mod documents;
mod embed;
mod listing;
mod orders;
mod payments;
/// In memory only: the development server's bounded window of documents.
mod window;

pub(crate) use harness::*;
