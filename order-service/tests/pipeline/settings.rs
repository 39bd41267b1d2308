//! The application's settings from configuration, through the whole pipeline: the invoice the
//! pipeline stores names the configured supplier, the configured staff hear of the order.

use chrono::TimeDelta;
use order_domain::{Email, OrderStatus};
use order_ports::{DocumentKey, DocumentKind, DocumentStore};
use order_service::app_settings::AppSettings;
use order_service::memory::{InMemoryStack, StackOptions};

use crate::*;

/// Another supplier than the demonstration one, as a host's variables.
const VARIABLES: &[(&str, &str)] = &[
    ("BBWS_SUPPLIER_ID", "karoo-cloud"),
    ("BBWS_SUPPLIER_LEGAL_NAME", "Karoo Cloud Services (Pty) Ltd"),
    ("BBWS_SUPPLIER_TRADING_NAME", "Karoo Cloud"),
    ("BBWS_SUPPLIER_ADDRESS", "Unit 7, 12 Church Street|Graaff-Reinet|6280"),
    ("BBWS_SUPPLIER_VAT_NUMBER", "4987654321"),
    ("BBWS_SUPPLIER_EMAIL", "accounts@karoo.example.co.za"),
    ("BBWS_STAFF_EMAILS", "sales@karoo.example.co.za, ops@karoo.example.co.za"),
    ("BBWS_PORTAL_URL", "https://my.karoo.example.co.za"),
    ("BBWS_STAFF_CONSOLE_URL", "https://staff.karoo.example.co.za"),
    ("BBWS_PENDING_EXPIRY", "6h"),
];

fn configured_stack() -> InMemoryStack {
    let settings =
        AppSettings::from_lookup(|name| VARIABLES.iter().find(|(key, _)| *key == name).map(|(_, v)| (*v).to_owned()))
            .unwrap();
    InMemoryStack::new(StackOptions::new(settings.config()).starting_at(start())).unwrap()
}

#[tokio::test]
async fn the_stored_invoice_names_the_configured_supplier_and_its_staff_are_told() {
    let stack = configured_stack();
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;
    stack.app.confirm_payment(&payment_service(), id, payment("pf_1", "1349.00")).await.unwrap();
    stack.drain().await.unwrap();

    let key = DocumentKey { tenant_id: tenant("tenant_acme"), order_id: id, kind: DocumentKind::TaxInvoice };
    let text = pdf_text(&stack.documents.get(&key).await.unwrap());
    for expected in [
        "Karoo Cloud Services (Pty) Ltd",
        "trading as Karoo Cloud",
        "Unit 7, 12 Church Street",
        "Graaff-Reinet",
        "VAT no. 4987654321",
        "accounts@karoo.example.co.za",
        "INV-000001",
    ] {
        assert!(text.contains(expected), "{expected:?} is not on the invoice:\n{text}");
    }
    assert!(!text.contains("Big Beard") && !text.contains("4123456789"), "{text}");

    for staff in ["sales@karoo.example.co.za", "ops@karoo.example.co.za"] {
        let sent = stack.mailbox.sent_to(&Email::parse(staff).unwrap());
        assert_eq!(sent.len(), 1, "the new order only: {staff}");
        let body = sent[0].email.text.clone() + &sent[0].email.html.replace("&#x2f;", "/");
        assert!(body.contains(&format!("https://staff.karoo.example.co.za/orders/{id}")), "{body}");
    }
    assert!(stack.mailbox.sent_to(&Email::parse("orders@bbws.example").unwrap()).is_empty());
    let customer_mail = stack.mailbox.sent_to(&Email::parse("thandi@example.co.za").unwrap());
    let body = customer_mail[0].email.text.clone() + &customer_mail[0].email.html.replace("&#x2f;", "/");
    assert!(body.contains(&format!("https://my.karoo.example.co.za/orders/{id}")), "{body}");
}

#[tokio::test]
async fn the_configured_expiry_policy_is_the_one_the_sweep_applies() {
    let stack = configured_stack();
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;

    // PENDING for 6 h (BBWS_PENDING_EXPIRY), not the default 24 h.
    stack.clock.set(start() + TimeDelta::hours(6) - TimeDelta::milliseconds(1));
    assert_eq!(stack.app.expire_stale(100).await.unwrap().expired, 0);
    stack.clock.set(start() + TimeDelta::hours(6));
    assert_eq!(stack.app.expire_stale(100).await.unwrap().expired, 1);
    assert_eq!(stack.app.get(&customer("tenant_acme"), id).await.unwrap().status(), OrderStatus::Expired);
}
