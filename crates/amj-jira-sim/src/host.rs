//! Host pages that look and behave like Jira Cloud: a site home with the app's general page in the
//! top navigation, an issue view with the app's glance, and the app's admin page under "Apps".
//! Modules are framed from the descriptor's URL templates, with the standard context parameters
//! and a fresh `jwt`, exactly as `Sim::iframe_url` signs them.
//!
//! The styling uses Atlassian-like design tokens written as our own CSS; no Atlassian asset is
//! copied. The pages are askama templates (`templates/`), so the template engine HTML-escapes every
//! interpolated value.

use crate::data::Issue;
use crate::sim::Sim;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// URL-encodes a context parameter substituted into a module URL template.
fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Renders a page with `status`. A template that fails to render is the simulator's bug, but it
/// answers a plain 500 rather than taking the test's server down.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a simulator page did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the simulator could not render this page: {e}"),
            )
                .into_response()
        }
    }
}

/// A short message page: a missing site or issue here, a refused action on the control page.
#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct Message<'a> {
    pub message: &'a str,
    /// Whether to link back to the control page.
    pub back: bool,
}

fn not_found(message: &str) -> Response {
    render(
        StatusCode::NOT_FOUND,
        &Message {
            message,
            back: false,
        },
    )
}

/// What every page of a site shows around its content (`templates/site.html`).
struct Layout {
    site: String,
    title: String,
    /// The app's general pages, `(key, name)`, linked from the top navigation.
    app_links: Vec<(String, String)>,
}

impl Layout {
    fn new(sim: &Sim, site: &str, title: &str) -> Self {
        Self {
            site: site.to_owned(),
            title: title.to_owned(),
            app_links: sim.general_pages(),
        }
    }
}

