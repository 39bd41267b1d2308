//! The tenant directory, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use order_domain::{Email, Tenant, TenantId, TenantStatus};
use order_ports::{PortError, PortResult, TenantDirectory};

use crate::sync::lock;

#[derive(Debug, Default)]
struct State {
    tenants: HashMap<TenantId, Tenant>,
    /// The uniqueness record: email (canonical, so one key per address) → tenant.
    by_email: HashMap<Email, TenantId>,
}

/// Tenants, unique by email (its canonical form): the tenant and its email uniqueness record are written
/// under one lock, so concurrent creates for one email end with exactly one tenant.
#[derive(Debug, Default)]
pub struct MemoryTenantDirectory {
    state: Mutex<State>,
}

impl MemoryTenantDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a tenant (as tenant management would), for seeding.
    ///
    /// # Errors
    /// [`PortError::AlreadyExists`] when its id or email is taken.
    pub fn add(&self, tenant: Tenant) -> PortResult<()> {
        let mut state = lock(&self.state);
        if state.tenants.contains_key(&tenant.id) || state.by_email.contains_key(&tenant.email) {
            return Err(PortError::AlreadyExists);
        }
        state.by_email.insert(tenant.email.clone(), tenant.id.clone());
        state.tenants.insert(tenant.id.clone(), tenant);
        Ok(())
    }

    /// How many tenants exist.
    pub fn len(&self) -> usize {
        lock(&self.state).tenants.len()
    }

    /// `true` when there are no tenants.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl TenantDirectory for MemoryTenantDirectory {
    async fn find_by_email(&self, email: &Email) -> PortResult<Option<Tenant>> {
        let state = lock(&self.state);
        Ok(state.by_email.get(email).and_then(|id| state.tenants.get(id)).cloned())
    }

    async fn create_unvalidated(&self, id: &TenantId, email: &Email, _at: DateTime<Utc>) -> PortResult<Tenant> {
        let tenant = Tenant { id: id.clone(), email: email.clone(), status: TenantStatus::Unvalidated };
        self.add(tenant.clone())?;
        Ok(tenant)
    }
}
