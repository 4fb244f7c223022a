//! What each offer is called on a receipt, in zh-CN and English: `满100减20` /
//! `Spend ¥100, save ¥20`, `8.5折` / `15% off`, `买2送1` / `Buy 2 get 1 free`.

use crate::i18n::{Label, Lang};
use crate::money::{Currency, Money};

use super::config::{ConfigError, Coupon, CouponKind, Invalid, Moment, PromoKind, Promotion, Scope, ThresholdRule};
use super::eval::{OfferRef, Problem};

/// An amount as written on promotion posters: whole yuan without decimals (`100`),
/// otherwise to the fen (`99.50`).
pub(crate) fn short(minor: i64, currency: Currency) -> String {
    let plain = Money::new(minor, currency).plain();
    match plain.split_once('.') {
        Some((whole, frac)) if frac.bytes().all(|b| b == b'0') => whole.to_string(),
        _ => plain,
    }
}

fn with_symbol(minor: i64, currency: Currency) -> String {
    format!("{}{}", currency.symbol(), short(minor, currency))
}

/// Basis points written with up to `digits` decimals, trailing zeros dropped: the
/// number of tenths (折) or hundredths (%) that `bp` is.
fn decimal(value: u32, scale: u32, digits: usize) -> String {
    let whole = value / scale;
    let frac = value % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let text = format!("{whole}.{frac:0digits$}");
    text.trim_end_matches('0').to_string()
}

/// `1500` basis points off is `8.5折`.
fn zhe(percent_bp: u32) -> String {
    decimal(10_000 - percent_bp.min(10_000), 1000, 3)
}

/// `1500` basis points is `15%`.
fn pct(percent_bp: u32) -> String {
    decimal(percent_bp, 100, 2)
}

/// The text of a promotion on its own: `8.5折` / `15% off`, `满100减20` / `Spend ¥100,
/// save ¥20`. `base` picks the tier of a tiered 满减 (0: the first).
pub(crate) fn describe_promotion(
    kind: &PromoKind,
    base: i64,
    currency: Currency,
    lang: Lang,
) -> String {
    let s = |m: i64| short(m, currency);
    let y = |m: i64| with_symbol(m, currency);
    match kind {
        PromoKind::PercentOff { percent_bp, .. } => match lang {
            _ if *percent_bp >= 10_000 => Label::Free.text(lang).to_string(),
            Lang::Zh => format!("{}折", zhe(*percent_bp)),
            Lang::En => format!("{}% off", pct(*percent_bp)),
        },
        PromoKind::FixedPrice { price, .. } => {
            format!("{} {}", Label::SpecialPrice.text(lang), y(*price))
        }
        PromoKind::MemberPrice { .. } => Label::MemberPrice.text(lang).to_string(),
        PromoKind::BuyGet { buy, get, .. } => match lang {
            Lang::Zh => format!("买{buy}送{get}"),
            Lang::En => format!("Buy {buy} get {get} free"),
        },
        PromoKind::Bundle { price, .. } => match lang {
            Lang::Zh => format!("{} {}", Label::Bundle.text(lang), y(*price)),
            Lang::En => format!("{} for {}", Label::Bundle.text(lang), y(*price)),
        },
        PromoKind::FlashSale { price, .. } => {
            format!("{} {}", Label::FlashSale.text(lang), y(*price))
        }
        PromoKind::Threshold { rule, .. } => match rule {
            ThresholdRule::Tiers(tiers) => {
                let tier = tiers
                    .iter()
                    .rev()
                    .find(|t| base >= t.spend)
                    .unwrap_or(&tiers[0]);
                match lang {
                    Lang::Zh => format!("满{}减{}", s(tier.spend), s(tier.off)),
                    Lang::En => format!("Spend {}, save {}", y(tier.spend), y(tier.off)),
                }
            }
            ThresholdRule::Every {
                spend,
                off,
                max_off,
            } => match (lang, max_off) {
                (Lang::Zh, None) => format!("每满{}减{}", s(*spend), s(*off)),
                (Lang::Zh, Some(cap)) => {
                    format!("每满{}减{}，最高减{}", s(*spend), s(*off), s(*cap))
                }
                (Lang::En, None) => format!("{} off every {}", y(*off), y(*spend)),
                (Lang::En, Some(cap)) => {
                    format!("{} off every {}, up to {}", y(*off), y(*spend), y(*cap))
                }
            },
        },
    }
}

