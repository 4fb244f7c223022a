//! Till integration tests: a real replica in a temporary directory, a fixed clock.
#![allow(missing_docs)]

mod analytics;
mod api;
mod flows;
mod members;
mod promotions;
mod promotions_api;
mod stock;
mod vending;

use std::sync::atomic::{AtomicI64, Ordering};

use opentill_core::rounding::{CashRounding, RoundingMode};
use opentill_sync::StoreSettings;
use opentill_till::{Clock, Till};

/// 2026-11-22 09:30 in Shanghai, advancing one minute per reading.
pub struct StepClock(AtomicI64);

impl Clock for StepClock {
    fn now_ms(&self) -> i64 {
        self.0.fetch_add(60_000, Ordering::SeqCst)
    }
}

/// Six products, one weighed; shared with the other packages' tests.
pub const CATALOG: &str = include_str!("../../../fixtures/test-catalog.csv");

pub fn store(rounding: CashRounding) -> (tempfile::TempDir, Till) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = StoreSettings::new("SH001", "till-1");
    settings.name = "OpenTill Test Store".into();
    settings.name_zh = "OpenTill 测试店".into();
    settings.address = "上海市世纪大道100号".into();
    settings.cash_rounding = rounding;
    // The accounts are set up before the store's clock starts, so they take none of its
    // minutes (adding one stamps the staff document with the clock).
    let mut till = Till::init_with(dir.path(), settings).unwrap();
    till.add_user("c01", "王芳", opentill_core::role::Role::Cashier, "1234").unwrap();
    till.add_user("s01", "张伟", opentill_core::role::Role::Supervisor, "9001").unwrap();
    let mut till = till.with_clock(Box::new(StepClock(AtomicI64::new(1_795_311_000_000))));
    till.import_products(CATALOG.as_bytes(), false, |_, _| {}).unwrap();
    (dir, till)
}

/// A scan of `qty` (pieces, or kg for weighed products).
pub fn scan_qty(code: &str, qty: &str) -> opentill_till::ScanInput {
    opentill_till::ScanInput { code: code.into(), qty: Some(qty.into()) }
}

/// Cash, in minor units.
pub fn cash_minor(minor: i64) -> opentill_core::tender::Tender {
    opentill_core::tender::Tender { kind: opentill_core::tender::TenderKind::Cash, amount: minor, reference: None }
}

pub fn jiao() -> CashRounding {
    CashRounding::ToJiao(RoundingMode::Down)
}
