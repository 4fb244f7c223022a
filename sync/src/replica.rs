//! The local replica: one SQLite database per node, in a data directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use opentill_core::catalog::{Product, Unit};
use opentill_core::fold::{Drawer, DrawerChange, drawer_change, location_delta, points_delta, spend_delta, stock_delta, stored_value_delta};
use opentill_core::journal::Fact;
use opentill_core::money::Currency;
use opentill_core::refund::RefundRecord;
use opentill_core::role::Role;
use opentill_core::rounding::CashRounding;
use opentill_core::sale::SaleRecord;
use opentill_core::tax::{TaxMode, TaxRate};
use rusqlite::{Connection, OptionalExtension, Savepoint, Transaction, TransactionBehavior, params};
use tracing::{debug, info, warn};

use crate::journal::{Entry, EntryProblem, GENESIS_HASH, check_entry, seal};
use crate::schema::MIGRATIONS;
use crate::search::{fts_query, product_terms};

/// The database file inside a data directory.
pub const DB_FILE: &str = "opentill.db";
/// The node's secret key inside a data directory.
pub const KEY_FILE: &str = "node.key";

/// Errors from the replica.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A shared document failed (a bad edit, a malformed sync message, a corrupt save).
    #[error(transparent)]
    Doc(#[from] crate::docs::DocError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// No store in that directory.
    #[error("no OpenTill store in {0}: run `opentill-edge init --data {0} --store STORE` first")]
    NotInitialized(PathBuf),
    /// `init` on a directory that already has a store.
    #[error("{0} already holds an OpenTill store")]
    AlreadyInitialized(PathBuf),
    /// The key file does not belong to this journal.
    #[error("{0} does not match the node key recorded in the database")]
    KeyMismatch(PathBuf),
    /// The database was written by a newer OpenTill.
    #[error("database schema version {found} is newer than this OpenTill supports ({supported})")]
    SchemaTooNew {
        /// Found.
        found: usize,
        /// Supported.
        supported: usize,
    },
    /// A setting is missing or malformed.
    #[error("store setting `{0}` is missing or malformed")]
    BadSetting(&'static str),
    /// A sale with this id is already journaled.
    #[error("sale {0} is already recorded")]
    DuplicateSale(String),
    /// A refund with this id is already journaled.
    #[error("refund {0} is already recorded")]
    DuplicateRefund(String),
    /// A gate scan that is already journaled.
    #[error("gate passage {0} is already recorded")]
    DuplicatePassage(String),
    /// A top-up with this idempotency key is already recorded.
    #[error("top-up {0} is already recorded")]
    DuplicateTopUp(String),
    /// A refund for a sale that is not in this journal.
    #[error("sale {0} is not in this store's journal")]
    UnknownSale(String),
    /// A refund would return more than was sold.
    #[error("refund of sale {sale_id} line {line} would exceed what was sold")]
    RefundExceedsSale {
        /// The sale.
        sale_id: String,
        /// Line, 1-based.
        line: usize,
    },
    /// A stored-value account would go negative.
    #[error("stored-value account {account} has {balance}, not enough for {needed}")]
    InsufficientBalance {
        /// The account.
        account: String,
        /// Its balance.
        balance: i64,
        /// What was asked.
        needed: i64,
    },
    /// Spending from a stored-value account would take this node's spending that the
    /// cloud has not confirmed past the store's offline allowance.
    #[error("stored-value account {account}: {needed} is more than the {left} left of this till's offline allowance of {allowance}; sync with the cloud, or take another tender")]
    OfflineAllowance {
        /// The account.
        account: String,
        /// The allowance.
        allowance: i64,
        /// What of it is left.
        left: i64,
        /// What was asked.
        needed: i64,
    },
    /// Spending a member's points would take this node's points spending that the cloud
    /// has not confirmed past the store's offline allowance (counted in points).
    #[error("member {member}: {needed} points is more than the {left} left of this till's offline allowance of {allowance} points; sync with the cloud, or take another tender")]
    PointsOfflineAllowance {
        /// The member.
        member: String,
        /// The allowance in points.
        allowance: i64,
        /// What of it is left.
        left: i64,
        /// What was asked.
        needed: i64,
    },
    /// A member's points would go negative.
    #[error("member {member} has {points} points, not enough for {needed}")]
    InsufficientPoints {
        /// The member.
        member: String,
        /// Their points.
        points: i64,
        /// What was asked.
        needed: i64,
    },
    /// A purchase order id used twice.
    #[error("purchase order {0} already exists")]
    DuplicateOrder(String),
    /// No purchase order with that id.
    #[error("there is no purchase order {0}")]
    UnknownOrder(String),
    /// Goods received against an order that does not have the SKU.
    #[error("purchase order {po_id} has no {what}")]
    NotOnOrder {
        /// The order.
        po_id: String,
        /// The SKU.
        what: String,
    },
    /// A member with that phone number or referral code exists.
    #[error("a member with {0} is already registered")]
    DuplicateMember(String),
    /// No member with that id, phone or referral code.
    #[error("there is no member {0}")]
    UnknownMember(String),
    /// Opening a shift while one is open.
    #[error("shift {0} is already open on this till; close it first")]
    ShiftAlreadyOpen(String),
    /// A shift fact for a shift that is not the open one.
    #[error("shift {0} is not the open shift")]
    ShiftNotOpen(String),
    /// A barcode that belongs to another product.
    #[error("barcode {code} already belongs to {sku}")]
    BarcodeTaken {
        /// The code.
        code: String,
        /// Its current product.
        sku: String,
    },
    /// Stored data could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// An answer from upstream made for another store.
    #[error("the answer is for store {got}, not this store {expected}")]
    OtherStore {
        /// This store.
        expected: String,
        /// The store the answer names.
        got: String,
    },
    /// Another node's key differs from the one it enrolled with, or is not a valid key.
    #[error("node {0} is already known with another key, or its key is not valid")]
    PeerKey(String),
    /// This node named as another one.
    #[error("{0} is this node itself, not another node of the store")]
    PeerIsSelf(String),
}

type Result<T, E = ReplicaError> = std::result::Result<T, E>;

pub mod analytics;
pub mod balances;
pub mod devices;
pub mod docs;
pub mod members;
pub mod o2o;
pub mod offers;
pub mod peers;
pub mod settings;
pub mod staff;
pub mod stock;
pub mod transfers;

/// Store settings, fixed at `init` and kept in the replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// Store id.
    pub store_id: String,
    /// This node's id.
    pub node_id: String,
    /// English name for receipts.
    pub name: String,
    /// Chinese name for receipts.
    pub name_zh: String,
    /// Address line.
    pub address: String,
    /// Currency.
    pub currency: Currency,
    /// Whether prices include tax.
    pub tax_mode: TaxMode,
    /// 抹零 rule for cash.
    pub cash_rounding: CashRounding,
    /// Minutes east of UTC (480 for China).
    pub utc_offset_min: i32,
    /// Receipt paper: 58 (32 columns) or 80 (48 columns) millimetres.
    pub paper_mm: u32,
}

impl StoreSettings {
    /// Defaults for a store in mainland China.
    pub fn new(store_id: &str, node_id: &str) -> StoreSettings {
        StoreSettings {
            store_id: store_id.to_string(),
            node_id: node_id.to_string(),
            name: format!("OpenTill {store_id}"),
            name_zh: format!("OpenTill {store_id}"),
            address: String::new(),
            currency: Currency::CNY,
            tax_mode: TaxMode::Inclusive,
            cash_rounding: CashRounding::None,
            utc_offset_min: 480,
            paper_mm: 58,
        }
    }
}

/// A staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login id.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Argon2 PHC string of the PIN.
    pub pin_hash: String,
    /// Whether the account may log in.
    pub active: bool,
}

