//! The journals of the store's other nodes held in this replica (migration 12), and what
//! they change here.
//!
//! The edge agent holds every till's journal (tills push to it) and carries them to the
//! cloud; a till holds the others' (the edge agent hands them down), so every node of a
//! store converges on the same set of entries. Each journal is held as a gap-free prefix
//! checked exactly as the cloud checks it ([`NodeLedger`]). A peer's facts are folded into
//! the store-wide sums only: stock on hand, stored-value balances, members' spend and
//! points, and offer uses (single-use coupons, flash-sale caps); its sales, shifts and
//! drawer stay its own.
//!
//! **Architecture Invariant:** a peer's entries, its held head and the projections they
//! change are written in one transaction, conditional on the held head not having moved.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use ed25519_dalek::VerifyingKey;
use opentill_core::fold::{stock_delta, stored_value_delta};
use opentill_core::journal::Fact;
use rusqlite::{Connection, OptionalExtension, params};
use tracing::warn;

use super::{Replica, ReplicaError, offer_use_rows};
use crate::journal::{Entry, GENESIS_HASH};
use crate::protocol::NodeLedger;

type Result<T, E = ReplicaError> = std::result::Result<T, E>;

/// Another node's journal as held here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerJournal {
    /// The node.
    pub node_id: String,
    /// Its enrolled key.
    pub key: VerifyingKey,
    /// Entries `1..=held_seq` are held here.
    pub held_seq: u64,
    /// The hash of entry `held_seq`.
    pub head_hash: [u8; 32],
    /// How far the upstream (the cloud, for the edge agent) acknowledged it.
    pub upstream_seq: u64,
    /// When the node last reached this replica (unix ms), if it did itself.
    pub heard_ms: Option<i64>,
}

impl PeerJournal {
    /// The receiver's view, to check a batch against.
    pub fn ledger(&self, store_id: &str) -> NodeLedger {
        NodeLedger { store_id: store_id.into(), node_id: self.node_id.clone(), key: self.key, acked_seq: self.held_seq, head_hash: self.head_hash }
    }
}

const CARRIER_NODE: &str = "sync_carrier_node";
const CARRIER_KEY: &str = "sync_carrier_key";

fn peer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Vec<u8>, i64, Vec<u8>, i64, Option<i64>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn to_peer((node_id, key, held, head, upstream, heard_ms): (String, Vec<u8>, i64, Vec<u8>, i64, Option<i64>)) -> Result<PeerJournal> {
    let corrupt = || ReplicaError::Corrupt(format!("peer node {node_id} has a malformed key or head"));
    let key: [u8; 32] = key.try_into().map_err(|_| corrupt())?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| corrupt())?;
    let head_hash: [u8; 32] = head.try_into().map_err(|_| corrupt())?;
    Ok(PeerJournal { node_id: node_id.clone(), key, held_seq: held as u64, head_hash, upstream_seq: upstream as u64, heard_ms })
}

const PEER_COLUMNS: &str = "node_id, public_key, held_seq, head_hash, upstream_seq, heard_ms";

impl Replica {
    /// Starts holding `node_id`'s journal, enrolled with `key`. Adding a node again with
    /// the same key changes nothing; with another key it is refused, as the cloud refuses it.
    pub fn add_peer(&mut self, node_id: &str, key: &[u8; 32], now_ms: i64) -> Result<()> {
        if node_id == self.settings.node_id {
            return Err(ReplicaError::PeerIsSelf(node_id.to_string()));
        }
        VerifyingKey::from_bytes(key).map_err(|_| ReplicaError::PeerKey(node_id.to_string()))?;
        let held: Option<Vec<u8>> = self.conn.prepare_cached("SELECT public_key FROM peer_nodes WHERE node_id = ?1")?.query_row([node_id], |r| r.get(0)).optional()?;
        match held {
            Some(held) if held == key => Ok(()),
            Some(_) => Err(ReplicaError::PeerKey(node_id.to_string())),
            None => {
                self.conn
                    .prepare_cached("INSERT INTO peer_nodes (node_id, public_key, head_hash, added_ms) VALUES (?1, ?2, ?3, ?4)")?
                    .execute(params![node_id, key.as_slice(), GENESIS_HASH.as_slice(), now_ms])?;
                Ok(())
            }
        }
    }

    /// Every other node whose journal is held here, by node id.
    pub fn peers(&self) -> Result<Vec<PeerJournal>> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {PEER_COLUMNS} FROM peer_nodes ORDER BY node_id"))?;
        let rows = stmt.query_map([], peer_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(to_peer).collect()
    }

    /// One other node's journal as held here.
    pub fn peer(&self, node_id: &str) -> Result<Option<PeerJournal>> {
        let row = self.conn.prepare_cached(&format!("SELECT {PEER_COLUMNS} FROM peer_nodes WHERE node_id = ?1"))?.query_row([node_id], peer_row).optional()?;
        row.map(to_peer).transpose()
    }

    /// Records that `node_id` reached this replica itself at `now_ms`.
    pub fn peer_heard(&mut self, node_id: &str, now_ms: i64) -> Result<()> {
        self.conn.prepare_cached("UPDATE peer_nodes SET heard_ms = ?2 WHERE node_id = ?1")?.execute(params![node_id, now_ms])?;
        Ok(())
    }

