//! Promotions and coupons, priced by an optimiser that finds the combination saving the
//! customer the most. Pure: the caller passes the moment, the member, the coupons
//! presented, the flash-sale pieces left and the usage counts it folded from the journal.
//!
//! # What applies, in which order
//!
//! Pricing happens in three layers, always in this order:
//!
//! 1. **Item promotions**, on each line's gross amount: 折扣 (percentage off), 特价 (a
//!    price per piece or per kg), 会员价 (member prices, per SKU or per tier), 买N送M (the
//!    cheapest pieces free), 组合价 (a set of SKUs for a price) and 限时抢购 (a price for a
//!    capped number of pieces). **A line takes at most one item promotion.** 买N送M,
//!    bundles and flash sales pool whole lines; the optimiser decides which lines each
//!    takes. Weighed lines only take 折扣, 特价 and 会员价. A promotion *touches* a line
//!    when it saves something on it, or, for 买N送M and bundles, when the line's pieces
//!    count in a deal that saves something (the paid pieces of 买2送1); a line it does
//!    nothing to is as if it had no item promotion.
//! 2. **满减** (order-level), each on the amount *after item promotions* of the lines it
//!    counts: the highest tier reached (满100减20, 满200减50) or every whole step
//!    (每满100减20) up to a cap.
//! 3. **Coupons**, only those presented, each on the amount *after all promotions* of the
//!    lines it counts: 无门槛 (cash), 满X减Y and percentage coupons. A coupon applies at
//!    most once per sale; its thresholds and percentage use the amount before any coupon.
//!
//! Each order-level reduction is capped at what its lines still cost and spread over them
//! in proportion with [`rounding::allocate`](crate::rounding::allocate), so every line
//! carries its own share (receipts and refunds use the per-line amounts) and no line
//! goes below zero.
//!
//! # What combines with what
//!
//! - **Exclusive** (不与其他优惠同享): a line touched by an exclusive item promotion counts for
//!   no 满减 and no coupon. An exclusive 满减 or coupon does not count lines an item
//!   promotion touches, and does not combine with any other 满减 or coupon whose scope
//!   shares a line of the basket with it.
//! - **Stacking groups**: two promotions of the same group never apply to the same line.
//!   A line touched by an item promotion of a 满减's group does not count for it, and
//!   two 满减 of one group whose scopes share a line of the basket do not both apply. By
//!   default item promotions are in group `item` and 满减 in group `order`, so a line takes
//!   one item promotion and one 满减; put a 特价 and a 满减 in one group to keep 特价 lines
//!   out of that 满减.
//! - **Coupon groups**: at most one coupon per coupon group, unless every coupon used from
//!   that group is stackable.
//!
//! Which order-level offers may combine is decided on their scopes within the basket, not
//! on which lines end up counted, so it does not depend on the item choices.
//!
//! **Architecture Invariant:** the saving of every line is between 0 and its gross; the
//! lines' savings add up to the total saving, which equals the sum of the applied offers'
//! savings; and a result only ever combines offers these rules allow. The optimiser
//! never returns a combination saving less than the greedy one, and says when it has not
//! proven the optimum.
//!
//! # The optimiser
//!
//! [`PromotionSet::price`] searches the allowed combinations by branch and bound (see
//! `promo/search.rs`): it only considers offers that can save something on this basket,
//! splits the basket into independent groups of lines, and prunes with upper bounds. If
//! the search exceeds its work budget ([`DEFAULT_WORK_LIMIT`]; on the benchmark machine a
//! 50-line basket stays under about 1.6 ms at the 99th percentile) it returns the best
//! combination found, with
//! [`Pricing::proven_optimal`] false and [`Pricing::upper_bound`] saying how much better
//! the optimum could be at most. A property test checks it against an exhaustive search.
//!
//! ```
//! use opentill_core::promo::*;
//!
//! let spend_100_save_20 = Promotion {
//!     id: "MJ100".into(),
//!     kind: PromoKind::Threshold { scope: Scope::All, rule: ThresholdRule::Tiers(vec![Tier { spend: 10_000, off: 2_000 }]) },
//!     window: Window::between(0, i64::MAX),
//!     exclusive: false,
//!     stack_group: None,
//!     priority: 0,
//!     members_only: false,
//! };
//! let set = PromotionSet::new(vec![spend_100_save_20], vec![], &|_| None).unwrap();
//! let milk = PromoLine { line_idx: 0, sku: "MILK12".into(), category: "dairy".into(), brand: None,
//!     unit_price: 6_000, qty: 2, weighed: false, gross: 12_000 };
//! let pricing = set.price(&[milk], &PricingContext::new(1_795_311_000_000, 480));
//! assert_eq!((pricing.saving, pricing.total), (2_000, 10_000));
//! assert_eq!(pricing.applied[0].text_zh, "满100减20");
//! assert_eq!(pricing.applied[0].text_en, "Spend ¥100, save ¥20");
//! ```

