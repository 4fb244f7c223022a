//! The HTTP shell: decodes requests, calls [`crate::ingest`] or the [`Ledger`], converts
//! results. Errors are JSON `{ "kind", "message" }`.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/enrol` | JSON `{code, store_id, node_id, public_key, signature}` (hex) → the store's tenant and brand |
//! | `POST /v1/sync` | a protocol frame (hello or batch) → an ack frame |
//! | `GET /v1/totals` | per-store totals in minor units |
//! | `GET /v1/nodes` | every node and how much of its journal is held |
//! | `GET /v1/quarantine` | batches kept aside |
//! | `GET /v1/alerts` | alerts |
//! | `POST /v1/passes/revoke` | admin: JSON `{store_id, pass_id}` → `{revoked}` (false when it already was) |
//! | `POST /v1/revoked` | node-signed JSON `{store_id, node_id, since_ms, signature}` → `{passes: [{pass_id, revoked_ms}]}` |
//! | `POST /v1/balances` | node-signed JSON `{store_id, node_id, ts_ms, signature}` → the store's stored-value snapshot ([`crate::balances`]) |
//! | `PUT /v1/stores/allowance` | admin: JSON `{store_id, allowance_minor}`: a store's offline allowance per node and account |
//! | `POST /v1/docs` | a node-signed document sync round (frame) → the cloud's round (frame) |
//! | `GET /v1/catalog?tenant=T[&store=S]` | admin: the tenant's shared catalog, with each product's price at store `S` |
//! | `PUT /v1/catalog/products?tenant=T` | admin: JSON array of products → `{written}` (all checked first; one bad product writes nothing) |
//! | `PUT /v1/catalog/prices?tenant=T` | admin: JSON `{sku, price_minor, store?}` (`price_minor: null` with a store removes its own price) |
//! | `POST /v1/closings`, `GET /v1/closings`, `GET /v1/reports/stores` | admin: period closings, their exports, reports across stores ([`closings`]) |
//! | `GET /v1/reports/analytics?tenant=T&by=B[&store=S&from=D&to=D&limit=N&format=csv\|text&lang=zh\|en]` | admin: a till's analytics report across a tenant's stores ([`crate::analytics`]) |

pub mod closings;

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ed25519_dalek::{Signature, SigningKey, Verifier, VerifyingKey};
use opentill_sync::docs::SharedDoc;
use opentill_sync::protocol::{MAX_FRAME, enrol_message, normalize_code, revoked_request_message};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use tracing::info;

use crate::ingest::{Reply, handle_shared};
use crate::ledger::{EnrolOutcome, Ledger, LedgerError};
use crate::{code_hash, now_ms};

/// Shared state: the storage, behind a lock (one SQLite writer, or one PostgreSQL
/// connection, per server).
pub type Shared = Arc<Mutex<Box<dyn Ledger>>>;

/// The router, without the key closings are signed with (`POST /v1/closings` answers 503);
/// see [`router_with_key`].
pub fn router(ledger: Shared, admin_token: Option<String>) -> axum::Router {
    router_with_key(ledger, admin_token, None)
}

