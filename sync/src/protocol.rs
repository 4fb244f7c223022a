//! The journal replication protocol: a state machine with no I/O.
//!
//! Journals replicate as a grow-only set keyed by `(node, seq)`. A node ships its entries
//! in [`Batch`]es, each signed by the node; the receiver answers every message with an
//! [`Ack`] saying how far it holds that node's journal. Because the receiver keeps only a
//! contiguous prefix of each journal and acknowledges its end, any batch may be lost,
//! repeated or reordered: a repeat is acknowledged and ignored, a batch that starts past
//! the end is acknowledged without being stored (the sender rewinds), and a push that was
//! cut off resumes from the last acknowledgement. Transports (HTTP today) carry the bytes;
//! the caller does all I/O and all persistence.
//!
//! On the wire every message is a frame:
//!
//! ```text
//! "OTSY" | version u8 | kind u8 | payload length u32 BE | payload | SHA-256 of all before
//! ```
//!
//! Payloads (integers big-endian; `str` and `bytes` are a u32 length then the bytes):
//!
//! ```text
//! 1 Hello: store str | node str | ts_ms i64 | head_seq u64 | signature [64]
//! 2 Batch: store str | node str | prev_hash [32] | n u32 |
//!          n × (seq u64 | ts_ms i64 | kind str | body bytes | hash [32] | signature [64]) |
//!          batch signature [64]
//! 3 Ack:   store str | node str | acked_seq u64 | head_hash [32]
//! 6 Relay: carrier str | inner kind u8 (1 or 2) | a Hello or Batch payload whose
//!          signature is the carrier's
//! 7 Fetch: store str | node str | ts_ms i64 | max u32 | n u32 | n × (node str | held u64) |
//!          signature [64]
//! 8 Fetched: store str | carrier str | n u32 | n × (node str | key [32]) |
//!          m u32 | m × (Batch payload as bytes, its signature zeros) | more u8 | signature [64]
//! ```
//!
//! **Relaying.** In a store, tills sync with the store's edge agent, which carries their
//! journals to the cloud and hands each till the journals of the others (see
//! `crate::relay`). A carried hello or batch names the node whose journal it is about and
//! is signed by the *carrier* over SHA-256(`"opentill/relay/v1\0"` ‖ carrier ‖ the digest
//! the node itself would sign); every entry inside still carries the node's own signature
//! and hash chain, so a carrier can withhold entries but never forge or alter one. A
//! `Fetch` (signed by the asking till) lists how far the till holds each journal; the
//! `Fetched` answer (signed by the carrier) gives the store's roster of node keys and the
//! entries that follow.
//!
//! A hello is signed over SHA-256(`"opentill/hello/v1\0"` ‖ its payload before the
//! signature), a batch likewise with `"opentill/batch/v1\0"`; each entry's signature is
//! the journal's own (over the entry hash, see [`crate::journal`]).
//!
//! A frame that is truncated, too long, of another version or whose checksum fails is
//! rejected by [`Message::decode`] with a typed [`WireError`] before anything looks at it,
//! so a bad message never changes state.
//!
//! **Architecture Invariant:** [`NodeLedger::check`] is pure; the receiver's state moves only
//! through [`NodeLedger::apply`], after the caller has durably stored the accepted entries.
//!
//! **Architecture Invariant:** an entry is accepted only if it extends the held chain
//! (its predecessor's hash is the held head), its hash is the hash of its content, its
//! signature is the enrolled node's, and the batch carrying it is signed by that node.
//!
//! ```
//! use ed25519_dalek::SigningKey;
//! use opentill_sync::journal::{seal, GENESIS_HASH};
//! use opentill_sync::protocol::{Batch, Message, NodeLedger, Verdict};
//!
//! let key = SigningKey::from_bytes(&[9; 32]);
//! let first = seal(&key, "till-1", 1, 1_000, "no_sale", GENESIS_HASH, b"{}".to_vec());
//! let bytes = Message::Batch(Batch::seal(&key, "S1", "till-1", GENESIS_HASH, vec![first])).encode();
//!
//! let mut ledger = NodeLedger::new("S1", "till-1", key.verifying_key());
//! let Message::Batch(batch) = Message::decode(&bytes).unwrap() else { unreachable!() };
//! let verdict = ledger.check(&batch);
//! assert!(matches!(verdict, Verdict::Accept { .. }));
//! ledger.apply(&verdict); // after storing batch.entries() durably
//! assert_eq!(ledger.ack().acked_seq, 1);
//! ```

use std::collections::VecDeque;
use std::ops::RangeInclusive;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::journal::{Entry, EntryProblem, GENESIS_HASH, entry_hash};

/// The frame magic.
pub const MAGIC: &[u8; 4] = b"OTSY";
/// The protocol version this build speaks.
pub const VERSION: u8 = 1;
/// The largest frame accepted (16 MiB).
pub const MAX_FRAME: usize = 16 << 20;
const HEADER: usize = 10;
const TRAILER: usize = 32;

