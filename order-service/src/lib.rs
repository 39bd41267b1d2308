//! # order-service
//!
//! The composition root of BBWS Order Management: where the application meets its adapters
//! and its configuration. Library crates read no environment; this crate turns typed
//! settings into a wired application, and its binaries (`src/bin/`) only parse the settings,
//! build, and run.
//!
//! ## Layout
//! - [`memory`]: the whole application on in-memory adapters and the real renderers — the
//!   quickstart, the development server and the whole-pipeline tests. Always built; it needs no
//!   HTTP, JWT or AWS crate. Its demonstration values (a demo supplier and staff, seeded carts)
//!   exist only with the feature `demo`, which development builds, the quickstart, the examples
//!   and the tests turn on and production builds leave out.
//! - [`app_settings`]: the application's own settings (the supplier on the tax invoices, staff,
//!   portal and console URLs, expiry and grace periods) from `BBWS_…` variables; [`settings`]:
//!   the reader that collects every missing or invalid value into one start-up error.
//! - [`profile`] (feature `http`): a host's mode — production (those settings and the cart
//!   service's HTTP API, `adapters-cart-service`) or development (`--dev`: the demonstration
//!   values) — and the configuration and cart gateway it gives.
//! - [`telemetry`] (feature `http`): the one log initialiser of every host and, with the feature
//!   `otlp` and an `OTEL_EXPORTER_OTLP_ENDPOINT`, the export of its spans as OTLP traces;
//!   [`signal`]: the shutdown signal (SIGTERM or SIGINT) of the long-running ones.
//! - [`http_settings`] (feature `http`): the HTTP host's settings (tokens, cursors, PayFast,
//!   idempotency, development mode) as flags with `BBWS_…` fallbacks.
//! - `aws` and `aws_host` (feature `aws`): the same application on DynamoDB, SNS/SQS, S3 and
//!   SES, and its configuration from `BBWS_…` variables (`AwsHost`: the AWS settings and the
//!   profile, every problem of both in one error); `deploy_outputs`: its resource names from
//!   the outputs of a stack deployed from `deploy/template.yaml`.
//! - [`app_builder`]: `order-app`'s builder with the production system ports (the wall clock,
//!   random ids) already set — the defaults `order-app` cannot name, as it depends on no adapter.
//! - `lambda` (feature `lambda`): the Lambda functions' start-up from their environment.
//! - [`cli`] (feature `http`): the operator's command line `bbws` (`dlq` and `local` with `aws`).
//!
//! ## Binaries
//! | binary | feature | what it runs |
//! |---|---|---|
//! | `server` | `http` (default) | the HTTP API, in memory or on AWS (`--backend`), with the background service (processors and sweep) |
//! | `bbws` | `http` | the operator's CLI (`orders`, `token`; `dlq`, `local` with `aws`) |
//! | `worker` | `aws` | the background service on the four SQS queues (`--no-sweep` to leave the sweep to others) |
//! | `lambda-api`, `lambda-processor`, `lambda-sweep` | `lambda` | the Lambda functions |

use std::sync::Arc;

use adapters_system::{RandomIds, SystemClock};
use order_app::{OrderApp, OrderAppBuilder, System};

pub mod app_settings;
pub mod memory;
pub mod settings;

#[cfg(feature = "http")]
pub mod cli;
#[cfg(feature = "http")]
pub mod http_settings;
#[cfg(feature = "http")]
pub mod metrics;
#[cfg(feature = "http")]
pub mod profile;
#[cfg(feature = "http")]
pub mod signal;
#[cfg(feature = "http")]
pub mod telemetry;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod aws_host;
#[cfg(feature = "aws")]
pub mod deploy_outputs;
#[cfg(feature = "lambda")]
pub mod lambda;

/// The production system ports: the wall clock ([`SystemClock`]) and random ids ([`RandomIds`]).
pub fn system_ports() -> System {
    System { clock: Arc::new(SystemClock), ids: Arc::new(RandomIds) }
}

/// [`OrderApp::builder`] with the [production system ports](system_ports) set: an embedder adds
/// its storage, messaging, documents, upstream services and configuration, and builds.
///
/// ```
/// # fn wire(
/// #     storage: order_app::Storage, messaging: order_app::Messaging, documents: order_app::Documents,
/// #     upstream: order_app::Upstream, config: order_app::AppConfig,
/// # ) -> Result<(), order_app::BuildError> {
/// let app = order_service::app_builder()
///     .storage(storage)
///     .messaging(messaging)
///     .documents(documents)
///     .upstream(upstream)
///     .config(config)
///     .build()?;
/// # let _ = app; Ok(()) }
/// ```
pub fn app_builder() -> OrderAppBuilder {
    OrderApp::builder().system(system_ports())
}