/// The router. When `admin_token` is set, the read and admin routes (`/v1/totals`,
/// `/v1/nodes`, `/v1/quarantine`, `/v1/alerts`, `/v1/passes/revoke`, `/v1/closings`,
/// `/v1/reports/stores`, `/v1/reports/analytics`) need `Authorization: Bearer TOKEN`; enrolment and sync are
/// authenticated by the one-time code and the node's signatures instead. `closing_key`
/// signs the period closings made through `POST /v1/closings`.
pub fn router_with_key(ledger: Shared, admin_token: Option<String>, closing_key: Option<SigningKey>) -> axum::Router {
    let token: Option<Arc<[u8; 32]>> = admin_token.map(|t| Arc::new(Sha256::digest(t.as_bytes()).into()));
    let closing_routes = axum::Router::new()
        .route("/v1/closings", post(closings::post_closing).get(closings::get_closings))
        .route("/v1/reports/stores", get(closings::get_stores_report))
        .route("/v1/reports/analytics", get(closings::get_analytics))
        .route_layer(axum::middleware::from_fn_with_state(token.clone(), require_admin))
        .with_state(closings::ClosingState { ledger: ledger.clone(), key: closing_key.map(Arc::new) });
    let reads = axum::Router::new()
        .route("/v1/totals", get(totals))
        .route("/v1/nodes", get(nodes))
        .route("/v1/quarantine", get(quarantine))
        .route("/v1/alerts", get(alerts))
        .route("/v1/passes/revoke", post(revoke_pass))
        .route("/v1/catalog", get(catalog))
        .route("/v1/catalog/products", axum::routing::put(put_products))
        .route("/v1/catalog/prices", axum::routing::put(put_price))
        .route("/v1/offers", get(offers))
        .route("/v1/docs/compact", post(compact_doc))
        .route("/v1/offers/settings/{id}", axum::routing::put(put_setting).delete(remove_setting))
        .route("/v1/offers/{section}", axum::routing::put(put_offer))
        .route("/v1/offers/{section}/{id}", axum::routing::delete(remove_offer))
        .route("/v1/stores/allowance", axum::routing::put(put_allowance))
        .route("/v1/o2o/orders", post(place_o2o))
        .route("/v1/o2o/orders/{store_id}/{order_id}", get(get_o2o))
        .route("/v1/o2o/orders/{store_id}/{order_id}/cancel", post(cancel_o2o))
        .route_layer(axum::middleware::from_fn_with_state(token, require_admin));
    axum::Router::new()
        .route("/v1/enrol", post(enrol))
        .route("/v1/sync", post(sync))
        .route("/v1/revoked", post(revoked))
        .route("/v1/balances", post(balances))
        .route("/v1/transfers", post(transfers))
        .route("/v1/o2o", post(o2o_snapshot))
        .route("/v1/docs", post(docs_sync))
        .merge(reads)
        .layer(DefaultBodyLimit::max(MAX_FRAME))
        .with_state(ledger)
        .merge(closing_routes)
}

/// Compares digests of the presented and the configured token.
async fn require_admin(State(token): State<Option<Arc<[u8; 32]>>>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if let Some(expected) = token {
        let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let matches = presented.is_some_and(|p| <[u8; 32]>::from(Sha256::digest(p.as_bytes())) == *expected);
        if !matches {
            return error(401, "unauthorized", "this route needs Authorization: Bearer ADMIN_TOKEN");
        }
    }
    next.run(request).await
}

fn error(status: u16, kind: &str, message: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({ "kind": kind, "message": message.into() }))).into_response()
}

/// Runs `work` with the storage on a blocking thread.
async fn with_ledger<T: Send + 'static>(ledger: &Shared, work: impl FnOnce(&mut dyn Ledger) -> T + Send + 'static) -> Result<T, Response> {
    let ledger = ledger.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work(guard.as_mut())
    })
    .await
    .map_err(|e| error(500, "internal", e.to_string()))
}

/// `POST /v1/passes/revoke` body.
#[derive(Debug, Deserialize)]
struct RevokeRequest {
    store_id: String,
    pass_id: String,
}

#[tracing::instrument(skip_all)]
async fn revoke_pass(State(ledger): State<Shared>, body: Bytes) -> Response {
    let request: RevokeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("revoke request: {e}")),
    };
    if request.pass_id.is_empty() || request.pass_id.len() > 64 {
        return error(400, "bad_request", "pass_id must be 1 to 64 characters");
    }
    let (store, pass) = (request.store_id.clone(), request.pass_id.clone());
    match with_ledger(&ledger, move |l| l.revoke_pass(&store, &pass, now_ms())).await {
        Err(r) => r,
        Ok(Err(LedgerError::UnknownStore(s))) => error(404, "unknown_store", format!("no store {s} in the cloud")),
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(revoked)) => {
            info!(store = %request.store_id, pass = %request.pass_id, "member pass revoked");
            Json(json!({ "revoked": revoked })).into_response()
        }
    }
}

