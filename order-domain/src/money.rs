//! Currencies and exact amounts of money.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// A problem with a currency or an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not a three-letter ISO 4217 code this system knows.
    #[error("'{0}' is not a known ISO 4217 currency code")]
    UnknownCurrency(String),
    /// The currency is valid but not accepted by this deployment.
    #[error("currency {currency} is not accepted (accepted: {accepted})")]
    UnsupportedCurrency {
        /// The refused currency.
        currency: Currency,
        /// The accepted currencies, comma-separated.
        accepted: String,
    },
    /// The amount text is not a plain decimal number.
    #[error("'{0}' is not a decimal amount such as 199.00")]
    NotANumber(String),
    /// Amounts of money are never negative in an order.
    #[error("an amount must not be negative")]
    Negative,
    /// The amount has more decimal places than the currency has minor units.
    #[error("{currency} amounts have at most {places} decimal places")]
    TooPrecise {
        /// The currency of the amount.
        currency: Currency,
        /// Its number of minor-unit places.
        places: u32,
    },
    /// The amount is above [`Money::MAX`].
    #[error("an amount must not exceed {}", Money::MAX)]
    TooLarge,
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// ISO 4217 currencies known to the system, with their minor units.
const KNOWN_CURRENCIES: &[(&str, u32)] =
    &[("ZAR", 2), ("BWP", 2), ("NAD", 2), ("LSL", 2), ("SZL", 2), ("USD", 2), ("EUR", 2), ("GBP", 2), ("JPY", 0)];

/// An ISO 4217 currency code.
///
/// Parsing accepts known codes only; whether a deployment *accepts* a currency for orders is a
/// separate decision made by [`CurrencyPolicy`] (by default, South African rand only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: [u8; 3],
    minor_units: u32,
}

impl Currency {
    /// South African rand.
    pub const ZAR: Currency = Currency { code: *b"ZAR", minor_units: 2 };

    /// Parses a three-letter code (case-insensitive).
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrency`] for anything that is not a known ISO 4217 code.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, MoneyError> {
        let upper = raw.as_ref().trim().to_ascii_uppercase();
        KNOWN_CURRENCIES
            .iter()
            .find(|(code, _)| *code == upper)
            .and_then(|(code, minor_units)| {
                let code: [u8; 3] = code.as_bytes().try_into().ok()?;
                Some(Currency { code, minor_units: *minor_units })
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(raw.as_ref().chars().take(16).collect()))
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // Codes come from KNOWN_CURRENCIES, which are ASCII.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Number of decimal places of the minor unit (2 for ZAR: cents).
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_owned()
    }
}

/// Which currencies a deployment accepts for orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyPolicy {
    accepted: Vec<Currency>,
}

impl CurrencyPolicy {
    /// Accepts the given currencies only.
    pub fn accepting(accepted: impl IntoIterator<Item = Currency>) -> Self {
        Self { accepted: accepted.into_iter().collect() }
    }

    /// Accepts South African rand only: the default.
    pub fn rand_only() -> Self {
        Self::accepting([Currency::ZAR])
    }

    /// Checks that `currency` is accepted.
    ///
    /// # Errors
    /// [`MoneyError::UnsupportedCurrency`] when it is not.
    pub fn check(&self, currency: Currency) -> Result<(), MoneyError> {
        if self.accepted.contains(&currency) {
            Ok(())
        } else {
            Err(MoneyError::UnsupportedCurrency { currency, accepted: crate::text::comma_separated(&self.accepted) })
        }
    }
}

impl Default for CurrencyPolicy {
    fn default() -> Self {
        Self::rand_only()
    }
}

/// An exact, non-negative amount in one currency, held at the currency's minor-unit scale.
///
/// Never `f64`: amounts are `rust_decimal::Decimal`, parsed from text, and an amount with more
/// places than the currency has (R10.005) is refused rather than silently rounded.
///
/// ```
/// use order_domain::{Currency, Money};
/// let price = Money::parse("199.9", Currency::ZAR).unwrap();
/// assert_eq!(price.to_string(), "ZAR 199.90");
/// assert!(Money::parse("10.005", Currency::ZAR).is_err());
/// assert!(Money::parse("-1", Currency::ZAR).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyWire", into = "MoneyWire")]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// The largest amount accepted: one trillion units. Far above any order, and low enough
    /// that sums of 100 lines × 10 000 items can never overflow a `Decimal`.
    pub const MAX: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

