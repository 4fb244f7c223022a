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
    /// An amendment, a cancellation or a receipt for an order that was cancelled.
    #[error("purchase order {0} is cancelled; it cannot be changed or received against")]
    PoCancelled(String),
    /// An amendment or a cancellation of an order that is fully received.
    #[error("purchase order {0} is fully received; nothing is outstanding to change or cancel")]
    PoComplete(String),
    /// An amendment ordering less than already arrived.
    #[error("{sku}: cannot order {qty}, {received} already received")]
    BelowReceived {
        /// SKU.
        sku: String,
        /// The new quantity.
        qty: i64,
        /// Received so far.
        received: i64,
    },
    /// An amendment that would leave nothing ordered.
    #[error("purchase order {0} would order nothing; cancel it instead")]
    NothingOrdered(String),
    /// A cancellation without a reason (or with too long a one).
    #[error("give a reason for cancelling (1 to 200 characters)")]
    NoReason,
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
            StockError::PoCancelled(po_id) => format!("采购单 {po_id} 已取消，不能再修改或收货"),
            StockError::PoComplete(po_id) => format!("采购单 {po_id} 已收齐，没有待收的商品可以修改或取消"),
            StockError::BelowReceived { sku, qty, received } => format!("{sku}：已收 {received}，订购数量不能改为 {qty}"),
            StockError::NothingOrdered(po_id) => format!("修改后采购单 {po_id} 没有任何订购商品；请改为取消采购单"),
            StockError::NoReason => "请填写取消原因（1 到 200 个字）".into(),
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

/// Checks goods may still be received against an order: not once it is cancelled.
pub fn check_receivable(po_id: &str, cancelled: bool) -> Result<(), StockError> {
    if cancelled { Err(StockError::PoCancelled(po_id.to_string())) } else { Ok(()) }
}

/// Checks that an order may still change: not cancelled, something still outstanding.
fn check_changeable(po_id: &str, current: &[PoLineStatus], cancelled: bool) -> Result<(), StockError> {
    check_receivable(po_id, cancelled)?;
    if matches!(po_state(current, false), "received" | "over") {
        return Err(StockError::PoComplete(po_id.to_string()));
    }
    Ok(())
}

/// Checks an amendment of order `po_id`, whose lines stand at `current`: the order is
/// neither cancelled nor fully received; each line names a SKU in the catalog, once, at a
/// cost from 0; a SKU on the order may go down to what was received of it (0 if nothing
/// was, which drops it) and up to 1,000,000, a new one is 1 to 1,000,000; and something
/// is still ordered after it.
pub fn check_amendment(po_id: &str, current: &[PoLineStatus], cancelled: bool, lines: &[PoLine], known: impl Fn(&str) -> bool) -> Result<(), StockError> {
    check_changeable(po_id, current, cancelled)?;
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
        let on_order = current.iter().find(|l| l.sku == line.sku);
        let lowest = if on_order.is_some() { 0 } else { 1 };
        if !(lowest..=MAX_QTY).contains(&line.qty) {
            return Err(StockError::BadQty { sku: line.sku.clone(), qty: line.qty });
        }
        if let Some(l) = on_order
            && line.qty < l.received
        {
            return Err(StockError::BelowReceived { sku: line.sku.clone(), qty: line.qty, received: l.received });
        }
        if !(0..=crate::money::MAX_AMOUNT_MINOR).contains(&line.unit_cost) {
            return Err(StockError::BadCost { sku: line.sku.clone(), cost: line.unit_cost });
        }
    }
    let kept = current.iter().filter(|l| !lines.iter().any(|n| n.sku == l.sku)).map(|l| l.ordered);
    if kept.chain(lines.iter().map(|l| l.qty)).all(|qty| qty == 0) {
        return Err(StockError::NothingOrdered(po_id.to_string()));
    }
    Ok(())
}

