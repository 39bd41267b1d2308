//! [`DynamoOrderRepository`]: orders, their outbox and payment records in the single table.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use order_domain::{EventEnvelope, Order, OrderId, OrderStatus, Payment, TenantId};
use order_ports::{
    FieldCipher, ListQuery, OrderPage, OrderRepository, OrderUpdate, OutboxEntry, PageCursor, PortError, PortResult,
};
use serde_json::Value;

use super::feeds::{Bound, feed_key};
use super::janitor::OutboxJanitor;
use super::names::{FEEDPK, FEEDSK, GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, PK, SK};
use super::{Item, Transacted, b, built, condition_failed, get_b, get_s, key, n, s, sortable_time, transact};
use crate::error::{classify, invalid};
use crate::layout::TableLayout;

/// The outbox feed (`OUTBOX#{shard}` in FEEDS).
pub(crate) const OUTBOX_FEED: &str = "OUTBOX";
/// The unrecorded-claims feed (`CLAIMS#UNRECORDED#{shard}` in FEEDS).
pub(crate) const UNRECORDED_CLAIMS_FEED: &str = "CLAIMS#UNRECORDED";
/// Sort key of singleton items (claims, payments, effects).
pub(crate) const ITEM: &str = "ITEM";
/// Cursor format version.
const CURSOR_VERSION: &str = "c1";
/// TransactWriteItems takes at most 100 items: the order, its payment, and the events.
const MAX_EVENTS_PER_UPDATE: usize = 98;

pub(crate) fn tenant_pk(tenant: &TenantId) -> String {
    format!("TENANT#{tenant}")
}

pub(crate) fn order_sk(id: OrderId) -> String {
    format!("ORDER#{id}")
}

pub(crate) fn cart_pk(cart: &order_domain::CartId) -> String {
    format!("CART#{cart}")
}

fn payment_pk(payment: &Payment) -> String {
    format!("PAYMENT#{}", payment.payment_id)
}

/// An outbox entry's partition: its order's own, not the tenant's, so that a tenant's busy
/// partition carries only its orders.
fn outbox_pk(order: OrderId) -> String {
    format!("OUTBOX#{order}")
}

fn outbox_sk(order: OrderId, event: &EventEnvelope) -> String {
    format!("OUTBOX#{order}#{}", event.message_id)
}

/// The open-orders feed of `status` (`OPEN#{status}#{shard}` in FEEDS).
fn open_feed(status: OrderStatus) -> String {
    format!("OPEN#{status}")
}

fn created_sort_key(created_at: DateTime<Utc>, id: OrderId) -> String {
    format!("{}#{id}", sortable_time(created_at))
}

/// The single-table order repository (orders, outbox, payment records) — and, through the same
/// value, the cart claims ([`order_ports::CartClaims`]). Billing addresses are sealed with the
/// injected [`FieldCipher`] (bound to the order id) before they are stored.
///
/// See the crate documentation for the item layout and the calls each operation makes.
#[derive(Clone)]
pub struct DynamoOrderRepository {
    pub(crate) client: Client,
    pub(crate) table: String,
    pub(crate) layout: TableLayout,
    cipher: Arc<dyn FieldCipher>,
    janitor: Arc<OutboxJanitor>,
}

