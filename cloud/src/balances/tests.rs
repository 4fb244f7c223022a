//! Stored value across stores, on both backends: the ledger's per-store folds, the
//! snapshot, and two stores spending one balance while they cannot see each other.

use opentill_core::fold::stored_value_delta;
use opentill_core::journal::Fact;
use opentill_core::tender::{Tender, TenderKind};
use opentill_sync::{Replica, SnapshotOutcome};
use opentill_till::{ScanInput, Till, TillError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::code_hash;
use crate::ingest::{Reply, handle};
use crate::ledger::StorePath;
use crate::test_db::{Backend, TestDb, on_both_backends};

on_both_backends!(the_snapshot_sums_other_stores_of_the_tenant_and_the_backfill_agrees, offline_spending_in_two_stores_is_bounded_by_the_allowances, a_read_with_a_cursor_leaves_out_what_the_node_holds,);

const CATALOG: &str = include_str!("../../../fixtures/test-catalog.csv");
const CARD: &str = "13800138000";

/// A till of `store` (tenant `tenant`), enrolled with `ledger`.
fn till(db: &TestDb, ledger: &mut dyn Ledger, tenant: &str, store: &str) -> Till {
    let mut till = Till::init(&db.dir().join(store), store, "till-1").unwrap();
    till.import_products(CATALOG.as_bytes(), false, |_, _| {}).unwrap();
    let code = format!("{store}-code");
    ledger.add_enrol_code(&StorePath { tenant: tenant.into(), brand: "mart".into(), store_id: store.into() }, code_hash(&code), 0, i64::MAX).unwrap();
    ledger.enrol(code_hash(&code), store, "till-1", till.replica().public_key().to_bytes(), 1).unwrap();
    till.replica_mut().record_enrolment("http://cloud.test", 1).unwrap();
    till
}

/// Pushes everything `till` has to the cloud.
fn push(ledger: &mut dyn Ledger, till: &mut Till, now: i64) {
    let progress = opentill_sync::push::push(
        till.replica_mut(),
        100,
        || now,
        |body| match handle(&mut *ledger, &body, now).map_err(std::io::Error::other)? {
            Reply::Ack(bytes) => Ok(bytes),
            Reply::Refused { message, .. } => Err(std::io::Error::other(message)),
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(progress.acked_seq, progress.head_seq);
}

/// Takes the cloud's snapshot into `till`.
fn snapshot(ledger: &dyn Ledger, till: &mut Till, now: i64) -> SnapshotOutcome {
    let settings = till.replica().settings().clone();
    let request = BalancesRequest::signed(&settings.store_id, &settings.node_id, now, |m| till.replica().sign(m));
    let snapshot = answer(ledger, &request, now).unwrap();
    till.replica_mut().apply_balances(&snapshot).unwrap()
}

/// Every stored-value movement in a replica's own journal, folded.
fn own_movements(replica: &Replica, account: &str) -> i64 {
    let mut sum = 0;
    replica
        .for_each_entry(1, |e| {
            if let Ok(fact) = serde_json::from_slice::<Fact>(&e.body) {
                sum += stored_value_delta(&fact).into_iter().filter(|(a, _)| *a == account).map(|(_, d)| d).sum::<i64>();
            }
            Ok(())
        })
        .unwrap();
    sum
}

/// Spends `amount`-ish from the card: one product paid wholly by stored value.
fn spend(till: &mut Till, code: &str) -> Result<i64, TillError> {
    let price = till.lookup(code)?.price_minor;
    let tender = Tender { kind: TenderKind::StoredValue, amount: price, reference: Some(CARD.into()) };
    till.sell(None, &[ScanInput { code: code.into(), qty: None }], &[tender], None)?;
    Ok(price)
}

fn the_snapshot_sums_other_stores_of_the_tenant_and_the_backfill_agrees(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ledger = db.open();
    let mut s1 = till(&db, &mut *ledger, "acme", "S1");
    let mut s2 = till(&db, &mut *ledger, "acme", "S2");
    let mut other = till(&db, &mut *ledger, "zeta", "Z1");
    s1.top_up(CARD, 30_000, TenderKind::Cash, "m1", None).unwrap();
    s1.top_up("card-b", 1_000, TenderKind::Cash, "m1", None).unwrap();
    s2.top_up(CARD, 5_000, TenderKind::Cash, "m1", None).unwrap();
    other.top_up(CARD, 99_900, TenderKind::Cash, "m1", None).unwrap();
    let code = s1.replica().barcodes(10).unwrap().into_iter().find(|(_, u)| *u == opentill_core::catalog::Unit::Each).unwrap().0;
    let paid = spend(&mut s1, &code).unwrap();
    // A member registered in S1 earns 100 points for a referral there.
    let wang = s1.register_member("13800138000", "王芳", None, None, "c01").unwrap();
    s1.register_member("13900139000", "李雷", None, Some(&wang.row.referral_code), "c01").unwrap();
    for t in [&mut s1, &mut s2, &mut other] {
        push(&mut *ledger, t, 10);
    }
    ledger.set_offline_allowance("S2", 12_300).unwrap();
    // S2 sees S1's movements, not its own and not another tenant's.
    let request = BalancesRequest::signed("S2", "till-1", 11, |m| s2.replica().sign(m));
    let snap = answer(&*ledger, &request, 11).unwrap();
    assert_eq!(snap.allowance_minor, 12_300);
    assert_eq!(snap.held.get("till-1"), Some(&s2.replica().head().unwrap().0));
    let accounts: Vec<(String, i64)> = snap.accounts.iter().map(|a| (a.account.clone(), a.others_minor)).collect();
    assert_eq!(accounts, [(CARD.to_string(), 30_000 - paid), ("card-b".to_string(), 1_000)]);
    let members: Vec<(&str, i64, i64)> = snap.members.iter().map(|m| (m.member_id.as_str(), m.spend_minor, m.points)).collect();
    assert_eq!(members, [(wang.row.member_id.as_str(), 0, 100)], "S1's member's points reach S2");
    assert_eq!(s2.replica_mut().apply_balances(&snap).unwrap(), SnapshotOutcome::Applied);
    assert_eq!(s2.replica().stored_value(CARD).unwrap(), 35_000 - paid, "S2 sees both stores");
    assert_eq!(ledger.tenant_balance("S1", CARD).unwrap(), 35_000 - paid);
    assert_eq!(ledger.tenant_balance("Z1", CARD).unwrap(), 99_900);
    // A request signed by another key, or for a node that is not enrolled, gets nothing.
    let forged = BalancesRequest::signed("S2", "till-1", 11, |m| s1.replica().sign(m));
    assert!(matches!(answer(&*ledger, &forged, 11), Err(BalancesError::BadSignature)));
    let unknown = BalancesRequest::signed("S2", "till-9", 11, |m| s2.replica().sign(m));
    assert!(matches!(answer(&*ledger, &unknown, 11), Err(BalancesError::UnknownNode(_))));
    // An older snapshot never replaces a newer one.
    let older = answer(&*ledger, &request, 5).unwrap();
    assert_eq!(s2.replica_mut().apply_balances(&older).unwrap(), SnapshotOutcome::Older);

    // The backfill a cloud runs when it migrates folds the held entries to the same sums.
    let before: Vec<_> = ["S1", "S2", "Z1"].iter().map(|s| ledger.other_stores_balances(s).unwrap()).collect();
    drop(ledger);
    let backfill = match backend {
        Backend::Sqlite => crate::sqlite::ACCOUNTS_BACKFILL,
        Backend::Postgres => crate::postgres::ACCOUNTS_BACKFILL,
    };
    db.raw(&format!("DELETE FROM account_balances; {backfill}")).unwrap();
    let ledger = db.open();
    let after: Vec<_> = ["S1", "S2", "Z1"].iter().map(|s| ledger.other_stores_balances(s).unwrap()).collect();
    assert_eq!(before, after);
    // So does the members' one: the cloud is taken back before `member_points` and migrates again.
    let before: Vec<_> = ["S1", "S2", "Z1"].iter().map(|s| ledger.other_stores_members(s).unwrap()).collect();
    assert_eq!(before[1].len(), 1);
    drop(ledger);
    db.raw(match backend {
        Backend::Sqlite => "DROP TABLE member_points; PRAGMA user_version = 9;",
        Backend::Postgres => "DROP TABLE member_points; DELETE FROM cloud_migrations WHERE version = 8;",
    })
    .unwrap();
    let ledger = db.open();
    let after: Vec<_> = ["S1", "S2", "Z1"].iter().map(|s| ledger.other_stores_members(s).unwrap()).collect();
    assert_eq!(before, after);
}

/// Two stores of one tenant spend one card while each is, at random, offline: every spend
/// is checked against what the store can see and its allowance; whatever the interleaving,
/// the true balance never goes below minus the sum of the allowances, the cloud ends up
/// with the true balance, and flags the card exactly when it went below zero.
fn offline_spending_in_two_stores_is_bounded_by_the_allowances(backend: Backend) {
    let rounds = if std::env::var_os("RUN_SLOW_TESTS").is_some() { 40 } else { 6 };
    let mut worst = 0;
    let mut refused_by_allowance = 0;
    for seed in 0..rounds {
        let db = TestDb::new(backend);
        let mut ledger = db.open();
        let allowance = 3_000;
        let mut stores = [till(&db, &mut *ledger, "acme", "S1"), till(&db, &mut *ledger, "acme", "S2")];
        for s in ["S1", "S2"] {
            ledger.set_offline_allowance(s, allowance).unwrap();
        }
        let codes: Vec<String> = stores[0].replica().barcodes(40).unwrap().into_iter().filter(|(_, u)| *u == opentill_core::catalog::Unit::Each).map(|(c, _)| c).collect();
        stores[0].top_up(CARD, 10_000, TenderKind::Cash, "m1", None).unwrap();
        let mut now = 100;
        for t in stores.iter_mut() {
            push(&mut *ledger, t, now);
        }
        for t in stores.iter_mut() {
            assert_eq!(snapshot(&*ledger, t, now), SnapshotOutcome::Applied);
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut online = [true, true];
        for _ in 0..120 {
            now += 1;
            let i = rng.gen_range(0..2);
            if rng.gen_bool(0.15) {
                online[i] = !online[i];
            }
            if online[i] && rng.gen_bool(0.3) {
                push(&mut *ledger, &mut stores[i], now);
                snapshot(&*ledger, &mut stores[i], now);
            } else {
                let code = &codes[rng.gen_range(0..codes.len())];
                match spend(&mut stores[i], code) {
                    Ok(_) => {}
                    Err(TillError::Replica(opentill_sync::ReplicaError::OfflineAllowance { .. })) => refused_by_allowance += 1,
                    Err(TillError::Replica(opentill_sync::ReplicaError::InsufficientBalance { .. })) => {}
                    Err(e) => panic!("seed {seed}: unexpected refusal {e}"),
                }
            }
            let truth: i64 = stores.iter().map(|t| own_movements(t.replica(), CARD)).sum();
            assert!(truth >= -2 * allowance, "seed {seed}: the card went to {truth}, past both allowances");
            worst = worst.min(truth);
        }
        // Both reconnect: the cloud holds the true balance and both stores see it.
        let truth: i64 = stores.iter().map(|t| own_movements(t.replica(), CARD)).sum();
        for t in stores.iter_mut() {
            push(&mut *ledger, t, now);
        }
        assert_eq!(ledger.tenant_balance("S1", CARD).unwrap(), truth, "seed {seed}");
        for t in stores.iter_mut() {
            assert_eq!(snapshot(&*ledger, t, now), SnapshotOutcome::Applied);
            assert_eq!(t.replica().stored_value(CARD).unwrap(), truth, "seed {seed}: a store sees another balance");
        }
        let flagged = ledger.alerts().unwrap().iter().any(|a| a.message.contains(CARD) && a.message.contains("overdrawn"));
        assert_eq!(flagged, truth < 0, "seed {seed}: the card ends at {truth}; flagged: {flagged}");
    }
    assert!(refused_by_allowance > 0, "no spend was ever refused by the allowance: the test does not exercise it");
    assert!(worst < 0, "no interleaving overdrew the card: the test does not exercise concurrent offline spending");
}

/// `POST /v1/transfers` and `POST /v1/o2o` with a cursor answer only what the node does
/// not hold; without one (an older node) everything, as before.
fn a_read_with_a_cursor_leaves_out_what_the_node_holds(backend: Backend) {
    use opentill_core::o2o::{Fulfilment, O2oLine, O2oOrder};
    use opentill_core::transfer::TransferLine;
    use opentill_sync::protocol::{o2o_request_message, transfers_request_message};
    let db = TestDb::new(backend);
    let mut ledger = db.open();
    let mut s1 = till(&db, &mut *ledger, "acme", "S1");
    let mut s2 = till(&db, &mut *ledger, "acme", "S2");
    // Each read is signed over its own message.
    let ask = |t: &Till, message: fn(&str, &str, i64) -> Vec<u8>, after: Vec<opentill_sync::NodeSeq>, since_ms: Option<i64>| {
        let s = t.replica().settings().clone();
        let signature = hex::encode(t.replica().sign(&message(&s.store_id, &s.node_id, 20)));
        BalancesRequest { store_id: s.store_id, node_id: s.node_id, ts_ms: 20, signature, after, since_ms }
    };
    // S2 learns the tenant's stores, then asks S1 for stock twice.
    let stores = crate::transfers::answer(&*ledger, &ask(&s2, transfers_request_message, Vec::new(), None), 20).unwrap();
    s2.replica_mut().apply_transfers(&stores).unwrap();
    let cola = || vec![TransferLine { sku: "DRK-1".into(), qty: 6 }];
    s2.request_transfer("S1", cola(), None, "m01").unwrap();
    s2.request_transfer("S1", cola(), None, "m01").unwrap();
    push(&mut *ledger, &mut s2, 20);
    let steps = |ledger: &dyn Ledger, t: &Till, after| crate::transfers::answer(ledger, &ask(t, transfers_request_message, after, None), 21).unwrap();
    let first = steps(&*ledger, &s1, s1.replica().transfer_cursor().unwrap());
    assert_eq!(first.events.len(), 2);
    s1.replica_mut().apply_transfers(&first).unwrap();
    let cursor = s1.replica().transfer_cursor().unwrap();
    assert_eq!(cursor.iter().map(|c| (c.store.as_str(), c.node.as_str())).collect::<Vec<_>>(), [("S2", "till-1")]);
    assert!(steps(&*ledger, &s1, cursor.clone()).events.is_empty(), "nothing new");
    s2.request_transfer("S1", cola(), None, "m01").unwrap();
    push(&mut *ledger, &mut s2, 22);
    let next = steps(&*ledger, &s1, cursor);
    assert_eq!(next.events.len(), 1);
    assert!(next.events[0].seq > first.events.iter().map(|e| e.seq).max().unwrap(), "only the new step");
    assert_eq!(next.stores, first.stores, "the stores come every time");
    assert_eq!(steps(&*ledger, &s1, Vec::new()).events.len(), 3, "no cursor: everything");

    // Online orders, put straight into the ledger (placing one checks it against the
    // cloud's catalog, tested with the binaries): one early, one late.
    let order = |id: &str, placed_ms: i64| O2oOrder {
        order_id: id.into(),
        store_id: "S1".into(),
        channel: "meituan".into(),
        fulfilment: Fulfilment::Pickup,
        customer_name: "陈女士".into(),
        customer_phone: "13800138000".into(),
        member: None,
        lines: vec![O2oLine { sku: "DRK-1".into(), qty: 2 }],
        note: None,
        placed_ms,
    };
    for (id, at) in [("MT-1", 1_000), ("MT-2", 900_000)] {
        ledger.put_o2o_order("S1", id, &serde_json::to_vec(&order(id, at)).unwrap(), at).unwrap();
    }
    let orders = |ledger: &dyn Ledger, since_ms| -> Vec<String> {
        crate::o2o::snapshot(ledger, &ask(&s1, o2o_request_message, Vec::new(), since_ms), 1_000_000).unwrap().orders.into_iter().map(|p| p.order.order_id).collect()
    };
    assert_eq!(orders(&*ledger, None), ["MT-1", "MT-2"]);
    assert_eq!(orders(&*ledger, Some(500_000)), ["MT-2"]);
    // The early order cancelled online after the cursor: it comes again, with the cancel.
    ledger.cancel_o2o_order("S1", "MT-1", "customer changed their mind", 950_000).unwrap();
    assert_eq!(orders(&*ledger, Some(500_000)), ["MT-1", "MT-2"]);
    assert!(orders(&*ledger, Some(990_000)).is_empty());
}