/// `POST /v1/revoked` body.
#[derive(Debug, Deserialize, Serialize)]
pub struct RevokedRequest {
    /// The node's store.
    pub store_id: String,
    /// The node.
    pub node_id: String,
    /// Passes revoked at or after this (unix ms).
    pub since_ms: i64,
    /// Signature of [`revoked_request_message`], hex.
    pub signature: String,
}

#[tracing::instrument(skip_all)]
async fn revoked(State(ledger): State<Shared>, body: Bytes) -> Response {
    let request: RevokedRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("revoked request: {e}")),
    };
    let Some(signature) = hex::decode(&request.signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return error(400, "bad_request", "signature must be 64 bytes of hex");
    };
    let (store, node, since) = (request.store_id.clone(), request.node_id.clone(), request.since_ms);
    enum Found {
        UnknownNode,
        BadSignature,
        Passes(Vec<(String, i64)>),
    }
    let found = with_ledger(&ledger, move |l| -> Result<Found, LedgerError> {
        let Some(record) = l.node(&store, &node)? else { return Ok(Found::UnknownNode) };
        if record.ledger.key.verify(&revoked_request_message(&store, &node, since), &Signature::from_bytes(&signature)).is_err() {
            return Ok(Found::BadSignature);
        }
        Ok(Found::Passes(l.revoked_passes(&store, since)?))
    })
    .await;
    match found {
        Err(r) => r,
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(Found::UnknownNode)) => error(403, "unknown_node", format!("node {}/{} is not enrolled", request.store_id, request.node_id)),
        Ok(Ok(Found::BadSignature)) => error(403, "bad_signature", "the request is not signed by the node's enrolled key"),
        Ok(Ok(Found::Passes(passes))) => Json(json!({ "passes": passes.iter().map(|(p, t)| json!({"pass_id": p, "revoked_ms": t})).collect::<Vec<_>>() })).into_response(),
    }
}



fn o2o_error(e: crate::o2o::O2oCloudError) -> Response {
    use crate::o2o::O2oCloudError as E;
    match e {
        E::Bad(opentill_core::o2o::O2oError::Different(_)) | E::AlreadyLeft(..) => error(409, "conflict", e.to_string()),
        E::Bad(_) | E::NoCatalog(_) => error(422, "bad_order", e.to_string()),
        E::UnknownStore(_) | E::UnknownOrder { .. } => error(404, "not_found", e.to_string()),
        E::Ledger(e) => storage_error(e),
        E::Catalog(e) => catalog_error(e),
    }
}

/// An order as the API answers it: where it stands, and its QR code's text.
fn o2o_json(view: &opentill_core::o2o::OrderView) -> serde_json::Value {
    let mut v = serde_json::to_value(view).unwrap_or_default();
    v["qr"] = json!(view.order.qr_text());
    v
}

#[tracing::instrument(skip_all)]
async fn place_o2o(State(ledger): State<Shared>, body: Bytes) -> Response {
    let request: crate::o2o::PlaceRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("order: {e}")),
    };
    match with_ledger(&ledger, move |l| crate::o2o::place(l, request, now_ms())).await {
        Err(r) => r,
        Ok(Ok((new, view))) => (if new { StatusCode::CREATED } else { StatusCode::OK }, Json(o2o_json(&view))).into_response(),
        Ok(Err(e)) => o2o_error(e),
    }
}

async fn get_o2o(State(ledger): State<Shared>, axum::extract::Path((store_id, order_id)): axum::extract::Path<(String, String)>) -> Response {
    match with_ledger(&ledger, move |l| crate::o2o::view(&*l, &store_id, &order_id)).await {
        Err(r) => r,
        Ok(Ok(view)) => Json(o2o_json(&view)).into_response(),
        Ok(Err(e)) => o2o_error(e),
    }
}

/// `POST /v1/o2o/orders/{store}/{order}/cancel` body.
#[derive(Debug, Deserialize)]
struct CancelO2o {
    reason: String,
}

