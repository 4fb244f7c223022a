//! Receipts and reports rendered to plain text, for screens, logs, tests and
//! (through the hardware crate) ESC/POS printers.
//!
//! Widths count display columns: a Chinese character takes two.

use unicode_width::UnicodeWidthStr;

use crate::catalog::Unit;
use crate::i18n::{Label, Lang};
use crate::money::{Currency, Money};
use crate::refund::RefundRecord;
use crate::report::SalesReport;
use crate::sale::SaleRecord;
use crate::shift::{ReportKind, ShiftReport};
use crate::time::LocalTime;

/// Paper width: 32 columns on 58 mm paper, 48 on 80 mm.
pub const WIDTH_58MM: usize = 32;
/// 80 mm paper.
pub const WIDTH_80MM: usize = 48;

/// The store's name and address at the top of every receipt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreHeader {
    /// Store id.
    pub store_id: String,
    /// Name printed in English.
    pub name: String,
    /// Name printed in Chinese.
    pub name_zh: String,
    /// Address line.
    pub address: String,
}

/// How to print: language, width, time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Language of labels and product names.
    pub lang: Lang,
    /// Columns.
    pub width: usize,
    /// Store's UTC offset in minutes.
    pub utc_offset_min: i32,
}

struct Text {
    out: String,
    width: usize,
}

impl Text {
    fn new(width: usize) -> Text {
        Text { out: String::new(), width }
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(&truncate(text, self.width));
        self.out.push('\n');
    }

    fn center(&mut self, text: &str) {
        let text = truncate(text, self.width);
        let pad = (self.width - text.width()) / 2;
        self.out.push_str(&" ".repeat(pad));
        self.out.push_str(&text);
        self.out.push('\n');
    }

    fn pair(&mut self, left: &str, right: &str) {
        let right_w = right.width();
        let left = truncate(left, self.width.saturating_sub(right_w + 1));
        let gap = self.width.saturating_sub(left.width() + right_w).max(1);
        self.out.push_str(&left);
        self.out.push_str(&" ".repeat(gap));
        self.out.push_str(right);
        self.out.push('\n');
    }

