//! `opentill-bench-reports`: the standard analytics reports over a year of one store's
//! sales. Builds a replica holding 250,000 sales of 1 to 8 lines (about 1.1 million sold
//! lines) over 365 days, at a store's hours with lunch and evening peaks, paid by phone,
//! cash or card, with about 2 % of them partly refunded, 45 % of them made for one of
//! 20,000 members (a few regulars, a long tail), and one or two gate entries before each
//! sale (about 400,000 `GatePassed` facts); the sales are built by the core
//! (`Basket`, `complete_sale`, `plan_refund`) and written through the replica's batch API
//! (`begin_batch`/`commit_batch`, thousands of appends per commit), so every projection,
//! the analytics one included, is maintained as in a till. Then times each standard
//! report (`Till::analytics` over the whole year, and over one month) several times,
//! members (RFM) and conversion included.
//! Baseline in the same run: the same GROUP BY queries on a plain SQLite table holding the
//! same rows, without indexes and without OpenTill (raw rusqlite); for members, a plain
//! table of one row per sale and refund with its member, for conversion one of passages.
//!
//! ```text
//! cargo build --release -p opentill-bench --bin opentill-bench-reports
//! $CARGO_TARGET_DIR/release/opentill-bench-reports [--sales 250000] [--runs 7] [--seed 2026] [--data DIR] [--json target/bench/reports.json]
//! ```
//!
//! `--data DIR` keeps the replica in DIR (it must not exist yet) instead of a temporary
//! directory, so `opentill-edge report analytics --data DIR` can be tried on it.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use opentill_core::analytics::{By, LineRow, TenderRow, TicketRow, local_day_hour, refunded_lines, sold_lines, tender_rows, ticket_row};
use opentill_core::basket::{Basket, Discount};
use opentill_core::catalog::{Product, Unit};
use opentill_core::journal::Fact;
use opentill_core::money::Currency;
use opentill_core::refund::{RefundContext, plan_refund};
use opentill_core::role::{Actor, Role};
use opentill_core::rounding::CashRounding;
use opentill_core::sale::{SaleContext, SaleRecord, complete_sale};
use opentill_core::tax::{TaxMode, TaxRate};
use opentill_core::tender::{Tender, TenderKind};
use opentill_core::time::parse_date_ms;
use opentill_sync::{Replica, StoreSettings};
use opentill_till::Till;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::params;

const OFFSET_MIN: i32 = 480;
const FIRST_DAY: &str = "2025-11-23";
const LAST_DAY: &str = "2026-11-22";
const MONTH: (&str, &str) = ("2026-06-01", "2026-06-30");
const N_SKUS: usize = 2_000;
const N_CATEGORIES: usize = 40;
const N_MEMBERS: usize = 20_000;
const CASHIERS: [&str; 6] = ["c01", "c02", "c03", "c04", "c05", "s01"];
/// Relative number of sales in each local hour, 7:00 to 22:00; peaks at lunch and after work.
const HOUR_WEIGHTS: [(u32, u32); 15] = [(7, 3), (8, 6), (9, 5), (10, 5), (11, 8), (12, 10), (13, 7), (14, 4), (15, 4), (16, 5), (17, 9), (18, 11), (19, 9), (20, 6), (21, 3)];

fn catalog() -> Vec<Product> {
    (0..N_SKUS)
        .map(|i| {
            let category = i % N_CATEGORIES;
            // Categories 0 and 1 (fruit, vegetables) are sold by weight.
            let unit = if category < 2 { Unit::Kg } else { Unit::Each };
            Product {
                sku: format!("SKU-{i:05}"),
                barcodes: vec![],
                name: format!("Product {i}"),
                name_zh: format!("商品{i}"),
                category: format!("cat-{category:02}"),
                tags: vec![],
                unit,
                price_minor: 150 + (i as i64 * 7919) % 4_850,
                tax_rate: TaxRate(if category < 10 { 900 } else { 1300 }),
                parent_sku: None,
                specs: vec![],
            }
        })
        .collect()
}

fn median_max(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[samples.len() - 1])
}

/// The raw baseline: one plain table of line rows, one of tender rows, no indexes.
fn baseline_db(path: &std::path::Path) -> anyhow::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "mmap_size", 268_435_456)?;
    conn.execute_batch(
        "CREATE TABLE lines (ts_ms INTEGER, day INTEGER, hour INTEGER, sale_id TEXT, sku TEXT, category TEXT, cashier TEXT,
           qty INTEGER, items INTEGER, tickets INTEGER, gross INTEGER, discount INTEGER, amount INTEGER);
         CREATE TABLE tenders (day INTEGER, hour INTEGER, kind TEXT, amount INTEGER);
         CREATE TABLE tickets (day INTEGER, member TEXT, tickets INTEGER, amount INTEGER);
         CREATE TABLE passages (day INTEGER, hour INTEGER, direction TEXT, opened INTEGER);
         CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT, name_zh TEXT);",
    )?;
    Ok(conn)
}

