//! The HTTP API as a Lambda function behind API Gateway (HTTP API, payload format 2.0), feature
//! `lambda`: the same [`router`] as the server, wrapped so that what a socket would tell the
//! server comes from the event instead.
//!
//! - The caller's address (PayFast's source check) is the event's `requestContext.http.sourceIp`.
//! - The request id is the client's `X-Request-Id`, else API Gateway's `requestContext.requestId`,
//!   so that the gateway's access log, the function's logs and the events' `correlationId` agree.
//!
//! [`from_env`] builds it as a deployment does: the application on AWS from
//! [`AwsHostConfig::from_env`], the HTTP settings from
//! [`HttpSettings::from_env`] (`BBWS_…` variables), SDK clients built once per cold start.
//! `src/bin/lambda_api.rs` hands the result to `lambda_http::run`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::HeaderValue;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use tower::ServiceBuilder;
use tower::util::MapRequest;
use tracing::info;

use crate::aws_host::{AwsHostConfig, HostConfigError};
use crate::http::settings::{HttpSettings, SettingsError};
use crate::http::{HttpState, REQUEST_ID, router};
use crate::stack::{demo_config, seed_demo_carts};

/// The service `lambda_http::run` drives: the router behind [`from_event`].
pub type LambdaApi = MapRequest<Router, fn(Request) -> Request>;

/// The issuer named by development tokens of a Lambda in development mode (`BBWS_DEV`) when
/// `BBWS_DEV_ISSUER` is not set.
pub const DEV_ISSUER: &str = "bbws-lambda-dev";

/// Why the function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
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

/// The router serving `state`, reading the caller's address and request id from the event.
pub fn service(state: HttpState) -> LambdaApi {
    ServiceBuilder::new().map_request(from_event as fn(Request) -> Request).service(router(state))
}

/// Builds the function from its environment: the application on AWS and the HTTP settings.
///
/// # Errors
/// [`StartError`] naming the variable that is missing or invalid, or what failed to connect.
pub async fn from_env() -> Result<LambdaApi, StartError> {
    let aws = AwsHostConfig::from_env()?;
    let settings = HttpSettings::from_env()?;
    let stack = aws.stack(demo_config()?).await?;
    if settings.dev {
        seed_demo_carts(&stack.carts)?;
    }
    let state = settings.state(stack.app.clone(), DEV_ISSUER).await?;
    info!(environment = %aws.environment, table = %stack.resources.orders_table, dev = settings.dev, "API ready");
    Ok(service(state))
}

/// Puts what the event says about the connection where the router looks for it.
fn from_event(mut request: Request) -> Request {
    let (source_ip, request_id) = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            (context.http.source_ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok()), context.request_id.clone())
        }
        _ => (None, None),
    };
    // Without a source address nothing is trusted as coming from PayFast.
    let peer = SocketAddr::new(source_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), 0);
    request.extensions_mut().insert(ConnectInfo(peer));
    if !request.headers().contains_key(REQUEST_ID)
        && let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok())
    {
        request.headers_mut().insert(REQUEST_ID, id);
    }
    request
}
