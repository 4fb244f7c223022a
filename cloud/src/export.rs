//! Closings and reports as JSON and CSV (RFC 4180: a header row, CRLF line ends, fields
//! quoted where needed). Column headers are English; amounts are integer minor units
//! (`_minor`), so a CSV reads back to exactly the figures signed.
//!
//! A closing in JSON is `{"hash", "signature", "closing"}` where `closing` is the signed
//! body byte for byte: SHA-256 of `opentill/closing/v1\0` followed by those bytes is
//! `hash`, which anyone can check with the cloud's public key.

use std::io::Write;

use opentill_core::tender::TenderKind;
use serde_json::json;

use crate::closing::{Closing, offset_text};
use crate::ledger::{StoreInfo, StoredClosing};
use crate::report::{Row, StoresReport, Sums};

/// The tender kinds, in column order.
pub const TENDER_KINDS: [TenderKind; 6] = [TenderKind::Cash, TenderKind::Card, TenderKind::MobilePay, TenderKind::StoredValue, TenderKind::Points, TenderKind::Online];

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// CSV (RFC 4180).
    Csv,
}

impl Format {
    /// `json` or `csv`.
    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

fn parse_body(stored: &StoredClosing) -> std::io::Result<Closing> {
    serde_json::from_slice(&stored.body).map_err(|e| invalid(format!("closing {} {} {} is unreadable ({e}); run verify-closings", stored.store_id, stored.kind.name(), stored.period)))
}

/// One closing as JSON: `{"hash":…,"signature":…,"closing":<the signed body>}`.
pub fn closing_json(stored: &StoredClosing) -> Vec<u8> {
    let mut out = format!("{{\"hash\":\"{}\",\"signature\":\"{}\",\"closing\":", hex::encode(stored.hash), hex::encode(stored.signature)).into_bytes();
    out.extend_from_slice(&stored.body);
    out.push(b'}');
    out
}

/// Closings as a JSON array, one closing a line; `progress(done, total)` after each.
pub fn closings_json(out: &mut dyn Write, closings: &[StoredClosing], progress: &mut dyn FnMut(usize, usize)) -> std::io::Result<()> {
    out.write_all(b"[")?;
    for (idx, stored) in closings.iter().enumerate() {
        if serde_json::from_slice::<serde_json::Value>(&stored.body).is_err() {
            return Err(invalid(format!("closing {} {} {} is not JSON; run verify-closings", stored.store_id, stored.kind.name(), stored.period)));
        }
        out.write_all(if idx == 0 { b"\n" } else { b",\n" })?;
        out.write_all(&closing_json(stored))?;
        progress(idx + 1, closings.len());
    }
    out.write_all(b"\n]\n")?;
    Ok(())
}

/// The closings CSV header.
pub fn closings_csv_header() -> Vec<String> {
    let mut header: Vec<String> = [
        "store_id", "tenant", "brand", "kind", "period", "chain_seq", "closed_ms", "utc_offset", "from_ms", "to_ms", "n_entries", "n_sales", "n_refunds", "sales_minor", "refunds_minor",
        "net_minor", "tax_minor",
    ]
    .map(String::from)
    .to_vec();
    header.extend(TENDER_KINDS.iter().map(|k| format!("{}_minor", k.name())));
    header.extend(
        [
            "period_net_minor",
            "late_entries",
            "late_net_minor",
            "late_dates",
            "perpetual_n_sales",
            "perpetual_n_refunds",
            "perpetual_sales_minor",
            "perpetual_refunds_minor",
            "perpetual_net_minor",
            "forced",
            "incomplete_nodes",
            "prev_hash",
            "hash",
            "signature",
        ]
        .map(String::from),
    );
    header
}

/// Closings as CSV, one row each with the figures it adds (`net_minor` is
/// `period_net_minor` plus `late_net_minor`) and the perpetual total after it; `stores`
/// names their tenant and brand.
pub fn closings_csv(out: &mut dyn Write, closings: &[StoredClosing], stores: &[StoreInfo], progress: &mut dyn FnMut(usize, usize)) -> std::io::Result<()> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    writer.write_record(closings_csv_header())?;
    for (idx, stored) in closings.iter().enumerate() {
        let c = parse_body(stored)?;
        let store = stores.iter().find(|s| s.path.store_id == c.store_id);
        let t = &c.total;
        let late_entries: i64 = c.late.iter().map(|l| l.figures.n_entries).sum();
        let late_net: i64 = c.late.iter().map(|l| l.figures.net_minor).sum();
        let mut record: Vec<String> = vec![
            c.store_id.clone(),
            store.map(|s| s.path.tenant.clone()).unwrap_or_default(),
            store.map(|s| s.path.brand.clone()).unwrap_or_default(),
            c.kind.name().to_string(),
            c.period.clone(),
            c.chain_seq.to_string(),
            c.closed_ms.to_string(),
            offset_text(c.utc_offset_min),
            c.from_ms.to_string(),
            c.to_ms.to_string(),
            t.n_entries.to_string(),
            t.n_sales.to_string(),
            t.n_refunds.to_string(),
            t.sales_minor.to_string(),
            t.refunds_minor.to_string(),
            t.net_minor.to_string(),
            t.tax_minor.to_string(),
        ];
        record.extend(TENDER_KINDS.iter().map(|k| t.by_tender.get(k.name()).copied().unwrap_or(0).to_string()));
        let p = &c.perpetual;
        record.extend([
            c.in_period.net_minor.to_string(),
            late_entries.to_string(),
            late_net.to_string(),
            c.late.iter().map(|l| l.date.as_str()).collect::<Vec<_>>().join(" "),
            p.n_sales.to_string(),
            p.n_refunds.to_string(),
            p.sales_minor.to_string(),
            p.refunds_minor.to_string(),
            p.net_minor.to_string(),
            c.forced.to_string(),
            c.incomplete_nodes.iter().map(|n| n.node_id.as_str()).collect::<Vec<_>>().join(" "),
            c.prev_hash.clone(),
            hex::encode(stored.hash),
            hex::encode(stored.signature),
        ]);
        writer.write_record(&record)?;
        progress(idx + 1, closings.len());
    }
    writer.flush()?;
    Ok(())
}

