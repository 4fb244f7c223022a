//! Device endpoints: the registry, alerts, vends and the device bridge's counters.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use opentill_core::i18n::Lang;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AcceptLang, ApiError, ApiJson, AppState, run};
use crate::devices::DeviceStatsDto;

/// A device in the registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceDto {
    /// Device id (from its topics).
    pub device: String,
    /// `shelf`, `vending`, `gate`, `scanner`, `display`, `label`, `other`.
    pub kind: String,
    /// Its name in the store's registry (empty: none given).
    pub name: String,
    /// Its Chinese name in the registry.
    pub name_zh: String,
    /// Where it stands.
    pub location: String,
    /// Taken out of service.
    pub retired: bool,
    /// Online now.
    pub online: bool,
    /// Online or offline since (unix ms); null: never heard from here.
    pub since_ms: Option<i64>,
    /// Last message (unix ms); null: never heard from here.
    pub last_seen_ms: Option<i64>,
}

/// A device's registry entry, set by a manager.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeviceRequest {
    /// `shelf`, `vending`, `gate`, `scanner`, `display`, `label` or `other`; default: what
    /// the device announced.
    pub kind: Option<String>,
    /// Its name (may be empty).
    #[serde(default)]
    pub name: String,
    /// Its Chinese name (may be empty).
    #[serde(default)]
    pub name_zh: String,
    /// Where it stands (may be empty).
    #[serde(default)]
    pub location: String,
    /// Take it out of service.
    #[serde(default)]
    pub retired: bool,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

fn device_dto(d: opentill_sync::DeviceRow) -> DeviceDto {
    DeviceDto { device: d.device, kind: d.kind, name: d.name, name_zh: d.name_zh, location: d.location, retired: d.retired, online: d.online, since_ms: d.since_ms, last_seen_ms: d.last_seen_ms }
}

/// An alert for the back office.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    /// Condition id, e.g. `restock:vm-1:A1`.
    pub alert_id: String,
    /// Raised at (unix ms).
    pub ts_ms: i64,
    /// `device_offline`, `low_shelf`, `shrink`, `restock`, `temperature`, `door_open`, `late_dispense`.
    pub kind: String,
    /// The device it is about.
    pub device: String,
    /// What happened.
    pub detail: String,
    /// Cleared at (unix ms), when cleared.
    pub cleared_ms: Option<i64>,
    /// Who cleared it by hand; null when the device cleared it (back in order).
    pub cleared_by: Option<String>,
}

/// A vend from session to settlement.
#[derive(Debug, Serialize, ToSchema)]
pub struct VendDto {
    /// Vend id (the sale id when charged).
    pub vend_id: String,
    /// Machine.
    pub machine: String,
    /// Slot.
    pub slot: String,
    /// SKU.
    pub sku: Option<String>,
    /// Price.
    pub price_minor: i64,
    /// `denied`, `held`, `charged`, `released`.
    pub state: String,
    /// Why denied or released.
    pub reason: Option<String>,
    /// Asked at (unix ms).
    pub created_ms: i64,
}

/// Every known device.
#[utoipa::path(get, path = "/api/devices", responses((status = 200, body = Vec<DeviceDto>)))]
pub(super) async fn devices(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<DeviceDto>>, ApiError> {
    run(&state, lang, |till| {
        Ok(till.replica().devices()?.into_iter().map(device_dto).collect())
    })
    .await
    .map(Json)
}

/// Names a device in the store's shared registry (both languages, where it stands) or
/// retires it; every node of the store gets it when it syncs. A manager's action.
#[utoipa::path(put, path = "/api/devices/{device}", params(("device" = String, Path, description = "Device id")), request_body = DeviceRequest, responses((status = 200, body = DeviceDto), (status = 403, body = super::ApiErrorBody), (status = 422, body = super::ApiErrorBody)))]
pub(super) async fn put_device(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(device): Path<String>, ApiJson(req): ApiJson<DeviceRequest>) -> Result<Json<DeviceDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, opentill_core::role::Permission::Manage, "name a device")?;
        till.register_device(&device, req.kind.as_deref(), &req.name, &req.name_zh, &req.location, req.retired)?;
        let row = till.replica().devices()?.into_iter().find(|d| d.device == device).ok_or_else(|| crate::TillError::BadInput(format!("device {device} is not in the registry")))?;
        Ok(device_dto(row))
    })
    .await
    .map(Json)
}

/// Which alerts.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AlertQuery {
    /// Only the open ones (not cleared), however old.
    #[serde(default)]
    pub open: bool,
}

