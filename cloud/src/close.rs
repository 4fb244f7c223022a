//! Closing periods and verifying closings against the ledger: reads what
//! [`crate::closing`] needs from a [`Ledger`], applies its rules, seals and stores.
//!
//! The rules, each tested in `close/tests.rs`:
//! - a day is closed only once it is over at the store's UTC offset, and only when every
//!   node of the store has been heard from past its end ([`closing::nodes_behind`]);
//!   otherwise the close is refused naming the nodes behind, unless forced, which records
//!   them in the closing;
//! - days are closed in order, none skipped; a store's first day closing is of its
//!   earliest business date with entries (or earlier);
//! - a month needs all its days closed and sums them; a year needs all its months;
//! - entries that arrive for a closed day are never written into it: the next day
//!   closing counts them as late entries of their business date;
//! - a period is closed at most once; closings are never changed.

use std::collections::BTreeMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use opentill_core::analytics::local_day_hour;
use opentill_core::i18n::Lang;

use crate::closing::{self, Closing, Cursor, DayFolder, EntryRef, Figures, GENESIS, Period, PeriodKind, Refusal, Sealed, VERSION, closing_hash};
use crate::ledger::{Ledger, LedgerError, StoreInfo, StoredClosing};

/// Why a close did not happen. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    /// The rules refuse it.
    #[error("{}", .0.message(Lang::En))]
    Refused(Refusal),
    /// No such store.
    #[error("no store {0} in the cloud")]
    UnknownStore(String),
    /// A closing of the chain could not be read: run `verify-closings`.
    #[error("stored closing {0} is unreadable or altered; run verify-closings")]
    Corrupt(String),
    /// Another closing of the same chain was stored meanwhile.
    #[error("another closing of this store was made at the same time; try again")]
    Raced,
    /// Storage failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl CloseError {
    /// A stable name: the refusal's kind, `unknown_store`, `corrupt`, `raced` or `storage`.
    pub fn kind(&self) -> &'static str {
        match self {
            CloseError::Refused(r) => r.kind(),
            CloseError::UnknownStore(_) => "unknown_store",
            CloseError::Corrupt(_) => "corrupt",
            CloseError::Raced => "raced",
            CloseError::Ledger(LedgerError::UnknownStore(_)) => "unknown_store",
            CloseError::Ledger(_) => "storage",
        }
    }

    /// For people.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (CloseError::Refused(r), _) => r.message(lang),
            (CloseError::UnknownStore(s), Lang::Zh) | (CloseError::Ledger(LedgerError::UnknownStore(s)), Lang::Zh) => format!("云端没有门店 {s}"),
            (CloseError::Corrupt(what), Lang::Zh) => format!("已存的结账记录 {what} 无法读取或已被篡改；请运行 verify-closings"),
            (CloseError::Raced, Lang::Zh) => "同一门店的另一笔结账同时完成；请重试".to_string(),
            (e, _) => e.to_string(),
        }
    }
}

fn store_info(ledger: &dyn Ledger, store_id: &str) -> Result<StoreInfo, CloseError> {
    ledger.stores()?.into_iter().find(|s| s.path.store_id == store_id).ok_or_else(|| CloseError::UnknownStore(store_id.to_string()))
}

fn describe(stored: &StoredClosing) -> String {
    format!("{} {} {}", stored.store_id, stored.kind.name(), stored.period)
}

/// Reads a stored closing of a chain being extended; its hash must hold.
fn parse(stored: &StoredClosing) -> Result<Closing, CloseError> {
    if closing_hash(&stored.body) != stored.hash {
        return Err(CloseError::Corrupt(describe(stored)));
    }
    serde_json::from_slice(&stored.body).map_err(|_| CloseError::Corrupt(describe(stored)))
}

