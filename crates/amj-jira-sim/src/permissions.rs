//! Jira's permission checks: `GET /rest/api/3/mypermissions` and `POST /rest/api/3/permissions/check`
//! ("Get bulk permissions").
//!
//! The two differ in whom they ask about, and that difference is the point of simulating them.
//! `mypermissions` answers for the caller, and an app's JWT call comes from the app user, a bot that
//! is never a site admin. An app that asks `mypermissions` whether "the user" may administer Jira
//! therefore always hears no. To learn whether a person is a site admin, the app server must call
//! `permissions/check` with that person's `accountId` (Connect apps may do so for any user, without
//! being admins themselves).

use crate::data::{SiteData, project_id};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The built-in global permissions the simulator knows. Site admins hold all of them; ordinary
/// users and the app user hold all but the two administrative ones.
pub const GLOBAL_PERMISSIONS: &[&str] = &[
    "ADMINISTER",
    "SYSTEM_ADMIN",
    "USER_PICKER",
    "CREATE_SHARED_OBJECTS",
    "MANAGE_GROUP_FILTER_SUBSCRIPTIONS",
    "BULK_CHANGE",
];

/// Held only by site admins.
const ADMIN_ONLY: &[&str] = &["ADMINISTER", "SYSTEM_ADMIN", "ADMINISTER_PROJECTS"];

/// The built-in project permissions the simulator knows. Everyone holds them in every project,
/// except `ADMINISTER_PROJECTS`, which only site admins hold.
pub const PROJECT_PERMISSIONS: &[&str] = &[
    "ADMINISTER_PROJECTS",
    "BROWSE_PROJECTS",
    "VIEW_DEV_TOOLS",
    "VIEW_READONLY_WORKFLOW",
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "TRANSITION_ISSUES",
    "SCHEDULE_ISSUES",
    "MOVE_ISSUES",
    "ASSIGN_ISSUES",
    "ASSIGNABLE_USER",
    "RESOLVE_ISSUES",
    "CLOSE_ISSUES",
    "MODIFY_REPORTER",
    "DELETE_ISSUES",
    "LINK_ISSUES",
    "SET_ISSUE_SECURITY",
    "MANAGE_WATCHERS",
    "VIEW_VOTERS_AND_WATCHERS",
    "ADD_COMMENTS",
    "EDIT_ALL_COMMENTS",
    "EDIT_OWN_COMMENTS",
    "DELETE_ALL_COMMENTS",
    "DELETE_OWN_COMMENTS",
    "CREATE_ATTACHMENTS",
    "DELETE_ALL_ATTACHMENTS",
    "DELETE_OWN_ATTACHMENTS",
    "WORK_ON_ISSUES",
    "EDIT_OWN_WORKLOGS",
    "EDIT_ALL_WORKLOGS",
    "DELETE_OWN_WORKLOGS",
    "DELETE_ALL_WORKLOGS",
    "MANAGE_SPRINTS_PERMISSION",
];

/// Whose permissions are asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// The app's bot user: the caller of every app-JWT request.
    App,
    User,
    SiteAdmin,
}

impl Holder {
    fn of(data: &SiteData, account_id: &str) -> Option<Self> {
        if data.site_admins.contains(account_id) {
            Some(Holder::SiteAdmin)
        } else {
            data.user(account_id).map(|_| Holder::User)
        }
    }

    fn has(self, permission: &str) -> bool {
        self == Holder::SiteAdmin || !ADMIN_ONLY.contains(&permission)
    }
}

fn bad_request(message: String) -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, json!({"errorMessages": [message]}))
}

fn kind_of(permission: &str) -> Option<&'static str> {
    if GLOBAL_PERMISSIONS.contains(&permission) {
        Some("GLOBAL")
    } else if PROJECT_PERMISSIONS.contains(&permission) {
        Some("PROJECT")
    } else {
        None
    }
}

