//! Validation of asset attribute values sent by clients.
//!
//! Everything that needs only the type's definitions and the schema's statuses is checked here.
//! Two rules need other assets and are the store's job: `unique` attributes (compare
//! [`crate::IndexEntry`]s of other assets of the schema) and whether a referenced asset key
//! exists and has the reference's target type or a subtype ([`crate::TypeTree::is_same_or_descendant`]).

use crate::asset_type::name_key;
use crate::attribute::{AttributeDef, AttributeKind, TextPattern, limits};
use crate::error::{FieldError, ValidationErrors, char_len, rules};
use crate::ids::{AttributeId, StatusId};
use crate::schema::AssetKey;
use crate::status::Status;
use crate::value::{AttributeValues, Value, parse_date, parse_datetime};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// What values are validated against.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// The effective attributes of the asset's type ([`crate::TypeTree::effective_attributes`]).
    pub attributes: &'a [AttributeDef],
    /// The schema's statuses, for status attributes.
    pub statuses: &'a [Status],
}

/// How the input combines with the asset's existing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A new asset: the input is everything.
    Create,
    /// PUT: the input is everything; attributes it omits are cleared.
    Replace,
    /// PATCH: the input changes only the attributes it names; `null` clears one.
    Patch,
}

/// Maximum length of a URL value, as browsers and Jira links handle it.
pub const URL_MAX: usize = 2048;
/// RFC 5321's limit on a forward path.
pub const EMAIL_MAX: usize = 254;
/// Longest Jira accountId.
pub const ACCOUNT_ID_MAX: usize = 128;

/// Validates and normalises client input and merges it with `existing` according to `mode`.
///
/// `input` is keyed by attribute name (matched case-insensitively) and holds a scalar, an array
/// for a multi-valued attribute (a lone scalar is taken as a one-element array), or `null` (or an
/// empty array, or a blank string) to clear. Every failure is collected, so a form shows all its
/// problems at once. The result holds only attributes of `ctx.attributes`: values of attributes
/// the type no longer has are dropped.
///
/// Values already stored are not re-validated in `Patch` mode (a constraint added later must not
/// block unrelated edits), except that required attributes must be present in the result.
///
/// Not checked here, because they need other assets: uniqueness, and whether referenced assets
/// exist and have the right type. The store checks both before it commits.
pub fn validate_values(
    ctx: &ValidationContext,
    input: &serde_json::Map<String, Json>,
    existing: Option<&AttributeValues>,
    mode: Mode,
) -> Result<AttributeValues, ValidationErrors> {
    let by_name: HashMap<String, &AttributeDef> = ctx
        .attributes
        .iter()
        .map(|a| (name_key(&a.name), a))
        .collect();
    let known: HashSet<AttributeId> = ctx.attributes.iter().map(|a| a.id).collect();

    let mut result = match (mode, existing) {
        (Mode::Patch, Some(existing)) => AttributeValues(
            existing
                .0
                .iter()
                .filter(|(id, values)| known.contains(id) && !values.is_empty())
                .map(|(id, values)| (*id, values.clone()))
                .collect(),
        ),
        _ => AttributeValues::default(),
    };

    let mut errors = ValidationErrors::default();
    let mut touched: HashSet<AttributeId> = HashSet::new();
    let mut failed: HashSet<AttributeId> = HashSet::new();
    for (name, json) in input {
        let Some(def) = by_name.get(&name_key(name)).copied() else {
            errors.push(
                name.as_str(),
                rules::UNKNOWN_ATTRIBUTE,
                format!("{name}: this type has no such attribute"),
            );
            continue;
        };
        if !touched.insert(def.id) {
            errors.push(
                def.name.as_str(),
                rules::DUPLICATE_NAME,
                format!("{}: given more than once (names ignore case)", def.name),
            );
            failed.insert(def.id);
            continue;
        }
        match parse_attribute(def, json, ctx.statuses) {
            Ok(values) => result.set(def.id, values),
            Err(e) => {
                failed.insert(def.id);
                errors.0.extend(e.0);
            }
        }
    }

    for def in ctx.attributes.iter().filter(|d| d.required) {
        if result.get(def.id).is_empty() && !failed.contains(&def.id) {
            errors.push_error(FieldError::labelled(
                def.name.as_str(),
                &def.name,
                rules::REQUIRED,
                "is required",
            ));
        }
    }
    errors.into_result(result)
}

/// Resolves a status given by id (a JSON number) or by name (a string, case-insensitive), so
/// that API clients and CSV imports can use whichever they have.
pub fn resolve_status(statuses: &[Status], input: &Json) -> Result<StatusId, ValidationErrors> {
    resolve_status_as("status", "Status", statuses, input).map_err(ValidationErrors::from)
}

