//! The aggregate's rules, one given/when/then at a time.

use super::*;
use crate::testing::{new_order, now, pending_order, zar};
use crate::{Campaign, Discount, Percentage};
use rust_decimal::Decimal;

use ActorKind::{CartService, Customer, Guest, PaymentService, ProvisioningService, Staff, System};
use OrderStatus::{Cancelled, Completed, Expired, Paid, PaymentPending, Pending, Processing, Refunded};

fn later(minutes: i64) -> DateTime<Utc> {
    now() + TimeDelta::minutes(minutes)
}

fn payment(id: &str, amount: &str) -> Payment {
    Payment {
        payment_id: PaymentId::parse(id).unwrap(),
        amount: zar(amount),
        method: PaymentMethod::Payfast,
        paid_at: now(),
    }
}

/// An order taken to `status` along the usual path.
fn given(status: OrderStatus) -> Order {
    let (mut order, _) = pending_order();
    let total = order.totals().total.amount().to_string();
    let mut go = |command: Command, actor| order.execute(command, actor, later(1)).unwrap();
    match status {
        Pending => {}
        PaymentPending => {
            go(Command::RequestPayment, Customer);
        }
        Paid | Processing | Completed | Refunded => {
            go(Command::RequestPayment, Customer);
            go(Command::ConfirmPayment(payment("pf_1", &total)), PaymentService);
            if matches!(status, Processing | Completed) {
                go(Command::StartProcessing, ProvisioningService);
            }
            if status == Completed {
                go(Command::Complete, ProvisioningService);
            }
            if status == Refunded {
                go(Command::Refund(None), Staff);
            }
        }
        Cancelled => {
            go(Command::Cancel(None), Customer);
        }
        Expired => {
            go(Command::Expire, System);
        }
    }
    assert_eq!(order.status(), status);
    order
}

fn status_changed(events: &[OrderEvent]) -> &OrderStatusChanged {
    match events {
        [OrderEvent::OrderStatusChanged(e)] => e,
        other => panic!("expected one status change, got {other:?}"),
    }
}

#[test]
fn create_prices_the_cart_and_starts_pending_at_version_one() {
    let (order, event) = Order::create(new_order(), &PricingRules::south_africa(), Customer, now()).unwrap();
    assert_eq!(order.status(), Pending);
    assert_eq!(order.version(), 1);
    assert!(order.history().is_empty());
    assert_eq!(order.totals().subtotal, zar("1349.00"));
    assert_eq!(order.totals().vat, zar("175.96"));
    assert_eq!(event, order.created_event());
    assert_eq!(Order::from_created(&event), order);
}

#[test]
fn create_applies_a_campaign() {
    let mut new = new_order();
    let code = CampaignCode::parse("SUMMER2025").unwrap();
    new.campaign_code = Some(code.clone());
    new.campaign = Some(Campaign {
        code,
        discount: Discount::Percentage(Percentage::new(Decimal::TEN).unwrap()),
        valid_from: None,
        valid_until: None,
    });
    let (order, _) = Order::create(new, &PricingRules::south_africa(), Customer, now()).unwrap();
    assert_eq!(order.totals().discount, zar("134.90"));
    assert_eq!(order.totals().total, zar("1214.10"));
    assert_eq!(order.totals().vat, zar("158.36")); // 158.3608…
}

#[test]
fn create_refuses_unknown_or_mismatched_campaigns() {
    let mut new = new_order();
    new.campaign_code = Some(CampaignCode::parse("NOPE").unwrap());
    assert!(matches!(
        Order::create(new.clone(), &PricingRules::default(), Customer, now()),
        Err(OrderError::UnknownCampaign(_))
    ));
    new.campaign = Some(Campaign {
        code: CampaignCode::parse("OTHER").unwrap(),
        discount: Discount::FixedAmount(zar("1")),
        valid_from: None,
        valid_until: None,
    });
    assert!(matches!(
        Order::create(new, &PricingRules::default(), Customer, now()),
        Err(OrderError::Pricing(PricingError::CampaignCodeMismatch { .. }))
    ));
}

