//! Requests approved in Jira (issue 14, item 6): `/api/v1/schemas/{schema}/request-policy`
//! (how an issue's workflow approves or rejects the requests made on it), the requests under
//! `/api/v1/schemas/{schema}/requests…` (ask, list, fulfil, cancel, re-check) and an issue's
//! requests with their path, `/api/v1/issues/{issue}/requests`. Issue events settle them
//! (`crate::requests`).

use super::AppState;
use super::caller::{ApiJson, Caller};
use super::custody_api::{once, replay, today};
use super::error::AppError;
use super::resource::SiteSchema;
use super::shared::{bad_cursor, page_limit, resolve_issue};
use amj_domain::kit::KitPart;
use amj_domain::request::{
    ApprovalPolicy, Cancellation, Fulfilment, RequestDraft, RequestEvent, RequestState, Wanted,
};
use amj_domain::{ValidationErrors, rules};
use amj_store::catalog::SchemaModel;
use amj_store::request::{Request, RequestEntry, RequestIssue, RequestIssueRef, WithHistory};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

/// An asset set aside for a request.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservedBody {
    /// The kit part it stands for (0 for a request of a type).
    pub part: usize,
    #[schema(example = "IT-42")]
    pub asset: String,
    pub label: String,
}

/// One step of a request's path.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestEntryBody {
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
    /// Who: an accountId, or `app` for what the issue's workflow decided.
    pub actor: String,
    pub event: RequestEvent,
}

/// A request: what is asked, for whom, on which issue, and where it stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestBody {
    pub id: i64,
    #[schema(example = "IT")]
    pub schema: String,
    #[schema(example = "AM-12")]
    pub issue: String,
    pub wanted: Wanted,
    /// What is wanted in words, as it was asked for.
    pub what: String,
    /// Whom it is for, by accountId.
    pub account_id: String,
    pub note: String,
    pub state: RequestState,
    /// The issue's status as last read ("" until read).
    pub issue_status: String,
    /// What is set aside for it while it is approved.
    pub reserved: Vec<ReservedBody>,
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    pub created_by: String,
    /// Its path, oldest first (the one request and an issue's requests carry it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<RequestEntryBody>>,
}

fn entry_body(e: RequestEntry) -> RequestEntryBody {
    RequestEntryBody {
        at: e.at,
        actor: e.actor,
        event: e.event,
    }
}

