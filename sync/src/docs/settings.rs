//! The **settings** document: what a store prints at the top of its receipts (its name in
//! both languages and its address) and the receipt paper width, shared by every node of
//! the tenant, so a manager sets them once at any till and every till of the store prints
//! the same header.
//!
//! Each value is an HLC register under `STORE\u{1f}FIELD` in `stores`, holding `value`
//! (text), so two managers changing different fields at once both keep their change. A
//! store without a value in the document keeps what its node was initialised with.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ObjId, ScalarValue};

use super::{DocError, KEY_SEP, changed_registers, commit, put_register, scalar_str, winner};
use crate::hlc::{Hlc, HlcClock};

/// The settings document's name.
pub const SETTINGS: &str = "settings";

const STORES: &str = "stores";

/// The store's name on receipts.
pub const NAME: &str = "name";
/// The store's Chinese name on receipts.
pub const NAME_ZH: &str = "name_zh";
/// The store's address on receipts.
pub const ADDRESS: &str = "address";
/// The receipt paper width, `58` or `80` (mm).
pub const PAPER_MM: &str = "paper_mm";

/// Every field the document holds.
pub const FIELDS: [&str; 4] = [NAME, NAME_ZH, ADDRESS, PAPER_MM];

/// The stores' shared settings.
pub struct SettingsDoc {
    doc: AutoCommit,
    stores: ObjId,
}

super::register_doc!(SettingsDoc, SETTINGS, stores: STORES);

fn read_value(doc: &AutoCommit, obj: &ObjId) -> Option<String> {
    scalar_str(doc, obj, "value")
}

/// Checks one value before it is written.
pub fn check(store: &str, field: &str, value: &str) -> Result<(), DocError> {
    let bad = |reason: String| Err(DocError::BadEdit { sku: format!("{store}/{field}"), reason });
    if store.trim().is_empty() || store.contains(KEY_SEP) || store.chars().any(char::is_control) || store.len() > 64 {
        return bad("a store id must be non-empty printable text of at most 64 bytes".into());
    }
    let chars = value.chars().count();
    match field {
        NAME | NAME_ZH if value.trim().is_empty() || chars > 60 || value.chars().any(char::is_control) => bad("a store name is 1 to 60 printable characters".into()),
        ADDRESS if chars > 120 || value.chars().any(char::is_control) => bad("an address is at most 120 printable characters".into()),
        PAPER_MM if value != "58" && value != "80" => bad(format!("the paper is 58 or 80 mm, not {value:?}")),
        NAME | NAME_ZH | ADDRESS | PAPER_MM => Ok(()),
        other => bad(format!("{other:?} is not a store setting (one of {})", FIELDS.join(", "))),
    }
}

impl SettingsDoc {
    /// Sets fields of `store` in one change, stamped by `clock` at `wall_ms`; every value
    /// is checked before anything is written.
    pub fn set(&mut self, store: &str, values: &[(&str, String)], clock: &mut HlcClock, wall_ms: i64) -> Result<(), DocError> {
        for (field, value) in values {
            check(store, field, value)?;
        }
        let mut last = None;
        for (field, value) in values {
            last = Some(put_register(&mut self.doc, &self.stores.clone(), &format!("{store}{KEY_SEP}{field}"), clock, wall_ms, vec![("value", ScalarValue::Str(value.as_str().into()))])?);
        }
        if let Some(hlc) = last {
            commit(&mut self.doc, "set store settings", &hlc);
        }
        Ok(())
    }

    /// A store's winning value of `field`, with its HLC.
    pub fn get(&self, store: &str, field: &str) -> Option<(String, Hlc)> {
        winner(&self.doc, &self.stores, &format!("{store}{KEY_SEP}{field}"), read_value)
    }

    /// The values the document holds for `store`, by field.
    pub fn of_store(&self, store: &str) -> BTreeMap<String, String> {
        FIELDS.iter().filter_map(|f| self.get(store, f).map(|(v, _)| (f.to_string(), v))).collect()
    }

    /// The (store, field) pairs changed between `before` (hex heads) and now.
    pub fn changed_since(&mut self, before: &[String]) -> BTreeSet<(String, String)> {
        changed_registers(&mut self.doc, before)
            .into_iter()
            .filter(|(obj, _)| *obj == self.stores)
            .filter_map(|(_, key)| key.split_once(KEY_SEP).map(|(s, f)| (s.to_string(), f.to_string())))
            .collect()
    }

    /// The largest HLC in the document (for a node's clock to observe).
    pub fn latest_hlc(&self) -> Option<Hlc> {
        use automerge::ReadDoc;
        self.doc.keys(&self.stores).filter_map(|k| winner(&self.doc, &self.stores, &k, read_value).map(|(_, h)| h)).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::SharedDoc;

    #[test]
    fn two_fields_changed_apart_both_stay_and_bad_values_are_refused() {
        let (mut a, mut b) = (SettingsDoc::new(), SettingsDoc::new());
        let (mut ca, mut cb) = (HlcClock::new("t1", (0, 0)), HlcClock::new("t2", (0, 0)));
        a.set("S1", &[(NAME, "Corner Shop".into()), (NAME_ZH, "街角小店".into())], &mut ca, 1_000).unwrap();
        b.set("S1", &[(ADDRESS, "1 Nanjing Rd".into()), (PAPER_MM, "80".into())], &mut cb, 1_100).unwrap();
        b.set("S2", &[(NAME, "Other".into())], &mut cb, 1_200).unwrap();
        let (mut sa, mut sb) = (Default::default(), Default::default());
        for _ in 0..4 {
            if let Some(m) = a.generate_sync_message(&mut sa) {
                b.receive_sync_message(&mut sb, &m).unwrap();
            }
            if let Some(m) = b.generate_sync_message(&mut sb) {
                a.receive_sync_message(&mut sa, &m).unwrap();
            }
        }
        assert_eq!(a.heads(), b.heads());
        let s1: Vec<(String, String)> = a.of_store("S1").into_iter().collect();
        assert_eq!(s1, [("address".into(), "1 Nanjing Rd".into()), ("name".into(), "Corner Shop".into()), ("name_zh".into(), "街角小店".into()), ("paper_mm".into(), "80".into())]);
        let heads = a.heads();
        for (store, field, value) in [("S1", PAPER_MM, "57"), ("S1", NAME, " "), ("S1", "vat", "1"), ("", NAME, "A"), ("S1", ADDRESS, "a\nb")] {
            assert!(a.set(store, &[(field, value.to_string())], &mut ca, 2_000).is_err(), "{store} {field} {value}");
        }
        assert_eq!(a.heads(), heads, "a refused edit changes nothing");
    }
}
