//! Licence seats (issue 14): a licence is an asset of a *licensed* type, with terms (entitled
//! seats, dates, cost) and seats assigned to people or to assets. These are the rules that need
//! no storage: what terms and assignments must carry, and how compliance is judged. The store
//! keeps "assigned ≤ entitled unless overuse is allowed" as a constraint under concurrency.

use crate::asset_type::TypeTree;
use crate::attribute::{AttributeDef, AttributeKind};
use crate::custody::{is_account_id, is_issue_key};
use crate::error::{ValidationErrors, rules};
use crate::ids::{AttributeId, TypeId};
use crate::schema::AssetKey;
use serde::{Deserialize, Serialize};

/// Most seats one licence may be entitled to: a site licence for a large company, with room.
pub const ENTITLED_MAX: i64 = 10_000_000;
/// Longest product name, in characters.
pub const PRODUCT_MAX: usize = 200;
/// Highest cost per seat, in the currency's major unit.
pub const COST_MAX: f64 = 1_000_000_000.0;
/// Longest note on an assignment or a release, in characters.
pub const NOTE_MAX: usize = crate::custody::NOTE_MAX;

/// A schema's licence rules: which types are licences, and which reference attribute says
/// where a licence is installed ("Installed software" on a computer, pointing at the licence).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicencePolicy {
    /// Types whose assets are licences; their subtypes are too.
    #[serde(default)]
    pub licensed_types: Vec<TypeId>,
    /// A reference attribute whose values point at licences: each asset that points at a
    /// licence counts as one installation of it. Unset: installations are not counted.
    #[serde(default)]
    pub installed_attribute: Option<AttributeId>,
}

impl LicencePolicy {
    /// Whether assets of `type_id` are licences: the type or an ancestor is named.
    pub fn is_licensed(&self, types: &TypeTree, type_id: TypeId) -> bool {
        !self.licensed_types.is_empty()
            && types
                .ancestors_and_self(type_id)
                .iter()
                .any(|t| self.licensed_types.contains(t))
    }

    /// Whether `attribute` lives on licences (their own "Installed on" list of machines) rather
    /// than on what points at them ("Installed software" on a computer): declared on a licensed
    /// type, on one of its ancestors, or on one of its subtypes.
    pub fn installed_on_licence(&self, types: &TypeTree, attribute: &AttributeDef) -> bool {
        self.licensed_types.iter().any(|licensed| {
            types
                .ancestors_and_self(*licensed)
                .contains(&attribute.type_id)
                || types
                    .ancestors_and_self(attribute.type_id)
                    .contains(licensed)
        })
    }

    /// Checks the policy against the schema: the types exist, and the installed attribute is a
    /// reference attribute of the schema that licences have, or whose target can be a licence.
    pub fn validate(
        &self,
        types: &TypeTree,
        attributes: &[AttributeDef],
    ) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        for type_id in &self.licensed_types {
            if types.get(*type_id).is_none() {
                errors.push(
                    "licensedTypes",
                    rules::REFERENCE_TARGET,
                    format!("Licensed types: type {} is not in this schema", type_id.0),
                );
            }
        }
        if let Some(id) = self.installed_attribute {
            match attributes.iter().find(|a| a.id == id) {
                None => errors.push(
                    "installedAttribute",
                    rules::REFERENCE_TARGET,
                    format!(
                        "Installed attribute: attribute {} is not in this schema",
                        id.0
                    ),
                ),
                Some(
                    attribute @ AttributeDef {
                        kind: AttributeKind::Reference { target_type, .. },
                        name,
                        ..
                    },
                ) => {
                    // Licences have it, or it points at a licensed type (or a licensed subtype).
                    let reaches_licence = self.installed_on_licence(types, attribute)
                        || self.licensed_types.iter().any(|licensed| {
                            types.ancestors_and_self(*licensed).contains(target_type)
                                || types.ancestors_and_self(*target_type).contains(licensed)
                        });
                    if !reaches_licence {
                        errors.push(
                            "installedAttribute",
                            rules::REFERENCE_TARGET,
                            format!(
                                "Installed attribute: {name} is not on a licensed type and does \
                                 not point at one"
                            ),
                        );
                    }
                }
                Some(other) => errors.push(
                    "installedAttribute",
                    rules::REFERENCE_TARGET,
                    format!(
                        "Installed attribute: {} is not a reference attribute",
                        other.name
                    ),
                ),
            }
        }
        errors.into_result(())
    }
}

