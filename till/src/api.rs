//! The local HTTP API: the till's operations as JSON over HTTP, described by an OpenAPI
//! document at `/api/openapi.json`. The UI (in a browser or the Tauri window) and scripts
//! use this one API. Errors are `{ "kind": ..., "message": ... }`; the message follows
//! the request's `Accept-Language` (`zh-CN` by default, or `en`).
//!
//! Handlers only convert: DTOs in, one [`Till`] call, DTOs out. The till is behind a
//! mutex and called on the blocking pool, since every write waits for an fsync.

use std::sync::{Arc, Mutex};

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use opentill_core::analytics::{By, Conversion, ConversionRow, Members, Report, Row, Spend, Totals, members_csv, report_csv};
use opentill_core::catalog::Product;
use opentill_core::i18n::Lang;
use opentill_core::journal::CashDirection;
use opentill_core::report::SalesReport;
use opentill_core::role::{Actor, Permission};
use opentill_core::sale::SaleRecord;
use opentill_core::shift::ShiftReport;
use opentill_core::tender::{AppliedTender, Tender, TenderKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::devices::DeviceStats;
use crate::{ScanInput, Till, TillError};

mod catalog;
mod devices;
mod import;
mod o2o;
mod promotions;
mod settings;
mod stock;
mod transfers;

/// The router type, re-exported so binaries need not depend on axum.
pub type Router = axum::Router;

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(listener: tokio::net::TcpListener, app: Router, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = stopping.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    // Requests in flight finish; open event streams (`/api/scans/events`) would hold the
    // shutdown up for ever, so they get two seconds.
    tokio::select! {
        served = server => served,
        () = async {
            if stopped.await.is_ok() {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => Ok(()),
    }
}

/// Shared state of the router.
#[derive(Clone)]
pub struct AppState {
    till: Arc<Mutex<Till>>,
    jobs: Arc<import::Jobs>,
    stats: Arc<DeviceStats>,
    printer: Option<opentill_hardware::transport::PrinterAddress>,
}

impl AppState {
    /// Wraps a till.
    pub fn new(till: Till) -> AppState {
        AppState { till: Arc::new(Mutex::new(till)), jobs: Arc::default(), stats: Arc::default(), printer: None }
    }

    /// Prints every new sale's receipt on this printer (`serve --printer`).
    pub fn with_printer(mut self, printer: opentill_hardware::transport::PrinterAddress) -> AppState {
        self.printer = Some(printer);
        self
    }

    /// The till, shared with the device bridge.
    pub fn till(&self) -> Arc<Mutex<Till>> {
        self.till.clone()
    }

    /// The device bridge's counters.
    pub fn stats(&self) -> Arc<DeviceStats> {
        self.stats.clone()
    }
}

/// The router with every endpoint under `/api`.
pub fn router(state: AppState) -> Router {
    axum::Router::<AppState>::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/health", get(health))
        .route("/api/products", get(search_products))
        .route("/api/products/barcode/{code}", get(product_by_barcode))
        .route("/api/scan/{code}", get(understand_scan))
        .route("/api/categories", get(categories))
        .route("/api/categories/{category}/products", get(category_products))
        .route("/api/sales", post(create_sale))
        .route("/api/basket/price", post(price_basket))
        .route("/api/approvals", post(approve))
        .route("/api/sales/{sale_id}", get(get_sale))
        .route("/api/sales/void", post(void_sale))
        .route("/api/sales/{sale_id}/print", post(print_sale))
        .route("/api/printer", get(printer_status))
        .route("/api/refunds", post(create_refund))
        .route("/api/suspended", get(list_suspended).post(suspend_sale))
        .route("/api/suspended/{basket_id}/resume", post(resume_suspended))
        .route("/api/login", post(login))
        .route("/api/shifts/open", post(open_shift))
        .route("/api/shifts/current", get(current_shift))
        .route("/api/shifts/x-report", post(x_report))
        .route("/api/shifts/close", post(close_shift))
        .route("/api/cash", post(move_cash))
        .route("/api/no-sale", post(no_sale))
        .route("/api/stock/{sku}", get(stock))
        .route("/api/stock/adjust", post(adjust_stock))
        .route("/api/stock/move", post(move_stock))
        .route("/api/catalog/prices", post(set_price))
        .route("/api/catalog/import", post(import::start_import).layer(axum::extract::DefaultBodyLimit::max(import::MAX_CSV_BYTES)))
        .route("/api/jobs/{job_id}", get(import::job))
        .route("/api/catalog/products", post(catalog::put_product))
        .route("/api/catalog/{sku}", get(catalog::catalog_entry))
        .route("/api/low-stock", get(catalog::low_stock))
        .route("/api/reorder-levels", post(catalog::set_reorder_level))
        .route("/api/stored-value/{account}", get(stored_value))
        .route("/api/suppliers", get(stock::suppliers).post(stock::put_supplier))
        .route("/api/purchase-orders", get(stock::purchase_orders).post(stock::place_order))
        .route("/api/purchase-orders/{po_id}/receive", post(stock::receive))
        .route("/api/purchase-orders/{po_id}/amend", post(stock::amend_order))
        .route("/api/purchase-orders/{po_id}/cancel", post(stock::cancel_order))
        .route("/api/stocktakes", post(stock::open_stocktake))
        .route("/api/stocktakes/{stocktake_id}", get(stock::stocktake))
        .route("/api/stocktakes/{stocktake_id}/counts", post(stock::count))
        .route("/api/stocktakes/{stocktake_id}/post", post(stock::post_stocktake))
        .route("/api/replenishment", get(stock::replenishment))
        .route("/api/promotions", get(promotions::promotions).post(promotions::put_promotion))
        .route("/api/promotions/{promotion_id}/remove", post(promotions::remove_promotion))
        .route("/api/coupons", get(promotions::coupons).post(promotions::put_coupon))
        .route("/api/coupons/{coupon_id}/remove", post(promotions::remove_coupon))
        .route("/api/offers/set-aside", get(promotions::offers_set_aside))
        .route("/api/passes/check", post(check_pass))
        .route("/api/members", post(register_member))
        .route("/api/members/{key}", get(get_member))
        .route("/api/members/{key}/redeem", post(redeem_points))
        .route("/api/stored-value/top-up", post(top_up))
        .route("/api/reports/sales", get(sales_report))
        .route("/api/reports/commissions", get(commission_report))
        .route("/api/reports/analytics", get(analytics_report))
        .route("/api/journal/verify", get(verify_journal))
        .route("/api/devices", get(devices::devices))
        .route("/api/devices/{device}", axum::routing::put(devices::put_device))
        .route("/api/devices/metrics", get(devices::metrics))
        .route("/api/scans/events", get(devices::scan_events))
        .route("/api/alerts", get(devices::alerts))
        .route("/api/alerts/{alert_id}/clear", post(devices::clear_alert))
        .route("/api/vends", get(devices::vends))
        .route("/api/footfall", get(devices::footfall))
        .route("/api/o2o/orders", get(o2o::list_orders))
        .route("/api/o2o/orders/{order_id}", get(o2o::get_order))
        .route("/api/o2o/orders/{order_id}/step", post(o2o::order_step))
        .route("/api/o2o/orders/{order_id}/handover", post(o2o::handover))
        .route("/api/member-program", get(settings::member_program).put(settings::put_member_program))
        .route("/api/commission-rules", get(settings::commission_rules).put(settings::put_commission_rules))
        .route("/api/transfers", get(transfers::list_transfers).post(transfers::request_transfer))
        .route("/api/transfers/ship", post(transfers::ship_transfer))
        .route("/api/transfers/{transfer_id}", get(transfers::get_transfer))
        .route("/api/transfers/{transfer_id}/receive", post(transfers::receive_transfer))
        .route("/api/transfers/{transfer_id}/cancel", post(transfers::cancel_transfer))
        .fallback(not_found)
        .with_state(state)
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "OpenTill local API", description = "Till operations of one OpenTill node. Amounts are integers in minor units (fen)."),
    paths(health, search_products, product_by_barcode, understand_scan, categories, category_products, create_sale, price_basket, approve, void_sale, get_sale, print_sale, printer_status, create_refund, suspend_sale, list_suspended, resume_suspended, login, open_shift, current_shift, x_report, close_shift, move_cash, no_sale, stock, adjust_stock, move_stock, set_price, catalog::catalog_entry, catalog::put_product, import::start_import, import::job, catalog::low_stock, catalog::set_reorder_level, stored_value, top_up, register_member, get_member, redeem_points, check_pass, stock::suppliers, stock::put_supplier, stock::purchase_orders, stock::place_order, stock::receive, stock::amend_order, stock::cancel_order, stock::open_stocktake, stock::stocktake, stock::count, stock::post_stocktake, stock::replenishment, promotions::promotions, promotions::put_promotion, promotions::remove_promotion, promotions::coupons, promotions::put_coupon, promotions::remove_coupon, promotions::offers_set_aside, sales_report, analytics_report, commission_report, verify_journal, devices::devices, devices::put_device, devices::metrics, devices::scan_events, devices::alerts, devices::clear_alert, devices::vends, devices::footfall, transfers::list_transfers, transfers::get_transfer, transfers::request_transfer, transfers::ship_transfer, transfers::receive_transfer, transfers::cancel_transfer, o2o::list_orders, o2o::get_order, o2o::order_step, o2o::handover, settings::member_program, settings::put_member_program, settings::commission_rules, settings::put_commission_rules),
    components(schemas(ApiErrorBody, HealthDto, ProductDto, ScanDto, CategoryDto, SuspendRequest, SuspendedDto, ResumedDto, ResumedItemDto, SaleRequest, VoidRequest, OverrideDto, DiscountDto, AuthorizationDto, ApprovalRequest, ApprovalDto, PriceRequest, QuoteDto, QuoteLineDto, OfferDto, RefusedCouponDto, ItemDto, TenderDto, SaleDto, SaleLineDto, PrintDto, PrinterDto, RefundRequest, RefundLineDto, RefundDto, LoginRequest, ActorDto, OpenShiftRequest, CloseShiftRequest, CashRequest, NoSaleRequest, ShiftReportDto, ShiftDto, StockDto, LocationQtyDto, StockMoveRequest, StockAdjustRequest, catalog::CatalogEntryDto, catalog::PriceChangeDto, catalog::ProductRequest, import::ImportRequest, import::JobDto, import::ImportResultDto, import::RowErrorDto, catalog::LowStockDto, catalog::ReorderLevelRequest, BalanceDto, TopUpRequest, MemberDto, RegisterMemberRequest, RedeemRequest, RedeemLineDto, RedeemedLineDto, RedemptionDto, PassCheckRequest, PassDto, stock::SupplierDto, stock::SupplierRequest, stock::StockLineDto, stock::OrderRequest, stock::ReceiveRequest, stock::AmendOrderRequest, stock::CancelOrderRequest, stock::PoLineDto, stock::PurchaseOrderDto, stock::StocktakeRequest, stock::CountRequest, stock::VarianceDto, stock::StocktakeDto, stock::ManagerPin, stock::SuggestionDto, promotions::WindowDto, promotions::PromotionDto, promotions::CouponDto, promotions::PromotionRequest, promotions::CouponRequest, promotions::SetAsideDto, SalesReportDto, AnalyticsDto, AnalyticsRowDto, MembersDto, RedemptionsDto, SegmentDto, MemberRfmDto, SpendDto, ConversionDto, ConversionRowDto, CommissionDto, VerifyDto, devices::DeviceDto, devices::DeviceRequest, devices::AlertDto, devices::ClearAlertRequest, devices::VendDto, devices::FootfallHourDto, crate::devices::DeviceStatsDto, crate::devices::NetworkScan, transfers::TransferLineDto, transfers::TransferLineStatusDto, transfers::TransferStepDto, transfers::TransferDto, transfers::TransfersDto, transfers::TransferRequestDto, transfers::ShipRequest, transfers::TransferReceiveRequest, transfers::TransferCancelRequest, o2o::OrderLineDto, o2o::OrderStepDto, o2o::OrderDto, o2o::OrderStepRequest, o2o::HandoverRequest, o2o::HandoverDto, settings::TierDto, settings::RewardDto, settings::MemberProgramDto, settings::MemberProgramRequest, settings::CommissionRulesDto, settings::CommissionRulesRequest))
)]
pub struct ApiDoc;

/// The OpenAPI document as JSON text.
pub fn openapi_document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

// ---- errors and extractors ----

/// An error response body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// Stable machine-readable kind, e.g. `unknown_barcode`, `tender_short`.
    pub kind: String,
    /// Human-readable message in the requested language.
    pub message: String,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ApiErrorBody,
}

