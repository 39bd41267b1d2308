//! The contracts of [`TenantDirectory`].

use std::sync::Arc;

use async_trait::async_trait;
use order_domain::testing::now;
use order_domain::{Email, TenantStatus};

use super::data::tenant;
use super::{assert_error, concurrently, must};
use crate::PortError;
use crate::tenants::TenantDirectory;

/// Supplies fresh tenant directories.
#[async_trait]
pub trait TenantDirectoryFixture: Send + Sync {
    /// A fresh directory with no tenants.
    async fn fresh(&self) -> Arc<dyn TenantDirectory>;
}

/// Runs every contract of this suite as its own test against `$fixture` (a
/// [`TenantDirectoryFixture`]).
#[macro_export]
macro_rules! tenant_directory_contract_tests {
    ($fixture:expr) => {
        $crate::__contract_tests!(
            $fixture,
            tenants,
            [
                create_then_find_by_normalized_email,
                equivalent_spellings_of_an_email_are_one_tenant,
                create_refuses_a_taken_email_or_id,
                concurrent_creates_for_one_email_make_one_tenant,
            ]
        );
    };
}

fn email(text: &str) -> Email {
    Email::parse(text).unwrap_or_else(|e| panic!("test email {text:?}: {e}"))
}

/// A created tenant is UNVALIDATED and found at once by its email, however the email was cased.
///
/// # Panics
/// When the contract is broken.
pub async fn create_then_find_by_normalized_email(fixture: &dyn TenantDirectoryFixture) {
    let directory = fixture.fresh().await;
    let address = email("Guest@Example.CO.ZA");
    assert_eq!(must(directory.find_by_email(&address).await, "find"), None, "nobody yet");
    let created = must(directory.create_unvalidated(&tenant("tenant_guest_1"), &address, now()).await, "create");
    assert_eq!((created.id.as_str(), created.status), ("tenant_guest_1", TenantStatus::Unvalidated));
    assert_eq!(created.email, address);
    let found = must(directory.find_by_email(&email("guest@example.co.za")).await, "find");
    assert_eq!(found, Some(created));
    assert_eq!(must(directory.find_by_email(&email("other@example.co.za")).await, "find"), None);
}

/// Every spelling of one address is one key: a precomposed `ë` or `e` with a combining
/// diaeresis, a Unicode or a Punycode domain, find the tenant created under another spelling,
/// and creating one for them MUST return `AlreadyExists`.
///
/// # Panics
/// When the contract is broken.
pub async fn equivalent_spellings_of_an_email_are_one_tenant(fixture: &dyn TenantDirectoryFixture) {
    let directory = fixture.fresh().await;
    let composed = email("zo\u{eb}@b\u{fc}cher.co.za");
    let created = must(directory.create_unvalidated(&tenant("tenant_zoe"), &composed, now()).await, "create");
    for spelling in ["ZOE\u{308}@b\u{fc}cher.co.za", "zo\u{eb}@xn--bcher-kva.co.za", "zoe\u{308}@BU\u{308}CHER.CO.ZA"] {
        let found = must(directory.find_by_email(&email(spelling)).await, "find");
        assert_eq!(found.as_ref(), Some(&created), "{spelling:?} finds the tenant");
        let again = directory.create_unvalidated(&tenant("tenant_zoe_2"), &email(spelling), now()).await;
        assert_error(again, |e| matches!(e, PortError::AlreadyExists), spelling);
    }
    assert_eq!(must(directory.find_by_email(&email("zoe@bucher.co.za")).await, "find"), None, "another address");
}

/// `create_unvalidated` MUST return `AlreadyExists` when the email or the id is taken, and
/// write nothing.
///
/// # Panics
/// When the contract is broken.
pub async fn create_refuses_a_taken_email_or_id(fixture: &dyn TenantDirectoryFixture) {
    let directory = fixture.fresh().await;
    let first =
        must(directory.create_unvalidated(&tenant("tenant_1"), &email("a@example.co.za"), now()).await, "create");
    let exists = |e: &PortError| matches!(e, PortError::AlreadyExists);
    let same_email = directory.create_unvalidated(&tenant("tenant_2"), &email("A@example.co.za"), now()).await;
    assert_error(same_email, exists, "same email, new id");
    let same_id = directory.create_unvalidated(&tenant("tenant_1"), &email("b@example.co.za"), now()).await;
    assert_error(same_id, exists, "same id, new email");
    assert_eq!(must(directory.find_by_email(&email("a@example.co.za")).await, "find"), Some(first));
    assert_eq!(must(directory.find_by_email(&email("b@example.co.za")).await, "find"), None, "nothing written");
}

/// Twenty concurrent creates for one email end with one tenant: one succeeds, every other
/// MUST get `AlreadyExists`.
///
/// # Panics
/// When the contract is broken.
pub async fn concurrent_creates_for_one_email_make_one_tenant(fixture: &dyn TenantDirectoryFixture) {
    let directory = fixture.fresh().await;
    let results = concurrently(20, |i| {
        let directory = Arc::clone(&directory);
        async move {
            directory
                .create_unvalidated(&tenant(&format!("tenant_race_{i}")), &email("race@example.co.za"), now())
                .await
        }
    })
    .await;
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).cloned().collect();
    let refused = results.iter().filter(|r| matches!(r, Err(PortError::AlreadyExists))).count();
    assert_eq!((winners.len(), refused), (1, 19), "one tenant, nineteen refusals: {results:?}");
    let found = must(directory.find_by_email(&email("race@example.co.za")).await, "find");
    assert_eq!(found.as_ref(), winners.first(), "the winner is the tenant found");
}
