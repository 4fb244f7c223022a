//! The shared catalog: head office edits it in the cloud, stores edit prices offline, and
//! every replica converges to the same document with the later edit (by hybrid logical
//! clock) winning each price, projected into each store's till.

use std::path::Path;

use ed25519_dalek::SigningKey;
use opentill_sync::protocol::{DocSync, Message};

use crate::{ADMIN_TOKEN, Backend, Cloud, CloudDb, cloud_ok, edge, free_port, ok, on_both_backends, store};

on_both_backends!(head_office_prices_reach_every_store_and_the_later_edit_wins);

/// A store `store_id` of tenant acme with its catalog imported, enrolled with the cloud.
pub(crate) fn enrolled_store(dir: &Path, db: &str, cloud: &Cloud, name: &str, store_id: &str, node: &str) -> String {
    let data = store(dir, name, store_id, node);
    let code = cloud_ok(&["enrol-code", "--db", db, "--store", store_id, "--tenant", "acme", "--brand", "acme-mart"]);
    ok(&["sync", "enroll", "--data", &data, "--cloud", &cloud.url, "--code", code.trim()]);
    data
}

/// The price a store's till rings a barcode up at (`¥3.50`).
fn selling_price(data: &str, code: &str) -> String {
    let line = ok(&["product", "lookup", code, "--data", data]);
    line.split('\t').find(|f| f.starts_with('¥')).unwrap_or_else(|| panic!("no price in {line:?}")).to_string()
}

pub(crate) fn put(cloud: &Cloud, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.put(&format!("{}{path}", cloud.url)).header("authorization", format!("Bearer {ADMIN_TOKEN}")).header("content-type", "application/json").send(body.to_string().as_bytes()).unwrap();
    (response.status().as_u16(), serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap())
}

fn post_docs(cloud: &Cloud, bytes: &[u8]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.post(&format!("{}/v1/docs", cloud.url)).header("content-type", "application/octet-stream").send(bytes).unwrap();
    (response.status().as_u16(), String::from_utf8_lossy(&response.body_mut().read_to_vec().unwrap()).into_owned())
}

fn catalog_heads(data: &str) -> serde_json::Value {
    let status: serde_json::Value = serde_json::from_str(&ok(&["sync", "status", "--data", data, "--offline", "--format", "json"])).unwrap();
    status["documents"].as_array().unwrap().iter().find(|d| d["name"] == "catalog").unwrap()["heads"].clone()
}

