//! The expiry sweep and the relay: the scheduled jobs any host can run.

use order_domain::{Order, OrderStatus};
use tracing::{info, warn};

use crate::app::OrderApp;
use crate::error::{AppError, Context};
use crate::principal::Principal;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// PENDING orders expired.
    pub expired: usize,
    /// PAYMENT_PENDING orders cancelled for want of payment.
    pub cancelled: usize,
    /// Orders that changed concurrently and were left for the next sweep.
    pub skipped: usize,
}

/// What one relay pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Outbox events published.
    pub outbox_published: usize,
    /// Unrecorded claims whose `ORDER_CREATED` was published again.
    pub claims_republished: usize,
}

impl OrderApp {
    /// Expires PENDING orders older than the configured age and cancels PAYMENT_PENDING orders
    /// that waited too long, at most `limit` of each.
    ///
    /// # Errors
    /// [`AppError::Dependency`] when the orders cannot be read; a single order failing to save
    /// is logged and counted as skipped.
    pub async fn expire_stale(&self, limit: usize) -> Result<SweepReport, AppError> {
        let now = self.ports.clock.now();
        let policy = self.config.expiry;
        let mut report = SweepReport::default();
        let candidates = [
            (OrderStatus::Pending, now - policy.pending_after),
            (OrderStatus::PaymentPending, now - policy.payment_pending_after),
        ];
        for (status, before) in candidates {
            let stale = self.ports.orders.stale(status, before, limit).await.context("finding stale orders")?;
            for order in stale {
                let Some(command) = order.expiry_due(now, &policy) else { continue };
                match self.apply_as_system(&order, command).await {
                    Ok(()) if status == OrderStatus::Pending => report.expired += 1,
                    Ok(()) => report.cancelled += 1,
                    Err(error) => {
                        warn!(order = %order.id(), %error, "could not expire; leaving it for the next sweep");
                        report.skipped += 1;
                    }
                }
            }
        }
        info!(?report, "expiry sweep finished");
        Ok(report)
    }

    async fn apply_as_system(&self, order: &Order, command: order_domain::Command) -> Result<(), AppError> {
        self.apply_command(&Principal::System, order.id(), command, Some(order.version())).await.map(|_| ())
    }

    /// Publishes what a crash may have left unpublished: outbox events of committed changes,
    /// and `ORDER_CREATED` of claims still unrecorded after the recording grace period.
    ///
    /// # Errors
    /// [`AppError::Dependency`] when the outbox or claims cannot be read.
    pub async fn relay(&self, limit: usize) -> Result<RelayReport, AppError> {
        let mut report = RelayReport::default();
        for entry in self.ports.orders.pending_outbox(limit).await.context("reading the outbox")? {
            if let Err(error) = self.ports.publisher.publish(&entry.event).await {
                warn!(order = %entry.order_id, %error, "relay could not publish; will retry");
                continue;
            }
            self.ports.orders.clear_outbox(&entry).await.context("clearing the outbox")?;
            report.outbox_published += 1;
        }
        let grace = chrono::TimeDelta::from_std(self.config.recording_grace).unwrap_or(chrono::TimeDelta::zero());
        let before = self.ports.clock.now() - grace;
        for claim in self.ports.claims.unrecorded(before, limit).await.context("reading unrecorded claims")? {
            if let Err(error) = self.ports.publisher.publish(&claim.event).await {
                warn!(order = %claim.order_id, %error, "relay could not re-publish ORDER_CREATED; will retry");
                continue;
            }
            report.claims_republished += 1;
        }
        Ok(report)
    }
}
