//! The analytics projection (`sale_lines`, `sale_tenders`, `sale_groups`, migration 10) and
//! the grouped queries the reports of `opentill_core::analytics` are folded from; the
//! members report's projection (`member_tickets`, migration 21: one row per sale and
//! refund); and the conversion report's gate entries, read from `gate_passages`.

use std::collections::BTreeMap;

use opentill_core::analytics::{CatalogItem, LineRow, TenderRow, TicketRow, Totals, local_day_hour, refunded_lines, sold_lines, tender_rows};
use opentill_core::catalog::Unit;
use opentill_core::journal::Fact;
use opentill_core::sale::SaleRecord;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use tracing::info;

use super::{Replica, ReplicaError, Result};

/// How [`Replica::analytics_by_day`] groups a period's rows within each day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayGrouping {
    /// Local hour, as `09`; also what the day and week reports fold.
    Hour,
    /// Product category.
    Category,
    /// The sale's cashier (empty when none).
    Cashier,
    /// Tender kind.
    Tender,
}

impl DayGrouping {
    /// Its `dim` in `sale_groups`.
    fn dim(self) -> &'static str {
        match self {
            DayGrouping::Hour => "hour",
            DayGrouping::Category => "category",
            DayGrouping::Cashier => "cashier",
            DayGrouping::Tender => "tender",
        }
    }
}

/// The sums every line query returns, in [`totals_at`]'s order.
const LINE_SUMS: &str = "sum(max(tickets, 0)), sum(max(-tickets, 0)), sum(items), sum(qty), sum(max(amount, 0)), sum(max(-amount, 0)), sum(discount)";

/// A row of `sale_groups`: dimension, local day, key.
type GroupKey = (String, i64, String);

/// Adds rows to their groups: each line to its hour, category and cashier, each tender to
/// its kind.
fn add_groups(groups: &mut BTreeMap<GroupKey, Totals>, lines: &[LineRow], tenders: &[TenderRow]) {
    for l in lines {
        let totals = Totals::of_line(l);
        for (dim, key) in [("hour", format!("{:02}", l.hour)), ("category", l.category.clone()), ("cashier", l.cashier.clone())] {
            groups.entry((dim.to_string(), l.day, key)).or_default().add(&totals);
        }
    }
    for t in tenders {
        groups.entry(("tender".to_string(), t.day, t.kind.clone())).or_default().add(&Totals::of_tender(t));
    }
}