fn request_body(schema: &str, r: Request, history: Option<Vec<RequestEntry>>) -> RequestBody {
    RequestBody {
        id: r.id,
        schema: schema.to_owned(),
        issue: r.issue_key,
        wanted: r.wanted,
        what: r.what,
        account_id: r.account_id,
        note: r.note,
        state: r.state,
        issue_status: r.issue_status,
        reserved: r
            .reserved
            .into_iter()
            .map(|(part, key, label)| ReservedBody {
                part,
                asset: key.to_string(),
                label,
            })
            .collect(),
        created_at: r.created_at,
        created_by: r.created_by,
        history: history.map(|h| h.into_iter().map(entry_body).collect()),
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestsBody {
    pub items: Vec<RequestBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IssueRequestsBody {
    /// Newest first, each with its path.
    pub items: Vec<RequestBody>,
}

fn request_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| AppError::NotFound {
        code: "request_not_found",
        message: format!("no request {id:?} in this schema"),
    })
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound {
        code: "request_not_found",
        message: format!("no request #{id} in this schema"),
    }
}

/// The parts of what is wanted that take an asset, and what it is in words.
async fn wanted_parts(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    wanted: &Wanted,
) -> ApiResult<(Vec<usize>, String)> {
    match wanted {
        Wanted::Type { type_id } => {
            let Some(t) = model.asset_type(*type_id) else {
                return Err(AppError::Validation(ValidationErrors::single(
                    "wanted.typeId",
                    rules::REFERENCE_TARGET,
                    format!("What: type {} is not in this schema", type_id.0),
                )));
            };
            if !model.custody.is_checkoutable(&model.types, t.id) {
                return Err(AppError::Validation(ValidationErrors::single(
                    "wanted.typeId",
                    rules::REFERENCE_TARGET,
                    format!(
                        "What: {} assets cannot be checked out (see the schema's check-out settings)",
                        t.name
                    ),
                )));
            }
            Ok((vec![0], format!("a {}", t.name)))
        }
        Wanted::Kit { kit } => {
            let Some(found) = state
                .store
                .kit(caller.tenant_id(), model.schema.id, *kit)
                .await?
            else {
                return Err(AppError::Validation(ValidationErrors::single(
                    "wanted.kit",
                    rules::REFERENCE_TARGET,
                    format!("What: kit {kit} is not in this schema"),
                )));
            };
            let parts = found
                .parts
                .iter()
                .enumerate()
                .filter(|(_, p)| matches!(p, KitPart::Asset { .. }))
                .map(|(i, _)| i)
                .collect();
            Ok((parts, format!("the kit {}", found.name)))
        }
    }
}

/// Asks, on an issue, for an asset of a checkoutable type or a kit, for a person. Anyone who
/// can see the issue may ask. The request waits for the issue's workflow (the schema's
/// approval policy), and is settled against the issue's status right away: ask again with
/// `GET` to see whether that approved it.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/requests",
    tag = "requests",
    params(super::openapi::SchemaPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = RequestDraft,
    responses(
        (status = 200, description = "The request, pending", body = RequestBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn create_request(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    headers: HeaderMap,
    ApiJson(draft): ApiJson<RequestDraft>,
) -> ApiResult<Response> {
    caller.require_write()?;
    let path = format!("/api/v1/schemas/{}/requests", model.schema.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &draft).await? {
        return Ok(response);
    }
    draft.validate().map_err(AppError::Validation)?;
    let Some(policy) = &model.requests else {
        return Err(AppError::Conflict {
            code: "requests_not_set_up",
            message: format!(
                "requests are not set up in schema {}: an admin chooses, in its settings, which \
                 project's issues approve them and how",
                model.schema.key
            ),
        });
    };
    let (_, what) = wanted_parts(&state, &caller, &model, &draft.wanted).await?;
    let issue = resolve_issue(&state, &caller, &draft.issue).await?;
    let project = issue.key.split('-').next().unwrap_or_default();
    if !project.eq_ignore_ascii_case(&policy.project) {
        return Err(AppError::Validation(ValidationErrors::single(
            "issue",
            rules::REFERENCE_TARGET,
            format!(
                "Issue: requests of schema {} are approved in project {}; {} is not one of its issues",
                model.schema.key, policy.project, issue.key
            ),
        )));
    }
    let on = RequestIssue {
        id: issue.id,
        key: issue.key.clone(),
    };
    let schema = model.schema.key.to_string();
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &draft,
        |r: &Request| Ok(request_body(&schema, r.clone(), None)),
        async |idem| {
            state
                .store
                .create_request(
                    caller.tenant_id(),
                    &model,
                    &on,
                    &draft,
                    &what,
                    &caller.actor(),
                    idem,
                )
                .await
                .map(Box::new)
        },
    )
    .await?;
    // The issue may approve it already. A failure here is not the asker's: the issue's next
    // event, or a re-check, settles it.
    if let Err(e) =
        crate::requests::settle_issue(&state.jira, &state.store, &caller.tenant, issue.id).await
    {
        tracing::warn!(issue = %issue.key, error = %e, "could not settle a new request yet");
    }
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestListParams {
    /// Only requests in these states, comma-separated (`pending,approved`: the fulfilment
    /// queue). All when absent.
    pub state: Option<String>,
    /// From the previous page's `nextCursor`.
    pub cursor: Option<String>,
    /// 1 to 500; 100 when absent.
    pub limit: Option<usize>,
}

fn parse_states(text: Option<&str>) -> ApiResult<Vec<RequestState>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
                AppError::Validation(ValidationErrors::single(
                    "state",
                    rules::FORMAT,
                    format!("state: {s:?} is not one of pending, approved, fulfilled, released"),
                ))
            })
        })
        .collect()
}

