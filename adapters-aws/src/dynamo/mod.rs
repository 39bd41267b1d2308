//! The DynamoDB adapters and what they share: key shapes, attribute access, and one helper for
//! `TransactWriteItems` that separates "a condition failed" (an outcome the caller interprets)
//! from every other failure (classified).

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, TransactWriteItem};
use aws_smithy_types::error::display::DisplayErrorContext;
use chrono::{DateTime, SecondsFormat, Utc};
use order_ports::{PortError, PortResult};

use crate::error::{classify, invalid};

pub(crate) mod campaigns;
pub(crate) mod claims;
pub(crate) mod effects;
pub(crate) mod feeds;
pub(crate) mod invoices;
pub(crate) mod janitor;
pub(crate) mod orders;
pub(crate) mod tenants;

/// One DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// Attribute names of the table keys and indexes.
pub(crate) mod names {
    /// Partition key of the tables.
    pub(crate) const PK: &str = "PK";
    /// Sort key of the tables.
    pub(crate) const SK: &str = "SK";
    /// GSI1: a tenant's orders by creation time (projection `ALL`: a listing page is one
    /// query).
    pub(crate) const GSI1: &str = "GSI1";
    /// GSI1's partition key.
    pub(crate) const GSI1PK: &str = "GSI1PK";
    /// GSI1's sort key.
    pub(crate) const GSI1SK: &str = "GSI1SK";
    /// GSI2: an order by its id alone.
    pub(crate) const GSI2: &str = "GSI2";
    /// GSI2's partition key.
    pub(crate) const GSI2PK: &str = "GSI2PK";
    /// FEEDS: the sharded, sparse work feeds — open orders by status (`OPEN#{status}#{shard}`),
    /// the outbox (`OUTBOX#{shard}`) and unrecorded cart claims (`CLAIMS#UNRECORDED#{shard}`),
    /// oldest first. Projection `KEYS_ONLY`: an index write is one unit, and the readers fetch
    /// what they need from the table.
    pub(crate) const FEEDS: &str = "FEEDS";
    /// FEEDS' partition key: `{feed}#{shard}`.
    pub(crate) const FEEDPK: &str = "FEEDPK";
    /// FEEDS' sort key: `{time}#{id}`.
    pub(crate) const FEEDSK: &str = "FEEDSK";
}

/// A fixed-width, sortable RFC 3339 timestamp (`2026-11-25T10:00:00.000000000Z`): string order
/// is time order.
pub(crate) fn sortable_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Parses what [`sortable_time`] wrote.
pub(crate) fn parse_time(text: &str) -> PortResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| invalid(format!("stored timestamp {text:?} does not parse: {e}")))
}

/// A string attribute.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(crate) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A binary attribute.
pub(crate) fn b(value: Vec<u8>) -> AttributeValue {
    AttributeValue::B(Blob::new(value))
}

/// A `{PK, SK}` key.
pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(names::PK.to_owned(), s(pk)), (names::SK.to_owned(), s(sk))])
}

/// The string attribute `name`.
pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> PortResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(invalid(format!("item attribute {name} is missing or not a string"))),
    }
}

/// The optional string attribute `name`.
pub(crate) fn get_opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value),
        _ => None,
    }
}

/// The non-negative integer attribute `name`.
pub(crate) fn get_n(item: &Item, name: &str) -> PortResult<u64> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => {
            value.parse().map_err(|_| invalid(format!("item attribute {name} = {value:?} is not a count")))
        }
        _ => Err(invalid(format!("item attribute {name} is missing or not a number"))),
    }
}

/// The binary attribute `name`.
pub(crate) fn get_b<'a>(item: &'a Item, name: &str) -> PortResult<&'a [u8]> {
    match item.get(name) {
        Some(AttributeValue::B(value)) => Ok(value.as_ref()),
        _ => Err(invalid(format!("item attribute {name} is missing or not binary"))),
    }
}

/// The boolean attribute `name` (`false` when absent).
pub(crate) fn get_bool(item: &Item, name: &str) -> bool {
    matches!(item.get(name), Some(AttributeValue::Bool(true)))
}

/// A request that could not be built is a bug in this crate, never retryable.
pub(crate) fn built<T>(result: Result<T, BuildError>) -> PortResult<T> {
    result.map_err(|e| PortError::Unavailable {
        message: format!("could not build a DynamoDB request: {e}"),
        retryable: false,
        source: Some(Box::new(e)),
    })
}

/// What a `TransactWriteItems` call did.
pub(crate) enum Transacted {
    /// Every write happened.
    Committed,
    /// Nothing happened because at least one condition failed; one reason per item, in order
    /// (`None`, `ConditionalCheckFailed`, …), with the old item when it was asked for.
    ConditionFailed(Vec<CancellationReason>),
}

/// `true` when the condition of the `index`-th item of a cancelled transaction failed.
pub(crate) fn condition_failed(reasons: &[CancellationReason], index: usize) -> bool {
    reasons.get(index).and_then(CancellationReason::code) == Some("ConditionalCheckFailed")
}

/// Runs one `TransactWriteItems`. A cancellation caused by a failed condition is an outcome
/// ([`Transacted::ConditionFailed`]); a cancellation for any other reason (a concurrent
/// transaction on the same item, throttling) is a retryable `Unavailable`; other errors are
/// classified.
pub(crate) async fn transact(
    client: &Client,
    operation: &'static str,
    items: Vec<TransactWriteItem>,
) -> PortResult<Transacted> {
    match client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(Transacted::Committed),
        Err(err) => {
            if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() {
                let reasons = cancelled.cancellation_reasons().to_vec();
                if reasons.iter().any(|r| r.code() == Some("ConditionalCheckFailed")) {
                    return Ok(Transacted::ConditionFailed(reasons));
                }
                let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap_or("-")).collect();
                let retryable = codes.iter().any(|code| {
                    matches!(*code, "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded")
                });
                tracing::warn!(operation, retryable, ?codes, error = %DisplayErrorContext(&err), "transaction cancelled");
                return Err(PortError::Unavailable {
                    message: format!("{operation} was cancelled ({})", codes.join(", ")),
                    retryable,
                    source: Some(Box::new(err)),
                });
            }
            Err(classify(operation, err))
        }
    }
}
