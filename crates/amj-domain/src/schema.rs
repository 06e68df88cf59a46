//! Schemas and the keys users see: `IT` for a schema, `IT-42` for an asset.

use crate::error::{FieldError, ValidationErrors, char_len, check_name, rules};
use crate::ids::SchemaId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A schema's short key, the prefix of its asset keys. It is restricted like a Jira project key
/// so that asset keys look, sort and search like issue keys and need no escaping in URLs or in
/// the query language.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchemaKey(String);

impl SchemaKey {
    pub const MIN_LEN: usize = 2;
    pub const MAX_LEN: usize = 10;

    /// Accepts only the canonical form (`^[A-Z][A-Z0-9]+$`, 2–10 characters); callers that want
    /// to be lenient uppercase first, so a stored key is always canonical.
    pub fn parse(s: &str) -> Result<SchemaKey, ValidationErrors> {
        if is_schema_key(s) {
            Ok(SchemaKey(s.to_owned()))
        } else {
            Err(ValidationErrors::single(
                "key",
                rules::FORMAT,
                format!(
                    "Key: must be {}–{} characters, an uppercase letter followed by uppercase \
                     letters or digits (like IT or HW2)",
                    Self::MIN_LEN,
                    Self::MAX_LEN
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_schema_key(s: &str) -> bool {
    let bytes = s.as_bytes();
    (SchemaKey::MIN_LEN..=SchemaKey::MAX_LEN).contains(&bytes.len())
        && bytes[0].is_ascii_uppercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl fmt::Display for SchemaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SchemaKey {
    type Err = ValidationErrors;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SchemaKey {
    type Error = ValidationErrors;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if is_schema_key(&s) {
            Ok(SchemaKey(s))
        } else {
            Self::parse(&s)
        }
    }
}

impl From<SchemaKey> for String {
    fn from(key: SchemaKey) -> String {
        key.0
    }
}

impl AsRef<str> for SchemaKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The key users quote for an asset, like a Jira issue key. Numbers are per schema and never
/// reused, so a key stays valid in issue comments and exports for the asset's lifetime.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetKey {
    pub schema: SchemaKey,
    pub number: i64,
}

impl AssetKey {
    /// Accepts only the canonical form (`IT-42`: no sign, no leading zeros, number ≥ 1), so that
    /// one asset has exactly one spelling and keys compare as strings.
    pub fn parse(s: &str) -> Result<AssetKey, ValidationErrors> {
        let invalid = || {
            ValidationErrors::single(
                "key",
                rules::FORMAT,
                "Key: must be a schema key, a hyphen and a number from 1 (like IT-42)",
            )
        };
        let (schema, number) = s.split_once('-').ok_or_else(invalid)?;
        if !is_schema_key(schema)
            || number.is_empty()
            || !number.bytes().all(|b| b.is_ascii_digit())
            || number.starts_with('0')
        {
            return Err(invalid());
        }
        let number: i64 = number.parse().map_err(|_| invalid())?;
        Ok(AssetKey {
            schema: SchemaKey(schema.to_owned()),
            number,
        })
    }

    pub fn new(schema: SchemaKey, number: i64) -> AssetKey {
        AssetKey { schema, number }
    }
}

impl fmt::Display for AssetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.schema, self.number)
    }
}

impl FromStr for AssetKey {
    type Err = ValidationErrors;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for AssetKey {
    type Error = ValidationErrors;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AssetKey> for String {
    fn from(key: AssetKey) -> String {
        key.to_string()
    }
}

/// A schema as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    pub id: SchemaId,
    pub key: SchemaKey,
    pub name: String,
    pub description: String,
    /// Whether plain Jira users (not only asset admins) may create and edit assets.
    pub users_can_edit: bool,
}

/// What a client sends to create or update a schema.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SchemaDraft {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub users_can_edit: bool,
}

impl SchemaDraft {
    pub const NAME_MAX: usize = 100;
    pub const DESCRIPTION_MAX: usize = 2000;

    /// Validates the draft as [`SchemaDraft::normalized`] would store it, and returns the parsed
    /// key so the caller cannot store an unchecked one.
    pub fn validate(&self) -> Result<SchemaKey, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let key = errors.absorb(SchemaKey::parse(self.key.trim()));
        check_name(&mut errors, "name", "Name", &self.name, Self::NAME_MAX);
        if char_len(self.description.trim()) > Self::DESCRIPTION_MAX {
            errors.push_error(FieldError::labelled(
                "description",
                "Description",
                rules::MAX_LENGTH,
                format_args!("must be at most {} characters", Self::DESCRIPTION_MAX),
            ));
        }
        match key {
            Some(key) if errors.is_empty() => Ok(key),
            _ => Err(errors),
        }
    }

    /// The form to store: surrounding whitespace removed, which users never mean.
    pub fn normalized(&self) -> SchemaDraft {
        SchemaDraft {
            key: self.key.trim().to_owned(),
            name: self.name.trim().to_owned(),
            description: self.description.trim().to_owned(),
            users_can_edit: self.users_can_edit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_key_accepts_canonical_keys() {
        for ok in ["IT", "HW2", "ABCDEFGHIJ", "A1"] {
            assert_eq!(SchemaKey::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn schema_key_rejects_bad_keys_with_field_and_rule() {
        for bad in [
            "",
            "I",
            "it",
            "1T",
            "ABCDEFGHIJK",
            "I-T",
            "IT ",
            "ÄB",
            "I_T",
        ] {
            let err = SchemaKey::parse(bad).unwrap_err();
            assert!(err.has("key", "format"), "{bad}: {err}");
            assert!(err.to_string().starts_with("Key: "));
        }
    }

    #[test]
    fn schema_key_serde_validates() {
        let key: SchemaKey = serde_json::from_str("\"IT\"").unwrap();
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"IT\"");
        assert!(serde_json::from_str::<SchemaKey>("\"it\"").is_err());
    }

    #[test]
    fn asset_key_parses_and_displays() {
        let key = AssetKey::parse("IT-42").unwrap();
        assert_eq!(key.schema.as_str(), "IT");
        assert_eq!(key.number, 42);
        assert_eq!(key.to_string(), "IT-42");
        assert_eq!("HW2-1".parse::<AssetKey>().unwrap().number, 1);
        let max = format!("IT-{}", i64::MAX);
        assert_eq!(AssetKey::parse(&max).unwrap().number, i64::MAX);
    }

    #[test]
    fn asset_key_rejects_non_canonical() {
        let too_big = format!("IT-{}0", i64::MAX);
        for bad in [
            "IT", "IT-", "IT-0", "IT-+1", "IT--1", "IT-042", "it-42", "IT-4a", "-42", "IT-42-1",
            "I-42", " IT-42", &too_big,
        ] {
            let err = AssetKey::parse(bad).unwrap_err();
            assert!(err.has("key", "format"), "{bad}");
        }
    }

    #[test]
    fn asset_key_serde_is_a_string() {
        let key = AssetKey::parse("IT-7").unwrap();
        assert_eq!(
            serde_json::to_value(&key).unwrap(),
            serde_json::json!("IT-7")
        );
        assert_eq!(
            serde_json::from_value::<AssetKey>(serde_json::json!("IT-7")).unwrap(),
            key
        );
        assert!(serde_json::from_value::<AssetKey>(serde_json::json!("IT-0")).is_err());
    }

    #[test]
    fn asset_keys_order_by_schema_then_number() {
        let a = AssetKey::parse("IT-9").unwrap();
        let b = AssetKey::parse("IT-10").unwrap();
        assert!(a < b);
    }

    #[test]
    fn schema_draft_validation() {
        let draft: SchemaDraft =
            serde_json::from_str(r#"{"key":" IT ","name":" IT assets "}"#).unwrap();
        assert_eq!(draft.validate().unwrap().as_str(), "IT");
        assert_eq!(draft.normalized().name, "IT assets");
        assert!(!draft.users_can_edit);

        let bad = SchemaDraft {
            key: "it".into(),
            name: " ".into(),
            description: "x".repeat(2001),
            users_can_edit: true,
        };
        let err = bad.validate().unwrap_err();
        assert!(err.has("key", "format"));
        assert!(err.has("name", "required"));
        assert!(err.has("description", "max_length"));
        assert_eq!(err.len(), 3);

        let long_name = SchemaDraft {
            key: "IT".into(),
            name: "n".repeat(101),
            ..SchemaDraft::default()
        };
        assert!(long_name.validate().unwrap_err().has("name", "max_length"));
        let ok_desc = SchemaDraft {
            key: "IT".into(),
            name: "n".repeat(100),
            description: "d".repeat(2000),
            ..SchemaDraft::default()
        };
        assert!(ok_desc.validate().is_ok());
    }

    #[test]
    fn schema_serializes_camel_case() {
        let schema = Schema {
            id: SchemaId(1),
            key: SchemaKey::parse("IT").unwrap(),
            name: "IT".into(),
            description: String::new(),
            users_can_edit: true,
        };
        let json = serde_json::to_value(&schema).unwrap();
        assert_eq!(json["usersCanEdit"], true);
        assert_eq!(json["key"], "IT");
    }
}
