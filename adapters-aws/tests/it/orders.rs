//! `DynamoOrderRepository` as an `OrderRepository`, against moto.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::TimeDelta;
use futures::future::join_all;
use order_domain::testing::{now, zar};
use order_domain::{ActorKind, Order, OrderEvent, OrderStatus, Payment, PaymentId, PaymentMethod};
use order_ports::{ListQuery, OrderRepository, OrderUpdate, PageCursor, PortError};

use crate::support::{envelope, fresh, minutes, order_at, order_for, tenant};

fn payment(id: &str) -> Payment {
    Payment {
        payment_id: PaymentId::parse(id).unwrap(),
        amount: zar("1349.00"),
        method: PaymentMethod::Payfast,
        paid_at: now(),
    }
}

#[tokio::test]
async fn an_inserted_order_reads_back_equal_with_its_address_sealed_at_rest() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let order = order_for(&acme);
    repo.insert(&order).await.unwrap();

    assert_eq!(repo.get(&acme, order.id()).await.unwrap(), order);
    assert_eq!(repo.get_by_id(order.id()).await.unwrap(), order);

    let raw = f.raw_item("TENANT#tenant_acme", &format!("ORDER#{}", order.id())).await;
    let Some(AttributeValue::B(sealed)) = raw.get("billingAddress") else { panic!("address not stored as binary") };
    assert!(!String::from_utf8_lossy(sealed.as_ref()).contains("Long Street"));
    let AttributeValue::S(body) = &raw["body"] else { panic!("body not a string") };
    assert!(!body.contains("Long Street"), "the address leaked into the body: {body}");
    assert_eq!(raw["GSI2PK"], AttributeValue::S(format!("ORDER#{}", order.id())));
    assert_eq!(raw["status"], AttributeValue::S("PENDING".into()));
}

#[tokio::test]
async fn inserting_an_order_twice_is_already_exists_and_changes_nothing() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let order = order_for(&acme);
    repo.insert(&order).await.unwrap();
    let mut changed = order.clone();
    changed.request_payment(ActorKind::Customer, now()).unwrap();
    assert!(matches!(repo.insert(&changed).await, Err(PortError::AlreadyExists)));
    assert_eq!(repo.get(&acme, order.id()).await.unwrap(), order);
}

#[tokio::test]
async fn an_order_without_a_tenant_is_refused() {
    let f = fresh().await;
    let mut new = order_domain::testing::new_order();
    new.tenant_id = None;
    let (guest, _) = Order::create(new, &order_domain::PricingRules::south_africa(), ActorKind::Guest, now()).unwrap();
    assert!(matches!(f.adapters.orders.insert(&guest).await, Err(PortError::InvalidData(_))));
}

#[tokio::test]
async fn another_tenants_order_is_not_found_and_unknown_ids_are_not_found() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let order = order_for(&tenant("tenant_acme"));
    repo.insert(&order).await.unwrap();
    assert!(matches!(repo.get(&tenant("tenant_other"), order.id()).await, Err(PortError::NotFound)));
    let stranger = order_for(&tenant("tenant_acme"));
    assert!(matches!(repo.get(&tenant("tenant_acme"), stranger.id()).await, Err(PortError::NotFound)));
    assert!(matches!(repo.get_by_id(stranger.id()).await, Err(PortError::NotFound)));
}

#[tokio::test]
async fn an_update_is_version_checked_and_commits_its_outbox_entries() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let order = order_for(&acme);
    repo.insert(&order).await.unwrap();

    let mut moved = order.clone();
    let events: Vec<_> = moved
        .request_payment(ActorKind::Customer, minutes(1))
        .unwrap()
        .into_iter()
        .map(|e| envelope(e, minutes(1)))
        .collect();
    assert_eq!(events.len(), 1);
    repo.update(OrderUpdate { order: &moved, expected_version: 1, events: &events, payment: None }).await.unwrap();
    assert_eq!(repo.get(&acme, order.id()).await.unwrap(), moved);

    // A writer that loaded version 1 is refused, and nothing it carried is written.
    let mut stale = order.clone();
    let stale_events: Vec<_> = stale
        .cancel(None, ActorKind::Customer, minutes(2))
        .unwrap()
        .into_iter()
        .map(|e| envelope(e, minutes(2)))
        .collect();
    let err =
        repo.update(OrderUpdate { order: &stale, expected_version: 1, events: &stale_events, payment: None }).await;
    assert!(matches!(err, Err(PortError::Conflict(_))), "{err:?}");
    assert_eq!(repo.get(&acme, order.id()).await.unwrap(), moved);

    let pending = repo.pending_outbox(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].event, events[0]);
    assert_eq!(pending[0].order_id, order.id());
    assert_eq!(pending[0].tenant_id, acme);
}

