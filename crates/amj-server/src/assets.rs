//! The asset service: turns API input into validated writes. The domain checks what it can
//! alone (kinds, formats, required, cardinality), the store checks what needs data (unique
//! values, reference targets, versions) inside its transaction, and this layer joins them: it
//! resolves names, computes history, and names the row of a bulk request that failed.

use crate::web::openapi::{AssetBody, AssetStatusRef, AssetTypeRef, Stamp};
use amj_domain::ids::{StatusId, TenantId, TypeId};
use amj_domain::value::format_datetime;
use amj_domain::{
    AssetKey, AttributeValues, FieldError, HistoryEvent, Mode, SchemaKey, ValidationContext,
    ValidationErrors, Value, diff_values, resolve_status, validate_values,
};
use amj_store::assets::{AssetChange, AssetRecord, NewAsset};
use amj_store::catalog::SchemaModel;
use amj_store::{Store, StoreError};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::sync::Arc;

/// Most assets one bulk call may create or update: large enough for imports, small enough that
/// one transaction stays short on SQLite's single writer.
pub const BULK_MAX: usize = 1000;

/// An asset as a client sends it for creation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssetInput {
    /// The type, by id or by name.
    #[serde(rename = "type")]
    #[schema(value_type = crate::web::openapi::IdOrName)]
    pub asset_type: Json,
    /// The status, by id or name; the schema's first status when absent.
    #[serde(default)]
    #[schema(value_type = Option<crate::web::openapi::IdOrName>)]
    pub status: Option<Json>,
    /// Values by attribute name (or id); multi-valued attributes take arrays.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Json>,
}

/// A change to an existing asset: `version` is the one the client read.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssetUpdateInput {
    pub version: i64,
    /// The status, by id or name; unchanged when absent.
    #[serde(default)]
    #[schema(value_type = Option<crate::web::openapi::IdOrName>)]
    pub status: Option<Json>,
    /// Values by attribute name (or id). PUT replaces all values (omitted ones are cleared);
    /// PATCH changes only those named, and `null` clears one.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Json>,
}

/// One row of a bulk update.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkUpdateItem {
    /// The asset's key.
    pub key: String,
    /// The version of the asset as you read it.
    pub version: i64,
    /// The status, by id or name; unchanged when absent.
    #[serde(default)]
    #[schema(value_type = Option<crate::web::openapi::IdOrName>)]
    pub status: Option<Json>,
    /// Values by attribute name (or id) to change; `null` clears one.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Json>,
}

fn not_found(code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::NotFound {
        code,
        message: message.into(),
    }
}

/// The schema named by `key`, or 404.
pub async fn schema_by_key(
    store: &Store,
    tenant: TenantId,
    key: &str,
) -> Result<Arc<SchemaModel>, StoreError> {
    let missing = || not_found("schema_not_found", format!("no schema with key {key:?}"));
    let Ok(parsed) = SchemaKey::parse(key) else {
        return Err(missing());
    };
    store
        .schema_model_by_key(tenant, &parsed)
        .await?
        .ok_or_else(missing)
}

/// The asset with `key` and its schema's model, or 404.
pub async fn asset_by_key(
    store: &Store,
    tenant: TenantId,
    key: &str,
) -> Result<(Arc<SchemaModel>, AssetRecord), StoreError> {
    let missing = || not_found("asset_not_found", format!("no asset with key {key:?}"));
    let parsed = AssetKey::parse(key).map_err(|_| missing())?;
    // Only "no such schema" means "no such asset": an outage must stay an outage (503).
    let model = match schema_by_key(store, tenant, parsed.schema.as_str()).await {
        Ok(model) => model,
        Err(StoreError::NotFound { .. }) => return Err(missing()),
        Err(other) => return Err(other),
    };
    let asset = store
        .asset_by_key(tenant, &model, parsed.number)
        .await?
        .ok_or_else(missing)?;
    Ok((model, asset))
}

/// A type of the schema by id (number) or name (string, case-insensitive).
pub fn resolve_type(
    model: &SchemaModel,
    input: &Json,
    field: &str,
) -> Result<TypeId, ValidationErrors> {
    let found = match input {
        Json::Number(n) => n
            .as_i64()
            .map(TypeId)
            .filter(|id| model.types.get(*id).is_some()),
        Json::String(name) => model
            .types
            .types()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
            .map(|t| t.id),
        _ => None,
    };
    found.ok_or_else(|| {
        ValidationErrors::single(
            field,
            "unknown_type",
            format!(
                "{field}: {input} is not a type of schema {}",
                model.schema.key
            ),
        )
    })
}

fn resolve_status_or_default(
    model: &SchemaModel,
    input: Option<&Json>,
    current: Option<StatusId>,
) -> Result<StatusId, ValidationErrors> {
    match input {
        Some(value) if !value.is_null() => resolve_status(&model.statuses, value),
        _ => current.or_else(|| model.default_status()).ok_or_else(|| {
            ValidationErrors::single("status", "required", "status: the schema has no statuses")
        }),
    }
}

