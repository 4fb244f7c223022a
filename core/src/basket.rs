//! The basket: what a customer is buying, before payment.

use serde::{Deserialize, Serialize};

use crate::catalog::{Product, Unit};
use crate::money::{Currency, MAX_AMOUNT_MINOR};
use crate::role::{Actor, Permission};
use crate::rounding::{RoundingMode, allocate, div_round};
use crate::tax::{TaxMode, TaxRate, tax_on};

/// Most pieces on one line.
pub const MAX_EACH_QTY: i64 = 9_999;
/// Most grams on one weighed line (one tonne).
pub const MAX_GRAMS: i64 = 1_000_000;

/// A discount given by hand or by a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discount {
    /// A percentage in basis points (1000 = 10 % off).
    Percent(u32),
    /// A fixed amount off, in minor units.
    Amount(i64),
}

impl Discount {
    /// How much this takes off `amount`, never more than `amount` itself.
    pub fn off(self, amount: i64) -> i64 {
        let off = match self {
            Discount::Percent(bp) => div_round(i128::from(amount) * i128::from(bp), 10_000, RoundingMode::HalfUp) as i64,
            Discount::Amount(minor) => minor,
        };
        off.clamp(0, amount.max(0))
    }

    fn check(self) -> Result<(), BasketError> {
        match self {
            Discount::Percent(bp) if bp > 10_000 => Err(BasketError::BadDiscount("more than 100 %".into())),
            Discount::Amount(minor) if minor < 0 => Err(BasketError::BadDiscount("negative amount".into())),
            Discount::Amount(minor) if minor > MAX_AMOUNT_MINOR => Err(BasketError::BadDiscount("amount too large".into())),
            _ => Ok(()),
        }
    }
}

/// What the basket knows of a product: a snapshot taken when it was scanned, so a price
/// change mid-sale does not change a line already rung up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Category.
    pub category: String,
    /// Each or kg.
    pub unit: Unit,
    /// Catalog price per piece or per kg when scanned.
    pub unit_price: i64,
    /// Tax rate.
    pub tax_rate: TaxRate,
}

impl From<&Product> for LineItem {
    fn from(product: &Product) -> Self {
        LineItem {
            sku: product.sku.clone(),
            name: product.name.clone(),
            name_zh: product.name_zh.clone(),
            category: product.category.clone(),
            unit: product.unit,
            unit_price: product.price_minor,
            tax_rate: product.tax_rate,
        }
    }
}

/// A price changed by hand, and who allowed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceOverride {
    /// The new unit price.
    pub price: i64,
    /// The user who authorised it.
    pub by: String,
}

/// One line of a basket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The product.
    pub item: LineItem,
    /// Pieces, or grams for weighed products.
    pub qty: i64,
    /// A line discount.
    pub discount: Option<Discount>,
    /// A manual price.
    pub price_override: Option<PriceOverride>,
    /// Voided lines stay visible (for the audit trail) but count for nothing.
    pub voided: bool,
    /// The price a scale printed on the label, when the line came from one: the customer
    /// pays exactly that, whatever the per-kg arithmetic gives.
    #[serde(default)]
    pub label_price: Option<i64>,
}

impl Line {
    /// The unit price in force: the override if any, else the catalog price.
    pub fn unit_price(&self) -> i64 {
        self.price_override.as_ref().map_or(self.item.unit_price, |o| o.price)
    }

    /// Price times quantity, before discounts. For weighed lines, per-kg price times grams,
    /// rounded half up to the fen.
    pub fn gross(&self) -> i64 {
        if let (Some(label), None) = (self.label_price, &self.price_override) {
            return label;
        }
        let price = i128::from(self.unit_price());
        let qty = i128::from(self.qty);
        match self.item.unit {
            Unit::Each => (price * qty) as i64,
            Unit::Kg => div_round(price * qty, 1000, RoundingMode::HalfUp) as i64,
        }
    }
}

/// Whether an offer is a promotion or a coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// A promotion (折扣, 特价, 满减, 买N送M, …).
    Promotion,
    /// A coupon the customer presented.
    Coupon,
}

