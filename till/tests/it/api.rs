//! The HTTP API, called in-process as the Tauri shell will call it.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use opentill_core::rounding::CashRounding;
use opentill_till::api::{AppState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::store;

pub(crate) async fn call(app: &axum::Router, method: &str, uri: &str, body: Option<&str>, lang: &str) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri).header("accept-language", lang);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let response = app.clone().oneshot(request.body(Body::from(body.unwrap_or("").to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())))
}

#[tokio::test]
async fn sells_refunds_and_reports_over_http() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));

    let (status, doc) = call(&app, "GET", "/api/openapi.json", None, "en").await;
    assert_eq!(status, StatusCode::OK);
    for path in ["/api/sales", "/api/refunds", "/api/products", "/api/shifts/close", "/api/journal/verify"] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }

    let sale = json!({"sale_id": "web-1", "items": [{"barcode": "6901234567892", "qty": 2}, {"barcode": "2000001000007", "grams": 1000}], "tenders": [{"kind": "cash", "amount_minor": 2000}]});
    let (status, body) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["total_minor"].as_i64(), body["change_minor"].as_i64(), body["new"].as_bool()), (Some(1398), Some(602), Some(true)));
    assert!(body["receipt_text"].as_str().unwrap().contains("Banana"));
    let (_, again) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert_eq!(again["new"].as_bool(), Some(false), "same sale id replays, never posts twice");

    let (status, body) = call(&app, "GET", "/api/products?q=kkkl", None, "en").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().unwrap().len(), 2);

    let refund = json!({"sale_id": "web-1", "lines": [{"line": 1, "qty": 1}], "user_id": "s01", "pin": "0000"});
    let (status, body) = call(&app, "POST", "/api/refunds", Some(&refund.to_string()), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth_failed")));
    let refund = json!({"sale_id": "web-1", "lines": [{"line": 1, "qty": 1}], "user_id": "c01", "pin": "1234"});
    let (status, body) = call(&app, "POST", "/api/refunds", Some(&refund.to_string()), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "a cashier may not refund");
    let refund = json!({"sale_id": "web-1", "lines": [{"line": 1, "qty": 1}], "user_id": "s01", "pin": "9001"});
    let (status, body) = call(&app, "POST", "/api/refunds", Some(&refund.to_string()), "en").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total_minor"].as_i64(), Some(350));

    let (status, report) = call(&app, "GET", "/api/reports/sales?from=2026-11-22&to=2026-11-22", None, "en").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["n_sales"].as_i64(), report["net_minor"].as_i64()), (Some(1), Some(1048)));
    let (status, stock) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;
    assert_eq!((status, stock["qty"].as_i64()), (StatusCode::OK, Some(-1)), "2 sold, 1 returned");
    let adjust = json!({"sku": "DRK-1", "delta": 24, "reason": "receive", "user_id": "s01", "pin": "9001"});
    let (status, body) = call(&app, "POST", "/api/stock/adjust", Some(&adjust.to_string()), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "only a manager adjusts stock");
    let top_up = json!({"account": "M1", "amount_minor": 5000, "tender": "cash", "user_id": "c01", "pin": "1234"});
    let (status, body) = call(&app, "POST", "/api/stored-value/top-up", Some(&top_up.to_string()), "en").await;
    assert_eq!((status, body["balance_minor"].as_i64()), (StatusCode::OK, Some(5000)), "{body}");
    let pay = json!({"items": [{"barcode": "6920152400012"}], "tenders": [{"kind": "stored", "amount_minor": 790, "reference": "M1"}]});
    let (status, _) = call(&app, "POST", "/api/sales", Some(&pay.to_string()), "en").await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = call(&app, "GET", "/api/stored-value/M1", None, "en").await;
    assert_eq!(body["balance_minor"].as_i64(), Some(4210));
    let (_, verify) = call(&app, "GET", "/api/journal/verify", None, "en").await;
    assert_eq!(verify["ok"].as_bool(), Some(true), "{verify}");
}

#[tokio::test]
async fn errors_are_kind_and_message_in_the_callers_language() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));
    let (status, body) = call(&app, "GET", "/api/products/barcode/6901234567890", None, "zh-CN,zh;q=0.9").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"kind": "unknown_barcode", "message": "条码 6901234567890 不存在"}));
    let (_, body) = call(&app, "GET", "/api/products/barcode/6901234567890", None, "en-US").await;
    assert_eq!(body["message"], "unknown barcode 6901234567890");

    let short = json!({"items": [{"barcode": "6901234567892"}], "tenders": [{"kind": "cash", "amount_minor": 100}]});
    let (status, body) = call(&app, "POST", "/api/sales", Some(&short.to_string()), "zh").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("tender_short")));
    assert_eq!(body["message"], "付款不足：应付 3.50，实付 1.00");

    for bad in ["{", "{\"items\": 5}", "[]", "{\"items\": [], \"tenders\": [{\"kind\": \"gold\", \"amount_minor\": 1}]}"] {
        let (status, body) = call(&app, "POST", "/api/sales", Some(bad), "en").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["kind"], "bad_input");
    }
    let mut latin1 = br#"{"items": [{"barcode": "caf"#.to_vec();
    latin1.extend_from_slice(&[0xe9]);
    latin1.extend_from_slice(br#""}], "tenders": []}"#);
    let request = Request::builder().method("POST").uri("/api/sales").header("content-type", "application/json").body(Body::from(latin1)).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "invalid UTF-8 is refused");
    let (status, body) = call(&app, "GET", "/api/nope", None, "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (_, health) = call(&app, "GET", "/api/health", None, "en").await;
    assert_eq!(health["journal_entries"].as_u64(), Some(0), "no failed request wrote anything");
}

#[tokio::test]
async fn categories_list_the_product_buttons() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));
    let (status, body) = call(&app, "GET", "/api/categories", None, "en").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body.as_array().unwrap().iter().map(|c| c["category"].as_str().unwrap()).collect();
    assert_eq!(names, ["dairy", "drinks", "instant", "produce", "snacks"]);
    assert_eq!(body[1]["products"], 2);
    let (status, body) = call(&app, "GET", "/api/categories/drinks/products", None, "en").await;
    assert_eq!(status, StatusCode::OK);
    let skus: Vec<&str> = body.as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap()).collect();
    assert_eq!(skus, ["DRK-1", "DRK-2"]);
    let (_, body) = call(&app, "GET", "/api/categories/drinks/products?limit=1", None, "en").await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    let (_, body) = call(&app, "GET", "/api/categories/nothing/products", None, "en").await;
    assert_eq!(body, json!([]));
    let (_, doc) = call(&app, "GET", "/api/openapi.json", None, "en").await;
    assert!(doc["paths"].get("/api/categories/{category}/products").is_some());
}

#[tokio::test]
async fn a_scan_is_understood_before_it_is_sold() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));
    let (status, body) = call(&app, "GET", "/api/scan/6901234567892", None, "en").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["product"]["sku"].as_str(), &body["grams"], &body["label_price_minor"]), (Some("DRK-1"), &Value::Null, &Value::Null));
    // A scale label: item 00001 (bananas), 1.234 kg.
    let (status, body) = call(&app, "GET", "/api/scan/2000001012345", None, "en").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["product"]["sku"].as_str(), body["grams"].as_i64()), (Some("PRD-1"), Some(1234)));
    let (status, body) = call(&app, "GET", "/api/scan/6900000000007", None, "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_barcode")));
    // The label itself is the sale item: the till reads the weight again.
    let sale = json!({"items": [{"barcode": "2000001012345"}], "tenders": [{"kind": "cash", "amount_minor": 1000}]});
    let (status, body) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert_eq!((status, body["total_minor"].as_i64()), (StatusCode::OK, Some(861)), "{body}");
}

