//! Orders, their outbox and payment records, and cart claims: one store, because recording an
//! order and marking its cart claim recorded happen in one atomic step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use order_domain::{CartId, Order, OrderId, OrderStatus, PaymentId, TenantId};
use order_ports::{
    CartClaim, CartClaims, ClaimOutcome, FieldCipher, ListQuery, OrderPage, OrderRepository, OrderUpdate, OutboxEntry,
    PageCursor, PortError, PortResult,
};
use serde_json::{Map, Value};

use crate::sync::lock;

/// The record field that holds the billing address, sealed before it is kept.
const ADDRESS_FIELD: &str = "billingAddress";

/// An order as it is kept: its serialized record without the billing address (JSON bytes, not a
/// tree of values: a tenth of the memory, and cheaper to copy out of the lock), the address
/// sealed on its own (as the DynamoDB item keeps it), and the keys listings sort and filter by.
#[derive(Debug, Clone)]
struct StoredOrder {
    tenant_id: TenantId,
    created_at: DateTime<Utc>,
    status: OrderStatus,
    /// When the order entered its status: what the expiry sweep selects by.
    status_since: DateTime<Utc>,
    version: u64,
    record: Box<[u8]>,
    sealed_address: Box<[u8]>,
}

/// A cart claim as it is kept: what the store selects and updates by, and its event as JSON
/// bytes, read back only when the claim is (a replayed create, the relay).
#[derive(Debug, Clone)]
struct StoredClaim {
    order_id: OrderId,
    idempotency_key: Option<Box<str>>,
    request_hash: Box<str>,
    event: Box<[u8]>,
    claimed_at: DateTime<Utc>,
    recorded: bool,
}

impl StoredClaim {
    fn keep(claim: &CartClaim) -> PortResult<Self> {
        Ok(Self {
            order_id: claim.order_id,
            idempotency_key: claim.idempotency_key.as_deref().map(Into::into),
            request_hash: claim.request_hash.as_str().into(),
            event: serde_json::to_vec(&claim.event).map_err(invalid)?.into_boxed_slice(),
            claimed_at: claim.claimed_at,
            recorded: claim.recorded,
        })
    }

    fn read(&self, cart_id: &CartId) -> PortResult<CartClaim> {
        Ok(CartClaim {
            cart_id: cart_id.clone(),
            order_id: self.order_id,
            idempotency_key: self.idempotency_key.as_deref().map(str::to_owned),
            request_hash: self.request_hash.to_string(),
            event: serde_json::from_slice(&self.event).map_err(invalid)?,
            claimed_at: self.claimed_at,
            recorded: self.recorded,
        })
    }
}

#[derive(Debug, Default)]
struct State {
    orders: HashMap<OrderId, StoredOrder>,
    /// Payment id → the order it paid.
    payments: HashMap<PaymentId, OrderId>,
    /// Unpublished events, oldest first.
    outbox: Vec<OutboxEntry>,
    claims: HashMap<CartId, StoredClaim>,
    /// Idempotency key → the cart whose claim holds it.
    idempotency_keys: HashMap<String, CartId>,
}

