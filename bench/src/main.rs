//! `opentill-bench`: the foundation's performance targets, each measured against a raw
//! SQLite baseline doing the bare equivalent in the same run.
//!
//! ```text
//! cargo run --release -p opentill-bench -- [--products 100000] [--out target/bench/foundation.json]
//! ```
//! Prints a table and writes JSON.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use opentill_core::basket::Basket;
use opentill_core::tender::{Tender, TenderKind};
use opentill_till::Till;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::params;

const BRANDS: &[(&str, &str)] = &[
    ("可口可乐", "Coca-Cola"), ("百事", "Pepsi"), ("康师傅", "Master Kong"), ("统一", "Uni-President"), ("伊利", "Yili"),
    ("蒙牛", "Mengniu"), ("农夫山泉", "Nongfu Spring"), ("旺旺", "Want Want"), ("乐事", "Lay's"), ("德芙", "Dove"),
    ("青岛", "Tsingtao"), ("光明", "Bright"), ("海天", "Haitian"), ("金龙鱼", "Arawana"), ("三只松鼠", "Three Squirrels"),
    ("良品铺子", "Bestore"), ("娃哈哈", "Wahaha"), ("元气森林", "Genki Forest"), ("奥利奥", "Oreo"), ("雀巢", "Nestle"),
];
const ITEMS: &[(&str, &str)] = &[
    ("纯牛奶", "Pure Milk"), ("酸奶", "Yogurt"), ("红烧牛肉面", "Braised Beef Noodles"), ("矿泉水", "Mineral Water"), ("薯片", "Potato Chips"),
    ("巧克力", "Chocolate"), ("啤酒", "Beer"), ("酱油", "Soy Sauce"), ("食用油", "Cooking Oil"), ("坚果", "Mixed Nuts"),
    ("饼干", "Biscuits"), ("绿茶", "Green Tea"), ("气泡水", "Sparkling Water"), ("咖啡", "Coffee"), ("果汁", "Juice"),
    ("面包", "Bread"), ("雪饼", "Rice Crackers"), ("火腿肠", "Ham Sausage"), ("方便粥", "Instant Porridge"), ("牙膏", "Toothpaste"),
];
const FLAVOURS: &[(&str, &str)] = &[
    ("原味", "Original"), ("草莓味", "Strawberry"), ("香辣", "Spicy"), ("黄瓜味", "Cucumber"), ("无糖", "Sugar Free"),
    ("低脂", "Low Fat"), ("经典", "Classic"), ("番茄味", "Tomato"), ("抹茶", "Matcha"), ("芒果味", "Mango"),
];

fn ean13(n: u64) -> String {
    let body = format!("69{:010}", n);
    let sum: u32 = body.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

struct Row {
    sku: String,
    code: String,
    name: String,
    name_zh: String,
    price: i64,
}

fn catalog(n: usize) -> Vec<Row> {
    let mut rng = StdRng::seed_from_u64(7);
    (0..n)
        .map(|i| {
            let (bz, be) = BRANDS[i % BRANDS.len()];
            let (iz, ie) = ITEMS[(i / BRANDS.len()) % ITEMS.len()];
            let (fz, fe) = FLAVOURS[(i / (BRANDS.len() * ITEMS.len())) % FLAVOURS.len()];
            let size = 50 + (i / (BRANDS.len() * ITEMS.len() * FLAVOURS.len())) * 5;
            Row { sku: format!("SKU-{i:06}"), code: ean13(i as u64), name: format!("{be} {fe} {ie} {size}g"), name_zh: format!("{bz}{fz}{iz} {size}g"), price: rng.gen_range(50..30_000) }
        })
        .collect()
}

/// The bare equivalent of a product lookup: one indexed SELECT of the same fields.
fn raw_product(raw: &rusqlite::Connection, code: &str) -> anyhow::Result<(String, String, String, String, String, i64, i64)> {
    Ok(raw.prepare_cached("SELECT sku, name, name_zh, category, unit, price, tax FROM products WHERE code = ?1")?.query_row([code], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
    })?)
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx]
}

fn time_each(n: usize, mut op: impl FnMut(usize) -> anyhow::Result<()>) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        op(i)?;
        out.push(start.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}

struct Stat {
    name: &'static str,
    p50: f64,
    p99: f64,
    mean: f64,
}

fn stat(name: &'static str, mut samples: Vec<f64>) -> Stat {
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    Stat { name, p50: percentile(&mut samples, 0.5), p99: percentile(&mut samples, 0.99), mean }
}

