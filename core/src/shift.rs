//! Shifts: X (mid-shift) and Z (closing) reports, folded from the shift's facts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::journal::{CashDirection, Fact};
use crate::tender::TenderKind;

/// X is a snapshot during the shift; Z closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportKind {
    /// Mid-shift, changes nothing.
    X,
    /// Closing.
    Z,
}

/// A shift report. The same fold makes X and Z reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftReport {
    /// X or Z.
    pub kind: ReportKind,
    /// Shift.
    pub shift_id: String,
    /// Cashier who opened it.
    pub cashier: String,
    /// When it opened (unix ms).
    pub opened_at_ms: i64,
    /// When the report was taken (unix ms).
    pub taken_at_ms: i64,
    /// Opening float.
    pub float: i64,
    /// Sales.
    pub n_sales: i64,
    /// Sum of gross line amounts.
    pub gross: i64,
    /// Sum of discounts.
    pub discounts: i64,
    /// Sum of 抹零 rounding.
    pub rounding: i64,
    /// Sum of sale totals.
    pub sales_total: i64,
    /// Tax in sales.
    pub tax: i64,
    /// Refunds.
    pub n_refunds: i64,
    /// Sum of refunds.
    pub refunds_total: i64,
    /// Sales voided before payment.
    pub n_voids: i64,
    /// What they would have cost.
    pub voids_total: i64,
    /// Drawer openings with no sale.
    pub n_no_sale: i64,
    /// Net taken per tender kind (`cash`, `card`, ...): sales minus refunds.
    pub by_tender: BTreeMap<String, i64>,
    /// Cash put in.
    pub cash_in: i64,
    /// Cash taken out.
    pub cash_out: i64,
    /// Cash from stored-value top-ups.
    pub cash_top_ups: i64,
    /// What should be in the drawer.
    pub expected_cash: i64,
    /// What was counted (Z only).
    pub counted_cash: Option<i64>,
    /// Counted minus expected (Z only).
    pub variance: Option<i64>,
}

impl ShiftReport {
    /// Sales minus refunds.
    pub fn net_sales(&self) -> i64 {
        self.sales_total - self.refunds_total
    }
}

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShiftError {
    /// No `ShiftOpened` for this id.
    #[error("shift {0} was never opened")]
    NotOpened(String),
    /// Already closed.
    #[error("shift {0} is already closed")]
    AlreadyClosed(String),
}

/// Folds the facts of `shift_id` (any order of the journal, filtered here) into a report.
pub fn shift_report<'a>(shift_id: &str, facts: impl IntoIterator<Item = (i64, &'a Fact)>, kind: ReportKind, taken_at_ms: i64, counted_cash: Option<i64>) -> Result<ShiftReport, ShiftError> {
    let mut report: Option<ShiftReport> = None;
    let mine = |s: &Option<String>| s.as_deref() == Some(shift_id);
    let mut pending: Vec<&Fact> = Vec::new();
    for (ts, fact) in facts {
        match fact {
            Fact::ShiftOpened { shift_id: id, cashier, float } if id == shift_id => {
                report = Some(ShiftReport {
                    kind,
                    shift_id: id.clone(),
                    cashier: cashier.clone(),
                    opened_at_ms: ts,
                    taken_at_ms,
                    float: *float,
                    n_sales: 0,
                    gross: 0,
                    discounts: 0,
                    rounding: 0,
                    sales_total: 0,
                    tax: 0,
                    n_refunds: 0,
                    refunds_total: 0,
                    n_voids: 0,
                    voids_total: 0,
                    n_no_sale: 0,
                    by_tender: BTreeMap::new(),
                    cash_in: 0,
                    cash_out: 0,
                    cash_top_ups: 0,
                    expected_cash: *float,
                    counted_cash: None,
                    variance: None,
                });
            }
            Fact::ShiftClosed(closed) if closed.shift_id == shift_id => return Err(ShiftError::AlreadyClosed(shift_id.to_string())),
            Fact::Sale(s) if mine(&s.shift_id) => pending.push(fact),
            Fact::Refund(r) if mine(&r.shift_id) => pending.push(fact),
            Fact::SaleVoided(v) if mine(&v.shift_id) => pending.push(fact),
            Fact::CashMoved { shift_id: s, .. } | Fact::NoSale { shift_id: s, .. } | Fact::StoredValueToppedUp { shift_id: s, .. } if mine(s) => pending.push(fact),
            _ => {}
        }
    }
    let mut report = report.ok_or_else(|| ShiftError::NotOpened(shift_id.to_string()))?;
    for fact in pending {
        match fact {
            Fact::Sale(sale) => {
                report.n_sales += 1;
                report.gross += sale.subtotal;
                report.discounts += sale.discount;
                report.rounding += sale.rounding;
                report.sales_total += sale.total;
                report.tax += sale.tax;
                for tender in &sale.tenders {
                    *report.by_tender.entry(tender.kind.name().to_string()).or_insert(0) += tender.amount;
                }
                report.expected_cash += sale.cash_taken();
            }
            Fact::Refund(refund) => {
                report.n_refunds += 1;
                report.refunds_total += refund.total;
                for tender in &refund.tenders {
                    *report.by_tender.entry(tender.kind.name().to_string()).or_insert(0) -= tender.amount;
                    if tender.kind == TenderKind::Cash {
                        report.expected_cash -= tender.amount;
                    }
                }
            }
            Fact::SaleVoided(void) => {
                report.n_voids += 1;
                report.voids_total += void.total;
            }
            Fact::CashMoved { direction, amount, .. } => match direction {
                CashDirection::In => {
                    report.cash_in += amount;
                    report.expected_cash += amount;
                }
                CashDirection::Out => {
                    report.cash_out += amount;
                    report.expected_cash -= amount;
                }
            },
            Fact::NoSale { .. } => report.n_no_sale += 1,
            Fact::StoredValueToppedUp { tender, amount, .. }
                if *tender == TenderKind::Cash => {
                    report.cash_top_ups += amount;
                    report.expected_cash += amount;
                }
            _ => {}
        }
    }
    if let Some(counted) = counted_cash {
        report.counted_cash = Some(counted);
        report.variance = Some(counted - report.expected_cash);
    }
    Ok(report)
}