impl ApiError {
    fn from_till(error: TillError, lang: Lang) -> ApiError {
        let kind = error.kind();
        let status = match kind {
            "unknown_barcode" | "unknown_sku" | "unknown_sale" | "unknown_basket" | "unknown_alert" | "unknown_member" | "unknown_order" | "unknown_promotion" | "unknown_coupon" | "unknown_transfer" => StatusCode::NOT_FOUND,
            "auth_failed" | "approval_invalid" => StatusCode::UNAUTHORIZED,
            "forbidden" => StatusCode::FORBIDDEN,
            "duplicate" | "shift_already_open" | "no_open_shift" | "transfer_state" | "order_state" | "out_of_stock" | "head_office_offer" => StatusCode::CONFLICT,
            "storage" | "not_initialized" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %error, "request failed");
        }
        ApiError { status, body: ApiErrorBody { kind: kind.to_string(), message: error.message(lang) } }
    }

    fn bad_input(message: String) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, body: ApiErrorBody { kind: "bad_input".into(), message } }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The language the client asked for.
#[derive(Debug, Clone, Copy)]
pub struct AcceptLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for AcceptLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let first = header.split(',').next().unwrap_or("").split(';').next().unwrap_or("");
        Ok(AcceptLang(Lang::parse(first).unwrap_or(Lang::Zh)))
    }
}

/// A JSON body whose rejection is an [`ApiError`].
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::bad_input(format!("request body: {}", rejection.body_text()))),
        }
    }
}

async fn run<T: Send + 'static>(state: &AppState, lang: Lang, op: impl FnOnce(&mut Till) -> Result<T, TillError> + Send + 'static) -> Result<T, ApiError> {
    let till = state.till.clone();
    let result = tokio::task::spawn_blocking(move || {
        // A panic mid-operation rolled its SQLite transaction back, so the till is still
        // consistent; keep serving.
        let mut till = till.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // The receipt header may have been changed by another process (the sync thread,
        // `store set`): print what the store holds now.
        till.replica_mut().refresh_settings()?;
        op(&mut till)
    })
    .await
    .map_err(|e| ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, body: ApiErrorBody { kind: "internal".into(), message: e.to_string() } })?;
    result.map_err(|e| ApiError::from_till(e, lang))
}

async fn not_found() -> ApiError {
    ApiError { status: StatusCode::NOT_FOUND, body: ApiErrorBody { kind: "not_found".into(), message: "no such endpoint".into() } }
}

async fn openapi_json() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_document()).into_response()
}

// ---- DTOs ----

/// Node identity and journal size.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthDto {
    /// Store id.
    pub store_id: String,
    /// Node id.
    pub node_id: String,
    /// Journal entries.
    pub journal_entries: u64,
    /// Products in the catalog.
    pub products: u64,
    /// The store's offset from UTC in minutes (480 for China): its local days and hours.
    pub utc_offset_min: i32,
    /// Today in the store, `YYYY-MM-DD` (which may not be the browser's date).
    pub today: String,
    /// Now, milliseconds since the epoch, by the till service's clock.
    pub now_ms: i64,
}

/// A product.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDto {
    /// SKU.
    pub sku: String,
    /// Barcodes.
    pub barcodes: Vec<String>,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Category.
    pub category: String,
    /// `each` or `kg`.
    pub unit: String,
    /// Price per piece or per kg, minor units.
    pub price_minor: i64,
    /// Tax rate in basis points.
    pub tax_rate_bp: u32,
}

impl From<Product> for ProductDto {
    fn from(p: Product) -> Self {
        ProductDto { sku: p.sku, barcodes: p.barcodes, name: p.name, name_zh: p.name_zh, category: p.category, unit: p.unit.name().into(), price_minor: p.price_minor, tax_rate_bp: p.tax_rate.0 }
    }
}

/// A scanned item.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemDto {
    /// Barcode.
    pub barcode: String,
    /// Pieces (for products sold each); default 1.
    pub qty: Option<i64>,
    /// Grams (for products sold by weight).
    pub grams: Option<i64>,
}

/// A tender.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenderDto {
    /// `cash`, `card`, `mobile`, `stored`, `points` (the reference is the member) or
    /// `online` (paid through an online order's channel; the reference is `CHANNEL:ORDER`).
    pub kind: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Card reference, payment code or stored-value account.
    pub reference: Option<String>,
}

impl From<AppliedTender> for TenderDto {
    fn from(t: AppliedTender) -> Self {
        TenderDto { kind: t.kind.name().into(), amount_minor: t.amount, reference: t.reference }
    }
}

/// A sale to record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SaleRequest {
    /// Idempotency key: resending with the same id returns the first result.
    pub sale_id: Option<String>,
    /// Items in scan order.
    pub items: Vec<ItemDto>,
    /// Tenders.
    pub tenders: Vec<TenderDto>,
    /// The member buying, if they identified themselves (member prices, per-member coupon limits).
    #[serde(default)]
    pub member: Option<String>,
    /// Coupon ids presented, in order. A coupon that cannot be used is listed in the
    /// answer's `refused_coupons`; the sale goes through without it.
    #[serde(default)]
    pub coupons: Vec<String>,
    /// The staff member who served the customer (导购), credited with the commission.
    #[serde(default)]
    pub served_by: Option<String>,
    /// Prices and discounts changed by hand, lines numbered as the quote and the receipt
    /// number them (from 1); they need `authorized_by`.
    #[serde(default)]
    pub overrides: Vec<OverrideDto>,
    /// A discount on the whole sale; needs `authorized_by`.
    #[serde(default)]
    pub basket_discount: Option<DiscountDto>,
    /// The supervisor or manager who allows the overrides, with their PIN.
    #[serde(default)]
    pub authorized_by: Option<AuthorizationDto>,
}

/// A sale in progress abandoned: its lines are journaled for loss prevention.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VoidRequest {
    /// The sale's id as the till made it.
    pub sale_id: String,
    /// Its items.
    pub items: Vec<ItemDto>,
    /// Why.
    pub reason: String,
    /// The supervisor who allows it.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// A line's price or discount changed by hand (a manager override).
#[derive(Debug, Deserialize, ToSchema)]
pub struct OverrideDto {
    /// Line number, from 1.
    pub line: usize,
    /// New unit price (per piece, or per kg).
    #[serde(default)]
    pub price_minor: Option<i64>,
    /// A discount on the line.
    #[serde(default)]
    pub discount: Option<DiscountDto>,
}

/// A discount: a percentage in basis points (1000 = 10 % off) or an amount.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DiscountDto {
    /// Basis points off.
    #[serde(default)]
    pub percent_bp: Option<u32>,
    /// Minor units off.
    #[serde(default)]
    pub amount_minor: Option<i64>,
}

impl DiscountDto {
    fn to_core(&self) -> Result<opentill_core::basket::Discount, ApiError> {
        match (self.percent_bp, self.amount_minor) {
            (Some(bp), None) => Ok(opentill_core::basket::Discount::Percent(bp)),
            (None, Some(minor)) => Ok(opentill_core::basket::Discount::Amount(minor)),
            _ => Err(ApiError::bad_input("a discount is either percent_bp or amount_minor".into())),
        }
    }
}

/// Someone who authorises hand-made price changes: with their PIN, or with the approval
/// they gave this sale (`POST /api/approvals`), so the sale need not carry a PIN.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AuthorizationDto {
    /// User id.
    pub user_id: String,
    /// PIN.
    #[serde(default)]
    pub pin: Option<String>,
    /// An approval token for this sale, instead of the PIN.
    #[serde(default)]
    pub approval: Option<String>,
}

/// A supervisor approves hand-made price changes on a sale in progress.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApprovalRequest {
    /// The sale in progress, by the id it will be recorded under.
    pub sale_id: String,
    /// Supervisor or manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// An approval: the sale carries the token in `authorized_by.approval`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalDto {
    /// The token.
    pub approval: String,
    /// Who approved.
    pub user_id: String,
    /// Their role.
    pub role: String,
}

/// Who allows the hand-made changes of sale `sale_id`: an approval given to that sale, or
/// a PIN.
fn authorizer(till: &crate::Till, a: &AuthorizationDto, sale_id: Option<&str>) -> Result<Actor, TillError> {
    match (&a.approval, &a.pin) {
        (Some(token), None) => {
            let sale_id = sale_id.ok_or_else(|| TillError::BadInput("an approval is for one sale: send the sale_id it was given for".into()))?;
            let actor = till.approved_by(token, sale_id)?;
            if actor.user_id != a.user_id {
                return Err(TillError::ApprovalInvalid);
            }
            Ok(actor)
        }
        (None, Some(pin)) => till.login(&a.user_id, pin),
        _ => Err(TillError::BadInput("authorized_by needs a PIN or an approval, not both".into())),
    }
}

