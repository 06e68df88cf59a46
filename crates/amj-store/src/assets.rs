//! Assets, their typed value index, history and references.
//!
//! An asset row holds its values as one JSON document (one read serves a page or a get-by-key),
//! and `asset_value` holds the same values typed, one row per value, under partial indexes for
//! sorting and filtering on any attribute. Both are written in one transaction. See
//! docs/ARCHITECTURE.md, "Asset storage".

use super::catalog::SchemaModel;
use super::db::Tx;
use super::query::Compiler;
use super::sql::{MAX_PARAMS, Sql};
use super::tally::{self, Dimension, TallyDelta};
use super::{Db, Store, StoreError, now_millis};
use amj_domain::ids::{AssetId, AttributeId, SchemaId, StatusId, TenantId, TypeId};
use amj_domain::report::month_of_millis;
use amj_domain::{
    AssetKey, AttributeKind, AttributeValues, HistoryEvent, StorageClass, ValidationErrors, Value,
};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, PartialEq)]
pub struct AssetRecord {
    pub id: AssetId,
    pub schema_id: SchemaId,
    pub key: AssetKey,
    pub type_id: TypeId,
    pub label: String,
    pub status_id: StatusId,
    pub values: AttributeValues,
    pub version: i64,
    pub archived: bool,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
    /// When it moved into its Retired-category status; `None` while in any other status.
    pub retired_at: Option<i64>,
}

/// A validated new asset: the caller ran the domain validation; the store checks what needs the
/// data (references exist and fit, unique values are unique).
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub type_id: TypeId,
    pub status_id: StatusId,
    pub label: String,
    pub values: AttributeValues,
}

/// A validated change to one asset, applied only if the asset is still at `expected_version`.
#[derive(Debug, Clone)]
pub struct AssetChange {
    pub id: AssetId,
    pub expected_version: i64,
    pub status_id: StatusId,
    pub label: String,
    pub values: AttributeValues,
    pub events: Vec<HistoryEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    #[serde(flatten)]
    pub event: HistoryEvent,
}

/// One reference between two assets, seen from either end.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceEntry {
    pub attribute_id: AttributeId,
    pub attribute: String,
    pub reference_type: String,
    pub key: String,
    pub label: String,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Sort {
    #[default]
    Key,
    Label,
    Updated,
    Created,
    Attribute(AttributeId),
    /// By whichever of these attributes an asset has: same-named attributes of unrelated types
    /// (`Name` of Laptop and of Location), which share a storage class and never meet on one
    /// asset. Each is walked in its index and the walks are merged.
    Attributes(Vec<AttributeId>),
    /// Several keys or dot paths (from AQL's ORDER BY): sorted by computed values, with
    /// offset-based cursors, so deep pages cost more than with the other sorts. Ties go by key.
    Keys(Vec<amj_domain::aql::SortKey>),
    /// An attribute sort computed over the matching assets instead of walked in the attribute's
    /// index: the same order as [`Sort::Attributes`] (ties in the sort's direction, assets
    /// without a value last in key order), cheaper when few assets match. Offset cursors.
    AttributesComputed {
        attributes: Vec<AttributeId>,
        descending: bool,
    },
}

/// An asset's state before an update, for what the update takes back from the counters.
struct Before {
    status_id: i64,
    archived: bool,
    retired_at: Option<i64>,
}

/// Whether a status is one of the Retired category: a move into it counts as a retirement.
fn is_retired(model: &SchemaModel, status: i64) -> bool {
    model
        .status(StatusId(status))
        .is_some_and(|s| s.category == amj_domain::StatusCategory::Retired)
}

/// Whether `cursor` (as the API returned it) continues a computed sort ([`Sort::Keys`],
/// [`Sort::AttributesComputed`]), so a query keeps the strategy its first page chose.
pub fn is_offset_cursor(cursor: &str) -> bool {
    matches!(decode_cursor(cursor), Ok(Cursor::Offset { .. }))
}

#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    /// Assets of any of these types (the caller expands a type to its subtypes).
    pub type_ids: Option<Vec<TypeId>>,
    pub status_ids: Option<Vec<StatusId>>,
    /// An asset key (exact) or the start of a label (case-insensitive).
    pub text: Option<String>,
    pub include_archived: bool,
    /// A resolved AQL filter (its `connectedTickets` already answered by Jira).
    pub aql: Option<amj_domain::aql::Filter>,
}

#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub filter: AssetFilter,
    pub sort: Sort,
    pub descending: bool,
    pub cursor: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct AssetPage {
    pub items: Vec<AssetRecord>,
    /// Opaque; pass back as `cursor` for the next page. `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Where a page ended. Attribute sorts list assets that have a value first (in value order),
/// then those without (in key order), so the cursor says which part it is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "p")]
enum Cursor {
    #[serde(rename = "v")]
    Value {
        t: Option<String>,
        i: Option<i64>,
        n: Option<f64>,
        id: i64,
    },
    #[serde(rename = "m")]
    Missing { id: i64 },
    /// Rows already returned, for [`Sort::Keys`].
    #[serde(rename = "o")]
    Offset { o: i64 },
}

fn encode_cursor(c: &Cursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(s: &str) -> Result<Cursor, StoreError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            StoreError::Invalid(ValidationErrors::single(
                "cursor",
                "format",
                "cursor: is not a cursor this API returned",
            ))
        })
}

#[derive(sqlx::FromRow)]
struct AssetRow {
    id: i64,
    schema_id: i64,
    type_id: i64,
    number: i64,
    label: String,
    status_id: i64,
    attrs: String,
    version: i64,
    archived: bool,
    created_at: i64,
    created_by: String,
    updated_at: i64,
    updated_by: String,
    retired_at: Option<i64>,
}

const ASSET_COLUMNS: &str = "a.id, a.schema_id, a.type_id, a.number, a.label, a.status_id, \
    a.attrs, a.version, a.archived, a.created_at, a.created_by, a.updated_at, a.updated_by, \
    a.retired_at";

impl AssetRow {
    fn into_record(self, model: &SchemaModel) -> Result<AssetRecord, StoreError> {
        let values = AttributeValues::from_stored_json(&model.attributes, &self.attrs)
            .map_err(|e| StoreError::Corrupt(format!("asset {} values: {e}", self.id)))?;
        Ok(AssetRecord {
            id: AssetId(self.id),
            schema_id: SchemaId(self.schema_id),
            key: AssetKey::new(model.schema.key.clone(), self.number),
            type_id: TypeId(self.type_id),
            label: self.label,
            status_id: StatusId(self.status_id),
            values,
            version: self.version,
            archived: self.archived,
            created_at: self.created_at,
            created_by: self.created_by,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            retired_at: self.retired_at,
        })
    }
}

/// Errors of one row of a bulk request, by its position in the request.
pub type RowErrors = Vec<(usize, ValidationErrors)>;

/// The label as lists sort it and queries compare it: the value index's text form, so that
/// `label = x` and `Name = x` agree whatever the characters (some grow when lowercased).
fn label_sort(label: &str) -> String {
    amj_domain::value::index_text(label)
}

/// The value the unique index compares: case-insensitive for text, exact for the rest.
fn unique_key(value: &Value) -> String {
    let entry = value.index_entry();
    if let Some(text) = entry.text {
        return text;
    }
    if let Some(i) = entry.int {
        return i.to_string();
    }
    if let Some(n) = entry.num {
        return n.to_string();
    }
    entry.reference.map(|k| k.to_string()).unwrap_or_default()
}

struct ValueRow {
    asset_id: i64,
    attribute_id: i64,
    ord: i64,
    text: Option<String>,
    int: Option<i64>,
    num: Option<f64>,
    reference: Option<i64>,
    unique: Option<String>,
}

/// What a batch of writes needs checked against the database before it commits.
struct Checks<'a> {
    model: &'a SchemaModel,
    /// Asset numbers referenced, resolved to (id, type, archived).
    resolved: HashMap<i64, (i64, TypeId, bool)>,
}

/// A row of a bulk write, as [`check_rows`] sees it.
struct RowToCheck<'v> {
    /// Its index in the request, which the errors name.
    row: usize,
    /// The asset it changes; `None` for a new one.
    asset: Option<i64>,
    type_id: TypeId,
    values: &'v AttributeValues,
    /// The references it already holds, as (attribute, target asset). Their targets may have
    /// been archived since: keeping such a reference is not refused (archiving must not block
    /// edits of whatever points at it).
    held: HashSet<(i64, i64)>,
}

