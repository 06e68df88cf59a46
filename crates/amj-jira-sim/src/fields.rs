//! Custom fields of the app's Forge field types (`jira:customFieldType`), as Jira keeps them:
//! one field per type, a value per issue that people change through the type's Custom UI edit
//! view (`view.submit`), one context whose configuration an admin sets through the type's
//! `contextConfig` view, and the REST resources only the owning Forge app may call: the value
//! update (`PUT /rest/api/3/app/field/{field}/value`) and the context configuration read.
//!
//! Jira learns the types from the deployed manifest, not from the Connect descriptor, so the
//! simulator is told of them with [`Sim::deploy_forge_manifest`], as `forge deploy` tells Jira.

use crate::data::ForgeField;
use crate::sim::{Sim, SimError};
use amj_connect::forge::manifest::Manifest;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The first custom field id the simulator gives out: Jira's own fields come before.
const FIRST_FIELD: u32 = 10_100;
/// Jira keeps at most this many values in a list field of an app type.
pub const MAX_VALUES: usize = 100;
/// Jira's limit for one string value.
pub const MAX_VALUE_LEN: usize = 255;
/// The one context of each field: global, for every project.
pub const CONTEXT_ID: &str = "10300";

/// The fields of a manifest's custom field types.
pub fn fields_of(manifest: &Manifest) -> Vec<ForgeField> {
    manifest
        .modules
        .custom_field_type
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let number = FIRST_FIELD + u32::try_from(i).unwrap_or(0);
            ForgeField {
                module_key: t.key.clone(),
                name: t.name.clone(),
                id: format!("customfield_{number}"),
                number,
                list: t.collection == "list",
                view_resource: t.view.resource.is_some(),
            }
        })
        .collect()
}

/// A value as Jira accepts it for a string field: `null` clears it; a list field takes a list of
/// up to [`MAX_VALUES`] strings, each 1 to [`MAX_VALUE_LEN`] characters. Jira answers anything
/// else with a 400 naming the field.
pub fn check_value(field: &ForgeField, value: &Value) -> Result<Option<Value>, String> {
    let string_ok = |v: &Value| {
        v.as_str()
            .is_some_and(|s| !s.is_empty() && s.chars().count() <= MAX_VALUE_LEN)
    };
    match value {
        Value::Null => Ok(None),
        Value::Array(items) if field.list => {
            if items.len() > MAX_VALUES {
                return Err(format!(
                    "{}: at most {MAX_VALUES} values are allowed.",
                    field.name
                ));
            }
            if !items.iter().all(string_ok) {
                return Err(format!(
                    "{}: each value must be a string of 1 to {MAX_VALUE_LEN} characters.",
                    field.name
                ));
            }
            Ok((!items.is_empty()).then(|| value.clone()))
        }
        v if !field.list && string_ok(v) => Ok(Some(v.clone())),
        _ => Err(format!(
            "{}: the value must be {}.",
            field.name,
            if field.list {
                "a list of strings"
            } else {
                "a string"
            }
        )),
    }
}

