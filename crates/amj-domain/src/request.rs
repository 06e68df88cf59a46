//! Requests approved in Jira (issue 14, item 6): a person asks, from an issue, for an asset of a
//! type or a kit; the issue's workflow approves or rejects it; an approved request reserves a
//! matching asset, which an admin hands out with one click. These are the rules that need no
//! storage: what the schema's approval policy says of an issue's status, and what a request
//! does about it.
//!
//! Jira's events can repeat and arrive out of order, so an event is never taken as the news
//! itself: it is a cue to read the issue's status as it is now and settle each of its requests
//! against it ([`settle`]). Settling is idempotent, and its outcome depends only on the state and
//! the status read, so the last read decides whatever order the cues came in.

use crate::custody::is_account_id;
use crate::error::{ValidationErrors, rules};
use crate::ids::TypeId;
use crate::kit::KitPick;
use serde::{Deserialize, Serialize};

/// Longest note on a request, in characters.
pub const NOTE_MAX: usize = crate::custody::NOTE_MAX;

/// Jira's status categories, by their stable keys (names are translated; keys are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusCategoryKey {
    /// "To Do".
    New,
    /// "In Progress".
    Indeterminate,
    /// "Done".
    Done,
}

impl StatusCategoryKey {
    /// From Jira's `statusCategory.key`; `None` for one Jira may add later (`undefined` today).
    pub fn parse(key: &str) -> Option<Self> {
        Some(match key {
            "new" => StatusCategoryKey::New,
            "indeterminate" => StatusCategoryKey::Indeterminate,
            "done" => StatusCategoryKey::Done,
            _ => return None,
        })
    }
}

/// An issue's status as read from Jira.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueStatus {
    pub project: String,
    pub status: String,
    pub category: StatusCategoryKey,
}

/// A schema's rule for requests: in which project's issues, and which status approves or
/// rejects. Kept with the schema's catalog.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalPolicy {
    /// The project whose issues carry requests (`IT`); requests on other issues wait.
    pub project: String,
    /// Approved when the issue enters this status category…
    #[serde(default)]
    pub approve_category: Option<StatusCategoryKey>,
    /// …or one of these statuses, by name (any case).
    #[serde(default)]
    pub approve_statuses: Vec<String>,
    /// Rejected or cancelled in one of these statuses (`Declined`, `Cancelled`). An issue done
    /// without ever approving its request releases it too; one done after approving keeps it.
    #[serde(default)]
    pub reject_statuses: Vec<String>,
}

/// What an issue's status says of its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
    /// Neither (yet): still being decided, or an issue of another project.
    Wait,
}

impl ApprovalPolicy {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if !is_project_key(&self.project) {
            errors.push(
                "project",
                rules::FORMAT,
                "Project: a Jira project key, like IT",
            );
        }
        if self.approve_category.is_none() && self.approve_statuses.is_empty() {
            errors.push(
                "approveStatuses",
                rules::REQUIRED,
                "Approval: name a status category or at least one status",
            );
        }
        if self.approve_category == Some(StatusCategoryKey::New) {
            errors.push(
                "approveCategory",
                rules::REFERENCE_TARGET,
                "Approval: every issue starts in \"To Do\"; choose In Progress or Done",
            );
        }
        for (field, list) in [
            ("approveStatuses", &self.approve_statuses),
            ("rejectStatuses", &self.reject_statuses),
        ] {
            if list
                .iter()
                .any(|s| s.trim().is_empty() || s.chars().count() > 255)
            {
                errors.push(
                    field,
                    rules::FORMAT,
                    "Statuses: names of 1 to 255 characters",
                );
            }
        }
        if let Some(both) = self.approve_statuses.iter().find(|a| {
            self.reject_statuses
                .iter()
                .any(|r| r.trim().eq_ignore_ascii_case(a.trim()))
        }) {
            errors.push(
                "rejectStatuses",
                rules::DUPLICATE_VALUE,
                format!("Statuses: {both} cannot both approve and reject"),
            );
        }
        errors.into_result(())
    }

    /// Trimmed, statuses without duplicates (any case), as stored.
    pub fn normalized(mut self) -> Self {
        self.project = self.project.trim().to_owned();
        for list in [&mut self.approve_statuses, &mut self.reject_statuses] {
            let mut seen = std::collections::HashSet::new();
            list.retain_mut(|s| {
                *s = s.trim().to_owned();
                seen.insert(s.to_lowercase())
            });
        }
        self
    }

    /// What `issue`'s status says. A rejecting status wins over an approving category (a
    /// "Declined" status in the Done category rejects even when Done approves).
    pub fn verdict(&self, issue: &IssueStatus, ever_approved: bool) -> Verdict {
        if !issue.project.eq_ignore_ascii_case(&self.project) {
            return Verdict::Wait;
        }
        let named = |list: &[String]| {
            list.iter()
                .any(|s| s.trim().eq_ignore_ascii_case(issue.status.trim()))
        };
        if named(&self.reject_statuses) {
            return Verdict::Reject;
        }
        if named(&self.approve_statuses) || self.approve_category == Some(issue.category) {
            return Verdict::Approve;
        }
        // Done without approval: closed some other way, which frees what was asked. Done
        // after approval keeps it approved: the hand-out (or a cancellation) settles it.
        if issue.category == StatusCategoryKey::Done {
            return if ever_approved {
                Verdict::Approve
            } else {
                Verdict::Reject
            };
        }
        Verdict::Wait
    }
}

