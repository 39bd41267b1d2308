//! From the recorder's facts to units per key, and from units per key to rates: which keys an
//! order life touches, who shares each key, the hottest, and the order rate each allows.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::billing::{self, Consistency, WriteFacts};

/// A partition's write limit (units per second), table or index.
pub const WRITE_LIMIT: f64 = 1000.0;
/// A partition's read limit (units per second), table or index.
pub const READ_LIMIT: f64 = 3000.0;

/// One record of `GET /_capacity` (see `scripts/dynamo_capacity.py`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// A write to one item.
    Write(WriteRecord),
    /// A read of one item or one item collection.
    Read(ReadRecord),
    /// A request the recorder could not interpret.
    Error {
        /// The API operation.
        request: String,
        /// Why.
        message: String,
    },
}

/// A write to one item, with where it lives.
#[derive(Debug, Clone, Deserialize)]
pub struct WriteRecord {
    /// The table.
    pub table: String,
    /// The item's partition-key value.
    pub pk: String,
    /// What DynamoDB bills it by.
    #[serde(flatten)]
    pub facts: WriteFacts,
}

/// A read, with where it reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ReadRecord {
    /// `GetItem`, `Query` or `Scan`.
    pub op: String,
    /// Within `TransactGetItems`.
    pub transactional: bool,
    /// `ConsistentRead`.
    pub consistent: bool,
    /// `ok` or `error`.
    pub outcome: String,
    /// The table.
    pub table: String,
    /// The index queried, if any.
    pub index: Option<String>,
    /// The partition-key value read (none for a `Scan`).
    pub pk: Option<String>,
    /// The sizes of the items (index entries) read.
    pub sizes: Vec<u64>,
}

impl ReadRecord {
    /// Read units, by the billing rules.
    pub fn units(&self) -> f64 {
        if self.outcome != "ok" {
            return 0.0;
        }
        let consistency = match (self.transactional, self.consistent) {
            (true, _) => Consistency::Transactional,
            (false, true) => Consistency::Strong,
            (false, false) => Consistency::Eventual,
        };
        billing::query_units(&self.sizes, consistency)
    }
}

/// A partition: a table or index and a partition-key value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Key {
    /// The table's role (`orders`, `tenants`).
    pub table: String,
    /// The index, or none for the table itself.
    pub index: Option<String>,
    /// The partition-key value.
    pub pk: String,
}

impl Key {
    /// `orders`, `orders/GSI1`.
    pub fn place(&self) -> String {
        match &self.index {
            Some(index) => format!("{}/{index}", self.table),
            None => self.table.clone(),
        }
    }
}

/// Units consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Units {
    /// Write units.
    pub wcu: f64,
    /// Read units.
    pub rcu: f64,
}

impl Units {
    fn add(&mut self, other: Self) {
        self.wcu += other.wcu;
        self.rcu += other.rcu;
    }

    fn scaled(self, by: f64) -> Self {
        Self { wcu: self.wcu * by, rcu: self.rcu * by }
    }

    /// The rate (per second) at which these units per event reach the partition limits, at
    /// `share` of them (1.0 or 0.5); infinite when they use nothing.
    pub fn rate(self, share: f64) -> f64 {
        let write = if self.wcu > 0.0 { WRITE_LIMIT * share / self.wcu } else { f64::INFINITY };
        let read = if self.rcu > 0.0 { READ_LIMIT * share / self.rcu } else { f64::INFINITY };
        write.min(read)
    }
}

/// Units per partition, and what the records held besides.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Usage {
    /// Units per partition.
    #[serde(serialize_with = "keys_as_list")]
    pub keys: BTreeMap<Key, Units>,
    /// Writes whose condition failed (billed; no index write).
    pub failed_conditions: u64,
    /// Transaction items cancelled because another item's condition failed.
    pub cancelled: u64,
    /// Records the recorder could not interpret (must be 0 for the figures to hold).
    pub unreadable: u64,
    /// The first of them: the request and why.
    pub unreadable_example: Option<String>,
}