/// Why bytes are not a valid message. Nothing is changed by a message that fails here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the frame needs.
    #[error("sync message truncated: {have} bytes, need {needed}")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes received.
        have: usize,
    },
    /// The frame does not start with `OTSY`.
    #[error("not an OpenTill sync message (bad magic)")]
    BadMagic,
    /// Another protocol version.
    #[error("sync protocol version {0} is not supported (this build speaks {VERSION})")]
    UnsupportedVersion(u8),
    /// An unknown message kind.
    #[error("unknown sync message kind {0}")]
    UnknownKind(u8),
    /// The declared length disagrees with the bytes received.
    #[error("sync message length mismatch: header says {declared} payload bytes, received {actual}")]
    LengthMismatch {
        /// From the header.
        declared: usize,
        /// Received.
        actual: usize,
    },
    /// Larger than [`MAX_FRAME`].
    #[error("sync message of {0} bytes is larger than the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    /// The checksum does not match: the message was corrupted.
    #[error("sync message checksum mismatch: the message was corrupted in transit")]
    Checksum,
    /// The payload does not parse.
    #[error("malformed sync message: {0}")]
    Malformed(&'static str),
}

/// A node asks where the receiver stands with its journal (the start of every push).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The node's store.
    pub store_id: String,
    /// The node.
    pub node_id: String,
    /// The node's clock, unix ms.
    pub ts_ms: i64,
    /// The node's head seq.
    pub head_seq: u64,
    /// The node's signature of the above.
    pub signature: [u8; 64],
}

/// One journal entry as shipped: the node id and `prev_hash` are implied by the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireEntry {
    /// Sequence number.
    pub seq: u64,
    /// Timestamp.
    pub ts_ms: i64,
    /// Fact kind.
    pub kind: String,
    /// Fact body, as hashed.
    pub body: Vec<u8>,
    /// The entry's hash.
    pub hash: [u8; 32],
    /// The node's signature of the hash.
    pub signature: [u8; 64],
}

/// A run of consecutive entries of one node's journal, signed by the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The node's store.
    pub store_id: String,
    /// The node.
    pub node_id: String,
    /// The hash of the entry before the first (zeros for seq 1).
    pub prev_hash: [u8; 32],
    /// The entries, in order.
    pub entries: Vec<WireEntry>,
    /// The node's signature of the batch.
    pub signature: [u8; 64],
}

/// The receiver's answer: it holds the node's journal up to `acked_seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Store.
    pub store_id: String,
    /// Node.
    pub node_id: String,
    /// Every entry up to here is durably held.
    pub acked_seq: u64,
    /// The hash of entry `acked_seq`.
    pub head_hash: [u8; 32],
}

/// Node → cloud: one round of syncing a shared document (automerge's sync protocol),
/// signed by the node. `sync` is automerge's message, empty when the node has nothing to
/// say but wants the cloud's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocSync {
    /// The node's store.
    pub store_id: String,
    /// The node.
    pub node_id: String,
    /// The document (`catalog`).
    pub doc: String,
    /// The node's clock, unix ms.
    pub ts_ms: i64,
    /// automerge's sync message, or empty.
    pub sync: Vec<u8>,
    /// The node's signature of the above.
    pub signature: [u8; 64],
}

/// Cloud → node: the cloud's side of the round, empty when it has nothing to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocReply {
    /// The document.
    pub doc: String,
    /// automerge's sync message, or empty.
    pub sync: Vec<u8>,
}

/// What a [`Relay`] carries: another node's hello or batch, signed by the carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    /// "Where are we with this node's journal?"
    Hello(Hello),
    /// Entries of this node's journal.
    Batch(Batch),
}

/// A carrier (the store's edge agent) speaking about another node's journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// The carrier's node id (same store).
    pub carrier: String,
    /// The hello or batch, its `signature` made by the carrier ([`Hello::seal_carried`],
    /// [`Batch::seal_carried`]).
    pub inner: Carried,
}

/// Till → edge agent: "send me the store's journals past these points", signed by the till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// The till's store.
    pub store_id: String,
    /// The till.
    pub node_id: String,
    /// The till's clock, unix ms.
    pub ts_ms: i64,
    /// The most entries wanted in the answer.
    pub max_entries: u32,
    /// How far the till holds each other node's journal (nodes not named: nothing).
    pub held: Vec<(String, u64)>,
    /// The till's signature.
    pub signature: [u8; 64],
}

/// Edge agent → till: the store's roster of node keys and journal entries the till lacks,
/// signed by the carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Store.
    pub store_id: String,
    /// The carrier (the edge agent).
    pub carrier: String,
    /// Every node of the store the carrier knows, with its enrolled key.
    pub roster: Vec<(String, [u8; 32])>,
    /// Consecutive entries of some nodes' journals (batch signatures unused: the whole
    /// answer is signed).
    pub batches: Vec<Batch>,
    /// Whether more entries are waiting (fetch again).
    pub more: bool,
    /// The carrier's signature.
    pub signature: [u8; 64],
}

/// A protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Node → receiver: where are we?
    Hello(Hello),
    /// Node → receiver: entries.
    Batch(Batch),
    /// Receiver → node: held up to here.
    Ack(Ack),
    /// Node → cloud: a shared document's sync round.
    DocSync(DocSync),
    /// Cloud → node: the answer to a [`Message::DocSync`].
    DocReply(DocReply),
    /// A carrier's hello or batch about another node's journal.
    Relay(Relay),
    /// Till → edge agent: the store's other journals, please.
    Fetch(Fetch),
    /// Edge agent → till: the answer to a [`Message::Fetch`].
    Fetched(Fetched),
}

