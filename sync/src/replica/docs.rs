//! The replica's copies of shared documents (migration 11), the catalog projection, and
//! sync by document name (the offers document's projection is in `offers.rs`).
//!
//! A document is kept as its last full save plus the incremental saves after it; every
//! [`COMPACT_AFTER`] increments they are folded into a new full save, so loading stays one
//! read of a compressed document and a few small ones. Every edit or merge of the catalog
//! writes, in **one transaction**: the document's new changes, the `products` rows of
//! every SKU it touched (the projection lookups and search read, so a scan never walks a
//! CRDT), and the node's hybrid logical clock. A crash leaves both or neither.

use std::collections::BTreeSet;

use automerge::sync::State;
use rusqlite::{Connection, OptionalExtension, params};

use opentill_core::catalog::Product;

use super::{PRODUCT_COLUMNS, Replica, ReplicaError, Result, product_row, upsert_products_in, write};
use crate::docs::offers::{OFFERS, OffersDoc};
use crate::docs::members::{MEMBERS, MembersDoc};
use crate::docs::settings::{SETTINGS, SettingsDoc};
use crate::docs::devices::{DEVICES, DevicesDoc};
use crate::docs::staff::{STAFF, StaffDoc};
use crate::docs::{CATALOG, CatalogDoc, DocError, SharedDoc, decode_sync_state, encode_sync_state, wire_name};
use crate::hlc::HlcClock;

const HLC_LAST: &str = "hlc_last";
/// Suffix of the name a document's previous epoch is kept under until its replay.
const RETIRED: &str = "~retired";
/// Incremental saves kept before they are folded into a full save.
pub const COMPACT_AFTER: i64 = 64;

/// Loaded documents, each with the version it was loaded at.
#[derive(Default)]
pub(crate) struct DocCache {
    catalog: Option<(i64, CatalogDoc)>,
    pub(crate) offers: Option<(i64, OffersDoc)>,
    pub(crate) staff: Option<(i64, StaffDoc)>,
    pub(crate) members: Option<(i64, MembersDoc)>,
    pub(crate) settings: Option<(i64, SettingsDoc)>,
    pub(crate) devices: Option<(i64, DevicesDoc)>,
}

/// A shared document as this node keeps it: where its loaded copy is cached, and what a
/// change of it rewrites here (its projection, saved with it in one transaction by
/// `commit`, which puts the document back in its slot).
pub(crate) trait LocalDoc: SharedDoc {
    /// Its slot in the cache.
    fn slot(cache: &mut DocCache) -> &mut Option<(i64, Self)>;
    /// Saves the changes since `before` (hex heads), projects them and saves the clock.
    fn commit(replica: &mut Replica, version: i64, doc: Self, before: &[String], clock: &mut HlcClock, now_ms: i64) -> Result<DocUpdate>;
}

macro_rules! local_doc {
    ($doc:ty, $field:ident, $commit:ident) => {
        impl LocalDoc for $doc {
            fn slot(cache: &mut DocCache) -> &mut Option<(i64, Self)> {
                &mut cache.$field
            }
            fn commit(replica: &mut Replica, version: i64, doc: Self, before: &[String], clock: &mut HlcClock, now_ms: i64) -> Result<DocUpdate> {
                replica.$commit(version, doc, before, clock, now_ms)
            }
        }
    };
}

local_doc!(CatalogDoc, catalog, commit_catalog);
local_doc!(OffersDoc, offers, commit_offers);
local_doc!(StaffDoc, staff, commit_staff);
local_doc!(MembersDoc, members, commit_members);
local_doc!(SettingsDoc, settings, commit_settings);
local_doc!(DevicesDoc, devices, commit_devices);

/// Runs `$body` with `$D` standing for the type of the document named `$doc`; a name that
/// is no shared document is [`DocError::UnknownDocument`].
macro_rules! by_name {
    ($doc:expr, $D:ident => $body:expr) => {
        by_name!(@arms $doc, $D, $body, CATALOG: CatalogDoc, OFFERS: OffersDoc, STAFF: StaffDoc, MEMBERS: MembersDoc, SETTINGS: SettingsDoc, DEVICES: DevicesDoc)
    };
    (@arms $doc:expr, $D:ident, $body:expr, $($name:ident: $ty:ty),+) => {
        match $doc {
            $($name => {
                type $D = $ty;
                $body
            })+
            other => Err(DocError::UnknownDocument(other.into()).into()),
        }
    };
}

