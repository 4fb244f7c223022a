//! Period closings (NF525-style clôtures), pure: no I/O, no clock. Periods at a store's
//! UTC offset, the figures of a closing folded from journal entries, the rules that say
//! whether a period may be closed, and the canonical, hashed and signed form of a
//! closing. [`crate::close`] reads the ledger and calls these.
//!
//! A store has three chains of closings, one per [`PeriodKind`]: days, months, years.
//! Each closing names the previous closing of its chain by hash, carries its own hash
//! over its canonical JSON ([`Closing::canonical`]) and the cloud's Ed25519 signature of
//! that hash.
//!
//! **Which entries a day closing counts.** A day closing records a *cursor*: for each
//! node of the store, the highest seq the cloud held when it closed. Closing `k` of day
//! `D_k` with cursor `K_k` counts an entry of business date `d` (its local date at the
//! store's offset) and seq `s` if and only if `d <= D_k` and `s <= K_k[node]`, and not
//! already `d <= D_(k-1)` and `s <= K_(k-1)[node]` (see [`counted_in`]). So every held
//! entry dated on or before a closed day is counted in exactly one day closing, entries
//! dated `D_k` are the period's own, and entries dated earlier are *late entries*,
//! grouped by their business date; a closed period is never rewritten, and the perpetual
//! total stays exact. A month sums its days, a year its months ([`sum_parts`]).

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use opentill_core::analytics::{day_text, local_day_hour, parse_day, tender_rows};
use opentill_core::i18n::Lang;
use opentill_core::journal::Fact;
use opentill_core::time::{civil_from_days, days_from_civil};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ledger::{NodeProgress, StoredClosing};

const DAY_MS: i64 = 86_400_000;

/// The `prev_hash` of a chain's first closing.
pub const GENESIS: [u8; 32] = [0; 32];

/// The version of [`Closing`]'s encoding.
pub const VERSION: u32 = 1;

/// The length of a closed period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    /// A business day (日结).
    Day,
    /// A calendar month (月结).
    Month,
    /// A calendar year (年结).
    Year,
}

impl PeriodKind {
    /// Every kind, shortest first.
    pub const ALL: [PeriodKind; 3] = [PeriodKind::Day, PeriodKind::Month, PeriodKind::Year];

    /// `day`, `month`, `year`.
    pub fn name(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Month => "month",
            PeriodKind::Year => "year",
        }
    }

    /// The name [`PeriodKind::name`] gives back.
    pub fn parse(text: &str) -> Option<PeriodKind> {
        PeriodKind::ALL.into_iter().find(|k| k.name() == text.trim().to_ascii_lowercase())
    }

    /// 日结 / day closing.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            PeriodKind::Day => lang.pick("日结", "day closing"),
            PeriodKind::Month => lang.pick("月结", "month closing"),
            PeriodKind::Year => lang.pick("年结", "year closing"),
        }
    }

    /// What a closing of this kind sums: days for a month, months for a year.
    pub fn parts(self) -> Option<PeriodKind> {
        match self {
            PeriodKind::Day => None,
            PeriodKind::Month => Some(PeriodKind::Day),
            PeriodKind::Year => Some(PeriodKind::Month),
        }
    }
}

/// A period in local dates (days are numbered from 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// A local day.
    Day(i64),
    /// A month.
    Month {
        /// Year.
        year: i32,
        /// Month, 1 to 12.
        month: u32,
    },
    /// A year.
    Year(i32),
}

fn parse_year(text: &str) -> Option<i32> {
    let year: i32 = (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())??;
    (1970..=9999).contains(&year).then_some(year)
}

impl Period {
    /// `2026-11-22` (a day), `2026-11` (a month) or `2026` (a year).
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        match text.len() {
            10 => parse_day(text).filter(|_| text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-').map(Period::Day),
            7 if text.as_bytes()[4] == b'-' => {
                let year = parse_year(&text[..4])?;
                let month: u32 = text[5..].bytes().all(|b| b.is_ascii_digit()).then(|| text[5..].parse().ok())??;
                (1..=12).contains(&month).then_some(Period::Month { year, month })
            }
            4 => parse_year(text).map(Period::Year),
            _ => None,
        }
    }

