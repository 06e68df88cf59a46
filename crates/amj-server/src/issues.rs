//! The issue side of asset links: reading an issue as Jira has it now, and writing the issue
//! properties that make links searchable in JQL and show the glance's badge. Every call goes
//! through the [`JiraClient`] with the site's own credentials, so the same code serves whichever
//! platform the site is reached by.

use crate::jira::JiraClient;
use crate::jira::JiraError;
use crate::jira::payload::{AssetsProperty, GlanceLabel, GlanceStatus, Issue};
use amj_domain::ValidationErrors;
use amj_store::links::IssueRef;
use amj_store::{Store, Tenant};
use serde_json::Value as Json;

/// Why an issue could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("Jira has no issue {0} (or the app cannot see it)")]
    NotFound(String),
    #[error("Jira's issue id is not a number")]
    BadId,
    #[error("Jira could not be asked for the issue")]
    Jira(#[source] JiraError),
}

/// Who is reading an issue through the app, which decides whose permissions apply.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    /// A person through Forge, with their `x-forge-oauth-user` token: Jira answers as them.
    Token(&'a crate::jira::UserToken),
    /// A person with no token of their own (Connect, or Forge without a user token): the app
    /// reads the issue, then asks Jira whether this account may browse it.
    Account(&'a str),
    /// The app itself, or an API token an admin made: the app's own access.
    App,
}

/// The issue as Jira has it now, so the link caches the right key and summary. `issue` is what
/// the client sent: a key (`PROJ-12`) or a numeric id.
///
/// A person only reaches issues they may browse: an issue they may not see is "not found",
/// whether Jira answered as them (a Forge user token) or the app checked their
/// `BROWSE_PROJECTS` on it (Connect), so its summary is never learned through the app.
pub async fn fetch_issue(
    jira: &JiraClient,
    tenant: &Tenant,
    viewer: Viewer<'_>,
    issue: &Json,
) -> Result<IssueRef, IssueError> {
    let id_or_key = match issue {
        Json::String(s) if !s.trim().is_empty() => s.trim().to_owned(),
        Json::Number(n) if n.as_i64().is_some() => n.to_string(),
        _ => {
            return Err(IssueError::Invalid(ValidationErrors::single(
                "issue",
                "format",
                "issue: give an issue key like PROJ-12 or a numeric issue id",
            )));
        }
    };
    // Only key and id characters reach the URL path.
    if !id_or_key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(IssueError::Invalid(ValidationErrors::single(
            "issue",
            "format",
            format!("issue: {id_or_key:?} is not an issue key or id"),
        )));
    }
    let as_user = match viewer {
        Viewer::Token(token) => Some(token),
        Viewer::Account(_) | Viewer::App => None,
    };
    let issue: Issue = jira
        .get_as(
            tenant,
            as_user,
            &format!("/rest/api/3/issue/{id_or_key}?fields=summary"),
        )
        .await
        .map_err(|e| match e {
            JiraError::Status { status: 404, .. } => IssueError::NotFound(id_or_key.clone()),
            other => IssueError::Jira(other),
        })?;
    let id = issue.id.value().ok_or(IssueError::BadId)?;
    if let Viewer::Account(account_id) = viewer
        && !may_browse(jira, tenant, account_id, id).await?
    {
        return Err(IssueError::NotFound(id_or_key));
    }
    Ok(IssueRef {
        id,
        key: issue.key,
        summary: issue.fields.summary,
    })
}

/// Whether `account_id` holds `BROWSE_PROJECTS` on the issue, asked with the app's credentials
/// (`permissions/check` answers for any account given).
async fn may_browse(
    jira: &JiraClient,
    tenant: &Tenant,
    account_id: &str,
    issue_id: i64,
) -> Result<bool, IssueError> {
    use crate::jira::payload::{IssuePermissions, IssuePermissionsAnswer, IssuePermissionsCheck};
    const BROWSE: &str = "BROWSE_PROJECTS";
    let check = IssuePermissionsCheck {
        account_id,
        project_permissions: [IssuePermissions {
            permissions: &[BROWSE],
            issues: &[issue_id],
        }],
    };
    let answer: IssuePermissionsAnswer = jira
        .call(
            tenant,
            reqwest::Method::POST,
            "/rest/api/3/permissions/check",
            Some(&check),
        )
        .await
        .map_err(IssueError::Jira)?;
    Ok(answer
        .project_permissions
        .iter()
        .any(|grant| grant.permission == BROWSE && grant.issues.contains(&issue_id)))
}

