//! O2O orders in the cloud: the integration point for an online shop or a delivery
//! platform (`docs/o2o.md`). Orders are placed for a store (`POST /v1/o2o/orders`,
//! idempotent by the platform's order id), read back with the store's steps folded in
//! (`GET /v1/o2o/orders/{store}/{order}`), and cancelled online
//! (`POST /v1/o2o/orders/{store}/{order}/cancel`). The store's nodes fetch their orders
//! with `POST /v1/o2o` (node-signed); their steps come back as ordinary `o2o` journal
//! entries, verified like any other. See `opentill_core::o2o` for the states and the
//! precedence rule.

use opentill_core::journal::Fact;
use opentill_core::o2o::{Fulfilment, O2oError, O2oEvent, O2oLine, O2oOrder, OrderView, State, check_order, fold};
use opentill_sync::protocol::o2o_request_message;
use opentill_sync::{O2oSnapshot, PlacedOrder};
use serde::Deserialize;

use crate::balances::{BalancesError, BalancesRequest, authenticate};
use crate::ledger::{Ledger, LedgerError};

/// `POST /v1/o2o/orders` body: the order as the platform sends it (the cloud stamps the
/// time it was placed).
#[derive(Debug, Clone, Deserialize)]
pub struct PlaceRequest {
    /// The platform's order id.
    pub order_id: String,
    /// The store to route it to.
    pub store_id: String,
    /// `shop`, `meituan`, ...
    pub channel: String,
    /// `pickup` or `delivery`.
    pub fulfilment: Fulfilment,
    /// The customer's name.
    pub customer_name: String,
    /// The customer's mobile number.
    pub customer_phone: String,
    /// The member, if any.
    #[serde(default)]
    pub member: Option<String>,
    /// What.
    pub lines: Vec<O2oLine>,
    /// The customer's note.
    #[serde(default)]
    pub note: Option<String>,
}