/// The baseline's queries, one per report: plain GROUP BYs over the period.
fn baseline_sql(by: By) -> &'static str {
    match by {
        By::Hour => "SELECT hour, sum(max(tickets, 0)), sum(max(-tickets, 0)), sum(items), sum(max(amount, 0)), sum(max(-amount, 0)) FROM lines WHERE day BETWEEN ?1 AND ?2 GROUP BY hour",
        By::Day => "SELECT day, sum(max(tickets, 0)), sum(max(-tickets, 0)), sum(items), sum(max(amount, 0)), sum(max(-amount, 0)) FROM lines WHERE day BETWEEN ?1 AND ?2 GROUP BY day",
        By::Week => "SELECT day - (day + 3) % 7, sum(max(tickets, 0)), sum(max(-tickets, 0)), sum(items), sum(max(amount, 0)), sum(max(-amount, 0)) FROM lines WHERE day BETWEEN ?1 AND ?2 GROUP BY 1",
        By::Category => "SELECT category, sum(items), sum(max(amount, 0)), sum(discount), sum(max(-amount, 0)) FROM lines WHERE day BETWEEN ?1 AND ?2 GROUP BY category",
        By::Cashier => "SELECT cashier, sum(max(tickets, 0)), sum(max(-tickets, 0)), sum(items), sum(max(amount, 0)), sum(max(-amount, 0)) FROM lines WHERE day BETWEEN ?1 AND ?2 GROUP BY cashier",
        By::Tender => "SELECT kind, sum(amount > 0), sum(amount < 0), sum(max(amount, 0)), sum(max(-amount, 0)) FROM tenders WHERE day BETWEEN ?1 AND ?2 GROUP BY kind",
        By::Top => "SELECT l.sku, p.name, sum(l.qty), sum(l.items), sum(l.amount) AS net FROM lines AS l LEFT JOIN products AS p ON p.sku = l.sku WHERE l.day BETWEEN ?1 AND ?2 GROUP BY l.sku ORDER BY net DESC LIMIT 20",
        By::Slow => "SELECT p.sku, p.name, coalesce(s.items, 0) AS items, coalesce(s.net, 0) AS net FROM products AS p
                     LEFT JOIN (SELECT sku, sum(items) AS items, sum(amount) AS net FROM lines WHERE day BETWEEN ?1 AND ?2 GROUP BY sku) AS s ON s.sku = p.sku
                     ORDER BY items, net, p.sku LIMIT 20",
        By::Basket => "SELECT sum(max(tickets, 0)), sum(max(-tickets, 0)), sum(items), sum(max(amount, 0)), sum(max(-amount, 0)) FROM lines WHERE day BETWEEN ?1 AND ?2",
        By::Members => "SELECT member, sum(tickets > 0), max(CASE WHEN tickets > 0 THEN day END), sum(amount) FROM tickets WHERE day BETWEEN ?1 AND ?2 AND member IS NOT NULL GROUP BY member",
        By::Conversion => "SELECT hour, count(*) FROM passages WHERE day BETWEEN ?1 AND ?2 AND opened AND direction = 'in' GROUP BY hour",
    }
}

