//! Event contracts: the HLD's field names, round trips, and validation on the way in.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use chrono::{TimeDelta, TimeZone, Utc};
use order_domain::testing::{address, line, now, pending_order, zar};
use order_domain::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

const GOLDEN_ORDER_CREATED: &str = include_str!("golden/order_created.json");

/// The golden sample's event: a guest order with a campaign.
fn golden_event() -> EventEnvelope {
    let mut new = testing::new_order();
    new.tenant_id = None;
    new.id = OrderId::parse("order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A").unwrap();
    new.cart = CartSnapshot::new(
        CartId::parse("cart_zzz").unwrap(),
        CartOwner::of_order(new.tenant_id.as_ref()),
        vec![line("HOSTING-PRO", "575.00", 2)],
    )
    .unwrap();
    let code = CampaignCode::parse("SUMMER2025").unwrap();
    new.campaign_code = Some(code.clone());
    new.campaign =
        Some(Campaign { code, discount: Discount::FixedAmount(zar("50.00")), valid_from: None, valid_until: None });
    new.customer_email = Email::parse("user@example.com").unwrap();
    new.billing_address = address();
    let (_, created) = Order::create(new, &PricingRules::south_africa(), ActorKind::Guest, now()).unwrap();
    EventEnvelope::new(
        Uuid::parse_str("6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f").unwrap(),
        Utc.with_ymd_and_hms(2026, 1, 6, 10, 30, 0).unwrap(),
        OrderEvent::OrderCreated(created),
    )
}

#[test]
fn order_created_matches_the_golden_sample() {
    let golden: Value = serde_json::from_str(GOLDEN_ORDER_CREATED).unwrap();
    let event = golden_event();
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        golden,
        "serialized:\n{}",
        serde_json::to_string_pretty(&event).unwrap()
    );
    assert_eq!(serde_json::from_str::<EventEnvelope>(GOLDEN_ORDER_CREATED).unwrap(), event);
}

#[test]
fn golden_sample_uses_the_hld_field_names() {
    let golden: Value = serde_json::from_str(GOLDEN_ORDER_CREATED).unwrap();
    for field in ["messageId", "timestamp", "eventType", "version", "payload"] {
        assert!(golden.get(field).is_some(), "envelope lacks {field}");
    }
    assert_eq!(golden["eventType"], "ORDER_CREATED");
    assert_eq!(golden["version"], "1.0");
    let payload = &golden["payload"];
    for field in [
        "orderId",
        "tenantId",
        "customerEmail",
        "cartId",
        "campaignCode",
        "billingAddress",
        "paymentMethod",
        "currency",
    ] {
        assert!(payload.get(field).is_some(), "payload lacks {field}");
    }
    assert_eq!(payload["tenantId"], Value::Null, "a guest order has a null tenantId");
    assert_eq!(payload["paymentMethod"], "payfast");
    assert_eq!(payload["currency"], "ZAR");
    for field in ["items", "totals", "createdAt"] {
        assert!(payload.get(field).is_some(), "snapshot lacks {field}");
    }
}

#[test]
fn envelopes_are_validated_on_the_way_in() {
    let golden: Value = serde_json::from_str(GOLDEN_ORDER_CREATED).unwrap();
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut value = golden.clone();
        edit(&mut value);
        serde_json::from_value::<EventEnvelope>(value)
    };
    assert!(with(&|v| v["version"] = "2.0".into()).is_err(), "unknown schema version");
    assert!(with(&|v| v["eventType"] = "ORDER_EXPLODED".into()).is_err(), "unknown event type");
    assert!(with(&|v| v["payload"]["customerEmail"] = "not-an-email".into()).is_err(), "invalid email");
    assert!(with(&|v| v["payload"]["orderId"] = "order_1".into()).is_err(), "invalid order id");
    assert!(with(&|v| v["payload"]["items"][0]["quantity"] = 0.into()).is_err(), "invalid quantity");
    assert!(with(&|v| v["payload"]["totals"]["total"]["amount"] = "1.00".into()).is_err(), "totals that do not add up");
    assert!(with(&|v| v["payload"]["totals"]["vat"]["amount"] = "0.00".into()).is_err(), "wrong VAT");
    assert!(with(&|v| v["payload"]["items"] = Value::Array(vec![])).is_err(), "no lines");
}

