//! A small builder for SQL whose shape depends on the request (filters, sort, cursors, multi-row
//! inserts). Values are always bound as `$N` parameters, which both SQLite and PostgreSQL accept;
//! only fixed identifiers and placeholders are ever written into the text.

use std::borrow::Cow;
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
impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Param::OptText(v.map(str::to_owned))
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
    /// Not kept prepared: a statement whose text varies with its input (a multi-row insert, an
    /// `IN (…)` list). sqlx keeps up to 100 prepared statements per connection, and a prepared
    /// 3,000-row insert holds megabytes (on SQLite in our process; on PostgreSQL in the server
    /// backend): seeding 10⁶ assets grew the process to 450 MB that way. Such statements are
    /// prepared afresh each time, which costs little next to executing them.
    pub one_off: bool,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
            one_off: false,
        }
    }

    /// Adds a value for a placeholder already written in the text (`$1`, `$2`, … in order of
    /// `arg` calls), for fixed statements written out in full.
    pub fn arg(mut self, value: impl Into<Param>) -> Self {
        self.params.push(value.into());
        self
    }

    /// Marks the statement as one not to keep prepared (see [`Sql::one_off`]).
    pub fn one_off(&mut self) -> &mut Self {
        self.one_off = true;
        self
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
        self.one_off = true;
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

/// The text of a `Sql`-built statement for SQLite, with anonymous `?` placeholders.
///
/// SQLite treats `$N` as a *named* parameter, and both preparing and binding look each name up by
/// a linear scan of all of them, so a statement with n placeholders costs O(n²): a 3,000-row
/// multi-row insert (27,000 parameters) took 2.4 s to bind, which capped bulk inserts at about
/// 200 assets/s. Anonymous `?` placeholders bind by position (the same insert: 8 ms). `Sql`
/// numbers its placeholders 1, 2, … in text order, each once, so they are positional already;
/// any text that does not have exactly that shape (or has a quote, where a `$` could be data) is
/// returned unchanged, which is correct, only slower.
pub(crate) fn sqlite_text(sql: &Sql) -> Cow<'_, str> {
    let text = sql.text.as_str();
    if text.contains(['\'', '"']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut expected = 1_usize;
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if after[..digits].parse::<usize>().ok() != Some(expected) {
            return Cow::Borrowed(text);
        }
        out.push('?');
        expected += 1;
        rest = &after[digits..];
    }
    out.push_str(rest);
    if expected - 1 != sql.params.len() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(out)
}

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

    #[test]
    fn sqlite_text_makes_builder_placeholders_positional() {
        let mut sql = Sql::new("INSERT INTO t (a, b) VALUES ");
        sql.push("(").bind(1_i64).push(", ").bind("x").push("), (");
        sql.bind(2_i64).push(", ").bind(None::<String>).push(")");
        assert_eq!(
            sqlite_text(&sql),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        let mut tens = Sql::new("SELECT 1 WHERE a IN ");
        tens.bind_list(0..12_i64);
        assert_eq!(sqlite_text(&tens).matches('?').count(), 12);
        assert!(!sqlite_text(&tens).contains('$'));
    }

    #[test]
    fn sqlite_text_leaves_other_shapes_alone() {
        // Reused, out of order, or more placeholders than parameters: keep the numbered form.
        for text in ["SELECT $1, $1", "SELECT $2, $1", "SELECT $1, $2"] {
            let mut sql = Sql::new(text);
            sql.params.push(1_i64.into());
            assert_eq!(sqlite_text(&sql), text);
        }
        let mut quoted = Sql::new("SELECT '$1' || ");
        quoted.bind("x");
        assert_eq!(sqlite_text(&quoted), quoted.text);
    }
}
