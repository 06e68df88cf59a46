//! The Assets field (issue 14, item 9): a Forge custom field type whose value is a list of asset
//! keys, picked within the AQL scope a Jira admin sets per field context.
//!
//! Jira keeps the value and the scope; we keep neither. The scope is read from Jira (the
//! context configuration, as the app) whenever it matters, so a person's browser never decides
//! what is in scope. Forge validates a value only with a Jira expression, which cannot ask us,
//! so the scope is enforced twice: the edit view offers only assets within it (`candidates`),
//! and after every change of the field (`avi:jira:updated:issue`) the value is read back and
//! keys outside the scope, or of no asset, are removed with the app's own field-value write
//! (`review_issue`). The assets the field names are linked to the issue, so each asset lists
//! the issues that chose it and JQL's `assetKeys` finds them on Connect and Forge alike.

use crate::jira::{JiraClient, JiraError};
use crate::query::{self, QueryError, QueryRequest, QueryResult};
use amj_domain::ids::TenantId;
use amj_store::links::IssueRef;
use amj_store::{Store, StoreError, Tenant};
use serde::{Deserialize, Serialize};

/// The scope an admin sets on a context of the field: a schema, and optionally an AQL query
/// within it (`objectType = Laptop AND status = "In stock"`). Jira keeps it as the context's
/// configuration (`view.submit({configuration})` from our context configuration view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldScope {
    /// The schema's key.
    pub schema: String,
    /// Only assets this AQL matches; all of the schema's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aql: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("Jira could not be asked about the Assets field")]
    Jira(#[source] JiraError),
    #[error("the Assets field has no scope here yet: a Jira admin sets it in the field's context")]
    NotConfigured,
    #[error("the Assets field's scope is not valid: {0}")]
    BadScope(String),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<JiraError> for FieldError {
    fn from(e: JiraError) -> Self {
        FieldError::Jira(e)
    }
}

/// A field as `GET /rest/api/3/field` lists it: only what tells ours apart.
#[derive(Debug, Deserialize)]
struct JiraField {
    id: String,
    #[serde(default)]
    schema: Option<JiraFieldSchema>,
}

#[derive(Debug, Deserialize)]
struct JiraFieldSchema {
    /// `ari:cloud:ecosystem::extension/{app}/{environment}/static/{module key}` for a field of
    /// a Forge app's type.
    #[serde(default)]
    custom: Option<String>,
}

/// `GET /rest/api/3/app/field/{field}/context/configuration`: a page of contexts' settings.
#[derive(Debug, Deserialize)]
struct ConfigurationPage {
    values: Vec<ContextConfiguration>,
}

#[derive(Debug, Deserialize)]
struct ContextConfiguration {
    #[serde(default)]
    configuration: Option<serde_json::Value>,
}

/// `PUT /rest/api/3/app/field/{field}/value`.
#[derive(Debug, Serialize)]
struct FieldValueUpdates<'a> {
    updates: [FieldValueUpdate<'a>; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FieldValueUpdate<'a> {
    issue_ids: [i64; 1],
    /// `null` clears the field.
    value: Option<&'a [String]>,
}

/// Whether a Forge field type id names our Assets field type: its module key, and our app when
/// we know our app id (another app may have a type of the same key).
pub fn is_asset_field_type(custom: &str, app: Option<&amj_connect::forge::AppAri>) -> bool {
    let ours = custom.starts_with("ari:cloud:ecosystem::extension/")
        && custom.ends_with(&format!("/static/{}", crate::descriptor::ASSET_FIELD_KEY));
    let app_matches = app.is_none_or(|app| {
        let uuid = app.as_str().trim_start_matches("ari:cloud:ecosystem::app/");
        custom.starts_with(&format!("ari:cloud:ecosystem::extension/{uuid}/"))
    });
    ours && app_matches
}

/// The site's fields of our type (`customfield_N`): an admin may have made several.
pub async fn field_ids(
    jira: &JiraClient,
    tenant: &Tenant,
    app: Option<&amj_connect::forge::AppAri>,
) -> Result<Vec<String>, JiraError> {
    let fields: Vec<JiraField> = jira.get(tenant, "/rest/api/3/field").await?;
    Ok(fields
        .into_iter()
        .filter(|f| {
            f.schema
                .as_ref()
                .and_then(|s| s.custom.as_deref())
                .is_some_and(|c| is_asset_field_type(c, app))
        })
        .map(|f| f.id)
        .collect())
}

/// A field id as Jira names one, so it can go in a path unescaped.
pub fn valid_field_id(id: &str) -> bool {
    id.strip_prefix("customfield_")
        .is_some_and(|n| !n.is_empty() && n.len() <= 12 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The scope of `field` where `issue` is (its context), as the admin set it; `None` when no
/// context applies or none is configured.
pub async fn scope(
    jira: &JiraClient,
    tenant: &Tenant,
    field: &str,
    issue: Option<i64>,
) -> Result<Option<FieldScope>, FieldError> {
    if !valid_field_id(field) {
        return Err(FieldError::BadScope(format!("{field:?} is not a field id")));
    }
    let mut path = format!("/rest/api/3/app/field/{field}/context/configuration");
    if let Some(issue) = issue {
        path.push_str(&format!("?issueId={issue}"));
    }
    let page: ConfigurationPage = match jira.get(tenant, &path).await {
        Ok(page) => page,
        // No such field on the site, or a Connect install, which cannot have one.
        Err(JiraError::Status {
            status: 403 | 404, ..
        }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(configuration) = page.values.into_iter().find_map(|c| c.configuration) else {
        return Ok(None);
    };
    let scope: FieldScope = serde_json::from_value(configuration)
        .map_err(|e| FieldError::BadScope(format!("the context's configuration: {e}")))?;
    Ok(Some(scope))
}

/// An AQL string literal: quoted, with `\` and `"` escaped.
pub fn aql_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The scope's query narrowed by `condition`. The scope's own query is parenthesised, so an
/// `OR` in it cannot widen the result.
pub fn scoped_aql(scope: &FieldScope, condition: &str) -> String {
    match scope
        .aql
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        Some(aql) => format!("({aql}) AND ({condition})"),
        None => condition.to_owned(),
    }
}

/// Assets within the scope whose key is `typed` or whose label contains it, labels in order:
/// what the edit view offers as someone types. Empty `typed` lists the scope from the top.
pub async fn candidates(
    store: &Store,
    jira: &JiraClient,
    tenant: &Tenant,
    current_user: Option<String>,
    scope: &FieldScope,
    typed: &str,
    limit: u32,
) -> Result<QueryResult, FieldError> {
    let typed = typed.trim();
    let condition = if typed.is_empty() {
        "objectId > 0".to_owned()
    } else {
        let label = format!("label LIKE {}", aql_literal(typed));
        // `Key` compares only with something shaped like a key; anything else is a label search.
        match typed
            .to_ascii_uppercase()
            .parse::<amj_domain::schema::AssetKey>()
        {
            Ok(key) => format!("Key = {} OR {label}", aql_literal(&key.to_string())),
            Err(_) => label,
        }
    };
    let request = QueryRequest {
        aql: format!("{} ORDER BY label", scoped_aql(scope, &condition)),
        schema: Some(scope.schema.clone()),
        limit,
        cursor: None,
        include_archived: false,
    };
    Ok(query::run(store, jira, tenant, current_user, &request).await?)
}

/// The assets among `keys` within the scope: a page of them (in key order), or `None` when no
/// key could be one. A string that is not a key of the scope's schema is outside it without a
/// query (it could not be one of its assets), so one stray value cannot stop the rest being
/// checked.
pub async fn among(
    store: &Store,
    jira: &JiraClient,
    tenant: &Tenant,
    scope: &FieldScope,
    keys: &[String],
) -> Result<Option<QueryResult>, FieldError> {
    let candidates: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            k.trim()
                .to_ascii_uppercase()
                .parse::<amj_domain::schema::AssetKey>()
                .ok()
        })
        .filter(|k| k.schema.as_str().eq_ignore_ascii_case(&scope.schema))
        .map(|k| k.to_string())
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let list = candidates
        .iter()
        .map(|k| aql_literal(k))
        .collect::<Vec<_>>()
        .join(", ");
    let request = QueryRequest {
        aql: scoped_aql(scope, &format!("Key IN ({list})")),
        schema: Some(scope.schema.clone()),
        limit: u32::try_from(candidates.len())
            .unwrap_or(u32::MAX)
            .clamp(1, 500),
        cursor: None,
        include_archived: false,
    };
    Ok(Some(query::run(store, jira, tenant, None, &request).await?))
}

/// Which of `keys` name assets within the scope, with their ids.
pub async fn within_scope(
    store: &Store,
    jira: &JiraClient,
    tenant: &Tenant,
    scope: &FieldScope,
    keys: &[String],
) -> Result<Vec<(String, amj_domain::ids::AssetId)>, FieldError> {
    // `None`: no key could be one of the scope's assets.
    Ok(match among(store, jira, tenant, scope, keys).await? {
        Some(found) => found
            .page
            .items
            .iter()
            .map(|a| (a.key.to_string(), a.id))
            .collect(),
        None => Vec::new(),
    })
}

/// What reviewing an issue's Assets fields did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Review {
    /// Keys removed from a field because they are outside its scope or name no asset.
    pub removed: Vec<String>,
    /// Assets newly linked to the issue because a field names them.
    pub linked: usize,
}

/// An issue's value of one field: a list of keys, or nothing.
#[derive(Debug, Deserialize)]
struct IssueFieldValues {
    fields: serde_json::Map<String, serde_json::Value>,
}

/// Which of an issue's fields to review.
#[derive(Debug, Clone, Copy)]
pub enum Touched<'a> {
    /// The fields an update's changelog names.
    Changed(&'a [String]),
    /// All of ours: a new issue, whose values came from the create screen or the portal.
    Created,
}

/// After an issue changed or was created: each of our fields it touched is read back from
/// Jira, keys outside the scope are removed (the app's write, which Jira allows past the
/// field's validation), and the assets it names are linked.
pub async fn review_issue(
    jira: &JiraClient,
    store: &Store,
    app: Option<&amj_connect::forge::AppAri>,
    tenant: TenantId,
    issue: &IssueRef,
    touched: Touched<'_>,
) -> Result<Review, FieldError> {
    let mut review = Review::default();
    if let Touched::Changed(changed) = touched
        && !changed.iter().any(|f| valid_field_id(f))
    {
        return Ok(review);
    }
    let Some(site) = store.tenant(tenant).await? else {
        return Ok(review);
    };
    let ours = field_ids(jira, &site, app).await?;
    let fields: Vec<&String> = match touched {
        Touched::Changed(changed) => changed.iter().filter(|f| ours.contains(f)).collect(),
        Touched::Created => ours.iter().filter(|f| valid_field_id(f)).collect(),
    };
    if fields.is_empty() {
        return Ok(review);
    }
    let list = fields
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let path = format!("/rest/api/3/issue/{}?fields={list}", issue.id);
    let values: IssueFieldValues = match jira.get(&site, &path).await {
        Ok(v) => v,
        // Deleted since: its own event follows.
        Err(JiraError::Status { status: 404, .. }) => return Ok(review),
        Err(e) => return Err(e.into()),
    };
    // Assets already linked to the issue were within the scope when they were chosen (or an
    // agent linked them by hand): they stay, though a scope on status or holder may no longer
    // match them (a laptop chosen "In stock" and since handed out). Only new keys are checked.
    let linked: Vec<String> = store
        .assets_of_issue(tenant, issue.id)
        .await?
        .iter()
        .map(|a| a.key())
        .collect();
    for field in fields {
        let keys: Vec<String> = match values.fields.get(field.as_str()) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if keys.is_empty() {
            continue;
        }
        let Some(scope) = scope(jira, &site, field, Some(issue.id)).await? else {
            // No scope here (none set, the context removed, or Jira would not say): nothing
            // is known to be out of it, so the value is left alone rather than cleared.
            tracing::warn!(
                issue = %issue.key,
                field = %field,
                "the Assets field has no scope for this issue; its value is left unchecked"
            );
            continue;
        };
        let is_linked = |k: &str| linked.iter().any(|l| l.eq_ignore_ascii_case(k.trim()));
        let new: Vec<String> = keys.iter().filter(|k| !is_linked(k)).cloned().collect();
        let kept = within_scope(store, jira, &site, &scope, &new).await?;
        let kept_keys: Vec<String> = keys
            .iter()
            .filter(|k| {
                is_linked(k)
                    || kept
                        .iter()
                        .any(|(kept, _)| kept.eq_ignore_ascii_case(k.trim()))
            })
            .cloned()
            .collect();
        if kept_keys.len() != keys.len() {
            let removed: Vec<String> = keys
                .iter()
                .filter(|k| !kept_keys.contains(k))
                .cloned()
                .collect();
            tracing::warn!(
                issue = %issue.key,
                field = %field,
                removed = ?removed,
                "the Assets field held keys outside its scope; removing them"
            );
            let body = FieldValueUpdates {
                updates: [FieldValueUpdate {
                    issue_ids: [issue.id],
                    value: (!kept_keys.is_empty()).then_some(kept_keys.as_slice()),
                }],
            };
            jira.send(
                &site,
                reqwest::Method::PUT,
                &format!("/rest/api/3/app/field/{field}/value"),
                Some(&body),
            )
            .await?;
            review.removed.extend(removed);
        }
        for (_, asset) in &kept {
            if store.link_issue(tenant, *asset, issue, "app").await? {
                review.linked += 1;
            }
        }
    }
    Ok(review)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_break_out_of_their_quotes() {
        assert_eq!(aql_literal("IT-1"), "\"IT-1\"");
        assert_eq!(aql_literal("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn the_scope_is_parenthesised_so_an_or_cannot_widen_it() {
        let scope = FieldScope {
            schema: "IT".into(),
            aql: Some("objectType = Laptop OR objectType = Monitor".into()),
        };
        assert_eq!(
            scoped_aql(&scope, "Key = \"IT-1\""),
            "(objectType = Laptop OR objectType = Monitor) AND (Key = \"IT-1\")"
        );
        let all = FieldScope {
            schema: "IT".into(),
            aql: Some("  ".into()),
        };
        assert_eq!(scoped_aql(&all, "Key = \"IT-1\""), "Key = \"IT-1\"");
    }

    #[test]
    fn only_our_field_type_is_ours() {
        let app = amj_connect::forge::AppAri::parse("6f2d0c1e-4a7b-4c3d-9e8f-0a1b2c3d4e5f")
            .expect("a valid app id");
        let ours = "ari:cloud:ecosystem::extension/6f2d0c1e-4a7b-4c3d-9e8f-0a1b2c3d4e5f/env/static/asset-field";
        assert!(is_asset_field_type(ours, Some(&app)));
        assert!(is_asset_field_type(ours, None));
        let theirs = "ari:cloud:ecosystem::extension/00000000-4a7b-4c3d-9e8f-0a1b2c3d4e5f/env/static/asset-field";
        assert!(!is_asset_field_type(theirs, Some(&app)));
        assert!(!is_asset_field_type(
            "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
            None
        ));
    }

    #[test]
    fn field_ids_are_checked_before_they_go_in_a_path() {
        assert!(valid_field_id("customfield_10100"));
        assert!(!valid_field_id("customfield_"));
        assert!(!valid_field_id("customfield_1/../x"));
        assert!(!valid_field_id("summary"));
    }
}
