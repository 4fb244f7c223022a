//! Analytics across stores (`opentill-cloud analytics`, `GET /v1/reports/analytics`): the
//! reports a till answers for its own store (`opentill_core::analytics::By`: by hour,
//! day, week, category, cashier, payment method, top and slow sellers, basket, members,
//! conversion), folded here from the journals of a tenant's stores, or of one of them.
//!
//! The fold is core's [`report_from_facts`], the one the till's projection is tested
//! against, so a report of one store in the cloud equals the till's once the cloud holds
//! its journals. Each store's entries count on the store's own business dates: their
//! timestamps are shifted by the difference between the store's UTC offset and the first
//! store's, and the fold runs at the first store's offset. Slow sellers show the stock on
//! hand across the stores now (every entry, not only the period's).
//!
//! The facts of the period are held in memory while they are folded; a tenant's year of
//! sales wants the per-day sums a store keeps (its `sale_groups`) kept in the cloud too,
//! which it does not yet.

use std::collections::BTreeMap;

use opentill_core::analytics::{By, CatalogItem, Report, parse_day, report_from_facts};
use opentill_core::fold::stock_delta;
use opentill_core::journal::Fact;

use crate::docs::CatalogError;
use crate::ledger::{Ledger, LedgerError};

const DAY_MS: i64 = 86_400_000;

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// No store matches.
    #[error("tenant {tenant:?} has no store{}", store.as_ref().map(|s| format!(" {s:?}")).unwrap_or_default())]
    NoStore {
        /// The tenant asked for.
        tenant: String,
        /// The store asked for.
        store: Option<String>,
    },
    /// A date that is not `YYYY-MM-DD`, or a period that ends before it starts.
    #[error("{0}")]
    BadPeriod(String),
    /// Storage.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The tenant's catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// `by` over the local dates `from..=to` (both optional) of `tenant`'s stores, or of its
/// store `store`. `limit` applies to top and slow sellers. `progress(done, total)` after
/// each store.
pub fn analytics(
    ledger: &dyn Ledger,
    by: By,
    tenant: &str,
    store: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    limit: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, AnalyticsError> {
    let day = |text: &str| parse_day(text).ok_or_else(|| AnalyticsError::BadPeriod(format!("date `{text}` must be a real date written YYYY-MM-DD")));
    let first = from.map(day).transpose()?;
    let last = to.map(day).transpose()?;
    if let (Some(f), Some(l)) = (first, last)
        && f > l
    {
        return Err(AnalyticsError::BadPeriod("the period ends before it starts".into()));
    }
    let stores: Vec<_> = ledger.stores()?.into_iter().filter(|s| s.path.tenant == tenant && store.is_none_or(|id| id == s.path.store_id)).collect();
    let Some(base) = stores.first().map(|s| s.utc_offset_min) else {
        return Err(AnalyticsError::NoStore { tenant: tenant.into(), store: store.map(str::to_string) });
    };
    let mut facts: Vec<(i64, Fact)> = Vec::new();
    let mut stock: BTreeMap<String, i64> = BTreeMap::new();
    for (idx, s) in stores.iter().enumerate() {
        let offset_ms = i64::from(s.utc_offset_min) * 60_000;
        let start = first.map_or(i64::MIN, |d| d.saturating_mul(DAY_MS).saturating_sub(offset_ms));
        let end = last.map_or(i64::MAX, |d| d.saturating_add(1).saturating_mul(DAY_MS).saturating_sub(offset_ms));
        let shift = i64::from(s.utc_offset_min - base) * 60_000;
        let read = if by == By::Slow { i64::MIN..i64::MAX } else { start..end };
        for node in ledger.store_nodes(&s.path.store_id)? {
            ledger.read_entries(&s.path.store_id, &node.node_id, 1..=u64::MAX, read.clone(), &mut |entry| {
                // A fact this build cannot read (a newer node's) is left out, as ingest
                // leaves it out of the totals.
                let Ok(fact) = serde_json::from_slice::<Fact>(&entry.body) else { return Ok(()) };
                if by == By::Slow {
                    for (sku, delta) in stock_delta(&fact) {
                        *stock.entry(sku.to_string()).or_default() += delta;
                    }
                }
                if (start..end).contains(&entry.ts_ms) {
                    facts.push((entry.ts_ms + shift, fact));
                }
                Ok(())
            })?;
        }
        progress(idx + 1, stores.len());
    }
    // Top and slow sellers are named from the tenant's catalog.
    let catalog = if matches!(by, By::Top | By::Slow) { catalog_items(ledger, tenant, &stock)? } else { Vec::new() };
    Ok(report_from_facts(by, facts.iter().map(|(ts, f)| (*ts, f)), base, from, to, &catalog, limit))
}

/// The tenant's cloud catalog as slow sellers list it, with the stock on hand given.
fn catalog_items(ledger: &dyn Ledger, tenant: &str, stock: &BTreeMap<String, i64>) -> Result<Vec<CatalogItem>, CatalogError> {
    let (_, catalog) = crate::docs::load(ledger, tenant)?;
    Ok(catalog
        .skus()
        .into_iter()
        .filter_map(|sku| catalog.details(&sku).map(|(p, _)| p))
        .map(|p| CatalogItem { stock: stock.get(&p.sku).copied().unwrap_or(0), sku: p.sku, name: p.name, name_zh: p.name_zh, unit: p.unit })
        .collect())
}
