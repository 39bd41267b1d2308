//! Quick start: one order's whole life through the domain, printed step by step.
//!
//! Run with `cargo run -p bbws-examples --bin quickstart`.

use chrono::{TimeDelta, TimeZone, Utc};
use order_domain::testing::{address, line};
use order_domain::{
    ActorKind, CartId, CartSnapshot, Email, NewOrder, Order, OrderId, OrderStatus, Payment, PaymentId, PaymentMethod,
    PricingRules, TenantId,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).single().ok_or("valid date")?;
    let at = |minutes| start + TimeDelta::minutes(minutes);

    let cart = CartSnapshot::new(
        CartId::parse("cart_quickstart")?,
        vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1), line("SSL-BASIC", "349.99", 1)],
    )?;
    let new = NewOrder {
        id: OrderId::from_parts(start, 0x5eed),
        tenant_id: Some(TenantId::parse("tenant_acme")?),
        customer_email: Email::parse("Thandi@Example.co.za")?,
        cart,
        campaign_code: None,
        campaign: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
    };
    let (mut order, _created) = Order::create(new, &PricingRules::south_africa(), ActorKind::Customer, at(0))?;
    let totals = order.totals();
    println!("Created {} for {} ({} lines)", order.id(), order.customer_email(), order.items().len());
    println!(
        "  subtotal {}  discount {}  VAT {} (at {}%)  total {}",
        totals.subtotal,
        totals.discount,
        totals.vat,
        totals.vat_rate.percent(),
        totals.total
    );

    order.request_payment(ActorKind::Customer, at(2))?;
    let payment = Payment {
        payment_id: PaymentId::parse("pf_1234567")?,
        amount: order.totals().total,
        method: PaymentMethod::Payfast,
        paid_at: at(5),
    };
    order.confirm_payment(payment.clone(), ActorKind::PaymentService, at(5))?;
    let repeated = order.confirm_payment(payment, ActorKind::PaymentService, at(6))?;
    println!("A repeated PayFast notification changes nothing: {} events", repeated.len());
    if let Err(refused) = order.cancel(None, ActorKind::Customer, at(7)) {
        println!("Cancelling now is refused: {refused}");
    }
    order.start_processing(ActorKind::ProvisioningService, at(10))?;
    order.complete(ActorKind::ProvisioningService, at(30))?;
    assert_eq!(order.status(), OrderStatus::Completed);

    println!("Status history of {} (version {}):", order.id(), order.version());
    for change in order.history() {
        println!("  {}  {:>15} -> {:<15} by {}", change.at.format("%H:%M"), change.from, change.to, change.actor);
    }
    Ok(())
}
