//! Admin routes for period closings, reports across stores and their exports.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/closings` | JSON `{store_id, kind: day\|month\|year, period, force?}` → 201 and the sealed closing `{hash, signature, closing}`; 409 `{kind, message, nodes_behind?}` when the rules refuse it |
//! | `GET /v1/closings?store=&kind=&format=json\|csv` | closings, by store, kind and chain order |
//! | `GET /v1/reports/stores?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv]` | per store, brand and tenant: sales, refunds, net, 客单价, by tender |
//!
//! Messages follow `Accept-Language` (`zh…` or English, the default).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ed25519_dalek::SigningKey;
use opentill_core::i18n::Lang;
use serde::Deserialize;
use serde_json::json;

use super::{Shared, error, storage_error, with_ledger};
use crate::close::{CloseError, close};
use crate::closing::{Period, PeriodKind, Refusal};
use crate::export::{self, Format};
use crate::now_ms;

/// The closing routes' state: the storage and the key closings are signed with.
#[derive(Clone)]
pub struct ClosingState {
    /// The storage.
    pub ledger: Shared,
    /// The cloud's closing key (`None`: this server cannot close periods).
    pub key: Option<Arc<SigningKey>>,
}

fn lang(headers: &HeaderMap) -> Lang {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(|v| Lang::parse(v.split([',', ';']).next().unwrap_or(""))).unwrap_or(Lang::En)
}

/// The `format` parameter (JSON when absent); `None` if it is neither.
fn format_of(text: Option<&str>) -> Option<Format> {
    text.map_or(Some(Format::Json), Format::parse)
}

fn bad_format() -> Response {
    error(400, "bad_request", "format must be json or csv")
}

fn csv_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response()
}

fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// `POST /v1/closings` body.
#[derive(Debug, Deserialize)]
struct CloseRequest {
    store_id: String,
    kind: String,
    period: String,
    #[serde(default)]
    force: bool,
}

#[tracing::instrument(skip_all)]
pub(super) async fn post_closing(State(state): State<ClosingState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let lang = lang(&headers);
    let request: CloseRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("closing request: {e}")),
    };
    let Some(kind) = PeriodKind::parse(&request.kind) else { return error(400, "bad_request", "kind must be day, month or year") };
    let Some(period) = Period::parse(&request.period).filter(|p| p.kind() == kind) else {
        return error(400, "bad_request", format!("period {:?} is not a {} (YYYY-MM-DD, YYYY-MM or YYYY)", request.period, kind.name()));
    };
    let Some(key) = state.key.clone() else { return error(503, "no_closing_key", "this server was started without the cloud's closing key") };
    let store_id = request.store_id.clone();
    let outcome = with_ledger(&state.ledger, move |l| close(l, &key, &store_id, period, request.force, now_ms())).await;
    match outcome {
        Err(r) => r,
        Ok(Ok(sealed)) => json_bytes_response(StatusCode::CREATED, export::closing_json(&sealed.stored())),
        Ok(Err(CloseError::Refused(refusal))) => {
            let mut body = json!({ "kind": refusal.kind(), "message": refusal.message(lang) });
            if let Refusal::NodesBehind { nodes, .. } = &refusal {
                body["nodes_behind"] = serde_json::to_value(nodes).unwrap_or_default();
            }
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
        Ok(Err(e @ CloseError::UnknownStore(_))) => error(404, e.kind(), e.message(lang)),
        Ok(Err(e @ CloseError::Raced)) => error(409, e.kind(), e.message(lang)),
        Ok(Err(e)) => error(500, e.kind(), e.message(lang)),
    }
}

