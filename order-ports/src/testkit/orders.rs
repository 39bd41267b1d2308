//! The contracts of [`OrderRepository`] and [`CartClaims`], which share one store: recording an
//! order marks its cart claim recorded in the same step.

use std::sync::Arc;

use async_trait::async_trait;
use order_domain::testing::now;
use order_domain::{ActorKind, Order, OrderStatus};

use super::data::{OTHER_TENANT, TENANT, cart, changed, claim, guest_order, minutes, order, payment, tenant};
use super::{assert_error, concurrently, must};
use crate::PortError;
use crate::orders::{CartClaims, ClaimOutcome, ListQuery, OrderRepository, OrderUpdate, PageCursor};

/// The two ports of one order store, over the same state.
#[derive(Clone)]
pub struct OrderStorePorts {
    /// The orders, with their outbox and payment records.
    pub orders: Arc<dyn OrderRepository>,
    /// The cart claims.
    pub claims: Arc<dyn CartClaims>,
}

/// Supplies fresh order stores.
#[async_trait]
pub trait OrderStoreFixture: Send + Sync {
    /// A fresh, empty store: no orders, claims, payment records or outbox entries.
    async fn fresh(&self) -> OrderStorePorts;
}

/// Runs every contract of this suite as its own test against `$fixture` (an expression of a
/// type implementing [`OrderStoreFixture`]).
#[macro_export]
macro_rules! order_store_contract_tests {
    ($fixture:expr) => {
        $crate::__contract_tests!(
            $fixture,
            orders,
            [
                insert_then_get_round_trips,
                insert_refuses_an_existing_id,
                insert_refuses_an_order_without_tenant,
                get_hides_other_tenants_and_unknown_ids,
                insert_marks_the_cart_claim_recorded,
                update_checks_the_stored_version,
                update_of_an_unknown_order_is_not_found,
                update_records_payments_once_across_orders,
                concurrent_updates_of_one_version_let_one_win,
                list_pages_newest_first_with_a_cursor,
                list_filters_by_status_and_creation_date,
                list_refuses_a_cursor_of_another_tenant,
                stale_finds_orders_by_status_and_age,
                outbox_keeps_events_until_cleared,
                claim_takes_a_cart_once,
                claim_takes_an_idempotency_key_once,
                concurrent_claims_on_one_cart_let_one_win,
                unrecorded_lists_old_unrecorded_claims,
            ]
        );
    };
}

async fn stored(store: &OrderStorePorts, order: &Order) {
    must(store.orders.insert(order).await, "insert a new order");
}

async fn apply(store: &OrderStorePorts, update: OrderUpdate<'_>, what: &str) {
    must(store.orders.update(update).await, what);
}

/// `insert` stores an order that `get` (under its tenant) and `get_by_id` return unchanged,
/// billing address included.
///
/// # Panics
/// When the contract is broken.
pub async fn insert_then_get_round_trips(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let order = order(TENANT, 1, now());
    stored(&store, &order).await;
    let got = must(store.orders.get(&tenant(TENANT), order.id()).await, "get a stored order");
    assert_eq!(got, order, "get returns the order as stored");
    assert_eq!(got.billing_address(), order.billing_address(), "the billing address opens again");
    assert_eq!(must(store.orders.get_by_id(order.id()).await, "get_by_id"), order);
}

/// `insert` MUST return `AlreadyExists` for a stored id and change nothing.
///
/// # Panics
/// When the contract is broken.
pub async fn insert_refuses_an_existing_id(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let original = order(TENANT, 1, now());
    stored(&store, &original).await;
    let (paid, _) = changed(&original, 10, |o| o.confirm_payment(payment("pf_dup"), ActorKind::PaymentService, now()));
    assert_error(store.orders.insert(&paid).await, |e| matches!(e, PortError::AlreadyExists), "second insert");
    assert_error(store.orders.insert(&original).await, |e| matches!(e, PortError::AlreadyExists), "same insert");
    assert_eq!(must(store.orders.get_by_id(original.id()).await, "get_by_id"), original, "nothing changed");
}