fn resolve_status_as(
    field: &str,
    label: &str,
    statuses: &[Status],
    input: &Json,
) -> Result<StatusId, FieldError> {
    let found = match input {
        Json::Number(n) => n
            .as_i64()
            .and_then(|id| statuses.iter().find(|s| s.id.0 == id)),
        Json::String(s) => {
            let wanted = name_key(s);
            statuses.iter().find(|st| name_key(&st.name) == wanted)
        }
        _ => {
            return Err(FieldError::labelled(
                field,
                label,
                rules::FORMAT,
                "must be a status id or name",
            ));
        }
    };
    found.map(|s| s.id).ok_or_else(|| {
        let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
        FieldError::labelled(
            field,
            label,
            rules::OPTION,
            format_args!(
                "{input} is not a status of this schema ({})",
                names.join(", ")
            ),
        )
    })
}

/// Parses one attribute's JSON into its values, or every reason it cannot.
fn parse_attribute(
    def: &AttributeDef,
    json: &Json,
    statuses: &[Status],
) -> Result<Vec<Value>, ValidationErrors> {
    let name = def.name.as_str();
    let fail = |rule, detail: String| FieldError::labelled(name, name, rule, detail);
    let items: &[Json] = match json {
        Json::Null => return Ok(Vec::new()),
        Json::Array(items) if !def.kind.is_multi() => {
            if items.is_empty() {
                return Ok(Vec::new());
            }
            return Err(fail(
                rules::CARDINALITY,
                "takes a single value, not a list".into(),
            )
            .into());
        }
        Json::Array(items) => items,
        scalar => std::slice::from_ref(scalar),
    };

    let parser = ValueParser::new(def, statuses);
    let mut errors = ValidationErrors::default();
    let mut values: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        match parser.parse(item) {
            Ok(Some(value)) => {
                if values.contains(&value) {
                    errors.push_error(fail(
                        rules::DUPLICATE_VALUE,
                        format!("{} is given more than once", value.to_json()),
                    ));
                } else {
                    values.push(value);
                }
            }
            Ok(None) => {}
            Err(detail) => errors.push_error(detail),
        }
    }

    if let AttributeKind::Reference { min, max, .. } = &def.kind
        && !values.is_empty()
    {
        let count = values.len();
        if count < *min as usize {
            errors.push_error(fail(
                rules::CARDINALITY,
                format!("needs at least {min} assets, got {count}"),
            ));
        }
        if let Some(max) = max
            && count > *max as usize
        {
            errors.push_error(fail(
                rules::CARDINALITY,
                format!("takes at most {max} assets, got {count}"),
            ));
        }
    }
    errors.into_result(values)
}

/// Parses single JSON items for one attribute; the regex is compiled once per attribute rather
/// than once per item.
struct ValueParser<'a> {
    def: &'a AttributeDef,
    statuses: &'a [Status],
    pattern: Option<TextPattern>,
}

impl<'a> ValueParser<'a> {
    fn new(def: &'a AttributeDef, statuses: &'a [Status]) -> Self {
        ValueParser {
            def,
            statuses,
            pattern: TextPattern::of(&def.kind),
        }
    }

    fn fail(&self, rule: &'static str, detail: impl std::fmt::Display) -> FieldError {
        FieldError::labelled(self.def.name.as_str(), &self.def.name, rule, detail)
    }

