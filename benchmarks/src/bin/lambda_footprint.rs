//! The footprint of Lambda bootstrap binaries: file size (as built, and stripped) and the time
//! from process start to ready, measured against a stub of the Lambda Runtime API.
//!
//! ```sh
//! cargo run -p bbws-benchmarks --bin lambda-footprint -- \
//!     lambda-api=target/release/lambda-api lambda-processor=target/release/lambda-processor
//! ```
//!
//! A Lambda runtime, once initialised, asks the Runtime API for its first event with
//! `GET /2018-06-01/runtime/invocation/next` (at the address in `AWS_LAMBDA_RUNTIME_API`).
//! "Ready" is the moment that request arrives: everything the bootstrap does before it
//! (loading configuration, building SDK clients, compiling templates, loading fonts) counts.
//! The stub never answers it; the process is killed once it has asked. A binary that does not
//! exist is reported as "not built", one that exits or never asks as failed.

// Byte counts become megabytes for display only.
#![allow(clippy::cast_precision_loss)]

use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// The request that marks a runtime ready.
const NEXT_INVOCATION: &str = "GET /2018-06-01/runtime/invocation/next";

/// Measures Lambda bootstrap binaries: size and start-to-ready time.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Binaries to measure, as NAME=PATH.
    #[arg(required = true)]
    binaries: Vec<String>,
    /// Starts per binary (the median and the largest are reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// How long to wait for the first request, in seconds.
    #[arg(long, default_value_t = 10)]
    timeout_secs: u64,
    /// Extra environment for the binaries, as KEY=VALUE (repeatable).
    #[arg(long = "env")]
    env: Vec<String>,
    /// Writes the results as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// What was measured for one binary.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Footprint {
    name: String,
    /// `ok`, `not built`, or why it failed.
    status: String,
    size_bytes: Option<u64>,
    stripped_bytes: Option<u64>,
    ready_ms_median: Option<f64>,
    ready_ms_max: Option<f64>,
    /// Peak resident memory when ready, kB.
    ready_rss_kb: Option<u64>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let env: Vec<(String, String)> = args
        .env
        .iter()
        .map(|pair| pair.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or("--env takes KEY=VALUE"))
        .collect::<std::result::Result<_, _>>()?;
    let mut rows = Vec::new();
    for spec in &args.binaries {
        let (name, path) = spec.split_once('=').ok_or("binaries are given as NAME=PATH")?;
        let row = measure(name, Path::new(path), args.runs.max(1), Duration::from_secs(args.timeout_secs), &env);
        rows.push(row);
    }
    println!(
        "| binary | size | stripped | start to ready (median, max of {}) | peak RSS at ready | status |",
        args.runs
    );
    println!("|---|---|---|---|---|---|");
    for row in &rows {
        let bytes = |b: Option<u64>| b.map_or_else(|| "–".to_owned(), |b| format!("{:.1} MB", b as f64 / 1e6));
        let ms = |m: Option<f64>| m.map_or_else(|| "–".to_owned(), |m| format!("{m:.1} ms"));
        println!(
            "| {} | {} | {} | {} / {} | {} | {} |",
            row.name,
            bytes(row.size_bytes),
            bytes(row.stripped_bytes),
            ms(row.ready_ms_median),
            ms(row.ready_ms_max),
            row.ready_rss_kb.map_or_else(|| "–".to_owned(), |kb| format!("{:.1} MB", kb as f64 / 1e3)),
            row.status
        );
    }
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_vec_pretty(&rows)?)?;
    }
    Ok(())
}

fn measure(name: &str, path: &Path, runs: usize, timeout: Duration, env: &[(String, String)]) -> Footprint {
    let mut row = Footprint {
        name: name.to_owned(),
        status: "not built".to_owned(),
        size_bytes: None,
        stripped_bytes: None,
        ready_ms_median: None,
        ready_ms_max: None,
        ready_rss_kb: None,
    };
    let Ok(meta) = std::fs::metadata(path) else { return row };
    row.size_bytes = Some(meta.len());
    row.stripped_bytes = stripped_size(path);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        match start_to_ready(name, path, timeout, env) {
            Ok((ready, rss)) => {
                times.push(ready);
                row.ready_rss_kb = row.ready_rss_kb.max(rss);
            }
            Err(error) => {
                row.status = format!("failed: {error}");
                return row;
            }
        }
    }
    let (median, max) = median_and_max(&mut times);
    row.ready_ms_median = Some(median.as_secs_f64() * 1e3);
    row.ready_ms_max = Some(max.as_secs_f64() * 1e3);
    "ok".clone_into(&mut row.status);
    row
}

