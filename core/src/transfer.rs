//! Stock transfers between stores (调拨), pure: request → ship → receive, or cancel.
//!
//! Each step is a journal fact ([`TransferFact`]) recorded by a node of the store that
//! takes it: the receiving store requests, the sending store ships (stock leaves it), the
//! receiving store receives (stock arrives), either cancels before shipping. The facts
//! reach the other store through the cloud, so the two stores never need to be online
//! together. A transfer's state is a fold over every fact of it that a node holds
//! ([`fold`]); the fold sums quantities and looks only at which steps exist, so it gives
//! the same answer whatever order the facts arrive in.
//!
//! Conflict rule (see `docs/stock.md`): goods that left a store are a physical fact, so
//! **a shipment stands over a concurrent cancellation**. When both are recorded (each
//! store offline, one cancelling while the other shipped) the transfer is in transit, the
//! cancellation is kept as `cancel_overridden`, and the receiving store receives it as
//! usual. Two shipments (or receipts) of one transfer, from two tills offline together,
//! both count: each moved goods.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// The steps of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The receiving store asked for goods (调拨申请).
    Requested,
    /// The sending store sent goods (调出); stock left it.
    Shipped,
    /// The receiving store took the goods in (调入); stock arrived.
    Received,
    /// Called off before shipping.
    Cancelled,
}

/// A SKU and how much (pieces, or grams for weighed products).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferLine {
    /// SKU.
    pub sku: String,
    /// Pieces or grams; 0 only on a receipt (none of it arrived).
    pub qty: i64,
}

/// One step of a transfer, as journaled by the store that took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferFact {
    /// The transfer, the same id on every step.
    pub transfer_id: String,
    /// Which step.
    pub step: Step,
    /// The store the goods leave.
    pub from_store: String,
    /// The store the goods go to.
    pub to_store: String,
    /// Requested, shipped or received quantities; empty for a cancellation.
    #[serde(default)]
    pub lines: Vec<TransferLine>,
    /// Who.
    pub by: String,
    /// A free note (why, a carrier's waybill, what was damaged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl TransferFact {
    /// How this step moves the stock of the store that journaled it.
    pub fn stock_delta(&self) -> Vec<(&str, i64)> {
        let sign = match self.step {
            Step::Shipped => -1,
            Step::Received => 1,
            Step::Requested | Step::Cancelled => return Vec::new(),
        };
        self.lines.iter().filter(|l| l.qty != 0).map(|l| (l.sku.as_str(), sign * l.qty)).collect()
    }

    /// Whether `store` is one of the two ends.
    pub fn involves(&self, store: &str) -> bool {
        self.from_store == store || self.to_store == store
    }
}

/// A transfer fact with where and when it was journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferEvent {
    /// The store of the node that journaled it.
    pub store: String,
    /// The node.
    pub node: String,
    /// Its seq in that node's journal.
    pub seq: u64,
    /// When (the node's clock).
    pub ts_ms: i64,
    /// The step.
    pub fact: TransferFact,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Asked for, not shipped.
    Requested,
    /// Shipped, not received: the goods are on the road (在途).
    InTransit,
    /// Received; any difference from what was shipped is the line's variance.
    Received,
    /// Called off before shipping.
    Cancelled,
}

impl State {
    /// `requested`, `in_transit`, `received`, `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::InTransit => "in_transit",
            State::Received => "received",
            State::Cancelled => "cancelled",
        }
    }

    /// The state's name for people.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            State::Requested => lang.pick("待发货", "requested"),
            State::InTransit => lang.pick("在途", "in transit"),
            State::Received => lang.pick("已收货", "received"),
            State::Cancelled => lang.pick("已取消", "cancelled"),
        }
    }
}

/// One SKU of a transfer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LineStatus {
    /// SKU.
    pub sku: String,
    /// Asked for.
    pub requested: i64,
    /// Sent.
    pub shipped: i64,
    /// Taken in.
    pub received: i64,
}

