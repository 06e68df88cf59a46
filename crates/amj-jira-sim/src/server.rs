//! The simulator's HTTP server: which path reaches which part of the simulated Jira (host pages,
//! the tester's control page, the install-key server, the REST API). It sits above the modules it
//! routes to, so `sim` (the state and the protocol) depends on none of them.

use crate::keys::KeyServerMode;
use crate::sim::{AppCall, Sim, SimError};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use std::time::Duration;

impl Sim {
    /// Starts a simulator on a free loopback port.
    pub async fn start() -> Result<Self, SimError> {
        Self::start_on(
            "127.0.0.1:0"
                .parse()
                .map_err(|_| SimError::Startup("bad address".into()))?,
        )
        .await
    }

    /// Starts a simulator on `bind` (port 0 picks a free one).
    pub async fn start_on(bind: std::net::SocketAddr) -> Result<Self, SimError> {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| SimError::Startup(format!("cannot listen on {bind}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| SimError::Startup(e.to_string()))?;
        let sim = Sim::new(addr)?;
        let app = router(sim.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(sim)
    }
}

/// Forge's JWKS, as its CDN serves it; a 503 while the fault control has it down.
async fn forge_jwks(State(sim): State<Sim>) -> Response {
    match sim.forge().jwks() {
        Some(set) => axum::Json(set).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "30")],
            "the simulated Forge key CDN is down",
        )
            .into_response(),
    }
}

fn router(sim: Sim) -> Router {
    Router::new()
        .route("/", get(crate::host::index))
        .route("/host.js", get(crate::host::host_js))
        .route("/_sim/theme.css", get(crate::theme::theme_css))
        .route("/atlassian-connect/all.js", get(crate::host::all_js))
        .route("/sites/{site}", get(crate::host::site_home))
        .route("/sites/{site}/browse/{key}", get(crate::host::issue_view))
        .route(
            "/sites/{site}/browse/{key}/transition",
            post(crate::host::issue_transition),
        )
        .route(
            "/sites/{site}/apps/{module}",
            get(crate::host::general_page),
        )
        .route(
            "/sites/{site}/apps/{module}/{*path}",
            get(crate::host::general_page_at),
        )
        .route("/sites/{site}/admin/apps", get(crate::host::admin_apps))
        .route("/sites/{site}/dashboard", get(crate::host::dashboard))
        .route(
            "/sites/{site}/_sim/ap-request",
            post(crate::host::ap_request),
        )
        .route(
            "/sites/{site}/_sim/gadgets/{item}/config",
            post(crate::host::gadget_config),
        )
        .route(
            "/sites/{site}/_sim/avatar/{account}",
            get(crate::host::avatar),
        )
        .route(
            "/sites/{site}/_sim/context-token",
            get(crate::host::context_token),
        )
        .route(
            "/sites/{site}/_sim/fields/{field}/value",
            post(crate::host::field_value),
        )
        .route(
            "/sites/{site}/_sim/fields/{field}/configuration",
            post(crate::host::field_configuration),
        )
        .route(
            "/sites/{site}/portal/{project}",
            get(crate::host::portal).post(crate::host::portal_raise),
        )
        .route(
            "/sites/{site}/_sim/portal/{project}/fields/{field}",
            post(crate::host::portal_field),
        )
        .route("/_sim", get(crate::control::page))
        .route("/_sim/log", get(crate::control::log))
        .route("/_sim/sites", post(crate::control::add_site))
        .route(
            "/_sim/sites/{site}/{action}",
            post(crate::control::site_action),
        )
        .route("/_sim/rollout", post(crate::control::rollout))
        .route("/_sim/forge/rollout", post(crate::control::forge_rollout))
        .route(
            "/_sim/forge/keys/rollout",
            post(crate::control::forge_key_rollout),
        )
        .route(
            "/_sim/sites/{site}/issues/{key}/{action}",
            post(crate::control::issue_action),
        )
        .route("/_sim/clock", post(crate::control::clock))
        .route(
            "/_sim/forge/sites/{site}/{action}",
            post(crate::control::forge_site_action),
        )
        .route(
            "/_sim/forge/keys/{action}",
            post(crate::control::forge_keys_action),
        )
        .route("/keys/{*kid}", get(serve_key))
        .route("/forge/jwks.json", get(forge_jwks))
        .route("/_forge/runtime.js", get(crate::forge_ui::runtime_js))
        .route(
            "/_forge/cdn/{site}/{module}/{*path}",
            get(crate::forge_ui::cdn),
        )
        .route(
            "/_forge/invoke/{site}/{module}",
            post(crate::forge_ui::invoke),
        )
        .route("/sites/{site}/rest/{*rest}", any(jira_rest))
        .route("/ex/jira/{cloud_id}/rest/{*rest}", any(forge_rest))
        .with_state(sim)
}

