//! Payment confirmation: the payment service's JSON and verified PayFast notifications.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use adapters_http::payfast::signature;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use order_app::Storage;
use order_domain::{Order, OrderId, OrderStatus, TenantId};
use order_ports::{ListQuery, OrderPage, OrderRepository, OrderUpdate, OutboxEntry, PortResult};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{MERCHANT_ID, Options, PASSPHRASE, Server, customer, mint, problem, server, server_with};

/// PayFast's fields for a payment of `amount` for `order`, signed with `passphrase`.
fn itn(order: &str, payment: &str, amount: &str, passphrase: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("m_payment_id", order),
        ("pf_payment_id", payment),
        ("payment_status", "COMPLETE"),
        ("item_name", "BBWS order & hosting"),
        ("amount_gross", amount),
        ("amount_fee", "-31.03"),
        ("amount_net", "1317.97"),
        ("name_first", "Thandi"),
        ("email_address", "thandi@acme.co.za"),
        ("merchant_id", MERCHANT_ID),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let signature = signature(&fields, Some(passphrase));
    fields.push(("signature".into(), signature));
    fields
}

fn resign(fields: &mut Vec<(String, String)>) {
    fields.retain(|(k, _)| k != "signature");
    let signature = signature(fields, Some(PASSPHRASE));
    fields.push(("signature".into(), signature));
}

