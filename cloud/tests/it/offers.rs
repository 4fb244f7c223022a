//! The shared offers document: head office's promotions and settings reach every store, a
//! store's own promotions reach its other tills and no other store, and two exclusive
//! promotions made apart at two tills, each fine alone, clash once merged: every replica
//! sets the later one aside, with the reason.

use std::path::Path;

use crate::catalog::{enrolled_store as enrolled, put};
use crate::{ADMIN_TOKEN, Backend, Cloud, CloudDb, edge, free_port, ok, on_both_backends};

on_both_backends!(offers_reach_every_node_and_a_clash_sets_the_later_aside, a_single_use_coupon_redeemed_offline_in_two_stores_is_flagged, an_account_added_at_one_till_logs_in_at_the_others, a_receipt_header_set_at_one_till_prints_at_the_others);

const ALWAYS: &str = r#""window": {"from_ms": 0, "to_ms": 4102444800000}, "priority": 0, "members_only": false"#;

fn promotion(dir: &Path, data: &str, json: &str) -> String {
    let file = dir.join(format!("promo-{}.json", std::process::id()));
    std::fs::write(&file, json).unwrap();
    ok(&["promo", "put", "--data", data, file.to_str().unwrap()])
}

/// `promo list`'s lines as (id, rest).
fn listed(data: &str) -> Vec<(String, String)> {
    ok(&["promo", "list", "--data", data]).lines().map(|l| l.split_once('\t').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or((l.to_string(), String::new()))).collect()
}

fn offers_heads(data: &str) -> serde_json::Value {
    let status: serde_json::Value = serde_json::from_str(&ok(&["sync", "status", "--data", data, "--offline", "--format", "json"])).unwrap();
    status["documents"].as_array().unwrap().iter().find(|d| d["name"] == "offers").unwrap()["heads"].clone()
}

fn delete(cloud: &Cloud, path: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    agent.delete(&format!("{}{path}", cloud.url)).header("authorization", format!("Bearer {ADMIN_TOKEN}")).call().unwrap().status().as_u16()
}

