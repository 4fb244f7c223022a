//! The staff document on this node (see [`crate::docs::staff`]) and its projection: the
//! `users` table that logins and approvals read. Every edit or merge rewrites the rows of
//! the accounts it touched, as this store takes them (its own, else head office's), in
//! the transaction that saves the document.

use std::collections::BTreeSet;

use opentill_core::role::Role;
use rusqlite::{Connection, params};
use tracing::info;

use super::docs::{DocUpdate, save_clock, save_doc};
use super::{Replica, Result, User, write};
use crate::docs::staff::{StaffDoc, StaffRecord};
use crate::hlc::HlcClock;

/// The meta key set once a replica's users live in the staff document.
const IN_DOCUMENT: &str = "users_in_document";

/// Rewrites the `users` rows of `ids` from the document. Returns the rows written.
pub(crate) fn project(conn: &Connection, doc: &StaffDoc, store_id: &str, ids: &BTreeSet<String>) -> Result<usize> {
    let effective = doc.effective(store_id);
    let mut upsert = conn.prepare_cached(
        "INSERT INTO users (user_id, name, role, pin_hash, active) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash, active = excluded.active",
    )?;
    let mut n = 0;
    for id in ids {
        // An id only another store has is not this store's account.
        let Some(r) = effective.get(id) else { continue };
        let Some(role) = Role::parse(&r.role) else { continue };
        upsert.execute(params![id, r.name, role.name(), r.pin_hash, r.active])?;
        n += 1;
    }
    Ok(n)
}

fn record(user: &User) -> StaffRecord {
    StaffRecord { name: user.name.clone(), role: user.role.name().into(), pin_hash: user.pin_hash.clone(), active: user.active }
}

impl Replica {
    /// The staff document, loaded (or reused if nobody wrote it since).
    pub fn staff(&mut self) -> Result<&mut StaffDoc> {
        self.loaded()
    }

    /// Runs `edit` on the staff document with this node's clock, then saves the changes,
    /// projects the accounts it touched and saves the clock, in one transaction.
    pub fn edit_staff<T>(&mut self, now_ms: i64, edit: impl FnOnce(&mut StaffDoc, &mut HlcClock) -> std::result::Result<T, crate::docs::DocError>) -> Result<(T, DocUpdate)> {
        self.edit_local(now_ms, edit)
    }

    /// Adds or replaces this store's own account (an edit of the staff document, which
    /// every node of the tenant syncs).
    pub fn upsert_user(&mut self, user: &User, now_ms: i64) -> Result<()> {
        let store = self.settings.store_id.clone();
        let accounts = [(user.user_id.clone(), record(user))];
        self.edit_staff(now_ms, |doc, clock| doc.put(&store, &accounts, clock, now_ms))?;
        Ok(())
    }

    pub(crate) fn commit_staff(&mut self, version: i64, mut doc: StaffDoc, before: &[String], clock: &mut HlcClock, now_ms: i64) -> Result<DocUpdate> {
        let changed = doc.changed_since(before);
        if let Some(hlc) = doc.latest_hlc() {
            clock.observe(&hlc);
        }
        let store = self.settings.store_id.clone();
        let tx = write(&mut self.conn)?;
        let version = save_doc(&tx, &mut doc, version, now_ms)?;
        let projected = project(&tx, &doc, &store, &changed)?;
        save_clock(&tx, clock)?;
        tx.commit()?;
        self.docs.staff = Some((version, doc));
        Ok(DocUpdate { changed, projected })
    }

    /// Brings accounts kept before the staff document existed into it, once, as this
    /// store's own, so they reach the store's other nodes.
    pub(crate) fn bring_users_into_document(&mut self, now_ms: i64) -> Result<()> {
        if self.meta_get(IN_DOCUMENT)?.is_some() {
            return Ok(());
        }
        let users = self.users()?;
        if !users.is_empty() {
            let store = self.settings.store_id.clone();
            let accounts: Vec<(String, StaffRecord)> = users.iter().map(|u| (u.user_id.clone(), record(u))).collect();
            self.edit_staff(now_ms, |doc, clock| doc.put(&store, &accounts, clock, now_ms))?;
            info!(users = users.len(), "brought this store's accounts into the staff document");
        }
        mark_in_document(&self.conn)
    }
}

/// Marks a replica's accounts as living in the staff document.
pub(crate) fn mark_in_document(conn: &Connection) -> Result<()> {
    conn.execute("INSERT INTO meta (key, value) VALUES (?1, '1') ON CONFLICT (key) DO NOTHING", [IN_DOCUMENT])?;
    Ok(())
}