impl std::fmt::Debug for DynamoOrderRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoOrderRepository")
            .field("table", &self.table)
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl DynamoOrderRepository {
    /// A repository on `table` (created by [`provision`](crate::provision) or an equivalent
    /// template), sealing billing addresses with `cipher`.
    /// It uses the default [`TableLayout`]; see [`with_layout`](Self::with_layout).
    pub fn new(client: Client, table: impl Into<String>, cipher: Arc<dyn FieldCipher>) -> Self {
        let table = table.into();
        let janitor = Arc::new(OutboxJanitor::new(client.clone(), table.clone()));
        Self { client, table, layout: TableLayout::default(), cipher, janitor }
    }

    /// The same repository on `layout` (every host of a deployment must use the same).
    #[must_use]
    pub fn with_layout(self, layout: TableLayout) -> Self {
        Self { layout, ..self }
    }

    fn encode_order(&self, order: &Order) -> PortResult<Item> {
        let tenant = order
            .tenant_id()
            .ok_or_else(|| PortError::InvalidData("an order is stored only with its tenant resolved".into()))?;
        let mut body = serde_json::to_value(order).map_err(|e| invalid(format!("order does not serialize: {e}")))?;
        let address = body
            .as_object_mut()
            .and_then(|fields| fields.remove("billingAddress"))
            .ok_or_else(|| invalid("serialized order has no billingAddress"))?;
        let address = serde_json::to_vec(&address).map_err(|e| invalid(format!("address does not serialize: {e}")))?;
        let id = order.id().to_string();
        let sealed = self.cipher.seal(&address, id.as_bytes())?;
        let body = serde_json::to_string(&body).map_err(|e| invalid(format!("order does not serialize: {e}")))?;
        let pk = tenant_pk(tenant);
        let mut item = Item::from([
            (PK.into(), s(pk.clone())),
            (SK.into(), s(order_sk(order.id()))),
            (GSI1PK.into(), s(pk)),
            (GSI1SK.into(), s(created_sort_key(order.created_at(), order.id()))),
            (GSI2PK.into(), s(order_sk(order.id()))),
            ("entity".into(), s("ORDER")),
            ("tenantId".into(), s(tenant.as_str())),
            ("orderId".into(), s(id)),
            ("status".into(), s(order.status().as_str())),
            ("version".into(), n(order.version())),
            ("createdAt".into(), s(sortable_time(order.created_at()))),
            ("updatedAt".into(), s(sortable_time(order.updated_at()))),
            ("body".into(), s(body)),
            ("billingAddress".into(), b(sealed)),
        ]);
        if !order.status().is_terminal() {
            let shard = self.layout.feed_shard(order.id());
            item.insert(FEEDPK.into(), s(feed_key(&open_feed(order.status()), shard)));
            item.insert(FEEDSK.into(), s(format!("{}#{}", sortable_time(order.status_since()), order.id())));
        }
        Ok(item)
    }

    fn decode_order(&self, item: &Item) -> PortResult<Order> {
        let id = get_s(item, "orderId")?;
        let mut body: Value = serde_json::from_str(get_s(item, "body")?)
            .map_err(|e| invalid(format!("stored order {id} is not JSON: {e}")))?;
        let address = self.cipher.open(get_b(item, "billingAddress")?, id.as_bytes())?;
        let address: Value = serde_json::from_slice(&address)
            .map_err(|e| invalid(format!("billing address of order {id} is not JSON: {e}")))?;
        body.as_object_mut()
            .ok_or_else(|| invalid(format!("stored order {id} is not an object")))?
            .insert("billingAddress".into(), address);
        let order: Order =
            serde_json::from_value(body).map_err(|e| invalid(format!("stored order {id} is invalid: {e}")))?;
        if order.id().to_string() != id {
            return Err(invalid(format!("stored order {id} holds order {}", order.id())));
        }
        Ok(order)
    }

    fn put_order(&self, item: Item, condition: &str, values: Vec<(&str, AttributeValue)>) -> PortResult<Put> {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, value) in values {
            put = put.expression_attribute_values(name, value);
        }
        built(put.build())
    }

    /// The order item's current version, read strongly consistently (`None` when absent).
    async fn stored_version(&self, tenant: &TenantId, id: OrderId) -> PortResult<Option<u64>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), order_sk(id))))
            .consistent_read(true)
            .projection_expression("version")
            .send()
            .await
            .map_err(|e| classify("GetItem(order version)", e))?;
        out.item.map(|item| super::get_n(&item, "version")).transpose()
    }

    /// An event's JSON sealed by the field cipher, bound to `context` (the item's key). Events
    /// carry the order's snapshot, billing address included, which is never stored in plain text.
    pub(crate) fn seal_event(&self, event: &EventEnvelope, context: &str) -> PortResult<AttributeValue> {
        let json = serde_json::to_vec(event).map_err(|e| invalid(format!("event does not serialize: {e}")))?;
        Ok(b(self.cipher.seal(&json, context.as_bytes())?))
    }

    /// Opens what [`seal_event`](Self::seal_event) stored in the item's `event` attribute.
    pub(crate) fn open_event(&self, item: &Item, context: &str) -> PortResult<EventEnvelope> {
        let json = self.cipher.open(get_b(item, "event")?, context.as_bytes())?;
        serde_json::from_slice(&json).map_err(|e| invalid(format!("stored event of {context} does not decode: {e}")))
    }

    fn outbox_item(&self, tenant: &TenantId, order: OrderId, event: &EventEnvelope) -> PortResult<Item> {
        let sk = outbox_sk(order, event);
        Ok(Item::from([
            (PK.into(), s(outbox_pk(order))),
            ("event".into(), self.seal_event(event, &sk)?),
            (SK.into(), s(sk)),
            (FEEDPK.into(), s(feed_key(OUTBOX_FEED, self.layout.feed_shard(order)))),
            (FEEDSK.into(), s(format!("{}#{}", sortable_time(event.timestamp), event.message_id))),
            ("entity".into(), s("OUTBOX")),
            ("tenantId".into(), s(tenant.as_str())),
            ("orderId".into(), s(order.to_string())),
        ]))
    }

    fn decode_outbox(&self, item: &Item) -> PortResult<OutboxEntry> {
        let tenant_id = TenantId::parse(get_s(item, "tenantId")?).map_err(|e| invalid(e.to_string()))?;
        let order_id = OrderId::parse(get_s(item, "orderId")?).map_err(|e| invalid(e.to_string()))?;
        let event = self.open_event(item, get_s(item, SK)?)?;
        Ok(OutboxEntry { tenant_id, order_id, event })
    }

    fn payment_item(tenant: &TenantId, order: OrderId, payment: &Payment) -> PortResult<Item> {
        let json = serde_json::to_string(payment).map_err(|e| invalid(format!("payment does not serialize: {e}")))?;
        Ok(Item::from([
            (PK.into(), s(payment_pk(payment))),
            (SK.into(), s(ITEM)),
            ("entity".into(), s("PAYMENT")),
            ("tenantId".into(), s(tenant.as_str())),
            ("orderId".into(), s(order.to_string())),
            ("payment".into(), s(json)),
        ]))
    }

    /// Why an update's transaction was cancelled, in the contract's terms.
    async fn update_failure(
        &self,
        reasons: &[CancellationReason],
        tenant: &TenantId,
        id: OrderId,
        expected: u64,
        payment_index: Option<usize>,
    ) -> PortResult<PortError> {
        if condition_failed(reasons, 0) {
            // The old item comes back with the reason when the service returns it; otherwise
            // one consistent read tells "absent" from "another version".
            let stored = match reasons.first().and_then(CancellationReason::item) {
                Some(old) => Some(super::get_n(old, "version")?),
                None => self.stored_version(tenant, id).await?,
            };
            return Ok(match stored {
                None => PortError::NotFound,
                Some(version) => PortError::Conflict(format!("order {id} is at version {version}, not {expected}")),
            });
        }
        if payment_index.is_some_and(|i| condition_failed(reasons, i)) {
            return Ok(PortError::AlreadyExists);
        }
        Ok(PortError::transient(format!("update of order {id} was cancelled")))
    }

    /// Encodes a listing position opaquely, bound to the tenant.
    fn encode_cursor(tenant: &TenantId, sort_key: &str) -> PageCursor {
        PageCursor(hex::encode(format!("{CURSOR_VERSION}\n{tenant}\n{sort_key}")))
    }

    /// The GSI1 sort key a cursor points at, if this repository produced it for `tenant`.
    fn decode_cursor(tenant: &TenantId, cursor: &PageCursor) -> PortResult<(String, OrderId)> {
        let refuse = || PortError::InvalidData("the cursor was not produced for this tenant's listing".into());
        let bytes = hex::decode(&cursor.0).map_err(|_| refuse())?;
        let text = String::from_utf8(bytes).map_err(|_| refuse())?;
        let mut parts = text.split('\n');
        let (Some(CURSOR_VERSION), Some(owner), Some(sort_key), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse());
        };
        if owner != tenant.as_str() {
            return Err(refuse());
        }
        let (time, id) = sort_key.split_once('#').ok_or_else(refuse)?;
        DateTime::parse_from_rfc3339(time).map_err(|_| refuse())?;
        let id = OrderId::parse(id).map_err(|_| refuse())?;
        Ok((sort_key.to_owned(), id))
    }

    /// A `Query` on `index` for the partition `pk_name = pk`, oldest first or newest first.
    fn index_query(
        &self,
        index: &str,
        pk_name: &str,
        pk: String,
        oldest_first: bool,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .scan_index_forward(oldest_first)
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(pk))
    }
}

