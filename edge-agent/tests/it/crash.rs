//! Crash safety: SIGKILL a process that is selling, at random moments, many times.
//!
//! Every sale the process reported as done must be in the journal exactly once, the
//! chain must verify, and stock and cash derived from the journal must match the
//! projections. 200 kills by default; `RUN_SLOW_TESTS=1` runs 2,000.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::{Rng, SeedableRng};

use crate::{data, ok, store};

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let kills: usize = if std::env::var_os("RUN_SLOW_TESTS").is_some() { 2000 } else { 200 };
    let seed: u64 = std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
    eprintln!("crash test: {kills} kills, CRASH_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = store();
    let data = data(&dir);
    let mut reported_sales: Vec<(String, i64, i64)> = Vec::new();
    let mut reported_refunds: Vec<(String, String, i64)> = Vec::new();
    let mut killed_mid_run = 0;
    for round in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_opentill-edge"))
            .args(["sale-loop", "--data", &data, "--seed", &(seed ^ round as u64).to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.gen_range(0..80_000)));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let fields: Vec<&str> = line.split(' ').collect();
            match fields[..] {
                ["DONE", "sale", id, total, cash] => reported_sales.push((id.into(), total.parse().unwrap(), cash.parse().unwrap())),
                ["DONE", "refund", id, sale, total] => reported_refunds.push((id.into(), sale.into(), total.parse().unwrap())),
                _ => panic!("unexpected output line {line:?}"),
            }
        }
    }
    assert!(killed_mid_run > kills / 2, "most kills must land while the process runs ({killed_mid_run}/{kills})");
    assert!(reported_sales.len() > 50, "the workload made progress ({} sales)", reported_sales.len());

    let verify = ok(&["journal", "verify", "--data", &data]);
    assert!(verify.contains("journal OK"), "{verify}");

    let export: serde_json::Value = serde_json::from_str(&ok(&["journal", "export", "--data", &data, "--format", "json"])).unwrap();
    let mut sales_in_journal: BTreeMap<String, (usize, i64, i64)> = BTreeMap::new();
    let mut refunds_in_journal: BTreeMap<String, usize> = BTreeMap::new();
    let mut stock: BTreeMap<String, i64> = BTreeMap::new();
    let mut cash = 0i64;
    for entry in export.as_array().unwrap() {
        let body = &entry["body"];
        match body["type"].as_str().unwrap() {
            "sale" => {
                let taken: i64 = body["tenders"].as_array().unwrap().iter().filter(|t| t["kind"] == "Cash").map(|t| t["amount"].as_i64().unwrap()).sum();
                let e = sales_in_journal.entry(body["sale_id"].as_str().unwrap().into()).or_insert((0, body["total"].as_i64().unwrap(), taken));
                e.0 += 1;
                cash += taken;
                for line in body["lines"].as_array().unwrap() {
                    *stock.entry(line["sku"].as_str().unwrap().into()).or_default() -= line["qty"].as_i64().unwrap();
                }
            }
            "refund" => {
                *refunds_in_journal.entry(body["refund_id"].as_str().unwrap().into()).or_default() += 1;
                cash -= body["tenders"].as_array().unwrap().iter().filter(|t| t["kind"] == "Cash").map(|t| t["amount"].as_i64().unwrap()).sum::<i64>();
                for line in body["lines"].as_array().unwrap() {
                    *stock.entry(line["sku"].as_str().unwrap().into()).or_default() += line["qty"].as_i64().unwrap();
                }
            }
            other => panic!("unexpected fact {other}"),
        }
    }
    for (id, total, taken) in &reported_sales {
        assert_eq!(sales_in_journal.get(id), Some(&(1, *total, *taken)), "reported sale {id} is in the journal exactly once, as reported");
    }
    for (id, _, _) in &reported_refunds {
        assert_eq!(refunds_in_journal.get(id), Some(&1), "reported refund {id} is in the journal exactly once");
    }
    assert!(sales_in_journal.values().all(|(n, _, _)| *n == 1), "no sale is in the journal twice");

    let shown = ok(&["stock", "show", "--data", &data]);
    let shown: BTreeMap<String, i64> = shown.lines().map(|l| l.split_once('\t').unwrap()).map(|(s, q)| (s.to_string(), q.parse().unwrap())).collect();
    stock.retain(|_, q| *q != 0);
    let shown_nonzero: BTreeMap<String, i64> = shown.into_iter().filter(|(_, q)| *q != 0).collect();
    assert_eq!(shown_nonzero, stock, "stock on hand equals the fold of the journal");
    let status = ok(&["shift", "status", "--data", &data]);
    assert!(status.contains(&format!("drawer_minor: {cash}")), "cash in drawer equals the fold of the journal: {status} vs {cash}");
    eprintln!("crash test: {} sales and {} refunds reported, {} sales in the journal", reported_sales.len(), reported_refunds.len(), sales_in_journal.len());
}
