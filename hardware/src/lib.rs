//! OpenTill devices. Today: understanding retail barcodes (GTIN check digits), which the
//! catalog import and the till use to reject mistyped codes. Scanners, printers, displays,
//! scales and their simulators build on this crate.
//!
//! ```
//! use opentill_hardware::barcode::{check_gtin, GtinError};
//! assert!(check_gtin("6901234567892").is_ok());
//! assert_eq!(check_gtin("6901234567893"), Err(GtinError::CheckDigit { expected: 2, found: 3 }));
//! ```
#![deny(missing_docs)]

pub mod barcode;
