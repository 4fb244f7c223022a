//! `serve`'s routes for the store's tills: the edge agent as their sync peer
//! (`opentill_sync::relay`). Tills enrol through it (`POST /v1/enrol`, forwarded to the
//! cloud), push their journals to it (`POST /v1/sync`), fetch the others' journals from
//! it (the same route), sync the catalog with it (`POST /v1/docs`) and take its
//! stored-value snapshot from the cloud (`POST /v1/balances`, handed down unchanged) and
//! the member passes head office revoked (`POST /v1/revoked`, as the cloud answers it).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentill_sync::Replica;
use opentill_sync::protocol::MAX_FRAME;
use opentill_sync::relay::{self, Answer};
use serde_json::json;

type Shared = Arc<Mutex<Replica>>;

/// The routes, on their own connection to the replica in `data`.
pub fn routes(data: &std::path::Path) -> anyhow::Result<axum::Router> {
    let replica: Shared = Arc::new(Mutex::new(Replica::open(data)?));
    Ok(axum::Router::new()
        .route("/v1/enrol", post(enrol))
        .route("/v1/sync", post(sync))
        .route("/v1/docs", post(docs))
        .route("/v1/balances", post(balances))
        .route("/v1/transfers", post(transfers))
        .route("/v1/o2o", post(o2o))
        .route("/v1/revoked", post(revoked))
        .layer(DefaultBodyLimit::max(MAX_FRAME))
        .with_state(replica))
}

fn error(status: u16, kind: &str, message: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({ "kind": kind, "message": message.into() }))).into_response()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

async fn blocking<T: Send + 'static>(replica: &Shared, work: impl FnOnce(&mut Replica) -> anyhow::Result<T> + Send + 'static) -> Result<T, Response> {
    let replica = replica.clone();
    match tokio::task::spawn_blocking(move || {
        let mut guard = replica.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&mut guard)
    })
    .await
    {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            tracing::error!(error = %format!("{e:#}"), "serving a till's sync request");
            Err(error(500, "storage", format!("{e:#}")))
        }
        Err(e) => Err(error(500, "internal", e.to_string())),
    }
}

fn answer(answer: Answer) -> Response {
    match answer {
        Answer::Frame(bytes) => ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Answer::Refused { status, kind, message } => error(status, kind, message),
    }
}

async fn sync(State(replica): State<Shared>, body: Bytes) -> Response {
    match blocking(&replica, move |r| Ok(relay::serve_sync(r, &body, now_ms())?)).await {
        Ok(a) => answer(a),
        Err(response) => response,
    }
}

async fn docs(State(replica): State<Shared>, body: Bytes) -> Response {
    match blocking(&replica, move |r| Ok(relay::serve_docs(r, &body, now_ms())?)).await {
        Ok(a) => answer(a),
        Err(response) => response,
    }
}

/// Checks a till's signed request: `Ok(None)` when it is one of this edge agent's tills
/// and signed `message`, else the refusal to send.
fn check_till(r: &Replica, store_id: &str, node_id: &str, signature: &str, message: &[u8]) -> anyhow::Result<Option<Response>> {
    let Some(signature) = hex::decode(signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return Ok(Some(error(400, "bad_request", "signature must be 64 bytes of hex")));
    };
    let Some(peer) = r.peer(node_id)?.filter(|_| store_id == r.settings().store_id) else {
        return Ok(Some(error(403, "unknown_node", format!("node {store_id}/{node_id} did not enrol through this edge agent"))));
    };
    use ed25519_dalek::Verifier;
    if peer.key.verify(message, &ed25519_dalek::Signature::from_bytes(&signature)).is_err() {
        return Ok(Some(error(403, "bad_signature", "the request is not signed by the node's enrolled key")));
    }
    Ok(None)
}

