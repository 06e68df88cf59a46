//! The typed plan: a query resolved against one schema, ready to compile to SQL or to evaluate.
//!
//! Resolution turns names into ids and values into the typed form the value index stores
//! (lowercased text, integers for dates and statuses, …), so that every backend, and the
//! in-memory evaluator of the differential test, answers the same question. The plan has a small
//! vocabulary on purpose: each node is one SQL shape.
//!
//! **The case rule.** Every text comparison ignores case (`=`, `!=`, `<`, `LIKE`, `STARTSWITH`,
//! `IN`, …) except `==`, which compares exactly. That is one rule, where JSM has two.
//!
//! **Values that are absent.** `!=`, `NOT LIKE` and `NOT IN` match assets that have a value and
//! none of whose values match: as in JQL, they never match an asset without a value. `IS EMPTY`
//! finds those, and `NOT (a = b)` is the plain logical negation.

use crate::ids::{AttributeId, StatusId, TypeId};

/// A resolved query.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub filter: Filter,
    pub order: Order,
    /// For the single-key orders; [`Order::Keys`] carries a direction per key.
    pub descending: bool,
}

/// A condition on one asset.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Matches every asset (`true`) or none (`false`), e.g. `objectSchema = <this schema>`.
    Const(bool),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// A condition on the asset's own columns.
    Asset(AssetCond),
    /// Some value of one of these attributes satisfies the condition. All the attributes share a
    /// storage class (the resolver splits mixed ones into an `Or`).
    Value {
        attributes: Vec<AttributeId>,
        cond: ValueCond,
    },
    /// Some reference through one of these attributes points at an asset matching `target`:
    /// a step of a dot path, or `object HAVING outR(…)`.
    Refers {
        attributes: Vec<AttributeId>,
        target: Box<Filter>,
    },
    /// Some asset matching `source` refers to this one through one of these attributes:
    /// `object HAVING inR(…)`.
    ReferredBy {
        attributes: Vec<AttributeId>,
        source: Box<Filter>,
    },
    /// `connectedTickets(…)` before the server asked Jira which issues the JQL matches. The
    /// server replaces it with [`Filter::Linked`]; compiling it is an error.
    Jql {
        jql: String,
        offset: usize,
    },
    /// Linked to any Jira issue (`None`, from `connectedTickets()`), or to one of these issue ids.
    Linked(Option<Vec<i64>>),
    /// Holds a value that breaks its attribute's current rule: one of these attributes, or any
    /// (`None`). The store keeps these as marker rows, found when a rule tightens and cleared by
    /// the write that mends the value.
    BrokenRule(Option<Vec<AttributeId>>),
    /// A condition on the asset's check-out in force (issue 14): only checked-out assets match.
    Custody(CustodyCond),
    /// A condition on a licence's seats (issue 14): only assets with licence terms match.
    Licence(LicenceCond),
    /// A condition on a stock item's totals (issue 14): only items whose stock moved match.
    Stock(StockCond),
    /// Full-text search: every term is the start of a word of the asset's label or text values.
    /// Terms are lowercase runs of letters and digits (see [`search_terms`]).
    Text(Vec<String>),
}

/// Conditions on an asset's check-out in force.
#[derive(Debug, Clone, PartialEq)]
pub enum CustodyCond {
    /// Checked out at all.
    Out,
    /// Held by one of these people, directly or through carriers.
    HolderAccount(Vec<String>),
    /// Held by one of these assets of the schema (by number), directly or through carriers.
    HolderAsset(Vec<i64>),
    /// Has a due day at all.
    HasDue,
    /// The due day (days since the epoch).
    Due(Cmp<i64>),
    /// When it was checked out (epoch milliseconds).
    Since(Cmp<i64>),
    /// Due before this day (days since the epoch): `overdue()` on the day the query runs.
    DueBefore(i64),
    /// Checked out for one of these Jira issues.
    ForIssue(Vec<String>),
}

/// Conditions on a licence's seats.
#[derive(Debug, Clone, PartialEq)]
pub enum LicenceCond {
    /// Has licence terms at all.
    Licensed,
    Entitled(Cmp<i64>),
    Assigned(Cmp<i64>),
    /// Entitled minus assigned, never below 0.
    Free(Cmp<i64>),
}

