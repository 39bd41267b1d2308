//! Who is calling, and what that lets them see.

use std::fmt;

use order_domain::{ActorKind, Order, TenantId};

/// A named service allowed to act on orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// The payment service (and verified PayFast notifications).
    Payment,
    /// The tenant-provisioning service.
    Provisioning,
    /// The cart service, handing over carts.
    Cart,
}

/// An authenticated caller, as a host established it (from a verified token, a queue, a
/// schedule). The tenant of a customer comes from the token, never from a request body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A signed-in customer of one tenant.
    Customer {
        /// The tenant the customer belongs to.
        tenant_id: TenantId,
    },
    /// An anonymous shopper at guest checkout.
    Guest,
    /// BBWS staff: may read across tenants.
    Staff,
    /// A named service.
    Service(Service),
    /// The system itself (schedules, sweeps).
    System,
}

impl Principal {
    /// The kind of actor the domain sees.
    pub fn actor(&self) -> ActorKind {
        match self {
            Self::Customer { .. } => ActorKind::Customer,
            Self::Guest => ActorKind::Guest,
            Self::Staff => ActorKind::Staff,
            Self::Service(Service::Payment) => ActorKind::PaymentService,
            Self::Service(Service::Provisioning) => ActorKind::ProvisioningService,
            Self::Service(Service::Cart) => ActorKind::CartService,
            Self::System => ActorKind::System,
        }
    }

    /// The tenant a customer is confined to; `None` for everyone else.
    pub fn own_tenant(&self) -> Option<&TenantId> {
        match self {
            Self::Customer { tenant_id } => Some(tenant_id),
            Self::Guest | Self::Staff | Self::Service(_) | Self::System => None,
        }
    }

    /// Whether this principal may see (and so act on) `order`. A customer sees only their own
    /// tenant's orders; a guest sees none after checkout; staff, services and the system see
    /// all. Callers answer "not found" when this is false, never "forbidden".
    pub fn may_see(&self, order: &Order) -> bool {
        match self {
            Self::Customer { tenant_id } => order.tenant_id() == Some(tenant_id),
            Self::Guest => false,
            Self::Staff | Self::Service(_) | Self::System => true,
        }
    }

    /// Whether this principal may list the orders of `tenant`.
    pub fn may_list(&self, tenant: &TenantId) -> bool {
        match self {
            Self::Customer { tenant_id } => tenant_id == tenant,
            Self::Staff | Self::System => true,
            Self::Guest | Self::Service(_) => false,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Customer { tenant_id } => write!(f, "customer of {tenant_id}"),
            other => write!(f, "{}", other.actor()),
        }
    }
}
