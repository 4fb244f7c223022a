//! The settings document on this node (see [`crate::docs::settings`]) and its projection:
//! the store's receipt header (name, Chinese name, address) and paper width, kept in
//! `meta` and in [`StoreSettings`](super::StoreSettings), rewritten for this store's
//! fields a merge or an edit touched, in the transaction that saves the document.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};

use super::docs::{DocUpdate, save_clock, save_doc};
use super::{Replica, Result, write};
use crate::docs::settings::{ADDRESS, NAME, NAME_ZH, PAPER_MM, SettingsDoc};
use crate::hlc::HlcClock;

/// Writes this store's values of `fields` from the document into `meta`. Returns them.
fn project(conn: &Connection, doc: &SettingsDoc, store_id: &str, fields: &BTreeSet<String>) -> Result<Vec<(String, String)>> {
    let mut written = Vec::new();
    for field in fields {
        let Some((value, _)) = doc.get(store_id, field) else { continue };
        conn.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?.execute(params![field, value])?;
        written.push((field.clone(), value));
    }
    Ok(written)
}

impl Replica {
    /// Reads the receipt header and paper again if another connection to this database
    /// changed the settings document since this one last read them (a sync run by another
    /// process, `store set` while `serve` runs). One indexed read when nothing changed.
    /// Returns whether it read them again.
    pub fn refresh_settings(&mut self) -> Result<bool> {
        let version = super::docs::doc_version(&self.conn, crate::docs::settings::SETTINGS)?.unwrap_or(0);
        if version == self.settings_version {
            return Ok(false);
        }
        for field in [NAME, NAME_ZH, ADDRESS, PAPER_MM] {
            let value: Option<String> = self.conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?.query_row([field], |r| r.get(0)).optional()?;
            let Some(value) = value else { continue };
            match field {
                NAME => self.settings.name = value,
                NAME_ZH => self.settings.name_zh = value,
                ADDRESS => self.settings.address = value,
                _ => self.settings.paper_mm = value.parse().unwrap_or(self.settings.paper_mm),
            }
        }
        self.settings_version = version;
        Ok(true)
    }

    /// The settings document, loaded (or reused if nobody wrote it since).
    pub fn settings_doc(&mut self) -> Result<&mut SettingsDoc> {
        self.loaded()
    }

    /// Runs `edit` on the settings document with this node's clock, then saves the
    /// changes, projects this store's fields it touched and saves the clock, in one
    /// transaction.
    pub fn edit_settings<T>(&mut self, now_ms: i64, edit: impl FnOnce(&mut SettingsDoc, &mut HlcClock) -> std::result::Result<T, crate::docs::DocError>) -> Result<(T, DocUpdate)> {
        self.edit_local(now_ms, edit)
    }

    /// Sets this store's receipt header and paper (`name`, `name_zh`, `address`,
    /// `paper_mm`) for every node of the store: an edit of the settings document.
    pub fn set_store_settings(&mut self, values: &[(&str, String)], now_ms: i64) -> Result<()> {
        let store = self.settings.store_id.clone();
        self.edit_settings(now_ms, |doc, clock| doc.set(&store, values, clock, now_ms))?;
        Ok(())
    }

    pub(crate) fn commit_settings(&mut self, version: i64, mut doc: SettingsDoc, before: &[String], clock: &mut HlcClock, now_ms: i64) -> Result<DocUpdate> {
        let store = self.settings.store_id.clone();
        let changed_pairs = doc.changed_since(before);
        let ours: BTreeSet<String> = changed_pairs.iter().filter(|(s, _)| *s == store).map(|(_, f)| f.clone()).collect();
        if let Some(hlc) = doc.latest_hlc() {
            clock.observe(&hlc);
        }
        let tx = write(&mut self.conn)?;
        let version = save_doc(&tx, &mut doc, version, now_ms)?;
        let written = project(&tx, &doc, &store, &ours)?;
        save_clock(&tx, clock)?;
        tx.commit()?;
        for (field, value) in &written {
            match field.as_str() {
                NAME => self.settings.name = value.clone(),
                NAME_ZH => self.settings.name_zh = value.clone(),
                ADDRESS => self.settings.address = value.clone(),
                PAPER_MM => self.settings.paper_mm = value.parse().unwrap_or(self.settings.paper_mm),
                _ => {}
            }
        }
        self.docs.settings = Some((version, doc));
        self.settings_version = version;
        Ok(DocUpdate { changed: changed_pairs.into_iter().map(|(s, f)| format!("{s}:{f}")).collect(), projected: written.len() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreSettings;

    #[test]
    fn a_header_changed_by_another_process_is_read_again_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut serving = Replica::create(dir.path(), StoreSettings::new("S1", "edge-1"), [7; 32]).unwrap();
        assert!(!serving.refresh_settings().unwrap(), "nothing changed");
        // `store set` (or the sync thread) on its own connection.
        let mut other = Replica::open(dir.path()).unwrap();
        other.set_store_settings(&[(NAME, "Corner Mart".into()), (PAPER_MM, "80".into())], 1_000).unwrap();
        assert_ne!(serving.settings().name, "Corner Mart");
        assert!(serving.refresh_settings().unwrap());
        assert_eq!((serving.settings().name.as_str(), serving.settings().paper_mm), ("Corner Mart", 80));
        assert!(!serving.refresh_settings().unwrap(), "read once");
    }
}