    /// A string item, trimmed; `None` when blank, which clears like `null`.
    fn string<'j>(&self, json: &'j Json, what: &str) -> Result<Option<&'j str>, FieldError> {
        match json {
            Json::String(s) => {
                let t = s.trim();
                Ok((!t.is_empty()).then_some(t))
            }
            _ => Err(self.fail(rules::FORMAT, format_args!("must be {what}"))),
        }
    }

    /// `Ok(None)` means "no value" (a blank string).
    fn parse(&self, json: &Json) -> Result<Option<Value>, FieldError> {
        let kind = &self.def.kind;
        match kind {
            AttributeKind::Text { regex } => {
                let Some(s) = self.string(json, "text")? else {
                    return Ok(None);
                };
                if char_len(s) > limits::TEXT_MAX {
                    return Err(self.fail(
                        rules::MAX_LENGTH,
                        format_args!("must be at most {} characters", limits::TEXT_MAX),
                    ));
                }
                if s.contains(['\n', '\r']) {
                    return Err(self.fail(rules::FORMAT, "must be a single line"));
                }
                if let (Some(pattern), Some(compiled)) = (regex, &self.pattern)
                    && !compiled.allows(s)
                {
                    return Err(self.fail(rules::REGEX, format_args!("must match {pattern}")));
                }
                Ok(Some(Value::Text(s.to_owned())))
            }
            AttributeKind::Textarea => {
                let Some(s) = self.string(json, "text")? else {
                    return Ok(None);
                };
                if char_len(s) > limits::TEXTAREA_MAX {
                    return Err(self.fail(
                        rules::MAX_LENGTH,
                        format_args!("must be at most {} characters", limits::TEXTAREA_MAX),
                    ));
                }
                Ok(Some(Value::Text(s.to_owned())))
            }
            AttributeKind::Integer { min, max } => {
                let Some(i) = json.as_i64() else {
                    return Err(self.fail(rules::FORMAT, "must be a whole number"));
                };
                if let Some(min) = min
                    && i < *min
                {
                    return Err(self.fail(rules::MIN, format_args!("must be at least {min}")));
                }
                if let Some(max) = max
                    && i > *max
                {
                    return Err(self.fail(rules::MAX, format_args!("must be at most {max}")));
                }
                Ok(Some(Value::Integer(i)))
            }
            AttributeKind::Decimal { min, max } => {
                let Some(d) = json.as_f64().filter(|d| d.is_finite()) else {
                    return Err(self.fail(rules::FORMAT, "must be a number"));
                };
                if let Some(min) = min
                    && d < *min
                {
                    return Err(self.fail(rules::MIN, format_args!("must be at least {min}")));
                }
                if let Some(max) = max
                    && d > *max
                {
                    return Err(self.fail(rules::MAX, format_args!("must be at most {max}")));
                }
                Ok(Some(Value::Decimal(d)))
            }
            AttributeKind::Boolean => match json {
                Json::Bool(b) => Ok(Some(Value::Boolean(*b))),
                _ => Err(self.fail(rules::FORMAT, "must be true or false")),
            },
            AttributeKind::Date => {
                let Some(s) = self.string(json, "a date like 2026-11-24")? else {
                    return Ok(None);
                };
                parse_date(s)
                    .map(|d| Some(Value::Date(d)))
                    .ok_or_else(|| self.fail(rules::FORMAT, "must be a real date like 2026-11-24"))
            }
            AttributeKind::Datetime => {
                let what = "a date and time with an offset, like 2026-11-24T10:15:00Z";
                let Some(s) = self.string(json, what)? else {
                    return Ok(None);
                };
                parse_datetime(s)
                    .map(|ms| Some(Value::Datetime(ms)))
                    .ok_or_else(|| self.fail(rules::FORMAT, format_args!("must be {what}")))
            }
            AttributeKind::Url => {
                let Some(s) = self.string(json, "a URL")? else {
                    return Ok(None);
                };
                parse_url(s)
                    .map(|u| Some(Value::Text(u)))
                    .map_err(|(rule, detail)| self.fail(rule, detail))
            }
            AttributeKind::Email => {
                let Some(s) = self.string(json, "an e-mail address")? else {
                    return Ok(None);
                };
                parse_email(s)
                    .map(|e| Some(Value::Text(e)))
                    .ok_or_else(|| self.fail(rules::FORMAT, "must be an e-mail address"))
            }
            AttributeKind::IpAddress => {
                let Some(s) = self.string(json, "an IP address")? else {
                    return Ok(None);
                };
                s.parse::<IpAddr>()
                    .map(|ip| Some(Value::Text(ip.to_string())))
                    .map_err(|_| self.fail(rules::FORMAT, "must be an IPv4 or IPv6 address"))
            }
            AttributeKind::Select { options, .. } => {
                let Some(s) = self.string(json, "one of the options")? else {
                    return Ok(None);
                };
                let wanted = s.to_lowercase();
                options
                    .iter()
                    .find(|o| o.trim().to_lowercase() == wanted)
                    .map(|o| Some(Value::Text(o.clone())))
                    .ok_or_else(|| {
                        self.fail(
                            rules::OPTION,
                            format_args!("\"{s}\" is not one of the options"),
                        )
                    })
            }
            AttributeKind::JiraUser { .. } => {
                let Some(s) = self.string(json, "a Jira accountId")? else {
                    return Ok(None);
                };
                if is_account_id(s) {
                    Ok(Some(Value::User(s.to_owned())))
                } else {
                    Err(self.fail(rules::FORMAT, "must be a Jira accountId"))
                }
            }
            AttributeKind::JiraProject => {
                let Some(s) = self.string(json, "a Jira project key")? else {
                    return Ok(None);
                };
                let upper = s.to_ascii_uppercase();
                if is_project_key(&upper) {
                    Ok(Some(Value::Project(upper)))
                } else {
                    Err(self.fail(rules::FORMAT, "must be a Jira project key like ITSM"))
                }
            }
            AttributeKind::Reference { .. } => {
                let Some(s) = self.string(json, "an asset key like IT-42")? else {
                    return Ok(None);
                };
                AssetKey::parse(&s.to_ascii_uppercase())
                    .map(|k| Some(Value::Reference(k)))
                    .map_err(|_| {
                        self.fail(
                            rules::FORMAT,
                            format_args!("\"{s}\" is not an asset key like IT-42"),
                        )
                    })
            }
            AttributeKind::Status => {
                if json.as_str().is_some_and(|s| s.trim().is_empty()) {
                    return Ok(None);
                }
                resolve_status_as(&self.def.name, &self.def.name, self.statuses, json)
                    .map(|id| Some(Value::Status(id)))
            }
        }
    }
}

