//! The HTTP API as a Lambda function behind API Gateway (HTTP API, payload format 2.0): the
//! same [`router`] as the server, wrapped so that what a socket would tell the
//! server comes from the event instead.
//!
//! - The caller's address (PayFast's source check) is the event's `requestContext.http.sourceIp`.
//! - The request id is the client's `X-Request-Id`, else API Gateway's `requestContext.requestId`,
//!   so that the gateway's access log, the function's logs and the events' `correlationId` agree.
//! - The trace is the client's W3C `traceparent`, else the invocation's X-Ray trace (the Lambda
//!   context's `Root=1-…;Parent=…;Sampled=…`, read as the `traceparent` it is equivalent to), so
//!   that the order's events and the processors' spans continue the X-Ray trace of the request.
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

use adapters_http::{HttpState, REQUEST_ID, TRACEPARENT, router};

/// The service `lambda_http::run` drives: the router behind `from_event`, which reads the
/// caller's address, request id and trace from the event.
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
    let xray =
        request.lambda_context_ref().and_then(|context| context.xray_trace_id.as_deref()).and_then(traceparent_of_xray);
    if !request.headers().contains_key(TRACEPARENT)
        && let Some(trace) = xray.and_then(|trace| HeaderValue::from_str(&trace).ok())
    {
        request.headers_mut().insert(TRACEPARENT, trace);
    }
    request
}

/// The W3C `traceparent` equivalent to an X-Ray trace header
/// (`Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled={0|1}`, in any order): the root's 32 hex
/// digits are the trace id, the parent is the parent id. `None` without a root and a parent,
/// or when they are not well formed.
pub fn traceparent_of_xray(header: &str) -> Option<String> {
    let field = |name: &str| {
        header.split(';').find_map(|part| part.trim().strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
    };
    let root = field("Root")?.strip_prefix("1-")?;
    let (time, random) = root.split_once('-')?;
    let sampled = if field("Sampled") == Some("0") { "00" } else { "01" };
    let traceparent = format!("00-{time}{random}-{}-{sampled}", field("Parent")?);
    order_domain::TraceParent::parse(&traceparent).ok().map(|trace| trace.to_string())
}

#[cfg(test)]
mod tests {
    use super::traceparent_of_xray;

    #[test]
    fn an_xray_trace_header_reads_as_its_traceparent() {
        assert_eq!(
            traceparent_of_xray("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
                .as_deref(),
            Some("00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01")
        );
        assert_eq!(
            traceparent_of_xray("Parent=53995c3f42cd8ad8; Root=1-5759e988-bd862e3fe1be46a994272793; Sampled=0")
                .as_deref(),
            Some("00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00")
        );
        for broken in [
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-BD862E3FE1BE46A994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988;Parent=53995c3f42cd8ad8",
        ] {
            assert_eq!(traceparent_of_xray(broken), None, "{broken}");
        }
    }
}
