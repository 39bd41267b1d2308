//! [`DynamoDocumentNumbers`]: per-supplier serials of tax invoices and credit notes in the
//! orders table.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Get, Put, TransactGetItem, TransactWriteItem, Update};
use order_domain::OrderId;
use order_ports::{DocumentNumber, DocumentNumbers, NumberSeries, PortError, PortResult};

use super::names::{PK, SK};
use super::{Item, Transacted, built, get_n, key, n, s, transact};
use crate::error::classify;

/// A series' names in the table: the counter's sort key and the per-order item's prefix.
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

fn supplier_pk(supplier: &str) -> String {
    format!("SUPPLIER#{supplier}")
}

fn number_sk(series: NumberSeries, order: OrderId) -> String {
    format!("{}#{order}", names(series).1)
}

/// Serial numbers: one gap-free counter per supplier and series, and one item per numbered
/// document.
///
/// Items: `PK = SUPPLIER#{supplier}`, `SK = INVOICE_COUNTER` (tax invoices) or
/// `CREDIT_NOTE_COUNTER` (credit notes) with `last` (the last number given), and
/// `SK = INVOICE#{orderId}` or `CREDIT_NOTE#{orderId}` with `number`. `number_for` reads both in one
/// `TransactGetItems`; an order that has a number gets it back (1 call). Otherwise one
/// `TransactWriteItems` adds 1 to the counter (`ADD`, on the condition that it still holds the
/// value read) and puts the order's item (if absent) — 2 calls in all. A concurrent allocation
/// cancels the transaction and the round repeats, so a number is never given twice, never
/// skipped, and an order never gets two.
#[derive(Debug, Clone)]
pub struct DynamoDocumentNumbers {
    client: Client,
    table: String,
}

impl DynamoDocumentNumbers {
    /// Serials in `table` (the orders table).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
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
        let pk = supplier_pk(supplier);
        let (counter_sk, entity) = names(series);
        let item_sk = number_sk(series, order);
        for round in 0..MAX_ROUNDS {
            let out = self
                .client
                .transact_get_items()
                .transact_items(self.get(key(pk.clone(), item_sk.clone()))?)
                .transact_items(self.get(key(pk.clone(), counter_sk))?)
                .send()
                .await
                .map_err(|e| classify("TransactGetItems(document number)", e))?;
            let responses = out.responses();
            if let Some(item) = responses.first().and_then(|r| r.item()) {
                return Ok(DocumentNumber { series, serial: get_n(item, "number")? });
            }
            let last = match responses.get(1).and_then(|r| r.item()) {
                Some(item) => get_n(item, "last")?,
                None => 0,
            };
            let next = last + 1;
            let counter = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(pk.clone(), counter_sk)))
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
                    (PK.into(), s(pk.clone())),
                    (SK.into(), s(item_sk.clone())),
                    ("entity".into(), s(format!("{entity}_NUMBER"))),
                    ("orderId".into(), s(order.to_string())),
                    ("number".into(), n(next)),
                ])))
                .condition_expression("attribute_not_exists(PK)");
            let items = vec![
                TransactWriteItem::builder().update(built(counter.build())?).build(),
                TransactWriteItem::builder().put(built(number.build())?).build(),
            ];
            match transact(&self.client, "TransactWriteItems(document number)", items).await? {
                Transacted::Committed => return Ok(DocumentNumber { series, serial: next }),
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
