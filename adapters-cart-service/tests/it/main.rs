//! The cart service gateway over a real socket, against a stub of the cart service started on
//! `127.0.0.1:0` by each test: the answers it maps, the faults it retries or refuses, and the
//! `CartGateway` contract suite.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod answers;
mod contracts;
mod faults;
mod stub;

use order_domain::testing::line;
use order_domain::{CartOwner, CartSnapshot};
use order_ports::testkit::data::{cart, tenant};

/// A two-line cart, as the contract suite uses.
fn two_lines(id: &str) -> CartSnapshot {
    CartSnapshot::new(
        cart(id),
        CartOwner::Tenant(tenant("tenant_acme")),
        vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
    )
    .unwrap()
}