/// A suspended basket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspended {
    /// Id.
    pub basket_id: String,
    /// When suspended.
    pub created_ms: i64,
    /// What the cashier called it.
    pub label: String,
    /// The basket, serialised.
    pub basket_json: String,
}

/// A queued receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJob {
    /// Id.
    pub job_id: String,
    /// `sale` or `refund`.
    pub kind: String,
    /// The sale or refund id.
    pub ref_id: String,
    /// When queued.
    pub created_ms: i64,
    /// Attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// The result of verifying the journal and its projections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// The first bad entry and what is wrong with it.
    pub first_bad: Option<(u64, EntryProblem)>,
    /// Projections that disagree with the journal.
    pub projection_problems: Vec<String>,
}

impl VerifyReport {
    /// Whether everything checked out.
    pub fn is_ok(&self) -> bool {
        self.first_bad.is_none() && self.projection_problems.is_empty()
    }
}

/// What appending wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The entry's sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
}

/// A node's replica: the SQLite database and the node's signing key.
pub struct Replica {
    pub(crate) conn: Connection,
    pub(crate) key: SigningKey,
    pub(crate) settings: StoreSettings,
    dir: PathBuf,
    /// Shared documents loaded from the database, reused while nobody else wrote them.
    pub(crate) docs: docs::DocCache,
    /// The settings document's version `settings` was last read at (see
    /// [`Replica::refresh_settings`]).
    pub(crate) settings_version: i64,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica").field("dir", &self.dir).field("store", &self.settings.store_id).finish()
    }
}

/// A write in progress: its own `BEGIN IMMEDIATE` transaction, or a savepoint when the
/// caller already holds a batch open (see [`Replica::begin_batch`]). Dropped without
/// `commit`, it rolls back.
pub(crate) enum Write<'a> {
    Tx(Transaction<'a>),
    Savepoint(Savepoint<'a>),
}

impl std::ops::Deref for Write<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Write::Tx(tx) => tx,
            Write::Savepoint(sp) => sp,
        }
    }
}

/// Starts a write: a transaction of its own, or a savepoint inside an open batch.
pub(crate) fn write(conn: &mut Connection) -> Result<Write<'_>> {
    Ok(if conn.is_autocommit() {
        Write::Tx(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    } else {
        Write::Savepoint(conn.savepoint()?)
    })
}

impl Write<'_> {
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            Write::Tx(tx) => tx.commit(),
            Write::Savepoint(sp) => sp.commit(),
        }
    }
}

/// Writes products in an open transaction. With `take_codes`, a barcode another product
/// holds moves to the product written (the shared catalog's latest word wins); without,
/// that is an error and nothing is written.
pub(crate) fn upsert_products_in(tx: &Connection, products: &[Product], ts_ms: i64, take_codes: bool, mut progress: impl FnMut(usize)) -> Result<()> {
    {
        let mut owner = tx.prepare_cached("SELECT sku FROM barcodes WHERE code = ?1")?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO products (sku, id, barcodes, name, name_zh, category, unit, price_minor, tax_bp, tags, parent_sku, specs, updated_ms)
             VALUES (?1, (SELECT coalesce(max(id), 0) + 1 FROM products), ?12, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (sku) DO UPDATE SET barcodes = excluded.barcodes, name = excluded.name, name_zh = excluded.name_zh, category = excluded.category,
               unit = excluded.unit, price_minor = excluded.price_minor, tax_bp = excluded.tax_bp, tags = excluded.tags,
               parent_sku = excluded.parent_sku, specs = excluded.specs, updated_ms = excluded.updated_ms
             RETURNING id",
        )?;
        let mut drop_codes = tx.prepare_cached("DELETE FROM barcodes WHERE sku = ?1")?;
        let mut add_code = tx.prepare_cached("INSERT INTO barcodes (code, sku, pos) VALUES (?1, ?2, ?3)")?;
        let mut drop_terms = tx.prepare_cached("DELETE FROM product_search WHERE rowid = ?1")?;
        let mut add_terms = tx.prepare_cached("INSERT INTO product_search (rowid, terms) VALUES (?1, ?2)")?;
        for (idx, product) in products.iter().enumerate() {
            for code in &product.barcodes {
                let current: Option<String> = owner.query_row([code], |r| r.get(0)).optional()?;
                if let Some(sku) = current.filter(|s| !take_codes && s != &product.sku && !products.iter().any(|p| &p.sku == s)) {
                    return Err(ReplicaError::BarcodeTaken { code: code.clone(), sku });
                }
            }
            let specs = serde_json::to_string(&product.specs).map_err(|e| ReplicaError::Corrupt(e.to_string()))?;
            let rowid: i64 = upsert.query_row(
                params![
                    product.sku,
                    product.name,
                    product.name_zh,
                    product.category,
                    product.unit.name(),
                    product.price_minor,
                    product.tax_rate.0,
                    product.tags.join(","),
                    product.parent_sku,
                    specs,
                    ts_ms,
                    product.barcodes.join(" ")
                ],
                |r| r.get(0),
            )?;
            drop_codes.execute([&product.sku])?;
            drop_terms.execute([rowid])?;
            add_terms.execute(params![rowid, product_terms(&product.sku, &product.name, &product.name_zh, &product.tags)])?;
            progress(idx + 1);
        }
        // Codes are added after every product in the batch has released its old ones,
        // so two products may swap codes in one import.
        for product in products {
            for (pos, code) in product.barcodes.iter().enumerate() {
                tx.execute("DELETE FROM barcodes WHERE code = ?1", [code])?;
                add_code.execute(params![code, product.sku, pos as i64])?;
            }
        }
    }
    Ok(())
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReplicaError + '_ {
    move |source| ReplicaError::Io { path: path.to_path_buf(), source }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;

    // WAL with synchronous=FULL: a commit is fsynced before it returns, so a sale the
    // cashier was told about survives a power cut.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A till has memory to spare: keep the catalog's hot pages cached (64 MiB) and read
    // the file through mmap, so a scan never waits on a read() call.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "mmap_size", 268_435_456)?;
    conn.pragma_update(None, "journal_size_limit", 67_108_864)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Every statement on the hot paths (scan, append with its projections) stays prepared.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    if version > MIGRATIONS.len() {
        return Err(ReplicaError::SchemaTooNew { found: version, supported: MIGRATIONS.len() });
    }
    for (idx, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        if idx + 1 == crate::schema::analytics_version() {
            // Sales journaled before the analytics projection existed get their rows now.
            analytics::backfill(&tx)?;
        }
        if idx + 1 == crate::schema::member_tickets_version() {
            analytics::backfill_member_tickets(&tx)?;
        }
        if idx + 1 == crate::schema::stock_locations_version() {
            stock::backfill_locations(&tx)?;
        }
        if idx + 1 == crate::schema::po_changes_version() {
            stock::backfill_po_changes(&tx)?;
        }
        if idx + 1 == crate::schema::member_sums_version() {
            members::backfill_peers(&tx)?;
        }
        if idx + 1 == crate::schema::points_debits_version() {
            members::backfill_debits(&tx)?;
        }
        tx.pragma_update(None, "user_version", (idx + 1) as i64)?;
        tx.commit()?;
        info!(version = idx + 1, "migrated replica schema");
    }
    Ok(())
}

