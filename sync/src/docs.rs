//! Shared editable state as automerge documents, merged with automerge's sync protocol:
//! the **catalog** (product details, central prices and per-store price overrides) and
//! the **offers** ([`offers::OffersDoc`]: promotions, coupons and the member and
//! commission settings) and the **staff** ([`staff::StaffDoc`]: the accounts that log in
//! at the tills), the **members** ([`members::MembersDoc`]: every member's profile) and
//! the **settings** ([`settings::SettingsDoc`]: each store's receipt header and paper)
//! and the **devices** ([`devices::DevicesDoc`]: each store's device registry and shelf
//! planogram), edited by head office (through the cloud), store managers and the tills.
//! [`SharedDoc`] is what every document shares: its genesis, storage and sync.
//!
//! Every value a person edits is an **HLC register**: a map object holding the value's
//! fields and `hlc`, the [`Hlc`] of the edit. Concurrent edits of one value leave several
//! objects under one key (automerge keeps them all as conflicts); readers take the one
//! with the largest HLC. So the value that wins is the last edit in hybrid-logical-clock
//! order, never the one automerge's actor ordering happens to favour, and every replica
//! reads the same winner from the same set of changes.
//!
//! A document's containers (the catalog's `products`, `prices`, `store_prices`) are made
//! by a fixed genesis change (fixed actor, time 0), byte-identical wherever it is made, so a node
//! that edits before it ever synced shares the containers with everyone else instead of
//! making a rival `products` map that automerge would hide.
//!
//! ```
//! use opentill_core::catalog::{Product, Unit};
//! use opentill_core::tax::TaxRate;
//! use opentill_sync::docs::{CatalogDoc, SharedDoc};
//! use opentill_sync::hlc::HlcClock;
//!
//! let product = Product { sku: "COLA".into(), barcodes: vec!["6901234567892".into()], name: "Cola 330ml".into(), name_zh: "可乐".into(),
//!     category: "drinks".into(), tags: vec![], unit: Unit::Each, price_minor: 300, tax_rate: TaxRate(1300), parent_sku: None, specs: vec![] };
//! let mut office = CatalogDoc::new();
//! let mut clock = HlcClock::new("cloud", (0, 0));
//! office.put_product(&product, &mut clock, 1_000).unwrap();
//! office.set_store_price("S2", "COLA", Some(350), &mut clock, 2_000).unwrap();
//! assert_eq!(office.effective("S1", "COLA").unwrap().price_minor, 300);
//! assert_eq!(office.effective("S2", "COLA").unwrap().price_minor, 350);
//! ```

use std::collections::BTreeSet;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, PatchAction, Prop, ReadDoc, ScalarValue, Value, ROOT};
use opentill_core::catalog::{Product, Unit};
use opentill_core::money::MAX_AMOUNT_MINOR;
use opentill_core::tax::TaxRate;

use crate::hlc::{Hlc, HlcClock};

/// The catalog document's name.
pub const CATALOG: &str = "catalog";

const PRODUCTS: &str = "products";
const PRICES: &str = "prices";
const STORE_PRICES: &str = "store_prices";
/// Separates the store and the SKU in a `store_prices` key.
pub(crate) const KEY_SEP: char = '\u{1f}';

/// Errors from documents.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// automerge refused an operation or a stored document.
    #[error("document error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// A sync message that does not decode.
    #[error("malformed document sync message: {0}")]
    BadSyncMessage(String),
    /// A loaded document lacks one of its containers.
    #[error("the stored document is not a {document} document: no `{container}` map")]
    MissingContainer {
        /// The document.
        document: &'static str,
        /// The missing map.
        container: &'static str,
    },
    /// A sync round or edit names a document there is none of.
    #[error("no shared document called {0:?}")]
    UnknownDocument(String),
    /// An edit that would put a bad value in a document.
    #[error("invalid edit of {sku}: {reason}")]
    BadEdit {
        /// The SKU.
        sku: String,
        /// Why.
        reason: String,
    },
}

/// The catalog: products, central prices, per-store price overrides.
pub struct CatalogDoc {
    doc: AutoCommit,
    products: ObjId,
    prices: ObjId,
    store_prices: ObjId,
}

