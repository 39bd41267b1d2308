//! Tax documents an accountant can trust, as properties over random carts and random lives:
//! line amounts that add up, one tax invoice per supply, and a VAT ledger that balances.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use chrono::TimeDelta;
use order_domain::testing::{line, new_order, now};
use order_domain::*;
use proptest::prelude::*;

use ActorKind::{PaymentService, ProvisioningService, Staff, System};

/// A cart of 1 to 30 lines, R0.01 to R20,000.00 each, 1 to 50 of each.
fn cart() -> impl Strategy<Value = Vec<OrderLine>> {
    prop::collection::vec((1_i64..=2_000_000, 1_u32..=50), 1..=30).prop_map(|lines| {
        lines
            .into_iter()
            .enumerate()
            .map(|(i, (cents, quantity))| {
                let price = Money::from_minor_units(cents, Currency::ZAR).unwrap().amount().to_string();
                line(&format!("SKU-{i}"), &price, quantity)
            })
            .collect()
    })
}

/// No campaign, a percentage (0.01 % to 100 %) or a fixed amount (capped at the subtotal).
fn discount() -> impl Strategy<Value = Option<Discount>> {
    prop_oneof![
        Just(None),
        (1_i64..=10_000).prop_map(|basis_points| Some(Discount::Percentage(
            Percentage::new(rust_decimal::Decimal::new(basis_points, 2)).unwrap()
        ))),
        (1_i64..=50_000_000)
            .prop_map(|cents| Some(Discount::FixedAmount(Money::from_minor_units(cents, Currency::ZAR).unwrap()))),
    ]
}

fn order_with(lines: Vec<OrderLine>, discount: Option<Discount>, policy: DocumentPolicy) -> Order {
    let mut new = new_order();
    new.cart =
        CartSnapshot::new(CartId::parse("cart_prop").unwrap(), CartOwner::of_order(new.tenant_id.as_ref()), lines)
            .unwrap();
    new.document_policy = policy;
    if let Some(discount) = discount {
        let code = CampaignCode::parse("PROP").unwrap();
        new.campaign_code = Some(code.clone());
        new.campaign = Some(Campaign { code, discount, valid_from: None, valid_until: None });
    }
    Order::create(new, &PricingRules::south_africa(), ActorKind::Customer, now()).unwrap().0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Σ line values = total, Σ line discounts = discount, Σ line VAT = VAT; each line's VAT is
    /// within a cent of the VAT its own value includes.
    #[test]
    fn line_amounts_add_up_to_the_totals(lines in cart(), discount in discount()) {
        let order = order_with(lines, discount, DocumentPolicy::default());
        let totals = order.totals();
        let amounts = line_amounts(order.items(), totals);
        prop_assert_eq!(amounts.len(), order.items().len());
        let sum = |pick: fn(&LineAmounts) -> Money| amounts.iter().map(|a| pick(a).minor_units()).sum::<i128>();
        prop_assert_eq!(sum(|a| a.value), totals.total.minor_units());
        prop_assert_eq!(sum(|a| a.discount), totals.discount.minor_units());
        prop_assert_eq!(sum(|a| a.vat), totals.vat.minor_units());
        prop_assert_eq!(sum(|a| a.exclusive), totals.total.minor_units() - totals.vat.minor_units());
        for (a, item) in amounts.iter().zip(order.items()) {
            prop_assert_eq!(a.value.minor_units() + a.discount.minor_units(), item.line_total().minor_units());
            prop_assert!(a.value.minor_units() >= 0 && a.vat.minor_units() >= 0 && a.exclusive.minor_units() >= 0);
            let own = totals.vat_rate.included_in(a.value).minor_units();
            prop_assert!((a.vat.minor_units() - own).abs() <= 1, "line VAT {} against {}", a.vat, own);
        }
    }
}

