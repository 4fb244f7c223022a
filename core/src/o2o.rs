//! Online-to-offline orders (O2O, 线上下单): placed through the cloud by an online shop or
//! a delivery platform, routed to a store, and fulfilled there: accepted (stock reserved),
//! picked, ready, then handed over at the till (the customer shows the order's QR code) or
//! dispatched to a courier. Either side may cancel before that.
//!
//! The order as placed ([`O2oOrder`]) and an online cancellation live in the cloud; the
//! store's steps are journal facts ([`O2oFact`]). An order's state is a fold over all of
//! them ([`fold`]) that looks only at which steps exist, so every replica that holds the
//! same steps agrees, whatever order they came in.
//!
//! **Precedence rule** (see `docs/o2o.md`): goods that left the store are a physical fact.
//! A handover or dispatch stands over any cancellation; a cancellation that crossed it is
//! kept and flagged (`Conflict::CancelledAfterHandover`): the customer has the goods and
//! asked to cancel, so head office settles it (a refund at the store, or nothing). Short
//! of that, a cancellation (online or in store) or a rejection ends the order and frees
//! its reservation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// How the customer gets the goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fulfilment {
    /// The customer collects at the store (到店自提).
    Pickup,
    /// A courier takes it (配送).
    Delivery,
}

/// A SKU and how much (pieces, or grams for weighed products).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct O2oLine {
    /// SKU.
    pub sku: String,
    /// Quantity, 1 to 1,000,000.
    pub qty: i64,
}

/// An order as the online shop or platform placed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct O2oOrder {
    /// The platform's order id; placing the same id again is the same order.
    pub order_id: String,
    /// The store it is routed to.
    pub store_id: String,
    /// Where it came from (`shop`, `meituan`, `eleme`, ...).
    pub channel: String,
    /// Pickup or delivery.
    pub fulfilment: Fulfilment,
    /// The customer's name as given.
    pub customer_name: String,
    /// The customer's mobile number.
    pub customer_phone: String,
    /// The member the order is for, if any: member prices and points apply at handover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// What was ordered.
    pub lines: Vec<O2oLine>,
    /// The customer's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was placed (the cloud's clock).
    pub placed_ms: i64,
}

impl O2oOrder {
    /// What the order's QR code holds: the till reads it as this order.
    pub fn qr_text(&self) -> String {
        format!("{QR_PREFIX}{}", self.order_id)
    }
}

/// The prefix of an order's QR code.
pub const QR_PREFIX: &str = "OTO:";

/// The sale id a handover or dispatch records, so a retry records it once.
pub fn sale_id_for(order_id: &str) -> String {
    format!("O2O-{order_id}")
}

/// The steps a store takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Taken on: stock is reserved (接单).
    Accepted,
    /// Refused (out of stock, closed).
    Rejected,
    /// Picked from the shelves (拣货).
    Picked,
    /// Packed and waiting (待取货).
    Ready,
    /// Given to the customer at the till; the sale is recorded (已自提).
    HandedOver,
    /// Given to the courier; the sale is recorded (已发货).
    Dispatched,
    /// Called off by the store.
    Cancelled,
}

impl Step {
    /// What taking the step is called in an English message: `accept`, `hand over`, ...
    pub fn verb(self) -> &'static str {
        match self {
            Step::Accepted => "accept",
            Step::Rejected => "reject",
            Step::Picked => "pick",
            Step::Ready => "mark ready",
            Step::HandedOver => "hand over",
            Step::Dispatched => "dispatch",
            Step::Cancelled => "cancel",
        }
    }

    /// `accepted`, `rejected`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Accepted => "accepted",
            Step::Rejected => "rejected",
            Step::Picked => "picked",
            Step::Ready => "ready",
            Step::HandedOver => "handed_over",
            Step::Dispatched => "dispatched",
            Step::Cancelled => "cancelled",
        }
    }
}

