//! Promotions and coupons for the back office: the stored ones, whether each runs now (and
//! why not), what each is in the request's language, and storing or removing one with a
//! manager's PIN. The checks are the till's (`Till::put_promotion`, `Till::put_coupon`),
//! the same as the command line's.

use axum::Json;
use axum::extract::{Path, State};
use opentill_core::i18n::Lang;
use opentill_core::promo::{Coupon, CouponKind, CouponUses, PromoKind, Promotion, Window};
use opentill_core::role::Permission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::stock::ManagerPin;
use super::{AcceptLang, ApiError, ApiErrorBody, ApiJson, AppState, run};
use crate::{Till, TillError};

/// When a promotion or coupon is valid.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowDto {
    /// Start, ms since the epoch, inclusive.
    pub from_ms: i64,
    /// End, ms since the epoch, exclusive.
    pub to_ms: i64,
    /// Only from this minute of the store's day (0 to 1439)...
    pub daily_from_minute: Option<u16>,
    /// ...to this one (exclusive; before the first when it runs past midnight).
    pub daily_to_minute: Option<u16>,
    /// Only on these weekdays, 1 (Monday) to 7 (Sunday); empty: every day.
    pub weekdays: Vec<u8>,
}

impl From<&Window> for WindowDto {
    fn from(w: &Window) -> Self {
        WindowDto { from_ms: w.from_ms, to_ms: w.to_ms, daily_from_minute: w.daily.map(|d| d.from_minute), daily_to_minute: w.daily.map(|d| d.to_minute), weekdays: w.weekdays.clone() }
    }
}

/// A stored promotion.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionDto {
    /// Its id.
    pub id: String,
    /// `PercentOff`, `FixedPrice`, `MemberPrice`, `BuyGet`, `Bundle`, `FlashSale` or
    /// `Threshold`.
    pub kind: String,
    /// Whether it applies now.
    pub running: bool,
    /// `running`, or why not: `not_started`, `ended`, `other_weekday`, `outside_hours`
    /// (in the store's local time).
    pub state: String,
    /// When it runs.
    pub window: WindowDto,
    /// What it is, in the request's language (`8.5折`, `15% off`, `满100减20`).
    pub description: String,
    /// Head office set it for every store: only head office removes it (the store may put
    /// its own with the same id, which it then runs).
    pub head_office: bool,
    /// The promotion as stored: the JSON `POST /api/promotions` takes (see
    /// docs/promotions.md).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub promotion: serde_json::Value,
}

/// A stored coupon.
#[derive(Debug, Serialize, ToSchema)]
pub struct CouponDto {
    /// Its id: the code a customer presents.
    pub id: String,
    /// `Cash`, `Threshold` or `Percent`.
    pub kind: String,
    /// Whether it can be used now.
    pub running: bool,
    /// `running`, or why not: `not_started`, `ended`, `other_weekday`, `outside_hours`.
    pub state: String,
    /// When it can be used.
    pub window: WindowDto,
    /// What it is, in the request's language (`满10减2券`, `¥2 coupon`).
    pub description: String,
    /// Sales that used it so far.
    pub used: i64,
    /// Uses allowed in all; null: unlimited.
    pub limit: Option<u32>,
    /// Uses allowed per member, if limited.
    pub per_member_limit: Option<u32>,
    /// Head office set it for every store: only head office removes it.
    pub head_office: bool,
    /// The coupon as stored: the JSON `POST /api/coupons` takes.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub coupon: serde_json::Value,
}

/// Add a promotion, or replace the one with the same id; a manager's id and PIN
/// authorise it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PromotionRequest {
    /// The promotion, as JSON (see docs/promotions.md), e.g. `{"id": "drinks-15", "kind":
    /// {"PercentOff": {"scope": {"Categories": ["drinks"]}, "percent_bp": 1500}}, "window":
    /// {"from_ms": 0, "to_ms": 4102444800000}}`.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub promotion: serde_json::Value,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// Add a coupon, or replace the one with the same id; a manager's id and PIN authorise it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CouponRequest {
    /// The coupon, as JSON (see docs/promotions.md).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub coupon: serde_json::Value,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

fn kind_name(kind: &PromoKind) -> &'static str {
    match kind {
        PromoKind::PercentOff { .. } => "PercentOff",
        PromoKind::FixedPrice { .. } => "FixedPrice",
        PromoKind::MemberPrice { .. } => "MemberPrice",
        PromoKind::BuyGet { .. } => "BuyGet",
        PromoKind::Bundle { .. } => "Bundle",
        PromoKind::FlashSale { .. } => "FlashSale",
        PromoKind::Threshold { .. } => "Threshold",
    }
}

fn to_json(value: &impl Serialize) -> Result<serde_json::Value, TillError> {
    serde_json::to_value(value).map_err(|e| TillError::BadInput(e.to_string()))
}

fn promotion_dto(till: &Till, p: &Promotion, lang: Lang) -> Result<PromotionDto, TillError> {
    let settings = till.replica().settings();
    let state = p.window.state_at(till.now_ms(), settings.utc_offset_min);
    Ok(PromotionDto {
        id: p.id.clone(),
        kind: kind_name(&p.kind).into(),
        running: state == opentill_core::promo::WindowState::Running,
        state: state.name().into(),
        window: (&p.window).into(),
        description: p.label_text_any(settings.currency, lang),
        head_office: till.replica().head_office_offers()?.contains(&("promotion".to_string(), p.id.clone())),
        promotion: to_json(p)?,
    })
}

