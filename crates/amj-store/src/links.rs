//! Links between assets and Jira issues, and the webhook deliveries that maintain them.
//!
//! Jira is the source of truth for issues; we cache each linked issue's key and summary so lists
//! render without a Jira call, and webhooks keep the cache right (a moved issue changes key, a
//! deleted one drops its links). Deliveries are recorded by `X-Atlassian-Webhook-Identifier`, so a
//! retried delivery is acknowledged and ignored.

use super::assets::record_events;
use super::catalog::write_tx;
use super::{Store, StoreError, now_millis, on_db};
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
        let linked = write_tx!(self, tx => {
            let inserted = sqlx::query(
                "INSERT INTO asset_issue_link (tenant_id, asset_id, issue_id, issue_key, issue_summary, linked_at, linked_by) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM asset WHERE tenant_id = $1 AND id = $2) \
                 ON CONFLICT (tenant_id, asset_id, issue_id) DO NOTHING",
            )
            .bind(tenant.0)
            .bind(asset.0)
            .bind(issue.id)
            .bind(&issue.key)
            .bind(&issue.summary)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if inserted {
                record_events(&mut tx, tenant, actor, &[(asset, HistoryEvent::Linked { issue_id: issue.id, issue_key: issue.key.clone() })]).await?;
            }
            inserted
        });
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
        let removed = write_tx!(self, tx => {
            let key: Option<(String,)> = sqlx::query_as(
                "DELETE FROM asset_issue_link WHERE tenant_id = $1 AND asset_id = $2 AND issue_id = $3 RETURNING issue_key",
            )
            .bind(tenant.0)
            .bind(asset.0)
            .bind(issue_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((issue_key,)) = &key {
                record_events(&mut tx, tenant, actor, &[(asset, HistoryEvent::Unlinked { issue_id, issue_key: issue_key.clone(), reason: "unlinked".into() })]).await?;
            }
            key.is_some()
        });
        Ok(removed)
    }

    pub async fn issues_of_asset(
        &self,
        tenant: TenantId,
        asset: AssetId,
    ) -> Result<Vec<IssueLink>, StoreError> {
        Ok(on_db!(self.db(), pool => {
            sqlx::query_as("SELECT issue_id, issue_key, issue_summary, linked_at, linked_by FROM asset_issue_link WHERE tenant_id = $1 AND asset_id = $2 ORDER BY linked_at, issue_id")
                .bind(tenant.0)
                .bind(asset.0)
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn assets_of_issue(
        &self,
        tenant: TenantId,
        issue_id: i64,
    ) -> Result<Vec<LinkedAsset>, StoreError> {
        Ok(on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT a.id AS asset_id, a.schema_id, s.schema_key, a.number, a.label, a.archived, st.name AS status_name, st.category AS status_category \
                 FROM asset_issue_link l JOIN asset a ON a.id = l.asset_id JOIN asset_schema s ON s.id = a.schema_id \
                 JOIN asset_status st ON st.id = a.status_id \
                 WHERE l.tenant_id = $1 AND l.issue_id = $2 AND a.tenant_id = $1 AND s.tenant_id = $1 AND st.tenant_id = $1 ORDER BY s.schema_key, a.number",
            )
            .bind(tenant.0)
            .bind(issue_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// `jira:issue_deleted`: drops the issue's links and records why in each asset's history.
    pub async fn apply_issue_deleted(
        &self,
        tenant: TenantId,
        delivery_id: &str,
        issue_id: i64,
    ) -> Result<DeliveryOutcome, StoreError> {
        let now = now_millis();
        let outcome = write_tx!(self, tx => {
            let first = sqlx::query(
                "INSERT INTO webhook_delivery (tenant_id, delivery_id, event, received_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, delivery_id) DO NOTHING",
            )
            .bind(tenant.0)
            .bind(delivery_id)
            .bind("jira:issue_deleted")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if first {
                let removed: Vec<(i64, String)> = sqlx::query_as(
                    "DELETE FROM asset_issue_link WHERE tenant_id = $1 AND issue_id = $2 RETURNING asset_id, issue_key",
                )
                .bind(tenant.0)
                .bind(issue_id)
                .fetch_all(&mut *tx)
                .await?;
                let events: Vec<(AssetId, HistoryEvent)> = removed
                    .iter()
                    .map(|(asset, key)| (AssetId(*asset), HistoryEvent::Unlinked { issue_id, issue_key: key.clone(), reason: "issue deleted in Jira".into() }))
                    .collect();
                record_events(&mut tx, tenant, "jira", &events).await?;
                DeliveryOutcome::Applied { assets: events.into_iter().map(|(a, _)| a).collect() }
            } else {
                DeliveryOutcome::Duplicate
            }
        });
        Ok(outcome)
    }

    /// `jira:issue_updated`: refreshes the cached key and summary (a move changes the key).
    pub async fn apply_issue_updated(
        &self,
        tenant: TenantId,
        delivery_id: &str,
        issue: &IssueRef,
    ) -> Result<DeliveryOutcome, StoreError> {
        let now = now_millis();
        let outcome = write_tx!(self, tx => {
            let first = sqlx::query(
                "INSERT INTO webhook_delivery (tenant_id, delivery_id, event, received_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, delivery_id) DO NOTHING",
            )
            .bind(tenant.0)
            .bind(delivery_id)
            .bind("jira:issue_updated")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if first {
                let changed: Vec<(i64,)> = sqlx::query_as(
                    "UPDATE asset_issue_link SET issue_key = $3, issue_summary = $4 WHERE tenant_id = $1 AND issue_id = $2 \
                     AND (issue_key <> $3 OR issue_summary <> $4) RETURNING asset_id",
                )
                .bind(tenant.0)
                .bind(issue.id)
                .bind(&issue.key)
                .bind(&issue.summary)
                .fetch_all(&mut *tx)
                .await?;
                DeliveryOutcome::Applied { assets: changed.into_iter().map(|(a,)| AssetId(a)).collect() }
            } else {
                DeliveryOutcome::Duplicate
            }
        });
        Ok(outcome)
    }

    /// Forgets deliveries older than `max_age_ms`: Jira retries for hours, not weeks.
    pub async fn prune_webhook_deliveries(&self, max_age_ms: i64) -> Result<u64, StoreError> {
        let cutoff = now_millis() - max_age_ms;
        Ok(on_db!(self.db(), pool => {
            sqlx::query("DELETE FROM webhook_delivery WHERE received_at < $1")
                .bind(cutoff)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
