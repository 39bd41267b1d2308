//! The contracts of [`CartGateway`] and [`CampaignCatalog`].

use std::sync::Arc;

use async_trait::async_trait;
use order_domain::testing::{line, now};
use order_domain::{Campaign, CampaignCode, CartOwner, CartSnapshot, Discount};

use super::data::{cart, minutes, tenant};
use super::{assert_error, must};
use crate::PortError;
use crate::upstream::{CampaignCatalog, CartGateway};

/// Supplies seeded upstream services.
#[async_trait]
pub trait UpstreamFixture: Send + Sync {
    /// A cart gateway that knows exactly these carts, the `inactive` ones already marked
    /// inactive.
    async fn cart_gateway(&self, active: &[CartSnapshot], inactive: &[CartSnapshot]) -> Arc<dyn CartGateway>;
    /// A catalog holding exactly these campaigns.
    async fn campaign_catalog(&self, campaigns: &[Campaign]) -> Arc<dyn CampaignCatalog>;
}

/// Runs every contract of this suite as its own test against `$fixture` (an
/// [`UpstreamFixture`]).
#[macro_export]
macro_rules! upstream_contract_tests {
    ($fixture:expr) => {
        $crate::__contract_tests!(
            $fixture,
            upstream,
            [
                cart_snapshots_are_served_only_for_active_carts,
                a_cart_snapshot_names_its_owner,
                marking_a_cart_inactive_is_idempotent,
                campaigns_are_found_by_code_whatever_their_window,
            ]
        );
    };
}

fn snapshot(id: &str) -> CartSnapshot {
    owned(id, CartOwner::Tenant(tenant("tenant_acme")))
}

fn owned(id: &str, owner: CartOwner) -> CartSnapshot {
    CartSnapshot::new(cart(id), owner, vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)])
        .unwrap_or_else(|e| panic!("test cart: {e}"))
}

fn code(text: &str) -> CampaignCode {
    CampaignCode::parse(text).unwrap_or_else(|e| panic!("test campaign code: {e}"))
}

/// `snapshot` returns an active cart's lines, and MUST return `NotFound` for an unknown cart
/// and `Conflict` for an inactive one.
///
/// # Panics
/// When the contract is broken.
pub async fn cart_snapshots_are_served_only_for_active_carts(fixture: &dyn UpstreamFixture) {
    let gateway = fixture.cart_gateway(&[snapshot("cart_live")], &[snapshot("cart_done")]).await;
    assert_eq!(must(gateway.snapshot(&cart("cart_live")).await, "snapshot"), snapshot("cart_live"));
    assert_error(gateway.snapshot(&cart("cart_unknown")).await, |e| matches!(e, PortError::NotFound), "unknown");
    assert_error(gateway.snapshot(&cart("cart_done")).await, |e| matches!(e, PortError::Conflict(_)), "inactive");
}

/// `snapshot` MUST say whose the cart is — a tenant's, or a guest's — as the cart service
/// does, and `owner` MUST say it for an inactive cart too (`NotFound` for an unknown one): the
/// application orders a cart only for its owner, and tells no one else anything about it.
///
/// # Panics
/// When the contract is broken.
pub async fn a_cart_snapshot_names_its_owner(fixture: &dyn UpstreamFixture) {
    let other = owned("cart_other", CartOwner::Tenant(tenant("tenant_other")));
    let guest = owned("cart_guest", CartOwner::Guest);
    let done = owned("cart_done", CartOwner::Tenant(tenant("tenant_other")));
    let gateway = fixture.cart_gateway(&[other.clone(), guest.clone()], std::slice::from_ref(&done)).await;
    assert_eq!(must(gateway.snapshot(&cart("cart_other")).await, "tenant's cart").owner(), other.owner());
    assert_eq!(must(gateway.snapshot(&cart("cart_guest")).await, "guest's cart").owner(), &CartOwner::Guest);
    assert_eq!(&must(gateway.owner(&cart("cart_guest")).await, "guest's cart's owner"), &CartOwner::Guest);
    assert_eq!(&must(gateway.owner(&cart("cart_done")).await, "inactive cart's owner"), done.owner());
    assert_error(gateway.owner(&cart("cart_unknown")).await, |e| matches!(e, PortError::NotFound), "unknown");
}

/// `mark_inactive` makes the cart inactive; again is a success; an unknown cart MUST give
/// `NotFound`.
///
/// # Panics
/// When the contract is broken.
pub async fn marking_a_cart_inactive_is_idempotent(fixture: &dyn UpstreamFixture) {
    let gateway = fixture.cart_gateway(&[snapshot("cart_live")], &[]).await;
    must(gateway.mark_inactive(&cart("cart_live")).await, "mark inactive");
    assert_error(gateway.snapshot(&cart("cart_live")).await, |e| matches!(e, PortError::Conflict(_)), "now inactive");
    must(gateway.mark_inactive(&cart("cart_live")).await, "mark inactive again");
    assert_error(gateway.mark_inactive(&cart("cart_unknown")).await, |e| matches!(e, PortError::NotFound), "unknown");
}

/// `find` returns a campaign by its code (codes are case-insensitive), active or not, and
/// `None` for an unknown code.
///
/// # Panics
/// When the contract is broken.
pub async fn campaigns_are_found_by_code_whatever_their_window(fixture: &dyn UpstreamFixture) {
    let fixed = Discount::FixedAmount(order_domain::testing::zar("100.00"));
    let summer = Campaign { code: code("SUMMER2026"), discount: fixed, valid_from: None, valid_until: None };
    let ended =
        Campaign { code: code("ENDED"), discount: fixed, valid_from: Some(minutes(-120)), valid_until: Some(now()) };
    let catalog = fixture.campaign_catalog(&[summer.clone(), ended.clone()]).await;
    assert_eq!(must(catalog.find(&code("summer2026")).await, "find"), Some(summer));
    assert_eq!(must(catalog.find(&code("ENDED")).await, "find an ended campaign"), Some(ended));
    assert_eq!(must(catalog.find(&code("NOPE")).await, "find unknown"), None);
}
