//! Open-loop scheduling and latency summaries: the parts of the load generator that are pure
//! arithmetic, kept apart so that they are unit-tested.

// Counts and rates meet as f64: request counts stay far below 2^52, where the conversion is exact.
#![allow(clippy::cast_precision_loss)]

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// When request `index` is due, counted from the start of a run at `rate` requests per second.
///
/// Requests are due at fixed intervals whatever happened to the ones before (an open loop): a
/// slow answer delays no later request's schedule, so its cost shows in every request that had
/// to wait behind it (no coordinated omission).
pub fn due_after(index: u64, rate: f64) -> Duration {
    if rate <= 0.0 || !rate.is_finite() {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(index as f64 / rate)
}

/// How many requests a run of `duration` at `rate` per second sends (at least one).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked finite and ≥ 1 first
pub fn request_count(rate: f64, duration: Duration) -> u64 {
    let count = (rate * duration.as_secs_f64()).round();
    if count.is_finite() && count >= 1.0 { count as u64 } else { 1 }
}

/// A histogram of latencies in microseconds, from 1 µs to 10 minutes, 3 significant digits.
///
/// # Panics
/// Never: the bounds are valid constants.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// Records `latency` (clamped into the histogram's range).
pub fn record(histogram: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).clamp(1, histogram.high());
    histogram.saturating_record(micros);
}

/// What one scenario measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The scenario (`create`, `get`, `list`, `pipeline_latency`, …).
    pub scenario: String,
    /// Requests (or orders) per second asked for.
    pub offered_rate: f64,
    /// Connections used.
    pub connections: usize,
    /// Requests (or orders) that succeeded.
    pub ok: u64,
    /// Requests (or orders) that failed or did not finish.
    pub errors: u64,
    /// Successful requests (or orders) per second of wall time, from the first scheduled
    /// start to the last completion.
    pub throughput: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Largest latency, milliseconds.
    pub max_ms: f64,
}

impl Summary {
    /// Summarizes a histogram of latencies (µs) of `ok` successes over `elapsed`.
    pub fn from_histogram(
        scenario: &str,
        offered_rate: f64,
        connections: usize,
        histogram: &Histogram<u64>,
        errors: u64,
        elapsed: Duration,
    ) -> Self {
        let ms = |micros: u64| micros as f64 / 1000.0;
        let ok = histogram.len();
        let seconds = elapsed.as_secs_f64();
        Self {
            scenario: scenario.to_owned(),
            offered_rate,
            connections,
            ok,
            errors,
            throughput: if seconds > 0.0 { ok as f64 / seconds } else { 0.0 },
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p95_ms: ms(histogram.value_at_quantile(0.95)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
        }
    }

    /// One human-readable line.
    pub fn line(&self) -> String {
        format!(
            "{:<18} offered {:>7.0}/s  conns {:>3}  ok {:>7}  errors {:>5}  throughput {:>8.1}/s  \
             p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms",
            self.scenario,
            self.offered_rate,
            self.connections,
            self.ok,
            self.errors,
            self.throughput,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_due_at_fixed_intervals_from_the_start() {
        assert_eq!(due_after(0, 2000.0), Duration::ZERO);
        assert_eq!(due_after(1, 2000.0), Duration::from_micros(500));
        assert_eq!(due_after(2000, 2000.0), Duration::from_secs(1));
        assert_eq!(due_after(3, 100.0), Duration::from_millis(30));
    }

    #[test]
    fn a_meaningless_rate_sends_everything_at_once() {
        assert_eq!(due_after(5, 0.0), Duration::ZERO);
        assert_eq!(due_after(5, f64::INFINITY), Duration::ZERO);
    }

    #[test]
    fn a_run_sends_rate_times_duration_requests() {
        assert_eq!(request_count(2000.0, Duration::from_secs(10)), 20_000);
        assert_eq!(request_count(100.0, Duration::from_millis(1500)), 150);
        assert_eq!(request_count(0.0, Duration::from_secs(1)), 1);
    }

    #[test]
    fn percentiles_come_from_the_recorded_latencies() {
        let mut h = histogram();
        for ms in 1..=100 {
            record(&mut h, Duration::from_millis(ms));
        }
        let summary = Summary::from_histogram("get", 100.0, 4, &h, 2, Duration::from_secs(1));
        assert_eq!(summary.ok, 100);
        assert_eq!(summary.errors, 2);
        assert!((summary.throughput - 100.0).abs() < 1e-9);
        // Three significant digits: values are exact to within 0.1 %.
        assert!((summary.p50_ms - 50.0).abs() <= 0.05, "{}", summary.p50_ms);
        assert!((summary.p95_ms - 95.0).abs() <= 0.1, "{}", summary.p95_ms);
        assert!((summary.p99_ms - 99.0).abs() <= 0.1, "{}", summary.p99_ms);
        assert!((summary.max_ms - 100.0).abs() <= 0.1, "{}", summary.max_ms);
    }

    #[test]
    fn latencies_outside_the_range_are_clamped_not_lost() {
        let mut h = histogram();
        record(&mut h, Duration::ZERO);
        record(&mut h, Duration::from_hours(1));
        assert_eq!(h.len(), 2);
        assert_eq!(h.min(), 1);
    }
}
