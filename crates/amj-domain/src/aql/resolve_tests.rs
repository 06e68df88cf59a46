//! Resolution and completion against a small IT schema: names, kinds, the case rule, paths,
//! functions, and the errors a person sees, as snapshots.

use super::*;
use crate::ids::{AttributeId, SchemaId, StatusId, TypeId};
use crate::{
    AssetType, AttributeDef, AttributeKind, Schema, SchemaKey, Status, StatusCategory, TypeTree,
};

struct Fixture {
    schema: Schema,
    statuses: Vec<Status>,
    types: TypeTree,
    attributes: Vec<AttributeDef>,
}

const HARDWARE: TypeId = TypeId(1);
const LAPTOP: TypeId = TypeId(2);
const LOCATION: TypeId = TypeId(3);
const PHONE: TypeId = TypeId(4);

const NAME_HW: AttributeId = AttributeId(10);
const NAME_LOC: AttributeId = AttributeId(11);
const SERIAL: AttributeId = AttributeId(12);
const PURCHASED: AttributeId = AttributeId(13);
const LOCATED_IN: AttributeId = AttributeId(14);
const RAM: AttributeId = AttributeId(15);
const OWNER: AttributeId = AttributeId(16);
const PRICE: AttributeId = AttributeId(17);
const ENCRYPTED: AttributeId = AttributeId(18);
const PARENT: AttributeId = AttributeId(19);
const LAST_SEEN: AttributeId = AttributeId(20);
const SIZE_LAPTOP: AttributeId = AttributeId(21);
const SIZE_PHONE: AttributeId = AttributeId(22);

/// 2026-11-24T10:30:00Z, a Tuesday.
const NOW: i64 = 1_795_516_200_000;
const DAY: i64 = 86_400_000;

fn attribute(id: AttributeId, type_id: TypeId, name: &str, kind: AttributeKind) -> AttributeDef {
    AttributeDef {
        id,
        type_id,
        name: name.to_owned(),
        kind,
        required: false,
        unique: false,
        description: String::new(),
        position: 0,
    }
}

fn asset_type(id: TypeId, parent: Option<TypeId>, name: &str) -> AssetType {
    AssetType {
        id,
        schema_id: SchemaId(1),
        parent_id: parent,
        name: name.to_owned(),
        icon: "box".to_owned(),
        description: String::new(),
        is_abstract: id == HARDWARE,
        label_attribute: None,
    }
}

fn fixture() -> Fixture {
    let reference = |target: TypeId, reference_type: &str| AttributeKind::Reference {
        target_type: target,
        reference_type: reference_type.to_owned(),
        min: 0,
        max: Some(1),
    };
    Fixture {
        schema: Schema {
            id: SchemaId(1),
            key: SchemaKey::parse("IT").unwrap(),
            name: "IT assets".to_owned(),
            description: String::new(),
            users_can_edit: false,
        },
        statuses: vec![
            Status {
                id: StatusId(1),
                schema_id: SchemaId(1),
                name: "In stock".to_owned(),
                category: StatusCategory::Available,
            },
            Status {
                id: StatusId(2),
                schema_id: SchemaId(1),
                name: "In repair".to_owned(),
                category: StatusCategory::Maintenance,
            },
        ],
        types: TypeTree::new(vec![
            asset_type(HARDWARE, None, "Hardware"),
            asset_type(LAPTOP, Some(HARDWARE), "Laptop"),
            asset_type(LOCATION, None, "Location"),
            asset_type(PHONE, Some(HARDWARE), "Phone"),
        ]),
        attributes: vec![
            attribute(
                NAME_HW,
                HARDWARE,
                "Name",
                AttributeKind::Text { regex: None },
            ),
            attribute(
                NAME_LOC,
                LOCATION,
                "Name",
                AttributeKind::Text { regex: None },
            ),
            attribute(
                SERIAL,
                HARDWARE,
                "Serial number",
                AttributeKind::Text { regex: None },
            ),
            attribute(PURCHASED, LAPTOP, "Purchase date", AttributeKind::Date),
            attribute(
                LOCATED_IN,
                HARDWARE,
                "Located in",
                reference(LOCATION, "located in"),
            ),
            attribute(
                RAM,
                LAPTOP,
                "RAM",
                AttributeKind::Integer {
                    min: None,
                    max: None,
                },
            ),
            attribute(
                OWNER,
                LAPTOP,
                "Owner",
                AttributeKind::JiraUser { multiple: false },
            ),
            attribute(
                PRICE,
                LAPTOP,
                "Price",
                AttributeKind::Decimal {
                    min: None,
                    max: None,
                },
            ),
            attribute(ENCRYPTED, LAPTOP, "Encrypted", AttributeKind::Boolean),
            attribute(PARENT, LOCATION, "Parent", reference(LOCATION, "part of")),
            attribute(LAST_SEEN, LAPTOP, "Last seen", AttributeKind::Datetime),
            attribute(
                SIZE_LAPTOP,
                LAPTOP,
                "Size",
                AttributeKind::Integer {
                    min: None,
                    max: None,
                },
            ),
            attribute(
                SIZE_PHONE,
                PHONE,
                "Size",
                AttributeKind::Select {
                    options: vec!["Small".into(), "Large".into()],
                    multiple: false,
                },
            ),
        ],
    }
}

