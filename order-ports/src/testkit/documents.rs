//! The contracts of [`DocumentStore`] and [`InvoiceNumbers`].

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use order_domain::testing::now;

use super::data::{TENANT, order, tenant};
use super::{assert_error, concurrently, must};
use crate::PortError;
use crate::documents::{DocumentKey, DocumentKind, DocumentStore, InvoiceNumber, InvoiceNumbers};

/// Supplies fresh document stores and invoice number allocators.
#[async_trait]
pub trait DocumentsFixture: Send + Sync {
    /// A fresh, empty document store.
    async fn document_store(&self) -> Arc<dyn DocumentStore>;
    /// A fresh allocator that has issued no numbers.
    async fn invoice_numbers(&self) -> Arc<dyn InvoiceNumbers>;
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
                invoice_numbers_start_at_one_per_supplier_and_repeat_per_order,
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
    let invoice = DocumentKey { tenant_id: tenant(TENANT), order_id, kind: DocumentKind::Invoice };
    let receipt = DocumentKey { kind: DocumentKind::Receipt, ..invoice.clone() };
    assert_error(store.get(&invoice).await, |e| matches!(e, PortError::NotFound), "nothing stored yet");
    must(store.put(&invoice, b"%PDF-1 first".to_vec(), "application/pdf").await, "put");
    assert_eq!(must(store.get(&invoice).await, "get"), b"%PDF-1 first");
    must(store.put(&invoice, b"%PDF-1 second".to_vec(), "application/pdf").await, "overwrite");
    assert_eq!(must(store.get(&invoice).await, "get"), b"%PDF-1 second", "the retry overwrote it");
    assert_error(store.get(&receipt).await, |e| matches!(e, PortError::NotFound), "another kind is another key");
}

/// Numbers of one supplier start at 1 and increase; asking again for an order gives its
/// number; another supplier has its own sequence.
///
/// # Panics
/// When the contract is broken.
pub async fn invoice_numbers_start_at_one_per_supplier_and_repeat_per_order(fixture: &dyn DocumentsFixture) {
    let numbers = fixture.invoice_numbers().await;
    let (a, b) = (order(TENANT, 1, now()).id(), order(TENANT, 2, now()).id());
    assert_eq!(must(numbers.number_for("supplier_x", a).await, "number"), InvoiceNumber(1));
    assert_eq!(must(numbers.number_for("supplier_x", b).await, "number"), InvoiceNumber(2));
    assert_eq!(must(numbers.number_for("supplier_x", a).await, "number again"), InvoiceNumber(1));
    assert_eq!(must(numbers.number_for("supplier_y", b).await, "other supplier"), InvoiceNumber(1));
}

/// Fifty orders asking twice each, all at once: fifty distinct numbers, 1 to 50, and both
/// answers for an order agree.
///
/// # Panics
/// When the contract is broken.
pub async fn concurrent_invoice_numbers_are_distinct_and_dense(fixture: &dyn DocumentsFixture) {
    let numbers = fixture.invoice_numbers().await;
    let results = concurrently(100, |i| {
        let numbers = Arc::clone(&numbers);
        let seq = u32::try_from(i % 50).unwrap_or(0) + 1;
        async move {
            let id = order(TENANT, seq, now()).id();
            (id, must(numbers.number_for("supplier_race", id).await, "number"))
        }
    })
    .await;
    let mut by_order = std::collections::HashMap::new();
    for (id, number) in &results {
        let first = by_order.entry(*id).or_insert(*number);
        assert_eq!(first, number, "one order, one number");
    }
    let distinct: BTreeSet<u64> = by_order.values().map(|n| n.0).collect();
    assert_eq!(by_order.len(), 50);
    assert_eq!(distinct, (1..=50).collect::<BTreeSet<u64>>(), "fifty distinct numbers from 1");
}
