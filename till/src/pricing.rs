//! Promotions and coupons at the till: the stored coupons, and pricing a basket with the
//! promotions engine (`opentill_core::promo`) for the best combination for the customer.
//!
//! Usage counts come from the replica: `offer_uses` is projected from the sales that
//! used each offer, so a coupon's limits and a flash sale's cap (限时抢购, per store) hold
//! offline. Pricing and the sale that records its use happen under the one `Till`, so two
//! sales cannot both take the last flash-sale piece.

use opentill_core::basket::{Basket, OfferKind, OfferUse, PromoSavings};
use opentill_core::promo::{Coupon, Member, Offer, PresentedCoupon, PricingContext, PromoKind, PromoLine, Pricing, Promotion, PromotionSet, SkuFacts};
use opentill_sync::ReplicaError;
use tracing::info;

use crate::{Result, Till, TillError, validate_id};

/// Who is buying: the member who identified themselves and the coupons presented.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shopper {
    /// Member id (a stored-value account or member pass holder).
    pub member: Option<String>,
    /// Coupon ids, in the order presented.
    pub coupons: Vec<String>,
    /// The staff member who served them (导购), for commissions: a user id.
    pub served_by: Option<String>,
}

impl Shopper {
    /// Checks the member's and coupons' ids (and how many coupons) as typed or scanned.
    pub fn validate(&self) -> Result<()> {
        if let Some(member) = &self.member {
            validate_id(member, "member")?;
        }
        if self.coupons.len() > MAX_COUPONS {
            return Err(TillError::BadInput(format!("at most {MAX_COUPONS} coupons in one sale")));
        }
        for coupon in &self.coupons {
            validate_id(coupon, "coupon")?;
        }
        Ok(())
    }
}

/// Most coupons one sale may present.
pub const MAX_COUPONS: usize = 20;

impl Till {
    /// Adds or replaces a coupon (JSON of [`Coupon`]) after checking it on its own and
    /// against the promotions (ids are shared); returns its id.
    pub fn put_coupon(&mut self, json_text: &str) -> Result<String> {
        let coupon: Coupon = serde_json::from_str(json_text).map_err(|e| TillError::BadInput(format!("coupon: {e}")))?;
        // A customer presents a coupon by its id, which the till checks as an id.
        validate_id(&coupon.id, "coupon id")?;
        let mut coupons: Vec<Coupon> = self.coupons()?.into_iter().filter(|c| c.id != coupon.id).collect();
        coupons.push(coupon.clone());
        self.check_offers(self.promotions()?, coupons).map_err(TillError::Offer)?;
        let body = serde_json::to_string(&coupon).map_err(|e| TillError::BadInput(e.to_string()))?;
        let now = self.clock.now_ms();
        self.replica.put_coupon(&coupon.id, Some(&body), now)?;
        info!(coupon = coupon.id, "coupon stored");
        Ok(coupon.id)
    }

    /// Removes a coupon; sales that used it keep their record.
    pub fn remove_coupon(&mut self, coupon_id: &str) -> Result<()> {
        if !self.coupons()?.iter().any(|c| c.id == coupon_id) {
            return Err(TillError::UnknownCoupon(coupon_id.to_string()));
        }
        self.own_offer(opentill_sync::docs::offers::Section::Coupon, coupon_id)?;
        let now = self.clock.now_ms();
        self.replica.put_coupon(coupon_id, None, now)?;
        Ok(())
    }

    /// The stored coupons, by id.
    pub fn coupons(&self) -> Result<Vec<Coupon>> {
        self.replica
            .coupons()?
            .into_iter()
            .map(|(id, body)| serde_json::from_str(&body).map_err(|e| TillError::Replica(ReplicaError::Corrupt(format!("coupon {id}: {e}")))))
            .collect()
    }