/// One promotion or coupon used by a sale: what the receipt explains and what the
/// journal keeps (coupon uses and flash-sale pieces are folded from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferUse {
    /// Promotion or coupon.
    pub kind: OfferKind,
    /// Its id.
    pub id: String,
    /// What it saved, minor units.
    pub saving: i64,
    /// Pieces a flash sale (限时抢购) sold at its price; they count against its cap.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub flash_pieces: i64,
    /// What it is, in Chinese: `满100减20`.
    pub text_zh: String,
    /// The same in English.
    pub text_en: String,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// What the promotions engine took off a basket, as the till attached it
/// ([`Basket::apply_promotions`]). Any change to the basket clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PromoSavings {
    /// Per basket line (same indexes as [`Basket::lines`]), minor units off.
    pub lines: Vec<i64>,
    /// The offers used, in the order they applied.
    pub offers: Vec<OfferUse>,
    /// The member the basket was priced for.
    pub member: Option<String>,
}

/// Why a basket operation was refused. Nothing changes when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasketError {
    /// Zero, negative or absurd quantity.
    #[error("quantity {qty} is not valid for a product sold {unit} (must be 1 to {max})")]
    BadQuantity {
        /// The quantity given.
        qty: i64,
        /// `each` or `kg`.
        unit: &'static str,
        /// The largest allowed.
        max: i64,
    },
    /// No line with that index.
    #[error("there is no line {0}")]
    NoSuchLine(usize),
    /// The line was voided.
    #[error("line {0} is voided")]
    LineVoided(usize),
    /// The actor's role does not allow it.
    #[error("a {role} may not do this ({permission}); a supervisor must authorise it")]
    NotAllowed {
        /// What was attempted.
        permission: &'static str,
        /// The actor's role.
        role: &'static str,
    },
    /// A malformed discount.
    #[error("discount not valid: {0}")]
    BadDiscount(String),
    /// A negative or absurd price.
    #[error("price {0} is not valid")]
    BadPrice(i64),
    /// Promotion savings that do not fit the basket (a bug in the caller).
    #[error("promotion savings do not fit the basket: {0}")]
    BadSavings(String),
    /// The line or basket amount would exceed the largest amount OpenTill accepts.
    #[error("amount too large")]
    TooLarge,
}

/// Totals of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineTotal {
    /// Price times quantity.
    pub gross: i64,
    /// The line's own discount.
    pub line_discount: i64,
    /// What promotions and coupons took off.
    pub promo: i64,
    /// The line's share of the basket discount.
    pub basket_discount: i64,
    /// The tax in (inclusive) or on (exclusive) this line.
    pub tax: i64,
    /// What the customer pays for this line, tax included.
    pub amount: i64,
}

/// Totals of a basket. The line amounts add up to `total` exactly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// One per line, voided lines all zero.
    pub lines: Vec<LineTotal>,
    /// Sum of gross amounts.
    pub subtotal: i64,
    /// Sum of all discounts, promotions included.
    pub discount: i64,
    /// Of which promotions and coupons.
    pub promo: i64,
    /// Sum of line taxes.
    pub tax: i64,
    /// What the customer owes.
    pub total: i64,
    /// Pieces (weighed lines count as one).
    pub n_items: i64,
}

/// A basket. Every method either applies fully or returns an error and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    /// The store's currency.
    pub currency: Currency,
    /// Whether prices include tax.
    pub tax_mode: TaxMode,
    /// Lines in scan order.
    pub lines: Vec<Line>,
    /// A discount on the whole basket and who gave it.
    pub discount: Option<(Discount, String)>,
    /// Promotions and coupons, when the till priced the basket.
    #[serde(default)]
    pub promo: PromoSavings,
}

impl Basket {
    /// An empty basket.
    pub fn new(currency: Currency, tax_mode: TaxMode) -> Basket {
        Basket { currency, tax_mode, lines: Vec::new(), discount: None, promo: PromoSavings::default() }
    }