    /// The period of `kind` that holds `day`.
    pub fn containing(kind: PeriodKind, day: i64) -> Period {
        let (year, month, _) = civil_from_days(day);
        match kind {
            PeriodKind::Day => Period::Day(day),
            PeriodKind::Month => Period::Month { year, month },
            PeriodKind::Year => Period::Year(year),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> PeriodKind {
        match self {
            Period::Day(_) => PeriodKind::Day,
            Period::Month { .. } => PeriodKind::Month,
            Period::Year(_) => PeriodKind::Year,
        }
    }

    /// The text [`Period::parse`] reads back.
    pub fn text(&self) -> String {
        match self {
            Period::Day(day) => day_text(*day),
            Period::Month { year, month } => format!("{year:04}-{month:02}"),
            Period::Year(year) => format!("{year:04}"),
        }
    }

    /// Its first local day.
    pub fn first_day(&self) -> i64 {
        match *self {
            Period::Day(day) => day,
            Period::Month { year, month } => days_from_civil(year, month, 1),
            Period::Year(year) => days_from_civil(year, 1, 1),
        }
    }

    /// Its last local day.
    pub fn last_day(&self) -> i64 {
        self.next().first_day() - 1
    }

    /// The period of the same kind that follows.
    pub fn next(&self) -> Period {
        match *self {
            Period::Day(day) => Period::Day(day + 1),
            Period::Month { year, month: 12 } => Period::Month { year: year + 1, month: 1 },
            Period::Month { year, month } => Period::Month { year, month: month + 1 },
            Period::Year(year) => Period::Year(year + 1),
        }
    }

    /// Unix ms of its start (local midnight of the first day).
    pub fn start_ms(&self, utc_offset_min: i32) -> i64 {
        self.first_day() * DAY_MS - i64::from(utc_offset_min) * 60_000
    }

    /// Unix ms of its end (local midnight after the last day), exclusive.
    pub fn end_ms(&self, utc_offset_min: i32) -> i64 {
        (self.last_day() + 1) * DAY_MS - i64::from(utc_offset_min) * 60_000
    }

    /// Whether `day` falls in it.
    pub fn contains(&self, day: i64) -> bool {
        (self.first_day()..=self.last_day()).contains(&day)
    }
}

/// Parses a UTC offset: `+08:00`, `-05:30`, `+0800`, `Z`.
pub fn parse_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    if text == "Z" || text == "z" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || (rest.contains(':') && rest.len() != 5) {
        return None;
    }
    let (hours, minutes): (i32, i32) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    (hours <= 14 && minutes < 60 && hours * 60 + minutes <= 14 * 60).then_some(sign * (hours * 60 + minutes))
}

/// `+08:00`.
pub fn offset_text(utc_offset_min: i32) -> String {
    let sign = if utc_offset_min < 0 { '-' } else { '+' };
    let abs = utc_offset_min.unsigned_abs();
    format!("{sign}{:02}:{:02}", abs / 60, abs % 60)
}

/// A local date and time, `2026-11-22 09:05 +08:00`, for messages.
pub fn local_text(ts_ms: i64, utc_offset_min: i32) -> String {
    format!("{} {}", opentill_core::time::LocalTime::from_unix_ms(ts_ms, utc_offset_min).date_time(), offset_text(utc_offset_min))
}

/// What a set of journal entries adds up to. Integer minor units; refunds count against
/// `net_minor`, `tax_minor` and `by_tender`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    /// Journal entries of every kind.
    pub n_entries: i64,
    /// Of which facts this build cannot read (counted, adding no money).
    pub n_unreadable: i64,
    /// Sales.
    pub n_sales: i64,
    /// Refunds.
    pub n_refunds: i64,
    /// Gross sales: the sum of sale totals (what customers paid).
    pub sales_minor: i64,
    /// The sum of refund totals.
    pub refunds_minor: i64,
    /// Sales minus refunds.
    pub net_minor: i64,
    /// Tax in sales minus tax in refunds.
    pub tax_minor: i64,
    /// Net per tender kind (`cash`, `card`, `mobile`, `stored`, `points`): taken less given back.
    pub by_tender: BTreeMap<String, i64>,
}

