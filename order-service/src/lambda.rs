//! The Lambda functions' start-up (feature `lambda`): each reads its environment once per cold
//! start, builds the SDK clients and the application once, and hands a handler of
//! `adapters-lambda` to the runtime.
//!
//! | function | variables |
//! |---|---|
//! | `lambda-api` | the `BBWS_…` set of [`aws_host`](crate::aws_host) and of [`HttpSettings::from_env`] |
//! | `lambda-processor` | [`PROCESSOR_VARIABLE`] (`BBWS_PROCESSOR`) and the `aws_host` set |
//! | `lambda-sweep` | the `aws_host` set |

use std::sync::Arc;

use adapters_lambda::api::LambdaApi;
use order_app::{OrderApp, Processor};
use order_ports::ProcessorKind;
use tracing::info;

use crate::aws_host::{AwsHostConfig, HostConfigError};
use crate::http_settings::{HttpSettings, SettingsError};
use crate::memory::{demo_config, seed_demo_carts};

/// The variable that chooses the processor of a `lambda-processor` function.
pub const PROCESSOR_VARIABLE: &str = "BBWS_PROCESSOR";

/// `BBWS_PROCESSOR` is missing or names no processor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownProcessor {
    /// The variable is not set.
    #[error("{PROCESSOR_VARIABLE} is not set; expected one of: {valid}", valid = valid_names())]
    NotSet,
    /// The variable names something else.
    #[error("{PROCESSOR_VARIABLE}={given:?} is not a processor; expected one of: {valid}", given = .0, valid = valid_names())]
    Unknown(String),
}

fn valid_names() -> String {
    ProcessorKind::ALL.map(ProcessorKind::name).join(", ")
}

/// Parses the value of `BBWS_PROCESSOR` (`None` when unset): `record-writer`,
/// `invoice-writer`, `internal-notifier` or `customer-notifier`.
///
/// # Errors
/// [`UnknownProcessor`], naming the valid values.
pub fn processor_kind(value: Option<&str>) -> Result<ProcessorKind, UnknownProcessor> {
    let value = value.map(str::trim).filter(|value| !value.is_empty()).ok_or(UnknownProcessor::NotSet)?;
    value.parse().map_err(|_| UnknownProcessor::Unknown(value.to_owned()))
}

/// The `lambda-processor` function from its variables, read through `env` (the binary passes
/// the process environment): the processor `BBWS_PROCESSOR` names (checked before anything
/// touches AWS) on the application on AWS.
///
/// # Errors
/// [`StartError`] naming the variable that is missing or invalid, or what failed to connect.
pub async fn start_processor(env: impl Fn(&str) -> Option<String>) -> Result<Arc<dyn Processor>, StartError> {
    let kind = processor_kind(env(PROCESSOR_VARIABLE).as_deref())?;
    let stack = AwsHostConfig::from_lookup(env)?.stack(demo_config()?).await?;
    Ok(stack.app.processor(kind))
}

/// The `lambda-sweep` function's application from its variables, read through `env`.
///
/// # Errors
/// [`StartError`] naming the variable that is missing or invalid, or what failed to connect.
pub async fn start_sweep(env: impl Fn(&str) -> Option<String>) -> Result<Arc<OrderApp>, StartError> {
    Ok(AwsHostConfig::from_lookup(env)?.stack(demo_config()?).await?.app)
}

/// The issuer named by development tokens of a Lambda in development mode (`BBWS_DEV`) when
/// `BBWS_DEV_ISSUER` is not set.
pub const DEV_ISSUER: &str = "bbws-lambda-dev";

/// Why the function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `BBWS_PROCESSOR` names no processor.
    #[error(transparent)]
    Processor(#[from] UnknownProcessor),
    /// The AWS configuration is incomplete, or the application could not be wired.
    #[error(transparent)]
    Aws(#[from] HostConfigError),
    /// The HTTP settings are incomplete.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The application's configuration is invalid.
    #[error("application configuration: {0}")]
    App(#[from] order_ports::PortError),
}

/// The `lambda-api` function: the application on AWS from the variables read through `env`,
/// and the HTTP settings from the process environment through clap's `env` attributes
/// ([`HttpSettings::from_env`]).
///
/// # Errors
/// [`StartError`] naming the variable that is missing or invalid, or what failed to connect.
pub async fn start_api(env: impl Fn(&str) -> Option<String>) -> Result<LambdaApi, StartError> {
    let aws = AwsHostConfig::from_lookup(env)?;
    let settings = HttpSettings::from_env()?;
    let stack = aws.stack(demo_config()?).await?;
    if settings.dev {
        seed_demo_carts(&stack.carts)?;
    }
    let state = settings.state(stack.app.clone(), DEV_ISSUER).await?;
    info!(environment = %aws.environment, table = %stack.resources.orders_table, dev = settings.dev, "API ready");
    Ok(adapters_lambda::api::service(state))
}
