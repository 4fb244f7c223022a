//! Sales analytics over a period of local days: by hour of day, day, ISO week, category,
//! cashier and tender; top and slow sellers; average basket value (客单价) and items per
//! basket. Refunds count negative, on the day they are made; a refunded line keeps the
//! category, product and cashier of the line it returns.
//!
//! The replica keeps one [`LineRow`] per sold line and one negative row per refunded line
//! (made by [`sold_lines`] and [`refunded_lines`]) and one [`TenderRow`] per tender. Its
//! queries add them up per local day and key into [`Totals`]; [`group_rows`] and
//! [`product_rows`] fold those into a [`Report`], which [`report_text`] and [`report_csv`]
//! format. [`fold`] makes the same rows straight from the facts, so a test can check the
//! replica's answer against the journal.
//!
//! Two reports are not sums of line rows: [`By::Members`] (RFM segments, repeat rate and
//! the members' share, folded from one [`TicketRow`] per sale and refund by
//! [`member_report`], see `members.rs` for the scoring and segment rules) and
//! [`By::Conversion`] (gate entries against sales tickets per hour and day,
//! [`conversion_report`]).

use std::collections::BTreeMap;

use unicode_width::UnicodeWidthStr;

use crate::catalog::Unit;
use crate::i18n::Lang;
use crate::journal::Fact;
use crate::money::{Currency, Money};
use crate::refund::RefundRecord;
use crate::rounding::{RoundingMode, div_round};
use crate::sale::SaleRecord;
use crate::time::{civil_from_days, days_from_civil};

mod conversion;
mod members;

pub use conversion::{Conversion, ConversionRow, conversion_report, gate_entry};
pub use members::{MemberRfm, Members, Redemptions, Segment, SegmentRow, Spend, TicketRow, member_report, quintile_scores, ticket_row};

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum By {
    /// Hour of the local day, over every day of the period.
    Hour,
    /// Local day.
    Day,
    /// ISO week (Monday to Sunday), `2026-W48`.
    Week,
    /// Product category.
    Category,
    /// The cashier who rang the sale up.
    Cashier,
    /// Tender kind (payment method).
    Tender,
    /// Best sellers by net amount.
    Top,
    /// Catalog products that sold least (or nothing).
    Slow,
    /// Average basket value (客单价) and items per basket.
    Basket,
    /// Members' RFM segments, repeat rate, and the members' share of sales.
    Members,
    /// Gate entries against sales tickets (conversion) per hour and day.
    Conversion,
}

impl By {
    /// Every report, in the order the CLI lists them.
    pub const ALL: [By; 11] = [By::Hour, By::Day, By::Week, By::Category, By::Cashier, By::Tender, By::Top, By::Slow, By::Basket, By::Members, By::Conversion];

    /// `hour`, `day`, `week`, `category`, `cashier`, `tender`, `top`, `slow`, `basket`,
    /// `members`, `conversion`.
    pub fn parse(text: &str) -> Option<By> {
        By::ALL.into_iter().find(|b| b.name() == text.trim().to_ascii_lowercase())
    }

    /// The name [`By::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            By::Hour => "hour",
            By::Day => "day",
            By::Week => "week",
            By::Category => "category",
            By::Cashier => "cashier",
            By::Tender => "tender",
            By::Top => "top",
            By::Slow => "slow",
            By::Basket => "basket",
            By::Members => "members",
            By::Conversion => "conversion",
        }
    }

    /// The report's title.
    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            By::Hour => lang.pick("按小时销售", "Sales by hour of day"),
            By::Day => lang.pick("按日销售", "Sales by day"),
            By::Week => lang.pick("按周销售", "Sales by week"),
            By::Category => lang.pick("按品类销售", "Sales by category"),
            By::Cashier => lang.pick("按收银员销售", "Sales by cashier"),
            By::Tender => lang.pick("按支付方式", "Sales by payment method"),
            By::Top => lang.pick("畅销商品", "Top sellers"),
            By::Slow => lang.pick("滞销商品", "Slow sellers"),
            By::Basket => lang.pick("客单价与客单件数", "Average basket"),
            By::Members => lang.pick("会员分析（RFM）", "Members (RFM)"),
            By::Conversion => lang.pick("客流转化率", "Footfall conversion"),
        }
    }
}

/// The local day (days since 1970-01-01) and hour of a timestamp.
pub fn local_day_hour(ts_ms: i64, utc_offset_min: i32) -> (i64, u32) {
    let local = ts_ms + i64::from(utc_offset_min) * 60_000;
    (local.div_euclid(86_400_000), (local.rem_euclid(86_400_000) / 3_600_000) as u32)
}

