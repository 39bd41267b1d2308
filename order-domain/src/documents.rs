//! Which documents an order's life calls for, and when: the document policy, pro forma and tax
//! invoices, receipts and credit notes, and line amounts that add up.
//!
//! South Africa's VAT Act allows one tax invoice per taxable supply (s20(1)) and requires a
//! credit note when a supply that was invoiced is cancelled, its consideration is reduced, or it
//! is refunded (s21(1), (3)). Which moment issues the tax invoice is a deployment's choice, a
//! [`DocumentPolicy`], recorded on each order when it is created, so that a change of policy
//! never rewrites an order's history:
//!
//! | moment | [`DocumentPolicy::InvoiceOnPayment`] (default) | [`DocumentPolicy::InvoiceOnOrder`] |
//! |---|---|---|
//! | created | pro forma invoice (not a tax invoice) | tax invoice |
//! | paid | tax invoice and receipt | receipt |
//! | cancelled or expired | — | credit note |
//! | refunded | credit note | credit note |
//!
//! A payment the order does not take (an [`UnappliedPayment`](crate::UnappliedPayment)) issues
//! nothing: it was never consideration for the supply, and it is returned.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::order::Order;
use crate::pricing::{OrderLine, Totals};
use crate::status::OrderStatus;

/// When an order's tax invoice is issued. Chosen per deployment, recorded on each order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocumentPolicy {
    /// A pro forma invoice at creation; the tax invoice (with the receipt) when the order is
    /// paid; a credit note when a paid order is refunded. An order that is never paid never
    /// had a taxable supply, so it leaves no tax document behind.
    #[default]
    InvoiceOnPayment,
    /// The tax invoice at creation (the HLD's literal reading); a credit note when the invoiced
    /// order is cancelled, expires or is refunded. Orders stored before the policy existed were
    /// invoiced this way and read as it.
    InvoiceOnOrder,
}

impl DocumentPolicy {
    /// `invoice-on-payment` or `invoice-on-order`: the configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvoiceOnPayment => "invoice-on-payment",
            Self::InvoiceOnOrder => "invoice-on-order",
        }
    }

    /// Parses a configuration name (`invoice-on-payment`, `invoice-on-order`), ignoring case.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::InvoiceOnPayment, Self::InvoiceOnOrder]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Records written before the policy existed were invoiced at creation.
    pub(crate) fn of_earlier_records() -> Self {
        Self::InvoiceOnOrder
    }
}

impl std::fmt::Display for DocumentPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A kind of document an order can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocumentKind {
    /// A pro forma invoice: the offer, titled as such, with the words "This is not a tax
    /// invoice" and no number from the tax-invoice sequence.
    ProForma,
    /// The tax invoice (VAT Act s20): full above R5,000, abridged up to it.
    TaxInvoice,
    /// The receipt for the payment, referring to the tax invoice.
    Receipt,
    /// The credit note (VAT Act s21) reversing the tax invoice.
    CreditNote,
}

impl DocumentKind {
    /// Every kind, in the order of an order's life.
    pub const ALL: [DocumentKind; 4] = [Self::ProForma, Self::TaxInvoice, Self::Receipt, Self::CreditNote];

    /// The name in storage keys and file names: `proforma`, `invoice`, `receipt`,
    /// `creditnote`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProForma => "proforma",
            Self::TaxInvoice => "invoice",
            Self::Receipt => "receipt",
            Self::CreditNote => "creditnote",
        }
    }

    /// The wire name in APIs and events: `PRO_FORMA`, `TAX_INVOICE`, `RECEIPT`, `CREDIT_NOTE`.
    pub fn code(self) -> &'static str {
        match self {
            Self::ProForma => "PRO_FORMA",
            Self::TaxInvoice => "TAX_INVOICE",
            Self::Receipt => "RECEIPT",
            Self::CreditNote => "CREDIT_NOTE",
        }
    }

    /// Parses [`DocumentKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The document's title as printed: "Pro Forma Invoice", "Tax Invoice", "Receipt",
    /// "Credit Note".
    pub fn title(self) -> &'static str {
        match self {
            Self::ProForma => "Pro Forma Invoice",
            Self::TaxInvoice => "Tax Invoice",
            Self::Receipt => "Receipt",
            Self::CreditNote => "Credit Note",
        }
    }
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A document an order has (or is due to have) by now: what, issued when, because of which
/// step of its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDocument {
    /// Which document.
    pub kind: DocumentKind,
    /// Its date of issue: the moment of the step that issued it, from the order (never the
    /// clock), so a retried job renders identical bytes.
    pub issued_at: DateTime<Utc>,
    /// The status whose entry issued it (`PENDING` for creation).
    pub issued_on: OrderStatus,
    /// Why, for a credit note: the cancellation, expiry or refund and its reason.
    pub reason: Option<String>,
}

