//! Stock and purchasing as a store manager works them: a supplier, a purchase order
//! received in parts and over, sales, a stocktake with its variance, and what to reorder.

use opentill_core::i18n::Lang;
use opentill_core::rounding::CashRounding;
use opentill_core::stock::{PoLine, ReceivedLine};
use opentill_core::tender::{Tender, TenderKind};
use opentill_till::ScanInput;
use opentill_till::stock::ReplenishPolicy;

use crate::store;

fn po(lines: &[(&str, i64, i64)]) -> Vec<PoLine> {
    lines.iter().map(|&(sku, qty, unit_cost)| PoLine { sku: sku.into(), qty, unit_cost }).collect()
}

fn got(lines: &[(&str, i64)]) -> Vec<ReceivedLine> {
    lines.iter().map(|&(sku, qty)| ReceivedLine { sku: sku.into(), qty }).collect()
}

#[test]
fn order_receive_sell_count_and_reorder() {
    let (_dir, mut till) = store(CashRounding::None);
    till.put_supplier("COKE", "Swire Coca-Cola 太古可口可乐", 2, Some("021-12345678")).unwrap();
    assert!(till.put_supplier("SLOW", "Slow Boat", 400, None).unwrap_err().message(Lang::En).contains("0 to 365"));

    // Bad orders: refused with the reason, nothing journaled.
    let head = till.replica().head().unwrap().0;
    for (supplier, lines, says) in [
        ("COKE", po(&[("DRK-1", 24, 180), ("NOPE", 1, 100)]), "NOPE is not in the catalog"),
        ("NOBODY", po(&[("DRK-1", 24, 180)]), "no supplier NOBODY"),
        ("COKE", po(&[("DRK-1", 0, 180)]), "quantity 0"),
        ("COKE", po(&[("DRK-1", 2, -5)]), "cost -5"),
        ("COKE", vec![], "nothing to order"),
    ] {
        let err = till.place_order(supplier, lines, "s01").unwrap_err();
        assert!(err.message(Lang::En).contains(says), "{}", err.message(Lang::En));
    }
    assert_eq!(till.replica().head().unwrap().0, head);

    let order = till.place_order("COKE", po(&[("DRK-1", 24, 180), ("SNK-1", 12, 500)]), "s01").unwrap();
    assert_eq!(order.state, "open");
    let id = order.row.po_id.clone();
    // 20 colas first, then the last 4 with 14 bags of chips (2 more than ordered).
    assert_eq!(till.receive(Some(&id), got(&[("DRK-1", 20)]), "s01").unwrap().unwrap().state, "partial");
    let err = till.receive(Some(&id), got(&[("DAI-1", 5)]), "s01").unwrap_err();
    assert_eq!(err.message(Lang::En), format!("DAI-1 is not on purchase order {id}"));
    assert_eq!(till.receive(Some("PO404"), got(&[("DRK-1", 1)]), "s01").unwrap_err().kind(), "unknown_order");
    let done = till.receive(Some(&id), got(&[("DRK-1", 4), ("SNK-1", 14)]), "s01").unwrap().unwrap();
    assert_eq!(done.state, "over");
    assert_eq!(done.lines.iter().map(|l| (l.sku.as_str(), l.outstanding(), l.over())).collect::<Vec<_>>(), [("DRK-1", 0, 0), ("SNK-1", 0, 2)]);
    assert_eq!((till.replica().stock("DRK-1").unwrap(), till.replica().stock("SNK-1").unwrap()), (24, 14));
    till.receive(None, got(&[("DAI-1", 6)]), "s01").unwrap();

    // Ten colas sold.
    for _ in 0..5 {
        let scans = [ScanInput { code: "6901234567892".into(), qty: Some("2".into()) }];
        till.sell(None, &scans, &[Tender { kind: TenderKind::Cash, amount: 700, reference: None }], None).unwrap();
    }

    // A stocktake of the drinks: 12 colas on the shelf where the journal says 14.
    let take = till.open_stocktake(Some("drinks"), None).unwrap();
    assert!(till.open_stocktake(Some("nothing-here"), None).is_err());
    till.count(&take, "6901234567892", 13).unwrap();
    till.count(&take, "DRK-1", 12).unwrap(); // a recount replaces the first
    assert!(till.count(&take, "SNK-1", 1).unwrap_err().message(Lang::En).contains("not in this stocktake's category drinks"));
    let report = till.stocktake_report(&take).unwrap();
    assert_eq!(report.lines.iter().map(|l| (l.product.sku.as_str(), l.expected, l.counted, l.delta(), l.value())).collect::<Vec<_>>(), [("DRK-1", 14, 12, -2, -700)]);
    assert!(report.uncounted.is_empty(), "{:?}", report.uncounted);
    let posted = till.post_stocktake(&take, "s01").unwrap();
    assert!(posted.posted);
    assert_eq!(till.replica().stock("DRK-1").unwrap(), 12);
    assert!(till.post_stocktake(&take, "s01").unwrap_err().message(Lang::En).contains("already posted"));
    assert!(till.count(&take, "DRK-1", 1).is_err(), "a posted stocktake takes no counts");
    // A whole-store stocktake lists what nobody counted.
    let whole = till.open_stocktake(None, None).unwrap();
    till.count(&whole, "DRK-1", 12).unwrap();
    let uncounted: Vec<String> = till.stocktake_report(&whole).unwrap().uncounted.into_iter().map(|(sku, _)| sku).collect();
    assert_eq!(uncounted, ["DAI-1", "SNK-1"]);

    // Ten colas a day over the last day, 2 days' lead time from Swire, 3 safety days:
    // reorder at 50, order up to 12 days' worth (120) less the 12 on hand.
    let policy = ReplenishPolicy { days: 1, safety_days: 3, review_days: 7, default_lead_time_days: 7 };
    let suggestions = till.replenishment(policy).unwrap();
    assert_eq!(suggestions.iter().map(|(p, s)| (p.sku.as_str(), s.reorder_point, s.qty)).collect::<Vec<_>>(), [("DRK-1", 50, 108)]);
    // With that ordered, nothing more is suggested.
    till.place_order("COKE", po(&[("DRK-1", 108, 180)]), "s01").unwrap();
    assert!(till.replenishment(policy).unwrap().is_empty());
    assert_eq!(till.purchase_orders().unwrap().len(), 2);

    let report = till.verify(|_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.projection_problems);
}