/// Hand-made price changes of a request, lines numbered from 1.
fn adjustments(overrides: &[OverrideDto], basket: Option<&DiscountDto>) -> Result<crate::Adjustments, ApiError> {
    let mut adjust = crate::Adjustments::default();
    for o in overrides {
        let line = o.line.checked_sub(1).ok_or_else(|| ApiError::bad_input("override lines are numbered from 1".into()))?;
        if let Some(price) = o.price_minor {
            adjust.prices.push((line, price));
        }
        if let Some(d) = &o.discount {
            adjust.discounts.push((line, d.to_core()?));
        }
    }
    adjust.basket = basket.map(DiscountDto::to_core).transpose()?;
    Ok(adjust)
}

/// A basket to price without selling it: what the customer would pay.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceRequest {
    /// Items in scan order.
    pub items: Vec<ItemDto>,
    /// The member buying, if any.
    #[serde(default)]
    pub member: Option<String>,
    /// Coupon ids presented, in order.
    #[serde(default)]
    pub coupons: Vec<String>,
    /// The sale in progress (needed with an approval).
    #[serde(default)]
    pub sale_id: Option<String>,
    /// Prices and discounts changed by hand, as in a sale; they need `authorized_by`.
    #[serde(default)]
    pub overrides: Vec<OverrideDto>,
    /// A discount on the whole sale; needs `authorized_by`.
    #[serde(default)]
    pub basket_discount: Option<DiscountDto>,
    /// Who allows the changes: an approval for `sale_id`, or a PIN.
    #[serde(default)]
    pub authorized_by: Option<AuthorizationDto>,
}

/// What became of a receipt sent to the till's printer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrintDto {
    /// It printed.
    pub printed: bool,
    /// Why not (it stays queued), or a warning after printing (paper nearly out), in the
    /// request's language.
    pub message: Option<String>,
}

fn print_dto(outcome: std::result::Result<Option<opentill_hardware::receipt_printer::PrinterState>, String>, lang: Lang) -> PrintDto {
    use opentill_hardware::receipt_printer::PrinterState;
    match outcome {
        Ok(after) => PrintDto { printed: true, message: after.filter(|s| *s != PrinterState::Ready).map(|s| lang.pick(s.message().0, s.message().1).to_string()) },
        Err(why) => PrintDto { printed: false, message: Some(why) },
    }
}

/// The till's printer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrinterDto {
    /// Whether `serve` was given one (`--printer`); without, receipts are shown on screen.
    pub configured: bool,
    /// Its address.
    pub address: Option<String>,
    /// Ready to print.
    pub ready: bool,
    /// Its state in the request's language.
    pub message: String,
    /// Receipts waiting to be printed.
    pub pending: usize,
}

/// A promotion or coupon a sale used.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferDto {
    /// `promotion` or `coupon`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// What it saved.
    pub saving_minor: i64,
    /// What it is, in Chinese (`满100减20`).
    pub text_zh: String,
    /// The same in English.
    pub text_en: String,
}

impl From<&opentill_core::basket::OfferUse> for OfferDto {
    fn from(o: &opentill_core::basket::OfferUse) -> Self {
        let kind = match o.kind {
            opentill_core::basket::OfferKind::Promotion => "promotion",
            opentill_core::basket::OfferKind::Coupon => "coupon",
        };
        OfferDto { kind: kind.into(), id: o.id.clone(), saving_minor: o.saving, text_zh: o.text_zh.clone(), text_en: o.text_en.clone() }
    }
}

/// A presented coupon that was not used.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedCouponDto {
    /// The coupon id as presented.
    pub coupon_id: String,
    /// `unknown`, `duplicate`, `not_valid_now`, `used_up`, `needs_member`,
    /// `member_limit_reached`, `no_eligible_lines`, `below_threshold` or `not_best`.
    pub reason: String,
    /// Why, in the request's language.
    pub message: String,
}

fn refused_dtos(pricing: Option<&opentill_core::promo::Pricing>, currency: opentill_core::money::Currency, lang: Lang) -> Vec<RefusedCouponDto> {
    use opentill_core::promo::RefusalReason as R;
    let Some(pricing) = pricing else { return Vec::new() };
    pricing
        .refused
        .iter()
        .map(|r| RefusedCouponDto {
            coupon_id: r.coupon_id.clone(),
            reason: match r.reason {
                R::Unknown => "unknown",
                R::Duplicate => "duplicate",
                R::NotValidNow => "not_valid_now",
                R::UsedUp => "used_up",
                R::NeedsMember => "needs_member",
                R::MemberLimitReached => "member_limit_reached",
                R::NoEligibleLines => "no_eligible_lines",
                R::BelowThreshold { .. } => "below_threshold",
                R::NotBest => "not_best",
            }
            .into(),
            message: r.reason.text(lang, currency),
        })
        .collect()
}

/// One line of a priced basket.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteLineDto {
    /// Line number, from 1.
    pub line: usize,
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Pieces or grams.
    pub qty: i64,
    /// Before promotions.
    pub gross_minor: i64,
    /// What promotions and coupons take off this line.
    pub promo_saving_minor: i64,
    /// What the customer pays for it.
    pub amount_minor: i64,
}

/// A priced basket: what the customer would pay, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteDto {
    /// Lines.
    pub lines: Vec<QuoteLineDto>,
    /// Before promotions.
    pub subtotal_minor: i64,
    /// Taken off by promotions and coupons.
    pub promo_saving_minor: i64,
    /// To pay (before 抹零, which depends on how they pay).
    pub total_minor: i64,
    /// The promotions and coupons used.
    pub offers: Vec<OfferDto>,
    /// Coupons presented and not used, and why.
    pub refused_coupons: Vec<RefusedCouponDto>,
    /// Whether the optimiser proved this the best combination (false only for huge baskets).
    pub proven_optimal: bool,
}

/// A sold line.
#[derive(Debug, Serialize, ToSchema)]
pub struct SaleLineDto {
    /// Line number, from 1.
    pub line: usize,
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// `each` or `kg`.
    pub unit: String,
    /// Pieces or grams.
    pub qty: i64,
    /// Unit price.
    pub unit_price_minor: i64,
    /// Discount, promotions included.
    pub discount_minor: i64,
    /// Of which promotions and coupons.
    pub promo_saving_minor: i64,
    /// Paid for this line.
    pub amount_minor: i64,
}

/// A recorded sale.
#[derive(Debug, Serialize, ToSchema)]
pub struct SaleDto {
    /// Id.
    pub sale_id: String,
    /// When (unix ms).
    pub ts_ms: i64,
    /// False when this is a replay of an earlier request with the same id.
    pub new: bool,
    /// Lines.
    pub lines: Vec<SaleLineDto>,
    /// Before discounts.
    pub subtotal_minor: i64,
    /// Discounts.
    pub discount_minor: i64,
    /// 抹零.
    pub rounding_minor: i64,
    /// Tax.
    pub tax_minor: i64,
    /// Paid.
    pub total_minor: i64,
    /// Tenders applied.
    pub tenders: Vec<TenderDto>,
    /// Cash handed over.
    pub cash_given_minor: i64,
    /// Change.
    pub change_minor: i64,
    /// Of the discounts, what promotions and coupons took off.
    pub promo_saving_minor: i64,
    /// The promotions and coupons used.
    pub offers: Vec<OfferDto>,
    /// The member the sale was priced for.
    pub member: Option<String>,
    /// Points the member earned.
    pub points_earned: i64,
    /// The staff member credited with the sale.
    pub served_by: Option<String>,
    /// Coupons presented and not used, and why (only in the answer that recorded the sale).
    pub refused_coupons: Vec<RefusedCouponDto>,
    /// The receipt on the till's printer, when it has one (only in the answer that recorded
    /// or reprinted the sale).
    pub printed: Option<PrintDto>,
    /// The receipt as text.
    pub receipt_text: String,
}

fn sale_dto(sale: SaleRecord, ts_ms: i64, new: bool, receipt_text: String) -> SaleDto {
    SaleDto {
        promo_saving_minor: sale.promo_saving,
        offers: sale.offers.iter().map(OfferDto::from).collect(),
        member: sale.member.clone(),
        points_earned: sale.points_earned,
        served_by: sale.served_by.clone(),
        printed: None,
        refused_coupons: Vec::new(),
        sale_id: sale.sale_id,
        ts_ms,
        new,
        lines: sale
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| SaleLineDto { line: i + 1, sku: l.sku, name: l.name, name_zh: l.name_zh, unit: l.unit.name().into(), qty: l.qty, unit_price_minor: l.unit_price, discount_minor: l.discount, promo_saving_minor: l.promo_saving, amount_minor: l.amount })
            .collect(),
        subtotal_minor: sale.subtotal,
        discount_minor: sale.discount,
        rounding_minor: sale.rounding,
        tax_minor: sale.tax,
        total_minor: sale.total,
        tenders: sale.tenders.into_iter().map(TenderDto::from).collect(),
        cash_given_minor: sale.cash_given,
        change_minor: sale.change,
        receipt_text,
    }
}

/// A line to refund.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundLineDto {
    /// Line number as printed, from 1.
    pub line: usize,
    /// Pieces to return; default all that is left.
    pub qty: Option<i64>,
    /// Grams to return for weighed lines; default all that is left.
    pub grams: Option<i64>,
}

/// A refund to record; needs a supervisor's PIN.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundRequest {
    /// The original sale.
    pub sale_id: String,
    /// Lines; empty refunds everything not yet refunded.
    #[serde(default)]
    pub lines: Vec<RefundLineDto>,
    /// Authorising user.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
    /// Put the goods back in stock (default true).
    pub restock: Option<bool>,
}

/// A recorded refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundDto {
    /// Id.
    pub refund_id: String,
    /// Original sale.
    pub sale_id: String,
    /// Refunded.
    pub total_minor: i64,
    /// How the money went back.
    pub tenders: Vec<TenderDto>,
    /// The slip as text.
    pub receipt_text: String,
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// User id.
    pub user_id: String,
    /// PIN.
    pub pin: String,
}

/// An authenticated user.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorDto {
    /// User id.
    pub user_id: String,
    /// `cashier`, `supervisor` or `manager`.
    pub role: String,
}

/// Open a shift.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OpenShiftRequest {
    /// Cashier.
    pub user_id: String,
    /// PIN.
    pub pin: String,
    /// Opening float, minor units.
    pub float_minor: i64,
}

/// Close the shift.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CloseShiftRequest {
    /// The cashier, or a supervisor.
    pub user_id: String,
    /// PIN.
    pub pin: String,
    /// Counted cash, minor units.
    pub counted_minor: i64,
}

/// Move cash in or out.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CashRequest {
    /// Supervisor.
    pub user_id: String,
    /// PIN.
    pub pin: String,
    /// `in` or `out`.
    pub direction: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Why.
    pub reason: String,
}

