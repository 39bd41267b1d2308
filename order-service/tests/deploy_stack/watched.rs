//! What the stack's alarms and dashboard may watch: a metric the application writes — a
//! CloudWatch name of `order_app::metrics::CATALOG`, in the stack's metrics namespace, with
//! exactly the dimensions the catalog gives it (CloudWatch keeps a metric per dimension set, so a
//! query naming one dimension more or less finds nothing), valued as the application values
//! them, read with a statistic its kind has — or one SQS or Lambda publishes for the stack's own
//! queues and functions. A misspelt name, a dimension the application does not write or a
//! percentile of a counter would give an alarm that never fires and a graph that stays empty.

use std::collections::BTreeSet;

use order_app::metrics::{CATALOG, MetricKind, status_class};
use order_domain::OrderStatus;
use order_ports::ProcessorKind;
use serde_json::Value;

/// The routes as the application records them (`Route`): the route templates of
/// adapters-http's router, axum's matched path — `{tenant_id}`, not API Gateway's `{tenantId}`.
pub const APP_ROUTES: [&str; 7] = [
    "/v1.0/tenants/{tenant_id}/orders",
    "/v1.0/orders",
    "/v1.0/orders/{order_id}",
    "/v1.0/orders/{order_id}/paymentconfirmation",
    "/v1.0/orders/{order_id}/payments/{payment_id}/refund",
    "/v1.0/orders/{order_id}/documents",
    "/v1.0/orders/{order_id}/documents/{name}",
];

/// The metrics of `AWS/SQS` (per `QueueName`) the stack may watch.
const SQS_METRICS: [&str; 5] = [
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateAgeOfOldestMessage",
    "NumberOfMessagesSent",
    "NumberOfMessagesDeleted",
];

/// The metrics of `AWS/Lambda` (per `FunctionName`) the stack may watch.
const LAMBDA_METRICS: [&str; 5] = ["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"];

/// One metric an alarm or a graph reads, and the statistic it reads it with.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    pub namespace: String,
    pub name: String,
    /// `(name, value)`, as given.
    pub dimensions: Vec<(String, String)>,
    pub stat: String,
}

impl Watched {
    /// `Name Dim=Value …` with the dimensions sorted: the metric, whatever the statistic.
    pub fn key(&self) -> String {
        let mut dimensions: Vec<String> =
            self.dimensions.iter().map(|(name, value)| format!("{name}={value}")).collect();
        dimensions.sort();
        std::iter::once(self.name.clone()).chain(dimensions).collect::<Vec<_>>().join(" ")
    }

