//! O2O orders end to end, with the real binaries: a platform places orders through the
//! cloud's HTTP API for store SH001, whose till syncs through the store's edge agent. The
//! till accepts (stock reserved, priced by the store), picks, marks ready and hands over
//! (the sale is recorded once, however often it is sent); the cloud shows each step. An
//! online cancellation before handover ends the order and frees its stock; one that
//! crosses a handover made offline is flagged and the handover stands, on every side. Bad
//! orders are refused with the reason. On both backends.

use serde_json::{Value, json};

use crate::relay::EdgeAgent;
use crate::{Backend, Cloud, CloudDb, cloud_ok, edge, free_port, ok, on_both_backends, store};

on_both_backends!(an_online_order_is_accepted_picked_and_handed_over_at_the_till);

fn order(id: &str, lines: Value) -> Value {
    json!({"order_id": id, "store_id": "SH001", "channel": "meituan", "fulfilment": "pickup", "customer_name": "陈女士", "customer_phone": "13800138000", "lines": lines, "note": "少放冰"})
}

fn with(order: &Value, field: &str, value: Value) -> Value {
    let mut o = order.clone();
    o[field] = value;
    o
}

fn state(data: &str, id: &str) -> Value {
    let all: Value = serde_json::from_str(&ok(&["o2o", "list", "--data", data, "--json"])).unwrap();
    all.as_array().unwrap().iter().find(|o| o["order"]["order_id"] == id).cloned().unwrap_or_else(|| panic!("{data} does not hold order {id}"))
}

