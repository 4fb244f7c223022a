use std::collections::BTreeMap;

use automerge::sync::State;
use opentill_core::catalog::{Product, Unit};
use opentill_core::tax::TaxRate;
use proptest::prelude::*;

use super::*;
use crate::hlc::HlcClock;

fn product(sku: &str, price: i64) -> Product {
    Product {
        sku: sku.into(),
        barcodes: vec![format!("690000000{}", sku.len())],
        name: format!("{sku} name"),
        name_zh: "商品".into(),
        category: "grocery".into(),
        tags: vec!["brand-a".into()],
        unit: Unit::Each,
        price_minor: price,
        tax_rate: TaxRate(1300),
        parent_sku: None,
        specs: vec![("size".into(), "500ml".into())],
    }
}

/// Runs the sync protocol between two documents until neither has anything to say.
/// Returns the number of messages exchanged.
fn sync_pair(a: &mut CatalogDoc, b: &mut CatalogDoc) -> usize {
    let (mut sa, mut sb) = (State::new(), State::new());
    let mut n = 0;
    for _ in 0..50 {
        let ab = a.generate_sync_message(&mut sa);
        if let Some(m) = &ab {
            b.receive_sync_message(&mut sb, m).unwrap();
            n += 1;
        }
        let ba = b.generate_sync_message(&mut sb);
        if let Some(m) = &ba {
            a.receive_sync_message(&mut sa, m).unwrap();
            n += 1;
        }
        if ab.is_none() && ba.is_none() {
            return n;
        }
    }
    panic!("sync did not finish in 50 rounds");
}

#[test]
fn replicas_that_never_met_share_the_containers_and_see_each_others_products() {
    let (mut a, mut b) = (CatalogDoc::new(), CatalogDoc::new());
    let (mut ca, mut cb) = (HlcClock::new("a", (0, 0)), HlcClock::new("b", (0, 0)));
    a.put_product(&product("TEA", 400), &mut ca, 10).unwrap();
    b.put_product(&product("MILK", 650), &mut cb, 10).unwrap();
    sync_pair(&mut a, &mut b);
    assert_eq!(a.heads(), b.heads());
    for doc in [&a, &b] {
        assert_eq!(doc.skus(), ["MILK", "TEA"]);
        assert_eq!(doc.effective("S1", "TEA").unwrap().price_minor, 400);
        assert_eq!(doc.effective("S1", "MILK").unwrap(), product("MILK", 650));
    }
}

#[test]
fn an_edit_made_after_seeing_another_wins_even_from_a_slow_clock() {
    let (mut office, mut store) = (CatalogDoc::new(), CatalogDoc::new());
    // Head office's clock runs an hour fast; the store's is right.
    let mut office_clock = HlcClock::new("cloud", (0, 0));
    let mut store_clock = HlcClock::new("store-1", (0, 0));
    let now = 1_763_900_000_000;
    office.put_product(&product("COLA", 300), &mut office_clock, now + 3_600_000).unwrap();
    sync_pair(&mut office, &mut store);
    // The store manager sees ¥3.00 and changes it a minute later by the store's clock;
    // the write is stamped after the value it replaces.
    store.set_price("COLA", 280, &mut store_clock, now + 60_000).unwrap();
    sync_pair(&mut office, &mut store);
    for doc in [&office, &store] {
        assert_eq!(doc.price("COLA").unwrap().0, 280, "the later edit wins although its wall clock is behind");
    }
}

#[test]
fn concurrent_edits_go_to_the_later_hlc_whatever_the_merge_order() {
    for order in [false, true] {
        let (mut a, mut b, mut c) = (CatalogDoc::new(), CatalogDoc::new(), CatalogDoc::new());
        let (mut ca, mut cb) = (HlcClock::new("a", (0, 0)), HlcClock::new("b", (0, 0)));
        a.put_product(&product("RICE", 5000), &mut ca, 100).unwrap();
        sync_pair(&mut a, &mut b);
        // Offline, both change the price and store S2's own price.
        b.set_price("RICE", 5200, &mut cb, 300).unwrap();
        a.set_price("RICE", 4900, &mut ca, 200).unwrap();
        a.set_store_price("S2", "RICE", Some(4500), &mut ca, 400).unwrap();
        b.set_store_price("S2", "RICE", None, &mut cb, 350).unwrap();
        if order {
            sync_pair(&mut a, &mut c);
            sync_pair(&mut b, &mut c);
        } else {
            sync_pair(&mut b, &mut c);
            sync_pair(&mut a, &mut c);
        }
        sync_pair(&mut a, &mut b);
        sync_pair(&mut a, &mut c);
        for doc in [&a, &b, &c] {
            assert_eq!(doc.price("RICE").unwrap().0, 5200);
            assert_eq!(doc.store_price("S2", "RICE").unwrap().0, Some(4500));
            assert_eq!(doc.effective("S1", "RICE").unwrap().price_minor, 5200);
            assert_eq!(doc.effective("S2", "RICE").unwrap().price_minor, 4500);
        }
        assert_eq!(a.heads(), b.heads());
        assert_eq!(a.heads(), c.heads());
    }
}

