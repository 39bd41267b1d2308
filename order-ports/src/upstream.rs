//! The services orders come from: the cart service and the campaign catalog.

use async_trait::async_trait;
use order_domain::{Campaign, CampaignCode, CartId, CartOwner, CartSnapshot};

use crate::error::PortResult;

/// The cart service's internal API.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CartGateway: Send + Sync {
    /// The cart's lines as the cart service prices them, and whose cart it is: the trusted
    /// source of an order's prices when the caller is a customer or a guest.
    ///
    /// # Errors
    /// MUST return [`NotFound`](crate::PortError::NotFound) for an unknown cart and
    /// [`Conflict`](crate::PortError::Conflict) for a cart that is no longer active.
    async fn snapshot(&self, cart: &CartId) -> PortResult<CartSnapshot>;

    /// Whose the cart is, active or not: so that a refusal about an inactive cart is said only
    /// to its owner.
    ///
    /// # Errors
    /// MUST return [`NotFound`](crate::PortError::NotFound) for an unknown cart.
    async fn owner(&self, cart: &CartId) -> PortResult<CartOwner>;

    /// Marks the cart inactive once its order is recorded. Marking an inactive cart again is a
    /// success.
    ///
    /// # Errors
    /// MUST return [`NotFound`](crate::PortError::NotFound) for an unknown cart.
    async fn mark_inactive(&self, cart: &CartId) -> PortResult<()>;
}

/// Campaign (promotion) rules.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CampaignCatalog: Send + Sync {
    /// The campaign with this code, whether or not it is active now.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable); no campaign is `Ok(None)`.
    async fn find(&self, code: &CampaignCode) -> PortResult<Option<Campaign>>;
}
