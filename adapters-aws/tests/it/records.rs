//! `DynamoEffectLog` and `DynamoDocumentNumbers`, against moto.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::join_all;
use order_domain::OrderId;
use order_ports::{DocumentNumber, DocumentNumbers, EffectLog, EffectStart, NumberSeries};

use crate::support::{fresh, minutes};

#[tokio::test]
async fn an_effect_is_begun_once_done_once_and_retried_after_its_lease() {
    let f = fresh().await;
    let log = &f.adapters.effects;
    let lease = Duration::from_mins(1);
    let key = "email/order_1/order_confirmation";
    assert_eq!(log.begin(key, minutes(0), lease).await.unwrap(), EffectStart::Proceed);
    assert_eq!(log.begin(key, minutes(0), lease).await.unwrap(), EffectStart::InProgress { until: minutes(1) });
    // The lease ran out: a crashed worker's claim is taken over.
    assert_eq!(log.begin(key, minutes(2), lease).await.unwrap(), EffectStart::Proceed);
    log.complete(key, minutes(2)).await.unwrap();
    assert_eq!(log.begin(key, minutes(10), lease).await.unwrap(), EffectStart::AlreadyDone);
    log.abandon(key).await.unwrap();
    assert_eq!(
        log.begin(key, minutes(10), lease).await.unwrap(),
        EffectStart::AlreadyDone,
        "abandoning a done key changes nothing"
    );

    let other = "email/order_2/order_cancelled";
    assert_eq!(log.begin(other, minutes(0), lease).await.unwrap(), EffectStart::Proceed);
    log.abandon(other).await.unwrap();
    assert_eq!(
        log.begin(other, minutes(0), lease).await.unwrap(),
        EffectStart::Proceed,
        "an abandoned key may proceed at once"
    );
    log.abandon("never-begun").await.unwrap();
}

#[tokio::test]
async fn invoice_numbers_count_from_one_per_supplier_and_stick_to_their_order() {
    let f = fresh().await;
    let numbers = &f.adapters.document_numbers;
    let orders: Vec<_> = (0..3).map(|i| OrderId::from_parts(minutes(i), 7)).collect();
    assert_eq!(
        numbers.number_for("bbws", NumberSeries::TaxInvoice, orders[0]).await.unwrap(),
        DocumentNumber::invoice(1)
    );
    assert_eq!(
        numbers.number_for("bbws", NumberSeries::TaxInvoice, orders[1]).await.unwrap(),
        DocumentNumber::invoice(2)
    );
    assert_eq!(
        numbers.number_for("bbws", NumberSeries::TaxInvoice, orders[0]).await.unwrap(),
        DocumentNumber::invoice(1)
    );
    assert_eq!(
        numbers.number_for("other-supplier", NumberSeries::TaxInvoice, orders[2]).await.unwrap(),
        DocumentNumber::invoice(1)
    );
    assert_eq!(
        numbers.number_for("bbws", NumberSeries::TaxInvoice, orders[2]).await.unwrap(),
        DocumentNumber::invoice(3)
    );
    assert_eq!(DocumentNumber::invoice(3).to_string(), "INV-000003");
    // Credit notes count in their own sequence, with their own items.
    let credit = NumberSeries::CreditNote;
    assert_eq!(numbers.number_for("bbws", credit, orders[1]).await.unwrap(), DocumentNumber::credit_note(1));
    assert_eq!(numbers.number_for("bbws", credit, orders[1]).await.unwrap(), DocumentNumber::credit_note(1));
    assert_eq!(
        numbers.number_for("bbws", NumberSeries::TaxInvoice, orders[1]).await.unwrap(),
        DocumentNumber::invoice(2)
    );
    assert_eq!(DocumentNumber::credit_note(1).to_string(), "CN-000001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_allocations_give_distinct_gap_free_numbers_and_one_per_order() {
    let f = fresh().await;
    let orders: Vec<_> = (0..6).map(|i| OrderId::from_parts(minutes(i), 11)).collect();
    // Every order asked for twice, all at once.
    let calls = orders.iter().chain(orders.iter()).map(|order| {
        let numbers = f.adapters.document_numbers.clone();
        let order = *order;
        tokio::spawn(async move { (order, numbers.number_for("bbws", NumberSeries::TaxInvoice, order).await.unwrap()) })
    });
    let results: Vec<_> = join_all(calls).await.into_iter().map(Result::unwrap).collect();
    for (order, number) in &results {
        assert!(results.iter().filter(|(o, _)| o == order).all(|(_, n)| n == number), "{order} got two numbers");
    }
    let distinct: HashSet<_> = results.iter().map(|(_, n)| n.serial).collect();
    assert_eq!(distinct, (1..=6).collect::<HashSet<u64>>());
}