/// A step the store journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct O2oFact {
    /// The order.
    pub order_id: String,
    /// The step.
    pub step: Step,
    /// Who.
    pub by: String,
    /// On acceptance: the order priced by the store's engine (minor units), for the
    /// platform to charge; on handover or dispatch: the recorded sale's total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    /// On handover or dispatch: the sale recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_id: Option<String>,
    /// Why (a rejection, a cancellation), or a courier's waybill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An online cancellation, as the cloud recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineCancel {
    /// Why.
    pub reason: String,
    /// When (the cloud's clock).
    pub ts_ms: i64,
}

/// A store step with where it was journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct O2oEvent {
    /// The node.
    pub node: String,
    /// Its seq in that node's journal.
    pub seq: u64,
    /// When.
    pub ts_ms: i64,
    /// The step.
    pub fact: O2oFact,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for the store.
    Placed,
    /// Taken on; stock reserved.
    Accepted,
    /// Picked.
    Picked,
    /// Ready for the customer or courier.
    Ready,
    /// Collected.
    HandedOver,
    /// With the courier.
    Dispatched,
    /// Refused by the store.
    Rejected,
    /// Called off (online or in store).
    Cancelled,
}

impl State {
    /// `placed`, `accepted`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            State::Placed => "placed",
            State::Accepted => "accepted",
            State::Picked => "picked",
            State::Ready => "ready",
            State::HandedOver => "handed_over",
            State::Dispatched => "dispatched",
            State::Rejected => "rejected",
            State::Cancelled => "cancelled",
        }
    }

    /// The state's name for people.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            State::Placed => lang.pick("待接单", "placed"),
            State::Accepted => lang.pick("已接单", "accepted"),
            State::Picked => lang.pick("已拣货", "picked"),
            State::Ready => lang.pick("待取货", "ready"),
            State::HandedOver => lang.pick("已自提", "handed over"),
            State::Dispatched => lang.pick("已发货", "dispatched"),
            State::Rejected => lang.pick("已拒单", "rejected"),
            State::Cancelled => lang.pick("已取消", "cancelled"),
        }
    }

    /// Whether the order holds stock back.
    pub fn reserves(self) -> bool {
        matches!(self, State::Accepted | State::Picked | State::Ready)
    }

    /// Whether nothing more can happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, State::HandedOver | State::Dispatched | State::Rejected | State::Cancelled)
    }
}

/// A contradiction the precedence rule settled, kept for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// Cancelled (online or in store) while, or after, the goods left the store: the
    /// handover stands; head office settles with the customer.
    CancelledAfterHandover,
}

/// An order as the steps held say it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderView {
    /// The order as placed.
    pub order: O2oOrder,
    /// Where it stands.
    pub state: State,
    /// The store's steps, oldest first.
    pub steps: Vec<O2oEvent>,
    /// The online cancellation, if any.
    pub online_cancel: Option<OnlineCancel>,
    /// A contradiction settled by the precedence rule.
    pub conflict: Option<Conflict>,
    /// The store's price when it accepted.
    pub quoted_minor: Option<i64>,
    /// The sale recorded at handover or dispatch, and its total.
    pub sale: Option<(String, i64)>,
}

/// Folds an order, its online cancellation and the store's steps (any order, repeats
/// allowed) into where it stands.
pub fn fold(order: &O2oOrder, online_cancel: Option<&OnlineCancel>, events: &[O2oEvent]) -> OrderView {
    let mut steps: Vec<O2oEvent> = events.iter().filter(|e| e.fact.order_id == order.order_id).cloned().collect();
    steps.sort_by(|a, b| (a.ts_ms, &a.node, a.seq).cmp(&(b.ts_ms, &b.node, b.seq)));
    steps.dedup_by(|a, b| a.node == b.node && a.seq == b.seq);
    let has = |s: Step| steps.iter().any(|e| e.fact.step == s);
    let left = steps.iter().find(|e| matches!(e.fact.step, Step::HandedOver | Step::Dispatched));
    let cancelled = online_cancel.is_some() || has(Step::Cancelled);
    let state = if let Some(e) = left {
        if e.fact.step == Step::HandedOver { State::HandedOver } else { State::Dispatched }
    } else if has(Step::Rejected) {
        State::Rejected
    } else if cancelled {
        State::Cancelled
    } else if has(Step::Ready) {
        State::Ready
    } else if has(Step::Picked) {
        State::Picked
    } else if has(Step::Accepted) {
        State::Accepted
    } else {
        State::Placed
    };
    let conflict = (left.is_some() && cancelled).then_some(Conflict::CancelledAfterHandover);
    let quoted_minor = steps.iter().find(|e| e.fact.step == Step::Accepted).and_then(|e| e.fact.amount_minor);
    let sale = left.and_then(|e| Some((e.fact.sale_id.clone()?, e.fact.amount_minor.unwrap_or(0))));
    OrderView { order: order.clone(), state, steps, online_cancel: online_cancel.cloned(), conflict, quoted_minor, sale }
}

