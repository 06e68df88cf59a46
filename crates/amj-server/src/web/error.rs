//! The one error type of the HTTP edge. Every failure becomes a status and a JSON problem body
//! `{"error":{"code","message"}}`; internals are logged with the request span and never shown.

use super::openapi::{AqlErrorBody, Problem, ProblemDetail};
use crate::auth::AuthFailure;
use crate::jira::JiraError;
use amj_connect::AuthError;
use amj_store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// What the app was doing when a call to Jira failed: the message says it, so a person reads
/// "could not search Jira's users", not a permission problem that never happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JiraAction {
    CheckPermissions,
    SearchUsers,
    ConnectedTickets,
    ReadIssue,
    /// Any other call, for the plain `From<JiraError>`.
    Call,
}

impl JiraAction {
    /// Completes "Jira could not be reached to …".
    pub fn doing(self) -> &'static str {
        match self {
            JiraAction::CheckPermissions => "check your permissions",
            JiraAction::SearchUsers => "search Jira's users",
            JiraAction::ConnectedTickets => "answer connectedTickets(…)",
            JiraAction::ReadIssue => "read the issue",
            JiraAction::Call => "answer the app",
        }
    }
}

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
    /// Well-formed but unusable as sent: an idempotency key reused for another request.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    /// Input that breaks the model's rules: 400 with every failing field and rule in `details`.
    #[error(transparent)]
    Validation(amj_domain::ValidationErrors),
    /// A call to Jira failed; the status and message depend on how (see [`AppError::jira_parts`]).
    #[error("Jira failed to {}", action.doing())]
    Jira {
        action: JiraAction,
        #[source]
        source: JiraError,
    },
    /// An AQL query with a mistake in it; answered with its position and an excerpt.
    #[error("{error}")]
    Aql {
        error: amj_domain::aql::ParseError,
        query: String,
    },
    #[error("the database is unavailable")]
    StoreUnavailable(#[source] StoreError),
    #[error("internal error: {message}")]
    Internal {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The same error, for a person looking at a Jira iframe: rendered as a readable page.
    #[error(transparent)]
    Page(Box<AppError>),
}

impl From<JiraError> for AppError {
    fn from(source: JiraError) -> Self {
        AppError::Jira {
            action: JiraAction::Call,
            source,
        }
    }
}

/// An error and its causes on one line, for logs: `a: b: c`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let next = e.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = e.source();
    }
    text
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
    /// A failure that is nobody's input mistake, keeping its cause for the log.
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal {
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    /// An invariant that did not hold, with no underlying error to keep.
    pub fn internal_msg(message: impl Into<String>) -> Self {
        AppError::Internal {
            message: message.into(),
            source: None,
        }
    }

    /// Maps a Jira failure met while doing `action`: `.map_err(AppError::jira(JiraAction::…))`.
    pub fn jira(action: JiraAction) -> impl FnOnce(JiraError) -> AppError {
        move |source| AppError::Jira { action, source }
    }

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
            AppError::Unprocessable { code, message } => {
                (StatusCode::UNPROCESSABLE_ENTITY, code, message.clone())
            }
            AppError::Validation(e) => {
                (StatusCode::BAD_REQUEST, "validation_failed", e.to_string())
            }
            AppError::Aql { error, .. } => {
                (StatusCode::BAD_REQUEST, "aql_invalid", error.to_string())
            }
            AppError::Jira { action, source } => Self::jira_parts(*action, source),
            AppError::StoreUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the database is unavailable; retry shortly".to_owned(),
            ),
            AppError::Internal { .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred".to_owned(),
            ),
            AppError::Page(inner) => inner.parts(),
        }
    }

    /// How a failed Jira call is answered. A Jira that cannot be reached, or that is busy, is
    /// temporary (503, retry). Jira refusing the app's own credentials is not the caller's doing
    /// and not temporary: 502, pointing at the admin page, where the connection health shows.
    fn jira_parts(action: JiraAction, source: &JiraError) -> (StatusCode, &'static str, String) {
        let doing = action.doing();
        match source {
            JiraError::Transport(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "jira_unavailable",
                format!("Jira could not be reached to {doing}; retry shortly"),
            ),
            JiraError::Status { status, .. } if *status == 429 || *status >= 500 => (
                StatusCode::SERVICE_UNAVAILABLE,
                "jira_unavailable",
                format!("Jira is busy or failing ({status}) and could not {doing}; retry shortly"),
            ),
            JiraError::Unauthorized => (
                StatusCode::BAD_GATEWAY,
                "jira_rejected_app",
                format!(
                    "Jira refused the app's credentials for this site, so it could not {doing}; a Jira \
                     admin should open the app's admin page to check its connection, or reinstall the app"
                ),
            ),
            JiraError::Status { status, .. } => (
                StatusCode::BAD_GATEWAY,
                "jira_error",
                format!("Jira answered {status} when asked to {doing}"),
            ),
            JiraError::Unexpected(_) => (
                StatusCode::BAD_GATEWAY,
                "jira_error",
                format!("Jira's answer could not be read when asked to {doing}"),
            ),
            JiraError::BadBaseUrl(_) => (
                StatusCode::BAD_GATEWAY,
                "jira_bad_base_url",
                format!("the site's Jira address is not usable, so Jira could not {doing}"),
            ),
            JiraError::NoSystemToken => (
                StatusCode::SERVICE_UNAVAILABLE,
                "forge_token_unavailable",
                format!(
                    "no valid Forge system token is held for this site, so the app could not {doing}; \
                     one arrives with the next Forge invocation (scheduled triggers run hourly)"
                ),
            ),
            JiraError::HostNotAllowed(why) => (
                StatusCode::BAD_GATEWAY,
                "jira_host_not_allowed",
                format!(
                    "the site's Forge API address is not allowed ({why}), so the app did not call it to {doing}"
                ),
            ),
            JiraError::Store(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!("the app could not read its Jira credentials to {doing}; retry shortly"),
            ),
            JiraError::Signing(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred".to_owned(),
            ),
        }
    }
}