    fn rule(&mut self) {
        self.out.push_str(&"-".repeat(self.width));
        self.out.push('\n');
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for ch in text.chars() {
        let next = format!("{out}{ch}");
        if next.width() > width {
            break;
        }
        out = next;
    }
    out
}

fn header(text: &mut Text, store: &StoreHeader, layout: Layout) {
    let name = if layout.lang == Lang::Zh && !store.name_zh.is_empty() { &store.name_zh } else { &store.name };
    text.center(name);
    if !store.address.is_empty() {
        text.center(&store.address);
    }
    text.rule();
}

fn quantity(unit: Unit, qty: i64) -> String {
    match unit {
        Unit::Each => qty.to_string(),
        Unit::Kg => format!("{}.{:03}kg", qty / 1000, qty % 1000),
    }
}

/// Renders a sale receipt.
pub fn sale_receipt(sale: &SaleRecord, ts_ms: i64, store: &StoreHeader, layout: Layout) -> String {
    let lang = layout.lang;
    let m = |minor: i64| Money::new(minor, sale.currency).plain();
    let mut text = Text::new(layout.width);
    header(&mut text, store, layout);
    text.line(Label::Sale.text(lang));
    text.line(&sale.sale_id);
    let when = LocalTime::from_unix_ms(ts_ms, layout.utc_offset_min).date_time();
    match &sale.cashier {
        Some(c) => text.pair(&when, &format!("{} {c}", Label::Cashier.text(lang))),
        None => text.line(&when),
    }
    text.rule();
    for line in &sale.lines {
        let name = if lang == Lang::Zh && !line.name_zh.is_empty() { &line.name_zh } else { &line.name };
        text.line(name);
        let price = match line.unit {
            Unit::Each => m(line.unit_price),
            Unit::Kg => format!("{}/kg", m(line.unit_price)),
        };
        text.pair(&format!("  {} x {price}", quantity(line.unit, line.qty)), &m(line.gross));
        if let Some(catalog) = line.catalog_price {
            text.line(&format!("  {} {} -> {}", Label::PriceOverride.text(lang), m(catalog), m(line.unit_price)));
        }
        if line.promo_saving != 0 {
            text.pair(&format!("  {}", Label::Promotions.text(lang)), &m(-line.promo_saving));
        }
        if line.discount != line.promo_saving {
            text.pair(&format!("  {}", Label::Discount.text(lang)), &m(-(line.discount - line.promo_saving)));
        }
    }
    text.rule();
    text.pair(Label::Subtotal.text(lang), &m(sale.subtotal));
    // Each promotion and coupon by name (a coupon's text says it is one), then what was
    // taken off by hand.
    for offer in &sale.offers {
        text.pair(lang.pick(&offer.text_zh, &offer.text_en), &m(-offer.saving));
    }
    if sale.discount != sale.promo_saving {
        text.pair(Label::Discount.text(lang), &m(-(sale.discount - sale.promo_saving)));
    }
    if sale.rounding != 0 {
        text.pair(Label::Rounding.text(lang), &m(-sale.rounding));
    }
    text.pair(Label::Total.text(lang), &Money::new(sale.total, sale.currency).to_string());
    text.pair(Label::Tax.text(lang), &m(sale.tax));
    for tender in &sale.tenders {
        let amount = if tender.kind == crate::tender::TenderKind::Cash { sale.cash_given } else { tender.amount };
        text.pair(&tender_label(tender, lang), &m(amount));
    }
    if sale.cash_given > 0 && !sale.tenders.iter().any(|t| t.kind == crate::tender::TenderKind::Cash) {
        text.pair(Label::Cash.text(lang), &m(sale.cash_given));
    }
    if sale.change != 0 {
        text.pair(Label::Change.text(lang), &m(sale.change));
    }
    text.rule();
    let n_items: i64 = sale.lines.iter().map(|l| if l.unit == Unit::Each { l.qty } else { 1 }).sum();
    text.line(&format!("{} {n_items}", Label::Items.text(lang)));
    if let Some(member) = &sale.member {
        text.line(&format!("{} {member}", Label::Member.text(lang)));
    }
    if sale.points_earned != 0 {
        text.pair(Label::PointsEarned.text(lang), &format!("+{}", sale.points_earned));
    }
    if sale.discount > 0 {
        text.pair(Label::YouSaved.text(lang), &Money::new(sale.discount, sale.currency).to_string());
    }
    text.center(Label::Thanks.text(lang));
    text.out
}

fn tender_label(tender: &crate::tender::AppliedTender, lang: Lang) -> String {
    let label = tender.kind.label().text(lang);
    match &tender.reference {
        Some(r) if !r.is_empty() => {
            let shown = if r.len() > 8 && tender.kind != crate::tender::TenderKind::StoredValue { format!("…{}", &r[r.len() - 4..]) } else { r.clone() };
            format!("{label} {shown}")
        }
        _ => label.to_string(),
    }
}

/// One line of a points redemption slip: the product's names, pieces and points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemedItem<'a> {
    /// English name.
    pub name: &'a str,
    /// Chinese name (may be empty).
    pub name_zh: &'a str,
    /// Pieces.
    pub qty: i64,
    /// Points the line took.
    pub points: i64,
}

/// Renders a points redemption slip (积分兑换单): what the member took, the points it took
/// and the points they have left.
pub fn redemption_receipt(redemption_id: &str, member: &str, items: &[RedeemedItem], points_left: i64, ts_ms: i64, store: &StoreHeader, layout: Layout) -> String {
    let lang = layout.lang;
    let mut text = Text::new(layout.width);
    header(&mut text, store, layout);
    text.line(lang.pick("积分兑换", "Points redemption"));
    text.line(redemption_id);
    text.line(&LocalTime::from_unix_ms(ts_ms, layout.utc_offset_min).date_time());
    text.rule();
    for item in items {
        let name = if lang == Lang::Zh && !item.name_zh.is_empty() { item.name_zh } else { item.name };
        text.line(name);
        text.pair(&format!("  x {}", item.qty), &format!("-{}", item.points));
    }
    text.rule();
    text.pair(lang.pick("使用积分", "Points used"), &items.iter().map(|i| i.points).sum::<i64>().to_string());
    text.pair(lang.pick("剩余积分", "Points left"), &points_left.to_string());
    text.line(&format!("{} {member}", Label::Member.text(lang)));
    text.center(Label::Thanks.text(lang));
    text.out
}