#[test]
fn an_event_carries_the_customer_email_in_its_canonical_form() {
    let mut value: Value = serde_json::from_str(GOLDEN_ORDER_CREATED).unwrap();
    value["payload"]["customerEmail"] = "ZOE\u{308}@xn--bcher-kva.co.za".into();
    let envelope: EventEnvelope = serde_json::from_value(value).unwrap();
    let OrderEvent::OrderCreated(created) = &envelope.event else { panic!("not ORDER_CREATED") };
    assert_eq!(created.customer_email, Email::parse("zo\u{eb}@b\u{fc}cher.co.za").unwrap());
    assert_eq!(serde_json::to_value(&envelope).unwrap()["payload"]["customerEmail"], "zo\u{eb}@b\u{fc}cher.co.za");
}

#[test]
fn the_correlation_id_is_optional_and_validated() {
    let golden: Value = serde_json::from_str(GOLDEN_ORDER_CREATED).unwrap();
    assert!(golden.get("correlationId").is_none(), "omitted when unknown");
    assert_eq!(serde_json::from_value::<EventEnvelope>(golden.clone()).unwrap().correlation_id, None);

    let id = CorrelationId::parse("req-7f3a9c").unwrap();
    let event = golden_event().with_correlation_id(Some(id.clone()));
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["correlationId"], "req-7f3a9c");
    let mut without = json.clone();
    without.as_object_mut().unwrap().remove("correlationId");
    assert_eq!(without, golden, "nothing else changes");
    assert_eq!(serde_json::from_value::<EventEnvelope>(json.clone()).unwrap().correlation_id, Some(id));

    for bad in ["", "has space", "tab\there", &"x".repeat(129)] {
        let mut value = json.clone();
        value["correlationId"] = bad.into();
        assert!(serde_json::from_value::<EventEnvelope>(value).is_err(), "{bad:?} is refused");
    }
}

#[test]
fn status_changed_carries_the_move_and_the_snapshot() {
    let (mut order, at) = pending_order();
    let events = order.cancel(Some(Reason::parse("changed my mind").unwrap()), ActorKind::Customer, at).unwrap();
    let envelope = EventEnvelope::new(Uuid::nil(), at, events[0].clone());
    let json = serde_json::to_value(&envelope).unwrap();
    assert_eq!(json["eventType"], "ORDER_STATUS_CHANGED");
    let payload = &json["payload"];
    assert_eq!(payload["from"], "PENDING");
    assert_eq!(payload["to"], "CANCELLED");
    assert_eq!(payload["version"], 2);
    assert_eq!(payload["actor"], "CUSTOMER");
    assert_eq!(payload["reason"], "changed my mind");
    assert_eq!(payload["order"]["status"], "CANCELLED");
    assert_eq!(serde_json::from_value::<EventEnvelope>(json).unwrap(), envelope);
}

fn any_command() -> impl Strategy<Value = (Command, ActorKind)> {
    let actor = prop::sample::select(vec![
        ActorKind::Customer,
        ActorKind::Staff,
        ActorKind::PaymentService,
        ActorKind::ProvisioningService,
        ActorKind::System,
    ]);
    let command = prop_oneof![
        Just(Command::RequestPayment),
        prop::sample::select(vec!["pf_1", "pf_2"]).prop_map(|id| Command::ConfirmPayment(Payment {
            payment_id: PaymentId::parse(id).unwrap(),
            amount: zar("1349.00"),
            method: PaymentMethod::Payfast,
            paid_at: now(),
        })),
        ".{0,40}".prop_map(|text| Command::Cancel(Reason::parse(text).ok())),
        Just(Command::Expire),
        Just(Command::StartProcessing),
        Just(Command::Complete),
        Just(Command::Refund(None)),
    ];
    (command, actor)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn every_event_round_trips_through_json(steps in prop::collection::vec(any_command(), 0..25), nanos in 0_i64..1_000_000_000) {
        let (mut order, start) = pending_order();
        let mut events = vec![OrderEvent::OrderCreated(order.created_event())];
        for (i, (command, actor)) in steps.into_iter().enumerate() {
            let at = start + TimeDelta::seconds(i64::try_from(i).unwrap()) + TimeDelta::nanoseconds(nanos);
            if let Ok(produced) = order.execute(command, actor, at) {
                events.extend(produced);
            }
        }
        for event in events {
            let envelope = EventEnvelope::new(Uuid::from_u128(u128::try_from(nanos).unwrap()), start, event);
            let json = serde_json::to_string(&envelope).unwrap();
            prop_assert_eq!(serde_json::from_str::<EventEnvelope>(&json).unwrap(), envelope);
        }
    }
}