// ---- encoding ----

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.buf.len() < n {
            return Err(WireError::Malformed(what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }
    fn i64(&mut self, what: &'static str) -> Result<i64, WireError> {
        Ok(i64::from_be_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }
    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let n = self.u32(what)? as usize;
        self.take(n, what)
    }
    fn string(&mut self, what: &'static str) -> Result<String, WireError> {
        String::from_utf8(self.bytes(what)?.to_vec()).map_err(|_| WireError::Malformed(what))
    }
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        Ok(self.take(N, what)?.try_into().expect("N bytes"))
    }
    fn hello(&mut self) -> Result<Hello, WireError> {
        Ok(Hello { store_id: self.string("store id")?, node_id: self.string("node id")?, ts_ms: self.i64("timestamp")?, head_seq: self.u64("head seq")?, signature: self.array("signature")? })
    }
    fn batch(&mut self) -> Result<Batch, WireError> {
        let store_id = self.string("store id")?;
        let node_id = self.string("node id")?;
        let prev_hash = self.array("prev hash")?;
        let n = self.u32("entry count")? as usize;
        // Each entry takes at least 120 bytes: refuse a count the payload cannot hold.
        if n > self.buf.len() / 120 {
            return Err(WireError::Malformed("entry count larger than the message"));
        }
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            entries.push(WireEntry {
                seq: self.u64("entry seq")?,
                ts_ms: self.i64("entry timestamp")?,
                kind: self.string("entry kind")?,
                body: self.bytes("entry body")?.to_vec(),
                hash: self.array("entry hash")?,
                signature: self.array("entry signature")?,
            });
        }
        Ok(Batch { store_id, node_id, prev_hash, entries, signature: self.array("batch signature")? })
    }
    fn finish(self) -> Result<(), WireError> {
        if self.buf.is_empty() { Ok(()) } else { Err(WireError::Malformed("trailing bytes after the message")) }
    }
}

impl Hello {
    /// Builds and signs a hello.
    pub fn seal(key: &SigningKey, store_id: &str, node_id: &str, ts_ms: i64, head_seq: u64) -> Hello {
        let mut hello = Hello { store_id: store_id.into(), node_id: node_id.into(), ts_ms, head_seq, signature: [0; 64] };
        hello.signature = key.sign(&hello.signed_digest()).to_bytes();
        hello
    }

    fn unsigned_payload(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_str(&mut out, &self.store_id);
        put_str(&mut out, &self.node_id);
        out.extend_from_slice(&self.ts_ms.to_be_bytes());
        out.extend_from_slice(&self.head_seq.to_be_bytes());
        out
    }

    fn signed_digest(&self) -> [u8; 32] {
        digest(b"opentill/hello/v1\0", &self.unsigned_payload())
    }

    /// Whether `key` signed this hello.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(&self.signed_digest(), &Signature::from_bytes(&self.signature)).is_ok()
    }

    /// Builds a hello about `node_id`'s journal, signed by the carrier `carrier`.
    pub fn seal_carried(key: &SigningKey, carrier: &str, store_id: &str, node_id: &str, ts_ms: i64, head_seq: u64) -> Hello {
        let mut hello = Hello { store_id: store_id.into(), node_id: node_id.into(), ts_ms, head_seq, signature: [0; 64] };
        hello.signature = key.sign(&relay_digest(carrier, &hello.signed_digest())).to_bytes();
        hello
    }

    /// Whether the carrier `carrier`, whose key is `key`, signed this hello.
    pub fn verify_carried(&self, carrier: &str, key: &VerifyingKey) -> bool {
        key.verify(&relay_digest(carrier, &self.signed_digest()), &Signature::from_bytes(&self.signature)).is_ok()
    }
}

fn relay_digest(carrier: &str, inner: &[u8; 32]) -> [u8; 32] {
    let mut payload = Vec::with_capacity(carrier.len() + 36);
    put_str(&mut payload, carrier);
    payload.extend_from_slice(inner);
    digest(b"opentill/relay/v1\0", &payload)
}

fn digest(domain: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    hasher.update(payload);
    hasher.finalize().into()
}

impl DocSync {
    /// Builds and signs a document sync round.
    pub fn seal(key: &SigningKey, store_id: &str, node_id: &str, doc: &str, ts_ms: i64, sync: Vec<u8>) -> DocSync {
        let mut round = DocSync { store_id: store_id.into(), node_id: node_id.into(), doc: doc.into(), ts_ms, sync, signature: [0; 64] };
        round.signature = key.sign(&round.signed_digest()).to_bytes();
        round
    }

    fn unsigned_payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.sync.len());
        put_str(&mut out, &self.store_id);
        put_str(&mut out, &self.node_id);
        put_str(&mut out, &self.doc);
        out.extend_from_slice(&self.ts_ms.to_be_bytes());
        put_bytes(&mut out, &self.sync);
        out
    }

    fn signed_digest(&self) -> [u8; 32] {
        digest(b"opentill/docsync/v1\0", &self.unsigned_payload())
    }

    /// Whether `key` signed this round.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(&self.signed_digest(), &Signature::from_bytes(&self.signature)).is_ok()
    }
}

