//! How much of a stored-value balance a node may spend without the cloud's confirmation.
//!
//! A prepaid balance belongs to the tenant: topped up in one store, spent in any. Each
//! node knows exactly what its own store did (its journal and its store's other tills) and
//! what the other stores had done when it last heard from the cloud (a *snapshot*). Spending
//! in two stores that cannot see each other could take a balance below zero; the
//! **offline allowance** bounds it. A node may spend from an account only
//!
//! 1. what the balance it can see covers (its store's movements plus the other stores'
//!    total in the snapshot, less what vending machines hold), and
//! 2. at most `allowance` in all that the cloud had not confirmed when the snapshot was
//!    taken: its own debits after the seq the cloud held for it, plus the new one.
//!
//! **Architecture Invariant:** with every node keeping both rules, an account's true
//! balance (every store's journal folded) never goes below minus the sum of the allowances
//! of the nodes that spent from it concurrently; the cloud flags any account below zero
//! for review. `docs/allowance.md` gives the argument.
//!
//! A node that never enrolled with a cloud is a store on its own: only rule 1 applies.

/// What a node knows about one account when it is asked to spend from it (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpendView {
    /// The balance this node can see: its store's movements and the other stores' total
    /// as of its last snapshot.
    pub balance: i64,
    /// Held for vends authorised but not yet charged.
    pub held: i64,
    /// This node's own debits the cloud had not confirmed at the last snapshot.
    pub unconfirmed: i64,
    /// The allowance, when the node syncs with a cloud (`None` for a store on its own).
    pub allowance: Option<i64>,
}

/// Why a spend is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendRefusal {
    /// The balance does not cover it.
    Insufficient {
        /// What can be spent (balance less holds, at least 0).
        available: i64,
    },
    /// It would take this node's unconfirmed spending past the allowance.
    OverAllowance {
        /// The allowance.
        allowance: i64,
        /// What of it is left (at least 0).
        left: i64,
    },
}

/// Whether `amount` may be spent from an account (rules 1 and 2 of the module docs).
pub fn check_spend(view: SpendView, amount: i64) -> Result<(), SpendRefusal> {
    if amount <= 0 {
        return Ok(());
    }
    let available = view.balance.saturating_sub(view.held);
    if available < amount {
        return Err(SpendRefusal::Insufficient { available: available.max(0) });
    }
    if let Some(allowance) = view.allowance {
        let committed = view.unconfirmed.saturating_add(view.held);
        if committed.saturating_add(amount) > allowance {
            return Err(SpendRefusal::OverAllowance { allowance, left: allowance.saturating_sub(committed).max(0) });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_are_bounded_by_the_balance_and_by_the_allowance() {
        let on_its_own = |balance, held| SpendView { balance, held, unconfirmed: 0, allowance: None };
        let synced = |balance, held, unconfirmed, allowance| SpendView { balance, held, unconfirmed, allowance: Some(allowance) };
        // (view, amount, expected)
        let cases = [
            (on_its_own(10_000, 0), 10_000, Ok(())),
            (on_its_own(10_000, 0), 10_001, Err(SpendRefusal::Insufficient { available: 10_000 })),
            (on_its_own(10_000, 2_500), 8_000, Err(SpendRefusal::Insufficient { available: 7_500 })),
            (on_its_own(-300, 0), 1, Err(SpendRefusal::Insufficient { available: 0 })),
            // No allowance applies to a store on its own, however much it spends.
            (on_its_own(1_000_000, 0), 900_000, Ok(())),
            // Synced: within the allowance.
            (synced(100_000, 0, 0, 50_000), 50_000, Ok(())),
            (synced(100_000, 0, 20_000, 50_000), 30_000, Ok(())),
            // Past it: what is left is told.
            (synced(100_000, 0, 20_000, 50_000), 30_001, Err(SpendRefusal::OverAllowance { allowance: 50_000, left: 30_000 })),
            // Holds count against both.
            (synced(100_000, 10_000, 20_000, 50_000), 20_001, Err(SpendRefusal::OverAllowance { allowance: 50_000, left: 20_000 })),
            (synced(25_000, 10_000, 0, 50_000), 15_001, Err(SpendRefusal::Insufficient { available: 15_000 })),
            // The balance is checked first: an empty account says so, not "allowance".
            (synced(0, 0, 60_000, 50_000), 100, Err(SpendRefusal::Insufficient { available: 0 })),
            (synced(5_000, 0, 60_000, 50_000), 100, Err(SpendRefusal::OverAllowance { allowance: 50_000, left: 0 })),
            // An allowance of zero: nothing without the cloud's word.
            (synced(5_000, 0, 0, 0), 1, Err(SpendRefusal::OverAllowance { allowance: 0, left: 0 })),
            // Nothing to spend is always fine.
            (synced(0, 0, 60_000, 0), 0, Ok(())),
        ];
        for (i, (view, amount, expected)) in cases.into_iter().enumerate() {
            assert_eq!(check_spend(view, amount), expected, "case {i}: {view:?} spending {amount}");
        }
    }
}
