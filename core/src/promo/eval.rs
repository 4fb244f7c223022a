//! The rules, as plain code: which promotion may apply to which line, which combinations
//! are allowed, and what a chosen combination saves on each line. The optimiser searches
//! over these; the exhaustive test enumerates them; both use this one evaluation.

use crate::rounding::{RoundingMode, allocate, allocate_into, div_round};

use super::config::{CouponKind, CouponUses, Moment, PromoKind, PromotionSet, ThresholdRule};
use super::input::{PricingContext, PromoLine};
use super::pricing::{Offer, Refusal, RefusalReason};

/// An order-level offer (a 满减 promotion or a presented coupon) considered for a basket.
#[derive(Debug, Clone)]
pub(crate) struct OrderOffer {
    pub offer: OfferRef,
    /// Positions (in the problem's lines) the offer's scope covers, ascending.
    pub scope_lines: Vec<u16>,
    pub exclusive: bool,
}

/// A promotion or coupon by its index in the [`PromotionSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum OfferRef {
    Promotion(u32),
    Coupon(u32),
}

/// One basket to price: the lines, the moment, and the order-level offers in the order
/// they apply (满减 by priority then id, then coupons by id).
#[derive(Debug)]
pub(crate) struct Problem<'a> {
    pub set: &'a PromotionSet,
    pub lines: &'a [PromoLine],
    pub ctx: &'a PricingContext,
    pub moment: Moment,
    pub order: Vec<OrderOffer>,
    /// Presented coupons that cannot be used at all, and why.
    pub refused: Vec<Refusal>,
}

/// A combination: at most one item promotion per line, and a set of order-level offers
/// (indices into [`Problem::order`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Selection {
    pub item: Vec<Option<u32>>,
    pub order: Vec<u32>,
}

/// One offer that saved something: the lines it touched with their shares, and the base
/// it was computed on (0 for item promotions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppliedRaw {
    pub offer: OfferRef,
    pub lines: Vec<(u16, i64)>,
    pub base: i64,
}

/// Buffers [`Problem::evaluate_into`] reuses from one call to the next.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    touched_by: Vec<Option<u32>>,
    promos: Vec<u32>,
    positions: Vec<u16>,
    order: Vec<u32>,
    net1: Vec<i64>,
    rem: Vec<i64>,
    net2: Vec<i64>,
    touched: Vec<u16>,
    weights: Vec<i64>,
    parts: Vec<i64>,
    remainders: Vec<(i128, usize)>,
}

/// What a selection saves, line by line and offer by offer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Outcome {
    /// Per line: item-level saving, 满减 share, coupon share.
    pub item: Vec<i64>,
    pub order: Vec<i64>,
    pub coupon: Vec<i64>,
    /// Each offer that saved something, in application order.
    pub applied: Vec<AppliedRaw>,
    pub total: i64,
}

