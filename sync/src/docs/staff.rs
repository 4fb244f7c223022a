//! The **staff** document: the accounts that log in at the tills (name, role, the PIN's
//! Argon2 hash, active or not), shared by every node of a tenant's stores, so an account
//! a manager adds at one till logs in at the store's other tills.
//!
//! Each account is an HLC register under `SCOPE\u{1f}USER_ID` in `users`, holding `body`
//! (JSON of [`StaffRecord`]). `SCOPE` is a store id (the store's own staff) or
//! [`EVERY_STORE`] (head office's, for every store); a store takes, per id, its own
//! account else head office's. An account is never removed, only made inactive, so the
//! sales it made keep naming someone.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ObjId, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use super::offers::EVERY_STORE;
use super::{DocError, KEY_SEP, changed_registers, commit, put_register, winner};
use crate::hlc::{Hlc, HlcClock};

/// The staff document's name.
pub const STAFF: &str = "staff";

const USERS: &str = "users";

/// An account as the document keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRecord {
    /// Display name.
    pub name: String,
    /// `cashier`, `supervisor` or `manager`.
    pub role: String,
    /// Argon2 PHC string of the PIN.
    pub pin_hash: String,
    /// Whether it may log in.
    pub active: bool,
}

/// The accounts, per store and for every store.
pub struct StaffDoc {
    doc: AutoCommit,
    users: ObjId,
}

super::register_doc!(StaffDoc, STAFF, users: USERS);

fn read_record(doc: &AutoCommit, obj: &ObjId) -> Option<StaffRecord> {
    match doc.get(obj, "body").ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(text) => serde_json::from_str(text).ok(),
            _ => None,
        },
        _ => None,
    }
}

fn check(scope: &str, user_id: &str, record: &StaffRecord) -> Result<(), DocError> {
    let bad = |reason: &str| Err(DocError::BadEdit { sku: user_id.into(), reason: reason.into() });
    for text in [scope, user_id] {
        if text.trim().is_empty() || text.contains(KEY_SEP) || text.chars().any(char::is_control) || text.len() > 64 {
            return bad("a store and a user id must be non-empty printable text of at most 64 bytes");
        }
    }
    if record.name.trim().is_empty() || record.name.len() > 100 {
        return bad("a user needs a name of at most 100 characters");
    }
    if !["cashier", "supervisor", "manager"].contains(&record.role.as_str()) {
        return bad("the role is cashier, supervisor or manager");
    }
    if !record.pin_hash.starts_with("$argon2") {
        return bad("the PIN must be kept as an Argon2 hash");
    }
    Ok(())
}

impl StaffDoc {
    /// Sets accounts for `scope` (a store, or [`EVERY_STORE`]) in one change, stamped by
    /// `clock` at `wall_ms`; every account is checked before anything is written.
    pub fn put(&mut self, scope: &str, accounts: &[(String, StaffRecord)], clock: &mut HlcClock, wall_ms: i64) -> Result<(), DocError> {
        for (user_id, record) in accounts {
            check(scope, user_id, record)?;
        }
        let mut last = None;
        for (user_id, record) in accounts {
            let body = serde_json::to_string(record).expect("a staff record serialises");
            last = Some(put_register(&mut self.doc, &self.users.clone(), &format!("{scope}{KEY_SEP}{user_id}"), clock, wall_ms, vec![("body", ScalarValue::Str(body.into()))])?);
        }
        if let Some(hlc) = last {
            commit(&mut self.doc, "put staff", &hlc);
        }
        Ok(())
    }

    /// The winning account for `scope` and `user_id`, with its HLC.
    pub fn get(&self, scope: &str, user_id: &str) -> Option<(StaffRecord, Hlc)> {
        winner(&self.doc, &self.users, &format!("{scope}{KEY_SEP}{user_id}"), read_record)
    }

    /// The accounts a store has, by id: its own where it has one, else head office's.
    pub fn effective(&self, store_id: &str) -> BTreeMap<String, StaffRecord> {
        let ids: BTreeSet<String> = self
            .doc
            .keys(&self.users)
            .filter_map(|k| k.split_once(KEY_SEP).filter(|(s, _)| *s == store_id || *s == EVERY_STORE).map(|(_, id)| id.to_string()))
            .collect();
        ids.into_iter().filter_map(|id| [store_id, EVERY_STORE].into_iter().find_map(|scope| self.get(scope, &id)).map(|(r, _)| (id, r))).collect()
    }

    /// The user ids changed between `before` (hex heads) and now, for any scope.
    pub fn changed_since(&mut self, before: &[String]) -> BTreeSet<String> {
        changed_registers(&mut self.doc, before).into_iter().filter(|(obj, _)| *obj == self.users).filter_map(|(_, key)| key.split_once(KEY_SEP).map(|(_, id)| id.to_string())).collect()
    }

    /// The largest HLC in the document (for a node's clock to observe).
    pub fn latest_hlc(&self) -> Option<Hlc> {
        self.doc.keys(&self.users).filter_map(|k| winner(&self.doc, &self.users, &k, read_record).map(|(_, h)| h)).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::SharedDoc;

    fn record(name: &str, role: &str) -> StaffRecord {
        StaffRecord { name: name.into(), role: role.into(), pin_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(), active: true }
    }

    #[test]
    fn a_store_takes_its_own_account_else_head_offices_and_bad_accounts_are_refused() {
        let mut doc = StaffDoc::new();
        let mut clock = HlcClock::new("n1", (0, 0));
        doc.put(EVERY_STORE, &[("m01".into(), record("Area manager", "manager"))], &mut clock, 1_000).unwrap();
        doc.put("S1", &[("m01".into(), record("Store manager", "manager")), ("c01".into(), record("Li", "cashier"))], &mut clock, 2_000).unwrap();
        assert_eq!(doc.effective("S1").into_iter().map(|(id, r)| (id, r.name)).collect::<Vec<_>>(), [("c01".to_string(), "Li".to_string()), ("m01".into(), "Store manager".into())]);
        assert_eq!(doc.effective("S2").into_keys().collect::<Vec<_>>(), ["m01"]);
        let heads = doc.heads();
        for (scope, id, r) in [("S1", "", record("A", "cashier")), ("S1", "c02", record("", "cashier")), ("S1", "c02", record("A", "owner")), ("S1", "c02", StaffRecord { pin_hash: "1234".into(), ..record("A", "cashier") })] {
            assert!(doc.put(scope, &[(id.to_string(), r)], &mut clock, 3_000).is_err());
        }
        assert_eq!(doc.heads(), heads, "a refused edit changes nothing");
    }
}
