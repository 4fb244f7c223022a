//! `opentill-bench-ingest`: the cloud ingesting many tills' journals, into PostgreSQL and
//! into SQLite.
//!
//! Tills (4 by default, two per store) ring up sales (one to four lines, every seventh
//! refunded) until they hold 100,000 journal entries together. Before the clock starts,
//! each till's journal is sealed as `sync push` sends it: a signed hello, then signed
//! batches of 1,000 entries, as encoded frames. Then, for each backend, a fresh cloud
//! (`opentill_cloud::serve` in this process, HTTP on loopback) holds the enrolled nodes,
//! and one client thread per till posts its frames in order, each after the previous
//! ack, all tills at once. The cloud decodes, verifies every signature and hash link,
//! folds the totals and stores each batch in one transaction (`cloud::ingest::handle`).
//! `--servers N` runs N such clouds on one PostgreSQL database (stateless servers; tills
//! are spread over them).
//!
//! Baselines in the same run: the same rows written raw into the same PostgreSQL (binary
//! `COPY` into a plain table of the same columns and primary key, one transaction per
//! batch, one connection per server, nothing verified, no HTTP), and into SQLite (WAL,
//! `synchronous=FULL`, one transaction per batch). PostgreSQL runs with its defaults
//! (`fsync`, `synchronous_commit` on) in a cluster the benchmark starts and stops
//! (`TempCluster`, as the tests do).
//!
//! ```text
//! cargo run --release -p opentill-bench --bin opentill-bench-ingest -- [--entries 100000] [--tills 4] [--batch 1000] [--servers 1] [--out target/bench/ingest.json]
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use opentill_cloud::ingest::totals_of;
use opentill_cloud::ledger::{EnrolOutcome, StorePath, TotalsDelta};
use opentill_cloud::postgres::TempCluster;
use opentill_core::tender::{Tender, TenderKind};
use opentill_sync::journal::Entry;
use opentill_sync::protocol::Message;
use opentill_till::{ScanInput, Till};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::params;

const CATALOG: &str = include_str!("../../../fixtures/test-catalog.csv");

/// One till's journal, as it goes on the wire.
struct Node {
    store_id: String,
    node_id: String,
    public_key: [u8; 32],
    entries: Vec<Entry>,
    /// The hello, then the batches.
    frames: Vec<Vec<u8>>,
    /// The last seq of each batch frame.
    batch_ends: Vec<u64>,
}

/// Rings up sales on a till until its journal holds `n_entries`, then seals it.
fn ring_up(dir: &Path, store_id: &str, node_id: &str, n_entries: u64, batch: u64, seed: u64) -> anyhow::Result<Node> {
    let mut till = Till::init(dir, store_id, node_id)?;
    till.import_products(CATALOG.as_bytes(), false, |_, _| {})?;
    let codes: Vec<String> = till.replica().barcodes(100)?.into_iter().filter(|(_, u)| *u == opentill_core::catalog::Unit::Each).map(|(c, _)| c).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    // One transaction for the whole run: the till's own fsyncs are not what is measured.
    till.replica_mut().begin_batch()?;
    let mut i = 0;
    while till.replica().head()?.0 < n_entries {
        let scans: Vec<ScanInput> = (0..rng.gen_range(1..=4)).map(|_| ScanInput { code: codes[rng.gen_range(0..codes.len())].clone(), qty: Some(rng.gen_range(1..=3).to_string()) }).collect();
        let done = till.sell(None, &scans, &[Tender { kind: TenderKind::Cash, amount: 10_000_000, reference: None }], None)?;
        if i % 7 == 6 && till.replica().head()?.0 < n_entries {
            till.refund(&done.sale.sale_id, &[], None, true)?;
        }
        i += 1;
    }
    till.replica_mut().commit_batch()?;
    let replica = till.replica();
    let head = replica.head()?.0;
    let mut entries = Vec::with_capacity(head as usize);
    replica.for_each_entry(1, |e| {
        entries.push(e);
        Ok(())
    })?;
    let mut frames = vec![Message::Hello(replica.sync_hello(opentill_cloud::now_ms())?).encode()];
    let mut batch_ends = Vec::new();
    let mut from = 1;
    while from <= head {
        let to = (from + batch - 1).min(head);
        frames.push(Message::Batch(replica.seal_batch(from..=to)?).encode());
        batch_ends.push(to);
        from = to + 1;
    }
    Ok(Node { store_id: store_id.into(), node_id: node_id.into(), public_key: replica.public_key().to_bytes(), entries, frames, batch_ends })
}