/// The label: the value of the type's label attribute, or the key when it has none.
fn label_of(model: &SchemaModel, type_id: TypeId, values: &AttributeValues) -> Option<String> {
    let attribute = model.types.label_attribute(type_id)?;
    values.get(attribute).first().map(|v| match v {
        Value::Text(s) | Value::User(s) | Value::Project(s) => s.clone(),
        other => match other.to_json() {
            Json::String(s) => s,
            json => json.to_string(),
        },
    })
}

/// Validates new assets. Every bad row is reported, with its index, before anything is written.
pub fn prepare_new(
    model: &SchemaModel,
    inputs: &[AssetInput],
) -> Result<Vec<NewAsset>, StoreError> {
    let mut prepared = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (row, input) in inputs.iter().enumerate() {
        match prepare_one(model, input) {
            Ok(asset) => prepared.push(asset),
            Err(e) => errors.push((row, e)),
        }
    }
    if errors.is_empty() {
        Ok(prepared)
    } else {
        Err(StoreError::InvalidRows(errors))
    }
}

fn prepare_one(model: &SchemaModel, input: &AssetInput) -> Result<NewAsset, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let type_id = errors.absorb(resolve_type(model, &input.asset_type, "type"));
    let status = errors.absorb(resolve_status_or_default(
        model,
        input.status.as_ref(),
        None,
    ));
    let Some(type_id) = type_id else {
        return Err(errors);
    };
    if model.types.get(type_id).is_some_and(|t| t.is_abstract) {
        errors.push(
            "type",
            "abstract_type",
            "type: is abstract; create an asset of one of its subtypes",
        );
    }
    let attributes = model.effective_attributes(type_id);
    let ctx = ValidationContext {
        attributes: &attributes,
        statuses: &model.statuses,
    };
    let values = errors.absorb(validate_values(&ctx, &input.attributes, None, Mode::Create));
    match (status, values) {
        (Some(status_id), Some(values)) if errors.is_empty() => {
            let label = label_of(model, type_id, &values).unwrap_or_default();
            Ok(NewAsset {
                type_id,
                status_id,
                label,
                values,
            })
        }
        _ => Err(errors),
    }
}

/// Validates a change against the asset as read, and records what changed for the history.
pub fn prepare_change(
    model: &SchemaModel,
    current: &AssetRecord,
    version: i64,
    status: Option<&Json>,
    attributes: &Map<String, Json>,
    mode: Mode,
) -> Result<AssetChange, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if current.archived {
        errors.push(
            "key",
            "archived",
            format!("{}: is archived; restore it before editing", current.key),
        );
    }
    let status_id = errors.absorb(resolve_status_or_default(
        model,
        status,
        Some(current.status_id),
    ));
    let effective = model.effective_attributes(current.type_id);
    let ctx = ValidationContext {
        attributes: &effective,
        statuses: &model.statuses,
    };
    let values = errors.absorb(validate_values(
        &ctx,
        attributes,
        Some(&current.values),
        mode,
    ));
    let (Some(status_id), Some(values)) = (status_id, values) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut events = Vec::new();
    if status_id != current.status_id {
        let name = |id| {
            model
                .status(id)
                .map_or_else(|| format!("status {}", id.0), |s| s.name.clone())
        };
        events.push(HistoryEvent::StatusChanged {
            old: name(current.status_id),
            new: name(status_id),
        });
    }
    events.extend(diff_values(&effective, &current.values, &values));
    let label = label_of(model, current.type_id, &values).unwrap_or_default();
    Ok(AssetChange {
        id: current.id,
        expected_version: version,
        status_id,
        label,
        values,
        events,
    })
}

/// Bulk errors name their row: `items[3].Serial number`.
pub fn rows_to_errors(rows: Vec<(usize, ValidationErrors)>, bulk: bool) -> ValidationErrors {
    let mut out = ValidationErrors::default();
    for (row, errors) in rows {
        for e in errors.0 {
            out.push_error(if bulk {
                FieldError {
                    field: format!("items[{row}].{}", e.field),
                    rule: e.rule,
                    message: format!("items[{row}]: {}", e.message),
                }
            } else {
                e
            });
        }
    }
    out
}

/// The API form of an asset: names from the schema's model, times in RFC 3339.
pub fn asset_body(model: &SchemaModel, asset: &AssetRecord) -> AssetBody {
    let asset_type = model.asset_type(asset.type_id);
    let status = model.status(asset.status_id);
    let attributes = model.effective_attributes(asset.type_id);
    let label = if asset.label.is_empty() {
        asset.key.to_string()
    } else {
        asset.label.clone()
    };
    AssetBody {
        key: asset.key.to_string(),
        id: asset.id.0,
        schema: model.schema.key.as_str().to_owned(),
        asset_type: AssetTypeRef {
            id: asset.type_id,
            name: asset_type.map(|t| t.name.clone()),
        },
        label,
        status: AssetStatusRef {
            id: asset.status_id,
            name: status.map(|s| s.name.clone()),
            category: status.map(|s| s.category),
        },
        attributes: asset.values.to_api_json(&attributes),
        version: asset.version,
        archived: asset.archived,
        created: Stamp {
            at: format_datetime(asset.created_at),
            by: asset.created_by.clone(),
        },
        updated: Stamp {
            at: format_datetime(asset.updated_at),
            by: asset.updated_by.clone(),
        },
    }
}
