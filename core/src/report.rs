//! Sales reports over a period, folded from the journal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Unit;
use crate::journal::Fact;
use crate::sale::SaleRecord;
use crate::time::LocalTime;

/// One day of a sales report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySales {
    /// Sales.
    pub n_sales: i64,
    /// Sum of sale totals.
    pub sales: i64,
    /// Sum of refunds.
    pub refunds: i64,
}

/// One product's line in a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSales {
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Pieces, or grams for weighed products.
    pub qty: i64,
    /// Each or kg.
    pub unit: String,
    /// Net amount (sales minus refunds).
    pub amount: i64,
}

/// Sales over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesReport {
    /// First day, inclusive (`YYYY-MM-DD`), if bounded.
    pub from: Option<String>,
    /// Last day, inclusive, if bounded.
    pub to: Option<String>,
    /// Sales.
    pub n_sales: i64,
    /// Refunds.
    pub n_refunds: i64,
    /// Pieces sold (weighed lines count one).
    pub n_items: i64,
    /// Gross before discounts.
    pub gross: i64,
    /// Discounts.
    pub discounts: i64,
    /// 抹零.
    pub rounding: i64,
    /// Sum of sale totals.
    pub sales_total: i64,
    /// Sum of refunds.
    pub refunds_total: i64,
    /// Sales minus refunds.
    pub net: i64,
    /// Tax in sales minus tax in refunds.
    pub tax: i64,
    /// Average sale (客单价), rounded half up.
    pub average_sale: i64,
    /// Per local day.
    pub by_day: BTreeMap<String, DaySales>,
    /// Net per tender kind.
    pub by_tender: BTreeMap<String, i64>,
    /// Net per category.
    pub by_category: BTreeMap<String, i64>,
    /// Best sellers by net amount, at most ten.
    pub top_products: Vec<ProductSales>,
}

/// Folds facts (with their unix-ms timestamps) into a report of those in `[from_ms, to_ms)`.
pub fn sales_report<'a>(facts: impl IntoIterator<Item = (i64, &'a Fact)>, from_ms: Option<i64>, to_ms: Option<i64>, utc_offset_min: i32) -> SalesReport {
    let mut report = SalesReport::default();
    let mut sales: BTreeMap<&str, &SaleRecord> = BTreeMap::new();
    let mut products: BTreeMap<String, ProductSales> = BTreeMap::new();
    let in_range = |ts: i64| from_ms.is_none_or(|f| ts >= f) && to_ms.is_none_or(|t| ts < t);
    for (ts, fact) in facts {
        match fact {
            Fact::Sale(sale) => {
                sales.insert(&sale.sale_id, sale);
                if !in_range(ts) {
                    continue;
                }
                report.n_sales += 1;
                report.gross += sale.subtotal;
                report.discounts += sale.discount;
                report.rounding += sale.rounding;
                report.sales_total += sale.total;
                report.tax += sale.tax;
                let day = report.by_day.entry(LocalTime::from_unix_ms(ts, utc_offset_min).date()).or_default();
                day.n_sales += 1;
                day.sales += sale.total;
                for tender in &sale.tenders {
                    *report.by_tender.entry(tender.kind.name().into()).or_insert(0) += tender.amount;
                }
                for line in &sale.lines {
                    report.n_items += if line.unit == Unit::Each { line.qty } else { 1 };
                    *report.by_category.entry(line.category.clone()).or_insert(0) += line.amount;
                    let entry = products.entry(line.sku.clone()).or_insert_with(|| ProductSales {
                        sku: line.sku.clone(),
                        name: line.name.clone(),
                        name_zh: line.name_zh.clone(),
                        unit: line.unit.name().into(),
                        ..ProductSales::default()
                    });
                    entry.qty += line.qty;
                    entry.amount += line.amount;
                }
            }
            Fact::Refund(refund) if in_range(ts) => {
                report.n_refunds += 1;
                report.refunds_total += refund.total;
                report.by_day.entry(LocalTime::from_unix_ms(ts, utc_offset_min).date()).or_default().refunds += refund.total;
                for tender in &refund.tenders {
                    *report.by_tender.entry(tender.kind.name().into()).or_insert(0) -= tender.amount;
                }
                let original = sales.get(refund.sale_id.as_str());
                for line in &refund.lines {
                    report.tax -= line.tax;
                    let category = original.and_then(|s| s.lines.get(line.line_idx)).map_or("?".to_string(), |l| l.category.clone());
                    *report.by_category.entry(category).or_insert(0) -= line.amount;
                    if let Some(entry) = products.get_mut(&line.sku) {
                        entry.qty -= line.qty;
                        entry.amount -= line.amount;
                    }
                }
            }
            _ => {}
        }
    }
    report.net = report.sales_total - report.refunds_total;
    if report.n_sales > 0 {
        report.average_sale = crate::rounding::div_round(i128::from(report.sales_total), i128::from(report.n_sales), crate::rounding::RoundingMode::HalfUp) as i64;
    }
    let mut top: Vec<ProductSales> = products.into_values().collect();
    top.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.sku.cmp(&b.sku)));
    top.truncate(10);
    report.top_products = top;
    report
}
