//! Sales analytics read from the replica's projection, checked against exact figures and
//! against a fold over the journal; the projection after `verify`, and its backfill.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use expect_test::expect;
use opentill_core::analytics::{By, Report, report_csv, report_from_facts, report_text};
use opentill_core::i18n::Lang;
use opentill_core::money::Currency;
use opentill_core::rounding::CashRounding;
use opentill_core::tender::{Tender, TenderKind};
use opentill_core::time::parse_date_ms;
use opentill_sync::rusqlite;
use opentill_till::{Clock, ScanInput, Till, TillError};

use crate::store;

/// A clock the test sets.
struct SetClock(Arc<AtomicI64>);

impl Clock for SetClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Shanghai local time `2026-11-23 09:15` as unix ms.
fn at(text: &str) -> i64 {
    let (date, time) = text.split_once(' ').unwrap();
    let (h, m) = time.split_once(':').unwrap();
    parse_date_ms(date, 480).unwrap() + (h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()) * 60_000
}

fn scan(code: &str, qty: Option<&str>) -> ScanInput {
    ScanInput { code: code.into(), qty: qty.map(str::to_string) }
}

fn tender(kind: TenderKind, amount: i64) -> Tender {
    Tender { kind, amount, reference: if kind == TenderKind::Card { Some("T1".into()) } else { None } }
}

const COLA: &str = "6901234567892";
const COLA_ZERO: &str = "6901234567908";
const CHIPS: &str = "6920152400012";
const MILK: &str = "6907992100012";
const BANANA: &str = "2000001000007";
const NOODLES: &str = "6920734700011";

/// Two days of a small shop: five sales by two cashiers (one with nobody logged in), paid
/// by cash, card and phone (one split), a cola returned the next morning, and peanut oil
/// in stock that never sells.
fn two_days() -> (tempfile::TempDir, Till) {
    let (dir, till) = store(CashRounding::None);
    let now = Arc::new(AtomicI64::new(0));
    let mut till = till.with_clock(Box::new(SetClock(now.clone())));
    let c01 = till.login("c01", "1234").unwrap();
    let s01 = till.login("s01", "9001").unwrap();
    now.store(at("2026-11-23 08:00"), Ordering::SeqCst);
    till.import_products("sku,barcode,name,name_zh,price,category,unit,tax_rate\nOIL-1,,Peanut Oil 5L,花生油 5L,89.90,grocery,each,9\n".as_bytes(), false, |_, _| {}).unwrap();
    till.adjust_stock("OIL-1", 12, "receive", "s01").unwrap();
    let sell = |till: &mut Till, time: &str, scans: &[ScanInput], tenders: &[Tender], who: Option<&opentill_core::role::Actor>| {
        now.store(at(time), Ordering::SeqCst);
        till.sell(None, scans, tenders, who).unwrap().sale
    };
    // 2 × 3.50 + 7.90 = 14.90, cash.
    let first = sell(&mut till, "2026-11-23 08:55", &[scan(COLA, Some("2")), scan(CHIPS, None)], &[tender(TenderKind::Cash, 2000)], Some(&c01));
    // 0.532 kg × 6.98 = 3.71 and 2 × 3.00: 9.71 by phone.
    sell(&mut till, "2026-11-23 09:10", &[scan(BANANA, Some("0.532")), scan(MILK, Some("2"))], &[tender(TenderKind::MobilePay, 971)], Some(&c01));
    // 3 × 4.50 = 13.50 by card, nobody logged in.
    sell(&mut till, "2026-11-23 12:30", &[scan(NOODLES, Some("3"))], &[tender(TenderKind::Card, 1350)], None);
    // 6 × 3.50 + 2 × 7.90 = 36.80: 20.00 by card, the rest in cash.
    sell(&mut till, "2026-11-23 18:45", &[scan(COLA_ZERO, Some("6")), scan(CHIPS, Some("2"))], &[tender(TenderKind::Card, 2000), tender(TenderKind::Cash, 2000)], Some(&s01));
    now.store(at("2026-11-24 10:00"), Ordering::SeqCst);
    till.refund(&first.sale_id, &[(1, Some("1".into()))], Some(&s01), true).unwrap();
    sell(&mut till, "2026-11-24 10:20", &[scan(MILK, None)], &[tender(TenderKind::Cash, 500)], Some(&c01));
    (dir, till)
}

/// What a fold over the journal says the report is.
fn folded(till: &Till, by: By, from: Option<&str>, to: Option<&str>) -> Report {
    let facts = till.replica().facts().unwrap();
    let catalog = till.replica().catalog_items().unwrap();
    report_from_facts(by, facts.iter().map(|(ts, f)| (*ts, f)), 480, from, to, &catalog, 20)
}