async fn serve_key(State(sim): State<Sim>, Path(kid): Path<String>) -> Response {
    sim.keys().count_request();
    match sim.keys().mode() {
        KeyServerMode::Normal => match sim.keys().public_pem(&kid) {
            Some(pem) => ([("content-type", "application/x-pem-file")], pem).into_response(),
            None => (StatusCode::NOT_FOUND, "no such key").into_response(),
        },
        KeyServerMode::NotFound => (StatusCode::NOT_FOUND, "no such key").into_response(),
        KeyServerMode::ServerError => {
            (StatusCode::INTERNAL_SERVER_ERROR, "key server unavailable").into_response()
        }
        KeyServerMode::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}

async fn jira_rest(
    State(sim): State<Sim>,
    Path((name, rest)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Ok(site) = sim.site(&name) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"message": "no such site"})),
        )
            .into_response();
    };
    let verdict = sim.verify_app_call(&site, &method, &uri, &headers);
    let (status, body) = match &verdict {
        Err(message) => (
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"message": message}),
        ),
        Ok(()) if is_app_field(&rest) => (
            StatusCode::FORBIDDEN,
            serde_json::json!({"errorMessages": ["Connect apps cannot access this REST resource."]}),
        ),
        Ok(()) => crate::rest::answer(&sim, &site, None, &method, &rest, uri.query(), &body),
    };
    answer_app_call(&sim, name, &method, &uri, (status, body), verdict.err())
}

/// Jira's REST API as Forge remotes reach it: `{apiBaseUrl}/rest/…` with a system token.
async fn forge_rest(
    State(sim): State<Sim>,
    Path((cloud_id, rest)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let verdict = sim.verify_forge_token(&cloud_id, authorization);
    let (name, status, body) = match &verdict {
        Err(message) => (
            sim.site_by_cloud_id(&cloud_id).unwrap_or_default(),
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"message": message}),
        ),
        Ok((name, user)) => match sim.site(name) {
            Ok(site) if is_app_field(&rest) => {
                let parts: Vec<&str> = rest.split('/').skip(4).collect();
                let (status, body, event) = crate::fields::answer_app_field(
                    &sim,
                    &site.name,
                    method.as_str(),
                    &parts,
                    uri.query(),
                    &body,
                );
                if let Some((site, issue, changelog)) = event {
                    // Jira answers first and sends the event after, as it does.
                    let sim = sim.clone();
                    tokio::spawn(async move {
                        let _ = sim.send_issue_updated(&site, issue, changelog).await;
                    });
                }
                (name.clone(), status, body)
            }
            Ok(site) => {
                let caller = user.as_deref();
                let (status, body) =
                    crate::rest::answer(&sim, &site, caller, &method, &rest, uri.query(), &body);
                (name.clone(), status, body)
            }
            Err(_) => (
                name.clone(),
                StatusCode::NOT_FOUND,
                serde_json::json!({"message": "no such site"}),
            ),
        },
    };
    answer_app_call(&sim, name, &method, &uri, (status, body), verdict.err())
}

/// `api/{2,3}/app/field/…`: the custom field resources only the owning Forge app may call.
fn is_app_field(rest: &str) -> bool {
    rest.starts_with("api/3/app/field/") || rest.starts_with("api/2/app/field/")
}

/// Records the app's call as the site judged it, and answers it.
fn answer_app_call(
    sim: &Sim,
    site: String,
    method: &Method,
    uri: &Uri,
    (status, body): (StatusCode, serde_json::Value),
    failure: Option<String>,
) -> Response {
    sim.record(AppCall {
        site,
        method: method.to_string(),
        path: uri.path().to_owned(),
        status: status.as_u16(),
        failure,
    });
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (status, axum::Json(body)).into_response()
}
