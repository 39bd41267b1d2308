//! The development server as a user starts it (`server --dev`, the built binary on a loopback
//! socket): its order ids are random, so none tells how many orders came before it or which
//! comes next, and its demo carts are ordered only by their owners, as the cart service's are;
//! its Prometheus metrics show an order's way through the API and the four processors, and the
//! depth of their queues.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

/// The running binary; killed when the test ends, however it ends.
struct DevServer {
    child: Child,
    base: String,
    /// Where its Prometheus metrics are served.
    metrics: String,
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start() -> DevServer {
    // A free port: the development issuer names the bound address in its tokens.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let metrics_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--dev", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
        .env_remove("BBWS_BACKEND")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = DevServer {
        child,
        base: format!("http://127.0.0.1:{port}"),
        metrics: format!("http://127.0.0.1:{metrics_port}/metrics"),
    };
    for _ in 0..300 {
        if reqwest::get(format!("{}/health", server.base)).await.is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server --dev did not answer /health within 30 s");
}

async fn token(server: &DevServer, body: Value) -> String {
    let response = reqwest::Client::new().post(format!("{}/dev/token", server.base)).json(&body).send().await.unwrap();
    response.json::<Value>().await.unwrap()["accessToken"].as_str().unwrap().to_owned()
}

fn create_body(cart: &str) -> Value {
    json!({
        "cartId": cart,
        "customerEmail": "thandi@acme.co.za",
        "billingAddress": {"name": "Thandi Nkosi", "line1": "12 Long Street", "city": "Cape Town", "postalCode": "8001"}
    })
}

async fn create(server: &DevServer, path: &str, token: Option<&str>, cart: &str) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(format!("{}{path}", server.base)).json(&create_body(cart));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

/// The 80 bits of randomness of an order id's ULID (`order_` + 10 characters of time + 16).
fn random_part(id: &str) -> u128 {
    let ulid = id.strip_prefix("order_").unwrap();
    ulid::Ulid::from_string(ulid).unwrap().random()
}

#[tokio::test]
async fn the_development_server_hands_out_random_ids_and_orders_a_cart_only_for_its_owner() {
    let server = start().await;
    let acme = token(&server, json!({"role": "customer", "tenantId": "tenant_acme"})).await;
    let tenant_path = "/v1.0/tenants/tenant_acme/orders";

    let (status, first) = create(&server, tenant_path, Some(&acme), "cart_demo_1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, second) = create(&server, tenant_path, Some(&acme), "cart_demo_3").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{second}");
    let (first, second) =
        (random_part(first["orderId"].as_str().unwrap()), random_part(second["orderId"].as_str().unwrap()));
    assert!(first > 1 << 40 || second > 1 << 40, "not a counter: {first}, {second}");
    assert_ne!(second.abs_diff(first), 1, "not consecutive: {first}, {second}");

    // Even demo carts are guests': a tenant's customer is told they do not exist; odd ones are
    // tenant_acme's: a guest, or another tenant's customer, is told the same.
    let (status, refused) = create(&server, tenant_path, Some(&acme), "cart_demo_2").await;
    assert_eq!(
        (status, refused["type"].as_str().unwrap().ends_with("cart-not-found")),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "{refused}"
    );
    let (status, refused) = create(&server, "/v1.0/orders", None, "cart_demo_5").await;
    assert_eq!(
        (status, refused["type"].as_str().unwrap().ends_with("cart-not-found")),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "{refused}"
    );
    let other = token(&server, json!({"role": "customer", "tenantId": "tenant_other"})).await;
    let (status, refused) = create(&server, "/v1.0/tenants/tenant_other/orders", Some(&other), "cart_demo_1").await;
    assert_eq!(
        (status, refused["type"].as_str().unwrap().ends_with("cart-not-found")),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "{refused}"
    );
    let (status, guest) = create(&server, "/v1.0/orders", None, "cart_demo_2").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{guest}");
}

type Exposition =
    openmetrics_parser::MetricsExposition<openmetrics_parser::PrometheusType, openmetrics_parser::PrometheusValue>;

/// The server's metrics, parsed by a parser of the Prometheus text format.
async fn scrape(server: &DevServer) -> Exposition {
    let response = reqwest::get(&server.metrics).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    openmetrics_parser::prometheus::parse_prometheus(&text).unwrap_or_else(|error| panic!("{error:?}\n{text}"))
}

/// The value of the sample of family `name` whose labels include `labels`; for a histogram, its
/// count of samples.
fn sample(scrape: &Exposition, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    use openmetrics_parser::PrometheusValue;
    let family = scrape.families.get(name)?;
    family
        .iter_samples()
        .find(|sample| {
            let set = sample.get_labelset().unwrap();
            labels.iter().all(|(key, value)| set.get_label_value(key) == Some(*value))
        })
        .map(|sample| match &sample.value {
            PrometheusValue::Counter(counter) => counter.value.as_f64(),
            PrometheusValue::Gauge(value) | PrometheusValue::Unknown(value) => value.as_f64(),
            #[allow(clippy::cast_precision_loss)]
            PrometheusValue::Histogram(histogram) => histogram.count.unwrap() as f64,
            PrometheusValue::Summary(_) => panic!("{name} is a summary, not a histogram"),
        })
}

const PROCESSORS: [&str; 4] = ["record-writer", "invoice-writer", "internal-notifier", "customer-notifier"];

#[tokio::test]
async fn an_order_through_the_api_shows_in_the_servers_prometheus_metrics() {
    let server = start().await;
    let acme = token(&server, json!({"role": "customer", "tenantId": "tenant_acme"})).await;
    let (status, created) = create(&server, "/v1.0/tenants/tenant_acme/orders", Some(&acme), "cart_demo_1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let (status, refused) = create(&server, "/v1.0/tenants/tenant_acme/orders", Some(&acme), "cart_demo_2").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // Every processor handles ORDER_CREATED (the invoice writer writes the pro forma); the
    // metrics say so once each has measured its lag.
    let lag_of = |scrape: &Exposition, processor: &str| {
        sample(scrape, "bbws_event_lag_seconds", &[("processor", processor), ("event_type", "ORDER_CREATED")])
    };
    let mut scrape = scrape(&server).await;
    for _ in 0..300 {
        if PROCESSORS.iter().all(|processor| lag_of(&scrape, processor) == Some(1.0)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        scrape = self::scrape(&server).await;
    }
    for processor in PROCESSORS {
        assert_eq!(lag_of(&scrape, processor), Some(1.0), "{processor}'s lag sample");
        let handled =
            sample(&scrape, "bbws_events_handled_total", &[("processor", processor), ("event_type", "ORDER_CREATED")]);
        assert_eq!(handled, Some(1.0), "{processor} handled ORDER_CREATED once");
        let took = sample(&scrape, "bbws_event_handling_duration_seconds", &[("processor", processor)]);
        assert!(took >= Some(1.0), "{processor}'s handling time: {took:?}");
        assert_eq!(sample(&scrape, "bbws_events_failed_total", &[("processor", processor)]), None);
        // The background service samples every queue from the start.
        for state in ["visible", "in_flight", "delayed"] {
            let messages = sample(&scrape, "bbws_queue_messages", &[("processor", processor), ("state", state)]);
            assert!(messages.is_some(), "{processor}'s {state} messages are sampled");
        }
        let dead = sample(&scrape, "bbws_dead_letter_queue_messages", &[("processor", processor)]);
        assert_eq!(dead, Some(0.0), "{processor}'s dead letters");
        let oldest = sample(&scrape, "bbws_queue_oldest_message_age_seconds", &[("processor", processor)]);
        assert!(oldest >= Some(0.0), "in memory the oldest message's age is known: {oldest:?}");
    }
    let route = "/v1.0/tenants/{tenant_id}/orders";
    let requests = |class| {
        sample(&scrape, "bbws_http_requests_total", &[("route", route), ("method", "POST"), ("status_class", class)])
    };
    assert_eq!((requests("2xx"), requests("4xx")), (Some(1.0), Some(1.0)), "one accepted create, one refused");
    let answered = sample(&scrape, "bbws_http_request_duration_seconds", &[("route", route), ("method", "POST")]);
    assert_eq!(answered, Some(2.0), "both creates timed");
    assert_eq!(sample(&scrape, "bbws_orders_created_total", &[("buyer", "tenant")]), Some(1.0));
    assert_eq!(sample(&scrape, "bbws_documents_written_total", &[("kind", "PRO_FORMA")]), Some(1.0));
    let lag = &scrape.families["bbws_event_lag_seconds"];
    assert_eq!(lag.family_type, openmetrics_parser::PrometheusType::Histogram);
    assert!(lag.help.contains("timestamp"), "described: {}", lag.help);

    // Only /metrics is served there; the API's address serves no metrics.
    let elsewhere = reqwest::get(server.metrics.replace("/metrics", "/other")).await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    let on_the_api = reqwest::get(format!("{}/metrics", server.base)).await.unwrap();
    assert_eq!(on_the_api.status(), StatusCode::NOT_FOUND);
}
