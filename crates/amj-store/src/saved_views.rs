//! Saved views of the asset list (table `saved_view`): a person's own, and those shared with the
//! site. Who may change which is the server's rule; the store only keeps a person's views out of
//! another person's reach by always filtering on the owner for personal views.

use super::sql::Sql;
use super::{Store, StoreError, now_millis};
use amj_domain::ids::{SchemaId, TenantId};
use amj_domain::view::{SavedViewDraft, ViewSort};

#[derive(Debug, Clone, PartialEq)]
pub struct SavedView {
    pub id: i64,
    pub owner: String,
    pub shared: bool,
    pub name: String,
    pub aql: String,
    pub columns: Vec<String>,
    pub sort: Option<ViewSort>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct ViewRow {
    id: i64,
    owner: String,
    shared: bool,
    name: String,
    aql: String,
    columns: String,
    sort: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const VIEW_COLUMNS: &str = "id, owner, shared, name, aql, columns, sort, created_at, updated_at";

impl ViewRow {
    fn into_view(self) -> Result<SavedView, StoreError> {
        let columns: Vec<String> = serde_json::from_str(&self.columns)
            .map_err(|e| StoreError::Corrupt(format!("view {} columns: {e}", self.id)))?;
        let sort =
            match self.sort {
                Some(text) => Some(ViewSort::from_stored(&text).ok_or_else(|| {
                    StoreError::Corrupt(format!("view {} sort {text:?}", self.id))
                })?),
                None => None,
            };
        Ok(SavedView {
            id: self.id,
            owner: self.owner,
            shared: self.shared,
            name: self.name,
            aql: self.aql,
            columns,
            sort,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn name_taken(e: StoreError, draft: &SavedViewDraft) -> StoreError {
    match &e {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict {
                code: "view_name_taken",
                message: format!(
                    "{} view named {:?} exists already; choose another name",
                    if draft.shared {
                        "a shared"
                    } else {
                        "one of your"
                    },
                    draft.name
                ),
            }
        }
        _ => e,
    }
}

fn columns_json(draft: &SavedViewDraft) -> Result<String, StoreError> {
    serde_json::to_string(&draft.columns).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// The views `viewer` sees in a schema: their own, then the shared ones, each by name.
    /// Without a viewer (an API token) only the shared ones.
    pub async fn saved_views(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        viewer: Option<&str>,
    ) -> Result<Vec<SavedView>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {VIEW_COLUMNS} FROM saved_view WHERE tenant_id = $1 AND schema_id = $2 \
             AND (shared OR owner = $3) ORDER BY shared, name_lower, id"
        ))
        .arg(tenant.0)
        .arg(schema.0)
        .arg(viewer.unwrap_or(""));
        let rows: Vec<ViewRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter()
            .filter(|r| r.shared || viewer.is_some())
            .map(ViewRow::into_view)
            .collect()
    }

    /// One view, if `viewer` may see it (their own, or shared).
    pub async fn saved_view(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: i64,
        viewer: Option<&str>,
    ) -> Result<Option<SavedView>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {VIEW_COLUMNS} FROM saved_view WHERE tenant_id = $1 AND schema_id = $2 \
             AND id = $3 AND (shared OR owner = $4)"
        ))
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id)
        .arg(viewer.unwrap_or(""));
        let row: Option<ViewRow> = self.db().fetch_optional(&sql).await?;
        row.filter(|r| r.shared || viewer.is_some())
            .map(ViewRow::into_view)
            .transpose()
    }

    /// Saves a validated view for `owner`.
    pub async fn create_saved_view(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        owner: &str,
        draft: &SavedViewDraft,
    ) -> Result<SavedView, StoreError> {
        let now = now_millis();
        let sql = Sql::new(&format!(
            "INSERT INTO saved_view (tenant_id, schema_id, owner, shared, name, name_lower, aql, \
             columns, sort, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {VIEW_COLUMNS}"
        ))
        .arg(tenant.0)
        .arg(schema.0)
        .arg(owner)
        .arg(draft.shared)
        .arg(draft.name.as_str())
        .arg(draft.name.to_lowercase())
        .arg(draft.aql.as_str())
        .arg(columns_json(draft)?)
        .arg(draft.sort.as_ref().map(ViewSort::to_stored))
        .arg(now);
        let mut tx = self.db().begin_write().await?;
        let row: ViewRow = tx.fetch_one(&sql).await.map_err(|e| name_taken(e, draft))?;
        tx.commit().await?;
        row.into_view()
    }

    /// Replaces a view's content (the caller checked who may); `None` when it does not exist.
    pub async fn update_saved_view(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: i64,
        draft: &SavedViewDraft,
    ) -> Result<Option<SavedView>, StoreError> {
        let sql = Sql::new(&format!(
            "UPDATE saved_view SET shared = $4, name = $5, name_lower = $6, aql = $7, \
             columns = $8, sort = $9, updated_at = $10 \
             WHERE tenant_id = $1 AND schema_id = $2 AND id = $3 RETURNING {VIEW_COLUMNS}"
        ))
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id)
        .arg(draft.shared)
        .arg(draft.name.as_str())
        .arg(draft.name.to_lowercase())
        .arg(draft.aql.as_str())
        .arg(columns_json(draft)?)
        .arg(draft.sort.as_ref().map(ViewSort::to_stored))
        .arg(now_millis());
        let mut tx = self.db().begin_write().await?;
        let row: Option<ViewRow> = tx
            .fetch_optional(&sql)
            .await
            .map_err(|e| name_taken(e, draft))?;
        tx.commit().await?;
        row.map(ViewRow::into_view).transpose()
    }

    /// Deletes a view (the caller checked who may); whether it existed.
    pub async fn delete_saved_view(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: i64,
    ) -> Result<bool, StoreError> {
        let sql =
            Sql::new("DELETE FROM saved_view WHERE tenant_id = $1 AND schema_id = $2 AND id = $3")
                .arg(tenant.0)
                .arg(schema.0)
                .arg(id);
        let mut tx = self.db().begin_write().await?;
        let deleted = tx.execute(&sql).await? == 1;
        tx.commit().await?;
        Ok(deleted)
    }
}
