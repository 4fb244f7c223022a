//! Storage behind the cloud: the [`Ledger`] trait, so SQLite ([`crate::sqlite`]) and
//! PostgreSQL ([`crate::postgres`]) implement the same operations with the same meaning.

use std::ops::{Range, RangeInclusive};

use opentill_sync::journal::Entry;
use opentill_sync::protocol::NodeLedger;

use crate::closing::PeriodKind;

#[cfg(test)]
mod tests;

/// Errors from storage.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The database failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed or could not be reached (the server's own message is shown).
    #[error("PostgreSQL error: {}", crate::postgres::describe(.0))]
    Postgres(::postgres::Error),
    /// The database was written by a newer build.
    #[error("cloud database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew {
        /// Found.
        found: usize,
        /// Supported.
        supported: usize,
    },
    /// Stored data could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// No store with this id (it gets one with its first enrolment code).
    #[error("no store {0} in the cloud")]
    UnknownStore(String),
}

// Not `#[from]`: the message already holds what the source would add.
impl From<::postgres::Error> for LedgerError {
    fn from(e: ::postgres::Error) -> LedgerError {
        LedgerError::Postgres(e)
    }
}

/// Where a store sits in the tenant → brand → store hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePath {
    /// Tenant (the customer company).
    pub tenant: String,
    /// Brand within the tenant.
    pub brand: String,
    /// Store id, unique across the cloud (the id tills were initialised with).
    pub store_id: String,
}

/// How enrolling went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolOutcome {
    /// The node is enrolled (now, or already with this key and code).
    Enrolled(StorePath),
    /// No such code.
    UnknownCode,
    /// The code expired.
    Expired,
    /// The code was already used by another node.
    CodeUsed,
    /// The code is for another store.
    WrongStore {
        /// The code's store.
        code_store: String,
    },
    /// The node is enrolled with another key.
    NodeExists,
}

/// A stored node: its row id and its ledger (enrolled key and held prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    /// Storage id.
    pub node_ref: i64,
    /// Key and held prefix.
    pub ledger: NodeLedger,
}

/// What ingesting a batch adds to a store's totals (integer minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TotalsDelta {
    /// Entries.
    pub n_entries: i64,
    /// Sales.
    pub n_sales: i64,
    /// Sum of sale totals.
    pub sales_minor: i64,
    /// Refunds.
    pub n_refunds: i64,
    /// Sum of refund totals.
    pub refunds_minor: i64,
}

/// A store's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreTotals {
    /// The store.
    pub path: StorePath,
    /// The sums.
    pub totals: TotalsDelta,
}

/// A batch kept aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// Id, increasing (PostgreSQL may skip numbers).
    pub id: i64,
    /// When it arrived (unix ms).
    pub received_ms: i64,
    /// The store it claims.
    pub store_id: String,
    /// The node it claims.
    pub node_id: String,
    /// Why it was refused.
    pub reason: String,
    /// Its first and last seq.
    pub seqs: Option<(u64, u64)>,
    /// Size of the message kept.
    pub n_bytes: usize,
}

/// An alert for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Id, increasing (PostgreSQL may skip numbers).
    pub id: i64,
    /// When (unix ms).
    pub raised_ms: i64,
    /// `critical` (tampering) or `warning`.
    pub severity: String,
    /// Store.
    pub store_id: String,
    /// Node.
    pub node_id: String,
    /// What happened.
    pub message: String,
}

/// A node as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSummary {
    /// Store.
    pub store_id: String,
    /// Node.
    pub node_id: String,
    /// Held up to here.
    pub acked_seq: u64,
    /// Hash of the last held entry.
    pub head_hash: [u8; 32],
    /// Entries held (equals `acked_seq` when consistent).
    pub n_entries: u64,
    /// The highest head the node announced in a hello: it is behind by
    /// `reported_head - acked_seq` as far as the cloud knows.
    pub reported_head: u64,
    /// When the node last said hello (unix ms).
    pub last_seen_ms: Option<i64>,
}

