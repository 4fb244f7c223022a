//! The [`Ledger`] contract, run against SQLite and PostgreSQL alike: the same script must
//! give the same answers on both.

use std::sync::{Arc, Barrier};

use expect_test::expect;
use opentill_core::journal::{CashDirection, Fact};
use opentill_sync::journal::Entry;
use opentill_sync::protocol::{Message, Verdict};
use opentill_sync::{Replica, StoreSettings};

use super::*;
use crate::code_hash;
use crate::ingest::{Reply, accounts_of, handle, totals_of};
use crate::test_db::{Backend, TestDb, on_both_backends};

on_both_backends!(
    enrolment_outcomes,
    a_newer_schema_is_refused,
    reads_list_and_sort_the_same,
    the_journal_is_append_only,
    two_servers_racing_for_one_node_store_each_entry_once,
    two_servers_racing_through_ingest_agree_on_the_ack,
    closing_storage_reads_and_appends_the_same,
);

fn path(tenant: &str, brand: &str, store: &str) -> StorePath {
    StorePath { tenant: tenant.into(), brand: brand.into(), store_id: store.into() }
}

fn enrolment_outcomes(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ledger = db.open();
    let path = |store: &str| path("acme", "mart", store);
    ledger.add_enrol_code(&path("S1"), code_hash("A"), 0, 100).unwrap();
    ledger.add_enrol_code(&path("S1"), code_hash("B"), 0, 100).unwrap();
    ledger.add_enrol_code(&path("S2"), code_hash("C"), 0, 100).unwrap();
    let mut out = String::new();
    for (code, store, node, key, now) in [
        ("A", "S1", "till-1", 1u8, 200), // too late
        ("Z", "S1", "till-1", 1, 10),    // no such code
        ("C", "S1", "till-1", 1, 10),    // another store's code
        ("A", "S1", "till-1", 1, 10),    // enrolled
        ("A", "S1", "till-1", 1, 20),    // the same again (a lost reply)
        ("A", "S1", "till-2", 2, 20),    // the code is spent
        ("B", "S1", "till-1", 3, 20),    // till-1 exists with another key
        ("B", "S1", "till-2", 2, 20),    // enrolled
    ] {
        let outcome = ledger.enrol(code_hash(code), store, node, [key; 32], now).unwrap();
        out += &format!("{code} {store}/{node} key {key} at {now}: {outcome:?}\n");
    }
    expect![[r#"
        A S1/till-1 key 1 at 200: Expired
        Z S1/till-1 key 1 at 10: UnknownCode
        C S1/till-1 key 1 at 10: WrongStore { code_store: "S2" }
        A S1/till-1 key 1 at 10: Enrolled(StorePath { tenant: "acme", brand: "mart", store_id: "S1" })
        A S1/till-1 key 1 at 20: Enrolled(StorePath { tenant: "acme", brand: "mart", store_id: "S1" })
        A S1/till-2 key 2 at 20: CodeUsed
        B S1/till-1 key 3 at 20: NodeExists
        B S1/till-2 key 2 at 20: Enrolled(StorePath { tenant: "acme", brand: "mart", store_id: "S1" })
    "#]]
    .assert_eq(&out);
    let nodes: Vec<String> = ledger.nodes().unwrap().into_iter().map(|n| format!("{}/{}", n.store_id, n.node_id)).collect();
    assert_eq!(nodes, ["S1/till-1", "S1/till-2"]);
    // A code is stored once.
    assert!(ledger.add_enrol_code(&path("S1"), code_hash("A"), 0, 100).is_err());
}

fn a_newer_schema_is_refused(backend: Backend) {
    let db = TestDb::new(backend);
    drop(db.open());
    let (found, supported) = match backend {
        Backend::Sqlite => (db.raw("PRAGMA user_version = 99"), crate::sqlite::MIGRATIONS.len()),
        Backend::Postgres => (db.raw("INSERT INTO cloud_migrations (version, applied_ms) VALUES (99, 0)"), crate::postgres::MIGRATIONS.len()),
    };
    found.unwrap();
    let Err(crate::OpenError::Ledger { source: LedgerError::SchemaTooNew { found: 99, .. }, .. }) = crate::open_ledger(&db.db) else { panic!("a newer schema must be refused") };
    let Err(err) = crate::open_ledger(&db.db) else { unreachable!() };
    let err = err.to_string();
    assert!(err.ends_with(&format!("cloud database schema version 99 is newer than this build supports ({supported})")), "{err}");
}

/// A node `store/node` enrolled in `ledger`, and its replica holding `n` cash movements
/// of 1.00, 2.00, ...
fn enrolled_node(db: &TestDb, ledger: &mut dyn Ledger, store: &str, node: &str, n: i64) -> Replica {
    let secret = [node.len() as u8 + store.len() as u8; 32];
    let mut replica = Replica::create(&db.dir().join(format!("{store}-{node}")), StoreSettings::new(store, node), secret).unwrap();
    for i in 1..=n {
        replica.append(i, &Fact::CashMoved { shift_id: None, direction: CashDirection::In, amount: i * 100, reason: "float".into(), by: "m1".into() }).unwrap();
    }
    let code = format!("{store}/{node}");
    ledger.add_enrol_code(&path("acme", "mart", store), code_hash(&code), 0, 10).unwrap();
    assert!(matches!(ledger.enrol(code_hash(&code), store, node, replica.public_key().to_bytes(), 1).unwrap(), EnrolOutcome::Enrolled(_)));
    replica
}

/// What ingest would store of `replica`'s entries `seqs` for `node`: entries, new head, totals.
type Accepted = (Vec<Entry>, (u64, [u8; 32]), TotalsDelta);

fn accept(node: &NodeRecord, replica: &Replica, seqs: std::ops::RangeInclusive<u64>) -> Accepted {
    let batch = replica.seal_batch(seqs).unwrap();
    let Verdict::Accept { skip, head } = node.ledger.check(&batch) else { panic!("not accepted") };
    let entries: Vec<Entry> = batch.entries()[skip..].to_vec();
    let (totals, _) = totals_of(&entries);
    (entries, head, totals)
}

/// Stores `replica`'s entries `seqs` as ingest would; whether the append won.
fn append(ledger: &mut dyn Ledger, node: &NodeRecord, replica: &Replica, seqs: std::ops::RangeInclusive<u64>, now_ms: i64) -> bool {
    let (entries, head, totals) = accept(node, replica, seqs);
    ledger.append(node, &entries, head, totals, &crate::ingest::folds_of(&entries), now_ms).unwrap()
}

fn reads_list_and_sort_the_same(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ledger = db.open();
    // Stores and tenants whose order differs between bytewise and dictionary collations.
    let tills = [("acme", "mart", "S9", "till-1"), ("acme", "mart", "S10", "till-1"), ("Zeta", "b", "B1", "till-2"), ("Zeta", "b", "B1", "Till-1"), ("acme", "Mart", "a1", "t")];
    let mut replicas = Vec::new();
    for (tenant, brand, store, node) in tills {
        ledger.add_enrol_code(&path(tenant, brand, store), code_hash(&format!("{store}{node}")), 0, 10).unwrap();
        let replica = Replica::create(&db.dir().join(format!("{store}-{node}")), StoreSettings::new(store, node), [store.len() as u8 + node.len() as u8 * 3; 32]).unwrap();
        assert!(matches!(ledger.enrol(code_hash(&format!("{store}{node}")), store, node, replica.public_key().to_bytes(), 1).unwrap(), EnrolOutcome::Enrolled(_)));
        replicas.push((store, node, replica));
    }
    for (i, (store, node, replica)) in replicas.iter_mut().enumerate() {
        for seq in 1..=(i as i64 + 1) {
            replica.append(seq, &Fact::CashMoved { shift_id: None, direction: CashDirection::Out, amount: 50, reason: "x".into(), by: "m".into() }).unwrap();
        }
        let record = ledger.node(store, node).unwrap().unwrap();
        assert!(append(&mut *ledger, &record, replica, 1..=i as u64 + 1, 1_000 + i as i64));
        ledger.record_hello(record.node_ref, i as u64 + 3, 2_000 + i as i64).unwrap();
        ledger.record_hello(record.node_ref, 1, 3_000).unwrap();
    }
    ledger.alert("warning", "S9", "till-1", "something to look at", 4_000).unwrap();
    ledger.quarantine("S10", "till-9", "batch from nowhere", Some((3, 7)), b"0123456789", 5_000).unwrap();
    ledger.quarantine("S10", "till-9", "no seqs", None, b"", 5_001).unwrap();
    assert!(ledger.alert("fatal", "S9", "till-1", "no such severity", 4_000).is_err());
    assert!(ledger.revoke_pass("S9", "pass-b", 6_000).unwrap());
    assert!(ledger.revoke_pass("S9", "pass-a", 6_000).unwrap());
    assert!(ledger.revoke_pass("S9", "pass-C", 5_500).unwrap());
    assert!(!ledger.revoke_pass("S9", "pass-a", 7_000).unwrap());
    assert!(ledger.revoke_pass("S10", "pass-a", 6_500).unwrap());
    assert!(matches!(ledger.revoke_pass("nowhere", "pass-a", 6_000), Err(LedgerError::UnknownStore(s)) if s == "nowhere"));
    assert!(ledger.node("S9", "till-2").unwrap().is_none());

    let mut out = String::new();
    for t in ledger.totals().unwrap() {
        out += &format!("totals {}/{}/{}: {:?}\n", t.path.tenant, t.path.brand, t.path.store_id, t.totals);
    }
    for n in ledger.nodes().unwrap() {
        out += &format!("node {}/{}: acked {} entries {} reported {} seen {:?} head {}\n", n.store_id, n.node_id, n.acked_seq, n.n_entries, n.reported_head, n.last_seen_ms, hex::encode(&n.head_hash[..4]));
    }
    for a in ledger.alerts().unwrap() {
        out += &format!("alert {} at {} {} {}/{}: {}\n", a.id, a.raised_ms, a.severity, a.store_id, a.node_id, a.message);
    }
    for q in ledger.quarantined().unwrap() {
        out += &format!("quarantined {} at {} {}/{}: {} {:?} {} bytes\n", q.id, q.received_ms, q.store_id, q.node_id, q.reason, q.seqs, q.n_bytes);
    }
    out += &format!("revoked in S9 since 6000: {:?}\n", ledger.revoked_passes("S9", 6_000).unwrap());
    out += &format!("revoked in S9 since 0: {:?}\n", ledger.revoked_passes("S9", 0).unwrap());
    out += &format!("revoked in nowhere: {:?}\n", ledger.revoked_passes("nowhere", 0).unwrap());
    let replica_heads: Vec<String> = replicas.iter().map(|(s, n, r)| format!("{s}/{n} {}", hex::encode(&r.head().unwrap().1[..4]))).collect();
    out += &replica_heads.join("\n");
    expect![[r#"
        totals Zeta/b/B1: TotalsDelta { n_entries: 7, n_sales: 0, sales_minor: 0, n_refunds: 0, refunds_minor: 0 }
        totals acme/Mart/a1: TotalsDelta { n_entries: 5, n_sales: 0, sales_minor: 0, n_refunds: 0, refunds_minor: 0 }
        totals acme/mart/S10: TotalsDelta { n_entries: 2, n_sales: 0, sales_minor: 0, n_refunds: 0, refunds_minor: 0 }
        totals acme/mart/S9: TotalsDelta { n_entries: 1, n_sales: 0, sales_minor: 0, n_refunds: 0, refunds_minor: 0 }
        node B1/Till-1: acked 4 entries 4 reported 6 seen Some(3000) head 1087d404
        node B1/till-2: acked 3 entries 3 reported 5 seen Some(3000) head fb322e6d
        node S10/till-1: acked 2 entries 2 reported 4 seen Some(3000) head 12f13649
        node S9/till-1: acked 1 entries 1 reported 3 seen Some(3000) head abb6c6bd
        node a1/t: acked 5 entries 5 reported 7 seen Some(3000) head 631d4734
        alert 1 at 4000 warning S9/till-1: something to look at
        alert 2 at 5000 critical S10/till-9: journal quarantined: batch from nowhere
        alert 3 at 5001 critical S10/till-9: journal quarantined: no seqs
        quarantined 1 at 5000 S10/till-9: batch from nowhere Some((3, 7)) 10 bytes
        quarantined 2 at 5001 S10/till-9: no seqs None 0 bytes
        revoked in S9 since 6000: [("pass-a", 6000), ("pass-b", 6000)]
        revoked in S9 since 0: [("pass-C", 5500), ("pass-a", 6000), ("pass-b", 6000)]
        revoked in nowhere: []
        S9/till-1 abb6c6bd
        S10/till-1 12f13649
        B1/till-2 fb322e6d
        B1/Till-1 1087d404
        a1/t 631d4734"#]]
    .assert_eq(&out);
}

fn the_journal_is_append_only(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ledger = db.open();
    let replica = enrolled_node(&db, &mut *ledger, "S1", "till-1", 3);
    let node = ledger.node("S1", "till-1").unwrap().unwrap();
    assert!(append(&mut *ledger, &node, &replica, 1..=3, 10));
    let mut statements = vec!["UPDATE journal SET ts_ms = 0 WHERE seq = 2", "DELETE FROM journal WHERE seq = 3", "DELETE FROM journal"];
    if backend == Backend::Postgres {
        statements.extend(["TRUNCATE journal", "TRUNCATE journal_p0, journal_p1, journal_p2, journal_p3, journal_p4, journal_p5, journal_p6, journal_p7", "TRUNCATE journal_p8, journal_p9, journal_p10, journal_p11, journal_p12, journal_p13, journal_p14, journal_p15", "UPDATE journal SET node_ref = node_ref + 1"]);
    }
    for sql in statements {
        let err = db.raw(sql).unwrap_err();
        assert!(err.contains("the journal is append-only"), "{sql}: {err}");
    }
    let nodes = ledger.nodes().unwrap();
    assert_eq!((nodes[0].acked_seq, nodes[0].n_entries), (3, 3));
}

/// Two cloud servers (two ledgers, two connections) get the same node's batches at the
/// same moment, ten times: each time exactly one stores its batch, and no entry is held
/// or counted twice.
fn two_servers_racing_for_one_node_store_each_entry_once(backend: Backend) {
    let db = TestDb::new(backend);
    let mut setup = db.open();
    let replica = enrolled_node(&db, &mut *setup, "S1", "till-1", 80);
    drop(setup);
    let servers: Vec<_> = (0..2).map(|_| std::sync::Mutex::new(db.open())).collect();
    let servers = Arc::new(servers);
    let mut held = 0;
    for round in 0..10 {
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|server| {
                let node = servers[server].lock().unwrap().node("S1", "till-1").unwrap().unwrap();
                let from = node.ledger.acked_seq + 1;
                // One server got a batch of 3, the other of 5, both starting at the held head.
                let to = from + 2 + 2 * server as u64;
                let (entries, head, totals) = accept(&node, &replica, from..=to);
                let (servers, barrier) = (servers.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut ledger = servers[server].lock().unwrap();
                    barrier.wait();
                    (ledger.append(&node, &entries, head, totals, &crate::ledger::Folds { accounts: accounts_of(&entries), ..Default::default() }, round).unwrap(), to)
                })
            })
            .collect();
        let results: Vec<(bool, u64)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<&(bool, u64)> = results.iter().filter(|(won, _)| *won).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one append wins: {results:?}");
        held = winners[0].1;
    }
    let ledger = servers[0].lock().unwrap();
    let nodes = ledger.nodes().unwrap();
    assert_eq!((nodes[0].acked_seq, nodes[0].n_entries), (held, held));
    assert_eq!(nodes[0].head_hash, replica.entries(held..=held).unwrap()[0].hash);
    assert_eq!(ledger.totals().unwrap()[0].totals.n_entries, held as i64);
    assert!(held >= 30);
}

/// Two servers ingest the same batch messages at once: both answer with the same ack, and
/// the cloud holds each entry once.
fn two_servers_racing_through_ingest_agree_on_the_ack(backend: Backend) {
    let db = TestDb::new(backend);
    let mut setup = db.open();
    let replica = enrolled_node(&db, &mut *setup, "S1", "till-1", 60);
    drop(setup);
    let batches: Arc<Vec<Vec<u8>>> = Arc::new((0..6).map(|i| Message::Batch(replica.seal_batch(i * 10 + 1..=i * 10 + 10).unwrap()).encode()).collect());
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (batches, barrier, mut ledger) = (batches.clone(), barrier.clone(), db.open());
            std::thread::spawn(move || {
                let mut acks = Vec::new();
                for batch in batches.iter() {
                    barrier.wait();
                    let Reply::Ack(bytes) = handle(&mut *ledger, batch, 7).unwrap() else { panic!("refused") };
                    let Ok(Message::Ack(ack)) = Message::decode(&bytes) else { panic!("not an ack") };
                    acks.push(ack.acked_seq);
                }
                acks
            })
        })
        .collect();
    let acks: Vec<Vec<u64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(acks[0], [10, 20, 30, 40, 50, 60]);
    assert_eq!(acks[1], acks[0]);
    let ledger = db.open();
    let nodes = ledger.nodes().unwrap();
    assert_eq!((nodes[0].acked_seq, nodes[0].n_entries), (60, 60));
    assert_eq!(ledger.totals().unwrap()[0].totals.n_entries, 60);
    assert!(ledger.quarantined().unwrap().is_empty());
}

