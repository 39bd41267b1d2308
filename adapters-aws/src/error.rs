//! Turning SDK errors into [`PortError`]s. No SDK error crosses a port: every adapter calls
//! [`classify`] (after matching the cases its contract names, such as a failed condition).

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use order_ports::PortError;

/// Error codes that mean "slow down" or "try again": retrying later may succeed.
const TRANSIENT_CODES: [&str; 14] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
    "SlowDown",
    "InternalServerError",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
];

/// `true` when an AWS error code says the call may succeed later.
pub(crate) fn is_transient_code(code: &str) -> bool {
    TRANSIENT_CODES.contains(&code)
}

/// Classifies an SDK error the caller has no specific meaning for: throttling (by error code or
/// HTTP 429), 5xx answers,
/// timeouts, dispatch (connection) failures and unreadable responses are retryable
/// [`PortError::Unavailable`]; everything else (access denied, validation, a missing resource,
/// a request that could not be built) is non-retryable. The full error chain is logged.
pub(crate) fn classify<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(_) => {
            status.is_some_and(|s| s == 429 || s >= 500) || err.code().is_some_and(is_transient_code)
        }
        _ => false,
    };
    let code = err.code().unwrap_or("-").to_owned();
    tracing::warn!(operation, retryable, code, status, error = %DisplayErrorContext(&err), "AWS call failed");
    PortError::Unavailable { message: format!("{operation} failed ({code})"), retryable, source: Some(Box::new(err)) }
}

/// Stored data that does not decode: logged, and reported as [`PortError::InvalidData`].
pub(crate) fn invalid(what: impl Into<String>) -> PortError {
    let what = what.into();
    tracing::warn!(problem = %what, "invalid stored data");
    PortError::InvalidData(what)
}

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
#[error("provisioning failed at {step}: {message}")]
pub struct ProvisionError {
    /// What was being created.
    pub step: String,
    /// What went wrong.
    pub message: String,
    /// The underlying SDK error, when there is one.
    #[source]
    pub source: Option<Box<dyn StdError + Send + Sync>>,
}

impl ProvisionError {
    pub(crate) fn sdk<E>(step: impl Into<String>, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let message = DisplayErrorContext(&err).to_string();
        Self { step: step.into(), message, source: Some(Box::new(err)) }
    }

    pub(crate) fn other(step: impl Into<String>, message: impl Into<String>) -> Self {
        Self { step: step.into(), message: message.into(), source: None }
    }
}
