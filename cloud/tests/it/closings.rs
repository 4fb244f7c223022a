//! Period closings end to end: two stores (one with two tills) sell on two past days with
//! the real `opentill-edge` (its hidden `sale-loop --clock-ms` stamps the sales), push to a
//! real `opentill-cloud serve`, and the days and the month are closed through the CLI and
//! the HTTP API. A till that never pushed holds a day back (named), a forced close records
//! it, its batch arrives late and lands in the next day's closing; the month sums the
//! days; the perpetual total equals the journals to the fen; exports read back; and a
//! closing edited in the database is caught by `verify-closings`. On SQLite (the key
//! beside the database) and on PostgreSQL (the key given by `OPENTILL_CLOUD_KEY`).

use std::collections::BTreeMap;
use std::path::Path;

use opentill_core::analytics::local_day_hour;
use opentill_core::journal::Fact;
use opentill_sync::Replica;
use serde_json::{Value, json};

use crate::{Backend, Cloud, CloudDb, cloud_with, free_port, ok, on_both_backends, store};

on_both_backends!(days_and_a_month_are_closed_signed_exported_and_verified_across_two_stores);

const CN: i32 = 480;

/// Unix ms of a local time at +08:00 on `date`.
fn at(date: &str, hour: i64) -> i64 {
    opentill_core::time::parse_date_ms(date, CN).unwrap() + hour * 3_600_000
}

fn day(date: &str) -> i64 {
    opentill_core::analytics::parse_day(date).unwrap()
}

/// A journal's money per local date: (sales, refunds, net).
fn local_by_day(data: &str) -> BTreeMap<i64, (i64, i64, i64)> {
    let replica = Replica::open(Path::new(data)).unwrap();
    let mut out: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for (ts, fact) in replica.facts().unwrap() {
        let sums = out.entry(local_day_hour(ts, CN).0).or_default();
        match fact {
            Fact::Sale(s) => {
                sums.0 += s.total;
                sums.2 += s.total;
            }
            Fact::Refund(r) => {
                sums.1 += r.total;
                sums.2 -= r.total;
            }
            _ => {}
        }
    }
    out
}

fn sum<'a>(days: impl IntoIterator<Item = &'a (i64, i64, i64)>) -> (i64, i64, i64) {
    days.into_iter().fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
}

fn figures(v: &Value) -> (i64, i64, i64) {
    (v["sales_minor"].as_i64().unwrap(), v["refunds_minor"].as_i64().unwrap(), v["net_minor"].as_i64().unwrap())
}

fn sell(data: &str, count: u32, clock_ms: i64, seed: u32) {
    ok(&["sale-loop", "--data", data, "--count", &count.to_string(), "--seed", &seed.to_string(), "--clock-ms", &clock_ms.to_string(), "--step-ms", "30000"]);
}

