//! The PostgreSQL [`Ledger`]: the same operations with the same meaning as
//! [`crate::sqlite::SqliteLedger`], for a cloud served by several stateless servers.
//!
//! One connection per ledger (the blocking `postgres` client, no TLS yet: run it on a
//! trusted network or through a local proxy). A lost connection is opened again at the
//! next call. Migrations are recorded in `cloud_migrations` and applied under an advisory
//! lock, so servers starting together migrate once. The journal is hash-partitioned by
//! node (16 partitions), and entries go in with one binary `COPY` per batch.
//!
//! Same behaviour as SQLite, detail by detail: identifiers compare and sort bytewise
//! (`COLLATE "C"`, as SQLite's `BINARY`); the journal refuses `UPDATE`, `DELETE` and
//! `TRUNCATE` with a trigger; [`Ledger::append`] moves the node's held prefix with a
//! conditional `UPDATE` first, so of two servers ingesting the same batch one waits on
//! the node's row, finds the prefix moved, and stores nothing.

pub mod temp_cluster;

use std::cell::{RefCell, RefMut};
use std::ops::{Range, RangeInclusive};

use ::postgres::binary_copy::BinaryCopyInWriter;
use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::types::Type;
use ::postgres::{Client, Config, NoTls, Statement};
use ed25519_dalek::VerifyingKey;
use opentill_sync::journal::{Entry, GENESIS_HASH};
use opentill_sync::protocol::NodeLedger;
use tracing::{info, warn};

pub use temp_cluster::TempCluster;

use crate::closing::PeriodKind;
use crate::ledger::{Alert, EnrolOutcome, Folds, Ledger, LedgerError, NodeProgress, NodeRecord, NodeSummary, Quarantined, StoreInfo, StorePath, StoreTotals, StoredClosing, TotalsDelta, TransferRow};

/// The cloud schema's migrations for PostgreSQL (numbered on their own, from 1).
///
/// **Architecture Invariant:** migrations only ever append; a released one is never edited.
pub const MIGRATIONS: &[&str] = &[
    // 1: the schema of SQLite's migrations 1 to 3: tenants → brands → stores, nodes,
    // enrolment codes, the journal set (hash-partitioned by node), totals, quarantine,
    // alerts, revoked passes.
    r#"
    CREATE TABLE tenants (
        tenant_ref BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL UNIQUE
    );
    CREATE TABLE brands (
        brand_ref BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_ref BIGINT NOT NULL REFERENCES tenants(tenant_ref),
        name TEXT COLLATE "C" NOT NULL,
        UNIQUE (tenant_ref, name)
    );
    CREATE TABLE stores (
        store_ref BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        brand_ref BIGINT NOT NULL REFERENCES brands(brand_ref),
        store_id TEXT COLLATE "C" NOT NULL UNIQUE
    );
    CREATE TABLE nodes (
        node_ref BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        store_ref BIGINT NOT NULL REFERENCES stores(store_ref),
        node_id TEXT COLLATE "C" NOT NULL,
        public_key BYTEA NOT NULL,
        enrolled_ms BIGINT NOT NULL,
        acked_seq BIGINT NOT NULL DEFAULT 0,
        head_hash BYTEA NOT NULL,
        reported_head BIGINT NOT NULL DEFAULT 0,
        last_seen_ms BIGINT,
        UNIQUE (store_ref, node_id)
    );
    CREATE TABLE enrol_codes (
        code_hash BYTEA PRIMARY KEY,
        store_ref BIGINT NOT NULL REFERENCES stores(store_ref),
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL,
        used_ms BIGINT,
        used_by BIGINT REFERENCES nodes(node_ref)
    );
    -- The grow-only set of journal entries, keyed by (node, seq). A batch is one node's,
    -- so each ingest writes to one partition.
    CREATE TABLE journal (
        node_ref BIGINT NOT NULL REFERENCES nodes(node_ref),
        seq BIGINT NOT NULL,
        ts_ms BIGINT NOT NULL,
        kind TEXT NOT NULL,
        body BYTEA NOT NULL,
        prev_hash BYTEA NOT NULL,
        hash BYTEA NOT NULL,
        signature BYTEA NOT NULL,
        received_ms BIGINT NOT NULL,
        PRIMARY KEY (node_ref, seq)
    ) PARTITION BY HASH (node_ref);
    CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the journal is append-only'; END $$;
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal FOR EACH ROW EXECUTE FUNCTION journal_append_only();
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal FOR EACH ROW EXECUTE FUNCTION journal_append_only();
    CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();
    -- Row triggers reach the partitions by themselves; TRUNCATE triggers do not.
    DO $$ BEGIN
        FOR i IN 0..15 LOOP
            EXECUTE format('CREATE TABLE journal_p%s PARTITION OF journal FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
            EXECUTE format('CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal_p%s FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only()', i);
        END LOOP;
    END $$;
    CREATE TABLE store_totals (
        store_ref BIGINT PRIMARY KEY REFERENCES stores(store_ref),
        n_entries BIGINT NOT NULL DEFAULT 0,
        n_sales BIGINT NOT NULL DEFAULT 0,
        sales_minor BIGINT NOT NULL DEFAULT 0,
        n_refunds BIGINT NOT NULL DEFAULT 0,
        refunds_minor BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE quarantine (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_ms BIGINT NOT NULL,
        store_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        first_seq BIGINT,
        last_seq BIGINT,
        message BYTEA NOT NULL
    );
    CREATE TABLE alerts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        raised_ms BIGINT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning')),
        store_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        message TEXT NOT NULL
    );
    CREATE TABLE revoked_passes (
        store_ref BIGINT NOT NULL REFERENCES stores(store_ref),
        pass_id TEXT COLLATE "C" NOT NULL,
        revoked_ms BIGINT NOT NULL,
        PRIMARY KEY (store_ref, pass_id)
    );
    CREATE INDEX revoked_passes_time ON revoked_passes(store_ref, revoked_ms);
    "#,
    // 2: SQLite's migration 4: shared documents per tenant and each node's sync state.
    r#"
    CREATE TABLE documents (
        tenant_ref BIGINT NOT NULL REFERENCES tenants(tenant_ref),
        name TEXT COLLATE "C" NOT NULL,
        snapshot BYTEA NOT NULL,
        version BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        PRIMARY KEY (tenant_ref, name)
    );
    CREATE TABLE document_peers (
        node_ref BIGINT NOT NULL REFERENCES nodes(node_ref),
        name TEXT COLLATE "C" NOT NULL,
        state BYTEA NOT NULL,
        synced_ms BIGINT NOT NULL,
        PRIMARY KEY (node_ref, name)
    );
    "#,
    // 3: SQLite's migration 5: period closings (one append-only chain per store and kind),
    // each store's UTC offset, the public half of the cloud's closing key, and the
    // journal by time for the closings' folds.
    r#"
    ALTER TABLE stores ADD COLUMN utc_offset_min INTEGER NOT NULL DEFAULT 480;
    CREATE INDEX journal_time ON journal (node_ref, ts_ms);
    CREATE TABLE closings (
        store_ref BIGINT NOT NULL REFERENCES stores(store_ref),
        kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('day', 'month', 'year')),
        chain_seq BIGINT NOT NULL CHECK (chain_seq >= 1),
        period TEXT COLLATE "C" NOT NULL,
        closed_ms BIGINT NOT NULL,
        prev_hash BYTEA NOT NULL,
        hash BYTEA NOT NULL,
        signature BYTEA NOT NULL,
        body BYTEA NOT NULL,
        PRIMARY KEY (store_ref, kind, chain_seq),
        UNIQUE (store_ref, kind, period)
    );
    CREATE FUNCTION closings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'closings are append-only'; END $$;
    CREATE TRIGGER closings_no_update BEFORE UPDATE ON closings FOR EACH ROW EXECUTE FUNCTION closings_append_only();
    CREATE TRIGGER closings_no_delete BEFORE DELETE ON closings FOR EACH ROW EXECUTE FUNCTION closings_append_only();
    CREATE TRIGGER closings_no_truncate BEFORE TRUNCATE ON closings FOR EACH STATEMENT EXECUTE FUNCTION closings_append_only();
    CREATE TABLE cloud_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        public_key BYTEA NOT NULL,
        recorded_ms BIGINT NOT NULL
    );
    "#,
    // 4: SQLite's migration 6: each store's stored-value movements per account (backfilled
    // from the entries already held, see `ACCOUNTS_BACKFILL`) and its offline allowance.
    r#"
    ALTER TABLE stores ADD COLUMN offline_allowance_minor BIGINT NOT NULL DEFAULT 50000 CHECK (offline_allowance_minor >= 0);
    CREATE TABLE account_balances (
        store_ref BIGINT NOT NULL REFERENCES stores(store_ref),
        account TEXT COLLATE "C" NOT NULL,
        balance BIGINT NOT NULL,
        PRIMARY KEY (store_ref, account)
    );
    CREATE INDEX account_balances_account ON account_balances (account);
    "#,
    // 5: SQLite's migration 7: the partial index that finds transfer steps.
    r#"
    CREATE INDEX journal_transfers ON journal (node_ref, seq) WHERE kind = 'transfer';
    "#,
    // 6: SQLite's migration 8: O2O orders and the partial index that finds their steps.
    r#"
    CREATE TABLE o2o_orders (
        store_ref BIGINT NOT NULL REFERENCES stores(store_ref),
        order_id TEXT COLLATE "C" NOT NULL,
        placed_ms BIGINT NOT NULL,
        body BYTEA NOT NULL,
        cancel_reason TEXT,
        cancelled_ms BIGINT,
        PRIMARY KEY (store_ref, order_id)
    );
    CREATE INDEX journal_o2o ON journal (node_ref, seq) WHERE kind = 'o2o';
    "#,
    // 7: SQLite's migration 9: coupon uses per store (backfilled, see `COUPONS_BACKFILL`).
    r#"
    CREATE TABLE coupon_uses (
        store_ref BIGINT NOT NULL REFERENCES stores(store_ref),
        coupon_id TEXT COLLATE "C" NOT NULL,
        uses BIGINT NOT NULL,
        PRIMARY KEY (store_ref, coupon_id)
    );
    CREATE INDEX coupon_uses_coupon ON coupon_uses (coupon_id);
    "#,
    // 8: SQLite's migration 10: members' spend and points per store and member id
    // (backfilled from the entries held, with ingest's fold).
    r#"
    CREATE TABLE member_points (
        store_ref BIGINT NOT NULL REFERENCES stores(store_ref),
        member_id TEXT COLLATE "C" NOT NULL,
        spend BIGINT NOT NULL,
        points BIGINT NOT NULL,
        PRIMARY KEY (store_ref, member_id)
    );
    CREATE INDEX member_points_member ON member_points (member_id);
    "#,
];

