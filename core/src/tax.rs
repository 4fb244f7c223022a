//! Tax: rates in basis points, prices that include tax or not.

use serde::{Deserialize, Serialize};

use crate::rounding::{RoundingMode, div_round};

/// A tax rate in basis points: 1300 is 13 %, 600 is 6 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct TaxRate(pub u32);

impl TaxRate {
    /// The highest rate accepted (100 %).
    pub const MAX: TaxRate = TaxRate(10_000);

    /// Parses a percentage as written in a catalog: `13`, `13%`, `6.5`, `0`.
    pub fn parse_percent(text: &str) -> Option<TaxRate> {
        let text = text.trim().trim_end_matches('%').trim();
        let minor = crate::money::parse_minor(text, crate::money::Currency::CNY).ok()?;
        let rate = u32::try_from(minor).ok()?;
        (rate <= Self::MAX.0).then_some(TaxRate(rate))
    }

    /// The rate as a percentage string: `13%`, `6.5%`.
    pub fn percent(&self) -> String {
        let whole = self.0 / 100;
        let frac = self.0 % 100;
        if frac == 0 {
            format!("{whole}%")
        } else if frac.is_multiple_of(10) {
            format!("{whole}.{}%", frac / 10)
        } else {
            format!("{whole}.{frac:02}%")
        }
    }
}

/// Whether shelf prices include tax (usual in China and Europe) or have it added at the till.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TaxMode {
    /// Prices include tax; the tax is the part of the price computed backwards.
    #[default]
    Inclusive,
    /// Prices exclude tax; tax is added on top.
    Exclusive,
}

/// The tax on `amount` at `rate`. With [`TaxMode::Inclusive`] `amount` already contains
/// the tax and this returns the part of it that is tax; with [`TaxMode::Exclusive`] it
/// returns what is added on top. Rounded half up, per line.
pub fn tax_on(amount: i64, rate: TaxRate, mode: TaxMode) -> i64 {
    let amount = i128::from(amount);
    let rate = i128::from(rate.0);
    let tax = match mode {
        TaxMode::Inclusive => div_round(amount * rate, 10_000 + rate, RoundingMode::HalfUp),
        TaxMode::Exclusive => div_round(amount * rate, 10_000, RoundingMode::HalfUp),
    };
    tax as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_examples() {
        // 113.00 including 13 % VAT holds exactly 13.00 of tax.
        assert_eq!(tax_on(11_300, TaxRate(1300), TaxMode::Inclusive), 1300);
        assert_eq!(tax_on(10_000, TaxRate(1300), TaxMode::Exclusive), 1300);
        // 3.50 at 13 % inclusive: 350 * 13 / 113 = 40.27 -> 40.
        assert_eq!(tax_on(350, TaxRate(1300), TaxMode::Inclusive), 40);
        // 0.99 at 6 % exclusive: 5.94 -> 6.
        assert_eq!(tax_on(99, TaxRate(600), TaxMode::Exclusive), 6);
        assert_eq!(tax_on(-11_300, TaxRate(1300), TaxMode::Inclusive), -1300);
        assert_eq!(tax_on(500, TaxRate(0), TaxMode::Inclusive), 0);
    }

    #[test]
    fn parses_percentages() {
        assert_eq!(TaxRate::parse_percent("13"), Some(TaxRate(1300)));
        assert_eq!(TaxRate::parse_percent("6.5%"), Some(TaxRate(650)));
        assert_eq!(TaxRate::parse_percent("0"), Some(TaxRate(0)));
        assert_eq!(TaxRate::parse_percent("101"), None);
        assert_eq!(TaxRate::parse_percent("-1"), None);
        assert_eq!(TaxRate::parse_percent("abc"), None);
        assert_eq!(TaxRate(650).percent(), "6.5%");
        assert_eq!(TaxRate(1300).percent(), "13%");
        assert_eq!(TaxRate(1325).percent(), "13.25%");
    }
}
