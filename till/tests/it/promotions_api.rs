//! Promotions and coupons stored and removed over HTTP, as the back office does: only a
//! manager may, the till's checks refuse in the caller's language and store nothing, and
//! the quote prices with what is stored.

use axum::http::StatusCode;
use opentill_core::rounding::CashRounding;
use opentill_till::api::{AppState, router};
use serde_json::{Value, json};

use crate::api::call;
use crate::store;

const ALWAYS: (i64, i64) = (0, 4_102_444_800_000);

fn percent_off(id: &str, sku: &str, percent_bp: u32) -> Value {
    json!({"id": id, "kind": {"PercentOff": {"scope": {"Skus": [sku]}, "percent_bp": percent_bp}}, "window": {"from_ms": ALWAYS.0, "to_ms": ALWAYS.1}})
}

fn as_user(field: &str, body: Value, user: &str, pin: &str) -> String {
    json!({field: body, "user_id": user, "pin": pin}).to_string()
}

/// Two colas (DRK-1, 3.50 each), quoted in `lang`: (saving, total, offer texts).
async fn quote(app: &axum::Router, coupons: &[&str], lang: &str) -> (i64, i64, Vec<String>) {
    let body = json!({"items": [{"barcode": "6901234567892", "qty": 2}], "coupons": coupons}).to_string();
    let (status, q) = call(app, "POST", "/api/basket/price", Some(&body), lang).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let texts = q["offers"].as_array().unwrap().iter().map(|o| o[if lang == "en" { "text_en" } else { "text_zh" }].as_str().unwrap().to_string()).collect();
    (q["promo_saving_minor"].as_i64().unwrap(), q["total_minor"].as_i64().unwrap(), texts)
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_manager_stores_and_removes_promotions_and_the_quote_follows() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李娜", opentill_core::role::Role::Manager, "7777").unwrap();
    let app = router(AppState::new(till));
    assert_eq!(quote(&app, &[], "en").await, (0, 700, vec![]), "no promotion yet");

    // Only a manager, with the right PIN.
    let cola20 = percent_off("COLA-20", "DRK-1", 2000);
    for (user, pin, want) in [("c01", "1234", StatusCode::FORBIDDEN), ("s01", "9001", StatusCode::FORBIDDEN), ("m01", "0000", StatusCode::UNAUTHORIZED)] {
        let (status, body) = call(&app, "POST", "/api/promotions", Some(&as_user("promotion", cola20.clone(), user, pin)), "en").await;
        assert_eq!(status, want, "{user}: {body}");
    }
    let (_, list) = call(&app, "GET", "/api/promotions", None, "en").await;
    assert_eq!(list, json!([]), "nothing stored by the refused requests");

    let (status, stored) = call(&app, "POST", "/api/promotions", Some(&as_user("promotion", cola20.clone(), "m01", "7777")), "zh-CN").await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!((stored["id"].as_str(), stored["kind"].as_str(), stored["running"].as_bool(), stored["description"].as_str()), (Some("COLA-20"), Some("PercentOff"), Some(true), Some("8折")));
    assert_eq!(stored["promotion"]["kind"], cola20["kind"], "the JSON as stored");
    // 20 % off 7.00.
    assert_eq!(quote(&app, &[], "en").await, (140, 560, vec!["20% off".to_string()]));

    // Refusals keep the reason, in the caller's language, and store nothing.
    let refusals = [
        (percent_off("TOO-MUCH", "DRK-1", 12_000), "percent_bp is 12000 basis points, more than 100 %", "折扣超过 100%"),
        (json!({"id": "MJ", "kind": {"Threshold": {"scope": "All", "rule": {"Tiers": [{"spend": 1000, "off": 2000}]}}}, "window": {"from_ms": 0, "to_ms": 1}}), "takes off more than the spend that earns it", "减免金额超过门槛金额"),
        (json!({"id": "BACKWARDS", "kind": {"BuyGet": {"scope": "All", "buy": 2, "get": 1}}, "window": {"from_ms": 10, "to_ms": 5}}), "does not end after it starts", "结束时间须晚于开始时间"),
        (json!({"id": "bad id!", "kind": {"BuyGet": {"scope": "All", "buy": 2, "get": 1}}, "window": {"from_ms": 0, "to_ms": 5}}), "promotion id `bad id!`", "bad id!"),
        (json!({"id": "NO-KIND", "window": {"from_ms": 0, "to_ms": 5}}), "missing field `kind`", "kind"),
    ];
    for (promotion, en, zh) in refusals {
        for (lang, want) in [("en", en), ("zh-CN", zh)] {
            let (status, body) = call(&app, "POST", "/api/promotions", Some(&as_user("promotion", promotion.clone(), "m01", "7777")), lang).await;
            assert_eq!((status, body["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input")), "{body}");
            assert!(body["message"].as_str().unwrap().contains(want), "{lang}: {body}");
        }
    }
    let (_, list) = call(&app, "GET", "/api/promotions", None, "en").await;
    assert_eq!(ids(&list), ["COLA-20"]);

    // The list says which run now and why the others do not (the store's clock reads
    // Sunday 2026-11-22, about 09:30 in Shanghai).
    let later = json!({"id": "LATER", "kind": {"FixedPrice": {"scope": {"Categories": ["snacks"]}, "price": 500}}, "window": {"from_ms": ALWAYS.1 - 1000, "to_ms": ALWAYS.1}});
    let over = json!({"id": "OVER", "kind": {"BuyGet": {"scope": "All", "buy": 2, "get": 1}}, "window": {"from_ms": 0, "to_ms": 1000}});
    let evenings = json!({"id": "EVENINGS", "kind": {"Threshold": {"scope": "All", "rule": {"Tiers": [{"spend": 10000, "off": 2000}, {"spend": 20000, "off": 5000}]}}}, "window": {"from_ms": 0, "to_ms": ALWAYS.1, "daily": {"from_minute": 1080, "to_minute": 1260}}});
    let mondays = json!({"id": "MONDAYS", "kind": {"PercentOff": {"scope": "All", "percent_bp": 500}}, "window": {"from_ms": 0, "to_ms": ALWAYS.1, "weekdays": [1]}, "members_only": true});
    for promotion in [later, over, evenings, mondays] {
        let (status, body) = call(&app, "POST", "/api/promotions", Some(&as_user("promotion", promotion, "m01", "7777")), "en").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, list) = call(&app, "GET", "/api/promotions", None, "zh-CN").await;
    let rows: Vec<(&str, &str, &str)> = list.as_array().unwrap().iter().map(|p| (p["id"].as_str().unwrap(), p["state"].as_str().unwrap(), p["description"].as_str().unwrap())).collect();
    assert_eq!(rows, [("COLA-20", "running", "8折"), ("EVENINGS", "outside_hours", "满100减20"), ("LATER", "not_started", "特价 ¥5"), ("MONDAYS", "other_weekday", "9.5折"), ("OVER", "ended", "买2送1")]);
    assert_eq!(list[1]["window"], json!({"from_ms": 0, "to_ms": ALWAYS.1, "daily_from_minute": 1080, "daily_to_minute": 1260, "weekdays": []}));
    let (_, list) = call(&app, "GET", "/api/promotions", None, "en").await;
    assert_eq!(list[1]["description"].as_str(), Some("Spend ¥100, save ¥20"));

    // Remove: a cashier may not; an unknown id is 404; then the quote has no saving.
    let pin = |user: &str, pin: &str| json!({"user_id": user, "pin": pin}).to_string();
    let (status, _) = call(&app, "POST", "/api/promotions/COLA-20/remove", Some(&pin("c01", "1234")), "en").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(&app, "POST", "/api/promotions/NOPE/remove", Some(&pin("m01", "7777")), "zh-CN").await;
    assert_eq!((status, body["kind"].as_str(), body["message"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_promotion"), Some("没有促销 NOPE")));
    let (status, left) = call(&app, "POST", "/api/promotions/COLA-20/remove", Some(&pin("m01", "7777")), "en").await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(ids(&left), ["EVENINGS", "LATER", "MONDAYS", "OVER"], "the promotions left");
    assert_eq!(quote(&app, &[], "en").await, (0, 700, vec![]));
}

#[tokio::test]
async fn a_manager_stores_and_removes_coupons_with_their_uses() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李娜", opentill_core::role::Role::Manager, "7777").unwrap();
    till.put_promotion(&percent_off("COLA-20", "DRK-1", 2000).to_string()).unwrap();
    let app = router(AppState::new(till));
    let coupon = |id: &str, kind: Value, uses: Value| json!({"id": id, "kind": kind, "scope": "All", "window": {"from_ms": ALWAYS.0, "to_ms": ALWAYS.1}, "group": "office", "uses": uses});

    let two_off = coupon("TWO-OFF", json!({"Cash": {"off": 200}}), json!({"Limited": 2}));
    let (status, _) = call(&app, "POST", "/api/coupons", Some(&as_user("coupon", two_off.clone(), "c01", "1234")), "en").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a cashier may not");
    let (status, stored) = call(&app, "POST", "/api/coupons", Some(&as_user("coupon", two_off, "m01", "7777")), "en").await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!((stored["kind"].as_str(), stored["description"].as_str(), stored["used"].as_i64(), stored["limit"].as_u64(), stored["running"].as_bool()), (Some("Cash"), Some("¥2 coupon"), Some(0), Some(2), Some(true)));
    let ten = coupon("TEN-PCT", json!({"Percent": {"percent_bp": 1000, "spend": 500}}), json!("Unlimited"));
    let (status, stored) = call(&app, "POST", "/api/coupons", Some(&as_user("coupon", ten, "m01", "7777")), "zh-CN").await;
    assert_eq!((status, stored["description"].as_str(), stored["limit"].as_u64()), (StatusCode::OK, Some("9折券，满5可用"), None), "{stored}");

    // Priced with the promotion: 7.00 less 20 % (1.40), less ¥2.
    assert_eq!(quote(&app, &["TWO-OFF"], "en").await, (340, 360, vec!["20% off".to_string(), "¥2 coupon".to_string()]));
    // A sale uses it once; the list counts it.
    let sale = json!({"items": [{"barcode": "6901234567892", "qty": 2}], "coupons": ["TWO-OFF"], "tenders": [{"kind": "cash", "amount_minor": 360}]}).to_string();
    let (status, sold) = call(&app, "POST", "/api/sales", Some(&sale), "en").await;
    assert_eq!((status, sold["total_minor"].as_i64()), (StatusCode::OK, Some(360)), "{sold}");
    let (_, list) = call(&app, "GET", "/api/coupons", None, "en").await;
    let rows: Vec<(&str, i64, Option<u64>)> = list.as_array().unwrap().iter().map(|c| (c["id"].as_str().unwrap(), c["used"].as_i64().unwrap(), c["limit"].as_u64())).collect();
    assert_eq!(rows, [("TEN-PCT", 0, None), ("TWO-OFF", 1, Some(2))]);

    // Refused with the reason in each language; nothing stored. Ids are shared with the
    // promotions, both ways.
    let refusals = [
        (coupon("ZERO", json!({"Cash": {"off": 100}}), json!({"Limited": 0})), "uses is zero", "可用次数不能为零"),
        (coupon("HALF", json!({"Percent": {"percent_bp": 20_000}}), json!("Single")), "more than 100 %", "折扣超过 100%"),
        (coupon("COLA-20", json!({"Cash": {"off": 100}}), json!("Single")), "the id `COLA-20` is used twice", "编号 COLA-20 已被其他促销或优惠券使用"),
    ];
    for (body, en, zh) in refusals {
        for (lang, want) in [("en", en), ("zh-CN", zh)] {
            let (status, answer) = call(&app, "POST", "/api/coupons", Some(&as_user("coupon", body.clone(), "m01", "7777")), lang).await;
            assert_eq!((status, answer["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input")), "{answer}");
            assert!(answer["message"].as_str().unwrap().contains(want), "{lang}: {answer}");
        }
    }
    let (status, answer) = call(&app, "POST", "/api/promotions", Some(&as_user("promotion", percent_off("TWO-OFF", "DRK-1", 1000), "m01", "7777")), "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a promotion may not take a coupon's id: {answer}");
    let (_, list) = call(&app, "GET", "/api/coupons", None, "en").await;
    assert_eq!(ids(&list), ["TEN-PCT", "TWO-OFF"]);
    assert_eq!(quote(&app, &["TWO-OFF"], "en").await.1, 360, "the stored offers still price");

    let pin = json!({"user_id": "m01", "pin": "7777"}).to_string();
    let (status, body) = call(&app, "POST", "/api/coupons/NOPE/remove", Some(&pin), "en").await;
    assert_eq!((status, body["kind"].as_str(), body["message"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_coupon"), Some("there is no coupon NOPE")));
    let (status, left) = call(&app, "POST", "/api/coupons/TWO-OFF/remove", Some(&pin), "en").await;
    assert_eq!((status, ids(&left)), (StatusCode::OK, vec!["TEN-PCT"]));
    let body = json!({"items": [{"barcode": "6901234567892", "qty": 2}], "coupons": ["TWO-OFF"]}).to_string();
    let (_, q) = call(&app, "POST", "/api/basket/price", Some(&body), "en").await;
    assert_eq!((q["total_minor"].as_i64(), q["refused_coupons"][0]["reason"].as_str()), (Some(560), Some("unknown")), "{q}");
}