#[test]
fn a_removed_store_price_falls_back_to_the_central_price() {
    let mut doc = CatalogDoc::new();
    let mut clock = HlcClock::new("cloud", (0, 0));
    doc.put_product(&product("EGG", 1200), &mut clock, 1).unwrap();
    doc.set_store_price("S1", "EGG", Some(999), &mut clock, 2).unwrap();
    assert_eq!(doc.effective("S1", "EGG").unwrap().price_minor, 999);
    doc.set_store_price("S1", "EGG", None, &mut clock, 3).unwrap();
    assert_eq!(doc.effective("S1", "EGG").unwrap().price_minor, 1200);
}

#[test]
fn bad_edits_are_refused_and_change_nothing() {
    let mut doc = CatalogDoc::new();
    let mut clock = HlcClock::new("cloud", (0, 0));
    let heads = doc.heads();
    let cases: Vec<(&str, Result<Hlc, DocError>)> = vec![
        ("negative price", doc.set_price("X", -1, &mut clock, 1)),
        ("huge price", doc.set_price("X", MAX_AMOUNT_MINOR + 1, &mut clock, 1)),
        ("empty sku", doc.set_price(" ", 100, &mut clock, 1)),
        ("tax over 100 %", doc.put_product(&Product { tax_rate: TaxRate(10_001), ..product("X", 1) }, &mut clock, 1)),
        ("barcode with a space", doc.put_product(&Product { barcodes: vec!["12 34".into()], ..product("X", 1) }, &mut clock, 1)),
        ("store override below zero", doc.set_store_price("S1", "X", Some(-5), &mut clock, 1)),
    ];
    for (what, result) in cases {
        assert!(matches!(result, Err(DocError::BadEdit { .. })), "{what}: {result:?}");
    }
    assert_eq!(doc.heads(), heads);
    assert!(doc.skus().is_empty());
}

#[test]
fn a_corrupted_sync_message_is_refused_and_changes_nothing() {
    let (mut a, mut b) = (CatalogDoc::new(), CatalogDoc::new());
    let mut clock = HlcClock::new("a", (0, 0));
    a.put_product(&product("TEA", 400), &mut clock, 1).unwrap();
    let (mut sa, mut sb) = (State::new(), State::new());
    let first = a.generate_sync_message(&mut sa).unwrap();
    b.receive_sync_message(&mut sb, &first).unwrap();
    let reply = b.generate_sync_message(&mut sb).unwrap();
    a.receive_sync_message(&mut sa, &reply).unwrap();
    let changes = a.generate_sync_message(&mut sa).unwrap();
    let heads = b.heads();
    for bad in [changes[..changes.len() / 2].to_vec(), vec![0x42; 40], Vec::new()] {
        assert!(b.receive_sync_message(&mut sb, &bad).is_err());
        assert_eq!(b.heads(), heads);
    }
    b.receive_sync_message(&mut sb, &changes).unwrap();
    assert_eq!(b.effective("S", "TEA").unwrap().price_minor, 400);
}

#[test]
fn changed_since_names_the_skus_a_merge_touched() {
    let (mut a, mut b) = (CatalogDoc::new(), CatalogDoc::new());
    let mut clock = HlcClock::new("a", (0, 0));
    a.put_product(&product("TEA", 400), &mut clock, 1).unwrap();
    a.put_product(&product("MILK", 650), &mut clock, 2).unwrap();
    sync_pair(&mut a, &mut b);
    let before = b.heads();
    a.set_price("TEA", 420, &mut clock, 3).unwrap();
    a.set_store_price("S9", "MILK", Some(600), &mut clock, 4).unwrap();
    sync_pair(&mut a, &mut b);
    assert_eq!(b.changed_since(&before).skus.into_iter().collect::<Vec<_>>(), ["MILK", "TEA"]);
    let now = b.heads();
    assert!(b.changed_since(&now).skus.is_empty());
}