impl Replica {
    /// Document `D`, loaded (or reused if nobody wrote it since).
    pub(crate) fn loaded<D: LocalDoc>(&mut self) -> Result<&mut D> {
        let current = doc_version(&self.conn, D::NAME)?.unwrap_or(0);
        let slot = D::slot(&mut self.docs);
        if slot.as_ref().is_none_or(|(v, _)| *v != current || current == 0) {
            *slot = Some(load_doc(&self.conn)?);
        }
        Ok(&mut D::slot(&mut self.docs).as_mut().expect("just loaded").1)
    }

    /// Runs `edit` on document `D` with this node's clock, then commits it (changes,
    /// projection, clock) in one transaction. A refused edit changes nothing: the copy it
    /// may have half changed is dropped and the next use reloads it.
    pub(crate) fn edit_local<D: LocalDoc, T>(&mut self, now_ms: i64, edit: impl FnOnce(&mut D, &mut HlcClock) -> std::result::Result<T, DocError>) -> Result<(T, DocUpdate)> {
        let mut clock = self.hlc_clock()?;
        self.loaded::<D>()?;
        let (version, mut doc) = D::slot(&mut self.docs).take().expect("loaded");
        let before = doc.heads();
        let out = edit(&mut doc, &mut clock)?;
        let update = D::commit(self, version, doc, &before, &mut clock, now_ms)?;
        Ok((out, update))
    }

    /// Merges a peer's sync message into document `D` and commits it. A message that
    /// does not decode or apply changes nothing (the copy is reloaded next time).
    pub(crate) fn receive_into<D: LocalDoc>(&mut self, state: &mut State, message: &[u8], now_ms: i64) -> Result<DocUpdate> {
        let mut clock = self.hlc_clock()?;
        self.loaded::<D>()?;
        let (version, mut doc) = D::slot(&mut self.docs).take().expect("loaded");
        let before = doc.heads();
        let mut trial = state.clone();
        doc.receive_sync_message(&mut trial, message)?;
        *state = trial;
        D::commit(self, version, doc, &before, &mut clock, now_ms)
    }
}

/// What an edit or a merge of a shared document did on this node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocUpdate {
    /// What changed (for any store): SKUs in the catalog, `section:id` in the offers.
    pub changed: BTreeSet<String>,
    /// Rows rewritten in this store's tables (products; promotions, coupons, settings).
    pub projected: usize,
}

/// A product's prices in the shared catalog, as this store sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatalogPrices {
    /// The central price, for every store without its own; `None` when the shared catalog
    /// does not hold the product (it was only imported here).
    pub central_minor: Option<i64>,
    /// This store's own price, when it has one.
    pub store_minor: Option<i64>,
}

/// One change of a product's price in this store's catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceChange {
    /// When the new price took effect here.
    pub ts_ms: i64,
    /// Before.
    pub old_minor: i64,
    /// After.
    pub new_minor: i64,
}

/// A document's state on this node, for `sync status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocStatus {
    /// The document.
    pub name: String,
    /// Its epoch (1 until head office first compacts it).
    pub epoch: i64,
    /// Its heads (hex, sorted).
    pub heads: Vec<String>,
    /// Increments since the last full save.
    pub n_increments: i64,
    /// Bytes stored (full save and increments).
    pub n_bytes: i64,
    /// When it last synced with the cloud (unix ms).
    pub synced_ms: Option<i64>,
}

fn version(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn.prepare_cached("SELECT version FROM documents WHERE name = ?1")?.query_row([name], |r| r.get(0)).optional()?)
}

