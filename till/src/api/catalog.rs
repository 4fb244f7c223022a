//! Catalog endpoints for the back office: one product with its prices (central and this
//! store's own), stock, reorder level and price history; reorder levels; the low-stock list.

use axum::Json;
use axum::extract::{Path, State};
use opentill_core::role::Permission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AcceptLang, ApiError, ApiErrorBody, ApiJson, AppState, ProductDto, run};
use crate::TillError;

/// Price changes an entry shows.
const HISTORY: usize = 20;

/// One change of a product's price in this store.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceChangeDto {
    /// When it took effect here (ms since the epoch).
    pub ts_ms: i64,
    /// Price before, minor units.
    pub old_minor: i64,
    /// Price after, minor units.
    pub new_minor: i64,
}

/// A product as the back office sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogEntryDto {
    /// The product as the till sells it here (its price is the effective one).
    pub product: ProductDto,
    /// The central price, for every store without its own; null when the product was
    /// only imported here and the shared catalog does not hold it.
    pub central_minor: Option<i64>,
    /// This store's own price, when it has one.
    pub store_minor: Option<i64>,
    /// On hand: pieces, or grams for weighed products.
    pub stock: i64,
    /// At or under this, a low-stock alert.
    pub reorder_level: Option<i64>,
    /// The last price changes here, newest first.
    pub history: Vec<PriceChangeDto>,
}

/// A SKU's stock at or under its reorder level.
#[derive(Debug, Serialize, ToSchema)]
pub struct LowStockDto {
    /// SKU.
    pub sku: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// `each` or `kg`.
    pub unit: String,
    /// On hand: pieces, or grams for weighed products.
    pub on_hand: i64,
    /// The reorder level.
    pub level: i64,
}

/// Set or remove a SKU's reorder level; a manager's id and PIN authorise it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReorderLevelRequest {
    /// SKU.
    pub sku: String,
    /// Pieces, or grams for weighed products; null removes it.
    pub level: Option<i64>,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

fn entry(till: &mut crate::Till, sku: &str) -> Result<CatalogEntryDto, TillError> {
    let product = till.replica().product_by_sku(sku)?.ok_or_else(|| TillError::UnknownSku(sku.to_string()))?;
    let prices = till.replica_mut().catalog_prices(sku)?;
    let replica = till.replica();
    let reorder_level = replica.reorder_levels()?.into_iter().find(|(s, _, _)| s == sku).map(|(_, _, level)| level);
    let history = replica.price_history(sku, HISTORY)?.into_iter().map(|c| PriceChangeDto { ts_ms: c.ts_ms, old_minor: c.old_minor, new_minor: c.new_minor }).collect();
    Ok(CatalogEntryDto { stock: replica.stock(sku)?, product: ProductDto::from(product), central_minor: prices.central_minor, store_minor: prices.store_minor, reorder_level, history })
}

/// One product with its prices, stock, reorder level and price history.
#[utoipa::path(get, path = "/api/catalog/{sku}", params(("sku" = String, Path, description = "SKU")), responses((status = 200, body = CatalogEntryDto), (status = 404, body = ApiErrorBody)))]
pub async fn catalog_entry(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(sku): Path<String>) -> Result<Json<CatalogEntryDto>, ApiError> {
    run(&state, lang, move |till| entry(till, &sku)).await.map(Json)
}

/// Set or remove a SKU's reorder level; needs a manager. Answers with the product.
#[utoipa::path(post, path = "/api/reorder-levels", request_body = ReorderLevelRequest, responses((status = 200, body = CatalogEntryDto), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn set_reorder_level(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<ReorderLevelRequest>) -> Result<Json<CatalogEntryDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "set a reorder level")?;
        till.set_reorder_level(&req.sku, req.level)?;
        entry(till, &req.sku)
    })
    .await
    .map(Json)
}

/// SKUs at or under their reorder level, fewest on hand (relative to the level) first.
#[utoipa::path(get, path = "/api/low-stock", responses((status = 200, body = [LowStockDto])))]
pub async fn low_stock(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<LowStockDto>>, ApiError> {
    run(&state, lang, |till| {
        let mut out = Vec::new();
        for (sku, on_hand, level) in till.replica().reorder_levels()? {
            if on_hand > level {
                continue;
            }
            let Some(p) = till.replica().product_by_sku(&sku)? else { continue };
            out.push(LowStockDto { sku, name: p.name, name_zh: p.name_zh, unit: p.unit.name().to_string(), on_hand, level });
        }
        out.sort_by_key(|r| (r.on_hand - r.level, r.sku.clone()));
        Ok(out)
    })
    .await
    .map(Json)
}