/// A store, where it sits and the UTC offset its business dates are kept at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    /// Tenant, brand and store id.
    pub path: StorePath,
    /// Minutes east of UTC (480, +08:00, unless set otherwise).
    pub utc_offset_min: i32,
}

/// A `transfer` entry held, with the store and node that journaled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRow {
    /// The store.
    pub store_id: String,
    /// The node.
    pub node_id: String,
    /// The entry's seq.
    pub seq: u64,
    /// Its timestamp.
    pub ts_ms: i64,
    /// The fact, as journaled (JSON).
    pub body: Vec<u8>,
}

/// How far the cloud has heard from one node of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeProgress {
    /// The node.
    pub node_id: String,
    /// Held up to here.
    pub acked_seq: u64,
    /// The highest head it announced in a hello.
    pub reported_head: u64,
    /// When it last said hello (unix ms, the cloud's clock).
    pub last_seen_ms: Option<i64>,
    /// The timestamp of the last held entry (the node's clock), if any.
    pub head_ts_ms: Option<i64>,
}

/// A period closing as storage keeps it: the signed body and, beside it, the columns
/// it is found by (which [`crate::close::verify_closings`] checks against the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClosing {
    /// The store.
    pub store_id: String,
    /// Day, month or year.
    pub kind: PeriodKind,
    /// `2026-11-22`, `2026-11`, `2026`.
    pub period: String,
    /// Place in the store's chain of this kind, from 1.
    pub chain_seq: u64,
    /// When it was closed (unix ms).
    pub closed_ms: i64,
    /// The previous closing's hash (zeros for the first).
    pub prev_hash: [u8; 32],
    /// Its hash.
    pub hash: [u8; 32],
    /// The cloud's signature of `hash`.
    pub signature: [u8; 64],
    /// The canonical body, exactly as hashed.
    pub body: Vec<u8>,
}

/// What a batch moves besides its totals, folded in the transaction that stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folds {
    /// Stored-value movements per account.
    pub accounts: Vec<(String, i64)>,
    /// Coupon uses per coupon.
    pub coupons: Vec<(String, i64)>,
    /// Spend and points per member id.
    pub members: Vec<(String, i64, i64)>,
}