/// A licence's terms, as an admin sets them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenceTerms {
    /// What is licensed ("Adobe Acrobat Pro"): licences of one product add up in the
    /// compliance view, as several purchases of one product usually are.
    pub product: String,
    /// Seats bought.
    pub entitled: i64,
    /// Whether seats may be assigned past `entitled`: the excess is then a compliance breach
    /// to settle at the next true-up, rather than a refusal.
    #[serde(default)]
    pub allow_overuse: bool,
    /// The last day it may be used, `YYYY-MM-DD` (UTC), if it ends.
    #[serde(default, with = "crate::custody::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expires: Option<i32>,
    /// The day it renews, if it does.
    #[serde(default, with = "crate::custody::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub renews: Option<i32>,
    /// What one seat costs, in `currency`, with at most two decimals.
    #[serde(default)]
    pub cost_per_seat: Option<f64>,
    /// ISO 4217 code of the cost (`EUR`).
    #[serde(default)]
    pub currency: Option<String>,
}

impl LicenceTerms {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let product = self.product.trim();
        if product.is_empty() {
            errors.push("product", rules::REQUIRED, "Product: required");
        } else if product.chars().count() > PRODUCT_MAX {
            errors.push(
                "product",
                rules::MAX_LENGTH,
                format!("Product: must be at most {PRODUCT_MAX} characters"),
            );
        }
        if self.entitled < 0 {
            errors.push("entitled", rules::MIN, "Entitled seats: must be 0 or more");
        } else if self.entitled > ENTITLED_MAX {
            errors.push(
                "entitled",
                rules::MAX,
                format!("Entitled seats: must be at most {ENTITLED_MAX}"),
            );
        }
        if let Some(cost) = self.cost_per_seat {
            if !(0.0..=COST_MAX).contains(&cost) {
                errors.push(
                    "costPerSeat",
                    rules::MIN,
                    format!("Cost per seat: must be 0 to {COST_MAX}"),
                );
            } else if minor_units(cost).is_none() {
                errors.push(
                    "costPerSeat",
                    rules::FORMAT,
                    "Cost per seat: at most two decimals",
                );
            }
        }
        match &self.currency {
            Some(code) if !(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())) => {
                errors.push(
                    "currency",
                    rules::FORMAT,
                    "Currency: a three-letter ISO 4217 code, like EUR",
                )
            }
            None if self.cost_per_seat.is_some() => errors.push(
                "currency",
                rules::REQUIRED,
                "Currency: required with a cost per seat",
            ),
            _ => {}
        }
        if let (Some(renews), Some(expires)) = (self.renews, self.expires)
            && renews > expires
        {
            errors.push(
                "renews",
                rules::MAX,
                "Renews: must be on or before the day it expires",
            );
        }
        errors.into_result(())
    }

    /// The cost per seat in hundredths, as stored: money is never summed in floating point.
    pub fn cost_minor(&self) -> Option<i64> {
        self.cost_per_seat.and_then(minor_units)
    }
}

/// `amount` in hundredths, when it has at most two decimals.
pub fn minor_units(amount: f64) -> Option<i64> {
    let scaled = (amount * 100.0).round();
    // A thousandth of a cent absorbs the binary representation's error up to `COST_MAX`
    // (about 1e-5 cents there) and still refuses a third decimal.
    ((amount * 100.0 - scaled).abs() < 1e-3 && scaled.abs() < 9e15).then_some(scaled as i64)
}

/// Who a seat is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Assignee {
    /// A person, by Atlassian accountId (named-user licences).
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    User { account_id: String },
    /// An asset of the schema (device licences).
    Asset {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-42"))]
        key: AssetKey,
    },
}

impl std::fmt::Display for Assignee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Assignee::User { account_id } => write!(f, "user {account_id}"),
            Assignee::Asset { key } => write!(f, "{key}"),
        }
    }
}

