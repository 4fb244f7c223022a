//! Staff attribution (导购) and commissions: a sale may name the staff member who served
//! the customer; commission is a rate by category on what was paid for each line, and
//! refunds of a served sale take their share back. Pure: a fold over journal facts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::journal::Fact;
use crate::rounding::{RoundingMode, div_round};

/// Commission rates: a default and per category, in basis points (200 = 2 %).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionRules {
    /// For categories without their own rate.
    pub default_bp: u32,
    /// Category → rate.
    pub by_category: BTreeMap<String, u32>,
}

impl CommissionRules {
    /// The rate of a category.
    pub fn rate(&self, category: &str) -> u32 {
        self.by_category.get(category).copied().unwrap_or(self.default_bp)
    }

    /// Checks every rate is at most 100 %.
    pub fn check(&self) -> Result<(), String> {
        match std::iter::once(("default", &self.default_bp)).chain(self.by_category.iter().map(|(c, r)| (c.as_str(), r))).find(|(_, r)| **r > 10_000) {
            Some((what, rate)) => Err(format!("commission rate {rate} bp for {what} is over 100 %")),
            None => Ok(()),
        }
    }
}

/// One staff member's line of the commission report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StaffCommission {
    /// Staff user id.
    pub staff: String,
    /// Sales they served.
    pub n_sales: i64,
    /// Paid for those sales, less refunds of them.
    pub net: i64,
    /// Commission earned, less what refunds took back.
    pub commission: i64,
}

/// Commission per staff member over the facts (with their unix-ms times) in
/// `[from_ms, to_ms)`. Each line earns `amount × rate(category)` rounded half up; a
/// refund takes back the same rate on what it refunded.
pub fn commissions<'a>(facts: impl IntoIterator<Item = (i64, &'a Fact)>, rules: &CommissionRules, from_ms: Option<i64>, to_ms: Option<i64>) -> Vec<StaffCommission> {
    let mut served: BTreeMap<&str, (&str, Vec<&str>)> = BTreeMap::new();
    let mut out: BTreeMap<String, StaffCommission> = BTreeMap::new();
    let on = |amount: i64, category: &str| div_round(i128::from(amount) * i128::from(rules.rate(category)), 10_000, RoundingMode::HalfUp) as i64;
    for (ts, fact) in facts {
        let inside = from_ms.is_none_or(|f| ts >= f) && to_ms.is_none_or(|t| ts < t);
        match fact {
            Fact::Sale(sale) => {
                let Some(staff) = sale.served_by.as_deref() else { continue };
                served.insert(&sale.sale_id, (staff, sale.lines.iter().map(|l| l.category.as_str()).collect()));
                if inside {
                    let row = out.entry(staff.to_string()).or_insert_with(|| StaffCommission { staff: staff.to_string(), ..Default::default() });
                    row.n_sales += 1;
                    row.net += sale.total;
                    row.commission += sale.lines.iter().map(|l| on(l.amount, &l.category)).sum::<i64>();
                }
            }
            Fact::Refund(refund) if inside => {
                let Some((staff, categories)) = served.get(refund.sale_id.as_str()) else { continue };
                let row = out.entry(staff.to_string()).or_insert_with(|| StaffCommission { staff: staff.to_string(), ..Default::default() });
                row.net -= refund.total;
                row.commission -= refund.lines.iter().map(|l| on(l.amount, categories.get(l.line_idx).copied().unwrap_or(""))).sum::<i64>();
            }
            _ => {}
        }
    }
    let mut rows: Vec<StaffCommission> = out.into_values().collect();
    rows.sort_by(|a, b| b.commission.cmp(&a.commission).then_with(|| a.staff.cmp(&b.staff)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basket::Basket;
    use crate::catalog::{Product, Unit};
    use crate::money::Currency;
    use crate::refund::{RefundContext, plan_refund};
    use crate::rounding::CashRounding;
    use crate::sale::{SaleContext, SaleRecord, complete_sale};
    use crate::tax::{TaxMode, TaxRate};
    use crate::tender::{Tender, TenderKind};

    fn sale(id: &str, staff: Option<&str>, lines: &[(&str, &str, i64, i64)]) -> SaleRecord {
        let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        for &(sku, category, price, qty) in lines {
            let product = Product { sku: sku.into(), barcodes: vec![], name: sku.into(), name_zh: String::new(), category: category.into(), tags: vec![], unit: Unit::Each, price_minor: price, tax_rate: TaxRate(1300), parent_sku: None, specs: vec![] };
            basket.add(&product, qty).unwrap();
        }
        let total = basket.totals().total;
        let ctx = SaleContext { sale_id: id.into(), shift_id: None, cashier: Some("c01".into()) };
        let mut sale = complete_sale(&basket, &[Tender { kind: TenderKind::Card, amount: total, reference: None }], CashRounding::None, ctx).unwrap();
        sale.served_by = staff.map(str::to_string);
        sale
    }

    #[test]
    fn commission_by_category_less_refunds_within_the_period() {
        let rules = CommissionRules { default_bp: 100, by_category: BTreeMap::from([("cosmetics".to_string(), 500), ("drinks".to_string(), 0)]) };
        let s1 = sale("s1", Some("g01"), &[("LIP-1", "cosmetics", 19_900, 1), ("DRK-1", "drinks", 350, 2)]);
        let s2 = sale("s2", Some("g02"), &[("SNK-1", "snacks", 790, 3)]);
        let s3 = sale("s3", None, &[("LIP-1", "cosmetics", 19_900, 1)]);
        let s4 = sale("s4", Some("g01"), &[("SNK-1", "snacks", 790, 1)]);
        let refund = plan_refund(&s1, &[], &[(0, None)], RefundContext { refund_id: "r1".into(), shift_id: None, by: None, restock: true }).unwrap();
        let facts = [(10, Fact::Sale(s1)), (20, Fact::Sale(s2)), (30, Fact::Sale(s3)), (40, Fact::Refund(refund)), (99, Fact::Sale(s4))];
        let rows = |from, to| commissions(facts.iter().map(|(t, f)| (*t, f)), &rules, from, to).into_iter().map(|r| (r.staff, r.n_sales, r.net, r.commission)).collect::<Vec<_>>();
        // g01: 199.00 lipstick at 5 % (9.95) + colas at 0 %; the lipstick refunded takes 9.95 back.
        // g02: 23.70 of snacks at the default 1 % (0.237 → 0.24). The unserved sale earns nobody anything.
        assert_eq!(rows(None, Some(50)), [("g02".to_string(), 1, 2_370, 24), ("g01".to_string(), 1, 700, 0)]);
        // Before the refund, g01 had the lipstick's commission.
        assert_eq!(rows(None, Some(35)), [("g01".to_string(), 1, 20_600, 995), ("g02".to_string(), 1, 2_370, 24)]);
        // A period that holds only the refund: negative, as a later refund of an earlier sale is.
        assert_eq!(rows(Some(35), Some(50)), [("g01".to_string(), 0, -19_900, -995)]);
        assert!(CommissionRules { default_bp: 10_001, by_category: BTreeMap::new() }.check().is_err());
    }
}
