//! The offers document on this node (see [`crate::docs::offers`]) and its projection: the
//! `promotions`, `coupons`, `member_program` and `commission_rules` tables pricing reads,
//! and `offers_set_aside` (migration 23), what this store does not run and why.
//!
//! Every edit or merge rewrites the projection from the document in the same transaction
//! that saves the document. A store runs, per id, its own offer else head office's; the
//! bodies must read as the core's types and check together (`PromotionSet::new` against
//! this store's catalog). Edits made apart can each check and still clash once merged
//! (two exclusive promotions over the same products, one id given to a promotion and a
//! coupon): then the offers are taken in HLC order and **the later one that does not
//! check with those before it is set aside**, with the reason, on every replica alike
//! (the order and the check depend only on the document and the catalog). A setting that
//! does not check falls back to head office's, else to the default.

use std::collections::BTreeMap;

use opentill_core::commission::CommissionRules;
use opentill_core::i18n::Lang;
use opentill_core::member::MemberProgram;
use opentill_core::promo::{Coupon, Promotion, PromotionSet, SkuFacts};
use rusqlite::{Connection, OptionalExtension, params};
use tracing::{info, warn};

use super::docs::{DocCache, DocUpdate, doc_version, load_doc, save_clock, save_doc};
use super::{Replica, Result, write};
use crate::docs::offers::{COMMISSION_RULES, EVERY_STORE, MEMBER_PROGRAM, OFFERS, OfferEntry, OffersDoc, Section};
use crate::hlc::HlcClock;

/// The meta key set once a replica's offers live in the offers document.
const IN_DOCUMENT: &str = "offers_in_document";

/// An offer or setting this store does not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// `promotion`, `coupon` or `setting`.
    pub section: String,
    /// Its id.
    pub id: String,
    /// Whose: this store's id, or `*` for head office's.
    pub scope: String,
    /// Why, in English.
    pub reason: String,
    /// Why, in Chinese.
    pub reason_zh: String,
}

enum Candidate {
    Promotion(Promotion),
    Coupon(Coupon),
}

fn set_aside(section: Section, entry: &OfferEntry, reason: String, reason_zh: String) -> SetAside {
    SetAside { section: section.name().into(), id: entry.id.clone(), scope: entry.scope.clone(), reason, reason_zh }
}

/// Reads each entry as `T` whose id is its key; what does not read is set aside.
fn read_entries<T: serde::de::DeserializeOwned>(section: Section, entries: Vec<OfferEntry>, id_of: fn(&T) -> &str, aside: &mut Vec<SetAside>) -> Vec<(OfferEntry, T)> {
    let mut out = Vec::new();
    for entry in entries {
        match serde_json::from_str::<T>(&entry.body) {
            Ok(value) if id_of(&value) == entry.id => out.push((entry, value)),
            Ok(value) => {
                let other = id_of(&value).to_string();
                aside.push(set_aside(section, &entry, format!("its body is for id {other}"), format!("内容的编号是 {other}")));
            }
            Err(e) => aside.push(set_aside(section, &entry, format!("does not read: {e}"), format!("无法读取：{e}"))),
        }
    }
    out
}

