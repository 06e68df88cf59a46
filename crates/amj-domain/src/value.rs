//! Typed attribute values, their JSON forms and their index entries.
//!
//! Values are kept in the representation their comparisons need: dates as days since
//! 1970-01-01 and datetimes as UTC epoch milliseconds, so that sorting and range filters in the
//! database compare integers and are right across time zones and years.

use crate::attribute::{AttributeDef, AttributeKind};
use crate::error::{FieldError, ValidationErrors, rules};
use crate::ids::{AttributeId, StatusId};
use crate::schema::AssetKey;
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

/// One value of an attribute. Select, URL, e-mail and IP values are [`Value::Text`] in their
/// normalised spelling: they compare and index like text, and only validation differs.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Integer(i64),
    /// Always finite: validation refuses NaN and infinities, which JSON cannot carry.
    Decimal(f64),
    Boolean(bool),
    /// Days since 1970-01-01 (negative before). See [`format_date`].
    Date(i32),
    /// Milliseconds since the Unix epoch, UTC. See [`format_datetime`].
    Datetime(i64),
    /// An Atlassian accountId.
    User(String),
    /// A Jira project key.
    Project(String),
    Reference(AssetKey),
    Status(StatusId),
}

/// The database index row of one value: the typed column the value sorts and filters by.
/// Exactly one field is `Some`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexEntry {
    /// Lowercased, trimmed, at most 255 characters: enough to sort and to filter
    /// case-insensitively, small enough to index.
    pub text: Option<String>,
    /// Integers, booleans (0/1), dates (days), datetimes (millis) and status ids.
    pub int: Option<i64>,
    pub num: Option<f64>,
    pub reference: Option<AssetKey>,
}

/// Characters kept in [`IndexEntry::text`].
pub const INDEX_TEXT_MAX: usize = 255;

/// The Julian day of 1970-01-01, to convert between `time::Date` and days since the epoch.
const EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// The range of years the JSON forms can spell with four digits. Validation keeps values in it,
/// so every stored value formats and parses back to itself.
pub const MIN_YEAR: i32 = 0;
pub const MAX_YEAR: i32 = 9999;

/// Parses `YYYY-MM-DD` (exactly that shape, a real calendar date) into days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let month: u8 = s.get(5..7)?.parse().ok()?;
    let day: u8 = s.get(8..10)?.parse().ok()?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(date.to_julian_day() - EPOCH_JULIAN_DAY)
}

/// Formats days since 1970-01-01 as `YYYY-MM-DD`; `None` outside years 0000–9999, which
/// validation never produces.
pub fn format_date(days: i32) -> Option<String> {
    let date = Date::from_julian_day(days.checked_add(EPOCH_JULIAN_DAY)?).ok()?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

/// Parses an RFC 3339 date-time with an offset into UTC epoch milliseconds. Precision below a
/// millisecond is dropped (towards the past) because the index stores milliseconds.
pub fn parse_datetime(s: &str) -> Option<i64> {
    if s.len() > 64 {
        return None;
    }
    let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    let millis = i64::try_from(dt.unix_timestamp_nanos().div_euclid(1_000_000)).ok()?;
    // Rejects instants whose UTC year leaves 0000–9999, which the output form cannot spell.
    format_datetime(millis)?;
    Some(millis)
}

/// Formats UTC epoch milliseconds as RFC 3339 in UTC (`2026-11-24T10:15:00Z`), with
/// milliseconds only when there are some; `None` outside years 0000–9999.
pub fn format_datetime(millis: i64) -> Option<String> {
    let dt = OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000)).ok()?;
    let ms = millis.rem_euclid(1000);
    if !(MIN_YEAR..=MAX_YEAR).contains(&dt.year()) {
        return None;
    }
    let fraction = if ms == 0 {
        String::new()
    } else {
        format!(".{ms:03}")
    };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    ))
}

/// Text as the value index stores it, and as queries compare it: trimmed, lowercased, at most
/// [`INDEX_TEXT_MAX`] characters.
pub fn index_text(s: &str) -> String {
    s.trim()
        .chars()
        .take(INDEX_TEXT_MAX)
        .flat_map(char::to_lowercase)
        .collect()
}

