//! `/api/v1/…` for assets: CRUD, bulk, history, references, issue links, and API tokens.

use super::AppState;
use super::caller::{ApiJson, ApiQuery, Caller};
use super::error::AppError;
use super::openapi::{
    AssetBody, AssetItemsBody, AssetPageBody, CreatedTokenBody, HistoryEntryBody, HistoryPageBody,
    IssueAssetBody, IssueAssetStatus, IssueAssetsBody, IssueLinksBody, LinkResultBody,
    ReferencesBody, TokenListBody,
};
use super::resource::{SiteAsset, SiteSchema};
use crate::assets::{
    AssetInput, AssetUpdateInput, BULK_MAX, BulkUpdateItem, Holdings, asset_bodies, asset_body,
    holdings, prepare_change, prepare_new, rows_to_errors,
};
use amj_domain::{Mode, ValidationErrors};
use amj_store::StoreError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value as Json_;

type ApiResult<T> = Result<T, AppError>;

/// A single-asset write reports its errors without the `items[n]` prefix of bulk calls.
fn single(e: StoreError) -> AppError {
    match e {
        StoreError::InvalidRows(rows) => AppError::Validation(rows_to_errors(rows, false)),
        other => other.into(),
    }
}

// ----- list -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/assets",
    tag = "assets",
    params(super::openapi::SchemaPath, crate::assets::ListParams),
    responses(
        (status = 200, description = "A page of the schema's assets", body = super::openapi::AssetPageBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn list_assets(
    State(state): State<AppState>,
    SiteSchema { caller, model, .. }: SiteSchema,
    ApiQuery(params): ApiQuery<crate::assets::ListParams>,
) -> ApiResult<Json<AssetPageBody>> {
    let request = crate::assets::list_request(&model, params).map_err(AppError::Validation)?;
    let page = state
        .store
        .list_assets(caller.tenant_id(), &model, &request)
        .await?;
    Ok(Json(AssetPageBody {
        items: asset_bodies(&state.store, caller.tenant_id(), &model, &page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

// ----- create -----

#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/assets",
    tag = "assets",
    params(super::openapi::SchemaPath),
    request_body = AssetInput,
    responses(
        (status = 201, description = "The new asset", body = super::openapi::AssetBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn create_asset(
    State(state): State<AppState>,
    SiteSchema { caller, model, .. }: SiteSchema,
    ApiJson(input): ApiJson<AssetInput>,
) -> ApiResult<(StatusCode, Json<AssetBody>)> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let prepared = prepare_new(&model, std::slice::from_ref(&input)).map_err(single)?;
    let created = state
        .store
        .create_assets(caller.tenant_id(), &model, &prepared, &caller.actor())
        .await
        .map_err(single)?;
    let asset = created
        .first()
        .ok_or_else(|| AppError::internal_msg("no asset created"))?;
    // A new asset is never out.
    Ok((
        StatusCode::CREATED,
        Json(asset_body(&model, asset, Holdings::default())),
    ))
}

/// Between 1 and 1,000 assets, created in one transaction: all or none.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCreate {
    pub items: Vec<AssetInput>,
}

fn check_bulk_size(n: usize) -> ApiResult<()> {
    if n == 0 || n > BULK_MAX {
        return Err(AppError::Validation(ValidationErrors::single(
            "items",
            "cardinality",
            format!("items: send between 1 and {BULK_MAX} items per call (got {n})"),
        )));
    }
    Ok(())
}

/// Creates up to 1,000 assets in one transaction: all or none.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/assets/bulk",
    tag = "assets",
    params(super::openapi::SchemaPath),
    request_body = BulkCreate,
    responses(
        (status = 201, description = "The new assets, in the order sent", body = super::openapi::AssetItemsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn bulk_create(
    State(state): State<AppState>,
    SiteSchema { caller, model, .. }: SiteSchema,
    ApiJson(body): ApiJson<BulkCreate>,
) -> ApiResult<(StatusCode, Json<AssetItemsBody>)> {
    check_bulk_size(body.items.len())?;
    caller.require_asset_edit(&state, &model.schema).await?;
    let prepared = prepare_new(&model, &body.items)?;
    let created = state
        .store
        .create_assets(caller.tenant_id(), &model, &prepared, &caller.actor())
        .await?;
    let items = created
        .iter()
        .map(|a| asset_body(&model, a, Holdings::default()))
        .collect();
    Ok((StatusCode::CREATED, Json(AssetItemsBody { items })))
}

// ----- read, update, archive -----

#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}",
    tag = "assets",
    params(super::openapi::AssetPath),
    responses(
        (status = 200, description = "The asset", body = super::openapi::AssetBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_asset(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
) -> ApiResult<Json<AssetBody>> {
    let mut held = holdings(&state.store, caller.tenant_id(), &[asset.id]).await?;
    Ok(Json(asset_body(
        &model,
        &asset,
        held.remove(&asset.id).unwrap_or_default(),
    )))
}

async fn update(
    state: &AppState,
    target: SiteAsset,
    input: AssetUpdateInput,
    mode: Mode,
) -> ApiResult<Json<AssetBody>> {
    let SiteAsset {
        caller,
        model,
        asset: current,
        ..
    } = target;
    caller.require_asset_edit(state, &model.schema).await?;
    if input.version != current.version {
        return Err(StoreError::StaleVersion {
            id: current.id,
            expected: input.version,
            current: current.version,
        }
        .into());
    }
    let change = prepare_change(
        &model,
        &current,
        input.version,
        input.status.as_ref(),
        &input.attributes,
        mode,
    )
    .map_err(AppError::Validation)?;
    let updated = state
        .store
        .update_assets(caller.tenant_id(), &model, &[change], &caller.actor())
        .await
        .map_err(single)?;
    let mut bodies = asset_bodies(&state.store, caller.tenant_id(), &model, &updated).await?;
    let body = bodies
        .pop()
        .ok_or_else(|| AppError::internal_msg("no asset updated"))?;
    Ok(Json(body))
}

/// PUT replaces every attribute value (omitted ones are cleared).
#[utoipa::path(
    put,
    path = "/api/v1/assets/{key}",
    tag = "assets",
    params(super::openapi::AssetPath),
    request_body = AssetUpdateInput,
    responses(
        (status = 200, description = "The updated asset", body = super::openapi::AssetBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn replace_asset(
    State(state): State<AppState>,
    target: SiteAsset,
    ApiJson(input): ApiJson<AssetUpdateInput>,
) -> ApiResult<Json<AssetBody>> {
    update(&state, target, input, Mode::Replace).await
}

/// PATCH changes only the attributes named (`null` clears one).
#[utoipa::path(
    patch,
    path = "/api/v1/assets/{key}",
    tag = "assets",
    params(super::openapi::AssetPath),
    request_body = AssetUpdateInput,
    responses(
        (status = 200, description = "The updated asset", body = super::openapi::AssetBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn patch_asset(
    State(state): State<AppState>,
    target: SiteAsset,
    ApiJson(input): ApiJson<AssetUpdateInput>,
) -> ApiResult<Json<AssetBody>> {
    update(&state, target, input, Mode::Patch).await
}

/// Between 1 and 1,000 patches of assets of the schema, applied in one transaction: all or none.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdate {
    pub items: Vec<BulkUpdateItem>,
}

/// Patches up to 1,000 assets of one schema in one transaction: all or none.
#[utoipa::path(
    patch,
    path = "/api/v1/schemas/{schema}/assets/bulk",
    tag = "assets",
    params(super::openapi::SchemaPath),
    request_body = BulkUpdate,
    responses(
        (status = 200, description = "The updated assets, in the order sent", body = super::openapi::AssetItemsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn bulk_update(
    State(state): State<AppState>,
    SiteSchema { caller, model, .. }: SiteSchema,
    ApiJson(body): ApiJson<BulkUpdate>,
) -> ApiResult<Json<AssetItemsBody>> {
    check_bulk_size(body.items.len())?;
    caller.require_asset_edit(&state, &model.schema).await?;
    let updated = crate::assets::bulk_update(
        &state.store,
        caller.tenant_id(),
        &model,
        &body.items,
        &caller.actor(),
    )
    .await?;
    let items = asset_bodies(&state.store, caller.tenant_id(), &model, &updated).await?;
    Ok(Json(AssetItemsBody { items }))
}

/// One change to every asset a query matches: "select all" means every match, not a page.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkEdit {
    /// The query whose matches change (archived assets excluded), as the list ran it.
    pub aql: String,
    /// How many matches the person saw. If the query now matches a different number, nothing
    /// changes (409 `matches_changed`): they would change assets they never saw.
    #[serde(default)]
    pub expected: Option<usize>,
    /// The status, by id or name; unchanged when absent.
    #[serde(default)]
    #[schema(value_type = Option<super::openapi::IdOrName>)]
    pub status: Option<Json_>,
    /// Values by attribute name (or id) to set on every match; `null` clears one.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, Json_>,
}

/// Changes every asset the query matches (at most 1,000) in one transaction: all or none.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/assets/bulk-edit",
    tag = "assets",
    params(super::openapi::SchemaPath),
    request_body = BulkEdit,
    responses(
        (status = 200, description = "The changed assets", body = AssetItemsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn bulk_edit(
    State(state): State<AppState>,
    SiteSchema { caller, model, .. }: SiteSchema,
    ApiJson(body): ApiJson<BulkEdit>,
) -> ApiResult<Json<AssetItemsBody>> {
    caller.require_asset_edit(&state, &model.schema).await?;
    if body.status.is_none() && body.attributes.is_empty() {
        return Err(AppError::bad_request(
            "nothing_to_change",
            "give a status or at least one attribute to set",
        ));
    }
    let matches = crate::assets::matching_versions(
        &state.store,
        &state.jira,
        &caller.tenant,
        caller.account_id(),
        model.schema.key.as_str(),
        &body.aql,
    )
    .await?;
    if let Some(expected) = body.expected
        && expected != matches.len()
    {
        return Err(AppError::Conflict {
            code: "matches_changed",
            message: format!(
                "the query now matches {} assets, not the {expected} you saw; nothing was changed. Search again and retry",
                matches.len()
            ),
        });
    }
    let items: Vec<BulkUpdateItem> = matches
        .into_iter()
        .map(|(key, version)| BulkUpdateItem {
            key,
            version,
            status: body.status.clone(),
            attributes: body.attributes.clone(),
        })
        .collect();
    if items.is_empty() {
        return Ok(Json(AssetItemsBody { items: Vec::new() }));
    }
    let updated = crate::assets::bulk_update(
        &state.store,
        caller.tenant_id(),
        &model,
        &items,
        &caller.actor(),
    )
    .await?;
    let items = asset_bodies(&state.store, caller.tenant_id(), &model, &updated).await?;
    Ok(Json(AssetItemsBody { items }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionOnly {
    /// The version of the asset as you read it.
    pub version: i64,
}

async fn set_archived(
    state: &AppState,
    target: SiteAsset,
    version: i64,
    archived: bool,
) -> ApiResult<Json<AssetBody>> {
    let SiteAsset {
        caller,
        model,
        asset: current,
        ..
    } = target;
    caller.require_asset_edit(state, &model.schema).await?;
    let asset = state
        .store
        .set_archived(
            caller.tenant_id(),
            &model,
            current.id,
            version,
            archived,
            &caller.actor(),
        )
        .await?;
    // Neither an archived asset nor one just restored can be out; a licence keeps its seats.
    let mut held = holdings(&state.store, caller.tenant_id(), &[asset.id]).await?;
    Ok(Json(asset_body(
        &model,
        &asset,
        held.remove(&asset.id).unwrap_or_default(),
    )))
}

/// Assets are archived, never deleted: their history is kept forever.
#[utoipa::path(
    post,
    path = "/api/v1/assets/{key}/archive",
    tag = "assets",
    params(super::openapi::AssetPath),
    request_body = VersionOnly,
    responses(
        (status = 200, description = "The archived asset", body = super::openapi::AssetBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn archive_asset(
    State(state): State<AppState>,
    target: SiteAsset,
    ApiJson(body): ApiJson<VersionOnly>,
) -> ApiResult<Json<AssetBody>> {
    set_archived(&state, target, body.version, true).await
}

#[utoipa::path(
    post,
    path = "/api/v1/assets/{key}/restore",
    tag = "assets",
    params(super::openapi::AssetPath),
    request_body = VersionOnly,
    responses(
        (status = 200, description = "The restored asset", body = super::openapi::AssetBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn restore_asset(
    State(state): State<AppState>,
    target: SiteAsset,
    ApiJson(body): ApiJson<VersionOnly>,
) -> ApiResult<Json<AssetBody>> {
    set_archived(&state, target, body.version, false).await
}

/// `DELETE /assets/{key}?version=N` archives, for clients that expect DELETE.
#[utoipa::path(
    delete,
    path = "/api/v1/assets/{key}",
    tag = "assets",
    params(super::openapi::AssetPath, VersionOnly),
    responses(
        (status = 200, description = "The archived asset", body = super::openapi::AssetBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn delete_asset(
    State(state): State<AppState>,
    target: SiteAsset,
    ApiQuery(body): ApiQuery<VersionOnly>,
) -> ApiResult<Json<AssetBody>> {
    set_archived(&state, target, body.version, true).await
}

// ----- history and references -----

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// The next-page cursor of the previous page.
    #[serde(default)]
    pub cursor: Option<i64>,
    /// Entries per page, 1 to 500 (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

fn page_limit(limit: Option<u32>) -> ApiResult<u32> {
    let limit = limit.unwrap_or(50);
    if (1..=500).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::Validation(ValidationErrors::single(
            "limit",
            "max",
            "limit: must be between 1 and 500",
        )))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}/history",
    tag = "assets",
    params(super::openapi::AssetPath, PageParams),
    responses(
        (status = 200, description = "A page of the asset's history", body = super::openapi::HistoryPageBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn asset_history(
    State(state): State<AppState>,
    SiteAsset { caller, asset, .. }: SiteAsset,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<HistoryPageBody>> {
    let limit = page_limit(params.limit)?;
    let (entries, next) = state
        .store
        .asset_history(caller.tenant_id(), asset.id, params.cursor, limit)
        .await?;
    let items = entries
        .into_iter()
        .map(|e| HistoryEntryBody {
            id: e.id,
            at: amj_domain::value::format_datetime(e.at),
            actor: e.actor,
            event: e.event,
        })
        .collect();
    Ok(Json(HistoryPageBody {
        items,
        next_cursor: next,
    }))
}

/// Outbound references (what this asset points at) and a page of inbound ones (what points at
/// it), each with its reference type.
#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}/references",
    tag = "assets",
    params(super::openapi::AssetPath, PageParams),
    responses(
        (status = 200, description = "The asset's references; `cursor` and `limit` page the inbound ones", body = super::openapi::ReferencesBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn asset_references(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<ReferencesBody>> {
    let limit = page_limit(params.limit)?;
    let outbound =
        crate::assets::outbound_references(&state.store, caller.tenant_id(), &model, &asset)
            .await?;
    let (inbound, next) = state
        .store
        .inbound_references(caller.tenant_id(), &model, asset.id, params.cursor, limit)
        .await?;
    Ok(Json(ReferencesBody {
        outbound,
        inbound,
        next_inbound_cursor: next,
    }))
}

// ----- issue links -----

#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}/issues",
    tag = "issue links",
    params(super::openapi::AssetPath),
    responses(
        (status = 200, description = "The Jira issues linked to the asset", body = super::openapi::IssueLinksBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn asset_issues(
    State(state): State<AppState>,
    SiteAsset { caller, asset, .. }: SiteAsset,
) -> ApiResult<Json<IssueLinksBody>> {
    let links = state
        .store
        .issues_of_asset(caller.tenant_id(), asset.id)
        .await?;
    Ok(Json(IssueLinksBody { items: links }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// An issue key (`PROJ-12`) or id.
    #[schema(value_type = super::openapi::IssueKeyOrId)]
    pub issue: Json_,
}

#[utoipa::path(
    post,
    path = "/api/v1/assets/{key}/issues",
    tag = "issue links",
    params(super::openapi::AssetPath),
    request_body = LinkInput,
    responses(
        (status = 201, description = "Linked", body = super::openapi::LinkResultBody),
        (status = 200, description = "Already linked", body = super::openapi::LinkResultBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn link_issue(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        key,
    }: SiteAsset,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<(StatusCode, Json<LinkResultBody>)> {
    caller.require_asset_edit(&state, &model.schema).await?;
    if asset.archived {
        return Err(AppError::Conflict {
            code: "archived",
            message: format!("{key} is archived; restore it before linking"),
        });
    }
    let issue = crate::issues::fetch_issue(
        &state.jira,
        &caller.tenant,
        caller.issue_viewer(),
        &input.issue,
    )
    .await?;
    let created = state
        .store
        .link_issue(caller.tenant_id(), asset.id, &issue, &caller.actor())
        .await?;
    let synced = crate::issues::sync_issue_property(
        &state.jira,
        &state.store,
        &state.config.app_key,
        &caller.tenant,
        issue.id,
        &issue.key,
    )
    .await;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(LinkResultBody {
            issue,
            created,
            property_synced: synced,
        }),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/assets/{key}/issues/{issue}",
    tag = "issue links",
    params(super::openapi::AssetIssuePath),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn unlink_issue(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        key,
    }: SiteAsset,
    Path((_, issue_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let issue_id: i64 = issue_id.parse().map_err(|_| AppError::NotFound {
        code: "link_not_found",
        message: format!("{key} is not linked to issue {issue_id:?}"),
    })?;
    // The link names the issue's key, which the property's hand-outs are kept by.
    let link = state
        .store
        .issues_of_asset(caller.tenant_id(), asset.id)
        .await?
        .into_iter()
        .find(|l| l.issue_id == issue_id);
    let removed = state
        .store
        .unlink_issue(caller.tenant_id(), asset.id, issue_id, &caller.actor())
        .await?;
    let Some(link) = link.filter(|_| removed) else {
        return Err(AppError::NotFound {
            code: "link_not_found",
            message: format!("{key} is not linked to issue {issue_id}"),
        });
    };
    crate::issues::sync_issue_property(
        &state.jira,
        &state.store,
        &state.config.app_key,
        &caller.tenant,
        issue_id,
        &link.issue_key,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/issues/{issue}/assets",
    tag = "issue links",
    params(super::openapi::IssuePath),
    responses(
        (status = 200, description = "The assets linked to the issue", body = super::openapi::IssueAssetsBody),
        (status = 400, response = super::openapi::BadRequest)
    )
)]
pub async fn issue_assets(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
) -> ApiResult<Json<IssueAssetsBody>> {
    let issue_id: i64 = issue_id.parse().map_err(|_| {
        AppError::Validation(ValidationErrors::single(
            "issueId",
            "format",
            "issueId: must be a numeric Jira issue id",
        ))
    })?;
    let assets = state
        .store
        .assets_of_issue(caller.tenant_id(), issue_id)
        .await?;
    let items = assets
        .into_iter()
        .map(|a| IssueAssetBody {
            key: a.key(),
            id: a.asset_id,
            label: a.label,
            archived: a.archived,
            status: IssueAssetStatus {
                name: a.status_name,
                category: a.status_category,
            },
        })
        .collect();
    Ok(Json(IssueAssetsBody { items }))
}

// ----- API tokens -----

#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "API tokens",
    security(("contextJwt" = [])),
    responses(
        (status = 200, description = "The site's API tokens, revoked ones included", body = super::openapi::TokenListBody),
        (status = 403, response = super::openapi::Forbidden)
    )
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TokenListBody>> {
    caller.require_admin_user(&state).await?;
    let tokens = state.store.list_api_tokens(caller.tenant_id()).await?;
    Ok(Json(TokenListBody { items: tokens }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenInput {
    /// 1 to 100 characters, to recognise the token later.
    pub name: String,
    /// A read-only token may only read.
    #[serde(default)]
    pub read_only: bool,
}

/// Creates a token and shows its secret, this once.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "API tokens",
    request_body = TokenInput,
    security(("contextJwt" = [])),
    responses(
        (status = 201, description = "The new token with its secret, shown this once", body = super::openapi::CreatedTokenBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden)
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<TokenInput>,
) -> ApiResult<(StatusCode, Json<CreatedTokenBody>)> {
    caller.require_admin_user(&state).await?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::Validation(ValidationErrors::single(
            "name",
            "required",
            "name: give the token a name of 1 to 100 characters, to recognise it later",
        )));
    }
    let issued = state
        .store
        .create_api_token(caller.tenant_id(), name, input.read_only, &caller.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenBody {
            details: issued.token,
            token: issued.secret,
        }),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "API tokens",
    params(super::openapi::TokenPath),
    security(("contextJwt" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin_user(&state).await?;
    let missing = || AppError::NotFound {
        code: "token_not_found",
        message: format!("no live API token {id:?}"),
    };
    let id: i64 = id.parse().map_err(|_| missing())?;
    if state.store.revoke_api_token(caller.tenant_id(), id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing())
    }
}
