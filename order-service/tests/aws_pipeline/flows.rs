//! Create (tenant and guest) and pay, end to end on AWS.

use adapters_system::{AesGcmCipher, CipherKey};
use order_app::{Principal, Service, StatusChange};
use order_domain::{OrderId, OrderStatus};
use order_ports::{DocumentNumber, FieldCipher};

use crate::support::*;

const CUSTOMER: &str = "thandi@example.co.za";
const STAFF: &str = "orders@bbws.example";

/// `{createdAt}#{orderId}` with the fixed-width timestamp the table uses.
fn created_key(item: &Item, id: OrderId) -> String {
    format!("{}#{id}", item["createdAt"].s())
}

/// Creates a tenant order for `tenant_acme` and drains the fan-out; each processor handles it once.
async fn recorded_order(env: &Env, cart: &str) -> OrderId {
    let outcome = env
        .stack
        .app
        .create_for_tenant(&customer("tenant_acme"), &tenant("tenant_acme"), request(env, cart, CUSTOMER), None)
        .await
        .unwrap();
    let report = env.stack.drain().await.unwrap();
    for (kind, counts) in report.processors.iter() {
        assert_eq!((counts.handled, counts.failed), (1, 0), "{kind}: {report:?}");
    }
    outcome.order_id
}

#[tokio::test]
async fn a_tenant_order_is_recorded_invoiced_and_emailed_through_sns_and_four_queues() {
    let env = fresh().await;
    let id = recorded_order(&env, "cart_1").await;

    // DynamoDB: the order item under the designed keys, and nothing the design does not name.
    let table = orders_table(&env).await;
    let order = &table[&("TENANT#tenant_acme".to_owned(), format!("ORDER#{id}"))];
    assert_eq!(order["GSI1PK"], Attr::S("TENANT#tenant_acme".into()));
    assert_eq!(order["GSI1SK"], Attr::S(created_key(order, id)));
    assert!(order["createdAt"].s().starts_with("20") && order["createdAt"].s().ends_with('Z'));
    assert_eq!(order["GSI2PK"], Attr::S(format!("ORDER#{id}")));
    let shard = env.resources.layout.feed_shard(id);
    assert_eq!(order["FEEDPK"], Attr::S(format!("OPEN#PENDING#{shard}")), "an open order is in the expiry feed");
    assert!(order["FEEDSK"].s().ends_with(&format!("#{id}")));
    assert_eq!(order["status"], Attr::S("PENDING".into()));
    assert_eq!(order["version"], Attr::N("1".into()));

    // The billing address is sealed with the configured key and appears nowhere in plain text.
    let Attr::B(sealed) = &order["billingAddress"] else { panic!("the address is not binary: {order:?}") };
    for item in table.values() {
        let text = format!("{item:?}");
        assert!(!text.contains("Long Street") && !text.contains("Thandi Nkosi"), "plain address in {text}");
    }
    let opened = AesGcmCipher::new(&CipherKey::from_bytes(KEY)).open(sealed, id.to_string().as_bytes()).unwrap();
    assert!(String::from_utf8(opened).unwrap().contains("12 Long Street"));

    // The cart claim: marked recorded, out of the relay's feed of unrecorded claims.
    let claim = &table[&("CART#cart_1".to_owned(), "ITEM".to_owned())];
    assert_eq!(claim["orderId"], Attr::S(id.to_string()));
    assert_eq!(claim["recorded"], Attr::Bool(true));
    assert!(!claim.contains_key("FEEDPK") && !claim.contains_key("FEEDSK"), "{claim:?}");

    let mut keys: Vec<_> = table.keys().map(|(pk, sk)| format!("{pk} {sk}")).collect();
    let mut expected = vec![
        "CART#cart_1 ITEM".to_owned(),
        format!("EFFECT#email/{id}/order_confirmation ITEM"),
        format!("EFFECT#email/{id}/order_notification/created ITEM"),
        format!("TENANT#tenant_acme ORDER#{id}"),
    ];
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected, "exactly the order, its claim and two email effects; no serial before payment");
    assert!(tenants_table(&env).await.is_empty(), "a tenant order creates no tenant");

    // S3: the pro forma invoice (invoiced on payment, the default), encrypted at rest.
    let key = format!("tenant_acme/{id}/proforma_{id}.pdf");
    assert_eq!(objects(&env).await.keys().collect::<Vec<_>>(), [&key]);
    let pro_forma = object(&env, &key).await;
    assert_eq!(pro_forma.encryption.as_deref(), Some("AES256"));
    assert_eq!(pro_forma.content_type.as_deref(), Some("application/pdf"));
    let text = pdf_text(&pro_forma.bytes);
    for expected in
        ["Pro Forma Invoice", "This is not a tax invoice", &id.to_string(), "Total (ZAR)", "R1,349.00", "Thandi Nkosi"]
    {
        assert!(text.contains(expected), "{expected} is missing from the pro forma:\n{text}");
    }
    assert!(!text.contains("INV-"), "{text}");

    // SES: one confirmation to the customer, one notification to staff, both naming the order.
    let sent = sent_emails(&env);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    let to_customer = addressed(&sent, CUSTOMER);
    assert_eq!(to_customer.len(), 1);
    assert_eq!(to_customer[0].subject, format!("Your order {id} has been received"));
    assert!(to_customer[0].body.contains(&id.to_string()));
    let to_staff = addressed(&sent, STAFF);
    assert_eq!(to_staff.len(), 1);
    assert!(to_staff[0].subject.contains(&id.to_string()), "{}", to_staff[0].subject);
    assert_ne!(to_customer[0].id, to_staff[0].id);

    // The application reads it back through the repository, and the cart is used up.
    let read = env.stack.app.get(&customer("tenant_acme"), id).await.unwrap();
    assert_eq!(read.totals().total.to_string(), "ZAR 1349.00");
    assert_eq!(env.carts.is_inactive(read.cart_id()), Some(true));
}