impl<'a> Problem<'a> {
    /// Sets up a basket. With `every_threshold`, every 满减 of the set is considered
    /// rather than those the index finds (the exhaustive test uses it).
    pub(crate) fn new(set: &'a PromotionSet, lines: &'a [PromoLine], ctx: &'a PricingContext, every_threshold: bool) -> Problem<'a> {
        let moment = Moment::new(ctx.now_ms, ctx.utc_offset_min);
        let mut thresholds: Vec<u32> = if every_threshold {
            (0..set.promotions.len() as u32).filter(|&p| set.promotions[p as usize].kind.is_order_level()).collect()
        } else {
            let mut found = Vec::new();
            let mut scratch = Vec::new();
            for line in lines {
                set.index.candidates(line, &mut scratch);
                found.extend(scratch.iter().copied().filter(|&p| set.promotions[p as usize].kind.is_order_level()));
            }
            found.sort_unstable();
            found.dedup();
            found
        };
        thresholds.retain(|&p| promotion_active(set, p, ctx, moment));
        thresholds.sort_by(|&a, &b| {
            let (pa, pb) = (&set.promotions[a as usize], &set.promotions[b as usize]);
            pb.priority.cmp(&pa.priority).then_with(|| pa.id.cmp(&pb.id))
        });
        let mut order = Vec::new();
        for p in thresholds {
            let scope = &set.scopes[p as usize];
            let scope_lines: Vec<u16> = (0..lines.len()).filter(|&i| lines[i].sane() && scope.matches(&lines[i])).map(|i| i as u16).collect();
            if !scope_lines.is_empty() {
                order.push(OrderOffer { offer: OfferRef::Promotion(p), scope_lines, exclusive: set.promotions[p as usize].exclusive });
            }
        }
        let mut refused = Vec::new();
        let mut coupons: Vec<(u32, Vec<u16>)> = Vec::new();
        for presented in &ctx.coupons {
            let refuse = |reason| Refusal { coupon_id: presented.coupon_id.clone(), reason };
            let Some(&c) = set.coupon_by_id.get(&presented.coupon_id) else {
                refused.push(refuse(RefusalReason::Unknown));
                continue;
            };
            if coupons.iter().any(|(x, _)| *x == c) || refused.iter().any(|r| r.coupon_id == presented.coupon_id) {
                refused.push(refuse(RefusalReason::Duplicate));
                continue;
            }
            let coupon = &set.coupons[c as usize];
            let reason = if !coupon.window.contains(moment) {
                Some(RefusalReason::NotValidNow)
            } else if match coupon.uses {
                CouponUses::Single => presented.times_used >= 1,
                CouponUses::Limited(n) => presented.times_used >= n,
                CouponUses::Unlimited => false,
            } {
                Some(RefusalReason::UsedUp)
            } else if coupon.per_member_limit.is_some() && ctx.member.is_none() {
                Some(RefusalReason::NeedsMember)
            } else if coupon.per_member_limit.is_some_and(|limit| presented.member_times_used >= limit) {
                Some(RefusalReason::MemberLimitReached)
            } else {
                None
            };
            if let Some(reason) = reason {
                refused.push(refuse(reason));
                continue;
            }
            let scope_lines: Vec<u16> = (0..lines.len()).filter(|&i| lines[i].sane() && coupon.scope.matches(&lines[i])).map(|i| i as u16).collect();
            if scope_lines.is_empty() {
                refused.push(refuse(RefusalReason::NoEligibleLines));
                continue;
            }
            coupons.push((c, scope_lines));
        }
        coupons.sort_by(|a, b| set.coupons[a.0 as usize].id.cmp(&set.coupons[b.0 as usize].id));
        for (c, scope_lines) in coupons {
            order.push(OrderOffer { offer: OfferRef::Coupon(c), scope_lines, exclusive: set.coupons[c as usize].exclusive });
        }
        Problem { set, lines, ctx, moment, order, refused }
    }

    /// The public name of an offer.
    pub(crate) fn offer_id(&self, offer: OfferRef) -> Offer {
        match offer {
            OfferRef::Promotion(p) => Offer::Promotion(self.set.promotions[p as usize].id.clone()),
            OfferRef::Coupon(c) => Offer::Coupon(self.set.coupons[c as usize].id.clone()),
        }
    }

    /// Whether item promotion `promo` may apply to the line at `pos` (ignoring what the
    /// rest of the basket holds).
    pub(crate) fn item_eligible(&self, promo: u32, pos: usize) -> bool {
        let line = &self.lines[pos];
        let promotion = &self.set.promotions[promo as usize];
        if !line.sane() || !promotion_active(self.set, promo, self.ctx, self.moment) {
            return false;
        }
        match &promotion.kind {
            PromoKind::PercentOff { scope, .. } | PromoKind::FixedPrice { scope, .. } => scope.matches(line),
            PromoKind::MemberPrice { prices } => member_price(prices, line, self.ctx).is_some(),
            PromoKind::BuyGet { scope, .. } | PromoKind::FlashSale { scope, .. } => !line.weighed && scope.matches(line),
            PromoKind::Bundle { items, .. } => !line.weighed && items.iter().any(|i| i.sku == line.sku),
            PromoKind::Threshold { .. } => false,
        }
    }

    /// Whether two order-level offers may not both apply.
    ///
    /// Two 满减 conflict when a basket line is in both scopes and either is exclusive or
    /// both are in the same stacking group. A 满减 and a coupon conflict when a line is in
    /// both scopes and either is exclusive. Two coupons conflict when they are in the same
    /// coupon group and not both stackable, or share a line and either is exclusive.
    pub(crate) fn conflict(&self, a: usize, b: usize) -> bool {
        let (x, y) = (&self.order[a], &self.order[b]);
        let overlap = || sorted_intersect(&x.scope_lines, &y.scope_lines);
        match (x.offer, y.offer) {
            (OfferRef::Promotion(p), OfferRef::Promotion(q)) => (x.exclusive || y.exclusive || self.set.group_of[p as usize] == self.set.group_of[q as usize]) && overlap(),
            (OfferRef::Promotion(_), OfferRef::Coupon(_)) | (OfferRef::Coupon(_), OfferRef::Promotion(_)) => (x.exclusive || y.exclusive) && overlap(),
            (OfferRef::Coupon(c), OfferRef::Coupon(d)) => {
                let (c, d) = (&self.set.coupons[c as usize], &self.set.coupons[d as usize]);
                (c.group == d.group && !(c.stackable && d.stackable)) || ((x.exclusive || y.exclusive) && overlap())
            }
        }
    }

    /// Whether an item promotion on a line keeps that line out of an order-level offer:
    /// when either is exclusive, or when a 满减 shares the item promotion's stacking group.
    pub(crate) fn blocked(&self, item: Option<u32>, offer: usize) -> bool {
        let Some(p) = item else { return false };
        let o = &self.order[offer];
        self.set.promotions[p as usize].exclusive || o.exclusive || matches!(o.offer, OfferRef::Promotion(t) if self.set.group_of[t as usize] == self.set.group_of[p as usize])
    }

    /// What an order-level offer takes off `base` (before capping at what is left).
    pub(crate) fn declared(&self, offer: usize, base: i64) -> i64 {
        match self.order[offer].offer {
            OfferRef::Promotion(p) => match &self.set.promotions[p as usize].kind {
                PromoKind::Threshold { rule, .. } => rule.off(base),
                _ => 0,
            },
            OfferRef::Coupon(c) => self.set.coupons[c as usize].kind.off(base),
        }
    }

    /// The threshold rule of a 满减 offer, or the coupon kind.
    pub(crate) fn rule(&self, offer: usize) -> RuleRef<'_> {
        match self.order[offer].offer {
            OfferRef::Promotion(p) => match &self.set.promotions[p as usize].kind {
                PromoKind::Threshold { rule, .. } => RuleRef::Threshold(rule),
                _ => unreachable!("only 满减 are order-level promotions"),
            },
            OfferRef::Coupon(c) => RuleRef::Coupon(&self.set.coupons[c as usize].kind),
        }
    }

