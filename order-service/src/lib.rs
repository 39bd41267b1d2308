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
//!   HTTP, JWT or AWS crate.
//! - [`telemetry`] (feature `http`): the one log initialiser of every host.
//! - [`http_settings`] (feature `http`): the HTTP host's settings (tokens, cursors, PayFast,
//!   idempotency, development mode) as flags with `BBWS_…` fallbacks.
//! - `aws` and `aws_host` (feature `aws`): the same application on DynamoDB, SNS/SQS, S3 and
//!   SES, and its configuration from `BBWS_…` variables; `deploy_outputs`: its resource names
//!   from the outputs of a stack deployed from `deploy/template.yaml`.
//! - `worker`: the queue worker loop (bounded concurrency per processor, graceful shutdown).
//! - `lambda` (feature `lambda`): the Lambda functions' start-up from their environment.
//! - [`cli`] (feature `http`): the operator's command line `bbws` (`dlq` and `local` with `aws`).
//!
//! ## Binaries
//! | binary | feature | what it runs |
//! |---|---|---|
//! | `server` | `http` (default) | the HTTP API, in memory or on AWS (`--backend`), with the processors in the background |
//! | `bbws` | `http` | the operator's CLI (`orders`, `token`; `dlq`, `local` with `aws`) |
//! | `worker` | `aws` | the four processors on their SQS queues |
//! | `lambda-api`, `lambda-processor`, `lambda-sweep` | `lambda` | the Lambda functions |

pub mod memory;
pub mod worker;

#[cfg(feature = "http")]
pub mod cli;
#[cfg(feature = "http")]
pub mod http_settings;
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