#[tokio::test]
async fn a_guest_order_creates_an_unvalidated_tenant_and_is_filed_under_it() {
    let env = fresh().await;
    let guest = "sipho@example.com";
    let id = env
        .stack
        .app
        .create_guest(&Principal::Guest, request_of(&env, None, "cart_g", "Sipho@Example.com"), Some("checkout-g"))
        .await
        .unwrap()
        .order_id;
    env.stack.drain().await.unwrap();

    // The tenants table: the tenant and its email-uniqueness item, written together.
    let tenants = tenants_table(&env).await;
    assert_eq!(tenants.len(), 2, "{tenants:#?}");
    let email_item = &tenants[&(format!("EMAIL#{guest}"), "EMAIL".to_owned())];
    assert_eq!(email_item["status"], Attr::S("UNVALIDATED".into()));
    let tenant_id = email_item["tenantId"].s().to_owned();
    assert!(tenants.contains_key(&(format!("TENANT#{tenant_id}"), "TENANT".to_owned())));

    // The order is stored under the resolved tenant, as are its invoice and the claim's key
    // (scoped by its caller: a guest by the cart only that shopper holds).
    let table = orders_table(&env).await;
    let order = &table[&(format!("TENANT#{tenant_id}"), format!("ORDER#{id}"))];
    assert_eq!(order["GSI1PK"], Attr::S(format!("TENANT#{tenant_id}")));
    assert_eq!(order["GSI1SK"], Attr::S(created_key(order, id)));
    assert_eq!(order["GSI2PK"], Attr::S(format!("ORDER#{id}")));
    assert_eq!(order["FEEDPK"], Attr::S(format!("OPEN#PENDING#{}", env.resources.layout.feed_shard(id))));
    assert_eq!(table[&("CART#cart_g".to_owned(), "ITEM".to_owned())]["recorded"], Attr::Bool(true));
    let key_item = &table[&("IDEMPOTENCY#guest:cart_g/checkout-g".to_owned(), "ITEM".to_owned())];
    assert_eq!((&key_item["cartId"], &key_item["orderId"]), (&Attr::S("cart_g".into()), &Attr::S(id.to_string())));
    let Attr::B(sealed) = &order["billingAddress"] else { panic!("the address is not binary") };
    assert!(!String::from_utf8_lossy(sealed).contains("Long Street"));

    let pro_forma = object(&env, &format!("{tenant_id}/{id}/proforma_{id}.pdf")).await;
    assert_eq!(pro_forma.encryption.as_deref(), Some("AES256"));
    assert_eq!(pro_forma.content_type.as_deref(), Some("application/pdf"));
    assert!(pdf_text(&pro_forma.bytes).contains("Pro Forma Invoice"));

    let sent = sent_emails(&env);
    let to_guest = addressed(&sent, guest);
    assert_eq!(to_guest.len(), 1, "{sent:#?}");
    assert_eq!(to_guest[0].subject, format!("Your order {id} has been received"));
    assert_eq!(addressed(&sent, STAFF).len(), 1);
    assert_eq!(sent.len(), 2);
}