/// The opened shift.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftDto {
    /// Id.
    pub shift_id: String,
}

/// An X or Z report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftReportDto {
    /// `X` or `Z`.
    pub kind: String,
    /// Shift.
    pub shift_id: String,
    /// Cashier.
    pub cashier: String,
    /// Sales.
    pub n_sales: i64,
    /// Sum of sales.
    pub sales_total_minor: i64,
    /// Refunds.
    pub n_refunds: i64,
    /// Sum of refunds.
    pub refunds_total_minor: i64,
    /// Net.
    pub net_sales_minor: i64,
    /// Net per tender kind.
    pub by_tender_minor: std::collections::BTreeMap<String, i64>,
    /// Expected cash in drawer.
    pub expected_cash_minor: i64,
    /// Counted (Z).
    pub counted_cash_minor: Option<i64>,
    /// Counted minus expected (Z).
    pub variance_minor: Option<i64>,
    /// The report as text.
    pub text: String,
}

fn shift_dto(report: ShiftReport, text: String) -> ShiftReportDto {
    ShiftReportDto {
        kind: format!("{:?}", report.kind),
        net_sales_minor: report.net_sales(),
        shift_id: report.shift_id,
        cashier: report.cashier,
        n_sales: report.n_sales,
        sales_total_minor: report.sales_total,
        n_refunds: report.n_refunds,
        refunds_total_minor: report.refunds_total,
        by_tender_minor: report.by_tender,
        expected_cash_minor: report.expected_cash,
        counted_cash_minor: report.counted_cash,
        variance_minor: report.variance,
        text,
    }
}

/// Open the drawer with no sale.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoSaleRequest {
    /// Supervisor.
    pub user_id: String,
    /// PIN.
    pub pin: String,
    /// Why.
    pub reason: String,
}

/// Change a price in the shared catalog from this store; needs a manager.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceChangeRequest {
    /// SKU.
    pub sku: String,
    /// Minor units; `null` removes this store's own price (the central price applies).
    pub price_minor: Option<i64>,
    /// Change the central price of every store without its own, not this store's own.
    #[serde(default)]
    pub central: bool,
    /// Manager.
    pub user_id: String,
    /// PIN.
    pub pin: String,
}

/// Receive or correct stock; needs a manager.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StockAdjustRequest {
    /// SKU.
    pub sku: String,
    /// Pieces, or grams for weighed products; negative to remove.
    pub delta: i64,
    /// Why: `receive`, `count`, `damage`, ...
    pub reason: String,
    /// Where in the store: `floor` (the default), `backroom` or `warehouse`.
    #[serde(default)]
    pub location: Option<String>,
    /// Manager.
    pub user_id: String,
    /// PIN.
    pub pin: String,
}

/// A member (会员).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    /// Member id.
    pub member_id: String,
    /// Mobile number.
    pub phone: String,
    /// Name.
    pub name: String,
    /// Birthday, `MM-DD`.
    pub birthday: Option<String>,
    /// Tier id (`normal`, `silver`, `gold`).
    pub tier: String,
    /// Tier name in the request's language.
    pub tier_name: String,
    /// Lifetime spend, minor units.
    pub spend_minor: i64,
    /// Points (one fen each when they pay).
    pub points: i64,
    /// Their referral code.
    pub referral_code: String,
    /// Who referred them.
    pub referred_by: Option<String>,
    /// Registrations of the same phone made where this one could not be seen, merged into
    /// this member (their points and spend are counted here).
    pub merged: Vec<String>,
}

fn member_dto(m: crate::members::MemberView, lang: Lang) -> MemberDto {
    MemberDto {
        member_id: m.row.member_id,
        phone: m.row.phone,
        name: m.row.name,
        birthday: m.row.birthday,
        tier_name: lang.pick(&m.tier.name_zh, &m.tier.name_en).to_string(),
        tier: m.tier.id,
        spend_minor: m.row.spend,
        points: m.row.points,
        referral_code: m.row.referral_code,
        referred_by: m.row.referred_by,
        merged: m.merged,
    }
}

/// Register a member; a cashier's id and PIN authorise it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterMemberRequest {
    /// Mobile number (11 digits; +86 allowed).
    pub phone: String,
    /// Name.
    pub name: String,
    /// Birthday, `MM-DD`.
    #[serde(default)]
    pub birthday: Option<String>,
    /// Another member's referral code.
    #[serde(default)]
    pub referral_code: Option<String>,
    /// The cashier.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// A stored-value balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceDto {
    /// Account.
    pub account: String,
    /// Balance, minor units.
    pub balance_minor: i64,
}

/// Load money onto a stored-value account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TopUpRequest {
    /// Account.
    pub account: String,
    /// Minor units.
    pub amount_minor: i64,
    /// How it was paid: `cash`, `card` or `mobile`.
    pub tender: String,
    /// Cashier.
    pub user_id: String,
    /// PIN.
    pub pin: String,
    /// The caller's idempotency key (a fresh one per top-up): sent again after a lost
    /// answer, the top-up is recorded once.
    #[serde(default)]
    pub topup_id: Option<String>,
}

/// Stock on hand.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockDto {
    /// SKU.
    pub sku: String,
    /// Pieces, or grams for weighed products: the store's total.
    pub qty: i64,
    /// Per place in the store (`floor`, `backroom`, `warehouse`), places that never held
    /// it left out.
    pub locations: Vec<LocationQtyDto>,
    /// Held back by accepted online orders not yet handed over.
    pub reserved: i64,
}

/// Stock at one place in the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationQtyDto {
    /// `floor`, `backroom` or `warehouse`.
    pub location: String,
    /// Pieces or grams.
    pub qty: i64,
}

/// Stock moved between two places in the store.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StockMoveRequest {
    /// SKU.
    pub sku: String,
    /// From: `floor`, `backroom` or `warehouse`.
    pub from: String,
    /// To.
    pub to: String,
    /// Pieces or grams.
    pub qty: i64,
    /// Who (any staff member).
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

fn stock_dto(till: &Till, sku: String) -> crate::Result<StockDto> {
    let locations = till.replica().stock_at(&sku)?.into_iter().map(|(location, qty)| LocationQtyDto { location, qty }).collect();
    let reserved = till.replica().o2o_reserved()?.get(&sku).copied().unwrap_or(0);
    Ok(StockDto { qty: till.replica().stock(&sku)?, locations, reserved, sku })
}

/// A sales report.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalesReportDto {
    /// First day.
    pub from: Option<String>,
    /// Last day.
    pub to: Option<String>,
    /// Sales.
    pub n_sales: i64,
    /// Refunds.
    pub n_refunds: i64,
    /// Items.
    pub n_items: i64,
    /// Sum of sales.
    pub sales_total_minor: i64,
    /// Sum of refunds.
    pub refunds_total_minor: i64,
    /// Net.
    pub net_minor: i64,
    /// Tax.
    pub tax_minor: i64,
    /// 客单价.
    pub average_sale_minor: i64,
    /// Net per day.
    pub by_day_minor: std::collections::BTreeMap<String, i64>,
    /// Net per tender.
    pub by_tender_minor: std::collections::BTreeMap<String, i64>,
    /// Net per category.
    pub by_category_minor: std::collections::BTreeMap<String, i64>,
}

impl From<SalesReport> for SalesReportDto {
    fn from(r: SalesReport) -> Self {
        SalesReportDto {
            from: r.from,
            to: r.to,
            n_sales: r.n_sales,
            n_refunds: r.n_refunds,
            n_items: r.n_items,
            sales_total_minor: r.sales_total,
            refunds_total_minor: r.refunds_total,
            net_minor: r.net,
            tax_minor: r.tax,
            average_sale_minor: r.average_sale,
            by_day_minor: r.by_day.into_iter().map(|(d, s)| (d, s.sales - s.refunds)).collect(),
            by_tender_minor: r.by_tender,
            by_category_minor: r.by_category,
        }
    }
}

/// One row of an analytics report (or its total). Amounts in minor units; refunds count
/// negative in `items`, `qty` and `net_minor`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyticsRowDto {
    /// Hour (`09`), date (`2026-11-22`), ISO week (`2026-W48`), category, cashier id
    /// (empty: no cashier logged in), tender kind (`cash`, `card`, `mobile`, `stored`) or
    /// SKU; `total` for the total row.
    pub key: String,
    /// Top and slow sellers: the product's English name.
    pub name: Option<String>,
    /// Top and slow sellers: the product's Chinese name.
    pub name_zh: Option<String>,
    /// Top and slow sellers: `each` or `kg`.
    pub unit: Option<String>,
    /// Slow sellers: stock on hand (pieces or grams).
    pub stock: Option<i64>,
    /// Sales (tickets); for tenders, payments taken.
    pub n_sales: i64,
    /// Refunds; for tenders, payments given back.
    pub n_refunds: i64,
    /// Items sold minus returned (a weighed line is one item).
    pub items: i64,
    /// Pieces or grams sold minus returned.
    pub qty: i64,
    /// Amount sold.
    pub sales_minor: i64,
    /// Amount refunded.
    pub refunds_minor: i64,
    /// Discounts given minus taken back.
    pub discount_minor: i64,
    /// Sold minus refunded.
    pub net_minor: i64,
    /// 客单价: net per sale, rounded half up.
    pub average_basket_minor: i64,
    /// Items per sale, in hundredths.
    pub items_per_basket_x100: i64,
}

fn analytics_row(row: Option<&Row>, key: &str, t: &Totals) -> AnalyticsRowDto {
    AnalyticsRowDto {
        key: key.to_string(),
        name: row.filter(|r| r.unit.is_some()).map(|r| r.name.clone()),
        name_zh: row.filter(|r| r.unit.is_some()).map(|r| r.name_zh.clone()),
        unit: row.and_then(|r| r.unit).map(|u| u.name().to_string()),
        stock: row.and_then(|r| r.stock),
        n_sales: t.n_sales,
        n_refunds: t.n_refunds,
        items: t.items,
        qty: t.qty,
        sales_minor: t.sales,
        refunds_minor: t.refunds,
        discount_minor: t.discount,
        net_minor: t.net(),
        average_basket_minor: t.average_basket(),
        items_per_basket_x100: t.items_per_basket_x100(),
    }
}

/// An analytics report.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyticsDto {
    /// What it groups by: `hour`, `day`, `week`, `category`, `cashier`, `tender`, `top`, `slow`, `basket`, `members`, `conversion`.
    pub by: String,
    /// First day, inclusive.
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
    /// The rows: time order for hour, day and week; largest net first for category,
    /// cashier, tender and top; fewest items first for slow; none for basket, members and
    /// conversion (see `members` and `conversion`).
    pub rows: Vec<AnalyticsRowDto>,
    /// Everything in the period.
    pub total: AnalyticsRowDto,
    /// `members`: segments, every member who bought, repeat rate and shares.
    pub members: Option<MembersDto>,
    /// `conversion`: gate entries against sales per hour and day.
    pub conversion: Option<ConversionDto>,
}

