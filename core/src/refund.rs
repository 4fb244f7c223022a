//! Returns and refunds against an original sale.
//!
//! **Architecture Invariant:** for every line, the sum of all refunds against it never
//! exceeds what was paid for it, and the refunded quantity never exceeds what was sold.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rounding::{RoundingMode, div_round};
use crate::sale::SaleRecord;
use crate::tender::{AppliedTender, TenderKind};

/// One refunded line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    /// Index of the line in the original sale.
    pub line_idx: usize,
    /// SKU.
    pub sku: String,
    /// Pieces or grams returned.
    pub qty: i64,
    /// Amount refunded.
    pub amount: i64,
    /// Tax contained in the amount.
    pub tax: i64,
}

/// A refund: the fact the journal records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecord {
    /// New id.
    pub refund_id: String,
    /// The original sale.
    pub sale_id: String,
    /// The shift it was made in.
    pub shift_id: Option<String>,
    /// Who authorised it.
    pub by: Option<String>,
    /// Returned lines.
    pub lines: Vec<RefundLine>,
    /// Sum of line amounts.
    pub total: i64,
    /// How the money went back; adds up to `total`.
    pub tenders: Vec<AppliedTender>,
    /// Whether the goods went back to stock.
    pub restock: bool,
    /// The member of the sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Points taken back: the sale's points in proportion to the amount refunded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points_reversed: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Why a refund was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// The sale has no such line.
    #[error("sale {sale_id} has no line {line} (it has {n_lines})")]
    NoSuchLine {
        /// The sale.
        sale_id: String,
        /// The line asked for (1-based, as printed).
        line: usize,
        /// Lines on the sale.
        n_lines: usize,
    },
    /// More than is left to return.
    #[error("line {line}: cannot return {asked}, only {left} left to return")]
    TooMuch {
        /// Line, 1-based.
        line: usize,
        /// Asked.
        asked: i64,
        /// Left.
        left: i64,
    },
    /// Zero or negative quantity.
    #[error("quantity {0} is not valid; it must be at least 1")]
    BadQuantity(i64),
    /// Everything asked for is already refunded.
    #[error("sale {0} is already fully refunded")]
    NothingLeft(String),
}

/// What a refund asks for: `(line_idx, qty)`; `None` returns everything left of the line.
pub type RefundRequest = Vec<(usize, Option<i64>)>;

/// Who makes the refund and its new id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundContext {
    /// New id.
    pub refund_id: String,
    /// Open shift.
    pub shift_id: Option<String>,
    /// Authorising user.
    pub by: Option<String>,
    /// Return goods to stock.
    pub restock: bool,
}

