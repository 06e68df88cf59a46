//! Stock (issue 14): quantity-tracked items. An item is an asset of a *stock* type ("USB-C
//! cable, 1 m"); how many there are is kept per location (another asset: a store room, a
//! shelf). These are the rules that need no storage: what each movement must carry, which
//! kinds of item come back, and when a level is below its minimum. The store keeps "a quantity
//! never goes negative" as a conditional update and a constraint under concurrency.

use crate::asset_type::TypeTree;
use crate::custody::{is_account_id, is_issue_key};
use crate::error::{ValidationErrors, rules};
use crate::ids::TypeId;
use crate::licence::Assignee;
use crate::schema::AssetKey;
use serde::{Deserialize, Serialize};

/// Most of an item one movement moves, and most one location may hold: far past any shelf,
/// and far from overflowing a sum over many locations.
pub const QUANTITY_MAX: i64 = 1_000_000_000;
/// Longest note on a movement, in characters.
pub const NOTE_MAX: usize = crate::custody::NOTE_MAX;

/// What happens to an item once it is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StockKind {
    /// Used up (toner, batteries): issuing it is the end of it.
    Consumable,
    /// Lent (headsets, chargers): the recipient has it until it is returned.
    Accessory,
    /// Fitted into an asset (RAM, disks): it stays with that asset until it is taken out.
    Component,
}

impl StockKind {
    /// Whether an issued item is still ours, to be returned.
    pub fn comes_back(self) -> bool {
        !matches!(self, StockKind::Consumable)
    }

    pub fn name(self) -> &'static str {
        match self {
            StockKind::Consumable => "consumable",
            StockKind::Accessory => "accessory",
            StockKind::Component => "component",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "consumable" => StockKind::Consumable,
            "accessory" => StockKind::Accessory,
            "component" => StockKind::Component,
            _ => return None,
        })
    }
}

/// A schema's stock rules: which types are counted rather than tracked one by one, and what
/// kind of stock each is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StockPolicy {
    /// Types whose assets are consumables; their subtypes are too.
    #[serde(default)]
    pub consumable_types: Vec<TypeId>,
    /// Types whose assets are accessories.
    #[serde(default)]
    pub accessory_types: Vec<TypeId>,
    /// Types whose assets are components.
    #[serde(default)]
    pub component_types: Vec<TypeId>,
}

impl StockPolicy {
    /// The stock kind of assets of `type_id`: the nearest of the type and its ancestors that a
    /// list names, so "Cables" can be accessories under "Supplies" that are consumables.
    pub fn kind_of(&self, types: &TypeTree, type_id: TypeId) -> Option<StockKind> {
        types
            .ancestors_and_self(type_id)
            .iter()
            .rev()
            .find_map(|t| self.named_kind(*t))
    }

    fn named_kind(&self, type_id: TypeId) -> Option<StockKind> {
        if self.consumable_types.contains(&type_id) {
            Some(StockKind::Consumable)
        } else if self.accessory_types.contains(&type_id) {
            Some(StockKind::Accessory)
        } else if self.component_types.contains(&type_id) {
            Some(StockKind::Component)
        } else {
            None
        }
    }

    /// Every named type with its kind.
    pub fn typed(&self) -> Vec<(TypeId, StockKind)> {
        let mut out: Vec<(TypeId, StockKind)> = Vec::new();
        for (list, kind) in [
            (&self.consumable_types, StockKind::Consumable),
            (&self.accessory_types, StockKind::Accessory),
            (&self.component_types, StockKind::Component),
        ] {
            out.extend(list.iter().map(|t| (*t, kind)));
        }
        out
    }

    /// Sorted, without duplicates: the form it is stored and answered in.
    pub fn normalized(mut self) -> Self {
        for list in [
            &mut self.consumable_types,
            &mut self.accessory_types,
            &mut self.component_types,
        ] {
            list.sort_by_key(|t| t.0);
            list.dedup();
        }
        self
    }

    /// Checks the policy against the schema: the types exist, and no type is two kinds.
    pub fn validate(&self, types: &TypeTree) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut seen = std::collections::HashMap::new();
        for (field, label, list) in [
            (
                "consumableTypes",
                "Consumable types",
                &self.consumable_types,
            ),
            ("accessoryTypes", "Accessory types", &self.accessory_types),
            ("componentTypes", "Component types", &self.component_types),
        ] {
            for type_id in list {
                match types.get(*type_id) {
                    None => errors.push(
                        field,
                        rules::REFERENCE_TARGET,
                        format!("{label}: type {} is not in this schema", type_id.0),
                    ),
                    Some(t) => {
                        if let Some(other) = seen.insert(*type_id, label)
                            && other != label
                        {
                            errors.push(
                                field,
                                rules::DUPLICATE_VALUE,
                                format!("{label}: {} is already listed as {other}", t.name),
                            );
                        }
                    }
                }
            }
        }
        errors.into_result(())
    }
}