/// Orders of every tenant, the outbox, payment records and cart claims, in memory, with the
/// write conditions of the DynamoDB table: conditional insert, version-checked update that
/// commits the order, its events and its payment record together, and claims that take a cart
/// and an idempotency key in one step.
///
/// Billing addresses are sealed through the injected [`FieldCipher`] before they are kept and
/// opened when read, exactly as the AWS repository does, so a test against this store also
/// exercises the cipher.
///
/// ```
/// # tokio_test_block_on(async {
/// use std::sync::Arc;
/// use adapters_memory::MemoryStore;
/// use adapters_system::{AesGcmCipher, CipherKey};
/// use order_ports::OrderRepository;
///
/// let store = MemoryStore::new(Arc::new(AesGcmCipher::new(&CipherKey::from_bytes([1; 32]))));
/// let (order, _) = order_domain::testing::pending_order();
/// store.insert(&order).await.unwrap();
/// assert_eq!(store.get_by_id(order.id()).await.unwrap(), order);
/// assert!(!store.stored_item(order.id()).unwrap().contains("Long Street"));
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub struct MemoryStore {
    cipher: Arc<dyn FieldCipher>,
    state: Mutex<State>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("MemoryStore")
            .field("orders", &state.orders.len())
            .field("claims", &state.claims.len())
            .field("outbox", &state.outbox.len())
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store that seals billing addresses with `cipher`.
    pub fn new(cipher: Arc<dyn FieldCipher>) -> Self {
        Self { cipher, state: Mutex::new(State::default()) }
    }

    /// How many orders are stored, for tests.
    pub fn order_count(&self) -> usize {
        lock(&self.state).orders.len()
    }

    /// The stored item of an order as JSON text, exactly as kept (the address sealed, in hex),
    /// for tests that check no personal data is kept in the clear.
    pub fn stored_item(&self, id: OrderId) -> Option<String> {
        let state = lock(&self.state);
        let stored = state.orders.get(&id)?;
        let item = serde_json::json!({
            "tenantId": stored.tenant_id.as_str(),
            "order": serde_json::from_slice::<Value>(&stored.record).ok()?,
            "billingAddressSealed": hex::encode(&stored.sealed_address),
        });
        Some(item.to_string())
    }

    /// The order a payment id is recorded for, for tests.
    pub fn payment_record(&self, payment: &PaymentId) -> Option<OrderId> {
        lock(&self.state).payments.get(payment).copied()
    }

    fn seal(&self, order: &Order) -> PortResult<StoredOrder> {
        let tenant_id = order
            .tenant_id()
            .cloned()
            .ok_or_else(|| PortError::InvalidData("an order is stored with its tenant".into()))?;
        let Value::Object(mut record) = serde_json::to_value(order).map_err(invalid)? else {
            return Err(PortError::InvalidData("an order serializes to an object".into()));
        };
        let address = record.remove(ADDRESS_FIELD).unwrap_or(Value::Null);
        let plaintext = serde_json::to_vec(&address).map_err(invalid)?;
        let sealed_address = self.cipher.seal(&plaintext, context(order.id()).as_bytes())?.into_boxed_slice();
        Ok(StoredOrder {
            tenant_id,
            created_at: order.created_at(),
            status: order.status(),
            status_since: order.status_since(),
            version: order.version(),
            record: serde_json::to_vec(&record).map_err(invalid)?.into_boxed_slice(),
            sealed_address,
        })
    }

    fn open(&self, id: OrderId, stored: &StoredOrder) -> PortResult<Order> {
        let plaintext = self.cipher.open(&stored.sealed_address, context(id).as_bytes())?;
        let address: Value = serde_json::from_slice(&plaintext).map_err(invalid)?;
        let mut record: Map<String, Value> = serde_json::from_slice(&stored.record).map_err(invalid)?;
        record.insert(ADDRESS_FIELD.to_owned(), address);
        serde_json::from_value(Value::Object(record)).map_err(invalid)
    }
}

/// The associated data a billing address is sealed under: the order id, so a sealed address
/// copied onto another order does not open.
fn context(id: OrderId) -> String {
    id.to_string()
}

#[allow(clippy::needless_pass_by_value)] // Used as `map_err(invalid)`.
fn invalid(error: serde_json::Error) -> PortError {
    PortError::InvalidData(format!("stored order does not decode: {error}"))
}

/// Where a listing stopped: the last order's sort key, bound to the tenant listed.
fn encode_cursor(tenant: &TenantId, created_at: DateTime<Utc>, id: OrderId) -> PageCursor {
    let text = format!("{tenant}|{}|{id}", created_at.timestamp_nanos_opt().unwrap_or(i64::MAX));
    PageCursor(hex::encode(text))
}