/// One RFM segment. Segments, best first: `champions` (重要价值客户: R ≥ 4 and F + M ≥ 8),
/// `loyal` (忠诚客户: R ≥ 3 and F + M ≥ 6), `potential` (潜力客户: R ≥ 3), `at_risk` (需挽回:
/// F + M ≥ 6), `lost` (流失: the rest); the first that holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentDto {
    /// `champions`, `loyal`, `potential`, `at_risk` or `lost`.
    pub segment: String,
    /// The segment's name in Chinese.
    pub name_zh: String,
    /// The segment's name in English.
    pub name_en: String,
    /// Members in it.
    pub members: i64,
    /// Their sales in the period.
    pub sales: i64,
    /// Their net spend (refunds subtracted).
    pub net_minor: i64,
}

/// One member who bought in the period, with R, F and M scored 1–5 by mid-rank quintiles
/// (`1 + ⌊5 × (2 × worse + equal) / (2 × members)⌋`: equal values score alike).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRfmDto {
    /// Member id.
    pub member: String,
    /// Last sale in the period, `YYYY-MM-DD`.
    pub last_purchase: String,
    /// Days from the last sale to the period's end.
    pub recency_days: i64,
    /// Sales in the period.
    pub frequency: i64,
    /// Refunds in the period.
    pub refunds: i64,
    /// Net spend in the period.
    pub monetary_minor: i64,
    /// Recency score (5: most recent).
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: u8,
    /// The segment.
    pub segment: String,
}

/// Sales and refunds of a group of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpendDto {
    /// Sales.
    pub n_sales: i64,
    /// Refunds.
    pub n_refunds: i64,
    /// Amount sold.
    pub sales_minor: i64,
    /// Amount refunded.
    pub refunds_minor: i64,
    /// Sold minus refunded.
    pub net_minor: i64,
}

impl From<&Spend> for SpendDto {
    fn from(s: &Spend) -> Self {
        SpendDto { n_sales: s.n_sales, n_refunds: s.n_refunds, sales_minor: s.sales, refunds_minor: s.refunds, net_minor: s.net() }
    }
}

/// The members (RFM) report.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembersDto {
    /// The day recency counts to: the period's last day, or the last day with a sale or refund.
    pub end_day: String,
    /// Every segment, best first, empty ones included.
    pub segments: Vec<SegmentDto>,
    /// Every member who bought, by segment, then net spend (largest first).
    pub members: Vec<MemberRfmDto>,
    /// Members with at least one sale in the period.
    pub buyers: i64,
    /// Members with two or more.
    pub repeat_buyers: i64,
    /// Repeat rate (repeat buyers ÷ buyers) in basis points, half up; none without buyers.
    pub repeat_rate_bp: Option<i64>,
    /// Sales and refunds with a member.
    pub member: SpendDto,
    /// Sales and refunds without one.
    pub guest: SpendDto,
    /// Points redeemed for goods in the period (not sales).
    pub redemptions: RedemptionsDto,
}

/// Points members redeemed for goods (积分兑换) in a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedemptionsDto {
    /// Redemptions.
    pub count: i64,
    /// Points they took.
    pub points: i64,
    /// Pieces handed over.
    pub pieces: i64,
}

impl From<&Members> for MembersDto {
    fn from(m: &Members) -> Self {
        MembersDto {
            end_day: opentill_core::analytics::day_text(m.end_day),
            segments: m
                .segments
                .iter()
                .map(|s| SegmentDto { segment: s.segment.name().into(), name_zh: s.segment.label(Lang::Zh).into(), name_en: s.segment.label(Lang::En).into(), members: s.members, sales: s.sales, net_minor: s.net })
                .collect(),
            members: m
                .members
                .iter()
                .map(|r| MemberRfmDto {
                    member: r.member.clone(),
                    last_purchase: opentill_core::analytics::day_text(r.last_day),
                    recency_days: r.recency,
                    frequency: r.frequency,
                    refunds: r.refunds,
                    monetary_minor: r.monetary,
                    r: r.r,
                    f: r.f,
                    m: r.m,
                    segment: r.segment.name().into(),
                })
                .collect(),
            buyers: m.n_buyers,
            repeat_buyers: m.n_repeat,
            repeat_rate_bp: m.repeat_rate_bp(),
            member: (&m.member).into(),
            guest: (&m.guest).into(),
            redemptions: RedemptionsDto { count: m.redemptions.count, points: m.redemptions.points, pieces: m.redemptions.pieces },
        }
    }
}

/// Gate entries and sales of an hour of day, a day, or the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionRowDto {
    /// `09` (hour of day), `2026-11-23` (day) or `total`.
    pub key: String,
    /// Entries through a gate that opened.
    pub entries: i64,
    /// Sales (refunds do not count).
    pub tickets: i64,
    /// Sales ÷ entries in basis points, half up; none without entries.
    pub rate_bp: Option<i64>,
}

impl From<&ConversionRow> for ConversionRowDto {
    fn from(r: &ConversionRow) -> Self {
        ConversionRowDto { key: r.key.clone(), entries: r.entries, tickets: r.tickets, rate_bp: r.rate_bp() }
    }
}

/// The conversion report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionDto {
    /// Whether the period has any gate entry; without one there is no rate.
    pub has_entries: bool,
    /// Per local hour of day, hours with entries or sales.
    pub hours: Vec<ConversionRowDto>,
    /// Per local day, days with entries or sales.
    pub days: Vec<ConversionRowDto>,
    /// The period.
    pub total: ConversionRowDto,
}

impl From<&Conversion> for ConversionDto {
    fn from(c: &Conversion) -> Self {
        ConversionDto { has_entries: c.has_entries(), hours: c.hours.iter().map(Into::into).collect(), days: c.days.iter().map(Into::into).collect(), total: (&c.total).into() }
    }
}

impl From<Report> for AnalyticsDto {
    fn from(r: Report) -> Self {
        AnalyticsDto {
            by: r.by.name().to_string(),
            members: r.members.as_ref().map(Into::into),
            conversion: r.conversion.as_ref().map(Into::into),
            rows: r.rows.iter().map(|row| analytics_row(Some(row), &row.key, &row.totals)).collect(),
            total: analytics_row(None, "total", &r.total),
            from: r.from,
            to: r.to,
        }
    }
}

/// Journal verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyDto {
    /// Whether everything checks out.
    pub ok: bool,
    /// Entries checked.
    pub entries: u64,
    /// The first bad entry's sequence number.
    pub first_bad_seq: Option<u64>,
    /// What is wrong with it.
    pub first_bad_problem: Option<String>,
    /// Projections that disagree with the journal.
    pub projection_problems: Vec<String>,
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words, Chinese characters, pinyin or pinyin initials.
    pub q: String,
    /// At most this many (default 20).
    pub limit: Option<usize>,
}

/// What a scanned code rings up.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanDto {
    /// The product.
    pub product: ProductDto,
    /// The weight the code carries (scale labels, GS1 net weight), in grams; none when
    /// the cashier gives the quantity.
    pub grams: Option<i64>,
    /// The price printed on a price label, charged as is.
    pub label_price_minor: Option<i64>,
}

/// A sale to put aside (挂单) until the customer comes back.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SuspendRequest {
    /// Items in scan order.
    pub items: Vec<ItemDto>,
    /// What the cashier calls it.
    #[serde(default)]
    pub label: String,
    /// The member buying, if they identified themselves; kept for the resumed sale.
    #[serde(default)]
    pub member: Option<String>,
    /// Coupon ids presented, in order; kept for the resumed sale.
    #[serde(default)]
    pub coupons: Vec<String>,
    /// The staff member who served the customer (导购); kept for the resumed sale.
    #[serde(default)]
    pub served_by: Option<String>,
}

/// A sale put aside.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspendedDto {
    /// Id to resume it by.
    pub basket_id: String,
    /// What the cashier called it.
    pub label: String,
    /// When (unix ms).
    pub created_ms: i64,
    /// Lines.
    pub n_lines: usize,
    /// Total so far.
    pub total_minor: i64,
}

/// An item of a resumed sale, to ring up again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResumedItemDto {
    /// Barcode.
    pub barcode: String,
    /// Pieces.
    pub qty: Option<i64>,
    /// Grams, for weighed products.
    pub grams: Option<i64>,
}

/// A resumed sale: taken off the suspended list, its items and shopper back to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResumedDto {
    /// Id it had.
    pub basket_id: String,
    /// Items in scan order.
    pub items: Vec<ResumedItemDto>,
    /// The member it was suspended for, if any.
    pub member: Option<String>,
    /// Coupon ids presented, in order.
    pub coupons: Vec<String>,
    /// The staff member who served the customer (导购), if any.
    pub served_by: Option<String>,
}

fn suspended_dto(s: opentill_sync::Suspended) -> SuspendedDto {
    let basket: Option<opentill_core::basket::Basket> = serde_json::from_str(&s.basket_json).ok();
    let (n_lines, total_minor) = basket.map_or((0, 0), |b| (b.lines.iter().filter(|l| !l.voided).count(), b.totals().total));
    SuspendedDto { basket_id: s.basket_id, label: s.label, created_ms: s.created_ms, n_lines, total_minor }
}

/// A catalog category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    /// Category name as imported, e.g. `drinks`.
    pub category: String,
    /// Products in it.
    pub products: u64,
}

/// How many to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LimitQuery {
    /// At most this many (default 60, at most 500).
    pub limit: Option<usize>,
}

/// Report period.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PeriodQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
}

fn parse_tenders(tenders: Vec<TenderDto>) -> Result<Vec<Tender>, ApiError> {
    tenders
        .into_iter()
        .map(|t| {
            let kind = TenderKind::parse(&t.kind).ok_or_else(|| ApiError::bad_input(format!("tender kind `{}` must be cash, card, mobile, stored, points or online", t.kind)))?;
            Ok(Tender { kind, amount: t.amount_minor, reference: t.reference })
        })
        .collect()
}

fn grams_text(grams: i64) -> String {
    if grams < 0 { format!("-{}", grams.unsigned_abs()) } else { format!("{}.{:03}", grams / 1000, grams % 1000) }
}

// ---- handlers ----