impl Figures {
    /// Adds another set of figures.
    pub fn add(&mut self, other: &Figures) {
        self.n_entries += other.n_entries;
        self.n_unreadable += other.n_unreadable;
        self.n_sales += other.n_sales;
        self.n_refunds += other.n_refunds;
        self.sales_minor += other.sales_minor;
        self.refunds_minor += other.refunds_minor;
        self.net_minor += other.net_minor;
        self.tax_minor += other.tax_minor;
        for (kind, amount) in &other.by_tender {
            *self.by_tender.entry(kind.clone()).or_insert(0) += amount;
        }
    }

    /// Adds one journal entry's body (the fact's JSON as stored).
    pub fn add_entry(&mut self, body: &[u8]) {
        self.n_entries += 1;
        match serde_json::from_slice::<Fact>(body) {
            Ok(fact) => self.add_fact(&fact),
            Err(_) => self.n_unreadable += 1,
        }
    }

    /// Adds a sale or refund (other facts add no money).
    pub fn add_fact(&mut self, fact: &Fact) {
        match fact {
            Fact::Sale(sale) => {
                self.n_sales += 1;
                self.sales_minor += sale.total;
                self.net_minor += sale.total;
                self.tax_minor += sale.tax;
            }
            Fact::Refund(refund) => {
                self.n_refunds += 1;
                self.refunds_minor += refund.total;
                self.net_minor -= refund.total;
                self.tax_minor -= refund.lines.iter().map(|l| l.tax).sum::<i64>();
            }
            _ => return,
        }
        for row in tender_rows(0, 0, fact) {
            *self.by_tender.entry(row.kind).or_insert(0) += row.amount;
        }
    }

    /// The sum of several.
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a Figures>) -> Figures {
        let mut total = Figures::default();
        for f in all {
            total.add(f);
        }
        total
    }
}

/// Entries of an earlier business date counted in a later closing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateDay {
    /// Their business date, `YYYY-MM-DD`.
    pub date: String,
    /// What they add up to.
    pub figures: Figures,
}

/// Why a node kept a day from being closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
pub enum Behind {
    /// The cloud has never heard from it.
    NeverHeard,
    /// It was last heard from before the period ended, and holds nothing stamped after.
    NotHeardSince {
        /// Its last hello (unix ms), if any.
        last_seen_ms: Option<i64>,
    },
    /// It said hello after the end, but the cloud does not hold everything it announced.
    Pending {
        /// What the cloud holds.
        held_seq: u64,
        /// What it announced.
        announced_seq: u64,
    },
}

/// A node that had not been heard from past a period's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeBehind {
    /// The node.
    pub node_id: String,
    /// Why.
    pub why: Behind,
}

impl NodeBehind {
    /// `till-2 (never heard from)`.
    pub fn text(&self, utc_offset_min: i32, lang: Lang) -> String {
        let why = match &self.why {
            Behind::NeverHeard => lang.pick("从未同步", "never heard from").to_string(),
            Behind::NotHeardSince { last_seen_ms: Some(ms) } => format!("{} {}", lang.pick("最后同步于", "last heard from at"), local_text(*ms, utc_offset_min)),
            Behind::NotHeardSince { last_seen_ms: None } => lang.pick("期末后未同步", "not heard from since the end").to_string(),
            Behind::Pending { held_seq, announced_seq } => match lang {
                Lang::Zh => format!("云端已收 {held_seq} / {announced_seq} 条分录"),
                Lang::En => format!("the cloud holds {held_seq} of the {announced_seq} entries it announced"),
            },
        };
        format!("{} ({why})", self.node_id)
    }
}

/// The nodes not heard from past `end_ms`. A node is complete when the cloud holds an
/// entry it stamped at or after `end_ms` (its head), or when it said hello at or after
/// `end_ms` (by the cloud's clock) and the cloud holds everything it has announced.
pub fn nodes_behind(nodes: &[NodeProgress], end_ms: i64) -> Vec<NodeBehind> {
    let mut behind = Vec::new();
    for node in nodes {
        if node.head_ts_ms.is_some_and(|ts| ts >= end_ms) {
            continue;
        }
        let why = match node.last_seen_ms {
            Some(seen) if seen >= end_ms => {
                if node.acked_seq >= node.reported_head {
                    continue;
                }
                Behind::Pending { held_seq: node.acked_seq, announced_seq: node.reported_head }
            }
            None if node.acked_seq == 0 => Behind::NeverHeard,
            seen => Behind::NotHeardSince { last_seen_ms: seen },
        };
        behind.push(NodeBehind { node_id: node.node_id.clone(), why });
    }
    behind
}