/// A map keyed by partition, as a list (JSON keys are strings).
fn keys_as_list<S: serde::Serializer>(keys: &BTreeMap<Key, Units>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Entry<'a> {
        #[serde(flatten)]
        key: &'a Key,
        #[serde(flatten)]
        units: &'a Units,
    }
    s.collect_seq(keys.iter().map(|(key, units)| Entry { key, units }))
}

impl Usage {
    /// Adds `records`, naming tables by `role` (actual table name → `orders`, `tenants`). With
    /// `skip_empty_reads`, reads that found nothing are left out (a sweep's polls of empty feeds:
    /// periodic work, counted per poll instead).
    pub fn add(&mut self, records: &[Record], role: &impl Fn(&str) -> String, skip_empty_reads: bool) {
        for record in records {
            match record {
                Record::Write(write) => {
                    match write.facts.outcome.as_str() {
                        "condition_failed" => self.failed_conditions += 1,
                        "cancelled" => self.cancelled += 1,
                        _ => {}
                    }
                    let charge = billing::write_charge(&write.facts);
                    let table = role(&write.table);
                    #[allow(clippy::cast_precision_loss, reason = "unit counts are far below 2^52")]
                    let units = charge.table as f64;
                    self.bump(Key { table: table.clone(), index: None, pk: write.pk.clone() }, units, 0.0);
                    for (index, pk, units) in charge.indexes {
                        #[allow(clippy::cast_precision_loss, reason = "unit counts are far below 2^52")]
                        let units = units as f64;
                        self.bump(Key { table: table.clone(), index: Some(index), pk }, units, 0.0);
                    }
                }
                Record::Read(read) => {
                    if skip_empty_reads && read.sizes.is_empty() {
                        continue;
                    }
                    let pk = read.pk.clone().unwrap_or_else(|| format!("({})", read.op));
                    let key = Key { table: role(&read.table), index: read.index.clone(), pk };
                    self.bump(key, 0.0, read.units());
                }
                Record::Error { request, message } => {
                    self.unreadable += 1;
                    self.unreadable_example.get_or_insert_with(|| format!("{request}: {message}"));
                }
            }
        }
    }

    fn bump(&mut self, key: Key, wcu: f64, rcu: f64) {
        self.keys.entry(key).or_default().add(Units { wcu, rcu });
    }

    /// All units together.
    pub fn total(&self) -> Units {
        let mut total = Units::default();
        for units in self.keys.values() {
            total.add(*units);
        }
        total
    }
}

/// Who touches a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Scope {
    /// One order's own items.
    Order,
    /// Lives of one tenant only.
    Tenant,
    /// Lives of several tenants: a platform limit.
    Shared,
}

impl Scope {
    /// For the table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Tenant => "tenant",
            Self::Shared => "shared",
        }
    }
}

/// The class a partition-key value belongs to: constants stay, ids become placeholders named
/// after their prefix (`TENANT#{tenant}`), and a trailing `#<number>` is a shard (`#{shard}`).
///
/// ```text
/// OUTBOX            -> OUTBOX
/// OUTBOX#7          -> OUTBOX#{shard}
/// OPEN#PENDING      -> OPEN#PENDING
/// TENANT#tenant_a   -> TENANT#{tenant}
/// CART#cart_1#3     -> CART#{cart}#{shard}
/// ```
pub fn key_class(pk: &str) -> String {
    let (base, shard) = match pk.rsplit_once('#') {
        Some((base, suffix)) if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) => (base, true),
        _ => (pk, false),
    };
    let class = match base.split_once('#') {
        None => base.to_owned(),
        Some((prefix, rest)) if rest.bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'#') => {
            format!("{prefix}#{rest}")
        }
        Some((prefix, _)) => format!("{prefix}#{{{}}}", prefix.to_ascii_lowercase()),
    };
    if shard { format!("{class}#{{shard}}") } else { class }
}