impl Replica {
    /// Opens a batch: every write until [`Replica::commit_batch`] joins one transaction,
    /// fsynced once. This is the edge agent's group commit: a burst of device messages
    /// costs one fsync, and none of them is acknowledged before the batch is on disk.
    pub fn begin_batch(&mut self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    /// Marks a point inside the batch that [`Replica::undo_to_mark`] can return to, so
    /// that one failed message takes back only its own writes.
    pub fn mark(&mut self) -> Result<()> {
        self.conn.execute_batch("SAVEPOINT batch_item")?;
        Ok(())
    }

    /// Keeps what was written since the last [`Replica::mark`].
    pub fn keep_since_mark(&mut self) -> Result<()> {
        self.conn.execute_batch("RELEASE batch_item")?;
        Ok(())
    }

    /// Takes back what was written since the last [`Replica::mark`].
    pub fn undo_to_mark(&mut self) -> Result<()> {
        self.conn.execute_batch("ROLLBACK TO batch_item; RELEASE batch_item")?;
        Ok(())
    }

    /// Commits the batch (one fsync). On error the whole batch is rolled back.
    pub fn commit_batch(&mut self) -> Result<()> {
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Abandons an open batch.
    pub fn rollback_batch(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl Replica {
    /// Creates a new store in `dir` with a fresh node key.
    pub fn create(dir: &Path, settings: StoreSettings, secret_key: [u8; 32]) -> Result<Replica> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let db_path = dir.join(DB_FILE);
        let key_path = dir.join(KEY_FILE);
        if db_path.exists() || key_path.exists() {
            return Err(ReplicaError::AlreadyInitialized(dir.to_path_buf()));
        }
        let key = SigningKey::from_bytes(&secret_key);
        write_key_file(&key_path, &key)?;
        let mut conn = open_connection(&db_path)?;
        migrate(&mut conn)?;
        let tx = conn.transaction()?;
        let pairs: Vec<(&str, String)> = vec![
            ("store_id", settings.store_id.clone()),
            ("node_id", settings.node_id.clone()),
            ("name", settings.name.clone()),
            ("name_zh", settings.name_zh.clone()),
            ("address", settings.address.clone()),
            ("currency", format!("{}:{}", settings.currency.code(), settings.currency.exponent)),
            ("tax_mode", if settings.tax_mode == TaxMode::Inclusive { "inclusive" } else { "exclusive" }.to_string()),
            ("cash_rounding", settings.cash_rounding.name().to_string()),
            ("utc_offset_min", settings.utc_offset_min.to_string()),
            ("paper_mm", settings.paper_mm.to_string()),
            ("node_public_key", hex::encode(key.verifying_key().to_bytes())),
        ];
        for (k, v) in pairs {
            tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![k, v])?;
        }
        offers::mark_in_document(&tx)?;
        staff::mark_in_document(&tx)?;
        tx.commit()?;
        info!(store = %settings.store_id, node = %settings.node_id, dir = %dir.display(), "created replica");
        Ok(Replica { conn, key, settings, dir: dir.to_path_buf(), docs: docs::DocCache::default(), settings_version: 0 })
    }

    /// Opens the store in `dir`, running any pending migrations.
    pub fn open(dir: &Path) -> Result<Replica> {
        let db_path = dir.join(DB_FILE);
        let key_path = dir.join(KEY_FILE);
        if !db_path.exists() {
            return Err(ReplicaError::NotInitialized(dir.to_path_buf()));
        }
        let mut conn = open_connection(&db_path)?;
        migrate(&mut conn)?;
        let key = read_key_file(&key_path)?;
        let meta = |k: &'static str| -> Result<String> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0)).optional()?.ok_or(ReplicaError::BadSetting(k))
        };
        if meta("node_public_key")? != hex::encode(key.verifying_key().to_bytes()) {
            return Err(ReplicaError::KeyMismatch(key_path));
        }
        let currency = {
            let text = meta("currency")?;
            let (code, exp) = text.split_once(':').ok_or(ReplicaError::BadSetting("currency"))?;
            Currency::new(code, exp.parse().map_err(|_| ReplicaError::BadSetting("currency"))?).map_err(|_| ReplicaError::BadSetting("currency"))?
        };
        let settings = StoreSettings {
            store_id: meta("store_id")?,
            node_id: meta("node_id")?,
            name: meta("name")?,
            name_zh: meta("name_zh")?,
            address: meta("address")?,
            currency,
            tax_mode: match meta("tax_mode")?.as_str() {
                "inclusive" => TaxMode::Inclusive,
                "exclusive" => TaxMode::Exclusive,
                _ => return Err(ReplicaError::BadSetting("tax_mode")),
            },
            cash_rounding: CashRounding::parse(&meta("cash_rounding")?).ok_or(ReplicaError::BadSetting("cash_rounding"))?,
            utc_offset_min: meta("utc_offset_min")?.parse().map_err(|_| ReplicaError::BadSetting("utc_offset_min"))?,
            // Stores created before the setting existed print on 58 mm paper.
            paper_mm: meta("paper_mm").ok().and_then(|v| v.parse().ok()).unwrap_or(58),
        };
        let settings_version = docs::doc_version(&conn, crate::docs::settings::SETTINGS)?.unwrap_or(0);
        let mut replica = Replica { conn, key, settings, dir: dir.to_path_buf(), docs: docs::DocCache::default(), settings_version };
        replica.bring_offers_into_document()?;
        // Stamped at wall time 0: the node's clock still orders it after its last edit.
        replica.bring_users_into_document(0)?;
        // Registrations a crash (or an older release) kept out of the members document;
        // one that cannot be put in stays here and is tried again next time.
        if let Err(e) = replica.share_members(0) {
            warn!(error = %e, "could not put this node's registrations into the members document yet");
        }
        // Devices heard from and shelves configured before the registry was shared.
        if let Err(e) = replica.share_devices(0) {
            warn!(error = %e, "could not put this node's devices into the devices document yet");
        }
        Ok(replica)
    }

    /// The store's settings.
    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }


