//! Promotions and coupons at checkout: the best combination is charged, the receipt
//! explains each saving, and coupon uses and flash-sale pieces are counted from the
//! journal so that limits hold offline and across a restart.

use expect_test::expect;
use opentill_core::i18n::Lang;
use opentill_core::rounding::CashRounding;
use opentill_till::{Shopper, Till};

use crate::{cash_minor as cash, scan_qty as scan, store};

const DRINK: &str = "6901234567892"; // DRK-1, 3.50
const CHIPS: &str = "6920152400012"; // SNK-1, 7.90

fn shopper(member: Option<&str>, coupons: &[&str]) -> Shopper {
    Shopper { member: member.map(str::to_string), coupons: coupons.iter().map(|c| c.to_string()).collect(), served_by: None }
}

/// 满20减3 on everything, DRK-1 at 1.99 for the first 3 pieces (限时抢购), and a
/// single-use 满10减2 coupon.
fn with_offers(till: &mut Till) {
    let always = r#""window": {"from_ms": 0, "to_ms": 4102444800000}"#;
    till.put_promotion(&format!(r#"{{"id": "MJ20", "kind": {{"Threshold": {{"scope": "All", "rule": {{"Tiers": [{{"spend": 2000, "off": 300}}]}}}}}}, {always}, "exclusive": false, "stack_group": null, "priority": 0, "members_only": false}}"#)).unwrap();
    till.put_promotion(&format!(r#"{{"id": "FLASH-COLA", "kind": {{"FlashSale": {{"scope": {{"Skus": ["DRK-1"]}}, "price": 199, "cap": 3}}}}, {always}, "exclusive": false, "stack_group": null, "priority": 0, "members_only": false}}"#)).unwrap();
    till.put_coupon(&format!(r#"{{"id": "NEW2", "kind": {{"Threshold": {{"spend": 1000, "off": 200}}}}, "scope": "All", {always}, "group": "welcome", "uses": "Single"}}"#)).unwrap();
}

#[test]
fn checkout_charges_the_best_combination_and_the_receipt_explains_it() {
    let (_dir, mut till) = store(CashRounding::None);
    with_offers(&mut till);
    // 2 colas (7.00) and 3 bags of chips (23.70): the flash price takes 1.51 off each
    // cola (3.02), which leaves 20.68, still enough for 满20减3; then the coupon, 2.00.
    let done = till.sell_to(None, &[scan(DRINK, "2"), scan(CHIPS, "3")], &[cash(3_000)], None, &shopper(Some("M001"), &["NEW2"])).unwrap();
    let (done, pricing) = (done.0, done.1.unwrap());
    assert!(pricing.refused.is_empty() && pricing.proven_optimal);
    let sale = &done.sale;
    assert_eq!((sale.subtotal, sale.promo_saving, sale.total), (3_070, 802, 2_268), "30.70 less 8.02");
    let per_line: Vec<i64> = sale.lines.iter().map(|l| l.promo_saving).collect();
    assert_eq!(per_line.iter().sum::<i64>(), 802, "the lines carry every saving");
    assert_eq!(sale.lines.iter().map(|l| l.amount).sum::<i64>(), sale.total);
    let offers: Vec<(&str, i64)> = sale.offers.iter().map(|o| (o.id.as_str(), o.saving)).collect();
    assert_eq!(offers, [("FLASH-COLA", 302), ("MJ20", 300), ("NEW2", 200)]);
    assert_eq!(sale.member.as_deref(), Some("M001"));
    let receipt = till.sale_receipt(&done, Lang::Zh).replace(&sale.sale_id, "<id>");
    expect![[r#"
                OpenTill 测试店
              上海市世纪大道100号
        --------------------------------
        销售
        <id>
        2026-11-22 09:35
        --------------------------------
        可口可乐 330ml
          2 x 3.50                  7.00
          促销优惠                 -3.74
        乐事黄瓜味薯片 70g
          3 x 7.90                 23.70
          促销优惠                 -4.28
        --------------------------------
        小计                       30.70
        限时抢购 ¥1.99             -3.02
        满20减3                    -3.00
        满10减2券                  -2.00
        合计                      ¥22.68
        含税                        2.61
        现金                       30.00
        找零                        7.32
        --------------------------------
        件数 5
        会员 M001
        共节省                     ¥8.02
             谢谢惠顾，欢迎再次光临
    "#]].assert_eq(&receipt);
    let receipt = till.sale_receipt(&done, Lang::En).replace(&sale.sale_id, "<id>");
    expect![[r#"
              OpenTill Test Store
              上海市世纪大道100号
        --------------------------------
        Sale
        <id>
        2026-11-22 09:35
        --------------------------------
        Coca-Cola 330ml
          2 x 3.50                  7.00
          Promotions               -3.74
        Lay's Cucumber Chips 70g
          3 x 7.90                 23.70
          Promotions               -4.28
        --------------------------------
        Subtotal                   30.70
        Flash sale ¥1.99           -3.02
        Spend ¥20, save ¥3         -3.00
        Coupon: spend ¥10, save ¥2 -2.00
        Total                     ¥22.68
        Tax                         2.61
        Cash                       30.00
        Change                      7.32
        --------------------------------
        Items 5
        Member M001
        You saved                  ¥8.02
          Thank you, please come again
    "#]].assert_eq(&receipt);
}

#[test]
fn flash_sale_caps_and_single_use_coupons_hold_across_sales_and_a_restart() {
    let (dir, mut till) = store(CashRounding::None);
    with_offers(&mut till);
    let coupon = shopper(None, &["NEW2"]);
    // Two of the three flash-sale colas, and the coupon (7.00 − 3.02 = 3.98 is under its
    // 10.00 threshold, so it waits).
    let (first, pricing) = till.sell_to(None, &[scan(DRINK, "2")], &[cash(1_000)], None, &coupon).unwrap();
    assert_eq!(first.sale.total, 398);
    assert_eq!(pricing.unwrap().refused.iter().map(|r| r.reason.text(Lang::En, first.sale.currency)).collect::<Vec<_>>(), ["spend ¥10.00 to use"]);
    // 2 more colas: one piece is left at the flash price. The coupon is used here.
    let (second, _) = till.sell_to(None, &[scan(DRINK, "2"), scan(CHIPS, "2")], &[cash(3_000)], None, &coupon).unwrap();
    assert_eq!(second.sale.offers.iter().map(|o| (o.id.as_str(), o.saving, o.flash_pieces)).collect::<Vec<_>>(), [("FLASH-COLA", 151, 1), ("MJ20", 300, 0), ("NEW2", 200, 0)]);
    assert_eq!(till.offer_uses("NEW2", None).unwrap(), 1);

    // A restart loses no count: the cap and the coupon's single use still hold.
    drop(till);
    let mut till = Till::open(dir.path()).unwrap();
    let (third, pricing) = till.sell_to(None, &[scan(DRINK, "1"), scan(CHIPS, "2")], &[cash(3_000)], None, &shopper(None, &["NEW2", "NOPE"])).unwrap();
    assert!(third.sale.offers.is_empty(), "no flash-sale piece left, coupon used up: {:?}", third.sale.offers);
    assert_eq!(third.sale.total, 350 + 1_580);
    let refused: Vec<(String, String)> = pricing.unwrap().refused.iter().map(|r| (r.coupon_id.clone(), r.reason.text(Lang::Zh, third.sale.currency))).collect();
    assert_eq!(refused, [("NEW2".to_string(), "已用完".to_string()), ("NOPE".to_string(), "无此优惠券".to_string())]);

    // A refund gives back what was paid for the line, after its savings.
    let refund = till.refund(&second.sale.sale_id, &[(1, None)], None, true).unwrap();
    assert_eq!(refund.refund.total, second.sale.lines[0].amount);
    assert!(refund.refund.total < 700, "two colas, one at the flash price and a share of the coupon");
    let report = till.verify(|_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.projection_problems);
}

#[test]
fn bad_coupons_are_refused_with_the_reason_and_nothing_is_stored() {
    let (_dir, mut till) = store(CashRounding::None);
    with_offers(&mut till);
    let always = r#""window": {"from_ms": 0, "to_ms": 4102444800000}"#;
    let cases = [
        (format!(r#"{{"id": "NEG", "kind": {{"Cash": {{"off": -100}}}}, "scope": "All", {always}, "group": "g", "uses": "Single"}}"#), "negative"),
        (format!(r#"{{"id": "MJ20", "kind": {{"Cash": {{"off": 100}}}}, "scope": "All", {always}, "group": "g", "uses": "Single"}}"#), "MJ20"),
        (format!(r#"{{"id": "ZERO", "kind": {{"Cash": {{"off": 100}}}}, "scope": "All", {always}, "group": "g", "uses": {{"Limited": 0}}}}"#), "uses"),
        ("{\"id\": \"HALF\"".to_string(), "coupon"),
    ];
    for (json, reason) in cases {
        let err = till.put_coupon(&json).unwrap_err();
        assert_eq!(err.kind(), "bad_input");
        assert!(err.message(Lang::En).contains(reason), "{json}: {}", err.message(Lang::En));
    }
    assert_eq!(till.coupons().unwrap().iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["NEW2"]);
    assert!(till.remove_coupon("NOPE").is_err());
    till.remove_coupon("NEW2").unwrap();
    assert!(till.coupons().unwrap().is_empty());
}

#[test]
fn sales_credit_the_staff_member_who_served_and_commission_follows_the_rules() {
    let (_dir, mut till) = store(CashRounding::None);
    till.set_commission_rules(r#"{"default_bp": 100, "by_category": {"snacks": 500}}"#).unwrap();
    assert!(till.set_commission_rules(r#"{"default_bp": 20000, "by_category": {}}"#).unwrap_err().message(Lang::En).contains("over 100 %"));
    let served = |staff: &str| Shopper { served_by: Some(staff.into()), ..Shopper::default() };
    let (chips, _) = till.sell_to(None, &[scan(CHIPS, "2")], &[cash(2_000)], None, &served("c01")).unwrap();
    assert_eq!(chips.sale.served_by.as_deref(), Some("c01"));
    till.sell_to(None, &[scan(DRINK, "4")], &[cash(2_000)], None, &served("s01")).unwrap();
    till.sell(None, &[scan(CHIPS, "1")], &[cash(1_000)], None).unwrap();
    let err = till.sell_to(None, &[scan(DRINK, "1")], &[cash(1_000)], None, &served("nobody")).unwrap_err();
    assert!(err.message(Lang::En).contains("no staff member nobody"), "{}", err.message(Lang::En));
    // c01: 15.80 of snacks at 5 % = 0.79; s01: 14.00 of drinks at the default 1 % = 0.14.
    let rows: Vec<(String, i64, i64)> = till.commission_report(None, None).unwrap().into_iter().map(|r| (r.staff, r.net, r.commission)).collect();
    assert_eq!(rows, [("c01".to_string(), 1_580, 79), ("s01".to_string(), 1_400, 14)]);
    // A refund of one bag takes its commission back: 0.79 − 0.40 (7.90 at 5 %, half up).
    till.refund(&chips.sale.sale_id, &[(1, Some("1".into()))], None, true).unwrap();
    let c01 = &till.commission_report(Some("2026-11-22"), Some("2026-11-22")).unwrap()[0];
    assert_eq!((c01.staff.as_str(), c01.net, c01.commission), ("c01", 790, 39));
}