    /// An amount in `currency`.
    ///
    /// # Errors
    /// [`MoneyError::Negative`], [`MoneyError::TooLarge`], or [`MoneyError::TooPrecise`] when
    /// `amount` has more decimal places than the currency's minor units.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        if amount > Self::MAX {
            return Err(MoneyError::TooLarge);
        }
        let places = currency.minor_units();
        if amount.normalize().scale() > places {
            return Err(MoneyError::TooPrecise { currency, places });
        }
        let mut amount = amount.abs();
        amount.rescale(places);
        Ok(Self { amount, currency })
    }

    /// Parses a plain decimal such as `"199.00"`.
    ///
    /// # Errors
    /// [`MoneyError::NotANumber`] for anything but a plain decimal, and the errors of
    /// [`Money::new`].
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let text = text.trim();
        let amount =
            Decimal::from_str_exact(text).map_err(|_| MoneyError::NotANumber(text.chars().take(32).collect()))?;
        Self::new(amount, currency)
    }

    /// An amount given in minor units (cents for ZAR).
    ///
    /// # Errors
    /// As [`Money::new`].
    pub fn from_minor_units(minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        Self::new(Decimal::new(minor, currency.minor_units()), currency)
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        let mut amount = Decimal::ZERO;
        amount.rescale(currency.minor_units());
        Self { amount, currency }
    }

    /// The amount, at the currency's scale.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// `true` when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// The amount in minor units (cents for ZAR).
    pub fn minor_units(&self) -> i128 {
        self.amount.mantissa()
    }

    /// The sum of two amounts in the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::TooLarge`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self.amount.checked_add(other.amount).ok_or(MoneyError::TooLarge)?;
        Money::new(sum, self.currency)
    }

    /// The difference of two amounts in the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`], or [`MoneyError::Negative`] when `other` is larger.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Money::new(self.amount - other.amount, self.currency)
    }

    /// The amount multiplied by a count.
    ///
    /// # Errors
    /// [`MoneyError::TooLarge`].
    pub fn times(self, count: u32) -> Result<Money, MoneyError> {
        let product = self.amount.checked_mul(Decimal::from(count)).ok_or(MoneyError::TooLarge)?;
        Money::new(product, self.currency)
    }

    /// `amount × numerator / denominator`, rounded half away from zero to the minor unit: the
    /// rounding South African tax law asks for (not banker's rounding, `Decimal`'s default).
    /// Returns zero when `denominator` is zero.
    pub fn fraction_half_up(self, numerator: Decimal, denominator: Decimal) -> Money {
        if denominator.is_zero() {
            return Money::zero(self.currency);
        }
        let mut amount = (self.amount * numerator / denominator)
            .round_dp_with_strategy(self.currency.minor_units(), RoundingStrategy::MidpointAwayFromZero);
        amount.rescale(self.currency.minor_units());
        Self { amount: amount.abs(), currency: self.currency }
    }

    /// The smaller of two amounts in the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`].
    pub fn min(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.amount < self.amount { other } else { self })
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.amount)
    }
}

/// The JSON shape of [`Money`]: `{"amount": "199.00", "currency": "ZAR"}`. The amount is a
/// string so that no JSON parser on the way turns it into a float.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyWire {
    amount: String,
    currency: String,
}

impl TryFrom<MoneyWire> for Money {
    type Error = MoneyError;
    fn try_from(wire: MoneyWire) -> Result<Self, Self::Error> {
        Money::parse(&wire.amount, Currency::parse(&wire.currency)?)
    }
}

