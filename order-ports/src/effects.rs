//! Effect records: doing a side effect (sending an email) at most once per key.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::PortResult;

/// What [`EffectLog::begin`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectStart {
    /// Nobody has done this yet (or an earlier attempt's lease ran out): go ahead, then call
    /// [`EffectLog::complete`].
    Proceed,
    /// It was done: skip it.
    AlreadyDone,
    /// Another worker holds a lease on it: try again once the lease can have run out. Not a
    /// failure — the holder may finish it (then the retry finds it done) or crash (then the
    /// retry takes over once the lease has run out).
    InProgress {
        /// When the holder's lease runs out (the holder's own clock): from then on
        /// [`EffectLog::begin`] may proceed.
        until: DateTime<Utc>,
    },
}

/// Records of side effects, keyed by what they are (`email/order_…/order_confirmation`).
///
/// The protocol is begin → do → complete. A worker that crashes between doing and completing
/// leaves a lease that runs out, after which the effect may be done again: at most once
/// except for that window, which no email provider lets us close.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait EffectLog: Send + Sync {
    /// Claims `key` for `lease`, unless it is done or claimed by a lease still running (then
    /// [`EffectStart::InProgress`] with the end of that lease).
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn begin(&self, key: &str, at: DateTime<Utc>, lease: Duration) -> PortResult<EffectStart>;

    /// Marks `key` done, for good.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn complete(&self, key: &str, at: DateTime<Utc>) -> PortResult<()>;

    /// Gives up a claim after a failure, so a retry may proceed at once. Abandoning a done
    /// key changes nothing.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn abandon(&self, key: &str) -> PortResult<()>;
}