/// Checks what a batch of writes needs of the data, inside its transaction: referenced assets
/// exist, are live and are of the attribute's target type; an asset does not reference itself;
/// each unique value is claimed once in the batch and held by no other asset. Every bad row is
/// named in one [`StoreError::InvalidRows`]; if there is none, the resolved references, from
/// which the value rows are written.
async fn check_rows<'m>(
    tx: &mut Tx,
    tenant: TenantId,
    model: &'m SchemaModel,
    rows: &[RowToCheck<'_>],
) -> Result<Checks<'m>, StoreError> {
    let mut checks = Checks {
        model,
        resolved: HashMap::new(),
    };
    let wanted = referenced_numbers(model, rows.iter().map(|r| r.values));
    for chunk in wanted.chunks(500) {
        let mut sql =
            Sql::new("SELECT id, number, type_id, archived FROM asset WHERE tenant_id = ");
        sql.bind(tenant.0)
            .push(" AND schema_id = ")
            .bind(model.schema.id.0)
            .push(" AND number IN ")
            .bind_list(chunk.iter().copied());
        let found: Vec<(i64, i64, i64, bool)> = tx.fetch_all(&sql).await?;
        for (id, number, type_id, archived) in found {
            checks
                .resolved
                .insert(number, (id, TypeId(type_id), archived));
        }
    }
    let mut errors: RowErrors = Vec::new();
    for row in rows {
        if let Err(e) = checks.references(row.type_id, row.values, &row.held) {
            errors.push((row.row, e));
        }
        // Numbers are per schema: another schema's asset with the same number is not this one
        // (and is refused above as a missing target).
        let refers_to_itself = |asset: i64| {
            references(row.values).any(|key| {
                key.schema == model.schema.key
                    && checks
                        .resolved
                        .get(&key.number)
                        .is_some_and(|(id, _, _)| *id == asset)
            })
        };
        if row.asset.is_some_and(refers_to_itself) {
            errors.push((
                row.row,
                ValidationErrors::single(
                    "references",
                    "reference_target",
                    "an asset cannot reference itself",
                ),
            ));
        }
    }
    let unique = unique_claims(model, rows);
    errors.extend(conflicting_claims(tx, tenant, model, &unique).await?);
    if !errors.is_empty() {
        return Err(StoreError::InvalidRows(merge_row_errors(errors)));
    }
    Ok(checks)
}