/// Seats to assign in one call, all or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeatDraft {
    pub assignees: Vec<Assignee>,
    /// The Jira issue the seats are for (`HR-12`), if any.
    #[serde(default)]
    pub issue: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Seats to free in one call, all or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeatRelease {
    pub assignees: Vec<Assignee>,
    #[serde(default)]
    pub note: String,
}

/// Most assignees one call takes.
pub const ASSIGNEES_MAX: usize = 500;

fn check_assignees(
    errors: &mut ValidationErrors,
    assignees: &[Assignee],
    licence: &AssetKey,
    note: &str,
) {
    if assignees.is_empty() || assignees.len() > ASSIGNEES_MAX {
        errors.push(
            "assignees",
            rules::CARDINALITY,
            format!("Assignees: give 1 to {ASSIGNEES_MAX}"),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (i, assignee) in assignees.iter().enumerate() {
        let field = format!("assignees[{i}]");
        match assignee {
            Assignee::User { account_id } if !is_account_id(account_id) => errors.push(
                field.clone(),
                rules::FORMAT,
                "A person is named by their Atlassian accountId",
            ),
            Assignee::Asset { key } if key == licence => errors.push(
                field.clone(),
                rules::CYCLE,
                format!("{licence} cannot hold a seat of itself"),
            ),
            _ => {}
        }
        if !seen.insert(assignee) {
            errors.push(
                field,
                rules::DUPLICATE_VALUE,
                format!("{assignee} is listed twice"),
            );
        }
    }
    if note.chars().count() > NOTE_MAX {
        errors.push(
            "note",
            rules::MAX_LENGTH,
            format!("Note: must be at most {NOTE_MAX} characters"),
        );
    }
}

impl SeatDraft {
    pub fn validate(&self, licence: &AssetKey) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_assignees(&mut errors, &self.assignees, licence, &self.note);
        if let Some(issue) = &self.issue
            && !is_issue_key(issue)
        {
            errors.push(
                "issue",
                rules::FORMAT,
                "Issue: must be a Jira issue key, like HR-12",
            );
        }
        errors.into_result(())
    }
}

impl SeatRelease {
    pub fn validate(&self, licence: &AssetKey) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_assignees(&mut errors, &self.assignees, licence, &self.note);
        errors.into_result(())
    }
}

/// How a licence (or all licences of a product) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Compliance {
    pub entitled: i64,
    pub assigned: i64,
    /// Assets that point at it through the schema's installed attribute.
    pub installed: i64,
    /// Seats that can still be assigned within the entitlement (never negative).
    pub free: i64,
    /// Entitled minus what is used (the larger of assigned and installed): negative is a
    /// shortfall to buy or reclaim.
    pub gap: i64,
    /// Used beyond the entitlement.
    pub breach: bool,
}

impl Compliance {
    /// Judges counts. "Used" is the larger of assigned and installed: software installed
    /// without a seat is as much a licence breach as a seat assigned past the entitlement.
    pub fn of(entitled: i64, assigned: i64, installed: i64) -> Compliance {
        let used = assigned.max(installed);
        Compliance {
            entitled,
            assigned,
            installed,
            free: (entitled - assigned).max(0),
            gap: entitled - used,
            breach: used > entitled,
        }
    }
}

/// A licence's seats as an asset's body carries them, for list columns and AQL's
/// `seatsEntitled`, `seatsAssigned` and `seatsFree`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SeatCounts {
    pub entitled: i64,
    pub assigned: i64,
    /// Entitled minus assigned, never below 0.
    pub free: i64,
}

impl SeatCounts {
    pub fn of(entitled: i64, assigned: i64) -> SeatCounts {
        SeatCounts {
            entitled,
            assigned,
            free: (entitled - assigned).max(0),
        }
    }
}

