//! Ledgers for the unit tests, on either backend: SQLite in a temp folder, or a fresh
//! database in the throwaway PostgreSQL cluster this test process shares
//! ([`TempCluster::shared_database`]). `on_both_backends!(name, ...)` turns each
//! `fn name(backend: Backend)` into the tests `sqlite::name` and `postgres::name`.

use std::path::Path;
use std::sync::Arc;

use crate::ledger::Ledger;
use crate::postgres::TempCluster;

/// A storage backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// An empty database of one backend, and a folder for anything else a test writes.
pub(crate) struct TestDb {
    pub(crate) backend: Backend,
    /// The `--db` value.
    pub(crate) db: String,
    dir: tempfile::TempDir,
    _cluster: Option<Arc<TempCluster>>,
}

impl TestDb {
    pub(crate) fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let (db, cluster) = match backend {
            Backend::Sqlite => (format!("sqlite:{}", dir.path().join("cloud.db").display()), None),
            Backend::Postgres => {
                let (cluster, url) = TempCluster::shared_database().unwrap_or_else(|e| panic!("{e}"));
                (url, Some(cluster))
            }
        };
        TestDb { backend, db, dir, _cluster: cluster }
    }

    /// A ledger on this database (a new connection each time).
    pub(crate) fn open(&self) -> Box<dyn Ledger> {
        crate::open_ledger(&self.db).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The temp folder.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs SQL behind the ledger's back, on a connection of its own; the error's text if it fails.
    pub(crate) fn raw(&self, sql: &str) -> Result<(), String> {
        match self.backend {
            Backend::Sqlite => rusqlite::Connection::open(self.dir.path().join("cloud.db")).unwrap().execute_batch(sql).map_err(|e| e.to_string()),
            Backend::Postgres => {
                let mut client = ::postgres::Client::connect(&self.db, ::postgres::NoTls).unwrap();
                client.batch_execute(sql).map_err(|e| crate::postgres::describe(&e))
            }
        }
    }
}

/// For each `fn name(backend: Backend)` in scope, the tests `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name($crate::test_db::Backend::Sqlite)
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                super::$name($crate::test_db::Backend::Postgres)
            })*
        }
    };
}
pub(crate) use on_both_backends;