#[async_trait]
impl OrderRepository for DynamoOrderRepository {
    /// One `TransactWriteItems` (put the order if absent + mark its cart claim recorded); when
    /// the cart has no claim for this order, a second call puts the order alone.
    async fn insert(&self, order: &Order) -> PortResult<()> {
        let item = self.encode_order(order)?;
        let put = self.put_order(item.clone(), "attribute_not_exists(PK)", Vec::new())?;
        let mark_claim = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(cart_pk(order.cart_id()), ITEM)))
                .condition_expression("orderId = :order")
                .update_expression("SET recorded = :true REMOVE FEEDPK, FEEDSK")
                .expression_attribute_values(":order", s(order.id().to_string()))
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .build(),
        )?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(mark_claim).build(),
        ];
        match transact(&self.client, "TransactWriteItems(insert order)", items).await? {
            Transacted::Committed => return Ok(()),
            Transacted::ConditionFailed(reasons) if condition_failed(&reasons, 0) => {
                return Err(PortError::AlreadyExists);
            }
            Transacted::ConditionFailed(_) => {}
        }
        // No claim (or a claim for another order, from an API that never claimed this cart for
        // it): store the order alone.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(PutItemError::is_conditional_check_failed_exception) => {
                Err(PortError::AlreadyExists)
            }
            Err(e) => Err(classify("PutItem(order)", e)),
        }
    }

    /// One strongly consistent `GetItem` on the tenant's partition.
    async fn get(&self, tenant: &TenantId, id: OrderId) -> PortResult<Order> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), order_sk(id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem(order)", e))?;
        let item = out.item.ok_or(PortError::NotFound)?;
        self.decode_order(&item)
    }

    /// One `Query` on GSI2 (eventually consistent, as every GSI read).
    async fn get_by_id(&self, id: OrderId) -> PortResult<Order> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI2PK)
            .expression_attribute_values(":pk", s(order_sk(id)))
            .limit(1)
            .send()
            .await
            .map_err(|e| classify("Query(GSI2 order by id)", e))?;
        let item = out.items.unwrap_or_default().into_iter().next().ok_or(PortError::NotFound)?;
        self.decode_order(&item)
    }

    /// One `Query` on GSI1, descending, `Limit = limit + 1` to know whether a next page exists
    /// without a second call. A status filter is applied after DynamoDB's `Limit`, so a page
    /// with a status filter may need further queries to fill up.
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> PortResult<OrderPage> {
        if query.limit == 0 || query.limit > ListQuery::MAX_LIMIT {
            return Err(PortError::InvalidData(format!("limit must be 1 to {}", ListQuery::MAX_LIMIT)));
        }
        let limit = query.limit as usize;
        let pk = tenant_pk(tenant);
        let from = query.created_from.map(sortable_time);
        let before = query.created_before.map(sortable_time);
        let mut start = match &query.cursor {
            Some(cursor) => {
                let (sort_key, id) = Self::decode_cursor(tenant, cursor)?;
                let outside =
                    from.as_ref().is_some_and(|f| sort_key < *f) || before.as_ref().is_some_and(|b| sort_key >= *b);
                if outside {
                    return Err(PortError::InvalidData("the cursor lies outside the listed period".into()));
                }
                Some(Item::from([
                    (PK.into(), s(pk.clone())),
                    (SK.into(), s(order_sk(id))),
                    (GSI1PK.into(), s(pk.clone())),
                    (GSI1SK.into(), s(sort_key)),
                ]))
            }
            None => None,
        };
        let mut request = self.index_query(GSI1, GSI1PK, pk, false);
        request = match (from, before) {
            (None, None) => request.key_condition_expression("#pk = :pk"),
            (Some(from), None) => request
                .key_condition_expression("#pk = :pk AND #sk >= :from")
                .expression_attribute_names("#sk", GSI1SK)
                .expression_attribute_values(":from", s(from)),
            (None, Some(before)) => request
                .key_condition_expression("#pk = :pk AND #sk < :before")
                .expression_attribute_names("#sk", GSI1SK)
                .expression_attribute_values(":before", s(before)),
            // Keys are `{time}#{id}`, so the bare `{before}` sorts below every key at that
            // instant: BETWEEN's inclusive upper bound excludes them.
            (Some(from), Some(before)) => request
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :before")
                .expression_attribute_names("#sk", GSI1SK)
                .expression_attribute_values(":from", s(from))
                .expression_attribute_values(":before", s(before)),
        };
        if let Some(status) = query.status {
            request = request
                .filter_expression("#status = :status")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status.as_str()));
        }
        let mut items: Vec<Item> = Vec::with_capacity(limit + 1);
        loop {
            let want = i32::try_from(limit + 1 - items.len()).unwrap_or(i32::MAX);
            let out = request
                .clone()
                .limit(want)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify("Query(GSI1 orders by date)", e))?;
            items.extend(out.items.unwrap_or_default());
            if items.len() > limit {
                break;
            }
            match out.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => break,
            }
        }
        let next = if items.len() > limit {
            items.truncate(limit);
            let last = items.last().ok_or_else(|| invalid("empty page with a next page"))?;
            Some(Self::encode_cursor(tenant, get_s(last, GSI1SK)?))
        } else {
            None
        };
        let orders = items.iter().map(|item| self.decode_order(item)).collect::<PortResult<Vec<_>>>()?;
        Ok(OrderPage { orders, next })
    }

    /// One `TransactWriteItems`: the order put with `version = expected`, one put per outbox
    /// entry and, with a payment, the payment record put if absent (or already this order's).
    /// A failed version check costs one more consistent read only when the service does not
    /// return the old item.
    async fn update<'a>(&self, update: OrderUpdate<'a>) -> PortResult<()> {
        let order = update.order;
        let tenant = order
            .tenant_id()
            .ok_or_else(|| PortError::InvalidData("an order is stored only with its tenant resolved".into()))?;
        if update.events.len() > MAX_EVENTS_PER_UPDATE {
            return Err(PortError::InvalidData(format!("at most {MAX_EVENTS_PER_UPDATE} events per update")));
        }
        let put = self.put_order(
            self.encode_order(order)?,
            "attribute_exists(PK) AND version = :expected",
            vec![(":expected", n(update.expected_version))],
        )?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        let mut payment_index = None;
        if let Some(payment) = update.payment {
            payment_index = Some(items.len());
            let put = built(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(Self::payment_item(tenant, order.id(), payment)?))
                    .condition_expression("attribute_not_exists(PK) OR orderId = :order")
                    .expression_attribute_values(":order", s(order.id().to_string()))
                    .build(),
            )?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        for event in update.events {
            let put = built(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(self.outbox_item(tenant, order.id(), event)?))
                    .build(),
            )?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        match transact(&self.client, "TransactWriteItems(update order)", items).await? {
            Transacted::Committed => Ok(()),
            Transacted::ConditionFailed(reasons) => {
                Err(self.update_failure(&reasons, tenant, order.id(), update.expected_version, payment_index).await?)
            }
        }
    }

    /// One `Query` per feed shard of `OPEN#{status}` (FEEDS, keys only, ascending), then one
    /// strongly consistent `BatchGetItem` per 100 orders. An order that changed status or
    /// moved on since the index was read is left out.
    async fn stale(&self, status: OrderStatus, before: DateTime<Utc>, limit: usize) -> PortResult<Vec<Order>> {
        // `{before}#~` sorts after every `{before}#order_…` key: the bound is inclusive.
        let bound = Bound::AtMost(format!("{}#~", sortable_time(before)));
        let mut orders = Vec::new();
        for item in self.read_feed(&open_feed(status), bound, limit).await? {
            let order = self.decode_order(&item)?;
            if order.status() == status && order.status_since() <= before {
                orders.push(order);
            }
        }
        Ok(orders)
    }

    /// One `Query` per feed shard of `OUTBOX` (FEEDS, keys only, ascending), then one strongly
    /// consistent `BatchGetItem` per 100 entries.
    async fn pending_outbox(&self, limit: usize) -> PortResult<Vec<OutboxEntry>> {
        self.read_feed(OUTBOX_FEED, Bound::None, limit).await?.iter().map(|item| self.decode_outbox(item)).collect()
    }

    /// One `DeleteItem` (deleting a missing item succeeds).
    async fn clear_outbox(&self, entry: &OutboxEntry) -> PortResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::outbox_key(entry)))
            .send()
            .await
            .map_err(|e| classify("DeleteItem(outbox)", e))?;
        Ok(())
    }

    /// No call on the caller's path: the entry's key goes to a background task that deletes
    /// entries in `BatchWriteItem`s of up to 25, at most 50 ms after the first of a batch
    /// arrives. An entry whose deletion never happens (the process stopped first, or the
    /// deletion failed and was logged) stays in the outbox and the relay publishes it again;
    /// consumers are idempotent. `flush_outbox_clearing` waits
    /// for the deletions handed over so far.
    async fn clear_outbox_soon(&self, entry: &OutboxEntry) -> PortResult<()> {
        if self.janitor.hand_over(Self::outbox_key(entry)) {
            return Ok(());
        }
        // No background task can run here (no runtime to spawn it on, or its runtime ended):
        // delete now.
        self.clear_outbox(entry).await
    }

    /// Waits for the background task to finish the deletions handed to it so far.
    async fn flush_outbox_clearing(&self) {
        self.janitor.flush().await;
    }
}

