//! The hosts' metrics exporters: what becomes of the figures [`order_app::metrics`] records.
//!
//! - The server and the worker serve Prometheus text (exposition format 0.0.4) at
//!   `GET /metrics` on an admin address of their own, loopback by default
//!   ([`DEFAULT_METRICS_ADDR`], `--metrics-addr`, `off` to record nothing), never on the API's
//!   address: the figures name routes and volumes, which are not the API's callers' business.
//! - The Lambda functions write CloudWatch Embedded Metric Format to stdout (feature `lambda`,
//!   [`emf`]).
//!
//! Every duration histogram is exported with the buckets of [`DURATION_BUCKETS`], chosen around
//! the HLD's targets so that "how many creates took over 300 ms" is one bucket boundary.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::info;

#[cfg(feature = "lambda")]
pub mod emf;

/// Where `/metrics` is served unless told otherwise: loopback, Prometheus's customary exporter
/// port range.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";

/// Bucket bounds of every duration histogram, in seconds: fine below 10 ms (the API's own
/// answers), and a bound at each HLD target — create 0.3 s, record 2 s, PDF 5 s, email 10 s,
/// end to end 15 s.
pub const DURATION_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0];

/// How often the exporter's histograms are compacted when nothing scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// `--metrics-addr`: the admin address `/metrics` is served on, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAddr {
    /// Record nothing: no recorder is installed, every recording is a no-op.
    Off,
    /// Serve `/metrics` here.
    On(SocketAddr),
}

/// A `--metrics-addr` that is neither `off` nor a socket address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address to serve metrics on (host:port, e.g. {DEFAULT_METRICS_ADDR}) nor `off`")]
pub struct BadMetricsAddr(String);

impl FromStr for MetricsAddr {
    type Err = BadMetricsAddr;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.trim().eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        value.trim().parse().map(Self::On).map_err(|_| BadMetricsAddr(value.to_owned()))
    }
}

impl fmt::Display for MetricsAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::On(addr) => addr.fmt(f),
        }
    }
}

/// The metrics could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Another recorder was installed first (the process installs one, once).
    #[error("could not install the metrics recorder: {0}")]
    Install(String),
    /// The admin address could not be bound.
    #[error("could not listen for /metrics on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why not.
        source: std::io::Error,
    },
}

/// Installs the Prometheus recorder as the process's recorder and describes every metric of
/// [`order_app::metrics::CATALOG`] to it; the handle renders the exposition text.
///
/// # Errors
/// [`MetricsError::Install`] when a recorder is already installed.
pub fn install_prometheus() -> Result<PrometheusHandle, MetricsError> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), DURATION_BUCKETS)
        .map_err(|error| MetricsError::Install(error.to_string()))?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|error| MetricsError::Install(error.to_string()))?;
    order_app::metrics::describe();
    Ok(handle)
}

/// `GET /metrics`: the Prometheus text of `handle`; every other path is 404.
pub fn admin_router(handle: PrometheusHandle) -> Router {
    Router::new().route("/metrics", get(render)).with_state(handle)
}

async fn render(State(handle): State<PrometheusHandle>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render())
}

/// Installs the Prometheus recorder and serves `/metrics` on `addr` until `shutdown` completes
/// (`MetricsAddr::Off`: installs nothing and returns at once). The listener is bound before this
/// returns, so a taken port stops the host at start-up.
///
/// # Errors
/// [`MetricsError`]: a recorder already installed, or the address not bound.
pub async fn serve_prometheus(
    addr: MetricsAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<tokio::task::JoinHandle<()>>, MetricsError> {
    let MetricsAddr::On(addr) = addr else {
        info!("metrics off: nothing is recorded");
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| MetricsError::Bind { addr, source })?;
    let handle = install_prometheus()?;
    let local = listener.local_addr().map_err(|source| MetricsError::Bind { addr, source })?;
    info!(address = %local, "serving Prometheus metrics at /metrics");
    let upkeep = handle.clone();
    Ok(Some(tokio::spawn(async move {
        let compact = async {
            let mut every = tokio::time::interval(UPKEEP_EVERY);
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        };
        let served = axum::serve(listener, admin_router(handle)).with_graceful_shutdown(shutdown);
        tokio::select! {
            result = served => if let Err(error) = result {
                tracing::warn!(%error, "the metrics listener failed");
            },
            () = compact => {}
        }
    })))
}