    /// Changes the cash rounding rule.
    pub fn set_cash_rounding(&mut self, rounding: CashRounding) -> Result<()> {
        self.conn.execute("UPDATE meta SET value = ?1 WHERE key = 'cash_rounding'", [rounding.name()])?;
        self.settings.cash_rounding = rounding;
        Ok(())
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The node's public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    // ---- catalog ----

    /// Inserts or replaces products and their barcodes in one transaction. `progress` is
    /// called with the number written so far. Fails, writing nothing, if a barcode belongs
    /// to a product not in this batch.
    pub fn upsert_products(&mut self, products: &[Product], ts_ms: i64, progress: impl FnMut(usize)) -> Result<()> {
        let tx = write(&mut self.conn)?;
        upsert_products_in(&tx, products, ts_ms, false, progress)?;
        tx.commit()?;
        if products.len() >= 1000 {
            // A large import leaves the whole catalog in the WAL; fold it into the database
            // now so lookups read the main file, not a long WAL.
            self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        debug!(n = products.len(), "upserted products");
        Ok(())
    }

    /// The product a barcode rings up, in one indexed query.
    pub fn product_by_barcode(&self, code: &str) -> Result<Option<Product>> {
        Ok(self
            .conn
            // A scalar subquery, not a join: SQLite runs it as two primary-key searches,
            // measured three times faster than the equivalent join.
            .prepare_cached(&format!("SELECT {PRODUCT_COLUMNS} FROM products AS p WHERE p.sku = (SELECT sku FROM barcodes WHERE code = ?1)"))?
            .query_row([code], product_row)
            .optional()?)
    }

    /// A product by SKU.
    pub fn product_by_sku(&self, sku: &str) -> Result<Option<Product>> {
        Ok(self.conn.prepare_cached(&format!("SELECT {PRODUCT_COLUMNS} FROM products AS p WHERE p.sku = ?1"))?.query_row([sku], product_row).optional()?)
    }

    /// Products matching a search by English words, Chinese characters, full pinyin or
    /// pinyin initials, best first.
    pub fn search_products(&self, query: &str, limit: usize) -> Result<Vec<Product>> {
        let Some(fts) = fts_query(query) else { return Ok(Vec::new()) };
        // Rank only the first few hundred matches, so a one-letter query stays fast.
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCT_COLUMNS}
             FROM (SELECT rowid, rank FROM product_search WHERE product_search MATCH ?1 LIMIT 400) AS m
             JOIN products AS p ON p.id = m.rowid
             ORDER BY m.rank, length(p.name_zh), p.sku LIMIT ?2"
        ))?;
        Ok(stmt.query_map(params![fts, limit as i64], product_row)?.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The catalog's categories with how many products each holds, by name.
    pub fn categories(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT category, count(*) FROM products GROUP BY category ORDER BY category")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Up to `limit` products of a category, by SKU (the till's product buttons).
    pub fn products_in_category(&self, category: &str, limit: usize) -> Result<Vec<Product>> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {PRODUCT_COLUMNS} FROM products AS p WHERE p.category = ?1 ORDER BY p.sku LIMIT ?2"))?;
        Ok(stmt.query_map(params![category, limit as i64], product_row)?.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many products the catalog holds.
    pub fn product_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM products", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Some barcodes with their products' units, in code order (for demos and tests).
    pub fn barcodes(&self, limit: usize) -> Result<Vec<(String, Unit)>> {
        let mut stmt = self.conn.prepare("SELECT b.code, p.unit FROM barcodes b JOIN products p ON p.sku = b.sku ORDER BY b.code LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|r| r.map(|(code, unit)| (code, Unit::parse(&unit).unwrap_or(Unit::Each))).map_err(ReplicaError::from)).collect()
    }

    /// Which SKU owns a barcode.
    pub fn barcode_owner(&self, code: &str) -> Result<Option<String>> {
        Ok(self.conn.prepare_cached("SELECT sku FROM barcodes WHERE code = ?1")?.query_row([code], |r| r.get(0)).optional()?)
    }

    // ---- users ----

    /// A user by id.
    pub fn user(&self, user_id: &str) -> Result<Option<User>> {
        Ok(self
            .conn
            .query_row("SELECT user_id, name, role, pin_hash, active FROM users WHERE user_id = ?1", [user_id], user_row)
            .optional()?)
    }

    /// Keeps a supervisor's approval of price changes on sale `sale_id`; approvals older
    /// than `keep_ms` are dropped on the way.
    pub fn put_approval(&mut self, token: &str, sale_id: &str, user_id: &str, now_ms: i64, keep_ms: i64) -> Result<()> {
        let tx = write(&mut self.conn)?;
        tx.prepare_cached("DELETE FROM approvals WHERE created_ms < ?1")?.execute([now_ms - keep_ms])?;
        tx.prepare_cached("INSERT INTO approvals (token, sale_id, user_id, created_ms) VALUES (?1, ?2, ?3, ?4)")?.execute(params![token, sale_id, user_id, now_ms])?;
        tx.commit()?;
        Ok(())
    }

    /// Whether a top-up with this idempotency key is recorded.
    pub fn topup_recorded(&self, topup_id: &str) -> Result<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM topups WHERE topup_id = ?1")?.query_row([topup_id], |_| Ok(())).optional()?.is_some())
    }

    /// An approval: `(sale_id, user_id, created_ms)`.
    pub fn approval(&self, token: &str) -> Result<Option<(String, String, i64)>> {
        Ok(self.conn.prepare_cached("SELECT sale_id, user_id, created_ms FROM approvals WHERE token = ?1")?.query_row([token], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?)
    }

    /// All users.
    pub fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self.conn.prepare("SELECT user_id, name, role, pin_hash, active FROM users ORDER BY user_id")?;
        Ok(stmt.query_map([], user_row)?.collect::<rusqlite::Result<_>>()?)
    }

    // ---- suspended baskets ----

    /// Keeps a basket for later; durable like a sale.
    pub fn suspend(&mut self, basket: &Suspended) -> Result<()> {
        self.conn.execute(
            "INSERT INTO suspended (basket_id, created_ms, label, basket) VALUES (?1, ?2, ?3, ?4)",
            params![basket.basket_id, basket.created_ms, basket.label, basket.basket_json],
        )?;
        Ok(())
    }

    /// Takes a suspended basket back (removing it), if it exists.
    pub fn resume(&mut self, basket_id: &str) -> Result<Option<Suspended>> {
        let tx = write(&mut self.conn)?;
        let found = tx
            .query_row("SELECT basket_id, created_ms, label, basket FROM suspended WHERE basket_id = ?1", [basket_id], suspended_row)
            .optional()?;
        tx.execute("DELETE FROM suspended WHERE basket_id = ?1", [basket_id])?;
        tx.commit()?;
        Ok(found)
    }

    /// Suspended baskets, oldest first.
    pub fn suspended(&self) -> Result<Vec<Suspended>> {
        let mut stmt = self.conn.prepare("SELECT basket_id, created_ms, label, basket FROM suspended ORDER BY created_ms, basket_id")?;
        Ok(stmt.query_map([], suspended_row)?.collect::<rusqlite::Result<_>>()?)
    }

    // ---- print queue ----

    /// Queues a receipt (`kind` `sale` or `refund`) for printing; returns the job id.
    pub fn enqueue_print(&mut self, kind: &str, ref_id: &str, created_ms: i64) -> Result<String> {
        let job_id = format!("{kind}-{ref_id}-{created_ms}");
        self.conn.execute(
            "INSERT INTO print_queue (job_id, kind, ref_id, created_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (job_id) DO NOTHING",
            params![job_id, kind, ref_id, created_ms],
        )?;
        Ok(job_id)
    }

    /// Receipts not printed yet, oldest first: `(job_id, kind, ref_id, attempts, last_error)`.
    pub fn pending_prints(&self) -> Result<Vec<PrintJob>> {
        let mut stmt = self.conn.prepare("SELECT job_id, kind, ref_id, created_ms, attempts, last_error FROM print_queue WHERE printed_ms IS NULL ORDER BY created_ms, job_id")?;
        let rows = stmt.query_map([], |r| Ok(PrintJob { job_id: r.get(0)?, kind: r.get(1)?, ref_id: r.get(2)?, created_ms: r.get(3)?, attempts: r.get(4)?, last_error: r.get(5)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a print attempt: printed at `printed_ms`, or failed with `error`.
    pub fn record_print(&mut self, job_id: &str, outcome: std::result::Result<i64, &str>) -> Result<()> {
        match outcome {
            Ok(printed_ms) => self.conn.execute("UPDATE print_queue SET attempts = attempts + 1, printed_ms = ?2, last_error = NULL WHERE job_id = ?1", params![job_id, printed_ms])?,
            Err(error) => self.conn.execute("UPDATE print_queue SET attempts = attempts + 1, last_error = ?2 WHERE job_id = ?1", params![job_id, error])?,
        };
        Ok(())
    }

    // ---- journal ----

    /// Appends a fact to the journal and updates the projections, in one fsynced
    /// transaction. When this returns `Ok`, the fact survives a crash or power cut; when
    /// it returns `Err`, nothing was written.
    pub fn append(&mut self, ts_ms: i64, fact: &Fact) -> Result<Appended> {
        self.append_with(ts_ms, fact, |_| Ok(()))
    }

    /// Like [`Replica::append`], and also runs `also` inside the same transaction, so
    /// that state kept beside the journal (a vend marked charged, say) changes together
    /// with the fact or not at all.
    pub fn append_with(&mut self, ts_ms: i64, fact: &Fact, also: impl FnOnce(&Connection) -> Result<()>) -> Result<Appended> {
        let tx = write(&mut self.conn)?;
        let last: Option<(i64, Vec<u8>)> = tx.prepare_cached("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")?.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let (prev_seq, prev_hash) = match last {
            Some((seq, hash)) => (seq as u64, <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| ReplicaError::Corrupt(format!("entry {seq} has a malformed hash")))?),
            None => (0, GENESIS_HASH),
        };
        let body = serde_json::to_vec(fact).map_err(|e| ReplicaError::Corrupt(e.to_string()))?;
        let entry = seal(&self.key, &self.settings.node_id, prev_seq + 1, ts_ms, fact.kind(), prev_hash, body);
        tx.prepare_cached("INSERT INTO journal (seq, node_id, ts_ms, kind, body, prev_hash, hash, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?
            .execute(params![
                entry.seq as i64,
                entry.node_id,
                entry.ts_ms,
                entry.kind,
                entry.body,
                entry.prev_hash.as_slice(),
                entry.hash.as_slice(),
                entry.signature.as_slice()
            ])?;
        project(&tx, entry.seq, ts_ms, self.settings.utc_offset_min, fact)?;
        also(&tx)?;
        tx.commit()?;
        debug!(seq = entry.seq, kind = fact.kind(), "journaled");
        Ok(Appended { seq: entry.seq, hash: entry.hash })
    }

    /// The number of entries, and the last hash.
    pub fn head(&self) -> Result<(u64, [u8; 32])> {
        let last: Option<(i64, Vec<u8>)> = self.conn.query_row("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        Ok(match last {
            Some((seq, hash)) => (seq as u64, hash.try_into().unwrap_or(GENESIS_HASH)),
            None => (0, GENESIS_HASH),
        })
    }

    /// Calls `visit` with every entry from `from_seq` on, in order.
    pub fn for_each_entry(&self, from_seq: u64, mut visit: impl FnMut(Entry) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare("SELECT seq, node_id, ts_ms, kind, body, prev_hash, hash, signature FROM journal WHERE seq >= ?1 ORDER BY seq")?;
        let mut rows = stmt.query([from_seq as i64])?;
        while let Some(row) = rows.next()? {
            let fixed = |v: Vec<u8>, what: &str| -> Result<Vec<u8>> {
                if v.len() == if what == "signature" { 64 } else { 32 } { Ok(v) } else { Err(ReplicaError::Corrupt(format!("{what} of wrong length"))) }
            };
            let seq: i64 = row.get(0)?;
            let prev: Vec<u8> = row.get(5)?;
            let hash: Vec<u8> = row.get(6)?;
            let sig: Vec<u8> = row.get(7)?;
            let entry = Entry {
                seq: seq as u64,
                node_id: row.get(1)?,
                ts_ms: row.get(2)?,
                kind: row.get(3)?,
                body: row.get(4)?,
                prev_hash: fixed(prev, "prev_hash").map(|v| v.try_into().unwrap_or(GENESIS_HASH)).unwrap_or([0xff; 32]),
                hash: fixed(hash, "hash").map(|v| v.try_into().unwrap_or(GENESIS_HASH)).unwrap_or([0xff; 32]),
                signature: fixed(sig, "signature").map(|v| v.try_into().unwrap_or([0; 64])).unwrap_or([0; 64]),
            };
            visit(entry)?;
        }
        Ok(())
    }

    /// Every fact with its timestamp, in journal order.
    pub fn facts(&self) -> Result<Vec<(i64, Fact)>> {
        let mut out = Vec::new();
        self.for_each_entry(1, |entry| {
            let fact: Fact = serde_json::from_slice(&entry.body).map_err(|e| ReplicaError::Corrupt(format!("entry {}: {e}", entry.seq)))?;
            out.push((entry.ts_ms, fact));
            Ok(())
        })?;
        Ok(out)
    }

    fn fact_at(&self, seq: i64) -> Result<(i64, Fact)> {
        let (ts, body): (i64, Vec<u8>) = self.conn.prepare_cached("SELECT ts_ms, body FROM journal WHERE seq = ?1")?.query_row([seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let fact = serde_json::from_slice(&body).map_err(|e| ReplicaError::Corrupt(format!("entry {seq}: {e}")))?;
        Ok((ts, fact))
    }

    /// A sale and when it was made.
    pub fn sale(&self, sale_id: &str) -> Result<Option<(i64, SaleRecord)>> {
        let seq: Option<i64> = self.conn.prepare_cached("SELECT seq FROM sales WHERE sale_id = ?1")?.query_row([sale_id], |r| r.get(0)).optional()?;
        let Some(seq) = seq else { return Ok(None) };
        match self.fact_at(seq)? {
            (ts, Fact::Sale(sale)) => Ok(Some((ts, sale))),
            _ => Err(ReplicaError::Corrupt(format!("sales index points at entry {seq}, which is not a sale"))),
        }
    }

    /// Refunds made against a sale, oldest first.
    pub fn refunds_for(&self, sale_id: &str) -> Result<Vec<(i64, RefundRecord)>> {
        let seqs: Vec<i64> = self.conn.prepare_cached("SELECT seq FROM refunds WHERE sale_id = ?1 ORDER BY seq")?.query_map([sale_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        seqs.into_iter()
            .map(|seq| match self.fact_at(seq)? {
                (ts, Fact::Refund(r)) => Ok((ts, r)),
                _ => Err(ReplicaError::Corrupt(format!("refunds index points at entry {seq}, which is not a refund"))),
            })
            .collect()
    }

    /// A refund by id, and when it was made.
    pub fn refund(&self, refund_id: &str) -> Result<Option<(i64, RefundRecord)>> {
        let seq: Option<i64> = self.conn.prepare_cached("SELECT seq FROM refunds WHERE refund_id = ?1")?.query_row([refund_id], |r| r.get(0)).optional()?;
        let Some(seq) = seq else { return Ok(None) };
        match self.fact_at(seq)? {
            (ts, Fact::Refund(r)) => Ok(Some((ts, r))),
            _ => Err(ReplicaError::Corrupt(format!("refunds index points at entry {seq}, which is not a refund"))),
        }
    }

    /// The most recent sales, newest first.
    pub fn recent_sales(&self, limit: usize) -> Result<Vec<(i64, SaleRecord)>> {
        let seqs: Vec<i64> = self.conn.prepare_cached("SELECT seq FROM sales ORDER BY seq DESC LIMIT ?1")?.query_map([limit as i64], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        seqs.into_iter()
            .map(|seq| match self.fact_at(seq)? {
                (ts, Fact::Sale(s)) => Ok((ts, s)),
                _ => Err(ReplicaError::Corrupt(format!("entry {seq} is not a sale"))),
            })
            .collect()
    }

    /// Stock on hand for a SKU (pieces, or grams for weighed products).
    pub fn stock(&self, sku: &str) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT qty FROM stock WHERE sku = ?1")?.query_row([sku], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    /// Stock on hand for every SKU that ever moved.
    pub fn stock_all(&self) -> Result<BTreeMap<String, i64>> {
        let mut stmt = self.conn.prepare("SELECT sku, qty FROM stock ORDER BY sku")?;
        Ok(stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?)
    }

    /// A stored-value account's balance.
    pub fn stored_value(&self, account: &str) -> Result<i64> {
        Ok(self.store_stored_value(account)? + self.others_on_account(account)?)
    }

    /// A stored-value balance as this store alone moved it (this node and the store's
    /// other nodes held here), without the other stores'.
    pub fn store_stored_value(&self, account: &str) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT balance FROM stored_value WHERE account = ?1")?.query_row([account], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    /// Cash the facts say should be in the drawer.
    pub fn drawer_expected(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT expected FROM drawer WHERE id = 1", [], |r| r.get(0))?)
    }

    /// The open shift and its cashier, if any.
    pub fn open_shift(&self) -> Result<Option<(String, String)>> {
        Ok(self.conn.prepare_cached("SELECT open_shift, open_cashier FROM drawer WHERE id = 1")?.query_row([], |r| {
            Ok(match (r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?) {
                (Some(s), Some(c)) => Some((s, c)),
                _ => None,
            })
        })?)
    }

    /// Checks the whole journal (sequence, chain, hashes, signatures, readable bodies) and
    /// recomputes every projection from the facts, comparing with what is stored.
    /// `progress` is called with the number of entries checked.
    pub fn verify(&self, mut progress: impl FnMut(u64)) -> Result<VerifyReport> {
        let key = self.public_key();
        let mut report = VerifyReport::default();
        let mut prev_hash = GENESIS_HASH;
        let mut expected_seq = 1u64;
        let mut stock: BTreeMap<String, i64> = BTreeMap::new();
        let mut stored: BTreeMap<String, i64> = BTreeMap::new();
        let mut drawer = Drawer::default();
        let mut sales: BTreeMap<String, (u64, i64)> = BTreeMap::new();
        let mut refunds: BTreeMap<String, u64> = BTreeMap::new();
        let mut offer_uses: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        // (order, SKU) → (ordered, received).
        let mut po_lines: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        let mut po_cancelled: std::collections::BTreeSet<String> = Default::default();
        // Member id → (spend, points), from this journal here and the peers' below.
        let mut members: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut open_shift: Option<String> = None;
        let mut analytics = analytics::Expected::default();
        let mut locations: BTreeMap<(String, String), i64> = BTreeMap::new();
        self.for_each_entry(1, |entry| {
            report.entries += 1;
            if report.first_bad.is_some() {
                return Ok(());
            }
            if let Err(problem) = check_entry(&entry, expected_seq, &prev_hash, &self.settings.node_id, &key) {
                report.first_bad = Some((entry.seq, problem));
                return Ok(());
            }
            let fact: Fact = match serde_json::from_slice(&entry.body) {
                Ok(f) => f,
                Err(e) => {
                    report.first_bad = Some((entry.seq, EntryProblem::Body(e.to_string())));
                    return Ok(());
                }
            };
            if fact.kind() != entry.kind {
                report.first_bad = Some((entry.seq, EntryProblem::Body(format!("kind `{}` but body is `{}`", entry.kind, fact.kind()))));
                return Ok(());
            }
            for (sku, delta) in stock_delta(&fact) {
                *stock.entry(sku.to_string()).or_default() += delta;
            }
            for (sku, location, delta) in location_delta(&fact) {
                *locations.entry((sku.to_string(), location.to_string())).or_default() += delta;
            }
            for (account, delta) in stored_value_delta(&fact) {
                *stored.entry(account.to_string()).or_default() += delta;
            }
            drawer.apply(&fact);
            match &fact {
                Fact::PurchaseOrdered { po_id, lines, .. } => lines.iter().for_each(|l| {
                    po_lines.insert((po_id.clone(), l.sku.clone()), (l.qty, 0));
                }),
                Fact::PurchaseOrderAmended { po_id, lines, .. } => lines.iter().for_each(|l| {
                    po_lines.entry((po_id.clone(), l.sku.clone())).or_default().0 = l.qty;
                }),
                Fact::PurchaseOrderCancelled { po_id, .. } => {
                    po_cancelled.insert(po_id.clone());
                }
                Fact::GoodsReceived { po_id: Some(po_id), lines, .. } => lines.iter().for_each(|l| {
                    if let Some(line) = po_lines.get_mut(&(po_id.clone(), l.sku.clone())) {
                        line.1 += l.qty;
                    }
                }),
                _ => {}
            }
            fold_member(&mut members, &fact);
            analytics.add(self, entry.seq, entry.ts_ms, &fact)?;
            match &fact {
                Fact::Sale(s) => {
                    sales.insert(s.sale_id.clone(), (entry.seq, s.total));
                    for (offer, member, pieces) in offer_use_rows(s) {
                        let used = offer_uses.entry((offer.to_string(), member.to_string())).or_default();
                        *used = (used.0 + 1, used.1 + pieces);
                    }
                }
                Fact::Refund(r) => {
                    refunds.insert(r.refund_id.clone(), entry.seq);
                }
                Fact::ShiftOpened { shift_id, .. } => open_shift = Some(shift_id.clone()),
                Fact::ShiftClosed(_) => open_shift = None,
                _ => {}
            }
            prev_hash = entry.hash;
            expected_seq += 1;
            progress(report.entries);
            Ok(())
        })?;
        if report.first_bad.is_some() {
            return Ok(report);
        }
        // The store-wide sums also hold the facts of the store's other nodes held here.
        let mut stmt = self.conn.prepare("SELECT body FROM peer_journal ORDER BY node_id, seq")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let Ok(fact) = serde_json::from_slice::<Fact>(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?) else { continue };
            for (sku, delta) in stock_delta(&fact) {
                *stock.entry(sku.to_string()).or_default() += delta;
            }
            for (sku, location, delta) in location_delta(&fact) {
                *locations.entry((sku.to_string(), location.to_string())).or_default() += delta;
            }
            for (account, delta) in stored_value_delta(&fact) {
                *stored.entry(account.to_string()).or_default() += delta;
            }
            if let Fact::Sale(s) = &fact {
                for (offer, member, pieces) in offer_use_rows(s) {
                    let used = offer_uses.entry((offer.to_string(), member.to_string())).or_default();
                    *used = (used.0 + 1, used.1 + pieces);
                }
            }
        }
        drop(rows);
        drop(stmt);
        let problems = &mut report.projection_problems;
        let mut stmt = self.conn.prepare("SELECT sku, location, qty FROM stock_locations")?;
        let stored_locations: BTreeMap<(String, String), i64> = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
        let nonzero_at = |m: &BTreeMap<(String, String), i64>| m.iter().filter(|(_, v)| **v != 0).map(|(k, v)| (k.clone(), *v)).collect::<BTreeMap<_, _>>();
        if nonzero_at(&stored_locations) != nonzero_at(&locations) {
            problems.push("stock per place (floor, backroom, warehouse) disagrees with the journal".into());
        }
        let stored_stock = self.stock_all()?;
        let nonzero = |m: &BTreeMap<String, i64>| m.iter().filter(|(_, v)| **v != 0).map(|(k, v)| (k.clone(), *v)).collect::<BTreeMap<_, _>>();
        if nonzero(&stored_stock) != nonzero(&stock) {
            problems.push("stock on hand disagrees with the journal".into());
        }
        let mut stmt = self.conn.prepare("SELECT account, balance FROM stored_value")?;
        let stored_balances: BTreeMap<String, i64> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        if nonzero(&stored_balances) != nonzero(&stored) {
            problems.push("stored-value balances disagree with the journal".into());
        }
        if self.drawer_expected()? != drawer.expected {
            problems.push(format!("cash in drawer is recorded as {} but the journal says {}", self.drawer_expected()?, drawer.expected));
        }
        if self.open_shift()?.map(|(s, _)| s) != open_shift {
            problems.push("the open shift disagrees with the journal".into());
        }
        let mut stmt = self.conn.prepare("SELECT sale_id, seq, total FROM sales")?;
        let indexed: BTreeMap<String, (u64, i64)> = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get::<_, i64>(1)? as u64, r.get(2)?))))?.collect::<rusqlite::Result<_>>()?;
        if indexed != sales {
            let missing = sales.keys().find(|k| !indexed.contains_key(*k));
            let extra = indexed.keys().find(|k| !sales.contains_key(*k));
            problems.push(match (missing, extra) {
                (_, Some(extra)) => format!("sale {extra} is indexed but not in the journal (an entry was removed)"),
                (Some(missing), _) => format!("sale {missing} is in the journal but not indexed"),
                _ => "the sales index disagrees with the journal (amounts or positions)".into(),
            });
        }
        let mut stmt = self.conn.prepare("SELECT refund_id, seq FROM refunds")?;
        let indexed: BTreeMap<String, u64> = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?.collect::<rusqlite::Result<_>>()?;
        if indexed != refunds {
            problems.push("the refunds index disagrees with the journal".into());
        }
        let mut stmt = self.conn.prepare("SELECT offer_id, member, uses, flash_pieces FROM offer_uses")?;
        let indexed: BTreeMap<(String, String), (i64, i64)> = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))?.collect::<rusqlite::Result<_>>()?;
        if indexed != offer_uses {
            problems.push("promotion and coupon uses disagree with the journal".into());
        }
        let mut stmt = self.conn.prepare("SELECT po_id, sku, ordered, received FROM po_lines")?;
        let indexed: BTreeMap<(String, String), (i64, i64)> = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))?.collect::<rusqlite::Result<_>>()?;
        if indexed != po_lines {
            problems.push("purchase orders disagree with the journal".into());
        }
        let mut stmt = self.conn.prepare("SELECT po_id FROM purchase_orders WHERE cancelled_ms IS NOT NULL")?;
        let indexed: std::collections::BTreeSet<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        if indexed != po_cancelled {
            problems.push("cancelled purchase orders disagree with the journal".into());
        }
        let mut stmt = self.conn.prepare("SELECT body FROM peer_journal WHERE kind IN ('sale', 'refund', 'member_registered', 'points_redeemed')")?;
        for body in stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))? {
            if let Ok(fact) = serde_json::from_slice::<Fact>(&body?) {
                fold_member(&mut members, &fact);
            }
        }
        members.retain(|_, sums| *sums != (0, 0));
        let mut stmt = self.conn.prepare("SELECT member_id, spend, points FROM member_sums WHERE spend != 0 OR points != 0")?;
        let indexed: BTreeMap<String, (i64, i64)> = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?.collect::<rusqlite::Result<_>>()?;
        if indexed != members {
            problems.push("members' spend or points disagree with the journal".into());
        }
        problems.extend(analytics.check(&self.conn)?);
        Ok(report)
    }
}

