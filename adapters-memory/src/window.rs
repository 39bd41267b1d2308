//! What the bounded windows of documents and emails share: how an eviction is logged.

use std::num::NonZeroUsize;

/// How often, in evictions, a bounded window says again that it is evicting.
const EVICTIONS_PER_LOG: u64 = 10_000;

/// Logs the first eviction of a window, then one line per [`EVICTIONS_PER_LOG`]: a full window
/// under steady load evicts on every write, and the log must not say so every time.
pub(crate) fn log_eviction(what: &'static str, window: NonZeroUsize, evictions: u64) {
    if evictions == 1 {
        tracing::info!(
            what,
            window,
            "the in-memory window is full: evicting the oldest {what} from now on (logged again every {EVICTIONS_PER_LOG})"
        );
    } else if evictions.is_multiple_of(EVICTIONS_PER_LOG) {
        tracing::info!(what, window, evictions, "the in-memory window has evicted {evictions} {what} so far");
    }
}
