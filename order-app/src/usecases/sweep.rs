//! The expiry sweep and the relay, and the one policy that runs them: [`OrderApp::sweep`], which
//! the Lambda schedule and the background service of a long-running host both call.

use std::fmt;
use std::time::{Duration, Instant};

use order_domain::{Order, OrderStatus};
use tracing::{debug, error, info, warn};

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

/// How [`OrderApp::sweep`] pages and budgets its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOptions {
    /// Orders per status per expiry page, and entries per relay pass.
    pub page_size: usize,
    /// No expiry page starts when less than this remains before the deadline: room for the
    /// last page to finish (a Lambda invocation is killed at its deadline).
    pub reserve: Duration,
}

impl Default for SweepOptions {
    /// Pages of 100; no page starts within 10 s of the deadline.
    fn default() -> Self {
        Self { page_size: 100, reserve: Duration::from_secs(10) }
    }
}

/// What one [`OrderApp::sweep`] did. Serialized (camelCase) as the sweep Lambda's result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepSummary {
    /// Outbox events of committed changes published by the relay.
    pub outbox_published: usize,
    /// `ORDER_CREATED` of claims still unrecorded after the grace period, published again.
    pub claims_republished: usize,
    /// Expiry pages run.
    pub pages: usize,
    /// PENDING orders expired.
    pub expired: usize,
    /// PAYMENT_PENDING orders cancelled for want of payment.
    pub cancelled: usize,
    /// Orders that changed concurrently and were left for the next sweep.
    pub skipped: usize,
    /// The deadline came near before the expiry ran out of work; the next sweep goes on.
    pub out_of_time: bool,
}

impl SweepSummary {
    /// Whether the sweep published or changed anything.
    pub fn did_something(&self) -> bool {
        self.outbox_published + self.claims_republished + self.expired + self.cancelled > 0
    }
}

/// The stage of a sweep that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepStage {
    /// Publishing the outbox and unrecorded claims.
    Relay,
    /// Expiring stale orders.
    Expiry,
}

impl fmt::Display for SweepStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Relay => "relay",
            Self::Expiry => "expiry",
        })
    }
}

/// A sweep in which the relay or the expiry could not read or write. The other stage still ran;
/// the next sweep (or a retry) picks up the rest.
#[derive(Debug, thiserror::Error)]
#[error("{stage} failed: {source}")]
pub struct SweepError {
    /// The stage that failed first.
    pub stage: SweepStage,
    /// What failed.
    #[source]
    pub source: AppError,
    /// What the sweep did before and after the failure.
    pub summary: SweepSummary,
}

impl OrderApp {
    /// The scheduled work, as one policy for every host: one relay pass (the outbox and
    /// unrecorded claims — what keeps a crash from losing an event, so it runs first), then
    /// [`OrderApp::expire_stale`] page by page until a page changes nothing or finds fewer
    /// orders than a page holds, or less than `options.reserve` remains before `deadline`. A failure of either stage still lets the
    /// other run.
    ///
    /// # Errors
    /// [`SweepError`] naming the stage that failed, with what the sweep did.
    pub async fn sweep(&self, options: SweepOptions, deadline: Instant) -> Result<SweepSummary, SweepError> {
        let mut summary = SweepSummary::default();
        let mut failure = None;
        match self.relay(options.page_size).await {
            Ok(relayed) => {
                summary.outbox_published = relayed.outbox_published;
                summary.claims_republished = relayed.claims_republished;
            }
            Err(error) => failure = Some((SweepStage::Relay, error)),
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < options.reserve {
                summary.out_of_time = true;
                warn!(left_ms = left.as_millis(), "deadline near; the next sweep goes on");
                break;
            }
            match self.expire_stale(options.page_size).await {
                Ok(page) => {
                    summary.pages += 1;
                    summary.expired += page.expired;
                    summary.cancelled += page.cancelled;
                    summary.skipped += page.skipped;
                    // A page that changed nothing found nothing left to change (what it skipped
                    // would only be skipped again); a page that found fewer orders than it could
                    // take has read each feed to its end — another would read every shard again
                    // to find nothing.
                    let found = page.expired + page.cancelled + page.skipped;
                    if page.expired + page.cancelled == 0 || found < options.page_size {
                        break;
                    }
                }
                Err(error) => {
                    failure.get_or_insert((SweepStage::Expiry, error));
                    break;
                }
            }
        }
        // What the relay and the expiries handed to the background is done before the sweep
        // reports (a Lambda environment may be frozen or stopped right after).
        self.settle().await;
        match failure {
            None if summary.did_something() => {
                info!(?summary, "sweep finished");
                Ok(summary)
            }
            None => {
                debug!(?summary, "sweep finished: nothing to do");
                Ok(summary)
            }
            Some((stage, source)) => {
                error!(%stage, error = %source, ?summary, "sweep failed");
                Err(SweepError { stage, source, summary })
            }
        }
    }

    /// Expires PENDING orders older than the configured age and cancels PAYMENT_PENDING orders
    /// that waited too long, at most `limit` of each.
    ///
    /// # Errors
    /// [`AppError::Dependency`] when the orders cannot be read; a single order failing to save
    /// is logged and counted as skipped.
    pub async fn expire_stale(&self, limit: usize) -> Result<SweepReport, AppError> {
        let now = self.system.clock.now();
        let policy = self.config.expiry;
        let mut report = SweepReport::default();
        let candidates = [
            (OrderStatus::Pending, now - policy.pending_after),
            (OrderStatus::PaymentPending, now - policy.payment_pending_after),
        ];
        for (status, before) in candidates {
            let stale = self.storage.orders.stale(status, before, limit).await.context("finding stale orders")?;
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
        debug!(?report, "expiry page finished");
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
        for entry in self.storage.orders.pending_outbox(limit).await.context("reading the outbox")? {
            if let Err(error) = self.messaging.publisher.publish(&entry.event).await {
                warn!(order = %entry.order_id, %error, "relay could not publish; will retry");
                continue;
            }
            self.storage.orders.clear_outbox(&entry).await.context("clearing the outbox")?;
            report.outbox_published += 1;
        }
        let grace = chrono::TimeDelta::from_std(self.config.recording_grace).unwrap_or(chrono::TimeDelta::zero());
        let before = self.system.clock.now() - grace;
        for claim in self.storage.claims.unrecorded(before, limit).await.context("reading unrecorded claims")? {
            if let Err(error) = self.messaging.publisher.publish(&claim.event).await {
                warn!(order = %claim.order_id, %error, "relay could not re-publish ORDER_CREATED; will retry");
                continue;
            }
            report.claims_republished += 1;
        }
        Ok(report)
    }
}
