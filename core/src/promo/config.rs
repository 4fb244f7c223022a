//! What a store configures: promotions, coupons, their scopes and time windows, and the
//! checks that refuse a configuration the engine could not price sensibly.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::money::MAX_AMOUNT_MINOR;

use super::input::PromoLine;

/// Which lines a promotion or coupon covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Every line (全场).
    All,
    /// Lines whose SKU is listed.
    Skus(Vec<String>),
    /// Lines whose category is listed.
    Categories(Vec<String>),
    /// Lines whose brand is listed; a line without a brand is never covered.
    Brands(Vec<String>),
}

impl Scope {
    /// Whether this scope covers a line.
    pub fn matches(&self, line: &PromoLine) -> bool {
        match self {
            Scope::All => true,
            Scope::Skus(skus) => skus.contains(&line.sku),
            Scope::Categories(categories) => categories.contains(&line.category),
            Scope::Brands(brands) => line.brand.as_ref().is_some_and(|b| brands.iter().any(|x| x == b)),
        }
    }

    fn check(&self) -> Result<(), Invalid> {
        match self {
            Scope::All => Ok(()),
            Scope::Skus(v) | Scope::Categories(v) | Scope::Brands(v) if v.is_empty() => Err(Invalid::EmptyScope),
            Scope::Skus(v) | Scope::Categories(v) | Scope::Brands(v) if v.iter().any(String::is_empty) => Err(Invalid::EmptyScope),
            _ => Ok(()),
        }
    }
}

/// What the validation needs to know of a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SkuFacts {
    /// The product's category.
    pub category: String,
    /// The product's brand, if the catalog records one.
    pub brand: Option<String>,
}

/// Hours of the day during which a promotion runs, in local minutes since midnight.
/// `from_minute > to_minute` wraps past midnight (22:00 to 02:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyHours {
    /// First minute, inclusive (0 to 1439).
    pub from_minute: u16,
    /// Last minute, exclusive (1 to 1440).
    pub to_minute: u16,
}

impl DailyHours {
    fn contains(self, minute: u16) -> bool {
        if self.from_minute < self.to_minute {
            (self.from_minute..self.to_minute).contains(&minute)
        } else {
            minute >= self.from_minute || minute < self.to_minute
        }
    }

    /// The covered minutes as at most two plain intervals.
    fn intervals(self) -> Vec<(u16, u16)> {
        if self.from_minute < self.to_minute { vec![(self.from_minute, self.to_minute)] } else { vec![(self.from_minute, 1440), (0, self.to_minute)] }
    }
}

/// When a promotion or coupon is valid: a span of time, optionally narrowed to some
/// weekdays and some hours of the day (限时).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Start, unix milliseconds, inclusive.
    pub from_ms: i64,
    /// End, unix milliseconds, exclusive.
    pub to_ms: i64,
    /// Only during these hours of each day.
    #[serde(default)]
    pub daily: Option<DailyHours>,
    /// Only on these weekdays, 1 (Monday) to 7 (Sunday); empty means every day.
    #[serde(default)]
    pub weekdays: Vec<u8>,
}

impl Window {
    /// Valid from `from_ms` (inclusive) to `to_ms` (exclusive), every day, all day.
    pub fn between(from_ms: i64, to_ms: i64) -> Window {
        Window { from_ms, to_ms, daily: None, weekdays: Vec::new() }
    }

    /// Where the window stands at `now_ms` in a store `utc_offset_min` from UTC: open, or
    /// why not (the first reason in the order of [`WindowState`]).
    pub fn state_at(&self, now_ms: i64, utc_offset_min: i32) -> WindowState {
        let at = Moment::new(now_ms, utc_offset_min);
        if at.ms < self.from_ms {
            WindowState::NotStarted
        } else if at.ms >= self.to_ms {
            WindowState::Ended
        } else if !self.weekdays.is_empty() && !self.weekdays.contains(&at.weekday) {
            WindowState::OtherWeekday
        } else if self.daily.is_some_and(|d| !d.contains(at.minute)) {
            WindowState::OutsideHours
        } else {
            WindowState::Running
        }
    }

