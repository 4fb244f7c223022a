//! Stock transfers between two stores end to end, with the real binaries: store SH001 (an
//! edge agent on its own) and store BJ002 (an edge agent serving a till, which enrols and
//! syncs through it). BJ002's till asks SH001 for goods; SH001 sees the request after both
//! synced, ships less than asked; the till sees it in transit, receives one short; both
//! stores end with the same transfer, stock moved on each side, the variance recorded. A
//! second transfer is cancelled by BJ002 while SH001, offline from it, ships it: the
//! shipment stands on both sides. Steps fetched twice add nothing. On both backends.

use serde_json::Value;

use crate::relay::EdgeAgent;
use crate::{Backend, Cloud, CloudDb, cloud_ok, edge, free_port, ok, on_both_backends, store};

on_both_backends!(a_transfer_goes_from_one_store_to_another_through_the_cloud);

fn transfers(data: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(&["transfer", "list", "--data", data, "--json"])).unwrap().as_array().unwrap().clone()
}

fn one(data: &str, id: &str) -> Value {
    transfers(data).into_iter().find(|t| t["transfer_id"] == id).unwrap_or_else(|| panic!("{data} does not hold transfer {id}"))
}

/// (sku, requested, shipped, received) per line.
fn lines(t: &Value) -> Vec<(String, i64, i64, i64)> {
    t["lines"].as_array().unwrap().iter().map(|l| (l["sku"].as_str().unwrap().to_string(), l["requested"].as_i64().unwrap(), l["shipped"].as_i64().unwrap(), l["received"].as_i64().unwrap())).collect()
}

fn stock(data: &str, sku: &str) -> i64 {
    ok(&["stock", "show", "--data", data, "--sku", sku]).split('\t').nth(1).unwrap().parse().unwrap()
}

/// The transfer id printed first by a `transfer` command.
fn id_of(out: &str) -> String {
    out.split('\t').next().unwrap().trim().to_string()
}

