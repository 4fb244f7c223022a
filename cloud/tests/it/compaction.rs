//! Compacting a shared document: head office starts its next epoch from the current
//! values, so its history stops growing; each store moves to the new epoch on its next
//! sync, and an edit a store made offline that the compaction never saw is replayed into
//! it, not lost.

use crate::catalog::{enrolled_store as enrolled, put};
use crate::{Backend, Cloud, CloudDb, cloud_ok, free_port, ok, on_both_backends};

on_both_backends!(a_compacted_document_keeps_every_value_and_the_edits_it_missed, a_long_history_is_compacted_without_anyone_asking);

fn price(data: &str, code: &str) -> String {
    let line = ok(&["product", "lookup", code, "--data", data]);
    line.split('\t').find(|f| f.starts_with('¥')).unwrap_or_else(|| panic!("no price in {line:?}")).to_string()
}

fn document(data: &str, name: &str) -> serde_json::Value {
    let status: serde_json::Value = serde_json::from_str(&ok(&["sync", "status", "--data", data, "--offline", "--format", "json"])).unwrap();
    status["documents"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap().clone()
}

fn a_compacted_document_keeps_every_value_and_the_edits_it_missed(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let s1 = enrolled(dir.path(), &db.db, &cloud, "s1", "S1", "till-1");
    let s2 = enrolled(dir.path(), &db.db, &cloud, "s2", "S2", "till-2");
    let products = serde_json::json!([
        {"sku": "DRK-1", "barcodes": ["6901234567892"], "name": "Coca-Cola 330ml", "name_zh": "可口可乐 330ml", "category": "drinks", "unit": "each", "price_minor": 350, "tax_bp": 1300},
        {"sku": "SNK-1", "barcodes": ["6920152400012"], "name": "Lay's Cucumber Chips 70g", "name_zh": "乐事黄瓜味薯片 70g", "category": "snacks", "unit": "each", "price_minor": 790, "tax_bp": 1300}
    ]);
    assert_eq!(put(&cloud, "/v1/catalog/products?tenant=acme", products).0, 200);
    // A busy month of price changes: history the document keeps.
    for minor in 300..340 {
        assert_eq!(put(&cloud, "/v1/catalog/prices?tenant=acme", serde_json::json!({"sku": "SNK-1", "price_minor": minor * 2})).0, 200);
    }
    for data in [&s1, &s2] {
        ok(&["sync", "push", "--data", data]);
    }
    assert_eq!(price(&s1, "6920152400012"), "¥6.78");

    // Offline, S2 gives the cola a price of its own; then head office compacts.
    ok(&["sync", "price", "--data", &s2, "--sku", "DRK-1", "--price", "4.20"]);
    let out = cloud_ok(&["compact-doc", "--db", &db.db, "--tenant", "acme", "--doc", "catalog"]);
    let bytes: Vec<u64> = out.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert!(out.contains("epoch 1 -> 2"), "{out}");
    let (before, after) = (bytes[bytes.len() - 2], bytes[bytes.len() - 1]);
    assert!(after * 2 < before, "the history is gone: {before} -> {after} bytes ({out})");
    let compacted = cloud.get("/v1/catalog?tenant=acme&store=S2");

    // S2 moves to the new epoch and keeps its offline price: the cloud gets it too.
    let out = ok(&["sync", "push", "--data", &s2]);
    assert!(out.contains("moved to epoch 2, replayed 1 edits"), "{out}");
    assert_eq!(price(&s2, "6901234567892"), "¥4.20");
    assert_eq!(price(&s2, "6920152400012"), "¥6.78", "every value survives the compaction");
    let cola = |v: &serde_json::Value| v["products"].as_array().unwrap().iter().find(|p| p["sku"] == "DRK-1").unwrap()["price_minor"].as_i64();
    assert_eq!(cola(&compacted), Some(350), "the compaction had not seen S2's price");
    assert_eq!(cola(&cloud.get("/v1/catalog?tenant=acme&store=S2")), Some(420), "the replayed edit reached the cloud");
    // S1 moves too; a second sync changes nothing; every copy has the same heads.
    ok(&["sync", "push", "--data", &s1]);
    let again = ok(&["sync", "push", "--data", &s2]);
    assert!(!again.contains("moved to epoch"), "{again}");
    let heads = cloud.get("/v1/catalog?tenant=acme")["heads"].clone();
    for data in [&s1, &s2] {
        let doc = document(data, "catalog");
        assert_eq!((doc["epoch"].as_i64(), &doc["heads"]), (Some(2), &heads), "{data}");
    }
    assert_eq!(price(&s1, "6901234567892"), "¥3.50", "S2's own price is S2's");
    let text = ok(&["sync", "status", "--data", &s1]);
    assert!(text.contains("catalog: epoch 2"), "{text}");

    // The offers compact the same way, over HTTP; an unknown document is refused.
    let hq = serde_json::json!({"id": "HQ-1", "kind": {"PercentOff": {"scope": "All", "percent_bp": 500}}, "window": {"from_ms": 0, "to_ms": 4_102_444_800_000_i64}, "exclusive": false, "priority": 0, "members_only": false});
    assert_eq!(put(&cloud, "/v1/offers/promotions?tenant=acme", hq).0, 200);
    ok(&["sync", "push", "--data", &s1]);
    let (status, body) = cloud.post_json("/v1/docs/compact?tenant=acme&doc=offers", &serde_json::json!({}));
    assert_eq!((status, body["to_epoch"].as_i64()), (200, Some(2)), "{body}");
    assert_eq!(cloud.post_json("/v1/docs/compact?tenant=acme&doc=suppliers", &serde_json::json!({})).0, 404);
    for data in [&s1, &s2] {
        ok(&["sync", "push", "--data", data]);
        assert!(ok(&["promo", "list", "--data", data]).starts_with("HQ-1\t"), "{data}");
        assert_eq!(document(data, "offers")["epoch"].as_i64(), Some(2));
    }
}

/// With `--compact-after-changes 20`, a till's month of price changes is compacted by the
/// merge that brings them; the till moves to the new epoch on its next sync, every price
/// survives, and head office's own edits compact the same way.
fn a_long_history_is_compacted_without_anyone_asking(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start_with(&db.db, free_port(), &[("OPENTILL_CLOUD_COMPACT_AFTER", "20")]);
    let s1 = enrolled(dir.path(), &db.db, &cloud, "s1", "S1", "till-1");
    ok(&["sync", "push", "--data", &s1]);
    for cents in 0..12 {
        ok(&["sync", "price", "--data", &s1, "--sku", "DRK-1", "--price", &format!("4.{cents:02}")]);
        ok(&["sync", "price", "--data", &s1, "--sku", "SNK-1", "--price", &format!("8.{cents:02}")]);
    }
    assert_eq!(document(&s1, "catalog")["epoch"].as_i64(), Some(1));
    ok(&["sync", "push", "--data", &s1]);
    // The cloud compacted what it merged; the till moves on its next sync and keeps its prices.
    let out = ok(&["sync", "push", "--data", &s1]);
    assert!(out.contains("moved to epoch 2"), "{out}");
    assert_eq!(document(&s1, "catalog")["epoch"].as_i64(), Some(2));
    assert_eq!((price(&s1, "6901234567892"), price(&s1, "6920152400012")), ("¥4.11".to_string(), "¥8.11".to_string()));
    let heads = cloud.get("/v1/catalog?tenant=acme")["heads"].clone();
    assert_eq!(document(&s1, "catalog")["heads"], heads);
    // A few more edits stay under the limit: no new epoch.
    ok(&["sync", "price", "--data", &s1, "--sku", "DRK-1", "--price", "4.50"]);
    ok(&["sync", "push", "--data", &s1]);
    assert_eq!(document(&s1, "catalog")["epoch"].as_i64(), Some(2));
    // Head office's own price changes compact the same way.
    for minor in 0..25 {
        assert_eq!(put(&cloud, "/v1/catalog/prices?tenant=acme", serde_json::json!({"sku": "SNK-1", "price_minor": 700 + minor})).0, 200);
    }
    let out = ok(&["sync", "push", "--data", &s1]);
    assert!(out.contains("moved to epoch 3"), "{out}");
}