impl ApprovalPolicy {
    /// Why a rejecting verdict releases: a rejecting status by name, or closed some other way.
    pub fn why_released(&self, issue: &IssueStatus) -> Why {
        if self
            .reject_statuses
            .iter()
            .any(|s| s.trim().eq_ignore_ascii_case(issue.status.trim()))
        {
            Why::Rejected
        } else {
            Why::Closed
        }
    }
}

/// Why a request (or its reservation) ended without a hand-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The issue entered a rejecting status.
    Rejected,
    /// The issue was done without approving the request.
    Closed,
    /// Someone cancelled the request.
    Cancelled,
    /// The issue was deleted.
    IssueDeleted,
    /// The issue left its approving status before the hand-out: the request waits again.
    Unapproved,
    /// The hand-out gave the person another asset, picked by hand.
    PickedOther,
}

/// One step of a request's path, as the issue's history shows it (the asset's history has
/// its own events: reserved, unreserved, checked out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum RequestEvent {
    /// Asked for, from the issue: `what` in words ("a Laptop", "the kit New starter").
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Requested {
        what: String,
        account_id: String,
        note: String,
    },
    /// The issue entered `status`, which approves it.
    Approved { status: String },
    /// Set aside for the person.
    Reserved { assets: Vec<String> },
    /// Approved, but nothing matching was free to set aside; the next check tries again, and
    /// the hand-out may pick whatever is free then.
    NoneFree,
    /// The issue left its approving status (now `status`): back to pending, reservation freed.
    Unapproved { status: String },
    /// Ended without a hand-out.
    Released {
        why: Why,
        status: Option<String>,
        note: String,
    },
    /// Handed out: these assets were checked out to the person for the issue.
    Fulfilled { assets: Vec<String> },
}

/// A Jira project key: a capital, then capitals, digits or underscores.
fn is_project_key(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && text.len() <= 255
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Asked; the issue has not approved it.
    Pending,
    /// Approved: an asset is reserved for it (or none was free yet: `reserved` says).
    Approved,
    /// Handed out: the reserved asset is checked out to the person.
    Fulfilled,
    /// Rejected or cancelled: nothing is reserved.
    Released,
}

/// What to do with a request about its issue's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Approve it, reserving a matching asset.
    Reserve,
    /// Approve it again after a reservation could not be made (none was free).
    RetryReserve,
    /// Release it, and its reservation if any.
    Release,
    /// Back to pending: the issue left its approving status before anything was handed out;
    /// the reservation is freed for others.
    Unreserve,
    Nothing,
}

/// The step a request takes when its issue stands as `verdict`. Fulfilled and released
/// requests are settled for good; settling twice with the same verdict does nothing the second
/// time.
pub fn settle(state: RequestState, reserved: bool, verdict: Verdict) -> Step {
    match (state, verdict) {
        (RequestState::Fulfilled | RequestState::Released, _) => Step::Nothing,
        (RequestState::Pending, Verdict::Approve) => Step::Reserve,
        (RequestState::Approved, Verdict::Approve) if !reserved => Step::RetryReserve,
        (RequestState::Approved, Verdict::Approve) => Step::Nothing,
        (_, Verdict::Reject) => Step::Release,
        (RequestState::Approved, Verdict::Wait) => Step::Unreserve,
        (RequestState::Pending, Verdict::Wait) => Step::Nothing,
    }
}

/// The state after `step` (a reservation that found nothing leaves it approved, unreserved).
pub fn after(state: RequestState, step: Step) -> RequestState {
    match step {
        Step::Reserve | Step::RetryReserve => RequestState::Approved,
        Step::Release => RequestState::Released,
        Step::Unreserve => RequestState::Pending,
        Step::Nothing => state,
    }
}

/// What a person asks for from an issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Wanted {
    /// Any available asset of this type (or a subtype).
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Type {
        #[cfg_attr(feature = "openapi", schema(value_type = i64))]
        type_id: TypeId,
    },
    /// A kit of the schema, by id.
    Kit { kit: i64 },
}

