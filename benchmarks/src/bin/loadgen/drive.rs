//! The open-loop HTTP driver: a fixed number of HTTP/1.1 keep-alive connections taking requests
//! from one shared schedule.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::Result;
use crate::stats::{due_after, histogram, record, request_count};

/// Builds request number `index`.
pub type MakeRequest = Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync>;

/// Told about every answer with the expected status: the request's index, its body and when it
/// was due.
pub type OnAnswer = Arc<dyn Fn(u64, &Bytes, Instant) + Send + Sync>;

/// One load run.
pub struct Load {
    /// The server.
    pub address: SocketAddr,
    /// Requests per second.
    pub rate: f64,
    /// How long requests are started for.
    pub duration: Duration,
    /// Connections, each carrying one request at a time.
    pub connections: usize,
    /// The request to send.
    pub make: MakeRequest,
    /// The status that counts as success.
    pub expect: StatusCode,
    /// Told about every success.
    pub on_answer: Option<OnAnswer>,
}

/// What a run measured: latencies of successes (µs, from the time each request was due),
/// failures, and the time from the start of the schedule to the last answer.
pub struct Outcome {
    /// Latencies of successful requests.
    pub latencies: Histogram<u64>,
    /// Requests answered with another status, or not answered.
    pub errors: u64,
    /// From the first due time to the last answer.
    pub elapsed: Duration,
    /// The first few unexpected answers, for the log.
    pub samples: Vec<String>,
}

/// Runs `load`: each connection takes the next index from the schedule, waits until it is due
/// and sends it. When every connection is busy a request starts late, and its latency still
/// counts from when it was due.
///
/// # Errors
/// When no connection can be opened.
pub async fn run(load: Load) -> Result<Outcome> {
    let total = request_count(load.rate, load.duration);
    let next = Arc::new(AtomicU64::new(0));
    let load = Arc::new(load);
    // Connect everyone before the clock starts.
    let mut senders = Vec::with_capacity(load.connections);
    for _ in 0..load.connections.max(1) {
        senders.push(connect(load.address).await?);
    }
    let start = Instant::now() + Duration::from_millis(20);
    let workers: Vec<_> = senders
        .into_iter()
        .map(|sender| {
            let (load, next) = (load.clone(), next.clone());
            tokio::spawn(worker(load, next, total, start, sender))
        })
        .collect();
    let mut outcome = Outcome { latencies: histogram(), errors: 0, elapsed: Duration::ZERO, samples: Vec::new() };
    let mut last = start;
    for worker in workers {
        let part = worker.await?;
        outcome.latencies.add(&part.latencies)?;
        outcome.errors += part.errors;
        outcome.samples.extend(part.samples);
        last = last.max(part.last);
    }
    outcome.samples.truncate(5);
    outcome.elapsed = last.saturating_duration_since(start);
    Ok(outcome)
}

struct Part {
    latencies: Histogram<u64>,
    errors: u64,
    samples: Vec<String>,
    last: Instant,
}

async fn worker(
    load: Arc<Load>,
    next: Arc<AtomicU64>,
    total: u64,
    start: Instant,
    mut sender: SendRequest<Full<Bytes>>,
) -> Part {
    let mut part = Part { latencies: histogram(), errors: 0, samples: Vec::new(), last: start };
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= total {
            return part;
        }
        let due = start + due_after(index, load.rate);
        tokio::time::sleep_until(due).await;
        let answer = send(&mut sender, (load.make)(index)).await;
        let done = Instant::now();
        part.last = part.last.max(done);
        match answer {
            Ok((status, body)) if status == load.expect => {
                record(&mut part.latencies, done.saturating_duration_since(due));
                if let Some(on_answer) = &load.on_answer {
                    on_answer(index, &body, due);
                }
            }
            Ok((status, body)) => {
                part.errors += 1;
                if part.samples.len() < 5 {
                    part.samples.push(format!("{status}: {}", String::from_utf8_lossy(&body)));
                }
            }
            Err(error) => {
                part.errors += 1;
                if part.samples.len() < 5 {
                    part.samples.push(error.to_string());
                }
                // The connection may be gone: open another one for the next request.
                if let Ok(fresh) = connect(load.address).await {
                    sender = fresh;
                }
            }
        }
    }
}

/// Opens one HTTP/1.1 connection (Nagle off, as a latency-sensitive client would).
///
/// # Errors
/// When the server cannot be reached.
pub async fn connect(address: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer.
///
/// # Errors
/// When the connection fails.
pub async fn send(sender: &mut SendRequest<Full<Bytes>>, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes)> {
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}