#[test]
fn who_may_create_what() {
    let rules = PricingRules::default();
    let tenant_order = new_order();
    let mut guest_order = new_order();
    guest_order.tenant_id = None;
    for actor in [Customer, Staff, CartService] {
        assert!(Order::create(tenant_order.clone(), &rules, actor, now()).is_ok(), "{actor} creates for a tenant");
    }
    for actor in [Guest, CartService] {
        assert!(Order::create(guest_order.clone(), &rules, actor, now()).is_ok(), "{actor} creates a guest order");
    }
    assert!(matches!(Order::create(tenant_order.clone(), &rules, Guest, now()), Err(OrderError::TenantRule(_))));
    assert!(matches!(Order::create(guest_order, &rules, Customer, now()), Err(OrderError::TenantRule(_))));
    for actor in [PaymentService, ProvisioningService, System] {
        assert_eq!(
            Order::create(tenant_order.clone(), &rules, actor, now()),
            Err(OrderError::CreateNotPermitted { actor })
        );
    }
}

#[test]
fn the_happy_path_records_every_edge() {
    let mut order = given(Pending);
    order.request_payment(Customer, later(1)).unwrap();
    order.confirm_payment(payment("pf_1", "1349.00"), PaymentService, later(2)).unwrap();
    order.start_processing(ProvisioningService, later(3)).unwrap();
    let events = order.complete(Staff, later(4)).unwrap();
    assert_eq!(order.status(), Completed);
    assert_eq!(order.version(), 5);
    assert_eq!(order.updated_at(), later(4));
    let edges: Vec<_> = order.history().iter().map(|c| (c.from, c.to, c.actor)).collect();
    assert_eq!(
        edges,
        [
            (Pending, PaymentPending, Customer),
            (PaymentPending, Paid, PaymentService),
            (Paid, Processing, ProvisioningService),
            (Processing, Completed, Staff),
        ]
    );
    let event = status_changed(&events);
    assert_eq!((event.from, event.to, event.version, event.actor), (Processing, Completed, 5, Staff));
    assert_eq!(event.order, order);
}

#[test]
fn payment_for_a_pending_order_records_both_edges_in_one_version() {
    let mut order = given(Pending);
    let events = order.confirm_payment(payment("pf_1", "1349.00"), PaymentService, later(5)).unwrap();
    assert_eq!(order.status(), Paid);
    assert_eq!(order.version(), 2);
    let edges: Vec<_> = order.history().iter().map(|c| (c.from, c.to)).collect();
    assert_eq!(edges, [(Pending, PaymentPending), (PaymentPending, Paid)]);
    let event = status_changed(&events);
    assert_eq!((event.from, event.to), (Pending, Paid));
    assert_eq!(order.payment().unwrap().payment_id.as_str(), "pf_1");
}

#[test]
fn the_same_payment_twice_is_a_no_op() {
    for status in [Paid, Processing, Completed, Refunded] {
        let mut order = given(status);
        let before = order.clone();
        let events = order.confirm_payment(payment("pf_1", "1349.00"), PaymentService, later(9)).unwrap();
        assert!(events.is_empty());
        assert_eq!(order, before, "{status}");
    }
}

