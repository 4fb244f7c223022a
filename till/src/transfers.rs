//! Stock transfers between stores (调拨): the till's side of `opentill_core::transfer`.
//! Each step is checked against every step held here, then journaled; the other store
//! learns of it through the cloud (`opentill-edge sync push`, or `serve`'s loop).

use opentill_core::journal::Fact;
use opentill_core::transfer::{Step, Transfer, TransferFact, TransferLine, as_shipped, check_cancel, check_receive, check_request, check_ship};
use tracing::info;

use crate::stock::short_id;
use crate::{Result, Till, TillError};

/// A note is at most this many characters.
const NOTE_MAX: usize = 200;

fn note(text: Option<&str>) -> Result<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    if text.chars().count() > NOTE_MAX || text.chars().any(char::is_control) {
        return Err(TillError::BadInput(format!("a note must be at most {NOTE_MAX} characters on one line")));
    }
    Ok(Some(text.to_string()))
}

impl Till {
    fn known_sku(&self, sku: &str) -> bool {
        self.replica.product_by_sku(sku).ok().flatten().is_some()
    }

    fn held_transfer(&self, transfer_id: &str) -> Result<Transfer> {
        self.replica.transfer(transfer_id)?.ok_or_else(|| opentill_core::transfer::TransferError::Unknown(transfer_id.to_string()).into())
    }

    fn journal_transfer(&mut self, fact: TransferFact) -> Result<Transfer> {
        let id = fact.transfer_id.clone();
        info!(transfer = %id, step = ?fact.step, from = %fact.from_store, to = %fact.to_store, "transfer step journaled");
        self.replica.append(self.clock.now_ms(), &Fact::Transfer(fact))?;
        self.held_transfer(&id)
    }

    /// This store asks `from_store` for goods.
    pub fn request_transfer(&mut self, from_store: &str, lines: Vec<TransferLine>, note_text: Option<&str>, by: &str) -> Result<Transfer> {
        let me = self.replica.settings().store_id.clone();
        check_request(&me, from_store, &lines, |s| self.known_sku(s))?;
        let fact = TransferFact { transfer_id: short_id("TR"), step: Step::Requested, from_store: from_store.into(), to_store: me, lines, by: by.into(), note: note(note_text)? };
        self.journal_transfer(fact)
    }

    /// This store ships goods: against a request (`transfer_id`; no lines ships what was
    /// asked for), or, with no request, to `to_store`. Stock leaves this store.
    pub fn ship_transfer(&mut self, transfer_id: Option<&str>, to_store: Option<&str>, lines: Option<Vec<TransferLine>>, note_text: Option<&str>, by: &str) -> Result<Transfer> {
        let me = self.replica.settings().store_id.clone();
        let existing = transfer_id.map(|id| self.held_transfer(id)).transpose()?;
        let lines = match (lines, &existing) {
            (Some(lines), _) => lines,
            (None, Some(t)) => t.lines.iter().filter(|l| l.requested > 0).map(|l| TransferLine { sku: l.sku.clone(), qty: l.requested }).collect(),
            (None, None) => Vec::new(),
        };
        let to = match (&existing, to_store) {
            (Some(t), _) => t.to_store.clone(),
            (None, Some(to)) => to.to_string(),
            (None, None) => return Err(TillError::BadInput("name the request to ship (transfer id) or the store to ship to".into())),
        };
        check_ship(&me, existing.as_ref(), &to, &lines, |s| self.known_sku(s))?;
        let transfer_id = existing.map_or_else(|| short_id("TR"), |t| t.transfer_id);
        let fact = TransferFact { transfer_id, step: Step::Shipped, from_store: me, to_store: to, lines, by: by.into(), note: note(note_text)? };
        self.journal_transfer(fact)
    }

    /// This store receives a transfer in transit to it; no lines means everything arrived
    /// as shipped. Stock arrives here; a difference is the line's variance.
    pub fn receive_transfer(&mut self, transfer_id: &str, lines: Option<Vec<TransferLine>>, note_text: Option<&str>, by: &str) -> Result<Transfer> {
        let me = self.replica.settings().store_id.clone();
        let t = self.held_transfer(transfer_id)?;
        let lines = lines.unwrap_or_else(|| as_shipped(&t));
        check_receive(&me, &t, &lines, |s| self.known_sku(s))?;
        let fact = TransferFact { transfer_id: t.transfer_id, step: Step::Received, from_store: t.from_store, to_store: t.to_store, lines, by: by.into(), note: note(note_text)? };
        self.journal_transfer(fact)
    }

    /// Either store calls a transfer off before it is shipped.
    pub fn cancel_transfer(&mut self, transfer_id: &str, reason: Option<&str>, by: &str) -> Result<Transfer> {
        let me = self.replica.settings().store_id.clone();
        let t = self.held_transfer(transfer_id)?;
        check_cancel(&me, &t)?;
        let fact = TransferFact { transfer_id: t.transfer_id, step: Step::Cancelled, from_store: t.from_store, to_store: t.to_store, lines: Vec::new(), by: by.into(), note: note(reason)? };
        self.journal_transfer(fact)
    }

    /// Every transfer to or from this store, most recently moved first.
    pub fn transfers(&self) -> Result<Vec<Transfer>> {
        Ok(self.replica.transfers()?)
    }

    /// One transfer.
    pub fn transfer(&self, transfer_id: &str) -> Result<Transfer> {
        self.held_transfer(transfer_id)
    }

    /// The stores a transfer can name, as the cloud last said.
    pub fn transfer_stores(&self) -> Result<Vec<String>> {
        Ok(self.replica.transfer_stores()?)
    }
}
