//! Tax documents over an order's whole life, under each document policy: what each life ends
//! with, the serials, and what the credit note says — read back from the stored PDFs.

use chrono::TimeDelta;
use order_app::{Principal, StatusChange};
use order_domain::{DocumentKind, DocumentPolicy, OrderId, Reason};
use order_ports::{DocumentKey, DocumentStore};
use order_service::memory::{InMemoryStack, StackOptions, demo_config};

use crate::*;

fn stack_with(policy: DocumentPolicy) -> InMemoryStack {
    let mut config = demo_config();
    config.document_policy = policy;
    InMemoryStack::new(StackOptions::new(config).starting_at(start())).unwrap()
}

#[derive(Debug, Clone, Copy)]
enum Life {
    Cancelled,
    Expired,
    Completed,
    Refunded,
}

async fn live(stack: &InMemoryStack, cart: &str, life: Life) -> OrderId {
    let id = recorded_order(stack, "tenant_acme", cart).await;
    let pay = |payment_id: &str| payment(payment_id, "1349.00");
    match life {
        Life::Cancelled => {
            let reason = Some(Reason::parse("ordered the wrong plan").unwrap());
            stack.app.update(&customer("tenant_acme"), id, StatusChange::Cancel(reason), None).await.unwrap();
        }
        Life::Expired => {
            stack.clock.advance(TimeDelta::hours(25));
            assert_eq!(stack.app.expire_stale(10).await.unwrap().expired, 1);
        }
        Life::Completed | Life::Refunded => {
            stack.app.confirm_payment(&payment_service(), id, pay(&format!("pf_{cart}"))).await.unwrap();
            stack.drain().await.unwrap();
            let last = if matches!(life, Life::Completed) {
                StatusChange::Complete
            } else {
                StatusChange::Refund(Some(Reason::parse("service not needed").unwrap()))
            };
            stack.app.update(&Principal::Staff, id, StatusChange::StartProcessing, None).await.unwrap();
            stack.app.update(&Principal::Staff, id, last, None).await.unwrap();
        }
    }
    stack.drain().await.unwrap();
    id
}

async fn kinds(stack: &InMemoryStack, id: OrderId) -> Vec<(DocumentKind, Option<String>)> {
    let listed = stack.documents.list(&tenant("tenant_acme"), id).await.unwrap();
    listed.into_iter().map(|d| (d.kind, d.meta.number.map(|n| n.to_string()))).collect()
}

async fn text(stack: &InMemoryStack, id: OrderId, kind: DocumentKind) -> String {
    let key = DocumentKey { tenant_id: tenant("tenant_acme"), order_id: id, kind };
    pdf_text(&stack.documents.get(&key).await.unwrap())
}

fn numbered(kind: DocumentKind, number: Option<&str>) -> (DocumentKind, Option<String>) {
    (kind, number.map(str::to_owned))
}

#[tokio::test]
async fn invoiced_on_payment_an_unpaid_order_leaves_a_pro_forma_and_a_refund_a_credit_note() {
    let stack = stack_with(DocumentPolicy::InvoiceOnPayment);
    let cancelled = live(&stack, "cart_c", Life::Cancelled).await;
    let expired = live(&stack, "cart_e", Life::Expired).await;
    let completed = live(&stack, "cart_p", Life::Completed).await;
    let refunded = live(&stack, "cart_r", Life::Refunded).await;

    let pro_forma = numbered(DocumentKind::ProForma, None);
    assert_eq!(kinds(&stack, cancelled).await, std::slice::from_ref(&pro_forma));
    assert_eq!(kinds(&stack, expired).await, std::slice::from_ref(&pro_forma));
    assert_eq!(
        kinds(&stack, completed).await,
        [
            pro_forma.clone(),
            numbered(DocumentKind::TaxInvoice, Some("INV-000001")),
            numbered(DocumentKind::Receipt, None)
        ]
    );
    assert_eq!(
        kinds(&stack, refunded).await,
        [
            pro_forma,
            numbered(DocumentKind::TaxInvoice, Some("INV-000002")),
            numbered(DocumentKind::Receipt, None),
            numbered(DocumentKind::CreditNote, Some("CN-000001")),
        ]
    );
    let credit = text(&stack, refunded, DocumentKind::CreditNote).await;
    for expected in
        ["Credit Note", "CN-000001", "INV-000002", "Order refunded: service not needed", "R1,349.00", "R175.96"]
    {
        assert!(credit.contains(expected), "{expected:?} missing from the credit note:\n{credit}");
    }
    let invoice = text(&stack, refunded, DocumentKind::TaxInvoice).await;
    assert!(invoice.contains("Tax Invoice") && invoice.contains("INV-000002"), "{invoice}");
}

#[tokio::test]
async fn invoiced_on_order_every_unpaid_or_refunded_order_has_its_invoice_reversed() {
    let stack = stack_with(DocumentPolicy::InvoiceOnOrder);
    let cancelled = live(&stack, "cart_c", Life::Cancelled).await;
    let expired = live(&stack, "cart_e", Life::Expired).await;
    let completed = live(&stack, "cart_p", Life::Completed).await;
    let refunded = live(&stack, "cart_r", Life::Refunded).await;

    let invoice = |n: &str| numbered(DocumentKind::TaxInvoice, Some(n));
    let credit_note = |n: &str| numbered(DocumentKind::CreditNote, Some(n));
    assert_eq!(kinds(&stack, cancelled).await, [invoice("INV-000001"), credit_note("CN-000001")]);
    assert_eq!(kinds(&stack, expired).await, [invoice("INV-000002"), credit_note("CN-000002")]);
    assert_eq!(kinds(&stack, completed).await, [invoice("INV-000003"), numbered(DocumentKind::Receipt, None)]);
    assert_eq!(
        kinds(&stack, refunded).await,
        [invoice("INV-000004"), numbered(DocumentKind::Receipt, None), credit_note("CN-000003")]
    );
    let credit = text(&stack, cancelled, DocumentKind::CreditNote).await;
    for expected in [
        "Credit Note",
        "CN-000001",
        "Adjusts tax invoice INV-000001 in full",
        "25 November 2026",
        "Order cancelled: ordered the wrong plan",
        "Big Beard Web Solutions (Pty) Ltd",
        "Thandi Nkosi",
        "Total credited (ZAR)",
        "R1,349.00",
    ] {
        assert!(credit.contains(expected), "{expected:?} missing from the credit note:\n{credit}");
    }
    let expiry = text(&stack, expired, DocumentKind::CreditNote).await;
    assert!(expiry.contains("Order expired unpaid") && expiry.contains("26 November 2026"), "{expiry}");
}

/// A late payment on a cancelled order issues nothing new: it is returned, not invoiced.
#[tokio::test]
async fn a_late_payment_issues_no_document() {
    for policy in [DocumentPolicy::InvoiceOnPayment, DocumentPolicy::InvoiceOnOrder] {
        let stack = stack_with(policy);
        let id = live(&stack, "cart_late", Life::Cancelled).await;
        let before = kinds(&stack, id).await;
        stack.app.confirm_payment(&payment_service(), id, payment("pf_late", "1349.00")).await.unwrap();
        stack.drain().await.unwrap();
        assert_eq!(kinds(&stack, id).await, before, "{policy}");
    }
}
