use proptest::prelude::*;

use super::*;

fn order(fulfilment: Fulfilment) -> O2oOrder {
    O2oOrder {
        order_id: "MT-20261207-0001".into(),
        store_id: "SH001".into(),
        channel: "meituan".into(),
        fulfilment,
        customer_name: "陈女士".into(),
        customer_phone: "13800138000".into(),
        member: None,
        lines: vec![O2oLine { sku: "DRK-1".into(), qty: 6 }, O2oLine { sku: "SNK-1".into(), qty: 2 }],
        note: Some("少放冰".into()),
        placed_ms: 1_000,
    }
}

fn step(step: Step, node: &str, seq: u64, ts_ms: i64) -> O2oEvent {
    let (amount_minor, sale_id) = match step {
        Step::Accepted => (Some(3680), None),
        Step::HandedOver | Step::Dispatched => (Some(3680), Some(sale_id_for("MT-20261207-0001"))),
        _ => (None, None),
    };
    O2oEvent { node: node.into(), seq, ts_ms, fact: O2oFact { order_id: "MT-20261207-0001".into(), step, by: "m01".into(), amount_minor, sale_id, note: None } }
}

fn cancel() -> OnlineCancel {
    OnlineCancel { reason: "customer changed their mind".into(), ts_ms: 5_000 }
}

#[test]
fn the_precedence_rule() {
    use Step::*;
    let o = order(Fulfilment::Pickup);
    type Case = (&'static str, Vec<O2oEvent>, bool, State, Option<Conflict>);
    let cases: Vec<Case> = vec![
        ("just placed", vec![], false, State::Placed, None),
        ("accepted", vec![step(Accepted, "t1", 1, 2_000)], false, State::Accepted, None),
        ("picked", vec![step(Accepted, "t1", 1, 2_000), step(Picked, "t2", 4, 3_000)], false, State::Picked, None),
        ("ready before picked was heard of", vec![step(Ready, "t1", 2, 3_500), step(Accepted, "t1", 1, 2_000)], false, State::Ready, None),
        ("handed over", vec![step(Accepted, "t1", 1, 2_000), step(Ready, "t1", 2, 3_000), step(HandedOver, "t2", 9, 4_000)], false, State::HandedOver, None),
        ("cancelled online before the store moved", vec![], true, State::Cancelled, None),
        ("cancelled online while ready: the reservation goes", vec![step(Accepted, "t1", 1, 2_000), step(Ready, "t1", 2, 3_000)], true, State::Cancelled, None),
        ("cancelled online while handed over in store: the handover stands, flagged", vec![step(Accepted, "t1", 1, 2_000), step(Ready, "t1", 2, 3_000), step(HandedOver, "t2", 9, 6_000)], true, State::HandedOver, Some(Conflict::CancelledAfterHandover)),
        ("the store cancelled, then another till handed it over offline", vec![step(Ready, "t1", 2, 3_000), step(Cancelled, "t1", 3, 4_000), step(HandedOver, "t2", 9, 3_900)], false, State::HandedOver, Some(Conflict::CancelledAfterHandover)),
        ("rejected", vec![step(Rejected, "t1", 1, 2_000)], true, State::Rejected, None),
    ];
    for (name, events, online, state, conflict) in cases {
        let c = cancel();
        let v = fold(&o, online.then_some(&c), &events);
        assert_eq!((v.state, v.conflict), (state, conflict), "{name}");
    }
    let v = fold(&o, None, &[step(HandedOver, "t2", 9, 4_000), step(Accepted, "t1", 1, 2_000), step(Accepted, "t1", 1, 2_000)]);
    assert_eq!(v.steps.len(), 2, "a step repeated counts once");
    assert_eq!((v.quoted_minor, v.sale), (Some(3680), Some(("O2O-MT-20261207-0001".into(), 3680))));
    assert_eq!(o.qr_text(), "OTO:MT-20261207-0001");
}

#[test]
fn reservations_hold_stock_while_the_order_is_open() {
    use Step::*;
    let o = order(Fulfilment::Delivery);
    let open = fold(&o, None, &[step(Accepted, "t1", 1, 2_000)]);
    let mut other = order(Fulfilment::Pickup);
    other.order_id = "SHOP-2".into();
    other.lines = vec![O2oLine { sku: "DRK-1".into(), qty: 1 }];
    let other_open = fold(&other, None, &[O2oEvent { fact: O2oFact { order_id: "SHOP-2".into(), ..step(Picked, "t1", 5, 2_500).fact }, ..step(Picked, "t1", 5, 2_500) }]);
    let gone = fold(&o, Some(&cancel()), &[step(Accepted, "t1", 1, 2_000)]);
    let placed = fold(&other, None, &[]);
    assert_eq!(reserved([&open, &other_open, &gone, &placed]), BTreeMap::from([("DRK-1".into(), 7), ("SNK-1".into(), 2)]));
    assert_eq!(check_stock(&o, |sku| if sku == "DRK-1" { 4 } else { 10 }).unwrap_err().to_string(), "not enough stock for DRK-1 (needs 6, 4 free)");
    assert_eq!(check_stock(&o, |_| -3).unwrap_err().message(Lang::Zh), "库存不足：DRK-1（需要 6，可用 0），SNK-1（需要 2，可用 0）");
    assert!(check_stock(&o, |_| 6).is_ok());
}

#[test]
fn steps_follow_the_order() {
    use Step::*;
    let pickup = order(Fulfilment::Pickup);
    let delivery = order(Fulfilment::Delivery);
    let at = |o: &O2oOrder, events: &[O2oEvent], online: bool| fold(o, online.then(cancel).as_ref(), events);
    let accepted = [step(Accepted, "t1", 1, 2_000)];
    let ready = [step(Accepted, "t1", 1, 2_000), step(Ready, "t1", 2, 3_000)];
    let done = [step(Accepted, "t1", 1, 2_000), step(Ready, "t1", 2, 3_000), step(HandedOver, "t1", 3, 4_000)];
    type Case<'a> = (&'a str, OrderView, Step, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("accept a new order", at(&pickup, &[], false), Accepted, None),
        ("accept twice", at(&pickup, &accepted, false), Accepted, Some("is accepted; cannot accept")),
        ("reject after accepting", at(&pickup, &accepted, false), Rejected, Some("is accepted; cannot reject")),
        ("pick", at(&pickup, &accepted, false), Picked, None),
        ("ready without picking", at(&pickup, &accepted, false), Ready, None),
        ("hand over a ready pickup", at(&pickup, &ready, false), HandedOver, None),
        ("hand over before ready", at(&pickup, &accepted, false), HandedOver, Some("is accepted; cannot hand over")),
        ("dispatch a pickup", at(&pickup, &ready, false), Dispatched, Some("is for pickup; use handover at the till")),
        ("hand over a delivery", at(&delivery, &ready, false), HandedOver, Some("is for delivery; use dispatch")),
        ("dispatch a ready delivery", at(&delivery, &ready, false), Dispatched, None),
        ("hand over what was cancelled online", at(&pickup, &ready, true), HandedOver, Some("is cancelled; cannot hand over")),
        ("cancel while ready", at(&pickup, &ready, false), Cancelled, None),
        ("cancel once handed over", at(&pickup, &done, false), Cancelled, Some("is handed_over; cannot cancel")),
    ];
    for (name, view, s, want) in cases {
        match (check_step(&view, s), want) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => assert!(e.to_string().contains(want), "{name}: {e}"),
            (got, want) => panic!("{name}: want {want:?}, got {got:?}"),
        }
    }
    let e = check_step(&at(&pickup, &done, false), Cancelled).unwrap_err();
    assert_eq!(e.message(Lang::Zh), "订单 MT-20261207-0001 已自提，不能取消");
}

