//! `POST /v1/balances`: the stored-value snapshot a store's node spends against (see
//! `opentill_core::allowance` and `docs/allowance.md`).
//!
//! The answer names, for every account of the tenant, the other stores' movements summed,
//! the store's offline allowance, and how far the cloud held each node of the store.
//! **Architecture Invariant:** the held seqs are read *before* the totals, so a node never
//! takes as confirmed a debit the totals it was sent could have missed.

use ed25519_dalek::{Signature, Verifier};
use opentill_sync::protocol::balances_request_message;
use opentill_sync::{AccountTotal, BalanceSnapshot, MemberTotal};
use serde::{Deserialize, Serialize};

use crate::ledger::{Ledger, LedgerError};

/// `POST /v1/balances` body: a node asks for its store's snapshot.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct BalancesRequest {
    /// The node's store.
    pub store_id: String,
    /// The node.
    pub node_id: String,
    /// When it asked (its clock; part of what it signs).
    pub ts_ms: i64,
    /// Signature of [`balances_request_message`], hex.
    pub signature: String,
    /// `POST /v1/transfers` only: per node of another store, the last of its transfer
    /// steps the asker holds; the answer leaves out those and the earlier ones. Not
    /// signed, because it can only narrow the answer, and what it leaves out the asker
    /// already holds (a node's steps reach the cloud in order, so a later one always has
    /// a larger seq).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<opentill_sync::NodeSeq>,
    /// `POST /v1/o2o` only: leave out orders placed and cancelled before this instant
    /// (the cloud's clock: the `as_of_ms` of an earlier answer, less an overlap). Not
    /// signed, for the same reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<i64>,
}

impl BalancesRequest {
    /// A request signed with `sign` (the node's key).
    pub fn signed(store_id: &str, node_id: &str, ts_ms: i64, sign: impl FnOnce(&[u8]) -> [u8; 64]) -> BalancesRequest {
        let signature = sign(&balances_request_message(store_id, node_id, ts_ms));
        BalancesRequest { store_id: store_id.into(), node_id: node_id.into(), ts_ms, signature: hex::encode(signature), after: Vec::new(), since_ms: None }
    }

    /// The signature, if it is 64 bytes of hex.
    pub fn signature(&self) -> Option<Signature> {
        hex::decode(&self.signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()).map(|b| Signature::from_bytes(&b))
    }
}

/// Why a request gets no snapshot.
#[derive(Debug, thiserror::Error)]
pub enum BalancesError {
    /// The signature is not 64 bytes of hex.
    #[error("signature must be 64 bytes of hex")]
    Malformed,
    /// The node is not enrolled.
    #[error("node {0} is not enrolled")]
    UnknownNode(String),
    /// Not signed by the node's enrolled key.
    #[error("the request is not signed by the node's enrolled key")]
    BadSignature,
    /// Storage failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Checks that `request` is signed over `message` by the enrolled key of the node it names.
pub fn authenticate(ledger: &dyn Ledger, request: &BalancesRequest, message: &[u8]) -> Result<(), BalancesError> {
    let signature = request.signature().ok_or(BalancesError::Malformed)?;
    let Some(record) = ledger.node(&request.store_id, &request.node_id)? else {
        return Err(BalancesError::UnknownNode(format!("{}/{}", request.store_id, request.node_id)));
    };
    record.ledger.key.verify(message, &signature).map_err(|_| BalancesError::BadSignature)
}

/// Answers a node's request from the ledger.
pub fn answer(ledger: &dyn Ledger, request: &BalancesRequest, now_ms: i64) -> Result<BalanceSnapshot, BalancesError> {
    authenticate(ledger, request, &balances_request_message(&request.store_id, &request.node_id, request.ts_ms))?;
    // Held seqs first, then the totals (see the module docs).
    let held = ledger.store_nodes(&request.store_id)?.into_iter().map(|n| (n.node_id, n.acked_seq)).collect();
    let (allowance_minor, accounts) = ledger.other_stores_balances(&request.store_id)?;
    Ok(BalanceSnapshot {
        store_id: request.store_id.clone(),
        as_of_ms: now_ms,
        allowance_minor,
        held,
        accounts: accounts.into_iter().map(|(account, others_minor)| AccountTotal { account, others_minor }).collect(),
        members: ledger.other_stores_members(&request.store_id)?.into_iter().map(|(member_id, spend_minor, points)| MemberTotal { member_id, spend_minor, points }).collect(),
    })
}

#[cfg(test)]
mod tests;