impl Fetch {
    /// Builds and signs a fetch.
    pub fn seal(key: &SigningKey, store_id: &str, node_id: &str, ts_ms: i64, max_entries: u32, held: Vec<(String, u64)>) -> Fetch {
        let mut fetch = Fetch { store_id: store_id.into(), node_id: node_id.into(), ts_ms, max_entries, held, signature: [0; 64] };
        fetch.signature = key.sign(&digest(b"opentill/fetch/v1\0", &fetch.unsigned_payload())).to_bytes();
        fetch
    }

    fn unsigned_payload(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_str(&mut out, &self.store_id);
        put_str(&mut out, &self.node_id);
        out.extend_from_slice(&self.ts_ms.to_be_bytes());
        out.extend_from_slice(&self.max_entries.to_be_bytes());
        out.extend_from_slice(&(self.held.len() as u32).to_be_bytes());
        for (node, seq) in &self.held {
            put_str(&mut out, node);
            out.extend_from_slice(&seq.to_be_bytes());
        }
        out
    }

    /// Whether `key` signed this fetch.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(&digest(b"opentill/fetch/v1\0", &self.unsigned_payload()), &Signature::from_bytes(&self.signature)).is_ok()
    }
}

impl Fetched {
    /// Builds and signs an answer to a fetch.
    pub fn seal(key: &SigningKey, store_id: &str, carrier: &str, roster: Vec<(String, [u8; 32])>, batches: Vec<Batch>, more: bool) -> Fetched {
        let mut fetched = Fetched { store_id: store_id.into(), carrier: carrier.into(), roster, batches, more, signature: [0; 64] };
        fetched.signature = key.sign(&digest(b"opentill/fetched/v1\0", &fetched.unsigned_payload())).to_bytes();
        fetched
    }

    fn unsigned_payload(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_str(&mut out, &self.store_id);
        put_str(&mut out, &self.carrier);
        out.extend_from_slice(&(self.roster.len() as u32).to_be_bytes());
        for (node, key) in &self.roster {
            put_str(&mut out, node);
            out.extend_from_slice(key);
        }
        out.extend_from_slice(&(self.batches.len() as u32).to_be_bytes());
        for batch in &self.batches {
            put_bytes(&mut out, &batch.payload());
        }
        out.push(u8::from(self.more));
        out
    }

    /// Whether `key` signed this answer.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(&digest(b"opentill/fetched/v1\0", &self.unsigned_payload()), &Signature::from_bytes(&self.signature)).is_ok()
    }
}

impl WireEntry {
    /// The shipped form of a stored entry.
    pub fn from_entry(entry: &Entry) -> WireEntry {
        WireEntry { seq: entry.seq, ts_ms: entry.ts_ms, kind: entry.kind.clone(), body: entry.body.clone(), hash: entry.hash, signature: entry.signature }
    }
}

impl Batch {
    /// Builds and signs a batch of consecutive entries. `prev_hash` is the hash of the
    /// entry before the first one.
    pub fn seal(key: &SigningKey, store_id: &str, node_id: &str, prev_hash: [u8; 32], entries: Vec<Entry>) -> Batch {
        let entries = entries.iter().map(WireEntry::from_entry).collect();
        let mut batch = Batch { store_id: store_id.into(), node_id: node_id.into(), prev_hash, entries, signature: [0; 64] };
        batch.signature = key.sign(&batch.signed_digest()).to_bytes();
        batch
    }

    fn unsigned_payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.entries.iter().map(|e| 128 + e.kind.len() + e.body.len()).sum::<usize>());
        put_str(&mut out, &self.store_id);
        put_str(&mut out, &self.node_id);
        out.extend_from_slice(&self.prev_hash);
        out.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
        for e in &self.entries {
            out.extend_from_slice(&e.seq.to_be_bytes());
            out.extend_from_slice(&e.ts_ms.to_be_bytes());
            put_str(&mut out, &e.kind);
            put_bytes(&mut out, &e.body);
            out.extend_from_slice(&e.hash);
            out.extend_from_slice(&e.signature);
        }
        out
    }

    fn signed_digest(&self) -> [u8; 32] {
        digest(b"opentill/batch/v1\0", &self.unsigned_payload())
    }

    /// Whether `key` signed this batch.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(&self.signed_digest(), &Signature::from_bytes(&self.signature)).is_ok()
    }

    /// Builds a batch of `node_id`'s entries signed by the carrier `carrier`.
    pub fn seal_carried(key: &SigningKey, carrier: &str, store_id: &str, node_id: &str, prev_hash: [u8; 32], entries: Vec<Entry>) -> Batch {
        let entries = entries.iter().map(WireEntry::from_entry).collect();
        let mut batch = Batch { store_id: store_id.into(), node_id: node_id.into(), prev_hash, entries, signature: [0; 64] };
        batch.signature = key.sign(&relay_digest(carrier, &batch.signed_digest())).to_bytes();
        batch
    }

    /// Whether the carrier `carrier`, whose key is `key`, signed this batch.
    pub fn verify_carried(&self, carrier: &str, key: &VerifyingKey) -> bool {
        key.verify(&relay_digest(carrier, &self.signed_digest()), &Signature::from_bytes(&self.signature)).is_ok()
    }

    fn payload(&self) -> Vec<u8> {
        let mut p = self.unsigned_payload();
        p.extend_from_slice(&self.signature);
        p
    }

    /// The seqs this batch covers, if it is not empty.
    pub fn seqs(&self) -> Option<RangeInclusive<u64>> {
        Some(self.entries.first()?.seq..=self.entries.last()?.seq)
    }

    /// The entries as stored, each with the node id and its predecessor's hash filled in.
    pub fn entries(&self) -> Vec<Entry> {
        let mut prev = self.prev_hash;
        self.entries
            .iter()
            .map(|e| {
                let entry = Entry { node_id: self.node_id.clone(), seq: e.seq, ts_ms: e.ts_ms, kind: e.kind.clone(), body: e.body.clone(), prev_hash: prev, hash: e.hash, signature: e.signature };
                prev = e.hash;
                entry
            })
            .collect()
    }
}

