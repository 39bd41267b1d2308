//! The happy paths and the rules visible through them.

use chrono::TimeDelta;
use order_app::{AppError, CreateOrderRequest, Principal, Service, StatusChange};
use order_domain::{CartId, Email, OrderError, OrderStatus, PaymentId, Reason, TenantStatus, UnappliedReason};
use order_ports::{DocumentKey, DocumentKind, DocumentStore, ListQuery, TenantDirectory};

use crate::*;

#[tokio::test]
async fn a_tenant_order_is_recorded_invoiced_and_announced() {
    let stack = stack();
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;

    let order = stack.app.get(&customer("tenant_acme"), id).await.unwrap();
    assert_eq!(order.status(), OrderStatus::Pending);
    assert_eq!(order.totals().total.to_string(), "ZAR 1349.00");
    assert_eq!(stack.carts.is_inactive(order.cart_id()), Some(true), "the cart is marked inactive");

    // Invoiced on payment (the default policy): a pro forma now, no tax invoice yet.
    let key = DocumentKey { tenant_id: tenant("tenant_acme"), order_id: id, kind: DocumentKind::ProForma };
    let pdf = stack.documents.get(&key).await.unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a real PDF");
    assert!(pdf_text(&pdf).contains("This is not a tax invoice"));
    assert_eq!(stack.documents.content_type(&key).as_deref(), Some("application/pdf"));
    let invoice = DocumentKey { kind: DocumentKind::TaxInvoice, ..key };
    assert!(stack.documents.get(&invoice).await.is_err(), "no tax invoice before payment");

    let sent = stack.mailbox.sent();
    let to: Vec<_> = sent.iter().map(|s| s.email.to[0].to_string()).collect();
    assert_eq!(sent.len(), 2, "{to:?}");
    assert!(to.contains(&"thandi@example.co.za".to_owned()), "customer confirmation");
    assert!(to.contains(&"orders@bbws.example".to_owned()), "internal notification");
}

#[tokio::test]
async fn a_guest_order_creates_an_unvalidated_tenant_and_reuses_it() {
    let stack = stack();
    let first = stack
        .app
        .create_guest(&Principal::Guest, guest_request(&stack, "cart_g1", "Guest@Example.com"), None)
        .await
        .unwrap();
    let second = stack
        .app
        .create_guest(&Principal::Guest, guest_request(&stack, "cart_g2", "guest@example.com"), None)
        .await
        .unwrap();
    stack.drain().await.unwrap();

    let email = Email::parse("guest@example.com").unwrap();
    let tenant = stack.tenants.find_by_email(&email).await.unwrap().expect("a tenant was created");
    assert_eq!(tenant.status, TenantStatus::Unvalidated);
    assert_eq!(stack.tenants.len(), 1, "one tenant for one email");
    for id in [first.order_id, second.order_id] {
        let order = stack.app.get(&Principal::Customer { tenant_id: tenant.id.clone() }, id).await.unwrap();
        assert_eq!(order.tenant_id(), Some(&tenant.id));
        let key = DocumentKey { tenant_id: tenant.id.clone(), order_id: id, kind: DocumentKind::ProForma };
        assert!(stack.documents.get(&key).await.is_ok(), "the pro forma is filed under the resolved tenant");
    }
}

#[tokio::test]
async fn equivalent_spellings_of_a_guest_email_are_one_tenant() {
    let stack = stack();
    let people = [
        ("zo\u{eb}@example.co.za", [("cart_z1", "zo\u{eb}@example.co.za"), ("cart_z2", "ZOE\u{308}@Example.co.za")]),
        (
            "someone@b\u{fc}cher.co.za",
            [("cart_b1", "someone@b\u{fc}cher.co.za"), ("cart_b2", "someone@xn--bcher-kva.co.za")],
        ),
    ];
    let mut orders = Vec::new();
    for (person, spellings) in &people {
        for (cart, spelling) in spellings {
            let request = guest_request(&stack, cart, spelling);
            orders.push((*person, stack.app.create_guest(&Principal::Guest, request, None).await.unwrap().order_id));
        }
    }
    stack.drain().await.unwrap();

    assert_eq!(stack.tenants.len(), 2, "one tenant per person, however the address was spelled");
    for (person, id) in orders {
        let tenant = stack.tenants.find_by_email(&Email::parse(person).unwrap()).await.unwrap().unwrap();
        let order = stack.app.get(&Principal::Customer { tenant_id: tenant.id.clone() }, id).await.unwrap();
        assert_eq!(order.tenant_id(), Some(&tenant.id), "{person}");
        assert_eq!(order.customer_email().as_str(), person);
    }
}