impl LineStatus {
    /// On the road: shipped and not (yet) received; 0 once the transfer is received.
    pub fn in_transit(&self, state: State) -> i64 {
        if state == State::InTransit { self.shipped } else { 0 }
    }

    /// Received less shipped, once received: negative is short (lost or damaged on the
    /// way), positive is over.
    pub fn variance(&self, state: State) -> i64 {
        if state == State::Received { self.received - self.shipped } else { 0 }
    }
}

/// Who took a step and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    /// The step.
    pub step: Step,
    /// The store that took it.
    pub store: String,
    /// Who.
    pub by: String,
    /// When.
    pub ts_ms: i64,
    /// Their note.
    pub note: Option<String>,
}

/// A transfer as the facts held say it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// Id.
    pub transfer_id: String,
    /// Sending store.
    pub from_store: String,
    /// Receiving store.
    pub to_store: String,
    /// Where it stands.
    pub state: State,
    /// Per SKU, by SKU.
    pub lines: Vec<LineStatus>,
    /// Every step held, oldest first.
    pub history: Vec<StepRecord>,
    /// A cancellation was recorded, but goods were shipped too: the shipment stands.
    pub cancel_overridden: bool,
    /// Facts that name other stores than the transfer's first fact did; left out.
    pub ignored: usize,
}

impl Transfer {
    /// Pieces (or grams) on the road.
    pub fn in_transit(&self) -> i64 {
        self.lines.iter().map(|l| l.in_transit(self.state)).sum()
    }

    /// When it was last moved.
    pub fn updated_ms(&self) -> i64 {
        self.history.last().map_or(0, |h| h.ts_ms)
    }
}

/// Folds transfer facts (in any order, repeats allowed: the same `(node, seq)` counts
/// once) into transfers, by id.
pub fn fold(events: &[TransferEvent]) -> Vec<Transfer> {
    let mut sorted: Vec<&TransferEvent> = events.iter().collect();
    sorted.sort_by(|a, b| (&a.fact.transfer_id, a.ts_ms, &a.node, a.seq).cmp(&(&b.fact.transfer_id, b.ts_ms, &b.node, b.seq)));
    sorted.dedup_by(|a, b| a.node == b.node && a.seq == b.seq);
    let mut out = Vec::new();
    for group in sorted.chunk_by(|a, b| a.fact.transfer_id == b.fact.transfer_id) {
        let first = &group[0].fact;
        let mut lines: BTreeMap<&str, LineStatus> = BTreeMap::new();
        let mut steps = [false; 4];
        let mut history = Vec::new();
        let mut ignored = 0;
        for e in group {
            let f = &e.fact;
            if f.from_store != first.from_store || f.to_store != first.to_store {
                ignored += 1;
                continue;
            }
            steps[f.step as usize] = true;
            for l in &f.lines {
                let line = lines.entry(&l.sku).or_insert_with(|| LineStatus { sku: l.sku.clone(), ..LineStatus::default() });
                match f.step {
                    Step::Requested => line.requested += l.qty,
                    Step::Shipped => line.shipped += l.qty,
                    Step::Received => line.received += l.qty,
                    Step::Cancelled => {}
                }
            }
            history.push(StepRecord { step: f.step, store: e.store.clone(), by: f.by.clone(), ts_ms: e.ts_ms, note: f.note.clone() });
        }
        let [_, shipped, received, cancelled] = steps;
        let state = if received {
            State::Received
        } else if shipped {
            State::InTransit
        } else if cancelled {
            State::Cancelled
        } else {
            State::Requested
        };
        out.push(Transfer {
            transfer_id: first.transfer_id.clone(),
            from_store: first.from_store.clone(),
            to_store: first.to_store.clone(),
            state,
            lines: lines.into_values().collect(),
            history,
            cancel_overridden: cancelled && shipped,
            ignored,
        });
    }
    out
}

