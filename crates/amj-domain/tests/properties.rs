//! Property tests: parsing and storage must round-trip for every valid input, and validation
//! must never panic whatever JSON a client sends.

// Strategy helpers live outside `#[test]` functions, where clippy.toml's test allowance does not
// reach; a failed unwrap here is a broken test, which is what we want.
#![allow(clippy::unwrap_used)]

use amj_domain::value::{format_datetime, parse_date, parse_datetime};
use amj_domain::{
    AssetKey, AttributeDef, AttributeId, AttributeKind, AttributeValues, Mode, SchemaId, SchemaKey,
    Status, StatusCategory, StatusId, TypeId, ValidationContext, Value, validate_values,
};
use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};

fn schema_key() -> impl Strategy<Value = SchemaKey> {
    "[A-Z][A-Z0-9]{1,9}".prop_map(|s| SchemaKey::parse(&s).unwrap())
}

fn asset_key() -> impl Strategy<Value = AssetKey> {
    (schema_key(), 1..=i64::MAX).prop_map(|(schema, number)| AssetKey { schema, number })
}

fn def(id: i64, kind: AttributeKind) -> AttributeDef {
    AttributeDef {
        id: AttributeId(id),
        type_id: TypeId(1),
        name: format!("A{id}"),
        kind,
        required: false,
        unique: false,
        description: String::new(),
        position: 0,
    }
}

fn reference(max: Option<u32>) -> AttributeKind {
    AttributeKind::Reference {
        target_type: TypeId(1),
        reference_type: "uses".into(),
        min: 0,
        max,
    }
}

/// A kind and one valid value of it.
fn kind_and_value() -> impl Strategy<Value = (AttributeKind, Value)> {
    let min_day = parse_date("0000-01-01").unwrap();
    let max_day = parse_date("9999-12-31").unwrap();
    let min_ms = parse_datetime("0000-01-01T00:00:00Z").unwrap();
    let max_ms = parse_datetime("9999-12-31T23:59:59.999Z").unwrap();
    prop_oneof![
        any::<String>().prop_map(|s| (AttributeKind::Text { regex: None }, Value::Text(s))),
        any::<String>().prop_map(|s| (AttributeKind::Textarea, Value::Text(s))),
        any::<i64>().prop_map(|i| (
            AttributeKind::Integer {
                min: None,
                max: None
            },
            Value::Integer(i)
        )),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| (
                AttributeKind::Decimal {
                    min: None,
                    max: None
                },
                Value::Decimal(f)
            )),
        any::<bool>().prop_map(|b| (AttributeKind::Boolean, Value::Boolean(b))),
        (min_day..=max_day).prop_map(|d| (AttributeKind::Date, Value::Date(d))),
        (min_ms..=max_ms).prop_map(|ms| (AttributeKind::Datetime, Value::Datetime(ms))),
        any::<String>().prop_map(|s| (AttributeKind::Url, Value::Text(s))),
        any::<String>().prop_map(|s| (AttributeKind::Email, Value::Text(s))),
        any::<String>().prop_map(|s| (AttributeKind::IpAddress, Value::Text(s))),
        any::<String>().prop_map(|s| (
            AttributeKind::Select {
                options: vec!["A".into()],
                multiple: false
            },
            Value::Text(s)
        )),
        "[A-Za-z0-9:_-]{1,128}"
            .prop_map(|s| (AttributeKind::JiraUser { multiple: false }, Value::User(s))),
        "[A-Z][A-Z0-9_]{1,20}".prop_map(|s| (AttributeKind::JiraProject, Value::Project(s))),
        asset_key().prop_map(|k| (reference(Some(1)), Value::Reference(k))),
        any::<i64>().prop_map(|i| (AttributeKind::Status, Value::Status(StatusId(i)))),
    ]
}

fn multi_values() -> impl Strategy<Value = (AttributeKind, Vec<Value>)> {
    prop_oneof![
        prop::collection::vec(any::<String>().prop_map(Value::Text), 1..4).prop_map(|v| (
            AttributeKind::Select {
                options: vec!["A".into()],
                multiple: true
            },
            v
        )),
        prop::collection::vec("[A-Za-z0-9:_-]{1,20}".prop_map(Value::User), 1..4)
            .prop_map(|v| (AttributeKind::JiraUser { multiple: true }, v)),
        prop::collection::vec(asset_key().prop_map(Value::Reference), 1..4)
            .prop_map(|v| (reference(None), v)),
    ]
}

