//! Payments as the order sees them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::PaymentId;
use crate::money::Money;

/// How the customer pays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    #[default]
    /// PayFast, South Africa's card and instant-EFT gateway.
    Payfast,
}

/// A verified payment: the payment service (or a verified PayFast notification) says this
/// amount was paid under this id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Payment {
    /// The provider's id of the payment; repeating it is recognised as the same payment.
    pub payment_id: PaymentId,
    /// The amount paid.
    pub amount: Money,
    /// How it was paid.
    pub method: PaymentMethod,
    /// When the provider says it was paid.
    pub paid_at: DateTime<Utc>,
}

/// Why a verified payment was not taken as the order's consideration. Whatever the reason, the
/// money was taken from the payer and is owed back until it is recorded as refunded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnappliedReason {
    /// The order had been cancelled or had expired when the payment arrived (a late payment).
    /// Records written before the other reasons existed read as this one.
    #[default]
    OrderClosed,
    /// The order was already paid by another payment (a double payment).
    AlreadyPaid,
    /// The amount differs from the order's total (an underpayment or an overpayment).
    AmountMismatch,
}

impl UnappliedReason {
    /// The wire name (`ORDER_CLOSED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderClosed => "ORDER_CLOSED",
            Self::AlreadyPaid => "ALREADY_PAID",
            Self::AmountMismatch => "AMOUNT_MISMATCH",
        }
    }
}

impl std::fmt::Display for UnappliedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Self::OrderClosed => "the order was cancelled or had expired",
            Self::AlreadyPaid => "the order was already paid by another payment",
            Self::AmountMismatch => "the amount differs from the order total",
        })
    }
}

/// The record that money owed back was returned to the payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentRefund {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Who recorded it: the payment service or staff.
    pub actor: crate::status::ActorKind,
    /// The refund's reference (the provider's refund id, a bank reference), when given.
    pub reference: Option<crate::text::Reason>,
}

/// A verified payment the order did not take as its consideration — money to return. It stays
/// on the order for good; `refund` records when it was returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnappliedPayment {
    /// The payment as verified.
    pub payment: Payment,
    /// Why it was not applied.
    pub reason: UnappliedReason,
    /// When the order recorded it.
    pub received_at: DateTime<Utc>,
    /// When it was returned, once it was.
    pub refund: Option<PaymentRefund>,
}

impl UnappliedPayment {
    /// `true` until the money has been recorded as returned.
    pub fn refund_due(&self) -> bool {
        self.refund.is_none()
    }
}

/// Reads both today's shape and the bare [`Payment`] that orders stored as `latePayments`
/// before excess payments had a reason (a late payment: [`UnappliedReason::OrderClosed`]).
impl<'de> Deserialize<'de> for UnappliedPayment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Current {
            payment: Payment,
            reason: UnappliedReason,
            received_at: DateTime<Utc>,
            refund: Option<PaymentRefund>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Current(Current),
            Late(Payment),
        }
        Ok(match Wire::deserialize(deserializer)? {
            Wire::Current(c) => {
                Self { payment: c.payment, reason: c.reason, received_at: c.received_at, refund: c.refund }
            }
            Wire::Late(payment) => {
                Self { received_at: payment.paid_at, payment, reason: UnappliedReason::OrderClosed, refund: None }
            }
        })
    }
}
