//! `/api/v1/schemas/{schema}/request-policy`: how an issue's workflow approves or rejects the
//! requests made from it (issue 14, item 6; the requests themselves come next).

use super::AppState;
use super::caller::ApiJson;
use super::error::AppError;
use super::resource::SiteSchema;
use amj_domain::request::ApprovalPolicy;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

type ApiResult<T> = Result<T, AppError>;

/// The schema's approval policy; `policy` is `null` while requests are not set up.
#[derive(Serialize, ToSchema)]
pub struct RequestPolicyBody {
    #[schema(required = true)]
    pub policy: Option<ApprovalPolicy>,
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/request-policy",
    tag = "requests",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "How an issue's status approves or rejects its requests", body = RequestPolicyBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_request_policy(
    SiteSchema { model, .. }: SiteSchema,
) -> ApiResult<Json<RequestPolicyBody>> {
    Ok(Json(RequestPolicyBody {
        policy: model.requests.clone(),
    }))
}

/// Asset admins only. Status names are matched in any case, as Jira shows them; a rejecting
/// status wins over an approving category.
#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/request-policy",
    tag = "requests",
    params(super::openapi::SchemaPath),
    request_body = ApprovalPolicy,
    responses(
        (status = 200, description = "The policy as stored", body = RequestPolicyBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn put_request_policy(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiJson(policy): ApiJson<ApprovalPolicy>,
) -> ApiResult<Json<RequestPolicyBody>> {
    caller.require_admin(&state).await?;
    policy.validate().map_err(AppError::Validation)?;
    let policy = policy.normalized();
    state
        .store
        .set_request_policy(caller.tenant_id(), model.schema.id, Some(&policy))
        .await?;
    Ok(Json(RequestPolicyBody {
        policy: Some(policy),
    }))
}

/// Asset admins only: requests are no longer decided by issues of this schema.
#[utoipa::path(
    delete,
    path = "/api/v1/schemas/{schema}/request-policy",
    tag = "requests",
    params(super::openapi::SchemaPath),
    responses(
        (status = 204, description = "Cleared"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn delete_request_policy(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<StatusCode> {
    caller.require_admin(&state).await?;
    state
        .store
        .set_request_policy(caller.tenant_id(), model.schema.id, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
