//! Stock and purchasing at the store: suppliers, stocktakes of the store or of one place
//! (open, count, variance report, post), purchase orders (placed, amended, cancelled) and
//! receiving against them (partial, over and under), and
//! replenishment suggestions from sales velocity, lead time and safety stock. The rules
//! are in `opentill_core::stock`.

use std::collections::BTreeMap;

use opentill_core::catalog::Product;
use opentill_core::journal::Fact;
use opentill_core::stock::{CountLine, PoLine, PoLineStatus, ReceivedLine, ReplenishInput, Suggestion, check_amendment, check_cancel, check_po, check_receipt, check_receivable, po_state, suggest};
use opentill_sync::{PurchaseOrderRow, ReplicaError, SupplierRow};
use tracing::info;

use crate::{Result, Till, TillError, new_id, validate_id};

/// One SKU of a stocktake's variance report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarianceLine {
    /// The product.
    pub product: Product,
    /// On hand by the journal now.
    pub expected: i64,
    /// Counted.
    pub counted: i64,
}

impl VarianceLine {
    /// Counted minus expected.
    pub fn delta(&self) -> i64 {
        self.counted - self.expected
    }

    /// The difference at the selling price (per piece, or per kg for weighed products).
    pub fn value(&self) -> i64 {
        let raw = i128::from(self.delta()) * i128::from(self.product.price_minor);
        (if self.product.unit == opentill_core::catalog::Unit::Kg { raw / 1000 } else { raw }) as i64
    }
}

/// A stocktake's variance report: counted SKUs, and SKUs in its scope with stock that
/// nobody counted (posting leaves those as they are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StocktakeReport {
    /// Id.
    pub stocktake_id: String,
    /// Scope.
    pub category: Option<String>,
    /// The place counted; none: the store's total.
    pub location: Option<String>,
    /// Whether it has been posted.
    pub posted: bool,
    /// Counted SKUs, by SKU.
    pub lines: Vec<VarianceLine>,
    /// In scope, on hand not zero, not counted: `(sku, on hand)`.
    pub uncounted: Vec<(String, i64)>,
}

impl StocktakeReport {
    /// Sum of the variances' values.
    pub fn value(&self) -> i64 {
        self.lines.iter().map(VarianceLine::value).sum()
    }
}

/// A purchase order and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoView {
    /// What the replica holds.
    pub row: PurchaseOrderRow,
    /// Each line's ordered and received.
    pub lines: Vec<PoLineStatus>,
    /// `open`, `partial`, `received`, `over` or `cancelled`.
    pub state: &'static str,
}

impl PoView {
    /// Still to come of a line: nothing once the order is cancelled.
    pub fn outstanding(&self, line: &PoLineStatus) -> i64 {
        if self.row.cancelled.is_some() { 0 } else { line.outstanding() }
    }

    /// The unit cost a SKU is ordered at, if it is on the order.
    pub fn unit_cost(&self, sku: &str) -> Option<i64> {
        self.row.lines.iter().find(|l| l.0 == sku).map(|l| l.3)
    }

    /// What the cancellation closed of a line: what was outstanding then.
    pub fn closed(&self, line: &PoLineStatus) -> i64 {
        if self.row.cancelled.is_some() { line.outstanding() } else { 0 }
    }
}

fn po_view(row: PurchaseOrderRow) -> PoView {
    let lines: Vec<PoLineStatus> = row.lines.iter().map(|(sku, ordered, received, _)| PoLineStatus { sku: sku.clone(), ordered: *ordered, received: *received }).collect();
    PoView { state: po_state(&lines, row.cancelled.is_some()), lines, row }
}

/// How replenishment looks: the window of sales it measures and the days it plans for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplenishPolicy {
    /// Sales over this many days make the velocity.
    pub days: i64,
    /// Safety stock, in days of sales.
    pub safety_days: i64,
    /// Days until the next order.
    pub review_days: i64,
    /// Lead time for SKUs never ordered from a supplier.
    pub default_lead_time_days: i64,
}

impl Default for ReplenishPolicy {
    fn default() -> Self {
        ReplenishPolicy { days: 28, safety_days: 3, review_days: 7, default_lead_time_days: 7 }
    }
}

