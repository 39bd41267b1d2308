//! [`DynamoInvoiceNumbers`]: per-supplier invoice serials in the orders table.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Get, Put, TransactGetItem, TransactWriteItem, Update};
use order_domain::OrderId;
use order_ports::{InvoiceNumber, InvoiceNumbers, PortError, PortResult};

use super::names::{PK, SK};
use super::{Item, Transacted, built, get_n, key, n, s, transact};
use crate::error::classify;

const COUNTER: &str = "INVOICE_COUNTER";
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

fn invoice_sk(order: OrderId) -> String {
    format!("INVOICE#{order}")
}

/// Invoice serial numbers: one gap-free counter per supplier and one item per invoiced order.
///
/// Items: `PK = SUPPLIER#{supplier}`, `SK = INVOICE_COUNTER` with `last` (the last number
/// given), and `SK = INVOICE#{orderId}` with `number`. `number_for` reads both in one
/// `TransactGetItems`; an order that has a number gets it back (1 call). Otherwise one
/// `TransactWriteItems` adds 1 to the counter (`ADD`, on the condition that it still holds the
/// value read) and puts the order's item (if absent) — 2 calls in all. A concurrent allocation
/// cancels the transaction and the round repeats, so a number is never given twice, never
/// skipped, and an order never gets two.
#[derive(Debug, Clone)]
pub struct DynamoInvoiceNumbers {
    client: Client,
    table: String,
}

impl DynamoInvoiceNumbers {
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
impl InvoiceNumbers for DynamoInvoiceNumbers {
    async fn number_for(&self, supplier: &str, order: OrderId) -> PortResult<InvoiceNumber> {
        let pk = supplier_pk(supplier);
        for round in 0..MAX_ROUNDS {
            let out = self
                .client
                .transact_get_items()
                .transact_items(self.get(key(pk.clone(), invoice_sk(order)))?)
                .transact_items(self.get(key(pk.clone(), COUNTER))?)
                .send()
                .await
                .map_err(|e| classify("TransactGetItems(invoice number)", e))?;
            let responses = out.responses();
            if let Some(item) = responses.first().and_then(|r| r.item()) {
                return Ok(InvoiceNumber(get_n(item, "number")?));
            }
            let last = match responses.get(1).and_then(|r| r.item()) {
                Some(item) => get_n(item, "last")?,
                None => 0,
            };
            let next = last + 1;
            let counter = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(pk.clone(), COUNTER)))
                .update_expression("ADD #last :one SET entity = :entity")
                .expression_attribute_names("#last", "last")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":entity", s("INVOICE_COUNTER"));
            let counter = if last == 0 {
                counter.condition_expression("attribute_not_exists(#last)")
            } else {
                counter.condition_expression("#last = :last").expression_attribute_values(":last", n(last))
            };
            let number = Put::builder()
                .table_name(&self.table)
                .set_item(Some(Item::from([
                    (PK.into(), s(pk.clone())),
                    (SK.into(), s(invoice_sk(order))),
                    ("entity".into(), s("INVOICE_NUMBER")),
                    ("orderId".into(), s(order.to_string())),
                    ("number".into(), n(next)),
                ])))
                .condition_expression("attribute_not_exists(PK)");
            let items = vec![
                TransactWriteItem::builder().update(built(counter.build())?).build(),
                TransactWriteItem::builder().put(built(number.build())?).build(),
            ];
            match transact(&self.client, "TransactWriteItems(invoice number)", items).await? {
                Transacted::Committed => return Ok(InvoiceNumber(next)),
                // Someone else moved the counter or numbered this order: read again.
                Transacted::ConditionFailed(_) => back_off(round).await,
            }
        }
        Err(PortError::transient(format!("invoice number for {order} still contended after {MAX_ROUNDS} rounds")))
    }
}