fn stock(data: &str, sku: &str) -> i64 {
    ok(&["stock", "show", "--data", data, "--sku", sku]).split('\t').nth(1).unwrap().parse().unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = edge(args);
    assert!(!out.status.success(), "{args:?} should have failed: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).unwrap()
}

fn an_online_order_is_accepted_picked_and_handed_over_at_the_till(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let code = || cloud_ok(&["enrol-code", "--db", &db.db, "--store", "SH001", "--tenant", "acme", "--brand", "acme-mart"]).trim().to_string();
    let edge_data = store(dir.path(), "edge", "SH001", "edge");
    ok(&["sync", "enroll", "--data", &edge_data, "--cloud", &cloud.url, "--code", &code()]);

    // No catalog in the cloud yet: nothing can be checked, so nothing is placed.
    let (status, body) = cloud.post_json("/v1/o2o/orders", &order("MT-1", json!([{"sku": "DRK-1", "qty": 2}])));
    assert_eq!((status, body["kind"].as_str()), (422, Some("bad_order")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("tenant acme has no catalog in the cloud yet"), "{body}");
    // The store seeds head office's shared catalog with its own products.
    let published = ok(&["product", "publish", "--data", &edge_data]);
    assert!(published.contains("products added to the shared catalog: 6"), "{published}");
    assert!(ok(&["product", "publish", "--data", &edge_data]).contains("shared catalog: 0"), "publishing again adds nothing");
    ok(&["sync", "push", "--data", &edge_data]);

    let edge_port = free_port();
    let _agent = EdgeAgent::start(&edge_data, edge_port);
    let till = store(dir.path(), "till", "SH001", "till-1");
    ok(&["sync", "enroll", "--data", &till, "--cloud", &format!("http://127.0.0.1:{edge_port}"), "--code", &code()]);
    ok(&["po", "receive", "--data", &till, "--line", "DRK-1:10", "--line", "SNK-1:5"]);

    // The platform places orders; bad ones are refused with the reason.
    for (bad, kind, why) in [
        (order("MT-X", json!([{"sku": "NOPE", "qty": 1}])), "bad_order", "NOPE is not in the catalog"),
        (order("MT-X", json!([{"sku": "DRK-1", "qty": 0}])), "bad_order", "DRK-1: quantity 0 must be 1 to 1,000,000"),
        (with(&order("MT-X", json!([{"sku": "DRK-1", "qty": 1}])), "customer_phone", json!("12345")), "bad_order", "not an 11-digit mobile number"),
        (with(&order("MT-X", json!([{"sku": "DRK-1", "qty": 1}])), "store_id", json!("NOWHERE")), "not_found", "there is no store NOWHERE"),
    ] {
        let (status, body) = cloud.post_json("/v1/o2o/orders", &bad);
        assert_eq!(body["kind"].as_str(), Some(kind), "{status} {body}");
        assert!(body["message"].as_str().unwrap().contains(why), "{body}");
    }
    let one = order("MT-1", json!([{"sku": "DRK-1", "qty": 4}, {"sku": "SNK-1", "qty": 1}]));
    let (status, placed) = cloud.post_json("/v1/o2o/orders", &one);
    assert_eq!((status, placed["state"].as_str(), placed["qr"].as_str()), (201, Some("placed"), Some("OTO:MT-1")), "{placed}");
    let (status, again) = cloud.post_json("/v1/o2o/orders", &one);
    assert_eq!((status, again["order"]["placed_ms"].clone()), (200, placed["order"]["placed_ms"].clone()), "placing it again is the same order");
    let (status, body) = cloud.post_json("/v1/o2o/orders", &order("MT-1", json!([{"sku": "DRK-1", "qty": 5}])));
    assert_eq!((status, body["kind"].as_str()), (409, Some("conflict")), "{body}");
    for (id, lines) in [("MT-2", json!([{"sku": "DRK-1", "qty": 20}])), ("MT-3", json!([{"sku": "DRK-1", "qty": 2}]))] {
        assert_eq!(cloud.post_json("/v1/o2o/orders", &order(id, lines)).0, 201);
    }
    // Operators can place one from a file too.
    let file = dir.path().join("mt-4.json");
    std::fs::write(&file, order("MT-4", json!([{"sku": "SNK-1", "qty": 2}])).to_string()).unwrap();
    let shown: Value = serde_json::from_str(&cloud_ok(&["o2o", "place", "--db", &db.db, file.to_str().unwrap()])).unwrap();
    assert_eq!((shown["state"].as_str(), shown["qr"].as_str()), (Some("placed"), Some("OTO:MT-4")), "{shown}");

    // Cloud → edge agent → till.
    ok(&["sync", "push", "--data", &edge_data]);
    let pushed = ok(&["sync", "push", "--data", &till]);
    assert!(pushed.contains("online orders: new or cancelled 4, open 4"), "{pushed}");
    assert_eq!(state(&till, "MT-1")["state"], "placed");

    // Accept: stock is reserved and the order priced by the store (4 × 3.50 + 7.90).
    let accepted = ok(&["o2o", "step", "--data", &till, "--id", "MT-1", "--step", "accept"]);
    assert!(accepted.contains("accepted") && accepted.contains("quoted ¥21.90"), "{accepted}");
    let short = fails(&["o2o", "step", "--data", &till, "--id", "MT-2", "--step", "accept"]);
    assert!(short.contains("not enough stock for DRK-1 (needs 20, 6 free)"), "4 of the 10 are held for MT-1: {short}");
    ok(&["o2o", "step", "--data", &till, "--id", "MT-2", "--step", "reject", "--note", "not enough cola"]);
    assert!(fails(&["o2o", "handover", "--data", &till, "--id", "MT-1"]).contains("order MT-1 is accepted; cannot hand over"));
    let picklist = ok(&["o2o", "show", "--data", &till, "--id", "OTO:MT-1"]);
    assert!(picklist.contains("pick list:\n  [drinks]\tDRK-1\tCoca-Cola 330ml\t× 4\ton hand 10\n  [snacks]\tSNK-1"), "{picklist}");
    ok(&["o2o", "step", "--data", &till, "--id", "MT-1", "--step", "pick"]);
    ok(&["o2o", "step", "--data", &till, "--id", "MT-1", "--step", "ready"]);
    ok(&["sync", "push", "--data", &till]);
    ok(&["sync", "push", "--data", &edge_data]);
    let seen = cloud.get("/v1/o2o/orders/SH001/MT-1");
    assert_eq!((seen["state"].as_str(), seen["quoted_minor"].as_i64()), (Some("ready"), Some(2190)), "{seen}");
    assert_eq!(cloud.get("/v1/o2o/orders/SH001/MT-2")["state"], "rejected");

    // The customer shows the QR code: the sale is recorded, once.
    let handed = ok(&["o2o", "handover", "--data", &till, "--id", "OTO:MT-1"]);
    assert!(handed.contains("handed over") && handed.contains("sale O2O-MT-1 ¥21.90"), "{handed}");
    assert_eq!((stock(&till, "DRK-1"), stock(&till, "SNK-1")), (6, 4));
    ok(&["o2o", "handover", "--data", &till, "--id", "MT-1"]);
    assert_eq!(stock(&till, "DRK-1"), 6, "handed over again: no second sale");
    // MT-3 is ready; the customer cancels online while the till, cut off, hands it over.
    ok(&["o2o", "step", "--data", &till, "--id", "MT-3", "--step", "accept"]);
    ok(&["o2o", "step", "--data", &till, "--id", "MT-3", "--step", "ready"]);
    ok(&["o2o", "step", "--data", &till, "--id", "MT-4", "--step", "accept"]);
    for data in [&till, &edge_data] {
        ok(&["sync", "push", "--data", data]);
    }
    let (status, cancelled) = cloud.post_json("/v1/o2o/orders/SH001/MT-3/cancel", &json!({"reason": "customer changed their mind"}));
    assert_eq!((status, cancelled["state"].as_str()), (200, Some("cancelled")), "{cancelled}");
    let (status, cancelled) = cloud.post_json("/v1/o2o/orders/SH001/MT-4/cancel", &json!({"reason": "ordered twice"}));
    assert_eq!((status, cancelled["state"].as_str()), (200, Some("cancelled")), "{cancelled}");
    ok(&["o2o", "handover", "--data", &till, "--id", "MT-3"]);
    let (status, body) = cloud.post_json("/v1/o2o/orders/SH001/MT-1/cancel", &json!({"reason": "too late"}));
    assert_eq!((status, body["kind"].as_str()), (409, Some("conflict")), "the cloud holds MT-1's handover: {body}");
    for data in [&till, &edge_data, &till] {
        ok(&["sync", "push", "--data", data]);
    }
    let crossed = cloud.get("/v1/o2o/orders/SH001/MT-3");
    assert_eq!((crossed["state"].as_str(), crossed["conflict"].as_str()), (Some("handed_over"), Some("cancelled_after_handover")), "{crossed}");
    let at_till = state(&till, "MT-3");
    assert_eq!((at_till["state"].as_str(), at_till["conflict"].as_str()), (Some("handed_over"), Some("cancelled_after_handover")), "{at_till}");
    // MT-4 was cancelled before anything left: its reservation is gone.
    assert_eq!(state(&till, "MT-4")["state"], "cancelled");
    assert!(fails(&["o2o", "step", "--data", &till, "--id", "MT-4", "--step", "ready"]).contains("order MT-4 is cancelled; cannot mark ready"));
    let zh = crate::edge_with_lang(&["o2o", "handover", "--data", &till, "--id", "MT-4"], "zh");
    assert!(String::from_utf8_lossy(&zh.stderr).contains("订单 MT-4 已取消，不能交付"), "{}", String::from_utf8_lossy(&zh.stderr));
    let shown: Value = serde_json::from_str(&cloud_ok(&["o2o", "show", "--db", &db.db, "--store", "SH001", "--order", "MT-4"])).unwrap();
    assert_eq!(shown["online_cancel"]["reason"], "ordered twice");
    let done = cloud.get("/v1/o2o/orders/SH001/MT-1");
    assert_eq!((done["state"].as_str(), done["sale"][0].as_str(), done["sale"][1].as_i64()), (Some("handed_over"), Some("O2O-MT-1"), Some(2190)), "{done}");
    // The handovers are sales like any other: the cloud's totals count them.
    let totals = cloud.get("/v1/totals");
    let sh = totals.as_array().unwrap().iter().find(|t| t["store_id"] == "SH001").unwrap();
    assert_eq!(sh["sales_minor"].as_i64(), Some(2190 + 700), "{totals}");
}
