//! End-to-end tests: `opentill-cloud` and `opentill-edge` as real processes on loopback,
//! the cloud on SQLite and on PostgreSQL (a throwaway cluster of Debian's server, started
//! by the tests themselves: `scripts/setup.sh` installs it).
#![allow(missing_docs)]

mod analytics;
mod catalog;
mod cli;
mod closings;
mod compaction;
mod devices;
mod members;
mod o2o;
mod offers;
mod relay;
mod replication;
mod transfers;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use opentill_cloud::postgres::TempCluster;

/// The cloud's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An empty cloud database for one test: its `--db` value (and the cluster it lives in).
pub struct CloudDb {
    pub db: String,
    _cluster: Option<Arc<TempCluster>>,
}

impl CloudDb {
    /// SQLite in `dir/cloud/cloud.db` (the folder is created by the cloud), or a fresh
    /// database in this process's PostgreSQL cluster.
    pub fn new(backend: Backend, dir: &Path) -> CloudDb {
        match backend {
            Backend::Sqlite => CloudDb { db: format!("sqlite:{}", dir.join("cloud").join("cloud.db").display()), _cluster: None },
            Backend::Postgres => {
                let (cluster, url) = TempCluster::shared_database().unwrap_or_else(|e| panic!("{e}"));
                CloudDb { db: url, _cluster: Some(cluster) }
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
                super::$name($crate::Backend::Sqlite)
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                super::$name($crate::Backend::Postgres)
            })*
        }
    };
}
pub(crate) use on_both_backends;

/// Six products, one weighed; shared with the other packages' tests.
pub const CATALOG: &str = include_str!("../../../fixtures/test-catalog.csv");

pub fn cloud_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_opentill-cloud"))
}

/// The edge binary, built next to ours by `cargo test --workspace`; built here otherwise.
pub fn edge_bin() -> PathBuf {
    let path = cloud_bin().with_file_name(format!("opentill-edge{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo).args(["build", "-p", "opentill-edge"]).status().expect("run cargo build");
        assert!(status.success(), "building opentill-edge failed");
    }
    path
}

pub fn edge(args: &[&str]) -> Output {
    Command::new(edge_bin()).args(args).env("OPENTILL_LANG", "en").env_remove("OPENTILL_DATA").output().expect("run opentill-edge")
}

/// Runs `opentill-edge` with messages in `lang`.
pub fn edge_with_lang(args: &[&str], lang: &str) -> Output {
    Command::new(edge_bin()).args(args).env("OPENTILL_LANG", lang).env_remove("OPENTILL_DATA").output().expect("run opentill-edge")
}

pub fn ok(args: &[&str]) -> String {
    let out = edge(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `opentill-cloud` (messages in English).
pub fn cloud(args: &[&str]) -> Output {
    cloud_with(args, &[])
}

/// Runs `opentill-cloud` (messages in English) with more environment.
pub fn cloud_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(cloud_bin()).args(args).env("OPENTILL_LOG", "warn").env("OPENTILL_LANG", "en").envs(env.iter().copied()).output().expect("run opentill-cloud")
}

pub fn cloud_ok(args: &[&str]) -> String {
    let out = cloud(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A store with the small catalog, in `dir/name`.
pub fn store(dir: &Path, name: &str, store_id: &str, node: &str) -> String {
    let data = dir.join(name);
    let data = data.to_str().unwrap().to_string();
    ok(&["init", "--data", &data, "--store", store_id, "--node", node]);
    let csv = dir.join("catalog.csv");
    std::fs::write(&csv, CATALOG).unwrap();
    ok(&["import", "products", csv.to_str().unwrap(), "--data", &data]);
    data
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A running cloud; killed (SIGKILL) on drop.
pub struct Cloud {
    pub child: Child,
    pub url: String,
}

impl Cloud {
    /// Serves the database `db` (a `--db` value) on `port`.
    pub fn start(db: &str, port: u16) -> Cloud {
        Cloud::start_with(db, port, &[])
    }

    /// [`Cloud::start`] with more environment (`OPENTILL_CLOUD_KEY`, ...).
    pub fn start_with(db: &str, port: u16, env: &[(&str, &str)]) -> Cloud {
        let mut child = Command::new(cloud_bin())
            .args(["serve", "--db", db, "--listen", &format!("127.0.0.1:{port}")])
            .env("OPENTILL_LOG", "warn")
            .env("OPENTILL_CLOUD_ADMIN_TOKEN", ADMIN_TOKEN)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start opentill-cloud");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("opentill-cloud listening on http://"), "unexpected first line {line:?}");
        Cloud { child, url: line.trim().rsplit(' ').next().unwrap().to_string() }
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn get(&self, path: &str) -> serde_json::Value {
        let mut response = ureq::get(&format!("{}{path}", self.url)).header("authorization", format!("Bearer {ADMIN_TOKEN}")).call().unwrap();
        serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap()
    }

    /// GETs with the admin token; returns the body as text.
    pub fn get_text(&self, path: &str) -> String {
        let mut response = ureq::get(&format!("{}{path}", self.url)).header("authorization", format!("Bearer {ADMIN_TOKEN}")).call().unwrap();
        response.body_mut().read_to_string().unwrap()
    }

    /// POSTs JSON with the admin token; returns the status and the JSON body.
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent
            .post(&format!("{}{path}", self.url))
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes())
            .unwrap();
        (response.status().as_u16(), serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap())
    }

    /// GETs without the admin token; returns the status.
    pub fn get_status_without_token(&self, path: &str) -> u16 {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        agent.get(&format!("{}{path}", self.url)).call().unwrap().status().as_u16()
    }

    /// POSTs raw bytes to `/v1/sync`; returns the status and the body.
    pub fn post_sync(&self, bytes: &[u8]) -> (u16, Vec<u8>) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent.post(&format!("{}/v1/sync", self.url)).header("content-type", "application/octet-stream").send(bytes).unwrap();
        (response.status().as_u16(), response.body_mut().read_to_vec().unwrap())
    }
}

impl Drop for Cloud {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