/// Plans a refund of `request` against `sale`, given the refunds already made.
/// An empty request returns everything not yet refunded.
pub fn plan_refund(sale: &SaleRecord, prior: &[RefundRecord], request: &[(usize, Option<i64>)], ctx: RefundContext) -> Result<RefundRecord, RefundError> {
    let mut done_qty: BTreeMap<usize, i64> = BTreeMap::new();
    let mut done_amount: BTreeMap<usize, i64> = BTreeMap::new();
    let mut done_tax: BTreeMap<usize, i64> = BTreeMap::new();
    for refund in prior.iter().filter(|r| r.sale_id == sale.sale_id) {
        for line in &refund.lines {
            *done_qty.entry(line.line_idx).or_default() += line.qty;
            *done_amount.entry(line.line_idx).or_default() += line.amount;
            *done_tax.entry(line.line_idx).or_default() += line.tax;
        }
    }
    let request: Vec<(usize, Option<i64>)> = if request.is_empty() {
        (0..sale.lines.len()).filter(|i| done_qty.get(i).copied().unwrap_or(0) < sale.lines[*i].qty).map(|i| (i, None)).collect()
    } else {
        request.to_vec()
    };
    if request.is_empty() {
        return Err(RefundError::NothingLeft(sale.sale_id.clone()));
    }
    let mut asked: BTreeMap<usize, i64> = BTreeMap::new();
    for &(line_idx, qty) in &request {
        let line = sale.lines.get(line_idx).ok_or(RefundError::NoSuchLine { sale_id: sale.sale_id.clone(), line: line_idx + 1, n_lines: sale.lines.len() })?;
        let left = line.qty - done_qty.get(&line_idx).copied().unwrap_or(0) - asked.get(&line_idx).copied().unwrap_or(0);
        let qty = qty.unwrap_or(left);
        if qty < 1 && left > 0 {
            return Err(RefundError::BadQuantity(qty));
        }
        if qty > left || left == 0 {
            return Err(RefundError::TooMuch { line: line_idx + 1, asked: qty, left });
        }
        *asked.entry(line_idx).or_default() += qty;
    }
    let mut lines = Vec::new();
    for (&line_idx, &qty) in &asked {
        let line = &sale.lines[line_idx];
        let prior_qty = done_qty.get(&line_idx).copied().unwrap_or(0);
        let prior_amount = done_amount.get(&line_idx).copied().unwrap_or(0);
        let prior_tax = done_tax.get(&line_idx).copied().unwrap_or(0);
        let (amount, tax) = if prior_qty + qty == line.qty {
            // The last units take whatever is left, so the line refunds to the fen.
            (line.amount - prior_amount, line.tax - prior_tax)
        } else {
            let share = |v: i64| div_round(i128::from(v) * i128::from(qty), i128::from(line.qty), RoundingMode::HalfUp) as i64;
            (share(line.amount).min(line.amount - prior_amount), share(line.tax).min(line.tax - prior_tax))
        };
        lines.push(RefundLine { line_idx, sku: line.sku.clone(), qty, amount, tax });
    }
    let total: i64 = lines.iter().map(|l| l.amount).sum();
    let tenders = refund_tenders(sale, prior, total);
    // Points come back in proportion to what has been refunded in all, so that refunding
    // everything takes back exactly what the sale earned.
    let mine = || prior.iter().filter(|r| r.sale_id == sale.sale_id);
    let refunded: i64 = mine().map(|r| r.total).sum::<i64>() + total;
    let reversed_before: i64 = mine().map(|r| r.points_reversed).sum();
    let everything = sale.lines.iter().enumerate().all(|(i, l)| done_qty.get(&i).copied().unwrap_or(0) + asked.get(&i).copied().unwrap_or(0) == l.qty);
    let owed = if everything || sale.total <= 0 {
        sale.points_earned
    } else {
        div_round(i128::from(sale.points_earned) * i128::from(refunded), i128::from(sale.total), RoundingMode::Down) as i64
    };
    Ok(RefundRecord {
        refund_id: ctx.refund_id,
        sale_id: sale.sale_id.clone(),
        shift_id: ctx.shift_id,
        by: ctx.by,
        lines,
        total,
        tenders,
        restock: ctx.restock,
        member: sale.member.clone(),
        points_reversed: (owed - reversed_before).max(0),
    })
}

