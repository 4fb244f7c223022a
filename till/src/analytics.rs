//! Sales analytics for one store: the reports of `opentill_core::analytics`, read from the
//! replica's sold-lines projection (`sale_lines`, `sale_tenders`) rather than by folding
//! the journal, so a year of sales answers in well under a second. The members report
//! reads one row per sale and refund of the period (`Replica::member_tickets`), the
//! conversion report the gate entries (`Replica::gate_entries`) beside the hourly sums.

use opentill_core::analytics::{By, Report, conversion_report, group_rows, member_report, parse_day, product_rows, ticket_totals};
use opentill_sync::DayGrouping;

use crate::{Till, TillError};

/// Top and slow sellers list at most this many products unless asked for another number.
pub const DEFAULT_LIMIT: usize = 20;

impl Till {
    /// The `by` report over the local days `from..=to` (`YYYY-MM-DD`, both optional).
    /// `limit` applies to top and slow sellers ([`DEFAULT_LIMIT`] when `None`).
    pub fn analytics(&self, by: By, from: Option<&str>, to: Option<&str>, limit: Option<usize>) -> Result<Report, TillError> {
        let parse = |d: &str| parse_day(d).ok_or_else(|| TillError::BadInput(format!("date `{d}` must be a real date written YYYY-MM-DD")));
        let from_day = from.map(parse).transpose()?;
        let to_day = to.map(parse).transpose()?;
        if let (Some(f), Some(t)) = (from_day, to_day)
            && f > t
        {
            return Err(TillError::BadInput("--from is after --to".into()));
        }
        let (first, last) = (from_day.unwrap_or(i64::MIN), to_day.unwrap_or(i64::MAX));
        let replica = self.replica();
        let by_day = |grouping| replica.analytics_by_day(grouping, first, last);
        match by {
            By::Members => {
                let tickets = replica.member_tickets(first, last)?;
                let mut report = Report::of_rows(by, from, to, Vec::new(), ticket_totals(&tickets));
                let mut members = member_report(tickets, to_day);
                members.redemptions = replica.redemptions(first, last)?;
                report.members = Some(members);
                return Ok(report);
            }
            By::Conversion => {
                let hours = by_day(DayGrouping::Hour)?;
                let mut report = Report::of_rows(by, from, to, Vec::new(), replica.analytics_total(first, last)?);
                let tickets = hours.iter().map(|(day, hour, t)| (*day, hour.parse().unwrap_or(0), t.n_sales));
                report.conversion = Some(conversion_report(replica.gate_entries(first, last)?, tickets));
                return Ok(report);
            }
            _ => {}
        }
        let (rows, total) = match by {
            By::Hour | By::Day | By::Week => group_rows(by, by_day(DayGrouping::Hour)?),
            By::Basket => (Vec::new(), replica.analytics_total(first, last)?),
            By::Category => group_rows(by, by_day(DayGrouping::Category)?),
            By::Cashier => group_rows(by, by_day(DayGrouping::Cashier)?),
            By::Tender => group_rows(by, by_day(DayGrouping::Tender)?),
            By::Top | By::Slow => product_rows(by, replica.analytics_by_sku(first, last)?, &replica.catalog_items()?, limit.unwrap_or(DEFAULT_LIMIT)),
            By::Members | By::Conversion => unreachable!("answered above"),
        };
        Ok(Report::of_rows(by, from, to, rows, total))
    }
}