/// `YYYY-MM-DD` as a day number (days since 1970-01-01), if it is a real date.
pub fn parse_day(text: &str) -> Option<i64> {
    crate::time::parse_date_ms(text, 0).map(|ms| ms.div_euclid(86_400_000))
}

/// A day number as `YYYY-MM-DD`.
pub fn day_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The ISO week of a day, as `2026-W48` (the year is the ISO week-numbering year).
pub fn iso_week(day: i64) -> String {
    let monday = day - (day + 3).rem_euclid(7);
    let thursday = monday + 3;
    let (year, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
    format!("{year:04}-W{week:02}")
}

/// One sold line (positive) or refunded line (negative) as the replica projects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRow {
    /// Position in the fact: the line's index in a sale, in `lines` of a refund.
    pub pos: usize,
    /// Local day number.
    pub day: i64,
    /// Local hour.
    pub hour: u32,
    /// The sale (for a refund, the sale refunded).
    pub sale_id: String,
    /// SKU.
    pub sku: String,
    /// Category.
    pub category: String,
    /// The sale's cashier (empty when none was logged in).
    pub cashier: String,
    /// Pieces or grams; negative when refunded.
    pub qty: i64,
    /// Items: pieces, and one per weighed line (a weighed line returned whole takes it back).
    pub items: i64,
    /// `1` on a sale's first line and `-1` on a refund's first line, else `0`: counts tickets.
    pub tickets: i64,
    /// Price times quantity (for a partial refund, its share, rounded half up).
    pub gross: i64,
    /// Discounts (for a partial refund, its share).
    pub discount: i64,
    /// What was paid for the line, or refunded (negative).
    pub amount: i64,
}

/// One tender of a sale (positive) or of a refund (negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderRow {
    /// Position in the fact's tenders.
    pub pos: usize,
    /// Local day number.
    pub day: i64,
    /// Local hour.
    pub hour: u32,
    /// `cash`, `card`, `mobile`, `stored`.
    pub kind: String,
    /// Amount kept (cash: change excluded), negative for money given back.
    pub amount: i64,
}

/// The rows of a sale.
pub fn sold_lines(ts_ms: i64, utc_offset_min: i32, sale: &SaleRecord) -> Vec<LineRow> {
    let (day, hour) = local_day_hour(ts_ms, utc_offset_min);
    sale.lines
        .iter()
        .enumerate()
        .map(|(pos, line)| LineRow {
            pos,
            day,
            hour,
            sale_id: sale.sale_id.clone(),
            sku: line.sku.clone(),
            category: line.category.clone(),
            cashier: sale.cashier.clone().unwrap_or_default(),
            qty: line.qty,
            items: if line.unit == Unit::Each { line.qty } else { 1 },
            tickets: i64::from(pos == 0),
            gross: line.gross,
            discount: line.discount,
            amount: line.amount,
        })
        .collect()
}

/// The rows of a refund of `sale`, negative.
pub fn refunded_lines(ts_ms: i64, utc_offset_min: i32, refund: &RefundRecord, sale: &SaleRecord) -> Vec<LineRow> {
    let (day, hour) = local_day_hour(ts_ms, utc_offset_min);
    refund
        .lines
        .iter()
        .enumerate()
        .map(|(pos, line)| {
            let sold = sale.lines.get(line.line_idx);
            let whole = sold.is_some_and(|s| line.qty >= s.qty);
            let share = |v: i64| match sold {
                Some(_) if whole => v,
                Some(s) if s.qty > 0 => div_round(i128::from(v) * i128::from(line.qty), i128::from(s.qty), RoundingMode::HalfUp) as i64,
                _ => 0,
            };
            let items = match sold.map(|s| s.unit) {
                Some(Unit::Kg) => i64::from(whole),
                _ => line.qty,
            };
            LineRow {
                pos,
                day,
                hour,
                sale_id: refund.sale_id.clone(),
                sku: line.sku.clone(),
                category: sold.map_or_else(|| "?".to_string(), |s| s.category.clone()),
                cashier: sale.cashier.clone().unwrap_or_default(),
                qty: -line.qty,
                items: -items,
                tickets: -i64::from(pos == 0),
                gross: -share(sold.map_or(0, |s| s.gross)),
                discount: -share(sold.map_or(0, |s| s.discount)),
                amount: -line.amount,
            }
        })
        .collect()
}

/// The tender rows of a sale or refund; none for other facts.
pub fn tender_rows(ts_ms: i64, utc_offset_min: i32, fact: &Fact) -> Vec<TenderRow> {
    let (day, hour) = local_day_hour(ts_ms, utc_offset_min);
    let (tenders, sign) = match fact {
        Fact::Sale(sale) => (&sale.tenders, 1),
        Fact::Refund(refund) => (&refund.tenders, -1),
        _ => return Vec::new(),
    };
    tenders.iter().enumerate().map(|(pos, t)| TenderRow { pos, day, hour, kind: t.kind.name().to_string(), amount: sign * t.amount }).collect()
}

