//! The one place where OpenTill rounds.
//!
//! **Architecture Invariant:** every division of money (tax, percentage discounts,
//! weighed prices, proportional allocation, cash rounding) goes through [`div_round`] or
//! [`allocate`]. Nothing else in the code base divides an amount.

use serde::{Deserialize, Serialize};

/// How a quotient is rounded to an integer number of minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoundingMode {
    /// Half away from zero: 0.5 fen becomes 1 fen, -0.5 becomes -1. The commercial rule.
    HalfUp,
    /// Toward zero: the customer keeps the fraction (抹零).
    Down,
}

/// Divides `numerator` by `denominator` (which must be positive) and rounds the result.
///
/// # Panics
/// If `denominator` is not positive, which is always a programming error.
pub fn div_round(numerator: i128, denominator: i128, mode: RoundingMode) -> i128 {
    assert!(denominator > 0, "div_round: denominator must be positive");
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    match mode {
        RoundingMode::Down => quotient,
        RoundingMode::HalfUp => {
            if remainder.abs() * 2 >= denominator {
                quotient + numerator.signum()
            } else {
                quotient
            }
        }
    }
}

/// Splits `total` across `weights` in proportion, so that the parts add up to `total`
/// exactly (largest remainder method; ties go to the earlier weight). Zero weights get
/// zero. If every weight is zero, the whole amount goes to the first entry.
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let mut parts = Vec::with_capacity(weights.len());
    allocate_into(total, weights, &mut parts, &mut Vec::new());
    parts
}

/// [`allocate`] into `parts`, with `scratch` as working space, for callers that split many
/// amounts and keep their buffers.
pub fn allocate_into(total: i64, weights: &[i64], parts: &mut Vec<i64>, scratch: &mut Vec<(i128, usize)>) {
    parts.clear();
    if weights.is_empty() {
        return;
    }
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 {
        parts.resize(weights.len(), 0);
        parts[0] = total;
        return;
    }
    let total_wide = i128::from(total);
    let remainders = scratch;
    remainders.clear();
    for (idx, w) in weights.iter().enumerate() {
        let product = total_wide * i128::from((*w).max(0));
        parts.push((product / sum) as i64);
        remainders.push(((product % sum).abs(), idx));
    }
    let assigned: i64 = parts.iter().sum();
    let mut left = total - assigned;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let step = left.signum();
    for (_, idx) in remainders.iter().filter(|(_, idx)| weights[*idx] > 0).cycle() {
        if left == 0 {
            break;
        }
        parts[*idx] += step;
        left -= step;
    }
}

/// 抹零: how a cash amount due is rounded at the till.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CashRounding {
    /// No rounding: the customer pays to the fen.
    #[default]
    None,
    /// Round to 0.1 yuan (1 jiao).
    ToJiao(RoundingMode),
    /// Round to 1 yuan.
    ToYuan(RoundingMode),
}

impl CashRounding {
    /// The amount actually asked for when `due` is paid in cash.
    pub fn apply(self, due: i64) -> i64 {
        let step = match self {
            CashRounding::None => return due,
            CashRounding::ToJiao(_) => 10,
            CashRounding::ToYuan(_) => 100,
        };
        let mode = match self {
            CashRounding::ToJiao(m) | CashRounding::ToYuan(m) => m,
            CashRounding::None => RoundingMode::HalfUp,
        };
        (div_round(i128::from(due), step, mode) * step) as i64
    }

    /// Parses `none`, `jiao`, `yuan`, `jiao-half-up`, `yuan-half-up`.
    pub fn parse(text: &str) -> Option<CashRounding> {
        Some(match text {
            "none" => CashRounding::None,
            "jiao" | "jiao-down" => CashRounding::ToJiao(RoundingMode::Down),
            "yuan" | "yuan-down" => CashRounding::ToYuan(RoundingMode::Down),
            "jiao-half-up" => CashRounding::ToJiao(RoundingMode::HalfUp),
            "yuan-half-up" => CashRounding::ToYuan(RoundingMode::HalfUp),
            _ => return None,
        })
    }

    /// The name [`CashRounding::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            CashRounding::None => "none",
            CashRounding::ToJiao(RoundingMode::Down) => "jiao",
            CashRounding::ToYuan(RoundingMode::Down) => "yuan",
            CashRounding::ToJiao(RoundingMode::HalfUp) => "jiao-half-up",
            CashRounding::ToYuan(RoundingMode::HalfUp) => "yuan-half-up",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounds_half_away_from_zero() {
        let cases = [(5, 10, 1), (4, 10, 0), (15, 10, 2), (-5, 10, -1), (-4, 10, 0), (0, 7, 0), (1234, 100, 12), (1250, 100, 13)];
        for (n, d, want) in cases {
            assert_eq!(div_round(n, d, RoundingMode::HalfUp), want, "{n}/{d}");
        }
        assert_eq!(div_round(19, 10, RoundingMode::Down), 1);
        assert_eq!(div_round(-19, 10, RoundingMode::Down), -1);
    }

    #[test]
    fn cash_rounding_erases_small_change() {
        let cases = [
            (CashRounding::None, 1237, 1237),
            (CashRounding::ToJiao(RoundingMode::Down), 1237, 1230),
            (CashRounding::ToYuan(RoundingMode::Down), 1287, 1200),
            (CashRounding::ToJiao(RoundingMode::HalfUp), 1235, 1240),
            (CashRounding::ToYuan(RoundingMode::HalfUp), 1249, 1200),
            (CashRounding::ToYuan(RoundingMode::HalfUp), 1250, 1300),
            (CashRounding::ToYuan(RoundingMode::Down), 50, 0),
        ];
        for (rule, due, want) in cases {
            assert_eq!(rule.apply(due), want, "{rule:?} {due}");
        }
        for name in ["none", "jiao", "yuan", "jiao-half-up", "yuan-half-up"] {
            assert_eq!(CashRounding::parse(name).unwrap().name(), name);
        }
    }

    #[test]
    fn allocation_examples() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert_eq!(allocate(10, &[0, 0]), vec![10, 0]);
        assert_eq!(allocate(7, &[300, 0, 100]), vec![5, 0, 2]);
    }

    proptest! {
        #[test]
        fn allocation_adds_up_and_is_proportional(total in -1_000_000i64..1_000_000, weights in proptest::collection::vec(0i64..100_000, 1..12)) {
            let parts = allocate(total, &weights);
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let sum: i64 = weights.iter().sum();
            if sum > 0 {
                for (part, w) in parts.iter().zip(&weights) {
                    let exact = total as f64 * *w as f64 / sum as f64;
                    prop_assert!((*part as f64 - exact).abs() < 1.0 + 1e-9, "{} vs {}", part, exact);
                }
            }
        }

        #[test]
        fn rounding_is_stable(n in -10_000_000i128..10_000_000, d in 1i128..10_000) {
            let once = div_round(n, d, RoundingMode::HalfUp);
            // Rounding an already whole amount changes nothing, and the error is at most half a unit.
            prop_assert_eq!(div_round(once * d, d, RoundingMode::HalfUp), once);
            prop_assert!((once * d - n).abs() * 2 <= d);
        }
    }
}
