//! The `CartGateway` contracts of `order_ports::testkit::upstream`, against the gateway backed
//! by a stub cart service that serves exactly the fixture's carts.

use std::sync::Arc;

use async_trait::async_trait;
use order_domain::{Campaign, CartSnapshot};
use order_ports::testkit::upstream::{self, UpstreamFixture};
use order_ports::{CampaignCatalog, CartGateway};

use crate::stub::StubCartService;

/// A fresh stub per gateway. The campaign half of the upstream suite is not this crate's: the
/// campaign catalog is another port (in-memory, or DynamoDB in `adapters-aws`).
struct StubbedCartService;

#[async_trait]
impl UpstreamFixture for StubbedCartService {
    async fn cart_gateway(&self, active: &[CartSnapshot], inactive: &[CartSnapshot]) -> Arc<dyn CartGateway> {
        let stub = StubCartService::start().await;
        for cart in active {
            stub.add_cart(cart, true);
        }
        for cart in inactive {
            stub.add_cart(cart, false);
        }
        Arc::new(stub.gateway())
    }

    async fn campaign_catalog(&self, _campaigns: &[Campaign]) -> Arc<dyn CampaignCatalog> {
        unreachable!("the cart contracts use no campaign catalog")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cart_snapshots_are_served_only_for_active_carts() {
    upstream::cart_snapshots_are_served_only_for_active_carts(&StubbedCartService).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_a_cart_inactive_is_idempotent() {
    upstream::marking_a_cart_inactive_is_idempotent(&StubbedCartService).await;
}