/// Writes the issue's `assets` entity property (the keys of its linked assets, and of those
/// ever checked out for it), which the descriptor declares indexed so people can search
/// `issue.property[assets].keys = "IT-42"` or `assetsHandedOut = "IT-42"`, and the glance's
/// badge. Both lists are written every time: the property is one document. A failure is
/// reported, not fatal: the link or the check-out is ours and is already saved.
pub async fn sync_issue_property(
    jira: &JiraClient,
    store: &Store,
    app_key: &str,
    tenant: &Tenant,
    issue_id: i64,
    issue_key: &str,
) -> bool {
    let keys: Vec<String> = match store.assets_of_issue(tenant.id, issue_id).await {
        Ok(assets) => assets.iter().map(|a| a.key()).collect(),
        Err(_) => return false,
    };
    let handed_out = match store
        .handed_out_keys(tenant.id, &issue_key.to_uppercase())
        .await
    {
        Ok(keys) => keys,
        Err(_) => return false,
    };
    // An empty list rather than a DELETE when the last asset is unlinked: deleting a property
    // needs the DELETE scope, which the app does not ask for.
    let count = keys.len();
    let path = format!("/rest/api/3/issue/{issue_id}/properties/assets");
    let result = jira
        .send(
            tenant,
            reqwest::Method::PUT,
            &path,
            Some(&AssetsProperty {
                keys: &keys,
                handed_out: &handed_out,
            }),
        )
        .await;
    // The glance's label: Jira shows a badge from this property next to "Assets" on the issue.
    let glance = format!(
        "/rest/api/3/issue/{issue_id}/properties/com.atlassian.jira.issue:{app_key}:{}:status",
        crate::descriptor::ISSUE_GLANCE_KEY
    );
    let badge = jira
        .send(
            tenant,
            reqwest::Method::PUT,
            &glance,
            Some(&GlanceStatus {
                kind: "badge",
                value: GlanceLabel {
                    label: count.to_string(),
                },
            }),
        )
        .await;
    match result.and(badge) {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(tenant = %tenant.client_key, issue_id, error = %e, "could not write the issue's asset properties");
            false
        }
    }
}

/// Why a JQL search found no answer.
#[derive(Debug, thiserror::Error)]
pub enum JqlError {
    /// Jira's 400: the JQL is wrong, in Jira's own words (the user's to fix).
    #[error("Jira rejected the JQL: {0}")]
    Rejected(String),
    #[error("the JQL matches more than {0} issues")]
    TooMany(usize),
    #[error(transparent)]
    Jira(JiraError),
}

/// The issues a JQL query finds, as (id, key), with the app's access, at most `limit` (more is
/// an error: the caller narrows the JQL rather than getting a silently cut answer).
pub async fn search_issues(
    jira: &JiraClient,
    tenant: &Tenant,
    jql: &str,
    limit: usize,
) -> Result<Vec<(Option<i64>, Option<String>)>, JqlError> {
    use crate::jira::payload::{Search, SearchPage};
    let mut found = Vec::new();
    let mut next_page: Option<String> = None;
    loop {
        let search = Search {
            jql,
            fields: &["id", "key"],
            max_results: 100,
            next_page_token: next_page.as_deref(),
        };
        let answer: SearchPage = match jira
            .call(
                tenant,
                reqwest::Method::POST,
                "/rest/api/3/search/jql",
                Some(&search),
            )
            .await
        {
            Ok(answer) => answer,
            Err(JiraError::Status { status: 400, body }) => {
                let message = serde_json::from_str::<Json>(&body)
                    .ok()
                    .and_then(|b| {
                        b["errorMessages"].as_array().map(|m| {
                            m.iter()
                                .filter_map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                    })
                    .filter(|m| !m.is_empty())
                    .unwrap_or(body);
                return Err(JqlError::Rejected(message));
            }
            Err(other) => return Err(JqlError::Jira(other)),
        };
        found.extend(
            answer
                .issues
                .into_iter()
                .map(|issue| (issue.id.value(), issue.key)),
        );
        if found.len() > limit {
            return Err(JqlError::TooMany(limit));
        }
        next_page = answer.next_page_token;
        if answer.is_last.unwrap_or(true) || next_page.is_none() {
            break;
        }
    }
    Ok(found)
}
