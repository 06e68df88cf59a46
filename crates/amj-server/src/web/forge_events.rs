//! `POST /forge/events`: Jira product events, Forge lifecycle events and the hourly scheduled
//! trigger, each with a Forge Invocation Token.
//!
//! Forge gives a remote 5 s and retries a failed or slow delivery up to 4 times, 60 s apart. So
//! the handler only verifies, stores the event durably (deduplicated across retries) and
//! answers; the work is done afterwards by [`spawn_worker`], from the database, so a crash
//! between the answer and the work loses nothing. Effects match the Connect webhooks: links of
//! deleted issues are dropped (and their requests released), moved issues are followed, and an
//! updated issue's requests are settled against its status (`crate::requests`).

use super::AppState;
use super::error::AppError;
use crate::auth::forge::ForgeInvocation;
use crate::jira::payload::IssueId;
use amj_connect::{AuthError, AuthReason, RouteKind};
use amj_domain::ids::TenantId;
use amj_store::forge::ForgeEvent;
use amj_store::links::IssueRef;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// The scheduled trigger's module key in our manifest.
pub const SCHEDULED_TRIGGER_KEY: &str = "amj-hourly";
pub const SCHEDULED_TRIGGER: &str = "scheduledTrigger";

/// How long a failed event waits before it is tried again.
const RETRY_AFTER_MS: i64 = 30_000;

pub async fn forge_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let invocation = authenticate(&state, &headers).await?;
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request("invalid_json", format!("the event is not JSON: {e}"))
    })?;
    if !body.is_object() {
        return Err(AppError::bad_request(
            "invalid_event",
            "the event must be a JSON object",
        ));
    }
    let event_type = event_type(&body, &invocation)?;
    let now = amj_store::now_millis();
    if event_type == SCHEDULED_TRIGGER {
        // Its system token is already stored; the trigger itself is the site's sign of life.
        state
            .store
            .touch_forge_event(&invocation.installation_id, true, now)
            .await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    let key = dedupe_key(&invocation.installation_id, &event_type, &body);
    let payload = serde_json::to_string(&body)
        .map_err(|e| AppError::bad_request("invalid_event", e.to_string()))?;
    let queued = state
        .store
        .enqueue_forge_event(
            invocation.tenant.id,
            &invocation.installation_id,
            &event_type,
            &payload,
            &key,
        )
        .await?;
    state
        .store
        .touch_forge_event(&invocation.installation_id, false, now)
        .await?;
    tracing::info!(event = %event_type, id = queued.id, duplicate = queued.duplicate, "Forge event stored");
    state.forge_events.notify_one();
    Ok(StatusCode::NO_CONTENT)
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<ForgeInvocation, AppError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        state
            .counters
            .record_failure(RouteKind::ForgeEvent, AuthReason::MissingToken, None);
        return Err(AppError::Unauthorized(AuthError::new(
            AuthReason::MissingToken,
            "events need Authorization: Bearer <Forge invocation token>",
        )));
    };
    super::caller::forge_invocation(state, RouteKind::ForgeEvent, token, headers).await
}

/// The event's body, whether Forge sends the event fields at the top level or under `payload`
/// (the docs show the latter; which one a remote gets is unverified, so both are read).
fn inner(body: &Value) -> &Value {
    match body.get("payload") {
        Some(payload) if payload.get("eventType").is_some() => payload,
        _ => body,
    }
}

fn event_type(body: &Value, invocation: &ForgeInvocation) -> Result<String, AppError> {
    if let Some(kind) = inner(body).get("eventType").and_then(Value::as_str) {
        return Ok(kind.to_owned());
    }
    if invocation.module_key.as_deref() == Some(SCHEDULED_TRIGGER_KEY) {
        return Ok(SCHEDULED_TRIGGER.to_owned());
    }
    Err(AppError::bad_request(
        "invalid_event",
        "the event has no eventType and is not our scheduled trigger",
    ))
}