impl std::fmt::Debug for CatalogDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogDoc").finish_non_exhaustive()
    }
}

impl Default for CatalogDoc {
    fn default() -> Self {
        CatalogDoc::new()
    }
}

/// The `Debug` and [`SharedDoc`] impls of a document type whose containers are maps
/// of registers: a struct with `doc: AutoCommit` and one `ObjId` field per container.
macro_rules! register_doc {
    ($ty:ident, $name:expr, $($field:ident: $container:expr),+) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }

        impl $crate::docs::SharedDoc for $ty {
            const NAME: &'static str = $name;
            const CONTAINERS: &'static [&'static str] = &[$($container),+];

            fn wrap(doc: automerge::AutoCommit) -> Result<$ty, $crate::docs::DocError> {
                Ok($ty { $($field: $crate::docs::container(&doc, $name, $container)?,)+ doc })
            }

            fn automerge(&self) -> &automerge::AutoCommit {
                &self.doc
            }

            fn automerge_mut(&mut self) -> &mut automerge::AutoCommit {
                &mut self.doc
            }
        }
    };
}
pub(crate) use register_doc;

/// What a sync message changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// SKUs whose details, central price or some store's override changed.
    pub skus: BTreeSet<String>,
}

/// The names of every shared document, in the order nodes sync them.
pub const SHARED: [&str; 6] = [CATALOG, offers::OFFERS, staff::STAFF, members::MEMBERS, settings::SETTINGS, devices::DEVICES];

