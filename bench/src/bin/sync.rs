//! `opentill-bench-sync`: a store that was offline for a week catches up with the cloud.
//! Starts the cloud ledger on loopback (SQLite); head office publishes the catalog
//! (`fixtures/catalog.csv`, 2,392 products) and the store syncs it; then, offline, the
//! store rings up N sales (20,000 by default), makes E catalog edits (2,500 price changes
//! by default) and registers M members (2,500 by default: a journal fact and a profile in
//! the members document each); then it catches up: the whole journal through
//! `opentill_sync::push` and the catalog and members through `opentill_sync::push::sync_doc`, over
//! HTTP, counting every byte on the TCP connections (HTTP headers included) with a relay.
//! Baselines in the same run: the raw size of the new journal entries as stored, and a
//! raw SQLite insert of the same rows (fsynced, no verification, no network).
//!
//! ```text
//! cargo run --release -p opentill-bench --bin opentill-bench-sync -- [--sales 20000] [--edits 2500] [--members 2500] [--batch 1000] [--out target/bench/sync.json]
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use opentill_cloud::ledger::{Ledger, StorePath};
use opentill_cloud::sqlite::SqliteLedger;
use opentill_core::tender::{Tender, TenderKind};
use opentill_sync::protocol::{enrol_message, normalize_code};
use opentill_till::{ScanInput, Till};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::params;

const CATALOG: &str = include_str!("../../../fixtures/catalog.csv");

/// Forwards TCP connections to `target`, counting bytes each way.
fn relay(target: std::net::SocketAddr, counted: Arc<AtomicU64>) -> anyhow::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(target) else { continue };
            for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                let counted = counted.clone();
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        counted.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    let _ = to.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    Ok(addr)
}

fn now_ms() -> i64 {
    opentill_cloud::now_ms()
}

