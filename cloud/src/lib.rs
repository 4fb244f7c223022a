//! The OpenTill cloud ledger: enrols nodes with one-time codes, ingests their journals
//! through the replication protocol of [`opentill_sync::protocol`] (verifying each node's
//! signatures and hash chain), keeps the grow-only set of entries keyed by `(node, seq)`,
//! totals per store in integer minor units, and quarantines and alerts on anything that
//! does not verify.
//!
//! Storage sits behind [`ledger::Ledger`]: [`sqlite::SqliteLedger`] (one file, the
//! default) and [`postgres::PostgresLedger`] (for several stateless servers), with the
//! same behaviour; [`open_ledger`] picks one from a `--db` value.
//!
//! ```
//! use opentill_cloud::ledger::{Ledger, StorePath};
//! use opentill_cloud::sqlite::SqliteLedger;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut ledger = SqliteLedger::open(&dir.path().join("cloud.db")).unwrap();
//! let path = StorePath { tenant: "acme".into(), brand: "acme-mart".into(), store_id: "S1".into() };
//! let code = opentill_cloud::new_code();
//! ledger.add_enrol_code(&path, opentill_cloud::code_hash(&code), 0, 60_000).unwrap();
//! assert_eq!(ledger.totals().unwrap()[0].totals.sales_minor, 0);
//! ```
#![deny(missing_docs)]

pub mod analytics;
pub mod balances;
pub mod close;
pub mod closing;
pub mod docs;
pub mod export;
pub mod http;
pub mod ingest;
pub mod key;
pub mod ledger;
pub mod o2o;
pub mod offers;
pub mod postgres;
pub mod report;
pub mod sqlite;
pub mod transfers;
#[cfg(test)]
mod test_db;

use sha2::{Digest, Sha256};

use crate::ledger::{Ledger, LedgerError};

/// Why [`open_ledger`] could not open a ledger.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Neither `sqlite:` nor `postgres://`.
    #[error("--db `{0}` must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE")]
    Unrecognised(String),
    /// A `postgres://` value that does not parse.
    #[error("--db `{url}` is not a valid PostgreSQL URL ({reason}); expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")]
    BadUrl {
        /// The value, without its password.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The SQLite file's folder could not be created.
    #[error("creating {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The database refused or failed.
    #[error("opening {db}: {source}")]
    Ledger {
        /// The `--db` value, without its password.
        db: String,
        /// Why.
        source: LedgerError,
    },
}

/// `url` with its password (if any) replaced by `***`, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Opens (creating or migrating as needed) the ledger a `--db` value names:
/// `sqlite:PATH` (its folder is created) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
/// (also `postgresql://`; the database must exist).
pub fn open_ledger(db: &str) -> Result<Box<dyn Ledger>, OpenError> {
    if let Some(path) = db.strip_prefix("sqlite:") {
        let path = std::path::PathBuf::from(path);
        if path.as_os_str().is_empty() {
            return Err(OpenError::Unrecognised(db.to_string()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::Folder { path: dir.display().to_string(), source })?;
        }
        return match sqlite::SqliteLedger::open(&path) {
            Ok(ledger) => Ok(Box::new(ledger)),
            Err(source) => Err(OpenError::Ledger { db: db.to_string(), source }),
        };
    }
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        let config: ::postgres::Config = db.parse().map_err(|e| OpenError::BadUrl { url: redact_url(db), reason: postgres::describe(&e) })?;
        if config.get_hosts().is_empty() {
            return Err(OpenError::BadUrl { url: redact_url(db), reason: "no host".into() });
        }
        return match postgres::PostgresLedger::with_config(config) {
            Ok(ledger) => Ok(Box::new(ledger)),
            Err(source) => Err(OpenError::Ledger { db: redact_url(db), source }),
        };
    }
    Err(OpenError::Unrecognised(redact_url(db)))
}

/// The current time in unix milliseconds (only the shell reads the clock).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// How a one-time code is stored: only its hash.
pub fn code_hash(normalized_code: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"opentill/enrol-code/v1\0");
    hasher.update(normalized_code.as_bytes());
    hasher.finalize().into()
}

/// A new one-time code: 10 characters of Crockford base32 (50 bits), shown as `XXXXX-XXXXX`
/// and stored normalized (without the dash).
pub fn new_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rngs::OsRng;
    (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// Serves the HTTP API on `listener` until `shutdown` resolves (see [`http::router`] for
/// `admin_token`), without a closing key.
pub async fn serve(listener: tokio::net::TcpListener, ledger: http::Shared, admin_token: Option<String>, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    serve_with_key(listener, ledger, admin_token, None, shutdown).await
}

/// [`serve`], signing period closings with `closing_key` (see [`key::load_or_create`]).
pub async fn serve_with_key(
    listener: tokio::net::TcpListener,
    ledger: http::Shared,
    admin_token: Option<String>,
    closing_key: Option<ed25519_dalek::SigningKey>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, http::router_with_key(ledger, admin_token, closing_key)).with_graceful_shutdown(shutdown).await
}
