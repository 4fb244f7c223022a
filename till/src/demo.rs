//! The demo store: a replica set up from the built-in fixtures (`fixtures/catalog.csv`,
//! `fixtures/cashiers.csv`), so a new user can sell at once. `opentill-edge demo` starts
//! from it, and the Tauri window (`opentill-till`) opens one when its data directory is
//! new or empty ([`open_or_create`]).
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("opentill-demo-doc-{}", std::process::id()));
//! let _ = std::fs::remove_dir_all(&dir);
//! let (till, opened) = opentill_till::demo::open_or_create(&dir).unwrap();
//! assert_eq!(opened, opentill_till::demo::Opened::Created { products: 2392, staff: 4 });
//! assert!(till.login("c01", "1234").is_ok());
//! drop(till);
//! let (_, opened) = opentill_till::demo::open_or_create(&dir).unwrap();
//! assert_eq!(opened, opentill_till::demo::Opened::Existing);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::path::{Path, PathBuf};

use opentill_core::role::Role;
use opentill_core::rounding::{CashRounding, RoundingMode};
use opentill_sync::{DB_FILE, StoreSettings};

use crate::{Till, TillError};

/// The sample catalog (2,392 products), built in so the demo needs no files.
pub const CATALOG_CSV: &str = include_str!("../../fixtures/catalog.csv");
/// The sample staff: cashiers c01 (PIN 1234) and c02, supervisor s01, manager m01.
pub const CASHIERS_CSV: &str = include_str!("../../fixtures/cashiers.csv");

/// The demo store's settings: store `DEMO01`, node `till-1`, 抹零 to the jiao (down).
pub fn settings() -> StoreSettings {
    let mut settings = StoreSettings::new("DEMO01", "till-1");
    settings.name = "OpenTill Demo Store".into();
    settings.name_zh = "OpenTill 演示店".into();
    settings.address = "上海市浦东新区世纪大道100号".into();
    settings.cash_rounding = CashRounding::ToJiao(RoundingMode::Down);
    settings
}

/// What [`open_or_create`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The directory held a store, which was opened as it is.
    Existing,
    /// The directory was missing or empty; a demo store was made in it.
    Created {
        /// Products imported from the sample catalog.
        products: usize,
        /// Staff imported from the sample staff list.
        staff: usize,
    },
}

/// Creates the demo store in `dir` (which must not hold a store yet): the settings, the
/// sample catalog and the sample staff.
pub fn create(dir: &Path, progress: impl FnMut(usize, usize)) -> Result<(Till, Opened), TillError> {
    let mut till = Till::init_with(dir, settings())?;
    let summary = till.import_products(CATALOG_CSV.as_bytes(), false, progress)?;
    let staff = import_users(&mut till, CASHIERS_CSV)?;
    Ok((till, Opened::Created { products: summary.imported, staff }))
}

/// Opens the store in `dir`; when `dir` is missing or empty, makes the demo store there
/// first. A directory that holds other files but no store is refused
/// ([`TillError::NotAStore`]), so a mistyped path never fills someone's folder.
///
/// The demo store is built in a sibling directory and renamed into place once complete,
/// so a crash while importing leaves no half-made store behind.
pub fn open_or_create(dir: &Path) -> Result<(Till, Opened), TillError> {
    if dir.join(DB_FILE).exists() {
        return Ok((Till::open(dir)?, Opened::Existing));
    }
    let io = |source: std::io::Error| TillError::Replica(opentill_sync::ReplicaError::Io { path: dir.to_path_buf(), source });
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(TillError::NotAStore(dir.to_path_buf()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Err(TillError::NotAStore(dir.to_path_buf())),
        Err(e) => return Err(io(e)),
    }
    let building = building_dir(dir);
    let _ = std::fs::remove_dir_all(&building);
    let opened = match create(&building, |_, _| {}) {
        Ok((till, opened)) => {
            // Close the database before it moves: SQLite finds its WAL by the file's path.
            drop(till);
            opened
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&building);
            return Err(e);
        }
    };
    // rename(2) replaces an empty directory, and makes a missing one.
    if let Err(e) = std::fs::rename(&building, dir) {
        let _ = std::fs::remove_dir_all(&building);
        return Err(io(e));
    }
    Ok((Till::open(dir)?, opened))
}

/// `DIR.new-store` beside `DIR`.
fn building_dir(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "store".into());
    name.push(".new-store");
    dir.with_file_name(name)
}

/// Adds the staff listed in `text`, a CSV with the header `user_id,name,role,pin`
/// (the format of `fixtures/cashiers.csv`). Every line is checked before any is added.
pub fn import_users(till: &mut Till, text: &str) -> Result<usize, TillError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let header = lines.next().map(|(_, l)| l.trim().trim_start_matches('\u{feff}').to_string()).unwrap_or_default();
    if header != "user_id,name,role,pin" {
        return Err(TillError::BadInput(format!("the header row must be user_id,name,role,pin, not `{header}`")));
    }
    let mut users = Vec::new();
    for (idx, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [id, name, role, pin] = fields[..] else {
            return Err(TillError::BadInput(format!("line {}: expected 4 fields", idx + 1)));
        };
        let role = Role::parse(role).ok_or_else(|| TillError::BadInput(format!("line {}: role `{role}` must be cashier, supervisor or manager", idx + 1)))?;
        if !crate::auth::valid_pin(pin) {
            return Err(TillError::BadInput(format!("line {}: a PIN is 4 to 8 digits", idx + 1)));
        }
        users.push((id.to_string(), name.to_string(), role, pin.to_string()));
    }
    for (id, name, role, pin) in &users {
        till.add_user(id, name, *role, pin)?;
    }
    Ok(users.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_directory_becomes_the_demo_store_once() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("a/b/till");
        let (till, opened) = open_or_create(&missing).unwrap();
        assert!(matches!(opened, Opened::Created { products, staff: 4 } if products > 2000));
        assert_eq!(till.replica().settings().store_id, "DEMO01");
        drop(till);
        assert!(!building_dir(&missing).exists(), "nothing left beside it");
        let (till, opened) = open_or_create(&missing).unwrap();
        assert_eq!(opened, Opened::Existing);
        assert!(till.login("c01", "1234").is_ok());

        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(open_or_create(&empty).unwrap().1, Opened::Created { .. }));
    }

    #[test]
    fn a_directory_of_other_files_is_not_a_store() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = open_or_create(tmp.path()).unwrap_err();
        assert_eq!(err.kind(), "not_a_store");
        assert!(err.message(opentill_core::i18n::Lang::En).contains("not an OpenTill store"));
        assert!(err.message(opentill_core::i18n::Lang::Zh).contains("不是 OpenTill 门店"));
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "nothing was written");
        let file = tmp.path().join("notes.txt");
        assert_eq!(open_or_create(&file).unwrap_err().kind(), "not_a_store");
    }

    #[test]
    fn staff_lists_are_checked_before_any_is_added() {
        let tmp = tempfile::tempdir().unwrap();
        let mut till = Till::init(tmp.path(), "S1", "t1").unwrap();
        let bad = "user_id,name,role,pin\nc01,A,cashier,1234\nc02,B,cook,1234\n";
        assert!(import_users(&mut till, bad).unwrap_err().to_string().contains("line 3"));
        assert!(till.login("c01", "1234").is_err());
        assert_eq!(import_users(&mut till, CASHIERS_CSV).unwrap(), 4);
    }
}