async fn post_itn(server: &Server, order: &str, fields: &[(String, String)]) -> reqwest::Response {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    server
        .client
        .post(server.url(&format!("/v1.0/orders/{order}/paymentconfirmation")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn awaiting_payment(server: &Server, cart: &str) -> String {
    let id = server.recorded_order("tenant_acme", cart).await;
    let moved = server
        .put_json(&format!("/v1.0/orders/{id}"), &customer("tenant_acme"), None, &json!({"status": "PAYMENT_PENDING"}))
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    id
}

#[tokio::test]
async fn a_valid_itn_pays_the_order_once() {
    let server = server().await;
    let id = awaiting_payment(&server, "cart_pf").await;
    let fields = itn(&id, "1089250", "1349.00", PASSPHRASE);
    let response = post_itn(&server, &id, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let ack: Value = response.json().await.unwrap();
    assert_eq!(ack, json!({"orderId": id, "status": "PAID", "version": 3, "applied": true}));
    let order = server.order(&id).await;
    assert_eq!(order["payment"]["paymentId"], "1089250");
    assert_eq!(order["payment"]["amount"]["amount"], "1349.00");

    // PayFast retries: the same payment id changes nothing and is still 200.
    let again = post_itn(&server, &id, &fields).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["version"], 3);
}

#[tokio::test]
async fn unverified_itns_are_refused_and_change_nothing() {
    let server = server().await;
    let id = awaiting_payment(&server, "cart_bad").await;
    let other = awaiting_payment(&server, "cart_other").await;

    let wrong_passphrase = itn(&id, "p1", "1349.00", "guessed");
    let mut tampered = itn(&id, "p2", "1349.00", PASSPHRASE);
    tampered.iter_mut().filter(|(k, _)| k == "amount_gross").for_each(|(_, v)| *v = "1.00".into());
    let mut reordered = itn(&id, "p3", "1349.00", PASSPHRASE);
    reordered.swap(0, 1);
    let mut wrong_merchant = itn(&id, "p5", "1349.00", PASSPHRASE);
    wrong_merchant.iter_mut().filter(|(k, _)| k == "merchant_id").for_each(|(_, v)| *v = "999".into());
    resign(&mut wrong_merchant);
    let mut not_complete = itn(&id, "p6", "1349.00", PASSPHRASE);
    not_complete.iter_mut().filter(|(k, _)| k == "payment_status").for_each(|(_, v)| *v = "CANCELLED".into());
    resign(&mut not_complete);
    let mut unsigned = itn(&id, "p7", "1349.00", PASSPHRASE);
    unsigned.retain(|(k, _)| k != "signature");
    let for_another_order = itn(&other, "p8", "1349.00", PASSPHRASE);

    for (case, fields) in [
        ("wrong passphrase", wrong_passphrase),
        ("amount changed after signing", tampered),
        ("fields reordered", reordered),
        ("wrong merchant", wrong_merchant),
        ("not COMPLETE", not_complete),
        ("unsigned", unsigned),
        ("another order's notification", for_another_order),
    ] {
        let response = post_itn(&server, &id, &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
        problem(response, StatusCode::BAD_REQUEST, "itn-refused").await;
    }
    for order in [&id, &other] {
        let order = server.order(order).await;
        assert_eq!(order["status"], "PAYMENT_PENDING");
        assert_eq!(order["version"], 2);
        assert!(order.get("payment").is_none());
    }
}

#[tokio::test]
async fn an_itn_from_an_unknown_source_is_refused() {
    let server = server_with(Options { payfast_allow: vec!["197.97.145.144/28"], ..Options::default() }).await;
    let id = awaiting_payment(&server, "cart_src").await;
    let response = post_itn(&server, &id, &itn(&id, "p1", "1349.00", PASSPHRASE)).await;
    problem(response, StatusCode::FORBIDDEN, "itn-refused").await;
    assert_eq!(server.order(&id).await["status"], "PAYMENT_PENDING");
}

#[tokio::test]
async fn the_payment_service_confirms_with_json() {
    let server = server().await;
    let id = server.recorded_order("tenant_acme", "cart_json").await;
    let path = format!("/v1.0/orders/{id}/paymentconfirmation");
    let body =
        |payment: &str, amount: &str| json!({"paymentId": payment, "amount": {"amount": amount, "currency": "ZAR"}});

    let customer_attempt = server.post_json(&path, Some(&customer("tenant_acme")), &body("pay_1", "1349.00")).await;
    problem(customer_attempt, StatusCode::FORBIDDEN, "not-permitted").await;
    let anonymous = server.post_json(&path, None, &body("pay_1", "1349.00")).await;
    problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let payments = mint("payment", None);
    let short = server.post_json(&path, Some(&payments), &body("pay_0", "1300.00")).await;
    assert_eq!(short.status(), StatusCode::OK, "a verified payment is recorded, whatever its amount");
    assert_eq!(short.json::<Value>().await.unwrap()["applied"], false);
    assert_eq!(server.order(&id).await["status"], "PENDING");

    let paid = server.post_json(&path, Some(&payments), &body("pay_1", "1349.00")).await;
    assert_eq!(paid.status(), StatusCode::OK);
    assert_eq!(paid.json::<Value>().await.unwrap()["status"], "PAID");
    let repeated = server.post_json(&path, Some(&payments), &body("pay_1", "1349.00")).await;
    assert_eq!(repeated.status(), StatusCode::OK);
    let second = server.post_json(&path, Some(&payments), &body("pay_2", "1349.00")).await;
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(second.json::<Value>().await.unwrap()["applied"], false);
    // A payment of nothing is no payment.
    let zero = server.post_json(&path, Some(&payments), &body("pay_zero", "0.00")).await;
    problem(zero, StatusCode::UNPROCESSABLE_ENTITY, "invalid-value").await;
    // A payment date that has not happened yet is refused; a few seconds of skew is not.
    let mut future = body("pay_3", "1349.00");
    future["paidAt"] = json!((server.stack.app().system().clock.now() + chrono::TimeDelta::hours(1)).to_rfc3339());
    let refused = problem(
        server.post_json(&path, Some(&payments), &future).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-value",
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().starts_with("paidAt:"), "{refused}");
    let mut skewed = body("pay_4", "1349.00");
    skewed["paidAt"] = json!((server.stack.app().system().clock.now() + chrono::TimeDelta::seconds(30)).to_rfc3339());
    assert_eq!(server.post_json(&path, Some(&payments), &skewed).await.status(), StatusCode::OK);
    let order = server.order(&id).await;
    assert_eq!(order["payment"]["paymentId"], "pay_1");
    assert_eq!(order["history"].as_array().unwrap().len(), 2, "PENDING → PAYMENT_PENDING → PAID");
    let unapplied: Vec<_> = order["unappliedPayments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["paymentId"].clone(), u["reason"].clone()))
        .collect();
    assert_eq!(
        unapplied,
        [
            (json!("pay_0"), json!("AMOUNT_MISMATCH")),
            (json!("pay_2"), json!("ALREADY_PAID")),
            (json!("pay_4"), json!("ALREADY_PAID"))
        ]
    );
}

/// A verified PayFast notification the order does not take — a second payment, the wrong
/// amount, a cancelled order — is answered 200 (so PayFast stops re-sending it) and held on the
/// order as money to return; staff or the payment service then record its refund.
#[tokio::test]
async fn verified_itns_the_order_does_not_take_are_acknowledged_and_held_for_refund() {
    let server = server().await;
    let id = awaiting_payment(&server, "cart_unapplied").await;
    for (payment, amount, applied) in
        [("p_short", "1348.99", false), ("p_paid", "1349.00", true), ("p_double", "1349.00", false)]
    {
        for attempt in 0..2 {
            let response = post_itn(&server, &id, &itn(&id, payment, amount, PASSPHRASE)).await;
            assert_eq!(response.status(), StatusCode::OK, "{payment} attempt {attempt}");
            let ack: Value = response.json().await.unwrap();
            assert_eq!(
                (&ack["applied"], &ack["status"]),
                (&json!(applied), &json!(if payment == "p_short" { "PAYMENT_PENDING" } else { "PAID" }))
            );
        }
    }
    let order = server.order(&id).await;
    assert_eq!(order["version"], 5, "request, short payment, payment, double payment; retries change nothing");
    let due = |order: &Value| {
        order["unappliedPayments"].as_array().unwrap().iter().filter(|u| u.get("refundedAt").is_none()).count()
    };
    assert_eq!(due(&order), 2);

    let refund = |payment: &str| format!("/v1.0/orders/{id}/payments/{payment}/refund");
    let staff = mint("staff", None);
    let by_customer = server.post_json(&refund("p_short"), Some(&customer("tenant_acme")), &json!({})).await;
    let refused = problem(by_customer, StatusCode::FORBIDDEN, "not-permitted").await;
    assert_eq!(refused["detail"], "Only the payment service or staff record the refund of a payment.");
    let anonymous = server.post_json(&refund("p_short"), None, &json!({})).await;
    problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let applied = server.post_json(&refund("p_paid"), Some(&staff), &json!({})).await;
    problem(applied, StatusCode::NOT_FOUND, "payment-not-found").await;
    let empty_reference = server.post_json(&refund("p_short"), Some(&staff), &json!({"reference": "  "})).await;
    let refused = problem(empty_reference, StatusCode::UNPROCESSABLE_ENTITY, "invalid-value").await;
    assert_eq!(refused["detail"], "reference must not be empty");

    let recorded = server.post_json(&refund("p_short"), Some(&staff), &json!({"reference": "EFT 4411"})).await;
    assert_eq!(recorded.status(), StatusCode::OK);
    let after: Value = recorded.json().await.unwrap();
    assert_eq!(after["status"], "PAID");
    assert_eq!(after["unappliedPayments"][0]["refundReference"], "EFT 4411");
    assert_eq!(due(&after), 1);
    let again = server.post_json(&refund("p_short"), Some(&mint("payment", None)), &json!({})).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["version"], after["version"], "recorded once");
    let by_payments = server.post_json(&refund("p_double"), Some(&mint("payment", None)), &json!({})).await;
    assert_eq!(by_payments.status(), StatusCode::OK);
    assert_eq!(due(&server.order(&id).await), 0);

    // A late payment on a cancelled order: the same answer, the same loop.
    let cancelled = awaiting_payment(&server, "cart_cancelled").await;
    let cancel = server
        .put_json(&format!("/v1.0/orders/{cancelled}"), &customer("tenant_acme"), None, &json!({"status": "CANCELLED"}))
        .await;
    assert_eq!(cancel.status(), StatusCode::OK);
    let late = post_itn(&server, &cancelled, &itn(&cancelled, "p_late", "1349.00", PASSPHRASE)).await;
    assert_eq!(late.status(), StatusCode::OK);
    assert_eq!(late.json::<Value>().await.unwrap()["status"], "CANCELLED");
    let order = server.order(&cancelled).await;
    assert_eq!(order["unappliedPayments"][0]["reason"], "ORDER_CLOSED");
    let refunded =
        server.post_json(&format!("/v1.0/orders/{cancelled}/payments/p_late/refund"), Some(&staff), &json!({})).await;
    assert_eq!(refunded.status(), StatusCode::OK);
}

/// The order store, counting the reads of one order.
struct CountingReads {
    inner: Arc<dyn OrderRepository>,
    reads: Arc<AtomicUsize>,
}

#[async_trait]
impl OrderRepository for CountingReads {
    async fn insert(&self, order: &Order) -> PortResult<()> {
        self.inner.insert(order).await
    }

    async fn get(&self, tenant: &TenantId, id: OrderId) -> PortResult<Order> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get(tenant, id).await
    }

    async fn get_by_id(&self, id: OrderId) -> PortResult<Order> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_by_id(id).await
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> PortResult<OrderPage> {
        self.inner.list(tenant, query).await
    }

    async fn update<'a>(&self, update: OrderUpdate<'a>) -> PortResult<()> {
        self.inner.update(update).await
    }

    async fn stale(&self, status: OrderStatus, before: DateTime<Utc>, limit: usize) -> PortResult<Vec<Order>> {
        self.inner.stale(status, before, limit).await
    }

    async fn pending_outbox(&self, limit: usize) -> PortResult<Vec<OutboxEntry>> {
        self.inner.pending_outbox(limit).await
    }

    async fn clear_outbox(&self, entry: &OutboxEntry) -> PortResult<()> {
        self.inner.clear_outbox(entry).await
    }
}

#[tokio::test]
async fn an_itn_reads_the_order_once_and_a_wrong_amount_is_judged_by_the_order_itself() {
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = reads.clone();
    let server = server_with(Options {
        app: Some(Box::new(move |stack| {
            let app = stack.app();
            let orders = Arc::new(CountingReads { inner: app.storage().orders.clone(), reads: counter });
            let storage = Storage { orders, ..app.storage().clone() };
            app.to_builder().storage(storage).build().unwrap()
        })),
        ..Options::default()
    })
    .await;
    let id = awaiting_payment(&server, "cart_once").await;

    reads.store(0, Ordering::SeqCst);
    let short = post_itn(&server, &id, &itn(&id, "p-short", "1348.99", PASSPHRASE)).await;
    assert_eq!(short.status(), StatusCode::OK);
    assert_eq!(short.json::<Value>().await.unwrap()["applied"], false);
    assert_eq!(reads.load(Ordering::SeqCst), 1, "the wrong amount read the order once");

    reads.store(0, Ordering::SeqCst);
    let paid = post_itn(&server, &id, &itn(&id, "p-full", "1349.00", PASSPHRASE)).await;
    assert_eq!(paid.status(), StatusCode::OK);
    assert_eq!(reads.load(Ordering::SeqCst), 1, "the payment read the order once");
    assert_eq!(server.order(&id).await["payment"]["paymentId"], "p-full");
}