fn span(ends: Option<(StoredClosing, StoredClosing)>) -> Result<Option<(Period, Period, Closing, StoredClosing)>, CloseError> {
    let Some((first, last)) = ends else { return Ok(None) };
    let period = |s: &StoredClosing| Period::parse(&s.period).filter(|p| p.kind() == s.kind).ok_or_else(|| CloseError::Corrupt(describe(s)));
    let last_closing = parse(&last)?;
    Ok(Some((period(&first)?, period(&last)?, last_closing, last)))
}

/// Folds the entries a day closing counts, reading only what it may count: per node,
/// seqs after the previous cursor dated up to the day's end, and seqs up to the previous
/// cursor dated after the previous day.
fn fold_from_ledger(ledger: &dyn Ledger, store_id: &str, day: Period, utc_offset_min: i32, cursor: &Cursor, prev: Option<(Period, &Cursor)>) -> Result<closing::DayFold, LedgerError> {
    let end = day.end_ms(utc_offset_min);
    let mut folder = DayFolder::new(day.first_day(), utc_offset_min, cursor, prev.map(|(p, c)| (p.last_day(), c)));
    let nodes: std::collections::BTreeSet<&String> = cursor.keys().chain(prev.iter().flat_map(|(_, c)| c.keys())).collect();
    for node in nodes {
        let held = cursor.get(node).copied().unwrap_or(0);
        let before = prev.and_then(|(_, c)| c.get(node).copied()).unwrap_or(0);
        let mut add = |e: opentill_sync::journal::Entry| {
            folder.add(EntryRef { node_id: &e.node_id, seq: e.seq, ts_ms: e.ts_ms, body: &e.body });
            Ok(())
        };
        if held > before {
            ledger.read_entries(store_id, node, before + 1..=held, i64::MIN..end, &mut add)?;
        }
        if let Some((prev_day, _)) = prev
            && before > 0
        {
            ledger.read_entries(store_id, node, 1..=before, prev_day.end_ms(utc_offset_min)..end, &mut add)?;
        }
    }
    Ok(folder.finish())
}

/// The part closings (days of a month, months of a year) of `period`, in chain order.
fn parts_of(ledger: &dyn Ledger, store_id: &str, period: Period) -> Result<Vec<StoredClosing>, LedgerError> {
    let Some(kind) = period.kind().parts() else { return Ok(Vec::new()) };
    Ok(ledger
        .closings(Some(store_id), Some(kind))?
        .into_iter()
        .filter(|c| Period::parse(&c.period).is_some_and(|p| p.kind() == kind && period.contains(p.first_day())))
        .collect())
}

