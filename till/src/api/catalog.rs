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

/// A product to add to the shared catalog, or whose details change; a manager's id and
/// PIN authorise it. The same rules as a row of an imported catalog file.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductRequest {
    /// SKU: at most 64 characters, no spaces.
    pub sku: String,
    /// Barcodes (GTIN-8/12/13/14 with a right check digit); may be empty.
    #[serde(default)]
    pub barcodes: Vec<String>,
    /// English name.
    pub name: String,
    /// Chinese name.
    #[serde(default)]
    pub name_zh: String,
    /// Category.
    pub category: String,
    /// `each` or `kg`.
    pub unit: String,
    /// A new product's price, minor units (per piece or per kg), which becomes its central
    /// price; an existing product keeps its prices (change them with `/api/catalog/prices`).
    #[serde(default)]
    pub price_minor: Option<i64>,
    /// Tax rate in basis points (1300 = 13 %).
    pub tax_rate_bp: u32,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// Add a product to the shared catalog or change its details; needs a manager. Answers
/// the product as the back office sees it.
#[utoipa::path(post, path = "/api/catalog/products", request_body = ProductRequest, responses((status = 200, body = CatalogEntryDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_product(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<ProductRequest>) -> Result<Json<CatalogEntryDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "edit the catalog")?;
        let existing = till.replica().product_by_sku(req.sku.trim())?;
        let price = match (req.price_minor, &existing) {
            (_, Some(p)) => p.price_minor,
            (Some(minor), None) if minor >= 0 => minor,
            (Some(minor), None) => return Err(TillError::BadProduct(format!("price {minor} is below zero"), format!("价格 {minor} 小于零"))),
            (None, None) => return Err(TillError::BadProduct(format!("{} is a new product: it needs a price", req.sku), format!("{} 是新商品，需要价格", req.sku))),
        };
        let price_text = format!("{}.{:02}", price / 100, price % 100);
        let tax_text = format!("{}.{:02}", req.tax_rate_bp / 100, req.tax_rate_bp % 100);
        let barcodes = req.barcodes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect::<Vec<_>>().join("|");
        let fields = [("sku", req.sku.as_str()), ("barcode", barcodes.as_str()), ("name", req.name.as_str()), ("name_zh", req.name_zh.as_str()), ("price", price_text.as_str()), ("category", req.category.as_str()), ("unit", req.unit.as_str()), ("tax_rate", tax_text.as_str())];
        let product = till.put_product(&fields)?;
        entry(till, &product.sku)
    })
    .await
    .map(Json)
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
