//! The simulator's control API and page: what a tester does to Jira by hand. Each action answers
//! JSON to API clients (`Accept: application/json`) and redirects browsers back to the page.

use crate::host::esc;
use crate::sim::{RolloutPlan, Sim};
use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
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
        (
            status,
            Html(format!(
                "<p>{}</p><p><a href=\"/_sim\">Back</a></p>",
                esc(&message)
            )),
        )
            .into_response()
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

#[derive(Deserialize)]
pub struct IssueChange {
    /// For `move`: the target project key.
    #[serde(default)]
    project: String,
}

/// Changes a simulated issue (`delete`, or `move` to another project) and sends the webhook
/// Jira would send for it.
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
    if plan.day_secs == 0 || plan.day_secs > 86_400 || plan.batches == 0 || plan.batches > 1000 {
        return problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "day_secs must be 1 to 86400 and batches 1 to 1000".into(),
        );
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

pub async fn page(State(sim): State<Sim>) -> Html<String> {
    let sites = sim
        .site_names()
        .into_iter()
        .filter_map(|name| sim.site(&name).ok())
        .map(|site| {
            let actions = ["install", "legacy-install", "rotate", "uninstall", "enable", "disable"]
                .iter()
                .map(|a| format!(r#"<form method="post" action="/_sim/sites/{n}/{a}"><button>{a}</button></form>"#, n = esc(&site.name)))
                .collect::<String>();
            format!(
                r#"<tr><td><a href="/sites/{n}">{n}</a></td><td><code>{ck}</code></td><td>{inst}</td><td><code>{fp}…</code></td><td class="actions">{actions}</td></tr>"#,
                n = esc(&site.name),
                ck = esc(&site.client_key),
                inst = if site.installed { "installed" } else { "not installed" },
                fp = esc(site.shared_secret.get(..10).unwrap_or_default()),
            )
        })
        .collect::<String>();
    let log = sim
        .calls()
        .into_iter()
        .rev()
        .take(100)
        .map(|c| {
            format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&c.site),
                esc(&c.method),
                esc(&c.path),
                c.status,
                esc(c.failure.as_deref().unwrap_or(""))
            )
        })
        .collect::<String>();
    let app = sim.app().map_or_else(
        || "none registered".to_owned(),
        |a| format!("{} at {}", a.key, a.base_url),
    );
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Simulator control</title>
<style>body{{font:14px/20px sans-serif;margin:24px;color:#172b4d}} table{{border-collapse:collapse}} td,th{{padding:4px 8px;border-bottom:1px solid #dcdfe4;text-align:left}} form{{display:inline}} .actions button{{margin-right:4px}}</style></head>
<body><h1>Simulated Jira: control</h1><p>App: {app}. Clock skew: {skew} s.</p>
<h2>Sites</h2><table><thead><tr><th>Site</th><th>clientKey</th><th>State</th><th>Secret</th><th>Actions</th></tr></thead><tbody>{sites}</tbody></table>
<form method="post" action="/_sim/sites"><label>New site <input name="name" required pattern="[a-z0-9-]{{1,40}}"></label> <button>Add</button></form>
<h2>Batched rollout</h2><form method="post" action="/_sim/rollout"><label>Day (seconds) <input name="day_secs" type="number" value="60" min="1"></label> <label>Batches <input name="batches" type="number" value="5" min="1"></label> <button>Rotate every site</button></form>
<h2>Clock</h2><form method="post" action="/_sim/clock"><label>Skew (seconds) <input name="skew_secs" type="number" value="0"></label> <button>Set</button></form>
<h2>Exchange log (newest first)</h2><table><thead><tr><th>Site</th><th>Kind</th><th>Path</th><th>Status</th><th>Failure</th></tr></thead><tbody>{log}</tbody></table></body></html>"#,
        app = esc(&app),
        skew = sim.clock_skew(),
    ))
}
