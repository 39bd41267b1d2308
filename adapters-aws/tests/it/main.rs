//! Integration tests of the AWS adapters: real SDK calls against a real moto server, started by
//! `scripts/test` (which exports `BBWS_TEST_AWS_ENDPOINT`), plus SDK-level test doubles for the
//! failures moto cannot produce. One binary, because every test binary links the whole SDK.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

mod claims;
mod contracts;
mod errors;
mod feeds;
mod messaging;
mod orders;
mod provisioning;
mod records;
mod storage;
mod tenants;
