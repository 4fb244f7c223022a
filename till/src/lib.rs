//! The till: every till operation (sell, refund, shifts, cash, stock, stored value,
//! suspend and resume, reports) over a node's local replica, and the local HTTP API
//! ([`api::router`]) that exposes them to the UI, the Tauri shell and scripts.
//!
//! The till reads the clock and makes new ids (time-ordered UUIDv7) and passes them to
//! the pure core; every fact it records goes through [`opentill_sync::Replica::append`],
//! which makes it durable before returning.
//!
//! ```
//! use opentill_till::{Till, ScanInput};
//! use opentill_core::tender::{Tender, TenderKind};
//!
//! let dir = std::env::temp_dir().join(format!("opentill-till-doc-{}", std::process::id()));
//! let _ = std::fs::remove_dir_all(&dir);
//! let mut till = Till::init(&dir, "S001", "till-1").unwrap();
//! let csv = "sku,barcode,name,name_zh,price,category,unit,tax_rate\n\
//!            COLA,6901234567892,Cola 330ml,可乐 330ml,3.50,drinks,each,13\n";
//! till.import_products(csv.as_bytes(), false, |_, _| {}).unwrap();
//! let scans = vec![ScanInput { code: "6901234567892".into(), qty: Some("2".into()) }];
//! let cash = Tender { kind: TenderKind::Cash, amount: 1000, reference: None };
//! let done = till.sell(None, &scans, &[cash], None).unwrap();
//! assert_eq!((done.sale.total, done.sale.change), (700, 300));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![deny(missing_docs)]

pub mod analytics;
pub mod api;
pub mod auth;
pub mod demo;
pub mod devices;
pub mod error;
pub mod import;
pub mod members;
pub mod o2o;
pub mod pricing;
pub mod printing;
pub mod stock;
pub mod suspended;
pub mod transfers;
pub mod vending;

use std::path::Path;

use opentill_core::basket::Basket;
use opentill_core::catalog::{Product, Unit};
use opentill_core::i18n::Lang;
use opentill_core::journal::{CashDirection, Fact, VoidRecord};
use opentill_core::money::parse_minor;
use opentill_core::receipt::{Layout, StoreHeader, WIDTH_58MM, refund_receipt, sale_receipt};
use opentill_core::refund::{RefundContext, RefundRecord, plan_refund};
use opentill_core::report::{SalesReport, sales_report};
use opentill_core::role::{Actor, Permission, Role};
use opentill_core::sale::{SaleContext, SaleRecord, VoidedLine, complete_sale};
use opentill_core::shift::{ReportKind, ShiftReport, shift_report};
use opentill_core::tender::{Tender, TenderKind};
use opentill_core::time::parse_date_ms;
use opentill_sync::{Replica, StoreSettings, User, VerifyReport};
use tracing::{info, instrument};

pub use error::TillError;
pub use import::RowError;
pub use pricing::Shopper;
pub use suspended::SuspendedSale;

type Result<T, E = TillError> = std::result::Result<T, E>;

/// Where the till gets the time. Tests pass a fixed clock.
pub trait Clock: Send + Sync {
    /// Unix milliseconds.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }
}

/// A new time-ordered id: a UUIDv7 as 32 hex digits, which fits one receipt line.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Prices and discounts changed by hand on a sale, and who allowed them. Lines are the
/// basket's, counted from 0 (the API and receipts number them from 1).
#[derive(Debug, Clone, Default)]
pub struct Adjustments {
    /// The supervisor or manager who allowed them.
    pub by: Option<Actor>,
    /// New unit prices.
    pub prices: Vec<(usize, i64)>,
    /// Line discounts.
    pub discounts: Vec<(usize, opentill_core::basket::Discount)>,
    /// A discount on the whole sale.
    pub basket: Option<opentill_core::basket::Discount>,
}

impl Adjustments {
    /// Whether nothing is changed.
    pub fn is_empty(&self) -> bool {
        self.prices.is_empty() && self.discounts.is_empty() && self.basket.is_none()
    }

    /// Applies them to a basket, all or nothing.
    pub fn apply(&self, basket: &mut Basket) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let Some(by) = &self.by else { return Err(TillError::BadInput("prices and discounts changed by hand need a supervisor's id and PIN".into())) };
        let mut next = basket.clone();
        for &(line, price) in &self.prices {
            next.override_price(line, price, by)?;
        }
        for &(line, discount) in &self.discounts {
            next.discount_line(line, discount, by)?;
        }
        if let Some(discount) = self.basket {
            next.discount_basket(discount, by)?;
        }
        *basket = next;
        Ok(())
    }
}

/// One scanned code and an optional quantity as typed: pieces (`3`) or kilograms (`0.532`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanInput {
    /// Barcode.
    pub code: String,
    /// Quantity text.
    pub qty: Option<String>,
}

/// How long a supervisor's approval of price changes on a sale in progress stands.
pub const APPROVAL_MS: i64 = 12 * 3_600_000;

/// A sale that was recorded.
#[derive(Debug, Clone)]
pub struct SaleDone {
    /// The sale.
    pub sale: SaleRecord,
    /// When it was recorded.
    pub ts_ms: i64,
    /// Its journal sequence number.
    pub seq: u64,
    /// False when the same sale id had already been recorded and this is the earlier result.
    pub new: bool,
}

/// A refund that was recorded.
#[derive(Debug, Clone)]
pub struct RefundDone {
    /// The refund.
    pub refund: RefundRecord,
    /// The original sale.
    pub sale: SaleRecord,
    /// When.
    pub ts_ms: i64,
}

/// Counts of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows read (blank lines excluded).
    pub rows: usize,
    /// Products written.
    pub imported: usize,
    /// Rows skipped (only with `skip_bad`).
    pub skipped: Vec<RowError>,
}

