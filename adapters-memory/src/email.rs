//! The mailbox (a [`Mailer`] that keeps what it sends) and template overrides, in memory.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_trait::async_trait;
use order_domain::Email;
use order_ports::{Mailer, OutgoingEmail, PortError, PortResult, TemplateSource};

use crate::sync::lock;
use crate::window::log_eviction;

/// An email the mailbox accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    /// The id the mailbox returned.
    pub message_id: String,
    /// What was sent.
    pub email: OutgoingEmail,
}

#[derive(Debug, Default)]
struct State {
    sent: VecDeque<SentEmail>,
    delivered: u64,
    evictions: u64,
    failures_left: u32,
    attempts: u64,
}

/// A [`Mailer`] that records every email instead of sending it, with fault injection: it can
/// make the next sends fail as a throttled provider would.
///
/// [`MemoryMailbox::new`] keeps every email; [`MemoryMailbox::keeping`] keeps only the most
/// recent ones (the oldest evicted first, counted by [`MemoryMailbox::evictions`]).
#[derive(Debug, Default)]
pub struct MemoryMailbox {
    state: Mutex<State>,
    window: Option<NonZeroUsize>,
}

impl MemoryMailbox {
    /// An empty mailbox that keeps every email.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty mailbox that keeps at most `window` emails, evicting the oldest first; `None`
    /// keeps every email, as [`MemoryMailbox::new`].
    pub fn keeping(window: Option<NonZeroUsize>) -> Self {
        Self { state: Mutex::default(), window }
    }

    /// How many emails it keeps at most (`None`: every one).
    pub fn window(&self) -> Option<NonZeroUsize> {
        self.window
    }

    /// How many emails were evicted to keep within the window, since the start.
    pub fn evictions(&self) -> u64 {
        lock(&self.state).evictions
    }

    /// Every email kept, oldest first: every one sent, unless a window evicted the oldest.
    pub fn sent(&self) -> Vec<SentEmail> {
        lock(&self.state).sent.iter().cloned().collect()
    }

    /// The emails sent to `to`.
    pub fn sent_to(&self, to: &Email) -> Vec<SentEmail> {
        lock(&self.state).sent.iter().filter(|sent| sent.email.to.contains(to)).cloned().collect()
    }

    /// Makes the next `count` sends fail with a retryable
    /// [`Unavailable`](PortError::Unavailable), sending nothing.
    pub fn fail_next(&self, count: u32) {
        lock(&self.state).failures_left = count;
    }

    /// How many sends were attempted, failed ones included.
    pub fn attempts(&self) -> u64 {
        lock(&self.state).attempts
    }
}

#[async_trait]
impl Mailer for MemoryMailbox {
    async fn send(&self, email: &OutgoingEmail) -> PortResult<String> {
        let mut state = lock(&self.state);
        state.attempts += 1;
        if state.failures_left > 0 {
            state.failures_left -= 1;
            return Err(PortError::transient("injected mail failure: throttled"));
        }
        state.delivered += 1;
        let message_id = format!("memory-mail-{:06}", state.delivered);
        state.sent.push_back(SentEmail { message_id: message_id.clone(), email: email.clone() });
        if let Some(window) = self.window
            && state.sent.len() > window.get()
        {
            state.sent.pop_front();
            state.evictions += 1;
            log_eviction("emails", window, state.evictions);
        }
        Ok(message_id)
    }
}

/// Template overrides by path (`customer/order_confirmation.html`).
#[derive(Debug, Default)]
pub struct MemoryTemplateSource {
    templates: Mutex<HashMap<String, String>>,
}

impl MemoryTemplateSource {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores (or replaces) the override at `path`.
    pub fn insert(&self, path: impl Into<String>, text: impl Into<String>) {
        lock(&self.templates).insert(path.into(), text.into());
    }

    /// Removes the override at `path`.
    pub fn remove(&self, path: &str) {
        lock(&self.templates).remove(path);
    }
}

#[async_trait]
impl TemplateSource for MemoryTemplateSource {
    async fn get(&self, path: &str) -> PortResult<Option<String>> {
        Ok(lock(&self.templates).get(path).cloned())
    }
}
