//! Sales put aside (挂单) and taken back: the basket and who it is for.
//!
//! The replica keeps a suspended sale as JSON (`opentill_sync::Suspended::basket_json`):
//! the basket's own fields, with the shopper's `member`, `coupons` and `served_by` beside
//! them when there are any. A basket suspended before those were kept reads back with no
//! shopper, and anything that reads the JSON as a plain [`Basket`] still can.

use opentill_core::basket::Basket;
use opentill_sync::{ReplicaError, Suspended};
use serde::{Deserialize, Serialize};

use crate::{Result, Shopper, Till, TillError, new_id};

/// A sale put aside: its basket and who it was for (member, coupons, who served them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspendedSale {
    /// The basket as it was.
    pub basket: Basket,
    /// The member, the coupons presented and the staff member who served the customer.
    pub shopper: Shopper,
}

/// How a suspended sale is stored: a basket, plus the shopper's fields, which older
/// suspended baskets lack.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    basket: Basket,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    member: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    coupons: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    served_by: Option<String>,
}

impl SuspendedSale {
    /// Reads a suspended sale as the replica stores it.
    pub fn from_json(text: &str) -> std::result::Result<SuspendedSale, serde_json::Error> {
        let stored: Stored = serde_json::from_str(text)?;
        Ok(SuspendedSale { basket: stored.basket, shopper: Shopper { member: stored.member, coupons: stored.coupons, served_by: stored.served_by } })
    }

    fn to_json(&self) -> Result<String> {
        let stored = Stored { basket: self.basket.clone(), member: self.shopper.member.clone(), coupons: self.shopper.coupons.clone(), served_by: self.shopper.served_by.clone() };
        serde_json::to_string(&stored).map_err(|e| TillError::BadInput(e.to_string()))
    }
}

impl Till {
    /// Suspends a basket with who it is for; returns its id. The member's and coupons'
    /// ids are checked, and the staff member who served the customer must exist.
    pub fn suspend(&mut self, basket: &Basket, shopper: &Shopper, label: &str) -> Result<String> {
        let basket_id = new_id();
        self.suspend_as(&SuspendedSale { basket: basket.clone(), shopper: shopper.clone() }, &basket_id, label)?;
        Ok(basket_id)
    }

    /// Suspends a sale under a given id (to put one back).
    pub fn suspend_as(&mut self, sale: &SuspendedSale, basket_id: &str, label: &str) -> Result<()> {
        sale.shopper.validate()?;
        self.check_served_by(&sale.shopper)?;
        let basket_json = sale.to_json()?;
        self.replica.suspend(&Suspended { basket_id: basket_id.to_string(), created_ms: self.clock.now_ms(), label: label.to_string(), basket_json })?;
        Ok(())
    }

    /// A suspended sale, left on the list.
    pub fn suspended_sale(&self, basket_id: &str) -> Result<SuspendedSale> {
        let found = self.replica.suspended()?.into_iter().find(|s| s.basket_id == basket_id).ok_or_else(|| TillError::UnknownBasket(basket_id.to_string()))?;
        SuspendedSale::from_json(&found.basket_json).map_err(|e| TillError::BadInput(format!("suspended sale {basket_id} is unreadable: {e}")))
    }

    /// Takes a suspended sale back: it leaves the list.
    pub fn resume(&mut self, basket_id: &str) -> Result<SuspendedSale> {
        let found = self.replica.resume(basket_id)?.ok_or_else(|| TillError::UnknownBasket(basket_id.to_string()))?;
        SuspendedSale::from_json(&found.basket_json).map_err(|e| TillError::Replica(ReplicaError::Corrupt(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentill_core::money::Currency;
    use opentill_core::tax::TaxMode;

    #[test]
    fn a_basket_suspended_without_a_shopper_reads_back() {
        let basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        let old = serde_json::to_string(&basket).unwrap();
        let sale = SuspendedSale::from_json(&old).unwrap();
        assert_eq!(sale, SuspendedSale { basket: basket.clone(), shopper: Shopper::default() });
        // Without a shopper, the stored JSON is the basket's as before.
        assert_eq!(sale.to_json().unwrap(), old);
    }

    #[test]
    fn the_shopper_is_kept_and_the_basket_still_reads_alone() {
        let basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        let shopper = Shopper { member: Some("13800000001".into()), coupons: vec!["C10".into()], served_by: Some("c02".into()) };
        let sale = SuspendedSale { basket: basket.clone(), shopper };
        let text = sale.to_json().unwrap();
        assert_eq!(SuspendedSale::from_json(&text).unwrap(), sale);
        assert_eq!(serde_json::from_str::<Basket>(&text).unwrap(), basket);
    }
}
