//! The server's own view of a run, read from its Prometheus `/metrics` (see
//! `order_service::metrics`): how many requests of a scenario's route it answered, by status
//! class, and their latency as its histogram tells it; at the end, what each processor handled
//! and its lag. Printed and reported beside the client's figures, so a difference between what
//! the client waited and what the server measured (queueing in the kernel or the client) shows.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use serde::Serialize;

use crate::Result;
use crate::drive;

type Exposition = MetricsExposition<PrometheusType, PrometheusValue>;

/// One parsed scrape of `/metrics`.
pub struct Scrape(Exposition);

/// Reads the server's `/metrics` at `address`.
///
/// # Errors
/// When the server does not answer 200 or the text does not parse.
pub async fn scrape(address: SocketAddr) -> Result<Scrape> {
    let mut sender = drive::connect(address).await?;
    let request = Request::builder()
        .method(Method::GET)
        .uri("/metrics")
        .header(header::HOST, address.to_string())
        .body(Full::new(Bytes::new()))?;
    let (status, body) = drive::send(&mut sender, request).await?;
    if status != StatusCode::OK {
        return Err(format!("/metrics answered {status}").into());
    }
    let text = String::from_utf8(body.to_vec())?;
    let parsed = openmetrics_parser::prometheus::parse_prometheus(&text).map_err(|error| format!("{error:?}"))?;
    Ok(Scrape(parsed))
}

/// A histogram's cumulative buckets (upper bound, count), in order.
#[derive(Debug, Clone, Default)]
struct Buckets(Vec<(f64, f64)>);

impl Buckets {
    fn total(&self) -> f64 {
        self.0.last().map_or(0.0, |(_, count)| *count)
    }

    /// `self` minus an earlier reading of the same histogram.
    fn since(&self, before: &Self) -> Self {
        Self(
            self.0
                .iter()
                .map(|(bound, count)| {
                    let earlier =
                        before.0.iter().find(|(b, _)| b.to_bits() == bound.to_bits()).map_or(0.0, |(_, c)| *c);
                    (*bound, count - earlier)
                })
                .collect(),
        )
    }

    /// The `q` quantile as Prometheus's `histogram_quantile` estimates it: linear within the
    /// bucket that holds it. `None` without samples; the largest finite bound when it falls in
    /// the `+Inf` bucket.
    fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.total();
        if total <= 0.0 {
            return None;
        }
        let rank = q * total;
        let (mut lower, mut below) = (0.0, 0.0);
        for (bound, count) in &self.0 {
            if *count >= rank {
                if bound.is_infinite() {
                    return Some(lower);
                }
                let within = count - below;
                let share = if within > 0.0 { (rank - below) / within } else { 1.0 };
                return Some(lower + (bound - lower) * share);
            }
            (lower, below) = (*bound, *count);
        }
        Some(lower)
    }
}

