//! CloudWatch Embedded Metric Format for the Lambda functions: the figures of
//! [`order_app::metrics`] written to stdout as JSON documents that CloudWatch Logs turns into
//! metrics, with no API call and no agent
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).
//!
//! Each metric is recorded under its CloudWatch name of [`order_app::metrics::CATALOG`],
//! with only its CloudWatch dimensions (the other labels added up); metrics CloudWatch has of its
//! own (the queues') are not recorded. A function [`flush`](EmfHandle::flush)es after each
//! invocation: one document per dimension set, a counter as its increase since the last flush,
//! a histogram as its samples (at most [`MAX_VALUES`] per document, as the specification allows;
//! more go to further documents), a gauge as its last value.
//!
//! Built on `metrics-util`'s registry rather than a ready-made EMF recorder: the recorder has to
//! rename and drop labels on the way in, and to be installable locally in a test.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};
use order_app::metrics::{CATALOG, MetricSpec};
use serde_json::{Map, Value, json};

/// The namespace used when `BBWS_METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "BBWS/OrderManagement";

/// The variable that names the functions' CloudWatch namespace (the template sets it per
/// environment).
pub const NAMESPACE_VARIABLE: &str = "BBWS_METRICS_NAMESPACE";

/// Most values one metric may carry in one document (the EMF specification's limit).
pub const MAX_VALUES: usize = 100;

struct Inner {
    namespace: String,
    registry: Registry<Key, AtomicStorage>,
    units: Mutex<BTreeMap<String, Unit>>,
}

/// The recorder to install (`metrics::set_global_recorder`, or `metrics::with_local_recorder`
/// in a test); [`EmfRecorder::handle`] flushes what it recorded.
pub struct EmfRecorder(Arc<Inner>);

/// Writes what an [`EmfRecorder`] recorded since the last flush.
#[derive(Clone)]
pub struct EmfHandle(Arc<Inner>);

impl EmfRecorder {
    /// A recorder writing to CloudWatch `namespace`, the units of the catalog known.
    pub fn new(namespace: impl Into<String>) -> Self {
        let units = CATALOG.iter().filter_map(|spec| Some((spec.cloudwatch?.to_owned(), spec.unit))).collect();
        Self(Arc::new(Inner { namespace: namespace.into(), registry: Registry::atomic(), units: Mutex::new(units) }))
    }

    /// Its handle, to flush with.
    pub fn handle(&self) -> EmfHandle {
        EmfHandle(self.0.clone())
    }
}

/// `key` as CloudWatch should see it: its CloudWatch name and dimensions; `None` for a metric
/// CloudWatch does not get. A metric outside the catalog keeps its name and labels.
fn cloudwatch_key(key: &Key) -> Option<Key> {
    let Some(spec) = order_app::metrics::spec(key.name()) else { return Some(key.clone()) };
    let name = spec.cloudwatch?;
    Some(Key::from_parts(name, dimensions(spec, key.labels())))
}

fn dimensions<'a>(spec: &MetricSpec, labels: impl Iterator<Item = &'a Label>) -> Vec<Label> {
    labels
        .filter_map(|label| {
            let (_, dimension) = spec.dimensions.iter().find(|(name, _)| *name == label.key())?;
            Some(Label::new(*dimension, label.value().to_owned()))
        })
        .collect()
}

fn cloudwatch_name(name: &KeyName) -> Option<String> {
    match order_app::metrics::spec(name.as_str()) {
        Some(spec) => spec.cloudwatch.map(str::to_owned),
        None => Some(name.as_str().to_owned()),
    }
}

impl Inner {
    fn describe(&self, name: &KeyName, unit: Option<Unit>) {
        if let (Some(name), Some(unit)) = (cloudwatch_name(name), unit) {
            self.units.lock().unwrap_or_else(PoisonError::into_inner).insert(name, unit);
        }
    }
}

impl Recorder for EmfRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.0.describe(&key, unit);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.0.describe(&key, unit);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.0.describe(&key, unit);
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        match cloudwatch_key(key) {
            Some(key) => self.0.registry.get_or_create_counter(&key, |counter| Counter::from_arc(counter.clone())),
            None => Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        match cloudwatch_key(key) {
            Some(key) => self.0.registry.get_or_create_gauge(&key, |gauge| Gauge::from_arc(gauge.clone())),
            None => Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        match cloudwatch_key(key) {
            Some(key) => {
                self.0.registry.get_or_create_histogram(&key, |histogram| Histogram::from_arc(histogram.clone()))
            }
            None => Histogram::noop(),
        }
    }
}

/// What one dimension set holds at a flush: each metric's name and values.
type Documents = BTreeMap<Vec<(String, String)>, Vec<(String, Vec<f64>)>>;

