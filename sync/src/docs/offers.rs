//! The **offers** document: promotions, coupons and the settings that shape them (the
//! member program, the commission rules), shared by every node of a tenant's stores.
//!
//! Each offer is an HLC register under `SCOPE\u{1f}ID` in its section's container, holding
//! `body` (the core's JSON of it, or null once removed). `SCOPE` is a store id (the store's
//! own offer, set by its manager at any of its tills) or [`EVERY_STORE`] (head office's,
//! for every store). A store runs, per id, its own offer if it has one, else head office's
//! ([`OffersDoc::effective`]); removing its own falls back to head office's, like a
//! store's own price. The document checks only that a body is a JSON object: what it
//! means (and whether it goes with the others) is checked by the replica that projects it,
//! which sets aside what does not check (see `Replica::offers_set_aside`).
//!
//! ```
//! use opentill_sync::docs::offers::{EVERY_STORE, OffersDoc, Section};
//! use opentill_sync::docs::SharedDoc;
//! use opentill_sync::hlc::HlcClock;
//!
//! let mut doc = OffersDoc::new();
//! let mut clock = HlcClock::new("cloud", (0, 0));
//! doc.put(Section::Promotion, EVERY_STORE, "SUMMER", Some(r#"{"id": "SUMMER"}"#), &mut clock, 1_000).unwrap();
//! doc.put(Section::Promotion, "S2", "SUMMER", Some(r#"{"id": "SUMMER", "priority": 1}"#), &mut clock, 2_000).unwrap();
//! assert_eq!(doc.effective(Section::Promotion, "S1")[0].scope, EVERY_STORE);
//! assert_eq!(doc.effective(Section::Promotion, "S2")[0].scope, "S2");
//! ```

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ObjId, ReadDoc, ScalarValue, Value};

use super::{DocError, KEY_SEP, SharedDoc, changed_registers, commit, container, put_register, winner};
use crate::hlc::{Hlc, HlcClock};

/// The offers document's name.
pub const OFFERS: &str = "offers";
/// The scope of head office's offers: every store of the tenant.
pub const EVERY_STORE: &str = "*";
/// The member program's id among the settings.
pub const MEMBER_PROGRAM: &str = "member_program";
/// The commission rules' id among the settings.
pub const COMMISSION_RULES: &str = "commission_rules";
/// Largest body, bytes.
pub const MAX_BODY: usize = 64 * 1024;

const PROMOTIONS: &str = "promotions";
const COUPONS: &str = "coupons";
const SETTINGS: &str = "settings";

/// A part of the offers document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Promotions (`opentill_core::promo::Promotion`).
    Promotion,
    /// Coupons (`opentill_core::promo::Coupon`).
    Coupon,
    /// The member program and the commission rules.
    Setting,
}

impl Section {
    /// Every section.
    pub const ALL: [Section; 3] = [Section::Promotion, Section::Coupon, Section::Setting];

    /// Its name, as people and logs read it.
    pub fn name(self) -> &'static str {
        match self {
            Section::Promotion => "promotion",
            Section::Coupon => "coupon",
            Section::Setting => "setting",
        }
    }
}

/// An offer (or setting) as a store runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferEntry {
    /// Its id.
    pub id: String,
    /// Whose it is: a store id, or [`EVERY_STORE`].
    pub scope: String,
    /// Its JSON.
    pub body: String,
    /// Its last edit.
    pub hlc: Hlc,
}

/// Promotions, coupons and settings, per store and for every store.
pub struct OffersDoc {
    doc: AutoCommit,
    sections: [ObjId; 3],
}

impl std::fmt::Debug for OffersDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffersDoc").finish_non_exhaustive()
    }
}

impl Default for OffersDoc {
    fn default() -> Self {
        OffersDoc::new()
    }
}