impl Value {
    /// The JSON form used by the REST API and for storage. A date or datetime outside years
    /// 0000–9999 (never produced by validation) comes out as its raw number rather than failing.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Text(s) | Value::User(s) | Value::Project(s) => J::String(s.clone()),
            Value::Integer(i) => J::from(*i),
            Value::Decimal(d) => J::from(*d),
            Value::Boolean(b) => J::Bool(*b),
            Value::Date(days) => format_date(*days).map_or_else(|| J::from(*days), J::String),
            Value::Datetime(ms) => format_datetime(*ms).map_or_else(|| J::from(*ms), J::String),
            Value::Reference(key) => J::String(key.to_string()),
            Value::Status(id) => J::from(id.0),
        }
    }

    pub fn index_entry(&self) -> IndexEntry {
        let mut entry = IndexEntry::default();
        match self {
            Value::Text(s) | Value::User(s) | Value::Project(s) => entry.text = Some(index_text(s)),
            Value::Integer(i) => entry.int = Some(*i),
            Value::Boolean(b) => entry.int = Some(i64::from(*b)),
            Value::Date(days) => entry.int = Some(i64::from(*days)),
            Value::Datetime(ms) => entry.int = Some(*ms),
            Value::Status(id) => entry.int = Some(id.0),
            Value::Decimal(d) => entry.num = Some(*d),
            Value::Reference(key) => entry.reference = Some(key.clone()),
        }
        entry
    }

    /// Reads one stored JSON value as `kind`. Only the shape is checked, not constraints such as
    /// options or min/max: those may have changed since the value was written, and a changed
    /// definition must not make existing assets unreadable.
    pub fn from_stored(kind: &AttributeKind, json: &serde_json::Value) -> Option<Value> {
        use serde_json::Value as J;
        Some(match (kind, json) {
            (
                AttributeKind::Text { .. }
                | AttributeKind::Textarea
                | AttributeKind::Url
                | AttributeKind::Email
                | AttributeKind::IpAddress
                | AttributeKind::Select { .. },
                J::String(s),
            ) => Value::Text(s.clone()),
            (AttributeKind::Integer { .. }, J::Number(n)) => Value::Integer(n.as_i64()?),
            (AttributeKind::Decimal { .. }, J::Number(n)) => {
                Value::Decimal(n.as_f64().filter(|f| f.is_finite())?)
            }
            (AttributeKind::Boolean, J::Bool(b)) => Value::Boolean(*b),
            (AttributeKind::Date, J::String(s)) => Value::Date(parse_date(s)?),
            (AttributeKind::Datetime, J::String(s)) => Value::Datetime(parse_datetime(s)?),
            (AttributeKind::JiraUser { .. }, J::String(s)) => Value::User(s.clone()),
            (AttributeKind::JiraProject, J::String(s)) => Value::Project(s.clone()),
            (AttributeKind::Reference { .. }, J::String(s)) => {
                Value::Reference(AssetKey::parse(s).ok()?)
            }
            (AttributeKind::Status, J::Number(n)) => Value::Status(StatusId(n.as_i64()?)),
            _ => return None,
        })
    }
}

/// The values of one asset, keyed by attribute id so that renaming an attribute never touches
/// them. An attribute without values is absent: an empty list is never stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttributeValues(pub BTreeMap<AttributeId, Vec<Value>>);