/// Money goes back the way it came: non-cash tenders first, in the order they were
/// taken, each up to what is left of it; then cash.
fn refund_tenders(sale: &SaleRecord, prior: &[RefundRecord], total: i64) -> Vec<AppliedTender> {
    let mut left_by_tender: Vec<(AppliedTender, i64)> = sale.tenders.iter().map(|t| (t.clone(), t.amount)).collect();
    for refund in prior.iter().filter(|r| r.sale_id == sale.sale_id) {
        for given in &refund.tenders {
            let mut to_take = given.amount;
            for (tender, left) in left_by_tender.iter_mut() {
                if to_take == 0 {
                    break;
                }
                if tender.kind == given.kind && tender.reference == given.reference {
                    let take = to_take.min(*left);
                    *left -= take;
                    to_take -= take;
                }
            }
        }
    }
    left_by_tender.sort_by_key(|(t, _)| t.kind == TenderKind::Cash);
    let mut remaining = total;
    let mut out = Vec::new();
    for (tender, left) in left_by_tender {
        if remaining == 0 {
            break;
        }
        let take = remaining.min(left);
        if take > 0 {
            out.push(AppliedTender { kind: tender.kind, amount: take, reference: tender.reference });
            remaining -= take;
        }
    }
    if remaining > 0 {
        // Only reachable for a zero-paid sale with a nonzero line, which settle() prevents;
        // still, money owed goes back as cash rather than vanishing.
        out.push(AppliedTender { kind: TenderKind::Cash, amount: remaining, reference: None });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basket::Basket;
    use crate::catalog::{Product, Unit};
    use crate::money::Currency;
    use crate::rounding::CashRounding;
    use crate::sale::{SaleContext, complete_sale};
    use crate::tax::{TaxMode, TaxRate};
    use crate::tender::Tender;
    use proptest::prelude::*;

    fn product(sku: &str, price: i64, unit: Unit) -> Product {
        Product { sku: sku.into(), barcodes: vec![], name: sku.into(), name_zh: String::new(), category: "c".into(), tags: vec![], unit, price_minor: price, tax_rate: TaxRate(1300), parent_sku: None, specs: vec![] }
    }

    fn ctx(id: &str) -> RefundContext {
        RefundContext { refund_id: id.into(), shift_id: None, by: Some("s1".into()), restock: true }
    }

    fn sale(lines: &[(i64, i64)], tenders: &[Tender]) -> SaleRecord {
        let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        for (idx, (price, qty)) in lines.iter().enumerate() {
            basket.add(&product(&format!("P{idx}"), *price, Unit::Each), *qty).unwrap();
        }
        complete_sale(&basket, tenders, CashRounding::None, SaleContext { sale_id: "S1".into(), shift_id: None, cashier: None }).unwrap()
    }

    #[test]
    fn partial_then_rest_refunds_exactly() {
        let card = Tender { kind: TenderKind::Card, amount: 500, reference: Some("T1".into()) };
        let cash = Tender { kind: TenderKind::Cash, amount: 1000, reference: None };
        let sale = sale(&[(333, 3)], &[card, cash]);
        assert_eq!(sale.total, 999);
        let first = plan_refund(&sale, &[], &[(0, Some(1))], ctx("R1")).unwrap();
        assert_eq!(first.total, 333);
        assert_eq!(first.tenders, vec![AppliedTender { kind: TenderKind::Card, amount: 333, reference: Some("T1".into()) }]);
        let second = plan_refund(&sale, std::slice::from_ref(&first), &[], ctx("R2")).unwrap();
        assert_eq!(second.total, 666);
        assert_eq!(second.tenders.iter().map(|t| (t.kind, t.amount)).collect::<Vec<_>>(), vec![(TenderKind::Card, 167), (TenderKind::Cash, 499)]);
        let err = plan_refund(&sale, &[first.clone(), second.clone()], &[], ctx("R3")).unwrap_err();
        assert_eq!(err, RefundError::NothingLeft("S1".into()));
        let err = plan_refund(&sale, &[first], &[(0, Some(3))], ctx("R3")).unwrap_err();
        assert_eq!(err, RefundError::TooMuch { line: 1, asked: 3, left: 2 });
        assert!(matches!(plan_refund(&sale, &[], &[(4, None)], ctx("R4")), Err(RefundError::NoSuchLine { line: 5, .. })));
        assert_eq!(plan_refund(&sale, &[], &[(0, Some(0))], ctx("R4")), Err(RefundError::BadQuantity(0)));
        assert_eq!(plan_refund(&sale, &[], &[(0, Some(-2))], ctx("R4")), Err(RefundError::BadQuantity(-2)));
    }

    proptest! {
        #[test]
        fn refunds_never_exceed_what_was_paid(
            lines in prop::collection::vec((1i64..10_000, 1i64..7), 1..5),
            steps in prop::collection::vec((0usize..5, 1i64..4), 1..12),
        ) {
            let total: i64 = lines.iter().map(|(p, q)| p * q).sum();
            let sale = sale(&lines, &[Tender { kind: TenderKind::Cash, amount: total, reference: None }]);
            let mut done: Vec<RefundRecord> = vec![];
            for (n, (line, qty)) in steps.into_iter().enumerate() {
                if let Ok(refund) = plan_refund(&sale, &done, &[(line % sale.lines.len(), Some(qty))], ctx(&format!("R{n}"))) {
                    prop_assert_eq!(refund.tenders.iter().map(|t| t.amount).sum::<i64>(), refund.total);
                    done.push(refund);
                }
            }
            if let Ok(rest) = plan_refund(&sale, &done, &[], ctx("last")) { done.push(rest); }
            for (idx, line) in sale.lines.iter().enumerate() {
                let refunded: i64 = done.iter().flat_map(|r| &r.lines).filter(|l| l.line_idx == idx).map(|l| l.amount).sum();
                let qty: i64 = done.iter().flat_map(|r| &r.lines).filter(|l| l.line_idx == idx).map(|l| l.qty).sum();
                prop_assert_eq!(refunded, line.amount, "everything returned refunds exactly what was paid");
                prop_assert_eq!(qty, line.qty);
            }
            for refund in &done {
                for line in &refund.lines { prop_assert!(line.amount >= 0); }
            }
        }
    }
}