impl Fixture {
    fn catalog(&self) -> Catalog<'_> {
        Catalog {
            schema: &self.schema,
            statuses: &self.statuses,
            types: &self.types,
            attributes: &self.attributes,
        }
    }

    fn resolve_as(&self, source: &str, user: Option<&str>) -> Result<Plan, ParseError> {
        let query = parse(source).unwrap_or_else(|e| panic!("{}", e.render(source)));
        let context = Context {
            now_millis: NOW,
            current_user: user.map(str::to_owned),
        };
        resolve(&query, source, &self.catalog(), &context)
    }

    fn plan(&self, source: &str) -> Plan {
        self.resolve_as(source, Some("alice-id"))
            .unwrap_or_else(|e| panic!("{}", e.render(source)))
    }

    fn filter(&self, source: &str) -> Filter {
        self.plan(source).filter
    }

    /// The rendered error, as a person sees it.
    fn error(&self, source: &str) -> String {
        match self.resolve_as(source, None) {
            Ok(plan) => panic!("{source} resolved to {plan:?}"),
            Err(e) => e.render(source),
        }
    }
}

fn value(attributes: &[AttributeId], cond: ValueCond) -> Filter {
    Filter::Value {
        attributes: attributes.to_vec(),
        cond,
    }
}

fn text_eq(s: &str) -> ValueCond {
    ValueCond::Text(TextCond::Cmp(Cmp::Eq(s.to_owned())))
}

#[test]
fn a_name_shared_by_types_means_all_of_them() {
    let f = fixture();
    assert_eq!(
        f.filter("Name = Berlin"),
        value(&[NAME_HW, NAME_LOC], text_eq("berlin"))
    );
}

