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