/// The median (the lower of the two middle values for an even count) and the largest.
fn median_and_max(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort_unstable();
    let median = times.get(times.len().saturating_sub(1) / 2).copied().unwrap_or_default();
    (median, times.last().copied().unwrap_or_default())
}

/// The size after `strip` (on a copy), or `None` when `strip` is not available.
fn stripped_size(path: &Path) -> Option<u64> {
    let copy =
        std::env::temp_dir().join(format!("footprint-{}-{}", std::process::id(), path.file_name()?.to_string_lossy()));
    let status = Command::new("strip").arg("-o").arg(&copy).arg(path).stderr(Stdio::null()).status().ok()?;
    let size = status.success().then(|| std::fs::metadata(&copy).ok().map(|m| m.len())).flatten();
    let _ = std::fs::remove_file(&copy);
    size
}

/// Starts `path` against a fresh Runtime API stub; returns the time until it asked for its
/// first event and its peak resident memory (kB) at that moment.
fn start_to_ready(
    name: &str,
    path: &Path,
    timeout: Duration,
    env: &[(String, String)],
) -> Result<(Duration, Option<u64>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let api = listener.local_addr()?.to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            if asks_for_next(stream) {
                let _ = tx.send(Instant::now());
                return;
            }
        }
    });
    let started = Instant::now();
    let mut child = Command::new(path)
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "footprint")
        .env("AWS_REGION", "af-south-1")
        .env("AWS_DEFAULT_REGION", "af-south-1")
        .env("_HANDLER", "bootstrap")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = started + timeout;
    let outcome = loop {
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(ready) => {
                let rss = peak_rss_kb(child.id());
                break Ok((ready.saturating_duration_since(started), rss));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    break Err(format!("exited ({status}) before asking for an event").into());
                }
                if Instant::now() > deadline {
                    break Err(format!("never asked for an event within {timeout:?}").into());
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break Err("the stub stopped".into()),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

/// Reads one request head; answers anything but the next-invocation request with 404.
fn asks_for_next(stream: TcpStream) -> bool {
    let Ok(mut writer) = stream.try_clone() else { return false };
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return false;
    }
    if request_line.starts_with(NEXT_INVOCATION) {
        return true;
    }
    let _ = writer.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    false
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_reported_as_not_built() {
        let row = measure("lambda-api", Path::new("/nonexistent/lambda-api"), 1, Duration::from_secs(1), &[]);
        assert_eq!(row.status, "not built");
        assert_eq!(row.size_bytes, None);
    }

    #[test]
    fn ready_is_the_first_request_for_an_event() {
        // A stand-in runtime: bash opens the Runtime API address and asks for the next event.
        let script = r#"exec 3<>"/dev/tcp/${AWS_LAMBDA_RUNTIME_API%:*}/${AWS_LAMBDA_RUNTIME_API#*:}"
printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n' >&3
sleep 5"#;
        let dir = std::env::temp_dir().join(format!("footprint-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bootstrap");
        std::fs::write(&path, format!("#!/usr/bin/env bash\n{script}\n")).unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
        let row = measure("stand-in", &path, 2, Duration::from_secs(10), &[]);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(row.status, "ok");
        assert!(row.ready_ms_median.is_some() && row.ready_ms_max >= row.ready_ms_median);
    }

    #[test]
    fn a_binary_that_exits_without_asking_fails() {
        let row = measure("true", Path::new("/bin/true"), 1, Duration::from_secs(5), &[]);
        assert!(row.status.starts_with("failed: exited"), "{}", row.status);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_lower_middle() {
        let ms = Duration::from_millis;
        assert_eq!(median_and_max(&mut [ms(9), ms(1), ms(5), ms(3)]), (ms(3), ms(9)));
        assert_eq!(median_and_max(&mut [ms(2)]), (ms(2), ms(2)));
    }
}