/// A module's place on a page (`templates/frame.html`).
enum Frame {
    /// The app's iframe, signed like Jira signs it.
    Iframe {
        title: String,
        src: String,
        site: String,
        /// A page module's own URL on the site: its history paths are kept below it, as Jira
        /// keeps a global page's (`/jira/apps/<app>/<env>/<path>`).
        base: Option<String>,
    },
    /// Why there is no iframe.
    Note(&'static str),
    SignError(String),
}

#[derive(Template)]
#[template(path = "index.html")]
struct Index {
    sites: Vec<String>,
}

#[derive(Template)]
#[template(path = "site_home.html")]
struct SiteHome {
    layout: Layout,
    issues: Vec<Issue>,
}

#[derive(Template)]
#[template(path = "issue_view.html")]
struct IssueView {
    layout: Layout,
    key: String,
    summary: String,
    status: String,
    /// The workflow's statuses, for the transition form, and whether the issue is in it.
    statuses: Vec<(&'static str, bool)>,
    /// `(name, frame)` of each issue glance.
    glances: Vec<(String, Frame)>,
    /// The app's custom fields on the issue (Forge sites).
    fields: Vec<FieldRow>,
}

/// A custom field on the issue view: its value as the type's formatter shows it, and, while
/// someone edits it, the type's Custom UI edit view.
struct FieldRow {
    id: String,
    name: String,
    text: String,
    edit_url: String,
    /// The edit view's frame: `(src, where view.submit saves, where Jira goes after)`.
    editing: Option<(String, String, String)>,
    /// The type's own view of the value (`view.resource`), shown when not editing.
    view_src: Option<String>,
}

/// A custom field in the admin's field settings, with its context configuration view while the
/// admin configures it.
struct FieldConfigRow {
    id: String,
    name: String,
    configuration: String,
    configure_url: String,
    editing: Option<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "general_page.html")]
struct GeneralPage {
    layout: Layout,
    frame: Frame,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    layout: Layout,
    gadgets: Vec<Gadget>,
}

/// One placed gadget: its frame, and for Forge the two sources Jira switches between (the
/// view, and the edit entry point that Configure opens).
struct Gadget {
    name: String,
    item: String,
    frame: Frame,
    /// Forge only: `(view src, edit src)`.
    forge: Option<(String, String)>,
}

/// The simulated site's one dashboard, as in Jira's `/jira/dashboards/10000`.
pub const DASHBOARD_ID: &str = "10000";

/// The dashboard item id of the app's gadget number `index` on the dashboard.
fn gadget_item(index: usize) -> String {
    format!("{}", 20_000 + index)
}

#[derive(Template)]
#[template(path = "admin_apps.html")]
struct AdminApps {
    layout: Layout,
    /// `(name, frame)` of each admin page.
    frames: Vec<(String, Frame)>,
    fields: Vec<FieldConfigRow>,
}

/// The Custom UI iframe of the Forge module `key`.
fn forge_frame(site: &str, key: &str, issue: Option<(&str, &str)>, title: &str) -> Frame {
    Frame::Iframe {
        title: title.to_owned(),
        src: crate::forge_ui::module_src(site, key, issue),
        site: site.to_owned(),
        base: None,
    }
}

/// A Forge page module's frame at `path` of its history.
fn forge_page_frame(site: &str, key: &str, path: &str) -> Frame {
    Frame::Iframe {
        title: key.to_owned(),
        src: crate::forge_ui::page_src(site, key, path),
        site: site.to_owned(),
        base: Some(format!("/sites/{}/apps/{}", enc(site), enc(key))),
    }
}

/// The iframe for a module URL template, or an explanation when the app is not installed.
fn module_frame(
    sim: &Sim,
    site: &str,
    template: &str,
    issue: Option<(&str, &str)>,
    title: &str,
) -> Frame {
    let Ok(site) = sim.site(site) else {
        return Frame::Note("No such site.");
    };
    let Some(app) = sim.app() else {
        return Frame::Note("No app is registered with this simulator.");
    };
    if !site.installed {
        return Frame::Note(
            "The app is not installed on this site. Install it from the simulator's control page.",
        );
    }
    let mut url = template.to_owned();
    if let Some((id, key)) = issue {
        let project = key.split('-').next().unwrap_or_default();
        url = url
            .replace("{issue.key}", &enc(key))
            .replace("{issue.id}", &enc(id))
            .replace("{project.key}", &enc(project));
    }
    match sim.iframe_url(&site, &app, &url) {
        Ok(src) => Frame::Iframe {
            title: title.to_owned(),
            src,
            site: site.name,
            base: None,
        },
        Err(e) => Frame::SignError(e.to_string()),
    }
}

pub async fn index(State(sim): State<Sim>) -> Response {
    render(
        StatusCode::OK,
        &Index {
            sites: sim.site_names(),
        },
    )
}

pub async fn site_home(State(sim): State<Sim>, Path(site): Path<String>) -> Response {
    let Some(issues) = sim.with_data(&site, |d| d.issues.clone()) else {
        return not_found("No such site.");
    };
    let page = SiteHome {
        layout: Layout::new(&sim, &site, "Issues"),
        issues,
    };
    render(StatusCode::OK, &page)
}

/// Which field the issue view or the admin's field settings open for editing.
#[derive(serde::Deserialize, Default)]
pub struct EditQuery {
    edit: Option<String>,
}

/// The formatter's text of a value: `value.join(', ')`.
fn field_text(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

pub async fn issue_view(
    State(sim): State<Sim>,
    Path((site, key)): Path<(String, String)>,
    Query(query): Query<EditQuery>,
) -> Response {
    let Some(Some((issue, values))) = sim.with_data(&site, |d| {
        let issue = d.issue(&key).cloned()?;
        let values: Vec<(String, serde_json::Value)> = d
            .field_values
            .iter()
            .filter(|((of, _), _)| *of == issue.id)
            .map(|((_, field), v)| (field.clone(), v.clone()))
            .collect();
        Some((issue, values))
    }) else {
        return not_found("No such issue.");
    };
    let issue_url = format!("/sites/{}/browse/{}", enc(&site), enc(&issue.key));
    let fields = if sim.runs_forge(&site) {
        sim.forge_fields()
            .into_iter()
            .map(|f| {
                let value = values.iter().find(|(id, _)| *id == f.id).map(|(_, v)| v);
                let editing = (query.edit.as_deref() == Some(f.id.as_str())).then(|| {
                    (
                        crate::forge_ui::field_src(
                            &site,
                            &f.module_key,
                            &f.id,
                            Some((&issue.id, &issue.key)),
                        ),
                        format!(
                            "/sites/{}/_sim/fields/{}/value?issue={}",
                            enc(&site),
                            enc(&f.id),
                            enc(&issue.key)
                        ),
                        issue_url.clone(),
                    )
                });
                let view_src = f.view_resource.then(|| {
                    crate::forge_ui::field_view_src(
                        &site,
                        &f.module_key,
                        &f.id,
                        (&issue.id, &issue.key),
                    )
                });
                FieldRow {
                    view_src,
                    text: field_text(value),
                    edit_url: format!("{issue_url}?edit={}", enc(&f.id)),
                    id: f.id,
                    name: f.name,
                    editing,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let glances = if sim.runs_forge(&site) {
        sim.glance_modules()
            .into_iter()
            .map(|(key, name)| {
                let frame = forge_frame(&site, &key, Some((&issue.id, &issue.key)), &name);
                (name, frame)
            })
            .collect()
    } else {
        sim.glances()
            .into_iter()
            .map(|(name, url)| {
                let frame = module_frame(&sim, &site, &url, Some((&issue.id, &issue.key)), &name);
                (name, frame)
            })
            .collect()
    };
    let page = IssueView {
        layout: Layout::new(&sim, &site, &issue.key),
        key: issue.key,
        summary: issue.summary,
        statuses: crate::data::WORKFLOW
            .iter()
            .map(|s| (s.name, s.name == issue.status))
            .collect(),
        status: issue.status,
        glances,
        fields,
    };
    render(StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub struct TransitionForm {
    status: String,
}

/// The issue page's "Transition" form: moves the issue as an agent would, sends "issue updated"
/// to the app, and shows the issue again.
pub async fn issue_transition(
    State(sim): State<Sim>,
    Path((site, key)): Path<(String, String)>,
    axum::Form(form): axum::Form<TransitionForm>,
) -> Response {
    match sim.transition_issue(&site, &key, &form.status).await {
        Ok(_) => {
            axum::response::Redirect::to(&format!("/sites/{}/browse/{}", enc(&site), enc(&key)))
                .into_response()
        }
        Err(e) => render(
            StatusCode::BAD_REQUEST,
            &Message {
                message: &e.to_string(),
                back: false,
            },
        ),
    }
}

pub async fn general_page(
    State(sim): State<Sim>,
    Path((site, module)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    page_at(&sim, &site, &module, "/", &query)
}

/// `/sites/{site}/apps/{module}/{*path}`: a Forge page module opened at a path of its history
/// (a reload, or a shared link).
pub async fn general_page_at(
    State(sim): State<Sim>,
    Path((site, module, path)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    page_at(&sim, &site, &module, &format!("/{path}"), &query)
}

/// A general page. Connect's `AP.navigator.go("addonmodule", {customData})` arrives as `ac.*`
/// query parameters, which Jira hands on to the module URL, as here.
fn page_at(
    sim: &Sim,
    site: &str,
    module: &str,
    path: &str,
    query: &[(String, String)],
) -> Response {
    let Some(mut url) = sim.module_url(module) else {
        return not_found("No such app page.");
    };
    let frame = if sim.runs_forge(site) {
        // A Forge page's history keeps its query in the page URL, as Jira's does.
        let mut at = path.to_owned();
        if !query.is_empty() {
            let mut search = url::form_urlencoded::Serializer::new(String::new());
            search.extend_pairs(query);
            at.push('?');
            at.push_str(&search.finish());
        }
        forge_page_frame(site, module, &at)
    } else {
        for (name, value) in query.iter().filter(|(n, _)| n.starts_with("ac.")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{}={}", enc(name), enc(value)));
        }
        module_frame(sim, site, &url, None, module)
    };
    let page = GeneralPage {
        layout: Layout::new(sim, site, module),
        frame,
    };
    render(StatusCode::OK, &page)
}

pub async fn admin_apps(
    State(sim): State<Sim>,
    Path(site): Path<String>,
    Query(query): Query<EditQuery>,
) -> Response {
    let configurations = sim
        .with_data(&site, |d| d.field_configurations.clone())
        .unwrap_or_default();
    let admin_url = format!("/sites/{}/admin/apps", enc(&site));
    let fields = if sim.runs_forge(&site) {
        sim.forge_fields()
            .into_iter()
            .map(|f| FieldConfigRow {
                configuration: configurations
                    .get(&f.id)
                    .map_or_else(|| "not configured".to_owned(), ToString::to_string),
                configure_url: format!("{admin_url}?edit={}", enc(&f.id)),
                editing: (query.edit.as_deref() == Some(f.id.as_str())).then(|| {
                    (
                        crate::forge_ui::field_src(&site, &f.module_key, &f.id, None),
                        format!(
                            "/sites/{}/_sim/fields/{}/configuration",
                            enc(&site),
                            enc(&f.id)
                        ),
                        admin_url.clone(),
                    )
                }),
                id: f.id,
                name: f.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let frames = sim
        .admin_pages()
        .into_iter()
        .map(|(key, name, url)| {
            let frame = if sim.runs_forge(&site) {
                forge_frame(&site, &key, None, &key)
            } else {
                module_frame(&sim, &site, &url, None, &key)
            };
            (name, frame)
        })
        .collect();
    let page = AdminApps {
        layout: Layout::new(&sim, &site, "Apps"),
        frames,
        fields,
    };
    render(StatusCode::OK, &page)
}

/// `/sites/{site}/dashboard`: the site's dashboard with each of the app's gadgets placed on it.
/// Configure (in the gadget's own chrome, as Jira draws it) opens the gadget's settings: under
/// Connect it tells the frame (`AP.jira.DashboardItem.onDashboardItemEdit`); under Forge it
/// loads the edit entry point, whose `view.submit` saves and returns to the view.
pub async fn dashboard(State(sim): State<Sim>, Path(site): Path<String>) -> Response {
    if sim.site(&site).is_err() {
        return not_found("No such site.");
    }
    let forge = sim.runs_forge(&site);
    let gadgets = sim
        .dashboard_items()
        .into_iter()
        .enumerate()
        .map(|(index, (key, name, url))| {
            let item = gadget_item(index);
            let (frame, sources) = if forge {
                let view = crate::forge_ui::gadget_src(&site, &key, DASHBOARD_ID, &item, false);
                let edit = crate::forge_ui::gadget_src(&site, &key, DASHBOARD_ID, &item, true);
                // As Jira does, a gadget nobody configured yet opens at its edit entry point.
                let configured = sim
                    .with_data(&site, |data| {
                        data.dashboard_item_properties.contains_key(
                            &crate::forge_ui::forge_gadget_config_key(DASHBOARD_ID, &item),
                        )
                    })
                    .unwrap_or(false);
                let frame = Frame::Iframe {
                    title: name.clone(),
                    src: if configured {
                        view.clone()
                    } else {
                        edit.clone()
                    },
                    site: site.clone(),
                    base: None,
                };
                (frame, Some((view, edit)))
            } else {
                let url = url
                    .replace("{dashboard.id}", DASHBOARD_ID)
                    .replace("{dashboardItem.id}", &item)
                    .replace("{dashboardItem.key}", &enc(&key))
                    .replace("{dashboardItem.viewType}", "DEFAULT");
                (module_frame(&sim, &site, &url, None, &name), None)
            };
            Gadget {
                name,
                item,
                frame,
                forge: sources,
            }
        })
        .collect();
    let page = Dashboard {
        layout: Layout::new(&sim, &site, "Dashboard"),
        gadgets,
    };
    render(StatusCode::OK, &page)
}

/// What a frame's `AP.request` asks: Jira's REST API in the person's own session.
#[derive(serde::Deserialize)]
pub struct ApRequest {
    url: String,
    #[serde(default, rename = "type")]
    method: Option<String>,
    #[serde(default)]
    data: Option<String>,
}

/// `POST /sites/{site}/_sim/ap-request`: `AP.request` from an app frame, answered as the person
/// viewing the page (the site admin here), never as the app. Only `/rest/…` is reachable.
pub async fn ap_request(
    State(sim): State<Sim>,
    Path(site): Path<String>,
    axum::Json(request): axum::Json<ApRequest>,
) -> Response {
    let Ok(record) = sim.site(&site) else {
        return not_found("No such site.");
    };
    let (path, query) = request
        .url
        .split_once('?')
        .map_or((request.url.as_str(), None), |(p, q)| (p, Some(q)));
    let Some(rest) = path.strip_prefix("/rest/") else {
        return (
            StatusCode::BAD_REQUEST,
            "AP.request reaches Jira's REST API only (/rest/…)",
        )
            .into_response();
    };
    let method = request
        .method
        .as_deref()
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let Ok(method) = axum::http::Method::from_bytes(method.as_bytes()) else {
        return (StatusCode::BAD_REQUEST, "no such HTTP method").into_response();
    };
    let body = request.data.unwrap_or_default();
    let (status, answer) = crate::rest::answer(
        &sim,
        &record,
        Some(&record.admin_account_id),
        &method,
        rest,
        query,
        body.as_bytes(),
    );
    let text = if answer.is_null() {
        String::new()
    } else {
        answer.to_string()
    };
    axum::Json(serde_json::json!({"status": status.as_u16(), "body": text})).into_response()
}

/// `POST /sites/{site}/_sim/gadgets/{item}/config`: Forge's `view.submit` from a gadget's edit
/// entry point: the payload becomes the gadget's configuration.
pub async fn gadget_config(
    State(sim): State<Sim>,
    Path((site, item)): Path<(String, String)>,
    axum::Json(config): axum::Json<serde_json::Value>,
) -> Response {
    let stored = sim.with_data(&site, |data| {
        data.dashboard_item_properties.insert(
            crate::forge_ui::forge_gadget_config_key(DASHBOARD_ID, &item),
            config,
        );
    });
    match stored {
        Some(()) => StatusCode::NO_CONTENT.into_response(),
        None => not_found("No such site."),
    }
}

/// A field on the customer portal's request form: the value chosen so far, and the field's
/// edit view, whose `view.submit` keeps the value with the form.
struct PortalField {
    id: String,
    name: String,
    text: String,
    src: String,
    submit: String,
    done: String,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Portal {
    layout: Layout,
    project: String,
    fields: Vec<PortalField>,
    error: Option<String>,
}

fn portal_page(sim: &Sim, site: &str, project: &str, error: Option<String>) -> Response {
    let project = project.to_ascii_uppercase();
    let Some(drafts) = sim.with_data(site, |d| d.portal_drafts.clone()) else {
        return not_found("No such site.");
    };
    let portal_url = format!("/sites/{}/portal/{}", enc(site), enc(&project));
    let fields = if sim.runs_forge(site) {
        sim.forge_fields()
            .into_iter()
            .map(|f| PortalField {
                text: field_text(drafts.get(&(project.clone(), f.id.clone()))),
                src: crate::forge_ui::portal_field_src(site, &f.module_key, &f.id, &project),
                submit: format!(
                    "/sites/{}/_sim/portal/{}/fields/{}",
                    enc(site),
                    enc(&project),
                    enc(&f.id)
                ),
                done: portal_url.clone(),
                id: f.id,
                name: f.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = Portal {
        layout: Layout::new(sim, site, "Customer portal"),
        project,
        fields,
        error,
    };
    render(status, &page)
}

/// `GET /sites/{site}/portal/{project}`: the customer portal's request form of a service
/// project, with the app's fields whose types declare `portal-request`.
pub async fn portal(
    State(sim): State<Sim>,
    Path((site, project)): Path<(String, String)>,
) -> Response {
    portal_page(&sim, &site, &project, None)
}

#[derive(serde::Deserialize)]
pub struct PortalForm {
    summary: String,
}

/// `POST /sites/{site}/portal/{project}`: raises the request and shows its issue.
pub async fn portal_raise(
    State(sim): State<Sim>,
    Path((site, project)): Path<(String, String)>,
    axum::Form(form): axum::Form<PortalForm>,
) -> Response {
    match sim
        .raise_portal_request(&site, &project, &form.summary)
        .await
    {
        Ok(key) => {
            axum::response::Redirect::to(&format!("/sites/{}/browse/{}", enc(&site), enc(&key)))
                .into_response()
        }
        Err(e) => portal_page(&sim, &site, &project, Some(e.to_string())),
    }
}

/// `POST /sites/{site}/_sim/portal/{project}/fields/{field}`: a field's edit view submitted on
/// the portal's form: the value waits with the form.
pub async fn portal_field(
    State(sim): State<Sim>,
    Path((site, project, field)): Path<(String, String, String)>,
    axum::Json(value): axum::Json<serde_json::Value>,
) -> Response {
    match sim.set_portal_draft(&site, &project, &field, &value) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct FieldValueQuery {
    issue: String,
}

/// `POST /sites/{site}/_sim/fields/{field}/value?issue=KEY`: a field's edit view submitted
/// (`view.submit(value)`): Jira checks and keeps the value and tells the app.
pub async fn field_value(
    State(sim): State<Sim>,
    Path((site, field)): Path<(String, String)>,
    Query(query): Query<FieldValueQuery>,
    axum::Json(value): axum::Json<serde_json::Value>,
) -> Response {
    match sim
        .set_field_value(&site, &query.issue, &field, &value)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// `POST /sites/{site}/_sim/fields/{field}/configuration`: the context configuration view
/// submitted (`view.submit({configuration})`).
pub async fn field_configuration(
    State(sim): State<Sim>,
    Path((site, field)): Path<(String, String)>,
    axum::Json(payload): axum::Json<serde_json::Value>,
) -> Response {
    match sim.set_field_configuration(&site, &field, &payload) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// A fresh context token for the bridge's `AP.context.getToken()`.
pub async fn context_token(State(sim): State<Sim>, Path(site): Path<String>) -> Response {
    match sim.site(&site).and_then(|s| sim.context_token(&s, None)) {
        Ok(token) => ([(header::CACHE_CONTROL, "no-store")], token).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}

/// `GET /sites/{site}/_sim/avatar/{accountId}`: a person's avatar, their initials on a colour
/// of their own, as Jira's avatar service would serve a picture. Unknown accounts get a 404.
pub async fn avatar(
    State(sim): State<Sim>,
    Path((site, account_id)): Path<(String, String)>,
) -> Response {
    let name = sim.with_data(&site, |data| {
        data.user(&account_id).map(|u| u.display_name.clone())
    });
    let Some(Some(name)) = name else {
        return (StatusCode::NOT_FOUND, "no such account").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        avatar_svg(&account_id, &name),
    )
        .into_response()
}

/// Initials (at most two, escaped for XML) on one of eight colours picked by the accountId.
pub fn avatar_svg(account_id: &str, name: &str) -> String {
    const COLOURS: [&str; 8] = [
        "#0055cc", "#216e4e", "#a54800", "#5e4db2", "#ae2e24", "#206a83", "#7f5f01", "#943d73",
    ];
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            c => c.to_string(),
        })
        .collect();
    let hash = account_id.bytes().fold(0_usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    let colour = COLOURS[hash % COLOURS.len()];
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"48\" height=\"48\" viewBox=\"0 0 48 48\">\
         <circle cx=\"24\" cy=\"24\" r=\"24\" fill=\"{colour}\"/>\
         <text x=\"24\" y=\"31\" font-family=\"sans-serif\" font-size=\"20\" \
         text-anchor=\"middle\" fill=\"#fff\">{initials}</text></svg>"
    )
}

/// The host side of the bridge: answers the app iframe's postMessage requests.
pub async fn host_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        HOST_JS,
    )
        .into_response()
}

/// The app side of the bridge, standing in for Atlassian's `all.js`.
pub async fn all_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        format!("{}{ALL_JS}", crate::theme::THEME_JS),
    )
        .into_response()
}

const HOST_JS: &str = r#"(function () {
  "use strict";
  // A value Jira refused, under the field, as Jira shows a validation error.
  function showError(frame, text) {
    var p = frame.parentNode.querySelector(".sim-field-error");
    if (!p) { p = document.createElement("p"); p.className = "sim-field-error"; p.setAttribute("role", "alert"); frame.parentNode.appendChild(p); }
    p.textContent = String(text || "Jira refused the value.");
  }
  function frameOf(source) {
    var frames = document.querySelectorAll("iframe");
    for (var i = 0; i < frames.length; i++) { if (frames[i].contentWindow === source) { return frames[i]; } }
    return null;
  }
  window.addEventListener("message", function (event) {
    var frame = frameOf(event.source); var msg = event.data || {};
    if (!frame || msg.amjBridge !== 1) { return; }
    var reply = function (data) { event.source.postMessage({ amjBridge: 1, id: msg.id, data: data }, "*"); };
    if (msg.call === "getToken") {
      fetch("/sites/" + encodeURIComponent(frame.getAttribute("data-site")) + "/_sim/context-token")
        .then(function (r) { return r.ok ? r.text() : null; }).then(reply, function () { reply(null); });
    } else if (msg.call === "resize") {
      frame.style.height = Math.max(60, Math.min(4000, Number(msg.height) || 0)) + "px";
    } else if (msg.call === "navigate") {
      var site = "/sites/" + encodeURIComponent(frame.getAttribute("data-site"));
      var ctx = msg.context || {};
      if (msg.target === "issue" && typeof ctx.issueKey === "string") {
        window.location.href = site + "/browse/" + encodeURIComponent(ctx.issueKey);
      } else if (msg.target === "addonmodule" && typeof ctx.moduleKey === "string") {
        // Jira hands customData to the module URL as ac.* parameters.
        var params = new URLSearchParams();
        var data = ctx.customData || {};
        Object.keys(data).forEach(function (k) { params.append("ac." + k, String(data[k])); });
        var query = params.toString();
        window.location.href = site + "/apps/" + encodeURIComponent(ctx.moduleKey) + (query ? "?" + query : "");
      } else if (msg.target === "site" || msg.target === "dashboard") {
        window.location.href = site;
      }
    } else if (msg.call === "forgeNavigate") {
      // @forge/bridge's router: a URL, or a NavigationLocation.
      var siteUrl = "/sites/" + encodeURIComponent(frame.getAttribute("data-site"));
      var to = msg.location || {}; var href = null;
      if (typeof to.url === "string") {
        try { var u = new URL(to.url, location.href); if (u.origin === location.origin) { href = u.pathname + u.search + u.hash; } } catch (e) { href = null; }
      } else if (to.target === "issue" && typeof to.issueKey === "string") {
        href = siteUrl + "/browse/" + encodeURIComponent(to.issueKey);
      } else if (to.target === "module" && typeof to.moduleKey === "string") {
        var path = typeof to.path === "string" ? to.path : "";
        // A search of the page itself ("/?q") is kept in the page URL's query, as history does.
        if (path.charAt(0) === "/" && path.charAt(1) === "?") { path = path.slice(1); }
        href = siteUrl + "/apps/" + encodeURIComponent(to.moduleKey) + (path && path.charAt(0) !== "/" && path.charAt(0) !== "?" ? "/" : "") + path;
      }
      reply(href !== null);
      if (href !== null) { if (msg.type === "new-tab") { window.open(href, "_blank"); } else { window.location.href = href; } }
    } else if (msg.call === "forgeHistory") {
      // A Forge page's history paths live below the page's own URL, as in Jira.
      var base = frame.getAttribute("data-base");
      if (base) {
        var p = String(msg.path || "/");
        var next = base + (p === "/" ? "" : p.charAt(1) === "?" ? p.slice(1) : p);
        if (msg.replace) { history.replaceState(null, "", next); } else { history.pushState(null, "", next); }
      }
    } else if (msg.call === "history") {
      // Like Jira: a general page's state lives in the host URL's fragment, so a reload or a
      // shared link brings the app back to it.
      history.replaceState(null, "", location.pathname + location.search + '#!' + String(msg.state || ""));
    } else if (msg.call === "getState") {
      reply(location.hash.replace(/^#!/, ""));
    } else if (msg.call === "request") {
      // AP.request: Jira's REST API in the person's session, not the app's.
      fetch("/sites/" + encodeURIComponent(frame.getAttribute("data-site")) + "/_sim/ap-request", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(msg.options || {})
      }).then(function (r) { return r.json(); }).then(reply, function () { reply({ status: 0, body: "" }); });
    } else if (msg.call === "forgeSubmit" && frame.getAttribute("data-submit")) {
      // view.submit from a field's edit view or context configuration: save, then leave it.
      fetch(frame.getAttribute("data-submit"), {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(msg.payload === undefined ? null : msg.payload)
      }).then(function (r) {
        if (r.ok) { reply(true); location.href = frame.getAttribute("data-done"); return; }
        return r.text().then(function (text) { reply(false); showError(frame, text); });
      }, function () { reply(false); });
    } else if (msg.call === "forgeSubmit") {
      // view.submit from a gadget's edit entry point: save, then show the gadget again.
      var item = frame.getAttribute("data-item");
      if (!item) { reply(false); return; }
      fetch("/sites/" + encodeURIComponent(frame.getAttribute("data-site")) + "/_sim/gadgets/" + encodeURIComponent(item) + "/config", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(msg.payload === undefined ? null : msg.payload)
      }).then(function (r) { reply(r.ok); if (r.ok) { frame.src = frame.getAttribute("data-view-src"); } }, function () { reply(false); });
    } else if (msg.call === "flag") {
      var flag = document.createElement("div"); flag.className = "flag"; flag.setAttribute("role", "status");
      var title = document.createElement("strong"); title.textContent = String(msg.title || "");
      var body = document.createElement("p"); body.textContent = String(msg.body || "");
      flag.appendChild(title); flag.appendChild(body); document.getElementById("flags").appendChild(flag);
      setTimeout(function () { flag.remove(); }, 8000);
    }
  });
  // A gadget's Configure: Forge loads the edit entry point; Connect tells the frame.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("button[data-configure]");
    if (!button) { return; }
    var frame = document.getElementById(button.getAttribute("data-configure"));
    if (!frame) { return; }
    if (frame.getAttribute("data-edit-src")) { frame.src = frame.getAttribute("data-edit-src"); }
    else if (frame.contentWindow) { frame.contentWindow.postMessage({ amjBridge: 1, call: "dashboardItemEdit" }, "*"); }
  });
  // Back and forward: each page frame hears its new place.
  window.addEventListener("popstate", function () {
    var frames = document.querySelectorAll("iframe");
    for (var i = 0; i < frames.length; i++) {
      var base = frames[i].getAttribute("data-base");
      var target = frames[i].contentWindow;
      if (!target) { continue; }
      if (base) {
        var rest = (location.pathname.indexOf(base) === 0 ? location.pathname.slice(base.length) : "") + location.search;
        target.postMessage({ amjBridge: 1, call: "forgeLocation", path: rest.charAt(0) === "?" ? "/" + rest : (rest || "/") }, "*");
      } else {
        target.postMessage({ amjBridge: 1, call: "popState", newURL: location.href }, "*");
      }
    }
  });
})();
"#;

const ALL_JS: &str = r#"(function () {
  "use strict";
  var pending = {}; var next = 1;
  function send(call, extra) { var m = Object.assign({ amjBridge: 1, call: call }, extra || {}); window.parent.postMessage(m, "*"); return m; }
  var popped = []; var editors = [];
  window.addEventListener("message", function (event) {
    var msg = event.data || {};
    if (msg.amjBridge !== 1) { return; }
    if (msg.call === "popState") { popped.forEach(function (cb) { cb({ newURL: msg.newURL }); }); return; }
    if (msg.call === "dashboardItemEdit") { editors.forEach(function (cb) { cb(); }); return; }
    if (pending[msg.id]) { pending[msg.id](msg.data); delete pending[msg.id]; }
  });
  window.AP = {
    context: { getToken: function (callback) { var id = next++; pending[id] = callback; send("getToken", { id: id }); } },
    resize: function () { send("resize", { height: document.documentElement.scrollHeight }); },
    sizeToParent: function () { send("resize", { height: document.documentElement.scrollHeight }); },
    navigator: { go: function (target, context) { send("navigate", { target: target, context: context || {} }); } },
    history: {
      pushState: function (state) { send("history", { state: state }); },
      replaceState: function (state) { send("history", { state: state }); },
      getState: function (type, callback) { if (typeof type === "function") { callback = type; } if (typeof callback === "function") { var id = next++; pending[id] = callback; send("getState", { id: id }); } },
      popState: function (callback) { if (typeof callback === "function") { popped.push(callback); } }
    },
    theming: { initializeTheming: function () { simApplyTheme(); } },
    flag: { create: function (options) { options = options || {}; send("flag", { title: options.title, body: options.body, type: options.type }); return { close: function () {} }; } },
    // AP.request(options): Jira's REST API as the person. Answers a promise of {body, xhr}, and
    // calls success(body) or error(xhr), as all.js does.
    request: function (options) {
      options = typeof options === "string" ? { url: options } : (options || {});
      return new Promise(function (resolve, reject) {
        var id = next++;
        pending[id] = function (answer) {
          var xhr = { status: answer.status, responseText: answer.body };
          if (answer.status >= 200 && answer.status < 300) {
            if (options.success) { options.success(answer.body); }
            resolve({ body: answer.body, xhr: xhr });
          } else {
            if (options.error) { options.error(xhr, "error", ""); }
            var failure = new Error("request failed: " + answer.status); failure.xhr = xhr; reject(failure);
          }
        };
        send("request", { id: id, options: { url: options.url, type: options.type || "GET", data: options.data, contentType: options.contentType } });
      });
    },
    jira: {
      DashboardItem: { onDashboardItemEdit: function (callback) { if (typeof callback === "function") { editors.push(callback); } } },
      setDashboardItemTitle: function (title) { send("gadgetTitle", { title: String(title || "") }); }
    },
  };
  if (window.ResizeObserver) { new ResizeObserver(function () { window.AP.resize(); }).observe(document.documentElement); }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control;

    async fn html(response: Response) -> (StatusCode, String) {
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    const HOSTILE: &str = r#"<script>alert('owned')</script> & "quoted""#;

    #[test]
    fn avatars_show_escaped_initials_in_a_colour_of_their_own() {
        let svg = avatar_svg("557058:a", "ada lovelace");
        assert!(svg.contains(">AL</text>"), "{svg}");
        let hostile = avatar_svg("557058:b", "<b &x");
        assert!(hostile.contains(">&lt;&amp;</text>"), "{hostile}");
        let colours: std::collections::HashSet<String> = (0..40)
            .map(|i| {
                let svg = avatar_svg(&format!("id-{i}"), "A");
                svg.split("fill=\"").nth(1).unwrap_or_default()[..7].to_owned()
            })
            .collect();
        assert!(colours.len() > 3, "{colours:?}");
    }

    /// The only script element a page may have is the bridge's own.
    fn assert_escaped(page: &str) {
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(
            page.contains(r#"<script src="/host.js"></script>"#),
            "{page}"
        );
        assert!(page.contains("alert("), "the text is still shown: {page}");
        assert!(!page.contains(r#""quoted""#), "{page}");
    }

    #[tokio::test]
    async fn pages_escape_issue_summaries_and_keys() {
        let sim = Sim::start().await.unwrap();
        let site = sim.add_site("acme");
        sim.with_data(&site.name, |d| {
            d.issues.push(Issue {
                id: "99999".into(),
                key: "AM-<b>".into(),
                summary: HOSTILE.into(),
                project_key: "AM".into(),
                status: "<i>Open</i>".into(),
                assignee: None,
                updated: crate::data::SEEDED_AT,
            });
        })
        .unwrap();

        let (status, home) =
            html(site_home(State(sim.clone()), Path(site.name.clone())).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_escaped(&home);
        assert!(!home.contains("<b>") && !home.contains("<i>"), "{home}");
        assert!(home.contains(r#"<ul class="issues">"#), "{home}");

        let (status, issue) = html(
            issue_view(
                State(sim.clone()),
                Path((site.name.clone(), "AM-<b>".into())),
                Query(EditQuery::default()),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_escaped(&issue);
        assert!(!issue.contains("<b>"), "{issue}");
        assert!(issue.contains(r#"<div id="flags" aria-live="polite"></div>"#));
    }

    #[tokio::test]
    async fn messages_escape_what_they_echo() {
        let sim = Sim::start().await.unwrap();
        let (status, page) = html(site_home(State(sim.clone()), Path(HOSTILE.into())).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(page, "<p>No such site.</p>");

        // The control page's problems echo what was asked for.
        let page = Message {
            message: HOSTILE,
            back: true,
        }
        .render()
        .unwrap();
        assert!(!page.contains("<script"), "{page}");
        assert!(page.contains("alert("), "{page}");
        assert!(
            page.ends_with(r#"<p><a href="/_sim">Back</a></p>"#),
            "{page}"
        );
    }

    #[tokio::test]
    async fn the_control_page_escapes_site_rows() {
        let sim = Sim::start().await.unwrap();
        sim.add_site("<script>x</script>");
        let (status, page) = html(control::page(State(sim)).await).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("<script"), "{page}");
        assert!(
            page.contains(r#"<form method="post" action="/_sim/sites/"#),
            "{page}"
        );
    }
}