    /// Adds `qty` of a product (pieces, or grams for a weighed product) and returns the
    /// line index. Scanning the same piece product again adds to its plain line.
    pub fn add(&mut self, product: &Product, qty: i64) -> Result<usize, BasketError> {
        check_qty(product.unit, qty)?;
        if product.price_minor < 0 || product.price_minor > MAX_AMOUNT_MINOR {
            return Err(BasketError::BadPrice(product.price_minor));
        }
        if product.unit == Unit::Each {
            let existing = self.lines.iter().position(|l| {
                !l.voided && l.discount.is_none() && l.price_override.is_none() && l.item.sku == product.sku && l.item.unit_price == product.price_minor
            });
            if let Some(idx) = existing {
                let new_qty = self.lines[idx].qty + qty;
                check_qty(Unit::Each, new_qty)?;
                self.check_amounts(Some(idx), product.price_minor, new_qty, product.unit)?;
                self.lines[idx].qty = new_qty;
                self.promo = PromoSavings::default();
                return Ok(idx);
            }
        }
        self.check_amounts(None, product.price_minor, qty, product.unit)?;
        self.lines.push(Line { item: LineItem::from(product), qty, discount: None, price_override: None, voided: false, label_price: None });
        self.promo = PromoSavings::default();
        Ok(self.lines.len() - 1)
    }

    /// Adds a weighed product from a scale label that printed its price: `grams` (from the
    /// label, or derived from the price) and the label's price, which is what is charged.
    pub fn add_labelled(&mut self, product: &Product, grams: i64, label_price: i64) -> Result<usize, BasketError> {
        check_qty(Unit::Kg, grams)?;
        if !(0..=MAX_AMOUNT_MINOR).contains(&label_price) {
            return Err(BasketError::BadPrice(label_price));
        }
        let others: i64 = self.lines.iter().filter(|l| !l.voided).map(Line::gross).sum();
        if others.saturating_add(label_price) > MAX_AMOUNT_MINOR {
            return Err(BasketError::TooLarge);
        }
        let mut item = LineItem::from(product);
        item.unit = Unit::Kg;
        self.lines.push(Line { item, qty: grams, discount: None, price_override: None, voided: false, label_price: Some(label_price) });
        self.promo = PromoSavings::default();
        Ok(self.lines.len() - 1)
    }

    /// Sets a line's quantity.
    pub fn set_qty(&mut self, line_idx: usize, qty: i64) -> Result<(), BasketError> {
        let line = self.live_line(line_idx)?;
        check_qty(line.item.unit, qty)?;
        self.check_amounts(Some(line_idx), line.unit_price(), qty, line.item.unit)?;
        self.lines[line_idx].qty = qty;
        self.promo = PromoSavings::default();
        Ok(())
    }

    /// Voids a line. It stays on the basket, marked, and counts for nothing.
    pub fn void_line(&mut self, line_idx: usize) -> Result<(), BasketError> {
        self.live_line(line_idx)?;
        self.lines[line_idx].voided = true;
        self.promo = PromoSavings::default();
        Ok(())
    }

    /// Sets a line's price by hand; needs [`Permission::PriceOverride`].
    pub fn override_price(&mut self, line_idx: usize, price: i64, actor: &Actor) -> Result<(), BasketError> {
        require(actor, Permission::PriceOverride, "price override")?;
        let line = self.live_line(line_idx)?;
        if !(0..=MAX_AMOUNT_MINOR).contains(&price) {
            return Err(BasketError::BadPrice(price));
        }
        self.check_amounts(Some(line_idx), price, line.qty, line.item.unit)?;
        self.lines[line_idx].price_override = Some(PriceOverride { price, by: actor.user_id.clone() });
        self.promo = PromoSavings::default();
        Ok(())
    }

    /// Gives a line a discount; needs [`Permission::ManualDiscount`].
    pub fn discount_line(&mut self, line_idx: usize, discount: Discount, actor: &Actor) -> Result<(), BasketError> {
        require(actor, Permission::ManualDiscount, "manual discount")?;
        discount.check()?;
        self.live_line(line_idx)?;
        self.lines[line_idx].discount = Some(discount);
        self.promo = PromoSavings::default();
        Ok(())
    }