/// A readable id: the prefix, the UUIDv7's 12 time digits and 4 of its random ones.
pub(crate) fn short_id(prefix: &str) -> String {
    let id = new_id().to_ascii_uppercase();
    format!("{prefix}{}{}", &id[..12], &id[28..])
}

fn bad(e: opentill_core::stock::StockError) -> TillError {
    TillError::Stock(e)
}

impl Till {
    /// Adds or replaces a supplier.
    pub fn put_supplier(&mut self, supplier_id: &str, name: &str, lead_time_days: i64, phone: Option<&str>) -> Result<()> {
        validate_id(supplier_id, "supplier id")?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(TillError::BadInput("a supplier's name must be 1 to 80 characters".into()));
        }
        if !(0..=365).contains(&lead_time_days) {
            return Err(TillError::BadInput(format!("lead time {lead_time_days} days must be 0 to 365")));
        }
        self.replica.put_supplier(&SupplierRow { supplier_id: supplier_id.into(), name: name.into(), lead_time_days, phone: phone.map(str::to_string) })?;
        Ok(())
    }

    /// The suppliers, by id.
    pub fn suppliers(&self) -> Result<Vec<SupplierRow>> {
        Ok(self.replica.suppliers()?)
    }

    /// Opens a stocktake of the whole store or of one category, of the store's total or
    /// of one place (库位盘点: `floor`, `backroom`, `warehouse`); returns its id.
    pub fn open_stocktake(&mut self, category: Option<&str>, location: Option<&str>) -> Result<String> {
        if let Some(c) = category
            && self.replica.products_in_category(c, 1)?.is_empty()
        {
            return Err(TillError::BadInput(format!("no product is in the category {c}")));
        }
        if let Some(l) = location {
            opentill_core::stock::check_location(l).map_err(bad)?;
        }
        let id = short_id("ST");
        self.replica.open_stocktake(&id, category, location, self.clock.now_ms())?;
        info!(stocktake = id, location, "stocktake opened");
        Ok(id)
    }

    /// Records a count: `code` is a barcode or a SKU; `counted` pieces, or grams for a
    /// weighed product. A recount replaces the count.
    pub fn count(&mut self, stocktake_id: &str, code: &str, counted: i64) -> Result<Product> {
        let take = self.replica.stocktake(stocktake_id)?.ok_or_else(|| TillError::BadInput(format!("there is no stocktake {stocktake_id}")))?;
        if take.posted_ms.is_some() {
            return Err(TillError::BadInput(format!("stocktake {stocktake_id} is posted; open a new one")));
        }
        let product = match self.replica.product_by_sku(code)? {
            Some(p) => p,
            None => self.lookup(code)?,
        };
        if let Some(c) = &take.category
            && &product.category != c
        {
            return Err(TillError::BadInput(format!("{} is in {}, not in this stocktake's category {c}", product.sku, product.category)));
        }
        if !(0..=100_000_000).contains(&counted) {
            return Err(TillError::BadInput(format!("count {counted} is not valid")));
        }
        self.replica.set_count(stocktake_id, &product.sku, counted)?;
        Ok(product)
    }

    /// The variance report of a stocktake: counted against on hand now (of the place
    /// counted, for a stocktake of one place).
    pub fn stocktake_report(&self, stocktake_id: &str) -> Result<StocktakeReport> {
        let take = self.replica.stocktake(stocktake_id)?.ok_or_else(|| TillError::BadInput(format!("there is no stocktake {stocktake_id}")))?;
        let stock = match &take.location {
            Some(place) => self.replica.stock_in_place(place)?,
            None => self.replica.stock_all()?,
        };
        let mut lines = Vec::new();
        for (sku, counted) in &take.counts {
            let product = self.replica.product_by_sku(sku)?.ok_or_else(|| TillError::UnknownSku(sku.clone()))?;
            lines.push(VarianceLine { product, expected: stock.get(sku).copied().unwrap_or(0), counted: *counted });
        }
        let mut uncounted = Vec::new();
        for (sku, on_hand) in &stock {
            if *on_hand == 0 || take.counts.contains_key(sku) {
                continue;
            }
            let in_scope = match &take.category {
                Some(c) => self.replica.product_by_sku(sku)?.is_some_and(|p| &p.category == c),
                None => true,
            };
            if in_scope {
                uncounted.push((sku.clone(), *on_hand));
            }
        }
        Ok(StocktakeReport { stocktake_id: take.stocktake_id, category: take.category, location: take.location, posted: take.posted_ms.is_some(), lines, uncounted })
    }

    /// Posts a stocktake: each counted SKU's stock (at the place counted, for a stocktake of
    /// one place; else the store's total, corrected on the floor) becomes what was counted
    /// (one journal fact with what was expected), and the stocktake closes. Returns the
    /// report as posted.
    pub fn post_stocktake(&mut self, stocktake_id: &str, by: &str) -> Result<StocktakeReport> {
        let report = self.stocktake_report(stocktake_id)?;
        if report.posted {
            return Err(TillError::BadInput(format!("stocktake {stocktake_id} is already posted")));
        }
        if report.lines.is_empty() {
            return Err(TillError::BadInput(format!("stocktake {stocktake_id} has no counts")));
        }
        let lines = report.lines.iter().map(|l| CountLine { sku: l.product.sku.clone(), expected: l.expected, counted: l.counted }).collect();
        let now = self.clock.now_ms();
        let id = stocktake_id.to_string();
        self.replica.append_with(now, &Fact::StocktakePosted { stocktake_id: id.clone(), lines, by: by.into(), location: report.location.clone() }, |tx| {
            tx.execute("UPDATE stocktakes SET posted_ms = ?1 WHERE stocktake_id = ?2", opentill_sync::rusqlite::params![now, id])?;
            Ok(())
        })?;
        info!(stocktake = stocktake_id, value = report.value(), "stocktake posted");
        Ok(StocktakeReport { posted: true, ..report })
    }

    /// Places a purchase order with a supplier: every SKU in the catalog, once, with a
    /// positive quantity and a cost. Returns it.
    pub fn place_order(&mut self, supplier_id: &str, lines: Vec<PoLine>, by: &str) -> Result<PoView> {
        if !self.replica.suppliers()?.iter().any(|s| s.supplier_id == supplier_id) {
            return Err(TillError::BadInput(format!("there is no supplier {supplier_id}")));
        }
        check_po(&lines, |sku| self.replica.product_by_sku(sku).ok().flatten().is_some()).map_err(bad)?;
        let po_id = short_id("PO");
        self.replica.append(self.clock.now_ms(), &Fact::PurchaseOrdered { po_id: po_id.clone(), supplier_id: supplier_id.into(), lines, by: by.into() })?;
        info!(po = po_id, "purchase order placed");
        self.purchase_order(&po_id)
    }

    /// Amends an order (采购单修改): each line given is ordered anew at its quantity and
    /// unit cost (not below what was received; 0 drops a line nothing came of), a SKU not
    /// on the order joins it, lines not given stay. Not once it is cancelled or fully
    /// received. Returns it.
    pub fn amend_order(&mut self, po_id: &str, lines: Vec<PoLine>, by: &str) -> Result<PoView> {
        let order = self.purchase_order(po_id)?;
        check_amendment(po_id, &order.lines, order.row.cancelled.is_some(), &lines, |sku| self.replica.product_by_sku(sku).ok().flatten().is_some()).map_err(bad)?;
        self.replica.append(self.clock.now_ms(), &Fact::PurchaseOrderAmended { po_id: po_id.into(), lines, by: by.into() })?;
        info!(po = po_id, "purchase order amended");
        self.purchase_order(po_id)
    }

    /// Cancels an order (采购单取消), with a reason: what is still outstanding will not
    /// come (it no longer counts as on order) and nothing more is received against it;
    /// what was received stays. Not once it is fully received. Returns it.
    pub fn cancel_order(&mut self, po_id: &str, reason: &str, by: &str) -> Result<PoView> {
        let order = self.purchase_order(po_id)?;
        check_cancel(po_id, &order.lines, order.row.cancelled.is_some(), reason).map_err(bad)?;
        self.replica.append(self.clock.now_ms(), &Fact::PurchaseOrderCancelled { po_id: po_id.into(), reason: reason.trim().into(), by: by.into() })?;
        info!(po = po_id, "purchase order cancelled");
        self.purchase_order(po_id)
    }

    /// Moves stock between two places in the store (补货上架: backroom to floor, ...):
    /// no more than the place holds. Returns the SKU's stock per place after.
    pub fn move_stock(&mut self, sku: &str, from: &str, to: &str, qty: i64, by: &str) -> Result<Vec<(String, i64)>> {
        if self.replica.product_by_sku(sku)?.is_none() {
            return Err(TillError::UnknownSku(sku.to_string()));
        }
        let held = self.replica.stock_in(sku, from)?;
        opentill_core::stock::check_move(sku, from, to, qty, held).map_err(bad)?;
        self.replica.append(self.clock.now_ms(), &Fact::StockMoved { sku: sku.into(), from: from.into(), to: to.into(), qty, by: by.into() })?;
        info!(sku, from, to, qty, "stock moved");
        Ok(self.replica.stock_at(sku)?)
    }

    /// Receives goods, against an order (partial, complete or more than ordered) or
    /// without one; stock goes up by what arrived. Not against a cancelled order.
    pub fn receive(&mut self, po_id: Option<&str>, lines: Vec<ReceivedLine>, by: &str) -> Result<Option<PoView>> {
        let order = po_id.map(|id| self.replica.purchase_order(id)?.ok_or_else(|| TillError::Replica(ReplicaError::UnknownOrder(id.into())))).transpose()?;
        let ordered: Option<Vec<PoLine>> = order.as_ref().map(|o| o.lines.iter().map(|(sku, qty, _, cost)| PoLine { sku: sku.clone(), qty: *qty, unit_cost: *cost }).collect());
        if let (Some(id), Some(order)) = (po_id, &order) {
            check_receivable(id, order.cancelled.is_some()).map_err(bad)?;
        }
        let against = po_id.zip(ordered.as_deref());
        check_receipt(&lines, against, |sku| self.replica.product_by_sku(sku).ok().flatten().is_some()).map_err(bad)?;
        let receipt_id = short_id("GR");
        self.replica.append(self.clock.now_ms(), &Fact::GoodsReceived { receipt_id, po_id: po_id.map(str::to_string), lines, by: by.into(), location: None })?;
        po_id.map(|id| self.purchase_order(id)).transpose()
    }

    /// One purchase order.
    pub fn purchase_order(&self, po_id: &str) -> Result<PoView> {
        let row = self.replica.purchase_order(po_id)?.ok_or_else(|| TillError::Replica(ReplicaError::UnknownOrder(po_id.into())))?;
        Ok(po_view(row))
    }

    /// Every purchase order, newest first.
    pub fn purchase_orders(&self) -> Result<Vec<PoView>> {
        Ok(self.replica.purchase_orders()?.into_iter().map(po_view).collect())
    }

    /// What to order now, SKU by SKU: those whose stock position (on hand plus on order)
    /// is at or under their reorder point at the recent sales velocity.
    pub fn replenishment(&self, policy: ReplenishPolicy) -> Result<Vec<(Product, Suggestion)>> {
        let days = policy.days.clamp(1, 365);
        let since = self.clock.now_ms() - days * 86_400_000;
        let sold = self.replica.sold_since(since)?;
        let stock = self.replica.stock_all()?;
        let on_order = self.replica.on_order()?;
        let lead_times: BTreeMap<String, i64> = self.replica.lead_times()?;
        let mut out = Vec::new();
        for (sku, sold) in sold {
            let input = ReplenishInput {
                on_hand: stock.get(&sku).copied().unwrap_or(0),
                on_order: on_order.get(&sku).copied().unwrap_or(0),
                sold,
                days,
                lead_time_days: lead_times.get(&sku).copied().unwrap_or(policy.default_lead_time_days),
                safety_days: policy.safety_days,
                review_days: policy.review_days,
                sku,
            };
            if let Some(s) = suggest(&input)
                && let Some(product) = self.replica.product_by_sku(&s.sku)?
            {
                out.push((product, s));
            }
        }
        // Most urgent first: the fewest days of cover.
        out.sort_by_key(|(_, s)| (s.days_of_cover.unwrap_or(i64::MAX), s.sku.clone()));
        Ok(out)
    }
}