/// One movement of an item's stock. Quantities are counts of the item, always positive; a
/// count gives the quantity found instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Movement {
    /// Delivered to `location`.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Receive {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-7"))]
        location: AssetKey,
        quantity: i64,
        /// The Jira issue it was bought for (`PUR-3`), if any.
        #[serde(default)]
        issue: Option<String>,
        #[serde(default)]
        note: String,
    },
    /// Handed out from `location` to a person or an asset. A consumable is used up; an
    /// accessory or a component stays the recipient's until it is returned.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Issue {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-7"))]
        location: AssetKey,
        quantity: i64,
        to: Assignee,
        /// The Jira issue it is handed out for (`HR-12`), if any.
        #[serde(default)]
        issue: Option<String>,
        #[serde(default)]
        note: String,
    },
    /// Given back by `from` (an accessory or a component it was issued) into `location`.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Return {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-7"))]
        location: AssetKey,
        quantity: i64,
        from: Assignee,
        #[serde(default)]
        note: String,
    },
    /// Carried from one location to another.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Move {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-7"))]
        from: AssetKey,
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-8"))]
        to: AssetKey,
        quantity: i64,
        #[serde(default)]
        note: String,
    },
    /// Counted at `location`: what was found replaces what the books said.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Count {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-7"))]
        location: AssetKey,
        counted: i64,
        #[serde(default)]
        note: String,
    },
}

impl Movement {
    /// The locations it touches, the one stock leaves first.
    pub fn locations(&self) -> Vec<&AssetKey> {
        match self {
            Movement::Receive { location, .. }
            | Movement::Issue { location, .. }
            | Movement::Return { location, .. }
            | Movement::Count { location, .. } => vec![location],
            Movement::Move { from, to, .. } => vec![from, to],
        }
    }

    /// The person or asset it goes to or comes from.
    pub fn party(&self) -> Option<&Assignee> {
        match self {
            Movement::Issue { to, .. } => Some(to),
            Movement::Return { from, .. } => Some(from),
            _ => None,
        }
    }

    pub fn issue(&self) -> Option<&str> {
        match self {
            Movement::Receive { issue, .. } | Movement::Issue { issue, .. } => issue.as_deref(),
            _ => None,
        }
    }

    pub fn note(&self) -> &str {
        match self {
            Movement::Receive { note, .. }
            | Movement::Issue { note, .. }
            | Movement::Return { note, .. }
            | Movement::Move { note, .. }
            | Movement::Count { note, .. } => note,
        }
    }

    /// With the issue key as Jira spells it (after the caller looked it up).
    pub fn with_issue(mut self, key: String) -> Self {
        if let Movement::Receive { issue, .. } | Movement::Issue { issue, .. } = &mut self {
            *issue = Some(key);
        }
        self
    }

