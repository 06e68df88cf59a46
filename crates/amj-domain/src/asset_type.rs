//! Asset types and their inheritance tree. A subtype ("Laptop" under "Computer") inherits every
//! attribute of its ancestors, so most of the rules here are about keeping that inheritance
//! well-defined: no cycles, and no two attributes an asset could see under the same name.

use crate::attribute::AttributeDef;
use crate::error::{FieldError, ValidationErrors, char_len, check_name, rules};
use crate::ids::{AttributeId, SchemaId, TypeId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The icons the UI ships. A fixed set, so that the UI never has to load an arbitrary URL inside
/// Jira's page.
pub const ICONS: &[&str] = &[
    "generic", "laptop", "server", "monitor", "phone", "license", "software", "network", "printer",
    "building", "person", "box", "cloud", "database", "tablet", "keyboard",
];

/// The icon used when a client sends none.
pub const DEFAULT_ICON: &str = "generic";

/// An asset type as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetType {
    pub id: TypeId,
    pub schema_id: SchemaId,
    pub parent_id: Option<TypeId>,
    pub name: String,
    pub icon: String,
    pub description: String,
    /// Abstract types only group subtypes ("Hardware"); assets cannot have them.
    pub is_abstract: bool,
    /// The attribute shown as the asset's label; `None` inherits the parent's.
    pub label_attribute: Option<AttributeId>,
}

/// What a client sends to create or change a type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AssetTypeDraft {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<TypeId>,
    #[serde(default)]
    pub icon: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub is_abstract: bool,
}

impl AssetTypeDraft {
    pub const NAME_MAX: usize = 100;
    pub const DESCRIPTION_MAX: usize = 2000;

    /// Checks what needs no other rows; the parent is checked with [`TypeTree::check_parent`].
    /// Store [`AssetTypeDraft::normalized`], which fills in the default icon.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_name(&mut errors, "name", "Name", &self.name, Self::NAME_MAX);
        let icon = self.icon.trim();
        if !icon.is_empty() && !ICONS.contains(&icon) {
            errors.push_error(FieldError::labelled(
                "icon",
                "Icon",
                rules::OPTION,
                format_args!("must be one of {}", ICONS.join(", ")),
            ));
        }
        if char_len(self.description.trim()) > Self::DESCRIPTION_MAX {
            errors.push_error(FieldError::labelled(
                "description",
                "Description",
                rules::MAX_LENGTH,
                format_args!("must be at most {} characters", Self::DESCRIPTION_MAX),
            ));
        }
        errors.into_result(())
    }

    pub fn normalized(&self) -> AssetTypeDraft {
        let icon = self.icon.trim();
        AssetTypeDraft {
            name: self.name.trim().to_owned(),
            parent_id: self.parent_id,
            icon: if icon.is_empty() { DEFAULT_ICON } else { icon }.to_owned(),
            description: self.description.trim().to_owned(),
            is_abstract: self.is_abstract,
        }
    }
}

/// The types of one schema, indexed for walking the inheritance in both directions.
///
/// The store should never let a cycle in, but the walks still guard against one: a corrupt row
/// must produce a wrong answer, not a hung request.
#[derive(Debug, Clone, Default)]
pub struct TypeTree {
    types: BTreeMap<TypeId, AssetType>,
    children: BTreeMap<TypeId, Vec<TypeId>>,
}

impl TypeTree {
    pub fn new(types: Vec<AssetType>) -> TypeTree {
        let mut children: BTreeMap<TypeId, Vec<TypeId>> = BTreeMap::new();
        for t in &types {
            if let Some(parent) = t.parent_id {
                children.entry(parent).or_default().push(t.id);
            }
        }
        for list in children.values_mut() {
            list.sort();
        }
        TypeTree {
            types: types.into_iter().map(|t| (t.id, t)).collect(),
            children,
        }
    }

    pub fn get(&self, id: TypeId) -> Option<&AssetType> {
        self.types.get(&id)
    }

    /// All types, ordered by id.
    pub fn types(&self) -> impl Iterator<Item = &AssetType> {
        self.types.values()
    }

    /// Direct subtypes, ordered by id.
    pub fn children(&self, id: TypeId) -> &[TypeId] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Root first, `id` last; empty when `id` is not in the tree. A parent missing from the tree
    /// ends the walk.
    pub fn ancestors_and_self(&self, id: TypeId) -> Vec<TypeId> {
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut current = self.types.get(&id);
        while let Some(t) = current {
            if !seen.insert(t.id) {
                break;
            }
            chain.push(t.id);
            current = t.parent_id.and_then(|p| self.types.get(&p));
        }
        chain.reverse();
        chain
    }

