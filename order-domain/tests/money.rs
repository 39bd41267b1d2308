//! Properties of money and pricing, checked against integer arithmetic in cents.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use chrono::TimeDelta;
use order_domain::testing::now;
use order_domain::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn cents(money: Money) -> i128 {
    money.minor_units()
}

/// Half-up division of non-negative integers.
fn div_half_up(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

fn priced_line(price_cents: i64, quantity: u32) -> OrderLine {
    OrderLine::new(
        Sku::parse("SKU").unwrap(),
        Description::parse("Item").unwrap(),
        Quantity::new(quantity).unwrap(),
        Money::from_minor_units(price_cents, Currency::ZAR).unwrap(),
    )
    .unwrap()
}

#[derive(Debug, Clone)]
enum DiscountGen {
    None,
    /// Percentage in hundredths of a percent (1..=10 000 → 0.01 % to 100 %).
    PercentBasisPoints(i64),
    FixedCents(i64),
}

fn discount() -> impl Strategy<Value = DiscountGen> {
    prop_oneof![
        Just(DiscountGen::None),
        (1_i64..=10_000).prop_map(DiscountGen::PercentBasisPoints),
        (1_i64..=100_000_000).prop_map(DiscountGen::FixedCents),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn totals_add_up_and_vat_is_half_up(
        lines in prop::collection::vec((0_i64..=5_000_000, 1_u32..=10_000), 1..=100),
        discount in discount(),
    ) {
        let order_lines: Vec<_> = lines.iter().map(|&(price, qty)| priced_line(price, qty)).collect();
        let cart = CartSnapshot::new(CartId::parse("cart").unwrap(), CartOwner::Guest, order_lines).unwrap();
        let code = CampaignCode::parse("PROMO").unwrap();
        let campaign = match discount {
            DiscountGen::None => None,
            DiscountGen::PercentBasisPoints(bp) => Some(Discount::Percentage(Percentage::new(Decimal::new(bp, 2)).unwrap())),
            DiscountGen::FixedCents(c) => Some(Discount::FixedAmount(Money::from_minor_units(c, Currency::ZAR).unwrap())),
        }
        .map(|discount| Campaign { code, discount, valid_from: None, valid_until: None });

        let totals = PricingRules::south_africa().price(&cart, campaign.as_ref(), now()).unwrap();

        let expected_subtotal: i128 = lines.iter().map(|&(p, q)| i128::from(p) * i128::from(q)).sum();
        prop_assert_eq!(cents(totals.subtotal), expected_subtotal);
        let expected_discount = match discount {
            DiscountGen::None => 0,
            DiscountGen::PercentBasisPoints(bp) => div_half_up(expected_subtotal * i128::from(bp), 10_000),
            DiscountGen::FixedCents(c) => i128::from(c).min(expected_subtotal),
        };
        prop_assert_eq!(cents(totals.discount), expected_discount);
        prop_assert!(cents(totals.total) >= 0 && totals.total.amount() <= totals.subtotal.amount());
        prop_assert_eq!(cents(totals.total), expected_subtotal - expected_discount);
        // VAT in an inclusive amount at 15 %: total × 15 / 115, half up to the cent.
        prop_assert_eq!(cents(totals.vat), div_half_up(cents(totals.total) * 15, 115));
    }

    #[test]
    fn vat_matches_the_formula_for_every_total(total_cents in 0_i64..=100_000_000_000_000) {
        let total = Money::from_minor_units(total_cents, Currency::ZAR).unwrap();
        let rate = VatTable::south_africa().rate_at(now()).unwrap();
        prop_assert_eq!(cents(rate.included_in(total)), div_half_up(i128::from(total_cents) * 15, 115));
        // And at the old 14 % rate.
        let old = VatTable::south_africa().rate_at(now() - TimeDelta::days(365 * 10)).unwrap();
        prop_assert_eq!(cents(old.included_in(total)), div_half_up(i128::from(total_cents) * 14, 114));
    }

    #[test]
    fn money_parsing_never_panics(text in ".{0,40}") {
        let _ = Money::parse(&text, Currency::ZAR);
        let _ = Currency::parse(&text);
    }

    #[test]
    fn money_from_any_decimal_never_panics(mantissa in any::<i64>(), scale in 0_u32..=28) {
        let amount = Decimal::new(mantissa, scale);
        if let Ok(money) = Money::new(amount, Currency::ZAR) {
            prop_assert!(!money.amount().is_sign_negative());
            prop_assert_eq!(money.amount(), amount.abs());
            prop_assert_eq!(money.amount().scale(), 2);
        }
    }

    #[test]
    fn pricing_any_amounts_never_panics(
        lines in prop::collection::vec((prop_oneof![any::<i64>(), 0_i64..=200_000_000_000_000], 0_u32..=20_000), 0..=120),
        fixed in any::<i64>(),
    ) {
        let order_lines: Vec<OrderLine> = lines
            .iter()
            .filter_map(|&(price, qty)| {
                let price = Money::from_minor_units(price, Currency::ZAR).ok()?;
                OrderLine::new(Sku::parse("S").ok()?, Description::parse("d").ok()?, Quantity::new(qty).ok()?, price).ok()
            })
            .collect();
        if let Ok(cart) = CartSnapshot::new(CartId::parse("c").unwrap(), CartOwner::Guest, order_lines) {
            let campaign = Money::from_minor_units(fixed, Currency::ZAR).ok().map(|amount| Campaign {
                code: CampaignCode::parse("X").unwrap(),
                discount: Discount::FixedAmount(amount),
                valid_from: None,
                valid_until: None,
            });
            if let Ok(totals) = PricingRules::south_africa().price(&cart, campaign.as_ref(), now()) {
                prop_assert!(totals.total.amount() <= totals.subtotal.amount());
            }
        }
    }
}
