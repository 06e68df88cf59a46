//! Validation errors that say which field broke which rule.
//!
//! The REST API returns these verbatim and the UI highlights `field`, so every failure carries the
//! attribute (or draft property) it is about, a stable machine code, and a sentence for humans.

use serde::Serialize;
use std::fmt;

/// Stable machine codes for [`FieldError::rule`]. Clients switch on them, so they never change
/// once published; the message is free to change.
pub mod rules {
    /// A value is missing or empty but must be present.
    pub const REQUIRED: &str = "required";
    /// A text, list or number is longer than allowed.
    pub const MAX_LENGTH: &str = "max_length";
    /// A text does not match the attribute's regular expression, or a regex does not compile.
    pub const REGEX: &str = "regex";
    /// A number is below the minimum, or a minimum is inconsistent.
    pub const MIN: &str = "min";
    /// A number is above the maximum, or a maximum is inconsistent.
    pub const MAX: &str = "max";
    /// A value is not one of the allowed options.
    pub const OPTION: &str = "option";
    /// The number of values is wrong (an array for a single-valued attribute, too few or too
    /// many references).
    pub const CARDINALITY: &str = "cardinality";
    /// A value has the wrong JSON type or an unparsable format.
    pub const FORMAT: &str = "format";
    /// Assets cannot be created with an abstract type.
    pub const ABSTRACT_TYPE: &str = "abstract_type";
    /// The input names an attribute the asset's type does not have.
    pub const UNKNOWN_ATTRIBUTE: &str = "unknown_attribute";
    /// Something referenced (a parent type, a status, an asset) does not exist or is of the
    /// wrong type.
    pub const REFERENCE_TARGET: &str = "reference_target";
    /// Another asset already has this value, or the attribute kind cannot be unique.
    pub const UNIQUE: &str = "unique";
    /// A type would become its own ancestor.
    pub const CYCLE: &str = "cycle";
    /// A name clashes with another one that must differ from it, or is reserved.
    pub const DUPLICATE_NAME: &str = "duplicate_name";
    /// The same value appears twice in one multi-valued attribute or option list.
    pub const DUPLICATE_VALUE: &str = "duplicate_value";
}

/// One broken rule on one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// The attribute name, or the draft property (`"key"`, `"name"`, `"parentId"` …).
    pub field: String,
    /// The broken rule's code, e.g. `required` or `format` (the `rules` module lists them all).
    pub rule: &'static str,
    /// A sentence that names the field and the rule, e.g. `"Serial number: must match ^[A-Z]+$"`.
    pub message: String,
}

impl FieldError {
    /// Builds the error with the message as given; the caller already put the field in it.
    pub fn new(field: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule,
            message: message.into(),
        }
    }

    /// Builds the usual `"{label}: {detail}"` message, so that every message names its field the
    /// same way.
    pub fn labelled(
        field: impl Into<String>,
        label: &str,
        rule: &'static str,
        detail: impl fmt::Display,
    ) -> Self {
        Self::new(field, rule, format!("{label}: {detail}"))
    }
}

/// All the rules a request broke. Validation collects every failure before returning, so a user
/// fixes a form in one round trip instead of one per field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, thiserror::Error)]
#[serde(transparent)]
#[error("{}", summary(&self.0))]
pub struct ValidationErrors(pub Vec<FieldError>);

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl ValidationErrors {
    /// The common case of a check that can fail only one way.
    pub fn single(
        field: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self(vec![FieldError::new(field, rule, message)])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn push(
        &mut self,
        field: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError::new(field, rule, message));
    }

    pub fn push_error(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Merges the failures of a sub-check, so callers can run every check and report them all.
    pub fn absorb<T>(&mut self, result: Result<T, ValidationErrors>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(errors) => {
                self.0.extend(errors.0);
                None
            }
        }
    }

    /// `Ok(value)` when nothing failed; the usual last line of a validator.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Whether some failure is about `field` with `rule`; mostly for tests and for callers that
    /// map particular rules to HTTP statuses.
    pub fn has(&self, field: &str, rule: &str) -> bool {
        self.0.iter().any(|e| e.field == field && e.rule == rule)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl IntoIterator for ValidationErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Length in characters, not bytes: limits are promises to users, who count characters.
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Checks a human-entered name: trimmed, non-empty, at most `max` characters, no control
/// characters (they break the UI and the query language).
pub(crate) fn check_name(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push_error(FieldError::labelled(
            field,
            label,
            rules::REQUIRED,
            "is required",
        ));
    } else if char_len(trimmed) > max {
        errors.push_error(FieldError::labelled(
            field,
            label,
            rules::MAX_LENGTH,
            format_args!("must be at most {max} characters"),
        ));
    } else if trimmed.chars().any(char::is_control) {
        errors.push_error(FieldError::labelled(
            field,
            label,
            rules::FORMAT,
            "must not contain line breaks or control characters",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_joins_messages() {
        let mut errors = ValidationErrors::single(
            "Serial number",
            rules::REGEX,
            "Serial number: must match ^[A-Z0-9]+$",
        );
        errors.push("name", rules::REQUIRED, "Name: is required");
        assert_eq!(
            errors.to_string(),
            "Serial number: must match ^[A-Z0-9]+$; Name: is required"
        );
        assert_eq!(errors.len(), 2);
        assert!(errors.has("name", "required"));
        assert!(!errors.is_empty());
    }

    #[test]
    fn field_error_serializes_camel_case() {
        let e = FieldError::new("name", rules::REQUIRED, "Name: is required");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"field": "name", "rule": "required", "message": "Name: is required"})
        );
        let all = ValidationErrors::from(e);
        assert!(serde_json::to_value(&all).unwrap().is_array());
    }

    #[test]
    fn absorb_collects_and_into_result_reports() {
        let mut errors = ValidationErrors::default();
        assert_eq!(errors.absorb(Ok::<_, ValidationErrors>(1)), Some(1));
        assert_eq!(
            errors.absorb(Err::<i32, _>(ValidationErrors::single(
                "a",
                rules::MIN,
                "A: x"
            ))),
            None
        );
        assert!(errors.clone().into_result(()).is_err());
        assert_eq!(ValidationErrors::default().into_result(5).unwrap(), 5);
    }

    #[test]
    fn check_name_rules() {
        let mut e = ValidationErrors::default();
        check_name(&mut e, "name", "Name", "  ", 5);
        check_name(&mut e, "name", "Name", "abcdef", 5);
        check_name(&mut e, "name", "Name", "a\nb", 5);
        check_name(&mut e, "name", "Name", " abcde ", 5);
        let rules: Vec<_> = e.iter().map(|e| e.rule).collect();
        assert_eq!(rules, ["required", "max_length", "format"]);
        assert!(
            e.iter()
                .all(|e| e.field == "name" && e.message.starts_with("Name: "))
        );
    }
}