/// Every verified payment the order does not take is held as money to return, once, with its
/// reason; the status stays where it was.
#[test]
fn a_payment_the_order_does_not_take_is_recorded_as_money_to_return() {
    let cases = [
        (Paid, "1349.00", UnappliedReason::AlreadyPaid),
        (Processing, "1349.00", UnappliedReason::AlreadyPaid),
        (Completed, "1349.00", UnappliedReason::AlreadyPaid),
        (Refunded, "1349.00", UnappliedReason::AlreadyPaid),
        (Cancelled, "1349.00", UnappliedReason::OrderClosed),
        (Expired, "1349.00", UnappliedReason::OrderClosed),
        (Pending, "1348.99", UnappliedReason::AmountMismatch),
        (PaymentPending, "1349.01", UnappliedReason::AmountMismatch),
        (PaymentPending, "0", UnappliedReason::AmountMismatch),
    ];
    for (status, amount, reason) in cases {
        let mut order = given(status);
        let before = order.clone();
        let events = order.confirm_payment(payment("pf_9", amount), PaymentService, later(30)).unwrap();
        assert_eq!(order.status(), status, "{status} {amount}");
        assert_eq!(order.version(), before.version() + 1);
        assert_eq!(order.payment(), before.payment(), "the applied payment is untouched");
        assert_eq!(order.history(), before.history());
        let [unapplied] = order.unapplied_payments() else { panic!("one unapplied payment") };
        assert_eq!((unapplied.payment.payment_id.as_str(), unapplied.reason), ("pf_9", reason));
        assert!(unapplied.refund_due());
        assert!(matches!(&events[..], [OrderEvent::UnappliedPaymentReceived(e)]
                if e.status == status && e.reason == reason && e.payment.payment_id.as_str() == "pf_9" && e.order == order));
        // The same payment again is recognised.
        let again = order.clone();
        assert!(order.confirm_payment(payment("pf_9", amount), PaymentService, later(31)).unwrap().is_empty());
        assert_eq!(order, again);
    }
}

#[test]
fn a_recorded_refund_closes_the_money_owed_once() {
    let mut order = given(Cancelled);
    order.confirm_payment(payment("pf_9", "1349.00"), PaymentService, later(30)).unwrap();
    let reference = Reason::parse("PayFast refund 77").unwrap();
    let events =
        order.refund_payment(PaymentId::parse("pf_9").unwrap(), Some(reference.clone()), Staff, later(40)).unwrap();
    assert!(matches!(&events[..], [OrderEvent::UnappliedPaymentRefunded(e)] if e.payment_id.as_str() == "pf_9"));
    assert_eq!(order.status(), Cancelled);
    assert_eq!(order.refunds_due().count(), 0);
    let refund = order.unapplied_payments()[0].refund.clone().unwrap();
    assert_eq!((refund.at, refund.actor, refund.reference), (later(40), Staff, Some(reference)));
    // Again: a no-op, whoever records it.
    let version = order.version();
    assert!(
        order.refund_payment(PaymentId::parse("pf_9").unwrap(), None, PaymentService, later(41)).unwrap().is_empty()
    );
    assert_eq!(order.version(), version);
    // A payment the order does not hold as unapplied.
    assert_eq!(
        order.refund_payment(PaymentId::parse("pf_1").unwrap(), None, Staff, later(42)),
        Err(OrderError::UnknownPayment(PaymentId::parse("pf_1").unwrap()))
    );
    // Customers do not record refunds.
    assert!(matches!(
        order.refund_payment(PaymentId::parse("pf_9").unwrap(), None, Customer, later(43)),
        Err(OrderError::NotPermitted { .. })
    ));
}

#[test]
fn orders_stored_with_late_payments_read_as_unapplied_payments() {
    let mut order = given(Cancelled);
    order.confirm_payment(payment("pf_9", "1349.00"), PaymentService, later(30)).unwrap();
    let mut json = serde_json::to_value(&order).unwrap();
    let late = serde_json::to_value(&order.unapplied_payments()[0].payment).unwrap();
    let object = json.as_object_mut().unwrap();
    object.remove("unappliedPayments");
    object.insert("latePayments".into(), serde_json::json!([late]));
    let read: Order = serde_json::from_value(json).unwrap();
    let [unapplied] = read.unapplied_payments() else { panic!("one") };
    assert_eq!(unapplied.reason, UnappliedReason::OrderClosed);
    assert_eq!(unapplied.payment, order.unapplied_payments()[0].payment);
}

#[test]
fn only_the_payment_service_confirms_payments() {
    for actor in [Customer, Guest, Staff, ProvisioningService, CartService, System] {
        let mut order = given(PaymentPending);
        let result = order.confirm_payment(payment("pf_1", "1349.00"), actor, later(9));
        assert_eq!(
            result,
            Err(OrderError::NotPermitted { actor, command: CommandKind::ConfirmPayment, status: PaymentPending })
        );
    }
}

