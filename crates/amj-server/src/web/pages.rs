//! Pages rendered inside Jira iframes. Each one embeds a short-lived context token for its own
//! XHR calls and sends a CSP whose `frame-ancestors` names the site's Jira.

use super::AppState;
use super::error::AppError;
use super::extract::{AdminIframeAuth, IframeAuth};
use super::openapi::QueryPageBody;
use crate::auth::{Authenticated, unix_now};
use crate::timefmt::utc;
use amj_connect::ConnectClaims;
use amj_connect::jwt::sign_hs256;
use amj_connect::qsh::CONTEXT_QSH;
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

pub async fn descriptor(
    State(state): State<AppState>,
) -> Json<amj_connect::descriptor::Descriptor> {
    Json(state.descriptor.as_ref().clone())
}

/// A context token for the page's own API calls: the same shape as `AP.context.getToken()`
/// gives, signed with the site's current secret, so the API accepts either.
fn context_token(state: &AppState, auth: &Authenticated) -> Result<String, AppError> {
    let now = unix_now();
    let claims = ConnectClaims {
        iss: auth.tenant.client_key.clone(),
        sub: auth.account_id.clone(),
        iat: now,
        exp: now + state.config.context_token_ttl_secs,
        nbf: None,
        qsh: Some(CONTEXT_QSH.to_owned()),
        aud: None,
        context: None,
        jti: None,
    };
    sign_hs256(&claims, auth.tenant.shared_secret.expose().as_bytes()).map_err(AppError::internal)
}

fn origin(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
}

/// The page's CSP: our own origin for everything, Atlassian's bridge script, and framing only
/// by the site's Jira (its base and display URLs).
pub fn content_security_policy(state: &AppState, auth: &Authenticated) -> String {
    let own = origin(state.config.base_url_str()).unwrap_or_default();
    let ap = origin(&state.config.ap_js_url).unwrap_or_default();
    let mut ancestors = vec![origin(&auth.tenant.base_url).unwrap_or_default()];
    if let Some(display) = auth.tenant.display_url.as_deref().and_then(origin)
        && !ancestors.contains(&display)
    {
        ancestors.push(display);
    }
    format!(
        "default-src 'self' {own}; script-src 'self' {own} {ap}; style-src 'self' {own}; img-src 'self' {own} data:; \
         connect-src 'self' {own}; frame-ancestors {}; base-uri 'none'; form-action 'self' {own}; object-src 'none'",
        ancestors.join(" ")
    )
}

fn render_page(
    state: &AppState,
    auth: &Authenticated,
    page: &impl Template,
) -> Result<Response, AppError> {
    let html = page.render().map_err(AppError::internal)?;
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    let csp =
        HeaderValue::from_str(&content_security_policy(state, auth)).map_err(AppError::internal)?;
    // Caching, referrer and sniffing headers come from `web::security_headers`, for every answer.
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    Ok(response)
}

#[derive(Template)]
#[template(path = "assets.html")]
struct AssetsPage<'a> {
    context_token: String,
    app_base_url: &'a str,
    ap_js_url: &'a str,
    site_url: &'a str,
    /// (key, name, selected)
    schemas: Vec<(String, String, bool)>,
    /// (name, depth in the type tree), parents first.
    types: Vec<(String, usize)>,
    aql: String,
    /// The first page, as `POST /api/v1/assets/query` answers it, for the script to render at
    /// once: the rows need no second round trip.
    initial: String,
    /// Every attribute name of the schema, for the column chooser.
    attributes: String,
    /// A query error, shown next to the search box before any script runs.
    aql_error: Option<String>,
    /// The schema's status names, for bulk status changes.
    statuses: String,
}

/// Page parameters. Jira passes a general page's own URL parameters prefixed `ac.`.
#[derive(Deserialize, Default, Clone)]
pub struct AssetsQuery {
    #[serde(default)]
    schema: Option<String>,
    #[serde(default, rename = "ac.schema")]
    ac_schema: Option<String>,
    #[serde(default)]
    aql: Option<String>,
    #[serde(default, rename = "ac.aql")]
    ac_aql: Option<String>,
}

