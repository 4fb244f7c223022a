//! `POST /v1/transfers`: the steps other stores took of stock transfers to or from a
//! store (see `opentill_core::transfer`), and the tenant's stores a transfer can name.
//!
//! A transfer step is an ordinary journal entry of the store that took it, verified and
//! held like any other; this answer only selects them. The request has the same body as
//! `POST /v1/balances` (store, node, time, signature), signed over
//! [`transfers_request_message`].

use opentill_core::journal::Fact;
use opentill_core::transfer::TransferEvent;
use opentill_sync::TransferSnapshot;
use opentill_sync::protocol::transfers_request_message;

use crate::balances::{BalancesError, BalancesRequest, authenticate};
use crate::ledger::Ledger;

/// Answers a node's request from the ledger: the steps past the asker's cursor
/// ([`BalancesRequest::after`]; all of them without one). An entry this build cannot read
/// (a newer node's) is left out, as ingest leaves it out of the totals.
pub fn answer(ledger: &dyn Ledger, request: &BalancesRequest, now_ms: i64) -> Result<TransferSnapshot, BalancesError> {
    authenticate(ledger, request, &transfers_request_message(&request.store_id, &request.node_id, request.ts_ms))?;
    let (stores, rows) = ledger.transfer_entries(&request.store_id)?;
    let held = |store: &str, node: &str| request.after.iter().find(|c| c.store == store && c.node == node).map_or(0, |c| c.seq);
    let events = rows
        .into_iter()
        .filter(|row| row.seq > held(&row.store_id, &row.node_id))
        .filter_map(|row| match serde_json::from_slice::<Fact>(&row.body) {
            Ok(Fact::Transfer(fact)) => Some(TransferEvent { store: row.store_id, node: row.node_id, seq: row.seq, ts_ms: row.ts_ms, fact }),
            _ => {
                tracing::warn!(store = %row.store_id, node = %row.node_id, seq = row.seq, "a transfer entry this build cannot read: left out");
                None
            }
        })
        .collect();
    Ok(TransferSnapshot { store_id: request.store_id.clone(), as_of_ms: now_ms, stores, events })
}
