//! Reading the sharded work feeds of the `FEEDS` index: every shard queried concurrently (a
//! bounded number at a time), the keys merged oldest first, then the items themselves fetched
//! from the table with strongly consistent `BatchGetItem`s (the index projects keys only).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use futures::{StreamExt, TryStreamExt, stream};
use order_ports::{PortError, PortResult};

use super::names::{FEEDPK, FEEDS, FEEDSK, PK, SK};
use super::orders::DynamoOrderRepository;
use super::{Item, built, get_s, s};
use crate::error::classify;

/// Shards queried at the same time.
const CONCURRENT_SHARD_QUERIES: usize = 16;
/// `BatchGetItem` takes at most 100 keys.
const BATCH_GET_KEYS: usize = 100;
/// Rounds for the keys a `BatchGetItem` leaves unprocessed (throttling) before giving up.
const BATCH_GET_ROUNDS: u32 = 8;

/// A feed's name and its shard: `{feed}#{shard}`, the `FEEDPK` of its entries.
pub(crate) fn feed_key(feed: &str, shard: u16) -> String {
    format!("{feed}#{shard}")
}

/// The upper bound of a feed read on the sort key (`{time}#{id}`).
#[derive(Debug, Clone)]
pub(crate) enum Bound {
    /// Every entry.
    None,
    /// Entries whose sort key is below this one.
    Below(String),
    /// Entries whose sort key is at most this one.
    AtMost(String),
}

impl DynamoOrderRepository {
    /// The oldest `limit` entries of `feed` over every shard read ([`TableLayout::feed_shards_read`](crate::TableLayout::feed_shards_read)),
    /// as whole table items, oldest first. An entry that left the feed between the index read
    /// and the item read is left out; an item that no longer belongs to the feed (it changed
    /// meanwhile) is returned as it is now, for the caller to judge.
    ///
    /// Costs one `Query` per shard (at most [`CONCURRENT_SHARD_QUERIES`] at a time) and one
    /// `BatchGetItem` per 100 entries.
    pub(crate) async fn read_feed(&self, feed: &str, bound: Bound, limit: usize) -> PortResult<Vec<Item>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let shards = self.layout.feed_shards_read();
        let per_shard: Vec<Vec<Item>> = stream::iter(0..shards)
            .map(|shard| self.shard_keys(feed_key(feed, shard), bound.clone(), limit))
            .buffer_unordered(CONCURRENT_SHARD_QUERIES)
            .try_collect()
            .await?;
        let mut keys: Vec<(String, Item)> = Vec::new();
        for item in per_shard.into_iter().flatten() {
            let sort_key = get_s(&item, FEEDSK)?.to_owned();
            let key = Item::from([(PK.to_owned(), s(get_s(&item, PK)?)), (SK.to_owned(), s(get_s(&item, SK)?))]);
            keys.push((sort_key, key));
        }
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys.truncate(limit);
        self.batch_get(keys.into_iter().map(|(_, key)| key).collect()).await
    }

    /// The keys of one shard's oldest `limit` entries (1 MB pages until `limit`).
    async fn shard_keys(&self, shard: String, bound: Bound, limit: usize) -> PortResult<Vec<Item>> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(FEEDS)
            .scan_index_forward(true)
            .expression_attribute_names("#pk", FEEDPK)
            .expression_attribute_values(":pk", s(shard));
        query = match bound {
            Bound::None => query.key_condition_expression("#pk = :pk"),
            Bound::Below(bound) => query
                .key_condition_expression("#pk = :pk AND #sk < :bound")
                .expression_attribute_names("#sk", FEEDSK)
                .expression_attribute_values(":bound", s(bound)),
            Bound::AtMost(bound) => query
                .key_condition_expression("#pk = :pk AND #sk <= :bound")
                .expression_attribute_names("#sk", FEEDSK)
                .expression_attribute_values(":bound", s(bound)),
        };
        let mut items = Vec::new();
        let mut start = None;
        while items.len() < limit {
            let page_limit = i32::try_from(limit - items.len()).unwrap_or(i32::MAX);
            let out = query
                .clone()
                .limit(page_limit)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify("Query(FEEDS shard)", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => break,
            }
        }
        items.truncate(limit);
        Ok(items)
    }

    /// The items at `keys`, strongly consistent, in the order of `keys`; absent ones left out.
    /// Keys the service leaves unprocessed are asked again after a short pause.
    pub(crate) async fn batch_get(&self, keys: Vec<Item>) -> PortResult<Vec<Item>> {
        let mut found: HashMap<(String, String), Item> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_KEYS) {
            let mut pending = chunk.to_vec();
            let mut round = 0;
            while !pending.is_empty() {
                if round == BATCH_GET_ROUNDS {
                    return Err(PortError::transient(format!(
                        "{} items still unprocessed after {BATCH_GET_ROUNDS} BatchGetItem rounds",
                        pending.len()
                    )));
                }
                if round > 0 {
                    tokio::time::sleep(Duration::from_millis(10 << round.min(6))).await;
                }
                round += 1;
                let request =
                    built(KeysAndAttributes::builder().set_keys(Some(pending)).consistent_read(true).build())?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| classify("BatchGetItem(feed items)", e))?;
                for item in out.responses.and_then(|mut tables| tables.remove(&self.table)).unwrap_or_default() {
                    found.insert(item_key(&item)?, item);
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut tables| tables.remove(&self.table))
                    .map(|unprocessed| unprocessed.keys)
                    .unwrap_or_default();
            }
        }
        let mut items = Vec::with_capacity(found.len());
        for key in &keys {
            if let Some(item) = found.remove(&item_key(key)?) {
                items.push(item);
            }
        }
        Ok(items)
    }
}

fn item_key(item: &Item) -> PortResult<(String, String)> {
    Ok((get_s(item, PK)?.to_owned(), get_s(item, SK)?.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_keys_name_their_shard() {
        assert_eq!(feed_key("OUTBOX", 0), "OUTBOX#0");
        assert_eq!(feed_key("OPEN#PENDING", 12), "OPEN#PENDING#12");
    }
}
