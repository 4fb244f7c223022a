use expect_test::{Expect, expect};

use super::*;
use crate::basket::{Basket, Discount};
use crate::catalog::Product;
use crate::refund::{RefundContext, plan_refund};
use crate::role::{Actor, Role};
use crate::rounding::CashRounding;
use crate::sale::{SaleContext, complete_sale};
use crate::tax::{TaxMode, TaxRate};
use crate::tender::{Tender, TenderKind};
use crate::time::parse_date_ms;

const SHANGHAI: i32 = 480;

fn product(sku: &str, name: &str, name_zh: &str, category: &str, price: i64, unit: Unit) -> Product {
    Product {
        sku: sku.into(),
        barcodes: vec![],
        name: name.into(),
        name_zh: name_zh.into(),
        category: category.into(),
        tags: vec![],
        unit,
        price_minor: price,
        tax_rate: TaxRate(1300),
        parent_sku: None,
        specs: vec![],
    }
}

fn catalog() -> Vec<Product> {
    vec![
        product("DRK-1", "Coca-Cola 330ml", "可口可乐 330ml", "drinks", 350, Unit::Each),
        product("SNK-1", "Lay's Chips 70g", "乐事薯片 70g", "snacks", 790, Unit::Each),
        product("DAI-1", "Yili Milk 250ml", "伊利纯牛奶 250ml", "dairy", 300, Unit::Each),
        product("PRD-1", "Banana", "香蕉", "produce", 698, Unit::Kg),
        product("INS-1", "Beef Noodles", "红烧牛肉面", "instant", 450, Unit::Each),
        product("OIL-1", "Peanut Oil 5L", "花生油 5L", "grocery", 8990, Unit::Each),
    ]
}

/// Local time in Shanghai, `2026-11-23 09:15`, as unix ms.
fn at(text: &str) -> i64 {
    let (date, time) = text.split_once(' ').unwrap();
    let (h, m) = time.split_once(':').unwrap();
    parse_date_ms(date, SHANGHAI).unwrap() + (h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()) * 60_000
}

fn sell(id: &str, cashier: &str, items: &[(&str, i64)], basket_off_bp: Option<u32>, tender: TenderKind) -> SaleRecord {
    let products = catalog();
    let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
    for (sku, qty) in items {
        basket.add(products.iter().find(|p| p.sku == *sku).unwrap(), *qty).unwrap();
    }
    if let Some(bp) = basket_off_bp {
        basket.discount_basket(Discount::Percent(bp), &Actor { user_id: "s01".into(), role: Role::Supervisor }).unwrap();
    }
    let amount = if tender == TenderKind::Cash { 100_000 } else { basket.totals().total };
    let ctx = SaleContext { sale_id: id.into(), shift_id: None, cashier: Some(cashier.into()) };
    complete_sale(&basket, &[Tender { kind: tender, amount, reference: None }], CashRounding::None, ctx).unwrap()
}

/// Five sales over two ISO weeks and a refund of one cola the next morning.
fn journal() -> Vec<(i64, Fact)> {
    let s1 = sell("S1", "c01", &[("DRK-1", 2), ("SNK-1", 1)], None, TenderKind::Cash); // 14.90
    let s2 = sell("S2", "c01", &[("PRD-1", 532)], None, TenderKind::MobilePay); // 0.532 kg: 3.71
    let s3 = sell("S3", "c02", &[("DAI-1", 4)], Some(1000), TenderKind::Card); // 12.00 - 10 % = 10.80
    let s4 = sell("S4", "c02", &[("DRK-1", 1), ("DAI-1", 2)], None, TenderKind::MobilePay); // 9.50
    let s5 = sell("S5", "c01", &[("INS-1", 1)], None, TenderKind::Cash); // 4.50, next week
    let r1 = plan_refund(&s1, &[], &[(0, Some(1))], RefundContext { refund_id: "R1".into(), shift_id: None, by: Some("s01".into()), restock: true }).unwrap();
    vec![
        (at("2026-11-23 09:15"), Fact::Sale(s1)),
        (at("2026-11-23 09:40"), Fact::Sale(s2)),
        (at("2026-11-23 14:05"), Fact::Sale(s3)),
        (at("2026-11-24 09:05"), Fact::Sale(s4)),
        (at("2026-11-24 11:00"), Fact::Refund(r1)),
        (at("2026-11-30 19:30"), Fact::Sale(s5)),
    ]
}

