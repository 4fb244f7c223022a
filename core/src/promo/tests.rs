use expect_test::{Expect, expect};
use proptest::prelude::*;

use super::eval::{Problem as Job, Selection};
use super::*;
use crate::i18n::Lang;
use crate::money::{Currency, Money};
use crate::rounding::{RoundingMode, div_round};

/// 2026-11-22 09:30 in Shanghai, a Sunday.
const NOW: i64 = 1_795_311_000_000;
const DAY: i64 = 86_400_000;

/// SKU, Chinese name, category, brand, price per piece or per kg, weighed.
type CatalogRow = (&'static str, &'static str, &'static str, Option<&'static str>, i64, bool);

const CATALOG: &[CatalogRow] = &[
    ("WATER", "农夫山泉 550ml", "drinks", Some("农夫山泉"), 200, false),
    ("COKE", "可口可乐 330ml", "drinks", Some("可口可乐"), 350, false),
    ("SPRITE", "雪碧 330ml", "drinks", Some("可口可乐"), 350, false),
    ("MILK12", "蒙牛纯牛奶 250ml ×12", "dairy", Some("蒙牛"), 6000, false),
    ("YOGURT", "伊利安慕希 205g", "dairy", Some("伊利"), 650, false),
    ("CHIPS", "乐事薯片 原味 70g", "snacks", Some("乐事"), 790, false),
    ("NOODLE", "康师傅红烧牛肉面", "snacks", Some("康师傅"), 450, false),
    ("RICE", "五常大米 5kg", "grain", Some("五常"), 8990, false),
    ("APPLE", "苹果", "fruit", None, 1298, true),
    ("BANANA", "香蕉", "fruit", None, 698, true),
];

fn facts(sku: &str) -> Option<SkuFacts> {
    CATALOG.iter().find(|c| c.0 == sku).map(|c| SkuFacts { category: c.2.into(), brand: c.3.map(Into::into) })
}

fn name(sku: &str) -> &'static str {
    CATALOG.iter().find(|c| c.0 == sku).map_or("?", |c| c.1)
}

/// Parses `COKE x3; APPLE 1234g` into lines priced from the catalog.
fn basket(spec: &str) -> Vec<PromoLine> {
    spec.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(line_idx, item)| {
            let (sku, qty) = item.split_once(' ').expect("SKU and quantity");
            let &(sku, _, category, brand, price, weighed) = CATALOG.iter().find(|c| c.0 == sku).expect("known SKU");
            let qty: i64 = qty.trim_start_matches('x').trim_end_matches('g').parse().expect("quantity");
            let gross = if weighed { div_round(i128::from(price) * i128::from(qty), 1000, RoundingMode::HalfUp) as i64 } else { price * qty };
            PromoLine { line_idx, sku: sku.into(), category: category.into(), brand: brand.map(Into::into), unit_price: price, qty, weighed, gross }
        })
        .collect()
}

fn always() -> Window {
    Window::between(NOW - 30 * DAY, NOW + 30 * DAY)
}

fn promo(id: &str, kind: PromoKind) -> Promotion {
    Promotion { id: id.into(), kind, window: always(), exclusive: false, stack_group: None, priority: 0, members_only: false }
}

fn coupon(id: &str, group: &str, kind: CouponKind) -> Coupon {
    Coupon { id: id.into(), kind, scope: Scope::All, window: always(), group: group.into(), stackable: false, exclusive: false, uses: CouponUses::Single, per_member_limit: None }
}

fn skus(list: &[&str]) -> Scope {
    Scope::Skus(list.iter().map(|s| s.to_string()).collect())
}

fn category(c: &str) -> Scope {
    Scope::Categories(vec![c.into()])
}

fn tiers(list: &[(i64, i64)]) -> ThresholdRule {
    ThresholdRule::Tiers(list.iter().map(|&(spend, off)| Tier { spend, off }).collect())
}

fn threshold(id: &str, scope: Scope, rule: ThresholdRule) -> Promotion {
    promo(id, PromoKind::Threshold { scope, rule })
}

struct Case {
    basket: &'static str,
    promotions: Vec<Promotion>,
    coupons: Vec<Coupon>,
    ctx: PricingContext,
}

impl Case {
    fn new(basket: &'static str) -> Case {
        Case { basket, promotions: Vec::new(), coupons: Vec::new(), ctx: PricingContext::new(NOW, 480) }
    }
    fn promo(mut self, p: Promotion) -> Case {
        self.promotions.push(p);
        self
    }
    fn coupon(mut self, c: Coupon) -> Case {
        self.coupons.push(c);
        self
    }
    fn present(mut self, id: &str, times_used: u32, member_times_used: u32) -> Case {
        self.ctx.coupons.push(PresentedCoupon { coupon_id: id.into(), times_used, member_times_used });
        self
    }
    fn member(mut self, tier: Option<&str>) -> Case {
        self.ctx.member = Some(Member { id: "M001".into(), tier: tier.map(Into::into) });
        self
    }
    fn flash(mut self, id: &str, left: i64) -> Case {
        self.ctx.flash_remaining.insert(id.into(), left);
        self
    }
    fn at(mut self, now_ms: i64) -> Case {
        self.ctx.now_ms = now_ms;
        self
    }
}

fn money(minor: i64) -> String {
    Money::new(minor, Currency::CNY).plain()
}

/// Renders a pricing the way a receipt would list it, in both languages.
fn render(lines: &[PromoLine], pricing: &Pricing) -> String {
    let mut out = String::new();
    for (line, priced) in lines.iter().zip(&pricing.lines) {
        let qty = if line.weighed { format!("{}.{:03}kg", line.qty / 1000, line.qty % 1000) } else { format!("x{}", line.qty) };
        out += &format!("{} {} {qty}  {}", line.line_idx + 1, name(&line.sku), money(priced.gross));
        if priced.saving() != 0 {
            out += &format!("  -{} = {}", money(priced.saving()), money(priced.net));
        }
        out += "\n";
    }
    for applied in &pricing.applied {
        let stage = match applied.stage {
            Stage::Item => "item",
            Stage::Order => "order",
            Stage::Coupon => "coupon",
        };
        let touched: Vec<String> = applied.lines.iter().map(|s| format!("{}:{}", s.line_idx + 1, money(s.saving))).collect();
        out += &format!("{stage} {} {} | {}  -{}  [{}]\n", applied.offer.id(), applied.text(Lang::Zh), applied.text(Lang::En), money(applied.saving), touched.join(" "));
    }
    for refusal in &pricing.refused {
        out += &format!("refused {}: {} | {}\n", refusal.coupon_id, refusal.reason.text(Lang::Zh, Currency::CNY), refusal.reason.text(Lang::En, Currency::CNY));
    }
    out += &format!(
        "gross {}  saving {}  pay {}{}\n",
        money(pricing.gross),
        money(pricing.saving),
        money(pricing.total),
        if pricing.proven_optimal { "" } else { "  (not proven optimal)" }
    );
    out
}