impl Message {
    fn kind(&self) -> u8 {
        match self {
            Message::Hello(_) => 1,
            Message::Batch(_) => 2,
            Message::Ack(_) => 3,
            Message::DocSync(_) => 4,
            Message::DocReply(_) => 5,
            Message::Relay(_) => 6,
            Message::Fetch(_) => 7,
            Message::Fetched(_) => 8,
        }
    }

    /// The message as a checksummed frame.
    pub fn encode(&self) -> Vec<u8> {
        let payload = match self {
            Message::Hello(h) => {
                let mut p = h.unsigned_payload();
                p.extend_from_slice(&h.signature);
                p
            }
            Message::Batch(b) => b.payload(),
            Message::Ack(a) => {
                let mut p = Vec::new();
                put_str(&mut p, &a.store_id);
                put_str(&mut p, &a.node_id);
                p.extend_from_slice(&a.acked_seq.to_be_bytes());
                p.extend_from_slice(&a.head_hash);
                p
            }
            Message::DocSync(d) => {
                let mut p = d.unsigned_payload();
                p.extend_from_slice(&d.signature);
                p
            }
            Message::DocReply(d) => {
                let mut p = Vec::with_capacity(16 + d.sync.len());
                put_str(&mut p, &d.doc);
                put_bytes(&mut p, &d.sync);
                p
            }
            Message::Relay(r) => {
                let mut p = Vec::new();
                put_str(&mut p, &r.carrier);
                match &r.inner {
                    Carried::Hello(h) => {
                        p.push(1);
                        p.extend_from_slice(&h.unsigned_payload());
                        p.extend_from_slice(&h.signature);
                    }
                    Carried::Batch(b) => {
                        p.push(2);
                        p.extend_from_slice(&b.payload());
                    }
                }
                p
            }
            Message::Fetch(f) => {
                let mut p = f.unsigned_payload();
                p.extend_from_slice(&f.signature);
                p
            }
            Message::Fetched(f) => {
                let mut p = f.unsigned_payload();
                p.extend_from_slice(&f.signature);
                p
            }
        };
        let mut out = Vec::with_capacity(HEADER + payload.len() + TRAILER);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(self.kind());
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&payload);
        let sum: [u8; 32] = Sha256::digest(&out).into();
        out.extend_from_slice(&sum);
        out
    }

    /// Parses a frame, checking magic, version, length and checksum first.
    pub fn decode(bytes: &[u8]) -> Result<Message, WireError> {
        if bytes.len() > MAX_FRAME {
            return Err(WireError::TooLarge(bytes.len()));
        }
        if bytes.len() < HEADER + TRAILER {
            if bytes.len() >= 4 && &bytes[..4] != MAGIC {
                return Err(WireError::BadMagic);
            }
            return Err(WireError::Truncated { needed: HEADER + TRAILER, have: bytes.len() });
        }
        if &bytes[..4] != MAGIC {
            return Err(WireError::BadMagic);
        }
        if bytes[4] != VERSION {
            return Err(WireError::UnsupportedVersion(bytes[4]));
        }
        let kind = bytes[5];
        let declared = u32::from_be_bytes(bytes[6..10].try_into().expect("4 bytes")) as usize;
        let actual = bytes.len() - HEADER - TRAILER;
        if declared > actual {
            return Err(WireError::Truncated { needed: HEADER + declared + TRAILER, have: bytes.len() });
        }
        if declared != actual {
            return Err(WireError::LengthMismatch { declared, actual });
        }
        let (framed, sum) = bytes.split_at(HEADER + declared);
        if Sha256::digest(framed).as_slice() != sum {
            return Err(WireError::Checksum);
        }
        let mut r = Reader { buf: &framed[HEADER..] };
        let message = match kind {
            1 => Message::Hello(r.hello()?),
            2 => Message::Batch(r.batch()?),
            3 => Message::Ack(Ack { store_id: r.string("store id")?, node_id: r.string("node id")?, acked_seq: r.u64("acked seq")?, head_hash: r.array("head hash")? }),
            4 => Message::DocSync(DocSync {
                store_id: r.string("store id")?,
                node_id: r.string("node id")?,
                doc: r.string("document name")?,
                ts_ms: r.i64("timestamp")?,
                sync: r.bytes("document sync message")?.to_vec(),
                signature: r.array("signature")?,
            }),
            5 => Message::DocReply(DocReply { doc: r.string("document name")?, sync: r.bytes("document sync message")?.to_vec() }),
            6 => {
                let carrier = r.string("carrier")?;
                let inner = match r.take(1, "carried kind")?[0] {
                    1 => Carried::Hello(r.hello()?),
                    2 => Carried::Batch(r.batch()?),
                    _ => return Err(WireError::Malformed("a relay carries a hello or a batch")),
                };
                Message::Relay(Relay { carrier, inner })
            }
            7 => {
                let (store_id, node_id, ts_ms, max_entries) = (r.string("store id")?, r.string("node id")?, r.i64("timestamp")?, r.u32("max entries")?);
                let n = r.u32("journal count")? as usize;
                if n > r.buf.len() / 12 {
                    return Err(WireError::Malformed("journal count larger than the message"));
                }
                let mut held = Vec::with_capacity(n);
                for _ in 0..n {
                    held.push((r.string("node id")?, r.u64("held seq")?));
                }
                Message::Fetch(Fetch { store_id, node_id, ts_ms, max_entries, held, signature: r.array("signature")? })
            }
            8 => {
                let (store_id, carrier) = (r.string("store id")?, r.string("carrier")?);
                let n = r.u32("roster size")? as usize;
                if n > r.buf.len() / 36 {
                    return Err(WireError::Malformed("roster larger than the message"));
                }
                let mut roster = Vec::with_capacity(n);
                for _ in 0..n {
                    roster.push((r.string("node id")?, r.array("node key")?));
                }
                let m = r.u32("batch count")? as usize;
                if m > r.buf.len() / 4 {
                    return Err(WireError::Malformed("batch count larger than the message"));
                }
                let mut batches = Vec::with_capacity(m);
                for _ in 0..m {
                    let mut inner = Reader { buf: r.bytes("batch")? };
                    batches.push(inner.batch()?);
                    inner.finish()?;
                }
                let more = match r.take(1, "more")?[0] {
                    0 => false,
                    1 => true,
                    _ => return Err(WireError::Malformed("more is 0 or 1")),
                };
                Message::Fetched(Fetched { store_id, carrier, roster, batches, more, signature: r.array("signature")? })
            }
            other => return Err(WireError::UnknownKind(other)),
        };
        r.finish()?;
        Ok(message)
    }
}

