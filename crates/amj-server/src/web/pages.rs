//! Pages rendered inside Jira iframes. Each one embeds a short-lived context token for its own
//! XHR calls and sends a CSP whose `frame-ancestors` names the site's Jira.

use super::AppState;
use super::error::AppError;
use super::extract::{AdminIframeAuth, IframeAuth};
use super::ui::PageContext;
use crate::auth::{Authenticated, unix_now};
use amj_connect::ConnectClaims;
use amj_connect::jwt::sign_hs256;
use amj_connect::qsh::CONTEXT_QSH;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
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

/// Where Jira Cloud serves avatars from besides the site: Atlassian's avatar service and
/// Gravatar. (Forge's Custom UI may load them without a manifest permission.)
pub const AVATAR_HOSTS: &str = "https://*.atl-paas.net https://secure.gravatar.com";

/// The page's CSP: our own origin for everything, Atlassian's bridge script (and the theme
/// stylesheet `AP.theming` links from the same origin), and framing only by the site's Jira
/// (its base and display URLs). Images may also come from where Jira serves people's avatars:
/// the site itself, Atlassian's avatar service and Gravatar (which Jira's default avatars
/// redirect through).
pub fn content_security_policy(state: &AppState, auth: &Authenticated) -> String {
    let own = origin(state.config.base_url_str()).unwrap_or_default();
    let ap = origin(&state.config.ap_js_url).unwrap_or_default();
    let mut ancestors = vec![origin(&auth.tenant.base_url).unwrap_or_default()];
    if let Some(display) = auth.tenant.display_url.as_deref().and_then(origin)
        && !ancestors.contains(&display)
    {
        ancestors.push(display);
    }
    let sites = ancestors.join(" ");
    format!(
        "default-src 'self' {own}; script-src 'self' {own} {ap}; style-src 'self' {own} {ap}; \
         img-src 'self' {own} data: {sites} {AVATAR_HOSTS}; \
         connect-src 'self' {own}; frame-ancestors {sites}; base-uri 'none'; form-action 'self' {own}; object-src 'none'"
    )
}

/// Page parameters. Jira passes a general page's own URL parameters, and the `customData` of
/// `AP.navigator.go`, prefixed `ac.`.
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
    /// A place in the list (`/asset/IT-12`), as the issue panel's link asks for.
    #[serde(default, rename = "ac.path")]
    ac_path: Option<String>,
}

impl AssetsQuery {
    /// Where the list starts, as a path of the bundle's history (`ui/src/query.ts`): the place
    /// Jira handed on, or a search. `None` leaves it to the host URL.
    pub fn start_path(&self) -> Option<String> {
        if let Some(path) = self.ac_path.as_deref().filter(|p| p.starts_with('/')) {
            return Some(path.to_owned());
        }
        let aql = self
            .aql
            .as_deref()
            .or(self.ac_aql.as_deref())
            .map(str::trim)
            .filter(|a| !a.is_empty());
        let schema = self
            .schema
            .as_deref()
            .or(self.ac_schema.as_deref())
            .filter(|s| !s.is_empty());
        if aql.is_none() && schema.is_none() {
            return None;
        }
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(schema) = schema {
            query.append_pair("schema", schema);
        }
        if let Some(aql) = aql {
            query.append_pair("aql", aql);
        }
        Some(format!("/?{}", query.finish()))
    }
}

/// The asset list: the front end's bundle, booted at the place the URL asks for.
pub async fn assets(
    State(state): State<AppState>,
    IframeAuth(auth): IframeAuth,
    Query(query): Query<AssetsQuery>,
) -> Result<Response, AppError> {
    let token = context_token(&state, &auth)?;
    let start = query.start_path();
    super::ui::connect_page(
        &state,
        &auth,
        &token,
        "assets",
        PageContext::default(),
        start.as_deref(),
    )
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
    let place = PageContext {
        issue,
        gadget: None,
    };
    super::ui::connect_page(&state, &auth, &token, "issue-panel", place, None)
}

/// The settings page: the bundle's, for the site's admins only (the API checks again).
pub async fn admin(
    State(state): State<AppState>,
    AdminIframeAuth(auth): AdminIframeAuth,
) -> Result<Response, AppError> {
    let token = context_token(&state, &auth)?;
    super::ui::connect_page(&state, &auth, &token, "admin", PageContext::default(), None)
}

#[derive(Deserialize)]
pub struct GadgetQuery {
    #[serde(rename = "dashboardId", default)]
    dashboard_id: String,
    #[serde(rename = "dashboardItemId", default)]
    item_id: String,
}

/// The dashboard gadget: the bundle's, for the dashboard item Jira placed it as. Its settings
/// are the item's property, which the frame reads and writes in the viewer's session.
pub async fn gadget(
    State(state): State<AppState>,
    IframeAuth(auth): IframeAuth,
    Query(query): Query<GadgetQuery>,
) -> Result<Response, AppError> {
    let is_id = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if !is_id(&query.dashboard_id) || !is_id(&query.item_id) {
        return Err(AppError::bad_request(
            "invalid_gadget",
            "dashboardId and dashboardItemId must be Jira's numeric ids",
        ));
    }
    let token = context_token(&state, &auth)?;
    let place = PageContext {
        issue: None,
        gadget: Some(super::ui::GadgetContext {
            dashboard_id: &query.dashboard_id,
            item_id: &query.item_id,
        }),
    };
    super::ui::connect_page(&state, &auth, &token, "gadget", place, None)
}

const APP_CSS: &str = include_str!("../../static/app.css");
const ICON_SVG: &str = include_str!("../../static/icon.svg");

pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
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