fn fails(args: &[&str]) -> String {
    let out = edge(args);
    assert!(!out.status.success(), "{args:?} should have failed: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).unwrap()
}

fn a_transfer_goes_from_one_store_to_another_through_the_cloud(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let code = |store_id: &str| cloud_ok(&["enrol-code", "--db", &db.db, "--store", store_id, "--tenant", "acme", "--brand", "acme-mart"]).trim().to_string();
    let sh = store(dir.path(), "sh", "SH001", "edge");
    ok(&["sync", "enroll", "--data", &sh, "--cloud", &cloud.url, "--code", &code("SH001")]);
    let bj_edge = store(dir.path(), "bj-edge", "BJ002", "edge");
    ok(&["sync", "enroll", "--data", &bj_edge, "--cloud", &cloud.url, "--code", &code("BJ002")]);
    let edge_port = free_port();
    let _agent = EdgeAgent::start(&bj_edge, edge_port);
    let bj = store(dir.path(), "bj-till", "BJ002", "till-1");
    ok(&["sync", "enroll", "--data", &bj, "--cloud", &format!("http://127.0.0.1:{edge_port}"), "--code", &code("BJ002")]);
    ok(&["po", "receive", "--data", &sh, "--line", "DRK-1:50", "--line", "SNK-1:20"]);
    // Everyone syncs once: the stores learn each other's ids.
    for data in [&sh, &bj_edge, &bj] {
        ok(&["sync", "push", "--data", data]);
    }

    // Refused with the reason, nothing journaled.
    assert!(fails(&["transfer", "request", "--data", &bj, "--from", "BJ002", "--line", "DRK-1:1"]).contains("a transfer goes to another store, not BJ002 itself"));
    assert!(fails(&["transfer", "request", "--data", &bj, "--from", "SH001", "--line", "NOPE:1"]).contains("NOPE is not in the catalog"));
    assert!(fails(&["transfer", "request", "--data", &bj, "--from", "SH001", "--line", "DRK-1:0"]).contains("quantity 0 must be 1 to 1,000,000"));
    let zh = crate::edge_with_lang(&["transfer", "receive", "--data", &bj, "--id", "TR-NOPE"], "zh");
    assert!(String::from_utf8_lossy(&zh.stderr).contains("本机没有调拨单 TR-NOPE；若是其他门店刚建的，请先同步"), "{}", String::from_utf8_lossy(&zh.stderr));
    assert!(transfers(&bj).is_empty());

    // BJ002's till asks SH001 for cola and chips.
    let t1 = id_of(&ok(&["transfer", "request", "--data", &bj, "--from", "SH001", "--line", "DRK-1:24", "--line", "SNK-1:10", "--note", "weekend promotion"]));
    assert!(t1.starts_with("TR"), "{t1}");
    assert!(fails(&["transfer", "ship", "--data", &sh, "--id", &t1]).contains(&format!("no transfer {t1} is known here; if another store just made it, sync first")));
    // Till → edge agent → cloud → SH001.
    ok(&["sync", "push", "--data", &bj]);
    ok(&["sync", "push", "--data", &bj_edge]);
    let pushed = ok(&["sync", "push", "--data", &sh]);
    assert!(pushed.contains("transfers: new steps from other stores 1, open 1"), "{pushed}");
    let seen = one(&sh, &t1);
    assert_eq!((seen["state"].as_str(), seen["from_store"].as_str(), seen["to_store"].as_str()), (Some("requested"), Some("SH001"), Some("BJ002")));
    assert_eq!(seen["history"][0]["note"], "weekend promotion");
    assert!(fails(&["transfer", "receive", "--data", &sh, "--id", &t1]).contains(&format!("transfer {t1} goes from SH001 to BJ002; SH001 cannot receive")));

    // SH001 ships all the cola and 8 of the 10 chips.
    ok(&["transfer", "ship", "--data", &sh, "--id", &t1, "--line", "DRK-1:24", "--line", "SNK-1:8", "--note", "waybill SF1234"]);
    assert_eq!((stock(&sh, "DRK-1"), stock(&sh, "SNK-1")), (26, 12), "stock left SH001");
    assert!(fails(&["transfer", "ship", "--data", &sh, "--id", &t1]).contains("is in_transit; cannot ship"));
    ok(&["sync", "push", "--data", &sh]);
    ok(&["sync", "push", "--data", &bj_edge]);
    ok(&["sync", "push", "--data", &bj]);
    let on_road = one(&bj, &t1);
    assert_eq!(on_road["state"], "in_transit");
    assert_eq!(lines(&on_road), vec![("DRK-1".into(), 24, 24, 0), ("SNK-1".into(), 10, 8, 0)]);
    assert_eq!((stock(&bj, "DRK-1"), stock(&bj, "SNK-1")), (0, 0), "nothing arrived yet");

    // One cola arrives crushed.
    ok(&["transfer", "receive", "--data", &bj, "--id", &t1, "--line", "DRK-1:23", "--line", "SNK-1:8", "--note", "one can crushed"]);
    assert_eq!((stock(&bj, "DRK-1"), stock(&bj, "SNK-1")), (23, 8), "stock arrived at BJ002");
    for data in [&bj, &bj_edge, &sh] {
        ok(&["sync", "push", "--data", data]);
    }
    assert_eq!((stock(&bj_edge, "DRK-1"), stock(&bj_edge, "SNK-1")), (23, 8), "the store's edge agent folds its till's receipt");
    for data in [&sh, &bj_edge, &bj] {
        let done = one(data, &t1);
        assert_eq!(done["state"], "received", "{data}");
        assert_eq!(lines(&done), vec![("DRK-1".into(), 24, 24, 23), ("SNK-1".into(), 10, 8, 8)], "{data}");
        assert_eq!(done["history"].as_array().unwrap().iter().map(|h| h["step"].as_str().unwrap()).collect::<Vec<_>>(), ["requested", "shipped", "received"], "{data}");
    }
    let text = ok(&["transfer", "list", "--data", &sh]);
    assert!(text.contains(&format!("{t1}\tout\tSH001 → BJ002\treceived")) && text.contains("variance -1"), "{text}");

    // A cancellation crossing a shipment: the shipment stands, on both sides.
    let t2 = id_of(&ok(&["transfer", "request", "--data", &bj, "--from", "SH001", "--line", "DRK-1:6"]));
    for data in [&bj, &bj_edge, &sh] {
        ok(&["sync", "push", "--data", data]);
    }
    ok(&["transfer", "cancel", "--data", &bj, "--id", &t2, "--reason", "sold out elsewhere"]);
    ok(&["transfer", "ship", "--data", &sh, "--id", &t2]);
    assert_eq!(stock(&sh, "DRK-1"), 20, "what was asked for left SH001");
    for data in [&bj, &bj_edge, &sh, &bj_edge, &bj] {
        ok(&["sync", "push", "--data", data]);
    }
    for data in [&sh, &bj] {
        let crossed = one(data, &t2);
        assert_eq!((crossed["state"].as_str(), crossed["cancel_overridden"].as_bool()), (Some("in_transit"), Some(true)), "{data}: {crossed}");
    }
    ok(&["transfer", "receive", "--data", &bj, "--id", &t2]);
    assert_eq!(stock(&bj, "DRK-1"), 29, "received as shipped");

    // The edge agent's store-wide sums (stock, and stock per place) hold its till's
    // receipts too, and still agree with the journals it holds.
    for data in [&sh, &bj_edge, &bj] {
        ok(&["journal", "verify", "--data", data]);
    }
    assert!(ok(&["stock", "show", "--data", &bj_edge, "--sku", "DRK-1"]).contains("backroom 23"), "received goods go to the backroom");

    // Fetching again adds nothing.
    let again = ok(&["sync", "push", "--data", &sh]);
    assert!(again.contains("transfers: new steps from other stores 0"), "{again}");
    assert_eq!(transfers(&sh).len(), 2);
}