    /// Whether the window is open at a moment.
    pub(crate) fn contains(&self, at: Moment) -> bool {
        (self.from_ms..self.to_ms).contains(&at.ms)
            && (self.weekdays.is_empty() || self.weekdays.contains(&at.weekday))
            && self.daily.is_none_or(|d| d.contains(at.minute))
    }

    fn check(&self) -> Result<(), Invalid> {
        if self.to_ms <= self.from_ms {
            return Err(Invalid::EndBeforeStart);
        }
        if let Some(d) = self.daily
            && (d.from_minute >= 1440 || d.to_minute > 1440 || d.to_minute == 0 || d.from_minute == d.to_minute)
        {
            return Err(Invalid::BadHours);
        }
        if let Some(day) = self.weekdays.iter().find(|d| !(1..=7).contains(*d)) {
            return Err(Invalid::BadWeekday(*day));
        }
        Ok(())
    }

    /// Whether two windows can be open at the same moment. Conservative: a common
    /// weekday and common hours within a common span count as overlapping even when that
    /// weekday does not fall inside the span.
    fn overlaps(&self, other: &Window) -> bool {
        let span = self.from_ms.max(other.from_ms) < self.to_ms.min(other.to_ms);
        let days = self.weekdays.is_empty() || other.weekdays.is_empty() || self.weekdays.iter().any(|d| other.weekdays.contains(d));
        let hours = match (self.daily, other.daily) {
            (Some(a), Some(b)) => a.intervals().iter().any(|x| b.intervals().iter().any(|y| x.0.max(y.0) < x.1.min(y.1))),
            _ => true,
        };
        span && days && hours
    }
}

/// Where a [`Window`] stands at a moment ([`Window::state_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowState {
    /// Open now.
    Running,
    /// Its span has not begun.
    NotStarted,
    /// Its span is over.
    Ended,
    /// Within its span, but today is not one of its weekdays.
    OtherWeekday,
    /// Within its span and on one of its days, but outside its daily hours.
    OutsideHours,
}

impl WindowState {
    /// A stable name for programs: `running`, `not_started`, `ended`, `other_weekday`,
    /// `outside_hours`.
    pub fn name(self) -> &'static str {
        match self {
            WindowState::Running => "running",
            WindowState::NotStarted => "not_started",
            WindowState::Ended => "ended",
            WindowState::OtherWeekday => "other_weekday",
            WindowState::OutsideHours => "outside_hours",
        }
    }
}

/// A moment as the windows see it: unix milliseconds plus the local weekday and minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Moment {
    pub ms: i64,
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: u8,
    /// Minutes since local midnight.
    pub minute: u16,
}

impl Moment {
    pub(crate) fn new(now_ms: i64, utc_offset_min: i32) -> Moment {
        let local_s = now_ms.div_euclid(1000) + i64::from(utc_offset_min) * 60;
        let days = local_s.div_euclid(86_400);
        // 1970-01-01 was a Thursday.
        let weekday = (days + 3).rem_euclid(7) as u8 + 1;
        let minute = (local_s.rem_euclid(86_400) / 60) as u16;
        Moment { ms: now_ms, weekday, minute }
    }
}

/// One step of a 满减: spend at least `spend`, get `off` off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Threshold, minor units.
    pub spend: i64,
    /// Amount off once the threshold is reached, minor units.
    pub off: i64,
}

/// How a 满减 computes its reduction from the amount spent on its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThresholdRule {
    /// 满100减20, 满200减50: the highest tier reached applies, once.
    Tiers(Vec<Tier>),
    /// 每满100减20: `off` for every whole `spend`, at most `max_off` in all.
    Every {
        /// The step, minor units.
        spend: i64,
        /// Off per step, minor units.
        off: i64,
        /// Cap on the total reduction.
        max_off: Option<i64>,
    },
}