/// A schema's requests, oldest first: with `state=pending,approved`, the fulfilment queue.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/requests",
    tag = "requests",
    params(super::openapi::SchemaPath, RequestListParams),
    responses(
        (status = 200, description = "A page of requests", body = RequestsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn list_requests(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Query(params): Query<RequestListParams>,
) -> ApiResult<Json<RequestsBody>> {
    let states = parse_states(params.state.as_deref())?;
    let limit = page_limit(params.limit)?;
    let after = params
        .cursor
        .as_deref()
        .map(|c| c.parse::<i64>().map_err(|_| bad_cursor()))
        .transpose()?;
    let page = u32::try_from(limit).map_err(|_| bad_cursor())?;
    let items = state
        .store
        .requests(caller.tenant_id(), &model, &states, after, page)
        .await?;
    let next_cursor = (items.len() == limit)
        .then(|| items.last().map(|r| r.id.to_string()))
        .flatten();
    let schema = model.schema.key.to_string();
    Ok(Json(RequestsBody {
        items: items
            .into_iter()
            .map(|r| request_body(&schema, r, None))
            .collect(),
        next_cursor,
    }))
}

/// One request, with its path.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/requests/{id}",
    tag = "requests",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 200, description = "The request", body = RequestBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_request(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<RequestBody>> {
    let id = request_id(&id)?;
    one(&state, &caller, &model, id).await.map(Json)
}

async fn one(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    id: i64,
) -> ApiResult<RequestBody> {
    let request = state
        .store
        .request(caller.tenant_id(), model, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let history = state.store.request_events(caller.tenant_id(), id).await?;
    Ok(request_body(
        model.schema.key.as_ref(),
        request,
        Some(history),
    ))
}

/// Hands an approved request out with one action: what it reserved is checked out to its
/// person for its issue (a kit's parts by the kit's rules), all or nothing. `picks` replace
/// reserved assets by hand; when nothing could be reserved, whatever is free now is picked.
/// A pending request is a 409 naming the issue's status.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/requests/{id}/fulfil",
    tag = "requests",
    params(super::openapi::SchemaItemPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = Fulfilment,
    responses(
        (status = 200, description = "The request, fulfilled, with its path (its last step names what was handed out)", body = RequestBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn fulfil_request(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(fulfilment): ApiJson<Fulfilment>,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let id = request_id(&id)?;
    let path = format!("/api/v1/schemas/{}/requests/{id}/fulfil", model.schema.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &fulfilment).await? {
        return Ok(response);
    }
    let request = state
        .store
        .request(caller.tenant_id(), &model, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    // A kit deleted (or a type no longer checkoutable) since the request: said as such.
    let (parts, _) = wanted_parts(&state, &caller, &model, &request.wanted).await?;
    fulfilment
        .validate(&parts, today())
        .map_err(AppError::Validation)?;
    let schema = model.schema.key.to_string();
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &fulfilment,
        |(r, history): &WithHistory| Ok(request_body(&schema, r.clone(), Some(history.clone()))),
        async |idem| {
            state
                .store
                .fulfil_request(
                    caller.tenant_id(),
                    &model,
                    id,
                    &fulfilment,
                    &caller.actor(),
                    idem,
                )
                .await
                .map(Box::new)
        },
    )
    .await?;
    // The issue's property lists what was handed out for it, so JQL finds the issue by it.
    crate::issues::sync_issue_property(
        &state.jira,
        &state.store,
        &state.config.app_key,
        &caller.tenant,
        request.issue_id,
        &request.issue_key,
    )
    .await;
    Ok(response)
}

/// Cancels a pending or approved request, freeing what it reserved: asset editors, or the
/// person who asked.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/requests/{id}/cancel",
    tag = "requests",
    params(super::openapi::SchemaItemPath),
    request_body = Cancellation,
    responses(
        (status = 200, description = "The request, released", body = RequestBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn cancel_request(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
    ApiJson(cancellation): ApiJson<Cancellation>,
) -> ApiResult<Json<RequestBody>> {
    caller.require_write()?;
    let id = request_id(&id)?;
    cancellation.validate().map_err(AppError::Validation)?;
    let request = state
        .store
        .request(caller.tenant_id(), &model, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if request.created_by != caller.actor() {
        caller.require_asset_edit(&state, &model.schema).await?;
    }
    state
        .store
        .cancel_request(
            caller.tenant_id(),
            &model,
            id,
            &cancellation.note,
            &caller.actor(),
        )
        .await?;
    one(&state, &caller, &model, id).await.map(Json)
}

/// Reads the issue's status from Jira now and settles its requests against it: what an issue
/// event does, for when one was missed.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/requests/{id}/recheck",
    tag = "requests",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 200, description = "The request, settled against the issue's status now", body = RequestBody),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 502, response = super::openapi::BadGateway),
        (status = 503, response = super::openapi::Unavailable)
    )
)]
pub async fn recheck_request(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<RequestBody>> {
    caller.require_write()?;
    let id = request_id(&id)?;
    let request = state
        .store
        .request(caller.tenant_id(), &model, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    crate::requests::settle_issue(&state.jira, &state.store, &caller.tenant, request.issue_id)
        .await?;
    one(&state, &caller, &model, id).await.map(Json)
}

/// The requests made on an issue, in every schema, newest first, each with its path. The
/// issue is named by its key or its id.
#[utoipa::path(
    get,
    path = "/api/v1/issues/{issue}/requests",
    tag = "requests",
    params(("issue" = String, Path, description = "The issue's key, such as HR-12, or its id")),
    responses(
        (status = 200, description = "The issue's requests", body = IssueRequestsBody),
        (status = 400, response = super::openapi::BadRequest)
    )
)]
pub async fn issue_requests(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue): Path<String>,
) -> ApiResult<Json<IssueRequestsBody>> {
    let key = issue.trim().to_uppercase();
    let by = match key.parse::<i64>() {
        Ok(id) => RequestIssueRef::Id(id),
        Err(_) if amj_domain::custody::is_issue_key(&key) => RequestIssueRef::Key(&key),
        Err(_) => {
            return Err(AppError::Validation(ValidationErrors::single(
                "issue",
                rules::FORMAT,
                format!("issue: {issue:?} is not an issue key such as HR-12, or an issue id"),
            )));
        }
    };
    let found = state
        .store
        .requests_of_issue(caller.tenant_id(), &by)
        .await?;
    let items = found
        .into_iter()
        .map(|(schema, request, history)| request_body(schema.as_ref(), request, Some(history)))
        .collect();
    Ok(Json(IssueRequestsBody { items }))
}
