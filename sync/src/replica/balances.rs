//! Stored value across stores (migration 13): the cloud's snapshot of the other stores'
//! balances, this node's own debits, and what it may spend (see
//! [`opentill_core::allowance`] and `docs/allowance.md`).
//!
//! The cloud answers `POST /v1/balances` with a [`BalanceSnapshot`]: for every account of
//! the tenant, the total of the *other* stores' movements it held, the store's allowance,
//! and how far it held each node of this store when it read them (read before the totals,
//! so a node's unconfirmed spending is never undercounted). The edge agent hands its
//! snapshot down to its tills unchanged.
//!
//! **Architecture Invariant:** a node applies a snapshot only if it holds every other
//! node of its store at least as far as the snapshot says the cloud did, so that what the
//! snapshot leaves out (this store's movements) is all here; otherwise it keeps the
//! previous one. An account's balance here is the store's own fold (`stored_value`, this
//! node and its peers) plus the snapshot's `others`: nothing is counted twice.

use std::collections::BTreeMap;

use opentill_core::allowance::SpendView;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Replica, ReplicaError};

type Result<T, E = ReplicaError> = std::result::Result<T, E>;

/// Before a node's first snapshot, the allowance it applies (¥500).
pub const DEFAULT_ALLOWANCE_MINOR: i64 = 50_000;

const SNAPSHOT: &str = "balances_snapshot";

/// One account in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTotal {
    /// The account (a member's phone number, a card number).
    pub account: String,
    /// The other stores' movements on it, summed (minor units).
    pub others_minor: i64,
}

/// The cloud's answer to `POST /v1/balances`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceSnapshot {
    /// The store it was made for.
    pub store_id: String,
    /// When the cloud made it (unix ms, the cloud's clock).
    pub as_of_ms: i64,
    /// The store's offline allowance per node and account (minor units).
    pub allowance_minor: i64,
    /// How far the cloud held each node of the store, read before the totals.
    pub held: BTreeMap<String, u64>,
    /// Accounts with movements in other stores.
    pub accounts: Vec<AccountTotal>,
    /// Members with spend or points in other stores, by member id (absent from the
    /// answers of a cloud from before members were shared: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberTotal>,
}

/// One member id in a snapshot: the other stores' folds of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberTotal {
    /// The member id.
    pub member_id: String,
    /// The other stores' spend for it, summed (minor units).
    pub spend_minor: i64,
    /// The other stores' points for it, summed.
    pub points: i64,
}

/// A snapshot as kept here, without its accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    /// When the cloud made it.
    pub as_of_ms: i64,
    /// The allowance.
    pub allowance_minor: i64,
    /// How far the cloud held this node then: its debits after this are unconfirmed.
    pub own_held_seq: u64,
    /// How far the cloud held each node of the store then (handed down with it).
    pub held: BTreeMap<String, u64>,
    /// Accounts it named.
    pub accounts: u64,
    /// Member ids it named (0 in a snapshot kept before members were shared).
    #[serde(default)]
    pub members: u64,
}

/// What [`Replica::apply_balances`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// Kept: the balances and the allowance now follow it.
    Applied,
    /// Not kept: the cloud held `node` up to `needed`, this replica only up to `held`.
    /// The next sync (after the store's journals are fetched) tries again.
    Behind {
        /// The node of the store.
        node: String,
        /// How far the cloud held it.
        needed: u64,
        /// How far this replica holds it.
        held: u64,
    },
    /// Not kept: older than the one already kept.
    Older,
}