impl ThresholdRule {
    /// The reduction this rule grants on `base` (before capping at what is left to pay).
    pub fn off(&self, base: i64) -> i64 {
        match self {
            ThresholdRule::Tiers(tiers) => tiers.iter().rev().find(|t| base >= t.spend).map_or(0, |t| t.off),
            ThresholdRule::Every { spend, off, max_off } => {
                let steps = crate::rounding::div_round(i128::from(base.max(0)), i128::from(*spend), crate::rounding::RoundingMode::Down) as i64;
                let total = steps.saturating_mul(*off);
                max_off.map_or(total, |cap| total.min(cap))
            }
        }
    }

    /// Every base at which the reduction changes, lowest first, with the reduction from
    /// there on (bounded by what `top` can reach).
    pub(crate) fn steps(&self, top: i64) -> Vec<(i64, i64)> {
        match self {
            ThresholdRule::Tiers(tiers) => tiers.iter().filter(|t| t.spend <= top).map(|t| (t.spend, t.off)).collect(),
            ThresholdRule::Every { spend, .. } => {
                let mut out = Vec::new();
                let mut at = *spend;
                let mut last = 0;
                while at <= top {
                    let off = self.off(at);
                    if off == last {
                        break;
                    }
                    out.push((at, off));
                    last = off;
                    at = at.saturating_add(*spend);
                }
                out
            }
        }
    }

    fn check(&self) -> Result<(), Invalid> {
        match self {
            ThresholdRule::Tiers(tiers) => {
                if tiers.is_empty() {
                    return Err(Invalid::NoTiers);
                }
                for (idx, tier) in tiers.iter().enumerate() {
                    amount("spend", tier.spend)?;
                    amount("off", tier.off)?;
                    if tier.spend == 0 {
                        return Err(Invalid::NotPositive("spend"));
                    }
                    if tier.off == 0 {
                        return Err(Invalid::NotPositive("off"));
                    }
                    if tier.off > tier.spend {
                        return Err(Invalid::OffOverSpend);
                    }
                    if idx > 0 && (tier.spend <= tiers[idx - 1].spend || tier.off <= tiers[idx - 1].off) {
                        return Err(Invalid::TiersNotIncreasing(idx + 1));
                    }
                }
                Ok(())
            }
            ThresholdRule::Every { spend, off, max_off } => {
                amount("spend", *spend)?;
                amount("off", *off)?;
                if *spend == 0 {
                    return Err(Invalid::NotPositive("spend"));
                }
                if *off == 0 {
                    return Err(Invalid::NotPositive("off"));
                }
                if off > spend {
                    return Err(Invalid::OffOverSpend);
                }
                if let Some(cap) = max_off {
                    amount("max_off", *cap)?;
                    if *cap == 0 {
                        return Err(Invalid::NotPositive("max_off"));
                    }
                }
                Ok(())
            }
        }
    }
}

/// A member price for one SKU, for every member or for one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPrice {
    /// SKU.
    pub sku: String,
    /// Only for members of this tier; `None` for every member.
    #[serde(default)]
    pub tier: Option<String>,
    /// Price per piece (or per kg for weighed products), minor units.
    pub price: i64,
}

/// One component of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleItem {
    /// SKU.
    pub sku: String,
    /// Pieces of it in one bundle.
    pub qty: i64,
}

