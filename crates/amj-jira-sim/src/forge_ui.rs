//! Forge's Custom UI, as the simulated Jira hosts it. Forge serves an app's UI resource from its
//! own CDN, in an iframe on the product page, with a runtime that gives `@forge/bridge` its
//! `window.__bridge`. Calls to the remote (`invokeRemote`) go through Forge, which signs each
//! with a fresh invocation token and adds the site's system token; the page never holds one.
//!
//! Here: the resource is the app's own bundle (the files `amj forge package` uploads, read from
//! the registered app's `/ui/`); the runtime is a small script injected into its `index.html`;
//! and `POST /_forge/invoke/…` is the proxy that signs.

use crate::sim::{Sim, SimError};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The iframe `src` of a Forge UI module on a site: `issue` for issue context modules.
pub fn module_src(site: &str, module_key: &str, issue: Option<(&str, &str)>) -> String {
    format!(
        "/_forge/cdn/{}/{}/index.html{}",
        enc(site),
        enc(module_key),
        issue_query(issue)
    )
}

/// The iframe `src` of a Forge page module opened at `path` of its history.
pub fn page_src(site: &str, module_key: &str, path: &str) -> String {
    let mut src = module_src(site, module_key, None);
    if path != "/" {
        src.push_str("?path=");
        src.push_str(&enc(path));
    }
    src
}

/// The iframe `src` of a placed Forge gadget: its view, or (`edit`) its edit entry point.
pub fn gadget_src(
    site: &str,
    module_key: &str,
    dashboard: &str,
    gadget: &str,
    edit: bool,
) -> String {
    let mut src = module_src(site, module_key, None);
    src.push_str(&format!(
        "?dashboardId={}&gadgetId={}",
        enc(dashboard),
        enc(gadget)
    ));
    if edit {
        src.push_str("&entryPoint=edit");
    }
    src
}

/// The iframe `src` of a Forge custom field's Custom UI: its edit view on an issue, or (no
/// issue) its context configuration.
pub fn field_src(
    site: &str,
    module_key: &str,
    field_id: &str,
    issue: Option<(&str, &str)>,
) -> String {
    let mut src = module_src(site, module_key, issue);
    src.push(if issue.is_some() { '&' } else { '?' });
    src.push_str(&format!("fieldId={}", enc(field_id)));
    src.push_str(if issue.is_some() {
        "&entryPoint=edit"
    } else {
        "&entryPoint=contextConfig"
    });
    src
}

/// The iframe `src` of a Forge custom field's view of its value on an issue.
pub fn field_view_src(site: &str, module_key: &str, field_id: &str, issue: (&str, &str)) -> String {
    format!(
        "{}&fieldId={}",
        module_src(site, module_key, Some(issue)),
        enc(field_id)
    )
}

/// The iframe `src` of a Forge custom field's edit view on the customer portal's request form
/// of `project` (no issue yet).
pub fn portal_field_src(site: &str, module_key: &str, field_id: &str, project: &str) -> String {
    format!(
        "{}?fieldId={}&entryPoint=edit&renderContext=portal-request&projectKey={}",
        module_src(site, module_key, None),
        enc(field_id),
        enc(project)
    )
}

