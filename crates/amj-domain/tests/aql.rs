//! AQL: the exact error messages users see, and property tests of the parser and printer.

// Strategy helpers live outside `#[test]` functions, where clippy.toml's test allowance does not
// reach; a failed unwrap here is a broken test, which is what we want.
#![allow(clippy::unwrap_used)]

use amj_domain::aql::{
    Attr, CompareOp, DateAnchor, ErrorKind, Expr, Function, MAX_DEPTH, MAX_QUERY_CHARS, Offset,
    OrderKey, Path, Query, RefDirection, SortDirection, Span, TimeUnit, Value, parse,
};
use proptest::prelude::*;
use strum::IntoEnumIterator;

/// The rendered error for `source`, which must fail to parse.
fn rendered(source: &str) -> String {
    match parse(source) {
        Ok(query) => panic!("{source:?} parsed as {query:?}"),
        Err(error) => error.render(source),
    }
}

#[test]
fn error_unclosed_quote() {
    assert_eq!(
        rendered(r#"Name = "Berlin"#),
        r#"error: unclosed quote: a quoted string must end with `"`
 --> line 1, column 8
  |
1 | Name = "Berlin
  |        ^"#
    );
}

#[test]
fn error_missing_value() {
    assert_eq!(
        rendered("Name = "),
        "error: expected a value, found the end of the query
 --> line 1, column 8
  |
1 | Name =
  |        ^"
    );
    assert_eq!(
        rendered("Name = AND Owner = x"),
        "error: expected a value, found `AND`
 --> line 1, column 8
  |
1 | Name = AND Owner = x
  |        ^"
    );
}

#[test]
fn error_unknown_operator() {
    assert_eq!(
        rendered("Name contains x"),
        "error: unknown operator `contains`; expected one of =, ==, !=, <, >, <=, >=, LIKE, \
         NOT LIKE, IN, NOT IN, STARTSWITH, ENDSWITH, IS EMPTY, IS NOT EMPTY
 --> line 1, column 6
  |
1 | Name contains x
  |      ^"
    );
}

#[test]
fn error_unbalanced_parentheses() {
    assert_eq!(
        rendered("(Name = x AND Owner = y"),
        "error: unbalanced parenthesis: this `(` is never closed
 --> line 1, column 1
  |
1 | (Name = x AND Owner = y
  | ^"
    );
    assert_eq!(
        rendered("Name = x)"),
        "error: unbalanced parenthesis: this `)` has no matching `(`
 --> line 1, column 9
  |
1 | Name = x)
  |         ^"
    );
}

#[test]
fn error_trailing_garbage() {
    assert_eq!(
        rendered("Name = Berlin Munich"),
        "error: expected AND, OR, ORDER BY or the end of the query, found `Munich`
 --> line 1, column 15
  |
1 | Name = Berlin Munich
  |               ^"
    );
}

#[test]
fn error_on_a_later_line_keeps_tabs_for_alignment() {
    assert_eq!(
        rendered("Name = x AND\n\t\"Serial number\" ~ 5"),
        "error: `~` (full-text search) only works as `text ~ \"words\"`
 --> line 2, column 18
  |
2 | \t\"Serial number\" ~ 5
  | \t                ^"
    );
}

#[test]
fn error_bad_function_and_offset() {
    assert_eq!(
        rendered("created > now(-7x)"),
        "error: invalid time offset `-7x`; expected e.g. -7d, +1h 30m (units d, h, m, w)
 --> line 1, column 15
  |
1 | created > now(-7x)
  |               ^"
    );
    assert_eq!(
        rendered("Owner = foo()"),
        "error: unknown function `foo`
 --> line 1, column 9
  |
1 | Owner = foo()
  |         ^"
    );
}

#[test]
fn error_display_has_the_position() {
    let error = parse("Name is nothing").unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected EMPTY, found `nothing` (line 1, column 9)"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let source = "(".repeat(MAX_QUERY_CHARS);
    let error = parse(&source).unwrap_err();
    assert_eq!(error.kind, ErrorKind::TooDeep { max: MAX_DEPTH });
    assert_eq!(error.column, MAX_DEPTH + 1);
    let source = "(".repeat(MAX_QUERY_CHARS + 1);
    assert!(matches!(
        parse(&source).unwrap_err().kind,
        ErrorKind::TooLong { .. }
    ));
}

// ---- property tests ----

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z0-9_-]{0,8}",
        "[a-z0-9 .\"\\\\()~=,-]{0,8}",
        "\\PC{0,6}",
        Just("AND".to_owned()),
        Just("empty".to_owned()),
        Just("order".to_owned()),
        Just("Key".to_owned()),
    ]
}

fn attr() -> impl Strategy<Value = Attr> {
    prop_oneof![
        Just(Attr::ObjectType),
        Just(Attr::ObjectSchema),
        Just(Attr::ObjectTypeId),
        Just(Attr::ObjectSchemaId),
        Just(Attr::ObjectId),
        Just(Attr::Key),
        Just(Attr::Label),
        Just(Attr::Status),
        Just(Attr::Created),
        Just(Attr::Updated),
        Just(Attr::Retired),
        Just(Attr::Holder),
        Just(Attr::Due),
        Just(Attr::CheckedOut),
        name().prop_map(Attr::Named),
        name().prop_map(Attr::Named),
    ]
}