/// What a promotion does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PromoKind {
    /// 折扣: a percentage off each covered line (1500 basis points = 15 % off = 8.5折).
    PercentOff {
        /// Covered lines.
        scope: Scope,
        /// Basis points off.
        percent_bp: u32,
    },
    /// 特价: a fixed price per piece (per kg on weighed lines).
    FixedPrice {
        /// Covered lines.
        scope: Scope,
        /// The price, minor units.
        price: i64,
    },
    /// 会员价: prices for members, per SKU and optionally per tier (the lowest that
    /// applies to the member wins).
    MemberPrice {
        /// The prices.
        prices: Vec<MemberPrice>,
    },
    /// 买N送M: for every `buy + get` pieces of covered lines, the `get` cheapest are free.
    /// BOGO (买一送一) is `buy: 1, get: 1`.
    BuyGet {
        /// Covered lines (pieces only; weighed lines are never covered).
        scope: Scope,
        /// N, pieces paid.
        buy: u32,
        /// M, pieces free.
        get: u32,
    },
    /// 组合价: a set of SKUs for a fixed price, as many whole sets as the basket holds.
    Bundle {
        /// The set.
        items: Vec<BundleItem>,
        /// Price of one set, minor units.
        price: i64,
    },
    /// 限时抢购: a price per piece, for at most `cap` pieces over the whole sale event.
    /// The caller says how many are left ([`PricingContext::flash_remaining`](super::PricingContext::flash_remaining)).
    FlashSale {
        /// Covered lines (pieces only).
        scope: Scope,
        /// Price per piece, minor units.
        price: i64,
        /// Pieces on offer over the whole event.
        cap: i64,
        /// Most pieces one sale may take.
        #[serde(default)]
        per_order_limit: Option<i64>,
    },
    /// 满减: a reduction on the amount spent on the scope, after item promotions.
    Threshold {
        /// Lines whose amounts count and share the reduction.
        scope: Scope,
        /// Tiers or 每满.
        rule: ThresholdRule,
    },
}

impl PromoKind {
    /// Whether this is an order-level promotion (满减) rather than an item-level one.
    pub fn is_order_level(&self) -> bool {
        matches!(self, PromoKind::Threshold { .. })
    }

    /// The SKU-level scope of this promotion: what it may touch.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            PromoKind::PercentOff { scope, .. }
            | PromoKind::FixedPrice { scope, .. }
            | PromoKind::BuyGet { scope, .. }
            | PromoKind::FlashSale { scope, .. }
            | PromoKind::Threshold { scope, .. } => scope.clone(),
            PromoKind::MemberPrice { prices } => Scope::Skus(prices.iter().map(|p| p.sku.clone()).collect()),
            PromoKind::Bundle { items, .. } => Scope::Skus(items.iter().map(|i| i.sku.clone()).collect()),
        }
    }
}

/// A promotion, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    /// Unique among promotions and coupons.
    pub id: String,
    /// What it does.
    pub kind: PromoKind,
    /// When it runs.
    pub window: Window,
    /// 不与其他优惠同享: nothing else (no other promotion, no coupon) applies to a line this
    /// promotion touches.
    #[serde(default)]
    pub exclusive: bool,
    /// Stacking group. Two promotions of the same group never apply to the same line.
    /// `None` is the layer's default group: `item` for item-level promotions, `order` for
    /// 满减. So by default a line takes one item promotion and one 满减, and two 满减 do
    /// not both count the same line.
    #[serde(default)]
    pub stack_group: Option<String>,
    /// Order of application among 满减 (higher first, then by id), and which of two item
    /// promotions saving the same on a line is tried first. It never makes the customer
    /// pay more: the optimiser compares savings, not priorities.
    #[serde(default)]
    pub priority: i32,
    /// Only for identified members.
    #[serde(default)]
    pub members_only: bool,
}

impl Promotion {
    /// The stacking group in force (see [`Promotion::stack_group`]).
    pub fn group(&self) -> &str {
        match &self.stack_group {
            Some(g) => g,
            None if self.kind.is_order_level() => "order",
            None => "item",
        }
    }

