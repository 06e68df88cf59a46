//! What changed on an asset, as shown in its history tab and sent to audit logs.

use crate::attribute::AttributeDef;
use crate::ids::AttributeId;
use crate::schema::AssetKey;
use crate::value::AttributeValues;
use serde::{Deserialize, Serialize};

/// One entry of an asset's history. Names and values are copied in at the time of the change so
/// the history still reads correctly after attributes, statuses or types are renamed or deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum HistoryEvent {
    Created,
    // utoipa does not read serde's `rename_all_fields`; these repeat it for the schema.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    AttributeChanged {
        attribute_id: AttributeId,
        attribute: String,
        /// API JSON form; `null` when there was no value.
        old: serde_json::Value,
        new: serde_json::Value,
    },
    StatusChanged {
        old: String,
        new: String,
    },
    TypeChanged {
        old: String,
        new: String,
    },
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Linked {
        issue_id: i64,
        issue_key: String,
    },
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Unlinked {
        issue_id: i64,
        issue_key: String,
        reason: String,
    },
    Archived,
    Restored,
    /// Handed to `holder`. The status move it makes is its own `StatusChanged`.
    CheckedOut {
        holder: crate::custody::Holder,
        #[serde(with = "crate::custody::day")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
        due: Option<i32>,
        issue: Option<String>,
        note: String,
    },
    /// Booked for a person over `[start, end)` by booking `booking`.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Booked {
        booking: i64,
        account_id: String,
        #[serde(with = "crate::custody::instant")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        start: i64,
        #[serde(with = "crate::custody::instant")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        end: i64,
    },
    /// Booking `booking` was called off before pickup.
    BookingCancelled {
        booking: i64,
    },
    /// Given back by `holder` (the one it was checked out to) in `condition`.
    CheckedIn {
        holder: crate::custody::Holder,
        condition: crate::custody::Condition,
        /// The issue the check-out was for, so the history reads whole without looking back.
        issue: Option<String>,
        note: String,
    },
    /// The licence's terms were set (first) or changed: the terms now in force.
    LicenceChanged {
        terms: crate::licence::LicenceTerms,
    },
    /// A seat of this licence went to `assignee`.
    SeatAssigned {
        assignee: crate::licence::Assignee,
        issue: Option<String>,
        note: String,
    },
    /// `assignee`'s seat of this licence was freed.
    SeatReleased {
        assignee: crate::licence::Assignee,
        note: String,
    },
    /// `quantity` of this item arrived at `location`; `level` is the location's quantity after.
    StockReceived {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        location: AssetKey,
        quantity: i64,
        level: i64,
        issue: Option<String>,
        note: String,
    },
    /// `quantity` of this item left `location` for `to`.
    StockIssued {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        location: AssetKey,
        quantity: i64,
        level: i64,
        to: crate::licence::Assignee,
        issue: Option<String>,
        note: String,
    },
    /// `quantity` of this item came back from `from` into `location`.
    StockReturned {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        location: AssetKey,
        quantity: i64,
        level: i64,
        from: crate::licence::Assignee,
        note: String,
    },
    /// `quantity` of this item went from one location to another.
    StockMoved {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from: AssetKey,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: AssetKey,
        quantity: i64,
        note: String,
    },
    /// This item was counted at `location`: the books said `before`, the shelf had `after`.
    StockCounted {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        location: AssetKey,
        before: i64,
        after: i64,
        note: String,
    },
    /// The least `location` should hold of this item changed (0: no minimum).
    StockMinimumChanged {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        location: AssetKey,
        old: i64,
        new: i64,
    },
    /// Set aside for request `request`, approved on `issue`, for the person `account_id`:
    /// nothing else may check it out until the request is fulfilled or released.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Reserved {
        request: i64,
        issue: String,
        account_id: String,
    },
    /// The reservation for `request` ended without a hand-out (`why`: the issue rejected it,
    /// was closed, deleted or left its approving status, or the request was cancelled).
    Unreserved {
        request: i64,
        issue: String,
        why: crate::request::Why,
    },
}

