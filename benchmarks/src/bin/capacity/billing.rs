//! DynamoDB's billing rules as pure functions of the facts the moto recorder reports
//! (`scripts/dynamo_capacity.py`): what one write or read of one item costs, on the table and on
//! each global secondary index.
//!
//! Sources (AWS DynamoDB Developer Guide):
//! - [read and write operations](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
//!   a write unit is 1 KB, a read unit 4 KB, sizes rounded up per request item; an update is
//!   billed on the larger of the item before and after; a `Query` sums the sizes of the items it
//!   reads and rounds the sum up once; an eventually consistent read costs half a strong one; a
//!   failed conditional write still consumes write units (the existing item's size, at least 1).
//! - [transactions](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html):
//!   every item in a transaction is read or written twice (prepare and commit), so 2 units per
//!   KB written and 2 per 4 KB read.
//! - [global secondary indexes, writes](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes):
//!   an item entering an index is one index write, leaving it one, a change of its index key two
//!   (delete and put), a change of a projected attribute one; none when the item is in the index
//!   neither before nor after; each sized by the index entry (projected attributes and keys).
//! - [item sizes](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)
//!   (applied by the recorder).
//!
//! Where the guide is silent the choice is stated on the function: index writes are not doubled
//! by a transaction (the index is updated after the commit, outside it), a `ConditionCheck` costs
//! what a transactional write of the checked item would, and the items of a cancelled
//! transaction cost one (not two) write units per KB each, the prepare phase.

use serde::{Deserialize, Serialize};

/// Bytes per write unit.
pub const WRITE_UNIT: u64 = 1024;
/// Bytes per read unit.
pub const READ_UNIT: u64 = 4096;

/// Write units for writing an item of `bytes`: ⌈bytes / 1 KB⌉, at least 1.
pub fn write_units(bytes: u64) -> u64 {
    bytes.div_ceil(WRITE_UNIT).max(1)
}

/// How a read is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Consistency {
    /// Eventually consistent: half a unit per 4 KB (every GSI read is eventually consistent).
    Eventual,
    /// Strongly consistent: one unit per 4 KB.
    Strong,
    /// Within `TransactGetItems`: two units per 4 KB.
    Transactional,
}

impl Consistency {
    fn factor(self) -> f64 {
        match self {
            Self::Eventual => 0.5,
            Self::Strong => 1.0,
            Self::Transactional => 2.0,
        }
    }
}

/// Read units for reading `bytes` in one request item (a `GetItem`, one item of a batch, or the
/// sum of a `Query`'s items): ⌈bytes / 4 KB⌉ (at least 1, even for nothing found) times the
/// consistency's factor.
pub fn read_units(bytes: u64, consistency: Consistency) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "unit counts are far below 2^52")]
    let units = bytes.div_ceil(READ_UNIT).max(1) as f64;
    units * consistency.factor()
}

/// Read units of a `Query` or `Scan` that read items of `sizes`: the sum, rounded up once.
pub fn query_units(sizes: &[u64], consistency: Consistency) -> f64 {
    read_units(sizes.iter().sum(), consistency)
}

/// The write to one item, as the recorder saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteFacts {
    /// `PutItem`, `UpdateItem`, `DeleteItem` or `ConditionCheck`.
    pub op: String,
    /// Whether it was part of `TransactWriteItems`.
    pub transactional: bool,
    /// `ok`, `condition_failed`, `cancelled` or `error`.
    pub outcome: String,
    /// The item's size before, if it existed.
    pub before: Option<u64>,
    /// The item's size after, if it exists.
    pub after: Option<u64>,
    /// The item's entry in each index it was in before or after.
    pub indexes: Vec<IndexFacts>,
}

/// One index entry of a written item, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFacts {
    /// The index.
    pub index: String,
    /// The entry's index partition key before (absent: not in the index).
    pub before_pk: Option<String>,
    /// The entry's index partition key after.
    pub after_pk: Option<String>,
    /// The entry's size before.
    pub before_size: Option<u64>,
    /// The entry's size after.
    pub after_size: Option<u64>,
    /// Whether the index key (partition or sort value) changed.
    #[serde(default)]
    pub key_changed: bool,
    /// Whether the entry (any projected attribute) changed.
    pub changed: bool,
}

