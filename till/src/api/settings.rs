//! The store's rule settings for the back office: the member program (tiers, points,
//! birthday and referral rewards, products to take for points) and the staff commission rules. Reading needs nothing;
//! changing needs a manager's id and PIN. A program or rules the core refuses is not
//! stored, and the answer says why.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use opentill_core::role::Permission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AcceptLang, ApiError, ApiErrorBody, ApiJson, AppState, run};
use crate::TillError;

/// A membership tier.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TierDto {
    /// Id, as member prices name it (`normal`, `silver`, `gold`).
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Lifetime spend that reaches it, minor units (the first tier: 0).
    pub min_spend: i64,
    /// Points multiplier, basis points (10,000 = ×1).
    pub points_bp: u32,
}

/// The member program.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberProgramDto {
    /// Tiers, lowest first.
    pub tiers: Vec<TierDto>,
    /// Points per whole yuan paid.
    pub points_per_yuan: i64,
    /// Points multiplier on the member's birthday, basis points.
    pub birthday_points_bp: u32,
    /// Points a referrer earns per registration with their code.
    pub referral_points: i64,
    /// Products members can take for points (积分兑换); none when left out.
    #[serde(default)]
    pub rewards: Vec<RewardDto>,
}

/// A product members can take for points.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RewardDto {
    /// The product.
    pub sku: String,
    /// Points a piece.
    pub points: i64,
}

/// A new member program, with the manager who sets it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberProgramRequest {
    /// The program.
    pub program: MemberProgramDto,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// Staff commission rules: a rate per category, and one for the rest.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommissionRulesDto {
    /// For categories without their own rate, basis points of net sales (100 = 1 %).
    pub default_bp: u32,
    /// Category → rate, basis points.
    pub by_category: BTreeMap<String, u32>,
}

/// New commission rules, with the manager who sets them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CommissionRulesRequest {
    /// The rules.
    pub rules: CommissionRulesDto,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// The core's value as its DTO and back: the two have the same JSON shape.
fn convert<A: Serialize, B: serde::de::DeserializeOwned>(a: &A) -> crate::Result<B> {
    serde_json::to_value(a).and_then(serde_json::from_value).map_err(|e| TillError::BadInput(e.to_string()))
}

/// The member program in force.
#[utoipa::path(get, path = "/api/member-program", responses((status = 200, body = MemberProgramDto)))]
pub async fn member_program(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<MemberProgramDto>, ApiError> {
    run(&state, lang, |till| convert(&till.member_program()?)).await.map(Json)
}

/// Set the member program (a manager): tiers increasing from 0, multipliers and points
/// within bounds, rewards of products in the catalog at 1 to 10,000,000 points, or refused
/// with the reason.
#[utoipa::path(put, path = "/api/member-program", request_body = MemberProgramRequest, responses((status = 200, body = MemberProgramDto), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_member_program(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<MemberProgramRequest>) -> Result<Json<MemberProgramDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "change the member program")?;
        let json = serde_json::to_string(&req.program).map_err(|e| TillError::BadInput(e.to_string()))?;
        convert(&till.set_member_program(&json)?)
    })
    .await
    .map(Json)
}

/// The commission rules in force (none set: every rate 0).
#[utoipa::path(get, path = "/api/commission-rules", responses((status = 200, body = CommissionRulesDto)))]
pub async fn commission_rules(State(state): State<AppState>, AcceptLang(lang): AcceptLang) -> Result<Json<CommissionRulesDto>, ApiError> {
    run(&state, lang, |till| convert(&till.commission_rules()?)).await.map(Json)
}

/// Set the commission rules (a manager), or refused with the reason.
#[utoipa::path(put, path = "/api/commission-rules", request_body = CommissionRulesRequest, responses((status = 200, body = CommissionRulesDto), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_commission_rules(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<CommissionRulesRequest>) -> Result<Json<CommissionRulesDto>, ApiError> {
    run(&state, lang, move |till| {
        till.authorize(&req.user_id, &req.pin, Permission::Manage, "change the commission rules")?;
        let json = serde_json::to_string(&req.rules).map_err(|e| TillError::BadInput(e.to_string()))?;
        convert(&till.set_commission_rules(&json)?)
    })
    .await
    .map(Json)
}
