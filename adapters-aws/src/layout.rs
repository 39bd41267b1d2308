//! [`TableLayout`]: how the orders table spreads the keys every order touches, so that no
//! partition carries the whole platform.
//!
//! DynamoDB gives each partition of a table, and of each global secondary index, at most
//! 1,000 write units and 3,000 read units per second ("Partitions and data distribution",
//! Amazon DynamoDB Developer Guide), and a GSI that cannot keep up throttles writes to its
//! table. A key that every order writes — a global feed, a single counter — caps the whole
//! platform at that partition's limit whatever the table's on-demand capacity. The layout
//! therefore spreads each such key over a fixed number of suffixes chosen from the order id:
//! the work feeds over [`feed_shards`](TableLayout::feed_shards), the serial numbers of tax
//! invoices and credit notes over [`number_sequences`](TableLayout::number_sequences).

use order_domain::OrderId;

/// The most shards or sequences a layout may have.
pub const MAX_SHARDS: u16 = 1024;

/// How many suffixes the shared keys of the orders table are spread over.
///
/// - **Feed shards.** The three work feeds of the `FEEDS` index — open orders by status
///   (`OPEN#{status}#{shard}`), the outbox (`OUTBOX#{shard}`) and unrecorded cart claims
///   (`CLAIMS#UNRECORDED#{shard}`) — put each order on shard [`shard_of`] of `feed_shards`;
///   the expiry sweep and the relay read shards `0..feed_shards_read` concurrently.
/// - **Number sequences.** Each supplier's tax invoices and credit notes are numbered in
///   `number_sequences` parallel sequences, each gap-free and with its own counter item; an
///   order's documents take sequence [`shard_of`] of `number_sequences`. Sequence 0 prints as
///   `INV-000042`, sequence 7 as `INV-07-000042`.
///
/// **Changing the counts.** A feed entry stays on the shard it was written to until it leaves
/// the feed, so readers must cover every shard that may still hold one:
/// - growing `feed_shards` from N to M loses nothing: readers that read M shards read the old N
///   too (set it on every host at once; a host still on N merely sees the new shards a little
///   later);
/// - shrinking from M to N: set `feed_shards = N` and keep `feed_shards_read = M` until nothing
///   that is *read* remains on the shards N..M: unrecorded claims (gone after the recording
///   grace, 30 s by default), outbox entries (gone after the next relay) and PENDING and
///   PAYMENT_PENDING orders (gone once they move on or expire: `BBWS_PENDING_EXPIRY`, 24 h by
///   default, is the longest wait) — then lower the read count too. PAID and PROCESSING orders
///   may stay on those shards for as long as they are open; nothing reads those feeds, so they
///   do no harm and move to a current shard at their next change.
///
/// Numbers never move: an order's number is stored under the order, whatever the sequence
/// count, so changing `number_sequences` (either way) neither duplicates nor loses a number; a
/// sequence that is no longer chosen simply stops growing, and continues where it stopped if
/// it is chosen again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLayout {
    feed_shards: u16,
    feed_shards_read: u16,
    number_sequences: u16,
}

/// A layout value out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LayoutError(String);

impl Default for TableLayout {
    /// 16 feed shards (16,000 index writes per second per feed at DynamoDB's partition limit)
    /// and one number sequence (invoices numbered `INV-000001`, `INV-000002`, …).
    fn default() -> Self {
        Self {
            feed_shards: Self::DEFAULT_FEED_SHARDS,
            feed_shards_read: Self::DEFAULT_FEED_SHARDS,
            number_sequences: 1,
        }
    }
}

impl TableLayout {
    /// The feed shards of [`TableLayout::default`].
    pub const DEFAULT_FEED_SHARDS: u16 = 16;

    /// A layout writing and reading `feed_shards` shards, numbering in `number_sequences`
    /// sequences.
    ///
    /// # Errors
    /// [`LayoutError`] when a count is 0 or above [`MAX_SHARDS`].
    pub fn new(feed_shards: u16, number_sequences: u16) -> Result<Self, LayoutError> {
        check("feed shards", feed_shards)?;
        check("number sequences", number_sequences)?;
        Ok(Self { feed_shards, feed_shards_read: feed_shards, number_sequences })
    }