impl AssetsQuery {
    /// The page for `aql` in the site's first schema, as a plain link to the page would ask.
    pub fn with_aql(aql: &str) -> Self {
        Self {
            aql: Some(aql.to_owned()),
            ..Self::default()
        }
    }
}

pub async fn assets(
    State(state): State<AppState>,
    IframeAuth(auth): IframeAuth,
    Query(query): Query<AssetsQuery>,
) -> Result<Response, AppError> {
    let page = assets_page(&state, &auth, query).await?;
    render_page(&state, &auth, &page)
}

/// The list page's HTML for `auth`'s site: what the handler sends, and what `amj bench page`
/// times (the first query, the catalog and the template, without HTTP).
pub async fn assets_page_html(
    state: &AppState,
    auth: &Authenticated,
    query: AssetsQuery,
) -> Result<String, AppError> {
    assets_page(state, auth, query)
        .await?
        .render()
        .map_err(AppError::internal)
}

async fn assets_page<'a>(
    state: &'a AppState,
    auth: &'a Authenticated,
    query: AssetsQuery,
) -> Result<AssetsPage<'a>, AppError> {
    let schemas = state.store.list_schemas(auth.tenant.id).await?;
    let wanted = query.schema.or(query.ac_schema).unwrap_or_default();
    let selected = schemas
        .iter()
        .find(|s| s.key.as_str().eq_ignore_ascii_case(&wanted))
        .or(schemas.first());
    let aql = query.aql.or(query.ac_aql).unwrap_or_default();
    let mut initial = QueryPageBody {
        schema: String::new(),
        items: Vec::new(),
        next_cursor: None,
        total: Some(0),
        total_exact: Some(true),
    };
    let mut aql_error = None;
    let mut types = Vec::new();
    let mut attributes: Vec<String> = Vec::new();
    let mut statuses: Vec<String> = Vec::new();
    if let Some(schema) = selected {
        let request = crate::query::QueryRequest {
            aql: aql.clone(),
            schema: Some(schema.key.as_str().to_owned()),
            limit: 50,
            cursor: None,
            include_archived: false,
        };
        match crate::query::run(
            &state.store,
            &state.jira,
            &auth.tenant,
            auth.account_id.clone(),
            &request,
        )
        .await
        {
            Ok(result) => {
                initial = super::query_api::query_page_body(&result);
            }
            Err(crate::query::QueryError::Aql { error, query }) => {
                aql_error = Some(error.render(&query));
            }
            Err(other) => return Err(other.into()),
        }
        if let Some(model) = state.store.schema_model(auth.tenant.id, schema.id).await? {
            types = type_tree(&model);
            statuses = model.statuses.iter().map(|s| s.name.clone()).collect();
            for attribute in &model.attributes {
                if !attributes.contains(&attribute.name) {
                    attributes.push(attribute.name.clone());
                }
            }
        }
    }
    Ok(AssetsPage {
        context_token: context_token(state, auth)?,
        app_base_url: state.config.base_url_str(),
        ap_js_url: &state.config.ap_js_url,
        site_url: auth.tenant.display_url(),
        schemas: schemas
            .iter()
            .map(|s| {
                let chosen = selected.is_some_and(|c| c.id == s.id);
                (s.key.as_str().to_owned(), s.name.clone(), chosen)
            })
            .collect(),
        types,
        aql,
        initial: script_json(&initial)?,
        attributes: script_json(&attributes)?,
        aql_error,
        statuses: script_json(&statuses)?,
    })
}

/// The schema's types, each after its parent, with its depth for indenting the picker.
fn type_tree(model: &amj_store::catalog::SchemaModel) -> Vec<(String, usize)> {
    fn walk(
        all: &[&amj_domain::asset_type::AssetType],
        parent: Option<amj_domain::ids::TypeId>,
        depth: usize,
        out: &mut Vec<(String, usize)>,
    ) {
        for t in all.iter().filter(|t| t.parent_id == parent) {
            out.push((t.name.clone(), depth));
            if depth < 32 {
                walk(all, Some(t.id), depth + 1, out);
            }
        }
    }
    let all: Vec<&amj_domain::asset_type::AssetType> = model.types.types().collect();
    let mut out = Vec::new();
    walk(&all, None, 0, &mut out);
    out
}

