//! Parse errors that point at the place in the query where parsing stopped.
//!
//! Users type AQL into a search box, so an error is only useful if it says *where* the query went
//! wrong: every error carries a byte offset (for programs, e.g. to place a cursor) and a 1-based
//! line and column (for humans), and [`ParseError::render`] draws the line with a caret under it.

use std::fmt::Write as _;

/// What went wrong. The `Display` text is a sentence without a position; [`ParseError`] adds it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The query is longer than [`super::MAX_QUERY_CHARS`] characters.
    #[error("the query is {chars} characters long; at most {max} are allowed")]
    TooLong { chars: usize, max: usize },
    /// Parentheses, `NOT`s and `having` sub-queries nest deeper than [`super::MAX_DEPTH`].
    #[error("the query nests deeper than {max} levels")]
    TooDeep { max: usize },
    /// A double-quoted string runs to the end of the query.
    #[error("unclosed quote: a quoted string must end with `\"`")]
    UnclosedQuote,
    /// A character that starts no token, e.g. `!` on its own or `;`.
    #[error("unexpected character `{0}`")]
    UnexpectedChar(char),
    /// The parser needed one thing and found another.
    #[error("expected {expected}, found {found}")]
    Expected { expected: String, found: String },
    /// A word stands where an operator must be.
    #[error(
        "unknown operator {0}; expected one of =, ==, !=, <, >, <=, >=, LIKE, NOT LIKE, IN, \
         NOT IN, STARTSWITH, ENDSWITH, IS EMPTY, IS NOT EMPTY"
    )]
    UnknownOperator(String),
    /// A `(` without its `)`.
    #[error("unbalanced parenthesis: this `(` is never closed")]
    UnclosedParen,
    /// A `)` without its `(`.
    #[error("unbalanced parenthesis: this `)` has no matching `(`")]
    UnexpectedCloseParen,
    /// A name followed by `(` that is not one of AQL's functions.
    #[error("unknown function `{0}`")]
    UnknownFunction(String),
    /// A function got the wrong arguments.
    #[error("{function}: {message}")]
    BadArguments {
        function: &'static str,
        message: String,
    },
    /// A date offset such as `-7d` or `+1h 30m` is malformed.
    #[error("invalid time offset `{0}`; expected e.g. -7d, +1h 30m (units d, h, m, w)")]
    BadOffset(String),
    /// A name the schema does not have, with the closest one it does.
    #[error("unknown {what} `{name}`{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    Unknown {
        what: &'static str,
        name: String,
        suggestion: Option<String>,
    },
    /// A value that the attribute's kind cannot hold, e.g. `"Purchase date" < 12`.
    #[error("type mismatch: `{attribute}` expects {expected}, but {found}")]
    TypeMismatch {
        attribute: String,
        expected: String,
        found: String,
    },
    /// Any other reason the query does not fit the schema, or Jira refused its JQL.
    #[error("{0}")]
    Resolve(String),
    /// Only the full-text pseudo-attribute `text` takes `~`.
    #[error("`~` (full-text search) only works as `text ~ \"words\"`")]
    TildeNeedsText,
}

/// A query error (syntax, or a query that does not fit the schema) and where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (line {line}, column {column})")]
pub struct ParseError {
    pub kind: ErrorKind,
    /// Byte offset into the source; always on a character boundary and at most its length.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters (not bytes) so that it matches what editors show.
    pub column: usize,
}

impl ParseError {
    /// Computes line and column from `offset`, so that no caller can get them inconsistent.
    pub fn new(kind: ErrorKind, source: &str, offset: usize) -> Self {
        let offset = floor_char_boundary(source, offset);
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..offset].chars().count() + 1;
        Self {
            kind,
            offset,
            line,
            column,
        }
    }

    /// The message followed by the offending source line and a caret under the error's column,
    /// in the style of rustc:
    ///
    /// ```text
    /// error: unclosed quote: a quoted string must end with `"`
    ///  --> line 1, column 8
    ///   |
    /// 1 | Name = "Berlin
    ///   |        ^
    /// ```
    ///
    /// `source` must be the text that was parsed; with another text the excerpt is meaningless
    /// (but rendering still never panics).
    pub fn render(&self, source: &str) -> String {
        let offset = floor_char_boundary(source, self.offset);
        let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[offset..]
            .find('\n')
            .map_or(source.len(), |i| offset + i);
        // Trailing blanks are invisible and would only make snapshots fragile.
        let line_text = source[line_start..line_end].trim_end();
        // Tabs stay tabs so that the caret lines up however wide the terminal draws them.
        let pad: String = source[line_start..offset]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        let mut out = String::new();
        let _ = writeln!(out, "error: {}", self.kind);
        let _ = writeln!(
            out,
            "{gutter}--> line {}, column {}",
            self.line, self.column
        );
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{number} | {line_text}");
        let _ = write!(out, "{gutter} | {pad}^");
        out
    }
}

/// The largest character boundary at or before `offset` (and within `source`).
fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
