//! Ready-made values for tests, examples and documentation of this and downstream crates.
//! Nothing here is used by the domain itself.

use chrono::{DateTime, TimeZone, Utc};

use crate::{
    ActorKind, BillingAddress, BillingAddressInput, CartId, CartOwner, CartSnapshot, Currency, Description, Email,
    Money, NewOrder, Order, OrderId, OrderLine, PaymentMethod, PricingRules, Quantity, Sku, TenantId,
};

/// 25 November 2026, 10:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).single().unwrap_or_default()
}

/// An amount in rand; panics on a malformed literal (for tests only).
///
/// # Panics
/// When `text` is not a valid rand amount.
pub fn zar(text: &str) -> Money {
    Money::parse(text, Currency::ZAR).expect("valid rand amount")
}

/// A line of `quantity` × `price` rand.
///
/// # Panics
/// When the price or quantity is invalid.
pub fn line(sku: &str, price: &str, quantity: u32) -> OrderLine {
    OrderLine::new(
        Sku::parse(sku).expect("valid sku"),
        Description::parse(format!("Product {sku}")).expect("valid description"),
        Quantity::new(quantity).expect("valid quantity"),
        zar(price),
    )
    .expect("valid line")
}

/// A Cape Town billing address.
///
/// # Panics
/// Never for the fixed values used.
pub fn address() -> BillingAddress {
    BillingAddress::parse(&BillingAddressInput {
        name: "Thandi Nkosi".into(),
        line1: "12 Long Street".into(),
        city: "Cape Town".into(),
        province: Some("Western Cape".into()),
        postal_code: "8001".into(),
        ..BillingAddressInput::default()
    })
    .expect("valid address")
}

/// A tenant order for two lines (R1 150.00 and R199.00), not yet created.
///
/// # Panics
/// Never for the fixed values used.
pub fn new_order() -> NewOrder {
    NewOrder {
        id: OrderId::from_parts(now(), 7),
        tenant_id: Some(TenantId::parse("tenant_acme").expect("valid tenant")),
        customer_email: Email::parse("thandi@example.co.za").expect("valid email"),
        cart: CartSnapshot::new(
            CartId::parse("cart_1").expect("valid cart"),
            CartOwner::Tenant(TenantId::parse("tenant_acme").expect("valid tenant")),
            vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
        )
        .expect("valid cart"),
        campaign_code: None,
        campaign: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        document_policy: crate::DocumentPolicy::default(),
    }
}

/// A freshly created PENDING order (total R1 349.00) and the time it was created.
///
/// # Panics
/// Never for the fixed values used.
pub fn pending_order() -> (Order, DateTime<Utc>) {
    let (order, _) =
        Order::create(new_order(), &PricingRules::south_africa(), ActorKind::Customer, now()).expect("valid order");
    (order, now())
}
