//! Two stores push their journals to a cloud that is killed and restarted mid-push, and
//! pushes are killed on the node side too; batches are re-sent, corrupted and forged. At the end the cloud holds exactly the
//! union of the journals and its totals equal the journals' to the fen.
//! Three interrupted rounds by default; `RUN_SLOW_TESTS=1` runs twenty, with more sales.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use ed25519_dalek::SigningKey;
use opentill_core::journal::Fact;
use opentill_sync::Replica;
use opentill_sync::protocol::{Batch, Message};
use rand::{Rng, SeedableRng};

use crate::{Backend, Cloud, CloudDb, cloud_ok, edge, edge_bin, free_port, ok, on_both_backends, store};

on_both_backends!(two_stores_converge_with_the_cloud_through_kills_and_resends, serve_pushes_the_backlog_by_itself_keeps_it_while_the_cloud_is_down_and_learns_revoked_passes);

/// The journal's head and its totals in minor units (sales, refunds), read locally.
fn local(data: &str) -> (u64, [u8; 32], i64, i64) {
    let replica = Replica::open(Path::new(data)).unwrap();
    let (head, hash) = replica.head().unwrap();
    let (mut sales, mut refunds) = (0, 0);
    for (_, fact) in replica.facts().unwrap() {
        match fact {
            Fact::Sale(s) => sales += s.total,
            Fact::Refund(r) => refunds += r.total,
            _ => {}
        }
    }
    (head, hash, sales, refunds)
}

/// Starts a push and kills the cloud once the push has made some progress. Returns
/// whether the push was cut off (rather than finishing first).
fn push_and_kill(data: &str, cloud: Cloud, batch: &str) -> bool {
    let mut push = Command::new(edge_bin())
        .args(["sync", "push", "--data", data, "--batch", batch])
        .env("OPENTILL_LANG", "en")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(push.stderr.take().unwrap()).lines();
    let mut saw = Vec::new();
    // The first line is the starting point; the second shows entries acknowledged.
    for _ in 0..2 {
        match lines.next() {
            Some(line) => saw.push(line.unwrap()),
            None => break,
        }
    }
    cloud.kill();
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = push.wait().unwrap();
    let all = [saw, rest].concat().join("\n");
    if status.success() {
        return false;
    }
    assert!(all.contains("push interrupted"), "the push must say it was interrupted: {all}");
    assert!(all.contains("run `sync push` again to resume"), "{all}");
    true
}

/// Starts a push and SIGKILLs the pushing process once it has made some progress.
fn push_and_kill_the_pusher(data: &str, batch: &str) {
    let mut push = Command::new(edge_bin())
        .args(["sync", "push", "--data", data, "--batch", batch])
        .env("OPENTILL_LANG", "en")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(push.stderr.take().unwrap()).lines();
    let _ = lines.next();
    let _ = lines.next();
    push.kill().unwrap();
    push.wait().unwrap();
}

