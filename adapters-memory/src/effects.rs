//! Effect records with leases, in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use order_ports::{EffectLog, EffectStart, PortResult};

use crate::sync::lock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    /// Claimed by a worker until this instant.
    Leased { until: DateTime<Utc> },
    /// Done, for good.
    Done,
}

/// Side-effect records. Leases are judged by the `at` each call passes, never by a clock read
/// here, so tests drive expiry by passing later instants.
#[derive(Debug, Default)]
pub struct MemoryEffectLog {
    records: Mutex<HashMap<String, Record>>,
}

impl MemoryEffectLog {
    /// No records.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl EffectLog for MemoryEffectLog {
    async fn begin(&self, key: &str, at: DateTime<Utc>, lease: Duration) -> PortResult<EffectStart> {
        let lease = TimeDelta::from_std(lease).unwrap_or(TimeDelta::MAX);
        let until = at.checked_add_signed(lease).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let mut records = lock(&self.records);
        match records.get(key) {
            Some(Record::Done) => Ok(EffectStart::AlreadyDone),
            Some(Record::Leased { until: running }) if at < *running => Ok(EffectStart::InProgress { until: *running }),
            Some(Record::Leased { .. }) | None => {
                records.insert(key.to_owned(), Record::Leased { until });
                Ok(EffectStart::Proceed)
            }
        }
    }

    async fn complete(&self, key: &str, _at: DateTime<Utc>) -> PortResult<()> {
        lock(&self.records).insert(key.to_owned(), Record::Done);
        Ok(())
    }

    async fn abandon(&self, key: &str) -> PortResult<()> {
        let mut records = lock(&self.records);
        if matches!(records.get(key), Some(Record::Leased { .. })) {
            records.remove(key);
        }
        Ok(())
    }
}
