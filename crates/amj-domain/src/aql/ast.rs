//! The typed syntax tree of a query.
//!
//! The tree records what the user wrote, normalised only where the difference carries no meaning
//! (keyword case, `inR` vs `inboundReferences`, a quoted vs a bare value). It is not yet resolved
//! against a schema: attribute names are strings, and whether `Location` is a reference attribute
//! of the asset's type is for a later pass to decide.

/// A whole query: an optional filter and an optional ordering. The empty query matches all assets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub filter: Option<Expr>,
    pub order_by: Vec<OrderKey>,
}

/// A boolean condition on assets.
///
/// `And` and `Or` hold at least two operands; the parser flattens `a AND b AND c` into one node
/// but keeps explicit parentheses as nesting, so that printing and parsing again gives the same
/// tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// `<path> <op> <value>`, including `IS [NOT] EMPTY` (with [`Value::Empty`]) and
    /// `[NOT] IN` (with a [`Value::List`] or a function).
    Compare {
        path: Path,
        op: CompareOp,
        value: Value,
        /// Where the value was written, for errors such as a type mismatch.
        value_span: Span,
    },
    /// `object HAVING inR(<filter>, "refType", …)` / `outR(…)`: assets with a reference from
    /// (inbound) or to (outbound) an asset that matches `filter`, optionally only through the
    /// named reference types. `filter: None` (`inR()`) means any referencing asset.
    Having {
        direction: RefDirection,
        filter: Option<Box<Expr>>,
        ref_types: Vec<String>,
        /// Where `inR(…)` / `outR(…)` was written, for errors about its reference types.
        span: Span,
    },
    /// `object HAVING connectedTickets(<JQL>)`: assets linked to Jira issues matching the JQL,
    /// kept as text because JQL is Jira's to parse. The span locates it for Jira's errors.
    ConnectedTickets(String, Span),
    /// Our extension: `object HAVING brokenRule("Serial", …)`: assets holding a value that breaks
    /// its attribute's current rule (a pattern tightened after it was written). No names means
    /// any attribute. The span locates the names for errors.
    BrokenRule(Vec<String>, Span),
    /// Our extension: `object HAVING overdue()`: checked out and past its due day.
    Overdue,
    /// Our extension: `object HAVING checkedOutFor("HR-12", …)`: checked out for one of these
    /// Jira issues (keys as written; the resolver checks them). The span locates the keys.
    CheckedOutFor(Vec<String>, Span),
    /// Our extension: `text ~ "macbook pro"`, full-text search over an asset's text values.
    Text(String),
}

/// Which way a reference points, seen from the asset being filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefDirection {
    /// `inR` / `inboundReferences`: other assets refer to this one.
    Inbound,
    /// `outR` / `outboundReferences`: this asset refers to others.
    Outbound,
}

/// Where a node was written: a byte range of the source.
///
/// A span says where, not what, so every span equals every other: two trees that mean the same
/// compare equal wherever their parts were written, as `proc_macro2::Ident` ignores its span.
/// That keeps "print, parse again, get the same tree" a test of meaning.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Eq for Span {}

/// The spans of a path's segments; like [`Span`], they never affect equality.
#[derive(Debug, Clone, Default)]
pub struct Spans(pub Vec<Span>);

impl PartialEq for Spans {
    fn eq(&self, _: &Spans) -> bool {
        true
    }
}

impl Eq for Spans {}

/// An attribute, or a walk through reference attributes: `"Installed on".Location.Name`.
/// Never empty when it comes from the parser, which also records where each segment was written
/// (a tree built in code has no spans, and errors about it point at the start of the query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(pub Vec<Attr>, pub Spans);

impl Path {
    /// A path of one attribute.
    pub fn single(attr: Attr) -> Self {
        Self(vec![attr], Spans::default())
    }

    pub fn new(attrs: Vec<Attr>) -> Self {
        Self(attrs, Spans::default())
    }

    /// Where segment `index` was written, if known.
    pub fn span(&self, index: usize) -> Span {
        self.1.0.get(index).copied().unwrap_or_default()
    }

    /// From the first segment to the last.
    pub fn whole_span(&self) -> Span {
        match (self.1.0.first(), self.1.0.last()) {
            (Some(first), Some(last)) => Span {
                start: first.start,
                end: last.end,
            },
            _ => Span::default(),
        }
    }
}