/// Write units one item write costs, on the table and on index partitions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteCharge {
    /// Units on the table (on the item's partition key).
    pub table: u64,
    /// Units per (index, index partition key).
    pub indexes: Vec<(String, String, u64)>,
}

/// What a write to one item costs.
///
/// - Succeeded: ⌈larger of before and after / 1 KB⌉ (at least 1), doubled in a transaction; a
///   `ConditionCheck` costs the same on the checked item (stated choice, see the module docs).
///   Index writes per the GSI rules, each ⌈entry / 1 KB⌉, never doubled (stated choice).
/// - Condition failed: the existing item's size (at least 1 unit), no index write; in a
///   transaction, undoubled (the prepare phase; stated choice).
/// - Cancelled with the transaction (another item's condition failed): as a failed condition.
/// - Any other error: nothing.
pub fn write_charge(facts: &WriteFacts) -> WriteCharge {
    match facts.outcome.as_str() {
        "ok" => {
            let largest = facts.before.unwrap_or(0).max(facts.after.unwrap_or(0));
            let table = write_units(largest) * if facts.transactional { 2 } else { 1 };
            let indexes = facts.indexes.iter().flat_map(index_writes).collect();
            WriteCharge { table, indexes }
        }
        "condition_failed" | "cancelled" => {
            WriteCharge { table: write_units(facts.before.unwrap_or(0)), indexes: Vec::new() }
        }
        _ => WriteCharge::default(),
    }
}

