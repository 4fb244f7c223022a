//! OpenTill devices: retail barcodes (GTIN check digits), ESC/POS receipt printing (bytes
//! out, status back, and a decoder that turns printer bytes back into text), printer
//! transports, and the printer simulator behind `opentill-sim`. Scanners, displays and
//! scales build on this crate.
//!
//! ```
//! use opentill_hardware::barcode::{check_gtin, GtinError};
//! assert!(check_gtin("6901234567892").is_ok());
//! assert_eq!(check_gtin("6901234567893"), Err(GtinError::CheckDigit { expected: 2, found: 3 }));
//! ```
#![deny(missing_docs)]

pub mod barcode;
pub mod camera;
pub mod contract;
pub mod mqtt_sim;
pub mod display;
pub mod gs1;
pub mod image_decode;
pub mod escpos_decode;
pub mod receipt_printer;
pub mod scale;
pub mod scanner;
pub mod serial;
pub mod sim;
pub mod transport;