/// Where the simulated Jira keeps a Forge gadget's `view.submit` payload: a dashboard item
/// property of the placed gadget that the app never names (Jira keeps it for the app).
pub fn forge_gadget_config_key(dashboard: &str, item: &str) -> (String, String, String) {
    (
        dashboard.to_owned(),
        item.to_owned(),
        "forge-gadget-configuration".to_owned(),
    )
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The issue a module page is on, carried by its URL and by its invocations' URL.
fn issue_query(issue: Option<(&str, &str)>) -> String {
    issue.map_or_else(String::new, |(id, key)| {
        format!("?issueId={}&issueKey={}", enc(id), enc(key))
    })
}

/// Where a module's page is, for the context and for the invocations it makes.
#[derive(Deserialize, Default)]
pub struct ModuleQuery {
    #[serde(rename = "issueId")]
    issue_id: Option<String>,
    #[serde(rename = "issueKey")]
    issue_key: Option<String>,
    /// A page module's place in its history (`view.createHistory()`), from the host URL.
    path: Option<String>,
    /// A gadget's dashboard and its place on it.
    #[serde(rename = "dashboardId")]
    dashboard_id: Option<String>,
    #[serde(rename = "gadgetId")]
    gadget_id: Option<String>,
    /// `edit`: the gadget's edit entry point, or a field's edit view; `contextConfig`: a
    /// field's context configuration.
    #[serde(rename = "entryPoint")]
    entry_point: Option<String>,
    /// A custom field's id, for its edit view and context configuration.
    #[serde(rename = "fieldId")]
    field_id: Option<String>,
    /// Where a field's edit view is shown: `issue-view` (default) or `portal-request`.
    #[serde(rename = "renderContext")]
    render_context: Option<String>,
    /// The project of a portal request form (a field's edit view without an issue).
    #[serde(rename = "projectKey")]
    project_key: Option<String>,
}

impl ModuleQuery {
    fn issue(&self) -> Option<(&str, &str)> {
        Some((self.issue_id.as_deref()?, self.issue_key.as_deref()?))
    }
}

/// The module type Forge gives a module key of the registered app.
fn module_type(sim: &Sim, module_key: &str) -> Option<&'static str> {
    if sim.glance_modules().iter().any(|(k, _)| k == module_key) {
        Some("jira:issueContext")
    } else if sim.general_pages().iter().any(|(k, _)| k == module_key) {
        Some("jira:globalPage")
    } else if sim.admin_pages().iter().any(|(k, _, _)| k == module_key) {
        Some("jira:adminPage")
    } else if sim
        .dashboard_items()
        .iter()
        .any(|(k, _, _)| k == module_key)
    {
        Some("jira:dashboardGadget")
    } else if sim
        .forge_fields()
        .iter()
        .any(|f| f.module_key == module_key)
    {
        Some("jira:customFieldType")
    } else {
        None
    }
}

/// What `view.getContext()` answers: the fields of Forge's `FullContext` that apps read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UiContext {
    account_id: String,
    cloud_id: String,
    site_url: String,
    locale: &'static str,
    timezone: &'static str,
    module_key: String,
    local_id: String,
    environment_type: &'static str,
    extension: serde_json::Value,
}

/// What the injected runtime reads: the context, and where to send invocations.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Runtime {
    context: UiContext,
    invoke_url: String,
    /// Where `createHistory()` starts.
    path: String,
}

/// A gadget's extension: where it is placed, its saved configuration (`{}` until the first
/// submit), and `entryPoint: "edit"` for the edit view.
fn gadget_extension(sim: &Sim, site: &str, query: &ModuleQuery) -> serde_json::Value {
    let dashboard = query.dashboard_id.clone().unwrap_or_default();
    let gadget = query.gadget_id.clone().unwrap_or_default();
    let configuration = sim
        .with_data(site, |data| {
            data.dashboard_item_properties
                .get(&forge_gadget_config_key(&dashboard, &gadget))
                .cloned()
        })
        .flatten()
        .unwrap_or_else(|| serde_json::json!({}));
    let mut extension = serde_json::json!({
        "type": "jira:dashboardGadget",
        "gadgetConfiguration": configuration,
        "dashboard": {"id": dashboard},
        "gadget": {"id": gadget},
    });
    if query.entry_point.as_deref() == Some("edit") {
        extension["entryPoint"] = "edit".into();
    }
    extension
}

/// A custom field's extension: the field, its value on the issue (`fieldValue`), the context's
/// configuration, and where it is shown. **[unverified]**: Forge's docs list `fieldId`,
/// `fieldType`, `fieldValue`, `issue`, `project` and `renderContext`; `entryPoint` and
/// `configuration` are how the simulator tells the edit view from the context configuration and
/// hands over the admin's settings, which Forge also passes to both views.
fn field_extension(sim: &Sim, site: &str, query: &ModuleQuery) -> serde_json::Value {
    let field_id = query.field_id.clone().unwrap_or_default();
    let project = query.project_key.clone().map(|p| p.to_ascii_uppercase());
    let (value, configuration) = sim
        .with_data(site, |d| {
            let value = match (query.issue(), &project) {
                (Some((id, _)), _) => d.field_values.get(&(id.to_owned(), field_id.clone())),
                (None, Some(project)) => d.portal_drafts.get(&(project.clone(), field_id.clone())),
                (None, None) => None,
            }
            .cloned();
            (value, d.field_configurations.get(&field_id).cloned())
        })
        .unwrap_or_default();
    let mut extension = extension("jira:customFieldType", query.issue());
    if let (None, Some(project)) = (query.issue(), &project) {
        extension["project"] = serde_json::json!({"key": project});
    }
    extension["fieldId"] = field_id.into();
    extension["fieldType"] = "string".into();
    extension["fieldValue"] = value.unwrap_or(serde_json::Value::Null);
    extension["configuration"] = configuration.unwrap_or(serde_json::Value::Null);
    extension["entryPoint"] = query.entry_point.clone().unwrap_or_default().into();
    extension["renderContext"] = query
        .render_context
        .clone()
        .unwrap_or_else(|| "issue-view".to_owned())
        .into();
    extension
}

