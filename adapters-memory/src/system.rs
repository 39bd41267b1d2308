//! A manual clock and sequential ids: the test doubles of the system ports (the production
//! ones are in `adapters-system`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use order_domain::{OrderId, TenantId};
use order_ports::{Clock, IdGenerator};
use uuid::Uuid;

use crate::sync::lock;

/// A clock that moves only when told to, for tests and reproducible runs.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self { now: Mutex::new(at) }
    }

    /// Sets the time.
    pub fn set(&self, at: DateTime<Utc>) {
        *lock(&self.now) = at;
    }

    /// Moves the time forward (or back, for a negative `by`).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = lock(&self.now);
        *now = now.checked_add_signed(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.now)
    }
}

/// Deterministic ids from a counter: the n-th call of any method uses n. Reproducible runs
/// (the quickstart) and tests get the same ids every time.
#[derive(Debug, Default)]
pub struct SequentialIds {
    counter: AtomicU64,
}

impl SequentialIds {
    /// A generator whose first id uses 1.
    pub fn new() -> Self {
        Self::default()
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

impl IdGenerator for SequentialIds {
    fn order_id(&self, at: DateTime<Utc>) -> OrderId {
        OrderId::from_parts(at, u128::from(self.next()))
    }

    fn message_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.next()))
    }

    fn tenant_id(&self) -> TenantId {
        tenant_id(&format!("{:012}", self.next()))
    }
}

/// `tenant_{suffix}`.
fn tenant_id(suffix: &str) -> TenantId {
    match TenantId::parse(format!("tenant_{suffix}")) {
        Ok(id) => id,
        // The suffixes used are at most 32 hex or decimal digits: `tenant_` and those always
        // make a valid id, so this arm states an invariant rather than handles a case.
        Err(error) => unreachable!("generated tenant id is invalid: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use order_domain::testing::now;

    #[test]
    fn sequential_ids_repeat_across_runs() {
        let (a, b) = (SequentialIds::new(), SequentialIds::new());
        assert_eq!(a.order_id(now()), b.order_id(now()));
        assert_eq!(a.message_id(), b.message_id());
        assert_eq!(a.tenant_id().as_str(), "tenant_000000000003");
        assert_eq!(a.order_id(now()).issued_at(), now());
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(now());
        assert_eq!(clock.now(), now());
        clock.advance(TimeDelta::minutes(5));
        assert_eq!(clock.now(), now() + TimeDelta::minutes(5));
        clock.set(now());
        assert_eq!(clock.now(), now());
    }
}
