//! A stub of the cart service: the API of `openapi/cart-service.yaml` on `127.0.0.1:0`, with
//! faults scripted per request and every request recorded. `order-service`'s tests include
//! this file too (`#[path]`), to run the application against the cart service over a socket.
//!
//! It writes its JSON by hand from the domain's getters — never through the gateway's own
//! DTOs — so the tests check the gateway against the documented wire format, not against
//! itself.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use adapters_cart_service::{CartServiceConfig, CartServiceToken, HttpCartGateway, RetryPolicy};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use order_domain::{CartOwner, CartSnapshot};
use serde_json::{Value, json};

/// The token the stub expects unless told otherwise.
pub const TOKEN: &str = "stub-t0ken.~+/=";

/// What the stub does with the next request instead of (or before) answering normally.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status with a problem body.
    Status(u16),
    /// Answer this status with a problem body and this `Retry-After`.
    RetryAfter(u16, &'static str),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer 200 with this body.
    Body(String),
}

/// One request as the stub saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    pub at: Instant,
}

#[derive(Default)]
struct Stub {
    token: String,
    /// Cart JSON by cart id, as served.
    carts: Mutex<HashMap<String, Value>>,
    script: Mutex<VecDeque<Fault>>,
    seen: Mutex<Vec<Seen>>,
}

/// A running stub. The server runs until the test's runtime shuts down.
#[derive(Clone)]
pub struct StubCartService {
    addr: SocketAddr,
    stub: Arc<Stub>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl StubCartService {
    /// A stub with no carts, expecting [`TOKEN`].
    pub async fn start() -> Self {
        Self::expecting(TOKEN).await
    }

    /// A stub with no carts, expecting `token`.
    pub async fn expecting(token: &str) -> Self {
        Self::listening(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), token)
    }

    /// A stub with no carts, expecting [`TOKEN`], on `addr` (a cart service that was down and
    /// comes back where the gateway expects it).
    #[allow(dead_code, reason = "order-service's tests include this file and use it; this crate's do not")]
    pub async fn start_on(addr: SocketAddr) -> Self {
        Self::listening(tokio::net::TcpListener::bind(addr).await.unwrap(), TOKEN)
    }

    fn listening(listener: tokio::net::TcpListener, token: &str) -> Self {
        let stub = Arc::new(Stub { token: token.to_owned(), ..Stub::default() });
        let addr = listener.local_addr().unwrap();
        let router = Router::new().fallback(answer).with_state(stub.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { addr, stub }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `snapshot`, active or not.
    pub fn add_cart(&self, snapshot: &CartSnapshot, active: bool) -> &Self {
        self.add_raw(snapshot.cart_id().as_str(), cart_json(snapshot, active))
    }

    /// Serves `json` as the cart `id`, whatever it holds.
    pub fn add_raw(&self, id: &str, json: Value) -> &Self {
        lock(&self.stub.carts).insert(id.to_owned(), json);
        self
    }

    /// The next requests meet these faults, one each, in order; then normal answers.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) -> &Self {
        lock(&self.stub.script).extend(faults);
        self
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.stub.seen).clone()
    }

    /// A configuration for this stub with test-sized timings: 500 ms per request, 3 attempts,
    /// back-off from 10 ms capped at 40 ms, `Retry-After` honoured up to 2 s.
    pub fn config(&self) -> CartServiceConfig {
        config_for(&self.base_url())
    }

    /// A gateway with [`StubCartService::config`].
    pub fn gateway(&self) -> HttpCartGateway {
        HttpCartGateway::new(&self.config()).unwrap()
    }
}

/// Test-sized timings (see [`StubCartService::config`]) for any base URL.
pub fn config_for(base_url: &str) -> CartServiceConfig {
    CartServiceConfig::new(base_url, CartServiceToken::new(TOKEN).unwrap())
        .unwrap()
        .with_timeout(Duration::from_millis(500))
        .with_retry(RetryPolicy {
            max_attempts: 3.try_into().unwrap(),
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(2),
        })
}

/// The API's JSON for a cart, written from the domain's getters.
pub fn cart_json(snapshot: &CartSnapshot, active: bool) -> Value {
    let lines: Vec<Value> = snapshot
        .lines()
        .iter()
        .map(|line| {
            json!({
                "sku": line.sku().as_str(),
                "description": line.description().as_str(),
                "quantity": line.quantity().get(),
                "unitPrice": line.unit_price().amount().to_string(),
            })
        })
        .collect();
    let tenant = match snapshot.owner() {
        CartOwner::Guest => Value::Null,
        CartOwner::Tenant(tenant) => json!(tenant.as_str()),
    };
    json!({
        "cartId": snapshot.cart_id().as_str(),
        "tenantId": tenant,
        "active": active,
        "currency": snapshot.currency().code(),
        "lines": lines,
    })
}

fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({ "title": status.canonical_reason(), "status": status.as_u16(), "detail": detail });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

async fn answer(State(stub): State<Arc<Stub>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
    lock(&stub.seen).push(Seen {
        method: method.clone(),
        path: uri.path().to_owned(),
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    let fault = lock(&stub.script).pop_front();
    match fault {
        Some(Fault::Status(code)) => {
            return problem(StatusCode::from_u16(code).unwrap(), "scripted failure");
        }
        Some(Fault::RetryAfter(code, after)) => {
            let mut response = problem(StatusCode::from_u16(code).unwrap(), "scripted pause");
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(after));
            return response;
        }
        Some(Fault::Body(body)) => return (StatusCode::OK, body).into_response(),
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    if text(header::AUTHORIZATION) != Some(format!("Bearer {}", stub.token)) {
        return problem(StatusCode::UNAUTHORIZED, "unknown service token");
    }
    // Any base-URL prefix is accepted before the API's own paths.
    let Some((_, rest)) = uri.path().split_once("/internal/carts/") else {
        return problem(StatusCode::NOT_FOUND, "no such route");
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let mut carts = lock(&stub.carts);
    match (method, segments.as_slice()) {
        (Method::GET, [id]) => match carts.get(*id) {
            Some(cart) => {
                (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], cart.to_string()).into_response()
            }
            None => problem(StatusCode::NOT_FOUND, "no such cart"),
        },
        (Method::PUT, [id, "status"]) => {
            if serde_json::from_slice::<Value>(&body).ok() != Some(json!({ "active": false })) {
                return problem(StatusCode::BAD_REQUEST, "expected {\"active\": false}");
            }
            match carts.get_mut(*id) {
                Some(cart) => {
                    cart["active"] = json!(false);
                    StatusCode::NO_CONTENT.into_response()
                }
                None => problem(StatusCode::NOT_FOUND, "no such cart"),
            }
        }
        _ => problem(StatusCode::METHOD_NOT_ALLOWED, "no such operation"),
    }
}
