//! End-to-end tests of the `opentill-edge` binary, run as a real process.
#![allow(missing_docs)]

mod cli;
mod crash;
mod devices;
mod printing;
mod serve;
mod tamper;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

/// Six products, one weighed; shared with the other packages' tests.
pub const CATALOG: &str = include_str!("../../../fixtures/test-catalog.csv");

pub fn edge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opentill-edge")).args(args).env("OPENTILL_LANG", "en").env_remove("OPENTILL_DATA").output().expect("run opentill-edge")
}

pub fn ok(args: &[&str]) -> String {
    let out = edge(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A store with the small catalog and two users.
pub fn store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store");
    let data = data.to_str().unwrap();
    ok(&["init", "--data", data, "--store", "SH001"]);
    let csv = dir.path().join("catalog.csv");
    std::fs::write(&csv, CATALOG).unwrap();
    ok(&["import", "products", csv.to_str().unwrap(), "--data", data]);
    ok(&["user", "add", "--data", data, "--id", "c01", "--name", "Wang Fang", "--role", "cashier", "--pin", "1234"]);
    ok(&["user", "add", "--data", data, "--id", "s01", "--name", "Zhang Wei", "--role", "supervisor", "--pin", "9001"]);
    dir
}

pub fn data(dir: &tempfile::TempDir) -> String {
    dir.path().join("store").to_str().unwrap().to_string()
}

pub fn db(dir: &Path) -> std::path::PathBuf {
    dir.join("store").join("opentill.db")
}

/// One HTTP request to a local server; returns the status and the JSON body.
pub fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Language: en\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status: u16 = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}
