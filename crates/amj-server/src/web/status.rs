//! Operations endpoints: Prometheus metrics, the public status page (HTML and JSON), and the
//! middleware that counts and times every request by route template.

use super::AppState;
use super::error::AppError;
use crate::ops::monitor::Monitor;
use crate::timefmt::utc;
use amj_ops::status::{Facts, StatusPage, status_page as compute_status_page};
use askama::Template;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

/// How far back the status page lists resolved incidents.
const RECENT_DAYS: i64 = 14;

/// Counts and times each request under its route template (never the raw path: that would be a
/// series per asset key).
pub async fn track_http(
    State(monitor): State<Arc<Monitor>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    monitor.metrics.record_http(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

pub async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let (idle, in_use) = state.store.pool_usage();
    state.monitor.metrics.set_pool(idle, in_use);
    let text = state.monitor.metrics.encode().map_err(AppError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

async fn current(state: &AppState) -> Result<StatusPage, AppError> {
    let now = state.monitor.clock.now_millis();
    let alerts = state.monitor.active_alerts();
    // The page must render while the database is down: that is when people look at it.
    let (database_ready, incidents) = match state
        .store
        .incidents_since(now - RECENT_DAYS * 86_400_000)
        .await
    {
        Ok(incidents) => (true, incidents),
        Err(e) => {
            tracing::warn!(error = %e, "the status page could not read incidents");
            (false, Vec::new())
        }
    };
    Ok(compute_status_page(Facts {
        now,
        alerts: &alerts,
        database_ready,
        last_tick_at: state.watch.last_tick_at(),
        tick_every_millis: i64::try_from(state.watch.every.as_millis()).unwrap_or(i64::MAX),
        incidents,
    }))
}

pub async fn status_json(State(state): State<AppState>) -> Result<Response, AppError> {
    let page = current(&state).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(page)).into_response())
}

struct UpdateView {
    posted: String,
    status: &'static str,
    message: String,
}

struct IncidentView {
    id: i64,
    title: String,
    impact: &'static str,
    component: &'static str,
    status: &'static str,
    opened: String,
    resolved: Option<String>,
    postmortem: Option<String>,
    updates: Vec<UpdateView>,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusTemplate<'a> {
    app_base_url: &'a str,
    overall: &'static str,
    overall_state: &'static str,
    components: Vec<(&'static str, &'static str, &'static str)>,
    open: Vec<IncidentView>,
    recent: Vec<IncidentView>,
    generated: String,
}

fn view(incident: &amj_ops::status::Incident) -> IncidentView {
    IncidentView {
        id: incident.id,
        title: incident.title.clone(),
        impact: incident.impact.as_str(),
        component: incident.component.title(),
        status: incident.status.as_str(),
        opened: utc(incident.opened_at),
        resolved: incident.resolved_at.map(utc),
        postmortem: incident.postmortem.clone(),
        updates: incident
            .updates
            .iter()
            .map(|u| UpdateView {
                posted: utc(u.at),
                status: u.status.as_str(),
                message: u.message.clone(),
            })
            .collect(),
    }
}

pub async fn status_page(State(state): State<AppState>) -> Result<Response, AppError> {
    let page = current(&state).await?;
    let template = StatusTemplate {
        app_base_url: state.config.base_url_str(),
        overall: page.overall_title,
        overall_state: page.overall.as_str(),
        components: page
            .components
            .iter()
            .map(|c| (c.name, c.state.as_str(), c.state_title))
            .collect(),
        open: page.open_incidents.iter().map(view).collect(),
        recent: page.recent_incidents.iter().map(view).collect(),
        generated: utc(page.generated_at),
    };
    let html = template.render().map_err(AppError::internal)?;
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    // A public page, framed by no one.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
