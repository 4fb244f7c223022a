//! Facts: the bodies of journal entries.
//!
//! **Architecture Invariant:** a fact, once journaled, is never edited or deleted.
//! Corrections are new facts (a refund, a stock adjustment). Everything derived
//! (stock on hand, cash in drawer, stored-value balances, every report) is a fold
//! over facts, see [`crate::fold`].
//!
//! Facts derive serde because their JSON is the journal's storage format; the journal
//! hashes the stored bytes, so the hash never depends on re-serialising.

use serde::{Deserialize, Serialize};

use crate::refund::RefundRecord;
use crate::sale::{SaleRecord, VoidedLine};
use crate::shift::ShiftReport;
use crate::tender::TenderKind;

/// Which way cash moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CashDirection {
    /// Into the drawer (more change, a float top-up).
    In,
    /// Out of the drawer (a banking drop, a petty-cash payment).
    Out,
}

/// A sale in progress that was voided as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidRecord {
    /// The basket's id.
    pub basket_id: String,
    /// Shift.
    pub shift_id: Option<String>,
    /// Who voided it.
    pub by: String,
    /// Its lines.
    pub lines: Vec<VoidedLine>,
    /// What it would have cost.
    pub total: i64,
    /// Why.
    pub reason: String,
}

/// Everything the journal can record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fact {
    /// A paid sale.
    Sale(SaleRecord),
    /// A sale abandoned before payment.
    SaleVoided(VoidRecord),
    /// A refund against an earlier sale.
    Refund(RefundRecord),
    /// A cashier opened a shift with a float.
    ShiftOpened {
        /// New shift id.
        shift_id: String,
        /// The cashier.
        cashier: String,
        /// Cash put in the drawer.
        float: i64,
    },
    /// Cash put in or taken out.
    CashMoved {
        /// Shift.
        shift_id: Option<String>,
        /// In or out.
        direction: CashDirection,
        /// Amount.
        amount: i64,
        /// Why.
        reason: String,
        /// Who.
        by: String,
    },
    /// The drawer was opened with no sale.
    NoSale {
        /// Shift.
        shift_id: Option<String>,
        /// Who.
        by: String,
        /// Why.
        reason: String,
    },
    /// A mid-shift X report was taken.
    XReport(ShiftReport),
    /// A shift was closed with counted cash; the report is the Z report.
    ShiftClosed(ShiftReport),
    /// Stock was corrected, received or counted.
    StockAdjusted {
        /// SKU.
        sku: String,
        /// Pieces or grams, positive or negative.
        delta: i64,
        /// Why: `receive`, `count`, `damage`, ...
        reason: String,
        /// Who.
        by: String,
        /// Where in the store ([`crate::stock::LOCATIONS`]); none: the sales floor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
    /// Stock moved between two places in the store (补货上架: backroom to floor, ...); the
    /// store's total does not change.
    StockMoved {
        /// SKU.
        sku: String,
        /// From ([`crate::stock::LOCATIONS`]).
        from: String,
        /// To.
        to: String,
        /// Pieces or grams, positive.
        qty: i64,
        /// Who.
        by: String,
    },
    /// Someone passed (or was refused at) an unmanned-store gate.
    GatePassed {
        /// The gate.
        gate: String,
        /// The id of the gate's scan message: a repeated scan is the same passage.
        scan_id: String,
        /// `in` or `out`.
        direction: String,
        /// Whether the gate opened.
        opened: bool,
        /// `member`, `exit`, or why it refused (`bad_pass`, `pass_expired`, ...).
        reason: String,
        /// The member's account, when a valid pass was shown.
        account: Option<String>,
    },
    /// Money was loaded onto a stored-value account.
    StoredValueToppedUp {
        /// The account.
        account: String,
        /// Amount.
        amount: i64,
        /// How it was paid.
        tender: TenderKind,
        /// Shift.
        shift_id: Option<String>,
        /// Who.
        by: String,
        /// The caller's idempotency key: a top-up sent again with it is recorded once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topup_id: Option<String>,
    },
    /// A member registered (会员注册).
    MemberRegistered {
        /// New member id.
        member_id: String,
        /// Mobile number, 11 digits; unique.
        phone: String,
        /// Name.
        name: String,
        /// Birthday, `MM-DD`.
        birthday: Option<String>,
        /// The member's own referral code; unique.
        referral_code: String,
        /// The member whose referral code they registered with.
        referred_by: Option<String>,
        /// Points that referrer earned for it.
        referral_points: i64,
        /// Who registered them.
        by: String,
    },
    /// A member took products for points (积分兑换): the points leave their balance (never
    /// below zero) and the goods leave the floor.
    PointsRedeemed {
        /// New redemption id.
        redemption_id: String,
        /// The member, by id.
        member: String,
        /// What they took and the points each line took.
        lines: Vec<crate::member::RedeemedLine>,
        /// Who handed it over.
        by: String,
    },
    /// A stocktake (盘点) was posted: stock moves to what was counted.
    StocktakePosted {
        /// The stocktake.
        stocktake_id: String,
        /// Each counted SKU, with what was expected then.
        lines: Vec<crate::stock::CountLine>,
        /// Who posted it.
        by: String,
        /// The place counted (库位盘点): what was expected is what that place held, and the
        /// correction applies there. None: the store's total was counted and the floor is
        /// corrected.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
    /// A purchase order (采购单) was placed with a supplier.
    PurchaseOrdered {
        /// New order id.
        po_id: String,
        /// The supplier.
        supplier_id: String,
        /// What was ordered.
        lines: Vec<crate::stock::PoLine>,
        /// Who.
        by: String,
    },
    /// A purchase order was amended (采购单修改): each line named is ordered anew at its
    /// quantity and unit cost (a SKU not on the order joins it); lines not named stay as
    /// they were. See [`crate::stock::check_amendment`].
    PurchaseOrderAmended {
        /// The order.
        po_id: String,
        /// The new quantity and cost per SKU named.
        lines: Vec<crate::stock::PoLine>,
        /// Who.
        by: String,
    },
    /// A purchase order was cancelled (采购单取消): what is still outstanding will not
    /// come (it no longer counts as on order) and nothing more is received against it;
    /// what was received stays.
    PurchaseOrderCancelled {
        /// The order.
        po_id: String,
        /// Why.
        reason: String,
        /// Who.
        by: String,
    },
    /// Goods were received (收货), against an order or without one.
    GoodsReceived {
        /// New receipt id.
        receipt_id: String,
        /// The order, if any.
        po_id: Option<String>,
        /// What arrived.
        lines: Vec<crate::stock::ReceivedLine>,
        /// Who.
        by: String,
        /// Where it was put away; none: the backroom.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
    /// A step of a stock transfer between stores (调拨), see [`crate::transfer`].
    Transfer(crate::transfer::TransferFact),
    /// A store's step on an online order (O2O), see [`crate::o2o`].
    O2o(crate::o2o::O2oFact),
}

impl Fact {
    /// A short name for the kind of fact, stored beside the entry for filtering.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::Sale(_) => "sale",
            Fact::SaleVoided(_) => "sale_voided",
            Fact::Refund(_) => "refund",
            Fact::ShiftOpened { .. } => "shift_opened",
            Fact::CashMoved { .. } => "cash_moved",
            Fact::NoSale { .. } => "no_sale",
            Fact::XReport(_) => "x_report",
            Fact::ShiftClosed(_) => "shift_closed",
            Fact::StockAdjusted { .. } => "stock_adjusted",
            Fact::StockMoved { .. } => "stock_moved",
            Fact::StoredValueToppedUp { .. } => "stored_value_topped_up",
            Fact::MemberRegistered { .. } => "member_registered",
            Fact::PointsRedeemed { .. } => "points_redeemed",
            Fact::StocktakePosted { .. } => "stocktake_posted",
            Fact::PurchaseOrdered { .. } => "purchase_ordered",
            Fact::PurchaseOrderAmended { .. } => "purchase_order_amended",
            Fact::PurchaseOrderCancelled { .. } => "purchase_order_cancelled",
            Fact::GoodsReceived { .. } => "goods_received",
            Fact::GatePassed { .. } => "gate_passed",
            Fact::Transfer(_) => "transfer",
            Fact::O2o(_) => "o2o",
        }
    }
}
