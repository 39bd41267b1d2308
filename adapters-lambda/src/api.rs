//! The HTTP API as a Lambda function behind API Gateway (HTTP API, payload format 2.0): the
//! same [`router`] as the server, wrapped so that what a socket would tell the
//! server comes from the event instead.
//!
//! - The caller's address (PayFast's source check) is the event's `requestContext.http.sourceIp`.
//! - The request id is the client's `X-Request-Id`, else API Gateway's `requestContext.requestId`,
//!   so that the gateway's access log, the function's logs and the events' `correlationId` agree.
//!
//! A host wires the application and the [`HttpState`] (the composition root's
//! `order_service::lambda::api_from_env` does it from `BBWS_…` variables) and hands
//! [`service`] to `lambda_http::run`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::HeaderValue;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use tower::ServiceBuilder;
use tower::util::MapRequest;

use adapters_http::{HttpState, REQUEST_ID, router};

/// The service `lambda_http::run` drives: the router behind [`from_event`].
pub type LambdaApi = MapRequest<Router, fn(Request) -> Request>;

/// The router serving `state`, reading the caller's address and request id from the event.
pub fn service(state: HttpState) -> LambdaApi {
    ServiceBuilder::new().map_request(from_event as fn(Request) -> Request).service(router(state))
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
