//! The SQLite [`Ledger`]: one file, WAL, every write fsynced before it is acknowledged.

use std::ops::{Range, RangeInclusive};
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use opentill_sync::journal::{Entry, GENESIS_HASH};
use opentill_sync::protocol::NodeLedger;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tracing::info;

use crate::closing::PeriodKind;
use crate::ledger::{Alert, EnrolOutcome, Folds, Ledger, LedgerError, NodeProgress, NodeRecord, NodeSummary, Quarantined, StoreInfo, StorePath, StoreTotals, StoredClosing, TotalsDelta, TransferRow};

/// The cloud schema's migrations.
///
/// **Architecture Invariant:** migrations only ever append; a released one is never edited.
pub const MIGRATIONS: &[&str] = &[
    // 1: tenants → brands → stores, enrolment codes, nodes, the journal set, totals,
    // quarantine and alerts.
    r#"
    CREATE TABLE tenants (tenant_ref INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
    CREATE TABLE brands (
        brand_ref INTEGER PRIMARY KEY,
        tenant_ref INTEGER NOT NULL REFERENCES tenants(tenant_ref),
        name TEXT NOT NULL,
        UNIQUE (tenant_ref, name)
    ) STRICT;
    CREATE TABLE stores (
        store_ref INTEGER PRIMARY KEY,
        brand_ref INTEGER NOT NULL REFERENCES brands(brand_ref),
        store_id TEXT NOT NULL UNIQUE
    ) STRICT;
    CREATE TABLE enrol_codes (
        code_hash BLOB PRIMARY KEY,
        store_ref INTEGER NOT NULL REFERENCES stores(store_ref),
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        used_ms INTEGER,
        used_by INTEGER REFERENCES nodes(node_ref)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE nodes (
        node_ref INTEGER PRIMARY KEY,
        store_ref INTEGER NOT NULL REFERENCES stores(store_ref),
        node_id TEXT NOT NULL,
        public_key BLOB NOT NULL,
        enrolled_ms INTEGER NOT NULL,
        acked_seq INTEGER NOT NULL DEFAULT 0,
        head_hash BLOB NOT NULL,
        UNIQUE (store_ref, node_id)
    ) STRICT;
    -- The grow-only set of journal entries, keyed by (node, seq).
    CREATE TABLE journal (
        node_ref INTEGER NOT NULL REFERENCES nodes(node_ref),
        seq INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        body BLOB NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        signature BLOB NOT NULL,
        received_ms INTEGER NOT NULL,
        PRIMARY KEY (node_ref, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TABLE store_totals (
        store_ref INTEGER PRIMARY KEY REFERENCES stores(store_ref),
        n_entries INTEGER NOT NULL DEFAULT 0,
        n_sales INTEGER NOT NULL DEFAULT 0,
        sales_minor INTEGER NOT NULL DEFAULT 0,
        n_refunds INTEGER NOT NULL DEFAULT 0,
        refunds_minor INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        received_ms INTEGER NOT NULL,
        store_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        first_seq INTEGER,
        last_seq INTEGER,
        message BLOB NOT NULL
    ) STRICT;
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        raised_ms INTEGER NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning')),
        store_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        message TEXT NOT NULL
    ) STRICT;
    "#,
    // 2: what each node last said of itself, so the cloud sees who is behind.
    r#"
    ALTER TABLE nodes ADD COLUMN reported_head INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE nodes ADD COLUMN last_seen_ms INTEGER;
    "#,
    // 3: member passes revoked by head office, sent down to the store's nodes.
    r#"
    CREATE TABLE revoked_passes (
        store_ref INTEGER NOT NULL REFERENCES stores(store_ref),
        pass_id TEXT NOT NULL,
        revoked_ms INTEGER NOT NULL,
        PRIMARY KEY (store_ref, pass_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX revoked_passes_time ON revoked_passes(store_ref, revoked_ms);
    "#,
    // 4: shared documents per tenant (automerge; the catalog), each one full save with a
    // version moved by every write, and what the cloud last agreed with each node.
    r#"
    CREATE TABLE documents (
        tenant_ref INTEGER NOT NULL REFERENCES tenants(tenant_ref),
        name TEXT NOT NULL,
        snapshot BLOB NOT NULL,
        version INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (tenant_ref, name)
    ) STRICT;
    CREATE TABLE document_peers (
        node_ref INTEGER NOT NULL REFERENCES nodes(node_ref),
        name TEXT NOT NULL,
        state BLOB NOT NULL,
        synced_ms INTEGER NOT NULL,
        PRIMARY KEY (node_ref, name)
    ) STRICT;
    "#,
    // 5: period closings. Each store's business dates are local dates at its UTC offset
    // (+08:00 unless set); closings form one append-only chain per store and kind; the
    // public half of the cloud's closing key is recorded once (the secret stays in the
    // key file beside the database); entries are found by time for the closings' folds.
    r#"
    ALTER TABLE stores ADD COLUMN utc_offset_min INTEGER NOT NULL DEFAULT 480;
    CREATE INDEX journal_time ON journal(node_ref, ts_ms);
    CREATE TABLE closings (
        store_ref INTEGER NOT NULL REFERENCES stores(store_ref),
        kind TEXT NOT NULL CHECK (kind IN ('day', 'month', 'year')),
        chain_seq INTEGER NOT NULL CHECK (chain_seq >= 1),
        period TEXT NOT NULL,
        closed_ms INTEGER NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        signature BLOB NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (store_ref, kind, chain_seq),
        UNIQUE (store_ref, kind, period)
    ) STRICT, WITHOUT ROWID;
    CREATE TRIGGER closings_no_update BEFORE UPDATE ON closings
        BEGIN SELECT RAISE(ABORT, 'closings are append-only'); END;
    CREATE TRIGGER closings_no_delete BEFORE DELETE ON closings
        BEGIN SELECT RAISE(ABORT, 'closings are append-only'); END;
    CREATE TABLE cloud_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        public_key BLOB NOT NULL,
        recorded_ms INTEGER NOT NULL
    ) STRICT;
    "#,
    // 6: stored value across stores: each store's movements per account (a fold of its
    // journal, moved in the same transaction as the entries), backfilled from the entries
    // already held; each store's offline allowance per node and account (¥500 unless set).
    r#"
    ALTER TABLE stores ADD COLUMN offline_allowance_minor INTEGER NOT NULL DEFAULT 50000 CHECK (offline_allowance_minor >= 0);
    CREATE TABLE account_balances (
        store_ref INTEGER NOT NULL REFERENCES stores(store_ref),
        account TEXT NOT NULL,
        balance INTEGER NOT NULL,
        PRIMARY KEY (store_ref, account)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX account_balances_account ON account_balances(account);
    "#,
    // 7: stock transfers between stores: their steps are `transfer` entries, found
    // through a partial index, so answering a store reads only them.
    r#"
    CREATE INDEX journal_transfers ON journal(node_ref, seq) WHERE kind = 'transfer';
    "#,
    // 8: O2O orders placed through the cloud for a store (the body is the order's JSON,
    // never changed), their online cancellation; the stores' steps are `o2o` entries.
    r#"
    CREATE TABLE o2o_orders (
        store_ref INTEGER NOT NULL REFERENCES stores(store_ref),
        order_id TEXT NOT NULL,
        placed_ms INTEGER NOT NULL,
        body BLOB NOT NULL,
        cancel_reason TEXT,
        cancelled_ms INTEGER,
        PRIMARY KEY (store_ref, order_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX journal_o2o ON journal(node_ref, seq) WHERE kind = 'o2o';
    "#,
    // 9: coupon uses per store (a fold of its sales, moved in the same transaction as the
    // entries; backfilled from the entries already held), so a coupon redeemed offline in
    // several stores beyond its limit is flagged.
    r#"
    CREATE TABLE coupon_uses (
        store_ref INTEGER NOT NULL REFERENCES stores(store_ref),
        coupon_id TEXT NOT NULL,
        uses INTEGER NOT NULL,
        PRIMARY KEY (store_ref, coupon_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX coupon_uses_coupon ON coupon_uses(coupon_id);
    "#,
    // 10: members' spend and points per store and member id (a fold of its journal,
    // moved in the same transaction as the entries; backfilled from the entries already
    // held), handed to the other stores in the balance snapshot.
    r#"
    CREATE TABLE member_points (
        store_ref INTEGER NOT NULL REFERENCES stores(store_ref),
        member_id TEXT NOT NULL,
        spend INTEGER NOT NULL,
        points INTEGER NOT NULL,
        PRIMARY KEY (store_ref, member_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX member_points_member ON member_points(member_id);
    "#,
];

/// Folds the coupon uses of the sales already held into `coupon_uses` (run once, right
/// after migration 9): each sale uses each coupon it names once.
pub const COUPONS_BACKFILL: &str = r#"
    INSERT INTO coupon_uses (store_ref, coupon_id, uses)
    SELECT n.store_ref, json_extract(o.value, '$.id'), COUNT(*)
    FROM journal j JOIN nodes n ON n.node_ref = j.node_ref, json_each(CAST(j.body AS TEXT), '$.offers') o
    WHERE j.kind = 'sale' AND json_valid(CAST(j.body AS TEXT)) AND json_extract(o.value, '$.kind') = 'coupon'
    GROUP BY n.store_ref, json_extract(o.value, '$.id')
"#;

/// Folds the stored-value movements of the entries already held into `account_balances`
/// (run once, right after migration 6). Bodies that are not JSON are left out, as ingest
/// leaves out facts it cannot read.
pub const ACCOUNTS_BACKFILL: &str = r#"
    INSERT INTO account_balances (store_ref, account, balance)
    SELECT n.store_ref, m.account, SUM(m.delta) FROM (
        SELECT j.node_ref AS node_ref, json_extract(t.value, '$.reference') AS account,
               (CASE j.kind WHEN 'sale' THEN -1 ELSE 1 END) * json_extract(t.value, '$.amount') AS delta
        FROM journal j, json_each(CAST(j.body AS TEXT), '$.tenders') t
        WHERE j.kind IN ('sale', 'refund') AND json_valid(CAST(j.body AS TEXT))
          AND json_extract(t.value, '$.kind') = 'StoredValue' AND json_extract(t.value, '$.reference') IS NOT NULL
        UNION ALL
        SELECT j.node_ref, json_extract(CAST(j.body AS TEXT), '$.account'), json_extract(CAST(j.body AS TEXT), '$.amount')
        FROM journal j WHERE j.kind = 'stored_value_topped_up' AND json_valid(CAST(j.body AS TEXT))
    ) m JOIN nodes n ON n.node_ref = m.node_ref
    WHERE m.account IS NOT NULL
    GROUP BY n.store_ref, m.account
"#;

/// Folds the members' spend and points of the entries already held into `member_points`
/// (run once, right after migration 10), node by node, with the fold ingest uses.
fn backfill_member_points(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let mut stmt = tx.prepare("SELECT node_ref, seq, ts_ms, kind, body FROM journal WHERE kind IN ('sale', 'refund', 'member_registered', 'points_redeemed') ORDER BY node_ref, seq")?;
    let mut by_node: std::collections::BTreeMap<i64, Vec<Entry>> = std::collections::BTreeMap::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Entry { seq: r.get::<_, i64>(1)? as u64, node_id: String::new(), ts_ms: r.get(2)?, kind: r.get(3)?, body: r.get(4)?, prev_hash: [0; 32], hash: [0; 32], signature: [0; 64] },
        ))
    })?;
    for row in rows {
        let (node_ref, entry) = row?;
        by_node.entry(node_ref).or_default().push(entry);
    }
    let mut add = tx.prepare(
        "INSERT INTO member_points (store_ref, member_id, spend, points) SELECT store_ref, ?2, ?3, ?4 FROM nodes WHERE node_ref = ?1
         ON CONFLICT (store_ref, member_id) DO UPDATE SET spend = spend + excluded.spend, points = points + excluded.points",
    )?;
    for (node_ref, entries) in &by_node {
        for (member, spend, points) in crate::ingest::members_of(entries) {
            add.execute(params![node_ref, member, spend, points])?;
        }
    }
    Ok(())
}

/// A [`Ledger`] in one SQLite file.
pub struct SqliteLedger {
    conn: Connection,
}

impl std::fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLedger").finish_non_exhaustive()
    }
}

type Result<T> = std::result::Result<T, LedgerError>;

impl SqliteLedger {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path) -> Result<SqliteLedger> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
        if version > MIGRATIONS.len() {
            return Err(LedgerError::SchemaTooNew { found: version, supported: MIGRATIONS.len() });
        }
        for (idx, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            if *sql == MIGRATIONS[5] {
                tx.execute_batch(ACCOUNTS_BACKFILL)?;
            }
            if *sql == MIGRATIONS[8] {
                tx.execute_batch(COUPONS_BACKFILL)?;
            }
            if *sql == MIGRATIONS[9] {
                backfill_member_points(&tx)?;
            }
            tx.pragma_update(None, "user_version", (idx + 1) as i64)?;
            tx.commit()?;
            info!(version = idx + 1, "migrated cloud schema");
        }
        Ok(SqliteLedger { conn })
    }
}

fn hash32(v: Vec<u8>, what: &str) -> Result<[u8; 32]> {
    v.try_into().map_err(|_| LedgerError::Corrupt(format!("{what} is not 32 bytes")))
}

/// Seqs are `u64` in the protocol and `INTEGER` (i64) here; they never pass `i64::MAX`.
fn seq_param(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

const CLOSING_COLUMNS: &str = "s.store_id, c.kind, c.period, c.chain_seq, c.closed_ms, c.prev_hash, c.hash, c.signature, c.body";

type ClosingRow = (String, String, String, i64, i64, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

fn closing_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClosingRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
}

fn stored_closing(row: ClosingRow) -> Result<StoredClosing> {
    let (store_id, kind, period, chain_seq, closed_ms, prev_hash, hash, signature, body) = row;
    Ok(StoredClosing {
        kind: PeriodKind::parse(&kind).ok_or_else(|| LedgerError::Corrupt(format!("closing kind {kind:?}")))?,
        store_id,
        period,
        chain_seq: chain_seq as u64,
        closed_ms,
        prev_hash: hash32(prev_hash, "closing prev_hash")?,
        hash: hash32(hash, "closing hash")?,
        signature: signature.try_into().map_err(|_| LedgerError::Corrupt("closing signature is not 64 bytes".into()))?,
        body,
    })
}

impl SqliteLedger {
    fn store_ref(&self, store_id: &str) -> Result<i64> {
        let found: Option<i64> = self.conn.prepare_cached("SELECT store_ref FROM stores WHERE store_id = ?1")?.query_row([store_id], |r| r.get(0)).optional()?;
        found.ok_or_else(|| LedgerError::UnknownStore(store_id.to_string()))
    }
}

impl Ledger for SqliteLedger {
    fn add_enrol_code(&mut self, path: &StorePath, code_hash: [u8; 32], now_ms: i64, expires_ms: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("INSERT INTO tenants (name) VALUES (?1) ON CONFLICT (name) DO NOTHING", [&path.tenant])?;
        let tenant_ref: i64 = tx.query_row("SELECT tenant_ref FROM tenants WHERE name = ?1", [&path.tenant], |r| r.get(0))?;
        tx.execute("INSERT INTO brands (tenant_ref, name) VALUES (?1, ?2) ON CONFLICT (tenant_ref, name) DO NOTHING", params![tenant_ref, path.brand])?;
        let brand_ref: i64 = tx.query_row("SELECT brand_ref FROM brands WHERE tenant_ref = ?1 AND name = ?2", params![tenant_ref, path.brand], |r| r.get(0))?;
        tx.execute("INSERT INTO stores (brand_ref, store_id) VALUES (?1, ?2) ON CONFLICT (store_id) DO NOTHING", params![brand_ref, path.store_id])?;
        let store_ref: i64 = tx.query_row("SELECT store_ref FROM stores WHERE store_id = ?1", [&path.store_id], |r| r.get(0))?;
        tx.execute("INSERT INTO store_totals (store_ref) VALUES (?1) ON CONFLICT (store_ref) DO NOTHING", [store_ref])?;
        tx.execute("INSERT INTO enrol_codes (code_hash, store_ref, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)", params![code_hash.as_slice(), store_ref, now_ms, expires_ms])?;
        tx.commit()?;
        Ok(())
    }

    fn enrol(&mut self, code_hash: [u8; 32], store_id: &str, node_id: &str, public_key: [u8; 32], now_ms: i64) -> Result<EnrolOutcome> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let code: Option<(i64, String, i64, Option<i64>)> = tx
            .query_row(
                "SELECT c.store_ref, s.store_id, c.expires_ms, c.used_by FROM enrol_codes c JOIN stores s USING (store_ref) WHERE c.code_hash = ?1",
                [code_hash.as_slice()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((store_ref, code_store, expires_ms, used_by)) = code else { return Ok(EnrolOutcome::UnknownCode) };
        if code_store != store_id {
            return Ok(EnrolOutcome::WrongStore { code_store });
        }
        let existing: Option<(i64, Vec<u8>)> =
            tx.query_row("SELECT node_ref, public_key FROM nodes WHERE store_ref = ?1 AND node_id = ?2", params![store_ref, node_id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        match (used_by, &existing) {
            // A retry of an enrolment whose reply was lost.
            (Some(user), Some((node_ref, key))) if user == *node_ref && key.as_slice() == public_key.as_slice() => {}
            (Some(_), _) => return Ok(EnrolOutcome::CodeUsed),
            (None, Some(_)) => return Ok(EnrolOutcome::NodeExists),
            (None, None) => {
                if now_ms > expires_ms {
                    return Ok(EnrolOutcome::Expired);
                }
                tx.execute(
                    "INSERT INTO nodes (store_ref, node_id, public_key, enrolled_ms, head_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![store_ref, node_id, public_key.as_slice(), now_ms, GENESIS_HASH.as_slice()],
                )?;
                let node_ref = tx.last_insert_rowid();
                tx.execute("UPDATE enrol_codes SET used_ms = ?1, used_by = ?2 WHERE code_hash = ?3", params![now_ms, node_ref, code_hash.as_slice()])?;
            }
        }
        let path = tx.query_row(
            "SELECT t.name, b.name, s.store_id FROM stores s JOIN brands b USING (brand_ref) JOIN tenants t USING (tenant_ref) WHERE s.store_ref = ?1",
            [store_ref],
            |r| Ok(StorePath { tenant: r.get(0)?, brand: r.get(1)?, store_id: r.get(2)? }),
        )?;
        tx.commit()?;
        Ok(EnrolOutcome::Enrolled(path))
    }

    fn revoke_pass(&mut self, store_id: &str, pass_id: &str, now_ms: i64) -> Result<bool> {
        let store_ref: Option<i64> = self.conn.prepare_cached("SELECT store_ref FROM stores WHERE store_id = ?1")?.query_row([store_id], |r| r.get(0)).optional()?;
        let Some(store_ref) = store_ref else { return Err(LedgerError::UnknownStore(store_id.to_string())) };
        let n = self.conn.prepare_cached("INSERT INTO revoked_passes (store_ref, pass_id, revoked_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?.execute(params![store_ref, pass_id, now_ms])?;
        Ok(n == 1)
    }

    fn revoked_passes(&self, store_id: &str, since_ms: i64) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.pass_id, r.revoked_ms FROM revoked_passes r JOIN stores s USING (store_ref) WHERE s.store_id = ?1 AND r.revoked_ms >= ?2 ORDER BY r.revoked_ms, r.pass_id",
        )?;
        let rows = stmt.query_map(params![store_id, since_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn store_path(&self, store_id: &str) -> Result<Option<StorePath>> {
        Ok(self
            .conn
            .prepare_cached("SELECT t.name, b.name FROM stores s JOIN brands b USING (brand_ref) JOIN tenants t USING (tenant_ref) WHERE s.store_id = ?1")?
            .query_row([store_id], |r| Ok(StorePath { tenant: r.get(0)?, brand: r.get(1)?, store_id: store_id.to_string() }))
            .optional()?)
    }

    fn document(&self, tenant: &str, name: &str) -> Result<Option<(Vec<u8>, i64)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT d.snapshot, d.version FROM documents d JOIN tenants t USING (tenant_ref) WHERE t.name = ?1 AND d.name = ?2")?
            .query_row([tenant, name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn put_document(&mut self, tenant: &str, name: &str, bytes: &[u8], version: i64, now_ms: i64) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached("INSERT INTO tenants (name) VALUES (?1) ON CONFLICT (name) DO NOTHING")?.execute([tenant])?;
        let tenant_ref: i64 = tx.prepare_cached("SELECT tenant_ref FROM tenants WHERE name = ?1")?.query_row([tenant], |r| r.get(0))?;
        let written = if version == 0 {
            tx.prepare_cached("INSERT INTO documents (tenant_ref, name, snapshot, version, updated_ms) VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT DO NOTHING")?
                .execute(params![tenant_ref, name, bytes, now_ms])?
        } else {
            tx.prepare_cached("UPDATE documents SET snapshot = ?3, version = version + 1, updated_ms = ?5 WHERE tenant_ref = ?1 AND name = ?2 AND version = ?4")?
                .execute(params![tenant_ref, name, bytes, version, now_ms])?
        };
        tx.commit()?;
        Ok(written == 1)
    }

    fn document_peer(&self, node_ref: i64, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.conn.prepare_cached("SELECT state FROM document_peers WHERE node_ref = ?1 AND name = ?2")?.query_row(params![node_ref, name], |r| r.get(0)).optional()?)
    }

    fn put_document_peer(&mut self, node_ref: i64, name: &str, state: &[u8], now_ms: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO document_peers (node_ref, name, state, synced_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (node_ref, name) DO UPDATE SET state = excluded.state, synced_ms = excluded.synced_ms",
            )?
            .execute(params![node_ref, name, state, now_ms])?;
        Ok(())
    }

    fn node(&self, store_id: &str, node_id: &str) -> Result<Option<NodeRecord>> {
        let row: Option<(i64, Vec<u8>, i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT n.node_ref, n.public_key, n.acked_seq, n.head_hash FROM nodes n JOIN stores s USING (store_ref) WHERE s.store_id = ?1 AND n.node_id = ?2")?
            .query_row(params![store_id, node_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((node_ref, key, acked_seq, head_hash)) = row else { return Ok(None) };
        let key = VerifyingKey::from_bytes(&hash32(key, "public key")?).map_err(|_| LedgerError::Corrupt(format!("node {store_id}/{node_id} has an invalid key")))?;
        let mut ledger = NodeLedger::new(store_id, node_id, key);
        ledger.acked_seq = acked_seq as u64;
        ledger.head_hash = hash32(head_hash, "head hash")?;
        Ok(Some(NodeRecord { node_ref, ledger }))
    }

    fn append(&mut self, node: &NodeRecord, entries: &[Entry], head: (u64, [u8; 32]), totals: TotalsDelta, folds: &Folds, now_ms: i64) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let moved = tx
            .prepare_cached("UPDATE nodes SET acked_seq = ?1, head_hash = ?2 WHERE node_ref = ?3 AND acked_seq = ?4 AND head_hash = ?5")?
            .execute(params![head.0 as i64, head.1.as_slice(), node.node_ref, node.ledger.acked_seq as i64, node.ledger.head_hash.as_slice()])?;
        if moved != 1 {
            return Ok(false);
        }
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO journal (node_ref, seq, ts_ms, kind, body, prev_hash, hash, signature, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for e in entries {
                insert.execute(params![node.node_ref, e.seq as i64, e.ts_ms, e.kind, e.body, e.prev_hash.as_slice(), e.hash.as_slice(), e.signature.as_slice(), now_ms])?;
            }
        }
        tx.prepare_cached(
            "UPDATE store_totals SET n_entries = n_entries + ?2, n_sales = n_sales + ?3, sales_minor = sales_minor + ?4, n_refunds = n_refunds + ?5, refunds_minor = refunds_minor + ?6
             WHERE store_ref = (SELECT store_ref FROM nodes WHERE node_ref = ?1)",
        )?
        .execute(params![node.node_ref, totals.n_entries, totals.n_sales, totals.sales_minor, totals.n_refunds, totals.refunds_minor])?;
        {
            let mut add = tx.prepare_cached(
                "INSERT INTO account_balances (store_ref, account, balance) SELECT store_ref, ?2, ?3 FROM nodes WHERE node_ref = ?1
                 ON CONFLICT (store_ref, account) DO UPDATE SET balance = balance + excluded.balance",
            )?;
            for (account, delta) in &folds.accounts {
                add.execute(params![node.node_ref, account, delta])?;
            }
            let mut used = tx.prepare_cached(
                "INSERT INTO coupon_uses (store_ref, coupon_id, uses) SELECT store_ref, ?2, ?3 FROM nodes WHERE node_ref = ?1
                 ON CONFLICT (store_ref, coupon_id) DO UPDATE SET uses = uses + excluded.uses",
            )?;
            for (coupon, uses) in &folds.coupons {
                used.execute(params![node.node_ref, coupon, uses])?;
            }
            let mut member = tx.prepare_cached(
                "INSERT INTO member_points (store_ref, member_id, spend, points) SELECT store_ref, ?2, ?3, ?4 FROM nodes WHERE node_ref = ?1
                 ON CONFLICT (store_ref, member_id) DO UPDATE SET spend = spend + excluded.spend, points = points + excluded.points",
            )?;
            for (member_id, spend, points) in &folds.members {
                member.execute(params![node.node_ref, member_id, spend, points])?;
            }
        }
        tx.commit()?;
        Ok(true)
    }

    fn record_hello(&mut self, node_ref: i64, head_seq: u64, now_ms: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE nodes SET reported_head = max(reported_head, ?2), last_seen_ms = ?3 WHERE node_ref = ?1")?
            .execute(params![node_ref, head_seq as i64, now_ms])?;
        Ok(())
    }

    fn quarantine(&mut self, store_id: &str, node_id: &str, reason: &str, seqs: Option<(u64, u64)>, message: &[u8], now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO quarantine (received_ms, store_id, node_id, reason, first_seq, last_seq, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![now_ms, store_id, node_id, reason, seqs.map(|s| s.0 as i64), seqs.map(|s| s.1 as i64), message],
        )?;
        tx.execute(
            "INSERT INTO alerts (raised_ms, severity, store_id, node_id, message) VALUES (?1, 'critical', ?2, ?3, ?4)",
            params![now_ms, store_id, node_id, format!("journal quarantined: {reason}")],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn alert(&mut self, severity: &str, store_id: &str, node_id: &str, message: &str, now_ms: i64) -> Result<()> {
        self.conn.execute("INSERT INTO alerts (raised_ms, severity, store_id, node_id, message) VALUES (?1, ?2, ?3, ?4, ?5)", params![now_ms, severity, store_id, node_id, message])?;
        Ok(())
    }

    fn quarantined(&self) -> Result<Vec<Quarantined>> {
        let mut stmt = self.conn.prepare("SELECT id, received_ms, store_id, node_id, reason, first_seq, last_seq, length(message) FROM quarantine ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            let first: Option<i64> = r.get(5)?;
            let last: Option<i64> = r.get(6)?;
            Ok(Quarantined {
                id: r.get(0)?,
                received_ms: r.get(1)?,
                store_id: r.get(2)?,
                node_id: r.get(3)?,
                reason: r.get(4)?,
                seqs: first.zip(last).map(|(a, b)| (a as u64, b as u64)),
                n_bytes: r.get::<_, i64>(7)? as usize,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn alerts(&self) -> Result<Vec<Alert>> {
        let mut stmt = self.conn.prepare("SELECT id, raised_ms, severity, store_id, node_id, message FROM alerts ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok(Alert { id: r.get(0)?, raised_ms: r.get(1)?, severity: r.get(2)?, store_id: r.get(3)?, node_id: r.get(4)?, message: r.get(5)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn totals(&self) -> Result<Vec<StoreTotals>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.name, b.name, s.store_id, x.n_entries, x.n_sales, x.sales_minor, x.n_refunds, x.refunds_minor
             FROM store_totals x JOIN stores s USING (store_ref) JOIN brands b USING (brand_ref) JOIN tenants t USING (tenant_ref)
             ORDER BY t.name, b.name, s.store_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoreTotals {
                path: StorePath { tenant: r.get(0)?, brand: r.get(1)?, store_id: r.get(2)? },
                totals: TotalsDelta { n_entries: r.get(3)?, n_sales: r.get(4)?, sales_minor: r.get(5)?, n_refunds: r.get(6)?, refunds_minor: r.get(7)? },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn stores(&self) -> Result<Vec<StoreInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.name, b.name, s.store_id, s.utc_offset_min FROM stores s JOIN brands b USING (brand_ref) JOIN tenants t USING (tenant_ref) ORDER BY t.name, b.name, s.store_id",
        )?;
        let rows = stmt.query_map([], |r| Ok(StoreInfo { path: StorePath { tenant: r.get(0)?, brand: r.get(1)?, store_id: r.get(2)? }, utc_offset_min: r.get(3)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_utc_offset(&mut self, store_id: &str, utc_offset_min: i32) -> Result<bool> {
        let store_ref = self.store_ref(store_id)?;
        let n = self
            .conn
            .execute("UPDATE stores SET utc_offset_min = ?2 WHERE store_ref = ?1 AND NOT EXISTS (SELECT 1 FROM closings WHERE store_ref = ?1)", params![store_ref, utc_offset_min])?;
        Ok(n == 1)
    }

    fn set_offline_allowance(&mut self, store_id: &str, allowance_minor: i64) -> Result<()> {
        let store_ref = self.store_ref(store_id)?;
        self.conn.execute("UPDATE stores SET offline_allowance_minor = ?2 WHERE store_ref = ?1", params![store_ref, allowance_minor])?;
        Ok(())
    }

    fn other_stores_balances(&self, store_id: &str) -> Result<(i64, Vec<(String, i64)>)> {
        let store_ref = self.store_ref(store_id)?;
        let allowance: i64 = self.conn.query_row("SELECT offline_allowance_minor FROM stores WHERE store_ref = ?1", [store_ref], |r| r.get(0))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT ab.account, SUM(ab.balance) FROM account_balances ab
             JOIN stores s ON s.store_ref = ab.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
             WHERE ab.store_ref <> ?1 AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = ?1)
             GROUP BY ab.account HAVING SUM(ab.balance) <> 0 ORDER BY ab.account",
        )?;
        let rows = stmt.query_map([store_ref], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((allowance, rows))
    }

    fn transfer_entries(&self, store_id: &str) -> Result<(Vec<String>, Vec<TransferRow>)> {
        let store_ref = self.store_ref(store_id)?;
        let tenant = "(SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = ?1)";
        let mut stmt = self.conn.prepare_cached(&format!("SELECT s.store_id FROM stores s JOIN brands b ON b.brand_ref = s.brand_ref WHERE b.tenant_ref = {tenant} ORDER BY s.store_id"))?;
        let stores = stmt.query_map([store_ref], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT s.store_id, n.node_id, j.seq, j.ts_ms, j.body FROM journal j
             JOIN nodes n ON n.node_ref = j.node_ref JOIN stores s ON s.store_ref = n.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
             WHERE j.kind = 'transfer' AND n.store_ref <> ?1 AND b.tenant_ref = {tenant} AND json_valid(CAST(j.body AS TEXT))
               AND ?2 IN (json_extract(CAST(j.body AS TEXT), '$.from_store'), json_extract(CAST(j.body AS TEXT), '$.to_store'))
             ORDER BY s.store_id, n.node_id, j.seq"
        ))?;
        let rows = stmt.query_map(params![store_ref, store_id], |r| Ok(TransferRow { store_id: r.get(0)?, node_id: r.get(1)?, seq: r.get::<_, i64>(2)? as u64, ts_ms: r.get(3)?, body: r.get(4)? }))?;
        Ok((stores, rows.collect::<rusqlite::Result<_>>()?))
    }

    fn put_o2o_order(&mut self, store_id: &str, order_id: &str, body: &[u8], placed_ms: i64) -> Result<Vec<u8>> {
        let store_ref = self.store_ref(store_id)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached("INSERT INTO o2o_orders (store_ref, order_id, placed_ms, body) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")?.execute(params![store_ref, order_id, placed_ms, body])?;
        let held: Vec<u8> = tx.prepare_cached("SELECT body FROM o2o_orders WHERE store_ref = ?1 AND order_id = ?2")?.query_row(params![store_ref, order_id], |r| r.get(0))?;
        tx.commit()?;
        Ok(held)
    }

    fn cancel_o2o_order(&mut self, store_id: &str, order_id: &str, reason: &str, now_ms: i64) -> Result<Option<bool>> {
        let store_ref = self.store_ref(store_id)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<Option<i64>> = tx.prepare_cached("SELECT cancelled_ms FROM o2o_orders WHERE store_ref = ?1 AND order_id = ?2")?.query_row(params![store_ref, order_id], |r| r.get(0)).optional()?;
        let out = match found {
            None => None,
            Some(Some(_)) => Some(false),
            Some(None) => {
                tx.prepare_cached("UPDATE o2o_orders SET cancel_reason = ?3, cancelled_ms = ?4 WHERE store_ref = ?1 AND order_id = ?2")?.execute(params![store_ref, order_id, reason, now_ms])?;
                Some(true)
            }
        };
        tx.commit()?;
        Ok(out)
    }

    fn o2o_orders(&self, store_id: &str, order_id: Option<&str>) -> Result<Vec<(Vec<u8>, Option<(String, i64)>)>> {
        let store_ref = self.store_ref(store_id)?;
        let mut stmt = self.conn.prepare_cached("SELECT body, cancel_reason, cancelled_ms FROM o2o_orders WHERE store_ref = ?1 AND (?2 IS NULL OR order_id = ?2) ORDER BY placed_ms, order_id")?;
        let rows = stmt.query_map(params![store_ref, order_id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<i64>>(2)?)))?;
        rows.map(|r| r.map(|(body, reason, ts)| (body, reason.zip(ts))).map_err(Into::into)).collect()
    }

    fn o2o_steps(&self, store_id: &str, order_id: Option<&str>) -> Result<Vec<(String, u64, i64, Vec<u8>)>> {
        let store_ref = self.store_ref(store_id)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT n.node_id, j.seq, j.ts_ms, j.body FROM journal j JOIN nodes n ON n.node_ref = j.node_ref
             WHERE j.kind = 'o2o' AND n.store_ref = ?1 AND (?2 IS NULL OR (json_valid(CAST(j.body AS TEXT)) AND json_extract(CAST(j.body AS TEXT), '$.order_id') = ?2))
             ORDER BY n.node_id, j.seq",
        )?;
        let rows = stmt.query_map(params![store_ref, order_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)?, r.get::<_, Vec<u8>>(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn tenant_balance(&self, store_id: &str, account: &str) -> Result<i64> {
        let store_ref = self.store_ref(store_id)?;
        Ok(self.conn.prepare_cached(
            "SELECT COALESCE(SUM(ab.balance), 0) FROM account_balances ab
             JOIN stores s ON s.store_ref = ab.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
             WHERE ab.account = ?2 AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = ?1)",
        )?
        .query_row(params![store_ref, account], |r| r.get(0))?)
    }

    fn other_stores_members(&self, store_id: &str) -> Result<Vec<(String, i64, i64)>> {
        let store_ref = self.store_ref(store_id)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT mp.member_id, SUM(mp.spend), SUM(mp.points) FROM member_points mp
             JOIN stores s ON s.store_ref = mp.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
             WHERE mp.store_ref <> ?1 AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = ?1)
             GROUP BY mp.member_id HAVING SUM(mp.spend) <> 0 OR SUM(mp.points) <> 0 ORDER BY mp.member_id",
        )?;
        let rows = stmt.query_map([store_ref], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn tenant_points(&self, store_id: &str, member_ids: &[String]) -> Result<i64> {
        let store_ref = self.store_ref(store_id)?;
        let ids = serde_json::to_string(member_ids).expect("ids serialise");
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(mp.points), 0) FROM member_points mp
                 JOIN stores s ON s.store_ref = mp.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
                 WHERE mp.member_id IN (SELECT value FROM json_each(?2)) AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = ?1)",
            )?
            .query_row(params![store_ref, ids], |r| r.get(0))?)
    }

    fn coupon_uses(&self, store_id: &str, coupon_id: &str) -> Result<Vec<(String, i64)>> {
        let store_ref = self.store_ref(store_id)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.store_id, cu.uses FROM coupon_uses cu
             JOIN stores s ON s.store_ref = cu.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
             WHERE cu.coupon_id = ?2 AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = ?1)
             ORDER BY s.store_id",
        )?;
        let rows = stmt.query_map(params![store_ref, coupon_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn store_nodes(&self, store_id: &str) -> Result<Vec<NodeProgress>> {
        let store_ref = self.store_ref(store_id)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT n.node_id, n.acked_seq, n.reported_head, n.last_seen_ms, (SELECT j.ts_ms FROM journal j WHERE j.node_ref = n.node_ref AND j.seq = n.acked_seq)
             FROM nodes n WHERE n.store_ref = ?1 ORDER BY n.node_id",
        )?;
        let rows = stmt.query_map([store_ref], |r| {
            Ok(NodeProgress { node_id: r.get(0)?, acked_seq: r.get::<_, i64>(1)? as u64, reported_head: r.get::<_, i64>(2)? as u64, last_seen_ms: r.get(3)?, head_ts_ms: r.get(4)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn earliest_entry_ms(&self, store_id: &str) -> Result<Option<i64>> {
        let store_ref = self.store_ref(store_id)?;
        // One index probe per node (journal_time), rather than a scan of the store's entries.
        let earliest: Option<i64> = self
            .conn
            .prepare_cached("SELECT min((SELECT min(j.ts_ms) FROM journal j WHERE j.node_ref = n.node_ref)) FROM nodes n WHERE n.store_ref = ?1")?
            .query_row([store_ref], |r| r.get(0))?;
        Ok(earliest)
    }

    fn read_entries(&self, store_id: &str, node_id: &str, seqs: RangeInclusive<u64>, ts: Range<i64>, each: &mut dyn FnMut(Entry) -> Result<()>) -> Result<()> {
        if seqs.is_empty() || ts.is_empty() {
            return Ok(());
        }
        let node_ref: Option<i64> = self
            .conn
            .prepare_cached("SELECT n.node_ref FROM nodes n JOIN stores s USING (store_ref) WHERE s.store_id = ?1 AND n.node_id = ?2")?
            .query_row(params![store_id, node_id], |r| r.get(0))
            .optional()?;
        let Some(node_ref) = node_ref else { return Ok(()) };
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, ts_ms, kind, body, prev_hash, hash, signature FROM journal
             WHERE node_ref = ?1 AND seq BETWEEN ?2 AND ?3 AND ts_ms >= ?4 AND ts_ms < ?5 ORDER BY seq",
        )?;
        let mut rows = stmt.query(params![node_ref, seq_param(*seqs.start()), seq_param(*seqs.end()), ts.start, ts.end])?;
        while let Some(row) = rows.next()? {
            let signature: Vec<u8> = row.get(6)?;
            each(Entry {
                node_id: node_id.to_string(),
                seq: row.get::<_, i64>(0)? as u64,
                ts_ms: row.get(1)?,
                kind: row.get(2)?,
                body: row.get(3)?,
                prev_hash: hash32(row.get(4)?, "prev_hash")?,
                hash: hash32(row.get(5)?, "hash")?,
                signature: signature.try_into().map_err(|_| LedgerError::Corrupt("entry signature is not 64 bytes".into()))?,
            })?;
        }
        Ok(())
    }

    fn append_closing(&mut self, closing: &StoredClosing) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let store_ref: Option<i64> = tx.query_row("SELECT store_ref FROM stores WHERE store_id = ?1", [&closing.store_id], |r| r.get(0)).optional()?;
        let Some(store_ref) = store_ref else { return Err(LedgerError::UnknownStore(closing.store_id.clone())) };
        let head: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT chain_seq, hash FROM closings WHERE store_ref = ?1 AND kind = ?2 ORDER BY chain_seq DESC LIMIT 1",
                params![store_ref, closing.kind.name()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let follows = match head {
            None => closing.chain_seq == 1 && closing.prev_hash == GENESIS_HASH,
            Some((seq, hash)) => closing.chain_seq == seq as u64 + 1 && hash.as_slice() == closing.prev_hash.as_slice(),
        };
        let taken: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM closings WHERE store_ref = ?1 AND kind = ?2 AND period = ?3)", params![store_ref, closing.kind.name(), closing.period], |r| r.get(0))?;
        if !follows || taken {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO closings (store_ref, kind, chain_seq, period, closed_ms, prev_hash, hash, signature, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                store_ref,
                closing.kind.name(),
                seq_param(closing.chain_seq),
                closing.period,
                closing.closed_ms,
                closing.prev_hash.as_slice(),
                closing.hash.as_slice(),
                closing.signature.as_slice(),
                closing.body
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn closings(&self, store_id: Option<&str>, kind: Option<PeriodKind>) -> Result<Vec<StoredClosing>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CLOSING_COLUMNS} FROM closings c JOIN stores s USING (store_ref)
             WHERE (?1 IS NULL OR s.store_id = ?1) AND (?2 IS NULL OR c.kind = ?2)
             ORDER BY s.store_id, CASE c.kind WHEN 'day' THEN 0 WHEN 'month' THEN 1 ELSE 2 END, c.chain_seq"
        ))?;
        let rows = stmt.query_map(params![store_id, kind.map(PeriodKind::name)], closing_row)?;
        rows.map(|r| stored_closing(r?)).collect()
    }

    fn chain_ends(&self, store_id: &str, kind: PeriodKind) -> Result<Option<(StoredClosing, StoredClosing)>> {
        let store_ref = self.store_ref(store_id)?;
        let end = |order: &str| -> Result<Option<StoredClosing>> {
            let row = self
                .conn
                .prepare_cached(&format!("SELECT {CLOSING_COLUMNS} FROM closings c JOIN stores s USING (store_ref) WHERE c.store_ref = ?1 AND c.kind = ?2 ORDER BY c.chain_seq {order} LIMIT 1"))?
                .query_row(params![store_ref, kind.name()], closing_row)
                .optional()?;
            row.map(stored_closing).transpose()
        };
        let first = end("ASC")?;
        let last = end("DESC")?;
        Ok(first.zip(last))
    }

    fn cloud_key(&self) -> Result<Option<[u8; 32]>> {
        let key: Option<Vec<u8>> = self.conn.query_row("SELECT public_key FROM cloud_key WHERE id = 1", [], |r| r.get(0)).optional()?;
        key.map(|k| hash32(k, "cloud public key")).transpose()
    }

    fn record_cloud_key(&mut self, public_key: [u8; 32], now_ms: i64) -> Result<bool> {
        self.conn.execute("INSERT INTO cloud_key (id, public_key, recorded_ms) VALUES (1, ?1, ?2) ON CONFLICT (id) DO NOTHING", params![public_key.as_slice(), now_ms])?;
        Ok(self.cloud_key()? == Some(public_key))
    }

    fn nodes(&self) -> Result<Vec<NodeSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.store_id, n.node_id, n.acked_seq, n.head_hash, (SELECT count(*) FROM journal j WHERE j.node_ref = n.node_ref), n.reported_head, n.last_seen_ms
             FROM nodes n JOIN stores s USING (store_ref) ORDER BY s.store_id, n.node_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Vec<u8>>(3)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?, r.get::<_, Option<i64>>(6)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (store_id, node_id, acked, head, n, reported, seen) = row?;
            out.push(NodeSummary {
                store_id,
                node_id,
                acked_seq: acked as u64,
                head_hash: hash32(head, "head hash")?,
                n_entries: n as u64,
                reported_head: reported as u64,
                last_seen_ms: seen,
            });
        }
        Ok(out)
    }
}
