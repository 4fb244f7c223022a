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
//! - **Rewards** (积分兑换): products a member can take for points (`rewards`, a number
//!   of points a piece). [`plan_redemption`] checks a redemption against the program and
//!   the member's balance; the journal records it as `Fact::PointsRedeemed`, which takes
//!   the points and the goods (from the floor).

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

/// A product a member can take for points (积分兑换).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    /// The product.
    pub sku: String,
    /// Points a piece.
    pub points: i64,
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
    /// Products members can take for points; programs stored before rewards existed read
    /// as none.
    #[serde(default)]
    pub rewards: Vec<Reward>,
}

impl Default for MemberProgram {
    fn default() -> Self {
        let tier = |id: &str, zh: &str, en: &str, min_spend: i64, points_bp: u32| TierRule { id: id.into(), name_zh: zh.into(), name_en: en.into(), min_spend, points_bp };
        MemberProgram {
            tiers: vec![tier("normal", "普通会员", "Member", 0, 10_000), tier("silver", "银卡", "Silver", 200_000, 12_000), tier("gold", "金卡", "Gold", 1_000_000, 15_000)],
            points_per_yuan: 1,
            birthday_points_bp: 20_000,
            referral_points: 100,
            rewards: Vec::new(),
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
        for (i, reward) in self.rewards.iter().enumerate() {
            if reward.sku.trim().is_empty() || reward.sku.len() > 64 {
                return bad("a reward's SKU is 1 to 64 characters".into());
            }
            if self.rewards[..i].iter().any(|r| r.sku == reward.sku) {
                return bad(format!("reward {} appears twice", reward.sku));
            }
            if !(1..=MAX_REWARD_POINTS).contains(&reward.points) {
                return bad(format!("reward {}: {} points is not between 1 and 10,000,000", reward.sku, reward.points));
            }
        }
        Ok(())
    }

    /// The tier a lifetime spend reaches.
    pub fn tier_for(&self, spend: i64) -> &TierRule {
        self.tiers.iter().rev().find(|t| spend >= t.min_spend).unwrap_or(&self.tiers[0])
    }

    /// The reward for a SKU, if members can take it for points.
    pub fn reward(&self, sku: &str) -> Option<&Reward> {
        self.rewards.iter().find(|r| r.sku == sku)
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

/// The most points one reward may cost a piece.
pub const MAX_REWARD_POINTS: i64 = 10_000_000;

/// The most pieces of one reward a redemption may take.
pub const MAX_REDEEM_QTY: i64 = 1_000;

/// One line of a redemption as journaled: pieces of a reward and the points they took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemedLine {
    /// The product.
    pub sku: String,
    /// Pieces.
    pub qty: i64,
    /// Points the line took: pieces × the reward's points.
    pub points: i64,
}

/// Why a redemption was refused. Nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    /// No lines.
    #[error("nothing to redeem: name at least one reward")]
    Empty,
    /// A SKU the program does not offer for points.
    #[error("{0} is not a reward of the member program")]
    NotAReward(String),
    /// A quantity that is zero, negative or too large.
    #[error("{sku}: quantity {qty} must be 1 to 1,000")]
    BadQty {
        /// SKU.
        sku: String,
        /// The quantity.
        qty: i64,
    },
    /// A SKU on two lines.
    #[error("{0} appears twice; give it once with the total")]
    Twice(String),
    /// More points than the member has.
    #[error("member {member} has {points} points, not enough for {needed}")]
    NotEnough {
        /// The member.
        member: String,
        /// Their points.
        points: i64,
        /// What the redemption takes.
        needed: i64,
    },
}

impl RedeemError {
    /// The reason in a language.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        if lang == crate::i18n::Lang::En {
            return self.to_string();
        }
        match self {
            RedeemError::Empty => "没有可兑换的商品：请至少选择一件兑换商品".into(),
            RedeemError::NotAReward(sku) => format!("{sku} 不是会员积分兑换商品"),
            RedeemError::BadQty { sku, qty } => format!("{sku}：数量 {qty} 无效（应为 1 到 1,000）"),
            RedeemError::Twice(sku) => format!("{sku} 出现了两次，请合并为一行"),
            RedeemError::NotEnough { member, points, needed } => format!("会员 {member} 只有 {points} 积分，不足兑换所需的 {needed} 积分"),
        }
    }
}

