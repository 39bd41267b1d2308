//! The application's error: what went wrong, in terms a host can map to a response.

use std::time::Duration;

use order_domain::{InvalidValue, OrderError, OrderId};
use order_ports::PortError;

/// Why a use case or processor failed. Each case says whether trying again may help
/// ([`AppError::is_retryable`]); hosts map cases to HTTP statuses or queue retries, and never
/// show the `source` of an internal failure to a client.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A value in the request is invalid.
    #[error(transparent)]
    InvalidInput(#[from] InvalidValue),
    /// The request is well-formed but asks for something the rules refuse.
    #[error(transparent)]
    Rejected(#[from] OrderError),
    /// The order does not exist, or the caller may not see it.
    #[error("order not found")]
    NotFound,
    /// The order id was issued moments ago and the order is still being recorded.
    #[error("order {order_id} is not recorded yet")]
    NotRecordedYet {
        /// The order.
        order_id: OrderId,
        /// When to ask again.
        retry_after: Duration,
    },
    /// The caller may not do this at all (not about one order: e.g. listing another tenant).
    #[error("not allowed: {0}")]
    NotAllowed(&'static str),
    /// The caller's copy is stale: the order changed since it was read (`If-Match` failed).
    #[error("order {order_id} is at version {current}, which the caller's precondition does not admit")]
    StaleVersion {
        /// The order.
        order_id: OrderId,
        /// The stored version.
        current: u64,
    },
    /// Someone else changed the order at the same moment; reading again and retrying may work.
    #[error("order {0} was changed concurrently")]
    Conflict(OrderId),
    /// The cart already became another order (a different request for the same cart).
    #[error("cart already became order {0}")]
    CartAlreadyOrdered(OrderId),
    /// The idempotency key was used before with a different request.
    #[error("idempotency key was used for a different request")]
    IdempotencyKeyReused,
    /// The cart is unknown to the cart service.
    #[error("cart not found")]
    CartNotFound,
    /// The cart is no longer active (already ordered or abandoned).
    #[error("cart is no longer active")]
    CartInactive,
    /// The cart service answered with a cart that cannot become an order (e.g. a line whose
    /// description the tax invoice cannot print, or an answer that is not a cart at all): the
    /// cart service's data, not the caller's request, is at fault. Carries what was wrong.
    #[error("the cart service's cart cannot be ordered: {0}")]
    CartUnusable(String),
    /// The order's document (or every document it had) was stored once and is no longer kept:
    /// the document store keeps a bounded window (the development server's in-memory one) and
    /// evicted it. Not retryable: it will not come back.
    #[error("a document of order {order_id} was evicted: {retention}")]
    DocumentEvicted {
        /// The order.
        order_id: OrderId,
        /// What the store keeps, written for the caller ("the last 1000 documents").
        retention: String,
    },
    /// This payment id was already received for another order (applied there, or held for refund).
    #[error("payment was already received for another order")]
    PaymentIdReused,
    /// Another worker holds the lease on this right now. Contention, not a failure: the
    /// holder finishes it, or its lease runs out after `lease_remaining` and a retry takes
    /// over. A queue consumer hands the message back for then without spending its retry
    /// budget ([`AppError::lease_remaining`]).
    #[error("{what} (the lease ends in {lease_remaining:?})")]
    LeaseHeld {
        /// What is being done by the other worker, for the log.
        what: &'static str,
        /// How long the holder's lease still runs, as this worker's clock judges it.
        lease_remaining: Duration,
    },
    /// A dependency failed.
    #[error("{context}: {source}")]
    Dependency {
        /// What the application was doing.
        context: &'static str,
        /// What failed.
        #[source]
        source: PortError,
    },
}

impl AppError {
    /// `true` when the same call may succeed later without changing the request.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Dependency { source, .. } => source.is_retryable(),
            Self::NotRecordedYet { .. } | Self::Conflict(_) | Self::LeaseHeld { .. } => true,
            Self::InvalidInput(_)
            | Self::Rejected(_)
            | Self::NotFound
            | Self::NotAllowed(_)
            | Self::StaleVersion { .. }
            | Self::CartAlreadyOrdered(_)
            | Self::IdempotencyKeyReused
            | Self::CartNotFound
            | Self::CartInactive
            | Self::CartUnusable(_)
            | Self::DocumentEvicted { .. }
            | Self::PaymentIdReused => false,
        }
    }
}

impl AppError {
    /// For contention ([`AppError::LeaseHeld`]): how long until the lease can have run out, when
    /// a retry should come. `None` for every other error, which is a failure and spends a retry.
    pub fn lease_remaining(&self) -> Option<Duration> {
        match self {
            Self::LeaseHeld { lease_remaining, .. } => Some(*lease_remaining),
            _ => None,
        }
    }
}

/// Attaches what the application was doing to a port failure.
pub(crate) trait Context<T> {
    fn context(self, context: &'static str) -> Result<T, AppError>;
}

impl<T> Context<T> for Result<T, PortError> {
    fn context(self, context: &'static str) -> Result<T, AppError> {
        self.map_err(|source| AppError::Dependency { context, source })
    }
}
