use proptest::prelude::*;

use super::*;

fn line(sku: &str, qty: i64) -> TransferLine {
    TransferLine { sku: sku.into(), qty }
}

/// A step of transfer T1 from store SH-01 to SH-02, taken by `store`'s node at `ts`.
fn ev(step: Step, node: &str, seq: u64, ts_ms: i64, lines: &[(&str, i64)]) -> TransferEvent {
    let store = if matches!(step, Step::Shipped) || node.starts_with('a') { "SH-01" } else { "SH-02" };
    TransferEvent {
        store: store.into(),
        node: node.into(),
        seq,
        ts_ms,
        fact: TransferFact {
            transfer_id: "T1".into(),
            step,
            from_store: "SH-01".into(),
            to_store: "SH-02".into(),
            lines: lines.iter().map(|&(s, q)| line(s, q)).collect(),
            by: "u1".into(),
            note: None,
        },
    }
}

fn summary(t: &Transfer) -> (State, Vec<(String, i64, i64, i64)>, bool) {
    (t.state, t.lines.iter().map(|l| (l.sku.clone(), l.requested, l.shipped, l.received)).collect(), t.cancel_overridden)
}

#[test]
fn states_from_the_steps_held() {
    use Step::*;
    let req = || ev(Requested, "b1", 1, 1_000, &[("COLA-330", 24), ("RICE-5KG", 4)]);
    let ship = || ev(Shipped, "a1", 7, 2_000, &[("COLA-330", 24), ("RICE-5KG", 2)]);
    let recv = || ev(Received, "b1", 2, 3_000, &[("COLA-330", 23), ("RICE-5KG", 2)]);
    let cancel = || ev(Cancelled, "b2", 1, 2_500, &[]);
    type Case = (&'static str, Vec<TransferEvent>, State, bool, i64);
    let cases: Vec<Case> = vec![
        ("asked for", vec![req()], State::Requested, false, 0),
        ("shipped: 26 on the road", vec![req(), ship()], State::InTransit, false, 26),
        ("received one cola short", vec![req(), ship(), recv()], State::Received, false, 0),
        ("cancelled before shipping", vec![req(), cancel()], State::Cancelled, false, 0),
        ("cancelled while shipped offline: the shipment stands", vec![req(), cancel(), ship()], State::InTransit, true, 26),
        ("shipped with no request", vec![ship()], State::InTransit, false, 26),
        ("a receipt from a till that saw the shipment before its request arrived", vec![ship(), recv()], State::Received, false, 0),
    ];
    for (name, events, state, overridden, in_transit) in cases {
        let got = fold(&events);
        assert_eq!(got.len(), 1, "{name}");
        let t = &got[0];
        assert_eq!((t.state, t.cancel_overridden, t.in_transit()), (state, overridden, in_transit), "{name}");
    }
    let t = &fold(&[recv(), ship(), req()])[0];
    assert_eq!(summary(t).1, vec![("COLA-330".into(), 24, 24, 23), ("RICE-5KG".into(), 4, 2, 2)]);
    assert_eq!(t.lines.iter().map(|l| l.variance(t.state)).collect::<Vec<_>>(), vec![-1, 0], "one cola short");
    assert_eq!(t.history.iter().map(|h| (h.step, h.store.as_str())).collect::<Vec<_>>(), vec![(Requested, "SH-02"), (Shipped, "SH-01"), (Received, "SH-02")]);
    assert_eq!(t.updated_ms(), 3_000);
}

#[test]
fn repeats_count_once_and_two_tills_shipping_both_count() {
    use Step::*;
    let ship_a1 = ev(Shipped, "a1", 7, 2_000, &[("COLA-330", 10)]);
    let ship_a2 = ev(Shipped, "a2", 3, 2_100, &[("COLA-330", 5)]);
    let t = &fold(&[ship_a1.clone(), ship_a1.clone(), ship_a2.clone(), ship_a1])[0];
    assert_eq!(t.lines[0].shipped, 15, "the same (node, seq) once; another till's shipment adds");
    // A fact naming other stores under the same id is left out and counted.
    let mut odd = ship_a2;
    odd.seq = 4;
    odd.fact.to_store = "SH-09".into();
    let t = &fold(&[ev(Requested, "b1", 1, 1_000, &[("COLA-330", 10)]), odd])[0];
    assert_eq!((t.state, t.ignored), (State::Requested, 1));
}

#[test]
fn stock_moves_only_on_shipping_and_receiving() {
    use Step::*;
    let deltas = |e: TransferEvent| e.fact.stock_delta().into_iter().map(|(s, d)| (s.to_string(), d)).collect::<Vec<_>>();
    assert_eq!(deltas(ev(Requested, "b1", 1, 0, &[("COLA-330", 24)])), vec![]);
    assert_eq!(deltas(ev(Shipped, "a1", 1, 0, &[("COLA-330", 24)])), vec![("COLA-330".into(), -24)]);
    assert_eq!(deltas(ev(Received, "b1", 1, 0, &[("COLA-330", 23), ("RICE-5KG", 0)])), vec![("COLA-330".into(), 23)]);
    assert_eq!(deltas(ev(Cancelled, "b1", 1, 0, &[])), vec![]);
}

#[test]
fn steps_are_checked() {
    use Step::*;
    let known = |s: &str| s != "NOPE";
    let requested = fold(&[ev(Requested, "b1", 1, 1_000, &[("COLA-330", 24)])]).remove(0);
    let shipped = fold(&[ev(Requested, "b1", 1, 1_000, &[("COLA-330", 24)]), ev(Shipped, "a1", 7, 2_000, &[("COLA-330", 20)])]).remove(0);
    let received = fold(&[ev(Shipped, "a1", 7, 2_000, &[("COLA-330", 20)]), ev(Received, "b1", 2, 3_000, &[("COLA-330", 20)])]).remove(0);
    let cola = |q| vec![line("COLA-330", q)];
    type Check<'a> = (&'a str, Result<(), TransferError>, Option<&'a str>);
    let cases: Vec<Check> = vec![
        ("request", check_request("SH-02", "SH-01", &cola(24), known), None),
        ("request from itself", check_request("SH-02", "SH-02", &cola(24), known), Some("another store, not SH-02")),
        ("request from a bad id", check_request("SH-02", "SH 01", &cola(24), known), Some("store id \"SH 01\"")),
        ("request nothing", check_request("SH-02", "SH-01", &[], known), Some("at least one line")),
        ("request 0", check_request("SH-02", "SH-01", &cola(0), known), Some("quantity 0 must be 1")),
        ("request unknown", check_request("SH-02", "SH-01", &[line("NOPE", 1)], known), Some("NOPE is not in the catalog")),
        ("request twice", check_request("SH-02", "SH-01", &[line("COLA-330", 1), line("COLA-330", 2)], known), Some("appears twice")),
        ("ship less than asked", check_ship("SH-01", Some(&requested), "", &cola(20), known), None),
        ("ship by the asking store", check_ship("SH-02", Some(&requested), "", &cola(20), known), Some("SH-02 cannot ship")),
        ("ship twice", check_ship("SH-01", Some(&shipped), "", &cola(1), known), Some("is in_transit; cannot ship")),
        ("ship what was not asked for", check_ship("SH-01", Some(&requested), "", &[line("RICE-5KG", 1)], known), Some("RICE-5KG is not on transfer T1")),
        ("ship with no request", check_ship("SH-01", None, "SH-02", &cola(5), known), None),
        ("ship to itself", check_ship("SH-01", None, "SH-01", &cola(5), known), Some("not SH-01 itself")),
        ("receive short", check_receive("SH-02", &shipped, &cola(18), known), None),
        ("receive none of it", check_receive("SH-02", &shipped, &cola(0), known), None),
        ("receive at the sending store", check_receive("SH-01", &shipped, &cola(20), known), Some("SH-01 cannot receive")),
        ("receive before shipping", check_receive("SH-02", &requested, &cola(20), known), Some("is requested; cannot receive")),
        ("receive twice", check_receive("SH-02", &received, &cola(20), known), Some("is received; cannot receive")),
        ("receive what was not shipped", check_receive("SH-02", &shipped, &[line("RICE-5KG", 1)], known), Some("RICE-5KG is not on transfer")),
        ("cancel by either end", check_cancel("SH-01", &requested), None),
        ("cancel by a third store", check_cancel("SH-03", &requested), Some("SH-03 cannot cancel")),
        ("cancel once shipped", check_cancel("SH-02", &shipped), Some("is in_transit; cannot cancel")),
    ];
    for (name, got, want) in cases {
        match (got, want) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => assert!(e.to_string().contains(want), "{name}: {e}"),
            (got, want) => panic!("{name}: want {want:?}, got {got:?}"),
        }
    }
    assert_eq!(as_shipped(&shipped), cola(20));
    let e = check_cancel("SH-02", &shipped).unwrap_err();
    assert_eq!(e.message(Lang::Zh), "调拨单 T1 在途，不能取消");
    let e = check_ship("SH-02", Some(&requested), "", &cola(1), known).unwrap_err();
    assert_eq!(e.message(Lang::Zh), "调拨单 T1 由 SH-01 调往 SH-02，SH-02 不能发货");
}