mod config;
mod eval;
mod explain;
mod input;
mod pricing;
mod search;

#[cfg(test)]
mod tests;

pub use config::{
    BundleItem, ConfigError, Coupon, CouponKind, CouponUses, DailyHours, MemberPrice, Invalid, PromoKind, Promotion, PromotionSet, Scope, SkuFacts, ThresholdRule, Tier,
    Window, WindowState,
};
pub use input::{Member, PresentedCoupon, PricingContext, PromoLine};
pub use pricing::{Applied, LinePrice, LineShare, Offer, Pricing, Refusal, RefusalReason, Stage};
pub use search::DEFAULT_WORK_LIMIT;

use crate::i18n::Lang;
use eval::OfferRef;

/// Most lines of one basket the engine prices; the rest get no promotion.
pub const MAX_PROMO_LINES: usize = 60_000;

impl PromotionSet {
    /// Prices `lines` for the best combination of promotions and presented coupons.
    pub fn price(&self, lines: &[PromoLine], ctx: &PricingContext) -> Pricing {
        self.price_with_limit(lines, ctx, DEFAULT_WORK_LIMIT)
    }

    /// [`PromotionSet::price`] with a different search budget: the work (see
    /// [`Pricing::work`]) the optimiser may do before it settles for the best combination
    /// found so far. [`DEFAULT_WORK_LIMIT`] is what `price` uses.
    pub fn price_with_limit(&self, lines: &[PromoLine], ctx: &PricingContext, work_limit: u64) -> Pricing {
        // Lines are numbered with 16 bits inside the engine; lines past MAX_PROMO_LINES
        // (far beyond any real basket) get no promotion.
        let priced = &lines[..lines.len().min(MAX_PROMO_LINES)];
        let problem = eval::Problem::new(self, priced, ctx, false);
        let searched = search::optimise(&problem, work_limit);
        let mut pricing = build(&problem, &searched);
        for line in &lines[priced.len()..] {
            pricing.lines.push(LinePrice { line_idx: line.line_idx, gross: line.gross, item_saving: 0, order_saving: 0, coupon_saving: 0, net: line.gross });
            if line.sane() {
                pricing.gross += line.gross;
                pricing.total += line.gross;
            }
        }
        pricing
    }
}

fn build(problem: &eval::Problem, searched: &search::Searched) -> Pricing {
    let lines = problem.lines;
    debug_assert_eq!(problem.allowed(&searched.selection), Ok(()));
    let outcome = problem.evaluate(&searched.selection);
    let applied: Vec<Applied> = outcome
        .applied
        .iter()
        .map(|raw| {
            let stage = match raw.offer {
                OfferRef::Promotion(p) if problem.set.promotions[p as usize].kind.is_order_level() => Stage::Order,
                OfferRef::Promotion(_) => Stage::Item,
                OfferRef::Coupon(_) => Stage::Coupon,
            };
            Applied {
                offer: problem.offer_id(raw.offer),
                stage,
                saving: raw.lines.iter().map(|(_, s)| s).sum(),
                lines: raw.lines.iter().map(|&(pos, saving)| LineShare { line_idx: lines[pos as usize].line_idx, saving }).collect(),
                text_zh: explain::describe(problem, raw.offer, raw.base, Lang::Zh),
                text_en: explain::describe(problem, raw.offer, raw.base, Lang::En),
            }
        })
        .collect();
    let line_prices: Vec<LinePrice> = (0..lines.len())
        .map(|i| LinePrice {
            line_idx: lines[i].line_idx,
            gross: lines[i].gross,
            item_saving: outcome.item[i],
            order_saving: outcome.order[i],
            coupon_saving: outcome.coupon[i],
            net: lines[i].gross - outcome.item[i] - outcome.order[i] - outcome.coupon[i],
        })
        .collect();
    let mut refused = problem.refused.clone();
    for (o, offer) in problem.order.iter().enumerate() {
        let OfferRef::Coupon(c) = offer.offer else { continue };
        if outcome.applied.iter().any(|a| a.offer == offer.offer) {
            continue;
        }
        let coupon = &problem.set.coupons[c as usize];
        let reason = if searched.reachable[o] {
            RefusalReason::NotBest
        } else {
            RefusalReason::BelowThreshold { spend: coupon.kind.min_spend() }
        };
        refused.push(Refusal { coupon_id: coupon.id.clone(), reason });
    }
    let presented = |id: &str| problem.ctx.coupons.iter().position(|p| p.coupon_id == id).unwrap_or(usize::MAX);
    refused.sort_by_key(|r| presented(&r.coupon_id));
    let gross: i64 = lines.iter().filter(|l| l.sane()).map(|l| l.gross).sum();
    Pricing {
        lines: line_prices,
        applied,
        refused,
        gross,
        saving: outcome.total,
        total: gross - outcome.total,
        proven_optimal: searched.proven,
        upper_bound: searched.upper_bound.max(outcome.total),
        work: searched.work,
    }
}
