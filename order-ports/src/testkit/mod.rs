//! Contract suites: every documented contract of every port ("MUST return `Conflict` when
//! …"), written once and run against each adapter family.
//!
//! Each suite is a set of `pub async fn`s taking a *fixture*: a small trait an adapter's tests
//! implement to hand the suite fresh, empty instances of the ports under test (the in-memory
//! family builds new values; the AWS family creates a fresh table, topic or queues on a local
//! AWS-compatible server). The suites use only the ports and the fixture — never an adapter's
//! own inspection helpers — so they run unchanged against any implementation.
//!
//! A failed contract panics with a message naming the broken promise: that is how a suite
//! reports, so these functions belong in tests only.
//!
//! The macros ([`order_store_contract_tests!`](crate::order_store_contract_tests) and the
//! others) expand to one `#[tokio::test]` per contract, so an adapter crate runs a whole suite
//! with one line and sees each contract as its own test. The calling crate needs `tokio` with
//! the `macros` and `rt-multi-thread` features (concurrency contracts run on several threads).
//!
//! ## Suites
//! - [`orders`] — [`OrderRepository`](crate::OrderRepository) and [`CartClaims`](crate::CartClaims).
//! - [`tenants`] — [`TenantDirectory`](crate::TenantDirectory).
//! - [`messaging`] — [`EventPublisher`](crate::EventPublisher) with its [`EventQueue`](crate::EventQueue)s.
//! - [`documents`] — [`DocumentStore`](crate::DocumentStore), [`DocumentNumbers`](crate::DocumentNumbers).
//! - [`email`] — [`Mailer`](crate::Mailer), [`TemplateSource`](crate::TemplateSource).
//! - [`upstream`] — [`CartGateway`](crate::CartGateway), [`CampaignCatalog`](crate::CampaignCatalog).
//! - [`effects`] — [`EffectLog`](crate::EffectLog).
//! - [`cipher`] — [`FieldCipher`](crate::FieldCipher).
//! - [`system`] — [`IdGenerator`](crate::IdGenerator).
//! - [`data`] — the orders, events and claims the suites use.

pub mod cipher;
pub mod data;
pub mod documents;
pub mod effects;
pub mod email;
pub mod messaging;
pub mod orders;
pub mod system;
pub mod tenants;
pub mod upstream;

use std::fmt::Debug;
use std::future::Future;

use crate::error::PortResult;

/// The value of a call that must succeed; panics naming the contract otherwise.
///
/// # Panics
/// When `result` is an error.
#[track_caller]
pub fn must<T>(result: PortResult<T>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what}: expected success, got {error:?}"),
    }
}

/// Runs `count` copies of a task at once on the runtime's threads and returns their results
/// in order. A task that panicked panics here with its message.
///
/// # Panics
/// When a task panicked or was cancelled.
pub async fn concurrently<T, F, Fut>(count: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let handles: Vec<_> = (0..count).map(|i| tokio::spawn(task(i))).collect();
    let mut results = Vec::with_capacity(count);
    for joined in futures::future::join_all(handles).await {
        match joined {
            Ok(value) => results.push(value),
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => panic!("a concurrent task did not finish: {error}"),
        }
    }
    results
}

/// Asserts that `result` is the error `expected` describes.
///
/// # Panics
/// When it is not.
#[track_caller]
pub fn assert_error<T: Debug>(result: PortResult<T>, expected: fn(&crate::PortError) -> bool, what: &str) {
    match result {
        Err(ref error) if expected(error) => {}
        other => panic!("{what}: got {other:?}"),
    }
}

/// Expands to one `#[tokio::test]` per named contract of `$suite`, each calling
/// `order_ports::testkit::$suite::$name(&$fixture)`.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_tests {
    ($fixture:expr, $suite:ident, [$($name:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::testkit::$suite::$name(&$fixture).await;
            }
        )*
    };
}
