//! The node's side of journal replication: what it knows of the cloud (kept in the
//! replica's `meta` table, so it survives restarts), and [`push`], which drives
//! [`crate::protocol`] over any request/response transport until the cloud holds the
//! whole journal.
//!
//! A push that is cut off (network, cloud restart, SIGKILL of either side) loses nothing:
//! the next push starts with a [`Hello`], the cloud answers with what it holds, and
//! sending resumes from there.

use std::ops::RangeInclusive;

use rusqlite::{OptionalExtension, params};

use crate::journal::{Entry, GENESIS_HASH};
use crate::protocol::{Ack, Batch, DocSync, Hello, Message, Outbox, WireError};
use crate::replica::{Replica, ReplicaError};

const CLOUD_URL: &str = "sync_cloud_url";
const ACKED_SEQ: &str = "sync_acked_seq";
const PUSHED_MS: &str = "sync_pushed_ms";
const ENROLLED_MS: &str = "sync_enrolled_ms";
const REVOKED_SINCE_MS: &str = "sync_revoked_since_ms";

/// What the node knows about its replication to the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncState {
    /// The cloud it enrolled with, if any.
    pub cloud_url: Option<String>,
    /// When it enrolled (unix ms).
    pub enrolled_ms: Option<i64>,
    /// The cloud held the journal up to here at the last acknowledgement.
    pub acked_seq: u64,
    /// When that acknowledgement came (unix ms).
    pub pushed_ms: Option<i64>,
    /// The local journal's head.
    pub head_seq: u64,
}

impl SyncState {
    /// Entries the cloud has not acknowledged.
    pub fn pending(&self) -> u64 {
        self.head_seq.saturating_sub(self.acked_seq)
    }
}