#[test]
fn orders_are_amended_and_cancelled() {
    let (dir, mut till) = store(CashRounding::None);
    till.put_supplier("COKE", "Swire Coca-Cola 太古可口可乐", 2, None).unwrap();
    let id = till.place_order("COKE", po(&[("DRK-1", 24, 180), ("SNK-1", 12, 500)]), "s01").unwrap().row.po_id;
    till.receive(Some(&id), got(&[("DRK-1", 20)]), "s01").unwrap();

    // Refused with the reason in both languages, nothing journaled.
    let head = till.replica().head().unwrap().0;
    for (lines, en, zh) in [
        (po(&[("DRK-1", 19, 180)]), "DRK-1: cannot order 19, 20 already received", "DRK-1：已收 20，订购数量不能改为 19"),
        (po(&[("NOPE", 1, 100)]), "NOPE is not in the catalog", "商品 NOPE 不在商品目录中"),
        (po(&[("DAI-1", 0, 300)]), "DAI-1: quantity 0 must be 1 to 1,000,000", "DAI-1：数量 0 无效（应为 1 到 1,000,000）"),
    ] {
        let err = till.amend_order(&id, lines, "s01").unwrap_err();
        assert_eq!((err.message(Lang::En), err.message(Lang::Zh), err.kind()), (en.to_string(), zh.to_string(), "bad_input"));
    }
    assert_eq!(till.amend_order("PO404", po(&[("DRK-1", 1, 1)]), "s01").unwrap_err().kind(), "unknown_order");
    assert_eq!(till.replica().head().unwrap().0, head);

    // Six more colas at a better price, and milk joins the order; the chips stay.
    let amended = till.amend_order(&id, po(&[("DRK-1", 30, 175), ("DAI-1", 6, 300)]), "s01").unwrap();
    assert_eq!(amended.state, "partial");
    let lines = |o: &opentill_till::stock::PoView| o.lines.iter().map(|l| (l.sku.clone(), l.ordered, l.received, o.outstanding(l), o.unit_cost(&l.sku).unwrap())).collect::<Vec<_>>();
    assert_eq!(lines(&amended), [("DRK-1".into(), 30, 20, 10, 175), ("SNK-1".into(), 12, 0, 12, 500), ("DAI-1".into(), 6, 0, 6, 300)]);
    assert!(amended.row.amended_ms.is_some());
    assert_eq!(till.replica().on_order().unwrap().into_iter().collect::<Vec<_>>(), [("DAI-1".into(), 6), ("DRK-1".into(), 10), ("SNK-1".into(), 12)]);
    // The milk arrives against the order.
    assert_eq!(till.receive(Some(&id), got(&[("DAI-1", 6)]), "s01").unwrap().unwrap().state, "partial");

    // Cancelled: what is outstanding closes (no longer on order), what came stays.
    let err = till.cancel_order(&id, " ", "s01").unwrap_err();
    assert_eq!((err.message(Lang::En), err.message(Lang::Zh)), ("give a reason for cancelling (1 to 200 characters)".to_string(), "请填写取消原因（1 到 200 个字）".to_string()));
    let cancelled = till.cancel_order(&id, "供应商缺货 out of stock", "s01").unwrap();
    assert_eq!(cancelled.state, "cancelled");
    assert_eq!(cancelled.row.cancelled.as_ref().map(|c| c.1.as_str()), Some("供应商缺货 out of stock"));
    assert_eq!(cancelled.lines.iter().map(|l| (l.sku.as_str(), cancelled.outstanding(l), cancelled.closed(l))).collect::<Vec<_>>(), [("DRK-1", 0, 10), ("SNK-1", 0, 12), ("DAI-1", 0, 0)]);
    assert!(till.replica().on_order().unwrap().is_empty(), "{:?}", till.replica().on_order().unwrap());
    assert_eq!((till.replica().stock("DRK-1").unwrap(), till.replica().stock("DAI-1").unwrap()), (20, 6));

    // Nothing more against it: no receipt, no amendment, no second cancellation.
    let head = till.replica().head().unwrap().0;
    let refused = format!("purchase order {id} is cancelled; it cannot be changed or received against");
    let refused_zh = format!("采购单 {id} 已取消，不能再修改或收货");
    let errs = [
        till.receive(Some(&id), got(&[("DRK-1", 10)]), "s01").unwrap_err(),
        till.amend_order(&id, po(&[("DRK-1", 30, 175)]), "s01").unwrap_err(),
        till.cancel_order(&id, "again", "s01").unwrap_err(),
    ];
    for err in errs {
        assert_eq!((err.message(Lang::En), err.message(Lang::Zh)), (refused.clone(), refused_zh.clone()));
    }
    assert_eq!(till.replica().head().unwrap().0, head);

    // A fully received order is neither amended nor cancelled.
    let full = till.place_order("COKE", po(&[("SNK-1", 5, 500)]), "s01").unwrap().row.po_id;
    assert_eq!(till.receive(Some(&full), got(&[("SNK-1", 5)]), "s01").unwrap().unwrap().state, "received");
    let complete = format!("purchase order {full} is fully received; nothing is outstanding to change or cancel");
    assert_eq!(till.amend_order(&full, po(&[("SNK-1", 6, 500)]), "s01").unwrap_err().message(Lang::En), complete);
    assert_eq!(till.cancel_order(&full, "late", "s01").unwrap_err().message(Lang::Zh), format!("采购单 {full} 已收齐，没有待收的商品可以修改或取消"));
    // Amended down to what came, an order is received: the short way to close it.
    let short = till.place_order("COKE", po(&[("DRK-1", 24, 180)]), "s01").unwrap().row.po_id;
    till.receive(Some(&short), got(&[("DRK-1", 18)]), "s01").unwrap();
    assert_eq!(till.amend_order(&short, po(&[("DRK-1", 18, 180)]), "s01").unwrap().state, "received");

    let report = till.verify(|_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.projection_problems);
    drop(till);

    // A replica taken back before migration 24 (25 undone first) gets the cancellation and amendment times
    // back from the journal when it migrates again.
    let conn = opentill_sync::rusqlite::Connection::open(dir.path().join(opentill_sync::DB_FILE)).unwrap();
    let version = opentill_sync::schema::po_changes_version();
    conn.execute_batch(&format!(
        "{} ALTER TABLE stocktakes DROP COLUMN location; ALTER TABLE purchase_orders DROP COLUMN cancel_reason; ALTER TABLE purchase_orders DROP COLUMN cancelled_ms; ALTER TABLE purchase_orders DROP COLUMN amended_ms; PRAGMA user_version = {};",
        opentill_sync::schema::UNDO_AFTER_24,
        version - 1
    ))
    .unwrap();
    drop(conn);
    let till = opentill_till::Till::open(dir.path()).unwrap();
    let again = till.purchase_order(&id).unwrap();
    assert_eq!((again.state, again.row.cancelled, again.row.amended_ms.is_some()), (cancelled.state, cancelled.row.cancelled.clone(), true));
    assert!(till.verify(|_| {}).unwrap().is_ok());
    drop(till);

    // The projection is re-checked against the journal.
    let conn = opentill_sync::rusqlite::Connection::open(dir.path().join(opentill_sync::DB_FILE)).unwrap();
    conn.execute_batch(&format!("UPDATE purchase_orders SET cancelled_ms = NULL WHERE po_id = '{id}'; UPDATE po_lines SET ordered = 24 WHERE po_id = '{id}' AND sku = 'DRK-1';")).unwrap();
    drop(conn);
    let till = opentill_till::Till::open(dir.path()).unwrap();
    assert_eq!(till.verify(|_| {}).unwrap().projection_problems, ["purchase orders disagree with the journal", "cancelled purchase orders disagree with the journal"]);
}

