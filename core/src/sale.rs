//! A completed sale: the fact the journal records.

use serde::{Deserialize, Serialize};

use crate::basket::{Basket, BasketError, OfferUse};
use crate::catalog::Unit;
use crate::money::Currency;
use crate::rounding::{CashRounding, allocate};
use crate::tax::{TaxMode, TaxRate};
use crate::tender::{AppliedTender, Tender, TenderError, settle};

/// One sold line, with everything needed to print, refund and report it without the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Category.
    pub category: String,
    /// Each or kg.
    pub unit: Unit,
    /// Pieces or grams.
    pub qty: i64,
    /// Unit price charged (per piece or per kg).
    pub unit_price: i64,
    /// The catalog price, when a price override changed it.
    pub catalog_price: Option<i64>,
    /// Who authorised the price override.
    pub override_by: Option<String>,
    /// Price times quantity.
    pub gross: i64,
    /// Line discount, promotions and share of the basket discount.
    pub discount: i64,
    /// Of which promotions and coupons.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub promo_saving: i64,
    /// Share of 抹零 cash rounding.
    pub rounding: i64,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// Tax in or on this line.
    pub tax: i64,
    /// What the customer paid for this line. The lines' amounts add up to the sale total.
    pub amount: i64,
}

/// A line voided before payment, kept for loss prevention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidedLine {
    /// SKU.
    pub sku: String,
    /// Pieces or grams.
    pub qty: i64,
    /// Unit price.
    pub unit_price: i64,
}

/// A completed, paid sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRecord {
    /// Time-ordered id, made by the till; the idempotency key.
    pub sale_id: String,
    /// The shift it was rung up in.
    pub shift_id: Option<String>,
    /// The cashier.
    pub cashier: Option<String>,
    /// Currency.
    pub currency: Currency,
    /// Tax mode.
    pub tax_mode: TaxMode,
    /// Sold lines.
    pub lines: Vec<SaleLine>,
    /// Lines voided before payment.
    pub voided: Vec<VoidedLine>,
    /// Sum of gross amounts.
    pub subtotal: i64,
    /// All discounts.
    pub discount: i64,
    /// Of which promotions and coupons.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub promo_saving: i64,
    /// The promotions and coupons used, with what each saved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<OfferUse>,
    /// The member the sale was priced for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The staff member who served the customer (导购), for commissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
    /// Points the member earned ([`crate::member::MemberProgram::points_for`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points_earned: i64,
    /// 抹零.
    pub rounding: i64,
    /// Tax.
    pub tax: i64,
    /// What was paid.
    pub total: i64,
    /// Tenders applied.
    pub tenders: Vec<AppliedTender>,
    /// Cash handed over.
    pub cash_given: i64,
    /// Change given.
    pub change: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Who, when and under which id a sale is completed; passed in by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleContext {
    /// New sale id.
    pub sale_id: String,
    /// Open shift.
    pub shift_id: Option<String>,
    /// Cashier.
    pub cashier: Option<String>,
}

/// Why a sale could not be completed. Nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaleError {
    /// No live lines.
    #[error("the basket is empty")]
    Empty,
    /// Tenders do not settle.
    #[error(transparent)]
    Tender(#[from] TenderError),
    /// A basket problem.
    #[error(transparent)]
    Basket(#[from] BasketError),
}

/// Settles a basket and produces the sale fact.
pub fn complete_sale(basket: &Basket, tenders: &[Tender], rounding: CashRounding, ctx: SaleContext) -> Result<SaleRecord, SaleError> {
    if basket.is_empty() {
        return Err(SaleError::Empty);
    }
    let totals = basket.totals();
    let settlement = settle(totals.total, tenders, rounding)?;
    let live: Vec<usize> = (0..basket.lines.len()).filter(|&i| !basket.lines[i].voided).collect();
    let weights: Vec<i64> = live.iter().map(|&i| totals.lines[i].amount).collect();
    let rounding_shares = allocate(settlement.rounding, &weights);
    let lines = live
        .iter()
        .zip(rounding_shares)
        .map(|(&idx, rounding_share)| {
            let line = &basket.lines[idx];
            let line_total = totals.lines[idx];
            SaleLine {
                sku: line.item.sku.clone(),
                name: line.item.name.clone(),
                name_zh: line.item.name_zh.clone(),
                category: line.item.category.clone(),
                unit: line.item.unit,
                qty: line.qty,
                unit_price: line.unit_price(),
                catalog_price: line.price_override.as_ref().map(|_| line.item.unit_price),
                override_by: line.price_override.as_ref().map(|o| o.by.clone()),
                gross: line_total.gross,
                discount: line_total.line_discount + line_total.promo + line_total.basket_discount,
                promo_saving: line_total.promo,
                rounding: rounding_share,
                tax_rate: line.item.tax_rate,
                tax: line_total.tax,
                amount: line_total.amount - rounding_share,
            }
        })
        .collect();
    let voided = basket
        .lines
        .iter()
        .filter(|l| l.voided)
        .map(|l| VoidedLine { sku: l.item.sku.clone(), qty: l.qty, unit_price: l.unit_price() })
        .collect();
    Ok(SaleRecord {
        sale_id: ctx.sale_id,
        shift_id: ctx.shift_id,
        cashier: ctx.cashier,
        currency: basket.currency,
        tax_mode: basket.tax_mode,
        lines,
        voided,
        subtotal: totals.subtotal,
        discount: totals.discount,
        promo_saving: totals.promo,
        offers: basket.promo.offers.clone(),
        member: basket.promo.member.clone(),
        points_earned: 0,
        served_by: None,
        rounding: settlement.rounding,
        tax: totals.tax,
        total: settlement.payable,
        tenders: settlement.tenders,
        cash_given: settlement.cash_given,
        change: settlement.change,
    })
}

impl SaleRecord {
    /// Cash kept by the drawer for this sale (change already given back).
    pub fn cash_taken(&self) -> i64 {
        self.tenders.iter().filter(|t| t.kind == crate::tender::TenderKind::Cash).map(|t| t.amount).sum()
    }
}
