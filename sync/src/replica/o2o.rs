//! O2O orders (migration 20, see [`opentill_core::o2o`]).
//!
//! The orders placed online for this store, and their online cancellations, come from the
//! cloud's answer to `POST /v1/o2o` (an [`O2oSnapshot`]; the edge agent hands its tills
//! what it holds) into `o2o_orders`. An order's body never changes; a cancellation, once
//! held, stays. The store's steps are its journals' `o2o` facts (this node's and its
//! peers', found through partial indexes). An order's state is
//! [`opentill_core::o2o::fold`] over both.

use std::collections::BTreeMap;

use opentill_core::journal::Fact;
use opentill_core::o2o::{O2oEvent, O2oOrder, OnlineCancel, OrderView, fold};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::{Replica, ReplicaError};

type Result<T, E = ReplicaError> = std::result::Result<T, E>;

/// An order as the cloud holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedOrder {
    /// The order.
    pub order: O2oOrder,
    /// Its online cancellation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_cancel: Option<OnlineCancel>,
}

/// The cloud's (or the edge agent's) answer to `POST /v1/o2o`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct O2oSnapshot {
    /// The store it was made for.
    pub store_id: String,
    /// When it was made.
    pub as_of_ms: i64,
    /// The store's orders.
    pub orders: Vec<PlacedOrder>,
}

/// Where the cursor of `POST /v1/o2o` is kept: the upstream it came from and the
/// `as_of_ms` of its last answer.
const O2O_CURSOR: &str = "o2o_cursor";

/// How far before the last answer's `as_of_ms` the next request asks from, so an order
/// placed while that answer was being read, or by a cloud server whose clock is a little
/// behind, still comes (it comes twice at worst, which adds nothing).
pub const O2O_OVERLAP_MS: i64 = 5 * 60_000;

impl Replica {
    /// The `since_ms` of the next `POST /v1/o2o` to `upstream`: the last answer's time
    /// less [`O2O_OVERLAP_MS`]; `None` (ask for everything) before any answer from it.
    pub fn o2o_since(&self, upstream: &str) -> Result<Option<i64>> {
        let Some(value) = self.meta_get(O2O_CURSOR)? else { return Ok(None) };
        let Some((url, as_of)) = value.rsplit_once('\t') else { return Ok(None) };
        Ok((url == upstream).then(|| as_of.parse::<i64>().ok()).flatten().map(|ms| ms.saturating_sub(O2O_OVERLAP_MS)))
    }

    /// Records that the orders of an answer from `upstream` made at `as_of_ms` are held
    /// (after [`Replica::apply_o2o`] kept them).
    pub fn set_o2o_cursor(&self, upstream: &str, as_of_ms: i64) -> Result<()> {
        self.meta_set(O2O_CURSOR, &format!("{upstream}\t{as_of_ms}"))
    }

    /// Keeps the orders of a snapshot (new ones, and cancellations not held yet); returns
    /// how many orders were new or newly cancelled here.
    pub fn apply_o2o(&mut self, snapshot: &O2oSnapshot) -> Result<usize> {
        let store = self.settings.store_id.clone();
        if snapshot.store_id != store {
            return Err(ReplicaError::OtherStore { expected: store, got: snapshot.store_id.clone() });
        }
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        for placed in snapshot.orders.iter().filter(|p| p.order.store_id == store) {
            let body = serde_json::to_string(&placed.order).map_err(|e| ReplicaError::Corrupt(format!("order: {e}")))?;
            changed += tx.prepare_cached("INSERT INTO o2o_orders (order_id, placed_ms, body) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?.execute(params![placed.order.order_id, placed.order.placed_ms, body])?;
            if let Some(c) = &placed.online_cancel {
                changed += tx
                    .prepare_cached("UPDATE o2o_orders SET cancel_reason = ?2, cancelled_ms = ?3 WHERE order_id = ?1 AND cancelled_ms IS NULL")?
                    .execute(params![placed.order.order_id, c.reason, c.ts_ms])?;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// The orders held, as the cloud sent them, oldest first.
    pub fn o2o_placed(&self) -> Result<Vec<PlacedOrder>> {
        let mut stmt = self.conn.prepare_cached("SELECT body, cancel_reason, cancelled_ms FROM o2o_orders ORDER BY placed_ms, order_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<i64>>(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (body, reason, ts) = row?;
            let order = serde_json::from_str(&body).map_err(|e| ReplicaError::Corrupt(format!("order: {e}")))?;
            out.push(PlacedOrder { order, online_cancel: reason.zip(ts).map(|(reason, ts_ms)| OnlineCancel { reason, ts_ms }) });
        }
        Ok(out)
    }

    /// This store's `o2o` steps, from its journals.
    pub fn o2o_events(&self) -> Result<Vec<O2oEvent>> {
        let mut out = Vec::new();
        for sql in ["SELECT node_id, seq, ts_ms, body FROM journal WHERE kind = 'o2o'", "SELECT node_id, seq, ts_ms, body FROM peer_journal WHERE kind = 'o2o'"] {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (node, seq, ts_ms, body): (String, i64, i64, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                match serde_json::from_slice::<Fact>(&body) {
                    Ok(Fact::O2o(fact)) => out.push(O2oEvent { node, seq: seq as u64, ts_ms, fact }),
                    Ok(_) => {}
                    Err(e) => warn!(%node, seq, error = %e, "an O2O step not understood by this build: left out"),
                }
            }
        }
        Ok(out)
    }

    /// Every order held and where it stands, newest first.
    pub fn o2o_orders(&self) -> Result<Vec<OrderView>> {
        let events = self.o2o_events()?;
        let mut out: Vec<OrderView> = self.o2o_placed()?.iter().map(|p| fold(&p.order, p.online_cancel.as_ref(), &events)).collect();
        out.reverse();
        Ok(out)
    }

    /// One order, if held.
    pub fn o2o_order(&self, order_id: &str) -> Result<Option<OrderView>> {
        Ok(self.o2o_orders()?.into_iter().find(|v| v.order.order_id == order_id))
    }

    /// What open orders hold back, per SKU.
    pub fn o2o_reserved(&self) -> Result<BTreeMap<String, i64>> {
        Ok(opentill_core::o2o::reserved(&self.o2o_orders()?))
    }
}
