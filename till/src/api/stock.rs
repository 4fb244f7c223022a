//! Stock and purchasing endpoints for the back office: suppliers, purchase orders and
//! receiving, amending and cancelling them, stocktakes (of the store or of one place),
//! and replenishment suggestions. Changes need a manager's PIN.

use axum::Json;
use axum::extract::{Path, Query, State};
use opentill_core::role::Permission;
use opentill_core::stock::{PoLine, ReceivedLine};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AcceptLang, ApiError, ApiErrorBody, ApiJson, AppState, run};
use crate::stock::{PoView, ReplenishPolicy, StocktakeReport};

/// A supplier.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SupplierDto {
    /// Id.
    pub supplier_id: String,
    /// Name.
    pub name: String,
    /// Days from order to delivery.
    pub lead_time_days: i64,
    /// Contact number.
    pub phone: Option<String>,
}

/// A supplier to add or replace; a manager's id and PIN authorise it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SupplierRequest {
    /// The supplier.
    pub supplier: SupplierDto,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// A purchase order line, or goods received.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockLineDto {
    /// SKU.
    pub sku: String,
    /// Pieces, or grams for weighed products.
    pub qty: i64,
    /// Cost per piece (or kg), minor units: purchase orders only.
    #[serde(default)]
    pub unit_cost_minor: Option<i64>,
}

/// A purchase order to place.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderRequest {
    /// Supplier.
    pub supplier_id: String,
    /// Lines.
    pub lines: Vec<StockLineDto>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// Goods received against an order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReceiveRequest {
    /// What arrived.
    pub lines: Vec<StockLineDto>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// An amendment of a purchase order: the new quantity and unit cost of each SKU named (a
/// SKU not on the order joins it; lines not named stay as they are). A line without a
/// cost keeps the one it is ordered at (a new SKU: 0).
#[derive(Debug, Deserialize, ToSchema)]
pub struct AmendOrderRequest {
    /// The lines to change or add.
    pub lines: Vec<StockLineDto>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// A purchase order to cancel.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelOrderRequest {
    /// Why (1 to 200 characters).
    pub reason: String,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// One line of a purchase order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoLineDto {
    /// SKU.
    pub sku: String,
    /// The product's name, when the SKU is in the catalog.
    pub name: Option<String>,
    /// The product's Chinese name, when the SKU is in the catalog.
    pub name_zh: Option<String>,
    /// Ordered.
    pub ordered: i64,
    /// Cost per piece (or kg), minor units.
    pub unit_cost_minor: i64,
    /// Received so far.
    pub received: i64,
    /// Still to come (0 once the order is cancelled).
    pub outstanding: i64,
    /// Received beyond the order.
    pub over: i64,
    /// Closed by a cancellation: what was still to come then.
    pub closed: i64,
}

/// A purchase order and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseOrderDto {
    /// Id.
    pub po_id: String,
    /// Supplier.
    pub supplier_id: String,
    /// Placed, unix ms.
    pub ordered_ms: i64,
    /// `open`, `partial`, `received`, `over` or `cancelled`.
    pub state: String,
    /// Lines.
    pub lines: Vec<PoLineDto>,
    /// Last amended, unix ms.
    pub amended_ms: Option<i64>,
    /// Cancelled, unix ms.
    pub cancelled_ms: Option<i64>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
}

/// An order with its lines named from the catalog (a SKU not in it goes unnamed).
fn po_dto(till: &crate::Till, po: PoView) -> crate::Result<PurchaseOrderDto> {
    let mut lines = Vec::with_capacity(po.lines.len());
    for l in &po.lines {
        let product = till.replica().product_by_sku(&l.sku)?;
        lines.push(PoLineDto {
            sku: l.sku.clone(),
            name: product.as_ref().map(|p| p.name.clone()),
            name_zh: product.map(|p| p.name_zh),
            ordered: l.ordered,
            unit_cost_minor: po.unit_cost(&l.sku).unwrap_or(0),
            received: l.received,
            outstanding: po.outstanding(l),
            over: l.over(),
            closed: po.closed(l),
        });
    }
    Ok(PurchaseOrderDto {
        state: po.state.into(),
        lines,
        amended_ms: po.row.amended_ms,
        cancelled_ms: po.row.cancelled.as_ref().map(|c| c.0),
        cancel_reason: po.row.cancelled.as_ref().map(|c| c.1.clone()),
        po_id: po.row.po_id,
        supplier_id: po.row.supplier_id,
        ordered_ms: po.row.ordered_ms,
    })
}

/// Open a stocktake.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StocktakeRequest {
    /// Only this category; the whole store without.
    #[serde(default)]
    pub category: Option<String>,
    /// Only this place (`floor`, `backroom`, `warehouse`): what is expected is what it
    /// holds, and posting corrects it. Without: the store's total, corrected on the floor.
    #[serde(default)]
    pub location: Option<String>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// A count.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CountRequest {
    /// Barcode or SKU.
    pub code: String,
    /// Pieces, or grams for weighed products.
    pub counted: i64,
}