/// Why a period cannot be closed. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The period has not ended yet (by the cloud's clock).
    NotOver {
        /// The period.
        period: String,
        /// When it ends (unix ms).
        ends_ms: i64,
        /// The store's offset.
        utc_offset_min: i32,
    },
    /// It is closed already.
    AlreadyClosed {
        /// The period.
        period: String,
    },
    /// It lies before the store's first closing of its kind and can never be closed; its
    /// entries are counted as late entries of the next closing.
    BeforeFirst {
        /// The period.
        period: String,
        /// The store's first closing of that kind.
        first: String,
    },
    /// Periods are closed in order, none skipped.
    OutOfOrder {
        /// The period.
        period: String,
        /// The next one to close.
        next: String,
    },
    /// Some of the store's nodes have not been heard from past the end of the day.
    NodesBehind {
        /// The period.
        period: String,
        /// Them.
        nodes: Vec<NodeBehind>,
        /// The store's offset, for the times in the message.
        utc_offset_min: i32,
    },
    /// A month needs all its days closed, a year all its months.
    PartsOpen {
        /// The period.
        period: String,
        /// The next day (or month) to close.
        next: String,
    },
}

impl Refusal {
    /// A stable name for programs: `not_over`, `already_closed`, `before_first`,
    /// `out_of_order`, `nodes_behind`, `parts_open`.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::NotOver { .. } => "not_over",
            Refusal::AlreadyClosed { .. } => "already_closed",
            Refusal::BeforeFirst { .. } => "before_first",
            Refusal::OutOfOrder { .. } => "out_of_order",
            Refusal::NodesBehind { .. } => "nodes_behind",
            Refusal::PartsOpen { .. } => "parts_open",
        }
    }

    /// For people.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Refusal::NotOver { period, ends_ms, utc_offset_min }, Lang::Zh) => format!("{period} 尚未结束（结束于 {}），不能结账", local_text(*ends_ms, *utc_offset_min)),
            (Refusal::NotOver { period, ends_ms, utc_offset_min }, Lang::En) => format!("{period} is not over until {}; it cannot be closed yet", local_text(*ends_ms, *utc_offset_min)),
            (Refusal::AlreadyClosed { period }, Lang::Zh) => format!("{period} 已结账；结账不可重复、不可修改"),
            (Refusal::AlreadyClosed { period }, Lang::En) => format!("{period} is already closed; a closing is never repeated or changed"),
            (Refusal::BeforeFirst { period, first }, Lang::Zh) => format!("{period} 早于本店首次结账 {first}，不能再结账；其分录计入下一次结账的迟到分录"),
            (Refusal::BeforeFirst { period, first }, Lang::En) => {
                format!("{period} is before the store's first closing ({first}) and cannot be closed; its entries count as late entries of the next closing")
            }
            (Refusal::OutOfOrder { period, next }, Lang::Zh) => format!("须按顺序结账：请先结 {next}，再结 {period}"),
            (Refusal::OutOfOrder { period, next }, Lang::En) => format!("periods are closed in order: close {next} before {period}"),
            (Refusal::NodesBehind { period, nodes, utc_offset_min }, lang) => {
                let names: Vec<String> = nodes.iter().map(|n| n.text(*utc_offset_min, lang)).collect();
                match lang {
                    Lang::Zh => format!("{period} 不能结账：以下节点在日终之后尚未同步：{}（确认无误可用 --force 强制结账，并记录这些节点）", names.join("；")),
                    Lang::En => format!("{period} cannot be closed: these nodes have not been heard from past its end: {} (--force closes it anyway and records them)", names.join("; ")),
                }
            }
            (Refusal::PartsOpen { period, next }, Lang::Zh) => format!("{period} 不能结账：其所含各期须先结账，下一个待结的是 {next}"),
            (Refusal::PartsOpen { period, next }, Lang::En) => format!("{period} cannot be closed until all its parts are closed; the next to close is {next}"),
        }
    }
}

/// The first and last closed period of a chain.
pub type Span = (Period, Period);