/// `GET /v1/closings` query.
#[derive(Debug, Deserialize)]
pub(super) struct ClosingsQuery {
    store: Option<String>,
    kind: Option<String>,
    format: Option<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn get_closings(State(state): State<ClosingState>, Query(query): Query<ClosingsQuery>) -> Response {
    let Some(format) = format_of(query.format.as_deref()) else { return bad_format() };
    let kind = match query.kind.as_deref().map(PeriodKind::parse) {
        Some(None) => return error(400, "bad_request", "kind must be day, month or year"),
        Some(Some(k)) => Some(k),
        None => None,
    };
    let store = query.store.clone();
    let found = with_ledger(&state.ledger, move |l| -> Result<_, crate::ledger::LedgerError> { Ok((l.closings(store.as_deref(), kind)?, l.stores()?)) }).await;
    let (closings, stores) = match found {
        Err(r) => return r,
        Ok(Err(e)) => return storage_error(e),
        Ok(Ok(found)) => found,
    };
    let mut out = Vec::new();
    let written = match format {
        Format::Json => export::closings_json(&mut out, &closings, &mut |_, _| {}),
        Format::Csv => export::closings_csv(&mut out, &closings, &stores, &mut |_, _| {}),
    };
    match (written, format) {
        (Err(e), _) => error(500, "corrupt", e.to_string()),
        (Ok(()), Format::Json) => json_bytes_response(StatusCode::OK, out),
        (Ok(()), Format::Csv) => csv_response(out),
    }
}

/// `GET /v1/reports/stores` query.
#[derive(Debug, Deserialize)]
pub(super) struct ReportQuery {
    from: String,
    to: String,
    format: Option<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn get_stores_report(State(state): State<ClosingState>, Query(query): Query<ReportQuery>) -> Response {
    let Some(format) = format_of(query.format.as_deref()) else { return bad_format() };
    let day = |text: &str| Period::parse(text).filter(|p| p.kind() == PeriodKind::Day);
    let (Some(from), Some(to)) = (day(&query.from), day(&query.to)) else { return error(400, "bad_request", "from and to must be dates, YYYY-MM-DD") };
    if to < from {
        return error(400, "bad_request", "to is before from");
    }
    let report = match with_ledger(&state.ledger, move |l| crate::report::stores_report(l, from, to, &mut |_, _| {})).await {
        Err(r) => return r,
        Ok(Err(e)) => return storage_error(e),
        Ok(Ok(report)) => report,
    };
    match format {
        Format::Json => Json(export::report_json(&report)).into_response(),
        Format::Csv => {
            let mut out = Vec::new();
            match export::report_csv(&mut out, &report) {
                Ok(()) => csv_response(out),
                Err(e) => error(500, "internal", e.to_string()),
            }
        }
    }
}

/// Query of `GET /v1/reports/analytics`.
#[derive(Debug, Deserialize)]
pub(super) struct AnalyticsQuery {
    tenant: String,
    store: Option<String>,
    by: String,
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
    /// `csv` (default) or `text`.
    format: Option<String>,
    /// `zh` or `en` (default).
    lang: Option<String>,
}

/// A till's analytics report across a tenant's stores (or one of them), folded from their
/// journals ([`crate::analytics`]): CSV, or the text the CLI prints.
#[tracing::instrument(skip_all)]
pub(super) async fn get_analytics(State(state): State<ClosingState>, Query(q): Query<AnalyticsQuery>) -> Response {
    use opentill_core::analytics::{By, report_csv, report_text};
    let Some(by) = By::parse(&q.by) else {
        let names: Vec<&str> = By::ALL.iter().map(|b| b.name()).collect();
        return error(400, "bad_request", format!("by must be one of {}", names.join(", ")));
    };
    let text = match q.format.as_deref() {
        None | Some("csv") => false,
        Some("text") => true,
        Some(other) => return error(400, "bad_request", format!("format must be csv or text, not {other:?}")),
    };
    let lang = if q.lang.as_deref() == Some("zh") { Lang::Zh } else { Lang::En };
    let limit = q.limit.unwrap_or(20).clamp(1, 1_000);
    let (tenant, store, from, to) = (q.tenant, q.store, q.from, q.to);
    let report = match with_ledger(&state.ledger, move |l| crate::analytics::analytics(l, by, &tenant, store.as_deref(), from.as_deref(), to.as_deref(), limit, &mut |_, _| {})).await {
        Err(r) => return r,
        Ok(Err(crate::analytics::AnalyticsError::Ledger(e))) => return storage_error(e),
        Ok(Err(e @ crate::analytics::AnalyticsError::NoStore { .. })) => return error(404, "unknown_store", e.to_string()),
        Ok(Err(e)) => return error(400, "bad_request", e.to_string()),
        Ok(Ok(report)) => report,
    };
    let currency = opentill_core::money::Currency::CNY;
    if text {
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], report_text(&report, currency, lang)).into_response()
    } else {
        csv_response(report_csv(&report, currency, lang).into_bytes())
    }
}
