//! # adapters-cart-service
//!
//! The cart service, reached over its internal HTTP API, as the
//! [`CartGateway`](order_ports::CartGateway) port of BBWS Order Management. When a customer or a
//! guest creates an order, the application fetches the cart's trusted, priced snapshot through
//! this gateway; once the order is recorded, the record writer marks the cart inactive through
//! it (DESIGN §2).
//!
//! The crate is named for the system it talks to, as `adapters-aws` is: it is a driven adapter
//! of one port and knows nothing of the application, the HTTP server or AWS. The in-memory
//! gateway in `adapters-memory` is the development and test double of the same port.
//!
//! ## The API it expects
//! `openapi/cart-service.yaml` (OpenAPI 3.1) in this crate, with example answers beside it:
//! - `GET /internal/carts/{cartId}` → 200 `{"cartId", "active", "currency", "lines": [{"sku",
//!   "description", "quantity", "unitPrice"}]}`, prices VAT-inclusive decimal strings in major
//!   units of `currency` (`"575.00"` is R575.00 for ZAR); 404 for an unknown cart.
//! - `PUT /internal/carts/{cartId}/status` with `{"active": false}` → 204, also for a cart that
//!   is already inactive; 404 for an unknown cart.
//! - Every request carries `Authorization: Bearer <token>` (RFC 6750 §2.1).
//!
//! ## How answers become port results
//! | answer | result |
//! |---|---|
//! | 200, an active cart | the [`CartSnapshot`](order_domain::CartSnapshot), built through the domain's constructors |
//! | 200, `"active": false` | [`PortError::Conflict`](order_ports::PortError::Conflict) |
//! | 200, not a valid cart (not JSON, wrong shape, another cart's id, a bad SKU, price or quantity) | [`PortError::InvalidData`](order_ports::PortError::InvalidData) naming the field and line; not retried |
//! | 404 | [`PortError::NotFound`](order_ports::PortError::NotFound); not retried |
//! | timeout, connection failure, 408, 429, 5xx | retried (see [`RetryPolicy`]); after the last attempt a retryable [`PortError::Unavailable`](order_ports::PortError::Unavailable) with the last failure as its source |
//! | 401, 403 | a permanent `Unavailable`: the token is wrong (logged as an error) |
//! | any other status, a redirect | a permanent `Unavailable` |
//!
//! Status semantics follow RFC 9110 §15, `Retry-After` RFC 9110 §10.2.3 and RFC 6585 §4 (429).
//! Retrying is safe because `GET` is safe and `PUT` idempotent (RFC 9110 §9.2.1–9.2.2).
//!
//! ## Layout
//! - [`HttpCartGateway`] — the port implementation: requests, the retry loop, the mapping above.
//! - [`CartServiceConfig`], [`CartServiceToken`], [`ConfigError`] — base URL, bearer token
//!   (never shown by `Debug`), per-request timeout; each invalid setting named.
//! - [`RetryPolicy`] — attempts, jittered exponential back-off (`backon`), the `Retry-After` cap.
//! - `dto` — the JSON of the API and its conversion to domain types; `failure` — the one place
//!   that classifies an HTTP outcome as retryable or not and into a `PortError`.
//!
//! ## Settings a host provides
//! The base URL, the token (a secret: keep it in a secret store), and optionally the timeout
//! and the retry policy. This crate reads no environment; the composition root does.
//!
//! ## Tests
//! `tests/` starts a stub cart service (axum) on `127.0.0.1:0` and drives the gateway over a
//! real socket: normal answers, slow answers within and beyond the timeout, 5xx then success,
//! 429 with `Retry-After`, 404, garbage and domain-invalid bodies, a refused connection, the
//! credentials sent; and the `CartGateway` contract suite of `order_ports::testkit::upstream`.

mod config;
mod dto;
mod failure;
mod gateway;
mod retry;

pub use config::{CartServiceConfig, CartServiceToken, ConfigError};
pub use gateway::HttpCartGateway;
pub use retry::RetryPolicy;