/// The report over the whole fixture, with 24 of every product (12.5 kg of bananas) in stock.
fn report(by: By, facts: &[(i64, Fact)]) -> Report {
    let items: Vec<CatalogItem> = catalog().into_iter().map(|p| CatalogItem { sku: p.sku, name: p.name, name_zh: p.name_zh, unit: p.unit, stock: if p.unit == Unit::Kg { 12_500 } else { 24 } }).collect();
    report_from_facts(by, facts.iter().map(|(ts, f)| (*ts, f)), SHANGHAI, Some("2026-11-23"), Some("2026-11-30"), &items, 10)
}

fn check(by: By, lang: Lang, expect: Expect) {
    expect.assert_eq(&report_text(&report(by, &journal()), Currency::CNY, lang));
}

#[test]
fn sold_and_refunded_lines() {
    let facts = journal();
    let (lines, tenders) = fold(facts.iter().map(|(ts, f)| (*ts, f)), SHANGHAI);
    let refund: Vec<&LineRow> = lines.iter().filter(|(idx, _)| *idx == 4).map(|(_, l)| l).collect();
    assert_eq!(refund.len(), 1);
    let r = refund[0];
    // One of two colas back: half the line's gross, on the day and hour of the refund,
    // kept in the sale's category and with the sale's cashier.
    assert_eq!((r.sku.as_str(), r.category.as_str(), r.cashier.as_str(), r.qty, r.items, r.tickets, r.gross, r.amount), ("DRK-1", "drinks", "c01", -1, -1, -1, -350, -350));
    assert_eq!((day_text(r.day), r.hour), ("2026-11-24".to_string(), 11));
    // The weighed banana counts one item; the sale's lines add up to its total.
    let banana = lines.iter().find(|(_, l)| l.sku == "PRD-1").unwrap();
    assert_eq!((banana.1.qty, banana.1.items, banana.1.amount), (532, 1, 371));
    let Fact::Sale(s3) = &facts[2].1 else { unreachable!() };
    assert_eq!(lines.iter().filter(|(idx, _)| *idx == 2).map(|(_, l)| l.amount).sum::<i64>(), s3.total);
    assert_eq!(tenders.iter().map(|(_, t)| t.amount).sum::<i64>(), 1490 + 371 + 1080 + 950 - 350 + 450);
}

