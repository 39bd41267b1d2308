//! `DynamoEffectLog` and `DynamoDocumentNumbers`, against moto.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use adapters_aws::{DynamoDocumentNumbers, TableLayout};
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
async fn numbers_take_their_orders_sequence_and_print_it() {
    let f = fresh().await;
    let numbers = &f.adapters.document_numbers;
    let layout = f.resources.layout;
    assert!(layout.number_sequences() > 1, "the tests' layout numbers in several sequences");
    let orders: Vec<_> = (0..12).map(|i| OrderId::from_parts(minutes(i), 7)).collect();
    let mut next: HashMap<u16, u64> = HashMap::new();
    let mut sequences = HashSet::new();
    for order in &orders {
        let number = numbers.number_for("bbws", NumberSeries::TaxInvoice, *order).await.unwrap();
        assert_eq!(number.sequence, layout.number_sequence(*order), "{order} is numbered in its own sequence");
        let expected = next.entry(number.sequence).or_insert(1);
        assert_eq!(number.serial, *expected, "{number}: each sequence counts from 1 without gaps");
        *expected += 1;
        sequences.insert(number.sequence);
        let printed = number.to_string();
        match number.sequence {
            0 => assert!(printed.starts_with("INV-") && printed.len() == "INV-000001".len(), "{printed}"),
            k => assert!(printed.starts_with(&format!("INV-{k:02}-")), "{printed}"),
        }
        assert_eq!(DocumentNumber::parse(&printed), Some(number));
    }
    assert!(sequences.len() > 1, "twelve orders spread over the sequences: {sequences:?}");
    // Credit notes count in their own sequences, with their own items.
    let note = numbers.number_for("bbws", NumberSeries::CreditNote, orders[1]).await.unwrap();
    assert_eq!((note.sequence, note.serial), (layout.number_sequence(orders[1]), 1));
    assert!(note.to_string().starts_with("CN-"));
}

#[tokio::test]
async fn changing_the_sequence_count_neither_renumbers_nor_duplicates() {
    let f = fresh().await;
    let orders: Vec<_> = (0..9).map(|i| OrderId::from_parts(minutes(i), 13)).collect();
    let before = &f.adapters.document_numbers;
    let mut given = Vec::new();
    for order in &orders {
        given.push(before.number_for("bbws", NumberSeries::TaxInvoice, *order).await.unwrap());
    }
    for sequences in [1, 5] {
        let layout = TableLayout::new(f.resources.layout.feed_shards(), sequences).unwrap();
        let after =
            DynamoDocumentNumbers::new(f.clients.dynamodb.clone(), &f.resources.orders_table).with_layout(layout);
        for (order, number) in orders.iter().zip(&given) {
            assert_eq!(
                after.number_for("bbws", NumberSeries::TaxInvoice, *order).await.unwrap(),
                *number,
                "with {sequences} sequences, {order} keeps its number"
            );
        }
    }
    // A new order on one sequence continues sequence 0 where it stood.
    let one = TableLayout::new(1, 1).unwrap();
    let single = DynamoDocumentNumbers::new(f.clients.dynamodb.clone(), &f.resources.orders_table).with_layout(one);
    let last_of_first = given.iter().filter(|n| n.sequence == 0).map(|n| n.serial).max().unwrap_or(0);
    let fresh_order = OrderId::from_parts(minutes(30), 13);
    assert_eq!(
        single.number_for("bbws", NumberSeries::TaxInvoice, fresh_order).await.unwrap(),
        DocumentNumber::invoice(last_of_first + 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_allocations_give_distinct_gap_free_numbers_and_one_per_order() {
    let f = fresh().await;
    let orders: Vec<_> = (0..12).map(|i| OrderId::from_parts(minutes(i), 11)).collect();
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
    let mut by_sequence: HashMap<u16, HashSet<u64>> = HashMap::new();
    for (_, number) in &results {
        by_sequence.entry(number.sequence).or_default().insert(number.serial);
    }
    assert_eq!(by_sequence.values().map(HashSet::len).sum::<usize>(), 12, "twelve distinct numbers");
    for (sequence, serials) in by_sequence {
        let count = u64::try_from(serials.len()).unwrap();
        assert_eq!(serials, (1..=count).collect::<HashSet<u64>>(), "sequence {sequence} is gap-free from 1");
    }
}