    /// Checks a selection against the rules; the error says what is wrong.
    pub(crate) fn allowed(&self, sel: &Selection) -> Result<(), String> {
        if sel.item.len() != self.lines.len() {
            return Err("one item choice per line".into());
        }
        for (pos, item) in sel.item.iter().enumerate() {
            if let Some(p) = item
                && !self.item_eligible(*p, pos)
            {
                return Err(format!("promotion {} cannot apply to line {pos}", self.set.promotions[*p as usize].id));
            }
        }
        for (n, &a) in sel.order.iter().enumerate() {
            if a as usize >= self.order.len() {
                return Err(format!("no order-level offer {a}"));
            }
            for &b in &sel.order[n + 1..] {
                if a == b {
                    return Err(format!("offer {a} chosen twice"));
                }
                if self.conflict(a as usize, b as usize) {
                    return Err(format!("{:?} and {:?} may not combine", self.offer_id(self.order[a as usize].offer), self.offer_id(self.order[b as usize].offer)));
                }
            }
        }
        Ok(())
    }

    /// Prices a selection: item promotions on gross; then each chosen 满减 (in order) on
    /// the amount after item promotions of the lines it counts; then each chosen coupon on
    /// the amount after promotions. Each offer's reduction is capped at what its lines still
    /// cost and spread over them in proportion to that ([`allocate`]), so no line goes
    /// below zero.
    pub(crate) fn evaluate(&self, sel: &Selection) -> Outcome {
        let mut out = Outcome::default();
        self.evaluate_into(sel, &mut out, &mut Scratch::default(), true);
        out
    }