/// `insert` MUST return `InvalidData` for an order without a tenant, and store nothing.
///
/// # Panics
/// When the contract is broken.
pub async fn insert_refuses_an_order_without_tenant(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let guest = guest_order(1);
    assert_error(store.orders.insert(&guest).await, |e| matches!(e, PortError::InvalidData(_)), "guest insert");
    assert_error(store.orders.get_by_id(guest.id()).await, |e| matches!(e, PortError::NotFound), "nothing stored");
}

/// `get` MUST return `NotFound` for another tenant's order and for an unknown id; `get_by_id`
/// for an unknown id.
///
/// # Panics
/// When the contract is broken.
pub async fn get_hides_other_tenants_and_unknown_ids(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let order_a = order(TENANT, 1, now());
    stored(&store, &order_a).await;
    let unknown = order(TENANT, 2, now()).id();
    let not_found = |e: &PortError| matches!(e, PortError::NotFound);
    assert_error(store.orders.get(&tenant(OTHER_TENANT), order_a.id()).await, not_found, "other tenant's order");
    assert_error(store.orders.get(&tenant(TENANT), unknown).await, not_found, "unknown id");
    assert_error(store.orders.get_by_id(unknown).await, not_found, "unknown id by id");
}

/// `insert` marks the cart claim of the order's cart recorded, in the same step.
///
/// # Panics
/// When the contract is broken.
pub async fn insert_marks_the_cart_claim_recorded(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let order = order(TENANT, 1, now());
    let cart_claim = claim(order.cart_id().as_str(), &order, None, now());
    assert_eq!(must(store.claims.claim(&cart_claim).await, "claim"), ClaimOutcome::Claimed);
    assert_eq!(must(store.claims.unrecorded(minutes(1), 10).await, "unrecorded").len(), 1);
    stored(&store, &order).await;
    let Some(found) = must(store.claims.find(order.cart_id()).await, "find") else {
        panic!("the claim is gone after insert");
    };
    assert!(found.recorded, "the claim is marked recorded");
    assert_eq!(found.order_id, order.id());
    assert!(must(store.claims.unrecorded(minutes(1), 10).await, "unrecorded").is_empty());
}

/// `update` replaces the order when the stored version is the expected one, and MUST return
/// `Conflict` (writing nothing) when it is not.
///
/// # Panics
/// When the contract is broken.
pub async fn update_checks_the_stored_version(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let v1 = order(TENANT, 1, now());
    stored(&store, &v1).await;
    let (v2, events) = changed(&v1, 10, |o| o.request_payment(ActorKind::Customer, minutes(1)));
    apply(&store, OrderUpdate { order: &v2, expected_version: 1, events: &events, payment: None }, "update v1").await;
    let got = must(store.orders.get(&tenant(TENANT), v1.id()).await, "get");
    assert_eq!((got.version(), got.status()), (2, OrderStatus::PaymentPending));
    assert_eq!(got, v2);

    let (stale, stale_events) = changed(&v1, 20, |o| o.cancel(None, ActorKind::Customer, minutes(2)));
    let stale_update = OrderUpdate { order: &stale, expected_version: 1, events: &stale_events, payment: None };
    assert_error(store.orders.update(stale_update).await, |e| matches!(e, PortError::Conflict(_)), "stale update");
    assert_eq!(must(store.orders.get_by_id(v1.id()).await, "get"), v2, "the stale update wrote nothing");
    let outbox = must(store.orders.pending_outbox(100).await, "outbox");
    assert_eq!(outbox.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), events, "only v2's events");
}