/// Line rows and tender rows, each with the index of the fact it came from.
pub type FoldedRows = (Vec<(usize, LineRow)>, Vec<(usize, TenderRow)>);

/// Every line and tender row of a journal, in order, as `(fact index, row)`: the
/// reference the replica's projection is checked against.
pub fn fold<'a>(facts: impl IntoIterator<Item = (i64, &'a Fact)>, utc_offset_min: i32) -> FoldedRows {
    let mut sales: BTreeMap<&str, &SaleRecord> = BTreeMap::new();
    let mut lines = Vec::new();
    let mut tenders = Vec::new();
    for (idx, (ts, fact)) in facts.into_iter().enumerate() {
        match fact {
            Fact::Sale(sale) => {
                sales.insert(&sale.sale_id, sale);
                lines.extend(sold_lines(ts, utc_offset_min, sale).into_iter().map(|r| (idx, r)));
            }
            Fact::Refund(refund) => {
                if let Some(sale) = sales.get(refund.sale_id.as_str()) {
                    lines.extend(refunded_lines(ts, utc_offset_min, refund, sale).into_iter().map(|r| (idx, r)));
                }
            }
            _ => continue,
        }
        tenders.extend(tender_rows(ts, utc_offset_min, fact).into_iter().map(|r| (idx, r)));
    }
    (lines, tenders)
}

/// Sums over a group of rows. Amounts in minor units; `items` and `qty` are net.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Sales (tickets), or for tenders the payments taken.
    pub n_sales: i64,
    /// Refunds, or for tenders the payments given back.
    pub n_refunds: i64,
    /// Items sold minus items returned.
    pub items: i64,
    /// Pieces or grams sold minus returned.
    pub qty: i64,
    /// Amount sold.
    pub sales: i64,
    /// Amount refunded (positive).
    pub refunds: i64,
    /// Discounts given minus discounts taken back.
    pub discount: i64,
}

impl Totals {
    /// One line row's contribution.
    pub fn of_line(row: &LineRow) -> Totals {
        Totals {
            n_sales: row.tickets.max(0),
            n_refunds: (-row.tickets).max(0),
            items: row.items,
            qty: row.qty,
            sales: row.amount.max(0),
            refunds: (-row.amount).max(0),
            discount: row.discount,
        }
    }

    /// One tender row's contribution.
    pub fn of_tender(row: &TenderRow) -> Totals {
        Totals {
            n_sales: i64::from(row.amount > 0),
            n_refunds: i64::from(row.amount < 0),
            sales: row.amount.max(0),
            refunds: (-row.amount).max(0),
            ..Totals::default()
        }
    }

    /// Adds another group.
    pub fn add(&mut self, other: &Totals) {
        self.n_sales += other.n_sales;
        self.n_refunds += other.n_refunds;
        self.items += other.items;
        self.qty += other.qty;
        self.sales += other.sales;
        self.refunds += other.refunds;
        self.discount += other.discount;
    }

    /// Sales minus refunds.
    pub fn net(&self) -> i64 {
        self.sales - self.refunds
    }

    /// 客单价: net amount per sale, rounded half up (0 without sales).
    pub fn average_basket(&self) -> i64 {
        if self.n_sales == 0 { 0 } else { div_round(i128::from(self.net()), i128::from(self.n_sales), RoundingMode::HalfUp) as i64 }
    }

    /// Items per sale in hundredths, rounded half up (0 without sales).
    pub fn items_per_basket_x100(&self) -> i64 {
        if self.n_sales == 0 { 0 } else { div_round(i128::from(self.items) * 100, i128::from(self.n_sales), RoundingMode::HalfUp) as i64 }
    }
}

/// A catalog product as the product reports need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogItem {
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Each or kg.
    pub unit: Unit,
    /// Stock on hand.
    pub stock: i64,
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `09`, `2026-11-22`, `2026-W48`, a category, a cashier's id, a tender kind or a SKU.
    pub key: String,
    /// Product rows: the English name.
    pub name: String,
    /// Product rows: the Chinese name.
    pub name_zh: String,
    /// Product rows: the unit.
    pub unit: Option<Unit>,
    /// Slow sellers: stock on hand.
    pub stock: Option<i64>,
    /// The sums.
    pub totals: Totals,
}

impl Row {
    fn keyed(key: String, totals: Totals) -> Row {
        Row { key, name: String::new(), name_zh: String::new(), unit: None, stock: None, totals }
    }
}

