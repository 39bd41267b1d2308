//! The cart service and the campaign catalog, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use order_domain::{Campaign, CampaignCode, CartId, CartOwner, CartSnapshot};
use order_ports::{CampaignCatalog, CartGateway, PortError, PortResult};

use crate::sync::lock;

#[derive(Debug, Clone)]
struct Cart {
    snapshot: CartSnapshot,
    active: bool,
}

/// Carts as the cart service would hand them over: seeded by tests and hosts.
#[derive(Debug, Default)]
pub struct MemoryCartGateway {
    carts: Mutex<HashMap<CartId, Cart>>,
}

impl MemoryCartGateway {
    /// No carts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an active cart.
    pub fn add_cart(&self, snapshot: CartSnapshot) {
        lock(&self.carts).insert(snapshot.cart_id().clone(), Cart { snapshot, active: true });
    }

    /// Whether the cart was marked inactive; `None` for an unknown cart.
    pub fn is_inactive(&self, cart: &CartId) -> Option<bool> {
        lock(&self.carts).get(cart).map(|cart| !cart.active)
    }
}

#[async_trait]
impl CartGateway for MemoryCartGateway {
    async fn snapshot(&self, cart: &CartId) -> PortResult<CartSnapshot> {
        match lock(&self.carts).get(cart) {
            None => Err(PortError::NotFound),
            Some(found) if !found.active => Err(PortError::Conflict(format!("cart {cart} is no longer active"))),
            Some(found) => Ok(found.snapshot.clone()),
        }
    }

    async fn owner(&self, cart: &CartId) -> PortResult<CartOwner> {
        lock(&self.carts).get(cart).map(|found| found.snapshot.owner().clone()).ok_or(PortError::NotFound)
    }

    async fn mark_inactive(&self, cart: &CartId) -> PortResult<()> {
        let mut carts = lock(&self.carts);
        let found = carts.get_mut(cart).ok_or(PortError::NotFound)?;
        found.active = false;
        Ok(())
    }
}

/// Campaign rules by code.
#[derive(Debug, Default)]
pub struct MemoryCampaignCatalog {
    campaigns: Mutex<HashMap<CampaignCode, Campaign>>,
}

impl MemoryCampaignCatalog {
    /// No campaigns.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a campaign.
    pub fn insert(&self, campaign: Campaign) {
        lock(&self.campaigns).insert(campaign.code.clone(), campaign);
    }
}

#[async_trait]
impl CampaignCatalog for MemoryCampaignCatalog {
    async fn find(&self, code: &CampaignCode) -> PortResult<Option<Campaign>> {
        Ok(lock(&self.campaigns).get(code).cloned())
    }
}
