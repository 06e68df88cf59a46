//! Identifiers shared by every layer.
//!
//! Each table gets its own newtype so that an attribute id can never be passed where a type id is
//! expected; the compiler catches what a code review would miss.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Our surrogate key for a Jira site (a Connect `clientKey`). Every store function takes one
/// first, so no query can forget which site it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TenantId(pub i64);

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_newtype!(
    /// A schema groups types, statuses and assets; asset keys are scoped by it.
    SchemaId
);
id_newtype!(
    /// An asset type ("Laptop"); the database row id, stable across renames.
    TypeId
);
id_newtype!(
    /// An attribute definition. Values are keyed by it rather than by name so that renaming an
    /// attribute never touches stored values.
    AttributeId
);
id_newtype!(
    /// A status of a schema. Assets point at it by id so a status can be renamed freely.
    StatusId
);
id_newtype!(
    /// The database row id of an asset. Users see the [`crate::AssetKey`] instead, which survives
    /// exports and imports.
    AssetId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_bare_numbers_and_display_the_number() {
        assert_eq!(serde_json::to_string(&AttributeId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<TypeId>("12").unwrap(), TypeId(12));
        assert_eq!(AssetId(42).to_string(), "42");
        assert!(SchemaId(1) < SchemaId(2));
        assert_eq!(StatusId(3).to_string(), "3");
    }
}
