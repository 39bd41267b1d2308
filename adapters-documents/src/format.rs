//! How amounts, dates and statuses are written on documents and in emails.
//!
//! One convention everywhere, so a customer sees the same figure on the invoice and in the
//! email: rand as `R1,349.00` (symbol without a space, comma thousands separator, point
//! decimal separator — the style South African retailers print), other currencies as
//! `USD 1,349.00`; dates in South African Standard Time (UTC+2, no daylight saving), so an
//! order placed at 23:30 UTC on the 31st is dated the 1st, as the customer saw it.

use chrono::{DateTime, FixedOffset, Utc};
use order_domain::{Currency, Money, OrderStatus, PaymentMethod};

/// South African Standard Time: UTC+2 all year.
const SAST_SECONDS: i32 = 2 * 3600;

/// An amount as printed: `R1,349.00`, or `USD 1,349.00` for another currency.
///
/// ```
/// use adapters_documents::format::money;
/// use order_domain::{Currency, Money};
/// let m = |t| Money::parse(t, Currency::ZAR).unwrap();
/// assert_eq!(money(m("1349")), "R1,349.00");
/// assert_eq!(money(m("1234567.5")), "R1,234,567.50");
/// assert_eq!(money(m("0")), "R0.00");
/// ```
pub fn money(amount: Money) -> String {
    let currency = amount.currency();
    let places = currency.minor_units();
    // Money is never negative and is held at the currency's scale, so its mantissa is the
    // amount in minor units.
    let minor = amount.minor_units().unsigned_abs();
    let divisor = 10u128.pow(places);
    let (units, fraction) = (minor / divisor, minor % divisor);
    let digits = units.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let prefix = if currency == Currency::ZAR { "R".to_owned() } else { format!("{} ", currency.code()) };
    if places == 0 {
        format!("{prefix}{grouped}")
    } else {
        format!("{prefix}{grouped}.{fraction:0width$}", width = places as usize)
    }
}

/// A discount as printed: `-R134.90`, or `R0.00` when there is none.
pub fn discount(amount: Money) -> String {
    if amount.is_zero() { money(amount) } else { format!("-{}", money(amount)) }
}

fn sast(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    // UTC+2 is always a valid offset; the fallback keeps UTC rather than panicking.
    match FixedOffset::east_opt(SAST_SECONDS) {
        Some(offset) => at.with_timezone(&offset),
        None => at.fixed_offset(),
    }
}

/// A date as printed: `25 November 2026` (in SAST).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let late_evening = Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap();
/// assert_eq!(adapters_documents::format::date(late_evening), "1 December 2026");
/// ```
pub fn date(at: DateTime<Utc>) -> String {
    sast(at).format("%-d %B %Y").to_string()
}

/// A moment as printed: `25 November 2026, 12:00 SAST`.
pub fn date_time(at: DateTime<Utc>) -> String {
    sast(at).format("%-d %B %Y, %H:%M SAST").to_string()
}

/// A status in words for customers: `Payment pending`.
pub fn status(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "Pending",
        OrderStatus::PaymentPending => "Payment pending",
        OrderStatus::Paid => "Paid",
        OrderStatus::Processing => "Processing",
        OrderStatus::Completed => "Completed",
        OrderStatus::Cancelled => "Cancelled",
        OrderStatus::Expired => "Expired",
        OrderStatus::Refunded => "Refunded",
    }
}

/// A payment method's name: `PayFast`.
pub fn payment_method(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Payfast => "PayFast",
    }
}

/// A document's name in a sentence: "pro forma invoice", "tax invoice", "receipt", "credit note".
pub(crate) fn document_title(kind: order_domain::DocumentKind) -> &'static str {
    match kind {
        order_domain::DocumentKind::ProForma => "pro forma invoice",
        order_domain::DocumentKind::TaxInvoice => "tax invoice",
        order_domain::DocumentKind::Receipt => "receipt",
        order_domain::DocumentKind::CreditNote => "credit note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use order_domain::testing::zar;

    #[test]
    fn groups_thousands_and_keeps_cents() {
        assert_eq!(money(zar("5")), "R5.00");
        assert_eq!(money(zar("999.99")), "R999.99");
        assert_eq!(money(zar("1000")), "R1,000.00");
        assert_eq!(money(zar("100000")), "R100,000.00");
        assert_eq!(money(zar("1000000000000")), "R1,000,000,000,000.00");
    }

    #[test]
    fn other_currencies_carry_their_code() {
        let usd = Money::parse("1349.5", Currency::parse("USD").unwrap()).unwrap();
        assert_eq!(money(usd), "USD 1,349.50");
    }

    #[test]
    fn discounts_are_negative_unless_zero() {
        assert_eq!(discount(zar("0")), "R0.00");
        assert_eq!(discount(zar("134.9")), "-R134.90");
    }

    #[test]
    fn dates_are_south_african() {
        let at = order_domain::testing::now(); // 10:00 UTC
        assert_eq!(date(at), "25 November 2026");
        assert_eq!(date_time(at), "25 November 2026, 12:00 SAST");
    }
}
