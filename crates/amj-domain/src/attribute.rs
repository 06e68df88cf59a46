//! Attribute definitions: what an asset type records and how each value is checked.

use crate::error::{FieldError, ValidationErrors, char_len, check_name, rules};
use crate::ids::{AttributeId, TypeId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// What kind of value an attribute holds, with the kind's own constraints. The constraints live
/// inside the variant so that a definition can never carry, say, a regex on an integer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::EnumCount))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
// The same words as serde's `kind` tag; a test holds the two together.
#[strum(serialize_all = "snake_case")]
pub enum AttributeKind {
    /// One line, at most 255 characters; the optional regex must match the whole value.
    Text {
        #[serde(default)]
        regex: Option<String>,
    },
    /// Free text up to 65 535 characters.
    Textarea,
    Integer {
        #[serde(default)]
        min: Option<i64>,
        #[serde(default)]
        max: Option<i64>,
    },
    Decimal {
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    },
    Boolean,
    Date,
    Datetime,
    Url,
    Email,
    IpAddress,
    Select {
        options: Vec<String>,
        #[serde(default)]
        multiple: bool,
    },
    /// Values are Atlassian accountIds, never names or e-mails, which change and are private.
    JiraUser {
        #[serde(default)]
        multiple: bool,
    },
    /// A Jira project key.
    JiraProject,
    /// Links to other assets of the target type (or a subtype).
    // utoipa does not read serde's `rename_all_fields`; this repeats it for the schema.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Reference {
        target_type: TypeId,
        /// How the link reads, e.g. "installed on".
        reference_type: String,
        /// Applies whenever the attribute has values; `required` decides whether it may have
        /// none, so `min: 2` without `required` means "none, or at least two".
        #[serde(default)]
        min: u32,
        /// Unbounded when absent (`null`); 1 makes the attribute single-valued.
        #[serde(default)]
        max: Option<u32>,
    },
    /// A status of the schema, by id.
    Status,
}

/// Which typed index column a value of a kind lives in, so that sorting and range filters compare
/// numbers as numbers and dates as dates rather than as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageClass {
    Text,
    Integer,
    Number,
    Reference,
}

/// Limits shared by definition checks and value checks.
pub mod limits {
    pub const TEXT_MAX: usize = 255;
    pub const TEXTAREA_MAX: usize = 65_535;
    pub const REGEX_MAX: usize = 500;
    pub const OPTIONS_MAX: usize = 500;
    pub const OPTION_MAX: usize = 255;
    pub const REFERENCE_TYPE_MAX: usize = 60;
    pub const NAME_MAX: usize = 100;
    pub const DESCRIPTION_MAX: usize = 2000;
    /// Bounds the compiled size of user regexes, so that a pathological pattern is refused when
    /// it is defined instead of eating memory on every validation.
    pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
}

/// Compiles an attribute regex anchored at both ends: users write `[A-Z0-9]+` and mean the whole
/// value, not "contains".
pub(crate) fn compile_value_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(limits::REGEX_SIZE_LIMIT)
        .build()
}

/// A text attribute's pattern, compiled once to test many values: the test every write makes,
/// also run over the values already stored when the pattern changes (they were written under
/// the old one, and data quality counts those that break the new one).
#[derive(Debug, Clone)]
pub struct TextPattern(Option<regex::Regex>);

impl TextPattern {
    /// `None` for an attribute without a pattern.
    pub fn of(kind: &AttributeKind) -> Option<TextPattern> {
        match kind {
            AttributeKind::Text { regex: Some(p) } => {
                Some(TextPattern(compile_value_regex(p).ok()))
            }
            _ => None,
        }
    }

    /// Whether `value` matches as a whole. A stored pattern that no longer compiles (validation
    /// refuses such patterns, so only a corrupt row holds one) allows nothing rather than all.
    pub fn allows(&self, value: &str) -> bool {
        self.0.as_ref().is_some_and(|re| re.is_match(value))
    }
}

impl AttributeKind {
    /// Whether values come as a JSON array. A reference is single-valued only when `max` is 1.
    pub fn is_multi(&self) -> bool {
        match self {
            AttributeKind::Select { multiple, .. } | AttributeKind::JiraUser { multiple } => {
                *multiple
            }
            AttributeKind::Reference { max, .. } => *max != Some(1),
            _ => false,
        }
    }

