//! Derived state: folds over journaled facts.
//!
//! The replica keeps projections of these for speed; `journal verify` recomputes them
//! with these functions and checks they agree.

use std::collections::BTreeMap;

use crate::journal::{CashDirection, Fact};
use crate::tender::TenderKind;

/// Stock on hand per SKU (pieces, or grams for weighed products).
pub fn stock_delta(fact: &Fact) -> Vec<(&str, i64)> {
    match fact {
        Fact::Sale(sale) => sale.lines.iter().map(|l| (l.sku.as_str(), -l.qty)).collect(),
        Fact::Refund(refund) if refund.restock => refund.lines.iter().map(|l| (l.sku.as_str(), l.qty)).collect(),
        Fact::StockAdjusted { sku, delta, .. } => vec![(sku.as_str(), *delta)],
        Fact::StocktakePosted { lines, .. } => lines.iter().filter(|l| l.counted != l.expected).map(|l| (l.sku.as_str(), l.counted - l.expected)).collect(),
        Fact::GoodsReceived { lines, .. } => lines.iter().map(|l| (l.sku.as_str(), l.qty)).collect(),
        Fact::PointsRedeemed { lines, .. } => lines.iter().map(|l| (l.sku.as_str(), -l.qty)).collect(),
        Fact::Transfer(t) => t.stock_delta(),
        _ => Vec::new(),
    }
}

/// How a fact moves stock per place in the store: `(sku, location, delta)`. For every
/// fact the deltas of a SKU add up to its [`stock_delta`] (a move adds up to zero). Sales
/// and refunds (and goods taken for points) use the floor, receipts and transfers the backroom, unless the fact names a
/// place (adjustments, receipts and stocktakes of one place may).
pub fn location_delta(fact: &Fact) -> Vec<(&str, &str, i64)> {
    use crate::stock::{RECEIVING_LOCATION, SALES_LOCATION};
    match fact {
        Fact::StockAdjusted { sku, delta, location, .. } => vec![(sku.as_str(), location.as_deref().unwrap_or(SALES_LOCATION), *delta)],
        Fact::GoodsReceived { lines, location, .. } => lines.iter().map(|l| (l.sku.as_str(), location.as_deref().unwrap_or(RECEIVING_LOCATION), l.qty)).collect(),
        Fact::StockMoved { sku, from, to, qty, .. } => vec![(sku.as_str(), from.as_str(), -qty), (sku.as_str(), to.as_str(), *qty)],
        Fact::StocktakePosted { location: Some(location), .. } => stock_delta(fact).into_iter().map(|(sku, d)| (sku, location.as_str(), d)).collect(),
        Fact::Transfer(_) => stock_delta(fact).into_iter().map(|(sku, d)| (sku, RECEIVING_LOCATION, d)).collect(),
        _ => stock_delta(fact).into_iter().map(|(sku, d)| (sku, SALES_LOCATION, d)).collect(),
    }
}

/// The cash in the drawer: what the facts say should be there.
///
/// Opening a shift sets the drawer to its float; closing one empties it (the counted
/// cash is taken to the safe). Between, cash sales, refunds, top-ups and movements
/// change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Drawer {
    /// Expected cash, minor units.
    pub expected: i64,
}

/// How one fact changes the drawer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawerChange {
    /// No change.
    None,
    /// Add (or, negative, take) this much.
    Add(i64),
    /// The drawer now holds exactly this much.
    Set(i64),
}

/// The drawer change a fact makes.
pub fn drawer_change(fact: &Fact) -> DrawerChange {
    match fact {
        Fact::Sale(sale) => DrawerChange::Add(sale.cash_taken()),
        Fact::Refund(refund) => DrawerChange::Add(-refund.tenders.iter().filter(|t| t.kind == TenderKind::Cash).map(|t| t.amount).sum::<i64>()),
        Fact::ShiftOpened { float, .. } => DrawerChange::Set(*float),
        Fact::CashMoved { direction: CashDirection::In, amount, .. } => DrawerChange::Add(*amount),
        Fact::CashMoved { direction: CashDirection::Out, amount, .. } => DrawerChange::Add(-amount),
        Fact::StoredValueToppedUp { tender: TenderKind::Cash, amount, .. } => DrawerChange::Add(*amount),
        Fact::ShiftClosed(_) => DrawerChange::Set(0),
        _ => DrawerChange::None,
    }
}

