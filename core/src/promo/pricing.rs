//! What pricing returns: per-line savings, the offers applied with their texts, the
//! coupons refused, and whether the optimum was proven.

use crate::i18n::Lang;
use crate::money::{Currency, Money};

/// A promotion or coupon, by id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Offer {
    /// A promotion.
    Promotion(String),
    /// A coupon.
    Coupon(String),
}

impl Offer {
    /// The id.
    pub fn id(&self) -> &str {
        match self {
            Offer::Promotion(id) | Offer::Coupon(id) => id,
        }
    }
}

/// The layer an offer applies in (see the module documentation for the order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Item-level: discounts, special and member prices, 买N送M, bundles, flash sales.
    Item,
    /// Order-level 满减.
    Order,
    /// Coupons.
    Coupon,
}

/// What one offer saved on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineShare {
    /// The basket line ([`PromoLine::line_idx`](super::PromoLine::line_idx)).
    pub line_idx: usize,
    /// Saving on that line, minor units (0 for a line an offer used without discounting
    /// it, such as the paid pieces of 买2送1).
    pub saving: i64,
}

/// One offer applied to the sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Which offer.
    pub offer: Offer,
    /// Its layer.
    pub stage: Stage,
    /// What it saved in all, minor units.
    pub saving: i64,
    /// The lines it touched, each with its share; the shares add up to `saving`.
    pub lines: Vec<LineShare>,
    /// What it is, in Chinese, for the receipt: `满100减20`.
    pub text_zh: String,
    /// The same in English: `Spend ¥100, save ¥20`.
    pub text_en: String,
}

impl Applied {
    /// The text in a language.
    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.text_zh, &self.text_en)
    }
}

/// One line after pricing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePrice {
    /// The basket line.
    pub line_idx: usize,
    /// Before promotions.
    pub gross: i64,
    /// Item-level promotion saving.
    pub item_saving: i64,
    /// Share of 满减.
    pub order_saving: i64,
    /// Share of coupons.
    pub coupon_saving: i64,
    /// What is left to pay: `gross` minus the three savings, never negative.
    pub net: i64,
}

impl LinePrice {
    /// Everything taken off this line.
    pub fn saving(&self) -> i64 {
        self.item_saving + self.order_saving + self.coupon_saving
    }
}

/// Why a presented coupon was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// No coupon with that id.
    Unknown,
    /// Presented twice; a coupon counts once per sale.
    Duplicate,
    /// Outside its validity window.
    NotValidNow,
    /// Used as often as it may be.
    UsedUp,
    /// It has a per-member limit and no member is identified.
    NeedsMember,
    /// This member used it as often as they may.
    MemberLimitReached,
    /// Nothing in the basket is in its scope.
    NoEligibleLines,
    /// The basket does not reach its threshold on its scope.
    BelowThreshold {
        /// The threshold, minor units.
        spend: i64,
    },
    /// Usable, but the best combination for the customer does without it (another coupon
    /// of its group, or an exclusive offer, saves more).
    NotBest,
}

impl RefusalReason {
    /// For the cashier and the customer.
    pub fn text(&self, lang: Lang, currency: Currency) -> String {
        match self {
            RefusalReason::Unknown => lang.pick("无此优惠券", "no such coupon").into(),
            RefusalReason::Duplicate => lang.pick("重复出示", "presented twice").into(),
            RefusalReason::NotValidNow => lang.pick("不在有效期内", "not valid now").into(),
            RefusalReason::UsedUp => lang.pick("已用完", "already used up").into(),
            RefusalReason::NeedsMember => lang.pick("需会员使用", "needs a member").into(),
            RefusalReason::MemberLimitReached => lang.pick("已达每人限用次数", "member limit reached").into(),
            RefusalReason::NoEligibleLines => lang.pick("无适用商品", "nothing in the basket qualifies").into(),
            RefusalReason::BelowThreshold { spend } => match lang {
                Lang::Zh => format!("未满{}", super::explain::short(*spend, currency)),
                Lang::En => format!("spend {} to use", Money::new(*spend, currency)),
            },
            RefusalReason::NotBest => lang.pick("其他优惠更划算", "a better combination does without it").into(),
        }
    }
}

/// A presented coupon that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The coupon's id as presented.
    pub coupon_id: String,
    /// Why.
    pub reason: RefusalReason,
}

/// The priced basket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    /// One per line given, in the same order.
    pub lines: Vec<LinePrice>,
    /// Offers applied: item promotions, then 满减, then coupons, in application order.
    pub applied: Vec<Applied>,
    /// Presented coupons not used.
    pub refused: Vec<Refusal>,
    /// Sum of gross amounts.
    pub gross: i64,
    /// Sum of all savings; equals the sum of the lines' savings and of the applied offers'.
    pub saving: i64,
    /// `gross - saving`.
    pub total: i64,
    /// The search covered every allowed combination (or proved the rest cannot do better),
    /// so `saving` is the best there is. When false, the search hit its limit and `saving`
    /// is the best found, from a greedy start.
    pub proven_optimal: bool,
    /// No allowed combination saves more than this. Equal to `saving` when proven.
    pub upper_bound: i64,
    /// Search work done, for benchmarks and logs: search nodes, with building the bounds for
    /// a set of order-level offers and pricing a complete combination charged one per line.
    pub work: u64,
}
