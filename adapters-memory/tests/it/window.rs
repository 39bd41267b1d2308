//! The bounded windows of the document store and the mailbox: the oldest evicted first,
//! evictions counted, an evicted document told apart from one never stored.

use std::num::NonZeroUsize;

use adapters_memory::{MemoryDocumentStore, MemoryMailbox};
use order_domain::testing::now;
use order_domain::{Email, OrderId, TenantId};
use order_ports::{DocumentKey, DocumentKind, DocumentMeta, DocumentStore, Mailer, OutgoingEmail, PortError, Subject};

fn key(order: u128, kind: DocumentKind) -> DocumentKey {
    DocumentKey {
        tenant_id: TenantId::parse("tenant_acme").unwrap(),
        order_id: OrderId::from_parts(now(), order),
        kind,
    }
}

fn meta() -> DocumentMeta {
    DocumentMeta { content_type: "application/pdf".into(), number: None, issued_at: now() }
}

fn window(n: usize) -> Option<NonZeroUsize> {
    NonZeroUsize::new(n)
}

fn evicted(result: Result<impl std::fmt::Debug, PortError>) -> String {
    match result {
        Err(PortError::Evicted { retention }) => retention,
        other => panic!("expected Evicted, got {other:?}"),
    }
}

#[tokio::test]
async fn the_document_window_evicts_the_oldest_first_and_counts() {
    let store = MemoryDocumentStore::keeping(window(2));
    for order in 1..=3 {
        store.put(&key(order, DocumentKind::ProForma), format!("%PDF {order}").into_bytes(), &meta()).await.unwrap();
    }
    assert_eq!(store.len(), 2);
    assert_eq!(store.evictions(), 1);
    assert_eq!(store.window(), window(2));
    let retention = evicted(store.fetch(&key(1, DocumentKind::ProForma)).await);
    assert!(retention.contains("last 2 documents"), "{retention}");
    evicted(store.get(&key(1, DocumentKind::ProForma)).await);
    assert_eq!(store.get(&key(2, DocumentKind::ProForma)).await.unwrap(), b"%PDF 2");
    assert_eq!(store.get(&key(3, DocumentKind::ProForma)).await.unwrap(), b"%PDF 3");

    store.put(&key(4, DocumentKind::ProForma), b"%PDF 4".to_vec(), &meta()).await.unwrap();
    assert_eq!(store.evictions(), 2);
    evicted(store.get(&key(2, DocumentKind::ProForma)).await);
    assert_eq!(store.get(&key(3, DocumentKind::ProForma)).await.unwrap(), b"%PDF 3");
}

#[tokio::test]
async fn an_evicted_document_is_not_a_missing_one() {
    let store = MemoryDocumentStore::keeping(window(1));
    store.put(&key(1, DocumentKind::ProForma), b"%PDF".to_vec(), &meta()).await.unwrap();
    store.put(&key(2, DocumentKind::ProForma), b"%PDF".to_vec(), &meta()).await.unwrap();
    assert!(matches!(store.get(&key(1, DocumentKind::TaxInvoice)).await, Err(PortError::NotFound)));
    assert!(matches!(store.get(&key(9, DocumentKind::ProForma)).await, Err(PortError::NotFound)));
    evicted(store.get(&key(1, DocumentKind::ProForma)).await);
}

#[tokio::test]
async fn a_rewritten_document_keeps_its_place_and_an_evicted_one_can_come_back() {
    let store = MemoryDocumentStore::keeping(window(2));
    store.put(&key(1, DocumentKind::ProForma), b"one".to_vec(), &meta()).await.unwrap();
    store.put(&key(2, DocumentKind::ProForma), b"two".to_vec(), &meta()).await.unwrap();
    // A retried job writes the same document again: no eviction, and it is still the oldest.
    store.put(&key(1, DocumentKind::ProForma), b"one again".to_vec(), &meta()).await.unwrap();
    assert_eq!(store.evictions(), 0);
    store.put(&key(3, DocumentKind::ProForma), b"three".to_vec(), &meta()).await.unwrap();
    evicted(store.get(&key(1, DocumentKind::ProForma)).await);

    store.put(&key(1, DocumentKind::ProForma), b"one, late".to_vec(), &meta()).await.unwrap();
    assert_eq!(store.get(&key(1, DocumentKind::ProForma)).await.unwrap(), b"one, late");
    evicted(store.get(&key(2, DocumentKind::ProForma)).await);
    assert_eq!(store.evictions(), 2);
}