fn main() -> anyhow::Result<()> {
    let mut n_products = 100_000usize;
    let mut out = PathBuf::from("target/bench/foundation.json");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--products" => n_products = args.next().context("--products N")?.parse()?,
            "--out" => out = args.next().context("--out FILE")?.into(),
            other => anyhow::bail!("unknown argument {other}; usage: opentill-bench [--products N] [--out FILE]"),
        }
    }
    let dir = tempfile::tempdir()?;
    let rows = catalog(n_products);
    let mut csv = String::from("sku,barcode,name,name_zh,price,category,unit,tax_rate\n");
    for r in &rows {
        csv.push_str(&format!("{},{},{},{},{}.{:02},grocery,each,13\n", r.sku, r.code, r.name, r.name_zh, r.price / 100, r.price % 100));
    }

    eprintln!("importing {n_products} products ...");
    let mut till = Till::init(&dir.path().join("store"), "BENCH", "till-1")?;
    let start = Instant::now();
    till.import_products(csv.as_bytes(), false, |done, total| {
        if done % 20_000 == 0 || done == total {
            eprintln!("  {done}/{total}");
        }
    })?;
    let import_s = start.elapsed().as_secs_f64();

    // The raw baseline: the same rows in a plain indexed table, same pragmas.
    let raw = rusqlite::Connection::open(dir.path().join("raw.db"))?;
    raw.pragma_update(None, "journal_mode", "WAL")?;
    raw.pragma_update(None, "synchronous", "FULL")?;
    // The same cache and mmap settings the replica uses, so the comparison is of the work done.
    raw.pragma_update(None, "cache_size", -65_536)?;
    raw.pragma_update(None, "mmap_size", 268_435_456)?;
    raw.execute_batch("CREATE TABLE products (code TEXT PRIMARY KEY, sku TEXT, name TEXT, name_zh TEXT, category TEXT, unit TEXT, price INTEGER, tax INTEGER); CREATE TABLE journal (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);")?;
    {
        let tx = raw.unchecked_transaction()?;
        let mut stmt = tx.prepare("INSERT INTO products VALUES (?1, ?2, ?3, ?4, 'grocery', 'each', ?5, 1300)")?;
        for r in &rows {
            stmt.execute(params![r.code, r.sku, r.name, r.name_zh, r.price])?;
        }
        drop(stmt);
        tx.commit()?;
    }

    let mut rng = StdRng::seed_from_u64(42);
    let n_scans = 20_000;
    let picks: Vec<usize> = (0..n_scans).map(|_| rng.gen_range(0..rows.len())).collect();
    let (currency, tax_mode) = (till.replica().settings().currency, till.replica().settings().tax_mode);

    // Warm both caches the same way.
    for &i in picks.iter().take(2000) {
        till.lookup(&rows[i].code)?;
        raw_product(&raw, &rows[i].code)?;
    }
    let raw_lookup = stat("raw indexed lookup", time_each(n_scans, |k| {
        std::hint::black_box(raw_product(&raw, &rows[picks[k]].code)?);
        Ok(())
    })?);
    let scan = stat("scan -> priced basket line", time_each(n_scans, |k| {
        let product = till.lookup(&rows[picks[k]].code)?;
        let mut basket = Basket::new(currency, tax_mode);
        basket.add(&product, 1)?;
        std::hint::black_box(basket.totals().total);
        Ok(())
    })?);

    // Durable commits: a three-line cash sale against the raw insert of the same bytes.
    let n_commits = 1000;
    // The basket is rung up before the clock starts: this is the commit, from "paid" to
    // "durable on disk" (settle, sign, append with projections, fsync).
    let baskets: Vec<Basket> = (0..n_commits)
        .map(|k| {
            let mut basket = Basket::new(currency, tax_mode);
            for j in 0..3 {
                basket.add(&till.lookup(&rows[picks[k * 3 + j]].code)?, 1)?;
            }
            Ok(basket)
        })
        .collect::<anyhow::Result<_>>()?;
    let cash = [Tender { kind: TenderKind::Cash, amount: 1_000_000, reference: None }];
    // Interleaved, one of ours then one raw insert of the same bytes, so both see the same
    // disk conditions; fsync latency on a shared machine drifts over seconds.
    let mut ours = Vec::with_capacity(n_commits);
    let mut sale_bodies: Vec<Vec<u8>> = Vec::with_capacity(n_commits);
    let mut theirs = Vec::with_capacity(n_commits);
    for basket in &baskets {
        let start = Instant::now();
        let done = till.checkout(basket, None, &cash, None)?;
        ours.push(start.elapsed().as_secs_f64() * 1e3);
        let bytes = serde_json::to_vec(&opentill_core::journal::Fact::Sale(done.sale))?;
        sale_bodies.push(bytes.clone());
        let start = Instant::now();
        raw.execute("INSERT INTO journal (body) VALUES (?1)", [&bytes])?;
        theirs.push(start.elapsed().as_secs_f64() * 1e3);
    }
    // A raw transaction doing what the replica's append does, minus the crypto: one
    // journal row, one sales-index row, a stock row per line, the drawer row. It shows
    // how much of the commit is the projections' extra pages rather than OpenTill's code.
    raw.execute_batch("CREATE TABLE sales (sale_id TEXT PRIMARY KEY, seq INTEGER, ts INTEGER, total INTEGER) WITHOUT ROWID; CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER) WITHOUT ROWID; CREATE TABLE drawer (id INTEGER PRIMARY KEY, expected INTEGER); INSERT INTO drawer VALUES (1, 0);")?;
    {
        let tx = raw.unchecked_transaction()?;
        for r in &rows { tx.execute("INSERT INTO stock VALUES (?1, 0)", [&r.sku])?; }
        tx.commit()?;
    }
    let mut emulated = Vec::with_capacity(n_commits);
    for (k, bytes) in sale_bodies.iter().enumerate() {
        let start = Instant::now();
        let tx = raw.unchecked_transaction()?;
        tx.prepare_cached("INSERT INTO journal (body) VALUES (?1)")?.execute([bytes])?;
        tx.prepare_cached("INSERT INTO sales VALUES (?1, ?2, 0, 0)")?.execute(params![format!("{k:032x}"), k as i64])?;
        for j in 0..3 {
            tx.prepare_cached("UPDATE stock SET qty = qty - 1 WHERE sku = ?1")?.execute([&rows[picks[k * 3 + j]].sku])?;
        }
        tx.prepare_cached("UPDATE drawer SET expected = expected + 1 WHERE id = 1")?.execute([])?;
        tx.commit()?;
        emulated.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let emulated = stat("raw txn, same rows as the replica", emulated);
    let commit = stat("durable sale commit", ours);
    let raw_commit = stat("raw fsync'd insert, same bytes", theirs);

    let queries = ["kkkl", "可乐", "niunai", "cola", "ksf", "牛肉面", "yogurt 100", "qd", "巧克力", "sanzhi", "lsh", "mango", "wtt", "原味", "jinlongyu"];
    let n_search = 3000;
    let mut hits = 0usize;
    let search = stat("name / pinyin search (20 results)", time_each(n_search, |k| {
        hits += till.search(queries[k % queries.len()], 20)?.len();
        Ok(())
    })?);
    let raw_like = stat("raw LIKE '%q%' scan (20 results)", time_each(300, |k| {
        let q = format!("%{}%", queries[k % queries.len()]);
        let n = raw.prepare_cached("SELECT sku FROM products WHERE name_zh LIKE ?1 OR name LIKE ?1 LIMIT 20")?.query_map([q], |r| r.get::<_, String>(0))?.count();
        std::hint::black_box(n);
        Ok(())
    })?);

    println!("OpenTill foundation benchmark: {n_products} products, import {import_s:.1} s ({:.0} products/s)", n_products as f64 / import_s);
    println!("{:<36} {:>10} {:>10} {:>10}", "operation", "p50 ms", "p99 ms", "mean ms");
    for s in [&raw_lookup, &scan, &raw_commit, &emulated, &commit, &raw_like, &search] {
        println!("{:<36} {:>10.4} {:>10.4} {:>10.4}", s.name, s.p50, s.p99, s.mean);
    }
    let scan_ratio = scan.p99 / raw_lookup.p99;
    let commit_ratio = commit.mean / raw_commit.mean;
    println!();
    println!("scan p99 {:.4} ms (target <= 1 ms), {:.2}x raw lookup p99 (target <= 2x)", scan.p99, scan_ratio);
    println!("sale commit mean {:.3} ms, {:.2}x raw fsync'd insert (target <= 1.5x); p50 {:.2}x, p99 {:.2}x", commit.mean, commit_ratio, commit.p50 / raw_commit.p50, commit.p99 / raw_commit.p99);
    println!("  (a raw transaction writing the same rows as the replica, without signing: {:.2}x mean, {:.2}x p50)", emulated.mean / raw_commit.mean, emulated.p50 / raw_commit.p50);
    println!("search p99 {:.3} ms (target <= 5 ms), {:.3}x raw LIKE scan p99; {} hits", search.p99, search.p99 / raw_like.p99, hits);

    let results: Vec<serde_json::Value> = [&raw_lookup, &scan, &raw_commit, &emulated, &commit, &raw_like, &search].iter().map(|s| serde_json::json!({"name": s.name, "p50_ms": s.p50, "p99_ms": s.p99, "mean_ms": s.mean})).collect();
    let json = serde_json::json!({
        "products": n_products,
        "import_seconds": import_s,
        "results": results,
        "ratios": {"scan_p99_vs_raw_lookup_p99": scan_ratio, "commit_mean_vs_raw_insert_mean": commit_ratio, "commit_p50_vs_raw_insert_p50": commit.p50 / raw_commit.p50, "commit_p99_vs_raw_insert_p99": commit.p99 / raw_commit.p99, "raw_same_rows_txn_mean_vs_raw_insert_mean": emulated.mean / raw_commit.mean, "search_p99_vs_raw_like_p99": search.p99 / raw_like.p99},
        "targets_met": {"scan_p99_le_1ms": scan.p99 <= 1.0, "scan_le_2x_raw": scan_ratio <= 2.0, "commit_le_1_5x_raw": commit_ratio <= 1.5, "search_p99_le_5ms": search.p99 <= 5.0},
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json)?)?;
    println!("\nwrote {}", out.display());
    Ok(())
}