impl Scrape {
    fn samples<'a>(
        &'a self,
        family: &str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = (BTreeMap<String, String>, &'a PrometheusValue)> + 'a {
        self.0.families.get(family).into_iter().flat_map(move |family| {
            family.iter_samples().filter_map(move |sample| {
                let set = sample.get_labelset().ok()?;
                if !labels.iter().all(|(key, value)| set.get_label_value(key) == Some(*value)) {
                    return None;
                }
                let all = set.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                Some((all, &sample.value))
            })
        })
    }

    fn counter_by(&self, family: &str, labels: &[(&str, &str)], by: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for (set, value) in self.samples(family, labels) {
            if let PrometheusValue::Counter(counter) = value {
                *out.entry(set.get(by).cloned().unwrap_or_default()).or_default() += counter.value.as_f64();
            }
        }
        out
    }

    fn histogram(&self, family: &str, labels: &[(&str, &str)]) -> Buckets {
        let mut buckets: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for (_, value) in self.samples(family, labels) {
            if let PrometheusValue::Histogram(histogram) = value {
                for bucket in &histogram.buckets {
                    let entry = buckets.entry(order_key(bucket.upper_bound)).or_insert((bucket.upper_bound, 0.0));
                    entry.1 += bucket.count.as_f64();
                }
            }
        }
        Buckets(buckets.into_values().collect())
    }
}

/// A sort key for a bucket bound (finite, non-negative, or +Inf).
fn order_key(bound: f64) -> u64 {
    if bound.is_infinite() { u64::MAX } else { bound.to_bits() }
}

/// What the server saw of one scenario's measured run.
#[derive(Debug, Clone, Serialize)]
pub struct ServerView {
    /// The scenario (`create`, `get`, `list`).
    pub scenario: String,
    /// The route template it requests.
    pub route: String,
    /// Requests the server answered on that route during the run, by status class.
    pub answered: BTreeMap<String, f64>,
    /// Its median time to answer, milliseconds (estimated from the histogram's buckets).
    pub p50_ms: Option<f64>,
    /// Its 99th percentile, milliseconds (estimated from the buckets).
    pub p99_ms: Option<f64>,
}

impl ServerView {
    /// The server's view of `scenario` on `route` and `method` between two scrapes.
    pub fn between(scenario: &str, route: &str, method: &str, before: &Scrape, after: &Scrape) -> Self {
        let labels = [("route", route), ("method", method)];
        let classes_before = before.counter_by(order_app::metrics::HTTP_REQUESTS, &labels, "status_class");
        let mut answered = after.counter_by(order_app::metrics::HTTP_REQUESTS, &labels, "status_class");
        for (class, count) in &mut answered {
            *count -= classes_before.get(class).copied().unwrap_or_default();
        }
        answered.retain(|_, count| *count > 0.0);
        let name = order_app::metrics::HTTP_REQUEST_DURATION;
        let times = after.histogram(name, &labels).since(&before.histogram(name, &labels));
        Self {
            scenario: scenario.to_owned(),
            route: route.to_owned(),
            answered,
            p50_ms: times.quantile(0.5).map(|s| s * 1000.0),
            p99_ms: times.quantile(0.99).map(|s| s * 1000.0),
        }
    }

    /// One line for the console.
    pub fn line(&self) -> String {
        let answered: Vec<String> = self.answered.iter().map(|(class, n)| format!("{n:.0} {class}")).collect();
        format!(
            "{:<8} server's view: {} answered, p50 ≈ {} ms, p99 ≈ {} ms (from its histogram buckets)",
            self.scenario,
            answered.join(", "),
            self.p50_ms.map_or_else(|| "–".to_owned(), |ms| format!("{ms:.2}")),
            self.p99_ms.map_or_else(|| "–".to_owned(), |ms| format!("{ms:.2}")),
        )
    }
}

/// What one processor of the server did over the whole run.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessorView {
    /// The processor (`invoice-writer`).
    pub processor: String,
    /// Events it handled.
    pub handled: f64,
    /// Attempts that failed.
    pub failed: f64,
    /// Median lag (event timestamp to handled), seconds, estimated from the buckets.
    pub lag_p50_s: Option<f64>,
    /// 99th percentile of the lag, seconds.
    pub lag_p99_s: Option<f64>,
}

/// Each processor's counts and lag in `scrape`.
pub fn processors(scrape: &Scrape) -> Vec<ProcessorView> {
    order_ports::ProcessorKind::ALL
        .iter()
        .map(|kind| {
            let labels = [("processor", kind.name())];
            let total = |family| scrape.counter_by(family, &labels, "processor").values().fold(0.0, |sum, n| sum + n);
            let lag = scrape.histogram(order_app::metrics::EVENT_LAG, &labels);
            ProcessorView {
                processor: kind.name().to_owned(),
                handled: total(order_app::metrics::EVENTS_HANDLED),
                failed: total(order_app::metrics::EVENTS_FAILED),
                lag_p50_s: lag.quantile(0.5),
                lag_p99_s: lag.quantile(0.99),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Buckets;

    #[test]
    fn quantiles_interpolate_within_their_bucket_as_prometheus_does() {
        // 100 samples: 50 up to 1 ms, 40 more up to 5 ms, 10 more up to 10 ms.
        let buckets = Buckets(vec![(0.001, 50.0), (0.005, 90.0), (0.01, 100.0), (f64::INFINITY, 100.0)]);
        assert!((buckets.quantile(0.5).unwrap() - 0.001).abs() < 1e-12);
        assert!((buckets.quantile(0.7).unwrap() - 0.003).abs() < 1e-12);
        assert!((buckets.quantile(0.99).unwrap() - 0.0095).abs() < 1e-12);
        assert_eq!(Buckets::default().quantile(0.5), None);
        let before = Buckets(vec![(0.001, 50.0), (0.005, 50.0), (0.01, 50.0), (f64::INFINITY, 50.0)]);
        assert!((buckets.since(&before).total() - 50.0).abs() < 1e-12);
    }
}
