//! Clocks and id generators.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use order_domain::{OrderId, TenantId};
use order_ports::{Clock, IdGenerator};
use uuid::Uuid;

use crate::sync::lock;

/// The system's wall clock.
///
/// Read through `std::time::SystemTime` rather than chrono's `clock` feature: Cargo unifies
/// features across a workspace build, and enabling `clock` here would hand `Utc::now` to
/// `order-domain` too, which must not be able to read the time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from(std::time::SystemTime::now())
    }
}

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

/// Random ids: order ids with 80 bits of operating-system entropy, UUID v4 message ids and
/// tenant ids.
///
/// # Panics
/// Like [`Uuid::new_v4`], when the operating system has no randomness to give.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn order_id(&self, at: DateTime<Utc>) -> OrderId {
        let mut entropy = [0_u8; 16];
        let entropy = match getrandom::fill(&mut entropy) {
            Ok(()) => u128::from_be_bytes(entropy),
            // Fall back to the UUID generator, which has its own way to the same source.
            Err(_) => Uuid::new_v4().as_u128(),
        };
        OrderId::from_parts(at, entropy)
    }

    fn message_id(&self) -> Uuid {
        Uuid::new_v4()
    }

    fn tenant_id(&self) -> TenantId {
        tenant_id(&Uuid::new_v4().simple().to_string())
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

    #[test]
    fn system_clock_reads_the_time() {
        let before = DateTime::<Utc>::from(std::time::SystemTime::now());
        let read = SystemClock.now();
        assert!(read >= before);
    }
}