/// Node identity.
#[utoipa::path(get, path = "/api/health", responses((status = 200, body = HealthDto)))]
async fn health(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<HealthDto>, ApiError> {
    run(&state, lang, |till| {
        let s = till.replica().settings();
        let now_ms = till.now_ms();
        let today = opentill_core::time::LocalTime::from_unix_ms(now_ms, s.utc_offset_min).date();
        Ok(HealthDto { store_id: s.store_id.clone(), node_id: s.node_id.clone(), journal_entries: till.replica().head()?.0, products: till.replica().product_count()?, utc_offset_min: s.utc_offset_min, today, now_ms })
    })
    .await
    .map(Json)
}

/// Search the catalog by name, pinyin or pinyin initials (`kkkl` finds 可口可乐).
#[utoipa::path(get, path = "/api/products", params(SearchQuery), responses((status = 200, body = [ProductDto])))]
async fn search_products(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Query(q): Query<SearchQuery>) -> Result<Json<Vec<ProductDto>>, ApiError> {
    run(&state, lang, move |till| Ok(till.search(&q.q, q.limit.unwrap_or(20))?.into_iter().map(ProductDto::from).collect())).await.map(Json)
}

/// Look a barcode up.
#[utoipa::path(get, path = "/api/products/barcode/{code}", params(("code" = String, Path, description = "Barcode")), responses((status = 200, body = ProductDto), (status = 404, body = ApiErrorBody)))]
async fn product_by_barcode(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(code): Path<String>) -> Result<Json<ProductDto>, ApiError> {
    run(&state, lang, move |till| Ok(till.lookup(&code)?.into())).await.map(Json)
}

/// What a scanned code rings up: a barcode as printed, its UPC-A/UPC-E/GTIN-14 spelling,
/// an in-store scale label (with its weight or price) or a GS1 code. Send the code itself
/// as the sale item's barcode (with no quantity when it carries a weight).
#[utoipa::path(get, path = "/api/scan/{code}", params(("code" = String, Path, description = "Scanned code")), responses((status = 200, body = ScanDto), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn understand_scan(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(code): Path<String>) -> Result<Json<ScanDto>, ApiError> {
    run(&state, lang, move |till| {
        let scanned = till.understand_scan(&code)?;
        Ok(ScanDto { product: scanned.product.into(), grams: scanned.grams, label_price_minor: scanned.label_price })
    })
    .await
    .map(Json)
}

/// The catalog's categories, by name (the till's category tabs).
#[utoipa::path(get, path = "/api/categories", responses((status = 200, body = [CategoryDto])))]
async fn categories(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<CategoryDto>>, ApiError> {
    run(&state, lang, |till| Ok(till.replica().categories()?.into_iter().map(|(category, products)| CategoryDto { category, products }).collect())).await.map(Json)
}

/// Products of one category, by SKU (the till's product buttons).
#[utoipa::path(get, path = "/api/categories/{category}/products", params(("category" = String, Path, description = "Category"), LimitQuery), responses((status = 200, body = [ProductDto])))]
async fn category_products(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(category): Path<String>, Query(q): Query<LimitQuery>) -> Result<Json<Vec<ProductDto>>, ApiError> {
    run(&state, lang, move |till| Ok(till.replica().products_in_category(&category, q.limit.unwrap_or(60).clamp(1, 500))?.into_iter().map(ProductDto::from).collect())).await.map(Json)
}

/// A supervisor approves hand-made price changes (price overrides, discounts) on the sale
/// in progress: the sale then carries the approval instead of their PIN.
#[utoipa::path(post, path = "/api/approvals", request_body = ApprovalRequest, responses((status = 200, body = ApprovalDto), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn approve(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<ApprovalRequest>) -> Result<Json<ApprovalDto>, ApiError> {
    run(&state, lang, move |till| {
        let (approval, actor) = till.approve(&req.user_id, &req.pin, &req.sale_id)?;
        Ok(ApprovalDto { approval, user_id: actor.user_id, role: actor.role.name().to_string() })
    })
    .await
    .map(Json)
}

/// Record a sale: items and tenders in one request, durable when it returns.
#[utoipa::path(post, path = "/api/sales", request_body = SaleRequest, responses((status = 200, body = SaleDto), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn create_sale(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<SaleRequest>) -> Result<Json<SaleDto>, ApiError> {
    let tenders = parse_tenders(req.tenders)?;
    let scans = scan_inputs(req.items);
    let shopper = crate::Shopper { member: req.member, coupons: req.coupons, served_by: req.served_by };
    let printer = state.printer.clone();
    let mut adjust = adjustments(&req.overrides, req.basket_discount.as_ref())?;
    let authorized_by = req.authorized_by;
    run(&state, lang, move |till| {
        // A sale sent again after it was recorded answers the first result: its approval
        // may have expired meanwhile.
        let recorded = match req.sale_id.as_deref() {
            Some(id) => till.replica().sale(id)?.is_some(),
            None => false,
        };
        if let Some(a) = &authorized_by
            && !adjust.is_empty()
            && !recorded
        {
            // The permission each change needs is checked on the basket; here, who it is.
            adjust.by = Some(authorizer(till, a, req.sale_id.as_deref())?);
        }
        let (done, pricing) = till.sell_adjusted(req.sale_id.as_deref(), &scans, &adjust, &tenders, None, &shopper)?;
        let text = till.sale_receipt(&done, lang);
        let currency = done.sale.currency;
        // A new sale's receipt goes to the till's printer; one that cannot print stays queued.
        let printed = match (&printer, done.new) {
            (Some(address), true) => Some(print_dto(till.queue_and_print("sale", &done.sale.sale_id, Some(address), lang)?, lang)),
            _ => None,
        };
        let mut dto = sale_dto(done.sale, done.ts_ms, done.new, text);
        dto.refused_coupons = refused_dtos(pricing.as_ref(), currency, lang);
        dto.printed = printed;
        Ok(dto)
    })
    .await
    .map(Json)
}

/// Price a basket with the store's promotions, the member's prices and the coupons
/// presented, for the combination that saves the customer the most; nothing is recorded.
#[utoipa::path(post, path = "/api/basket/price", request_body = PriceRequest, responses((status = 200, body = QuoteDto), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn price_basket(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<PriceRequest>) -> Result<Json<QuoteDto>, ApiError> {
    let scans = scan_inputs(req.items);
    let shopper = crate::Shopper { member: req.member, coupons: req.coupons, served_by: None };
    let mut adjust = adjustments(&req.overrides, req.basket_discount.as_ref())?;
    run(&state, lang, move |till| {
        if scans.len() > 500 {
            return Err(TillError::BadInput("at most 500 scans in one sale".into()));
        }
        if let Some(a) = &req.authorized_by
            && !adjust.is_empty()
        {
            adjust.by = Some(authorizer(till, a, req.sale_id.as_deref())?);
        }
        let mut basket = till.new_basket();
        till.ring_up(&mut basket, &scans)?;
        adjust.apply(&mut basket)?;
        let pricing = till.price(&mut basket, &shopper)?;
        let totals = basket.totals();
        let lines = basket
            .lines
            .iter()
            .zip(&totals.lines)
            .enumerate()
            .map(|(i, (l, t))| QuoteLineDto { line: i + 1, sku: l.item.sku.clone(), name: l.item.name.clone(), name_zh: l.item.name_zh.clone(), qty: l.qty, gross_minor: t.gross, promo_saving_minor: t.promo, amount_minor: t.amount })
            .collect();
        Ok(QuoteDto {
            lines,
            subtotal_minor: totals.subtotal,
            promo_saving_minor: totals.promo,
            total_minor: totals.total,
            offers: basket.promo.offers.iter().map(OfferDto::from).collect(),
            refused_coupons: refused_dtos(Some(&pricing), basket.currency, lang),
            proven_optimal: pricing.proven_optimal,
        })
    })
    .await
    .map(Json)
}

fn scan_inputs(items: Vec<ItemDto>) -> Vec<ScanInput> {
    items
        .into_iter()
        .map(|i| ScanInput {
            code: i.barcode,
            qty: match (i.qty, i.grams) {
                (_, Some(g)) => Some(grams_text(g)),
                (Some(q), None) => Some(q.to_string()),
                (None, None) => None,
            },
        })
        .collect()
}

/// Put a sale aside (挂单); nothing is journaled until it is sold.
#[utoipa::path(post, path = "/api/suspended", request_body = SuspendRequest, responses((status = 200, body = SuspendedDto), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn suspend_sale(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<SuspendRequest>) -> Result<Json<SuspendedDto>, ApiError> {
    let scans = scan_inputs(req.items);
    run(&state, lang, move |till| {
        if scans.is_empty() {
            return Err(TillError::BadInput("nothing to suspend".into()));
        }
        let mut basket = till.new_basket();
        till.ring_up(&mut basket, &scans)?;
        // Priced for the shopper, so the list shows what the sale will cost them.
        let shopper = crate::Shopper { member: req.member, coupons: req.coupons, served_by: req.served_by };
        till.price(&mut basket, &shopper)?;
        let basket_id = till.suspend(&basket, &shopper, &req.label)?;
        let found = till.replica().suspended()?.into_iter().find(|s| s.basket_id == basket_id).ok_or_else(|| TillError::UnknownBasket(basket_id.clone()))?;
        Ok(suspended_dto(found))
    })
    .await
    .map(Json)
}

/// Sales put aside, oldest first.
#[utoipa::path(get, path = "/api/suspended", responses((status = 200, body = [SuspendedDto])))]
async fn list_suspended(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<SuspendedDto>>, ApiError> {
    run(&state, lang, |till| Ok(till.replica().suspended()?.into_iter().map(suspended_dto).collect())).await.map(Json)
}

/// Take a sale put aside back: it leaves the list and its items come back to ring up,
/// with the member, the coupons and the staff member who served the customer.
/// A sale with discounts, price overrides or price labels stays on the list (resume it
/// with `opentill-edge sale --resume`).
#[utoipa::path(post, path = "/api/suspended/{basket_id}/resume", params(("basket_id" = String, Path, description = "Suspended sale")), responses((status = 200, body = ResumedDto), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn resume_suspended(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(basket_id): Path<String>) -> Result<Json<ResumedDto>, ApiError> {
    run(&state, lang, move |till| {
        let crate::SuspendedSale { basket, shopper } = till.suspended_sale(&basket_id)?;
        if basket.discount.is_some() || basket.lines.iter().any(|l| !l.voided && (l.discount.is_some() || l.price_override.is_some() || l.label_price.is_some())) {
            return Err(TillError::BadInput(format!("suspended sale {basket_id} has discounts, price overrides or price labels; resume it with opentill-edge sale --resume")));
        }
        let mut items = Vec::new();
        for line in basket.lines.iter().filter(|l| !l.voided) {
            let product = till.replica().product_by_sku(&line.item.sku)?.ok_or_else(|| TillError::UnknownSku(line.item.sku.clone()))?;
            let barcode = product.barcodes.first().cloned().ok_or_else(|| TillError::UnknownSku(line.item.sku.clone()))?;
            let weighed = line.item.unit == opentill_core::catalog::Unit::Kg;
            items.push(ResumedItemDto { barcode, qty: (!weighed).then_some(line.qty), grams: weighed.then_some(line.qty) });
        }
        till.resume(&basket_id)?;
        Ok(ResumedDto { basket_id, items, member: shopper.member, coupons: shopper.coupons, served_by: shopper.served_by })
    })
    .await
    .map(Json)
}