/// The same for every retry of one event: its body without `retryContext` (which counts the
/// retries), for this installation and event type.
fn dedupe_key(installation_id: &str, event_type: &str, body: &Value) -> String {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove("retryContext");
        if let Some(payload) = object.get_mut("payload").and_then(Value::as_object_mut) {
            payload.remove("retryContext");
        }
    }
    format!("{installation_id}\n{event_type}\n{body}")
}

#[derive(Debug, Deserialize)]
struct IssueEvent {
    issue: EventIssue,
    /// What changed (`avi:jira:updated:issue`): the Assets field is reviewed when it did.
    #[serde(default)]
    changelog: Option<EventChangelog>,
}

#[derive(Debug, Deserialize)]
struct EventChangelog {
    #[serde(default)]
    items: Vec<ChangeItem>,
}

#[derive(Debug, Deserialize)]
struct ChangeItem {
    #[serde(default, rename = "fieldId")]
    field_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EventIssue {
    id: IssueId,
    key: Option<String>,
    fields: Option<EventFields>,
}

#[derive(Debug, Deserialize)]
struct EventFields {
    summary: Option<String>,
}

/// The issue an event is about, with what links keep of it.
fn issue_ref(issue: EventIssue) -> Result<IssueRef, WorkError> {
    let id = issue
        .id
        .value()
        .ok_or_else(|| WorkError::Invalid("the issue id is not a number".into()))?;
    let key = issue
        .key
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| WorkError::Invalid("the issue has no key".into()))?;
    let summary = issue
        .fields
        .and_then(|f| f.summary)
        .ok_or_else(|| WorkError::Invalid("the issue has no summary".into()))?;
    Ok(IssueRef { id, key, summary })
}

