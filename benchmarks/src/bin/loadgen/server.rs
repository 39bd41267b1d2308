//! create, get and list against a spawned `server --dev`.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::drive::{self, Load, MakeRequest};
use crate::scrape;
use crate::stats::Summary;
use crate::{Args, Report, Result, cpu_ticks, memory_kb};

/// The tenant whose orders get and list read.
const READ_TENANT: &str = "tenant_read";
/// The tenant create writes to.
const WRITE_TENANT: &str = "tenant_load";

/// The server child process, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    /// Where it serves `/metrics` (`None` with `--no-server-metrics`).
    metrics: Option<SocketAddr>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_path(args: &Args) -> Result<PathBuf> {
    if let Some(path) = &args.server {
        return Ok(path.clone());
    }
    let me = std::env::current_exe()?;
    Ok(me.with_file_name("server"))
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn spawn(args: &Args) -> Result<Server> {
    let path = server_path(args)?;
    let address: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let metrics: Option<SocketAddr> =
        if args.no_server_metrics { None } else { Some(format!("127.0.0.1:{}", free_port()?).parse()?) };
    let child = Command::new(&path)
        .args(["--dev", "--bind", &address.to_string(), "--poll-ms", &args.poll_ms.to_string()])
        .args(["--metrics-addr", &metrics.map_or_else(|| "off".to_owned(), |metrics| metrics.to_string())])
        .args(args.no_server_processors.then_some("--no-processors"))
        .env("RUST_LOG", &args.server_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
    let server = Server { child, address, metrics };
    for _ in 0..300 {
        if let Ok(mut sender) = drive::connect(address).await
            && let Ok((StatusCode::OK, _)) = drive::send(&mut sender, get(address, "/health", None)).await
        {
            println!("server {} (pid {}) at http://{address}", path.display(), server.child.id());
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{} did not answer on {address}", path.display()).into())
}

fn get(address: SocketAddr, path: &str, token: Option<&str>) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().method(Method::GET).uri(path).header(header::HOST, address.to_string());
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(Full::new(Bytes::new())).unwrap_or_default()
}

fn post_json(address: SocketAddr, path: &str, token: Option<&str>, body: &serde_json::Value) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, address.to_string())
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(Full::new(Bytes::from(body.to_string()))).unwrap_or_default()
}

/// The body the cart service sends for cart `cart`: two priced lines (R1 349.00).
pub fn create_body(cart: &str, n: u64) -> serde_json::Value {
    json!({
        "cartId": cart,
        "customerEmail": format!("buyer{n}@bench.example.co.za"),
        "billingAddress": {"name": "Thandi Nkosi", "line1": "12 Long Street", "city": "Cape Town", "postalCode": "8001"},
        "items": [
            {"sku": "HOSTING-PRO", "description": "Hosting Pro, 12 months", "quantity": 2,
             "unitPrice": {"amount": "575.00", "currency": "ZAR"}},
            {"sku": "DOMAIN-COZA", "description": "co.za domain, 1 year", "quantity": 1,
             "unitPrice": {"amount": "199.00", "currency": "ZAR"}}
        ]
    })
}

/// A request creating order `n` of run `run` for `tenant` as the cart service.
pub fn create_request(address: SocketAddr, token: &str, tenant: &str, run: &str, n: u64) -> Request<Full<Bytes>> {
    let body = create_body(&format!("cart_{run}_{n}"), n);
    post_json(address, &format!("/v1.0/tenants/{tenant}/orders"), Some(token), &body)
}

async fn token(address: SocketAddr, request: serde_json::Value) -> Result<String> {
    let mut sender = drive::connect(address).await?;
    let (status, body) = drive::send(&mut sender, post_json(address, "/dev/token", None, &request)).await?;
    if status != StatusCode::OK {
        return Err(format!("/dev/token answered {status}").into());
    }
    let token: serde_json::Value = serde_json::from_slice(&body)?;
    token["accessToken"].as_str().map(str::to_owned).ok_or_else(|| "no accessToken".into())
}

/// Creates `count` orders for the read tenant and waits until every one is recorded.
async fn seed(address: SocketAddr, cart_token: &str, reader: &str, count: u64) -> Result<Vec<String>> {
    let mut sender = drive::connect(address).await?;
    let mut ids = Vec::new();
    for n in 0..count {
        let (status, body) =
            drive::send(&mut sender, create_request(address, cart_token, READ_TENANT, "seed", n)).await?;
        if status != StatusCode::ACCEPTED {
            return Err(format!("seeding answered {status}: {}", String::from_utf8_lossy(&body)).into());
        }
        let accepted: serde_json::Value = serde_json::from_slice(&body)?;
        ids.push(accepted["orderId"].as_str().unwrap_or_default().to_owned());
    }
    for id in &ids {
        let mut tries = 0;
        loop {
            let (status, _) =
                drive::send(&mut sender, get(address, &format!("/v1.0/orders/{id}"), Some(reader))).await?;
            if status == StatusCode::OK {
                break;
            }
            tries += 1;
            if tries > 3000 {
                return Err(format!("order {id} was never recorded").into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Ok(ids)
}

/// The server's CPU time (user and system, every thread) over a measured run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServerCpu {
    /// The scenario.
    pub scenario: String,
    /// Requests sent in the measured run.
    pub requests: u64,
    /// CPU seconds the server used meanwhile.
    pub cpu_secs: f64,
    /// CPU microseconds per request.
    pub cpu_us_per_request: f64,
}

/// The route a scenario requests, as the server's metrics name it.
struct Route {
    template: &'static str,
    method: &'static str,
}

async fn measure(
    args: &Args,
    name: &str,
    server: &Server,
    route: &Route,
    make: MakeRequest,
    expect: StatusCode,
    report: &mut Report,
) -> Result<Summary> {
    let address = server.address;
    let load = |duration| Load {
        address,
        rate: args.rate,
        duration,
        connections: args.connections,
        make: make.clone(),
        expect,
        on_answer: None,
    };
    if !args.warmup().is_zero() {
        drive::run(load(args.warmup())).await?;
    }
    let before = match server.metrics {
        Some(metrics) => Some(scrape::scrape(metrics).await?),
        None => None,
    };
    let pid = server.child.id().to_string();
    let ticks_before = cpu_ticks(&pid);
    let outcome = drive::run(load(args.duration())).await?;
    let ticks = cpu_ticks(&pid).zip(ticks_before).map(|(after, before)| after.saturating_sub(before));
    let view = match (server.metrics, before) {
        (Some(metrics), Some(before)) => {
            let after = scrape::scrape(metrics).await?;
            Some(scrape::ServerView::between(name, route.template, route.method, &before, &after))
        }
        _ => None,
    };
    for sample in &outcome.samples {
        eprintln!("{name}: unexpected answer: {sample}");
    }
    let summary =
        Summary::from_histogram(name, args.rate, args.connections, &outcome.latencies, outcome.errors, outcome.elapsed);
    println!("{}", summary.line());
    if let Some(ticks) = ticks {
        #[allow(clippy::cast_precision_loss)] // ticks and counts far below 2^52
        let cpu = ServerCpu {
            scenario: name.to_owned(),
            requests: summary.ok + summary.errors,
            cpu_secs: ticks as f64 / 100.0,
            cpu_us_per_request: ticks as f64 / 100.0 * 1e6 / (summary.ok + summary.errors).max(1) as f64,
        };
        println!(
            "{:<8} server CPU: {:.2} s over the run, {:.0} µs per request (every thread: the API and the processors)",
            name, cpu.cpu_secs, cpu.cpu_us_per_request
        );
        report.server_cpu.push(cpu);
    }
    if let Some(view) = view {
        println!("{}", view.line());
        report.server_views.push(view);
    }
    Ok(summary)
}

/// Waits until the server has processed every order it accepted, then notes its memory.
///
/// The API does not say when an order's PDF and emails exist (see the pipeline scenario), so
/// this waits for the server to go idle: its CPU time grows by less than 2 % of a core over each
/// of 3 consecutive seconds (an idle server only polls its empty queues), at most 15 minutes.
async fn settle(pid: &str, report: &mut Report) {
    let ticks_per_sec = 100; // USER_HZ on Linux.
    let started = std::time::Instant::now();
    let (mut last, mut quiet) = (cpu_ticks(pid).unwrap_or(0), 0);
    while quiet < 3 && started.elapsed() < Duration::from_mins(15) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = cpu_ticks(pid).unwrap_or(0);
        quiet = if now.saturating_sub(last) * 50 < ticks_per_sec { quiet + 1 } else { 0 };
        last = now;
    }
    let (peak, rss) = memory_kb(pid);
    let secs = started.elapsed().as_secs_f64();
    (report.server_settle_secs, report.server_peak_rss_kb_settled, report.server_rss_kb_settled) =
        (Some(secs), peak, rss);
    println!(
        "server idle {secs:.0} s after the last create: VmHWM {} kB, VmRSS {} kB",
        peak.unwrap_or_default(),
        rss.unwrap_or_default()
    );
}

/// Runs get, list and create (in that order, so that create's backlog of processor work does
/// not slow the reads) against a fresh server.
pub async fn run(args: &Args, report: &mut Report) -> Result<()> {
    let server = spawn(args).await?;
    let address = server.address;
    let pid = server.child.id().to_string();
    let cart = token(address, json!({"role": "cart"})).await?;
    let reader = token(address, json!({"role": "customer", "tenantId": READ_TENANT})).await?;
    // Without processors nothing is recorded: there is nothing to seed, nor to get or list.
    if args.no_server_processors && (args.wants("get") || args.wants("list")) {
        return Err("get and list read recorded orders: they need the server's processors".into());
    }
    let seeded = if args.no_server_processors {
        Vec::new()
    } else {
        seed(address, &cart, &reader, args.seed_orders.max(1)).await?
    };
    let ids = Arc::new(seeded);
    report.server_orders_created += ids.len() as u64;
    println!("seeded {} recorded orders for {READ_TENANT}", ids.len());

    if args.wants("get") {
        let (ids, reader) = (ids.clone(), reader.clone());
        let make: MakeRequest = Arc::new(move |i| {
            let id = &ids[usize::try_from(i).unwrap_or(0) % ids.len()];
            get(address, &format!("/v1.0/orders/{id}"), Some(&reader))
        });
        let route = Route { template: "/v1.0/orders/{order_id}", method: "GET" };
        let summary = measure(args, "get", &server, &route, make, StatusCode::OK, report).await?;
        report.summaries.push(summary);
    }
    if args.wants("list") {
        let reader = reader.clone();
        let path = format!("/v1.0/tenants/{READ_TENANT}/orders?limit=20");
        let make: MakeRequest = Arc::new(move |_| get(address, &path, Some(&reader)));
        let route = Route { template: "/v1.0/tenants/{tenant_id}/orders", method: "GET" };
        let summary = measure(args, "list", &server, &route, make, StatusCode::OK, report).await?;
        report.summaries.push(summary);
    }
    report.server_peak_rss_kb_reads = memory_kb(&pid).0;
    if args.wants("create") {
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (cart, seen) = (cart.clone(), counter.clone());
        // Every request is a new cart: a repeated cart would be answered from its claim.
        let make: MakeRequest = Arc::new(move |_| {
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            create_request(address, &cart, WRITE_TENANT, "load", n)
        });
        let route = Route { template: "/v1.0/tenants/{tenant_id}/orders", method: "POST" };
        let summary = measure(args, "create", &server, &route, make, StatusCode::ACCEPTED, report).await?;
        report.summaries.push(summary);
        report.server_orders_created += counter.load(std::sync::atomic::Ordering::Relaxed);
    }
    if args.settle {
        settle(&pid, report).await;
    }
    if let Some(metrics) = server.metrics {
        report.server_processors = scrape::processors(&scrape::scrape(metrics).await?);
        for view in &report.server_processors {
            println!(
                "server's {}: {:.0} handled, {:.0} failed, lag p50 ≈ {} ms, p99 ≈ {} ms",
                view.processor,
                view.handled,
                view.failed,
                view.lag_p50_s.map_or_else(|| "–".to_owned(), |s| format!("{:.2}", s * 1000.0)),
                view.lag_p99_s.map_or_else(|| "–".to_owned(), |s| format!("{:.2}", s * 1000.0)),
            );
        }
    }
    let (peak, now) = memory_kb(&pid);
    report.server_peak_rss_kb = peak;
    report.server_rss_kb_end = now;
    println!(
        "server peak RSS: {} kB after get/list, {} kB overall ({} orders held in memory)",
        report.server_peak_rss_kb_reads.unwrap_or_default(),
        peak.unwrap_or_default(),
        report.server_orders_created
    );
    Ok(())
}
