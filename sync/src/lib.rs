//! OpenTill persistence: the node's local replica in SQLite, its signed, hash-chained,
//! append-only journal, and the projections (catalog lookup and search, stock, cash,
//! stored value, sold lines for analytics) that keep reads fast.
//!
//! ```
//! use opentill_core::journal::Fact;
//! use opentill_sync::{Replica, StoreSettings};
//!
//! let dir = std::env::temp_dir().join(format!("opentill-doc-{}", std::process::id()));
//! let _ = std::fs::remove_dir_all(&dir);
//! let mut replica = Replica::create(&dir, StoreSettings::new("S001", "till-1"), [7; 32]).unwrap();
//! let fact = Fact::StockAdjusted { sku: "COLA".into(), delta: 24, reason: "receive".into(), by: "m1".into(), location: None };
//! replica.append(1_795_311_000_000, &fact).unwrap();
//! assert_eq!(replica.stock("COLA").unwrap(), 24);
//! assert!(replica.verify(|_| {}).unwrap().is_ok());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![deny(missing_docs)]

pub mod docs;
pub mod hlc;
pub mod journal;
pub mod protocol;
pub mod push;
pub mod relay;
mod replica;
pub mod schema;
pub mod search;

pub use replica::analytics::DayGrouping;
pub use replica::o2o::{O2oSnapshot, PlacedOrder};
pub use replica::transfers::{NodeSeq, TransferSnapshot};
pub use replica::balances::{AccountTotal, BalanceSnapshot, DEFAULT_ALLOWANCE_MINOR, MemberTotal, SnapshotInfo, SnapshotOutcome};
pub use replica::docs::{CatalogPrices, DocStatus, DocUpdate, PriceChange};
pub use replica::offers::SetAside;
pub use replica::peers::PeerJournal;
pub use replica::stock::{PurchaseOrderRow, StocktakeRow, SupplierRow};
pub use replica::devices::{Alert, DeviceRow, MemberRow, ShelfSlot, Vend, VendState, settle_vend, take_from_slot};
pub use rusqlite;
/// What replica operations return.
pub type Result<T, E = ReplicaError> = std::result::Result<T, E>;
pub use replica::{Appended, DB_FILE, KEY_FILE, PrintJob, Replica, ReplicaError, StoreSettings, Suspended, User, VerifyReport};