    /// Checks the promotion on its own (no catalog, no other promotions).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let wrap = |problem| ConfigError::Promotion { id: self.id.clone(), problem };
        if self.id.is_empty() {
            return Err(wrap(Invalid::EmptyId));
        }
        self.window.check().map_err(wrap)?;
        self.check_kind().map_err(wrap)
    }

    fn check_kind(&self) -> Result<(), Invalid> {
        match &self.kind {
            PromoKind::PercentOff { scope, percent_bp } => {
                scope.check()?;
                percent("percent_bp", *percent_bp)
            }
            PromoKind::FixedPrice { scope, price } => {
                scope.check()?;
                amount("price", *price)
            }
            PromoKind::MemberPrice { prices } => {
                if prices.is_empty() {
                    return Err(Invalid::EmptyScope);
                }
                for p in prices {
                    if p.sku.is_empty() {
                        return Err(Invalid::EmptyScope);
                    }
                    amount("price", p.price)?;
                }
                Ok(())
            }
            PromoKind::BuyGet { scope, buy, get } => {
                scope.check()?;
                if *buy == 0 {
                    return Err(Invalid::Zero("buy"));
                }
                if *get == 0 {
                    return Err(Invalid::Zero("get"));
                }
                Ok(())
            }
            PromoKind::Bundle { items, price } => {
                if items.is_empty() {
                    return Err(Invalid::EmptyBundle);
                }
                let mut seen = HashSet::new();
                for item in items {
                    if item.sku.is_empty() {
                        return Err(Invalid::EmptyBundle);
                    }
                    if item.qty <= 0 {
                        return Err(Invalid::NotPositive("qty"));
                    }
                    if item.qty > crate::basket::MAX_EACH_QTY {
                        return Err(Invalid::TooLarge("qty"));
                    }
                    if !seen.insert(item.sku.as_str()) {
                        return Err(Invalid::RepeatedSku(item.sku.clone()));
                    }
                }
                amount("price", *price)
            }
            PromoKind::FlashSale { scope, price, cap, per_order_limit } => {
                scope.check()?;
                amount("price", *price)?;
                if *cap <= 0 {
                    return Err(Invalid::NotPositive("cap"));
                }
                if per_order_limit.is_some_and(|l| l <= 0) {
                    return Err(Invalid::NotPositive("per_order_limit"));
                }
                Ok(())
            }
            PromoKind::Threshold { scope, rule } => {
                scope.check()?;
                rule.check()
            }
        }
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponKind {
    /// 无门槛券: a fixed amount off, whatever is spent.
    Cash {
        /// Amount off, minor units.
        off: i64,
    },
    /// 满X减Y券.
    Threshold {
        /// X, minor units.
        spend: i64,
        /// Y, minor units.
        off: i64,
    },
    /// 折扣券: a percentage off, optionally from a threshold and up to a cap.
    Percent {
        /// Basis points off.
        percent_bp: u32,
        /// Threshold, minor units (0: none).
        #[serde(default)]
        spend: i64,
        /// Cap, minor units.
        #[serde(default)]
        max_off: Option<i64>,
    },
}

impl CouponKind {
    /// What this coupon takes off `base` (before capping at what is left to pay).
    pub fn off(&self, base: i64) -> i64 {
        if base <= 0 {
            return 0;
        }
        match self {
            CouponKind::Cash { off } => *off,
            CouponKind::Threshold { spend, off } => {
                if base >= *spend {
                    *off
                } else {
                    0
                }
            }
            CouponKind::Percent { percent_bp, spend, max_off } => {
                if base < *spend {
                    return 0;
                }
                let off = crate::rounding::div_round(i128::from(base) * i128::from(*percent_bp), 10_000, crate::rounding::RoundingMode::HalfUp) as i64;
                max_off.map_or(off, |cap| off.min(cap))
            }
        }
    }

    /// The least spend on the coupon's scope for it to take anything off.
    pub fn min_spend(&self) -> i64 {
        match self {
            CouponKind::Cash { .. } => 1,
            CouponKind::Threshold { spend, .. } => *spend,
            CouponKind::Percent { spend, .. } => (*spend).max(1),
        }
    }
}

/// How often one coupon may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponUses {
    /// Once, ever.
    Single,
    /// Up to this many times in all.
    Limited(u32),
    /// Any number of times (still at most once per sale).
    Unlimited,
}

