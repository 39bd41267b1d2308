//! The whole pipeline in memory: HTTP creates over loopback into the router and in-memory
//! stack hosted in this process, with each of the four processors observed, so that the
//! moment every order is complete is known exactly. An order's life here is its creation and,
//! by default (`--pipeline-life paid`), its payment: the payment service confirms it as soon as
//! the record writer has stored it (in process, through the same use case as
//! `POST …/paymentconfirmation`), so every document of a paid order is rendered — the pro forma
//! at creation, the tax invoice and the receipt on payment — and four emails sent. The order is
//! complete when all four processors have handled both its events.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use adapters_http::auth::DevIssuer;
use adapters_http::cursor::CursorSigner;
use adapters_http::dto::DevTokenRequest;
use adapters_http::payfast::{PayfastConfig, PayfastVerifier};
use adapters_http::{HttpState, router, serve};
use async_trait::async_trait;
use hyper::StatusCode;
use order_app::{AppError, Consumer, ConsumerOptions, Processor, Subscription};
use order_domain::{EventEnvelope, OrderEvent, OrderStatus};
use order_ports::{PerProcessor, ProcessorKind};
use order_service::memory::{InMemoryStack, StackOptions, demo_config};
use tokio::time::Instant;

use crate::drive::{self, Load, MakeRequest, OnAnswer};
use crate::server::create_request;
use crate::stats::{Summary, histogram, record};
use crate::{Args, Report, Result, memory_kb};

/// What completes an order: each of the four processors handled its `ORDER_CREATED` (bits
/// 0–3) and, in a paid life, its change to `PAID` (bits 4–7).
fn complete_mask(life: Life) -> u8 {
    match life {
        Life::Create => 0b0000_1111,
        Life::Paid => 0b1111_1111,
    }
}

/// How far the pipeline takes each order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Life {
    /// Created only: the four processors handle `ORDER_CREATED` (one PDF, two emails).
    Create,
    /// Created and paid: the pro forma, the tax invoice and the receipt rendered, four emails.
    Paid,
}

#[derive(Default)]
struct Progress {
    /// Which processors finished (one bit each).
    finished: u8,
    /// When the fourth finished.
    complete_at: Option<Instant>,
    /// When its create was due.
    due: Option<Instant>,
}

/// Which processors have finished which order.
#[derive(Default)]
struct Tracker {
    orders: Mutex<HashMap<String, Progress>>,
    /// The bits that make an order complete.
    complete: u8,
}

impl Tracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Progress>> {
        self.orders.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn finished(&self, order: String, bit: u8) {
        let now = Instant::now();
        let mut orders = self.lock();
        let progress = orders.entry(order).or_default();
        progress.finished |= bit;
        if progress.finished == self.complete && progress.complete_at.is_none() {
            progress.complete_at = Some(now);
        }
    }

    /// The 202 may arrive after the processors are done: either order of events works.
    fn accepted(&self, order: String, due: Instant) {
        self.lock().entry(order).or_default().due = Some(due);
    }

