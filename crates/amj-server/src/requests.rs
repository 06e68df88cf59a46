//! Settling requests against their issue's workflow (issue 14, item 6). An issue event is a
//! cue, not the news: the issue's status is read from Jira as it is now, with Jira's
//! `updated` time, and each live request on it is settled against that read
//! (`Store::settle_request`). Repeated cues settle to the same place; a cue handled late reads
//! the current status anyway, and a read older than one already applied changes nothing.

use crate::jira::payload::IssueState;
use crate::jira::{JiraClient, JiraError};
use amj_domain::request::{IssueStatus, StatusCategoryKey};
use amj_store::request::Settled;
use amj_store::{Store, StoreError, Tenant};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// Jira's timestamps: `2026-12-07T17:30:00.000+0000`.
const JIRA_TIME: &[BorrowedFormatItem<'_>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond][offset_hour sign:mandatory][offset_minute]"
);

#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    #[error("Jira could not be asked for the issue's status")]
    Jira(#[source] JiraError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An issue as its requests are settled against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRead {
    pub status: IssueStatus,
    pub key: String,
    /// Jira's `updated`, in ms: orders what is learnt about the issue.
    pub seen: i64,
    /// The keys its Assets fields hold (Forge): an approved request reserves one of these
    /// first when it fits. A portal customer or an agent names the very laptop this way.
    pub assets: Vec<String>,
}

/// The issue's status as Jira has it now, with Jira's `updated` (ms) and the keys in its
/// Assets fields; `None` when Jira has no such issue (deleted: its own event releases its
/// requests).
pub async fn read_status(
    jira: &JiraClient,
    tenant: &Tenant,
    issue_id: i64,
) -> Result<Option<IssueRead>, SettleError> {
    // Our field type's fields on the site (none on Connect). The module key is checked, not the
    // app id: a value is only ever a preference among assets that qualify anyway.
    let fields = crate::asset_field::field_ids(jira, tenant, None)
        .await
        .map_err(SettleError::Jira)?;
    let mut wanted = String::from("status,project,updated");
    for field in fields
        .iter()
        .filter(|f| crate::asset_field::valid_field_id(f))
    {
        wanted.push(',');
        wanted.push_str(field);
    }
    let path = format!("/rest/api/3/issue/{issue_id}?fields={wanted}");
    let issue: IssueState = match jira.get(tenant, &path).await {
        Ok(issue) => issue,
        Err(JiraError::Status { status: 404, .. }) => return Ok(None),
        Err(e) => return Err(SettleError::Jira(e)),
    };
    let category =
        StatusCategoryKey::parse(&issue.fields.status.status_category.key).ok_or_else(|| {
            SettleError::Jira(JiraError::Unexpected(format!(
                "status category {:?}",
                issue.fields.status.status_category.key
            )))
        })?;
    let seen = parse_jira_time(&issue.fields.updated).ok_or_else(|| {
        SettleError::Jira(JiraError::Unexpected(format!(
            "updated {:?}",
            issue.fields.updated
        )))
    })?;
    let assets = fields
        .iter()
        .filter_map(|f| issue.fields.custom.get(f))
        .filter_map(serde_json::Value::as_array)
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Ok(Some(IssueRead {
        status: IssueStatus {
            project: issue.fields.project.key,
            status: issue.fields.status.name,
            category,
        },
        key: issue.key,
        seen,
        assets,
    }))
}

