//! The dashboard's pure parts: which month a moment counts in, the settings only an admin can give
//! (which attribute is the location, which dates are warranty or end-of-life dates), and the AQL
//! text that selects each slice of a chart, so that every figure links to the list it summarises.
//!
//! Slices are built as query trees and printed, never pasted together as text, so a type or
//! status named `Spare "B"` or `and` still gives a query that parses back to the same slice.

use crate::aql::{Attr, CompareOp, DateAnchor, Expr, Function, Offset, Path, Query, TimeUnit};
use crate::error::{ValidationErrors, rules};
use crate::ids::AttributeId;
use crate::{AttributeDef, AttributeKind};
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

/// The most date attributes a schema can mark, so the dashboard's cost stays bounded.
pub const MAX_LIFECYCLE_DATES: usize = 5;

/// What the dashboard reads that the data cannot tell: marked by a schema admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportSettings {
    /// A reference attribute whose targets are places: "counts by location" groups by it.
    #[serde(default)]
    pub location_attribute: Option<AttributeId>,
    /// Date attributes such as "Warranty end" or "End of life", shown as what falls due soon.
    #[serde(default)]
    pub lifecycle_dates: Vec<AttributeId>,
}

impl ReportSettings {
    /// Checks the settings against the schema's attributes: the location must be a reference and
    /// the lifecycle dates must be dates, each named once.
    pub fn validate(&self, attributes: &[AttributeDef]) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let find = |id: AttributeId| attributes.iter().find(|a| a.id == id);
        if let Some(id) = self.location_attribute {
            match find(id) {
                Some(a) if matches!(a.kind, AttributeKind::Reference { .. }) => {}
                Some(a) => errors.push(
                    "locationAttribute",
                    rules::REFERENCE_TARGET,
                    format!("\"{}\" is not a reference attribute", a.name),
                ),
                None => errors.push(
                    "locationAttribute",
                    rules::REFERENCE_TARGET,
                    format!("attribute {} is not in this schema", id.0),
                ),
            }
        }
        if self.lifecycle_dates.len() > MAX_LIFECYCLE_DATES {
            errors.push(
                "lifecycleDates",
                rules::MAX_LENGTH,
                format!("at most {MAX_LIFECYCLE_DATES} date attributes can be marked"),
            );
        }
        for (i, id) in self.lifecycle_dates.iter().enumerate() {
            let field = format!("lifecycleDates[{i}]");
            if self.lifecycle_dates[..i].contains(id) {
                errors.push(field, rules::DUPLICATE_VALUE, "marked twice");
                continue;
            }
            match find(*id) {
                Some(a) if matches!(a.kind, AttributeKind::Date | AttributeKind::Datetime) => {}
                Some(a) => errors.push(
                    field,
                    rules::REFERENCE_TARGET,
                    format!("\"{}\" is not a date attribute", a.name),
                ),
                None => errors.push(
                    field,
                    rules::REFERENCE_TARGET,
                    format!("attribute {} is not in this schema", id.0),
                ),
            }
        }
        errors.into_result(())
    }
}

/// The month a moment counts in, as `yyyymm` (UTC): the key of the created and retired tallies.
pub fn month_of_millis(millis: i64) -> i64 {
    let at = OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    i64::from(at.year()) * 100 + i64::from(u8::from(at.month()))
}

/// The `count` months up to and including the one `now_millis` falls in, oldest first.
pub fn last_months(now_millis: i64, count: usize) -> Vec<i64> {
    let mut month = month_of_millis(now_millis);
    let mut months = Vec::with_capacity(count);
    for _ in 0..count {
        months.push(month);
        month = if month % 100 == 1 {
            month - 100 + 11
        } else {
            month - 1
        };
    }
    months.reverse();
    months
}

/// The first day of a `yyyymm` month and of the month after, as `YYYY-MM-DD`.
pub fn month_bounds(month: i64) -> Option<(String, String)> {
    let year = i32::try_from(month / 100).ok()?;
    let number = u8::try_from(month % 100).ok()?;
    let start = Date::from_calendar_date(year, Month::try_from(number).ok()?, 1).ok()?;
    let end = if number == 12 {
        Date::from_calendar_date(year + 1, Month::January, 1).ok()?
    } else {
        Date::from_calendar_date(year, Month::try_from(number + 1).ok()?, 1).ok()?
    };
    let format = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    Some((format(start), format(end)))
}

fn compare(attr: Attr, op: CompareOp, value: crate::aql::Value) -> Expr {
    Expr::Compare {
        path: Path::single(attr),
        op,
        value,
        value_span: Default::default(),
    }
}