/// What every shared document is: an automerge document whose containers a fixed genesis
/// change makes, stored as full and incremental saves, merged with automerge's sync
/// protocol. The provided methods are the storage and sync a replica and the cloud need
/// without knowing what the document holds.
pub trait SharedDoc: Sized {
    /// The document's name, in sync rounds and storage.
    const NAME: &'static str;
    /// Its containers (maps under the root), made by the genesis change in this order.
    const CONTAINERS: &'static [&'static str];

    /// Wraps a loaded automerge document, finding its containers.
    fn wrap(doc: AutoCommit) -> Result<Self, DocError>;
    /// The automerge document.
    fn automerge(&self) -> &AutoCommit;
    /// The automerge document, to change.
    fn automerge_mut(&mut self) -> &mut AutoCommit;

    /// An empty document (just the genesis change).
    fn new() -> Self {
        Self::wrap(genesis(Self::NAME, Self::CONTAINERS)).expect("the genesis has every container")
    }

    /// Loads a saved document followed by any incremental saves.
    fn load(snapshot: &[u8], increments: &[Vec<u8>]) -> Result<Self, DocError> {
        let mut doc = if snapshot.is_empty() { genesis(Self::NAME, Self::CONTAINERS) } else { AutoCommit::load(snapshot)? };
        for part in increments {
            doc.load_incremental(part)?;
        }
        // automerge counts what `load_incremental` applied as unsaved: without this, the
        // next `save_incremental` would hand back every increment loaded here, and each
        // write after a reload would store them all again.
        if !increments.is_empty() {
            doc.save_incremental();
        }
        doc.set_actor(ActorId::random());
        Self::wrap(doc)
    }

    /// The whole document, compacted.
    fn save(&mut self) -> Vec<u8> {
        self.automerge_mut().save()
    }

    /// The changes since the last `save` or `save_incremental`.
    fn save_incremental(&mut self) -> Vec<u8> {
        self.automerge_mut().save_incremental()
    }

    /// The document's heads (hex), sorted: equal on two replicas exactly when they hold
    /// the same changes.
    fn heads(&mut self) -> Vec<String> {
        let mut heads: Vec<String> = self.automerge_mut().get_heads().iter().map(|h| h.to_string()).collect();
        heads.sort();
        heads
    }

    /// The next message for a peer, if there is anything to say.
    fn generate_sync_message(&mut self, state: &mut sync::State) -> Option<Vec<u8>> {
        self.automerge_mut().sync().generate_sync_message(state).map(|m| m.encode())
    }

    /// Applies a peer's message. Nothing changes if it does not decode.
    fn receive_sync_message(&mut self, state: &mut sync::State, message: &[u8]) -> Result<(), DocError> {
        let message = sync::Message::decode(message).map_err(|e| DocError::BadSyncMessage(e.to_string()))?;
        self.automerge_mut().sync().receive_sync_message(state, message)?;
        Ok(())
    }

    /// The document's epoch: 1 from its first genesis, one more at each compaction.
    fn epoch(&self) -> i64 {
        match self.automerge().get(ROOT, "epoch") {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Int(n) if *n >= 1 => *n,
                _ => 1,
            },
            _ => 1,
        }
    }

    /// An empty document of epoch `epoch` (its genesis only).
    fn new_epoch(epoch: i64) -> Self {
        Self::wrap(genesis_of(Self::NAME, Self::CONTAINERS, epoch)).expect("the genesis has every container")
    }

    /// Every register's winner, container by container.
    fn registers(&self) -> Result<Vec<Register>, DocError> {
        let doc = self.automerge();
        let mut out = Vec::new();
        for name in Self::CONTAINERS {
            let obj = container(doc, Self::NAME, name)?;
            for key in doc.keys(&obj) {
                if let Some((fields, hlc)) = winner(doc, &obj, &key, read_fields) {
                    out.push(Register { container: name, key, hlc, fields });
                }
            }
        }
        Ok(out)
    }

    /// How many changes the document's history holds (its genesis included).
    fn history_len(&mut self) -> usize {
        self.automerge_mut().get_changes_meta(&[]).len()
    }

    /// Whether compacting would drop much: more than `after` changes in the history, and
    /// more than twice as many as the values it holds (each compacted value costs about
    /// one change's worth). `after` = 0 never.
    fn worth_compacting(&mut self, after: usize) -> Result<bool, DocError> {
        if after == 0 {
            return Ok(false);
        }
        let history = self.history_len();
        Ok(history > after && history > 2 * self.registers()?.len())
    }

    /// **Compaction:** the next epoch's document, holding exactly this one's winning
    /// registers (each with its own HLC) and none of its history.
    fn compacted(&self) -> Result<Self, DocError> {
        let registers = self.registers()?;
        let mut next = genesis_of(Self::NAME, Self::CONTAINERS, self.epoch() + 1);
        let mut last = None;
        for r in &registers {
            let obj = container(&next, Self::NAME, r.container)?;
            write_register(&mut next, &obj, &r.key, &r.hlc, &r.fields)?;
            last = Some(r.hlc.clone());
        }
        if let Some(hlc) = last {
            commit(&mut next, "compacted", &hlc);
        }
        Self::wrap(next)
    }

    /// After moving to a newer epoch: writes the registers of this node's older epoch
    /// that are newer (by HLC) than what the new epoch holds for their key, or that it
    /// lacks, keeping their HLCs: edits the compaction did not see. Returns how many.
    fn replay(&mut self, older: &[Register]) -> Result<usize, DocError> {
        let mut n = 0;
        let mut last = None;
        for r in older {
            let obj = container(self.automerge(), Self::NAME, r.container)?;
            let current = winner(self.automerge(), &obj, &r.key, read_fields).map(|(_, h)| h);
            if current.as_ref().is_none_or(|h| *h < r.hlc) {
                write_register(self.automerge_mut(), &obj, &r.key, &r.hlc, &r.fields)?;
                last = Some(r.hlc.clone());
                n += 1;
            }
        }
        if let Some(hlc) = last {
            commit(self.automerge_mut(), "replayed after compaction", &hlc);
        }
        Ok(n)
    }
}

/// A register as compaction copies it: where it is, its HLC and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Register {
    /// Its container.
    pub container: &'static str,
    /// Its key.
    pub key: String,
    /// Its HLC.
    pub hlc: Hlc,
    /// Its fields other than `hlc`.
    pub fields: Vec<(String, ScalarValue)>,
}

fn read_fields(doc: &AutoCommit, obj: &ObjId) -> Option<Vec<(String, ScalarValue)>> {
    let mut out = Vec::new();
    for key in doc.keys(obj) {
        if key == "hlc" {
            continue;
        }
        match doc.get(obj, key.as_str()).ok()?? {
            (Value::Scalar(s), _) => out.push((key, s.into_owned())),
            _ => return None,
        }
    }
    Some(out)
}

