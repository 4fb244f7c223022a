//! Staff roles and what each may do.

use serde::{Deserialize, Serialize};

/// A staff member's role. Roles are ordered: each may do what the ones below it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Sells, takes payment, opens and closes their own shift.
    Cashier,
    /// Also overrides prices, gives manual discounts, voids sales, issues refunds, opens the drawer.
    Supervisor,
    /// Also manages the catalog, users and stock.
    Manager,
}

/// An action that needs a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Ring up and take payment.
    Sell,
    /// Change a line's price by hand.
    PriceOverride,
    /// Give a manual line or basket discount.
    ManualDiscount,
    /// Void a whole sale in progress.
    VoidSale,
    /// Refund against an earlier sale.
    Refund,
    /// Open the cash drawer with no sale, or move cash in or out.
    CashMovement,
    /// Edit the catalog, stock and users.
    Manage,
}

impl Role {
    /// Whether this role may perform `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        let needed = match permission {
            Permission::Sell => Role::Cashier,
            Permission::PriceOverride | Permission::ManualDiscount | Permission::VoidSale | Permission::Refund | Permission::CashMovement => Role::Supervisor,
            Permission::Manage => Role::Manager,
        };
        self >= needed
    }

    /// `cashier`, `supervisor` or `manager`.
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cashier" => Some(Role::Cashier),
            "supervisor" => Some(Role::Supervisor),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }

    /// The name [`Role::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
        }
    }
}

/// Someone acting at the till, already authenticated by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User id.
    pub user_id: String,
    /// Their role.
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest() {
        assert!(Role::Cashier.allows(Permission::Sell));
        assert!(!Role::Cashier.allows(Permission::PriceOverride));
        assert!(Role::Supervisor.allows(Permission::PriceOverride));
        assert!(!Role::Supervisor.allows(Permission::Manage));
        assert!(Role::Manager.allows(Permission::Refund));
    }
}