/// The offers this store runs, and what it sets aside: see the module's rule.
fn resolve(conn: &Connection, doc: &OffersDoc, store_id: &str) -> Result<(Vec<(OfferEntry, Candidate)>, Vec<SetAside>)> {
    let mut aside = Vec::new();
    let promotions = read_entries(Section::Promotion, doc.effective(Section::Promotion, store_id), |p: &Promotion| &p.id, &mut aside);
    let coupons = read_entries(Section::Coupon, doc.effective(Section::Coupon, store_id), |c: &Coupon| &c.id, &mut aside);
    let mut candidates: Vec<(OfferEntry, Candidate)> =
        promotions.into_iter().map(|(e, p)| (e, Candidate::Promotion(p))).chain(coupons.into_iter().map(|(e, c)| (e, Candidate::Coupon(c)))).collect();
    candidates.sort_by(|a, b| a.0.hlc.cmp(&b.0.hlc).then_with(|| a.0.id.cmp(&b.0.id)));
    let mut lookup = conn.prepare_cached("SELECT category FROM products WHERE sku = ?1")?;
    let mut categories: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (_, candidate) in &candidates {
        let skus: Vec<String> = match candidate {
            Candidate::Promotion(p) => serde_json::to_value(p).map(|v| skus_in(&v)).unwrap_or_default(),
            Candidate::Coupon(c) => serde_json::to_value(c).map(|v| skus_in(&v)).unwrap_or_default(),
        };
        for sku in skus {
            if !categories.contains_key(&sku) {
                let category: Option<String> = lookup.query_row([&sku], |r| r.get(0)).optional()?;
                categories.insert(sku, category);
            }
        }
    }
    let catalog = |sku: &str| categories.get(sku).cloned().flatten().map(|category| SkuFacts { category, ..Default::default() });
    let check = |chosen: &[&(OfferEntry, Candidate)]| {
        let (mut ps, mut cs) = (Vec::new(), Vec::new());
        for (_, c) in chosen {
            match c {
                Candidate::Promotion(p) => ps.push(p.clone()),
                Candidate::Coupon(c) => cs.push(c.clone()),
            }
        }
        PromotionSet::new(ps, cs, &catalog).map(|_| ())
    };
    let all: Vec<&(OfferEntry, Candidate)> = candidates.iter().collect();
    if check(&all).is_ok() {
        return Ok((candidates, aside));
    }
    // Something clashes: keep each offer that checks with those before it in HLC order.
    let mut keep = vec![false; candidates.len()];
    for idx in 0..candidates.len() {
        let mut chosen: Vec<&(OfferEntry, Candidate)> = candidates.iter().zip(&keep).filter(|(_, k)| **k).map(|(c, _)| c).collect();
        chosen.push(&candidates[idx]);
        match check(&chosen) {
            Ok(()) => keep[idx] = true,
            Err(e) => {
                let (entry, candidate) = &candidates[idx];
                let section = if matches!(candidate, Candidate::Promotion(_)) { Section::Promotion } else { Section::Coupon };
                aside.push(set_aside(section, entry, e.message(Lang::En), e.message(Lang::Zh)));
            }
        }
    }
    let kept = candidates.into_iter().zip(keep).filter(|(_, k)| *k).map(|(c, _)| c).collect();
    Ok((kept, aside))
}

/// Every string under a `"sku"` key or in a `"Skus"` list, anywhere in a value: the SKUs
/// an offer names (so only those are looked up in the catalog).
fn skus_in(value: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("sku", serde_json::Value::String(s)) => out.push(s.clone()),
                        ("Skus", serde_json::Value::Array(list)) => out.extend(list.iter().filter_map(|s| s.as_str().map(str::to_string))),
                        _ => stack.push(v),
                    }
                }
            }
            serde_json::Value::Array(list) => stack.extend(list),
            _ => {}
        }
    }
    out
}

/// Rewrites one offers table to `wanted` (id → body and scope): changed rows get
/// `now_ms`, rows no longer wanted keep a null body (so a removal still moves
/// `changed_ms`).
fn write_table(conn: &Connection, table: &str, id_col: &str, wanted: &BTreeMap<String, (String, String)>, now_ms: i64) -> Result<usize> {
    type Row = (Option<String>, Option<String>);
    let current: BTreeMap<String, Row> =
        conn.prepare(&format!("SELECT {id_col}, body, scope FROM {table}"))?.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?.collect::<rusqlite::Result<_>>()?;
    let mut upsert = conn.prepare(&format!(
        "INSERT INTO {table} ({id_col}, body, scope, changed_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT ({id_col}) DO UPDATE SET body = excluded.body, scope = excluded.scope, changed_ms = excluded.changed_ms"
    ))?;
    let mut n = 0;
    for (id, (body, scope)) in wanted {
        if current.get(id) != Some(&(Some(body.clone()), Some(scope.clone()))) {
            upsert.execute(params![id, body, scope, now_ms])?;
            n += 1;
        }
    }
    for (id, (body, _)) in &current {
        if body.is_some() && !wanted.contains_key(id) {
            upsert.execute(params![id, None::<String>, None::<String>, now_ms])?;
            n += 1;
        }
    }
    Ok(n)
}

/// The setting this store runs: its own if it checks, else head office's if it checks.
fn setting(doc: &OffersDoc, store_id: &str, id: &str, check: impl Fn(&str) -> std::result::Result<(), (String, String)>, aside: &mut Vec<SetAside>) -> Option<String> {
    for scope in [store_id, EVERY_STORE] {
        if let Some((Some(body), hlc)) = doc.get(Section::Setting, scope, id) {
            match check(&body) {
                Ok(()) => return Some(body),
                Err((en, zh)) => aside.push(set_aside(Section::Setting, &OfferEntry { id: id.into(), scope: scope.into(), body, hlc }, en, zh)),
            }
        }
    }
    None
}