/// The kinds of order life driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum LifeKind {
    /// create → record → invoice → two emails → request payment → pay → process → complete.
    Full,
    /// create (and its processors) → cancelled by the customer.
    Cancelled,
    /// create (and its processors) → expired by the expiry sweep.
    Expired,
}

impl LifeKind {
    /// Every kind, in the order of the table's columns.
    pub const ALL: [Self; 3] = [Self::Full, Self::Cancelled, Self::Expired];

    /// For the table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

/// What one life used.
#[derive(Debug, Clone, Serialize)]
pub struct Life {
    /// Its kind.
    pub kind: LifeKind,
    /// Its tenant.
    pub tenant: String,
    /// DynamoDB units per partition.
    pub usage: Usage,
}

/// One row of the table: a class of partitions.
#[derive(Debug, Clone, Serialize)]
pub struct ClassRow {
    /// For a sharded class (`OUTBOX#{shard}`), how many shards the layout spreads it over.
    pub shards: Option<u16>,
    /// For a sharded class, per life kind: units per order over all its shards together.
    pub spread: BTreeMap<LifeKind, Units>,
    /// `orders`, `orders/GSI1`.
    pub place: String,
    /// `OUTBOX`, `TENANT#{tenant}`.
    pub class: String,
    /// The widest scope of any partition in the class.
    pub scope: Scope,
    /// Partitions of the class seen.
    pub partitions: usize,
    /// Per life kind: units per order of that kind on the class's hottest partition (for an
    /// order-scoped class, on the order's own partitions).
    pub per_order: BTreeMap<LifeKind, Units>,
}

impl ClassRow {
    /// The order rate the class allows for `kind` at `share` of the limits (platform-wide for a
    /// shared class, per tenant for a tenant class; none for an order's own items).
    pub fn rate(&self, kind: LifeKind, share: f64) -> Option<f64> {
        if self.scope == Scope::Order {
            return None;
        }
        match (self.shards, self.spread.get(&kind)) {
            (Some(shards), Some(spread)) => Some(sharded_rate(*spread, shards, share)),
            _ => self.per_order.get(&kind).map(|units| units.rate(share)),
        }
    }
}

/// The rate at which the hottest of `shards` shards reaches `share` of the partition limits,
/// when each order puts `spread` units on its own shard. Orders fall on shards by the adapter's
/// own function of the order id (`adapters_aws::shard_of`), so at a given rate the hottest
/// shard carries more than the average: its share is measured by sharding the ids of one
/// second's orders ([`hottest_share`]). The rate and that share depend on each other, so the
/// rate is found by iterating from the even spread.
pub fn sharded_rate(spread: Units, shards: u16, share: f64) -> f64 {
    let even = spread.rate(share) * f64::from(shards);
    if !even.is_finite() {
        return even;
    }
    let mut rate = even;
    for _ in 0..4 {
        rate = spread.scaled(hottest_share(shards, rate)).rate(share);
    }
    rate
}

/// The share of one second's orders that the hottest of `shards` shards receives, at `rate`
/// orders per second: the worst of up to 20 seconds of order ids (random, as the id generator
/// makes them, from a pool of [`POOL`] drawn once) sharded by the adapter's own function
/// (`adapters_aws::shard_of_hash` of `order_hash`, which is `shard_of`). Results are kept per
/// (shards, orders per second).
pub fn hottest_share(shards: u16, rate: f64) -> f64 {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex, PoisonError};
    static HASHES: LazyLock<Vec<u32>> = LazyLock::new(|| {
        use order_ports::IdGenerator;
        let ids = adapters_system::RandomIds;
        let now = order_domain::testing::now();
        (0..POOL).map(|_| adapters_aws::order_hash(ids.order_id(now))).collect()
    });
    static KNOWN: LazyLock<Mutex<HashMap<(u16, usize), f64>>> = LazyLock::new(Mutex::default);
    if shards <= 1 {
        return 1.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a positive count, bounded by the pool"
    )]
    let per_second = rate.clamp(1.0, POOL as f64).round() as usize;
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    *known.entry((shards, per_second)).or_insert_with(|| {
        let mut worst = 0.0_f64;
        for window in HASHES.chunks_exact(per_second).take(20) {
            let mut counts = vec![0_u32; usize::from(shards)];
            for hash in window {
                counts[usize::from(adapters_aws::shard_of_hash(*hash, shards))] += 1;
            }
            let hottest = counts.iter().copied().max().unwrap_or(0);
            #[allow(clippy::cast_precision_loss, reason = "counts of orders")]
            let share = f64::from(hottest) / per_second as f64;
            worst = worst.max(share);
        }
        worst
    })
}