impl Replica {
    /// Keeps a snapshot from the cloud if this replica holds its store at least as far
    /// as the cloud did, in one transaction.
    pub fn apply_balances(&mut self, snapshot: &BalanceSnapshot) -> Result<SnapshotOutcome> {
        if snapshot.store_id != self.settings.store_id {
            return Err(ReplicaError::Corrupt(format!("a balance snapshot for store {} reached store {}", snapshot.store_id, self.settings.store_id)));
        }
        if snapshot.allowance_minor < 0 {
            return Err(ReplicaError::Corrupt(format!("a balance snapshot with a negative allowance ({})", snapshot.allowance_minor)));
        }
        if let Some(kept) = self.balance_snapshot()?
            && kept.as_of_ms > snapshot.as_of_ms
        {
            return Ok(SnapshotOutcome::Older);
        }
        let me = self.settings.node_id.clone();
        let peers: BTreeMap<String, u64> = self.peers()?.into_iter().map(|p| (p.node_id, p.held_seq)).collect();
        for (node, &needed) in &snapshot.held {
            if *node == me {
                continue;
            }
            let held = peers.get(node).copied().unwrap_or(0);
            if held < needed {
                return Ok(SnapshotOutcome::Behind { node: node.clone(), needed, held });
            }
        }
        let info = SnapshotInfo {
            as_of_ms: snapshot.as_of_ms,
            allowance_minor: snapshot.allowance_minor,
            own_held_seq: snapshot.held.get(&me).copied().unwrap_or(0),
            held: snapshot.held.clone(),
            accounts: snapshot.accounts.len() as u64,
            members: snapshot.members.len() as u64,
        };
        let tx = super::write(&mut self.conn)?;
        tx.execute("DELETE FROM sv_others", [])?;
        tx.execute("DELETE FROM member_others", [])?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO member_others (member_id, spend, points) VALUES (?1, ?2, ?3) ON CONFLICT (member_id) DO UPDATE SET spend = excluded.spend, points = excluded.points")?;
            for m in snapshot.members.iter().filter(|m| m.spend_minor != 0 || m.points != 0) {
                insert.execute(params![m.member_id, m.spend_minor, m.points])?;
            }
        }
        {
            let mut insert = tx.prepare_cached("INSERT INTO sv_others (account, others) VALUES (?1, ?2) ON CONFLICT (account) DO UPDATE SET others = excluded.others")?;
            for a in snapshot.accounts.iter().filter(|a| a.others_minor != 0) {
                insert.execute(params![a.account, a.others_minor])?;
            }
        }
        let text = serde_json::to_string(&info).map_err(|e| ReplicaError::Corrupt(e.to_string()))?;
        tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", params![SNAPSHOT, text])?;
        tx.commit()?;
        Ok(SnapshotOutcome::Applied)
    }

    /// The snapshot kept, if any.
    pub fn balance_snapshot(&self) -> Result<Option<SnapshotInfo>> {
        self.meta_get(SNAPSHOT)?.map(|text| serde_json::from_str(&text).map_err(|_| ReplicaError::BadSetting(SNAPSHOT))).transpose()
    }

    /// The snapshot as this node hands it down to the store's other nodes (the edge
    /// agent to its tills), accounts included.
    pub fn balance_snapshot_full(&self) -> Result<Option<BalanceSnapshot>> {
        let Some(info) = self.balance_snapshot()? else { return Ok(None) };
        let mut stmt = self.conn.prepare("SELECT account, others FROM sv_others ORDER BY account")?;
        let accounts = stmt.query_map([], |r| Ok(AccountTotal { account: r.get(0)?, others_minor: r.get(1)? }))?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = self.conn.prepare("SELECT member_id, spend, points FROM member_others ORDER BY member_id")?;
        let members = stmt.query_map([], |r| Ok(MemberTotal { member_id: r.get(0)?, spend_minor: r.get(1)?, points: r.get(2)? }))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(BalanceSnapshot { store_id: self.settings.store_id.clone(), as_of_ms: info.as_of_ms, allowance_minor: info.allowance_minor, held: info.held, accounts, members }))
    }

    /// The other stores' total on `account` as of the snapshot (0 without one).
    pub fn others_on_account(&self, account: &str) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT others FROM sv_others WHERE account = ?1")?.query_row([account], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    /// This node's own debits on `account` that the cloud had not confirmed at the last
    /// snapshot (all of them before the first).
    pub fn unconfirmed_spending(&self, account: &str) -> Result<i64> {
        let from = self.balance_snapshot()?.map_or(0, |s| s.own_held_seq);
        Ok(self.conn.prepare_cached("SELECT COALESCE(SUM(amount), 0) FROM sv_debits WHERE account = ?1 AND seq > ?2")?.query_row(params![account, from as i64], |r| r.get(0))?)
    }

    /// This node's own points spending for the person `member_id` is (with the ids
    /// merged into theirs) that the cloud had not confirmed at the last snapshot.
    pub fn unconfirmed_points(&self, member_id: &str) -> Result<i64> {
        let from = self.balance_snapshot()?.map_or(0, |s| s.own_held_seq);
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT COALESCE(SUM(d.points), 0) FROM points_debits d WHERE d.seq > ?2 AND d.member_id IN ({})", super::members::GROUP_IDS))?
            .query_row(params![member_id, from as i64], |r| r.get(0))?)
    }

    /// Everything spending `points` of a member whose balance here is `balance` is
    /// checked against: the store's allowance counted in points (a point is worth
    /// [`opentill_core::member::POINT_VALUE_MINOR`]).
    pub fn points_view(&self, member_id: &str, balance: i64) -> Result<SpendView> {
        let allowance = match self.sync_state()?.cloud_url {
            None => None,
            Some(_) => Some(self.balance_snapshot()?.map_or(DEFAULT_ALLOWANCE_MINOR, |s| s.allowance_minor) / opentill_core::member::POINT_VALUE_MINOR),
        };
        Ok(SpendView { balance, held: 0, unconfirmed: self.unconfirmed_points(member_id)?, allowance })
    }

    /// Everything a spend from `account` is checked against; `held` is what vending
    /// machines hold on it. No allowance for a node that never enrolled with a cloud.
    pub fn spend_view(&self, account: &str, held: i64) -> Result<SpendView> {
        let allowance = match self.sync_state()?.cloud_url {
            None => None,
            Some(_) => Some(self.balance_snapshot()?.map_or(DEFAULT_ALLOWANCE_MINOR, |s| s.allowance_minor)),
        };
        Ok(SpendView { balance: self.stored_value(account)?, held, unconfirmed: self.unconfirmed_spending(account)?, allowance })
    }
}