/// What a node signs to prove, when enrolling with a one-time code, that it holds the
/// private key it enrols.
/// What a node signs to ask the cloud for its store's member passes revoked at or after
/// `since_ms` (`POST /v1/revoked`). Read-only: a replayed request only learns a list the
/// node already had.
pub fn revoked_request_message(store_id: &str, node_id: &str, since_ms: i64) -> Vec<u8> {
    let mut out = b"opentill/revoked/v1\0".to_vec();
    for part in [store_id.as_bytes(), node_id.as_bytes()] {
        put_bytes(&mut out, part);
    }
    out.extend_from_slice(&since_ms.to_be_bytes());
    out
}

/// What a node signs to ask for its store's stored-value snapshot (`POST /v1/balances`,
/// answered by the cloud, or by the edge agent for its tills). Read-only, like the
/// revoked-pass request.
pub fn balances_request_message(store_id: &str, node_id: &str, ts_ms: i64) -> Vec<u8> {
    let mut out = b"opentill/balances/v1\0".to_vec();
    for part in [store_id.as_bytes(), node_id.as_bytes()] {
        put_bytes(&mut out, part);
    }
    out.extend_from_slice(&ts_ms.to_be_bytes());
    out
}

/// What a node signs to ask for the steps other stores took of transfers to or from its
/// store (`POST /v1/transfers`, answered by the cloud, or by the edge agent for its
/// tills). Read-only, like the balances request.
pub fn transfers_request_message(store_id: &str, node_id: &str, ts_ms: i64) -> Vec<u8> {
    let mut out = b"opentill/transfers/v1\0".to_vec();
    for part in [store_id.as_bytes(), node_id.as_bytes()] {
        put_bytes(&mut out, part);
    }
    out.extend_from_slice(&ts_ms.to_be_bytes());
    out
}

/// What a node signs to ask for its store's O2O orders (`POST /v1/o2o`, answered by the
/// cloud, or by the edge agent for its tills). Read-only.
pub fn o2o_request_message(store_id: &str, node_id: &str, ts_ms: i64) -> Vec<u8> {
    let mut out = b"opentill/o2o/v1\0".to_vec();
    for part in [store_id.as_bytes(), node_id.as_bytes()] {
        put_bytes(&mut out, part);
    }
    out.extend_from_slice(&ts_ms.to_be_bytes());
    out
}

