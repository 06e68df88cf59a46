//! The JSON API under `/api/v1`.

use super::error::AppError;
use axum::Json;
use axum::http::Uri;
use serde::{Deserialize, Serialize};

/// Which platform a call came through.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// A Connect JWT (our pages in Connect, or app-signed calls).
    Connect,
    /// A Forge Invocation Token (`invokeRemote` from Custom UI, events, triggers).
    Forge,
    /// An API token, from a script.
    ApiToken,
}

/// The site and user the caller's credentials name.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    pub platform: Platform,
    /// The Forge installation the call came from; `null` outside Forge.
    #[schema(required = true)]
    pub installation_id: Option<String>,
    /// The Atlassian cloud id, once the site has been reached through Forge.
    #[schema(required = true)]
    pub cloud_id: Option<String>,
    /// The site's URL (`context.siteUrl`, or the Connect `baseUrl`), or `null` when unknown.
    #[schema(required = true)]
    pub base_url: Option<String>,
    /// The Connect clientKey; `null` for a site that never ran the Connect version (or whose
    /// Forge installation is not linked to it).
    #[schema(required = true)]
    pub client_key: Option<String>,
    /// The Jira user; `null` for a call made by the app itself or an API token.
    #[schema(required = true)]
    pub account_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "meta",
    security(("contextJwt" = []), ("forgeInvocationToken" = [])),
    responses((status = 200, description = "The caller's site and user", body = WhoAmI))
)]
pub async fn whoami(caller: super::caller::Caller) -> Json<WhoAmI> {
    let tenant = &caller.tenant;
    let client_key = tenant.connect_client_key().map(str::to_owned);
    Json(match &caller.forge {
        Some(forge) => WhoAmI {
            platform: Platform::Forge,
            installation_id: Some(forge.installation_id.clone()),
            cloud_id: Some(forge.cloud_id.clone()),
            // A site Forge reached first without a UI context is filed under its API base
            // URL until a page call brings `context.siteUrl`: that is not the site's URL.
            base_url: forge.site_url.clone().or_else(|| {
                (tenant.connect || tenant.base_url != forge.api_base_url)
                    .then(|| tenant.base_url.clone())
            }),
            client_key,
            account_id: forge.account_id.clone(),
        },
        None => WhoAmI {
            platform: match caller.credential {
                super::caller::Credential::ApiToken { .. } => Platform::ApiToken,
                super::caller::Credential::Jira { .. } => Platform::Connect,
            },
            installation_id: None,
            cloud_id: tenant.cloud_id.clone(),
            base_url: Some(tenant.base_url.clone()),
            client_key,
            account_id: caller.account_id(),
        },
    })
}

pub async fn not_found(uri: Uri) -> AppError {
    AppError::NotFound {
        code: "not_found",
        message: format!("no route for {}", uri.path()),
    }
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserSearchParams {
    /// Part of a name or e-mail address, 1 to 100 characters.
    pub query: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserIdsParams {
    /// Comma-separated accountIds, 1 to 50 (as stored in values and in `updated.by`).
    pub account_ids: String,
}

/// The most accountIds one call names: a page of history or a list's values.
const MAX_ACCOUNT_IDS: usize = 50;

/// People by accountId, for showing who did what by name: values store accountIds, and so do
/// `created.by`, `updated.by` and history. Unknown or deleted accounts are left out.
#[utoipa::path(
    get,
    path = "/api/v1/jira/users/bulk",
    tag = "meta",
    params(UserIdsParams),
    responses(
        (status = 200, description = "The accounts Jira knows, in no particular order", body = JiraUsersBody),
        (status = 400, response = super::openapi::BadRequest)
    )
)]
pub async fn jira_users_by_id(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    caller: super::caller::Caller,
    super::caller::ApiQuery(params): super::caller::ApiQuery<UserIdsParams>,
) -> Result<Json<JiraUsersBody>, AppError> {
    let ids: Vec<&str> = params
        .account_ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    let valid = |id: &&str| {
        id.len() <= 128
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))
    };
    if ids.is_empty() || ids.len() > MAX_ACCOUNT_IDS || !ids.iter().all(valid) {
        return Err(AppError::bad_request(
            "invalid_account_ids",
            format!("accountIds: give 1 to {MAX_ACCOUNT_IDS} comma-separated Jira accountIds"),
        ));
    }
    let query: String = ids
        .iter()
        .map(|id| format!("accountId={id}"))
        .collect::<Vec<_>>()
        .join("&");
    let found: crate::jira::payload::UserPage = state
        .jira
        .get(
            &caller.tenant,
            &format!("/rest/api/3/user/bulk?{query}&maxResults={MAX_ACCOUNT_IDS}"),
        )
        .await
        .map_err(AppError::jira(super::error::JiraAction::SearchUsers))?;
    let items = found
        .values
        .into_iter()
        .map(|user| JiraUserBody {
            avatar_url: user.avatar(),
            account_id: user.account_id,
            display_name: user.display_name,
        })
        .collect();
    Ok(Json(JiraUsersBody { items }))
}

/// A Jira user as the user picker shows one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JiraUserBody {
    pub account_id: String,
    pub display_name: String,
    /// The person's avatar from Jira, absent when Jira gave none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JiraUsersBody {
    pub items: Vec<JiraUserBody>,
}

/// Jira's user search for the user picker. Values store accountIds, never names or e-mails, so
/// the picker needs Jira to turn what people type into accounts; the app asks as itself.
#[utoipa::path(
    get,
    path = "/api/v1/jira/users",
    tag = "meta",
    params(UserSearchParams),
    responses(
        (status = 200, description = "Up to 20 active users matching the query", body = JiraUsersBody),
        (status = 400, response = super::openapi::BadRequest)
    )
)]
pub async fn search_jira_users(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    caller: super::caller::Caller,
    super::caller::ApiQuery(params): super::caller::ApiQuery<UserSearchParams>,
) -> Result<Json<JiraUsersBody>, AppError> {
    let query = params.query.trim();
    if query.is_empty() || query.chars().count() > 100 {
        return Err(AppError::bad_request(
            "invalid_query",
            "query: must be 1 to 100 characters",
        ));
    }
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let found: Vec<crate::jira::payload::User> = state
        .jira
        .get(
            &caller.tenant,
            &format!("/rest/api/3/user/search?query={encoded}&maxResults=20"),
        )
        .await
        .map_err(AppError::jira(super::error::JiraAction::SearchUsers))?;
    let items = found
        .into_iter()
        .filter(|user| user.active)
        .map(|user| JiraUserBody {
            avatar_url: user.avatar(),
            account_id: user.account_id,
            display_name: user.display_name,
        })
        .take(20)
        .collect();
    Ok(Json(JiraUsersBody { items }))
}
