//! Stock and purchasing state beside the journal: suppliers, stocktakes in progress and
//! their counts (state until posted; the posting is a fact), and purchase orders with
//! what was received against each line (a projection of `purchase_ordered`,
//! `purchase_order_amended`, `purchase_order_cancelled` and `goods_received` facts, kept
//! by `project`).

use std::collections::BTreeMap;

use opentill_core::journal::Fact;
use rusqlite::{OptionalExtension, params};

use super::{Replica, Result};

/// A supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierRow {
    /// Id.
    pub supplier_id: String,
    /// Name.
    pub name: String,
    /// Days from order to delivery.
    pub lead_time_days: i64,
    /// Contact number.
    pub phone: Option<String>,
}

/// A stocktake and its counts so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StocktakeRow {
    /// Id.
    pub stocktake_id: String,
    /// Only this category, or the whole store.
    pub category: Option<String>,
    /// Only this place (库位盘点), or the store's total.
    pub location: Option<String>,
    /// Opened, unix ms.
    pub opened_ms: i64,
    /// Posted, unix ms (then it is closed).
    pub posted_ms: Option<i64>,
    /// SKU → counted.
    pub counts: BTreeMap<String, i64>,
}

/// A purchase order with each line's ordered and received quantities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseOrderRow {
    /// Id.
    pub po_id: String,
    /// Supplier.
    pub supplier_id: String,
    /// Placed, unix ms.
    pub ordered_ms: i64,
    /// `(sku, ordered, received, unit_cost)` in order.
    pub lines: Vec<(String, i64, i64, i64)>,
    /// Last amended, unix ms.
    pub amended_ms: Option<i64>,
    /// Cancelled, unix ms, and why.
    pub cancelled: Option<(i64, String)>,
}