impl Promotion {
    /// Whether the promotion runs at `now_ms` in a store `utc_offset_min` from UTC.
    pub fn is_running(&self, now_ms: i64, utc_offset_min: i32) -> bool {
        self.window.contains(Moment::new(now_ms, utc_offset_min))
    }

    /// What the promotion is, in one language, whatever it covers (`8.5折`, `满100减20`).
    pub fn label_text_any(&self, currency: Currency, lang: Lang) -> String {
        describe_promotion(&self.kind, 0, currency, lang)
    }

    /// What an e-paper shelf label says of this promotion for one product (its SKU,
    /// category and brand), or `None` when the promotion does not cover it. A member
    /// price names the lowest member price of the SKU; a tiered 满减 names its first tier.
    pub fn label_text(&self, sku: &str, category: &str, brand: Option<&str>, currency: Currency, lang: Lang) -> Option<String> {
        let covered = match self.kind.scope() {
            Scope::All => true,
            Scope::Skus(skus) => skus.iter().any(|s| s == sku),
            Scope::Categories(categories) => categories.iter().any(|c| c == category),
            Scope::Brands(brands) => brand.is_some_and(|b| brands.iter().any(|x| x == b)),
        };
        if !covered {
            return None;
        }
        if let PromoKind::MemberPrice { prices } = &self.kind {
            let lowest = prices.iter().filter(|p| p.sku == sku).map(|p| p.price).min()?;
            return Some(format!("{} {}", Label::MemberPrice.text(lang), with_symbol(lowest, currency)));
        }
        Some(describe_promotion(&self.kind, 0, currency, lang))
    }
}

/// The text of an offer. `base` is what the offer was computed on (for a tiered 满减, the
/// tier reached is named).
pub(crate) fn describe(problem: &Problem, offer: OfferRef, base: i64, lang: Lang) -> String {
    let cur = problem.ctx.currency;
    match offer {
        OfferRef::Promotion(p) => {
            describe_promotion(&problem.set.promotions[p as usize].kind, base, cur, lang)
        }
        OfferRef::Coupon(c) => describe_coupon(&problem.set.coupons[c as usize].kind, cur, lang),
    }
}

/// The text of a coupon: `满10减2券` / `Coupon: spend ¥10, save ¥2`, `9折券` / `10% off coupon`.
pub(crate) fn describe_coupon(kind: &CouponKind, currency: Currency, lang: Lang) -> String {
    let s = |m: i64| short(m, currency);
    let y = |m: i64| with_symbol(m, currency);
    match kind {
        CouponKind::Cash { off } => match lang {
            Lang::Zh => format!("{}元无门槛券", s(*off)),
            Lang::En => format!("{} coupon", y(*off)),
        },
        CouponKind::Threshold { spend, off } => match lang {
            Lang::Zh => format!("满{}减{}券", s(*spend), s(*off)),
            Lang::En => format!("Coupon: spend {}, save {}", y(*spend), y(*off)),
        },
        CouponKind::Percent {
            percent_bp,
            spend,
            max_off,
        } => {
            let mut text = match lang {
                _ if *percent_bp >= 10_000 => {
                    format!("{} {}", Label::Free.text(lang), Label::Coupon.text(lang))
                }
                Lang::Zh => format!("{}折券", zhe(*percent_bp)),
                Lang::En => format!("{}% off coupon", pct(*percent_bp)),
            };
            if *spend > 0 {
                text += &match lang {
                    Lang::Zh => format!("，满{}可用", s(*spend)),
                    Lang::En => format!(", on {} or more", y(*spend)),
                };
            }
            if let Some(cap) = max_off {
                text += &match lang {
                    Lang::Zh => format!("，最高减{}", s(*cap)),
                    Lang::En => format!(", up to {}", y(*cap)),
                };
            }
            text
        }
    }
}