impl SharedDoc for OffersDoc {
    const NAME: &'static str = OFFERS;
    const CONTAINERS: &'static [&'static str] = &[PROMOTIONS, COUPONS, SETTINGS];

    fn wrap(doc: AutoCommit) -> Result<OffersDoc, DocError> {
        let sections = [container(&doc, OFFERS, PROMOTIONS)?, container(&doc, OFFERS, COUPONS)?, container(&doc, OFFERS, SETTINGS)?];
        Ok(OffersDoc { doc, sections })
    }

    fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

fn key(scope: &str, id: &str) -> String {
    format!("{scope}{KEY_SEP}{id}")
}

fn check_name(what: &str, text: &str) -> Result<(), DocError> {
    if text.trim().is_empty() || text.contains(KEY_SEP) || text.chars().any(char::is_control) || text.len() > 200 {
        return Err(DocError::BadEdit { sku: text.into(), reason: format!("a {what} must be non-empty printable text of at most 200 bytes") });
    }
    Ok(())
}

fn read_body(doc: &AutoCommit, obj: &ObjId) -> Option<Option<String>> {
    match doc.get(obj, "body").ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(text) => Some(Some(text.to_string())),
            ScalarValue::Null => Some(None),
            _ => None,
        },
        _ => None,
    }
}

impl OffersDoc {
    fn section(&self, section: Section) -> &ObjId {
        &self.sections[Section::ALL.iter().position(|s| *s == section).expect("every section has a container")]
    }