/// Adds a fact's spend and points to `members` (member id → (spend, points)).
fn fold_member(members: &mut BTreeMap<String, (i64, i64)>, fact: &Fact) {
    for (member, delta) in points_delta(fact) {
        members.entry(member.to_string()).or_default().1 += delta;
    }
    if let Some((member, delta)) = spend_delta(fact) {
        members.entry(member.to_string()).or_default().0 += delta;
    }
}

/// Updates the projections for one fact, inside the append's transaction; an error here
/// rolls the whole append back.
fn project(tx: &Connection, seq: u64, ts_ms: i64, utc_offset_min: i32, fact: &Fact) -> Result<()> {
    match fact {
        Fact::Sale(sale) => {
            let inserted = tx
                .prepare_cached("INSERT INTO sales (sale_id, seq, ts_ms, total) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sale_id) DO NOTHING")?
                .execute(params![sale.sale_id, seq as i64, ts_ms, sale.total])?;
            if inserted == 0 {
                return Err(ReplicaError::DuplicateSale(sale.sale_id.clone()));
            }
            for (offer_id, member, pieces) in offer_use_rows(sale) {
                tx.prepare_cached(
                    "INSERT INTO offer_uses (offer_id, member, uses, flash_pieces) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT (offer_id, member) DO UPDATE SET uses = uses + 1, flash_pieces = flash_pieces + excluded.flash_pieces",
                )?
                .execute(params![offer_id, member, pieces])?;
            }
            analytics::project_analytics(tx, seq, ts_ms, utc_offset_min, fact, None)?;
            analytics::project_member_ticket(tx, seq, ts_ms, utc_offset_min, fact)?;
        }
        Fact::Refund(refund) => {
            let sold: Option<i64> = tx.prepare_cached("SELECT seq FROM sales WHERE sale_id = ?1")?.query_row([&refund.sale_id], |r| r.get(0)).optional()?;
            let Some(sale_seq) = sold else { return Err(ReplicaError::UnknownSale(refund.sale_id.clone())) };
            let body: Vec<u8> = tx.query_row("SELECT body FROM journal WHERE seq = ?1", [sale_seq], |r| r.get(0))?;
            let Ok(Fact::Sale(sale)) = serde_json::from_slice::<Fact>(&body) else {
                return Err(ReplicaError::Corrupt(format!("entry {sale_seq} is not a sale")));
            };
            let inserted = tx
                .prepare_cached("INSERT INTO refunds (refund_id, sale_id, seq) VALUES (?1, ?2, ?3) ON CONFLICT (refund_id) DO NOTHING")?
                .execute(params![refund.refund_id, refund.sale_id, seq as i64])?;
            if inserted == 0 {
                return Err(ReplicaError::DuplicateRefund(refund.refund_id.clone()));
            }
            for line in &refund.lines {
                let sold_line = sale.lines.get(line.line_idx).ok_or(ReplicaError::RefundExceedsSale { sale_id: refund.sale_id.clone(), line: line.line_idx + 1 })?;
                let (qty, amount): (i64, i64) = tx
                    .prepare_cached(
                        "INSERT INTO refunded_lines (sale_id, line_idx, qty, amount) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (sale_id, line_idx) DO UPDATE SET qty = qty + excluded.qty, amount = amount + excluded.amount
                         RETURNING qty, amount",
                    )?
                    .query_row(params![refund.sale_id, line.line_idx as i64, line.qty, line.amount], |r| Ok((r.get(0)?, r.get(1)?)))?;
                if qty > sold_line.qty || amount > sold_line.amount || line.qty < 1 || line.amount < 0 {
                    return Err(ReplicaError::RefundExceedsSale { sale_id: refund.sale_id.clone(), line: line.line_idx + 1 });
                }
            }
            analytics::project_analytics(tx, seq, ts_ms, utc_offset_min, fact, Some(&sale))?;
            analytics::project_member_ticket(tx, seq, ts_ms, utc_offset_min, fact)?;
        }
        Fact::GatePassed { gate, scan_id, direction, opened, .. } => {
            let inserted = tx
                .prepare_cached("INSERT INTO gate_passages (gate, scan_id, seq, ts_ms, direction, opened) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING")?
                .execute(params![gate, scan_id, seq as i64, ts_ms, direction, opened])?;
            if inserted == 0 {
                return Err(ReplicaError::DuplicatePassage(format!("{gate}/{scan_id}")));
            }
        }
        Fact::StoredValueToppedUp { topup_id: Some(topup_id), .. } => {
            let inserted = tx.prepare_cached("INSERT INTO topups (topup_id, seq) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?.execute(params![topup_id, seq as i64])?;
            if inserted == 0 {
                return Err(ReplicaError::DuplicateTopUp(topup_id.clone()));
            }
        }
        Fact::ShiftOpened { shift_id, cashier, .. } => {
            if let Some((open, _)) = open_shift_tx(tx)? {
                return Err(ReplicaError::ShiftAlreadyOpen(open));
            }
            tx.execute("UPDATE drawer SET open_shift = ?1, open_cashier = ?2 WHERE id = 1", [shift_id, cashier])?;
        }
        Fact::ShiftClosed(report) => {
            match open_shift_tx(tx)? {
                Some((open, _)) if open == report.shift_id => {}
                _ => return Err(ReplicaError::ShiftNotOpen(report.shift_id.clone())),
            }
            tx.execute("UPDATE drawer SET open_shift = NULL, open_cashier = NULL WHERE id = 1", [])?;
        }
        _ => {}
    }
    match fact {
        Fact::PurchaseOrdered { po_id, supplier_id, lines, .. } => {
            let inserted = tx.prepare_cached("INSERT INTO purchase_orders (po_id, supplier_id, ordered_ms, seq) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")?.execute(params![po_id, supplier_id, ts_ms, seq as i64])?;
            if inserted == 0 {
                return Err(ReplicaError::DuplicateOrder(po_id.clone()));
            }
            for (i, line) in lines.iter().enumerate() {
                tx.prepare_cached("INSERT INTO po_lines (po_id, line_no, sku, ordered, received, unit_cost) VALUES (?1, ?2, ?3, ?4, 0, ?5)")?.execute(params![po_id, i as i64, line.sku, line.qty, line.unit_cost])?;
            }
        }
        Fact::PurchaseOrderAmended { .. } | Fact::PurchaseOrderCancelled { .. } => stock::project_po_change(tx, ts_ms, fact)?,
        Fact::GoodsReceived { po_id: Some(po_id), lines, .. } => {
            for line in lines {
                let updated = tx.prepare_cached("UPDATE po_lines SET received = received + ?3 WHERE po_id = ?1 AND sku = ?2")?.execute(params![po_id, line.sku, line.qty])?;
                if updated == 0 {
                    return Err(ReplicaError::NotOnOrder { po_id: po_id.clone(), what: line.sku.clone() });
                }
            }
        }
        _ => {}
    }
    members::register(tx, ts_ms, fact)?;
    members::fold(tx, seq, fact, true)?;
    stock::project_locations(tx, fact)?;
    for (sku, delta) in stock_delta(fact) {
        // Most SKUs already have a row: try the cheaper UPDATE first.
        if tx.prepare_cached("UPDATE stock SET qty = qty + ?2 WHERE sku = ?1")?.execute(params![sku, delta])? == 0 {
            tx.prepare_cached("INSERT INTO stock (sku, qty) VALUES (?1, ?2)")?.execute(params![sku, delta])?;
        }
    }
    for (account, delta) in stored_value_delta(fact) {
        let balance: i64 = tx
            .prepare_cached("INSERT INTO stored_value (account, balance) VALUES (?1, ?2) ON CONFLICT (account) DO UPDATE SET balance = balance + excluded.balance RETURNING balance")?
            .query_row(params![account, delta], |r| r.get(0))?;
        if delta < 0 {
            // The other stores' total as of the last snapshot counts; what this node spends
            // is kept by seq, to bound what the cloud has not confirmed (`balances`).
            let others: i64 = tx.prepare_cached("SELECT others FROM sv_others WHERE account = ?1")?.query_row([account], |r| r.get(0)).optional()?.unwrap_or(0);
            if balance + others < 0 {
                return Err(ReplicaError::InsufficientBalance { account: account.to_string(), balance: balance + others - delta, needed: -delta });
            }
            tx.prepare_cached("INSERT INTO sv_debits (account, seq, amount) VALUES (?1, ?2, ?3) ON CONFLICT (account, seq) DO UPDATE SET amount = amount + excluded.amount")?
                .execute(params![account, seq as i64, -delta])?;
        }
    }
    match drawer_change(fact) {
        DrawerChange::None | DrawerChange::Add(0) => {}
        DrawerChange::Add(delta) => {
            tx.prepare_cached("UPDATE drawer SET expected = expected + ?1 WHERE id = 1")?.execute([delta])?;
        }
        DrawerChange::Set(value) => {
            tx.prepare_cached("UPDATE drawer SET expected = ?1 WHERE id = 1")?.execute([value])?;
        }
    }
    Ok(())
}

/// The `offer_uses` rows a sale adds to: each offer once in all (member `""`) and once
/// for its member, with the pieces a flash sale sold.
pub(crate) fn offer_use_rows(sale: &opentill_core::sale::SaleRecord) -> impl Iterator<Item = (&str, &str, i64)> {
    sale.offers.iter().flat_map(move |o| {
        let all = Some((o.id.as_str(), "", o.flash_pieces));
        let member = sale.member.as_deref().map(|m| (o.id.as_str(), m, 0));
        all.into_iter().chain(member)
    })
}

fn open_shift_tx(tx: &Connection) -> Result<Option<(String, String)>> {
    Ok(tx.query_row("SELECT open_shift, open_cashier FROM drawer WHERE id = 1", [], |r| {
        Ok(match (r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?) {
            (Some(s), Some(c)) => Some((s, c)),
            _ => None,
        })
    })?)
}

/// The columns [`product_row`] reads, from a table aliased `p`.
pub(crate) const PRODUCT_COLUMNS: &str = "p.sku, p.name, p.name_zh, p.category, p.unit, p.price_minor, p.tax_bp, p.tags, p.parent_sku, p.specs, p.barcodes";

pub(crate) fn product_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    let unit = r.get_ref(4)?.as_str()?;
    let tags = r.get_ref(7)?.as_str()?;
    let specs = r.get_ref(9)?.as_str()?;
    let codes = r.get_ref(10)?.as_str()?;
    Ok(Product {
        sku: r.get(0)?,
        barcodes: codes.split(' ').filter(|c| !c.is_empty()).map(str::to_string).collect(),
        name: r.get(1)?,
        name_zh: r.get(2)?,
        category: r.get(3)?,
        unit: if unit == "kg" { Unit::Kg } else { Unit::Each },
        price_minor: r.get(5)?,
        tax_rate: TaxRate(r.get(6)?),
        tags: if tags.is_empty() { Vec::new() } else { tags.split(',').map(str::to_string).collect() },
        parent_sku: r.get(8)?,
        specs: if specs == "[]" { Vec::new() } else { serde_json::from_str(specs).unwrap_or_default() },
    })
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(2)?;
    Ok(User { user_id: r.get(0)?, name: r.get(1)?, role: Role::parse(&role).unwrap_or(Role::Cashier), pin_hash: r.get(3)?, active: r.get(4)? })
}

