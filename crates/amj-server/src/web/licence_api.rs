//! `/api/v1/…` for licence seats: the schema's licence policy, a licence's terms and seats,
//! assigning and freeing seats (with `Idempotency-Key`), compliance per licence and per
//! product, and reclaiming the seats of people Jira marks inactive.

use super::AppState;
use super::caller::{ApiJson, ApiQuery, Caller};
use super::custody_api::{once, replay, today};
use super::error::AppError;
use super::resource::{SiteAsset, SiteSchema};
use amj_domain::licence::{
    Assignee, Compliance, LicencePolicy, LicenceTerms, SeatDraft, SeatRelease, is_expired,
};
use amj_domain::{ValidationErrors, rules};
use amj_store::licence::{AccountSeat, Licence, ProductCompliance, Seat};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

type ApiResult<T> = Result<T, AppError>;

use super::shared::{PageParams, bad_cursor, page_limit, resolve_issue};

/// Most accountIds one Jira user lookup takes.
const JIRA_USERS_PAGE: usize = 50;
/// Most people one reclaim frees.
const RECLAIM_MAX: usize = 500;

/// A licence: its terms and how it stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenceBody {
    #[schema(example = "SW-12")]
    pub asset: String,
    pub label: String,
    pub terms: LicenceTerms,
    pub compliance: Compliance,
    /// Past its last day.
    pub expired: bool,
    /// Entitled seats times the cost per seat, in `terms.currency`; absent without a cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<f64>,
}

fn licence_body(licence: Licence) -> LicenceBody {
    let compliance = licence.compliance();
    let total_cost = licence
        .terms
        .cost_minor()
        .map(|c| c.saturating_mul(licence.terms.entitled) as f64 / 100.0);
    LicenceBody {
        asset: licence.key.to_string(),
        label: licence.label,
        expired: is_expired(licence.terms.expires, today()),
        terms: licence.terms,
        compliance,
        total_cost,
    }
}

/// One seat in use.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeatBody {
    pub assignee: Assignee,
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub assigned_at: i64,
    /// Who assigned it (an accountId, `app`, or `api-token:N`).
    pub by: String,
    pub issue: Option<String>,
    pub note: String,
}

fn seat_body(seat: Seat) -> SeatBody {
    SeatBody {
        assignee: seat.assignee,
        assigned_at: seat.assigned_at,
        by: seat.by,
        issue: seat.issue,
        note: seat.note,
    }
}

