//! The one error type of the HTTP edge. Every failure becomes a status and a JSON problem body
//! `{"error":{"code","message"}}`; internals are logged with the request span and never shown.

use crate::auth::AuthFailure;
use crate::store::StoreError;
use amj_connect::AuthError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Unauthorized(AuthError),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Input that breaks the model's rules: 400 with every failing field and rule in `details`.
    #[error(transparent)]
    Validation(amj_domain::ValidationErrors),
    #[error("Jira could not be reached to check permissions: {0}")]
    JiraUnavailable(String),
    /// An AQL query with a mistake in it; answered with its position and an excerpt.
    #[error("{error}")]
    Aql {
        error: amj_domain::aql::ParseError,
        query: String,
    },
    #[error("Jira could not answer connectedTickets: {0}")]
    JiraSearchUnavailable(String),
    #[error("the database is unavailable")]
    StoreUnavailable(String),
    #[error("internal error")]
    Internal(String),
    /// The same error, for a person looking at a Jira iframe: rendered as a readable page.
    #[error(transparent)]
    Page(Box<AppError>),
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    advice: &'a str,
    code: &'a str,
}

impl AppError {
    /// Wraps an error for a page route whose caller asked for HTML (a browser in an iframe).
    pub fn for_browser(self, accept: Option<&str>) -> Self {
        if accept.is_some_and(|a| a.contains("text/html")) {
            AppError::Page(Box::new(self))
        } else {
            self
        }
    }
}

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    fn parts(&self) -> (StatusCode, &str, String) {
        match self {
            AppError::Unauthorized(e) => {
                (StatusCode::UNAUTHORIZED, e.reason.code(), e.message.clone())
            }
            AppError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, code, message.clone())
            }
            AppError::Forbidden { code, message } => (StatusCode::FORBIDDEN, code, message.clone()),
            AppError::NotFound { code, message } => (StatusCode::NOT_FOUND, code, message.clone()),
            AppError::Conflict { code, message } => (StatusCode::CONFLICT, code, message.clone()),
            AppError::Validation(e) => {
                (StatusCode::BAD_REQUEST, "validation_failed", e.to_string())
            }
            AppError::Aql { error, .. } => {
                (StatusCode::BAD_REQUEST, "aql_invalid", error.to_string())
            }
            AppError::JiraSearchUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "jira_unavailable",
                "Jira could not be reached to answer connectedTickets(…); retry shortly".to_owned(),
            ),
            AppError::JiraUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "jira_unavailable",
                "Jira could not be reached to check your permissions; retry shortly".to_owned(),
            ),
            AppError::StoreUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the database is unavailable; retry shortly".to_owned(),
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred".to_owned(),
            ),
            AppError::Page(inner) => inner.parts(),
        }
    }
}

/// The position of an AQL error as the API reports it (see `openapi::AqlErrorBody`).
pub fn aql_error_json(error: &amj_domain::aql::ParseError, query: &str) -> serde_json::Value {
    serde_json::json!({
        "message": error.kind.to_string(),
        "line": error.line,
        "column": error.column,
        "offset": error.offset,
        "excerpt": error.render(query),
    })
}

impl From<crate::query::QueryError> for AppError {
    fn from(e: crate::query::QueryError) -> Self {
        use crate::query::QueryError;
        match e {
            QueryError::Aql { error, query } => AppError::Aql { error, query },
            QueryError::NoSchema(message) => AppError::BadRequest {
                code: "schema_required",
                message,
            },
            QueryError::UnknownSchema(message) => AppError::NotFound {
                code: "schema_not_found",
                message,
            },
            QueryError::Store(store) => store.into(),
            QueryError::Jira(jira) => AppError::JiraSearchUnavailable(jira.to_string()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(detail) => AppError::StoreUnavailable(detail),
            StoreError::StaleInstall => AppError::Conflict {
                code: "stale_lifecycle_event",
                message: "this lifecycle event is older than the one already applied".into(),
            },
            StoreError::Conflict { code, message } => AppError::Conflict { code, message },
            StoreError::NotFound { code, message } => AppError::NotFound { code, message },
            StoreError::Invalid(errors) => AppError::Validation(errors),
            StoreError::InvalidRows(rows) => {
                AppError::Validation(crate::assets::rows_to_errors(rows, true))
            }
            e @ StoreError::StaleVersion { .. } => AppError::Conflict {
                code: "stale_version",
                message: format!(
                    "{e}: someone changed it since you read it; reload it and apply your change again"
                ),
            },
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<AuthFailure> for AppError {
    fn from(e: AuthFailure) -> Self {
        match e {
            AuthFailure::Auth(auth) => AppError::Unauthorized(auth),
            AuthFailure::Store(store) => store.into(),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> Self {
        AppError::Unauthorized(e)
    }
}

/// Replaced by `web::name_realm` with the configured app key; the default only shows if a 401 is
/// built outside the router.
pub const APP_REALM_HEADER: &str = "JWT realm=\"amj\"";

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::StoreUnavailable(detail) => tracing::error!(detail, "database unavailable"),
            AppError::JiraUnavailable(detail) => {
                tracing::warn!(detail, "Jira unavailable for a permission check")
            }
            AppError::JiraSearchUnavailable(detail) => {
                tracing::warn!(detail, "Jira unavailable for connectedTickets")
            }
            AppError::Internal(detail) => tracing::error!(detail, "internal error"),
            _ => {}
        }
        if let AppError::Page(inner) = &self {
            if let AppError::StoreUnavailable(detail) | AppError::Internal(detail) = inner.as_ref()
            {
                tracing::error!(detail, "page request failed");
            }
            let (status, code, message) = inner.parts();
            let (title, advice) = if status == StatusCode::UNAUTHORIZED {
                (
                    "This page could not verify its connection to Jira",
                    "Reload the Jira page. If this keeps happening, a Jira admin should update or reinstall \
                     Asset Management for Jira from Apps > Manage apps; the app's admin page then shows the \
                     connection health.",
                )
            } else {
                (
                    "Asset Management for Jira is unavailable",
                    "Reload the Jira page in a moment.",
                )
            };
            let page = ErrorPage {
                title,
                message: &message,
                advice,
                code,
            };
            let body = askama::Template::render(&page).unwrap_or_else(|_| message.clone());
            let mut response = (status, axum::response::Html(body)).into_response();
            if status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(APP_REALM_HEADER),
                );
            }
            return response;
        }
        let (status, code, message) = self.parts();
        let mut body = serde_json::json!({"error": {"code": code, "message": message}});
        if let AppError::Validation(errors) = &self {
            body["error"]["details"] = serde_json::to_value(&errors.0).unwrap_or_default();
        }
        if let AppError::Aql { error, query } = &self {
            body["error"]["aql"] = aql_error_json(error, query);
        }
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(APP_REALM_HEADER),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
