//! What recording a create's metrics costs the request: the API's counter and latency
//! histogram and the orders-created counter (`order_app::metrics`), with no recorder installed
//! (every call a no-op) and with the server's Prometheus recorder
//! (`order_service::metrics::install_prometheus`).
//!
//! `cargo bench -p order-service --bench metrics`

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use order_app::metrics::{ORDERS_CREATED, http_request};

/// What one create records: its answer (route template, method, status, time) and the order.
fn record_a_create() {
    http_request(black_box("/v1.0/tenants/{tenant_id}/orders"), "POST", 202, Duration::from_micros(260));
    metrics::counter!(ORDERS_CREATED, "buyer" => "tenant").increment(1);
}

fn recording(c: &mut Criterion) {
    c.bench_function("metrics/create_recorded/no_recorder", |b| b.iter(record_a_create));
    let handle = order_service::metrics::install_prometheus().expect("the first recorder of this process");
    c.bench_function("metrics/create_recorded/prometheus", |b| b.iter(record_a_create));
    // The exposition text stays readable however many times a create was recorded.
    assert!(handle.render().contains("bbws_http_requests_total"));
}

criterion_group!(benches, recording);
criterion_main!(benches);