impl Replica {
    /// Adds or replaces a supplier.
    pub fn put_supplier(&mut self, supplier: &SupplierRow) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO suppliers (supplier_id, name, lead_time_days, phone) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (supplier_id) DO UPDATE SET name = excluded.name, lead_time_days = excluded.lead_time_days, phone = excluded.phone")?
            .execute(params![supplier.supplier_id, supplier.name, supplier.lead_time_days, supplier.phone])?;
        Ok(())
    }

    /// Every supplier, by id.
    pub fn suppliers(&self) -> Result<Vec<SupplierRow>> {
        let mut stmt = self.conn.prepare_cached("SELECT supplier_id, name, lead_time_days, phone FROM suppliers ORDER BY supplier_id")?;
        let rows = stmt.query_map([], |r| Ok(SupplierRow { supplier_id: r.get(0)?, name: r.get(1)?, lead_time_days: r.get(2)?, phone: r.get(3)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Opens a stocktake of the store or of one place.
    pub fn open_stocktake(&mut self, stocktake_id: &str, category: Option<&str>, location: Option<&str>, now_ms: i64) -> Result<()> {
        self.conn.execute("INSERT INTO stocktakes (stocktake_id, category, location, opened_ms) VALUES (?1, ?2, ?3, ?4)", params![stocktake_id, category, location, now_ms])?;
        Ok(())
    }

    /// Records a count (a recount replaces it).
    pub fn set_count(&mut self, stocktake_id: &str, sku: &str, counted: i64) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO stocktake_counts (stocktake_id, sku, counted) VALUES (?1, ?2, ?3) ON CONFLICT (stocktake_id, sku) DO UPDATE SET counted = excluded.counted")?
            .execute(params![stocktake_id, sku, counted])?;
        Ok(())
    }

    /// A stocktake with its counts.
    pub fn stocktake(&self, stocktake_id: &str) -> Result<Option<StocktakeRow>> {
        let found = self
            .conn
            .prepare_cached("SELECT category, location, opened_ms, posted_ms FROM stocktakes WHERE stocktake_id = ?1")?
            .query_row([stocktake_id], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<i64>>(3)?)))
            .optional()?;
        let Some((category, location, opened_ms, posted_ms)) = found else { return Ok(None) };
        let mut stmt = self.conn.prepare_cached("SELECT sku, counted FROM stocktake_counts WHERE stocktake_id = ?1")?;
        let counts = stmt.query_map([stocktake_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(Some(StocktakeRow { stocktake_id: stocktake_id.to_string(), category, location, opened_ms, posted_ms, counts }))
    }

    /// Stocktakes not posted yet, oldest first.
    pub fn open_stocktakes(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT stocktake_id FROM stocktakes WHERE posted_ms IS NULL ORDER BY opened_ms")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Purchase orders, newest first, with their lines.
    pub fn purchase_orders(&self) -> Result<Vec<PurchaseOrderRow>> {
        let mut stmt = self.conn.prepare_cached("SELECT po_id FROM purchase_orders ORDER BY ordered_ms DESC, po_id")?;
        let ids: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        ids.iter().filter_map(|id| self.purchase_order(id).transpose()).collect()
    }

    /// One purchase order.
    pub fn purchase_order(&self, po_id: &str) -> Result<Option<PurchaseOrderRow>> {
        let head = self
            .conn
            .prepare_cached("SELECT supplier_id, ordered_ms, amended_ms, cancelled_ms, cancel_reason FROM purchase_orders WHERE po_id = ?1")?
            .query_row([po_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Option<i64>>(3)?, r.get::<_, Option<String>>(4)?)))
            .optional()?;
        let Some((supplier_id, ordered_ms, amended_ms, cancelled_ms, reason)) = head else { return Ok(None) };
        let cancelled = cancelled_ms.map(|ms| (ms, reason.unwrap_or_default()));
        Ok(Some(PurchaseOrderRow { po_id: po_id.to_string(), supplier_id, ordered_ms, lines: self.po_lines(po_id)?, amended_ms, cancelled }))
    }

    fn po_lines(&self, po_id: &str) -> Result<Vec<(String, i64, i64, i64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT sku, ordered, received, unit_cost FROM po_lines WHERE po_id = ?1 ORDER BY line_no")?;
        let rows = stmt.query_map([po_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ordered and not yet received, per SKU; a cancelled order's outstanding lines are
    /// not coming.
    pub fn on_order(&self) -> Result<BTreeMap<String, i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.sku, SUM(MAX(l.ordered - l.received, 0)) FROM po_lines l JOIN purchase_orders o ON o.po_id = l.po_id WHERE o.cancelled_ms IS NULL GROUP BY l.sku",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The lead time of the supplier of each SKU's latest order.
    pub fn lead_times(&self) -> Result<BTreeMap<String, i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.sku, s.lead_time_days FROM po_lines l JOIN purchase_orders o ON o.po_id = l.po_id JOIN suppliers s ON s.supplier_id = o.supplier_id ORDER BY o.ordered_ms",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        // Later orders overwrite earlier ones.
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Pieces (or grams) sold per SKU since `since_ms`, refunds that went back to stock
    /// taken off.
    pub fn sold_since(&self, since_ms: i64) -> Result<BTreeMap<String, i64>> {
        let mut sold: BTreeMap<String, i64> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached("SELECT seq, body FROM journal WHERE ts_ms >= ?1 AND kind IN ('sale', 'refund') ORDER BY seq")?;
        let mut rows = stmt.query([since_ms])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let body: Vec<u8> = row.get(1)?;
            let fact: Fact = serde_json::from_slice(&body).map_err(|e| super::ReplicaError::Corrupt(format!("entry {seq}: {e}")))?;
            match fact {
                Fact::Sale(s) => s.lines.iter().for_each(|l| *sold.entry(l.sku.clone()).or_default() += l.qty),
                Fact::Refund(r) => r.lines.iter().for_each(|l| *sold.entry(l.sku.clone()).or_default() -= l.qty),
                _ => {}
            }
        }
        Ok(sold)
    }
}

/// Projects an amendment or a cancellation of a purchase order: an amended line's new
/// quantity and cost (a new SKU joins the end), the time it was amended or cancelled and
/// why. An order this replica does not hold is refused.
pub(crate) fn project_po_change(tx: &rusqlite::Connection, ts_ms: i64, fact: &Fact) -> Result<()> {
    let (po_id, updated) = match fact {
        Fact::PurchaseOrderAmended { po_id, .. } => (po_id, tx.prepare_cached("UPDATE purchase_orders SET amended_ms = ?2 WHERE po_id = ?1")?.execute(params![po_id, ts_ms])?),
        Fact::PurchaseOrderCancelled { po_id, reason, .. } => {
            (po_id, tx.prepare_cached("UPDATE purchase_orders SET cancelled_ms = ?2, cancel_reason = ?3 WHERE po_id = ?1")?.execute(params![po_id, ts_ms, reason])?)
        }
        _ => return Ok(()),
    };
    if updated == 0 {
        return Err(super::ReplicaError::UnknownOrder(po_id.clone()));
    }
    if let Fact::PurchaseOrderAmended { lines, .. } = fact {
        for line in lines {
            let updated = tx.prepare_cached("UPDATE po_lines SET ordered = ?3, unit_cost = ?4 WHERE po_id = ?1 AND sku = ?2")?.execute(params![po_id, line.sku, line.qty, line.unit_cost])?;
            if updated == 0 {
                tx.prepare_cached("INSERT INTO po_lines (po_id, line_no, sku, ordered, received, unit_cost) VALUES (?1, (SELECT COALESCE(MAX(line_no), -1) + 1 FROM po_lines WHERE po_id = ?1), ?2, ?3, 0, ?4)")?
                    .execute(params![po_id, line.sku, line.qty, line.unit_cost])?;
            }
        }
    }
    Ok(())
}

/// Records the amendments and cancellations already journaled (by a build newer than the
/// replica's schema) when a replica migrates past migration 24, inside its transaction.
/// Only the times and reasons: the lines were projected when the facts were appended.
pub(crate) fn backfill_po_changes(tx: &rusqlite::Connection) -> Result<()> {
    let mut stmt = tx.prepare("SELECT ts_ms, body FROM journal WHERE kind IN ('purchase_order_amended', 'purchase_order_cancelled') ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let ts_ms: i64 = row.get(0)?;
        let Ok(fact) = serde_json::from_slice::<Fact>(row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?) else { continue };
        match &fact {
            Fact::PurchaseOrderAmended { po_id, .. } => tx.execute("UPDATE purchase_orders SET amended_ms = ?2 WHERE po_id = ?1", params![po_id, ts_ms])?,
            Fact::PurchaseOrderCancelled { po_id, reason, .. } => tx.execute("UPDATE purchase_orders SET cancelled_ms = ?2, cancel_reason = ?3 WHERE po_id = ?1", params![po_id, ts_ms, reason])?,
            _ => 0,
        };
    }
    Ok(())
}

/// Adds a fact's stock movements per place to `stock_locations` (migration 22).
pub(crate) fn project_locations(tx: &rusqlite::Connection, fact: &Fact) -> Result<()> {
    for (sku, location, delta) in opentill_core::fold::location_delta(fact) {
        tx.prepare_cached("INSERT INTO stock_locations (sku, location, qty) VALUES (?1, ?2, ?3) ON CONFLICT (sku, location) DO UPDATE SET qty = qty + excluded.qty")?
            .execute(params![sku, location, delta])?;
    }
    Ok(())
}

/// Fills `stock_locations` from the facts already held (this node's and its peers'),
/// inside the migration's transaction.
pub(crate) fn backfill_locations(tx: &rusqlite::Connection) -> Result<()> {
    let mut n = 0u64;
    for sql in ["SELECT body FROM journal ORDER BY seq", "SELECT body FROM peer_journal ORDER BY node_id, seq"] {
        let mut stmt = tx.prepare(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            // A fact this build cannot read moves nothing, as when it was projected.
            if let Ok(fact) = serde_json::from_slice::<Fact>(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?) {
                project_locations(tx, &fact)?;
                n += 1;
            }
        }
    }
    if n > 0 {
        tracing::info!(facts = n, "backfilled stock per place");
    }
    Ok(())
}

impl Replica {
    /// A SKU's stock per place, by place (places that never held it left out).
    pub fn stock_at(&self, sku: &str) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT location, qty FROM stock_locations WHERE sku = ?1 ORDER BY location")?;
        Ok(stmt.query_map([sku], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?)
    }

    /// What each SKU holds at one place (SKUs that never were there left out).
    pub fn stock_in_place(&self, location: &str) -> Result<BTreeMap<String, i64>> {
        let mut stmt = self.conn.prepare_cached("SELECT sku, qty FROM stock_locations WHERE location = ?1")?;
        Ok(stmt.query_map([location], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?)
    }

    /// How much of a SKU is at one place.
    pub fn stock_in(&self, sku: &str, location: &str) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT qty FROM stock_locations WHERE sku = ?1 AND location = ?2")?.query_row(params![sku, location], |r| r.get(0)).optional()?.unwrap_or(0))
    }
}
