//! The partition test: a cloud, a store's edge agent and three tills as processes on
//! loopback, each link behind a proxy the test cuts and heals at random, while the tills
//! sell, refund and edit prices, head office edits prices, pushes are SIGKILLed midway and
//! the edge agent is SIGKILLed and restarted. Once the network heals, every node holds
//! the same journals (same heads, same hashes) and the same catalog (same automerge
//! heads, same prices), the cloud holds every journal, and its totals equal the sums of
//! the journals to the fen.
//!
//! Three rounds by default; `RUN_SLOW_TESTS=1` runs fifteen.

use std::io::{BufRead, BufReader};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentill_core::journal::Fact;
use opentill_sync::Replica;
use rand::{Rng, SeedableRng};

use crate::catalog::put;
use crate::{Backend, Cloud, CloudDb, cloud_ok, edge, edge_bin, free_port, ok, on_both_backends, store};

on_both_backends!(a_store_converges_through_partitions_and_kills);

/// A network link the test can cut: a TCP proxy to `target`. Cut, it closes every open
/// connection and refuses new ones, as a pulled cable would.
struct Link {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Link {
    fn new(target: u16) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else { continue };
                let mut open = open2.lock().unwrap();
                open.retain(|s| s.peer_addr().is_ok());
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    });
                }
            }
        });
        Link { port, up, open }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for stream in self.open.lock().unwrap().drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }
}

/// `opentill-edge serve` for the store: the tills' sync peer. Killed (SIGKILL) on drop.
pub(crate) struct EdgeAgent {
    child: Child,
}

impl EdgeAgent {
    pub(crate) fn start(data: &str, port: u16) -> EdgeAgent {
        let mut child = Command::new(edge_bin())
            .args(["serve", "--data", data, "--listen", &format!("127.0.0.1:{port}"), "--mqtt", "off", "--push-every-secs", "0"])
            .env("OPENTILL_LANG", "en")
            .env("OPENTILL_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start opentill-edge serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.contains("local API listening"), "unexpected first line {line:?}");
        EdgeAgent { child }
    }
}

impl Drop for EdgeAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `sync push` on `data` and SIGKILLs it after `after_ms`.
fn push_killed(data: &str, after_ms: u64) {
    let mut push = Command::new(edge_bin()).args(["sync", "push", "--data", data, "--batch", "3"]).env("OPENTILL_LANG", "en").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(after_ms));
    let _ = push.kill();
    let _ = push.wait();
}

/// `sync status --offline --format json`.
fn status(data: &str) -> serde_json::Value {
    serde_json::from_str(&ok(&["sync", "status", "--data", data, "--offline", "--format", "json"])).unwrap()
}

/// The sums of a node's own journal: (head, hash hex, sales, refunds) in minor units.
fn own_journal(data: &str) -> (u64, String, i64, i64) {
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
    (head, hex::encode(hash), sales, refunds)
}

/// The latest sale of a node that has not been refunded, if any.
fn refundable_sale(data: &str) -> Option<String> {
    let replica = Replica::open(Path::new(data)).unwrap();
    let sales = replica.recent_sales(5).unwrap();
    sales.into_iter().map(|(_, s)| s.sale_id).find(|id| replica.refunds_for(id).unwrap().is_empty())
}

const SKUS: [&str; 3] = ["DRK-1", "DRK-2", "SNK-1"];
/// Their barcodes, to look them up as a till scans them.
const CODES: [&str; 3] = ["6901234567892", "6901234567908", "6920152400012"];