/// Whether `period` may follow a chain that spans `closed`: not closed already, not before
/// the chain's first closing, and the very next one.
fn check_order(period: Period, closed: Option<Span>) -> Result<(), Refusal> {
    let Some((first, last)) = closed else { return Ok(()) };
    let text = period.text();
    if period < first {
        return Err(Refusal::BeforeFirst { period: text, first: first.text() });
    }
    if period <= last {
        return Err(Refusal::AlreadyClosed { period: text });
    }
    if period != last.next() {
        return Err(Refusal::OutOfOrder { period: text, next: last.next().text() });
    }
    Ok(())
}

/// Whether a day may be closed, before looking at the nodes: in order (a store's first
/// day closing is of its earliest business date with entries, or earlier), and over.
pub fn check_day(day: Period, closed: Option<Span>, earliest_entry_day: Option<i64>, utc_offset_min: i32, now_ms: i64) -> Result<(), Refusal> {
    check_order(day, closed)?;
    if closed.is_none()
        && let Some(earliest) = earliest_entry_day
        && earliest < day.first_day()
    {
        return Err(Refusal::OutOfOrder { period: day.text(), next: day_text(earliest) });
    }
    if now_ms < day.end_ms(utc_offset_min) {
        return Err(Refusal::NotOver { period: day.text(), ends_ms: day.end_ms(utc_offset_min), utc_offset_min });
    }
    Ok(())
}

/// Whether a month (or year) may be closed: in order (a store's first one is the one
/// holding its first day (or month) closing), over, and every part of it closed.
/// `parts` spans the chain of its parts.
pub fn check_aggregate(period: Period, closed: Option<Span>, parts: Option<Span>, utc_offset_min: i32, now_ms: i64) -> Result<(), Refusal> {
    check_order(period, closed)?;
    let part_kind = period.kind().parts().unwrap_or(PeriodKind::Day);
    let Some((first_part, last_part)) = parts else {
        return Err(Refusal::PartsOpen { period: period.text(), next: Period::containing(part_kind, period.first_day()).text() });
    };
    if closed.is_none() {
        let first = Period::containing(period.kind(), first_part.first_day());
        if period < first {
            return Err(Refusal::BeforeFirst { period: period.text(), first: first.text() });
        }
        if period > first {
            return Err(Refusal::OutOfOrder { period: period.text(), next: first.text() });
        }
    }
    if now_ms < period.end_ms(utc_offset_min) {
        return Err(Refusal::NotOver { period: period.text(), ends_ms: period.end_ms(utc_offset_min), utc_offset_min });
    }
    if last_part.last_day() < period.last_day() {
        return Err(Refusal::PartsOpen { period: period.text(), next: last_part.next().text() });
    }
    Ok(())
}

/// Highest seq held per node.
pub type Cursor = BTreeMap<String, u64>;

/// Where a counted entry goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Dated in the closed day.
    InPeriod,
    /// Dated earlier: a late entry.
    Late,
}

/// Whether the day closing of `day` with `cursor`, following the closing of `prev`
/// (its day and cursor), counts the entry `seq` of `node` dated `entry_day`.
pub fn counted_in(entry_day: i64, node: &str, seq: u64, day: i64, cursor: &Cursor, prev: Option<(i64, &Cursor)>) -> Option<Counted> {
    let held = |c: &Cursor| c.get(node).is_some_and(|&k| seq <= k);
    if entry_day > day || !held(cursor) {
        return None;
    }
    if let Some((prev_day, prev_cursor)) = prev
        && entry_day <= prev_day
        && held(prev_cursor)
    {
        return None;
    }
    Some(if entry_day == day { Counted::InPeriod } else { Counted::Late })
}

/// One held journal entry, as the fold reads it.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    /// The node.
    pub node_id: &'a str,
    /// Its seq.
    pub seq: u64,
    /// Its timestamp (unix ms, the node's clock).
    pub ts_ms: i64,
    /// The fact as stored.
    pub body: &'a [u8],
}

/// A day closing's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFold {
    /// Entries dated in the day.
    pub in_period: Figures,
    /// Late entries by business date, oldest first.
    pub late: Vec<LateDay>,
}

