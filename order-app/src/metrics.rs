//! What the application measures, recorded through the [`metrics`] facade at its edges (the API,
//! the processors, the consumer, the committed changes), never in the domain.
//!
//! The facade works like `log`: libraries record, the host installs one recorder that decides
//! where the figures go. With no recorder installed (the quickstart, an embedder that does not
//! want metrics) every call is a no-op costing an atomic load. The hosts install:
//! - the server and the worker: a Prometheus recorder, served as text at `/metrics` on a
//!   loopback admin address (`--metrics-addr`);
//! - the Lambda functions: CloudWatch Embedded Metric Format, one JSON document per invocation
//!   on stdout (no API call), under the CloudWatch names and dimensions of [`CATALOG`].
//!
//! Why `metrics` rather than OpenTelemetry's metrics SDK: it is a facade with no global state
//! beyond the recorder, so recording in a library costs nothing when nobody listens, and both
//! exporters the hosts need (Prometheus text, EMF) are small, well-kept crates on it; traces stay
//! with `tracing`, whose spans carry the W3C trace context (see [`context`](crate::context)).
//!
//! # The metrics
//!
//! Every metric the application records is in [`CATALOG`], with its Prometheus name (recorded
//! as such; Prometheus conventions: `snake_case`, base units, `_total` on counters, `_seconds`
//! on durations) and its CloudWatch name and dimensions (`PascalCase`, the unit given to
//! CloudWatch, only the labels worth a CloudWatch dimension — each combination is a metric
//! CloudWatch bills):
//!
//! | Prometheus | labels | CloudWatch (dimensions) | what |
//! |---|---|---|---|
//! | `bbws_http_requests_total` | route, method, status_class | `HttpRequests` (StatusClass) | API requests answered, by route template and status class (`2xx` … `5xx`) |
//! | `bbws_http_request_duration_seconds` | route, method | `HttpRequestDuration`, Seconds (Route, Method) | time to answer, per route |
//! | `bbws_events_handled_total` | processor, event_type | `EventsHandled` (Processor) | events a processor handled |
//! | `bbws_events_failed_total` | processor, event_type | `EventsFailed` (Processor) | failed attempts (each is retried or dead-lettered) |
//! | `bbws_events_retried_total` | processor | `EventsRetried` (Processor) | failed attempts released for another try (a message that is not an event too) |
//! | `bbws_events_dead_lettered_total` | processor | `EventsDeadLettered` (Processor) | failed attempts that spent the retry budget: the message goes to the dead-letter queue (a message that is not an event too) |
//! | `bbws_events_deferred_total` | processor | `EventsDeferred` (Processor) | attempts that met another worker's lease (contention, no retry spent) |
//! | `bbws_event_handling_duration_seconds` | processor | `EventHandlingDuration`, Seconds (Processor) | time one attempt took |
//! | `bbws_event_lag_seconds` | processor, event_type | `EventLag`, Seconds (Processor) | from the event's timestamp to its handling done: the HLD's "record < 2 s", "PDF < 5 s", "email < 10 s", "end to end < 15 s" |
//! | `bbws_orders_created_total` | buyer (`tenant`, `guest`) | `OrdersCreated` (Buyer) | orders accepted (a replayed create is not counted again) |
//! | `bbws_order_status_changes_total` | status | `OrderStatusChanges` (Status) | committed status changes by the status reached: `PAID` is orders paid, `CANCELLED`, `EXPIRED`, `REFUNDED` … |
//! | `bbws_unapplied_payments_total` | reason | `UnappliedPayments` (Reason) | verified payments the order did not take (`ORDER_CLOSED` is a late payment) |
//! | `bbws_documents_written_total` | kind | `DocumentsWritten` (Kind) | documents rendered and stored (a redelivery that writes one again counts again) |
//! | `bbws_queue_messages` | processor, state (`visible`, `in_flight`, `delayed`) | — (SQS's own metrics) | messages in a processor's queue, sampled by the worker and the server ([`BackgroundOptions::queue_depth_every`](crate::BackgroundOptions::queue_depth_every)) |
//! | `bbws_dead_letter_queue_messages` | processor | — (SQS's own metrics) | messages in a processor's dead-letter queue |
//! | `bbws_queue_oldest_message_age_seconds` | processor | — (SQS's `ApproximateAgeOfOldestMessage`) | age of the oldest message waiting, where the queue can tell |

use std::time::Duration;

use metrics::Unit;
use order_domain::{EventEnvelope, OrderEvent, OrderStatus};
use order_ports::{ProcessorKind, QueueDepth};

