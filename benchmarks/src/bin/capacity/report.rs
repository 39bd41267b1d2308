//! What a run measured, the rates and costs it implies, and how they are printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use order_ports::ProcessorKind;
use serde::Serialize;
use serde_json::{Value, json, to_value};

use crate::model::{self, ClassRow, Life, LifeKind, Limit, Scope, Units, Usage};
use crate::prices::{Deployment, Prices};

/// A Lambda function of the deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Function {
    /// `lambda-api`.
    Api,
    /// `lambda-processor` as one processor.
    Processor(ProcessorKind),
    /// `lambda-sweep`.
    Sweep,
}

impl Serialize for Function {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Function {
    /// The function's name (a processor's as in logs).
    pub fn name(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Processor(kind) => kind.name(),
            Self::Sweep => "sweep",
        }
    }

    fn memory_mb(self, deployment: &Deployment) -> u32 {
        match self {
            Self::Api => deployment.api_mb,
            Self::Processor(ProcessorKind::RecordWriter) => deployment.record_writer_mb,
            Self::Processor(ProcessorKind::InvoiceWriter) => deployment.invoice_writer_mb,
            Self::Processor(ProcessorKind::InternalNotifier | ProcessorKind::CustomerNotifier) => {
                deployment.notifier_mb
            }
            Self::Sweep => deployment.sweep_mb,
        }
    }
}

/// What one life called besides DynamoDB units.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LifeRun {
    /// AWS calls per (service, operation), as the SDK interceptor counted them.
    #[serde(serialize_with = "calls_as_list")]
    pub calls: BTreeMap<(String, String), u64>,
    /// Messages delivered to the four queues (each an SQS request for the delivery).
    pub deliveries: u64,
    /// Receives that returned messages (empty ones are idle polling, counted per second).
    pub receives: u64,
    /// Lambda invocations and how long each handler ran.
    pub invocations: Vec<(Function, f64)>,
}

fn calls_as_list<S: serde::Serializer>(calls: &BTreeMap<(String, String), u64>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(calls.iter().map(|((service, operation), n)| (format!("{service} {operation}"), n)))
}

impl LifeRun {
    /// Adds counted calls.
    pub fn absorb(&mut self, calls: &BTreeMap<(String, String), u64>) {
        for (key, n) in calls {
            *self.calls.entry(key.clone()).or_default() += n;
        }
    }

    /// One invocation of `function` whose handler ran for `took`.
    pub fn invoked(&mut self, function: Function, took: Duration) {
        self.invocations.push((function, took.as_secs_f64() * 1e3));
    }

    fn count(&self, service: &str, operations: &[&str]) -> u64 {
        self.calls.iter().filter(|((s, o), _)| s == service && operations.contains(&o.as_str())).map(|(_, n)| n).sum()
    }

    /// SNS publishes so far.
    pub fn publishes(&self) -> u64 {
        self.count("SNS", &["Publish"])
    }

    fn sqs_requests(&self) -> u64 {
        let other: u64 =
            self.calls.iter().filter(|((s, o), _)| s == "SQS" && o != "ReceiveMessage").map(|(_, n)| n).sum();
        self.deliveries + self.receives + other
    }
}

/// One sweep with nothing due.
#[derive(Debug, Clone, Serialize)]
pub struct Poll {
    /// Its DynamoDB units.
    pub usage: Usage,
    /// Its calls.
    #[serde(serialize_with = "calls_as_list")]
    pub calls: BTreeMap<(String, String), u64>,
    /// How long it ran.
    pub duration_ms: f64,
}

/// One line of a cost breakdown.
#[derive(Debug, Clone, Serialize)]
pub struct CostLine {
    /// What.
    pub item: String,
    /// How many per order.
    pub per_order: f64,
    /// US dollars per 1,000 orders.
    pub usd_per_1000: f64,
}

/// A whole run.
pub struct Run {
    label: String,
    periodic_rate: f64,
    lives: Vec<(Life, LifeRun)>,
    poll: Poll,
    rows: Vec<ClassRow>,
    prices: Prices,
    deployment: Deployment,
}

fn avg(total: f64, n: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "counts of lives")]
    let n = n.max(1) as f64;
    total / n
}

#[allow(clippy::cast_precision_loss, reason = "call counts are far below 2^52")]
fn float(n: u64) -> f64 {
    n as f64
}