/// Order ids drawn for [`hottest_share`]: 20 seconds at 25,000 orders per second.
const POOL: usize = 500_000;

/// The classes, with their hottest partitions, from the lives driven.
///
/// `shards_of(place, class)` names how many shards the layout spreads a sharded class over; the
/// hottest shard of such a class is judged from all its shards' units together and the
/// measured spread of order ids ([`sharded_rate`]), not from the few lives driven (with more
/// shards than lives, most shards would see none or one).
pub fn classes(lives: &[Life], shards_of: &dyn Fn(&str, &str) -> Option<u16>) -> Vec<ClassRow> {
    // Who touched each partition.
    let mut touched: BTreeMap<&Key, BTreeSet<usize>> = BTreeMap::new();
    for (n, life) in lives.iter().enumerate() {
        for key in life.usage.keys.keys() {
            touched.entry(key).or_default().insert(n);
        }
    }
    let scope_of = |lives_touching: &BTreeSet<usize>| {
        let tenants: BTreeSet<&str> = lives_touching.iter().map(|&n| lives[n].tenant.as_str()).collect();
        match (lives_touching.len(), tenants.len()) {
            (1, _) => Scope::Order,
            (_, 1) => Scope::Tenant,
            _ => Scope::Shared,
        }
    };
    let count = |kind: LifeKind, tenant: Option<&str>| {
        lives.iter().filter(|l| l.kind == kind && tenant.is_none_or(|t| l.tenant == t)).count()
    };

    let mut rows: BTreeMap<(String, String), ClassRow> = BTreeMap::new();
    for (key, lives_touching) in &touched {
        let scope = scope_of(lives_touching);
        let row = rows.entry((key.place(), key_class(&key.pk))).or_insert_with(|| ClassRow {
            shards: shards_of(&key.place(), &key_class(&key.pk)),
            spread: BTreeMap::new(),
            place: key.place(),
            class: key_class(&key.pk),
            scope,
            partitions: 0,
            per_order: BTreeMap::new(),
        });
        // A sharded class is shared by construction, whoever the few lives driven happened to
        // put on each of its shards.
        row.scope = if row.shards.is_some() { Scope::Shared } else { row.scope.max(scope) };
        row.partitions += 1;
    }
    for row in rows.values_mut() {
        for kind in LifeKind::ALL {
            // Units of this kind's lives on each partition of the class.
            let mut per_partition: BTreeMap<&Key, Units> = BTreeMap::new();
            for life in lives.iter().filter(|l| l.kind == kind) {
                for (key, units) in &life.usage.keys {
                    if key.place() == row.place && key_class(&key.pk) == row.class {
                        per_partition.entry(key).or_default().add(*units);
                    }
                }
            }
            let orders = count(kind, None);
            if orders == 0 {
                continue;
            }
            #[allow(clippy::cast_precision_loss, reason = "counts of lives")]
            let per_order = match row.scope {
                Scope::Order => {
                    let mut total = Units::default();
                    for units in per_partition.values() {
                        total.add(*units);
                    }
                    total.scaled(1.0 / orders as f64)
                }
                Scope::Tenant => hottest(per_partition.iter().map(|(key, units)| {
                    let tenant = touched[key].iter().next().map(|&n| lives[n].tenant.as_str());
                    units.scaled(1.0 / count(kind, tenant).max(1) as f64)
                })),
                Scope::Shared => match row.shards {
                    Some(shards) => {
                        let mut total = Units::default();
                        for units in per_partition.values() {
                            total.add(*units);
                        }
                        let spread = total.scaled(1.0 / orders as f64);
                        row.spread.insert(kind, spread);
                        spread.scaled(hottest_share(shards, sharded_rate(spread, shards, 1.0)))
                    }
                    None => hottest(per_partition.values().map(|units| units.scaled(1.0 / orders as f64))),
                },
            };
            row.per_order.insert(kind, per_order);
        }
    }
    let mut rows: Vec<ClassRow> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        (b.scope, b.per_order.get(&LifeKind::Full).map_or(0.0, |u| u.wcu))
            .partial_cmp(&(a.scope, a.per_order.get(&LifeKind::Full).map_or(0.0, |u| u.wcu)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    rows
}

/// The partition whose units allow the lowest rate.
fn hottest(units: impl Iterator<Item = Units>) -> Units {
    units.fold(Units::default(), |hot, units| if units.rate(1.0) < hot.rate(1.0) { units } else { hot })
}

/// A limit: the rate, and the class (and life kind) that sets it.
#[derive(Debug, Clone, Serialize)]
pub struct Limit {
    /// Orders per second at 100 % of the hottest partition's limit.
    pub rate: f64,
    /// Orders per second at which the hottest partition is at 50 %.
    pub rate_at_half: f64,
    /// `orders/GSI1 OUTBOX`.
    pub key: String,
    /// The life kind whose units set it.
    pub life: LifeKind,
    /// Its units per order there.
    pub units: Units,
}

/// The lowest rate over the rows of `scope`, over every life kind (every order could be of the
/// costliest kind).
pub fn limit(rows: &[ClassRow], scope: Scope) -> Option<Limit> {
    let mut best: Option<Limit> = None;
    for row in rows.iter().filter(|r| r.scope == scope) {
        for (kind, units) in &row.per_order {
            let Some(rate) = row.rate(*kind, 1.0) else { continue };
            if best.as_ref().is_none_or(|b| rate < b.rate) {
                best = Some(Limit {
                    rate,
                    rate_at_half: row.rate(*kind, 0.5).unwrap_or(rate / 2.0),
                    key: format!("{} {}", row.place, row.class),
                    life: *kind,
                    units: *units,
                });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_classes_keep_constants_and_name_ids_and_shards() {
        assert_eq!(key_class("OUTBOX"), "OUTBOX");
        assert_eq!(key_class("OUTBOX#7"), "OUTBOX#{shard}");
        assert_eq!(key_class("OPEN#PENDING"), "OPEN#PENDING");
        assert_eq!(key_class("OPEN#PAYMENT_PENDING#12"), "OPEN#PAYMENT_PENDING#{shard}");
        assert_eq!(key_class("CLAIMS#UNRECORDED"), "CLAIMS#UNRECORDED");
        assert_eq!(key_class("TENANT#tenant_cap_1"), "TENANT#{tenant}");
        assert_eq!(key_class("SUPPLIER#bbws"), "SUPPLIER#{supplier}");
        assert_eq!(key_class("SUPPLIER#bbws#3"), "SUPPLIER#{supplier}#{shard}");
        assert_eq!(key_class("IDEMPOTENCY#customer:tenant_a/k"), "IDEMPOTENCY#{idempotency}");
    }

    #[test]
    fn a_rate_is_the_tighter_of_the_write_and_read_limits() {
        let units = Units { wcu: 4.0, rcu: 1.0 };
        assert!((units.rate(1.0) - 250.0).abs() < 1e-9, "1,000 WCU / 4");
        assert!((units.rate(0.5) - 125.0).abs() < 1e-9);
        let reads = Units { wcu: 0.0, rcu: 6.0 };
        assert!((reads.rate(1.0) - 500.0).abs() < 1e-9, "3,000 RCU / 6");
        assert!(Units::default().rate(1.0).is_infinite());
    }

    fn life(kind: LifeKind, tenant: &str, keys: &[(&str, f64)]) -> Life {
        let mut usage = Usage::default();
        for (pk, wcu) in keys {
            usage.bump(Key { table: "orders".to_owned(), index: None, pk: (*pk).to_owned() }, *wcu, 0.0);
        }
        Life { kind, tenant: tenant.to_owned(), usage }
    }

    #[test]
    fn scopes_follow_who_touches_a_partition_and_shards_are_measured() {
        let lives = vec![
            life(LifeKind::Full, "a", &[("OUTBOX#0", 2.0), ("TENANT#a", 3.0), ("CART#cart_1", 1.0)]),
            life(LifeKind::Full, "a", &[("OUTBOX#1", 2.0), ("TENANT#a", 3.0), ("CART#cart_2", 1.0)]),
            life(LifeKind::Full, "b", &[("OUTBOX#0", 2.0), ("TENANT#b", 3.0), ("CART#cart_3", 1.0)]),
        ];
        // Without a shard count, a sharded class is judged by its hottest partition as seen.
        let rows = classes(&lives, &|_, _| None);
        let row = |class: &str| rows.iter().find(|r| r.class == class).expect(class);
        let outbox = row("OUTBOX#{shard}");
        assert_eq!(outbox.scope, Scope::Shared);
        // Shard 0 took 4 of the 6 units of 3 orders: 4/3 per platform order.
        assert!((outbox.per_order[&LifeKind::Full].wcu - 4.0 / 3.0).abs() < 1e-9);
        let tenant = row("TENANT#{tenant}");
        assert_eq!(tenant.scope, Scope::Tenant);
        assert!((tenant.per_order[&LifeKind::Full].wcu - 3.0).abs() < 1e-9, "3 per order of its tenant");
        assert_eq!(row("CART#{cart}").scope, Scope::Order);
        assert!(row("CART#{cart}").rate(LifeKind::Full, 1.0).is_none());
        let platform = limit(&rows, Scope::Shared).expect("a shared key");
        assert!((platform.rate - 750.0).abs() < 1e-9, "1,000 / (4/3)");
        assert!((platform.rate_at_half - 375.0).abs() < 1e-9);

        // With the layout's shard count, from all shards' units and the spread of order ids; a
        // shard only one life touched is still one of the platform's.
        let mut lives = lives;
        lives.push(life(LifeKind::Full, "c", &[("OUTBOX#5", 2.0), ("TENANT#c", 3.0), ("CART#cart_4", 1.0)]));
        let rows = classes(&lives, &|_, class| class.ends_with("#{shard}").then_some(16));
        assert!(rows.iter().filter(|r| r.class == "OUTBOX#{shard}").all(|r| r.scope == Scope::Shared));
        let outbox = rows.iter().find(|r| r.class == "OUTBOX#{shard}").expect("outbox");
        assert!((outbox.spread[&LifeKind::Full].wcu - 2.0).abs() < 1e-9, "2 units per order over all shards");
        let rate = outbox.rate(LifeKind::Full, 1.0).expect("shared");
        // Evenly spread it would be 16 × 1,000 / 2 = 8,000/s; the hottest shard carries a little
        // more than 1/16 of a second's orders, so somewhat less — but far more than one shard's 500.
        assert!(rate < 8_000.0 && rate > 6_000.0, "{rate}");
    }

    #[test]
    fn the_hottest_shard_carries_more_than_the_average_and_less_at_higher_rates() {
        assert!((hottest_share(1, 100.0) - 1.0).abs() < f64::EPSILON);
        let slow = hottest_share(16, 160.0);
        let fast = hottest_share(16, 16_000.0);
        assert!(slow > 1.0 / 16.0 && fast > 1.0 / 16.0, "{slow} {fast}");
        assert!(fast < slow, "at 1,000 orders per shard a second the spread evens out: {fast} vs {slow}");
        assert!(fast < 1.15 / 16.0, "{fast}");
    }
}
