//! The catalog of a site: schemas, their statuses, asset types and attributes. Changes are rare
//! and reads are on every asset request, so each instance caches a schema's catalog and checks one
//! `catalog_version` column to know when its copy is stale (another instance may have changed it).

use super::db::Tx;
use super::sql::Sql;
use super::tally::{Dimension, TallyDelta};
use super::{Store, StoreError, now_millis};
use amj_domain::ids::{AttributeId, SchemaId, StatusId, TenantId, TypeId};
use amj_domain::report::month_of_millis;
use amj_domain::{
    AssetType, AssetTypeDraft, AttributeDef, AttributeDraft, AttributeKind, Schema, SchemaDraft,
    SchemaKey, Status, StatusCategory, StatusDraft, TextPattern, TypeTree, default_statuses,
};
use std::sync::Arc;

/// A schema with everything needed to validate and render its assets.
#[derive(Debug)]
pub struct SchemaModel {
    pub schema: Schema,
    pub version: i64,
    pub statuses: Vec<Status>,
    pub types: TypeTree,
    /// Every attribute of every type in the schema.
    pub attributes: Vec<AttributeDef>,
    /// Which types can be checked out, and the statuses check-out and check-in move to.
    pub custody: amj_domain::custody::CustodyPolicy,
    /// Which types are licences, and what counts as an installation.
    pub licences: amj_domain::licence::LicencePolicy,
    /// Which types are counted stock, and of what kind.
    pub stock: amj_domain::stock::StockPolicy,
    /// How an issue's status approves or rejects requests made from it; `None` until set.
    pub requests: Option<amj_domain::request::ApprovalPolicy>,
}

impl SchemaModel {
    /// The attributes an asset of `type_id` has: inherited ones first, then its own.
    pub fn effective_attributes(&self, type_id: TypeId) -> Vec<AttributeDef> {
        self.types.effective_attributes(type_id, &self.attributes)
    }

    pub fn attribute(&self, id: AttributeId) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.id == id)
    }

    pub fn status(&self, id: StatusId) -> Option<&Status> {
        self.statuses.iter().find(|s| s.id == id)
    }

    pub fn asset_type(&self, id: TypeId) -> Option<&AssetType> {
        self.types.get(id)
    }

    /// New assets start in the schema's first status.
    pub fn default_status(&self) -> Option<StatusId> {
        self.statuses.first().map(|s| s.id)
    }
}

/// This instance's copies of schema models. Bounded, so that an instance serving many sites
/// does not keep every schema it ever served: past the capacity the models used least are
/// dropped and loaded again when next asked for. A model is never trusted without the version
/// check of `model_for`, so a dropped or stale one costs a reload, never a wrong answer.
pub struct CatalogCache {
    models: moka::sync::Cache<(TenantId, SchemaId), Arc<SchemaModel>>,
}

impl CatalogCache {
    /// Models kept at most.
    const CAPACITY: u64 = 10_000;
}

impl Default for CatalogCache {
    fn default() -> Self {
        Self {
            models: moka::sync::Cache::new(Self::CAPACITY),
        }
    }
}

impl std::fmt::Debug for CatalogCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogCache")
            .field("models", &self.models.entry_count())
            .finish()
    }
}

#[derive(sqlx::FromRow)]
struct SchemaRow {
    id: i64,
    schema_key: String,
    name: String,
    description: String,
    users_can_edit: bool,
    catalog_version: i64,
}

impl SchemaRow {
    fn into_schema(self) -> Result<(Schema, i64), StoreError> {
        let key = SchemaKey::parse(&self.schema_key)
            .map_err(|e| StoreError::Corrupt(format!("schema key {:?}: {e}", self.schema_key)))?;
        Ok((
            Schema {
                id: SchemaId(self.id),
                key,
                name: self.name,
                description: self.description,
                users_can_edit: self.users_can_edit,
            },
            self.catalog_version,
        ))
    }
}

const SCHEMA_COLUMNS: &str = "id, schema_key, name, description, users_can_edit, catalog_version";

#[derive(sqlx::FromRow)]
struct StatusRow {
    id: i64,
    schema_id: i64,
    name: String,
    category: String,
}

