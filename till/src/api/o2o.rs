//! O2O orders at the store over HTTP: the back office's list and pick list, the steps,
//! and the till's handover when the customer shows the order's QR code. See
//! `crate::o2o`.

use axum::Json;
use axum::extract::{Path, State};
use opentill_core::i18n::Lang;
use opentill_core::o2o::{Fulfilment, OrderView, Step};
use opentill_core::role::Permission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AcceptLang, ApiError, ApiErrorBody, ApiJson, AppState, SaleDto, TenderDto, parse_tenders, run, sale_dto};
use crate::{Till, TillError};

/// A line of an order, as a pick list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineDto {
    /// SKU.
    pub sku: String,
    /// The product's name in the caller's language (the SKU if the catalog lacks it).
    pub name: String,
    /// Its category (pick lists go by category).
    pub category: String,
    /// `each` or `kg` (then quantities are grams).
    pub unit: String,
    /// Ordered.
    pub qty: i64,
    /// On hand in this store now.
    pub on_hand: i64,
    /// On hand less what other open orders hold back: what accepting this order checks.
    pub free: i64,
}

/// A step the store took.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderStepDto {
    /// `accepted`, `rejected`, `picked`, `ready`, `handed_over`, `dispatched`, `cancelled`.
    pub step: String,
    /// Who.
    pub by: String,
    /// When (unix ms).
    pub ts_ms: i64,
    /// A note or reason.
    pub note: Option<String>,
}

/// An online order and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    /// The platform's order id.
    pub order_id: String,
    /// What the order's QR code holds.
    pub qr: String,
    /// `shop`, `meituan`, ...
    pub channel: String,
    /// `pickup` or `delivery`.
    pub fulfilment: String,
    /// `placed`, `accepted`, `picked`, `ready`, `handed_over`, `dispatched`, `rejected`, `cancelled`.
    pub state: String,
    /// The state in the caller's language.
    pub state_label: String,
    /// The customer.
    pub customer_name: String,
    /// Their mobile number.
    pub customer_phone: String,
    /// The member the order is for.
    pub member: Option<String>,
    /// The customer's note.
    pub note: Option<String>,
    /// When it was placed (unix ms).
    pub placed_ms: i64,
    /// What was ordered, by category (the pick list).
    pub lines: Vec<OrderLineDto>,
    /// The store's steps, oldest first.
    pub steps: Vec<OrderStepDto>,
    /// Why it was cancelled online, if it was.
    pub online_cancel_reason: Option<String>,
    /// A contradiction settled by the precedence rule: `cancelled_after_handover`.
    pub conflict: Option<String>,
    /// The price this store gave when it accepted.
    pub quoted_minor: Option<i64>,
    /// The sale recorded at handover or dispatch.
    pub sale_id: Option<String>,
    /// Its total.
    pub sale_total_minor: Option<i64>,
    /// What the store can do next: `accept`, `reject`, `pick`, `ready`, `handover`, `cancel`.
    pub next: Vec<String>,
}

/// A step on an order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderStepRequest {
    /// `accept`, `reject`, `pick`, `ready` or `cancel`.
    pub step: String,
    /// A note or reason.
    #[serde(default)]
    pub note: Option<String>,
    /// Who (accept, reject and cancel need a manager; pick and ready any staff).
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// Handing an order over (or dispatching it).
#[derive(Debug, Deserialize, ToSchema)]
pub struct HandoverRequest {
    /// The cashier.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
    /// How it is paid at the till; absent: paid online through the order's channel.
    #[serde(default)]
    pub tenders: Option<Vec<TenderDto>>,
    /// A courier's waybill, or a note.
    #[serde(default)]
    pub note: Option<String>,
}

/// The order and the sale a handover recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverDto {
    /// The order, handed over.
    pub order: OrderDto,
    /// The sale.
    pub sale: SaleDto,
}

fn next_steps(v: &OrderView) -> Vec<String> {
    let handover = match v.order.fulfilment {
        Fulfilment::Pickup => Step::HandedOver,
        Fulfilment::Delivery => Step::Dispatched,
    };
    [(Step::Accepted, "accept"), (Step::Rejected, "reject"), (Step::Picked, "pick"), (Step::Ready, "ready"), (handover, "handover"), (Step::Cancelled, "cancel")]
        .into_iter()
        .filter(|(s, _)| opentill_core::o2o::check_step(v, *s).is_ok())
        .map(|(_, name)| name.to_string())
        .collect()
}