fn check(case: Case, expect: Expect) {
    let set = PromotionSet::new(case.promotions, case.coupons, &facts).expect("valid configuration");
    let lines = basket(case.basket);
    let pricing = set.price(&lines, &case.ctx);
    assert_invariants(&lines, &pricing);
    expect.assert_eq(&render(&lines, &pricing));
}

fn assert_invariants(lines: &[PromoLine], pricing: &Pricing) {
    assert_eq!(pricing.lines.iter().map(LinePrice::saving).sum::<i64>(), pricing.saving);
    assert_eq!(pricing.applied.iter().map(|a| a.saving).sum::<i64>(), pricing.saving);
    for a in &pricing.applied {
        assert_eq!(a.lines.iter().map(|s| s.saving).sum::<i64>(), a.saving);
    }
    for (line, priced) in lines.iter().zip(&pricing.lines) {
        assert!(priced.net >= 0 && priced.net <= line.gross, "{priced:?}");
        assert!(priced.item_saving >= 0 && priced.order_saving >= 0 && priced.coupon_saving >= 0, "{priced:?}");
    }
    assert!(pricing.saving <= pricing.gross);
    assert!(pricing.upper_bound >= pricing.saving);
}

#[test]
fn spend_thresholds_take_the_highest_tier() {
    let mj = || threshold("MJ", Scope::All, tiers(&[(10_000, 2_000), (20_000, 5_000)]));
    check(Case::new("MILK12 x1; WATER x6; COKE x4; APPLE 1234g").promo(mj()), expect![[r#"
        1 蒙牛纯牛奶 250ml ×12 x1  60.00  -11.76 = 48.24
        2 农夫山泉 550ml x6  12.00  -2.35 = 9.65
        3 可口可乐 330ml x4  14.00  -2.75 = 11.25
        4 苹果 1.234kg  16.02  -3.14 = 12.88
        order MJ 满100减20 | Spend ¥100, save ¥20  -20.00  [1:11.76 2:2.35 3:2.75 4:3.14]
        gross 102.02  saving 20.00  pay 82.02
    "#]]);
    check(Case::new("MILK12 x3; COKE x6").promo(mj()), expect![[r#"
        1 蒙牛纯牛奶 250ml ×12 x3  180.00  -44.78 = 135.22
        2 可口可乐 330ml x6  21.00  -5.22 = 15.78
        order MJ 满200减50 | Spend ¥200, save ¥50  -50.00  [1:44.78 2:5.22]
        gross 201.00  saving 50.00  pay 151.00
    "#]]);
    check(Case::new("WATER x6; COKE x4").promo(mj()), expect![[r#"
        1 农夫山泉 550ml x6  12.00
        2 可口可乐 330ml x4  14.00
        gross 26.00  saving 0.00  pay 26.00
    "#]]);
}

#[test]
fn every_step_with_a_cap() {
    let every = || threshold("MJ-EVERY", category("grain"), ThresholdRule::Every { spend: 10_000, off: 2_000, max_off: Some(6_000) });
    // 2 bags = 179.80: one step. 5 bags = 449.50: four steps, capped at three.
    check(Case::new("RICE x2; COKE x2").promo(every()), expect![[r#"
        1 五常大米 5kg x2  179.80  -20.00 = 159.80
        2 可口可乐 330ml x2  7.00
        order MJ-EVERY 每满100减20，最高减60 | ¥20 off every ¥100, up to ¥60  -20.00  [1:20.00]
        gross 186.80  saving 20.00  pay 166.80
    "#]]);
    check(Case::new("RICE x5").promo(every()), expect![[r#"
        1 五常大米 5kg x5  449.50  -60.00 = 389.50
        order MJ-EVERY 每满100减20，最高减60 | ¥20 off every ¥100, up to ¥60  -60.00  [1:60.00]
        gross 449.50  saving 60.00  pay 389.50
    "#]]);
}

#[test]
fn item_discounts_then_spend_threshold() {
    // 8.5折 on drinks, then 满50减10 counted on what the drinks cost after the discount.
    check(
        Case::new("WATER x12; COKE x6; SPRITE x2; NOODLE x2")
            .promo(promo("DRINKS-85", PromoKind::PercentOff { scope: category("drinks"), percent_bp: 1500 }))
            .promo(threshold("MJ50", Scope::All, tiers(&[(5_000, 1_000)]))),
        expect![[r#"
            1 农夫山泉 550ml x12  24.00  -7.43 = 16.57
            2 可口可乐 330ml x6  21.00  -6.51 = 14.49
            3 雪碧 330ml x2  7.00  -2.17 = 4.83
            4 康师傅红烧牛肉面 x2  9.00  -1.69 = 7.31
            item DRINKS-85 8.5折 | 15% off  -7.80  [1:3.60 2:3.15 3:1.05]
            order MJ50 满50减10 | Spend ¥50, save ¥10  -10.00  [1:3.83 2:3.36 3:1.12 4:1.69]
            gross 61.00  saving 17.80  pay 43.20
        "#]],
    );
}

#[test]
fn gives_up_an_item_discount_to_reach_a_tier() {
    // Milk at 9折 saves 6.00 but drops the basket (104.70) under 满100减20; the customer
    // is better off with the 满减 alone.
    check(
        Case::new("MILK12 x1; CHIPS x3; COKE x6")
            .promo(promo("MILK-9", PromoKind::PercentOff { scope: skus(&["MILK12"]), percent_bp: 1000 }))
            .promo(threshold("MJ100", Scope::All, tiers(&[(10_000, 2_000)]))),
        expect![[r#"
            1 蒙牛纯牛奶 250ml ×12 x1  60.00  -11.46 = 48.54
            2 乐事薯片 原味 70g x3  23.70  -4.53 = 19.17
            3 可口可乐 330ml x6  21.00  -4.01 = 16.99
            order MJ100 满100减20 | Spend ¥100, save ¥20  -20.00  [1:11.46 2:4.53 3:4.01]
            gross 104.70  saving 20.00  pay 84.70
        "#]],
    );
}

#[test]
fn buy_n_get_m_frees_the_cheapest() {
    let b2g1 = || promo("DRINKS-B2G1", PromoKind::BuyGet { scope: category("drinks"), buy: 2, get: 1 });
    check(Case::new("COKE x2; WATER x1").promo(b2g1()), expect![[r#"
        1 可口可乐 330ml x2  7.00
        2 农夫山泉 550ml x1  2.00  -2.00 = 0.00
        item DRINKS-B2G1 买2送1 | Buy 2 get 1 free  -2.00  [1:0.00 2:2.00]
        gross 9.00  saving 2.00  pay 7.00
    "#]]);
    // Six drinks: two free, the two cheapest (water).
    check(Case::new("COKE x3; SPRITE x1; WATER x2").promo(b2g1()), expect![[r#"
        1 可口可乐 330ml x3  10.50
        2 雪碧 330ml x1  3.50
        3 农夫山泉 550ml x2  4.00  -4.00 = 0.00
        item DRINKS-B2G1 买2送1 | Buy 2 get 1 free  -4.00  [1:0.00 2:0.00 3:4.00]
        gross 18.00  saving 4.00  pay 14.00
    "#]]);
    // BOGO is buy 1 get 1. Weighed fruit never takes a pieces promotion.
    check(
        Case::new("COKE x4; APPLE 1500g")
            .promo(promo("COKE-BOGO", PromoKind::BuyGet { scope: skus(&["COKE"]), buy: 1, get: 1 }))
            .promo(promo("FRUIT-B1G1", PromoKind::BuyGet { scope: category("fruit"), buy: 1, get: 1 })),
        expect![[r#"
            1 可口可乐 330ml x4  14.00  -7.00 = 7.00
            2 苹果 1.500kg  19.47
            item COKE-BOGO 买1送1 | Buy 1 get 1 free  -7.00  [1:7.00]
            gross 33.47  saving 7.00  pay 26.47
        "#]],
    );
}

#[test]
fn one_line_can_complete_many_pools() {
    // Six BOGO promotions on the same two drinks: the second line decided is the last
    // line of all six pools at once.
    let mut case = Case::new("COKE x2; SPRITE x2");
    for i in 0..6 {
        case = case.promo(promo(&format!("BOGO{i}"), PromoKind::BuyGet { scope: skus(&["COKE", "SPRITE"]), buy: 1, get: 1 }));
    }
    check(case, expect![[r#"
        1 可口可乐 330ml x2  7.00  -7.00 = 0.00
        2 雪碧 330ml x2  7.00
        item BOGO0 买1送1 | Buy 1 get 1 free  -7.00  [1:7.00 2:0.00]
        gross 14.00  saving 7.00  pay 7.00
    "#]]);
}

#[test]
fn lines_past_the_limit_get_no_promotion() {
    let set = PromotionSet::new(vec![promo("ALL-9", PromoKind::PercentOff { scope: Scope::All, percent_bp: 1000 })], vec![], &facts).unwrap();
    let one = basket("COKE x1").remove(0);
    let lines: Vec<PromoLine> = (0..MAX_PROMO_LINES + 2).map(|i| PromoLine { line_idx: i, ..one.clone() }).collect();
    let pricing = set.price(&lines, &PricingContext::new(NOW, 480));
    assert_eq!(pricing.lines.len(), lines.len());
    assert_eq!(pricing.saving, 35 * MAX_PROMO_LINES as i64);
    assert_eq!(pricing.gross, 350 * lines.len() as i64);
    assert_eq!(pricing.total, pricing.gross - pricing.saving);
    assert_eq!(pricing.lines.last().unwrap().net, 350);
    assert_invariants(&lines, &pricing);
}

#[test]
fn bundles_and_member_prices() {
    // 可乐 + 薯片 for 10.00 (11.40 apart): two sets.
    let bundle = || promo("COMBO", PromoKind::Bundle { items: vec![BundleItem { sku: "COKE".into(), qty: 1 }, BundleItem { sku: "CHIPS".into(), qty: 1 }], price: 1_000 });
    check(Case::new("COKE x3; CHIPS x2").promo(bundle()), expect![[r#"
        1 可口可乐 330ml x3  10.50  -0.86 = 9.64
        2 乐事薯片 原味 70g x2  15.80  -1.94 = 13.86
        item COMBO 组合价 ¥10 | Bundle for ¥10  -2.80  [1:0.86 2:1.94]
        gross 26.30  saving 2.80  pay 23.50
    "#]]);
    let member = || {
        Promotion {
            members_only: true,
            ..promo(
                "MEMBER",
                PromoKind::MemberPrice {
                    prices: vec![
                        MemberPrice { sku: "MILK12".into(), tier: None, price: 5_500 },
                        MemberPrice { sku: "MILK12".into(), tier: Some("gold".into()), price: 5_200 },
                        MemberPrice { sku: "APPLE".into(), tier: None, price: 998 },
                    ],
                },
            )
        }
    };
    check(Case::new("MILK12 x2; APPLE 1500g").promo(member()), expect![[r#"
        1 蒙牛纯牛奶 250ml ×12 x2  120.00
        2 苹果 1.500kg  19.47
        gross 139.47  saving 0.00  pay 139.47
    "#]]);
    check(Case::new("MILK12 x2; APPLE 1500g").promo(member()).member(None), expect![[r#"
        1 蒙牛纯牛奶 250ml ×12 x2  120.00  -10.00 = 110.00
        2 苹果 1.500kg  19.47  -4.50 = 14.97
        item MEMBER 会员价 | Member price  -14.50  [1:10.00 2:4.50]
        gross 139.47  saving 14.50  pay 124.97
    "#]]);
    check(Case::new("MILK12 x2; APPLE 1500g").promo(member()).member(Some("gold")), expect![[r#"
        1 蒙牛纯牛奶 250ml ×12 x2  120.00  -16.00 = 104.00
        2 苹果 1.500kg  19.47  -4.50 = 14.97
        item MEMBER 会员价 | Member price  -20.50  [1:16.00 2:4.50]
        gross 139.47  saving 20.50  pay 118.97
    "#]]);
}

#[test]
fn flash_sales_never_grant_more_than_remain() {
    let flash = || {
        Promotion {
            window: Window { daily: Some(DailyHours { from_minute: 9 * 60, to_minute: 12 * 60 }), ..always() },
            ..promo("FLASH-COKE", PromoKind::FlashSale { scope: skus(&["COKE"]), price: 199, cap: 500, per_order_limit: Some(4) })
        }
    };
    // Two left: two pieces at 1.99.
    check(Case::new("COKE x6").promo(flash()).flash("FLASH-COKE", 2), expect![[r#"
        1 可口可乐 330ml x6  21.00  -3.02 = 17.98
        item FLASH-COKE 限时抢购 ¥1.99 | Flash sale ¥1.99  -3.02  [1:3.02]
        gross 21.00  saving 3.02  pay 17.98
    "#]]);
    // Plenty left, but four per order.
    check(Case::new("COKE x6").promo(flash()).flash("FLASH-COKE", 300), expect![[r#"
        1 可口可乐 330ml x6  21.00  -6.04 = 14.96
        item FLASH-COKE 限时抢购 ¥1.99 | Flash sale ¥1.99  -6.04  [1:6.04]
        gross 21.00  saving 6.04  pay 14.96
    "#]]);
    // The caller said nothing about what is left: nothing granted.
    check(Case::new("COKE x6").promo(flash()), expect![[r#"
        1 可口可乐 330ml x6  21.00
        gross 21.00  saving 0.00  pay 21.00
    "#]]);
    // 08:30, before the daily window.
    check(Case::new("COKE x6").promo(flash()).flash("FLASH-COKE", 300).at(NOW - 3_600_000), expect![[r#"
        1 可口可乐 330ml x6  21.00
        gross 21.00  saving 0.00  pay 21.00
    "#]]);
}

#[test]
fn exclusive_and_stacking_groups() {
    // An exclusive 特价 on rice keeps the rice out of 满减: 特价 saves 20.00 and leaves 63.50
    // for the 满减 (nothing); the 满减 on everything (243.30) saves 30.00, so it wins.
    let special = Promotion { exclusive: true, ..promo("RICE-SPECIAL", PromoKind::FixedPrice { scope: skus(&["RICE"]), price: 7_990 }) };
    let mj = || threshold("MJ", Scope::All, tiers(&[(10_000, 1_500), (20_000, 3_000)]));
    check(Case::new("RICE x2; MILK12 x1; COKE x1").promo(special.clone()).promo(mj()), expect![[r#"
        1 五常大米 5kg x2  179.80  -22.17 = 157.63
        2 蒙牛纯牛奶 250ml ×12 x1  60.00  -7.40 = 52.60
        3 可口可乐 330ml x1  3.50  -0.43 = 3.07
        order MJ 满200减30 | Spend ¥200, save ¥30  -30.00  [1:22.17 2:7.40 3:0.43]
        gross 243.30  saving 30.00  pay 213.30
    "#]]);
    // With a cheaper special the exclusive one wins on rice, and the rest still reaches 满100.
    let special = Promotion { kind: PromoKind::FixedPrice { scope: skus(&["RICE"]), price: 5_990 }, ..special };
    check(Case::new("RICE x2; MILK12 x2").promo(special).promo(mj()), expect![[r#"
        1 五常大米 5kg x2  179.80  -60.00 = 119.80
        2 蒙牛纯牛奶 250ml ×12 x2  120.00  -15.00 = 105.00
        item RICE-SPECIAL 特价 ¥59.90 | Special price ¥59.90  -60.00  [1:60.00]
        order MJ 满100减15 | Spend ¥100, save ¥15  -15.00  [2:15.00]
        gross 299.80  saving 75.00  pay 224.80
    "#]]);
    // Same stacking group: the 特价 yogurt does not count toward this 满减 (milk and chips
    // alone still reach it).
    let group = Some("clearance".to_string());
    check(
        Case::new("MILK12 x1; YOGURT x10; CHIPS x6")
            .promo(Promotion { stack_group: group.clone(), ..promo("YOGURT-SPECIAL", PromoKind::FixedPrice { scope: skus(&["YOGURT"]), price: 500 }) })
            .promo(Promotion { stack_group: group, ..threshold("MJ-CLEARANCE", Scope::All, tiers(&[(10_000, 1_000)])) }),
        expect![[r#"
            1 蒙牛纯牛奶 250ml ×12 x1  60.00  -5.59 = 54.41
            2 伊利安慕希 205g x10  65.00  -15.00 = 50.00
            3 乐事薯片 原味 70g x6  47.40  -4.41 = 42.99
            item YOGURT-SPECIAL 特价 ¥5 | Special price ¥5  -15.00  [2:15.00]
            order MJ-CLEARANCE 满100减10 | Spend ¥100, save ¥10  -10.00  [1:5.59 3:4.41]
            gross 172.40  saving 25.00  pay 147.40
        "#]],
    );
    // Two 满减 of the default group on overlapping scopes: only the better one.
    check(
        Case::new("WATER x24; COKE x12; CHIPS x2")
            .promo(threshold("MJ-ALL", Scope::All, tiers(&[(5_000, 500)])))
            .promo(threshold("MJ-DRINKS", category("drinks"), tiers(&[(5_000, 800)]))),
        expect![[r#"
            1 农夫山泉 550ml x24  48.00  -4.27 = 43.73
            2 可口可乐 330ml x12  42.00  -3.73 = 38.27
            3 乐事薯片 原味 70g x2  15.80
            order MJ-DRINKS 满50减8 | Spend ¥50, save ¥8  -8.00  [1:4.27 2:3.73]
            gross 105.80  saving 8.00  pay 97.80
        "#]],
    );
}

#[test]
fn coupons_are_presented_checked_and_chosen() {
    let coupons = || {
        vec![
            coupon("CASH5", "store", CouponKind::Cash { off: 500 }),
            coupon("MJ100-15", "store", CouponKind::Threshold { spend: 10_000, off: 1_500 }),
            Coupon { scope: category("dairy"), stackable: true, ..coupon("DAIRY-9", "brand", CouponKind::Percent { percent_bp: 1000, spend: 0, max_off: Some(1_000) }) },
            Coupon { scope: category("drinks"), stackable: true, ..coupon("DRINKS-2", "brand", CouponKind::Cash { off: 200 }) },
            Coupon { window: Window::between(NOW - 30 * DAY, NOW - DAY), ..coupon("OLD", "store", CouponKind::Cash { off: 1_000 }) },
            Coupon { uses: CouponUses::Limited(3), per_member_limit: Some(1), ..coupon("WELCOME", "welcome", CouponKind::Cash { off: 800 }) },
            coupon("MJ300-50", "store", CouponKind::Threshold { spend: 30_000, off: 5_000 }),
        ]
    };
    let mut case = Case::new("MILK12 x2; COKE x6; CHIPS x1").promo(threshold("MJ", Scope::All, tiers(&[(10_000, 1_000)])));
    for c in coupons() {
        case = case.coupon(c);
    }
    // One store coupon (the better one), both stackable brand coupons; the rest refused.
    let case = case
        .member(None)
        .present("CASH5", 0, 0)
        .present("MJ100-15", 0, 0)
        .present("DAIRY-9", 0, 0)
        .present("DRINKS-2", 0, 0)
        .present("OLD", 0, 0)
        .present("WELCOME", 1, 1)
        .present("MJ300-50", 0, 0)
        .present("NOPE", 0, 0)
        .present("CASH5", 0, 0);
    check(case, expect![[r#"
        1 蒙牛纯牛奶 250ml ×12 x2  120.00  -30.11 = 89.89
        2 可口可乐 330ml x6  21.00  -5.49 = 15.51
        3 乐事薯片 原味 70g x1  7.90  -1.40 = 6.50
        order MJ 满100减10 | Spend ¥100, save ¥10  -10.00  [1:8.06 2:1.41 3:0.53]
        coupon DAIRY-9 9折券，最高减10 | 10% off coupon, up to ¥10  -10.00  [1:10.00]
        coupon DRINKS-2 2元无门槛券 | ¥2 coupon  -2.00  [2:2.00]
        coupon MJ100-15 满100减15券 | Coupon: spend ¥100, save ¥15  -15.00  [1:12.05 2:2.08 3:0.87]
        refused CASH5: 重复出示 | presented twice
        refused CASH5: 其他优惠更划算 | a better combination does without it
        refused OLD: 不在有效期内 | not valid now
        refused WELCOME: 已达每人限用次数 | member limit reached
        refused MJ300-50: 未满300 | spend ¥300.00 to use
        refused NOPE: 无此优惠券 | no such coupon
        gross 148.90  saving 37.00  pay 111.90
    "#]]);
    // Without a member the per-member coupon is refused; a used single-use coupon too.
    let mut case = Case::new("MILK12 x2").present("WELCOME", 0, 0).present("CASH5", 1, 0);
    for c in coupons() {
        case = case.coupon(c);
    }
    check(case, expect![[r#"
        1 蒙牛纯牛奶 250ml ×12 x2  120.00
        refused WELCOME: 需会员使用 | needs a member
        refused CASH5: 已用完 | already used up
        gross 120.00  saving 0.00  pay 120.00
    "#]]);
}

#[test]
fn exclusive_coupon_stands_alone() {
    // The exclusive 15 % coupon leaves out the discounted cola and rules out the 满减:
    // 4.20 + 15 % of 149.90 beats 15 % of everything (25.64) and 4.20 + 满150减10.
    check(
        Case::new("MILK12 x1; RICE x1; COKE x6")
            .promo(promo("COKE-8", PromoKind::PercentOff { scope: skus(&["COKE"]), percent_bp: 2000 }))
            .promo(threshold("MJ", Scope::All, tiers(&[(15_000, 1_000)])))
            .coupon(Coupon { exclusive: true, ..coupon("VIP-15", "vip", CouponKind::Percent { percent_bp: 1500, spend: 0, max_off: None }) })
            .present("VIP-15", 0, 0),
        expect![[r#"
            1 蒙牛纯牛奶 250ml ×12 x1  60.00  -9.00 = 51.00
            2 五常大米 5kg x1  89.90  -13.49 = 76.41
            3 可口可乐 330ml x6  21.00  -4.20 = 16.80
            item COKE-8 8折 | 20% off  -4.20  [3:4.20]
            coupon VIP-15 8.5折券 | 15% off coupon  -22.49  [1:9.00 2:13.49]
            gross 170.90  saving 26.69  pay 144.21
        "#]],
    );
}

#[test]
fn weekdays_and_members_only() {
    let weekend = || Promotion {
        window: Window { weekdays: vec![6, 7], ..always() },
        ..promo("WEEKEND-FRUIT", PromoKind::PercentOff { scope: category("fruit"), percent_bp: 2000 })
    };
    let members = || Promotion { members_only: true, ..promo("MEMBER-SNACKS", PromoKind::PercentOff { scope: category("snacks"), percent_bp: 1000 }) };
    // Sunday: the fruit discount runs; no member, so no snack discount.
    check(Case::new("APPLE 2345g; BANANA 800g; CHIPS x2").promo(weekend()).promo(members()), expect![[r#"
        1 苹果 2.345kg  30.44  -6.09 = 24.35
        2 香蕉 0.800kg  5.58  -1.12 = 4.46
        3 乐事薯片 原味 70g x2  15.80
        item WEEKEND-FRUIT 8折 | 20% off  -7.21  [1:6.09 2:1.12]
        gross 51.82  saving 7.21  pay 44.61
    "#]]);
    // Monday, with a member.
    check(Case::new("APPLE 2345g; BANANA 800g; CHIPS x2").promo(weekend()).promo(members()).member(None).at(NOW + DAY), expect![[r#"
        1 苹果 2.345kg  30.44
        2 香蕉 0.800kg  5.58
        3 乐事薯片 原味 70g x2  15.80  -1.58 = 14.22
        item MEMBER-SNACKS 9折 | 10% off  -1.58  [3:1.58]
        gross 51.82  saving 1.58  pay 50.24
    "#]]);
}

#[test]
fn lines_come_from_a_basket() {
    use crate::basket::Basket;
    use crate::catalog::{Product, Unit};
    use crate::role::{Actor, Role};
    use crate::tax::{TaxMode, TaxRate};
    let product = |sku: &str, price: i64, unit: Unit| Product {
        sku: sku.into(),
        barcodes: vec![],
        name: sku.into(),
        name_zh: name(sku).into(),
        category: facts(sku).unwrap().category,
        tags: vec![],
        unit,
        price_minor: price,
        tax_rate: TaxRate(1300),
        parent_sku: None,
        specs: vec![],
    };
    let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
    basket.add(&product("COKE", 350, Unit::Each), 3).unwrap();
    basket.add(&product("APPLE", 1298, Unit::Kg), 1234).unwrap();
    basket.add(&product("MILK12", 6000, Unit::Each), 1).unwrap();
    basket.add(&product("RICE", 8990, Unit::Each), 1).unwrap();
    let boss = Actor { user_id: "s1".into(), role: Role::Supervisor };
    basket.override_price(2, 5000, &boss).unwrap();
    basket.void_line(3).unwrap();
    let lines = PromoLine::from_basket(&basket, |item| facts(&item.sku).and_then(|f| f.brand));
    let shown: Vec<String> = lines.iter().map(|l| format!("{} {} {:?} {} {} {}", l.line_idx, l.sku, l.brand, l.qty, l.weighed, l.gross)).collect();
    expect![[r#"
        0 COKE Some("可口可乐") 3 false 1050
        1 APPLE None 1234 true 1602"#]].assert_eq(&shown.join("\n"));
}

/// Renders what `PromotionSet::new` says about each configuration.
fn check_configs(cases: Vec<(&str, Vec<Promotion>, Vec<Coupon>)>, expect: Expect) {
    let mut out = String::new();
    for (what, promotions, coupons) in cases {
        let verdict = match PromotionSet::new(promotions, coupons, &facts) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        out += &format!("{what}: {verdict}\n");
    }
    expect.assert_eq(&out);
}

#[test]
fn bad_configurations_are_refused() {
    let pct = |id: &str, scope: Scope, bp: u32| promo(id, PromoKind::PercentOff { scope, percent_bp: bp });
    let excl = |p: Promotion| Promotion { exclusive: true, ..p };
    let next_month = Window::between(NOW + 40 * DAY, NOW + 50 * DAY);
    let morning = Window { daily: Some(DailyHours { from_minute: 8 * 60, to_minute: 12 * 60 }), ..always() };
    let evening = Window { daily: Some(DailyHours { from_minute: 18 * 60, to_minute: 22 * 60 }), ..always() };
    let night = Window { daily: Some(DailyHours { from_minute: 21 * 60, to_minute: 9 * 60 }), ..always() };
    let bundle = |items: &[(&str, i64)], price| promo("B", PromoKind::Bundle { items: items.iter().map(|&(sku, qty)| BundleItem { sku: sku.into(), qty }).collect(), price });
    check_configs(
        vec![
            ("a sensible set", vec![pct("P1", category("drinks"), 1500), threshold("MJ", Scope::All, tiers(&[(10_000, 2_000), (20_000, 5_000)]))], vec![coupon("C1", "store", CouponKind::Cash { off: 500 })]),
            ("exclusive on the same SKU, same time", vec![excl(pct("P1", skus(&["COKE", "WATER"]), 1000)), excl(pct("P2", skus(&["COKE"]), 2000))], vec![]),
            ("exclusive on the same SKU, next month", vec![excl(pct("P1", skus(&["COKE"]), 1000)), Promotion { window: next_month, ..excl(pct("P2", skus(&["COKE"]), 2000)) }], vec![]),
            ("exclusive SKU inside an exclusive category", vec![excl(pct("P1", skus(&["COKE"]), 1000)), excl(pct("P2", category("drinks"), 500))], vec![]),
            ("exclusive SKU outside an exclusive category", vec![excl(pct("P1", skus(&["RICE"]), 1000)), excl(pct("P2", category("drinks"), 500))], vec![]),
            ("exclusive 特价 and exclusive 满减 on everything", vec![excl(promo("S", PromoKind::FixedPrice { scope: skus(&["MILK12"]), price: 5_000 })), excl(threshold("MJ", Scope::All, tiers(&[(10_000, 1_000)])))], vec![]),
            ("exclusive, morning and evening", vec![Promotion { window: morning.clone(), ..excl(pct("P1", skus(&["COKE"]), 1000)) }, Promotion { window: evening.clone(), ..excl(pct("P2", skus(&["COKE"]), 2000)) }], vec![]),
            ("exclusive, evening and overnight", vec![Promotion { window: evening, ..excl(pct("P1", skus(&["COKE"]), 1000)) }, Promotion { window: night, ..excl(pct("P2", skus(&["COKE"]), 2000)) }], vec![]),
            ("negative coupon", vec![], vec![coupon("C1", "store", CouponKind::Cash { off: -500 })]),
            ("negative 满减 off", vec![threshold("MJ", Scope::All, tiers(&[(10_000, -100)]))], vec![]),
            ("negative special price", vec![promo("S", PromoKind::FixedPrice { scope: skus(&["COKE"]), price: -1 })], vec![]),
            ("negative member price", vec![promo("M", PromoKind::MemberPrice { prices: vec![MemberPrice { sku: "COKE".into(), tier: None, price: -300 }] })], vec![]),
            ("110 % off", vec![pct("P1", Scope::All, 11_000)], vec![]),
            ("110 % off coupon", vec![], vec![coupon("C1", "store", CouponKind::Percent { percent_bp: 11_000, spend: 0, max_off: None })]),
            ("0 % off", vec![pct("P1", Scope::All, 0)], vec![]),
            ("tiers not increasing in spend", vec![threshold("MJ", Scope::All, tiers(&[(20_000, 3_000), (10_000, 5_000)]))], vec![]),
            ("tiers not increasing in off", vec![threshold("MJ", Scope::All, tiers(&[(10_000, 3_000), (20_000, 3_000)]))], vec![]),
            ("no tiers", vec![threshold("MJ", Scope::All, tiers(&[]))], vec![]),
            ("满100减120", vec![threshold("MJ", Scope::All, tiers(&[(10_000, 12_000)]))], vec![]),
            ("每满0减20", vec![threshold("MJ", Scope::All, ThresholdRule::Every { spend: 0, off: 2_000, max_off: None })], vec![]),
            ("bundle of nothing", vec![bundle(&[], 1_000)], vec![]),
            ("bundle with an unknown SKU", vec![bundle(&[("COKE", 1), ("PEPSI", 1)], 1_000)], vec![]),
            ("bundle with a SKU twice", vec![bundle(&[("COKE", 1), ("COKE", 2)], 1_000)], vec![]),
            ("bundle of zero pieces", vec![bundle(&[("COKE", 0)], 1_000)], vec![]),
            ("buy 0 get 1", vec![promo("BG", PromoKind::BuyGet { scope: Scope::All, buy: 0, get: 1 })], vec![]),
            ("buy 2 get 0", vec![promo("BG", PromoKind::BuyGet { scope: Scope::All, buy: 2, get: 0 })], vec![]),
            ("ends before it starts", vec![Promotion { window: Window::between(NOW, NOW - DAY), ..pct("P1", Scope::All, 1000) }], vec![]),
            ("coupon ends when it starts", vec![], vec![Coupon { window: Window::between(NOW, NOW), ..coupon("C1", "store", CouponKind::Cash { off: 500 }) }]),
            ("weekday 8", vec![Promotion { window: Window { weekdays: vec![1, 8], ..always() }, ..pct("P1", Scope::All, 1000) }], vec![]),
            ("hours 25:00", vec![Promotion { window: Window { daily: Some(DailyHours { from_minute: 60, to_minute: 1500 }), ..always() }, ..pct("P1", Scope::All, 1000) }], vec![]),
            ("empty SKU list", vec![pct("P1", Scope::Skus(vec![]), 1000)], vec![]),
            ("flash sale of nothing", vec![promo("F", PromoKind::FlashSale { scope: Scope::All, price: 100, cap: 0, per_order_limit: None })], vec![]),
            ("one id twice", vec![pct("X", Scope::All, 1000)], vec![coupon("X", "store", CouponKind::Cash { off: 500 })]),
            ("coupon without a group", vec![], vec![coupon("C1", "", CouponKind::Cash { off: 500 })]),
            ("coupon usable zero times", vec![], vec![Coupon { uses: CouponUses::Limited(0), ..coupon("C1", "store", CouponKind::Cash { off: 500 }) }]),
        ],
        expect![[r#"
            a sensible set: ok
            exclusive on the same SKU, same time: promotions `P1` and `P2` are both exclusive and can cover the same products at the same time
            exclusive on the same SKU, next month: ok
            exclusive SKU inside an exclusive category: promotions `P1` and `P2` are both exclusive and can cover the same products at the same time
            exclusive SKU outside an exclusive category: ok
            exclusive 特价 and exclusive 满减 on everything: promotions `S` and `MJ` are both exclusive and can cover the same products at the same time
            exclusive, morning and evening: ok
            exclusive, evening and overnight: promotions `P1` and `P2` are both exclusive and can cover the same products at the same time
            negative coupon: coupon `C1`: off is negative
            negative 满减 off: promotion `MJ`: off is negative
            negative special price: promotion `S`: price is negative
            negative member price: promotion `M`: price is negative
            110 % off: promotion `P1`: percent_bp is 11000 basis points, more than 100 %
            110 % off coupon: coupon `C1`: percent_bp is 11000 basis points, more than 100 %
            0 % off: promotion `P1`: percent_bp is zero: the discount takes nothing off
            tiers not increasing in spend: promotion `MJ`: tier 2 does not spend more and take off more than the tier before it
            tiers not increasing in off: promotion `MJ`: tier 2 does not spend more and take off more than the tier before it
            no tiers: promotion `MJ`: no tiers
            满100减120: promotion `MJ`: takes off more than the spend that earns it
            每满0减20: promotion `MJ`: spend must be more than zero
            bundle of nothing: promotion `B`: the bundle lists no SKUs
            bundle with an unknown SKU: promotion `B`: SKU `PEPSI` is not in the catalog
            bundle with a SKU twice: promotion `B`: SKU `COKE` is listed twice
            bundle of zero pieces: promotion `B`: qty must be more than zero
            buy 0 get 1: promotion `BG`: buy is zero
            buy 2 get 0: promotion `BG`: get is zero
            ends before it starts: promotion `P1`: does not end after it starts
            coupon ends when it starts: coupon `C1`: does not end after it starts
            weekday 8: promotion `P1`: weekday 8 is not 1 (Monday) to 7 (Sunday)
            hours 25:00: promotion `P1`: daily hours must be minutes 0 to 1440 and not empty
            empty SKU list: promotion `P1`: the scope lists nothing
            flash sale of nothing: promotion `F`: cap must be more than zero
            one id twice: the id `X` is used twice
            coupon without a group: coupon `C1`: the coupon group is empty
            coupon usable zero times: coupon `C1`: uses is zero
        "#]],
    );
}

#[test]
fn configurations_round_trip_as_documents() {
    let set = vec![
        Promotion { stack_group: Some("clearance".into()), priority: 2, ..threshold("MJ", category("drinks"), tiers(&[(10_000, 2_000), (20_000, 5_000)])) },
        promo("B2G1", PromoKind::BuyGet { scope: Scope::Brands(vec!["可口可乐".into()]), buy: 2, get: 1 }),
    ];
    let json = serde_json::to_string(&set).unwrap();
    let back: Vec<Promotion> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, set);
    let c = coupon("C", "store", CouponKind::Percent { percent_bp: 1000, spend: 0, max_off: Some(2_000) });
    assert_eq!(serde_json::from_str::<Coupon>(&serde_json::to_string(&c).unwrap()).unwrap(), c);
}

// Property tests: the optimiser against an exhaustive search on small random baskets.

const PROP_SKUS: [(&str, &str, Option<&str>); 6] =
    [("S0", "c0", Some("b0")), ("S1", "c0", Some("b1")), ("S2", "c1", Some("b0")), ("S3", "c1", None), ("S4", "c2", Some("b1")), ("S5", "c2", Some("b0"))];

fn prop_facts(sku: &str) -> Option<SkuFacts> {
    PROP_SKUS.iter().find(|s| s.0 == sku).map(|s| SkuFacts { category: s.1.into(), brand: s.2.map(Into::into) })
}

fn arb_lines() -> impl Strategy<Value = Vec<PromoLine>> {
    // Up to five lines of distinct SKUs; the last SKU is sold by weight.
    (prop::sample::subsequence((0..6usize).collect::<Vec<_>>(), 1..=5), prop::collection::vec((1i64..3_000, 1i64..7, 100i64..2_500), 5)).prop_map(|(picked, values)| {
        picked
            .into_iter()
            .zip(values)
            .enumerate()
            .map(|(line_idx, (s, (price, pieces, grams)))| {
                let (sku, category, brand) = PROP_SKUS[s];
                let weighed = s == 5;
                let qty = if weighed { grams } else { pieces };
                let gross = if weighed { div_round(i128::from(price) * i128::from(qty), 1000, RoundingMode::HalfUp) as i64 } else { price * qty };
                PromoLine { line_idx, sku: sku.into(), category: category.into(), brand: brand.map(Into::into), unit_price: price, qty, weighed, gross }
            })
            .collect()
    })
}

fn arb_scope() -> impl Strategy<Value = Scope> {
    prop_oneof![
        2 => Just(Scope::All),
        3 => prop::sample::subsequence(vec!["S0", "S1", "S2", "S3", "S4", "S5"], 1..=3).prop_map(|v| Scope::Skus(v.into_iter().map(String::from).collect())),
        2 => prop::sample::select(vec!["c0", "c1", "c2"]).prop_map(|c| Scope::Categories(vec![c.into()])),
        1 => prop::sample::select(vec!["b0", "b1"]).prop_map(|b| Scope::Brands(vec![b.into()])),
    ]
}

fn arb_rule() -> impl Strategy<Value = ThresholdRule> {
    prop_oneof![
        prop::collection::vec((200i64..4_000, 1i64..100), 1..=3).prop_map(|steps| {
            let (mut spend, mut off) = (0, 0);
            ThresholdRule::Tiers(
                steps
                    .into_iter()
                    .map(|(ds, pct)| {
                        off += (ds * pct / 100).max(1);
                        spend += ds;
                        Tier { spend, off }
                    })
                    .collect(),
            )
        }),
        (200i64..3_000, 1i64..100, prop::option::of(1i64..3_000)).prop_map(|(spend, pct, max_off)| ThresholdRule::Every { spend, off: (spend * pct / 100).max(1), max_off }),
    ]
}

fn arb_kind() -> impl Strategy<Value = PromoKind> {
    let sku = || prop::sample::select(vec!["S0", "S1", "S2", "S3", "S4", "S5"]).prop_map(String::from);
    prop_oneof![
        1 => (arb_scope(), 1u32..=10_000).prop_map(|(scope, percent_bp)| PromoKind::PercentOff { scope, percent_bp }),
        1 => (arb_scope(), 0i64..2_000).prop_map(|(scope, price)| PromoKind::FixedPrice { scope, price }),
        1 => prop::collection::vec((sku(), prop::option::of(prop::sample::select(vec!["gold", "silver"])), 0i64..2_000), 1..=3)
            .prop_map(|v| PromoKind::MemberPrice { prices: v.into_iter().map(|(sku, tier, price)| MemberPrice { sku, tier: tier.map(String::from), price }).collect() }),
        1 => (arb_scope(), 1u32..=3, 1u32..=2).prop_map(|(scope, buy, get)| PromoKind::BuyGet { scope, buy, get }),
        1 => (prop::sample::subsequence(vec!["S0", "S1", "S2", "S3", "S4", "S5"], 1..=2), 1i64..=2, 50i64..4_000)
            .prop_map(|(skus, qty, price)| PromoKind::Bundle { items: skus.into_iter().map(|s| BundleItem { sku: s.into(), qty }).collect(), price }),
        1 => (arb_scope(), 0i64..1_500, 1i64..10, prop::option::of(1i64..5)).prop_map(|(scope, price, cap, per_order_limit)| PromoKind::FlashSale { scope, price, cap, per_order_limit }),
        2 => (arb_scope(), arb_rule()).prop_map(|(scope, rule)| PromoKind::Threshold { scope, rule }),
    ]
}

fn arb_window() -> impl Strategy<Value = Window> {
    prop_oneof![9 => Just(always()), 1 => Just(Window::between(NOW + DAY, NOW + 2 * DAY))]
}

fn arb_promotion() -> impl Strategy<Value = Promotion> {
    (arb_kind(), arb_window(), prop::bool::weighted(0.2), prop::sample::select(vec![None, None, Some("g")]), 0i32..3, prop::bool::weighted(0.1)).prop_map(
        |(kind, window, exclusive, group, priority, members_only)| Promotion { id: String::new(), kind, window, exclusive, stack_group: group.map(String::from), priority, members_only },
    )
}

fn arb_coupon() -> impl Strategy<Value = (Coupon, u32, u32)> {
    let kind = prop_oneof![
        (1i64..2_000).prop_map(|off| CouponKind::Cash { off }),
        (100i64..6_000, 1i64..100).prop_map(|(spend, pct)| CouponKind::Threshold { spend, off: (spend * pct / 100).max(1) }),
        (1u32..=10_000, prop::sample::select(vec![0i64, 0, 1_000, 3_000]), prop::option::of(1i64..2_000)).prop_map(|(percent_bp, spend, max_off)| CouponKind::Percent { percent_bp, spend, max_off }),
    ];
    let uses = prop::sample::select(vec![CouponUses::Single, CouponUses::Limited(2), CouponUses::Unlimited]);
    (kind, arb_scope(), arb_window(), prop::sample::select(vec!["g1", "g2"]), prop::bool::ANY, prop::bool::weighted(0.2), uses, prop::option::of(1u32..=2), prop::sample::select(vec![0u32, 0, 0, 1, 2]), prop::sample::select(vec![0u32, 0, 1]))
        .prop_map(|(kind, scope, window, group, stackable, exclusive, uses, per_member_limit, times_used, member_times_used)| {
            (Coupon { id: String::new(), kind, scope, window, group: group.into(), stackable, exclusive, uses, per_member_limit }, times_used, member_times_used)
        })
}

/// A random valid promotion set, the context and the lines.
fn arb_case() -> impl Strategy<Value = (PromotionSet, PricingContext, Vec<PromoLine>)> {
    (
        prop::collection::vec(arb_promotion(), 2..=6),
        prop::collection::vec(arb_coupon(), 0..=3),
        arb_lines(),
        prop::option::of(prop::option::of(prop::sample::select(vec!["gold", "silver"]))),
        prop::collection::vec(prop::option::of(0i64..8), 6),
    )
        .prop_map(|(mut promotions, coupons, lines, member, flash)| {
            for (i, p) in promotions.iter_mut().enumerate() {
                p.id = format!("P{i}");
            }
            let mut ctx = PricingContext::new(NOW, 480);
            ctx.member = member.map(|tier| Member { id: "M1".into(), tier: tier.map(String::from) });
            for (p, left) in promotions.iter().zip(flash) {
                if let (PromoKind::FlashSale { .. }, Some(left)) = (&p.kind, left) {
                    ctx.flash_remaining.insert(p.id.clone(), left);
                }
            }
            let coupons: Vec<Coupon> = coupons
                .into_iter()
                .enumerate()
                .map(|(i, (mut c, used, member_used))| {
                    c.id = format!("C{i}");
                    ctx.coupons.push(PresentedCoupon { coupon_id: c.id.clone(), times_used: used, member_times_used: member_used });
                    c
                })
                .collect();
            // Overlapping exclusive promotions are refused; keep the first of each pair exclusive.
            let set = loop {
                match PromotionSet::new(promotions.clone(), coupons.clone(), &prop_facts) {
                    Ok(set) => break set,
                    Err(ConfigError::ExclusiveOverlap { second, .. }) => promotions.iter_mut().filter(|p| p.id == second).for_each(|p| p.exclusive = false),
                    Err(e) => panic!("generator made a bad configuration: {e}"),
                }
            };
            (set, ctx, lines)
        })
}

/// Every assignment of item promotions to lines (or none) times every set of order-level
/// offers the rules allow; the best saving and one selection achieving it.
fn exhaustive(job: &Job) -> (i64, Selection) {
    let n = job.lines.len();
    let item_options: Vec<Vec<Option<u32>>> = (0..n)
        .map(|pos| {
            std::iter::once(None)
                .chain((0..job.set.promotions.len() as u32).filter(|&p| !job.set.promotions[p as usize].kind.is_order_level() && job.item_eligible(p, pos)).map(Some))
                .collect()
        })
        .collect();
    let m = job.order.len();
    let subsets: Vec<Vec<u32>> = (0u32..1 << m)
        .map(|bits| (0..m as u32).filter(|i| bits & (1 << i) != 0).collect::<Vec<u32>>())
        .filter(|set| set.iter().enumerate().all(|(k, &a)| set[k + 1..].iter().all(|&b| !job.conflict(a as usize, b as usize))))
        .collect();
    let mut best = (0, Selection { item: vec![None; n], order: Vec::new() });
    let mut digits = vec![0usize; n];
    loop {
        let item: Vec<Option<u32>> = (0..n).map(|i| item_options[i][digits[i]]).collect();
        for order in &subsets {
            let selection = Selection { item: item.clone(), order: order.clone() };
            let total = job.evaluate(&selection).total;
            if total > best.0 {
                best = (total, selection);
            }
        }
        let mut i = 0;
        loop {
            if i == n {
                return best;
            }
            digits[i] += 1;
            if digits[i] < item_options[i].len() {
                break;
            }
            digits[i] = 0;
            i += 1;
        }
    }
}

fn cases() -> u32 {
    if std::env::var_os("RUN_SLOW_TESTS").is_some() { 3_000 } else { 200 }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn optimiser_matches_exhaustive_search((set, ctx, lines) in arb_case()) {
        let oracle_job = Job::new(&set, &lines, &ctx, true);
        let (best, best_selection) = exhaustive(&oracle_job);
        prop_assert!(oracle_job.allowed(&best_selection).is_ok());

        let job = Job::new(&set, &lines, &ctx, false);
        let searched = super::search::optimise(&job, DEFAULT_WORK_LIMIT);
        prop_assert!(searched.proven, "small baskets never exhaust the search budget");
        let allowed = job.allowed(&searched.selection);
        prop_assert!(allowed.is_ok(), "{:?}", allowed);
        let pricing = set.price(&lines, &ctx);
        prop_assert_eq!(pricing.saving, best, "optimiser {:?} vs exhaustive {:?}", searched.selection, best_selection);
        prop_assert_eq!(pricing.upper_bound, best);
        assert_invariants(&lines, &pricing);

        // With little or no search budget: still an allowed combination (the first is the
        // greedy one), and the reported bound really bounds the optimum.
        for limit in [0, 5, 40] {
            let early = set.price_with_limit(&lines, &ctx, limit);
            assert_invariants(&lines, &early);
            prop_assert!(early.saving <= best && early.upper_bound >= best, "budget {}: {} ≤ {} ≤ {}", limit, early.saving, best, early.upper_bound);
            prop_assert!(early.proven_optimal || early.work > limit);
            let searched = super::search::optimise(&job, limit);
            prop_assert!(job.allowed(&searched.selection).is_ok());
        }
    }

    #[test]
    fn any_allowed_selection_keeps_lines_whole((set, ctx, lines) in arb_case(), picks in prop::collection::vec(0usize..8, 5), order_bits in 0u32..512) {
        // Whatever allowed combination is priced: no line below zero, shares add up,
        // saving at most the gross.
        let job = Job::new(&set, &lines, &ctx, true);
        let item: Vec<Option<u32>> = (0..lines.len())
            .map(|pos| {
                let options: Vec<u32> = (0..set.promotions.len() as u32).filter(|&p| !set.promotions[p as usize].kind.is_order_level() && job.item_eligible(p, pos)).collect();
                let pick = picks[pos] % (options.len() + 1);
                options.get(pick).copied()
            })
            .collect();
        let mut order: Vec<u32> = Vec::new();
        for o in 0..job.order.len() as u32 {
            if order_bits & (1 << o) != 0 && order.iter().all(|&a| !job.conflict(a as usize, o as usize)) {
                order.push(o);
            }
        }
        let selection = Selection { item, order };
        prop_assert!(job.allowed(&selection).is_ok());
        let outcome = job.evaluate(&selection);
        let gross: i64 = lines.iter().map(|l| l.gross).sum();
        prop_assert!(outcome.total <= gross);
        for (i, line) in lines.iter().enumerate() {
            let saving = outcome.item[i] + outcome.order[i] + outcome.coupon[i];
            prop_assert!(outcome.item[i] >= 0 && outcome.order[i] >= 0 && outcome.coupon[i] >= 0);
            prop_assert!(saving <= line.gross, "line {} saves {} of {}", i, saving, line.gross);
        }
        let shares: i64 = outcome.applied.iter().flat_map(|a| a.lines.iter().map(|l| l.1)).sum();
        prop_assert_eq!(shares, outcome.total);
    }
}
