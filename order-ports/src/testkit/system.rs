//! The contracts of [`IdGenerator`] and [`Clock`].

use std::collections::HashSet;

use chrono::{SubsecRound, TimeDelta};
use order_domain::testing::now;

use crate::system::{Clock, IdGenerator};

/// Ids are fresh on every call, and an order id carries the instant it was issued at
/// (to the millisecond).
///
/// # Panics
/// When the contract is broken.
pub fn id_generator_contract(ids: &dyn IdGenerator) {
    let at = now() + TimeDelta::microseconds(1_234_567);
    let mut orders = HashSet::new();
    let mut messages = HashSet::new();
    let mut tenants = HashSet::new();
    for _ in 0..1_000 {
        let id = ids.order_id(at);
        assert_eq!(id.issued_at(), at.trunc_subsecs(3), "the id carries its issue time");
        assert!(orders.insert(id), "order ids are fresh");
        assert!(messages.insert(ids.message_id()), "message ids are fresh");
        assert!(tenants.insert(ids.tenant_id()), "tenant ids are fresh");
    }
    let later = ids.order_id(at + TimeDelta::milliseconds(1));
    assert!(orders.iter().all(|id| *id < later), "order ids sort by issue time");
}

/// Two readings of a clock never go backwards.
///
/// # Panics
/// When the contract is broken.
pub fn clock_contract(clock: &dyn Clock) {
    let first = clock.now();
    let second = clock.now();
    assert!(second >= first, "the clock went back from {first} to {second}");
}
