//! Per-site authentication outcomes by hour, shared by every instance and kept a week: what the
//! Connection health panel shows as "the last 24 hours", whichever instance served the requests
//! and whenever it restarted.

use super::sql::Sql;
use super::{Store, StoreError};
use amj_domain::ids::TenantId;

pub const HOUR_MILLIS: i64 = 3_600_000;
/// How long hourly counts are kept.
pub const KEEP_HOURS: i64 = 7 * 24;

/// Counts to add: (site, hour since the epoch, outcome, count).
pub type AuthCount = (TenantId, i64, &'static str, u64);

impl Store {
    /// Adds counts gathered across sites. The one write that spans sites: it only adds numbers
    /// the request path already attributed to each site, and reads nothing back.
    pub async fn add_auth_counts(&self, counts: &[AuthCount]) -> Result<(), StoreError> {
        for chunk in counts.chunks(500) {
            let mut sql =
                Sql::new("INSERT INTO site_auth_hourly (tenant_id, hour, outcome, count) VALUES ");
            for (i, (tenant, hour, outcome, count)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(tenant.0)
                    .push(", ")
                    .bind(*hour)
                    .push(", ")
                    .bind(*outcome)
                    .push(", ")
                    .bind(i64::try_from(*count).unwrap_or(i64::MAX))
                    .push(")");
            }
            sql.push(
                " ON CONFLICT (tenant_id, hour, outcome) DO UPDATE SET count = site_auth_hourly.count + excluded.count",
            );
            sql.one_off();
            self.db().execute(&sql).await?;
        }
        Ok(())
    }

    /// The site's outcomes since `since_hour`, summed: (outcome, count), largest first.
    pub async fn auth_counts_since(
        &self,
        tenant: TenantId,
        since_hour: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = Sql::new(
            "SELECT outcome, CAST(SUM(count) AS BIGINT) AS total FROM site_auth_hourly \
             WHERE tenant_id = $1 AND hour >= $2 GROUP BY outcome ORDER BY total DESC, outcome",
        )
        .arg(tenant.0)
        .arg(since_hour);
        self.db().fetch_all(&sql).await
    }

    /// Drops counts older than a week.
    pub async fn prune_auth_counts(&self, now_hour: i64) -> Result<u64, StoreError> {
        let sql =
            Sql::new("DELETE FROM site_auth_hourly WHERE hour < $1").arg(now_hour - KEEP_HOURS);
        self.db().execute(&sql).await
    }
}