/// API requests answered (counter).
pub const HTTP_REQUESTS: &str = "bbws_http_requests_total";
/// Time to answer an API request, seconds (histogram).
pub const HTTP_REQUEST_DURATION: &str = "bbws_http_request_duration_seconds";
/// Events handled (counter).
pub const EVENTS_HANDLED: &str = "bbws_events_handled_total";
/// Failed attempts at an event (counter).
pub const EVENTS_FAILED: &str = "bbws_events_failed_total";
/// Failed attempts released for another try (counter).
pub const EVENTS_RETRIED: &str = "bbws_events_retried_total";
/// Failed attempts that spent the retry budget (counter).
pub const EVENTS_DEAD_LETTERED: &str = "bbws_events_dead_lettered_total";
/// Attempts that met another worker's lease (counter).
pub const EVENTS_DEFERRED: &str = "bbws_events_deferred_total";
/// Time one attempt at an event took, seconds (histogram).
pub const EVENT_HANDLING_DURATION: &str = "bbws_event_handling_duration_seconds";
/// From an event's timestamp to its handling done, seconds (histogram).
pub const EVENT_LAG: &str = "bbws_event_lag_seconds";
/// Orders accepted (counter).
pub const ORDERS_CREATED: &str = "bbws_orders_created_total";
/// Committed status changes, by the status reached (counter).
pub const ORDER_STATUS_CHANGES: &str = "bbws_order_status_changes_total";
/// Verified payments the order did not take (counter).
pub const UNAPPLIED_PAYMENTS: &str = "bbws_unapplied_payments_total";
/// Documents rendered and stored (counter).
pub const DOCUMENTS_WRITTEN: &str = "bbws_documents_written_total";
/// Messages in a processor's queue (gauge).
pub const QUEUE_MESSAGES: &str = "bbws_queue_messages";
/// Messages in a processor's dead-letter queue (gauge).
pub const DEAD_LETTER_QUEUE_MESSAGES: &str = "bbws_dead_letter_queue_messages";
/// Age of the oldest message in a processor's queue, seconds (gauge).
pub const QUEUE_OLDEST_MESSAGE_AGE: &str = "bbws_queue_oldest_message_age_seconds";

/// How a metric aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up; a rate is read from it.
    Counter,
    /// A distribution of samples (percentiles, counts).
    Histogram,
    /// A value that goes up and down, sampled.
    Gauge,
}

/// One metric: its name in each ecosystem, its unit, its labels. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricSpec {
    /// The name it is recorded (and exported to Prometheus) under.
    pub name: &'static str,
    /// Counter, histogram or gauge.
    pub kind: MetricKind,
    /// Its unit (durations in seconds).
    pub unit: Unit,
    /// The labels it is recorded with.
    pub labels: &'static [&'static str],
    /// Its CloudWatch name, `None` where CloudWatch has the figure itself (the queues').
    pub cloudwatch: Option<&'static str>,
    /// The labels that become CloudWatch dimensions (their names in `PascalCase`); the others
    /// are added up.
    pub dimensions: &'static [(&'static str, &'static str)],
    /// What it counts or measures.
    pub help: &'static str,
}

const PROCESSOR: (&str, &str) = ("processor", "Processor");