fn a_store_converges_through_partitions_and_kills(backend: Backend) {
    let slow = std::env::var_os("RUN_SLOW_TESTS").is_some();
    let rounds = if slow { 15 } else { 3 };
    let seed: u64 = std::env::var("SYNC_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
    eprintln!("partition test: {rounds} rounds, SYNC_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let cloud_port: u16 = cloud.url.rsplit(':').next().unwrap().parse().unwrap();
    let code = || cloud_ok(&["enrol-code", "--db", &db.db, "--store", "S1", "--tenant", "acme", "--brand", "acme-mart"]).trim().to_string();

    // The edge agent reaches the cloud over the WAN link; each till reaches the edge agent
    // over its own LAN link.
    let wan = Link::new(cloud_port);
    let edge_data = store(dir.path(), "edge", "S1", "edge");
    ok(&["sync", "enroll", "--data", &edge_data, "--cloud", &wan.url(), "--code", &code()]);
    let edge_port = free_port();
    let mut agent = Some(EdgeAgent::start(&edge_data, edge_port));
    let mut tills = Vec::new();
    for i in 1..=3 {
        let data = store(dir.path(), &format!("till-{i}"), "S1", &format!("till-{i}"));
        let lan = Link::new(edge_port);
        let out = ok(&["sync", "enroll", "--data", &data, "--cloud", &lan.url(), "--code", &code()]);
        assert!(out.contains("syncs through the store's edge agent: edge"), "{out}");
        tills.push((data, lan));
    }
    // A till cannot enrol through an edge agent with a code of another store.
    let other = cloud_ok(&["enrol-code", "--db", &db.db, "--store", "S9"]).trim().to_string();
    let stranger = store(dir.path(), "stranger", "S9", "till-9");
    let refused = edge(&["sync", "enroll", "--data", &stranger, "--cloud", &tills[0].1.url(), "--code", &other]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("[wrong_store]"), "{}", String::from_utf8_lossy(&refused.stderr));

    // Head office publishes the catalog it shares with the store.
    let products = serde_json::json!([
        {"sku": "DRK-1", "barcodes": ["6901234567892"], "name": "Coca-Cola 330ml", "name_zh": "可口可乐 330ml", "category": "drinks", "unit": "each", "price_minor": 380, "tax_bp": 1300},
        {"sku": "DRK-2", "barcodes": ["6901234567908"], "name": "Coca-Cola Zero 330ml", "name_zh": "可口可乐零度 330ml", "category": "drinks", "unit": "each", "price_minor": 380, "tax_bp": 1300},
        {"sku": "SNK-1", "barcodes": ["6920152400012"], "name": "Lay's Cucumber Chips 70g", "name_zh": "乐事黄瓜味薯片 70g", "category": "snacks", "unit": "each", "price_minor": 790, "tax_bp": 1300}
    ]);
    assert_eq!(put(&cloud, "/v1/catalog/products?tenant=acme", products).0, 200);
    // Head office revokes a lost member pass and sets the store's offline allowance; both
    // must reach every till through the edge agent.
    assert_eq!(cloud.post_json("/v1/passes/revoke", &serde_json::json!({"store_id": "S1", "pass_id": "PASS-LOST"})).0, 200);
    assert_eq!(put(&cloud, "/v1/stores/allowance", serde_json::json!({"store_id": "S1", "allowance_minor": 20_000})).0, 200);
    let (code_of, body) = put(&cloud, "/v1/stores/allowance", serde_json::json!({"store_id": "S1", "allowance_minor": -1}));
    assert_eq!((code_of, body["kind"].as_str()), (400, Some("bad_request")), "{body}");
    assert_eq!(put(&cloud, "/v1/stores/allowance", serde_json::json!({"store_id": "NOPE", "allowance_minor": 1})).0, 404);

    // Head office runs a promotion in every store from the start.
    let always = serde_json::json!({"id": "HQ-ALL", "kind": {"PercentOff": {"scope": "All", "percent_bp": 500}}, "window": {"from_ms": 0, "to_ms": 4_102_444_800_000_i64}, "exclusive": false, "priority": 0, "members_only": false});
    assert_eq!(put(&cloud, "/v1/offers/promotions?tenant=acme", always).0, 200);
    let (mut kills, mut refunds, mut edits) = (0, 0, 0);
    for round in 0..rounds {
        // The network changes: each link up or down.
        wan.set(rng.gen_bool(0.5));
        for (_, lan) in &tills {
            lan.set(rng.gen_bool(0.6));
        }
        // The store keeps selling whatever the network does.
        for (data, _) in &tills {
            let count = rng.gen_range(5..25).to_string();
            ok(&["sale-loop", "--data", data, "--count", &count, "--seed", &rng.r#gen::<u32>().to_string()]);
            if rng.gen_bool(0.5)
                && let Some(sale) = refundable_sale(data)
            {
                ok(&["refund", "--data", data, "--sale", &sale]);
                refunds += 1;
            }
        }
        // Prices change at a till, at the edge agent or at head office.
        for _ in 0..2 {
            let sku = SKUS[rng.gen_range(0..SKUS.len())];
            let price = rng.gen_range(200..900);
            match rng.gen_range(0..3) {
                0 => {
                    let (data, _) = &tills[rng.gen_range(0..tills.len())];
                    ok(&["sync", "price", "--data", data, "--sku", sku, "--price", &format!("{}.{:02}", price / 100, price % 100)]);
                }
                1 => {
                    ok(&["sync", "price", "--data", &edge_data, "--sku", sku, "--price", &format!("{}.{:02}", price / 100, price % 100), "--central"]);
                }
                _ => assert_eq!(put(&cloud, "/v1/catalog/prices?tenant=acme", serde_json::json!({"sku": sku, "price_minor": price})).0, 200),
            }
            edits += 1;
        }
        // A promotion changes at a till or at head office (the same ids from both: the
        // store runs its own over head office's).
        if rng.gen_bool(0.7) {
            let (id, sku, percent_bp) = (format!("P{}", rng.gen_range(0..3)), SKUS[rng.gen_range(0..SKUS.len())], rng.gen_range(1..30) * 100);
            let json = format!(r#"{{"id": "{id}", "kind": {{"PercentOff": {{"scope": {{"Skus": ["{sku}"]}}, "percent_bp": {percent_bp}}}}}, "exclusive": false, "window": {{"from_ms": 0, "to_ms": 4102444800000}}, "priority": 0, "members_only": false}}"#);
            if rng.gen_bool(0.6) {
                let (data, _) = &tills[rng.gen_range(0..tills.len())];
                let file = dir.path().join("promotion.json");
                std::fs::write(&file, &json).unwrap();
                ok(&["promo", "put", "--data", data, file.to_str().unwrap()]);
            } else {
                let (status, body) = put(&cloud, "/v1/offers/promotions?tenant=acme", serde_json::from_str(&json).unwrap());
                assert_eq!(status, 200, "{body}");
            }
            edits += 1;
        }
        // Midway, head office compacts both shared documents: the edge agent moves to the
        // new epochs when it next reaches the cloud, the tills when they reach it, each
        // replaying its edits the compaction did not see.
        if round == rounds / 2 {
            for doc in ["catalog", "offers"] {
                let out = cloud_ok(&["compact-doc", "--db", &db.db, "--tenant", "acme", "--doc", doc]);
                assert!(out.contains("epoch 1 -> 2"), "{out}");
            }
        }
        // Syncing goes on, with processes killed midway.
        for (data, _) in &tills {
            if rng.gen_bool(0.3) {
                push_killed(data, rng.gen_range(5..80));
                kills += 1;
            } else {
                let _ = edge(&["sync", "push", "--data", data, "--batch", "4"]);
            }
        }
        if rng.gen_bool(0.4) {
            drop(agent.take());
            kills += 1;
            agent = Some(EdgeAgent::start(&edge_data, edge_port));
        }
        if rng.gen_bool(0.3) {
            push_killed(&edge_data, rng.gen_range(5..80));
            kills += 1;
        } else {
            let _ = edge(&["sync", "push", "--data", &edge_data, "--batch", "7"]);
        }
        eprintln!("round {round}: wan {}, lans {:?}", wan.up.load(Ordering::SeqCst), tills.iter().map(|(_, l)| l.up.load(Ordering::SeqCst)).collect::<Vec<_>>());
    }
    eprintln!("{kills} processes killed, {refunds} refunds, {edits} price and promotion edits");

    // The network heals: tills sync with the edge agent, the edge agent with the cloud, the
    // tills again (news from head office and the other tills).
    wan.set(true);
    for (_, lan) in &tills {
        lan.set(true);
    }
    let heads_of = |data: &str| {
        let s = status(data);
        (s["journals"].clone(), s["documents"].clone())
    };
    let mut converged = false;
    for _ in 0..3 {
        for (data, _) in &tills {
            ok(&["sync", "push", "--data", data]);
        }
        ok(&["sync", "push", "--data", &edge_data]);
        for (data, _) in &tills {
            ok(&["sync", "push", "--data", data]);
        }
        let edge_heads = heads_of(&edge_data);
        if tills.iter().all(|(data, _)| strip_local(heads_of(data)) == strip_local(edge_heads.clone())) {
            converged = true;
            break;
        }
    }
    assert!(converged, "the store did not converge: edge {:?}, tills {:?}", heads_of(&edge_data), tills.iter().map(|(d, _)| heads_of(d)).collect::<Vec<_>>());

    // Every node sells at the same prices.
    for code in CODES {
        let prices: Vec<String> = std::iter::once(&edge_data).chain(tills.iter().map(|(d, _)| d)).map(|d| ok(&["product", "lookup", code, "--data", d])).collect();
        assert!(prices.windows(2).all(|w| w[0] == w[1]), "{code}: {prices:?}");
    }
    // And runs the same promotions.
    let promotions: Vec<String> = std::iter::once(&edge_data).chain(tills.iter().map(|(d, _)| d)).map(|d| ok(&["promo", "list", "--data", d])).collect();
    assert!(promotions.windows(2).all(|w| w[0] == w[1]), "{promotions:?}");
    // Stock on hand is a fold over every node's journal: the same everywhere.
    let stock: Vec<_> = std::iter::once(&edge_data).chain(tills.iter().map(|(d, _)| d)).map(|d| Replica::open(Path::new(d)).unwrap().stock_all().unwrap()).collect();
    assert!(stock[0].values().any(|q| *q != 0), "the tills sold: {stock:?}");
    assert!(stock.windows(2).all(|w| w[0] == w[1]), "stock differs between nodes: {stock:?}");
    // The cloud holds every journal of the store: same heads and hashes; its catalog is the
    // store's; its totals are the journals' sums to the fen.
    let nodes = cloud.get("/v1/nodes");
    let (mut sales, mut refunded, mut entries) = (0, 0, 0);
    for data in std::iter::once(&edge_data).chain(tills.iter().map(|(d, _)| d)) {
        let node_id = status(data)["node_id"].as_str().unwrap().to_string();
        let (head, hash, s, r) = own_journal(data);
        let held = nodes.as_array().unwrap().iter().find(|n| n["node_id"] == node_id.as_str()).unwrap_or_else(|| panic!("cloud lacks {node_id}: {nodes}"));
        assert_eq!(held["acked_seq"].as_u64().unwrap(), head, "{node_id}");
        if head > 0 {
            assert_eq!(held["head_hash"].as_str().unwrap(), hash, "{node_id}");
        }
        sales += s;
        refunded += r;
        entries += head;
    }
    let documents = heads_of(&edge_data).1;
    let doc_heads = |name: &str| documents.as_array().unwrap().iter().find(|d| d["name"] == name).unwrap()["heads"].clone();
    assert_eq!(cloud.get("/v1/catalog?tenant=acme")["heads"], doc_heads("catalog"), "the cloud's catalog is the store's");
    assert_eq!(cloud.get("/v1/offers?tenant=acme")["heads"], doc_heads("offers"), "the cloud's offers are the store's");
    // Every node keeps a stored-value snapshot (the tills' handed down by the edge agent) in
    // which the cloud had confirmed its whole journal: nothing it spent is unconfirmed.
    for data in std::iter::once(&edge_data).chain(tills.iter().map(|(d, _)| d)) {
        let s = status(data);
        assert_eq!(s["balances"]["allowance_minor"], 20_000, "{data}: {}", s["balances"]);
        assert_eq!(s["balances"]["own_held_seq"].as_u64(), Some(own_journal(data).0), "{data}: {}", s["balances"]);
        assert!(Replica::open(Path::new(data)).unwrap().is_revoked("PASS-LOST").unwrap(), "{data} does not know the revoked pass");
    }
    let totals = cloud.get("/v1/totals");
    let row = totals.as_array().unwrap().iter().find(|t| t["store_id"] == "S1").unwrap();
    assert_eq!(row["n_entries"].as_u64().unwrap(), entries);
    assert_eq!(row["sales_minor"].as_i64().unwrap(), sales, "sales to the fen");
    assert_eq!(row["refunds_minor"].as_i64().unwrap(), refunded, "refunds to the fen");
    assert!(entries > 0 && refunded > 0 || refunds == 0);
    assert!(cloud.get("/v1/quarantine").as_array().unwrap().is_empty(), "nothing honest was quarantined");
    drop(agent);
}

/// Journals and document heads without what differs by node (`upstream_seq`, `heard_ms`,
/// when each document last synced, how its storage is compacted).
fn strip_local((journals, documents): (serde_json::Value, serde_json::Value)) -> (Vec<(String, u64, String)>, Vec<(String, serde_json::Value)>) {
    let journals = journals.as_array().unwrap().iter().map(|j| (j["node_id"].as_str().unwrap().to_string(), j["held_seq"].as_u64().unwrap(), j["head_hash"].as_str().unwrap().to_string())).collect();
    let documents = documents.as_array().unwrap().iter().map(|d| (d["name"].as_str().unwrap().to_string(), d["heads"].clone())).collect();
    (journals, documents)
}

/// A till enrolling through the edge agent waits on the cloud; meanwhile the store's other
/// tills keep syncing with the edge agent (it does not hold its replica across the call).
#[test]
fn a_till_syncs_while_another_waits_on_the_cloud_to_enrol() {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(Backend::Sqlite, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let code = || cloud_ok(&["enrol-code", "--db", &db.db, "--store", "S1", "--tenant", "acme", "--brand", "acme-mart"]).trim().to_string();
    let edge_data = store(dir.path(), "edge", "S1", "edge");
    ok(&["sync", "enroll", "--data", &edge_data, "--cloud", &cloud.url, "--code", &code()]);
    let edge_port = free_port();
    let agent = EdgeAgent::start(&edge_data, edge_port);
    let edge_url = format!("http://127.0.0.1:{edge_port}");
    let till_a = store(dir.path(), "till-a", "S1", "till-a");
    ok(&["sync", "enroll", "--data", &till_a, "--cloud", &edge_url, "--code", &code()]);
    drop(agent);

    // The cloud now answers nothing for 20 s: it takes the connection and holds it.
    let hole = TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_url = format!("http://{}", hole.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in hole.incoming().flatten() {
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(20));
                drop(conn);
            });
        }
    });
    Replica::open(Path::new(&edge_data)).unwrap().record_enrolment(&hole_url, 1).unwrap();
    let _agent = EdgeAgent::start(&edge_data, edge_port);

    let till_b = store(dir.path(), "till-b", "S1", "till-b");
    let waiting_code = code();
    let (b_data, b_url) = (till_b.clone(), edge_url.clone());
    let enrolling = std::thread::spawn(move || edge(&["sync", "enroll", "--data", &b_data, "--cloud", &b_url, "--code", &waiting_code]));
    std::thread::sleep(Duration::from_secs(1));
    let started = std::time::Instant::now();
    ok(&["sale-loop", "--data", &till_a, "--count", "3", "--seed", "7"]);
    ok(&["sync", "push", "--data", &till_a]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(12), "till-a waited {took:?} for the edge agent while till-b's enrolment was with the cloud");
    assert_eq!(status(&edge_data)["journals"].as_array().unwrap().iter().find(|j| j["node_id"] == "till-a").unwrap()["held_seq"].as_u64(), Some(own_journal(&till_a).0));
    // Till B's enrolment ends with a plain refusal once the cloud's answer does not come.
    let refused = enrolling.join().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("[cloud_unreachable]"), "{}", String::from_utf8_lossy(&refused.stderr));
}
