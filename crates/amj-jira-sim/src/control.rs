//! The simulator's control API and page: what a tester does to Jira by hand. Each action answers
//! JSON to API clients (`Accept: application/json`) and redirects browsers back to the page.

use crate::host::{Message, render};
use crate::sim::{AppCall, RolloutPlan, Sim};
use askama::Template;
use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

fn answer(headers: &HeaderMap, status: StatusCode, body: serde_json::Value) -> Response {
    if wants_json(headers) {
        (status, Json(body)).into_response()
    } else {
        Redirect::to("/_sim").into_response()
    }
}

fn problem(headers: &HeaderMap, status: StatusCode, message: String) -> Response {
    if wants_json(headers) {
        (status, Json(json!({"error": {"message": message}}))).into_response()
    } else {
        render(
            status,
            &Message {
                message: &message,
                back: true,
            },
        )
    }
}

#[derive(Deserialize)]
pub struct NewSite {
    name: String,
}

pub async fn add_site(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Form(new): Form<NewSite>,
) -> Response {
    let valid = !new.name.is_empty()
        && new.name.len() <= 40
        && new
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "a site name is 1 to 40 lower-case letters, digits or dashes".into(),
        );
    }
    if sim.site(&new.name).is_ok() {
        return problem(
            &headers,
            StatusCode::CONFLICT,
            format!("site {} exists already", new.name),
        );
    }
    let site = sim.add_site(&new.name);
    answer(
        &headers,
        StatusCode::CREATED,
        json!({"name": site.name, "baseUrl": site.base_url, "clientKey": site.client_key}),
    )
}

