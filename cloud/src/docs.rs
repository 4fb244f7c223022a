//! The cloud's side of shared documents: the tenant's catalog, edited by head office and
//! merged with every node of the tenant's stores (automerge's sync protocol, one round per
//! request, see `opentill_sync::push::sync_catalog`).
//!
//! The cloud keeps one full save per tenant and document, written only if its version did
//! not move since it was read (`Ledger::put_document`), so any number of stateless cloud
//! servers can merge into it: a writer that loses the race reloads, merges again and
//! retries. Merging is idempotent, so a retried or replayed round changes nothing twice.

use opentill_sync::docs::{CATALOG, CatalogDoc, DocError, decode_sync_state, encode_sync_state};
use opentill_sync::hlc::HlcClock;
use opentill_sync::protocol::{DocReply, DocSync, Message};
use tracing::{info, warn};

use crate::ingest::Reply;
use crate::ledger::{Ledger, LedgerError};

/// How many times a write that lost a race is retried.
const RETRIES: usize = 8;

/// Errors of catalog edits.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Storage failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The edit was refused or the stored document is unreadable.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// Other writers kept winning.
    #[error("the catalog kept changing under this edit; try again")]
    Busy,
}

/// A tenant's catalog as stored, with its version (0: none yet).
pub fn load(ledger: &dyn Ledger, tenant: &str) -> Result<(i64, CatalogDoc), CatalogError> {
    Ok(match ledger.document(tenant, CATALOG)? {
        Some((bytes, version)) => (version, CatalogDoc::load(&bytes, &[])?),
        None => (0, CatalogDoc::new()),
    })
}

/// Edits a tenant's catalog as head office (HLC node `cloud`) and stores it.
pub fn edit<T>(ledger: &mut dyn Ledger, tenant: &str, now_ms: i64, mut edit: impl FnMut(&mut CatalogDoc, &mut HlcClock) -> Result<T, DocError>) -> Result<T, CatalogError> {
    for _ in 0..RETRIES {
        let (version, mut doc) = load(ledger, tenant)?;
        // Every register write is stamped after the value it replaces, so the cloud's
        // clock needs no state of its own beyond the wall time.
        let mut clock = HlcClock::new("cloud", (0, 0));
        let out = edit(&mut doc, &mut clock)?;
        if ledger.put_document(tenant, CATALOG, &doc.save(), version, now_ms)? {
            return Ok(out);
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
    if round.doc != CATALOG {
        return Ok(refused(404, "unknown_document", format!("no shared document called {:?}", round.doc)));
    }
    let Some(node) = ledger.node(&round.store_id, &round.node_id)? else {
        return Ok(refused(401, "unknown_node", format!("node {}/{} is not enrolled", round.store_id, round.node_id)));
    };
    if !round.verify(&node.ledger.key) {
        return Ok(refused(403, "bad_signature", format!("document sync is not signed by node {}/{}", round.store_id, round.node_id)));
    }
    let Some(path) = ledger.store_path(&round.store_id)? else {
        return Ok(refused(401, "unknown_node", format!("store {} is not known", round.store_id)));
    };
    let stored_state = ledger.document_peer(node.node_ref, CATALOG)?;
    for _ in 0..RETRIES {
        let (version, mut doc) = match ledger.document(&path.tenant, CATALOG)? {
            Some((bytes, version)) => match CatalogDoc::load(&bytes, &[]) {
                Ok(doc) => (version, doc),
                Err(e) => return Err(LedgerError::Corrupt(format!("tenant {}'s catalog: {e}", path.tenant))),
            },
            None => (0, CatalogDoc::new()),
        };
        let mut state = decode_sync_state(stored_state.as_deref());
        let before = doc.heads();
        if !round.sync.is_empty()
            && let Err(e) = doc.receive_sync_message(&mut state, &round.sync)
        {
            warn!(store = %round.store_id, node = %round.node_id, error = %e, "refused a document sync message");
            return Ok(refused(400, "bad_message", e.to_string()));
        }
        let reply = doc.generate_sync_message(&mut state).unwrap_or_default();
        let after = doc.heads();
        if after != before || version == 0 {
            if !ledger.put_document(&path.tenant, CATALOG, &doc.save(), version, now_ms)? {
                continue;
            }
            info!(tenant = %path.tenant, store = %round.store_id, node = %round.node_id, "merged a node's catalog changes");
        }
        ledger.put_document_peer(node.node_ref, CATALOG, &encode_sync_state(&state), now_ms)?;
        return Ok(Reply::Ack(Message::DocReply(DocReply { doc: CATALOG.into(), sync: reply }).encode()));
    }
    Ok(refused(503, "busy", "the catalog kept changing under this sync round; try again"))
}