#[test]
fn changed_since_names_a_sku_whose_new_concurrent_value_lost_automerges_own_ordering() {
    // Actors are random, so automerge's winner among concurrent puts is too; over many
    // trials both orders occur, and the SKU must be reported changed in every one.
    for _ in 0..24 {
        let (mut a, mut b) = (CatalogDoc::new(), CatalogDoc::new());
        let (mut ca, mut cb) = (HlcClock::new("a", (0, 0)), HlcClock::new("b", (0, 0)));
        a.put_product(&product("TEA", 400), &mut ca, 1).unwrap();
        sync_pair(&mut a, &mut b);
        b.set_price("TEA", 410, &mut cb, 5).unwrap();
        a.set_price("TEA", 420, &mut ca, 9).unwrap();
        let before = b.heads();
        sync_pair(&mut a, &mut b);
        assert_eq!(b.changed_since(&before).skus.into_iter().collect::<Vec<_>>(), ["TEA"]);
        assert_eq!(b.price("TEA").unwrap().0, 420);
    }
}

#[test]
fn a_saved_document_loads_back_with_its_increments() {
    let mut doc = CatalogDoc::new();
    let mut clock = HlcClock::new("a", (0, 0));
    doc.put_product(&product("TEA", 400), &mut clock, 1).unwrap();
    let snapshot = doc.save();
    doc.set_price("TEA", 410, &mut clock, 2).unwrap();
    let inc1 = doc.save_incremental();
    doc.set_store_price("S1", "TEA", Some(390), &mut clock, 3).unwrap();
    let inc2 = doc.save_incremental();
    let loaded_bytes = inc1.len() + inc2.len();
    let mut loaded = CatalogDoc::load(&snapshot, &[inc1, inc2]).unwrap();
    assert_eq!(loaded.heads(), doc.heads());
    assert_eq!(loaded.effective("S1", "TEA").unwrap().price_minor, 390);
    // What was loaded is not saved again; a change made after is, alone.
    assert!(loaded.save_incremental().is_empty(), "the loaded increments are not new");
    loaded.set_price("TEA", 420, &mut clock, 4).unwrap();
    let inc3 = loaded.save_incremental();
    assert!(!inc3.is_empty() && inc3.len() < loaded_bytes, "only the new change: {} bytes, not the {loaded_bytes} loaded", inc3.len());
    assert!(matches!(CatalogDoc::load(b"not a document", &[]), Err(DocError::Automerge(_))));
}

#[derive(Debug, Clone)]
enum Op {
    Price { peer: usize, sku: usize, minor: i64, wall: i64 },
    StorePrice { peer: usize, sku: usize, minor: Option<i64>, wall: i64 },
    Sync { from: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..3usize, 0..10_000i64, 0..50i64).prop_map(|(peer, sku, minor, wall)| Op::Price { peer, sku, minor, wall }),
        (0..3usize, 0..3usize, proptest::option::of(0..10_000i64), 0..50i64).prop_map(|(peer, sku, minor, wall)| Op::StorePrice { peer, sku, minor, wall }),
        (0..3usize, 0..3usize).prop_map(|(from, to)| Op::Sync { from, to }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever the edits, clocks and sync order, three replicas end with the same heads
    /// and each value is the write with the largest HLC.
    #[test]
    fn replicas_converge_to_the_largest_hlc(ops in proptest::collection::vec(op(), 1..40)) {
        const SKUS: [&str; 3] = ["A", "B", "C"];
        let mut docs: Vec<CatalogDoc> = (0..3).map(|_| CatalogDoc::new()).collect();
        let mut clocks: Vec<HlcClock> = (0..3).map(|i| HlcClock::new(&format!("n{i}"), (0, 0))).collect();
        let mut seed = HlcClock::new("seed", (0, 0));
        for sku in SKUS {
            docs[0].put_product(&product(sku, 1), &mut seed, 0).unwrap();
        }
        let (first, rest) = docs.split_at_mut(1);
        for other in rest.iter_mut() {
            sync_pair(&mut first[0], other);
        }
        // The model: the winning (hlc, value) per key.
        let mut prices: BTreeMap<usize, (Hlc, i64)> = BTreeMap::new();
        let mut overrides: BTreeMap<usize, (Hlc, Option<i64>)> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Price { peer, sku, minor, wall } => {
                    let hlc = docs[peer].set_price(SKUS[sku], minor, &mut clocks[peer], wall).unwrap();
                    if prices.get(&sku).is_none_or(|(h, _)| *h < hlc) { prices.insert(sku, (hlc, minor)); }
                }
                Op::StorePrice { peer, sku, minor, wall } => {
                    let hlc = docs[peer].set_store_price("S", SKUS[sku], minor, &mut clocks[peer], wall).unwrap();
                    if overrides.get(&sku).is_none_or(|(h, _)| *h < hlc) { overrides.insert(sku, (hlc, minor)); }
                }
                Op::Sync { from, to } if from != to => {
                    let (lo, hi) = (from.min(to), from.max(to));
                    let (left, right) = docs.split_at_mut(hi);
                    sync_pair(&mut left[lo], &mut right[0]);
                }
                Op::Sync { .. } => {}
            }
        }
        for (a, b) in [(0, 1), (1, 2), (0, 2)] {
            let (left, right) = docs.split_at_mut(b);
            sync_pair(&mut left[a], &mut right[0]);
        }
        let heads = docs[0].heads();
        for doc in docs.iter_mut() {
            prop_assert_eq!(doc.heads(), heads.clone());
            for (idx, sku) in SKUS.iter().enumerate() {
                let central = prices.get(&idx).map_or(1, |(_, m)| *m);
                prop_assert_eq!(doc.price(sku).unwrap().0, central);
                let expect = match overrides.get(&idx) { Some((_, Some(m))) => *m, _ => central };
                prop_assert_eq!(doc.effective("S", sku).unwrap().price_minor, expect);
            }
        }
    }
}