/// Enrols every node in the database `db` names.
fn enrol(db: &str, nodes: &[Node]) -> anyhow::Result<()> {
    let mut ledger = opentill_cloud::open_ledger(db)?;
    for (i, node) in nodes.iter().enumerate() {
        let code = opentill_cloud::code_hash(&format!("code-{i}"));
        let now = opentill_cloud::now_ms();
        ledger.add_enrol_code(&StorePath { tenant: "acme".into(), brand: "mart".into(), store_id: node.store_id.clone() }, code, now, now + 60_000)?;
        let outcome = ledger.enrol(code, &node.store_id, &node.node_id, node.public_key, now)?;
        ensure!(matches!(outcome, EnrolOutcome::Enrolled(_)), "{outcome:?}");
    }
    Ok(())
}

/// Posts every node's frames to `servers` clouds serving `db` (node i to cloud i mod n),
/// all nodes at once; the seconds from the first post to the last ack.
fn ingest(db: &str, n_servers: usize, nodes: &Arc<Vec<Node>>) -> anyhow::Result<f64> {
    let runtime = tokio::runtime::Runtime::new()?;
    let mut urls = Vec::new();
    for _ in 0..n_servers {
        let shared: opentill_cloud::http::Shared = Arc::new(Mutex::new(opentill_cloud::open_ledger(db)?));
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        urls.push(format!("http://{}/v1/sync", listener.local_addr()?));
        runtime.spawn(opentill_cloud::serve(listener, shared, None, std::future::pending()));
    }
    let started = Instant::now();
    let threads: Vec<_> = (0..nodes.len())
        .map(|i| {
            let (nodes, url) = (nodes.clone(), urls[i % n_servers].clone());
            std::thread::spawn(move || -> anyhow::Result<()> {
                let node = &nodes[i];
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(300))).build().into();
                for (k, frame) in node.frames.iter().enumerate() {
                    let mut response = agent.post(&url).header("content-type", "application/octet-stream").send(&frame[..])?;
                    let body = response.body_mut().with_config().limit(1 << 20).read_to_vec()?;
                    ensure!(response.status() == 200, "{}/{}: status {}: {}", node.store_id, node.node_id, response.status(), String::from_utf8_lossy(&body));
                    let Message::Ack(ack) = Message::decode(&body)? else { bail!("not an ack") };
                    let expected = if k == 0 { 0 } else { node.batch_ends[k - 1] };
                    ensure!(ack.acked_seq == expected, "{}/{}: acked {} after frame {k}, expected {expected}", node.store_id, node.node_id, ack.acked_seq);
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| anyhow::anyhow!("a pushing thread panicked"))??;
    }
    let seconds = started.elapsed().as_secs_f64();
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(seconds)
}

/// Checks the cloud holds every entry once and totals each store to the fen.
fn check_cloud(db: &str, nodes: &[Node]) -> anyhow::Result<()> {
    let ledger = opentill_cloud::open_ledger(db)?;
    let held = ledger.nodes()?;
    for node in nodes {
        let row = held.iter().find(|n| n.store_id == node.store_id && n.node_id == node.node_id).context("node missing")?;
        let last = node.entries.last().context("empty journal")?;
        ensure!(row.acked_seq == last.seq && row.n_entries == last.seq && row.head_hash == last.hash, "{}/{} not fully held", node.store_id, node.node_id);
    }
    for store in ledger.totals()? {
        let mut expected = TotalsDelta::default();
        for node in nodes.iter().filter(|n| n.store_id == store.path.store_id) {
            let (t, unreadable) = totals_of(&node.entries);
            ensure!(unreadable.is_empty());
            expected = TotalsDelta { n_entries: expected.n_entries + t.n_entries, n_sales: expected.n_sales + t.n_sales, sales_minor: expected.sales_minor + t.sales_minor, n_refunds: expected.n_refunds + t.n_refunds, refunds_minor: expected.refunds_minor + t.refunds_minor };
        }
        ensure!(store.totals == expected, "store {} totals {:?}, journals say {:?}", store.path.store_id, store.totals, expected);
    }
    Ok(())
}

/// Where the cloud's time goes, each part measured alone and one batch at a time: decoding
/// and verifying every frame, folding the totals, and storing (`Ledger::append` into a
/// fresh database `db`, tills taking turns batch by batch).
fn parts(db: &str, nodes: &[Node]) -> anyhow::Result<(f64, f64, f64)> {
    enrol(db, nodes)?;
    let mut ledger = opentill_cloud::open_ledger(db)?;
    let records: Vec<_> = nodes.iter().map(|n| ledger.node(&n.store_id, &n.node_id)).collect::<Result<Option<Vec<_>>, _>>()?.context("enrolled")?;
    let started = Instant::now();
    let mut accepted: Vec<Vec<_>> = Vec::new();
    for (node, record) in nodes.iter().zip(&records) {
        let mut held = record.ledger.clone();
        let mut mine = Vec::new();
        for frame in &node.frames[1..] {
            let Message::Batch(batch) = Message::decode(frame)? else { bail!("not a batch") };
            let verdict = held.check(&batch);
            let opentill_sync::protocol::Verdict::Accept { skip, head } = verdict else { bail!("{verdict:?}") };
            held.apply(&verdict);
            mine.push((batch.entries()[skip..].to_vec(), head));
        }
        accepted.push(mine);
    }
    let verify_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let folded: Vec<Vec<TotalsDelta>> = accepted.iter().map(|mine| mine.iter().map(|(entries, _)| totals_of(entries).0).collect()).collect();
    let fold_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut records = records;
    for b in 0..accepted.iter().map(Vec::len).max().unwrap_or(0) {
        for (i, record) in records.iter_mut().enumerate() {
            let (Some((entries, head)), Some(totals)) = (accepted[i].get(b), folded[i].get(b)) else { continue };
            ensure!(ledger.append(record, entries, *head, *totals, &opentill_cloud::ingest::folds_of(entries), 0)?, "append refused");
            record.ledger.acked_seq = head.0;
            record.ledger.head_hash = head.1;
        }
    }
    let append_s = started.elapsed().as_secs_f64();
    check_cloud(db, nodes)?;
    Ok((verify_s, fold_s, append_s))
}

const RAW_COLUMNS: &str = "node_ref BIGINT NOT NULL, seq BIGINT NOT NULL, ts_ms BIGINT NOT NULL, kind TEXT NOT NULL, body BYTEA NOT NULL, prev_hash BYTEA NOT NULL, hash BYTEA NOT NULL, signature BYTEA NOT NULL, received_ms BIGINT NOT NULL, PRIMARY KEY (node_ref, seq)";

/// The baseline: every node's rows COPY'd into a plain table, a transaction per batch,
/// `n_conns` connections at once (node i on connection i mod n).
fn raw_postgres(url: &str, n_conns: usize, batch: usize, nodes: &Arc<Vec<Node>>) -> anyhow::Result<f64> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    client.batch_execute(&format!("CREATE TABLE raw_journal ({RAW_COLUMNS})"))?;
    let started = Instant::now();
    let threads: Vec<_> = (0..n_conns)
        .map(|c| {
            let (nodes, url) = (nodes.clone(), url.to_string());
            std::thread::spawn(move || -> anyhow::Result<()> {
                let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
                let types = [Type::INT8, Type::INT8, Type::INT8, Type::TEXT, Type::BYTEA, Type::BYTEA, Type::BYTEA, Type::BYTEA, Type::INT8];
                let mine: Vec<(i64, &Node)> = nodes.iter().enumerate().filter(|(i, _)| i % n_conns == c).map(|(i, n)| (i as i64 + 1, n)).collect();
                let n_batches = mine.iter().map(|(_, n)| n.entries.len().div_ceil(batch)).max().unwrap_or(0);
                // Round robin over this connection's nodes, as their pushes interleave.
                for b in 0..n_batches {
                    for (node_ref, node) in &mine {
                        let Some(chunk) = node.entries.chunks(batch).nth(b) else { continue };
                        let mut tx = client.transaction()?;
                        let mut writer = BinaryCopyInWriter::new(tx.copy_in("COPY raw_journal FROM STDIN (FORMAT binary)")?, &types);
                        for e in chunk {
                            writer.write(&[node_ref, &(e.seq as i64), &e.ts_ms, &e.kind, &e.body, &e.prev_hash.as_slice(), &e.hash.as_slice(), &e.signature.as_slice(), &0i64])?;
                        }
                        writer.finish()?;
                        tx.commit()?;
                    }
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| anyhow::anyhow!("a baseline thread panicked"))??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let n: i64 = client.query_one("SELECT count(*) FROM raw_journal", &[])?.get(0);
    ensure!(n as usize == nodes.iter().map(|n| n.entries.len()).sum::<usize>());
    Ok(seconds)
}

/// The SQLite baseline: the same rows into a table of the same shape, WAL, fsynced, a
/// transaction per batch.
fn raw_sqlite(path: &Path, batch: usize, nodes: &[Node]) -> anyhow::Result<f64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE journal (node_ref INTEGER NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, body BLOB NOT NULL,
         prev_hash BLOB NOT NULL, hash BLOB NOT NULL, signature BLOB NOT NULL, received_ms INTEGER NOT NULL, PRIMARY KEY (node_ref, seq)) STRICT, WITHOUT ROWID",
    )?;
    let started = Instant::now();
    let n_batches = nodes.iter().map(|n| n.entries.len().div_ceil(batch)).max().unwrap_or(0);
    for b in 0..n_batches {
        for (i, node) in nodes.iter().enumerate() {
            let Some(chunk) = node.entries.chunks(batch).nth(b) else { continue };
            let tx = conn.unchecked_transaction()?;
            {
                let mut insert = tx.prepare_cached("INSERT INTO journal VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?;
                for e in chunk {
                    insert.execute(params![i as i64 + 1, e.seq as i64, e.ts_ms, e.kind, e.body, e.prev_hash.as_slice(), e.hash.as_slice(), e.signature.as_slice(), 0])?;
                }
            }
            tx.commit()?;
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

fn main() -> anyhow::Result<()> {
    let mut n_entries: u64 = 100_000;
    let mut n_tills: usize = 4;
    let mut batch: u64 = 1000;
    let mut n_servers: usize = 1;
    let mut out = PathBuf::from("target/bench/ingest.json");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--entries" => n_entries = args.next().context("--entries N")?.parse()?,
            "--tills" => n_tills = args.next().context("--tills N")?.parse()?,
            "--batch" => batch = args.next().context("--batch N")?.parse()?,
            "--servers" => n_servers = args.next().context("--servers N")?.parse()?,
            "--out" => out = args.next().context("--out FILE")?.into(),
            other => bail!("unknown argument {other}; usage: opentill-bench-ingest [--entries N] [--tills N] [--batch N] [--servers N] [--out FILE]"),
        }
    }
    ensure!(n_tills > 0 && n_servers > 0 && batch > 0, "--tills, --servers and --batch must be at least 1");
    let dir = tempfile::tempdir()?;

    eprintln!("{n_tills} tills ring up sales until they hold {n_entries} journal entries together ...");
    let started = Instant::now();
    let per_till = n_entries.div_ceil(n_tills as u64);
    // The tills ring up in parallel, as many at once as there are cores.
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut nodes = Vec::new();
    for group in (0..n_tills).collect::<Vec<_>>().chunks(cores) {
        let threads: Vec<_> = group
            .iter()
            .map(|&i| {
                let dir = dir.path().join(format!("till-{i}"));
                std::thread::spawn(move || ring_up(&dir, &format!("SH{:03}", i / 2 + 1), &format!("till-{}", i % 2 + 1), per_till, batch, 2026 + i as u64))
            })
            .collect();
        for thread in threads {
            nodes.push(thread.join().map_err(|_| anyhow::anyhow!("a till panicked"))??);
        }
    }
    let nodes = Arc::new(nodes);
    let total: usize = nodes.iter().map(|n| n.entries.len()).sum();
    let n_sales: usize = nodes.iter().map(|n| n.entries.iter().filter(|e| e.kind == "sale").count()).sum();
    let frame_bytes: usize = nodes.iter().flat_map(|n| n.frames.iter()).map(Vec::len).sum();
    eprintln!("  {total} entries ({n_sales} sales), {:.1} MiB of frames, in {:.1} s", frame_bytes as f64 / (1 << 20) as f64, started.elapsed().as_secs_f64());

    eprintln!("starting a PostgreSQL cluster (fsync on) ...");
    let cluster = TempCluster::start(true)?;
    let pg_url = cluster.create_database("cloud")?;
    enrol(&pg_url, &nodes)?;
    eprintln!("ingesting into PostgreSQL through {n_servers} cloud server(s) ...");
    let pg_s = ingest(&pg_url, n_servers, &nodes)?;
    check_cloud(&pg_url, &nodes)?;
    let raw_url = cluster.create_database("raw")?;
    eprintln!("baseline: raw COPY into PostgreSQL ...");
    let raw_pg_s = raw_postgres(&raw_url, n_servers, batch as usize, &nodes)?;
    eprintln!("the same work in parts, one batch at a time ...");
    let (verify_s, fold_s, pg_append_s) = parts(&cluster.create_database("parts")?, &nodes)?;

    let sqlite_db = format!("sqlite:{}", dir.path().join("cloud.db").display());
    enrol(&sqlite_db, &nodes)?;
    eprintln!("ingesting into SQLite through one cloud server ...");
    let sqlite_s = ingest(&sqlite_db, 1, &nodes)?;
    check_cloud(&sqlite_db, &nodes)?;
    eprintln!("baseline: raw insert into SQLite ...");
    let raw_sqlite_s = raw_sqlite(&dir.path().join("raw.db"), batch as usize, &nodes)?;
    let (_, _, sqlite_append_s) = parts(&format!("sqlite:{}", dir.path().join("parts.db").display()), &nodes)?;
    drop(cluster);

    let rate = |s: f64| total as f64 / s;
    println!("{total} journal entries ({n_sales} sales, the rest refunds) from {n_tills} tills in {} stores, batches of ≤ {batch}, {:.1} MiB of frames", n_tills.div_ceil(2), frame_bytes as f64 / (1 << 20) as f64);
    println!();
    println!("| ingest | seconds | entries/s | × the raw insert's time |");
    println!("|---|---:|---:|---:|");
    println!("| raw COPY into PostgreSQL, {n_servers} connection(s) (baseline) | {raw_pg_s:.2} | {:.0} | 1.00 |", rate(raw_pg_s));
    println!("| **cloud ingest into PostgreSQL**, {n_servers} server(s) | {pg_s:.2} | **{:.0}** | {:.2} |", rate(pg_s), pg_s / raw_pg_s);
    println!("| raw insert into SQLite (baseline) | {raw_sqlite_s:.2} | {:.0} | 1.00 |", rate(raw_sqlite_s));
    println!("| **cloud ingest into SQLite** | {sqlite_s:.2} | **{:.0}** | {:.2} |", rate(sqlite_s), sqlite_s / raw_sqlite_s);
    println!("| of which, alone: decoding and verifying every batch (signatures, hashes, chain) | {verify_s:.2} | {:.0} | |", rate(verify_s));
    println!("| of which, alone: folding the totals (parsing every fact) | {fold_s:.2} | {:.0} | |", rate(fold_s));
    println!("| of which, alone: `PostgresLedger::append` of every batch, one at a time | {pg_append_s:.2} | {:.0} | {:.2} |", rate(pg_append_s), pg_append_s / raw_pg_s);
    println!("| of which, alone: `SqliteLedger::append` of every batch, one at a time | {sqlite_append_s:.2} | {:.0} | {:.2} |", rate(sqlite_append_s), sqlite_append_s / raw_sqlite_s);
    println!();
    println!("goal ≥ 10,000 entries/s into PostgreSQL: {}", if rate(pg_s) >= 10_000.0 { "met" } else { "NOT met" });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({
            "entries": total, "sales": n_sales, "tills": n_tills, "batch": batch, "servers": n_servers, "frame_bytes": frame_bytes,
            "postgres_s": pg_s, "postgres_per_s": rate(pg_s), "raw_postgres_s": raw_pg_s, "raw_postgres_per_s": rate(raw_pg_s),
            "sqlite_s": sqlite_s, "sqlite_per_s": rate(sqlite_s), "raw_sqlite_s": raw_sqlite_s, "raw_sqlite_per_s": rate(raw_sqlite_s),
            "verify_s": verify_s, "fold_s": fold_s, "postgres_append_s": pg_append_s, "sqlite_append_s": sqlite_append_s,
        }))?,
    )?;
    Ok(())
}