impl StatusRow {
    fn into_status(self) -> Result<Status, StoreError> {
        let category = StatusCategory::parse(&self.category)
            .ok_or_else(|| StoreError::Corrupt(format!("status category {:?}", self.category)))?;
        Ok(Status {
            id: StatusId(self.id),
            schema_id: SchemaId(self.schema_id),
            name: self.name,
            category,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TypeRow {
    id: i64,
    schema_id: i64,
    parent_id: Option<i64>,
    name: String,
    icon: String,
    description: String,
    is_abstract: bool,
    label_attribute_id: Option<i64>,
}

impl From<TypeRow> for AssetType {
    fn from(r: TypeRow) -> Self {
        AssetType {
            id: TypeId(r.id),
            schema_id: SchemaId(r.schema_id),
            parent_id: r.parent_id.map(TypeId),
            name: r.name,
            icon: r.icon,
            description: r.description,
            is_abstract: r.is_abstract,
            label_attribute: r.label_attribute_id.map(AttributeId),
        }
    }
}

const TYPE_COLUMNS: &str =
    "id, schema_id, parent_id, name, icon, description, is_abstract, label_attribute_id";

#[derive(sqlx::FromRow)]
struct AttributeRow {
    id: i64,
    type_id: i64,
    name: String,
    definition: String,
    required: bool,
    unique_values: bool,
    description: String,
    position: i64,
}

impl AttributeRow {
    fn into_def(self) -> Result<AttributeDef, StoreError> {
        let kind: AttributeKind = serde_json::from_str(&self.definition)
            .map_err(|e| StoreError::Corrupt(format!("attribute {} definition: {e}", self.id)))?;
        Ok(AttributeDef {
            id: AttributeId(self.id),
            type_id: TypeId(self.type_id),
            name: self.name,
            kind,
            required: self.required,
            unique: self.unique_values,
            description: self.description,
            position: i32::try_from(self.position).unwrap_or(i32::MAX),
        })
    }
}

const ATTRIBUTE_COLUMNS: &str =
    "id, type_id, name, definition, required, unique_values, description, position";

/// A write addressed to a schema (or parent type) the tenant does not have.
fn schema_missing() -> StoreError {
    StoreError::NotFound {
        code: "schema_not_found",
        message: "no such schema (or parent type) on this site".into(),
    }
}

/// The name of the attribute every root type gets, and that labels its assets until an admin
/// picks another.
pub const NAME_ATTRIBUTE: &str = "Name";

fn conflict_on_unique(e: StoreError, code: &'static str, message: String) -> StoreError {
    match &e {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict { code, message }
        }
        _ => e,
    }
}

fn definition_json(kind: &AttributeKind) -> Result<String, StoreError> {
    serde_json::to_string(kind).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Bumps the catalog version inside the transaction that changes the catalog.
pub(crate) async fn bump_catalog(
    tx: &mut Tx,
    tenant: TenantId,
    schema: SchemaId,
) -> Result<(), StoreError> {
    let sql = Sql::new(
        "UPDATE asset_schema SET catalog_version = catalog_version + 1, updated_at = $3 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .arg(tenant.0)
    .arg(schema.0)
    .arg(now_millis());
    tx.execute(&sql).await?;
    Ok(())
}

impl Store {
    // ----- schemas -----

    /// Creates a schema with the default statuses. A taken key is a 409, not a 500.
    pub async fn create_schema(
        &self,
        tenant: TenantId,
        key: &SchemaKey,
        draft: &SchemaDraft,
    ) -> Result<Schema, StoreError> {
        let now = now_millis();
        let insert = Sql::new(
            "INSERT INTO asset_schema (tenant_id, schema_key, name, description, users_can_edit, \
             next_number, catalog_version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, 1, $6, $6) RETURNING id",
        )
        .arg(tenant.0)
        .arg(key.as_str())
        .arg(draft.name.trim())
        .arg(draft.description.trim())
        .arg(draft.users_can_edit)
        .arg(now);
        let mut tx = self.db().begin_write().await?;
        let (id,): (i64,) = tx.fetch_one(&insert).await.map_err(|e| {
            conflict_on_unique(
                e,
                "schema_key_taken",
                format!("a schema with key {key} already exists"),
            )
        })?;
        for (position, status) in default_statuses().iter().enumerate() {
            let insert = Sql::new(
                "INSERT INTO asset_status \
                 (tenant_id, schema_id, name, name_lower, category, position) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .arg(tenant.0)
            .arg(id)
            .arg(status.name.as_str())
            .arg(status.name.to_lowercase())
            .arg(status.category.as_str())
            .arg(i64::try_from(position).unwrap_or(0));
            tx.execute(&insert).await?;
        }
        tx.commit().await?;
        self.schema(tenant, SchemaId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt("a schema vanished after insert".into()))
    }

    pub async fn list_schemas(&self, tenant: TenantId) -> Result<Vec<Schema>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM asset_schema WHERE tenant_id = $1 ORDER BY schema_key"
        ))
        .arg(tenant.0);
        let rows: Vec<SchemaRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter()
            .map(|r| r.into_schema().map(|(s, _)| s))
            .collect()
    }

    pub async fn schema(
        &self,
        tenant: TenantId,
        id: SchemaId,
    ) -> Result<Option<Schema>, StoreError> {
        Ok(self.schema_row(tenant, id).await?.map(|(s, _)| s))
    }

    async fn schema_row(
        &self,
        tenant: TenantId,
        id: SchemaId,
    ) -> Result<Option<(Schema, i64)>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM asset_schema WHERE tenant_id = $1 AND id = $2"
        ))
        .arg(tenant.0)
        .arg(id.0);
        let row: Option<SchemaRow> = self.db().fetch_optional(&sql).await?;
        row.map(SchemaRow::into_schema).transpose()
    }