/// A request as a person makes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestDraft {
    /// The issue it is asked on (`IT-12`): its workflow approves it.
    pub issue: String,
    pub wanted: Wanted,
    /// Whom it is for, by Atlassian accountId.
    pub account_id: String,
    #[serde(default)]
    pub note: String,
}

impl RequestDraft {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if self.issue.trim().is_empty() {
            errors.push(
                "issue",
                rules::REQUIRED,
                "Issue: name the issue, like IT-12",
            );
        }
        if !is_account_id(&self.account_id) {
            errors.push(
                "accountId",
                rules::FORMAT,
                "For: a person is named by their Atlassian accountId",
            );
        }
        if self.note.chars().count() > NOTE_MAX {
            errors.push(
                "note",
                rules::MAX_LENGTH,
                format!("Note: must be at most {NOTE_MAX} characters"),
            );
        }
        errors.into_result(())
    }
}

/// Handing an approved request out: by default what it reserved.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fulfilment {
    /// The day it is due back, `YYYY-MM-DD` (UTC), if any.
    #[serde(default, with = "crate::custody::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due: Option<i32>,
    #[serde(default)]
    pub note: String,
    /// Assets picked by hand instead of the reserved ones: part 0 for a request of a type, a
    /// kit's asset part otherwise.
    #[serde(default)]
    pub picks: Vec<KitPick>,
}

impl Fulfilment {
    /// `asset_parts`: the parts that take an asset (`[0]` for a type, the kit's asset parts).
    pub fn validate(&self, asset_parts: &[usize], today: i32) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if let Some(due) = self.due
            && due < today
        {
            errors.push("due", rules::MIN, "Due: must be today or later");
        }
        if self.note.chars().count() > NOTE_MAX {
            errors.push(
                "note",
                rules::MAX_LENGTH,
                format!("Note: must be at most {NOTE_MAX} characters"),
            );
        }
        let mut parts = std::collections::HashSet::new();
        let mut assets = std::collections::HashSet::new();
        for (i, pick) in self.picks.iter().enumerate() {
            if !asset_parts.contains(&pick.part) {
                errors.push(
                    format!("picks[{i}]"),
                    rules::REFERENCE_TARGET,
                    format!("Pick: part {} does not take an asset", pick.part + 1),
                );
            } else if !parts.insert(pick.part) {
                errors.push(
                    format!("picks[{i}]"),
                    rules::DUPLICATE_VALUE,
                    format!("Pick: part {} is picked twice", pick.part + 1),
                );
            }
            if !assets.insert(pick.asset.to_string()) {
                errors.push(
                    format!("picks[{i}]"),
                    rules::DUPLICATE_VALUE,
                    format!("Pick: {} is picked twice", pick.asset),
                );
            }
        }
        errors.into_result(())
    }
}

/// Cancelling a request, with why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cancellation {
    #[serde(default)]
    pub note: String,
}

impl Cancellation {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if self.note.chars().count() > NOTE_MAX {
            errors.push(
                "note",
                rules::MAX_LENGTH,
                format!("Note: must be at most {NOTE_MAX} characters"),
            );
        }
        errors.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> ApprovalPolicy {
        ApprovalPolicy {
            project: "IT".into(),
            approve_category: None,
            approve_statuses: vec!["Approved".into()],
            reject_statuses: vec!["Declined".into()],
        }
    }

    fn at(status: &str, category: StatusCategoryKey) -> IssueStatus {
        IssueStatus {
            project: "IT".into(),
            status: status.into(),
            category,
        }
    }

    #[test]
    fn a_status_approves_rejects_or_leaves_a_request_waiting() {
        use StatusCategoryKey::*;
        let p = policy();
        assert_eq!(p.verdict(&at("To Do", New), false), Verdict::Wait);
        assert_eq!(
            p.verdict(&at("approved", Indeterminate), false),
            Verdict::Approve
        );
        assert_eq!(p.verdict(&at("Declined", Done), false), Verdict::Reject);
        assert_eq!(
            p.verdict(&at("Done", Done), false),
            Verdict::Reject,
            "closed without approval"
        );
        assert_eq!(
            p.verdict(&at("Done", Done), true),
            Verdict::Approve,
            "closed after approval: it stays approved until handed out or cancelled"
        );
        let other = IssueStatus {
            project: "OPS".into(),
            ..at("Approved", Indeterminate)
        };
        assert_eq!(p.verdict(&other, false), Verdict::Wait);
        let by_category = ApprovalPolicy {
            approve_category: Some(Done),
            approve_statuses: Vec::new(),
            ..policy()
        };
        assert_eq!(
            by_category.verdict(&at("Done", Done), false),
            Verdict::Approve
        );
        assert_eq!(
            by_category.verdict(&at("Declined", Done), false),
            Verdict::Reject,
            "a rejecting status wins over the approving category"
        );
    }