/// Folds entries one at a time into the day closing of `day` with `cursor`, following
/// the closing of `prev` (see [`counted_in`]); entries it does not count are skipped, so
/// the caller may pass more than it needs (but each entry once).
#[derive(Debug, Clone)]
pub struct DayFolder<'c> {
    day: i64,
    utc_offset_min: i32,
    cursor: &'c Cursor,
    prev: Option<(i64, &'c Cursor)>,
    in_period: Figures,
    late: BTreeMap<i64, Figures>,
}

impl<'c> DayFolder<'c> {
    /// Starts a fold.
    pub fn new(day: i64, utc_offset_min: i32, cursor: &'c Cursor, prev: Option<(i64, &'c Cursor)>) -> DayFolder<'c> {
        DayFolder { day, utc_offset_min, cursor, prev, in_period: Figures::default(), late: BTreeMap::new() }
    }

    /// Counts one entry, if the closing counts it.
    pub fn add(&mut self, entry: EntryRef<'_>) {
        let (entry_day, _) = local_day_hour(entry.ts_ms, self.utc_offset_min);
        match counted_in(entry_day, entry.node_id, entry.seq, self.day, self.cursor, self.prev) {
            Some(Counted::InPeriod) => self.in_period.add_entry(entry.body),
            Some(Counted::Late) => self.late.entry(entry_day).or_default().add_entry(entry.body),
            None => {}
        }
    }

    /// The figures.
    pub fn finish(self) -> DayFold {
        DayFold { in_period: self.in_period, late: self.late.into_iter().map(|(d, figures)| LateDay { date: day_text(d), figures }).collect() }
    }
}

/// [`DayFolder`] over all of `entries`.
pub fn fold_day<'a>(entries: impl IntoIterator<Item = EntryRef<'a>>, day: i64, utc_offset_min: i32, cursor: &Cursor, prev: Option<(i64, &Cursor)>) -> DayFold {
    let mut folder = DayFolder::new(day, utc_offset_min, cursor, prev);
    for entry in entries {
        folder.add(entry);
    }
    folder.finish()
}

/// A month's figures from its day closings, or a year's from its month closings: the
/// totals add up; entries dated inside the period count as its own, late entries of
/// dates before it stay late (merged by date).
pub fn sum_parts(period: Period, parts: &[&Closing]) -> DayFold {
    let mut in_period = Figures::default();
    let mut late: BTreeMap<String, Figures> = BTreeMap::new();
    for part in parts {
        in_period.add(&part.in_period);
        for l in &part.late {
            if parse_day(&l.date).is_some_and(|d| d >= period.first_day()) {
                in_period.add(&l.figures);
            } else {
                late.entry(l.date.clone()).or_default().add(&l.figures);
            }
        }
    }
    DayFold { in_period, late: late.into_iter().map(|(date, figures)| LateDay { date, figures }).collect() }
}

/// A closing as signed. Its canonical encoding is this struct as compact JSON, fields
/// in this order ([`Closing::canonical`]); its hash covers the stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closing {
    /// [`VERSION`].
    pub version: u32,
    /// The store.
    pub store_id: String,
    /// Day, month or year.
    pub kind: PeriodKind,
    /// `2026-11-22`, `2026-11` or `2026`.
    pub period: String,
    /// Its place in the store's chain of this kind, from 1.
    pub chain_seq: u64,
    /// The previous closing's hash in the chain (hex; zeros for the first).
    pub prev_hash: String,
    /// The store's UTC offset in minutes: business dates are local dates at it.
    pub utc_offset_min: i32,
    /// Start of the period (unix ms).
    pub from_ms: i64,
    /// End of the period (unix ms, exclusive).
    pub to_ms: i64,
    /// When it was closed (unix ms, the cloud's clock).
    pub closed_ms: i64,
    /// Per node, the highest seq counted (a month's or year's is its last part's).
    pub cursor: Cursor,
    /// The hashes of the closings summed (a month's days, a year's months), in order.
    pub parts: Vec<String>,
    /// Entries dated in the period.
    pub in_period: Figures,
    /// Entries of earlier dates that arrived after those dates were closed.
    pub late: Vec<LateDay>,
    /// `in_period` plus `late`: what this closing adds to the perpetual total.
    pub total: Figures,
    /// The perpetual grand total: every closing of this chain so far, this one included.
    pub perpetual: Figures,
    /// Closed with `--force` while nodes were behind.
    pub forced: bool,
    /// The nodes that were behind when it was forced.
    pub incomplete_nodes: Vec<NodeBehind>,
    /// The cloud key that signed it (hex).
    pub signer: String,
}

