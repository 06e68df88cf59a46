//! Custody: who holds an asset of a checkoutable type (issue 14). An asset is held by at most one
//! holder at a time: a person (a Jira accountId), a location asset, or another asset (a dock
//! checked out to a laptop). These are the rules that need no storage: what a check-out or a
//! check-in must carry, when a loan is overdue, and whom a nested asset is really with. The
//! store makes them atomic (one holder at a time under concurrency); the API exposes them.

use crate::asset_type::TypeTree;
use crate::error::{ValidationErrors, rules};
use crate::ids::{StatusId, TypeId};
use crate::schema::AssetKey;
use crate::status::{Status, StatusCategory};
use serde::{Deserialize, Serialize};

/// Longest note on a check-out or check-in, in characters.
pub const NOTE_MAX: usize = 1_000;

/// How deep holders may nest (a dock on a laptop on a cart): deep enough for any desk, and a
/// bound on the walk that finds an asset's real holder.
pub const NESTING_MAX: usize = 8;

/// Who or what holds an asset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Holder {
    /// A person, by Atlassian accountId: names and e-mails change and are private.
    // utoipa does not read serde's `rename_all_fields`; this repeats it for the schema.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    User { account_id: String },
    /// A location: an asset that stays put (a room, a store), where the asset is kept.
    Location {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-7"))]
        key: AssetKey,
    },
    /// Another asset, which carries this one wherever it goes.
    Asset {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-42"))]
        key: AssetKey,
    },
}

impl Holder {
    /// The asset this holder is, when it is one (locations are assets too).
    pub fn asset(&self) -> Option<&AssetKey> {
        match self {
            Holder::User { .. } => None,
            Holder::Location { key } | Holder::Asset { key } => Some(key),
        }
    }
}

/// What a check-out records besides who did it and when (the caller adds those).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckoutDraft {
    pub holder: Holder,
    /// The day it is due back, `YYYY-MM-DD` (UTC), if any.
    #[serde(default, with = "day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due: Option<i32>,
    /// The Jira issue it is handed out for (`HR-12`), if any.
    #[serde(default)]
    pub issue: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Epoch milliseconds on the wire as RFC 3339 (UTC), as every other time in the API is.
pub mod instant {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(millis: &i64, s: S) -> Result<S::Ok, S::Error> {
        match crate::value::format_datetime(*millis) {
            Some(text) => s.serialize_str(&text),
            None => s.serialize_i64(*millis),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        crate::value::parse_datetime(&text)
            .ok_or_else(|| D::Error::custom(format!("{text:?} is not an RFC 3339 time")))
    }
}

/// Days since the epoch on the wire as `YYYY-MM-DD`, the form date attributes use: a client
/// should not have to count days.
pub mod day {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(day: &Option<i32>, s: S) -> Result<S::Ok, S::Error> {
        match day.and_then(crate::value::format_date) {
            Some(text) => s.serialize_str(&text),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => crate::value::parse_date(&text)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("due: {text:?} is not a YYYY-MM-DD date"))),
        }
    }
}

/// The state an asset comes back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Good,
    Worn,
    Damaged,
    /// Not returned: checked in so that the books are right, and usually retired next.
    Lost,
}

/// What a check-in records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckinDraft {
    pub condition: Condition,
    #[serde(default)]
    pub note: String,
}

/// An asset's custody as stored: the check-out that is in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Custody {
    pub holder: Holder,
    /// When it was checked out (RFC 3339 on the wire).
    #[serde(with = "instant")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub since: i64,
    /// Who checked it out (an accountId, `app`, or `api-token:N`).
    pub by: String,
    #[serde(with = "day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due: Option<i32>,
    pub issue: Option<String>,
    pub note: String,
}

impl Custody {
    /// Overdue is derived, never stored: due before `today` (days since the epoch, UTC), so an
    /// asset due today is not overdue until tomorrow.
    pub fn is_overdue(&self, today: i32) -> bool {
        self.due.is_some_and(|due| due < today)
    }
}

/// Whether `text` reads as an Atlassian accountId: `557058:` followed by a UUID-like id, a
/// 24-digit hex id, or a JSM customer's `qm:` id. Display names and e-mails are refused.
pub fn is_account_id(text: &str) -> bool {
    let id_chars = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':'))
    };
    match text.split_once(':') {
        Some((prefix, rest)) => !prefix.is_empty() && id_chars(prefix) && id_chars(rest),
        None => text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit()),
    }
}