/// Hands a till the member passes revoked since `since_ms`, from what this edge agent
/// took from the cloud (and revoked itself).
async fn revoked(State(replica): State<Shared>, body: Bytes) -> Response {
    let work = move |r: &mut Replica| -> anyhow::Result<Response> {
        let request: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return Ok(error(400, "bad_request", format!("revoked request: {e}"))),
        };
        let (Some(store_id), Some(node_id), Some(since), Some(signature)) = (request["store_id"].as_str(), request["node_id"].as_str(), request["since_ms"].as_i64(), request["signature"].as_str()) else {
            return Ok(error(400, "bad_request", "a revoked-pass request names store_id, node_id, since_ms and signature"));
        };
        if let Some(refusal) = check_till(r, store_id, node_id, signature, &opentill_sync::protocol::revoked_request_message(store_id, node_id, since))? {
            return Ok(refusal);
        }
        let passes: Vec<serde_json::Value> = r.revoked_since(since)?.into_iter().map(|(p, t)| json!({ "pass_id": p, "revoked_ms": t })).collect();
        Ok(Json(json!({ "passes": passes })).into_response())
    };
    match blocking(&replica, work).await {
        Ok(response) | Err(response) => response,
    }
}

/// Hands a till this edge agent's stored-value snapshot, as the cloud sent it: the other
/// stores' totals are the same for every node of the store, and the held seqs in it were
/// read by the cloud before those totals (see `opentill_sync::BalanceSnapshot`).
async fn balances(State(replica): State<Shared>, body: Bytes) -> Response {
    till_read(&replica, body, "balances", opentill_sync::protocol::balances_request_message, |r, _| {
        Ok(match r.balance_snapshot_full()? {
            Some(snapshot) => Json(snapshot).into_response(),
            None => error(503, "no_snapshot", "this edge agent has no stored-value snapshot from the cloud yet; try again after it syncs"),
        })
    })
    .await
}

/// Hands a till the other stores' transfer steps this edge agent holds (its store's own
/// steps reach the till through the store's journals), and the tenant's stores.
async fn transfers(State(replica): State<Shared>, body: Bytes) -> Response {
    till_read(&replica, body, "transfers", opentill_sync::protocol::transfers_request_message, |r, store_id| {
        let mut stores = r.transfer_stores()?;
        stores.push(store_id.to_string());
        stores.sort();
        let snapshot = opentill_sync::TransferSnapshot { store_id: store_id.to_string(), as_of_ms: now_ms(), stores, events: r.remote_transfer_events()? };
        Ok(Json(snapshot).into_response())
    })
    .await
}

/// Hands a till the store's O2O orders this edge agent holds (the store's steps on them
/// reach the till through the store's journals).
async fn o2o(State(replica): State<Shared>, body: Bytes) -> Response {
    till_read(&replica, body, "o2o", opentill_sync::protocol::o2o_request_message, |r, store_id| {
        let snapshot = opentill_sync::O2oSnapshot { store_id: store_id.to_string(), as_of_ms: now_ms(), orders: r.o2o_placed()? };
        Ok(Json(snapshot).into_response())
    })
    .await
}

/// A till's signed read (`balances`, `transfers`, `o2o`): the body names the store, node,
/// time and signature of `message` over them; `answer` gets the replica and the store.
async fn till_read(
    replica: &Shared,
    body: Bytes,
    what: &'static str,
    message: fn(&str, &str, i64) -> Vec<u8>,
    answer: impl FnOnce(&mut Replica, &str) -> anyhow::Result<Response> + Send + 'static,
) -> Response {
    let work = move |r: &mut Replica| -> anyhow::Result<Response> {
        let request: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return Ok(error(400, "bad_request", format!("{what} request: {e}"))),
        };
        let (Some(store_id), Some(node_id), Some(ts_ms), Some(signature)) = (request["store_id"].as_str(), request["node_id"].as_str(), request["ts_ms"].as_i64(), request["signature"].as_str()) else {
            return Ok(error(400, "bad_request", format!("a {what} request names store_id, node_id, ts_ms and signature")));
        };
        if let Some(refusal) = check_till(r, store_id, node_id, signature, &message(store_id, node_id, ts_ms))? {
            return Ok(refusal);
        }
        answer(r, store_id)
    };
    match blocking(replica, work).await {
        Ok(response) | Err(response) => response,
    }
}