#[tokio::test]
async fn updating_an_order_that_is_not_stored_is_not_found() {
    let f = fresh().await;
    let mut order = order_for(&tenant("tenant_acme"));
    order.request_payment(ActorKind::Customer, now()).unwrap();
    let err =
        f.adapters.orders.update(OrderUpdate { order: &order, expected_version: 1, events: &[], payment: None }).await;
    assert!(matches!(err, Err(PortError::NotFound)), "{err:?}");
    assert!(f.adapters.orders.pending_outbox(10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_updates_from_one_version_exactly_one_wins() {
    let f = fresh().await;
    let repo = f.adapters.orders.clone();
    let acme = tenant("tenant_acme");
    let order = order_for(&acme);
    repo.insert(&order).await.unwrap();

    let attempts = (0..8).map(|i| {
        let repo = repo.clone();
        let mut order = order.clone();
        tokio::spawn(async move {
            let at = minutes(i + 1);
            let events: Vec<_> = if i % 2 == 0 {
                order.cancel(None, ActorKind::Customer, at).unwrap()
            } else {
                order.confirm_payment(payment(&format!("pf_{i}")), ActorKind::PaymentService, at).unwrap()
            }
            .into_iter()
            .map(|e| envelope(e, at))
            .collect();
            let paid = order.payment().cloned();
            let result = repo
                .update(OrderUpdate { order: &order, expected_version: 1, events: &events, payment: paid.as_ref() })
                .await;
            (result, order, events)
        })
    });
    let results: Vec<_> = join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    let winners: Vec<_> = results.iter().filter(|(r, _, _)| r.is_ok()).collect();
    assert_eq!(winners.len(), 1, "{:?}", results.iter().map(|(r, _, _)| r).collect::<Vec<_>>());
    for (result, _, _) in results.iter().filter(|(r, _, _)| r.is_err()) {
        assert!(matches!(result, Err(PortError::Conflict(_))), "{result:?}");
    }
    let stored = repo.get(&acme, order.id()).await.unwrap();
    assert_eq!(&stored, &winners[0].1);
    assert_eq!(stored.version(), 2);
    // Exactly the winner's events reached the outbox.
    let mut outbox: Vec<_> = repo.pending_outbox(100).await.unwrap().into_iter().map(|entry| entry.event).collect();
    let mut expected = winners[0].2.clone();
    assert!(!expected.is_empty());
    outbox.sort_by_key(|e| e.message_id);
    expected.sort_by_key(|e| e.message_id);
    assert_eq!(outbox, expected);
}

#[tokio::test]
async fn a_payment_id_belongs_to_one_order_only() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let (first, second) = (order_for(&acme), order_for(&acme));
    repo.insert(&first).await.unwrap();
    repo.insert(&second).await.unwrap();

    let mut paid = first.clone();
    paid.confirm_payment(payment("pf_shared"), ActorKind::PaymentService, minutes(1)).unwrap();
    let update = OrderUpdate { order: &paid, expected_version: 1, events: &[], payment: paid.payment() };
    repo.update(update).await.unwrap();

    let mut other = second.clone();
    other.confirm_payment(payment("pf_shared"), ActorKind::PaymentService, minutes(1)).unwrap();
    let err =
        repo.update(OrderUpdate { order: &other, expected_version: 1, events: &[], payment: other.payment() }).await;
    assert!(matches!(err, Err(PortError::AlreadyExists)), "{err:?}");
    assert_eq!(repo.get(&acme, second.id()).await.unwrap(), second, "the refused update wrote nothing");

    // The same payment on its own order again (a later update carrying it) is accepted.
    let mut processing = paid.clone();
    processing.start_processing(ActorKind::Staff, minutes(2)).unwrap();
    let again =
        OrderUpdate { order: &processing, expected_version: paid.version(), events: &[], payment: paid.payment() };
    repo.update(again).await.unwrap();
    assert_eq!(repo.get(&acme, first.id()).await.unwrap().status(), OrderStatus::Processing);
}

#[tokio::test]
async fn the_outbox_is_oldest_first_and_cleared_entry_by_entry() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let mut ids = Vec::new();
    for i in (0..3).rev() {
        let order = order_for(&acme);
        repo.insert(&order).await.unwrap();
        let mut moved = order.clone();
        let events: Vec<_> = moved
            .request_payment(ActorKind::Customer, minutes(i))
            .unwrap()
            .into_iter()
            .map(|e| envelope(e, minutes(i)))
            .collect();
        repo.update(OrderUpdate { order: &moved, expected_version: 1, events: &events, payment: None }).await.unwrap();
        ids.push((minutes(i), order.id()));
    }
    ids.sort();
    let pending = repo.pending_outbox(10).await.unwrap();
    assert_eq!(
        pending.iter().map(|e| e.order_id).collect::<Vec<_>>(),
        ids.iter().map(|(_, id)| *id).collect::<Vec<_>>()
    );
    assert!(pending.iter().all(|e| matches!(e.event.event, OrderEvent::OrderStatusChanged(_))));
    assert_eq!(repo.pending_outbox(2).await.unwrap(), pending[..2]);

    repo.clear_outbox(&pending[0]).await.unwrap();
    repo.clear_outbox(&pending[0]).await.unwrap(); // clearing twice is a success
    assert_eq!(repo.pending_outbox(10).await.unwrap(), pending[1..]);
}

#[tokio::test]
async fn listing_is_newest_first_with_cursors_bound_to_the_tenant() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let mut orders = Vec::new();
    for i in 0..5 {
        let order = order_at(&acme, minutes(i * 10));
        repo.insert(&order).await.unwrap();
        orders.push(order);
    }
    // Same instant: the id breaks the tie.
    let twin = order_at(&acme, minutes(40));
    repo.insert(&twin).await.unwrap();
    orders.push(twin);
    repo.insert(&order_for(&tenant("tenant_other"))).await.unwrap();
    orders.sort_by_key(|o| std::cmp::Reverse((o.created_at(), o.id())));

    let mut seen = Vec::new();
    let mut query = ListQuery::first(4);
    let first = repo.list(&acme, &query).await.unwrap();
    assert_eq!(first.orders.len(), 4);
    seen.extend(first.orders.iter().map(Order::id));
    query.cursor = first.next.clone();
    let second = repo.list(&acme, &query).await.unwrap();
    assert_eq!(second.orders.len(), 2);
    assert!(second.next.is_none(), "the last page has no cursor");
    seen.extend(second.orders.iter().map(Order::id));
    assert_eq!(seen, orders.iter().map(Order::id).collect::<Vec<_>>());

    // Exactly a page's worth: no cursor to an empty page.
    let exact = repo.list(&acme, &ListQuery::first(6)).await.unwrap();
    assert_eq!(exact.orders.len(), 6);
    assert!(exact.next.is_none());

    // A cursor is refused for another tenant, and a forged one everywhere.
    let foreign = ListQuery { cursor: first.next.clone(), ..ListQuery::first(4) };
    assert!(matches!(repo.list(&tenant("tenant_other"), &foreign).await, Err(PortError::InvalidData(_))));
    let forged = ListQuery { cursor: Some(PageCursor("not-a-cursor".into())), ..ListQuery::first(4) };
    assert!(matches!(repo.list(&acme, &forged).await, Err(PortError::InvalidData(_))));
    assert!(matches!(repo.list(&acme, &ListQuery::first(0)).await, Err(PortError::InvalidData(_))));
}