    /// [`Problem::evaluate`] into `out`, reusing buffers; the applied offers are listed
    /// only when `record` is set. Returns the total saving.
    pub(crate) fn evaluate_into(&self, sel: &Selection, out: &mut Outcome, scratch: &mut Scratch, record: bool) -> i64 {
        let n = self.lines.len();
        for v in [&mut out.item, &mut out.order, &mut out.coupon] {
            v.clear();
            v.resize(n, 0);
        }
        out.applied.clear();
        let Scratch { touched_by, promos, positions, order, net1, rem, net2, touched, weights, parts, remainders } = scratch;
        // The item promotion each line is touched by: assigned, and doing something to it.
        touched_by.clear();
        touched_by.resize(n, None);
        promos.clear();
        promos.extend(sel.item.iter().flatten().copied());
        promos.sort_unstable();
        promos.dedup();
        for &p in promos.iter() {
            positions.clear();
            positions.extend((0..n).filter(|&i| sel.item[i] == Some(p)).map(|i| i as u16));
            if self.is_per_line(p) {
                let mut total = 0;
                for &pos in positions.iter() {
                    let s = self.line_saving(p, pos as usize).unwrap_or(0);
                    out.item[pos as usize] = s;
                    total += s;
                    if s > 0 {
                        touched_by[pos as usize] = Some(p);
                    }
                }
                if record && total > 0 {
                    let lines = positions.iter().map(|&pos| (pos, out.item[pos as usize])).filter(|&(_, s)| s > 0).collect();
                    out.applied.push(AppliedRaw { offer: OfferRef::Promotion(p), lines, base: 0 });
                }
                continue;
            }
            let (savings, is_touched) = self.item_effect(p, positions);
            let mut lines = Vec::new();
            for ((&pos, &s), &t) in positions.iter().zip(&savings).zip(&is_touched) {
                out.item[pos as usize] = s;
                if t {
                    touched_by[pos as usize] = Some(p);
                    if record {
                        lines.push((pos, s));
                    }
                }
            }
            if record && savings.iter().sum::<i64>() > 0 {
                out.applied.push(AppliedRaw { offer: OfferRef::Promotion(p), lines, base: 0 });
            }
        }
        net1.clear();
        net1.extend((0..n).map(|i| self.lines[i].gross - out.item[i]));
        rem.clear();
        rem.extend_from_slice(net1);
        let mut coupons_started = false;
        order.clear();
        order.extend_from_slice(&sel.order);
        order.sort_unstable();
        for &o in order.iter() {
            let offer = &self.order[o as usize];
            let is_coupon = matches!(offer.offer, OfferRef::Coupon(_));
            if is_coupon && !coupons_started {
                coupons_started = true;
                net2.clear();
                net2.extend_from_slice(rem);
            }
            let base_of: &[i64] = if is_coupon { net2 } else { net1 };
            touched.clear();
            touched.extend(offer.scope_lines.iter().copied().filter(|&l| !self.blocked(touched_by[l as usize], o as usize)));
            let base: i64 = touched.iter().map(|&l| base_of[l as usize]).sum();
            weights.clear();
            weights.extend(touched.iter().map(|&l| rem[l as usize]));
            let saving = self.declared(o as usize, base).min(weights.iter().sum()).max(0);
            if saving == 0 {
                continue;
            }
            allocate_into(saving, weights, parts, remainders);
            let target = if is_coupon { &mut out.coupon } else { &mut out.order };
            for (&l, &part) in touched.iter().zip(parts.iter()) {
                rem[l as usize] -= part;
                target[l as usize] += part;
            }
            if record {
                out.applied.push(AppliedRaw { offer: offer.offer, lines: touched.iter().copied().zip(parts.iter().copied()).filter(|(_, s)| *s != 0).collect(), base });
            }
        }
        out.total = (0..n).map(|i| out.item[i] + out.order[i] + out.coupon[i]).sum();
        out.total
    }

    /// Whether a promotion is priced line by line (折扣, 特价, 会员价) rather than over a
    /// pool of lines.
    pub(crate) fn is_per_line(&self, promo: u32) -> bool {
        matches!(self.set.promotions[promo as usize].kind, PromoKind::PercentOff { .. } | PromoKind::FixedPrice { .. } | PromoKind::MemberPrice { .. })
    }

