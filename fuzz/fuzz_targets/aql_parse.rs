//! Fuzzes the AQL lexer and parser (`amj_domain::aql`).
//!
//! For every input that is valid UTF-8:
//! - parsing never panics (nor overflows the stack: nesting is bounded by `MAX_DEPTH`);
//! - an error points into the source: its byte offset is at most the length and on a character
//!   boundary, its line and column are 1-based, and rendering it never panics;
//! - a query prints to canonical text that parses back to an equal query (spans never affect
//!   equality), and printing that query again gives the same text; canonical text longer than
//!   `MAX_QUERY_CHARS` (quoting can lengthen a query near the limit) is refused as too long.
//!
//! Only `parse`, `ParseError::render`, `Display` and `==` are used, so the target survives
//! changes to the tree's shape.

#![no_main]

use amj_domain::aql::{self, ParseError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Queries are text; invalid UTF-8 never reaches the parser (the HTTP layer rejects it).
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match aql::parse(source) {
        Err(error) => check_error(source, &error),
        Ok(query) => {
            let printed = query.to_string();
            // Quoting can make canonical text longer than its source (`"` becomes `\"`), so a
            // query near the length limit may print past it; the limit must then still hold.
            if printed.chars().count() > aql::MAX_QUERY_CHARS {
                let error = aql::parse(&printed).expect_err("over-long text must be refused");
                assert!(matches!(error.kind, aql::ErrorKind::TooLong { .. }), "{error}");
                return;
            }
            let reparsed = match aql::parse(&printed) {
                Ok(reparsed) => reparsed,
                Err(error) => panic!(
                    "the printed query does not parse\n  source:  {source:?}\n  printed: \
                     {printed:?}\n{}",
                    error.render(&printed)
                ),
            };
            assert_eq!(
                query, reparsed,
                "printing and parsing again changed the query\n  source:  {source:?}\n  \
                 printed: {printed:?}"
            );
            let reprinted = reparsed.to_string();
            assert_eq!(
                printed, reprinted,
                "printing is not idempotent\n  source: {source:?}"
            );
        }
    }
});

fn check_error(source: &str, error: &ParseError) {
    assert!(
        error.offset <= source.len(),
        "offset {} is past the end ({} bytes) of {source:?}: {error}",
        error.offset,
        source.len()
    );
    assert!(
        source.is_char_boundary(error.offset),
        "offset {} is not on a character boundary of {source:?}: {error}",
        error.offset
    );
    assert!(
        error.line >= 1,
        "line {} is not 1-based: {error}",
        error.line
    );
    assert!(
        error.column >= 1,
        "column {} is not 1-based: {error}",
        error.column
    );
    // Line and column must describe the offset: count them independently.
    let before = &source[..error.offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    assert_eq!(
        (error.line, error.column),
        (line, column),
        "line/column do not match offset {} in {source:?}: {error}",
        error.offset
    );
    let rendered = error.render(source);
    assert!(
        rendered.starts_with("error: "),
        "render output does not start with `error: `: {rendered:?}"
    );
    assert!(
        rendered.ends_with('^'),
        "render output has no caret: {rendered:?}"
    );
}
