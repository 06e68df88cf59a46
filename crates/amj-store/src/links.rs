//! Links between assets and Jira issues, and the webhook deliveries that maintain them.
//!
//! Jira is the source of truth for issues; we cache each linked issue's key and summary so lists
//! render without a Jira call, and webhooks keep the cache right (a moved issue changes key, a
//! deleted one drops its links). Deliveries are recorded by `X-Atlassian-Webhook-Identifier`, so a
//! retried delivery is acknowledged and ignored.

use super::assets::record_events;
use super::db::Tx;
use super::sql::Sql;
use super::{Store, StoreError, now_millis};
use amj_domain::HistoryEvent;
use amj_domain::ids::{AssetId, SchemaId, TenantId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueRef {
    pub id: i64,
    pub key: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueLink {
    pub issue_id: i64,
    pub issue_key: String,
    pub issue_summary: String,
    /// Milliseconds since the Unix epoch.
    pub linked_at: i64,
    pub linked_by: String,
}

/// An asset linked to an issue, as the issue glance lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkedAsset {
    pub asset_id: i64,
    pub schema_id: i64,
    pub schema_key: String,
    pub number: i64,
    pub label: String,
    pub archived: bool,
    /// The asset's status, for the glance's lozenges.
    pub status_name: String,
    pub status_category: String,
}

impl LinkedAsset {
    pub fn key(&self) -> String {
        format!("{}-{}", self.schema_key, self.number)
    }

    pub fn schema(&self) -> SchemaId {
        SchemaId(self.schema_id)
    }
}

/// What a webhook delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Applied now; these assets' links changed.
    Applied { assets: Vec<AssetId> },
    /// This delivery id was applied before (a Jira retry); nothing changed.
    Duplicate,
}

impl Store {
    /// Links an asset to an issue; `false` if they were already linked (nothing recorded).
    pub async fn link_issue(
        &self,
        tenant: TenantId,
        asset: AssetId,
        issue: &IssueRef,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let insert = Sql::new(
            "INSERT INTO asset_issue_link \
             (tenant_id, asset_id, issue_id, issue_key, issue_summary, linked_at, linked_by) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE EXISTS (SELECT 1 FROM asset WHERE tenant_id = $1 AND id = $2) \
             ON CONFLICT (tenant_id, asset_id, issue_id) DO NOTHING",
        )
        .arg(tenant.0)
        .arg(asset.0)
        .arg(issue.id)
        .arg(issue.key.as_str())
        .arg(issue.summary.as_str())
        .arg(now)
        .arg(actor);
        let mut tx = self.db().begin_write().await?;
        let linked = tx.execute(&insert).await? == 1;
        if linked {
            let event = HistoryEvent::Linked {
                issue_id: issue.id,
                issue_key: issue.key.clone(),
            };
            record_events(&mut tx, tenant, actor, &[(asset, event)]).await?;
        }
        tx.commit().await?;
        Ok(linked)
    }

    /// Unlinks; `false` if they were not linked.
    pub async fn unlink_issue(
        &self,
        tenant: TenantId,
        asset: AssetId,
        issue_id: i64,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let delete = Sql::new(
            "DELETE FROM asset_issue_link \
             WHERE tenant_id = $1 AND asset_id = $2 AND issue_id = $3 RETURNING issue_key",
        )
        .arg(tenant.0)
        .arg(asset.0)
        .arg(issue_id);
        let mut tx = self.db().begin_write().await?;
        let key: Option<(String,)> = tx.fetch_optional(&delete).await?;
        if let Some((issue_key,)) = &key {
            let event = HistoryEvent::Unlinked {
                issue_id,
                issue_key: issue_key.clone(),
                reason: "unlinked".into(),
            };
            record_events(&mut tx, tenant, actor, &[(asset, event)]).await?;
        }
        tx.commit().await?;
        Ok(key.is_some())
    }

    pub async fn issues_of_asset(
        &self,
        tenant: TenantId,
        asset: AssetId,
    ) -> Result<Vec<IssueLink>, StoreError> {
        let sql = Sql::new(
            "SELECT issue_id, issue_key, issue_summary, linked_at, linked_by FROM asset_issue_link \
             WHERE tenant_id = $1 AND asset_id = $2 ORDER BY linked_at, issue_id",
        )
        .arg(tenant.0)
        .arg(asset.0);
        self.db().fetch_all(&sql).await
    }

