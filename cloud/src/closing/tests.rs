use expect_test::{Expect, expect};
use opentill_core::money::Currency;
use opentill_core::refund::{RefundLine, RefundRecord};
use opentill_core::catalog::Unit;
use opentill_core::sale::{SaleLine, SaleRecord};
use opentill_core::tax::{TaxMode, TaxRate};
use opentill_core::tender::{AppliedTender, TenderKind};

use super::*;

fn tenders(list: &[(TenderKind, i64)]) -> Vec<AppliedTender> {
    list.iter().map(|&(kind, amount)| AppliedTender { kind, amount, reference: None }).collect()
}

pub(crate) fn sale(id: &str, total: i64, tax: i64, paid: &[(TenderKind, i64)]) -> Fact {
    Fact::Sale(SaleRecord {
        sale_id: id.into(),
        shift_id: None,
        cashier: None,
        currency: Currency::CNY,
        tax_mode: TaxMode::Inclusive,
        lines: vec![SaleLine {
            sku: "S".into(),
            name: "Item".into(),
            name_zh: "商品".into(),
            category: "c".into(),
            unit: Unit::Each,
            qty: 1,
            unit_price: total,
            catalog_price: None,
            override_by: None,
            gross: total,
            discount: 0,
            promo_saving: 0,
            rounding: 0,
            tax_rate: TaxRate(1300),
            tax,
            amount: total,
        }],
        voided: Vec::new(),
        subtotal: total,
        discount: 0,
        promo_saving: 0,
        offers: Vec::new(),
        member: None,
        served_by: None,
        points_earned: 0,
        rounding: 0,
        tax,
        total,
        tenders: tenders(paid),
        cash_given: 0,
        change: 0,
    })
}

pub(crate) fn refund(id: &str, sale_id: &str, total: i64, tax: i64, paid: &[(TenderKind, i64)]) -> Fact {
    Fact::Refund(RefundRecord {
        refund_id: id.into(),
        sale_id: sale_id.into(),
        shift_id: None,
        by: None,
        lines: vec![RefundLine { line_idx: 0, sku: "S".into(), qty: 1, amount: total, tax }],
        total,
        tenders: tenders(paid),
        restock: true,
        member: None,
        points_reversed: 0,
    })
}

pub(crate) fn render_figures(f: &Figures) -> String {
    let tenders: Vec<String> = f.by_tender.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "entries {} (unreadable {}), sales {} refunds {}: sold {} refunded {} net {} tax {} [{}]",
        f.n_entries,
        f.n_unreadable,
        f.n_sales,
        f.n_refunds,
        f.sales_minor,
        f.refunds_minor,
        f.net_minor,
        f.tax_minor,
        tenders.join(" ")
    )
}

fn render_fold(fold: &DayFold) -> String {
    let mut out = format!("in period: {}\n", render_figures(&fold.in_period));
    for late in &fold.late {
        out += &format!("late {}: {}\n", late.date, render_figures(&late.figures));
    }
    out
}

const CN: i32 = 480;

fn day(text: &str) -> i64 {
    parse_day(text).unwrap()
}

/// Unix ms of a local time at +08:00, `2026-10-30 23:59`.
fn at(text: &str) -> i64 {
    let (date, time) = text.split_once(' ').unwrap();
    let (h, m) = time.split_once(':').unwrap();
    opentill_core::time::parse_date_ms(date, CN).unwrap() + (h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()) * 60_000
}

