//! Stock transfers between stores (migration 19, see [`opentill_core::transfer`]).
//!
//! A transfer's steps are journal facts of the two stores. This store's are in its
//! journals (this node's and its peers', found through partial indexes on `kind`); the
//! other store's come from the cloud's answer to `POST /v1/transfers`, a
//! [`TransferSnapshot`], kept in `remote_transfers` by `(node, seq)`, so an answer applied
//! twice, or overlapping an earlier one, adds nothing. The edge agent hands its tills what
//! it holds. A transfer's state is [`opentill_core::transfer::fold`] over all of them.

use opentill_core::journal::Fact;
use opentill_core::transfer::{Transfer, TransferEvent, fold};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::{Replica, ReplicaError};

type Result<T, E = ReplicaError> = std::result::Result<T, E>;

/// How far a node's journal entries of one kind are held: its store, the node, and the
/// last seq held (a cursor of `POST /v1/transfers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSeq {
    /// The node's store.
    pub store: String,
    /// The node.
    pub node: String,
    /// The last seq held.
    pub seq: u64,
}

/// The cloud's (or the edge agent's) answer to `POST /v1/transfers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferSnapshot {
    /// The store it was made for.
    pub store_id: String,
    /// When it was made (the answering side's clock).
    pub as_of_ms: i64,
    /// The tenant's other stores, which transfers can name.
    pub stores: Vec<String>,
    /// Every step other stores journaled of transfers to or from this store.
    pub events: Vec<TransferEvent>,
}

impl Replica {
    /// Every transfer step held here: this store's journals and the other stores' from
    /// the cloud.
    pub fn transfer_events(&self) -> Result<Vec<TransferEvent>> {
        let mut out = Vec::new();
        let store = self.settings.store_id.clone();
        let mut own = |node: String, seq: i64, ts_ms: i64, body: Vec<u8>| match serde_json::from_slice::<Fact>(&body) {
            Ok(Fact::Transfer(fact)) => out.push(TransferEvent { store: store.clone(), node, seq: seq as u64, ts_ms, fact }),
            Ok(_) => {}
            Err(e) => warn!(%node, seq, error = %e, "a transfer fact not understood by this build: left out"),
        };
        let mut stmt = self.conn.prepare_cached("SELECT node_id, seq, ts_ms, body FROM journal WHERE kind = 'transfer'")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            own(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        }
        let mut stmt = self.conn.prepare_cached("SELECT node_id, seq, ts_ms, body FROM peer_journal WHERE kind = 'transfer'")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            own(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        }
        out.extend(self.remote_transfer_events()?);
        Ok(out)
    }

    /// The other stores' steps held here (what an edge agent hands its tills).
    pub fn remote_transfer_events(&self) -> Result<Vec<TransferEvent>> {
        let mut stmt = self.conn.prepare_cached("SELECT node_id, seq, ts_ms, store_id, body FROM remote_transfers ORDER BY node_id, seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (node, seq, ts_ms, store, body) = row?;
            match serde_json::from_str(&body) {
                Ok(fact) => out.push(TransferEvent { store, node, seq: seq as u64, ts_ms, fact }),
                Err(e) => warn!(%node, seq, error = %e, "a transfer step from the cloud not understood by this build: left out"),
            }
        }
        Ok(out)
    }

    /// Every transfer to or from this store, most recently moved first.
    pub fn transfers(&self) -> Result<Vec<Transfer>> {
        let mut all = fold(&self.transfer_events()?);
        all.sort_by(|a, b| b.updated_ms().cmp(&a.updated_ms()).then_with(|| a.transfer_id.cmp(&b.transfer_id)));
        Ok(all)
    }

    /// One transfer, if any step of it is held here.
    pub fn transfer(&self, transfer_id: &str) -> Result<Option<Transfer>> {
        let events: Vec<TransferEvent> = self.transfer_events()?.into_iter().filter(|e| e.fact.transfer_id == transfer_id).collect();
        Ok(fold(&events).into_iter().next())
    }

    /// Keeps the other stores' steps from a snapshot (steps of this store, and steps of
    /// transfers that do not involve it, are left out) and the tenant's store list.
    /// Returns how many steps were new here.
    pub fn apply_transfers(&mut self, snapshot: &TransferSnapshot) -> Result<usize> {
        let store = self.settings.store_id.clone();
        if snapshot.store_id != store {
            return Err(ReplicaError::OtherStore { expected: store, got: snapshot.store_id.clone() });
        }
        let tx = self.conn.transaction()?;
        let mut new = 0;
        for e in snapshot.events.iter().filter(|e| e.store != store && e.fact.involves(&store)) {
            let body = serde_json::to_string(&e.fact).map_err(|e| ReplicaError::Corrupt(format!("transfer step: {e}")))?;
            new += tx
                .prepare_cached("INSERT INTO remote_transfers (node_id, seq, store_id, ts_ms, transfer_id, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING")?
                .execute(params![e.node, e.seq as i64, e.store, e.ts_ms, e.fact.transfer_id, body])?;
        }
        if !snapshot.stores.is_empty() {
            tx.execute("DELETE FROM transfer_stores", [])?;
            for s in snapshot.stores.iter().filter(|s| **s != store) {
                tx.prepare_cached("INSERT OR IGNORE INTO transfer_stores (store_id) VALUES (?1)")?.execute([s])?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    /// Per node of another store, the last of its transfer steps held here: the cursor
    /// of the next `POST /v1/transfers`, so the answer carries only new steps.
    pub fn transfer_cursor(&self) -> Result<Vec<NodeSeq>> {
        let mut stmt = self.conn.prepare_cached("SELECT store_id, node_id, max(seq) FROM remote_transfers GROUP BY store_id, node_id ORDER BY store_id, node_id")?;
        let rows = stmt.query_map([], |r| Ok(NodeSeq { store: r.get(0)?, node: r.get(1)?, seq: r.get::<_, i64>(2)? as u64 }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The tenant's other stores, as the cloud last named them (empty before the first
    /// answer).
    pub fn transfer_stores(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT store_id FROM transfer_stores ORDER BY store_id")?;
        Ok(stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }
}