/// Every metric the application records (see the [module docs](self) for the table).
pub const CATALOG: &[MetricSpec] = &[
    MetricSpec {
        name: HTTP_REQUESTS,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["route", "method", "status_class"],
        cloudwatch: Some("HttpRequests"),
        dimensions: &[("status_class", "StatusClass")],
        help: "API requests answered, by route template, method and status class",
    },
    MetricSpec {
        name: HTTP_REQUEST_DURATION,
        kind: MetricKind::Histogram,
        unit: Unit::Seconds,
        labels: &["route", "method"],
        cloudwatch: Some("HttpRequestDuration"),
        dimensions: &[("route", "Route"), ("method", "Method")],
        help: "Time to answer an API request, by route template and method",
    },
    MetricSpec {
        name: EVENTS_HANDLED,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["processor", "event_type"],
        cloudwatch: Some("EventsHandled"),
        dimensions: &[PROCESSOR],
        help: "Events a processor handled",
    },
    MetricSpec {
        name: EVENTS_FAILED,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["processor", "event_type"],
        cloudwatch: Some("EventsFailed"),
        dimensions: &[PROCESSOR],
        help: "Failed attempts at an event (each one is retried or dead-lettered)",
    },
    MetricSpec {
        name: EVENTS_RETRIED,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["processor"],
        cloudwatch: Some("EventsRetried"),
        dimensions: &[PROCESSOR],
        help: "Failed attempts released for another try",
    },
    MetricSpec {
        name: EVENTS_DEAD_LETTERED,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["processor"],
        cloudwatch: Some("EventsDeadLettered"),
        dimensions: &[PROCESSOR],
        help: "Failed attempts that spent the retry budget; the message goes to the dead-letter queue",
    },
    MetricSpec {
        name: EVENTS_DEFERRED,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["processor"],
        cloudwatch: Some("EventsDeferred"),
        dimensions: &[PROCESSOR],
        help: "Attempts that met another worker's lease (contention; no retry spent)",
    },
    MetricSpec {
        name: EVENT_HANDLING_DURATION,
        kind: MetricKind::Histogram,
        unit: Unit::Seconds,
        labels: &["processor"],
        cloudwatch: Some("EventHandlingDuration"),
        dimensions: &[PROCESSOR],
        help: "Time one attempt at an event took",
    },
    MetricSpec {
        name: EVENT_LAG,
        kind: MetricKind::Histogram,
        unit: Unit::Seconds,
        labels: &["processor", "event_type"],
        cloudwatch: Some("EventLag"),
        dimensions: &[PROCESSOR],
        help: "From an event's timestamp to its handling done",
    },
    MetricSpec {
        name: ORDERS_CREATED,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["buyer"],
        cloudwatch: Some("OrdersCreated"),
        dimensions: &[("buyer", "Buyer")],
        help: "Orders accepted, by a tenant or a guest",
    },
    MetricSpec {
        name: ORDER_STATUS_CHANGES,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["status"],
        cloudwatch: Some("OrderStatusChanges"),
        dimensions: &[("status", "Status")],
        help: "Committed status changes, by the status reached",
    },
    MetricSpec {
        name: UNAPPLIED_PAYMENTS,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["reason"],
        cloudwatch: Some("UnappliedPayments"),
        dimensions: &[("reason", "Reason")],
        help: "Verified payments the order did not take (ORDER_CLOSED: a late payment)",
    },
    MetricSpec {
        name: DOCUMENTS_WRITTEN,
        kind: MetricKind::Counter,
        unit: Unit::Count,
        labels: &["kind"],
        cloudwatch: Some("DocumentsWritten"),
        dimensions: &[("kind", "Kind")],
        help: "Documents rendered and stored, by kind",
    },
    MetricSpec {
        name: QUEUE_MESSAGES,
        kind: MetricKind::Gauge,
        unit: Unit::Count,
        labels: &["processor", "state"],
        cloudwatch: None,
        dimensions: &[],
        help: "Messages in a processor's queue: visible, in flight, delayed",
    },
    MetricSpec {
        name: DEAD_LETTER_QUEUE_MESSAGES,
        kind: MetricKind::Gauge,
        unit: Unit::Count,
        labels: &["processor"],
        cloudwatch: None,
        dimensions: &[],
        help: "Messages in a processor's dead-letter queue",
    },
    MetricSpec {
        name: QUEUE_OLDEST_MESSAGE_AGE,
        kind: MetricKind::Gauge,
        unit: Unit::Seconds,
        labels: &["processor"],
        cloudwatch: None,
        dimensions: &[],
        help: "Age of the oldest message in a processor's queue, where the queue can tell",
    },
];

/// The catalog entry of `name`, if the application records it.
pub fn spec(name: &str) -> Option<&'static MetricSpec> {
    CATALOG.iter().find(|spec| spec.name == name)
}

/// Describes every metric of [`CATALOG`] (unit and help text) to the installed recorder. Hosts
/// call it once, after installing their recorder.
pub fn describe() {
    for spec in CATALOG {
        match spec.kind {
            MetricKind::Counter => metrics::describe_counter!(spec.name, spec.unit, spec.help),
            MetricKind::Histogram => metrics::describe_histogram!(spec.name, spec.unit, spec.help),
            MetricKind::Gauge => metrics::describe_gauge!(spec.name, spec.unit, spec.help),
        }
    }
}

/// The status class of an HTTP status code (`"2xx"`), the label of [`HTTP_REQUESTS`].
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records one answered API request: `route` is the route's template (`/v1.0/orders/{order_id}`,
/// never the path itself, which would make a series per order), `elapsed` the time to answer.
pub fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let (route, method) = (route.to_owned(), method.to_owned());
    metrics::counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status_class" => status_class(status))
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, "route" => route, "method" => method).record(elapsed.as_secs_f64());
}

