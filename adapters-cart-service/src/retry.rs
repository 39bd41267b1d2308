//! When to try a request again, and how long to wait first.
//!
//! The back-off itself is `backon`'s [`ExponentialBuilder`] with jitter; this module adds what
//! HTTP says about waiting: a server's `Retry-After` (RFC 9110 §10.2.3) is a minimum, and a
//! server that asks for a longer pause than the caller can afford is not asked again.

use std::num::NonZeroU32;
use std::time::{Duration, SystemTime};

use backon::ExponentialBuilder;
use reqwest::header::HeaderValue;

/// How many times a call is attempted and how long it waits between attempts.
///
/// Attempt *n + 1* (n ≥ 1) starts after a delay of *b + U(0, b)* — uniform jitter on top of the
/// base *b = min(initial_backoff × 2ⁿ⁻¹, max_backoff)*, so a delay is at most twice
/// `max_backoff`. When the failed answer carried `Retry-After`, the delay is the larger of that
/// and the jittered back-off; if `Retry-After` asks for more than `max_retry_after`, the call
/// stops retrying and fails at once (a server that asks for a long pause should get it, and a
/// caller serving a customer cannot wait that long).
///
/// Only failures that may pass are retried: timeouts, connection failures, and answers 408,
/// 429 and 5xx (RFC 9110 §15.5.9, §15.6; RFC 6585 §4). Both operations of the cart API are
/// safe to repeat (`GET` is safe, `PUT` idempotent: RFC 9110 §9.2.1–9.2.2).
///
/// The worst case of one call is `max_attempts × timeout` plus the delays between attempts:
/// with the defaults and a 2 s timeout, 3 × 2 s + at most (0.2 s + 0.4 s), under 7 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry). Default 3.
    pub max_attempts: NonZeroU32,
    /// The base delay before the first retry. Default 100 ms.
    pub initial_backoff: Duration,
    /// The cap on the base delay (jitter may add up to as much again). Default 1 s.
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the retries. Default 2 s.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub const NEVER: RetryPolicy = RetryPolicy {
        max_attempts: NonZeroU32::MIN,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        max_retry_after: Duration::ZERO,
    };

    /// The back-off between attempts: `max_attempts - 1` jittered, exponentially growing delays.
    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        let retries = usize::try_from(self.max_attempts.get() - 1).unwrap_or(usize::MAX);
        ExponentialBuilder::new()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .with_max_times(retries)
            .with_jitter()
    }

    /// The delay before the next attempt, given the back-off's proposal (`None` once the
    /// attempts are spent) and the server's `Retry-After`, if any. `None` means: stop.
    pub(crate) fn next_delay(&self, proposed: Option<Duration>, retry_after: Option<Duration>) -> Option<Duration> {
        let proposed = proposed?;
        match retry_after {
            Some(asked) if asked > self.max_retry_after => None,
            Some(asked) => Some(proposed.max(asked)),
            None => Some(proposed),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(2),
        }
    }
}

/// How long a `Retry-After` value asks to wait, measured from `now`: `delay-seconds` (ASCII
/// digits) or an HTTP-date (RFC 9110 §10.2.3, §5.6.7). A date in the past is no wait; a value
/// that is neither is ignored, as if absent.
///
/// `headers::RetryAfter` parses the same grammar but keeps its value private, so the two forms
/// are read here: the seconds with the standard library, the date with `httpdate` (hyper's own).
pub(crate) fn retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is "a very long time": longer than any cap.
        return Some(text.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).unwrap()
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(retry_after(&header("1"), now), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(&header(" 120 "), now), Some(Duration::from_mins(2)));
        assert_eq!(retry_after(&header("99999999999999999999999"), now), Some(Duration::MAX));
        assert_eq!(retry_after(&header("Wed, 21 Oct 2026 07:28:03 GMT"), now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&header("Wednesday, 21-Oct-26 07:28:05 GMT"), now), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(&header("Wed, 21 Oct 2026 07:27:00 GMT"), now), Some(Duration::ZERO), "past");
        for ignored in ["", "-1", "+5", "1.5", "soon", "Wed, 21 Oct 2026"] {
            assert_eq!(retry_after(&header(ignored), now), None, "{ignored:?}");
        }
    }

    #[test]
    fn retry_after_is_a_minimum_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let ms = Duration::from_millis;
        assert_eq!(policy.next_delay(Some(ms(150)), None), Some(ms(150)));
        assert_eq!(policy.next_delay(Some(ms(150)), Some(ms(1000))), Some(ms(1000)));
        assert_eq!(policy.next_delay(Some(ms(150)), Some(ms(10))), Some(ms(150)));
        assert_eq!(policy.next_delay(Some(ms(150)), Some(ms(2000))), Some(ms(2000)), "at the cap");
        assert_eq!(policy.next_delay(Some(ms(150)), Some(ms(2001))), None, "beyond the cap: stop");
        assert_eq!(policy.next_delay(None, Some(ms(10))), None, "attempts spent");
    }

    #[test]
    fn the_backoff_grows_with_jitter_up_to_twice_its_cap_and_stops_after_the_attempts() {
        use backon::BackoffBuilder;
        let policy = RetryPolicy {
            max_attempts: NonZeroU32::new(6).unwrap(),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            max_retry_after: Duration::ZERO,
        };
        let delays: Vec<Duration> = policy.backoff().build().collect();
        assert_eq!(delays.len(), 5, "five retries after the first attempt: {delays:?}");
        let bases = [100, 200, 400, 400, 400].map(Duration::from_millis);
        for (delay, base) in delays.iter().zip(bases) {
            assert!(*delay >= base && *delay < base * 2, "{delay:?} outside [{base:?}, 2 × {base:?})");
        }
        assert_eq!(RetryPolicy::NEVER.backoff().build().count(), 0);
    }
}
