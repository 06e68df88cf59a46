//! Extractors that hand handlers an authenticated `(Tenant, accountId)`, never a raw token.
//!
//! The route kind fixes what is accepted: `IframeAuth` and `WebhookAuth` need a URL-bound qsh,
//! `ApiAuth` also takes context tokens, and only from the `Authorization` header.

use super::AppState;
use super::error::AppError;
use crate::auth::{Authenticated, RequestTarget};
use amj_connect::RouteKind;
use amj_connect::jwt::extract_token;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;

async fn authenticate(
    parts: &mut Parts,
    state: &AppState,
    kind: RouteKind,
    allow_query: bool,
) -> Result<Authenticated, AppError> {
    // Nested routers see a stripped URI; the qsh covers the path as Jira requested it.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
    let authorization = match parts.headers.get(axum::http::header::AUTHORIZATION) {
        Some(value) => Some(value.to_str().map_err(|_| {
            amj_connect::AuthError::new(
                amj_connect::AuthReason::Malformed,
                "the Authorization header is not text",
            )
        })?),
        None => None,
    };
    let token = extract_token(uri.query(), authorization, allow_query);
    let (token, _source) = match token {
        Ok(found) => found,
        Err(e) => {
            state.auth.counters.record_failure(kind, e.reason, None);
            return Err(e.into());
        }
    };
    let target = RequestTarget {
        method: parts.method.as_str(),
        path: uri.path(),
        query: uri.query(),
    };
    let auth = state.auth.authenticate(kind, &token, target).await?;
    tracing::Span::current().record("tenant", auth.tenant.client_key.as_str());
    Ok(auth)
}

/// What the caller accepts, read before authentication so a refusal can be a readable page.
fn accept_header(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A module page loaded in a Jira iframe: `?jwt=` (or the header), exact qsh.
pub struct IframeAuth(pub Authenticated);

impl FromRequestParts<AppState> for IframeAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A browser in an iframe gets a readable page; API clients keep the JSON problem body.
        let accept = accept_header(parts);
        authenticate(parts, state, RouteKind::Iframe, true)
            .await
            .map(IframeAuth)
            .map_err(|e| e.for_browser(accept.as_deref()))
    }
}

/// A webhook from Jira: exact qsh over the registered URL.
pub struct WebhookAuth(pub Authenticated);

impl FromRequestParts<AppState> for WebhookAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state, RouteKind::Webhook, true)
            .await
            .map(WebhookAuth)
    }
}

/// Our JSON API: `Authorization: JWT …` with an exact qsh or a context token.
pub struct ApiAuth(pub Authenticated);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state, RouteKind::Api, false)
            .await
            .map(ApiAuth)
    }
}

/// An admin page: a signed iframe URL, and a user whom Jira calls a site admin. Jira shows admin
/// pages only to admins, but a signed URL works for whoever holds it, so the app checks too
/// (Atlassian's security requirements ask for exactly this).
pub struct AdminIframeAuth(pub Authenticated);

impl FromRequestParts<AppState> for AdminIframeAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let accept = accept_header(parts);
        let IframeAuth(auth) = IframeAuth::from_request_parts(parts, state).await?;
        let admin = match auth.account_id.as_deref() {
            Some(account_id) => state
                .admins
                .is_site_admin(state, &auth.tenant, account_id)
                .await
                .map_err(|e| e.for_browser(accept.as_deref()))?,
            None => false,
        };
        if !admin {
            return Err(AppError::Forbidden {
                code: "admin_required",
                message: "only Jira site admins can open the app's settings".into(),
            }
            .for_browser(accept.as_deref()));
        }
        Ok(AdminIframeAuth(auth))
    }
}