    /// `id` first, then its subtypes breadth-first; empty when `id` is not in the tree. Queries
    /// like "all Computers" use this, since a Laptop is a Computer.
    pub fn descendants_and_self(&self, id: TypeId) -> Vec<TypeId> {
        if !self.types.contains_key(&id) {
            return Vec::new();
        }
        let mut out = vec![id];
        let mut seen: HashSet<TypeId> = HashSet::from([id]);
        let mut next = 0;
        while let Some(&current) = out.get(next) {
            next += 1;
            for &child in self.children(current) {
                if seen.insert(child) {
                    out.push(child);
                }
            }
        }
        out
    }

    /// Whether an asset of type `candidate` counts as a `of`, e.g. for a reference's target type.
    pub fn is_same_or_descendant(&self, candidate: TypeId, of: TypeId) -> bool {
        self.ancestors_and_self(candidate).contains(&of)
    }

    /// Checks that `new_parent` exists and that making it the parent of `child` (`None` for a
    /// type being created) leaves the tree acyclic.
    pub fn check_parent(
        &self,
        child: Option<TypeId>,
        new_parent: TypeId,
    ) -> Result<(), ValidationErrors> {
        if !self.types.contains_key(&new_parent) {
            return Err(ValidationErrors::single(
                "parentId",
                rules::REFERENCE_TARGET,
                format!("Parent: type {new_parent} does not exist in this schema"),
            ));
        }
        if let Some(child) = child
            && self.is_same_or_descendant(new_parent, child)
        {
            let name = self.types.get(&child).map_or("", |t| t.name.as_str());
            return Err(ValidationErrors::single(
                "parentId",
                rules::CYCLE,
                format!(
                    "Parent: a type cannot be placed under itself or one of its subtypes \
                     (\"{name}\")"
                ),
            ));
        }
        Ok(())
    }

    /// The attributes an asset of `type_id` has: the root's first, each type's in position order,
    /// so a Laptop's form shows the generic Hardware fields before the Laptop-specific ones.
    pub fn effective_attributes(&self, type_id: TypeId, all: &[AttributeDef]) -> Vec<AttributeDef> {
        let mut out = Vec::new();
        for t in self.ancestors_and_self(type_id) {
            let mut own: Vec<&AttributeDef> = all.iter().filter(|a| a.type_id == t).collect();
            own.sort_by_key(|a| (a.position, a.id));
            out.extend(own.into_iter().cloned());
        }
        out
    }

    /// The label attribute: the type's own, else the nearest ancestor's.
    pub fn label_attribute(&self, type_id: TypeId) -> Option<AttributeId> {
        self.ancestors_and_self(type_id)
            .into_iter()
            .rev()
            .find_map(|t| self.types.get(&t).and_then(|t| t.label_attribute))
    }

    /// Attribute names must be unique, case-insensitively, among everything an asset of any
    /// affected type would see: the type's ancestors (inherited by it) and its descendants (which
    /// would inherit the new one). `except` is the attribute being renamed.
    pub fn check_attribute_name(
        &self,
        type_id: TypeId,
        name: &str,
        all: &[AttributeDef],
        except: Option<AttributeId>,
    ) -> Result<(), ValidationErrors> {
        let mut related: HashSet<TypeId> = self.ancestors_and_self(type_id).into_iter().collect();
        related.extend(self.descendants_and_self(type_id));
        related.insert(type_id);
        let wanted = name_key(name);
        let clash = all.iter().find(|a| {
            related.contains(&a.type_id) && Some(a.id) != except && name_key(&a.name) == wanted
        });
        match clash {
            None => Ok(()),
            Some(a) => {
                let owner = self.types.get(&a.type_id).map_or("", |t| t.name.as_str());
                Err(ValidationErrors::single(
                    "name",
                    rules::DUPLICATE_NAME,
                    format!(
                        "Name: \"{}\" clashes with the attribute \"{}\" of type \"{owner}\", \
                         which assets of this type would also see",
                        name.trim(),
                        a.name
                    ),
                ))
            }
        }
    }

