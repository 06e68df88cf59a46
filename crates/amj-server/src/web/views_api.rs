//! `/api/v1/schemas/{schema}/views`: saved views of the asset list, a person's own and those
//! shared with the site.
//!
//! Who may do what: anyone signed in as a person keeps views of their own; sharing a view with
//! the site takes the right to edit the schema's assets; a shared view is changed or deleted by
//! its owner or a site admin. Another person's own views are invisible (404), never refused
//! (403), so their names do not leak. API tokens read the shared views only.

use super::AppState;
use super::caller::{ApiJson, Caller};
use super::error::AppError;
use super::resource::SiteSchema;
use crate::query;
use crate::timefmt::utc;
use amj_domain::view::{SavedViewDraft, ViewSort};
use amj_store::catalog::SchemaModel;
use amj_store::saved_views::SavedView;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

type ApiResult<T> = Result<T, AppError>;

/// A saved view as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedViewBody {
    pub id: i64,
    pub name: String,
    pub aql: String,
    pub columns: Vec<String>,
    pub sort: Option<ViewSort>,
    pub shared: bool,
    /// The accountId of the person who saved it.
    pub owner: String,
    /// Whether the caller may change or delete it.
    pub editable: bool,
    /// RFC 3339, UTC.
    pub updated: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedViewListBody {
    /// The caller's own views, then the shared ones, each by name.
    pub views: Vec<SavedViewBody>,
}

fn body(view: SavedView, viewer: Option<&str>, admin: bool) -> SavedViewBody {
    let editable = viewer == Some(view.owner.as_str()) || (view.shared && admin);
    SavedViewBody {
        id: view.id,
        name: view.name,
        aql: view.aql,
        columns: view.columns,
        sort: view.sort,
        shared: view.shared,
        owner: view.owner,
        editable,
        updated: utc(view.updated_at),
    }
}

fn view_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| AppError::NotFound {
        code: "view_not_found",
        message: format!("no saved view {id:?}"),
    })
}

fn person(caller: &Caller) -> ApiResult<String> {
    caller.account_id().ok_or_else(|| AppError::Forbidden {
        code: "user_required",
        message: "saved views belong to a person; API tokens can only read shared views".into(),
    })
}

/// Checks a draft: its own rules, the query against the schema, and the right to share.
async fn checked(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    draft: SavedViewDraft,
) -> ApiResult<SavedViewDraft> {
    let draft = draft.normalized();
    draft.validate().map_err(AppError::Validation)?;
    let validation = query::validate(
        &state.store,
        caller.tenant_id(),
        &draft.aql,
        Some(model.schema.key.as_str()),
        None,
        caller.account_id(),
    )
    .await?;
    if let Some(error) = validation.error {
        return Err(AppError::Aql {
            error,
            query: draft.aql,
        });
    }
    if draft.shared {
        caller.require_asset_edit(state, &model.schema).await?;
    }
    Ok(draft)
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/views",
    tag = "saved views",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "The caller's views and the shared ones", body = SavedViewListBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn list_views(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<Json<SavedViewListBody>> {
    let viewer = caller.account_id();
    let views = state
        .store
        .saved_views(caller.tenant_id(), model.schema.id, viewer.as_deref())
        .await?;
    let admin = !views.is_empty() && viewer.is_some() && caller.is_admin(&state).await?;
    Ok(Json(SavedViewListBody {
        views: views
            .into_iter()
            .map(|v| body(v, viewer.as_deref(), admin))
            .collect(),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/views",
    tag = "saved views",
    params(super::openapi::SchemaPath),
    request_body = SavedViewDraft,
    responses(
        (status = 201, description = "The saved view", body = SavedViewBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn create_view(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiJson(draft): ApiJson<SavedViewDraft>,
) -> ApiResult<(StatusCode, Json<SavedViewBody>)> {
    let owner = person(&caller)?;
    let draft = checked(&state, &caller, &model, draft).await?;
    let view = state
        .store
        .create_saved_view(caller.tenant_id(), model.schema.id, &owner, &draft)
        .await?;
    Ok((StatusCode::CREATED, Json(body(view, Some(&owner), false))))
}

/// The view of the route, if the caller may change it: their own, or a shared one as an admin.
async fn editable_view(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    id: i64,
) -> ApiResult<(String, bool)> {
    let viewer = person(caller)?;
    let view = state
        .store
        .saved_view(caller.tenant_id(), model.schema.id, id, Some(&viewer))
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "view_not_found",
            message: format!("no saved view {id} that you can see"),
        })?;
    if view.owner == viewer {
        return Ok((viewer, false));
    }
    if caller.is_admin(state).await? {
        return Ok((viewer, true));
    }
    Err(AppError::Forbidden {
        code: "view_not_yours",
        message: "only the person who shared this view, or a site admin, can change it".into(),
    })
}

#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/views/{id}",
    tag = "saved views",
    params(super::openapi::SchemaItemPath),
    request_body = SavedViewDraft,
    responses(
        (status = 200, description = "The changed view", body = SavedViewBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn update_view(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
    ApiJson(draft): ApiJson<SavedViewDraft>,
) -> ApiResult<Json<SavedViewBody>> {
    caller.require_write()?;
    let id = view_id(&id)?;
    let (viewer, admin) = editable_view(&state, &caller, &model, id).await?;
    let draft = checked(&state, &caller, &model, draft).await?;
    let view = state
        .store
        .update_saved_view(caller.tenant_id(), model.schema.id, id, &draft)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "view_not_found",
            message: format!("no saved view {id}"),
        })?;
    Ok(Json(body(view, Some(&viewer), admin)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/schemas/{schema}/views/{id}",
    tag = "saved views",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn delete_view(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require_write()?;
    let id = view_id(&id)?;
    editable_view(&state, &caller, &model, id).await?;
    state
        .store
        .delete_saved_view(caller.tenant_id(), model.schema.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
