//! Jira webhooks. Authentication is URL-bound (exact qsh); a bad token gets 401, never a 5xx, so
//! Jira does not retry a request that can never succeed.
//!
//! `jira:issue_deleted` drops the issue's asset links and releases its requests;
//! `jira:issue_updated` refreshes the cached issue key and summary (a move to another project
//! changes the key, the id stays) and settles the issue's requests against its status. Deliveries
//! are idempotent on `X-Atlassian-Webhook-Identifier`: Jira retries with the same identifier, and
//! a retry is acknowledged without being applied twice.

use super::AppState;
use super::error::AppError;
use super::extract::WebhookAuth;
use amj_store::links::{DeliveryOutcome, IssueRef};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

/// The delivery id; a delivery without one (not something Jira sends) gets a unique id, so it is
/// applied once and never mistaken for another.
fn delivery_id(headers: &HeaderMap) -> String {
    headers
        .get("x-atlassian-webhook-identifier")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map_or_else(
            || {
                let mut bytes = [0u8; 12];
                let _ = aws_lc_rs::rand::fill(&mut bytes);
                format!("local-{}", hex::encode(bytes))
            },
            str::to_owned,
        )
}

/// The part of Jira's issue webhook the app reads. Jira sends the id as a string; numbers are
/// accepted too. A missing key or summary is refused rather than stored as "".
#[derive(Debug, Deserialize)]
struct IssueWebhook {
    issue: WebhookIssue,
}

/// A deletion needs only the id.
#[derive(Debug, Deserialize)]
struct DeletedWebhook {
    issue: DeletedIssue,
}

#[derive(Debug, Deserialize)]
struct DeletedIssue {
    id: crate::jira::payload::IssueId,
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            AppError::bad_request(
                "invalid_webhook",
                format!("the webhook is not an issue event: {e}"),
            )
        } else {
            AppError::bad_request("invalid_json", format!("the webhook body is not JSON: {e}"))
        }
    })
}

fn issue_id(id: &crate::jira::payload::IssueId) -> Result<i64, AppError> {
    id.value().ok_or_else(|| {
        AppError::bad_request("invalid_webhook", "the webhook's issue id is not a number")
    })
}

#[derive(Debug, Deserialize)]
struct WebhookIssue {
    id: crate::jira::payload::IssueId,
    key: String,
    fields: WebhookFields,
}

#[derive(Debug, Deserialize)]
struct WebhookFields {
    summary: String,
}

fn issue_of(body: &Bytes) -> Result<IssueRef, AppError> {
    let issue = parse::<IssueWebhook>(body)?.issue;
    let id = issue_id(&issue.id)?;
    if issue.key.trim().is_empty() {
        return Err(AppError::bad_request(
            "invalid_webhook",
            "the webhook has no issue key",
        ));
    }
    Ok(IssueRef {
        id,
        key: issue.key,
        summary: issue.fields.summary,
    })
}

pub async fn issue_deleted(
    State(state): State<AppState>,
    WebhookAuth(auth): WebhookAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let delivery = delivery_id(&headers);
    let id = issue_id(&parse::<DeletedWebhook>(&body)?.issue.id)?;
    let outcome = state
        .store
        .apply_issue_deleted(auth.tenant.id, &delivery, id)
        .await?;
    state
        .store
        .release_requests_of_issue(auth.tenant.id, id)
        .await?;
    log_outcome(
        "jira:issue_deleted",
        &auth.tenant.client_key,
        &delivery,
        id,
        &outcome,
    );
    Ok(StatusCode::NO_CONTENT)
}

pub async fn issue_updated(
    State(state): State<AppState>,
    WebhookAuth(auth): WebhookAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let delivery = delivery_id(&headers);
    let issue = issue_of(&body)?;
    let outcome = state
        .store
        .apply_issue_updated(auth.tenant.id, &delivery, &issue)
        .await?;
    // Settled on every delivery, retries included (settling is idempotent). When Jira is busy
    // or unreachable, a 503 makes Jira deliver the webhook again rather than leave requests
    // unsettled; a failure a retry cannot mend is logged, and the hourly sweep reads again.
    match crate::requests::settle_issue(&state.jira, &state.store, &auth.tenant, issue.id).await {
        Ok(_) => {}
        Err(crate::requests::SettleError::Jira(e)) if !e.is_transient() => {
            tracing::warn!(tenant = %auth.tenant.client_key, issue_id = issue.id, error = %e, "could not settle the issue's requests; the sweep tries again");
        }
        Err(e) => {
            tracing::warn!(tenant = %auth.tenant.client_key, issue_id = issue.id, error = %e, "could not settle the issue's requests; Jira will retry the webhook");
            return Err(AppError::from(e));
        }
    }
    log_outcome(
        "jira:issue_updated",
        &auth.tenant.client_key,
        &delivery,
        issue.id,
        &outcome,
    );
    Ok(StatusCode::NO_CONTENT)
}

fn log_outcome(
    event: &str,
    tenant: &str,
    delivery: &str,
    issue_id: i64,
    outcome: &DeliveryOutcome,
) {
    match outcome {
        DeliveryOutcome::Applied { assets } => {
            tracing::info!(
                tenant,
                event,
                delivery,
                issue_id,
                assets = assets.len(),
                "webhook applied"
            );
        }
        DeliveryOutcome::Duplicate => {
            tracing::info!(
                tenant,
                event,
                delivery,
                issue_id,
                "webhook retry ignored: already applied"
            );
        }
    }
}