/// How one attempt at an event ended, as the metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Handled.
    Handled,
    /// Failed; another try follows.
    Retried,
    /// Failed with the retry budget spent: the message goes to the dead-letter queue.
    DeadLettered,
    /// Failed; whether another try follows is not known here.
    Failed,
    /// Met another worker's lease.
    Deferred,
}

impl Attempt {
    /// A failed attempt on the `receive_count`-th receive of a message whose queue moves it to
    /// its dead-letter queue after `retry_budget` receives (`None`: not known).
    pub fn failed(receive_count: u32, retry_budget: Option<u32>) -> Self {
        match retry_budget {
            Some(budget) if receive_count >= budget => Self::DeadLettered,
            Some(_) => Self::Retried,
            None => Self::Failed,
        }
    }
}

/// Records what became of an attempt beyond handled or failed (which
/// [`handle_event`](crate::processors::handle_event) records): retried, dead-lettered or deferred.
pub fn attempt(kind: ProcessorKind, attempt: Attempt) {
    let name = match attempt {
        Attempt::Retried => EVENTS_RETRIED,
        Attempt::DeadLettered => EVENTS_DEAD_LETTERED,
        Attempt::Deferred => EVENTS_DEFERRED,
        Attempt::Handled | Attempt::Failed => return,
    };
    metrics::counter!(name, "processor" => kind.name()).increment(1);
}

/// Records one sample of a processor's queue ([`QUEUE_MESSAGES`] by state,
/// [`DEAD_LETTER_QUEUE_MESSAGES`], and [`QUEUE_OLDEST_MESSAGE_AGE`] where the queue tells it).
/// The [background service](crate::background) samples every queue of its processors.
pub fn queue_depth(kind: ProcessorKind, depth: &QueueDepth) {
    // Far below 2^52 messages in any queue: the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let gauge = |count: u64| count as f64;
    let processor = kind.name();
    for (state, count) in [("visible", depth.visible), ("in_flight", depth.in_flight), ("delayed", depth.delayed)] {
        metrics::gauge!(QUEUE_MESSAGES, "processor" => processor, "state" => state).set(gauge(count));
    }
    metrics::gauge!(DEAD_LETTER_QUEUE_MESSAGES, "processor" => processor).set(gauge(depth.dead_letters));
    if let Some(age) = depth.oldest_age {
        metrics::gauge!(QUEUE_OLDEST_MESSAGE_AGE, "processor" => processor).set(age.as_secs_f64());
    }
}

/// Records one attempt's outcome and time, and, when it was handled, its lag (`lag`: from the
/// event's timestamp to now; `None` when the processor has no clock).
pub(crate) fn event_done(
    kind: ProcessorKind,
    event: &EventEnvelope,
    handled: bool,
    took: Duration,
    lag: Option<Duration>,
) {
    let (processor, event_type) = (kind.name(), event.event.event_type());
    let counter = if handled { EVENTS_HANDLED } else { EVENTS_FAILED };
    metrics::counter!(counter, "processor" => processor, "event_type" => event_type).increment(1);
    metrics::histogram!(EVENT_HANDLING_DURATION, "processor" => processor).record(took.as_secs_f64());
    if let (true, Some(lag)) = (handled, lag) {
        metrics::histogram!(EVENT_LAG, "processor" => processor, "event_type" => event_type).record(lag.as_secs_f64());
    }
}

/// Records an accepted order (`guest`: created by a guest).
pub(crate) fn order_created(guest: bool) {
    metrics::counter!(ORDERS_CREATED, "buyer" => if guest { "guest" } else { "tenant" }).increment(1);
}

/// Records the events of one committed change: the status reached, an unapplied payment.
pub(crate) fn committed(envelopes: &[EventEnvelope]) {
    for envelope in envelopes {
        match &envelope.event {
            OrderEvent::OrderStatusChanged(changed) => {
                metrics::counter!(ORDER_STATUS_CHANGES, "status" => status_name(changed.to)).increment(1);
            }
            OrderEvent::UnappliedPaymentReceived(payment) => {
                metrics::counter!(UNAPPLIED_PAYMENTS, "reason" => payment.reason.as_str()).increment(1);
            }
            OrderEvent::OrderCreated(_) | OrderEvent::UnappliedPaymentRefunded(_) => {}
        }
    }
}

/// Records a document written, by its kind's name.
pub(crate) fn document_written(kind: &'static str) {
    metrics::counter!(DOCUMENTS_WRITTEN, "kind" => kind).increment(1);
}

fn status_name(status: OrderStatus) -> &'static str {
    status.as_str()
}