/// The till over one replica.
pub struct Till {
    replica: Replica,
    clock: Box<dyn Clock>,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till").field("replica", &self.replica).finish()
    }
}

fn validate_id(text: &str, what: &str) -> Result<()> {
    if text.is_empty() || text.len() > 64 || !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
        return Err(TillError::BadInput(format!("{what} `{text}` must be 1 to 64 letters, digits, '-', '_' or '.'")));
    }
    Ok(())
}

impl Till {
    /// Creates a new store replica in `dir` with a fresh node key.
    pub fn init(dir: &Path, store_id: &str, node_id: &str) -> Result<Till> {
        Self::init_with(dir, StoreSettings::new(store_id, node_id))
    }

    /// Creates a new store replica with the given settings.
    pub fn init_with(dir: &Path, settings: StoreSettings) -> Result<Till> {
        validate_id(&settings.store_id, "store id")?;
        validate_id(&settings.node_id, "node id")?;
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret).map_err(|e| TillError::BadInput(format!("no randomness for the node key: {e}")))?;
        let replica = Replica::create(dir, settings, secret)?;
        Ok(Till { replica, clock: Box::new(SystemClock) })
    }

    /// Opens the store in `dir`.
    pub fn open(dir: &Path) -> Result<Till> {
        Ok(Till { replica: Replica::open(dir)?, clock: Box::new(SystemClock) })
    }

    /// Now, by this till's clock (ms since the epoch).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Replaces the clock (tests, replays).
    pub fn with_clock(mut self, clock: Box<dyn Clock>) -> Till {
        self.clock = clock;
        self
    }

    /// The replica, for reads.
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// The replica, for writes that have no till rule around them (settings).
    pub fn replica_mut(&mut self) -> &mut Replica {
        &mut self.replica
    }

    /// The store header printed on receipts.
    pub fn store_header(&self) -> StoreHeader {
        let s = self.replica.settings();
        StoreHeader { store_id: s.store_id.clone(), name: s.name.clone(), name_zh: s.name_zh.clone(), address: s.address.clone() }
    }

    /// A receipt layout for a language on the store's paper (58 mm: 32 columns, 80 mm: 48).
    pub fn layout(&self, lang: Lang) -> Layout {
        let settings = self.replica.settings();
        let width = if settings.paper_mm == 80 { opentill_core::receipt::WIDTH_80MM } else { WIDTH_58MM };
        Layout { lang, width, utc_offset_min: settings.utc_offset_min }
    }

    /// The store logo printed at the top of receipts (`logo.png` in the data directory), if any.
    pub fn logo_path(&self) -> Option<std::path::PathBuf> {
        let path = self.replica.dir().join("logo.png");
        path.exists().then_some(path)
    }

    /// Sets the store's receipt header and paper width (`name`, `name_zh`, `address`,
    /// `paper_mm`: see `opentill_sync::docs::settings`) for every till of the store: an
    /// edit of the shared settings document, each value checked first.
    pub fn set_store_settings(&mut self, values: &[(&str, String)]) -> Result<()> {
        let store = self.replica.settings().store_id.clone();
        for (field, value) in values {
            opentill_sync::docs::settings::check(&store, field, value).map_err(|e| TillError::BadInput(e.to_string()))?;
        }
        let now = self.clock.now_ms();
        self.replica.set_store_settings(values, now)?;
        Ok(())
    }

    // ---- catalog ----

    /// Imports a catalog CSV. Unless `skip_bad`, any bad row rejects the whole file and
    /// nothing is imported. `progress(done, total)` is called as products are written.
    #[instrument(skip_all, fields(skip_bad))]
    pub fn import_products(&mut self, input: impl std::io::Read, skip_bad: bool, mut progress: impl FnMut(usize, usize)) -> Result<ImportSummary> {
        let currency = self.replica.settings().currency;
        let (products, mut errors, rows) = import::parse_catalog(input, currency).map_err(|(en, zh)| TillError::BadImportFile(en, zh))?;
        if !errors.is_empty() && !skip_bad {
            return Err(TillError::Import { errors, rows });
        }
        // Codes owned by products outside this file cannot move silently.
        let mut good = Vec::with_capacity(products.len());
        for product in products {
            let mut taken = None;
            for code in &product.barcodes {
                if let Some(owner) = self.replica.barcode_owner(code)?
                    && owner != product.sku
                {
                    taken = Some((code.clone(), owner));
                    break;
                }
            }
            match taken {
                Some((code, owner)) => errors.push(RowError {
                    line: 0,
                    reason: format!("{}: barcode {code} already belongs to {owner}", product.sku),
                    reason_zh: format!("{}：条码 {code} 已属于商品 {owner}", product.sku),
                }),
                None => good.push(product),
            }
        }
        if !errors.is_empty() && !skip_bad {
            return Err(TillError::Import { errors, rows });
        }
        let total = good.len();
        let now = self.clock.now_ms();
        // One transaction: the import lands whole or not at all, even on a crash.
        self.replica.upsert_products(&good, now, |n| {
            if n % 1000 == 0 || n == total {
                progress(n, total);
            }
        })?;
        info!(imported = total, skipped = errors.len(), "imported products");
        Ok(ImportSummary { rows, imported: total, skipped: errors })
    }

    /// Looks a barcode up.
    pub fn lookup(&self, code: &str) -> Result<Product> {
        check_code(code)?;
        self.replica.product_by_barcode(code)?.ok_or_else(|| TillError::UnknownBarcode(code.to_string()))
    }

    /// Searches by name, pinyin or pinyin initials.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Product>> {
        Ok(self.replica.search_products(query, limit.clamp(1, 200))?)
    }

    // ---- users ----

    /// Adds or updates a staff account.
    pub fn add_user(&mut self, user_id: &str, name: &str, role: Role, pin: &str) -> Result<()> {
        validate_id(user_id, "user id")?;
        if !auth::valid_pin(pin) {
            return Err(TillError::BadInput("a PIN is 4 to 8 digits".into()));
        }
        if name.trim().is_empty() || name.len() > 100 {
            return Err(TillError::BadInput("a user needs a name of at most 100 characters".into()));
        }
        let pin_hash = auth::hash_pin(pin).map_err(TillError::BadInput)?;
        let now = self.clock.now_ms();
        self.replica.upsert_user(&User { user_id: user_id.into(), name: name.trim().into(), role, pin_hash, active: true }, now)?;
        Ok(())
    }

    /// Checks a user's PIN.
    pub fn login(&self, user_id: &str, pin: &str) -> Result<Actor> {
        let user = self.replica.user(user_id)?.filter(|u| u.active).ok_or(TillError::AuthFailed)?;
        if !auth::verify_pin(pin, &user.pin_hash) {
            return Err(TillError::AuthFailed);
        }
        Ok(Actor { user_id: user.user_id, role: user.role })
    }

    /// A supervisor approves hand-made price changes (price overrides, discounts) on the
    /// sale in progress `sale_id`: answers the token the sale then carries instead of their
    /// PIN, with who approved. The changes themselves are checked against their role when
    /// the sale is priced or recorded.
    pub fn approve(&mut self, user_id: &str, pin: &str, sale_id: &str) -> Result<(String, Actor)> {
        validate_id(sale_id, "sale id")?;
        let actor = self.login(user_id, pin)?;
        if !actor.role.allows(Permission::PriceOverride) && !actor.role.allows(Permission::ManualDiscount) {
            return Err(TillError::Forbidden { user: actor.user_id, role: actor.role.name(), action: "approve price changes" });
        }
        if self.replica.sale(sale_id)?.is_some() {
            return Err(TillError::BadInput(format!("sale {sale_id} is already recorded")));
        }
        let mut secret = [0u8; 16];
        getrandom::getrandom(&mut secret).map_err(|e| TillError::BadInput(format!("no randomness for an approval: {e}")))?;
        let token: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        self.replica.put_approval(&token, sale_id, &actor.user_id, self.clock.now_ms(), 2 * APPROVAL_MS)?;
        info!(user = actor.user_id, sale_id, "price changes approved");
        Ok((token, actor))
    }

    /// The supervisor behind `token`, if it approves changes on sale `sale_id` and is not
    /// older than [`APPROVAL_MS`] (their role as it is now).
    pub fn approved_by(&self, token: &str, sale_id: &str) -> Result<Actor> {
        let (sale, user_id, created_ms) = self.replica.approval(token)?.ok_or(TillError::ApprovalInvalid)?;
        if sale != sale_id || self.clock.now_ms() - created_ms > APPROVAL_MS {
            return Err(TillError::ApprovalInvalid);
        }
        let user = self.replica.user(&user_id)?.filter(|u| u.active).ok_or(TillError::ApprovalInvalid)?;
        Ok(Actor { user_id: user.user_id, role: user.role })
    }

    /// Checks a user's PIN and that their role allows `permission`.
    pub fn authorize(&self, user_id: &str, pin: &str, permission: Permission, action: &'static str) -> Result<Actor> {
        let actor = self.login(user_id, pin)?;
        if !actor.role.allows(permission) {
            return Err(TillError::Forbidden { user: actor.user_id, role: actor.role.name(), action });
        }
        Ok(actor)
    }

    // ---- selling ----

    /// Rings up scanned codes and settles them against tenders in one step, recording the
    /// sale durably. `sale_id` makes a retry idempotent: a second call with the same id
    /// returns the first result and records nothing.
    pub fn sell(&mut self, sale_id: Option<&str>, scans: &[ScanInput], tenders: &[Tender], cashier: Option<&Actor>) -> Result<SaleDone> {
        self.sell_to(sale_id, scans, tenders, cashier, &Shopper::default()).map(|(done, _)| done)
    }

    /// [`Till::sell`] for a shopper: the basket is priced with the stored promotions, the
    /// member's prices and the coupons presented ([`Till::price`]) before it is settled.
    /// Also returns the pricing (refused coupons and why), `None` for a replay.
    #[instrument(skip_all, fields(n_scans = scans.len(), n_tenders = tenders.len(), n_coupons = shopper.coupons.len()))]
    pub fn sell_to(&mut self, sale_id: Option<&str>, scans: &[ScanInput], tenders: &[Tender], cashier: Option<&Actor>, shopper: &Shopper) -> Result<(SaleDone, Option<opentill_core::promo::Pricing>)> {
        self.sell_adjusted(sale_id, scans, &Adjustments::default(), tenders, cashier, shopper)
    }

    /// [`Till::sell_to`] with prices and discounts changed by hand, which the actor of
    /// `adjust` must be allowed ([`Permission::PriceOverride`], [`Permission::ManualDiscount`]).
    /// Lines changed by hand take no promotion.
    pub fn sell_adjusted(&mut self, sale_id: Option<&str>, scans: &[ScanInput], adjust: &Adjustments, tenders: &[Tender], cashier: Option<&Actor>, shopper: &Shopper) -> Result<(SaleDone, Option<opentill_core::promo::Pricing>)> {
        if let Some(id) = sale_id {
            validate_id(id, "sale id")?;
            if let Some((ts_ms, sale)) = self.replica.sale(id)? {
                return Ok((SaleDone { sale, ts_ms, seq: 0, new: false }, None));
            }
        }
        if scans.is_empty() {
            return Err(TillError::BadInput("the sale has no items".into()));
        }
        if scans.len() > 500 {
            return Err(TillError::BadInput("at most 500 scans in one sale".into()));
        }
        let mut basket = self.new_basket();
        self.ring_up(&mut basket, scans)?;
        adjust.apply(&mut basket)?;
        let pricing = self.price(&mut basket, shopper)?;
        self.check_served_by(shopper)?;
        let done = self.checkout_inner(&basket, sale_id.map(str::to_string), tenders, cashier, shopper.served_by.clone(), |_| Ok(()))?;
        Ok((done, Some(pricing)))
    }

    /// An empty basket in the store's currency and tax mode.
    pub fn new_basket(&self) -> Basket {
        let settings = self.replica.settings();
        Basket::new(settings.currency, settings.tax_mode)
    }

    /// Adds scanned codes to a basket; on error the basket is as it was. A code is first
    /// looked up as printed; failing that it is understood (UPC-A/UPC-E/GTIN-14 spellings
    /// of a catalog code, an in-store scale label with its weight or price, a GS1-128 or
    /// GS1 DataMatrix string with GTIN, net weight or price).
    pub fn ring_up(&self, basket: &mut Basket, scans: &[ScanInput]) -> Result<()> {
        let mut next = basket.clone();
        for scan in scans {
            match self.understand(&scan.code)? {
                Understood::Product(product) => {
                    let qty = parse_qty(&product, scan.qty.as_deref())?;
                    next.add(&product, qty)?;
                }
                Understood::Weighed { product, grams, label_price } => {
                    if scan.qty.is_some() {
                        return Err(TillError::BadInput(format!("{} is a scale label and carries its own weight; give no quantity", scan.code)));
                    }
                    match label_price {
                        Some(price) => next.add_labelled(&product, grams, price)?,
                        None => next.add(&product, grams)?,
                    };
                }
            }
        }
        *basket = next;
        Ok(())
    }

    /// What a scanned code would ring up, without ringing it up: the product and, when
    /// the code carries them (a scale label, a GS1 code), the weight in grams and the
    /// printed price.
    pub fn understand_scan(&self, code: &str) -> Result<Scanned> {
        Ok(match self.understand(code)? {
            Understood::Product(product) => Scanned { product, grams: None, label_price: None },
            Understood::Weighed { product, grams, label_price } => Scanned { product, grams: Some(grams), label_price },
        })
    }

    fn understand(&self, code: &str) -> Result<Understood> {
        use opentill_hardware::gs1::{Scan, ScaleValue, gs1_gtin, gs1_net_grams, gs1_price_minor, parse_scan};
        check_code(code)?;
        if let Some(product) = self.replica.product_by_barcode(code)? {
            return Ok(Understood::Product(product));
        }
        let unknown = || TillError::UnknownBarcode(code.to_string());
        let find = |c: &str| -> Result<Product> { self.replica.product_by_barcode(c)?.ok_or_else(unknown) };
        let weighed = |product: Product| -> Result<Product> {
            if product.unit == Unit::Kg { Ok(product) } else { Err(TillError::BadInput(format!("{code} carries a weight but {} is sold by the piece", product.sku))) }
        };
        match parse_scan(code, &opentill_hardware::gs1::ScaleLayout::default()) {
            Ok(Scan::Gtin(gtin)) => Ok(Understood::Product(find(&gtin)?)),
            Ok(Scan::Scale { item_code, value, .. }) => {
                let product = weighed(find(&item_code)?)?;
                Ok(match value {
                    ScaleValue::Grams(grams) => Understood::Weighed { product, grams, label_price: None },
                    ScaleValue::Price(price) => {
                        let grams = grams_for_price(&product, price)?;
                        Understood::Weighed { product, grams, label_price: Some(price) }
                    }
                })
            }
            Ok(Scan::Gs1(fields)) => {
                let gtin = gs1_gtin(&fields).ok_or_else(|| TillError::BadInput(format!("{code} names no product (no GS1 AI 01)")))?;
                let product = find(&gtin)?;
                match (gs1_net_grams(&fields), gs1_price_minor(&fields)) {
                    (None, None) => Ok(Understood::Product(product)),
                    (Some(grams), price) => Ok(Understood::Weighed { product: weighed(product)?, grams, label_price: price }),
                    (None, Some(price)) => {
                        let product = weighed(product)?;
                        let grams = grams_for_price(&product, price)?;
                        Ok(Understood::Weighed { product, grams, label_price: Some(price) })
                    }
                }
            }
            // A mistyped or misread EAN is simply not in the catalog.
            Ok(Scan::Other(_)) | Err(opentill_hardware::gs1::ScanError::Gtin(_)) => Err(unknown()),
            Err(e) => Err(TillError::BadInput(format!("{code}: {e}"))),
        }
    }

    /// Settles a basket built elsewhere (the UI's interactive basket) and records the sale.
    pub fn checkout(&mut self, basket: &Basket, sale_id: Option<String>, tenders: &[Tender], cashier: Option<&Actor>) -> Result<SaleDone> {
        self.checkout_with(basket, sale_id, tenders, cashier, |_| Ok(()))
    }

    /// Like [`Till::checkout`], and also runs `also` in the transaction that records the
    /// sale: a vend is marked charged together with its sale or not at all.
    pub fn checkout_with(
        &mut self,
        basket: &Basket,
        sale_id: Option<String>,
        tenders: &[Tender],
        cashier: Option<&Actor>,
        also: impl FnOnce(&opentill_sync::rusqlite::Connection) -> opentill_sync::Result<()>,
    ) -> Result<SaleDone> {
        self.checkout_inner(basket, sale_id, tenders, cashier, None, also)
    }

    /// [`Till::checkout`] of a basket already priced for `shopper`, crediting the staff
    /// member who served them (who must exist).
    pub fn checkout_for(&mut self, basket: &Basket, sale_id: Option<String>, tenders: &[Tender], cashier: Option<&Actor>, shopper: &Shopper) -> Result<SaleDone> {
        self.check_served_by(shopper)?;
        self.checkout_inner(basket, sale_id, tenders, cashier, shopper.served_by.clone(), |_| Ok(()))
    }

    /// The staff member credited with a sale must exist.
    pub(crate) fn check_served_by(&self, shopper: &Shopper) -> Result<()> {
        match &shopper.served_by {
            Some(staff) if self.replica.user(staff)?.is_none() => Err(TillError::BadInput(format!("there is no staff member {staff} to credit the sale to"))),
            _ => Ok(()),
        }
    }

    fn checkout_inner(
        &mut self,
        basket: &Basket,
        sale_id: Option<String>,
        tenders: &[Tender],
        cashier: Option<&Actor>,
        served_by: Option<String>,
        also: impl FnOnce(&opentill_sync::rusqlite::Connection) -> opentill_sync::Result<()>,
    ) -> Result<SaleDone> {
        // What each stored-value account pays in all, checked against its balance and this
        // node's offline allowance (`opentill_core::allowance`).
        let mut by_account: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
        for tender in tenders.iter().filter(|t| t.kind == TenderKind::StoredValue) {
            if let Some(account) = &tender.reference {
                *by_account.entry(account).or_insert(0) += tender.amount;
            }
        }
        // Vend holds are not counted here: a vend's own charge comes through this path
        // while its hold still stands (holds count when a vend is authorised).
        for (account, amount) in by_account {
            self.check_stored_value_with(account, amount, 0)?;
        }
        let shift = self.replica.open_shift()?;
        let ctx = SaleContext {
            sale_id: sale_id.unwrap_or_else(new_id),
            shift_id: shift.as_ref().map(|(s, _)| s.clone()),
            cashier: cashier.map(|a| a.user_id.clone()).or(shift.map(|(_, c)| c)),
        };
        let mut sale = complete_sale(basket, tenders, self.replica.settings().cash_rounding, ctx)?;
        sale.served_by = served_by;
        self.award_points(&mut sale)?;
        let ts_ms = self.clock.now_ms();
        let appended = self.replica.append_with(ts_ms, &Fact::Sale(sale.clone()), also)?;
        info!(sale = %sale.sale_id, total = sale.total, seq = appended.seq, "sale recorded");
        Ok(SaleDone { sale, ts_ms, seq: appended.seq, new: true })
    }

    /// The receipt text of a recorded sale.
    pub fn sale_receipt(&self, done: &SaleDone, lang: Lang) -> String {
        sale_receipt(&done.sale, done.ts_ms, &self.store_header(), self.layout(lang))
    }

    /// A recorded sale.
    pub fn sale(&self, sale_id: &str) -> Result<(i64, SaleRecord)> {
        self.replica.sale(sale_id)?.ok_or_else(|| TillError::UnknownSale(sale_id.to_string()))
    }

    /// Voids a basket in progress as a whole; journaled for loss prevention.
    pub fn void_basket(&mut self, basket: &Basket, basket_id: &str, by: &Actor, reason: &str) -> Result<()> {
        if !by.role.allows(Permission::VoidSale) {
            return Err(TillError::Forbidden { user: by.user_id.clone(), role: by.role.name(), action: "void a sale" });
        }
        let lines = basket.lines.iter().map(|l| VoidedLine { sku: l.item.sku.clone(), qty: l.qty, unit_price: l.unit_price() }).collect();
        let fact = Fact::SaleVoided(VoidRecord {
            basket_id: basket_id.to_string(),
            shift_id: self.replica.open_shift()?.map(|(s, _)| s),
            by: by.user_id.clone(),
            lines,
            total: basket.totals().total,
            reason: reason.to_string(),
        });
        self.replica.append(self.clock.now_ms(), &fact)?;
        Ok(())
    }

    /// The printable text of a queued receipt (`sale` or `refund`), the QR code data (the
    /// sale id, for returns), and whether the cash drawer should open (cash changed hands).
    pub fn printable(&self, kind: &str, ref_id: &str, lang: Lang) -> Result<(String, String, bool)> {
        match kind {
            "sale" => {
                let (ts_ms, sale) = self.sale(ref_id)?;
                let cash = sale.cash_given > 0;
                let done = SaleDone { sale, ts_ms, seq: 0, new: false };
                Ok((self.sale_receipt(&done, lang), ref_id.to_string(), cash))
            }
            "refund" => {
                let (ts_ms, refund) = self.replica.refund(ref_id)?.ok_or_else(|| TillError::BadInput(format!("no refund {ref_id} in this store")))?;
                let (_, sale) = self.sale(&refund.sale_id)?;
                let cash = refund.tenders.iter().any(|t| t.kind == TenderKind::Cash);
                let qr = refund.sale_id.clone();
                let done = RefundDone { refund, sale, ts_ms };
                Ok((self.refund_receipt(&done, lang), qr, cash))
            }
            other => Err(TillError::BadInput(format!("`{other}` is not a receipt kind"))),
        }
    }

    /// Queues a receipt for printing; returns the job id.
    pub fn queue_receipt(&mut self, kind: &str, ref_id: &str) -> Result<String> {
        let now = self.clock.now_ms();
        Ok(self.replica.enqueue_print(kind, ref_id, now)?)
    }

    /// Records the outcome of printing a queued receipt.
    pub fn record_print(&mut self, job_id: &str, outcome: std::result::Result<(), &str>) -> Result<()> {
        let now = self.clock.now_ms();
        Ok(self.replica.record_print(job_id, outcome.map(|()| now))?)
    }

    // ---- refunds ----

    /// Refunds lines (1-based line numbers as printed, with optional quantities) of a sale,
    /// or everything not yet refunded when `lines` is empty.
    #[instrument(skip(self, by))]
    pub fn refund(&mut self, sale_id: &str, lines: &[(usize, Option<String>)], by: Option<&Actor>, restock: bool) -> Result<RefundDone> {
        if let Some(actor) = by
            && !actor.role.allows(Permission::Refund)
        {
            return Err(TillError::Forbidden { user: actor.user_id.clone(), role: actor.role.name(), action: "refund" });
        }
        let (_, sale) = self.sale(sale_id)?;
        let prior: Vec<RefundRecord> = self.replica.refunds_for(sale_id)?.into_iter().map(|(_, r)| r).collect();
        let mut request = Vec::new();
        for (line_no, qty) in lines {
            if *line_no == 0 {
                return Err(TillError::BadInput("line numbers start at 1".into()));
            }
            let qty = match (qty, sale.lines.get(line_no - 1)) {
                (Some(text), Some(line)) => Some(parse_qty_unit(line.unit, text)?),
                _ => None,
            };
            request.push((line_no - 1, qty));
        }
        let ctx = RefundContext { refund_id: new_id(), shift_id: self.replica.open_shift()?.map(|(s, _)| s), by: by.map(|a| a.user_id.clone()), restock };
        let refund = plan_refund(&sale, &prior, &request, ctx)?;
        let ts_ms = self.clock.now_ms();
        self.replica.append(ts_ms, &Fact::Refund(refund.clone()))?;
        info!(refund = %refund.refund_id, sale = %sale_id, total = refund.total, "refund recorded");
        Ok(RefundDone { refund, sale, ts_ms })
    }

    /// The refund slip text.
    pub fn refund_receipt(&self, done: &RefundDone, lang: Lang) -> String {
        refund_receipt(&done.refund, &done.sale, done.ts_ms, &self.store_header(), self.layout(lang))
    }

    // ---- shifts and cash ----

    /// Opens a shift for a cashier with a float.
    pub fn open_shift(&mut self, cashier: &Actor, float: i64) -> Result<String> {
        if !(0..=opentill_core::money::MAX_AMOUNT_MINOR).contains(&float) {
            return Err(TillError::BadInput(format!("float {float} is not valid")));
        }
        let shift_id = new_id();
        self.replica.append(self.clock.now_ms(), &Fact::ShiftOpened { shift_id: shift_id.clone(), cashier: cashier.user_id.clone(), float })?;
        Ok(shift_id)
    }

    fn current_shift(&self) -> Result<String> {
        self.replica.open_shift()?.map(|(s, _)| s).ok_or(TillError::NoOpenShift)
    }

    fn shift_facts(&self, shift_id: &str) -> Result<Vec<(i64, Fact)>> {
        // Facts of a shift all come after its opening; scanning from there keeps a report
        // fast however long the journal grows.
        let mut out = Vec::new();
        let mut started = false;
        self.replica.for_each_entry(self.shift_start_seq()?, |entry| {
            let fact: Fact = serde_json::from_slice(&entry.body).map_err(|e| opentill_sync::ReplicaError::Corrupt(e.to_string()))?;
            if let Fact::ShiftOpened { shift_id: s, .. } = &fact {
                started |= s == shift_id;
            }
            if started {
                out.push((entry.ts_ms, fact));
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn shift_start_seq(&self) -> Result<u64> {
        // The open shift's opening entry is the last `shift_opened`; binary search is not
        // needed because entries are scanned from there only.
        let mut start = 1;
        self.replica.for_each_entry(1, |entry| {
            if entry.kind == "shift_opened" {
                start = entry.seq;
            }
            Ok(())
        })?;
        Ok(start)
    }

    /// The report of the open shift, without recording it.
    pub fn preview_shift(&self) -> Result<ShiftReport> {
        let shift_id = self.current_shift()?;
        let facts = self.shift_facts(&shift_id)?;
        Ok(shift_report(&shift_id, facts.iter().map(|(ts, f)| (*ts, f)), ReportKind::X, self.clock.now_ms(), None)?)
    }

    /// Takes an X report: the shift so far, journaled; the shift stays open.
    pub fn x_report(&mut self) -> Result<ShiftReport> {
        let report = self.preview_shift()?;
        self.replica.append(report.taken_at_ms, &Fact::XReport(report.clone()))?;
        Ok(report)
    }

    /// Closes the open shift with the counted cash; returns the Z report, journaled.
    pub fn close_shift(&mut self, counted: i64, by: &Actor) -> Result<ShiftReport> {
        let (shift_id, cashier) = self.replica.open_shift()?.ok_or(TillError::NoOpenShift)?;
        if by.user_id != cashier && !by.role.allows(Permission::CashMovement) {
            return Err(TillError::Forbidden { user: by.user_id.clone(), role: by.role.name(), action: "close another cashier's shift" });
        }
        if !(0..=opentill_core::money::MAX_AMOUNT_MINOR).contains(&counted) {
            return Err(TillError::BadInput(format!("counted cash {counted} is not valid")));
        }
        let facts = self.shift_facts(&shift_id)?;
        let report = shift_report(&shift_id, facts.iter().map(|(ts, f)| (*ts, f)), ReportKind::Z, self.clock.now_ms(), Some(counted))?;
        self.replica.append(report.taken_at_ms, &Fact::ShiftClosed(report.clone()))?;
        info!(shift = %shift_id, variance = ?report.variance, "shift closed");
        Ok(report)
    }

    /// Puts cash in or takes it out of the drawer.
    pub fn move_cash(&mut self, direction: CashDirection, amount: i64, reason: &str, by: &Actor) -> Result<()> {
        if !by.role.allows(Permission::CashMovement) {
            return Err(TillError::Forbidden { user: by.user_id.clone(), role: by.role.name(), action: "move cash" });
        }
        if amount <= 0 || amount > opentill_core::money::MAX_AMOUNT_MINOR {
            return Err(TillError::BadInput(format!("amount {amount} is not valid")));
        }
        let shift_id = Some(self.current_shift()?);
        self.replica.append(self.clock.now_ms(), &Fact::CashMoved { shift_id, direction, amount, reason: reason.to_string(), by: by.user_id.clone() })?;
        Ok(())
    }

    /// Opens the drawer with no sale (a manager's no-sale), journaled.
    pub fn no_sale(&mut self, reason: &str, by: &Actor) -> Result<()> {
        if !by.role.allows(Permission::CashMovement) {
            return Err(TillError::Forbidden { user: by.user_id.clone(), role: by.role.name(), action: "open the drawer" });
        }
        let shift_id = self.replica.open_shift()?.map(|(s, _)| s);
        self.replica.append(self.clock.now_ms(), &Fact::NoSale { shift_id, by: by.user_id.clone(), reason: reason.to_string() })?;
        Ok(())
    }

    // ---- stock and stored value ----

    /// Changes a price in the shared catalog from this store (this store's own price, or
    /// with `central` every store's; `None` removes this store's own) and returns the
    /// product as this store now sells it. The change applies here at once (till, shelf
    /// labels) and merges with the cloud on the next sync.
    pub fn set_price(&mut self, sku: &str, minor: Option<i64>, central: bool) -> Result<Product> {
        let now = self.clock.now_ms();
        match self.replica.set_catalog_price(sku, minor, central, now) {
            Ok(_) => {}
            Err(opentill_sync::ReplicaError::Doc(opentill_sync::docs::DocError::BadEdit { sku, reason })) => return Err(TillError::BadInput(format!("{sku}: {reason}"))),
            Err(e) => return Err(e.into()),
        }
        self.replica.product_by_sku(sku)?.ok_or_else(|| TillError::BadInput(format!("{sku}: the shared catalog has no details for it yet")))
    }

    /// Adds a product to the shared catalog or changes its details, from the fields a
    /// catalog row has (the same rules as an imported row). A new product's price becomes
    /// its central price; an existing one keeps its prices.
    pub fn put_product(&mut self, fields: &[(&str, &str)]) -> Result<Product> {
        let currency = self.replica.settings().currency;
        let product = import::product_from_fields(fields, currency).map_err(|(en, zh)| TillError::BadProduct(en, zh))?;
        self.replica.put_catalog_product(&product, self.clock.now_ms())?;
        self.replica.product_by_sku(&product.sku)?.ok_or_else(|| TillError::UnknownSku(product.sku.clone()))
    }

    /// Corrects or receives stock of a SKU on the sales floor; `delta` in pieces, or grams
    /// for weighed products.
    pub fn adjust_stock(&mut self, sku: &str, delta: i64, reason: &str, by: &str) -> Result<i64> {
        self.adjust_stock_at(sku, delta, reason, by, None)
    }

    /// [`Till::adjust_stock`] at a place in the store (`floor`, `backroom`, `warehouse`;
    /// none: the floor). Returns the store's total on hand.
    pub fn adjust_stock_at(&mut self, sku: &str, delta: i64, reason: &str, by: &str, location: Option<&str>) -> Result<i64> {
        if let Some(location) = location {
            opentill_core::stock::check_location(location)?;
        }
        if self.replica.product_by_sku(sku)?.is_none() {
            return Err(TillError::UnknownSku(sku.to_string()));
        }
        if delta == 0 || delta.abs() > 100_000_000 {
            return Err(TillError::BadInput(format!("stock change {delta} is not valid")));
        }
        self.replica.append(self.clock.now_ms(), &Fact::StockAdjusted { sku: sku.into(), delta, reason: reason.into(), by: by.into(), location: location.map(str::to_string) })?;
        Ok(self.replica.stock(sku)?)
    }

    /// Whether `amount` may be spent from a stored-value account now: the balance this
    /// till can see (its store's and, as of the last snapshot, the other stores'), less
    /// what vending machines hold, and the store's offline allowance.
    pub fn check_stored_value(&self, account: &str, amount: i64) -> Result<()> {
        self.check_stored_value_with(account, amount, self.replica.held_on_account(account)?)
    }

    fn check_stored_value_with(&self, account: &str, amount: i64, held: i64) -> Result<()> {
        let view = self.replica.spend_view(account, held)?;
        match opentill_core::allowance::check_spend(view, amount) {
            Ok(()) => Ok(()),
            Err(opentill_core::allowance::SpendRefusal::Insufficient { available }) => {
                Err(opentill_sync::ReplicaError::InsufficientBalance { account: account.into(), balance: available, needed: amount }.into())
            }
            Err(opentill_core::allowance::SpendRefusal::OverAllowance { allowance, left }) => {
                Err(opentill_sync::ReplicaError::OfflineAllowance { account: account.into(), allowance, left, needed: amount }.into())
            }
        }
    }

    /// Loads money onto a stored-value account.
    ///
    /// `topup_id` is the caller's idempotency key: a top-up sent again with the same key
    /// (its answer was lost) is recorded once and answers the balance as it is.
    pub fn top_up(&mut self, account: &str, amount: i64, tender: TenderKind, by: &str, topup_id: Option<&str>) -> Result<i64> {
        validate_id(account, "account")?;
        if amount <= 0 || amount > opentill_core::money::MAX_AMOUNT_MINOR {
            return Err(TillError::BadInput(format!("amount {amount} is not valid")));
        }
        if let Some(id) = topup_id {
            validate_id(id, "top-up id")?;
            if self.replica.topup_recorded(id)? {
                return Ok(self.replica.stored_value(account)?);
            }
        }
        let shift_id = self.replica.open_shift()?.map(|(s, _)| s);
        self.replica.append(self.clock.now_ms(), &Fact::StoredValueToppedUp { account: account.into(), amount, tender, shift_id, by: by.into(), topup_id: topup_id.map(str::to_string) })?;
        Ok(self.replica.stored_value(account)?)
    }

    // ---- reports and the journal ----

    /// Sales between two local dates, inclusive (`YYYY-MM-DD`).
    pub fn sales_report(&self, from: Option<&str>, to: Option<&str>) -> Result<SalesReport> {
        let offset = self.replica.settings().utc_offset_min;
        let parse = |d: &str| parse_date_ms(d, offset).ok_or_else(|| TillError::BadInput(format!("date `{d}` must be a real date written YYYY-MM-DD")));
        let from_ms = from.map(parse).transpose()?;
        let to_ms = to.map(parse).transpose()?.map(|t| t + 86_400_000);
        if let (Some(f), Some(t)) = (from_ms, to_ms)
            && f >= t
        {
            return Err(TillError::BadInput("--from is after --to".into()));
        }
        let facts = self.replica.facts()?;
        let mut report = sales_report(facts.iter().map(|(ts, f)| (*ts, f)), from_ms, to_ms, offset);
        report.from = from.map(str::to_string);
        report.to = to.map(str::to_string);
        Ok(report)
    }

    /// The commission rules (none set: no commission).
    pub fn commission_rules(&self) -> Result<opentill_core::commission::CommissionRules> {
        match self.replica.commission_rules()? {
            Some(body) => serde_json::from_str(&body).map_err(|e| TillError::Replica(opentill_sync::ReplicaError::Corrupt(format!("commission rules: {e}")))),
            None => Ok(Default::default()),
        }
    }

    /// Sets the commission rules from JSON, after checking them.
    pub fn set_commission_rules(&mut self, json_text: &str) -> Result<opentill_core::commission::CommissionRules> {
        let rules: opentill_core::commission::CommissionRules = serde_json::from_str(json_text).map_err(|e| TillError::BadInput(format!("commission rules: {e}")))?;
        rules.check().map_err(TillError::BadInput)?;
        let body = serde_json::to_string(&rules).map_err(|e| TillError::BadInput(e.to_string()))?;
        let now = self.clock.now_ms();
        self.replica.set_commission_rules(&body, now)?;
        Ok(rules)
    }

    /// Commission per staff member between two local dates, inclusive (`YYYY-MM-DD`).
    pub fn commission_report(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<opentill_core::commission::StaffCommission>> {
        let offset = self.replica.settings().utc_offset_min;
        let parse = |d: &str| parse_date_ms(d, offset).ok_or_else(|| TillError::BadInput(format!("date `{d}` must be a real date written YYYY-MM-DD")));
        let from_ms = from.map(parse).transpose()?;
        let to_ms = to.map(parse).transpose()?.map(|t| t + 86_400_000);
        let facts = self.replica.facts()?;
        Ok(opentill_core::commission::commissions(facts.iter().map(|(ts, f)| (*ts, f)), &self.commission_rules()?, from_ms, to_ms))
    }

    /// Verifies the journal and its projections.
    pub fn verify(&self, progress: impl FnMut(u64)) -> Result<VerifyReport> {
        Ok(self.replica.verify(progress)?)
    }
}

/// What a scanned code rings up ([`Till::understand_scan`]).
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The product.
    pub product: Product,
    /// The weight the code carries (scale label, GS1 net weight), in grams.
    pub grams: Option<i64>,
    /// The price printed on a price label.
    pub label_price: Option<i64>,
}

/// What a scan rings up.
enum Understood {
    /// A product, quantity from the cashier.
    Product(Product),
    /// A weighed product whose label carries the weight (and maybe the price).
    Weighed { product: Product, grams: i64, label_price: Option<i64> },
}

/// The weight a price label stands for, for stock: price ÷ price per kg.
fn grams_for_price(product: &Product, price: i64) -> Result<i64> {
    if product.price_minor <= 0 {
        return Err(TillError::BadInput(format!("{} has no price per kg to weigh a price label against", product.sku)));
    }
    let grams = opentill_core::rounding::div_round(i128::from(price) * 1000, i128::from(product.price_minor), opentill_core::rounding::RoundingMode::HalfUp) as i64;
    Ok(grams.max(1))
}

fn check_code(code: &str) -> Result<()> {
    if code.is_empty() || code.len() > 64 || code.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(TillError::BadInput(format!("`{}` is not a barcode", code.escape_debug())));
    }
    Ok(())
}

/// Parses a quantity for a product: whole pieces, or kilograms with up to three decimals.
pub fn parse_qty(product: &Product, text: Option<&str>) -> Result<i64> {
    match text {
        None if product.unit == Unit::Kg => Err(TillError::BadInput(format!("{} is sold by weight: give its weight in kg, e.g. --qty 0.532", product.sku))),
        None => Ok(1),
        Some(text) => parse_qty_unit(product.unit, text),
    }
}

fn parse_qty_unit(unit: Unit, text: &str) -> Result<i64> {
    let bad = || TillError::BadInput(format!("quantity `{text}` is not valid: {}", if unit == Unit::Kg { "a weight in kg such as 0.532" } else { "a whole number of pieces" }));
    let text = text.trim();
    if text.starts_with('-') {
        return Err(opentill_core::basket::BasketError::BadQuantity {
            qty: text.parse().unwrap_or(-1),
            unit: unit.name(),
            max: if unit == Unit::Kg { opentill_core::basket::MAX_GRAMS } else { opentill_core::basket::MAX_EACH_QTY },
        }
        .into());
    }
    match unit {
        Unit::Each => text.parse::<i64>().map_err(|_| bad()),
        Unit::Kg => {
            let kg3 = opentill_core::money::Currency::new("KGM", 3).map_err(|_| bad())?;
            parse_minor(text, kg3).map_err(|_| bad())
        }
    }
}