fn days_and_a_month_are_closed_signed_exported_and_verified_across_two_stores(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let cloud_db = CloudDb::new(backend, dir.path());
    // SQLite keeps the key beside the database; a PostgreSQL cloud is told where it is.
    let key_file = match backend {
        Backend::Sqlite => dir.path().join("cloud").join("cloud.key"),
        Backend::Postgres => dir.path().join("secrets").join("closing.key"),
    };
    std::fs::create_dir_all(key_file.parent().unwrap()).unwrap();
    let key_env: Vec<(&str, &str)> = match backend {
        Backend::Sqlite => vec![],
        Backend::Postgres => vec![("OPENTILL_CLOUD_KEY", key_file.to_str().unwrap())],
    };
    let cloud = |args: &[&str]| cloud_with(args, &key_env);
    let cloud_ok = |args: &[&str]| {
        let out = cloud(args);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let fails = |args: &[&str]| {
        let out = cloud(args);
        assert!(!out.status.success(), "{args:?} should have failed: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8(out.stderr).unwrap()
    };
    let cloud_srv = Cloud::start_with(&cloud_db.db, free_port(), &key_env);
    assert!(key_file.exists(), "serve creates the closing key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let db_arg = cloud_db.db.clone();
    let sh1 = store(dir.path(), "sh1", "SH001", "till-1");
    let sh2 = store(dir.path(), "sh2", "SH001", "till-2");
    let bj = store(dir.path(), "bj", "BJ002", "till-1");
    for (data, store_id, brand) in [(&sh1, "SH001", "acme-mart"), (&sh2, "SH001", "acme-mart"), (&bj, "BJ002", "acme-express")] {
        let code = cloud_ok(&["enrol-code", "--db", &db_arg, "--store", store_id, "--tenant", "acme", "--brand", brand]).trim().to_string();
        ok(&["sync", "enroll", "--data", data, "--cloud", &cloud_srv.url, "--code", &code]);
    }

    // 30 October: both stores sell; till-2 of SH001 stays offline.
    sell(&sh1, 20, at("2026-10-30", 10), 1);
    sell(&sh2, 10, at("2026-10-30", 14), 2);
    sell(&bj, 12, at("2026-10-30", 11), 3);
    ok(&["sync", "push", "--data", &sh1]);
    ok(&["sync", "push", "--data", &bj]);

    let close = |store_id: &str, flag: &str, period: &str, extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = ["close", "--db", &db_arg, "--store", store_id, flag, period].map(String::from).to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run = |args: &[String]| cloud_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let refuse = |args: &[String]| fails(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let err = refuse(&close("SH001", "--day", "2026-10-31", &[]));
    assert!(err.contains("[out_of_order]") && err.contains("close 2026-10-30 before 2026-10-31"), "{err}");
    let err = refuse(&close("SH001", "--day", "2026-10-30", &[]));
    assert!(err.contains("[nodes_behind]") && err.contains("till-2 (never heard from)"), "closing an unfinished day names the node behind: {err}");
    let zh = cloud(&["--lang", "zh", "close", "--db", &db_arg, "--store", "SH001", "--day", "2026-10-30"]);
    assert!(String::from_utf8_lossy(&zh.stderr).contains("以下节点在日终之后尚未同步：till-2"), "{}", String::from_utf8_lossy(&zh.stderr));
    let (status, body) = cloud_srv.post_json("/v1/closings", &json!({"store_id": "SH001", "kind": "day", "period": "2026-10-30"}));
    assert_eq!((status, body["kind"].as_str()), (409, Some("nodes_behind")), "{body}");
    assert_eq!(body["nodes_behind"][0]["node_id"], "till-2");
    assert_eq!(body["nodes_behind"][0]["why"]["reason"], "never_heard");

    // Forced: the closing records the node that was behind.
    let day1: Value = serde_json::from_str(&run(&close("SH001", "--day", "2026-10-30", &["--force", "--format", "json"]))).unwrap();
    assert_eq!(day1["closing"]["forced"], true);
    assert_eq!(day1["closing"]["incomplete_nodes"][0]["node_id"], "till-2");
    let sh1_days = local_by_day(&sh1);
    assert_eq!(figures(&day1["closing"]["total"]), sh1_days[&day("2026-10-30")], "the 30th holds till-1's sales only");
    let (status, bj_day1) = cloud_srv.post_json("/v1/closings", &json!({"store_id": "BJ002", "kind": "day", "period": "2026-10-30"}));
    assert_eq!(status, 201, "{bj_day1}");
    assert_eq!(bj_day1["closing"]["forced"], false);
    let (status, body) = cloud_srv.post_json("/v1/closings", &json!({"store_id": "SH001", "kind": "day", "period": "2026-10-30", "force": true}));
    assert_eq!((status, body["kind"].as_str()), (409, Some("already_closed")), "closing the same day twice is refused: {body}");
    let err = refuse(&close("SH001", "--month", "2026-10", &[]));
    assert!(err.contains("[parts_open]") && err.contains("the next to close is 2026-10-31"), "{err}");

    // 31 October: sales go on; till-2 comes back with its batch of the 30th.
    sell(&sh1, 15, at("2026-10-31", 9), 4);
    sell(&sh2, 6, at("2026-10-31", 18), 5);
    sell(&bj, 8, at("2026-10-31", 12), 6);
    for data in [&sh1, &sh2, &bj] {
        ok(&["sync", "push", "--data", data]);
    }
    let day2: Value = serde_json::from_str(&run(&close("SH001", "--day", "2026-10-31", &["--format", "json"]))).unwrap();
    let (sh1_days, sh2_days) = (local_by_day(&sh1), local_by_day(&sh2));
    let late = &day2["closing"]["late"];
    assert_eq!(late.as_array().unwrap().len(), 1, "{late}");
    assert_eq!(late[0]["date"], "2026-10-30");
    assert_eq!(figures(&late[0]["figures"]), sh2_days[&day("2026-10-30")], "till-2's sales of the 30th are late entries of the 31st");
    assert_eq!(figures(&day2["closing"]["in_period"]), sum([&sh1_days[&day("2026-10-31")], &sh2_days[&day("2026-10-31")]]));
    assert_eq!(day2["closing"]["prev_hash"], day1["hash"], "the days are chained");
    let summary = run(&close("BJ002", "--day", "2026-10-31", &[]));
    assert!(summary.contains("closed BJ002 day closing 2026-10-31") && summary.contains("perpetual grand total"), "{summary}");
    let (status, month) = cloud_srv.post_json("/v1/closings", &json!({"store_id": "SH001", "kind": "month", "period": "2026-10"}));
    assert_eq!(status, 201, "{month}");

    // The month sums the days; the perpetual total is the journals' to the fen.
    let add = |a: (i64, i64, i64), b: (i64, i64, i64)| (a.0 + b.0, a.1 + b.1, a.2 + b.2);
    assert_eq!(figures(&month["closing"]["total"]), add(figures(&day1["closing"]["total"]), figures(&day2["closing"]["total"])));
    let journals = sum(sh1_days.values().chain(sh2_days.values()));
    assert_eq!(figures(&month["closing"]["perpetual"]), journals);
    assert_eq!(figures(&day2["closing"]["perpetual"]), journals);
    let totals = cloud_srv.get("/v1/totals");
    let sh_totals = totals.as_array().unwrap().iter().find(|t| t["store_id"] == "SH001").unwrap();
    assert_eq!(sh_totals["net_minor"].as_i64().unwrap(), journals.2);

    let out = cloud_ok(&["verify-closings", "--db", &db_arg]);
    assert!(out.contains("closings intact: 5 checked"), "{out}");

    // Exports: the CSV reads back to the figures signed; the report to the journals.
    let csv_file = dir.path().join("closings.csv");
    let export = cloud(&["export", "closings", "--db", &db_arg, "--format", "csv", "--out", csv_file.to_str().unwrap()]);
    assert!(export.status.success());
    assert!(String::from_utf8_lossy(&export.stderr).contains("exporting closings 5/5"), "progress on stderr: {}", String::from_utf8_lossy(&export.stderr));
    let signed: Value = serde_json::from_str(&cloud_srv.get_text("/v1/closings?format=json")).unwrap();
    let http_csv = cloud_srv.get_text("/v1/closings?store=SH001&format=csv");
    for (text, expected_rows) in [(std::fs::read_to_string(&csv_file).unwrap(), 5), (http_csv, 3)] {
        assert!(text.contains("\r\n"), "RFC 4180 line ends");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), expected_rows);
        let col = |row: &csv::StringRecord, name: &str| row.get(header.iter().position(|h| h == name).unwrap()).unwrap().to_string();
        for row in &rows {
            let item = signed.as_array().unwrap().iter().find(|c| c["hash"].as_str() == Some(&col(row, "hash"))).expect("the row is a signed closing");
            let c = &item["closing"];
            assert_eq!((col(row, "store_id"), col(row, "kind"), col(row, "period")), (c["store_id"].as_str().unwrap().into(), c["kind"].as_str().unwrap().into(), c["period"].as_str().unwrap().into()));
            for name in ["n_sales", "n_refunds", "sales_minor", "refunds_minor", "net_minor", "tax_minor"] {
                assert_eq!(col(row, name).parse::<i64>().unwrap(), c["total"][name].as_i64().unwrap(), "{name}");
            }
            assert_eq!(col(row, "cash_minor").parse::<i64>().unwrap(), c["total"]["by_tender"]["cash"].as_i64().unwrap_or(0));
            assert_eq!(col(row, "perpetual_net_minor").parse::<i64>().unwrap(), c["perpetual"]["net_minor"].as_i64().unwrap());
        }
    }
    let report_csv = cloud_srv.get_text("/v1/reports/stores?from=2026-10-30&to=2026-10-31&format=csv");
    let mut reader = csv::Reader::from_reader(report_csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let col = |row: &csv::StringRecord, name: &str| row.get(header.iter().position(|h| h == name).unwrap()).unwrap().to_string();
    let bj_journal = sum(local_by_day(&bj).values());
    for (level, store_id, expected) in [("store", "SH001", journals), ("store", "BJ002", bj_journal), ("tenant", "", add(journals, bj_journal))] {
        let row = rows.iter().find(|r| col(r, "level") == level && col(r, "store_id") == store_id).unwrap();
        assert_eq!((col(row, "sales_minor").parse().unwrap(), col(row, "refunds_minor").parse().unwrap(), col(row, "net_minor").parse::<i64>().unwrap()), expected, "{level} {store_id}");
    }
    let report_file = dir.path().join("report.json");
    cloud_ok(&["export", "report", "--db", &db_arg, "--from", "2026-10-30", "--to", "2026-10-31", "--format", "json", "--out", report_file.to_str().unwrap()]);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    let all = report["rows"].as_array().unwrap().iter().find(|r| r["level"] == "all").unwrap();
    assert_eq!(figures(all), add(journals, bj_journal));
    let n_sales = all["n_sales"].as_i64().unwrap();
    assert_eq!(all["avg_basket_minor"].as_i64().unwrap(), (2 * all["net_minor"].as_i64().unwrap() + n_sales) / (2 * n_sales), "客单价 = net / sales, half up");

    // A closing edited in the database is caught.
    cloud_srv.kill();
    let net = day2["closing"]["in_period"]["net_minor"].as_i64().unwrap();
    let (from, to) = (format!("\"net_minor\":{net},"), format!("\"net_minor\":{},", net - 100));
    let which = "period = '2026-10-31' AND store_ref = (SELECT store_ref FROM stores WHERE store_id = 'SH001')";
    let edited = match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(dir.path().join("cloud").join("cloud.db")).unwrap();
            conn.execute_batch("DROP TRIGGER closings_no_update").unwrap();
            conn.execute(&format!("UPDATE closings SET body = CAST(replace(CAST(body AS TEXT), ?1, ?2) AS BLOB) WHERE {which}"), [&from, &to]).unwrap()
        }
        Backend::Postgres => {
            let mut client = ::postgres::Client::connect(&cloud_db.db, ::postgres::NoTls).unwrap();
            client.batch_execute("DROP TRIGGER closings_no_update ON closings").unwrap();
            client.execute(&format!("UPDATE closings SET body = convert_to(replace(convert_from(body, 'UTF8'), $1, $2), 'UTF8') WHERE {which}"), &[&from, &to]).unwrap() as usize
        }
    };
    assert_eq!(edited, 1);
    let out = cloud(&["verify-closings", "--db", &db_arg]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("BAD SH001 day 2026-10-31 (#2): hash mismatch: the closing was altered"), "{stdout}");
    assert!(!stdout.contains("BJ002"), "only the edited closing is named: {stdout}");
}
