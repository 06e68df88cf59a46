//! What several API modules share: the cursor-and-limit page parameters of the ITAM lists,
//! and the issue a verb names.

use super::AppState;
use super::caller::Caller;
use super::error::AppError;
use amj_domain::{ValidationErrors, rules};
use serde::Deserialize;
use utoipa::IntoParams;

type ApiResult<T> = Result<T, AppError>;

/// Most rows a page returns.
const PAGE_MAX: usize = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// From the previous page's `nextCursor`.
    pub cursor: Option<String>,
    /// 1 to 500; 100 when absent.
    pub limit: Option<usize>,
}

pub(super) fn page_limit(limit: Option<usize>) -> ApiResult<usize> {
    let limit = limit.unwrap_or(100);
    if limit == 0 || limit > PAGE_MAX {
        return Err(AppError::Validation(ValidationErrors::single(
            "limit",
            rules::MAX,
            format!("limit: must be 1 to {PAGE_MAX}"),
        )));
    }
    Ok(limit)
}

pub(super) fn bad_cursor() -> AppError {
    AppError::Validation(ValidationErrors::single(
        "cursor",
        rules::FORMAT,
        "cursor: is not a cursor this API returned",
    ))
}

/// The issue a verb names (a check-out's, a seat's, a stock issue's, a request's) must exist
/// and be visible to the caller; its key as Jira spells it.
pub(super) async fn resolve_issue(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<amj_store::links::IssueRef> {
    match crate::issues::fetch_issue(
        &state.jira,
        &caller.tenant,
        caller.issue_viewer(),
        &serde_json::Value::String(key.to_owned()),
    )
    .await
    {
        Ok(issue) => Ok(issue),
        Err(crate::issues::IssueError::NotFound(_)) => {
            Err(AppError::Validation(ValidationErrors::single(
                "issue",
                rules::REFERENCE_TARGET,
                format!("Issue: {key} does not exist, or you cannot see it"),
            )))
        }
        Err(other) => Err(other.into()),
    }
}
