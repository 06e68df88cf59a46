//! AQL, the asset query language: a lexer, a parser into a typed tree, and a printer back to
//! canonical text.
//!
//! The language is compatible with JSM Assets' Assets Query Language (AQL), so that queries users
//! already know keep working: `objectType = Laptop AND "Installed on".Location.Name = Berlin
//! ORDER BY created DESC`. It adds one extension, full-text search: `text ~ "macbook pro"`.
//!
//! This module only turns text into a tree and back. Resolving names against a schema (is
//! `Location` a reference attribute of the type?) and compiling to SQL are later passes, so the
//! tree here is deliberately unresolved.
//!
//! ```
//! use amj_domain::aql::{self, CompareOp, Expr};
//!
//! let query = aql::parse(r#"objectType = Laptop and "Serial number" is not empty"#).unwrap();
//! let Some(Expr::And(parts)) = &query.filter else { panic!() };
//! assert!(matches!(parts[1], Expr::Compare { op: CompareOp::IsNot, .. }));
//! assert_eq!(
//!     query.to_string(),
//!     r#"objectType = Laptop AND "Serial number" IS NOT EMPTY"#
//! );
//! ```

pub mod ast;
pub mod complete;
pub mod error;
mod lexer;
mod parser;
pub mod plan;
mod print;
pub mod resolve;

pub use crate::value::index_text;
pub use ast::{
    Attr, CompareOp, DateAnchor, Expr, Function, Offset, OrderKey, Path, Query, RefDirection,
    SortDirection, Span, Spans, TimeUnit, Value,
};
pub use complete::{Completion, Completions, complete};
pub use error::{ErrorKind, ParseError};
pub use parser::{MAX_DEPTH, MAX_QUERY_CHARS, parse};
pub use plan::{
    AssetCond, Cmp, CustodyCond, Filter, LicenceCond, Order, Plan, SortField, SortKey, SortValue,
    StockCond, TextCond, ValueCond, search_document, search_terms, text_matches,
};
pub use resolve::{Catalog, Context, attribute_names, resolve, suggest};

#[cfg(test)]
mod resolve_tests;
#[cfg(test)]
mod tests;
