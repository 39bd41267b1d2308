//! The order status state machine: statuses, who acts, commands, and the one transition table.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::PaymentId;
use crate::payment::Payment;
use crate::text::Reason;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Created, not yet sent to payment.
    Pending,
    /// Sent to the payment provider, waiting for its confirmation.
    PaymentPending,
    /// Paid in full.
    Paid,
    /// Being provisioned.
    Processing,
    /// Provisioned. Terminal.
    Completed,
    /// Cancelled before payment. Terminal.
    Cancelled,
    /// Never paid and expired by the sweep. Terminal.
    Expired,
    /// Money returned. Terminal.
    Refunded,
}

impl OrderStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [OrderStatus; 8] = [
        Self::Pending,
        Self::PaymentPending,
        Self::Paid,
        Self::Processing,
        Self::Completed,
        Self::Cancelled,
        Self::Expired,
        Self::Refunded,
    ];

    /// `true` for statuses no command can leave.
    pub fn is_terminal(self) -> bool {
        match self {
            Self::Completed | Self::Cancelled | Self::Expired | Self::Refunded => true,
            Self::Pending | Self::PaymentPending | Self::Paid | Self::Processing => false,
        }
    }

    /// The wire name (`PAYMENT_PENDING`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::PaymentPending => "PAYMENT_PENDING",
            Self::Paid => "PAID",
            Self::Processing => "PROCESSING",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
            Self::Refunded => "REFUNDED",
        }
    }

    /// Parses a wire name (`PAYMENT_PENDING`), case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The kind of principal acting on an order. The application layer decides which kind a
/// caller is (and that a customer belongs to the order's tenant); the domain decides what each
/// kind may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActorKind {
    /// A signed-in customer of the order's tenant: the owner.
    Customer,
    /// An anonymous shopper at guest checkout.
    Guest,
    /// BBWS staff.
    Staff,
    /// The payment service (or a verified PayFast notification).
    PaymentService,
    /// The tenant-provisioning service.
    ProvisioningService,
    /// The cart service handing over a cart.
    CartService,
    /// The system itself (the expiry sweep, timeouts).
    System,
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Customer => "CUSTOMER",
            Self::Guest => "GUEST",
            Self::Staff => "STAFF",
            Self::PaymentService => "PAYMENT_SERVICE",
            Self::ProvisioningService => "PROVISIONING_SERVICE",
            Self::CartService => "CART_SERVICE",
            Self::System => "SYSTEM",
        })
    }
}

/// A request to change an existing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Hand the order to the payment provider.
    RequestPayment,
    /// A verified payment arrived.
    ConfirmPayment(Payment),
    /// Cancel, with an optional reason.
    Cancel(Option<Reason>),
    /// Expire an order that was never paid.
    Expire,
    /// Start provisioning a paid order.
    StartProcessing,
    /// Provisioning finished.
    Complete,
    /// Return the money, with an optional reason.
    Refund(Option<Reason>),
    /// Record that an unapplied payment (a late, double or mismatched payment) was returned to
    /// the payer, with the refund's reference when given. The order's status does not change.
    RefundPayment {
        /// The unapplied payment that was returned.
        payment_id: PaymentId,
        /// The refund's reference (provider refund id, bank reference).
        reference: Option<Reason>,
    },
}

/// A [`Command`] without its data: what errors and tables talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum CommandKind {
    RequestPayment,
    ConfirmPayment,
    Cancel,
    Expire,
    StartProcessing,
    Complete,
    Refund,
    RefundPayment,
}