#[test]
fn text_ignores_case_except_double_equals() {
    let f = fixture();
    assert_eq!(
        f.filter(r#""Serial number" = "  AB-1 ""#),
        value(&[SERIAL], text_eq("ab-1"))
    );
    assert_eq!(
        f.filter(r#""serial NUMBER" == "AB-1""#),
        value(&[SERIAL], ValueCond::TextExact("AB-1".into()))
    );
    assert!(
        f.resolve_as("Serial like AB", None).is_err(),
        "a name must match whole"
    );
}

#[test]
fn typed_values() {
    let f = fixture();
    assert_eq!(
        f.filter("RAM >= 16"),
        value(&[RAM], ValueCond::Int(Cmp::Ge(16)))
    );
    assert_eq!(
        f.filter("Price < 99.5"),
        value(&[PRICE], ValueCond::Num(Cmp::Lt(99.5)))
    );
    assert_eq!(
        f.filter("Encrypted = TRUE"),
        value(&[ENCRYPTED], ValueCond::Int(Cmp::Eq(1)))
    );
    assert_eq!(
        f.filter(r#""Purchase date" > 2026-01-31"#),
        value(&[PURCHASED], ValueCond::Int(Cmp::Gt(20_484)))
    );
    assert_eq!(
        f.filter(r#""Last seen" < "2026-11-24T10:00:00Z""#),
        value(&[LAST_SEEN], ValueCond::Int(Cmp::Lt(NOW - 30 * 60_000)))
    );
    assert_eq!(
        f.filter("Owner = currentUser()"),
        value(&[OWNER], text_eq("alice-id"))
    );
    assert_eq!(
        f.filter(r#"Owner in user("A", "b")"#),
        value(
            &[OWNER],
            ValueCond::Text(TextCond::Cmp(Cmp::In(vec!["a".into(), "b".into()])))
        )
    );
}

#[test]
fn date_functions_count_from_now_in_utc() {
    let f = fixture();
    let created = |source: &str| match f.filter(source) {
        Filter::Asset(AssetCond::Created(Cmp::Gt(millis))) => millis,
        other => panic!("{source}: {other:?}"),
    };
    assert_eq!(created("created > now()"), NOW);
    assert_eq!(created("created > now(-1d 2h)"), NOW - DAY - 2 * 3_600_000);
    assert_eq!(created("created > now(+1w)"), NOW + 7 * DAY);
    let midnight = NOW - (10 * 3_600_000 + 30 * 60_000);
    assert_eq!(created("created > startOfDay()"), midnight);
    assert_eq!(created("created > endOfDay()"), midnight + DAY - 1);
    assert_eq!(
        created("created > startOfWeek()"),
        midnight - DAY,
        "weeks start on Monday"
    );
    assert_eq!(created("created > startOfMonth()"), midnight - 23 * DAY);
    assert_eq!(created("created > endOfMonth()"), midnight + 7 * DAY - 1);
    assert_eq!(created("created > startOfYear()"), 1_767_225_600_000);
    assert_eq!(created("created > endOfYear()"), 1_798_761_600_000 - 1);
    // A date attribute compares whole days: the day of the instant.
    assert_eq!(
        f.filter(r#""Purchase date" >= now(-30d)"#),
        value(
            &[PURCHASED],
            ValueCond::Int(Cmp::Ge((NOW - 30 * DAY) / DAY))
        )
    );
}

#[test]
fn negations_never_match_assets_without_a_value() {
    let f = fixture();
    let has = value(&[RAM], ValueCond::Exists);
    let eight = value(&[RAM], ValueCond::Int(Cmp::Eq(8)));
    assert_eq!(
        f.filter("RAM != 8"),
        Filter::And(vec![has.clone(), Filter::Not(Box::new(eight.clone()))])
    );
    assert_eq!(f.filter("RAM IS EMPTY"), Filter::Not(Box::new(has.clone())));
    assert_eq!(f.filter("RAM IS NOT EMPTY"), has);
    assert_eq!(f.filter("NOT RAM = 8"), Filter::Not(Box::new(eight)));
}

#[test]
fn keywords() {
    let f = fixture();
    assert_eq!(
        f.filter("objectType = laptop"),
        Filter::Asset(AssetCond::TypeIn(vec![LAPTOP]))
    );
    assert_eq!(
        f.filter(r#"objectType IN objectTypeAndChildren("Hardware")"#),
        Filter::Asset(AssetCond::TypeIn(vec![HARDWARE, LAPTOP, PHONE]))
    );
    assert_eq!(
        f.filter(r#"status in ("in STOCK", "In repair")"#),
        Filter::Asset(AssetCond::StatusIn(vec![StatusId(1), StatusId(2)]))
    );
    assert_eq!(
        f.filter("Key = IT-42"),
        Filter::Asset(AssetCond::Number(Cmp::Eq(42)))
    );
    assert_eq!(
        f.filter("Key = HR-42"),
        Filter::Const(false),
        "another schema's key"
    );
    assert_eq!(f.filter("objectSchema = it"), Filter::Const(true));
    assert_eq!(
        f.filter(r#"objectSchema = "IT assets""#),
        Filter::Const(true)
    );
    assert_eq!(f.filter("objectSchema = HR"), Filter::Const(false));
    assert_eq!(
        f.filter("label startswith Mac"),
        Filter::Asset(AssetCond::Label(TextCond::StartsWith("mac".into())))
    );
    assert_eq!(
        f.filter("label == MacBook"),
        Filter::Asset(AssetCond::LabelExact("MacBook".into()))
    );
}

#[test]
fn dot_paths_walk_references() {
    let f = fixture();
    let berlin = value(&[NAME_LOC], text_eq("berlin"));
    assert_eq!(
        f.filter(r#""Located in".Name = Berlin"#),
        Filter::Refers {
            attributes: vec![LOCATED_IN],
            target: Box::new(berlin.clone()),
        }
    );
    assert_eq!(
        f.filter(r#""Located in".Parent.Name = Berlin"#),
        Filter::Refers {
            attributes: vec![LOCATED_IN],
            target: Box::new(Filter::Refers {
                attributes: vec![PARENT],
                target: Box::new(berlin),
            }),
        }
    );
    // A reference compared directly means its key or its label.
    assert_eq!(
        f.filter(r#""Located in" = IT-7"#),
        Filter::Refers {
            attributes: vec![LOCATED_IN],
            target: Box::new(Filter::Or(vec![
                Filter::Asset(AssetCond::Number(Cmp::Eq(7))),
                Filter::Asset(AssetCond::Label(TextCond::Cmp(Cmp::In(vec![
                    "it-7".into()
                ])))),
            ])),
        }
    );
}

#[test]
fn having_references() {
    let f = fixture();
    assert_eq!(
        f.filter(r#"object having inR(objectType = Laptop, "LOCATED IN")"#),
        Filter::ReferredBy {
            attributes: vec![LOCATED_IN],
            source: Box::new(Filter::Asset(AssetCond::TypeIn(vec![LAPTOP]))),
        }
    );
    assert_eq!(
        f.filter("object having outR()"),
        Filter::Refers {
            attributes: vec![LOCATED_IN, PARENT],
            target: Box::new(Filter::Const(true)),
        }
    );
    assert_eq!(
        f.filter("object having connectedTickets()"),
        Filter::Linked(None)
    );
    assert!(matches!(
        f.filter(r#"object having connectedTickets("project = IT")"#),
        Filter::Jql { jql, .. } if jql == "project = IT"
    ));
    assert_eq!(
        f.filter(r#"text ~ "MacBook-Pro""#),
        Filter::Text(vec!["macbook".into(), "pro".into()])
    );
}

#[test]
fn a_value_that_fits_only_some_same_named_attributes_matches_those() {
    let f = fixture();
    // "Size" is an integer on laptops and a select on phones: 15 fits both, Small only the select.
    assert_eq!(
        f.filter("Size = 15"),
        Filter::Or(vec![
            value(&[SIZE_LAPTOP], ValueCond::Int(Cmp::Eq(15))),
            value(&[SIZE_PHONE], text_eq("15")),
        ])
    );
    assert_eq!(
        f.filter("Size = Small"),
        value(&[SIZE_PHONE], text_eq("small"))
    );
}

#[test]
fn orders() {
    let f = fixture();
    assert_eq!(
        f.plan("ORDER BY RAM DESC").order,
        Order::Attribute(vec![RAM])
    );
    assert!(f.plan("ORDER BY RAM DESC").descending);
    assert_eq!(f.plan("order by label").order, Order::Label);
    assert_eq!(f.plan("").order, Order::Key);
    assert_eq!(
        f.plan(r#"ORDER BY "Located in".Name DESC, created"#).order,
        Order::Keys(vec![
            SortKey {
                value: SortValue {
                    hops: vec![vec![LOCATED_IN]],
                    field: SortField::Attribute {
                        attributes: vec![NAME_LOC],
                        class: crate::StorageClass::Text,
                    },
                },
                descending: true,
            },
            SortKey {
                value: SortValue {
                    hops: vec![],
                    field: SortField::Created,
                },
                descending: false,
            },
        ])
    );
    // A name several types share still walks the index: one walk per attribute, merged.
    assert_eq!(
        f.plan("ORDER BY Name").order,
        Order::Attribute(vec![NAME_HW, NAME_LOC])
    );
    // Unless they hold different kinds of values, which cannot be put in one order.
    assert!(
        f.error("ORDER BY Size")
            .starts_with("error: cannot order by `Size`: attributes of that name hold different")
    );
}

#[test]
fn error_unknown_attribute_suggests_the_closest() {
    let f = fixture();
    assert_eq!(
        f.error(r#"objectType = Laptop AND "Serail number" = X"#),
        "error: unknown attribute `Serail number`; did you mean `Serial number`?
 --> line 1, column 25
  |
1 | objectType = Laptop AND \"Serail number\" = X
  |                         ^"
    );
    assert_eq!(
        f.error("Colour = red"),
        "error: unknown attribute `Colour`
 --> line 1, column 1
  |
1 | Colour = red
  | ^"
    );
}

#[test]
fn error_type_mismatch_names_both_types() {
    let f = fixture();
    assert_eq!(
        f.error(r#""Purchase date" < 12"#),
        "error: type mismatch: `Purchase date` expects a date such as 2026-01-31 or now(-7d), but `12` is a number
 --> line 1, column 19
  |
1 | \"Purchase date\" < 12
  |                   ^"
    );
    assert_eq!(
        f.error("RAM > lots"),
        "error: type mismatch: `RAM` expects an integer, but `lots` is text
 --> line 1, column 7
  |
1 | RAM > lots
  |       ^"
    );
}

#[test]
fn error_paths_and_names() {
    let f = fixture();
    assert_eq!(
        f.error("RAM.Name = x"),
        "error: `RAM` is an integer attribute, not a reference, so `.` cannot follow it
 --> line 1, column 1
  |
1 | RAM.Name = x
  | ^"
    );
    assert_eq!(
        f.error("\"Located in\".Serial = x"),
        "error: unknown attribute `Serial`
 --> line 1, column 14
  |
1 | \"Located in\".Serial = x
  |              ^"
    );
    assert_eq!(
        f.error("status = \"In repiar\""),
        "error: unknown status `In repiar`; did you mean `In repair`?
 --> line 1, column 10
  |
1 | status = \"In repiar\"
  |          ^"
    );
    assert_eq!(
        f.error("objectType = Lptop"),
        "error: unknown object type `Lptop`; did you mean `Laptop`?
 --> line 1, column 14
  |
1 | objectType = Lptop
  |              ^"
    );
    assert_eq!(
        f.error("object having inR(Name = x, \"installed on\")"),
        "error: unknown reference type `installed on`
 --> line 1, column 15
  |
1 | object having inR(Name = x, \"installed on\")
  |               ^"
    );
    assert_eq!(
        f.error("Owner = currentUser()"),
        "error: currentUser() needs a signed-in user; API tokens have none
 --> line 1, column 9
  |
1 | Owner = currentUser()
  |         ^"
    );
    assert!(
        f.error(r#"Owner in group("jira-users")"#)
            .starts_with("error: group(…) is not supported yet")
    );
    assert!(
        f.error("Owner = currentReporter()")
            .starts_with("error: currentReporter() is not supported yet")
    );
    assert_eq!(
        f.error("RAM like 8"),
        "error: LIKE does not apply to `RAM` (an integer)
 --> line 1, column 10
  |
1 | RAM like 8
  |          ^"
    );
}

#[test]
fn completions_offer_attributes_then_values() {
    let f = fixture();
    let labels = |source: &str| -> Vec<String> {
        complete(source, source.len(), &f.catalog())
            .items
            .into_iter()
            .map(|c| c.label)
            .collect()
    };
    assert_eq!(labels("Ser"), ["Serial number"]);
    let completions = complete("objectType = Laptop AND ser", 27, &f.catalog());
    assert_eq!(
        (completions.replace_start, completions.replace_end),
        (24, 27)
    );
    assert_eq!(completions.items[0].insert, "\"Serial number\"");
    assert_eq!(labels("status = "), ["In stock", "In repair"]);
    assert_eq!(
        labels("status in (\"In stock\", In"),
        ["In stock", "In repair"]
    );
    assert_eq!(labels("objectType = La"), ["Laptop"]);
    assert_eq!(labels("Encrypted = "), ["true", "false"]);
    assert_eq!(labels("Size = S"), ["Small"]);
    assert!(labels("").contains(&"objectType".to_owned()));
    assert!(labels("Name = x AND \"Loc").contains(&"Located in".to_owned()));
    // Past the end, or inside a multi-byte character, the position is clamped.
    let inside = complete("Größe", 3, &f.catalog());
    assert_eq!(
        inside.replace_end, 2,
        "clamped back to a character boundary"
    );
    assert_eq!(complete("x", 99, &f.catalog()).replace_end, 1);
}

#[test]
fn retired_is_a_date_that_only_retired_assets_have() {
    let f = fixture();
    let retired = Filter::Asset(AssetCond::Retired(None));
    assert_eq!(f.filter("retired IS NOT EMPTY"), retired);
    assert_eq!(
        f.filter("retired IS EMPTY"),
        Filter::Not(Box::new(retired.clone()))
    );
    assert_eq!(
        f.filter(r#"retired >= "2026-11-01""#),
        Filter::Asset(AssetCond::Retired(Some(Cmp::Ge(1_793_491_200_000))))
    );
    // As with attributes, a negation does not match assets that were never retired.
    assert_eq!(
        f.filter(r#"RETIRED != "2026-11-01""#),
        Filter::And(vec![
            retired,
            Filter::Not(Box::new(Filter::Asset(AssetCond::Retired(Some(Cmp::Eq(
                1_793_491_200_000
            ))))))
        ])
    );
}

#[test]
fn custody_keywords_and_functions_resolve() {
    let f = fixture();
    let out = Filter::Custody(CustodyCond::Out);
    assert_eq!(f.filter("holder IS NOT EMPTY"), out);
    assert_eq!(
        f.filter("checkedOut IS EMPTY"),
        Filter::Not(Box::new(out.clone()))
    );
    assert_eq!(
        f.filter("holder = currentUser()"),
        Filter::Custody(CustodyCond::HolderAccount(vec!["alice-id".into()]))
    );
    // A key of this schema names a holder asset; anything else is an accountId.
    assert_eq!(
        f.filter(r#"holder IN (IT-7, "557058:bob", user("carol"))"#),
        Filter::Or(vec![
            Filter::Custody(CustodyCond::HolderAccount(vec![
                "557058:bob".into(),
                "carol".into()
            ])),
            Filter::Custody(CustodyCond::HolderAsset(vec![7])),
        ])
    );
    // A negation does not match assets that are in, as with an attribute without a value.
    assert_eq!(
        f.filter("holder != IT-7"),
        Filter::And(vec![
            out.clone(),
            Filter::Not(Box::new(Filter::Custody(CustodyCond::HolderAsset(vec![7]))))
        ])
    );
    let today = NOW.div_euclid(86_400_000);
    assert_eq!(
        f.filter("object having overdue()"),
        Filter::Custody(CustodyCond::DueBefore(today))
    );
    assert_eq!(
        f.filter(r#"due < "2026-12-24""#),
        Filter::Custody(CustodyCond::Due(Cmp::Lt(20_811)))
    );
    assert_eq!(
        f.filter("due <= now(+2d)"),
        Filter::Custody(CustodyCond::Due(Cmp::Le(today + 2)))
    );
    assert_eq!(
        f.filter(r#"checkedOut >= "2026-11-01""#),
        Filter::Custody(CustodyCond::Since(Cmp::Ge(1_793_491_200_000)))
    );
    assert_eq!(
        f.filter("object having checkedOutFor(hr-12, HR-12, AM-3)"),
        Filter::Custody(CustodyCond::ForIssue(vec!["AM-3".into(), "HR-12".into()]))
    );
    let error = f.error("object having checkedOutFor(twelve)");
    assert!(error.contains("not a Jira issue key"), "{error}");
    let error = f.error("holder = currentUser()");
    assert!(error.contains("signed-in user"), "{error}");
    let error = f.error("holder > IT-7");
    assert!(error.contains("holder"), "{error}");
}

#[test]
fn broken_rule_resolves_names_to_attributes() {
    let f = fixture();
    assert_eq!(
        f.filter("object having brokenRule()"),
        Filter::BrokenRule(None)
    );
    assert_eq!(
        f.filter("object having brokenRule(Owner, owner)"),
        Filter::BrokenRule(Some(vec![OWNER]))
    );
    let error = f.error("object having brokenRule(Nope)");
    assert!(error.contains("Nope"), "{error}");
}

#[test]
fn seat_keywords_resolve_to_licence_conditions() {
    let f = fixture();
    let licensed = Filter::Licence(LicenceCond::Licensed);
    assert_eq!(f.filter("seatsEntitled IS NOT EMPTY"), licensed);
    assert_eq!(
        f.filter("seatsFree = 0"),
        Filter::Licence(LicenceCond::Free(Cmp::Eq(0)))
    );
    assert_eq!(
        f.filter("seatsAssigned >= 10"),
        Filter::Licence(LicenceCond::Assigned(Cmp::Ge(10)))
    );
    assert_eq!(
        f.filter("seatsEntitled IN (5, 10)"),
        Filter::Licence(LicenceCond::Entitled(Cmp::In(vec![5, 10])))
    );
    // As with any attribute, a negation leaves out assets that have no licence at all.
    assert_eq!(
        f.filter("seatsFree != 0"),
        Filter::And(vec![
            licensed.clone(),
            Filter::Not(Box::new(Filter::Licence(LicenceCond::Free(Cmp::Eq(0)))))
        ])
    );
    let error = f.error("seatsFree = many");
    assert!(error.contains("whole number"), "{error}");
    let error = f.error("seatsFree like 3");
    assert!(error.contains("seatsFree"), "{error}");
}

#[test]
fn stock_keywords_resolve_to_stock_conditions() {
    let f = fixture();
    let stocked = Filter::Stock(StockCond::Stocked);
    assert_eq!(f.filter("quantity IS NOT EMPTY"), stocked);
    assert_eq!(
        f.filter("quantity < 5"),
        Filter::Stock(StockCond::Quantity(Cmp::Lt(5)))
    );
    assert_eq!(
        f.filter("Quantity IN (0, 1)"),
        Filter::Stock(StockCond::Quantity(Cmp::In(vec![0, 1])))
    );
    assert_eq!(
        f.filter("belowMinimum = true"),
        Filter::Stock(StockCond::BelowMinimum(true))
    );
    assert_eq!(
        f.filter("belowminimum = FALSE"),
        Filter::Stock(StockCond::BelowMinimum(false))
    );
    // A negation leaves out assets whose stock never moved, as with any attribute.
    assert_eq!(
        f.filter("belowMinimum != true"),
        Filter::And(vec![
            stocked.clone(),
            Filter::Not(Box::new(Filter::Stock(StockCond::BelowMinimum(true))))
        ])
    );
    let error = f.error("belowMinimum = maybe");
    assert!(error.contains("true or false"), "{error}");
    let error = f.error("belowMinimum > true");
    assert!(error.contains("belowMinimum"), "{error}");
    let error = f.error("quantity = lots");
    assert!(error.contains("whole number"), "{error}");
}
