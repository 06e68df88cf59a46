//! Kits (issue 14): a named bundle handed to a person in one action, all or nothing: assets of
//! checkoutable types (a laptop, a dock), licence seats and stock (two toner cartridges). An
//! asset part is picked at check-out, by rule (the first available asset of its type) or by
//! hand. These are the rules that need no storage; the store runs a kit's parts in one
//! transaction.

use crate::custody::{NOTE_MAX, is_account_id, is_issue_key};
use crate::error::{ValidationErrors, rules};
use crate::ids::TypeId;
use crate::schema::AssetKey;
use crate::stock::QUANTITY_MAX;
use serde::{Deserialize, Serialize};

/// Longest kit name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest description, in characters.
pub const DESCRIPTION_MAX: usize = 1_000;
/// Most parts a kit has: a desk's worth, with room.
pub const PARTS_MAX: usize = 20;

/// One part of a kit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum KitPart {
    /// An asset of a checkoutable type (or a subtype), checked out to the person.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Asset {
        #[cfg_attr(feature = "openapi", schema(value_type = i64))]
        type_id: TypeId,
    },
    /// A seat of this licence, assigned to the person.
    Seat {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-20"))]
        licence: AssetKey,
    },
    /// `quantity` of a stock item issued to the person from `location`.
    Stock {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-31"))]
        item: AssetKey,
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-1"))]
        location: AssetKey,
        quantity: i64,
    },
}

/// A kit as an admin defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KitDraft {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub parts: Vec<KitPart>,
}

impl KitDraft {
    /// Checks what needs no other rows; whether the types, licences and items are what the parts
    /// say is the caller's to check against the schema.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push("name", rules::REQUIRED, "Name: required");
        } else if name.chars().count() > NAME_MAX {
            errors.push(
                "name",
                rules::MAX_LENGTH,
                format!("Name: must be at most {NAME_MAX} characters"),
            );
        }
        if self.description.chars().count() > DESCRIPTION_MAX {
            errors.push(
                "description",
                rules::MAX_LENGTH,
                format!("Description: must be at most {DESCRIPTION_MAX} characters"),
            );
        }
        if self.parts.is_empty() || self.parts.len() > PARTS_MAX {
            errors.push(
                "parts",
                rules::CARDINALITY,
                format!("Parts: give 1 to {PARTS_MAX}"),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (i, part) in self.parts.iter().enumerate() {
            let field = format!("parts[{i}]");
            match part {
                KitPart::Stock { quantity, .. } if !(1..=QUANTITY_MAX).contains(quantity) => {
                    errors.push(
                        field.clone(),
                        rules::MIN,
                        format!("Part {}: the quantity must be 1 to {QUANTITY_MAX}", i + 1),
                    );
                }
                // One seat of a licence per person: listing it twice could never be handed out.
                KitPart::Seat { licence } if !seen.insert(licence.clone()) => errors.push(
                    field,
                    rules::DUPLICATE_VALUE,
                    format!("Part {}: a seat of {licence} is listed twice", i + 1),
                ),
                _ => {}
            }
        }
        errors.into_result(())
    }

    /// Trimmed, as stored.
    pub fn normalized(mut self) -> Self {
        self.name = self.name.trim().to_owned();
        self.description = self.description.trim().to_owned();
        self
    }
}

/// A part picked by hand at check-out: the asset for the asset part at `part` (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KitPick {
    pub part: usize,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-42"))]
    pub asset: AssetKey,
}

/// Handing a kit to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KitCheckout {
    /// The person, by Atlassian accountId.
    pub account_id: String,
    /// The day its assets are due back, `YYYY-MM-DD` (UTC), if any.
    #[serde(default, with = "crate::custody::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due: Option<i32>,
    /// The Jira issue it is handed out for (`HR-12`), if any.
    #[serde(default)]
    pub issue: Option<String>,
    #[serde(default)]
    pub note: String,
    /// Asset parts picked by hand; the others are picked by rule.
    #[serde(default)]
    pub picks: Vec<KitPick>,
}