impl Run {
    /// The rates and costs of what was driven.
    pub fn new(
        label: String,
        periodic_rate: f64,
        lives: Vec<(Life, LifeRun)>,
        poll: Poll,
        shards_of: &dyn Fn(&str, &str) -> Option<u16>,
    ) -> Self {
        let plain: Vec<Life> = lives.iter().map(|(life, _)| life.clone()).collect();
        let rows = model::classes(&plain, shards_of);
        Self {
            label,
            periodic_rate,
            lives,
            poll,
            rows,
            prices: Prices::published(),
            deployment: Deployment::template(),
        }
    }

    fn of_kind(&self, kind: LifeKind) -> Vec<&(Life, LifeRun)> {
        self.lives.iter().filter(|(life, _)| life.kind == kind).collect()
    }

    /// The cost of one order of `kind` per 1,000 orders, line by line.
    pub fn cost(&self, kind: LifeKind) -> Vec<CostLine> {
        let lives = self.of_kind(kind);
        let n = lives.len();
        let per = |f: &dyn Fn(&(Life, LifeRun)) -> f64| avg(lives.iter().map(|l| f(l)).sum(), n);
        let p = &self.prices;
        let d = &self.deployment;
        let wcu = per(&|(life, _)| life.usage.total().wcu);
        let rcu = per(&|(life, _)| life.usage.total().rcu);
        let publishes = per(&|(_, run)| float(run.publishes()));
        let sqs = per(&|(_, run)| float(run.sqs_requests()));
        let puts = per(&|(_, run)| float(run.count("S3", &["PutObject", "CopyObject", "ListObjectsV2"])));
        let gets = per(&|(_, run)| float(run.count("S3", &["GetObject", "HeadObject"])));
        let emails = per(&|(_, run)| float(run.count("SESv2", &["SendEmail"])));
        // The sweep runs on its schedule whether or not an order is due: its invocation and the
        // time an empty sweep takes (reading every shard of its feeds) are periodic work, costed
        // per poll below; an expired order costs the sweep only the time its expiry added.
        let invocations =
            per(&|(_, run)| float(run.invocations.iter().filter(|(f, _)| *f != Function::Sweep).count() as u64));
        let empty_sweep_ms = self.poll.duration_ms;
        let gb_seconds = per(&|(_, run)| {
            run.invocations
                .iter()
                .map(|(f, ms)| {
                    let ms = if *f == Function::Sweep { (ms - empty_sweep_ms).max(0.0) } else { *ms };
                    ms / 1e3 * f64::from(f.memory_mb(d)) / 1024.0
                })
                .sum()
        });
        // Periodic work: one sweep per interval and Lambda's idle queue polls, spread over the
        // orders of a second at the stated rate.
        let poll = self.poll.usage.total();
        let sweep_gb_s = self.poll.duration_ms / 1e3 * f64::from(d.sweep_mb) / 1024.0;
        let per_poll = p.dynamodb_write.of(poll.wcu)
            + p.dynamodb_read.of(poll.rcu)
            + p.lambda_request.of(1.0)
            + p.lambda_arm64_gb_second.of(sweep_gb_s);
        let per_second = per_poll / f64::from(d.sweep_every_secs) + p.sqs_request.of(d.idle_receives_per_sec);
        let periodic_per_order = per_second / self.periodic_rate;
        let line = |item: &str, per_order: f64, usd: f64| CostLine {
            item: item.to_owned(),
            per_order,
            usd_per_1000: usd * 1000.0,
        };
        vec![
            line("DynamoDB write request units", wcu, p.dynamodb_write.of(wcu)),
            line("DynamoDB read request units", rcu, p.dynamodb_read.of(rcu)),
            line("SNS publishes", publishes, p.sns_publish.of(publishes)),
            line("SQS requests (deliveries, receives with messages, deletes)", sqs, p.sqs_request.of(sqs)),
            line("S3 PUT requests", puts, p.s3_put.of(puts)),
            line("S3 GET requests", gets, p.s3_get.of(gets)),
            line("SES emails", emails, p.ses_email.of(emails)),
            line("Lambda requests (one event per invocation)", invocations, p.lambda_request.of(invocations)),
            line("Lambda duration, arm64 (GB-s)", gb_seconds, p.lambda_arm64_gb_second.of(gb_seconds)),
            line(
                &format!(
                    "periodic: a sweep every {} s and idle queue polls, at {} orders/s",
                    d.sweep_every_secs, self.periodic_rate
                ),
                1.0,
                periodic_per_order,
            ),
        ]
    }

