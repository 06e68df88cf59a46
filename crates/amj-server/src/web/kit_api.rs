//! `/api/v1/schemas/{schema}/kits…`: a schema's kits (admins define them) and handing one to
//! a person in one action, all or nothing (with `Idempotency-Key`).

use super::AppState;
use super::caller::{ApiJson, Caller};
use super::custody_api::{once, replay, today};
use super::error::AppError;
use super::resource::SiteSchema;
use super::shared::resolve_issue;
use amj_domain::custody::Custody;
use amj_domain::kit::{KitCheckout, KitDraft, KitPart};
use amj_domain::{AssetKey, ValidationErrors, rules};
use amj_store::catalog::SchemaModel;
use amj_store::kit::{Kit, KitHandout};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

type ApiResult<T> = Result<T, AppError>;

/// A kit.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KitBody {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub parts: Vec<KitPart>,
}

fn kit_body(kit: Kit) -> KitBody {
    KitBody {
        id: kit.id,
        name: kit.name,
        description: kit.description,
        parts: kit.parts,
    }
}

#[derive(Serialize, ToSchema)]
pub struct KitsBody {
    pub items: Vec<KitBody>,
}

/// An asset a kit checked out.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KitAssetBody {
    #[schema(example = "IT-42")]
    pub asset: String,
    pub label: String,
    pub custody: Custody,
}

/// A stock item a kit issued.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KitStockBody {
    #[schema(example = "IT-31")]
    pub item: String,
    pub quantity: i64,
}

/// What a kit handed out, part by part.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KitHandoutBody {
    pub kit: String,
    /// The assets checked out, in part order.
    pub assets: Vec<KitAssetBody>,
    /// The licences a seat was assigned of.
    pub seats: Vec<String>,
    pub stock: Vec<KitStockBody>,
}

fn handout_body(kit: &str, handout: &KitHandout) -> KitHandoutBody {
    KitHandoutBody {
        kit: kit.to_owned(),
        assets: handout
            .assets
            .iter()
            .map(|h| KitAssetBody {
                asset: h.key.to_string(),
                label: h.label.clone(),
                custody: h.custody.clone(),
            })
            .collect(),
        seats: handout.seats.iter().map(AssetKey::to_string).collect(),
        stock: handout
            .stock
            .iter()
            .map(|(item, quantity)| KitStockBody {
                item: item.to_string(),
                quantity: *quantity,
            })
            .collect(),
    }
}

fn kit_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| not_found(id))
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound {
        code: "kit_not_found",
        message: format!("no kit {id:?} in this schema"),
    }
}

