//! The cloud's own Ed25519 key, which signs period closings.
//!
//! The secret lives in a key file **beside the database** (`cloud.key` next to
//! `cloud.db`, hex, mode 0600), never in the database; the database records only the
//! public half (`Ledger::record_cloud_key`). So a copy of the database (a backup, a
//! replica, an analyst's extract) cannot forge a closing, and whoever can write the
//! database still cannot re-sign an edited one; the file is created on first start and a
//! key file that does not match the recorded public key is refused. This mirrors each
//! node's `node.key`.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::ledger::{Ledger, LedgerError};

/// Problems with the key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not hold a key.
    #[error("{0} does not hold an Ed25519 key (64 hex digits)")]
    Malformed(PathBuf),
    /// The database's closings were signed by another key.
    #[error("{path} holds key {found}, but this database's closings are signed by key {recorded}")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Its public key (hex).
        found: String,
        /// The recorded public key (hex).
        recorded: String,
    },
    /// The database has a key recorded, but its file is gone.
    #[error("this database's closings are signed by key {recorded}, but its key file {path} is missing: restore it from a backup (a new key would not verify the existing closings)")]
    Missing {
        /// The file expected.
        path: PathBuf,
        /// The recorded public key (hex).
        recorded: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Where the key of the database at `db_path` lives: `cloud.db` → `cloud.key`.
pub fn key_path_for(db_path: &Path) -> PathBuf {
    db_path.with_extension("key")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_path_buf(), source }
}

fn read(path: &Path) -> Result<Option<SigningKey>, KeyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes: [u8; 32] = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| KeyError::Malformed(path.to_path_buf()))?;
            Ok(Some(SigningKey::from_bytes(&bytes)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

fn write(path: &Path, key: &SigningKey) -> Result<(), KeyError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(hex::encode(key.to_bytes()).as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))?;
    Ok(())
}

/// The cloud's key: read from `path`, or created there (mode 0600) when neither the file
/// nor a recorded key exists; its public half is recorded in the ledger.
pub fn load_or_create(path: &Path, ledger: &mut dyn Ledger, now_ms: i64) -> Result<SigningKey, KeyError> {
    let recorded = ledger.cloud_key()?;
    let key = match (read(path)?, recorded) {
        (Some(key), _) => key,
        (None, Some(recorded)) => return Err(KeyError::Missing { path: path.to_path_buf(), recorded: hex::encode(recorded) }),
        (None, None) => {
            let mut secret = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
            let key = SigningKey::from_bytes(&secret);
            write(path, &key)?;
            tracing::info!(path = %path.display(), public_key = %hex::encode(key.verifying_key().as_bytes()), "created the cloud's closing key");
            key
        }
    };
    let public = key.verifying_key().to_bytes();
    if !ledger.record_cloud_key(public, now_ms)? {
        let recorded = ledger.cloud_key()?.map(hex::encode).unwrap_or_default();
        return Err(KeyError::Mismatch { path: path.to_path_buf(), found: hex::encode(public), recorded });
    }
    Ok(key)
}

/// The key closings are verified with, and where it came from: the key file's public half
/// (which must match the recorded one), or, without the file, the public key the database
/// recorded (an auditor's copy; then the check only proves the closings agree with the
/// database's own record). `None` when neither exists (no closing was ever signed).
pub fn verifying_key(path: &Path, ledger: &dyn Ledger) -> Result<Option<(VerifyingKey, KeySource)>, KeyError> {
    let recorded = ledger.cloud_key()?;
    match (read(path)?, recorded) {
        (Some(key), Some(recorded)) if key.verifying_key().to_bytes() != recorded => {
            Err(KeyError::Mismatch { path: path.to_path_buf(), found: hex::encode(key.verifying_key().as_bytes()), recorded: hex::encode(recorded) })
        }
        (Some(key), _) => Ok(Some((key.verifying_key(), KeySource::File))),
        (None, Some(recorded)) => Ok(VerifyingKey::from_bytes(&recorded).ok().map(|k| (k, KeySource::Database))),
        (None, None) => Ok(None),
    }
}

/// Where a verifying key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The key file.
    File,
    /// The public key recorded in the database.
    Database,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_db::{Backend, TestDb, on_both_backends};

    on_both_backends!(the_key_is_created_once_kept_private_and_must_match_the_database);

    fn the_key_is_created_once_kept_private_and_must_match_the_database(backend: Backend) {
        let db = TestDb::new(backend);
        let path = key_path_for(&db.dir().join("cloud.db"));
        assert_eq!(path, db.dir().join("cloud.key"));
        let mut ledger = db.open();
        let ledger = ledger.as_mut();
        let first = load_or_create(&path, ledger, 1).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(load_or_create(&path, ledger, 2).unwrap().to_bytes(), first.to_bytes(), "the same key on every start");
        assert_eq!(ledger.cloud_key().unwrap(), Some(first.verifying_key().to_bytes()));
        // Another key file for this database is refused.
        std::fs::remove_file(&path).unwrap();
        let err = load_or_create(&path, ledger, 3).unwrap_err();
        assert!(matches!(err, KeyError::Missing { .. }), "{err}");
        assert!(!path.exists(), "no new key is made for a database that has one");
        std::fs::write(&path, hex::encode([7u8; 32])).unwrap();
        let err = load_or_create(&path, ledger, 4).unwrap_err();
        assert!(matches!(err, KeyError::Mismatch { .. }), "{err}");
        // Without the file, verification falls back to the recorded public key.
        std::fs::remove_file(&path).unwrap();
        let (key, source) = verifying_key(&path, ledger).unwrap().unwrap();
        assert_eq!((key, source), (first.verifying_key(), KeySource::Database));
    }
}
