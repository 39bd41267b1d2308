//! [`DynamoEffectLog`]: effect records (`EFFECT#{key}` items) in the orders table.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Utc};
use order_ports::{EffectLog, EffectStart, PortResult};

use super::orders::ITEM;
use super::{Item, get_opt_s, key, n, s, sortable_time};
use crate::error::classify;

const RUNNING: &str = "RUNNING";
const DONE: &str = "DONE";

fn effect_pk(key: &str) -> String {
    format!("EFFECT#{key}")
}

fn millis(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp_millis()).unwrap_or(0)
}

fn from_millis(millis: u64) -> DateTime<Utc> {
    i64::try_from(millis).ok().and_then(DateTime::from_timestamp_millis).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Effect records for side effects done at most once (an email per order and template).
///
/// Item: `PK = EFFECT#{key}`, `SK = ITEM`, `state` (`RUNNING` | `DONE`), `leaseUntil` (epoch
/// milliseconds), `startedAt`, `completedAt`. Every operation is one call: `begin` a
/// conditional `UpdateItem` (absent, or running with an expired lease) that returns the old
/// item when refused; `complete` an `UpdateItem`; `abandon` a `DeleteItem` conditioned on the
/// record still running.
#[derive(Debug, Clone)]
pub struct DynamoEffectLog {
    client: Client,
    table: String,
}

impl DynamoEffectLog {
    /// An effect log in `table` (the orders table).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    async fn current_state(&self, key: &str) -> PortResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(super::key(effect_pk(key), ITEM)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem(effect)", e))?;
        Ok(out.item)
    }
}

#[async_trait]
impl EffectLog for DynamoEffectLog {
    async fn begin(&self, effect: &str, at: DateTime<Utc>, lease: Duration) -> PortResult<EffectStart> {
        let until = millis(at).saturating_add(u64::try_from(lease.as_millis()).unwrap_or(u64::MAX));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(effect_pk(effect), ITEM)))
            .update_expression("SET #state = :running, leaseUntil = :until, startedAt = :at, entity = :entity")
            .condition_expression("attribute_not_exists(PK) OR (#state = :running AND leaseUntil <= :now)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":now", n(millis(at)))
            .expression_attribute_values(":at", s(sortable_time(at)))
            .expression_attribute_values(":entity", s("EFFECT"))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let Err(err) = result else { return Ok(EffectStart::Proceed) };
        let Some(UpdateItemError::ConditionalCheckFailedException(failed)) = err.as_service_error() else {
            return Err(classify("UpdateItem(begin effect)", err));
        };
        let old = match failed.item() {
            Some(old) => Some(old.clone()),
            None => self.current_state(effect).await?,
        };
        Ok(match old.as_ref().and_then(|item| get_opt_s(item, "state")) {
            Some(DONE) => EffectStart::AlreadyDone,
            // The holder's `leaseUntil`; should it be unreadable, the longest a lease taken now
            // could last, so that a retry never comes back before the lease can have run out.
            _ => EffectStart::InProgress {
                until: old
                    .as_ref()
                    .and_then(|item| item.get("leaseUntil"))
                    .and_then(|value| value.as_n().ok())
                    .and_then(|n| n.parse::<i64>().ok())
                    .and_then(DateTime::from_timestamp_millis)
                    .unwrap_or_else(|| from_millis(until)),
            },
        })
    }

    async fn complete(&self, effect: &str, at: DateTime<Utc>) -> PortResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(effect_pk(effect), ITEM)))
            .update_expression("SET #state = :done, completedAt = :at, entity = :entity REMOVE leaseUntil")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s(DONE))
            .expression_attribute_values(":at", s(sortable_time(at)))
            .expression_attribute_values(":entity", s("EFFECT"))
            .send()
            .await
            .map_err(|e| classify("UpdateItem(complete effect)", e))?;
        Ok(())
    }

    async fn abandon(&self, effect: &str) -> PortResult<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(effect_pk(effect), ITEM)))
            .condition_expression("#state = :running")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":running", s(RUNNING))
            .send()
            .await;
        match result {
            // Done (or never begun): nothing to give up.
            Err(e) if e.as_service_error().is_some_and(DeleteItemError::is_conditional_check_failed_exception) => {
                Ok(())
            }
            Err(e) => Err(classify("DeleteItem(abandon effect)", e)),
            Ok(_) => Ok(()),
        }
    }
}