fn path() -> impl Strategy<Value = Path> {
    prop::collection::vec(attr(), 1..4).prop_map(Path::new)
}

fn number() -> impl Strategy<Value = String> {
    "-?[0-9]{1,25}(\\.[0-9]{1,8})?"
}

fn offset() -> impl Strategy<Value = Offset> {
    let unit = prop_oneof![
        Just(TimeUnit::Minutes),
        Just(TimeUnit::Hours),
        Just(TimeUnit::Days),
        Just(TimeUnit::Weeks),
    ];
    (
        any::<bool>(),
        prop::collection::vec((0u32..100_000, unit), 1..4),
    )
        .prop_map(|(negative, parts)| Offset { negative, parts })
}

fn function() -> impl Strategy<Value = Function> {
    let anchor = prop::sample::select(DateAnchor::iter().collect::<Vec<_>>());
    prop_oneof![
        (anchor, prop::option::of(offset()))
            .prop_map(|(anchor, offset)| Function::Date { anchor, offset }),
        Just(Function::CurrentUser),
        Just(Function::CurrentReporter),
        prop::collection::vec(name(), 1..3).prop_map(Function::User),
        prop::collection::vec(name(), 1..3).prop_map(Function::Group),
        name().prop_map(Function::ObjectTypeAndChildren),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        name().prop_map(Value::Str),
        number().prop_map(Value::Number),
        function().prop_map(Value::Function),
    ]
}

fn compare() -> impl Strategy<Value = Expr> {
    let scalar_op = prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::EqCase,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Gt,
        CompareOp::Le,
        CompareOp::Ge,
        CompareOp::Like,
        CompareOp::NotLike,
        CompareOp::StartsWith,
        CompareOp::EndsWith,
    ]);
    let in_op = prop::sample::select(vec![CompareOp::In, CompareOp::NotIn]);
    let is_op = prop::sample::select(vec![CompareOp::Is, CompareOp::IsNot]);
    let list = prop_oneof![
        prop::collection::vec(scalar(), 1..4).prop_map(Value::List),
        function().prop_map(Value::Function),
    ];
    prop_oneof![
        3 => (path(), scalar_op, scalar()),
        1 => (path(), in_op, list),
        1 => (path(), is_op, Just(Value::Empty)),
    ]
    .prop_map(|(path, op, value)| Expr::Compare {
        path,
        op,
        value,
        value_span: Span::default(),
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        4 => compare(),
        1 => name().prop_map(Expr::Text),
        1 => name().prop_map(|jql| Expr::ConnectedTickets(jql, Span::default())),
        1 => prop::collection::vec(name(), 0..3)
            .prop_map(|names| Expr::BrokenRule(names, Span::default())),
        1 => Just(Expr::Overdue),
        1 => prop::collection::vec(name(), 1..3)
            .prop_map(|keys| Expr::CheckedOutFor(keys, Span::default())),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let direction = prop_oneof![Just(RefDirection::Inbound), Just(RefDirection::Outbound)];
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (
                direction,
                prop::option::of(inner.prop_map(Box::new)),
                prop::collection::vec(name(), 0..3),
            )
                .prop_map(|(direction, filter, ref_types)| Expr::Having {
                    direction,
                    filter,
                    ref_types,
                    span: Span::default(),
                }),
        ]
    })
}

fn query() -> impl Strategy<Value = Query> {
    let direction = prop_oneof![Just(SortDirection::Asc), Just(SortDirection::Desc)];
    let key = (path(), direction).prop_map(|(path, direction)| OrderKey { path, direction });
    (prop::option::of(expr()), prop::collection::vec(key, 0..3))
        .prop_map(|(filter, order_by)| Query { filter, order_by })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn printing_then_parsing_gives_the_same_tree(query in query()) {
        let printed = query.to_string();
        match parse(&printed) {
            Ok(parsed) => prop_assert_eq!(parsed, query, "printed as {}", printed),
            Err(e) => prop_assert!(false, "{}\nprinted from {:?}", e.render(&printed), query),
        }
    }

    #[test]
    fn canonical_text_is_a_fixed_point(query in query()) {
        let printed = query.to_string();
        let reprinted = parse(&printed).unwrap().to_string();
        prop_assert_eq!(reprinted, printed);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(source in "\\PC{0,200}") {
        if let Err(e) = parse(&source) {
            let _ = e.render(&source);
            prop_assert!(e.offset <= source.len());
        }
    }

    #[test]
    fn parse_never_panics_on_aql_like_text(
        source in "([()\"\\\\ ,.=!<>~+-]|[a-z0-9]{1,3}|and |or |not |in |is |having |order by |inR\\(|now\\(|connectedTickets\\(|\n){0,80}"
    ) {
        if let Err(e) = parse(&source) {
            let _ = e.render(&source);
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }

    #[test]
    fn parse_never_panics_on_deep_nesting(
        depth in 0usize..12_000,
        opener in prop::sample::select(vec!["(", "NOT ", "not(", "object having inR(", "a in ("]),
        closed in any::<bool>(),
    ) {
        let mut source = opener.repeat(depth / opener.len().max(1));
        source.push_str("a = 1");
        if closed {
            source.push_str(&")".repeat(depth / opener.len().max(1)));
        }
        if let Err(e) = parse(&source) {
            let _ = e.render(&source);
        }
    }
}