fn write_setting(conn: &Connection, table: &str, body: Option<&str>) -> Result<usize> {
    let current: Option<String> = conn.prepare(&format!("SELECT body FROM {table} WHERE id = 1"))?.query_row([], |r| r.get(0)).optional()?;
    if current.as_deref() == body {
        return Ok(0);
    }
    match body {
        Some(body) => conn.execute(&format!("INSERT INTO {table} (id, body) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET body = excluded.body"), [body])?,
        None => conn.execute(&format!("DELETE FROM {table} WHERE id = 1"), [])?,
    };
    Ok(1)
}

/// Rewrites this store's offers tables from the document. Returns the rows changed.
pub(crate) fn project(conn: &Connection, doc: &OffersDoc, store_id: &str, now_ms: i64) -> Result<usize> {
    let (kept, mut aside) = resolve(conn, doc, store_id)?;
    let (mut promotions, mut coupons) = (BTreeMap::new(), BTreeMap::new());
    for (entry, candidate) in kept {
        match candidate {
            Candidate::Promotion(_) => promotions.insert(entry.id, (entry.body, entry.scope)),
            Candidate::Coupon(_) => coupons.insert(entry.id, (entry.body, entry.scope)),
        };
    }
    let mut n = write_table(conn, "promotions", "promo_id", &promotions, now_ms)?;
    n += write_table(conn, "coupons", "coupon_id", &coupons, now_ms)?;
    let program = setting(
        doc,
        store_id,
        MEMBER_PROGRAM,
        |body| match serde_json::from_str::<MemberProgram>(body) {
            Ok(p) => p.check().map_err(|e| (e.to_string(), format!("会员方案无效：{e}"))),
            Err(e) => Err((format!("does not read: {e}"), format!("无法读取：{e}"))),
        },
        &mut aside,
    );
    n += write_setting(conn, "member_program", program.as_deref())?;
    let rules = setting(
        doc,
        store_id,
        COMMISSION_RULES,
        |body| match serde_json::from_str::<CommissionRules>(body) {
            Ok(r) => r.check().map_err(|e| (e.clone(), format!("提成规则无效：{e}"))),
            Err(e) => Err((format!("does not read: {e}"), format!("无法读取：{e}"))),
        },
        &mut aside,
    );
    n += write_setting(conn, "commission_rules", rules.as_deref())?;
    conn.execute("DELETE FROM offers_set_aside", [])?;
    let mut insert = conn.prepare_cached("INSERT INTO offers_set_aside (section, offer_id, scope, reason, reason_zh) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for a in &aside {
        warn!(section = a.section, id = a.id, scope = a.scope, reason = a.reason, "offer set aside");
        insert.execute(params![a.section, a.id, a.scope, a.reason, a.reason_zh])?;
    }
    Ok(n)
}

/// Re-projects the offers when some are set aside (a catalog change may let them run).
pub(crate) fn reproject_if_set_aside(conn: &Connection, cache: &mut DocCache, store_id: &str, now_ms: i64) -> Result<()> {
    let any: bool = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM offers_set_aside)")?.query_row([], |r| r.get(0))?;
    if !any {
        return Ok(());
    }
    let current = doc_version(conn, OFFERS)?.unwrap_or(0);
    if cache.offers.as_ref().is_none_or(|(v, _)| *v != current || current == 0) {
        cache.offers = Some(load_doc(conn)?);
    }
    let (_, doc) = cache.offers.as_ref().expect("just loaded");
    project(conn, doc, store_id, now_ms)?;
    Ok(())
}

impl Replica {
    /// The offers document, loaded (or reused if nobody wrote it since).
    pub fn offers(&mut self) -> Result<&mut OffersDoc> {
        self.loaded()
    }

    /// Runs `edit` on the offers document with this node's clock, then saves the changes,
    /// re-projects this store's offers and saves the clock, in one transaction. An edit
    /// that fails changes nothing.
    pub fn edit_offers<T>(&mut self, now_ms: i64, edit: impl FnOnce(&mut OffersDoc, &mut HlcClock) -> std::result::Result<T, crate::docs::DocError>) -> Result<(T, DocUpdate)> {
        self.edit_local(now_ms, edit)
    }