/// Whether `text` is a Jira issue key: a project key (a capital, then capitals, digits or
/// underscores) and a number from 1.
pub fn is_issue_key(text: &str) -> bool {
    let Some((project, number)) = text.split_once('-') else {
        return false;
    };
    let mut project_bytes = project.bytes();
    project_bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && project_bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !number.is_empty()
        && !number.starts_with('0')
        && number.len() <= 18
        && number.bytes().all(|b| b.is_ascii_digit())
}

fn check_note(errors: &mut ValidationErrors, note: &str) {
    if note.chars().count() > NOTE_MAX {
        errors.push(
            "note",
            rules::MAX_LENGTH,
            format!("Note: must be at most {NOTE_MAX} characters"),
        );
    }
}

impl CheckoutDraft {
    /// Checks what needs no other rows; `asset` is the asset being checked out, `today` the day
    /// (UTC) it happens. Whether the holder exists, and whether it is already out, are the
    /// store's to say.
    pub fn validate(&self, asset: &AssetKey, today: i32) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        match &self.holder {
            Holder::User { account_id } if !is_account_id(account_id) => errors.push(
                "holder",
                rules::FORMAT,
                "Holder: a person is named by their Atlassian accountId",
            ),
            Holder::Location { key } | Holder::Asset { key } if key == asset => errors.push(
                "holder",
                rules::CYCLE,
                format!("Holder: {asset} cannot hold itself"),
            ),
            _ => {}
        }
        if let Some(due) = self.due
            && due < today
        {
            errors.push("due", rules::MIN, "Due: must be today or later");
        }
        if let Some(issue) = &self.issue
            && !is_issue_key(issue)
        {
            errors.push(
                "issue",
                rules::FORMAT,
                "Issue: must be a Jira issue key, like HR-12",
            );
        }
        check_note(&mut errors, &self.note);
        errors.into_result(())
    }
}

impl CheckinDraft {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_note(&mut errors, &self.note);
        errors.into_result(())
    }
}

/// Why a holder cannot take an asset, found by following holders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NestingError {
    /// The holder is (or is carried by) the asset itself: a dock cannot hold the laptop it sits
    /// on.
    #[error("{asset} would carry itself through {through}")]
    Cycle { asset: AssetKey, through: AssetKey },
    #[error("holders nest more than {NESTING_MAX} deep")]
    TooDeep,
}

/// Whom an asset is really with: follows asset holders (a dock on a laptop is with the laptop's
/// holder) to a person or a location. `holder_of` answers an asset's current holder. The chain
/// is the holders passed on the way, nearest first. A chain that loops or nests too deep is an
/// error. The store walks stored chains in SQL by the same rules (`amj_store::custody`: no
/// loops, at most [`NESTING_MAX`] carriers, counting what rides below); these are the rules'
/// reference, for callers that hold the holders in memory.
pub fn effective_holder(
    start: &Holder,
    holder_of: impl Fn(&AssetKey) -> Option<Holder>,
) -> Result<(Holder, Vec<AssetKey>), NestingError> {
    let mut chain: Vec<AssetKey> = Vec::new();
    let mut current = start.clone();
    loop {
        let Holder::Asset { key } = &current else {
            return Ok((current, chain));
        };
        if chain.contains(key) {
            return Err(NestingError::Cycle {
                asset: key.clone(),
                through: chain.last().cloned().unwrap_or_else(|| key.clone()),
            });
        }
        if chain.len() >= NESTING_MAX {
            return Err(NestingError::TooDeep);
        }
        chain.push(key.clone());
        match holder_of(key) {
            Some(next) => current = next,
            // An asset that nobody holds is where it is: the end of the chain.
            None => return Ok((current, chain)),
        }
    }
}

/// Whether `asset` may be checked out to `holder`: not to itself, and not to an asset that is
/// (through any depth of nesting) carried by `asset`.
pub fn check_nesting(
    asset: &AssetKey,
    holder: &Holder,
    holder_of: impl Fn(&AssetKey) -> Option<Holder>,
) -> Result<(), NestingError> {
    if holder.asset() == Some(asset) {
        return Err(NestingError::Cycle {
            asset: asset.clone(),
            through: asset.clone(),
        });
    }
    let (_, chain) = effective_holder(holder, &holder_of)?;
    if let Some(through) = chain.iter().find(|k| *k == asset) {
        return Err(NestingError::Cycle {
            asset: asset.clone(),
            through: through.clone(),
        });
    }
    if chain.len() >= NESTING_MAX {
        return Err(NestingError::TooDeep);
    }
    Ok(())
}