async fn cancel_o2o(State(ledger): State<Shared>, axum::extract::Path((store_id, order_id)): axum::extract::Path<(String, String)>, body: Bytes) -> Response {
    let request: CancelO2o = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("cancellation: {e}")),
    };
    match with_ledger(&ledger, move |l| crate::o2o::cancel(l, &store_id, &order_id, &request.reason, now_ms())).await {
        Err(r) => r,
        Ok(Ok(view)) => Json(o2o_json(&view)).into_response(),
        Ok(Err(e)) => o2o_error(e),
    }
}


/// A node-signed read (`POST /v1/balances`, `/v1/transfers`, `/v1/o2o`): the body is a
/// [`crate::balances::BalancesRequest`]; `answer` authenticates it and reads.
async fn node_read<T: serde::Serialize + Send + 'static>(
    ledger: &Shared,
    body: &[u8],
    what: &str,
    answer: impl FnOnce(&dyn Ledger, &crate::balances::BalancesRequest, i64) -> Result<T, crate::balances::BalancesError> + Send + 'static,
) -> Response {
    use crate::balances::{BalancesError, BalancesRequest};
    let request: BalancesRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("{what} request: {e}")),
    };
    match with_ledger(ledger, move |l| answer(&*l, &request, now_ms())).await {
        Err(r) => r,
        Ok(Ok(snapshot)) => Json(snapshot).into_response(),
        Ok(Err(e @ BalancesError::Malformed)) => error(400, "bad_request", e.to_string()),
        Ok(Err(e @ BalancesError::UnknownNode(_))) => error(403, "unknown_node", e.to_string()),
        Ok(Err(e @ BalancesError::BadSignature)) => error(403, "bad_signature", e.to_string()),
        Ok(Err(BalancesError::Ledger(e))) => storage_error(e),
    }
}

#[tracing::instrument(skip_all)]
async fn balances(State(ledger): State<Shared>, body: Bytes) -> Response {
    node_read(&ledger, &body, "balances", crate::balances::answer).await
}

#[tracing::instrument(skip_all)]
async fn transfers(State(ledger): State<Shared>, body: Bytes) -> Response {
    node_read(&ledger, &body, "transfers", crate::transfers::answer).await
}

#[tracing::instrument(skip_all)]
async fn o2o_snapshot(State(ledger): State<Shared>, body: Bytes) -> Response {
    node_read(&ledger, &body, "o2o", crate::o2o::snapshot).await
}

/// `PUT /v1/stores/allowance` body.
#[derive(Debug, Deserialize)]
struct AllowanceRequest {
    store_id: String,
    allowance_minor: i64,
}

async fn put_allowance(State(ledger): State<Shared>, body: Bytes) -> Response {
    let request: AllowanceRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("allowance: {e}")),
    };
    if !(0..=opentill_core::money::MAX_AMOUNT_MINOR).contains(&request.allowance_minor) {
        return error(400, "bad_request", format!("allowance_minor must be between 0 and {}, not {}", opentill_core::money::MAX_AMOUNT_MINOR, request.allowance_minor));
    }
    let (store, minor) = (request.store_id.clone(), request.allowance_minor);
    match with_ledger(&ledger, move |l| l.set_offline_allowance(&store, minor)).await {
        Err(r) => r,
        Ok(Err(LedgerError::UnknownStore(s))) => error(404, "unknown_store", format!("there is no store {s}")),
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(())) => Json(json!({ "store_id": request.store_id, "allowance_minor": minor })).into_response(),
    }
}

fn storage_error(e: impl std::fmt::Display) -> Response {
    error(500, "storage", e.to_string())
}

#[tracing::instrument(skip_all, fields(bytes = body.len()))]
async fn sync(State(ledger): State<Shared>, body: Bytes) -> Response {
    // The ledger is locked for each storage call only: one node's batch is verified while
    // another's is being written.
    let reply = tokio::task::spawn_blocking(move || handle_shared(&ledger, &body, now_ms())).await.map_err(|e| error(500, "internal", e.to_string()));
    match reply {
        Err(response) => response,
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(Reply::Ack(bytes))) => ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Ok(Ok(Reply::Refused { status, kind, message })) => error(status, kind, message),
    }
}

