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

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
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

/// The router. When `admin_token` is set, the read routes (`/v1/totals`, `/v1/nodes`,
/// `/v1/quarantine`, `/v1/alerts`) need `Authorization: Bearer TOKEN`; enrolment and sync
/// are authenticated by the one-time code and the node's signatures instead.
pub fn router(ledger: Shared, admin_token: Option<String>) -> axum::Router {
    let token: Option<Arc<[u8; 32]>> = admin_token.map(|t| Arc::new(Sha256::digest(t.as_bytes()).into()));
    let reads = axum::Router::new()
        .route("/v1/totals", get(totals))
        .route("/v1/nodes", get(nodes))
        .route("/v1/quarantine", get(quarantine))
        .route("/v1/alerts", get(alerts))
        .route("/v1/passes/revoke", post(revoke_pass))
        .route_layer(axum::middleware::from_fn_with_state(token, require_admin));
    axum::Router::new()
        .route("/v1/enrol", post(enrol))
        .route("/v1/sync", post(sync))
        .route("/v1/revoked", post(revoked))
        .merge(reads)
        .layer(DefaultBodyLimit::max(MAX_FRAME))
        .with_state(ledger)
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