    pub fn storage(&self) -> StorageClass {
        match self {
            AttributeKind::Text { .. }
            | AttributeKind::Textarea
            | AttributeKind::Url
            | AttributeKind::Email
            | AttributeKind::IpAddress
            | AttributeKind::Select { .. }
            | AttributeKind::JiraUser { .. }
            | AttributeKind::JiraProject => StorageClass::Text,
            AttributeKind::Integer { .. }
            | AttributeKind::Boolean
            | AttributeKind::Date
            | AttributeKind::Datetime
            | AttributeKind::Status => StorageClass::Integer,
            AttributeKind::Decimal { .. } => StorageClass::Number,
            AttributeKind::Reference { .. } => StorageClass::Reference,
        }
    }

    /// The serde tag, for messages and database columns.
    pub fn name(&self) -> &'static str {
        self.into()
    }

    /// Whether the kind may be marked unique. The store compares [`crate::IndexEntry`]s, so the
    /// rule only allows kinds whose index entry identifies the value (case-insensitively for
    /// text) and where "no two assets share it" is a real-world invariant: serial numbers,
    /// hostnames, IPs, inventory numbers, purchase dates of a one-off, a dedicated owner.
    ///
    /// Refused: textarea (the index keeps only 255 characters), decimal and datetime (equality of
    /// measurements is meaningless), boolean/select/status (a handful of values), project and
    /// references (many assets legitimately share them), and multi-valued kinds (ambiguous).
    pub fn can_be_unique(&self) -> bool {
        matches!(
            self,
            AttributeKind::Text { .. }
                | AttributeKind::Integer { .. }
                | AttributeKind::Date
                | AttributeKind::Url
                | AttributeKind::Email
                | AttributeKind::IpAddress
                | AttributeKind::JiraUser { multiple: false }
        )
    }

    /// Checks the kind's own constraints. `field` labels the messages (the attribute's name, or
    /// e.g. "Attribute" when there is none yet); each error's `field` is the offending draft
    /// property (`regex`, `min`, `max`, `options`, `referenceType`).
    pub fn validate_definition(&self, field: &str) -> Result<(), ValidationErrors> {
        let label = if field.trim().is_empty() {
            "Attribute"
        } else {
            field
        };
        let mut errors = ValidationErrors::default();
        let mut fail = |property: &str, rule: &'static str, detail: String| {
            errors.push_error(FieldError::labelled(property, label, rule, detail));
        };
        match self {
            AttributeKind::Text {
                regex: Some(pattern),
            } => {
                if char_len(pattern) > limits::REGEX_MAX {
                    fail(
                        "regex",
                        rules::MAX_LENGTH,
                        format!("regex must be at most {} characters", limits::REGEX_MAX),
                    );
                } else if let Err(e) = compile_value_regex(pattern) {
                    let reason = match e {
                        regex::Error::CompiledTooBig(_) => "it is too complex".to_owned(),
                        other => other.to_string(),
                    };
                    fail(
                        "regex",
                        rules::REGEX,
                        format!("regex is not a valid regular expression: {reason}"),
                    );
                }
            }
            AttributeKind::Integer {
                min: Some(min),
                max: Some(max),
            } if min > max => fail(
                "max",
                rules::MAX,
                format!("max ({max}) must not be less than min ({min})"),
            ),
            AttributeKind::Decimal { min, max } => {
                for (property, bound) in [("min", min), ("max", max)] {
                    if bound.is_some_and(|b| !b.is_finite()) {
                        fail(
                            property,
                            rules::FORMAT,
                            format!("{property} must be a finite number"),
                        );
                    }
                }
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    fail(
                        "max",
                        rules::MAX,
                        format!("max ({max}) must not be less than min ({min})"),
                    );
                }
            }
            AttributeKind::Select { options, .. } => {
                if options.is_empty() {
                    fail(
                        "options",
                        rules::REQUIRED,
                        "needs at least one option".into(),
                    );
                }
                if options.len() > limits::OPTIONS_MAX {
                    fail(
                        "options",
                        rules::MAX_LENGTH,
                        format!("may have at most {} options", limits::OPTIONS_MAX),
                    );
                }
                let mut seen = HashSet::new();
                for option in options {
                    let trimmed = option.trim();
                    if trimmed.is_empty() {
                        fail(
                            "options",
                            rules::REQUIRED,
                            "options must not be empty".into(),
                        );
                    } else if char_len(trimmed) > limits::OPTION_MAX {
                        fail(
                            "options",
                            rules::MAX_LENGTH,
                            format!("options must be at most {} characters", limits::OPTION_MAX),
                        );
                    } else if trimmed != option || option.chars().any(char::is_control) {
                        fail(
                            "options",
                            rules::FORMAT,
                            format!(
                                "option \"{}\" must not have surrounding spaces or control \
                                 characters",
                                option.escape_debug()
                            ),
                        );
                    } else if !seen.insert(option.to_lowercase()) {
                        fail(
                            "options",
                            rules::DUPLICATE_VALUE,
                            format!("option \"{option}\" appears more than once"),
                        );
                    }
                }
            }
            AttributeKind::Reference {
                reference_type,
                min,
                max,
                ..
            } => {
                let trimmed = reference_type.trim();
                if trimmed.is_empty() {
                    fail(
                        "referenceType",
                        rules::REQUIRED,
                        "reference type is required".into(),
                    );
                } else if char_len(trimmed) > limits::REFERENCE_TYPE_MAX {
                    fail(
                        "referenceType",
                        rules::MAX_LENGTH,
                        format!(
                            "reference type must be at most {} characters",
                            limits::REFERENCE_TYPE_MAX
                        ),
                    );
                }
                if let Some(max) = max {
                    if *max == 0 {
                        fail("max", rules::MIN, "max must be at least 1".into());
                    } else if min > max {
                        fail(
                            "max",
                            rules::MAX,
                            format!("max ({max}) must not be less than min ({min})"),
                        );
                    }
                }
            }
            _ => {}
        }
        errors.into_result(())
    }
}

