//! `opentill-bench-promo`: how long pricing a basket against the store's promotions takes.
//! Generates a 5,000-SKU catalog (50 categories, 250 brands, fruit and meat sold by
//! weight), 500 active promotions of every kind and 20 coupons, then prices 2,000 random
//! 50-line baskets, each with 0 to 3 of the coupons presented (all 20 with
//! `--all-coupons`) and a member on every other basket.
//! Baseline in the same run, on the same baskets: `Basket::totals()` without promotions.
//!
//! ```text
//! cargo build --release -p opentill-bench --bin opentill-bench-promo
//! $CARGO_TARGET_DIR/release/opentill-bench-promo [--baskets 2000] [--lines 50] [--seed 2026] [--all-coupons] [--work N] [--skip-check] [--json target/bench/promo.json]
//! ```
//!
//! `--work` sets the optimiser's budget (default `DEFAULT_WORK_LIMIT`); `--skip-check`
//! skips solving the unproven baskets again.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use opentill_core::basket::Basket;
use opentill_core::catalog::{Product, Unit};
use opentill_core::money::Currency;
use opentill_core::promo::{
    BundleItem, Coupon, CouponKind, CouponUses, DailyHours, Member, MemberPrice, PresentedCoupon, PricingContext, PromoKind, PromoLine, Promotion, PromotionSet, Scope, SkuFacts,
    ThresholdRule, Tier, Window,
};
use opentill_core::tax::{TaxMode, TaxRate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// 2026-11-22 09:30 in Shanghai.
const NOW: i64 = 1_795_311_000_000;
const DAY: i64 = 86_400_000;
const N_SKUS: usize = 5_000;
const N_CATEGORIES: usize = 50;
/// Categories 0 to 2 (fruit, vegetables, meat) are sold by weight.
const WEIGHED_CATEGORIES: usize = 3;

struct Catalog {
    products: Vec<Product>,
    brands: Vec<String>,
    /// Cumulative popularity weights, for drawing SKUs the way shoppers do.
    popularity: Vec<f64>,
}

impl Catalog {
    fn generate(rng: &mut StdRng) -> Catalog {
        let mut products = Vec::with_capacity(N_SKUS);
        let mut brands = Vec::with_capacity(N_SKUS);
        for i in 0..N_SKUS {
            let category = i % N_CATEGORIES;
            let weighed = category < WEIGHED_CATEGORIES;
            // Log-uniform shelf prices from ¥1 to ¥200 (per kg for weighed products).
            let price = (100.0 * 200f64.powf(rng.gen_range(0.0..1.0))) as i64;
            products.push(Product {
                sku: format!("SKU{i:05}"),
                barcodes: vec![],
                name: format!("Product {i}"),
                name_zh: format!("商品{i}"),
                category: format!("C{category:02}"),
                tags: vec![],
                unit: if weighed { Unit::Kg } else { Unit::Each },
                price_minor: price,
                tax_rate: TaxRate(1300),
                parent_sku: None,
                specs: vec![],
            });
            brands.push(format!("B{:03}", category * 5 + (i / N_CATEGORIES) % 5));
        }
        let mut total = 0.0;
        let popularity = (0..N_SKUS)
            .map(|rank| {
                total += 1.0 / (rank as f64 + 20.0);
                total
            })
            .collect();
        Catalog { products, brands, popularity }
    }

    /// Any SKU, uniformly: what a promotion is put on.
    fn any(&self, rng: &mut StdRng) -> usize {
        rng.gen_range(0..N_SKUS)
    }

    fn any_each(&self, rng: &mut StdRng) -> usize {
        loop {
            let i = self.any(rng);
            if self.products[i].unit == Unit::Each {
                return i;
            }
        }
    }

    /// A SKU index, popular ones more often: what a shopper takes.
    fn draw(&self, rng: &mut StdRng) -> usize {
        let x = rng.gen_range(0.0..*self.popularity.last().unwrap());
        self.popularity.partition_point(|&c| c < x).min(N_SKUS - 1)
    }

    fn facts(&self, sku: &str) -> Option<SkuFacts> {
        let i: usize = sku.strip_prefix("SKU")?.parse().ok()?;
        let p = self.products.get(i)?;
        Some(SkuFacts { category: p.category.clone(), brand: Some(self.brands[i].clone()) })
    }
}

/// A window open at `NOW` (Sunday 09:30), some narrowed to hours or weekend days, so the
/// engine checks them all.
fn window(rng: &mut StdRng) -> Window {
    let mut w = Window::between(NOW - rng.gen_range(1..30) * DAY, NOW + rng.gen_range(1..30) * DAY);
    match rng.gen_range(0..10) {
        0 => w.daily = Some(DailyHours { from_minute: 8 * 60, to_minute: 22 * 60 }),
        1 => w.weekdays = vec![6, 7],
        2 => w.daily = Some(DailyHours { from_minute: 9 * 60, to_minute: 11 * 60 }),
        _ => {}
    }
    w
}

fn promotions(catalog: &Catalog, rng: &mut StdRng) -> Vec<Promotion> {
    let mut out = Vec::new();
    let sku = |i: usize| catalog.products[i].sku.clone();
    let price = |i: usize| catalog.products[i].price_minor;
    let category = |rng: &mut StdRng| format!("C{:02}", rng.gen_range(0..N_CATEGORIES));
    let brand = |rng: &mut StdRng| format!("B{:03}", rng.gen_range(0..N_CATEGORIES * 5));
    let push = |out: &mut Vec<Promotion>, kind: PromoKind, rng: &mut StdRng| {
        let id = format!("P{:03}", out.len());
        out.push(Promotion { id, kind, window: window(rng), exclusive: false, stack_group: None, priority: rng.gen_range(0..3), members_only: rng.gen_bool(0.05) });
    };
    // Exclusive specials on SKUs of their own (disjoint), so the set validates.
    let mut exclusive_skus: Vec<usize> = (0..N_SKUS).filter(|&i| catalog.products[i].unit == Unit::Each).step_by(97).collect();
    for n in 0..174 {
        let scope = match n {
            0..=7 => Scope::Categories(vec![category(rng)]),
            8..=13 => Scope::Brands(vec![brand(rng)]),
            _ => Scope::Skus((0..rng.gen_range(1..=5)).map(|_| sku(catalog.any(rng))).collect()),
        };
        push(&mut out, PromoKind::PercentOff { scope, percent_bp: rng.gen_range(5..=30) * 100 }, rng);
    }
    for _ in 0..100 {
        let first = catalog.any(rng);
        let mut skus = vec![sku(first)];
        skus.extend((0..rng.gen_range(0..=2)).map(|_| sku(catalog.any(rng))));
        push(&mut out, PromoKind::FixedPrice { scope: Scope::Skus(skus), price: price(first) * rng.gen_range(70..=95) / 100 }, rng);
    }
    for _ in 0..10 {
        let i = exclusive_skus.pop().expect("enough reserved SKUs");
        push(&mut out, PromoKind::FixedPrice { scope: Scope::Skus(vec![sku(i)]), price: price(i) * 60 / 100 }, rng);
        out.last_mut().unwrap().exclusive = true;
    }
    for _ in 0..30 {
        let prices = (0..rng.gen_range(10..=30))
            .flat_map(|_| {
                let i = catalog.any(rng);
                let mut v = vec![MemberPrice { sku: sku(i), tier: None, price: price(i) * 92 / 100 }];
                if rng.gen_bool(0.3) {
                    v.push(MemberPrice { sku: sku(i), tier: Some("gold".into()), price: price(i) * 85 / 100 });
                }
                v
            })
            .collect();
        push(&mut out, PromoKind::MemberPrice { prices }, rng);
        out.last_mut().unwrap().members_only = true;
    }
    for _ in 0..60 {
        let scope = match rng.gen_range(0..30) {
            0..=25 => Scope::Skus((0..rng.gen_range(1..=3)).map(|_| sku(catalog.any_each(rng))).collect()),
            26..=28 => Scope::Brands(vec![brand(rng)]),
            _ => Scope::Categories(vec![format!("C{:02}", rng.gen_range(WEIGHED_CATEGORIES..N_CATEGORIES))]),
        };
        push(&mut out, PromoKind::BuyGet { scope, buy: rng.gen_range(1..=3), get: 1 }, rng);
    }
    for _ in 0..40 {
        let items: Vec<BundleItem> = {
            let mut picked: Vec<usize> = Vec::new();
            while picked.len() < rng.gen_range(2..=3) {
                let i = catalog.any_each(rng);
                if !picked.contains(&i) {
                    picked.push(i);
                }
            }
            picked.into_iter().map(|i| BundleItem { sku: sku(i), qty: rng.gen_range(1..=2) }).collect()
        };
        let full: i64 = items.iter().map(|b| price(b.sku[3..].parse().unwrap()) * b.qty).sum();
        push(&mut out, PromoKind::Bundle { items, price: full * rng.gen_range(80..=90) / 100 }, rng);
    }
    for _ in 0..30 {
        let first = catalog.any_each(rng);
        push(&mut out, PromoKind::FlashSale { scope: Scope::Skus(vec![sku(first)]), price: price(first) * rng.gen_range(50..=70) / 100, cap: rng.gen_range(100..=500), per_order_limit: Some(rng.gen_range(2..=5)) }, rng);
    }
    // 满减: per category and brand, and four store-wide in two stacking groups.
    for n in 0..52 {
        let scope = if n < 12 { Scope::Brands(vec![brand(rng)]) } else { Scope::Categories(vec![category(rng)]) };
        let base = rng.gen_range(2..=10) * 1_000;
        let rule = if rng.gen_bool(0.8) {
            ThresholdRule::Tiers(vec![Tier { spend: base, off: base / 10 }, Tier { spend: 2 * base, off: base / 4 }, Tier { spend: 4 * base, off: base * 6 / 10 }])
        } else {
            ThresholdRule::Every { spend: base, off: base / 10, max_off: Some(base / 2) }
        };
        push(&mut out, PromoKind::Threshold { scope, rule }, rng);
    }
    for (n, group) in ["store", "store", "weekend", "weekend"].into_iter().enumerate() {
        let rule = ThresholdRule::Tiers(vec![Tier { spend: 10_000, off: 1_000 + 500 * n as i64 }, Tier { spend: 20_000, off: 2_500 + 500 * n as i64 }, Tier { spend: 40_000, off: 6_000 + 500 * n as i64 }]);
        push(&mut out, PromoKind::Threshold { scope: Scope::All, rule }, rng);
        let last = out.last_mut().unwrap();
        last.stack_group = Some(group.into());
        last.window = Window::between(NOW - DAY, NOW + DAY);
    }
    assert_eq!(out.len(), 500);
    out
}

fn coupons(rng: &mut StdRng) -> Vec<Coupon> {
    let base = |id: String, group: &str, kind: CouponKind, scope: Scope| Coupon {
        id,
        kind,
        scope,
        window: Window::between(NOW - 10 * DAY, NOW + 10 * DAY),
        group: group.into(),
        stackable: false,
        exclusive: false,
        uses: CouponUses::Single,
        per_member_limit: None,
    };
    let mut out = Vec::new();
    let store = [
        CouponKind::Cash { off: 500 },
        CouponKind::Cash { off: 1_000 },
        CouponKind::Threshold { spend: 10_000, off: 1_500 },
        CouponKind::Threshold { spend: 20_000, off: 3_000 },
        CouponKind::Threshold { spend: 50_000, off: 8_000 },
        CouponKind::Percent { percent_bp: 1_000, spend: 0, max_off: Some(2_000) },
        CouponKind::Percent { percent_bp: 500, spend: 5_000, max_off: None },
        CouponKind::Percent { percent_bp: 1_200, spend: 30_000, max_off: Some(5_000) },
    ];
    for (i, kind) in store.into_iter().enumerate() {
        out.push(base(format!("STORE{i}"), "store", kind, Scope::All));
    }
    for i in 0..6 {
        let scope = Scope::Categories(vec![format!("C{:02}", rng.gen_range(0..N_CATEGORIES))]);
        let kind = if i % 2 == 0 { CouponKind::Threshold { spend: 3_000, off: 500 } } else { CouponKind::Percent { percent_bp: 1_500, spend: 0, max_off: Some(1_500) } };
        let mut c = base(format!("CAT{i}"), "category", kind, scope);
        c.stackable = i < 4;
        out.push(c);
    }
    for i in 0..4 {
        let mut c = base(format!("BRAND{i}"), "brand", CouponKind::Cash { off: 300 }, Scope::Brands(vec![format!("B{:03}", rng.gen_range(0..N_CATEGORIES * 5))]));
        c.stackable = true;
        c.per_member_limit = Some(2);
        out.push(c);
    }
    for i in 0..2 {
        let mut c = base(format!("VIP{i}"), "vip", CouponKind::Percent { percent_bp: 1_500 + 500 * i as u32, spend: 0, max_off: Some(10_000) }, Scope::All);
        c.exclusive = true;
        c.uses = CouponUses::Unlimited;
        out.push(c);
    }
    out
}

fn basket(catalog: &Catalog, n_lines: usize, rng: &mut StdRng) -> Basket {
    let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
    let mut seen = std::collections::HashSet::new();
    while basket.lines.len() < n_lines {
        let i = catalog.draw(rng);
        if !seen.insert(i) {
            continue;
        }
        let product = &catalog.products[i];
        let qty = if product.unit == Unit::Kg { rng.gen_range(200..=1_500) } else { rng.gen_range(1..=3) };
        basket.add(product, qty).expect("a sane line");
    }
    basket
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let mut n_baskets = 2_000usize;
    let mut n_lines = 50usize;
    let mut seed = 2026u64;
    let mut out = PathBuf::from("target/bench/promo.json");
    let mut all_coupons = false;
    let mut check = true;
    let mut work = opentill_core::promo::DEFAULT_WORK_LIMIT;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--baskets" => n_baskets = args.next().context("--baskets N")?.parse()?,
            "--lines" => n_lines = args.next().context("--lines N")?.parse()?,
            "--seed" => seed = args.next().context("--seed N")?.parse()?,
            "--json" | "--out" => out = args.next().context("--json FILE")?.into(),
            "--all-coupons" => all_coupons = true,
            "--skip-check" => check = false,
            "--work" => work = args.next().context("--work N")?.parse()?,
            other => anyhow::bail!("unknown argument {other}; usage: opentill-bench-promo [--baskets N] [--lines N] [--seed N] [--all-coupons] [--work N] [--skip-check] [--json FILE]"),
        }
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let catalog = Catalog::generate(&mut rng);
    let promotions = promotions(&catalog, &mut rng);
    let coupons = coupons(&mut rng);
    let (n_promotions, n_coupons) = (promotions.len(), coupons.len());
    let started = Instant::now();
    let set = PromotionSet::new(promotions, coupons.clone(), &|sku| catalog.facts(sku)).context("the generated promotions validate")?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let baskets: Vec<Basket> = (0..n_baskets).map(|_| basket(&catalog, n_lines, &mut rng)).collect();
    let contexts: Vec<PricingContext> = (0..n_baskets)
        .map(|i| {
            let mut ctx = PricingContext::new(NOW, 480);
            if i % 2 == 0 {
                ctx.member = Some(Member { id: format!("M{i}"), tier: (i % 4 == 0).then(|| "gold".to_string()) });
            }
            // A shopper presents up to three of the 20 coupons; `--all-coupons` presents all.
            ctx.coupons = if all_coupons {
                coupons.iter().map(|c| PresentedCoupon::new(&c.id)).collect()
            } else {
                (0..rng.gen_range(0..=3)).map(|_| PresentedCoupon::new(&coupons[rng.gen_range(0..coupons.len())].id)).collect()
            };
            for p in set.promotions() {
                if let PromoKind::FlashSale { cap, .. } = &p.kind {
                    ctx.flash_remaining.insert(p.id.clone(), cap / 2);
                }
            }
            ctx
        })
        .collect();
    let brand_of = |item: &opentill_core::basket::LineItem| catalog.facts(&item.sku).and_then(|f| f.brand);

    // Warm up both paths once over every basket.
    let mut checksum = 0i64;
    for (b, ctx) in baskets.iter().zip(&contexts) {
        checksum += b.totals().total;
        checksum += set.price_with_limit(&PromoLine::from_basket(b, brand_of), ctx, work).saving;
    }

    let mut unproven = Vec::new();
    let mut baseline_us = Vec::with_capacity(n_baskets);
    let mut promo_us = Vec::with_capacity(n_baskets);
    let (mut proven, mut nodes, mut saving, mut gross, mut applied, mut worst_gap) = (0usize, 0u64, 0i64, 0i64, 0usize, 0i64);
    for (b, ctx) in baskets.iter().zip(&contexts) {
        let started = Instant::now();
        let totals = b.totals();
        baseline_us.push(started.elapsed().as_secs_f64() * 1e6);
        let started = Instant::now();
        let lines = PromoLine::from_basket(b, brand_of);
        let pricing = set.price_with_limit(&lines, ctx, work);
        promo_us.push(started.elapsed().as_secs_f64() * 1e6);
        checksum += totals.total + pricing.saving;
        proven += usize::from(pricing.proven_optimal);
        if !pricing.proven_optimal {
            unproven.push((lines, ctx, pricing.saving, pricing.upper_bound));
        }
        nodes += pricing.work;
        saving += pricing.saving;
        gross += pricing.gross;
        applied += pricing.applied.len();
        worst_gap = worst_gap.max(pricing.upper_bound - pricing.saving);
    }
    // Not timed: solve the baskets the default budget did not prove with a budget 1,000
    // times larger, to see how far the answer given at the till was from the optimum.
    let (mut matched, mut settled, mut worst_short, mut total_short) = (0usize, 0usize, 0i64, 0i64);
    for (lines, ctx, saving, bound) in unproven.iter().filter(|_| check) {
        let full = set.price_with_limit(lines, ctx, 1_000 * work);
        assert!(full.saving >= *saving && full.saving <= *bound, "the bound holds");
        if full.proven_optimal {
            settled += 1;
            matched += usize::from(full.saving == *saving);
            worst_short = worst_short.max(full.saving - saving);
            total_short += full.saving - saving;
        }
    }
    let mut sorted_base = baseline_us.clone();
    sorted_base.sort_by(f64::total_cmp);
    let mut sorted_promo = promo_us.clone();
    sorted_promo.sort_by(f64::total_cmp);
    let stats = |s: &[f64]| (percentile(s, 0.5), percentile(s, 0.99), *s.last().unwrap(), s.iter().sum::<f64>() / s.len() as f64);
    let (b50, b99, bmax, bmean) = stats(&sorted_base);
    let (p50, p99, pmax, pmean) = stats(&sorted_promo);

    let presented = if all_coupons { format!("all {n_coupons} coupons presented") } else { format!("{n_coupons} coupons, 0 to 3 presented") };
    println!("{n_baskets} baskets of {n_lines} lines, {n_promotions} promotions, {presented}, {N_SKUS} SKUs, work budget {work} (set built and checked in {load_ms:.1} ms)");
    println!();
    println!("| µs per basket | p50 | p99 | max | mean |");
    println!("|---|---:|---:|---:|---:|");
    println!("| `Basket::totals()` (baseline) | {b50:.1} | {b99:.1} | {bmax:.1} | {bmean:.1} |");
    println!("| **`PromoLine::from_basket` + `PromotionSet::price`** | {p50:.1} | {p99:.1} | {pmax:.1} | {pmean:.1} |");
    println!("| ratio | {:.1}× | {:.1}× | {:.1}× | {:.1}× |", p50 / b50, p99 / b99, pmax / bmax, pmean / bmean);
    println!();
    println!(
        "proven optimal within the budget: {proven}/{n_baskets}; mean search work: {:.0}; mean offers applied: {:.1}; saving {:.1} % of gross",
        nodes as f64 / n_baskets as f64,
        applied as f64 / n_baskets as f64,
        100.0 * saving as f64 / gross as f64
    );
    println!(
        "the {} not proven, solved again with 1,000× the budget: {settled} proven, of which {matched} were already optimal; shortfall of the budgeted answer: max {worst_short} fen, mean {:.1} fen; largest reported bound gap {worst_gap} fen",
        unproven.len(),
        if settled > 0 { total_short as f64 / settled as f64 } else { 0.0 }
    );
    println!("goal p99 ≤ 2,000 µs: {}", if p99 <= 2_000.0 { "met" } else { "NOT met" });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({
            "baskets": n_baskets, "lines": n_lines, "all_coupons_presented": all_coupons, "promotions": n_promotions, "coupons": n_coupons, "skus": N_SKUS, "seed": seed, "work_limit": work,
            "set_build_ms": load_ms,
            "baseline_us": {"p50": b50, "p99": b99, "max": bmax, "mean": bmean},
            "promo_us": {"p50": p50, "p99": p99, "max": pmax, "mean": pmean},
            "ratio": {"p50": p50 / b50, "p99": p99 / b99, "max": pmax / bmax, "mean": pmean / bmean},
            "proven_optimal": proven, "worst_gap_fen": worst_gap, "mean_work": nodes as f64 / n_baskets as f64,
            "unproven": unproven.len(), "unproven_settled": settled, "unproven_already_optimal": matched, "unproven_max_shortfall_fen": worst_short, "unproven_total_shortfall_fen": total_short,
            "mean_applied": applied as f64 / n_baskets as f64, "saving_share": saving as f64 / gross as f64, "checksum": checksum,
        }))?,
    )?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