#[tracing::instrument(skip_all, fields(bytes = body.len()))]
async fn docs_sync(State(ledger): State<Shared>, body: Bytes) -> Response {
    match with_ledger(&ledger, move |l| crate::docs::handle(l, &body, now_ms())).await {
        Err(response) => response,
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(Reply::Ack(bytes))) => ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Ok(Ok(Reply::Refused { status, kind, message })) => error(status, kind, message),
    }
}

/// A product of the shared catalog, as the catalog routes read and write it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ProductDto {
    /// SKU.
    pub sku: String,
    /// Barcodes, the first printed on labels.
    #[serde(default)]
    pub barcodes: Vec<String>,
    /// English name.
    pub name: String,
    /// Chinese name.
    #[serde(default)]
    pub name_zh: String,
    /// Category.
    pub category: String,
    /// Tags (brand, ...).
    #[serde(default)]
    pub tags: Vec<String>,
    /// `each` or `kg`.
    pub unit: String,
    /// Price in minor units (per piece or per kg): the central price when written; the
    /// price at the asked store when read.
    pub price_minor: i64,
    /// The central price, when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub central_price_minor: Option<i64>,
    /// Tax rate in basis points.
    pub tax_bp: u32,
    /// The style this is a variant of.
    #[serde(default)]
    pub parent_sku: Option<String>,
    /// Variant specs.
    #[serde(default)]
    pub specs: Vec<(String, String)>,
}

impl ProductDto {
    /// The core product, or why not.
    pub fn to_product(&self) -> Result<opentill_core::catalog::Product, String> {
        let unit = opentill_core::catalog::Unit::parse(&self.unit).ok_or_else(|| format!("{}: unit must be `each` or `kg`, not `{}`", self.sku, self.unit))?;
        Ok(opentill_core::catalog::Product {
            sku: self.sku.clone(),
            barcodes: self.barcodes.clone(),
            name: self.name.clone(),
            name_zh: self.name_zh.clone(),
            category: self.category.clone(),
            tags: self.tags.clone(),
            unit,
            price_minor: self.price_minor,
            tax_rate: opentill_core::tax::TaxRate(self.tax_bp),
            parent_sku: self.parent_sku.clone(),
            specs: self.specs.clone(),
        })
    }

    /// The wire form of a product (with its central price).
    pub fn from_product(p: &opentill_core::catalog::Product, central: Option<i64>) -> ProductDto {
        ProductDto {
            sku: p.sku.clone(),
            barcodes: p.barcodes.clone(),
            name: p.name.clone(),
            name_zh: p.name_zh.clone(),
            category: p.category.clone(),
            tags: p.tags.clone(),
            unit: p.unit.name().into(),
            price_minor: p.price_minor,
            central_price_minor: central,
            tax_bp: p.tax_rate.0,
            parent_sku: p.parent_sku.clone(),
            specs: p.specs.clone(),
        }
    }
}

/// Which tenant (and store) a catalog route is about.
#[derive(Debug, Deserialize)]
struct CatalogQuery {
    tenant: String,
    store: Option<String>,
}

fn catalog_error(e: crate::docs::CatalogError) -> Response {
    match e {
        crate::docs::CatalogError::Doc(opentill_sync::docs::DocError::BadEdit { sku, reason }) => error(422, "bad_edit", format!("{sku}: {reason}")),
        crate::docs::CatalogError::Busy => error(503, "busy", e.to_string()),
        other => storage_error(other),
    }
}

#[tracing::instrument(skip_all)]
async fn catalog(State(ledger): State<Shared>, axum::extract::Query(q): axum::extract::Query<CatalogQuery>) -> Response {
    let tenant = q.tenant.clone();
    match with_ledger(&ledger, move |l| -> Result<_, crate::docs::CatalogError> {
        let (_, mut doc) = crate::docs::load(l, &q.tenant)?;
        let store = q.store.unwrap_or_default();
        let products: Vec<ProductDto> = doc.skus().iter().filter_map(|sku| Some(ProductDto::from_product(&doc.effective(&store, sku)?, doc.price(sku).map(|p| p.0)))).collect();
        Ok((doc.heads(), products))
    })
    .await
    {
        Err(r) => r,
        Ok(Err(e)) => catalog_error(e),
        Ok(Ok((heads, products))) => Json(json!({ "tenant": tenant, "heads": heads, "products": products })).into_response(),
    }
}