/// Folds the members' spend and points of the entries already held into `member_points`
/// (run once, right after migration 8), node by node, with the fold ingest uses.
fn backfill_member_points(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let rows = tx.query("SELECT node_ref, seq, ts_ms, kind, body FROM journal WHERE kind IN ('sale', 'refund', 'member_registered', 'points_redeemed') ORDER BY node_ref, seq", &[])?;
    let mut by_node: std::collections::BTreeMap<i64, Vec<Entry>> = std::collections::BTreeMap::new();
    for r in &rows {
        let entry = Entry { seq: r.get::<_, i64>(1) as u64, node_id: String::new(), ts_ms: r.get(2), kind: r.get(3), body: r.get(4), prev_hash: [0; 32], hash: [0; 32], signature: [0; 64] };
        by_node.entry(r.get(0)).or_default().push(entry);
    }
    for (node_ref, entries) in &by_node {
        for (member, spend, points) in crate::ingest::members_of(entries) {
            tx.execute(
                "INSERT INTO member_points (store_ref, member_id, spend, points) SELECT store_ref, $2, $3, $4 FROM nodes WHERE node_ref = $1
                 ON CONFLICT (store_ref, member_id) DO UPDATE SET spend = member_points.spend + excluded.spend, points = member_points.points + excluded.points",
                &[node_ref, &member, &spend, &points],
            )?;
        }
    }
    Ok(())
}

/// Folds the coupon uses of the sales already held into `coupon_uses` (run once, right
/// after migration 7).
pub const COUPONS_BACKFILL: &str = r#"
    INSERT INTO coupon_uses (store_ref, coupon_id, uses)
    SELECT n.store_ref, o.value->>'id', COUNT(*)
    FROM journal j JOIN nodes n ON n.node_ref = j.node_ref
    CROSS JOIN LATERAL jsonb_array_elements(COALESCE(convert_from(j.body, 'UTF8')::jsonb->'offers', '[]'::jsonb)) AS o(value)
    WHERE j.kind = 'sale' AND o.value->>'kind' = 'coupon'
    GROUP BY n.store_ref, o.value->>'id'
"#;

/// Folds the stored-value movements of the entries already held into `account_balances`
/// (run once, right after migration 4).
pub const ACCOUNTS_BACKFILL: &str = r#"
    INSERT INTO account_balances (store_ref, account, balance)
    SELECT n.store_ref, m.account, SUM(m.delta) FROM (
        SELECT j.node_ref AS node_ref, t.value->>'reference' AS account,
               (CASE j.kind WHEN 'sale' THEN -1 ELSE 1 END) * (t.value->>'amount')::bigint AS delta
        FROM journal j CROSS JOIN LATERAL jsonb_array_elements(convert_from(j.body, 'UTF8')::jsonb->'tenders') AS t(value)
        WHERE j.kind IN ('sale', 'refund') AND t.value->>'kind' = 'StoredValue' AND t.value->>'reference' IS NOT NULL
        UNION ALL
        SELECT j.node_ref, convert_from(j.body, 'UTF8')::jsonb->>'account', (convert_from(j.body, 'UTF8')::jsonb->>'amount')::bigint
        FROM journal j WHERE j.kind = 'stored_value_topped_up'
    ) m JOIN nodes n ON n.node_ref = m.node_ref
    WHERE m.account IS NOT NULL
    GROUP BY n.store_ref, m.account