/// Plausible and implausible JSON for every kind, nested a little.
fn any_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        (-6i64..=6).prop_map(Json::from),
        prop::sample::select(vec!["IT-1", "IT-2", "IT-3", "VIP", "Spare", "u1"])
            .prop_map(|s| Json::String(s.to_owned())),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        any::<String>().prop_map(Json::String),
        prop::sample::select(vec![
            "IT-1",
            "it-2",
            "IT-0",
            "2024-02-29",
            "2023-02-29",
            "2026-11-24T10:15:00+01:00",
            "0000-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59-23:59",
            "https://example.com",
            "http://[::1]:80/",
            "a@b.co",
            "10.0.0.1",
            "::ffff:1.2.3.4",
            "small",
            "Large",
            "VIP",
            "557058:abc",
            "ITSM",
            "In use",
            "",
            "  ",
            "\n",
            "((",
            "é",
        ])
        .prop_map(|s| Json::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..3)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

fn fuzz_attributes(required: bool) -> Vec<AttributeDef> {
    let mut defs = vec![
        def(
            1,
            AttributeKind::Text {
                regex: Some("[A-Z0-9]+".into()),
            },
        ),
        def(2, AttributeKind::Textarea),
        def(
            3,
            AttributeKind::Integer {
                min: Some(-5),
                max: Some(5),
            },
        ),
        def(
            4,
            AttributeKind::Decimal {
                min: Some(-1.5),
                max: Some(1e300),
            },
        ),
        def(5, AttributeKind::Boolean),
        def(6, AttributeKind::Date),
        def(7, AttributeKind::Datetime),
        def(8, AttributeKind::Url),
        def(9, AttributeKind::Email),
        def(10, AttributeKind::IpAddress),
        def(
            11,
            AttributeKind::Select {
                options: vec!["Small".into(), "Large".into()],
                multiple: false,
            },
        ),
        def(
            12,
            AttributeKind::Select {
                options: vec!["VIP".into(), "Spare".into()],
                multiple: true,
            },
        ),
        def(13, AttributeKind::JiraUser { multiple: false }),
        def(14, AttributeKind::JiraUser { multiple: true }),
        def(15, AttributeKind::JiraProject),
        def(16, reference(Some(1))),
        def(
            17,
            AttributeKind::Reference {
                target_type: TypeId(1),
                reference_type: "uses".into(),
                min: 2,
                max: Some(3),
            },
        ),
        def(18, AttributeKind::Status),
        def(19, AttributeKind::Text { regex: None }),
    ];
    defs[0].required = required;
    defs[17].required = required;
    defs
}

fn fuzz_statuses() -> Vec<Status> {
    vec![
        Status {
            id: StatusId(1),
            schema_id: SchemaId(1),
            name: "Available".into(),
            category: StatusCategory::Available,
        },
        Status {
            id: StatusId(2),
            schema_id: SchemaId(1),
            name: "In use".into(),
            category: StatusCategory::InUse,
        },
    ]
}

fn input_map() -> impl Strategy<Value = Map<String, Json>> {
    let name = prop_oneof![
        (1..=20i64).prop_map(|i| format!("A{i}")),
        (1..=20i64).prop_map(|i| format!("a{i}")),
        any::<String>(),
    ];
    prop::collection::vec((name, any_json()), 0..12).prop_map(|pairs| pairs.into_iter().collect())
}