/// A report over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What it groups by.
    pub by: By,
    /// First day, inclusive, if bounded.
    pub from: Option<String>,
    /// Last day, inclusive, if bounded.
    pub to: Option<String>,
    /// The rows (none for [`By::Basket`], [`By::Members`] and [`By::Conversion`]).
    pub rows: Vec<Row>,
    /// Everything in the period (for tenders: all payments; for products: all lines;
    /// for members and conversion: tickets and amounts only, no items).
    pub total: Totals,
    /// [`By::Members`]: the segments, members and shares.
    pub members: Option<Members>,
    /// [`By::Conversion`]: entries and tickets per hour and day.
    pub conversion: Option<Conversion>,
}

impl Report {
    /// A report of rows, as every report but members and conversion is.
    pub fn of_rows(by: By, from: Option<&str>, to: Option<&str>, rows: Vec<Row>, total: Totals) -> Report {
        Report { by, from: from.map(str::to_string), to: to.map(str::to_string), rows, total, members: None, conversion: None }
    }
}

/// The sums of ticket rows (sales and refunds, no items) as a report's total.
pub fn ticket_totals<'a>(rows: impl IntoIterator<Item = &'a TicketRow>) -> Totals {
    let mut total = Totals::default();
    for r in rows {
        if r.tickets > 0 {
            total.n_sales += 1;
            total.sales += r.amount;
        } else {
            total.n_refunds += 1;
            total.refunds -= r.amount;
        }
    }
    total
}

/// Folds `(day, key, totals)` groups into the rows of a [`By::Hour`], [`By::Day`],
/// [`By::Week`], [`By::Category`], [`By::Cashier`], [`By::Tender`] or [`By::Basket`]
/// report. For hour groups the key is the hour (`09`). Time rows come in time order, the
/// others by net amount, largest first.
pub fn group_rows(by: By, groups: impl IntoIterator<Item = (i64, String, Totals)>) -> (Vec<Row>, Totals) {
    let mut rows: BTreeMap<String, Totals> = BTreeMap::new();
    let mut total = Totals::default();
    for (day, key, totals) in groups {
        total.add(&totals);
        let key = match by {
            By::Hour | By::Category | By::Cashier | By::Tender => key,
            By::Day => day_text(day),
            By::Week => iso_week(day),
            By::Top | By::Slow | By::Basket | By::Members | By::Conversion => continue,
        };
        rows.entry(key).or_default().add(&totals);
    }
    let mut rows: Vec<Row> = rows.into_iter().map(|(key, totals)| Row::keyed(key, totals)).collect();
    if matches!(by, By::Category | By::Cashier | By::Tender) {
        rows.sort_by(|a, b| b.totals.net().cmp(&a.totals.net()).then_with(|| a.key.cmp(&b.key)));
    }
    (rows, total)
}

/// Top sellers (net amount, largest first) or slow sellers (catalog products by items
/// sold, fewest first, products that sold nothing included), at most `limit`.
/// `sold` is the period's totals per SKU; `catalog` names the products.
pub fn product_rows(by: By, sold: impl IntoIterator<Item = (String, Totals)>, catalog: &[CatalogItem], limit: usize) -> (Vec<Row>, Totals) {
    let sold: BTreeMap<String, Totals> = sold.into_iter().collect();
    let mut total = Totals::default();
    for t in sold.values() {
        total.add(t);
    }
    let named: BTreeMap<&str, &CatalogItem> = catalog.iter().map(|c| (c.sku.as_str(), c)).collect();
    let row = |sku: &str, totals: Totals| {
        let item = named.get(sku);
        Row {
            key: sku.to_string(),
            name: item.map_or_else(String::new, |c| c.name.clone()),
            name_zh: item.map_or_else(String::new, |c| c.name_zh.clone()),
            unit: item.map(|c| c.unit),
            stock: item.map(|c| c.stock),
            totals,
        }
    };
    let mut rows: Vec<Row> = match by {
        By::Top => {
            let mut rows: Vec<Row> = sold.iter().map(|(sku, t)| row(sku, *t)).collect();
            rows.sort_by(|a, b| b.totals.net().cmp(&a.totals.net()).then(b.totals.qty.cmp(&a.totals.qty)).then_with(|| a.key.cmp(&b.key)));
            for r in &mut rows {
                r.stock = None;
            }
            rows
        }
        By::Slow => {
            let mut rows: Vec<Row> = catalog.iter().map(|c| row(&c.sku, sold.get(&c.sku).copied().unwrap_or_default())).collect();
            rows.sort_by(|a, b| a.totals.items.cmp(&b.totals.items).then(a.totals.net().cmp(&b.totals.net())).then_with(|| a.key.cmp(&b.key)));
            rows
        }
        _ => Vec::new(),
    };
    rows.truncate(limit);
    (rows, total)
}