fn decode_cursor(tenant: &TenantId, cursor: &PageCursor) -> PortResult<(DateTime<Utc>, OrderId)> {
    let refused = || PortError::InvalidData("the cursor was not issued for this listing".into());
    let bytes = hex::decode(&cursor.0).map_err(|_| refused())?;
    let text = String::from_utf8(bytes).map_err(|_| refused())?;
    let mut parts = text.split('|');
    let (Some(owner), Some(nanos), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(refused());
    };
    if owner != tenant.as_str() {
        return Err(refused());
    }
    let nanos: i64 = nanos.parse().map_err(|_| refused())?;
    let id = OrderId::parse(id).map_err(|_| refused())?;
    Ok((DateTime::from_timestamp_nanos(nanos), id))
}

#[async_trait]
impl OrderRepository for MemoryStore {
    async fn insert(&self, order: &Order) -> PortResult<()> {
        let stored = self.seal(order)?;
        let mut state = lock(&self.state);
        if state.orders.contains_key(&order.id()) {
            return Err(PortError::AlreadyExists);
        }
        state.orders.insert(order.id(), stored);
        if let Some(claim) = state.claims.get_mut(order.cart_id()).filter(|claim| claim.order_id == order.id()) {
            claim.recorded = true;
        }
        Ok(())
    }

    async fn get(&self, tenant: &TenantId, id: OrderId) -> PortResult<Order> {
        let stored = {
            let state = lock(&self.state);
            state.orders.get(&id).filter(|stored| stored.tenant_id == *tenant).cloned()
        };
        let stored = stored.ok_or(PortError::NotFound)?;
        self.open(id, &stored)
    }

    async fn get_by_id(&self, id: OrderId) -> PortResult<Order> {
        let stored = lock(&self.state).orders.get(&id).cloned().ok_or(PortError::NotFound)?;
        self.open(id, &stored)
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> PortResult<OrderPage> {
        let after = query.cursor.as_ref().map(|cursor| decode_cursor(tenant, cursor)).transpose()?;
        let limit = usize::try_from(query.limit.clamp(1, ListQuery::MAX_LIMIT)).unwrap_or(usize::MAX);
        // Filter and sort by the keys alone, under the lock, and copy only the page returned:
        // a listing must not cost a copy of every order of the tenant.
        let (page, more): (Vec<(OrderId, StoredOrder)>, bool) = {
            let state = lock(&self.state);
            let mut keys: Vec<(DateTime<Utc>, OrderId)> = state
                .orders
                .iter()
                .filter(|(_, s)| s.tenant_id == *tenant)
                .filter(|(_, s)| query.status.is_none_or(|status| s.status == status))
                .filter(|(_, s)| query.created_from.is_none_or(|from| s.created_at >= from))
                .filter(|(_, s)| query.created_before.is_none_or(|before| s.created_at < before))
                .filter(|(id, s)| after.is_none_or(|position| (s.created_at, **id) < position))
                .map(|(id, s)| (s.created_at, *id))
                .collect();
            keys.sort_unstable_by_key(|key| std::cmp::Reverse(*key));
            let more = keys.len() > limit;
            keys.truncate(limit);
            let page = keys.into_iter().filter_map(|(_, id)| state.orders.get(&id).map(|s| (id, s.clone()))).collect();
            (page, more)
        };
        let next = match page.last() {
            Some((id, stored)) if more => Some(encode_cursor(tenant, stored.created_at, *id)),
            _ => None,
        };
        let orders = page.iter().map(|(id, stored)| self.open(*id, stored)).collect::<PortResult<_>>()?;
        Ok(OrderPage { orders, next })
    }

    async fn update<'a>(&self, update: OrderUpdate<'a>) -> PortResult<()> {
        let order = update.order;
        let id = order.id();
        let sealed = self.seal(order)?;
        let mut state = lock(&self.state);
        let current = state.orders.get(&id).ok_or(PortError::NotFound)?;
        if current.version != update.expected_version {
            return Err(PortError::Conflict(format!(
                "order {id} is at version {}, not {}",
                current.version, update.expected_version
            )));
        }
        if current.tenant_id != sealed.tenant_id {
            return Err(PortError::InvalidData(format!("order {id} cannot move to another tenant")));
        }
        let paid_elsewhere =
            update.payment.and_then(|payment| state.payments.get(&payment.payment_id)).is_some_and(|paid| *paid != id);
        if paid_elsewhere {
            return Err(PortError::AlreadyExists);
        }
        // Every check passed: apply all three writes together.
        if let Some(payment) = update.payment {
            state.payments.insert(payment.payment_id.clone(), id);
        }
        let tenant_id = sealed.tenant_id.clone();
        state.orders.insert(id, sealed);
        state.outbox.extend(update.events.iter().map(|event| OutboxEntry {
            tenant_id: tenant_id.clone(),
            order_id: id,
            event: event.clone(),
        }));
        Ok(())
    }

