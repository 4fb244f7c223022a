//! The closing rules against real ledgers (SQLite and PostgreSQL alike), fed through
//! [`crate::ingest::handle`] by in-process replicas whose entries carry chosen timestamps,
//! with the cloud's clock passed in.

use ed25519_dalek::SigningKey;
use expect_test::{Expect, expect};
use opentill_core::journal::Fact;
use opentill_core::tender::TenderKind;
use opentill_sync::protocol::{Hello, Message};
use opentill_sync::{Replica, StoreSettings};

use super::*;
use crate::closing::tests::{refund, render_figures, sale};
use crate::ingest::{Reply, handle};
use crate::ledger::{EnrolOutcome, StorePath};
use crate::test_db::{Backend, TestDb, on_both_backends};

on_both_backends!(
    days_close_in_order_when_every_node_is_heard_from_and_late_entries_go_to_the_next_day,
    a_year_needs_its_months_and_its_months_their_days,
    verify_names_an_edited_closing_a_broken_chain_and_a_journal_that_changed_underneath,
    reports_across_stores_and_exports_read_back,
);

const CN: i32 = 480;

/// Unix ms of a local time at +08:00: `2026-10-30 23:59`.
fn at(text: &str) -> i64 {
    let (date, time) = text.split_once(' ').unwrap();
    let (h, m) = time.split_once(':').unwrap();
    opentill_core::time::parse_date_ms(date, CN).unwrap() + (h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()) * 60_000
}

fn period(text: &str) -> Period {
    Period::parse(text).unwrap()
}

/// A till: its replica and key.
struct Node {
    replica: Replica,
    key: SigningKey,
    store: &'static str,
    node: &'static str,
    pushed: u64,
}

impl Node {
    fn new(dir: &std::path::Path, ledger: &mut dyn Ledger, store: &'static str, brand: &str, node: &'static str, secret: u8) -> Node {
        let replica = Replica::create(&dir.join(format!("{store}-{node}")), StoreSettings::new(store, node), [secret; 32]).unwrap();
        let code = format!("{store}{node}");
        ledger.add_enrol_code(&StorePath { tenant: "acme".into(), brand: brand.into(), store_id: store.into() }, crate::code_hash(&code), 0, i64::MAX).unwrap();
        let enrolled = ledger.enrol(crate::code_hash(&code), store, node, replica.public_key().to_bytes(), 0).unwrap();
        assert!(matches!(enrolled, EnrolOutcome::Enrolled(_)));
        Node { replica, key: SigningKey::from_bytes(&[secret; 32]), store, node, pushed: 0 }
    }

    fn record(&mut self, when: &str, fact: Fact) {
        self.replica.append(at(when), &fact).unwrap();
    }

    /// Hello and a batch of everything not pushed yet, at the cloud's `now`.
    fn push(&mut self, ledger: &mut dyn Ledger, now: &str) {
        let (head, _) = self.replica.head().unwrap();
        let hello = Message::Hello(Hello::seal(&self.key, self.store, self.node, at(now), head)).encode();
        assert!(matches!(handle(ledger, &hello, at(now)).unwrap(), Reply::Ack(_)));
        if head > self.pushed {
            let batch = Message::Batch(self.replica.seal_batch(self.pushed + 1..=head).unwrap()).encode();
            assert!(matches!(handle(ledger, &batch, at(now)).unwrap(), Reply::Ack(_)));
            self.pushed = head;
        }
    }

    /// Sales minus refunds over the whole journal.
    fn net(&self) -> i64 {
        self.replica
            .facts()
            .unwrap()
            .iter()
            .map(|(_, f)| match f {
                Fact::Sale(s) => s.total,
                Fact::Refund(r) => -r.total,
                _ => 0,
            })
            .sum()
    }
}

fn render(result: &Result<Sealed, CloseError>) -> String {
    match result {
        Err(e) => format!("refused [{}]: {}", e.kind(), e.message(Lang::En)),
        Ok(sealed) => {
            let c = &sealed.closing;
            let mut out = format!("closed {} {} #{}{}\n", c.kind.name(), c.period, c.chain_seq, if c.forced { " (forced)" } else { "" });
            out += &format!("  in period: {}\n", render_figures(&c.in_period));
            for late in &c.late {
                out += &format!("  late {}: {}\n", late.date, render_figures(&late.figures));
            }
            out += &format!("  perpetual: {}\n", render_figures(&c.perpetual));
            for n in &c.incomplete_nodes {
                out += &format!("  incomplete: {}\n", n.text(c.utc_offset_min, Lang::En));
            }
            out
        }
    }
}

