//! Tax-invoice rules of the South African VAT Act that depend on the order.

use rust_decimal::Decimal;

use crate::money::{Currency, Money};

/// Which form of tax invoice an order needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxInvoiceForm {
    /// Above R5 000: the full form — recipient's name, address (and VAT number when the
    /// recipient is registered), and per line the value, VAT and the consideration.
    Full,
    /// R5 000 or less: the abridged form — the recipient's details may be left out, and
    /// totals may be shown VAT-inclusive with the VAT charged.
    Abridged,
}

impl TaxInvoiceForm {
    /// The largest total (VAT-inclusive, in rand) that may use the abridged form.
    pub const ABRIDGED_LIMIT_RAND: i64 = 5_000;

    /// The form for an invoice with this VAT-inclusive total. Invoices in other currencies
    /// always use the full form.
    ///
    /// ```
    /// use order_domain::{Currency, Money, TaxInvoiceForm};
    /// let r = |text| Money::parse(text, Currency::ZAR).unwrap();
    /// assert_eq!(TaxInvoiceForm::for_total(r("5000.00")), TaxInvoiceForm::Abridged);
    /// assert_eq!(TaxInvoiceForm::for_total(r("5000.01")), TaxInvoiceForm::Full);
    /// ```
    pub fn for_total(total: Money) -> Self {
        if total.currency() == Currency::ZAR && total.amount() <= Decimal::from(Self::ABRIDGED_LIMIT_RAND) {
            Self::Abridged
        } else {
            Self::Full
        }
    }
}