fn totals_at(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Totals> {
    Ok(Totals {
        n_sales: r.get(first)?,
        n_refunds: r.get(first + 1)?,
        items: r.get(first + 2)?,
        qty: r.get(first + 3)?,
        sales: r.get(first + 4)?,
        refunds: r.get(first + 5)?,
        discount: r.get(first + 6)?,
    })
}

/// Writes a fact's line and tender rows and adds them to the report sums. `sale` is the
/// sale a refund returns.
pub(crate) fn project_analytics(tx: &Connection, seq: u64, ts_ms: i64, utc_offset_min: i32, fact: &Fact, sale: Option<&SaleRecord>) -> Result<()> {
    let lines = match (fact, sale) {
        (Fact::Sale(sale), _) => sold_lines(ts_ms, utc_offset_min, sale),
        (Fact::Refund(refund), Some(sale)) => refunded_lines(ts_ms, utc_offset_min, refund, sale),
        _ => return Ok(()),
    };
    let mut insert = tx.prepare_cached(
        "INSERT INTO sale_lines (seq, pos, ts_ms, day, hour, sale_id, sku, category, cashier, qty, items, tickets, gross, discount, amount)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for l in &lines {
        insert.execute(params![seq as i64, l.pos as i64, ts_ms, l.day, l.hour, l.sale_id, l.sku, l.category, l.cashier, l.qty, l.items, l.tickets, l.gross, l.discount, l.amount])?;
    }
    let tenders = tender_rows(ts_ms, utc_offset_min, fact);
    let mut insert = tx.prepare_cached("INSERT INTO sale_tenders (seq, pos, day, hour, kind, amount) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    for t in &tenders {
        insert.execute(params![seq as i64, t.pos as i64, t.day, t.hour, t.kind, t.amount])?;
    }
    let mut groups = BTreeMap::new();
    add_groups(&mut groups, &lines, &tenders);
    let mut upsert = tx.prepare_cached(
        "INSERT INTO sale_groups (dim, day, key, n_sales, n_refunds, items, qty, sales, refunds, discount) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (dim, day, key) DO UPDATE SET n_sales = n_sales + excluded.n_sales, n_refunds = n_refunds + excluded.n_refunds,
           items = items + excluded.items, qty = qty + excluded.qty, sales = sales + excluded.sales, refunds = refunds + excluded.refunds,
           discount = discount + excluded.discount",
    )?;
    for ((dim, day, key), t) in &groups {
        upsert.execute(params![dim, day, key, t.n_sales, t.n_refunds, t.items, t.qty, t.sales, t.refunds, t.discount])?;
    }
    Ok(())
}

/// Writes a sale's or refund's row of the members report's projection (migration 21).
pub(crate) fn project_member_ticket(tx: &Connection, seq: u64, ts_ms: i64, utc_offset_min: i32, fact: &Fact) -> Result<()> {
    if let Some(t) = opentill_core::analytics::ticket_row(ts_ms, utc_offset_min, fact) {
        tx.prepare_cached("INSERT INTO member_tickets (seq, day, member, tickets, amount) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![seq as i64, t.day, t.member, t.tickets, t.amount])?;
    }
    Ok(())
}

/// Fills the members report's projection of a replica that journaled sales before
/// migration 21, inside the migration's transaction.
pub(crate) fn backfill_member_tickets(tx: &Connection) -> Result<()> {
    let n = for_each_sale_or_refund(tx, |seq, ts_ms, offset, fact| project_member_ticket(tx, seq, ts_ms, offset, fact))?;
    if n > 0 {
        info!(facts = n, "backfilled the members report's projection");
    }
    Ok(())
}

/// Calls `each` with every sale and refund journaled, in order, and the store's UTC
/// offset; none when the store has no settings yet. Returns how many.
fn for_each_sale_or_refund(tx: &Connection, mut each: impl FnMut(u64, i64, i32, &Fact) -> Result<()>) -> Result<u64> {
    let offset: Option<String> = tx.query_row("SELECT value FROM meta WHERE key = 'utc_offset_min'", [], |r| r.get(0)).optional()?;
    let Some(offset) = offset else { return Ok(0) };
    let offset: i32 = offset.parse().map_err(|_| ReplicaError::BadSetting("utc_offset_min"))?;
    let mut stmt = tx.prepare("SELECT seq, ts_ms, body FROM journal WHERE kind IN ('sale', 'refund') ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut n = 0u64;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let body: Vec<u8> = row.get(2)?;
        let fact: Fact = serde_json::from_slice(&body).map_err(|e| ReplicaError::Corrupt(format!("entry {seq}: {e}")))?;
        each(seq as u64, row.get(1)?, offset, &fact)?;
        n += 1;
    }
    Ok(n)
}

/// Fills the analytics projection of a replica that journaled sales before migration 10,
/// inside the migration's transaction.
pub(crate) fn backfill(tx: &Connection) -> Result<()> {
    let n = for_each_sale_or_refund(tx, |seq, ts_ms, offset, fact| {
        let sale = match fact {
            Fact::Refund(refund) => Some(sale_of(tx, &refund.sale_id)?.ok_or_else(|| ReplicaError::UnknownSale(refund.sale_id.clone()))?),
            _ => None,
        };
        project_analytics(tx, seq, ts_ms, offset, fact, sale.as_ref())
    })?;
    if n > 0 {
        info!(facts = n, "backfilled the analytics projection");
    }
    Ok(())
}

fn sale_of(conn: &Connection, sale_id: &str) -> Result<Option<SaleRecord>> {
    let body: Option<Vec<u8>> = conn
        .prepare_cached("SELECT j.body FROM sales AS s JOIN journal AS j ON j.seq = s.seq WHERE s.sale_id = ?1")?
        .query_row([sale_id], |r| r.get(0))
        .optional()?;
    match body.map(|b| serde_json::from_slice::<Fact>(&b)) {
        None => Ok(None),
        Some(Ok(Fact::Sale(sale))) => Ok(Some(sale)),
        Some(_) => Err(ReplicaError::Corrupt(format!("the sales index entry of {sale_id} is not a sale"))),
    }
}

/// The text one line row contributes to the projection's digest.
pub(crate) fn line_digest(hasher: &mut Sha256, seq: u64, ts_ms: i64, l: &LineRow) {
    hasher.update(
        format!(
            "{seq}|{}|{ts_ms}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}\n",
            l.pos, l.day, l.hour, l.sale_id, l.sku, l.category, l.cashier, l.qty, l.items, l.tickets, l.gross, l.discount, l.amount
        )
        .as_bytes(),
    );
}

/// The text one tender row contributes to the projection's digest.
pub(crate) fn tender_digest(hasher: &mut Sha256, seq: u64, t: &TenderRow) {
    hasher.update(format!("{seq}|{}|{}|{}|{}|{}\n", t.pos, t.day, t.hour, t.kind, t.amount).as_bytes());
}

/// What [`Replica::verify`] recomputes from the journal and compares with the tables.
#[derive(Default)]
pub(crate) struct Expected {
    lines: Sha256,
    n_lines: u64,
    tenders: Sha256,
    n_tenders: u64,
    groups: BTreeMap<GroupKey, Totals>,
    tickets: Vec<(i64, i64, Option<String>, i64, i64)>,
}

impl Expected {
    /// Adds the rows of one fact.
    pub(crate) fn add(&mut self, replica: &Replica, seq: u64, ts_ms: i64, fact: &Fact) -> Result<()> {
        let offset = replica.settings.utc_offset_min;
        let lines = match fact {
            Fact::Sale(sale) => sold_lines(ts_ms, offset, sale),
            Fact::Refund(refund) => match sale_of(&replica.conn, &refund.sale_id)? {
                Some(sale) => refunded_lines(ts_ms, offset, refund, &sale),
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
        for l in &lines {
            line_digest(&mut self.lines, seq, ts_ms, l);
            self.n_lines += 1;
        }
        let tenders = tender_rows(ts_ms, offset, fact);
        for t in &tenders {
            tender_digest(&mut self.tenders, seq, t);
            self.n_tenders += 1;
        }
        add_groups(&mut self.groups, &lines, &tenders);
        if let Some(t) = opentill_core::analytics::ticket_row(ts_ms, offset, fact) {
            self.tickets.push((seq as i64, t.day, t.member, t.tickets, t.amount));
        }
        Ok(())
    }

    /// Compares with the stored tables; returns the problems found.
    pub(crate) fn check(self, conn: &Connection) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut stored = Sha256::new();
        let mut n = 0u64;
        let mut stmt = conn.prepare("SELECT seq, pos, ts_ms, day, hour, sale_id, sku, category, cashier, qty, items, tickets, gross, discount, amount FROM sale_lines ORDER BY seq, pos")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let row = LineRow {
                pos: r.get::<_, i64>(1)? as usize,
                day: r.get(3)?,
                hour: r.get(4)?,
                sale_id: r.get(5)?,
                sku: r.get(6)?,
                category: r.get(7)?,
                cashier: r.get(8)?,
                qty: r.get(9)?,
                items: r.get(10)?,
                tickets: r.get(11)?,
                gross: r.get(12)?,
                discount: r.get(13)?,
                amount: r.get(14)?,
            };
            line_digest(&mut stored, r.get::<_, i64>(0)? as u64, r.get(2)?, &row);
            n += 1;
        }
        if n != self.n_lines || stored.finalize() != self.lines.finalize() {
            problems.push(format!("the sold-lines projection (sale_lines, {n} rows) disagrees with the journal ({} lines)", self.n_lines));
        }
        let mut stored = Sha256::new();
        let mut n = 0u64;
        let mut stmt = conn.prepare("SELECT seq, pos, day, hour, kind, amount FROM sale_tenders ORDER BY seq, pos")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let row = TenderRow { pos: r.get::<_, i64>(1)? as usize, day: r.get(2)?, hour: r.get(3)?, kind: r.get(4)?, amount: r.get(5)? };
            tender_digest(&mut stored, r.get::<_, i64>(0)? as u64, &row);
            n += 1;
        }
        if n != self.n_tenders || stored.finalize() != self.tenders.finalize() {
            problems.push(format!("the tenders projection (sale_tenders, {n} rows) disagrees with the journal ({} tenders)", self.n_tenders));
        }
        let mut stmt = conn.prepare("SELECT seq, day, member, tickets, amount FROM member_tickets ORDER BY seq")?;
        let stored: Vec<(i64, i64, Option<String>, i64, i64)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut expected = self.tickets.clone();
        expected.sort();
        if stored != expected {
            problems.push(format!("the members projection (member_tickets, {} rows) disagrees with the journal ({} sales and refunds)", stored.len(), expected.len()));
        }
        let mut stmt = conn.prepare("SELECT dim, day, key, n_sales, n_refunds, items, qty, sales, refunds, discount FROM sale_groups")?;
        let stored: BTreeMap<GroupKey, Totals> = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), totals_at(r, 3)?)))?.collect::<rusqlite::Result<_>>()?;
        if let Some(((dim, day, key), _)) = stored.iter().find(|(k, t)| self.groups.get(*k) != Some(*t)).or_else(|| self.groups.iter().find(|(k, _)| !stored.contains_key(*k))) {
            problems.push(format!("the report sums (sale_groups) disagree with the journal, first at {dim} `{key}` of day {}", opentill_core::analytics::day_text(*day)));
        }
        Ok(problems)
    }
}