/// Closes `period` of `store_id` at `now_ms`, signing with `key`. `force` closes a day
/// although nodes are behind, recording them.
pub fn close(ledger: &mut dyn Ledger, key: &SigningKey, store_id: &str, period: Period, force: bool, now_ms: i64) -> Result<Sealed, CloseError> {
    let store = store_info(ledger, store_id)?;
    let offset = store.utc_offset_min;
    let kind = period.kind();
    let chain = span(ledger.chain_ends(store_id, kind)?)?;
    let closed = chain.as_ref().map(|(first, last, _, _)| (*first, *last));
    let prev = chain.as_ref().map(|(_, _, closing, _)| closing);
    let mut closing = Closing {
        version: VERSION,
        store_id: store_id.to_string(),
        kind,
        period: period.text(),
        chain_seq: chain.as_ref().map_or(1, |(_, _, _, s)| s.chain_seq + 1),
        prev_hash: hex::encode(chain.as_ref().map_or(GENESIS, |(_, _, _, s)| s.hash)),
        utc_offset_min: offset,
        from_ms: period.start_ms(offset),
        to_ms: period.end_ms(offset),
        closed_ms: now_ms,
        cursor: Cursor::new(),
        parts: Vec::new(),
        in_period: Figures::default(),
        late: Vec::new(),
        total: Figures::default(),
        perpetual: Figures::default(),
        forced: false,
        incomplete_nodes: Vec::new(),
        signer: hex::encode(key.verifying_key().as_bytes()),
    };
    match kind {
        PeriodKind::Day => {
            let earliest = ledger.earliest_entry_ms(store_id)?.map(|ms| local_day_hour(ms, offset).0);
            closing::check_day(period, closed, earliest, offset, now_ms).map_err(CloseError::Refused)?;
            let nodes = ledger.store_nodes(store_id)?;
            let behind = closing::nodes_behind(&nodes, period.end_ms(offset));
            if !behind.is_empty() && !force {
                return Err(CloseError::Refused(Refusal::NodesBehind { period: period.text(), nodes: behind, utc_offset_min: offset }));
            }
            closing.cursor = nodes.iter().filter(|n| n.acked_seq > 0).map(|n| (n.node_id.clone(), n.acked_seq)).collect();
            let prev_day = match (&chain, prev) {
                (Some((_, last, _, _)), Some(p)) => Some((*last, &p.cursor)),
                _ => None,
            };
            let fold = fold_from_ledger(ledger, store_id, period, offset, &closing.cursor, prev_day)?;
            (closing.in_period, closing.late) = (fold.in_period, fold.late);
            closing.forced = !behind.is_empty();
            closing.incomplete_nodes = behind;
        }
        PeriodKind::Month | PeriodKind::Year => {
            let part_kind = kind.parts().unwrap_or(PeriodKind::Day);
            let part_chain = span(ledger.chain_ends(store_id, part_kind)?)?;
            closing::check_aggregate(period, closed, part_chain.as_ref().map(|(f, l, _, _)| (*f, *l)), offset, now_ms).map_err(CloseError::Refused)?;
            let stored_parts = parts_of(ledger, store_id, period)?;
            let parts = stored_parts.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
            let fold = closing::sum_parts(period, &parts.iter().collect::<Vec<_>>());
            (closing.in_period, closing.late) = (fold.in_period, fold.late);
            closing.cursor = parts.last().map(|p| p.cursor.clone()).unwrap_or_default();
            closing.parts = stored_parts.iter().map(|s| hex::encode(s.hash)).collect();
        }
    }
    let sealed = closing.with_totals(prev).seal(key);
    if ledger.append_closing(&sealed.stored())? {
        tracing::info!(store = store_id, kind = kind.name(), period = %period.text(), net_minor = sealed.closing.total.net_minor, forced = sealed.closing.forced, "period closed");
        return Ok(sealed);
    }
    let now_closed = ledger.closings(Some(store_id), Some(kind))?.iter().any(|c| c.period == period.text());
    Err(if now_closed { CloseError::Refused(Refusal::AlreadyClosed { period: period.text() }) } else { CloseError::Raced })
}

/// Something wrong with a stored closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The store.
    pub store_id: String,
    /// Its kind.
    pub kind: PeriodKind,
    /// Its period.
    pub period: String,
    /// Its place in the chain.
    pub chain_seq: u64,
    /// What is wrong.
    pub problem: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {} (#{}): {}", self.store_id, self.kind.name(), self.period, self.chain_seq, self.problem)
    }
}

/// What [`verify_closings`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// Closings checked.
    pub checked: usize,
    /// Problems, in chain order.
    pub problems: Vec<Problem>,
}

/// Names the fields of two figures that differ.
pub fn figures_diff(signed: &Figures, recomputed: &Figures) -> Option<String> {
    if signed == recomputed {
        return None;
    }
    let mut out = Vec::new();
    let fields = [
        ("n_entries", signed.n_entries, recomputed.n_entries),
        ("n_unreadable", signed.n_unreadable, recomputed.n_unreadable),
        ("n_sales", signed.n_sales, recomputed.n_sales),
        ("n_refunds", signed.n_refunds, recomputed.n_refunds),
        ("sales_minor", signed.sales_minor, recomputed.sales_minor),
        ("refunds_minor", signed.refunds_minor, recomputed.refunds_minor),
        ("net_minor", signed.net_minor, recomputed.net_minor),
        ("tax_minor", signed.tax_minor, recomputed.tax_minor),
    ];
    for (name, a, b) in fields {
        if a != b {
            out.push(format!("{name} {a} signed, {b} recomputed"));
        }
    }
    if signed.by_tender != recomputed.by_tender {
        out.push(format!("by_tender {:?} signed, {:?} recomputed", signed.by_tender, recomputed.by_tender));
    }
    Some(out.join(", "))
}