#[tokio::test]
async fn a_retry_that_spells_the_email_differently_is_the_same_request() {
    let stack = stack();
    let first = guest_request(&stack, "cart_s", "zo\u{eb}@b\u{fc}cher.co.za");
    let first = stack.app.create_guest(&Principal::Guest, first, Some("k-zoe")).await.unwrap();
    let again = guest_request(&stack, "cart_s", "Zoe\u{308}@xn--bcher-kva.co.za");
    let again = stack.app.create_guest(&Principal::Guest, again, Some("k-zoe")).await.unwrap();
    assert!(again.replayed, "a replay, not a different request");
    assert_eq!(again.order_id, first.order_id);
}

#[tokio::test]
async fn a_retried_create_yields_one_order() {
    let stack = stack();
    let principal = customer("tenant_acme");
    let tenant_id = tenant("tenant_acme");
    let first = stack
        .app
        .create_for_tenant(&principal, &tenant_id, request(&stack, "cart_r", "a@b.co"), Some("k1"))
        .await
        .unwrap();
    let again = stack
        .app
        .create_for_tenant(&principal, &tenant_id, request(&stack, "cart_r", "a@b.co"), Some("k1"))
        .await
        .unwrap();
    let no_key =
        stack.app.create_for_tenant(&principal, &tenant_id, request(&stack, "cart_r", "a@b.co"), None).await.unwrap();
    assert!(!first.replayed && again.replayed && no_key.replayed);
    assert_eq!((again.order_id, no_key.order_id), (first.order_id, first.order_id));
    stack.drain().await.unwrap();
    // After recording, the cart is inactive: a late retry still gets the same order.
    let late = stack.app.create_for_tenant(&principal, &tenant_id, request_again(&stack), Some("k1")).await.unwrap();
    assert_eq!(late.order_id, first.order_id);
    assert_eq!(stack.store.order_count(), 1);

    let mut different = request(&stack, "cart_r", "a@b.co");
    different.customer_email = Email::parse("other@b.co").unwrap();
    let reused = stack.app.create_for_tenant(&principal, &tenant_id, different, Some("k1")).await.unwrap_err();
    assert!(matches!(reused, AppError::IdempotencyKeyReused), "{reused}");
}

/// The same request as `request(.., "cart_r", "a@b.co")` without re-seeding the cart.
fn request_again(stack: &InMemoryStack) -> CreateOrderRequest {
    let mut r = request(stack, "cart_unused", "a@b.co");
    r.cart_id = CartId::parse("cart_r").unwrap();
    r
}

#[tokio::test]
async fn other_tenants_orders_are_not_found() {
    let stack = stack();
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;
    let intruder = customer("tenant_other");
    assert!(matches!(stack.app.get(&intruder, id).await, Err(AppError::NotFound)));
    assert!(matches!(stack.app.update(&intruder, id, StatusChange::Cancel(None), None).await, Err(AppError::NotFound)));
    assert!(matches!(
        stack.app.list(&intruder, &tenant("tenant_acme"), &ListQuery::first(10)).await,
        Err(AppError::NotFound)
    ));
    let own = stack.app.list(&customer("tenant_acme"), &tenant("tenant_acme"), &ListQuery::first(10)).await.unwrap();
    assert_eq!(own.orders.len(), 1);
    assert!(stack.app.list(&Principal::Staff, &tenant("tenant_acme"), &ListQuery::first(10)).await.is_ok());
}

