//! The command line as a store manager or a script uses it, bad input included.

use crate::{data, db, edge, ok, store};

fn journal_len(dir: &tempfile::TempDir) -> i64 {
    let conn = rusqlite::Connection::open(db(dir.path())).unwrap();
    conn.query_row("SELECT count(*) FROM journal", [], |r| r.get(0)).unwrap()
}

fn product_count(dir: &tempfile::TempDir) -> i64 {
    let conn = rusqlite::Connection::open(db(dir.path())).unwrap();
    conn.query_row("SELECT count(*) FROM products", [], |r| r.get(0)).unwrap()
}

#[test]
fn sell_refund_verify_and_report() {
    let dir = store();
    let data = data(&dir);
    let out = ok(&["sale", "--data", &data, "--scan", "6901234567892", "--qty", "2", "--scan", "2000001000007", "--qty", "0.532", "--tender", "card:5:T1", "--tender", "cash:10"]);
    assert!(out.contains("Coca-Cola 330ml") && out.contains("0.532kg x 6.98/kg") && out.contains("Change                      4.29"), "{out}");
    let sale_id = out.lines().last().unwrap().strip_prefix("sale_id: ").unwrap().to_string();
    let out = ok(&["refund", "--data", &data, "--sale", &sale_id, "--line", "1", "--qty", "1"]);
    assert!(out.contains("-3.50") && out.contains("Card T1"), "{out}");
    let out = ok(&["report", "sales", "--data", &data, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((report["n_sales"].as_i64(), report["sales_total"].as_i64(), report["refunds_total"].as_i64(), report["net"].as_i64()), (Some(1), Some(1071), Some(350), Some(721)));
    assert!(ok(&["journal", "verify", "--data", &data]).contains("journal OK: 2 entries"));
    let csv = ok(&["journal", "export", "--data", &data, "--format", "csv"]);
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.starts_with("seq,node_id,ts_ms,kind,prev_hash,hash,signature,body\n1,till-1,"));
    assert_eq!(ok(&["stock", "show", "--data", &data, "--sku", "DRK-1"]), "DRK-1\t-1\teach\tfloor -1\n", "the total, the unit, then per place");
    let search = ok(&["product", "search", "--data", &data, "kkkl"]);
    assert!(search.starts_with("DRK-1\t6901234567892\t可口可乐 330ml"), "{search}");
}

#[test]
fn shift_from_open_to_z_report() {
    let dir = store();
    let data = data(&dir);
    ok(&["shift", "open", "--data", &data, "--user", "c01", "--pin", "1234", "--float", "200"]);
    ok(&["sale", "--data", &data, "--scan", "6901234567892", "--tender", "cash:10"]);
    ok(&["shift", "cash-out", "--data", &data, "--user", "s01", "--pin", "9001", "--amount", "100", "--reason", "bank"]);
    let x = ok(&["shift", "x-report", "--data", &data]);
    assert!(x.contains("X report") && x.contains("Expected cash") && x.contains("103.50"), "{x}");
    let z = ok(&["shift", "close", "--data", &data, "--user", "c01", "--pin", "1234", "--counted", "103.00", "--format", "json"]);
    let z: serde_json::Value = serde_json::from_str(&z).unwrap();
    assert_eq!((z["kind"].as_str(), z["expected_cash"].as_i64(), z["variance"].as_i64(), z["sales_total"].as_i64()), (Some("Z"), Some(10_350), Some(-50), Some(350)));
    let out = edge(&["shift", "close", "--data", &data, "--user", "c01", "--pin", "1234", "--counted", "0"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no_open_shift"));
    let out = edge(&["shift", "open", "--data", &data, "--user", "c01", "--pin", "9999", "--float", "200"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth_failed"));
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let dir = store();
    let data = data(&dir);
    let files = dir.path();
    std::fs::write(files.join("bad-columns.csv"), "sku,name\nX,Y\n").unwrap();
    std::fs::write(files.join("bad-rows.csv"), "sku,barcode,name,name_zh,price,category,unit,tax_rate\nN1,4006381333931,Pen,笔,2.00,stationery,each,13\nN2,4006381333932,Pen,笔,abc,stationery,box,13\n").unwrap();
    let mut latin1 = b"sku,barcode,name,name_zh,price,category,unit,tax_rate\nN3,,Caf".to_vec();
    latin1.extend_from_slice(&[0xe9]);
    latin1.extend_from_slice(b",,1.00,drinks,each,13\n");
    std::fs::write(files.join("latin1.csv"), latin1).unwrap();
    let f = |name: &str| files.join(name).to_str().unwrap().to_string();
    let d = data.as_str();
    let (bad_columns, bad_rows, latin1, missing) = (f("bad-columns.csv"), f("bad-rows.csv"), f("latin1.csv"), f("missing.csv"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["sale", "--data", d, "--scan", "6901234567890", "--tender", "cash:10"], "unknown barcode 6901234567890"),
        (vec!["sale", "--data", d, "--scan", "6901234567892", "--tender", "cash:3"], "tender short: 350 due, 300 offered"),
        (vec!["sale", "--data", d, "--scan", "6901234567892", "--qty", "-2", "--tender", "cash:10"], "quantity -2 is not valid"),
        (vec!["sale", "--data", d, "--scan", "6901234567892", "--tender", "cash:abc"], "`abc` is not an amount"),
        (vec!["sale", "--data", d, "--scan", "6901234567892", "--tender", "cash:99999999999999999999"], "is too large"),
        (vec!["sale", "--data", d, "--scan", "6901234567892", "--qty", "99999999999", "--tender", "cash:10"], "quantity 99999999999 is not valid"),
        (vec!["sale", "--data", d, "--scan", "6901234567892", "--tender", "bitcoin:10"], "kind must be cash, card, mobile or stored"),
        (vec!["sale", "--data", d, "--qty", "2", "--scan", "6901234567892", "--tender", "cash:10"], "--qty 2 must follow a --scan"),
        (vec!["refund", "--data", d, "--sale", "nope"], "no sale nope in this store"),
        (vec!["import", "products", &bad_columns, "--data", d], "lacks column(s): barcode"),
        (vec!["import", "products", &bad_rows, "--data", d], "line 3: barcode `4006381333932`: check digit is 2, should be 1"),
        (vec!["import", "products", &latin1, "--data", d], "line 2: not valid UTF-8"),
        (vec!["import", "products", &missing, "--data", d], "cannot open"),
        (vec!["report", "sales", "--data", d, "--from", "2026-02-30"], "must be a real date"),
        (vec!["stock", "adjust", "--data", d, "--sku", "NOPE", "--delta", "5", "--reason", "count"], "unknown SKU NOPE"),
    ];
    let before = (journal_len(&dir), product_count(&dir));
    for (args, expected) in cases {
        let out = edge(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?} should fail: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr:?}");
        assert_eq!((journal_len(&dir), product_count(&dir)), before, "{args:?} changed the store");
    }
    // Chinese messages too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opentill-edge")).args(["sale", "--data", &data, "--scan", "6901234567890", "--tender", "cash:10", "--lang", "zh"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("条码 6901234567890 不存在"));
    // No store at all.
    let out = edge(&["journal", "verify", "--data", dir.path().join("nowhere").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("run `opentill-edge init"));
    // Skipping bad rows imports the good ones and names the bad.
    let out = edge(&["import", "products", &bad_rows, "--data", &data, "--skip-bad"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped line 3"));
    assert_eq!(product_count(&dir), before.1 + 1);
}

#[test]
fn init_refuses_to_overwrite_a_store() {
    let dir = store();
    let out = edge(&["init", "--data", &data(&dir), "--store", "OTHER"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds an OpenTill store"));
    let out = edge(&["init", "--data", dir.path().join("x").to_str().unwrap(), "--store", "bad id!"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("store id `bad id!`"));
}

#[test]
fn discounts_price_overrides_suspend_resume_and_void() {
    let dir = store();
    let data = data(&dir);
    // A cashier may not discount; nothing is recorded.
    let out = edge(&["sale", "--data", &data, "--scan", "6901234567892", "--qty", "4", "--discount", "1:10%", "--auth", "c01", "--pin", "1234", "--tender", "cash:20"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a cashier may not do this (manual discount)"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ok(&["sale", "--data", &data, "--scan", "6901234567892", "--qty", "4", "--scan", "6920152400012", "--discount", "1:10%", "--price", "2:5.00", "--basket-discount", "1.00", "--auth", "s01", "--pin", "9001", "--tender", "cash:20", "--format", "json"]);
    let sale: serde_json::Value = serde_json::from_str(&out).unwrap();
    // 14.00 - 1.40 + 5.00 (was 7.90) = 17.60, minus 1.00 = 16.60.
    assert_eq!(sale["total_minor"].as_i64(), Some(1660), "{out}");
    assert!(sale["receipt"].as_str().unwrap().contains("Price override 7.90 -> 5.00"));

    let out = ok(&["sale", "--data", &data, "--scan", "6901234567892", "--suspend", "customer fetching wallet"]);
    let id = out.lines().last().unwrap().strip_prefix("basket_id: ").unwrap().to_string();
    assert!(ok(&["suspended", "list", "--data", &data]).contains(&id));
    // A short tender on resume keeps the suspended sale.
    let out = edge(&["sale", "--data", &data, "--resume", &id, "--scan", "6907992100012", "--tender", "cash:1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("tender short"));
    assert!(ok(&["suspended", "list", "--data", &data]).contains(&id));
    let out = ok(&["sale", "--data", &data, "--resume", &id, "--scan", "6907992100012", "--tender", "cash:10", "--format", "json"]);
    let sale: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sale["total_minor"].as_i64(), Some(650));
    assert_eq!(ok(&["suspended", "list", "--data", &data]), "");

    let out = ok(&["sale", "--data", &data, "--scan", "6920152400012", "--suspend", "walked away"]);
    let id = out.lines().last().unwrap().strip_prefix("basket_id: ").unwrap().to_string();
    let out = edge(&["suspended", "void", &id, "--data", &data, "--user", "c01", "--pin", "1234", "--reason", "walked away"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("forbidden"));
    ok(&["suspended", "void", &id, "--data", &data, "--user", "s01", "--pin", "9001", "--reason", "walked away"]);
    let export = ok(&["journal", "export", "--data", &data]);
    assert!(export.contains("\"type\":\"sale_voided\"") && export.contains("walked away"));
    assert!(ok(&["journal", "verify", "--data", &data]).contains("journal OK"));
}

#[test]
fn a_suspended_sale_keeps_who_served_the_customer() {
    let dir = store();
    let data = data(&dir);
    let out = ok(&["sale", "--data", &data, "--scan", "6901234567892", "--served-by", "c01", "--suspend", "back soon"]);
    let id = out.lines().last().unwrap().strip_prefix("basket_id: ").unwrap().to_string();
    ok(&["sale", "--data", &data, "--resume", &id, "--tender", "cash:10"]);
    let report = ok(&["report", "commissions", "--data", &data]);
    assert!(report.lines().any(|l| l.starts_with("c01\t1\t")), "the resumed sale is credited to c01:\n{report}");
}

#[test]
fn commission_rules_are_refused_and_saved_in_the_users_language() {
    let dir = store();
    let data = data(&dir);
    let rules = dir.path().join("rules.json");
    let rules = rules.to_str().unwrap();
    std::fs::write(rules, r#"{"default_bp": 100, "by_category": {"cosmetics": 20000}}"#).unwrap();
    for (lang, expected) in [("zh", "提成比例不能超过 100%（10000 bp）：cosmetics 20000 bp"), ("en", "a commission rate cannot be over 100 % (10000 bp): cosmetics 20000 bp")] {
        let out = edge(&["report", "commission-rules", "--data", &data, "--set", rules, "--lang", lang]);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains(expected), "{}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::write(rules, "{").unwrap();
    let out = edge(&["report", "commission-rules", "--data", &data, "--set", rules, "--lang", "zh"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("提成规则的 JSON 有误："), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(rules, r#"{"default_bp": 100, "by_category": {"cosmetics": 500}}"#).unwrap();
    let out = edge(&["report", "commission-rules", "--data", &data, "--set", rules, "--lang", "zh"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stderr).contains("提成规则已保存"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"cosmetics\": 500"));
}

#[test]
fn decodes_barcode_pictures() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/barcodes");
    let qr = format!("{fixtures}/receipt-qr.png");
    let ean = format!("{fixtures}/cola-ean13.png");
    let out = ok(&["decode", &qr, &ean]);
    assert_eq!(out, format!("{qr}\tQR_CODE\t01a20146b95e73aab3a33053b78143f1\n{ean}\tEAN_13\t6901234567892\n"));
    let out = edge(&["decode", &qr, "/no/such.png"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such.png"));
}

#[test]
fn the_demo_store_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = ok(&["demo", "--data", data.to_str().unwrap(), "--sales", "6"]);
    for expected in ["products 2392", "receipts printed 6", "One of the receipts, as the printer decoded", "scanned 2010001000006", "weighed 2010001000006 1.234 kg", "customer display:", "Z report (shift close)", "Sales report", "journal OK:"] {
        assert!(out.contains(expected), "the demo prints {expected:?}:\n{out}");
    }
    // The store it leaves behind is a working store.
    assert!(ok(&["journal", "verify", "--data", data.to_str().unwrap()]).contains("journal OK"));
    assert_eq!(ok(&["print", "queue", "--data", data.to_str().unwrap()]), "", "every receipt printed");
}

#[test]
fn members_promotions_and_coupons_from_the_command_line() {
    let dir = store();
    let data = data(&dir);
    let out = ok(&["member", "register", "--data", &data, "--phone", "13800138000", "--name", "Wang Fang", "--birthday", "3-8"]);
    assert!(out.contains("member registered: M") && out.contains("tier: Member") && out.contains("birthday: 03-08"), "{out}");
    let code = out.lines().find_map(|l| l.strip_prefix("referral code: ")).unwrap().to_string();
    let out = ok(&["member", "register", "--data", &data, "--phone", "13900139000", "--name", "Li Lei", "--referral", &code]);
    assert!(out.contains("points: 0"), "{out}");
    assert!(ok(&["member", "show", "--data", &data, "13800138000"]).contains("points: 100"), "the referrer earned 100 points");
    let again = edge(&["member", "register", "--data", &data, "--phone", "13800138000", "--name", "Again"]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("13800138000 is already registered"), "{}", String::from_utf8_lossy(&again.stderr));

    let coupon = dir.path().join("coupon.json");
    std::fs::write(&coupon, r#"{"id": "NEW2", "kind": {"Cash": {"off": 200}}, "scope": "All", "window": {"from_ms": 0, "to_ms": 4102444800000}, "group": "welcome", "uses": "Single"}"#).unwrap();
    ok(&["coupon", "put", "--data", &data, coupon.to_str().unwrap()]);
    std::fs::write(&coupon, r#"{"id": "BAD", "kind": {"Cash": {"off": -5}}, "scope": "All", "window": {"from_ms": 0, "to_ms": 4102444800000}, "group": "g", "uses": "Single"}"#).unwrap();
    let bad = edge(&["coupon", "put", "--data", &data, coupon.to_str().unwrap()]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("BAD"), "{}", String::from_utf8_lossy(&bad.stderr));
    assert_eq!(ok(&["coupon", "list", "--data", &data]).trim(), "NEW2\tused 0/1");

    // Wang pays 1.00 with points and uses the coupon: 3 bags of chips, 23.70 − 2.00.
    let out = ok(&["sale", "--data", &data, "--scan", "6920152400012", "--qty", "3", "--member", "13800138000", "--coupon", "NEW2", "--tender", "points:1.00:13800138000", "--tender", "cash:30"]);
    assert!(out.contains("¥2 coupon") && out.contains("Points earned") && out.contains("Total                     ¥21.70"), "{out}");
    assert_eq!(ok(&["coupon", "list", "--data", &data]).trim(), "NEW2\tused 1/1");
    // 100 + 20 earned on the 20.70 paid in cash − 100 spent.
    assert!(ok(&["member", "show", "--data", &data, "13800138000"]).contains("points: 20"));
    let out = edge(&["sale", "--data", &data, "--scan", "6920152400012", "--member", "13800138000", "--coupon", "NEW2", "--tender", "cash:10"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stderr).contains("coupon not used NEW2: already used up"), "{}", String::from_utf8_lossy(&out.stderr));

    // Points for a reward: a bag of chips for 15 points (Wang has 20 + 7 earned since).
    let program = dir.path().join("program.json");
    let mut json: serde_json::Value = serde_json::from_str(&ok(&["member", "program", "--data", &data])).unwrap();
    json["rewards"] = serde_json::json!([{"sku": "SNK-1", "points": 15}]);
    std::fs::write(&program, json.to_string()).unwrap();
    assert!(ok(&["member", "program", "--data", &data, "--set", program.to_str().unwrap()]).contains("\"SNK-1\""));
    let out = ok(&["member", "redeem", "--data", &data, "--member", "13800138000", "--line", "SNK-1:1"]);
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("Points redemption") && words.contains("Points used 15 Points left 12"), "{out}");
    let refused = edge(&["member", "redeem", "--data", &data, "--member", "13800138000", "--line", "SNK-1:1"]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("has 12 points, not enough for 15"), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(ok(&["journal", "verify", "--data", &data]).contains("journal OK"));
}

#[test]
fn analytics_reports_as_tables_and_csv() {
    let dir = store();
    let data = data(&dir);
    let d = data.as_str();
    ok(&["shift", "open", "--data", d, "--user", "c01", "--pin", "1234", "--float", "100"]);
    let out = ok(&["sale", "--data", d, "--scan", "6901234567892", "--qty", "2", "--scan", "6920152400012", "--tender", "cash:20"]);
    let sale_id = out.lines().last().unwrap().strip_prefix("sale_id: ").unwrap().to_string();
    ok(&["shift", "close", "--data", d, "--user", "c01", "--pin", "1234", "--counted", "114.90"]);
    ok(&["sale", "--data", d, "--scan", "2000001000007", "--qty", "0.532", "--tender", "mobile:3.71"]);
    ok(&["refund", "--data", d, "--sale", &sale_id, "--line", "1", "--qty", "1"]);

    // 14.90 + 3.71 sold, 3.50 back: 15.11 net over two sales.
    let csv = ok(&["report", "analytics", "--data", d, "--by", "category", "--csv"]);
    assert_eq!(csv, "Category,Items,Sold,Discounts,Refunded,Net,Share\r\nsnacks,1,7.90,0.00,0.00,7.90,52.3%\r\nproduce,1,3.71,0.00,0.00,3.71,24.6%\r\ndrinks,1,7.00,0.00,3.50,3.50,23.2%\r\nTotal,3,18.61,0.00,3.50,15.11,100.0%\r\n");
    let basket = ok(&["report", "analytics", "--data", d, "--by", "basket", "--lang", "zh"]);
    assert!(basket.starts_with("客单价与客单件数  全部日期\n"), "{basket}");
    assert!(basket.contains("客单价（净额/笔数）     7.56\n") && basket.contains("客单件数（件数/笔数）   1.50\n"), "{basket}");
    let cashiers = ok(&["report", "analytics", "--data", d, "--by", "cashier"]);
    assert!(cashiers.contains("\nc01          1        1      2  14.90      3.50  11.40       11.40\n"), "{cashiers}");
    let slow = ok(&["report", "analytics", "--data", d, "--by", "slow", "--limit", "2", "--csv"]);
    assert_eq!(slow.lines().count(), 3, "{slow}");
    // No member bought and the store has no gate: the reports say so.
    let members = ok(&["report", "analytics", "--data", d, "--by", "members"]);
    assert!(members.contains("\nTotal            0      -      0  0.00             -\n") && members.contains("- (no member bought in the period)"), "{members}");
    assert_eq!(ok(&["report", "analytics", "--data", d, "--by", "members", "--list-members", "--csv"]), "Member,Last purchase,Recency (days),Sales,Refunds,Net,R,F,M,Segment\r\n");
    let conversion = ok(&["report", "analytics", "--data", d, "--by", "conversion", "--lang", "zh"]);
    assert!(conversion.starts_with("客流转化率  全部日期\n") && conversion.contains("期间内没有闸机进店记录"), "{conversion}");
    let out = edge(&["report", "analytics", "--data", d, "--by", "day", "--list-members"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--list-members goes with --by members"), "{out:?}");

    let out = edge(&["report", "analytics", "--data", d, "--by", "day", "--from", "2026-11-31"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("date `2026-11-31` must be a real date"), "{out:?}");
    let out = edge(&["report", "analytics", "--data", d, "--by", "month"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("possible values: hour, day, week"), "{out:?}");
}

#[test]
fn a_purchase_order_amended_then_cancelled_and_a_place_counted() {
    let dir = store();
    let data = data(&dir);
    ok(&["supplier", "add", "--data", &data, "--id", "COKE", "--name", "Swire", "--lead-time-days", "2"]);
    let out = ok(&["po", "create", "--data", &data, "--supplier", "COKE", "--line", "DRK-1:24:1.80"]);
    let po = out.lines().next().unwrap().strip_prefix("purchase order placed: ").unwrap().to_string();
    ok(&["po", "receive", "--data", &data, "--po", &po, "--line", "DRK-1:20"]);
    let before = journal_len(&dir);
    let out = edge(&["po", "amend", "--data", &data, "--po", &po, "--line", "DRK-1:19"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("DRK-1: cannot order 19, 20 already received"), "{out:?}");
    let out = edge(&["po", "amend", "--data", &data, "--po", &po, "--line", "SNK-1:6"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("SNK-1 is not on the order yet; give its cost as SKU:QTY:COST"), "{out:?}");
    assert_eq!(journal_len(&dir), before, "nothing recorded");
    // The colas keep their cost; chips join the order.
    let out = ok(&["po", "amend", "--data", &data, "--po", &po, "--line", "DRK-1:30", "--line", "SNK-1:6:4.50"]);
    assert!(out.contains("partly received") && out.contains("DRK-1\tordered 30\treceived 20\toutstanding 10") && out.contains("SNK-1\tordered 6\treceived 0\toutstanding 6"), "{out}");
    let out = ok(&["po", "cancel", "--data", &data, "--po", &po, "--reason", "out of stock"]);
    assert!(out.contains("cancelled: out of stock") && out.contains("DRK-1\tordered 30\treceived 20\toutstanding 0\tover 0\tcancelled before it came 10"), "{out}");
    let out = edge(&["po", "receive", "--data", &data, "--po", &po, "--line", "DRK-1:10"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is cancelled"), "{out:?}");

    // The 20 colas went to the backroom: count it.
    let out = ok(&["stocktake", "open", "--data", &data, "--location", "backroom"]);
    let take = out.trim().strip_prefix("stocktake opened: ").unwrap().to_string();
    ok(&["stocktake", "count", "--data", &data, "--id", &take, "--scan", "DRK-1", "--qty", "18"]);
    let out = ok(&["stocktake", "post", "--data", &data, "--id", &take]);
    assert!(out.contains("(whole store, backroom)") && out.contains("DRK-1\t20\t18\t-2"), "{out}");
    assert_eq!(ok(&["stock", "show", "--data", &data, "--sku", "DRK-1"]), "DRK-1\t18\teach\tbackroom 18\n");
    assert!(ok(&["journal", "verify", "--data", &data]).contains("journal OK"));
}

#[test]
fn a_listing_piped_into_head_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    ok(&["init", "--data", data, "--store", "S1"]);
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/catalog.csv");
    ok(&["import", "products", catalog.to_str().unwrap(), "--data", data]);
    // Every product as a slow seller: far more than a pipe holds, so the listing finds the
    // pipe closed once `head` has its line.
    let script = format!("'{}' report analytics --data '{data}' --by slow --limit 100000 | head -n 1", env!("CARGO_BIN_EXE_opentill-edge"));
    let out = std::process::Command::new("sh").args(["-c", &script]).env("OPENTILL_LANG", "en").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), "Slow sellers  all dates");
}