/// The order as the API shows it to `lang`.
pub fn order_dto(till: &Till, v: OrderView, lang: Lang) -> OrderDto {
    let reserved = till.replica().o2o_reserved().unwrap_or_default();
    let mut lines: Vec<OrderLineDto> = v
        .order
        .lines
        .iter()
        .map(|l| {
            let product = till.replica().product_by_sku(&l.sku).ok().flatten();
            let on_hand = till.replica().stock(&l.sku).unwrap_or(0);
            let own = if v.state.reserves() { l.qty } else { 0 };
            let free = on_hand - (reserved.get(&l.sku).copied().unwrap_or(0) - own);
            match product {
                Some(p) => OrderLineDto { sku: l.sku.clone(), name: if lang == Lang::Zh { p.name_zh } else { p.name }, category: p.category, unit: p.unit.name().into(), qty: l.qty, on_hand, free },
                None => OrderLineDto { sku: l.sku.clone(), name: l.sku.clone(), category: String::new(), unit: "each".into(), qty: l.qty, on_hand, free },
            }
        })
        .collect();
    lines.sort_by(|a, b| (&a.category, &a.sku).cmp(&(&b.category, &b.sku)));
    OrderDto {
        qr: v.order.qr_text(),
        fulfilment: match v.order.fulfilment {
            Fulfilment::Pickup => "pickup",
            Fulfilment::Delivery => "delivery",
        }
        .into(),
        state: v.state.as_str().into(),
        state_label: v.state.label(lang).into(),
        lines,
        steps: v.steps.iter().map(|e| OrderStepDto { step: e.fact.step.as_str().into(), by: e.fact.by.clone(), ts_ms: e.ts_ms, note: e.fact.note.clone() }).collect(),
        online_cancel_reason: v.online_cancel.as_ref().map(|c| c.reason.clone()),
        conflict: v.conflict.map(|_| "cancelled_after_handover".to_string()),
        quoted_minor: v.quoted_minor,
        sale_id: v.sale.as_ref().map(|s| s.0.clone()),
        sale_total_minor: v.sale.as_ref().map(|s| s.1),
        next: next_steps(&v),
        order_id: v.order.order_id,
        channel: v.order.channel,
        customer_name: v.order.customer_name,
        customer_phone: v.order.customer_phone,
        member: v.order.member,
        note: v.order.note,
        placed_ms: v.order.placed_ms,
    }
}

/// Online orders for this store, newest first.
#[utoipa::path(get, path = "/api/o2o/orders", responses((status = 200, body = [OrderDto])))]
pub async fn list_orders(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<OrderDto>>, ApiError> {
    run(&state, lang, move |till| Ok(till.o2o_orders()?.into_iter().map(|v| order_dto(till, v, lang)).collect())).await.map(Json)
}

/// One order with its pick list; the id may be the QR code's text (`OTO:…`).
#[utoipa::path(get, path = "/api/o2o/orders/{order_id}", params(("order_id" = String, Path, description = "Order id or QR text")), responses((status = 200, body = OrderDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_order(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(order_id): Path<String>) -> Result<Json<OrderDto>, ApiError> {
    run(&state, lang, move |till| Ok(order_dto(till, till.o2o_order(&order_id)?, lang))).await.map(Json)
}

/// Take a step on an order: accept (reserves its stock, prices it), reject, pick, ready, cancel.
#[utoipa::path(post, path = "/api/o2o/orders/{order_id}/step", params(("order_id" = String, Path, description = "Order")), request_body = OrderStepRequest, responses((status = 200, body = OrderDto), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn order_step(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(order_id): Path<String>, ApiJson(req): ApiJson<OrderStepRequest>) -> Result<Json<OrderDto>, ApiError> {
    run(&state, lang, move |till| {
        let (step, manager) = match req.step.as_str() {
            "accept" => (Step::Accepted, true),
            "reject" => (Step::Rejected, true),
            "pick" => (Step::Picked, false),
            "ready" => (Step::Ready, false),
            "cancel" => (Step::Cancelled, true),
            other => return Err(TillError::BadInput(format!("step `{other}` must be accept, reject, pick, ready or cancel"))),
        };
        let actor = if manager { till.authorize(&req.user_id, &req.pin, Permission::Manage, "accept, reject or cancel an online order")? } else { till.login(&req.user_id, &req.pin)? };
        let v = till.o2o_step(&order_id, step, req.note.as_deref(), &actor.user_id)?;
        Ok(order_dto(till, v, lang))
    })
    .await
    .map(Json)
}

/// Hand a ready order over at the till (or dispatch a delivery): records the sale, priced
/// as any sale here with the order's member; sent again, it records nothing new.
#[utoipa::path(post, path = "/api/o2o/orders/{order_id}/handover", params(("order_id" = String, Path, description = "Order id or QR text")), request_body = HandoverRequest, responses((status = 200, body = HandoverDto), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn handover(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(order_id): Path<String>, ApiJson(req): ApiJson<HandoverRequest>) -> Result<Json<HandoverDto>, ApiError> {
    let tenders = req.tenders.map(parse_tenders).transpose()?;
    run(&state, lang, move |till| {
        let actor = till.login(&req.user_id, &req.pin)?;
        let (v, done) = till.o2o_hand_over(&order_id, tenders, Some(&actor), req.note.as_deref())?;
        let text = till.sale_receipt(&done, lang);
        let sale = sale_dto(done.sale, done.ts_ms, done.new, text);
        Ok(HandoverDto { order: order_dto(till, v, lang), sale })
    })
    .await
    .map(Json)
}