/// `stale` returns, across tenants, the orders in a status they entered at or before an
/// instant, oldest first, at most `limit`.
///
/// # Panics
/// When the contract is broken.
pub async fn stale_finds_orders_by_status_and_age(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let old = order(TENANT, 1, minutes(0));
    let older_elsewhere = order(OTHER_TENANT, 2, minutes(-5));
    let fresh = order(TENANT, 3, minutes(30));
    for o in [&old, &older_elsewhere, &fresh] {
        stored(&store, o).await;
    }
    // A PENDING order that moved on (to PAYMENT_PENDING at minute 1) is not stale PENDING.
    let moved = order(TENANT, 4, minutes(-10));
    stored(&store, &moved).await;
    let (moved_v2, events) = changed(&moved, 40, |o| o.request_payment(ActorKind::Customer, minutes(1)));
    apply(&store, OrderUpdate { order: &moved_v2, expected_version: 1, events: &events, payment: None }, "move").await;

    let ids = |orders: Vec<Order>| orders.iter().map(Order::id).collect::<Vec<_>>();
    let pending = must(store.orders.stale(OrderStatus::Pending, minutes(0), 10).await, "stale pending");
    assert_eq!(ids(pending), [older_elsewhere.id(), old.id()], "oldest first, boundary included, across tenants");
    let limited = must(store.orders.stale(OrderStatus::Pending, minutes(60), 1).await, "stale with limit");
    assert_eq!(ids(limited), [older_elsewhere.id()]);
    let waiting = must(store.orders.stale(OrderStatus::PaymentPending, minutes(1), 10).await, "stale payment pending");
    assert_eq!(ids(waiting), [moved.id()], "judged by when the status was entered");
    let too_recent = must(store.orders.stale(OrderStatus::PaymentPending, minutes(0), 10).await, "not yet stale");
    assert!(too_recent.is_empty());
}

/// `update` MUST return `NotFound` for an order that is not stored.
///
/// # Panics
/// When the contract is broken.
pub async fn update_of_an_unknown_order_is_not_found(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let v1 = order(TENANT, 1, now());
    let (v2, events) = changed(&v1, 10, |o| o.request_payment(ActorKind::Customer, minutes(1)));
    let update = OrderUpdate { order: &v2, expected_version: 1, events: &events, payment: None };
    assert_error(store.orders.update(update).await, |e| matches!(e, PortError::NotFound), "update unknown order");
    assert!(must(store.orders.pending_outbox(100).await, "outbox").is_empty(), "no events for a failed update");
}

/// A payment id is recorded with the update that applies it; the same id for another order
/// MUST give `AlreadyExists`, and nothing of that update is written.
///
/// # Panics
/// When the contract is broken.
pub async fn update_records_payments_once_across_orders(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let (a, b) = (order(TENANT, 1, now()), order(TENANT, 2, now()));
    stored(&store, &a).await;
    stored(&store, &b).await;
    let paid = payment("pf_once");
    let pay = |o: &Order, seq| changed(o, seq, |o| o.confirm_payment(paid.clone(), ActorKind::PaymentService, now()));

    let (a_paid, a_events) = pay(&a, 10);
    let update = OrderUpdate { order: &a_paid, expected_version: 1, events: &a_events, payment: Some(&paid) };
    apply(&store, update, "pay order a").await;

    let (b_paid, b_events) = pay(&b, 20);
    let update = OrderUpdate { order: &b_paid, expected_version: 1, events: &b_events, payment: Some(&paid) };
    assert_error(store.orders.update(update).await, |e| matches!(e, PortError::AlreadyExists), "reused payment id");
    assert_eq!(must(store.orders.get_by_id(b.id()).await, "get b"), b, "order b is unchanged");
    let outbox = must(store.orders.pending_outbox(100).await, "outbox");
    assert!(outbox.iter().all(|entry| entry.order_id == a.id()), "no events of the refused update");

    let other = payment("pf_other");
    let (b_paid, b_events) = changed(&b, 30, |o| o.confirm_payment(other.clone(), ActorKind::PaymentService, now()));
    let update = OrderUpdate { order: &b_paid, expected_version: 1, events: &b_events, payment: Some(&other) };
    apply(&store, update, "pay order b with its own payment").await;
    assert_eq!(must(store.orders.get_by_id(b.id()).await, "get b").status(), OrderStatus::Paid);
}