/// The operations the cloud needs from storage.
///
/// **Architecture Invariant:** [`Ledger::append`] stores the entries, moves the node's
/// held prefix and adds to the store's totals and [`Folds`] in one transaction, and only if the node's
/// held prefix is still `before`; otherwise it changes nothing and returns `false`. That
/// makes a server stateless: any number of them can ingest for the same node.
pub trait Ledger: Send {
    /// Records a one-time enrolment code (its SHA-256) for a store, creating the tenant,
    /// brand and store as needed.
    fn add_enrol_code(&mut self, path: &StorePath, code_hash: [u8; 32], now_ms: i64, expires_ms: i64) -> Result<(), LedgerError>;
    /// Enrols a node with a code, atomically using the code up.
    fn enrol(&mut self, code_hash: [u8; 32], store_id: &str, node_id: &str, public_key: [u8; 32], now_ms: i64) -> Result<EnrolOutcome, LedgerError>;
    /// A node and what is held of its journal.
    fn node(&self, store_id: &str, node_id: &str) -> Result<Option<NodeRecord>, LedgerError>;
    /// Stores newly accepted entries (see the invariant above).
    fn append(&mut self, node: &NodeRecord, entries: &[Entry], head: (u64, [u8; 32]), totals: TotalsDelta, folds: &Folds, now_ms: i64) -> Result<bool, LedgerError>;
    /// Records what an authenticated node announced about its own journal.
    fn record_hello(&mut self, node_ref: i64, head_seq: u64, now_ms: i64) -> Result<(), LedgerError>;
    /// Keeps a refused message for review and raises a critical alert about it.
    fn quarantine(&mut self, store_id: &str, node_id: &str, reason: &str, seqs: Option<(u64, u64)>, message: &[u8], now_ms: i64) -> Result<(), LedgerError>;
    /// Raises an alert.
    fn alert(&mut self, severity: &str, store_id: &str, node_id: &str, message: &str, now_ms: i64) -> Result<(), LedgerError>;
    /// Everything quarantined, oldest first.
    fn quarantined(&self) -> Result<Vec<Quarantined>, LedgerError>;
    /// Alerts, oldest first.
    fn alerts(&self) -> Result<Vec<Alert>, LedgerError>;
    /// Totals of every store.
    fn totals(&self) -> Result<Vec<StoreTotals>, LedgerError>;
    /// Every enrolled node.
    fn nodes(&self) -> Result<Vec<NodeSummary>, LedgerError>;
    /// Revokes a member pass issued in a store; `false` if it already was.
    fn revoke_pass(&mut self, store_id: &str, pass_id: &str, now_ms: i64) -> Result<bool, LedgerError>;
    /// Where a store sits in the tenant → brand → store hierarchy.
    fn store_path(&self, store_id: &str) -> Result<Option<StorePath>, LedgerError>;
    /// A tenant's shared document (`catalog`): its full save and version.
    fn document(&self, tenant: &str, name: &str) -> Result<Option<(Vec<u8>, i64)>, LedgerError>;
    /// Stores a new full save of a tenant's document, only if its stored version is still
    /// `version` (0: none stored yet), creating the tenant if needed; `false` if another
    /// writer moved it first (the caller reloads, merges again and retries).
    fn put_document(&mut self, tenant: &str, name: &str, bytes: &[u8], version: i64, now_ms: i64) -> Result<bool, LedgerError>;
    /// What the cloud and a node last agreed on a document (automerge's sync state).
    fn document_peer(&self, node_ref: i64, name: &str) -> Result<Option<Vec<u8>>, LedgerError>;
    /// Records it.
    fn put_document_peer(&mut self, node_ref: i64, name: &str, state: &[u8], now_ms: i64) -> Result<(), LedgerError>;
    /// A store's revoked passes revoked at or after `since_ms`: `(pass_id, revoked_ms)`, oldest first.
    fn revoked_passes(&self, store_id: &str, since_ms: i64) -> Result<Vec<(String, i64)>, LedgerError>;

    // Period closings (`crate::close`).