/// Absolute http(s) URLs with a host, in `url`'s normalised spelling (lowercase scheme and host,
/// punycode, a path of at least `/`) so that equal links compare equal.
fn parse_url(s: &str) -> Result<String, (&'static str, String)> {
    let format = || {
        (
            rules::FORMAT,
            "must be an absolute http or https URL".to_owned(),
        )
    };
    if char_len(s) > URL_MAX {
        return Err((
            rules::MAX_LENGTH,
            format!("must be at most {URL_MAX} characters"),
        ));
    }
    let url = url::Url::parse(s).map_err(|_| format())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(format());
    }
    let normalised = String::from(url);
    if char_len(&normalised) > URL_MAX {
        return Err((
            rules::MAX_LENGTH,
            format!("must be at most {URL_MAX} characters"),
        ));
    }
    Ok(normalised)
}

/// A deliberately simple check: full RFC 5322 accepts addresses no mail system delivers to, and
/// the only real test of an address is sending to it. The domain is lowercased because it is
/// case-insensitive; the local part is kept, because strictly it is not.
fn parse_email(s: &str) -> Option<String> {
    if s.len() > EMAIL_MAX || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = s.split_once('@')?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..");
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return None;
    }
    Some(format!("{local}@{}", domain.to_lowercase()))
}

fn is_account_id(s: &str) -> bool {
    (1..=ACCOUNT_ID_MAX).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'))
}

