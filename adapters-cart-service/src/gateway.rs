//! [`HttpCartGateway`]: the [`CartGateway`] port over the cart service's internal HTTP API.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use backon::Retryable;
use order_domain::{CartId, CartOwner, CartSnapshot};
use order_ports::{CartGateway, PortError, PortResult};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode, Url};

use crate::config::{CartServiceConfig, ConfigError};
use crate::dto::{CartDto, CartState, CartStatusDto, InvalidCart, ProblemDto};
use crate::failure::{ErrorChain, Failure, is_transient};
use crate::retry::{RetryPolicy, retry_after};

/// The largest answer read. A cart of 100 lines is a few tens of kilobytes; anything far
/// larger is not a cart, and reading it whole would only cost memory.
const MAX_BODY_BYTES: usize = 1024 * 1024;

const FETCH: &str = "fetching cart";
const MARK_INACTIVE: &str = "marking inactive cart";

/// The cart service's internal API as a [`CartGateway`]: `GET /internal/carts/{cartId}` for a
/// snapshot, `PUT /internal/carts/{cartId}/status` with `{"active": false}` to mark a cart
/// inactive (the API is described in `openapi/cart-service.yaml`).
///
/// Every request carries the bearer token and is bounded by the per-request timeout; failures
/// that may pass are retried under the [`RetryPolicy`]. One value holds one connection pool:
/// build it once and share it (`Arc<dyn CartGateway>`).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use adapters_cart_service::{CartServiceConfig, CartServiceToken, HttpCartGateway};
/// use order_domain::CartId;
/// use order_ports::CartGateway;
///
/// let config = CartServiceConfig::new("https://carts.internal", CartServiceToken::new("t0ken")?)?;
/// let carts: Arc<dyn CartGateway> = Arc::new(HttpCartGateway::new(&config)?);
/// let snapshot = carts.snapshot(&CartId::parse("cart_abc123")?).await?;
/// println!("{} lines", snapshot.lines().len());
/// # Ok(()) }
/// ```
pub struct HttpCartGateway {
    http: reqwest::Client,
    base_url: Url,
    /// `Bearer <token>`, marked sensitive so that `http`'s own `Debug` hides it too.
    authorization: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
}

impl HttpCartGateway {
    /// A gateway to the configured cart service. Redirects are not followed: the internal API
    /// has none, and a redirect would be a misconfiguration (reported as a failure).
    ///
    /// # Errors
    /// [`ConfigError::ZeroTimeout`], [`ConfigError::Backoff`] for a back-off that starts above
    /// its cap, [`ConfigError::Client`] when the HTTP client cannot be built.
    pub fn new(config: &CartServiceConfig) -> Result<Self, ConfigError> {
        let timeout = config.timeout();
        if timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        let retry = *config.retry();
        if retry.initial_backoff > retry.max_backoff {
            return Err(ConfigError::Backoff { initial: retry.initial_backoff, max: retry.max_backoff });
        }
        // The token's characters were checked when it was made; this cannot fail for them.
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token().expose()))
            .map_err(|_| ConfigError::Token("may contain only visible ASCII"))?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("bbws-order-management/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ConfigError::Client)?;
        Ok(Self { http, base_url: config.base_url().clone(), authorization, timeout, retry })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// `{base}/internal/carts/{cartId}[/{tail}]`, keeping the base URL's path prefix. Path
    /// segments are percent-encoded by `Url` (a `CartId` has no character that needs it).
    fn cart_url(&self, cart: &CartId, tail: Option<&str>) -> Url {
        let mut url = self.base_url.clone();
        // The base URL was checked to be a base (http/https with a host): this always succeeds.
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(["internal", "carts", cart.as_str()]).extend(tail);
        }
        url
    }

    /// Sends the request `build` makes, retrying under the policy, and returns the body of a
    /// 2xx answer. `build` is called once per attempt.
    async fn call<F>(&self, operation: &'static str, cart: &CartId, build: F) -> PortResult<Vec<u8>>
    where
        F: Fn() -> RequestBuilder + Sync,
    {
        let attempts = AtomicU32::new(0);
        let attempt = || {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(build().header(AUTHORIZATION, self.authorization.clone()))
        };
        attempt
            .retry(self.retry.backoff())
            .when(Failure::is_retryable)
            .adjust(|failure, proposed| self.retry.next_delay(proposed, failure.retry_after()))
            .notify(|failure, delay| {
                let attempt = attempts.load(Ordering::Relaxed);
                tracing::warn!(operation, %cart, attempt, ?delay, error = %ErrorChain(failure), "cart service call failed; retrying");
            })
            .await
            .map_err(|failure| failure.into_port_error(operation, cart, attempts.load(Ordering::Relaxed)))
    }

    /// One request: the body of a 2xx answer, or why not.
    async fn attempt(&self, request: RequestBuilder) -> Result<Vec<u8>, Failure> {
        let response = request.send().await.map_err(|e| Failure::transport(e, self.timeout))?;
        let status = response.status();
        if status.is_success() {
            return self.read_body(response).await;
        }
        if status == StatusCode::NOT_FOUND {
            return Err(Failure::NotFound);
        }
        // Retry-After is only acted on where a retry may follow (RFC 9110 §10.2.3 defines it
        // for 503 and 3xx; servers also send it with 429, RFC 6585 §4).
        let retry_after = if is_transient(status) {
            response.headers().get(RETRY_AFTER).and_then(|value| retry_after(value, SystemTime::now()))
        } else {
            None
        };
        // The error body only feeds the log: an unreadable one is no reason to fail differently.
        let problem = self.read_body(response).await.ok().and_then(|body| ProblemDto::summary(&body));
        Err(Failure::Status { status, retry_after, problem })
    }

    /// The whole body, refusing more than [`MAX_BODY_BYTES`].
    async fn read_body(&self, mut response: Response) -> Result<Vec<u8>, Failure> {
        if response.content_length().is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return Err(Failure::TooLarge(MAX_BODY_BYTES));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Failure::transport(e, self.timeout))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Failure::TooLarge(MAX_BODY_BYTES));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[async_trait]