/// What a node signs to enrol.
pub fn enrol_message(code: &str, store_id: &str, node_id: &str, public_key: &[u8; 32]) -> Vec<u8> {
    let mut out = b"opentill/enrol/v1\0".to_vec();
    for part in [code.as_bytes(), store_id.as_bytes(), node_id.as_bytes()] {
        put_bytes(&mut out, part);
    }
    out.extend_from_slice(public_key);
    out
}

/// A one-time code as typed by a person: case, spaces and dashes do not matter.
pub fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

// ---- the receiver ----

/// Why a batch was quarantined rather than stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    /// The batch names another store or node than the ledger it was checked against.
    #[error("batch claims {claimed} but was sent as {expected}")]
    WrongNode {
        /// What the batch says.
        claimed: String,
        /// Whose ledger.
        expected: String,
    },
    /// The batch is not signed by the node it claims: forged or altered in transit.
    #[error("batch is not signed by node {0}: forged or altered")]
    BatchSignature(String),
    /// An entry fails verification.
    #[error("entry {seq}: {problem}")]
    Entry {
        /// Which entry.
        seq: u64,
        /// What is wrong.
        problem: EntryProblem,
    },
    /// The batch does not extend the journal held: the node's history forked.
    #[error("entry {seq} does not extend the journal held (held head {held}): the node's history forked")]
    Fork {
        /// The first entry that should have extended the held head.
        seq: u64,
        /// The held head's hash, hex.
        held: String,
    },
}

/// What to do with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Store `batch.entries()[skip..]`, then [`NodeLedger::apply`] this verdict.
    Accept {
        /// Entries already held, at the start of the batch.
        skip: usize,
        /// The new head: seq and hash.
        head: (u64, [u8; 32]),
    },
    /// Everything in the batch is already held (a re-send): acknowledge, store nothing.
    Duplicate,
    /// The batch starts past the held end (an earlier batch was lost or overtaken):
    /// acknowledge, store nothing; the sender rewinds.
    Gap {
        /// The seq the receiver needs next.
        expected: u64,
    },
    /// Keep the batch aside for review and raise an alert; store nothing in the ledger.
    Quarantine(Tamper),
}

/// The receiver's view of one node's journal: the enrolled key and the held prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLedger {
    /// Store.
    pub store_id: String,
    /// Node.
    pub node_id: String,
    /// The key the node enrolled with.
    pub key: VerifyingKey,
    /// Entries `1..=acked_seq` are held.
    pub acked_seq: u64,
    /// Hash of entry `acked_seq` (zeros when none).
    pub head_hash: [u8; 32],
}

impl NodeLedger {
    /// A ledger holding nothing yet.
    pub fn new(store_id: &str, node_id: &str, key: VerifyingKey) -> NodeLedger {
        NodeLedger { store_id: store_id.into(), node_id: node_id.into(), key, acked_seq: 0, head_hash: GENESIS_HASH }
    }

    /// The acknowledgement describing what is held.
    pub fn ack(&self) -> Ack {
        Ack { store_id: self.store_id.clone(), node_id: self.node_id.clone(), acked_seq: self.acked_seq, head_hash: self.head_hash }
    }

    /// Decides what to do with a batch the node sent itself. Changes nothing.
    pub fn check(&self, batch: &Batch) -> Verdict {
        self.check_signed(batch, batch.verify(&self.key), &self.node_id)
    }

    /// Decides what to do with a batch of this node's entries carried by `carrier`, whose
    /// key is `carrier_key`: the batch must be signed by the carrier, every entry still
    /// by the node. Changes nothing.
    pub fn check_carried(&self, batch: &Batch, carrier: &str, carrier_key: &VerifyingKey) -> Verdict {
        self.check_signed(batch, batch.verify_carried(carrier, carrier_key), carrier)
    }

    /// Decides what to do with a batch whose sender the caller has already authenticated
    /// (inside a signed [`Fetched`]): every entry is checked as usual. Changes nothing.
    pub fn check_entries(&self, batch: &Batch) -> Verdict {
        self.check_signed(batch, true, &self.node_id)
    }

