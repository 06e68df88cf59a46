//! The asset service: turns API input into validated writes. The domain checks what it can
//! alone (kinds, formats, required, cardinality), the store checks what needs data (unique
//! values, reference targets, versions) inside its transaction, and this layer joins them: it
//! resolves names, computes history, and names the row of a bulk request that failed.

use crate::web::openapi::{AssetBody, AssetStatusRef, AssetTypeRef, OutboundReferenceBody, Stamp};
use amj_domain::ids::{AssetId, StatusId, TenantId, TypeId};
use amj_domain::value::format_datetime;
use amj_domain::{
    AssetKey, AttributeValues, FieldError, HistoryEvent, Mode, SchemaKey, ValidationContext,
    ValidationErrors, Value, diff_values, resolve_status, validate_values,
};
use amj_store::assets::{AssetChange, AssetFilter, AssetRecord, ListRequest, NewAsset, Sort};
use amj_store::catalog::SchemaModel;
use amj_store::{Store, StoreError};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
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

/// What an asset's reference attributes point at, each target with its label and whether it is
/// archived (one query for all targets; a target that no longer exists has neither).
pub async fn outbound_references(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    asset: &AssetRecord,
) -> Result<Vec<OutboundReferenceBody>, StoreError> {
    let mut targets = Vec::new();
    for attribute in model.effective_attributes(asset.type_id) {
        if let amj_domain::AttributeKind::Reference { reference_type, .. } = &attribute.kind {
            for value in asset.values.get(attribute.id) {
                if let amj_domain::Value::Reference(target) = value {
                    targets.push((attribute.clone(), reference_type.clone(), target.clone()));
                }
            }
        }
    }
    let numbers: Vec<i64> = targets.iter().map(|(_, _, k)| k.number).collect();
    let found = store.assets_by_numbers(tenant, model, &numbers).await?;
    Ok(targets
        .iter()
        .map(|(attribute, reference_type, key)| {
            let target = found.iter().find(|a| a.key.number == key.number);
            OutboundReferenceBody {
                attribute_id: attribute.id,
                attribute: attribute.name.clone(),
                reference_type: reference_type.clone(),
                key: key.to_string(),
                label: target.map(|a| a.label.clone()),
                archived: target.map(|a| a.archived),
            }
        })
        .collect())
}

// ----- list -----

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParams {
    /// Type ids or names, comma-separated; each includes its subtypes.
    #[serde(default, rename = "type")]
    pub types: Option<String>,
    /// Status ids or names, comma-separated.
    #[serde(default)]
    pub status: Option<String>,
    /// An asset key, or the start of a label.
    #[serde(default)]
    pub q: Option<String>,
    /// `key` (default), `label`, `updated`, `created`, or an attribute name or id.
    #[serde(default)]
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub order: Option<String>,
    /// `nextCursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Assets per page, 1 to 500 (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Also list archived assets (default false).
    #[serde(default)]
    pub include_archived: Option<bool>,
}

/// A list page's query parameters as a store request: types and statuses by id or name (a
/// type includes its subtypes), the sort by keyword or attribute. Every bad parameter is
/// reported at once.
pub fn list_request(
    model: &SchemaModel,
    params: ListParams,
) -> Result<ListRequest, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let mut filter = AssetFilter {
        text: params.q,
        include_archived: params.include_archived.unwrap_or(false),
        ..AssetFilter::default()
    };
    if let Some(types) = params.types.as_deref().filter(|t| !t.trim().is_empty()) {
        let mut ids: Vec<TypeId> = Vec::new();
        for part in types.split(',').map(str::trim) {
            let input = part
                .parse::<i64>()
                .map_or_else(|_| Json::from(part), Json::from);
            if let Some(id) = errors.absorb(crate::assets::resolve_type(model, &input, "type")) {
                ids.extend(model.types.descendants_and_self(id));
            }
        }
        filter.type_ids = Some(ids);
    }
    if let Some(statuses) = params.status.as_deref().filter(|s| !s.trim().is_empty()) {
        let mut ids: Vec<StatusId> = Vec::new();
        for part in statuses.split(',').map(str::trim) {
            let input = part
                .parse::<i64>()
                .map_or_else(|_| Json::from(part), Json::from);
            if let Some(id) = errors.absorb(amj_domain::resolve_status(&model.statuses, &input)) {
                ids.push(id);
            }
        }
        filter.status_ids = Some(ids);
    }
    let sort = match params.sort.as_deref().map(str::trim) {
        None | Some("" | "key") => Sort::Key,
        Some("label") => Sort::Label,
        Some("updated") => Sort::Updated,
        Some("created") => Sort::Created,
        Some(other) => {
            let by_id = other.parse::<i64>().ok();
            match model
                .attributes
                .iter()
                .find(|a| Some(a.id.0) == by_id || a.name.eq_ignore_ascii_case(other))
            {
                Some(a) => Sort::Attribute(a.id),
                None => {
                    errors.push(
                        "sort",
                        "unknown_attribute",
                        format!("sort: {other:?} is not key, label, updated, created or an attribute of this schema"),
                    );
                    Sort::Key
                }
            }
        }
    };
    let descending = match params.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            errors.push(
                "order",
                "option",
                format!("order: {other:?} is not asc or desc"),
            );
            false
        }
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        errors.push("limit", "max", "limit: must be between 1 and 500");
    }
    errors.into_result(ListRequest {
        filter,
        sort,
        descending,
        cursor: params.cursor,
        limit,
    })
}