/// A coupon definition, as stored. A customer presents it by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    /// Unique among promotions and coupons.
    pub id: String,
    /// What it takes off.
    pub kind: CouponKind,
    /// Lines it applies to.
    pub scope: Scope,
    /// When it can be used.
    pub window: Window,
    /// Coupon group: a sale uses at most one coupon of a group, unless every coupon of
    /// the group it uses is stackable.
    pub group: String,
    /// Combines with other stackable coupons of its group.
    #[serde(default)]
    pub stackable: bool,
    /// Applies only to lines no promotion touches, and with no other coupon on them.
    #[serde(default)]
    pub exclusive: bool,
    /// How often it may be used in all.
    pub uses: CouponUses,
    /// How often one member may use it; a coupon with a limit needs a member.
    #[serde(default)]
    pub per_member_limit: Option<u32>,
}

impl Coupon {
    /// Checks the coupon on its own.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let wrap = |problem| ConfigError::Coupon { id: self.id.clone(), problem };
        if self.id.is_empty() {
            return Err(wrap(Invalid::EmptyId));
        }
        self.window.check().map_err(wrap)?;
        self.scope.check().map_err(wrap)?;
        if self.group.is_empty() {
            return Err(wrap(Invalid::EmptyGroup));
        }
        match self.uses {
            CouponUses::Limited(0) => return Err(wrap(Invalid::Zero("uses"))),
            _ if self.per_member_limit == Some(0) => return Err(wrap(Invalid::Zero("per_member_limit"))),
            _ => {}
        }
        let check = || match &self.kind {
            CouponKind::Cash { off } => {
                amount("off", *off)?;
                if *off == 0 { Err(Invalid::NotPositive("off")) } else { Ok(()) }
            }
            CouponKind::Threshold { spend, off } => {
                amount("spend", *spend)?;
                amount("off", *off)?;
                if *off == 0 {
                    return Err(Invalid::NotPositive("off"));
                }
                if off > spend { Err(Invalid::OffOverSpend) } else { Ok(()) }
            }
            CouponKind::Percent { percent_bp, spend, max_off } => {
                percent("percent_bp", *percent_bp)?;
                amount("spend", *spend)?;
                if let Some(cap) = max_off {
                    amount("max_off", *cap)?;
                    if *cap == 0 {
                        return Err(Invalid::NotPositive("max_off"));
                    }
                }
                Ok(())
            }
        };
        check().map_err(wrap)
    }
}