impl Replica {
    pub(crate) fn meta_get(&self, key: &str) -> Result<Option<String>, ReplicaError> {
        Ok(self.conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
    }

    pub(crate) fn meta_set(&self, key: &str, value: &str) -> Result<(), ReplicaError> {
        self.conn.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?.execute(params![key, value])?;
        Ok(())
    }

    /// Where the next request for revoked passes starts (the newest revocation the cloud
    /// sent so far; 0 before the first).
    pub fn revocations_since(&self) -> Result<i64, ReplicaError> {
        self.meta_get(REVOKED_SINCE_MS)?.map(|v| v.parse().map_err(|_| ReplicaError::BadSetting(REVOKED_SINCE_MS))).transpose().map(|v| v.unwrap_or(0))
    }

    /// Records member passes the cloud says are revoked, `(pass_id, revoked_ms)`, and moves
    /// [`Replica::revocations_since`] past them, in one transaction. Returns how many were new.
    pub fn apply_revocations(&mut self, passes: &[(String, i64)]) -> Result<usize, ReplicaError> {
        let tx = crate::replica::write(&mut self.conn)?;
        let mut new = 0;
        let mut newest = None;
        for (pass_id, revoked_ms) in passes {
            new += tx.prepare_cached("INSERT INTO revoked_passes (pass_id, revoked_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?.execute(params![pass_id, revoked_ms])?;
            newest = newest.max(Some(*revoked_ms));
        }
        if let Some(newest) = newest {
            // `since` is inclusive: the next answer repeats the newest ones, harmlessly.
            tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", params![REVOKED_SINCE_MS, newest.to_string()])?;
        }
        tx.commit()?;
        Ok(new)
    }

    /// The node's sync state.
    pub fn sync_state(&self) -> Result<SyncState, ReplicaError> {
        let number = |key: &'static str| -> Result<Option<i64>, ReplicaError> { self.meta_get(key)?.map(|v| v.parse().map_err(|_| ReplicaError::BadSetting(key))).transpose() };
        Ok(SyncState {
            cloud_url: self.meta_get(CLOUD_URL)?,
            enrolled_ms: number(ENROLLED_MS)?,
            acked_seq: number(ACKED_SEQ)?.unwrap_or(0) as u64,
            pushed_ms: number(PUSHED_MS)?,
            head_seq: self.head()?.0,
        })
    }

    /// Records a successful enrolment with the cloud at `cloud_url`.
    pub fn record_enrolment(&mut self, cloud_url: &str, now_ms: i64) -> Result<(), ReplicaError> {
        let tx = crate::replica::write(&mut self.conn)?;
        for (k, v) in [(CLOUD_URL, cloud_url.to_string()), (ENROLLED_MS, now_ms.to_string()), (ACKED_SEQ, "0".into())] {
            tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", params![k, v])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records an acknowledgement from the cloud.
    pub fn record_ack(&mut self, acked_seq: u64, now_ms: i64) -> Result<(), ReplicaError> {
        self.meta_set(ACKED_SEQ, &acked_seq.to_string())?;
        self.meta_set(PUSHED_MS, &now_ms.to_string())
    }

    /// A signed hello announcing this node and its head.
    pub fn sync_hello(&self, ts_ms: i64) -> Result<Hello, ReplicaError> {
        Ok(Hello::seal(&self.key, &self.settings.store_id, &self.settings.node_id, ts_ms, self.head()?.0))
    }

    /// Signs `message` with the node key (enrolment's proof of possession).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.key.sign(message).to_bytes()
    }

    /// Entries `seqs`, in order.
    pub fn entries(&self, seqs: RangeInclusive<u64>) -> Result<Vec<Entry>, ReplicaError> {
        let mut stmt = self.conn.prepare_cached("SELECT seq, node_id, ts_ms, kind, body, prev_hash, hash, signature FROM journal WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq")?;
        let mut rows = stmt.query(params![*seqs.start() as i64, *seqs.end() as i64])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(entry_from_row(row)?);
        }
        Ok(out)
    }

    /// Entries `seqs` as a signed batch.
    pub fn seal_batch(&self, seqs: RangeInclusive<u64>) -> Result<Batch, ReplicaError> {
        let entries = self.entries(seqs)?;
        let prev_hash = entries.first().map(|e| e.prev_hash).unwrap_or(GENESIS_HASH);
        Ok(Batch::seal(&self.key, &self.settings.store_id, &self.settings.node_id, prev_hash, entries))
    }
}

/// An entry from a row of `seq, node_id, ts_ms, kind, body, prev_hash, hash, signature`.
pub(crate) fn entry_from_row(row: &rusqlite::Row<'_>) -> Result<Entry, ReplicaError> {
    let seq: i64 = row.get(0)?;
    let node_id: String = row.get(1)?;
    let fixed = |idx: usize| -> Result<Vec<u8>, ReplicaError> { Ok(row.get::<_, Vec<u8>>(idx)?) };
    let corrupt = || ReplicaError::Corrupt(format!("entry {node_id}/{seq} has a malformed hash or signature"));
    Ok(Entry {
        seq: seq as u64,
        ts_ms: row.get(2)?,
        kind: row.get(3)?,
        body: row.get(4)?,
        prev_hash: fixed(5)?.try_into().map_err(|_| corrupt())?,
        hash: fixed(6)?.try_into().map_err(|_| corrupt())?,
        signature: fixed(7)?.try_into().map_err(|_| corrupt())?,
        node_id,
    })
}

/// Why a push stopped.
#[derive(Debug, thiserror::Error)]
pub enum PushError<E: std::error::Error + 'static> {
    /// The transport failed (network down, cloud refused the request).
    #[error("transport: {0}")]
    Transport(#[source] E),
    /// The local replica failed.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    /// The cloud's reply is not a valid message.
    #[error("the cloud's reply: {0}")]
    Wire(#[from] WireError),
    /// The cloud replied with something other than an acknowledgement for this node.
    #[error("the cloud's reply is not an acknowledgement for this node")]
    UnexpectedReply,
    /// The cloud holds more of this node's journal than the replica: the replica was
    /// restored from an old copy.
    #[error("the cloud holds entries up to {cloud} but this replica ends at {local}: it was restored from an older copy")]
    CloudAhead {
        /// Cloud's acked seq.
        cloud: u64,
        /// Local head.
        local: u64,
    },
    /// A document sync kept going without settling.
    #[error("the {0} document sync did not settle in {1} rounds")]
    Unsettled(String, u32),
    /// The cloud keeps acknowledging less than was sent.
    #[error("the cloud did not accept entries from {0} on")]
    NoProgress(u64),
    /// What the store's edge agent handed down does not verify; nothing of it was kept.
    #[error("refused what the edge agent sent: {0}")]
    Untrusted(String),
}

/// How far a push got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushProgress {
    /// The cloud holds the journal up to here.
    pub acked_seq: u64,
    /// Where the cloud stood when the push started.
    pub start_seq: u64,
    /// The local head.
    pub head_seq: u64,
    /// Batches sent.
    pub batches: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
}

/// Sends the journal entries the cloud lacks, `batch_max` at a time, over `send` (one
/// request, one reply), recording each acknowledgement. `now_ms` stamps the records;
/// `progress` is called after every acknowledgement.
pub fn push<E: std::error::Error + 'static>(
    replica: &mut Replica,
    batch_max: u64,
    now_ms: impl FnMut() -> i64,
    send: impl FnMut(Vec<u8>) -> Result<Vec<u8>, E>,
    progress: impl FnMut(&PushProgress),
) -> Result<PushProgress, PushError<E>> {
    push_journal(&mut OwnJournal(replica), batch_max, now_ms, send, progress)
}

/// One journal to push: this node's own, or one it carries for another node.
pub(crate) trait Outgoing {
    /// The store and the node whose journal this is.
    fn names(&self) -> (String, String);
    /// A hello announcing `head_seq`, framed.
    fn hello(&self, ts_ms: i64, head_seq: u64) -> Result<Vec<u8>, ReplicaError>;
    /// The entries `seqs`, framed as a batch.
    fn batch(&self, seqs: RangeInclusive<u64>) -> Result<Vec<u8>, ReplicaError>;
    /// How far this replica holds the journal.
    fn head_seq(&self) -> Result<u64, ReplicaError>;
    /// Records what the receiver acknowledged.
    fn record(&mut self, acked_seq: u64, now_ms: i64) -> Result<(), ReplicaError>;
    /// Whether a receiver holding more than this replica is an error (for this node's own
    /// journal: a replica restored from an old copy), or just nothing to send.
    fn ahead_is_error(&self) -> bool;
}

struct OwnJournal<'a>(&'a mut Replica);

