//! Footfall against sales: gate entries (passages `in` through a gate that opened) and
//! sales tickets per local hour of day and per day, and the conversion rate, tickets ÷
//! entries in basis points, rounded half up by [`crate::rounding::div_round`]. Where there
//! were no entries there is no rate (`None`), never a division by zero; a store without
//! gate passages in the period gets a report that says so.

use std::collections::BTreeMap;

use crate::journal::Fact;
use crate::rounding::{RoundingMode, div_round};

use super::{day_text, local_day_hour};

/// Entries and tickets of one hour of day, one day, or the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionRow {
    /// `09` for an hour of day, `2026-11-23` for a day, `total` for the period.
    pub key: String,
    /// Gate entries.
    pub entries: i64,
    /// Sales (tickets; refunds do not count).
    pub tickets: i64,
}

impl ConversionRow {
    /// Tickets ÷ entries in basis points, half up; `None` without entries.
    pub fn rate_bp(&self) -> Option<i64> {
        (self.entries > 0).then(|| div_round(i128::from(self.tickets) * 10_000, i128::from(self.entries), RoundingMode::HalfUp) as i64)
    }
}

/// The conversion report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// Per local hour of day over the period, in hour order; hours with entries or sales.
    pub hours: Vec<ConversionRow>,
    /// Per local day, in day order; days with entries or sales.
    pub days: Vec<ConversionRow>,
    /// The period.
    pub total: ConversionRow,
}

impl Conversion {
    /// Whether any gate entry was recorded in the period: without one there is no rate.
    pub fn has_entries(&self) -> bool {
        self.total.entries > 0
    }
}

/// The gate entry a fact records, as `(day, hour)`: a passage `in` through a gate that
/// opened. `None` for anything else (exits, refusals, other facts).
pub fn gate_entry(ts_ms: i64, utc_offset_min: i32, fact: &Fact) -> Option<(i64, u32)> {
    match fact {
        Fact::GatePassed { direction, opened: true, .. } if direction == "in" => Some(local_day_hour(ts_ms, utc_offset_min)),
        _ => None,
    }
}

/// Folds entries and tickets, each `(day, hour, count)`, into the conversion report.
pub fn conversion_report(entries: impl IntoIterator<Item = (i64, u32, i64)>, tickets: impl IntoIterator<Item = (i64, u32, i64)>) -> Conversion {
    let mut hours: BTreeMap<u32, (i64, i64)> = BTreeMap::new();
    let mut days: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let mut total = (0, 0);
    for (is_entry, (day, hour, n)) in entries.into_iter().map(|e| (true, e)).chain(tickets.into_iter().map(|t| (false, t))) {
        if n == 0 {
            continue;
        }
        for cell in [hours.entry(hour).or_default(), days.entry(day).or_default(), &mut total] {
            if is_entry {
                cell.0 += n;
            } else {
                cell.1 += n;
            }
        }
    }
    let row = |key: String, (entries, tickets): (i64, i64)| ConversionRow { key, entries, tickets };
    Conversion {
        hours: hours.into_iter().map(|(h, c)| row(format!("{h:02}"), c)).collect(),
        days: days.into_iter().map(|(d, c)| row(day_text(d), c)).collect(),
        total: row("total".into(), total),
    }
}