struct World {
    db: TestDb,
    ledger: Box<dyn Ledger>,
    key: SigningKey,
    till1: Node,
    till2: Node,
}

impl World {
    fn new(backend: Backend) -> World {
        let db = TestDb::new(backend);
        let mut ledger = db.open();
        let till1 = Node::new(db.dir(), ledger.as_mut(), "S1", "mart", "till-1", 11);
        let till2 = Node::new(db.dir(), ledger.as_mut(), "S1", "mart", "till-2", 12);
        World { db, ledger, key: SigningKey::from_bytes(&[9; 32]), till1, till2 }
    }

    fn close(&mut self, store: &str, text: &str, force: bool, now: &str, expect: Expect) -> Option<Sealed> {
        let result = close(self.ledger.as_mut(), &self.key, store, period(text), force, at(now));
        expect.assert_eq(&render(&result));
        result.ok()
    }

    fn verify(&self) -> Verified {
        verify_closings(self.ledger.as_ref(), &self.key.verifying_key(), &mut |_, _| {}).unwrap()
    }
}

fn days_close_in_order_when_every_node_is_heard_from_and_late_entries_go_to_the_next_day(backend: Backend) {
    let mut w = World::new(backend);
    w.till1.record("2026-10-30 10:00", sale("a1", 1000, 115, &[(TenderKind::Cash, 1000)]));
    w.till1.record("2026-10-30 11:00", sale("a2", 2000, 230, &[(TenderKind::Card, 2000)]));
    w.till1.record("2026-10-30 12:00", refund("ra1", "a1", 1000, 115, &[(TenderKind::Cash, 1000)]));
    w.till2.record("2026-10-30 15:00", sale("b1", 700, 0, &[(TenderKind::MobilePay, 700)]));
    w.till1.push(w.ledger.as_mut(), "2026-10-31 09:00");

    w.close("S1", "2026-10-31", false, "2026-11-01 09:00", expect!["refused [out_of_order]: periods are closed in order: close 2026-10-30 before 2026-10-31"]);
    w.close("S1", "2026-10-30", false, "2026-10-30 23:59", expect!["refused [not_over]: 2026-10-30 is not over until 2026-10-31 00:00 +08:00; it cannot be closed yet"]);
    w.close(
        "S1",
        "2026-10-30",
        false,
        "2026-10-31 09:00",
        expect!["refused [nodes_behind]: 2026-10-30 cannot be closed: these nodes have not been heard from past its end: till-2 (never heard from) (--force closes it anyway and records them)"],
    );
    w.close("S9", "2026-10-30", false, "2026-10-31 09:00", expect!["refused [unknown_store]: no store S9 in the cloud"]);
    let day1 = w
        .close(
            "S1",
            "2026-10-30",
            true,
            "2026-10-31 09:00",
            expect![[r#"
                closed day 2026-10-30 #1 (forced)
                  in period: entries 3 (unreadable 0), sales 2 refunds 1: sold 3000 refunded 1000 net 2000 tax 230 [card=2000 cash=0]
                  perpetual: entries 3 (unreadable 0), sales 2 refunds 1: sold 3000 refunded 1000 net 2000 tax 230 [card=2000 cash=0]
                  incomplete: till-2 (never heard from)
            "#]],
        )
        .unwrap();
    w.close("S1", "2026-10-30", true, "2026-10-31 10:00", expect!["refused [already_closed]: 2026-10-30 is already closed; a closing is never repeated or changed"]);
    w.close("S1", "2026-10", false, "2026-10-31 10:00", expect!["refused [not_over]: 2026-10 is not over until 2026-11-01 00:00 +08:00; it cannot be closed yet"]);
    w.close("S1", "2026-10", false, "2026-11-01 10:00", expect!["refused [parts_open]: 2026-10 cannot be closed until all its parts are closed; the next to close is 2026-10-31"]);

    // till-2's sale of the 30th arrives after the 30th was closed: it is a late entry of
    // the 31st's closing, and the 30th's closing is untouched.
    w.till1.record("2026-10-31 10:00", sale("a3", 1500, 0, &[(TenderKind::Cash, 1500)]));
    w.till2.record("2026-10-31 16:00", sale("b2", 800, 0, &[(TenderKind::Cash, 800)]));
    w.till2.push(w.ledger.as_mut(), "2026-11-01 08:00");
    w.close(
        "S1",
        "2026-10-31",
        false,
        "2026-11-01 09:00",
        expect!["refused [nodes_behind]: 2026-10-31 cannot be closed: these nodes have not been heard from past its end: till-1 (last heard from at 2026-10-31 09:00 +08:00) (--force closes it anyway and records them)"],
    );
    w.till1.push(w.ledger.as_mut(), "2026-11-01 09:00");
    let day2 = w
        .close(
            "S1",
            "2026-10-31",
            false,
            "2026-11-01 09:30",
            expect![[r#"
                closed day 2026-10-31 #2
                  in period: entries 2 (unreadable 0), sales 2 refunds 0: sold 2300 refunded 0 net 2300 tax 0 [cash=2300]
                  late 2026-10-30: entries 1 (unreadable 0), sales 1 refunds 0: sold 700 refunded 0 net 700 tax 0 [mobile=700]
                  perpetual: entries 6 (unreadable 0), sales 5 refunds 1: sold 6000 refunded 1000 net 5000 tax 230 [card=2000 cash=2300 mobile=700]
            "#]],
        )
        .unwrap();
    assert_eq!(day2.closing.prev_hash, hex::encode(day1.hash), "the chain links the days");
    assert_eq!(w.ledger.closings(Some("S1"), Some(PeriodKind::Day)).unwrap()[0].hash, day1.hash, "the 30th is unchanged");

    // The month sums its days; its perpetual total is the last day's.
    let month = w
        .close(
            "S1",
            "2026-10",
            false,
            "2026-11-01 10:00",
            expect![[r#"
                closed month 2026-10 #1
                  in period: entries 6 (unreadable 0), sales 5 refunds 1: sold 6000 refunded 1000 net 5000 tax 230 [card=2000 cash=2300 mobile=700]
                  perpetual: entries 6 (unreadable 0), sales 5 refunds 1: sold 6000 refunded 1000 net 5000 tax 230 [card=2000 cash=2300 mobile=700]
            "#]],
        )
        .unwrap();
    assert_eq!(month.closing.parts, vec![hex::encode(day1.hash), hex::encode(day2.hash)]);
    assert_eq!(month.closing.total, Figures::sum([&day1.closing.total, &day2.closing.total]));
    assert_eq!(month.closing.perpetual.net_minor, w.till1.net() + w.till2.net(), "the perpetual total is the journals' to the fen");
    assert_eq!(w.ledger.totals().unwrap()[0].totals.sales_minor - w.ledger.totals().unwrap()[0].totals.refunds_minor, month.closing.perpetual.net_minor);
    assert!(!w.ledger.set_utc_offset("S1", 0).unwrap(), "a store with closings keeps its offset");

    let verified = w.verify();
    assert_eq!((verified.checked, verified.problems), (3, vec![]));
}

fn a_year_needs_its_months_and_its_months_their_days(backend: Backend) {
    let mut w = World::new(backend);
    w.till1.record("2026-11-29 10:00", sale("a1", 1000, 0, &[(TenderKind::Cash, 1000)]));
    w.till1.push(w.ledger.as_mut(), "2026-12-01 00:00");
    w.till2.push(w.ledger.as_mut(), "2026-12-01 00:00");
    w.close("S1", "2026-11-29", false, "2026-12-01 00:00", expect![[r#"
        closed day 2026-11-29 #1
          in period: entries 1 (unreadable 0), sales 1 refunds 0: sold 1000 refunded 0 net 1000 tax 0 [cash=1000]
          perpetual: entries 1 (unreadable 0), sales 1 refunds 0: sold 1000 refunded 0 net 1000 tax 0 [cash=1000]
    "#]]);
    w.close("S1", "2026-11-30", false, "2026-12-01 00:00", expect![[r#"
        closed day 2026-11-30 #2
          in period: entries 0 (unreadable 0), sales 0 refunds 0: sold 0 refunded 0 net 0 tax 0 []
          perpetual: entries 1 (unreadable 0), sales 1 refunds 0: sold 1000 refunded 0 net 1000 tax 0 [cash=1000]
    "#]]);
    w.close("S1", "2026-10", false, "2026-12-01 00:00", expect!["refused [before_first]: 2026-10 is before the store's first closing (2026-11) and cannot be closed; its entries count as late entries of the next closing"]);
    w.close("S1", "2026-11", false, "2026-12-01 00:00", expect![[r#"
        closed month 2026-11 #1
          in period: entries 1 (unreadable 0), sales 1 refunds 0: sold 1000 refunded 0 net 1000 tax 0 [cash=1000]
          perpetual: entries 1 (unreadable 0), sales 1 refunds 0: sold 1000 refunded 0 net 1000 tax 0 [cash=1000]
    "#]]);
    w.close("S1", "2026", false, "2027-01-01 00:00", expect!["refused [parts_open]: 2026 cannot be closed until all its parts are closed; the next to close is 2026-12"]);
    // December: a sale of November 29th from till-2 turns up on the 10th.
    w.till2.record("2026-11-29 20:00", sale("b1", 50, 0, &[(TenderKind::Card, 50)]));
    let mut day = period("2026-12-01");
    while day <= period("2026-12-31") {
        if day == period("2026-12-10") {
            w.till2.push(w.ledger.as_mut(), "2026-12-10 12:00");
        }
        w.till1.push(w.ledger.as_mut(), &format!("{} 00:00", day.next().text()));
        w.till2.push(w.ledger.as_mut(), &format!("{} 00:00", day.next().text()));
        close(w.ledger.as_mut(), &w.key, "S1", day, false, at(&format!("{} 00:00", day.next().text()))).unwrap();
        day = day.next();
    }
    w.close("S1", "2026", false, "2027-01-01 00:00", expect!["refused [parts_open]: 2026 cannot be closed until all its parts are closed; the next to close is 2026-12"]);
    w.close("S1", "2026-12", false, "2027-01-01 00:00", expect![[r#"
        closed month 2026-12 #2
          in period: entries 0 (unreadable 0), sales 0 refunds 0: sold 0 refunded 0 net 0 tax 0 []
          late 2026-11-29: entries 1 (unreadable 0), sales 1 refunds 0: sold 50 refunded 0 net 50 tax 0 [card=50]
          perpetual: entries 2 (unreadable 0), sales 2 refunds 0: sold 1050 refunded 0 net 1050 tax 0 [card=50 cash=1000]
    "#]]);
    // Within the year, November's late sale is the year's own.
    w.close("S1", "2026", false, "2027-01-01 00:00", expect![[r#"
        closed year 2026 #1
          in period: entries 2 (unreadable 0), sales 2 refunds 0: sold 1050 refunded 0 net 1050 tax 0 [card=50 cash=1000]
          perpetual: entries 2 (unreadable 0), sales 2 refunds 0: sold 1050 refunded 0 net 1050 tax 0 [card=50 cash=1000]
    "#]]);
    let verified = w.verify();
    assert_eq!((verified.checked, verified.problems), (2 + 31 + 2 + 1, vec![]));
}

fn verify_names_an_edited_closing_a_broken_chain_and_a_journal_that_changed_underneath(backend: Backend) {
    let mut w = World::new(backend);
    w.till1.record("2026-10-30 10:00", sale("a1", 1000, 0, &[(TenderKind::Cash, 1000)]));
    w.till1.record("2026-10-31 10:00", sale("a2", 2000, 0, &[(TenderKind::Cash, 2000)]));
    w.till1.push(w.ledger.as_mut(), "2026-11-01 09:00");
    w.till2.push(w.ledger.as_mut(), "2026-11-01 09:00");
    for d in ["2026-10-30", "2026-10-31", "2026-10"] {
        close(w.ledger.as_mut(), &w.key, "S1", period(d), false, at("2026-11-01 10:00")).unwrap();
    }
    assert!(w.verify().problems.is_empty());
    // Behind the ledger's back, in each backend's SQL.
    let sql = |sqlite: &str, postgres: &str| w.db.raw(if backend == Backend::Sqlite { sqlite } else { postgres });
    let edit = |from: &str, to: &str| {
        sql(
            &format!("UPDATE closings SET body = CAST(replace(CAST(body AS TEXT), '{from}', '{to}') AS BLOB) WHERE period = '2026-10-30'"),
            &format!("UPDATE closings SET body = convert_to(replace(convert_from(body, 'UTF8'), '{from}', '{to}'), 'UTF8') WHERE period = '2026-10-30'"),
        )
    };
    // The triggers refuse an edit; someone with the database drops them first.
    assert!(w.db.raw("UPDATE closings SET closed_ms = 0").unwrap_err().contains("closings are append-only"));
    assert!(w.db.raw("DELETE FROM closings").unwrap_err().contains("closings are append-only"));
    sql(
        "DROP TRIGGER closings_no_update; DROP TRIGGER closings_no_delete; DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;",
        "DROP TRIGGER closings_no_update ON closings; DROP TRIGGER closings_no_delete ON closings; DROP TRIGGER journal_no_update ON journal; DROP TRIGGER journal_no_delete ON journal;",
    )
    .unwrap();
    edit("\"net_minor\":1000", "\"net_minor\":100").unwrap();
    let render = |v: Verified| v.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
    expect![[r#"
        S1 day 2026-10-30 (#1): hash mismatch: the closing was altered
        S1 day 2026-10-30 (#1): figures differ from the journal: net_minor 100 signed, 1000 recomputed
        S1 month 2026-10 (#1): sums closings that are not intact: 2026-10-30"#]]
    .assert_eq(&render(w.verify()));
    // Put it back, take a closing out of the chain, put it back, then remove an entry the
    // 31st counted from the cloud's journal.
    edit("\"net_minor\":100", "\"net_minor\":1000").unwrap();
    assert!(w.verify().problems.is_empty());
    w.db.raw("CREATE TABLE saved AS SELECT * FROM closings WHERE period = '2026-10-30'; DELETE FROM closings WHERE period = '2026-10-30';").unwrap();
    expect![[r#"
        S1 day 2026-10-31 (#2): chain sequence 2 where 1 was expected
        S1 day 2026-10-31 (#2): chain broken: prev_hash is not the previous closing's hash
        S1 day 2026-10-31 (#2): perpetual total is not the previous one plus this total: n_entries 2 signed, 1 recomputed, n_sales 2 signed, 1 recomputed, sales_minor 3000 signed, 2000 recomputed, net_minor 3000 signed, 2000 recomputed, by_tender {"cash": 3000} signed, {"cash": 2000} recomputed
        S1 day 2026-10-31 (#2): late entries differ from the journal: 2026-10-30: n_entries 0 signed, 1 recomputed, n_sales 0 signed, 1 recomputed, sales_minor 0 signed, 1000 recomputed, net_minor 0 signed, 1000 recomputed, by_tender {} signed, {"cash": 1000} recomputed
        S1 month 2026-10 (#1): its parts are not the day closings of 2026-10
        S1 month 2026-10 (#1): figures are not the sum of its parts: n_entries 2 signed, 1 recomputed, n_sales 2 signed, 1 recomputed, sales_minor 3000 signed, 2000 recomputed, net_minor 3000 signed, 2000 recomputed, by_tender {"cash": 3000} signed, {"cash": 2000} recomputed"#]]
    .assert_eq(&render(w.verify()));
    w.db.raw("INSERT INTO closings SELECT * FROM saved;").unwrap();
    assert!(w.verify().problems.is_empty());
    w.db.raw("DELETE FROM journal WHERE seq = 2").unwrap();
    expect!["S1 day 2026-10-31 (#2): figures differ from the journal: n_entries 1 signed, 0 recomputed, n_sales 1 signed, 0 recomputed, sales_minor 2000 signed, 0 recomputed, net_minor 2000 signed, 0 recomputed, by_tender {\"cash\": 2000} signed, {} recomputed"]
        .assert_eq(&render(w.verify()));
}

fn reports_across_stores_and_exports_read_back(backend: Backend) {
    let mut w = World::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let mut other = Node::new(dir.path(), w.ledger.as_mut(), "S2", "express", "till-1", 21);
    w.till1.record("2026-10-30 10:00", sale("a1", 1001, 0, &[(TenderKind::Cash, 601), (TenderKind::MobilePay, 400)]));
    w.till1.record("2026-10-30 11:00", sale("a2", 2000, 0, &[(TenderKind::Card, 2000)]));
    w.till2.record("2026-10-30 12:00", sale("b1", 500, 0, &[(TenderKind::Cash, 500)]));
    w.till2.record("2026-10-30 13:00", refund("rb1", "b1", 500, 0, &[(TenderKind::Cash, 500)]));
    other.record("2026-10-29 23:59", sale("c0", 9999, 0, &[(TenderKind::Cash, 9999)]));
    other.record("2026-10-30 00:00", sale("c1", 333, 0, &[(TenderKind::StoredValue, 333)]));
    for node in [&mut w.till1, &mut w.till2, &mut other] {
        node.push(w.ledger.as_mut(), "2026-10-31 09:00");
    }
    let report = crate::report::stores_report(w.ledger.as_ref(), period("2026-10-30"), period("2026-10-30"), &mut |_, _| {}).unwrap();
    let mut csv_bytes = Vec::new();
    crate::export::report_csv(&mut csv_bytes, &report).unwrap();
    expect![[r#"
        level,tenant,brand,store_id,from,to,n_sales,n_refunds,sales_minor,refunds_minor,net_minor,avg_basket_minor,cash_net_minor,card_net_minor,mobile_net_minor,stored_net_minor,points_net_minor,online_net_minor
        store,acme,express,S2,2026-10-30,2026-10-30,1,0,333,0,333,333,0,0,0,333,0,0
        brand,acme,express,,2026-10-30,2026-10-30,1,0,333,0,333,333,0,0,0,333,0,0
        store,acme,mart,S1,2026-10-30,2026-10-30,3,1,3501,500,3001,1000,601,2000,400,0,0,0
        brand,acme,mart,,2026-10-30,2026-10-30,3,1,3501,500,3001,1000,601,2000,400,0,0,0
        tenant,acme,,,2026-10-30,2026-10-30,4,1,3834,500,3334,834,601,2000,400,333,0,0
        all,,,,2026-10-30,2026-10-30,4,1,3834,500,3334,834,601,2000,400,333,0,0
    "#]]
    .assert_eq(&String::from_utf8(csv_bytes).unwrap().replace("\r\n", "\n"));

    for (store, d) in [("S1", "2026-10-30"), ("S2", "2026-10-29"), ("S2", "2026-10-30")] {
        close(w.ledger.as_mut(), &w.key, store, period(d), false, at("2026-10-31 10:00")).unwrap();
    }
    let closings = w.ledger.closings(None, None).unwrap();
    let mut out = Vec::new();
    crate::export::closings_csv(&mut out, &closings, &w.ledger.stores().unwrap(), &mut |_, _| {}).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    let field = |row: &csv::StringRecord, name: &str| row.get(header.iter().position(|h| h == name).unwrap()).unwrap().to_string();
    for (row, stored) in rows.iter().zip(&closings) {
        let c: Closing = serde_json::from_slice(&stored.body).unwrap();
        assert_eq!(field(row, "store_id"), c.store_id);
        assert_eq!(field(row, "period"), c.period);
        assert_eq!(field(row, "net_minor").parse::<i64>().unwrap(), c.total.net_minor);
        assert_eq!(field(row, "sales_minor").parse::<i64>().unwrap(), c.total.sales_minor);
        assert_eq!(field(row, "refunds_minor").parse::<i64>().unwrap(), c.total.refunds_minor);
        assert_eq!(field(row, "cash_minor").parse::<i64>().unwrap(), c.total.by_tender.get("cash").copied().unwrap_or(0));
        assert_eq!(field(row, "perpetual_net_minor").parse::<i64>().unwrap(), c.perpetual.net_minor);
        assert_eq!(field(row, "hash"), hex::encode(stored.hash));
    }
    assert_eq!(field(&rows[0], "brand"), "mart");
    // JSON: the signed body byte for byte, so its hash can be checked from the export.
    let mut json = Vec::new();
    crate::export::closings_json(&mut json, &closings, &mut |_, _| {}).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    for (item, stored) in parsed.as_array().unwrap().iter().zip(&closings) {
        let body = serde_json::from_value::<Closing>(item["closing"].clone()).unwrap().canonical();
        assert_eq!(item["hash"].as_str().unwrap(), hex::encode(closing_hash(&body)));
        assert_eq!(body, stored.body);
    }
}
