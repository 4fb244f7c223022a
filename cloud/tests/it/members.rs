//! Members shared by the tenant's nodes: a member registered at one till is found at the
//! store's other till and in another store; the points a member earns at one till count
//! at the other; and one phone registered at two tills that could not see each other
//! becomes one member on every node, with both registrations' points. Points earned in
//! one store are spent in another; spent offline in two stores, they are bounded by the
//! stores' offline allowance and the cloud flags the person once below zero.

use std::path::Path;

use crate::catalog::enrolled_store as enrolled;
use crate::relay::EdgeAgent;
use crate::{Backend, Cloud, CloudDb, cloud_ok, edge, free_port, ok, on_both_backends, store};

on_both_backends!(members_reach_every_node_and_one_phone_registered_twice_is_one_member, points_count_across_stores_and_offline_spending_is_bounded);

/// `member show`'s id and points on `data`.
fn shown(data: &str, key: &str) -> (String, i64) {
    let out = ok(&["member", "show", "--data", data, key]);
    let id = out.lines().next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or_else(|| panic!("no member line in {out:?}")).to_string();
    let points = out.lines().find_map(|l| l.strip_prefix("points: ")).unwrap_or_else(|| panic!("no points in {out:?}")).trim().parse().unwrap();
    (id, points)
}

/// A store whose tills sync through its edge agent.
fn through_edge(dir: &Path, db: &str, edge_url: &str, name: &str) -> String {
    let data = store(dir, name, "S1", name);
    let code = cloud_ok(&["enrol-code", "--db", db, "--store", "S1", "--tenant", "acme", "--brand", "acme-mart"]);
    ok(&["sync", "enroll", "--data", &data, "--cloud", edge_url, "--code", code.trim()]);
    data
}

