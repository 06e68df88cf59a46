//! Status-page incidents. They belong to the deployment, not to a site, so unlike every other
//! store function these take no tenant: nothing here holds a site's data or names a site.

use super::sql::Sql;
use super::{Store, StoreError};
use amj_ops::status::{Component, Impact, Incident, IncidentStatus, IncidentUpdate};

const COLUMNS: &str =
    "id, title, impact, component, status, alert_rule, opened_at, resolved_at, postmortem";

type IncidentRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
);

fn decode(row: IncidentRow) -> Result<Incident, StoreError> {
    let corrupt = |e: String| StoreError::Corrupt(format!("incident {}: {e}", row.0));
    Ok(Incident {
        id: row.0,
        impact: Impact::parse(&row.2).map_err(corrupt)?,
        component: Component::parse(&row.3).map_err(corrupt)?,
        status: IncidentStatus::parse(&row.4).map_err(corrupt)?,
        title: row.1,
        alert_rule: row.5,
        opened_at: row.6,
        resolved_at: row.7,
        postmortem: row.8,
        updates: Vec::new(),
    })
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        code: "incident_not_found",
        message: format!("there is no incident {id}"),
    }
}

/// The statement that adds one update to an incident's timeline.
fn add_update(incident: i64, at: i64, status: IncidentStatus, message: &str) -> Sql {
    Sql::new(
        "INSERT INTO incident_update (incident_id, at, status, message) VALUES ($1, $2, $3, $4)",
    )
    .arg(incident)
    .arg(at)
    .arg(status.as_str())
    .arg(message)
}

/// A new incident as an operator or an alert opens it.
#[derive(Debug, Clone)]
pub struct NewIncident<'a> {
    pub title: &'a str,
    pub impact: Impact,
    pub component: Component,
    pub status: IncidentStatus,
    pub message: &'a str,
    pub alert_rule: Option<&'a str>,
}

impl Store {
    /// Opens an incident with its first update. For an alert's incident, `None` means the rule
    /// already has one open (another instance opened it first).
    pub async fn open_incident(
        &self,
        new: &NewIncident<'_>,
        at: i64,
    ) -> Result<Option<Incident>, StoreError> {
        let insert = Sql::new(&format!(
            "INSERT INTO incident (title, impact, component, status, alert_rule, opened_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (alert_rule) WHERE resolved_at IS NULL AND alert_rule IS NOT NULL \
             DO NOTHING RETURNING {COLUMNS}"
        ))
        .arg(new.title)
        .arg(new.impact.as_str())
        .arg(new.component.as_str())
        .arg(new.status.as_str())
        .arg(new.alert_rule)
        .arg(at);
        let mut tx = self.db().begin_write().await?;
        let row: Option<IncidentRow> = tx.fetch_optional(&insert).await?;
        if let Some(row) = &row {
            tx.execute(&add_update(row.0, at, new.status, new.message))
                .await?;
        }
        tx.commit().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        self.incident(row.0).await.map(Some)
    }

    /// Adds an update; `Resolved` resolves the incident (and frees its alert rule to open a new
    /// one). A resolved incident takes no more updates: open a new one instead.
    pub async fn update_incident(
        &self,
        id: i64,
        status: IncidentStatus,
        message: &str,
        at: i64,
    ) -> Result<Incident, StoreError> {
        let resolved_at = (status == IncidentStatus::Resolved).then_some(at);
        let update = Sql::new(
            "UPDATE incident SET status = $2, resolved_at = $3 \
             WHERE id = $1 AND resolved_at IS NULL",
        )
        .arg(id)
        .arg(status.as_str())
        .arg(resolved_at);
        let mut tx = self.db().begin_write().await?;
        let changed = tx.execute(&update).await?;
        if changed == 1 {
            tx.execute(&add_update(id, at, status, message)).await?;
        }
        tx.commit().await?;
        if changed == 0 {
            let existing = self.incident(id).await?;
            return Err(StoreError::Conflict {
                code: "incident_resolved",
                message: format!(
                    "incident {} was resolved; open a new incident instead",
                    existing.id
                ),
            });
        }
        self.incident(id).await
    }

    /// The open incident an alert rule opened, if any.
    pub async fn open_alert_incident(&self, rule: &str) -> Result<Option<i64>, StoreError> {
        let sql = Sql::new("SELECT id FROM incident WHERE alert_rule = $1 AND resolved_at IS NULL")
            .arg(rule);
        let row: Option<(i64,)> = self.db().fetch_optional(&sql).await?;
        Ok(row.map(|(id,)| id))
    }

    pub async fn set_postmortem(&self, id: i64, text: &str) -> Result<Incident, StoreError> {
        let sql = Sql::new("UPDATE incident SET postmortem = $2 WHERE id = $1")
            .arg(id)
            .arg(text);
        let changed = self.db().execute(&sql).await?;
        if changed == 0 {
            return Err(not_found(id));
        }
        self.incident(id).await
    }

    pub async fn incident(&self, id: i64) -> Result<Incident, StoreError> {
        let sql = Sql::new(&format!("SELECT {COLUMNS} FROM incident WHERE id = $1")).arg(id);
        let row: Option<IncidentRow> = self.db().fetch_optional(&sql).await?;
        let mut incidents = vec![decode(row.ok_or_else(|| not_found(id))?)?];
        self.attach_updates(&mut incidents).await?;
        incidents.pop().ok_or_else(|| not_found(id))
    }

    /// Every open incident, and those resolved since `since`, newest first.
    pub async fn incidents_since(&self, since: i64) -> Result<Vec<Incident>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM incident WHERE resolved_at IS NULL OR resolved_at >= $1 \
             ORDER BY opened_at DESC, id DESC LIMIT 200"
        ))
        .arg(since);
        let rows: Vec<IncidentRow> = self.db().fetch_all(&sql).await?;
        let mut incidents = rows
            .into_iter()
            .map(decode)
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_updates(&mut incidents).await?;
        Ok(incidents)
    }

    /// Every listed incident's updates (newest first, at most 100 each) in one query: the status
    /// page is public, and a query per incident would let its readers multiply our load.
    async fn attach_updates(&self, incidents: &mut [Incident]) -> Result<(), StoreError> {
        if incidents.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(
            "SELECT incident_id, at, status, message FROM incident_update WHERE incident_id IN ",
        );
        sql.bind_list(incidents.iter().map(|i| i.id));
        sql.push(" ORDER BY incident_id, at DESC, id DESC");
        let rows: Vec<(i64, i64, String, String)> = self.db().fetch_all(&sql).await?;
        let mut by_incident: std::collections::HashMap<i64, Vec<IncidentUpdate>> =
            std::collections::HashMap::new();
        for (incident, at, status, message) in rows {
            let updates = by_incident.entry(incident).or_default();
            if updates.len() < 100 {
                updates.push(IncidentUpdate {
                    at,
                    status: IncidentStatus::parse(&status).map_err(StoreError::Corrupt)?,
                    message,
                });
            }
        }
        for incident in incidents.iter_mut() {
            incident.updates = by_incident.remove(&incident.id).unwrap_or_default();
        }
        Ok(())
    }
}