/// One `AttributeChanged` per attribute of `attributes` whose API form differs, in the order of
/// `attributes` (the form's order). Comparing the API form means a change is recorded exactly
/// when a user would see one.
pub fn diff_values(
    attributes: &[AttributeDef],
    old: &AttributeValues,
    new: &AttributeValues,
) -> Vec<HistoryEvent> {
    attributes
        .iter()
        .filter_map(|def| {
            let before = old.api_value(def);
            let after = new.api_value(def);
            (before != after).then(|| HistoryEvent::AttributeChanged {
                attribute_id: def.id,
                attribute: def.name.clone(),
                old: before,
                new: after,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::AttributeKind;
    use crate::ids::TypeId;
    use crate::value::Value;
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

    #[test]
    fn diff_reports_each_changed_attribute_in_api_form() {
        let defs = vec![
            def(1, "Serial", AttributeKind::Text { regex: None }),
            def(
                2,
                "Tags",
                AttributeKind::Select {
                    options: vec!["A".into(), "B".into()],
                    multiple: true,
                },
            ),
            def(
                3,
                "RAM",
                AttributeKind::Integer {
                    min: None,
                    max: None,
                },
            ),
            def(4, "Notes", AttributeKind::Textarea),
        ];
        let mut old = AttributeValues::default();
        old.set(AttributeId(1), vec![Value::Text("SN1".into())]);
        old.set(AttributeId(2), vec![Value::Text("A".into())]);
        old.set(AttributeId(4), vec![Value::Text("same".into())]);
        let mut new = old.clone();
        new.remove(AttributeId(1));
        new.set(
            AttributeId(2),
            vec![Value::Text("A".into()), Value::Text("B".into())],
        );
        new.set(AttributeId(3), vec![Value::Integer(8)]);

        let events = diff_values(&defs, &old, &new);
        assert_eq!(
            events,
            vec![
                HistoryEvent::AttributeChanged {
                    attribute_id: AttributeId(1),
                    attribute: "Serial".into(),
                    old: json!("SN1"),
                    new: json!(null),
                },
                HistoryEvent::AttributeChanged {
                    attribute_id: AttributeId(2),
                    attribute: "Tags".into(),
                    old: json!(["A"]),
                    new: json!(["A", "B"]),
                },
                HistoryEvent::AttributeChanged {
                    attribute_id: AttributeId(3),
                    attribute: "RAM".into(),
                    old: json!(null),
                    new: json!(8),
                },
            ]
        );
        assert!(diff_values(&defs, &new, &new).is_empty());
    }

    #[test]
    fn events_serialize_with_a_kind_tag_and_camel_case_fields() {
        let cases = [
            (HistoryEvent::Created, json!({"kind": "created"})),
            (
                HistoryEvent::AttributeChanged {
                    attribute_id: AttributeId(3),
                    attribute: "RAM".into(),
                    old: json!(null),
                    new: json!(8),
                },
                json!({"kind": "attribute_changed", "attributeId": 3, "attribute": "RAM", "old": null, "new": 8}),
            ),
            (
                HistoryEvent::StatusChanged {
                    old: "Available".into(),
                    new: "In use".into(),
                },
                json!({"kind": "status_changed", "old": "Available", "new": "In use"}),
            ),
            (
                HistoryEvent::TypeChanged {
                    old: "Laptop".into(),
                    new: "Desktop".into(),
                },
                json!({"kind": "type_changed", "old": "Laptop", "new": "Desktop"}),
            ),
            (
                HistoryEvent::Linked {
                    issue_id: 10_001,
                    issue_key: "HELP-1".into(),
                },
                json!({"kind": "linked", "issueId": 10_001, "issueKey": "HELP-1"}),
            ),
            (
                HistoryEvent::Unlinked {
                    issue_id: 10_001,
                    issue_key: "HELP-1".into(),
                    reason: "issue deleted".into(),
                },
                json!({"kind": "unlinked", "issueId": 10_001, "issueKey": "HELP-1", "reason": "issue deleted"}),
            ),
            (HistoryEvent::Archived, json!({"kind": "archived"})),
            (HistoryEvent::Restored, json!({"kind": "restored"})),
            (
                HistoryEvent::Booked {
                    booking: 7,
                    account_id: "557058:abc".into(),
                    start: 1_900_000_000_000,
                    end: 1_900_086_400_000,
                },
                json!({"kind": "booked", "booking": 7, "accountId": "557058:abc",
                    "start": "2030-03-17T17:46:40Z", "end": "2030-03-18T17:46:40Z"}),
            ),
            (
                HistoryEvent::BookingCancelled { booking: 7 },
                json!({"kind": "booking_cancelled", "booking": 7}),
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(serde_json::to_value(&event).unwrap(), expected);
            assert_eq!(
                serde_json::from_value::<HistoryEvent>(expected).unwrap(),
                event
            );
        }
    }
}