/// Writes a register with a given HLC (a copy, not a new edit).
fn write_register(doc: &mut AutoCommit, obj: &ObjId, key: &str, hlc: &Hlc, fields: &[(String, ScalarValue)]) -> Result<(), DocError> {
    let register = doc.put_object(obj, key, ObjType::Map)?;
    doc.put(&register, "hlc", hlc.encode())?;
    for (name, value) in fields {
        doc.put(&register, name.as_str(), value.clone())?;
    }
    Ok(())
}

/// The name a document goes by on the wire and in sync states: `name` in epoch 1,
/// `name@E` after (so a peer still on an older epoch is told, never mixed up).
pub fn wire_name(name: &str, epoch: i64) -> String {
    if epoch <= 1 { name.to_string() } else { format!("{name}@{epoch}") }
}

/// Splits a wire name into the document and its epoch; `None` if malformed.
pub fn parse_wire_name(text: &str) -> Option<(&str, i64)> {
    match text.split_once('@') {
        None => Some((text, 1)),
        Some((name, epoch)) => epoch.parse().ok().filter(|e| *e >= 2).map(|e| (name, e)),
    }
}

/// The genesis of document `name`: its containers, made by a fixed actor at time 0, so
/// the change is byte-identical wherever it is made.
fn genesis(name: &str, containers: &[&str]) -> AutoCommit {
    genesis_of(name, containers, 1)
}

/// The genesis of epoch `epoch` of document `name` (epoch 1's is the first genesis, with
/// no `epoch` key, as documents were made before compaction existed).
fn genesis_of(name: &str, containers: &[&str], epoch: i64) -> AutoCommit {
    let actor = if epoch <= 1 { format!("opentill/{name}/genesis/v1") } else { format!("opentill/{name}/genesis/v1/e{epoch}") };
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor.as_bytes()));
    doc.put(ROOT, "schema", 1_i64).expect("genesis: put schema");
    if epoch > 1 {
        doc.put(ROOT, "epoch", epoch).expect("genesis: put epoch");
    }
    for container in containers {
        doc.put_object(ROOT, *container, ObjType::Map).expect("genesis: put container");
    }
    doc.commit_with(CommitOptions::default().with_time(0).with_message("genesis".to_string()));
    // Every later change is made under a fresh random actor: two processes never reuse
    // one actor's sequence numbers, even when a replica is restored from an old copy.
    doc.set_actor(ActorId::random());
    doc
}

fn container(doc: &AutoCommit, document: &'static str, name: &'static str) -> Result<ObjId, DocError> {
    match doc.get(ROOT, name)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(DocError::MissingContainer { document, container: name }),
    }
}

pub(crate) fn scalar_str(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(text) => Some(text.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn scalar_int(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<Option<i64>> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Int(n) => Some(Some(*n)),
            ScalarValue::Null => Some(None),
            _ => None,
        },
        _ => None,
    }
}

/// The winning register under `key`: the map object with the largest HLC that `read`
/// accepts. Objects with no valid HLC or fields `read` refuses are ignored, so a bad
/// write from a buggy peer can never stop a replica from reading its catalog.
pub(crate) fn winner<T>(doc: &AutoCommit, obj: &ObjId, key: &str, read: impl Fn(&AutoCommit, &ObjId) -> Option<T>) -> Option<(T, Hlc)> {
    let values = doc.get_all(obj, key).ok()?;
    let mut best: Option<(T, Hlc)> = None;
    for (value, id) in values {
        if !matches!(value, Value::Object(ObjType::Map)) {
            continue;
        }
        let Some(hlc) = scalar_str(doc, &id, "hlc").and_then(|t| Hlc::parse(&t)) else { continue };
        if best.as_ref().is_some_and(|(_, b)| *b >= hlc) {
            continue;
        }
        if let Some(value) = read(doc, &id) {
            best = Some((value, hlc));
        }
    }
    best
}

fn check_price(sku: &str, minor: i64) -> Result<(), DocError> {
    if !(0..=MAX_AMOUNT_MINOR).contains(&minor) {
        return Err(DocError::BadEdit { sku: sku.into(), reason: format!("price {minor} is outside 0..={MAX_AMOUNT_MINOR} minor units") });
    }
    Ok(())
}

