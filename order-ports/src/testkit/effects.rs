//! The contracts of [`EffectLog`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;
use order_domain::testing::now;

use super::{concurrently, must};
use crate::effects::{EffectLog, EffectStart};

/// Supplies fresh effect logs.
#[async_trait]
pub trait EffectLogFixture: Send + Sync {
    /// A fresh log with no records.
    async fn fresh(&self) -> Arc<dyn EffectLog>;
}

/// Runs every contract of this suite as its own test against `$fixture` (an
/// [`EffectLogFixture`]).
#[macro_export]
macro_rules! effect_log_contract_tests {
    ($fixture:expr) => {
        $crate::__contract_tests!(
            $fixture,
            effects,
            [
                an_effect_is_done_once,
                a_lease_that_ran_out_may_be_taken_over,
                an_abandoned_claim_may_proceed_at_once,
                concurrent_begins_let_one_proceed,
            ]
        );
    };
}

const LEASE: Duration = Duration::from_mins(1);

/// begin → `Proceed`; begin while leased → `InProgress` with the end of the lease; after complete → `AlreadyDone`, for
/// good (abandoning a done key changes nothing).
///
/// # Panics
/// When the contract is broken.
pub async fn an_effect_is_done_once(fixture: &dyn EffectLogFixture) {
    let log = fixture.fresh().await;
    let key = "email/order_1/order_confirmation";
    assert_eq!(must(log.begin(key, now(), LEASE).await, "begin"), EffectStart::Proceed);
    assert_eq!(
        must(log.begin(key, now() + TimeDelta::seconds(1), LEASE).await, "begin"),
        EffectStart::InProgress { until: now() + TimeDelta::seconds(60) },
        "the end of the running lease"
    );
    must(log.complete(key, now() + TimeDelta::seconds(2)).await, "complete");
    assert_eq!(must(log.begin(key, now() + TimeDelta::seconds(3), LEASE).await, "begin"), EffectStart::AlreadyDone);
    must(log.abandon(key).await, "abandon a done key");
    let much_later = now() + TimeDelta::days(30);
    assert_eq!(must(log.begin(key, much_later, LEASE).await, "begin"), EffectStart::AlreadyDone, "done for good");
    assert_eq!(
        must(log.begin("email/order_2/order_confirmation", now(), LEASE).await, "other key"),
        EffectStart::Proceed
    );
}

/// A claim whose lease ran out (judged by the `at` passed) may be taken by the next worker.
///
/// # Panics
/// When the contract is broken.
pub async fn a_lease_that_ran_out_may_be_taken_over(fixture: &dyn EffectLogFixture) {
    let log = fixture.fresh().await;
    let key = "email/order_1/order_status_update";
    assert_eq!(must(log.begin(key, now(), LEASE).await, "begin"), EffectStart::Proceed);
    let during = now() + TimeDelta::seconds(59);
    assert_eq!(
        must(log.begin(key, during, LEASE).await, "begin during lease"),
        EffectStart::InProgress { until: now() + TimeDelta::seconds(60) }
    );
    let after = now() + TimeDelta::seconds(61);
    assert_eq!(must(log.begin(key, after, LEASE).await, "begin after lease"), EffectStart::Proceed);
    let within_new = after + TimeDelta::seconds(30);
    assert_eq!(
        must(log.begin(key, within_new, LEASE).await, "the new lease holds"),
        EffectStart::InProgress { until: after + TimeDelta::seconds(60) }
    );
}

/// After `abandon`, a retry may proceed at once.
///
/// # Panics
/// When the contract is broken.
pub async fn an_abandoned_claim_may_proceed_at_once(fixture: &dyn EffectLogFixture) {
    let log = fixture.fresh().await;
    let key = "email/order_1/order_cancelled";
    assert_eq!(must(log.begin(key, now(), LEASE).await, "begin"), EffectStart::Proceed);
    must(log.abandon(key).await, "abandon");
    assert_eq!(must(log.begin(key, now(), LEASE).await, "begin after abandon"), EffectStart::Proceed);
    must(log.abandon("never/begun").await, "abandoning an unknown key is a success");
}

/// Twenty workers begin one effect at once: exactly one may proceed.
///
/// # Panics
/// When the contract is broken.
pub async fn concurrent_begins_let_one_proceed(fixture: &dyn EffectLogFixture) {
    let log = fixture.fresh().await;
    let results = concurrently(20, |_| {
        let log = Arc::clone(&log);
        async move { must(log.begin("email/order_9/order_notification", now(), LEASE).await, "begin") }
    })
    .await;
    let proceed = results.iter().filter(|r| **r == EffectStart::Proceed).count();
    let until = now() + TimeDelta::seconds(60);
    let in_progress = results.iter().filter(|r| **r == EffectStart::InProgress { until }).count();
    assert_eq!((proceed, in_progress), (1, 19), "{results:?}");
}