impl Store {
    /// Creates assets atomically: any invalid row means none is written, and the error names
    /// every bad row. Numbers are allocated from the schema's counter in the same transaction,
    /// so keys have no gaps even under concurrency (the counter row is the lock).
    pub async fn create_assets(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        assets: &[NewAsset],
        actor: &str,
    ) -> Result<Vec<AssetRecord>, StoreError> {
        if assets.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_millis();
        let schema = model.schema.id;
        let created_event = serde_json::to_string(&HistoryEvent::Created)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.db().begin_write().await?;
        let rows: Vec<RowToCheck<'_>> = assets
            .iter()
            .enumerate()
            .map(|(row, asset)| RowToCheck {
                row,
                asset: None,
                type_id: asset.type_id,
                values: &asset.values,
                held: HashSet::new(),
            })
            .collect();
        let checks = check_rows(&mut tx, tenant, model, &rows).await?;
        let count = i64::try_from(assets.len()).unwrap_or(i64::MAX);
        let bump = Sql::new(
            "UPDATE asset_schema SET next_number = next_number + $3 \
             WHERE tenant_id = $1 AND id = $2 RETURNING next_number",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(count);
        let Some((next,)) = tx.fetch_optional::<(i64,)>(&bump).await? else {
            return Err(StoreError::NotFound {
                code: "schema_not_found",
                message: "no such schema on this site".into(),
            });
        };
        let first = next - count;
        let mut inserted: Vec<AssetRow> = Vec::with_capacity(assets.len());
        const ASSET_PARAMS: usize = 14;
        for (chunk_index, chunk) in assets.chunks(MAX_PARAMS / ASSET_PARAMS).enumerate() {
            let mut sql = Sql::new(
                "INSERT INTO asset (tenant_id, schema_id, type_id, number, label, label_sort, \
                 status_id, attrs, version, archived, created_at, created_by, updated_at, \
                 updated_by, retired_at) VALUES ",
            );
            for (i, asset) in chunk.iter().enumerate() {
                let offset = chunk_index * (MAX_PARAMS / ASSET_PARAMS) + i;
                let number = first + i64::try_from(offset).unwrap_or(0);
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(tenant.0)
                    .push(", ")
                    .bind(schema.0)
                    .push(", ")
                    .bind(asset.type_id.0)
                    .push(", ")
                    .bind(number)
                    .push(", ")
                    .bind(asset.label.as_str())
                    .push(", ")
                    .bind(label_sort(&asset.label))
                    .push(", ")
                    .bind(asset.status_id.0)
                    .push(", ")
                    .bind(asset.values.to_stored_json())
                    .push(", 1, FALSE, ")
                    .bind(now)
                    .push(", ")
                    .bind(actor)
                    .push(", ")
                    .bind(now)
                    .push(", ")
                    .bind(actor)
                    .push(", ")
                    .bind(is_retired(model, asset.status_id.0).then_some(now))
                    .push(")");
            }
            sql.push(" RETURNING ")
                .push(&ASSET_COLUMNS.replace("a.", ""))
                // Not kept prepared: the text depends on the batch size (see `Sql::one_off`).
                .one_off();
            inserted.extend(tx.fetch_all::<AssetRow>(&sql).await?);
        }
        // RETURNING order is not guaranteed; numbers are, so put rows back in request order.
        inserted.sort_by_key(|r| r.number);
        let mut value_rows = Vec::new();
        for (row, asset) in inserted.iter().zip(assets) {
            value_rows.extend(checks.value_rows(row.id, asset.type_id, &asset.values));
        }
        insert_value_rows(&mut tx, tenant, &value_rows).await?;
        let mut tally = TallyDelta::default();
        let month = month_of_millis(now);
        let mut rows_of: HashMap<i64, Vec<(i64, Option<i64>)>> = HashMap::new();
        for row in &value_rows {
            rows_of
                .entry(row.asset_id)
                .or_default()
                .push((row.attribute_id, row.reference));
        }
        for row in &inserted {
            tally.live(
                1,
                row.type_id,
                row.status_id,
                rows_of.remove(&row.id).into_iter().flatten(),
            );
            tally.add(Dimension::Created, month, 0, 1);
            tally.retired_moved(None, row.retired_at);
        }
        tally.apply(&mut tx, tenant, schema).await?;
        let value_count = value_rows.len() + inserted.len();
        let docs: Vec<(i64, String)> = inserted
            .iter()
            .zip(assets)
            .map(|(row, asset)| (row.id, search_doc(&asset.label, &asset.values)))
            .collect();
        upsert_search_docs(&mut tx, tenant, &docs).await?;
        let events: Vec<(i64, String)> = inserted
            .iter()
            .map(|r| (r.id, created_event.clone()))
            .collect();
        insert_events(&mut tx, tenant, now, actor, &events).await?;
        tx.commit().await?;
        // The assets are committed: a failure here must not report the create as failed.
        if let Err(e) = self.ensure_statistics(value_count).await {
            tracing::warn!(error = %e, "could not check the planner statistics");
        }
        inserted.into_iter().map(|r| r.into_record(model)).collect()
    }

    /// Applies changes atomically, each only if its asset is still at the version the caller read:
    /// a stale one fails the whole batch with 409 and nothing is lost or half-written.
    pub async fn update_assets(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        changes: &[AssetChange],
        actor: &str,
    ) -> Result<Vec<AssetRecord>, StoreError> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_millis();
        let schema = model.schema.id;
        let mut tx = self.db().begin_write().await?;
        let mut types = HashMap::new();
        // Each asset's state before the write, to take back what it counted towards.
        let mut before: HashMap<i64, Before> = HashMap::new();
        let ids: Vec<i64> = changes.iter().map(|c| c.id.0).collect();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(
                "SELECT id, type_id, status_id, archived, retired_at FROM asset WHERE tenant_id = ",
            );
            // Locked (on PostgreSQL) so that what this write takes back from the counters is
            // what it replaces, even if a status changes category meanwhile.
            sql.bind(tenant.0)
                .push(" AND schema_id = ")
                .bind(schema.0)
                .push(" AND id IN ")
                .bind_list(chunk.iter().copied())
                .push(tx.for_update());
            let found: Vec<(i64, i64, i64, bool, Option<i64>)> = tx.fetch_all(&sql).await?;
            for (id, type_id, status_id, archived, retired_at) in found {
                types.insert(id, TypeId(type_id));
                before.insert(
                    id,
                    Before {
                        status_id,
                        archived,
                        retired_at,
                    },
                );
            }
        }
        let mut old_values = tally::value_rows_of(&mut tx, tenant, &ids).await?;
        let mut rows: Vec<RowToCheck<'_>> = Vec::with_capacity(changes.len());
        for (row, change) in changes.iter().enumerate() {
            let Some(type_id) = types.get(&change.id.0) else {
                return Err(StoreError::NotFound {
                    code: "asset_not_found",
                    message: format!("asset {} does not exist", change.id.0),
                });
            };
            rows.push(RowToCheck {
                row,
                asset: Some(change.id.0),
                type_id: *type_id,
                values: &change.values,
                held: old_values
                    .get(&change.id.0)
                    .into_iter()
                    .flatten()
                    .filter_map(|(attribute, target)| Some((*attribute, (*target)?)))
                    .collect(),
            });
        }
        let checks = check_rows(&mut tx, tenant, model, &rows).await?;
        let mut updated = Vec::with_capacity(changes.len());
        let mut events = Vec::new();
        let mut value_rows = Vec::new();
        for change in changes {
            let was = before.get(&change.id.0);
            let retired_at = match (
                was.is_some_and(|b| is_retired(model, b.status_id)),
                is_retired(model, change.status_id.0),
            ) {
                (false, true) => Some(now),
                (_, false) => None,
                (true, true) => was.and_then(|b| b.retired_at),
            };
            let update = Sql::new(&format!(
                "UPDATE asset SET label = $4, label_sort = $5, status_id = $6, attrs = $7, \
                 version = version + 1, updated_at = $8, updated_by = $9, retired_at = $10 \
                 WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING {}",
                ASSET_COLUMNS.replace("a.", "")
            ))
            .arg(tenant.0)
            .arg(change.id.0)
            .arg(change.expected_version)
            .arg(change.label.as_str())
            .arg(label_sort(&change.label))
            .arg(change.status_id.0)
            .arg(change.values.to_stored_json())
            .arg(now)
            .arg(actor)
            .arg(retired_at);
            let Some(row) = tx.fetch_optional::<AssetRow>(&update).await? else {
                let version =
                    Sql::new("SELECT version FROM asset WHERE tenant_id = $1 AND id = $2")
                        .arg(tenant.0)
                        .arg(change.id.0);
                let (current,): (i64,) = tx.fetch_one(&version).await?;
                return Err(StoreError::StaleVersion {
                    id: change.id,
                    expected: change.expected_version,
                    current,
                });
            };
            let delete = Sql::new("DELETE FROM asset_value WHERE asset_id = $1 AND tenant_id = $2")
                .arg(change.id.0)
                .arg(tenant.0);
            tx.execute(&delete).await?;
            value_rows.extend(checks.value_rows(row.id, TypeId(row.type_id), &change.values));
            for event in &change.events {
                let event =
                    serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                events.push((row.id, event));
            }
            updated.push(row);
        }
        insert_value_rows(&mut tx, tenant, &value_rows).await?;
        let written: Vec<(i64, &AttributeValues)> =
            changes.iter().map(|c| (c.id.0, &c.values)).collect();
        crate::rule_breaks::after_write(&mut tx, tenant, model, &written).await?;
        let mut tally = TallyDelta::default();
        let mut new_values: HashMap<i64, Vec<(i64, Option<i64>)>> = HashMap::new();
        for row in &value_rows {
            new_values
                .entry(row.asset_id)
                .or_default()
                .push((row.attribute_id, row.reference));
        }
        for row in &updated {
            let Some(was) = before.get(&row.id) else {
                continue;
            };
            if !was.archived {
                let old = old_values.remove(&row.id).into_iter().flatten();
                tally.live(-1, row.type_id, was.status_id, old);
                let new = new_values.remove(&row.id).into_iter().flatten();
                tally.live(1, row.type_id, row.status_id, new);
            }
            tally.retired_moved(was.retired_at, row.retired_at);
        }
        tally.apply(&mut tx, tenant, schema).await?;
        let docs: Vec<(i64, String)> = updated
            .iter()
            .zip(changes)
            .map(|(row, change)| (row.id, search_doc(&change.label, &change.values)))
            .collect();
        upsert_search_docs(&mut tx, tenant, &docs).await?;
        insert_events(&mut tx, tenant, now, actor, &events).await?;
        tx.commit().await?;
        updated.into_iter().map(|r| r.into_record(model)).collect()
    }

    /// Archives or restores an asset (at the version the caller read). Archived assets keep their
    /// values, links, history and inbound references; they leave default lists and can no longer
    /// be newly referenced.
    pub async fn set_archived(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: AssetId,
        expected_version: i64,
        archived: bool,
        actor: &str,
    ) -> Result<AssetRecord, StoreError> {
        let now = now_millis();
        let event = if archived {
            HistoryEvent::Archived
        } else {
            HistoryEvent::Restored
        };
        let event =
            serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let update = Sql::new(&format!(
            "UPDATE asset SET archived = $4, version = version + 1, updated_at = $5, \
             updated_by = $6 \
             WHERE tenant_id = $1 AND id = $2 AND version = $3 AND archived <> $4 RETURNING {}",
            ASSET_COLUMNS.replace("a.", "")
        ))
        .arg(tenant.0)
        .arg(id.0)
        .arg(expected_version)
        .arg(archived)
        .arg(now)
        .arg(actor);
        let mut tx = self.db().begin_write().await?;
        let Some(row) = tx.fetch_optional::<AssetRow>(&update).await? else {
            let current =
                Sql::new("SELECT version, archived FROM asset WHERE tenant_id = $1 AND id = $2")
                    .arg(tenant.0)
                    .arg(id.0);
            let current: Option<(i64, bool)> = tx.fetch_optional(&current).await?;
            return Err(match current {
                None => StoreError::NotFound {
                    code: "asset_not_found",
                    message: "the asset does not exist".into(),
                },
                Some((current, _)) if current != expected_version => StoreError::StaleVersion {
                    id,
                    expected: expected_version,
                    current,
                },
                Some(_) => StoreError::Conflict {
                    code: if archived {
                        "already_archived"
                    } else {
                        "not_archived"
                    },
                    message: format!(
                        "the asset is {}",
                        if archived {
                            "already archived"
                        } else {
                            "not archived"
                        }
                    ),
                },
            });
        };
        if archived {
            // After the update, which holds the row's lock: a check-out that got the lock first
            // has committed its custody by now, and one that comes later sees the asset archived.
            refuse_archiving_custody(&mut tx, tenant, id).await?;
        }
        let mut values = tally::value_rows_of(&mut tx, tenant, &[row.id]).await?;
        let mut tally = TallyDelta::default();
        tally.live(
            if archived { -1 } else { 1 },
            row.type_id,
            row.status_id,
            values.remove(&row.id).into_iter().flatten(),
        );
        tally.apply(&mut tx, tenant, model.schema.id).await?;
        insert_events(&mut tx, tenant, now, actor, &[(row.id, event)]).await?;
        tx.commit().await?;
        row.into_record(model)
    }

    pub async fn asset_by_key(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        number: i64,
    ) -> Result<Option<AssetRecord>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {ASSET_COLUMNS} FROM asset a \
             WHERE a.tenant_id = $1 AND a.schema_id = $2 AND a.number = $3"
        ))
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(number);
        let row: Option<AssetRow> = self.db().fetch_optional(&sql).await?;
        row.map(|r| r.into_record(model)).transpose()
    }

    /// Several assets of one schema by number, in no particular order; missing ones are absent.
    pub async fn assets_by_numbers(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        numbers: &[i64],
    ) -> Result<Vec<AssetRecord>, StoreError> {
        let mut out = Vec::with_capacity(numbers.len());
        for chunk in numbers.chunks(500) {
            let mut sql = Sql::new(&format!(
                "SELECT {ASSET_COLUMNS} FROM asset a WHERE a.tenant_id = "
            ));
            sql.bind(tenant.0)
                .push(" AND a.schema_id = ")
                .bind(model.schema.id.0)
                .push(" AND a.number IN ")
                .bind_list(chunk.iter().copied());
            let rows: Vec<AssetRow> = self.db().fetch_all(&sql).await?;
            for row in rows {
                out.push(row.into_record(model)?);
            }
        }
        Ok(out)
    }

    /// A page of a schema's assets. Every sort walks an index in order from the cursor, so page
    /// 500 costs what page 1 does; the computed sorts are the exception (offset cursors).
    pub async fn list_assets(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        request: &ListRequest,
    ) -> Result<AssetPage, StoreError> {
        let cursor = request.cursor.as_deref().map(decode_cursor).transpose()?;
        let page = PageQuery {
            tenant,
            compiler: Compiler::new(tenant, model, matches!(self.db(), Db::Postgres(_))),
            filter: &request.filter,
            limit: request.limit.clamp(1, 500) as usize,
            descending: request.descending,
        };
        let (items, next) = match &request.sort {
            Sort::Keys(keys) => self.list_computed(page, keys, false, cursor).await?,
            Sort::AttributesComputed {
                attributes,
                descending,
            } => {
                let key = computed_attribute_key(model, attributes, *descending)?;
                self.list_computed(page, &[key], *descending, cursor)
                    .await?
            }
            Sort::Attribute(one) => {
                self.list_by_attribute(page, std::slice::from_ref(one), cursor)
                    .await?
            }
            Sort::Attributes(many) => self.list_by_attribute(page, many, cursor).await?,
            Sort::Label => {
                self.list_by_column(page, "a.label_sort", SortKind::Text, cursor)
                    .await?
            }
            Sort::Updated => {
                self.list_by_column(page, "a.updated_at", SortKind::Int, cursor)
                    .await?
            }
            Sort::Created => {
                self.list_by_column(page, "a.created_at", SortKind::Int, cursor)
                    .await?
            }
            Sort::Key => {
                self.list_by_column(page, "a.id", SortKind::Id, cursor)
                    .await?
            }
        };
        let items = items
            .into_iter()
            .map(|r| r.into_record(model))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AssetPage {
            items,
            next_cursor: next.as_ref().map(encode_cursor),
        })
    }

    /// Sorted by values computed over the matching assets ([`Sort::Keys`],
    /// [`Sort::AttributesComputed`]): one ordered query, paged by offset. With `attribute_ties`,
    /// ties are ordered as the attribute index walk orders them.
    async fn list_computed(
        &self,
        page: PageQuery<'_>,
        keys: &[amj_domain::aql::SortKey],
        attribute_ties: bool,
        cursor: Option<Cursor>,
    ) -> Result<PageRows, StoreError> {
        let offset = match cursor {
            None => 0,
            Some(Cursor::Offset { o }) => o,
            Some(_) => return Err(cursor_of_another_sort()),
        };
        let sql = page.computed(keys, attribute_ties, offset)?;
        let mut rows: Vec<AssetRow> = self.db().fetch_all(&sql).await?;
        let next = (rows.len() > page.limit).then(|| Cursor::Offset {
            o: offset + i64::try_from(page.limit).unwrap_or(0),
        });
        rows.truncate(page.limit);
        Ok((rows, next))
    }

    /// Sorted by an attribute's value, or by whichever of several same-named attributes an asset
    /// has: the assets with a value first, walked in the value index from the cursor (one walk
    /// per attribute, merged), then those without one, in key order.
    async fn list_by_attribute(
        &self,
        page: PageQuery<'_>,
        attributes: &[AttributeId],
        cursor: Option<Cursor>,
    ) -> Result<PageRows, StoreError> {
        let model = page.compiler.model;
        let Some(def) = attributes.first().and_then(|a| model.attribute(*a)) else {
            return Err(no_such_sort_attribute());
        };
        let class = def.kind.storage();
        if matches!(cursor, Some(Cursor::Offset { .. })) {
            return Err(cursor_of_another_sort());
        }
        if attributes
            .iter()
            .any(|a| model.attribute(*a).map(|d| d.kind.storage()) != Some(class))
        {
            return Err(StoreError::Invalid(ValidationErrors::single(
                "sort",
                "unknown_attribute",
                "sort: the attributes hold different kinds of values",
            )));
        }
        let mut items: Vec<AssetRow> = Vec::new();
        let mut next: Option<Cursor> = None;
        if !matches!(cursor, Some(Cursor::Missing { .. })) {
            let mut rows: Vec<SortedRow> = Vec::new();
            for attribute in attributes {
                let (sql, value) = page.value_walk(*attribute, class, cursor.as_ref())?;
                rows.extend(fetch_sorted(self.db(), &sql, value).await?);
            }
            // Each walk is in order; merged, the first limit + 1 are the page.
            if attributes.len() > 1 {
                page.merge_walks(&mut rows);
            }
            let more_values = rows.len() > page.limit;
            for row in rows.into_iter().take(page.limit) {
                next = Some(Cursor::Value {
                    t: row.text.clone(),
                    i: row.int,
                    n: row.num,
                    id: row.asset.id,
                });
                items.push(row.asset);
            }
            if !more_values {
                // The valued part is done: the next page (or the rest of this one) continues
                // with the assets that have no value.
                next = Some(Cursor::Missing { id: 0 });
            }
        }
        // Assets without a value come after those with one, in key order, whichever the
        // direction: "nulls last", like a spreadsheet.
        if let Some(Cursor::Missing { id: after }) = next.clone().or(cursor) {
            let room = page.limit - items.len();
            let sql = page.without_value(attributes, after, room)?;
            let rows: Vec<AssetRow> = self.db().fetch_all(&sql).await?;
            let more_missing = rows.len() > room;
            let mut last_taken = after;
            for row in rows.into_iter().take(room) {
                last_taken = row.id;
                items.push(row);
            }
            next = more_missing.then_some(Cursor::Missing { id: last_taken });
        }
        Ok((items, next))
    }

    /// Sorted by a column of the asset row (`column`: the key, label, or a timestamp), walked in
    /// its index from the cursor, ties by key.
    async fn list_by_column(
        &self,
        page: PageQuery<'_>,
        column: &str,
        kind: SortKind,
        cursor: Option<Cursor>,
    ) -> Result<PageRows, StoreError> {
        let sql = page.column_walk(column, kind, cursor.as_ref())?;
        let value = match kind {
            SortKind::Text => SortValueType::Text,
            SortKind::Int | SortKind::Id => SortValueType::Int,
        };
        let rows = fetch_sorted(self.db(), &sql, value).await?;
        let more = rows.len() > page.limit;
        let mut items = Vec::with_capacity(page.limit.min(rows.len()));
        let mut next = None;
        for row in rows.into_iter().take(page.limit) {
            next = Some(Cursor::Value {
                t: row.text.clone(),
                i: row.int,
                n: None,
                id: row.asset.id,
            });
            items.push(row.asset);
        }
        Ok((items, next.filter(|_| more)))
    }

    /// Keeps PostgreSQL's planner statistics for the asset tables current after writes.
    ///
    /// Autovacuum normally does this, but it runs on its own schedule, and some servers have it
    /// off (this project's CI machine does). Without statistics, or with statistics from when a
    /// table was a hundredth of its size, the planner picks plans for a table that no longer
    /// exists: one page of an AQL dot path took 94 s on a new 400-asset site, and bulk imports
    /// slowed to a third as the unique-value check scanned instead of seeking.
    ///
    /// The rows this process wrote are counted here rather than read from `pg_stat_user_tables`:
    /// those counters are flushed by each backend seconds after its writes, so a burst of creates
    /// could finish before any of it was visible, and the tables were then never analysed (a CI
    /// run hung on exactly that). An analysis runs when the rows written since the last one reach
    /// a fifth of the table (at least 1,000, or 100 for a table never analysed): a sampled scan,
    /// a fraction of a second even at 10⁶ assets, and rare, because the threshold grows with the
    /// table.
    async fn ensure_statistics(&self, rows_written: usize) -> Result<(), StoreError> {
        if !matches!(self.db(), Db::Postgres(_)) {
            return Ok(());
        }
        let written = self.planner.record(rows_written);
        if !self.planner.due(written) {
            return Ok(());
        }
        // One analysis at a time; writers arriving meanwhile just add to the count.
        let Ok(_running) = self.planner.running.try_lock() else {
            return Ok(());
        };
        let written = self.planner.take();
        let analyse = Sql::new("ANALYZE asset, asset_value, asset_search, asset_issue_link");
        self.db().execute(&analyse).await?;
        let size = Sql::new("SELECT reltuples FROM pg_class WHERE oid = 'asset_value'::regclass");
        let (rows,): (f32,) = self.db().fetch_one(&size).await?;
        self.planner.analysed(rows);
        tracing::info!(
            written,
            rows,
            "analysed the asset tables for the query planner"
        );
        Ok(())
    }

    /// Writes the full-text documents of assets that have none: those created before full-text
    /// search existed. Runs at start-up; when every asset has its document it is one index scan.
    pub async fn backfill_search_docs(&self) -> Result<u64, StoreError> {
        let missing = Sql::new(
            "SELECT a.id, a.tenant_id, a.schema_id, a.label, a.attrs FROM asset a \
             WHERE NOT EXISTS (SELECT 1 FROM asset_search s WHERE s.asset_id = a.id) \
             ORDER BY a.id LIMIT 2000",
        );
        let mut written = 0_u64;
        loop {
            let rows: Vec<(i64, i64, i64, String, String)> = self.db().fetch_all(&missing).await?;
            if rows.is_empty() {
                return Ok(written);
            }
            let mut by_tenant: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
            for (id, tenant, schema, label, attrs) in rows {
                let model = self
                    .schema_model(TenantId(tenant), SchemaId(schema))
                    .await?;
                // Values that no longer decode still leave the label searchable; the asset's own
                // reads report the corruption.
                let values = model
                    .and_then(|m| AttributeValues::from_stored_json(&m.attributes, &attrs).ok())
                    .unwrap_or_default();
                by_tenant
                    .entry(tenant)
                    .or_default()
                    .push((id, search_doc(&label, &values)));
            }
            for (tenant, docs) in by_tenant {
                let mut tx = self.db().begin_write().await?;
                upsert_search_docs(&mut tx, TenantId(tenant), &docs).await?;
                tx.commit().await?;
                written += docs.len() as u64;
            }
        }
    }

    /// How many assets match, counting at most `cap` (so a huge result costs a bounded
    /// amount): `(count, exact)`, where `exact` is false when there are more than `cap`.
    pub async fn count_matching(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        filter: &AssetFilter,
        cap: u32,
    ) -> Result<(i64, bool), StoreError> {
        let compiler = Compiler::new(tenant, model, matches!(self.db(), Db::Postgres(_)));
        let mut sql = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM asset a WHERE a.tenant_id = ");
        sql.bind(tenant.0);
        push_filter(&mut sql, &compiler, filter)?;
        sql.push(" LIMIT ")
            .bind(i64::from(cap) + 1)
            .push(") capped")
            .one_off();
        let (n,): (i64,) = self.db().fetch_one(&sql).await?;
        let cap = i64::from(cap);
        Ok((n.min(cap), n <= cap))
    }

    /// An asset's history, newest first.
    pub async fn asset_history(
        &self,
        tenant: TenantId,
        asset: AssetId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<HistoryEntry>, Option<i64>), StoreError> {
        let limit = i64::from(limit.clamp(1, 500));
        let sql = Sql::new(
            "SELECT id, at, actor, event FROM asset_event \
             WHERE tenant_id = $1 AND asset_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4",
        )
        .arg(tenant.0)
        .arg(asset.0)
        .arg(before.unwrap_or(i64::MAX))
        .arg(limit + 1);
        let rows: Vec<(i64, i64, String, String)> = self.db().fetch_all(&sql).await?;
        let more = rows.len() as i64 > limit;
        let entries = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(500))
            .map(|(id, at, actor, event)| {
                let event = serde_json::from_str(&event)
                    .map_err(|e| StoreError::Corrupt(format!("history event {id}: {e}")))?;
                Ok(HistoryEntry {
                    id,
                    at,
                    actor,
                    event,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next = if more {
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok((entries, next))
    }

    /// Assets whose reference attributes point at `asset`, with the reference type, after the
    /// referring asset id `after`.
    pub async fn inbound_references(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        asset: AssetId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<ReferenceEntry>, Option<i64>), StoreError> {
        let limit = i64::from(limit.clamp(1, 500));
        let sql = Sql::new(
            "SELECT a.id, v.attribute_id, a.number, a.label, a.archived \
             FROM asset_value v JOIN asset a ON a.id = v.asset_id \
             WHERE v.tenant_id = $1 AND v.v_ref = $2 AND a.tenant_id = $1 AND a.id > $3 \
             ORDER BY a.id, v.attribute_id LIMIT $4",
        )
        .arg(tenant.0)
        .arg(asset.0)
        .arg(after.unwrap_or(0))
        .arg(limit + 1);
        let rows: Vec<(i64, i64, i64, String, bool)> = self.db().fetch_all(&sql).await?;
        let more = rows.len() as i64 > limit;
        let mut last = None;
        let entries = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(500))
            .map(|(id, attribute_id, number, label, archived)| {
                last = Some(id);
                let attribute = model.attribute(AttributeId(attribute_id));
                ReferenceEntry {
                    attribute_id: AttributeId(attribute_id),
                    attribute: attribute.map(|a| a.name.clone()).unwrap_or_default(),
                    reference_type: attribute
                        .and_then(|a| match &a.kind {
                            AttributeKind::Reference { reference_type, .. } => {
                                Some(reference_type.clone())
                            }
                            _ => None,
                        })
                        .unwrap_or_default(),
                    key: AssetKey::new(model.schema.key.clone(), number).to_string(),
                    label,
                    archived,
                }
            })
            .collect();
        Ok((entries, if more { last } else { None }))
    }

    /// How many assets of the site exist, by schema; cheap enough for the admin page.
    pub async fn count_assets(
        &self,
        tenant: TenantId,
        schema: SchemaId,
    ) -> Result<i64, StoreError> {
        let sql = Sql::new("SELECT COUNT(*) FROM asset WHERE tenant_id = $1 AND schema_id = $2")
            .arg(tenant.0)
            .arg(schema.0);
        let (n,): (i64,) = self.db().fetch_one(&sql).await?;
        Ok(n)
    }
}

/// What every strategy of [`Store::list_assets`] needs of the request, and the statements they
/// run. One compiler numbers the table aliases of all of a page's statements. It is not `Sync`,
/// so a strategy owns its `PageQuery` and builds each statement before awaiting it.
struct PageQuery<'m> {
    tenant: TenantId,
    compiler: Compiler<'m>,
    filter: &'m AssetFilter,
    /// Rows on a page: 1 to 500.
    limit: usize,
    descending: bool,
}

/// A page's rows and where the next page starts (`None` on the last page).
type PageRows = (Vec<AssetRow>, Option<Cursor>);

impl PageQuery<'_> {
    /// The keyset comparison and the `ORDER BY` direction of a walk.
    fn direction(&self) -> (&'static str, &'static str) {
        if self.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        }
    }

    /// A page and one more row: the extra row tells whether there is a next page.
    fn limit_plus_one(&self) -> i64 {
        i64::try_from(self.limit + 1).unwrap_or(501)
    }

    /// The matching assets in the order of `keys`, from `offset`.
    fn computed(
        &self,
        keys: &[amj_domain::aql::SortKey],
        attribute_ties: bool,
        offset: i64,
    ) -> Result<Sql, StoreError> {
        let compiler = &self.compiler;
        let mut sql = Sql::new(&format!(
            "SELECT {ASSET_COLUMNS} FROM asset a WHERE a.tenant_id = "
        ));
        sql.bind(self.tenant.0);
        push_filter(&mut sql, compiler, self.filter)?;
        sql.push(" ORDER BY ");
        for key in keys {
            // Assets without a value come last in either direction.
            sql.push("(");
            compiler.sort_expr(&mut sql, &key.value, "a");
            sql.push(") IS NULL, ");
            compiler.sort_expr(&mut sql, &key.value, "a");
            sql.push(if key.descending { " DESC, " } else { " ASC, " });
        }
        if attribute_ties && let Some(key) = keys.first() {
            // As the index walk orders them: ties by key descending among assets with a
            // value, then the assets without one by key ascending.
            sql.push("CASE WHEN (");
            compiler.sort_expr(&mut sql, &key.value, "a");
            sql.push(") IS NULL THEN a.id ELSE -a.id END ASC, ");
        }
        sql.push("a.id ASC LIMIT ")
            .bind(self.limit_plus_one())
            .push(" OFFSET ")
            .bind(offset)
            .one_off();
        Ok(sql)
    }

    /// One attribute's walk of the value index from the cursor, and how its sort value decodes.
    fn value_walk(
        &self,
        attribute: AttributeId,
        class: StorageClass,
        cursor: Option<&Cursor>,
    ) -> Result<(Sql, SortValueType), StoreError> {
        let (column, value) = match class {
            StorageClass::Text => ("v_text", SortValueType::Text),
            StorageClass::Integer => ("v_int", SortValueType::Int),
            StorageClass::Number => ("v_num", SortValueType::Num),
            StorageClass::Reference => ("v_ref", SortValueType::Int),
        };
        let (op, dir) = self.direction();
        let mut sql = Sql::new(&format!(
            "SELECT {ASSET_COLUMNS}, v.{column} AS sort_value \
             FROM asset_value v JOIN asset a ON a.id = v.asset_id WHERE v.tenant_id = "
        ));
        sql.bind(self.tenant.0)
            .push(" AND v.attribute_id = ")
            .bind(attribute.0)
            .push(&format!(
                " AND v.ord = 0 AND v.{column} IS NOT NULL AND a.tenant_id = "
            ))
            .bind(self.tenant.0);
        push_filter(&mut sql, &self.compiler, self.filter)?;
        if let Some(Cursor::Value { t, i, n, id }) = cursor {
            sql.push(&format!(" AND (v.{column}, v.asset_id) {op} ("));
            match value {
                SortValueType::Text => sql.bind(t.clone()),
                SortValueType::Num => sql.bind(*n),
                SortValueType::Int => sql.bind(*i),
            };
            sql.push(", ").bind(*id).push(")");
        }
        sql.push(&format!(
            " ORDER BY v.{column} {dir}, v.asset_id {dir} LIMIT "
        ))
        .bind(self.limit_plus_one());
        Ok((sql, value))
    }

    /// Orders the rows of several walks as one walk would, and keeps a page and one more.
    fn merge_walks(&self, rows: &mut Vec<SortedRow>) {
        rows.sort_by(|x, y| {
            let by_value = x
                .text
                .cmp(&y.text)
                .then(x.int.cmp(&y.int))
                .then(
                    x.num
                        .partial_cmp(&y.num)
                        .unwrap_or(std::cmp::Ordering::Equal),
                )
                .then(x.asset.id.cmp(&y.asset.id));
            if self.descending {
                by_value.reverse()
            } else {
                by_value
            }
        });
        rows.truncate(self.limit + 1);
    }

    /// The assets with no value for any of `attributes`, in key order after `after`: `room`
    /// rows and one more.
    fn without_value(
        &self,
        attributes: &[AttributeId],
        after: i64,
        room: usize,
    ) -> Result<Sql, StoreError> {
        let mut sql = Sql::new(&format!(
            "SELECT {ASSET_COLUMNS} FROM asset a WHERE a.tenant_id = "
        ));
        sql.bind(self.tenant.0);
        push_filter(&mut sql, &self.compiler, self.filter)?;
        sql.push(
            " AND NOT EXISTS (SELECT 1 FROM asset_value v \
             WHERE v.asset_id = a.id AND v.attribute_id IN ",
        )
        .bind_list(attributes.iter().map(|a| a.0))
        .push(") AND a.id > ")
        .bind(after)
        .push(" ORDER BY a.id LIMIT ")
        .bind(i64::try_from(room + 1).unwrap_or(501));
        Ok(sql)
    }

    /// A walk of the asset row's index on `column` from the cursor, ties by key.
    fn column_walk(
        &self,
        column: &str,
        kind: SortKind,
        cursor: Option<&Cursor>,
    ) -> Result<Sql, StoreError> {
        let (op, dir) = self.direction();
        let mut sql = Sql::new(&format!(
            "SELECT {ASSET_COLUMNS}, {column} AS sort_value FROM asset a WHERE a.tenant_id = "
        ));
        sql.bind(self.tenant.0);
        push_filter(&mut sql, &self.compiler, self.filter)?;
        match (cursor, kind) {
            (Some(Cursor::Value { id, .. }), SortKind::Id) => {
                sql.push(&format!(" AND a.id {op} ")).bind(*id);
            }
            (Some(Cursor::Value { t, id, .. }), SortKind::Text) => {
                sql.push(&format!(" AND ({column}, a.id) {op} ("))
                    .bind(t.clone())
                    .push(", ")
                    .bind(*id)
                    .push(")");
            }
            (Some(Cursor::Value { i, id, .. }), SortKind::Int) => {
                sql.push(&format!(" AND ({column}, a.id) {op} ("))
                    .bind(*i)
                    .push(", ")
                    .bind(*id)
                    .push(")");
            }
            (Some(Cursor::Missing { .. } | Cursor::Offset { .. }), _) => {
                return Err(cursor_of_another_sort());
            }
            (None, _) => {}
        }
        if kind == SortKind::Id {
            sql.push(&format!(" ORDER BY a.id {dir} LIMIT "));
        } else {
            sql.push(&format!(" ORDER BY {column} {dir}, a.id {dir} LIMIT "));
        }
        sql.bind(self.limit_plus_one());
        Ok(sql)
    }
}

