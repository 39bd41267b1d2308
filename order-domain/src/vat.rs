//! Value-added tax: the rate table and the VAT contained in an inclusive price.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// A VAT rate as a fraction (`0.15` for 15 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct VatRate(Decimal);

/// A problem with the VAT configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatError {
    /// A rate must be at least 0 and below 1.
    #[error("a VAT rate must be a fraction from 0 up to (not including) 1, got {0}")]
    RateOutOfRange(Decimal),
    /// The table has no rate in force on the date.
    #[error("no VAT rate is in force on {0}")]
    NoRateOn(NaiveDate),
    /// A table needs at least one period.
    #[error("a VAT table needs at least one rate")]
    EmptyTable,
    /// Two periods start on the same date.
    #[error("two VAT rates take effect on {0}")]
    DuplicateDate(NaiveDate),
}

impl VatRate {
    /// A rate given as a fraction (`0.15`).
    ///
    /// # Errors
    /// [`VatError::RateOutOfRange`] unless `0 <= fraction < 1`.
    pub fn new(fraction: Decimal) -> Result<Self, VatError> {
        if fraction.is_sign_negative() || fraction >= Decimal::ONE {
            return Err(VatError::RateOutOfRange(fraction));
        }
        Ok(Self(fraction.normalize()))
    }

    /// The rate as a fraction (`0.15`).
    pub fn fraction(&self) -> Decimal {
        self.0
    }

    /// The rate in percent (`15`).
    pub fn percent(&self) -> Decimal {
        (self.0 * Decimal::ONE_HUNDRED).normalize()
    }

    /// The VAT contained in a VAT-inclusive amount: `amount × rate / (1 + rate)`, rounded half
    /// up to the cent, as the South African VAT Act requires.
    ///
    /// ```
    /// use order_domain::{Currency, Money, VatRate};
    /// let rate = VatRate::new("0.15".parse().unwrap()).unwrap();
    /// let gross = Money::parse("115.00", Currency::ZAR).unwrap();
    /// assert_eq!(rate.included_in(gross), Money::parse("15.00", Currency::ZAR).unwrap());
    /// ```
    pub fn included_in(&self, inclusive: Money) -> Money {
        inclusive.fraction_half_up(self.0, Decimal::ONE + self.0)
    }
}

impl TryFrom<Decimal> for VatRate {
    type Error = VatError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<VatRate> for Decimal {
    fn from(value: VatRate) -> Self {
        value.0
    }
}

/// VAT rates with the dates they took effect, so that a change of rate is a data change, not a
/// code change, and an order is always taxed at the rate in force when it was placed.
///
/// Dates are South African calendar dates (SAST, UTC+2, no daylight saving).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatTable {
    /// Sorted by effective date, ascending.
    periods: Vec<(NaiveDate, VatRate)>,
}

impl VatTable {
    /// A table from `(effective from, rate)` pairs in any order.
    ///
    /// # Errors
    /// [`VatError::EmptyTable`] or [`VatError::DuplicateDate`].
    pub fn new(periods: impl IntoIterator<Item = (NaiveDate, VatRate)>) -> Result<Self, VatError> {
        let mut periods: Vec<_> = periods.into_iter().collect();
        if periods.is_empty() {
            return Err(VatError::EmptyTable);
        }
        periods.sort_by_key(|(from, _)| *from);
        if let Some(pair) = periods.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(VatError::DuplicateDate(pair[0].0));
        }
        Ok(Self { periods })
    }

    /// South Africa's standard rate: 14 % from 7 April 1993, 15 % from 1 April 2018.
    pub fn south_africa() -> Self {
        let period = |y, m, d, percent: i64| {
            (NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(), VatRate(Decimal::new(percent, 2)))
        };
        Self { periods: vec![period(1993, 4, 7, 14), period(2018, 4, 1, 15)] }
    }

    /// The rate in force at an instant (judged by the South African calendar date).
    ///
    /// # Errors
    /// [`VatError::NoRateOn`] before the first period.
    pub fn rate_at(&self, at: DateTime<Utc>) -> Result<VatRate, VatError> {
        // South Africa keeps UTC+2 all year (no daylight saving).
        let date = (at.naive_utc() + TimeDelta::hours(2)).date();
        self.periods.iter().rev().find(|(from, _)| *from <= date).map(|(_, rate)| *rate).ok_or(VatError::NoRateOn(date))
    }
}

impl Default for VatTable {
    fn default() -> Self {
        Self::south_africa()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use chrono::TimeZone;

    fn zar(text: &str) -> Money {
        Money::parse(text, Currency::ZAR).unwrap()
    }

    #[test]
    fn vat_in_inclusive_amounts() {
        let rate = VatTable::south_africa().rate_at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()).unwrap();
        assert_eq!(rate.percent(), Decimal::from(15));
        assert_eq!(rate.included_in(zar("115.00")), zar("15.00"));
        assert_eq!(rate.included_in(zar("100.00")), zar("13.04")); // 13.0434…
        assert_eq!(rate.included_in(zar("199.00")), zar("25.96")); // 25.9565… → up
        assert_eq!(rate.included_in(zar("0.07")), zar("0.01")); // 0.00913… → 0.01
        assert_eq!(rate.included_in(zar("0.03")), zar("0.00"));
        assert_eq!(rate.included_in(zar("0.00")), zar("0.00"));
    }

    #[test]
    fn rate_follows_effective_dates_in_south_african_time() {
        let table = VatTable::south_africa();
        // 31 March 2018 23:30 SAST is still 14 %; 1 April 00:30 SAST (31 March 22:30 UTC) is 15 %.
        let before = Utc.with_ymd_and_hms(2018, 3, 31, 21, 30, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2018, 3, 31, 22, 30, 0).unwrap();
        assert_eq!(table.rate_at(before).unwrap().percent(), Decimal::from(14));
        assert_eq!(table.rate_at(after).unwrap().percent(), Decimal::from(15));
        let ancient = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap();
        assert!(matches!(table.rate_at(ancient), Err(VatError::NoRateOn(_))));
    }

    #[test]
    fn tables_are_validated() {
        assert_eq!(VatTable::new([]), Err(VatError::EmptyTable));
        let day = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let rate = VatRate::new(Decimal::new(16, 2)).unwrap();
        assert_eq!(VatTable::new([(day, rate), (day, rate)]), Err(VatError::DuplicateDate(day)));
        assert!(VatRate::new(Decimal::ONE).is_err());
        assert!(VatRate::new(Decimal::NEGATIVE_ONE).is_err());
    }
}