pub async fn site_action(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path((site, action)): Path<(String, String)>,
) -> Response {
    let Some(app) = sim.app() else {
        return problem(
            &headers,
            StatusCode::CONFLICT,
            "no app is registered with this simulator".into(),
        );
    };
    if sim.site(&site).is_err() {
        return problem(&headers, StatusCode::NOT_FOUND, format!("no site {site}"));
    }
    let result = match action.as_str() {
        "install" => sim.install(&site, &app).await,
        "legacy-install" => sim.install_legacy(&site, &app).await,
        "rotate" => sim.rotate(&site, &app, false).await,
        "uninstall" => sim.uninstall(&site, &app).await,
        "enable" => sim.set_enabled(&site, &app, true).await,
        "disable" => sim.set_enabled(&site, &app, false).await,
        other => {
            return problem(
                &headers,
                StatusCode::NOT_FOUND,
                format!("unknown action {other}"),
            );
        }
    };
    match result {
        Ok(status) => answer(
            &headers,
            StatusCode::OK,
            json!({"site": site, "action": action, "appStatus": status}),
        ),
        Err(e) => problem(&headers, StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

/// Forge's side of a site: `upgrade` (from Connect, silently), `reinstall` (a new installation
/// id), `revoke-tokens`.
pub async fn forge_site_action(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path((site, action)): Path<(String, String)>,
) -> Response {
    if sim.site(&site).is_err() {
        return problem(&headers, StatusCode::NOT_FOUND, format!("no site {site}"));
    }
    let installation = match action.as_str() {
        "upgrade" => sim.forge_upgrade(&site),
        "reinstall" => sim.forge_install(&site, None),
        "revoke-tokens" => {
            sim.revoke_system_tokens(&site);
            Ok(sim.forge_installation(&site).unwrap_or_default())
        }
        other => {
            return problem(
                &headers,
                StatusCode::NOT_FOUND,
                format!("unknown Forge action {other}"),
            );
        }
    };
    match installation {
        Ok(installation) => answer(
            &headers,
            StatusCode::OK,
            json!({"site": site, "action": action, "installationId": installation}),
        ),
        Err(e) => problem(&headers, StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// Atlassian's move of every Connect site to Forge, in batches over `day_secs`, in the background
/// (traffic goes on meanwhile).
pub async fn forge_rollout(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Form(plan): Form<Rollout>,
) -> Response {
    if let Err(message) = plan.check() {
        return problem(&headers, StatusCode::BAD_REQUEST, message);
    }
    let sites = sim.installed_sites();
    tokio::spawn(async move {
        if let Err(e) = sim
            .forge_rollout(Duration::from_secs(plan.day_secs), plan.batches)
            .await
        {
            tracing::warn!(error = %e, "the Forge rollout failed");
        }
    });
    answer(
        &headers,
        StatusCode::ACCEPTED,
        json!({"started": true, "sites": sites}),
    )
}

/// Forge's key rotation as a batched rollout over `day_secs`, in the background: the new key is
/// published at once, sites move to it batch by batch, and the old keys are retired a quarter of
/// a "day" after the last batch.
pub async fn forge_key_rollout(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Form(plan): Form<Rollout>,
) -> Response {
    if let Err(message) = plan.check() {
        return problem(&headers, StatusCode::BAD_REQUEST, message);
    }
    let day = Duration::from_secs(plan.day_secs);
    tokio::spawn(async move {
        if let Err(e) = sim.forge_key_rollout(day, plan.batches, day / 4).await {
            tracing::warn!(error = %e, "the Forge key rollout failed");
        }
    });
    answer(&headers, StatusCode::ACCEPTED, json!({"started": true}))
}

/// Forge's signing keys: `rotate` (a new key signs at once), `publish` (a new key is published
/// but does not sign yet), `activate` (the newest published key signs), `retire` (keys that do
/// not sign leave the JWKS), `outage` and `restore` (the JWKS answers 503, or again normally).
pub async fn forge_keys_action(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path(action): Path<String>,
) -> Response {
    let signer = sim.forge();
    let result: Result<(), String> = match action.as_str() {
        "rotate" => signer.rotate_now().map(|_| ()).map_err(|e| e.to_string()),
        "publish" => signer.publish_next().map(|_| ()).map_err(|e| e.to_string()),
        "activate" => match signer.newest_kid() {
            Some(kid) if signer.activate(&kid) => Ok(()),
            _ => Err("no published key to activate".into()),
        },
        "retire" => {
            signer.retire_inactive();
            Ok(())
        }
        "outage" => {
            signer.set_mode(crate::forge::JwksMode::Unavailable);
            Ok(())
        }
        "restore" => {
            signer.set_mode(crate::forge::JwksMode::Normal);
            Ok(())
        }
        other => {
            return problem(
                &headers,
                StatusCode::NOT_FOUND,
                format!("unknown key action {other}"),
            );
        }
    };
    match result {
        Ok(()) => answer(
            &headers,
            StatusCode::OK,
            json!({"action": action, "activeKid": signer.active_kid()}),
        ),
        Err(e) => problem(&headers, StatusCode::CONFLICT, e),
    }
}

#[derive(Deserialize)]
pub struct IssueChange {
    /// For `move`: the target project key.
    #[serde(default)]
    project: String,
    /// For `transition`: the status to move to, by name.
    #[serde(default)]
    status: String,
}

/// Changes a simulated issue (`delete`, `move` to another project, or `transition` to another
/// status) and sends the webhook or Forge event Jira would send for it.
pub async fn issue_action(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path((site, key, action)): Path<(String, String, String)>,
    Form(change): Form<IssueChange>,
) -> Response {
    if sim.app().is_none() {
        return problem(
            &headers,
            StatusCode::CONFLICT,
            "no app is registered with this simulator".into(),
        );
    }
    let result = match action.as_str() {
        "delete" => sim.delete_issue(&site, &key).await,
        "move"
            if !change.project.is_empty()
                && change.project.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            sim.move_issue(&site, &key, &change.project).await
        }
        "move" => {
            return problem(
                &headers,
                StatusCode::BAD_REQUEST,
                "move needs a project key of letters".into(),
            );
        }
        "transition" => match crate::data::workflow_status(&change.status) {
            Some(status) => sim.transition_issue(&site, &key, status.name).await,
            None => {
                let names: Vec<&str> = crate::data::WORKFLOW.iter().map(|s| s.name).collect();
                return problem(
                    &headers,
                    StatusCode::BAD_REQUEST,
                    format!("transition needs a status: one of {}", names.join(", ")),
                );
            }
        },
        other => {
            return problem(
                &headers,
                StatusCode::NOT_FOUND,
                format!("unknown issue action {other}"),
            );
        }
    };
    match result {
        Ok(statuses) => answer(
            &headers,
            StatusCode::OK,
            json!({"site": site, "issue": key, "webhookStatuses": statuses}),
        ),
        Err(e) => problem(&headers, StatusCode::NOT_FOUND, e.to_string()),
    }
}

#[derive(Deserialize)]
pub struct Rollout {
    day_secs: u64,
    batches: usize,
}

impl Rollout {
    fn check(&self) -> Result<(), String> {
        if self.day_secs == 0 || self.day_secs > 86_400 || self.batches == 0 || self.batches > 1000
        {
            return Err("day_secs must be 1 to 86400 and batches 1 to 1000".into());
        }
        Ok(())
    }
}

pub async fn rollout(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Form(plan): Form<Rollout>,
) -> Response {
    let Some(app) = sim.app() else {
        return problem(
            &headers,
            StatusCode::CONFLICT,
            "no app is registered with this simulator".into(),
        );
    };
    if let Err(message) = plan.check() {
        return problem(&headers, StatusCode::BAD_REQUEST, message);
    }
    let plan = RolloutPlan {
        day: Duration::from_secs(plan.day_secs),
        batches: plan.batches,
        switch_regardless: false,
    };
    // The rollout runs in the background, like Atlassian's: traffic goes on meanwhile.
    tokio::spawn(async move {
        if let Err(e) = sim.rollout(&app, &plan).await {
            tracing::warn!(error = %e, "rollout failed");
        }
    });
    answer(&headers, StatusCode::ACCEPTED, json!({"started": true}))
}

#[derive(Deserialize)]
pub struct Clock {
    skew_secs: i64,
}

pub async fn clock(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Form(clock): Form<Clock>,
) -> Response {
    if clock.skew_secs.abs() > 3600 {
        return problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "skew_secs must be within ±3600".into(),
        );
    }
    sim.skew_clock(clock.skew_secs);
    answer(
        &headers,
        StatusCode::OK,
        json!({"skewSecs": clock.skew_secs}),
    )
}

pub async fn log(State(sim): State<Sim>) -> Json<serde_json::Value> {
    let entries: Vec<_> = sim
        .calls()
        .into_iter()
        .rev()
        .take(500)
        .map(|c| json!({"site": c.site, "method": c.method, "path": c.path, "status": c.status, "failure": c.failure}))
        .collect();
    Json(json!({"entries": entries}))
}

/// The actions each site's row offers, in `/_sim/sites/{site}/{action}`.
const SITE_ACTIONS: [&str; 6] = [
    "install",
    "legacy-install",
    "rotate",
    "uninstall",
    "enable",
    "disable",
];

/// One site's row on the control page.
struct SiteRow {
    name: String,
    client_key: String,
    installed: bool,
    /// The first characters of the shared secret, enough to see that it changed.
    secret_prefix: String,
    /// The Forge installation id, when the site has the Forge version.
    forge_installation: Option<String>,
}

#[derive(Template)]
#[template(path = "control.html")]
struct ControlPage {
    app: String,
    skew: i64,
    sites: Vec<SiteRow>,
    actions: &'static [&'static str],
    /// The newest exchanges first.
    calls: Vec<AppCall>,
}

pub async fn page(State(sim): State<Sim>) -> Response {
    let sites = sim
        .site_names()
        .into_iter()
        .filter_map(|name| sim.site(&name).ok())
        .map(|site| SiteRow {
            forge_installation: sim.forge_installation(&site.name),
            secret_prefix: site.shared_secret.get(..10).unwrap_or_default().to_owned(),
            name: site.name,
            client_key: site.client_key,
            installed: site.installed,
        })
        .collect();
    let page = ControlPage {
        app: sim.app().map_or_else(
            || "none registered".to_owned(),
            |a| format!("{} at {}", a.key, a.base_url),
        ),
        skew: sim.clock_skew(),
        sites,
        actions: &SITE_ACTIONS,
        calls: sim.calls().into_iter().rev().take(100).collect(),
    };
    render(StatusCode::OK, &page)
}
