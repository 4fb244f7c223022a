//! Head office's offers: promotions, coupons and the member and commission settings in the
//! tenant's offers document (`opentill_sync::docs::offers`), for every store (scope `*`)
//! or for one store. Stores merge the document like the catalog (`POST /v1/docs`); each
//! store runs its own offer of an id over head office's, and sets aside what does not
//! check together once merged (see `opentill_sync`'s `replica::offers`).
//!
//! An edit is checked on its own before it is stored: the body reads as the core's type,
//! passes the core's checks, and a promotion's SKUs are in the tenant's catalog.

use opentill_core::commission::CommissionRules;
use opentill_core::member::MemberProgram;
use opentill_core::promo::{Coupon, Promotion, PromotionSet, SkuFacts};
use opentill_sync::docs::offers::{COMMISSION_RULES, EVERY_STORE, MEMBER_PROGRAM, OffersDoc, Section};
use opentill_sync::docs::{DocError, SharedDoc};
use serde::Serialize;

use crate::docs::CatalogError;
use crate::ledger::Ledger;

/// Why an offers edit was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum OffersError {
    /// The body is not a valid offer or setting.
    #[error("{0}")]
    Invalid(String),
    /// No such section or setting.
    #[error("{0}")]
    Unknown(String),
    /// Storage or the document failed.
    #[error(transparent)]
    Doc(#[from] CatalogError),
}

/// One register of the offers document, as head office reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferDto {
    /// `*` (every store) or a store id.
    pub scope: String,
    /// Its id.
    pub id: String,
    /// Its last edit's HLC.
    pub hlc: String,
    /// The offer or setting.
    pub body: serde_json::Value,
}

/// The tenant's offers document: heads and every offer not removed, per section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffersView {
    /// The document's heads.
    pub heads: Vec<String>,
    /// Promotions.
    pub promotions: Vec<OfferDto>,
    /// Coupons.
    pub coupons: Vec<OfferDto>,
    /// The member program and commission rules.
    pub settings: Vec<OfferDto>,
}

/// The section an HTTP path names (`promotions`, `coupons`, `settings`).
pub fn section(name: &str) -> Result<Section, OffersError> {
    match name {
        "promotions" => Ok(Section::Promotion),
        "coupons" => Ok(Section::Coupon),
        "settings" => Ok(Section::Setting),
        other => Err(OffersError::Unknown(format!("no offers section {other:?}: promotions, coupons or settings"))),
    }
}

/// Reads the tenant's offers.
pub fn view(ledger: &dyn Ledger, tenant: &str) -> Result<OffersView, OffersError> {
    let (_, mut doc) = crate::docs::load_doc::<OffersDoc>(ledger, tenant)?;
    let list = |section| {
        doc.keys(section)
            .into_iter()
            .filter_map(|(scope, id)| match doc.get(section, &scope, &id) {
                Some((Some(body), hlc)) => Some(OfferDto { body: serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)), scope, id, hlc: hlc.encode() }),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let (promotions, coupons, settings) = (list(Section::Promotion), list(Section::Coupon), list(Section::Setting));
    Ok(OffersView { heads: doc.heads(), promotions, coupons, settings })
}

/// Checks a body for a section and returns its id (a setting's id is given).
fn check(ledger: &dyn Ledger, tenant: &str, section: Section, setting_id: Option<&str>, body: &str) -> Result<String, OffersError> {
    let bad = |e: String| OffersError::Invalid(e);
    match section {
        Section::Promotion | Section::Coupon => {
            let (_, catalog) = crate::docs::load(ledger, tenant)?;
            let facts = |sku: &str| catalog.details(sku).map(|(p, _)| SkuFacts { category: p.category, ..Default::default() });
            if section == Section::Promotion {
                let p: Promotion = serde_json::from_str(body).map_err(|e| bad(format!("promotion: {e}")))?;
                let id = p.id.clone();
                PromotionSet::new(vec![p], vec![], &facts).map_err(|e| bad(e.to_string()))?;
                Ok(id)
            } else {
                let c: Coupon = serde_json::from_str(body).map_err(|e| bad(format!("coupon: {e}")))?;
                let id = c.id.clone();
                PromotionSet::new(vec![], vec![c], &facts).map_err(|e| bad(e.to_string()))?;
                Ok(id)
            }
        }
        Section::Setting => match setting_id {
            Some(MEMBER_PROGRAM) => {
                let p: MemberProgram = serde_json::from_str(body).map_err(|e| bad(format!("member program: {e}")))?;
                p.check().map_err(|e| bad(e.to_string()))?;
                Ok(MEMBER_PROGRAM.into())
            }
            Some(COMMISSION_RULES) => {
                let r: CommissionRules = serde_json::from_str(body).map_err(|e| bad(format!("commission rules: {e}")))?;
                r.check().map_err(bad)?;
                Ok(COMMISSION_RULES.into())
            }
            other => Err(OffersError::Unknown(format!("no setting {:?}: {MEMBER_PROGRAM} or {COMMISSION_RULES}", other.unwrap_or("")))),
        },
    }
}

/// Sets an offer or setting for every store (`store` none) or one store, after checking
/// it; returns its id and the edit's HLC.
pub fn put(ledger: &mut dyn Ledger, tenant: &str, section: Section, setting_id: Option<&str>, store: Option<&str>, body: &str, now_ms: i64) -> Result<(String, String), OffersError> {
    let id = check(ledger, tenant, section, setting_id, body)?;
    // Stored compact, as the tills store theirs.
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| OffersError::Invalid(e.to_string()))?;
    let body = value.to_string();
    let scope = store.unwrap_or(EVERY_STORE).to_string();
    let hlc = crate::docs::edit_offers(ledger, tenant, now_ms, |doc, clock| doc.put(section, &scope, &id, Some(&body), clock, now_ms)).map_err(bad_edit)?;
    Ok((id, hlc.encode()))
}

/// Removes an offer or setting for every store or one store. Removing one that is not
/// there is refused.
pub fn remove(ledger: &mut dyn Ledger, tenant: &str, section: Section, id: &str, store: Option<&str>, now_ms: i64) -> Result<String, OffersError> {
    let scope = store.unwrap_or(EVERY_STORE).to_string();
    let (_, doc) = crate::docs::load_doc::<OffersDoc>(ledger, tenant)?;
    if !matches!(doc.get(section, &scope, id), Some((Some(_), _))) {
        return Err(OffersError::Unknown(format!("there is no {} {id:?} for {}", section.name(), if scope == EVERY_STORE { "every store".to_string() } else { format!("store {scope}") })));
    }
    let hlc = crate::docs::edit_offers(ledger, tenant, now_ms, |doc, clock| doc.put(section, &scope, id, None, clock, now_ms)).map_err(bad_edit)?;
    Ok(hlc.encode())
}

fn bad_edit(e: CatalogError) -> OffersError {
    match e {
        CatalogError::Doc(DocError::BadEdit { sku, reason }) => OffersError::Invalid(format!("{sku}: {reason}")),
        other => OffersError::Doc(other),
    }
}