/// Patches assets of one schema in one transaction. Every row's key must name an asset of this
/// schema, once, at the version the caller read; every row's problems are reported together (as
/// `InvalidRows`, which the API names `items[i]…`), and nothing is written unless all are fine.
pub async fn bulk_update(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    items: &[BulkUpdateItem],
    actor: &str,
) -> Result<Vec<AssetRecord>, StoreError> {
    let mut numbers = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (row, item) in items.iter().enumerate() {
        match AssetKey::parse(&item.key) {
            Ok(key) if key.schema == model.schema.key => numbers.push(Some(key.number)),
            _ => {
                errors.push((
                    row,
                    ValidationErrors::single(
                        "key",
                        "unknown_asset",
                        format!(
                            "key: {:?} is not an asset of schema {}",
                            item.key, model.schema.key
                        ),
                    ),
                ));
                numbers.push(None);
            }
        }
    }
    let wanted: Vec<i64> = numbers.iter().flatten().copied().collect();
    let found = store.assets_by_numbers(tenant, model, &wanted).await?;
    let mut changes = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::new();
    for (row, (item, number)) in items.iter().zip(&numbers).enumerate() {
        let Some(number) = number else { continue };
        let Some(current) = found.iter().find(|a| a.key.number == *number) else {
            errors.push((
                row,
                ValidationErrors::single(
                    "key",
                    "unknown_asset",
                    format!("key: {} does not exist", item.key),
                ),
            ));
            continue;
        };
        if !seen.insert(*number) {
            errors.push((
                row,
                ValidationErrors::single(
                    "key",
                    "duplicate",
                    format!("key: {} appears more than once", item.key),
                ),
            ));
            continue;
        }
        if item.version != current.version {
            errors.push((
                row,
                ValidationErrors::single(
                    "version",
                    "stale_version",
                    format!(
                        "version: {} is at version {}, not {}",
                        item.key, current.version, item.version
                    ),
                ),
            ));
            continue;
        }
        match prepare_change(
            model,
            current,
            item.version,
            item.status.as_ref(),
            &item.attributes,
            Mode::Patch,
        ) {
            Ok(change) => changes.push(change),
            Err(e) => errors.push((row, e)),
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::InvalidRows(errors));
    }
    store.update_assets(tenant, model, &changes, actor).await
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

/// What an asset's body carries beside its own row: its check-out in force (`None` when it is
/// in), for a licence with terms its seats, and for a stock item its totals.
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    pub custody: Option<amj_domain::custody::Custody>,
    pub seats: Option<amj_domain::licence::SeatCounts>,
    pub stock: Option<amj_domain::stock::StockCounts>,
}

/// The holdings of some assets: one read each of check-outs, licences and stock for all of
/// them.
pub async fn holdings(
    store: &Store,
    tenant: TenantId,
    ids: &[AssetId],
) -> Result<HashMap<AssetId, Holdings>, StoreError> {
    let mut custody = store.custody_of(tenant, ids).await?;
    let mut seats = store.seats_of(tenant, ids).await?;
    let mut stock = store.stock_counts_of(tenant, ids).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let found = Holdings {
                custody: custody.remove(id),
                seats: seats.remove(id),
                stock: stock.remove(id),
            };
            (*id, found)
        })
        .collect())
}

/// The bodies of some assets of one schema, each with its holdings.
pub async fn asset_bodies(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    assets: &[AssetRecord],
) -> Result<Vec<AssetBody>, StoreError> {
    let ids: Vec<_> = assets.iter().map(|a| a.id).collect();
    let mut held = holdings(store, tenant, &ids).await?;
    Ok(assets
        .iter()
        .map(|a| asset_body(model, a, held.remove(&a.id).unwrap_or_default()))
        .collect())
}

/// The API form of an asset: names from the schema's model, times in RFC 3339.
pub fn asset_body(model: &SchemaModel, asset: &AssetRecord, holdings: Holdings) -> AssetBody {
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
        retired: asset.retired_at.and_then(format_datetime),
        custody: holdings.custody,
        seats: holdings.seats,
        stock: holdings.stock,
    }
}

/// Why the matches of a query could not be listed for a change to all of them.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error(transparent)]
    Query(#[from] crate::query::QueryError),
    #[error("the query matches more than {0} assets; narrow it to change them all at once")]
    TooMany(usize),
}

/// Every asset a query matches in `schema` (archived excluded), with the version read, for a
/// change to all of them. Refuses more than [`BULK_MAX`] (400 `too_many_matches`): a change to
/// every match is one transaction, and a query that broad is more likely a mistake.
pub async fn matching_versions(
    store: &Store,
    jira: &crate::jira::JiraClient,
    tenant: &amj_store::Tenant,
    current_user: Option<String>,
    schema: &str,
    aql: &str,
) -> Result<Vec<(String, i64)>, MatchError> {
    let mut request = crate::query::QueryRequest {
        aql: aql.to_owned(),
        schema: Some(schema.to_owned()),
        limit: 500,
        cursor: None,
        include_archived: false,
    };
    let mut found = Vec::new();
    loop {
        let result = crate::query::run(store, jira, tenant, current_user.clone(), &request).await?;
        found.extend(
            result
                .page
                .items
                .iter()
                .map(|a| (a.key.to_string(), a.version)),
        );
        if found.len() > BULK_MAX {
            return Err(MatchError::TooMany(BULK_MAX));
        }
        match result.page.next_cursor {
            Some(next) => request.cursor = Some(next),
            None => return Ok(found),
        }
    }
}