/// One step of a [`Path`]: a built-in property or a named attribute.
///
/// A bare word that matches a keyword (case-insensitively) is the keyword; a quoted name is
/// always a [`Attr::Named`] attribute, which is how a query reaches a user attribute that happens
/// to be called e.g. `"Status"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    ObjectType,
    ObjectTypeId,
    ObjectSchema,
    ObjectSchemaId,
    ObjectId,
    Key,
    Label,
    Status,
    Created,
    Updated,
    /// When the asset last moved into a status of the Retired category; empty while it is in
    /// any other status. Ours, not JSM's: the dashboard's "retired per month" needs a slice.
    Retired,
    /// Who holds the asset (ours): a person by accountId, or a holder asset by key, followed
    /// through carriers, so a dock on a laptop is held by the laptop's holder too.
    Holder,
    /// The day a checked-out asset is due back (ours).
    Due,
    /// When the asset was checked out (ours); empty while it is in.
    CheckedOut,
    /// A licence's entitled seats (ours); empty on assets without licence terms.
    SeatsEntitled,
    /// A licence's seats in use (ours).
    SeatsAssigned,
    /// A licence's seats that can still be assigned, never below 0 (ours).
    SeatsFree,
    /// A stock item's quantity on the shelves, all locations together (ours); empty on assets
    /// whose stock never moved.
    Quantity,
    /// Whether any location holds less of a stock item than its minimum (ours).
    BelowMinimum,
    Named(String),
}

impl Attr {
    /// The keyword attributes with their canonical spelling, which the printer uses.
    pub const KEYWORDS: [(Attr, &'static str); 19] = [
        (Attr::ObjectType, "objectType"),
        (Attr::ObjectTypeId, "objectTypeId"),
        (Attr::ObjectSchema, "objectSchema"),
        (Attr::ObjectSchemaId, "objectSchemaId"),
        (Attr::ObjectId, "objectId"),
        (Attr::Key, "Key"),
        (Attr::Label, "label"),
        (Attr::Status, "status"),
        (Attr::Created, "created"),
        (Attr::Updated, "updated"),
        (Attr::Retired, "retired"),
        (Attr::Holder, "holder"),
        (Attr::Due, "due"),
        (Attr::CheckedOut, "checkedOut"),
        (Attr::SeatsEntitled, "seatsEntitled"),
        (Attr::SeatsAssigned, "seatsAssigned"),
        (Attr::SeatsFree, "seatsFree"),
        (Attr::Quantity, "quantity"),
        (Attr::BelowMinimum, "belowMinimum"),
    ];

    /// The keyword a bare word names, if any.
    pub fn keyword(word: &str) -> Option<Attr> {
        Self::KEYWORDS
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(word))
            .map(|(attr, _)| attr.clone())
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`: equal, ignoring case for text.
    Eq,
    /// `==`: equal, case-sensitive.
    EqCase,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Like,
    NotLike,
    In,
    NotIn,
    StartsWith,
    EndsWith,
    /// `IS` (only with [`Value::Empty`]).
    Is,
    /// `IS NOT` (only with [`Value::Empty`]).
    IsNot,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A bare word or a quoted string; the two mean the same.
    Str(String),
    /// A number literal as written, such as `42`, `-3`, `007` or `2.50`: it matches
    /// `-?[0-9]+(\.[0-9]+)?`, so `str::parse::<f64>` always accepts it. It stays text because
    /// its meaning depends on the attribute it is compared with, which the parser does not know:
    /// against a text attribute `Serial = 007` means the string "007", not the number 7.
    Number(String),
    /// The parenthesised list of `IN (…)`; its items are never lists.
    List(Vec<Value>),
    Function(Function),
    /// `EMPTY` in `IS [NOT] EMPTY`.
    Empty,
}

/// A function call used as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Function {
    /// `now(…)`, `startOfDay(…)` etc., with an optional offset such as `-7d`.
    Date {
        anchor: DateAnchor,
        offset: Option<Offset>,
    },
    /// `currentUser()`.
    CurrentUser,
    /// `currentReporter()`: the reporter of the issue the query runs for.
    CurrentReporter,
    /// `user("alice", …)`: one or more users.
    User(Vec<String>),
    /// `group("jira-users", …)`: members of one or more groups.
    Group(Vec<String>),
    /// `objectTypeAndChildren("Hardware")`: a type and all its descendants.
    ObjectTypeAndChildren(String),
}

/// The point in time a date function starts from. Its function name is the variant's name in
/// camelCase (`startOfDay`), read case-insensitively.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
#[strum(serialize_all = "camelCase", ascii_case_insensitive)]
pub enum DateAnchor {
    Now,
    StartOfDay,
    EndOfDay,
    StartOfWeek,
    EndOfWeek,
    StartOfMonth,
    EndOfMonth,
    StartOfYear,
    EndOfYear,
}

impl DateAnchor {
    /// The canonical function name.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// A signed duration such as `-2h 15m`: the sign applies to the sum of the parts, as in JSM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offset {
    pub negative: bool,
    /// One or more amounts; never empty when it comes from the parser.
    pub parts: Vec<(u32, TimeUnit)>,
}

/// The unit of one part of an [`Offset`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
}

impl TimeUnit {
    pub fn suffix(self) -> char {
        match self {
            TimeUnit::Minutes => 'm',
            TimeUnit::Hours => 'h',
            TimeUnit::Days => 'd',
            TimeUnit::Weeks => 'w',
        }
    }
}

/// One key of `ORDER BY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    pub path: Path,
    pub direction: SortDirection,
}

/// `ASC` (the default) or `DESC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}