fn text(s: &str) -> crate::aql::Value {
    crate::aql::Value::Str(s.to_owned())
}

fn print(filter: Expr) -> String {
    Query {
        filter: Some(filter),
        order_by: Vec::new(),
    }
    .to_string()
}

/// `objectType = "<name>"`: assets of exactly that type, as the type tree counts them.
pub fn slice_type(type_name: &str) -> String {
    print(compare(Attr::ObjectType, CompareOp::Eq, text(type_name)))
}

/// `status = "<name>"`.
pub fn slice_status(status_name: &str) -> String {
    print(compare(Attr::Status, CompareOp::Eq, text(status_name)))
}

/// `"<attribute>" = <key>`: assets whose reference attribute points at the asset `key`.
pub fn slice_reference(attribute: &str, key: &str) -> String {
    print(compare(
        Attr::Named(attribute.to_owned()),
        CompareOp::Eq,
        text(key),
    ))
}

/// `created >= "<first day>" AND created < "<first day of next month>"`.
pub fn slice_created_in(month: i64) -> Option<String> {
    slice_month(Attr::Created, month)
}

/// `retired >= "<first day>" AND retired < "<first day of next month>"`: assets retired in the
/// month and still retired, which is what the trend's retired bar counts.
pub fn slice_retired_in(month: i64) -> Option<String> {
    slice_month(Attr::Retired, month)
}

fn slice_month(attr: Attr, month: i64) -> Option<String> {
    let (start, end) = month_bounds(month)?;
    Some(print(Expr::And(vec![
        compare(attr.clone(), CompareOp::Ge, text(&start)),
        compare(attr, CompareOp::Lt, text(&end)),
    ])))
}

fn day_offset(days: u32) -> crate::aql::Value {
    crate::aql::Value::Function(Function::Date {
        anchor: DateAnchor::StartOfDay,
        offset: (days > 0).then(|| Offset {
            negative: false,
            parts: vec![(days, TimeUnit::Days)],
        }),
    })
}

/// `"<attribute>" >= startOfDay() AND "<attribute>" < startOfDay(<days + 1>d)`: a date that
/// falls due from today up to and including the day `days` from now.
pub fn slice_due_within(attribute: &str, days: u32) -> String {
    print(Expr::And(vec![
        compare(
            Attr::Named(attribute.to_owned()),
            CompareOp::Ge,
            day_offset(0),
        ),
        compare(
            Attr::Named(attribute.to_owned()),
            CompareOp::Lt,
            day_offset(days + 1),
        ),
    ]))
}

/// `objectType IN (<types>) AND "<attribute>" IS EMPTY`: assets that lack a required value.
pub fn slice_missing(type_names: &[&str], attribute: &str) -> String {
    let types = match type_names {
        [one] => compare(Attr::ObjectType, CompareOp::Eq, text(one)),
        _ => compare(
            Attr::ObjectType,
            CompareOp::In,
            crate::aql::Value::List(type_names.iter().map(|n| text(n)).collect()),
        ),
    };
    print(Expr::And(vec![
        types,
        compare(
            Attr::Named(attribute.to_owned()),
            CompareOp::Is,
            crate::aql::Value::Empty,
        ),
    ]))
}

/// `object HAVING brokenRule("<attribute>")`: values that break the attribute's current
/// pattern, written before it tightened.
pub fn slice_broken_rule(attribute: &str) -> String {
    print(Expr::BrokenRule(
        vec![attribute.to_owned()],
        Default::default(),
    ))
}

/// `"<attribute>" < <min>` or `"<attribute>" > <max>`: values outside a bound, which values
/// written before the bound was tightened can be.
pub fn slice_out_of_bound(attribute: &str, below: bool, bound: &str) -> String {
    print(compare(
        Attr::Named(attribute.to_owned()),
        if below { CompareOp::Lt } else { CompareOp::Gt },
        crate::aql::Value::Number(bound.to_owned()),
    ))
}

/// `"<attribute>" IN (<values>)` (or `=` for one): assets holding any of the values, which for
/// a select are the options removed after assets chose them.
pub fn slice_values_in(attribute: &str, values: &[String]) -> String {
    let attr = Attr::Named(attribute.to_owned());
    print(match values {
        [one] => compare(attr, CompareOp::Eq, text(one)),
        _ => compare(
            attr,
            CompareOp::In,
            crate::aql::Value::List(values.iter().map(|v| text(v)).collect()),
        ),
    })
}

