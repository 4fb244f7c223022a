//! Members (RFM) over a period: per member the recency (days from the last purchase to
//! the period's end), frequency (sales) and monetary value (net spend, refunds
//! subtracted), each scored 1–5 by quintiles across the members who bought, the segment
//! the scores put them in, the repeat rate, and the share of sales by members and by
//! other customers.
//!
//! **Scores.** For each measure, `N` is the number of members who bought in the period,
//! `worse` the number of them with a strictly worse value (recency: more days; frequency
//! and monetary: less) and `equal` the number with the same value, the member included.
//! The score is `1 + ⌊5 × (2 × worse + equal) / (2 × N)⌋`: the quintile of the member's
//! mid-rank. Equal values always get equal scores, whatever the members' ids or order; one
//! member alone, or everyone tied, scores 3; `N` distinct values split evenly 1 to 5.
//!
//! **Segments**, the first rule that holds (F + M is the value of the member's history):
//! 1. 重要价值客户 Champions: R ≥ 4 and F + M ≥ 8.
//! 2. 忠诚客户 Loyal: R ≥ 3 and F + M ≥ 6.
//! 3. 潜力客户 Potential: R ≥ 3 (recent, less yet).
//! 4. 需挽回 At risk: F + M ≥ 6 (valuable, but not lately: R ≤ 2).
//! 5. 流失 Lost: the rest (R ≤ 2, F + M ≤ 5).

use std::collections::BTreeMap;

use crate::i18n::Lang;
use crate::journal::Fact;
use crate::rounding::{RoundingMode, div_round};

use super::local_day_hour;

/// One sale (`tickets` 1, amount what was paid for its lines) or refund (`tickets` -1,
/// amount negative) as the member report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRow {
    /// Local day number of the sale or refund.
    pub day: i64,
    /// The member the sale was made for (a refund: the sale's member).
    pub member: Option<String>,
    /// `1` for a sale, `-1` for a refund.
    pub tickets: i64,
    /// The sum of the lines' amounts, negative for a refund (the same amounts the line
    /// rows of [`super::sold_lines`] and [`super::refunded_lines`] carry).
    pub amount: i64,
}

/// The ticket row of a sale or refund; `None` for other facts.
pub fn ticket_row(ts_ms: i64, utc_offset_min: i32, fact: &Fact) -> Option<TicketRow> {
    let (day, _) = local_day_hour(ts_ms, utc_offset_min);
    match fact {
        Fact::Sale(sale) => Some(TicketRow { day, member: sale.member.clone(), tickets: 1, amount: sale.lines.iter().map(|l| l.amount).sum() }),
        Fact::Refund(refund) => Some(TicketRow { day, member: refund.member.clone(), tickets: -1, amount: -refund.lines.iter().map(|l| l.amount).sum::<i64>() }),
        _ => None,
    }
}

/// An RFM segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// 重要价值客户: recent, frequent and spending.
    Champions,
    /// 忠诚客户: fairly recent, valuable.
    Loyal,
    /// 潜力客户: recent, not yet frequent or spending much.
    Potential,
    /// 需挽回: valuable, but not lately.
    AtRisk,
    /// 流失: neither recent nor valuable.
    Lost,
}

impl Segment {
    /// Every segment, best first.
    pub const ALL: [Segment; 5] = [Segment::Champions, Segment::Loyal, Segment::Potential, Segment::AtRisk, Segment::Lost];

    /// The segment of R, F and M scores (see the module's rule).
    pub fn of(r: u8, f: u8, m: u8) -> Segment {
        let value = f + m;
        if r >= 4 && value >= 8 {
            Segment::Champions
        } else if r >= 3 && value >= 6 {
            Segment::Loyal
        } else if r >= 3 {
            Segment::Potential
        } else if value >= 6 {
            Segment::AtRisk
        } else {
            Segment::Lost
        }
    }

    /// `champions`, `loyal`, `potential`, `at_risk`, `lost`.
    pub fn name(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::Potential => "potential",
            Segment::AtRisk => "at_risk",
            Segment::Lost => "lost",
        }
    }

    /// The segment's name in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Segment::Champions => lang.pick("重要价值客户", "Champions"),
            Segment::Loyal => lang.pick("忠诚客户", "Loyal"),
            Segment::Potential => lang.pick("潜力客户", "Potential"),
            Segment::AtRisk => lang.pick("需挽回", "At risk"),
            Segment::Lost => lang.pick("流失", "Lost"),
        }
    }
}

/// One member who bought in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRfm {
    /// The member's id.
    pub member: String,
    /// Local day of the last sale in the period.
    pub last_day: i64,
    /// Days from the last sale to the period's end.
    pub recency: i64,
    /// Sales in the period.
    pub frequency: i64,
    /// Refunds in the period.
    pub refunds: i64,
    /// Net spend in the period (sales minus refunds), minor units.
    pub monetary: i64,
    /// Recency score, 1–5 (5: most recent).
    pub r: u8,
    /// Frequency score, 1–5.
    pub f: u8,
    /// Monetary score, 1–5.
    pub m: u8,
    /// The segment the scores give.
    pub segment: Segment,
}

/// A segment's members and their net spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRow {
    /// The segment.
    pub segment: Segment,
    /// Members in it.
    pub members: i64,
    /// Their sales in the period.
    pub sales: i64,
    /// Their net spend in the period.
    pub net: i64,
}

/// Tickets and amounts of a group of customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spend {
    /// Sales.
    pub n_sales: i64,
    /// Refunds.
    pub n_refunds: i64,
    /// Amount sold.
    pub sales: i64,
    /// Amount refunded (positive).
    pub refunds: i64,
}