    /// Sets (`Some` JSON) or removes (`None`) this store's own offer or setting.
    pub fn put_store_offer(&mut self, section: Section, id: &str, body: Option<&str>, now_ms: i64) -> Result<DocUpdate> {
        let store = self.settings.store_id.clone();
        Ok(self.edit_offers(now_ms, |doc, clock| doc.put(section, &store, id, body, clock, now_ms))?.1)
    }

    pub(crate) fn commit_offers(&mut self, version: i64, mut doc: OffersDoc, before: &[String], clock: &mut HlcClock, now_ms: i64) -> Result<DocUpdate> {
        let changed: std::collections::BTreeSet<String> = doc.changed_since(before).into_iter().map(|(s, id)| format!("{}:{id}", s.name())).collect();
        if let Some(hlc) = doc.latest_hlc() {
            clock.observe(&hlc);
        }
        let store = self.settings.store_id.clone();
        let tx = write(&mut self.conn)?;
        let version = save_doc(&tx, &mut doc, version, now_ms)?;
        let projected = if changed.is_empty() { 0 } else { project(&tx, &doc, &store, now_ms)? };
        save_clock(&tx, clock)?;
        tx.commit()?;
        self.docs.offers = Some((version, doc));
        Ok(DocUpdate { changed, projected })
    }

    /// The promotions and coupons this store runs from head office (scope `*`), as
    /// `(section, id)`: `promotion` or `coupon`.
    pub fn head_office_offers(&self) -> Result<std::collections::BTreeSet<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT 'promotion', promo_id FROM promotions WHERE scope = '*' AND body IS NOT NULL UNION ALL SELECT 'coupon', coupon_id FROM coupons WHERE scope = '*' AND body IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What this store does not run, and why, by section and id.
    pub fn offers_set_aside(&self) -> Result<Vec<SetAside>> {
        let mut stmt = self.conn.prepare_cached("SELECT section, offer_id, scope, reason, reason_zh FROM offers_set_aside ORDER BY section, offer_id, scope")?;
        let rows = stmt.query_map([], |r| Ok(SetAside { section: r.get(0)?, id: r.get(1)?, scope: r.get(2)?, reason: r.get(3)?, reason_zh: r.get(4)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Brings offers stored before the offers document existed into it, once, as this
    /// store's own (stamped at their last change), so they reach the store's other nodes.
    pub(crate) fn bring_offers_into_document(&mut self) -> Result<()> {
        if self.meta_get(IN_DOCUMENT)?.is_some() {
            return Ok(());
        }
        let store = self.settings.store_id.clone();
        let mut edits = Vec::new();
        let mut latest = 0_i64;
        for (section, table, id_col) in [(Section::Promotion, "promotions", "promo_id"), (Section::Coupon, "coupons", "coupon_id")] {
            let rows: Vec<(String, String, i64)> = self
                .conn
                .prepare(&format!("SELECT {id_col}, body, changed_ms FROM {table} WHERE body IS NOT NULL ORDER BY {id_col}"))?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (id, body, changed) in rows {
                latest = latest.max(changed);
                edits.push((section, store.clone(), id, Some(body)));
            }
        }
        for (id, table) in [(MEMBER_PROGRAM, "member_program"), (COMMISSION_RULES, "commission_rules")] {
            let body: Option<String> = self.conn.prepare(&format!("SELECT body FROM {table} WHERE id = 1"))?.query_row([], |r| r.get(0)).optional()?;
            if let Some(body) = body {
                edits.push((Section::Setting, store.clone(), id.to_string(), Some(body)));
            }
        }
        if !edits.is_empty() {
            let n = edits.len();
            self.edit_offers(latest, |doc, clock| doc.put_many(&edits, clock, latest))?;
            info!(offers = n, "brought this store's offers into the offers document");
        }
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?1, '1') ON CONFLICT (key) DO NOTHING", [IN_DOCUMENT])?;
        Ok(())
    }
}

/// Marks a new replica's offers as living in the document from the start.
pub(crate) fn mark_in_document(conn: &Connection) -> Result<()> {
    conn.execute("INSERT INTO meta (key, value) VALUES (?1, '1') ON CONFLICT (key) DO NOTHING", [IN_DOCUMENT])?;
    Ok(())
}
