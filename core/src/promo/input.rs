//! What the engine is given: the lines it sees of a basket, and the moment, member and
//! coupons of the sale.

use std::collections::BTreeMap;

use crate::basket::{Basket, LineItem};
use crate::catalog::Unit;
use crate::money::Currency;

/// What the engine sees of one basket line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoLine {
    /// Index of the line in the basket, for the caller to map savings back.
    pub line_idx: usize,
    /// SKU.
    pub sku: String,
    /// Category.
    pub category: String,
    /// Brand, when the catalog records one.
    pub brand: Option<String>,
    /// Price per piece, or per kg for weighed lines, minor units.
    pub unit_price: i64,
    /// Pieces, or grams for weighed lines.
    pub qty: i64,
    /// Sold by weight.
    pub weighed: bool,
    /// What the line costs before any promotion, minor units.
    pub gross: i64,
}

impl PromoLine {
    /// The lines of a basket the engine may price: live lines with neither a manual price
    /// nor a manual discount (a price set by hand is left as it is). `brand_of` supplies
    /// each line's brand, which the basket does not keep.
    pub fn from_basket(basket: &Basket, brand_of: impl Fn(&LineItem) -> Option<String>) -> Vec<PromoLine> {
        basket
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.voided && l.price_override.is_none() && l.discount.is_none())
            .map(|(line_idx, l)| PromoLine {
                line_idx,
                sku: l.item.sku.clone(),
                category: l.item.category.clone(),
                brand: brand_of(&l.item),
                unit_price: l.unit_price(),
                qty: l.qty,
                weighed: l.item.unit == Unit::Kg,
                gross: l.gross(),
            })
            .collect()
    }

    /// Whether the line is usable at all: positive quantity, non-negative amounts.
    pub(crate) fn sane(&self) -> bool {
        self.qty > 0 && self.gross >= 0 && self.unit_price >= 0
    }

    /// Pieces, for count-based promotions (0 for weighed lines, which they never cover).
    pub(crate) fn pieces(&self) -> i64 {
        if self.weighed { 0 } else { self.qty }
    }
}

/// An identified member.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Member {
    /// Member id.
    pub id: String,
    /// Membership tier, for tiered member prices.
    pub tier: Option<String>,
}

/// A coupon the customer presents, with how often it was used before (the caller folds
/// this from the journal).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresentedCoupon {
    /// The coupon's id.
    pub coupon_id: String,
    /// Times it was used in all before this sale.
    pub times_used: u32,
    /// Times this member used it before this sale.
    pub member_times_used: u32,
}

impl PresentedCoupon {
    /// A coupon never used before.
    pub fn new(coupon_id: &str) -> PresentedCoupon {
        PresentedCoupon { coupon_id: coupon_id.to_string(), times_used: 0, member_times_used: 0 }
    }
}

/// Everything about the sale other than its lines. No clock is read: the caller passes
/// the moment in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PricingContext {
    /// Now, unix milliseconds.
    pub now_ms: i64,
    /// The store's UTC offset in minutes (+480 for China), for daily hours and weekdays.
    pub utc_offset_min: i32,
    /// The member, if one identified themselves.
    pub member: Option<Member>,
    /// Coupons presented, in the order given. Coupons are never applied unasked.
    pub coupons: Vec<PresentedCoupon>,
    /// The currency amounts are in (for the texts).
    pub currency: Currency,
    /// Pieces left of each flash sale (by promotion id), folded by the caller from the
    /// journal. A flash sale with no entry here has none left and grants nothing.
    pub flash_remaining: BTreeMap<String, i64>,
}

impl PricingContext {
    /// A context at `now_ms` in a store at `utc_offset_min`, with no member and no coupons.
    pub fn new(now_ms: i64, utc_offset_min: i32) -> PricingContext {
        PricingContext { now_ms, utc_offset_min, ..PricingContext::default() }
    }
}
