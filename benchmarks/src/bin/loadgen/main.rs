//! The load generator: drives the HTTP server over loopback at a fixed, open-loop rate and
//! reports throughput and latency percentiles (HDR histograms) for creating (the 202 path),
//! reading and listing orders, and for the whole pipeline in memory; plus the server's peak
//! resident memory.
//!
//! ```sh
//! cargo build --release -p order-service --bin server && cargo build --release -p bbws-benchmarks --bin loadgen
//! target/release/loadgen --rate 2000 --connections 32 --duration-secs 10
//! ```
//!
//! # What runs where
//! - `create`, `get`, `list` run against the real `server --dev` binary, spawned as a child
//!   process (its path from `--server`, by default next to this program), so that its peak
//!   resident memory (`VmHWM` in `/proc/<pid>/status`) is the server's alone and nothing of the
//!   load generator is counted in it or competes inside its runtime. Its processors run as
//!   they would in development, polling every `--poll-ms`.
//! - `pipeline` needs to know when all four processors have finished each order, and the API
//!   does not say (an order reads the same before and after its invoice and emails exist). So
//!   the pipeline run hosts the same router and in-memory stack in this process, creates orders
//!   through HTTP over loopback exactly as a client would, and wraps each processor so that it
//!   notes when it finished an order. An order is complete when the fourth processor finishes;
//!   its latency counts from the moment its create was due.
//!
//! Every latency counts from when the request was due on the schedule, not from when it was
//! sent, so a stalled server cannot hide its stall (no coordinated omission).

mod drive;
mod pipeline;
mod scrape;
mod server;
mod stats;

use std::error::Error;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use serde::Serialize;

use crate::stats::Summary;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Load generator for the BBWS order server.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Args {
    /// Scenarios to run, comma-separated: create, get, list, pipeline.
    #[arg(long, value_delimiter = ',', default_value = "get,list,create,pipeline")]
    scenarios: Vec<String>,
    /// The server binary (`server` next to this program when absent).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Requests per second for create, get and list.
    #[arg(long, default_value_t = 2000.0)]
    rate: f64,
    /// Connections for create, get and list.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds of measured load per scenario.
    #[arg(long, default_value_t = 10.0)]
    duration_secs: f64,
    /// Seconds of unmeasured load before each measured run.
    #[arg(long, default_value_t = 2.0)]
    warmup_secs: f64,
    /// How long the processors' receive waits on an empty queue, in milliseconds (the server's
    /// minimum is 10).
    #[arg(long, default_value_t = 10)]
    poll_ms: u64,
    /// The server's log filter (`RUST_LOG`).
    #[arg(long, default_value = "warn")]
    server_log: String,
    /// Orders created (and waited for) before get and list run.
    #[arg(long, default_value_t = 200)]
    seed_orders: u64,
    /// Orders per second for the pipeline latency run.
    #[arg(long, default_value_t = 100.0)]
    pipeline_rate: f64,
    /// Orders per second offered in the pipeline throughput run (above what it can take, so
    /// that the completion rate is its capacity).
    #[arg(long, default_value_t = 800.0)]
    pipeline_max_rate: f64,
    /// How far the pipeline takes each order: `paid` (created and paid: the pro forma, the
    /// tax invoice and the receipt rendered, four emails) or `create` (one PDF, two emails).
    #[arg(long, value_enum, default_value_t = pipeline::Life::Paid)]
    pipeline_life: pipeline::Life,
    /// Connections for the pipeline runs.
    #[arg(long, default_value_t = 16)]
    pipeline_connections: usize,
    /// Consumers of the four queues in the pipeline runs (0: one per core).
    #[arg(long, default_value_t = 0)]
    pipeline_workers: usize,
    /// After create, wait until the server has processed every order (its CPU time stops
    /// growing: the processors have drained their queues, every PDF rendered and email sent)
    /// and report its resident memory then. `--rate` × `--duration-secs` orders are created.
    #[arg(long)]
    settle: bool,
    /// Start the server with its metrics off (`--metrics-addr off`): nothing recorded, no
    /// server's view; to measure what recording costs.
    #[arg(long)]
    no_server_metrics: bool,
    /// Start the server with `--no-processors`: its CPU time is then the API's alone (the
    /// processors would otherwise spend every idle cycle on the backlog), which is what the
    /// cost of recording metrics on the create path is measured by.
    #[arg(long)]
    no_server_processors: bool,
    /// Writes the results as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
}