    /// What a promotion priced line by line (折扣, 特价, 会员价) saves on the line at `pos`;
    /// `None` for pooled promotions (买N送M, bundles, flash sales).
    pub(crate) fn line_saving(&self, promo: u32, pos: usize) -> Option<i64> {
        let line = &self.lines[pos];
        match &self.set.promotions[promo as usize].kind {
            PromoKind::PercentOff { percent_bp, .. } => Some(percent_of(line.gross, *percent_bp)),
            PromoKind::FixedPrice { price, .. } => Some(price_saving(line, *price)),
            PromoKind::MemberPrice { prices } => Some(member_price(prices, line, self.ctx).map_or(0, |price| price_saving(line, price))),
            _ => None,
        }
    }

    /// What item promotion `promo` saves on each of the lines at `positions`, all of
    /// which it covers, when it takes exactly those lines.
    pub(crate) fn item_savings(&self, promo: u32, positions: &[u16]) -> Vec<i64> {
        self.item_effect(promo, positions).0
    }

    /// [`Problem::item_savings`], and which of the lines the promotion touches: those it
    /// saves something on, and for 买N送M and bundles every line whose pieces count in a
    /// deal that saves something (the paid pieces of 买2送1 are part of the deal). A line
    /// it does nothing to is as if it had no item promotion.
    pub(crate) fn item_effect(&self, promo: u32, positions: &[u16]) -> (Vec<i64>, Vec<bool>) {
        if let PromoKind::Bundle { .. } = &self.set.promotions[promo as usize].kind {
            let (saving, value, used) = self.bundle_sets(promo, positions);
            return (allocate(saving, &value), used.into_iter().map(|u| u && saving > 0).collect());
        }
        let savings = self.item_savings_raw(promo, positions);
        let total: i64 = savings.iter().sum();
        let touched = match &self.set.promotions[promo as usize].kind {
            PromoKind::BuyGet { .. } => vec![total > 0; positions.len()],
            _ => savings.iter().map(|&s| s > 0).collect(),
        };
        (savings, touched)
    }