impl KitCheckout {
    /// Checks the request against the kit's parts: picks name asset parts, once each, and no
    /// asset twice.
    pub fn validate(&self, parts: &[KitPart], today: i32) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if !is_account_id(&self.account_id) {
            errors.push(
                "accountId",
                rules::FORMAT,
                "Person: named by their Atlassian accountId",
            );
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
        if self.note.chars().count() > NOTE_MAX {
            errors.push(
                "note",
                rules::MAX_LENGTH,
                format!("Note: must be at most {NOTE_MAX} characters"),
            );
        }
        let mut parts_seen = std::collections::HashSet::new();
        let mut assets_seen = std::collections::HashSet::new();
        for (i, pick) in self.picks.iter().enumerate() {
            let field = format!("picks[{i}]");
            if !matches!(parts.get(pick.part), Some(KitPart::Asset { .. })) {
                errors.push(
                    field,
                    rules::REFERENCE_TARGET,
                    format!(
                        "Pick {}: part {} is not an asset part",
                        i + 1,
                        pick.part + 1
                    ),
                );
            } else if !parts_seen.insert(pick.part) {
                errors.push(
                    field,
                    rules::DUPLICATE_VALUE,
                    format!("Pick {}: part {} is picked twice", i + 1, pick.part + 1),
                );
            } else if !assets_seen.insert(pick.asset.clone()) {
                errors.push(
                    field,
                    rules::DUPLICATE_VALUE,
                    format!("Pick {}: {} is picked twice", i + 1, pick.asset),
                );
            }
        }
        errors.into_result(())
    }

    /// The asset picked by hand for part `part`, if any.
    pub fn pick_for(&self, part: usize) -> Option<&AssetKey> {
        self.picks.iter().find(|p| p.part == part).map(|p| &p.asset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> AssetKey {
        AssetKey::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn fields(result: Result<(), ValidationErrors>) -> Vec<String> {
        result
            .err()
            .map(|e| e.0.into_iter().map(|e| e.field).collect())
            .unwrap_or_default()
    }

    fn starter() -> KitDraft {
        KitDraft {
            name: " New starter ".into(),
            description: String::new(),
            parts: vec![
                KitPart::Asset { type_id: TypeId(1) },
                KitPart::Asset { type_id: TypeId(2) },
                KitPart::Seat {
                    licence: key("IT-20"),
                },
                KitPart::Stock {
                    item: key("IT-31"),
                    location: key("IT-1"),
                    quantity: 2,
                },
            ],
        }
    }

    #[test]
    fn a_kit_has_a_name_and_sensible_parts() {
        assert!(starter().validate().is_ok());
        assert_eq!(starter().normalized().name, "New starter");
        let mut bad = starter();
        bad.name = "  ".into();
        bad.parts.push(KitPart::Seat {
            licence: key("IT-20"),
        });
        bad.parts.push(KitPart::Stock {
            item: key("IT-31"),
            location: key("IT-1"),
            quantity: 0,
        });
        assert_eq!(fields(bad.validate()), vec!["name", "parts[4]", "parts[5]"]);
        let empty = KitDraft {
            parts: Vec::new(),
            ..starter()
        };
        assert_eq!(fields(empty.validate()), vec!["parts"]);
    }

    #[test]
    fn picks_name_asset_parts_once_each() {
        let parts = starter().parts;
        let checkout = |picks: Vec<KitPick>| KitCheckout {
            account_id: "557058:aaaa-bbbb".into(),
            due: None,
            issue: Some("HR-12".into()),
            note: String::new(),
            picks,
        };
        let pick = |part, asset: &str| KitPick {
            part,
            asset: key(asset),
        };
        assert!(checkout(vec![pick(0, "IT-5")]).validate(&parts, 0).is_ok());
        assert_eq!(
            fields(checkout(vec![pick(2, "IT-5")]).validate(&parts, 0)),
            vec!["picks[0]"],
            "part 3 is a seat"
        );
        assert_eq!(
            fields(
                checkout(vec![pick(0, "IT-5"), pick(0, "IT-6"), pick(1, "IT-5")])
                    .validate(&parts, 0)
            ),
            vec!["picks[1]", "picks[2]"]
        );
        assert_eq!(
            checkout(vec![pick(1, "IT-6")]).pick_for(1),
            Some(&key("IT-6"))
        );
        let mut bad = checkout(Vec::new());
        bad.account_id = "Ada".into();
        bad.due = Some(-1);
        bad.issue = Some("x".into());
        assert_eq!(
            fields(bad.validate(&parts, 0)),
            vec!["accountId", "due", "issue"]
        );
    }
}