/// Twenty concurrent updates from the same loaded version: exactly one succeeds, every other
/// MUST get `Conflict`, and only the winner's events reach the outbox.
///
/// # Panics
/// When the contract is broken.
pub async fn concurrent_updates_of_one_version_let_one_win(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let v1 = order(TENANT, 1, now());
    stored(&store, &v1).await;
    let results = concurrently(20, |i| {
        let (store, v1) = (store.clone(), v1.clone());
        async move {
            let seq = 100 * (u128::try_from(i).unwrap_or(0) + 1);
            let (v2, events) = changed(&v1, seq, |o| o.cancel(None, ActorKind::Customer, minutes(1)));
            store.orders.update(OrderUpdate { order: &v2, expected_version: 1, events: &events, payment: None }).await
        }
    })
    .await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results.iter().filter(|r| matches!(r, Err(PortError::Conflict(_)))).count();
    assert_eq!((wins, conflicts), (1, 19), "one winner, nineteen conflicts: {results:?}");
    let got = must(store.orders.get_by_id(v1.id()).await, "get");
    assert_eq!((got.version(), got.status()), (2, OrderStatus::Cancelled));
    assert_eq!(must(store.orders.pending_outbox(100).await, "outbox").len(), 1, "the winner's one event");
}

/// `list` returns a tenant's orders newest first by (creation time, id), a page at a time, with
/// a cursor until the last page, and never another tenant's orders.
///
/// # Panics
/// When the contract is broken.
pub async fn list_pages_newest_first_with_a_cursor(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    // Two orders share a creation time: the id breaks the tie.
    let mine = [
        order(TENANT, 1, minutes(0)),
        order(TENANT, 2, minutes(1)),
        order(TENANT, 3, minutes(1)),
        order(TENANT, 4, minutes(2)),
        order(TENANT, 5, minutes(3)),
    ];
    for o in &mine {
        stored(&store, o).await;
    }
    stored(&store, &order(OTHER_TENANT, 6, minutes(4))).await;

    let mut expected: Vec<Order> = mine.to_vec();
    expected.sort_by_key(|o| std::cmp::Reverse((o.created_at(), o.id())));
    let mut listed = Vec::new();
    let mut query = ListQuery::first(2);
    let mut pages = 0;
    loop {
        let page = must(store.orders.list(&tenant(TENANT), &query).await, "list");
        pages += 1;
        assert!(page.orders.len() <= 2, "a page holds at most the limit");
        listed.extend(page.orders);
        match page.next {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
        assert!(pages < 10, "the listing ends");
    }
    assert_eq!(pages, 3, "five orders two at a time");
    assert_eq!(listed, expected, "every order once, newest first");
}

/// `list` filters by status and by creation date (from inclusive, before exclusive).
///
/// # Panics
/// When the contract is broken.
pub async fn list_filters_by_status_and_creation_date(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let orders: Vec<Order> = (0..4).map(|i| order(TENANT, i + 1, minutes(i64::from(i) * 10))).collect();
    for o in &orders {
        stored(&store, o).await;
    }
    let (cancelled, events) = changed(&orders[1], 10, |o| o.cancel(None, ActorKind::Customer, minutes(15)));
    let update = OrderUpdate { order: &cancelled, expected_version: 1, events: &events, payment: None };
    apply(&store, update, "cancel").await;

    let ids = |query: ListQuery| {
        let store = store.clone();
        async move {
            let page = must(store.orders.list(&tenant(TENANT), &query).await, "list");
            page.orders.iter().map(Order::id).collect::<Vec<_>>()
        }
    };
    let by_status = ListQuery { status: Some(OrderStatus::Cancelled), ..ListQuery::first(100) };
    assert_eq!(ids(by_status).await, vec![orders[1].id()]);
    let pending = ListQuery { status: Some(OrderStatus::Pending), ..ListQuery::first(100) };
    assert_eq!(ids(pending).await, vec![orders[3].id(), orders[2].id(), orders[0].id()]);
    let window =
        ListQuery { created_from: Some(minutes(10)), created_before: Some(minutes(30)), ..ListQuery::first(100) };
    assert_eq!(ids(window).await, vec![orders[2].id(), orders[1].id()], "from inclusive, before exclusive");
    let both =
        ListQuery { status: Some(OrderStatus::Pending), created_from: Some(minutes(10)), ..ListQuery::first(100) };
    assert_eq!(ids(both).await, vec![orders[3].id(), orders[2].id()]);
}

/// `list` MUST return `InvalidData` for a cursor issued for another tenant, or not issued at all.
///
/// # Panics
/// When the contract is broken.
pub async fn list_refuses_a_cursor_of_another_tenant(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    for i in 0..3 {
        stored(&store, &order(TENANT, i + 1, minutes(i64::from(i)))).await;
        stored(&store, &order(OTHER_TENANT, i + 11, minutes(i64::from(i)))).await;
    }
    let page = must(store.orders.list(&tenant(TENANT), &ListQuery::first(1)).await, "list");
    let Some(cursor) = page.next else { panic!("a first page of one out of three has a cursor") };
    let foreign = ListQuery { cursor: Some(cursor), ..ListQuery::first(10) };
    let invalid = |e: &PortError| matches!(e, PortError::InvalidData(_));
    assert_error(store.orders.list(&tenant(OTHER_TENANT), &foreign).await, invalid, "cursor of another tenant");
    let forged = ListQuery { cursor: Some(PageCursor("not-a-cursor".into())), ..ListQuery::first(10) };
    assert_error(store.orders.list(&tenant(TENANT), &forged).await, invalid, "forged cursor");
}

/// Events committed with updates wait in the outbox, oldest first, until cleared; clearing
/// twice is a success.
///
/// # Panics
/// When the contract is broken.
pub async fn outbox_keeps_events_until_cleared(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let v1 = order(TENANT, 1, now());
    stored(&store, &v1).await;
    assert!(must(store.orders.pending_outbox(10).await, "outbox").is_empty(), "insert adds no outbox entry");
    let (v2, first) = changed(&v1, 10, |o| o.request_payment(ActorKind::Customer, minutes(1)));
    apply(&store, OrderUpdate { order: &v2, expected_version: 1, events: &first, payment: None }, "v2").await;
    let (v3, second) = changed(&v2, 20, |o| o.cancel(None, ActorKind::Customer, minutes(2)));
    apply(&store, OrderUpdate { order: &v3, expected_version: 2, events: &second, payment: None }, "v3").await;

    let pending = must(store.orders.pending_outbox(10).await, "outbox");
    let events: Vec<_> = pending.iter().map(|e| e.event.clone()).collect();
    assert_eq!(events, [first.clone(), second.clone()].concat(), "oldest first");
    assert!(pending.iter().all(|e| e.order_id == v1.id() && e.tenant_id == tenant(TENANT)));
    assert_eq!(must(store.orders.pending_outbox(1).await, "outbox").len(), 1, "at most the limit");

    must(store.orders.clear_outbox(&pending[0]).await, "clear");
    must(store.orders.clear_outbox(&pending[0]).await, "clear again");
    let left: Vec<_> = must(store.orders.pending_outbox(10).await, "outbox").into_iter().map(|e| e.event).collect();
    assert_eq!(left, second);
}

/// A cart is claimed once; a second claim gets the first back as `AlreadyClaimed`.
///
/// # Panics
/// When the contract is broken.
pub async fn claim_takes_a_cart_once(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let (first, second) = (order(TENANT, 1, now()), order(TENANT, 2, now()));
    assert!(must(store.claims.find(&cart("cart_x")).await, "find").is_none());
    let original = claim("cart_x", &first, None, now());
    assert_eq!(must(store.claims.claim(&original).await, "claim"), ClaimOutcome::Claimed);
    assert_eq!(must(store.claims.find(&original.cart_id).await, "find"), Some(original.clone()));
    let again = claim("cart_x", &second, Some("tenant/key-2"), minutes(1));
    assert_eq!(
        must(store.claims.claim(&again).await, "claim again"),
        ClaimOutcome::AlreadyClaimed(Box::new(original.clone()))
    );
    assert_eq!(must(store.claims.find(&original.cart_id).await, "find"), Some(original), "the first claim stays");
}

/// An idempotency key is claimed with its cart; another cart with the same key gets the
/// holder's claim back as `AlreadyClaimed`, and nothing is written for it. Keys are compared
/// whole: the same client key in another caller's scope (`{scope}/{key}`) is another key.
///
/// # Panics
/// When the contract is broken.
pub async fn claim_takes_an_idempotency_key_once(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let (first, second, third) = (order(TENANT, 1, now()), order(TENANT, 2, now()), order(TENANT, 3, now()));
    let holder = claim("cart_a", &first, Some("customer:tenant_acme/key-1"), now());
    assert_eq!(must(store.claims.claim(&holder).await, "claim"), ClaimOutcome::Claimed);
    let other_cart = claim("cart_b", &second, Some("customer:tenant_acme/key-1"), minutes(1));
    assert_eq!(
        must(store.claims.claim(&other_cart).await, "claim with a taken key"),
        ClaimOutcome::AlreadyClaimed(Box::new(holder))
    );
    assert_eq!(must(store.claims.find(&other_cart.cart_id).await, "find"), None, "the refused cart is not claimed");
    let fresh_key = claim("cart_b", &second, Some("customer:tenant_acme/key-2"), minutes(1));
    assert_eq!(must(store.claims.claim(&fresh_key).await, "claim"), ClaimOutcome::Claimed);
    let another_caller = claim("cart_c", &third, Some("guest:cart_c/key-1"), minutes(1));
    assert_eq!(must(store.claims.claim(&another_caller).await, "another caller's key-1"), ClaimOutcome::Claimed);
}

/// Twenty concurrent claims on one cart: exactly one `Claimed`; every other gets that winner's
/// claim.
///
/// # Panics
/// When the contract is broken.
pub async fn concurrent_claims_on_one_cart_let_one_win(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let results = concurrently(20, |i| {
        let store = store.clone();
        async move {
            let contender = order(TENANT, u32::try_from(i).unwrap_or(0) + 1, now());
            let outcome = store.claims.claim(&claim("cart_hot", &contender, None, now())).await;
            (contender.id(), must(outcome, "claim"))
        }
    })
    .await;
    let winners: Vec<_> = results.iter().filter(|(_, o)| *o == ClaimOutcome::Claimed).map(|(id, _)| *id).collect();
    assert_eq!(winners.len(), 1, "exactly one claim wins: {results:?}");
    for (_, outcome) in &results {
        if let ClaimOutcome::AlreadyClaimed(existing) = outcome {
            assert_eq!(existing.order_id, winners[0], "losers see the winner's claim");
        }
    }
    let Some(found) = must(store.claims.find(&cart("cart_hot")).await, "find") else { panic!("no claim") };
    assert_eq!(found.order_id, winners[0]);
}

/// `unrecorded` lists claims not yet recorded and made before the instant, oldest first, at
/// most `limit`.
///
/// # Panics
/// When the contract is broken.
pub async fn unrecorded_lists_old_unrecorded_claims(fixture: &dyn OrderStoreFixture) {
    let store = fixture.fresh().await;
    let orders: Vec<Order> = (0..4).map(|i| order(TENANT, i + 1, now())).collect();
    for (i, o) in orders.iter().enumerate() {
        let at = minutes(i64::try_from(i).unwrap_or(0));
        must(store.claims.claim(&claim(o.cart_id().as_str(), o, None, at)).await, "claim");
    }
    stored(&store, &orders[1]).await; // recorded
    let old: Vec<_> =
        must(store.claims.unrecorded(minutes(3), 10).await, "unrecorded").into_iter().map(|c| c.order_id).collect();
    assert_eq!(old, vec![orders[0].id(), orders[2].id()], "unrecorded, before minute 3, oldest first");
    assert_eq!(must(store.claims.unrecorded(minutes(10), 2).await, "unrecorded").len(), 2, "at most the limit");
    assert_eq!(must(store.claims.unrecorded(minutes(10), 10).await, "unrecorded").len(), 3);
}