/// The storage the closings use: stores and their offsets, node progress, entries by seq
/// and time, and closings appended only from their chain's head.
fn closing_storage_reads_and_appends_the_same(backend: Backend) {
    use crate::closing::PeriodKind;
    let db = TestDb::new(backend);
    let mut ledger = db.open();
    let replica = enrolled_node(&db, &mut *ledger, "S1", "till-1", 6);
    let _idle = enrolled_node(&db, &mut *ledger, "S1", "till-2", 0);
    ledger.add_enrol_code(&path("Zeta", "b", "B1"), code_hash("zeta"), 0, 10).unwrap();
    let record = ledger.node("S1", "till-1").unwrap().unwrap();
    assert!(append(&mut *ledger, &record, &replica, 1..=4, 100));
    ledger.record_hello(record.node_ref, 6, 200).unwrap();
    let stores: Vec<String> = ledger.stores().unwrap().iter().map(|s| format!("{}/{}/{} {}", s.path.tenant, s.path.brand, s.path.store_id, s.utc_offset_min)).collect();
    assert_eq!(stores, ["Zeta/b/B1 480", "acme/mart/S1 480"]);
    let nodes: Vec<String> = ledger.store_nodes("S1").unwrap().iter().map(|n| format!("{} {} {} {:?} {:?}", n.node_id, n.acked_seq, n.reported_head, n.last_seen_ms, n.head_ts_ms)).collect();
    assert_eq!(nodes, ["till-1 4 6 Some(200) Some(4)", "till-2 0 0 None None"]);
    assert!(matches!(ledger.store_nodes("S9"), Err(LedgerError::UnknownStore(_))));
    assert_eq!((ledger.earliest_entry_ms("S1").unwrap(), ledger.earliest_entry_ms("B1").unwrap()), (Some(1), None));
    let mut seen = Vec::new();
    ledger.read_entries("S1", "till-1", 2..=u64::MAX, 0..4, &mut |e| {
        seen.push((e.seq, e.ts_ms));
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, [(2, 2), (3, 3)], "seqs from 2, stamped before 4");
    ledger.read_entries("S1", "till-2", 1..=9, 0..9, &mut |_| panic!("till-2 holds nothing")).unwrap();

    let closing = |kind: PeriodKind, period: &str, chain_seq: u64, prev_hash: [u8; 32], hash: u8| StoredClosing {
        store_id: "S1".into(),
        kind,
        period: period.into(),
        chain_seq,
        closed_ms: 1_000,
        prev_hash,
        hash: [hash; 32],
        signature: [hash; 64],
        body: format!("{{\"period\":\"{period}\"}}").into_bytes(),
    };
    assert!(ledger.set_utc_offset("S1", -300).unwrap(), "no closing yet: the offset may change");
    assert!(!ledger.append_closing(&closing(PeriodKind::Day, "2026-10-30", 2, [0; 32], 1)).unwrap(), "a chain starts at 1");
    assert!(!ledger.append_closing(&closing(PeriodKind::Day, "2026-10-30", 1, [9; 32], 1)).unwrap(), "the first has no previous hash");
    assert!(ledger.append_closing(&closing(PeriodKind::Day, "2026-10-30", 1, [0; 32], 1)).unwrap());
    assert!(!ledger.append_closing(&closing(PeriodKind::Day, "2026-10-30", 2, [1; 32], 2)).unwrap(), "a period is closed once");
    assert!(!ledger.append_closing(&closing(PeriodKind::Day, "2026-10-31", 2, [7; 32], 2)).unwrap(), "only from the chain's head");
    assert!(ledger.append_closing(&closing(PeriodKind::Day, "2026-10-31", 2, [1; 32], 2)).unwrap());
    assert!(ledger.append_closing(&closing(PeriodKind::Month, "2026-10", 1, [0; 32], 3)).unwrap(), "each kind has its chain");
    assert!(!ledger.set_utc_offset("S1", 480).unwrap(), "a store with closings keeps its offset");
    assert_eq!(ledger.stores().unwrap()[1].utc_offset_min, -300);
    let listed: Vec<String> = ledger.closings(None, None).unwrap().iter().map(|c| format!("{} {} {} #{}", c.store_id, c.kind.name(), c.period, c.chain_seq)).collect();
    assert_eq!(listed, ["S1 day 2026-10-30 #1", "S1 day 2026-10-31 #2", "S1 month 2026-10 #1"]);
    assert_eq!(ledger.closings(Some("S1"), Some(PeriodKind::Month)).unwrap()[0], closing(PeriodKind::Month, "2026-10", 1, [0; 32], 3));
    assert!(ledger.closings(Some("B1"), None).unwrap().is_empty());
    let (first, last) = ledger.chain_ends("S1", PeriodKind::Day).unwrap().unwrap();
    assert_eq!((first.period.as_str(), last.period.as_str()), ("2026-10-30", "2026-10-31"));
    assert!(ledger.chain_ends("S1", PeriodKind::Year).unwrap().is_none());
    assert!(matches!(ledger.append_closing(&StoredClosing { store_id: "S9".into(), ..closing(PeriodKind::Year, "2026", 1, [0; 32], 4) }), Err(LedgerError::UnknownStore(_))));
    // Closings are append-only in the database too.
    let err = db.raw("UPDATE closings SET closed_ms = 0").unwrap_err();
    assert!(err.contains("closings are append-only"), "{err}");
    let err = db.raw("DELETE FROM closings").unwrap_err();
    assert!(err.contains("closings are append-only"), "{err}");
    // The cloud key is recorded once.
    assert_eq!(ledger.cloud_key().unwrap(), None);
    assert!(ledger.record_cloud_key([5; 32], 1).unwrap());
    assert!(ledger.record_cloud_key([5; 32], 2).unwrap(), "the same key again is fine");
    assert!(!ledger.record_cloud_key([6; 32], 3).unwrap(), "another key is refused");
    assert_eq!(ledger.cloud_key().unwrap(), Some([5; 32]));
}