#[tokio::test]
async fn payment_then_completion_issue_a_receipt_and_status_emails_and_leave_the_open_index() {
    let env = fresh().await;
    let id = recorded_order(&env, "cart_1").await;
    let paid = env.stack.app.confirm_payment(&payment_service(), id, payment("pf_1", "1349.00")).await.unwrap();
    assert_eq!(paid.status(), OrderStatus::Paid);
    let report = env.stack.drain().await.unwrap();
    assert_eq!(report.total().handled, 4, "one ORDER_STATUS_CHANGED to each processor: {report:?}");
    // The published entry was deleted off the request path, in the background (drain waits).

    // DynamoDB: the paid order, its payment record, and an empty outbox.
    let table = orders_table(&env).await;
    let order = &table[&("TENANT#tenant_acme".to_owned(), format!("ORDER#{id}"))];
    assert_eq!(order["status"], Attr::S("PAID".into()));
    assert_eq!(order["FEEDPK"], Attr::S(format!("OPEN#PAID#{}", env.resources.layout.feed_shard(id))));
    let record = &table[&("PAYMENT#pf_1".to_owned(), "ITEM".to_owned())];
    assert_eq!(record["orderId"], Attr::S(id.to_string()));
    assert!(table.keys().all(|(_, sk)| !sk.starts_with("OUTBOX#")), "the published event left the outbox");
    for item in table.values() {
        assert!(!format!("{item:?}").contains("Long Street"), "plain address in {item:?}");
    }

    // S3: the tax invoice and the receipt beside the pro forma, encrypted; the invoice's serial
    // allocated now, once.
    let receipt_key = format!("tenant_acme/{id}/receipt_{id}.pdf");
    assert_eq!(objects(&env).await.len(), 3);
    let serial = &table[&(format!("NUMBER#bbws#{id}"), "INVOICE".to_owned())];
    assert_eq!(serial["number"], Attr::N("1".into()));
    let sequence = env.resources.layout.number_sequence(id);
    assert_eq!(serial["sequence"], Attr::N(sequence.to_string()));
    let printed = DocumentNumber::invoice(1).in_sequence(sequence).to_string();
    let invoice = pdf_text(&object(&env, &format!("tenant_acme/{id}/invoice_{id}.pdf")).await.bytes);
    assert!(invoice.contains("Tax Invoice") && invoice.contains(&printed), "{printed} in {invoice}");
    let receipt = object(&env, &receipt_key).await;
    assert_eq!(receipt.encryption.as_deref(), Some("AES256"));
    assert_eq!(receipt.content_type.as_deref(), Some("application/pdf"));
    let text = pdf_text(&receipt.bytes);
    assert!(text.contains("Receipt") && text.contains("pf_1"), "{text}");

    // Completion: a terminal status leaves the expiry index; two more status emails.
    let provisioning = Principal::Service(Service::Provisioning);
    env.stack.app.update(&provisioning, id, StatusChange::StartProcessing, None).await.unwrap();
    env.stack.app.update(&provisioning, id, StatusChange::Complete, None).await.unwrap();
    env.stack.drain().await.unwrap();
    let table = orders_table(&env).await;
    let order = &table[&("TENANT#tenant_acme".to_owned(), format!("ORDER#{id}"))];
    assert_eq!(order["status"], Attr::S("COMPLETED".into()));
    assert_eq!(order["version"], Attr::N("4".into()));
    assert!(!order.contains_key("FEEDPK") && !order.contains_key("FEEDSK"), "{order:?}");

    // SES: the customer heard of each step; staff only of the new order.
    let sent = sent_emails(&env);
    let mut subjects: Vec<_> = addressed(&sent, CUSTOMER).iter().map(|m| m.subject.clone()).collect();
    subjects.sort();
    let mut expected: Vec<_> = ["has been received", "is now Paid", "is now Processing", "is now Completed"]
        .iter()
        .map(|tail| format!("Your order {id} {tail}"))
        .collect();
    expected.sort();
    assert_eq!(subjects, expected);
    assert_eq!(addressed(&sent, STAFF).len(), 1, "staff hear of new orders and late payments only");
}