/// Events published before unapplied payments had a reason (`LATE_PAYMENT_RECEIVED`, a bare
/// `latePayments` list in the order) still read: as an unapplied payment for a closed order.
#[test]
fn a_late_payment_event_of_the_earlier_contract_reads_as_an_unapplied_payment() {
    let (mut order, _) = pending_order();
    order.cancel(None, ActorKind::Customer, now()).unwrap();
    let payment = Payment {
        payment_id: PaymentId::parse("pf_late").unwrap(),
        amount: zar("1349.00"),
        method: PaymentMethod::Payfast,
        paid_at: now(),
    };
    let events = order.confirm_payment(payment.clone(), ActorKind::PaymentService, now()).unwrap();
    let envelope = EventEnvelope::new(Uuid::nil(), now(), events[0].clone());
    let mut wire = serde_json::to_value(&envelope).unwrap();
    assert_eq!(wire["eventType"], "UNAPPLIED_PAYMENT_RECEIVED");
    assert_eq!(wire["payload"]["reason"], "ORDER_CLOSED");
    wire["eventType"] = "LATE_PAYMENT_RECEIVED".into();
    let payload = wire["payload"].as_object_mut().unwrap();
    payload.remove("reason");
    let stored = payload["order"].as_object_mut().unwrap();
    stored.remove("unappliedPayments");
    stored.insert("latePayments".into(), serde_json::json!([serde_json::to_value(&payment).unwrap()]));

    let read: EventEnvelope = serde_json::from_value(wire).unwrap();
    let OrderEvent::UnappliedPaymentReceived(late) = read.event else { panic!("{:?}", read.event) };
    assert_eq!((late.reason, late.payment), (UnappliedReason::OrderClosed, payment.clone()));
    assert_eq!(late.order.unapplied_payments()[0].payment, payment);
}

/// `documentPolicy` joined `ORDER_CREATED` later: an event without it is an order of the time
/// before, invoiced at creation.
#[test]
fn an_order_created_event_without_a_document_policy_reads_as_invoiced_on_order() {
    let mut golden: Value = serde_json::from_str(GOLDEN_ORDER_CREATED).unwrap();
    assert_eq!(golden["payload"]["documentPolicy"], "INVOICE_ON_PAYMENT", "the default policy");
    golden["payload"].as_object_mut().unwrap().remove("documentPolicy");
    let read: EventEnvelope = serde_json::from_value(golden).unwrap();
    let OrderEvent::OrderCreated(created) = read.event else { panic!("{:?}", read.event) };
    assert_eq!(created.document_policy, DocumentPolicy::InvoiceOnOrder);
}

#[test]
fn the_trace_context_travels_beside_the_correlation_id_and_a_broken_one_reads_as_none() {
    let traceparent = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
    let event = golden_event().with_traceparent(Some(traceparent));
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    let mut without: Value = json.clone();
    without.as_object_mut().unwrap().remove("traceparent");
    assert_eq!(without, serde_json::from_str::<Value>(GOLDEN_ORDER_CREATED).unwrap(), "nothing else changes");
    assert_eq!(serde_json::from_value::<EventEnvelope>(json.clone()).unwrap(), event);

    for broken in
        [json!("00-not-a-trace"), json!(null), json!("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    {
        let mut sent = json.clone();
        sent["traceparent"] = broken.clone();
        let read: EventEnvelope = serde_json::from_value(sent).unwrap();
        assert_eq!(read.traceparent, None, "{broken}");
        assert_eq!(read.event, event.event);
    }
}
