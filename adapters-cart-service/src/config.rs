//! Where the cart service is, how to prove who we are, and how long to wait for it.

use std::fmt;
use std::time::Duration;

use reqwest::Url;

use crate::retry::RetryPolicy;

/// A setting the gateway cannot work with. Each case names the setting, so a host can report
/// it at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The base URL is not an absolute `http` or `https` URL without credentials, query or
    /// fragment.
    #[error("the cart service base URL {url:?} {problem}")]
    BaseUrl {
        /// The value given, or `<redacted>` when it carried credentials.
        url: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The token is empty or has characters a bearer token may not have (RFC 6750 §2.1).
    #[error("the cart service token {0}")]
    Token(&'static str),
    /// The per-request timeout is zero.
    #[error("the cart service request timeout must be greater than zero")]
    ZeroTimeout,
    /// The retry policy's back-off bounds are inverted (`initial_backoff` above `max_backoff`).
    #[error("the cart service retry back-off starts above its cap ({initial:?} > {max:?})")]
    Backoff {
        /// [`RetryPolicy::initial_backoff`].
        initial: Duration,
        /// [`RetryPolicy::max_backoff`].
        max: Duration,
    },
    /// The HTTP client could not be built (its TLS set-up failed).
    #[error("the cart service HTTP client could not be built")]
    Client(#[source] reqwest::Error),
}

/// The credential order management presents to the cart service: a bearer token, sent as
/// `Authorization: Bearer <token>` (RFC 6750 §2.1) on every request.
///
/// Its `Debug` never shows the token, and it has no `Display`, so it cannot end up in a log
/// line by accident.
///
/// ```
/// use adapters_cart_service::CartServiceToken;
/// let token = CartServiceToken::new("s3cr3t-t0ken").unwrap();
/// assert_eq!(format!("{token:?}"), "CartServiceToken(<redacted>)");
/// assert!(CartServiceToken::new("").is_err());
/// assert!(CartServiceToken::new("two words").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CartServiceToken(String);

impl CartServiceToken {
    /// A token of RFC 6750's `b64token` characters: ASCII letters, digits, `-._~+/`, then
    /// optional trailing `=`.
    ///
    /// # Errors
    /// [`ConfigError::Token`] when it is empty or has any other character (a space, a line
    /// break, a quote…), which would break or forge the header.
    pub fn new(token: impl Into<String>) -> Result<Self, ConfigError> {
        let token = token.into();
        if token.is_empty() {
            return Err(ConfigError::Token("is empty"));
        }
        let body = token.trim_end_matches('=');
        let b64 = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
        if body.is_empty() || !body.chars().all(b64) {
            return Err(ConfigError::Token("may contain only ASCII letters, digits, '-._~+/' and trailing '='"));
        }
        Ok(Self(token))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CartServiceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CartServiceToken(<redacted>)")
    }
}

/// Everything [`HttpCartGateway`](crate::HttpCartGateway) needs: the base URL, the token, the
/// per-request timeout and the retry policy.
///
/// ```
/// use std::time::Duration;
/// use adapters_cart_service::{CartServiceConfig, CartServiceToken};
///
/// let config = CartServiceConfig::new("https://carts.internal/api", CartServiceToken::new("t0ken").unwrap())
///     .unwrap()
///     .with_timeout(Duration::from_millis(1500));
/// assert_eq!(config.base_url().as_str(), "https://carts.internal/api");
/// assert!(CartServiceConfig::new("ftp://carts.internal", CartServiceToken::new("t").unwrap()).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct CartServiceConfig {
    base_url: Url,
    token: CartServiceToken,
    timeout: Duration,
    retry: RetryPolicy,
}

impl CartServiceConfig {
    /// The default time one request may take, from connecting to the last byte of the answer.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

    /// The cart service at `base_url` (`http` or `https`; a path prefix such as `/api` is kept
    /// and the API's paths are appended to it), with [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT)
    /// and [`RetryPolicy::default`].
    ///
    /// # Errors
    /// [`ConfigError::BaseUrl`] when the URL does not parse, is not `http`/`https`, has no host,
    /// or carries credentials, a query or a fragment.
    pub fn new(base_url: &str, token: CartServiceToken) -> Result<Self, ConfigError> {
        let refuse = |problem| ConfigError::BaseUrl { url: base_url.to_owned(), problem };
        let url = Url::parse(base_url).map_err(|_| refuse("is not an absolute URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            // Do not echo a URL that holds a secret.
            return Err(ConfigError::BaseUrl {
                url: "<redacted>".to_owned(),
                problem: "must not carry credentials (use the token)",
            });
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse("must be http or https"));
        }
        if url.host().is_none() || url.cannot_be_a_base() {
            return Err(refuse("must name a host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refuse("must not have a query or a fragment"));
        }
        Ok(Self { base_url: url, token, timeout: Self::DEFAULT_TIMEOUT, retry: RetryPolicy::default() })
    }

    /// The same configuration with another per-request timeout. It bounds each attempt from
    /// connecting to reading the whole answer; a call may take up to
    /// [`RetryPolicy::max_attempts`] of them plus the back-off between them.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same configuration with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    pub(crate) fn token(&self) -> &CartServiceToken {
        &self.token
    }
}
