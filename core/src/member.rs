//! Members (会员): tiers by spend, points, birthdays and referrals. Pure: the caller folds
//! a member's spend and points from the journal and passes the moment in.
//!
//! - **Tiers** (普通 / 银卡 / 金卡 by default): a member is in the highest tier whose
//!   `min_spend` their lifetime spend (sales minus refunds, what they paid) reaches. Tiers
//!   only go up as spend grows; a refund can take a member back down.
//! - **Points**: `points_per_yuan` per whole yuan paid with money (not with points),
//!   times the tier's multiplier, doubled (by default) on the member's birthday, rounded
//!   down. A point is worth one fen when redeemed as payment ([`POINT_VALUE_MINOR`]);
//!   redeeming never takes a balance below zero.
//! - **Referrals**: every member has a referral code; a member who registers with one
//!   earns the referrer `referral_points`.

use serde::{Deserialize, Serialize};

use crate::rounding::{RoundingMode, div_round};

/// What one point is worth when it pays for a sale: one fen (100 points = ¥1).
pub const POINT_VALUE_MINOR: i64 = 1;

/// One membership tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRule {
    /// Id, as member prices name it (`normal`, `silver`, `gold`).
    pub id: String,
    /// Chinese name (`金卡`).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Lifetime spend that reaches it, minor units.
    pub min_spend: i64,
    /// Points multiplier in basis points (10,000 = ×1).
    pub points_bp: u32,
}

/// The store's membership rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberProgram {
    /// Tiers, lowest first; the first starts at 0.
    pub tiers: Vec<TierRule>,
    /// Points per whole yuan paid.
    pub points_per_yuan: i64,
    /// Points multiplier on the member's birthday, basis points (20,000 = ×2).
    pub birthday_points_bp: u32,
    /// Points the referrer earns when someone registers with their code.
    pub referral_points: i64,
}

impl Default for MemberProgram {
    fn default() -> Self {
        let tier = |id: &str, zh: &str, en: &str, min_spend: i64, points_bp: u32| TierRule { id: id.into(), name_zh: zh.into(), name_en: en.into(), min_spend, points_bp };
        MemberProgram {
            tiers: vec![tier("normal", "普通会员", "Member", 0, 10_000), tier("silver", "银卡", "Silver", 200_000, 12_000), tier("gold", "金卡", "Gold", 1_000_000, 15_000)],
            points_per_yuan: 1,
            birthday_points_bp: 20_000,
            referral_points: 100,
        }
    }
}

/// Why a member operation or a program was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemberError {
    /// Not a mainland mobile number.
    #[error("`{0}` is not a mobile number (11 digits starting with 1, optionally +86)")]
    BadPhone(String),
    /// Not a month and day.
    #[error("birthday `{0}` must be a real month and day written MM-DD")]
    BadBirthday(String),
    /// An empty or overlong name.
    #[error("a member's name must be 1 to 40 characters")]
    BadName,
    /// The program's rules do not hold together.
    #[error("member program: {0}")]
    BadProgram(String),
}

impl MemberProgram {
    /// Checks the rules: at least one tier, the first at 0, spends strictly increasing,
    /// unique ids, multipliers from ×0.01 to ×100, non-negative points.
    pub fn check(&self) -> Result<(), MemberError> {
        let bad = |why: String| Err(MemberError::BadProgram(why));
        let Some(first) = self.tiers.first() else { return bad("there must be at least one tier".into()) };
        if first.min_spend != 0 {
            return bad(format!("the first tier ({}) must start at 0", first.id));
        }
        for (i, tier) in self.tiers.iter().enumerate() {
            if tier.id.is_empty() || tier.id.len() > 32 {
                return bad("tier ids are 1 to 32 characters".into());
            }
            if self.tiers[..i].iter().any(|t| t.id == tier.id) {
                return bad(format!("tier {} appears twice", tier.id));
            }
            if i > 0 && tier.min_spend <= self.tiers[i - 1].min_spend {
                return bad(format!("tier {} must need more spend than {}", tier.id, self.tiers[i - 1].id));
            }
            if !(100..=1_000_000).contains(&tier.points_bp) {
                return bad(format!("tier {}: points multiplier {} bp is not between 100 and 1,000,000", tier.id, tier.points_bp));
            }
        }
        if !(0..=1_000).contains(&self.points_per_yuan) || self.referral_points < 0 || self.referral_points > 1_000_000 {
            return bad("points per yuan must be 0 to 1,000 and referral points 0 to 1,000,000".into());
        }
        if !(10_000..=1_000_000).contains(&self.birthday_points_bp) {
            return bad("the birthday multiplier must be between ×1 and ×100".into());
        }
        Ok(())
    }

    /// The tier a lifetime spend reaches.
    pub fn tier_for(&self, spend: i64) -> &TierRule {
        self.tiers.iter().rev().find(|t| spend >= t.min_spend).unwrap_or(&self.tiers[0])
    }