/// Why an event could not be applied: worth retrying, or never going to work.
#[derive(Debug, thiserror::Error)]
enum WorkError {
    #[error("{0}")]
    Retry(#[from] amj_store::StoreError),
    #[error("{0}")]
    Jira(String),
    #[error("{0}")]
    Invalid(String),
}

async fn apply(state: &AppState, event: &ForgeEvent) -> Result<(), WorkError> {
    let body: Value =
        serde_json::from_str(&event.payload).map_err(|e| WorkError::Invalid(e.to_string()))?;
    let tenant = TenantId(event.tenant_id);
    let delivery = format!("forge-event:{}", event.id);
    match event.event_type.as_str() {
        "avi:jira:deleted:issue" => {
            let issue: IssueEvent = serde_json::from_value(inner(&body).clone())
                .map_err(|e| WorkError::Invalid(format!("not an issue event: {e}")))?;
            let id = issue
                .issue
                .id
                .value()
                .ok_or_else(|| WorkError::Invalid("the issue id is not a number".into()))?;
            state
                .store
                .apply_issue_deleted(tenant, &delivery, id)
                .await?;
            state.store.release_requests_of_issue(tenant, id).await?;
        }
        "avi:jira:updated:issue" => {
            let issue: IssueEvent = serde_json::from_value(inner(&body).clone())
                .map_err(|e| WorkError::Invalid(format!("not an issue event: {e}")))?;
            let changed: Vec<String> = issue
                .changelog
                .map(|c| c.items.into_iter().filter_map(|i| i.field_id).collect())
                .unwrap_or_default();
            let issue = issue_ref(issue.issue)?;
            let id = issue.id;
            state
                .store
                .apply_issue_updated(tenant, &delivery, &issue)
                .await?;
            // The field is reviewed and the requests settled whatever the other's outcome: a
            // field the app cannot check must not hold an approval back, nor the reverse.
            let reviewed = review_asset_fields(
                state,
                tenant,
                &issue,
                crate::asset_field::Touched::Changed(&changed),
            )
            .await;
            // Requests on the issue are settled against its status now (read from Jira).
            crate::requests::settle_issue_of(&state.jira, &state.store, tenant, id)
                .await
                .map_err(|e| match e {
                    crate::requests::SettleError::Store(e) => WorkError::Retry(e),
                    crate::requests::SettleError::Jira(e) if e.is_transient() => {
                        WorkError::Jira(e.to_string())
                    }
                    // Retrying soon cannot help; the hourly sweep reads the issue again.
                    crate::requests::SettleError::Jira(e) => WorkError::Invalid(format!(
                        "the issue's requests could not be settled: {e}"
                    )),
                })?;
            // A retry settles again, which changes nothing that is settled already.
            reviewed?;
        }
        "avi:jira:created:issue" => {
            let issue: IssueEvent = serde_json::from_value(inner(&body).clone())
                .map_err(|e| WorkError::Invalid(format!("not an issue event: {e}")))?;
            // A new issue's Assets field came from the create screen or the portal.
            review_asset_fields(
                state,
                tenant,
                &issue_ref(issue.issue)?,
                crate::asset_field::Touched::Created,
            )
            .await?;
        }
        "avi:forge:installed:app" => {
            state
                .store
                .log_forge_lifecycle(
                    tenant,
                    "forge_installed",
                    &event.installation_id,
                    event.received_at,
                )
                .await?;
        }
        "avi:forge:upgraded:app" => {
            state
                .store
                .log_forge_lifecycle(
                    tenant,
                    "forge_upgraded",
                    &event.installation_id,
                    event.received_at,
                )
                .await?;
        }
        other => {
            tracing::info!(
                event = other,
                "Forge event of a kind the app does not use; ignored"
            );
        }
    }
    Ok(())
}

/// The Assets field after a change to it: keys outside the scope removed, its assets linked
/// (`crate::asset_field`), and the issue property that JQL's `assetKeys` reads rewritten.
async fn review_asset_fields(
    state: &AppState,
    tenant: TenantId,
    issue: &IssueRef,
    touched: crate::asset_field::Touched<'_>,
) -> Result<(), WorkError> {
    use crate::asset_field::FieldError;
    use crate::query::QueryError;
    let review = crate::asset_field::review_issue(
        &state.jira,
        &state.store,
        state.config.forge_app.as_ref(),
        tenant,
        issue,
        touched,
    )
    .await
    .map_err(|e| match e {
        FieldError::Store(e) | FieldError::Query(QueryError::Store(e)) => WorkError::Retry(e),
        FieldError::Jira(e) | FieldError::Query(QueryError::Jira(e)) if e.is_transient() => {
            WorkError::Jira(e.to_string())
        }
        other => WorkError::Invalid(format!("the Assets field could not be reviewed: {other}")),
    })?;
    if review.linked > 0
        && let Some(site) = state.store.tenant(tenant).await?
    {
        crate::issues::sync_issue_property(
            &state.jira,
            &state.store,
            &state.config.app_key,
            &site,
            issue.id,
            &issue.key,
        )
        .await;
    }
    Ok(())
}

/// Works the queue until the store closes: woken by each stored event, and every second for
/// events whose lease ran out (another instance or an earlier run took them and stopped).
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if state.store.is_closed() {
                return;
            }
            match state.store.take_forge_events(50).await {
                Ok(events) if !events.is_empty() => {
                    for event in events {
                        let outcome = match apply(&state, &event).await {
                            Ok(()) => Ok(()),
                            Err(WorkError::Invalid(why)) => {
                                // Retrying cannot help: logged, and the event is closed.
                                tracing::warn!(event = %event.event_type, id = event.id, error = %why, "Forge event cannot be applied");
                                Ok(())
                            }
                            Err(WorkError::Retry(e)) => Err((e.to_string(), RETRY_AFTER_MS)),
                            // Jira could not be read (busy, or down): the event is kept and
                            // tried again, so a request is never left unsettled.
                            Err(WorkError::Jira(e)) => Err((e, RETRY_AFTER_MS)),
                        };
                        if let Err(e) = state.store.finish_forge_event(event.id, outcome).await {
                            tracing::warn!(id = event.id, error = %e, "could not record a Forge event's outcome; it will be taken again");
                        }
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    if state.store.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "cannot read the Forge event queue; retrying");
                }
            }
            let _ =
                tokio::time::timeout(Duration::from_secs(1), state.forge_events.notified()).await;
        }
    })
}