/// Why a promotion or coupon is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// No id.
    #[error("the id is empty")]
    EmptyId,
    /// A negative amount.
    #[error("{0} is negative")]
    Negative(&'static str),
    /// Larger than any amount OpenTill accepts.
    #[error("{0} is too large")]
    TooLarge(&'static str),
    /// Zero where only a positive amount makes sense.
    #[error("{0} must be more than zero")]
    NotPositive(&'static str),
    /// N or M of 买N送M, a use count.
    #[error("{0} is zero")]
    Zero(&'static str),
    /// More than 100 % off.
    #[error("{field} is {value} basis points, more than 100 %")]
    PercentOver100 {
        /// The field.
        field: &'static str,
        /// Its value.
        value: u32,
    },
    /// A 0 % discount.
    #[error("{0} is zero: the discount takes nothing off")]
    ZeroPercent(&'static str),
    /// A 满减 with no tiers.
    #[error("no tiers")]
    NoTiers,
    /// Tiers must rise in both the spend and the amount off.
    #[error("tier {0} does not spend more and take off more than the tier before it")]
    TiersNotIncreasing(usize),
    /// 满100减120.
    #[error("takes off more than the spend that earns it")]
    OffOverSpend,
    /// A bundle of nothing.
    #[error("the bundle lists no SKUs")]
    EmptyBundle,
    /// A SKU given twice in a bundle.
    #[error("SKU `{0}` is listed twice")]
    RepeatedSku(String),
    /// A bundle SKU the catalog does not have.
    #[error("SKU `{0}` is not in the catalog")]
    UnknownSku(String),
    /// An empty SKU, category or brand list.
    #[error("the scope lists nothing")]
    EmptyScope,
    /// The window ends before it starts, or when it starts.
    #[error("does not end after it starts")]
    EndBeforeStart,
    /// Daily hours out of range or empty.
    #[error("daily hours must be minutes 0 to 1440 and not empty")]
    BadHours,
    /// A weekday out of 1 to 7.
    #[error("weekday {0} is not 1 (Monday) to 7 (Sunday)")]
    BadWeekday(u8),
    /// A coupon with no group.
    #[error("the coupon group is empty")]
    EmptyGroup,
}

/// A configuration the engine refuses. Nothing is loaded when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A promotion is malformed.
    #[error("promotion `{id}`: {problem}")]
    Promotion {
        /// The promotion.
        id: String,
        /// What is wrong.
        problem: Invalid,
    },
    /// A coupon is malformed.
    #[error("coupon `{id}`: {problem}")]
    Coupon {
        /// The coupon.
        id: String,
        /// What is wrong.
        problem: Invalid,
    },
    /// Two exclusive promotions could claim the same line at the same time, so which one
    /// applies would depend on the basket rather than on the store's intent.
    #[error("promotions `{first}` and `{second}` are both exclusive and can cover the same products at the same time")]
    ExclusiveOverlap {
        /// The earlier one in the list.
        first: String,
        /// The later one.
        second: String,
    },
    /// Two definitions share an id.
    #[error("the id `{0}` is used twice")]
    DuplicateId(String),
}

fn amount(field: &'static str, value: i64) -> Result<(), Invalid> {
    if value < 0 {
        Err(Invalid::Negative(field))
    } else if value > MAX_AMOUNT_MINOR {
        Err(Invalid::TooLarge(field))
    } else {
        Ok(())
    }
}

fn percent(field: &'static str, value: u32) -> Result<(), Invalid> {
    if value > 10_000 {
        Err(Invalid::PercentOver100 { field, value })
    } else if value == 0 {
        Err(Invalid::ZeroPercent(field))
    } else {
        Ok(())
    }
}

/// Whether two scopes can cover the same product. A category scope and a brand scope are
/// taken to overlap: the catalog cannot be enumerated here to prove otherwise.
fn scopes_overlap(a: &Scope, b: &Scope, catalog: &dyn Fn(&str) -> Option<SkuFacts>) -> bool {
    let common = |x: &[String], y: &[String]| x.iter().any(|v| y.contains(v));
    match (a, b) {
        (Scope::All, _) | (_, Scope::All) => true,
        (Scope::Skus(x), Scope::Skus(y)) | (Scope::Categories(x), Scope::Categories(y)) | (Scope::Brands(x), Scope::Brands(y)) => common(x, y),
        (Scope::Skus(skus), Scope::Categories(cats)) | (Scope::Categories(cats), Scope::Skus(skus)) => {
            skus.iter().any(|s| catalog(s).is_some_and(|f| cats.contains(&f.category)))
        }
        (Scope::Skus(skus), Scope::Brands(brands)) | (Scope::Brands(brands), Scope::Skus(skus)) => {
            skus.iter().any(|s| catalog(s).is_some_and(|f| f.brand.is_some_and(|b| brands.contains(&b))))
        }
        (Scope::Categories(_), Scope::Brands(_)) | (Scope::Brands(_), Scope::Categories(_)) => true,
    }
}

/// Where to look promotions up by what a line is.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScopeIndex {
    pub all: Vec<u32>,
    pub by_sku: HashMap<String, Vec<u32>>,
    pub by_category: HashMap<String, Vec<u32>>,
    pub by_brand: HashMap<String, Vec<u32>>,
}

impl ScopeIndex {
    fn add(&mut self, idx: u32, scope: &Scope) {
        let put = |map: &mut HashMap<String, Vec<u32>>, keys: &[String]| {
            for key in keys.iter().collect::<HashSet<_>>() {
                map.entry(key.clone()).or_default().push(idx);
            }
        };
        match scope {
            Scope::All => self.all.push(idx),
            Scope::Skus(v) => put(&mut self.by_sku, v),
            Scope::Categories(v) => put(&mut self.by_category, v),
            Scope::Brands(v) => put(&mut self.by_brand, v),
        }
    }

    /// Every entry whose scope may cover the line (each once).
    pub(crate) fn candidates(&self, line: &PromoLine, out: &mut Vec<u32>) {
        out.clear();
        out.extend_from_slice(&self.all);
        let empty = Vec::new();
        out.extend_from_slice(self.by_sku.get(&line.sku).unwrap_or(&empty));
        out.extend_from_slice(self.by_category.get(&line.category).unwrap_or(&empty));
        if let Some(brand) = &line.brand {
            out.extend_from_slice(self.by_brand.get(brand).unwrap_or(&empty));
        }
    }
}

/// A checked set of promotions and coupons, indexed for pricing.
#[derive(Debug, Clone)]
pub struct PromotionSet {
    pub(crate) promotions: Vec<Promotion>,
    pub(crate) coupons: Vec<Coupon>,
    /// Scopes of the promotions, computed once.
    pub(crate) scopes: Vec<Scope>,
    pub(crate) index: ScopeIndex,
    pub(crate) coupon_by_id: HashMap<String, u32>,
    /// Each promotion's stacking group, interned.
    pub(crate) group_of: Vec<u32>,
}

impl PromotionSet {
    /// Checks every promotion and coupon, that ids are unique, that bundles name SKUs the
    /// catalog has, and that no two exclusive promotions can cover the same product at the
    /// same time; then indexes them. `catalog` looks a SKU up.
    pub fn new(promotions: Vec<Promotion>, coupons: Vec<Coupon>, catalog: &dyn Fn(&str) -> Option<SkuFacts>) -> Result<PromotionSet, ConfigError> {
        let mut ids = HashSet::new();
        for id in promotions.iter().map(|p| &p.id).chain(coupons.iter().map(|c| &c.id)) {
            if !ids.insert(id.as_str()) {
                return Err(ConfigError::DuplicateId(id.clone()));
            }
        }
        for promotion in &promotions {
            promotion.validate()?;
            if let PromoKind::Bundle { items, .. } = &promotion.kind
                && let Some(item) = items.iter().find(|i| catalog(&i.sku).is_none())
            {
                return Err(ConfigError::Promotion { id: promotion.id.clone(), problem: Invalid::UnknownSku(item.sku.clone()) });
            }
        }
        for coupon in &coupons {
            coupon.validate()?;
        }
        let scopes: Vec<Scope> = promotions.iter().map(|p| p.kind.scope()).collect();
        let exclusive: Vec<usize> = (0..promotions.len()).filter(|&i| promotions[i].exclusive).collect();
        for (n, &a) in exclusive.iter().enumerate() {
            for &b in &exclusive[n + 1..] {
                if promotions[a].window.overlaps(&promotions[b].window) && scopes_overlap(&scopes[a], &scopes[b], catalog) {
                    return Err(ConfigError::ExclusiveOverlap { first: promotions[a].id.clone(), second: promotions[b].id.clone() });
                }
            }
        }
        let mut index = ScopeIndex::default();
        for (idx, scope) in scopes.iter().enumerate() {
            index.add(idx as u32, scope);
        }
        let coupon_by_id = coupons.iter().enumerate().map(|(i, c)| (c.id.clone(), i as u32)).collect();
        let mut groups: HashMap<&str, u32> = HashMap::new();
        let group_of = promotions
            .iter()
            .map(|p| {
                let next = groups.len() as u32;
                *groups.entry(p.group()).or_insert(next)
            })
            .collect();
        Ok(PromotionSet { promotions, coupons, scopes, index, coupon_by_id, group_of })
    }

    /// The promotions, in the order given.
    pub fn promotions(&self) -> &[Promotion] {
        &self.promotions
    }

    /// The coupons, in the order given.
    pub fn coupons(&self) -> &[Coupon] {
        &self.coupons
    }
}