fn late_diff(signed: &[closing::LateDay], recomputed: &[closing::LateDay]) -> Option<String> {
    let signed: BTreeMap<&str, &Figures> = signed.iter().map(|l| (l.date.as_str(), &l.figures)).collect();
    let recomputed: BTreeMap<&str, &Figures> = recomputed.iter().map(|l| (l.date.as_str(), &l.figures)).collect();
    let empty = Figures::default();
    let dates: std::collections::BTreeSet<&str> = signed.keys().chain(recomputed.keys()).copied().collect();
    let diffs: Vec<String> = dates.into_iter().filter_map(|d| figures_diff(signed.get(d).unwrap_or(&&empty), recomputed.get(d).unwrap_or(&&empty)).map(|x| format!("{d}: {x}"))).collect();
    (!diffs.is_empty()).then(|| diffs.join("; "))
}

/// Re-checks every closing: its hash and `key`'s signature, its stored columns, its
/// chain (sequence, previous hash, consecutive periods, one UTC offset, perpetual total =
/// the previous one plus its own total), and its figures, recomputed from the journal for
/// a day and from its parts for a month or year. `progress(done, total)` after each.
pub fn verify_closings(ledger: &dyn Ledger, key: &VerifyingKey, progress: &mut dyn FnMut(usize, usize)) -> Result<Verified, LedgerError> {
    let all = ledger.closings(None, None)?;
    let mut report = Verified::default();
    let total = all.len();
    let mut chains: BTreeMap<(String, PeriodKind), Vec<StoredClosing>> = BTreeMap::new();
    for stored in all {
        chains.entry((stored.store_id.clone(), stored.kind)).or_default().push(stored);
    }
    // Closings that passed their own checks, by hash: a chain or a sum is compared only
    // against those, so one altered closing is named once rather than in all that follow.
    let mut parsed: BTreeMap<[u8; 32], Closing> = BTreeMap::new();
    // Days first, so months and years can be checked against the days as stored.
    for ((store_id, kind), chain) in &chains {
        let mut prev: Option<(&StoredClosing, Option<Closing>)> = None;
        for (idx, stored) in chain.iter().enumerate() {
            let mut problems = Vec::new();
            let (closing, intact) = match closing::check_stored(stored, key) {
                Ok(c) => (Some(c), true),
                Err(p) => {
                    problems.push(p);
                    (serde_json::from_slice::<Closing>(&stored.body).ok(), false)
                }
            };
            if stored.chain_seq != idx as u64 + 1 {
                problems.push(format!("chain sequence {} where {} was expected", stored.chain_seq, idx + 1));
            }
            let expected_prev = prev.as_ref().map_or(GENESIS, |(p, _)| p.hash);
            if stored.prev_hash != expected_prev {
                problems.push("chain broken: prev_hash is not the previous closing's hash".into());
            }
            if let Some(c) = &closing {
                let prev_intact = prev.as_ref().and_then(|(s, p)| p.as_ref().filter(|_| parsed.contains_key(&s.hash)));
                let prev_altered = prev.as_ref().is_some_and(|(s, _)| !parsed.contains_key(&s.hash));
                problems.extend(check_against_chain(ledger, c, prev_intact, prev_altered, &chains, &parsed)?);
                if intact {
                    parsed.insert(stored.hash, c.clone());
                }
            }
            for problem in problems {
                report.problems.push(Problem { store_id: store_id.clone(), kind: *kind, period: stored.period.clone(), chain_seq: stored.chain_seq, problem });
            }
            prev = Some((stored, closing));
            report.checked += 1;
            progress(report.checked, total);
        }
    }
    Ok(report)
}