/// What assigning seats answers: the new seats and the licence after.
#[derive(Serialize, ToSchema)]
pub struct AssignedBody {
    pub items: Vec<SeatBody>,
    pub licence: LicenceBody,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeatPageBody {
    pub items: Vec<SeatBody>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicencePageBody {
    pub items: Vec<LicenceBody>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// One product's licences added up.
#[derive(Serialize, ToSchema)]
pub struct ProductBody {
    pub product: String,
    pub licences: i64,
    pub compliance: Compliance,
}

#[derive(Serialize, ToSchema)]
pub struct ProductsBody {
    pub items: Vec<ProductBody>,
}

/// A seat held by someone Jira marks inactive.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReclaimableBody {
    #[schema(example = "SW-12")]
    pub licence: String,
    pub licence_label: String,
    pub account_id: String,
    /// The person's name as Jira has it.
    pub display_name: String,
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub assigned_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ReclaimableItemsBody {
    pub items: Vec<ReclaimableBody>,
}

/// Whose seats to reclaim.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReclaimRequest {
    /// People Jira marks inactive; an active one refuses the whole call.
    pub account_ids: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReclaimedBody {
    /// Seats freed.
    pub freed: usize,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LicenceListParams {
    /// Only the licences of this product.
    pub product: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

fn require_licence_type(
    model: &amj_store::catalog::SchemaModel,
    asset: &amj_store::assets::AssetRecord,
) -> ApiResult<()> {
    if model.licences.is_licensed(&model.types, asset.type_id) {
        return Ok(());
    }
    Err(AppError::Unprocessable {
        code: "not_licensed",
        message: format!(
            "{}: its type is not a licence type (see the schema's licence settings)",
            asset.key
        ),
    })
}

// ----- policy -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/licence-policy",
    tag = "licences",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "Which types are licences, and what counts as an installation", body = LicencePolicy),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_licence_policy(
    SiteSchema { model, .. }: SiteSchema,
) -> ApiResult<Json<LicencePolicy>> {
    Ok(Json(model.licences.clone()))
}

/// Asset admins only. Types name their subtypes too. The installed attribute is a reference
/// attribute of the schema pointing at a licensed type ("Installed software" on a computer).
#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/licence-policy",
    tag = "licences",
    params(super::openapi::SchemaPath),
    request_body = LicencePolicy,
    responses(
        (status = 200, description = "The policy as stored", body = LicencePolicy),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn put_licence_policy(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiJson(policy): ApiJson<LicencePolicy>,
) -> ApiResult<Json<LicencePolicy>> {
    caller.require_admin(&state).await?;
    policy
        .validate(&model.types, &model.attributes)
        .map_err(AppError::Validation)?;
    let mut policy = policy;
    policy.licensed_types.sort_by_key(|t| t.0);
    policy.licensed_types.dedup();
    state
        .store
        .set_licence_policy(caller.tenant_id(), model.schema.id, &policy)
        .await?;
    Ok(Json(policy))
}

// ----- one licence -----

#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}/licence",
    tag = "licences",
    params(super::openapi::AssetPath),
    responses(
        (status = 200, description = "The licence's terms and compliance", body = LicenceBody),
        (status = 404, response = super::openapi::NotFound),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn get_licence(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
) -> ApiResult<Json<LicenceBody>> {
    require_licence_type(&model, &asset)?;
    let licence = state
        .store
        .licence(caller.tenant_id(), &model, asset.id)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "licence_not_found",
            message: format!("{} has no licence terms yet", asset.key),
        })?;
    Ok(Json(licence_body(licence)))
}

/// Sets a licence's terms: entitled seats, overuse, dates and cost. Lowering the entitlement
/// below the seats in use is a 409 unless overuse is allowed.
#[utoipa::path(
    put,
    path = "/api/v1/assets/{key}/licence",
    tag = "licences",
    params(super::openapi::AssetPath),
    request_body = LicenceTerms,
    responses(
        (status = 200, description = "The licence as stored", body = LicenceBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn put_licence(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
    ApiJson(terms): ApiJson<LicenceTerms>,
) -> ApiResult<Json<LicenceBody>> {
    caller.require_asset_edit(&state, &model.schema).await?;
    terms.validate().map_err(AppError::Validation)?;
    let licence = state
        .store
        .set_licence_terms(
            caller.tenant_id(),
            &model,
            asset.id,
            &terms,
            &caller.actor(),
        )
        .await?;
    Ok(Json(licence_body(licence)))
}

#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}/seats",
    tag = "licences",
    params(super::openapi::AssetPath, PageParams),
    responses(
        (status = 200, description = "A page of the licence's seats, in assignment order", body = SeatPageBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn seats(
    State(state): State<AppState>,
    SiteAsset { caller, asset, .. }: SiteAsset,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<SeatPageBody>> {
    let limit = page_limit(params.limit)?;
    let after = params
        .cursor
        .as_deref()
        .map(|c| c.parse::<i64>().map_err(|_| bad_cursor()))
        .transpose()?;
    let seats = state
        .store
        .seats(caller.tenant_id(), asset.id, after, limit)
        .await?;
    let next_cursor = (seats.len() == limit)
        .then(|| seats.last().map(|s| s.id.to_string()))
        .flatten();
    Ok(Json(SeatPageBody {
        items: seats.into_iter().map(seat_body).collect(),
        next_cursor,
    }))
}

/// Assigns seats to people or assets, all or none. Past the entitlement (overuse not allowed)
/// is a 409 `seats_exhausted` saying how many are free.
#[utoipa::path(
    post,
    path = "/api/v1/assets/{key}/seats",
    tag = "licences",
    params(super::openapi::AssetPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = SeatDraft,
    responses(
        (status = 200, description = "The new seats and the licence after", body = AssignedBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn assign_seats(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
    headers: HeaderMap,
    ApiJson(draft): ApiJson<SeatDraft>,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let path = format!("/api/v1/assets/{}/seats", asset.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &draft).await? {
        return Ok(response);
    }
    draft.validate(&asset.key).map_err(AppError::Validation)?;
    require_licence_type(&model, &asset)?;
    let mut resolved = draft.clone();
    let mut issue = None;
    if let Some(key) = &draft.issue {
        let found = resolve_issue(&state, &caller, key).await?;
        resolved.issue = Some(found.key.clone());
        issue = Some(found);
    }
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &draft,
        |(licence, seats): &(Licence, Vec<Seat>)| {
            Ok(AssignedBody {
                items: seats.iter().cloned().map(seat_body).collect(),
                licence: licence_body(licence.clone()),
            })
        },
        async |idem| {
            state
                .store
                .assign_seats(
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
    .await
    .map_err(rows_as_assignees)?;
    // The issue's property lists the licence, so JQL's assetsHandedOut finds the issue by it.
    if let Some(issue) = issue {
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

/// Frees seats, all or none: each assignee must hold one.
#[utoipa::path(
    post,
    path = "/api/v1/assets/{key}/seats/release",
    tag = "licences",
    params(super::openapi::AssetPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = SeatRelease,
    responses(
        (status = 200, description = "The licence after", body = LicenceBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn release_seats(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
    headers: HeaderMap,
    ApiJson(release): ApiJson<SeatRelease>,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let path = format!("/api/v1/assets/{}/seats/release", asset.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &release).await? {
        return Ok(response);
    }
    release.validate(&asset.key).map_err(AppError::Validation)?;
    require_licence_type(&model, &asset)?;
    once(
        &state,
        &caller,
        &headers,
        &path,
        &release,
        |licence: &Licence| Ok(licence_body(licence.clone())),
        async |idem| {
            state
                .store
                .release_seats(
                    caller.tenant_id(),
                    &model,
                    asset.id,
                    &release,
                    &caller.actor(),
                    idem,
                )
                .await
                .map(Box::new)
        },
    )
    .await
    .map_err(rows_as_assignees)
}

/// Row errors of a seat verb name the assignee: `assignees[2]`, not `items[2].assignee`.
fn rows_as_assignees(e: AppError) -> AppError {
    match e {
        AppError::Validation(errors) => AppError::Validation(ValidationErrors(
            errors
                .0
                .into_iter()
                .map(|mut e| {
                    if let Some((row, _)) = e
                        .field
                        .strip_prefix("items[")
                        .and_then(|rest| rest.split_once("]."))
                    {
                        e.field = format!("assignees[{row}]");
                    }
                    e
                })
                .collect(),
        )),
        other => other,
    }
}

// ----- the schema's licences -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/licences",
    tag = "licences",
    params(super::openapi::SchemaPath, LicenceListParams),
    responses(
        (status = 200, description = "A page of the schema's licences by product, with compliance", body = LicencePageBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn licences(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiQuery(params): ApiQuery<LicenceListParams>,
) -> ApiResult<Json<LicencePageBody>> {
    let limit = page_limit(params.limit)?;
    // The cursor is the last row's asset id and product, so products with dots survive.
    let after = params
        .cursor
        .as_deref()
        .map(|c| {
            c.split_once('.')
                .and_then(|(id, product)| Some((id.parse::<i64>().ok()?, product.to_owned())))
                .ok_or_else(bad_cursor)
        })
        .transpose()?;
    let found = state
        .store
        .licences(
            caller.tenant_id(),
            &model,
            params.product.as_deref(),
            after.as_ref().map(|(id, product)| (product.as_str(), *id)),
            limit,
        )
        .await?;
    let next_cursor = (found.len() == limit)
        .then(|| {
            found
                .last()
                .map(|l| format!("{}.{}", l.asset_id.0, l.terms.product))
        })
        .flatten();
    Ok(Json(LicencePageBody {
        items: found.into_iter().map(licence_body).collect(),
        next_cursor,
    }))
}

/// Compliance per product: every licence of a product added up.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/licences/compliance",
    tag = "licences",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "Entitled, assigned, installed and the gap, per product", body = ProductsBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn compliance(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<Json<ProductsBody>> {
    let products = state
        .store
        .compliance_by_product(caller.tenant_id(), &model)
        .await?;
    Ok(Json(ProductsBody {
        items: products
            .into_iter()
            .map(|p: ProductCompliance| ProductBody {
                product: p.product,
                licences: p.licences,
                compliance: p.compliance,
            })
            .collect(),
    }))
}

/// The seat holders Jira marks inactive, with their names, asked in pages of 50.
async fn inactive_people(
    state: &AppState,
    caller: &Caller,
    accounts: &[String],
) -> ApiResult<Vec<crate::jira::payload::User>> {
    let mut inactive = Vec::new();
    for chunk in accounts.chunks(JIRA_USERS_PAGE) {
        let query: String = chunk
            .iter()
            .map(|id| {
                format!(
                    "accountId={}",
                    url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let page: crate::jira::payload::UserPage = state
            .jira
            .get(
                &caller.tenant,
                &format!("/rest/api/3/user/bulk?{query}&maxResults={JIRA_USERS_PAGE}"),
            )
            .await
            .map_err(AppError::jira(super::error::JiraAction::SearchUsers))?;
        inactive.extend(page.values.into_iter().filter(|u| !u.active));
    }
    Ok(inactive)
}

/// Asset admins only. The seats of people who left: held by accounts Jira marks inactive.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/licences/reclaimable",
    tag = "licences",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "Seats held by inactive Jira users", body = ReclaimableItemsBody),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn reclaimable(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<Json<ReclaimableItemsBody>> {
    caller.require_admin(&state).await?;
    let tenant = caller.tenant_id();
    let accounts = state.store.seat_accounts(tenant, model.schema.id).await?;
    let inactive = inactive_people(&state, &caller, &accounts).await?;
    let names: std::collections::HashMap<String, String> = inactive
        .into_iter()
        .map(|u| (u.account_id, u.display_name))
        .collect();
    let ids: Vec<String> = names.keys().cloned().collect();
    let seats = state.store.seats_of_accounts(tenant, &model, &ids).await?;
    Ok(Json(ReclaimableItemsBody {
        items: seats
            .into_iter()
            .filter_map(|s: AccountSeat| {
                Some(ReclaimableBody {
                    display_name: names.get(&s.account_id)?.clone(),
                    licence: s.licence.to_string(),
                    licence_label: s.licence_label,
                    account_id: s.account_id,
                    assigned_at: s.assigned_at,
                })
            })
            .collect(),
    }))
}

/// Asset admins only. Frees every seat these people hold on the schema's licences. Jira is
/// asked again: a person it does not mark inactive refuses the whole call, so a stale list
/// never frees the seat of someone who came back.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/licences/reclaim",
    tag = "licences",
    params(super::openapi::SchemaPath),
    request_body = ReclaimRequest,
    responses(
        (status = 200, description = "How many seats were freed", body = ReclaimedBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn reclaim(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiJson(request): ApiJson<ReclaimRequest>,
) -> ApiResult<Json<ReclaimedBody>> {
    caller.require_admin(&state).await?;
    let mut errors = ValidationErrors::default();
    if request.account_ids.is_empty() || request.account_ids.len() > RECLAIM_MAX {
        errors.push(
            "accountIds",
            rules::CARDINALITY,
            format!("accountIds: give 1 to {RECLAIM_MAX}"),
        );
    }
    for (i, id) in request.account_ids.iter().enumerate() {
        if !amj_domain::custody::is_account_id(id) {
            errors.push(
                format!("accountIds[{i}]"),
                rules::FORMAT,
                "Not an Atlassian accountId",
            );
        }
    }
    if request.note.chars().count() > amj_domain::licence::NOTE_MAX {
        errors.push(
            "note",
            rules::MAX_LENGTH,
            format!(
                "Note: must be at most {} characters",
                amj_domain::licence::NOTE_MAX
            ),
        );
    }
    if !errors.0.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // Only people who hold seats here are asked about: the rest have nothing to reclaim.
    let holding: std::collections::HashSet<String> = state
        .store
        .seat_accounts(caller.tenant_id(), model.schema.id)
        .await?
        .into_iter()
        .collect();
    let mut accounts: Vec<String> = request
        .account_ids
        .iter()
        .filter(|id| holding.contains(*id))
        .cloned()
        .collect();
    accounts.sort();
    accounts.dedup();
    let inactive = inactive_people(&state, &caller, &accounts).await?;
    let still_active: Vec<String> = accounts
        .iter()
        .filter(|id| !inactive.iter().any(|u| &u.account_id == *id))
        .cloned()
        .collect();
    if !still_active.is_empty() {
        return Err(AppError::Unprocessable {
            code: "user_active",
            message: format!(
                "Jira does not mark {} inactive; only the seats of people who left are reclaimed",
                still_active.join(", ")
            ),
        });
    }
    let note = if request.note.trim().is_empty() {
        "Reclaimed: the person is inactive in Jira".to_owned()
    } else {
        request.note.clone()
    };
    let freed = state
        .store
        .reclaim_seats(
            caller.tenant_id(),
            &model,
            &accounts,
            &note,
            &caller.actor(),
        )
        .await?;
    Ok(Json(ReclaimedBody { freed }))
}
