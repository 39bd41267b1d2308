//! Changing orders: status moves, cancellation, payment confirmation.

use order_domain::{Command, Order, OrderId, Payment, PaymentId, Reason};
use order_ports::{OrderUpdate, PortError};
use tracing::info;

use crate::app::OrderApp;
use crate::error::AppError;
use crate::principal::Principal;

/// A change requested through the update endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    /// Hand the order to payment.
    RequestPayment,
    /// Cancel it.
    Cancel(Option<Reason>),
    /// Start provisioning.
    StartProcessing,
    /// Provisioning finished.
    Complete,
    /// Refund it.
    Refund(Option<Reason>),
}

impl StatusChange {
    fn into_command(self) -> Command {
        match self {
            Self::RequestPayment => Command::RequestPayment,
            Self::Cancel(reason) => Command::Cancel(reason),
            Self::StartProcessing => Command::StartProcessing,
            Self::Complete => Command::Complete,
            Self::Refund(reason) => Command::Refund(reason),
        }
    }
}

/// A condition on the version of the order a change is made to: what HTTP's `If-Match`
/// expresses (RFC 9110 §13.1.1). It is evaluated against the order as the use case loads it, so
/// a conditional change reads the order once; the write is then conditioned on that version, so
/// a change made in between is still caught.
///
/// ```
/// use order_app::usecases::update::VersionPrecondition;
///
/// assert!(None::<u64>.admits(7), "no condition");
/// assert!(Some(7).admits(7));
/// assert!(!Some(6).admits(7), "the caller's copy is stale");
/// ```
pub trait VersionPrecondition: Send + Sync {
    /// Whether the change may be made to the order at `version`.
    fn admits(&self, version: u64) -> bool;
}

/// `None` admits every version; `Some(v)` only `v`.
impl VersionPrecondition for Option<u64> {
    fn admits(&self, version: u64) -> bool {
        self.is_none_or(|expected| expected == version)
    }
}

impl OrderApp {
    /// Applies a status change. `expected_version` (the version the caller read) makes the
    /// change conditional on the caller's copy being current.
    ///
    /// # Errors
    /// [`AppError::NotFound`], [`AppError::StaleVersion`], [`AppError::Rejected`] (illegal move
    /// or not permitted for this principal), [`AppError::Conflict`] when another change won the
    /// race, and [`AppError::Dependency`].
    pub async fn update(
        &self,
        principal: &Principal,
        id: OrderId,
        change: StatusChange,
        expected_version: Option<u64>,
    ) -> Result<Order, AppError> {
        self.update_if(principal, id, change, &expected_version).await
    }

    /// [`OrderApp::update`] under any [`VersionPrecondition`], e.g. an `If-Match` with several
    /// entity-tags.
    ///
    /// # Errors
    /// As [`OrderApp::update`]; [`AppError::StaleVersion`] when `precondition` does not admit the
    /// stored version.
    pub async fn update_if(
        &self,
        principal: &Principal,
        id: OrderId,
        change: StatusChange,
        precondition: &dyn VersionPrecondition,
    ) -> Result<Order, AppError> {
        self.apply_command_if(principal, id, change.into_command(), precondition).await
    }

    /// Confirms a verified payment (the host verified it: payment service token or PayFast
    /// signature). Idempotent on the payment id: the same payment again answers the order as
    /// it is. A verified payment is a fact: one the order does not take — for a cancelled or
    /// expired order, a second payment for a paid one, an amount that differs from the total —
    /// is recorded on the order as money to return and staff are told once; the order's status
    /// stays as the domain decides. Whether it was applied shows in the returned order
    /// ([`Order::payment`] against [`Order::unapplied_payments`]).
    ///
    /// # Errors
    /// As [`OrderApp::update`], plus [`AppError::PaymentIdReused`] when this payment id is
    /// already held by another order.
    pub async fn confirm_payment(
        &self,
        principal: &Principal,
        id: OrderId,
        payment: Payment,
    ) -> Result<Order, AppError> {
        self.apply_command(principal, id, Command::ConfirmPayment(payment), None).await
    }

    /// Records that the unapplied payment `payment_id` of order `id` was returned to the payer
    /// (by the payment service or staff), with the refund's reference when given. Recording it
    /// again answers the order as it is.
    ///
    /// # Errors
    /// As [`OrderApp::update`]; [`AppError::Rejected`] with
    /// [`OrderError::UnknownPayment`](order_domain::OrderError::UnknownPayment) when the order
    /// holds no such unapplied payment.
    pub async fn refund_payment(
        &self,
        principal: &Principal,
        id: OrderId,
        payment_id: PaymentId,
        reference: Option<Reason>,
    ) -> Result<Order, AppError> {
        self.apply_command(principal, id, Command::RefundPayment { payment_id, reference }, None).await
    }

    pub(crate) async fn apply_command(
        &self,
        principal: &Principal,
        id: OrderId,
        command: Command,
        expected_version: Option<u64>,
    ) -> Result<Order, AppError> {
        self.apply_command_if(principal, id, command, &expected_version).await
    }

    async fn apply_command_if(
        &self,
        principal: &Principal,
        id: OrderId,
        command: Command,
        precondition: &dyn VersionPrecondition,
    ) -> Result<Order, AppError> {
        let mut order = self.get(principal, id).await?;
        let loaded_version = order.version();
        if !precondition.admits(loaded_version) {
            return Err(AppError::StaleVersion { order_id: id, current: loaded_version });
        }
        let payment = match &command {
            Command::ConfirmPayment(payment) => Some(payment.clone()),
            _ => None,
        };
        let kind = command.kind();
        let events = order.execute(command, principal.actor(), self.system.clock.now())?;
        if events.is_empty() {
            info!(order = %id, command = %kind, "repeat of a change already made; nothing to do");
            return Ok(order);
        }
        let envelopes = self.envelopes(events);
        let update = OrderUpdate {
            order: &order,
            expected_version: loaded_version,
            events: &envelopes,
            payment: payment.as_ref(),
        };
        match self.storage.orders.update(update).await {
            Ok(()) => {}
            Err(PortError::Conflict(_)) => return Err(AppError::Conflict(id)),
            Err(PortError::AlreadyExists) => return Err(AppError::PaymentIdReused),
            Err(source) => return Err(AppError::Dependency { context: "saving the order", source }),
        }
        crate::metrics::committed(&envelopes);
        info!(order = %id, command = %kind, status = %order.status(), version = order.version(), actor = %principal, "order changed");
        self.publish_committed(&order, &envelopes).await;
        Ok(order)
    }
}