impl From<Money> for MoneyWire {
    fn from(money: Money) -> Self {
        MoneyWire { amount: money.amount.to_string(), currency: money.currency.code().to_owned() }
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zar(text: &str) -> Money {
        Money::parse(text, Currency::ZAR).unwrap()
    }

    #[test]
    fn max_is_one_trillion() {
        assert_eq!(Money::MAX, Decimal::from(1_000_000_000_000_i64));
    }

    #[test]
    fn currencies_parse_known_codes_only() {
        assert_eq!(Currency::parse("zar").unwrap(), Currency::ZAR);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert!(matches!(Currency::parse("XYZ"), Err(MoneyError::UnknownCurrency(_))));
        assert!(Currency::parse("ZA").is_err());
    }

    #[test]
    fn policy_accepts_rand_only_by_default() {
        let policy = CurrencyPolicy::default();
        assert!(policy.check(Currency::ZAR).is_ok());
        let usd = Currency::parse("USD").unwrap();
        assert!(matches!(policy.check(usd), Err(MoneyError::UnsupportedCurrency { .. })));
        assert!(CurrencyPolicy::accepting([Currency::ZAR, usd]).check(usd).is_ok());
    }

    #[test]
    fn amounts_are_held_at_the_currency_scale() {
        assert_eq!(zar("5").to_string(), "ZAR 5.00");
        assert_eq!(zar("5.10").amount().to_string(), "5.10");
        assert_eq!(zar("5.100").amount().to_string(), "5.10");
        assert_eq!(zar("0.01").minor_units(), 1);
        assert_eq!(Money::from_minor_units(12_345, Currency::ZAR).unwrap(), zar("123.45"));
    }

    #[test]
    fn refuses_bad_amounts() {
        assert_eq!(
            Money::parse("1.001", Currency::ZAR),
            Err(MoneyError::TooPrecise { currency: Currency::ZAR, places: 2 })
        );
        assert_eq!(Money::parse("-0.01", Currency::ZAR), Err(MoneyError::Negative));
        assert!(matches!(Money::parse("1e3", Currency::ZAR), Err(MoneyError::NotANumber(_))));
        assert!(matches!(Money::parse("NaN", Currency::ZAR), Err(MoneyError::NotANumber(_))));
        assert_eq!(Money::parse("1000000000000.01", Currency::ZAR), Err(MoneyError::TooLarge));
        assert!(Money::parse("-0", Currency::ZAR).unwrap().is_zero());
    }

    #[test]
    fn arithmetic_is_exact_and_checked() {
        assert_eq!(zar("0.10").checked_add(zar("0.20")).unwrap(), zar("0.30"));
        assert_eq!(zar("1.00").checked_sub(zar("0.01")).unwrap(), zar("0.99"));
        assert_eq!(zar("0.01").checked_sub(zar("0.02")), Err(MoneyError::Negative));
        assert_eq!(zar("19.99").times(3).unwrap(), zar("59.97"));
        let usd = Money::parse("1", Currency::parse("USD").unwrap()).unwrap();
        assert!(matches!(zar("1").checked_add(usd), Err(MoneyError::CurrencyMismatch(..))));
    }

    #[test]
    fn fractions_round_half_away_from_zero() {
        // 0.25 / 10 = 0.025 → 0.03 (banker's rounding would give 0.02).
        assert_eq!(zar("0.25").fraction_half_up(Decimal::ONE, Decimal::TEN), zar("0.03"));
        assert_eq!(zar("0.35").fraction_half_up(Decimal::ONE, Decimal::TEN), zar("0.04"));
        assert_eq!(zar("0.24").fraction_half_up(Decimal::ONE, Decimal::TEN), zar("0.02"));
    }

    #[test]
    fn json_shape_is_amount_string_and_code() {
        let json = serde_json::to_string(&zar("199.9")).unwrap();
        assert_eq!(json, r#"{"amount":"199.90","currency":"ZAR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), zar("199.90"));
        assert!(serde_json::from_str::<Money>(r#"{"amount":199.9,"currency":"ZAR"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"-1","currency":"ZAR"}"#).is_err());
    }
}