    pub async fn assets_of_issue(
        &self,
        tenant: TenantId,
        issue_id: i64,
    ) -> Result<Vec<LinkedAsset>, StoreError> {
        let sql = Sql::new(
            "SELECT a.id AS asset_id, a.schema_id, s.schema_key, a.number, a.label, a.archived, \
             st.name AS status_name, st.category AS status_category \
             FROM asset_issue_link l JOIN asset a ON a.id = l.asset_id \
             JOIN asset_schema s ON s.id = a.schema_id \
             JOIN asset_status st ON st.id = a.status_id \
             WHERE l.tenant_id = $1 AND l.issue_id = $2 AND a.tenant_id = $1 \
             AND s.tenant_id = $1 AND st.tenant_id = $1 ORDER BY s.schema_key, a.number",
        )
        .arg(tenant.0)
        .arg(issue_id);
        self.db().fetch_all(&sql).await
    }

    /// `jira:issue_deleted`: drops the issue's links and records why in each asset's history.
    pub async fn apply_issue_deleted(
        &self,
        tenant: TenantId,
        delivery_id: &str,
        issue_id: i64,
    ) -> Result<DeliveryOutcome, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if !record_delivery(&mut tx, tenant, delivery_id, "jira:issue_deleted", now).await? {
            return Ok(DeliveryOutcome::Duplicate);
        }
        let delete = Sql::new(
            "DELETE FROM asset_issue_link WHERE tenant_id = $1 AND issue_id = $2 \
             RETURNING asset_id, issue_key",
        )
        .arg(tenant.0)
        .arg(issue_id);
        let removed: Vec<(i64, String)> = tx.fetch_all(&delete).await?;
        let events: Vec<(AssetId, HistoryEvent)> = removed
            .into_iter()
            .map(|(asset, issue_key)| {
                let event = HistoryEvent::Unlinked {
                    issue_id,
                    issue_key,
                    reason: "issue deleted in Jira".into(),
                };
                (AssetId(asset), event)
            })
            .collect();
        record_events(&mut tx, tenant, "jira", &events).await?;
        tx.commit().await?;
        Ok(DeliveryOutcome::Applied {
            assets: events.into_iter().map(|(asset, _)| asset).collect(),
        })
    }

    /// `jira:issue_updated`: refreshes the cached key and summary (a move changes the key).
    pub async fn apply_issue_updated(
        &self,
        tenant: TenantId,
        delivery_id: &str,
        issue: &IssueRef,
    ) -> Result<DeliveryOutcome, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if !record_delivery(&mut tx, tenant, delivery_id, "jira:issue_updated", now).await? {
            return Ok(DeliveryOutcome::Duplicate);
        }
        let update = Sql::new(
            "UPDATE asset_issue_link SET issue_key = $3, issue_summary = $4 \
             WHERE tenant_id = $1 AND issue_id = $2 \
             AND (issue_key <> $3 OR issue_summary <> $4) RETURNING asset_id",
        )
        .arg(tenant.0)
        .arg(issue.id)
        .arg(issue.key.as_str())
        .arg(issue.summary.as_str());
        let changed: Vec<(i64,)> = tx.fetch_all(&update).await?;
        tx.commit().await?;
        Ok(DeliveryOutcome::Applied {
            assets: changed.into_iter().map(|(asset,)| AssetId(asset)).collect(),
        })
    }

    /// Forgets deliveries older than `max_age_ms`: Jira retries for hours, not weeks.
    pub async fn prune_webhook_deliveries(&self, max_age_ms: i64) -> Result<u64, StoreError> {
        let cutoff = now_millis() - max_age_ms;
        let sql = Sql::new("DELETE FROM webhook_delivery WHERE received_at < $1").arg(cutoff);
        self.db().execute(&sql).await
    }
}

/// Records a webhook delivery by its identifier, in the transaction that applies it; `false` when
/// it was recorded before (a Jira retry), and the transaction is then dropped unapplied.
async fn record_delivery(
    tx: &mut Tx,
    tenant: TenantId,
    delivery_id: &str,
    event: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let sql = Sql::new(
        "INSERT INTO webhook_delivery (tenant_id, delivery_id, event, received_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, delivery_id) DO NOTHING",
    )
    .arg(tenant.0)
    .arg(delivery_id)
    .arg(event)
    .arg(now);
    Ok(tx.execute(&sql).await? == 1)
}
