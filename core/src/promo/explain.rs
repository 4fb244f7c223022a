//! What each offer is called on a receipt, in zh-CN and English: `满100减20` /
//! `Spend ¥100, save ¥20`, `8.5折` / `15% off`, `买2送1` / `Buy 2 get 1 free`.

use crate::i18n::{Label, Lang};
use crate::money::{Currency, Money};

use super::config::{CouponKind, Moment, PromoKind, Promotion, Scope, ThresholdRule};
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
    let s = |m: i64| short(m, cur);
    let y = |m: i64| with_symbol(m, cur);
    match offer {
        OfferRef::Promotion(p) => {
            describe_promotion(&problem.set.promotions[p as usize].kind, base, cur, lang)
        }
        OfferRef::Coupon(c) => match &problem.set.coupons[c as usize].kind {
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
        },
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
}