    /// Every store, by tenant, brand and store id.
    fn stores(&self) -> Result<Vec<StoreInfo>, LedgerError>;
    /// Sets the UTC offset a store's business dates are kept at; `false` (and no change)
    /// once the store has a closing, since its closed days would move.
    fn set_utc_offset(&mut self, store_id: &str, utc_offset_min: i32) -> Result<bool, LedgerError>;
    /// Sets a store's offline allowance: what each of its nodes may spend from one
    /// stored-value account without the cloud's confirmation (minor units, ≥ 0).
    fn set_offline_allowance(&mut self, store_id: &str, allowance_minor: i64) -> Result<(), LedgerError>;
    /// A store's offline allowance and, per account, the other stores of its tenant's
    /// stored-value movements summed (accounts at zero left out).
    fn other_stores_balances(&self, store_id: &str) -> Result<(i64, Vec<(String, i64)>), LedgerError>;
    /// The store ids of `store_id`'s tenant (itself included), and every `transfer` entry
    /// journaled by another store of the tenant that names `store_id` as one of its ends,
    /// in (store, node, seq) order.
    fn transfer_entries(&self, store_id: &str) -> Result<(Vec<String>, Vec<TransferRow>), LedgerError>;
    /// Places an O2O order for a store: stores `body` (the order's JSON) unless an order
    /// with this id is held for the store already; returns the body held afterwards (the
    /// new one, or the earlier one, for the caller to compare).
    fn put_o2o_order(&mut self, store_id: &str, order_id: &str, body: &[u8], placed_ms: i64) -> Result<Vec<u8>, LedgerError>;
    /// Records an online cancellation of an order held (the first one stands); `None` if
    /// no such order, else whether this call recorded it.
    fn cancel_o2o_order(&mut self, store_id: &str, order_id: &str, reason: &str, now_ms: i64) -> Result<Option<bool>, LedgerError>;
    /// A store's O2O orders (one, with `order_id`), oldest first: the body and the online
    /// cancellation (reason, time) if any.
    fn o2o_orders(&self, store_id: &str, order_id: Option<&str>) -> Result<Vec<(Vec<u8>, Option<(String, i64)>)>, LedgerError>;
    /// The `o2o` entries of a store's nodes (of one order, with `order_id`), as
    /// (node id, seq, ts, body).
    fn o2o_steps(&self, store_id: &str, order_id: Option<&str>) -> Result<Vec<(String, u64, i64, Vec<u8>)>, LedgerError>;
    /// An account's balance across every store of `store_id`'s tenant.
    fn tenant_balance(&self, store_id: &str, account: &str) -> Result<i64, LedgerError>;
    /// Per member id, the other stores of `store_id`'s tenant's spend and points summed
    /// (folded in [`Ledger::append`]; ids at zero left out).
    fn other_stores_members(&self, store_id: &str) -> Result<Vec<(String, i64, i64)>, LedgerError>;
    /// The points of member ids `member_ids` across every store of `store_id`'s tenant.
    fn tenant_points(&self, store_id: &str, member_ids: &[String]) -> Result<i64, LedgerError>;
    /// How often each store of `store_id`'s tenant used coupon `coupon_id` (its sales'
    /// coupon uses, folded in [`Ledger::append`]), by store id.
    fn coupon_uses(&self, store_id: &str, coupon_id: &str) -> Result<Vec<(String, i64)>, LedgerError>;
    /// The nodes of a store (by node id) and how far each has been heard from.
    fn store_nodes(&self, store_id: &str) -> Result<Vec<NodeProgress>, LedgerError>;
    /// The earliest timestamp of any entry held for a store.
    fn earliest_entry_ms(&self, store_id: &str) -> Result<Option<i64>, LedgerError>;
    /// Calls `each` with every held entry of `node_id` in `store_id` whose seq is in
    /// `seqs` and timestamp in `ts`, in seq order; stops at the first error.
    fn read_entries(&self, store_id: &str, node_id: &str, seqs: RangeInclusive<u64>, ts: Range<i64>, each: &mut dyn FnMut(Entry) -> Result<(), LedgerError>) -> Result<(), LedgerError>;
    /// Appends a closing to its store's chain of its kind, only if the chain's last
    /// closing is `closing.chain_seq - 1` with hash `closing.prev_hash` (none for the first)
    /// and the period is not closed yet; otherwise changes nothing and returns `false`.
    /// Closings are never updated or deleted.
    fn append_closing(&mut self, closing: &StoredClosing) -> Result<bool, LedgerError>;
    /// Closings, by store id, kind and chain order; `None` means all.
    fn closings(&self, store_id: Option<&str>, kind: Option<PeriodKind>) -> Result<Vec<StoredClosing>, LedgerError>;
    /// The first and the last closing of a store's chain of `kind`.
    fn chain_ends(&self, store_id: &str, kind: PeriodKind) -> Result<Option<(StoredClosing, StoredClosing)>, LedgerError>;
    /// The public key of the cloud's closing key, once recorded.
    fn cloud_key(&self) -> Result<Option<[u8; 32]>, LedgerError>;
    /// Records the public key of the cloud's closing key; `false` if another is recorded.
    fn record_cloud_key(&mut self, public_key: [u8; 32], now_ms: i64) -> Result<bool, LedgerError>;
}