fn tender_json(sums: &Sums) -> serde_json::Value {
    sums.by_tender
        .iter()
        .map(|(kind, t)| (kind.clone(), json!({ "n_payments": t.n_sales, "n_refunds": t.n_refunds, "taken_minor": t.sales, "given_back_minor": t.refunds, "net_minor": t.net() })))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn row_json(row: &Row) -> serde_json::Value {
    let t = &row.sums.totals;
    json!({
        "level": row.level.name(), "tenant": row.tenant, "brand": row.brand, "store_id": row.store_id,
        "n_sales": t.n_sales, "n_refunds": t.n_refunds, "sales_minor": t.sales, "refunds_minor": t.refunds, "net_minor": t.net(),
        "avg_basket_minor": t.average_basket(), "by_tender": tender_json(&row.sums),
    })
}

/// The report as JSON: `{from, to, rows: [...]}`.
pub fn report_json(report: &StoresReport) -> serde_json::Value {
    json!({ "from": report.from, "to": report.to, "rows": report.rows.iter().map(row_json).collect::<Vec<_>>() })
}

/// The report CSV header.
pub fn report_csv_header() -> Vec<String> {
    let mut header: Vec<String> =
        ["level", "tenant", "brand", "store_id", "from", "to", "n_sales", "n_refunds", "sales_minor", "refunds_minor", "net_minor", "avg_basket_minor"].map(String::from).to_vec();
    header.extend(TENDER_KINDS.iter().map(|k| format!("{}_net_minor", k.name())));
    header
}

/// The report as CSV, one row per store, brand, tenant and the grand total.
pub fn report_csv(out: &mut dyn Write, report: &StoresReport) -> std::io::Result<()> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    writer.write_record(report_csv_header())?;
    for row in &report.rows {
        let t = &row.sums.totals;
        let mut record = vec![
            row.level.name().to_string(),
            row.tenant.clone(),
            row.brand.clone(),
            row.store_id.clone(),
            report.from.clone(),
            report.to.clone(),
            t.n_sales.to_string(),
            t.n_refunds.to_string(),
            t.sales.to_string(),
            t.refunds.to_string(),
            t.net().to_string(),
            t.average_basket().to_string(),
        ];
        record.extend(TENDER_KINDS.iter().map(|k| row.sums.by_tender.get(k.name()).map_or(0, |t| t.net()).to_string()));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