fn offers_reach_every_node_and_a_clash_sets_the_later_aside(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let till_a = enrolled(dir.path(), &db.db, &cloud, "a", "S1", "till-a");
    let till_b = enrolled(dir.path(), &db.db, &cloud, "b", "S1", "till-b");
    let s2 = enrolled(dir.path(), &db.db, &cloud, "s2", "S2", "till-s2");
    let products = serde_json::json!([
        {"sku": "DRK-1", "barcodes": ["6901234567892"], "name": "Coca-Cola 330ml", "name_zh": "可口可乐 330ml", "category": "drinks", "unit": "each", "price_minor": 350, "tax_bp": 1300},
        {"sku": "SNK-1", "barcodes": ["6920152400012"], "name": "Lay's Cucumber Chips 70g", "name_zh": "乐事黄瓜味薯片 70g", "category": "snacks", "unit": "each", "price_minor": 790, "tax_bp": 1300}
    ]);
    assert_eq!(put(&cloud, "/v1/catalog/products?tenant=acme", products).0, 200);

    // Head office: 10 % off drinks in every store, and a member program.
    let hq: serde_json::Value = serde_json::from_str(&format!(r#"{{"id": "HQ-DRINKS", "kind": {{"PercentOff": {{"scope": {{"Categories": ["drinks"]}}, "percent_bp": 1000}}}}, "exclusive": false, {ALWAYS}}}"#)).unwrap();
    let (status, body) = put(&cloud, "/v1/offers/promotions?tenant=acme", hq);
    assert_eq!(status, 200, "{body}");
    let program = serde_json::json!({"tiers": [{"id": "normal", "name_zh": "普通会员", "name_en": "Member", "min_spend": 0, "points_bp": 10000}, {"id": "vip", "name_zh": "贵宾", "name_en": "VIP", "min_spend": 50000, "points_bp": 20000}], "points_per_yuan": 1, "birthday_points_bp": 10000, "referral_points": 50});
    let (status, body) = put(&cloud, "/v1/offers/settings/member_program?tenant=acme", program);
    assert_eq!(status, 200, "{body}");
    // Refused with the reason, nothing stored: an SKU not in the catalog, a bad setting id.
    let bad: serde_json::Value = serde_json::from_str(&format!(r#"{{"id": "HQ-BAD", "kind": {{"Bundle": {{"items": [{{"sku": "DRK-1", "qty": 1}}, {{"sku": "NOPE-1", "qty": 2}}], "price": 900}}}}, "exclusive": false, {ALWAYS}}}"#)).unwrap();
    let (status, body) = put(&cloud, "/v1/offers/promotions?tenant=acme", bad);
    assert_eq!((status, body["kind"].as_str()), (422, Some("bad_offer")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("NOPE-1"), "{body}");
    assert_eq!(put(&cloud, "/v1/offers/settings/tax?tenant=acme", serde_json::json!({})).0, 404);
    assert_eq!(delete(&cloud, "/v1/offers/promotions/HQ-NONE?tenant=acme"), 404);

    // Store S1's own buy-2-get-1 on chips, set at till A.
    promotion(dir.path(), &till_a, &format!(r#"{{"id": "S1-CHIPS", "kind": {{"BuyGet": {{"scope": {{"Skus": ["SNK-1"]}}, "buy": 2, "get": 1}}}}, "exclusive": false, {ALWAYS}}}"#));
    for data in [&till_a, &till_b, &s2, &till_a] {
        let out = ok(&["sync", "push", "--data", data]);
        assert!(out.contains("offers:"), "{out}");
    }
    let ids = |data: &str| listed(data).into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    assert_eq!(ids(&till_a), ["HQ-DRINKS", "S1-CHIPS"]);
    assert_eq!(ids(&till_b), ["HQ-DRINKS", "S1-CHIPS"], "the store's own promotion reached its other till");
    assert_eq!(ids(&s2), ["HQ-DRINKS"], "another store's promotion is not this store's");
    assert!(listed(&s2)[0].1.contains("set by head office"), "{:?}", listed(&s2));
    let program = ok(&["member", "program", "--data", &s2]);
    assert!(program.contains("\"vip\"") && !program.contains("\"silver\""), "head office's member program reached S2: {program}");
    // A till cannot remove head office's promotion.
    let out = edge(&["promo", "remove", "--data", &till_b, "--id", "HQ-DRINKS"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("head office"), "{}", String::from_utf8_lossy(&out.stderr));

    // Offline, each till makes an exclusive promotion over the chips: each checks alone.
    promotion(dir.path(), &till_a, &format!(r#"{{"id": "EX-A", "kind": {{"FixedPrice": {{"scope": {{"Skus": ["SNK-1"]}}, "price": 600}}}}, "exclusive": true, {ALWAYS}}}"#));
    std::thread::sleep(std::time::Duration::from_millis(20));
    promotion(dir.path(), &till_b, &format!(r#"{{"id": "EX-B", "kind": {{"PercentOff": {{"scope": {{"Skus": ["SNK-1"]}}, "percent_bp": 3000}}}}, "exclusive": true, {ALWAYS}}}"#));
    for data in [&till_a, &till_b, &till_a, &s2] {
        ok(&["sync", "push", "--data", data]);
    }
    for data in [&till_a, &till_b] {
        let lines = listed(data);
        let ex_b = lines.iter().find(|(id, rest)| id == "EX-B" && rest.starts_with("set aside")).unwrap_or_else(|| panic!("{data}: EX-B is not set aside: {lines:?}"));
        assert!(ex_b.1.contains("EX-A"), "the reason names the clash: {ex_b:?}");
        assert!(lines.iter().any(|(id, rest)| id == "EX-A" && !rest.starts_with("set aside")), "{data}: EX-A runs: {lines:?}");
    }
    // Removing EX-A lets EX-B run, everywhere.
    ok(&["promo", "remove", "--data", &till_b, "--id", "EX-A"]);
    for data in [&till_b, &till_a] {
        ok(&["sync", "push", "--data", data]);
    }
    assert_eq!(ids(&till_a), ["EX-B", "HQ-DRINKS", "S1-CHIPS"]);
    // Head office takes its promotion back.
    assert_eq!(delete(&cloud, "/v1/offers/promotions/HQ-DRINKS?tenant=acme"), 200);
    for data in [&till_a, &till_b, &s2] {
        ok(&["sync", "push", "--data", data]);
    }
    assert_eq!(ids(&s2), Vec::<String>::new());
    assert_eq!(ids(&till_b), ["EX-B", "S1-CHIPS"]);
    // Every node and the cloud hold the same document.
    let cloud_offers = cloud.get("/v1/offers?tenant=acme");
    for data in [&till_a, &till_b, &s2] {
        assert_eq!(offers_heads(data), cloud_offers["heads"], "{data}");
    }
    assert!(cloud_offers["promotions"].as_array().unwrap().iter().any(|p| p["id"] == "S1-CHIPS" && p["scope"] == "S1"), "{cloud_offers}");
    let text = ok(&["sync", "status", "--data", &till_a]);
    assert!(text.contains("offers: heads"), "{text}");
}


fn a_single_use_coupon_redeemed_offline_in_two_stores_is_flagged(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let s1 = enrolled(dir.path(), &db.db, &cloud, "s1", "S1", "till-1");
    let s2 = enrolled(dir.path(), &db.db, &cloud, "s2", "S2", "till-2");
    let coupon = |id: &str, off: i64, uses: serde_json::Value| serde_json::json!({"id": id, "kind": {"Cash": {"off": off}}, "scope": "All", "window": {"from_ms": 0, "to_ms": 4_102_444_800_000_i64}, "group": id, "uses": uses, "per_member_limit": null});
    for (id, off, uses) in [("HQ-ONCE", 100, serde_json::json!("Single")), ("HQ-FIVE", 50, serde_json::json!({"Limited": 5}))] {
        let (status, body) = put(&cloud, "/v1/offers/coupons?tenant=acme", coupon(id, off, uses));
        assert_eq!(status, 200, "{body}");
    }
    for data in [&s1, &s2] {
        ok(&["sync", "push", "--data", data]);
    }
    // Each store, offline, takes the single-use coupon once (and the five-use one once).
    for data in [&s1, &s2] {
        let out = ok(&["sale", "--data", data, "--scan", "6901234567892", "--coupon", "HQ-ONCE", "--coupon", "HQ-FIVE", "--tender", "cash:10"]);
        assert!(out.contains("¥1 coupon") && out.contains("¥0.50 coupon"), "{out}");
    }
    // A store refuses it a second time: it knows its own use.
    let again = edge(&["sale", "--data", &s1, "--scan", "6901234567892", "--coupon", "HQ-ONCE", "--tender", "cash:10"]);
    assert!(!String::from_utf8_lossy(&again.stdout).contains("¥1 coupon"), "{}", String::from_utf8_lossy(&again.stdout));
    assert!(cloud.get("/v1/alerts").as_array().unwrap().iter().all(|a| !a["message"].as_str().unwrap().contains("coupon")));
    for data in [&s1, &s2] {
        ok(&["sync", "push", "--data", data]);
    }
    let alerts = cloud.get("/v1/alerts");
    let flagged: Vec<&str> = alerts.as_array().unwrap().iter().filter_map(|a| a["message"].as_str()).filter(|m| m.contains("coupon")).collect();
    assert_eq!(flagged.len(), 1, "{alerts}");
    assert!(flagged[0].contains("coupon HQ-ONCE was used 2 times across stores, 1 allowed"), "{}", flagged[0]);
    assert!(flagged[0].contains("优惠券 HQ-ONCE"), "{}", flagged[0]);
}

/// The staff document: an account a manager adds at one till logs in at the store's other
/// tills after they sync, and not in another store; a later change of its PIN wins.
fn an_account_added_at_one_till_logs_in_at_the_others(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let till_a = enrolled(dir.path(), &db.db, &cloud, "a", "S1", "till-a");
    let till_b = enrolled(dir.path(), &db.db, &cloud, "b", "S1", "till-b");
    let s2 = enrolled(dir.path(), &db.db, &cloud, "s2", "S2", "till-s2");
    ok(&["user", "add", "--data", &till_a, "--id", "s09", "--name", "赵敏 Zhao Min", "--role", "supervisor", "--pin", "4321"]);
    let opens = |data: &str, pin: &str| edge(&["shift", "open", "--data", data, "--user", "s09", "--pin", pin, "--float", "100"]).status.success();
    assert!(!opens(&till_b, "4321"), "not before the tills sync");
    for data in [&till_a, &till_b, &s2] {
        let out = ok(&["sync", "push", "--data", data]);
        assert!(out.contains("staff:"), "{out}");
    }
    assert!(ok(&["user", "list", "--data", &till_b]).contains("s09\tsupervisor\t赵敏 Zhao Min"));
    assert!(!ok(&["user", "list", "--data", &s2]).contains("s09"), "S1's account is not S2's");
    // Till B changes the PIN later; till A takes it on its next sync.
    ok(&["user", "add", "--data", &till_b, "--id", "s09", "--name", "赵敏 Zhao Min", "--role", "supervisor", "--pin", "8765"]);
    for data in [&till_b, &till_a] {
        ok(&["sync", "push", "--data", data]);
    }
    assert!(!opens(&till_a, "4321"), "the old PIN no longer opens a shift");
    assert!(opens(&till_a, "8765"));
    let status: serde_json::Value = serde_json::from_str(&ok(&["sync", "status", "--data", &till_a, "--offline", "--format", "json"])).unwrap();
    assert!(status["documents"].as_array().unwrap().iter().any(|d| d["name"] == "staff"), "{status}");
}

/// The settings document: a receipt header and paper set at one till reach the store's
/// other till (which prints them) and not another store; two fields changed at two tills
/// while apart both stay.
fn a_receipt_header_set_at_one_till_prints_at_the_others(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let till_a = enrolled(dir.path(), &db.db, &cloud, "a", "S1", "till-a");
    let till_b = enrolled(dir.path(), &db.db, &cloud, "b", "S1", "till-b");
    let s2 = enrolled(dir.path(), &db.db, &cloud, "s2", "S2", "till-s2");
    let shown = |data: &str| -> std::collections::BTreeMap<String, String> {
        ok(&["store", "show", "--data", data]).lines().filter_map(|l| l.split_once('\t')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    // Apart: till A names the store, till B changes the paper.
    ok(&["store", "set", "--data", &till_a, "--name", "Corner Mart", "--name-zh", "街角便利店", "--address", "88 Huaihai Rd, Shanghai"]);
    ok(&["store", "paper", "--data", &till_b, "80"]);
    let bad = edge(&["store", "paper", "--data", &till_b, "57"]);
    assert!(!bad.status.success());
    let bad = edge(&["store", "set", "--data", &till_b, "--name", " "]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("1 to 60 printable characters"), "{}", String::from_utf8_lossy(&bad.stderr));
    for data in [&till_a, &till_b, &till_a, &s2] {
        assert!(ok(&["sync", "push", "--data", data]).contains("store settings:"));
    }
    for data in [&till_a, &till_b] {
        let s = shown(data);
        assert_eq!((s["name"].as_str(), s["name_zh"].as_str(), s["address"].as_str(), s["paper_mm"].as_str()), ("Corner Mart", "街角便利店", "88 Huaihai Rd, Shanghai", "80"), "{data}");
    }
    assert_ne!(shown(&s2)["name"], "Corner Mart", "S1's header is not S2's");
    // Till B prints the header till A set, on 80 mm paper.
    let receipt = ok(&["sale", "--data", &till_b, "--scan", "6901234567892", "--tender", "cash:10"]);
    assert!(receipt.contains("Corner Mart") && receipt.contains("88 Huaihai Rd, Shanghai"), "{receipt}");
}