/// The position of an AQL error as the API reports it.
pub fn aql_error_body(error: &amj_domain::aql::ParseError, query: &str) -> AqlErrorBody {
    AqlErrorBody {
        message: error.kind.to_string(),
        line: error.line,
        column: error.column,
        offset: error.offset,
        excerpt: error.render(query),
    }
}

impl From<crate::assets::MatchError> for AppError {
    fn from(e: crate::assets::MatchError) -> Self {
        match e {
            crate::assets::MatchError::Query(query) => query.into(),
            too_many @ crate::assets::MatchError::TooMany(_) => AppError::BadRequest {
                code: "too_many_matches",
                message: too_many.to_string(),
            },
        }
    }
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
            QueryError::Jira(source) => AppError::Jira {
                action: JiraAction::ConnectedTickets,
                source,
            },
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            e @ StoreError::Unavailable { .. } => AppError::StoreUnavailable(e),
            StoreError::StaleInstall => AppError::Conflict {
                code: "stale_lifecycle_event",
                message: "this lifecycle event is older than the one already applied, or its \
                          token was already used"
                    .into(),
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
            other => AppError::internal(other),
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

impl From<crate::issues::IssueError> for AppError {
    fn from(e: crate::issues::IssueError) -> Self {
        use crate::issues::IssueError;
        match e {
            IssueError::Invalid(errors) => AppError::Validation(errors),
            IssueError::NotFound(_) => AppError::NotFound {
                code: "issue_not_found",
                message: e.to_string(),
            },
            IssueError::BadId => AppError::internal_msg(e.to_string()),
            IssueError::Jira(source) => AppError::Jira {
                action: JiraAction::ReadIssue,
                source,
            },
        }
    }
}

impl From<crate::requests::SettleError> for AppError {
    fn from(e: crate::requests::SettleError) -> Self {
        match e {
            crate::requests::SettleError::Store(e) => e.into(),
            crate::requests::SettleError::Jira(source) => AppError::Jira {
                action: JiraAction::ReadIssue,
                source,
            },
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
        let (status, code, message) = self.parts();
        if let AppError::Page(inner) = &self {
            inner.log();
        } else {
            self.log();
        }
        if let AppError::Page(_) = &self {
            let (title, advice) = if status == StatusCode::UNAUTHORIZED {
                (
                    "This page could not verify its connection to Jira",
                    "Reload the Jira page. If this keeps happening, a Jira admin should update or reinstall \
                     Asset Management for Jira from Apps > Manage apps; the app's admin page then shows the \
                     connection health.",
                )
            } else if status == StatusCode::FORBIDDEN {
                (
                    "This page is for Jira site admins",
                    "Ask a Jira site admin to open it, or to change what you may do.",
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
            add_status_headers(&mut response);
            return response;
        }
        let body = Problem {
            error: ProblemDetail {
                code: code.to_owned(),
                message,
                details: match &self {
                    AppError::Validation(errors) => Some(errors.0.clone()),
                    _ => None,
                },
                aql: match &self {
                    AppError::Aql { error, query } => Some(aql_error_body(error, query)),
                    _ => None,
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        add_status_headers(&mut response);
        response
    }
}

/// A 401 names its realm; a 503 says when to retry, on JSON and HTML answers alike.
fn add_status_headers(response: &mut Response) {
    let status = response.status();
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
}

impl AppError {
    /// Failures that are ours, or Jira's, are logged with their whole cause chain; a caller's
    /// mistake is not an event worth a log line.
    fn log(&self) {
        match self {
            AppError::StoreUnavailable(_) => {
                tracing::error!(detail = error_chain(self), "database unavailable")
            }
            AppError::Jira { .. } => tracing::warn!(detail = error_chain(self), "Jira call failed"),
            AppError::Internal { .. } => {
                tracing::error!(detail = error_chain(self), "internal error")
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(e: AppError) -> (StatusCode, String, String, Option<String>) {
        let (status, code, message) = e.parts();
        let (code, message) = (code.to_owned(), message);
        let response = e.into_response();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        (status, code, message, retry)
    }

    #[test]
    fn a_stale_secret_at_jira_is_not_a_permission_problem() {
        let e: AppError = AppError::jira(JiraAction::SearchUsers)(JiraError::Unauthorized);
        let (status, code, message, retry) = answer(e);
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert_eq!(code, "jira_rejected_app");
        assert!(message.contains("search Jira's users"), "{message}");
        assert!(!message.contains("permission"), "{message}");
        assert_eq!(retry, None);
    }

    #[test]
    fn jira_out_of_reach_or_busy_is_temporary() {
        for source in [
            JiraError::Transport("connection refused".into()),
            JiraError::Status {
                status: 429,
                body: String::new(),
            },
            JiraError::Status {
                status: 503,
                body: String::new(),
            },
        ] {
            let (status, code, message, retry) =
                answer(AppError::jira(JiraAction::CheckPermissions)(source));
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(code, "jira_unavailable");
            assert!(message.contains("check your permissions"), "{message}");
            assert_eq!(retry.as_deref(), Some("5"));
        }
    }

    #[test]
    fn each_context_names_itself_and_the_plain_conversion_works() {
        let (_, _, message, _) = answer(AppError::from(QueryErrorJira::make()));
        assert!(message.contains("connectedTickets"), "{message}");
        let (status, code, _, _) = answer(AppError::from(JiraError::Status {
            status: 403,
            body: String::new(),
        }));
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_GATEWAY, "jira_error")
        );
    }

    /// A `QueryError::Jira`, as connectedTickets(…) fails.
    struct QueryErrorJira;
    impl QueryErrorJira {
        fn make() -> crate::query::QueryError {
            crate::query::QueryError::Jira(JiraError::Transport("timed out".into()))
        }
    }

    #[test]
    fn causes_are_kept_for_the_log() {
        let store = StoreError::from(sqlx::Error::PoolTimedOut);
        let e = AppError::from(store);
        assert!(std::error::Error::source(&e).is_some());
        let chain = error_chain(&e);
        assert!(chain.starts_with("the database is unavailable"), "{chain}");
        assert!(
            chain.contains("pool timed out") || chain.contains("timed out"),
            "{chain}"
        );
        let internal = AppError::internal(std::io::Error::other("disk on fire"));
        assert!(error_chain(&internal).contains("disk on fire"));
    }
}