fn members_reach_every_node_and_one_phone_registered_twice_is_one_member(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let edge_data = enrolled(dir.path(), &db.db, &cloud, "edge", "S1", "edge");
    let edge_port = free_port();
    let _agent = EdgeAgent::start(&edge_data, edge_port);
    let edge_url = format!("http://127.0.0.1:{edge_port}");
    let till_a = through_edge(dir.path(), &db.db, &edge_url, "till-a");
    let till_b = through_edge(dir.path(), &db.db, &edge_url, "till-b");
    let s2 = enrolled(dir.path(), &db.db, &cloud, "s2", "S2", "till-s2");
    let push = |data: &str| ok(&["sync", "push", "--data", data]);

    // Registered at till A; till B knows nobody by that phone until it syncs.
    ok(&["member", "register", "--data", &till_a, "--phone", "13800138000", "--name", "王芳 Wang Fang", "--birthday", "03-08"]);
    assert!(!edge(&["member", "show", "--data", &till_b, "13800138000"]).status.success());
    assert!(push(&till_a).contains("members:"));
    push(&till_b);
    let (id, points) = shown(&till_b, "13800138000");
    assert_eq!(points, 0);
    // Till B sells to her; till A counts those points once it holds till B's journal.
    ok(&["sale", "--data", &till_b, "--scan", "6901234567892", "--qty", "4", "--member", "13800138000", "--tender", "cash:20"]);
    let at_b = shown(&till_b, "13800138000");
    assert!(at_b.1 > 0, "a sale of ¥14 earns points");
    push(&till_b);
    push(&till_a);
    assert_eq!(shown(&till_a, "13800138000"), at_b, "till A sees the points earned at till B");
    assert_eq!(shown(&till_a, &id), at_b);
    // Another store of the tenant finds her by phone once the edge agent and it synced.
    assert!(!edge(&["member", "show", "--data", &s2, "13800138000"]).status.success());
    push(&edge_data);
    push(&s2);
    assert_eq!(shown(&s2, "13800138000").0, id);
    // A phone already known is refused, in any store.
    let again = edge(&["member", "register", "--data", &s2, "--phone", "13800138000", "--name", "Someone"]);
    assert!(!again.status.success());

    // Both tills register one phone while they cannot see each other (A first), and each
    // sells to its own registration.
    ok(&["member", "register", "--data", &till_a, "--phone", "13900139000", "--name", "李雷 Li Lei"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    ok(&["member", "register", "--data", &till_b, "--phone", "13900139000", "--name", "Li Lei"]);
    let (first, _) = shown(&till_a, "13900139000");
    let (second, _) = shown(&till_b, "13900139000");
    assert_ne!(first, second);
    for (data, qty) in [(&till_a, "2"), (&till_b, "6")] {
        ok(&["sale", "--data", data, "--scan", "6901234567892", "--qty", qty, "--member", "13900139000", "--tender", "cash:30"]);
    }
    let earned = shown(&till_a, "13900139000").1 + shown(&till_b, "13900139000").1;
    for data in [&till_a, &till_b, &till_a, &edge_data, &s2] {
        push(data);
    }
    // Every node takes the earlier registration, with both registrations' points.
    for data in [&till_a, &till_b, &edge_data] {
        assert_eq!(shown(data, "13900139000"), (first.clone(), earned), "on {data}");
        assert_eq!(shown(data, &second), (first.clone(), earned), "the merged id finds the survivor on {data}");
        assert!(ok(&["member", "show", "--data", data, &first]).contains(&second), "the survivor names the merged registration");
    }
    assert_eq!(shown(&s2, "13900139000").0, first, "another store takes the same one");
    let listed = ok(&["member", "list", "--data", &till_b]);
    assert_eq!(listed.matches("13900139000").count(), 1, "the list shows the person once: {listed}");
    // The stores' replicas still agree with their journals.
    for data in [&till_a, &till_b, &edge_data] {
        ok(&["journal", "verify", "--data", data]);
    }
}

fn points_count_across_stores_and_offline_spending_is_bounded(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let s1 = enrolled(dir.path(), &db.db, &cloud, "s1", "S1", "till-1");
    let s2 = enrolled(dir.path(), &db.db, &cloud, "s2", "S2", "till-2");
    let push = |data: &str| ok(&["sync", "push", "--data", data]);
    // Registered in S1, she earns points there (¥14: 14 points), which S2 counts once both synced.
    ok(&["member", "register", "--data", &s1, "--phone", "13800138000", "--name", "王芳"]);
    ok(&["sale", "--data", &s1, "--scan", "6901234567892", "--qty", "4", "--member", "13800138000", "--tender", "cash:20"]);
    let (id, earned) = shown(&s1, "13800138000");
    assert_eq!(earned, 14);
    for data in [&s1, &s2, &s1] {
        push(data);
    }
    assert_eq!(shown(&s2, "13800138000"), (id.clone(), 14), "S2 counts the points earned in S1");
    // S2 takes 3 of them as payment (the sale names no member, so it earns none); S1
    // counts 11 after the next sync.
    ok(&["sale", "--data", &s2, "--scan", "6901234567892", "--tender", "points:0.03:13800138000", "--tender", "cash:10"]);
    for data in [&s2, &s1] {
        push(data);
    }
    assert_eq!(shown(&s1, "13800138000").1, 11);

    // Head office allows each till 10 points (¥0.10) unconfirmed.
    for store in ["S1", "S2"] {
        cloud_ok(&["store-allowance", "--db", &db.db, "--store", store, "--yuan", "0.10"]);
    }
    for data in [&s1, &s2] {
        push(data);
    }
    // Both stores, cut off from each other, take 10 points each: together more than her 11.
    for data in [&s1, &s2] {
        ok(&["sale", "--data", data, "--scan", "6901234567892", "--tender", "points:0.10:13800138000", "--tender", "cash:10"]);
    }
    // A further point at S2 is past its allowance: refused.
    let more = edge(&["sale", "--data", &s2, "--scan", "6901234567892", "--tender", "points:0.01:13800138000", "--tender", "cash:10"]);
    let stderr = String::from_utf8_lossy(&more.stderr);
    assert!(!more.status.success() && stderr.contains("[offline_allowance]") && stderr.contains("offline allowance of 10 points"), "{stderr}");
    let zh = crate::edge_with_lang(&["sale", "--data", &s2, "--scan", "6901234567892", "--tender", "points:0.01:13800138000", "--tender", "cash:10"], "zh");
    assert!(String::from_utf8_lossy(&zh.stderr).contains("本机离线积分额度 10 仅剩 0"), "{}", String::from_utf8_lossy(&zh.stderr));
    assert!(cloud.get("/v1/alerts").as_array().unwrap().iter().all(|a| !a["message"].as_str().unwrap().contains("points across stores")));
    for data in [&s1, &s2, &s1] {
        push(data);
    }
    // 11 - 10 - 10: both stores see -9, and the cloud flags her once, in both languages.
    assert_eq!((shown(&s1, "13800138000").1, shown(&s2, "13800138000").1), (-9, -9));
    let alerts = cloud.get("/v1/alerts");
    let flagged: Vec<&str> = alerts.as_array().unwrap().iter().filter_map(|a| a["message"].as_str()).filter(|m| m.contains("points across stores")).collect();
    assert_eq!(flagged.len(), 1, "{alerts}");
    assert!(flagged[0].contains(&format!("member {id} has -9 points across stores")), "{}", flagged[0]);
    assert!(flagged[0].contains("离线跨店消费积分后余额为"), "{}", flagged[0]);
}