#[tracing::instrument(skip_all, fields(bytes = body.len()))]
async fn put_products(State(ledger): State<Shared>, axum::extract::Query(q): axum::extract::Query<CatalogQuery>, body: Bytes) -> Response {
    let dtos: Vec<ProductDto> = match serde_json::from_slice(&body) {
        Ok(d) => d,
        Err(e) => return error(400, "bad_request", format!("products: {e}")),
    };
    let products = match dtos.iter().map(ProductDto::to_product).collect::<Result<Vec<_>, _>>() {
        Ok(p) => p,
        Err(e) => return error(422, "bad_edit", e),
    };
    let n = products.len();
    match with_ledger(&ledger, move |l| crate::docs::edit(l, &q.tenant, now_ms(), |doc, clock| doc.put_products(&products, clock, now_ms(), |_| {}))).await {
        Err(r) => r,
        Ok(Err(e)) => catalog_error(e),
        Ok(Ok(())) => Json(json!({ "written": n })).into_response(),
    }
}

/// `?tenant=T&doc=catalog|offers`.
#[derive(Debug, Deserialize)]
struct CompactQuery {
    tenant: String,
    doc: String,
}

#[tracing::instrument(skip_all)]
async fn compact_doc(State(ledger): State<Shared>, axum::extract::Query(q): axum::extract::Query<CompactQuery>) -> Response {
    match with_ledger(&ledger, move |l| crate::docs::compact(l, &q.tenant, &q.doc, now_ms())).await {
        Err(r) => r,
        Ok(Err(crate::docs::CatalogError::Doc(opentill_sync::docs::DocError::UnknownDocument(d)))) => error(404, "unknown_document", format!("no shared document called {d:?}")),
        Ok(Err(e)) => catalog_error(e),
        Ok(Ok(c)) => Json(json!({ "doc": c.doc, "from_epoch": c.from_epoch, "to_epoch": c.to_epoch, "registers": c.registers, "bytes_before": c.bytes_before, "bytes_after": c.bytes_after })).into_response(),
    }
}

/// `?tenant=T[&store=S]`: whose offers, and one store's own instead of every store's.
#[derive(Debug, Deserialize)]
struct OffersQuery {
    tenant: String,
    store: Option<String>,
}

fn offers_error(e: crate::offers::OffersError) -> Response {
    match e {
        crate::offers::OffersError::Invalid(m) => error(422, "bad_offer", m),
        crate::offers::OffersError::Unknown(m) => error(404, "not_found", m),
        crate::offers::OffersError::Doc(e) => catalog_error(e),
    }
}

fn offers_answer<T: serde::Serialize>(result: Result<Result<T, crate::offers::OffersError>, Response>) -> Response {
    match result {
        Err(r) => r,
        Ok(Err(e)) => offers_error(e),
        Ok(Ok(v)) => Json(v).into_response(),
    }
}

#[tracing::instrument(skip_all)]
async fn offers(State(ledger): State<Shared>, axum::extract::Query(q): axum::extract::Query<OffersQuery>) -> Response {
    offers_answer(with_ledger(&ledger, move |l| crate::offers::view(l, &q.tenant)).await)
}

#[tracing::instrument(skip_all, fields(bytes = body.len()))]
async fn put_offer(State(ledger): State<Shared>, Path(section): Path<String>, axum::extract::Query(q): axum::extract::Query<OffersQuery>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body).into_owned();
    offers_answer(
        with_ledger(&ledger, move |l| {
            let section = crate::offers::section(&section)?;
            if section == opentill_sync::docs::offers::Section::Setting {
                return Err(crate::offers::OffersError::Unknown("settings are set at /v1/offers/settings/{member_program|commission_rules}".into()));
            }
            let (id, hlc) = crate::offers::put(l, &q.tenant, section, None, q.store.as_deref(), &text, now_ms())?;
            Ok(json!({ "id": id, "store": q.store, "hlc": hlc }))
        })
        .await,
    )
}