impl Closing {
    /// The period it closes.
    pub fn period(&self) -> Option<Period> {
        Period::parse(&self.period).filter(|p| p.kind() == self.kind)
    }

    /// Sets `total` from `in_period` and `late`, and `perpetual` from the previous
    /// closing of the chain.
    pub fn with_totals(mut self, prev: Option<&Closing>) -> Closing {
        self.total = Figures::sum(std::iter::once(&self.in_period).chain(self.late.iter().map(|l| &l.figures)));
        self.perpetual = prev.map(|p| p.perpetual.clone()).unwrap_or_default();
        self.perpetual.add(&self.total);
        self
    }

    /// The canonical encoding: compact JSON.
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a closing always serialises")
    }

    /// Hashes and signs it.
    pub fn seal(self, key: &SigningKey) -> Sealed {
        let body = self.canonical();
        let hash = closing_hash(&body);
        let signature = key.sign(&hash).to_bytes();
        Sealed { closing: self, body, hash, signature }
    }
}

/// A closing's hash: SHA-256 over a domain tag and the canonical body.
pub fn closing_hash(body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"opentill/closing/v1\0");
    hasher.update(body);
    hasher.finalize().into()
}

/// A closing with its body, hash and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The closing.
    pub closing: Closing,
    /// Its canonical bytes.
    pub body: Vec<u8>,
    /// [`closing_hash`] of `body`.
    pub hash: [u8; 32],
    /// The cloud's Ed25519 signature of `hash`.
    pub signature: [u8; 64],
}

impl Sealed {
    /// As storage keeps it.
    pub fn stored(&self) -> StoredClosing {
        StoredClosing {
            store_id: self.closing.store_id.clone(),
            kind: self.closing.kind,
            period: self.closing.period.clone(),
            chain_seq: self.closing.chain_seq,
            closed_ms: self.closing.closed_ms,
            prev_hash: hex::decode(&self.closing.prev_hash).ok().and_then(|b| b.try_into().ok()).unwrap_or(GENESIS),
            hash: self.hash,
            signature: self.signature,
            body: self.body.clone(),
        }
    }
}

/// Checks a stored closing on its own: its hash, the signature by `key`, that its body is
/// a canonical [`Closing`], and that the stored columns say what the body says.
pub fn check_stored(stored: &StoredClosing, key: &VerifyingKey) -> Result<Closing, String> {
    if closing_hash(&stored.body) != stored.hash {
        return Err("hash mismatch: the closing was altered".into());
    }
    if key.verify(&stored.hash, &Signature::from_bytes(&stored.signature)).is_err() {
        return Err("bad signature: not signed by this cloud's key".into());
    }
    let closing: Closing = serde_json::from_slice(&stored.body).map_err(|e| format!("the body is not a closing: {e}"))?;
    if closing.canonical() != stored.body {
        return Err("the body is not in canonical form".into());
    }
    if closing.version != VERSION {
        return Err(format!("unknown closing version {}", closing.version));
    }
    if closing.signer != hex::encode(key.as_bytes()) {
        return Err(format!("signed by key {}, not this cloud's", closing.signer));
    }
    let columns = (&stored.store_id, stored.kind, &stored.period, stored.chain_seq, hex::encode(stored.prev_hash), stored.closed_ms);
    let body = (&closing.store_id, closing.kind, &closing.period, closing.chain_seq, closing.prev_hash.clone(), closing.closed_ms);
    if columns != body {
        return Err("the stored columns (store, kind, period, seq, previous hash, time) do not match the signed body".into());
    }
    let Some(period) = closing.period() else { return Err(format!("{} is not a {}", closing.period, closing.kind.name())) };
    if (closing.from_ms, closing.to_ms) != (period.start_ms(closing.utc_offset_min), period.end_ms(closing.utc_offset_min)) {
        return Err("the period's bounds do not match its dates".into());
    }
    Ok(closing)
}

#[cfg(test)]
pub(crate) mod tests;