/// What orders that hold stock back reserve, per SKU.
pub fn reserved<'a>(views: impl IntoIterator<Item = &'a OrderView>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for v in views.into_iter().filter(|v| v.state.reserves()) {
        for l in &v.order.lines {
            *out.entry(l.sku.clone()).or_insert(0) += l.qty;
        }
    }
    out
}

/// Why an order or a step was refused. Nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum O2oError {
    /// A field that is empty, too long or malformed.
    #[error("{field}: {why}")]
    Bad {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        why: String,
    },
    /// No lines.
    #[error("an order needs at least one line")]
    Empty,
    /// A SKU the catalog does not have.
    #[error("{0} is not in the catalog")]
    UnknownSku(String),
    /// A SKU twice.
    #[error("{0} appears twice; give it once with the total")]
    Twice(String),
    /// A quantity out of range.
    #[error("{sku}: quantity {qty} must be 1 to 1,000,000")]
    BadQty {
        /// SKU.
        sku: String,
        /// The quantity.
        qty: i64,
    },
    /// The same order id placed again with other content.
    #[error("order {0} was placed before with other content")]
    Different(String),
    /// No such order here (yet).
    #[error("no order {0} is known here; if it was just placed, sync first")]
    Unknown(String),
    /// The step does not follow from where the order stands.
    #[error("order {order_id} is {state}; cannot {step}")]
    BadState {
        /// The order.
        order_id: String,
        /// Its state.
        state: &'static str,
        /// The step attempted, as a verb.
        step: &'static str,
    },
    /// Handover for a delivery order, or dispatch for a pickup one.
    #[error("order {order_id} is for {fulfilment}; use {instead}")]
    WrongFulfilment {
        /// The order.
        order_id: String,
        /// Its fulfilment.
        fulfilment: &'static str,
        /// The step to use instead.
        instead: &'static str,
    },
    /// Not enough stock to take it on.
    #[error("not enough stock for {}", short.iter().map(|(s, need, have)| format!("{s} (needs {need}, {have} free)")).collect::<Vec<_>>().join(", "))]
    Short {
        /// (SKU, needed, free) per short line.
        short: Vec<(String, i64, i64)>,
    },
}

impl O2oError {
    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let state_zh = |s: &str| match s {
            "placed" => "待接单",
            "accepted" => "已接单",
            "picked" => "已拣货",
            "ready" => "待取货",
            "handed_over" => "已自提",
            "dispatched" => "已发货",
            "rejected" => "已拒单",
            _ => "已取消",
        };
        let step_zh = |s: &str| match s {
            "accept" => "接单",
            "reject" => "拒单",
            "pick" => "拣货",
            "mark ready" => "备货完成",
            "hand over" => "交付",
            "dispatch" => "发货",
            _ => "取消",
        };
        match self {
            O2oError::Bad { field, why } => format!("{field} 无效：{why}"),
            O2oError::Empty => "订单至少要有一行商品".into(),
            O2oError::UnknownSku(s) => format!("商品 {s} 不在商品目录中"),
            O2oError::Twice(s) => format!("{s} 出现了两次，请合并为一行"),
            O2oError::BadQty { sku, qty } => format!("{sku}：数量 {qty} 无效（应为 1 到 1,000,000）"),
            O2oError::Different(o) => format!("订单 {o} 已下过，且内容不同"),
            O2oError::Unknown(o) => format!("本机没有订单 {o}；若刚下单，请先同步"),
            O2oError::BadState { order_id, state, step } => format!("订单 {order_id} {}，不能{}", state_zh(state), step_zh(step)),
            O2oError::WrongFulfilment { order_id, fulfilment, .. } => {
                if *fulfilment == "delivery" { format!("订单 {order_id} 为配送单，请用“发货”") } else { format!("订单 {order_id} 为自提单，请在收银台扫码交付") }
            }
            O2oError::Short { short } => format!("库存不足：{}", short.iter().map(|(s, need, have)| format!("{s}（需要 {need}，可用 {have}）")).collect::<Vec<_>>().join("，")),
        }
    }
}

