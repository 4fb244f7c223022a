//! Stock and purchasing, pure: stocktake variances, purchase orders and what was
//! received against them, and replenishment suggestions from sales velocity, lead time
//! and safety stock. The caller folds on-hand stock, sales and orders from the journal.

use serde::{Deserialize, Serialize};

/// One counted SKU of a posted stocktake: the stock the till expected when it was posted
/// and what was counted; stock moves by `counted - expected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountLine {
    /// SKU.
    pub sku: String,
    /// On hand by the journal when posted.
    pub expected: i64,
    /// Counted.
    pub counted: i64,
}

/// A line of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoLine {
    /// SKU.
    pub sku: String,
    /// Pieces, or grams for weighed products.
    pub qty: i64,
    /// Cost per piece (or per kg), minor units.
    pub unit_cost: i64,
}

/// Goods received: a SKU and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedLine {
    /// SKU.
    pub sku: String,
    /// Pieces or grams.
    pub qty: i64,
}

/// Why a stock or purchasing operation was refused. Nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    /// A SKU the catalog does not have.
    #[error("{0} is not in the catalog")]
    UnknownSku(String),
    /// A quantity that is zero, negative or absurd.
    #[error("{sku}: quantity {qty} must be 1 to 1,000,000")]
    BadQty {
        /// SKU.
        sku: String,
        /// The quantity.
        qty: i64,
    },
    /// A negative or absurd cost.
    #[error("{sku}: cost {cost} is not valid")]
    BadCost {
        /// SKU.
        sku: String,
        /// The cost.
        cost: i64,
    },
    /// A SKU twice on one order or receipt.
    #[error("{0} appears twice; give it once with the total")]
    Twice(String),
    /// An order or receipt with no lines.
    #[error("nothing to order or receive")]
    Empty,
    /// Not one of [`LOCATIONS`].
    #[error("location {0:?} is not one of floor, backroom, warehouse")]
    BadLocation(String),
    /// A move to where the stock already is.
    #[error("stock moves between two different places")]
    SamePlace,
    /// Moving more than the place holds.
    #[error("{sku}: only {held} in the {from}, cannot move {qty}; count it first (stocktake or adjustment)")]
    NotThere {
        /// SKU.
        sku: String,
        /// Where from.
        from: String,
        /// What is there.
        held: i64,
        /// What was to move.
        qty: i64,
    },
    /// A receipt line for a SKU that is not on the order.
    #[error("{sku} is not on purchase order {po_id}")]
    NotOnOrder {
        /// SKU.
        sku: String,
        /// The order.
        po_id: String,
    },
}

impl StockError {
    /// The message in `lang`.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        if lang == crate::i18n::Lang::En {
            return self.to_string();
        }
        let place = |l: &str| match l {
            "floor" => "卖场".to_string(),
            "backroom" => "后仓".to_string(),
            "warehouse" => "仓库".to_string(),
            other => other.to_string(),
        };
        match self {
            StockError::UnknownSku(s) => format!("商品 {s} 不在商品目录中"),
            StockError::BadQty { sku, qty } => format!("{sku}：数量 {qty} 无效（应为 1 到 1,000,000）"),
            StockError::BadCost { sku, cost } => format!("{sku}：进价 {cost} 无效"),
            StockError::Twice(s) => format!("{s} 出现了两次，请合并为一行"),
            StockError::Empty => "没有可下单或收货的商品".into(),
            StockError::BadLocation(l) => format!("位置 {l:?} 无效（应为卖场 floor、后仓 backroom 或仓库 warehouse）"),
            StockError::SamePlace => "移库须在两个不同位置之间".into(),
            StockError::NotThere { sku, from, held, qty } => format!("{sku}：{}只有 {held}，不能移出 {qty}；请先盘点或调整库存", place(from)),
            StockError::NotOnOrder { sku, po_id } => format!("{sku} 不在采购单 {po_id} 中"),
        }
    }
}

const MAX_QTY: i64 = 1_000_000;

/// The places stock is kept in a store: the sales floor (where sales take it from), the
/// backroom (where goods are received and transfers leave from) and a warehouse.
pub const LOCATIONS: [&str; 3] = ["floor", "backroom", "warehouse"];

/// Where sales take stock from and refunds put it back.
pub const SALES_LOCATION: &str = "floor";

/// Where received goods and transfers go, and where transfers leave from.
pub const RECEIVING_LOCATION: &str = "backroom";

