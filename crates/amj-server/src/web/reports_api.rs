//! `/api/v1/reports/{schema}/…`: the dashboard's figures, and the settings only an admin gives
//! them. The work is in [`crate::reports`]; these only translate HTTP.

use super::AppState;
use super::caller::{ApiJson, ApiQuery};
use super::error::AppError;
use super::resource::{AdminSchema, SiteSchema};
use crate::reports::{self, CountsReport, DueReport, QualityReport, TrendReport};
use amj_domain::report::ReportSettings;
use amj_store::now_millis;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;

type ApiResult<T> = Result<T, AppError>;

#[utoipa::path(
    get,
    path = "/api/v1/reports/{schema}/counts",
    tag = "reports",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "Live assets by type, status and location, each slice with its AQL", body = CountsReport),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn counts(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<Json<CountsReport>> {
    let settings = state
        .store
        .report_settings(caller.tenant_id(), model.schema.id)
        .await?;
    Ok(Json(
        reports::counts(&state.store, caller.tenant_id(), &model, &settings).await?,
    ))
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrendParams {
    /// How many months, ending with the current one: 1 to 36 (default 12).
    #[serde(default)]
    pub months: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{schema}/trend",
    tag = "reports",
    params(super::openapi::SchemaPath, TrendParams),
    responses(
        (status = 200, description = "Assets created and retired per month (UTC)", body = TrendReport),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn trend(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiQuery(params): ApiQuery<TrendParams>,
) -> ApiResult<Json<TrendReport>> {
    let months = params.months.unwrap_or(12);
    if !(1..=36).contains(&months) {
        return Err(AppError::bad_request(
            "invalid_months",
            "months: must be between 1 and 36",
        ));
    }
    let months = usize::try_from(months).unwrap_or(12);
    Ok(Json(
        reports::trend(
            &state.store,
            caller.tenant_id(),
            &model,
            months,
            now_millis(),
        )
        .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{schema}/due",
    tag = "reports",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "Marked dates (warranty, end of life) falling due in 30, 60 and 90 days", body = DueReport),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn due(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<Json<DueReport>> {
    let settings = state
        .store
        .report_settings(caller.tenant_id(), model.schema.id)
        .await?;
    Ok(Json(
        reports::due(
            &state.store,
            caller.tenant_id(),
            &model,
            &settings,
            now_millis(),
        )
        .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{schema}/quality",
    tag = "reports",
    params(super::openapi::SchemaPath),
    responses(
        (
            status = 200,
            description = "What breaks the attributes' rules: required values missing, numbers \
                           outside bounds, select values that are no longer options",
            body = QualityReport
        ),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn quality(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<Json<QualityReport>> {
    Ok(Json(
        reports::quality(&state.store, caller.tenant_id(), &model).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{schema}/settings",
    tag = "reports",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "Which attribute is the location, and which dates fall due", body = ReportSettings),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_settings(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<Json<ReportSettings>> {
    Ok(Json(
        state
            .store
            .report_settings(caller.tenant_id(), model.schema.id)
            .await?,
    ))
}

#[utoipa::path(
    put,
    path = "/api/v1/reports/{schema}/settings",
    tag = "reports",
    params(super::openapi::SchemaPath),
    request_body = ReportSettings,
    responses(
        (status = 200, description = "The saved settings", body = ReportSettings),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn put_settings(
    State(state): State<AppState>,
    AdminSchema { caller, model, .. }: AdminSchema,
    ApiJson(settings): ApiJson<ReportSettings>,
) -> ApiResult<Json<ReportSettings>> {
    settings
        .validate(&model.attributes)
        .map_err(AppError::Validation)?;
    state
        .store
        .set_report_settings(caller.tenant_id(), model.schema.id, &settings)
        .await?;
    Ok(Json(settings))
}