impl Outgoing for OwnJournal<'_> {
    fn names(&self) -> (String, String) {
        (self.0.settings.store_id.clone(), self.0.settings.node_id.clone())
    }
    fn hello(&self, ts_ms: i64, _head_seq: u64) -> Result<Vec<u8>, ReplicaError> {
        Ok(Message::Hello(self.0.sync_hello(ts_ms)?).encode())
    }
    fn batch(&self, seqs: RangeInclusive<u64>) -> Result<Vec<u8>, ReplicaError> {
        Ok(Message::Batch(self.0.seal_batch(seqs)?).encode())
    }
    fn head_seq(&self) -> Result<u64, ReplicaError> {
        Ok(self.0.head()?.0)
    }
    fn record(&mut self, acked_seq: u64, now_ms: i64) -> Result<(), ReplicaError> {
        self.0.record_ack(acked_seq, now_ms)
    }
    fn ahead_is_error(&self) -> bool {
        true
    }
}

pub(crate) fn push_journal<E: std::error::Error + 'static>(
    journal: &mut impl Outgoing,
    batch_max: u64,
    mut now_ms: impl FnMut() -> i64,
    mut send: impl FnMut(Vec<u8>) -> Result<Vec<u8>, E>,
    mut progress: impl FnMut(&PushProgress),
) -> Result<PushProgress, PushError<E>> {
    let (store_id, node_id) = journal.names();
    let mut stats = PushProgress::default();
    let mut exchange = |bytes: Vec<u8>, stats: &mut PushProgress| -> Result<Ack, PushError<E>> {
        stats.bytes_sent += bytes.len() as u64;
        let reply = send(bytes).map_err(PushError::Transport)?;
        stats.bytes_received += reply.len() as u64;
        match Message::decode(&reply)? {
            Message::Ack(ack) if ack.store_id == store_id && ack.node_id == node_id => Ok(ack),
            _ => Err(PushError::UnexpectedReply),
        }
    };
    let head = journal.head_seq()?;
    let ack = exchange(journal.hello(now_ms(), head)?, &mut stats)?;
    if ack.acked_seq > head {
        if journal.ahead_is_error() {
            return Err(PushError::CloudAhead { cloud: ack.acked_seq, local: head });
        }
        journal.record(ack.acked_seq, now_ms())?;
        stats.start_seq = ack.acked_seq;
        stats.acked_seq = ack.acked_seq;
        stats.head_seq = ack.acked_seq;
        progress(&stats);
        return Ok(stats);
    }
    journal.record(ack.acked_seq, now_ms())?;
    stats.start_seq = ack.acked_seq;
    stats.acked_seq = ack.acked_seq;
    stats.head_seq = head;
    progress(&stats);
    let mut outbox = Outbox::new(head, ack.acked_seq, batch_max, 1);
    let mut stalled = 0;
    while let Some(seqs) = outbox.next_batch() {
        let batch = journal.batch(seqs.clone())?;
        stats.batches += 1;
        let ack = exchange(batch, &mut stats)?;
        outbox.on_ack(ack.acked_seq);
        if ack.acked_seq < *seqs.end() {
            // Someone else pushed for us, or the cloud lost a write: resend from its ack.
            stalled += 1;
            if stalled > 3 {
                return Err(PushError::NoProgress(ack.acked_seq + 1));
            }
            outbox.on_timeout();
        } else {
            stalled = 0;
        }
        journal.record(outbox.acked(), now_ms())?;
        stats.acked_seq = outbox.acked();
        progress(&stats);
    }
    Ok(stats)
}