impl Spend {
    fn add(&mut self, row: &TicketRow) {
        if row.tickets > 0 {
            self.n_sales += 1;
            self.sales += row.amount;
        } else {
            self.n_refunds += 1;
            self.refunds -= row.amount;
        }
    }

    /// Sold minus refunded.
    pub fn net(&self) -> i64 {
        self.sales - self.refunds
    }
}

/// Points members redeemed for goods (积分兑换) in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redemptions {
    /// Redemptions.
    pub count: i64,
    /// Points they took.
    pub points: i64,
    /// Pieces handed over.
    pub pieces: i64,
}

impl Redemptions {
    /// Adds one redemption's lines.
    pub fn add(&mut self, lines: &[crate::member::RedeemedLine]) {
        self.count += 1;
        self.points += lines.iter().map(|l| l.points).sum::<i64>();
        self.pieces += lines.iter().map(|l| l.qty).sum::<i64>();
    }
}

/// The members report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Members {
    /// The day recency counts to: the period's last day, or without one the last day with
    /// a sale or refund.
    pub end_day: i64,
    /// Every member who bought, by segment (best first), then net spend (largest first),
    /// then id.
    pub members: Vec<MemberRfm>,
    /// Every segment, best first, empty ones included.
    pub segments: Vec<SegmentRow>,
    /// Members with at least one sale in the period.
    pub n_buyers: i64,
    /// Members with at least two.
    pub n_repeat: i64,
    /// Sales and refunds with a member (a refund of a sale made before the period counts
    /// here, though its member is listed only if they also bought in the period).
    pub member: Spend,
    /// Sales and refunds without a member.
    pub guest: Spend,
    /// Points redeemed for goods in the period (not sales: nothing was paid).
    pub redemptions: Redemptions,
}

impl Members {
    /// Repeat rate in basis points (members with two or more sales ÷ members who bought),
    /// half up; `None` when no member bought.
    pub fn repeat_rate_bp(&self) -> Option<i64> {
        (self.n_buyers > 0).then(|| div_round(i128::from(self.n_repeat) * 10_000, i128::from(self.n_buyers), RoundingMode::HalfUp) as i64)
    }
}

/// The quintile score of each value among `values` (see the module's rule); `higher`
/// says whether larger values are better.
pub fn quintile_scores(values: &[i64], higher: bool) -> Vec<u8> {
    let n = values.len() as i128;
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x < v) as i128;
            let equal = sorted.partition_point(|x| x <= v) as i128 - below;
            let worse = if higher { below } else { n - below - equal };
            1 + div_round(5 * (2 * worse + equal), 2 * n, RoundingMode::Down) as u8
        })
        .collect()
}

/// Folds the period's ticket rows into the members report. `end_day` is the period's last
/// day; `None` takes the last day of any row.
pub fn member_report(rows: impl IntoIterator<Item = TicketRow>, end_day: Option<i64>) -> Members {
    struct Acc {
        last_day: i64,
        spend: Spend,
    }
    let mut by_member: BTreeMap<String, Acc> = BTreeMap::new();
    let mut member = Spend::default();
    let mut guest = Spend::default();
    let mut last_row_day = None::<i64>;
    for row in rows {
        last_row_day = Some(last_row_day.map_or(row.day, |d| d.max(row.day)));
        let Some(id) = &row.member else {
            guest.add(&row);
            continue;
        };
        member.add(&row);
        let acc = by_member.entry(id.clone()).or_insert(Acc { last_day: i64::MIN, spend: Spend::default() });
        acc.spend.add(&row);
        if row.tickets > 0 {
            acc.last_day = acc.last_day.max(row.day);
        }
    }
    let end_day = end_day.or(last_row_day).unwrap_or(0);
    // Only members who bought in the period are scored; a refund alone is no purchase.
    let buyers: Vec<(String, Acc)> = by_member.into_iter().filter(|(_, a)| a.spend.n_sales > 0).collect();
    let recency: Vec<i64> = buyers.iter().map(|(_, a)| end_day - a.last_day).collect();
    let frequency: Vec<i64> = buyers.iter().map(|(_, a)| a.spend.n_sales).collect();
    let monetary: Vec<i64> = buyers.iter().map(|(_, a)| a.spend.net()).collect();
    let (r, f, m) = (quintile_scores(&recency, false), quintile_scores(&frequency, true), quintile_scores(&monetary, true));
    let mut members: Vec<MemberRfm> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, (id, a))| MemberRfm {
            member: id,
            last_day: a.last_day,
            recency: recency[i],
            frequency: frequency[i],
            refunds: a.spend.n_refunds,
            monetary: monetary[i],
            r: r[i],
            f: f[i],
            m: m[i],
            segment: Segment::of(r[i], f[i], m[i]),
        })
        .collect();
    members.sort_by(|a, b| a.segment.cmp(&b.segment).then(b.monetary.cmp(&a.monetary)).then_with(|| a.member.cmp(&b.member)));
    let segments = Segment::ALL
        .iter()
        .map(|s| {
            let of: Vec<&MemberRfm> = members.iter().filter(|m| m.segment == *s).collect();
            SegmentRow { segment: *s, members: of.len() as i64, sales: of.iter().map(|m| m.frequency).sum(), net: of.iter().map(|m| m.monetary).sum() }
        })
        .collect();
    Members {
        end_day,
        n_buyers: members.len() as i64,
        n_repeat: members.iter().filter(|m| m.frequency >= 2).count() as i64,
        members,
        segments,
        member,
        guest,
        redemptions: Redemptions::default(),
    }
}