/// Input that is mostly valid, so that the stability property sees many accepted assets.
fn plausible_input() -> impl Strategy<Value = Map<String, Json>> {
    let pools: Vec<Vec<Json>> = vec![
        vec![json!("SN1"), json!("  X9  "), json!("ab")],
        vec![json!("notes"), json!("  multi\nline  ")],
        vec![json!(-5), json!(0), json!(5), json!(6)],
        vec![json!(-1.5), json!(0.1), json!(1e10), json!(2.5e-300)],
        vec![json!(true), json!(false)],
        vec![
            json!("2024-02-29"),
            json!("0000-01-01"),
            json!("9999-12-31"),
        ],
        vec![
            json!("2026-11-24T10:15:00.5+01:00"),
            json!("9999-12-31T23:59:59.999Z"),
            json!("1969-12-31T23:59:59.9999Z"),
            json!("0000-01-01T00:30:00+00:30"),
        ],
        vec![
            json!("https://example.com"),
            json!("HTTP://EXAMPLE.com:80/a/../b"),
            json!("http://[::1]:8080"),
            json!("https://bücher.de/ä?q=ü#f"),
        ],
        vec![json!("a@B.CO"), json!("x.y+z@example.org")],
        vec![
            json!("10.0.0.1"),
            json!("::FFFF:1.2.3.4"),
            json!("2001:db8:0:0::1"),
        ],
        vec![json!("small"), json!("LARGE")],
        vec![json!(["vip"]), json!(["Spare", "VIP"]), json!("spare")],
        vec![json!("u1"), json!("557058:abc-def")],
        vec![json!(["u1", "u2"]), json!("u3")],
        vec![json!("it"), json!("HW_2")],
        vec![json!("it-1"), json!("IT-99")],
        vec![json!(["IT-1", "IT-2"]), json!(["AB-1", "CD-2", "EF-3"])],
        vec![json!("in use"), json!(1), json!("AVAILABLE")],
        vec![json!("free text"), json!("  é  ")],
    ];
    let choices: Vec<(usize, Json)> = pools
        .into_iter()
        .enumerate()
        .flat_map(|(i, pool)| {
            pool.into_iter()
                .chain([Json::Null, json!("")])
                .map(move |v| (i + 1, v))
        })
        .collect();
    prop::collection::vec(prop::sample::select(choices), 0..19).prop_map(|picks| {
        picks
            .into_iter()
            .map(|(i, v)| (format!("A{i}"), v))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn asset_key_display_parse_round_trips(key in asset_key()) {
        let text = key.to_string();
        prop_assert_eq!(AssetKey::parse(&text).unwrap(), key.clone());
        let json = serde_json::to_string(&key).unwrap();
        prop_assert_eq!(serde_json::from_str::<AssetKey>(&json).unwrap(), key);
    }

    #[test]
    fn asset_key_parse_never_panics_and_is_canonical(s in "\\PC{0,16}|[A-Z]{1,3}-[0-9+-]{0,25}") {
        if let Ok(key) = AssetKey::parse(&s) {
            prop_assert_eq!(key.to_string(), s);
        }
    }

    #[test]
    fn datetimes_format_and_parse_back(ms in parse_datetime("0000-01-01T00:00:00Z").unwrap()
                                       ..=parse_datetime("9999-12-31T23:59:59.999Z").unwrap()) {
        let text = format_datetime(ms).unwrap();
        prop_assert_eq!(parse_datetime(&text), Some(ms));
    }

    #[test]
    fn valid_values_round_trip_through_storage(
        singles in prop::collection::vec(kind_and_value(), 0..8),
        multis in prop::collection::vec(multi_values(), 0..3),
    ) {
        let mut defs = Vec::new();
        let mut values = AttributeValues::default();
        for (i, (kind, value)) in singles.into_iter().enumerate() {
            let d = def(i as i64 + 1, kind);
            values.set(d.id, vec![value]);
            defs.push(d);
        }
        for (i, (kind, mut list)) in multis.into_iter().enumerate() {
            list.dedup();
            let d = def(i as i64 + 100, kind);
            values.set(d.id, list);
            defs.push(d);
        }
        let stored = values.to_stored_json();
        let back = AttributeValues::from_stored_json(&defs, &stored);
        prop_assert_eq!(back, Ok(values));
    }

    #[test]
    fn validation_never_panics_and_its_output_is_stable(
        input in prop_oneof![input_map(), plausible_input()],
        existing_input in prop_oneof![input_map(), plausible_input()],
        mode in prop::sample::select(vec![Mode::Create, Mode::Replace, Mode::Patch]),
        required in any::<bool>(),
    ) {
        let attributes = fuzz_attributes(required);
        let statuses = fuzz_statuses();
        let ctx = ValidationContext { attributes: &attributes, statuses: &statuses };
        let existing = validate_values(&ctx, &existing_input, None, Mode::Patch).ok();
        let result = validate_values(&ctx, &input, existing.as_ref(), mode);
        match result {
            Ok(values) => {
                // Valid output is stored and read back unchanged…
                let stored = values.to_stored_json();
                prop_assert_eq!(AttributeValues::from_stored_json(&attributes, &stored), Ok(values.clone()));
                // …and the API form of valid values is valid input that means the same.
                let api = values.to_api_json(&attributes);
                prop_assert_eq!(validate_values(&ctx, &api, None, Mode::Create), Ok(values));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors.iter() {
                    prop_assert!(e.message.starts_with(&format!("{}: ", e.field)), "{:?}", e);
                }
            }
        }
    }
}

#[test]
fn fuzz_context_accepts_a_full_valid_asset() {
    let attributes = fuzz_attributes(true);
    let statuses = fuzz_statuses();
    let ctx = ValidationContext {
        attributes: &attributes,
        statuses: &statuses,
    };
    let Json::Object(input) = json!({
        "A1": "SN1", "A2": "notes", "A3": 5, "A4": 1.25, "A5": true, "A6": "2024-02-29",
        "A7": "2026-11-24T10:15:00.5+01:00", "A8": "https://example.com/x", "A9": "a@example.com",
        "A10": "::1", "A11": "small", "A12": ["vip"], "A13": "u1", "A14": ["u1", "u2"],
        "A15": "it", "A16": "IT-1", "A17": ["IT-2", "IT-3"], "A18": "in use", "A19": "free"
    }) else {
        unreachable!()
    };
    let values = validate_values(&ctx, &input, None, Mode::Create).unwrap();
    assert_eq!(values.0.len(), 19);
    let api = values.to_api_json(&attributes);
    assert_eq!(api["A7"], json!("2026-11-24T09:15:00.500Z"));
    assert_eq!(api["A11"], json!("Small"));
    assert_eq!(api["A18"], json!(2));
}