/// Checks a redemption of `wanted` (SKU, pieces) by a member holding `points`, and
/// prices it in points: every SKU a reward of the program, once, 1 to
/// [`MAX_REDEEM_QTY`] pieces, and no more points than the member has (a balance never goes
/// below zero).
pub fn plan_redemption(program: &MemberProgram, member: &str, points: i64, wanted: &[(String, i64)]) -> Result<Vec<RedeemedLine>, RedeemError> {
    if wanted.is_empty() {
        return Err(RedeemError::Empty);
    }
    let mut lines: Vec<RedeemedLine> = Vec::with_capacity(wanted.len());
    for (sku, qty) in wanted {
        let sku = sku.trim();
        let reward = program.reward(sku).ok_or_else(|| RedeemError::NotAReward(sku.to_string()))?;
        if !(1..=MAX_REDEEM_QTY).contains(qty) {
            return Err(RedeemError::BadQty { sku: sku.to_string(), qty: *qty });
        }
        if lines.iter().any(|l| l.sku == sku) {
            return Err(RedeemError::Twice(sku.to_string()));
        }
        lines.push(RedeemedLine { sku: sku.to_string(), qty: *qty, points: qty * reward.points });
    }
    let needed: i64 = lines.iter().map(|l| l.points).sum();
    if needed > points {
        return Err(RedeemError::NotEnough { member: member.to_string(), points, needed });
    }
    Ok(lines)
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

    fn program_with_rewards() -> MemberProgram {
        MemberProgram { rewards: vec![Reward { sku: "DRK-1".into(), points: 300 }, Reward { sku: "SNK-1".into(), points: 150 }], ..MemberProgram::default() }
    }

    #[test]
    fn redemptions_are_priced_in_points_or_refused_in_both_languages() {
        use crate::i18n::Lang;
        let program = program_with_rewards();
        let line = |sku: &str, qty| (sku.to_string(), qty);
        // (points held, lines) → the lines as journaled, or the reason in English and Chinese.
        let cases: Vec<(i64, Vec<(String, i64)>, Result<Vec<(&str, i64, i64)>, (&str, &str)>)> = vec![
            (1_000, vec![line("DRK-1", 2), line("SNK-1", 1)], Ok(vec![("DRK-1", 2, 600), ("SNK-1", 1, 150)])),
            (750, vec![line("DRK-1", 2), line("SNK-1", 1)], Ok(vec![("DRK-1", 2, 600), ("SNK-1", 1, 150)])),
            (749, vec![line("DRK-1", 2), line("SNK-1", 1)], Err(("member M1 has 749 points, not enough for 750", "会员 M1 只有 749 积分，不足兑换所需的 750 积分"))),
            (0, vec![line("SNK-1", 1)], Err(("member M1 has 0 points, not enough for 150", "会员 M1 只有 0 积分，不足兑换所需的 150 积分"))),
            (1_000, vec![line("TEA-9", 1)], Err(("TEA-9 is not a reward of the member program", "TEA-9 不是会员积分兑换商品"))),
            (1_000, vec![line("DRK-1", 0)], Err(("DRK-1: quantity 0 must be 1 to 1,000", "DRK-1：数量 0 无效（应为 1 到 1,000）"))),
            (1_000, vec![line("DRK-1", -2)], Err(("DRK-1: quantity -2 must be 1 to 1,000", "DRK-1：数量 -2 无效（应为 1 到 1,000）"))),
            (i64::MAX, vec![line("DRK-1", 1_001)], Err(("DRK-1: quantity 1001 must be 1 to 1,000", "DRK-1：数量 1001 无效（应为 1 到 1,000）"))),
            (1_000, vec![line("DRK-1", 1), line("DRK-1", 1)], Err(("DRK-1 appears twice; give it once with the total", "DRK-1 出现了两次，请合并为一行"))),
            (1_000, vec![], Err(("nothing to redeem: name at least one reward", "没有可兑换的商品：请至少选择一件兑换商品"))),
        ];
        for (points, wanted, want) in cases {
            let got = plan_redemption(&program, "M1", points, &wanted);
            let got = got.as_ref().map(|lines| lines.iter().map(|l| (l.sku.as_str(), l.qty, l.points)).collect::<Vec<_>>()).map_err(|e| (e.message(Lang::En), e.message(Lang::Zh)));
            let want = want.map_err(|(en, zh)| (en.to_string(), zh.to_string()));
            assert_eq!(got, want, "{points} points, {wanted:?}");
        }
    }

    #[test]
    fn a_redemption_takes_the_points_and_the_goods() {
        let lines = plan_redemption(&program_with_rewards(), "M1", 1_000, &[("DRK-1".into(), 2), ("SNK-1".into(), 1)]).unwrap();
        let fact = crate::journal::Fact::PointsRedeemed { redemption_id: "R1".into(), member: "M1".into(), lines, by: "c01".into() };
        assert_eq!(fact.kind(), "points_redeemed");
        assert_eq!(crate::fold::points_delta(&fact), [("M1", -750)]);
        assert_eq!(crate::fold::stock_delta(&fact), [("DRK-1", -2), ("SNK-1", -1)]);
        let json = serde_json::to_string(&fact).unwrap();
        assert_eq!(json, r#"{"type":"points_redeemed","redemption_id":"R1","member":"M1","lines":[{"sku":"DRK-1","qty":2,"points":600},{"sku":"SNK-1","qty":1,"points":150}],"by":"c01"}"#);
    }

    #[test]
    fn programs_stored_before_rewards_read_with_none() {
        let old = r#"{"tiers":[{"id":"normal","name_zh":"普通会员","name_en":"Member","min_spend":0,"points_bp":10000}],"points_per_yuan":1,"birthday_points_bp":20000,"referral_points":100}"#;
        let program: MemberProgram = serde_json::from_str(old).unwrap();
        assert!(program.rewards.is_empty());
        assert!(program.check().is_ok());
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
        let mut reward_twice = program_with_rewards();
        reward_twice.rewards[1].sku = "DRK-1".into();
        let mut reward_free = program_with_rewards();
        reward_free.rewards[0].points = 0;
        let mut reward_blank = program_with_rewards();
        reward_blank.rewards[0].sku = " ".into();
        for (program, why) in [
            (starts_high, "start at 0"),
            (not_increasing, "more spend"),
            (twice, "twice"),
            (zero_points, "multiplier"),
            (no_tiers, "at least one"),
            (reward_twice, "reward DRK-1 appears twice"),
            (reward_free, "reward DRK-1: 0 points is not between 1 and 10,000,000"),
            (reward_blank, "a reward's SKU is 1 to 64 characters"),
        ] {
            let err = program.check().unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
        assert!(base.check().is_ok());
        assert!(program_with_rewards().check().is_ok());
    }
}
