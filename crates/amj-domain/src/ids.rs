//! Identifiers shared by every layer.

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