fn extension(module_type: &str, issue: Option<(&str, &str)>) -> serde_json::Value {
    match issue {
        Some((id, key)) => serde_json::json!({
            "type": module_type,
            "issue": {"id": id, "key": key, "type": "Task"},
            "project": {"key": key.split('-').next().unwrap_or_default()},
        }),
        None => serde_json::json!({"type": module_type}),
    }
}

fn failure(status: StatusCode, message: impl Into<String>) -> Response {
    (status, message.into()).into_response()
}

/// `GET /_forge/cdn/{site}/{module}/{*path}`: a file of the app's Custom UI resource. The
/// module's `index.html` gets the runtime.
pub async fn cdn(
    State(sim): State<Sim>,
    Path((site, module, path)): Path<(String, String, String)>,
    Query(query): Query<ModuleQuery>,
) -> Response {
    let Some(app) = sim.app() else {
        return failure(StatusCode::NOT_FOUND, "no app is registered");
    };
    let Some(kind) = module_type(&sim, &module) else {
        return failure(
            StatusCode::NOT_FOUND,
            format!("the app has no module {module:?}"),
        );
    };
    if path.split('/').any(|segment| segment == "..") {
        return failure(StatusCode::BAD_REQUEST, "no such resource file");
    }
    let url = format!("{}/ui/{path}", app.base_url.trim_end_matches('/'));
    let response = match sim.http().get(&url).send().await {
        Ok(r) => r,
        Err(e) => return failure(StatusCode::BAD_GATEWAY, format!("resource {url}: {e}")),
    };
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let Ok(body) = response.bytes().await else {
        return failure(
            StatusCode::BAD_GATEWAY,
            format!("resource {url}: body cut short"),
        );
    };
    if path != "index.html" || !status.is_success() {
        return (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    }
    match runtime_page(&sim, &site, &module, kind, &query, &body) {
        Ok(html) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            html,
        )
            .into_response(),
        Err(e) => failure(StatusCode::NOT_FOUND, e.to_string()),
    }
}

/// The resource's `index.html` with the runtime ahead of the app's own scripts.
fn runtime_page(
    sim: &Sim,
    site: &str,
    module: &str,
    kind: &str,
    query: &ModuleQuery,
    index: &[u8],
) -> Result<String, SimError> {
    let record = sim.site(site)?;
    let index = String::from_utf8_lossy(index);
    let runtime = Runtime {
        context: UiContext {
            account_id: record.admin_account_id.clone(),
            cloud_id: record.cloud_id.clone(),
            site_url: record.base_url.clone(),
            locale: "en_US",
            timezone: "UTC",
            module_key: module.to_owned(),
            local_id: format!("{module}-{}", record.cloud_id),
            environment_type: "PRODUCTION",
            extension: if kind == "jira:dashboardGadget" {
                gadget_extension(sim, site, query)
            } else if kind == "jira:customFieldType" {
                field_extension(sim, site, query)
            } else {
                extension(kind, query.issue())
            },
        },
        invoke_url: format!(
            "/_forge/invoke/{}/{}{}",
            enc(site),
            enc(module),
            issue_query(query.issue())
        ),
        path: query
            .path
            .clone()
            .filter(|p| p.starts_with('/'))
            .unwrap_or_else(|| "/".to_owned()),
    };
    // `</` cannot end the data block early: JSON allows `<\/`.
    let json = serde_json::to_string(&runtime)
        .map_err(|e| SimError::Startup(format!("runtime context: {e}")))?
        .replace("</", "<\\/");
    let inject = format!(
        "<script type=\"application/json\" id=\"sim-forge-runtime\">{json}</script>\
         <script src=\"/_forge/runtime.js\"></script>"
    );
    Ok(match index.find("<script") {
        Some(at) => format!("{}{inject}{}", &index[..at], &index[at..]),
        None => format!("{inject}{index}"),
    })
}