#[tracing::instrument(skip_all, fields(bytes = body.len()))]
async fn put_setting(State(ledger): State<Shared>, Path(id): Path<String>, axum::extract::Query(q): axum::extract::Query<OffersQuery>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body).into_owned();
    offers_answer(
        with_ledger(&ledger, move |l| {
            let (id, hlc) = crate::offers::put(l, &q.tenant, opentill_sync::docs::offers::Section::Setting, Some(&id), q.store.as_deref(), &text, now_ms())?;
            Ok(json!({ "id": id, "store": q.store, "hlc": hlc }))
        })
        .await,
    )
}

#[tracing::instrument(skip_all)]
async fn remove_offer(State(ledger): State<Shared>, Path((section, id)): Path<(String, String)>, axum::extract::Query(q): axum::extract::Query<OffersQuery>) -> Response {
    offers_answer(
        with_ledger(&ledger, move |l| {
            let section = crate::offers::section(&section)?;
            let hlc = crate::offers::remove(l, &q.tenant, section, &id, q.store.as_deref(), now_ms())?;
            Ok(json!({ "id": id, "store": q.store, "removed": true, "hlc": hlc }))
        })
        .await,
    )
}

#[tracing::instrument(skip_all)]
async fn remove_setting(State(ledger): State<Shared>, Path(id): Path<String>, axum::extract::Query(q): axum::extract::Query<OffersQuery>) -> Response {
    offers_answer(
        with_ledger(&ledger, move |l| {
            let hlc = crate::offers::remove(l, &q.tenant, opentill_sync::docs::offers::Section::Setting, &id, q.store.as_deref(), now_ms())?;
            Ok(json!({ "id": id, "store": q.store, "removed": true, "hlc": hlc }))
        })
        .await,
    )
}

/// `PUT /v1/catalog/prices` body.
#[derive(Debug, Deserialize, Serialize)]
pub struct PriceRequest {
    /// SKU.
    pub sku: String,
    /// Minor units; `null` with a store removes that store's own price.
    pub price_minor: Option<i64>,
    /// A store's own price instead of the central one.
    #[serde(default)]
    pub store: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn put_price(State(ledger): State<Shared>, axum::extract::Query(q): axum::extract::Query<CatalogQuery>, body: Bytes) -> Response {
    let request: PriceRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("price: {e}")),
    };
    if request.store.is_none() && request.price_minor.is_none() {
        return error(422, "bad_edit", format!("{}: a central price cannot be removed, only changed", request.sku));
    }
    let (sku, price, store) = (request.sku.clone(), request.price_minor, request.store.clone());
    let result = with_ledger(&ledger, move |l| {
        crate::docs::edit(l, &q.tenant, now_ms(), |doc, clock| match &store {
            Some(store) => doc.set_store_price(store, &sku, price, clock, now_ms()),
            None => doc.set_price(&sku, price.unwrap_or_default(), clock, now_ms()),
        })
    })
    .await;
    match result {
        Err(r) => r,
        Ok(Err(e)) => catalog_error(e),
        Ok(Ok(hlc)) => Json(json!({ "sku": request.sku, "price_minor": request.price_minor, "store": request.store, "hlc": hlc.encode() })).into_response(),
    }
}

/// `POST /v1/enrol` body.
#[derive(Debug, Deserialize, Serialize)]
pub struct EnrolRequest {
    /// The one-time code.
    pub code: String,
    /// The node's store.
    pub store_id: String,
    /// The node.
    pub node_id: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Signature of [`enrol_message`], hex.
    pub signature: String,
}

