//! The contracts of [`DocumentStore`] and [`DocumentNumbers`].

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use order_domain::testing::now;

use super::data::{OTHER_TENANT, TENANT, order, tenant};
use super::{assert_error, concurrently, must};
use crate::PortError;
use crate::documents::{
    DocumentKey, DocumentKind, DocumentMeta, DocumentNumber, DocumentNumbers, DocumentStore, NumberSeries,
};

/// Supplies fresh document stores and invoice number allocators.
#[async_trait]
pub trait DocumentsFixture: Send + Sync {
    /// A fresh, empty document store.
    async fn document_store(&self) -> Arc<dyn DocumentStore>;
    /// A fresh allocator that has issued no numbers.
    async fn document_numbers(&self) -> Arc<dyn DocumentNumbers>;
}

/// Runs every contract of this suite as its own test against `$fixture` (a
/// [`DocumentsFixture`]).
#[macro_export]
macro_rules! documents_contract_tests {
    ($fixture:expr) => {
        $crate::__contract_tests!(
            $fixture,
            documents,
            [
                documents_are_stored_overwritten_and_missing_ones_not_found,
                an_orders_documents_are_listed_with_their_size_number_and_date,
                invoice_numbers_start_at_one_per_supplier_and_repeat_per_order,
                credit_notes_have_their_own_sequence,
                concurrent_invoice_numbers_are_distinct_and_dense,
            ]
        );
    };
}

/// `put` stores or overwrites; `get` returns the bytes and MUST return `NotFound` for nothing.
///
/// # Panics
/// When the contract is broken.
pub async fn documents_are_stored_overwritten_and_missing_ones_not_found(fixture: &dyn DocumentsFixture) {
    let store = fixture.document_store().await;
    let order_id = order(TENANT, 1, now()).id();
    let invoice = DocumentKey { tenant_id: tenant(TENANT), order_id, kind: DocumentKind::TaxInvoice };
    let receipt = DocumentKey { kind: DocumentKind::Receipt, ..invoice.clone() };
    assert_error(store.get(&invoice).await, |e| matches!(e, PortError::NotFound), "nothing stored yet");
    must(store.put(&invoice, b"%PDF-1 first".to_vec(), &meta(Some(DocumentNumber::invoice(1)))).await, "put");
    assert_eq!(must(store.get(&invoice).await, "get"), b"%PDF-1 first");
    must(store.put(&invoice, b"%PDF-1 second".to_vec(), &meta(Some(DocumentNumber::invoice(1)))).await, "overwrite");
    assert_eq!(must(store.get(&invoice).await, "get"), b"%PDF-1 second", "the retry overwrote it");
    assert_error(store.get(&receipt).await, |e| matches!(e, PortError::NotFound), "another kind is another key");
}

fn meta(number: Option<DocumentNumber>) -> DocumentMeta {
    DocumentMeta { content_type: "application/pdf".into(), number, issued_at: now() }
}

/// `list` gives one order's stored documents, in kind order, with their size and what was
/// stored with them; another order's and another tenant's documents are not among them.
///
/// # Panics
/// When the contract is broken.
pub async fn an_orders_documents_are_listed_with_their_size_number_and_date(fixture: &dyn DocumentsFixture) {
    let store = fixture.document_store().await;
    let order_id = order(TENANT, 1, now()).id();
    let other = order(TENANT, 2, now()).id();
    assert!(must(store.list(&tenant(TENANT), order_id).await, "list").is_empty(), "nothing stored yet");
    let key = |kind| DocumentKey { tenant_id: tenant(TENANT), order_id, kind };
    let credit = DocumentMeta {
        content_type: "application/pdf".into(),
        number: Some(DocumentNumber::credit_note(7)),
        issued_at: now() + chrono::TimeDelta::days(3),
    };
    must(store.put(&key(DocumentKind::CreditNote), vec![b'c'; 12], &credit).await, "put");
    must(
        store.put(&key(DocumentKind::TaxInvoice), vec![b'i'; 30], &meta(Some(DocumentNumber::invoice(42)))).await,
        "put",
    );
    must(store.put(&key(DocumentKind::ProForma), vec![b'p'; 5], &meta(None)).await, "put");
    let elsewhere = DocumentKey { tenant_id: tenant(TENANT), order_id: other, kind: DocumentKind::TaxInvoice };
    must(store.put(&elsewhere, vec![b'x'; 3], &meta(None)).await, "put");
    let foreign = DocumentKey { tenant_id: tenant(OTHER_TENANT), order_id, kind: DocumentKind::Receipt };
    must(store.put(&foreign, vec![b'x'; 3], &meta(None)).await, "put");

    let listed = must(store.list(&tenant(TENANT), order_id).await, "list");
    let seen: Vec<_> = listed.iter().map(|d| (d.kind, d.size, d.meta.number)).collect();
    assert_eq!(
        seen,
        [
            (DocumentKind::ProForma, 5, None),
            (DocumentKind::TaxInvoice, 30, Some(DocumentNumber::invoice(42))),
            (DocumentKind::CreditNote, 12, Some(DocumentNumber::credit_note(7))),
        ]
    );
    assert_eq!(listed[2].meta, credit, "the date and content type come back as stored");

    let (fetched, bytes) = must(store.fetch(&key(DocumentKind::CreditNote)).await, "fetch");
    assert_eq!((fetched, bytes), (listed[2].clone(), vec![b'c'; 12]), "fetch describes it as the listing does");
    assert_error(
        store.fetch(&key(DocumentKind::Receipt)).await,
        |e| matches!(e, PortError::NotFound),
        "nothing stored there",
    );
}

