//! `/api/v1/schemas/…`: schemas, statuses, types and attributes. Anyone on the site may read
//! them; only site admins (and read-write API tokens) change them.

use super::AppState;
use super::caller::{ApiJson, Caller};
use super::error::AppError;
use super::openapi::{
    AssetTypeBody, AttributeBody, AttributeListBody, SchemaBody, SchemaDetailBody, SchemaListBody,
    StatusListBody, TypeListBody,
};
use super::resource::{AdminSchema, SiteSchema};
use crate::assets::schema_by_key;
use amj_domain::ids::{AttributeId, StatusId, TypeId};
use amj_domain::{
    AssetTypeDraft, AttributeDef, AttributeDraft, AttributeKind, Schema, SchemaDraft, Status,
    StatusDraft, ValidationErrors,
};
use amj_store::catalog::{SchemaModel, TypeUpdate};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

type ApiResult<T> = Result<T, AppError>;

fn schema_body(schema: &Schema) -> SchemaBody {
    SchemaBody {
        id: schema.id.0,
        key: schema.key.as_str().to_owned(),
        name: schema.name.clone(),
        description: schema.description.clone(),
        users_can_edit: schema.users_can_edit,
    }
}

fn parse_id(raw: &str, what: &'static str) -> ApiResult<i64> {
    raw.parse::<i64>().map_err(|_| AppError::NotFound {
        code: "not_found",
        message: format!("no {what} with id {raw:?}"),
    })
}

/// A type as the API shows it, with its effective attributes. Only called with ids taken from
/// the same model, so a missing type is a bug: it becomes a 500 with the id named, not `null`.
fn type_body(model: &SchemaModel, type_id: TypeId) -> ApiResult<AssetTypeBody> {
    let t = model.asset_type(type_id).ok_or_else(|| {
        AppError::internal_msg(format!("type {} is not in its schema's model", type_id.0))
    })?;
    Ok(AssetTypeBody {
        id: t.id,
        name: t.name.clone(),
        parent_id: t.parent_id,
        icon: t.icon.clone(),
        description: t.description.clone(),
        is_abstract: t.is_abstract,
        label_attribute_id: model.types.label_attribute(type_id),
        children: model.types.children(type_id).to_vec(),
        attributes: model
            .effective_attributes(type_id)
            .iter()
            .map(|a| attribute_body(model, a, Some(type_id)))
            .collect(),
    })
}

/// An attribute as the API shows it. `seen_from` is the type whose list it appears in, which
/// decides `inherited`; a single attribute's answer has no such type.
fn attribute_body(
    model: &SchemaModel,
    a: &AttributeDef,
    seen_from: Option<TypeId>,
) -> AttributeBody {
    let target_type_name = match &a.kind {
        AttributeKind::Reference { target_type, .. } => {
            model.asset_type(*target_type).map(|t| t.name.clone())
        }
        _ => None,
    };
    AttributeBody {
        id: a.id,
        type_id: a.type_id,
        name: a.name.clone(),
        kind: a.kind.clone(),
        required: a.required,
        unique: a.unique,
        description: a.description.clone(),
        position: a.position,
        inherited: seen_from.map(|seen_from| a.type_id != seen_from),
        target_type_name,
    }
}

