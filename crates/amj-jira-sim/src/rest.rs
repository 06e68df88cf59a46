//! The Jira REST subset the app calls. Requests reach this module only after `Sim` verified the
//! app's JWT (issuer, current secret, qsh, expiry).

use crate::data::{search, user_json};
use crate::permissions;
use crate::sim::{Sim, Site};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

fn query_param(query: Option<&str>, name: &str) -> Vec<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

fn not_found(what: &str) -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        json!({"errorMessages": [format!("{what} does not exist or you do not have permission to see it.")]}),
    )
}

/// The app user's accountId on `site`: the caller of every app-JWT request.
pub fn app_user_id(site: &Site) -> String {
    format!("app-user-{}", site.client_key)
}

/// Answers one REST call from the app. `acting_as` is the person a Forge user token acts as;
/// `None` is the app itself, which sees every issue.
pub fn answer(
    sim: &Sim,
    site: &Site,
    acting_as: Option<&str>,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    body: &[u8],
) -> (StatusCode, Value) {
    let parts: Vec<&str> = rest.split('/').collect();
    let app_key = sim.app_key();
    let app_user = app_user_id(site);
    // Read before taking the site's data lock, so the two locks are never held together.
    let index = if site.installed {
        sim.issue_property_index()
    } else {
        Vec::new()
    };
    let fields = sim.forge_fields();
    let forge_app = sim
        .forge_installation(&site.name)
        .map(|_| crate::forge_host::SIM_FORGE_APP);
    let result = sim.with_data(&site.name, |data| match (method.as_str(), parts.as_slice()) {
        ("GET", ["api", "3", "myself"]) => match acting_as.and_then(|a| data.user(a)) {
            Some(user) => (StatusCode::OK, user_json(user, &site.base_url)),
            None => (
                StatusCode::OK,
                json!({"accountId": app_user, "accountType": "app", "displayName": "Asset Management for Jira"}),
            ),
        },
        // Jira's own fields are left out: the app looks only for its own.
        ("GET", ["api", "3", "field"]) => (
            StatusCode::OK,
            Value::Array(match forge_app {
                Some(app) => fields.iter().map(|f| crate::fields::field_json(f, app)).collect(),
                None => Vec::new(),
            }),
        ),
        ("GET", ["api", "3", "serverInfo"]) => (StatusCode::OK, json!({"baseUrl": site.base_url, "deploymentType": "Cloud"})),
        ("GET", ["api", "3", "user"]) => {
            let id = query_param(query, "accountId").pop().unwrap_or_default();
            data.user(&id).map_or_else(|| not_found("The user"), |u| (StatusCode::OK, user_json(u, &site.base_url)))
        }
        // Unknown accounts are left out, as Jira does.
        ("GET", ["api", "3", "user", "bulk"]) => {
            let values: Vec<Value> = query_param(query, "accountId").iter().filter_map(|id| data.user(id)).map(|u| user_json(u, &site.base_url)).collect();
            (StatusCode::OK, json!({"startAt": 0, "maxResults": values.len(), "total": values.len(), "isLast": true, "values": values}))
        }
        ("GET", ["api", "3", "user", "search"]) => {
            let q = query_param(query, "query").pop().unwrap_or_default();
            (StatusCode::OK, Value::Array(data.search_users(&q).into_iter().map(|u| user_json(u, &site.base_url)).collect()))
        }
        // Answers for the caller, the app user, so ADMINISTER is false (see `permissions`).
        ("GET", ["api", "3", "mypermissions"]) => permissions::my_permissions(&query_param(query, "permissions").pop().unwrap_or_default()),
        ("POST", ["api", "3", "permissions", "check"]) => permissions::check(data, &app_user, body),
        ("GET" | "POST", ["api", "3", "search", "jql"]) => {
            let jql = if method == Method::POST {
                serde_json::from_slice::<Value>(body).ok().and_then(|b| b.get("jql").and_then(Value::as_str).map(str::to_owned))
            } else {
                query_param(query, "jql").pop()
            };
            match search(data, jql.as_deref().unwrap_or(""), &index, &fields) {
                Ok(issues) => {
                    let issues: Vec<Value> = issues
                        .into_iter()
                        .filter(|i| acting_as.is_none_or(|a| data.can_browse(a, i)))
                        .map(|i| data.issue_json(i, &site.base_url))
                        .collect();
                    (StatusCode::OK, json!({"issues": issues, "isLast": true}))
                }
                Err(message) => (StatusCode::BAD_REQUEST, json!({"errorMessages": [message]})),
            }
        }
        ("GET", ["api", "3", "issue", id]) => match data.issue(id) {
            Some(issue) if acting_as.is_none_or(|a| data.can_browse(a, issue)) => {
                (StatusCode::OK, data.issue_json(issue, &site.base_url))
            }
            _ => not_found("Issue"),
        },
        (_, ["api", "3", "issue", id, "properties", rest @ ..]) => {
            let Some(issue_id) = data.issue(id).map(|i| i.id.clone()) else { return not_found("Issue") };
            match (method.as_str(), rest) {
                ("GET", []) => {
                    let keys: Vec<Value> =
                        data.issue_properties.keys().filter(|(i, _)| *i == issue_id).map(|(_, k)| json!({"key": k})).collect();
                    (StatusCode::OK, json!({"keys": keys}))
                }
                ("GET", [key]) => match data.issue_properties.get(&(issue_id, (*key).to_owned())) {
                    Some(value) => (StatusCode::OK, json!({"key": key, "value": value})),
                    None => not_found("The property"),
                },
                ("PUT", [key]) => match serde_json::from_slice::<Value>(body) {
                    Ok(value) => {
                        let created = data.issue_properties.insert((issue_id, (*key).to_owned()), value).is_none();
                        (if created { StatusCode::CREATED } else { StatusCode::OK }, Value::Null)
                    }
                    Err(_) => (StatusCode::BAD_REQUEST, json!({"errorMessages": ["The property value must be JSON."]})),
                },
                ("DELETE", [key]) => match data.issue_properties.remove(&(issue_id, (*key).to_owned())) {
                    Some(_) => (StatusCode::NO_CONTENT, Value::Null),
                    None => not_found("The property"),
                },
                _ => (StatusCode::METHOD_NOT_ALLOWED, json!({"errorMessages": ["Method not allowed."]})),
            }
        }
        // Only the sim's one dashboard exists; its items are the app's gadgets (`crate::host`).
        (_, ["api", "3", "dashboard", dashboard, "items", item, "properties", rest @ ..]) => {
            if *dashboard != crate::host::DASHBOARD_ID {
                return not_found("The dashboard");
            }
            let at = |key: &str| ((*dashboard).to_owned(), (*item).to_owned(), key.to_owned());
            match (method.as_str(), rest) {
                ("GET", []) => {
                    let keys: Vec<Value> = data
                        .dashboard_item_properties
                        .keys()
                        .filter(|(d, i, _)| d == dashboard && i == item)
                        .map(|(_, _, k)| json!({"key": k}))
                        .collect();
                    (StatusCode::OK, json!({"keys": keys}))
                }
                ("GET", [key]) => match data.dashboard_item_properties.get(&at(key)) {
                    Some(value) => (StatusCode::OK, json!({"key": key, "value": value})),
                    None => not_found("The property"),
                },
                ("PUT", [key]) => match serde_json::from_slice::<Value>(body) {
                    Ok(value) => {
                        let created = data.dashboard_item_properties.insert(at(key), value).is_none();
                        (if created { StatusCode::CREATED } else { StatusCode::OK }, Value::Null)
                    }
                    Err(_) => (StatusCode::BAD_REQUEST, json!({"errorMessages": ["The property value must be JSON."]})),
                },
                ("DELETE", [key]) => match data.dashboard_item_properties.remove(&at(key)) {
                    Some(_) => (StatusCode::NO_CONTENT, Value::Null),
                    None => not_found("The property"),
                },
                _ => (StatusCode::METHOD_NOT_ALLOWED, json!({"errorMessages": ["Method not allowed."]})),
            }
        }
        (_, ["atlassian-connect", "1", "addons", addon, "properties", rest @ ..]) => {
            if *addon != app_key {
                return (StatusCode::NOT_FOUND, json!({"message": "Only the app itself may use its properties."}));
            }
            match (method.as_str(), rest) {
                ("GET", []) => {
                    let keys: Vec<Value> = data.app_properties.keys().filter(|(a, _)| a == addon).map(|(_, k)| json!({"key": k})).collect();
                    (StatusCode::OK, json!({"keys": keys}))
                }
                ("GET", [key]) => match data.app_properties.get(&((*addon).to_owned(), (*key).to_owned())) {
                    Some(value) => (StatusCode::OK, json!({"key": key, "value": value})),
                    None => (StatusCode::NOT_FOUND, json!({"message": "Property with key not found."})),
                },
                ("PUT", [key]) if key.len() > 127 => {
                    (StatusCode::BAD_REQUEST, json!({"message": "The property key cannot be longer than 127 characters."}))
                }
                ("PUT", [key]) => match serde_json::from_slice::<Value>(body) {
                    Ok(value) => {
                        let created = data.app_properties.insert(((*addon).to_owned(), (*key).to_owned()), value).is_none();
                        if created {
                            (StatusCode::CREATED, json!({"message": "Property created."}))
                        } else {
                            (StatusCode::OK, json!({"message": "Property updated."}))
                        }
                    }
                    Err(_) => (StatusCode::BAD_REQUEST, json!({"message": "The property value must be JSON."})),
                },
                ("DELETE", [key]) => match data.app_properties.remove(&((*addon).to_owned(), (*key).to_owned())) {
                    Some(_) => (StatusCode::NO_CONTENT, Value::Null),
                    None => (StatusCode::NOT_FOUND, json!({"message": "Property with key not found."})),
                },
                _ => (StatusCode::METHOD_NOT_ALLOWED, json!({"message": "Method not allowed."})),
            }
        }
        _ => (StatusCode::NOT_FOUND, json!({"errorMessages": [format!("the simulator does not implement {method} /rest/{rest}")]})),
    });
    result.unwrap_or_else(|| not_found("The site"))
}
