//! The Assets field's edit view asks here what it may offer: `/api/v1/asset-field/candidates`.
//! The scope comes from Jira, never from the browser (`crate::asset_field`).

use super::AppState;
use super::caller::{ApiQuery, Caller};
use super::error::AppError;
use super::openapi::QueryPageBody;
use super::query_api::query_page_body;
use crate::asset_field::{self, FieldError, FieldScope};
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

/// What the field may hold here: the scope the admin set, and the first matching assets.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CandidatesBody {
    pub scope: FieldScope,
    pub page: QueryPageBody,
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
            FieldError::Query(q) => AppError::Conflict {
                code: "field_scope_invalid",
                message: format!(
                    "the Assets field's scope does not run: {q}. A Jira admin corrects it in the field's context"
                ),
            },
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/asset-field/candidates",
    tag = "asset field",
    params(CandidatesParams),
    responses(
        (status = 200, description = "The field's scope here and the assets within it that match what was typed", body = CandidatesBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 409, response = super::openapi::Conflict),
        (status = 502, response = super::openapi::BadGateway)
    )
)]
pub async fn candidates(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<CandidatesParams>,
) -> Result<Json<CandidatesBody>, AppError> {
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
    Ok(Json(CandidatesBody {
        scope,
        page: query_page_body(&found),
    }))
}
