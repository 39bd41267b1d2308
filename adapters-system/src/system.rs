//! The wall clock and random ids.

use chrono::{DateTime, Utc};
use order_domain::{OrderId, TenantId};
use order_ports::{Clock, IdGenerator};
use uuid::Uuid;

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
        match TenantId::parse(format!("tenant_{}", Uuid::new_v4().simple())) {
            Ok(id) => id,
            // `tenant_` and 32 hex digits always make a valid id: this arm states an
            // invariant rather than handles a case.
            Err(error) => unreachable!("generated tenant id is invalid: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_reads_the_time() {
        let before = DateTime::<Utc>::from(std::time::SystemTime::now());
        let read = SystemClock.now();
        assert!(read >= before);
    }

    #[test]
    fn random_ids_differ_and_parse() {
        let at = SystemClock.now();
        assert_ne!(RandomIds.order_id(at), RandomIds.order_id(at));
        assert_ne!(RandomIds.message_id(), RandomIds.message_id());
        let tenant = RandomIds.tenant_id();
        assert!(tenant.as_str().starts_with("tenant_"));
        assert_eq!(TenantId::parse(tenant.as_str()).unwrap(), tenant);
    }
}