/// One step of a random life: only commands someone may give, so lives get somewhere.
#[derive(Debug, Clone)]
enum Step {
    RequestPayment,
    Pay(&'static str, bool),
    Cancel,
    Expire,
    StartProcessing,
    Complete,
    Refund,
    RefundPayment(&'static str),
}

fn step() -> impl Strategy<Value = Step> {
    let id = prop::sample::select(vec!["pf_1", "pf_2"]);
    prop_oneof![
        1 => Just(Step::RequestPayment),
        3 => (id.clone(), prop::bool::weighted(0.8)).prop_map(|(id, exact)| Step::Pay(id, exact)),
        1 => Just(Step::Cancel),
        1 => Just(Step::Expire),
        1 => Just(Step::StartProcessing),
        1 => Just(Step::Complete),
        1 => Just(Step::Refund),
        1 => id.prop_map(Step::RefundPayment),
    ]
}

fn command(step: &Step, total: Money) -> (Command, ActorKind) {
    let payment = |id: &str, exact: bool| Payment {
        payment_id: PaymentId::parse(id).unwrap(),
        amount: if exact {
            total
        } else {
            total.checked_add(Money::from_minor_units(1, Currency::ZAR).unwrap()).unwrap()
        },
        method: PaymentMethod::Payfast,
        paid_at: now(),
    };
    match step {
        Step::RequestPayment => (Command::RequestPayment, ActorKind::Customer),
        Step::Pay(id, exact) => (Command::ConfirmPayment(payment(id, *exact)), PaymentService),
        Step::Cancel => (Command::Cancel(None), Staff),
        Step::Expire => (Command::Expire, System),
        Step::StartProcessing => (Command::StartProcessing, ProvisioningService),
        Step::Complete => (Command::Complete, ProvisioningService),
        Step::Refund => (Command::Refund(Some(Reason::parse("customer asked").unwrap())), Staff),
        Step::RefundPayment(id) => {
            (Command::RefundPayment { payment_id: PaymentId::parse(id).unwrap(), reference: None }, Staff)
        }
    }
}

fn vat_of(documents: &[DueDocument], kind: DocumentKind, vat: Money) -> i128 {
    let count = documents.iter().filter(|d| d.kind == kind).count();
    vat.minor_units() * i128::try_from(count).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// For each policy and every path of the state machine (late, double and mismatched payments
    /// and refunds included): VAT on tax invoices − VAT on credit notes = VAT on the
    /// consideration kept; never two tax invoices; never a credit note without the tax invoice
    /// it adjusts, issued before it; documents once issued stay issued.
    #[test]
    fn the_vat_ledger_balances_over_every_life(
        policy in prop::sample::select(vec![DocumentPolicy::InvoiceOnPayment, DocumentPolicy::InvoiceOnOrder]),
        lines in cart(),
        discount in discount(),
        steps in prop::collection::vec(step(), 0..25),
    ) {
        let mut order = order_with(lines, discount, policy);
        let vat = order.totals().vat;
        let total = order.totals().total;
        let mut before = order.documents();
        for (i, step) in steps.iter().enumerate() {
            let (command, actor) = command(step, total);
            let _ = order.execute(command, actor, now() + TimeDelta::minutes(i64::try_from(i).unwrap() + 1));
            let documents = order.documents();
            prop_assert!(documents.starts_with(&before), "documents are never rewritten: {:?} then {:?}", before, documents);
            before.clone_from(&documents);

            let invoices: Vec<_> = documents.iter().enumerate().filter(|(_, d)| d.kind == DocumentKind::TaxInvoice).collect();
            let credit_notes: Vec<_> = documents.iter().enumerate().filter(|(_, d)| d.kind == DocumentKind::CreditNote).collect();
            prop_assert!(invoices.len() <= 1, "two tax invoices: {:?}", documents);
            prop_assert!(credit_notes.len() <= invoices.len(), "a credit note without a tax invoice: {:?}", documents);
            if let (Some((credit, _)), Some((invoice, _))) = (credit_notes.first(), invoices.first()) {
                prop_assert!(credit > invoice);
            }

            let status = order.status();
            let kept = order.payment().is_some() && status != OrderStatus::Refunded;
            let receivable = policy == DocumentPolicy::InvoiceOnOrder
                && matches!(status, OrderStatus::Pending | OrderStatus::PaymentPending);
            let expected = if kept || receivable { vat.minor_units() } else { 0 };
            let ledger = vat_of(&documents, DocumentKind::TaxInvoice, vat) - vat_of(&documents, DocumentKind::CreditNote, vat);
            prop_assert_eq!(ledger, expected, "{} {:?}: {:?}", status, policy, documents);
            if policy == DocumentPolicy::InvoiceOnPayment {
                prop_assert_eq!(documents.first().map(|d| d.kind), Some(DocumentKind::ProForma));
            }
        }
    }
}

#[test]
fn a_cancelled_order_invoiced_on_order_gets_a_credit_note_with_the_reason_and_date() {
    let mut order = order_with(vec![line("HOSTING-PRO", "1349.00", 1)], None, DocumentPolicy::InvoiceOnOrder);
    let at = now() + TimeDelta::hours(2);
    order.cancel(Some(Reason::parse("ordered the wrong plan").unwrap()), ActorKind::Customer, at).unwrap();
    let documents = order.documents();
    let kinds: Vec<_> = documents.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DocumentKind::TaxInvoice, DocumentKind::CreditNote]);
    assert_eq!(documents[0].issued_at, now());
    assert_eq!(documents[1].issued_at, at);
    assert_eq!(documents[1].reason.as_deref(), Some("Order cancelled: ordered the wrong plan"));
    assert_eq!(order.documents_issued_on(OrderStatus::Cancelled), documents[1..]);
}

#[test]
fn an_order_invoiced_on_payment_that_is_never_paid_leaves_only_its_pro_forma() {
    for end in [OrderStatus::Cancelled, OrderStatus::Expired] {
        let mut order = order_with(vec![line("HOSTING-PRO", "1349.00", 1)], None, DocumentPolicy::InvoiceOnPayment);
        if end == OrderStatus::Cancelled {
            order.cancel(None, ActorKind::Customer, now()).unwrap();
        } else {
            order.expire(System, now()).unwrap();
        }
        let kinds: Vec<_> = order.documents().iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DocumentKind::ProForma], "{end}");
        assert_eq!(order.tax_invoice(), None);
    }
}

#[test]
fn paying_issues_the_tax_invoice_and_the_receipt_on_the_day_it_was_paid() {
    let mut order = order_with(vec![line("HOSTING-PRO", "1349.00", 1)], None, DocumentPolicy::InvoiceOnPayment);
    let paid_at = now() + TimeDelta::days(1);
    let payment = Payment {
        payment_id: PaymentId::parse("pf_1").unwrap(),
        amount: order.totals().total,
        method: PaymentMethod::Payfast,
        paid_at,
    };
    order.confirm_payment(payment, PaymentService, paid_at).unwrap();
    let issued = order.documents_issued_on(OrderStatus::Paid);
    let kinds: Vec<_> = issued.iter().map(|d| (d.kind, d.issued_at)).collect();
    assert_eq!(kinds, [(DocumentKind::TaxInvoice, paid_at), (DocumentKind::Receipt, paid_at)]);
    assert_eq!(order.tax_invoice().unwrap().issued_at, paid_at);
}