impl Command {
    /// The command's kind.
    pub fn kind(&self) -> CommandKind {
        match self {
            Self::RequestPayment => CommandKind::RequestPayment,
            Self::ConfirmPayment(_) => CommandKind::ConfirmPayment,
            Self::Cancel(_) => CommandKind::Cancel,
            Self::Expire => CommandKind::Expire,
            Self::StartProcessing => CommandKind::StartProcessing,
            Self::Complete => CommandKind::Complete,
            Self::Refund(_) => CommandKind::Refund,
            Self::RefundPayment { .. } => CommandKind::RefundPayment,
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::RequestPayment => "request payment",
            Self::ConfirmPayment => "confirm payment",
            Self::Cancel => "cancel",
            Self::Expire => "expire",
            Self::StartProcessing => "start processing",
            Self::Complete => "complete",
            Self::Refund => "refund",
            Self::RefundPayment => "record a payment refund on",
        })
    }
}

/// What a command does to an order in a given status, before the command's data is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Move along one edge of the table.
    Move(OrderStatus),
    /// The order already went where the command leads: a successful no-op.
    AlreadyDone,
    /// A payment for a PENDING order: record both edges, PENDING → PAYMENT_PENDING → PAID.
    PayFromPending,
    /// A payment for an order that is already paid (or further): the same payment again is a
    /// no-op, another payment is a double payment.
    PaymentForPaidOrder,
    /// A payment for a CANCELLED or EXPIRED order: it stays terminal; the payment is recorded
    /// for refund.
    LatePayment,
    /// An unapplied payment was returned: recorded on the order, whatever its status.
    RefundPayment,
    /// Not a move the table allows.
    Illegal,
}

/// Who may do what.
pub(crate) type Allowed = &'static [ActorKind];

const PAYMENT_OR_OWNER: Allowed = &[ActorKind::PaymentService, ActorKind::Customer];
const OWNER_OR_STAFF: Allowed = &[ActorKind::Customer, ActorKind::Staff];
const OWNER_STAFF_OR_SYSTEM: Allowed = &[ActorKind::Customer, ActorKind::Staff, ActorKind::System];
const SYSTEM: Allowed = &[ActorKind::System];
const PAYMENT: Allowed = &[ActorKind::PaymentService];
const PROVISIONING_OR_STAFF: Allowed = &[ActorKind::ProvisioningService, ActorKind::Staff];
const PAYMENT_OR_STAFF: Allowed = &[ActorKind::PaymentService, ActorKind::Staff];
const NOBODY: Allowed = &[];