#[test]
fn two_days_of_baskets_give_exact_rows() {
    let (_dir, till) = two_days();
    let text = |by: By, lang: Lang| report_text(&till.analytics(by, Some("2026-11-23"), Some("2026-11-24"), None).unwrap(), Currency::CNY, lang);
    expect![[r#"
        Sales by hour of day  2026-11-23 — 2026-11-24
        Hour   Sales  Refunds  Items   Sold  Refunded    Net  Avg basket
        ----------------------------------------------------------------
        08:00      1        0      3  14.90      0.00  14.90       14.90
        09:00      1        0      3   9.71      0.00   9.71        9.71
        10:00      1        1      0   3.00      3.50  -0.50       -0.50
        12:00      1        0      3  13.50      0.00  13.50       13.50
        18:00      1        0      8  36.80      0.00  36.80       36.80
        ----------------------------------------------------------------
        Total      5        1     17  77.91      3.50  74.41       14.88
    "#]]
    .assert_eq(&text(By::Hour, Lang::En));
    expect![[r#"
        按收银员销售  2026-11-23 — 2026-11-24
        收银员      笔数  退款笔数  件数  销售额  退款额   净额  客单价
        ---------------------------------------------------------------
        s01            1         0     8   36.80    0.00  36.80   36.80
        c01            3         1     6   27.61    3.50  24.11    8.04
        （未登录）     1         0     3   13.50    0.00  13.50   13.50
        ---------------------------------------------------------------
        合计           5         1    17   77.91    3.50  74.41   14.88
    "#]]
    .assert_eq(&text(By::Cashier, Lang::Zh));
    expect![[r#"
        Sales by payment method  2026-11-23 — 2026-11-24
        Payment method  Payments  Refunds  Taken  Given back    Net   Share
        -------------------------------------------------------------------
        Card                   2        0  33.50        0.00  33.50   45.0%
        Cash                   3        1  34.70        3.50  31.20   41.9%
        Mobile pay             1        0   9.71        0.00   9.71   13.0%
        -------------------------------------------------------------------
        Total                  6        1  77.91        3.50  74.41  100.0%
    "#]]
    .assert_eq(&text(By::Tender, Lang::En));
    expect![[r#"
        Sales by category  2026-11-23 — 2026-11-24
        Category  Items   Sold  Discounts  Refunded    Net   Share
        ----------------------------------------------------------
        drinks        7  28.00       0.00      3.50  24.50   32.9%
        snacks        3  23.70       0.00      0.00  23.70   31.9%
        instant       3  13.50       0.00      0.00  13.50   18.1%
        dairy         3   9.00       0.00      0.00   9.00   12.1%
        produce       1   3.71       0.00      0.00   3.71    5.0%
        ----------------------------------------------------------
        Total        17  77.91       0.00      3.50  74.41  100.0%
    "#]]
    .assert_eq(&text(By::Category, Lang::En));
    let basket = till.analytics(By::Basket, Some("2026-11-23"), Some("2026-11-24"), None).unwrap().total;
    // 74.41 net over 5 sales: 14.882, so 14.88; 17 items over 5 sales: 3.40.
    assert_eq!((basket.n_sales, basket.net(), basket.average_basket(), basket.items_per_basket_x100()), (5, 7441, 1488, 340));
    let day = till.analytics(By::Day, Some("2026-11-24"), Some("2026-11-24"), None).unwrap();
    assert_eq!(day.rows.len(), 1);
    assert_eq!((day.rows[0].key.as_str(), day.total.n_sales, day.total.n_refunds, day.total.net()), ("2026-11-24", 1, 1, -50));
    let week = till.analytics(By::Week, None, None, None).unwrap();
    assert_eq!(week.rows.iter().map(|r| (r.key.as_str(), r.totals.net())).collect::<Vec<_>>(), [("2026-W48", 7441)]);
    let top = till.analytics(By::Top, None, None, Some(2)).unwrap();
    assert_eq!(top.rows.iter().map(|r| (r.key.as_str(), r.totals.qty, r.totals.net())).collect::<Vec<_>>(), [("SNK-1", 3, 2370), ("DRK-2", 6, 2100)]);
    let slow = till.analytics(By::Slow, None, None, Some(3)).unwrap();
    // The oil never sold; cola sold 2 and one came back to stock; the banana was one weighed line.
    assert_eq!(slow.rows.iter().map(|r| (r.key.as_str(), r.totals.items, r.stock)).collect::<Vec<_>>(), [("OIL-1", 0, Some(12)), ("DRK-1", 1, Some(-1)), ("PRD-1", 1, Some(-532))]);
    let csv = report_csv(&till.analytics(By::Day, None, None, None).unwrap(), Currency::CNY, Lang::En);
    assert_eq!(csv, "Date,Sales,Refunds,Items,Sold,Refunded,Net,Avg basket\r\n2026-11-23,4,0,17,74.91,0.00,74.91,18.73\r\n2026-11-24,1,1,0,3.00,3.50,-0.50,-0.50\r\nTotal,5,1,17,77.91,3.50,74.41,14.88\r\n");
}

#[test]
fn every_report_equals_a_fold_over_the_journal() {
    let (_dir, till) = two_days();
    for (from, to) in [(None, None), (Some("2026-11-23"), Some("2026-11-23")), (Some("2026-11-24"), None), (None, Some("2026-11-22"))] {
        for by in By::ALL {
            assert_eq!(till.analytics(by, from, to, None).unwrap(), folded(&till, by, from, to), "{by:?} {from:?}..{to:?}");
        }
    }
    assert!(till.verify(|_| {}).unwrap().is_ok());
    // Every report searches the sums by their key or reads a covering index in order,
    // and never sorts.
    for plan in till.replica().analytics_plans().unwrap() {
        assert!((plan.contains("SEARCH sale_groups USING PRIMARY KEY (dim=? AND day>? AND day<?)") || plan.contains("COVERING INDEX")) && !plan.contains("TEMP B-TREE"), "{plan}");
    }
}

#[test]
fn bad_periods_are_refused() {
    let (_dir, till) = two_days();
    let err = till.analytics(By::Day, Some("2026-11-24"), Some("2026-11-23"), None).unwrap_err();
    assert_eq!(err.to_string(), "--from is after --to");
    let err = till.analytics(By::Day, Some("2026-02-30"), None, None).unwrap_err();
    assert!(matches!(&err, TillError::BadInput(m) if m.contains("2026-02-30")), "{err}");
}

#[test]
fn a_replica_from_before_the_analytics_migration_is_backfilled_and_verified() {
    let (dir, till) = two_days();
    let before: Vec<Report> = By::ALL.iter().map(|by| till.analytics(*by, None, None, None).unwrap()).collect();
    drop(till);
    // Take the replica back to the schema before the analytics migration, as a till that
    // sold before this release.
    let before_analytics = opentill_sync::schema::analytics_version() - 1;
    // Migrations after it (11: shared documents, 12: other nodes' journals, 13: stored
    // value across stores, 14: price history, 15: approvals, 16: alerts in Chinese, 17:
    // top-up keys, 18: who cleared an alert, 19: transfers, 20: O2O orders, 21: the members projection, 22: stock per place, 23: offers set aside, 24: purchase orders amended and
    // cancelled, stocktakes of one place, 25 and 26: shared members and their points across stores, 27: the device registry) are undone too; they run again on open.
    assert_eq!(opentill_sync::schema::MIGRATIONS.len(), before_analytics + 18, "undo every migration after the analytics one here");
    let conn = rusqlite::Connection::open(dir.path().join(opentill_sync::DB_FILE)).unwrap();
    let undo_members = opentill_sync::schema::UNDO_AFTER_24;
    conn.execute_batch(&format!(
        "{undo_members}
         ALTER TABLE stocktakes DROP COLUMN location; ALTER TABLE purchase_orders DROP COLUMN cancel_reason; ALTER TABLE purchase_orders DROP COLUMN cancelled_ms; ALTER TABLE purchase_orders DROP COLUMN amended_ms;
         DROP TABLE offers_set_aside; ALTER TABLE promotions DROP COLUMN scope; ALTER TABLE coupons DROP COLUMN scope; DROP TABLE stock_locations; DROP TABLE member_tickets; DROP INDEX peer_journal_o2o; DROP INDEX journal_o2o; DROP TABLE o2o_orders; DROP TABLE transfer_stores; DROP TABLE remote_transfers; DROP INDEX peer_journal_transfers; DROP INDEX journal_transfers; ALTER TABLE alerts DROP COLUMN cleared_by; DROP TABLE topups; DROP INDEX alerts_open; ALTER TABLE alerts DROP COLUMN detail_zh; DROP TABLE approvals; DROP TRIGGER products_price_history; DROP TABLE price_history; DROP TABLE sv_debits; DROP TABLE sv_others; DROP TABLE peer_journal; DROP TABLE peer_nodes; DROP TABLE document_peers; DROP TABLE document_changes; DROP TABLE documents;
         DROP TABLE sale_lines; DROP TABLE sale_tenders; DROP TABLE sale_groups; PRAGMA user_version = {before_analytics};"
    ))
    .unwrap();
    drop(conn);
    let till = Till::open(dir.path()).unwrap();
    let after: Vec<Report> = By::ALL.iter().map(|by| till.analytics(*by, None, None, None).unwrap()).collect();
    assert_eq!(after, before);
    for by in By::ALL {
        assert_eq!(till.analytics(by, None, None, None).unwrap(), folded(&till, by, None, None));
    }
    assert!(till.verify(|_| {}).unwrap().is_ok());
    drop(till);

    // A changed row, a missing one, or a changed sum is found by verify.
    let conn = rusqlite::Connection::open(dir.path().join(opentill_sync::DB_FILE)).unwrap();
    conn.execute_batch(
        "UPDATE sale_lines SET amount = amount + 1 WHERE seq = (SELECT min(seq) FROM sale_lines) AND pos = 0; DELETE FROM sale_tenders WHERE pos = 1;
         UPDATE sale_groups SET sales = sales + 100 WHERE dim = 'category' AND key = 'drinks';",
    )
    .unwrap();
    drop(conn);
    let till = Till::open(dir.path()).unwrap();
    let report = till.verify(|_| {}).unwrap();
    assert_eq!(
        report.projection_problems,
        [
            "the sold-lines projection (sale_lines, 9 rows) disagrees with the journal (9 lines)".to_string(),
            "the tenders projection (sale_tenders, 6 rows) disagrees with the journal (7 tenders)".to_string(),
            "the report sums (sale_groups) disagree with the journal, first at category `drinks` of day 2026-11-23".to_string()
        ]
    );
}

/// A week of three members and walk-in customers at a store with an entry gate: a
/// regular, a member who bought once, and one whose sale is partly refunded; people come
/// in through the gate (one pass refused) on two of the days.
fn members_and_gate() -> (tempfile::TempDir, Till) {
    let (dir, till) = store(CashRounding::None);
    let now = Arc::new(AtomicI64::new(at("2026-11-16 08:00")));
    let mut till = till.with_clock(Box::new(SetClock(now.clone())));
    let c01 = till.login("c01", "1234").unwrap();
    let s01 = till.login("s01", "9001").unwrap();
    let regular = till.register_member("13800138000", "王芳", None, None, "c01").unwrap().row.member_id;
    let once = till.register_member("13900139000", "Li Lei", None, None, "c01").unwrap().row.member_id;
    let refunder = till.register_member("13700137000", "赵敏", None, None, "c01").unwrap().row.member_id;
    let shopper = |member: Option<&str>| opentill_till::Shopper { member: member.map(str::to_string), ..Default::default() };
    let sell = |till: &mut Till, time: &str, scans: &[ScanInput], member: Option<&str>| {
        now.store(at(time), Ordering::SeqCst);
        till.sell_to(None, scans, &[tender(TenderKind::Cash, 10_000)], Some(&c01), &shopper(member)).unwrap().0.sale
    };
    let gate = |till: &mut Till, time: &str, scan: &str, direction: &str, opened: bool| {
        let fact = opentill_core::journal::Fact::GatePassed { gate: "G1".into(), scan_id: scan.into(), direction: direction.into(), opened, reason: "member".into(), account: None };
        till.replica_mut().append(at(time), &fact).unwrap();
    };
    sell(&mut till, "2026-11-16 09:10", &[scan(COLA, Some("2"))], Some(&regular));
    gate(&mut till, "2026-11-18 09:00", "P1", "in", true);
    gate(&mut till, "2026-11-18 09:02", "P2", "in", true);
    gate(&mut till, "2026-11-18 09:03", "P3", "in", false);
    sell(&mut till, "2026-11-18 09:15", &[scan(CHIPS, None), scan(MILK, Some("3"))], Some(&regular));
    let refunded = sell(&mut till, "2026-11-18 09:40", &[scan(NOODLES, Some("4"))], Some(&refunder));
    gate(&mut till, "2026-11-18 18:00", "P4", "in", true);
    gate(&mut till, "2026-11-18 18:30", "P6", "out", true);
    sell(&mut till, "2026-11-19 12:00", &[scan(COLA_ZERO, None)], None);
    sell(&mut till, "2026-11-20 18:20", &[scan(MILK, None)], Some(&once));
    now.store(at("2026-11-21 10:00"), Ordering::SeqCst);
    till.refund(&refunded.sale_id, &[(1, Some("1".into()))], Some(&s01), true).unwrap();
    gate(&mut till, "2026-11-22 10:00", "P5", "in", true);
    sell(&mut till, "2026-11-22 10:05", &[scan(CHIPS, Some("2"))], Some(&regular));
    sell(&mut till, "2026-11-22 10:30", &[scan(COLA, None)], None);
    // The regular takes two colas for points on the 19th, and a bag of chips on the 23rd
    // (after the week): redemptions, not sales.
    let redeem = |till: &mut Till, time: &str, sku: &str, qty: i64, points: i64| {
        let lines = vec![opentill_core::member::RedeemedLine { sku: sku.into(), qty, points }];
        let fact = opentill_core::journal::Fact::PointsRedeemed { redemption_id: format!("R-{time}"), member: regular.clone(), lines, by: "c01".into() };
        till.replica_mut().append(at(time), &fact).unwrap();
    };
    redeem(&mut till, "2026-11-19 15:00", "DRK-1", 2, 10);
    redeem(&mut till, "2026-11-23 11:00", "SNK-1", 1, 5);
    (dir, till)
}

#[test]
fn members_and_conversion_read_from_the_replica_equal_the_journal_fold() {
    let (_dir, till) = members_and_gate();
    for (from, to) in [(None, None), (Some("2026-11-16"), Some("2026-11-22")), (Some("2026-11-18"), Some("2026-11-18")), (Some("2026-11-19"), None), (None, Some("2026-11-15"))] {
        for by in [By::Members, By::Conversion] {
            assert_eq!(till.analytics(by, from, to, None).unwrap(), folded(&till, by, from, to), "{by:?} {from:?}..{to:?}");
        }
    }
    let report = till.analytics(By::Members, Some("2026-11-16"), Some("2026-11-22"), None).unwrap();
    let members = report.members.as_ref().unwrap();
    // The regular bought three times, the others once: one repeat buyer of three.
    assert_eq!((members.n_buyers, members.n_repeat, members.repeat_rate_bp()), (3, 1, Some(3333)));
    assert_eq!((members.guest.n_sales, members.member.n_sales, members.member.n_refunds), (2, 5, 1));
    assert_eq!((members.redemptions.count, members.redemptions.points, members.redemptions.pieces), (1, 10, 2), "the one in the week");
    let everything = till.analytics(By::Members, None, None, None).unwrap().members.unwrap().redemptions;
    assert_eq!((everything.count, everything.points, everything.pieces), (2, 15, 3));
    let text = |by: By, lang: Lang| report_text(&till.analytics(by, Some("2026-11-16"), Some("2026-11-22"), None).unwrap(), Currency::CNY, lang);
    // Some customers came in without the gate seeing them: hours with more sales than
    // entries show a rate above 100 %, hours without entries none.
    expect![[r#"
        Members (RFM)  2026-11-16 — 2026-11-22
        Segment    Members   Share  Sales    Net  Share of net
        ------------------------------------------------------
        Champions        1   33.3%      3  39.70         70.6%
        Loyal            0    0.0%      0   0.00          0.0%
        Potential        1   33.3%      1   3.00          5.3%
        At risk          0    0.0%      0   0.00          0.0%
        Lost             1   33.3%      1  13.50         24.0%
        ------------------------------------------------------
        Total            3  100.0%      5  56.20        100.0%
        RFM to 2026-11-22: recency (R), sales (F) and net spend (M) each scored 1–5 by quintiles across members
        Repeat rate (members with 2 or more sales ÷ members who bought): 1 / 3 = 33.33%
        Members: sales 5, refunds 1, net 56.20, 88.9% of net
        Non-members: sales 2, refunds 0, net 7.00, 11.1% of net
        Points redeemed for goods: 1 redemptions, 10 points, 2 pieces (not sales)
    "#]].assert_eq(&text(By::Members, Lang::En));
    expect![[r#"
        客流转化率  2026-11-16 — 2026-11-22
        时段/日期   进店人数  成交笔数   转化率
        ---------------------------------------
        09:00              2         3  150.00%
        10:00              1         2  200.00%
        12:00              0         1        -
        18:00              1         1  100.00%
        2026-11-16         0         1        -
        2026-11-18         3         2   66.67%
        2026-11-19         0         1        -
        2026-11-20         0         1        -
        2026-11-22         1         2  200.00%
        ---------------------------------------
        合计               4         7  175.00%
        转化率 = 成交笔数 ÷ 进店人数（闸机进店通行）
    "#]].assert_eq(&text(By::Conversion, Lang::Zh));
    assert!(till.verify(|_| {}).unwrap().is_ok());
}