fn any_event() -> impl Strategy<Value = TransferEvent> {
    let step = prop_oneof![Just(Step::Requested), Just(Step::Shipped), Just(Step::Received), Just(Step::Cancelled)];
    (step, 0..3u8, 1..6u64, 0..5i64, proptest::collection::vec((0..3u8, 0..5i64), 0..3)).prop_map(|(step, node, seq, ts, lines)| {
        let lines: Vec<(String, i64)> = lines.into_iter().map(|(s, q)| (format!("SKU-{s}"), q)).collect();
        let refs: Vec<(&str, i64)> = lines.iter().map(|(s, q)| (s.as_str(), *q)).collect();
        // The same (node, seq) always carries the same fact, as in a real journal.
        let mut e = ev(step, &format!("n{node}"), seq * 10 + step as u64, ts, &refs);
        e.fact.by = format!("{seq}");
        e
    })
}

proptest! {
    /// Every replica that holds the same facts agrees, whatever order they came in and
    /// however often they were repeated.
    #[test]
    fn the_fold_does_not_depend_on_arrival_order(events in proptest::collection::vec(any_event(), 0..12), seed in any::<u64>()) {
        // Keep one fact per (node, seq), then shuffle and repeat some.
        let mut unique: Vec<TransferEvent> = Vec::new();
        for e in events {
            if !unique.iter().any(|u| u.node == e.node && u.seq == e.seq) {
                unique.push(e);
            }
        }
        let mut shuffled = unique.clone();
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        if let Some(first) = unique.first() {
            shuffled.push(first.clone());
        }
        prop_assert_eq!(fold(&unique), fold(&shuffled));
    }
}
