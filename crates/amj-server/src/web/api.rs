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