fn main() -> anyhow::Result<()> {
    let mut n_sales: usize = 20_000;
    let mut n_edits: usize = 2_500;
    let mut n_members: usize = 2_500;
    let mut batch: u64 = 1000;
    let mut out = PathBuf::from("target/bench/sync.json");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sales" => n_sales = args.next().context("--sales N")?.parse()?,
            "--edits" => n_edits = args.next().context("--edits N")?.parse()?,
            "--members" => n_members = args.next().context("--members N")?.parse()?,
            "--batch" => batch = args.next().context("--batch N")?.parse()?,
            "--out" => out = args.next().context("--out FILE")?.into(),
            other => anyhow::bail!("unknown argument {other}; usage: opentill-bench-sync [--sales N] [--edits N] [--members N] [--batch N] [--out FILE]"),
        }
    }
    let dir = tempfile::tempdir()?;

    let mut till = Till::init(&dir.path().join("till"), "SH001", "till-1")?;
    till.import_products(CATALOG.as_bytes(), false, |_, _| {})?;

    // The cloud, in this process, on loopback, behind a byte-counting relay.
    let mut ledger = SqliteLedger::open(&dir.path().join("cloud.db"))?;
    let code = opentill_cloud::new_code();
    ledger.add_enrol_code(&StorePath { tenant: "acme".into(), brand: "mart".into(), store_id: "SH001".into() }, opentill_cloud::code_hash(&code), now_ms(), now_ms() + 60_000)?;
    let shared: opentill_cloud::http::Shared = Arc::new(Mutex::new(Box::new(ledger)));
    let runtime = tokio::runtime::Runtime::new()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let cloud_addr = listener.local_addr()?;
    runtime.spawn(opentill_cloud::serve(listener, shared.clone(), None, std::future::pending()));
    let counted = Arc::new(AtomicU64::new(0));
    let url = format!("http://{}", relay(cloud_addr, counted.clone())?);

    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(300))).build().into();
    let replica = till.replica_mut();
    let settings = replica.settings().clone();
    let key = replica.public_key().to_bytes();
    let code = normalize_code(&code);
    let signature = replica.sign(&enrol_message(&code, &settings.store_id, &settings.node_id, &key));
    let request = serde_json::json!({"code": code, "store_id": settings.store_id, "node_id": settings.node_id, "public_key": hex(&key), "signature": hex(&signature)});
    let status = agent.post(&format!("{url}/v1/enrol")).header("content-type", "application/json").send(request.to_string().as_bytes())?.status();
    anyhow::ensure!(status == 200, "enrolment failed: {status}");
    replica.record_enrolment(&url, now_ms())?;
    let enrol_bytes = counted.swap(0, Ordering::SeqCst);

    // Before the week: head office publishes the catalog and the store syncs it.
    let products: Vec<_> = replica.categories()?.into_iter().map(|(c, _)| replica.products_in_category(&c, 100_000)).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect();
    opentill_cloud::docs::edit(shared.lock().unwrap().as_mut(), "acme", now_ms(), |doc, clock| doc.put_products(&products, clock, now_ms(), |_| {}))?;
    let docs_url = format!("{url}/v1/docs");
    let post = |target: &str, body: Vec<u8>| -> Result<Vec<u8>, std::io::Error> {
        let mut response = agent.post(target).header("content-type", "application/octet-stream").send(&body[..]).map_err(std::io::Error::other)?;
        if response.status() != 200 {
            return Err(std::io::Error::other(format!("status {}", response.status())));
        }
        response.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(std::io::Error::other)
    };
    opentill_sync::push::sync_doc(replica, opentill_sync::docs::CATALOG, "cloud", now_ms, |body| post(&docs_url, body))?;
    counted.swap(0, Ordering::SeqCst);

    // A week offline: N sales of one to four lines, every seventh followed by a refund.
    eprintln!("ringing up {n_sales} sales ...");
    let codes: Vec<String> = till.replica().barcodes(100)?.into_iter().filter(|(_, u)| *u == opentill_core::catalog::Unit::Each).map(|(c, _)| c).collect();
    let mut rng = StdRng::seed_from_u64(2026);
    let started = Instant::now();
    for i in 0..n_sales {
        let scans: Vec<ScanInput> = (0..rng.gen_range(1..=4)).map(|_| ScanInput { code: codes[rng.gen_range(0..codes.len())].clone(), qty: Some(rng.gen_range(1..=3).to_string()) }).collect();
        let done = till.sell(None, &scans, &[Tender { kind: TenderKind::Cash, amount: 10_000_000, reference: None }], None)?;
        if i % 7 == 6 {
            till.refund(&done.sale.sale_id, &[], None, true)?;
        }
    }
    eprintln!("  {:.1} s", started.elapsed().as_secs_f64());
    // ... and changes prices: this store's own price of a random product, E times.
    eprintln!("making {n_edits} catalog edits ...");
    let skus: Vec<String> = till.replica().categories()?.into_iter().map(|(c, _)| till.replica().products_in_category(&c, 100_000)).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().map(|p| p.sku).collect();
    let started = Instant::now();
    let mut last_price = std::collections::BTreeMap::new();
    for _ in 0..n_edits {
        let sku = &skus[rng.gen_range(0..skus.len())];
        let price = rng.gen_range(100..10_000);
        till.replica_mut().set_catalog_price(sku, Some(price), false, now_ms())?;
        last_price.insert(sku.clone(), price);
    }
    eprintln!("  {:.1} s", started.elapsed().as_secs_f64());
    // ... and registers members: a `member_registered` fact and a profile each.
    eprintln!("registering {n_members} members ...");
    let started = Instant::now();
    let mut member_ids = Vec::with_capacity(n_members);
    for i in 0..n_members {
        member_ids.push(till.register_member(&format!("139{i:08}"), &format!("会员 {i}"), Some("03-08"), None, "c01")?.row.member_id);
    }
    eprintln!("  {:.1} s", started.elapsed().as_secs_f64());
    let head = till.replica().head()?.0;
    let mut entries = Vec::with_capacity(head as usize);
    till.replica().for_each_entry(1, |e| {
        entries.push(e);
        Ok(())
    })?;
    let raw_bytes: u64 = entries.iter().map(|e| (e.node_id.len() + 8 + 8 + e.kind.len() + e.body.len() + 32 + 32 + 64) as u64).sum();

    let replica = till.replica_mut();
    eprintln!("pushing {head} entries ({:.1} MiB raw) in batches of {batch} ...", raw_bytes as f64 / (1 << 20) as f64);
    let sync_url = format!("{url}/v1/sync");
    let started = Instant::now();
    let progress = opentill_sync::push::push(replica, batch, now_ms, |body| post(&sync_url, body), |_| {})?;
    let push_s = started.elapsed().as_secs_f64();
    let journal_bytes = counted.load(Ordering::SeqCst);
    let started = Instant::now();
    let report = opentill_sync::push::sync_doc(replica, opentill_sync::docs::CATALOG, "cloud", now_ms, |body| post(&docs_url, body))?;
    let catalog_s = started.elapsed().as_secs_f64();
    let catalog_bytes = counted.load(Ordering::SeqCst) - journal_bytes;
    let started = Instant::now();
    let members_report = opentill_sync::push::sync_doc(replica, opentill_sync::docs::members::MEMBERS, "cloud", now_ms, |body| post(&docs_url, body))?;
    let members_s = started.elapsed().as_secs_f64();
    let wire_bytes = counted.load(Ordering::SeqCst);
    let members_bytes = wire_bytes - journal_bytes - catalog_bytes;
    let catch_up_s = push_s + catalog_s + members_s;
    // The cloud now holds every member's profile.
    let (_, cloud_members) = opentill_cloud::docs::load_doc::<opentill_sync::docs::members::MembersDoc>(shared.lock().unwrap().as_ref(), "acme")?;
    anyhow::ensure!(member_ids.iter().all(|id| cloud_members.get(id).is_some()), "the cloud lacks some of the store's members");
    // The cloud now holds the store's prices.
    let (_, mut cloud_doc) = opentill_cloud::docs::load(shared.lock().unwrap().as_ref(), "acme")?;
    for (sku, price) in &last_price {
        anyhow::ensure!(cloud_doc.store_price("SH001", sku).and_then(|(p, _)| p) == Some(*price), "the cloud lacks the store's price of {sku}");
    }
    anyhow::ensure!(opentill_sync::docs::SharedDoc::heads(&mut cloud_doc) == report.heads, "the cloud's catalog is not the store's");
    anyhow::ensure!(progress.acked_seq == head, "push stopped at {}", progress.acked_seq);
    let totals = shared.lock().unwrap().totals()?;

    // Baseline: the same rows into a table of the same shape, fsynced, one transaction per
    // batch, nothing verified, no network.
    let conn = rusqlite::Connection::open(dir.path().join("raw.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE journal (node_ref INTEGER NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, body BLOB NOT NULL,
         prev_hash BLOB NOT NULL, hash BLOB NOT NULL, signature BLOB NOT NULL, received_ms INTEGER NOT NULL, PRIMARY KEY (node_ref, seq)) STRICT, WITHOUT ROWID",
    )?;
    let started = Instant::now();
    for chunk in entries.chunks(batch as usize) {
        let tx = conn.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO journal VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
            for e in chunk {
                insert.execute(params![e.seq as i64, e.ts_ms, e.kind, e.body, e.prev_hash.as_slice(), e.hash.as_slice(), e.signature.as_slice(), 0])?;
            }
        }
        tx.commit()?;
    }
    let raw_insert_s = started.elapsed().as_secs_f64();

    // Where the cloud's time goes: verifying batches (pure) and folding totals.
    let key = till.replica().public_key();
    let mut ledger = opentill_sync::protocol::NodeLedger::new("SH001", "till-1", key);
    let batches: Vec<_> = (1..=head).step_by(batch as usize).map(|from| till.replica().seal_batch(from..=(from + batch - 1).min(head))).collect::<Result<_, _>>()?;
    let started = Instant::now();
    for b in &batches {
        let verdict = ledger.check(b);
        anyhow::ensure!(matches!(verdict, opentill_sync::protocol::Verdict::Accept { .. }), "{verdict:?}");
        ledger.apply(&verdict);
    }
    let verify_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (folded, _) = opentill_cloud::ingest::totals_of(&entries);
    let fold_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(folded.sales_minor == totals[0].totals.sales_minor);
    let started = Instant::now();
    let sealed: usize = batches.iter().map(|b| opentill_sync::protocol::Message::Batch(b.clone()).encode().len()).sum();
    let encode_s = started.elapsed().as_secs_f64();
    let _ = sealed;

    let ratio = wire_bytes as f64 / raw_bytes as f64;
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| sales / journal entries / catalog edits / members registered | {n_sales} / {head} / {n_edits} / {n_members} |");
    println!("| raw size of the new entries (baseline) | {raw_bytes} B ({:.2} MiB) |", raw_bytes as f64 / (1 << 20) as f64);
    println!("| **bytes on the wire** (TCP payload both ways, headers included) | {wire_bytes} B ({ratio:.3}× raw) |");
    println!("| raw fsynced insert of the same rows (baseline) | {raw_insert_s:.3} s |");
    println!("| journal push (loopback HTTP, verify + store) | {push_s:.3} s ({:.0} entries/s, {:.2}× the raw insert), {journal_bytes} B |", head as f64 / push_s, push_s / raw_insert_s);
    println!("| catalog sync ({n_edits} edits, {} rounds) | {catalog_s:.3} s, {catalog_bytes} B |", report.rounds);
    println!("| members sync ({n_members} profiles, {} rounds) | {members_s:.3} s, {members_bytes} B |", members_report.rounds);
    println!("| **catch-up time** (journal + catalog + members) | {catch_up_s:.3} s |");
    println!("| batches | {} of ≤ {batch} |", progress.batches);
    println!("| of which: verifying every batch (signatures, hashes, chain), alone | {verify_s:.3} s |");
    println!("| of which: folding totals (parsing every fact), alone | {fold_s:.3} s |");
    println!("| of which: encoding every frame (checksums), alone | {encode_s:.3} s |");
    println!("| cloud totals | {} sales, {} fen, {} refunds, {} fen |", totals[0].totals.n_sales, totals[0].totals.sales_minor, totals[0].totals.n_refunds, totals[0].totals.refunds_minor);
    let goal_time = catch_up_s <= 5.0;
    let goal_bytes = ratio <= 1.5;
    println!("goal ≤ 5 s: {}; goal ≤ 1.5× raw bytes: {}", if goal_time { "met" } else { "NOT met" }, if goal_bytes { "met" } else { "NOT met" });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({
            "sales": n_sales, "edits": n_edits, "members": n_members, "members_s": members_s, "members_bytes": members_bytes, "members_rounds": members_report.rounds, "entries": head, "catalog_s": catalog_s, "catalog_bytes": catalog_bytes, "catalog_rounds": report.rounds, "journal_bytes": journal_bytes, "catch_up_s": catch_up_s, "batch": batch, "raw_bytes": raw_bytes, "wire_bytes": wire_bytes, "wire_ratio": ratio,
            "enrol_bytes": enrol_bytes, "push_s": push_s, "raw_insert_s": raw_insert_s, "batches": progress.batches,
            "verify_s": verify_s, "fold_s": fold_s, "encode_s": encode_s,
        }))?,
    )?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