impl DynamoOrderRepository {
    fn outbox_key(entry: &OutboxEntry) -> Item {
        key(outbox_pk(entry.order_id), outbox_sk(entry.order_id, &entry.event))
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_time;
    use super::*;

    #[test]
    fn cursors_round_trip_for_their_tenant_only() {
        let tenant = TenantId::parse("tenant_a").unwrap();
        let other = TenantId::parse("tenant_b").unwrap();
        let id = OrderId::from_parts(order_domain::testing::now(), 1);
        let sort_key = created_sort_key(order_domain::testing::now(), id);
        let cursor = DynamoOrderRepository::encode_cursor(&tenant, &sort_key);
        assert_eq!(DynamoOrderRepository::decode_cursor(&tenant, &cursor).unwrap(), (sort_key, id));
        assert!(matches!(DynamoOrderRepository::decode_cursor(&other, &cursor), Err(PortError::InvalidData(_))));
        let forged = PageCursor("zz".into());
        assert!(matches!(DynamoOrderRepository::decode_cursor(&tenant, &forged), Err(PortError::InvalidData(_))));
    }

    #[test]
    fn sort_keys_are_fixed_width_and_sort_by_time() {
        let early = order_domain::testing::now();
        let late = early + chrono::TimeDelta::nanoseconds(1);
        let id = OrderId::from_parts(early, 1);
        let (a, b) = (created_sort_key(early, id), created_sort_key(late, id));
        assert_eq!(a.len(), b.len());
        assert!(a < b);
        assert_eq!(parse_time(&sortable_time(late)).unwrap(), late);
    }
}