    /// How often sales used a promotion or coupon, in all and, with a member, by them.
    pub fn offer_uses(&self, offer_id: &str, member: Option<&str>) -> Result<i64> {
        Ok(self.replica.offer_uses(offer_id, member)?.0)
    }

    /// Checks promotions and coupons together, against the catalog.
    pub(crate) fn check_offers(&self, promotions: Vec<Promotion>, coupons: Vec<Coupon>) -> std::result::Result<PromotionSet, opentill_core::promo::ConfigError> {
        let catalog = |sku: &str| self.replica.product_by_sku(sku).ok().flatten().map(|p| SkuFacts { category: p.category, ..Default::default() });
        PromotionSet::new(promotions, coupons, &catalog)
    }

    /// Prices a basket with the stored promotions and the coupons presented, for the
    /// combination that saves the customer the most, and attaches the savings to the
    /// basket (its totals then include them). Returns the engine's full answer: savings
    /// per line, each offer with its text, refused coupons with their reasons.
    pub fn price(&self, basket: &mut Basket, shopper: &Shopper) -> Result<Pricing> {
        shopper.validate()?;
        let promotions = self.promotions()?;
        let coupons = self.coupons()?;
        let settings = self.replica.settings();
        let mut ctx = PricingContext::new(self.clock.now_ms(), settings.utc_offset_min);
        ctx.currency = settings.currency;
        // A registered member is priced at their tier; another id (a stored-value account)
        // still counts for per-member coupon limits.
        let member = match &shopper.member {
            Some(key) => Some(match self.find_member(key)? {
                Some(m) => Member { id: m.row.member_id, tier: Some(m.tier.id) },
                None => Member { id: key.clone(), tier: None },
            }),
            None => None,
        };
        ctx.member = member.clone();
        for id in &shopper.coupons {
            let times = |member: Option<&str>| -> Result<u32> { Ok(u32::try_from(self.replica.offer_uses(id, member)?.0).unwrap_or(u32::MAX)) };
            let member_times_used = match &ctx.member {
                Some(m) => times(Some(&m.id))?,
                None => 0,
            };
            ctx.coupons.push(PresentedCoupon { coupon_id: id.clone(), times_used: times(None)?, member_times_used });
        }
        for promotion in &promotions {
            if let PromoKind::FlashSale { cap, .. } = &promotion.kind {
                let sold = self.replica.offer_uses(&promotion.id, None)?.1;
                ctx.flash_remaining.insert(promotion.id.clone(), (cap - sold).max(0));
            }
        }
        let set = self.check_offers(promotions, coupons).map_err(|e| TillError::BadInput(format!("the stored promotions do not check: {e}")))?;
        let lines = PromoLine::from_basket(basket, |_| None);
        let pricing = set.price(&lines, &ctx);
        let mut savings = PromoSavings { lines: vec![0; basket.lines.len()], offers: Vec::new(), member: member.map(|m| m.id) };
        for line in &pricing.lines {
            savings.lines[line.line_idx] = line.saving();
        }
        for applied in &pricing.applied {
            let (kind, id) = match &applied.offer {
                Offer::Promotion(id) => (OfferKind::Promotion, id),
                Offer::Coupon(id) => (OfferKind::Coupon, id),
            };
            // A flash sale takes (unit price − its price) off each piece it covers.
            let flash_pieces = match set.promotions().iter().find(|p| &p.id == id).map(|p| &p.kind) {
                Some(PromoKind::FlashSale { price, .. }) => applied
                    .lines
                    .iter()
                    .map(|share| {
                        let per_piece = basket.lines[share.line_idx].unit_price() - price;
                        if per_piece > 0 { share.saving / per_piece } else { 0 }
                    })
                    .sum(),
                _ => 0,
            };
            savings.offers.push(OfferUse { kind, id: id.clone(), saving: applied.saving, flash_pieces, text_zh: applied.text_zh.clone(), text_en: applied.text_en.clone() });
        }
        basket.apply_promotions(savings)?;
        Ok(pricing)
    }
}