/// The numbers a sequence of one supplier should give next: an adapter may number in several
/// parallel sequences (its choice per order), each starting at 1 and gap-free.
#[derive(Default)]
struct NextNumbers(std::collections::HashMap<(NumberSeries, u16), u64>);

impl NextNumbers {
    /// Asserts that `number` is the next of its sequence, and counts it.
    fn expect_next(&mut self, number: DocumentNumber, what: &str) {
        let next = self.0.entry((number.series, number.sequence)).or_insert(1);
        assert_eq!(number.serial, *next, "{what}: {number} is not the next number of its sequence");
        *next += 1;
    }
}

/// Numbers of one supplier start at 1 and increase in each sequence; asking again for an
/// order gives its number; another supplier has its own sequences.
///
/// # Panics
/// When the contract is broken.
pub async fn invoice_numbers_start_at_one_per_supplier_and_repeat_per_order(fixture: &dyn DocumentsFixture) {
    let numbers = fixture.document_numbers().await;
    let invoice = NumberSeries::TaxInvoice;
    let ids: Vec<_> = (1..=8).map(|seq| order(TENANT, seq, now()).id()).collect();
    let mut next = NextNumbers::default();
    let mut given = Vec::new();
    for id in &ids {
        let number = must(numbers.number_for("supplier_x", invoice, *id).await, "number");
        assert_eq!(number.series, invoice);
        next.expect_next(number, "a new order");
        given.push(number);
    }
    for (id, number) in ids.iter().zip(&given) {
        assert_eq!(must(numbers.number_for("supplier_x", invoice, *id).await, "number again"), *number);
    }
    let other = must(numbers.number_for("supplier_y", invoice, ids[1]).await, "other supplier");
    assert_eq!(other.serial, 1, "another supplier starts its own sequence: {other}");
}

/// Credit notes are numbered in their own sequences: the first is number 1 whatever number
/// the tax invoices have reached, and an order's credit note keeps its number.
///
/// # Panics
/// When the contract is broken.
pub async fn credit_notes_have_their_own_sequence(fixture: &dyn DocumentsFixture) {
    let numbers = fixture.document_numbers().await;
    let ids: Vec<_> = (1..=6).map(|seq| order(TENANT, seq, now()).id()).collect();
    let mut invoices = Vec::new();
    for id in &ids {
        invoices.push(must(numbers.number_for("supplier_x", NumberSeries::TaxInvoice, *id).await, "invoice"));
    }
    let credit = NumberSeries::CreditNote;
    let mut next = NextNumbers::default();
    let mut notes = Vec::new();
    for id in ids.iter().rev() {
        let note = must(numbers.number_for("supplier_x", credit, *id).await, "credit note");
        assert_eq!(note.series, credit);
        next.expect_next(note, "a credit note");
        notes.push(note);
    }
    assert_eq!(must(numbers.number_for("supplier_x", credit, ids[5]).await, "again"), notes[0]);
    assert_eq!(
        must(numbers.number_for("supplier_x", NumberSeries::TaxInvoice, ids[1]).await, "the invoice stays"),
        invoices[1]
    );
}

/// Fifty orders asking twice each, all at once: fifty distinct numbers, each sequence dense
/// from 1, and both answers for an order agree.
///
/// # Panics
/// When the contract is broken.
pub async fn concurrent_invoice_numbers_are_distinct_and_dense(fixture: &dyn DocumentsFixture) {
    let numbers = fixture.document_numbers().await;
    let results = concurrently(100, |i| {
        let numbers = Arc::clone(&numbers);
        let seq = u32::try_from(i % 50).unwrap_or(0) + 1;
        async move {
            let id = order(TENANT, seq, now()).id();
            (id, must(numbers.number_for("supplier_race", NumberSeries::TaxInvoice, id).await, "number"))
        }
    })
    .await;
    let mut by_order = std::collections::HashMap::new();
    for (id, number) in &results {
        let first = by_order.entry(*id).or_insert(*number);
        assert_eq!(first, number, "one order, one number");
    }
    assert_eq!(by_order.len(), 50);
    let distinct: BTreeSet<DocumentNumber> = by_order.values().copied().collect();
    assert_eq!(distinct.len(), 50, "fifty distinct numbers");
    let mut by_sequence: std::collections::BTreeMap<u16, BTreeSet<u64>> = std::collections::BTreeMap::new();
    for number in &distinct {
        by_sequence.entry(number.sequence).or_default().insert(number.serial);
    }
    for (sequence, serials) in by_sequence {
        let count = u64::try_from(serials.len()).unwrap_or(u64::MAX);
        assert_eq!(serials, (1..=count).collect::<BTreeSet<u64>>(), "sequence {sequence} is dense from 1");
    }
}