// ----- schemas -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas",
    tag = "schemas",
    responses(
        (status = 200, description = "The schemas of the site", body = super::openapi::SchemaListBody)
    )
)]
pub async fn list_schemas(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<SchemaListBody>> {
    let schemas = state.store.list_schemas(caller.tenant_id()).await?;
    Ok(Json(SchemaListBody {
        schemas: schemas.iter().map(schema_body).collect(),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/schemas",
    tag = "schemas",
    request_body = amj_domain::SchemaDraft,
    responses(
        (status = 201, description = "The new schema", body = super::openapi::SchemaBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn create_schema(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(draft): ApiJson<SchemaDraft>,
) -> ApiResult<(StatusCode, Json<SchemaBody>)> {
    caller.require_admin(&state).await?;
    let draft = draft.normalized();
    let key = draft.validate().map_err(AppError::Validation)?;
    let schema = state
        .store
        .create_schema(caller.tenant_id(), &key, &draft)
        .await?;
    Ok((StatusCode::CREATED, Json(schema_body(&schema))))
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}",
    tag = "schemas",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "The schema with its statuses and types", body = super::openapi::SchemaDetailBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_schema(
    SiteSchema {
        caller: _, model, ..
    }: SiteSchema,
) -> ApiResult<Json<SchemaDetailBody>> {
    let schema = schema_body(&model.schema);
    Ok(Json(SchemaDetailBody {
        id: schema.id,
        key: schema.key,
        name: schema.name,
        description: schema.description,
        users_can_edit: schema.users_can_edit,
        statuses: model.statuses.clone(),
        types: model
            .types
            .types()
            .map(|t| type_body(&model, t.id))
            .collect::<ApiResult<_>>()?,
    }))
}

/// A schema's changes; its key cannot change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaUpdate {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub users_can_edit: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}",
    tag = "schemas",
    params(super::openapi::SchemaPath),
    request_body = SchemaUpdate,
    responses(
        (status = 200, description = "The updated schema", body = super::openapi::SchemaBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn update_schema(
    State(state): State<AppState>,
    AdminSchema { caller, model, key }: AdminSchema,
    ApiJson(update): ApiJson<SchemaUpdate>,
) -> ApiResult<Json<SchemaBody>> {
    // The same rules as creation, with the key it already has.
    let draft = SchemaDraft {
        key: model.schema.key.to_string(),
        name: update.name,
        description: update.description,
        users_can_edit: update.users_can_edit,
    }
    .normalized();
    draft.validate().map_err(AppError::Validation)?;
    let schema = state
        .store
        .update_schema(
            caller.tenant_id(),
            model.schema.id,
            &draft.name,
            &draft.description,
            draft.users_can_edit,
        )
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "schema_not_found",
            message: format!("no schema with key {key:?}"),
        })?;
    Ok(Json(schema_body(&schema)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/schemas/{schema}",
    tag = "schemas",
    params(super::openapi::SchemaPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn delete_schema(
    State(state): State<AppState>,
    AdminSchema { caller, model, .. }: AdminSchema,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_schema(caller.tenant_id(), model.schema.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- statuses -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/statuses",
    tag = "statuses",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "The schema's statuses", body = super::openapi::StatusListBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn list_statuses(
    SiteSchema {
        caller: _, model, ..
    }: SiteSchema,
) -> ApiResult<Json<StatusListBody>> {
    Ok(Json(StatusListBody {
        statuses: model.statuses.clone(),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/statuses",
    tag = "statuses",
    params(super::openapi::SchemaPath),
    request_body = StatusDraft,
    responses(
        (status = 201, description = "The new status", body = amj_domain::Status),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn create_status(
    State(state): State<AppState>,
    AdminSchema { caller, model, .. }: AdminSchema,
    ApiJson(draft): ApiJson<StatusDraft>,
) -> ApiResult<(StatusCode, Json<Status>)> {
    let draft = draft.normalized();
    draft.validate().map_err(AppError::Validation)?;
    let status = state
        .store
        .create_status(caller.tenant_id(), model.schema.id, &draft)
        .await?;
    Ok((StatusCode::CREATED, Json(status)))
}

#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/statuses/{id}",
    tag = "statuses",
    params(super::openapi::SchemaItemPath),
    request_body = StatusDraft,
    responses(
        (status = 200, description = "The updated status", body = amj_domain::Status),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn update_status(
    State(state): State<AppState>,
    AdminSchema { caller, model, key }: AdminSchema,
    Path((_, id)): Path<(String, String)>,
    ApiJson(draft): ApiJson<StatusDraft>,
) -> ApiResult<Json<Status>> {
    let id = StatusId(parse_id(&id, "status")?);
    let draft = draft.normalized();
    draft.validate().map_err(AppError::Validation)?;
    let status = state
        .store
        .update_status(caller.tenant_id(), model.schema.id, id, &draft)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "status_not_found",
            message: format!("no status {} in schema {key}", id.0),
        })?;
    Ok(Json(status))
}

#[utoipa::path(
    delete,
    path = "/api/v1/schemas/{schema}/statuses/{id}",
    tag = "statuses",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn delete_status(
    State(state): State<AppState>,
    AdminSchema { caller, model, key }: AdminSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = StatusId(parse_id(&id, "status")?);
    let status_attributes: Vec<AttributeId> = model
        .attributes
        .iter()
        .filter(|a| matches!(a.kind, AttributeKind::Status))
        .map(|a| a.id)
        .collect();
    let deleted = state
        .store
        .delete_status(caller.tenant_id(), model.schema.id, id, &status_attributes)
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound {
            code: "status_not_found",
            message: format!("no status {} in schema {key}", id.0),
        })
    }
}

// ----- types -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/types",
    tag = "types",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "The schema's types", body = super::openapi::TypeListBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn list_types(
    SiteSchema {
        caller: _, model, ..
    }: SiteSchema,
) -> ApiResult<Json<TypeListBody>> {
    let types = model
        .types
        .types()
        .map(|t| type_body(&model, t.id))
        .collect::<ApiResult<_>>()?;
    Ok(Json(TypeListBody { types }))
}

fn type_in(model: &SchemaModel, raw: &str) -> ApiResult<TypeId> {
    let id = TypeId(parse_id(raw, "type")?);
    if model.asset_type(id).is_none() {
        return Err(AppError::NotFound {
            code: "type_not_found",
            message: format!("no type {raw} in schema {}", model.schema.key),
        });
    }
    Ok(id)
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/types/{id}",
    tag = "types",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 200, description = "The type with its effective attributes", body = super::openapi::AssetTypeBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_type(
    SiteSchema {
        caller: _, model, ..
    }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AssetTypeBody>> {
    let id = type_in(&model, &id)?;
    Ok(Json(type_body(&model, id)?))
}

#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/types",
    tag = "types",
    params(super::openapi::SchemaPath),
    request_body = AssetTypeDraft,
    responses(
        (status = 201, description = "The new type", body = super::openapi::AssetTypeBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn create_type(
    State(state): State<AppState>,
    AdminSchema { caller, model, key }: AdminSchema,
    ApiJson(draft): ApiJson<AssetTypeDraft>,
) -> ApiResult<(StatusCode, Json<AssetTypeBody>)> {
    let draft = draft.normalized();
    let mut errors = ValidationErrors::default();
    errors.absorb(draft.validate());
    if let Some(parent) = draft.parent_id {
        errors.absorb(model.types.check_parent(None, parent));
    }
    errors.into_result(()).map_err(AppError::Validation)?;
    let created = state
        .store
        .create_type(caller.tenant_id(), model.schema.id, &draft)
        .await?;
    let model = schema_by_key(&state.store, caller.tenant_id(), &key).await?;
    Ok((StatusCode::CREATED, Json(type_body(&model, created.id)?)))
}

/// A type's changes. `labelAttributeId` must name a text attribute of the type or one it
/// inherits; when absent, the type keeps its own.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TypeUpdateInput {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<TypeId>,
    #[serde(default)]
    pub icon: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub is_abstract: bool,
    #[serde(default)]
    pub label_attribute_id: Option<AttributeId>,
}

#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/types/{id}",
    tag = "types",
    params(super::openapi::SchemaItemPath),
    request_body = TypeUpdateInput,
    responses(
        (status = 200, description = "The updated type", body = super::openapi::AssetTypeBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn update_type(
    State(state): State<AppState>,
    AdminSchema { caller, model, key }: AdminSchema,
    Path((_, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<TypeUpdateInput>,
) -> ApiResult<Json<AssetTypeBody>> {
    let id = type_in(&model, &id)?;
    let draft = AssetTypeDraft {
        name: input.name,
        parent_id: input.parent_id,
        icon: input.icon,
        description: input.description,
        is_abstract: input.is_abstract,
    }
    .normalized();
    let mut errors = ValidationErrors::default();
    errors.absorb(draft.validate());
    let current_parent = model.asset_type(id).and_then(|t| t.parent_id);
    if let Some(parent) = draft.parent_id
        && Some(parent) != current_parent
        && errors
            .absorb(model.types.check_parent(Some(id), parent))
            .is_some()
    {
        errors.absorb(
            model
                .types
                .check_reparent_names(id, parent, &model.attributes),
        );
    }
    if let Some(label) = input.label_attribute_id {
        let fits = model
            .effective_attributes(id)
            .iter()
            .any(|a| a.id == label && matches!(a.kind, AttributeKind::Text { .. }));
        if !fits {
            errors.push(
                "labelAttributeId",
                "label_attribute",
                "Label attribute: must be a text attribute of this type or one it inherits",
            );
        }
    }
    errors.into_result(()).map_err(AppError::Validation)?;
    let own_label = model.asset_type(id).and_then(|t| t.label_attribute);
    let update = TypeUpdate {
        name: draft.name,
        icon: draft.icon,
        description: draft.description,
        is_abstract: draft.is_abstract,
        parent_id: draft.parent_id,
        label_attribute: input.label_attribute_id.or(own_label),
    };
    state
        .store
        .update_type(caller.tenant_id(), model.schema.id, id, &update)
        .await?;
    let model = schema_by_key(&state.store, caller.tenant_id(), &key).await?;
    Ok(Json(type_body(&model, id)?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/schemas/{schema}/types/{id}",
    tag = "types",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn delete_type(
    State(state): State<AppState>,
    AdminSchema { caller, model, .. }: AdminSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = type_in(&model, &id)?;
    let referring: Vec<&str> = model
        .attributes
        .iter()
        .filter(|a| matches!(&a.kind, AttributeKind::Reference { target_type, .. } if *target_type == id))
        .map(|a| a.name.as_str())
        .collect();
    if !referring.is_empty() {
        return Err(AppError::Conflict {
            code: "type_referenced",
            message: format!(
                "reference attribute(s) {} point at this type; change or delete them first",
                referring.join(", ")
            ),
        });
    }
    state
        .store
        .delete_type(caller.tenant_id(), model.schema.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- attributes -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/types/{id}/attributes",
    tag = "attributes",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 200, description = "The type's effective attributes: its own and inherited ones", body = super::openapi::AttributeListBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn list_attributes(
    SiteSchema {
        caller: _, model, ..
    }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AttributeListBody>> {
    let id = type_in(&model, &id)?;
    let attributes = model
        .effective_attributes(id)
        .iter()
        .map(|a| attribute_body(&model, a, Some(id)))
        .collect();
    Ok(Json(AttributeListBody { attributes }))
}

/// Rules that need the schema: names unique along the inheritance chain, and reference targets
/// that exist in this schema.
fn check_attribute(
    model: &SchemaModel,
    type_id: TypeId,
    draft: &AttributeDraft,
    except: Option<AttributeId>,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    errors.absorb(draft.validate());
    errors.absorb(model.types.check_attribute_name(
        type_id,
        &draft.name,
        &model.attributes,
        except,
    ));
    if let AttributeKind::Reference { target_type, .. } = &draft.kind
        && model.asset_type(*target_type).is_none()
    {
        errors.push(
            "targetType",
            "reference_target",
            format!(
                "Target type: type {} does not exist in schema {}",
                target_type.0, model.schema.key
            ),
        );
    }
    errors.into_result(())
}

#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/types/{id}/attributes",
    tag = "attributes",
    params(super::openapi::SchemaItemPath),
    request_body = AttributeDraft,
    responses(
        (status = 201, description = "The new attribute", body = super::openapi::AttributeBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn create_attribute(
    State(state): State<AppState>,
    AdminSchema { caller, model, .. }: AdminSchema,
    Path((_, id)): Path<(String, String)>,
    ApiJson(draft): ApiJson<AttributeDraft>,
) -> ApiResult<(StatusCode, Json<AttributeBody>)> {
    let type_id = type_in(&model, &id)?;
    let draft = draft.normalized();
    check_attribute(&model, type_id, &draft, None).map_err(AppError::Validation)?;
    let created = state
        .store
        .create_attribute(caller.tenant_id(), model.schema.id, type_id, &draft)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(attribute_body(&model, &created, None)),
    ))
}

fn attribute_in(model: &SchemaModel, raw: &str) -> ApiResult<AttributeDef> {
    let id = AttributeId(parse_id(raw, "attribute")?);
    model
        .attribute(id)
        .cloned()
        .ok_or_else(|| AppError::NotFound {
            code: "attribute_not_found",
            message: format!("no attribute {raw} in schema {}", model.schema.key),
        })
}

#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/attributes/{id}",
    tag = "attributes",
    params(super::openapi::SchemaItemPath),
    request_body = AttributeDraft,
    responses(
        (status = 200, description = "The updated attribute", body = super::openapi::AttributeBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn update_attribute(
    State(state): State<AppState>,
    AdminSchema { caller, model, key }: AdminSchema,
    Path((_, id)): Path<(String, String)>,
    ApiJson(draft): ApiJson<AttributeDraft>,
) -> ApiResult<Json<AttributeBody>> {
    let current = attribute_in(&model, &id)?;
    let draft = draft.normalized();
    check_attribute(&model, current.type_id, &draft, Some(current.id))
        .map_err(AppError::Validation)?;
    let updated = state
        .store
        .update_attribute(caller.tenant_id(), model.schema.id, current.id, &draft)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "attribute_not_found",
            message: format!("no attribute {id} in schema {key}"),
        })?;
    Ok(Json(attribute_body(&model, &updated, None)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/schemas/{schema}/attributes/{id}",
    tag = "attributes",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn delete_attribute(
    State(state): State<AppState>,
    AdminSchema { caller, model, .. }: AdminSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let current = attribute_in(&model, &id)?;
    state
        .store
        .delete_attribute(caller.tenant_id(), model.schema.id, current.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A type's own attributes in the order they should be shown.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeOrder {
    /// Every own attribute of the type (not inherited ones), by id, each once.
    pub attributes: Vec<i64>,
}

#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/types/{id}/attribute-order",
    tag = "attributes",
    params(super::openapi::SchemaItemPath),
    request_body = AttributeOrder,
    responses(
        (status = 200, description = "The type with its attributes in the new order", body = super::openapi::AssetTypeBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn reorder_attributes(
    State(state): State<AppState>,
    AdminSchema { caller, model, key }: AdminSchema,
    Path((_, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<AttributeOrder>,
) -> ApiResult<Json<AssetTypeBody>> {
    let id = type_in(&model, &id)?;
    let order: Vec<AttributeId> = input.attributes.into_iter().map(AttributeId).collect();
    state
        .store
        .reorder_attributes(caller.tenant_id(), model.schema.id, id, &order)
        .await?;
    let model = schema_by_key(&state.store, caller.tenant_id(), &key).await?;
    Ok(Json(type_body(&model, id)?))
}