/// A recorded sale with its receipt.
#[utoipa::path(get, path = "/api/sales/{sale_id}", params(("sale_id" = String, Path, description = "Sale id")), responses((status = 200, body = SaleDto), (status = 404, body = ApiErrorBody)))]
async fn get_sale(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(sale_id): Path<String>) -> Result<Json<SaleDto>, ApiError> {
    run(&state, lang, move |till| {
        let (ts_ms, sale) = till.sale(&sale_id)?;
        let done = crate::SaleDone { sale, ts_ms, seq: 0, new: false };
        let text = till.sale_receipt(&done, lang);
        Ok(sale_dto(done.sale, ts_ms, false, text))
    })
    .await
    .map(Json)
}

/// Void a whole sale in progress (journaled with its lines); a supervisor authorises it.
#[utoipa::path(post, path = "/api/sales/void", request_body = VoidRequest, responses((status = 204), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn void_sale(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<VoidRequest>) -> Result<StatusCode, ApiError> {
    let scans = scan_inputs(req.items);
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::VoidSale, "void a sale")?;
        if req.reason.trim().is_empty() {
            return Err(TillError::BadInput("say why the sale is voided".into()));
        }
        let mut basket = till.new_basket();
        till.ring_up(&mut basket, &scans)?;
        till.void_basket(&basket, &req.sale_id, &actor, req.reason.trim())
    })
    .await
    .map(|()| StatusCode::NO_CONTENT)
}

/// Print a sale's receipt again on the till's printer (queued first: one that cannot print
/// waits). 409 `no_printer` when `serve` has no printer.
#[utoipa::path(post, path = "/api/sales/{sale_id}/print", params(("sale_id" = String, Path, description = "Sale id")), responses((status = 200, body = PrintDto), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn print_sale(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(sale_id): Path<String>) -> Result<Json<PrintDto>, ApiError> {
    let Some(printer) = state.printer.clone() else {
        return Err(ApiError { status: StatusCode::CONFLICT, body: ApiErrorBody { kind: "no_printer".into(), message: lang.pick("本机未连接打印机（serve --printer）", "this till has no printer (serve --printer)").into() } });
    };
    run(&state, lang, move |till| {
        till.sale(&sale_id)?;
        Ok(print_dto(till.queue_and_print("sale", &sale_id, Some(&printer), lang)?, lang))
    })
    .await
    .map(Json)
}

/// The till's printer and its state, asked now.
#[utoipa::path(get, path = "/api/printer", responses((status = 200, body = PrinterDto)))]
async fn printer_status(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<PrinterDto>, ApiError> {
    let printer = state.printer.clone();
    run(&state, lang, move |till| {
        let pending = till.replica().pending_prints()?.len();
        let Some(address) = printer else {
            return Ok(PrinterDto { configured: false, address: None, ready: false, message: lang.pick("屏幕显示", "on screen").into(), pending });
        };
        let (ready, message) = match opentill_hardware::transport::printer_state(&address, crate::printing::PRINTER_TIMEOUT) {
            Ok(Some(s)) => (s.can_print(), lang.pick(s.message().0, s.message().1).to_string()),
            Ok(None) => (true, lang.pick("打印到文件", "printing to a file").to_string()),
            Err(e) => (false, crate::printing::failure_text(&e, lang)),
        };
        Ok(PrinterDto { configured: true, address: Some(address.to_string()), ready, message, pending })
    })
    .await
    .map(Json)
}

/// Refund against a sale; a supervisor authorises with their PIN.
#[utoipa::path(post, path = "/api/refunds", request_body = RefundRequest, responses((status = 200, body = RefundDto), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn create_refund(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<RefundRequest>) -> Result<Json<RefundDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Refund, "refund")?;
        let lines: Vec<(usize, Option<String>)> = req
            .lines
            .iter()
            .map(|l| (l.line, l.grams.map(grams_text).or(l.qty.map(|q| q.to_string()))))
            .collect();
        let done = till.refund(&req.sale_id, &lines, Some(&actor), req.restock.unwrap_or(true))?;
        let text = till.refund_receipt(&done, lang);
        Ok(RefundDto { refund_id: done.refund.refund_id, sale_id: done.refund.sale_id, total_minor: done.refund.total, tenders: done.refund.tenders.into_iter().map(TenderDto::from).collect(), receipt_text: text })
    })
    .await
    .map(Json)
}

/// Check a user's PIN.
#[utoipa::path(post, path = "/api/login", request_body = LoginRequest, responses((status = 200, body = ActorDto), (status = 401, body = ApiErrorBody)))]
async fn login(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<LoginRequest>) -> Result<Json<ActorDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.login(&req.user_id, &req.pin)?;
        Ok(ActorDto { user_id: actor.user_id, role: actor.role.name().into() })
    })
    .await
    .map(Json)
}

/// Open a shift with a float.
#[utoipa::path(post, path = "/api/shifts/open", request_body = OpenShiftRequest, responses((status = 200, body = ShiftDto), (status = 409, body = ApiErrorBody)))]
async fn open_shift(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<OpenShiftRequest>) -> Result<Json<ShiftDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Sell, "open a shift")?;
        Ok(ShiftDto { shift_id: till.open_shift(&actor, req.float_minor)? })
    })
    .await
    .map(Json)
}

/// The open shift so far (not recorded).
#[utoipa::path(get, path = "/api/shifts/current", responses((status = 200, body = ShiftReportDto), (status = 409, body = ApiErrorBody)))]
async fn current_shift(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<ShiftReportDto>, ApiError> {
    run(&state, lang, move |till| {
        let report = till.preview_shift()?;
        let text = opentill_core::receipt::shift_report_text(&report, till.replica().settings().currency, till.layout(lang));
        Ok(shift_dto(report, text))
    })
    .await
    .map(Json)
}

/// Take an X report (journaled; the shift stays open).
#[utoipa::path(post, path = "/api/shifts/x-report", responses((status = 200, body = ShiftReportDto), (status = 409, body = ApiErrorBody)))]
async fn x_report(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<ShiftReportDto>, ApiError> {
    run(&state, lang, move |till| {
        let report = till.x_report()?;
        let text = opentill_core::receipt::shift_report_text(&report, till.replica().settings().currency, till.layout(lang));
        Ok(shift_dto(report, text))
    })
    .await
    .map(Json)
}

/// Close the shift with counted cash; returns the Z report.
#[utoipa::path(post, path = "/api/shifts/close", request_body = CloseShiftRequest, responses((status = 200, body = ShiftReportDto), (status = 409, body = ApiErrorBody)))]
async fn close_shift(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<CloseShiftRequest>) -> Result<Json<ShiftReportDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.login(&req.user_id, &req.pin)?;
        let report = till.close_shift(req.counted_minor, &actor)?;
        let text = opentill_core::receipt::shift_report_text(&report, till.replica().settings().currency, till.layout(lang));
        Ok(shift_dto(report, text))
    })
    .await
    .map(Json)
}

/// Put cash in or take it out of the drawer.
#[utoipa::path(post, path = "/api/cash", request_body = CashRequest, responses((status = 204), (status = 403, body = ApiErrorBody)))]
async fn move_cash(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<CashRequest>) -> Result<StatusCode, ApiError> {
    let direction = match req.direction.as_str() {
        "in" => CashDirection::In,
        "out" => CashDirection::Out,
        other => return Err(ApiError::bad_input(format!("direction `{other}` must be in or out"))),
    };
    run(&state, lang, move |till| {
        let actor = till.login(&req.user_id, &req.pin)?;
        till.move_cash(direction, req.amount_minor, &req.reason, &actor)
    })
    .await
    .map(|()| StatusCode::NO_CONTENT)
}

/// Open the drawer with no sale (journaled); needs a supervisor.
#[utoipa::path(post, path = "/api/no-sale", request_body = NoSaleRequest, responses((status = 204), (status = 403, body = ApiErrorBody)))]
async fn no_sale(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<NoSaleRequest>) -> Result<StatusCode, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.login(&req.user_id, &req.pin)?;
        till.no_sale(&req.reason, &actor)
    })
    .await
    .map(|()| StatusCode::NO_CONTENT)
}

/// Receive or correct stock (journaled); needs a manager.
#[utoipa::path(post, path = "/api/stock/adjust", request_body = StockAdjustRequest, responses((status = 200, body = StockDto), (status = 403, body = ApiErrorBody)))]
async fn adjust_stock(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<StockAdjustRequest>) -> Result<Json<StockDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Manage, "adjust stock")?;
        till.adjust_stock_at(&req.sku, req.delta, &req.reason, &actor.user_id, req.location.as_deref())?;
        stock_dto(till, req.sku)
    })
    .await
    .map(Json)
}

/// Move stock between two places in the store (backroom to floor, ...); any staff member.
#[utoipa::path(post, path = "/api/stock/move", request_body = StockMoveRequest, responses((status = 200, body = StockDto), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn move_stock(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<StockMoveRequest>) -> Result<Json<StockDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.login(&req.user_id, &req.pin)?;
        till.move_stock(&req.sku, &req.from, &req.to, req.qty, &actor.user_id)?;
        stock_dto(till, req.sku)
    })
    .await
    .map(Json)
}

/// Change a price in the shared catalog from this store (back office): this store's own
/// price by default, or the central price. Applies at once to the till and shelf labels;
/// merged with head office on the next sync, the later edit (by hybrid logical clock)
/// winning. Returns the product as this store now sells it.
#[utoipa::path(post, path = "/api/catalog/prices", request_body = PriceChangeRequest, responses((status = 200, body = ProductDto), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn set_price(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<PriceChangeRequest>) -> Result<Json<ProductDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "change a price")?;
        Ok(ProductDto::from(till.set_price(&req.sku, req.price_minor, req.central)?))
    })
    .await
    .map(Json)
}

/// Register a member by mobile number (journaled); a referral code earns its owner points.
#[utoipa::path(post, path = "/api/members", request_body = RegisterMemberRequest, responses((status = 200, body = MemberDto), (status = 401, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn register_member(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<RegisterMemberRequest>) -> Result<Json<MemberDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Sell, "register a member")?;
        let member = till.register_member(&req.phone, &req.name, req.birthday.as_deref(), req.referral_code.as_deref(), &actor.user_id)?;
        Ok(member_dto(member, lang))
    })
    .await
    .map(Json)
}