    /// Stores `entries` of `node_id`'s journal (checked by [`NodeLedger`]: consecutive,
    /// starting right after `after_seq`) with the new head, and folds their facts into the
    /// store-wide projections, in one transaction. `false` when the held head is no longer
    /// `after_seq` (another request stored them first): nothing is written.
    pub fn store_peer_entries(&mut self, node_id: &str, after_seq: u64, entries: &[Entry], head: (u64, [u8; 32])) -> Result<bool> {
        let tx = super::write(&mut self.conn)?;
        let moved = tx
            .prepare_cached("UPDATE peer_nodes SET held_seq = ?3, head_hash = ?4 WHERE node_id = ?1 AND held_seq = ?2")?
            .execute(params![node_id, after_seq as i64, head.0 as i64, head.1.as_slice()])?;
        if moved == 0 {
            return Ok(false);
        }
        for entry in entries {
            tx.prepare_cached("INSERT INTO peer_journal (node_id, seq, ts_ms, kind, body, prev_hash, hash, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(params![
                entry.node_id,
                entry.seq as i64,
                entry.ts_ms,
                entry.kind,
                entry.body,
                entry.prev_hash.as_slice(),
                entry.hash.as_slice(),
                entry.signature.as_slice()
            ])?;
            match serde_json::from_slice::<Fact>(&entry.body) {
                Ok(fact) => project_peer(&tx, &fact)?,
                Err(e) => warn!(node = %entry.node_id, seq = entry.seq, error = %e, "a peer's fact not understood by this build: held, not projected"),
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// Entries `seqs` of `node_id`'s journal held here, in order.
    pub fn peer_entries(&self, node_id: &str, seqs: RangeInclusive<u64>) -> Result<Vec<Entry>> {
        let mut stmt = self.conn.prepare_cached("SELECT seq, node_id, ts_ms, kind, body, prev_hash, hash, signature FROM peer_journal WHERE node_id = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq")?;
        let mut rows = stmt.query(params![node_id, *seqs.start() as i64, *seqs.end() as i64])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(crate::push::entry_from_row(row)?);
        }
        Ok(out)
    }

    /// Records that the upstream holds `node_id`'s journal up to `seq`.
    pub fn record_peer_upstream(&mut self, node_id: &str, seq: u64) -> Result<()> {
        self.conn.prepare_cached("UPDATE peer_nodes SET upstream_seq = ?2 WHERE node_id = ?1")?.execute(params![node_id, seq as i64])?;
        Ok(())
    }

    /// The head (seq, hash) of every journal held here, this node's included, by node id:
    /// two replicas hold the same entries exactly when these are equal.
    pub fn journal_heads(&self) -> Result<BTreeMap<String, (u64, [u8; 32])>> {
        let mut heads: BTreeMap<String, (u64, [u8; 32])> = self.peers()?.into_iter().map(|p| (p.node_id, (p.held_seq, p.head_hash))).collect();
        heads.insert(self.settings.node_id.clone(), self.head()?);
        Ok(heads)
    }

    /// Records the node this one syncs with in the store (its edge agent) and its key.
    pub fn set_carrier(&mut self, node_id: &str, key: &[u8; 32]) -> Result<()> {
        VerifyingKey::from_bytes(key).map_err(|_| ReplicaError::PeerKey(node_id.to_string()))?;
        self.meta_set(CARRIER_NODE, node_id)?;
        self.meta_set(CARRIER_KEY, &hex::encode(key))
    }

    /// The node this one syncs with in the store, if it enrolled through one.
    pub fn carrier(&self) -> Result<Option<(String, VerifyingKey)>> {
        let (Some(node), Some(key)) = (self.meta_get(CARRIER_NODE)?, self.meta_get(CARRIER_KEY)?) else { return Ok(None) };
        let key: [u8; 32] = hex::decode(&key).ok().and_then(|k| k.try_into().ok()).ok_or(ReplicaError::BadSetting(CARRIER_KEY))?;
        Ok(Some((node, VerifyingKey::from_bytes(&key).map_err(|_| ReplicaError::BadSetting(CARRIER_KEY))?)))
    }

    /// How many entries of other nodes' journals are held here.
    pub fn peer_entry_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM peer_journal", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

/// What a peer's fact changes here: the store-wide sums that do not depend on the order in
/// which different nodes' journals arrive (stock, stored value, offer uses, members' spend
/// and points per member id). A peer's fact happened; it is never refused here (a balance
/// it overdraws shows negative, for review). A peer's members reach this node as
/// profiles in the members document ([`super::members`]), not from its journal.
fn project_peer(tx: &Connection, fact: &Fact) -> Result<()> {
    if let Fact::Sale(sale) = fact {
        for (offer_id, member, pieces) in offer_use_rows(sale) {
            tx.prepare_cached(
                "INSERT INTO offer_uses (offer_id, member, uses, flash_pieces) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (offer_id, member) DO UPDATE SET uses = uses + 1, flash_pieces = flash_pieces + excluded.flash_pieces",
            )?
            .execute(params![offer_id, member, pieces])?;
        }
    }
    super::members::fold(tx, 0, fact, false)?;
    super::stock::project_locations(tx, fact)?;
    for (sku, delta) in stock_delta(fact) {
        if tx.prepare_cached("UPDATE stock SET qty = qty + ?2 WHERE sku = ?1")?.execute(params![sku, delta])? == 0 {
            tx.prepare_cached("INSERT INTO stock (sku, qty) VALUES (?1, ?2)")?.execute(params![sku, delta])?;
        }
    }
    for (account, delta) in stored_value_delta(fact) {
        tx.prepare_cached("INSERT INTO stored_value (account, balance) VALUES (?1, ?2) ON CONFLICT (account) DO UPDATE SET balance = balance + excluded.balance")?.execute(params![account, delta])?;
    }
    Ok(())
}