/// The `by` report over the local days `from..=to` (`YYYY-MM-DD`; `None` or a malformed
/// date leaves that end open), folded straight from the facts with their timestamps: what
/// the replica's projection must answer, so the tests compare the two.
pub fn report_from_facts<'a>(
    by: By,
    facts: impl IntoIterator<Item = (i64, &'a Fact)>,
    utc_offset_min: i32,
    from: Option<&str>,
    to: Option<&str>,
    catalog: &[CatalogItem],
    limit: usize,
) -> Report {
    let first = from.and_then(parse_day).unwrap_or(i64::MIN);
    let last = to.and_then(parse_day).unwrap_or(i64::MAX);
    let facts: Vec<(i64, &Fact)> = facts.into_iter().collect();
    let in_period = |day: i64| (first..=last).contains(&day);
    match by {
        By::Members => {
            let rows: Vec<TicketRow> = facts.iter().filter_map(|(ts, f)| ticket_row(*ts, utc_offset_min, f)).filter(|r| in_period(r.day)).collect();
            let mut report = Report::of_rows(by, from, to, Vec::new(), ticket_totals(&rows));
            let mut members = member_report(rows, to.and_then(parse_day));
            for (ts, f) in &facts {
                if let Fact::PointsRedeemed { lines, .. } = f
                    && in_period(local_day_hour(*ts, utc_offset_min).0)
                {
                    members.redemptions.add(lines);
                }
            }
            report.members = Some(members);
            return report;
        }
        By::Conversion => {
            let entries: Vec<(i64, u32, i64)> = facts.iter().filter_map(|(ts, f)| gate_entry(*ts, utc_offset_min, f)).filter(|(d, _)| in_period(*d)).map(|(d, h)| (d, h, 1)).collect();
            let (lines, _) = fold(facts.iter().copied(), utc_offset_min);
            let lines: Vec<&LineRow> = lines.iter().map(|(_, l)| l).filter(|l| in_period(l.day)).collect();
            let mut total = Totals::default();
            for l in &lines {
                total.add(&Totals::of_line(l));
            }
            let mut report = Report::of_rows(by, from, to, Vec::new(), total);
            report.conversion = Some(conversion_report(entries, lines.iter().filter(|l| l.tickets > 0).map(|l| (l.day, l.hour, 1))));
            return report;
        }
        _ => {}
    }
    let (lines, tenders) = fold(facts, utc_offset_min);
    let lines = lines.into_iter().map(|(_, l)| l).filter(|l| (first..=last).contains(&l.day));
    let (rows, total) = match by {
        By::Tender => group_rows(by, tenders.iter().map(|(_, t)| t).filter(|t| (first..=last).contains(&t.day)).map(|t| (t.day, t.kind.clone(), Totals::of_tender(t)))),
        By::Top | By::Slow => {
            let mut sold: BTreeMap<String, Totals> = BTreeMap::new();
            for l in lines {
                sold.entry(l.sku.clone()).or_default().add(&Totals::of_line(&l));
            }
            product_rows(by, sold, catalog, limit)
        }
        _ => group_rows(
            by,
            lines.map(|l| {
                let key = match by {
                    By::Hour => format!("{:02}", l.hour),
                    By::Category => l.category.clone(),
                    By::Cashier => l.cashier.clone(),
                    _ => String::new(),
                };
                (l.day, key, Totals::of_line(&l))
            }),
        ),
    };
    Report::of_rows(by, from, to, rows, total)
}

/// A report as a table: header and cells, money as plain decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Whether each column holds numbers (right-aligned in text).
    pub numeric: Vec<bool>,
    /// Cells.
    pub rows: Vec<Vec<String>>,
    /// The total row, if the report has one.
    pub total: Option<Vec<String>>,
    /// Sentences printed under the table in text (not in CSV).
    pub notes: Vec<String>,
}

fn quantity(unit: Option<Unit>, qty: i64) -> String {
    match unit {
        Some(Unit::Kg) => {
            let sign = if qty < 0 { "-" } else { "" };
            format!("{sign}{}.{:03}kg", qty.unsigned_abs() / 1000, qty.unsigned_abs() % 1000)
        }
        _ => qty.to_string(),
    }
}

fn hundredths(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", v.unsigned_abs() / 100, v.unsigned_abs() % 100)
}

/// `part` of `whole` as a percentage with one decimal, or `-` when the whole is not positive.
fn share(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "-".into();
    }
    let tenths = div_round(i128::from(part) * 1000, i128::from(whole), RoundingMode::HalfUp) as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    format!("{sign}{}.{}%", tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10)
}