    /// The metrics an alarm reads, as `DescribeAlarms` gives it: its metric, or those of its
    /// metric math.
    pub fn of_alarm(alarm: &Value) -> Vec<Watched> {
        let dimensions = |metric: &Value| -> Vec<(String, String)> {
            metric["Dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| (text(&d["Name"]), text(&d["Value"])))
                .collect()
        };
        match alarm["Metrics"].as_array() {
            Some(queries) if !queries.is_empty() => queries
                .iter()
                .filter(|query| query["MetricStat"].is_object())
                .map(|query| {
                    let metric = &query["MetricStat"]["Metric"];
                    Watched {
                        namespace: text(&metric["Namespace"]),
                        name: text(&metric["MetricName"]),
                        dimensions: dimensions(metric),
                        stat: text(&query["MetricStat"]["Stat"]),
                    }
                })
                .collect(),
            _ => {
                let stat = alarm["Statistic"].as_str().or(alarm["ExtendedStatistic"].as_str()).unwrap_or_default();
                vec![Watched {
                    namespace: text(&alarm["Namespace"]),
                    name: text(&alarm["MetricName"]),
                    dimensions: dimensions(alarm),
                    stat: stat.to_owned(),
                }]
            }
        }
    }

    /// The metrics a graph widget of a dashboard body lists: each entry is
    /// `[namespace, name, dimension, value, …, {options}]`, or `[{"expression": …}]`, which reads
    /// only other entries. The statistic is the entry's own or the widget's.
    pub fn of_widget(widget: &Value) -> Vec<Watched> {
        let properties = &widget["properties"];
        let mut watched = Vec::new();
        for entry in properties["metrics"].as_array().into_iter().flatten() {
            let entry = entry.as_array().expect("a dashboard metric entry is an array");
            let (fields, options) = match entry.last() {
                Some(Value::Object(options)) => (&entry[..entry.len() - 1], Some(options)),
                _ => (&entry[..], None),
            };
            if fields.is_empty() {
                assert!(options.is_some_and(|o| o.contains_key("expression")), "an empty entry: {entry:?}");
                continue;
            }
            assert!(fields.len() >= 2 && fields.len() % 2 == 0, "namespace, name and dimension pairs: {entry:?}");
            let fields: Vec<String> = fields.iter().map(text).collect();
            let stat = options.and_then(|o| o.get("stat")).unwrap_or(&properties["stat"]);
            watched.push(Watched {
                namespace: fields[0].clone(),
                name: fields[1].clone(),
                dimensions: fields[2..].chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect(),
                stat: text(stat),
            });
        }
        watched
    }
}

/// The names of the deployed stack a watched metric may carry.
pub struct Scope {
    /// The stack's `MetricsNamespace` output.
    pub namespace: String,
    /// Its queues and dead-letter queues.
    pub queues: BTreeSet<String>,
    /// Its functions.
    pub functions: BTreeSet<String>,
}

impl Scope {
    /// Panics, naming `by` (the alarm or widget), unless `watched` is a metric that exists (see
    /// the module docs).
    pub fn check(&self, watched: &Watched, by: &str) {
        let Watched { namespace, name, dimensions, stat } = watched;
        let only = |dimension: &str, values: &BTreeSet<String>| {
            let [(given, value)] = dimensions.as_slice() else {
                panic!("{by}: {namespace} {name} has the one dimension {dimension}, not {dimensions:?}");
            };
            assert_eq!(given, dimension, "{by}: {namespace} {name}");
            assert!(values.contains(value), "{by}: {namespace} {name}: {value} is none of the stack's {values:?}");
        };
        match namespace.as_str() {
            "AWS/SQS" => {
                assert!(SQS_METRICS.contains(&name.as_str()), "{by}: AWS/SQS has no metric {name} we watch");
                only("QueueName", &self.queues);
            }
            "AWS/Lambda" => {
                assert!(LAMBDA_METRICS.contains(&name.as_str()), "{by}: AWS/Lambda has no metric {name} we watch");
                only("FunctionName", &self.functions);
            }
            ours if ours == self.namespace => {
                let spec = CATALOG.iter().find(|spec| spec.cloudwatch == Some(name.as_str())).unwrap_or_else(|| {
                    panic!("{by}: {name} is not the CloudWatch name of any metric in order_app::metrics::CATALOG")
                });
                let expected: BTreeSet<&str> = spec.dimensions.iter().map(|(_, cloudwatch)| *cloudwatch).collect();
                let given: BTreeSet<&str> = dimensions.iter().map(|(dimension, _)| dimension.as_str()).collect();
                assert_eq!(given.len(), dimensions.len(), "{by}: {name} names a dimension twice: {dimensions:?}");
                assert_eq!(given, expected, "{by}: {name} is written with the dimensions {expected:?} only");
                for (dimension, value) in dimensions {
                    let known = known_values(dimension);
                    assert!(
                        known.as_ref().map_or(!value.is_empty(), |known| known.contains(value)),
                        "{by}: {name}: the application never writes {dimension}={value} (it writes {known:?})"
                    );
                }
                let fits = match spec.kind {
                    MetricKind::Counter => stat == "Sum",
                    MetricKind::Histogram => {
                        ["SampleCount", "Average", "Minimum", "Maximum"].contains(&stat.as_str()) || is_percentile(stat)
                    }
                    MetricKind::Gauge => false,
                };
                assert!(fits, "{by}: {name} is a {:?}; {stat} is not a statistic to read it with", spec.kind);
            }
            other => panic!(
                "{by}: {name} in the namespace {other}, neither the stack's ({}) nor SQS's or Lambda's",
                self.namespace
            ),
        }
    }
}

/// The values the application gives a dimension; `None` for those it takes from data (`Reason`,
/// `Kind`).
fn known_values(dimension: &str) -> Option<BTreeSet<String>> {
    let owned = |values: &[&str]| values.iter().map(|value| (*value).to_owned()).collect();
    match dimension {
        "Processor" => Some(ProcessorKind::ALL.iter().map(|processor| processor.name().to_owned()).collect()),
        "StatusClass" => Some((1..=5).map(|class| status_class(class * 100).to_owned()).collect()),
        "Status" => Some(OrderStatus::ALL.iter().map(|status| status.as_str().to_owned()).collect()),
        "Route" => Some(owned(&APP_ROUTES)),
        "Method" => Some(owned(&["GET", "POST", "PUT"])),
        "Buyer" => Some(owned(&["tenant", "guest"])),
        _ => None,
    }
}

/// `p99`, `p99.9`: a percentile statistic.
fn is_percentile(stat: &str) -> bool {
    stat.strip_prefix('p')
        .and_then(|number| number.parse::<f64>().ok())
        .is_some_and(|percentile| (0.0..=100.0).contains(&percentile))
}

/// The identifiers a metric math expression reads (lower case; its functions are upper case).
pub fn expression_ids(expression: &str) -> BTreeSet<String> {
    expression
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|token| token.starts_with(|c: char| c.is_ascii_lowercase()))
        .map(str::to_owned)
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