/// What a document sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocSyncReport {
    /// The document.
    pub doc: String,
    /// Request/reply rounds.
    pub rounds: u32,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// What the peer's changes touched here (SKUs, offers).
    pub changed: usize,
    /// Rows rewritten in this store's tables (products, offers).
    pub projected: usize,
    /// The document's heads afterwards.
    pub heads: Vec<String>,
    /// Its epoch afterwards.
    pub epoch: i64,
    /// The newer epoch the peer moved this node to, if it did.
    pub switched_to: Option<i64>,
    /// This node's edits replayed into the new epoch (the compaction had not seen them).
    pub replayed: usize,
}

/// Rounds of one document sync after which the node starts its side of the protocol
/// afresh from the heads both sides agreed (see `sync_rounds`).
pub const RESYNC_EVERY: u32 = 8;

/// The most rounds one document sync may take before it gives up (automerge's protocol
/// needs a handful; more means the peer keeps answering without converging).
pub const MAX_DOC_ROUNDS: u32 = 64;

/// Syncs every shared document ([`crate::docs::SHARED`]) with a peer in turn; see
/// [`sync_doc`]. Stops at the first that fails.
pub fn sync_docs<E: std::error::Error + 'static>(
    replica: &mut Replica,
    peer: &str,
    mut now_ms: impl FnMut() -> i64,
    mut send: impl FnMut(Vec<u8>) -> Result<Vec<u8>, E>,
) -> Result<Vec<DocSyncReport>, PushError<E>> {
    crate::docs::SHARED.iter().map(|doc| sync_doc(replica, doc, peer, &mut now_ms, &mut send)).collect()
}