fn check_sku(sku: &str) -> Result<(), DocError> {
    if sku.trim().is_empty() || sku.contains(KEY_SEP) || sku.chars().any(char::is_control) {
        return Err(DocError::BadEdit { sku: sku.into(), reason: "a SKU must be non-empty printable text".into() });
    }
    Ok(())
}

fn read_details(doc: &AutoCommit, obj: &ObjId) -> Option<Product> {
    let specs: Vec<(String, String)> = serde_json::from_str(&scalar_str(doc, obj, "specs")?).ok()?;
    let tax_bp = scalar_int(doc, obj, "tax_bp")??;
    Some(Product {
        sku: String::new(),
        barcodes: scalar_str(doc, obj, "barcodes")?.split_whitespace().map(str::to_string).collect(),
        name: scalar_str(doc, obj, "name")?,
        name_zh: scalar_str(doc, obj, "name_zh")?,
        category: scalar_str(doc, obj, "category")?,
        tags: scalar_str(doc, obj, "tags")?.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
        unit: Unit::parse(&scalar_str(doc, obj, "unit")?)?,
        price_minor: 0,
        tax_rate: TaxRate(u32::try_from(tax_bp).ok().filter(|bp| *bp <= 10_000)?),
        parent_sku: scalar_str(doc, obj, "parent_sku").filter(|p| !p.is_empty()),
        specs,
    })
}

fn read_price(doc: &AutoCommit, obj: &ObjId) -> Option<Option<i64>> {
    let minor = scalar_int(doc, obj, "minor")?;
    match minor {
        Some(m) if !(0..=MAX_AMOUNT_MINOR).contains(&m) => None,
        other => Some(other),
    }
}

impl SharedDoc for CatalogDoc {
    const NAME: &'static str = CATALOG;
    const CONTAINERS: &'static [&'static str] = &[PRODUCTS, PRICES, STORE_PRICES];

    fn wrap(doc: AutoCommit) -> Result<CatalogDoc, DocError> {
        Ok(CatalogDoc { products: container(&doc, CATALOG, PRODUCTS)?, prices: container(&doc, CATALOG, PRICES)?, store_prices: container(&doc, CATALOG, STORE_PRICES)?, doc })
    }

    fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

impl CatalogDoc {
    fn commit(&mut self, message: &str, hlc: &Hlc) {
        commit(&mut self.doc, message, hlc);
    }

    /// Sets a product's details and its central price, stamped by `clock` at `wall_ms`.
    pub fn put_product(&mut self, product: &Product, clock: &mut HlcClock, wall_ms: i64) -> Result<Hlc, DocError> {
        self.check_product(product)?;
        check_price(&product.sku, product.price_minor)?;
        self.put_details(product, clock, wall_ms)?;
        let hlc = self.set_price_uncommitted(&product.sku, product.price_minor, clock, wall_ms)?;
        self.commit("put product", &hlc);
        Ok(hlc)
    }

    /// Sets a product's details (names, category, barcodes, unit, tax...) and leaves its
    /// prices as they are.
    pub fn put_details_of(&mut self, product: &Product, clock: &mut HlcClock, wall_ms: i64) -> Result<Hlc, DocError> {
        self.check_product(product)?;
        let hlc = self.put_details(product, clock, wall_ms)?;
        self.commit("put details", &hlc);
        Ok(hlc)
    }

    /// Sets many products in one change (an import); `progress` gets the count done.
    /// Every product is checked before anything is written: a bad row writes nothing.
    pub fn put_products(&mut self, products: &[Product], clock: &mut HlcClock, wall_ms: i64, mut progress: impl FnMut(usize)) -> Result<(), DocError> {
        for product in products {
            self.check_product(product)?;
            check_price(&product.sku, product.price_minor)?;
        }
        let mut last = None;
        for (idx, product) in products.iter().enumerate() {
            self.put_details(product, clock, wall_ms)?;
            last = Some(self.set_price_uncommitted(&product.sku, product.price_minor, clock, wall_ms)?);
            progress(idx + 1);
        }
        if let Some(hlc) = last {
            self.commit("import products", &hlc);
        }
        Ok(())
    }

