//! The asset model and its validation: schemas, types and their inheritance, attribute
//! definitions, typed values, and the rules that tie them together; and [`aql`], the asset query
//! language (parsed here because a query's syntax, like the rules, must be the same for every
//! store and testable without one).
//!
//! The crate is pure — no I/O, no async, no database — for three reasons. The rules are the
//! product's contract with users, so they must be testable exhaustively (property tests feed
//! them arbitrary JSON) without a database. The SQLite and PostgreSQL stores must apply the
//! same rules, so the rules cannot live in either. And a pure function of its inputs is the
//! only kind of validation that is safe to run twice, e.g. before a transaction and inside it.
//!
//! Checks that need other rows (uniqueness across assets, whether a referenced asset exists)
//! are the store's; each such place says so in its documentation.

pub mod aql;
pub mod asset_type;
pub mod attribute;
pub mod booking;
pub mod custody;
pub mod error;
pub mod history;
pub mod ids;
pub mod kit;
pub mod licence;
pub mod report;
pub mod request;
pub mod schema;
pub mod status;
pub mod stock;
pub mod validate;
pub mod value;
pub mod view;

pub use asset_type::{AssetType, AssetTypeDraft, DEFAULT_ICON, ICONS, TypeTree};
pub use attribute::{
    AttributeDef, AttributeDraft, AttributeKind, RESERVED_NAMES, StorageClass, TextPattern,
};
pub use error::{FieldError, ValidationErrors, rules};
pub use history::{HistoryEvent, diff_values};
pub use ids::{AssetId, AttributeId, SchemaId, StatusId, TenantId, TypeId};
pub use schema::{AssetKey, Schema, SchemaDraft, SchemaKey};
pub use status::{Status, StatusCategory, StatusDraft, default_statuses};
pub use validate::{Mode, ValidationContext, resolve_status, validate_values};
pub use value::{AttributeValues, IndexEntry, Value};