#[test]
fn basket_value_and_items_per_basket() {
    let r = report(By::Basket, &journal());
    // Five sales, 3,991 fen net (4,341 sold, 350 refunded): 798.2 → 7.98 per basket.
    assert_eq!((r.total.n_sales, r.total.n_refunds, r.total.sales, r.total.refunds, r.total.net()), (5, 1, 4341, 350, 3991));
    assert_eq!(r.total.average_basket(), 798);
    // 2 + 1 + 1 + 4 + 3 + 1 - 1 = 11 items over 5 sales.
    assert_eq!((r.total.items, r.total.items_per_basket_x100()), (11, 220));
    check(
        By::Basket,
        Lang::Zh,
        expect![[r#"
            客单价与客单件数  2026-11-23 — 2026-11-30
            指标                    数值
            ----------------------------
            销售笔数                   5
            退款笔数                   1
            销售额                 43.41
            退款额                  3.50
            净额                   39.91
            净件数                    11
            客单价（净额/笔数）     7.98
            客单件数（件数/笔数）   2.20
        "#]],
    );
}

#[test]
fn by_hour_day_and_week() {
    check(
        By::Hour,
        Lang::En,
        expect![[r#"
            Sales by hour of day  2026-11-23 — 2026-11-30
            Hour   Sales  Refunds  Items   Sold  Refunded    Net  Avg basket
            ----------------------------------------------------------------
            09:00      3        0      7  28.11      0.00  28.11        9.37
            11:00      0        1     -1   0.00      3.50  -3.50        0.00
            14:00      1        0      4  10.80      0.00  10.80       10.80
            19:00      1        0      1   4.50      0.00   4.50        4.50
            ----------------------------------------------------------------
            Total      5        1     11  43.41      3.50  39.91        7.98
        "#]],
    );
    check(
        By::Day,
        Lang::En,
        expect![[r#"
            Sales by day  2026-11-23 — 2026-11-30
            Date        Sales  Refunds  Items   Sold  Refunded    Net  Avg basket
            ---------------------------------------------------------------------
            2026-11-23      3        0      8  29.41      0.00  29.41        9.80
            2026-11-24      1        1      2   9.50      3.50   6.00        6.00
            2026-11-30      1        0      1   4.50      0.00   4.50        4.50
            ---------------------------------------------------------------------
            Total           5        1     11  43.41      3.50  39.91        7.98
        "#]],
    );
    check(
        By::Week,
        Lang::Zh,
        expect![[r#"
            按周销售  2026-11-23 — 2026-11-30
            周        笔数  退款笔数  件数  销售额  退款额   净额  客单价
            -------------------------------------------------------------
            2026-W48     4         1    10   38.91    3.50  35.41    8.85
            2026-W49     1         0     1    4.50    0.00   4.50    4.50
            -------------------------------------------------------------
            合计         5         1    11   43.41    3.50  39.91    7.98
        "#]],
    );
}

#[test]
fn by_category_cashier_and_tender() {
    check(
        By::Category,
        Lang::En,
        expect![[r#"
            Sales by category  2026-11-23 — 2026-11-30
            Category  Items   Sold  Discounts  Refunded    Net   Share
            ----------------------------------------------------------
            dairy         6  16.80       1.20      0.00  16.80   42.1%
            snacks        1   7.90       0.00      0.00   7.90   19.8%
            drinks        2  10.50       0.00      3.50   7.00   17.5%
            instant       1   4.50       0.00      0.00   4.50   11.3%
            produce       1   3.71       0.00      0.00   3.71    9.3%
            ----------------------------------------------------------
            Total        11  43.41       1.20      3.50  39.91  100.0%
        "#]],
    );
    check(
        By::Cashier,
        Lang::En,
        expect![[r#"
            Sales by cashier  2026-11-23 — 2026-11-30
            Cashier  Sales  Refunds  Items   Sold  Refunded    Net  Avg basket
            ------------------------------------------------------------------
            c02          2        0      7  20.30      0.00  20.30       10.15
            c01          3        1      4  23.11      3.50  19.61        6.54
            ------------------------------------------------------------------
            Total        5        1     11  43.41      3.50  39.91        7.98
        "#]],
    );
    check(
        By::Tender,
        Lang::Zh,
        expect![[r#"
            按支付方式  2026-11-23 — 2026-11-30
            支付方式  收款笔数  退款笔数   收款  退款   净额    占比
            --------------------------------------------------------
            现金             2         1  19.40  3.50  15.90   39.8%
            扫码支付         2         0  13.21  0.00  13.21   33.1%
            银行卡           1         0  10.80  0.00  10.80   27.1%
            --------------------------------------------------------
            合计             5         1  43.41  3.50  39.91  100.0%
        "#]],
    );
}

#[test]
fn top_and_slow_sellers() {
    check(
        By::Top,
        Lang::En,
        expect![[r#"
            Top sellers  2026-11-23 — 2026-11-30
            Rank  SKU    Product              Qty  Items    Net
            ---------------------------------------------------
               1  DAI-1  Yili Milk 250ml        6      6  16.80
               2  SNK-1  Lay's Chips 70g        1      1   7.90
               3  DRK-1  Coca-Cola 330ml        2      2   7.00
               4  INS-1  Beef Noodles           1      1   4.50
               5  PRD-1  Banana           0.532kg      1   3.71
        "#]],
    );
    check(
        By::Slow,
        Lang::Zh,
        expect![[r#"
            滞销商品  2026-11-23 — 2026-11-30
            排名  SKU    商品                 数量  件数   净额      库存
            -------------------------------------------------------------
               1  OIL-1  花生油 5L               0     0   0.00        24
               2  PRD-1  香蕉              0.532kg     1   3.71  12.500kg
               3  INS-1  红烧牛肉面              1     1   4.50        24
               4  SNK-1  乐事薯片 70g            1     1   7.90        24
               5  DRK-1  可口可乐 330ml          2     2   7.00        24
               6  DAI-1  伊利纯牛奶 250ml        6     6  16.80        24
        "#]],
    );
}

#[test]
fn csv_quotes_by_rfc_4180() {
    let mut r = report(By::Category, &journal());
    r.rows[0].key = "dairy, \"fresh\"".into();
    let csv = report_csv(&r, Currency::CNY, Lang::En);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "Category,Items,Sold,Discounts,Refunded,Net,Share");
    assert_eq!(lines[1], "\"dairy, \"\"fresh\"\"\",6,16.80,1.20,0.00,16.80,42.1%");
    assert_eq!(lines.last(), Some(&""), "every record ends in CRLF");
    assert_eq!(lines[lines.len() - 2], "Total,11,43.41,1.20,3.50,39.91,100.0%");
}

#[test]
fn iso_weeks_and_days() {
    let week = |d: &str| iso_week(parse_day(d).unwrap());
    assert_eq!(week("2026-11-23"), "2026-W48");
    assert_eq!(week("2026-11-29"), "2026-W48");
    assert_eq!(week("2026-11-30"), "2026-W49");
    assert_eq!(week("2021-01-03"), "2020-W53");
    assert_eq!(week("2024-12-30"), "2025-W01");
    assert_eq!(week("2027-01-03"), "2026-W53");
    assert_eq!(week("1970-01-01"), "1970-W01");
    assert_eq!(day_text(parse_day("2024-02-29").unwrap()), "2024-02-29");
    assert_eq!(parse_day("2023-02-29"), None);
    // 23:59 UTC on the 22nd is 07:59 on the 23rd in Shanghai.
    assert_eq!(local_day_hour(parse_date_ms("2026-11-23", 0).unwrap() - 60_000, SHANGHAI), (parse_day("2026-11-23").unwrap(), 7));
    for by in By::ALL {
        assert_eq!(By::parse(by.name()), Some(by));
    }
}

fn member_sale(id: &str, member: Option<&str>, items: &[(&str, i64)]) -> SaleRecord {
    let mut sale = sell(id, "c01", items, None, TenderKind::MobilePay);
    sale.member = member.map(str::to_string);
    sale
}

fn gate(scan: &str, direction: &str, opened: bool) -> Fact {
    Fact::GatePassed { gate: "G1".into(), scan_id: scan.into(), direction: direction.into(), opened, reason: if opened { "member".into() } else { "bad_pass".into() }, account: None }
}

/// A month of a neighbourhood shop's members: a regular (M01, five visits), a couple who
/// come weekly (M02, one of their sales partly refunded), two who bought once on the same
/// day for the same amount (M03, M04: a tie), a big spender who stopped coming (M05), a
/// one-off early in the month (M06), a member whose only fact in the period is a refund of
/// an October sale (M07), and customers without a card. The gate counts people in (and out,
/// and one refused pass) on two days.
fn member_journal() -> Vec<(i64, Fact)> {
    let m = |id: &str, member: &str, items: &[(&str, i64)]| Fact::Sale(member_sale(id, Some(member), items));
    let october = member_sale("S00", Some("M07"), &[("OIL-1", 1)]);
    let m02 = member_sale("S21", Some("M02"), &[("DRK-1", 6), ("SNK-1", 2)]); // 36.80
    let refund = |sale: &SaleRecord, id: &str, line: usize, qty: i64| {
        Fact::Refund(plan_refund(sale, &[], &[(line, Some(qty))], RefundContext { refund_id: id.into(), shift_id: None, by: Some("s01".into()), restock: true }).unwrap())
    };
    vec![
        (at("2026-10-20 10:00"), Fact::Sale(october.clone())),
        (at("2026-11-02 09:00"), m("S01", "M05", &[("OIL-1", 3)])), // 269.70
        (at("2026-11-03 18:10"), m("S02", "M06", &[("INS-1", 1)])), // 4.50
        (at("2026-11-05 12:00"), m("S03", "M05", &[("OIL-1", 2), ("DAI-1", 4)])), // 191.80
        (at("2026-11-06 08:30"), m("S11", "M01", &[("DRK-1", 2), ("DAI-1", 2)])), // 13.00
        (at("2026-11-07 10:00"), Fact::Sale(m02.clone())),
        (at("2026-11-08 10:05"), refund(&october, "R00", 0, 1)), // M07: -89.90
        (at("2026-11-12 19:00"), m("S12", "M01", &[("SNK-1", 3)])), // 23.70
        (at("2026-11-14 10:30"), m("S22", "M02", &[("PRD-1", 1_000)])), // 6.98
        (at("2026-11-16 09:00"), Fact::Sale(member_sale("G1", None, &[("DRK-1", 1)]))), // 3.50
        (at("2026-11-19 17:45"), m("S13", "M01", &[("OIL-1", 1)])), // 89.90
        (at("2026-11-21 10:10"), m("S23", "M02", &[("DAI-1", 3)])), // 9.00
        (at("2026-11-23 09:10"), m("S14", "M01", &[("DRK-1", 1), ("SNK-1", 1)])), // 11.40
        (at("2026-11-27 09:00"), gate("P1", "in", true)),
        (at("2026-11-27 09:05"), gate("P2", "in", true)),
        (at("2026-11-27 09:07"), gate("P3", "in", false)),
        (at("2026-11-27 09:20"), m("S31", "M03", &[("SNK-1", 2)])), // 15.80
        (at("2026-11-27 09:30"), m("S41", "M04", &[("SNK-1", 2)])), // 15.80
        (at("2026-11-27 09:40"), gate("P4", "in", true)),
        (at("2026-11-27 09:50"), gate("P1", "out", true)),
        (at("2026-11-27 12:00"), gate("P5", "in", true)),
        (at("2026-11-27 13:00"), Fact::Sale(member_sale("G2", None, &[("INS-1", 2)]))), // 9.00, nobody came in by the gate
        (at("2026-11-28 10:00"), refund(&m02, "R21", 0, 2)), // M02: -7.00
        (at("2026-11-29 18:00"), gate("P6", "in", true)),
        (at("2026-11-29 18:01"), gate("P7", "in", true)),
        (at("2026-11-29 18:02"), gate("P8", "in", true)),
        (at("2026-11-29 18:30"), m("S15", "M01", &[("DAI-1", 1)])), // 3.00
    ]
}

fn member_check(by: By, from: Option<&str>, to: Option<&str>, lang: Lang, expect: Expect) {
    let facts = member_journal();
    let r = report_from_facts(by, facts.iter().map(|(ts, f)| (*ts, f)), SHANGHAI, from, to, &[], 10);
    expect.assert_eq(&report_text(&r, Currency::CNY, lang));
}

#[test]
fn quintile_scores_are_mid_rank_quintiles_and_ties_score_alike() {
    // Five distinct values: one per quintile, in either direction.
    assert_eq!(quintile_scores(&[10, 50, 30, 20, 40], true), [1, 5, 3, 2, 4]);
    assert_eq!(quintile_scores(&[10, 50, 30, 20, 40], false), [5, 1, 3, 4, 2]);
    // Ten: two per quintile.
    assert_eq!(quintile_scores(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    // Alone, or all tied: the middle.
    assert_eq!(quintile_scores(&[7], true), [3]);
    assert_eq!(quintile_scores(&[2, 2, 2], false), [3, 3, 3]);
    // Six one-off buyers and two regulars: the one-offs share a score, whatever their order.
    assert_eq!(quintile_scores(&[1, 1, 5, 1, 1, 9, 1, 1], true), [2, 2, 5, 2, 2, 5, 2, 2]);
    assert_eq!(quintile_scores(&[], true), Vec::<u8>::new());
}

#[test]
fn segments_follow_the_documented_rule() {
    let seg = |r, f, m| Segment::of(r, f, m).name();
    assert_eq!([seg(5, 5, 5), seg(4, 4, 4), seg(4, 3, 5), seg(5, 5, 2)], ["champions", "champions", "champions", "loyal"]);
    assert_eq!([seg(3, 5, 5), seg(3, 3, 3), seg(4, 1, 4), seg(5, 1, 1)], ["loyal", "loyal", "potential", "potential"]);
    assert_eq!([seg(2, 5, 5), seg(1, 3, 3), seg(2, 2, 3), seg(1, 1, 1)], ["at_risk", "at_risk", "lost", "lost"]);
}

#[test]
fn members_rfm_segments_and_repeat_rate() {
    let facts = member_journal();
    let r = report_from_facts(By::Members, facts.iter().map(|(ts, f)| (*ts, f)), SHANGHAI, Some("2026-11-01"), Some("2026-11-30"), &[], 10);
    let members = r.members.as_ref().unwrap();
    let listed: Vec<String> = members.members.iter().map(|m| format!("{} R{} F{} M{} {} d{} n{} {}", m.member, m.r, m.f, m.m, m.segment.name(), m.recency, m.frequency, m.monetary)).collect();
    expect![[r#"
        [
            "M01 R5 F5 M4 champions d1 n5 14100",
            "M02 R3 F4 M3 loyal d9 n3 4578",
            "M03 R4 F2 M2 potential d3 n1 1580",
            "M04 R4 F2 M2 potential d3 n1 1580",
            "M05 R2 F3 M5 at_risk d25 n2 46150",
            "M06 R1 F2 M1 lost d27 n1 450",
        ]
    "#]]
    .assert_debug_eq(&listed);
    // M07 only had a refund in the period: not a buyer, but the refund is the members'.
    assert_eq!((members.n_buyers, members.n_repeat, members.repeat_rate_bp()), (6, 3, Some(5000)));
    assert_eq!((members.member.n_sales, members.member.n_refunds, members.member.net()), (13, 2, 14100 + 1580 * 2 + 4578 + 46150 + 450 - 8990));
    assert_eq!((members.guest.n_sales, members.guest.net()), (2, 1250));
    // The report's total is every ticket of the period, members' and others'.
    assert_eq!((r.total.n_sales, r.total.n_refunds, r.total.net()), (15, 2, members.member.net() + members.guest.net()));
    member_check(
        By::Members,
        Some("2026-11-01"),
        Some("2026-11-30"),
        Lang::Zh,
        expect![[r#"
            会员分析（RFM）  2026-11-01 — 2026-11-30
            分群          会员数  会员占比  消费笔数  净消费额  净额占比
            ------------------------------------------------------------
            重要价值客户       1     16.7%         5    141.00     20.6%
            忠诚客户           1     16.7%         3     45.78      6.7%
            潜力客户           2     33.3%         2     31.60      4.6%
            需挽回             1     16.7%         2    461.50     67.4%
            流失               1     16.7%         1      4.50      0.7%
            ------------------------------------------------------------
            合计               6    100.0%        13    684.38    100.0%
            RFM 截至 2026-11-30：最近消费天数（R）、消费笔数（F）、净消费额（M）各按会员五分位评 1–5 分
            回购率（消费 2 次及以上的会员 ÷ 消费会员）：3 / 6 = 50.00%
            会员：13 笔，退款 2 笔，净额 594.48，占净额 97.9%
            非会员：2 笔，退款 0 笔，净额 12.50，占净额 2.1%
            积分兑换商品：0 次，0 积分，0 件（不计入销售）
        "#]],
    );
    member_check(
        By::Members,
        Some("2026-11-01"),
        Some("2026-11-30"),
        Lang::En,
        expect![[r#"
            Members (RFM)  2026-11-01 — 2026-11-30
            Segment    Members   Share  Sales     Net  Share of net
            -------------------------------------------------------
            Champions        1   16.7%      5  141.00         20.6%
            Loyal            1   16.7%      3   45.78          6.7%
            Potential        2   33.3%      2   31.60          4.6%
            At risk          1   16.7%      2  461.50         67.4%
            Lost             1   16.7%      1    4.50          0.7%
            -------------------------------------------------------
            Total            6  100.0%     13  684.38        100.0%
            RFM to 2026-11-30: recency (R), sales (F) and net spend (M) each scored 1–5 by quintiles across members
            Repeat rate (members with 2 or more sales ÷ members who bought): 3 / 6 = 50.00%
            Members: sales 13, refunds 2, net 594.48, 97.9% of net
            Non-members: sales 2, refunds 0, net 12.50, 2.1% of net
            Points redeemed for goods: 0 redemptions, 0 points, 0 pieces (not sales)
        "#]],
    );
    let csv = members_csv(&r, Currency::CNY, Lang::En);
    expect![[r#"
        Member,Last purchase,Recency (days),Sales,Refunds,Net,R,F,M,Segment
        M01,2026-11-29,1,5,0,141.00,5,5,4,Champions
        M02,2026-11-21,9,3,1,45.78,3,4,3,Loyal
        M03,2026-11-27,3,1,0,15.80,4,2,2,Potential
        M04,2026-11-27,3,1,0,15.80,4,2,2,Potential
        M05,2026-11-05,25,2,0,461.50,2,3,5,At risk
        M06,2026-11-03,27,1,0,4.50,1,2,1,Lost
    "#]]
    .assert_eq(&csv.replace("\r\n", "\n"));
    assert!(csv.ends_with("Lost\r\n"), "CRLF line ends");
    // Without an end date, recency counts to the last sale or refund (M01's on the 29th).
    let open = report_from_facts(By::Members, facts.iter().map(|(ts, f)| (*ts, f)), SHANGHAI, Some("2026-11-01"), None, &[], 10);
    assert_eq!(day_text(open.members.unwrap().end_day), "2026-11-29");
    // No member bought: no repeat rate, and the text says why.
    member_check(By::Members, Some("2026-12-01"), Some("2026-12-31"), Lang::En, expect![[r#"
        Members (RFM)  2026-12-01 — 2026-12-31
        Segment    Members  Share  Sales   Net  Share of net
        ----------------------------------------------------
        Champions        0      -      0  0.00             -
        Loyal            0      -      0  0.00             -
        Potential        0      -      0  0.00             -
        At risk          0      -      0  0.00             -
        Lost             0      -      0  0.00             -
        ----------------------------------------------------
        Total            0      -      0  0.00             -
        RFM to 2026-12-31: recency (R), sales (F) and net spend (M) each scored 1–5 by quintiles across members
        Repeat rate (members with 2 or more sales ÷ members who bought): - (no member bought in the period)
        Members: sales 0, refunds 0, net 0.00, - of net
        Non-members: sales 0, refunds 0, net 0.00, - of net
        Points redeemed for goods: 0 redemptions, 0 points, 0 pieces (not sales)
    "#]]);
}

#[test]
fn conversion_by_hour_and_day() {
    member_check(By::Conversion, Some("2026-11-27"), Some("2026-11-29"), Lang::En, expect![[r#"
        Footfall conversion  2026-11-27 — 2026-11-29
        Hour/Date   Entries  Sales  Conversion
        --------------------------------------
        09:00             3      2      66.67%
        12:00             1      0       0.00%
        13:00             0      1           -
        18:00             3      1      33.33%
        2026-11-27        4      3      75.00%
        2026-11-29        3      1      33.33%
        --------------------------------------
        Total             7      4      57.14%
        Conversion = sales ÷ entries (gate passages in)
    "#]]);
    member_check(By::Conversion, Some("2026-11-27"), Some("2026-11-29"), Lang::Zh, expect![[r#"
        客流转化率  2026-11-27 — 2026-11-29
        时段/日期   进店人数  成交笔数  转化率
        --------------------------------------
        09:00              3         2  66.67%
        12:00              1         0   0.00%
        13:00              0         1       -
        18:00              3         1  33.33%
        2026-11-27         4         3  75.00%
        2026-11-29         3         1  33.33%
        --------------------------------------
        合计               7         4  57.14%
        转化率 = 成交笔数 ÷ 进店人数（闸机进店通行）
    "#]]);
    let facts = member_journal();
    let r = report_from_facts(By::Conversion, facts.iter().map(|(ts, f)| (*ts, f)), SHANGHAI, Some("2026-11-27"), Some("2026-11-29"), &[], 10);
    let c = r.conversion.unwrap();
    // 2 sales of 3 entries at 09:00: 66.666… % is 6,667 basis points, half up; 1 of 3 is 3,333.
    assert_eq!(c.hours.iter().map(|h| (h.key.as_str(), h.entries, h.tickets, h.rate_bp())).collect::<Vec<_>>(), [("09", 3, 2, Some(6667)), ("12", 1, 0, Some(0)), ("13", 0, 1, None), ("18", 3, 1, Some(3333))]);
    assert_eq!((c.total.entries, c.total.tickets, c.total.rate_bp()), (7, 4, Some(5714)));
    // A period without gate passages says so rather than dividing by zero.
    member_check(By::Conversion, Some("2026-11-01"), Some("2026-11-07"), Lang::En, expect![[r#"
        Footfall conversion  2026-11-01 — 2026-11-07
        Hour/Date   Entries  Sales  Conversion
        --------------------------------------
        08:00             0      1           -
        09:00             0      1           -
        10:00             0      1           -
        12:00             0      1           -
        18:00             0      1           -
        2026-11-02        0      1           -
        2026-11-03        0      1           -
        2026-11-05        0      1           -
        2026-11-06        0      1           -
        2026-11-07        0      1           -
        --------------------------------------
        Total             0      5           -
        Conversion = sales ÷ entries (gate passages in)
        No gate entries in the period, so there is no conversion rate: it needs a store with an entry gate.
    "#]]);
    member_check(By::Conversion, Some("2026-11-01"), Some("2026-11-07"), Lang::Zh, expect![[r#"
        客流转化率  2026-11-01 — 2026-11-07
        时段/日期   进店人数  成交笔数  转化率
        --------------------------------------
        08:00              0         1       -
        09:00              0         1       -
        10:00              0         1       -
        12:00              0         1       -
        18:00              0         1       -
        2026-11-02         0         1       -
        2026-11-03         0         1       -
        2026-11-05         0         1       -
        2026-11-06         0         1       -
        2026-11-07         0         1       -
        --------------------------------------
        合计               0         5       -
        转化率 = 成交笔数 ÷ 进店人数（闸机进店通行）
        期间内没有闸机进店记录，无法计算转化率：需要有入口闸机的门店。
    "#]]);
}