/// Checks a location name.
pub fn check_location(location: &str) -> Result<(), StockError> {
    if LOCATIONS.contains(&location) { Ok(()) } else { Err(StockError::BadLocation(location.to_string())) }
}

/// Checks a move of `qty` of `sku` from `from` (which holds `held`) to `to`.
pub fn check_move(sku: &str, from: &str, to: &str, qty: i64, held: i64) -> Result<(), StockError> {
    check_location(from)?;
    check_location(to)?;
    if from == to {
        return Err(StockError::SamePlace);
    }
    if !(1..=MAX_QTY).contains(&qty) {
        return Err(StockError::BadQty { sku: sku.into(), qty });
    }
    if qty > held {
        return Err(StockError::NotThere { sku: sku.into(), from: from.into(), held, qty });
    }
    Ok(())
}

/// Checks purchase order lines: known SKUs, each once, quantities 1 to 1,000,000, costs
/// from 0 to a billion fen.
pub fn check_po(lines: &[PoLine], known: impl Fn(&str) -> bool) -> Result<(), StockError> {
    if lines.is_empty() {
        return Err(StockError::Empty);
    }
    for (i, line) in lines.iter().enumerate() {
        if !known(&line.sku) {
            return Err(StockError::UnknownSku(line.sku.clone()));
        }
        if lines[..i].iter().any(|l| l.sku == line.sku) {
            return Err(StockError::Twice(line.sku.clone()));
        }
        if !(1..=MAX_QTY).contains(&line.qty) {
            return Err(StockError::BadQty { sku: line.sku.clone(), qty: line.qty });
        }
        if !(0..=crate::money::MAX_AMOUNT_MINOR).contains(&line.unit_cost) {
            return Err(StockError::BadCost { sku: line.sku.clone(), cost: line.unit_cost });
        }
    }
    Ok(())
}

/// Checks received lines against the order they are for (`None`: goods received with
/// no order): SKUs on the order, each once, quantities 1 to 1,000,000. Receiving more or
/// less than ordered is allowed; [`PoLineStatus`] says which.
pub fn check_receipt(lines: &[ReceivedLine], po: Option<(&str, &[PoLine])>, known: impl Fn(&str) -> bool) -> Result<(), StockError> {
    if lines.is_empty() {
        return Err(StockError::Empty);
    }
    for (i, line) in lines.iter().enumerate() {
        if !known(&line.sku) {
            return Err(StockError::UnknownSku(line.sku.clone()));
        }
        if let Some((po_id, ordered)) = po
            && !ordered.iter().any(|l| l.sku == line.sku)
        {
            return Err(StockError::NotOnOrder { sku: line.sku.clone(), po_id: po_id.to_string() });
        }
        if lines[..i].iter().any(|l| l.sku == line.sku) {
            return Err(StockError::Twice(line.sku.clone()));
        }
        if !(1..=MAX_QTY).contains(&line.qty) {
            return Err(StockError::BadQty { sku: line.sku.clone(), qty: line.qty });
        }
    }
    Ok(())
}

/// Where one line of an order stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoLineStatus {
    /// SKU.
    pub sku: String,
    /// Ordered.
    pub ordered: i64,
    /// Received so far.
    pub received: i64,
}

impl PoLineStatus {
    /// Still to come (0 once all or more arrived).
    pub fn outstanding(&self) -> i64 {
        (self.ordered - self.received).max(0)
    }

    /// Received beyond the order.
    pub fn over(&self) -> i64 {
        (self.received - self.ordered).max(0)
    }
}

/// An order's state from its lines: `open` (nothing received), `partial`, `received`
/// (every line complete) or `over` (complete, some line beyond its order).
pub fn po_state(lines: &[PoLineStatus]) -> &'static str {
    if lines.iter().all(|l| l.received == 0) {
        "open"
    } else if lines.iter().any(|l| l.outstanding() > 0) {
        "partial"
    } else if lines.iter().any(|l| l.over() > 0) {
        "over"
    } else {
        "received"
    }
}

/// What replenishment knows of one SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplenishInput {
    /// SKU.
    pub sku: String,
    /// On hand now.
    pub on_hand: i64,
    /// Ordered and not yet received.
    pub on_order: i64,
    /// Sold (net of refunds) over the last `days`.
    pub sold: i64,
    /// The window `sold` covers, days (at least 1).
    pub days: i64,
    /// Supplier lead time, days.
    pub lead_time_days: i64,
    /// Safety stock, in days of sales.
    pub safety_days: i64,
    /// Days until the next order after this one (the review period).
    pub review_days: i64,
}