/// The index writes for one entry, per the GSI write rules.
fn index_writes(entry: &IndexFacts) -> Vec<(String, String, u64)> {
    let put = |pk: &String, size: Option<u64>| (entry.index.clone(), pk.clone(), write_units(size.unwrap_or(0)));
    match (&entry.before_pk, &entry.after_pk) {
        (None, Some(after)) => vec![put(after, entry.after_size)],
        (Some(before), None) => vec![put(before, entry.before_size)],
        (Some(before), Some(after)) if entry.key_changed || before != after => {
            vec![put(before, entry.before_size), put(after, entry.after_size)]
        }
        (Some(_), Some(after)) if entry.changed => {
            let largest = entry.before_size.unwrap_or(0).max(entry.after_size.unwrap_or(0));
            vec![put(after, Some(largest))]
        }
        (None, None) | (Some(_), Some(_)) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(op: &str, transactional: bool, outcome: &str, before: Option<u64>, after: Option<u64>) -> WriteFacts {
        WriteFacts { op: op.to_owned(), transactional, outcome: outcome.to_owned(), before, after, indexes: Vec::new() }
    }

    fn entry(before: Option<(&str, u64)>, after: Option<(&str, u64)>, changed: bool) -> IndexFacts {
        IndexFacts {
            index: "GSI1".to_owned(),
            before_pk: before.map(|(pk, _)| pk.to_owned()),
            after_pk: after.map(|(pk, _)| pk.to_owned()),
            before_size: before.map(|(_, size)| size),
            after_size: after.map(|(_, size)| size),
            key_changed: false,
            changed,
        }
    }

    #[test]
    fn write_units_round_up_per_kilobyte_with_a_minimum_of_one() {
        assert_eq!(write_units(0), 1);
        assert_eq!(write_units(1), 1);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
        assert_eq!(write_units(3 * 1024), 3, "the guide's 3 KB item: 3 units");
    }

    #[test]
    fn read_units_round_up_per_four_kilobytes_by_consistency() {
        assert!((read_units(3500, Consistency::Strong) - 1.0).abs() < f64::EPSILON, "3,500 bytes read as 4 KB");
        assert!((read_units(8 * 1024, Consistency::Strong) - 2.0).abs() < f64::EPSILON);
        assert!((read_units(8 * 1024, Consistency::Eventual) - 1.0).abs() < f64::EPSILON);
        assert!((read_units(8 * 1024, Consistency::Transactional) - 4.0).abs() < f64::EPSILON);
        assert!((read_units(10 * 1024, Consistency::Strong) - 3.0).abs() < f64::EPSILON, "10 KB read as 12 KB");
        assert!((read_units(0, Consistency::Eventual) - 0.5).abs() < f64::EPSILON, "nothing found still costs");
    }

    #[test]
    fn a_query_rounds_the_sum_once_where_a_batch_rounds_each_item() {
        let sizes = [1536, 6656]; // 1.5 KB and 6.5 KB, the guide's example
        assert!((query_units(&sizes, Consistency::Strong) - 2.0).abs() < f64::EPSILON, "8 KB summed");
        let batch: f64 = sizes.iter().map(|&s| read_units(s, Consistency::Strong)).sum();
        assert!((batch - 3.0).abs() < f64::EPSILON, "4 KB + 8 KB");
        assert!((query_units(&[], Consistency::Eventual) - 0.5).abs() < f64::EPSILON, "an empty page still costs");
    }

    #[test]
    fn a_put_an_update_and_a_delete_bill_the_larger_image() {
        assert_eq!(write_charge(&write("PutItem", false, "ok", None, Some(2500))).table, 3);
        assert_eq!(write_charge(&write("UpdateItem", false, "ok", Some(2100), Some(900))).table, 3);
        assert_eq!(write_charge(&write("DeleteItem", false, "ok", Some(700), None)).table, 1);
        assert_eq!(write_charge(&write("DeleteItem", false, "ok", None, None)).table, 1, "nothing deleted");
    }

    #[test]
    fn a_transaction_doubles_the_table_units() {
        assert_eq!(write_charge(&write("PutItem", true, "ok", None, Some(2500))).table, 6);
        assert_eq!(write_charge(&write("ConditionCheck", true, "ok", Some(300), Some(300))).table, 2);
    }

    #[test]
    fn a_failed_condition_bills_the_existing_item_and_no_index() {
        let mut facts = write("PutItem", false, "condition_failed", Some(3000), Some(3000));
        facts.indexes.push(entry(Some(("OUTBOX", 3000)), Some(("OUTBOX", 3000)), false));
        assert_eq!(write_charge(&facts), WriteCharge { table: 3, indexes: Vec::new() });
        assert_eq!(write_charge(&write("PutItem", false, "condition_failed", None, None)).table, 1, "new item: 1");
        assert_eq!(write_charge(&write("DeleteItem", true, "cancelled", Some(1500), Some(1500))).table, 2);
        assert_eq!(write_charge(&write("PutItem", false, "error", None, None)), WriteCharge::default());
    }

    #[test]
    fn index_writes_follow_the_gsi_rules() {
        let with = |e: IndexFacts| {
            let mut facts = write("UpdateItem", true, "ok", Some(2000), Some(2000));
            facts.indexes.push(e);
            write_charge(&facts).indexes
        };
        let gsi = |pk: &str, units| ("GSI1".to_owned(), pk.to_owned(), units);
        // Entering the index: one put of the entry (2,100 bytes: 3 units), not doubled.
        assert_eq!(with(entry(None, Some(("OPEN#PENDING", 2100)), true)), vec![gsi("OPEN#PENDING", 3)]);
        // Leaving it: one delete.
        assert_eq!(with(entry(Some(("CLAIMS#UNRECORDED", 900)), None, true)), vec![gsi("CLAIMS#UNRECORDED", 1)]);
        // A new partition key: delete from the old, put into the new.
        assert_eq!(
            with(entry(Some(("OPEN#PENDING", 1500)), Some(("OPEN#PAYMENT_PENDING", 1600)), true)),
            vec![gsi("OPEN#PENDING", 2), gsi("OPEN#PAYMENT_PENDING", 2)]
        );
        // Same key, a projected attribute changed: one write of the larger entry.
        assert_eq!(with(entry(Some(("TENANT#t", 1000)), Some(("TENANT#t", 1100)), true)), vec![gsi("TENANT#t", 2)]);
        // Same key, nothing projected changed: nothing.
        assert_eq!(with(entry(Some(("TENANT#t", 1000)), Some(("TENANT#t", 1000)), false)), Vec::new());
        // A changed sort key under the same partition key: delete and put.
        let mut moved = entry(Some(("OPEN#PENDING", 500)), Some(("OPEN#PENDING", 500)), true);
        moved.key_changed = true;
        assert_eq!(with(moved), vec![gsi("OPEN#PENDING", 1), gsi("OPEN#PENDING", 1)]);
    }
}