#[test]
fn periods_parse_and_bound() {
    let mut out = String::new();
    for text in ["2026-10-30", "2026-10", "2026", "2024-02", "2026-12", "2026-02-29", "2026-13", "26", "2026-1-5", "x026", "1969", "2026-10-3a"] {
        match Period::parse(text) {
            Some(p) => {
                out += &format!(
                    "{text}: {} {}..{} from {} to {} next {}\n",
                    p.kind().name(),
                    day_text(p.first_day()),
                    day_text(p.last_day()),
                    local_text(p.start_ms(CN), 0),
                    local_text(p.end_ms(CN), 0),
                    p.next().text()
                );
                assert_eq!(Period::parse(&p.text()), Some(p));
            }
            None => out += &format!("{text}: not a period\n"),
        }
    }
    expect![[r#"
        2026-10-30: day 2026-10-30..2026-10-30 from 2026-10-29 16:00 +00:00 to 2026-10-30 16:00 +00:00 next 2026-10-31
        2026-10: month 2026-10-01..2026-10-31 from 2026-09-30 16:00 +00:00 to 2026-10-31 16:00 +00:00 next 2026-11
        2026: year 2026-01-01..2026-12-31 from 2025-12-31 16:00 +00:00 to 2026-12-31 16:00 +00:00 next 2027
        2024-02: month 2024-02-01..2024-02-29 from 2024-01-31 16:00 +00:00 to 2024-02-29 16:00 +00:00 next 2024-03
        2026-12: month 2026-12-01..2026-12-31 from 2026-11-30 16:00 +00:00 to 2026-12-31 16:00 +00:00 next 2027-01
        2026-02-29: not a period
        2026-13: not a period
        26: not a period
        2026-1-5: not a period
        x026: not a period
        1969: not a period
        2026-10-3a: not a period
    "#]]
    .assert_eq(&out);
}

#[test]
fn offsets() {
    let out: Vec<String> = ["+08:00", "-05:30", "+0800", "Z", "+14:00", "+14:30", "08:00", "+8", "+08:60", "-00:00"].iter().map(|t| format!("{t} {:?}", parse_offset(t).map(offset_text))).collect();
    expect![[r#"
        +08:00 Some("+08:00")
        -05:30 Some("-05:30")
        +0800 Some("+08:00")
        Z Some("+00:00")
        +14:00 Some("+14:00")
        +14:30 None
        08:00 None
        +8 None
        +08:60 None
        -00:00 Some("+00:00")"#]]
    .assert_eq(&out.join("\n"));
}

/// The counting rule: day 2026-10-31 closed with till-1 held to 10 and till-2 to 4,
/// after 2026-10-30 closed with till-1 held to 6 (till-2 unheard of then).
#[test]
fn which_entries_a_day_closing_counts() {
    let cursor: Cursor = [("till-1".to_string(), 10), ("till-2".to_string(), 4)].into();
    let prev: Cursor = [("till-1".to_string(), 6)].into();
    let mut out = String::new();
    for (node, seq, date, why) in [
        ("till-1", 3, "2026-10-30", "closed on the 30th"),
        ("till-1", 7, "2026-10-30", "dated the 30th, arrived after it closed"),
        ("till-1", 8, "2026-10-31", "the day's own"),
        ("till-1", 5, "2026-10-31", "held at the last closing, dated later"),
        ("till-1", 11, "2026-10-31", "not held yet at this closing"),
        ("till-1", 9, "2026-11-01", "dated after the day"),
        ("till-2", 2, "2026-10-29", "a node that was behind"),
        ("till-2", 4, "2026-10-31", "a node that was behind"),
        ("till-3", 1, "2026-10-31", "a node not in the cursor"),
    ] {
        let counted = counted_in(day(date), node, seq, day("2026-10-31"), &cursor, Some((day("2026-10-30"), &prev)));
        out += &format!("{node} #{seq} of {date} ({why}): {counted:?}\n");
    }
    expect![[r#"
        till-1 #3 of 2026-10-30 (closed on the 30th): None
        till-1 #7 of 2026-10-30 (dated the 30th, arrived after it closed): Some(Late)
        till-1 #8 of 2026-10-31 (the day's own): Some(InPeriod)
        till-1 #5 of 2026-10-31 (held at the last closing, dated later): Some(InPeriod)
        till-1 #11 of 2026-10-31 (not held yet at this closing): None
        till-1 #9 of 2026-11-01 (dated after the day): None
        till-2 #2 of 2026-10-29 (a node that was behind): Some(Late)
        till-2 #4 of 2026-10-31 (a node that was behind): Some(InPeriod)
        till-3 #1 of 2026-10-31 (a node not in the cursor): None
    "#]]
    .assert_eq(&out);
}

#[test]
fn a_day_folds_sales_refunds_tenders_tax_and_late_entries() {
    let facts: Vec<(&str, u64, &str, Vec<u8>)> = vec![
        ("till-1", 1, "2026-10-31 00:00", serde_json::to_vec(&sale("s1", 1000, 115, &[(TenderKind::Cash, 600), (TenderKind::MobilePay, 400)])).unwrap()),
        ("till-1", 2, "2026-10-31 12:30", serde_json::to_vec(&sale("s2", 2550, 293, &[(TenderKind::Card, 2550)])).unwrap()),
        ("till-1", 3, "2026-10-31 23:59", serde_json::to_vec(&refund("r1", "s1", 400, 46, &[(TenderKind::MobilePay, 400)])).unwrap()),
        ("till-1", 4, "2026-10-31 23:59", serde_json::to_vec(&Fact::NoSale { shift_id: None, by: "c01".into(), reason: "change".into() }).unwrap()),
        ("till-1", 5, "2026-11-01 00:00", serde_json::to_vec(&sale("s3", 999, 0, &[(TenderKind::Cash, 999)])).unwrap()),
        ("till-2", 1, "2026-10-30 18:00", serde_json::to_vec(&sale("s4", 300, 0, &[(TenderKind::StoredValue, 300)])).unwrap()),
        ("till-2", 2, "2026-10-30 19:00", br#"{"type":"gift_card","amount":500}"#.to_vec()),
    ];
    let entries: Vec<EntryRef> = facts.iter().map(|(node, seq, time, body)| EntryRef { node_id: node, seq: *seq, ts_ms: at(time), body }).collect();
    let cursor: Cursor = [("till-1".to_string(), 5), ("till-2".to_string(), 2)].into();
    let prev: Cursor = Cursor::new();
    let fold = fold_day(entries.iter().copied(), day("2026-10-31"), CN, &cursor, Some((day("2026-10-30"), &prev)));
    expect![[r#"
        in period: entries 4 (unreadable 0), sales 2 refunds 1: sold 3550 refunded 400 net 3150 tax 362 [card=2550 cash=600 mobile=0]
        late 2026-10-30: entries 2 (unreadable 1), sales 1 refunds 0: sold 300 refunded 0 net 300 tax 0 [stored=300]
    "#]]
    .assert_eq(&render_fold(&fold));
    // The money agrees with what ingest adds to the store's totals.
    let entries: Vec<opentill_sync::journal::Entry> =
        facts.iter().map(|(node, seq, time, body)| opentill_sync::journal::seal(&SigningKey::from_bytes(&[1; 32]), node, *seq, at(time), "x", GENESIS, body.clone())).collect();
    let (totals, unreadable) = crate::ingest::totals_of(&entries);
    let mut all = Figures::default();
    for e in &entries {
        all.add_entry(&e.body);
    }
    assert_eq!((all.n_entries, all.n_sales, all.sales_minor, all.n_refunds, all.refunds_minor), (totals.n_entries, totals.n_sales, totals.sales_minor, totals.n_refunds, totals.refunds_minor));
    assert_eq!(all.n_unreadable as usize, unreadable.len());
}

fn progress(node: &str, acked: u64, reported: u64, seen: Option<&str>, head: Option<&str>) -> NodeProgress {
    NodeProgress { node_id: node.into(), acked_seq: acked, reported_head: reported, last_seen_ms: seen.map(at), head_ts_ms: head.map(at) }
}

#[test]
fn which_nodes_hold_a_day_back() {
    let nodes = [
        progress("a-entry-after-the-end", 9, 12, Some("2026-10-31 20:00"), Some("2026-11-01 00:00")),
        progress("b-hello-after-the-end-all-held", 9, 9, Some("2026-11-01 08:00"), Some("2026-10-31 17:00")),
        progress("c-hello-after-the-end-some-pending", 9, 12, Some("2026-11-01 08:00"), Some("2026-10-31 17:00")),
        progress("d-last-hello-before-the-end", 9, 9, Some("2026-10-31 23:00"), Some("2026-10-31 17:00")),
        progress("e-never-heard", 0, 0, None, None),
        progress("f-idle-since-enrolment", 0, 0, Some("2026-11-01 00:00"), None),
    ];
    let behind = nodes_behind(&nodes, Period::Day(day("2026-10-31")).end_ms(CN));
    let out: Vec<String> = behind.iter().map(|n| n.text(CN, Lang::En)).chain(behind.iter().map(|n| n.text(CN, Lang::Zh))).collect();
    expect![[r#"
        c-hello-after-the-end-some-pending (the cloud holds 9 of the 12 entries it announced)
        d-last-hello-before-the-end (last heard from at 2026-10-31 23:00 +08:00)
        e-never-heard (never heard from)
        c-hello-after-the-end-some-pending (云端已收 9 / 12 条分录)
        d-last-hello-before-the-end (最后同步于 2026-10-31 23:00 +08:00)
        e-never-heard (从未同步)"#]]
    .assert_eq(&out.join("\n"));
}

fn render_check(result: Result<(), Refusal>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(r) => format!("{}: {}", r.kind(), r.message(Lang::En)),
    }
}

fn span(first: &str, last: &str) -> Option<Span> {
    Some((Period::parse(first).unwrap(), Period::parse(last).unwrap()))
}

#[test]
fn the_rules_for_closing_a_day() {
    let check = |period: &str, closed: Option<Span>, earliest: Option<&str>, now: &str, expect: Expect| {
        expect.assert_eq(&render_check(check_day(Period::parse(period).unwrap(), closed, earliest.map(day), CN, at(now))));
    };
    check("2026-10-31", None, Some("2026-10-31"), "2026-11-01 00:00", expect!["ok"]);
    check("2026-10-31", None, None, "2026-11-01 00:00", expect!["ok"]);
    check("2026-10-31", None, Some("2026-11-05"), "2026-11-01 00:00", expect!["ok"]);
    check("2026-10-31", None, Some("2026-10-29"), "2026-11-01 00:00", expect!["out_of_order: periods are closed in order: close 2026-10-29 before 2026-10-31"]);
    check("2026-10-31", None, None, "2026-10-31 23:59", expect!["not_over: 2026-10-31 is not over until 2026-11-01 00:00 +08:00; it cannot be closed yet"]);
    check("2026-10-31", span("2026-10-29", "2026-10-30"), None, "2026-11-01 00:00", expect!["ok"]);
    check("2026-10-30", span("2026-10-29", "2026-10-30"), None, "2026-11-01 00:00", expect!["already_closed: 2026-10-30 is already closed; a closing is never repeated or changed"]);
    check("2026-10-29", span("2026-10-29", "2026-10-30"), None, "2026-11-01 00:00", expect!["already_closed: 2026-10-29 is already closed; a closing is never repeated or changed"]);
    check(
        "2026-10-28",
        span("2026-10-29", "2026-10-30"),
        None,
        "2026-11-01 00:00",
        expect!["before_first: 2026-10-28 is before the store's first closing (2026-10-29) and cannot be closed; its entries count as late entries of the next closing"],
    );
    check("2026-11-01", span("2026-10-29", "2026-10-30"), None, "2026-11-02 00:00", expect!["out_of_order: periods are closed in order: close 2026-10-31 before 2026-11-01"]);
}

#[test]
fn the_rules_for_closing_a_month_or_a_year() {
    let check = |period: &str, closed: Option<Span>, parts: Option<Span>, now: &str, expect: Expect| {
        expect.assert_eq(&render_check(check_aggregate(Period::parse(period).unwrap(), closed, parts, CN, at(now))));
    };
    check("2026-10", None, span("2026-10-29", "2026-10-31"), "2026-11-01 00:00", expect!["ok"]);
    check("2026-10", None, span("2026-10-29", "2026-10-30"), "2026-11-01 00:00", expect!["parts_open: 2026-10 cannot be closed until all its parts are closed; the next to close is 2026-10-31"]);
    check("2026-10", None, None, "2026-11-01 00:00", expect!["parts_open: 2026-10 cannot be closed until all its parts are closed; the next to close is 2026-10-01"]);
    check("2026-10", None, span("2026-10-29", "2026-11-02"), "2026-10-31 23:00", expect!["not_over: 2026-10 is not over until 2026-11-01 00:00 +08:00; it cannot be closed yet"]);
    check("2026-11", None, span("2026-10-29", "2026-11-30"), "2026-12-01 00:00", expect!["out_of_order: periods are closed in order: close 2026-10 before 2026-11"]);
    check(
        "2026-09",
        None,
        span("2026-10-29", "2026-11-30"),
        "2026-12-01 00:00",
        expect!["before_first: 2026-09 is before the store's first closing (2026-10) and cannot be closed; its entries count as late entries of the next closing"],
    );
    check("2026-11", span("2026-10", "2026-10"), span("2026-10-29", "2026-11-30"), "2026-12-01 00:00", expect!["ok"]);
    check("2026-10", span("2026-10", "2026-10"), span("2026-10-29", "2026-11-30"), "2026-12-01 00:00", expect!["already_closed: 2026-10 is already closed; a closing is never repeated or changed"]);
    check("2026", None, span("2026-10", "2026-11"), "2027-01-01 00:00", expect!["parts_open: 2026 cannot be closed until all its parts are closed; the next to close is 2026-12"]);
    check("2026", None, span("2026-10", "2026-12"), "2027-01-01 00:00", expect!["ok"]);
    check("2027", span("2026", "2026"), span("2026-10", "2027-03"), "2028-01-01 00:00", expect!["parts_open: 2027 cannot be closed until all its parts are closed; the next to close is 2027-04"]);
}

fn part(period: &str, in_period: Figures, late: &[(&str, Figures)]) -> Closing {
    let p = Period::parse(period).unwrap();
    Closing {
        version: VERSION,
        store_id: "S".into(),
        kind: p.kind(),
        period: period.into(),
        chain_seq: 1,
        prev_hash: hex::encode(GENESIS),
        utc_offset_min: CN,
        from_ms: p.start_ms(CN),
        to_ms: p.end_ms(CN),
        closed_ms: 0,
        cursor: Cursor::new(),
        parts: Vec::new(),
        in_period,
        late: late.iter().map(|(d, f)| LateDay { date: d.to_string(), figures: f.clone() }).collect(),
        total: Figures::default(),
        perpetual: Figures::default(),
        forced: false,
        incomplete_nodes: Vec::new(),
        signer: String::new(),
    }
    .with_totals(None)
}

fn net(n: i64) -> Figures {
    let mut f = Figures::default();
    f.add_fact(&sale("s", n, 0, &[(TenderKind::Cash, n)]));
    f.n_entries = 1;
    f
}

#[test]
fn a_month_sums_its_days_and_keeps_only_earlier_dates_late() {
    let days = [part("2026-10-30", net(100), &[("2026-10-28", net(7))]), part("2026-10-31", net(200), &[("2026-10-30", net(30)), ("2026-09-30", net(5))])];
    let fold = sum_parts(Period::parse("2026-10").unwrap(), &days.iter().collect::<Vec<_>>());
    expect![[r#"
        in period: entries 4 (unreadable 0), sales 4 refunds 0: sold 337 refunded 0 net 337 tax 0 [cash=337]
        late 2026-09-30: entries 1 (unreadable 0), sales 1 refunds 0: sold 5 refunded 0 net 5 tax 0 [cash=5]
    "#]]
    .assert_eq(&render_fold(&fold));
    let month = part("2026-10", fold.in_period, &[("2026-09-30", net(5))]);
    assert_eq!(month.total, Figures::sum(days.iter().map(|d| &d.total)), "a month's total is its days' totals");
}

#[test]
fn a_sealed_closing_checks_and_every_kind_of_tampering_is_named() {
    let key = SigningKey::from_bytes(&[3; 32]);
    let mut closing = part("2026-10-31", net(100), &[]);
    closing.signer = hex::encode(key.verifying_key().as_bytes());
    let sealed = closing.seal(&key);
    let verifying = key.verifying_key();
    assert_eq!(check_stored(&sealed.stored(), &verifying), Ok(sealed.closing.clone()));
    let check = |tamper: &dyn Fn(&mut StoredClosing), expect: Expect| {
        let mut stored = sealed.stored();
        tamper(&mut stored);
        expect.assert_eq(&check_stored(&stored, &verifying).unwrap_err());
    };
    let edit = |s: &mut StoredClosing| s.body = String::from_utf8(s.body.clone()).unwrap().replacen("\"net_minor\":100", "\"net_minor\":90", 1).into_bytes();
    check(&edit, expect!["hash mismatch: the closing was altered"]);
    // Edited and re-hashed by someone without the cloud's key.
    check(
        &|s| {
            edit(s);
            s.hash = closing_hash(&s.body);
        },
        expect!["bad signature: not signed by this cloud's key"],
    );
    check(&|s| s.period = "2026-10-30".into(), expect!["the stored columns (store, kind, period, seq, previous hash, time) do not match the signed body"]);
    // Signed by another key that claims to be this cloud's.
    let other = SigningKey::from_bytes(&[4; 32]);
    let forged = sealed.closing.clone().seal(&other).stored();
    assert_eq!(check_stored(&forged, &verifying).unwrap_err(), "bad signature: not signed by this cloud's key");
}
