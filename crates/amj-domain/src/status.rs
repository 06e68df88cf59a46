//! Asset statuses. Each schema defines its own, but every status belongs to one of four fixed
//! categories, so reports and the query language can ask "is it in use?" across schemas.

use crate::error::{ValidationErrors, check_name, rules};
use crate::ids::{SchemaId, StatusId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use strum::{IntoEnumIterator, VariantNames};

/// Spelled in snake_case by serde and strum alike; a test holds the two together.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::VariantNames,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StatusCategory {
    Available,
    InUse,
    Maintenance,
    Retired,
}

impl StatusCategory {
    /// Every category, in declaration order; a constant, so it can size arrays.
    pub const ALL: [StatusCategory; 4] = [
        StatusCategory::Available,
        StatusCategory::InUse,
        StatusCategory::Maintenance,
        StatusCategory::Retired,
    ];

    /// The same spelling as serde uses, for database columns and query literals.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Exact spelling only: this reads database columns and serde output, not user input.
    // Not strum's `EnumString`: that would derive `FromStr`, whose error here is a validation
    // error for the API.
    pub fn parse(s: &str) -> Option<StatusCategory> {
        Self::iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for StatusCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StatusCategory {
    type Err = ValidationErrors;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| {
            ValidationErrors::single(
                "category",
                rules::OPTION,
                format!("Category: must be one of {}", Self::VARIANTS.join(", ")),
            )
        })
    }
}

/// A status as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub id: StatusId,
    pub schema_id: SchemaId,
    pub name: String,
    pub category: StatusCategory,
}

/// What a client sends to create or rename a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusDraft {
    pub name: String,
    pub category: StatusCategory,
}

impl StatusDraft {
    pub const NAME_MAX: usize = 60;

    /// Checks the trimmed name; store [`StatusDraft::normalized`]. Uniqueness of the name within
    /// the schema needs the other statuses, so the store checks it.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_name(&mut errors, "name", "Name", &self.name, Self::NAME_MAX);
        errors.into_result(())
    }

    pub fn normalized(&self) -> StatusDraft {
        StatusDraft {
            name: self.name.trim().to_owned(),
            category: self.category,
        }
    }
}

/// The statuses a new schema starts with, one per category so that every category is usable at
/// once. The first is the default status of new assets.
pub fn default_statuses() -> Vec<StatusDraft> {
    [
        ("Available", StatusCategory::Available),
        ("In use", StatusCategory::InUse),
        ("In repair", StatusCategory::Maintenance),
        ("Retired", StatusCategory::Retired),
    ]
    .into_iter()
    .map(|(name, category)| StatusDraft {
        name: name.to_owned(),
        category,
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_spellings_agree_with_serde() {
        assert_eq!(
            StatusCategory::iter().collect::<Vec<_>>(),
            StatusCategory::ALL
        );
        assert_eq!(
            StatusCategory::VARIANTS,
            ["available", "in_use", "maintenance", "retired"]
        );
        for c in StatusCategory::iter() {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::String(c.as_str().into())
            );
            assert_eq!(StatusCategory::parse(c.as_str()), Some(c));
            assert_eq!(c.as_str().parse::<StatusCategory>().unwrap(), c);
        }
        assert_eq!(StatusCategory::parse("In use"), None);
        let error = "nope".parse::<StatusCategory>().unwrap_err();
        assert!(error.has("category", "option"));
        assert_eq!(
            error.0[0].message,
            "Category: must be one of available, in_use, maintenance, retired"
        );
    }

    #[test]
    fn status_draft_validation() {
        let ok: StatusDraft =
            serde_json::from_str(r#"{"name":" Lost ","category":"retired"}"#).unwrap();
        assert!(ok.validate().is_ok());
        assert_eq!(ok.normalized().name, "Lost");
        let empty = StatusDraft {
            name: String::new(),
            category: StatusCategory::InUse,
        };
        assert!(empty.validate().unwrap_err().has("name", "required"));
        let long = StatusDraft {
            name: "x".repeat(61),
            category: StatusCategory::InUse,
        };
        assert!(long.validate().unwrap_err().has("name", "max_length"));
    }

    #[test]
    fn defaults_cover_every_category_and_start_with_available() {
        let defaults = default_statuses();
        assert_eq!(defaults[0].name, "Available");
        assert_eq!(defaults[0].category, StatusCategory::Available);
        let categories: Vec<_> = defaults.iter().map(|d| d.category).collect();
        assert_eq!(categories, StatusCategory::ALL);
        assert!(defaults.iter().all(|d| d.validate().is_ok()));
        assert_eq!(defaults[2].name, "In repair");
    }
}
