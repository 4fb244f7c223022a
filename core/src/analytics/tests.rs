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