    fn complete(&self) -> usize {
        self.lock().values().filter(|p| p.due.is_some() && p.complete_at.is_some()).count()
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

/// A processor that tells the tracker when it has handled an order's event; the record writer's
/// also has the payment service pay the order once it is stored, in a paid life.
struct Observed {
    inner: Arc<dyn Processor>,
    bit: u8,
    tracker: Arc<Tracker>,
    pays: Option<Arc<order_app::OrderApp>>,
}

#[async_trait]
impl Processor for Observed {
    fn kind(&self) -> ProcessorKind {
        self.inner.kind()
    }

    async fn handle(&self, event: &EventEnvelope) -> std::result::Result<(), AppError> {
        self.inner.handle(event).await?;
        let bit = match &event.event {
            OrderEvent::OrderCreated(created) => {
                if let Some(app) = &self.pays {
                    pay(app, created).await?;
                }
                self.bit
            }
            OrderEvent::OrderStatusChanged(changed) if changed.to == OrderStatus::Paid => self.bit << 4,
            _ => return Ok(()),
        };
        self.tracker.finished(event.event.order_id().to_string(), bit);
        Ok(())
    }

    fn system(&self) -> Option<&order_app::System> {
        self.inner.system()
    }
}

/// The payment service confirms `created`'s total, as `POST …/paymentconfirmation` would; a
/// redelivery confirms the same payment again, which the order recognises.
async fn pay(app: &order_app::OrderApp, created: &order_domain::OrderCreated) -> std::result::Result<(), AppError> {
    let order_id = created.order_id;
    let payment_id =
        order_domain::PaymentId::parse(format!("pf_{}", order_id.to_string().trim_start_matches("order_")))
            .map_err(|error| AppError::Rejected(order_domain::OrderError::Inconsistent(error.to_string())))?;
    let payment = order_domain::Payment {
        payment_id,
        amount: created.totals.total,
        method: order_domain::PaymentMethod::Payfast,
        paid_at: created.created_at,
    };
    let payer = order_app::Principal::Service(order_app::Service::Payment);
    app.confirm_payment(&payer, order_id, payment).await.map(|_| ())
}

struct Host {
    address: SocketAddr,
    token: String,
    tracker: Arc<Tracker>,
}

async fn host(args: &Args) -> Result<Host> {
    let stack = Arc::new(InMemoryStack::new(StackOptions::new(demo_config()))?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let issuer =
        tokio::task::spawn_blocking(move || DevIssuer::generate(format!("http://{address}/dev"), "bbws-dev")).await??;
    let token = issuer.mint(&DevTokenRequest { role: "cart".into(), tenant_id: None, ttl_secs: None })?.access_token;
    let itn = PayfastVerifier::new(PayfastConfig {
        merchant_id: "10000100".into(),
        passphrase: None,
        allowed_sources: Vec::new(),
    });
    let state = HttpState::new(
        stack.app.clone(),
        Arc::new(issuer.authenticator()),
        CursorSigner::new(&[7; 32])?,
        Arc::new(itn),
    )
    .with_dev_issuer(Arc::new(issuer));
    tokio::spawn(serve(listener, router(state), std::future::pending()));

    let tracker = Arc::new(Tracker { complete: complete_mask(args.pipeline_life), ..Tracker::default() });
    let observed = stack.processors().map(|kind, inner| {
        let bit = 1 << ProcessorKind::ALL.iter().position(|k| *k == kind).unwrap_or_default();
        let pays = (kind == ProcessorKind::RecordWriter && args.pipeline_life == Life::Paid).then(|| stack.app.clone());
        Arc::new(Observed { inner: inner.clone(), bit, tracker: tracker.clone(), pays }) as Arc<dyn Processor>
    });
    let workers = if args.pipeline_workers == 0 {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    } else {
        args.pipeline_workers
    };
    // The server's consumer, `workers` times over (as if that many worker processes shared the
    // queues): each consumes all four queues, a receive waiting up to the poll interval.
    let poll = Duration::from_millis(args.poll_ms.max(1));
    let options = ConsumerOptions { wait: poll, retry_delay: Duration::ZERO, ..ConsumerOptions::default() };
    for _ in 0..workers {
        let subscriptions = Subscription::per_processor(observed.clone(), &stack.event_queues(), &PerProcessor::all(8));
        let consumer = Consumer::new(subscriptions, options);
        tokio::spawn(async move { consumer.run(std::future::pending()).await });
    }
    println!("pipeline host at http://{address}: {workers} consumers, poll {} ms", poll.as_millis());
    Ok(Host { address, token, tracker })
}

/// Offers orders at `rate` for `duration` and waits (up to `settle`) for all of them to
/// complete. Latency: from when the create was due to when its fourth processor finished.
async fn offer(
    args: &Args,
    host: &Host,
    name: &str,
    rate: f64,
    duration: Duration,
    settle: Duration,
) -> Result<Summary> {
    host.tracker.clear();
    let (address, token) = (host.address, host.token.clone());
    let run = format!("{name}{}", std::process::id());
    let make: MakeRequest = Arc::new(move |n| create_request(address, &token, "tenant_pipeline", &run, n));
    let tracker = host.tracker.clone();
    let on_answer: OnAnswer = Arc::new(move |_, body, due| {
        if let Ok(accepted) = serde_json::from_slice::<serde_json::Value>(body)
            && let Some(id) = accepted["orderId"].as_str()
        {
            tracker.accepted(id.to_owned(), due);
        }
    });
    let start = Instant::now();
    let outcome = drive::run(Load {
        address,
        rate,
        duration,
        connections: args.pipeline_connections,
        make,
        expect: StatusCode::ACCEPTED,
        on_answer: Some(on_answer),
    })
    .await?;
    for sample in &outcome.samples {
        eprintln!("{name}: unexpected answer: {sample}");
    }
    let accepted = outcome.latencies.len();
    let deadline = Instant::now() + settle;
    while u64::try_from(host.tracker.complete()).unwrap_or(0) < accepted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut latencies = histogram();
    let (mut first_due, mut last_done) = (None::<Instant>, start);
    for progress in host.tracker.lock().values() {
        if let (Some(due), Some(done)) = (progress.due, progress.complete_at) {
            record(&mut latencies, done.saturating_duration_since(due));
            first_due = Some(first_due.map_or(due, |f| f.min(due)));
            last_done = last_done.max(done);
        }
    }
    let unfinished = accepted.saturating_sub(latencies.len());
    let elapsed = last_done.saturating_duration_since(first_due.unwrap_or(start));
    let summary = Summary::from_histogram(
        name,
        rate,
        args.pipeline_connections,
        &latencies,
        outcome.errors + unfinished,
        elapsed,
    );
    println!("{}", summary.line());
    Ok(summary)
}

/// The pipeline's capacity (orders completed per second when offered more than it can take)
/// and its order-completion latency at the configured rate.
pub async fn run(args: &Args, report: &mut Report) -> Result<()> {
    let host = host(args).await?;
    let settle = Duration::from_mins(2);
    if !args.warmup().is_zero() {
        offer(args, &host, "pipeline_warmup", args.pipeline_rate, args.warmup(), settle).await?;
    }
    report.summaries.push(offer(args, &host, "pipeline_latency", args.pipeline_rate, args.duration(), settle).await?);
    report
        .summaries
        .push(offer(args, &host, "pipeline_capacity", args.pipeline_max_rate, args.duration(), settle).await?);
    report.pipeline_process_peak_rss_kb = memory_kb("self").0;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_complete_when_all_four_processors_finished_and_its_create_was_answered() {
        let tracker = Tracker { complete: complete_mask(Life::Create), ..Tracker::default() };
        for bit in [1, 2, 4] {
            tracker.finished("o1".into(), bit);
        }
        tracker.accepted("o1".into(), Instant::now());
        assert_eq!(tracker.complete(), 0, "three of four");
        tracker.finished("o1".into(), 8);
        tracker.finished("o1".into(), 8); // a duplicate delivery changes nothing
        assert_eq!(tracker.complete(), 1);
        for bit in [1, 2, 4, 8] {
            tracker.finished("o2".into(), bit);
        }
        assert_eq!(tracker.complete(), 1, "the 202 of o2 has not arrived yet");
    }

    #[test]
    fn a_paid_order_is_complete_when_all_four_processors_handled_its_creation_and_its_payment() {
        let tracker = Tracker { complete: complete_mask(Life::Paid), ..Tracker::default() };
        tracker.accepted("o1".into(), Instant::now());
        for bit in [1, 2, 4, 8] {
            tracker.finished("o1".into(), bit);
        }
        assert_eq!(tracker.complete(), 0, "created, not yet paid");
        for bit in [1 << 4, 2 << 4, 4 << 4, 8 << 4] {
            tracker.finished("o1".into(), bit);
        }
        assert_eq!(tracker.complete(), 1);
    }
}
