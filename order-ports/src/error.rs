//! The one error type every port returns.

use std::error::Error as StdError;

/// What went wrong behind a port, in terms the application can act on. Adapters classify
/// their technology's errors into these cases (a DynamoDB conditional-check failure becomes
/// [`PortError::Conflict`], a throttle becomes a retryable [`PortError::Unavailable`]); no
/// SDK or driver error type ever crosses a port.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// A write's precondition failed: the stored version differs, or the state moved on.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A create-if-absent found something already there.
    #[error("already exists")]
    AlreadyExists,
    /// The backing service could not be reached or refused to serve.
    #[error("unavailable: {message}")]
    Unavailable {
        /// What failed, for the log.
        message: String,
        /// `true` when trying again later may succeed (throttling, 5xx, timeouts).
        retryable: bool,
        /// The underlying error, for the log.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync>>,
    },
    /// Stored or received data could not be turned into domain types.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// The thing asked for was stored once but is no longer kept: a store with a bounded
    /// window (the development server's in-memory documents) dropped it to make room. Asking
    /// again will not bring it back. Stores that keep everything (S3) never return it.
    #[error("evicted: {retention}")]
    Evicted {
        /// What the store keeps, written for the caller ("the last 1000 documents").
        retention: String,
    },
}

impl PortError {
    /// A retryable outage with a message and no source.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Unavailable { message: message.into(), retryable: true, source: None }
    }

    /// A retryable outage caused by `source`.
    pub fn transient_from(message: impl Into<String>, source: impl StdError + Send + Sync + 'static) -> Self {
        Self::Unavailable { message: message.into(), retryable: true, source: Some(Box::new(source)) }
    }

    /// A permanent failure of the backing service (bad configuration, access denied).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Unavailable { message: message.into(), retryable: false, source: None }
    }

    /// `true` when the same call may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { retryable: true, .. })
    }
}

/// What every port method returns.
pub type PortResult<T> = Result<T, PortError>;