/// A schema's custody rules: which types can be checked out, and the statuses a check-out and a
/// check-in move an asset to. Kept with the schema's catalog (and its version), so every
/// instance applies the same rules.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustodyPolicy {
    /// Types whose assets can be checked out; their subtypes can be too.
    #[serde(default)]
    pub checkoutable_types: Vec<TypeId>,
    /// The status a check-out moves to; unset means the schema's first "In use" status.
    #[serde(default)]
    pub checked_out_status: Option<StatusId>,
    /// The status a check-in restores; unset means the schema's first "Available" status.
    #[serde(default)]
    pub available_status: Option<StatusId>,
}

impl CustodyPolicy {
    /// Whether assets of `type_id` can be checked out: the type or one of its ancestors is
    /// named, so "Hardware" covers laptops and docks.
    pub fn is_checkoutable(&self, types: &TypeTree, type_id: TypeId) -> bool {
        !self.checkoutable_types.is_empty()
            && types
                .ancestors_and_self(type_id)
                .iter()
                .any(|t| self.checkoutable_types.contains(t))
    }

    /// The status a check-out moves to, if the schema has one.
    pub fn out_status(&self, statuses: &[Status]) -> Option<StatusId> {
        named_or_first(self.checked_out_status, statuses, StatusCategory::InUse)
    }

    /// The status a check-in restores, if the schema has one.
    pub fn available_status(&self, statuses: &[Status]) -> Option<StatusId> {
        named_or_first(self.available_status, statuses, StatusCategory::Available)
    }

    /// Checks the policy against the schema's catalog: every type and status exists, and
    /// neither status retires what it touches.
    pub fn validate(&self, types: &TypeTree, statuses: &[Status]) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        for type_id in &self.checkoutable_types {
            if types.get(*type_id).is_none() {
                errors.push(
                    "checkoutableTypes",
                    rules::REFERENCE_TARGET,
                    format!(
                        "Checkoutable types: type {} is not in this schema",
                        type_id.0
                    ),
                );
            }
        }
        for (field, label, status) in [
            (
                "checkedOutStatus",
                "Checked-out status",
                self.checked_out_status,
            ),
            ("availableStatus", "Available status", self.available_status),
        ] {
            let Some(id) = status else { continue };
            match statuses.iter().find(|s| s.id == id) {
                None => errors.push(
                    field,
                    rules::REFERENCE_TARGET,
                    format!("{label}: status {} is not in this schema", id.0),
                ),
                Some(s) if s.category == StatusCategory::Retired => errors.push(
                    field,
                    rules::REFERENCE_TARGET,
                    format!("{label}: {} retires assets; choose another status", s.name),
                ),
                Some(_) => {}
            }
        }
        errors.into_result(())
    }
}