    fn check_signed(&self, batch: &Batch, signed: bool, signer: &str) -> Verdict {
        if batch.store_id != self.store_id || batch.node_id != self.node_id {
            return Verdict::Quarantine(Tamper::WrongNode { claimed: format!("{}/{}", batch.store_id, batch.node_id), expected: format!("{}/{}", self.store_id, self.node_id) });
        }
        if !signed {
            return Verdict::Quarantine(Tamper::BatchSignature(signer.to_string()));
        }
        let Some(seqs) = batch.seqs() else { return Verdict::Duplicate };
        // Entries must be consecutive; everything below relies on it.
        for (idx, entry) in batch.entries.iter().enumerate() {
            let expected = seqs.start().checked_add(idx as u64);
            if expected != Some(entry.seq) {
                let expected = expected.unwrap_or(u64::MAX);
                return Verdict::Quarantine(Tamper::Entry { seq: expected, problem: EntryProblem::Sequence { expected, found: entry.seq } });
            }
        }
        if *seqs.end() <= self.acked_seq {
            return Verdict::Duplicate;
        }
        if *seqs.start() > self.acked_seq + 1 {
            return Verdict::Gap { expected: self.acked_seq + 1 };
        }
        let entries = batch.entries();
        // Entries are consecutive from the first one (checked below), so the first new
        // entry sits at this index.
        let skip = (self.acked_seq + 1 - seqs.start()) as usize;
        let mut expected_seq = self.acked_seq + 1;
        let mut prev = self.head_hash;
        if entries[skip].prev_hash != prev && entries[skip].seq == expected_seq {
            return Verdict::Quarantine(Tamper::Fork { seq: expected_seq, held: hex::encode(prev) });
        }
        // Sequence, node, chain and hash first (cheap), then the signatures, in parallel
        // for a large batch; the earliest problem wins, as if checked one by one.
        let new = &entries[skip..];
        let mut content_problem = None;
        for (idx, entry) in new.iter().enumerate() {
            if let Err(problem) = check_content(entry, expected_seq, &prev, &self.node_id) {
                content_problem = Some((idx, problem));
                break;
            }
            prev = entry.hash;
            expected_seq += 1;
        }
        let signed_upto = content_problem.as_ref().map_or(new.len(), |(idx, _)| *idx);
        if let Some(idx) = first_bad_signature(&new[..signed_upto], &self.key) {
            return Verdict::Quarantine(Tamper::Entry { seq: new[idx].seq, problem: EntryProblem::Signature });
        }
        if let Some((idx, problem)) = content_problem {
            return Verdict::Quarantine(Tamper::Entry { seq: self.acked_seq + 1 + idx as u64, problem });
        }
        Verdict::Accept { skip, head: (expected_seq - 1, prev) }
    }

    /// Moves the ledger forward for an accepted batch (after the caller stored it).
    pub fn apply(&mut self, verdict: &Verdict) {
        if let Verdict::Accept { head: (seq, hash), .. } = verdict {
            self.acked_seq = *seq;
            self.head_hash = *hash;
        }
    }
}

/// [`crate::journal::check_entry`] without the signature.
fn check_content(entry: &Entry, expected_seq: u64, prev_hash: &[u8; 32], node_id: &str) -> Result<(), EntryProblem> {
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
    Ok(())
}

/// The index of the first entry whose signature is not `key`'s. Large batches are
/// split across the machine's cores; the answer is the same either way.
fn first_bad_signature(entries: &[Entry], key: &VerifyingKey) -> Option<usize> {
    let bad = |entry: &Entry| key.verify(&entry.hash, &Signature::from_bytes(&entry.signature)).is_err();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || entries.len() < 256 {
        return entries.iter().position(bad);
    }
    let chunk = entries.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = entries.chunks(chunk).enumerate().map(|(n, part)| scope.spawn(move || part.iter().position(bad).map(|i| n * chunk + i))).collect();
        handles.into_iter().filter_map(|h| h.join().unwrap_or(Some(0))).min()
    })
}

// ---- the sender ----

/// The sender's side of a push: which entries to send next, given what was acknowledged.
/// Several batches may be in flight (`window`); when replies stop coming the caller calls
/// [`Outbox::on_timeout`] and sending resumes from the last acknowledgement (go-back-N).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbox {
    local_head: u64,
    acked: u64,
    next: u64,
    in_flight: VecDeque<RangeInclusive<u64>>,
    batch_max: u64,
    window: usize,
}

impl Outbox {
    /// A push of entries `acked + 1 ..= local_head`, at most `batch_max` entries a batch and
    /// `window` batches awaiting acknowledgement.
    pub fn new(local_head: u64, acked: u64, batch_max: u64, window: usize) -> Outbox {
        Outbox { local_head, acked, next: acked + 1, in_flight: VecDeque::new(), batch_max: batch_max.max(1), window: window.max(1) }
    }

    /// New local entries were written.
    pub fn set_local_head(&mut self, head: u64) {
        self.local_head = self.local_head.max(head);
    }

    /// The next range of seqs to read, seal and send, if the window allows and any remain.
    pub fn next_batch(&mut self) -> Option<RangeInclusive<u64>> {
        if self.in_flight.len() >= self.window || self.next > self.local_head {
            return None;
        }
        let range = self.next..=(self.next + self.batch_max - 1).min(self.local_head);
        self.next = range.end() + 1;
        self.in_flight.push_back(range.clone());
        Some(range)
    }

    /// An acknowledgement arrived (possibly old, repeated or out of order).
    pub fn on_ack(&mut self, acked_seq: u64) {
        self.acked = self.acked.max(acked_seq);
        while self.in_flight.front().is_some_and(|r| *r.end() <= self.acked) {
            self.in_flight.pop_front();
        }
        if self.next <= self.acked {
            self.next = self.acked + 1;
        }
    }

    /// No reply came: forget what is in flight and resend from the last acknowledgement.
    pub fn on_timeout(&mut self) {
        self.in_flight.clear();
        self.next = self.acked + 1;
    }

    /// The highest seq acknowledged.
    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// The local head.
    pub fn local_head(&self) -> u64 {
        self.local_head
    }

    /// Whether every local entry is acknowledged.
    pub fn is_synced(&self) -> bool {
        self.acked >= self.local_head
    }
}

#[cfg(test)]
mod tests;
