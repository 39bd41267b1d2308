//! Why one request to the cart service failed, whether trying again may help, and what the
//! caller is told once the attempts are over. Every HTTP outcome is classified here, once.

use std::time::Duration;

use order_domain::CartId;
use order_ports::PortError;
use reqwest::StatusCode;

/// One attempt's failure.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// No complete answer within the per-request timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration, #[source] reqwest::Error),
    /// No connection could be made (refused, unreachable, TLS handshake failed).
    #[error("could not connect")]
    Connect(#[source] reqwest::Error),
    /// The connection broke, or the answer could not be read.
    #[error("the request failed")]
    Transport(#[source] reqwest::Error),
    /// An answer the operation does not accept. `retry_after` is the server's `Retry-After`,
    /// read only on answers that are retried; `problem` its RFC 9457 title and detail, if any.
    #[error("answered {status}{}{}", after(*.retry_after), explained(.problem.as_deref()))]
    Status { status: StatusCode, retry_after: Option<Duration>, problem: Option<String> },
    /// 404: the cart does not exist.
    #[error("answered 404 Not Found")]
    NotFound,
    /// The answer is larger than any cart can be.
    #[error("answered with more than {0} bytes")]
    TooLarge(usize),
}

fn after(retry_after: Option<Duration>) -> String {
    retry_after.map(|wait| format!(", asked to retry after {wait:?}")).unwrap_or_default()
}

fn explained(problem: Option<&str>) -> String {
    problem.map(|problem| format!(": {problem}")).unwrap_or_default()
}

/// Statuses that say "not now" rather than "no": 408 Request Timeout, 429 Too Many Requests
/// and every 5xx (RFC 9110 §15.5.9, §15.6; RFC 6585 §4).
pub(crate) fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

impl Failure {
    /// From a `reqwest` error on sending or reading.
    pub(crate) fn transport(error: reqwest::Error, timeout: Duration) -> Self {
        if error.is_timeout() {
            Self::Timeout(timeout, error)
        } else if error.is_connect() {
            Self::Connect(error)
        } else {
            Self::Transport(error)
        }
    }

    /// `true` when the same request may succeed if sent again.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout(..) | Self::Connect(_) | Self::Transport(_) => true,
            Self::Status { status, .. } => is_transient(*status),
            Self::NotFound | Self::TooLarge(_) => false,
        }
    }

    /// The server's `Retry-After`, when it sent one with a retryable answer.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// What the caller of the port gets once no more attempts will be made: 404 is
    /// [`PortError::NotFound`]; an oversized answer is [`PortError::InvalidData`]; 401 and 403
    /// are a permanent outage (the token is wrong: a configuration problem); everything else is
    /// [`PortError::Unavailable`], retryable when the last failure was, with this failure as
    /// its source.
    pub(crate) fn into_port_error(self, operation: &str, cart: &CartId, attempts: u32) -> PortError {
        let tries = if attempts == 1 { "1 attempt".to_owned() } else { format!("{attempts} attempts") };
        match self {
            Self::NotFound => PortError::NotFound,
            Self::TooLarge(_) => PortError::InvalidData(format!("the cart service, {operation} {cart}, {self}")),
            Self::Status { status: StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, .. } => {
                let message = format!("the cart service refused our token ({operation} {cart}: {self})");
                tracing::error!(operation, %cart, error = %self, "the cart service refused the token: check its configuration");
                PortError::Unavailable { message, retryable: false, source: Some(Box::new(self)) }
            }
            failure => {
                let retryable = failure.is_retryable();
                let message = format!("the cart service failed ({operation} {cart}, {tries}): {failure}");
                tracing::warn!(operation, %cart, attempts, retryable, error = %ErrorChain(&failure), "cart service call failed");
                PortError::Unavailable { message, retryable, source: Some(Box::new(failure)) }
            }
        }
    }
}

/// An error with its sources, `a: b: c`, for one log line.
pub(crate) struct ErrorChain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_statuses_that_say_not_now_are_transient() {
        for code in [408, 429, 500, 502, 503, 504, 599] {
            assert!(is_transient(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [200, 204, 301, 400, 401, 403, 404, 409, 410, 422] {
            assert!(!is_transient(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }

    #[test]
    fn the_caller_gets_the_ports_cases() {
        let cart = CartId::parse("cart_1").unwrap();
        assert!(matches!(Failure::NotFound.into_port_error("fetching cart", &cart, 1), PortError::NotFound));
        assert!(matches!(Failure::TooLarge(10).into_port_error("fetching cart", &cart, 1), PortError::InvalidData(_)));
        let denied = Failure::Status { status: StatusCode::UNAUTHORIZED, retry_after: None, problem: None };
        let denied = denied.into_port_error("fetching cart", &cart, 1);
        assert!(matches!(denied, PortError::Unavailable { retryable: false, .. }), "{denied:?}");
        let busy = Failure::Status {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: Some(Duration::from_mins(2)),
            problem: Some("Maintenance: back at noon".to_owned()),
        };
        let busy = busy.into_port_error("fetching cart", &cart, 3);
        assert!(busy.is_retryable(), "{busy:?}");
        assert_eq!(
            busy.to_string(),
            "unavailable: the cart service failed (fetching cart cart_1, 3 attempts): answered 503 Service Unavailable, \
             asked to retry after 120s: Maintenance: back at noon"
        );
    }
}