/// Why a transfer step was refused. Nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// No lines.
    #[error("a transfer needs at least one line")]
    Empty,
    /// A SKU the catalog does not have.
    #[error("{0} is not in the catalog")]
    UnknownSku(String),
    /// A SKU twice.
    #[error("{0} appears twice; give it once with the total")]
    Twice(String),
    /// A quantity out of range.
    #[error("{sku}: quantity {qty} must be {min} to 1,000,000")]
    BadQty {
        /// SKU.
        sku: String,
        /// The quantity.
        qty: i64,
        /// The least allowed (0 on a receipt, else 1).
        min: i64,
    },
    /// A store id that is empty, too long or has spaces or control characters.
    #[error("store id {0:?} is not valid")]
    BadStore(String),
    /// Both ends are this store.
    #[error("a transfer goes to another store, not {0} itself")]
    SameStore(String),
    /// No transfer with this id is known here (yet).
    #[error("no transfer {0} is known here; if another store just made it, sync first")]
    Unknown(String),
    /// This store is not the end that takes this step.
    #[error("transfer {transfer_id} goes from {from_store} to {to_store}; {store} cannot {step}")]
    WrongStore {
        /// The transfer.
        transfer_id: String,
        /// Its sending store.
        from_store: String,
        /// Its receiving store.
        to_store: String,
        /// This store.
        store: String,
        /// What was attempted: `ship`, `receive`, `cancel`.
        step: &'static str,
    },
    /// The transfer is past the point where this step can be taken.
    #[error("transfer {transfer_id} is {state}; cannot {step}")]
    BadState {
        /// The transfer.
        transfer_id: String,
        /// Its state.
        state: &'static str,
        /// What was attempted.
        step: &'static str,
    },
    /// A SKU that is not part of what was requested or shipped.
    #[error("{sku} is not on transfer {transfer_id}")]
    NotOnTransfer {
        /// SKU.
        sku: String,
        /// The transfer.
        transfer_id: String,
    },
    /// An id taken by another transfer.
    #[error("transfer {0} exists already")]
    Exists(String),
}

impl TransferError {
    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let step_zh = |s: &str| match s {
            "ship" => "发货",
            "receive" => "收货",
            "cancel" => "取消",
            _ => "申请",
        };
        let state_zh = |s: &str| match s {
            "requested" => "待发货",
            "in_transit" => "在途",
            "received" => "已收货",
            _ => "已取消",
        };
        match self {
            TransferError::Empty => "调拨单至少要有一行商品".into(),
            TransferError::UnknownSku(s) => format!("商品 {s} 不在商品目录中"),
            TransferError::Twice(s) => format!("{s} 出现了两次，请合并为一行"),
            TransferError::BadQty { sku, qty, min } => format!("{sku}：数量 {qty} 无效（应为 {min} 到 1,000,000）"),
            TransferError::BadStore(s) => format!("门店编号 {s:?} 无效"),
            TransferError::SameStore(s) => format!("调拨须在两个门店之间，不能调给本店 {s}"),
            TransferError::Unknown(t) => format!("本机没有调拨单 {t}；若是其他门店刚建的，请先同步"),
            TransferError::WrongStore { transfer_id, from_store, to_store, store, step } => {
                format!("调拨单 {transfer_id} 由 {from_store} 调往 {to_store}，{store} 不能{}", step_zh(step))
            }
            TransferError::BadState { transfer_id, state, step } => format!("调拨单 {transfer_id} {}，不能{}", state_zh(state), step_zh(step)),
            TransferError::NotOnTransfer { sku, transfer_id } => format!("{sku} 不在调拨单 {transfer_id} 中"),
            TransferError::Exists(t) => format!("调拨单 {t} 已存在"),
        }
    }
}

const MAX_QTY: i64 = 1_000_000;

/// Checks a store id: 1 to 64 characters, no whitespace or control characters.
pub fn check_store_id(store: &str) -> Result<(), TransferError> {
    if store.is_empty() || store.chars().count() > 64 || store.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(TransferError::BadStore(store.to_string()));
    }
    Ok(())
}