/// A replenishment suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// SKU.
    pub sku: String,
    /// Sold a day, in thousandths (1500 = 1.5 a day).
    pub daily_milli: i64,
    /// Stock at which to order: sales over the lead time plus safety stock.
    pub reorder_point: i64,
    /// On hand plus on order.
    pub position: i64,
    /// What to order now: up to sales over lead time, review period and safety days.
    pub qty: i64,
    /// Days the stock position lasts at this velocity (`None` when nothing sells).
    pub days_of_cover: Option<i64>,
}

/// Suggests an order when the stock position (on hand plus on order) is at or under the
/// reorder point: enough to cover the lead time, the review period and the safety days
/// at the recent daily velocity, rounded up. `None` when nothing is needed.
pub fn suggest(input: &ReplenishInput) -> Option<Suggestion> {
    let days = input.days.max(1);
    let sold = input.sold.max(0);
    // All in thousandths of a unit, rounded up where it matters: never order short.
    let daily_milli = (sold * 1000 + days - 1) / days;
    let need = |days: i64| (daily_milli * days.max(0) + 999) / 1000;
    let reorder_point = need(input.lead_time_days + input.safety_days);
    let position = input.on_hand + input.on_order;
    let days_of_cover = (daily_milli > 0).then(|| position.max(0) * 1000 / daily_milli);
    if sold == 0 || position > reorder_point {
        return None;
    }
    let target = need(input.lead_time_days + input.review_days + input.safety_days);
    let qty = (target - position).max(0);
    (qty > 0).then(|| Suggestion { sku: input.sku.clone(), daily_milli, reorder_point, position, qty, days_of_cover })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn po(lines: &[(&str, i64, i64)]) -> Vec<PoLine> {
        lines.iter().map(|&(sku, qty, unit_cost)| PoLine { sku: sku.into(), qty, unit_cost }).collect()
    }

    #[test]
    fn purchase_orders_are_checked_line_by_line() {
        let known = |sku: &str| sku != "NOPE";
        type Case<'a> = (&'a [(&'a str, i64, i64)], Option<&'a str>);
        let cases: &[Case] = &[
            (&[("DRK-1", 24, 180), ("SNK-1", 12, 500)], None),
            (&[], Some("nothing to order")),
            (&[("NOPE", 1, 1)], Some("NOPE is not in the catalog")),
            (&[("DRK-1", 0, 180)], Some("quantity 0")),
            (&[("DRK-1", 1, -1)], Some("cost -1")),
            (&[("DRK-1", 1, 1), ("DRK-1", 2, 1)], Some("appears twice")),
        ];
        for (lines, err) in cases {
            let got = check_po(&po(lines), known).err().map(|e| e.to_string());
            match (err, got) {
                (None, None) => {}
                (Some(want), Some(got)) => assert!(got.contains(want), "{got}"),
                (want, got) => panic!("{lines:?}: want {want:?}, got {got:?}"),
            }
        }
        let order = po(&[("DRK-1", 24, 180)]);
        let err = check_receipt(&[ReceivedLine { sku: "SNK-1".into(), qty: 1 }], Some(("PO1", &order)), |_| true).unwrap_err();
        assert_eq!(err.to_string(), "SNK-1 is not on purchase order PO1");
        assert!(check_receipt(&[ReceivedLine { sku: "SNK-1".into(), qty: 1 }], None, |_| true).is_ok(), "goods without an order");
    }

    #[test]
    fn moves_between_places_are_checked() {
        assert_eq!(check_move("DRK-1", "backroom", "floor", 12, 20), Ok(()));
        for (from, to, qty, held, want) in [
            ("backroom", "floor", 21, 20, "DRK-1: only 20 in the backroom, cannot move 21; count it first (stocktake or adjustment)"),
            ("floor", "floor", 1, 20, "stock moves between two different places"),
            ("shelf", "floor", 1, 20, "location \"shelf\" is not one of floor, backroom, warehouse"),
            ("backroom", "floor", 0, 20, "DRK-1: quantity 0 must be 1 to 1,000,000"),
        ] {
            assert_eq!(check_move("DRK-1", from, to, qty, held).unwrap_err().to_string(), want);
        }
    }

    #[test]
    fn each_facts_places_add_up_to_its_stock_change() {
        use crate::journal::Fact;
        use crate::transfer::{Step, TransferFact, TransferLine};
        let received = |location: Option<&str>| Fact::GoodsReceived { receipt_id: "GR1".into(), po_id: None, lines: vec![ReceivedLine { sku: "DRK-1".into(), qty: 24 }], by: "m".into(), location: location.map(String::from) };
        let cases: Vec<(Fact, Vec<(&str, &str, i64)>)> = vec![
            (received(None), vec![("DRK-1", "backroom", 24)]),
            (received(Some("warehouse")), vec![("DRK-1", "warehouse", 24)]),
            (Fact::StockAdjusted { sku: "DRK-1".into(), delta: -2, reason: "damage".into(), by: "m".into(), location: None }, vec![("DRK-1", "floor", -2)]),
            (Fact::StockMoved { sku: "DRK-1".into(), from: "backroom".into(), to: "floor".into(), qty: 12, by: "m".into() }, vec![("DRK-1", "backroom", -12), ("DRK-1", "floor", 12)]),
            (
                Fact::Transfer(TransferFact { transfer_id: "T".into(), step: Step::Shipped, from_store: "A".into(), to_store: "B".into(), lines: vec![TransferLine { sku: "DRK-1".into(), qty: 6 }], by: "m".into(), note: None }),
                vec![("DRK-1", "backroom", -6)],
            ),
            (Fact::StocktakePosted { stocktake_id: "S".into(), lines: vec![CountLine { sku: "DRK-1".into(), expected: 10, counted: 7 }], by: "m".into() }, vec![("DRK-1", "floor", -3)]),
        ];
        for (fact, want) in cases {
            let got = crate::fold::location_delta(&fact);
            assert_eq!(got, want, "{fact:?}");
            let mut by_sku = std::collections::BTreeMap::new();
            for (sku, _, d) in &got {
                *by_sku.entry(*sku).or_insert(0) += d;
            }
            let total: std::collections::BTreeMap<&str, i64> = crate::fold::stock_delta(&fact).into_iter().collect();
            assert_eq!(by_sku.into_iter().filter(|(_, d)| *d != 0).collect::<std::collections::BTreeMap<_, _>>(), total, "{fact:?}");
        }
    }

    #[test]
    fn order_states() {
        let line = |ordered, received| PoLineStatus { sku: "X".into(), ordered, received };
        for (lines, state) in [
            (vec![line(10, 0), line(5, 0)], "open"),
            (vec![line(10, 4), line(5, 0)], "partial"),
            (vec![line(10, 10), line(5, 5)], "received"),
            (vec![line(10, 12), line(5, 5)], "over"),
            (vec![line(10, 12), line(5, 1)], "partial"),
        ] {
            assert_eq!(po_state(&lines), state, "{lines:?}");
        }
        assert_eq!((line(10, 12).over(), line(10, 4).outstanding()), (2, 6));
    }

    #[test]
    fn replenishment_from_velocity_lead_time_and_safety_stock() {
        let input = |on_hand, on_order, sold| ReplenishInput { sku: "DRK-1".into(), on_hand, on_order, sold, days: 28, lead_time_days: 3, safety_days: 2, review_days: 7 };
        // 56 sold in 28 days: 2 a day. Reorder point 2 × (3 + 2) = 10; target 2 × 12 = 24.
        let s = suggest(&input(8, 0, 56)).unwrap();
        assert_eq!((s.daily_milli, s.reorder_point, s.qty, s.days_of_cover), (2000, 10, 16, Some(4)));
        assert_eq!(suggest(&input(10, 0, 56)).map(|s| s.qty), Some(14), "at the reorder point: order");
        assert_eq!(suggest(&input(11, 0, 56)), None, "above it: wait");
        assert_eq!(suggest(&input(4, 8, 56)), None, "what is on order counts");
        assert_eq!(suggest(&input(0, 0, 0)), None, "nothing sells: nothing to suggest");
        // 10 in 28 days: 0.358 a day (rounded up); reorder point ⌈1.79⌉ = 2, target ⌈4.3⌉ = 5.
        let slow = suggest(&input(1, 0, 10)).unwrap();
        assert_eq!((slow.daily_milli, slow.reorder_point, slow.qty), (358, 2, 4));
        // Oversold (negative on hand): order the shortfall too.
        assert_eq!(suggest(&input(-3, 0, 56)).unwrap().qty, 27);
    }
}