/// `GET /rest/api/3/mypermissions?permissions=A,B`: the caller's permissions. For an app's JWT call
/// the caller is the app user, so `ADMINISTER` is always false here, whoever is looking at the app's
/// page. That is why the app must ask `permissions/check` with the user's accountId instead.
pub fn my_permissions(wanted: &str) -> (StatusCode, Value) {
    let wanted: Vec<&str> = wanted
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if wanted.is_empty() {
        return bad_request("The 'permissions' query parameter is required.".into());
    }
    let mut permissions = serde_json::Map::new();
    for permission in wanted {
        let Some(kind) = kind_of(permission) else {
            return bad_request(format!("The permission key '{permission}' is not valid."));
        };
        permissions.insert(
            permission.to_owned(),
            json!({"key": permission, "type": kind, "havePermission": Holder::App.has(permission)}),
        );
    }
    (StatusCode::OK, json!({"permissions": permissions}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkPermissionsRequest {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    global_permissions: Vec<Option<String>>,
    #[serde(default)]
    project_permissions: Vec<BulkProjectPermissions>,
}

#[derive(Deserialize)]
struct BulkProjectPermissions {
    #[serde(default)]
    permissions: Vec<Option<String>>,
    #[serde(default)]
    projects: Vec<Option<Value>>,
    #[serde(default)]
    issues: Vec<Option<Value>>,
}

/// An id given as a number or a numeric string, as Jira accepts both.
fn id_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `POST /rest/api/3/permissions/check`: the global permissions granted to `accountId` (or, when
/// it is absent, to the caller: the app user), and for each requested project permission the
/// listed projects and issues it holds it in. Unknown project and issue ids are ignored, as in
/// Jira; an unknown account or permission key is a 400.
pub fn check(data: &SiteData, app_user: &str, body: &[u8]) -> (StatusCode, Value) {
    let request: BulkPermissionsRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => return bad_request(format!("The request body is not valid: {e}")),
    };
    let holder = match request.account_id.as_deref() {
        None => Holder::App,
        Some(id) if id == app_user => Holder::App,
        Some(id) => match Holder::of(data, id) {
            Some(holder) => holder,
            None => return bad_request(format!("No user found with accountId '{id}'.")),
        },
    };
    let mut global = Vec::new();
    for permission in request.global_permissions.iter().flatten() {
        if !GLOBAL_PERMISSIONS.contains(&permission.as_str()) {
            return bad_request(format!("Unrecognized global permission: {permission}"));
        }
        if holder.has(permission) && !global.contains(permission) {
            global.push(permission.clone());
        }
    }
    let projects: BTreeSet<i64> = data
        .issues
        .iter()
        .filter_map(|i| project_id(&i.project_key).parse().ok())
        .collect();
    let mut grants: BTreeMap<String, (Vec<i64>, Vec<i64>)> = BTreeMap::new();
    for entry in &request.project_permissions {
        let asked_projects: Vec<i64> = entry.projects.iter().flatten().filter_map(id_of).collect();
        let asked_issues: Vec<i64> = entry.issues.iter().flatten().filter_map(id_of).collect();
        if entry.projects.iter().flatten().next().is_none()
            && entry.issues.iter().flatten().next().is_none()
        {
            return bad_request(
                "Project permissions must list at least one project or issue.".into(),
            );
        }
        for permission in entry.permissions.iter().flatten() {
            if permission.is_empty() {
                continue;
            }
            if !PROJECT_PERMISSIONS.contains(&permission.as_str()) {
                return bad_request(format!("Unrecognized project permission: {permission}"));
            }
            if !holder.has(permission) {
                continue;
            }
            let (granted_projects, granted_issues) = grants.entry(permission.clone()).or_default();
            for id in &asked_projects {
                if projects.contains(id) && !granted_projects.contains(id) {
                    granted_projects.push(*id);
                }
            }
            for id in &asked_issues {
                // A project restricted to some people grants nothing on its issues to others.
                let visible = data.issues.iter().any(|i| {
                    i.id == id.to_string()
                        && match (&holder, request.account_id.as_deref()) {
                            (Holder::App, _) | (_, None) => true,
                            (_, Some(account)) => data.can_browse(account, i),
                        }
                });
                if visible && !granted_issues.contains(id) {
                    granted_issues.push(*id);
                }
            }
        }
    }
    let project_grants: Vec<Value> = grants
        .into_iter()
        .filter(|(_, (p, i))| !p.is_empty() || !i.is_empty())
        .map(|(permission, (projects, issues))| {
            json!({"permission": permission, "projects": projects, "issues": issues})
        })
        .collect();
    (
        StatusCode::OK,
        json!({"globalPermissions": global, "projectPermissions": project_grants}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::seed;

    fn site() -> SiteData {
        let mut data = seed("acme");
        data.site_admins.insert("557058:admin".into());
        data.users.push(crate::data::User {
            account_id: "557058:admin".into(),
            display_name: "Morgan Lee".into(),
            email: "morgan@acme.example.com".into(),
            active: true,
        });
        data
    }

    fn check_json(data: &SiteData, body: Value) -> (StatusCode, Value) {
        check(data, "app-user-x", body.to_string().as_bytes())
    }

    #[test]
    fn only_site_admins_administer() {
        let data = site();
        let user = data.users[0].account_id.clone();
        let ask = |account: Option<&str>| {
            let mut body = json!({"globalPermissions": ["ADMINISTER", "USER_PICKER", null]});
            if let Some(account) = account {
                body["accountId"] = json!(account);
            }
            check_json(&data, body)
        };
        assert_eq!(
            ask(Some("557058:admin")),
            (
                StatusCode::OK,
                json!({"globalPermissions": ["ADMINISTER", "USER_PICKER"], "projectPermissions": []})
            )
        );
        for who in [Some(user.as_str()), None, Some("app-user-x")] {
            let (status, body) = ask(who);
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body["globalPermissions"], json!(["USER_PICKER"]), "{who:?}");
        }
        let (status, body) = ask(Some("557058:nobody"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["errorMessages"][0]
                .as_str()
                .unwrap()
                .contains("557058:nobody")
        );
    }

    #[test]
    fn project_permissions_list_known_projects_and_issues() {
        let data = site();
        let user = data.users[1].account_id.clone();
        let (status, body) = check_json(
            &data,
            json!({"accountId": user, "projectPermissions": [
                {"permissions": ["EDIT_ISSUES", "ADMINISTER_PROJECTS", ""], "projects": [10000, "10001", 99], "issues": [10001, 1]},
                {"permissions": ["EDIT_ISSUES", "BROWSE_PROJECTS"], "projects": [], "issues": ["10002"]}
            ]}),
        );
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body["projectPermissions"],
            json!([
                {"permission": "BROWSE_PROJECTS", "projects": [], "issues": [10002]},
                {"permission": "EDIT_ISSUES", "projects": [10000, 10001], "issues": [10001, 10002]}
            ])
        );
        assert_eq!(body["globalPermissions"], json!([]));
    }

    #[test]
    fn bad_requests_are_400_with_error_messages() {
        let data = site();
        for body in [
            json!({"globalPermissions": ["ADMIN"]}),
            json!({"projectPermissions": [{"permissions": ["EDIT_ISSUES"]}]}),
            json!({"projectPermissions": [{"permissions": ["FLY"], "projects": [10000]}]}),
            json!({"globalPermissions": "ADMINISTER"}),
        ] {
            let (status, answer) = check_json(&data, body.clone());
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert!(answer["errorMessages"][0].is_string(), "{answer}");
        }
        assert_eq!(check(&data, "app", b"not json").0, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn mypermissions_answers_for_the_app_user() {
        let (status, body) = my_permissions("BROWSE_PROJECTS,ADMINISTER,EDIT_ISSUES");
        assert_eq!(status, StatusCode::OK);
        let have = |key: &str| body["permissions"][key]["havePermission"].clone();
        assert_eq!(have("BROWSE_PROJECTS"), true);
        assert_eq!(have("EDIT_ISSUES"), true);
        assert_eq!(have("ADMINISTER"), false);
        assert_eq!(body["permissions"]["ADMINISTER"]["type"], "GLOBAL");
        assert_eq!(my_permissions("").0, StatusCode::BAD_REQUEST);
        assert_eq!(my_permissions("BROWSE").0, StatusCode::BAD_REQUEST);
    }
}
