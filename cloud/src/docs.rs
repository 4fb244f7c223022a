//! The cloud's side of shared documents: the tenant's catalog and offers, edited by head
//! office and merged with every node of the tenant's stores (automerge's sync protocol,
//! one round per request, see `opentill_sync::push::sync_doc`).
//!
//! The cloud keeps one full save per tenant and document, written only if its version did
//! not move since it was read (`Ledger::put_document`), so any number of stateless cloud
//! servers can merge into it: a writer that loses the race reloads, merges again and
//! retries. Merging is idempotent, so a retried or replayed round changes nothing twice.
//!
//! A write (head office's edit or a node's merge) that leaves a document's history longer
//! than [`COMPACT_AFTER`] changes (and twice its values) compacts it into the next epoch,
//! as `compact-doc` does by hand.

use std::sync::atomic::{AtomicUsize, Ordering};

use opentill_sync::docs::members::{MEMBERS, MembersDoc};
use opentill_sync::docs::offers::{OFFERS, OffersDoc};
use opentill_sync::docs::settings::{SETTINGS, SettingsDoc};
use opentill_sync::docs::devices::{DEVICES, DevicesDoc};
use opentill_sync::docs::staff::{STAFF, StaffDoc};
use opentill_sync::docs::{CATALOG, CatalogDoc, DocError, SharedDoc, decode_sync_state, encode_sync_state, parse_wire_name, wire_name};
use opentill_sync::hlc::HlcClock;
use opentill_sync::protocol::{DocReply, DocSync, Message};
use tracing::{info, warn};

use crate::ingest::Reply;
use crate::ledger::{Ledger, LedgerError};

/// How many times a write that lost a race is retried.
const RETRIES: usize = 8;

/// Errors of head office's edits of a shared document.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Storage failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The edit was refused or the stored document is unreadable.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// Other writers kept winning.
    #[error("the shared document kept changing under this edit; try again")]
    Busy,
}

/// A tenant's catalog as stored, with its version (0: none yet).
pub fn load(ledger: &dyn Ledger, tenant: &str) -> Result<(i64, CatalogDoc), CatalogError> {
    load_doc(ledger, tenant)
}

/// A tenant's document `D` as stored, with its version (0: none yet).
pub fn load_doc<D: SharedDoc>(ledger: &dyn Ledger, tenant: &str) -> Result<(i64, D), CatalogError> {
    Ok(match ledger.document(tenant, D::NAME)? {
        Some((bytes, version)) => (version, D::load(&bytes, &[])?),
        None => (0, D::new()),
    })
}

/// Edits a tenant's catalog as head office and stores it.
pub fn edit<T>(ledger: &mut dyn Ledger, tenant: &str, now_ms: i64, edit: impl FnMut(&mut CatalogDoc, &mut HlcClock) -> Result<T, DocError>) -> Result<T, CatalogError> {
    edit_doc(ledger, tenant, now_ms, edit)
}

/// Edits a tenant's offers as head office and stores them.
pub fn edit_offers<T>(ledger: &mut dyn Ledger, tenant: &str, now_ms: i64, edit: impl FnMut(&mut OffersDoc, &mut HlcClock) -> Result<T, DocError>) -> Result<T, CatalogError> {
    edit_doc(ledger, tenant, now_ms, edit)
}

/// Edits a tenant's document `D` as head office (HLC node `cloud`) and stores it,
/// reloading and editing again when another writer moved it meanwhile.
pub fn edit_doc<D: SharedDoc, T>(ledger: &mut dyn Ledger, tenant: &str, now_ms: i64, mut edit: impl FnMut(&mut D, &mut HlcClock) -> Result<T, DocError>) -> Result<T, CatalogError> {
    for _ in 0..RETRIES {
        let (version, mut doc) = load_doc::<D>(ledger, tenant)?;
        // Every register write is stamped after the value it replaces, so the cloud's
        // clock needs no state of its own beyond the wall time.
        let mut clock = HlcClock::new("cloud", (0, 0));
        let out = edit(&mut doc, &mut clock)?;
        if ledger.put_document(tenant, D::NAME, &doc.save(), version, now_ms)? {
            compact_if_long(ledger, tenant, &mut doc, now_ms);
            return Ok(out);
        }
    }
    Err(CatalogError::Busy)
}

/// What a compaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compaction {
    /// The document.
    pub doc: String,
    /// Epoch before and after.
    pub from_epoch: i64,
    /// The new epoch.
    pub to_epoch: i64,
    /// Bytes stored before and after.
    pub bytes_before: usize,
    /// After.
    pub bytes_after: usize,
    /// Registers carried over.
    pub registers: usize,
}

