//! Money as integer minor units.
//!
//! **Architecture Invariant:** no amount anywhere in OpenTill is a float. Parsing a
//! shelf price such as `12.50` goes straight from text to minor units.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A currency: its ISO 4217 code and how many minor digits it has (CNY: 2, JPY: 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Currency {
    code: [u8; 3],
    /// Number of minor digits; 2 for yuan and fen.
    pub exponent: u8,
}

impl Currency {
    /// Chinese yuan, the default.
    pub const CNY: Currency = Currency { code: *b"CNY", exponent: 2 };

    /// Builds a currency from an ISO code such as `EUR` and its exponent (0 to 4).
    pub fn new(code: &str, exponent: u8) -> Result<Currency, MoneyError> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) || exponent > 4 {
            return Err(MoneyError::BadCurrency(code.to_string()));
        }
        Ok(Currency { code: [bytes[0], bytes[1], bytes[2]], exponent })
    }

    /// The ISO code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// The symbol printed before amounts.
    pub fn symbol(&self) -> &str {
        match self.code() {
            "CNY" | "JPY" => "¥",
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "HKD" => "HK$",
            _ => self.code(),
        }
    }

    /// Minor units in one major unit (100 for CNY).
    pub fn scale(&self) -> i64 {
        10i64.pow(u32::from(self.exponent))
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::CNY
    }
}

/// The largest amount OpenTill accepts anywhere: 10^13 minor units (100 billion yuan).
/// Anything larger is a typo or an attack, and keeping sums far from `i64::MAX` means
/// a basket of such amounts can never overflow.
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;

/// Errors from parsing or checking amounts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a number like `12.50`.
    #[error("`{0}` is not an amount (expected digits with an optional decimal point, like 12.50)")]
    NotANumber(String),
    /// More decimals than the currency has.
    #[error("`{text}` has more than {exponent} decimal places")]
    TooManyDecimals {
        /// The text given.
        text: String,
        /// The currency's exponent.
        exponent: u8,
    },
    /// Larger than [`MAX_AMOUNT_MINOR`].
    #[error("`{0}` is too large")]
    TooLarge(String),
    /// A negative amount where only positive ones make sense.
    #[error("`{0}` is negative")]
    Negative(String),
    /// An unknown or malformed currency code.
    #[error("`{0}` is not a currency code (three capital letters, e.g. CNY)")]
    BadCurrency(String),
}

/// Parses a non-negative decimal amount written in major units (`12.5`, `12.50`, `3`)
/// into minor units, exactly. Rejects signs, exponents, thousands separators and excess
/// decimals rather than guessing.
pub fn parse_minor(text: &str, currency: Currency) -> Result<i64, MoneyError> {
    let trimmed = text.trim();
    let (int_part, frac_part) = match trimmed.split_once('.') {
        Some((i, f)) => (i, f),
        None => (trimmed, ""),
    };
    if trimmed.starts_with('-') {
        return Err(MoneyError::Negative(text.to_string()));
    }
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !digits_ok(int_part)
        || !digits_ok(frac_part)
        || (trimmed.contains('.') && frac_part.is_empty() && int_part.is_empty())
    {
        return Err(MoneyError::NotANumber(text.to_string()));
    }
    if frac_part.len() > usize::from(currency.exponent) {
        return Err(MoneyError::TooManyDecimals { text: text.to_string(), exponent: currency.exponent });
    }
    let int_digits = int_part.trim_start_matches('0');
    if int_digits.len() > 15 {
        return Err(MoneyError::TooLarge(text.to_string()));
    }
    let int_value: i64 = if int_digits.is_empty() { 0 } else { int_digits.parse().map_err(|_| MoneyError::TooLarge(text.to_string()))? };
    let mut frac_value: i64 = if frac_part.is_empty() { 0 } else { frac_part.parse().map_err(|_| MoneyError::NotANumber(text.to_string()))? };
    for _ in frac_part.len()..usize::from(currency.exponent) {
        frac_value *= 10;
    }
    let minor = int_value
        .checked_mul(currency.scale())
        .and_then(|v| v.checked_add(frac_value))
        .ok_or_else(|| MoneyError::TooLarge(text.to_string()))?;
    if minor > MAX_AMOUNT_MINOR {
        return Err(MoneyError::TooLarge(text.to_string()));
    }
    Ok(minor)
}

/// An amount in a currency, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// Minor units (fen for CNY).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount of `minor` units.
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// The amount without a symbol: `12.50`, `-0.05`.
    pub fn plain(&self) -> String {
        let scale = self.currency.scale();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if self.currency.exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = scale as u64;
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = usize::from(self.currency.exponent))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minor < 0 {
            write!(f, "-{}{}", self.currency.symbol(), Money::new(-self.minor, self.currency).plain())
        } else {
            write!(f, "{}{}", self.currency.symbol(), self.plain())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shelf_prices_exactly() {
        let cases: &[(&str, Result<i64, &str>)] = &[
            ("12.50", Ok(1250)),
            ("12.5", Ok(1250)),
            ("12", Ok(1200)),
            ("0.01", Ok(1)),
            (".5", Ok(50)),
            ("007.10", Ok(710)),
            (" 3.00 ", Ok(300)),
            ("100000000000", Ok(10_000_000_000_000)),
            ("100000000000.01", Err("too large")),
            ("99999999999999999999", Err("too large")),
            ("12.505", Err("decimal places")),
            ("-1", Err("negative")),
            ("1e3", Err("not an amount")),
            ("1,000", Err("not an amount")),
            ("", Err("not an amount")),
            (".", Err("not an amount")),
            ("abc", Err("not an amount")),
            ("12.50元", Err("not an amount")),
        ];
        for (text, expected) in cases {
            let got = parse_minor(text, Currency::CNY);
            match (expected, &got) {
                (Ok(v), Ok(g)) => assert_eq!(v, g, "{text}"),
                (Err(msg), Err(e)) => assert!(e.to_string().contains(msg), "{text}: {e}"),
                _ => panic!("{text}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn formats_amounts() {
        assert_eq!(Money::new(1250, Currency::CNY).to_string(), "¥12.50");
        assert_eq!(Money::new(-5, Currency::CNY).to_string(), "-¥0.05");
        assert_eq!(Money::new(0, Currency::CNY).plain(), "0.00");
        let jpy = Currency::new("JPY", 0).unwrap();
        assert_eq!(Money::new(1200, jpy).to_string(), "¥1200");
        assert!(Currency::new("eur", 2).is_err());
    }
}