fn coupon_dto(till: &Till, c: &Coupon, lang: Lang) -> Result<CouponDto, TillError> {
    let settings = till.replica().settings();
    let state = c.window.state_at(till.now_ms(), settings.utc_offset_min);
    Ok(CouponDto {
        id: c.id.clone(),
        kind: match c.kind {
            CouponKind::Cash { .. } => "Cash",
            CouponKind::Threshold { .. } => "Threshold",
            CouponKind::Percent { .. } => "Percent",
        }
        .into(),
        running: state == opentill_core::promo::WindowState::Running,
        state: state.name().into(),
        window: (&c.window).into(),
        description: c.label_text(settings.currency, lang),
        used: till.offer_uses(&c.id, None)?,
        limit: match c.uses {
            CouponUses::Single => Some(1),
            CouponUses::Limited(n) => Some(n),
            CouponUses::Unlimited => None,
        },
        per_member_limit: c.per_member_limit,
        head_office: till.replica().head_office_offers()?.contains(&("coupon".to_string(), c.id.clone())),
        coupon: to_json(c)?,
    })
}

fn promotion_list(till: &Till, lang: Lang) -> Result<Vec<PromotionDto>, TillError> {
    till.promotions()?.iter().map(|p| promotion_dto(till, p, lang)).collect()
}

fn coupon_list(till: &Till, lang: Lang) -> Result<Vec<CouponDto>, TillError> {
    till.coupons()?.iter().map(|c| coupon_dto(till, c, lang)).collect()
}

/// An offer or setting the store has but does not run.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetAsideDto {
    /// `promotion`, `coupon` or `setting`.
    pub section: String,
    /// Its id.
    pub id: String,
    /// Head office's (for every store) rather than this store's own.
    pub head_office: bool,
    /// Why, in the request's language.
    pub reason: String,
}

/// Offers and settings this store has but does not run, and why: edits made apart (at two
/// tills offline, or here and at head office) that each checked but clash once merged.
/// The later one by hybrid logical clock is set aside until it is changed or removed.
#[utoipa::path(get, path = "/api/offers/set-aside", responses((status = 200, body = [SetAsideDto])))]
pub async fn offers_set_aside(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<SetAsideDto>>, ApiError> {
    run(&state, lang, move |till| {
        Ok(till
            .offers_set_aside()?
            .into_iter()
            .map(|a| SetAsideDto { head_office: a.scope == opentill_sync::docs::offers::EVERY_STORE, reason: lang.pick(&a.reason_zh, &a.reason).to_string(), section: a.section, id: a.id })
            .collect())
    })
    .await
    .map(Json)
}

/// Every stored promotion, by priority (highest first) then id, each with whether it
/// runs now and what it is in the request's language.
#[utoipa::path(get, path = "/api/promotions", responses((status = 200, body = [PromotionDto])))]
pub async fn promotions(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<PromotionDto>>, ApiError> {
    run(&state, lang, move |till| promotion_list(till, lang)).await.map(Json)
}

/// Store a promotion (or replace the one with its id); needs a manager. It is checked
/// against the catalog, the other promotions and the coupons; a refusal (`bad_input`, 422)
/// says why, and nothing is stored. Answers with the promotion stored.
#[utoipa::path(post, path = "/api/promotions", request_body = PromotionRequest, responses((status = 200, body = PromotionDto), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_promotion(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<PromotionRequest>) -> Result<Json<PromotionDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "manage promotions")?;
        let id = till.put_promotion(&req.promotion.to_string())?;
        let stored = till.promotions()?.into_iter().find(|p| p.id == id).ok_or(TillError::UnknownPromotion(id))?;
        promotion_dto(till, &stored, lang)
    })
    .await
    .map(Json)
}

/// Remove a promotion; needs a manager. Answers with the promotions left.
#[utoipa::path(post, path = "/api/promotions/{promotion_id}/remove", params(("promotion_id" = String, Path, description = "Promotion id")), request_body = ManagerPin, responses((status = 200, body = [PromotionDto]), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn remove_promotion(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(promotion_id): Path<String>, ApiJson(req): ApiJson<ManagerPin>) -> Result<Json<Vec<PromotionDto>>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "manage promotions")?;
        till.remove_promotion(&promotion_id)?;
        promotion_list(till, lang)
    })
    .await
    .map(Json)
}

/// Every stored coupon, by id, with its uses so far and its limits.
#[utoipa::path(get, path = "/api/coupons", responses((status = 200, body = [CouponDto])))]
pub async fn coupons(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<Vec<CouponDto>>, ApiError> {
    run(&state, lang, move |till| coupon_list(till, lang)).await.map(Json)
}

/// Store a coupon (or replace the one with its id); needs a manager. It is checked on its
/// own and against the promotions (ids are shared); a refusal (`bad_input`, 422) says why,
/// and nothing is stored. Answers with the coupon stored.
#[utoipa::path(post, path = "/api/coupons", request_body = CouponRequest, responses((status = 200, body = CouponDto), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_coupon(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<CouponRequest>) -> Result<Json<CouponDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "manage coupons")?;
        let id = till.put_coupon(&req.coupon.to_string())?;
        let stored = till.coupons()?.into_iter().find(|c| c.id == id).ok_or(TillError::UnknownCoupon(id))?;
        coupon_dto(till, &stored, lang)
    })
    .await
    .map(Json)
}

/// Remove a coupon; needs a manager. Sales that used it keep their record. Answers with
/// the coupons left.
#[utoipa::path(post, path = "/api/coupons/{coupon_id}/remove", params(("coupon_id" = String, Path, description = "Coupon id")), request_body = ManagerPin, responses((status = 200, body = [CouponDto]), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn remove_coupon(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(coupon_id): Path<String>, ApiJson(req): ApiJson<ManagerPin>) -> Result<Json<Vec<CouponDto>>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "manage coupons")?;
        till.remove_coupon(&coupon_id)?;
        coupon_list(till, lang)
    })
    .await
    .map(Json)
}