    /// Points earned on `paid` minor units paid with money, at a spend of `spend` before
    /// the sale, on the member's birthday or not. Never negative.
    pub fn points_for(&self, paid: i64, spend: i64, birthday: bool) -> i64 {
        if paid <= 0 {
            return 0;
        }
        let yuan = i128::from(paid / 100);
        let mut bp = i128::from(self.tier_for(spend).points_bp);
        if birthday {
            bp = bp * i128::from(self.birthday_points_bp) / 10_000;
        }
        div_round(yuan * i128::from(self.points_per_yuan) * bp, 10_000, RoundingMode::Down) as i64
    }
}

/// A mainland mobile number as stored: 11 digits starting with 1 (`+86`, spaces and
/// dashes dropped).
pub fn parse_phone(text: &str) -> Result<String, MemberError> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
    if digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits.to_string())
    } else {
        Err(MemberError::BadPhone(text.to_string()))
    }
}

/// A birthday as stored, `MM-DD` (29 February allowed).
pub fn parse_birthday(text: &str) -> Result<String, MemberError> {
    let bad = || MemberError::BadBirthday(text.to_string());
    let (m, d) = text.trim().split_once('-').ok_or_else(bad)?;
    let (m, d): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    let days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if m == 0 || m > 12 || d == 0 || d > days[m as usize - 1] {
        return Err(bad());
    }
    Ok(format!("{m:02}-{d:02}"))
}

/// Whether a local date (`YYYY-MM-DD`) is the birthday (`MM-DD`). A 29 February birthday
/// is kept on 28 February in other years.
pub fn is_birthday(birthday: &str, local_date: &str) -> bool {
    let Some(month_day) = local_date.get(5..10) else { return false };
    if birthday == month_day {
        return true;
    }
    let leap = local_date.get(..4).and_then(|y| y.parse::<i32>().ok()).is_some_and(|y| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
    birthday == "02-29" && month_day == "02-28" && !leap
}

/// A name as stored: trimmed, 1 to 40 characters, no control characters.
pub fn check_name(name: &str) -> Result<String, MemberError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
        return Err(MemberError::BadName);
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_lifetime_spend() {
        let program = MemberProgram::default();
        for (spend, tier) in [(0, "normal"), (199_999, "normal"), (200_000, "silver"), (999_999, "silver"), (1_000_000, "gold"), (-500, "normal")] {
            assert_eq!(program.tier_for(spend).id, tier, "spend {spend}");
        }
    }

    #[test]
    fn points_by_yuan_tier_and_birthday() {
        let program = MemberProgram::default();
        // (paid, spend before, birthday) → points
        let cases = [
            (9_999, 0, false, 99),      // 99 whole yuan, ×1
            (99, 0, false, 0),          // under a yuan
            (10_000, 200_000, false, 120), // silver ×1.2
            (10_050, 1_000_000, false, 150), // gold ×1.5, the 0.50 does not count
            (10_000, 1_000_000, true, 300),  // gold on the birthday: ×3
            (333, 200_000, false, 3),   // 3 × 1.2 = 3.6, rounded down
            (0, 0, true, 0),
            (-100, 0, false, 0),
        ];
        for (paid, spend, birthday, points) in cases {
            assert_eq!(program.points_for(paid, spend, birthday), points, "{paid} at {spend}, birthday {birthday}");
        }
    }

    #[test]
    fn phones_birthdays_and_names() {
        assert_eq!(parse_phone("+86 138-0013-8000").unwrap(), "13800138000");
        assert_eq!(parse_phone("13800138000").unwrap(), "13800138000");
        for bad in ["1380013800", "23800138000", "1380013800a", "", "+1 138 0013 8000"] {
            assert!(parse_phone(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_birthday("2-9").unwrap(), "02-09");
        assert_eq!(parse_birthday("02-29").unwrap(), "02-29");
        for bad in ["02-30", "13-01", "00-10", "1990-02-09", "x"] {
            assert!(parse_birthday(bad).is_err(), "{bad}");
        }
        assert!(is_birthday("11-23", "2026-11-23"));
        assert!(!is_birthday("11-23", "2026-11-22"));
        assert!(is_birthday("02-29", "2026-02-28"), "kept on the 28th in other years");
        assert!(!is_birthday("02-29", "2028-02-28"), "a leap year has the 29th");
        assert!(check_name("  王芳 ").is_ok());
        assert!(check_name(" ").is_err());
        assert!(check_name(&"长".repeat(41)).is_err());
    }

    #[test]
    fn bad_programs_are_refused_with_the_reason() {
        let base = MemberProgram::default();
        let mut starts_high = base.clone();
        starts_high.tiers[0].min_spend = 100;
        let mut not_increasing = base.clone();
        not_increasing.tiers[2].min_spend = 200_000;
        let mut twice = base.clone();
        twice.tiers[1].id = "normal".into();
        let mut zero_points = base.clone();
        zero_points.tiers[1].points_bp = 0;
        let mut no_tiers = base.clone();
        no_tiers.tiers.clear();
        for (program, why) in [(starts_high, "start at 0"), (not_increasing, "more spend"), (twice, "twice"), (zero_points, "multiplier"), (no_tiers, "at least one")] {
            let err = program.check().unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
        assert!(base.check().is_ok());
    }
}