impl Order {
    /// Every document the order's life so far calls for under its [`DocumentPolicy`], in the
    /// order they were issued. At most one tax invoice; a credit note only after a tax invoice.
    pub fn documents(&self) -> Vec<DueDocument> {
        let policy = self.document_policy();
        let mut documents = Vec::new();
        let mut due = |kind, issued_at, issued_on, reason| {
            documents.push(DueDocument { kind, issued_at, issued_on, reason });
        };
        let created = self.created_at();
        match policy {
            DocumentPolicy::InvoiceOnPayment => due(DocumentKind::ProForma, created, OrderStatus::Pending, None),
            DocumentPolicy::InvoiceOnOrder => due(DocumentKind::TaxInvoice, created, OrderStatus::Pending, None),
        }
        for change in self.history() {
            let reason = |what: &str| {
                Some(change.reason.as_ref().map_or_else(|| what.to_owned(), |why| format!("{what}: {why}")))
            };
            match (change.to, policy) {
                (OrderStatus::Paid, DocumentPolicy::InvoiceOnPayment) => {
                    due(DocumentKind::TaxInvoice, change.at, OrderStatus::Paid, None);
                    due(DocumentKind::Receipt, change.at, OrderStatus::Paid, None);
                }
                (OrderStatus::Paid, DocumentPolicy::InvoiceOnOrder) => {
                    due(DocumentKind::Receipt, change.at, OrderStatus::Paid, None);
                }
                (OrderStatus::Refunded, _) => {
                    due(DocumentKind::CreditNote, change.at, OrderStatus::Refunded, reason("Order refunded"));
                }
                (OrderStatus::Cancelled, DocumentPolicy::InvoiceOnOrder) => {
                    due(DocumentKind::CreditNote, change.at, OrderStatus::Cancelled, reason("Order cancelled"));
                }
                (OrderStatus::Expired, DocumentPolicy::InvoiceOnOrder) => {
                    due(DocumentKind::CreditNote, change.at, OrderStatus::Expired, reason("Order expired unpaid"));
                }
                (
                    OrderStatus::Pending
                    | OrderStatus::PaymentPending
                    | OrderStatus::Processing
                    | OrderStatus::Completed
                    | OrderStatus::Cancelled
                    | OrderStatus::Expired,
                    _,
                ) => {}
            }
        }
        documents
    }

    /// The documents issued by the order entering `status` (`PENDING`: its creation).
    pub fn documents_issued_on(&self, status: OrderStatus) -> Vec<DueDocument> {
        self.documents().into_iter().filter(|document| document.issued_on == status).collect()
    }

    /// The order's tax invoice, when it has one by now.
    pub fn tax_invoice(&self) -> Option<DueDocument> {
        self.documents().into_iter().find(|document| document.kind == DocumentKind::TaxInvoice)
    }
}

/// One line's share of the order's consideration, as a full tax invoice prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmounts {
    /// The line's value after its share of the discount, VAT included.
    pub value: Money,
    /// The line's share of the discount.
    pub discount: Money,
    /// The VAT in `value`.
    pub vat: Money,
    /// `value` less `vat`.
    pub exclusive: Money,
}

/// Splits the order's discount and VAT across its lines so that the lines add up exactly: the
/// discount is shared in proportion to each line's amount, and the VAT in proportion to each
/// line's value after discount, both by the largest-remainder method to the cent. So
/// Σ value = total, Σ discount = discount and Σ VAT = VAT — what a full tax invoice (VAT Act
/// s20(5)) shows per line must sum to what it shows in total.
///
/// `items` and `totals` must be one order's (as [`Order::items`] and [`Order::totals`]).
pub fn line_amounts(items: &[OrderLine], totals: &Totals) -> Vec<LineAmounts> {
    let currency = totals.total.currency();
    let amounts: Vec<i128> = items.iter().map(|line| line.line_total().minor_units()).collect();
    let discounts = largest_remainder(totals.discount.minor_units(), &amounts);
    let values: Vec<i128> = amounts.iter().zip(&discounts).map(|(amount, discount)| amount - discount).collect();
    let vats = largest_remainder(totals.vat.minor_units(), &values);
    let money = |minor: i128| {
        i64::try_from(minor)
            .ok()
            .and_then(|minor| Money::from_minor_units(minor, currency).ok())
            .unwrap_or_else(|| Money::zero(currency))
    };
    values
        .iter()
        .zip(&discounts)
        .zip(&vats)
        .map(|((&value, &discount), &vat)| LineAmounts {
            value: money(value),
            discount: money(discount),
            vat: money(vat),
            exclusive: money(value - vat),
        })
        .collect()
}

/// `total` split in proportion to `weights` (all ≥ 0), in whole units, summing to `total`:
/// each part is rounded down, and the units left over go to the largest remainders (the
/// earlier line on a tie). All weights zero: everything to the first.
fn largest_remainder(total: i128, weights: &[i128]) -> Vec<i128> {
    let sum: i128 = weights.iter().sum();
    if sum <= 0 || weights.is_empty() {
        let mut parts = vec![0; weights.len()];
        if let Some(first) = parts.first_mut() {
            *first = total;
        }
        return parts;
    }
    let mut parts: Vec<i128> = weights.iter().map(|w| total * w / sum).collect();
    let mut remainders: Vec<(i128, usize)> = weights.iter().enumerate().map(|(i, w)| (total * w % sum, i)).collect();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = total - parts.iter().sum::<i128>();
    for &(_, i) in remainders.iter().take(usize::try_from(left).unwrap_or(0)) {
        parts[i] += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_sums_exactly_and_favours_the_largest_fractions() {
        assert_eq!(largest_remainder(100, &[1, 1, 1]), [34, 33, 33]);
        assert_eq!(largest_remainder(10, &[5, 3, 2]), [5, 3, 2]);
        assert_eq!(largest_remainder(7, &[0, 0]), [7, 0]);
        assert_eq!(largest_remainder(1, &[2, 3]), [0, 1]);
    }

    #[test]
    fn policies_parse_by_their_configuration_names() {
        assert_eq!(DocumentPolicy::parse("Invoice-On-Order"), Some(DocumentPolicy::InvoiceOnOrder));
        assert_eq!(DocumentPolicy::parse("invoice-on-payment"), Some(DocumentPolicy::InvoiceOnPayment));
        assert_eq!(DocumentPolicy::parse("monthly"), None);
        assert_eq!(DocumentPolicy::default(), DocumentPolicy::InvoiceOnPayment);
    }
}