/// Basis points as a percentage with two decimals, or `-` for none.
fn bp_text(bp: Option<i64>) -> String {
    match bp {
        None => "-".into(),
        Some(bp) => {
            let sign = if bp < 0 { "-" } else { "" };
            format!("{sign}{}.{:02}%", bp.unsigned_abs() / 100, bp.unsigned_abs() % 100)
        }
    }
}

/// The members report's segment table and its notes.
fn members_table(members: &Members, currency: Currency, lang: Lang) -> Table {
    let m = |minor: i64| Money::new(minor, currency).plain();
    let h = |zh: &str, en: &str| lang.pick(zh, en).to_string();
    let member_net: i64 = members.segments.iter().map(|s| s.net).sum();
    let member_sales: i64 = members.segments.iter().map(|s| s.sales).sum();
    let cells = |label: String, n: i64, sales: i64, net: i64| vec![label, n.to_string(), share(n, members.n_buyers), sales.to_string(), m(net), share(net, member_net)];
    let all_net = members.member.net() + members.guest.net();
    let repeat = match members.repeat_rate_bp() {
        Some(bp) => format!("{} / {} = {}", members.n_repeat, members.n_buyers, bp_text(Some(bp))),
        None => h("-（期间内没有会员消费）", "- (no member bought in the period)"),
    };
    let spend = |who: String, s: &Spend| match lang {
        Lang::Zh => format!("{who}：{} 笔，退款 {} 笔，净额 {}，占净额 {}", s.n_sales, s.n_refunds, m(s.net()), share(s.net(), all_net)),
        Lang::En => format!("{who}: sales {}, refunds {}, net {}, {} of net", s.n_sales, s.n_refunds, m(s.net()), share(s.net(), all_net)),
    };
    Table {
        header: vec![h("分群", "Segment"), h("会员数", "Members"), h("会员占比", "Share"), h("消费笔数", "Sales"), h("净消费额", "Net"), h("净额占比", "Share of net")],
        numeric: vec![false, true, true, true, true, true],
        rows: members.segments.iter().map(|s| cells(s.segment.label(lang).to_string(), s.members, s.sales, s.net)).collect(),
        total: Some(cells(h("合计", "Total"), members.n_buyers, member_sales, member_net)),
        notes: vec![
            match lang {
                Lang::Zh => format!("RFM 截至 {}：最近消费天数（R）、消费笔数（F）、净消费额（M）各按会员五分位评 1–5 分", day_text(members.end_day)),
                Lang::En => format!("RFM to {}: recency (R), sales (F) and net spend (M) each scored 1–5 by quintiles across members", day_text(members.end_day)),
            },
            format!("{}{}", h("回购率（消费 2 次及以上的会员 ÷ 消费会员）：", "Repeat rate (members with 2 or more sales ÷ members who bought): "), repeat),
            spend(h("会员", "Members"), &members.member),
            spend(h("非会员", "Non-members"), &members.guest),
            {
                let r = &members.redemptions;
                match lang {
                    Lang::Zh => format!("积分兑换商品：{} 次，{} 积分，{} 件（不计入销售）", r.count, r.points, r.pieces),
                    Lang::En => format!("Points redeemed for goods: {} redemptions, {} points, {} pieces (not sales)", r.count, r.points, r.pieces),
                }
            },
        ],
    }
}

/// The conversion report's table (hours of day, then days) and its notes.
fn conversion_table(conversion: &Conversion, lang: Lang) -> Table {
    let h = |zh: &str, en: &str| lang.pick(zh, en).to_string();
    let cells = |label: String, r: &ConversionRow| vec![label, r.entries.to_string(), r.tickets.to_string(), bp_text(r.rate_bp())];
    let rows = conversion.hours.iter().map(|r| cells(format!("{}:00", r.key), r)).chain(conversion.days.iter().map(|r| cells(r.key.clone(), r))).collect();
    let mut notes = vec![h("转化率 = 成交笔数 ÷ 进店人数（闸机进店通行）", "Conversion = sales ÷ entries (gate passages in)")];
    if !conversion.has_entries() {
        notes.push(h("期间内没有闸机进店记录，无法计算转化率：需要有入口闸机的门店。", "No gate entries in the period, so there is no conversion rate: it needs a store with an entry gate."));
    }
    Table {
        header: vec![h("时段/日期", "Hour/Date"), h("进店人数", "Entries"), h("成交笔数", "Sales"), h("转化率", "Conversion")],
        numeric: vec![false, true, true, true],
        rows,
        total: Some(cells(h("合计", "Total"), &conversion.total)),
        notes,
    }
}