/// The latest 200 alerts, newest first (`?open=true`: the open ones); the detail in the
/// request's language.
#[utoipa::path(get, path = "/api/alerts", params(AlertQuery), responses((status = 200, body = Vec<AlertDto>)))]
pub(super) async fn alerts(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Query(q): Query<AlertQuery>) -> Result<Json<Vec<AlertDto>>, ApiError> {
    run(&state, lang, move |till| {
        let alerts = if q.open { till.replica().open_alerts(200)? } else { till.replica().alerts(200)? };
        Ok(alerts
            .into_iter()
            .map(|a| {
                let detail = if lang == Lang::Zh && !a.detail_zh.is_empty() { a.detail_zh } else { a.detail };
                AlertDto { alert_id: a.alert_id, ts_ms: a.ts_ms, kind: a.kind, device: a.device, detail, cleared_ms: a.cleared_ms, cleared_by: Some(a.cleared_by).filter(|b| !b.is_empty()) }
            })
            .collect())
    })
    .await
    .map(Json)
}

/// Who clears an alert: any member of staff, by id and PIN; recorded on the alert.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClearAlertRequest {
    /// Staff id.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// Clears an open alert; who cleared it is recorded.
#[utoipa::path(post, path = "/api/alerts/{alert_id}/clear", params(("alert_id" = String, Path, description = "Alert id")), request_body = ClearAlertRequest, responses((status = 200, body = bool), (status = 401, body = super::ApiErrorBody), (status = 404, body = super::ApiErrorBody)))]
pub(super) async fn clear_alert(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(alert_id): Path<String>, ApiJson(req): ApiJson<ClearAlertRequest>) -> Result<Json<bool>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.login(&req.user_id, &req.pin)?;
        till.clear_alert(&alert_id, &actor.user_id).map(|()| true)
    })
    .await
    .map(Json)
}

/// Every vend, oldest first.
#[utoipa::path(get, path = "/api/vends", responses((status = 200, body = Vec<VendDto>)))]
pub(super) async fn vends(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<VendDto>>, ApiError> {
    run(&state, lang, |till| {
        Ok(till
            .replica()
            .vends()?
            .into_iter()
            .map(|v| VendDto { vend_id: v.vend_id, machine: v.machine, slot: v.slot, sku: v.sku, price_minor: v.price_minor, state: v.state.as_str().into(), reason: v.reason, created_ms: v.created_ms })
            .collect())
    })
    .await
    .map(Json)
}

/// People through the gates in one local hour.
#[derive(Debug, Serialize, ToSchema)]
pub struct FootfallHourDto {
    /// Hour of the day, 0–23, local time.
    pub hour: u32,
    /// Entries (gate opened, `in`).
    pub entries: i64,
    /// Exits.
    pub exits: i64,
    /// Refused at a gate.
    pub refused: i64,
}

/// Query of `/api/footfall`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct FootfallQuery {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
}

/// Gate entries, exits and refusals per hour of a day (hours with none are left out).
#[utoipa::path(get, path = "/api/footfall", params(FootfallQuery), responses((status = 200, body = Vec<FootfallHourDto>), (status = 422, body = super::ApiErrorBody)))]
pub(super) async fn footfall(State(state): State<AppState>, AcceptLang(lang): AcceptLang, axum::extract::Query(q): axum::extract::Query<FootfallQuery>) -> Result<Json<Vec<FootfallHourDto>>, ApiError> {
    run(&state, lang, move |till| Ok(till.footfall(&q.date)?.into_iter().map(|(hour, entries, exits, refused)| FootfallHourDto { hour, entries, exits, refused }).collect())).await.map(Json)
}

/// The device bridge's counters: received, handled, refused by reason.
#[utoipa::path(get, path = "/api/devices/metrics", responses((status = 200, body = DeviceStatsDto)))]
pub(super) async fn metrics(State(state): State<AppState>) -> Json<DeviceStatsDto> {
    Json(state.stats.snapshot())
}

/// Which scanner a till takes codes from.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ScanQuery {
    /// Only this scanner's codes (its device id, the till's lane); every scanner's without.
    pub scanner: Option<String>,
}

/// Server-sent events: each code a networked scanner reads (`scanner/{device}/scan`), as
/// `NetworkScan` JSON, from the moment the till connects. The till rings it up as if it
/// had been scanned at the till.
#[utoipa::path(get, path = "/api/scans/events", params(ScanQuery), responses((status = 200, description = "An event stream; each event's data is a NetworkScan", content_type = "text/event-stream", body = crate::devices::NetworkScan)))]
pub async fn scan_events(State(state): State<AppState>, Query(q): Query<ScanQuery>) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    use tokio::sync::broadcast::error::RecvError;
    let listening = state.stats().listen_scans();
    let stream = futures_util::stream::unfold((listening, q.scanner), |(mut rx, only)| async move {
        loop {
            match rx.recv().await {
                Ok(scan) if only.as_ref().is_none_or(|s| *s == scan.scanner) => {
                    let event = Event::default().id(scan.id.clone()).json_data(&scan).unwrap_or_default();
                    return Some((Ok(event), (rx, only)));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