#[tokio::test]
async fn listing_filters_by_status_and_period() {
    let f = fresh().await;
    let repo = &f.adapters.orders;
    let acme = tenant("tenant_acme");
    let mut cancelled = HashSet::new();
    for i in 0..6 {
        let order = order_at(&acme, minutes(i * 10));
        repo.insert(&order).await.unwrap();
        if i % 2 == 1 {
            let mut moved = order.clone();
            moved.cancel(None, ActorKind::Customer, minutes(i * 10 + 1)).unwrap();
            repo.update(OrderUpdate { order: &moved, expected_version: 1, events: &[], payment: None }).await.unwrap();
            cancelled.insert(order.id());
        }
    }
    // Status filter, paged one by one through the unmatched items in between.
    let mut query = ListQuery { status: Some(OrderStatus::Cancelled), ..ListQuery::first(1) };
    let mut found = Vec::new();
    loop {
        let page = repo.list(&acme, &query).await.unwrap();
        assert!(page.orders.len() <= 1);
        found.extend(page.orders.iter().map(|o| (o.created_at(), o.id(), o.status())));
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|(_, id, status)| cancelled.contains(id) && *status == OrderStatus::Cancelled));
    assert!(found.windows(2).all(|w| w[0].0 > w[1].0), "newest first: {found:?}");

    // Period: from is inclusive, before exclusive.
    let period =
        ListQuery { created_from: Some(minutes(10)), created_before: Some(minutes(40)), ..ListQuery::first(10) };
    let page = repo.list(&acme, &period).await.unwrap();
    let times: Vec<_> = page.orders.iter().map(Order::created_at).collect();
    assert_eq!(times, vec![minutes(30), minutes(20), minutes(10)]);
    let from_only = ListQuery { created_from: Some(minutes(30) + TimeDelta::seconds(1)), ..ListQuery::first(10) };
    assert_eq!(repo.list(&acme, &from_only).await.unwrap().orders.len(), 2);
    let before_only = ListQuery { created_before: Some(minutes(10)), ..ListQuery::first(10) };
    assert_eq!(repo.list(&acme, &before_only).await.unwrap().orders.len(), 1);
}
