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
    let take = till.open_stocktake(Some("drinks")).unwrap();
    assert!(till.open_stocktake(Some("nothing-here")).is_err());
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
    let whole = till.open_stocktake(None).unwrap();
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
