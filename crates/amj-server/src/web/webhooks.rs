//! Jira webhooks. Authentication is URL-bound (exact qsh); a bad token gets 401, never a 5xx, so
//! Jira does not retry a request that can never succeed. What the events do to asset links is the
//! asset model's business.

use super::error::AppError;
use super::extract::WebhookAuth;
use axum::http::{HeaderMap, StatusCode};

fn delivery_id(headers: &HeaderMap) -> &str {
    headers
        .get("x-atlassian-webhook-identifier")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub async fn issue_deleted(
    WebhookAuth(auth): WebhookAuth,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    tracing::info!(tenant = %auth.tenant.client_key, delivery = delivery_id(&headers), "issue deleted webhook");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn issue_updated(
    WebhookAuth(auth): WebhookAuth,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    tracing::info!(tenant = %auth.tenant.client_key, delivery = delivery_id(&headers), "issue updated webhook");
    Ok(StatusCode::NO_CONTENT)
}