/// Milliseconds since 1970 of a Jira timestamp.
pub fn parse_jira_time(text: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(text, JIRA_TIME).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Settles every live request on the issue against its status now. Asks Jira nothing when the
/// issue has none (most issue events). Returns how many requests moved.
pub async fn settle_issue(
    jira: &JiraClient,
    store: &Store,
    tenant: &Tenant,
    issue_id: i64,
) -> Result<usize, SettleError> {
    let live = store.live_requests_of_issue(tenant.id, issue_id).await?;
    settle_live(jira, store, tenant, issue_id, live).await
}

/// As [`settle_issue`] for a site known by id (the Forge event worker): the site is read only
/// when the issue has live requests, not for every issue event.
pub async fn settle_issue_of(
    jira: &JiraClient,
    store: &Store,
    tenant: amj_domain::ids::TenantId,
    issue_id: i64,
) -> Result<usize, SettleError> {
    let live = store.live_requests_of_issue(tenant, issue_id).await?;
    if live.is_empty() {
        return Ok(0);
    }
    let Some(site) = store.tenant(tenant).await? else {
        return Ok(0);
    };
    settle_live(jira, store, &site, issue_id, live).await
}

async fn settle_live(
    jira: &JiraClient,
    store: &Store,
    tenant: &Tenant,
    issue_id: i64,
    live: Vec<(i64, amj_domain::ids::SchemaId)>,
) -> Result<usize, SettleError> {
    if live.is_empty() {
        return Ok(0);
    }
    let Some(read) = read_status(jira, tenant, issue_id).await? else {
        tracing::info!(
            issue_id,
            "the issue of live requests is gone from Jira; its deletion event releases them"
        );
        let now = amj_store::now_millis();
        for (id, _) in live {
            store.mark_checked(tenant.id, id, now).await?;
        }
        return Ok(0);
    };
    let IssueRead {
        status,
        key,
        seen,
        assets,
    } = read;
    let preferred: Vec<amj_domain::schema::AssetKey> =
        assets.iter().filter_map(|k| k.parse().ok()).collect();
    let mut moved = 0;
    for (id, schema) in live {
        let Some(model) = store.schema_model(tenant.id, schema).await? else {
            continue;
        };
        match store
            .settle_request(
                tenant.id,
                &model,
                id,
                &amj_store::request::IssueSight {
                    status: &status,
                    key: &key,
                    seen,
                    preferred: &preferred,
                },
            )
            .await?
        {
            Settled::Took(amj_domain::request::Step::Nothing) | Settled::Stale => {}
            Settled::Took(step) => {
                tracing::info!(request = id, issue = %key, status = %status.status, ?step, "request settled");
                moved += 1;
            }
        }
    }
    Ok(moved)
}

/// How long a live request may go without its issue being read before the sweep reads it.
pub const SWEEP_AFTER_MS: i64 = 60 * 60 * 1000;

/// How often the sweep looks.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Re-reads the issues of live requests not read since `before`, a page at a time: the
/// backstop for an event that never came (Jira drops webhooks it cannot deliver after its
/// retries). Returns how many issues were read; a site or an issue that fails is logged and
/// left for the next sweep.
pub async fn sweep(jira: &JiraClient, store: &Store, before: i64) -> Result<usize, StoreError> {
    let due = store.issues_unchecked_since(before, 200).await?;
    let mut read = 0;
    for (tenant, issue_id) in due {
        let Some(site) = store.tenant(tenant).await? else {
            continue;
        };
        if !site.installed {
            continue;
        }
        match settle_issue(jira, store, &site, issue_id).await {
            Ok(_) => read += 1,
            Err(e) => {
                tracing::warn!(tenant = %site.client_key, issue_id, error = %e, "could not re-read the issue of live requests; the next sweep tries again");
            }
        }
    }
    Ok(read)
}

/// Runs [`sweep`] every [`SWEEP_EVERY`] until the store closes.
pub fn spawn_sweeper(jira: JiraClient, store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(SWEEP_EVERY);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if store.is_closed() {
                return;
            }
            let before = amj_store::now_millis() - SWEEP_AFTER_MS;
            match sweep(&jira, &store, before).await {
                Ok(0) => {}
                Ok(read) => tracing::info!(read, "re-read the issues of live requests"),
                Err(e) => tracing::warn!(error = %e, "could not look for live requests to re-read"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Busy or unreachable is worth a retry soon (a 503 to Jira's webhook, a queued Forge
    /// event); a refusal or an unreadable answer is not (the sweep reads again later).
    #[test]
    fn only_passing_failures_are_retried_soon() {
        let status = |status| JiraError::Status {
            status,
            body: String::new(),
        };
        for transient in [
            status(429),
            status(500),
            status(503),
            JiraError::Transport("reset".into()),
            JiraError::NoSystemToken,
        ] {
            assert!(transient.is_transient(), "{transient}");
        }
        for lasting in [
            status(403),
            status(404),
            JiraError::Unauthorized,
            JiraError::Unexpected("no status".into()),
            JiraError::HostNotAllowed("evil.example".into()),
        ] {
            assert!(!lasting.is_transient(), "{lasting}");
        }
    }

    #[test]
    fn jira_times_read_to_milliseconds() {
        assert_eq!(
            parse_jira_time("2022-03-07T10:00:00.000+0000"),
            Some(1_646_647_200_000)
        );
        assert_eq!(
            parse_jira_time("2022-03-07T11:00:00.250+0100"),
            Some(1_646_647_200_250)
        );
        assert_eq!(parse_jira_time("2022-03-07"), None);
    }
}