/// The one sort key of [`Sort::AttributesComputed`]: the attributes' value, assets without one
/// last.
fn computed_attribute_key(
    model: &SchemaModel,
    attributes: &[AttributeId],
    descending: bool,
) -> Result<amj_domain::aql::SortKey, StoreError> {
    let class = attributes
        .first()
        .and_then(|a| model.attribute(*a))
        .map(|d| d.kind.storage())
        .ok_or_else(no_such_sort_attribute)?;
    Ok(amj_domain::aql::SortKey {
        value: amj_domain::aql::SortValue {
            hops: Vec::new(),
            field: amj_domain::aql::SortField::Attribute {
                attributes: attributes.to_vec(),
                class,
            },
        },
        descending,
    })
}

fn no_such_sort_attribute() -> StoreError {
    StoreError::Invalid(ValidationErrors::single(
        "sort",
        "unknown_attribute",
        "sort: no such attribute in this schema",
    ))
}

fn cursor_of_another_sort() -> StoreError {
    StoreError::Invalid(ValidationErrors::single(
        "cursor",
        "format",
        "cursor: belongs to a list with another sort",
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKind {
    Id,
    Text,
    Int,
}

struct SortedRow {
    asset: AssetRow,
    text: Option<String>,
    int: Option<i64>,
    num: Option<f64>,
}

/// A row of a sorted walk: the asset and the value it was sorted by (`sort_value`).
#[derive(sqlx::FromRow)]
struct Sorted<T> {
    #[sqlx(flatten)]
    asset: AssetRow,
    sort_value: T,
}

/// How a walk's `sort_value` column decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortValueType {
    Text,
    Int,
    Num,
}

/// Runs a sorted walk, decoding its sort value as `value` says.
async fn fetch_sorted(
    db: &Db,
    sql: &Sql,
    value: SortValueType,
) -> Result<Vec<SortedRow>, StoreError> {
    let row = |asset| SortedRow {
        asset,
        text: None,
        int: None,
        num: None,
    };
    Ok(match value {
        SortValueType::Text => db
            .fetch_all::<Sorted<String>>(sql)
            .await?
            .into_iter()
            .map(|r| SortedRow {
                text: Some(r.sort_value),
                ..row(r.asset)
            })
            .collect(),
        SortValueType::Int => db
            .fetch_all::<Sorted<i64>>(sql)
            .await?
            .into_iter()
            .map(|r| SortedRow {
                int: Some(r.sort_value),
                ..row(r.asset)
            })
            .collect(),
        SortValueType::Num => db
            .fetch_all::<Sorted<f64>>(sql)
            .await?
            .into_iter()
            .map(|r| SortedRow {
                num: Some(r.sort_value),
                ..row(r.asset)
            })
            .collect(),
    })
}

fn push_filter(
    sql: &mut Sql,
    compiler: &Compiler<'_>,
    filter: &AssetFilter,
) -> Result<(), StoreError> {
    let model = compiler.model;
    sql.push(" AND a.schema_id = ").bind(model.schema.id.0);
    if let Some(aql) = &filter.aql {
        sql.push(" AND ");
        compiler.filter(sql, aql, "a")?;
    }
    if !filter.include_archived {
        sql.push(" AND a.archived = FALSE");
    }
    if let Some(types) = &filter.type_ids {
        if types.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND a.type_id IN ")
                .bind_list(types.iter().map(|t| t.0));
        }
    }
    if let Some(statuses) = &filter.status_ids {
        if statuses.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND a.status_id IN ")
                .bind_list(statuses.iter().map(|s| s.0));
        }
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let prefix = label_sort(text);
        match AssetKey::parse(text) {
            Ok(key) if key.schema == model.schema.key => {
                sql.push(" AND (a.number = ").bind(key.number).push(" OR ");
                super::query::prefix_range(sql, "a.label_sort", &prefix);
                sql.push(")");
            }
            _ => {
                sql.push(" AND ");
                super::query::prefix_range(sql, "a.label_sort", &prefix);
            }
        }
    }
    Ok(())
}