    /// Checks an edit without making it.
    pub fn check(section: Section, scope: &str, id: &str, body: Option<&str>) -> Result<(), DocError> {
        if scope != EVERY_STORE {
            check_name("store id", scope)?;
        }
        check_name(&format!("{} id", section.name()), id)?;
        if section == Section::Setting && ![MEMBER_PROGRAM, COMMISSION_RULES].contains(&id) {
            return Err(DocError::BadEdit { sku: id.into(), reason: format!("the settings are {MEMBER_PROGRAM} and {COMMISSION_RULES}") });
        }
        if let Some(body) = body {
            if body.len() > MAX_BODY {
                return Err(DocError::BadEdit { sku: id.into(), reason: format!("{} bytes is over the {MAX_BODY}-byte limit", body.len()) });
            }
            match serde_json::from_str::<serde_json::Value>(body) {
                Ok(serde_json::Value::Object(_)) => {}
                _ => return Err(DocError::BadEdit { sku: id.into(), reason: "the body must be a JSON object".into() }),
            }
        }
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`) an offer or setting for `scope` (a store, or
    /// [`EVERY_STORE`]), stamped by `clock` at `wall_ms`. A removal is itself a register,
    /// ordered by HLC like any other edit.
    pub fn put(&mut self, section: Section, scope: &str, id: &str, body: Option<&str>, clock: &mut HlcClock, wall_ms: i64) -> Result<Hlc, DocError> {
        OffersDoc::check(section, scope, id, body)?;
        let value = body.map_or(ScalarValue::Null, |b| ScalarValue::Str(b.into()));
        let obj = self.section(section).clone();
        let hlc = put_register(&mut self.doc, &obj, &key(scope, id), clock, wall_ms, vec![("body", value)])?;
        commit(&mut self.doc, &format!("put {}", section.name()), &hlc);
        Ok(hlc)
    }

    /// Sets many in one change (a store's offers brought into the document); every edit is
    /// checked before anything is written.
    pub fn put_many(&mut self, edits: &[(Section, String, String, Option<String>)], clock: &mut HlcClock, wall_ms: i64) -> Result<(), DocError> {
        for (section, scope, id, body) in edits {
            OffersDoc::check(*section, scope, id, body.as_deref())?;
        }
        let mut last = None;
        for (section, scope, id, body) in edits {
            let value = body.as_deref().map_or(ScalarValue::Null, |b| ScalarValue::Str(b.into()));
            let obj = self.section(*section).clone();
            last = Some(put_register(&mut self.doc, &obj, &key(scope, id), clock, wall_ms, vec![("body", value)])?);
        }
        if let Some(hlc) = last {
            commit(&mut self.doc, "put offers", &hlc);
        }
        Ok(())
    }

    /// The winning register for `scope` and `id`: its body (`None` once removed) and HLC.
    pub fn get(&self, section: Section, scope: &str, id: &str) -> Option<(Option<String>, Hlc)> {
        winner(&self.doc, self.section(section), &key(scope, id), read_body)
    }

    /// Every `(scope, id)` with a register in a section, sorted.
    pub fn keys(&self, section: Section) -> Vec<(String, String)> {
        self.doc.keys(self.section(section)).filter_map(|k| k.split_once(KEY_SEP).map(|(s, i)| (s.to_string(), i.to_string()))).collect()
    }

    /// What a store runs in a section, by id: its own offer where it has one (not
    /// removed), else head office's (not removed).
    pub fn effective(&self, section: Section, store_id: &str) -> Vec<OfferEntry> {
        let mut ids: BTreeMap<String, ()> = BTreeMap::new();
        for (scope, id) in self.keys(section) {
            if scope == store_id || scope == EVERY_STORE {
                ids.insert(id, ());
            }
        }
        ids.into_keys()
            .filter_map(|id| {
                [store_id, EVERY_STORE].into_iter().find_map(|scope| match self.get(section, scope, &id) {
                    Some((Some(body), hlc)) => Some(OfferEntry { id: id.clone(), scope: scope.to_string(), body, hlc }),
                    _ => None,
                })
            })
            .collect()
    }

    /// The largest HLC in the document (for a node's clock to observe).
    pub fn latest_hlc(&self) -> Option<Hlc> {
        Section::ALL.iter().flat_map(|s| self.keys(*s).into_iter().filter_map(move |(scope, id)| self.get(*s, &scope, &id).map(|(_, h)| h))).max()
    }

    /// The `(section, id)` of every offer changed between `before` (hex heads) and now,
    /// for any scope.
    pub fn changed_since(&mut self, before: &[String]) -> BTreeSet<(Section, String)> {
        let mut out = BTreeSet::new();
        for (obj, key) in changed_registers(&mut self.doc, before) {
            if let Some(section) = Section::ALL.iter().copied().find(|s| *self.section(*s) == obj)
                && let Some((_, id)) = key.split_once(KEY_SEP)
            {
                out.insert((section, id.to_string()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::decode_sync_state;

    fn sync_pair(a: &mut OffersDoc, b: &mut OffersDoc) {
        let (mut sa, mut sb) = (decode_sync_state(None), decode_sync_state(None));
        for _ in 0..10 {
            let ma = a.generate_sync_message(&mut sa);
            if let Some(m) = &ma {
                b.receive_sync_message(&mut sb, m).unwrap();
            }
            let mb = b.generate_sync_message(&mut sb);
            if let Some(m) = &mb {
                a.receive_sync_message(&mut sa, m).unwrap();
            }
            if ma.is_none() && mb.is_none() {
                break;
            }
        }
    }

    #[test]
    fn a_store_runs_its_own_offer_else_head_offices() {
        let mut doc = OffersDoc::new();
        let mut clock = HlcClock::new("n1", (0, 0));
        doc.put(Section::Promotion, EVERY_STORE, "P1", Some(r#"{"v": "office"}"#), &mut clock, 1_000).unwrap();
        doc.put(Section::Promotion, "S1", "P1", Some(r#"{"v": "store"}"#), &mut clock, 2_000).unwrap();
        doc.put(Section::Coupon, "S2", "C1", Some(r#"{"v": "s2"}"#), &mut clock, 2_000).unwrap();
        let bodies = |doc: &OffersDoc, section, store| doc.effective(section, store).into_iter().map(|e| (e.id, e.scope, e.body)).collect::<Vec<_>>();
        assert_eq!(bodies(&doc, Section::Promotion, "S1"), [("P1".into(), "S1".into(), r#"{"v": "store"}"#.into())]);
        assert_eq!(bodies(&doc, Section::Promotion, "S2"), [("P1".into(), "*".into(), r#"{"v": "office"}"#.into())]);
        assert!(bodies(&doc, Section::Coupon, "S1").is_empty(), "another store's coupon is not this store's");
        // Removing the store's own falls back to head office's; removing that leaves none.
        doc.put(Section::Promotion, "S1", "P1", None, &mut clock, 3_000).unwrap();
        assert_eq!(bodies(&doc, Section::Promotion, "S1")[0].1, "*");
        doc.put(Section::Promotion, EVERY_STORE, "P1", None, &mut clock, 4_000).unwrap();
        assert!(bodies(&doc, Section::Promotion, "S1").is_empty());
    }

    #[test]
    fn bad_edits_are_refused_and_change_nothing() {
        let mut doc = OffersDoc::new();
        let mut clock = HlcClock::new("n1", (0, 0));
        let heads = doc.heads();
        for (section, scope, id, body) in [
            (Section::Promotion, "S1", "", Some("{}")),
            (Section::Promotion, "", "P1", Some("{}")),
            (Section::Promotion, "S1", "P\u{1f}1", Some("{}")),
            (Section::Promotion, "S1", "P1", Some("[1, 2]")),
            (Section::Coupon, "S1", "C1", Some("{not json")),
            (Section::Setting, "S1", "tax", Some("{}")),
        ] {
            assert!(doc.put(section, scope, id, body, &mut clock, 1_000).is_err(), "{section:?} {scope:?} {id:?} {body:?}");
        }
        assert!(doc.put(Section::Promotion, "S1", "P1", Some(&format!(r#"{{"x": "{}"}}"#, "a".repeat(MAX_BODY))), &mut clock, 1_000).is_err());
        assert_eq!(doc.heads(), heads);
        assert!(doc.put(Section::Setting, "S1", MEMBER_PROGRAM, Some("{}"), &mut clock, 1_000).is_ok());
    }

    #[test]
    fn concurrent_edits_converge_on_the_later_hlc_and_report_what_changed() {
        let mut a = OffersDoc::new();
        let mut b = OffersDoc::new();
        let (mut ca, mut cb) = (HlcClock::new("a", (0, 0)), HlcClock::new("b", (0, 0)));
        a.put(Section::Promotion, "S1", "P1", Some(r#"{"by": "a"}"#), &mut ca, 5_000).unwrap();
        // b's wall clock is behind, but it edits later in HLC order only if it saw a's edit.
        b.put(Section::Promotion, "S1", "P1", Some(r#"{"by": "b"}"#), &mut cb, 4_000).unwrap();
        b.put(Section::Coupon, "S1", "C1", Some(r#"{"by": "b"}"#), &mut cb, 4_001).unwrap();
        let before = a.heads();
        sync_pair(&mut a, &mut b);
        assert_eq!(a.heads(), b.heads());
        for doc in [&a, &b] {
            assert_eq!(doc.get(Section::Promotion, "S1", "P1").unwrap().0.as_deref(), Some(r#"{"by": "a"}"#), "the larger HLC wins everywhere");
        }
        let changed = a.changed_since(&before);
        assert!(changed.contains(&(Section::Promotion, "P1".to_string())) && changed.contains(&(Section::Coupon, "C1".to_string())), "{changed:?}");
        // An edit made after seeing the other always wins.
        b.put(Section::Promotion, "S1", "P1", Some(r#"{"by": "b2"}"#), &mut cb, 1).unwrap();
        sync_pair(&mut a, &mut b);
        assert_eq!(a.get(Section::Promotion, "S1", "P1").unwrap().0.as_deref(), Some(r#"{"by": "b2"}"#));
        // A saved document loads with the same heads.
        let mut loaded = OffersDoc::load(&a.save(), &[]).unwrap();
        assert_eq!(loaded.heads(), a.heads());
        assert!(matches!(crate::docs::CatalogDoc::load(&a.save(), &[]), Err(DocError::MissingContainer { .. })), "an offers document is not a catalog");
    }
}