#[test]
fn compaction_keeps_every_winner_drops_history_and_replay_adds_only_newer_edits() {
    let mut office = CatalogDoc::new();
    let mut clock = HlcClock::new("cloud", (0, 0));
    office.put_product(&product("TEA", 450), &mut clock, 1_000).unwrap();
    office.put_product(&product("COLA", 300), &mut clock, 1_000).unwrap();
    for i in 0..200 {
        office.set_price("TEA", 400 + i, &mut clock, 2_000 + i).unwrap();
    }
    // A store syncs, then edits offline: the compaction never sees its price.
    let mut store = CatalogDoc::new();
    sync_pair(&mut office, &mut store);
    let mut store_clock = HlcClock::new("till-1", (0, 0));
    store.set_store_price("S1", "COLA", Some(280), &mut store_clock, 9_000).unwrap();
    // An edit older than what the compaction holds loses to it on replay.
    let mut stale = CatalogDoc::new();
    sync_pair(&mut office, &mut stale);
    let before = office.save().len();
    let mut next = office.compacted().unwrap();
    assert_eq!((office.epoch(), next.epoch()), (1, 2));
    assert!(next.save().len() * 2 < before, "history is dropped: {before} -> {} bytes", next.save().len());
    assert_eq!(next.registers().unwrap(), office.registers().unwrap(), "every winner, with its HLC, is carried over");
    assert_eq!(next.effective("S1", "TEA").unwrap().price_minor, 599);
    // Two compactions of the same document are the same values (not the same changes).
    assert_eq!(office.compacted().unwrap().registers().unwrap(), next.registers().unwrap());

    // The store moves to epoch 2: it starts from the genesis and takes the new epoch whole.
    let old_registers = store.registers().unwrap();
    let mut moved = CatalogDoc::new_epoch(2);
    sync_pair(&mut next, &mut moved);
    assert_eq!(moved.heads(), next.heads());
    assert_eq!(moved.replay(&old_registers).unwrap(), 1, "only the store's offline price is newer");
    assert_eq!(moved.replay(&old_registers).unwrap(), 0, "a replay again writes nothing");
    assert_eq!(moved.effective("S1", "COLA").unwrap().price_minor, 280);
    assert_eq!(moved.replay(&stale.registers().unwrap()).unwrap(), 0, "a copy older than the compaction adds nothing");
    sync_pair(&mut next, &mut moved);
    assert_eq!(next.effective("S1", "COLA").unwrap().price_minor, 280, "the replayed edit reaches head office");
    // A document loaded from a save keeps its epoch; names on the wire carry it.
    assert_eq!(CatalogDoc::load(&next.save(), &[]).unwrap().epoch(), 2);
    assert_eq!((wire_name("catalog", 1), wire_name("catalog", 2)), ("catalog".to_string(), "catalog@2".to_string()));
    for (text, parsed) in [("catalog", Some(("catalog", 1))), ("offers@3", Some(("offers", 3))), ("catalog@1", None), ("catalog@x", None), ("catalog@-2", None)] {
        assert_eq!(parse_wire_name(text), parsed, "{text}");
    }
}