    /// Checks what needs no other rows. `item` is the item moved and `kind` its kind: nothing
    /// comes back of a consumable, and a component goes into an asset, not to a person.
    pub fn validate(&self, item: &AssetKey, kind: StockKind) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        match self {
            Movement::Count { counted, .. } => {
                if !(0..=QUANTITY_MAX).contains(counted) {
                    errors.push(
                        "counted",
                        rules::MIN,
                        format!("Counted: must be 0 to {QUANTITY_MAX}"),
                    );
                }
            }
            Movement::Receive { quantity, .. }
            | Movement::Issue { quantity, .. }
            | Movement::Return { quantity, .. }
            | Movement::Move { quantity, .. } => {
                if !(1..=QUANTITY_MAX).contains(quantity) {
                    errors.push(
                        "quantity",
                        rules::MIN,
                        format!("Quantity: must be 1 to {QUANTITY_MAX}"),
                    );
                }
            }
        }
        let fields: &[&str] = match self {
            Movement::Move { .. } => &["from", "to"],
            _ => &["location"],
        };
        for (field, location) in fields.iter().zip(self.locations()) {
            if location == item {
                errors.push(
                    *field,
                    rules::CYCLE,
                    format!("{item} cannot be kept in itself"),
                );
            }
        }
        if let Movement::Move { from, to, .. } = self
            && from == to
        {
            errors.push("to", rules::DUPLICATE_VALUE, "To: must differ from From");
        }
        if let Some(party) = self.party() {
            let field = if matches!(self, Movement::Issue { .. }) {
                "to"
            } else {
                "from"
            };
            match party {
                Assignee::User { account_id } if !is_account_id(account_id) => errors.push(
                    field,
                    rules::FORMAT,
                    "A person is named by their Atlassian accountId",
                ),
                Assignee::User { .. } if kind == StockKind::Component => errors.push(
                    field,
                    "component_to_asset",
                    format!(
                        "{item} is a component: it is fitted into an asset, not given to a person"
                    ),
                ),
                Assignee::Asset { key } if key == item => errors.push(
                    field,
                    rules::CYCLE,
                    format!("{item} cannot be issued to itself"),
                ),
                _ => {}
            }
        }
        if matches!(self, Movement::Return { .. }) && !kind.comes_back() {
            errors.push(
                "kind",
                "not_returnable",
                format!("{item} is a consumable: it is used up when issued, nothing comes back"),
            );
        }
        if let Some(issue) = self.issue()
            && !is_issue_key(issue)
        {
            errors.push(
                "issue",
                rules::FORMAT,
                "Issue: must be a Jira issue key, like HR-12",
            );
        }
        if self.note().chars().count() > NOTE_MAX {
            errors.push(
                "note",
                rules::MAX_LENGTH,
                format!("Note: must be at most {NOTE_MAX} characters"),
            );
        }
        errors.into_result(())
    }
}

/// The least an item's location should hold; restocking is due below it (0: no minimum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MinimumDraft {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IT-7"))]
    pub location: AssetKey,
    pub minimum: i64,
}

impl MinimumDraft {
    pub fn validate(&self, item: &AssetKey) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if !(0..=QUANTITY_MAX).contains(&self.minimum) {
            errors.push(
                "minimum",
                rules::MIN,
                format!("Minimum: must be 0 to {QUANTITY_MAX}"),
            );
        }
        if &self.location == item {
            errors.push(
                "location",
                rules::CYCLE,
                format!("{item} cannot be kept in itself"),
            );
        }
        errors.into_result(())
    }
}

/// Whether a level is below its minimum: a minimum of 0 is none, and exactly the minimum is
/// enough. The store's partial index uses the same comparison (`quantity < minimum`).
pub fn is_below(quantity: i64, minimum: i64) -> bool {
    quantity < minimum
}