    /// Moving a type under a new parent makes the subtree inherit the parent's chain; this checks
    /// that no attribute name in the subtree clashes with one in that chain. Call it after
    /// [`TypeTree::check_parent`].
    pub fn check_reparent_names(
        &self,
        child: TypeId,
        new_parent: TypeId,
        all: &[AttributeDef],
    ) -> Result<(), ValidationErrors> {
        let chain: HashSet<TypeId> = self.ancestors_and_self(new_parent).into_iter().collect();
        let subtree: HashSet<TypeId> = self.descendants_and_self(child).into_iter().collect();
        let inherited: BTreeMap<String, &AttributeDef> = all
            .iter()
            .filter(|a| chain.contains(&a.type_id) && !subtree.contains(&a.type_id))
            .map(|a| (name_key(&a.name), a))
            .collect();
        let mut errors = ValidationErrors::default();
        for a in all.iter().filter(|a| subtree.contains(&a.type_id)) {
            if let Some(clash) = inherited.get(&name_key(&a.name)) {
                errors.push(
                    "parentId",
                    rules::DUPLICATE_NAME,
                    format!(
                        "Parent: the attribute \"{}\" would clash with the inherited attribute \
                         \"{}\"",
                        a.name, clash.name
                    ),
                );
            }
        }
        errors.into_result(())
    }
}