    /// Gives the whole basket a discount; needs [`Permission::ManualDiscount`].
    pub fn discount_basket(&mut self, discount: Discount, actor: &Actor) -> Result<(), BasketError> {
        require(actor, Permission::ManualDiscount, "manual discount")?;
        discount.check()?;
        self.discount = Some((discount, actor.user_id.clone()));
        Ok(())
    }

    /// Attaches what the promotions engine took off each line. Refused (and nothing
    /// changes) unless there is one saving per line, each between 0 and what the line
    /// costs, and none on a voided line or one whose price or discount was set by hand.
    pub fn apply_promotions(&mut self, savings: PromoSavings) -> Result<(), BasketError> {
        if savings.lines.len() != self.lines.len() {
            return Err(BasketError::BadSavings(format!("{} savings for {} lines", savings.lines.len(), self.lines.len())));
        }
        for (i, (line, &off)) in self.lines.iter().zip(&savings.lines).enumerate() {
            let manual = line.voided || line.price_override.is_some() || line.discount.is_some();
            if off < 0 || off > line.gross() || (manual && off != 0) {
                return Err(BasketError::BadSavings(format!("line {i}: {off} off")));
            }
        }
        let by_lines: i64 = savings.lines.iter().sum();
        let by_offers: i64 = savings.offers.iter().map(|o| o.saving).sum();
        if by_lines != by_offers {
            return Err(BasketError::BadSavings(format!("lines save {by_lines}, offers {by_offers}")));
        }
        self.promo = savings;
        Ok(())
    }

    /// Lines that are not voided.
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.voided)
    }

    /// Computes every total. Promotions come off each line after its own discount; the
    /// basket discount is shared across lines in proportion to what each line costs after
    /// those, so refunds can be exact per line.
    pub fn totals(&self) -> Totals {
        let mut lines: Vec<LineTotal> = self
            .lines
            .iter()
            .map(|line| {
                if line.voided {
                    return LineTotal::default();
                }
                let gross = line.gross();
                let line_discount = line.discount.map_or(0, |d| d.off(gross));
                LineTotal { gross, line_discount, ..LineTotal::default() }
            })
            .collect();
        for (line, off) in lines.iter_mut().zip(&self.promo.lines) {
            line.promo = (*off).clamp(0, line.gross - line.line_discount);
        }
        let after_line: Vec<i64> = lines.iter().map(|l| l.gross - l.line_discount - l.promo).collect();
        let base: i64 = after_line.iter().sum();
        let basket_off = self.discount.as_ref().map_or(0, |(d, _)| d.off(base));
        for (line, share) in lines.iter_mut().zip(allocate(basket_off, &after_line)) {
            line.basket_discount = share;
        }
        let mut totals = Totals::default();
        for (line, basket_line) in lines.iter_mut().zip(&self.lines) {
            let net = line.gross - line.line_discount - line.promo - line.basket_discount;
            line.tax = tax_on(net, basket_line.item.tax_rate, self.tax_mode);
            line.amount = match self.tax_mode {
                TaxMode::Inclusive => net,
                TaxMode::Exclusive => net + line.tax,
            };
            totals.subtotal += line.gross;
            totals.discount += line.line_discount + line.promo + line.basket_discount;
            totals.promo += line.promo;
            totals.tax += line.tax;
            totals.total += line.amount;
            if !basket_line.voided {
                totals.n_items += match basket_line.item.unit {
                    Unit::Each => basket_line.qty,
                    Unit::Kg => 1,
                };
            }
        }
        totals.lines = lines;
        totals
    }

    fn live_line(&self, line_idx: usize) -> Result<&Line, BasketError> {
        let line = self.lines.get(line_idx).ok_or(BasketError::NoSuchLine(line_idx))?;
        if line.voided {
            return Err(BasketError::LineVoided(line_idx));
        }
        Ok(line)
    }

    /// Checks that line `line_idx` (or a new line) at `price` times `qty` keeps the line
    /// and the basket within [`MAX_AMOUNT_MINOR`].
    fn check_amounts(&self, line_idx: Option<usize>, price: i64, qty: i64, unit: Unit) -> Result<(), BasketError> {
        let gross = |price: i64, qty: i64, unit: Unit| {
            let raw = i128::from(price) * i128::from(qty);
            if unit == Unit::Kg { div_round(raw, 1000, RoundingMode::HalfUp) } else { raw }
        };
        let candidate = gross(price, qty, unit);
        let others: i128 = self
            .lines
            .iter()
            .enumerate()
            .filter(|(i, l)| !l.voided && Some(*i) != line_idx)
            .map(|(_, l)| i128::from(l.label_price.filter(|_| l.price_override.is_none()).unwrap_or_else(|| gross(l.unit_price(), l.qty, l.item.unit) as i64)))
            .sum();
        if candidate > i128::from(MAX_AMOUNT_MINOR) || others + candidate > i128::from(MAX_AMOUNT_MINOR) {
            return Err(BasketError::TooLarge);
        }
        Ok(())
    }
}

