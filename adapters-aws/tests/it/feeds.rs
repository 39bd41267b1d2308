//! The sharded work feeds (FEEDS index): entries of one order stay on its shard, readers merge
//! every shard oldest first, and changing the shard count loses nothing.

use std::collections::BTreeSet;
use std::sync::Arc;

use adapters_aws::{DynamoOrderRepository, TableLayout};
use aws_sdk_dynamodb::types::AttributeValue;
use order_domain::{ActorKind, Order, OrderStatus};
use order_ports::{CartClaim, CartClaims, OrderRepository, OrderUpdate};

use crate::support::{FEED_SHARDS, TestCipher, created_event, envelope, fresh, minutes, order_at, tenant};

/// Orders created a minute apart until at least three feed shards hold one, and at most
/// `count`.
fn orders_on_several_shards(layout: TableLayout, count: usize) -> Vec<Order> {
    let acme = tenant("tenant_acme");
    let orders: Vec<Order> = (0..count).map(|i| order_at(&acme, minutes(i64::try_from(i).unwrap()))).collect();
    let shards: BTreeSet<u16> = orders.iter().map(|o| layout.feed_shard(o.id())).collect();
    assert!(shards.len() >= 3, "{count} orders fall on shards {shards:?}; the test needs several");
    orders
}

fn repository_on(f: &crate::support::Fixture, layout: TableLayout) -> DynamoOrderRepository {
    DynamoOrderRepository::new(f.clients.dynamodb.clone(), &f.resources.orders_table, Arc::new(TestCipher))
        .with_layout(layout)
}

#[tokio::test]
async fn one_sweep_finds_stale_orders_on_every_shard_oldest_first() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let layout = f.resources.layout;
    assert_eq!(layout.feed_shards(), FEED_SHARDS);
    let orders = orders_on_several_shards(layout, 12);
    for order in orders.iter().rev() {
        repo.insert(order).await.unwrap();
    }
    // The order's item names its shard.
    let raw = f.raw_item("TENANT#tenant_acme", &format!("ORDER#{}", orders[0].id())).await;
    let shard = layout.feed_shard(orders[0].id());
    assert_eq!(raw["FEEDPK"], AttributeValue::S(format!("OPEN#PENDING#{shard}")));

    let ids = |found: Vec<Order>| found.iter().map(Order::id).collect::<Vec<_>>();
    let all: Vec<_> = orders.iter().map(Order::id).collect();
    assert_eq!(ids(repo.stale(OrderStatus::Pending, minutes(60), 100).await.unwrap()), all);
    assert_eq!(ids(repo.stale(OrderStatus::Pending, minutes(60), 5).await.unwrap()), all[..5], "the oldest five");
    assert_eq!(ids(repo.stale(OrderStatus::Pending, minutes(3), 100).await.unwrap()), all[..4], "up to minute 3");
    assert!(repo.stale(OrderStatus::PaymentPending, minutes(60), 100).await.unwrap().is_empty());

    // An order that moved on leaves its status's feed.
    let mut moved = orders[1].clone();
    let events: Vec<_> = moved
        .request_payment(ActorKind::Customer, minutes(20))
        .unwrap()
        .into_iter()
        .map(|e| envelope(e, minutes(20)))
        .collect();
    repo.update(OrderUpdate { order: &moved, expected_version: 1, events: &events, payment: None }).await.unwrap();
    let pending = ids(repo.stale(OrderStatus::Pending, minutes(60), 100).await.unwrap());
    assert!(!pending.contains(&moved.id()) && pending.len() == all.len() - 1, "{pending:?}");
    assert_eq!(ids(repo.stale(OrderStatus::PaymentPending, minutes(60), 100).await.unwrap()), [moved.id()]);
}

#[tokio::test]
async fn the_outbox_and_the_claims_are_read_across_shards_and_cleared_off_the_request_path() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let orders = orders_on_several_shards(f.resources.layout, 12);
    for (i, order) in orders.iter().enumerate().rev() {
        let claim = CartClaim {
            cart_id: order.cart_id().clone(),
            order_id: order.id(),
            idempotency_key: None,
            request_hash: format!("hash-{i}"),
            event: created_event(order),
            claimed_at: order.created_at(),
            recorded: false,
        };
        repo.claim(&claim).await.unwrap();
    }
    let carts: Vec<_> = orders.iter().map(|o| o.cart_id().clone()).collect();
    let unrecorded = repo.unrecorded(minutes(60), 100).await.unwrap();
    assert_eq!(unrecorded.iter().map(|c| c.cart_id.clone()).collect::<Vec<_>>(), carts, "oldest first");

    for order in &orders {
        repo.insert(order).await.unwrap();
        let mut moved = order.clone();
        let at = order.created_at() + chrono::TimeDelta::seconds(1);
        let events: Vec<_> =
            moved.request_payment(ActorKind::Customer, at).unwrap().into_iter().map(|e| envelope(e, at)).collect();
        repo.update(OrderUpdate { order: &moved, expected_version: 1, events: &events, payment: None }).await.unwrap();
    }
    assert!(repo.unrecorded(minutes(60), 100).await.unwrap().is_empty(), "recording leaves the claims feed");
    let pending = repo.pending_outbox(100).await.unwrap();
    let order_ids: Vec<_> = orders.iter().map(Order::id).collect();
    assert_eq!(pending.iter().map(|e| e.order_id).collect::<Vec<_>>(), order_ids, "oldest first over every shard");

    // Handed over without a call on the caller's path; gone once the background task has run.
    for entry in &pending[..8] {
        repo.clear_outbox_soon(entry).await.unwrap();
    }
    repo.flush_outbox_clearing().await;
    assert_eq!(repo.pending_outbox(100).await.unwrap(), pending[8..]);
}

#[tokio::test]
async fn growing_the_shard_count_loses_nothing_and_shrinking_drains_the_old_shards_first() {
    let f = fresh().await;
    let written = TableLayout::new(8, 1).unwrap();
    let writer = repository_on(&f, written);
    let orders = orders_on_several_shards(written, 16);
    for order in &orders {
        writer.insert(order).await.unwrap();
    }
    let all: Vec<_> = orders.iter().map(Order::id).collect();
    let stale = |repo: &DynamoOrderRepository| {
        let repo = repo.clone();
        async move {
            repo.stale(OrderStatus::Pending, minutes(60), 100).await.unwrap().iter().map(Order::id).collect::<Vec<_>>()
        }
    };
    // Growing from 8 to 16: the readers cover the old shards.
    assert_eq!(stale(&repository_on(&f, TableLayout::new(16, 1).unwrap())).await, all);
    // Shrinking from 8 to 2 while still reading 8: nothing missed.
    let draining = TableLayout::new(2, 1).unwrap().reading(8).unwrap();
    assert_eq!(stale(&repository_on(&f, draining)).await, all);
    // Reading only the 2 new shards too early would miss the orders on shards 2..8.
    let too_early = stale(&repository_on(&f, TableLayout::new(2, 1).unwrap())).await;
    let expected: Vec<_> = orders.iter().filter(|o| written.feed_shard(o.id()) < 2).map(Order::id).collect();
    assert_eq!(too_early, expected);
    assert!(too_early.len() < all.len());
}