/// Checks a kit's parts against the schema: asset parts name checkoutable types, seat parts
/// licences, stock parts stock items kept at a location of the schema.
async fn checked(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    draft: KitDraft,
) -> ApiResult<KitDraft> {
    draft.validate().map_err(AppError::Validation)?;
    let mut errors = ValidationErrors::default();
    let tenant = caller.tenant_id();
    for (i, part) in draft.parts.iter().enumerate() {
        let field = format!("parts[{i}]");
        let n = i + 1;
        match part {
            KitPart::Asset { type_id } => match model.asset_type(*type_id) {
                None => errors.push(
                    field,
                    rules::REFERENCE_TARGET,
                    format!("Part {n}: type {} is not in this schema", type_id.0),
                ),
                Some(t) if !model.custody.is_checkoutable(&model.types, t.id) => errors.push(
                    field,
                    rules::REFERENCE_TARGET,
                    format!(
                        "Part {n}: {} assets cannot be checked out (see the schema's check-out settings)",
                        t.name
                    ),
                ),
                Some(_) => {}
            },
            KitPart::Seat { licence } => {
                let found = if licence.schema == model.schema.key {
                    state.store.asset_by_key(tenant, model, licence.number).await?
                } else {
                    None
                };
                match found {
                    Some(a) if model.licences.is_licensed(&model.types, a.type_id) => {}
                    Some(_) => errors.push(
                        field,
                        rules::REFERENCE_TARGET,
                        format!("Part {n}: {licence} is not a licence"),
                    ),
                    None => errors.push(
                        field,
                        rules::REFERENCE_TARGET,
                        format!("Part {n}: {licence} is not an asset of this schema"),
                    ),
                }
            }
            KitPart::Stock { item, location, .. } => {
                for key in [item, location] {
                    let found = if key.schema == model.schema.key {
                        state.store.asset_by_key(tenant, model, key.number).await?
                    } else {
                        None
                    };
                    let is_stock = found
                        .as_ref()
                        .and_then(|a| model.stock.kind_of(&model.types, a.type_id));
                    let wrong = match (key == item, &found, is_stock) {
                        (_, None, _) => Some(format!("{key} is not an asset of this schema")),
                        (true, Some(_), None) => Some(format!("{key} is not a stock item")),
                        (false, Some(_), Some(_)) => {
                            Some(format!("{key} is a stock item, not a location"))
                        }
                        _ => None,
                    };
                    if let Some(wrong) = wrong {
                        errors.push(
                            field.clone(),
                            rules::REFERENCE_TARGET,
                            format!("Part {n}: {wrong}"),
                        );
                    }
                }
            }
        }
    }
    errors
        .into_result(draft.normalized())
        .map_err(AppError::Validation)
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/kits",
    tag = "kits",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "The schema's kits, by name", body = KitsBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn list_kits(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
) -> ApiResult<Json<KitsBody>> {
    let kits = state
        .store
        .kits(caller.tenant_id(), model.schema.id)
        .await?;
    Ok(Json(KitsBody {
        items: kits.into_iter().map(kit_body).collect(),
    }))
}

/// Asset admins only. Asset parts name checkoutable types (subtypes match too), seat parts
/// licences, stock parts an item and the location it is issued from.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/kits",
    tag = "kits",
    params(super::openapi::SchemaPath),
    request_body = KitDraft,
    responses(
        (status = 201, description = "The kit", body = KitBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn create_kit(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiJson(draft): ApiJson<KitDraft>,
) -> ApiResult<(StatusCode, Json<KitBody>)> {
    caller.require_admin(&state).await?;
    let draft = checked(&state, &caller, &model, draft).await?;
    let kit = state
        .store
        .create_kit(caller.tenant_id(), model.schema.id, &draft)
        .await?;
    Ok((StatusCode::CREATED, Json(kit_body(kit))))
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/kits/{id}",
    tag = "kits",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 200, description = "The kit", body = KitBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_kit(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<KitBody>> {
    let kit = state
        .store
        .kit(caller.tenant_id(), model.schema.id, kit_id(&id)?)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(kit_body(kit)))
}

/// Asset admins only.
#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/kits/{id}",
    tag = "kits",
    params(super::openapi::SchemaItemPath),
    request_body = KitDraft,
    responses(
        (status = 200, description = "The kit as stored", body = KitBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn update_kit(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
    ApiJson(draft): ApiJson<KitDraft>,
) -> ApiResult<Json<KitBody>> {
    caller.require_admin(&state).await?;
    let kit = kit_id(&id)?;
    let draft = checked(&state, &caller, &model, draft).await?;
    let kit = state
        .store
        .update_kit(caller.tenant_id(), model.schema.id, kit, &draft)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(kit_body(kit)))
}

/// Asset admins only. What the kit handed out stays handed out.
#[utoipa::path(
    delete,
    path = "/api/v1/schemas/{schema}/kits/{id}",
    tag = "kits",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn delete_kit(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require_admin(&state).await?;
    let deleted = state
        .store
        .delete_kit(caller.tenant_id(), model.schema.id, kit_id(&id)?)
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

/// Hands the kit to a person in one action, all or nothing: each asset part is checked out
/// (the asset picked by hand, or the first available one of its type), each seat assigned and
/// each stock part issued, all for the optional Jira issue. A part that cannot be handed out
/// refuses the whole kit, naming the part (409 when it is taken or out of stock).
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/kits/{id}/checkout",
    tag = "kits",
    params(super::openapi::SchemaItemPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = KitCheckout,
    responses(
        (status = 200, description = "What the kit handed out", body = KitHandoutBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn check_out_kit(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(draft): ApiJson<KitCheckout>,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let path = format!("/api/v1/schemas/{}/kits/{id}/checkout", model.schema.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &draft).await? {
        return Ok(response);
    }
    let kit = state
        .store
        .kit(caller.tenant_id(), model.schema.id, kit_id(&id)?)
        .await?
        .ok_or_else(|| not_found(&id))?;
    draft
        .validate(&kit.parts, today())
        .map_err(AppError::Validation)?;
    let mut resolved = draft.clone();
    let mut issue = None;
    if let Some(key) = &draft.issue {
        let found = resolve_issue(&state, &caller, key).await?;
        resolved.issue = Some(found.key.clone());
        issue = Some(found);
    }
    let name = kit.name.clone();
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &draft,
        |handout: &KitHandout| Ok(handout_body(&name, handout)),
        async |idem| {
            state
                .store
                .check_out_kit(
                    caller.tenant_id(),
                    &model,
                    &kit,
                    &resolved,
                    &caller.actor(),
                    idem,
                )
                .await
                .map(Box::new)
        },
    )
    .await?;
    // The issue's property lists what the kit handed out, so JQL finds the issue by it.
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