    fn limits(&self) -> (Option<Limit>, Option<Limit>) {
        (model::limit(&self.rows, Scope::Shared), model::limit(&self.rows, Scope::Tenant))
    }

    /// The report in markdown.
    #[allow(clippy::too_many_lines, reason = "one table and its summary, in print order")]
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let counts: Vec<String> =
            LifeKind::ALL.iter().map(|k| format!("{} {}", self.of_kind(*k).len(), k.name())).collect();
        let tenants: std::collections::BTreeSet<&str> = self.lives.iter().map(|(l, _)| l.tenant.as_str()).collect();
        let _ = writeln!(
            out,
            "DynamoDB capacity per order — {} ({} lives over {} tenants)\n",
            self.label,
            counts.join(", "),
            tenants.len()
        );
        let _ = writeln!(
            out,
            "| table/index | key class | scope | partitions | completed life WCU / RCU | cancelled WCU / RCU | expired WCU / RCU | orders/s at 100 % (50 %) |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        let cell = |row: &ClassRow, kind| {
            row.per_order.get(&kind).map_or("–".to_owned(), |u: &Units| format!("{} / {}", num(u.wcu), num(u.rcu)))
        };
        for row in &self.rows {
            let rate = LifeKind::ALL
                .iter()
                .filter_map(|k| row.rate(*k, 1.0).map(|r| (r, row.rate(*k, 0.5).unwrap_or(r))))
                .fold(None, |worst: Option<(f64, f64)>, r| Some(worst.map_or(r, |w| if r.0 < w.0 { r } else { w })));
            let rate = match (row.scope, rate) {
                (Scope::Order, _) | (_, None) => "– (an order's own items)".to_owned(),
                (Scope::Tenant, Some((r, h))) => format!("{} ({}) per tenant", rate_text(r), rate_text(h)),
                (Scope::Shared, Some((r, h))) => format!("**{}** ({})", rate_text(r), rate_text(h)),
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} | {} | {} |",
                row.place,
                row.class,
                row.scope.name(),
                row.partitions,
                cell(row, LifeKind::Full),
                cell(row, LifeKind::Cancelled),
                cell(row, LifeKind::Expired),
                rate
            );
        }
        let _ = writeln!(
            out,
            "\nUnits per order: on the hottest partition of the class (shared: per platform order; tenant: per order of that tenant; order: the order's own items). The rate column is the lowest over the three lives.\n"
        );
        let (platform, tenant) = self.limits();
        match &platform {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "- **hottest shared key**: {} ({} life: {} WCU, {} RCU per order)\n- **platform sustainable rate**: **{} orders/s** before a partition passes 1,000 WCU/s or 3,000 RCU/s; **{} orders/s** with the hottest at 50 %",
                    l.key,
                    l.life.name(),
                    num(l.units.wcu),
                    num(l.units.rcu),
                    rate_text(l.rate),
                    rate_text(l.rate_at_half)
                );
            }
            None => {
                let _ = writeln!(out, "- no shared key: the platform rate is not bounded by a partition");
            }
        }
        if let Some(l) = &tenant {
            let _ = writeln!(
                out,
                "- **per-tenant ceiling**: {} orders/s for one tenant ({} at 50 %), set by {} ({} life: {} WCU, {} RCU per order)",
                rate_text(l.rate),
                rate_text(l.rate_at_half),
                l.key,
                l.life.name(),
                num(l.units.wcu),
                num(l.units.rcu)
            );
        }
        let poll = self.poll.usage.total();
        // By class: a sharded feed is read on every shard.
        let mut classes: BTreeMap<(String, String), (usize, f64)> = BTreeMap::new();
        for (key, units) in &self.poll.usage.keys {
            let class = classes.entry((key.place(), model::key_class(&key.pk))).or_default();
            class.0 += 1;
            class.1 += units.rcu;
        }
        let keys: Vec<String> = classes
            .iter()
            .map(|((place, class), (partitions, rcu))| {
                format!("{place} `{class}` {} RCU over {partitions} partition(s)", num(*rcu))
            })
            .collect();
        let _ = writeln!(
            out,
            "- **per poll** (one sweep with nothing due: relay and expiry reading their feeds): {} WCU, {} RCU ({}); {} calls; every {} s as deployed",
            num(poll.wcu),
            num(poll.rcu),
            keys.join(", "),
            self.poll.calls.values().sum::<u64>(),
            self.deployment.sweep_every_secs
        );
        let usage_notes: (u64, u64, u64) = self.lives.iter().fold((0, 0, 0), |acc, (l, _)| {
            (acc.0 + l.usage.failed_conditions, acc.1 + l.usage.cancelled, acc.2 + l.usage.unreadable)
        });
        let _ = writeln!(
            out,
            "- writes whose condition failed: {}; transaction items cancelled: {}; records the recorder could not read: {}",
            usage_notes.0, usage_notes.1, usage_notes.2
        );
        if let Some(example) = self.lives.iter().find_map(|(l, _)| l.usage.unreadable_example.as_ref()) {
            let _ = writeln!(out, "  - the first unreadable record: {example}");
        }

        let _ = writeln!(out, "\nAWS cost per 1,000 orders (an order's whole life), prices below\n");
        let _ = writeln!(
            out,
            "| item | completed life: per order | USD per 1,000 | cancelled: USD per 1,000 | expired: USD per 1,000 |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        let costs: Vec<Vec<CostLine>> = LifeKind::ALL.iter().map(|k| self.cost(*k)).collect();
        for (i, line) in costs[0].iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                line.item,
                num(line.per_order),
                usd(line.usd_per_1000),
                usd(costs[1][i].usd_per_1000),
                usd(costs[2][i].usd_per_1000)
            );
        }
        let totals: Vec<f64> = costs.iter().map(|c| c.iter().map(|l| l.usd_per_1000).sum()).collect();
        let _ =
            writeln!(out, "| **total** | | **{}** | **{}** | **{}** |", usd(totals[0]), usd(totals[1]), usd(totals[2]));

        let mut durations: BTreeMap<Function, Vec<f64>> = BTreeMap::new();
        for (_, run) in &self.lives {
            for (function, ms) in &run.invocations {
                durations.entry(*function).or_default().push(*ms);
            }
        }
        let build = if cfg!(debug_assertions) { "a debug build" } else { "a release build" };
        let mean: Vec<String> = durations
            .iter()
            .map(|(f, ms)| format!("{} {} ms", f.name(), num(avg(ms.iter().sum(), ms.len()))))
            .collect();
        let _ = writeln!(
            out,
            "\nLambda handler durations: measured here, each use case and processor `handle` timed against moto in {build} on this machine (mean: {}); AWS latencies and a release build differ, and cold starts are not included. Memory as deployed (API 512 MB, record writer 512, invoice writer 1024, notifiers 512, sweep 256), arm64.",
            mean.join(", ")
        );
        let _ = writeln!(out, "\nPrices (USD):\n");
        for price in self.prices.all() {
            let _ = writeln!(
                out,
                "- {}: ${} per {} {} — {}; {}; {}",
                price.what,
                price.usd,
                num(price.per),
                price.unit,
                price.region,
                price.date,
                price.source
            );
        }
        out
    }

    /// The results as JSON.
    ///
    /// # Errors
    /// When a part cannot be represented as JSON.
    pub fn json(&self) -> serde_json::Result<Value> {
        let (platform, tenant) = self.limits();
        let costs: BTreeMap<&str, Vec<CostLine>> = LifeKind::ALL.iter().map(|k| (k.name(), self.cost(*k))).collect();
        let lives = self
            .lives
            .iter()
            .map(|(life, run)| Ok(json!({"life": to_value(life)?, "run": to_value(run)?})))
            .collect::<serde_json::Result<Vec<Value>>>()?;
        Ok(json!({
            "label": self.label,
            "periodic_rate": self.periodic_rate,
            "classes": to_value(&self.rows)?,
            "platform": to_value(platform)?,
            "tenant": to_value(tenant)?,
            "poll": to_value(&self.poll)?,
            "costs": to_value(costs)?,
            "prices": to_value(self.prices)?,
            "deployment": to_value(self.deployment)?,
            "lives": lives,
        }))
    }
}

/// A number for the table: whole numbers plain, others with up to 2 decimals.
fn num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        let text = format!("{x:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn rate_text(rate: f64) -> String {
    if rate.is_infinite() { "unbounded".to_owned() } else { format!("{rate:.0}") }
}

fn usd(x: f64) -> String {
    format!("${x:.4}")
}
