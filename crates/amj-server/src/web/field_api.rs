//! The Assets field's views ask here what they may offer and show:
//! `/api/v1/asset-field/candidates` and `/api/v1/asset-field/assets`. The scope comes from Jira,
//! never from the browser (`crate::asset_field`), and answers carry only what the field shows
//! (key, name, status): the field's views may be a portal customer's, who sees nothing else of
//! the app (`caller::field_module_may_call`).

use super::AppState;
use super::caller::{ApiQuery, Caller};
use super::error::AppError;
use super::openapi::AssetStatusRef;
use crate::asset_field::{self, FieldError, FieldScope};
use crate::query::QueryError;
use crate::query::QueryResult;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CandidatesParams {
    /// The field's id, `customfield_10100` (the edit view's `extension.fieldId`).
    pub field: String,
    /// The issue's id: its field context decides the scope. Without it (creating an issue),
    /// the field's first configured context does.
    #[serde(default)]
    pub issue: Option<i64>,
    /// What the person typed: an asset key, or part of a label.
    #[serde(default)]
    pub q: Option<String>,
    /// Assets to offer, 1 to 50 (default 20).
    #[serde(default)]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// An asset as the field shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldAssetBody {
    #[schema(example = "IT-42")]
    pub key: String,
    pub label: String,
    pub status: AssetStatusRef,
}

/// The scope the admin set here, and the field's assets asked for.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldAssetsBody {
    pub scope: FieldScope,
    pub items: Vec<FieldAssetBody>,
}

/// The field's answer: `found` is `None` when no key asked for could be one of the scope's.
fn field_assets(scope: FieldScope, found: Option<&QueryResult>) -> FieldAssetsBody {
    let mut items = Vec::new();
    if let Some(found) = found {
        for asset in &found.page.items {
            let body = crate::assets::asset_body(&found.model, asset, Default::default());
            items.push(FieldAssetBody {
                key: body.key,
                label: body.label,
                status: body.status,
            });
        }
    }
    FieldAssetsBody { scope, items }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldAssetsParams {
    /// The field's id, `customfield_10100`.
    pub field: String,
    /// The issue's id: its field context decides the scope.
    #[serde(default)]
    pub issue: Option<i64>,
    /// The keys to show, comma-separated, at most 100: the field's value.
    pub keys: String,
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        match e {
            FieldError::Jira(e) => e.into(),
            FieldError::Store(e) => e.into(),
            e @ FieldError::NotConfigured => AppError::Conflict {
                code: "field_not_configured",
                message: e.to_string(),
            },
            // The scope is the admin's query, not the caller's: a mistake in it is named, but
            // the caller can do nothing about it.
            e @ FieldError::BadScope(_) => AppError::Conflict {
                code: "field_scope_invalid",
                message: e.to_string(),
            },
            FieldError::Query(
                q @ (QueryError::Aql { .. }
                | QueryError::NoSchema(_)
                | QueryError::UnknownSchema(_)),
            ) => AppError::Conflict {
                code: "field_scope_invalid",
                message: format!(
                    "the Assets field's scope does not run: {q}. A Jira admin corrects it in the field's context"
                ),
            },
            // An outage while running it: the store's or Jira's, as on any query.
            FieldError::Query(q) => q.into(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/asset-field/candidates",
    tag = "asset field",
    params(CandidatesParams),
    responses(
        (status = 200, description = "The field's scope here and the assets within it that match what was typed", body = FieldAssetsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 409, response = super::openapi::Conflict),
        (status = 502, response = super::openapi::BadGateway),
        (status = 503, response = super::openapi::Unavailable)
    )
)]
pub async fn candidates(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<CandidatesParams>,
) -> Result<Json<FieldAssetsBody>, AppError> {
    if !asset_field::valid_field_id(&params.field) {
        return Err(AppError::bad_request(
            "invalid_field",
            "field: must be a custom field id such as customfield_10100",
        ));
    }
    let limit = params.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            "limit: must be between 1 and 50",
        ));
    }
    let scope = asset_field::scope(&state.jira, &caller.tenant, &params.field, params.issue)
        .await?
        .ok_or(FieldError::NotConfigured)?;
    let found = asset_field::candidates(
        &state.store,
        &state.jira,
        &caller.tenant,
        caller.account_id(),
        &scope,
        params.q.as_deref().unwrap_or(""),
        limit,
    )
    .await?;
    Ok(Json(field_assets(scope, Some(&found))))
}

/// The field's value as its views show it: those of `keys` within the scope here, in key order.
/// A key outside the scope, or of no asset, is left out.
#[utoipa::path(
    get,
    path = "/api/v1/asset-field/assets",
    tag = "asset field",
    params(FieldAssetsParams),
    responses(
        (status = 200, description = "The field's scope here and those of the keys within it", body = FieldAssetsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 409, response = super::openapi::Conflict),
        (status = 502, response = super::openapi::BadGateway),
        (status = 503, response = super::openapi::Unavailable)
    )
)]
pub async fn field_assets_of(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<FieldAssetsParams>,
) -> Result<Json<FieldAssetsBody>, AppError> {
    if !asset_field::valid_field_id(&params.field) {
        return Err(AppError::bad_request(
            "invalid_field",
            "field: must be a custom field id such as customfield_10100",
        ));
    }
    let keys: Vec<String> = params
        .keys
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect();
    if keys.is_empty() || keys.len() > 100 {
        return Err(AppError::bad_request(
            "invalid_keys",
            "keys: from 1 to 100 asset keys, comma-separated",
        ));
    }
    let scope = asset_field::scope(&state.jira, &caller.tenant, &params.field, params.issue)
        .await?
        .ok_or(FieldError::NotConfigured)?;
    let found =
        asset_field::among(&state.store, &state.jira, &caller.tenant, &scope, &keys).await?;
    Ok(Json(field_assets(scope, found.as_ref())))
}
