//! A small builder for SQL whose shape depends on the request (filters, sort, cursors, multi-row
//! inserts). Values are always bound as `$N` parameters, which both SQLite and PostgreSQL accept;
//! only fixed identifiers and placeholders are ever written into the text.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    OptF64(Option<f64>),
    Bool(bool),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::I64(v)
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Param::OptI64(v)
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_owned())
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Param::OptText(v)
    }
}
impl From<Option<f64>> for Param {
    fn from(v: Option<f64>) -> Self {
        Param::OptF64(v)
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::OptF64(Some(v))
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

/// Both backends cap a statement's parameters (SQLite at 32,766); multi-row inserts stay under.
pub(crate) const MAX_PARAMS: usize = 30_000;

#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        let _ = write!(self.text, "${}", self.params.len());
        self
    }

    /// The text for sqlx. Safe by construction: only `push` adds text, callers push fixed SQL, and
    /// every value goes through `bind`.
    pub fn safe(&self) -> sqlx::AssertSqlSafe<&str> {
        sqlx::AssertSqlSafe(&self.text)
    }

    /// Appends `(v1, v2, …)` as placeholders.
    pub fn bind_list<P: Into<Param>>(&mut self, values: impl IntoIterator<Item = P>) -> &mut Self {
        self.text.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self.text.push(')');
        self
    }
}

/// SQL text assembled with `format!` from constants (column lists) and fixed identifiers only,
/// never from a value: values always go through `bind`. sqlx asks us to assert that.
macro_rules! safe_sql {
    ($($arg:tt)*) => {
        sqlx::AssertSqlSafe(format!($($arg)*))
    };
}
pub(crate) use safe_sql;

/// Binds a `Sql`'s parameters onto a `sqlx::query`/`query_as` built from its text.
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                $crate::sql::Param::I64(v) => query.bind(*v),
                $crate::sql::Param::OptI64(v) => query.bind(*v),
                $crate::sql::Param::Text(v) => query.bind(v.as_str()),
                $crate::sql::Param::OptText(v) => query.bind(v.as_deref()),
                $crate::sql::Param::OptF64(v) => query.bind(*v),
                $crate::sql::Param::Bool(v) => query.bind(*v),
            };
        }
        query
    }};
}
pub(crate) use bind_params;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(1_i64).push(" AND b IN ").bind_list(["x", "y"]);
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(sql.params.len(), 3);
    }
}