/// The members report's per-member listing as a table (for CSV): every member who bought,
/// by segment, then net spend.
pub fn member_table(members: &Members, currency: Currency, lang: Lang) -> Table {
    let h = |zh: &str, en: &str| lang.pick(zh, en).to_string();
    Table {
        header: vec![h("会员", "Member"), h("最近消费日", "Last purchase"), h("最近消费天数", "Recency (days)"), h("消费笔数", "Sales"), h("退款笔数", "Refunds"), h("净消费额", "Net"), "R".into(), "F".into(), "M".into(), h("分群", "Segment")],
        numeric: vec![false, false, true, true, true, true, true, true, true, false],
        rows: members
            .members
            .iter()
            .map(|r| {
                vec![r.member.clone(), day_text(r.last_day), r.recency.to_string(), r.frequency.to_string(), r.refunds.to_string(), Money::new(r.monetary, currency).plain(), r.r.to_string(), r.f.to_string(), r.m.to_string(), r.segment.label(lang).to_string()]
            })
            .collect(),
        total: None,
        notes: Vec::new(),
    }
}

/// The tender kind's name in `lang`.
fn tender_name(kind: &str, lang: Lang) -> String {
    crate::tender::TenderKind::parse(kind).map_or_else(|| kind.to_string(), |k| k.label().text(lang).to_string())
}

/// The report as a table in `lang`.
pub fn report_table(report: &Report, currency: Currency, lang: Lang) -> Table {
    let m = |minor: i64| Money::new(minor, currency).plain();
    let s = |v: i64| v.to_string();
    let h = |zh: &str, en: &str| lang.pick(zh, en).to_string();
    match report.by {
        By::Hour | By::Day | By::Week | By::Cashier => {
            let first = match report.by {
                By::Hour => h("时段", "Hour"),
                By::Day => h("日期", "Date"),
                By::Week => h("周", "Week"),
                _ => h("收银员", "Cashier"),
            };
            let header = vec![first, h("笔数", "Sales"), h("退款笔数", "Refunds"), h("件数", "Items"), h("销售额", "Sold"), h("退款额", "Refunded"), h("净额", "Net"), h("客单价", "Avg basket")];
            let cells = |key: String, t: &Totals| vec![key, s(t.n_sales), s(t.n_refunds), s(t.items), m(t.sales), m(t.refunds), m(t.net()), m(t.average_basket())];
            let label = |key: &str| match report.by {
                By::Hour => format!("{key}:00"),
                By::Cashier if key.is_empty() => h("（未登录）", "(none)"),
                _ => key.to_string(),
            };
            Table {
                numeric: vec![false, true, true, true, true, true, true, true],
                header,
                rows: report.rows.iter().map(|r| cells(label(&r.key), &r.totals)).collect(),
                total: Some(cells(h("合计", "Total"), &report.total)),
                notes: Vec::new(),
            }
        }
        By::Category => Table {
            header: vec![h("品类", "Category"), h("件数", "Items"), h("销售额", "Sold"), h("优惠", "Discounts"), h("退款额", "Refunded"), h("净额", "Net"), h("占比", "Share")],
            numeric: vec![false, true, true, true, true, true, true],
            rows: report.rows.iter().map(|r| vec![r.key.clone(), s(r.totals.items), m(r.totals.sales), m(r.totals.discount), m(r.totals.refunds), m(r.totals.net()), share(r.totals.net(), report.total.net())]).collect(),
            total: Some(vec![h("合计", "Total"), s(report.total.items), m(report.total.sales), m(report.total.discount), m(report.total.refunds), m(report.total.net()), share(report.total.net(), report.total.net())]),
            notes: Vec::new(),
        },
        By::Tender => Table {
            header: vec![h("支付方式", "Payment method"), h("收款笔数", "Payments"), h("退款笔数", "Refunds"), h("收款", "Taken"), h("退款", "Given back"), h("净额", "Net"), h("占比", "Share")],
            numeric: vec![false, true, true, true, true, true, true],
            rows: report.rows.iter().map(|r| vec![tender_name(&r.key, lang), s(r.totals.n_sales), s(r.totals.n_refunds), m(r.totals.sales), m(r.totals.refunds), m(r.totals.net()), share(r.totals.net(), report.total.net())]).collect(),
            total: Some(vec![h("合计", "Total"), s(report.total.n_sales), s(report.total.n_refunds), m(report.total.sales), m(report.total.refunds), m(report.total.net()), share(report.total.net(), report.total.net())]),
            notes: Vec::new(),
        },
        By::Top | By::Slow => {
            let name = |r: &Row| {
                let n = lang.pick(&r.name_zh, &r.name);
                if n.is_empty() { r.name.clone() } else { n.to_string() }
            };
            let mut header = vec![h("排名", "Rank"), h("SKU", "SKU"), h("商品", "Product"), h("数量", "Qty"), h("件数", "Items"), h("净额", "Net")];
            let mut numeric = vec![true, false, false, true, true, true];
            if report.by == By::Slow {
                header.push(h("库存", "Stock"));
                numeric.push(true);
            }
            let rows = report
                .rows
                .iter()
                .enumerate()
                .map(|(idx, r)| {
                    let mut cells = vec![s(idx as i64 + 1), r.key.clone(), name(r), quantity(r.unit, r.totals.qty), s(r.totals.items), m(r.totals.net())];
                    if report.by == By::Slow {
                        cells.push(r.stock.map_or_else(String::new, |q| quantity(r.unit, q)));
                    }
                    cells
                })
                .collect();
            Table { header, numeric, rows, total: None, notes: Vec::new() }
        }
        By::Basket => {
            let t = &report.total;
            let rows = vec![
                vec![h("销售笔数", "Sales"), s(t.n_sales)],
                vec![h("退款笔数", "Refunds"), s(t.n_refunds)],
                vec![h("销售额", "Sold"), m(t.sales)],
                vec![h("退款额", "Refunded"), m(t.refunds)],
                vec![h("净额", "Net"), m(t.net())],
                vec![h("净件数", "Items (net)"), s(t.items)],
                vec![h("客单价（净额/笔数）", "Average basket (net / sales)"), m(t.average_basket())],
                vec![h("客单件数（件数/笔数）", "Items per basket (items / sales)"), hundredths(t.items_per_basket_x100())],
            ];
            Table { header: vec![h("指标", "Measure"), h("数值", "Value")], numeric: vec![false, true], rows, total: None, notes: Vec::new() }
        }
        By::Members => match &report.members {
            Some(members) => members_table(members, currency, lang),
            None => members_table(&member_report(Vec::new(), None), currency, lang),
        },
        By::Conversion => match &report.conversion {
            Some(conversion) => conversion_table(conversion, lang),
            None => conversion_table(&conversion_report(Vec::new(), Vec::new()), lang),
        },
    }
}

