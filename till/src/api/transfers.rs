//! Stock transfers between stores (调拨) for the back office: list, request, ship,
//! receive, cancel. Every step needs a manager's id and PIN; see `crate::transfers`.

use axum::Json;
use axum::extract::{Path, State};
use opentill_core::i18n::Lang;
use opentill_core::role::Permission;
use opentill_core::transfer::{Transfer, TransferLine};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AcceptLang, ApiError, ApiErrorBody, ApiJson, AppState, run};
use crate::Till;

/// A SKU and a quantity (pieces, or grams for weighed products).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferLineDto {
    /// SKU.
    pub sku: String,
    /// Quantity.
    pub qty: i64,
}

/// One SKU of a transfer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferLineStatusDto {
    /// SKU.
    pub sku: String,
    /// The product's name in the caller's language (the SKU if the catalog lacks it).
    pub name: String,
    /// `each` or `kg` (then quantities are grams).
    pub unit: String,
    /// Asked for.
    pub requested: i64,
    /// Sent.
    pub shipped: i64,
    /// Taken in.
    pub received: i64,
    /// On the road now.
    pub in_transit: i64,
    /// Received less shipped once received (negative: short).
    pub variance: i64,
}

/// A step taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferStepDto {
    /// `requested`, `shipped`, `received`, `cancelled`.
    pub step: String,
    /// The store that took it.
    pub store: String,
    /// Who.
    pub by: String,
    /// When (unix ms).
    pub ts_ms: i64,
    /// Their note.
    pub note: Option<String>,
}

/// A transfer as this store holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferDto {
    /// Id.
    pub transfer_id: String,
    /// Sending store.
    pub from_store: String,
    /// Receiving store.
    pub to_store: String,
    /// `in` (to this store) or `out` (from it).
    pub direction: String,
    /// `requested`, `in_transit`, `received`, `cancelled`.
    pub state: String,
    /// The state in the caller's language.
    pub state_label: String,
    /// Per SKU.
    pub lines: Vec<TransferLineStatusDto>,
    /// The steps, oldest first.
    pub history: Vec<TransferStepDto>,
    /// A cancellation crossed a shipment; the shipment stands.
    pub cancel_overridden: bool,
    /// When last moved (unix ms).
    pub updated_ms: i64,
}

/// Transfers and the stores they can name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransfersDto {
    /// This store.
    pub store_id: String,
    /// The tenant's other stores, as the cloud last said (empty before the first sync).
    pub stores: Vec<String>,
    /// Transfers to or from this store, most recently moved first.
    pub transfers: Vec<TransferDto>,
}

/// This store asks another for goods.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferRequestDto {
    /// The store to send them.
    pub from_store: String,
    /// What.
    pub lines: Vec<TransferLineDto>,
    /// Why, or anything the other store should know.
    #[serde(default)]
    pub note: Option<String>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// This store ships: against a request, or straight to a store.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ShipRequest {
    /// The request shipped; absent for a shipment nobody asked for.
    #[serde(default)]
    pub transfer_id: Option<String>,
    /// The receiving store, when there is no request.
    #[serde(default)]
    pub to_store: Option<String>,
    /// What leaves; absent ships what was asked for.
    #[serde(default)]
    pub lines: Option<Vec<TransferLineDto>>,
    /// A note (a waybill number).
    #[serde(default)]
    pub note: Option<String>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// This store receives; absent lines means everything arrived as shipped.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferReceiveRequest {
    /// What arrived, per SKU shipped (0: none of it).
    #[serde(default)]
    pub lines: Option<Vec<TransferLineDto>>,
    /// A note (what was damaged).
    #[serde(default)]
    pub note: Option<String>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// Either store calls a transfer off before shipping.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferCancelRequest {
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

fn lines(dto: Vec<TransferLineDto>) -> Vec<TransferLine> {
    dto.into_iter().map(|l| TransferLine { sku: l.sku, qty: l.qty }).collect()
}

fn step_name(step: opentill_core::transfer::Step) -> &'static str {
    use opentill_core::transfer::Step;
    match step {
        Step::Requested => "requested",
        Step::Shipped => "shipped",
        Step::Received => "received",
        Step::Cancelled => "cancelled",
    }
}