fn text(field: &'static str, value: &str, max: usize, required: bool) -> Result<(), O2oError> {
    if required && value.trim().is_empty() {
        return Err(O2oError::Bad { field, why: "must not be empty".into() });
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(O2oError::Bad { field, why: format!("at most {max} characters on one line") });
    }
    Ok(())
}

/// Checks an order as placed: ids, the customer's mobile number (11 digits), lines of
/// known SKUs, each once, 1 to 1,000,000.
pub fn check_order(order: &O2oOrder, known: impl Fn(&str) -> bool) -> Result<(), O2oError> {
    text("order_id", &order.order_id, 64, true)?;
    if order.order_id.chars().any(char::is_whitespace) {
        return Err(O2oError::Bad { field: "order_id", why: "no spaces".into() });
    }
    text("store_id", &order.store_id, 64, true)?;
    text("channel", &order.channel, 32, true)?;
    text("customer_name", &order.customer_name, 40, true)?;
    if order.customer_phone.len() != 11 || !order.customer_phone.bytes().all(|b| b.is_ascii_digit()) {
        return Err(O2oError::Bad { field: "customer_phone", why: format!("{:?} is not an 11-digit mobile number", order.customer_phone) });
    }
    text("note", order.note.as_deref().unwrap_or(""), 200, false)?;
    if order.lines.is_empty() {
        return Err(O2oError::Empty);
    }
    for (i, line) in order.lines.iter().enumerate() {
        if !known(&line.sku) {
            return Err(O2oError::UnknownSku(line.sku.clone()));
        }
        if order.lines[..i].iter().any(|l| l.sku == line.sku) {
            return Err(O2oError::Twice(line.sku.clone()));
        }
        if !(1..=1_000_000).contains(&line.qty) {
            return Err(O2oError::BadQty { sku: line.sku.clone(), qty: line.qty });
        }
    }
    Ok(())
}

/// Checks a store step against where the order stands.
pub fn check_step(view: &OrderView, step: Step) -> Result<(), O2oError> {
    let order_id = &view.order.order_id;
    let bad = || O2oError::BadState { order_id: order_id.clone(), state: view.state.as_str(), step: step.verb() };
    let allowed = match step {
        Step::Accepted | Step::Rejected => view.state == State::Placed,
        Step::Picked => view.state == State::Accepted,
        Step::Ready => matches!(view.state, State::Accepted | State::Picked),
        Step::HandedOver | Step::Dispatched => {
            let (wanted, fulfilment, instead) = match view.order.fulfilment {
                Fulfilment::Pickup => (Step::HandedOver, "pickup", "handover at the till"),
                Fulfilment::Delivery => (Step::Dispatched, "delivery", "dispatch"),
            };
            if step != wanted {
                return Err(O2oError::WrongFulfilment { order_id: order_id.clone(), fulfilment, instead });
            }
            view.state == State::Ready
        }
        Step::Cancelled => !view.state.is_final(),
    };
    if allowed { Ok(()) } else { Err(bad()) }
}

/// Checks that the store can take an order on: each line's SKU has at least its quantity
/// free (on hand less what other accepted orders reserve).
pub fn check_stock(order: &O2oOrder, free: impl Fn(&str) -> i64) -> Result<(), O2oError> {
    let short: Vec<(String, i64, i64)> = order.lines.iter().filter_map(|l| (free(&l.sku) < l.qty).then(|| (l.sku.clone(), l.qty, free(&l.sku).max(0)))).collect();
    if short.is_empty() { Ok(()) } else { Err(O2oError::Short { short }) }
}

#[cfg(test)]
mod tests;