/// Conditions on a stock item's totals.
#[derive(Debug, Clone, PartialEq)]
pub enum StockCond {
    /// Its stock moved at all (it has totals).
    Stocked,
    /// On the shelves, all locations together.
    Quantity(Cmp<i64>),
    /// Some location holds less than its minimum (`true`), or none does (`false`).
    BelowMinimum(bool),
}

/// Conditions on an asset's own columns.
#[derive(Debug, Clone, PartialEq)]
pub enum AssetCond {
    TypeIn(Vec<TypeId>),
    StatusIn(Vec<StatusId>),
    /// The number of the asset's key (`IT-42` → 42).
    Number(Cmp<i64>),
    /// The label, lowercased and trimmed as the index stores text.
    Label(TextCond),
    /// The label exactly as written (`label == "MacBook"`).
    LabelExact(String),
    /// Epoch milliseconds.
    Created(Cmp<i64>),
    Updated(Cmp<i64>),
    /// When the asset moved into its Retired-category status (epoch milliseconds); `None` asks
    /// only whether it is retired at all.
    Retired(Option<Cmp<i64>>),
}

/// A comparison with a typed right-hand side.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmp<T> {
    Eq(T),
    Lt(T),
    Le(T),
    Gt(T),
    Ge(T),
    In(Vec<T>),
}

impl<T: PartialOrd> Cmp<T> {
    /// Whether `value` satisfies the comparison; the reference semantics the SQL must agree with.
    pub fn matches(&self, value: &T) -> bool {
        match self {
            Cmp::Eq(x) => value == x,
            Cmp::Lt(x) => value < x,
            Cmp::Le(x) => value <= x,
            Cmp::Gt(x) => value > x,
            Cmp::Ge(x) => value >= x,
            Cmp::In(xs) => xs.iter().any(|x| value == x),
        }
    }
}

/// A condition on indexed text: lowercased, trimmed, at most 255 characters (what
/// [`crate::IndexEntry::text`] holds). The right-hand sides are normalised the same way.
#[derive(Debug, Clone, PartialEq)]
pub enum TextCond {
    Cmp(Cmp<String>),
    /// `LIKE`: contains, as in JSM.
    Contains(String),
    StartsWith(String),
    EndsWith(String),
}

impl TextCond {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            TextCond::Cmp(cmp) => cmp.matches(&value.to_owned()),
            TextCond::Contains(x) => value.contains(x.as_str()),
            TextCond::StartsWith(x) => value.starts_with(x.as_str()),
            TextCond::EndsWith(x) => value.ends_with(x.as_str()),
        }
    }
}

/// A condition on one value in the typed index.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueCond {
    /// Any value at all.
    Exists,
    Text(TextCond),
    /// `==`: the stored value exactly as written, case included.
    TextExact(String),
    /// Integers, booleans (0/1), dates (days since 1970-01-01), datetimes (epoch milliseconds)
    /// and statuses (ids).
    Int(Cmp<i64>),
    Num(Cmp<f64>),
}

/// How results are ordered. Every order ends with the asset id, so pages never overlap.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Order {
    /// By key (the default), which is creation order.
    #[default]
    Key,
    Label,
    Created,
    Updated,
    /// By an attribute's first value; assets without a value come last either way. Several ids
    /// are same-named attributes of unrelated types (`Name` of Laptop and of Location): they
    /// share a storage class, and an asset has at most one of them.
    Attribute(Vec<AttributeId>),
    /// Anything else (several keys, a dot path, `status`, `objectType`): sorted by the first
    /// value each key reaches.
    Keys(Vec<SortKey>),
}

/// One key of [`Order::Keys`].
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub value: SortValue,
    pub descending: bool,
}