impl Drawer {
    /// Applies one fact.
    pub fn apply(&mut self, fact: &Fact) {
        match drawer_change(fact) {
            DrawerChange::None => {}
            DrawerChange::Add(delta) => self.expected += delta,
            DrawerChange::Set(value) => self.expected = value,
        }
    }
}

/// Stored-value balance changes per account.
pub fn stored_value_delta(fact: &Fact) -> Vec<(&str, i64)> {
    match fact {
        Fact::Sale(sale) => tenders(&sale.tenders, -1),
        Fact::Refund(refund) => tenders(&refund.tenders, 1),
        Fact::StoredValueToppedUp { account, amount, .. } => vec![(account.as_str(), *amount)],
        _ => Vec::new(),
    }
}

/// How a fact changes members' points: earned on a sale, spent as a tender, given back
/// with a refund (tenders back, earned points taken back), earned for a referral, taken
/// for rewards.
pub fn points_delta(fact: &Fact) -> Vec<(&str, i64)> {
    match fact {
        Fact::Sale(sale) => {
            let mut out = points_tenders(&sale.tenders, -1);
            if let Some(member) = sale.member.as_deref().filter(|_| sale.points_earned != 0) {
                out.push((member, sale.points_earned));
            }
            out
        }
        Fact::Refund(refund) => {
            let mut out = points_tenders(&refund.tenders, 1);
            if let Some(member) = refund.member.as_deref().filter(|_| refund.points_reversed != 0) {
                out.push((member, -refund.points_reversed));
            }
            out
        }
        Fact::MemberRegistered { referred_by: Some(referrer), referral_points, .. } if *referral_points != 0 => vec![(referrer.as_str(), *referral_points)],
        Fact::PointsRedeemed { member, lines, .. } => vec![(member.as_str(), -lines.iter().map(|l| l.points).sum::<i64>())],
        _ => Vec::new(),
    }
}

fn points_tenders(ts: &[crate::tender::AppliedTender], sign: i64) -> Vec<(&str, i64)> {
    ts.iter().filter(|t| t.kind == TenderKind::Points).filter_map(|t| Some((t.reference.as_deref()?, sign * t.amount / crate::member::POINT_VALUE_MINOR))).collect()
}

/// How a fact changes a member's lifetime spend (what they paid, points excluded).
pub fn spend_delta(fact: &Fact) -> Option<(&str, i64)> {
    let points = |ts: &[crate::tender::AppliedTender]| -> i64 { ts.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.amount).sum() };
    match fact {
        Fact::Sale(sale) => Some((sale.member.as_deref()?, sale.total - points(&sale.tenders))),
        Fact::Refund(refund) => Some((refund.member.as_deref()?, -(refund.total - points(&refund.tenders)))),
        _ => None,
    }
}

fn tenders(ts: &[crate::tender::AppliedTender], sign: i64) -> Vec<(&str, i64)> {
    ts.iter().filter(|t| t.kind == TenderKind::StoredValue).filter_map(|t| Some((t.reference.as_deref()?, sign * t.amount))).collect()
}

/// Folds facts into stock on hand per SKU.
pub fn stock_on_hand<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> BTreeMap<String, i64> {
    let mut stock = BTreeMap::new();
    for fact in facts {
        for (sku, delta) in stock_delta(fact) {
            *stock.entry(sku.to_string()).or_insert(0) += delta;
        }
    }
    stock
}

/// Folds facts into stored-value balances.
pub fn stored_value_balances<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> BTreeMap<String, i64> {
    let mut balances = BTreeMap::new();
    for fact in facts {
        for (account, delta) in stored_value_delta(fact) {
            *balances.entry(account.to_string()).or_insert(0) += delta;
        }
    }
    balances
}
