//! `/api/v1/…` for stock: the schema's stock policy, an item's levels per location, its
//! movements (receive, issue, return, move, count; with `Idempotency-Key`), minimums and the
//! schema's "below minimum" list.

use super::AppState;
use super::caller::{ApiJson, ApiQuery};
use super::custody_api::{once, replay};
use super::error::AppError;
use super::resource::{SiteAsset, SiteSchema};
use super::shared::{PageParams, bad_cursor, page_limit, resolve_issue};
use amj_domain::licence::Assignee;
use amj_domain::stock::{MinimumDraft, Movement, StockCounts, StockKind, StockPolicy};
use amj_store::stock::{BelowMinimum, ItemStock, StockMove};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

type ApiResult<T> = Result<T, AppError>;

/// How many of an item one location holds.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LevelBody {
    #[schema(example = "IT-7")]
    pub location: String,
    pub location_label: String,
    pub quantity: i64,
    /// The least it should hold; 0 is no minimum.
    pub minimum: i64,
    /// Holding less than the minimum.
    pub below_minimum: bool,
}

/// Issued and not yet back.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutBody {
    pub assignee: Assignee,
    pub quantity: i64,
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub since: i64,
}

/// An item's stock.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockBody {
    #[schema(example = "IT-31")]
    pub asset: String,
    pub kind: StockKind,
    pub counts: StockCounts,
    /// Every location that holds it or has a minimum for it, by key.
    pub levels: Vec<LevelBody>,
    /// Accessories and components with their recipients (always empty for consumables).
    pub out: Vec<OutBody>,
}

fn stock_body(asset: &amj_domain::AssetKey, stock: &ItemStock) -> StockBody {
    StockBody {
        asset: asset.to_string(),
        kind: stock.kind,
        counts: stock.counts,
        levels: stock
            .levels
            .iter()
            .map(|l| LevelBody {
                location: l.location.to_string(),
                location_label: l.location_label.clone(),
                quantity: l.quantity,
                minimum: l.minimum,
                below_minimum: amj_domain::stock::is_below(l.quantity, l.minimum),
            })
            .collect(),
        out: stock
            .out
            .iter()
            .map(|o| OutBody {
                assignee: o.assignee.clone(),
                quantity: o.quantity,
                since: o.since,
            })
            .collect(),
    }
}

/// One recorded movement.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MoveBody {
    #[schema(example = "IT-31")]
    pub item: String,
    pub item_label: String,
    /// `receive`, `issue`, `return`, `move` or `count`.
    pub kind: String,
    /// Where it happened (the source, for a move).
    pub location: String,
    /// The destination of a move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The recipient of an issue, or who returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Assignee>,
    /// How many moved; for a count, how many were found.
    pub quantity: i64,
    /// The location's quantity after (the source's, for a move).
    pub level: i64,
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
    pub by: String,
    pub issue: Option<String>,
    pub note: String,
}

