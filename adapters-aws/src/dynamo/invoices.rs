//! [`DynamoDocumentNumbers`]: per-supplier serials of tax invoices and credit notes in the
//! orders table.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Get, Put, TransactGetItem, TransactWriteItem, Update};
use order_domain::OrderId;
use order_ports::{DocumentNumber, DocumentNumbers, NumberSeries, PortError, PortResult};

use super::names::{PK, SK};
use super::{Item, Transacted, built, get_n, key, n, s, transact};
use crate::error::{classify, invalid};
use crate::layout::TableLayout;

/// A series' names in the table: the counter's sort key and the number's sort key.
fn names(series: NumberSeries) -> (&'static str, &'static str) {
    match series {
        NumberSeries::TaxInvoice => ("INVOICE_COUNTER", "INVOICE"),
        NumberSeries::CreditNote => ("CREDIT_NOTE_COUNTER", "CREDIT_NOTE"),
    }
}
/// Rounds of read-then-write before giving up under extreme contention.
const MAX_ROUNDS: u32 = 64;
/// The longest pause between two rounds.
const MAX_BACKOFF_MS: u64 = 100;

/// A random pause that grows with the round, so contenders for one supplier's counter spread
/// out instead of colliding again on the next round.
async fn back_off(round: u32) {
    use std::hash::{BuildHasher, Hasher};
    let cap = (1_u64 << round.min(7)).min(MAX_BACKOFF_MS);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(round);
    tokio::time::sleep(std::time::Duration::from_millis(hasher.finish() % (cap + 1))).await;
}

/// The partition of one supplier's sequence of counters, `SUPPLIER#{supplier}#{sequence}`:
/// each sequence its own partition key, so sequences never share a partition's capacity.
fn counter_pk(supplier: &str, sequence: u16) -> String {
    format!("SUPPLIER#{supplier}#{sequence}")
}

/// The partition of an order's numbers from a supplier: one per order, whatever the sequence
/// count, so a number is found again after the count changes.
fn number_pk(supplier: &str, order: OrderId) -> String {
    format!("NUMBER#{supplier}#{order}")
}

/// Serial numbers: per supplier and series, `number_sequences` parallel gap-free sequences
/// (see [`TableLayout`]), each with its own counter item, and one item per numbered document.
///
/// Items: the counter `PK = SUPPLIER#{supplier}#{sequence}`,
/// `SK = INVOICE_COUNTER` (tax invoices) or `CREDIT_NOTE_COUNTER` (credit notes), with `last`
/// (the last number given); the number `PK = NUMBER#{supplier}#{orderId}`, `SK = INVOICE` or
/// `CREDIT_NOTE`, with `sequence` and `number`. An order's sequence is
/// [`TableLayout::number_sequence`] of its id. `number_for` reads the number and the counter in
/// one `TransactGetItems`; an order that has a number gets it back (1 call). Otherwise one
/// `TransactWriteItems` adds 1 to the counter (`ADD`, on the condition that it still holds the
/// value read) and puts the order's number (if absent) — 2 calls in all. A concurrent
/// allocation cancels the transaction and the round repeats, so within a sequence a number is
/// never given twice, never skipped, and an order never gets two.
#[derive(Debug, Clone)]
pub struct DynamoDocumentNumbers {
    client: Client,
    table: String,
    layout: TableLayout,
}

impl DynamoDocumentNumbers {
    /// Serials in `table` (the orders table), on the default [`TableLayout`] (one sequence).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), layout: TableLayout::default() }
    }

    /// The same serials on `layout` (every host of a deployment must use the same).
    #[must_use]
    pub fn with_layout(self, layout: TableLayout) -> Self {
        Self { layout, ..self }
    }

    fn get(&self, key: Item) -> PortResult<TransactGetItem> {
        Ok(TransactGetItem::builder()
            .get(built(Get::builder().table_name(&self.table).set_key(Some(key)).build())?)
            .build())
    }
}

#[async_trait]
impl DocumentNumbers for DynamoDocumentNumbers {
    async fn number_for(&self, supplier: &str, series: NumberSeries, order: OrderId) -> PortResult<DocumentNumber> {
        let sequence = self.layout.number_sequence(order);
        let counter_key = counter_pk(supplier, sequence);
        let number_pk = number_pk(supplier, order);
        let (counter_sk, entity) = names(series);
        for round in 0..MAX_ROUNDS {
            let out = self
                .client
                .transact_get_items()
                .transact_items(self.get(key(number_pk.clone(), entity))?)
                .transact_items(self.get(key(counter_key.clone(), counter_sk))?)
                .send()
                .await
                .map_err(|e| classify("TransactGetItems(document number)", e))?;
            let responses = out.responses();
            if let Some(item) = responses.first().and_then(|r| r.item()) {
                // The sequence it was numbered in, whatever the count is now.
                let sequence = u16::try_from(get_n(item, "sequence")?)
                    .map_err(|_| invalid(format!("the {entity} number of {order} has no valid sequence")))?;
                return Ok(DocumentNumber { series, sequence, serial: get_n(item, "number")? });
            }
            let last = match responses.get(1).and_then(|r| r.item()) {
                Some(item) => get_n(item, "last")?,
                None => 0,
            };
            let next = last + 1;
            let counter = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(counter_key.clone(), counter_sk)))
                .update_expression("ADD #last :one SET entity = :entity")
                .expression_attribute_names("#last", "last")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":entity", s(counter_sk));
            let counter = if last == 0 {
                counter.condition_expression("attribute_not_exists(#last)")
            } else {
                counter.condition_expression("#last = :last").expression_attribute_values(":last", n(last))
            };
            let number = Put::builder()
                .table_name(&self.table)
                .set_item(Some(Item::from([
                    (PK.into(), s(number_pk.clone())),
                    (SK.into(), s(entity)),
                    ("entity".into(), s(format!("{entity}_NUMBER"))),
                    ("orderId".into(), s(order.to_string())),
                    ("sequence".into(), n(u64::from(sequence))),
                    ("number".into(), n(next)),
                ])))
                .condition_expression("attribute_not_exists(PK)");
            let items = vec![
                TransactWriteItem::builder().update(built(counter.build())?).build(),
                TransactWriteItem::builder().put(built(number.build())?).build(),
            ];
            match transact(&self.client, "TransactWriteItems(document number)", items).await? {
                Transacted::Committed => return Ok(DocumentNumber { series, sequence, serial: next }),
                // Someone else moved the counter or numbered this order: read again.
                Transacted::ConditionFailed(_) => back_off(round).await,
            }
        }
        Err(PortError::transient(format!(
            "{} number for {order} still contended after {MAX_ROUNDS} rounds",
            series.prefix()
        )))
    }
}