/// Checks a cancellation of order `po_id`, whose lines stand at `current`: not cancelled
/// already, something still outstanding (a partly received order may be cancelled: what
/// is outstanding closes), and a reason of 1 to 200 characters.
pub fn check_cancel(po_id: &str, current: &[PoLineStatus], cancelled: bool, reason: &str) -> Result<(), StockError> {
    check_changeable(po_id, current, cancelled)?;
    if reason.trim().is_empty() || reason.chars().count() > 200 {
        return Err(StockError::NoReason);
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

/// An order's state from its lines: `cancelled` (whatever arrived before), else `open`
/// (nothing received), `partial`, `received` (every line complete) or `over` (complete,
/// some line beyond its order).
pub fn po_state(lines: &[PoLineStatus], cancelled: bool) -> &'static str {
    if cancelled {
        "cancelled"
    } else if lines.iter().all(|l| l.received == 0) {
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
    fn amendments_are_checked_in_both_languages() {
        use crate::i18n::Lang;
        let line = |sku: &str, ordered, received| PoLineStatus { sku: sku.into(), ordered, received };
        let open = vec![line("DRK-1", 24, 0)];
        let partial = vec![line("DRK-1", 24, 20), line("SNK-1", 12, 0)];
        let received = vec![line("DRK-1", 24, 24), line("SNK-1", 12, 13)];
        let known = |sku: &str| sku != "NOPE";
        type Case<'a> = (&'a [PoLineStatus], bool, &'a [(&'a str, i64, i64)], Option<(&'a str, &'a str)>);
        let cases: &[Case] = &[
            (&partial, false, &[("DRK-1", 30, 175), ("MLK-1", 6, 300)], None),
            (&partial, false, &[("DRK-1", 20, 180)], None),
            (&partial, false, &[("SNK-1", 0, 500)], None),
            (&open, false, &[("DRK-1", 1_000_000, 0)], None),
            (&partial, false, &[("DRK-1", 19, 180)], Some(("DRK-1: cannot order 19, 20 already received", "DRK-1：已收 20，订购数量不能改为 19"))),
            (&partial, false, &[("NOPE", 1, 100)], Some(("NOPE is not in the catalog", "商品 NOPE 不在商品目录中"))),
            (&partial, false, &[("MLK-1", 0, 100)], Some(("MLK-1: quantity 0 must be 1 to 1,000,000", "MLK-1：数量 0 无效（应为 1 到 1,000,000）"))),
            (&partial, false, &[("SNK-1", -1, 100)], Some(("SNK-1: quantity -1 must be 1 to 1,000,000", "SNK-1：数量 -1 无效（应为 1 到 1,000,000）"))),
            (&partial, false, &[("SNK-1", 6, -1)], Some(("SNK-1: cost -1 is not valid", "SNK-1：进价 -1 无效"))),
            (&partial, false, &[("SNK-1", 6, 1), ("SNK-1", 7, 1)], Some(("SNK-1 appears twice; give it once with the total", "SNK-1 出现了两次，请合并为一行"))),
            (&partial, false, &[], Some(("nothing to order or receive", "没有可下单或收货的商品"))),
            (&open, false, &[("DRK-1", 0, 180)], Some(("purchase order PO1 would order nothing; cancel it instead", "修改后采购单 PO1 没有任何订购商品；请改为取消采购单"))),
            (
                &partial,
                true,
                &[("DRK-1", 30, 180)],
                Some(("purchase order PO1 is cancelled; it cannot be changed or received against", "采购单 PO1 已取消，不能再修改或收货")),
            ),
            (
                &received,
                false,
                &[("DRK-1", 30, 180)],
                Some(("purchase order PO1 is fully received; nothing is outstanding to change or cancel", "采购单 PO1 已收齐，没有待收的商品可以修改或取消")),
            ),
        ];
        for (current, cancelled, lines, want) in cases {
            let got = check_amendment("PO1", current, *cancelled, &po(lines), known).err().map(|e| (e.message(Lang::En), e.message(Lang::Zh)));
            assert_eq!(got.as_ref().map(|(en, zh)| (en.as_str(), zh.as_str())), *want, "{lines:?}");
        }
    }

    #[test]
    fn cancellations_and_receipts_against_them_are_checked_in_both_languages() {
        use crate::i18n::Lang;
        let line = |ordered, received| PoLineStatus { sku: "DRK-1".into(), ordered, received };
        type Case<'a> = (Vec<PoLineStatus>, bool, &'a str, Option<(&'a str, &'a str)>);
        let cases: &[Case] = &[
            (vec![line(24, 0)], false, "supplier out of stock", None),
            (vec![line(24, 20)], false, "the rest will not come", None),
            (vec![line(24, 20)], false, " ", Some(("give a reason for cancelling (1 to 200 characters)", "请填写取消原因（1 到 200 个字）"))),
            (vec![line(24, 0)], false, &"长".repeat(201), Some(("give a reason for cancelling (1 to 200 characters)", "请填写取消原因（1 到 200 个字）"))),
            (vec![line(24, 0)], true, "again", Some(("purchase order PO1 is cancelled; it cannot be changed or received against", "采购单 PO1 已取消，不能再修改或收货"))),
            (vec![line(24, 25)], false, "late", Some(("purchase order PO1 is fully received; nothing is outstanding to change or cancel", "采购单 PO1 已收齐，没有待收的商品可以修改或取消"))),
        ];
        for (current, cancelled, reason, want) in cases {
            let got = check_cancel("PO1", current, *cancelled, reason).err().map(|e| (e.message(Lang::En), e.message(Lang::Zh)));
            assert_eq!(got.as_ref().map(|(en, zh)| (en.as_str(), zh.as_str())), *want, "{reason:?}");
        }
        assert_eq!(check_receivable("PO1", false), Ok(()));
        assert_eq!(check_receivable("PO1", true).unwrap_err().message(Lang::Zh), "采购单 PO1 已取消，不能再修改或收货");
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
            (Fact::StocktakePosted { stocktake_id: "S".into(), lines: vec![CountLine { sku: "DRK-1".into(), expected: 10, counted: 7 }], by: "m".into(), location: None }, vec![("DRK-1", "floor", -3)]),
            (
                Fact::StocktakePosted { stocktake_id: "S".into(), lines: vec![CountLine { sku: "DRK-1".into(), expected: 4, counted: 6 }, CountLine { sku: "SNK-1".into(), expected: 2, counted: 2 }], by: "m".into(), location: Some("backroom".into()) },
                vec![("DRK-1", "backroom", 2)],
            ),
            (Fact::PurchaseOrderAmended { po_id: "PO1".into(), lines: po(&[("DRK-1", 30, 180)]), by: "m".into() }, vec![]),
            (Fact::PurchaseOrderCancelled { po_id: "PO1".into(), reason: "late".into(), by: "m".into() }, vec![]),
            (
                Fact::PointsRedeemed {
                    redemption_id: "R1".into(),
                    member: "M1".into(),
                    lines: vec![crate::member::RedeemedLine { sku: "DRK-1".into(), qty: 2, points: 600 }, crate::member::RedeemedLine { sku: "SNK-1".into(), qty: 1, points: 150 }],
                    by: "m".into(),
                },
                vec![("DRK-1", "floor", -2), ("SNK-1", "floor", -1)],
            ),
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
    fn a_stocktake_posted_before_places_reads_as_one_of_the_floor() {
        use crate::journal::Fact;
        let old = r#"{"type":"stocktake_posted","stocktake_id":"S","lines":[{"sku":"DRK-1","expected":10,"counted":7}],"by":"m"}"#;
        let fact: Fact = serde_json::from_str(old).unwrap();
        assert!(matches!(&fact, Fact::StocktakePosted { location: None, .. }), "{fact:?}");
        assert_eq!(serde_json::to_string(&fact).unwrap(), old, "written as before when no place is named");
        assert_eq!(crate::fold::location_delta(&fact), [("DRK-1", "floor", -3)]);
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
            assert_eq!(po_state(&lines, false), state, "{lines:?}");
        }
        assert_eq!(po_state(&[line(10, 4), line(5, 0)], true), "cancelled", "whatever arrived before");
        assert_eq!(po_state(&[line(10, 0)], true), "cancelled");
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
