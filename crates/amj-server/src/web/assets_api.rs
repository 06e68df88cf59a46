//! `/api/v1/…` for assets: CRUD, bulk, history, references, issue links, and API tokens.

use super::AppState;
use super::caller::{ApiJson, ApiQuery, Caller};
use super::error::AppError;
use super::openapi::{
    AssetBody, AssetItemsBody, AssetPageBody, CreatedTokenBody, HistoryEntryBody, HistoryPageBody,
    IssueAssetBody, IssueAssetStatus, IssueAssetsBody, IssueLinksBody, LinkResultBody,
    OutboundReferenceBody, ReferencesBody, TokenListBody,
};
use crate::assets::{
    AssetInput, AssetUpdateInput, BULK_MAX, BulkUpdateItem, asset_body, asset_by_key,
    prepare_change, prepare_new, rows_to_errors, schema_by_key,
};
use crate::jira::payload::{AssetsProperty, GlanceLabel, GlanceStatus, Issue};
use amj_domain::ids::{StatusId, TypeId};
use amj_domain::{AssetKey, Mode, ValidationErrors};
use amj_store::StoreError;
use amj_store::assets::{AssetFilter, ListRequest, Sort};
use amj_store::catalog::SchemaModel;
use amj_store::links::IssueRef;
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

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParams {
    /// Type ids or names, comma-separated; each includes its subtypes.
    #[serde(default, rename = "type")]
    pub types: Option<String>,
    /// Status ids or names, comma-separated.
    #[serde(default)]
    pub status: Option<String>,
    /// An asset key, or the start of a label.
    #[serde(default)]
    pub q: Option<String>,
    /// `key` (default), `label`, `updated`, `created`, or an attribute name or id.
    #[serde(default)]
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub order: Option<String>,
    /// `nextCursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Assets per page, 1 to 500 (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Also list archived assets (default false).
    #[serde(default)]
    pub include_archived: Option<bool>,
}