    /// The same layout, reading `read` shards while the shards above `feed_shards` drain after
    /// a reduction (see the type's documentation).
    ///
    /// # Errors
    /// [`LayoutError`] when `read` is below the shards written or above [`MAX_SHARDS`].
    pub fn reading(self, read: u16) -> Result<Self, LayoutError> {
        check("feed shards read", read)?;
        if read < self.feed_shards {
            return Err(LayoutError(format!(
                "feed shards read ({read}) must be at least the feed shards written ({})",
                self.feed_shards
            )));
        }
        Ok(Self { feed_shards_read: read, ..self })
    }

    /// Shards new feed entries are written to.
    pub fn feed_shards(&self) -> u16 {
        self.feed_shards
    }

    /// Shards the readers read (at least [`feed_shards`](Self::feed_shards)).
    pub fn feed_shards_read(&self) -> u16 {
        self.feed_shards_read
    }

    /// Parallel number sequences per supplier and series.
    pub fn number_sequences(&self) -> u16 {
        self.number_sequences
    }

    /// The feed shard of `order`'s entries.
    pub fn feed_shard(&self, order: OrderId) -> u16 {
        shard_of(order, self.feed_shards)
    }

    /// The number sequence of `order`'s documents.
    pub fn number_sequence(&self, order: OrderId) -> u16 {
        shard_of(order, self.number_sequences)
    }
}

fn check(what: &str, count: u16) -> Result<(), LayoutError> {
    if count == 0 || count > MAX_SHARDS {
        return Err(LayoutError(format!("{what} must be 1 to {MAX_SHARDS}, not {count}")));
    }
    Ok(())
}

/// Which of `count` suffixes `order` takes: [`order_hash`] modulo `count` — stable across
/// processes, versions and platforms, and spread evenly by the id's 80 random bits. `count` 0 is
/// treated as 1.
pub fn shard_of(order: OrderId, count: u16) -> u16 {
    shard_of_hash(order_hash(order), count)
}

/// The CRC-32 (IEEE) of `order`'s printed id, from which its shards are chosen.
pub fn order_hash(order: OrderId) -> u32 {
    crc32fast::hash(order.to_string().as_bytes())
}

/// The shard of an order whose [`order_hash`] is `hash`, of `count` (0 treated as 1): what
/// [`shard_of`] gives, for callers that shard many orders many ways (the capacity model).
pub fn shard_of_hash(hash: u32, count: u16) -> u16 {
    // The remainder is below `count`, a u16.
    u16::try_from(hash % u32::from(count.max(1))).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_checked() {
        assert!(TableLayout::new(0, 1).is_err());
        assert!(TableLayout::new(1, 0).is_err());
        assert!(TableLayout::new(MAX_SHARDS + 1, 1).is_err());
        let layout = TableLayout::new(8, 4).unwrap();
        assert_eq!((layout.feed_shards(), layout.feed_shards_read(), layout.number_sequences()), (8, 8, 4));
        assert!(layout.reading(4).is_err(), "reading fewer shards than are written would lose entries");
        assert_eq!(layout.reading(16).unwrap().feed_shards_read(), 16);
    }

    #[test]
    fn an_order_always_takes_the_same_shard_and_orders_spread() {
        let now = order_domain::testing::now();
        let ids: Vec<OrderId> = (0..4_000_u128).map(|i| OrderId::from_parts(now, i * 7_919)).collect();
        let mut counts = [0_u32; 16];
        for id in &ids {
            let shard = shard_of(*id, 16);
            assert_eq!(shard, shard_of(OrderId::parse(id.to_string()).unwrap(), 16));
            counts[usize::from(shard)] += 1;
        }
        // 250 expected per shard; a fair spread stays well within ±30 %.
        assert!(counts.iter().all(|&c| (175..=325).contains(&c)), "{counts:?}");
        assert_eq!(shard_of(ids[0], 1), 0);
        assert_eq!(shard_of(ids[0], 0), 0);
    }
}