/// Renders a refund slip.
pub fn refund_receipt(refund: &RefundRecord, sale: &SaleRecord, ts_ms: i64, store: &StoreHeader, layout: Layout) -> String {
    let lang = layout.lang;
    let m = |minor: i64| Money::new(minor, sale.currency).plain();
    let mut text = Text::new(layout.width);
    header(&mut text, store, layout);
    text.line(Label::Refund.text(lang));
    text.line(&refund.refund_id);
    text.line(Label::RefundOf.text(lang));
    text.line(&refund.sale_id);
    text.line(&LocalTime::from_unix_ms(ts_ms, layout.utc_offset_min).date_time());
    text.rule();
    for line in &refund.lines {
        let sold = &sale.lines[line.line_idx];
        let name = if lang == Lang::Zh && !sold.name_zh.is_empty() { &sold.name_zh } else { &sold.name };
        text.line(&format!("{}. {name}", line.line_idx + 1));
        text.pair(&format!("  {}", quantity(sold.unit, line.qty)), &m(-line.amount));
    }
    text.rule();
    text.pair(Label::Total.text(lang), &Money::new(-refund.total, sale.currency).to_string());
    for tender in &refund.tenders {
        text.pair(&tender_label(tender, lang), &m(-tender.amount));
    }
    text.out
}

/// Renders an X or Z report.
pub fn shift_report_text(report: &ShiftReport, currency: Currency, layout: Layout) -> String {
    let lang = layout.lang;
    let m = |minor: i64| Money::new(minor, currency).plain();
    let mut text = Text::new(layout.width);
    let title = match report.kind {
        ReportKind::X => lang.pick("X 报表（班中）", "X report (mid-shift)"),
        ReportKind::Z => lang.pick("Z 报表（交班）", "Z report (shift close)"),
    };
    text.center(title);
    text.line(&format!("{} {}", Label::Shift.text(lang), report.shift_id));
    text.pair(Label::Cashier.text(lang), &report.cashier);
    text.pair(lang.pick("开班", "Opened"), &LocalTime::from_unix_ms(report.opened_at_ms, layout.utc_offset_min).date_time());
    text.pair(lang.pick("报表时间", "Taken"), &LocalTime::from_unix_ms(report.taken_at_ms, layout.utc_offset_min).date_time());
    text.rule();
    text.pair(lang.pick("销售笔数", "Sales"), &report.n_sales.to_string());
    text.pair(lang.pick("销售总额", "Gross"), &m(report.gross));
    text.pair(Label::Discount.text(lang), &m(-report.discounts));
    text.pair(Label::Rounding.text(lang), &m(-report.rounding));
    text.pair(lang.pick("实收", "Sales total"), &m(report.sales_total));
    text.pair(lang.pick("退货笔数", "Refunds"), &report.n_refunds.to_string());
    text.pair(lang.pick("退货金额", "Refunded"), &m(-report.refunds_total));
    text.pair(lang.pick("净销售额", "Net sales"), &m(report.net_sales()));
    text.pair(Label::Tax.text(lang), &m(report.tax));
    text.pair(lang.pick("作废笔数", "Voided sales"), &report.n_voids.to_string());
    text.pair(lang.pick("开钱箱（无销售）", "No-sale opens"), &report.n_no_sale.to_string());
    text.rule();
    for (kind, amount) in &report.by_tender {
        let label = crate::tender::TenderKind::parse(kind).map_or(kind.as_str(), |k| k.label().text(lang));
        text.pair(label, &m(*amount));
    }
    text.rule();
    text.pair(lang.pick("备用金", "Float"), &m(report.float));
    text.pair(lang.pick("存入", "Cash in"), &m(report.cash_in));
    text.pair(lang.pick("取出", "Cash out"), &m(-report.cash_out));
    if report.cash_top_ups != 0 {
        text.pair(lang.pick("现金充值", "Cash top-ups"), &m(report.cash_top_ups));
    }
    text.pair(lang.pick("应有现金", "Expected cash"), &m(report.expected_cash));
    if let (Some(counted), Some(variance)) = (report.counted_cash, report.variance) {
        text.pair(lang.pick("实点现金", "Counted cash"), &m(counted));
        text.pair(lang.pick("差额", "Variance"), &m(variance));
    }
    text.out
}

