//! OpenTill's domain, pure: money, tax, catalog types, the basket, tenders, refunds,
//! receipts, shift and sales reports, sales analytics, and the facts the journal records.
//!
//! Nothing here does I/O, reads a clock or draws a random number: callers pass in
//! timestamps and new ids. That makes every rule here a plain function to test.
//!
//! ```
//! use opentill_core::{basket::Basket, catalog::{Product, Unit}, money::Currency,
//!     rounding::CashRounding, sale::{SaleContext, complete_sale}, tax::{TaxMode, TaxRate},
//!     tender::{Tender, TenderKind}};
//!
//! let cola = Product { sku: "COLA".into(), barcodes: vec!["6901234567892".into()],
//!     name: "Cola 330ml".into(), name_zh: "可乐 330ml".into(), category: "drinks".into(),
//!     tags: vec![], unit: Unit::Each, price_minor: 350, tax_rate: TaxRate(1300),
//!     parent_sku: None, specs: vec![] };
//! let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
//! basket.add(&cola, 3).unwrap();
//! let cash = Tender { kind: TenderKind::Cash, amount: 2000, reference: None };
//! let ctx = SaleContext { sale_id: "S1".into(), shift_id: None, cashier: None };
//! let sale = complete_sale(&basket, &[cash], CashRounding::None, ctx).unwrap();
//! assert_eq!((sale.total, sale.change), (1050, 950));
//! ```
#![deny(missing_docs)]

pub mod allowance;
pub mod analytics;
pub mod basket;
pub mod catalog;
pub mod commission;
pub mod fold;
pub mod i18n;
pub mod journal;
pub mod member;
pub mod money;
pub mod o2o;
pub mod promo;
pub mod receipt;
pub mod refund;
pub mod report;
pub mod role;
pub mod rounding;
pub mod sale;
pub mod shift;
pub mod shrink;
pub mod stock;
pub mod tax;
pub mod tender;
pub mod time;
pub mod transfer;