pub(crate) fn load_doc<D: SharedDoc>(conn: &Connection) -> Result<(i64, D)> {
    let row: Option<(Vec<u8>, i64)> = conn.prepare_cached("SELECT snapshot, version FROM documents WHERE name = ?1")?.query_row([D::NAME], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    let Some((snapshot, version)) = row else { return Ok((0, D::new())) };
    let increments: Vec<Vec<u8>> =
        conn.prepare_cached("SELECT bytes FROM document_changes WHERE name = ?1 ORDER BY id")?.query_map([D::NAME], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok((version, D::load(&snapshot, &increments)?))
}

/// Writes what changed in `doc` since it was loaded or last saved.
pub(crate) fn save_doc<D: SharedDoc>(conn: &Connection, doc: &mut D, known_version: i64, now_ms: i64) -> Result<i64> {
    let name = D::NAME;
    if known_version == 0 {
        conn.prepare_cached("INSERT INTO documents (name, snapshot, version, updated_ms) VALUES (?1, ?2, 1, ?3)")?.execute(params![name, doc.save(), now_ms])?;
        return Ok(1);
    }
    let increment = doc.save_incremental();
    if increment.is_empty() {
        return Ok(known_version);
    }
    conn.prepare_cached("INSERT INTO document_changes (name, bytes) VALUES (?1, ?2)")?.execute(params![name, increment])?;
    let n: i64 = conn.prepare_cached("SELECT count(*) FROM document_changes WHERE name = ?1")?.query_row([name], |r| r.get(0))?;
    if n > COMPACT_AFTER {
        conn.prepare_cached("UPDATE documents SET snapshot = ?2 WHERE name = ?1")?.execute(params![name, doc.save()])?;
        conn.prepare_cached("DELETE FROM document_changes WHERE name = ?1")?.execute([name])?;
    }
    conn.prepare_cached("UPDATE documents SET version = version + 1, updated_ms = ?2 WHERE name = ?1")?.execute(params![name, now_ms])?;
    Ok(known_version + 1)
}

/// Persists the node's hybrid logical clock (inside the caller's transaction).
pub(crate) fn save_clock(conn: &Connection, clock: &HlcClock) -> Result<()> {
    let (wall, counter) = clock.last();
    conn.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?.execute(params![HLC_LAST, format!("{wall}.{counter}")])?;
    Ok(())
}

pub(crate) fn doc_version(conn: &Connection, name: &str) -> Result<Option<i64>> {
    version(conn, name)
}

impl Replica {
    /// The catalog document, loaded (or reused if nobody wrote it since).
    pub fn catalog(&mut self) -> Result<&mut CatalogDoc> {
        self.loaded()
    }

    /// This node's hybrid logical clock, as persisted.
    pub fn hlc_clock(&self) -> Result<HlcClock> {
        let last = self.meta_get(HLC_LAST)?.and_then(|v| {
            let (wall, counter) = v.split_once('.')?;
            Some((wall.parse().ok()?, counter.parse().ok()?))
        });
        Ok(HlcClock::new(&self.settings.node_id, last.unwrap_or((0, 0))))
    }

    /// Runs `edit` on the catalog with this node's clock, then saves the changes, projects
    /// the SKUs they touched into this store's catalog and saves the clock, in one
    /// transaction. An edit that fails changes nothing.
    pub fn edit_catalog<T>(&mut self, now_ms: i64, edit: impl FnOnce(&mut CatalogDoc, &mut HlcClock) -> Result<T, DocError>) -> Result<(T, DocUpdate)> {
        self.edit_local(now_ms, edit)
    }

    /// Changes a price in the shared catalog from this store: this store's own price
    /// (`None` removes it), or with `central` the price of every store without one of its
    /// own. A SKU the shared catalog does not have yet but this store sells (imported
    /// here) is added to it first, with this store's details and price as central price;
    /// an unknown SKU is refused.
    pub fn set_catalog_price(&mut self, sku: &str, minor: Option<i64>, central: bool, now_ms: i64) -> Result<(crate::hlc::Hlc, DocUpdate)> {
        let local = self.product_by_sku(sku)?;
        let store = self.settings.store_id.clone();
        self.edit_catalog(now_ms, |doc, clock| {
            if doc.details(sku).is_none() {
                let Some(local) = &local else { return Err(DocError::BadEdit { sku: sku.into(), reason: "no such product in this store or the shared catalog".into() }) };
                doc.put_product(local, clock, now_ms)?;
            }
            match (central, minor) {
                (true, Some(minor)) => doc.set_price(sku, minor, clock, now_ms),
                (true, None) => Err(DocError::BadEdit { sku: sku.into(), reason: "a central price can be changed, not removed".into() }),
                (false, minor) => doc.set_store_price(&store, sku, minor, clock, now_ms),
            }
        })
    }

    /// Adds a product to the shared catalog, or changes its details: a SKU the shared
    /// catalog has no price for yet gets `product.price_minor` as its central price; one
    /// it has keeps its prices (change them with [`Replica::set_catalog_price`]). A barcode
    /// of another product is refused.
    pub fn put_catalog_product(&mut self, product: &Product, now_ms: i64) -> Result<(crate::hlc::Hlc, DocUpdate)> {
        for code in &product.barcodes {
            if let Some(owner) = self.barcode_owner(code)?
                && owner != product.sku
            {
                return Err(ReplicaError::BarcodeTaken { code: code.clone(), sku: owner });
            }
        }
        self.edit_catalog(now_ms, |doc, clock| if doc.price(&product.sku).is_some() { doc.put_details_of(product, clock, now_ms) } else { doc.put_product(product, clock, now_ms) })
    }

    /// Adds every product this store sells that the shared catalog lacks to it, with this
    /// store's details and price as central price (a store seeding head office's catalog;
    /// `sync push` then sends it up). Products the shared catalog has keep their details
    /// and prices. Returns how many were added.
    pub fn publish_catalog(&mut self, now_ms: i64) -> Result<usize> {
        let mut stmt = self.conn.prepare(&format!("SELECT {PRODUCT_COLUMNS} FROM products AS p ORDER BY p.sku"))?;
        let local: Vec<opentill_core::catalog::Product> = stmt.query_map([], product_row)?.collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let missing: Vec<_> = {
            let doc = self.catalog()?;
            local.into_iter().filter(|p| doc.details(&p.sku).is_none()).collect()
        };
        if missing.is_empty() {
            return Ok(0);
        }
        let n = missing.len();
        self.edit_catalog(now_ms, |doc, clock| doc.put_products(&missing, clock, now_ms, |_| {}))?;
        Ok(n)
    }

    /// The central price and this store's own price of `sku` in the shared catalog.
    pub fn catalog_prices(&mut self, sku: &str) -> Result<CatalogPrices> {
        let store = self.settings.store_id.clone();
        let doc = self.catalog()?;
        Ok(CatalogPrices { central_minor: doc.price(sku).map(|(minor, _)| minor), store_minor: doc.store_price(&store, sku).and_then(|(minor, _)| minor) })
    }

    /// The last `limit` price changes of `sku` in this store, newest first.
    pub fn price_history(&self, sku: &str, limit: usize) -> Result<Vec<PriceChange>> {
        let mut stmt = self.conn.prepare_cached("SELECT ts_ms, old_minor, new_minor FROM price_history WHERE sku = ?1 ORDER BY id DESC LIMIT ?2")?;
        let rows = stmt.query_map(params![sku, limit as i64], |r| Ok(PriceChange { ts_ms: r.get(0)?, old_minor: r.get(1)?, new_minor: r.get(2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn commit_catalog(&mut self, version: i64, mut doc: CatalogDoc, before: &[String], clock: &mut HlcClock, now_ms: i64) -> Result<DocUpdate> {
        let changed = doc.changed_since(before).skus;
        let store = self.settings.store_id.clone();
        let products: Vec<_> = changed.iter().filter_map(|sku| doc.effective(&store, sku)).collect();
        for sku in &changed {
            if let Some(hlc) = doc.latest_hlc(&store, sku) {
                clock.observe(&hlc);
            }
        }
        let tx = write(&mut self.conn)?;
        let version = save_doc(&tx, &mut doc, version, now_ms)?;
        upsert_products_in(&tx, &products, now_ms, true, |_| {})?;
        save_clock(&tx, clock)?;
        if !products.is_empty() {
            // A product new to this store may let an offer set aside for it run.
            super::offers::reproject_if_set_aside(&tx, &mut self.docs, &self.settings.store_id, now_ms)?;
        }
        tx.commit()?;
        self.docs.catalog = Some((version, doc));
        Ok(DocUpdate { projected: products.len(), changed })
    }

    /// Starts syncing document `doc` with `peer`: what was agreed with it last time in
    /// this epoch.
    pub fn doc_sync_state(&mut self, doc: &str, peer: &str) -> Result<State> {
        let key = self.doc_wire_name(doc)?;
        let bytes: Option<Vec<u8>> = self.conn.prepare_cached("SELECT state FROM document_peers WHERE name = ?1 AND peer = ?2")?.query_row([&key, peer], |r| r.get(0)).optional()?;
        Ok(decode_sync_state(bytes.as_deref()))
    }

    /// Document `doc`'s epoch here (1 until its first compaction).
    pub fn doc_epoch(&mut self, doc: &str) -> Result<i64> {
        by_name!(doc, D => Ok(self.loaded::<D>()?.epoch()))
    }

    /// The name document `doc` goes by on the wire and in sync states, for its epoch.
    pub fn doc_wire_name(&mut self, doc: &str) -> Result<String> {
        Ok(wire_name(doc, self.doc_epoch(doc)?))
    }

    /// Moves document `doc` to a newer epoch a peer announced (head office compacted it):
    /// in one transaction, the current copy is kept aside as the retired one (merged into
    /// one already there), the document restarts from the new epoch's genesis, and the
    /// sync states of every peer are dropped. The sync then fetches the new epoch whole;
    /// [`Replica::finish_epoch_switch`] replays this node's edits the compaction missed.
    pub fn switch_epoch(&mut self, doc: &str, epoch: i64, now_ms: i64) -> Result<()> {
        by_name!(doc, D => self.switch_epoch_of::<D>(epoch, now_ms))
    }

    fn switch_epoch_of<D: SharedDoc>(&mut self, epoch: i64, now_ms: i64) -> Result<()> {
        let (_, current) = load_doc::<D>(&self.conn)?;
        if epoch <= current.epoch() {
            return Ok(());
        }
        let retired_name = format!("{}{RETIRED}", D::NAME);
        let tx = write(&mut self.conn)?;
        let earlier: Option<Vec<u8>> = tx.prepare_cached("SELECT snapshot FROM documents WHERE name = ?1")?.query_row([&retired_name], |r| r.get(0)).optional()?;
        let mut retired = match earlier {
            // A switch whose replay never ran (a crash): keep both nodes' worth of edits.
            Some(bytes) => {
                let mut r = D::load(&bytes, &[])?;
                r.replay(&current.registers()?)?;
                r
            }
            None => current,
        };
        tx.prepare_cached("INSERT INTO documents (name, snapshot, version, updated_ms) VALUES (?1, ?2, 1, ?3) ON CONFLICT (name) DO UPDATE SET snapshot = excluded.snapshot, updated_ms = excluded.updated_ms")?
            .execute(params![retired_name, retired.save(), now_ms])?;
        tx.prepare_cached("DELETE FROM document_changes WHERE name = ?1")?.execute([D::NAME])?;
        tx.prepare_cached("INSERT INTO documents (name, snapshot, version, updated_ms) VALUES (?1, ?2, 1, ?3) ON CONFLICT (name) DO UPDATE SET snapshot = excluded.snapshot, version = documents.version + 1, updated_ms = excluded.updated_ms")?
            .execute(params![D::NAME, D::new_epoch(epoch).save(), now_ms])?;
        tx.prepare_cached("DELETE FROM document_peers WHERE name = ?1 OR name LIKE ?1 || '@%'")?.execute([D::NAME])?;
        tx.commit()?;
        self.docs = DocCache::default();
        tracing::info!(document = D::NAME, epoch, "moved to a newer epoch of a shared document");
        Ok(())
    }

    /// After an epoch switch has synced: replays this node's edits that the compaction
    /// did not see (its retired copy's registers newer than the new epoch's), projects
    /// them, and drops the retired copy. Returns how many were replayed (0, and nothing
    /// done, without a retired copy). Idempotent: a replay only writes what is newer.
    pub fn finish_epoch_switch(&mut self, doc: &str, now_ms: i64) -> Result<usize> {
        let retired_name = format!("{}{RETIRED}", known(doc)?);
        let Some(bytes): Option<Vec<u8>> = self.conn.prepare_cached("SELECT snapshot FROM documents WHERE name = ?1")?.query_row([&retired_name], |r| r.get(0)).optional()? else {
            return Ok(0);
        };
        let n = by_name!(doc, D => {
            let older = D::load(&bytes, &[])?.registers()?;
            self.edit_local::<D, _>(now_ms, |d, _| d.replay(&older)).map(|(n, _)| n)
        })?;
        self.conn.prepare_cached("DELETE FROM documents WHERE name = ?1")?.execute([&retired_name])?;
        tracing::info!(document = doc, replayed = n, "replayed this node's edits into the new epoch");
        Ok(n)
    }

    /// The next sync message of document `doc` for a peer, if there is anything to say.
    pub fn doc_sync_message(&mut self, doc: &str, state: &mut State) -> Result<Option<Vec<u8>>> {
        by_name!(doc, D => Ok(self.loaded::<D>()?.generate_sync_message(state)))
    }

    /// Applies a peer's sync message of document `doc`: merges, saves, and projects what
    /// changed, in one transaction. A message that does not decode or apply changes
    /// nothing.
    pub fn receive_doc_sync(&mut self, doc: &str, state: &mut State, message: &[u8], now_ms: i64) -> Result<DocUpdate> {
        by_name!(doc, D => self.receive_into::<D>(state, message, now_ms))
    }

    /// Records how far this node and `peer` agree on document `doc` (in its epoch).
    pub fn finish_doc_sync(&mut self, doc: &str, peer: &str, state: &State, now_ms: i64) -> Result<()> {
        let key = self.doc_wire_name(doc)?;
        self.conn
            .prepare_cached(
                "INSERT INTO document_peers (name, peer, state, synced_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name, peer) DO UPDATE SET state = excluded.state, synced_ms = excluded.synced_ms",
            )?
            .execute(params![key, peer, encode_sync_state(state), now_ms])?;
        Ok(())
    }

    /// Document `doc`'s heads on this node (hex, sorted).
    pub fn doc_heads(&mut self, doc: &str) -> Result<Vec<String>> {
        by_name!(doc, D => Ok(self.loaded::<D>()?.heads()))
    }

    /// Document `doc`'s state on this node.
    pub fn doc_status(&mut self, doc: &str, peer: &str) -> Result<DocStatus> {
        let heads = self.doc_heads(doc)?;
        let (n_increments, inc_bytes): (i64, i64) =
            self.conn.prepare_cached("SELECT count(*), coalesce(sum(length(bytes)), 0) FROM document_changes WHERE name = ?1")?.query_row([doc], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let snapshot: i64 = self.conn.prepare_cached("SELECT coalesce(sum(length(snapshot)), 0) FROM documents WHERE name = ?1")?.query_row([doc], |r| r.get(0))?;
        let epoch = self.doc_epoch(doc)?;
        let synced_ms = self.conn.prepare_cached("SELECT synced_ms FROM document_peers WHERE name = ?1 AND peer = ?2")?.query_row([wire_name(doc, epoch), peer.to_string()], |r| r.get(0)).optional()?;
        Ok(DocStatus { name: doc.into(), epoch, heads, n_increments, n_bytes: snapshot + inc_bytes, synced_ms })
    }
}

/// `doc` if it names a shared document.
fn known(doc: &str) -> Result<&'static str> {
    crate::docs::SHARED.into_iter().find(|d| *d == doc).ok_or_else(|| DocError::UnknownDocument(doc.to_string()).into())
}

#[cfg(test)]
mod tests {
    use opentill_core::catalog::{Product, Unit};
    use opentill_core::tax::TaxRate;

    use super::*;
    use crate::StoreSettings;

    fn product(sku: &str, code: &str, price: i64) -> Product {
        Product {
            sku: sku.into(),
            barcodes: vec![code.into()],
            name: sku.into(),
            name_zh: "茶".into(),
            category: "drinks".into(),
            tags: vec![],
            unit: Unit::Each,
            price_minor: price,
            tax_rate: TaxRate(1300),
            parent_sku: None,
            specs: vec![],
        }
    }

    #[test]
    fn edits_are_projected_kept_across_restarts_and_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = Replica::create(dir.path(), StoreSettings::new("S1", "n1"), [1; 32]).unwrap();
        let (_, update) = replica.edit_catalog(1_000, |doc, clock| doc.put_product(&product("TEA", "6900000000093", 450), clock, 1_000)).unwrap();
        assert_eq!((update.projected, update.changed.len()), (1, 1));
        assert_eq!(replica.product_by_barcode("6900000000093").unwrap().unwrap().price_minor, 450);
        // The store's own price is what it sells at; other stores' prices are not.
        replica.edit_catalog(2_000, |doc, clock| doc.set_store_price("S1", "TEA", Some(420), clock, 2_000)).unwrap();
        replica.edit_catalog(2_001, |doc, clock| doc.set_store_price("S2", "TEA", Some(999), clock, 2_001)).unwrap();
        assert_eq!(replica.product_by_sku("TEA").unwrap().unwrap().price_minor, 420);
        // A barcode the shared catalog gives to another product moves to it.
        replica.edit_catalog(3_000, |doc, clock| doc.put_product(&product("TEA-2", "6900000000093", 500), clock, 3_000)).unwrap();
        assert_eq!(replica.product_by_barcode("6900000000093").unwrap().unwrap().sku, "TEA-2");
        // A refused edit changes nothing.
        let heads = replica.catalog().unwrap().heads();
        assert!(replica.edit_catalog(4_000, |doc, clock| doc.set_price("TEA", -1, clock, 4_000)).is_err());
        assert_eq!(replica.catalog().unwrap().heads(), heads);
        for i in 0..(COMPACT_AFTER + 6) {
            replica.edit_catalog(5_000 + i, |doc, clock| doc.set_price("TEA", 400 + i, clock, 5_000 + i)).unwrap();
        }
        let status = replica.doc_status(CATALOG, "cloud").unwrap();
        assert!(status.n_increments <= COMPACT_AFTER, "increments are folded into a full save: {status:?}");
        let heads = status.heads;
        drop(replica);
        let mut replica = Replica::open(dir.path()).unwrap();
        assert_eq!(replica.catalog().unwrap().heads(), heads);
        assert_eq!(replica.catalog().unwrap().price("TEA").unwrap().0, 400 + COMPACT_AFTER + 5);
        // The clock survived the restart: the next edit is stamped after every earlier one.
        let (hlc, _) = replica.edit_catalog(0, |doc, clock| doc.set_price("TEA", 1, clock, 0)).unwrap();
        assert!(hlc.wall_ms >= 5_000 + COMPACT_AFTER + 5, "{hlc}");
        assert_eq!(replica.product_by_sku("TEA").unwrap().unwrap().price_minor, 420, "the store's own price still applies");
        // A reloaded document stores only what is new: one small increment for one edit,
        // not again every increment it was loaded from.
        drop(replica);
        let mut replica = Replica::open(dir.path()).unwrap();
        let before = replica.doc_status(CATALOG, "cloud").unwrap();
        assert!(before.n_increments > 1, "{before:?}");
        replica.edit_catalog(9_000, |doc, clock| doc.set_price("TEA", 2, clock, 9_000)).unwrap();
        let after = replica.doc_status(CATALOG, "cloud").unwrap();
        assert_eq!(after.n_increments, before.n_increments + 1);
        assert!(after.n_bytes - before.n_bytes < 300, "{} bytes for one price", after.n_bytes - before.n_bytes);
    }
}
