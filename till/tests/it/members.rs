//! Members: registration by phone, referral points, points by tier and birthday, paying
//! with points, tier prices, and refunds taking points back; all folded from the journal.

use opentill_core::i18n::Lang;
use opentill_core::rounding::CashRounding;
use opentill_core::tender::{Tender, TenderKind};
use opentill_till::{Shopper, Till};

use crate::{cash_minor as cash, scan_qty as scan, store};

const DRINK: &str = "6901234567892"; // DRK-1, 3.50
const CHIPS: &str = "6920152400012"; // SNK-1, 7.90

fn member(key: &str) -> Shopper {
    Shopper { member: Some(key.into()), ..Shopper::default() }
}

fn points(till: &Till, key: &str) -> (i64, i64, String) {
    let m = till.member(key).unwrap();
    (m.row.points, m.row.spend, m.tier.id)
}

#[test]
fn members_earn_points_by_tier_and_birthday_pay_with_them_and_refunds_take_them_back() {
    let (dir, mut till) = store(CashRounding::None);
    // The test clock is 2026-11-22: Wang Fang's birthday.
    let wang = till.register_member("+86 138 0013 8000", "王芳", Some("11-22"), None, "c01").unwrap();
    let li = till.register_member("13900139000", "Li Lei", Some("03-01"), Some(&wang.row.referral_code.to_lowercase()), "c01").unwrap();
    assert_eq!(li.row.referred_by.as_deref(), Some(wang.row.member_id.as_str()));
    assert_eq!(points(&till, "13800138000"), (100, 0, "normal".into()), "100 points for the referral");

    for (phone, name, birthday, referral, kind, says) in [
        ("13800138000", "Again", None, None, "duplicate", "13800138000"),
        ("12345", "Short", None, None, "bad_input", "not a mobile number"),
        ("13700137000", "Bad day", Some("02-30"), None, "bad_input", "MM-DD"),
        ("13700137000", "No such code", None, Some("ZZZZZZ"), "bad_input", "ZZZZZZ"),
        ("13700137000", " ", None, None, "bad_input", "name"),
    ] {
        let err = till.register_member(phone, name, birthday, referral, "c01").unwrap_err();
        assert_eq!(err.kind(), kind, "{phone} {name}");
        assert!(err.message(Lang::En).contains(says), "{}", err.message(Lang::En));
    }

    // Li: 3 bags of chips, 23.70 → 23 points at ×1.
    let (chips, _) = till.sell_to(None, &[scan(CHIPS, "3")], &[cash(3_000)], None, &member("13900139000")).unwrap();
    assert_eq!((chips.sale.member.as_deref(), chips.sale.points_earned), (Some(li.row.member_id.as_str()), 23));
    // Wang on her birthday: 2 colas, 7.00 → 7 points, doubled.
    let (colas, _) = till.sell_to(None, &[scan(DRINK, "2")], &[cash(700)], None, &member(&wang.row.member_id)).unwrap();
    assert_eq!(colas.sale.points_earned, 14);
    assert!(till.sale_receipt(&colas, Lang::Zh).contains("本单积分"), "the receipt shows the points");
    // Wang pays 1.00 of a cola with 100 points (named by phone): 2.50 in cash earns 2 × 2.
    let pay = [Tender { kind: TenderKind::Points, amount: 100, reference: Some("13800138000".into()) }, cash(250)];
    let (with_points, _) = till.sell_to(None, &[scan(DRINK, "1")], &pay, None, &member("13800138000")).unwrap();
    assert_eq!(with_points.sale.tenders[0].reference.as_deref(), Some(wang.row.member_id.as_str()), "the journal names the member by id");
    assert_eq!(points(&till, "13800138000"), (100 + 14 - 100 + 4, 700 + 250, "normal".into()));
    // More points than she has: refused, nothing recorded.
    let head = till.replica().head().unwrap().0;
    let too_many = [Tender { kind: TenderKind::Points, amount: 350, reference: Some(wang.row.member_id.clone()) }];
    let err = till.sell_to(None, &[scan(DRINK, "1")], &too_many, None, &member("13800138000")).unwrap_err();
    assert_eq!(err.kind(), "insufficient_points");
    assert_eq!(till.replica().head().unwrap().0, head);

    // A program with silver from ¥20 at ×1.2, and a silver price for colas: Li is silver now.
    let mut program = till.member_program().unwrap();
    program.tiers[1].min_spend = 2_000;
    till.set_member_program(&serde_json::to_string(&program).unwrap()).unwrap();
    assert!(till.set_member_program(r#"{"tiers": [], "points_per_yuan": 1, "birthday_points_bp": 20000, "referral_points": 0}"#).is_err());
    till.put_promotion(r#"{"id": "SILVER-COLA", "kind": {"MemberPrice": {"prices": [{"sku": "DRK-1", "tier": "silver", "price": 300}]}}, "window": {"from_ms": 0, "to_ms": 4102444800000}, "exclusive": false, "stack_group": null, "priority": 0, "members_only": false}"#).unwrap();
    assert_eq!(points(&till, "13900139000").2, "silver");
    let (silver, _) = till.sell_to(None, &[scan(DRINK, "4")], &[cash(1_200)], None, &member("13900139000")).unwrap();
    assert_eq!((silver.sale.total, silver.sale.points_earned), (1_200, 14), "4 × 3.00, 12 points × 1.2");
    let (plain, _) = till.sell_to(None, &[scan(DRINK, "1")], &[cash(350)], None, &member("13800138000")).unwrap();
    assert_eq!(plain.sale.total, 350, "Wang is not silver: no member price");

    // Li returns the chips: the 23 points go, and so does the spend that made him silver.
    let refund = till.refund(&chips.sale.sale_id, &[], None, true).unwrap();
    assert_eq!(refund.refund.points_reversed, 23);
    assert_eq!(points(&till, "13900139000"), (14, 1_200, "normal".into()));

    let report = till.verify(|_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.projection_problems);
    drop(till);
    let till = Till::open(dir.path()).unwrap();
    assert_eq!(points(&till, li.row.referral_code.as_str()), (14, 1_200, "normal".into()), "found by referral code after a restart");
}