/// How the changelog shows a value: the formatter's join.
fn shown(value: Option<&Value>) -> Value {
    match value {
        None => Value::Null,
        Some(Value::Array(items)) => Value::String(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(other) => Value::String(other.as_str().unwrap_or_default().to_owned()),
    }
}

/// Writes a checked value of `field` on the issue with id `issue_id`: `None` when it changes
/// nothing; otherwise the issue, its `updated` moved on, and the changelog of the change, as
/// Jira sends them with "issue updated".
fn write_value(
    data: &mut crate::data::SiteData,
    issue_id: &str,
    field: &ForgeField,
    value: Option<Value>,
    base_url: &str,
) -> Option<(Value, Value)> {
    let at = (issue_id.to_owned(), field.id.clone());
    let old = match &value {
        Some(v) => data.field_values.insert(at, v.clone()),
        None => data.field_values.remove(&at),
    };
    if old == value {
        return None;
    }
    let issue = data.issues.iter_mut().find(|i| i.id == issue_id)?;
    issue.updated = crate::data::now_millis().max(issue.updated + 1);
    let issue = issue.clone();
    let changelog = json!({"items": [{
        "field": field.name,
        "fieldId": field.id,
        "fieldtype": "custom",
        "from": null,
        "fromString": shown(old.as_ref()),
        "to": null,
        "toString": shown(value.as_ref()),
    }]});
    Some((data.issue_json(&issue, base_url), changelog))
}

/// The field as `GET /rest/api/3/field` lists it. `schema.custom` names the app's type as Forge
/// does: `ari:cloud:ecosystem::extension/{app}/{environment}/static/{module key}`.
pub fn field_json(field: &ForgeField, app_id: &str) -> Value {
    json!({
        "id": field.id,
        "key": field.id,
        "name": field.name,
        "custom": true,
        "orderable": true,
        "navigable": true,
        "searchable": true,
        "clauseNames": [format!("cf[{}]", field.number), field.name],
        "schema": {
            "type": if field.list { "array" } else { "string" },
            "items": if field.list { Some("string") } else { None },
            "custom": format!(
                "ari:cloud:ecosystem::extension/{}/{}/static/{}",
                app_id.trim_start_matches("ari:cloud:ecosystem::app/"),
                crate::forge_host::SIM_FORGE_ENVIRONMENT,
                field.module_key
            ),
            "customId": field.number,
        },
    })
}

impl Sim {
    /// `forge deploy`: Jira learns the app's custom field types from its manifest and, here,
    /// creates one field of each.
    pub fn deploy_forge_manifest(&self, manifest: &Manifest) {
        self.set_forge_fields(fields_of(manifest));
    }

    /// The field with this id (`customfield_10100`) or JQL number.
    pub fn forge_field(&self, id: &str) -> Option<ForgeField> {
        self.forge_fields()
            .into_iter()
            .find(|f| f.id == id || f.number.to_string() == id)
    }

    /// A person saves the field on an issue (the edit view's `view.submit`): the value is checked
    /// as Jira checks it, kept, the issue's `updated` moves, and "issue updated" goes to the app
    /// with the change in its changelog.
    pub async fn set_field_value(
        &self,
        site: &str,
        issue_key: &str,
        field_id: &str,
        value: &Value,
    ) -> Result<Vec<u16>, SimError> {
        let record = self.site(site)?;
        let field = self
            .forge_field(field_id)
            .ok_or_else(|| SimError::InvalidValue(format!("no field {field_id:?}")))?;
        let value = check_value(&field, value).map_err(SimError::InvalidValue)?;
        let changed = self
            .with_data(site, |d| {
                let id = d.issue(issue_key)?.id.clone();
                Some(write_value(d, &id, &field, value, &record.base_url))
            })
            .flatten()
            .ok_or_else(|| SimError::UnknownSite(format!("{site}/{issue_key}")))?;
        match changed {
            Some((issue, changelog)) => self.send_issue_updated(site, issue, changelog).await,
            None => Ok(Vec::new()),
        }
    }

    /// A customer chose a value on the portal's request form (the edit view's `view.submit`
    /// with `renderContext: portal-request`): kept with the form until the request is raised.
    pub fn set_portal_draft(
        &self,
        site: &str,
        project: &str,
        field_id: &str,
        value: &Value,
    ) -> Result<(), SimError> {
        let field = self
            .forge_field(field_id)
            .ok_or_else(|| SimError::InvalidValue(format!("no field {field_id:?}")))?;
        let value = check_value(&field, value).map_err(SimError::InvalidValue)?;
        let at = (project.to_ascii_uppercase(), field.id.clone());
        self.with_data(site, |d| match value {
            Some(v) => {
                d.portal_drafts.insert(at, v);
            }
            None => {
                d.portal_drafts.remove(&at);
            }
        })
        .ok_or_else(|| SimError::UnknownSite(site.to_owned()))
    }

    /// A customer raises a request on the portal: a new issue in `project` with the summary and
    /// the fields chosen on the form, and "issue created" to the app (a Forge event; Connect's
    /// webhook goes only where the descriptor registered one). Answers the new key.
    pub async fn raise_portal_request(
        &self,
        site: &str,
        project: &str,
        summary: &str,
    ) -> Result<String, SimError> {
        let record = self.site(site)?;
        let project = project.to_ascii_uppercase();
        let summary = summary.trim();
        if summary.is_empty() {
            return Err(SimError::InvalidValue(
                "Summary: you must enter a summary.".into(),
            ));
        }
        let (key, issue) = self
            .with_data(site, |d| {
                let id = d
                    .issues
                    .iter()
                    .filter_map(|i| i.id.parse::<u64>().ok())
                    .max()
                    .unwrap_or(10_000)
                    + 1;
                let number = d.issues.iter().filter(|i| i.project_key == project).count() + 1;
                let issue = crate::data::Issue {
                    id: id.to_string(),
                    key: format!("{project}-{number}"),
                    summary: summary.to_owned(),
                    project_key: project.clone(),
                    status: "To Do".to_owned(),
                    assignee: None,
                    updated: crate::data::now_millis(),
                };
                let drafts: Vec<(String, Value)> = d
                    .portal_drafts
                    .iter()
                    .filter(|((p, _), _)| *p == project)
                    .map(|((_, field), v)| (field.clone(), v.clone()))
                    .collect();
                d.portal_drafts.retain(|(p, _), _| *p != project);
                for (field, value) in drafts {
                    d.field_values.insert((issue.id.clone(), field), value);
                }
                d.issues.push(issue.clone());
                (issue.key.clone(), d.issue_json(&issue, &record.base_url))
            })
            .ok_or_else(|| SimError::UnknownSite(site.to_owned()))?;
        if self.runs_forge(site) {
            self.forge_deliver_event(
                site,
                "avi:jira:created:issue",
                json!({"issue": issue}),
                std::time::Duration::from_millis(50),
            )
            .await?;
        } else {
            self.send_webhook(site, "jira:issue_created", &issue, 5)
                .await?;
        }
        Ok(key)
    }

    /// An admin saves the field's context configuration (`contextConfig`'s `view.submit`, whose
    /// payload is `{configuration}`).
    pub fn set_field_configuration(
        &self,
        site: &str,
        field_id: &str,
        payload: &Value,
    ) -> Result<(), SimError> {
        let field = self
            .forge_field(field_id)
            .ok_or_else(|| SimError::InvalidValue(format!("no field {field_id:?}")))?;
        let configuration = payload
            .get("configuration")
            .filter(|c| c.is_object())
            .cloned()
            .ok_or_else(|| {
                SimError::InvalidValue("submit {configuration: {...}} from contextConfig".into())
            })?;
        self.with_data(site, |d| {
            d.field_configurations
                .insert(field.id.clone(), configuration);
        })
        .ok_or_else(|| SimError::UnknownSite(site.to_owned()))
    }
}

/// `…/rest/api/3/app/field/{field}/…` for the owning Forge app. Connect apps get a 403, as Jira
/// answers them ("Connect apps cannot access this REST resource").
pub fn answer_app_field(
    sim: &Sim,
    site: &str,
    method: &str,
    rest: &[&str],
    query: Option<&str>,
    body: &[u8],
) -> (StatusCode, Value, Option<(String, Value, Value)>) {
    let error =
        |status: StatusCode, message: String| (status, json!({"errorMessages": [message]}), None);
    let Some((field_ref, rest)) = rest.split_first() else {
        return error(StatusCode::NOT_FOUND, "No such resource.".into());
    };
    let Some(field) = sim.forge_field(field_ref) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("The custom field {field_ref} was not found."),
        );
    };
    match (method, rest) {
        ("PUT", ["value"]) => {
            #[derive(serde::Deserialize)]
            struct Update {
                #[serde(rename = "issueIds")]
                issue_ids: Vec<Value>,
                value: Value,
            }
            #[derive(serde::Deserialize)]
            struct Updates {
                updates: Vec<Update>,
            }
            let updates: Updates = match serde_json::from_slice(body) {
                Ok(u) => u,
                Err(e) => return error(StatusCode::BAD_REQUEST, format!("Invalid request: {e}")),
            };
            let mut checked = Vec::new();
            for update in updates.updates {
                let value = match check_value(&field, &update.value) {
                    Ok(v) => v,
                    Err(message) => return error(StatusCode::BAD_REQUEST, message),
                };
                for id in update.issue_ids {
                    let id = match &id {
                        Value::Number(n) => n.to_string(),
                        Value::String(s) => s.clone(),
                        _ => return error(StatusCode::BAD_REQUEST, "issueIds: ids only".into()),
                    };
                    checked.push((id, value.clone()));
                }
            }
            let base_url = sim.site(site).map(|s| s.base_url).unwrap_or_default();
            let written = sim.with_data(site, |d| {
                if let Some((missing, _)) = checked.iter().find(|(id, _)| d.issue(id).is_none()) {
                    return Err(format!("Issue {missing} does not exist."));
                }
                let events = checked
                    .into_iter()
                    .filter_map(|(id, value)| write_value(d, &id, &field, value, &base_url))
                    .collect::<Vec<_>>();
                Ok(events)
            });
            match written {
                Some(Ok(events)) => {
                    // Jira sends "issue updated" for each change the app makes, as for people's
                    // (the caller delivers the first; the app's writes here change one issue).
                    let first = events
                        .into_iter()
                        .next()
                        .map(|(issue, changelog)| (site.to_owned(), issue, changelog));
                    (StatusCode::NO_CONTENT, Value::Null, first)
                }
                Some(Err(message)) => error(StatusCode::NOT_FOUND, message),
                None => error(StatusCode::NOT_FOUND, "No such site.".into()),
            }
        }
        ("GET", ["context", "configuration"]) => {
            let issue = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .find(|(k, _)| k == "issueId")
                .map(|(_, v)| v.into_owned());
            let answer = sim.with_data(site, |d| {
                if let Some(issue) = &issue
                    && d.issue(issue).is_none()
                {
                    return Err(format!("Issue {issue} does not exist."));
                }
                let values: Vec<Value> = d
                    .field_configurations
                    .get(&field.id)
                    .map(|configuration| {
                        json!({"id": "10400", "fieldContextId": CONTEXT_ID,
                            "configuration": configuration})
                    })
                    .into_iter()
                    .collect();
                Ok(
                    json!({"startAt": 0, "maxResults": 100, "total": values.len(),
                    "isLast": true, "values": values}),
                )
            });
            match answer {
                Some(Ok(page)) => (StatusCode::OK, page, None),
                Some(Err(message)) => error(StatusCode::NOT_FOUND, message),
                None => error(StatusCode::NOT_FOUND, "No such site.".into()),
            }
        }
        _ => error(
            StatusCode::NOT_FOUND,
            format!("the simulator does not implement {method} app/field/{field_ref}/…"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(list: bool) -> ForgeField {
        ForgeField {
            module_key: "asset-field".into(),
            name: "Assets".into(),
            id: "customfield_10100".into(),
            number: 10_100,
            list,
            view_resource: true,
        }
    }

    #[test]
    fn values_are_checked_as_jira_checks_a_string_list() {
        let list = field(true);
        assert_eq!(
            check_value(&list, &json!(["IT-1"])),
            Ok(Some(json!(["IT-1"])))
        );
        assert_eq!(check_value(&list, &json!([])), Ok(None));
        assert_eq!(check_value(&list, &Value::Null), Ok(None));
        assert!(check_value(&list, &json!("IT-1")).is_err());
        assert!(check_value(&list, &json!([1])).is_err());
        assert!(check_value(&list, &json!([""])).is_err());
        assert!(check_value(&list, &json!(["x".repeat(256)])).is_err());
        let many: Vec<String> = (0..=MAX_VALUES).map(|i| format!("IT-{i}")).collect();
        assert!(
            check_value(&list, &json!(many))
                .unwrap_err()
                .contains("at most 100")
        );
        let single = field(false);
        assert_eq!(
            check_value(&single, &json!("IT-1")),
            Ok(Some(json!("IT-1")))
        );
        assert!(check_value(&single, &json!(["IT-1"])).is_err());
    }

    #[test]
    fn the_field_names_the_apps_type_as_forge_does() {
        let json = field_json(&field(true), "ari:cloud:ecosystem::app/abc");
        assert_eq!(json["schema"]["type"], "array");
        assert_eq!(json["schema"]["items"], "string");
        let custom = json["schema"]["custom"].as_str().unwrap();
        assert!(
            custom.starts_with("ari:cloud:ecosystem::extension/abc/"),
            "{custom}"
        );
        assert!(custom.ends_with("/static/asset-field"), "{custom}");
        assert_eq!(json["clauseNames"][0], "cf[10100]");
    }
}