fn check_lines(lines: &[TransferLine], min: i64, known: impl Fn(&str) -> bool) -> Result<(), TransferError> {
    if lines.is_empty() {
        return Err(TransferError::Empty);
    }
    for (i, line) in lines.iter().enumerate() {
        if !known(&line.sku) {
            return Err(TransferError::UnknownSku(line.sku.clone()));
        }
        if lines[..i].iter().any(|l| l.sku == line.sku) {
            return Err(TransferError::Twice(line.sku.clone()));
        }
        if !(min..=MAX_QTY).contains(&line.qty) {
            return Err(TransferError::BadQty { sku: line.sku.clone(), qty: line.qty, min });
        }
    }
    Ok(())
}

fn check_ends(me: &str, other: &str) -> Result<(), TransferError> {
    check_store_id(other)?;
    if other == me {
        return Err(TransferError::SameStore(me.to_string()));
    }
    Ok(())
}

/// Checks a request by store `me` for goods from `from_store`.
pub fn check_request(me: &str, from_store: &str, lines: &[TransferLine], known: impl Fn(&str) -> bool) -> Result<(), TransferError> {
    check_ends(me, from_store)?;
    check_lines(lines, 1, known)
}

/// Checks a shipment by store `me`: against a request (`existing`), or, with no request,
/// straight to `to_store`. Against a request, only SKUs it asked for; less or more than
/// asked is allowed.
pub fn check_ship(me: &str, existing: Option<&Transfer>, to_store: &str, lines: &[TransferLine], known: impl Fn(&str) -> bool) -> Result<(), TransferError> {
    check_lines(lines, 1, known)?;
    let Some(t) = existing else { return check_ends(me, to_store) };
    if t.from_store != me {
        return Err(wrong_store(t, me, "ship"));
    }
    if t.state != State::Requested {
        return Err(TransferError::BadState { transfer_id: t.transfer_id.clone(), state: t.state.as_str(), step: "ship" });
    }
    on_transfer(t, lines, |l| l.requested > 0)
}

/// Checks a receipt by store `me`: of a transfer in transit to it, SKUs that were
/// shipped, each 0 to 1,000,000 (what arrived; the difference is the variance).
pub fn check_receive(me: &str, t: &Transfer, lines: &[TransferLine], known: impl Fn(&str) -> bool) -> Result<(), TransferError> {
    if t.to_store != me {
        return Err(wrong_store(t, me, "receive"));
    }
    if t.state != State::InTransit {
        return Err(TransferError::BadState { transfer_id: t.transfer_id.clone(), state: t.state.as_str(), step: "receive" });
    }
    check_lines(lines, 0, known)?;
    on_transfer(t, lines, |l| l.shipped > 0)
}

/// Checks a cancellation by store `me`: either end, while only requested.
pub fn check_cancel(me: &str, t: &Transfer) -> Result<(), TransferError> {
    if !(t.from_store == me || t.to_store == me) {
        return Err(wrong_store(t, me, "cancel"));
    }
    if t.state != State::Requested {
        return Err(TransferError::BadState { transfer_id: t.transfer_id.clone(), state: t.state.as_str(), step: "cancel" });
    }
    Ok(())
}

/// What a receipt records when the receiving store gives no lines: everything shipped.
pub fn as_shipped(t: &Transfer) -> Vec<TransferLine> {
    t.lines.iter().filter(|l| l.shipped > 0).map(|l| TransferLine { sku: l.sku.clone(), qty: l.shipped }).collect()
}

fn on_transfer(t: &Transfer, lines: &[TransferLine], on: impl Fn(&LineStatus) -> bool) -> Result<(), TransferError> {
    for line in lines {
        if !t.lines.iter().any(|l| l.sku == line.sku && on(l)) {
            return Err(TransferError::NotOnTransfer { sku: line.sku.clone(), transfer_id: t.transfer_id.clone() });
        }
    }
    Ok(())
}

fn wrong_store(t: &Transfer, me: &str, step: &'static str) -> TransferError {
    TransferError::WrongStore { transfer_id: t.transfer_id.clone(), from_store: t.from_store.clone(), to_store: t.to_store.clone(), store: me.to_string(), step }
}

#[cfg(test)]
mod tests;