/// Forwards a till's enrolment to the cloud this edge agent is enrolled with; if the cloud
/// accepts it, starts holding the till's journal and tells the till who carries it.
async fn enrol(State(replica): State<Shared>, body: Bytes) -> Response {
    /// What the first step found: the till, and where to forward its enrolment.
    struct Checked {
        node_id: String,
        key: [u8; 32],
        cloud: String,
        via: serde_json::Value,
    }
    let request = body.clone();
    // 1. Check the request against this edge agent's settings (holding the replica).
    let check = move |r: &mut Replica| -> anyhow::Result<Result<Checked, Response>> {
        let request: serde_json::Value = match serde_json::from_slice(&request) {
            Ok(v) => v,
            Err(e) => return Ok(Err(error(400, "bad_request", format!("enrol request: {e}")))),
        };
        let (Some(store_id), Some(node_id), Some(key_hex)) = (request["store_id"].as_str(), request["node_id"].as_str(), request["public_key"].as_str()) else {
            return Ok(Err(error(400, "bad_request", "an enrolment names store_id, node_id and public_key")));
        };
        let Some(key) = hex::decode(key_hex).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
            return Ok(Err(error(400, "bad_request", "public_key must be 32 bytes of hex")));
        };
        let settings = r.settings().clone();
        if store_id != settings.store_id {
            return Ok(Err(error(403, "wrong_store", format!("this edge agent serves store {}, not {store_id}", settings.store_id))));
        }
        if node_id == settings.node_id {
            return Ok(Err(error(409, "node_taken", format!("{node_id} is this edge agent's own node id; give the till another (`init --node`)"))));
        }
        let Some(cloud) = r.sync_state()?.cloud_url else {
            return Ok(Err(error(503, "edge_not_enrolled", "this edge agent is not enrolled with a cloud yet: run `opentill-edge sync enroll` on it first")));
        };
        let via = json!({ "node_id": settings.node_id, "public_key": hex::encode(r.public_key().to_bytes()) });
        Ok(Ok(Checked { node_id: node_id.to_string(), key, cloud, via }))
    };
    let checked = match blocking(&replica, check).await {
        Ok(Ok(checked)) => checked,
        Ok(Err(response)) | Err(response) => return response,
    };
    // 2. Forward it to the cloud without holding the replica: the store's other tills keep
    //    syncing while the cloud answers (up to 30 s).
    let cloud = checked.cloud.clone();
    let forwarded = tokio::task::spawn_blocking(move || -> Result<(u16, Vec<u8>), String> {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(30))).build().into();
        let mut response = agent.post(&format!("{cloud}/v1/enrol")).header("content-type", "application/json").send(&body[..]).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        Ok((status, response.body_mut().read_to_vec().unwrap_or_default()))
    })
    .await;
    let (status, reply) = match forwarded {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => return error(502, "cloud_unreachable", format!("the cloud ({}) is unreachable, and a till enrols only once the cloud has accepted it: {e}", checked.cloud)),
        Err(e) => return error(500, "internal", e.to_string()),
    };
    if status != 200 {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        return (status, [(header::CONTENT_TYPE, "application/json")], reply).into_response();
    }
    // 3. The cloud accepted it: hold the till's journal from now on.
    let record = move |r: &mut Replica| -> anyhow::Result<Response> {
        let mut reply: serde_json::Value = serde_json::from_slice(&reply).unwrap_or_else(|_| json!({}));
        r.add_peer(&checked.node_id, &checked.key, now_ms())?;
        reply["via"] = checked.via;
        tracing::info!(node = %checked.node_id, "till enrolled through this edge agent");
        Ok(Json(reply).into_response())
    };
    match blocking(&replica, record).await {
        Ok(response) | Err(response) => response,
    }
}
