//! Fault injection and inspection helpers of the in-memory adapters.

use adapters_memory::{MemoryCartGateway, MemoryDocumentStore, MemoryMailbox, MemoryTenantDirectory, SentEmail};
use order_domain::testing::{line, now};
use order_domain::{CartId, CartSnapshot, Email, Tenant, TenantId, TenantStatus};
use order_ports::{
    CartGateway, DocumentKey, DocumentKind, DocumentMeta, DocumentStore, Mailer, OutgoingEmail, PortError, Subject,
    TenantDirectory,
};

fn email(to: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: vec![Email::parse(to).unwrap()],
        subject: Subject::new("Your order").unwrap(),
        html: "<p>Hello</p>".into(),
        text: "Hello".into(),
    }
}

#[tokio::test]
async fn the_mailbox_fails_the_next_sends_when_told_then_records_again() {
    let mailbox = MemoryMailbox::new();
    mailbox.fail_next(2);
    for _ in 0..2 {
        let error = mailbox.send(&email("a@example.co.za")).await.unwrap_err();
        assert!(error.is_retryable(), "a throttled provider is worth retrying: {error:?}");
    }
    assert!(mailbox.sent().is_empty(), "nothing was sent by a failed attempt");
    let id = mailbox.send(&email("a@example.co.za")).await.unwrap();
    mailbox.send(&email("b@example.co.za")).await.unwrap();
    assert_eq!(mailbox.attempts(), 4);
    assert_eq!(
        mailbox.sent_to(&Email::parse("a@example.co.za").unwrap()),
        vec![SentEmail { message_id: id, email: email("a@example.co.za") }]
    );
    assert_eq!(mailbox.sent().len(), 2);
}

#[tokio::test]
async fn the_cart_gateway_shows_which_carts_were_marked_inactive() {
    let gateway = MemoryCartGateway::new();
    let cart = CartId::parse("cart_7").unwrap();
    gateway.add_cart(
        CartSnapshot::new(cart.clone(), order_domain::CartOwner::Guest, vec![line("SKU-1", "10.00", 1)]).unwrap(),
    );
    assert_eq!(gateway.is_inactive(&cart), Some(false));
    gateway.mark_inactive(&cart).await.unwrap();
    assert_eq!(gateway.is_inactive(&cart), Some(true));
    assert_eq!(gateway.is_inactive(&CartId::parse("cart_8").unwrap()), None);
}

#[tokio::test]
async fn the_document_store_lists_keys_and_content_types() {
    let store = MemoryDocumentStore::new();
    let (order, _) = order_domain::testing::pending_order();
    let key = DocumentKey {
        tenant_id: TenantId::parse("tenant_acme").unwrap(),
        order_id: order.id(),
        kind: DocumentKind::TaxInvoice,
    };
    assert!(store.is_empty());
    let meta = DocumentMeta { content_type: "application/pdf".into(), number: None, issued_at: order.created_at() };
    store.put(&key, b"%PDF".to_vec(), &meta).await.unwrap();
    assert_eq!(store.keys(), vec![format!("tenant_acme/{0}/invoice_{0}.pdf", order.id())]);
    assert_eq!(store.content_type(&key).as_deref(), Some("application/pdf"));
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn seeded_tenants_are_found_and_guard_their_email() {
    let directory = MemoryTenantDirectory::new();
    let email = Email::parse("owner@example.co.za").unwrap();
    let tenant =
        Tenant { id: TenantId::parse("tenant_acme").unwrap(), email: email.clone(), status: TenantStatus::Active };
    directory.add(tenant.clone()).unwrap();
    assert_eq!(directory.find_by_email(&email).await.unwrap(), Some(tenant));
    let guest = directory.create_unvalidated(&TenantId::parse("tenant_new").unwrap(), &email, now()).await;
    assert!(matches!(guest, Err(PortError::AlreadyExists)), "an existing tenant is never replaced");
    assert_eq!(directory.len(), 1);
}