"#;

/// Key of the advisory lock taken while migrating.
const MIGRATION_LOCK: i64 = i64::from_be_bytes(*b"\0otcloud");

/// The journal's columns, in `COPY` order, and their types.
const COPY_JOURNAL: &str = "COPY journal (node_ref, seq, ts_ms, kind, body, prev_hash, hash, signature, received_ms) FROM STDIN (FORMAT binary)";
const JOURNAL_TYPES: [Type; 9] = [Type::INT8, Type::INT8, Type::INT8, Type::TEXT, Type::BYTEA, Type::BYTEA, Type::BYTEA, Type::BYTEA, Type::INT8];

/// Statements on the ingest path, prepared once per connection.
struct Prepared {
    node: Statement,
    move_head: Statement,
    add_totals: Statement,
    record_hello: Statement,
}

struct Connection {
    client: Client,
    prepared: Prepared,
}

impl Connection {
    fn open(config: &Config) -> Result<Connection> {
        Connection::prepare(config.connect(NoTls)?)
    }

    fn prepare(mut client: Client) -> Result<Connection> {
        let prepared = Prepared {
            node: client.prepare("SELECT n.node_ref, n.public_key, n.acked_seq, n.head_hash FROM nodes n JOIN stores s USING (store_ref) WHERE s.store_id = $1 AND n.node_id = $2")?,
            move_head: client.prepare("UPDATE nodes SET acked_seq = $1, head_hash = $2 WHERE node_ref = $3 AND acked_seq = $4 AND head_hash = $5")?,
            add_totals: client.prepare(
                "UPDATE store_totals SET n_entries = n_entries + $2, n_sales = n_sales + $3, sales_minor = sales_minor + $4, n_refunds = n_refunds + $5, refunds_minor = refunds_minor + $6
                 WHERE store_ref = (SELECT store_ref FROM nodes WHERE node_ref = $1)",
            )?,
            record_hello: client.prepare("UPDATE nodes SET reported_head = GREATEST(reported_head, $2), last_seen_ms = $3 WHERE node_ref = $1")?,
        };
        Ok(Connection { client, prepared })
    }
}

/// A [`Ledger`] in a PostgreSQL database.
pub struct PostgresLedger {
    config: Config,
    /// `None` only after a failed reconnection, and while dropping.
    conn: RefCell<Option<Connection>>,
}

impl Drop for PostgresLedger {
    fn drop(&mut self) {
        // Closing a client blocks on its own small runtime, which tokio forbids on a thread
        // that drives async tasks; a server's ledger is dropped on one when the server
        // stops. There, the connection is closed on a thread of its own; elsewhere, here.
        if let Some(conn) = self.conn.get_mut().take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            std::thread::spawn(move || drop(conn));
        }
    }
}

impl std::fmt::Debug for PostgresLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresLedger").field("hosts", &self.config.get_hosts()).field("dbname", &self.config.get_dbname()).finish_non_exhaustive()
    }
}

type Result<T> = std::result::Result<T, LedgerError>;

/// What a `postgres::Error` says, with the server's message when there is one (its own
/// `Display` is only "db error").
pub fn describe(e: &::postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {} ({})", db.severity(), db.message(), db.code().code());
    }
    match std::error::Error::source(e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    }
}

fn hash32(v: Vec<u8>, what: &str) -> Result<[u8; 32]> {
    v.try_into().map_err(|_| LedgerError::Corrupt(format!("{what} is not 32 bytes")))
}

/// Seqs are `u64` in the protocol and `BIGINT` here; they never pass `i64::MAX`.
fn seq_param(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

const CLOSING_COLUMNS: &str = "s.store_id, c.kind, c.period, c.chain_seq, c.closed_ms, c.prev_hash, c.hash, c.signature, c.body";

fn stored_closing(r: &::postgres::Row) -> Result<StoredClosing> {
    let kind: String = r.get(1);
    let signature: Vec<u8> = r.get(7);
    Ok(StoredClosing {
        store_id: r.get(0),
        kind: PeriodKind::parse(&kind).ok_or_else(|| LedgerError::Corrupt(format!("closing kind {kind:?}")))?,
        period: r.get(2),
        chain_seq: r.get::<_, i64>(3) as u64,
        closed_ms: r.get(4),
        prev_hash: hash32(r.get(5), "closing prev_hash")?,
        hash: hash32(r.get(6), "closing hash")?,
        signature: signature.try_into().map_err(|_| LedgerError::Corrupt("closing signature is not 64 bytes".into()))?,
        body: r.get(8),
    })
}

impl PostgresLedger {
    fn store_ref(&self, store_id: &str) -> Result<i64> {
        let row = self.conn()?.client.query_opt("SELECT store_ref FROM stores WHERE store_id = $1", &[&store_id])?;
        row.map(|r| r.get(0)).ok_or_else(|| LedgerError::UnknownStore(store_id.to_string()))
    }

    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, or the
    /// key=value form) and runs pending migrations.
    pub fn connect(url: &str) -> Result<PostgresLedger> {
        let config: Config = url.parse()?;
        PostgresLedger::with_config(config)
    }

    /// Connects with a parsed configuration and runs pending migrations.
    pub fn with_config(config: Config) -> Result<PostgresLedger> {
        let mut client = config.connect(NoTls)?;
        migrate(&mut client)?;
        let conn = Connection::prepare(client)?;
        Ok(PostgresLedger { config, conn: RefCell::new(Some(conn)) })
    }

    /// The connection, opened again first if it was lost (a server restart, a network cut).
    fn conn(&self) -> Result<RefMut<'_, Connection>> {
        let mut slot = self.conn.borrow_mut();
        if slot.as_ref().is_none_or(|c| c.client.is_closed()) {
            warn!("the PostgreSQL connection was lost; connecting again");
            *slot = None;
            *slot = Some(Connection::open(&self.config)?);
        }
        Ok(RefMut::map(slot, |c| c.as_mut().expect("opened above")))
    }
}

/// Applies pending migrations in one transaction, under an advisory lock.
fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS cloud_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)")?;
    let version: i64 = tx.query_one("SELECT coalesce(max(version), 0) FROM cloud_migrations", &[])?.get(0);
    let version = version as usize;
    if version > MIGRATIONS.len() {
        return Err(LedgerError::SchemaTooNew { found: version, supported: MIGRATIONS.len() });
    }
    for (idx, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.batch_execute(sql)?;
        if *sql == MIGRATIONS[3] {
            tx.batch_execute(ACCOUNTS_BACKFILL)?;
        }
        if *sql == MIGRATIONS[6] {
            tx.batch_execute(COUPONS_BACKFILL)?;
        }
        if *sql == MIGRATIONS[7] {
            backfill_member_points(&mut tx)?;
        }
        tx.execute("INSERT INTO cloud_migrations (version, applied_ms) VALUES ($1, $2)", &[&((idx + 1) as i64), &crate::now_ms()])?;
        info!(version = idx + 1, "migrated cloud schema (PostgreSQL)");
    }
    tx.commit()?;
    Ok(())
}