/// Renders a sales report.
pub fn sales_report_text(report: &SalesReport, currency: Currency, lang: Lang) -> String {
    let m = |minor: i64| Money::new(minor, currency).plain();
    let mut text = Text::new(WIDTH_80MM);
    text.center(lang.pick("销售报表", "Sales report"));
    let period = match (&report.from, &report.to) {
        (None, None) => lang.pick("全部日期", "all dates").to_string(),
        (from, to) => format!("{} — {}", from.as_deref().unwrap_or("…"), to.as_deref().unwrap_or("…")),
    };
    text.center(&period);
    text.rule();
    text.pair(lang.pick("销售笔数", "Sales"), &report.n_sales.to_string());
    text.pair(lang.pick("件数", "Items"), &report.n_items.to_string());
    text.pair(lang.pick("销售总额", "Gross"), &m(report.gross));
    text.pair(Label::Discount.text(lang), &m(-report.discounts));
    text.pair(Label::Rounding.text(lang), &m(-report.rounding));
    text.pair(lang.pick("实收", "Sales total"), &m(report.sales_total));
    text.pair(lang.pick("退货", "Refunds"), &format!("{} / {}", report.n_refunds, m(-report.refunds_total)));
    text.pair(lang.pick("净销售额", "Net sales"), &m(report.net));
    text.pair(Label::Tax.text(lang), &m(report.tax));
    text.pair(lang.pick("客单价", "Average sale"), &m(report.average_sale));
    text.rule();
    text.line(lang.pick("按日", "By day"));
    for (day, sales) in &report.by_day {
        text.pair(&format!("  {day}  ({})", sales.n_sales), &m(sales.sales - sales.refunds));
    }
    text.line(lang.pick("按支付方式", "By tender"));
    for (kind, amount) in &report.by_tender {
        let label = crate::tender::TenderKind::parse(kind).map_or(kind.as_str(), |k| k.label().text(lang));
        text.pair(&format!("  {label}"), &m(*amount));
    }
    text.line(lang.pick("按品类", "By category"));
    for (category, amount) in &report.by_category {
        text.pair(&format!("  {category}"), &m(*amount));
    }
    text.line(lang.pick("畅销商品", "Top sellers"));
    for product in &report.top_products {
        let qty = if product.unit == "kg" { quantity(Unit::Kg, product.qty) } else { product.qty.to_string() };
        let name = if lang == Lang::Zh && !product.name_zh.is_empty() { &product.name_zh } else { &product.name };
        text.pair(&format!("  {name} x{qty}"), &m(product.amount));
    }
    text.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redemption_slip_in_both_languages() {
        let store = StoreHeader { store_id: "S1".into(), name: "Demo Mart".into(), name_zh: "演示超市".into(), address: String::new() };
        let items = [RedeemedItem { name: "Cola 330ml".into(), name_zh: "可乐 330ml".into(), qty: 2, points: 600 }];
        let layout = |lang| Layout { lang, width: WIDTH_58MM, utc_offset_min: 480 };
        let en = redemption_receipt("R1", "M1", &items, 150, 0, &store, layout(Lang::En));
        let zh = redemption_receipt("R1", "M1", &items, 150, 0, &store, layout(Lang::Zh));
        assert_eq!(
            en,
            "           Demo Mart
--------------------------------
Points redemption
R1
1970-01-01 08:00
--------------------------------
Cola 330ml
  x 2                       -600
--------------------------------
Points used                  600
Points left                  150
Member M1
  Thank you, please come again
"
        );
        assert!(zh.contains("积分兑换\n") && zh.contains("可乐 330ml\n") && zh.contains("剩余积分") && zh.contains("150\n"), "{zh}");
    }
}
