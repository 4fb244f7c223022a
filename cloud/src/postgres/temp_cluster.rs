//! A throwaway PostgreSQL cluster for tests and benchmarks: Debian's server binaries
//! (`/usr/lib/postgresql/*/bin`), a fresh data directory under the temp dir, listening on
//! a free loopback port only, stopped and deleted on drop.
//!
//! `initdb` refuses to run as root, so when this process is root the cluster belongs to
//! the `postgres` user (its directory is handed over, and `initdb` and `pg_ctl` run
//! through `runuser -u postgres --`). Either way the superuser is `postgres`, trusted on
//! loopback, so [`TempCluster::url`] needs no password.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, Weak};

/// Why a cluster could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No server binaries.
    #[error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/setup.sh")]
    NotInstalled,
    /// A command failed.
    #[error("{what} failed: {detail}")]
    Failed {
        /// The command.
        what: String,
        /// Its output or the server log.
        detail: String,
    },
    /// A file operation failed.
    #[error("temporary PostgreSQL cluster: {0}")]
    Io(#[from] std::io::Error),
    /// Creating a database failed.
    #[error("temporary PostgreSQL cluster: {0}")]
    Postgres(#[from] ::postgres::Error),
}

/// A running throwaway cluster.
#[derive(Debug)]
pub struct TempCluster {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    port: u16,
}

/// The newest installed server's `bin` folder (`OPENTILL_PG_BIN` chooses another).
fn server_bin() -> Result<PathBuf, ClusterError> {
    if let Some(dir) = std::env::var_os("OPENTILL_PG_BIN") {
        let dir = PathBuf::from(dir);
        if !dir.join("initdb").exists() {
            return Err(ClusterError::Failed { what: "OPENTILL_PG_BIN".into(), detail: format!("there is no initdb in {}", dir.display()) });
        }
        return Ok(dir);
    }
    newest_server_in(Path::new("/usr/lib/postgresql"))
}

/// The `bin` folder of the newest `ROOT/VERSION/bin` holding `initdb` and `pg_ctl`.
fn newest_server_in(root: &Path) -> Result<PathBuf, ClusterError> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|_| ClusterError::NotInstalled)?
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or(ClusterError::NotInstalled)
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn id_of_postgres(flag: &str) -> Result<u32, ClusterError> {
    let out = Command::new("id").args([flag, "postgres"]).output()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|_| ClusterError::Failed {
        what: format!("id {flag} postgres"),
        detail: "there is no `postgres` user to run the server as (initdb refuses root): run scripts/setup.sh".into(),
    })
}

impl TempCluster {
    /// Creates and starts a cluster. `durable: false` turns fsync off (tests); the
    /// benchmark keeps PostgreSQL's defaults (`fsync = on`, `synchronous_commit = on`).
    pub fn start(durable: bool) -> Result<TempCluster, ClusterError> {
        let bin = server_bin()?;
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("opentill-pg-{}-{n}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir(&dir)?;
        let as_postgres = std::fs::metadata(&dir)?.uid() == 0;
        let mut cluster = TempCluster { dir, bin, as_postgres, port: 0 };
        if as_postgres {
            std::os::unix::fs::chown(&cluster.dir, Some(id_of_postgres("-u")?), Some(id_of_postgres("-g")?))?;
        }
        let data = cluster.data();
        cluster.run("initdb", &["-D", path_str(&data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])?;
        let mut conf = String::from("\n# opentill temp cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\n");
        if !durable {
            conf += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
        }
        let conf_path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_path)?;
        text += &conf;
        std::fs::write(&conf_path, text)?;
        // The port is free when picked but may be taken before the server binds it.
        let mut last = None;
        for _ in 0..5 {
            cluster.port = free_port()?;
            let log = cluster.dir.join("server.log");
            match cluster.run("pg_ctl", &["start", "-w", "-t", "60", "-D", path_str(&data), "-l", path_str(&log), "-o", &format!("-p {}", cluster.port)]) {
                Ok(_) => return Ok(cluster),
                Err(e) => last = Some(e),
            }
        }
        cluster.port = 0;
        Err(last.expect("tried at least once"))
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs a server program (as `postgres` when we are root).
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, ClusterError> {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = command.args(args).current_dir(&self.dir).env("LC_ALL", "C").output()?;
        if out.status.success() {
            return Ok(out);
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        Err(ClusterError::Failed { what: format!("{} {}", program.display(), args.join(" ")), detail: format!("{}{}{log}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)) })
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` as the superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database named `name` (letters, digits and `_`) and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, ClusterError> {
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "database name {name:?}");
        let mut client = ::postgres::Client::connect(&self.url("postgres"), ::postgres::NoTls)?;
        client.batch_execute(&format!("CREATE DATABASE {name}"))?;
        Ok(self.url(name))
    }

    /// A fresh database in the cluster this process shares between its tests (started
    /// with fsync off when no test holds it, stopped when the last one lets it go).
    pub fn shared_database() -> Result<(Arc<TempCluster>, String), ClusterError> {
        static SHARED: Mutex<Weak<TempCluster>> = Mutex::new(Weak::new());
        static DATABASES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let cluster = {
            let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
            match shared.upgrade() {
                Some(cluster) => cluster,
                None => {
                    let cluster = Arc::new(TempCluster::start(false)?);
                    *shared = Arc::downgrade(&cluster);
                    cluster
                }
            }
        };
        let n = DATABASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let url = cluster.create_database(&format!("test_{n}"))?;
        Ok((cluster, url))
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data();
            if let Err(e) = self.run("pg_ctl", &["stop", "-w", "-m", "immediate", "-D", path_str(&data)]) {
                eprintln!("stopping the temporary PostgreSQL cluster: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_postgresql_the_message_says_to_run_setup() {
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(empty.path().join("15/bin")).unwrap();
        for root in [empty.path().join("missing"), empty.path().to_path_buf()] {
            let err = newest_server_in(&root).unwrap_err().to_string();
            assert_eq!(err, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/setup.sh");
        }
    }
}