fn check_qty(unit: Unit, qty: i64) -> Result<(), BasketError> {
    let max = match unit {
        Unit::Each => MAX_EACH_QTY,
        Unit::Kg => MAX_GRAMS,
    };
    if qty < 1 || qty > max {
        return Err(BasketError::BadQuantity { qty, unit: unit.name(), max });
    }
    Ok(())
}

fn require(actor: &Actor, permission: Permission, what: &'static str) -> Result<(), BasketError> {
    if actor.role.allows(permission) {
        Ok(())
    } else {
        Err(BasketError::NotAllowed { permission: what, role: actor.role.name() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;
    use proptest::prelude::*;

    pub(crate) fn product(sku: &str, price: i64, unit: Unit, tax_bp: u32) -> Product {
        Product {
            sku: sku.into(),
            barcodes: vec![],
            name: format!("Item {sku}"),
            name_zh: String::new(),
            category: "grocery".into(),
            tags: vec![],
            unit,
            price_minor: price,
            tax_rate: TaxRate(tax_bp),
            parent_sku: None,
            specs: vec![],
        }
    }

    fn supervisor() -> Actor {
        Actor { user_id: "s1".into(), role: Role::Supervisor }
    }

    #[test]
    fn prices_pieces_and_weights() {
        let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        basket.add(&product("A", 350, Unit::Each, 1300), 2).unwrap();
        // 1.234 kg at 12.98/kg = 16.01732 -> 16.02
        basket.add(&product("B", 1298, Unit::Kg, 900), 1234).unwrap();
        basket.add(&product("A", 350, Unit::Each, 1300), 1).unwrap();
        let totals = basket.totals();
        assert_eq!(basket.lines.len(), 2, "a repeated scan adds to the same line");
        assert_eq!(totals.lines[0].gross, 1050);
        assert_eq!(totals.lines[1].gross, 1602);
        assert_eq!(totals.total, 2652);
        assert_eq!(totals.n_items, 4);
        assert_eq!(totals.tax, tax_on(1050, TaxRate(1300), TaxMode::Inclusive) + tax_on(1602, TaxRate(900), TaxMode::Inclusive));
    }

    #[test]
    fn exclusive_tax_is_added() {
        let mut basket = Basket::new(Currency::CNY, TaxMode::Exclusive);
        basket.add(&product("A", 10_000, Unit::Each, 1300), 1).unwrap();
        let totals = basket.totals();
        assert_eq!((totals.subtotal, totals.tax, totals.total), (10_000, 1300, 11_300));
    }

    #[test]
    fn discounts_and_overrides_need_a_role() {
        let cashier = Actor { user_id: "c1".into(), role: Role::Cashier };
        let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        basket.add(&product("A", 1000, Unit::Each, 0), 1).unwrap();
        basket.add(&product("B", 3000, Unit::Each, 0), 1).unwrap();
        let before = basket.clone();
        assert!(matches!(basket.override_price(0, 500, &cashier), Err(BasketError::NotAllowed { .. })));
        assert!(matches!(basket.discount_basket(Discount::Percent(1000), &cashier), Err(BasketError::NotAllowed { .. })));
        assert_eq!(basket, before, "a refused operation changes nothing");

        basket.override_price(0, 800, &supervisor()).unwrap();
        basket.discount_line(1, Discount::Amount(500), &supervisor()).unwrap();
        basket.discount_basket(Discount::Percent(1000), &supervisor()).unwrap();
        let totals = basket.totals();
        // 8.00 + 25.00 = 33.00, 10 % off = 3.30 shared 80:250.
        assert_eq!(totals.total, 2970);
        assert_eq!(totals.lines[0].basket_discount + totals.lines[1].basket_discount, 330);
        assert_eq!(totals.lines[0].basket_discount, 80);
        assert!(basket.discount_line(0, Discount::Percent(10_001), &supervisor()).is_err());
        assert!(basket.discount_line(0, Discount::Amount(-1), &supervisor()).is_err());
    }

    #[test]
    fn bad_quantities_and_voids() {
        let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        let a = product("A", 100, Unit::Each, 0);
        for qty in [0, -1, MAX_EACH_QTY + 1] {
            assert!(matches!(basket.add(&a, qty), Err(BasketError::BadQuantity { .. })), "{qty}");
        }
        assert!(basket.is_empty());
        basket.add(&a, 2).unwrap();
        basket.void_line(0).unwrap();
        assert_eq!(basket.void_line(0), Err(BasketError::LineVoided(0)));
        assert_eq!(basket.set_qty(5, 1), Err(BasketError::NoSuchLine(5)));
        assert_eq!(basket.totals().total, 0);
        assert!(basket.is_empty());
        let huge = product("H", MAX_AMOUNT_MINOR, Unit::Each, 0);
        basket.add(&huge, 1).unwrap();
        assert_eq!(basket.add(&huge, 1), Err(BasketError::TooLarge));
    }

    fn arb_basket() -> impl Strategy<Value = Basket> {
        let line = (1i64..200_000, prop::bool::ANY, 1i64..50, 0u32..2000, prop::option::of(0u32..10_000));
        (prop::collection::vec(line, 1..10), prop::option::of(0u32..10_000), prop::bool::ANY).prop_map(|(lines, basket_pct, inclusive)| {
            let mode = if inclusive { TaxMode::Inclusive } else { TaxMode::Exclusive };
            let mut basket = Basket::new(Currency::CNY, mode);
            for (idx, (price, weighed, qty, tax, pct)) in lines.into_iter().enumerate() {
                let unit = if weighed { Unit::Kg } else { Unit::Each };
                let qty = if weighed { qty * 37 } else { qty };
                let line = basket.add(&product(&format!("P{idx}"), price, unit, tax), qty).unwrap();
                if let Some(pct) = pct {
                    basket.discount_line(line, Discount::Percent(pct), &supervisor()).unwrap();
                }
            }
            if let Some(pct) = basket_pct {
                basket.discount_basket(Discount::Percent(pct), &supervisor()).unwrap();
            }
            basket
        })
    }

    proptest! {
        #[test]
        fn line_totals_sum_to_basket_total(basket in arb_basket()) {
            let totals = basket.totals();
            prop_assert_eq!(totals.lines.iter().map(|l| l.amount).sum::<i64>(), totals.total);
            prop_assert_eq!(totals.lines.iter().map(|l| l.tax).sum::<i64>(), totals.tax);
            prop_assert_eq!(totals.subtotal - totals.discount + if basket.tax_mode == TaxMode::Exclusive { totals.tax } else { 0 }, totals.total);
            for line in &totals.lines {
                prop_assert!(line.amount >= 0);
                prop_assert!(line.line_discount + line.basket_discount <= line.gross);
            }
        }
    }
}