#[test]
fn a_stocktake_of_one_place_counts_and_corrects_that_place() {
    let (_dir, mut till) = store(CashRounding::None);
    // 24 colas and 10 bags of chips into the backroom, 10 colas onto the floor, 2 sold.
    till.receive(None, got(&[("DRK-1", 24), ("SNK-1", 10)]), "s01").unwrap();
    till.move_stock("DRK-1", "backroom", "floor", 10, "s01").unwrap();
    let scans = [ScanInput { code: "6901234567892".into(), qty: Some("2".into()) }];
    till.sell(None, &scans, &[Tender { kind: TenderKind::Cash, amount: 700, reference: None }], None).unwrap();
    let places = |till: &opentill_till::Till, sku: &str| (till.replica().stock(sku).unwrap(), till.replica().stock_at(sku).unwrap());

    let err = till.open_stocktake(None, Some("shelf")).unwrap_err();
    assert_eq!(err.message(Lang::En), "location \"shelf\" is not one of floor, backroom, warehouse");
    assert!(err.message(Lang::Zh).starts_with("位置 \"shelf\" 无效"), "{}", err.message(Lang::Zh));

    // The backroom: the books say 14 colas there; 12 are found. The chips nobody counted.
    let take = till.open_stocktake(None, Some("backroom")).unwrap();
    till.count(&take, "DRK-1", 12).unwrap();
    let report = till.stocktake_report(&take).unwrap();
    assert_eq!(report.location.as_deref(), Some("backroom"));
    assert_eq!(report.lines.iter().map(|l| (l.product.sku.as_str(), l.expected, l.counted, l.delta())).collect::<Vec<_>>(), [("DRK-1", 14, 12, -2)]);
    assert_eq!(report.uncounted, [("SNK-1".to_string(), 10)]);
    till.post_stocktake(&take, "s01").unwrap();
    assert_eq!(places(&till, "DRK-1"), (20, vec![("backroom".into(), 12), ("floor".into(), 8)]), "the backroom is corrected, the floor left alone");

    // Of the floor in one category: 8 expected there, 9 counted.
    let floor = till.open_stocktake(Some("drinks"), Some("floor")).unwrap();
    till.count(&floor, "DRK-1", 9).unwrap();
    assert_eq!(till.stocktake_report(&floor).unwrap().lines[0].expected, 8);
    assert!(till.stocktake_report(&floor).unwrap().uncounted.is_empty());
    till.post_stocktake(&floor, "s01").unwrap();
    assert_eq!(places(&till, "DRK-1"), (21, vec![("backroom".into(), 12), ("floor".into(), 9)]));

    // Without a place, as before: the store's total is expected, the floor corrected.
    let whole = till.open_stocktake(None, None).unwrap();
    till.count(&whole, "DRK-1", 20).unwrap();
    let report = till.stocktake_report(&whole).unwrap();
    assert_eq!((report.location, report.lines[0].expected), (None, 21));
    till.post_stocktake(&whole, "s01").unwrap();
    assert_eq!(places(&till, "DRK-1"), (20, vec![("backroom".into(), 12), ("floor".into(), 8)]));

    let report = till.verify(|_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.projection_problems);
}