/// **Compacts** a tenant's document `doc` (any of [`opentill_sync::docs::SHARED`]): replaces it with the next
/// epoch, holding exactly its winning registers and none of their history. Nodes still on
/// the old epoch are moved to the new one on their next sync and replay their own edits
/// it lacks (see `opentill_sync::push::sync_doc`).
pub fn compact(ledger: &mut dyn Ledger, tenant: &str, doc: &str, now_ms: i64) -> Result<Compaction, CatalogError> {
    match doc {
        CATALOG => compact_doc::<CatalogDoc>(ledger, tenant, now_ms),
        OFFERS => compact_doc::<OffersDoc>(ledger, tenant, now_ms),
        STAFF => compact_doc::<StaffDoc>(ledger, tenant, now_ms),
        MEMBERS => compact_doc::<MembersDoc>(ledger, tenant, now_ms),
        SETTINGS => compact_doc::<SettingsDoc>(ledger, tenant, now_ms),
        DEVICES => compact_doc::<DevicesDoc>(ledger, tenant, now_ms),
        other => Err(CatalogError::Doc(DocError::UnknownDocument(other.into()))),
    }
}

/// Changes in a tenant's document's history past which a merge that changed it compacts it
/// ([`SharedDoc::worth_compacting`]); 0 never. Set once by `opentill-cloud serve
/// --compact-after-changes`.
pub static COMPACT_AFTER: AtomicUsize = AtomicUsize::new(DEFAULT_COMPACT_AFTER);

/// [`COMPACT_AFTER`] unless set: 20,000 changes.
pub const DEFAULT_COMPACT_AFTER: usize = 20_000;

/// After a write of `doc` (just stored): compacts it if its history grew past
/// [`COMPACT_AFTER`] (nodes move to the new epoch on their next round). A failure is
/// logged; the document stays as it is.
fn compact_if_long<D: SharedDoc>(ledger: &mut dyn Ledger, tenant: &str, doc: &mut D, now_ms: i64) {
    if !doc.worth_compacting(COMPACT_AFTER.load(Ordering::Relaxed)).unwrap_or(false) {
        return;
    }
    match compact_doc::<D>(ledger, tenant, now_ms) {
        Ok(c) => info!(tenant, document = D::NAME, to_epoch = c.to_epoch, bytes_before = c.bytes_before, bytes_after = c.bytes_after, "compacted a shared document automatically"),
        Err(e) => warn!(tenant, document = D::NAME, error = %e, "automatic compaction failed; the document stays as it is"),
    }
}

fn compact_doc<D: SharedDoc>(ledger: &mut dyn Ledger, tenant: &str, now_ms: i64) -> Result<Compaction, CatalogError> {
    for _ in 0..RETRIES {
        let Some((bytes, version)) = ledger.document(tenant, D::NAME)? else {
            return Err(CatalogError::Doc(DocError::BadEdit { sku: D::NAME.into(), reason: format!("tenant {tenant} has no {} document yet", D::NAME) }));
        };
        let doc = D::load(&bytes, &[])?;
        let registers = doc.registers()?.len();
        let mut next = doc.compacted()?;
        let saved = next.save();
        if ledger.put_document(tenant, D::NAME, &saved, version, now_ms)? {
            info!(tenant, document = D::NAME, from = doc.epoch(), to = next.epoch(), before = bytes.len(), after = saved.len(), "compacted a shared document");
            return Ok(Compaction { doc: D::NAME.into(), from_epoch: doc.epoch(), to_epoch: next.epoch(), bytes_before: bytes.len(), bytes_after: saved.len(), registers });
        }
    }
    Err(CatalogError::Busy)
}

fn refused(status: u16, kind: &'static str, message: impl Into<String>) -> Reply {
    Reply::Refused { status, kind, message: message.into() }
}

/// Handles one round of a node's document sync: authenticates it, merges what the node
/// sent into its tenant's catalog, and answers with what the node lacks.
pub fn handle(ledger: &mut dyn Ledger, bytes: &[u8], now_ms: i64) -> Result<Reply, LedgerError> {
    let round = match Message::decode(bytes) {
        Err(e) => return Ok(refused(400, "bad_message", e.to_string())),
        Ok(Message::DocSync(round)) => round,
        Ok(_) => return Ok(refused(400, "unexpected_message", "this route takes document sync rounds only")),
    };
    handle_round(ledger, &round, now_ms)
}