/// The transfer as the API shows it to `lang`.
pub fn transfer_dto(till: &Till, t: Transfer, lang: Lang) -> TransferDto {
    let store = till.replica().settings().store_id.clone();
    let name = |sku: &str| match till.replica().product_by_sku(sku).ok().flatten() {
        Some(p) if lang == Lang::Zh => (p.name_zh, p.unit.name().to_string()),
        Some(p) => (p.name, p.unit.name().to_string()),
        None => (sku.to_string(), "each".to_string()),
    };
    TransferDto {
        direction: if t.to_store == store { "in" } else { "out" }.into(),
        state: t.state.as_str().into(),
        state_label: t.state.label(lang).into(),
        lines: t
            .lines
            .iter()
            .map(|l| {
                let (name, unit) = name(&l.sku);
                TransferLineStatusDto { sku: l.sku.clone(), name, unit, requested: l.requested, shipped: l.shipped, received: l.received, in_transit: l.in_transit(t.state), variance: l.variance(t.state) }
            })
            .collect(),
        history: t.history.iter().map(|h| TransferStepDto { step: step_name(h.step).into(), store: h.store.clone(), by: h.by.clone(), ts_ms: h.ts_ms, note: h.note.clone() }).collect(),
        cancel_overridden: t.cancel_overridden,
        updated_ms: t.updated_ms(),
        transfer_id: t.transfer_id,
        from_store: t.from_store,
        to_store: t.to_store,
    }
}

/// Transfers to and from this store, and the stores a transfer can name.
#[utoipa::path(get, path = "/api/transfers", responses((status = 200, body = TransfersDto)))]
pub async fn list_transfers(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<TransfersDto>, ApiError> {
    run(&state, lang, move |till| {
        let transfers = till.transfers()?.into_iter().map(|t| transfer_dto(till, t, lang)).collect();
        Ok(TransfersDto { store_id: till.replica().settings().store_id.clone(), stores: till.transfer_stores()?, transfers })
    })
    .await
    .map(Json)
}

/// One transfer.
#[utoipa::path(get, path = "/api/transfers/{transfer_id}", params(("transfer_id" = String, Path, description = "Transfer")), responses((status = 200, body = TransferDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_transfer(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(transfer_id): Path<String>) -> Result<Json<TransferDto>, ApiError> {
    run(&state, lang, move |till| Ok(transfer_dto(till, till.transfer(&transfer_id)?, lang))).await.map(Json)
}

/// Ask another store for goods (journaled; it sees the request once both have synced).
#[utoipa::path(post, path = "/api/transfers", request_body = TransferRequestDto, responses((status = 200, body = TransferDto), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn request_transfer(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<TransferRequestDto>) -> Result<Json<TransferDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "request a transfer")?;
        let t = till.request_transfer(&req.from_store, lines(req.lines), req.note.as_deref(), &actor.user_id)?;
        Ok(transfer_dto(till, t, lang))
    })
    .await
    .map(Json)
}

/// Ship goods to another store (journaled; stock leaves this store).
#[utoipa::path(post, path = "/api/transfers/ship", request_body = ShipRequest, responses((status = 200, body = TransferDto), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn ship_transfer(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<ShipRequest>) -> Result<Json<TransferDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "ship a transfer")?;
        let t = till.ship_transfer(req.transfer_id.as_deref(), req.to_store.as_deref(), req.lines.map(lines), req.note.as_deref(), &actor.user_id)?;
        Ok(transfer_dto(till, t, lang))
    })
    .await
    .map(Json)
}

/// Receive a transfer in transit to this store (journaled; stock arrives).
#[utoipa::path(post, path = "/api/transfers/{transfer_id}/receive", params(("transfer_id" = String, Path, description = "Transfer")), request_body = TransferReceiveRequest, responses((status = 200, body = TransferDto), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn receive_transfer(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(transfer_id): Path<String>, ApiJson(req): ApiJson<TransferReceiveRequest>) -> Result<Json<TransferDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "receive a transfer")?;
        let t = till.receive_transfer(&transfer_id, req.lines.map(lines), req.note.as_deref(), &actor.user_id)?;
        Ok(transfer_dto(till, t, lang))
    })
    .await
    .map(Json)
}

/// Cancel a transfer that has not shipped.
#[utoipa::path(post, path = "/api/transfers/{transfer_id}/cancel", params(("transfer_id" = String, Path, description = "Transfer")), request_body = TransferCancelRequest, responses((status = 200, body = TransferDto), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn cancel_transfer(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(transfer_id): Path<String>, ApiJson(req): ApiJson<TransferCancelRequest>) -> Result<Json<TransferDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "cancel a transfer")?;
        let t = till.cancel_transfer(&transfer_id, req.reason.as_deref(), &actor.user_id)?;
        Ok(transfer_dto(till, t, lang))
    })
    .await
    .map(Json)
}