/// One counted SKU.
#[derive(Debug, Serialize, ToSchema)]
pub struct VarianceDto {
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// On hand by the journal.
    pub expected: i64,
    /// Counted.
    pub counted: i64,
    /// Counted minus expected.
    pub delta: i64,
    /// At the selling price, minor units.
    pub value_minor: i64,
}

/// A stocktake's variance report.
#[derive(Debug, Serialize, ToSchema)]
pub struct StocktakeDto {
    /// Id.
    pub stocktake_id: String,
    /// Scope.
    pub category: Option<String>,
    /// The place counted; none: the store's total.
    pub location: Option<String>,
    /// Posted (closed).
    pub posted: bool,
    /// Counted SKUs.
    pub lines: Vec<VarianceDto>,
    /// Sum of the variances' values.
    pub value_minor: i64,
    /// SKUs in scope with stock that nobody counted.
    pub uncounted: Vec<String>,
}

fn stocktake_dto(r: StocktakeReport) -> StocktakeDto {
    StocktakeDto {
        value_minor: r.value(),
        lines: r.lines.iter().map(|l| VarianceDto { sku: l.product.sku.clone(), name: l.product.name.clone(), name_zh: l.product.name_zh.clone(), expected: l.expected, counted: l.counted, delta: l.delta(), value_minor: l.value() }).collect(),
        uncounted: r.uncounted.into_iter().map(|(sku, _)| sku).collect(),
        stocktake_id: r.stocktake_id,
        category: r.category,
        location: r.location,
        posted: r.posted,
    }
}

/// The window and horizon of replenishment.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReplenishQuery {
    /// Sales over this many days make the velocity (28).
    pub days: Option<i64>,
    /// Safety stock in days of sales (3).
    pub safety_days: Option<i64>,
    /// Days until the next order (7).
    pub review_days: Option<i64>,
}

/// A replenishment suggestion.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionDto {
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// `each` (quantities in pieces) or `kg` (in grams).
    pub unit: String,
    /// Sold a day, thousandths.
    pub daily_milli: i64,
    /// On hand plus on order.
    pub position: i64,
    /// Order at or under this.
    pub reorder_point: i64,
    /// Suggested order.
    pub qty: i64,
    /// Days the position lasts.
    pub days_of_cover: Option<i64>,
}

/// Suppliers.
#[utoipa::path(get, path = "/api/suppliers", responses((status = 200, body = [SupplierDto])))]
pub async fn suppliers(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<SupplierDto>>, ApiError> {
    run(&state, lang, |till| Ok(till.suppliers()?.into_iter().map(|s| SupplierDto { supplier_id: s.supplier_id, name: s.name, lead_time_days: s.lead_time_days, phone: s.phone }).collect())).await.map(Json)
}

/// Add or replace a supplier; needs a manager.
#[utoipa::path(post, path = "/api/suppliers", request_body = SupplierRequest, responses((status = 200, body = SupplierDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_supplier(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<SupplierRequest>) -> Result<Json<SupplierDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "manage suppliers")?;
        let s = req.supplier;
        till.put_supplier(&s.supplier_id, &s.name, s.lead_time_days, s.phone.as_deref())?;
        Ok(s)
    })
    .await
    .map(Json)
}

/// Purchase orders, newest first.
#[utoipa::path(get, path = "/api/purchase-orders", responses((status = 200, body = [PurchaseOrderDto])))]
pub async fn purchase_orders(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<PurchaseOrderDto>>, ApiError> {
    run(&state, lang, |till| till.purchase_orders()?.into_iter().map(|po| po_dto(till, po)).collect()).await.map(Json)
}

/// Place a purchase order (journaled); needs a manager. An unknown SKU is refused.
#[utoipa::path(post, path = "/api/purchase-orders", request_body = OrderRequest, responses((status = 200, body = PurchaseOrderDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn place_order(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<OrderRequest>) -> Result<Json<PurchaseOrderDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "place a purchase order")?;
        let lines = req.lines.into_iter().map(|l| PoLine { sku: l.sku, qty: l.qty, unit_cost: l.unit_cost_minor.unwrap_or(0) }).collect();
        let po = till.place_order(&req.supplier_id, lines, &actor.user_id)?;
        po_dto(till, po)
    })
    .await
    .map(Json)
}

/// Receive goods against an order (journaled; partial, complete or over); needs a manager.
#[utoipa::path(post, path = "/api/purchase-orders/{po_id}/receive", params(("po_id" = String, Path, description = "Order")), request_body = ReceiveRequest, responses((status = 200, body = PurchaseOrderDto), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn receive(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(po_id): Path<String>, ApiJson(req): ApiJson<ReceiveRequest>) -> Result<Json<PurchaseOrderDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "receive goods")?;
        let lines = req.lines.into_iter().map(|l| ReceivedLine { sku: l.sku, qty: l.qty }).collect();
        let po = till.receive(Some(&po_id), lines, &actor.user_id)?;
        po_dto(till, po.ok_or_else(|| crate::TillError::BadInput("no order".into()))?)
    })
    .await
    .map(Json)
}