fn handle_round(ledger: &mut dyn Ledger, round: &DocSync, now_ms: i64) -> Result<Reply, LedgerError> {
    match parse_wire_name(&round.doc) {
        Some((CATALOG, epoch)) => merge_round::<CatalogDoc>(ledger, round, epoch, now_ms),
        Some((OFFERS, epoch)) => merge_round::<OffersDoc>(ledger, round, epoch, now_ms),
        Some((STAFF, epoch)) => merge_round::<StaffDoc>(ledger, round, epoch, now_ms),
        Some((MEMBERS, epoch)) => merge_round::<MembersDoc>(ledger, round, epoch, now_ms),
        Some((SETTINGS, epoch)) => merge_round::<SettingsDoc>(ledger, round, epoch, now_ms),
        Some((DEVICES, epoch)) => merge_round::<DevicesDoc>(ledger, round, epoch, now_ms),
        _ => Ok(refused(404, "unknown_document", format!("no shared document called {:?}", round.doc))),
    }
}

fn merge_round<D: SharedDoc>(ledger: &mut dyn Ledger, round: &DocSync, epoch: i64, now_ms: i64) -> Result<Reply, LedgerError> {
    let name = D::NAME;
    let Some(node) = ledger.node(&round.store_id, &round.node_id)? else {
        return Ok(refused(401, "unknown_node", format!("node {}/{} is not enrolled", round.store_id, round.node_id)));
    };
    if !round.verify(&node.ledger.key) {
        return Ok(refused(403, "bad_signature", format!("document sync is not signed by node {}/{}", round.store_id, round.node_id)));
    }
    let Some(path) = ledger.store_path(&round.store_id)? else {
        return Ok(refused(401, "unknown_node", format!("store {} is not known", round.store_id)));
    };
    // Sync states are kept per epoch (under the wire name), so one agreed in an earlier
    // epoch is never used against a compacted document.
    let stored_state = ledger.document_peer(node.node_ref, &round.doc)?;
    for _ in 0..RETRIES {
        let (version, mut doc) = match ledger.document(&path.tenant, name)? {
            Some((bytes, version)) => match D::load(&bytes, &[]) {
                Ok(doc) => (version, doc),
                Err(e) => return Err(LedgerError::Corrupt(format!("tenant {}'s {name}: {e}", path.tenant))),
            },
            None => (0, D::new()),
        };
        let ours = doc.epoch();
        if epoch > ours {
            return Ok(refused(409, "epoch_ahead", format!("node {}/{} holds epoch {epoch} of the {name}, the cloud only {ours}", round.store_id, round.node_id)));
        }
        if epoch < ours {
            // Compacted since the node last synced: it moves to this epoch and fetches it
            // whole (its own edits since are replayed into it and come back next round).
            let reply = doc.generate_sync_message(&mut decode_sync_state(None)).unwrap_or_default();
            info!(tenant = %path.tenant, store = %round.store_id, node = %round.node_id, document = name, from = epoch, to = ours, "moving a node to a newer epoch");
            return Ok(Reply::Ack(Message::DocReply(DocReply { doc: wire_name(name, ours), sync: reply }).encode()));
        }
        let mut state = decode_sync_state(stored_state.as_deref());
        let before = doc.heads();
        if !round.sync.is_empty()
            && let Err(e) = doc.receive_sync_message(&mut state, &round.sync)
        {
            warn!(store = %round.store_id, node = %round.node_id, document = name, error = %e, "refused a document sync message");
            return Ok(refused(400, "bad_message", e.to_string()));
        }
        let reply = doc.generate_sync_message(&mut state).unwrap_or_default();
        let after = doc.heads();
        if after != before || version == 0 {
            if !ledger.put_document(&path.tenant, name, &doc.save(), version, now_ms)? {
                continue;
            }
            info!(tenant = %path.tenant, store = %round.store_id, node = %round.node_id, document = name, "merged a node's document changes");
            if after != before {
                compact_if_long(ledger, &path.tenant, &mut doc, now_ms);
            }
        }
        ledger.put_document_peer(node.node_ref, &round.doc, &encode_sync_state(&state), now_ms)?;
        return Ok(Reply::Ack(Message::DocReply(DocReply { doc: round.doc.clone(), sync: reply }).encode()));
    }
    Ok(refused(503, "busy", format!("the {name} document kept changing under this sync round; try again")))
}