    fn check_product(&self, product: &Product) -> Result<(), DocError> {
        check_sku(&product.sku)?;
        if product.tax_rate.0 > 10_000 {
            return Err(DocError::BadEdit { sku: product.sku.clone(), reason: format!("tax rate {} basis points is over 100 %", product.tax_rate.0) });
        }
        if product.barcodes.iter().any(|c| c.is_empty() || c.chars().any(char::is_whitespace)) {
            return Err(DocError::BadEdit { sku: product.sku.clone(), reason: "a barcode is empty or has spaces".into() });
        }
        Ok(())
    }

    fn put_details(&mut self, product: &Product, clock: &mut HlcClock, wall_ms: i64) -> Result<Hlc, DocError> {
        let specs = serde_json::to_string(&product.specs).expect("specs serialise");
        let fields = vec![
            ("barcodes", ScalarValue::Str(product.barcodes.join(" ").into())),
            ("name", ScalarValue::Str(product.name.as_str().into())),
            ("name_zh", ScalarValue::Str(product.name_zh.as_str().into())),
            ("category", ScalarValue::Str(product.category.as_str().into())),
            ("tags", ScalarValue::Str(product.tags.join(",").into())),
            ("unit", ScalarValue::Str(product.unit.name().into())),
            ("tax_bp", ScalarValue::Int(i64::from(product.tax_rate.0))),
            ("parent_sku", ScalarValue::Str(product.parent_sku.clone().unwrap_or_default().into())),
            ("specs", ScalarValue::Str(specs.into())),
        ];
        put_register(&mut self.doc, &self.products, &product.sku, clock, wall_ms, fields)
    }

    fn set_price_uncommitted(&mut self, sku: &str, minor: i64, clock: &mut HlcClock, wall_ms: i64) -> Result<Hlc, DocError> {
        check_sku(sku)?;
        check_price(sku, minor)?;
        put_register(&mut self.doc, &self.prices, sku, clock, wall_ms, vec![("minor", ScalarValue::Int(minor))])
    }

    /// Sets the central price of a SKU (minor units), stamped by `clock` at `wall_ms`.
    pub fn set_price(&mut self, sku: &str, minor: i64, clock: &mut HlcClock, wall_ms: i64) -> Result<Hlc, DocError> {
        let hlc = self.set_price_uncommitted(sku, minor, clock, wall_ms)?;
        self.commit("set price", &hlc);
        Ok(hlc)
    }

    /// Sets (`Some`) or removes (`None`) a store's own price for a SKU, stamped `hlc`. A
    /// removal is itself a register, so it is ordered by HLC like any other edit.
    pub fn set_store_price(&mut self, store_id: &str, sku: &str, minor: Option<i64>, clock: &mut HlcClock, wall_ms: i64) -> Result<Hlc, DocError> {
        check_sku(sku)?;
        check_sku(store_id)?;
        if let Some(minor) = minor {
            check_price(sku, minor)?;
        }
        let value = minor.map_or(ScalarValue::Null, ScalarValue::Int);
        let hlc = put_register(&mut self.doc, &self.store_prices, &store_key(store_id, sku), clock, wall_ms, vec![("minor", value)])?;
        self.commit("set store price", &hlc);
        Ok(hlc)
    }

    /// A product's details (its `price_minor` is 0) and the HLC of their last edit.
    pub fn details(&self, sku: &str) -> Option<(Product, Hlc)> {
        winner(&self.doc, &self.products, sku, read_details).map(|(mut p, h)| {
            p.sku = sku.to_string();
            (p, h)
        })
    }

    /// The central price and the HLC of its last edit.
    pub fn price(&self, sku: &str) -> Option<(i64, Hlc)> {
        winner(&self.doc, &self.prices, sku, read_price).and_then(|(p, h)| Some((p?, h)))
    }

    /// A store's own price (`None` inside when removed) and the HLC of its last edit.
    pub fn store_price(&self, store_id: &str, sku: &str) -> Option<(Option<i64>, Hlc)> {
        winner(&self.doc, &self.store_prices, &store_key(store_id, sku), read_price)
    }

    /// The product as a store sells it: the details with the store's own price if it has
    /// one, else the central price. `None` until the SKU has details and a price.
    pub fn effective(&self, store_id: &str, sku: &str) -> Option<Product> {
        let (mut product, _) = self.details(sku)?;
        product.price_minor = match self.store_price(store_id, sku) {
            Some((Some(minor), _)) => minor,
            _ => self.price(sku)?.0,
        };
        Some(product)
    }