/// Names that the query language and the REST API use for built-in asset fields; an attribute
/// with one of them could not be told apart.
pub const RESERVED_NAMES: &[&str] = &["key", "type", "status", "created", "updated", "label", "id"];

/// An attribute definition as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDef {
    pub id: AttributeId,
    /// The type that declares it; subtypes inherit it.
    pub type_id: TypeId,
    pub name: String,
    #[serde(flatten)]
    pub kind: AttributeKind,
    pub required: bool,
    pub unique: bool,
    pub description: String,
    /// Order within the declaring type.
    pub position: i32,
}

/// What a client sends to create or change an attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttributeDraft {
    pub name: String,
    #[serde(flatten)]
    pub kind: AttributeKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub description: String,
}

impl AttributeDraft {
    /// Checks everything that does not need other rows. Name clashes with inherited attributes
    /// need the type tree: see [`crate::TypeTree::check_attribute_name`]. Whether a reference's
    /// target type exists is for the store. Store [`AttributeDraft::normalized`].
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = self.name.trim();
        check_name(&mut errors, "name", "Name", name, limits::NAME_MAX);
        if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            errors.push_error(FieldError::labelled(
                "name",
                "Name",
                rules::DUPLICATE_NAME,
                format_args!("\"{name}\" is reserved for a built-in field"),
            ));
        }
        let label = if name.is_empty() { "Attribute" } else { name };
        errors.absorb(self.kind.validate_definition(label));
        if self.unique && !self.kind.can_be_unique() {
            let detail = if self.kind.is_multi() {
                "a multi-valued attribute cannot be unique".to_owned()
            } else {
                format!("a {} attribute cannot be unique", self.kind.name())
            };
            errors.push_error(FieldError::labelled("unique", label, rules::UNIQUE, detail));
        }
        if char_len(self.description.trim()) > limits::DESCRIPTION_MAX {
            errors.push_error(FieldError::labelled(
                "description",
                label,
                rules::MAX_LENGTH,
                format_args!(
                    "description must be at most {} characters",
                    limits::DESCRIPTION_MAX
                ),
            ));
        }
        errors.into_result(())
    }

    /// The form to store: names, descriptions and reference types without surrounding
    /// whitespace, which users never mean and which would defeat case-insensitive name checks.
    pub fn normalized(&self) -> AttributeDraft {
        let mut kind = self.kind.clone();
        if let AttributeKind::Reference { reference_type, .. } = &mut kind {
            *reference_type = reference_type.trim().to_owned();
        }
        AttributeDraft {
            name: self.name.trim().to_owned(),
            kind,
            required: self.required,
            unique: self.unique,
            description: self.description.trim().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(kind: AttributeKind) -> AttributeDraft {
        AttributeDraft {
            name: "Thing".into(),
            kind,
            required: false,
            unique: false,
            description: String::new(),
        }
    }

    #[test]
    fn draft_deserializes_flattened_kind() {
        let d: AttributeDraft = serde_json::from_value(
            json!({"name":"RAM (GB)","kind":"integer","min":0,"required":true}),
        )
        .unwrap();
        assert_eq!(d.name, "RAM (GB)");
        assert_eq!(
            d.kind,
            AttributeKind::Integer {
                min: Some(0),
                max: None
            }
        );
        assert!(d.required);
        assert!(!d.unique);
        assert_eq!(d.description, "");

        let d: AttributeDraft = serde_json::from_value(json!({
            "name": "Installed on", "kind": "reference", "targetType": 3,
            "referenceType": "installed on", "max": 1
        }))
        .unwrap();
        assert_eq!(
            d.kind,
            AttributeKind::Reference {
                target_type: TypeId(3),
                reference_type: "installed on".into(),
                min: 0,
                max: Some(1)
            }
        );
        let d: AttributeDraft =
            serde_json::from_value(json!({"name":"Price","kind":"decimal","min":0,"max":9.5}))
                .unwrap();
        assert_eq!(
            d.kind,
            AttributeKind::Decimal {
                min: Some(0.0),
                max: Some(9.5)
            }
        );
        let d: AttributeDraft =
            serde_json::from_value(json!({"name":"Owner","kind":"jira_user"})).unwrap();
        assert_eq!(d.kind, AttributeKind::JiraUser { multiple: false });
    }

    #[test]
    fn draft_rejects_unknown_kind_and_missing_fields() {
        assert!(
            serde_json::from_value::<AttributeDraft>(json!({"name":"x","kind":"blob"})).is_err()
        );
        assert!(serde_json::from_value::<AttributeDraft>(json!({"name":"x"})).is_err());
        assert!(
            serde_json::from_value::<AttributeDraft>(json!({"name":"x","kind":"select"})).is_err()
        );
    }

    #[test]
    fn every_kind_round_trips_through_json() {
        let kinds = sample_kinds();
        let names: std::collections::BTreeSet<_> = kinds.iter().map(AttributeKind::name).collect();
        assert_eq!(
            names.len(),
            <AttributeKind as strum::EnumCount>::COUNT,
            "the samples cover every kind"
        );
        for kind in kinds {
            let json = serde_json::to_value(&kind).unwrap();
            assert_eq!(json["kind"], kind.name(), "{json}");
            let back: AttributeKind = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(back, kind);
            let d = draft(kind.clone());
            let back: AttributeDraft =
                serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
            assert_eq!(back, d);
        }
    }

    pub(crate) fn sample_kinds() -> Vec<AttributeKind> {
        vec![
            AttributeKind::Text {
                regex: Some("[A-Z]+".into()),
            },
            AttributeKind::Text { regex: None },
            AttributeKind::Textarea,
            AttributeKind::Integer {
                min: Some(-1),
                max: Some(10),
            },
            AttributeKind::Decimal {
                min: None,
                max: Some(2.5),
            },
            AttributeKind::Boolean,
            AttributeKind::Date,
            AttributeKind::Datetime,
            AttributeKind::Url,
            AttributeKind::Email,
            AttributeKind::IpAddress,
            AttributeKind::Select {
                options: vec!["A".into(), "B".into()],
                multiple: true,
            },
            AttributeKind::JiraUser { multiple: true },
            AttributeKind::JiraProject,
            AttributeKind::Reference {
                target_type: TypeId(1),
                reference_type: "installed on".into(),
                min: 1,
                max: None,
            },
            AttributeKind::Status,
        ]
    }

    #[test]
    fn attribute_def_serializes_flat_camel_case() {
        let def = AttributeDef {
            id: AttributeId(5),
            type_id: TypeId(2),
            name: "Serial".into(),
            kind: AttributeKind::Text { regex: None },
            required: true,
            unique: true,
            description: String::new(),
            position: 0,
        };
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(
            json,
            json!({"id":5,"typeId":2,"name":"Serial","kind":"text","regex":null,
                   "required":true,"unique":true,"description":"","position":0})
        );
        assert_eq!(serde_json::from_value::<AttributeDef>(json).unwrap(), def);
    }

    #[test]
    fn multi_and_storage() {
        assert!(
            AttributeKind::Select {
                options: vec![],
                multiple: true
            }
            .is_multi()
        );
        assert!(
            !AttributeKind::Select {
                options: vec![],
                multiple: false
            }
            .is_multi()
        );
        assert!(AttributeKind::JiraUser { multiple: true }.is_multi());
        let reference = |max| AttributeKind::Reference {
            target_type: TypeId(1),
            reference_type: "r".into(),
            min: 0,
            max,
        };
        assert!(reference(None).is_multi());
        assert!(reference(Some(2)).is_multi());
        assert!(!reference(Some(1)).is_multi());
        assert!(!AttributeKind::Textarea.is_multi());
        assert_eq!(reference(None).storage(), StorageClass::Reference);
        assert_eq!(AttributeKind::Date.storage(), StorageClass::Integer);
        assert_eq!(AttributeKind::Status.storage(), StorageClass::Integer);
        assert_eq!(AttributeKind::Boolean.storage(), StorageClass::Integer);
        assert_eq!(
            AttributeKind::Decimal {
                min: None,
                max: None
            }
            .storage(),
            StorageClass::Number
        );
        assert_eq!(AttributeKind::Email.storage(), StorageClass::Text);
        assert_eq!(AttributeKind::IpAddress.name(), "ip_address");
    }

    #[test]
    fn definition_rules() {
        let check = |kind: AttributeKind| kind.validate_definition("Thing");
        assert!(
            check(AttributeKind::Text {
                regex: Some("[A-Z0-9]+".into())
            })
            .is_ok()
        );
        let e = check(AttributeKind::Text {
            regex: Some("[A-".into()),
        })
        .unwrap_err();
        assert!(e.has("regex", "regex"));
        assert!(e.to_string().starts_with("Thing: regex"));
        let e = check(AttributeKind::Text {
            regex: Some("a".repeat(501)),
        })
        .unwrap_err();
        assert!(e.has("regex", "max_length"));
        let e = check(AttributeKind::Text {
            regex: Some("(a{1000}){1000}".into()),
        })
        .unwrap_err();
        assert!(e.has("regex", "regex"), "{e}");

        assert!(
            check(AttributeKind::Integer {
                min: Some(1),
                max: Some(1)
            })
            .is_ok()
        );
        assert!(
            check(AttributeKind::Integer {
                min: Some(2),
                max: Some(1)
            })
            .unwrap_err()
            .has("max", "max")
        );
        assert!(
            check(AttributeKind::Decimal {
                min: Some(0.5),
                max: Some(1.0)
            })
            .is_ok()
        );
        assert!(
            check(AttributeKind::Decimal {
                min: Some(2.0),
                max: Some(1.0)
            })
            .unwrap_err()
            .has("max", "max")
        );
        assert!(
            check(AttributeKind::Decimal {
                min: Some(f64::NAN),
                max: None
            })
            .unwrap_err()
            .has("min", "format")
        );

        let select = |options: Vec<&str>| AttributeKind::Select {
            options: options.into_iter().map(String::from).collect(),
            multiple: false,
        };
        assert!(check(select(vec!["Small", "Large"])).is_ok());
        assert!(
            check(select(vec![]))
                .unwrap_err()
                .has("options", "required")
        );
        assert!(
            check(select(vec!["A", " "]))
                .unwrap_err()
                .has("options", "required")
        );
        assert!(
            check(select(vec!["A", "a"]))
                .unwrap_err()
                .has("options", "duplicate_value")
        );
        assert!(
            check(select(vec![" A"]))
                .unwrap_err()
                .has("options", "format")
        );
        let long = "x".repeat(256);
        assert!(
            check(select(vec![&long]))
                .unwrap_err()
                .has("options", "max_length")
        );
        let many: Vec<String> = (0..501).map(|i| i.to_string()).collect();
        assert!(
            check(select(many.iter().map(String::as_str).collect()))
                .unwrap_err()
                .has("options", "max_length")
        );
        let most: Vec<String> = (0..500).map(|i| i.to_string()).collect();
        assert!(check(select(most.iter().map(String::as_str).collect())).is_ok());

        let reference = |reference_type: &str, min, max| AttributeKind::Reference {
            target_type: TypeId(1),
            reference_type: reference_type.into(),
            min,
            max,
        };
        assert!(check(reference("installed on", 1, Some(3))).is_ok());
        assert!(check(reference("installed on", 5, None)).is_ok());
        assert!(
            check(reference(" ", 0, None))
                .unwrap_err()
                .has("referenceType", "required")
        );
        assert!(
            check(reference(&"r".repeat(61), 0, None))
                .unwrap_err()
                .has("referenceType", "max_length")
        );
        assert!(
            check(reference("r", 2, Some(1)))
                .unwrap_err()
                .has("max", "max")
        );
        assert!(
            check(reference("r", 0, Some(0)))
                .unwrap_err()
                .has("max", "min")
        );
    }

    #[test]
    fn draft_name_rules() {
        assert!(draft(AttributeKind::Textarea).validate().is_ok());
        for reserved in [
            "key", "Status", " LABEL ", "id", "Type", "created", "updated",
        ] {
            let d = AttributeDraft {
                name: reserved.into(),
                ..draft(AttributeKind::Textarea)
            };
            assert!(
                d.validate().unwrap_err().has("name", "duplicate_name"),
                "{reserved}"
            );
        }
        let d = AttributeDraft {
            name: " ".into(),
            ..draft(AttributeKind::Textarea)
        };
        assert!(d.validate().unwrap_err().has("name", "required"));
        let d = AttributeDraft {
            name: "n".repeat(101),
            ..draft(AttributeKind::Textarea)
        };
        assert!(d.validate().unwrap_err().has("name", "max_length"));
        let d = AttributeDraft {
            name: "Keyboard".into(),
            ..draft(AttributeKind::Textarea)
        };
        assert!(d.validate().is_ok());
        let d = AttributeDraft {
            description: "d".repeat(2001),
            ..draft(AttributeKind::Textarea)
        };
        assert!(d.validate().unwrap_err().has("description", "max_length"));
    }

    #[test]
    fn draft_unique_rules() {
        let unique = |kind| AttributeDraft {
            unique: true,
            ..draft(kind)
        };
        for ok in [
            AttributeKind::Text { regex: None },
            AttributeKind::Integer {
                min: None,
                max: None,
            },
            AttributeKind::Date,
            AttributeKind::Url,
            AttributeKind::Email,
            AttributeKind::IpAddress,
            AttributeKind::JiraUser { multiple: false },
        ] {
            assert!(unique(ok).validate().is_ok());
        }
        for bad in [
            AttributeKind::Boolean,
            AttributeKind::Textarea,
            AttributeKind::Decimal {
                min: None,
                max: None,
            },
            AttributeKind::JiraUser { multiple: true },
            AttributeKind::Status,
        ] {
            let e = unique(bad).validate().unwrap_err();
            assert!(e.has("unique", "unique"));
            assert!(e.to_string().starts_with("Thing: "));
        }
    }

    #[test]
    fn draft_collects_kind_errors_and_normalizes() {
        let d = AttributeDraft {
            name: "  ".into(),
            kind: AttributeKind::Integer {
                min: Some(3),
                max: Some(1),
            },
            required: false,
            unique: false,
            description: String::new(),
        };
        let e = d.validate().unwrap_err();
        assert!(e.has("name", "required"));
        assert!(e.has("max", "max"));
        let d = AttributeDraft {
            name: " Host ".into(),
            kind: AttributeKind::Reference {
                target_type: TypeId(1),
                reference_type: " runs on ".into(),
                min: 0,
                max: None,
            },
            required: false,
            unique: false,
            description: " x ".into(),
        };
        let n = d.normalized();
        assert_eq!(n.name, "Host");
        assert_eq!(n.description, "x");
        assert!(
            matches!(n.kind, AttributeKind::Reference { ref reference_type, .. } if reference_type == "runs on")
        );
    }
}
