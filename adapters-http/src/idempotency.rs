//! `Idempotency-Key` bookkeeping in the host: which keys are in flight right now (a second
//! request with the same key is answered 409 while the first runs), and a bounded memory of
//! recently completed keys with a fingerprint of their request, so that the same key with a
//! different body is answered 422 even when it names another cart.
//!
//! The application's cart claim gives the durable semantics (same cart, same request → same
//! order) across restarts and instances; this memory is per process and only adds the checks
//! a cart claim cannot make.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};

/// How a key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Never seen, or seen with this very request: go ahead.
    Proceed,
    /// A request with this key is running now.
    InFlight,
    /// The key completed with a different request.
    Reused,
}

#[derive(Default)]
struct Inner {
    in_flight: HashSet<String>,
    completed: HashMap<String, [u8; 32]>,
    order: VecDeque<String>,
}

/// The keys seen by this process.
#[derive(Clone, Default)]
pub struct IdempotencyKeys {
    inner: Arc<Mutex<Inner>>,
    capacity: usize,
}

/// Holds a key in flight; dropping it releases the key.
pub struct InFlight {
    keys: IdempotencyKeys,
    key: String,
    fingerprint: [u8; 32],
    succeeded: bool,
}

impl InFlight {
    /// Records that the request succeeded, so the key is remembered with its fingerprint.
    pub fn succeeded(mut self) {
        self.succeeded = true;
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.keys.lock();
        inner.in_flight.remove(&self.key);
        if self.succeeded && inner.completed.insert(self.key.clone(), self.fingerprint).is_none() {
            inner.order.push_back(self.key.clone());
            while inner.order.len() > self.keys.capacity {
                if let Some(oldest) = inner.order.pop_front() {
                    inner.completed.remove(&oldest);
                }
            }
        }
    }
}

impl IdempotencyKeys {
    /// Remembers at most `capacity` completed keys (oldest forgotten first).
    pub fn new(capacity: usize) -> Self {
        Self { inner: Arc::default(), capacity }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The maps stay consistent even if a holder panicked: every update is one insert/remove.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a request with `key` (already scoped to its route and tenant) and `body`.
    ///
    /// # Errors
    /// [`KeyState::InFlight`] or [`KeyState::Reused`].
    pub fn begin(&self, key: &str, body: &[u8]) -> Result<InFlight, KeyState> {
        let fingerprint: [u8; 32] = Sha256::digest(body).into();
        let mut inner = self.lock();
        if inner.in_flight.contains(key) {
            return Err(KeyState::InFlight);
        }
        if inner.completed.get(key).is_some_and(|seen| *seen != fingerprint) {
            return Err(KeyState::Reused);
        }
        inner.in_flight.insert(key.to_owned());
        drop(inner);
        Ok(InFlight { keys: self.clone(), key: key.to_owned(), fingerprint, succeeded: false })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn in_flight_then_reused_then_forgotten() {
        let keys = IdempotencyKeys::new(1);
        let first = keys.begin("k", b"a").unwrap();
        assert_eq!(keys.begin("k", b"a").err(), Some(KeyState::InFlight));
        first.succeeded();
        assert!(keys.begin("k", b"a").is_ok());
        assert_eq!(keys.begin("k", b"b").err(), Some(KeyState::Reused));
        keys.begin("other", b"x").unwrap().succeeded();
        assert!(keys.begin("k", b"b").is_ok(), "capacity 1: the oldest key is forgotten");
        drop(keys.begin("failed", b"x").unwrap());
        assert!(keys.begin("failed", b"y").is_ok(), "a failed request is not remembered");
    }
}
