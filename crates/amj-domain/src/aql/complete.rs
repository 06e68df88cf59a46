//! Completions for a query editor: what may come at the cursor, from the schema.
//!
//! Deliberately simple and forgiving, since the text being typed is usually not a valid query
//! yet: it looks only at the word under the cursor and the token before it. After an operator it
//! offers values (statuses, types, select options, true/false); anywhere else, attribute names.

use super::ast::Attr;
use super::resolve::{Catalog, attribute_names};
use crate::AttributeKind;
use serde::Serialize;

/// Suggestions for the text at a cursor, and the span they replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Completions {
    /// Byte range of the partial word the suggestions replace.
    pub replace_start: usize,
    pub replace_end: usize,
    pub items: Vec<Completion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    /// What to show.
    pub label: String,
    /// What to insert: quoted when the name has characters a bare word cannot hold.
    pub insert: String,
    /// `attribute`, `keyword`, `status`, `type` or `value`.
    pub kind: &'static str,
}

/// At most this many suggestions, so a schema with thousands of attributes stays usable.
pub const MAX_COMPLETIONS: usize = 20;

const OPERATOR_WORDS: [&str; 5] = ["in", "like", "startswith", "endswith", "is"];

/// Completions at byte `position` of `source` (clamped to the text, and to a char boundary).
pub fn complete(source: &str, position: usize, catalog: &Catalog<'_>) -> Completions {
    let mut position = position.min(source.len());
    while !source.is_char_boundary(position) {
        position -= 1;
    }
    let before = &source[..position];
    // The partial word: a bare word, or an opened quote.
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-'))
        .last()
        .map_or(position, |(i, _)| i);
    let (word_start, partial) = match open_quote(before) {
        Some(quote) => (quote, before[quote + 1..].to_owned()),
        None => (word_start, before[word_start..].to_owned()),
    };
    let context = before[..word_start].trim_end();
    let items = match value_context(context) {
        Some(attribute) => value_items(&attribute, catalog),
        None => attribute_items(catalog),
    };
    let lower = partial.to_lowercase();
    let items = items
        .into_iter()
        .filter(|c| c.label.to_lowercase().starts_with(&lower))
        .take(MAX_COMPLETIONS)
        .collect();
    Completions {
        replace_start: word_start,
        replace_end: position,
        items,
    }
}

/// Where an unclosed `"` starts in `text`, if the text ends inside a quoted string.
fn open_quote(text: &str) -> Option<usize> {
    let mut open = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match (c, open) {
            (_, Some(_)) if escaped => escaped = false,
            ('\\', Some(_)) => escaped = true,
            ('"', None) => open = Some(i),
            ('"', Some(_)) => open = None,
            _ => {}
        }
    }
    open
}

/// The attribute a value is being typed for, if the text before the word ends with an operator:
/// `status = `, `objectType IN (Laptop, `, `"Serial" like `.
fn value_context(context: &str) -> Option<String> {
    let mut rest = context.trim_end();
    // Inside an IN list: skip back over the list's earlier items.
    if let Some(open) = rest.rfind('(')
        && !rest[open..].contains(')')
    {
        let head = rest[..open].trim_end();
        let lower = head.to_lowercase();
        if lower.ends_with(" in") {
            rest = head;
        }
    }
    let lower = rest.to_lowercase();
    let operator_len = if let Some(stripped) = ["==", "!=", "<=", ">=", "=", "<", ">"]
        .iter()
        .find(|op| lower.ends_with(*op))
    {
        stripped.len()
    } else if let Some(word) = OPERATOR_WORDS.iter().find(|w| {
        lower.ends_with(*w)
            && lower[..lower.len() - w.len()]
                .chars()
                .last()
                .is_some_and(char::is_whitespace)
    }) {
        word.len()
    } else {
        return None;
    };
    let mut head = rest[..rest.len() - operator_len].trim_end();
    let head_lower = head.to_lowercase();
    if head_lower.ends_with(" not") {
        head = head[..head.len() - 4].trim_end();
    }
    last_segment(head)
}

/// The last path segment of `text`: a quoted name or a bare word.
fn last_segment(text: &str) -> Option<String> {
    if let Some(inner) = text.strip_suffix('"') {
        let start = inner.rfind('"')?;
        return Some(inner[start + 1..].replace("\\\"", "\""));
    }
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-'))
        .last()
        .map(|(i, _)| i)?;
    Some(text[start..].to_owned())
}

fn quoted_if_needed(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
        && ![
            "and", "or", "not", "order", "by", "empty", "in", "is", "like",
        ]
        .iter()
        .any(|k| name.eq_ignore_ascii_case(k));
    if bare {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn item(label: &str, kind: &'static str) -> Completion {
    Completion {
        label: label.to_owned(),
        insert: quoted_if_needed(label),
        kind,
    }
}

fn attribute_items(catalog: &Catalog<'_>) -> Vec<Completion> {
    attribute_names(catalog)
        .iter()
        .map(|name| {
            let kind = if Attr::keyword(name).is_some() {
                "keyword"
            } else {
                "attribute"
            };
            item(name, kind)
        })
        .collect()
}

fn value_items(attribute: &str, catalog: &Catalog<'_>) -> Vec<Completion> {
    let statuses = || {
        catalog
            .statuses
            .iter()
            .map(|s| item(&s.name, "status"))
            .collect::<Vec<_>>()
    };
    match Attr::keyword(attribute) {
        Some(Attr::Status) => return statuses(),
        Some(Attr::ObjectType) => {
            let mut items: Vec<Completion> = catalog
                .types
                .types()
                .map(|t| item(&t.name, "type"))
                .collect();
            items.push(Completion {
                label: "objectTypeAndChildren(…)".to_owned(),
                insert: "objectTypeAndChildren(".to_owned(),
                kind: "keyword",
            });
            return items;
        }
        Some(Attr::Created | Attr::Updated | Attr::Retired | Attr::Due | Attr::CheckedOut) => {
            return date_items();
        }
        Some(_) => return Vec::new(),
        None => {}
    }
    let lower = attribute.to_lowercase();
    let mut items = Vec::new();
    for def in catalog
        .attributes
        .iter()
        .filter(|a| a.name.to_lowercase() == lower)
    {
        match &def.kind {
            AttributeKind::Select { options, .. } => {
                items.extend(options.iter().map(|o| item(o, "value")))
            }
            AttributeKind::Status => items.extend(statuses()),
            AttributeKind::Boolean => {
                items.extend(["true", "false"].iter().map(|v| item(v, "value")))
            }
            AttributeKind::Date | AttributeKind::Datetime => items.extend(date_items()),
            AttributeKind::JiraUser { .. } => items.push(Completion {
                label: "currentUser()".to_owned(),
                insert: "currentUser()".to_owned(),
                kind: "keyword",
            }),
            _ => {}
        }
    }
    items.dedup_by(|a, b| a.label == b.label);
    items
}

fn date_items() -> Vec<Completion> {
    [
        "now()",
        "startOfDay()",
        "startOfWeek()",
        "startOfMonth()",
        "startOfYear()",
    ]
    .iter()
    .map(|f| Completion {
        label: (*f).to_owned(),
        insert: (*f).to_owned(),
        kind: "keyword",
    })
    .collect()
}
