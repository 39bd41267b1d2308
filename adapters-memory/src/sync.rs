//! The one locking rule every adapter here follows.
//!
//! State lives behind a `std::sync::Mutex`, not tokio's: every critical section is a few map
//! operations that never `.await` while the guard is held, so a blocking lock is both correct
//! and cheaper than an async one (the reasoning of mini-redis's `Db`). Waiting for something
//! to happen (a message arriving on a queue) is done outside the lock with `tokio::sync::Notify`.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering the state if a thread panicked while holding it.
///
/// Every critical section in this crate leaves the state consistent at each step (no
/// half-applied multi-step writes are observable after a panic, because writes are prepared
/// first and applied with infallible operations), so the state a panicking thread left behind
/// is still valid and refusing to serve it would only turn one failure into many.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