/// JSON for a `data-json` attribute: askama escapes it as an attribute value, and the browser's
/// `dataset` gives back exactly this text (a `<script>` block would not decode the escapes).
fn script_json(value: &impl serde::Serialize) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(AppError::internal)
}

#[derive(Deserialize)]
pub struct GlanceQuery {
    #[serde(rename = "issueKey", default)]
    issue_key: String,
    #[serde(rename = "issueId", default)]
    issue_id: String,
}

/// The issue view's panel: the front end's bundle, booted for the issue Jira opened it on.
pub async fn issue_glance(
    State(state): State<AppState>,
    IframeAuth(auth): IframeAuth,
    Query(query): Query<GlanceQuery>,
) -> Result<Response, AppError> {
    let token = context_token(&state, &auth)?;
    let issue = (!query.issue_id.is_empty() && !query.issue_key.is_empty()).then(|| {
        super::ui::IssueContext {
            id: &query.issue_id,
            key: &query.issue_key,
        }
    });
    super::ui::connect_page(&state, &auth, &token, "issue-panel", issue)
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    context_token: String,
    app_base_url: &'a str,
    ap_js_url: &'a str,
    site_url: &'a str,
    installed_at: String,
    last_rotation: String,
    last_success: String,
    failures: Vec<(&'static str, i64)>,
    events: Vec<(String, String, String)>,
    /// Connect, Forge, or both.
    platform: &'static str,
    /// Each Forge installation: id, system token expiry, last event, state.
    installations: Vec<InstallationRow>,
}

struct InstallationRow {
    id: String,
    token_expires: String,
    last_event: String,
    last_trigger: String,
    state: String,
}

pub async fn admin(
    State(state): State<AppState>,
    AdminIframeAuth(auth): AdminIframeAuth,
) -> Result<Response, AppError> {
    let tenant = &auth.tenant;
    let health = super::connection_api::connection_health(&state, tenant).await?;
    let events = health
        .events
        .into_iter()
        .map(|e| (utc(e.at), e.kind, e.detail))
        .collect();
    let installations = health
        .installations
        .into_iter()
        .map(|i| InstallationRow {
            id: i.installation_id,
            token_expires: i
                .system_token_exp
                .map_or_else(|| "no token held".to_owned(), utc),
            last_event: i.last_event_at.map_or_else(|| "none yet".to_owned(), utc),
            last_trigger: i.last_trigger_at.map_or_else(|| "none yet".to_owned(), utc),
            state: match (i.dormant_at, i.dormant_reason) {
                (Some(at), Some(reason)) => format!("dormant since {} ({reason})", utc(at)),
                (Some(at), None) => format!("dormant since {}", utc(at)),
                _ => "active".to_owned(),
            },
        })
        .collect();
    let page = AdminPage {
        context_token: context_token(&state, &auth)?,
        app_base_url: state.config.base_url_str(),
        ap_js_url: &state.config.ap_js_url,
        site_url: tenant.display_url(),
        installed_at: utc(health.installed_at),
        last_rotation: health
            .last_rotation_at
            .map_or_else(|| "never".to_owned(), utc),
        last_success: health
            .last_success_at
            .map_or_else(|| "none since this instance started".to_owned(), utc),
        failures: health.failures,
        events,
        platform: health.platform.label(),
        installations,
    };
    render_page(&state, &auth, &page)
}

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");
const ASSETS_JS: &str = include_str!("../../static/assets.js");
const ADMIN_JS: &str = include_str!("../../static/admin.js");
const ICON_SVG: &str = include_str!("../../static/icon.svg");

pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "assets.js" => (ASSETS_JS, "text/javascript; charset=utf-8"),
        "admin.js" => (ADMIN_JS, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON_SVG, "image/svg+xml"),
        _ => {
            return AppError::NotFound {
                code: "not_found",
                message: format!("no static file {file:?}"),
            }
            .into_response();
        }
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}