pub(super) fn move_body(m: StockMove) -> MoveBody {
    MoveBody {
        item: m.item.to_string(),
        item_label: m.item_label,
        kind: m.kind,
        location: m.location.to_string(),
        to: m.to_location.map(|k| k.to_string()),
        party: m.party,
        quantity: m.quantity,
        level: m.level,
        at: m.at,
        by: m.by,
        issue: m.issue,
        note: m.note,
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovePageBody {
    pub items: Vec<MoveBody>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// A location holding less of an item than its minimum.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BelowBody {
    #[schema(example = "IT-31")]
    pub item: String,
    pub item_label: String,
    #[schema(example = "IT-7")]
    pub location: String,
    pub location_label: String,
    pub quantity: i64,
    pub minimum: i64,
    /// How many to order to reach the minimum.
    pub short: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BelowPageBody {
    pub items: Vec<BelowBody>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

fn below_body(b: BelowMinimum) -> BelowBody {
    BelowBody {
        item: b.item.to_string(),
        item_label: b.item_label,
        location: b.location.to_string(),
        location_label: b.location_label,
        short: b.minimum - b.quantity,
        quantity: b.quantity,
        minimum: b.minimum,
    }
}

fn not_stock(key: &amj_domain::AssetKey) -> AppError {
    AppError::Unprocessable {
        code: "not_stock",
        message: format!("{key}: its type is not a stock type (see the schema's stock settings)"),
    }
}

fn stock_kind(
    model: &amj_store::catalog::SchemaModel,
    asset: &amj_store::assets::AssetRecord,
) -> ApiResult<StockKind> {
    model
        .stock
        .kind_of(&model.types, asset.type_id)
        .ok_or_else(|| not_stock(&asset.key))
}

fn cursor(text: Option<&str>) -> ApiResult<Option<i64>> {
    text.map(|c| c.parse::<i64>().map_err(|_| bad_cursor()))
        .transpose()
}

// ----- policy -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/stock-policy",
    tag = "stock",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "Which types are counted stock, and of which kind", body = StockPolicy),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_stock_policy(
    SiteSchema { model, .. }: SiteSchema,
) -> ApiResult<Json<StockPolicy>> {
    Ok(Json(model.stock.clone()))
}

/// Asset admins only. Types name their subtypes too; the nearest named type decides an item's
/// kind. A type is one kind only.
#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/stock-policy",
    tag = "stock",
    params(super::openapi::SchemaPath),
    request_body = StockPolicy,
    responses(
        (status = 200, description = "The policy as stored", body = StockPolicy),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn put_stock_policy(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiJson(policy): ApiJson<StockPolicy>,
) -> ApiResult<Json<StockPolicy>> {
    caller.require_admin(&state).await?;
    policy
        .validate(&model.types)
        .map_err(AppError::Validation)?;
    let policy = policy.normalized();
    state
        .store
        .set_stock_policy(caller.tenant_id(), model.schema.id, &policy)
        .await?;
    Ok(Json(policy))
}

// ----- one item -----

#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}/stock",
    tag = "stock",
    params(super::openapi::AssetPath),
    responses(
        (status = 200, description = "The item's levels per location and what is out", body = StockBody),
        (status = 404, response = super::openapi::NotFound),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn get_stock(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
) -> ApiResult<Json<StockBody>> {
    let stock = state
        .store
        .item_stock(caller.tenant_id(), &model, asset.id, asset.type_id)
        .await?
        .ok_or_else(|| not_stock(&asset.key))?;
    Ok(Json(stock_body(&asset.key, &stock)))
}

/// Moves stock: `receive` into a location, `issue` from one to a person or an asset (a
/// consumable is used up; an accessory or a component stays out until returned), `return`,
/// `move` between locations, or `count` (what was found replaces the books). Taking more than
/// a location holds is a 409 `insufficient_stock`; returning more than is out, 409
/// `not_issued`.
#[utoipa::path(
    post,
    path = "/api/v1/assets/{key}/stock/movements",
    tag = "stock",
    params(super::openapi::AssetPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = Movement,
    responses(
        (status = 200, description = "The item's stock after", body = StockBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn move_stock(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
    headers: HeaderMap,
    ApiJson(movement): ApiJson<Movement>,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let path = format!("/api/v1/assets/{}/stock/movements", asset.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &movement).await? {
        return Ok(response);
    }
    let kind = stock_kind(&model, &asset)?;
    movement
        .validate(&asset.key, kind)
        .map_err(AppError::Validation)?;
    // The issue must exist: its key is stored as Jira spells it, and the issue panel finds it.
    let mut issue = None;
    let resolved = match movement.issue() {
        Some(key) => {
            let found = resolve_issue(&state, &caller, key).await?;
            let resolved = movement.clone().with_issue(found.key.clone());
            issue = Some(found);
            resolved
        }
        None => movement.clone(),
    };
    let key = asset.key.clone();
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &movement,
        |stock: &ItemStock| Ok(stock_body(&key, stock)),
        async |idem| {
            state
                .store
                .move_stock(
                    caller.tenant_id(),
                    &model,
                    asset.id,
                    &resolved,
                    &caller.actor(),
                    idem,
                )
                .await
                .map(Box::new)
        },
    )
    .await?;
    // The issue's property lists the item, so JQL's assetsHandedOut finds the issue by it.
    if let Some(issue) = issue.filter(|_| matches!(movement, Movement::Issue { .. })) {
        crate::issues::sync_issue_property(
            &state.jira,
            &state.store,
            &state.config.app_key,
            &caller.tenant,
            issue.id,
            &issue.key,
        )
        .await;
    }
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}/stock/movements",
    tag = "stock",
    params(super::openapi::AssetPath, PageParams),
    responses(
        (status = 200, description = "A page of the item's movements, newest first", body = MovePageBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn stock_movements(
    State(state): State<AppState>,
    SiteAsset { caller, asset, .. }: SiteAsset,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<MovePageBody>> {
    let limit = page_limit(params.limit)?;
    let before = cursor(params.cursor.as_deref())?;
    let moves = state
        .store
        .stock_moves(caller.tenant_id(), asset.id, before, limit)
        .await?;
    let next_cursor = (moves.len() == limit)
        .then(|| moves.last().map(|m| m.id.to_string()))
        .flatten();
    Ok(Json(MovePageBody {
        items: moves.into_iter().map(move_body).collect(),
        next_cursor,
    }))
}

/// Sets the least a location should hold of the item; 0 removes the minimum.
#[utoipa::path(
    put,
    path = "/api/v1/assets/{key}/stock/minimum",
    tag = "stock",
    params(super::openapi::AssetPath),
    request_body = MinimumDraft,
    responses(
        (status = 200, description = "The item's stock after", body = StockBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn put_stock_minimum(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
    ApiJson(draft): ApiJson<MinimumDraft>,
) -> ApiResult<Json<StockBody>> {
    caller.require_asset_edit(&state, &model.schema).await?;
    stock_kind(&model, &asset)?;
    draft.validate(&asset.key).map_err(AppError::Validation)?;
    let stock = state
        .store
        .set_stock_minimum(
            caller.tenant_id(),
            &model,
            asset.id,
            &draft,
            &caller.actor(),
        )
        .await?;
    Ok(Json(stock_body(&asset.key, &stock)))
}

// ----- the schema -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/stock/below-minimum",
    tag = "stock",
    params(super::openapi::SchemaPath, PageParams),
    responses(
        (status = 200, description = "A page of the locations holding less of an item than its minimum", body = BelowPageBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn below_minimum(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<BelowPageBody>> {
    let limit = page_limit(params.limit)?;
    let after = cursor(params.cursor.as_deref())?;
    let rows = state
        .store
        .below_minimum(caller.tenant_id(), &model, after, limit)
        .await?;
    let next_cursor = (rows.len() == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(Json(BelowPageBody {
        items: rows.into_iter().map(below_body).collect(),
        next_cursor,
    }))
}