impl EmfHandle {
    /// Writes one EMF document per dimension set (one JSON object per line) of what was recorded
    /// since the last flush, stamped `at`; nothing when nothing was.
    ///
    /// # Errors
    /// When `writer` fails.
    pub fn flush(&self, mut writer: impl Write, at: DateTime<Utc>) -> std::io::Result<()> {
        for document in self.documents(at) {
            serde_json::to_writer(&mut writer, &document)?;
            writer.write_all(b"\n")?;
        }
        writer.flush()
    }

    /// The documents [`flush`](Self::flush) would write, taking the values (counters restart
    /// from zero, histograms empty).
    pub fn documents(&self, at: DateTime<Utc>) -> Vec<Value> {
        let inner = &self.0;
        let mut sets = Documents::new();
        let dimensions_of = |key: &Key| {
            key.labels().map(|label| (label.key().to_owned(), label.value().to_owned())).collect::<Vec<_>>()
        };
        inner.registry.visit_counters(|key, counter| {
            let value = counter.swap(0, Ordering::Relaxed);
            if value > 0 {
                #[allow(clippy::cast_precision_loss)] // a count in one invocation is far below 2^52
                let value = value as f64;
                sets.entry(dimensions_of(key)).or_default().push((key.name().to_owned(), vec![value]));
            }
        });
        inner.registry.visit_gauges(|key, gauge| {
            let value = f64::from_bits(gauge.load(Ordering::Relaxed));
            sets.entry(dimensions_of(key)).or_default().push((key.name().to_owned(), vec![value]));
        });
        inner.registry.visit_histograms(|key, histogram| {
            let mut values = Vec::new();
            histogram.clear_with(|samples| values.extend_from_slice(samples));
            if !values.is_empty() {
                sets.entry(dimensions_of(key)).or_default().push((key.name().to_owned(), values));
            }
        });
        let units = inner.units.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let mut documents = Vec::new();
        for (dimensions, metrics) in sets {
            // A metric with more samples than a document may carry continues in the next ones.
            let rounds = metrics.iter().map(|(_, values)| values.len().div_ceil(MAX_VALUES)).max().unwrap_or(0);
            for round in 0..rounds {
                let chunk: Vec<(&String, &[f64])> = metrics
                    .iter()
                    .filter_map(|(name, values)| {
                        let start = round * MAX_VALUES;
                        (start < values.len()).then(|| (name, &values[start..values.len().min(start + MAX_VALUES)]))
                    })
                    .collect();
                documents.push(document(&inner.namespace, at, &dimensions, &chunk, &units));
            }
        }
        documents
    }
}

fn document(
    namespace: &str,
    at: DateTime<Utc>,
    dimensions: &[(String, String)],
    metrics: &[(&String, &[f64])],
    units: &BTreeMap<String, Unit>,
) -> Value {
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|(name, _)| match units.get(name.as_str()) {
            Some(unit) => json!({ "Name": name, "Unit": cloudwatch_unit(*unit) }),
            None => json!({ "Name": name }),
        })
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [dimensions.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>()],
                "Metrics": definitions,
            }],
        }),
    );
    for (name, value) in dimensions {
        root.insert(name.clone(), Value::String(value.clone()));
    }
    for (name, values) in metrics {
        let value = match values {
            [one] => json!(one),
            many => json!(many),
        };
        root.insert((*name).clone(), value);
    }
    Value::Object(root)
}

/// The CloudWatch unit name of `unit` (the `StandardUnit` values of the CloudWatch API).
pub fn cloudwatch_unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "Count",
        Unit::Percent => "Percent",
        Unit::Seconds => "Seconds",
        Unit::Milliseconds => "Milliseconds",
        Unit::Microseconds => "Microseconds",
        Unit::Nanoseconds => "None",
        Unit::Tebibytes => "Terabytes",
        Unit::Gibibytes => "Gigabytes",
        Unit::Mebibytes => "Megabytes",
        Unit::Kibibytes => "Kilobytes",
        Unit::Bytes => "Bytes",
        Unit::TerabitsPerSecond => "Terabits/Second",
        Unit::GigabitsPerSecond => "Gigabits/Second",
        Unit::MegabitsPerSecond => "Megabits/Second",
        Unit::KilobitsPerSecond => "Kilobits/Second",
        Unit::BitsPerSecond => "Bits/Second",
        Unit::CountPerSecond => "Count/Second",
    }
}

/// Installs an [`EmfRecorder`] for `namespace` as the process's recorder and describes the
/// catalog to it.
///
/// # Errors
/// When a recorder is already installed.
pub fn install(namespace: impl Into<String>) -> Result<EmfHandle, super::MetricsError> {
    let recorder = EmfRecorder::new(namespace);
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|error| super::MetricsError::Install(error.to_string()))?;
    order_app::metrics::describe();
    Ok(handle)
}
