//! The tenant directory, as far as guest checkout needs it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use order_domain::{Email, Tenant, TenantId};

use crate::error::PortResult;

/// Tenants by email. Owned by tenant management; orders only look up and, for guest checkout,
/// create UNVALIDATED tenants.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// The tenant registered under this email. The read is strongly consistent: a tenant created
    /// a moment ago by a concurrent guest order is found. Every spelling of one address is one
    /// key: an adapter keys by the canonical form ([`Email::as_str`]) and reads a stored address
    /// back through [`Email::parse`], never compares what was typed.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable); no tenant is `Ok(None)`.
    async fn find_by_email(&self, email: &Email) -> PortResult<Option<Tenant>>;

    /// Creates an UNVALIDATED tenant for `email`, guarded by a uniqueness record on the email
    /// written in the same atomic step, so two concurrent creates end with one tenant.
    ///
    /// # Errors
    /// MUST return [`AlreadyExists`](crate::PortError::AlreadyExists) when a tenant with this
    /// email (or this id) exists; nothing is written then.
    async fn create_unvalidated(&self, id: &TenantId, email: &Email, at: DateTime<Utc>) -> PortResult<Tenant>;
}