    fn item_savings_raw(&self, promo: u32, positions: &[u16]) -> Vec<i64> {
        let line = |pos: u16| &self.lines[pos as usize];
        let promotion = &self.set.promotions[promo as usize];
        match &promotion.kind {
            PromoKind::PercentOff { .. } | PromoKind::FixedPrice { .. } | PromoKind::MemberPrice { .. } => positions.iter().map(|&p| self.line_saving(promo, p as usize).unwrap_or(0)).collect(),
            PromoKind::BuyGet { buy, get, .. } => {
                let pieces: i64 = positions.iter().map(|&p| line(p).pieces()).sum();
                let group = i64::from(*buy) + i64::from(*get);
                let mut free = pieces / group * i64::from(*get);
                let mut order: Vec<usize> = (0..positions.len()).collect();
                order.sort_by_key(|&i| (line(positions[i]).unit_price, i));
                let mut out = vec![0; positions.len()];
                for i in order {
                    let take = free.min(line(positions[i]).pieces());
                    out[i] = take * line(positions[i]).unit_price;
                    free -= take;
                }
                out
            }
            PromoKind::Bundle { .. } => {
                let (saving, value, _) = self.bundle_sets(promo, positions);
                allocate(saving, &value)
            }
            PromoKind::FlashSale { price, cap, per_order_limit, .. } => {
                let remaining = self.ctx.flash_remaining.get(&promotion.id).copied().unwrap_or(0);
                let mut left = remaining.min(*cap).min(per_order_limit.unwrap_or(i64::MAX)).max(0);
                let per_piece = |p: u16| (line(p).unit_price - price).max(0);
                let mut order: Vec<usize> = (0..positions.len()).collect();
                order.sort_by_key(|&i| (std::cmp::Reverse(per_piece(positions[i])), i));
                let mut out = vec![0; positions.len()];
                for i in order {
                    if per_piece(positions[i]) == 0 {
                        break;
                    }
                    let take = left.min(line(positions[i]).pieces());
                    out[i] = take * per_piece(positions[i]);
                    left -= take;
                }
                out
            }
            PromoKind::Threshold { .. } => vec![0; positions.len()],
        }
    }
    /// Forms as many bundle sets as save something: the saving, the value of each line's
    /// pieces used in them, and whether any of its pieces are.
    fn bundle_sets(&self, promo: u32, positions: &[u16]) -> (i64, Vec<i64>, Vec<bool>) {
        let line = |pos: u16| &self.lines[pos as usize];
        let PromoKind::Bundle { items, price } = &self.set.promotions[promo as usize].kind else {
            return (0, vec![0; positions.len()], vec![false; positions.len()]);
        };
        // Each component's pieces, dearest first: (index in `positions`, price, pieces).
        let runs: Vec<Vec<(usize, i64, i64)>> = items
            .iter()
            .map(|item| {
                let mut run: Vec<(usize, i64, i64)> = (0..positions.len()).filter(|&i| line(positions[i]).sku == item.sku).map(|i| (i, line(positions[i]).unit_price, line(positions[i]).pieces())).collect();
                run.sort_by_key(|&(i, price, _)| (std::cmp::Reverse(price), i));
                run
            })
            .collect();
        let max_sets = items.iter().zip(&runs).map(|(item, run)| run.iter().map(|r| r.2).sum::<i64>() / item.qty).min().unwrap_or(0);
        // Sets are formed from the dearest pieces first, so each is worth no more than
        // the one before; stop at the first that would not save anything.
        let mut value = vec![0i64; positions.len()];
        let mut used = vec![false; positions.len()];
        let mut cursor = vec![(0usize, 0i64); items.len()];
        let mut saving = 0i64;
        let mut takes = Vec::new();
        for _ in 0..max_sets {
            let mut trial = cursor.clone();
            let mut set_value = 0i64;
            takes.clear();
            for (k, item) in items.iter().enumerate() {
                let mut need = item.qty;
                while need > 0 {
                    let (run_idx, used) = trial[k];
                    let (i, unit_price, pieces) = runs[k][run_idx];
                    let take = need.min(pieces - used);
                    set_value += take * unit_price;
                    takes.push((i, take * unit_price));
                    need -= take;
                    trial[k] = if used + take == pieces { (run_idx + 1, 0) } else { (run_idx, used + take) };
                }
            }
            if set_value <= *price {
                break;
            }
            saving += set_value - price;
            for &(i, v) in &takes {
                value[i] += v;
                used[i] = true;
            }
            cursor = trial;
        }
        (saving, value, used)
    }

}

/// A 满减 rule or a coupon kind.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RuleRef<'a> {
    Threshold(&'a ThresholdRule),
    Coupon(&'a CouponKind),
}

/// Whether a promotion runs now for this customer.
pub(crate) fn promotion_active(set: &PromotionSet, promo: u32, ctx: &PricingContext, moment: Moment) -> bool {
    let p = &set.promotions[promo as usize];
    p.window.contains(moment) && (!p.members_only || ctx.member.is_some())
}

/// The member's price for a line's SKU: the lowest entry for every member or the member's tier.
pub(crate) fn member_price(prices: &[super::config::MemberPrice], line: &PromoLine, ctx: &PricingContext) -> Option<i64> {
    let member = ctx.member.as_ref()?;
    prices.iter().filter(|p| p.sku == line.sku && (p.tier.is_none() || p.tier == member.tier)).map(|p| p.price).min()
}

/// `bp` basis points of `amount`, half up, never more than the amount.
pub(crate) fn percent_of(amount: i64, bp: u32) -> i64 {
    (div_round(i128::from(amount) * i128::from(bp), 10_000, RoundingMode::HalfUp) as i64).clamp(0, amount.max(0))
}

/// What a line saves at `price` per piece (or per kg) instead of its own.
pub(crate) fn price_saving(line: &PromoLine, price: i64) -> i64 {
    let at_price = if line.weighed { div_round(i128::from(price) * i128::from(line.qty), 1000, RoundingMode::HalfUp) } else { i128::from(price) * i128::from(line.qty) };
    (i128::from(line.gross) - at_price).clamp(0, i128::from(line.gross.max(0))) as i64
}

fn sorted_intersect(a: &[u16], b: &[u16]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}
