//! The append-only journal: entry hashing, signing and verification.
//!
//! Each entry is `(node_id, seq, ts_ms, kind, body, prev_hash, hash, signature)`.
//! `hash = SHA-256("opentill/journal/v1" 0 node_id 0 seq ts_ms kind 0 prev_hash body)`
//! with integers big-endian, and `signature` is the node's Ed25519 signature of `hash`.
//! The first entry's `prev_hash` is 32 zero bytes.
//!
//! **Architecture Invariant:** `seq` starts at 1 and has no gaps; every entry's
//! `prev_hash` is the previous entry's `hash`. Together with the signatures this makes any
//! edit, deletion or reordering detectable by [`crate::Replica::verify`].

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// A journal entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The node that wrote it.
    pub node_id: String,
    /// Gap-free sequence number, from 1.
    pub seq: u64,
    /// When (unix ms), as the node's clock said.
    pub ts_ms: i64,
    /// The fact's kind (`sale`, `refund`, ...).
    pub kind: String,
    /// The fact as JSON, exactly as hashed.
    pub body: Vec<u8>,
    /// The previous entry's hash.
    pub prev_hash: [u8; 32],
    /// This entry's hash.
    pub hash: [u8; 32],
    /// Ed25519 signature of `hash`.
    pub signature: [u8; 64],
}

/// Computes an entry's hash.
pub fn entry_hash(node_id: &str, seq: u64, ts_ms: i64, kind: &str, prev_hash: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"opentill/journal/v1\0");
    hasher.update(node_id.as_bytes());
    hasher.update([0]);
    hasher.update(seq.to_be_bytes());
    hasher.update(ts_ms.to_be_bytes());
    hasher.update(kind.as_bytes());
    hasher.update([0]);
    hasher.update(prev_hash);
    hasher.update(body);
    hasher.finalize().into()
}

/// Builds and signs the entry that follows `prev` (or starts the journal).
pub fn seal(key: &SigningKey, node_id: &str, seq: u64, ts_ms: i64, kind: &str, prev_hash: [u8; 32], body: Vec<u8>) -> Entry {
    let hash = entry_hash(node_id, seq, ts_ms, kind, &prev_hash, &body);
    let signature = key.sign(&hash).to_bytes();
    Entry { node_id: node_id.to_string(), seq, ts_ms, kind: kind.to_string(), body, prev_hash, hash, signature }
}

/// What is wrong with an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    /// A sequence number is missing or repeated.
    #[error("sequence broken: expected {expected}, found {found}")]
    Sequence {
        /// Expected seq.
        expected: u64,
        /// Found seq.
        found: u64,
    },
    /// `prev_hash` does not match the previous entry's hash.
    #[error("chain broken: prev_hash does not match the previous entry")]
    Chain,
    /// The content does not hash to the stored hash: it was edited.
    #[error("hash mismatch: the entry was altered")]
    Hash,
    /// The signature is not the node's.
    #[error("bad signature")]
    Signature,
    /// Written by another node.
    #[error("written by node {0}, not this node")]
    Node(String),
    /// The body is not a fact this version understands, or its kind disagrees.
    #[error("body unreadable: {0}")]
    Body(String),
}

/// Checks one entry against its predecessor's hash and the node's public key.
pub fn check_entry(entry: &Entry, expected_seq: u64, prev_hash: &[u8; 32], node_id: &str, key: &VerifyingKey) -> Result<(), EntryProblem> {
    if entry.seq != expected_seq {
        return Err(EntryProblem::Sequence { expected: expected_seq, found: entry.seq });
    }
    if entry.node_id != node_id {
        return Err(EntryProblem::Node(entry.node_id.clone()));
    }
    if &entry.prev_hash != prev_hash {
        return Err(EntryProblem::Chain);
    }
    if entry_hash(&entry.node_id, entry.seq, entry.ts_ms, &entry.kind, &entry.prev_hash, &entry.body) != entry.hash {
        return Err(EntryProblem::Hash);
    }
    key.verify(&entry.hash, &Signature::from_bytes(&entry.signature)).map_err(|_| EntryProblem::Signature)
}
