//! Whole till flows, checked the way a cashier or manager would see them.

use expect_test::expect;
use opentill_core::i18n::Lang;
use opentill_core::journal::CashDirection;
use opentill_core::rounding::CashRounding;
use opentill_core::tender::{Tender, TenderKind};
use opentill_till::{ScanInput, TillError};

use crate::{jiao, store};

fn scan(code: &str, qty: Option<&str>) -> ScanInput {
    ScanInput { code: code.into(), qty: qty.map(str::to_string) }
}

fn cash(yuan: i64) -> Tender {
    Tender { kind: TenderKind::Cash, amount: yuan * 100, reference: None }
}

#[test]
fn sale_receipt_in_both_languages() {
    let (_dir, mut till) = store(jiao());
    let c01 = till.login("c01", "1234").unwrap();
    till.open_shift(&c01, 50_000).unwrap();
    let scans = [scan("6901234567892", Some("2")), scan("2000001000007", Some("0.532")), scan("6920152400012", None)];
    let done = till.sell(None, &scans, &[cash(50)], None).unwrap();
    // 7.00 + 3.71 (0.532 kg at 6.98) + 7.90 = 18.61, 抹零 to 18.60.
    assert_eq!((done.sale.subtotal, done.sale.rounding, done.sale.total, done.sale.change), (1861, 1, 1860, 3140));
    let receipt = till.sale_receipt(&done, Lang::Zh).replace(&done.sale.sale_id, "<id>");
    expect![[r#"
                OpenTill 测试店
              上海市世纪大道100号
        --------------------------------
        销售
        <id>
        2026-11-22 09:33      收银员 c01
        --------------------------------
        可口可乐 330ml
          2 x 3.50                  7.00
        香蕉
          0.532kg x 6.98/kg         3.71
        乐事黄瓜味薯片 70g
          1 x 7.90                  7.90
        --------------------------------
        小计                       18.61
        抹零                       -0.01
        合计                      ¥18.60
        含税                        2.03
        现金                       50.00
        找零                       31.40
        --------------------------------
        件数 4
             谢谢惠顾，欢迎再次光临
    "#]]
    .assert_eq(&receipt);
    let receipt = till.sale_receipt(&done, Lang::En).replace(&done.sale.sale_id, "<id>");
    expect![[r#"
              OpenTill Test Store
              上海市世纪大道100号
        --------------------------------
        Sale
        <id>
        2026-11-22 09:33     Cashier c01
        --------------------------------
        Coca-Cola 330ml
          2 x 3.50                  7.00
        Banana
          0.532kg x 6.98/kg         3.71
        Lay's Cucumber Chips 70g
          1 x 7.90                  7.90
        --------------------------------
        Subtotal                   18.61
        Rounding                   -0.01
        Total                     ¥18.60
        Tax                         2.03
        Cash                       50.00
        Change                     31.40
        --------------------------------
        Items 4
          Thank you, please come again
    "#]]
    .assert_eq(&receipt);
}

#[test]
fn bad_sales_record_nothing() {
    let (_dir, mut till) = store(CashRounding::None);
    let before = till.replica().head().unwrap();
    let cases: Vec<(Vec<ScanInput>, Vec<Tender>, &str)> = vec![
        (vec![scan("6901234567890", None)], vec![cash(10)], "unknown_barcode"),
        (vec![scan("6901234567892", None)], vec![cash(3)], "tender_short"),
        (vec![scan("6901234567892", Some("-2"))], vec![cash(10)], "bad_quantity"),
        (vec![scan("6901234567892", Some("0"))], vec![cash(10)], "bad_quantity"),
        (vec![scan("6901234567892", Some("1.5"))], vec![cash(10)], "bad_input"),
        (vec![scan("6901234567892", Some("99999999999999999999"))], vec![cash(10)], "bad_input"),
        (vec![scan("2000001000007", None)], vec![cash(10)], "bad_input"),
        (vec![scan("2000001000007", Some("2000"))], vec![cash(100_000)], "bad_quantity"),
        (vec![scan("69012345\u{0}67892", None)], vec![cash(10)], "bad_input"),
        (vec![], vec![cash(10)], "bad_input"),
        (vec![scan("6901234567892", None)], vec![Tender { kind: TenderKind::Card, amount: 400, reference: None }], "bad_tender"),
        (vec![scan("6901234567892", None)], vec![Tender { kind: TenderKind::StoredValue, amount: 350, reference: Some("M1".into()) }], "insufficient_balance"),
    ];
    for (scans, tenders, kind) in cases {
        let err = till.sell(None, &scans, &tenders, None).unwrap_err();
        assert_eq!(err.kind(), kind, "{scans:?}: {err}");
        assert!(!err.message(Lang::Zh).is_empty() && !err.message(Lang::En).is_empty());
    }
    assert_eq!(till.replica().head().unwrap(), before, "no entry was written");
    assert_eq!(till.replica().stock("DRK-1").unwrap(), 0);
}

#[test]
fn resending_a_sale_id_never_posts_twice() {
    let (_dir, mut till) = store(CashRounding::None);
    let scans = [scan("6901234567892", None)];
    let first = till.sell(Some("sale-42"), &scans, &[cash(5)], None).unwrap();
    let again = till.sell(Some("sale-42"), &scans, &[cash(5)], None).unwrap();
    assert!(first.new && !again.new);
    assert_eq!(first.sale, again.sale);
    assert_eq!(till.replica().head().unwrap().0, 1);
    assert_eq!(till.replica().stock("DRK-1").unwrap(), -1);
}

#[test]
fn refunds_go_back_the_way_they_came() {
    let (_dir, mut till) = store(CashRounding::None);
    let card = Tender { kind: TenderKind::Card, amount: 1000, reference: Some("T0001".into()) };
    let done = till.sell(None, &[scan("6901234567892", Some("3")), scan("6920152400012", None)], &[card, cash(10)], None).unwrap();
    assert_eq!(done.sale.total, 1840);
    let sale_id = done.sale.sale_id.clone();
    let first = till.refund(&sale_id, &[(1, Some("1".into()))], None, true).unwrap();
    assert_eq!(first.refund.total, 350);
    assert_eq!(first.refund.tenders[0].kind, TenderKind::Card);
    let slip = till.refund_receipt(&first, Lang::En).replace(&first.refund.refund_id, "<r>").replace(&sale_id, "<s>");
    expect![[r#"
              OpenTill Test Store
              上海市世纪大道100号
        --------------------------------
        Refund
        <r>
        Original sale
        <s>
        2026-11-22 09:33
        --------------------------------
        1. Coca-Cola 330ml
          1                        -3.50
        --------------------------------
        Total                     -¥3.50
        Card T0001                 -3.50
    "#]]
    .assert_eq(&slip);
    let err = till.refund(&sale_id, &[(1, Some("3".into()))], None, true).unwrap_err();
    assert_eq!(err.kind(), "refund_exceeds_sale");
    assert!(err.message(Lang::En).contains("only 2 left"), "{}", err.message(Lang::En));
    let rest = till.refund(&sale_id, &[], None, true).unwrap();
    assert_eq!(rest.refund.total, 1490);
    assert_eq!(rest.refund.tenders.iter().map(|t| (t.kind, t.amount)).collect::<Vec<_>>(), vec![(TenderKind::Card, 650), (TenderKind::Cash, 840)]);
    assert_eq!(till.refund(&sale_id, &[], None, true).unwrap_err().kind(), "refund_exceeds_sale");
    assert_eq!(till.refund("no-such-sale", &[], None, true).unwrap_err().kind(), "unknown_sale");
    assert_eq!(till.replica().stock("DRK-1").unwrap(), 0, "returned goods are back in stock");
    assert!(till.verify(|_| {}).unwrap().is_ok());
}

#[test]
fn shift_x_and_z_reports_add_up() {
    let (_dir, mut till) = store(jiao());
    let c01 = till.login("c01", "1234").unwrap();
    let s01 = till.login("s01", "9001").unwrap();
    assert_eq!(till.x_report().unwrap_err().kind(), "no_open_shift");
    till.open_shift(&c01, 20_000).unwrap();
    assert_eq!(till.open_shift(&c01, 20_000).unwrap_err().kind(), "shift_already_open");
    let a = till.sell(None, &[scan("6901234567892", Some("2"))], &[cash(10)], None).unwrap();
    let mobile = Tender { kind: TenderKind::MobilePay, amount: 790, reference: Some("134567890123456789".into()) };
    till.sell(None, &[scan("6920152400012", None)], &[mobile], None).unwrap();
    till.refund(&a.sale.sale_id, &[(1, Some("1".into()))], Some(&s01), true).unwrap();
    assert_eq!(till.move_cash(CashDirection::Out, 5000, "bank", &c01).unwrap_err().kind(), "forbidden");
    till.move_cash(CashDirection::Out, 5000, "bank", &s01).unwrap();
    till.no_sale("change for a customer", &s01).unwrap();
    let x = till.x_report().unwrap();
    assert_eq!((x.n_sales, x.sales_total, x.n_refunds, x.refunds_total), (2, 1490, 1, 350));
    // float 200 + cash 7.00 - refund 3.50 - drop 50 = 153.50
    assert_eq!(x.expected_cash, 15_350);
    assert_eq!(till.replica().drawer_expected().unwrap(), 15_350);
    assert_eq!(x.by_tender.get("mobile"), Some(&790));
    let z = till.close_shift(15_300, &c01).unwrap();
    assert_eq!((z.expected_cash, z.counted_cash, z.variance), (15_350, Some(15_300), Some(-50)));
    assert_eq!(z.net_sales(), 1140);
    assert_eq!(z.n_no_sale, 1);
    assert_eq!(till.replica().open_shift().unwrap(), None);
    assert_eq!(till.replica().drawer_expected().unwrap(), 0);
    let text = opentill_core::receipt::shift_report_text(&z, till.replica().settings().currency, till.layout(Lang::Zh));
    assert!(text.contains("Z 报表") && text.contains("-0.50"), "{text}");
    assert!(till.verify(|_| {}).unwrap().is_ok());
}

#[test]
fn search_by_words_chinese_and_pinyin_initials() {
    let (_dir, till) = store(CashRounding::None);
    let skus = |q: &str| till.search(q, 10).unwrap().into_iter().map(|p| p.sku).collect::<Vec<_>>().join(",");
    assert_eq!(skus("kkkl"), "DRK-1,DRK-2");
    assert_eq!(skus("kkklld"), "DRK-2");
    assert_eq!(skus("可乐"), "DRK-1,DRK-2");
    assert_eq!(skus("零度"), "DRK-2");
    assert_eq!(skus("cola zero"), "DRK-2");
    assert_eq!(skus("COLA"), "DRK-1,DRK-2");
    assert_eq!(skus("niunai"), "DAI-1");
    assert_eq!(skus("xj"), "PRD-1");
    assert_eq!(skus("ksf"), "INS-1");
    assert_eq!(skus("\"OR*("), "");
    assert_eq!(skus(""), "");
}

#[test]
fn stored_value_is_a_balance_that_cannot_go_negative() {
    let (_dir, mut till) = store(CashRounding::None);
    assert_eq!(till.top_up("M100", 1000, TenderKind::Cash, "c01", None).unwrap(), 1000);
    let stored = |amount| Tender { kind: TenderKind::StoredValue, amount, reference: Some("M100".into()) };
    till.sell(None, &[scan("6901234567892", Some("2"))], &[stored(700)], None).unwrap();
    assert_eq!(till.replica().stored_value("M100").unwrap(), 300);
    let err = till.sell(None, &[scan("6901234567892", None)], &[stored(350)], None).unwrap_err();
    assert_eq!(err.kind(), "insufficient_balance");
    assert!(err.message(Lang::Zh).contains("余额"));
}

#[test]
fn an_enrolled_till_spends_stored_value_only_within_its_offline_allowance() {
    let (_dir, mut till) = store(CashRounding::None);
    till.top_up("M100", 100_000, TenderKind::Cash, "c01", None).unwrap();
    let stored = |amount| Tender { kind: TenderKind::StoredValue, amount, reference: Some("M100".into()) };
    // On its own, a till spends whatever the balance covers.
    till.sell(None, &[scan("6901234567892", Some("100"))], &[stored(35_000)], None).unwrap();
    // Enrolled with a cloud and never confirmed since: ¥500 of unconfirmed spending at most,
    // counting what it spent before (all unconfirmed), so ¥150 is left.
    till.replica_mut().record_enrolment("http://cloud.test", 1).unwrap();
    till.sell(None, &[scan("6901234567892", Some("40"))], &[stored(14_000)], None).unwrap();
    let err = till.sell(None, &[scan("6901234567892", Some("10"))], &[stored(3_500)], None).unwrap_err();
    assert_eq!(err.kind(), "offline_allowance");
    assert_eq!(
        err.message(Lang::En),
        "stored-value account M100: ¥35.00 is more than the ¥10.00 left of this till's offline allowance of ¥500.00; sync with the cloud, or take another tender"
    );
    assert_eq!(err.message(Lang::Zh), "储值账户 M100：本机离线额度 500.00 仅剩 10.00，不足 35.00；请先与云端同步，或改用其他支付方式");
    // Cash still sells; the balance is untouched by the refused sale.
    till.sell(None, &[scan("6901234567892", Some("10"))], &[Tender { kind: TenderKind::Cash, amount: 3_500, reference: None }], None).unwrap();
    assert_eq!(till.replica().stored_value("M100").unwrap(), 100_000 - 35_000 - 14_000);
}

#[test]
fn suspend_and_resume_survive_reopening() {
    let (dir, mut till) = store(CashRounding::None);
    let mut basket = opentill_core::basket::Basket::new(opentill_core::money::Currency::CNY, opentill_core::tax::TaxMode::Inclusive);
    basket.add(&till.lookup("6901234567892").unwrap(), 2).unwrap();
    let id = till.suspend(&basket, &opentill_till::Shopper::default(), "customer went to fetch milk").unwrap();
    drop(till);
    let mut till = opentill_till::Till::open(dir.path()).unwrap();
    assert_eq!(till.replica().suspended().unwrap().len(), 1);
    let back = till.resume(&id).unwrap().basket;
    assert_eq!(back, basket);
    assert!(matches!(till.resume(&id), Err(TillError::UnknownBasket(_))));
    let done = till.checkout(&back, None, &[cash(7)], None).unwrap();
    assert_eq!(done.sale.total, 700);
}

#[test]
fn imports_all_or_nothing_unless_skipping() {
    let (_dir, mut till) = store(CashRounding::None);
    let csv = "sku,barcode,name,name_zh,price,category,unit,tax_rate\n\
        NEW-1,4006381333931,Pen,笔,2.00,stationery,each,13\n\
        NEW-2,6901234567892,Stolen code,偷条码,1.00,x,each,13\n\
        NEW-3,96385074,Bad price,坏价格,1.2.3,x,each,13\n";
    let err = till.import_products(csv.as_bytes(), false, |_, _| {}).unwrap_err();
    assert_eq!(err.kind(), "bad_import");
    let msg = err.message(Lang::En);
    assert!(msg.contains("line 4: price"), "{msg}");
    let msg = err.message(Lang::Zh);
    assert!(msg.contains("第 4 行：价格：`1.2.3` 不是金额"), "{msg}");
    let err = till.import_products("sku,name\nA,B\n".as_bytes(), false, |_, _| {}).unwrap_err();
    assert_eq!(err.kind(), "bad_import");
    assert!(err.message(Lang::Zh).starts_with("表头缺少列：barcode"), "{}", err.message(Lang::Zh));
    assert_eq!(till.replica().product_count().unwrap(), 6, "nothing imported");
    let err = till.import_products(&csv.as_bytes()[..csv.find("NEW-3").unwrap()], false, |_, _| {}).unwrap_err();
    assert!(err.message(Lang::En).contains("barcode 6901234567892 already belongs to DRK-1"), "{}", err.message(Lang::En));
    let summary = till.import_products(csv.as_bytes(), true, |_, _| {}).unwrap();
    assert_eq!((summary.imported, summary.skipped.len()), (1, 2));
    assert_eq!(till.lookup("4006381333931").unwrap().sku, "NEW-1");
    assert_eq!(till.lookup("6901234567892").unwrap().sku, "DRK-1");
}

#[test]
fn variants_tags_and_several_barcodes_import_and_ring_up() {
    let (_dir, mut till) = store(CashRounding::None);
    let csv = "sku,barcode,name,name_zh,price,category,unit,tax_rate,tags,parent_sku,specs\n\
        TEE-S,4006381333931|96385074,T-shirt S,T恤 S码,59.00,apparel,each,13,cotton|summer,TEE,size=S|colour=white\n\
        TEE-M,036000291452,T-shirt M,T恤 M码,59.00,apparel,each,13,cotton,TEE,size=M|colour=white\n\
        TEE-X,10614141000415,T-shirt X,T恤,59.00,apparel,each,13,,TEE,size\n";
    let err = till.import_products(csv.as_bytes(), false, |_, _| {}).unwrap_err();
    assert!(err.message(Lang::En).contains("line 4: spec `size` must look like name=value"), "{}", err.message(Lang::En));
    let summary = till.import_products(csv.as_bytes(), true, |_, _| {}).unwrap();
    assert_eq!(summary.imported, 2);
    let small = till.lookup("96385074").unwrap();
    assert_eq!(small.sku, "TEE-S");
    assert_eq!(small.barcodes, vec!["4006381333931".to_string(), "96385074".to_string()]);
    assert_eq!(small.tags, vec!["cotton".to_string(), "summer".to_string()]);
    assert_eq!(small.parent_sku.as_deref(), Some("TEE"));
    assert_eq!(small.specs, vec![("size".to_string(), "S".to_string()), ("colour".to_string(), "white".to_string())]);
    let done = till.sell(None, &[scan("4006381333931", None), scan("96385074", None), scan("036000291452", None)], &[cash(200)], None).unwrap();
    assert_eq!((done.sale.lines.len(), done.sale.total), (2, 17_700), "both codes ring up the same line");
    for query in ["恤", "cotton", "t shirt"] {
        let skus: Vec<String> = till.search(query, 10).unwrap().into_iter().map(|p| p.sku).collect();
        assert_eq!(skus, vec!["TEE-M".to_string(), "TEE-S".to_string()], "{query}");
    }
}

#[test]
fn scale_labels_upc_and_gs1_ring_up() {
    let (_dir, mut till) = store(CashRounding::None);
    // Banana is filed under 2000001000007: PLU 00001 with a zero weight.
    type Expected = Result<(i64, i64), &'static str>;
    let cases: Vec<(&str, Expected)> = vec![
        // A weight label: 1.234 kg at 6.98 = 8.61.
        ("2000001012345", Ok((1234, 861))),
        // The catalog code spelled as UPC-A / GTIN-14.
        ("06901234567892", Ok((1, 350))),
        // GS1-128 without separators: GTIN and net weight 0.750 kg.
        ("0102000001000007310300075" , Err("unknown_barcode")),
        ("01020000010000073103000750", Ok((750, 524))),
        // GS1 with a price (AI 3922): the label price is charged exactly.
        ("(01)02000001000007(3922)1299", Ok((1861, 1299))),
        ("(01)06901234567892(3103)000500", Err("bad_input")),
        ("(01)06901234567892(17)261399", Err("bad_input")),
        ("2000001012340", Err("unknown_barcode")),
        ("2099999012345", Err("unknown_barcode")),
    ];
    for (code, expected) in cases {
        let mut basket = till.new_basket();
        let got = till.ring_up(&mut basket, &[scan(code, None)]).map(|()| (basket.lines[0].qty, basket.totals().total));
        match (expected, got) {
            (Ok(want), Ok(got)) => assert_eq!(got, want, "{code}"),
            (Err(kind), Err(e)) => assert_eq!(e.kind(), kind, "{code}: {e}"),
            (want, got) => panic!("{code}: expected {want:?}, got {:?}", got.map_err(|e| e.to_string())),
        }
    }
    let err = till.sell(None, &[scan("2000001012345", Some("2"))], &[cash(20)], None).unwrap_err();
    assert!(err.to_string().contains("carries its own weight"), "{err}");
    let done = till.sell(None, &[scan("(01)02000001000007(3922)1299", None)], &[cash(20)], None).unwrap();
    assert_eq!((done.sale.total, done.sale.lines[0].qty, done.sale.lines[0].gross), (1299, 1861, 1299));
    assert_eq!(till.replica().stock("PRD-1").unwrap(), -1861, "stock moves by the weight the price stands for");
}