/// Why an O2O call was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum O2oCloudError {
    /// The order breaks a rule.
    #[error(transparent)]
    Bad(#[from] O2oError),
    /// No such store.
    #[error("there is no store {0}")]
    UnknownStore(String),
    /// The tenant has no catalog in the cloud yet, so no SKU can be checked.
    #[error("tenant {0} has no catalog in the cloud yet; a store syncs it, or head office imports one")]
    NoCatalog(String),
    /// No such order.
    #[error("store {store} has no order {order}")]
    UnknownOrder {
        /// Store.
        store: String,
        /// Order.
        order: String,
    },
    /// Cancelling what the store has already handed over or dispatched.
    #[error("order {0} has already left the store ({1}); settle with the customer through the store (a refund there)")]
    AlreadyLeft(String, &'static str),
    /// Storage failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The catalog could not be read.
    #[error(transparent)]
    Catalog(#[from] crate::docs::CatalogError),
}

fn events(ledger: &dyn Ledger, store_id: &str, order_id: Option<&str>) -> Result<Vec<O2oEvent>, LedgerError> {
    Ok(ledger
        .o2o_steps(store_id, order_id)?
        .into_iter()
        .filter_map(|(node, seq, ts_ms, body)| match serde_json::from_slice::<Fact>(&body) {
            Ok(Fact::O2o(fact)) => Some(O2oEvent { node, seq, ts_ms, fact }),
            _ => None,
        })
        .collect())
}

fn placed(rows: Vec<(Vec<u8>, Option<(String, i64)>)>) -> Result<Vec<PlacedOrder>, LedgerError> {
    rows.into_iter()
        .map(|(body, cancel)| {
            let order = serde_json::from_slice(&body).map_err(|e| LedgerError::Corrupt(format!("stored order: {e}")))?;
            Ok(PlacedOrder { order, online_cancel: cancel.map(|(reason, ts_ms)| opentill_core::o2o::OnlineCancel { reason, ts_ms }) })
        })
        .collect()
}

/// An order and where it stands, with the store's steps the cloud holds.
pub fn view(ledger: &dyn Ledger, store_id: &str, order_id: &str) -> Result<OrderView, O2oCloudError> {
    if ledger.store_path(store_id)?.is_none() {
        return Err(O2oCloudError::UnknownStore(store_id.into()));
    }
    let Some(p) = placed(ledger.o2o_orders(store_id, Some(order_id))?)?.pop() else {
        return Err(O2oCloudError::UnknownOrder { store: store_id.into(), order: order_id.into() });
    };
    Ok(fold(&p.order, p.online_cancel.as_ref(), &events(ledger, store_id, Some(order_id))?))
}

/// Places an order: checked against the tenant's catalog, stored once. Placing the same
/// order again answers it as it stands (`false`: not new); the same id with other
/// content is refused.
pub fn place(ledger: &mut dyn Ledger, request: PlaceRequest, now_ms: i64) -> Result<(bool, OrderView), O2oCloudError> {
    let Some(path) = ledger.store_path(&request.store_id)? else { return Err(O2oCloudError::UnknownStore(request.store_id)) };
    let (version, catalog) = crate::docs::load(ledger, &path.tenant)?;
    if version == 0 {
        return Err(O2oCloudError::NoCatalog(path.tenant));
    }
    let order = O2oOrder {
        order_id: request.order_id,
        store_id: request.store_id,
        channel: request.channel,
        fulfilment: request.fulfilment,
        customer_name: request.customer_name.trim().to_string(),
        customer_phone: request.customer_phone,
        member: request.member.filter(|m| !m.trim().is_empty()),
        lines: request.lines,
        note: request.note.filter(|n| !n.trim().is_empty()),
        placed_ms: now_ms,
    };
    check_order(&order, |sku| catalog.details(sku).is_some())?;
    let body = serde_json::to_vec(&order).map_err(|e| LedgerError::Corrupt(e.to_string()))?;
    let held = ledger.put_o2o_order(&order.store_id, &order.order_id, &body, now_ms)?;
    let held: O2oOrder = serde_json::from_slice(&held).map_err(|e| LedgerError::Corrupt(format!("stored order: {e}")))?;
    let new = held.placed_ms == now_ms && held == order;
    if held != (O2oOrder { placed_ms: held.placed_ms, ..order.clone() }) {
        return Err(O2oError::Different(order.order_id).into());
    }
    Ok((new, view(ledger, &order.store_id, &order.order_id)?))
}

/// Cancels an order online, unless it has left the store as far as the cloud knows (a
/// handover it has not heard of yet is settled by the precedence rule and flagged).
pub fn cancel(ledger: &mut dyn Ledger, store_id: &str, order_id: &str, reason: &str, now_ms: i64) -> Result<OrderView, O2oCloudError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(O2oError::Bad { field: "reason", why: "1 to 200 characters".into() }.into());
    }
    let before = view(ledger, store_id, order_id)?;
    if matches!(before.state, State::HandedOver | State::Dispatched) {
        return Err(O2oCloudError::AlreadyLeft(order_id.into(), before.state.as_str()));
    }
    ledger.cancel_o2o_order(store_id, order_id, reason, now_ms)?;
    view(ledger, store_id, order_id)
}

/// Answers a node: every order of its store, or with a cursor
/// ([`BalancesRequest::since_ms`]) those placed or cancelled online since it.
pub fn snapshot(ledger: &dyn Ledger, request: &BalancesRequest, now_ms: i64) -> Result<O2oSnapshot, BalancesError> {
    authenticate(ledger, request, &o2o_request_message(&request.store_id, &request.node_id, request.ts_ms))?;
    let since = request.since_ms.unwrap_or(i64::MIN);
    let mut orders = placed(ledger.o2o_orders(&request.store_id, None)?)?;
    orders.retain(|p| p.order.placed_ms >= since || p.online_cancel.as_ref().is_some_and(|c| c.ts_ms >= since));
    Ok(O2oSnapshot { store_id: request.store_id.clone(), as_of_ms: now_ms, orders })
}