fn main() -> anyhow::Result<()> {
    let mut n_sales: usize = 250_000;
    let mut runs: usize = 7;
    let mut seed: u64 = 2026;
    let mut data: Option<PathBuf> = None;
    let mut out = PathBuf::from("target/bench/reports.json");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sales" => n_sales = args.next().context("--sales N")?.parse()?,
            "--runs" => runs = args.next().context("--runs N")?.parse()?,
            "--seed" => seed = args.next().context("--seed N")?.parse()?,
            "--data" => data = Some(args.next().context("--data DIR")?.into()),
            "--json" | "--out" => out = args.next().context("--json FILE")?.into(),
            other => anyhow::bail!("unknown argument {other}; usage: opentill-bench-reports [--sales N] [--runs N] [--seed N] [--data DIR] [--json FILE]"),
        }
    }
    anyhow::ensure!(runs >= 1 && n_sales >= 1, "--sales and --runs must be at least 1");
    let temp = tempfile::tempdir()?;
    let dir = data.unwrap_or_else(|| temp.path().join("store"));

    let products = catalog();
    let mut replica = Replica::create(&dir, StoreSettings::new("SH001", "till-1"), [7; 32])?;
    replica.upsert_products(&products, 0, |_| {})?;
    let baseline = baseline_db(&temp.path().join("baseline.db"))?;
    {
        let tx = baseline.unchecked_transaction()?;
        let mut insert = tx.prepare("INSERT INTO products VALUES (?1, ?2, ?3)")?;
        for p in &products {
            insert.execute(params![p.sku, p.name, p.name_zh])?;
        }
        drop(insert);
        tx.commit()?;
    }

    // A year of sales, in time order: the same number each day, spread over the hours.
    let first_ms = parse_date_ms(FIRST_DAY, OFFSET_MIN).context("first day")?;
    let n_days = 365usize;
    let hour_total: u32 = HOUR_WEIGHTS.iter().map(|(_, w)| w).sum();
    let supervisor = Actor { user_id: "s01".into(), role: Role::Supervisor };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pending_refunds: Vec<(i64, SaleRecord)> = Vec::new();
    let mut n_lines = 0u64;
    let mut n_refunds = 0u64;
    let mut n_appends = 0u64;
    let mut raw_lines: Vec<LineRow> = Vec::new();
    let mut raw_tenders: Vec<TenderRow> = Vec::new();
    let mut raw_tickets: Vec<TicketRow> = Vec::new();
    let mut raw_passages: Vec<(i64, u32)> = Vec::new();
    let mut n_passages = 0u64;
    let started = Instant::now();
    let mut raw_insert_s = 0.0;
    // The same number of sales each day, at hours drawn by weight, in time order.
    let mut times: Vec<i64> = (0..n_sales)
        .map(|i| {
            let day = (i * n_days / n_sales) as i64;
            let mut pick = rng.gen_range(0..hour_total);
            let hour = HOUR_WEIGHTS.iter().find(|(_, w)| if pick < *w { true } else { pick -= w; false }).map_or(12, |(h, _)| *h);
            first_ms + day * 86_400_000 + i64::from(hour) * 3_600_000 + rng.gen_range(0..3_600_000)
        })
        .collect();
    times.sort_unstable();
    eprintln!("writing {n_sales} sales over {n_days} days through the replica's batch API ...");
    replica.begin_batch()?;
    for (i, &ts) in times.iter().enumerate() {
        let day = ((ts - first_ms) / 86_400_000) as usize;
        let hour = ((ts - first_ms) % 86_400_000 / 3_600_000) as u32;
        let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        let n = 1 + rng.gen_range(0..=3) + rng.gen_range(0..=4);
        for _ in 0..n {
            // Popular products sell far more often than the long tail.
            let u: f64 = rng.r#gen();
            let product = &products[((u * u * u) * N_SKUS as f64) as usize % N_SKUS];
            let qty = if product.unit == Unit::Kg { rng.gen_range(150..=1_500) } else { rng.gen_range(1..=3) };
            basket.add(product, qty)?;
        }
        if i % 20 == 0 {
            basket.discount_basket(Discount::Percent(500), &supervisor)?;
        }
        let total = basket.totals().total;
        let kind = match rng.gen_range(0..100) {
            0..60 => TenderKind::MobilePay,
            60..85 => TenderKind::Cash,
            _ => TenderKind::Card,
        };
        let offered = if kind == TenderKind::Cash { (total / 1000 + 1) * 1000 } else { total };
        let ctx = SaleContext { sale_id: format!("{i:010}"), shift_id: None, cashier: Some(CASHIERS[(day + usize::from(hour >= 15)) % CASHIERS.len()].to_string()) };
        let mut sale = complete_sale(&basket, &[Tender { kind, amount: offered, reference: None }], CashRounding::None, ctx)?;
        if rng.gen_range(0..100) < 45 {
            // Regulars buy far more often than the long tail of members.
            let u: f64 = rng.r#gen();
            sale.member = Some(format!("M{:05}", ((u * u) * N_MEMBERS as f64) as usize % N_MEMBERS));
        }
        // Refunds due before this sale go first, so the journal stays in time order.
        pending_refunds.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        while pending_refunds.last().is_some_and(|(t, _)| *t <= ts) {
            let (refund_ts, original) = pending_refunds.pop().unwrap_or_else(|| unreachable!());
            let line = rng.gen_range(0..original.lines.len());
            let ctx = RefundContext { refund_id: format!("R{}", original.sale_id), shift_id: None, by: Some("s01".into()), restock: true };
            let qty = if original.lines[line].unit == Unit::Kg { None } else { Some(1) };
            let refund = plan_refund(&original, &[], &[(line, qty)], ctx)?;
            let fact = Fact::Refund(refund);
            replica.append(refund_ts, &fact)?;
            if let Fact::Refund(r) = &fact {
                raw_lines.extend(refunded_lines(refund_ts, OFFSET_MIN, r, &original));
            }
            raw_tenders.extend(tender_rows(refund_ts, OFFSET_MIN, &fact));
            raw_tickets.extend(ticket_row(refund_ts, OFFSET_MIN, &fact));
            n_refunds += 1;
            n_appends += 1;
        }
        n_lines += sale.lines.len() as u64;
        raw_lines.extend(sold_lines(ts, OFFSET_MIN, &sale));
        if rng.gen_range(0..50) == 0 {
            pending_refunds.push((ts + rng.gen_range(600_000..3 * 3_600_000), sale.clone()));
        }
        // One or two people come in through the gate for each sale.
        for _ in 0..1 + usize::from(rng.gen_range(0..100) < 60) {
            let gate = Fact::GatePassed { gate: "G1".into(), scan_id: format!("g{n_passages}"), direction: "in".into(), opened: true, reason: "member".into(), account: None };
            replica.append(ts, &gate)?;
            raw_passages.push(local_day_hour(ts, OFFSET_MIN));
            n_passages += 1;
            n_appends += 1;
        }
        let fact = Fact::Sale(sale);
        raw_tenders.extend(tender_rows(ts, OFFSET_MIN, &fact));
        raw_tickets.extend(ticket_row(ts, OFFSET_MIN, &fact));
        replica.append(ts, &fact)?;
        n_appends += 1;
        if n_appends.is_multiple_of(5_000) {
            replica.commit_batch()?;
            let raw_started = Instant::now();
            let tx = baseline.unchecked_transaction()?;
            {
                let mut insert = tx.prepare_cached("INSERT INTO lines VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?;
                for l in raw_lines.drain(..) {
                    insert.execute(params![l.day, l.hour, l.sale_id, l.sku, l.category, l.cashier, l.qty, l.items, l.tickets, l.gross, l.discount, l.amount])?;
                }
                let mut insert = tx.prepare_cached("INSERT INTO tenders VALUES (?1, ?2, ?3, ?4)")?;
                for t in raw_tenders.drain(..) {
                    insert.execute(params![t.day, t.hour, t.kind, t.amount])?;
                }
                let mut insert = tx.prepare_cached("INSERT INTO tickets VALUES (?1, ?2, ?3, ?4)")?;
                for t in raw_tickets.drain(..) {
                    insert.execute(params![t.day, t.member, t.tickets, t.amount])?;
                }
                let mut insert = tx.prepare_cached("INSERT INTO passages VALUES (?1, ?2, 'in', 1)")?;
                for (day, hour) in raw_passages.drain(..) {
                    insert.execute(params![day, hour])?;
                }
            }
            tx.commit()?;
            raw_insert_s += raw_started.elapsed().as_secs_f64();
            replica.begin_batch()?;
        }
        if (i + 1) % 25_000 == 0 {
            let s = started.elapsed().as_secs_f64();
            eprintln!("  {:>7} sales, {:>8} lines, {:>5} refunds  {:6.1} s  ({:.0} appends/s)", i + 1, n_lines, n_refunds, s, n_appends as f64 / s);
        }
    }
    replica.commit_batch()?;
    {
        let tx = baseline.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO lines VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?;
            for l in raw_lines.drain(..) {
                insert.execute(params![l.day, l.hour, l.sale_id, l.sku, l.category, l.cashier, l.qty, l.items, l.tickets, l.gross, l.discount, l.amount])?;
            }
            let mut insert = tx.prepare_cached("INSERT INTO tenders VALUES (?1, ?2, ?3, ?4)")?;
            for t in raw_tenders.drain(..) {
                insert.execute(params![t.day, t.hour, t.kind, t.amount])?;
            }
            let mut insert = tx.prepare_cached("INSERT INTO tickets VALUES (?1, ?2, ?3, ?4)")?;
            for t in raw_tickets.drain(..) {
                insert.execute(params![t.day, t.member, t.tickets, t.amount])?;
            }
            let mut insert = tx.prepare_cached("INSERT INTO passages VALUES (?1, ?2, 'in', 1)")?;
            for (day, hour) in raw_passages.drain(..) {
                insert.execute(params![day, hour])?;
            }
        }
        tx.commit()?;
    }
    let build_s = started.elapsed().as_secs_f64() - raw_insert_s;
    drop(replica);
    let db_bytes = std::fs::metadata(dir.join(opentill_sync::DB_FILE))?.len() + std::fs::metadata(dir.join("opentill.db-wal")).map_or(0, |m| m.len());
    let projected: i64 = rusqlite::Connection::open(dir.join(opentill_sync::DB_FILE))?.query_row("SELECT count(*) FROM sale_lines", [], |r| r.get(0))?;
    eprintln!("  done: {n_appends} journal entries, {projected} sale_lines rows, {:.1} s, database {:.0} MiB", build_s, db_bytes as f64 / (1 << 20) as f64);

    let till = Till::open(&dir)?;
    for plan in till.replica().analytics_plans()? {
        eprintln!("  plan: {plan}");
    }
    let first_day = opentill_core::analytics::parse_day(FIRST_DAY).context("day")?;
    let last_day = opentill_core::analytics::parse_day(LAST_DAY).context("day")?;
    let month = (opentill_core::analytics::parse_day(MONTH.0).context("day")?, opentill_core::analytics::parse_day(MONTH.1).context("day")?);

    println!("Year of one store: {n_sales} sales, {projected} sold-line rows ({n_lines} sold, {n_refunds} refunds), {n_passages} gate entries, {runs} runs each; times in ms (median / max).");
    println!();
    println!("| report | OpenTill, year | raw SQLite GROUP BY, year | OpenTill, one month | raw SQLite, one month | rows |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut results = Vec::new();
    let mut worst: f64 = 0.0;
    for by in By::ALL {
        let mut cells = Vec::new();
        let mut n_rows = 0;
        for (from, to, first, last) in [(FIRST_DAY, LAST_DAY, first_day, last_day), (MONTH.0, MONTH.1, month.0, month.1)] {
            let mut ours = Vec::new();
            let mut report = None;
            for _ in 0..runs {
                let t = Instant::now();
                report = Some(till.analytics(by, Some(from), Some(to), None)?);
                ours.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let report = report.unwrap_or_else(|| unreachable!());
            let mut raw = Vec::new();
            let mut raw_rows = 0;
            let mut stmt = baseline.prepare(baseline_sql(by))?;
            for _ in 0..runs {
                let t = Instant::now();
                let mut rows = stmt.query(params![first, last])?;
                raw_rows = 0;
                while let Some(row) = rows.next()? {
                    let _: rusqlite::types::Value = row.get(1)?;
                    raw_rows += 1;
                }
                raw.push(t.elapsed().as_secs_f64() * 1e3);
            }
            if matches!(by, By::Basket) {
                let (sold, refunded): (i64, i64) = baseline.query_row("SELECT sum(max(amount, 0)), sum(max(-amount, 0)) FROM lines WHERE day BETWEEN ?1 AND ?2", params![first, last], |r| Ok((r.get(0)?, r.get(1)?)))?;
                anyhow::ensure!((sold, refunded) == (report.total.sales, report.total.refunds), "baseline and OpenTill disagree on {from}..{to}");
            }
            let (ours_med, ours_max) = median_max(&mut ours);
            let (raw_med, raw_max) = median_max(&mut raw);
            worst = worst.max(ours_max);
            if n_rows == 0 {
                n_rows = report.rows.len().max(raw_rows);
            }
            cells.push((ours_med, ours_max, raw_med, raw_max));
            results.push(serde_json::json!({"by": by.name(), "from": from, "to": to, "opentill_median_ms": ours_med, "opentill_max_ms": ours_max,
                "raw_median_ms": raw_med, "raw_max_ms": raw_max, "rows": report.rows.len()}));
        }
        let f = |(m, x): (f64, f64)| format!("{m:.1} / {x:.1}");
        println!("| {} | {} | {} | {} | {} | {n_rows} |", by.name(), f((cells[0].0, cells[0].1)), f((cells[0].2, cells[0].3)), f((cells[1].0, cells[1].1)), f((cells[1].2, cells[1].3)));
    }
    println!();
    println!("Writing the year through the replica (journal, signatures, every projection): {build_s:.1} s ({:.0} appends/s); database {:.0} MiB.", n_appends as f64 / build_s, db_bytes as f64 / (1 << 20) as f64);
    println!("goal ≤ 1 s for any standard report: {} (slowest run {worst:.1} ms)", if worst <= 1000.0 { "met" } else { "NOT met" });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({
            "sales": n_sales, "sold_lines": n_lines, "refunds": n_refunds, "gate_entries": n_passages, "line_rows": projected, "journal_entries": n_appends, "runs": runs,
            "build_s": build_s, "db_bytes": db_bytes, "worst_ms": worst, "reports": results,
        }))?,
    )?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