/// Checks a closing against its chain and what it was made from. `prev` is the previous
/// closing if it is intact; `prev_altered` says there is one but it is not.
fn check_against_chain(
    ledger: &dyn Ledger,
    c: &Closing,
    prev: Option<&Closing>,
    prev_altered: bool,
    chains: &BTreeMap<(String, PeriodKind), Vec<StoredClosing>>,
    intact: &BTreeMap<[u8; 32], Closing>,
) -> Result<Vec<String>, LedgerError> {
    let mut problems = Vec::new();
    let Some(period) = c.period() else {
        problems.push(format!("{} is not a {}", c.period, c.kind.name()));
        return Ok(problems);
    };
    if let Some(p) = prev {
        if p.period().map(|pp| pp.next()) != Some(period) {
            problems.push(format!("does not follow {} (periods are closed in order)", p.period));
        }
        if p.utc_offset_min != c.utc_offset_min {
            problems.push(format!("UTC offset {} differs from the chain's {}", c.utc_offset_min, p.utc_offset_min));
        }
    }
    let expected = c.clone().with_totals(prev);
    if let Some(d) = figures_diff(&c.total, &expected.total) {
        problems.push(format!("total is not its own figures plus its late entries: {d}"));
    }
    if prev_altered {
        // Its perpetual total and cursor are checked against the previous closing once
        // that one is put right.
    } else if let Some(d) = figures_diff(&c.perpetual, &expected.perpetual) {
        problems.push(format!("perpetual total is not the previous one plus this total: {d}"));
    }
    match c.kind {
        PeriodKind::Day if prev_altered => {}
        PeriodKind::Day => {
            let prev_day = prev.and_then(|p| p.period().map(|pp| (pp, &p.cursor)));
            let fold = fold_from_ledger(ledger, &c.store_id, period, c.utc_offset_min, &c.cursor, prev_day)?;
            if let Some(d) = figures_diff(&c.in_period, &fold.in_period) {
                problems.push(format!("figures differ from the journal: {d}"));
            }
            if let Some(d) = late_diff(&c.late, &fold.late) {
                problems.push(format!("late entries differ from the journal: {d}"));
            }
        }
        PeriodKind::Month | PeriodKind::Year => {
            let part_kind = c.kind.parts().unwrap_or(PeriodKind::Day);
            let stored_parts: Vec<&StoredClosing> = chains
                .get(&(c.store_id.clone(), part_kind))
                .map(|chain| chain.iter().filter(|s| Period::parse(&s.period).is_some_and(|p| p.kind() == part_kind && period.contains(p.first_day()))).collect())
                .unwrap_or_default();
            let hashes: Vec<String> = stored_parts.iter().map(|s| hex::encode(s.hash)).collect();
            if hashes != c.parts {
                problems.push(format!("its parts are not the {} closings of {}", part_kind.name(), c.period));
            }
            let parts: Vec<&Closing> = stored_parts.iter().filter_map(|s| intact.get(&s.hash)).collect();
            let altered: Vec<&str> = stored_parts.iter().filter(|s| !intact.contains_key(&s.hash)).map(|s| s.period.as_str()).collect();
            if !altered.is_empty() {
                problems.push(format!("sums closings that are not intact: {}", altered.join(", ")));
            } else {
                let fold = closing::sum_parts(period, &parts);
                if let Some(d) = figures_diff(&c.in_period, &fold.in_period) {
                    problems.push(format!("figures are not the sum of its parts: {d}"));
                }
                if let Some(d) = late_diff(&c.late, &fold.late) {
                    problems.push(format!("late entries are not those of its parts: {d}"));
                }
                if let Some(last) = parts.last() {
                    if figures_diff(&c.perpetual, &last.perpetual).is_some() {
                        problems.push(format!("perpetual total differs from its last part's ({})", last.period));
                    }
                    if c.cursor != last.cursor {
                        problems.push("cursor differs from its last part's".into());
                    }
                }
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests;