/// A member by id, mobile number or referral code, with tier, spend and points.
#[utoipa::path(get, path = "/api/members/{key}", params(("key" = String, Path, description = "Member id, mobile number or referral code")), responses((status = 200, body = MemberDto), (status = 404, body = ApiErrorBody)))]
async fn get_member(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(key): Path<String>) -> Result<Json<MemberDto>, ApiError> {
    run(&state, lang, move |till| Ok(member_dto(till.member(&key)?, lang))).await.map(Json)
}

/// Rewards to take for points (积分兑换), with the staff member handing them over.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedeemRequest {
    /// The rewards and how many of each.
    pub lines: Vec<RedeemLineDto>,
    /// The caller's idempotency key: sent again with the same one (its answer was lost),
    /// the redemption is recorded once and answered as recorded.
    #[serde(default)]
    pub redemption_id: Option<String>,
    /// The staff member.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// A reward asked for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedeemLineDto {
    /// The product, one of the member program's rewards.
    pub sku: String,
    /// Pieces.
    pub qty: i64,
}

/// A reward taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedeemedLineDto {
    /// The product.
    pub sku: String,
    /// Its name in the request's language.
    pub name: String,
    /// Pieces.
    pub qty: i64,
    /// Points the line took.
    pub points: i64,
}

/// A recorded redemption: what was taken and the points the member has left.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedemptionDto {
    /// Its id.
    pub redemption_id: String,
    /// The member.
    pub member_id: String,
    /// Points it took.
    pub points_used: i64,
    /// The member's points after it.
    pub points_left: i64,
    /// What was taken.
    pub lines: Vec<RedeemedLineDto>,
    /// The slip as text, in the request's language.
    pub receipt: String,
}

/// A member takes rewards for points (积分兑换); a staff member's id and PIN authorise it.
/// Refused (nothing recorded) for a SKU that is not a reward, a quantity outside 1 to
/// 1,000, or more points than the member has (`insufficient_points`, naming their points).
#[utoipa::path(
    post,
    path = "/api/members/{key}/redeem",
    params(("key" = String, Path, description = "Member id, mobile number or referral code")),
    request_body = RedeemRequest,
    responses((status = 200, body = RedemptionDto), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody))
)]
async fn redeem_points(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(key): Path<String>, ApiJson(req): ApiJson<RedeemRequest>) -> Result<Json<RedemptionDto>, ApiError> {
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Sell, "redeem a member's points")?;
        let lines: Vec<(String, i64)> = req.lines.into_iter().map(|l| (l.sku, l.qty)).collect();
        let redemption = till.redeem_points(&key, &lines, &actor.user_id, req.redemption_id.as_deref())?;
        let receipt = till.redemption_receipt(&redemption, lang)?;
        let mut out = Vec::with_capacity(redemption.lines.len());
        for line in &redemption.lines {
            let name = till.replica().product_by_sku(&line.sku)?.map_or_else(|| line.sku.clone(), |p| if lang == Lang::Zh && !p.name_zh.is_empty() { p.name_zh } else { p.name });
            out.push(RedeemedLineDto { sku: line.sku.clone(), name, qty: line.qty, points: line.points });
        }
        Ok(RedemptionDto { redemption_id: redemption.redemption_id.clone(), member_id: redemption.member.row.member_id.clone(), points_used: redemption.points(), points_left: redemption.member.row.points, lines: out, receipt })
    })
    .await
    .map(Json)
}

/// One staff member's commission over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommissionDto {
    /// Staff user id.
    pub staff: String,
    /// Sales they served.
    pub n_sales: i64,
    /// Paid for them, less refunds.
    pub net_minor: i64,
    /// Commission, less what refunds took back.
    pub commission_minor: i64,
}

/// Commission per staff member (导购) between two local dates, inclusive.
#[utoipa::path(get, path = "/api/reports/commissions", params(PeriodQuery), responses((status = 200, body = [CommissionDto]), (status = 422, body = ApiErrorBody)))]
async fn commission_report(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Query(q): Query<PeriodQuery>) -> Result<Json<Vec<CommissionDto>>, ApiError> {
    run(&state, lang, move |till| {
        Ok(till.commission_report(q.from.as_deref(), q.to.as_deref())?.into_iter().map(|c| CommissionDto { staff: c.staff, n_sales: c.n_sales, net_minor: c.net, commission_minor: c.commission }).collect())
    })
    .await
    .map(Json)
}

/// A member pass (the QR code on the member's phone) to check.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PassCheckRequest {
    /// The pass as scanned (`OTP1.…`).
    pub token: String,
}

/// A valid member pass.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassDto {
    /// The member's account (stored value, and the member when registered under it).
    pub account: String,
    /// The pass.
    pub pass_id: String,
    /// Valid until (unix ms).
    pub expires_ms: i64,
}

/// Check a member pass offline (signature, expiry, revocation) and say whose it is. A pass
/// that fails is refused with its reason (`bad_pass`, `pass_expired`, `pass_revoked`).
#[utoipa::path(post, path = "/api/passes/check", request_body = PassCheckRequest, responses((status = 200, body = PassDto), (status = 422, body = ApiErrorBody)))]
async fn check_pass(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<PassCheckRequest>) -> Result<Json<PassDto>, ApiError> {
    let checked = run(&state, lang, move |till| till.check_pass(req.token.trim())).await?;
    match checked {
        Ok(pass) => Ok(Json(PassDto { account: pass.account, pass_id: pass.pass_id, expires_ms: pass.expires_ms })),
        Err(denial) => Err(ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, body: ApiErrorBody { kind: denial.code().into(), message: denial.message(lang).into() } }),
    }
}

/// A stored-value account's balance.
#[utoipa::path(get, path = "/api/stored-value/{account}", params(("account" = String, Path, description = "Account")), responses((status = 200, body = BalanceDto)))]
async fn stored_value(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(account): Path<String>) -> Result<Json<BalanceDto>, ApiError> {
    run(&state, lang, move |till| Ok(BalanceDto { balance_minor: till.replica().stored_value(&account)?, account })).await.map(Json)
}

/// Load money onto a stored-value account (journaled).
#[utoipa::path(post, path = "/api/stored-value/top-up", request_body = TopUpRequest, responses((status = 200, body = BalanceDto), (status = 422, body = ApiErrorBody)))]
async fn top_up(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<TopUpRequest>) -> Result<Json<BalanceDto>, ApiError> {
    let tender = TenderKind::parse(&req.tender).filter(|k| !matches!(k, TenderKind::StoredValue | TenderKind::Points)).ok_or_else(|| ApiError::bad_input(format!("tender `{}` must be cash, card or mobile", req.tender)))?;
    run(&state, lang, move |till| {
        let actor = till.authorize(&req.user_id, &req.pin, Permission::Sell, "top up stored value")?;
        let balance = till.top_up(&req.account, req.amount_minor, tender, &actor.user_id, req.topup_id.as_deref())?;
        Ok(BalanceDto { account: req.account, balance_minor: balance })
    })
    .await
    .map(Json)
}

/// Stock on hand of a SKU.
#[utoipa::path(get, path = "/api/stock/{sku}", params(("sku" = String, Path, description = "SKU")), responses((status = 200, body = StockDto)))]
async fn stock(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(sku): Path<String>) -> Result<Json<StockDto>, ApiError> {
    run(&state, lang, move |till| {
        if till.replica().product_by_sku(&sku)?.is_none() {
            return Err(TillError::UnknownSku(sku));
        }
        stock_dto(till, sku)
    })
    .await
    .map(Json)
}

/// Sales over a period.
#[utoipa::path(get, path = "/api/reports/sales", params(PeriodQuery), responses((status = 200, body = SalesReportDto)))]
async fn sales_report(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Query(q): Query<PeriodQuery>) -> Result<Json<SalesReportDto>, ApiError> {
    run(&state, lang, move |till| Ok(till.sales_report(q.from.as_deref(), q.to.as_deref())?.into())).await.map(Json)
}

/// Analytics report: what it groups by, the period, and JSON or CSV.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AnalyticsQuery {
    /// `hour`, `day`, `week`, `category`, `cashier`, `tender`, `top`, `slow`, `basket`,
    /// `members` (RFM segments, repeat rate) or `conversion` (gate entries against sales) (required).
    pub by: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
    /// Top and slow sellers: at most this many (default 20).
    pub limit: Option<usize>,
    /// `json` (default) or `csv` (RFC 4180, headers in the `Accept-Language`).
    pub format: Option<String>,
    /// `members` with `by=members&format=csv`: every member who bought (id, last purchase,
    /// recency, sales, refunds, net, R, F, M, segment) instead of the segments.
    pub list: Option<String>,
}

/// Sales analytics over local days: by hour, day, ISO week, category, cashier or
/// payment method; top and slow sellers; average basket (客单价); members' RFM segments and
/// repeat rate; footfall conversion. Refunds count negative.
#[utoipa::path(
    get,
    path = "/api/reports/analytics",
    params(AnalyticsQuery),
    responses(
        (status = 200, description = "The report", content((AnalyticsDto = "application/json"), (String = "text/csv"))),
        (status = 400, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)
    )
)]
async fn analytics_report(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Query(q): Query<AnalyticsQuery>) -> Result<Response, ApiError> {
    let by_text = q.by.as_deref().unwrap_or("");
    let by = By::parse(by_text).ok_or_else(|| ApiError::bad_input(format!("by `{by_text}` must be hour, day, week, category, cashier, tender, top, slow, basket, members or conversion")))?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(ApiError::bad_input(format!("format `{other}` must be json or csv"))),
    };
    if q.limit == Some(0) {
        return Err(ApiError::bad_input("limit must be at least 1".into()));
    }
    let list = match q.list.as_deref() {
        None => false,
        Some("members") if by == By::Members => true,
        Some(other) => return Err(ApiError::bad_input(format!("list `{other}` must be members, with by=members"))),
    };
    let (report, currency) = run(&state, lang, move |till| Ok((till.analytics(by, q.from.as_deref(), q.to.as_deref(), q.limit)?, till.replica().settings().currency))).await?;
    if csv {
        let body = if list { members_csv(&report, currency, lang) } else { report_csv(&report, currency, lang) };
        return Ok(([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response());
    }
    Ok(Json(AnalyticsDto::from(report)).into_response())
}

/// Verify the journal's chain, signatures and projections.
#[utoipa::path(get, path = "/api/journal/verify", responses((status = 200, body = VerifyDto)))]
async fn verify_journal(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<VerifyDto>, ApiError> {
    run(&state, lang, |till| {
        let report = till.verify(|_| {})?;
        Ok(VerifyDto {
            ok: report.is_ok(),
            entries: report.entries,
            first_bad_seq: report.first_bad.as_ref().map(|(s, _)| *s),
            first_bad_problem: report.first_bad.as_ref().map(|(_, p)| p.to_string()),
            projection_problems: report.projection_problems,
        })
    })
    .await
    .map(Json)
}

