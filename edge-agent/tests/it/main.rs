//! End-to-end tests of the `opentill-edge` binary, run as a real process.
#![allow(missing_docs)]

mod cli;
mod crash;
mod serve;
mod tamper;

use std::path::Path;
use std::process::{Command, Output};

pub const CATALOG: &str = "sku,barcode,name,name_zh,price,category,unit,tax_rate\n\
    DRK-1,6901234567892,Coca-Cola 330ml,可口可乐 330ml,3.50,drinks,each,13\n\
    DRK-2,6901234567908,Coca-Cola Zero 330ml,可口可乐零度 330ml,3.50,drinks,each,13\n\
    SNK-1,6920152400012,Lay's Cucumber Chips 70g,乐事黄瓜味薯片 70g,7.90,snacks,each,13\n\
    DAI-1,6907992100012,Yili Pure Milk 250ml,伊利纯牛奶 250ml,3.00,dairy,each,9\n\
    PRD-1,2000001000007,Banana,香蕉,6.98,produce,kg,9\n\
    INS-1,6920734700011,Master Kong Braised Beef Noodles,康师傅红烧牛肉面,4.50,instant,each,13\n";

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