/// Money that was taken is never lost track of: every verified payment the order does not take
/// is held as money to return, staff are told once per payment, the status stays, and the
/// refund can be recorded.
#[tokio::test]
async fn every_payment_the_order_does_not_take_is_held_for_refund_and_staff_are_told_once() {
    let stack = stack();
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;
    for (payment_id, amount) in [("pf_short", "1348.99"), ("pf_over", "1349.01")] {
        let after = stack.app.confirm_payment(&payment_service(), id, payment(payment_id, amount)).await.unwrap();
        assert_eq!(after.status(), OrderStatus::Pending, "a wrong amount does not pay the order");
    }
    let paid = stack.app.confirm_payment(&payment_service(), id, payment("pf_1", "1349.00")).await.unwrap();
    assert_eq!(paid.status(), OrderStatus::Paid);
    let double = stack.app.confirm_payment(&payment_service(), id, payment("pf_2", "1349.00")).await.unwrap();
    assert_eq!(double.status(), OrderStatus::Paid);
    // Retried notifications change nothing.
    let again = stack.app.confirm_payment(&payment_service(), id, payment("pf_2", "1349.00")).await.unwrap();
    assert_eq!(again.version(), double.version());
    let reasons: Vec<_> =
        again.unapplied_payments().iter().map(|u| (u.payment.payment_id.to_string(), u.reason)).collect();
    assert_eq!(
        reasons,
        [
            ("pf_short".to_owned(), UnappliedReason::AmountMismatch),
            ("pf_over".to_owned(), UnappliedReason::AmountMismatch),
            ("pf_2".to_owned(), UnappliedReason::AlreadyPaid)
        ]
    );
    assert_eq!(again.payment().unwrap().payment_id.as_str(), "pf_1");
    stack.drain().await.unwrap();
    stack.drain().await.unwrap();
    let staff = stack.mailbox.sent_to(&Email::parse("orders@bbws.example").unwrap());
    let subjects: Vec<_> = staff.iter().map(|m| m.email.subject.to_string()).collect();
    assert_eq!(staff.len(), 4, "new order, then one email per unapplied payment: {subjects:?}");
    for (mail, payment_id) in staff[1..].iter().zip(["pf_short", "pf_over", "pf_2"]) {
        assert!(
            mail.email.text.contains(payment_id) && mail.email.text.contains("REFUND NEEDED"),
            "{}",
            mail.email.text
        );
    }

    // Closing the loop: staff record each refund once; the order's status never moves.
    let refunded = stack
        .app
        .refund_payment(
            &Principal::Staff,
            id,
            PaymentId::parse("pf_2").unwrap(),
            Some(Reason::parse("EFT 4411").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(refunded.status(), OrderStatus::Paid);
    assert_eq!(refunded.refunds_due().count(), 2);
    let repeat =
        stack.app.refund_payment(&payment_service(), id, PaymentId::parse("pf_2").unwrap(), None).await.unwrap();
    assert_eq!(repeat.version(), refunded.version());
    let unknown = stack.app.refund_payment(&Principal::Staff, id, PaymentId::parse("pf_1").unwrap(), None).await;
    assert!(matches!(unknown, Err(AppError::Rejected(OrderError::UnknownPayment(_)))), "{unknown:?}");
    let by_customer =
        stack.app.refund_payment(&customer("tenant_acme"), id, PaymentId::parse("pf_short").unwrap(), None).await;
    assert!(matches!(by_customer, Err(AppError::Rejected(OrderError::NotPermitted { .. }))), "{by_customer:?}");
}

#[tokio::test]
async fn paying_then_processing_issues_a_receipt_and_status_emails() {
    let stack = stack();
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;
    let paid = stack.app.confirm_payment(&payment_service(), id, payment("pf_1", "1349.00")).await.unwrap();
    assert_eq!(paid.status(), OrderStatus::Paid);
    let again = stack.app.confirm_payment(&payment_service(), id, payment("pf_1", "1349.00")).await.unwrap();
    assert_eq!(again.version(), paid.version(), "the same payment twice is a no-op");
    stack
        .app
        .update(&Principal::Service(Service::Provisioning), id, StatusChange::StartProcessing, None)
        .await
        .unwrap();
    stack.app.update(&Principal::Staff, id, StatusChange::Complete, None).await.unwrap();
    stack.drain().await.unwrap();

    let receipt = DocumentKey { tenant_id: tenant("tenant_acme"), order_id: id, kind: DocumentKind::Receipt };
    assert!(stack.documents.get(&receipt).await.unwrap().starts_with(b"%PDF"));
    let customer_mail = stack.mailbox.sent_to(&Email::parse("thandi@example.co.za").unwrap());
    // Confirmation, then PAID, PROCESSING and COMPLETED updates.
    assert_eq!(
        customer_mail.len(),
        4,
        "{:?}",
        customer_mail.iter().map(|m| m.email.subject.to_string()).collect::<Vec<_>>()
    );
    let order = stack.app.get(&customer("tenant_acme"), id).await.unwrap();
    let path: Vec<_> = order.history().iter().map(|c| c.to).collect();
    assert_eq!(path, [OrderStatus::PaymentPending, OrderStatus::Paid, OrderStatus::Processing, OrderStatus::Completed]);
}

#[tokio::test]
async fn a_payment_for_a_cancelled_order_is_recorded_and_staff_are_told() {
    let stack = stack();
    let id = recorded_order(&stack, "tenant_acme", "cart_1").await;
    stack.app.update(&customer("tenant_acme"), id, StatusChange::Cancel(None), None).await.unwrap();
    let after = stack.app.confirm_payment(&payment_service(), id, payment("pf_late", "1349.00")).await.unwrap();
    assert_eq!(after.status(), OrderStatus::Cancelled);
    assert_eq!(after.unapplied_payments().len(), 1);
    assert_eq!(after.unapplied_payments()[0].reason, UnappliedReason::OrderClosed);
    stack.drain().await.unwrap();
    let staff = stack.mailbox.sent_to(&Email::parse("orders@bbws.example").unwrap());
    assert_eq!(staff.len(), 2, "new order, then the late payment");
    let late = &staff[1].email;
    assert!(late.text.contains("pf_late"), "the staff email names the payment: {}", late.text);

    // A refund of the order itself is not possible (it was never paid); the late payment's is.
    let refund = stack.app.update(&Principal::Staff, id, StatusChange::Refund(None), None).await;
    assert!(matches!(refund, Err(AppError::Rejected(OrderError::IllegalTransition { .. }))), "{refund:?}");
    let recorded =
        stack.app.refund_payment(&Principal::Staff, id, PaymentId::parse("pf_late").unwrap(), None).await.unwrap();
    assert_eq!((recorded.status(), recorded.refunds_due().count()), (OrderStatus::Cancelled, 0));
}

#[tokio::test]
async fn the_expiry_sweep_respects_its_boundaries() {
    let stack = stack();
    let pending = recorded_order(&stack, "tenant_acme", "cart_p").await;
    let waiting = recorded_order(&stack, "tenant_acme", "cart_w").await;
    stack.clock.advance(TimeDelta::hours(1));
    stack.app.update(&customer("tenant_acme"), waiting, StatusChange::RequestPayment, None).await.unwrap();

    // PAYMENT_PENDING for 2 h counts from the request (start + 1 h): not due at start + 3 h − 1 ms.
    stack.clock.set(start() + TimeDelta::hours(3) - TimeDelta::milliseconds(1));
    assert_eq!(stack.app.expire_stale(100).await.unwrap().cancelled, 0);
    stack.clock.set(start() + TimeDelta::hours(3));
    assert_eq!(stack.app.expire_stale(100).await.unwrap().cancelled, 1);

    // PENDING for 24 h counts from creation.
    stack.clock.set(start() + TimeDelta::hours(24) - TimeDelta::milliseconds(1));
    assert_eq!(stack.app.expire_stale(100).await.unwrap().expired, 0);
    stack.clock.set(start() + TimeDelta::hours(24));
    let report = stack.app.expire_stale(100).await.unwrap();
    assert_eq!((report.expired, report.cancelled), (1, 0));

    let get = |id| stack.app.get(&Principal::Staff, id);
    assert_eq!(get(pending).await.unwrap().status(), OrderStatus::Expired);
    let cancelled = get(waiting).await.unwrap();
    assert_eq!(cancelled.status(), OrderStatus::Cancelled);
    assert!(cancelled.history().last().unwrap().reason.is_some(), "cancelled with a reason");
    assert_eq!(stack.app.expire_stale(100).await.unwrap(), order_app::SweepReport::default(), "nothing left");
}

#[tokio::test]
async fn idempotency_keys_are_their_callers_in_the_application_too() {
    let stack = stack();
    // Two guests, one key, two carts: two orders (neither blocked nor replayed).
    let first = stack.app.create_guest(&Principal::Guest, guest_request(&stack, "cart_ga", "a@example.com"), Some("k"));
    let first = first.await.unwrap();
    let second =
        stack.app.create_guest(&Principal::Guest, guest_request(&stack, "cart_gb", "b@example.com"), Some("k"));
    let second = second.await.unwrap();
    assert!(!second.replayed);
    assert_ne!(first.order_id, second.order_id);

    // Staff are one caller across tenants: the same key for another tenant's cart is reused,
    // never answered as that cart's absence.
    let acme = request_of(&stack, Some("tenant_acme"), "cart_sa", "a@acme.co.za");
    stack.app.create_for_tenant(&Principal::Staff, &tenant("tenant_acme"), acme, Some("staff-k")).await.unwrap();
    let other = request_of(&stack, Some("tenant_other"), "cart_so", "b@other.co.za");
    let reused = stack.app.create_for_tenant(&Principal::Staff, &tenant("tenant_other"), other, Some("staff-k")).await;
    assert!(matches!(reused, Err(AppError::IdempotencyKeyReused)), "{reused:?}");

    // Another tenant's customer replaying the first tenant's key and body learns nothing.
    let replay = request_of(&stack, Some("tenant_acme"), "cart_sa", "a@acme.co.za");
    let (intruder, its_tenant) = (customer("tenant_other"), tenant("tenant_other"));
    let answer = stack.app.create_for_tenant(&intruder, &its_tenant, replay, Some("staff-k")).await;
    assert!(matches!(answer, Err(AppError::CartNotFound)), "{answer:?}");
}