/// What a sort key reads, after following `hops` references (each hop takes the first
/// reference among its attributes, lowest asset id first).
#[derive(Debug, Clone, PartialEq)]
pub struct SortValue {
    pub hops: Vec<Vec<AttributeId>>,
    pub field: SortField,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SortField {
    Number,
    Label,
    Created,
    Updated,
    Status,
    Type,
    /// The first value (lowest `ord`, then lowest attribute id) of these attributes, which share
    /// a storage class.
    Attribute {
        attributes: Vec<AttributeId>,
        class: crate::StorageClass,
    },
}

/// The longest full-text term, in characters. PostgreSQL refuses lexemes over 2 KB; a term this
/// long is never typed, and capping documents and queries alike keeps prefixes matching.
pub const MAX_TERM_CHARS: usize = 200;

/// Splits text into full-text terms: lowercase runs of letters and decimal digits. Used for both
/// the stored document and the query, so both backends' indexes only ever see `word word word`.
///
/// Other numbers (`²`, `½`) separate words, and the final sigma `ς` is folded to
/// `σ` as SQLite's FTS5 tokenizer folds it, so that both backends agree with this function.
pub fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphabetic() || is_decimal_digit(c)))
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.to_lowercase()
                .chars()
                .map(|c| if c == 'ς' { 'σ' } else { c })
                .take(MAX_TERM_CHARS)
                .collect()
        })
        .collect()
}

/// A decimal digit (Unicode category Nd) of the Basic Multilingual Plane: `0`–`9`, `٣`, `३`, `３`…
/// Rust's standard library has no category lookup, and Nd digits come in runs of ten starting at
/// these zeros.
fn is_decimal_digit(c: char) -> bool {
    const ZEROS: &[u32] = &[
        0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66,
        0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946,
        0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0,
        0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    ];
    let code = u32::from(c);
    ZEROS.iter().any(|zero| (*zero..zero + 10).contains(&code))
}

/// The full-text document of an asset: its label and text values, as terms joined by spaces.
pub fn search_document<'a>(label: &str, texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut terms = search_terms(label);
    for text in texts {
        terms.extend(search_terms(text));
    }
    terms.join(" ")
}

/// Whether a document made by [`search_document`] matches full-text `terms`: every term starts
/// some word of the document.
pub fn text_matches(document: &str, terms: &[String]) -> bool {
    terms.iter().all(|term| {
        document
            .split(' ')
            .any(|word| word.starts_with(term.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_are_lowercase_alphanumeric_runs() {
        assert_eq!(
            search_terms("MacBook Pro 16\" (2023), ip 10.0.0.1 — Größe"),
            [
                "macbook", "pro", "16", "2023", "ip", "10", "0", "0", "1", "größe"
            ]
        );
        assert!(search_terms(" -- ").is_empty());
    }

    #[test]
    fn search_terms_agree_with_both_backends_tokenizers() {
        // Numbers that are not decimal digits separate words (PostgreSQL's parser drops them).
        assert_eq!(search_terms("x² ½"), ["x"]);
        assert_eq!(search_terms("٣٤ ３"), ["٣٤", "３"]);
        // SQLite's FTS5 folds the final sigma.
        assert_eq!(search_terms("ΟΔΟΣ οδος"), ["οδοσ", "οδοσ"]);
        // PostgreSQL refuses lexemes over 2 KB.
        let long = search_terms(&"q".repeat(5_000));
        assert_eq!(long[0].chars().count(), MAX_TERM_CHARS);
    }

    #[test]
    fn text_matches_word_prefixes_only() {
        let doc = search_document("MacBook Pro", ["Berlin office"]);
        assert_eq!(doc, "macbook pro berlin office");
        assert!(text_matches(&doc, &search_terms("mac PRO")));
        assert!(text_matches(&doc, &search_terms("berl")));
        assert!(!text_matches(&doc, &search_terms("book")));
        assert!(!text_matches(&doc, &search_terms("mac windows")));
    }

    #[test]
    fn comparisons() {
        assert!(Cmp::Lt(3).matches(&2));
        assert!(!Cmp::Lt(3).matches(&3));
        assert!(Cmp::In(vec![1, 5]).matches(&5));
        assert!(TextCond::Contains("oo".into()).matches("book"));
        assert!(TextCond::EndsWith("ok".into()).matches("book"));
        assert!(!TextCond::StartsWith("ok".into()).matches("book"));
    }
}