    /// The largest HLC among the winners for `sku` (for the node's clock to observe).
    pub fn latest_hlc(&self, store_id: &str, sku: &str) -> Option<Hlc> {
        [self.details(sku).map(|d| d.1), self.price(sku).map(|p| p.1), self.store_price(store_id, sku).map(|p| p.1)].into_iter().flatten().max()
    }

    /// Every SKU with details, sorted.
    pub fn skus(&self) -> Vec<String> {
        self.doc.keys(&self.products).collect()
    }

    /// The SKUs changed between `before` (hex heads) and now, for every store.
    pub fn changed_since(&mut self, before: &[String]) -> Changed {
        let mut changed = Changed::default();
        for (container, key) in changed_registers(&mut self.doc, before) {
            if container == self.products || container == self.prices {
                changed.skus.insert(key);
            } else if container == self.store_prices
                && let Some((_, sku)) = key.split_once(KEY_SEP)
            {
                changed.skus.insert(sku.to_string());
            }
        }
        changed
    }
}

/// Commits the pending operations as one change, timed by its HLC.
pub(crate) fn commit(doc: &mut AutoCommit, message: &str, hlc: &Hlc) {
    doc.commit_with(CommitOptions::default().with_message(message.to_string()).with_time(hlc.wall_ms / 1000));
}

/// Writes a register stamped after every value this replica holds for the key: a write
/// that replaces a value it has seen must also win by HLC, or automerge's rule (the newer
/// put replaces what it saw) and the HLC rule would disagree.
pub(crate) fn put_register(doc: &mut AutoCommit, obj: &ObjId, key: &str, clock: &mut HlcClock, wall_ms: i64, fields: Vec<(&str, ScalarValue)>) -> Result<Hlc, DocError> {
    for (value, id) in doc.get_all(obj, key)? {
        if matches!(value, Value::Object(ObjType::Map))
            && let Some(seen) = scalar_str(doc, &id, "hlc").and_then(|t| Hlc::parse(&t))
        {
            clock.observe(&seen);
        }
    }
    let hlc = clock.stamp(wall_ms);
    let register = doc.put_object(obj, key, ObjType::Map)?;
    doc.put(&register, "hlc", hlc.encode())?;
    for (name, value) in fields {
        doc.put(&register, name, value)?;
    }
    Ok(hlc)
}

/// The `(container, key)` of every register changed between `before` (hex heads) and
/// now: a new or replaced register, a change inside one, or a concurrent one that lost
/// automerge's own ordering (it shows only as a conflict, yet it may win by HLC).
pub(crate) fn changed_registers(doc: &mut AutoCommit, before: &[String]) -> Vec<(ObjId, String)> {
    let before: Vec<ChangeHash> = before.iter().filter_map(|h| h.parse().ok()).collect();
    let after = doc.get_heads();
    let mut out = Vec::new();
    for patch in doc.diff(&before, &after) {
        match (patch.path.get(1), &patch.action) {
            (Some((obj, Prop::Map(key))), _) => out.push((obj.clone(), key.clone())),
            (None, PatchAction::PutMap { key, .. }) | (None, PatchAction::DeleteMap { key }) | (None, PatchAction::Conflict { prop: Prop::Map(key) }) => out.push((patch.obj.clone(), key.clone())),
            _ => {}
        }
    }
    out
}

fn store_key(store_id: &str, sku: &str) -> String {
    format!("{store_id}{KEY_SEP}{sku}")
}

/// A sync state as stored between sessions (only what both sides share survives).
pub fn encode_sync_state(state: &sync::State) -> Vec<u8> {
    state.encode()
}

/// Decodes [`encode_sync_state`]; anything unreadable starts afresh (the protocol then
/// costs one more round, never correctness).
pub fn decode_sync_state(bytes: Option<&[u8]>) -> sync::State {
    bytes.and_then(|b| sync::State::decode(b).ok()).unwrap_or_default()
}

pub mod devices;
pub mod members;
pub mod offers;
pub mod settings;
pub mod staff;

#[cfg(test)]
mod tests;