    async fn stale(&self, status: OrderStatus, before: DateTime<Utc>, limit: usize) -> PortResult<Vec<Order>> {
        // As in `list`: sort the keys, copy only the orders returned.
        let page: Vec<(OrderId, StoredOrder)> = {
            let state = lock(&self.state);
            let mut keys: Vec<(DateTime<Utc>, OrderId)> = state
                .orders
                .iter()
                .filter(|(_, s)| s.status == status && s.status_since <= before)
                .map(|(id, s)| (s.status_since, *id))
                .collect();
            keys.sort_unstable();
            keys.truncate(limit);
            keys.into_iter().filter_map(|(_, id)| state.orders.get(&id).map(|s| (id, s.clone()))).collect()
        };
        page.into_iter().map(|(id, stored)| self.open(id, &stored)).collect()
    }

    async fn pending_outbox(&self, limit: usize) -> PortResult<Vec<OutboxEntry>> {
        Ok(lock(&self.state).outbox.iter().take(limit).cloned().collect())
    }

    async fn clear_outbox(&self, entry: &OutboxEntry) -> PortResult<()> {
        lock(&self.state)
            .outbox
            .retain(|kept| !(kept.order_id == entry.order_id && kept.event.message_id == entry.event.message_id));
        Ok(())
    }
}

#[async_trait]
impl CartClaims for MemoryStore {
    async fn claim(&self, claim: &CartClaim) -> PortResult<ClaimOutcome> {
        let mut state = lock(&self.state);
        if let Some(existing) = state.claims.get(&claim.cart_id) {
            return Ok(ClaimOutcome::AlreadyClaimed(Box::new(existing.read(&claim.cart_id)?)));
        }
        let holder = claim.idempotency_key.as_ref().and_then(|key| state.idempotency_keys.get(key));
        if let Some((cart, existing)) = holder.and_then(|cart| state.claims.get(cart).map(|existing| (cart, existing)))
        {
            return Ok(ClaimOutcome::AlreadyClaimed(Box::new(existing.read(cart)?)));
        }
        let kept = StoredClaim::keep(claim)?;
        if let Some(key) = &claim.idempotency_key {
            state.idempotency_keys.insert(key.clone(), claim.cart_id.clone());
        }
        state.claims.insert(claim.cart_id.clone(), kept);
        Ok(ClaimOutcome::Claimed)
    }

    async fn find(&self, cart: &CartId) -> PortResult<Option<CartClaim>> {
        lock(&self.state).claims.get(cart).map(|kept| kept.read(cart)).transpose()
    }

    async fn unrecorded(&self, before: DateTime<Utc>, limit: usize) -> PortResult<Vec<CartClaim>> {
        // Select and sort by the kept keys; read back only the claims returned.
        let state = lock(&self.state);
        let mut found: Vec<(DateTime<Utc>, &CartId, &StoredClaim)> = state
            .claims
            .iter()
            .filter(|(_, claim)| !claim.recorded && claim.claimed_at < before)
            .map(|(cart, claim)| (claim.claimed_at, cart, claim))
            .collect();
        found.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        found.truncate(limit);
        found.into_iter().map(|(_, cart, claim)| claim.read(cart)).collect()
    }
}
