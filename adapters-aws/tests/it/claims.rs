//! `DynamoOrderRepository` as `CartClaims`, and the claim's link to `insert`.

use futures::future::join_all;
use order_domain::OrderId;
use order_ports::{CartClaim, CartClaims, ClaimOutcome, OrderRepository};

use crate::support::{created_event, fresh, minutes, order_at, order_for, tenant};

fn claim_of(order: &order_domain::Order, key: Option<&str>, at: chrono::DateTime<chrono::Utc>) -> CartClaim {
    CartClaim {
        cart_id: order.cart_id().clone(),
        order_id: order.id(),
        idempotency_key: key.map(str::to_owned),
        request_hash: format!("hash-of-{}", order.id()),
        event: created_event(order),
        claimed_at: at,
        recorded: false,
    }
}

#[tokio::test]
async fn a_cart_is_claimed_once_and_the_claim_comes_back_to_a_retry() {
    let f = fresh().await;
    let claims = &f.adapters.orders;
    let order = order_for(&tenant("tenant_acme"));
    let claim = claim_of(&order, None, minutes(0));
    assert_eq!(claims.claim(&claim).await.unwrap(), ClaimOutcome::Claimed);
    assert_eq!(claims.find(order.cart_id()).await.unwrap(), Some(claim.clone()));

    // A retry for the same cart with another order id gets the first claim back.
    let mut retry = claim.clone();
    retry.order_id = OrderId::from_parts(minutes(1), 99);
    retry.request_hash = "another".into();
    assert_eq!(claims.claim(&retry).await.unwrap(), ClaimOutcome::AlreadyClaimed(Box::new(claim)));
}

#[tokio::test]
async fn an_idempotency_key_is_claimed_with_its_cart_and_points_back_at_it() {
    let f = fresh().await;
    let claims = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let first = order_for(&acme);
    let claim = claim_of(&first, Some("tenant_acme/key-1"), minutes(0));
    assert_eq!(claims.claim(&claim).await.unwrap(), ClaimOutcome::Claimed);

    // Same key, another cart: the key's claim comes back, and the other cart stays free.
    let second = order_for(&acme);
    let reuse = claim_of(&second, Some("tenant_acme/key-1"), minutes(1));
    assert_eq!(claims.claim(&reuse).await.unwrap(), ClaimOutcome::AlreadyClaimed(Box::new(claim.clone())));
    assert_eq!(claims.find(second.cart_id()).await.unwrap(), None);

    // Same cart, another key: the cart's claim comes back, and the new key is not taken.
    let other_key = claim_of(&first, Some("tenant_acme/key-2"), minutes(2));
    assert_eq!(claims.claim(&other_key).await.unwrap(), ClaimOutcome::AlreadyClaimed(Box::new(claim)));
    let free = claim_of(&second, Some("tenant_acme/key-2"), minutes(3));
    assert_eq!(claims.claim(&free).await.unwrap(), ClaimOutcome::Claimed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_claims_on_one_cart_exactly_one_wins() {
    let f = fresh().await;
    let order = order_for(&tenant("tenant_acme"));
    let attempts = (0..8).map(|i| {
        let claims = f.adapters.orders.clone();
        let mut claim = claim_of(&order, (i % 2 == 0).then_some(format!("k-{i}")).as_deref(), minutes(0));
        claim.order_id = OrderId::from_parts(minutes(0), 1000 + i);
        tokio::spawn(async move { claims.claim(&claim).await.unwrap() })
    });
    let outcomes: Vec<_> = join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == ClaimOutcome::Claimed).count(), 1, "{outcomes:?}");
    let stored = f.adapters.orders.find(order.cart_id()).await.unwrap().unwrap();
    for outcome in outcomes {
        if let ClaimOutcome::AlreadyClaimed(existing) = outcome {
            assert_eq!(*existing, stored);
        }
    }
}

#[tokio::test]
async fn unrecorded_claims_are_listed_oldest_first_until_the_order_is_recorded() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let orders: Vec<_> = (0..3).map(|i| order_at(&acme, minutes(i))).collect();
    for (i, order) in orders.iter().enumerate().rev() {
        repo.claim(&claim_of(order, None, minutes(i64::try_from(i).unwrap()))).await.unwrap();
    }
    let carts = |claims: Vec<CartClaim>| claims.into_iter().map(|c| c.cart_id).collect::<Vec<_>>();
    let all: Vec<_> = orders.iter().map(|o| o.cart_id().clone()).collect();
    assert_eq!(carts(repo.unrecorded(minutes(10), 10).await.unwrap()), all);
    assert_eq!(carts(repo.unrecorded(minutes(2), 10).await.unwrap()), all[..2]);
    assert_eq!(carts(repo.unrecorded(minutes(10), 1).await.unwrap()), all[..1]);

    // The record writer's insert marks the claim recorded in the same step.
    repo.insert(&orders[0]).await.unwrap();
    let recorded = repo.find(orders[0].cart_id()).await.unwrap().unwrap();
    assert!(recorded.recorded);
    assert_eq!(carts(repo.unrecorded(minutes(10), 10).await.unwrap()), all[1..]);
}

#[tokio::test]
async fn an_order_without_a_claim_is_still_inserted() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let order = order_for(&acme);
    repo.insert(&order).await.unwrap();
    assert_eq!(repo.get(&acme, order.id()).await.unwrap(), order);
    assert_eq!(repo.find(order.cart_id()).await.unwrap(), None, "no half-written claim appears");

    // A claim on the cart for another order is left alone.
    let mut foreign = claim_of(&order, None, minutes(0));
    let other = order_for(&acme);
    foreign.cart_id = other.cart_id().clone();
    foreign.order_id = OrderId::from_parts(minutes(0), 4242);
    repo.claim(&foreign).await.unwrap();
    repo.insert(&other).await.unwrap();
    assert!(!repo.find(other.cart_id()).await.unwrap().unwrap().recorded);
}