impl AttributeValues {
    /// The values of `id`; empty when absent.
    pub fn get(&self, id: AttributeId) -> &[Value] {
        self.0.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Sets the values of `id`; an empty list removes it, keeping the "never empty" invariant.
    pub fn set(&mut self, id: AttributeId, values: Vec<Value>) {
        if values.is_empty() {
            self.0.remove(&id);
        } else {
            self.0.insert(id, values);
        }
    }

    pub fn remove(&mut self, id: AttributeId) -> Option<Vec<Value>> {
        self.0.remove(&id)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (AttributeId, &[Value])> {
        self.0.iter().map(|(id, v)| (*id, v.as_slice()))
    }

    /// Every (attribute, index entry) pair, for the store's index table.
    pub fn index_entries(&self) -> impl Iterator<Item = (AttributeId, IndexEntry)> + '_ {
        self.0
            .iter()
            .flat_map(|(id, values)| values.iter().map(|v| (*id, v.index_entry())))
    }

    /// The storage form: `{"<attribute id>": [<value>, …]}`. Always arrays, so that changing an
    /// attribute between single and multi never needs a data migration.
    pub fn to_stored_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(id, values)| {
                (
                    id.0.to_string(),
                    serde_json::Value::Array(values.iter().map(Value::to_json).collect()),
                )
            })
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// Reads [`AttributeValues::to_stored_json`] output, typed by `attributes`.
    ///
    /// Ids without a definition are dropped silently: attributes can be deleted, and their old
    /// values must not break reading the asset. A single-valued attribute keeps only its first
    /// value (it may have been multi-valued when written). A value whose JSON shape does not fit
    /// the definition's kind is an error (rule `format`): that is corruption, not history, and
    /// hiding it would lose data on the next save.
    pub fn from_stored_json(
        attributes: &[AttributeDef],
        json: &str,
    ) -> Result<AttributeValues, ValidationErrors> {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| {
                ValidationErrors::single(
                    "attributes",
                    rules::FORMAT,
                    format!("Attributes: stored values are not a JSON object: {e}"),
                )
            })?;
        let defs: BTreeMap<i64, &AttributeDef> = attributes.iter().map(|a| (a.id.0, a)).collect();
        let mut out = AttributeValues::default();
        let mut errors = ValidationErrors::default();
        for (key, json) in &map {
            let Some(def) = key.parse::<i64>().ok().and_then(|id| defs.get(&id)) else {
                continue;
            };
            let items: &[serde_json::Value] = match json {
                serde_json::Value::Array(items) => items,
                serde_json::Value::Null => &[],
                scalar => std::slice::from_ref(scalar),
            };
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                match Value::from_stored(&def.kind, item) {
                    Some(v) => values.push(v),
                    None => errors.push_error(FieldError::labelled(
                        def.name.as_str(),
                        &def.name,
                        rules::FORMAT,
                        format_args!("stored value {item} is not a valid {}", def.kind.name()),
                    )),
                }
            }
            if !def.kind.is_multi() {
                values.truncate(1);
            }
            out.set(def.id, values);
        }
        errors.into_result(out)
    }

    /// The API form of one attribute: `null` when absent, a scalar for single-valued kinds, an
    /// array for multi-valued ones. History diffs use the same form.
    pub fn api_value(&self, def: &AttributeDef) -> serde_json::Value {
        let values = self.get(def.id);
        if def.kind.is_multi() {
            if values.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::Array(values.iter().map(Value::to_json).collect())
            }
        } else {
            values
                .first()
                .map_or(serde_json::Value::Null, Value::to_json)
        }
    }

    /// The REST API form, keyed by attribute name. Absent attributes are omitted; values of ids
    /// not in `attributes` (deleted, or not of this type) are left out.
    pub fn to_api_json(
        &self,
        attributes: &[AttributeDef],
    ) -> serde_json::Map<String, serde_json::Value> {
        attributes
            .iter()
            .filter(|def| !self.get(def.id).is_empty())
            .map(|def| (def.name.clone(), self.api_value(def)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TypeId;
    use serde_json::json;

    pub(crate) fn def(id: i64, name: &str, kind: AttributeKind) -> AttributeDef {
        AttributeDef {
            id: AttributeId(id),
            type_id: TypeId(1),
            name: name.into(),
            kind,
            required: false,
            unique: false,
            description: String::new(),
            position: i32::try_from(id).unwrap_or(0),
        }
    }

    #[test]
    fn dates_convert_to_days() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(
            parse_date("0000-01-01").and_then(format_date).as_deref(),
            Some("0000-01-01")
        );
        assert_eq!(
            parse_date("9999-12-31").and_then(format_date).as_deref(),
            Some("9999-12-31")
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "+202-01-01",
            "2024-01-01T00:00:00Z",
            "",
            "２０２４-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(format_date(19_782).as_deref(), Some("2024-02-29"));
        assert_eq!(format_date(i32::MAX), None);
        assert_eq!(format_date(-800_000), None);
    }

    #[test]
    fn datetimes_normalise_to_utc_millis() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        let ms = parse_datetime("2026-11-24T11:15:00+01:00").unwrap();
        assert_eq!(format_datetime(ms).as_deref(), Some("2026-11-24T10:15:00Z"));
        let ms = parse_datetime("2026-11-24T10:15:00.1234Z").unwrap();
        assert_eq!(
            format_datetime(ms).as_deref(),
            Some("2026-11-24T10:15:00.123Z")
        );
        assert_eq!(parse_datetime("1969-12-31T23:59:59.9995Z"), Some(-1));
        assert_eq!(
            format_datetime(-1).as_deref(),
            Some("1969-12-31T23:59:59.999Z")
        );
        for bad in [
            "2026-11-24T10:15:00",
            "2026-11-24",
            "2026-11-24 10:15",
            "yesterday",
            "0000-01-01T00:00:00+01:00",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
        assert_eq!(format_datetime(i64::MAX), None);
        assert_eq!(format_datetime(i64::MIN), None);
    }

    #[test]
    fn json_forms() {
        let key = AssetKey::parse("IT-42").unwrap();
        assert_eq!(Value::Text("a".into()).to_json(), json!("a"));
        assert_eq!(Value::Integer(-3).to_json(), json!(-3));
        assert_eq!(Value::Decimal(1.5).to_json(), json!(1.5));
        assert_eq!(Value::Boolean(true).to_json(), json!(true));
        assert_eq!(Value::Date(0).to_json(), json!("1970-01-01"));
        assert_eq!(
            Value::Datetime(1_500).to_json(),
            json!("1970-01-01T00:00:01.500Z")
        );
        assert_eq!(
            Value::User("557058:abc".into()).to_json(),
            json!("557058:abc")
        );
        assert_eq!(Value::Project("ITSM".into()).to_json(), json!("ITSM"));
        assert_eq!(Value::Reference(key).to_json(), json!("IT-42"));
        assert_eq!(Value::Status(StatusId(4)).to_json(), json!(4));
        assert_eq!(Value::Date(i32::MAX).to_json(), json!(i32::MAX));
    }

    #[test]
    fn index_entries_have_exactly_one_column() {
        let key = AssetKey::parse("IT-42").unwrap();
        let long = format!("  {}  ", "É".repeat(300));
        let cases = [
            (
                Value::Text(long),
                IndexEntry {
                    text: Some("é".repeat(255)),
                    ..Default::default()
                },
            ),
            (
                Value::User("Ab".into()),
                IndexEntry {
                    text: Some("ab".into()),
                    ..Default::default()
                },
            ),
            (
                Value::Project("IT".into()),
                IndexEntry {
                    text: Some("it".into()),
                    ..Default::default()
                },
            ),
            (
                Value::Integer(7),
                IndexEntry {
                    int: Some(7),
                    ..Default::default()
                },
            ),
            (
                Value::Boolean(true),
                IndexEntry {
                    int: Some(1),
                    ..Default::default()
                },
            ),
            (
                Value::Boolean(false),
                IndexEntry {
                    int: Some(0),
                    ..Default::default()
                },
            ),
            (
                Value::Date(-5),
                IndexEntry {
                    int: Some(-5),
                    ..Default::default()
                },
            ),
            (
                Value::Datetime(9),
                IndexEntry {
                    int: Some(9),
                    ..Default::default()
                },
            ),
            (
                Value::Status(StatusId(3)),
                IndexEntry {
                    int: Some(3),
                    ..Default::default()
                },
            ),
            (
                Value::Decimal(2.5),
                IndexEntry {
                    num: Some(2.5),
                    ..Default::default()
                },
            ),
            (
                Value::Reference(key.clone()),
                IndexEntry {
                    reference: Some(key),
                    ..Default::default()
                },
            ),
        ];
        for (value, entry) in cases {
            assert_eq!(value.index_entry(), entry, "{value:?}");
        }
    }

    fn defs() -> Vec<AttributeDef> {
        vec![
            def(1, "Serial", AttributeKind::Text { regex: None }),
            def(
                2,
                "RAM",
                AttributeKind::Integer {
                    min: None,
                    max: None,
                },
            ),
            def(
                3,
                "Price",
                AttributeKind::Decimal {
                    min: None,
                    max: None,
                },
            ),
            def(4, "Purchased", AttributeKind::Date),
            def(5, "Seen", AttributeKind::Datetime),
            def(
                6,
                "Tags",
                AttributeKind::Select {
                    options: vec!["A".into(), "B".into()],
                    multiple: true,
                },
            ),
            def(7, "Users", AttributeKind::JiraUser { multiple: true }),
            def(
                8,
                "Host",
                AttributeKind::Reference {
                    target_type: TypeId(1),
                    reference_type: "runs on".into(),
                    min: 0,
                    max: Some(1),
                },
            ),
            def(9, "State", AttributeKind::Status),
            def(10, "Managed", AttributeKind::Boolean),
            def(11, "Project", AttributeKind::JiraProject),
        ]
    }

    fn sample() -> AttributeValues {
        let mut v = AttributeValues::default();
        v.set(AttributeId(1), vec![Value::Text("SN1".into())]);
        v.set(AttributeId(2), vec![Value::Integer(16)]);
        v.set(AttributeId(3), vec![Value::Decimal(0.1)]);
        v.set(AttributeId(4), vec![Value::Date(19_000)]);
        v.set(AttributeId(5), vec![Value::Datetime(1_700_000_000_123)]);
        v.set(
            AttributeId(6),
            vec![Value::Text("A".into()), Value::Text("B".into())],
        );
        v.set(AttributeId(7), vec![Value::User("u1".into())]);
        v.set(
            AttributeId(8),
            vec![Value::Reference(AssetKey::parse("IT-1").unwrap())],
        );
        v.set(AttributeId(9), vec![Value::Status(StatusId(2))]);
        v.set(AttributeId(10), vec![Value::Boolean(false)]);
        v.set(AttributeId(11), vec![Value::Project("IT".into())]);
        v
    }

    #[test]
    fn stored_json_round_trips() {
        let values = sample();
        let stored = values.to_stored_json();
        assert!(stored.starts_with(r#"{"1":["SN1"],"#), "{stored}");
        assert_eq!(
            AttributeValues::from_stored_json(&defs(), &stored).unwrap(),
            values
        );
        assert_eq!(AttributeValues::default().to_stored_json(), "{}");
        assert!(
            AttributeValues::from_stored_json(&defs(), "{}")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn stored_json_drops_unknown_ids_and_reports_bad_shapes() {
        let v =
            AttributeValues::from_stored_json(&defs(), r#"{"99":["x"],"x":[1],"2":[4],"8":null}"#)
                .unwrap();
        assert_eq!(v.get(AttributeId(2)), &[Value::Integer(4)]);
        assert_eq!(v.0.len(), 1);
        // A single-valued attribute keeps its first value; scalars are accepted.
        let v = AttributeValues::from_stored_json(&defs(), r#"{"2":[4,5],"1":"a"}"#).unwrap();
        assert_eq!(v.get(AttributeId(2)), &[Value::Integer(4)]);
        assert_eq!(v.get(AttributeId(1)), &[Value::Text("a".into())]);
        let e = AttributeValues::from_stored_json(&defs(), r#"{"2":["four"],"4":["2023-02-29"]}"#)
            .unwrap_err();
        assert!(e.has("RAM", "format"));
        assert!(e.has("Purchased", "format"));
        let e = AttributeValues::from_stored_json(&defs(), "[1]").unwrap_err();
        assert!(e.has("attributes", "format"));
        // Empty arrays are not stored as empty lists.
        let v = AttributeValues::from_stored_json(&defs(), r#"{"6":[]}"#).unwrap();
        assert!(v.is_empty());
    }

    #[test]
    fn api_json_uses_names_and_cardinality() {
        let mut values = sample();
        values.set(AttributeId(42), vec![Value::Integer(1)]);
        let api = values.to_api_json(&defs());
        assert_eq!(api["Serial"], json!("SN1"));
        assert_eq!(api["Tags"], json!(["A", "B"]));
        assert_eq!(api["Users"], json!(["u1"]));
        assert_eq!(api["Host"], json!("IT-1"));
        assert_eq!(api["Purchased"], json!("2022-01-08"));
        assert_eq!(api["Seen"], json!("2023-11-14T22:13:20.123Z"));
        assert_eq!(api["State"], json!(2));
        assert_eq!(api.len(), 11);
        values.remove(AttributeId(1));
        values.set(AttributeId(6), vec![]);
        let api = values.to_api_json(&defs());
        assert!(!api.contains_key("Serial"));
        assert!(!api.contains_key("Tags"));
        assert_eq!(values.api_value(&defs()[0]), json!(null));
        assert_eq!(values.get(AttributeId(1)), &[] as &[Value]);
    }

    #[test]
    fn index_entries_cover_every_value() {
        assert_eq!(sample().index_entries().count(), 12);
    }
}