impl Coupon {
    /// What the coupon is, in one language, as a receipt names it (`满10减2券`, `¥2 coupon`).
    pub fn label_text(&self, currency: Currency, lang: Lang) -> String {
        describe_coupon(&self.kind, currency, lang)
    }
}

/// A field of a promotion or coupon as a store manager calls it in Chinese.
fn field_zh(field: &str) -> &str {
    match field {
        "percent_bp" => "折扣",
        "price" => "价格",
        "spend" => "门槛金额",
        "off" => "减免金额",
        "max_off" => "最高减免",
        "cap" => "限量",
        "per_order_limit" => "每单限购",
        "buy" => "买N",
        "get" => "送M",
        "qty" => "数量",
        "uses" => "可用次数",
        "per_member_limit" => "每人限用次数",
        other => other,
    }
}

impl Invalid {
    /// What is wrong, in a language (English is the `Display` text).
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Invalid::EmptyId => "编号为空".into(),
            Invalid::Negative(f) => format!("{}不能为负数", field_zh(f)),
            Invalid::TooLarge(f) => format!("{}过大", field_zh(f)),
            Invalid::NotPositive(f) => format!("{}必须大于零", field_zh(f)),
            Invalid::Zero(f) => format!("{}不能为零", field_zh(f)),
            Invalid::PercentOver100 { field, .. } => format!("{}超过 100%", field_zh(field)),
            Invalid::ZeroPercent(f) => format!("{}为零，不优惠任何金额", field_zh(f)),
            Invalid::NoTiers => "没有满减档位".into(),
            Invalid::TiersNotIncreasing(n) => format!("第 {n} 档的门槛和减免都须高于上一档"),
            Invalid::OffOverSpend => "减免金额超过门槛金额".into(),
            Invalid::EmptyBundle => "组合中没有商品".into(),
            Invalid::RepeatedSku(sku) => format!("商品 {sku} 重复"),
            Invalid::UnknownSku(sku) => format!("商品 {sku} 不在商品目录中"),
            Invalid::EmptyScope => "适用范围为空".into(),
            Invalid::EndBeforeStart => "结束时间须晚于开始时间".into(),
            Invalid::BadHours => "每日时段须在 0 到 1440 分钟之间，且不能为空".into(),
            Invalid::BadWeekday(d) => format!("星期 {d} 无效（应为 1 星期一 到 7 星期日）"),
            Invalid::EmptyGroup => "优惠券分组为空".into(),
        }
    }
}

