//! The JSON API under `/api/v1`.

use super::error::AppError;
use super::extract::ApiAuth;
use axum::Json;
use axum::http::Uri;
use serde::Serialize;

/// The site and user a Connect JWT names.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    pub client_key: String,
    pub base_url: String,
    /// The Jira user; `null` for a call signed by the app itself.
    #[schema(required = true)]
    pub account_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "meta",
    security(("contextJwt" = [])),
    responses((status = 200, description = "The caller's site and user", body = WhoAmI))
)]
pub async fn whoami(ApiAuth(auth): ApiAuth) -> Json<WhoAmI> {
    Json(WhoAmI {
        client_key: auth.tenant.client_key.clone(),
        base_url: auth.tenant.base_url.clone(),
        account_id: auth.account_id.clone(),
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

/// A Jira user as the user picker shows one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JiraUserBody {
    pub account_id: String,
    pub display_name: String,
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
            account_id: user.account_id,
            display_name: user.display_name,
        })
        .take(20)
        .collect();
    Ok(Json(JiraUsersBody { items }))
}