#[tracing::instrument(skip_all)]
async fn enrol(State(ledger): State<Shared>, body: Bytes) -> Response {
    let request: EnrolRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", format!("enrol request: {e}")),
    };
    let Some(key) = hex::decode(&request.public_key).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
        return error(400, "bad_request", "public_key must be 32 bytes of hex");
    };
    let Some(signature) = hex::decode(&request.signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return error(400, "bad_request", "signature must be 64 bytes of hex");
    };
    let Ok(verifying) = VerifyingKey::from_bytes(&key) else { return error(400, "bad_request", "public_key is not an Ed25519 key") };
    let code = normalize_code(&request.code);
    if verifying.verify(&enrol_message(&code, &request.store_id, &request.node_id, &key), &Signature::from_bytes(&signature)).is_err() {
        return error(403, "bad_signature", "the enrolment is not signed by the key it enrols");
    }
    let hash = code_hash(&code);
    let (store_id, node_id) = (request.store_id.clone(), request.node_id.clone());
    let outcome = match with_ledger(&ledger, move |l| l.enrol(hash, &store_id, &node_id, key, now_ms())).await {
        Err(response) => return response,
        Ok(Err(e)) => return storage_error(e),
        Ok(Ok(outcome)) => outcome,
    };
    match outcome {
        EnrolOutcome::Enrolled(path) => {
            info!(tenant = %path.tenant, brand = %path.brand, store = %path.store_id, node = %request.node_id, "enrolled");
            Json(json!({ "tenant": path.tenant, "brand": path.brand, "store_id": path.store_id, "node_id": request.node_id })).into_response()
        }
        EnrolOutcome::UnknownCode => error(403, "unknown_code", "no such enrolment code"),
        EnrolOutcome::Expired => error(403, "code_expired", "the enrolment code has expired; ask for a new one"),
        EnrolOutcome::CodeUsed => error(403, "code_used", "the enrolment code was already used"),
        EnrolOutcome::WrongStore { code_store } => error(403, "wrong_store", format!("the code is for store {code_store}, not {}", request.store_id)),
        EnrolOutcome::NodeExists => error(409, "node_exists", format!("node {}/{} is already enrolled with another key", request.store_id, request.node_id)),
    }
}

async fn totals(State(ledger): State<Shared>) -> Response {
    match with_ledger(&ledger, |l| l.totals()).await {
        Err(r) => r,
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(rows)) => Json(
            rows.iter()
                .map(|t| {
                    json!({
                        "tenant": t.path.tenant, "brand": t.path.brand, "store_id": t.path.store_id,
                        "n_entries": t.totals.n_entries, "n_sales": t.totals.n_sales, "sales_minor": t.totals.sales_minor,
                        "n_refunds": t.totals.n_refunds, "refunds_minor": t.totals.refunds_minor,
                        "net_minor": t.totals.sales_minor - t.totals.refunds_minor,
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
    }
}

async fn nodes(State(ledger): State<Shared>) -> Response {
    match with_ledger(&ledger, |l| l.nodes()).await {
        Err(r) => r,
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(rows)) => Json(
            rows.iter()
                .map(|n| {
                    json!({
                        "store_id": n.store_id, "node_id": n.node_id, "acked_seq": n.acked_seq, "head_hash": hex::encode(n.head_hash), "n_entries": n.n_entries,
                        "reported_head": n.reported_head, "behind": n.reported_head.saturating_sub(n.acked_seq), "last_seen_ms": n.last_seen_ms,
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
    }
}

async fn quarantine(State(ledger): State<Shared>) -> Response {
    match with_ledger(&ledger, |l| l.quarantined()).await {
        Err(r) => r,
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(rows)) => Json(
            rows.iter()
                .map(|q| {
                    json!({
                        "id": q.id, "received_ms": q.received_ms, "store_id": q.store_id, "node_id": q.node_id, "reason": q.reason,
                        "first_seq": q.seqs.map(|s| s.0), "last_seq": q.seqs.map(|s| s.1), "n_bytes": q.n_bytes,
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
    }
}

async fn alerts(State(ledger): State<Shared>) -> Response {
    match with_ledger(&ledger, |l| l.alerts()).await {
        Err(r) => r,
        Ok(Err(e)) => storage_error(e),
        Ok(Ok(rows)) => Json(
            rows.iter()
                .map(|a| json!({ "id": a.id, "raised_ms": a.raised_ms, "severity": a.severity, "store_id": a.store_id, "node_id": a.node_id, "message": a.message }))
                .collect::<Vec<_>>(),
        )
        .into_response(),
    }
}