fn period_text(report: &Report, lang: Lang) -> String {
    match (&report.from, &report.to) {
        (None, None) => lang.pick("全部日期", "all dates").to_string(),
        (from, to) => format!("{} — {}", from.as_deref().unwrap_or("…"), to.as_deref().unwrap_or("…")),
    }
}

/// The report as aligned text for a terminal.
pub fn report_text(report: &Report, currency: Currency, lang: Lang) -> String {
    let table = report_table(report, currency, lang);
    let mut out = format!("{}  {}\n", report.by.title(lang), period_text(report, lang));
    out.push_str(&table_text(&table, lang));
    out
}

/// A table as aligned text, its notes under it.
pub fn table_text(table: &Table, lang: Lang) -> String {
    let mut widths: Vec<usize> = table.header.iter().map(|h| h.width()).collect();
    for row in table.rows.iter().chain(table.total.iter()) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (idx, cell) in cells.iter().enumerate() {
            let pad = " ".repeat(widths[idx] - cell.width());
            if idx > 0 {
                out.push_str("  ");
            }
            if table.numeric[idx] {
                out.push_str(&pad);
                out.push_str(cell);
            } else {
                out.push_str(cell);
                if idx + 1 < cells.len() {
                    out.push_str(&pad);
                }
            }
        }
        out.push('\n');
        out
    };
    let rule = format!("{}\n", "-".repeat(widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1)));
    let mut out = line(&table.header);
    out.push_str(&rule);
    if table.rows.is_empty() {
        out.push_str(lang.pick("（期间内没有销售）\n", "(no sales in the period)\n"));
    }
    for row in &table.rows {
        out.push_str(&line(row));
    }
    if let Some(total) = &table.total {
        out.push_str(&rule);
        out.push_str(&line(total));
    }
    for note in &table.notes {
        out.push_str(note);
        out.push('\n');
    }
    out
}

/// One CSV field, quoted when RFC 4180 requires it.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// The report as CSV (RFC 4180: a header row, CRLF line ends, quoted fields where
/// needed), the total row last.
pub fn report_csv(report: &Report, currency: Currency, lang: Lang) -> String {
    table_csv(&report_table(report, currency, lang))
}

/// The members report's per-member listing as CSV (see [`member_table`]); only the
/// header for another report.
pub fn members_csv(report: &Report, currency: Currency, lang: Lang) -> String {
    let empty = member_report(Vec::new(), None);
    table_csv(&member_table(report.members.as_ref().unwrap_or(&empty), currency, lang))
}

/// A table as CSV.
fn table_csv(table: &Table) -> String {
    let mut out = String::new();
    for row in std::iter::once(&table.header).chain(&table.rows).chain(table.total.iter()) {
        out.push_str(&row.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests;
