//! Time and identity: the two things the domain refuses to make up itself.

use chrono::{DateTime, Utc};
use order_domain::{OrderId, TenantId};
use uuid::Uuid;

/// The current time.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// Fresh identifiers.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new order id issued at `at` (ids sort by issue time).
    fn order_id(&self, at: DateTime<Utc>) -> OrderId;
    /// A new event message id.
    fn message_id(&self) -> Uuid;
    /// A new tenant id, for an UNVALIDATED tenant created by guest checkout.
    fn tenant_id(&self) -> TenantId;
}