/// A bound as AQL writes a number: integers plainly, decimals without exponent or trailing
/// zeros, so the slice parses back to the same number.
pub fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aql;

    #[test]
    fn months_count_in_utc_and_wrap_the_year() {
        // 2026-12-31T23:30:00Z is still December in UTC.
        assert_eq!(month_of_millis(1_798_759_800_000), 202612);
        assert_eq!(month_of_millis(0), 197001);
        assert_eq!(month_of_millis(-1), 196912);
        assert_eq!(
            last_months(1_798_759_800_000, 3),
            vec![202610, 202611, 202612]
        );
        assert_eq!(last_months(1_767_225_600_000, 2), vec![202512, 202601]);
        assert_eq!(
            month_bounds(202612),
            Some(("2026-12-01".into(), "2027-01-01".into()))
        );
        assert_eq!(
            month_bounds(202602),
            Some(("2026-02-01".into(), "2026-03-01".into()))
        );
        assert_eq!(month_bounds(202613), None);
    }

    #[test]
    fn slices_parse_back_whatever_the_names() {
        let slices = [
            slice_type("Laptop"),
            slice_type("and"),
            slice_status(r#"Spare "B""#),
            slice_reference("Location", "IT-12"),
            slice_created_in(202611).unwrap(),
            slice_due_within("Warranty end", 30),
            slice_missing(&["Laptop", "Server"], "Serial number"),
            slice_missing(&["Laptop"], "Serial number"),
            slice_out_of_bound("RAM (GB)", true, "4"),
            slice_out_of_bound("Price", false, &number_text(2500.5)),
            slice_out_of_bound("Price", true, &number_text(-3.0)),
            slice_values_in("Accessories", &["bag".into(), "old \"x\"".into()]),
            slice_values_in("OS", &["windows 7".into()]),
            slice_broken_rule("Serial number"),
            slice_retired_in(202612).unwrap(),
        ];
        for slice in &slices {
            let parsed = aql::parse(slice).unwrap_or_else(|e| panic!("{slice}: {e:?}"));
            assert_eq!(&parsed.to_string(), slice);
        }
        assert_eq!(slices[1], r#"objectType = "and""#);
        assert_eq!(slices[2], r#"status = "Spare \"B\"""#);
        assert_eq!(
            slices[4],
            r#"created >= "2026-11-01" AND created < "2026-12-01""#
        );
        assert_eq!(
            slices[5],
            r#""Warranty end" >= startOfDay() AND "Warranty end" < startOfDay(+31d)"#
        );
        assert_eq!(
            slices[6],
            r#"objectType IN (Laptop, Server) AND "Serial number" IS EMPTY"#
        );
        assert_eq!(slices[8], r#""RAM (GB)" < 4"#);
        assert_eq!(slices[9], r#"Price > 2500.5"#);
        assert_eq!(slices[10], r#"Price < -3"#);
        assert_eq!(slices[11], r#"Accessories IN (bag, "old \"x\"")"#);
        assert_eq!(slices[12], r#"OS = "windows 7""#);
        assert_eq!(slices[13], r#"object HAVING brokenRule("Serial number")"#);
        assert_eq!(
            slices[14],
            r#"retired >= "2026-12-01" AND retired < "2027-01-01""#
        );
        assert_eq!(number_text(0.1 + 0.2), "0.3");
    }

    fn attribute(id: i64, name: &str, kind: AttributeKind) -> AttributeDef {
        AttributeDef {
            id: AttributeId(id),
            type_id: crate::TypeId(1),
            name: name.into(),
            kind,
            required: false,
            unique: false,
            description: String::new(),
            position: 0,
        }
    }

    #[test]
    fn settings_name_a_reference_and_dates() {
        let attributes = vec![
            attribute(1, "Serial", AttributeKind::Text { regex: None }),
            attribute(2, "Warranty end", AttributeKind::Date),
        ];
        let ok = ReportSettings {
            location_attribute: None,
            lifecycle_dates: vec![AttributeId(2)],
        };
        assert!(ok.validate(&attributes).is_ok());
        let bad = ReportSettings {
            location_attribute: Some(AttributeId(1)),
            lifecycle_dates: vec![
                AttributeId(1),
                AttributeId(2),
                AttributeId(2),
                AttributeId(9),
            ],
        };
        let errors = bad.validate(&attributes).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "locationAttribute",
                "lifecycleDates[0]",
                "lifecycleDates[2]",
                "lifecycleDates[3]"
            ]
        );
    }
}