fn references(values: &AttributeValues) -> impl Iterator<Item = &AssetKey> {
    values.0.values().flatten().filter_map(|v| match v {
        Value::Reference(key) => Some(key),
        _ => None,
    })
}

fn referenced_numbers<'a>(
    model: &SchemaModel,
    values: impl Iterator<Item = &'a AttributeValues>,
) -> Vec<i64> {
    let mut numbers: Vec<i64> = values
        .flat_map(references)
        .filter(|k| k.schema == model.schema.key)
        .map(|k| k.number)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    numbers.sort_unstable();
    numbers
}

impl Checks<'_> {
    /// Referenced assets must exist, be live (unless already `held`), and be of the attribute's
    /// target type or a subtype.
    fn references(
        &self,
        type_id: TypeId,
        values: &AttributeValues,
        held: &HashSet<(i64, i64)>,
    ) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        for attribute in self.model.effective_attributes(type_id) {
            let AttributeKind::Reference { target_type, .. } = &attribute.kind else {
                continue;
            };
            let target_name = self
                .model
                .asset_type(*target_type)
                .map_or_else(|| "the target type".to_owned(), |t| t.name.clone());
            for value in values.get(attribute.id) {
                let Value::Reference(key) = value else {
                    continue;
                };
                let found = (key.schema == self.model.schema.key)
                    .then(|| self.resolved.get(&key.number))
                    .flatten();
                let problem = match found {
                    None => Some(format!("{}: {key} does not exist", attribute.name)),
                    Some((id, _, true)) if !held.contains(&(attribute.id.0, *id)) => {
                        Some(format!("{}: {key} is archived", attribute.name))
                    }
                    Some((_, actual, false))
                        if !self
                            .model
                            .types
                            .is_same_or_descendant(*actual, *target_type) =>
                    {
                        let actual = self
                            .model
                            .asset_type(*actual)
                            .map_or("another type", |t| t.name.as_str());
                        Some(format!(
                            "{}: {key} is a {actual}, not a {target_name} or one of its subtypes",
                            attribute.name
                        ))
                    }
                    Some(_) => None,
                };
                if let Some(message) = problem {
                    errors.push(attribute.name.clone(), "reference_target", message);
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn value_rows(
        &self,
        asset_id: i64,
        type_id: TypeId,
        values: &AttributeValues,
    ) -> Vec<ValueRow> {
        let attributes = self.model.effective_attributes(type_id);
        let mut rows = Vec::new();
        for attribute in attributes {
            for (ord, value) in values.get(attribute.id).iter().enumerate() {
                let entry = value.index_entry();
                rows.push(ValueRow {
                    asset_id,
                    attribute_id: attribute.id.0,
                    ord: i64::try_from(ord).unwrap_or(0),
                    text: entry.text,
                    int: entry.int,
                    num: entry.num,
                    reference: entry
                        .reference
                        .and_then(|k| self.resolved.get(&k.number).map(|(id, _, _)| *id)),
                    unique: attribute.unique.then(|| unique_key(value)),
                });
            }
        }
        rows
    }
}

/// (attribute, value key) → the request rows (and their asset, for updates) claiming it.
type Claims = BTreeMap<AttributeId, BTreeMap<String, Vec<(usize, Option<i64>)>>>;

fn unique_claims(model: &SchemaModel, rows: &[RowToCheck<'_>]) -> Claims {
    let unique: HashMap<AttributeId, ()> = model
        .attributes
        .iter()
        .filter(|a| a.unique)
        .map(|a| (a.id, ()))
        .collect();
    let mut claims = Claims::new();
    if unique.is_empty() {
        return claims;
    }
    for row in rows {
        for (attribute, vals) in &row.values.0 {
            if !unique.contains_key(attribute) {
                continue;
            }
            for value in vals {
                claims
                    .entry(*attribute)
                    .or_default()
                    .entry(unique_key(value))
                    .or_default()
                    .push((row.row, row.asset));
            }
        }
    }
    claims
}

/// Rows whose unique values are claimed twice in the request or held by another asset.
async fn conflicting_claims(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    claims: &Claims,
) -> Result<RowErrors, StoreError> {
    let mut errors: RowErrors = Vec::new();
    for (attribute, by_value) in claims {
        let name = model
            .attribute(*attribute)
            .map_or_else(|| format!("attribute {}", attribute.0), |a| a.name.clone());
        for (value, rows) in by_value {
            let distinct: HashSet<_> = rows.iter().map(|(_, asset)| *asset).collect();
            if rows.len() > 1 && (distinct.len() > 1 || distinct.contains(&None)) {
                for (row, _) in rows.iter().skip(1) {
                    errors.push((
                        *row,
                        ValidationErrors::single(
                            name.clone(),
                            "unique",
                            format!(
                                "{name}: {value:?} appears more than once in this request, \
                                 but must be unique"
                            ),
                        ),
                    ));
                }
            }
        }
        let keys: Vec<String> = by_value.keys().cloned().collect();
        for chunk in keys.chunks(500) {
            let mut sql = Sql::new("SELECT v_unique, asset_id FROM asset_value WHERE tenant_id = ");
            sql.bind(tenant.0)
                .push(" AND attribute_id = ")
                .bind(attribute.0)
                .push(" AND v_unique IN ")
                .bind_list(chunk.iter().cloned());
            let holders: Vec<(String, i64)> = tx.fetch_all(&sql).await?;
            for (value, holder) in holders {
                if let Some(rows) = by_value.get(&value) {
                    for (row, asset) in rows {
                        if *asset != Some(holder) {
                            errors.push((
                                *row,
                                ValidationErrors::single(
                                    name.clone(),
                                    "unique",
                                    format!(
                                        "{name}: {value:?} is already used by another asset, \
                                         but must be unique"
                                    ),
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    Ok(errors)
}

/// One entry per row, rows in order, with every problem of that row.
fn merge_row_errors(errors: RowErrors) -> RowErrors {
    let mut by_row: BTreeMap<usize, ValidationErrors> = BTreeMap::new();
    for (row, e) in errors {
        let entry = by_row.entry(row).or_default();
        for error in e.0 {
            if !entry.0.contains(&error) {
                entry.0.push(error);
            }
        }
    }
    by_row.into_iter().collect()
}

/// An asset's full-text document: its label and text values (not users, projects or other
/// kinds, whose text is an id rather than words).
pub(crate) fn search_doc(label: &str, values: &AttributeValues) -> String {
    amj_domain::aql::search_document(
        label,
        values.0.values().flatten().filter_map(|v| match v {
            Value::Text(text) => Some(text.as_str()),
            _ => None,
        }),
    )
}

/// Writes (or replaces) assets' full-text documents.
pub(crate) async fn upsert_search_docs(
    tx: &mut Tx,
    tenant: TenantId,
    docs: &[(i64, String)],
) -> Result<(), StoreError> {
    const PARAMS: usize = 3;
    for chunk in docs.chunks(MAX_PARAMS / PARAMS) {
        let mut sql = Sql::new("INSERT INTO asset_search (asset_id, tenant_id, doc) VALUES ");
        for (i, (asset_id, doc)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(*asset_id)
                .push(", ")
                .bind(tenant.0)
                .push(", ")
                .bind(doc.as_str())
                .push(")");
        }
        sql.push(" ON CONFLICT (asset_id) DO UPDATE SET doc = excluded.doc")
            .one_off();
        tx.execute(&sql).await?;
    }
    Ok(())
}

/// Multi-row inserts of value index rows, as many per statement as the parameter cap allows.
async fn insert_value_rows(
    tx: &mut Tx,
    tenant: TenantId,
    rows: &[ValueRow],
) -> Result<(), StoreError> {
    const PARAMS: usize = 9;
    for chunk in rows.chunks(MAX_PARAMS / PARAMS) {
        let mut sql = Sql::new(
            "INSERT INTO asset_value \
             (tenant_id, asset_id, attribute_id, ord, v_text, v_int, v_num, v_ref, v_unique) \
             VALUES ",
        );
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(tenant.0)
                .push(", ")
                .bind(row.asset_id)
                .push(", ")
                .bind(row.attribute_id)
                .push(", ")
                .bind(row.ord)
                .push(", ")
                .bind(row.text.clone())
                .push(", ")
                .bind(row.int)
                .push(", ")
                .bind(row.num)
                .push(", ")
                .bind(row.reference)
                .push(", ")
                .bind(row.unique.clone())
                .push(")");
        }
        sql.one_off();
        tx.execute(&sql).await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                StoreError::Conflict {
                    code: "unique_value_taken",
                    message: "a value that must be unique was taken by a concurrent write; retry"
                        .into(),
                }
            }
            other => other,
        })?;
    }
    Ok(())
}

/// An asset out on loan, or carrying others, stays live: archiving it would hide a loan that is
/// still running (check it in, or its passengers out, first).
async fn refuse_archiving_custody(
    tx: &mut Tx,
    tenant: TenantId,
    id: AssetId,
) -> Result<(), StoreError> {
    let out =
        Sql::new("SELECT holder_kind FROM asset_custody WHERE asset_id = $1 AND tenant_id = $2")
            .arg(id.0)
            .arg(tenant.0);
    if tx.fetch_optional::<(String,)>(&out).await?.is_some() {
        return Err(StoreError::Conflict {
            code: "checked_out",
            message: "the asset is checked out; check it in before archiving it".into(),
        });
    }
    let carried =
        Sql::new("SELECT COUNT(*) FROM asset_custody WHERE holder_asset_id = $1").arg(id.0);
    let (count,): (i64,) = tx.fetch_one(&carried).await?;
    if count > 0 {
        return Err(StoreError::Conflict {
            code: "holds_assets",
            message: format!(
                "{count} asset(s) are checked out to this one; check them in before archiving it"
            ),
        });
    }
    Ok(())
}

pub(crate) async fn insert_events(
    tx: &mut Tx,
    tenant: TenantId,
    at: i64,
    actor: &str,
    events: &[(i64, String)],
) -> Result<(), StoreError> {
    const PARAMS: usize = 5;
    for chunk in events.chunks(MAX_PARAMS / PARAMS) {
        let mut sql =
            Sql::new("INSERT INTO asset_event (tenant_id, asset_id, at, actor, event) VALUES ");
        for (i, (asset, event)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(tenant.0)
                .push(", ")
                .bind(*asset)
                .push(", ")
                .bind(at)
                .push(", ")
                .bind(actor)
                .push(", ")
                .bind(event.as_str())
                .push(")");
        }
        sql.one_off();
        tx.execute(&sql).await?;
    }
    Ok(())
}

/// Records history events for assets from other modules (links), inside their transaction.
pub(crate) async fn record_events(
    tx: &mut Tx,
    tenant: TenantId,
    actor: &str,
    events: &[(AssetId, HistoryEvent)],
) -> Result<(), StoreError> {
    let now = now_millis();
    let encoded = events
        .iter()
        .map(|(asset, event)| {
            serde_json::to_string(event)
                .map(|e| (asset.0, e))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    insert_events(tx, tenant, now, actor, &encoded).await
}

/// What `Store::ensure_statistics` knows about the value table: rows written by this process
/// since the last analysis, and the table's size then (negative until the first one).
#[derive(Debug)]
pub(crate) struct PlannerStatistics {
    written: std::sync::atomic::AtomicI64,
    rows_at_last_analysis: std::sync::atomic::AtomicI64,
    running: tokio::sync::Mutex<()>,
}

impl Default for PlannerStatistics {
    fn default() -> Self {
        PlannerStatistics {
            written: 0.into(),
            rows_at_last_analysis: (-1).into(),
            running: tokio::sync::Mutex::new(()),
        }
    }
}

impl PlannerStatistics {
    const MIN_WRITTEN: i64 = 1_000;
    const MIN_WRITTEN_NEVER_ANALYSED: i64 = 100;

    fn record(&self, rows: usize) -> i64 {
        let rows = i64::try_from(rows).unwrap_or(i64::MAX);
        self.written
            .fetch_add(rows, std::sync::atomic::Ordering::Relaxed)
            .saturating_add(rows)
    }

    fn due(&self, written: i64) -> bool {
        let known = self
            .rows_at_last_analysis
            .load(std::sync::atomic::Ordering::Relaxed);
        if known < 0 {
            written >= Self::MIN_WRITTEN_NEVER_ANALYSED
        } else {
            written >= Self::MIN_WRITTEN && written.saturating_mul(5) > known
        }
    }

    fn take(&self) -> i64 {
        self.written.swap(0, std::sync::atomic::Ordering::Relaxed)
    }

    fn analysed(&self, rows: f32) {
        // reltuples is an estimate; -1 means the table was never analysed, which cannot be true
        // right after an analysis, so it is stored as at least zero.
        #[allow(clippy::cast_possible_truncation)]
        let rows = rows.max(0.0) as i64;
        self.rows_at_last_analysis
            .store(rows, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The server awaits these futures in its handlers, which must be `Send`: a borrow of something
/// that is not `Sync` (the query compiler) held across an `.await` would break the server's
/// build, not this crate's, so this crate's tests check it.
#[cfg(test)]
#[allow(dead_code, reason = "compiled for its bounds, never called")]
fn asset_futures_are_send(store: &Store, model: &SchemaModel, request: &ListRequest) {
    fn send<T: Send>(_: T) {}
    let tenant = TenantId(1);
    send(store.create_assets(tenant, model, &[], "actor"));
    send(store.update_assets(tenant, model, &[], "actor"));
    send(store.set_archived(tenant, model, AssetId(1), 1, true, "actor"));
    send(store.asset_by_key(tenant, model, 1));
    send(store.assets_by_numbers(tenant, model, &[]));
    send(store.list_assets(tenant, model, request));
    send(store.count_matching(tenant, model, &request.filter, 1));
    send(store.asset_history(tenant, AssetId(1), None, 1));
    send(store.inbound_references(tenant, model, AssetId(1), None, 1));
    send(store.count_assets(tenant, model.schema.id));
    send(store.backfill_search_docs());
}

#[cfg(test)]
mod planner_statistics_tests {
    use super::PlannerStatistics;

    #[test]
    fn a_new_table_is_analysed_early_then_as_it_grows_by_a_fifth() {
        let stats = PlannerStatistics::default();
        assert!(!stats.due(stats.record(99)));
        assert!(stats.due(stats.record(1)));
        assert_eq!(stats.take(), 100);
        stats.analysed(100.0);
        assert!(!stats.due(stats.record(999)), "below the 1,000-row floor");
        assert!(stats.due(stats.record(1)));
        stats.take();
        stats.analysed(100_000.0);
        assert!(
            !stats.due(stats.record(20_000)),
            "exactly a fifth is not more than a fifth"
        );
        assert!(stats.due(stats.record(1)));
    }
}