#[tokio::test]
async fn a_sale_put_aside_comes_back_as_items() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));
    let basket = json!({"items": [{"barcode": "6901234567892", "qty": 2}, {"barcode": "2000001012345"}], "label": "wallet in the car"});
    let (status, body) = call(&app, "POST", "/api/suspended", Some(&basket.to_string()), "en").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["n_lines"].as_i64(), body["total_minor"].as_i64(), body["label"].as_str()), (Some(2), Some(700 + 861), Some("wallet in the car")));
    let id = body["basket_id"].as_str().unwrap().to_string();
    let (_, list) = call(&app, "GET", "/api/suspended", None, "en").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, body) = call(&app, "POST", &format!("/api/suspended/{id}/resume"), Some("{}"), "en").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"], json!([{"barcode": "6901234567892", "qty": 2, "grams": null}, {"barcode": "2000001000007", "qty": null, "grams": 1234}]));
    let (_, list) = call(&app, "GET", "/api/suspended", None, "en").await;
    assert_eq!(list, json!([]), "resumed sales leave the list");
    let (status, body) = call(&app, "POST", &format!("/api/suspended/{id}/resume"), Some("{}"), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_basket")));
    let (status, body) = call(&app, "POST", "/api/suspended", Some(r#"{"items": []}"#), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input")));
}

#[tokio::test]
async fn a_sale_put_aside_keeps_its_member_coupons_and_who_served() {
    let (_dir, mut till) = store(CashRounding::None);
    till.put_promotion(r#"{"id": "MEMBER-COLA", "kind": {"MemberPrice": {"prices": [{"sku": "DRK-1", "tier": null, "price": 300}]}}, "window": {"from_ms": 0, "to_ms": 4102444800000}, "exclusive": false, "stack_group": null, "priority": 0, "members_only": false}"#).unwrap();
    till.put_coupon(r#"{"id": "NEW2", "kind": {"Cash": {"off": 200}}, "scope": "All", "window": {"from_ms": 0, "to_ms": 4102444800000}, "group": "welcome", "uses": "Single"}"#).unwrap();
    // A basket suspended before the shopper was kept: the replica holds the basket alone.
    let mut old = till.new_basket();
    old.add(&till.lookup("6901234567892").unwrap(), 1).unwrap();
    let old_sale = opentill_sync::Suspended { basket_id: "OLD-1".into(), created_ms: 1, label: "before".into(), basket_json: serde_json::to_string(&old).unwrap() };
    till.replica_mut().suspend(&old_sale).unwrap();
    let app = router(AppState::new(till));
    let register = json!({"phone": "13800138000", "name": "王芳", "user_id": "c01", "pin": "1234"});
    assert_eq!(call(&app, "POST", "/api/members", Some(&register.to_string()), "en").await.0, StatusCode::OK);

    // Two colas at the member price (3.00) less the ¥2 coupon: the list shows 4.00.
    let items = json!([{"barcode": "6901234567892", "qty": 2}]);
    let basket = json!({"items": items, "label": "13800138000", "member": "13800138000", "coupons": ["NEW2"], "served_by": "c01"});
    let (status, body) = call(&app, "POST", "/api/suspended", Some(&basket.to_string()), "en").await;
    assert_eq!((status, body["total_minor"].as_i64()), (StatusCode::OK, Some(400)), "{body}");
    let id = body["basket_id"].as_str().unwrap().to_string();
    let nobody = json!({"items": items, "served_by": "x99"});
    let (status, body) = call(&app, "POST", "/api/suspended", Some(&nobody.to_string()), "en").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("there is no staff member x99 to credit the sale to")), "{body}");

    let (status, resumed) = call(&app, "POST", &format!("/api/suspended/{id}/resume"), Some("{}"), "en").await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(resumed, json!({"basket_id": id, "items": [{"barcode": "6901234567892", "qty": 2, "grams": null}], "member": "13800138000", "coupons": ["NEW2"], "served_by": "c01"}));
    // Rung up again for the member: the member price and the coupon, credited to c01.
    let sale = json!({"items": resumed["items"], "member": resumed["member"], "coupons": resumed["coupons"], "served_by": resumed["served_by"], "tenders": [{"kind": "cash", "amount_minor": 500}]});
    let (status, s) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!((s["total_minor"].as_i64(), s["promo_saving_minor"].as_i64(), s["served_by"].as_str()), (Some(400), Some(300), Some("c01")), "{s}");

    // The old basket still resumes, with no shopper.
    let (status, resumed) = call(&app, "POST", "/api/suspended/OLD-1/resume", Some("{}"), "en").await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(resumed, json!({"basket_id": "OLD-1", "items": [{"barcode": "6901234567892", "qty": 1, "grams": null}], "member": null, "coupons": [], "served_by": null}));
}

#[tokio::test]
async fn members_quotes_and_coupons_over_http() {
    let (_dir, mut till) = store(CashRounding::None);
    till.put_promotion(r#"{"id": "MJ20", "kind": {"Threshold": {"scope": "All", "rule": {"Tiers": [{"spend": 2000, "off": 300}]}}}, "window": {"from_ms": 0, "to_ms": 4102444800000}, "exclusive": false, "stack_group": null, "priority": 0, "members_only": false}"#).unwrap();
    till.put_coupon(r#"{"id": "NEW2", "kind": {"Cash": {"off": 200}}, "scope": "All", "window": {"from_ms": 0, "to_ms": 4102444800000}, "group": "welcome", "uses": "Single"}"#).unwrap();
    let app = router(AppState::new(till));

    let register = json!({"phone": "13800138000", "name": "王芳", "birthday": "03-08", "user_id": "c01", "pin": "1234"});
    let (status, member) = call(&app, "POST", "/api/members", Some(&register.to_string()), "zh-CN").await;
    assert_eq!(status, StatusCode::OK, "{member}");
    assert_eq!((member["tier"].as_str(), member["tier_name"].as_str(), member["points"].as_i64()), (Some("normal"), Some("普通会员"), Some(0)));
    let (status, again) = call(&app, "POST", "/api/members", Some(&register.to_string()), "en").await;
    assert_eq!((status, again["kind"].as_str()), (StatusCode::CONFLICT, Some("duplicate")));
    let (status, missing) = call(&app, "GET", "/api/members/13900000000", None, "en").await;
    assert_eq!((status, missing["kind"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_member")));

    // A quote: 3 bags of chips (23.70) reach 满20减3; the coupon takes 2.00 more; an unknown coupon is refused.
    let items = json!([{"barcode": "6920152400012", "qty": 3}]);
    let quote = json!({"items": items, "member": "13800138000", "coupons": ["NEW2", "NOPE"]});
    let (status, q) = call(&app, "POST", "/api/basket/price", Some(&quote.to_string()), "en").await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!((q["subtotal_minor"].as_i64(), q["promo_saving_minor"].as_i64(), q["total_minor"].as_i64()), (Some(2370), Some(500), Some(1870)));
    assert_eq!(q["offers"].as_array().unwrap().iter().map(|o| o["text_en"].as_str().unwrap()).collect::<Vec<_>>(), ["Spend ¥20, save ¥3", "¥2 coupon"]);
    assert_eq!((q["refused_coupons"][0]["coupon_id"].as_str(), q["refused_coupons"][0]["reason"].as_str()), (Some("NOPE"), Some("unknown")));

    // The sale charges what was quoted, earns the member points, and uses the coupon up.
    let sale = json!({"items": items, "member": "13800138000", "coupons": ["NEW2"], "tenders": [{"kind": "cash", "amount_minor": 2000}]});
    let (status, s) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!((s["total_minor"].as_i64(), s["promo_saving_minor"].as_i64(), s["points_earned"].as_i64()), (Some(1870), Some(500), Some(18)));
    assert_eq!(s["lines"][0]["promo_saving_minor"].as_i64(), Some(500));
    let sale = json!({"items": items, "member": "13800138000", "coupons": ["NEW2"], "tenders": [{"kind": "cash", "amount_minor": 3000}]});
    let (_, s2) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "zh-CN").await;
    assert_eq!((s2["total_minor"].as_i64(), s2["refused_coupons"][0]["message"].as_str()), (Some(2070), Some("已用完")), "{s2}");
    let (_, member) = call(&app, "GET", "/api/members/13800138000", None, "en").await;
    assert_eq!((member["points"].as_i64(), member["spend_minor"].as_i64()), (Some(18 + 20), Some(1870 + 2070)));
}

#[tokio::test]
async fn a_member_earns_points_and_redeems_a_reward_over_http() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李经理", opentill_core::role::Role::Manager, "7777").unwrap();
    let app = router(AppState::new(till));
    let register = json!({"phone": "13800138000", "name": "王芳", "user_id": "c01", "pin": "1234"});
    let (status, member) = call(&app, "POST", "/api/members", Some(&register.to_string()), "en").await;
    assert_eq!(status, StatusCode::OK, "{member}");
    let member_id = member["member_id"].as_str().unwrap().to_string();

    // Rewards: a can of cola for 30 points. A reward must be a product of the catalog.
    let (_, mut program) = call(&app, "GET", "/api/member-program", None, "en").await;
    assert_eq!(program["rewards"], json!([]), "none by default: {program}");
    program["rewards"] = json!([{"sku": "NOPE-1", "points": 30}]);
    let (status, body) = call(&app, "PUT", "/api/member-program", Some(&json!({"program": program, "user_id": "m01", "pin": "7777"}).to_string()), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_sku")), "{body}");
    program["rewards"] = json!([{"sku": "DRK-1", "points": 30}]);
    let (status, body) = call(&app, "PUT", "/api/member-program", Some(&json!({"program": program, "user_id": "m01", "pin": "7777"}).to_string()), "en").await;
    assert_eq!((status, body["rewards"].clone()), (StatusCode::OK, json!([{"sku": "DRK-1", "points": 30}])), "{body}");

    // 10 bags of chips, 79.00 paid: 79 points.
    let sale = json!({"items": [{"barcode": "6920152400012", "qty": 10}], "member": "13800138000", "tenders": [{"kind": "cash", "amount_minor": 7900}]});
    let (status, s) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert_eq!((status, s["points_earned"].as_i64()), (StatusCode::OK, Some(79)), "{s}");
    let (_, before) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;

    // Two cans for 60 points, handed over by a cashier.
    let redeem = |lines: Value, pin: &str| json!({"lines": lines, "user_id": "c01", "pin": pin}).to_string();
    let uri = "/api/members/13800138000/redeem";
    let (status, body) = call(&app, "POST", uri, Some(&redeem(json!([{"sku": "DRK-1", "qty": 2}]), "0000")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth_failed")), "{body}");
    let keyed = json!({"lines": [{"sku": "DRK-1", "qty": 2}], "user_id": "c01", "pin": "1234", "redemption_id": "PR-KIOSK-1"}).to_string();
    let (status, body) = call(&app, "POST", uri, Some(&keyed), "zh-CN").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["redemption_id"].as_str(), Some("PR-KIOSK-1"));
    // Sent again with the same key (the answer was lost): the same answer, recorded once.
    let (status, again) = call(&app, "POST", uri, Some(&keyed), "zh-CN").await;
    assert_eq!((status, &again["redemption_id"], &again["points_left"], &again["lines"]), (StatusCode::OK, &body["redemption_id"], &body["points_left"], &body["lines"]), "{again}");
    assert_eq!((body["member_id"].as_str(), body["points_used"].as_i64(), body["points_left"].as_i64()), (Some(member_id.as_str()), Some(60), Some(19)), "{body}");
    assert_eq!(body["lines"], json!([{"sku": "DRK-1", "name": "可口可乐 330ml", "qty": 2, "points": 60}]));
    assert!(body["receipt"].as_str().unwrap().contains("积分兑换") && body["receipt"].as_str().unwrap().contains("剩余积分"), "{body}");
    let (_, after) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;
    assert_eq!(after["qty"].as_i64().unwrap() - before["qty"].as_i64().unwrap(), -2, "the cans left stock: {after}");
    let (_, member) = call(&app, "GET", &format!("/api/members/{member_id}"), None, "en").await;
    assert_eq!(member["points"].as_i64(), Some(19));

    // Beyond the balance, a SKU that is no reward, no pieces: refused, nothing recorded.
    let (status, body) = call(&app, "POST", uri, Some(&redeem(json!([{"sku": "DRK-1", "qty": 1}]), "1234")), "en").await;
    assert_eq!((status, body["kind"].as_str(), body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_points"), Some(format!("member {member_id} has 19 points, not enough for 30").as_str())), "{body}");
    let (_, body) = call(&app, "POST", uri, Some(&redeem(json!([{"sku": "DRK-1", "qty": 1}]), "1234")), "zh-CN").await;
    assert_eq!(body["message"].as_str(), Some(format!("会员 {member_id} 只有 19 积分，不足兑换所需的 30 积分").as_str()));
    let (status, body) = call(&app, "POST", uri, Some(&redeem(json!([{"sku": "SNK-1", "qty": 1}]), "1234")), "en").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("SNK-1 is not a reward of the member program")), "{body}");
    let (status, body) = call(&app, "POST", uri, Some(&redeem(json!([{"sku": "DRK-1", "qty": 0}]), "1234")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input")), "{body}");
    let (status, body) = call(&app, "POST", "/api/members/13900000000/redeem", Some(&redeem(json!([{"sku": "DRK-1", "qty": 1}]), "1234")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_member")), "{body}");
    assert_eq!(call(&app, "GET", &format!("/api/members/{member_id}"), None, "en").await.1["points"].as_i64(), Some(19), "unchanged");
    let (_, verify) = call(&app, "GET", "/api/journal/verify", None, "en").await;
    assert_eq!(verify["ok"].as_bool(), Some(true), "the projection agrees with the journal: {verify}");
}

#[tokio::test]
async fn suppliers_orders_stocktakes_and_replenishment_over_http() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李经理", opentill_core::role::Role::Manager, "7777").unwrap();
    let app = router(AppState::new(till));
    let supplier = json!({"supplier": {"supplier_id": "COKE", "name": "Swire", "lead_time_days": 2, "phone": null}, "user_id": "s01", "pin": "9001"});
    let (status, body) = call(&app, "POST", "/api/suppliers", Some(&supplier.to_string()), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "a supervisor may not");
    let supplier = json!({"supplier": {"supplier_id": "COKE", "name": "Swire", "lead_time_days": 2, "phone": null}, "user_id": "m01", "pin": "7777"});
    assert_eq!(call(&app, "POST", "/api/suppliers", Some(&supplier.to_string()), "en").await.0, StatusCode::OK);

    let order = json!({"supplier_id": "COKE", "lines": [{"sku": "DRK-1", "qty": 24, "unit_cost_minor": 180}, {"sku": "NOPE", "qty": 1}], "user_id": "m01", "pin": "7777"});
    let (status, body) = call(&app, "POST", "/api/purchase-orders", Some(&order.to_string()), "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap().contains("NOPE is not in the catalog"), "{body}");
    let order = json!({"supplier_id": "COKE", "lines": [{"sku": "DRK-1", "qty": 24, "unit_cost_minor": 180}], "user_id": "m01", "pin": "7777"});
    let (status, po) = call(&app, "POST", "/api/purchase-orders", Some(&order.to_string()), "en").await;
    assert_eq!((status, po["state"].as_str()), (StatusCode::OK, Some("open")), "{po}");
    let receive = json!({"lines": [{"sku": "DRK-1", "qty": 10}], "user_id": "m01", "pin": "7777"});
    let (_, po) = call(&app, "POST", &format!("/api/purchase-orders/{}/receive", po["po_id"].as_str().unwrap()), Some(&receive.to_string()), "en").await;
    assert_eq!((po["state"].as_str(), po["lines"][0]["outstanding"].as_i64()), (Some("partial"), Some(14)), "{po}");
    // Each line carries the product's names from the catalog, for the back office.
    let (_, orders) = call(&app, "GET", "/api/purchase-orders", None, "en").await;
    let line = &orders[0]["lines"][0];
    assert_eq!((line["sku"].as_str(), line["name"].as_str(), line["name_zh"].as_str()), (Some("DRK-1"), Some("Coca-Cola 330ml"), Some("可口可乐 330ml")), "{orders}");

    let open = json!({"category": "drinks", "user_id": "m01", "pin": "7777"});
    let (_, take) = call(&app, "POST", "/api/stocktakes", Some(&open.to_string()), "en").await;
    let id = take["stocktake_id"].as_str().unwrap().to_string();
    let (_, take) = call(&app, "POST", &format!("/api/stocktakes/{id}/counts"), Some(r#"{"code": "6901234567892", "counted": 9}"#), "en").await;
    assert_eq!((take["lines"][0]["delta"].as_i64(), take["value_minor"].as_i64()), (Some(-1), Some(-350)), "{take}");
    let (_, take) = call(&app, "POST", &format!("/api/stocktakes/{id}/post"), Some(r#"{"user_id": "m01", "pin": "7777"}"#), "zh-CN").await;
    assert_eq!(take["posted"].as_bool(), Some(true), "{take}");
    let (_, stock) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;
    assert_eq!(stock["qty"].as_i64(), Some(9));
    let (status, suggestions) = call(&app, "GET", "/api/replenishment?days=7", None, "en").await;
    assert_eq!((status, suggestions.as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "nothing sold: nothing to suggest");
}

#[tokio::test]
async fn purchase_orders_are_amended_and_cancelled_and_a_place_is_counted_over_http() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李经理", opentill_core::role::Role::Manager, "7777").unwrap();
    till.put_supplier("COKE", "Swire", 2, None).unwrap();
    let app = router(AppState::new(till));
    let order = json!({"supplier_id": "COKE", "lines": [{"sku": "DRK-1", "qty": 24, "unit_cost_minor": 180}, {"sku": "SNK-1", "qty": 12, "unit_cost_minor": 500}], "user_id": "m01", "pin": "7777"});
    let (_, po) = call(&app, "POST", "/api/purchase-orders", Some(&order.to_string()), "en").await;
    let po_id = po["po_id"].as_str().unwrap().to_string();
    let receive = json!({"lines": [{"sku": "DRK-1", "qty": 20}], "user_id": "m01", "pin": "7777"});
    call(&app, "POST", &format!("/api/purchase-orders/{po_id}/receive"), Some(&receive.to_string()), "en").await;

    // Amending: a manager's PIN; not below what came (the reason in Chinese); a line
    // without a cost keeps its own, a new SKU joins.
    let amend = |lines: serde_json::Value, user: &str, pin: &str| json!({"lines": lines, "user_id": user, "pin": pin}).to_string();
    let (status, body) = call(&app, "POST", &format!("/api/purchase-orders/{po_id}/amend"), Some(&amend(json!([{"sku": "DRK-1", "qty": 30}]), "s01", "9001")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "a supervisor may not");
    let (status, body) = call(&app, "POST", &format!("/api/purchase-orders/{po_id}/amend"), Some(&amend(json!([{"sku": "DRK-1", "qty": 19}]), "m01", "7777")), "zh-CN").await;
    assert_eq!((status, body["kind"].as_str(), body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input"), Some("DRK-1：已收 20，订购数量不能改为 19")), "{body}");
    let (status, body) = call(&app, "POST", "/api/purchase-orders/PO404/amend", Some(&amend(json!([{"sku": "DRK-1", "qty": 1}]), "m01", "7777")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_order")), "{body}");
    let lines = json!([{"sku": "DRK-1", "qty": 30}, {"sku": "SNK-1", "qty": 6, "unit_cost_minor": 450}, {"sku": "DAI-1", "qty": 6, "unit_cost_minor": 300}]);
    let (status, po) = call(&app, "POST", &format!("/api/purchase-orders/{po_id}/amend"), Some(&amend(lines, "m01", "7777")), "en").await;
    assert_eq!((status, po["state"].as_str(), po["amended_ms"].is_i64()), (StatusCode::OK, Some("partial"), true), "{po}");
    let got: Vec<(&str, i64, i64, i64)> = po["lines"].as_array().unwrap().iter().map(|l| (l["sku"].as_str().unwrap(), l["ordered"].as_i64().unwrap(), l["unit_cost_minor"].as_i64().unwrap(), l["outstanding"].as_i64().unwrap())).collect();
    assert_eq!(got, [("DRK-1", 30, 180, 10), ("SNK-1", 6, 450, 6), ("DAI-1", 6, 300, 6)]);

    // Cancelling: a reason; what was outstanding is closed; receiving is refused after.
    let cancel = |reason: &str| json!({"reason": reason, "user_id": "m01", "pin": "7777"}).to_string();
    let (status, body) = call(&app, "POST", &format!("/api/purchase-orders/{po_id}/cancel"), Some(&cancel("")), "en").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("give a reason for cancelling (1 to 200 characters)")));
    let (status, po) = call(&app, "POST", &format!("/api/purchase-orders/{po_id}/cancel"), Some(&cancel("供应商缺货")), "en").await;
    assert_eq!((status, po["state"].as_str(), po["cancel_reason"].as_str(), po["cancelled_ms"].is_i64()), (StatusCode::OK, Some("cancelled"), Some("供应商缺货"), true), "{po}");
    let got: Vec<(i64, i64)> = po["lines"].as_array().unwrap().iter().map(|l| (l["outstanding"].as_i64().unwrap(), l["closed"].as_i64().unwrap())).collect();
    assert_eq!(got, [(0, 10), (0, 6), (0, 6)]);
    let (status, body) = call(&app, "POST", &format!("/api/purchase-orders/{po_id}/receive"), Some(&receive.to_string()), "zh-CN").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(format!("采购单 {po_id} 已取消，不能再修改或收货").as_str())), "{body}");
    let (_, list) = call(&app, "GET", "/api/purchase-orders", None, "en").await;
    assert_eq!(list[0]["state"].as_str(), Some("cancelled"));

    // A stocktake of the backroom: 20 colas there by the books, 18 found.
    let (status, body) = call(&app, "POST", "/api/stocktakes", Some(r#"{"location": "shelf", "user_id": "m01", "pin": "7777"}"#), "zh-CN").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input")), "{body}");
    let (status, take) = call(&app, "POST", "/api/stocktakes", Some(r#"{"location": "backroom", "user_id": "m01", "pin": "7777"}"#), "en").await;
    assert_eq!((status, take["location"].as_str()), (StatusCode::OK, Some("backroom")), "{take}");
    let id = take["stocktake_id"].as_str().unwrap().to_string();
    let (_, take) = call(&app, "POST", &format!("/api/stocktakes/{id}/counts"), Some(r#"{"code": "DRK-1", "counted": 18}"#), "en").await;
    assert_eq!((take["lines"][0]["expected"].as_i64(), take["lines"][0]["delta"].as_i64()), (Some(20), Some(-2)), "{take}");
    call(&app, "POST", &format!("/api/stocktakes/{id}/post"), Some(r#"{"user_id": "m01", "pin": "7777"}"#), "en").await;
    let (_, stock) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;
    assert_eq!((stock["qty"].as_i64(), stock["locations"][0]["location"].as_str(), stock["locations"][0]["qty"].as_i64()), (Some(18), Some("backroom"), Some(18)), "{stock}");
}

#[tokio::test]
async fn analytics_as_json_and_csv() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));
    let (_, doc) = call(&app, "GET", "/api/openapi.json", None, "en").await;
    let documented = &doc["paths"]["/api/reports/analytics"]["get"]["responses"]["200"]["content"];
    assert!(documented.get("application/json").is_some() && documented.get("text/csv").is_some(), "{documented}");
    assert!(doc["components"]["schemas"].get("AnalyticsDto").is_some());
    for (id, items) in [("a-1", json!([{"barcode": "6901234567892", "qty": 2}, {"barcode": "6907992100012", "qty": 1}])), ("a-2", json!([{"barcode": "6920152400012", "qty": 1}]))] {
        let sale = json!({"sale_id": id, "items": items, "tenders": [{"kind": "mobile", "amount_minor": if id == "a-1" { 1000 } else { 790 }}]});
        let (status, body) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let (status, report) = call(&app, "GET", "/api/reports/analytics?by=category&from=2026-11-22&to=2026-11-22", None, "en").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rows: Vec<(&str, i64, i64)> = report["rows"].as_array().unwrap().iter().map(|r| (r["key"].as_str().unwrap(), r["items"].as_i64().unwrap(), r["net_minor"].as_i64().unwrap())).collect();
    assert_eq!(rows, [("snacks", 1, 790), ("drinks", 2, 700), ("dairy", 1, 300)]);
    assert_eq!((report["total"]["n_sales"].as_i64(), report["total"]["average_basket_minor"].as_i64()), (Some(2), Some(895)));
    let (_, report) = call(&app, "GET", "/api/reports/analytics?by=top&limit=1", None, "en").await;
    assert_eq!((report["rows"][0]["key"].as_str(), report["rows"][0]["name_zh"].as_str(), report["rows"].as_array().unwrap().len()), (Some("SNK-1"), Some("乐事黄瓜味薯片 70g"), 1));

    let request = Request::builder().uri("/api/reports/analytics?by=tender&format=csv").header("accept-language", "zh-CN").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert_eq!(csv, "支付方式,收款笔数,退款笔数,收款,退款,净额,占比\r\n扫码支付,2,0,17.90,0.00,17.90,100.0%\r\n合计,2,0,17.90,0.00,17.90,100.0%\r\n");

    // Members and conversion: no member bought, no gate: no rates, said in the fields.
    let (status, report) = call(&app, "GET", "/api/reports/analytics?by=members", None, "en").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let members = &report["members"];
    assert_eq!((members["buyers"].as_i64(), members["repeat_rate_bp"].is_null(), members["guest"]["n_sales"].as_i64(), members["segments"].as_array().map(Vec::len)), (Some(0), true, Some(2), Some(5)));
    assert_eq!((members["segments"][0]["segment"].as_str(), members["segments"][0]["name_zh"].as_str()), (Some("champions"), Some("重要价值客户")));
    let (_, report) = call(&app, "GET", "/api/reports/analytics?by=conversion", None, "en").await;
    assert_eq!((report["conversion"]["has_entries"].as_bool(), report["conversion"]["total"]["tickets"].as_i64(), report["conversion"]["total"]["rate_bp"].is_null()), (Some(false), Some(2), true));
    let request = Request::builder().uri("/api/reports/analytics?by=members&format=csv&list=members").header("accept-language", "zh-CN").body(Body::empty()).unwrap();
    let csv = String::from_utf8(app.clone().oneshot(request).await.unwrap().into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert_eq!(csv, "会员,最近消费日,最近消费天数,消费笔数,退款笔数,净消费额,R,F,M,分群\r\n");

    for (uri, status, kind) in [
        ("/api/reports/analytics?by=day&list=members", StatusCode::BAD_REQUEST, "bad_input"),
        ("/api/reports/analytics?by=month", StatusCode::BAD_REQUEST, "bad_input"),
        ("/api/reports/analytics?by=day&format=xml", StatusCode::BAD_REQUEST, "bad_input"),
        ("/api/reports/analytics?by=day&from=2026-11-31", StatusCode::UNPROCESSABLE_ENTITY, "bad_input"),
        ("/api/reports/analytics?by=day&from=2026-11-23&to=2026-11-22", StatusCode::UNPROCESSABLE_ENTITY, "bad_input"),
        ("/api/reports/analytics", StatusCode::BAD_REQUEST, "bad_input"),
    ] {
        let (got, body) = call(&app, "GET", uri, None, "en").await;
        assert_eq!((got, body["kind"].as_str()), (status, Some(kind)), "{uri}: {body}");
    }
}

#[tokio::test]
async fn printing_from_the_api_prints_queues_and_says_when_there_is_no_printer() {
    use opentill_hardware::receipt_printer::PrinterState;
    let (_dir, till) = store(CashRounding::None);
    let sale = json!({"sale_id": "p-1", "items": [{"barcode": "6901234567892"}], "tenders": [{"kind": "cash", "amount_minor": 350}]});
    // No printer: receipts are on screen, and asking to print says why not.
    let app = router(AppState::new(till));
    let (_, body) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert!(body["printed"].is_null(), "{body}");
    let (status, body) = call(&app, "POST", "/api/sales/p-1/print", Some("{}"), "zh-CN").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::CONFLICT, Some("no_printer")), "{body}");
    let (_, printer) = call(&app, "GET", "/api/printer", None, "en").await;
    assert_eq!((printer["configured"].as_bool(), printer["message"].as_str()), (Some(false), Some("on screen")));

    // A simulated network printer: a new sale prints; out of paper, the reprint waits in the queue.
    let (_dir, till) = store(CashRounding::None);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = opentill_hardware::transport::PrinterAddress::parse(&format!("tcp:{}", listener.local_addr().unwrap())).unwrap();
    let sim = opentill_hardware::sim::PrinterSim::new(None);
    let serving = sim.clone();
    std::thread::spawn(move || serving.serve(listener, |_, _| {}));
    let app = router(AppState::new(till).with_printer(address));
    let (_, body) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert_eq!(body["printed"]["printed"].as_bool(), Some(true), "{body}");
    assert_eq!(sim.jobs().len(), 1);
    assert!(sim.jobs()[0].text().contains("Coca-Cola 330ml"));
    sim.set_state(PrinterState::PaperOut);
    let (_, printer) = call(&app, "GET", "/api/printer", None, "zh-CN").await;
    assert_eq!((printer["ready"].as_bool(), printer["message"].as_str()), (Some(false), Some("打印机缺纸")));
    let (status, body) = call(&app, "POST", "/api/sales/p-1/print", Some("{}"), "en").await;
    assert_eq!((status, body["printed"].as_bool(), body["message"].as_str()), (StatusCode::OK, Some(false), Some("printer out of paper")));
    let (_, printer) = call(&app, "GET", "/api/printer", None, "en").await;
    assert_eq!(printer["pending"].as_u64(), Some(1), "the reprint waits in the queue");
    let (status, _) = call(&app, "POST", "/api/sales/nope/print", Some("{}"), "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_member_pass_is_checked_offline_and_names_its_account() {
    let (_dir, mut till) = store(CashRounding::None);
    let (pass, token) = till.issue_pass("13800138000", 86_400_000).unwrap();
    let (revoked, revoked_token) = till.issue_pass("13800138000", 86_400_000).unwrap();
    till.revoke_pass(&revoked.pass_id).unwrap();
    let app = router(AppState::new(till));
    let (status, body) = call(&app, "POST", "/api/passes/check", Some(&json!({"token": token}).to_string()), "en").await;
    assert_eq!((status, body["account"].as_str(), body["pass_id"].as_str()), (StatusCode::OK, Some("13800138000"), Some(pass.pass_id.as_str())), "{body}");
    let forged = token.replace("13800138000", "13900139000");
    for (token, kind, says) in [(forged.as_str(), "bad_pass", "会员码无效"), (revoked_token.as_str(), "pass_revoked", "会员码已停用"), ("hello", "bad_pass", "会员码无效")] {
        let (status, body) = call(&app, "POST", "/api/passes/check", Some(&json!({"token": token}).to_string()), "zh-CN").await;
        assert_eq!((status, body["kind"].as_str(), body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(kind), Some(says)), "{token}");
    }
}

#[tokio::test]
async fn manager_overrides_need_a_supervisor_and_skip_promotions() {
    let (_dir, mut till) = store(CashRounding::None);
    till.put_promotion(r#"{"id": "COLA-HALF", "kind": {"PercentOff": {"scope": {"Skus": ["DRK-1"]}, "percent_bp": 5000}}, "window": {"from_ms": 0, "to_ms": 4102444800000}, "exclusive": false, "stack_group": null, "priority": 0, "members_only": false}"#).unwrap();
    let app = router(AppState::new(till));
    let items = json!([{"barcode": "6901234567892", "qty": 2}, {"barcode": "6920152400012"}]);
    let sale = |overrides: Value, by: Value| json!({"items": items, "tenders": [{"kind": "cash", "amount_minor": 2000}], "overrides": overrides, "authorized_by": by}).to_string();
    // A cashier may not; no one at all may not; a wrong PIN is refused.
    for (by, status, kind) in [(json!({"user_id": "c01", "pin": "1234"}), StatusCode::FORBIDDEN, "forbidden"), (Value::Null, StatusCode::UNPROCESSABLE_ENTITY, "bad_input"), (json!({"user_id": "s01", "pin": "0000"}), StatusCode::UNAUTHORIZED, "auth_failed")] {
        let (got, body) = call(&app, "POST", "/api/sales", Some(&sale(json!([{"line": 2, "price_minor": 500}]), by)), "en").await;
        assert_eq!((got, body["kind"].as_str()), (status, Some(kind)), "{body}");
    }
    // A supervisor: the chips at 5.00 and 10 % off the colas by hand; the colas then take no
    // promotion (a line changed by hand is left as it is), so 6.30 + 5.00.
    let overrides = json!([{"line": 2, "price_minor": 500}, {"line": 1, "discount": {"percent_bp": 1000}}]);
    let (status, body) = call(&app, "POST", "/api/sales", Some(&sale(overrides, json!({"user_id": "s01", "pin": "9001"}))), "en").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["total_minor"].as_i64(), body["promo_saving_minor"].as_i64()), (Some(1130), Some(0)), "{body}");
    assert!(body["receipt_text"].as_str().unwrap().contains("Price override 7.90 -> 5.00"), "{}", body["receipt_text"]);
    // Without overrides the promotion applies: 3.50 + 7.90.
    let (_, plain) = call(&app, "POST", "/api/sales", Some(&json!({"items": items, "tenders": [{"kind": "cash", "amount_minor": 2000}]}).to_string()), "en").await;
    assert_eq!(plain["total_minor"].as_i64(), Some(1140));
}

/// A supervisor approves the hand-made changes of one sale in progress; the quote and the
/// sale carry the approval, not the PIN, and it is good for that sale only.
#[tokio::test]
async fn an_approval_stands_for_one_sale_instead_of_a_pin() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));
    let approve = |sale: &str, user: &str, pin: &str| json!({"sale_id": sale, "user_id": user, "pin": pin}).to_string();
    for (body, status, kind) in [(approve("S-1", "c01", "1234"), StatusCode::FORBIDDEN, "forbidden"), (approve("S-1", "s01", "0000"), StatusCode::UNAUTHORIZED, "auth_failed"), (approve("bad id!", "s01", "9001"), StatusCode::UNPROCESSABLE_ENTITY, "bad_input")] {
        let (got, answer) = call(&app, "POST", "/api/approvals", Some(&body), "en").await;
        assert_eq!((got, answer["kind"].as_str()), (status, Some(kind)), "{answer}");
    }
    let (status, approval) = call(&app, "POST", "/api/approvals", Some(&approve("S-1", "s01", "9001")), "en").await;
    assert_eq!((status, approval["user_id"].as_str(), approval["role"].as_str()), (StatusCode::OK, Some("s01"), Some("supervisor")), "{approval}");
    let token = approval["approval"].as_str().unwrap().to_string();
    let by = json!({"user_id": "s01", "approval": token});
    let items = json!([{"barcode": "6920152400012"}]);
    let overrides = json!([{"line": 1, "price_minor": 500}]);
    // The quote prices the change: 5.00, not 7.90.
    let quote = json!({"items": items, "sale_id": "S-1", "overrides": overrides, "authorized_by": by}).to_string();
    let (status, q) = call(&app, "POST", "/api/basket/price", Some(&quote), "en").await;
    assert_eq!((status, q["total_minor"].as_i64()), (StatusCode::OK, Some(500)), "{q}");
    // Another sale, another supervisor's name, or a PIN and an approval together: refused.
    let sale = |id: &str, by: &Value| json!({"sale_id": id, "items": items, "tenders": [{"kind": "cash", "amount_minor": 500}], "overrides": overrides, "authorized_by": by}).to_string();
    for (body, status, kind) in [
        (sale("S-2", &by), StatusCode::UNAUTHORIZED, "approval_invalid"),
        (sale("S-1", &json!({"user_id": "m01", "approval": token})), StatusCode::UNAUTHORIZED, "approval_invalid"),
        (sale("S-1", &json!({"user_id": "s01", "approval": token, "pin": "9001"})), StatusCode::UNPROCESSABLE_ENTITY, "bad_input"),
    ] {
        let (got, answer) = call(&app, "POST", "/api/sales", Some(&body), "zh-CN").await;
        assert_eq!((got, answer["kind"].as_str()), (status, Some(kind)), "{answer}");
    }
    let (_, answer) = call(&app, "POST", "/api/sales", Some(&sale("S-2", &by)), "zh-CN").await;
    assert!(answer["message"].as_str().unwrap().contains("请主管重新授权"), "{answer}");
    let (status, sold) = call(&app, "POST", "/api/sales", Some(&sale("S-1", &by)), "en").await;
    assert_eq!((status, sold["total_minor"].as_i64()), (StatusCode::OK, Some(500)), "{sold}");
    assert!(sold["receipt_text"].as_str().unwrap().contains("Price override 7.90 -> 5.00"), "{}", sold["receipt_text"]);
    // Sent again (the answer was lost): the first result, recorded once.
    let (status, again) = call(&app, "POST", "/api/sales", Some(&sale("S-1", &by)), "en").await;
    assert_eq!((status, again["sale_id"].as_str()), (StatusCode::OK, Some("S-1")), "{again}");
    let (_, verify) = call(&app, "GET", "/api/journal/verify", None, "en").await;
    assert_eq!(verify["entries"].as_u64(), Some(1), "{verify}");
    // A recorded sale takes no new approval.
    let (status, _) = call(&app, "POST", "/api/approvals", Some(&approve("S-1", "s01", "9001")), "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_supervisor_voids_a_sale_in_progress_and_the_journal_keeps_its_lines() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));
    let void = |user: &str, pin: &str, reason: &str| json!({"sale_id": "v-1", "items": [{"barcode": "6901234567892", "qty": 3}], "reason": reason, "user_id": user, "pin": pin}).to_string();
    let (status, body) = call(&app, "POST", "/api/sales/void", Some(&void("c01", "1234", "customer left")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, body) = call(&app, "POST", "/api/sales/void", Some(&void("s01", "9001", " ")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input")), "{body}");
    let (status, _) = call(&app, "POST", "/api/sales/void", Some(&void("s01", "9001", "customer left")), "en").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, verify) = call(&app, "GET", "/api/journal/verify", None, "en").await;
    assert_eq!(verify["entries"].as_u64(), Some(1), "{verify}");
}

#[tokio::test]
async fn a_manager_changes_a_price_in_the_shared_catalog_and_the_till_sells_at_it() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李娜", opentill_core::role::Role::Manager, "7777").unwrap();
    let app = router(AppState::new(till));
    let change = |price: Value, central: bool, user: &str, pin: &str| json!({"sku": "DRK-1", "price_minor": price, "central": central, "user_id": user, "pin": pin}).to_string();
    let (status, body) = call(&app, "POST", "/api/catalog/prices", Some(&change(json!(380), false, "s01", "9001")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "only a manager changes prices");
    let (status, body) = call(&app, "POST", "/api/catalog/prices", Some(&change(json!(380), false, "m01", "7777")), "en").await;
    assert_eq!((status, body["price_minor"].as_i64()), (StatusCode::OK, Some(380)), "{body}");
    let (_, product) = call(&app, "GET", "/api/products/barcode/6901234567892", None, "en").await;
    assert_eq!(product["price_minor"].as_i64(), Some(380), "the till rings it up at the new price");
    let sale = json!({"items": [{"barcode": "6901234567892"}], "tenders": [{"kind": "cash", "amount_minor": 380}]});
    let (status, body) = call(&app, "POST", "/api/sales", Some(&sale.to_string()), "en").await;
    assert_eq!((status, body["total_minor"].as_i64()), (StatusCode::OK, Some(380)), "{body}");
    // The central price changes, but this store keeps its own until it drops it.
    let (_, body) = call(&app, "POST", "/api/catalog/prices", Some(&change(json!(400), true, "m01", "7777")), "en").await;
    assert_eq!(body["price_minor"].as_i64(), Some(380));
    let (_, body) = call(&app, "POST", "/api/catalog/prices", Some(&change(Value::Null, false, "m01", "7777")), "en").await;
    assert_eq!(body["price_minor"].as_i64(), Some(400));
    for (bad, why) in [(json!(-1), "below zero"), (Value::Null, "a central price removed")] {
        let (status, body) = call(&app, "POST", "/api/catalog/prices", Some(&change(bad, true, "m01", "7777")), "en").await;
        assert_eq!((status, body["kind"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input")), "{why}: {body}");
    }
    let unknown = json!({"sku": "NOPE", "price_minor": 100, "user_id": "m01", "pin": "7777"});
    let (status, body) = call(&app, "POST", "/api/catalog/prices", Some(&unknown.to_string()), "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("no such product"), "{body}");
    // The back office's view: both prices, and every change here, newest first.
    let (status, entry) = call(&app, "GET", "/api/catalog/DRK-1", None, "en").await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!((entry["product"]["price_minor"].as_i64(), entry["central_minor"].as_i64(), entry["store_minor"].as_i64()), (Some(400), Some(400), None), "{entry}");
    let history: Vec<(i64, i64)> = entry["history"].as_array().unwrap().iter().map(|c| (c["old_minor"].as_i64().unwrap(), c["new_minor"].as_i64().unwrap())).collect();
    assert_eq!(history, [(380, 400), (350, 380)], "the central change to 400 did not move this store's price; dropping its own did");
    let (status, body) = call(&app, "GET", "/api/catalog/NOPE", None, "zh-CN").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_sku")), "{body}");
}

#[tokio::test]
async fn reorder_levels_make_the_low_stock_list() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李娜", opentill_core::role::Role::Manager, "7777").unwrap();
    let app = router(AppState::new(till));
    let level = |sku: &str, level: Value, pin: &str| json!({"sku": sku, "level": level, "user_id": "m01", "pin": pin}).to_string();
    let (_, low) = call(&app, "GET", "/api/low-stock", None, "en").await;
    assert_eq!(low, json!([]), "no levels, nothing low");
    let (status, body) = call(&app, "POST", "/api/reorder-levels", Some(&level("DRK-1", json!(5), "0000")), "en").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, entry) = call(&app, "POST", "/api/reorder-levels", Some(&level("DRK-1", json!(5), "7777")), "en").await;
    assert_eq!((status, entry["reorder_level"].as_i64(), entry["stock"].as_i64()), (StatusCode::OK, Some(5), Some(0)), "{entry}");
    let (_, low) = call(&app, "GET", "/api/low-stock", None, "en").await;
    assert_eq!(low.as_array().unwrap().iter().map(|r| (r["sku"].as_str().unwrap(), r["on_hand"].as_i64().unwrap(), r["level"].as_i64().unwrap())).collect::<Vec<_>>(), [("DRK-1", 0, 5)]);
    let adjust = json!({"sku": "DRK-1", "delta": 6, "reason": "receive", "user_id": "m01", "pin": "7777"}).to_string();
    let (status, _) = call(&app, "POST", "/api/stock/adjust", Some(&adjust), "en").await;
    assert_eq!(status, StatusCode::OK);
    let (_, low) = call(&app, "GET", "/api/low-stock", None, "en").await;
    assert_eq!(low, json!([]), "six on hand is above the level");
    for (body, want) in [(level("DRK-1", json!(-1), "7777"), StatusCode::UNPROCESSABLE_ENTITY), (level("NOPE", json!(1), "7777"), StatusCode::NOT_FOUND)] {
        let (status, answer) = call(&app, "POST", "/api/reorder-levels", Some(&body), "en").await;
        assert_eq!(status, want, "{answer}");
    }
    let (_, entry) = call(&app, "POST", "/api/reorder-levels", Some(&level("DRK-1", Value::Null, "7777")), "en").await;
    assert_eq!(entry["reorder_level"], Value::Null, "removed");
}

/// A catalog CSV imported from the back office runs as a job: refused whole with its bad
/// lines, or imported without them; its progress and result are read back by id.
#[tokio::test]
async fn a_catalog_import_runs_as_a_job_and_lands_whole_or_not_at_all() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李娜", opentill_core::role::Role::Manager, "7777").unwrap();
    let app = router(AppState::new(till));
    let csv = "sku,barcode,name,name_zh,price,category,unit,tax_rate\n\
               TEA-1,6909999000012,Test Tea 500ml,测试茶 500ml,4.20,drinks,each,13\n\
               TEA-2,6909999000029,Test Tea 1L,测试茶 1L,abc,drinks,each,13\n\
               TEA-3,6909999000036,Test Tea 2L,测试茶 2L,9.90,drinks,each,13\n";
    let start = |skip: bool, user: &str, pin: &str| json!({"csv": csv, "skip_bad": skip, "user_id": user, "pin": pin}).to_string();
    let (status, body) = call(&app, "POST", "/api/catalog/import", Some(&start(false, "c01", "1234")), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{body}");
    let finished = |app: axum::Router, job: Value, lang: &'static str| async move {
        let id = job["job_id"].as_str().unwrap().to_string();
        for _ in 0..200 {
            let (status, job) = call(&app, "GET", &format!("/api/jobs/{id}"), None, lang).await;
            assert_eq!(status, StatusCode::OK, "{job}");
            if job["state"] != "running" {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the import did not finish");
    };
    // A bad price: the file is refused with the line, and nothing is written.
    let (status, job) = call(&app, "POST", "/api/catalog/import", Some(&start(false, "m01", "7777")), "zh-CN").await;
    assert_eq!((status, job["state"].as_str()), (StatusCode::ACCEPTED, Some("running")), "{job}");
    let job = finished(app.clone(), job, "zh-CN").await;
    assert_eq!(job["state"], "failed", "{job}");
    assert!(job["error"]["message"].as_str().unwrap().contains("第 3 行"), "{job}");
    let (status, _) = call(&app, "GET", "/api/products/barcode/6909999000012", None, "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing of a refused file is written");
    // Skipping bad rows: two products, the bad line listed.
    let (_, job) = call(&app, "POST", "/api/catalog/import", Some(&start(true, "m01", "7777")), "en").await;
    let job = finished(app.clone(), job, "en").await;
    assert_eq!((job["state"].as_str(), job["done"].as_u64(), job["total"].as_u64()), (Some("done"), Some(2), Some(2)), "{job}");
    assert_eq!((job["result"]["rows"].as_u64(), job["result"]["imported"].as_u64()), (Some(3), Some(2)), "{job}");
    assert_eq!(job["result"]["skipped"][0]["line"].as_u64(), Some(3), "{job}");
    let (status, tea) = call(&app, "GET", "/api/products/barcode/6909999000036", None, "en").await;
    assert_eq!((status, tea["price_minor"].as_i64()), (StatusCode::OK, Some(990)), "{tea}");
    let (status, body) = call(&app, "GET", "/api/jobs/nope", None, "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_job")), "{body}");
}

/// A manager adds a product to the shared catalog from the back office and changes its
/// details; the rules are an imported row's, and a barcode of another product stays its.
#[tokio::test]
async fn a_manager_adds_a_product_and_edits_its_details() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李娜", opentill_core::role::Role::Manager, "7777").unwrap();
    let app = router(AppState::new(till));
    let product = |barcodes: Value, name: &str, price: Value, user: &str| {
        json!({"sku": "TEA-9", "barcodes": barcodes, "name": name, "name_zh": "测试茶", "category": "drinks", "unit": "each", "price_minor": price, "tax_rate_bp": 1300, "user_id": user, "pin": if user == "m01" { "7777" } else { "1234" }}).to_string()
    };
    let (status, _) = call(&app, "POST", "/api/catalog/products", Some(&product(json!(["6909999000012"]), "Test Tea", json!(420), "c01")), "en").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, want, lang) in [
        (product(json!(["6909999000012"]), "Test Tea", Value::Null, "m01"), "needs a price", "en"),
        (product(json!(["6909999000013"]), "Test Tea", json!(420), "m01"), "校验位", "zh-CN"),
        (product(json!(["6909999000012"]), " ", json!(420), "m01"), "name", "en"),
        (product(json!(["6901234567892"]), "Test Tea", json!(420), "m01"), "DRK-1", "en"),
    ] {
        let (status, answer) = call(&app, "POST", "/api/catalog/products", Some(&body), lang).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(answer["message"].as_str().unwrap().contains(want), "{want}: {answer}");
    }
    let (status, entry) = call(&app, "POST", "/api/catalog/products", Some(&product(json!(["6909999000012"]), "Test Tea", json!(420), "m01")), "en").await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!((entry["product"]["price_minor"].as_i64(), entry["central_minor"].as_i64()), (Some(420), Some(420)), "a new product's price is its central price");
    let (_, scanned) = call(&app, "GET", "/api/scan/6909999000012", None, "en").await;
    assert_eq!(scanned["product"]["sku"], "TEA-9", "{scanned}");
    // New details, a second barcode; the price stays (a price sent is ignored).
    let (status, entry) = call(&app, "POST", "/api/catalog/products", Some(&product(json!(["6909999000012", "6909999000029"]), "Test Green Tea", json!(999), "m01")), "en").await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!((entry["product"]["name"].as_str(), entry["product"]["price_minor"].as_i64()), (Some("Test Green Tea"), Some(420)), "{entry}");
    let (_, scanned) = call(&app, "GET", "/api/scan/6909999000029", None, "en").await;
    assert_eq!(scanned["product"]["name"], "Test Green Tea", "{scanned}");
}

/// A top-up sent again with its key (the answer was lost on the way) is recorded once.
#[tokio::test]
async fn a_top_up_sent_again_with_its_key_is_recorded_once() {
    let (_dir, till) = store(CashRounding::None);
    let app = router(AppState::new(till));
    let top_up = |key: &str| json!({"account": "13800138000", "amount_minor": 5000, "tender": "card", "user_id": "c01", "pin": "1234", "topup_id": key}).to_string();
    for _ in 0..3 {
        let (status, balance) = call(&app, "POST", "/api/stored-value/top-up", Some(&top_up("T-1")), "en").await;
        assert_eq!((status, balance["balance_minor"].as_i64()), (StatusCode::OK, Some(5000)), "{balance}");
    }
    let (_, balance) = call(&app, "POST", "/api/stored-value/top-up", Some(&top_up("T-2")), "en").await;
    assert_eq!(balance["balance_minor"].as_i64(), Some(10_000), "another key, another top-up");
    let (_, verify) = call(&app, "GET", "/api/journal/verify", None, "en").await;
    assert_eq!((verify["entries"].as_u64(), verify["ok"].as_bool()), (Some(2), Some(true)), "{verify}");
    let (status, body) = call(&app, "POST", "/api/stored-value/top-up", Some(&top_up("bad key!")), "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn transfers_are_requested_shipped_received_and_cancelled_over_http() {
    use opentill_core::transfer::{Step, TransferEvent, TransferFact, TransferLine};
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李经理", opentill_core::role::Role::Manager, "7777").unwrap();
    // Another store shipped to this one without being asked; the cloud's answer brought it.
    let shipped = TransferFact { transfer_id: "TR-BJ-1".into(), step: Step::Shipped, from_store: "BJ002".into(), to_store: "SH001".into(), lines: vec![TransferLine { sku: "DRK-1".into(), qty: 12 }], by: "m09".into(), note: Some("waybill SF99".into()) };
    let snapshot = opentill_sync::TransferSnapshot {
        store_id: "SH001".into(),
        as_of_ms: 1,
        stores: vec!["BJ002".into(), "SH001".into()],
        events: vec![TransferEvent { store: "BJ002".into(), node: "edge".into(), seq: 4, ts_ms: 1_795_300_000_000, fact: shipped }],
    };
    assert_eq!(till.replica_mut().apply_transfers(&snapshot).unwrap(), 1);
    assert_eq!(till.replica_mut().apply_transfers(&snapshot).unwrap(), 0, "the same steps again add nothing");
    let app = router(AppState::new(till));

    let (status, list) = call(&app, "GET", "/api/transfers", None, "zh-CN").await;
    assert_eq!((status, list["store_id"].as_str(), list["stores"].clone()), (StatusCode::OK, Some("SH001"), json!(["BJ002"])), "{list}");
    let t = &list["transfers"][0];
    assert_eq!((t["direction"].as_str(), t["state"].as_str(), t["state_label"].as_str()), (Some("in"), Some("in_transit"), Some("在途")), "{t}");
    assert_eq!((t["lines"][0]["name"].as_str(), t["lines"][0]["in_transit"].as_i64()), (Some("可口可乐 330ml"), Some(12)));

    let receive = json!({"lines": [{"sku": "DRK-1", "qty": 11}], "note": "one dented", "user_id": "c01", "pin": "1234"});
    let (status, body) = call(&app, "POST", "/api/transfers/TR-BJ-1/receive", Some(&receive.to_string()), "en").await;
    assert_eq!((status, body["kind"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "a cashier may not: {body}");
    let receive = json!({"lines": [{"sku": "DRK-1", "qty": 11}], "note": "one dented", "user_id": "m01", "pin": "7777"});
    let (status, t) = call(&app, "POST", "/api/transfers/TR-BJ-1/receive", Some(&receive.to_string()), "en").await;
    assert_eq!((status, t["state"].as_str(), t["lines"][0]["variance"].as_i64()), (StatusCode::OK, Some("received"), Some(-1)), "{t}");
    let (_, stock) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;
    assert_eq!(stock["qty"].as_i64(), Some(11), "what arrived is on hand");
    let (status, body) = call(&app, "POST", "/api/transfers/TR-BJ-1/receive", Some(&receive.to_string()), "zh-CN").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::CONFLICT, Some("调拨单 TR-BJ-1 已收货，不能收货")), "{body}");

    let ask = json!({"from_store": "SH001", "lines": [{"sku": "SNK-1", "qty": 5}], "user_id": "m01", "pin": "7777"});
    let (status, body) = call(&app, "POST", "/api/transfers", Some(&ask.to_string()), "zh-CN").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("调拨须在两个门店之间，不能调给本店 SH001")), "{body}");
    let ask = json!({"from_store": "BJ002", "lines": [{"sku": "SNK-1", "qty": 5}], "note": "for the weekend", "user_id": "m01", "pin": "7777"});
    let (status, t) = call(&app, "POST", "/api/transfers", Some(&ask.to_string()), "en").await;
    assert_eq!((status, t["direction"].as_str(), t["state"].as_str()), (StatusCode::OK, Some("in"), Some("requested")), "{t}");
    let id = t["transfer_id"].as_str().unwrap().to_string();
    let ship = json!({"transfer_id": id, "user_id": "m01", "pin": "7777"});
    let (status, body) = call(&app, "POST", "/api/transfers/ship", Some(&ship.to_string()), "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the asking store does not ship its own request: {body}");
    let cancel = json!({"reason": "found some in the backroom", "user_id": "m01", "pin": "7777"});
    let (status, t) = call(&app, "POST", &format!("/api/transfers/{id}/cancel"), Some(&cancel.to_string()), "en").await;
    assert_eq!((status, t["state"].as_str(), t["history"][1]["note"].as_str()), (StatusCode::OK, Some("cancelled"), Some("found some in the backroom")), "{t}");
    assert_eq!(call(&app, "POST", &format!("/api/transfers/{id}/cancel"), Some(&cancel.to_string()), "en").await.0, StatusCode::CONFLICT);

    // Sent with nobody asking: stock leaves at once.
    let push = json!({"to_store": "BJ002", "lines": [{"sku": "DRK-1", "qty": 4}], "user_id": "m01", "pin": "7777"});
    let (status, t) = call(&app, "POST", "/api/transfers/ship", Some(&push.to_string()), "en").await;
    assert_eq!((status, t["direction"].as_str(), t["state"].as_str(), t["lines"][0]["in_transit"].as_i64()), (StatusCode::OK, Some("out"), Some("in_transit"), Some(4)), "{t}");
    let (_, stock) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;
    assert_eq!(stock["qty"].as_i64(), Some(7));
    assert_eq!(call(&app, "GET", "/api/transfers/TR-NOPE", None, "en").await.0, StatusCode::NOT_FOUND);
    let (_, list) = call(&app, "GET", "/api/transfers", None, "en").await;
    assert_eq!(list["transfers"].as_array().unwrap().len(), 3);
    let (_, verify) = call(&app, "GET", "/api/journal/verify", None, "en").await;
    assert_eq!(verify["ok"].as_bool(), Some(true), "{verify}");
}

#[tokio::test]
async fn an_online_order_is_taken_on_picked_and_handed_over_over_http() {
    use opentill_core::o2o::{Fulfilment, O2oLine, O2oOrder, OnlineCancel};
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李经理", opentill_core::role::Role::Manager, "7777").unwrap();
    till.adjust_stock("DRK-1", 10, "receive", "m01").unwrap();
    let order = |id: &str, qty: i64| O2oOrder {
        order_id: id.into(),
        store_id: "SH001".into(),
        channel: "shop".into(),
        fulfilment: Fulfilment::Pickup,
        customer_name: "陈女士".into(),
        customer_phone: "13800138000".into(),
        member: None,
        lines: vec![O2oLine { sku: "DRK-1".into(), qty }],
        note: None,
        placed_ms: 1_795_300_000_000,
    };
    let snapshot = opentill_sync::O2oSnapshot {
        store_id: "SH001".into(),
        as_of_ms: 1,
        orders: vec![
            opentill_sync::PlacedOrder { order: order("WEB-1", 3), online_cancel: None },
            opentill_sync::PlacedOrder { order: order("WEB-2", 8), online_cancel: None },
            opentill_sync::PlacedOrder { order: order("WEB-3", 1), online_cancel: Some(OnlineCancel { reason: "changed mind".into(), ts_ms: 1_795_300_100_000 }) },
        ],
    };
    assert_eq!(till.replica_mut().apply_o2o(&snapshot).unwrap(), 4, "three orders, one cancellation");
    assert_eq!(till.replica_mut().apply_o2o(&snapshot).unwrap(), 0, "the same answer again changes nothing");
    let app = router(AppState::new(till));

    let (status, orders) = call(&app, "GET", "/api/o2o/orders", None, "zh-CN").await;
    assert_eq!(status, StatusCode::OK);
    let states: Vec<(&str, &str)> = orders.as_array().unwrap().iter().map(|o| (o["order_id"].as_str().unwrap(), o["state_label"].as_str().unwrap())).collect();
    assert_eq!(states, [("WEB-3", "已取消"), ("WEB-2", "待接单"), ("WEB-1", "待接单")]);
    let step = |step: &str, user: &str, pin: &str| json!({"step": step, "user_id": user, "pin": pin}).to_string();
    let (status, body) = call(&app, "POST", "/api/o2o/orders/WEB-1/step", Some(&step("accept", "c01", "1234")), "en").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a cashier does not accept orders: {body}");
    let (status, o) = call(&app, "POST", "/api/o2o/orders/WEB-1/step", Some(&step("accept", "m01", "7777")), "en").await;
    assert_eq!((status, o["state"].as_str(), o["quoted_minor"].as_i64()), (StatusCode::OK, Some("accepted"), Some(1050)), "{o}");
    assert_eq!(o["next"], json!(["pick", "ready", "cancel"]));
    let (status, body) = call(&app, "POST", "/api/o2o/orders/WEB-2/step", Some(&step("accept", "m01", "7777")), "zh-CN").await;
    assert_eq!((status, body["kind"].as_str(), body["message"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock"), Some("库存不足：DRK-1（需要 8，可用 7）")), "{body}");
    assert_eq!(call(&app, "POST", "/api/o2o/orders/WEB-1/step", Some(&step("pick", "c01", "1234")), "en").await.0, StatusCode::OK, "staff pick");
    let (_, o) = call(&app, "POST", "/api/o2o/orders/WEB-1/step", Some(&step("ready", "c01", "1234")), "en").await;
    assert_eq!((o["state"].as_str(), o["lines"][0]["on_hand"].as_i64(), o["lines"][0]["free"].as_i64()), (Some("ready"), Some(10), Some(10)), "{o}");
    let (_, waiting) = call(&app, "GET", "/api/o2o/orders/WEB-2", None, "en").await;
    assert_eq!(waiting["lines"][0]["free"].as_i64(), Some(7), "WEB-1 holds 3 of the 10: {waiting}");

    // The customer shows the QR code at the till.
    let (status, o) = call(&app, "GET", "/api/o2o/orders/OTO:WEB-1", None, "en").await;
    assert_eq!((status, o["next"].clone()), (StatusCode::OK, json!(["handover", "cancel"])), "{o}");
    let hand = json!({"user_id": "c01", "pin": "1234"}).to_string();
    let (status, done) = call(&app, "POST", "/api/o2o/orders/OTO:WEB-1/handover", Some(&hand), "en").await;
    assert_eq!((status, done["order"]["state"].as_str(), done["sale"]["sale_id"].as_str(), done["sale"]["total_minor"].as_i64()), (StatusCode::OK, Some("handed_over"), Some("O2O-WEB-1"), Some(1050)), "{done}");
    assert_eq!(done["sale"]["tenders"][0]["kind"], "online");
    let (_, again) = call(&app, "POST", "/api/o2o/orders/WEB-1/handover", Some(&hand), "en").await;
    assert_eq!((again["sale"]["new"].as_bool(), again["sale"]["sale_id"].as_str()), (Some(false), Some("O2O-WEB-1")), "{again}");
    let (_, stock) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;
    assert_eq!(stock["qty"].as_i64(), Some(7), "sold once");
    let (status, body) = call(&app, "POST", "/api/o2o/orders/WEB-3/handover", Some(&hand), "en").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::CONFLICT, Some("order WEB-3 is cancelled; cannot hand over")), "{body}");
    assert_eq!(call(&app, "GET", "/api/o2o/orders/NOPE", None, "en").await.0, StatusCode::NOT_FOUND);
    let (_, verify) = call(&app, "GET", "/api/journal/verify", None, "en").await;
    assert_eq!(verify["ok"].as_bool(), Some(true), "{verify}");
}

#[tokio::test]
async fn stock_is_kept_per_place_and_moved_between_them() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李经理", opentill_core::role::Role::Manager, "7777").unwrap();
    // Goods arrive in the backroom; two are sold from the floor.
    till.receive(None, vec![opentill_core::stock::ReceivedLine { sku: "DRK-1".into(), qty: 24 }], "m01").unwrap();
    let cash = opentill_core::tender::Tender { kind: opentill_core::tender::TenderKind::Cash, amount: 1000, reference: None };
    till.sell(None, &[opentill_till::ScanInput { code: "6901234567892".into(), qty: Some("2".into()) }], &[cash], None).unwrap();
    let app = router(AppState::new(till));
    let places = |v: &Value| v["locations"].as_array().unwrap().iter().map(|l| (l["location"].as_str().unwrap().to_string(), l["qty"].as_i64().unwrap())).collect::<Vec<_>>();
    let (_, stock) = call(&app, "GET", "/api/stock/DRK-1", None, "en").await;
    assert_eq!((stock["qty"].as_i64(), places(&stock)), (Some(22), vec![("backroom".into(), 24), ("floor".into(), -2)]), "{stock}");

    let to_floor = json!({"sku": "DRK-1", "from": "backroom", "to": "floor", "qty": 12, "user_id": "c01", "pin": "1234"});
    let (status, stock) = call(&app, "POST", "/api/stock/move", Some(&to_floor.to_string()), "en").await;
    assert_eq!((status, stock["qty"].as_i64(), places(&stock)), (StatusCode::OK, Some(22), vec![("backroom".into(), 12), ("floor".into(), 10)]), "a cashier restocks the shelf: {stock}");
    let too_many = json!({"sku": "DRK-1", "from": "backroom", "to": "floor", "qty": 13, "user_id": "c01", "pin": "1234"});
    let (status, body) = call(&app, "POST", "/api/stock/move", Some(&too_many.to_string()), "zh-CN").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("DRK-1：后仓只有 12，不能移出 13；请先盘点或调整库存")), "{body}");
    let nowhere = json!({"sku": "DRK-1", "from": "backroom", "to": "roof", "qty": 1, "user_id": "c01", "pin": "1234"});
    let (status, body) = call(&app, "POST", "/api/stock/move", Some(&nowhere.to_string()), "en").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("location \"roof\" is not one of floor, backroom, warehouse")), "{body}");
    let wrong_pin = json!({"sku": "DRK-1", "from": "backroom", "to": "floor", "qty": 1, "user_id": "c01", "pin": "0000"});
    assert_eq!(call(&app, "POST", "/api/stock/move", Some(&wrong_pin.to_string()), "en").await.0, StatusCode::UNAUTHORIZED);
    let counted = json!({"sku": "DRK-1", "delta": 6, "reason": "count", "location": "warehouse", "user_id": "m01", "pin": "7777"});
    let (_, stock) = call(&app, "POST", "/api/stock/adjust", Some(&counted.to_string()), "en").await;
    assert_eq!((stock["qty"].as_i64(), places(&stock)), (Some(28), vec![("backroom".into(), 12), ("floor".into(), 10), ("warehouse".into(), 6)]), "{stock}");
    let (_, verify) = call(&app, "GET", "/api/journal/verify", None, "en").await;
    assert_eq!(verify["ok"].as_bool(), Some(true), "{verify}");
}

#[tokio::test]
async fn a_manager_sets_the_member_program_and_commission_rules_over_http() {
    let (_dir, mut till) = store(CashRounding::None);
    till.add_user("m01", "李经理", opentill_core::role::Role::Manager, "7777").unwrap();
    let app = router(AppState::new(till));
    let (status, program) = call(&app, "GET", "/api/member-program", None, "en").await;
    assert_eq!((status, program["tiers"][2]["name_zh"].as_str(), program["points_per_yuan"].as_i64()), (StatusCode::OK, Some("金卡"), Some(1)), "the default program: {program}");
    let mut changed = program.clone();
    changed["tiers"][1]["min_spend"] = json!(100_000);
    changed["points_per_yuan"] = json!(2);
    let (status, body) = call(&app, "PUT", "/api/member-program", Some(&json!({"program": changed, "user_id": "c01", "pin": "1234"}).to_string()), "en").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a cashier may not: {body}");
    let mut bad = changed.clone();
    bad["tiers"][0]["min_spend"] = json!(500);
    let (status, body) = call(&app, "PUT", "/api/member-program", Some(&json!({"program": bad, "user_id": "m01", "pin": "7777"}).to_string()), "en").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("member program: the first tier (normal) must start at 0")), "{body}");
    let (status, stored) = call(&app, "PUT", "/api/member-program", Some(&json!({"program": changed, "user_id": "m01", "pin": "7777"}).to_string()), "en").await;
    assert_eq!((status, stored["tiers"][1]["min_spend"].as_i64()), (StatusCode::OK, Some(100_000)), "{stored}");
    assert_eq!(call(&app, "GET", "/api/member-program", None, "en").await.1["points_per_yuan"].as_i64(), Some(2), "kept");

    let (_, rules) = call(&app, "GET", "/api/commission-rules", None, "en").await;
    assert_eq!(rules, json!({"default_bp": 0, "by_category": {}}), "none set: no commission");
    let over = json!({"rules": {"default_bp": 100, "by_category": {"snacks": 12_000}}, "user_id": "m01", "pin": "7777"});
    let (status, body) = call(&app, "PUT", "/api/commission-rules", Some(&over.to_string()), "en").await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("commission rate 12000 bp for snacks is over 100 %")), "{body}");
    let good = json!({"rules": {"default_bp": 100, "by_category": {"snacks": 500}}, "user_id": "m01", "pin": "7777"});
    assert_eq!(call(&app, "PUT", "/api/commission-rules", Some(&good.to_string()), "en").await.0, StatusCode::OK);
    assert_eq!(call(&app, "GET", "/api/commission-rules", None, "en").await.1["by_category"]["snacks"].as_u64(), Some(500));
}