impl Ledger for PostgresLedger {
    fn add_enrol_code(&mut self, path: &StorePath, code_hash: [u8; 32], now_ms: i64, expires_ms: i64) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        tx.execute("INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", &[&path.tenant])?;
        let tenant_ref: i64 = tx.query_one("SELECT tenant_ref FROM tenants WHERE name = $1", &[&path.tenant])?.get(0);
        tx.execute("INSERT INTO brands (tenant_ref, name) VALUES ($1, $2) ON CONFLICT (tenant_ref, name) DO NOTHING", &[&tenant_ref, &path.brand])?;
        let brand_ref: i64 = tx.query_one("SELECT brand_ref FROM brands WHERE tenant_ref = $1 AND name = $2", &[&tenant_ref, &path.brand])?.get(0);
        tx.execute("INSERT INTO stores (brand_ref, store_id) VALUES ($1, $2) ON CONFLICT (store_id) DO NOTHING", &[&brand_ref, &path.store_id])?;
        let store_ref: i64 = tx.query_one("SELECT store_ref FROM stores WHERE store_id = $1", &[&path.store_id])?.get(0);
        tx.execute("INSERT INTO store_totals (store_ref) VALUES ($1) ON CONFLICT (store_ref) DO NOTHING", &[&store_ref])?;
        tx.execute("INSERT INTO enrol_codes (code_hash, store_ref, created_ms, expires_ms) VALUES ($1, $2, $3, $4)", &[&code_hash.as_slice(), &store_ref, &now_ms, &expires_ms])?;
        tx.commit()?;
        Ok(())
    }

    fn enrol(&mut self, code_hash: [u8; 32], store_id: &str, node_id: &str, public_key: [u8; 32], now_ms: i64) -> Result<EnrolOutcome> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        // The code's row is locked, so two enrolments with one code take turns.
        let code = tx.query_opt(
            "SELECT c.store_ref, s.store_id, c.expires_ms, c.used_by FROM enrol_codes c JOIN stores s USING (store_ref) WHERE c.code_hash = $1 FOR UPDATE OF c",
            &[&code_hash.as_slice()],
        )?;
        let Some(code) = code else { return Ok(EnrolOutcome::UnknownCode) };
        let (store_ref, code_store, expires_ms, used_by): (i64, String, i64, Option<i64>) = (code.get(0), code.get(1), code.get(2), code.get(3));
        if code_store != store_id {
            return Ok(EnrolOutcome::WrongStore { code_store });
        }
        let existing: Option<(i64, Vec<u8>)> =
            tx.query_opt("SELECT node_ref, public_key FROM nodes WHERE store_ref = $1 AND node_id = $2", &[&store_ref, &node_id])?.map(|r| (r.get(0), r.get(1)));
        match (used_by, &existing) {
            // A retry of an enrolment whose reply was lost.
            (Some(user), Some((node_ref, key))) if user == *node_ref && key.as_slice() == public_key.as_slice() => {}
            (Some(_), _) => return Ok(EnrolOutcome::CodeUsed),
            (None, Some(_)) => return Ok(EnrolOutcome::NodeExists),
            (None, None) => {
                if now_ms > expires_ms {
                    return Ok(EnrolOutcome::Expired);
                }
                // Another code may be enrolling the same node right now: whoever comes
                // second finds it there.
                let inserted = tx.query_opt(
                    "INSERT INTO nodes (store_ref, node_id, public_key, enrolled_ms, head_hash) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (store_ref, node_id) DO NOTHING RETURNING node_ref",
                    &[&store_ref, &node_id, &public_key.as_slice(), &now_ms, &GENESIS_HASH.as_slice()],
                )?;
                let Some(inserted) = inserted else { return Ok(EnrolOutcome::NodeExists) };
                let node_ref: i64 = inserted.get(0);
                tx.execute("UPDATE enrol_codes SET used_ms = $1, used_by = $2 WHERE code_hash = $3", &[&now_ms, &node_ref, &code_hash.as_slice()])?;
            }
        }
        let row = tx.query_one(
            "SELECT t.name, b.name, s.store_id FROM stores s JOIN brands b USING (brand_ref) JOIN tenants t USING (tenant_ref) WHERE s.store_ref = $1",
            &[&store_ref],
        )?;
        let path = StorePath { tenant: row.get(0), brand: row.get(1), store_id: row.get(2) };
        tx.commit()?;
        Ok(EnrolOutcome::Enrolled(path))
    }

    fn store_path(&self, store_id: &str) -> Result<Option<StorePath>> {
        let mut conn = self.conn()?;
        let row = conn.client.query_opt(
            "SELECT t.name, b.name FROM stores s JOIN brands b USING (brand_ref) JOIN tenants t USING (tenant_ref) WHERE s.store_id = $1",
            &[&store_id],
        )?;
        Ok(row.map(|r| StorePath { tenant: r.get(0), brand: r.get(1), store_id: store_id.to_string() }))
    }

    fn document(&self, tenant: &str, name: &str) -> Result<Option<(Vec<u8>, i64)>> {
        let mut conn = self.conn()?;
        let row = conn.client.query_opt("SELECT d.snapshot, d.version FROM documents d JOIN tenants t USING (tenant_ref) WHERE t.name = $1 AND d.name = $2", &[&tenant, &name])?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    fn put_document(&mut self, tenant: &str, name: &str, bytes: &[u8], version: i64, now_ms: i64) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        tx.execute("INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", &[&tenant])?;
        let tenant_ref: i64 = tx.query_one("SELECT tenant_ref FROM tenants WHERE name = $1", &[&tenant])?.get(0);
        let written = if version == 0 {
            tx.execute("INSERT INTO documents (tenant_ref, name, snapshot, version, updated_ms) VALUES ($1, $2, $3, 1, $4) ON CONFLICT DO NOTHING", &[&tenant_ref, &name, &bytes, &now_ms])?
        } else {
            tx.execute(
                "UPDATE documents SET snapshot = $3, version = version + 1, updated_ms = $5 WHERE tenant_ref = $1 AND name = $2 AND version = $4",
                &[&tenant_ref, &name, &bytes, &version, &now_ms],
            )?
        };
        tx.commit()?;
        Ok(written == 1)
    }

    fn document_peer(&self, node_ref: i64, name: &str) -> Result<Option<Vec<u8>>> {
        let mut conn = self.conn()?;
        Ok(conn.client.query_opt("SELECT state FROM document_peers WHERE node_ref = $1 AND name = $2", &[&node_ref, &name])?.map(|r| r.get(0)))
    }

    fn put_document_peer(&mut self, node_ref: i64, name: &str, state: &[u8], now_ms: i64) -> Result<()> {
        let mut conn = self.conn()?;
        conn.client.execute(
            "INSERT INTO document_peers (node_ref, name, state, synced_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (node_ref, name) DO UPDATE SET state = excluded.state, synced_ms = excluded.synced_ms",
            &[&node_ref, &name, &state, &now_ms],
        )?;
        Ok(())
    }

    fn revoke_pass(&mut self, store_id: &str, pass_id: &str, now_ms: i64) -> Result<bool> {
        let mut conn = self.conn()?;
        let store_ref: Option<i64> = conn.client.query_opt("SELECT store_ref FROM stores WHERE store_id = $1", &[&store_id])?.map(|r| r.get(0));
        let Some(store_ref) = store_ref else { return Err(LedgerError::UnknownStore(store_id.to_string())) };
        let n = conn.client.execute("INSERT INTO revoked_passes (store_ref, pass_id, revoked_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&store_ref, &pass_id, &now_ms])?;
        Ok(n == 1)
    }

    fn revoked_passes(&self, store_id: &str, since_ms: i64) -> Result<Vec<(String, i64)>> {
        let mut conn = self.conn()?;
        let rows = conn.client.query(
            "SELECT r.pass_id, r.revoked_ms FROM revoked_passes r JOIN stores s USING (store_ref) WHERE s.store_id = $1 AND r.revoked_ms >= $2 ORDER BY r.revoked_ms, r.pass_id",
            &[&store_id, &since_ms],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn node(&self, store_id: &str, node_id: &str) -> Result<Option<NodeRecord>> {
        let mut conn = self.conn()?;
        let Connection { client, prepared } = &mut *conn;
        let Some(row) = client.query_opt(&prepared.node, &[&store_id, &node_id])? else { return Ok(None) };
        let (node_ref, key, acked_seq, head_hash): (i64, Vec<u8>, i64, Vec<u8>) = (row.get(0), row.get(1), row.get(2), row.get(3));
        let key = VerifyingKey::from_bytes(&hash32(key, "public key")?).map_err(|_| LedgerError::Corrupt(format!("node {store_id}/{node_id} has an invalid key")))?;
        let mut ledger = NodeLedger::new(store_id, node_id, key);
        ledger.acked_seq = acked_seq as u64;
        ledger.head_hash = hash32(head_hash, "head hash")?;
        Ok(Some(NodeRecord { node_ref, ledger }))
    }

    fn append(&mut self, node: &NodeRecord, entries: &[Entry], head: (u64, [u8; 32]), totals: TotalsDelta, folds: &Folds, now_ms: i64) -> Result<bool> {
        let (accounts, coupons) = (&folds.accounts, &folds.coupons);
        let mut conn = self.conn()?;
        let Connection { client, prepared } = &mut *conn;
        let mut tx = client.transaction()?;
        // First, so that a concurrent append for this node waits here on the row lock and
        // then finds the prefix moved.
        let moved = tx.execute(&prepared.move_head, &[&(head.0 as i64), &head.1.as_slice(), &node.node_ref, &(node.ledger.acked_seq as i64), &node.ledger.head_hash.as_slice()])?;
        if moved != 1 {
            tx.rollback()?;
            return Ok(false);
        }
        let mut writer = BinaryCopyInWriter::new(tx.copy_in(COPY_JOURNAL)?, &JOURNAL_TYPES);
        for e in entries {
            writer.write(&[&node.node_ref, &(e.seq as i64), &e.ts_ms, &e.kind, &e.body, &e.prev_hash.as_slice(), &e.hash.as_slice(), &e.signature.as_slice(), &now_ms])?;
        }
        writer.finish()?;
        tx.execute(&prepared.add_totals, &[&node.node_ref, &totals.n_entries, &totals.n_sales, &totals.sales_minor, &totals.n_refunds, &totals.refunds_minor])?;
        if !accounts.is_empty() {
            let names: Vec<&str> = accounts.iter().map(|(a, _)| a.as_str()).collect();
            let deltas: Vec<i64> = accounts.iter().map(|(_, d)| *d).collect();
            tx.execute(
                "INSERT INTO account_balances (store_ref, account, balance)
                 SELECT (SELECT store_ref FROM nodes WHERE node_ref = $1), a, SUM(d) FROM unnest($2::text[], $3::bigint[]) AS m(a, d) GROUP BY a
                 ON CONFLICT (store_ref, account) DO UPDATE SET balance = account_balances.balance + excluded.balance",
                &[&node.node_ref, &names, &deltas],
            )?;
        }
        if !coupons.is_empty() {
            let ids: Vec<&str> = coupons.iter().map(|(c, _)| c.as_str()).collect();
            let uses: Vec<i64> = coupons.iter().map(|(_, n)| *n).collect();
            tx.execute(
                "INSERT INTO coupon_uses (store_ref, coupon_id, uses)
                 SELECT (SELECT store_ref FROM nodes WHERE node_ref = $1), c, SUM(n) FROM unnest($2::text[], $3::bigint[]) AS m(c, n) GROUP BY c
                 ON CONFLICT (store_ref, coupon_id) DO UPDATE SET uses = coupon_uses.uses + excluded.uses",
                &[&node.node_ref, &ids, &uses],
            )?;
        }
        if !folds.members.is_empty() {
            let ids: Vec<&str> = folds.members.iter().map(|(m, _, _)| m.as_str()).collect();
            let spends: Vec<i64> = folds.members.iter().map(|(_, s, _)| *s).collect();
            let points: Vec<i64> = folds.members.iter().map(|(_, _, p)| *p).collect();
            tx.execute(
                "INSERT INTO member_points (store_ref, member_id, spend, points)
                 SELECT (SELECT store_ref FROM nodes WHERE node_ref = $1), m, SUM(s), SUM(p) FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS x(m, s, p) GROUP BY m
                 ON CONFLICT (store_ref, member_id) DO UPDATE SET spend = member_points.spend + excluded.spend, points = member_points.points + excluded.points",
                &[&node.node_ref, &ids, &spends, &points],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    fn record_hello(&mut self, node_ref: i64, head_seq: u64, now_ms: i64) -> Result<()> {
        let mut conn = self.conn()?;
        let Connection { client, prepared } = &mut *conn;
        client.execute(&prepared.record_hello, &[&node_ref, &(head_seq as i64), &now_ms])?;
        Ok(())
    }

    fn quarantine(&mut self, store_id: &str, node_id: &str, reason: &str, seqs: Option<(u64, u64)>, message: &[u8], now_ms: i64) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        tx.execute(
            "INSERT INTO quarantine (received_ms, store_id, node_id, reason, first_seq, last_seq, message) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&now_ms, &store_id, &node_id, &reason, &seqs.map(|s| s.0 as i64), &seqs.map(|s| s.1 as i64), &message],
        )?;
        tx.execute(
            "INSERT INTO alerts (raised_ms, severity, store_id, node_id, message) VALUES ($1, 'critical', $2, $3, $4)",
            &[&now_ms, &store_id, &node_id, &format!("journal quarantined: {reason}")],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn alert(&mut self, severity: &str, store_id: &str, node_id: &str, message: &str, now_ms: i64) -> Result<()> {
        self.conn()?.client.execute("INSERT INTO alerts (raised_ms, severity, store_id, node_id, message) VALUES ($1, $2, $3, $4, $5)", &[&now_ms, &severity, &store_id, &node_id, &message])?;
        Ok(())
    }

    fn quarantined(&self) -> Result<Vec<Quarantined>> {
        let rows = self.conn()?.client.query("SELECT id, received_ms, store_id, node_id, reason, first_seq, last_seq, octet_length(message)::bigint FROM quarantine ORDER BY id", &[])?;
        Ok(rows
            .iter()
            .map(|r| {
                let first: Option<i64> = r.get(5);
                let last: Option<i64> = r.get(6);
                Quarantined {
                    id: r.get(0),
                    received_ms: r.get(1),
                    store_id: r.get(2),
                    node_id: r.get(3),
                    reason: r.get(4),
                    seqs: first.zip(last).map(|(a, b)| (a as u64, b as u64)),
                    n_bytes: r.get::<_, i64>(7) as usize,
                }
            })
            .collect())
    }

    fn alerts(&self) -> Result<Vec<Alert>> {
        let rows = self.conn()?.client.query("SELECT id, raised_ms, severity, store_id, node_id, message FROM alerts ORDER BY id", &[])?;
        Ok(rows.iter().map(|r| Alert { id: r.get(0), raised_ms: r.get(1), severity: r.get(2), store_id: r.get(3), node_id: r.get(4), message: r.get(5) }).collect())
    }

    fn totals(&self) -> Result<Vec<StoreTotals>> {
        let rows = self.conn()?.client.query(
            "SELECT t.name, b.name, s.store_id, x.n_entries, x.n_sales, x.sales_minor, x.n_refunds, x.refunds_minor
             FROM store_totals x JOIN stores s USING (store_ref) JOIN brands b USING (brand_ref) JOIN tenants t USING (tenant_ref)
             ORDER BY t.name, b.name, s.store_id",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoreTotals {
                path: StorePath { tenant: r.get(0), brand: r.get(1), store_id: r.get(2) },
                totals: TotalsDelta { n_entries: r.get(3), n_sales: r.get(4), sales_minor: r.get(5), n_refunds: r.get(6), refunds_minor: r.get(7) },
            })
            .collect())
    }

    fn stores(&self) -> Result<Vec<StoreInfo>> {
        let rows = self.conn()?.client.query(
            "SELECT t.name, b.name, s.store_id, s.utc_offset_min FROM stores s JOIN brands b USING (brand_ref) JOIN tenants t USING (tenant_ref) ORDER BY t.name, b.name, s.store_id",
            &[],
        )?;
        Ok(rows.iter().map(|r| StoreInfo { path: StorePath { tenant: r.get(0), brand: r.get(1), store_id: r.get(2) }, utc_offset_min: r.get(3) }).collect())
    }

    fn set_utc_offset(&mut self, store_id: &str, utc_offset_min: i32) -> Result<bool> {
        let store_ref = self.store_ref(store_id)?;
        let n = self
            .conn()?
            .client
            .execute("UPDATE stores SET utc_offset_min = $2 WHERE store_ref = $1 AND NOT EXISTS (SELECT 1 FROM closings WHERE store_ref = $1)", &[&store_ref, &utc_offset_min])?;
        Ok(n == 1)
    }

    fn set_offline_allowance(&mut self, store_id: &str, allowance_minor: i64) -> Result<()> {
        let store_ref = self.store_ref(store_id)?;
        self.conn()?.client.execute("UPDATE stores SET offline_allowance_minor = $2 WHERE store_ref = $1", &[&store_ref, &allowance_minor])?;
        Ok(())
    }

    fn other_stores_balances(&self, store_id: &str) -> Result<(i64, Vec<(String, i64)>)> {
        let store_ref = self.store_ref(store_id)?;
        let mut conn = self.conn()?;
        let allowance: i64 = conn.client.query_one("SELECT offline_allowance_minor FROM stores WHERE store_ref = $1", &[&store_ref])?.get(0);
        let rows = conn.client.query(
            "SELECT ab.account, SUM(ab.balance)::bigint FROM account_balances ab
             JOIN stores s ON s.store_ref = ab.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
             WHERE ab.store_ref <> $1 AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = $1)
             GROUP BY ab.account HAVING SUM(ab.balance) <> 0 ORDER BY ab.account",
            &[&store_ref],
        )?;
        Ok((allowance, rows.iter().map(|r| (r.get(0), r.get(1))).collect()))
    }

    fn transfer_entries(&self, store_id: &str) -> Result<(Vec<String>, Vec<TransferRow>)> {
        let store_ref = self.store_ref(store_id)?;
        let tenant = "(SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = $1)";
        let mut conn = self.conn()?;
        let stores = conn.client.query(&format!("SELECT s.store_id FROM stores s JOIN brands b ON b.brand_ref = s.brand_ref WHERE b.tenant_ref = {tenant} ORDER BY s.store_id"), &[&store_ref])?;
        let rows = conn.client.query(
            &format!(
                "SELECT s.store_id, n.node_id, j.seq, j.ts_ms, j.body FROM journal j
                 JOIN nodes n ON n.node_ref = j.node_ref JOIN stores s ON s.store_ref = n.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
                 WHERE j.kind = 'transfer' AND n.store_ref <> $1 AND b.tenant_ref = {tenant}
                   AND $2 IN (convert_from(j.body, 'UTF8')::jsonb->>'from_store', convert_from(j.body, 'UTF8')::jsonb->>'to_store')
                 ORDER BY s.store_id, n.node_id, j.seq"
            ),
            &[&store_ref, &store_id],
        )?;
        let rows = rows.iter().map(|r| TransferRow { store_id: r.get(0), node_id: r.get(1), seq: r.get::<_, i64>(2) as u64, ts_ms: r.get(3), body: r.get(4) }).collect();
        Ok((stores.iter().map(|r| r.get(0)).collect(), rows))
    }

    fn put_o2o_order(&mut self, store_id: &str, order_id: &str, body: &[u8], placed_ms: i64) -> Result<Vec<u8>> {
        let store_ref = self.store_ref(store_id)?;
        let mut conn = self.conn()?;
        conn.client.execute("INSERT INTO o2o_orders (store_ref, order_id, placed_ms, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", &[&store_ref, &order_id, &placed_ms, &body])?;
        Ok(conn.client.query_one("SELECT body FROM o2o_orders WHERE store_ref = $1 AND order_id = $2", &[&store_ref, &order_id])?.get(0))
    }

    fn cancel_o2o_order(&mut self, store_id: &str, order_id: &str, reason: &str, now_ms: i64) -> Result<Option<bool>> {
        let store_ref = self.store_ref(store_id)?;
        let mut conn = self.conn()?;
        let updated = conn.client.execute("UPDATE o2o_orders SET cancel_reason = $3, cancelled_ms = $4 WHERE store_ref = $1 AND order_id = $2 AND cancelled_ms IS NULL", &[&store_ref, &order_id, &reason, &now_ms])?;
        if updated > 0 {
            return Ok(Some(true));
        }
        Ok(conn.client.query_opt("SELECT 1 FROM o2o_orders WHERE store_ref = $1 AND order_id = $2", &[&store_ref, &order_id])?.map(|_| false))
    }

    fn o2o_orders(&self, store_id: &str, order_id: Option<&str>) -> Result<Vec<(Vec<u8>, Option<(String, i64)>)>> {
        let store_ref = self.store_ref(store_id)?;
        let rows = self.conn()?.client.query("SELECT body, cancel_reason, cancelled_ms FROM o2o_orders WHERE store_ref = $1 AND ($2::text IS NULL OR order_id = $2) ORDER BY placed_ms, order_id", &[&store_ref, &order_id])?;
        Ok(rows.iter().map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Option<String>>(1).zip(r.get::<_, Option<i64>>(2)))).collect())
    }

    fn o2o_steps(&self, store_id: &str, order_id: Option<&str>) -> Result<Vec<(String, u64, i64, Vec<u8>)>> {
        let store_ref = self.store_ref(store_id)?;
        let rows = self.conn()?.client.query(
            "SELECT n.node_id, j.seq, j.ts_ms, j.body FROM journal j JOIN nodes n ON n.node_ref = j.node_ref
             WHERE j.kind = 'o2o' AND n.store_ref = $1 AND ($2::text IS NULL OR convert_from(j.body, 'UTF8')::jsonb->>'order_id' = $2)
             ORDER BY n.node_id, j.seq",
            &[&store_ref, &order_id],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get::<_, i64>(1) as u64, r.get(2), r.get(3))).collect())
    }

    fn coupon_uses(&self, store_id: &str, coupon_id: &str) -> Result<Vec<(String, i64)>> {
        let store_ref = self.store_ref(store_id)?;
        let rows = self.conn()?.client.query(
            "SELECT s.store_id, cu.uses FROM coupon_uses cu
             JOIN stores s ON s.store_ref = cu.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
             WHERE cu.coupon_id = $2 AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = $1)
             ORDER BY s.store_id",
            &[&store_ref, &coupon_id],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn other_stores_members(&self, store_id: &str) -> Result<Vec<(String, i64, i64)>> {
        let store_ref = self.store_ref(store_id)?;
        let rows = self.conn()?.client.query(
            "SELECT mp.member_id, SUM(mp.spend)::bigint, SUM(mp.points)::bigint FROM member_points mp
             JOIN stores s ON s.store_ref = mp.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
             WHERE mp.store_ref <> $1 AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = $1)
             GROUP BY mp.member_id HAVING SUM(mp.spend) <> 0 OR SUM(mp.points) <> 0 ORDER BY mp.member_id",
            &[&store_ref],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }

    fn tenant_points(&self, store_id: &str, member_ids: &[String]) -> Result<i64> {
        let store_ref = self.store_ref(store_id)?;
        let ids: Vec<&str> = member_ids.iter().map(String::as_str).collect();
        Ok(self
            .conn()?
            .client
            .query_one(
                "SELECT COALESCE(SUM(mp.points), 0)::bigint FROM member_points mp
                 JOIN stores s ON s.store_ref = mp.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
                 WHERE mp.member_id = ANY($2::text[]) AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = $1)",
                &[&store_ref, &ids],
            )?
            .get(0))
    }

    fn tenant_balance(&self, store_id: &str, account: &str) -> Result<i64> {
        let store_ref = self.store_ref(store_id)?;
        Ok(self
            .conn()?
            .client
            .query_one(
                "SELECT COALESCE(SUM(ab.balance), 0)::bigint FROM account_balances ab
                 JOIN stores s ON s.store_ref = ab.store_ref JOIN brands b ON b.brand_ref = s.brand_ref
                 WHERE ab.account = $2 AND b.tenant_ref = (SELECT b2.tenant_ref FROM stores s2 JOIN brands b2 ON b2.brand_ref = s2.brand_ref WHERE s2.store_ref = $1)",
                &[&store_ref, &account],
            )?
            .get(0))
    }

    fn store_nodes(&self, store_id: &str) -> Result<Vec<NodeProgress>> {
        let store_ref = self.store_ref(store_id)?;
        let rows = self.conn()?.client.query(
            "SELECT n.node_id, n.acked_seq, n.reported_head, n.last_seen_ms, (SELECT j.ts_ms FROM journal j WHERE j.node_ref = n.node_ref AND j.seq = n.acked_seq)
             FROM nodes n WHERE n.store_ref = $1 ORDER BY n.node_id",
            &[&store_ref],
        )?;
        Ok(rows
            .iter()
            .map(|r| NodeProgress { node_id: r.get(0), acked_seq: r.get::<_, i64>(1) as u64, reported_head: r.get::<_, i64>(2) as u64, last_seen_ms: r.get(3), head_ts_ms: r.get(4) })
            .collect())
    }

    fn earliest_entry_ms(&self, store_id: &str) -> Result<Option<i64>> {
        let store_ref = self.store_ref(store_id)?;
        // One index probe per node (journal_time), rather than a scan of the store's entries.
        let row = self.conn()?.client.query_one("SELECT min((SELECT min(j.ts_ms) FROM journal j WHERE j.node_ref = n.node_ref)) FROM nodes n WHERE n.store_ref = $1", &[&store_ref])?;
        Ok(row.get(0))
    }

    fn read_entries(&self, store_id: &str, node_id: &str, seqs: RangeInclusive<u64>, ts: Range<i64>, each: &mut dyn FnMut(Entry) -> Result<()>) -> Result<()> {
        if seqs.is_empty() || ts.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn()?;
        let node_ref: Option<i64> = conn
            .client
            .query_opt("SELECT n.node_ref FROM nodes n JOIN stores s USING (store_ref) WHERE s.store_id = $1 AND n.node_id = $2", &[&store_id, &node_id])?
            .map(|r| r.get(0));
        let Some(node_ref) = node_ref else { return Ok(()) };
        let (first, last) = (seq_param(*seqs.start()), seq_param(*seqs.end()));
        let params: [&(dyn ::postgres::types::ToSql + Sync); 5] = [&node_ref, &first, &last, &ts.start, &ts.end];
        // Rows are handed on as they arrive, so a year's entries are never all in memory.
        let mut rows = conn.client.query_raw(
            "SELECT seq, ts_ms, kind, body, prev_hash, hash, signature FROM journal
             WHERE node_ref = $1 AND seq BETWEEN $2 AND $3 AND ts_ms >= $4 AND ts_ms < $5 ORDER BY seq",
            params,
        )?;
        while let Some(row) = rows.next()? {
            let signature: Vec<u8> = row.get(6);
            each(Entry {
                node_id: node_id.to_string(),
                seq: row.get::<_, i64>(0) as u64,
                ts_ms: row.get(1),
                kind: row.get(2),
                body: row.get(3),
                prev_hash: hash32(row.get(4), "prev_hash")?,
                hash: hash32(row.get(5), "hash")?,
                signature: signature.try_into().map_err(|_| LedgerError::Corrupt("entry signature is not 64 bytes".into()))?,
            })?;
        }
        Ok(())
    }

    fn append_closing(&mut self, closing: &StoredClosing) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        // The store's row is locked, so two servers closing for one store take turns (a
        // NO KEY lock: ingest and enrolment, which only reference the row, go on).
        let store_ref: Option<i64> = tx.query_opt("SELECT store_ref FROM stores WHERE store_id = $1 FOR NO KEY UPDATE", &[&closing.store_id])?.map(|r| r.get(0));
        let Some(store_ref) = store_ref else { return Err(LedgerError::UnknownStore(closing.store_id.clone())) };
        let kind = closing.kind.name();
        let head: Option<(i64, Vec<u8>)> =
            tx.query_opt("SELECT chain_seq, hash FROM closings WHERE store_ref = $1 AND kind = $2 ORDER BY chain_seq DESC LIMIT 1", &[&store_ref, &kind])?.map(|r| (r.get(0), r.get(1)));
        let follows = match head {
            None => closing.chain_seq == 1 && closing.prev_hash == GENESIS_HASH,
            Some((seq, hash)) => closing.chain_seq == seq as u64 + 1 && hash.as_slice() == closing.prev_hash.as_slice(),
        };
        let taken: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM closings WHERE store_ref = $1 AND kind = $2 AND period = $3)", &[&store_ref, &kind, &closing.period])?.get(0);
        if !follows || taken {
            tx.rollback()?;
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO closings (store_ref, kind, chain_seq, period, closed_ms, prev_hash, hash, signature, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &store_ref,
                &kind,
                &seq_param(closing.chain_seq),
                &closing.period,
                &closing.closed_ms,
                &closing.prev_hash.as_slice(),
                &closing.hash.as_slice(),
                &closing.signature.as_slice(),
                &closing.body,
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn closings(&self, store_id: Option<&str>, kind: Option<PeriodKind>) -> Result<Vec<StoredClosing>> {
        let kind = kind.map(PeriodKind::name);
        let rows = self.conn()?.client.query(
            &format!(
                "SELECT {CLOSING_COLUMNS} FROM closings c JOIN stores s USING (store_ref)
                 WHERE ($1::text IS NULL OR s.store_id = $1) AND ($2::text IS NULL OR c.kind = $2)
                 ORDER BY s.store_id, CASE c.kind WHEN 'day' THEN 0 WHEN 'month' THEN 1 ELSE 2 END, c.chain_seq"
            ),
            &[&store_id, &kind],
        )?;
        rows.iter().map(stored_closing).collect()
    }

    fn chain_ends(&self, store_id: &str, kind: PeriodKind) -> Result<Option<(StoredClosing, StoredClosing)>> {
        let store_ref = self.store_ref(store_id)?;
        let end = |order: &str| -> Result<Option<StoredClosing>> {
            let row = self.conn()?.client.query_opt(
                &format!("SELECT {CLOSING_COLUMNS} FROM closings c JOIN stores s USING (store_ref) WHERE c.store_ref = $1 AND c.kind = $2 ORDER BY c.chain_seq {order} LIMIT 1"),
                &[&store_ref, &kind.name()],
            )?;
            row.as_ref().map(stored_closing).transpose()
        };
        let first = end("ASC")?;
        let last = end("DESC")?;
        Ok(first.zip(last))
    }

    fn cloud_key(&self) -> Result<Option<[u8; 32]>> {
        let row = self.conn()?.client.query_opt("SELECT public_key FROM cloud_key WHERE id = 1", &[])?;
        row.map(|r| hash32(r.get(0), "cloud public key")).transpose()
    }

    fn record_cloud_key(&mut self, public_key: [u8; 32], now_ms: i64) -> Result<bool> {
        self.conn()?.client.execute("INSERT INTO cloud_key (id, public_key, recorded_ms) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING", &[&public_key.as_slice(), &now_ms])?;
        Ok(self.cloud_key()? == Some(public_key))
    }

    fn nodes(&self) -> Result<Vec<NodeSummary>> {
        let rows = self.conn()?.client.query(
            "SELECT s.store_id, n.node_id, n.acked_seq, n.head_hash, (SELECT count(*) FROM journal j WHERE j.node_ref = n.node_ref), n.reported_head, n.last_seen_ms
             FROM nodes n JOIN stores s USING (store_ref) ORDER BY s.store_id, n.node_id",
            &[],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(NodeSummary {
                store_id: r.get(0),
                node_id: r.get(1),
                acked_seq: r.get::<_, i64>(2) as u64,
                head_hash: hash32(r.get(3), "head hash")?,
                n_entries: r.get::<_, i64>(4) as u64,
                reported_head: r.get::<_, i64>(5) as u64,
                last_seen_ms: r.get(6),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_db::{Backend, TestDb};

    #[test]
    fn servers_starting_together_migrate_once() {
        let db = TestDb::new(Backend::Postgres);
        let servers: Vec<_> = (0..4)
            .map(|_| {
                let url = db.db.clone();
                std::thread::spawn(move || PostgresLedger::connect(&url).map(drop))
            })
            .collect();
        for server in servers {
            server.join().unwrap().unwrap();
        }
        let mut client = Client::connect(&db.db, NoTls).unwrap();
        let versions: Vec<i64> = client.query("SELECT version FROM cloud_migrations ORDER BY version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
        assert_eq!(versions, (1..=MIGRATIONS.len() as i64).collect::<Vec<_>>());
    }

    #[test]
    fn a_lost_connection_is_opened_again() {
        let db = TestDb::new(Backend::Postgres);
        let mut ledger = PostgresLedger::connect(&db.db).unwrap();
        ledger.add_enrol_code(&StorePath { tenant: "t".into(), brand: "b".into(), store_id: "S1".into() }, [1; 32], 0, 10).unwrap();
        // The server ends every other session of this database (as a restart would) and
        // waits until they are gone.
        db.raw("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").unwrap();
        // The call that finds the connection gone fails; the next one connects again.
        let lost = ledger.totals().unwrap_err().to_string();
        assert!(lost.starts_with("PostgreSQL error: "), "{lost}");
        assert_eq!(ledger.totals().unwrap().len(), 1);
        assert!(ledger.revoke_pass("S1", "p1", 5).unwrap());
    }
}
