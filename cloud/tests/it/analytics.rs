//! Analytics across stores: the cloud's report of one store equals the store's own, and
//! the tenant's adds its stores up; another tenant's store counts for nothing. On both
//! backends, with the real binaries.

use std::collections::BTreeMap;

use crate::catalog::enrolled_store as enrolled;
use crate::{ADMIN_TOKEN, Backend, Cloud, CloudDb, cloud, cloud_ok, free_port, ok, on_both_backends};

on_both_backends!(the_clouds_reports_equal_the_stores_and_add_them_up);

const COLA: &str = "6901234567892";
const CHIPS: &str = "6920152400012";
const MILK: &str = "6907992100012";

/// A report's CSV rows as first column → the net (the column headed `Net`), totals
/// included.
fn nets(csv: &str) -> BTreeMap<String, String> {
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let net = header.iter().position(|h| *h == "Net").unwrap_or_else(|| panic!("no Net column in {header:?}"));
    lines.map(|l| l.split(',').collect::<Vec<_>>()).map(|f| (f[0].to_string(), f[net].to_string())).collect()
}

fn the_clouds_reports_equal_the_stores_and_add_them_up(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud_server = Cloud::start(&db.db, free_port());
    let s1 = enrolled(dir.path(), &db.db, &cloud_server, "s1", "S1", "till-1");
    let s2 = enrolled(dir.path(), &db.db, &cloud_server, "s2", "S2", "till-2");
    for (data, scans, tender) in [
        (&s1, vec![COLA, COLA, CHIPS], "card:14.90"),
        (&s1, vec![MILK], "cash:5"),
        (&s2, vec![CHIPS, MILK], "cash:20"),
        (&s2, vec![COLA], "mobile:3.50"),
    ] {
        let mut args = vec!["sale", "--data", data.as_str(), "--tender", tender];
        for code in &scans {
            args.extend(["--scan", code]);
        }
        ok(&args);
    }
    for data in [&s1, &s2] {
        ok(&["sync", "push", "--data", data]);
    }
    let store_report = |data: &str, by: &str| ok(&["report", "analytics", "--data", data, "--by", by, "--csv"]);
    let cloud_report = |store: Option<&str>, by: &str| {
        let mut args = vec!["analytics", "--db", db.db.as_str(), "--tenant", "acme", "--by", by, "--csv"];
        if let Some(s) = store {
            args.extend(["--store", s]);
        }
        cloud_ok(&args)
    };

    // One store in the cloud is that store's own report, to the fen.
    for by in ["hour", "day", "category", "tender", "basket", "members"] {
        assert_eq!(cloud_report(Some("S1"), by), store_report(&s1, by), "S1 by {by}");
        assert_eq!(cloud_report(Some("S2"), by), store_report(&s2, by), "S2 by {by}");
    }
    // The tenant's adds its stores up.
    let (one, two, both) = (nets(&store_report(&s1, "category")), nets(&store_report(&s2, "category")), nets(&cloud_report(None, "category")));
    let yuan = |v: Option<&String>| v.map_or(0, |v| (v.parse::<f64>().unwrap() * 100.0).round() as i64);
    for key in both.keys() {
        assert_eq!(yuan(both.get(key)), yuan(one.get(key)) + yuan(two.get(key)), "category {key}");
    }
    assert_eq!(both.keys().filter(|k| k.as_str() != "Total").count(), 3, "{both:?}");

    // Top sellers across the stores, named from the tenant's catalog once one store
    // published it: chips (¥15.80 in both) before cola (¥10.50) and milk (¥6.00).
    ok(&["product", "publish", "--data", &s1]);
    ok(&["sync", "push", "--data", &s1]);
    let top = cloud_report(None, "top");
    let skus: Vec<&str> = top.lines().skip(1).filter_map(|l| l.split(',').nth(1)).take(3).collect();
    assert_eq!(skus, ["SNK-1", "DRK-1", "DAI-1"], "{top}");
    assert!(top.contains("Lay's Cucumber Chips 70g"), "{top}");

    // Over HTTP too, for head office (admin token), and bad requests say why.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let get = |query: &str| {
        let mut r = agent.get(&format!("{}/v1/reports/analytics?{query}", cloud_server.url)).header("authorization", format!("Bearer {ADMIN_TOKEN}")).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let (status, body) = get("tenant=acme&by=category");
    assert_eq!((status, nets(&body)), (200, both));
    let (status, body) = get("tenant=acme&by=category&store=S1&format=text&lang=zh");
    assert!(status == 200 && body.contains("按品类销售"), "{status} {body}");
    assert_eq!(get("tenant=acme&by=weather").0, 400);
    assert_eq!(get("tenant=nobody&by=day").0, 404);
    assert_eq!(get("tenant=acme&by=day&from=2026-12-02&to=2026-12-01").0, 400);
    let out = cloud(&["analytics", "--db", &db.db, "--tenant", "acme", "--by", "weather"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("must be one of hour, day"), "{}", String::from_utf8_lossy(&out.stderr));
}