    #[test]
    fn a_policy_names_a_project_and_how_to_approve() {
        assert!(policy().validate().is_ok());
        let bad = ApprovalPolicy {
            project: "it".into(),
            approve_category: Some(StatusCategoryKey::New),
            approve_statuses: vec!["Approved".into()],
            reject_statuses: vec!["approved".into(), " ".into()],
        };
        let fields: Vec<String> = bad
            .validate()
            .err()
            .map(|e| e.0.into_iter().map(|e| e.field).collect())
            .unwrap_or_default();
        assert_eq!(
            fields,
            vec![
                "project",
                "approveCategory",
                "rejectStatuses",
                "rejectStatuses"
            ]
        );
        let nothing = ApprovalPolicy {
            project: "IT".into(),
            ..ApprovalPolicy::default()
        };
        assert!(nothing.validate().is_err());
    }

    #[test]
    fn requests_move_through_their_states() {
        use RequestState::*;
        assert_eq!(settle(Pending, false, Verdict::Approve), Step::Reserve);
        assert_eq!(settle(Approved, true, Verdict::Approve), Step::Nothing);
        assert_eq!(
            settle(Approved, false, Verdict::Approve),
            Step::RetryReserve
        );
        assert_eq!(settle(Approved, true, Verdict::Reject), Step::Release);
        assert_eq!(settle(Approved, true, Verdict::Wait), Step::Unreserve);
        assert_eq!(settle(Fulfilled, false, Verdict::Reject), Step::Nothing);
        assert_eq!(settle(Released, false, Verdict::Approve), Step::Nothing);
        let draft = RequestDraft {
            issue: "IT-1".into(),
            wanted: Wanted::Type { type_id: TypeId(1) },
            account_id: "Ada".into(),
            note: String::new(),
        };
        assert!(draft.validate().is_err());
    }

    fn verdict() -> impl Strategy<Value = Verdict> {
        prop_oneof![
            Just(Verdict::Approve),
            Just(Verdict::Reject),
            Just(Verdict::Wait)
        ]
    }

    fn state() -> impl Strategy<Value = RequestState> {
        prop_oneof![
            Just(RequestState::Pending),
            Just(RequestState::Approved),
            Just(RequestState::Fulfilled),
            Just(RequestState::Released),
        ]
    }

    /// Settles once as the store does: the reservation succeeds when `free`.
    fn apply(
        state: RequestState,
        reserved: bool,
        verdict: Verdict,
        free: bool,
    ) -> (RequestState, bool) {
        let step = settle(state, reserved, verdict);
        let reserved = match step {
            Step::Reserve | Step::RetryReserve => free,
            Step::Release | Step::Unreserve => false,
            Step::Nothing => reserved,
        };
        (after(state, step), reserved)
    }

    proptest! {
        /// A repeated cue changes nothing: settling twice against the same status is settling
        /// once.
        #[test]
        fn settling_is_idempotent(s in state(), reserved in any::<bool>(), v in verdict()) {
            let reserved = reserved && s == RequestState::Approved;
            let once = apply(s, reserved, v, true);
            let twice = apply(once.0, once.1, v, true);
            prop_assert_eq!(once, twice);
        }

        /// Cues in any order and repeated any number of times, each settling against the
        /// status Jira has when it is handled, end where the last status leads, as long as no
        /// verdict on the way was final: the order of delivery does not matter, only what the
        /// issue says now.
        #[test]
        fn the_last_status_decides_whatever_the_order(
            cues in proptest::collection::vec((verdict(), 1_usize..4), 1..12),
            last in verdict(),
        ) {
            // Deliveries re-read the issue, so each sees the status current at its handling;
            // the final status is `last`, read by every cue handled after it was set.
            let mut a = (RequestState::Pending, false);
            for (v, repeats) in &cues {
                for _ in 0..*repeats {
                    a = apply(a.0, a.1, *v, true);
                }
            }
            let settled_once = apply(a.0, a.1, last, true);
            let settled_again = apply(settled_once.0, settled_once.1, last, true);
            prop_assert_eq!(settled_once, settled_again);
            let terminal = matches!(a.0, RequestState::Released | RequestState::Fulfilled);
            if !terminal {
                // From any live state, the last status alone decides.
                let from_pending = apply(RequestState::Pending, false, last, true);
                let expected = match (a.0, last) {
                    (RequestState::Approved, Verdict::Approve) => (RequestState::Approved, true),
                    _ => from_pending,
                };
                prop_assert_eq!(settled_once, expected);
            }
        }
    }
}