/// What `@forge/bridge` sends for `invokeRemote`.
#[derive(Deserialize)]
pub struct InvokeRequest {
    path: String,
    method: String,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    body: Option<serde_json::Value>,
}

/// What the runtime hands back to `@forge/bridge`: `{success, payload}` or `{success, error}`.
#[derive(Serialize)]
pub struct InvokeAnswer {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<RemoteResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<InvokeError>,
}

#[derive(Serialize)]
struct RemoteResponse {
    status: u16,
    headers: HashMap<String, Vec<String>>,
    body: serde_json::Value,
}

#[derive(Serialize)]
struct InvokeError {
    message: String,
}

fn invoke_error(message: impl Into<String>) -> Json<InvokeAnswer> {
    Json(InvokeAnswer {
        success: false,
        payload: None,
        error: Some(InvokeError {
            message: message.into(),
        }),
    })
}

/// Headers Forge lets an app pass to its remote; it sets the credentials itself.
const PASSED_HEADERS: [&str; 2] = ["accept", "content-type"];

/// `POST /_forge/invoke/{site}/{module}`: `invokeRemote` through Forge. A fresh invocation token
/// and system token for every call, as Forge does.
pub async fn invoke(
    State(sim): State<Sim>,
    Path((site, module)): Path<(String, String)>,
    Query(query): Query<ModuleQuery>,
    Json(request): Json<InvokeRequest>,
) -> Json<InvokeAnswer> {
    let (Some(app), Some(kind)) = (sim.app(), module_type(&sim, &module)) else {
        return invoke_error(format!("the app has no module {module:?}"));
    };
    if !request.path.starts_with('/') {
        return invoke_error("invokeRemote paths start with /");
    }
    let Ok(record) = sim.site(&site) else {
        return invoke_error("no such site");
    };
    let call = match sim.forge_invoke_module(
        &site,
        &module,
        kind,
        Some(&record.admin_account_id),
        extension(kind, query.issue()),
    ) {
        Ok(call) => call,
        Err(e) => return invoke_error(e.to_string()),
    };
    let Ok(method) = reqwest::Method::from_bytes(request.method.as_bytes()) else {
        return invoke_error(format!("no HTTP method {:?}", request.method));
    };
    let url = format!("{}{}", app.base_url.trim_end_matches('/'), request.path);
    // The UI endpoint asks for the user's token too (`appUserToken`), for what people do
    // themselves: Jira answers it with their permissions.
    let user_token = match sim.mint_user_token(
        &site,
        &record.admin_account_id,
        crate::forge_host::SYSTEM_TOKEN_TTL_SECS,
    ) {
        Ok(token) => token,
        Err(e) => return invoke_error(e.to_string()),
    };
    let mut outgoing = sim
        .http()
        .request(method, &url)
        .bearer_auth(&call.fit)
        .header("x-forge-oauth-system", &call.system_token)
        .header("x-forge-oauth-user", user_token);
    for (name, value) in &request.headers {
        if PASSED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    if let Some(body) = &request.body {
        outgoing = outgoing.json(body);
    }
    let response = match outgoing.send().await {
        Ok(r) => r,
        Err(e) => return invoke_error(format!("the remote could not be reached: {e}")),
    };
    let status = response.status().as_u16();
    let headers = headers_of(response.headers());
    let text = response.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    };
    Json(InvokeAnswer {
        success: true,
        payload: Some(RemoteResponse {
            status,
            headers,
            body,
        }),
        error: None,
    })
}

fn headers_of(headers: &reqwest::header::HeaderMap) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in headers {
        if let Ok(value) = value.to_str() {
            out.entry(name.as_str().to_owned())
                .or_default()
                .push(value.to_owned());
        }
    }
    out
}

/// `GET /_forge/runtime.js`: `window.__bridge` for `@forge/bridge`, standing in for Forge's
/// Custom UI runtime. Flags and sizes go to the Jira page around the iframe (`host.js`).
pub async fn runtime_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        format!("{}{RUNTIME_JS}", crate::theme::THEME_JS),
    )
        .into_response()
}