    pub async fn schema_by_key(
        &self,
        tenant: TenantId,
        key: &SchemaKey,
    ) -> Result<Option<Schema>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM asset_schema WHERE tenant_id = $1 AND schema_key = $2"
        ))
        .arg(tenant.0)
        .arg(key.as_str());
        let row: Option<SchemaRow> = self.db().fetch_optional(&sql).await?;
        Ok(row.map(SchemaRow::into_schema).transpose()?.map(|(s, _)| s))
    }

    /// Renames or re-describes a schema. Its key never changes: asset keys are built from it and
    /// are written into Jira issue properties and people's notes.
    pub async fn update_schema(
        &self,
        tenant: TenantId,
        id: SchemaId,
        name: &str,
        description: &str,
        users_can_edit: bool,
    ) -> Result<Option<Schema>, StoreError> {
        let now = now_millis();
        let sql = Sql::new(
            "UPDATE asset_schema SET name = $3, description = $4, users_can_edit = $5, \
             updated_at = $6, catalog_version = catalog_version + 1 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.0)
        .arg(id.0)
        .arg(name.trim())
        .arg(description.trim())
        .arg(users_can_edit)
        .arg(now);
        let changed = self.db().execute(&sql).await?;
        if changed == 0 {
            return Ok(None);
        }
        self.schema(tenant, id).await
    }

    /// Deletes an empty schema. One with types is refused: deleting a schema must not silently
    /// take a fleet of assets with it.
    pub async fn delete_schema(&self, tenant: TenantId, id: SchemaId) -> Result<bool, StoreError> {
        let count = Sql::new(
            "SELECT COUNT(*) FROM asset_type \
             WHERE tenant_id = $1 AND schema_id = $2",
        )
        .arg(tenant.0)
        .arg(id.0);
        let mut tx = self.db().begin_write().await?;
        let (types,): (i64,) = tx.fetch_one(&count).await?;
        if types > 0 {
            return Err(StoreError::Conflict {
                code: "schema_not_empty",
                message: format!("the schema still has {types} asset type(s); delete them first"),
            });
        }
        let statuses = Sql::new("DELETE FROM asset_status WHERE tenant_id = $1 AND schema_id = $2")
            .arg(tenant.0)
            .arg(id.0);
        tx.execute(&statuses).await?;
        let tallies = Sql::new("DELETE FROM asset_tally WHERE tenant_id = $1 AND schema_id = $2")
            .arg(tenant.0)
            .arg(id.0);
        tx.execute(&tallies).await?;
        let views = Sql::new("DELETE FROM saved_view WHERE tenant_id = $1 AND schema_id = $2")
            .arg(tenant.0)
            .arg(id.0);
        tx.execute(&views).await?;
        let schema = Sql::new("DELETE FROM asset_schema WHERE tenant_id = $1 AND id = $2")
            .arg(tenant.0)
            .arg(id.0);
        let deleted = tx.execute(&schema).await? == 1;
        tx.commit().await?;
        Ok(deleted)
    }

    // ----- the cached model -----

    /// The schema's catalog, from this instance's cache when its version is current.
    pub async fn schema_model(
        &self,
        tenant: TenantId,
        id: SchemaId,
    ) -> Result<Option<Arc<SchemaModel>>, StoreError> {
        match self.schema_row(tenant, id).await? {
            Some((schema, version)) => self.model_for(tenant, schema, version).await.map(Some),
            None => Ok(None),
        }
    }

    /// The same, addressed by key: one query for the schema row on every asset request, not two.
    pub async fn schema_model_by_key(
        &self,
        tenant: TenantId,
        key: &SchemaKey,
    ) -> Result<Option<Arc<SchemaModel>>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM asset_schema WHERE tenant_id = $1 AND schema_key = $2"
        ))
        .arg(tenant.0)
        .arg(key.as_str());
        let row: Option<SchemaRow> = self.db().fetch_optional(&sql).await?;
        match row.map(SchemaRow::into_schema).transpose()? {
            Some((schema, version)) => self.model_for(tenant, schema, version).await.map(Some),
            None => Ok(None),
        }
    }

    /// The cached model if it is at `version`, else the catalog loaded afresh.
    async fn model_for(
        &self,
        tenant: TenantId,
        schema: Schema,
        version: i64,
    ) -> Result<Arc<SchemaModel>, StoreError> {
        let id = schema.id;
        if let Some(model) = self.cached_model(tenant, id)
            && model.version == version
        {
            return Ok(model);
        }
        let sql = Sql::new(
            "SELECT id, schema_id, name, category FROM asset_status \
             WHERE tenant_id = $1 AND schema_id = $2 ORDER BY position, id",
        )
        .arg(tenant.0)
        .arg(id.0);
        let statuses: Vec<StatusRow> = self.db().fetch_all(&sql).await?;
        let sql = Sql::new(&format!(
            "SELECT {TYPE_COLUMNS} FROM asset_type \
             WHERE tenant_id = $1 AND schema_id = $2 ORDER BY id"
        ))
        .arg(tenant.0)
        .arg(id.0);
        let types: Vec<TypeRow> = self.db().fetch_all(&sql).await?;
        let text = format!(
            "SELECT {} FROM asset_attribute a WHERE a.tenant_id = $1 AND a.type_id IN \
             (SELECT id FROM asset_type WHERE tenant_id = $1 AND schema_id = $2) \
             ORDER BY a.position, a.id",
            ATTRIBUTE_COLUMNS
                .split(", ")
                .map(|c| format!("a.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let sql = Sql::new(&text).arg(tenant.0).arg(id.0);
        let attributes: Vec<AttributeRow> = self.db().fetch_all(&sql).await?;
        let sql = Sql::new(
            "SELECT checked_out_status_id, available_status_id, installed_attribute_id, \
             request_policy FROM asset_schema WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.0)
        .arg(id.0);
        type PolicyRow = (Option<i64>, Option<i64>, Option<i64>, Option<String>);
        let (checked_out, available, installed, request_policy): PolicyRow =
            self.db().fetch_one(&sql).await?;
        let requests = request_policy
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| {
                    StoreError::Corrupt(format!("schema {} request policy: {e}", id.0))
                })
            })
            .transpose()?;
        let sql = Sql::new(
            "SELECT type_id FROM custody_type WHERE tenant_id = $1 AND schema_id = $2 \
             ORDER BY type_id",
        )
        .arg(tenant.0)
        .arg(id.0);
        let checkoutable: Vec<(i64,)> = self.db().fetch_all(&sql).await?;
        let sql = Sql::new(
            "SELECT type_id FROM licence_type WHERE tenant_id = $1 AND schema_id = $2 \
             ORDER BY type_id",
        )
        .arg(tenant.0)
        .arg(id.0);
        let licensed: Vec<(i64,)> = self.db().fetch_all(&sql).await?;
        let licences = amj_domain::licence::LicencePolicy {
            licensed_types: licensed.into_iter().map(|(t,)| TypeId(t)).collect(),
            installed_attribute: installed.map(AttributeId),
        };
        let sql = Sql::new(
            "SELECT type_id, kind FROM stock_type WHERE tenant_id = $1 AND schema_id = $2 \
             ORDER BY type_id",
        )
        .arg(tenant.0)
        .arg(id.0);
        let stocked: Vec<(i64, String)> = self.db().fetch_all(&sql).await?;
        let mut stock = amj_domain::stock::StockPolicy::default();
        for (type_id, kind) in stocked {
            let list = match amj_domain::stock::StockKind::parse(&kind) {
                Some(amj_domain::stock::StockKind::Consumable) => &mut stock.consumable_types,
                Some(amj_domain::stock::StockKind::Accessory) => &mut stock.accessory_types,
                Some(amj_domain::stock::StockKind::Component) => &mut stock.component_types,
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "type {type_id} has stock kind {kind:?}"
                    )));
                }
            };
            list.push(TypeId(type_id));
        }
        let custody = amj_domain::custody::CustodyPolicy {
            checkoutable_types: checkoutable.into_iter().map(|(t,)| TypeId(t)).collect(),
            checked_out_status: checked_out.map(StatusId),
            available_status: available.map(StatusId),
        };
        let model = Arc::new(SchemaModel {
            schema,
            version,
            statuses: statuses
                .into_iter()
                .map(StatusRow::into_status)
                .collect::<Result<_, _>>()?,
            types: TypeTree::new(types.into_iter().map(AssetType::from).collect()),
            attributes: attributes
                .into_iter()
                .map(AttributeRow::into_def)
                .collect::<Result<_, _>>()?,
            custody,
            licences,
            stock,
            requests,
        });
        self.catalog.models.insert((tenant, id), Arc::clone(&model));
        Ok(model)
    }

    fn cached_model(&self, tenant: TenantId, id: SchemaId) -> Option<Arc<SchemaModel>> {
        self.catalog.models.get(&(tenant, id))
    }

    /// The schema a type belongs to, for routes addressed by type id.
    pub async fn schema_of_type(
        &self,
        tenant: TenantId,
        type_id: TypeId,
    ) -> Result<Option<SchemaId>, StoreError> {
        let sql = Sql::new("SELECT schema_id FROM asset_type WHERE tenant_id = $1 AND id = $2")
            .arg(tenant.0)
            .arg(type_id.0);
        let row: Option<(i64,)> = self.db().fetch_optional(&sql).await?;
        Ok(row.map(|(id,)| SchemaId(id)))
    }

    /// The schema an attribute belongs to, for routes addressed by attribute id.
    pub async fn schema_of_attribute(
        &self,
        tenant: TenantId,
        attribute: AttributeId,
    ) -> Result<Option<SchemaId>, StoreError> {
        let sql = Sql::new(
            "SELECT t.schema_id FROM asset_attribute a JOIN asset_type t ON t.id = a.type_id \
             WHERE a.tenant_id = $1 AND t.tenant_id = $1 AND a.id = $2",
        )
        .arg(tenant.0)
        .arg(attribute.0);
        let row: Option<(i64,)> = self.db().fetch_optional(&sql).await?;
        Ok(row.map(|(id,)| SchemaId(id)))
    }

    // ----- statuses -----

    pub async fn create_status(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        draft: &StatusDraft,
    ) -> Result<Status, StoreError> {
        let name = draft.name.trim();
        let insert = Sql::new(
            "INSERT INTO asset_status \
             (tenant_id, schema_id, name, name_lower, category, position) \
             SELECT $1, $2, $3, $4, $5, (SELECT COALESCE(MAX(position), -1) + 1 \
             FROM asset_status WHERE tenant_id = $1 AND schema_id = $2) \
             WHERE EXISTS (SELECT 1 FROM asset_schema WHERE tenant_id = $1 AND id = $2) \
             RETURNING id, schema_id, name, category",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(name)
        .arg(name.to_lowercase())
        .arg(draft.category.as_str());
        let mut tx = self.db().begin_write().await?;
        let row: Option<StatusRow> = tx.fetch_optional(&insert).await.map_err(|e| {
            conflict_on_unique(
                e,
                "status_name_taken",
                format!("a status named {name:?} already exists"),
            )
        })?;
        let Some(row) = row else {
            return Err(schema_missing());
        };
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await?;
        row.into_status()
    }

    pub async fn update_status(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: StatusId,
        draft: &StatusDraft,
    ) -> Result<Option<Status>, StoreError> {
        let name = draft.name.trim();
        let update = Sql::new(
            "UPDATE asset_status SET name = $4, name_lower = $5, category = $6 \
             WHERE tenant_id = $1 AND schema_id = $2 AND id = $3 \
             RETURNING id, schema_id, name, category",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id.0)
        .arg(name)
        .arg(name.to_lowercase())
        .arg(draft.category.as_str());
        let category = Sql::new(
            "SELECT category FROM asset_status WHERE tenant_id = $1 AND schema_id = $2 AND id = $3",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id.0);
        let mut tx = self.db().begin_write().await?;
        let before: Option<(String,)> = tx.fetch_optional(&category).await?;
        let row: Option<StatusRow> = tx.fetch_optional(&update).await.map_err(|e| {
            conflict_on_unique(
                e,
                "status_name_taken",
                format!("a status named {name:?} already exists"),
            )
        })?;
        let retired = StatusCategory::Retired.as_str();
        if let Some((before,)) = before
            && (before == retired) != (draft.category == StatusCategory::Retired)
        {
            retire_in_place(&mut tx, tenant, schema, id, before != retired).await?;
        }
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await?;
        row.map(StatusRow::into_status).transpose()
    }

    /// Deletes an unused status. One that assets are in (as their status, or as the value of a
    /// status attribute, listed by the caller from the model), or the last one, is refused.
    pub async fn delete_status(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: StatusId,
        status_attributes: &[AttributeId],
    ) -> Result<bool, StoreError> {
        let count = Sql::new("SELECT COUNT(*) FROM asset WHERE tenant_id = $1 AND status_id = $2")
            .arg(tenant.0)
            .arg(id.0);
        let mut tx = self.db().begin_write().await?;
        let (used,): (i64,) = tx.fetch_one(&count).await?;
        let mut used_in_values = 0;
        for attribute in status_attributes {
            let count = Sql::new(
                "SELECT COUNT(*) FROM asset_value \
                 WHERE tenant_id = $1 AND attribute_id = $2 AND v_int = $3",
            )
            .arg(tenant.0)
            .arg(attribute.0)
            .arg(id.0);
            let (n,): (i64,) = tx.fetch_one(&count).await?;
            used_in_values += n;
        }
        if used + used_in_values > 0 {
            return Err(StoreError::Conflict {
                code: "status_in_use",
                message: format!(
                    "{} asset(s) use this status; move them to another status first",
                    used + used_in_values
                ),
            });
        }
        let count = Sql::new(
            "SELECT COUNT(*) FROM asset_status \
             WHERE tenant_id = $1 AND schema_id = $2",
        )
        .arg(tenant.0)
        .arg(schema.0);
        let (count,): (i64,) = tx.fetch_one(&count).await?;
        if count <= 1 {
            return Err(StoreError::Conflict {
                code: "last_status",
                message: "a schema needs at least one status".into(),
            });
        }
        let delete = Sql::new(
            "DELETE FROM asset_status \
             WHERE tenant_id = $1 AND schema_id = $2 AND id = $3",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id.0);
        let deleted = tx.execute(&delete).await? == 1;
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    // ----- types -----

    /// Creates a type. A root type gets a required text attribute "Name" as its label; children
    /// inherit their parent's label.
    pub async fn create_type(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        draft: &AssetTypeDraft,
    ) -> Result<AssetType, StoreError> {
        let now = now_millis();
        let name = draft.name.trim();
        let icon = if draft.icon.is_empty() {
            "generic"
        } else {
            draft.icon.as_str()
        };
        let insert = Sql::new(&format!(
            "INSERT INTO asset_type (tenant_id, schema_id, parent_id, name, name_lower, icon, \
             description, is_abstract, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9 \
             WHERE EXISTS (SELECT 1 FROM asset_schema WHERE tenant_id = $1 AND id = $2) \
             AND ($3 IS NULL OR EXISTS \
             (SELECT 1 FROM asset_type WHERE tenant_id = $1 AND schema_id = $2 AND id = $3)) \
             RETURNING {TYPE_COLUMNS}"
        ))
        .arg(tenant.0)
        .arg(schema.0)
        .arg(draft.parent_id.map(|p| p.0))
        .arg(name)
        .arg(name.to_lowercase())
        .arg(icon)
        .arg(draft.description.trim())
        .arg(draft.is_abstract)
        .arg(now);
        let mut tx = self.db().begin_write().await?;
        let row: Option<TypeRow> = tx.fetch_optional(&insert).await.map_err(|e| {
            conflict_on_unique(
                e,
                "type_name_taken",
                format!("a type named {name:?} already exists in this schema"),
            )
        })?;
        let Some(mut row) = row else {
            return Err(schema_missing());
        };
        if draft.parent_id.is_none() {
            let kind = AttributeKind::Text { regex: None };
            let insert = Sql::new(
                "INSERT INTO asset_attribute (tenant_id, type_id, name, name_lower, definition, \
                 required, unique_values, description, position) \
                 VALUES ($1, $2, $3, $4, $5, TRUE, FALSE, $6, 0) RETURNING id",
            )
            .arg(tenant.0)
            .arg(row.id)
            .arg(NAME_ATTRIBUTE)
            .arg(NAME_ATTRIBUTE.to_lowercase())
            .arg(definition_json(&kind)?)
            .arg("What people call this asset; its label in lists and links.");
            let (attribute_id,): (i64,) = tx.fetch_one(&insert).await?;
            let label = Sql::new(
                "UPDATE asset_type SET label_attribute_id = $3 \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .arg(tenant.0)
            .arg(row.id)
            .arg(attribute_id);
            tx.execute(&label).await?;
            row.label_attribute_id = Some(attribute_id);
        }
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Updates a type's descriptive fields, abstractness, parent and label attribute. The caller
    /// has validated the parent (no cycle, same schema) and the label attribute against the model.
    /// Moving a type that has assets is refused: its assets would silently gain or lose attributes.
    pub async fn update_type(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: TypeId,
        update: &TypeUpdate,
    ) -> Result<Option<AssetType>, StoreError> {
        let now = now_millis();
        let name = update.name.trim();
        let current = Sql::new(
            "SELECT parent_id, is_abstract FROM asset_type \
             WHERE tenant_id = $1 AND schema_id = $2 AND id = $3",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id.0);
        let mut tx = self.db().begin_write().await?;
        let current: Option<(Option<i64>, bool)> = tx.fetch_optional(&current).await?;
        let Some((parent, was_abstract)) = current else {
            return Ok(None);
        };
        let moving = parent != update.parent_id.map(|p| p.0);
        if moving || (update.is_abstract && !was_abstract) {
            let count =
                Sql::new("SELECT COUNT(*) FROM asset WHERE tenant_id = $1 AND type_id = $2")
                    .arg(tenant.0)
                    .arg(id.0);
            let (assets,): (i64,) = tx.fetch_one(&count).await?;
            if assets > 0 {
                return Err(StoreError::Conflict {
                    code: "type_in_use",
                    message: format!(
                        "{assets} asset(s) have this type, so it cannot {}",
                        if moving {
                            "move to another parent"
                        } else {
                            "become abstract"
                        }
                    ),
                });
            }
        }
        let sql = Sql::new(&format!(
            "UPDATE asset_type SET name = $4, name_lower = $5, icon = $6, description = $7, \
             is_abstract = $8, parent_id = $9, label_attribute_id = $10, updated_at = $11 \
             WHERE tenant_id = $1 AND schema_id = $2 AND id = $3 RETURNING {TYPE_COLUMNS}"
        ))
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id.0)
        .arg(name)
        .arg(name.to_lowercase())
        .arg(update.icon.as_str())
        .arg(update.description.trim())
        .arg(update.is_abstract)
        .arg(update.parent_id.map(|p| p.0))
        .arg(update.label_attribute.map(|a| a.0))
        .arg(now);
        let row: Option<TypeRow> = tx.fetch_optional(&sql).await.map_err(|e| {
            conflict_on_unique(
                e,
                "type_name_taken",
                format!("a type named {name:?} already exists in this schema"),
            )
        })?;
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await?;
        Ok(row.map(AssetType::from))
    }

    /// Deletes a type with no child types and no assets (archived ones included: history is kept
    /// forever, so an archived asset still needs its type). The caller refuses a type that
    /// reference attributes point at, from the model.
    pub async fn delete_type(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: TypeId,
    ) -> Result<bool, StoreError> {
        let count = Sql::new(
            "SELECT COUNT(*) FROM asset_type \
             WHERE tenant_id = $1 AND parent_id = $2",
        )
        .arg(tenant.0)
        .arg(id.0);
        let mut tx = self.db().begin_write().await?;
        let (children,): (i64,) = tx.fetch_one(&count).await?;
        if children > 0 {
            return Err(StoreError::Conflict {
                code: "type_has_children",
                message: format!(
                    "the type has {children} child type(s); delete or move them first"
                ),
            });
        }
        let count = Sql::new("SELECT COUNT(*) FROM asset WHERE tenant_id = $1 AND type_id = $2")
            .arg(tenant.0)
            .arg(id.0);
        let (assets,): (i64,) = tx.fetch_one(&count).await?;
        if assets > 0 {
            return Err(StoreError::Conflict {
                code: "type_in_use",
                message: format!("{assets} asset(s) have this type (archived ones included)"),
            });
        }
        let unlabel = Sql::new(
            "UPDATE asset_type SET label_attribute_id = NULL \
             WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.0)
        .arg(id.0);
        tx.execute(&unlabel).await?;
        let attributes = Sql::new(
            "DELETE FROM asset_attribute \
             WHERE tenant_id = $1 AND type_id = $2",
        )
        .arg(tenant.0)
        .arg(id.0);
        tx.execute(&attributes).await?;
        let delete = Sql::new(
            "DELETE FROM asset_type \
             WHERE tenant_id = $1 AND schema_id = $2 AND id = $3",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id.0);
        let deleted = tx.execute(&delete).await? == 1;
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    // ----- attributes -----

    /// Adds an attribute to a type; the caller validated the draft and its name against the tree.
    pub async fn create_attribute(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        type_id: TypeId,
        draft: &AttributeDraft,
    ) -> Result<AttributeDef, StoreError> {
        let name = draft.name.trim();
        let definition = definition_json(&draft.kind)?;
        let insert = Sql::new(&format!(
            "INSERT INTO asset_attribute (tenant_id, type_id, name, name_lower, definition, \
             required, unique_values, description, position) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, (SELECT COALESCE(MAX(position), -1) + 1 \
             FROM asset_attribute WHERE tenant_id = $1 AND type_id = $2) \
             WHERE EXISTS \
             (SELECT 1 FROM asset_type WHERE tenant_id = $1 AND id = $2 AND schema_id = $9) \
             RETURNING {ATTRIBUTE_COLUMNS}"
        ))
        .arg(tenant.0)
        .arg(type_id.0)
        .arg(name)
        .arg(name.to_lowercase())
        .arg(definition)
        .arg(draft.required)
        .arg(draft.unique)
        .arg(draft.description.trim())
        .arg(schema.0);
        let mut tx = self.db().begin_write().await?;
        let row: Option<AttributeRow> = tx.fetch_optional(&insert).await.map_err(|e| {
            conflict_on_unique(
                e,
                "attribute_name_taken",
                format!("the type already has an attribute named {name:?}"),
            )
        })?;
        let Some(row) = row else {
            return Err(StoreError::NotFound {
                code: "type_not_found",
                message: "no such type in this schema".into(),
            });
        };
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await?;
        row.into_def()
    }

    /// Changes an attribute. Changing its kind, or making it unique, is refused while any asset
    /// holds a value for it: existing values were validated under the old rules and the unique
    /// index was not built for them. New rules (regex, bounds, options) apply to later writes.
    pub async fn update_attribute(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: AttributeId,
        draft: &AttributeDraft,
    ) -> Result<Option<AttributeDef>, StoreError> {
        let name = draft.name.trim();
        let definition = definition_json(&draft.kind)?;
        let current = Sql::new(&format!(
            "SELECT {ATTRIBUTE_COLUMNS} FROM asset_attribute WHERE tenant_id = $1 AND id = $2"
        ))
        .arg(tenant.0)
        .arg(id.0);
        let mut tx = self.db().begin_write().await?;
        let current: Option<AttributeRow> = tx.fetch_optional(&current).await?;
        let Some(current) = current else {
            return Ok(None);
        };
        let current = current.into_def()?;
        let kind_changed = std::mem::discriminant(&current.kind)
            != std::mem::discriminant(&draft.kind)
            || current.kind.is_multi() != draft.kind.is_multi();
        if kind_changed || (draft.unique && !current.unique) {
            let count = Sql::new(
                "SELECT COUNT(*) FROM asset_value \
                 WHERE tenant_id = $1 AND attribute_id = $2",
            )
            .arg(tenant.0)
            .arg(id.0);
            let (values,): (i64,) = tx.fetch_one(&count).await?;
            if values > 0 {
                return Err(StoreError::Conflict {
                    code: "attribute_in_use",
                    message: format!(
                        "{values} value(s) exist for this attribute, so its kind cannot change \
                         and it cannot become unique"
                    ),
                });
            }
        }
        if current.unique && !draft.unique {
            let clear = Sql::new(
                "UPDATE asset_value SET v_unique = NULL \
                 WHERE tenant_id = $1 AND attribute_id = $2",
            )
            .arg(tenant.0)
            .arg(id.0);
            tx.execute(&clear).await?;
        }
        let update = Sql::new(&format!(
            "UPDATE asset_attribute SET name = $3, name_lower = $4, definition = $5, \
             required = $6, unique_values = $7, description = $8 \
             WHERE tenant_id = $1 AND id = $2 RETURNING {ATTRIBUTE_COLUMNS}"
        ))
        .arg(tenant.0)
        .arg(id.0)
        .arg(name)
        .arg(name.to_lowercase())
        .arg(definition.as_str())
        .arg(draft.required)
        .arg(draft.unique)
        .arg(draft.description.trim());
        let row: Option<AttributeRow> = tx.fetch_optional(&update).await.map_err(|e| {
            conflict_on_unique(
                e,
                "attribute_name_taken",
                format!("the type already has an attribute named {name:?}"),
            )
        })?;
        bump_catalog(&mut tx, tenant, schema).await?;
        let pattern = |kind: &AttributeKind| match kind {
            AttributeKind::Text { regex } => regex.clone(),
            _ => None,
        };
        let repattern = pattern(&current.kind) != pattern(&draft.kind);
        if repattern {
            crate::rule_breaks::clear(&mut tx, tenant, id).await?;
        }
        tx.commit().await?;
        // The stored values are tested after the change commits, so writes go on meanwhile;
        // the answer waits for the markers, so the dashboard is true once it comes.
        if repattern
            && row.is_some()
            && let Some(new_pattern) = TextPattern::of(&draft.kind)
        {
            self.mark_broken_values(tenant, schema, id, &definition, &new_pattern)
                .await?;
        }
        row.map(AttributeRow::into_def).transpose()
    }

    /// Puts a type's own attributes in the given order (positions 0, 1, …) in one transaction.
    /// `order` must name each of the type's own attributes exactly once: a list made from a stale
    /// read (an attribute added or deleted meanwhile) is refused rather than half applied.
    pub async fn reorder_attributes(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        type_id: TypeId,
        order: &[AttributeId],
    ) -> Result<(), StoreError> {
        let own = Sql::new(
            "SELECT id FROM asset_attribute WHERE tenant_id = $1 AND type_id = $2 ORDER BY id",
        )
        .arg(tenant.0)
        .arg(type_id.0);
        let mut tx = self.db().begin_write().await?;
        let own: Vec<(i64,)> = tx.fetch_all(&own).await?;
        let mut wanted: Vec<i64> = order.iter().map(|a| a.0).collect();
        wanted.sort_unstable();
        let own: Vec<i64> = own.into_iter().map(|(id,)| id).collect();
        if wanted != own {
            return Err(StoreError::Conflict {
                code: "attribute_order_stale",
                message: "the order must name each of the type's own attributes once; reload \
                          the type and try again"
                    .into(),
            });
        }
        for (position, id) in order.iter().enumerate() {
            let update = Sql::new(
                "UPDATE asset_attribute SET position = $3 WHERE tenant_id = $1 AND id = $2",
            )
            .arg(tenant.0)
            .arg(id.0)
            .arg(i64::try_from(position).unwrap_or(i64::MAX));
            tx.execute(&update).await?;
        }
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await
    }

    /// Deletes an attribute and its indexed values. Stored documents keep the old key until the
    /// asset is next written; readers drop keys no attribute owns. A type's label attribute is
    /// refused.
    pub async fn delete_attribute(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: AttributeId,
    ) -> Result<bool, StoreError> {
        let count = Sql::new(
            "SELECT COUNT(*) FROM asset_type \
             WHERE tenant_id = $1 AND label_attribute_id = $2",
        )
        .arg(tenant.0)
        .arg(id.0);
        let mut tx = self.db().begin_write().await?;
        let (labels,): (i64,) = tx.fetch_one(&count).await?;
        if labels > 0 {
            return Err(StoreError::Conflict {
                code: "label_attribute",
                message: "this attribute labels its type's assets; choose another label \
                          attribute first"
                    .into(),
            });
        }
        let values = Sql::new(
            "DELETE FROM asset_value \
             WHERE tenant_id = $1 AND attribute_id = $2",
        )
        .arg(tenant.0)
        .arg(id.0);
        tx.execute(&values).await?;
        crate::rule_breaks::clear(&mut tx, tenant, id).await?;
        let tallies = Sql::new(
            "DELETE FROM asset_tally WHERE tenant_id = $1 AND schema_id = $2 \
             AND dimension IN ('filled', 'ref') AND k1 = $3",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id.0);
        tx.execute(&tallies).await?;
        let delete = Sql::new("DELETE FROM asset_attribute WHERE tenant_id = $1 AND id = $2")
            .arg(tenant.0)
            .arg(id.0);
        let deleted = tx.execute(&delete).await? == 1;
        bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await?;
        Ok(deleted)
    }
}

/// The editable fields of a type, after validation against the schema's tree.
#[derive(Debug, Clone)]
pub struct TypeUpdate {
    pub name: String,
    pub icon: String,
    pub description: String,
    pub is_abstract: bool,
    pub parent_id: Option<TypeId>,
    pub label_attribute: Option<AttributeId>,
}

/// A status moved into (or out of) the Retired category: its assets are retired now (or no
/// longer), as if each had moved, so `retired` and its monthly counter stay true.
async fn retire_in_place(
    tx: &mut Tx,
    tenant: TenantId,
    schema: SchemaId,
    status: StatusId,
    retiring: bool,
) -> Result<(), StoreError> {
    let mut tally = TallyDelta::default();
    if retiring {
        let now = now_millis();
        let retire = Sql::new(
            "UPDATE asset SET retired_at = $3 \
             WHERE tenant_id = $1 AND status_id = $2 AND retired_at IS NULL",
        )
        .arg(tenant.0)
        .arg(status.0)
        .arg(now);
        let moved = tx.execute(&retire).await?;
        tally.add(
            Dimension::Retired,
            month_of_millis(now),
            0,
            i64::try_from(moved).unwrap_or(i64::MAX),
        );
    } else {
        let when = Sql::new(
            "SELECT retired_at FROM asset \
             WHERE tenant_id = $1 AND status_id = $2 AND retired_at IS NOT NULL",
        )
        .arg(tenant.0)
        .arg(status.0);
        let retired: Vec<(i64,)> = tx.fetch_all(&when).await?;
        for (at,) in retired {
            tally.retired_moved(Some(at), None);
        }
        let restore =
            Sql::new("UPDATE asset SET retired_at = NULL WHERE tenant_id = $1 AND status_id = $2")
                .arg(tenant.0)
                .arg(status.0);
        tx.execute(&restore).await?;
    }
    tally.apply(tx, tenant, schema).await
}
