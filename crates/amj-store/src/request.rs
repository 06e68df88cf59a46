//! Requests approved in Jira: the schema's approval policy (`asset_schema.request_policy`).
//! The requests themselves come next (issue 14, item 6); see `amj_domain::request` for the
//! rules they follow.

use super::sql::Sql;
use super::{Store, StoreError};
use amj_domain::ids::{SchemaId, TenantId};

impl Store {
    /// Sets or clears (`None`) a schema's request approval policy (validated by the caller),
    /// bumping the catalog so every instance applies it from its next request.
    pub async fn set_request_policy(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        policy: Option<&amj_domain::request::ApprovalPolicy>,
    ) -> Result<(), StoreError> {
        let text = policy
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.db().begin_write().await?;
        let update = Sql::new(
            "UPDATE asset_schema SET request_policy = $3 WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(text);
        tx.execute(&update).await?;
        super::catalog::bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await
    }
}