#[test]
fn cancellation_rules() {
    assert!(given(Pending).cancel(None, Customer, later(5)).is_ok());
    assert!(given(Pending).cancel(None, Staff, later(5)).is_ok());
    assert!(matches!(given(Pending).cancel(None, System, later(5)), Err(OrderError::NotPermitted { .. })));
    assert!(given(PaymentPending).cancel(None, System, later(5)).is_ok());
    for status in [Paid, Processing, Completed, Expired, Refunded] {
        assert!(
            matches!(given(status).cancel(None, Staff, later(5)), Err(OrderError::IllegalTransition { .. })),
            "{status}"
        );
    }
    let mut order = given(Cancelled);
    assert_eq!(order.cancel(None, Customer, later(5)), Ok(vec![]));
    assert_eq!(order.version(), 2);
}

#[test]
fn reasons_are_kept_in_history() {
    let mut order = given(Pending);
    let reason = Reason::parse("Ordered the wrong plan").unwrap();
    let events = order.cancel(Some(reason.clone()), Customer, later(5)).unwrap();
    assert_eq!(order.history()[0].reason.as_ref(), Some(&reason));
    assert_eq!(status_changed(&events).reason.as_ref(), Some(&reason));
}

#[test]
fn guest_tenant_is_assigned_once() {
    let mut new = new_order();
    new.tenant_id = None;
    let (mut order, _) = Order::create(new, &PricingRules::default(), Guest, now()).unwrap();
    let t1 = TenantId::parse("tenant_1").unwrap();
    order.assign_guest_tenant(t1.clone()).unwrap();
    order.assign_guest_tenant(t1.clone()).unwrap();
    assert_eq!(order.tenant_id(), Some(&t1));
    assert_eq!(order.version(), 1);
    assert!(matches!(
        order.assign_guest_tenant(TenantId::parse("tenant_2").unwrap()),
        Err(OrderError::TenantAlreadyResolved { .. })
    ));
}

#[test]
fn expiry_is_due_at_the_configured_age() {
    let policy = ExpiryPolicy { pending_after: TimeDelta::hours(24), payment_pending_after: TimeDelta::hours(2) };
    let order = given(Pending);
    let just_before = now() + TimeDelta::hours(24) - TimeDelta::milliseconds(1);
    assert_eq!(order.expiry_due(just_before, &policy), None);
    assert_eq!(order.expiry_due(now() + TimeDelta::hours(24), &policy), Some(Command::Expire));

    // PAYMENT_PENDING counts from when payment was requested (later(1)), not from creation.
    let order = given(PaymentPending);
    assert_eq!(order.expiry_due(now() + TimeDelta::hours(2), &policy), None);
    assert!(matches!(order.expiry_due(later(1) + TimeDelta::hours(2), &policy), Some(Command::Cancel(Some(_)))));

    for status in [Paid, Processing, Completed, Cancelled, Expired, Refunded] {
        assert_eq!(given(status).expiry_due(now() + TimeDelta::days(365), &policy), None, "{status}");
    }
}

#[test]
fn records_round_trip_and_refuse_broken_invariants() {
    let order = given(Processing);
    let record = OrderRecord::from(order.clone());
    assert_eq!(Order::try_from(record.clone()).unwrap(), order);
    let json = serde_json::to_string(&order).unwrap();
    assert_eq!(serde_json::from_str::<Order>(&json).unwrap(), order);

    let mut broken = record.clone();
    broken.status = Completed;
    assert!(matches!(Order::try_from(broken), Err(OrderError::Inconsistent(_))));
    let mut broken = record.clone();
    broken.payment = None;
    assert!(matches!(Order::try_from(broken), Err(OrderError::Inconsistent(_))));
    let mut broken = record.clone();
    broken.totals.total = zar("1.00");
    assert!(matches!(Order::try_from(broken), Err(OrderError::Inconsistent(_))));
    let mut broken = record;
    broken.version = 0;
    assert!(matches!(Order::try_from(broken), Err(OrderError::Inconsistent(_))));
}