/// Amend a purchase order (journaled): new quantities and costs, new SKUs; needs a
/// manager. Not below what was received, nor once cancelled or fully received.
#[utoipa::path(post, path = "/api/purchase-orders/{po_id}/amend", params(("po_id" = String, Path, description = "Order")), request_body = AmendOrderRequest, responses((status = 200, body = PurchaseOrderDto), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn amend_order(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(po_id): Path<String>, ApiJson(req): ApiJson<AmendOrderRequest>) -> Result<Json<PurchaseOrderDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "amend a purchase order")?;
        let order = till.purchase_order(&po_id)?;
        let lines = req.lines.into_iter().map(|l| PoLine { unit_cost: l.unit_cost_minor.or_else(|| order.unit_cost(&l.sku)).unwrap_or(0), sku: l.sku, qty: l.qty }).collect();
        let po = till.amend_order(&po_id, lines, &actor.user_id)?;
        po_dto(till, po)
    })
    .await
    .map(Json)
}

/// Cancel a purchase order (journaled), with a reason; needs a manager. What is still
/// outstanding closes; what was received stays.
#[utoipa::path(post, path = "/api/purchase-orders/{po_id}/cancel", params(("po_id" = String, Path, description = "Order")), request_body = CancelOrderRequest, responses((status = 200, body = PurchaseOrderDto), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn cancel_order(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(po_id): Path<String>, ApiJson(req): ApiJson<CancelOrderRequest>) -> Result<Json<PurchaseOrderDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "cancel a purchase order")?;
        let po = till.cancel_order(&po_id, &req.reason, &actor.user_id)?;
        po_dto(till, po)
    })
    .await
    .map(Json)
}

/// Open a stocktake of the store or one category, of the total or one place; needs a
/// manager.
#[utoipa::path(post, path = "/api/stocktakes", request_body = StocktakeRequest, responses((status = 200, body = StocktakeDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn open_stocktake(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<StocktakeRequest>) -> Result<Json<StocktakeDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "open a stocktake")?;
        let id = till.open_stocktake(req.category.as_deref(), req.location.as_deref())?;
        Ok(stocktake_dto(till.stocktake_report(&id)?))
    })
    .await
    .map(Json)
}

/// A stocktake's variance report.
#[utoipa::path(get, path = "/api/stocktakes/{stocktake_id}", params(("stocktake_id" = String, Path, description = "Stocktake")), responses((status = 200, body = StocktakeDto), (status = 422, body = ApiErrorBody)))]
pub async fn stocktake(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(id): Path<String>) -> Result<Json<StocktakeDto>, ApiError> {
    run(&state, lang, move |till| Ok(stocktake_dto(till.stocktake_report(&id)?))).await.map(Json)
}

/// Record a count (a recount replaces it); scanning staff need no PIN.
#[utoipa::path(post, path = "/api/stocktakes/{stocktake_id}/counts", params(("stocktake_id" = String, Path, description = "Stocktake")), request_body = CountRequest, responses((status = 200, body = StocktakeDto), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn count(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(id): Path<String>, ApiJson(req): ApiJson<CountRequest>) -> Result<Json<StocktakeDto>, ApiError> {
    run(&state, lang, move |till| {
        till.count(&id, &req.code, req.counted)?;
        Ok(stocktake_dto(till.stocktake_report(&id)?))
    })
    .await
    .map(Json)
}

/// Post a stocktake (journaled): counted stock becomes on hand; needs a manager.
#[utoipa::path(post, path = "/api/stocktakes/{stocktake_id}/post", params(("stocktake_id" = String, Path, description = "Stocktake")), request_body = ManagerPin, responses((status = 200, body = StocktakeDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn post_stocktake(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(id): Path<String>, ApiJson(req): ApiJson<ManagerPin>) -> Result<Json<StocktakeDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "post a stocktake")?;
        Ok(stocktake_dto(till.post_stocktake(&id, &actor.user_id)?))
    })
    .await
    .map(Json)
}

/// A manager's id and PIN.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ManagerPin {
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// What to reorder now, most urgent first.
#[utoipa::path(get, path = "/api/replenishment", params(ReplenishQuery), responses((status = 200, body = [SuggestionDto])))]
pub async fn replenishment(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Query(q): Query<ReplenishQuery>) -> Result<Json<Vec<SuggestionDto>>, ApiError> {
    let base = ReplenishPolicy::default();
    let policy = ReplenishPolicy { days: q.days.unwrap_or(base.days), safety_days: q.safety_days.unwrap_or(base.safety_days), review_days: q.review_days.unwrap_or(base.review_days), ..base };
    run(&state, lang, move |till| {
        Ok(till
            .replenishment(policy)?
            .into_iter()
            .map(|(p, s)| SuggestionDto { sku: p.sku, name: p.name, name_zh: p.name_zh, unit: p.unit.name().to_string(), daily_milli: s.daily_milli, position: s.position, reorder_point: s.reorder_point, qty: s.qty, days_of_cover: s.days_of_cover })
            .collect())
    })
    .await
    .map(Json)
}
