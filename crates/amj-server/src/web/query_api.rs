//! `/api/v1/assets/query` and `/api/v1/aql/validate`: AQL search for the asset list, scripts and
//! editors. The work is in [`crate::query`]; these only translate HTTP.

use super::AppState;
use super::caller::{ApiJson, ApiQuery, Caller};
use super::error::{AppError, aql_error_body};
use super::openapi::{AqlValidationBody, CompletionBody, CompletionsBody, QueryPageBody};
use crate::assets::asset_body;
use crate::query::{self, QueryRequest};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;

/// A search.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryInput {
    /// The AQL query, e.g. `objectType = Laptop AND Owner = currentUser() ORDER BY label`.
    pub aql: String,
    /// The schema's key. Optional when the query says `objectSchema = KEY` or the site has one
    /// schema.
    #[serde(default)]
    pub schema: Option<String>,
    /// Assets per page, 1 to 500 (default 50).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page of the same query.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Also match archived assets (default false).
    #[serde(default)]
    pub include_archived: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/v1/assets/query",
    tag = "query",
    request_body = QueryInput,
    responses(
        (status = 200, description = "A page of the matching assets, and on the first page their number", body = super::openapi::QueryPageBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn query_assets(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<QueryInput>,
) -> Result<Json<QueryPageBody>, AppError> {
    let limit = input.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            "limit: must be between 1 and 500",
        ));
    }
    let request = QueryRequest {
        aql: input.aql,
        schema: input.schema,
        limit,
        cursor: input.cursor,
        include_archived: input.include_archived.unwrap_or(false),
    };
    let started = std::time::Instant::now();
    let result = query::run(
        &state.store,
        &state.jira,
        &caller.tenant,
        caller.account_id(),
        &request,
    )
    .await;
    state
        .monitor
        .metrics
        .record_query("aql", started.elapsed().as_secs_f64());
    Ok(Json(query_page_body(&result?)))
}

/// The API form of a query's page, which the asset list page also embeds as its first page.
pub fn query_page_body(result: &query::QueryResult) -> QueryPageBody {
    QueryPageBody {
        schema: result.model.schema.key.as_str().to_owned(),
        items: result
            .page
            .items
            .iter()
            .map(|a| {
                let held = result.holdings.get(&a.id).cloned().unwrap_or_default();
                asset_body(&result.model, a, held)
            })
            .collect(),
        next_cursor: result.page.next_cursor.clone(),
        total: result.total.map(|(n, _)| n),
        total_exact: result.total.map(|(_, exact)| exact),
    }
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateParams {
    /// The query as typed so far.
    #[serde(default)]
    pub aql: String,
    /// The schema's key (see `POST /api/v1/assets/query`).
    #[serde(default)]
    pub schema: Option<String>,
    /// The cursor's byte offset in `aql`, for completions (default: the end).
    #[serde(default)]
    pub position: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/aql/validate",
    tag = "query",
    params(ValidateParams),
    responses(
        (status = 200, description = "Whether the query is valid, its first error, and completions at the cursor", body = super::openapi::AqlValidationBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn validate_aql(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ValidateParams>,
) -> Result<Json<AqlValidationBody>, AppError> {
    let validation = query::validate(
        &state.store,
        caller.tenant_id(),
        &params.aql,
        params.schema.as_deref(),
        params.position,
        caller.account_id(),
    )
    .await?;
    let completions = validation.completions;
    Ok(Json(AqlValidationBody {
        valid: validation.error.is_none(),
        error: validation
            .error
            .as_ref()
            .map(|e| aql_error_body(e, &params.aql)),
        completions: CompletionsBody {
            replace_start: completions.replace_start,
            replace_end: completions.replace_end,
            items: completions
                .items
                .into_iter()
                .map(|c| CompletionBody {
                    label: c.label,
                    insert: c.insert,
                    kind: c.kind.to_owned(),
                })
                .collect(),
        },
    }))
}