const RUNTIME_JS: &str = r##"(function () {
  "use strict";
  var runtime = JSON.parse(document.getElementById("sim-forge-runtime").textContent);
  function toParent(message) { window.parent.postMessage(Object.assign({ amjBridge: 1 }, message), "*"); }
  function resize() { toParent({ call: "resize", height: document.documentElement.scrollHeight }); }
  // A history v4 object whose paths live in the Jira page's URL, below the module's own.
  var listeners = [];
  function at(path) { var p = String(path || "/"); var q = p.indexOf("?"); return { pathname: q < 0 ? p : (p.slice(0, q) || "/"), search: q < 0 ? "" : p.slice(q), hash: "", state: null, key: String(Math.random()).slice(2, 8) }; }
  function tell(action) { listeners.slice().forEach(function (l) { l(history.location, action); }); }
  var history = {
    action: "POP",
    location: at(runtime.path),
    push: function (path) { history.location = at(path); history.action = "PUSH"; toParent({ call: "forgeHistory", path: history.location.pathname + history.location.search }); tell("PUSH"); },
    replace: function (path) { history.location = at(path); history.action = "REPLACE"; toParent({ call: "forgeHistory", path: history.location.pathname + history.location.search, replace: true }); tell("REPLACE"); },
    listen: function (listener) { listeners.push(listener); return function () { listeners = listeners.filter(function (l) { return l !== listener; }); }; }
  };
  window.addEventListener("message", function (event) {
    var msg = event.data || {};
    if (event.source === window.parent && msg.amjBridge === 1 && msg.call === "forgeLocation") {
      history.location = at(msg.path); history.action = "POP"; tell("POP");
    }
  });
  var waiting = {}; var nextId = 1;
  window.addEventListener("message", function (event) {
    var msg = event.data || {};
    if (event.source === window.parent && msg.amjBridge === 1 && waiting[msg.id]) { waiting[msg.id](msg.data); delete waiting[msg.id]; }
  });
  function askParent(message) { return new Promise(function (resolve) { var id = nextId++; waiting[id] = resolve; toParent(Object.assign({ id: id }, message)); }); }
  function callBridge(type, payload) {
    switch (type) {
      case "getContext":
        return Promise.resolve(JSON.parse(JSON.stringify(runtime.context)));
      case "invoke":
        return fetch(runtime.invokeUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(payload || {})
        }).then(function (r) { return r.json(); }, function (e) { return { success: false, error: { message: String(e) } }; });
      case "enableTheming":
        simApplyTheme();
        return Promise.resolve();
      case "closeFlag":
        return Promise.resolve(true);
      case "showFlag":
        toParent({ call: "flag", title: payload && payload.title, body: payload && payload.description, type: payload && payload.type });
        return Promise.resolve();
      case "createHistory":
        return Promise.resolve(history);
      case "submit":
        // A gadget's edit entry point (Jira keeps the payload as the gadget's configuration and
        // shows the gadget again), a field's edit view (the payload is the value) or its context
        // configuration ({configuration}). Anything else is not submittable.
        var entry = runtime.context.extension && runtime.context.extension.entryPoint;
        if (entry !== "edit" && entry !== "contextConfig") { return Promise.resolve(false); }
        return askParent({ call: "forgeSubmit", payload: payload });
      case "navigate":
        return askParent({ call: "forgeNavigate", location: payload || {}, type: payload && payload.type }).then(function (ok) {
          if (!ok) { throw new Error("the simulated Jira cannot navigate to " + JSON.stringify(payload)); }
        });
      default:
        return Promise.reject(new Error("the simulated Forge runtime has no bridge call " + type));
    }
  }
  window.__bridge = { callBridge: callBridge };
  if (window.ResizeObserver) { new ResizeObserver(resize).observe(document.documentElement); }
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_src_escapes_what_it_carries() {
        assert_eq!(
            module_src("acme", "issue-assets", Some(("10001", "AM-1"))),
            "/_forge/cdn/acme/issue-assets/index.html?issueId=10001&issueKey=AM-1"
        );
        assert_eq!(
            module_src("a b", "m", Some(("1", "<x>"))),
            "/_forge/cdn/a+b/m/index.html?issueId=1&issueKey=%3Cx%3E"
        );
        assert_eq!(
            page_src("acme", "assets", "/"),
            "/_forge/cdn/acme/assets/index.html"
        );
        assert_eq!(
            page_src("acme", "assets", "/asset/IT-1"),
            "/_forge/cdn/acme/assets/index.html?path=%2Fasset%2FIT-1"
        );
    }
}