/// The unix-ms bounds `[from, to)` of local days `from_day..=to_day` (open ends saturate).
fn day_bounds(from_day: i64, to_day: i64, utc_offset_min: i32) -> (i64, i64) {
    let offset_ms = i64::from(utc_offset_min) * 60_000;
    (from_day.saturating_mul(86_400_000).saturating_sub(offset_ms), to_day.saturating_add(1).saturating_mul(86_400_000).saturating_sub(offset_ms))
}

impl Replica {
    /// Points redeemed for goods on the local days `from_day..=to_day`, from this node's
    /// `points_redeemed` entries (found through the partial index of migration 26: they
    /// are few beside the sales).
    pub fn redemptions(&self, from_day: i64, to_day: i64) -> Result<opentill_core::analytics::Redemptions> {
        let (from_ms, to_ms) = day_bounds(from_day, to_day, self.settings.utc_offset_min);
        let mut stmt = self.conn.prepare_cached("SELECT seq, ts_ms, body FROM journal INDEXED BY journal_redemptions WHERE kind = 'points_redeemed' ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let mut out = opentill_core::analytics::Redemptions::default();
        while let Some(row) = rows.next()? {
            let (seq, ts): (i64, i64) = (row.get(0)?, row.get(1)?);
            if ts < from_ms || ts >= to_ms {
                continue;
            }
            match serde_json::from_slice::<opentill_core::journal::Fact>(&row.get::<_, Vec<u8>>(2)?) {
                Ok(opentill_core::journal::Fact::PointsRedeemed { lines, .. }) => out.add(&lines),
                _ => return Err(super::ReplicaError::Corrupt(format!("entry {seq} is not a points redemption"))),
            }
        }
        Ok(out)
    }

    /// One [`TicketRow`] per sale and per refund made on the local days
    /// `from_day..=to_day`, sales first, each by day: the members report's input, read
    /// from the covering index of its projection (migration 21).
    pub fn member_tickets(&self, from_day: i64, to_day: i64) -> Result<Vec<TicketRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, member, tickets, amount FROM member_tickets INDEXED BY member_tickets_day WHERE day BETWEEN ?1 AND ?2 ORDER BY tickets DESC, day",
        )?;
        let rows = stmt.query_map(params![from_day, to_day], |r| Ok(TicketRow { day: r.get(0)?, member: r.get(1)?, tickets: r.get(2)?, amount: r.get(3)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Gate entries (passages `in` through a gate that opened) on the local days
    /// `from_day..=to_day`, counted per local day and hour: `(day, hour, entries)`.
    pub fn gate_entries(&self, from_day: i64, to_day: i64) -> Result<Vec<(i64, u32, i64)>> {
        let offset = self.settings.utc_offset_min;
        let (from_ms, to_ms) = day_bounds(from_day, to_day, offset);
        let mut stmt = self.conn.prepare_cached(
            "SELECT ts_ms FROM gate_passages INDEXED BY gate_passages_time WHERE ts_ms >= ?1 AND ts_ms < ?2 AND opened AND direction = 'in' ORDER BY ts_ms",
        )?;
        let mut counts: BTreeMap<(i64, u32), i64> = BTreeMap::new();
        let mut rows = stmt.query(params![from_ms, to_ms])?;
        while let Some(row) = rows.next()? {
            *counts.entry(local_day_hour(row.get(0)?, offset)).or_default() += 1;
        }
        Ok(counts.into_iter().map(|((day, hour), n)| (day, hour, n)).collect())
    }

    /// The period's rows (local days `from_day..=to_day`) summed per day and `grouping`
    /// key, in day order.
    pub fn analytics_by_day(&self, grouping: DayGrouping, from_day: i64, to_day: i64) -> Result<Vec<(i64, String, Totals)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, key, n_sales, n_refunds, items, qty, sales, refunds, discount FROM sale_groups WHERE dim = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day, key",
        )?;
        let rows = stmt.query_map(params![grouping.dim(), from_day, to_day], |r| Ok((r.get(0)?, r.get(1)?, totals_at(r, 2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The period's rows summed (for the basket figures).
    pub fn analytics_total(&self, from_day: i64, to_day: i64) -> Result<Totals> {
        // Sums over no rows are NULL: an empty period adds up to zero.
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(sum(n_sales), 0), coalesce(sum(n_refunds), 0), coalesce(sum(items), 0), coalesce(sum(qty), 0),
               coalesce(sum(sales), 0), coalesce(sum(refunds), 0), coalesce(sum(discount), 0)
             FROM sale_groups WHERE dim = 'hour' AND day BETWEEN ?1 AND ?2",
        )?;
        Ok(stmt.query_row(params![from_day, to_day], |r| totals_at(r, 0))?)
    }

    /// The period's rows summed per SKU, in SKU order.
    pub fn analytics_by_sku(&self, from_day: i64, to_day: i64) -> Result<Vec<(String, Totals)>> {
        // Without statistics SQLite would take the day index and sort a year of rows by
        // SKU; the SKU index is read in order instead, skipping days outside the period.
        let mut stmt = self.conn.prepare_cached(&format!("SELECT sku, {LINE_SUMS} FROM sale_lines INDEXED BY sale_lines_sku WHERE day BETWEEN ?1 AND ?2 GROUP BY sku"))?;
        let rows = stmt.query_map(params![from_day, to_day], |r| Ok((r.get(0)?, totals_at(r, 1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every catalog product with its stock on hand, by SKU (for slow sellers).
    pub fn catalog_items(&self) -> Result<Vec<CatalogItem>> {
        let mut stmt = self.conn.prepare_cached("SELECT p.sku, p.name, p.name_zh, p.unit, coalesce(s.qty, 0) FROM products AS p LEFT JOIN stock AS s ON s.sku = p.sku ORDER BY p.sku")?;
        let rows = stmt.query_map([], |r| {
            let unit: String = r.get(3)?;
            Ok(CatalogItem { sku: r.get(0)?, name: r.get(1)?, name_zh: r.get(2)?, unit: Unit::parse(&unit).unwrap_or(Unit::Each), stock: r.get(4)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// SQLite's plan for each analytics query, for tests and the benchmark: every one
    /// should search `sale_groups` by its key or read a covering index in order, and use no
    /// temporary b-tree.
    pub fn analytics_plans(&self) -> Result<Vec<String>> {
        let queries = [
            "SELECT day, key, n_sales FROM sale_groups WHERE dim = 'hour' AND day BETWEEN 0 AND 99999 ORDER BY day, key".to_string(),
            "SELECT sum(n_sales) FROM sale_groups WHERE dim = 'hour' AND day BETWEEN 0 AND 99999".to_string(),
            format!("SELECT sku, {LINE_SUMS} FROM sale_lines INDEXED BY sale_lines_sku WHERE day BETWEEN 0 AND 99999 GROUP BY sku"),
        ];
        let mut plans = Vec::new();
        for sql in queries {
            let mut stmt = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let details: Vec<String> = stmt.query_map([], |r| r.get(3))?.collect::<rusqlite::Result<_>>()?;
            plans.push(details.join("; "));
        }
        Ok(plans)
    }
}