#[test]
fn orders_are_checked_as_placed() {
    let known = |s: &str| s != "NOPE";
    let with = |f: &dyn Fn(&mut O2oOrder)| {
        let mut o = order(Fulfilment::Pickup);
        f(&mut o);
        check_order(&o, known).err().map(|e| e.to_string())
    };
    assert_eq!(with(&|_| {}), None);
    assert_eq!(with(&|o| o.customer_phone = "1380013800".into()).unwrap(), "customer_phone: \"1380013800\" is not an 11-digit mobile number");
    assert_eq!(with(&|o| o.order_id = "MT 1".into()).unwrap(), "order_id: no spaces");
    assert_eq!(with(&|o| o.customer_name = " ".into()).unwrap(), "customer_name: must not be empty");
    assert_eq!(with(&|o| o.lines.clear()).unwrap(), "an order needs at least one line");
    assert_eq!(with(&|o| o.lines[0].sku = "NOPE".into()).unwrap(), "NOPE is not in the catalog");
    assert_eq!(with(&|o| o.lines[1].sku = "DRK-1".into()).unwrap(), "DRK-1 appears twice; give it once with the total");
    assert_eq!(with(&|o| o.lines[0].qty = -1).unwrap(), "DRK-1: quantity -1 must be 1 to 1,000,000");
}

fn any_step() -> impl Strategy<Value = O2oEvent> {
    use Step::*;
    let s = prop_oneof![Just(Accepted), Just(Rejected), Just(Picked), Just(Ready), Just(HandedOver), Just(Dispatched), Just(Cancelled)];
    (s, 0..3u8, 0..4i64).prop_map(|(s, node, ts)| step(s, &format!("t{node}"), s as u64 * 10 + node as u64, ts))
}

proptest! {
    /// Replicas holding the same steps agree, whatever the order and repeats.
    #[test]
    fn the_fold_does_not_depend_on_arrival_order(events in proptest::collection::vec(any_step(), 0..8), online in any::<bool>(), seed in any::<u64>()) {
        let o = order(Fulfilment::Pickup);
        let c = cancel();
        let mut shuffled = events.clone();
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        shuffled.extend(events.first().cloned());
        let a = fold(&o, online.then_some(&c), &events);
        let b = fold(&o, online.then_some(&c), &shuffled);
        prop_assert_eq!((a.state, a.conflict, a.quoted_minor, a.sale), (b.state, b.conflict, b.quoted_minor, b.sale));
    }
}