fn suspended_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suspended> {
    Ok(Suspended { basket_id: r.get(0)?, created_ms: r.get(1)?, label: r.get(2)?, basket_json: r.get(3)? })
}

fn write_key_file(path: &Path, key: &SigningKey) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_err(path))?;
    file.write_all(hex::encode(key.to_bytes()).as_bytes()).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))?;
    Ok(())
}

fn read_key_file(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let bytes: [u8; 32] = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| ReplicaError::KeyMismatch(path.to_path_buf()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_refuse_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let replica = Replica::create(dir.path(), StoreSettings::new("S1", "n1"), [1; 32]).unwrap();
        drop(replica);
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        drop(conn);
        // Opening again runs nothing new and keeps the data.
        let mut replica = Replica::open(dir.path()).unwrap();
        replica.append(1, &Fact::NoSale { shift_id: None, by: "m".into(), reason: "test".into() }).unwrap();
        drop(replica);
        assert_eq!(Replica::open(dir.path()).unwrap().head().unwrap().0, 1);
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Replica::open(dir.path()).unwrap_err();
        assert_eq!(err.to_string(), format!("database schema version 99 is newer than this OpenTill supports ({})", MIGRATIONS.len()));
    }

    #[test]
    fn a_wrong_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Replica::create(dir.path(), StoreSettings::new("S1", "n1"), [1; 32]).unwrap());
        std::fs::write(dir.path().join(KEY_FILE), hex::encode([2u8; 32])).unwrap();
        assert!(matches!(Replica::open(dir.path()), Err(ReplicaError::KeyMismatch(_))));
        assert!(matches!(Replica::create(dir.path(), StoreSettings::new("S1", "n1"), [1; 32]), Err(ReplicaError::AlreadyInitialized(_))));
    }
}