impl ConfigError {
    /// Why the configuration is refused, in a language (English is the `Display` text).
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            ConfigError::Promotion { id, problem } => format!("促销 {id}：{}", problem.message(lang)),
            ConfigError::Coupon { id, problem } => format!("优惠券 {id}：{}", problem.message(lang)),
            ConfigError::ExclusiveOverlap { first, second } => format!("促销 {first} 和 {second} 都不与其他优惠同享，且可能同时覆盖相同商品"),
            ConfigError::DuplicateId(id) => format!("编号 {id} 已被其他促销或优惠券使用"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shelf_labels_name_the_offer_on_the_product() {
        use crate::promo::{BundleItem, MemberPrice, Tier, Window};
        let promo = |kind: PromoKind| Promotion { id: "p".into(), kind, window: Window::between(0, 1_000), exclusive: false, stack_group: None, priority: 0, members_only: false };
        let drinks = Scope::Categories(vec!["drinks".into()]);
        let cases: Vec<(PromoKind, Option<&str>, Option<&str>)> = vec![
            (PromoKind::PercentOff { scope: drinks.clone(), percent_bp: 1500 }, Some("8.5折"), Some("15% off")),
            (PromoKind::FixedPrice { scope: Scope::Skus(vec!["COLA".into()]), price: 250 }, Some("特价 ¥2.50"), Some("Special price ¥2.50")),
            (PromoKind::BuyGet { scope: Scope::All, buy: 2, get: 1 }, Some("买2送1"), Some("Buy 2 get 1 free")),
            (PromoKind::Bundle { items: vec![BundleItem { sku: "COLA".into(), qty: 2 }, BundleItem { sku: "CHIPS".into(), qty: 1 }], price: 900 }, Some("组合价 ¥9"), Some("Bundle for ¥9")),
            (
                PromoKind::MemberPrice { prices: vec![MemberPrice { sku: "COLA".into(), tier: None, price: 320 }, MemberPrice { sku: "COLA".into(), tier: Some("gold".into()), price: 300 }] },
                Some("会员价 ¥3"),
                Some("Member price ¥3"),
            ),
            (PromoKind::Threshold { scope: drinks, rule: crate::promo::ThresholdRule::Tiers(vec![Tier { spend: 10_000, off: 2_000 }, Tier { spend: 20_000, off: 5_000 }]) }, Some("满100减20"), Some("Spend ¥100, save ¥20")),
            (PromoKind::PercentOff { scope: Scope::Brands(vec!["Nongfu".into()]), percent_bp: 1000 }, None, None),
        ];
        for (kind, zh, en) in cases {
            let p = promo(kind);
            let text = |lang| p.label_text("COLA", "drinks", Some("Coca-Cola"), Currency::CNY, lang);
            assert_eq!((text(Lang::Zh).as_deref(), text(Lang::En).as_deref()), (zh, en), "{:?}", p.kind);
        }
        assert!(promo(PromoKind::BuyGet { scope: Scope::All, buy: 1, get: 1 }).is_running(999, 480));
        assert!(!promo(PromoKind::BuyGet { scope: Scope::All, buy: 1, get: 1 }).is_running(1_000, 480), "the end is exclusive");
    }

    #[test]
    fn numbers_as_on_posters() {
        assert_eq!(short(10_000, Currency::CNY), "100");
        assert_eq!(short(9_950, Currency::CNY), "99.50");
        let cases = [
            (1500, "8.5", "15"),
            (2000, "8", "20"),
            (1250, "8.75", "12.5"),
            (5, "9.995", "0.05"),
            (10_000, "0", "100"),
        ];
        for (bp, z, p) in cases {
            assert_eq!((zhe(bp).as_str(), pct(bp).as_str()), (z, p), "{bp}");
        }
    }

    #[test]
    fn coupons_windows_and_refusals_in_both_languages() {
        use crate::promo::{CouponUses, DailyHours, Window, WindowState};
        let coupon = Coupon { id: "C".into(), kind: CouponKind::Percent { percent_bp: 1000, spend: 5_000, max_off: None }, scope: Scope::All, window: Window::between(0, 1), group: "g".into(), stackable: false, exclusive: false, uses: CouponUses::Single, per_member_limit: None };
        assert_eq!((coupon.label_text(Currency::CNY, Lang::Zh), coupon.label_text(Currency::CNY, Lang::En)), ("9折券，满50可用".to_string(), "10% off coupon, on ¥50 or more".to_string()));
        // 2026-11-23 is a Monday; 09:30 in Shanghai is 01:30 UTC.
        let monday_0930 = 1_795_397_400_000;
        let mut window = Window::between(monday_0930 - 1, monday_0930 + 1);
        let at = |w: &Window, ms: i64| w.state_at(ms, 480);
        assert_eq!((at(&window, monday_0930 - 2), at(&window, monday_0930), at(&window, monday_0930 + 1)), (WindowState::NotStarted, WindowState::Running, WindowState::Ended));
        window.weekdays = vec![6, 7];
        assert_eq!(at(&window, monday_0930), WindowState::OtherWeekday);
        window.weekdays = vec![1];
        window.daily = Some(DailyHours { from_minute: 18 * 60, to_minute: 21 * 60 });
        assert_eq!(at(&window, monday_0930).name(), "outside_hours");
        let refused = ConfigError::Promotion { id: "P".into(), problem: Invalid::PercentOver100 { field: "percent_bp", value: 12_000 } };
        assert_eq!(refused.message(Lang::En), "promotion `P`: percent_bp is 12000 basis points, more than 100 %");
        assert_eq!(refused.message(Lang::Zh), "促销 P：折扣超过 100%");
    }
}