/// Syncs document `doc` with a peer (the cloud, or a till's edge agent) over `send` (one
/// request, one reply per round), merging and projecting what arrives, until neither side
/// has anything to say. A peer on a newer epoch of the document (head office compacted
/// it) answers with that epoch's name: the node moves to it ([`Replica::switch_epoch`]),
/// fetches it whole, then replays its own edits the compaction missed and syncs them up.
pub fn sync_doc<E: std::error::Error + 'static>(
    replica: &mut Replica,
    doc: &str,
    peer: &str,
    mut now_ms: impl FnMut() -> i64,
    mut send: impl FnMut(Vec<u8>) -> Result<Vec<u8>, E>,
) -> Result<DocSyncReport, PushError<E>> {
    let mut report = DocSyncReport { doc: doc.to_string(), ..Default::default() };
    // A replay leaves edits to send: one more pass sends them.
    for _ in 0..2 {
        sync_rounds(replica, doc, peer, &mut now_ms, &mut send, &mut report)?;
        let replayed = replica.finish_epoch_switch(doc, now_ms())?;
        report.replayed += replayed;
        if replayed == 0 {
            break;
        }
    }
    report.heads = replica.doc_heads(doc)?;
    report.epoch = replica.doc_epoch(doc)?;
    Ok(report)
}

fn sync_rounds<E: std::error::Error + 'static>(
    replica: &mut Replica,
    doc: &str,
    peer: &str,
    now_ms: &mut impl FnMut() -> i64,
    send: &mut impl FnMut(Vec<u8>) -> Result<Vec<u8>, E>,
    report: &mut DocSyncReport,
) -> Result<(), PushError<E>> {
    let (store_id, node_id) = (replica.settings.store_id.clone(), replica.settings.node_id.clone());
    let mut state = replica.doc_sync_state(doc, peer)?;
    let mut rounds = 0;
    loop {
        if report.rounds >= MAX_DOC_ROUNDS {
            return Err(PushError::Unsettled(doc.to_string(), report.rounds));
        }
        if rounds > 0 && rounds % RESYNC_EVERY == 0 {
            // automerge's protocol assumes no message is lost; after one that was (applied
            // nowhere, answered anyway), each side can wait for the other for ever. As
            // after a reconnect, forget what this side believes it sent and say it again.
            state = crate::docs::decode_sync_state(Some(&crate::docs::encode_sync_state(&state)));
        }
        let ours = replica.doc_sync_message(doc, &mut state)?;
        // The first round always goes out (empty if need be) to hear the peer's news. After
        // that, having nothing to say means this node has taken in everything the peer
        // sent and the peer has everything this node has, as far as the protocol knows.
        // (The cloud keeps only the agreed heads between requests, so it always answers
        // with its heads: waiting for it to fall silent would never end.)
        if ours.is_none() && rounds > 0 {
            break;
        }
        rounds += 1;
        report.rounds += 1;
        let wire = replica.doc_wire_name(doc)?;
        let round = DocSync::seal(&replica.key, &store_id, &node_id, &wire, now_ms(), ours.unwrap_or_default());
        let bytes = Message::DocSync(round).encode();
        report.bytes_sent += bytes.len() as u64;
        let reply = send(bytes).map_err(PushError::Transport)?;
        report.bytes_received += reply.len() as u64;
        let theirs = match Message::decode(&reply)? {
            Message::DocReply(r) if r.doc == wire => r.sync,
            Message::DocReply(r) => match crate::docs::parse_wire_name(&r.doc) {
                // The peer is on a newer epoch: move to it, start afresh, take its message.
                Some((name, epoch)) if name == doc && epoch > replica.doc_epoch(doc)? => {
                    replica.switch_epoch(doc, epoch, now_ms())?;
                    report.switched_to = Some(epoch);
                    state = automerge::sync::State::new();
                    rounds = 0;
                    r.sync
                }
                _ => return Err(PushError::UnexpectedReply),
            },
            _ => return Err(PushError::UnexpectedReply),
        };
        if !theirs.is_empty() {
            let update = replica.receive_doc_sync(doc, &mut state, &theirs, now_ms())?;
            report.changed += update.changed.len();
            report.projected += update.projected;
            // Both sides hold the same changes once the peer's heads are ours: done, even
            // if automerge would still send an acknowledgement the cloud cannot keep.
            let mut theirs: Vec<String> = state.their_heads.iter().flatten().map(|h| h.to_string()).collect();
            theirs.sort();
            if theirs == replica.doc_heads(doc)? {
                break;
            }
        } else if rounds > 1 {
            break;
        }
    }
    replica.finish_doc_sync(doc, peer, &state, now_ms())?;
    Ok(())
}