/// An item's stock summed over its locations: what asset bodies and AQL's `Quantity` and
/// `Below minimum` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StockCounts {
    /// On the shelves, all locations together.
    pub quantity: i64,
    /// Issued and not yet returned (accessories and components).
    pub issued: i64,
    /// Locations holding less than their minimum.
    pub below_minimum: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset_type::AssetType;
    use crate::ids::SchemaId;

    fn key(n: i64) -> AssetKey {
        AssetKey::parse(&format!("IT-{n}")).unwrap_or_else(|e| panic!("{n}: {e}"))
    }

    fn tree() -> TypeTree {
        let t = |id: i64, parent: Option<i64>, name: &str| AssetType {
            id: TypeId(id),
            schema_id: SchemaId(1),
            parent_id: parent.map(TypeId),
            name: name.into(),
            icon: String::new(),
            description: String::new(),
            is_abstract: false,
            label_attribute: None,
        };
        TypeTree::new(vec![
            t(1, None, "Supplies"),
            t(2, Some(1), "Cables"),
            t(3, Some(2), "USB cables"),
            t(4, None, "Laptops"),
        ])
    }

    fn receive(location: i64, quantity: i64) -> Movement {
        Movement::Receive {
            location: key(location),
            quantity,
            issue: None,
            note: String::new(),
        }
    }

    fn fields(result: Result<(), ValidationErrors>) -> Vec<String> {
        result
            .err()
            .map(|e| e.0.into_iter().map(|e| e.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_nearest_named_type_decides_the_kind() {
        let policy = StockPolicy {
            consumable_types: vec![TypeId(1)],
            accessory_types: vec![TypeId(2)],
            component_types: vec![],
        };
        let types = tree();
        assert_eq!(
            policy.kind_of(&types, TypeId(1)),
            Some(StockKind::Consumable)
        );
        assert_eq!(
            policy.kind_of(&types, TypeId(3)),
            Some(StockKind::Accessory)
        );
        assert_eq!(policy.kind_of(&types, TypeId(4)), None);
        assert_eq!(StockPolicy::default().kind_of(&types, TypeId(1)), None);
    }

    #[test]
    fn a_policy_names_types_of_the_schema_once() {
        let types = tree();
        let policy = StockPolicy {
            consumable_types: vec![TypeId(1), TypeId(99)],
            accessory_types: vec![TypeId(1)],
            component_types: vec![],
        };
        assert_eq!(
            fields(policy.validate(&types)),
            vec!["consumableTypes", "accessoryTypes"]
        );
        let fine = StockPolicy {
            consumable_types: vec![TypeId(2), TypeId(2)],
            ..StockPolicy::default()
        };
        assert!(fine.validate(&types).is_ok());
        assert_eq!(fine.normalized().consumable_types, vec![TypeId(2)]);
    }

    #[test]
    fn quantities_are_positive_and_bounded() {
        let item = key(1);
        assert!(receive(2, 1).validate(&item, StockKind::Consumable).is_ok());
        assert_eq!(
            fields(receive(2, 0).validate(&item, StockKind::Consumable)),
            vec!["quantity"]
        );
        assert_eq!(
            fields(receive(2, QUANTITY_MAX + 1).validate(&item, StockKind::Consumable)),
            vec!["quantity"]
        );
        let count = |counted| Movement::Count {
            location: key(2),
            counted,
            note: String::new(),
        };
        assert!(count(0).validate(&item, StockKind::Accessory).is_ok());
        assert_eq!(
            fields(count(-1).validate(&item, StockKind::Accessory)),
            vec!["counted"]
        );
    }

    #[test]
    fn an_item_is_not_its_own_location_and_a_move_goes_somewhere() {
        let item = key(1);
        assert_eq!(
            fields(receive(1, 3).validate(&item, StockKind::Consumable)),
            vec!["location"]
        );
        let moved = Movement::Move {
            from: key(2),
            to: key(2),
            quantity: 1,
            note: String::new(),
        };
        assert_eq!(
            fields(moved.validate(&item, StockKind::Consumable)),
            vec!["to"]
        );
    }

    #[test]
    fn consumables_do_not_come_back_and_components_go_into_assets() {
        let item = key(1);
        let back = Movement::Return {
            location: key(2),
            quantity: 1,
            from: Assignee::User {
                account_id: "557058:aaaa-bbbb".into(),
            },
            note: String::new(),
        };
        assert_eq!(
            fields(back.validate(&item, StockKind::Consumable)),
            vec!["kind"]
        );
        assert!(back.validate(&item, StockKind::Accessory).is_ok());
        let to_person = Movement::Issue {
            location: key(2),
            quantity: 1,
            to: Assignee::User {
                account_id: "557058:aaaa-bbbb".into(),
            },
            issue: Some("HR-12".into()),
            note: String::new(),
        };
        assert_eq!(
            fields(to_person.validate(&item, StockKind::Component)),
            vec!["to"]
        );
        assert!(to_person.validate(&item, StockKind::Accessory).is_ok());
        let bad = Movement::Issue {
            location: key(2),
            quantity: 1,
            to: Assignee::User {
                account_id: "Alice".into(),
            },
            issue: Some("hr-12".into()),
            note: "x".repeat(NOTE_MAX + 1),
        };
        assert_eq!(
            fields(bad.validate(&item, StockKind::Consumable)),
            vec!["to", "issue", "note"]
        );
    }

    #[test]
    fn a_minimum_of_zero_is_none_and_the_minimum_itself_is_enough() {
        assert!(!is_below(0, 0));
        assert!(!is_below(5, 5));
        assert!(is_below(4, 5));
        let draft = MinimumDraft {
            location: key(1),
            minimum: -1,
        };
        assert_eq!(fields(draft.validate(&key(1))), vec!["minimum", "location"]);
    }

    #[test]
    fn movements_read_and_write_the_documented_wire_form() {
        let text = r#"{"kind":"move","from":"IT-2","to":"IT-3","quantity":4}"#;
        let movement: Movement = serde_json::from_str(text).unwrap();
        assert_eq!(
            movement,
            Movement::Move {
                from: key(2),
                to: key(3),
                quantity: 4,
                note: String::new()
            }
        );
        let issued: Movement = serde_json::from_str(
            r#"{"kind":"issue","location":"IT-2","quantity":1,"to":{"kind":"asset","key":"IT-9"}}"#,
        )
        .unwrap();
        assert_eq!(issued.party(), Some(&Assignee::Asset { key: key(9) }));
        assert!(
            serde_json::from_str::<Movement>(
                r#"{"kind":"count","location":"IT-2","counted":1,"x":1}"#
            )
            .is_err()
        );
    }
}