impl CartGateway for HttpCartGateway {
    /// # Errors
    /// [`PortError::NotFound`] on 404; [`PortError::Conflict`] for a cart the service reports
    /// `"active": false`; [`PortError::InvalidData`] for an answer that is not a cart (not
    /// JSON, another shape, another cart's id, a line the domain refuses), naming what is
    /// wrong; [`PortError::Unavailable`] when the service cannot be reached or fails —
    /// retryable when the last attempt failed for a reason that may pass (timeout, connection,
    /// 408, 429, 5xx), permanent otherwise (401/403: the token; other 4xx; redirects).
    async fn snapshot(&self, cart: &CartId) -> PortResult<CartSnapshot> {
        let url = self.cart_url(cart, None);
        let body = self.call(FETCH, cart, || self.http.get(url.clone()).header(ACCEPT, "application/json")).await?;
        let state =
            CartDto::parse(&body).and_then(|dto| dto.into_domain(cart)).map_err(|problem| invalid(cart, &problem))?;
        match state {
            CartState::Active(snapshot) => Ok(snapshot),
            CartState::Inactive => Err(PortError::Conflict(format!("cart {cart} is no longer active"))),
        }
    }

    /// The cart's `tenantId`, active or not (`GET /internal/carts/{cartId}`; lines not read).
    ///
    /// # Errors
    /// As [`snapshot`](CartGateway::snapshot), except that an inactive cart is an answer.
    async fn owner(&self, cart: &CartId) -> PortResult<CartOwner> {
        let url = self.cart_url(cart, None);
        let body = self.call(FETCH, cart, || self.http.get(url.clone()).header(ACCEPT, "application/json")).await?;
        CartDto::parse(&body).and_then(|dto| dto.owner(cart)).map_err(|problem| invalid(cart, &problem))
    }

    /// Idempotent on the service's side: marking an inactive cart again answers 204, so a
    /// retried request after a lost answer is harmless.
    ///
    /// # Errors
    /// [`PortError::NotFound`] on 404; [`PortError::Unavailable`] as for
    /// [`snapshot`](CartGateway::snapshot).
    async fn mark_inactive(&self, cart: &CartId) -> PortResult<()> {
        let url = self.cart_url(cart, Some("status"));
        let status = CartStatusDto { active: false };
        self.call(MARK_INACTIVE, cart, || self.http.put(url.clone()).json(&status)).await.map(drop)
    }
}

/// An answer that is not a usable cart: logged, and reported as [`PortError::InvalidData`].
fn invalid(cart: &CartId, problem: &InvalidCart) -> PortError {
    let message = format!("the cart service's answer for cart {cart} {problem}");
    tracing::warn!(%cart, problem = %ErrorChain(problem), "the cart service's answer is not a valid cart");
    PortError::InvalidData(message)
}

impl fmt::Debug for HttpCartGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpCartGateway")
            .field("base_url", &self.base_url.as_str())
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