fn two_stores_converge_with_the_cloud_through_kills_and_resends(backend: Backend) {
    let slow = std::env::var_os("RUN_SLOW_TESTS").is_some();
    let rounds = if slow { 20 } else { 3 };
    let seed: u64 = std::env::var("SYNC_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
    eprintln!("replication test: {rounds} rounds, SYNC_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let port = free_port();
    let mut cloud = Cloud::start(&db.db, port);
    let stores = [store(dir.path(), "a", "SH001", "till-1"), store(dir.path(), "b", "BJ002", "till-1")];

    // Enrolment: a code per store, used once, only for its store.
    let db_arg = db.db.clone();
    let code_a = cloud_ok(&["enrol-code", "--db", &db_arg, "--store", "SH001", "--tenant", "acme", "--brand", "acme-mart"]).trim().to_string();
    let code_b = cloud_ok(&["enrol-code", "--db", &db_arg, "--store", "BJ002", "--tenant", "acme", "--brand", "acme-express"]).trim().to_string();
    let wrong = edge(&["sync", "enroll", "--data", &stores[0], "--cloud", &cloud.url, "--code", &code_b]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("[wrong_store]"), "{}", String::from_utf8_lossy(&wrong.stderr));
    let out = ok(&["sync", "enroll", "--data", &stores[0], "--cloud", &cloud.url, "--code", &code_a.to_lowercase()]);
    assert!(out.contains("enrolled: SH001/till-1") && out.contains("tenant acme / brand acme-mart"), "{out}");
    ok(&["sync", "enroll", "--data", &stores[1], "--cloud", &cloud.url, "--code", &code_b]);
    // Retrying an enrolment whose reply was lost is fine; another node cannot reuse the code.
    ok(&["sync", "enroll", "--data", &stores[0], "--cloud", &cloud.url, "--code", &code_a]);
    let other_till = store(dir.path(), "a2", "SH001", "till-2");
    let reused = edge(&["sync", "enroll", "--data", &other_till, "--cloud", &cloud.url, "--code", &code_a]);
    assert!(String::from_utf8_lossy(&reused.stderr).contains("[code_used]"), "{}", String::from_utf8_lossy(&reused.stderr));

    // Sell offline, then push while the cloud is killed mid-push and restarted.
    let mut interrupted = 0;
    for round in 0..rounds {
        for data in &stores {
            let sales = rng.gen_range(if slow { 100..400 } else { 60..120 });
            ok(&["sale-loop", "--data", data, "--count", &sales.to_string(), "--seed", &rng.r#gen::<u32>().to_string()]);
        }
        // One store's push is killed on the node side, the other's by killing the cloud.
        push_and_kill_the_pusher(&stores[(round + 1) % 2], &rng.gen_range(2..6).to_string());
        let data = &stores[round % 2];
        if push_and_kill(data, cloud, &rng.gen_range(2..6).to_string()) {
            interrupted += 1;
        }
        cloud = Cloud::start(&db.db, port);
        let status = ok(&["sync", "status", "--data", data, "--format", "json"]);
        let status: serde_json::Value = serde_json::from_str(&status).unwrap();
        // The cloud may hold one batch more than the node recorded: its ack was lost.
        assert!(status["cloud_acked_seq"].as_u64().unwrap() >= status["acked_seq"].as_u64().unwrap(), "the cloud holds what it acknowledged: {status}");
    }
    eprintln!("{interrupted}/{rounds} pushes were cut off by the kill");
    assert!(interrupted > 0, "at least one push must have been cut off");

    // Re-sending batches the cloud already holds changes nothing.
    let replica = Replica::open(Path::new(&stores[0])).unwrap();
    let acked_before = cloud.get("/v1/nodes");
    let held = acked_before.as_array().unwrap().iter().find(|n| n["store_id"] == "SH001").unwrap()["acked_seq"].as_u64().unwrap();
    assert!(held > 0);
    let batch = Message::Batch(replica.seal_batch(1..=held.min(40)).unwrap()).encode();
    for _ in 0..3 {
        let (status, body) = cloud.post_sync(&batch);
        assert_eq!(status, 200);
        let Ok(Message::Ack(ack)) = Message::decode(&body) else { panic!("not an ack") };
        assert_eq!(ack.acked_seq, held);
    }
    // A truncated or corrupted message is refused with a clear error and changes nothing.
    let (status, body) = cloud.post_sync(&batch[..batch.len() / 2]);
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("sync message truncated"), "{}", String::from_utf8_lossy(&body));
    let mut corrupted = batch.clone();
    corrupted[200] ^= 0x10;
    let (status, body) = cloud.post_sync(&corrupted);
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("checksum mismatch"), "{}", String::from_utf8_lossy(&body));
    // A batch forged in this node's name is quarantined and raises an alert.
    let entries = replica.entries(held + 1..=held + 1).unwrap();
    let next = if entries.is_empty() { replica.entries(held..=held).unwrap() } else { entries };
    let forged = Batch::seal(&SigningKey::from_bytes(&[42; 32]), "SH001", "till-1", next[0].prev_hash, next);
    let (status, body) = cloud.post_sync(&Message::Batch(forged).encode());
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("\"kind\":\"quarantined\""));
    assert_eq!(cloud.get("/v1/nodes"), acked_before, "rejected messages changed nothing");
    let quarantine = cloud.get("/v1/quarantine");
    assert_eq!(quarantine.as_array().unwrap().len(), 1);
    assert!(quarantine[0]["reason"].as_str().unwrap().contains("not signed by node till-1"), "{quarantine}");
    let alerts = cloud.get("/v1/alerts");
    assert_eq!(alerts[0]["severity"], "critical");
    drop(replica);

    // The network heals: both push to completion.
    for data in &stores {
        let out = ok(&["sync", "push", "--data", data]);
        assert!(out.contains("cloud holds"), "{out}");
        let status = ok(&["sync", "status", "--data", data]);
        assert!(status.contains("(in sync)"), "{status}");
        assert!(status.contains("pending: 0"), "{status}");
    }

    // The cloud holds exactly the union of the journals (same heads, same hash chains,
    // one row per entry) and totals equal the journals' to the fen.
    for path in ["/v1/nodes", "/v1/totals", "/v1/quarantine", "/v1/alerts"] {
        assert_eq!(cloud.get_status_without_token(path), 401, "{path} needs the admin token");
    }
    let nodes = cloud.get("/v1/nodes");
    let totals = cloud.get("/v1/totals");
    for (data, store_id) in stores.iter().zip(["SH001", "BJ002"]) {
        let (head, hash, sales, refunds) = local(data);
        let node = nodes.as_array().unwrap().iter().find(|n| n["store_id"] == store_id).unwrap();
        assert_eq!(node["acked_seq"].as_u64().unwrap(), head, "{store_id}");
        assert_eq!(node["n_entries"].as_u64().unwrap(), head, "{store_id}");
        assert_eq!(node["head_hash"].as_str().unwrap(), hex::encode(hash), "{store_id}");
        assert_eq!(node["reported_head"].as_u64().unwrap(), head, "{store_id}");
        assert_eq!(node["behind"].as_u64().unwrap(), 0, "{store_id}");
        let row = totals.as_array().unwrap().iter().find(|t| t["store_id"] == store_id).unwrap();
        assert_eq!(row["n_entries"].as_u64().unwrap(), head);
        assert_eq!(row["sales_minor"].as_i64().unwrap(), sales, "{store_id} sales");
        assert_eq!(row["refunds_minor"].as_i64().unwrap(), refunds, "{store_id} refunds");
        assert_eq!(row["net_minor"].as_i64().unwrap(), sales - refunds);
        assert_eq!(row["tenant"], "acme");
    }
    assert_eq!(totals[0]["brand"], "acme-express");
    assert_eq!(totals[1]["brand"], "acme-mart");
}

fn pending(data: &str) -> u64 {
    let status: serde_json::Value = serde_json::from_str(&ok(&["sync", "status", "--data", data, "--offline", "--format", "json"])).unwrap();
    status["pending"].as_u64().unwrap()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn serve_pushes_the_backlog_by_itself_keeps_it_while_the_cloud_is_down_and_learns_revoked_passes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let port = free_port();
    let cloud = Cloud::start(&db.db, port);
    let data = store(dir.path(), "a", "SH001", "till-1");
    let db_arg = db.db.clone();
    let code = cloud_ok(&["enrol-code", "--db", &db_arg, "--store", "SH001", "--tenant", "acme", "--brand", "acme-mart"]).trim().to_string();
    ok(&["sync", "enroll", "--data", &data, "--cloud", &cloud.url, "--code", &code]);
    let mut serve = Command::new(edge_bin())
        .args(["serve", "--data", &data, "--listen", &format!("127.0.0.1:{}", free_port()), "--mqtt", "off", "--push-every-secs", "1"])
        .env("OPENTILL_LANG", "en")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Sales rung up while the agent runs reach the cloud with no `sync push`.
    ok(&["sale-loop", "--data", &data, "--count", "5", "--seed", "7"]);
    assert!(pending(&data) > 0);
    wait_until("the cloud holds the first sales", || pending(&data) == 0);
    // The cloud goes away; sales go on and wait on disk.
    cloud.kill();
    ok(&["sale-loop", "--data", &data, "--count", "5", "--seed", "8"]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let backlog = pending(&data);
    assert!(backlog > 0, "nothing can be pushed while the cloud is down");
    // It comes back on the same address: the backlog drains (the retry wait is at most a few seconds here).
    let cloud = Cloud::start(&db.db, port);
    wait_until("the backlog drains", || pending(&data) == 0);
    // Head office revokes a member pass: the store's agent learns it by itself.
    ok(&["stored-value", "top-up", "--data", &data, "--account", "M001", "--amount", "10", "--tender", "cash"]);
    let issued = edge(&["pass", "issue", "--data", &data, "--account", "M001"]);
    assert!(issued.status.success());
    let pass_id = String::from_utf8_lossy(&issued.stderr).split_whitespace().nth(1).unwrap().to_string();
    assert!(!Replica::open(Path::new(&data)).unwrap().is_revoked(&pass_id).unwrap());
    let out = cloud_ok(&["revoke-pass", "--db", &db_arg, "--store", "SH001", "--pass", &pass_id]);
    assert!(out.contains("revoked"), "{out}");
    let unknown = Command::new(crate::cloud_bin()).args(["revoke-pass", "--db", &db_arg, "--store", "NOPE", "--pass", "x"]).output().unwrap();
    assert!(!unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("no store NOPE"));
    wait_until("the revocation reaches the store", || Replica::open(Path::new(&data)).unwrap().is_revoked(&pass_id).unwrap());
    // Only the node's own key may ask.
    let forged = serde_json::json!({"store_id": "SH001", "node_id": "till-1", "since_ms": 0, "signature": "00".repeat(64)});
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let response = agent.post(&format!("{}/v1/revoked", cloud.url)).header("content-type", "application/json").send(forged.to_string().as_bytes()).unwrap();
    assert_eq!(response.status().as_u16(), 403);

    let (_, _, sales, _) = local(&data);
    let totals = cloud.get("/v1/totals");
    let row = totals.as_array().unwrap().iter().find(|r| r["store_id"] == "SH001").unwrap().clone();
    assert_eq!(row["sales_minor"].as_i64().unwrap(), sales, "the cloud's total equals the journal's");
    serve.kill().unwrap();
    serve.wait().unwrap();
}