#[tokio::test]
async fn a_listing_of_an_order_whose_documents_were_all_evicted_says_so() {
    let store = MemoryDocumentStore::keeping(window(2));
    let tenant = TenantId::parse("tenant_acme").unwrap();
    store.put(&key(1, DocumentKind::ProForma), b"pro forma".to_vec(), &meta()).await.unwrap();
    store.put(&key(2, DocumentKind::ProForma), b"pro forma".to_vec(), &meta()).await.unwrap();
    store.put(&key(1, DocumentKind::TaxInvoice), b"invoice".to_vec(), &meta()).await.unwrap();
    // Order 1 lost its pro forma but keeps its invoice: the listing shows what is kept.
    let listed = store.list(&tenant, key(1, DocumentKind::ProForma).order_id).await.unwrap();
    assert_eq!(listed.iter().map(|d| d.kind).collect::<Vec<_>>(), vec![DocumentKind::TaxInvoice]);
    store.put(&key(3, DocumentKind::ProForma), b"pro forma".to_vec(), &meta()).await.unwrap();
    // Order 2 lost everything it had.
    evicted(store.list(&tenant, key(2, DocumentKind::ProForma).order_id).await);
    // Order 9 never had anything.
    assert!(store.list(&tenant, key(9, DocumentKind::ProForma).order_id).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unbounded_store_keeps_everything() {
    let store = MemoryDocumentStore::new();
    for order in 1..=50 {
        store.put(&key(order, DocumentKind::ProForma), b"%PDF".to_vec(), &meta()).await.unwrap();
    }
    assert_eq!((store.len(), store.evictions(), store.window()), (50, 0, None));
    assert_eq!(MemoryDocumentStore::keeping(None).window(), None);
}

fn email(n: usize) -> OutgoingEmail {
    OutgoingEmail {
        to: vec![Email::parse(format!("buyer{n}@example.co.za")).unwrap()],
        subject: Subject::new(format!("Order {n}")).unwrap(),
        html: "<p>Hello</p>".into(),
        text: "Hello".into(),
    }
}

#[tokio::test]
async fn the_mail_window_keeps_the_newest_and_counts_the_rest() {
    let mailbox = MemoryMailbox::keeping(window(3));
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(mailbox.send(&email(n)).await.unwrap());
    }
    let kept = mailbox.sent();
    assert_eq!(kept.iter().map(|sent| sent.email.clone()).collect::<Vec<_>>(), vec![email(3), email(4), email(5)]);
    assert_eq!(mailbox.evictions(), 2);
    assert_eq!(mailbox.window(), window(3));
    // Message ids stay unique across evictions.
    assert_eq!(ids.last().map(String::as_str), Some("memory-mail-000005"));
    assert_eq!(kept.iter().map(|sent| &sent.message_id).collect::<Vec<_>>(), ids[2..].iter().collect::<Vec<_>>());
    assert!(mailbox.sent_to(&email(1).to[0]).is_empty());
    assert_eq!(mailbox.attempts(), 5);
}

#[tokio::test]
async fn an_unbounded_mailbox_keeps_everything() {
    let mailbox = MemoryMailbox::new();
    for n in 1..=20 {
        mailbox.send(&email(n)).await.unwrap();
    }
    assert_eq!((mailbox.sent().len(), mailbox.evictions(), mailbox.window()), (20, 0, None));
}