fn list_request(model: &SchemaModel, params: ListParams) -> Result<ListRequest, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let mut filter = AssetFilter {
        text: params.q,
        include_archived: params.include_archived.unwrap_or(false),
        ..AssetFilter::default()
    };
    if let Some(types) = params.types.as_deref().filter(|t| !t.trim().is_empty()) {
        let mut ids: Vec<TypeId> = Vec::new();
        for part in types.split(',').map(str::trim) {
            let input = part
                .parse::<i64>()
                .map_or_else(|_| Json_::from(part), Json_::from);
            if let Some(id) = errors.absorb(crate::assets::resolve_type(model, &input, "type")) {
                ids.extend(model.types.descendants_and_self(id));
            }
        }
        filter.type_ids = Some(ids);
    }
    if let Some(statuses) = params.status.as_deref().filter(|s| !s.trim().is_empty()) {
        let mut ids: Vec<StatusId> = Vec::new();
        for part in statuses.split(',').map(str::trim) {
            let input = part
                .parse::<i64>()
                .map_or_else(|_| Json_::from(part), Json_::from);
            if let Some(id) = errors.absorb(amj_domain::resolve_status(&model.statuses, &input)) {
                ids.push(id);
            }
        }
        filter.status_ids = Some(ids);
    }
    let sort = match params.sort.as_deref().map(str::trim) {
        None | Some("" | "key") => Sort::Key,
        Some("label") => Sort::Label,
        Some("updated") => Sort::Updated,
        Some("created") => Sort::Created,
        Some(other) => {
            let by_id = other.parse::<i64>().ok();
            match model
                .attributes
                .iter()
                .find(|a| Some(a.id.0) == by_id || a.name.eq_ignore_ascii_case(other))
            {
                Some(a) => Sort::Attribute(a.id),
                None => {
                    errors.push(
                        "sort",
                        "unknown_attribute",
                        format!("sort: {other:?} is not key, label, updated, created or an attribute of this schema"),
                    );
                    Sort::Key
                }
            }
        }
    };
    let descending = match params.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            errors.push(
                "order",
                "option",
                format!("order: {other:?} is not asc or desc"),
            );
            false
        }
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        errors.push("limit", "max", "limit: must be between 1 and 500");
    }
    errors.into_result(ListRequest {
        filter,
        sort,
        descending,
        cursor: params.cursor,
        limit,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/assets",
    tag = "assets",
    params(super::openapi::SchemaPath, ListParams),
    responses(
        (status = 200, description = "A page of the schema's assets", body = super::openapi::AssetPageBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn list_assets(
    State(state): State<AppState>,
    caller: Caller,
    Path(schema): Path<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<AssetPageBody>> {
    let model = schema_by_key(&state.store, caller.tenant_id(), &schema).await?;
    let request = list_request(&model, params).map_err(AppError::Validation)?;
    let page = state
        .store
        .list_assets(caller.tenant_id(), &model, &request)
        .await?;
    Ok(Json(AssetPageBody {
        items: page.items.iter().map(|a| asset_body(&model, a)).collect(),
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
    caller: Caller,
    Path(schema): Path<String>,
    ApiJson(input): ApiJson<AssetInput>,
) -> ApiResult<(StatusCode, Json<AssetBody>)> {
    let model = schema_by_key(&state.store, caller.tenant_id(), &schema).await?;
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
    Ok((StatusCode::CREATED, Json(asset_body(&model, asset))))
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
    caller: Caller,
    Path(schema): Path<String>,
    ApiJson(body): ApiJson<BulkCreate>,
) -> ApiResult<(StatusCode, Json<AssetItemsBody>)> {
    check_bulk_size(body.items.len())?;
    let model = schema_by_key(&state.store, caller.tenant_id(), &schema).await?;
    caller.require_asset_edit(&state, &model.schema).await?;
    let prepared = prepare_new(&model, &body.items)?;
    let created = state
        .store
        .create_assets(caller.tenant_id(), &model, &prepared, &caller.actor())
        .await?;
    let items = created.iter().map(|a| asset_body(&model, a)).collect();
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
    caller: Caller,
    Path(key): Path<String>,
) -> ApiResult<Json<AssetBody>> {
    let (model, asset) = asset_by_key(&state.store, caller.tenant_id(), &key).await?;
    Ok(Json(asset_body(&model, &asset)))
}

async fn update(
    state: &AppState,
    caller: &Caller,
    key: &str,
    input: AssetUpdateInput,
    mode: Mode,
) -> ApiResult<Json<AssetBody>> {
    let (model, current) = asset_by_key(&state.store, caller.tenant_id(), key).await?;
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
    let asset = updated
        .first()
        .ok_or_else(|| AppError::internal_msg("no asset updated"))?;
    Ok(Json(asset_body(&model, asset)))
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
    caller: Caller,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<AssetUpdateInput>,
) -> ApiResult<Json<AssetBody>> {
    update(&state, &caller, &key, input, Mode::Replace).await
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
    caller: Caller,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<AssetUpdateInput>,
) -> ApiResult<Json<AssetBody>> {
    update(&state, &caller, &key, input, Mode::Patch).await
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
    caller: Caller,
    Path(schema): Path<String>,
    ApiJson(body): ApiJson<BulkUpdate>,
) -> ApiResult<Json<AssetItemsBody>> {
    check_bulk_size(body.items.len())?;
    let model = schema_by_key(&state.store, caller.tenant_id(), &schema).await?;
    caller.require_asset_edit(&state, &model.schema).await?;
    let mut numbers = Vec::with_capacity(body.items.len());
    let mut errors = Vec::new();
    for (row, item) in body.items.iter().enumerate() {
        match AssetKey::parse(&item.key) {
            Ok(key) if key.schema == model.schema.key => numbers.push(Some(key.number)),
            _ => {
                errors.push((
                    row,
                    ValidationErrors::single(
                        "key",
                        "unknown_asset",
                        format!(
                            "key: {:?} is not an asset of schema {}",
                            item.key, model.schema.key
                        ),
                    ),
                ));
                numbers.push(None);
            }
        }
    }
    let wanted: Vec<i64> = numbers.iter().flatten().copied().collect();
    let found = state
        .store
        .assets_by_numbers(caller.tenant_id(), &model, &wanted)
        .await?;
    let mut changes = Vec::with_capacity(body.items.len());
    let mut seen = std::collections::HashSet::new();
    for (row, (item, number)) in body.items.iter().zip(&numbers).enumerate() {
        let Some(number) = number else { continue };
        let Some(current) = found.iter().find(|a| a.key.number == *number) else {
            errors.push((
                row,
                ValidationErrors::single(
                    "key",
                    "unknown_asset",
                    format!("key: {} does not exist", item.key),
                ),
            ));
            continue;
        };
        if !seen.insert(*number) {
            errors.push((
                row,
                ValidationErrors::single(
                    "key",
                    "duplicate",
                    format!("key: {} appears more than once", item.key),
                ),
            ));
            continue;
        }
        if item.version != current.version {
            errors.push((
                row,
                ValidationErrors::single(
                    "version",
                    "stale_version",
                    format!(
                        "version: {} is at version {}, not {}",
                        item.key, current.version, item.version
                    ),
                ),
            ));
            continue;
        }
        match prepare_change(
            &model,
            current,
            item.version,
            item.status.as_ref(),
            &item.attributes,
            Mode::Patch,
        ) {
            Ok(change) => changes.push(change),
            Err(e) => errors.push((row, e)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(rows_to_errors(errors, true)));
    }
    let updated = state
        .store
        .update_assets(caller.tenant_id(), &model, &changes, &caller.actor())
        .await?;
    let items = updated.iter().map(|a| asset_body(&model, a)).collect();
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
    caller: &Caller,
    key: &str,
    version: i64,
    archived: bool,
) -> ApiResult<Json<AssetBody>> {
    let (model, current) = asset_by_key(&state.store, caller.tenant_id(), key).await?;
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
    Ok(Json(asset_body(&model, &asset)))
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
    caller: Caller,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<VersionOnly>,
) -> ApiResult<Json<AssetBody>> {
    set_archived(&state, &caller, &key, body.version, true).await
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
    caller: Caller,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<VersionOnly>,
) -> ApiResult<Json<AssetBody>> {
    set_archived(&state, &caller, &key, body.version, false).await
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
    caller: Caller,
    Path(key): Path<String>,
    ApiQuery(body): ApiQuery<VersionOnly>,
) -> ApiResult<Json<AssetBody>> {
    set_archived(&state, &caller, &key, body.version, true).await
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
    caller: Caller,
    Path(key): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<HistoryPageBody>> {
    let limit = page_limit(params.limit)?;
    let (_, asset) = asset_by_key(&state.store, caller.tenant_id(), &key).await?;
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
    caller: Caller,
    Path(key): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<ReferencesBody>> {
    let limit = page_limit(params.limit)?;
    let (model, asset) = asset_by_key(&state.store, caller.tenant_id(), &key).await?;
    let mut targets = Vec::new();
    for attribute in model.effective_attributes(asset.type_id) {
        if let amj_domain::AttributeKind::Reference { reference_type, .. } = &attribute.kind {
            for value in asset.values.get(attribute.id) {
                if let amj_domain::Value::Reference(target) = value {
                    targets.push((attribute.clone(), reference_type.clone(), target.clone()));
                }
            }
        }
    }
    let numbers: Vec<i64> = targets.iter().map(|(_, _, k)| k.number).collect();
    let found = state
        .store
        .assets_by_numbers(caller.tenant_id(), &model, &numbers)
        .await?;
    let outbound = targets
        .iter()
        .map(|(attribute, reference_type, key)| {
            let target = found.iter().find(|a| a.key.number == key.number);
            OutboundReferenceBody {
                attribute_id: attribute.id,
                attribute: attribute.name.clone(),
                reference_type: reference_type.clone(),
                key: key.to_string(),
                label: target.map(|a| a.label.clone()),
                archived: target.map(|a| a.archived),
            }
        })
        .collect();
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
    caller: Caller,
    Path(key): Path<String>,
) -> ApiResult<Json<IssueLinksBody>> {
    let (_, asset) = asset_by_key(&state.store, caller.tenant_id(), &key).await?;
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

/// The issue as Jira has it now, so the link caches the right key and summary.
async fn fetch_issue(state: &AppState, caller: &Caller, issue: &Json_) -> ApiResult<IssueRef> {
    let id_or_key = match issue {
        Json_::String(s) if !s.trim().is_empty() => s.trim().to_owned(),
        Json_::Number(n) if n.as_i64().is_some() => n.to_string(),
        _ => {
            return Err(AppError::Validation(ValidationErrors::single(
                "issue",
                "format",
                "issue: give an issue key like PROJ-12 or a numeric issue id",
            )));
        }
    };
    if !id_or_key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::Validation(ValidationErrors::single(
            "issue",
            "format",
            format!("issue: {id_or_key:?} is not an issue key or id"),
        )));
    }
    let issue: Issue = state
        .jira
        .get(
            &caller.tenant,
            &format!("/rest/api/3/issue/{id_or_key}?fields=summary"),
        )
        .await
        .map_err(|e| match e {
            crate::jira::JiraError::Status { status: 404, .. } => AppError::NotFound {
                code: "issue_not_found",
                message: format!("Jira has no issue {id_or_key} (or the app cannot see it)"),
            },
            other => AppError::jira(super::error::JiraAction::ReadIssue)(other),
        })?;
    let id = issue
        .id
        .value()
        .ok_or_else(|| AppError::internal_msg("Jira's issue id is not a number"))?;
    Ok(IssueRef {
        id,
        key: issue.key,
        summary: issue.fields.summary,
    })
}

/// Writes the issue's `assets` entity property (the keys of its linked assets), which the
/// descriptor declares indexed so people can search `issue.property[assets].keys = "IT-42"`.
/// A failure is reported, not fatal: the link is ours and is already saved.
async fn sync_issue_property(state: &AppState, caller: &Caller, issue_id: i64) -> bool {
    let keys: Vec<String> = match state
        .store
        .assets_of_issue(caller.tenant_id(), issue_id)
        .await
    {
        Ok(assets) => assets.iter().map(|a| a.key()).collect(),
        Err(_) => return false,
    };
    // An empty list rather than a DELETE when the last asset is unlinked: deleting a property
    // needs the DELETE scope, which the app does not ask for.
    let count = keys.len();
    let path = format!("/rest/api/3/issue/{issue_id}/properties/assets");
    let result = state
        .jira
        .send(
            &caller.tenant,
            reqwest::Method::PUT,
            &path,
            Some(&AssetsProperty { keys: &keys }),
        )
        .await;
    // The glance's label: Jira shows a badge from this property next to "Assets" on the issue.
    let glance = format!(
        "/rest/api/3/issue/{issue_id}/properties/com.atlassian.jira.issue:{}:{}:status",
        state.config.app_key,
        crate::descriptor::ISSUE_GLANCE_KEY
    );
    let badge = state
        .jira
        .send(
            &caller.tenant,
            reqwest::Method::PUT,
            &glance,
            Some(&GlanceStatus {
                kind: "badge",
                value: GlanceLabel {
                    label: count.to_string(),
                },
            }),
        )
        .await;
    match result.and(badge) {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(tenant = %caller.tenant.client_key, issue_id, error = %e, "could not write the issue's asset properties");
            false
        }
    }
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
    caller: Caller,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<(StatusCode, Json<LinkResultBody>)> {
    let (model, asset) = asset_by_key(&state.store, caller.tenant_id(), &key).await?;
    caller.require_asset_edit(&state, &model.schema).await?;
    if asset.archived {
        return Err(AppError::Conflict {
            code: "archived",
            message: format!("{key} is archived; restore it before linking"),
        });
    }
    let issue = fetch_issue(&state, &caller, &input.issue).await?;
    let created = state
        .store
        .link_issue(caller.tenant_id(), asset.id, &issue, &caller.actor())
        .await?;
    let synced = sync_issue_property(&state, &caller, issue.id).await;
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
    caller: Caller,
    Path((key, issue_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (model, asset) = asset_by_key(&state.store, caller.tenant_id(), &key).await?;
    caller.require_asset_edit(&state, &model.schema).await?;
    let issue_id: i64 = issue_id.parse().map_err(|_| AppError::NotFound {
        code: "link_not_found",
        message: format!("{key} is not linked to issue {issue_id:?}"),
    })?;
    let removed = state
        .store
        .unlink_issue(caller.tenant_id(), asset.id, issue_id, &caller.actor())
        .await?;
    if !removed {
        return Err(AppError::NotFound {
            code: "link_not_found",
            message: format!("{key} is not linked to issue {issue_id}"),
        });
    }
    sync_issue_property(&state, &caller, issue_id).await;
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