fn named_or_first(
    named: Option<StatusId>,
    statuses: &[Status],
    category: StatusCategory,
) -> Option<StatusId> {
    named
        .filter(|id| statuses.iter().any(|s| s.id == *id))
        .or_else(|| {
            statuses
                .iter()
                .find(|s| s.category == category)
                .map(|s| s.id)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn key(s: &str) -> AssetKey {
        AssetKey::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn on(holdings: &[(&str, Holder)]) -> impl Fn(&AssetKey) -> Option<Holder> + use<> {
        let map: HashMap<AssetKey, Holder> =
            holdings.iter().map(|(k, h)| (key(k), h.clone())).collect();
        move |k| map.get(k).cloned()
    }

    fn asset(s: &str) -> Holder {
        Holder::Asset { key: key(s) }
    }

    fn person(id: &str) -> Holder {
        Holder::User {
            account_id: id.to_owned(),
        }
    }

    fn catalog() -> (TypeTree, Vec<Status>) {
        use crate::ids::SchemaId;
        let kind = |id: i64, parent: Option<i64>| crate::AssetType {
            id: TypeId(id),
            schema_id: SchemaId(1),
            parent_id: parent.map(TypeId),
            name: format!("T{id}"),
            icon: String::new(),
            description: String::new(),
            is_abstract: false,
            label_attribute: None,
        };
        let status = |id: i64, name: &str, category| Status {
            id: StatusId(id),
            schema_id: SchemaId(1),
            name: name.into(),
            category,
        };
        (
            TypeTree::new(vec![kind(1, None), kind(2, Some(1)), kind(3, None)]),
            vec![
                status(10, "In stock", StatusCategory::Available),
                status(11, "Available", StatusCategory::Available),
                status(12, "Lent", StatusCategory::InUse),
                status(13, "In use", StatusCategory::InUse),
                status(14, "Retired", StatusCategory::Retired),
            ],
        )
    }

    #[test]
    fn a_policy_covers_subtypes_and_falls_back_to_each_categorys_first_status() {
        let (types, statuses) = catalog();
        let none = CustodyPolicy::default();
        assert!(
            !none.is_checkoutable(&types, TypeId(2)),
            "nothing until a type is named"
        );
        assert_eq!(none.out_status(&statuses), Some(StatusId(12)));
        assert_eq!(none.available_status(&statuses), Some(StatusId(10)));
        let policy = CustodyPolicy {
            checkoutable_types: vec![TypeId(1)],
            checked_out_status: Some(StatusId(13)),
            available_status: Some(StatusId(11)),
        };
        assert!(policy.is_checkoutable(&types, TypeId(1)));
        assert!(
            policy.is_checkoutable(&types, TypeId(2)),
            "a subtype of a named type"
        );
        assert!(!policy.is_checkoutable(&types, TypeId(3)));
        assert_eq!(policy.out_status(&statuses), Some(StatusId(13)));
        assert_eq!(policy.available_status(&statuses), Some(StatusId(11)));
        assert_eq!(policy.validate(&types, &statuses), Ok(()));
        // A named status that is gone (deleted since) falls back too.
        let gone = CustodyPolicy {
            checked_out_status: Some(StatusId(99)),
            ..policy.clone()
        };
        assert_eq!(gone.out_status(&statuses), Some(StatusId(12)));
    }

    #[test]
    fn a_policy_names_what_is_not_in_the_schema_or_retires() {
        let (types, statuses) = catalog();
        let bad = CustodyPolicy {
            checkoutable_types: vec![TypeId(1), TypeId(77)],
            checked_out_status: Some(StatusId(14)),
            available_status: Some(StatusId(99)),
        };
        let Err(errors) = bad.validate(&types, &statuses) else {
            panic!("a policy naming a missing type and a retiring status passed");
        };
        let fields: Vec<(&str, &str)> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.rule))
            .collect();
        assert_eq!(
            fields,
            [
                ("checkoutableTypes", rules::REFERENCE_TARGET),
                ("checkedOutStatus", rules::REFERENCE_TARGET),
                ("availableStatus", rules::REFERENCE_TARGET),
            ]
        );
        assert!(errors.0[1].message.contains("Retired"), "{errors:?}");
    }

    #[test]
    fn holders_read_and_write_as_the_api_shows_them() {
        let draft: CheckoutDraft = serde_json::from_str(
            r#"{"holder": {"kind": "user", "accountId": "557058:ada"}, "due": "2026-12-24",
                "issue": "HR-12", "note": "new starter"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.holder, person("557058:ada"));
        assert_eq!(draft.due, crate::value::parse_date("2026-12-24"));
        let days = serde_json::from_str::<CheckoutDraft>(
            r#"{"holder": {"kind": "user", "accountId": "557058:ada"}, "due": 20800}"#,
        );
        assert!(days.is_err(), "a due day is a date, not a count of days");
        let echoed = serde_json::to_value(&draft).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(echoed["due"], "2026-12-24");
        let location = serde_json::to_value(Holder::Location { key: key("IT-7") })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            location,
            serde_json::json!({"kind": "location", "key": "IT-7"})
        );
        let unknown = serde_json::from_str::<CheckoutDraft>(
            r#"{"holder": {"kind": "user", "accountId": "557058:ada"}, "holderName": "Ada"}"#,
        );
        assert!(unknown.is_err(), "unknown fields are refused, not ignored");
    }

    #[test]
    fn a_check_out_names_each_broken_rule() {
        let laptop = key("IT-1");
        let today = 20_000;
        let good = CheckoutDraft {
            holder: person("557058:ada"),
            due: Some(today),
            issue: Some("HR_2-12".into()),
            note: String::new(),
        };
        assert_eq!(good.validate(&laptop, today), Ok(()));
        let bad = CheckoutDraft {
            holder: person("Ada Lovelace"),
            due: Some(today - 1),
            issue: Some("hr-012".into()),
            note: "x".repeat(NOTE_MAX + 1),
        };
        let Err(errors) = bad.validate(&laptop, today) else {
            panic!("a draft breaking four rules passed");
        };
        let fields: Vec<(&str, &str)> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.rule))
            .collect();
        assert_eq!(
            fields,
            [
                ("holder", rules::FORMAT),
                ("due", rules::MIN),
                ("issue", rules::FORMAT),
                ("note", rules::MAX_LENGTH),
            ]
        );
        let itself = CheckoutDraft {
            holder: asset("IT-1"),
            ..good
        };
        let Err(errors) = itself.validate(&laptop, today) else {
            panic!("an asset checked out to itself passed");
        };
        assert_eq!(errors.0[0].rule, rules::CYCLE);
    }

    #[test]
    fn account_ids_and_issue_keys_are_recognised() {
        for id in [
            "557058:f1e2d3c4-0000-4abc-9def-0123456789ab",
            "5b10ac8d82e05b22cc7d4ef5",
            "qm:1a2b:3c4d",
        ] {
            assert!(is_account_id(id), "{id}");
        }
        for id in [
            "",
            "Ada Lovelace",
            "ada@example.com",
            "5b10ac8d",
            ":x",
            "557058:",
        ] {
            assert!(!is_account_id(id), "{id}");
        }
        for issue in ["HR-12", "A1_B-1", "OPS-999999"] {
            assert!(is_issue_key(issue), "{issue}");
        }
        for issue in ["hr-12", "HR-0", "HR-012", "HR12", "-12", "1HR-2", "HR-"] {
            assert!(!is_issue_key(issue), "{issue}");
        }
    }

    #[test]
    fn overdue_starts_the_day_after_the_due_day() {
        let custody = Custody {
            holder: person("557058:ada"),
            since: 0,
            by: "app".into(),
            due: Some(100),
            issue: None,
            note: String::new(),
        };
        assert!(!custody.is_overdue(99));
        assert!(!custody.is_overdue(100));
        assert!(custody.is_overdue(101));
        assert!(
            !Custody {
                due: None,
                ..custody
            }
            .is_overdue(1_000)
        );
    }

    #[test]
    fn a_nested_asset_is_with_its_carriers_holder() {
        // A dock on a laptop on a cart in Lisbon; a mouse on the dock.
        let holders = on(&[
            ("IT-3", asset("IT-2")),
            ("IT-2", asset("IT-1")),
            ("IT-1", Holder::Location { key: key("IT-9") }),
        ]);
        let (holder, chain) =
            effective_holder(&asset("IT-3"), &holders).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(holder, Holder::Location { key: key("IT-9") });
        assert_eq!(chain, [key("IT-3"), key("IT-2"), key("IT-1")]);
        // A person's asset is with the person; an unheld carrier is where the chain ends.
        let (holder, chain) =
            effective_holder(&person("557058:ada"), &holders).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((holder, chain.len()), (person("557058:ada"), 0));
        let (holder, _) =
            effective_holder(&asset("IT-5"), &holders).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(holder, asset("IT-5"));
    }

    #[test]
    fn nesting_never_loops_or_grows_without_bound() {
        let holders = on(&[("IT-3", asset("IT-2")), ("IT-2", asset("IT-1"))]);
        // The laptop cannot go onto the dock it carries, nor onto itself.
        assert!(matches!(
            check_nesting(&key("IT-1"), &asset("IT-3"), &holders),
            Err(NestingError::Cycle { .. })
        ));
        assert!(matches!(
            check_nesting(&key("IT-1"), &asset("IT-1"), &holders),
            Err(NestingError::Cycle { .. })
        ));
        assert_eq!(
            check_nesting(&key("IT-4"), &asset("IT-3"), &holders),
            Ok(())
        );
        assert_eq!(
            check_nesting(&key("IT-4"), &person("557058:ada"), &holders),
            Ok(())
        );
        // Data that loops already (never written by check_nesting) is reported, not followed.
        let looping = on(&[("IT-1", asset("IT-2")), ("IT-2", asset("IT-1"))]);
        assert!(matches!(
            effective_holder(&asset("IT-1"), &looping),
            Err(NestingError::Cycle { .. })
        ));
        // A chain as deep as allowed takes no more.
        let deep: Vec<(String, Holder)> = (1..=NESTING_MAX)
            .map(|n| (format!("IT-{n}"), asset(&format!("IT-{}", n + 1))))
            .collect();
        let deep: Vec<(&str, Holder)> = deep.iter().map(|(k, h)| (k.as_str(), h.clone())).collect();
        let holders = on(&deep);
        assert_eq!(
            check_nesting(&key("IT-100"), &asset("IT-1"), &holders),
            Err(NestingError::TooDeep)
        );
    }
}