fn head_office_prices_reach_every_store_and_the_later_edit_wins(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let s1 = enrolled_store(dir.path(), &db.db, &cloud, "s1", "S1", "till-1");
    let s2 = enrolled_store(dir.path(), &db.db, &cloud, "s2", "S2", "till-2");
    assert_eq!(selling_price(&s1, "6901234567892"), "¥3.50", "the locally imported price before any sync");

    // Head office publishes the catalog: Coca-Cola up to ¥3.80, a new product, and store
    // S2's own price for Coca-Cola.
    let products = serde_json::json!([
        {"sku": "DRK-1", "barcodes": ["6901234567892"], "name": "Coca-Cola 330ml", "name_zh": "可口可乐 330ml", "category": "drinks", "unit": "each", "price_minor": 380, "tax_bp": 1300},
        {"sku": "SNK-1", "barcodes": ["6920152400012"], "name": "Lay's Cucumber Chips 70g", "name_zh": "乐事黄瓜味薯片 70g", "category": "snacks", "unit": "each", "price_minor": 790, "tax_bp": 1300},
        {"sku": "TEA-9", "barcodes": ["6900000000093"], "name": "Oolong Tea 500ml", "name_zh": "乌龙茶 500ml", "category": "drinks", "unit": "each", "price_minor": 450, "tax_bp": 1300}
    ]);
    assert_eq!(put(&cloud, "/v1/catalog/products?tenant=acme", products).0, 200);
    let (status, body) = put(&cloud, "/v1/catalog/prices?tenant=acme", serde_json::json!({"sku": "DRK-1", "price_minor": 320, "store": "S2"}));
    assert_eq!(status, 200, "{body}");
    // A bad edit is refused with the reason and changes nothing.
    let (status, body) = put(&cloud, "/v1/catalog/prices?tenant=acme", serde_json::json!({"sku": "DRK-1", "price_minor": -5}));
    assert_eq!((status, body["kind"].as_str()), (422, Some("bad_edit")), "{body}");

    for data in [&s1, &s2] {
        let out = ok(&["sync", "push", "--data", data]);
        assert!(out.contains("catalog:"), "{out}");
    }
    assert_eq!(selling_price(&s1, "6901234567892"), "¥3.80");
    assert_eq!(selling_price(&s2, "6901234567892"), "¥3.20", "S2 sells at its own price");
    assert_eq!(selling_price(&s1, "6900000000093"), "¥4.50", "a product new to the store rings up");
    assert_eq!(selling_price(&s2, "6900000000093"), "¥4.50");

    // Offline, store S1's manager changes the chips' central price; a little later head
    // office changes it too. S1's edit reaches the cloud last but was made first: it loses.
    ok(&["sync", "price", "--data", &s1, "--sku", "SNK-1", "--price", "8.50", "--central"]);
    assert_eq!(selling_price(&s1, "6920152400012"), "¥8.50", "applied in the store at once");
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(put(&cloud, "/v1/catalog/prices?tenant=acme", serde_json::json!({"sku": "SNK-1", "price_minor": 890})).0, 200);
    // Store S2 sets its own price for the new tea, and later drops its Coca-Cola price.
    ok(&["sync", "price", "--data", &s2, "--sku", "TEA-9", "--price", "4.20"]);
    ok(&["sync", "price", "--data", &s2, "--sku", "DRK-1", "--clear"]);
    assert_eq!(selling_price(&s2, "6901234567892"), "¥3.80", "back to the central price");

    // Everyone syncs (twice round, so each store also gets the other's edits).
    for data in [&s1, &s2, &s1] {
        ok(&["sync", "push", "--data", data]);
    }
    assert_eq!(selling_price(&s1, "6920152400012"), "¥8.90", "head office's later edit wins although S1's arrived last");
    assert_eq!(selling_price(&s2, "6920152400012"), "¥8.90");
    assert_eq!(selling_price(&s2, "6900000000093"), "¥4.20", "S2's own price");
    assert_eq!(selling_price(&s1, "6900000000093"), "¥4.50", "S1 keeps the central price");
    let cloud_catalog = cloud.get("/v1/catalog?tenant=acme&store=S2");
    assert_eq!(catalog_heads(&s1), cloud_catalog["heads"], "S1 and the cloud hold the same document");
    assert_eq!(catalog_heads(&s2), cloud_catalog["heads"], "S2 and the cloud hold the same document");
    let tea = cloud_catalog["products"].as_array().unwrap().iter().find(|p| p["sku"] == "TEA-9").unwrap().clone();
    assert_eq!((tea["price_minor"].as_i64(), tea["central_price_minor"].as_i64()), (Some(420), Some(450)));
    let text = ok(&["sync", "status", "--data", &s1]);
    assert!(text.contains("catalog: heads"), "{text}");

    // A corrupted round and a forged one are refused and change nothing.
    let key = SigningKey::from_bytes(&[7; 32]);
    let forged = Message::DocSync(DocSync::seal(&key, "S1", "till-1", "catalog", 0, Vec::new())).encode();
    let (status, body) = post_docs(&cloud, &forged);
    assert_eq!(status, 403, "{body}");
    let mut corrupted = forged.clone();
    let mid = corrupted.len() / 2;
    corrupted[mid] ^= 0xff;
    let (status, body) = post_docs(&cloud, &corrupted);
    assert!(status == 400 && body.contains("checksum"), "{status} {body}");
    let (status, _) = post_docs(&cloud, &forged[..forged.len() - 10]);
    assert_eq!(status, 400);
    assert_eq!(cloud.get("/v1/catalog?tenant=acme")["heads"], cloud_catalog["heads"]);
    // The journal push and its totals are untouched by all of this.
    let out = edge(&["sync", "push", "--data", &s2]);
    assert!(out.status.success());
}
