//! Reports across stores: per tenant, brand and store over a range of local dates (each
//! store's own business dates, at its UTC offset), with subtotals per brand and tenant
//! and a grand total. The arithmetic is core's: [`Totals`] (sales, refunds, net, 客单价
//! rounded half up by `rounding::div_round`) and [`tender_rows`] / [`Totals::of_tender`]
//! per tender kind. The fold ([`fold_facts`], [`rollup`]) is pure; [`stores_report`] reads
//! the ledger.

use std::collections::BTreeMap;

use opentill_core::analytics::{Totals, tender_rows};
use opentill_core::journal::Fact;

use crate::closing::Period;
use crate::ledger::{Ledger, LedgerError, StorePath};

/// What a row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// One store.
    Store,
    /// A brand's stores.
    Brand,
    /// A tenant's brands.
    Tenant,
    /// Every tenant.
    All,
}

impl Level {
    /// `store`, `brand`, `tenant`, `all`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Store => "store",
            Level::Brand => "brand",
            Level::Tenant => "tenant",
            Level::All => "all",
        }
    }
}

/// Sums over a store's (or a group's) sales and refunds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sums {
    /// Sales and refunds: counts and amounts (`sales`, `refunds`, `net()`, `average_basket()`).
    pub totals: Totals,
    /// Per tender kind: payments taken and given back.
    pub by_tender: BTreeMap<String, Totals>,
}

impl Sums {
    /// Adds a fact (only sales and refunds count).
    pub fn add_fact(&mut self, fact: &Fact) {
        match fact {
            Fact::Sale(sale) => self.totals.add(&Totals { n_sales: 1, sales: sale.total, ..Totals::default() }),
            Fact::Refund(refund) => self.totals.add(&Totals { n_refunds: 1, refunds: refund.total, ..Totals::default() }),
            _ => return,
        }
        for row in tender_rows(0, 0, fact) {
            self.by_tender.entry(row.kind.clone()).or_default().add(&Totals::of_tender(&row));
        }
    }

    /// Adds another group.
    pub fn add(&mut self, other: &Sums) {
        self.totals.add(&other.totals);
        for (kind, t) in &other.by_tender {
            self.by_tender.entry(kind.clone()).or_default().add(t);
        }
    }
}

/// Folds facts (their bodies as stored; unreadable ones are skipped).
pub fn fold_facts<'a>(bodies: impl IntoIterator<Item = &'a [u8]>) -> Sums {
    let mut sums = Sums::default();
    for body in bodies {
        if let Ok(fact) = serde_json::from_slice::<Fact>(body) {
            sums.add_fact(&fact);
        }
    }
    sums
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What it covers.
    pub level: Level,
    /// Tenant (empty for [`Level::All`]).
    pub tenant: String,
    /// Brand (empty above [`Level::Brand`]).
    pub brand: String,
    /// Store (empty above [`Level::Store`]).
    pub store_id: String,
    /// The sums.
    pub sums: Sums,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoresReport {
    /// First local date, inclusive.
    pub from: String,
    /// Last local date, inclusive.
    pub to: String,
    /// Each tenant's brands' stores, each brand's subtotal after its stores, each tenant's
    /// after its brands, and the grand total last.
    pub rows: Vec<Row>,
}

/// Store rows (in tenant, brand, store order) with brand and tenant subtotals and a grand
/// total.
pub fn rollup(stores: Vec<(StorePath, Sums)>) -> Vec<Row> {
    let mut tree: BTreeMap<String, BTreeMap<String, BTreeMap<String, Sums>>> = BTreeMap::new();
    for (path, sums) in stores {
        tree.entry(path.tenant).or_default().entry(path.brand).or_default().entry(path.store_id).or_default().add(&sums);
    }
    let mut rows = Vec::new();
    let mut all = Sums::default();
    for (tenant, brands) in tree {
        let mut tenant_sums = Sums::default();
        for (brand, stores) in brands {
            let mut brand_sums = Sums::default();
            for (store_id, sums) in stores {
                brand_sums.add(&sums);
                rows.push(Row { level: Level::Store, tenant: tenant.clone(), brand: brand.clone(), store_id, sums });
            }
            tenant_sums.add(&brand_sums);
            rows.push(Row { level: Level::Brand, tenant: tenant.clone(), brand, store_id: String::new(), sums: brand_sums });
        }
        all.add(&tenant_sums);
        rows.push(Row { level: Level::Tenant, tenant, brand: String::new(), store_id: String::new(), sums: tenant_sums });
    }
    rows.push(Row { level: Level::All, tenant: String::new(), brand: String::new(), store_id: String::new(), sums: all });
    rows
}

/// The report over local dates `from..=to` (`YYYY-MM-DD`) from every entry the ledger
/// holds. `progress(done, total)` after each store.
pub fn stores_report(ledger: &dyn Ledger, from: Period, to: Period, progress: &mut dyn FnMut(usize, usize)) -> Result<StoresReport, LedgerError> {
    let stores = ledger.stores()?;
    let mut folded = Vec::with_capacity(stores.len());
    for (idx, store) in stores.iter().enumerate() {
        let range = from.start_ms(store.utc_offset_min)..to.end_ms(store.utc_offset_min);
        let mut sums = Sums::default();
        for node in ledger.store_nodes(&store.path.store_id)? {
            ledger.read_entries(&store.path.store_id, &node.node_id, 1..=u64::MAX, range.clone(), &mut |entry| {
                if let Ok(fact) = serde_json::from_slice::<Fact>(&entry.body) {
                    sums.add_fact(&fact);
                }
                Ok(())
            })?;
        }
        folded.push((store.path.clone(), sums));
        progress(idx + 1, stores.len());
    }
    Ok(StoresReport { from: from.text(), to: to.text(), rows: rollup(folded) })
}