/// Whether a licence that ends on `expires` has lapsed by `today` (both days since the epoch):
/// it may still be used on its last day.
pub fn is_expired(expires: Option<i32>, today: i32) -> bool {
    expires.is_some_and(|last| last < today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(s: &str) -> AssetKey {
        AssetKey::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn terms() -> LicenceTerms {
        LicenceTerms {
            product: "Acrobat Pro".into(),
            entitled: 10,
            allow_overuse: false,
            expires: None,
            renews: None,
            cost_per_seat: Some(12.5),
            currency: Some("EUR".into()),
        }
    }

    fn fields(r: Result<(), ValidationErrors>) -> Vec<(String, &'static str)> {
        r.err()
            .map(|e| e.0.into_iter().map(|f| (f.field, f.rule)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn terms_are_checked_field_by_field() {
        assert_eq!(fields(terms().validate()), vec![]);
        let bad = LicenceTerms {
            product: "  ".into(),
            entitled: -1,
            cost_per_seat: Some(1.005),
            currency: Some("eur".into()),
            expires: Some(10),
            renews: Some(11),
            ..terms()
        };
        assert_eq!(
            fields(bad.validate()),
            vec![
                ("product".into(), rules::REQUIRED),
                ("entitled".into(), rules::MIN),
                ("costPerSeat".into(), rules::FORMAT),
                ("currency".into(), rules::FORMAT),
                ("renews".into(), rules::MAX),
            ]
        );
        let no_currency = LicenceTerms {
            currency: None,
            ..terms()
        };
        assert_eq!(
            fields(no_currency.validate()),
            vec![("currency".into(), rules::REQUIRED)]
        );
        let too_many = LicenceTerms {
            entitled: ENTITLED_MAX + 1,
            ..terms()
        };
        assert_eq!(
            fields(too_many.validate()),
            vec![("entitled".into(), rules::MAX)]
        );
    }

    #[test]
    fn costs_are_kept_in_hundredths() {
        assert_eq!(minor_units(12.5), Some(1250));
        assert_eq!(minor_units(0.1 + 0.2), Some(30));
        assert_eq!(minor_units(19.99), Some(1999));
        assert_eq!(minor_units(1.005), None);
        assert_eq!(terms().cost_minor(), Some(1250));
    }

    #[test]
    fn assignments_refuse_names_duplicates_and_the_licence_itself() {
        let licence = key("SW-1");
        let draft = SeatDraft {
            assignees: vec![
                Assignee::User {
                    account_id: "Alex Doe".into(),
                },
                Assignee::Asset { key: key("SW-1") },
                Assignee::Asset { key: key("IT-2") },
                Assignee::Asset { key: key("IT-2") },
            ],
            issue: Some("hr-1".into()),
            note: String::new(),
        };
        assert_eq!(
            fields(draft.validate(&licence)),
            vec![
                ("assignees[0]".into(), rules::FORMAT),
                ("assignees[1]".into(), rules::CYCLE),
                ("assignees[3]".into(), rules::DUPLICATE_VALUE),
                ("issue".into(), rules::FORMAT),
            ]
        );
        let empty = SeatRelease {
            assignees: vec![],
            note: String::new(),
        };
        assert_eq!(
            fields(empty.validate(&licence)),
            vec![("assignees".into(), rules::CARDINALITY)]
        );
    }

    #[test]
    fn compliance_counts_the_larger_of_assigned_and_installed() {
        let c = Compliance::of(10, 4, 7);
        assert_eq!((c.free, c.gap, c.breach), (6, 3, false));
        let c = Compliance::of(10, 12, 3);
        assert_eq!((c.free, c.gap, c.breach), (0, -2, true));
        let c = Compliance::of(10, 2, 11);
        assert_eq!((c.free, c.gap, c.breach), (8, -1, true));
        assert!(!is_expired(Some(5), 5));
        assert!(is_expired(Some(5), 6));
        assert!(!is_expired(None, 6));
    }

    proptest! {
        #[test]
        fn compliance_is_consistent(entitled in 0i64..1000, assigned in 0i64..1000, installed in 0i64..1000) {
            let c = Compliance::of(entitled, assigned, installed);
            prop_assert!(c.free >= 0 && c.free <= entitled);
            prop_assert_eq!(c.breach, c.gap < 0);
            prop_assert_eq!(c.gap, entitled - assigned.max(installed));
        }

        #[test]
        fn whole_cents_round_trip(cents in 0i64..=100_000_000_000) {
            prop_assert_eq!(minor_units(cents as f64 / 100.0), Some(cents));
        }
    }
}
