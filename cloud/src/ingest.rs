//! What the cloud does with one sync message, whatever carried it: decode, authenticate,
//! verify, store, acknowledge, or quarantine and alert.

use opentill_core::journal::Fact;
use opentill_sync::journal::Entry;
use opentill_sync::protocol::{Batch, Hello, Message, Verdict};
use tracing::{info, warn};

use crate::ledger::{Ledger, LedgerError, TotalsDelta};

/// The answer to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An encoded [`opentill_sync::protocol::Ack`].
    Ack(Vec<u8>),
    /// The message was refused and nothing changed, except that a quarantined message was
    /// kept and alerted on.
    Refused {
        /// HTTP-like status.
        status: u16,
        /// Stable machine-readable kind.
        kind: &'static str,
        /// For people.
        message: String,
    },
}

/// What new entries add to their store's totals. An entry this build cannot read is held
/// and counted as an entry but adds no money.
pub fn totals_of(entries: &[Entry]) -> TotalsDelta {
    let mut delta = TotalsDelta { n_entries: entries.len() as i64, ..TotalsDelta::default() };
    for entry in entries {
        match serde_json::from_slice::<Fact>(&entry.body) {
            Ok(Fact::Sale(sale)) => {
                delta.n_sales += 1;
                delta.sales_minor += sale.total;
            }
            Ok(Fact::Refund(refund)) => {
                delta.n_refunds += 1;
                delta.refunds_minor += refund.total;
            }
            Ok(_) => {}
            Err(e) => warn!(node = %entry.node_id, seq = entry.seq, error = %e, "entry body not understood by this build; held without totals"),
        }
    }
    delta
}

fn refused(status: u16, kind: &'static str, message: impl Into<String>) -> Reply {
    Reply::Refused { status, kind, message: message.into() }
}

/// Handles one message.
pub fn handle(ledger: &mut dyn Ledger, bytes: &[u8], now_ms: i64) -> Result<Reply, LedgerError> {
    match Message::decode(bytes) {
        Err(e) => Ok(refused(400, "bad_message", e.to_string())),
        Ok(Message::Ack(_)) => Ok(refused(400, "unexpected_message", "the cloud does not take acknowledgements")),
        Ok(Message::Hello(hello)) => handle_hello(ledger, &hello),
        Ok(Message::Batch(batch)) => handle_batch(ledger, &batch, bytes, now_ms),
    }
}

fn handle_hello(ledger: &mut dyn Ledger, hello: &Hello) -> Result<Reply, LedgerError> {
    let Some(node) = ledger.node(&hello.store_id, &hello.node_id)? else {
        return Ok(refused(401, "unknown_node", format!("node {}/{} is not enrolled", hello.store_id, hello.node_id)));
    };
    if !hello.verify(&node.ledger.key) {
        return Ok(refused(403, "bad_signature", format!("hello is not signed by node {}/{}", hello.store_id, hello.node_id)));
    }
    Ok(Reply::Ack(Message::Ack(node.ledger.ack()).encode()))
}

fn handle_batch(ledger: &mut dyn Ledger, batch: &Batch, bytes: &[u8], now_ms: i64) -> Result<Reply, LedgerError> {
    let seqs = batch.seqs().map(|r| (*r.start(), *r.end()));
    let Some(node) = ledger.node(&batch.store_id, &batch.node_id)? else {
        let reason = format!("batch from node {}/{}, which is not enrolled", batch.store_id, batch.node_id);
        warn!(store = %batch.store_id, node = %batch.node_id, "{reason}");
        ledger.quarantine(&batch.store_id, &batch.node_id, &reason, seqs, bytes, now_ms)?;
        return Ok(refused(401, "unknown_node", reason));
    };
    let verdict = node.ledger.check(batch);
    match &verdict {
        Verdict::Accept { skip, head } => {
            let entries = &batch.entries()[*skip..];
            if ledger.append(&node, entries, *head, totals_of(entries), now_ms)? {
                info!(store = %batch.store_id, node = %batch.node_id, from = entries[0].seq, to = head.0, "ingested");
                let mut after = node.ledger.clone();
                after.apply(&verdict);
                Ok(Reply::Ack(Message::Ack(after.ack()).encode()))
            } else {
                // Another server moved this node first: say where it stands now.
                let now = ledger.node(&batch.store_id, &batch.node_id)?.map(|n| n.ledger).unwrap_or(node.ledger);
                Ok(Reply::Ack(Message::Ack(now.ack()).encode()))
            }
        }
        Verdict::Duplicate | Verdict::Gap { .. } => Ok(Reply::Ack(Message::Ack(node.ledger.ack()).encode())),
        Verdict::Quarantine(tamper) => {
            let reason = tamper.to_string();
            warn!(store = %batch.store_id, node = %batch.node_id, %reason, "quarantined a batch");
            ledger.quarantine(&batch.store_id, &batch.node_id, &reason, seqs, bytes, now_ms)?;
            Ok(refused(422, "quarantined", format!("batch quarantined: {reason}")))
        }
    }
}