/// How names are compared: trimmed and case-insensitive, so "Serial" and "serial " are the same
/// column to a user and to the query language.
pub(crate) fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::AttributeKind;

    fn ty(id: i64, parent: Option<i64>, label: Option<i64>) -> AssetType {
        AssetType {
            id: TypeId(id),
            schema_id: SchemaId(1),
            parent_id: parent.map(TypeId),
            name: format!("T{id}"),
            icon: DEFAULT_ICON.into(),
            description: String::new(),
            is_abstract: false,
            label_attribute: label.map(AttributeId),
        }
    }

    fn attr(id: i64, type_id: i64, name: &str, position: i32) -> AttributeDef {
        AttributeDef {
            id: AttributeId(id),
            type_id: TypeId(type_id),
            name: name.into(),
            kind: AttributeKind::Textarea,
            required: false,
            unique: false,
            description: String::new(),
            position,
        }
    }

    /// 1 Hardware ─┬─ 2 Computer ─┬─ 4 Laptop
    ///             │              └─ 5 Desktop
    ///             └─ 3 Printer
    /// 6 Software (separate root)
    fn tree() -> TypeTree {
        TypeTree::new(vec![
            ty(4, Some(2), None),
            ty(1, None, Some(10)),
            ty(2, Some(1), None),
            ty(3, Some(1), Some(30)),
            ty(5, Some(2), None),
            ty(6, None, None),
        ])
    }

    fn ids(v: &[i64]) -> Vec<TypeId> {
        v.iter().copied().map(TypeId).collect()
    }

    #[test]
    fn walks_up_and_down() {
        let t = tree();
        assert_eq!(t.ancestors_and_self(TypeId(4)), ids(&[1, 2, 4]));
        assert_eq!(t.ancestors_and_self(TypeId(1)), ids(&[1]));
        assert!(t.ancestors_and_self(TypeId(99)).is_empty());
        assert_eq!(t.descendants_and_self(TypeId(1)), ids(&[1, 2, 3, 4, 5]));
        assert_eq!(t.descendants_and_self(TypeId(2)), ids(&[2, 4, 5]));
        assert_eq!(t.descendants_and_self(TypeId(6)), ids(&[6]));
        assert!(t.descendants_and_self(TypeId(99)).is_empty());
        assert!(t.is_same_or_descendant(TypeId(4), TypeId(1)));
        assert!(t.is_same_or_descendant(TypeId(4), TypeId(4)));
        assert!(!t.is_same_or_descendant(TypeId(1), TypeId(4)));
        assert!(!t.is_same_or_descendant(TypeId(3), TypeId(2)));
        assert_eq!(t.get(TypeId(3)).unwrap().name, "T3");
        assert_eq!(t.children(TypeId(2)), ids(&[4, 5]).as_slice());
        assert_eq!(t.types().count(), 6);
    }

    #[test]
    fn corrupt_cycles_do_not_hang() {
        let t = TypeTree::new(vec![ty(1, Some(2), None), ty(2, Some(1), None)]);
        assert_eq!(t.ancestors_and_self(TypeId(1)), ids(&[2, 1]));
        assert_eq!(t.descendants_and_self(TypeId(1)), ids(&[1, 2]));
        assert_eq!(t.label_attribute(TypeId(1)), None);
    }

    #[test]
    fn check_parent_rejects_cycles_and_unknown_parents() {
        let t = tree();
        assert!(t.check_parent(None, TypeId(2)).is_ok());
        assert!(t.check_parent(Some(TypeId(3)), TypeId(2)).is_ok());
        assert!(t.check_parent(Some(TypeId(2)), TypeId(6)).is_ok());
        for (child, parent) in [(1, 4), (2, 2), (2, 5), (1, 1)] {
            let e = t
                .check_parent(Some(TypeId(child)), TypeId(parent))
                .unwrap_err();
            assert!(e.has("parentId", "cycle"), "{child} under {parent}");
        }
        let e = t.check_parent(None, TypeId(99)).unwrap_err();
        assert!(e.has("parentId", "reference_target"));
    }

    #[test]
    fn effective_attributes_inherit_root_first_by_position() {
        let t = tree();
        let all = vec![
            attr(40, 4, "CPU", 0),
            attr(11, 1, "Vendor", 1),
            attr(10, 1, "Serial", 0),
            attr(20, 2, "RAM", 0),
            attr(30, 3, "Toner", 0),
            attr(41, 4, "Battery", -1),
        ];
        let names: Vec<_> = t
            .effective_attributes(TypeId(4), &all)
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["Serial", "Vendor", "RAM", "Battery", "CPU"]);
        assert_eq!(t.effective_attributes(TypeId(3), &all).len(), 3);
        assert!(t.effective_attributes(TypeId(99), &all).is_empty());
    }

    #[test]
    fn label_attribute_is_own_or_nearest_ancestors() {
        let t = tree();
        assert_eq!(t.label_attribute(TypeId(3)), Some(AttributeId(30)));
        assert_eq!(t.label_attribute(TypeId(4)), Some(AttributeId(10)));
        assert_eq!(t.label_attribute(TypeId(6)), None);
    }

    #[test]
    fn attribute_names_are_unique_along_the_inheritance() {
        let t = tree();
        let all = vec![
            attr(10, 1, "Serial", 0),
            attr(40, 4, "CPU", 0),
            attr(30, 3, "Toner", 0),
        ];
        // Inherited from an ancestor.
        let e = t
            .check_attribute_name(TypeId(4), " serial ", &all, None)
            .unwrap_err();
        assert!(e.has("name", "duplicate_name"));
        // Would be inherited by a descendant that already has it.
        let e = t
            .check_attribute_name(TypeId(2), "cpu", &all, None)
            .unwrap_err();
        assert!(e.has("name", "duplicate_name"));
        assert!(e.to_string().contains("T4"));
        // Siblings do not see each other.
        assert!(t.check_attribute_name(TypeId(5), "CPU", &all, None).is_ok());
        assert!(
            t.check_attribute_name(TypeId(2), "Toner", &all, None)
                .is_ok()
        );
        // Renaming an attribute to itself.
        assert!(
            t.check_attribute_name(TypeId(1), "SERIAL", &all, Some(AttributeId(10)))
                .is_ok()
        );
        // Same type.
        assert!(
            t.check_attribute_name(TypeId(1), "Serial", &all, Some(AttributeId(11)))
                .is_err()
        );
    }

    #[test]
    fn reparenting_checks_inherited_names() {
        let t = tree();
        let all = vec![
            attr(20, 2, "RAM", 0),
            attr(30, 3, "ram", 0),
            attr(60, 6, "Seats", 0),
        ];
        let e = t
            .check_reparent_names(TypeId(3), TypeId(2), &all)
            .unwrap_err();
        assert!(e.has("parentId", "duplicate_name"));
        assert!(t.check_reparent_names(TypeId(3), TypeId(6), &all).is_ok());
        assert!(t.check_reparent_names(TypeId(6), TypeId(1), &all).is_ok());
    }

    #[test]
    fn draft_validation_and_icon_default() {
        let d: AssetTypeDraft =
            serde_json::from_str(r#"{"name":" Laptop ","parentId":2}"#).unwrap();
        assert!(d.validate().is_ok());
        let n = d.normalized();
        assert_eq!(n.icon, "generic");
        assert_eq!(n.name, "Laptop");
        assert_eq!(n.parent_id, Some(TypeId(2)));

        let d = AssetTypeDraft {
            name: "Server".into(),
            icon: "server".into(),
            ..Default::default()
        };
        assert!(d.validate().is_ok());
        assert_eq!(d.normalized().icon, "server");

        let d = AssetTypeDraft {
            name: String::new(),
            icon: "unicorn".into(),
            description: "d".repeat(2001),
            ..Default::default()
        };
        let e = d.validate().unwrap_err();
        assert!(e.has("name", "required"));
        assert!(e.has("icon", "option"));
        assert!(e.has("description", "max_length"));
        let d = AssetTypeDraft {
            name: "n".repeat(101),
            ..Default::default()
        };
        assert!(d.validate().unwrap_err().has("name", "max_length"));
        assert!(ICONS.contains(&DEFAULT_ICON));
    }

    #[test]
    fn asset_type_serializes_camel_case() {
        let json = serde_json::to_value(ty(4, Some(2), Some(7))).unwrap();
        assert_eq!(json["parentId"], 2);
        assert_eq!(json["isAbstract"], false);
        assert_eq!(json["labelAttribute"], 7);
        assert_eq!(json["schemaId"], 1);
    }
}