fn is_project_key(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=limits::TEXT_MAX).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{SchemaId, TypeId};
    use crate::status::StatusCategory;
    use serde_json::json;

    fn def(id: i64, name: &str, kind: AttributeKind) -> AttributeDef {
        AttributeDef {
            id: AttributeId(id),
            type_id: TypeId(1),
            name: name.into(),
            kind,
            required: false,
            unique: false,
            description: String::new(),
            position: 0,
        }
    }

    fn reference(min: u32, max: Option<u32>) -> AttributeKind {
        AttributeKind::Reference {
            target_type: TypeId(2),
            reference_type: "installed on".into(),
            min,
            max,
        }
    }

    fn attributes() -> Vec<AttributeDef> {
        vec![
            AttributeDef {
                required: true,
                ..def(
                    1,
                    "Serial number",
                    AttributeKind::Text {
                        regex: Some("[A-Z0-9]+".into()),
                    },
                )
            },
            def(2, "Notes", AttributeKind::Textarea),
            def(
                3,
                "RAM (GB)",
                AttributeKind::Integer {
                    min: Some(1),
                    max: Some(512),
                },
            ),
            def(
                4,
                "Price",
                AttributeKind::Decimal {
                    min: Some(0.0),
                    max: Some(1e6),
                },
            ),
            def(5, "Managed", AttributeKind::Boolean),
            def(6, "Purchased", AttributeKind::Date),
            def(7, "Last seen", AttributeKind::Datetime),
            def(8, "Homepage", AttributeKind::Url),
            def(9, "Contact", AttributeKind::Email),
            def(10, "IP", AttributeKind::IpAddress),
            def(
                11,
                "Size",
                AttributeKind::Select {
                    options: vec!["Small".into(), "Large".into()],
                    multiple: false,
                },
            ),
            def(
                12,
                "Tags",
                AttributeKind::Select {
                    options: vec!["VIP".into(), "Loaner".into(), "Spare".into()],
                    multiple: true,
                },
            ),
            def(13, "Owner", AttributeKind::JiraUser { multiple: false }),
            def(14, "Watchers", AttributeKind::JiraUser { multiple: true }),
            def(15, "Project", AttributeKind::JiraProject),
            def(16, "Host", reference(0, Some(1))),
            def(17, "Licences", reference(2, Some(3))),
            def(18, "Lifecycle", AttributeKind::Status),
            def(19, "Label", AttributeKind::Text { regex: None }),
        ]
    }

    fn statuses() -> Vec<Status> {
        [
            (1, "Available", StatusCategory::Available),
            (2, "In use", StatusCategory::InUse),
        ]
        .into_iter()
        .map(|(id, name, category)| Status {
            id: StatusId(id),
            schema_id: SchemaId(1),
            name: name.into(),
            category,
        })
        .collect()
    }

    fn run(
        input: Json,
        existing: Option<&AttributeValues>,
        mode: Mode,
    ) -> Result<AttributeValues, ValidationErrors> {
        let attributes = attributes();
        let statuses = statuses();
        let ctx = ValidationContext {
            attributes: &attributes,
            statuses: &statuses,
        };
        let Json::Object(map) = input else {
            panic!("test input must be an object")
        };
        validate_values(&ctx, &map, existing, mode)
    }

    /// Validates `{"Serial number": "SN1", name: value}` and returns the values of `name`.
    fn one(name: &str, value: Json) -> Result<Vec<Value>, ValidationErrors> {
        let mut input = json!({"Serial number": "SN1"});
        input[name] = value;
        let attrs = attributes();
        let def = attrs.iter().find(|d| d.name == name).unwrap();
        run(input, None, Mode::Create).map(|v| v.get(def.id).to_vec())
    }

    #[track_caller]
    fn ok(name: &str, value: Json, expected: Vec<Value>) {
        assert_eq!(
            one(name, value.clone()).unwrap(),
            expected,
            "{name}: {value}"
        );
    }

    #[track_caller]
    fn bad(name: &str, value: Json, rule: &str) {
        let e = one(name, value.clone()).expect_err("should fail");
        assert!(e.has(name, rule), "{name}: {value} → {e:?}");
        assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn text_rules() {
        ok("Serial number", json!("  AB12  "), vec![text("AB12")]);
        bad("Serial number", json!("ab-12"), rules::REGEX);
        let e = one("Serial number", json!("ab")).unwrap_err();
        assert_eq!(e.to_string(), "Serial number: must match [A-Z0-9]+");
        bad("Label", json!("x".repeat(256)), rules::MAX_LENGTH);
        ok(
            "Label",
            json!("é".repeat(255)),
            vec![text(&"é".repeat(255))],
        );
        bad("Label", json!("two\nlines"), rules::FORMAT);
        bad("Label", json!(5), rules::FORMAT);
        ok("Label", json!("   "), vec![]);
    }

    #[test]
    fn regex_must_match_the_whole_value() {
        bad("Serial number", json!("AB12 x"), rules::REGEX);
        let attrs = vec![def(
            1,
            "Code",
            AttributeKind::Text {
                regex: Some("a|b".into()),
            },
        )];
        let ctx = ValidationContext {
            attributes: &attrs,
            statuses: &[],
        };
        let Json::Object(m) = json!({"Code": "ab"}) else {
            unreachable!()
        };
        assert!(
            validate_values(&ctx, &m, None, Mode::Create)
                .unwrap_err()
                .has("Code", "regex")
        );
        let Json::Object(m) = json!({"Code": "b"}) else {
            unreachable!()
        };
        assert!(validate_values(&ctx, &m, None, Mode::Create).is_ok());
    }

    #[test]
    fn textarea_rules() {
        ok(
            "Notes",
            json!("line 1\nline 2\n"),
            vec![text("line 1\nline 2")],
        );
        ok(
            "Notes",
            json!("x".repeat(65_535)),
            vec![text(&"x".repeat(65_535))],
        );
        bad("Notes", json!("x".repeat(65_536)), rules::MAX_LENGTH);
        bad("Notes", json!(["a"]), rules::CARDINALITY);
    }

    #[test]
    fn integer_rules() {
        ok("RAM (GB)", json!(16), vec![Value::Integer(16)]);
        ok("RAM (GB)", json!(1), vec![Value::Integer(1)]);
        ok("RAM (GB)", json!(512), vec![Value::Integer(512)]);
        bad("RAM (GB)", json!(0), rules::MIN);
        bad("RAM (GB)", json!(513), rules::MAX);
        bad("RAM (GB)", json!(1.5), rules::FORMAT);
        bad("RAM (GB)", json!(16.0), rules::FORMAT);
        bad("RAM (GB)", json!("16"), rules::FORMAT);
        bad("RAM (GB)", json!(u64::MAX), rules::FORMAT);
    }

    #[test]
    fn decimal_rules() {
        ok("Price", json!(9.99), vec![Value::Decimal(9.99)]);
        ok("Price", json!(10), vec![Value::Decimal(10.0)]);
        ok("Price", json!(0), vec![Value::Decimal(0.0)]);
        bad("Price", json!(-0.01), rules::MIN);
        bad("Price", json!(1e7), rules::MAX);
        bad("Price", json!("9.99"), rules::FORMAT);
        bad("Price", json!(true), rules::FORMAT);
    }

    #[test]
    fn boolean_rules() {
        ok("Managed", json!(false), vec![Value::Boolean(false)]);
        ok("Managed", json!(true), vec![Value::Boolean(true)]);
        bad("Managed", json!("true"), rules::FORMAT);
        bad("Managed", json!(1), rules::FORMAT);
    }

    #[test]
    fn date_rules() {
        ok("Purchased", json!("2024-02-29"), vec![Value::Date(19_782)]);
        bad("Purchased", json!("2023-02-29"), rules::FORMAT);
        bad("Purchased", json!("29.02.2024"), rules::FORMAT);
        bad("Purchased", json!(19_782), rules::FORMAT);
    }

    #[test]
    fn datetime_rules() {
        let expected = parse_datetime("2026-11-24T10:15:00Z").unwrap();
        ok(
            "Last seen",
            json!("2026-11-24T12:15:00+02:00"),
            vec![Value::Datetime(expected)],
        );
        let out = run(
            json!({"Serial number": "A", "Last seen": "2026-11-24T12:15:00+02:00"}),
            None,
            Mode::Create,
        )
        .unwrap()
        .to_api_json(&attributes());
        assert_eq!(out["Last seen"], json!("2026-11-24T10:15:00Z"));
        bad("Last seen", json!("2026-11-24T10:15:00"), rules::FORMAT);
        bad("Last seen", json!("2026-11-24"), rules::FORMAT);
        bad("Last seen", json!(1_700_000_000), rules::FORMAT);
    }

    #[test]
    fn url_rules() {
        ok(
            "Homepage",
            json!("HTTPS://Example.COM"),
            vec![text("https://example.com/")],
        );
        ok(
            "Homepage",
            json!("http://intranet.local:8080/a?b=c"),
            vec![text("http://intranet.local:8080/a?b=c")],
        );
        bad("Homepage", json!("ftp://example.com/"), rules::FORMAT);
        bad("Homepage", json!("example.com"), rules::FORMAT);
        bad("Homepage", json!("mailto:a@example.com"), rules::FORMAT);
        bad("Homepage", json!("javascript:alert(1)"), rules::FORMAT);
        bad(
            "Homepage",
            json!(format!("https://example.com/{}", "a".repeat(2100))),
            rules::MAX_LENGTH,
        );
    }

    #[test]
    fn email_rules() {
        ok(
            "Contact",
            json!(" Jane.Doe@Example.COM "),
            vec![text("Jane.Doe@example.com")],
        );
        for b in [
            "jane",
            "@example.com",
            "jane@example",
            "jane@@example.com",
            "ja ne@example.com",
            "jane@example..com",
            "jane@.example.com",
            "a@b@example.com",
        ] {
            bad("Contact", json!(b), rules::FORMAT);
        }
        bad(
            "Contact",
            json!(format!("{}@example.com", "a".repeat(250))),
            rules::FORMAT,
        );
    }

    #[test]
    fn ip_rules() {
        ok("IP", json!("10.0.0.1"), vec![text("10.0.0.1")]);
        ok(
            "IP",
            json!("2001:0DB8:0000:0000:0000:0000:0000:0001"),
            vec![text("2001:db8::1")],
        );
        bad("IP", json!("10.0.0.256"), rules::FORMAT);
        bad("IP", json!("10.0.0.1/24"), rules::FORMAT);
    }

    #[test]
    fn select_rules() {
        ok("Size", json!("small"), vec![text("Small")]);
        bad("Size", json!("Medium"), rules::OPTION);
        bad("Size", json!(["Small"]), rules::CARDINALITY);
        ok(
            "Tags",
            json!(["vip", "Spare"]),
            vec![text("VIP"), text("Spare")],
        );
        ok("Tags", json!("loaner"), vec![text("Loaner")]);
        ok("Tags", json!([]), vec![]);
        bad("Tags", json!(["VIP", "vip"]), rules::DUPLICATE_VALUE);
        bad("Tags", json!(["VIP", "Gold"]), rules::OPTION);
        bad("Tags", json!([1]), rules::FORMAT);
    }

    #[test]
    fn jira_user_rules() {
        ok(
            "Owner",
            json!("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"),
            vec![Value::User(
                "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077".into(),
            )],
        );
        bad("Owner", json!("jane@example.com"), rules::FORMAT);
        bad("Owner", json!("x".repeat(129)), rules::FORMAT);
        bad("Owner", json!(["a"]), rules::CARDINALITY);
        ok(
            "Watchers",
            json!(["a", "b"]),
            vec![Value::User("a".into()), Value::User("b".into())],
        );
        bad("Watchers", json!(["a", "a"]), rules::DUPLICATE_VALUE);
    }

    #[test]
    fn project_rules() {
        ok(
            "Project",
            json!("itsm"),
            vec![Value::Project("ITSM".into())],
        );
        ok(
            "Project",
            json!("HW_2"),
            vec![Value::Project("HW_2".into())],
        );
        bad("Project", json!("2HW"), rules::FORMAT);
        bad("Project", json!("I"), rules::FORMAT);
        bad("Project", json!("IT-1"), rules::FORMAT);
    }

    #[test]
    fn reference_rules() {
        let key = |s: &str| Value::Reference(AssetKey::parse(s).unwrap());
        ok("Host", json!("it-42"), vec![key("IT-42")]);
        bad("Host", json!("IT-0"), rules::FORMAT);
        bad("Host", json!(42), rules::FORMAT);
        bad("Host", json!(["IT-1", "IT-2"]), rules::CARDINALITY);
        ok(
            "Licences",
            json!(["SW-1", "SW-2"]),
            vec![key("SW-1"), key("SW-2")],
        );
        ok(
            "Licences",
            json!(["SW-1", "SW-2", "SW-3"]),
            vec![key("SW-1"), key("SW-2"), key("SW-3")],
        );
        ok("Licences", json!(null), vec![]);
        bad("Licences", json!(["SW-1"]), rules::CARDINALITY);
        bad(
            "Licences",
            json!(["SW-1", "SW-2", "SW-3", "SW-4"]),
            rules::CARDINALITY,
        );
        bad(
            "Licences",
            json!(["SW-1", "sw-1", "SW-2"]),
            rules::DUPLICATE_VALUE,
        );
    }

    #[test]
    fn status_attribute_rules() {
        ok(
            "Lifecycle",
            json!("in USE"),
            vec![Value::Status(StatusId(2))],
        );
        ok("Lifecycle", json!(1), vec![Value::Status(StatusId(1))]);
        bad("Lifecycle", json!("Broken"), rules::OPTION);
        bad("Lifecycle", json!(99), rules::OPTION);
        bad("Lifecycle", json!(true), rules::FORMAT);
    }

    #[test]
    fn resolve_status_by_id_or_name() {
        let s = statuses();
        assert_eq!(resolve_status(&s, &json!(2)).unwrap(), StatusId(2));
        assert_eq!(
            resolve_status(&s, &json!(" available ")).unwrap(),
            StatusId(1)
        );
        let e = resolve_status(&s, &json!("Lost")).unwrap_err();
        assert!(e.has("status", "option"));
        assert!(e.to_string().starts_with("Status: "));
        assert!(
            resolve_status(&s, &json!(3))
                .unwrap_err()
                .has("status", "option")
        );
        assert!(
            resolve_status(&s, &json!(null))
                .unwrap_err()
                .has("status", "format")
        );
        assert!(
            resolve_status(&s, &json!(1.5))
                .unwrap_err()
                .has("status", "option")
        );
    }

    #[test]
    fn unknown_attributes_are_reported_by_the_name_given() {
        let e = run(
            json!({"Serial number": "A", "Colour": "red"}),
            None,
            Mode::Create,
        )
        .unwrap_err();
        assert!(e.has("Colour", rules::UNKNOWN_ATTRIBUTE));
        assert!(e.to_string().starts_with("Colour: "));
    }

    #[test]
    fn names_match_case_insensitively_but_only_once() {
        let v = run(
            json!({"serial NUMBER": "A1", "ram (gb)": 8}),
            None,
            Mode::Create,
        )
        .unwrap();
        assert_eq!(v.get(AttributeId(1)), &[text("A1")]);
        assert_eq!(v.get(AttributeId(3)), &[Value::Integer(8)]);
        let e = run(
            json!({"Serial number": "A1", "serial number": "B2"}),
            None,
            Mode::Create,
        )
        .unwrap_err();
        assert!(e.has("Serial number", rules::DUPLICATE_NAME));
    }

    #[test]
    fn required_on_create_and_replace() {
        for mode in [Mode::Create, Mode::Replace] {
            let e = run(json!({}), None, mode).unwrap_err();
            assert!(e.has("Serial number", rules::REQUIRED));
            assert_eq!(e.to_string(), "Serial number: is required");
            for empty in [json!(null), json!(""), json!([])] {
                let e = run(json!({"Serial number": empty}), None, mode).unwrap_err();
                assert!(e.has("Serial number", rules::REQUIRED), "{mode:?}");
            }
            assert!(run(json!({"Serial number": "X"}), None, mode).is_ok());
        }
        // A failing value is reported once, by its own rule, not also as missing.
        let e = run(json!({"Serial number": "x"}), None, Mode::Create).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e.has("Serial number", rules::REGEX));
    }

    #[test]
    fn replace_clears_what_it_omits_and_patch_keeps_it() {
        let existing = run(
            json!({"Serial number": "A", "Notes": "n", "Managed": true}),
            None,
            Mode::Create,
        )
        .unwrap();
        let replaced = run(
            json!({"Serial number": "B"}),
            Some(&existing),
            Mode::Replace,
        )
        .unwrap();
        assert_eq!(replaced.0.len(), 1);
        assert_eq!(replaced.get(AttributeId(1)), &[text("B")]);

        let patched = run(
            json!({"Notes": null, "RAM (GB)": 4}),
            Some(&existing),
            Mode::Patch,
        )
        .unwrap();
        assert_eq!(patched.get(AttributeId(1)), &[text("A")]);
        assert!(patched.get(AttributeId(2)).is_empty());
        assert_eq!(patched.get(AttributeId(3)), &[Value::Integer(4)]);
        assert_eq!(patched.get(AttributeId(5)), &[Value::Boolean(true)]);
    }

    #[test]
    fn patch_checks_required_on_the_merged_result() {
        let existing = run(json!({"Serial number": "A"}), None, Mode::Create).unwrap();
        assert!(run(json!({"Notes": "x"}), Some(&existing), Mode::Patch).is_ok());
        let e = run(json!({"Serial number": null}), Some(&existing), Mode::Patch).unwrap_err();
        assert!(e.has("Serial number", rules::REQUIRED));
        let e = run(json!({"Notes": "x"}), None, Mode::Patch).unwrap_err();
        assert!(e.has("Serial number", rules::REQUIRED));
    }

    #[test]
    fn patch_drops_values_of_attributes_the_type_no_longer_has() {
        let mut existing = run(json!({"Serial number": "A"}), None, Mode::Create).unwrap();
        existing.set(AttributeId(999), vec![text("old")]);
        let patched = run(json!({}), Some(&existing), Mode::Patch).unwrap();
        assert!(patched.get(AttributeId(999)).is_empty());
    }

    #[test]
    fn every_failure_is_collected() {
        let e = run(
            json!({"RAM (GB)": 0, "Price": "x", "Colour": 1, "Host": ["IT-1", "IT-2"], "Contact": "no"}),
            None,
            Mode::Create,
        )
        .unwrap_err();
        assert_eq!(e.len(), 6, "{e}");
        for (field, rule) in [
            ("Serial number", rules::REQUIRED),
            ("RAM (GB)", rules::MIN),
            ("Price", rules::FORMAT),
            ("Colour", rules::UNKNOWN_ATTRIBUTE),
            ("Host", rules::CARDINALITY),
            ("Contact", rules::FORMAT),
        ] {
            assert!(e.has(field, rule), "{field} {rule}");
        }
    }

    #[test]
    fn required_reference_needs_a_value_and_min_applies_when_present() {
        let attrs = vec![AttributeDef {
            required: true,
            ..def(1, "Runs on", reference(0, None))
        }];
        let ctx = ValidationContext {
            attributes: &attrs,
            statuses: &[],
        };
        let Json::Object(m) = json!({"Runs on": []}) else {
            unreachable!()
        };
        assert!(
            validate_values(&ctx, &m, None, Mode::Create)
                .unwrap_err()
                .has("Runs on", "required")
        );
        let Json::Object(m) = json!({"Runs on": ["IT-1"]}) else {
            unreachable!()
        };
        assert!(validate_values(&ctx, &m, None, Mode::Create).is_ok());
    }

    #[test]
    fn broken_stored_regex_fails_closed() {
        let attrs = vec![def(
            1,
            "Code",
            AttributeKind::Text {
                regex: Some("(".into()),
            },
        )];
        let ctx = ValidationContext {
            attributes: &attrs,
            statuses: &[],
        };
        let Json::Object(m) = json!({"Code": "x"}) else {
            unreachable!()
        };
        assert!(
            validate_values(&ctx, &m, None, Mode::Create)
                .unwrap_err()
                .has("Code", "regex")
        );
    }
}