impl Args {
    fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration_secs.max(0.1))
    }

    fn warmup(&self) -> Duration {
        Duration::from_secs_f64(self.warmup_secs.max(0.0))
    }

    fn wants(&self, scenario: &str) -> bool {
        self.scenarios.iter().any(|s| s.trim() == scenario)
    }
}

/// Everything one invocation measured.
#[derive(Debug, Default, Serialize)]
struct Report {
    summaries: Vec<Summary>,
    /// Peak resident memory of the spawned server (kB), after get and list.
    server_peak_rss_kb_reads: Option<u64>,
    /// Peak resident memory of the spawned server (kB), after create too.
    server_peak_rss_kb: Option<u64>,
    /// Resident memory of the spawned server (kB) at the end.
    server_rss_kb_end: Option<u64>,
    /// Orders the server holds at the end of its runs (every one is kept in memory).
    server_orders_created: u64,
    /// With `--settle`: seconds from the end of create until the server was idle.
    server_settle_secs: Option<f64>,
    /// With `--settle`: peak resident memory (kB) once every order was processed.
    server_peak_rss_kb_settled: Option<u64>,
    /// With `--settle`: resident memory (kB) once every order was processed.
    server_rss_kb_settled: Option<u64>,
    /// Peak resident memory (kB) of this process after the pipeline runs (the in-process stack
    /// plus the client).
    pipeline_process_peak_rss_kb: Option<u64>,
    /// The server's own view of each measured run, from its `/metrics`.
    server_views: Vec<scrape::ServerView>,
    /// What each of the server's processors handled over the whole run, and its lag.
    server_processors: Vec<scrape::ProcessorView>,
    /// The server's CPU time over each measured run.
    server_cpu: Vec<server::ServerCpu>,
    /// Whether the server recorded metrics (`--no-server-metrics` turns them off).
    server_metrics: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut report = Report { server_metrics: !args.no_server_metrics, ..Report::default() };
    if ["create", "get", "list"].iter().any(|s| args.wants(s)) {
        server::run(&args, &mut report).await?;
    }
    if args.wants("pipeline") {
        pipeline::run(&args, &mut report).await?;
    }
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
        println!("results written to {}", path.display());
    }
    Ok(())
}

/// Peak (`VmHWM`) and current (`VmRSS`) resident memory of a process, in kB, from
/// `/proc/<pid>/status` (`pid` may be `self`).
fn memory_kb(pid: &str) -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return (None, None) };
    (status_field(&status, "VmHWM:"), status_field(&status, "VmRSS:"))
}

/// The CPU time a process has used (user and system), in clock ticks, from `/proc/<pid>/stat`.
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn status_field(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_figures_are_read_from_proc_status() {
        let status = "Name:\tserver\nVmPeak:\t  900000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n";
        assert_eq!(status_field(status, "VmHWM:"), Some(51_234));
        assert_eq!(status_field(status, "VmRSS:"), Some(40_000));
        assert_eq!(status_field(status, "VmSwap:"), None);
    }

    #[test]
    fn this_process_has_used_cpu_time() {
        let spin = (0..2_000_000u64).fold(0u64, |sum, n| sum.wrapping_add(n * n));
        assert!(spin > 0 && cpu_ticks("self").is_some());
    }

    #[test]
    fn this_process_has_a_peak_resident_size() {
        let (peak, now) = memory_kb("self");
        assert!(peak.is_some_and(|p| p > 0) && now.is_some());
    }

    #[test]
    fn scenarios_are_chosen_by_name() {
        let args = Args::parse_from(["loadgen", "--scenarios", "get, list"]);
        assert!(args.wants("get") && args.wants("list") && !args.wants("create"));
    }
}