/// The transition table of DESIGN §2.1: one exhaustive match, no wildcard arm, so a new status
/// or command does not compile until every cell is decided.
///
/// Arms are grouped by status, one row per outcome, so the table reads like DESIGN §2.1 even
/// where two rows of different statuses have the same outcome.
#[allow(clippy::match_same_arms)]
pub(crate) fn step(status: OrderStatus, command: CommandKind) -> (Step, Allowed) {
    use CommandKind as C;
    use OrderStatus as S;
    match (status, command) {
        // Any status: money owed back is recorded as returned without moving the order.
        (
            S::Pending
            | S::PaymentPending
            | S::Paid
            | S::Processing
            | S::Completed
            | S::Cancelled
            | S::Expired
            | S::Refunded,
            C::RefundPayment,
        ) => (Step::RefundPayment, PAYMENT_OR_STAFF),

        // PENDING
        (S::Pending, C::RequestPayment) => (Step::Move(S::PaymentPending), PAYMENT_OR_OWNER),
        (S::Pending, C::Cancel) => (Step::Move(S::Cancelled), OWNER_OR_STAFF),
        (S::Pending, C::Expire) => (Step::Move(S::Expired), SYSTEM),
        (S::Pending, C::ConfirmPayment) => (Step::PayFromPending, PAYMENT),
        (S::Pending, C::StartProcessing | C::Complete | C::Refund) => (Step::Illegal, NOBODY),

        // PAYMENT_PENDING
        (S::PaymentPending, C::ConfirmPayment) => (Step::Move(S::Paid), PAYMENT),
        (S::PaymentPending, C::Cancel) => (Step::Move(S::Cancelled), OWNER_STAFF_OR_SYSTEM),
        (S::PaymentPending, C::RequestPayment) => (Step::AlreadyDone, PAYMENT_OR_OWNER),
        (S::PaymentPending, C::Expire | C::StartProcessing | C::Complete | C::Refund) => (Step::Illegal, NOBODY),

        // PAID
        (S::Paid, C::StartProcessing) => (Step::Move(S::Processing), PROVISIONING_OR_STAFF),
        (S::Paid, C::Refund) => (Step::Move(S::Refunded), PAYMENT_OR_STAFF),
        (S::Paid, C::ConfirmPayment) => (Step::PaymentForPaidOrder, PAYMENT),
        (S::Paid, C::RequestPayment | C::Cancel | C::Expire | C::Complete) => (Step::Illegal, NOBODY),

        // PROCESSING
        (S::Processing, C::Complete) => (Step::Move(S::Completed), PROVISIONING_OR_STAFF),
        (S::Processing, C::Refund) => (Step::Move(S::Refunded), PAYMENT_OR_STAFF),
        (S::Processing, C::ConfirmPayment) => (Step::PaymentForPaidOrder, PAYMENT),
        (S::Processing, C::StartProcessing) => (Step::AlreadyDone, PROVISIONING_OR_STAFF),
        (S::Processing, C::RequestPayment | C::Cancel | C::Expire) => (Step::Illegal, NOBODY),

        // Terminal statuses absorb every command: a repeat is a no-op, anything else illegal.
        (S::Completed, C::ConfirmPayment) => (Step::PaymentForPaidOrder, PAYMENT),
        (S::Completed, C::Complete) => (Step::AlreadyDone, PROVISIONING_OR_STAFF),
        (S::Completed, C::RequestPayment | C::Cancel | C::Expire | C::StartProcessing | C::Refund) => {
            (Step::Illegal, NOBODY)
        }

        (S::Refunded, C::ConfirmPayment) => (Step::PaymentForPaidOrder, PAYMENT),
        (S::Refunded, C::Refund) => (Step::AlreadyDone, PAYMENT_OR_STAFF),
        (S::Refunded, C::RequestPayment | C::Cancel | C::Expire | C::StartProcessing | C::Complete) => {
            (Step::Illegal, NOBODY)
        }

        (S::Cancelled, C::ConfirmPayment) => (Step::LatePayment, PAYMENT),
        (S::Cancelled, C::Cancel) => (Step::AlreadyDone, OWNER_STAFF_OR_SYSTEM),
        (S::Cancelled, C::RequestPayment | C::Expire | C::StartProcessing | C::Complete | C::Refund) => {
            (Step::Illegal, NOBODY)
        }

        (S::Expired, C::ConfirmPayment) => (Step::LatePayment, PAYMENT),
        (S::Expired, C::Expire) => (Step::AlreadyDone, SYSTEM),
        (S::Expired, C::RequestPayment | C::Cancel | C::StartProcessing | C::Complete | C::Refund) => {
            (Step::Illegal, NOBODY)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses() {
        let terminal: Vec<_> = OrderStatus::ALL.into_iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(
            terminal,
            [OrderStatus::Completed, OrderStatus::Cancelled, OrderStatus::Expired, OrderStatus::Refunded]
        );
    }

    #[test]
    fn no_move_leaves_a_terminal_status() {
        let commands = [
            CommandKind::RequestPayment,
            CommandKind::ConfirmPayment,
            CommandKind::Cancel,
            CommandKind::Expire,
            CommandKind::StartProcessing,
            CommandKind::Complete,
            CommandKind::Refund,
            CommandKind::RefundPayment,
        ];
        for status in OrderStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            for command in commands {
                let (step, _) = step(status, command);
                assert!(!matches!(step, Step::Move(_) | Step::PayFromPending), "{status} + {command} moves");
            }
        }
    }

    #[test]
    fn status_names_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{status}\""));
        }
        assert_eq!(OrderStatus::parse("payment_pending"), Some(OrderStatus::PaymentPending));
        assert_eq!(OrderStatus::parse("LOST"), None);
    }
}
