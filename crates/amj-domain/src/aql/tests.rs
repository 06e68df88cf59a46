//! Unit tests of the parser and printer, one or more per construct.

use super::*;
use strum::IntoEnumIterator;

fn parse_ok(source: &str) -> Query {
    match parse(source) {
        Ok(query) => query,
        Err(e) => panic!("{source:?} failed:\n{}", e.render(source)),
    }
}

fn filter(source: &str) -> Expr {
    parse_ok(source).filter.expect("a filter")
}

fn named(name: &str) -> Attr {
    Attr::Named(name.to_owned())
}

fn path(names: &[&str]) -> Path {
    Path::new(names.iter().map(|n| named(n)).collect())
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

fn cmp(path: Path, op: CompareOp, value: Value) -> Expr {
    Expr::Compare {
        path,
        op,
        value,
        value_span: Span::default(),
    }
}

fn eq(name: &str, value: &str) -> Expr {
    cmp(path(&[name]), CompareOp::Eq, s(value))
}

/// Parses, checks the tree, and checks that the canonical text parses to the same tree.
fn check(source: &str, expected: Expr) {
    let query = parse_ok(source);
    assert_eq!(query.filter.as_ref(), Some(&expected), "{source}");
    let printed = query.to_string();
    assert_eq!(parse_ok(&printed), query, "reprinted as {printed}");
}

#[test]
fn empty_query_matches_everything() {
    assert_eq!(parse_ok(""), Query::default());
    assert_eq!(parse_ok("  \n\t "), Query::default());
    assert_eq!(Query::default().to_string(), "");
}

#[test]
fn simple_comparison() {
    check("Name = Berlin", eq("Name", "Berlin"));
    check("Name=Berlin", eq("Name", "Berlin"));
}

#[test]
fn every_symbolic_operator() {
    for (text, op) in [
        ("=", CompareOp::Eq),
        ("==", CompareOp::EqCase),
        ("!=", CompareOp::Ne),
        ("<", CompareOp::Lt),
        (">", CompareOp::Gt),
        ("<=", CompareOp::Le),
        (">=", CompareOp::Ge),
    ] {
        check(
            &format!("Price {text} 10"),
            cmp(path(&["Price"]), op, Value::Number("10".into())),
        );
    }
}

#[test]
fn word_operators_are_case_insensitive() {
    for (text, op) in [
        ("like", CompareOp::Like),
        ("LIKE", CompareOp::Like),
        ("not like", CompareOp::NotLike),
        ("Not Like", CompareOp::NotLike),
        ("startswith", CompareOp::StartsWith),
        ("STARTSWITH", CompareOp::StartsWith),
        ("endsWith", CompareOp::EndsWith),
    ] {
        check(
            &format!("Name {text} Mac"),
            cmp(path(&["Name"]), op, s("Mac")),
        );
    }
}

#[test]
fn in_and_not_in_take_lists() {
    check(
        r#"Name in (Berlin, "New York", 3, -2.5)"#,
        cmp(
            path(&["Name"]),
            CompareOp::In,
            Value::List(vec![
                s("Berlin"),
                s("New York"),
                Value::Number("3".into()),
                Value::Number("-2.5".into()),
            ]),
        ),
    );
    check(
        "Name NOT IN (a)",
        cmp(path(&["Name"]), CompareOp::NotIn, Value::List(vec![s("a")])),
    );
}

#[test]
fn is_empty_and_is_not_empty() {
    check(
        "Owner is EMPTY",
        cmp(path(&["Owner"]), CompareOp::Is, Value::Empty),
    );
    check(
        "Owner IS NOT empty",
        cmp(path(&["Owner"]), CompareOp::IsNot, Value::Empty),
    );
}

#[test]
fn quoted_names_and_values_with_escapes() {
    check(
        r#""Serial number" = "15\" Screen""#,
        eq("Serial number", "15\" Screen"),
    );
    check(
        r#""a \"quoted\" name" = "back\\slash""#,
        eq("a \"quoted\" name", "back\\slash"),
    );
    check("Name = \"\"", eq("Name", ""));
}

#[test]
fn bare_words_may_hold_digits_underscores_and_dashes() {
    check("host_name = web-01", eq("host_name", "web-01"));
    check("Purchased = 2024-01-31", eq("Purchased", "2024-01-31"));
    check("Name = Zürich", eq("Name", "Zürich"));
}

#[test]
fn numbers_negative_and_decimal() {
    check(
        "Price > -12.75",
        cmp(
            path(&["Price"]),
            CompareOp::Gt,
            Value::Number("-12.75".into()),
        ),
    );
    check(
        "Count = 0",
        cmp(path(&["Count"]), CompareOp::Eq, Value::Number("0".into())),
    );
}

#[test]
fn numbers_keep_their_literal_text() {
    let query = parse_ok("Serial = 007 or Price = 1.50");
    assert_eq!(query.to_string(), "Serial = 007 OR Price = 1.50");
    let long = "1".repeat(400);
    check(
        &format!("n = {long}"),
        cmp(path(&["n"]), CompareOp::Eq, Value::Number(long.clone())),
    );
}

#[test]
fn keywords_as_attributes_case_insensitively() {
    for (text, attr) in [
        ("objectType", Attr::ObjectType),
        ("OBJECTTYPE", Attr::ObjectType),
        ("objectSchema", Attr::ObjectSchema),
        ("objectTypeId", Attr::ObjectTypeId),
        ("OBJECTSCHEMAID", Attr::ObjectSchemaId),
        ("objectId", Attr::ObjectId),
        ("key", Attr::Key),
        ("Key", Attr::Key),
        ("label", Attr::Label),
        ("Status", Attr::Status),
        ("created", Attr::Created),
        ("UPDATED", Attr::Updated),
        ("Retired", Attr::Retired),
        ("holder", Attr::Holder),
        ("DUE", Attr::Due),
        ("checkedout", Attr::CheckedOut),
    ] {
        check(
            &format!("{text} = x"),
            cmp(Path::single(attr), CompareOp::Eq, s("x")),
        );
    }
}

#[test]
fn a_quoted_keyword_is_a_named_attribute() {
    let expr = filter(r#""Status" = x"#);
    assert_eq!(expr, eq("Status", "x"));
    assert_eq!(expr.to_string(), r#""Status" = x"#);
}

#[test]
fn object_type_and_children() {
    let hardware = Value::Function(Function::ObjectTypeAndChildren("Hardware".into()));
    check(
        r#"objectType IN objectTypeAndChildren("Hardware")"#,
        cmp(
            Path::single(Attr::ObjectType),
            CompareOp::In,
            hardware.clone(),
        ),
    );
    check(
        "objectType = objecttypeandchildren(Hardware)",
        cmp(Path::single(Attr::ObjectType), CompareOp::Eq, hardware),
    );
}

#[test]
fn dot_notation_walks_references() {
    check(
        r#""Installed on".Location.Name = Berlin"#,
        eq_path(&["Installed on", "Location", "Name"], "Berlin"),
    );
    check(
        r#""Belongs to".label = HR"#,
        cmp(
            Path::new(vec![named("Belongs to"), Attr::Label]),
            CompareOp::Eq,
            s("HR"),
        ),
    );
}

fn eq_path(names: &[&str], value: &str) -> Expr {
    cmp(path(names), CompareOp::Eq, s(value))
}

#[test]
fn precedence_not_over_and_over_or() {
    let a = || eq("a", "x");
    let b = || eq("b", "y");
    let c = || eq("c", "z");
    check(
        "a = x OR b = y AND c = z",
        Expr::Or(vec![a(), Expr::And(vec![b(), c()])]),
    );
    check(
        "not a = x and b = y",
        Expr::And(vec![Expr::Not(Box::new(a())), b()]),
    );
    check(
        "NOT (a = x OR b = y)",
        Expr::Not(Box::new(Expr::Or(vec![a(), b()]))),
    );
    check(
        "(a = x OR b = y) AND c = z",
        Expr::And(vec![Expr::Or(vec![a(), b()]), c()]),
    );
    check("a = x and b = y and c = z", Expr::And(vec![a(), b(), c()]));
    check(
        "a = x and (b = y and c = z)",
        Expr::And(vec![a(), Expr::And(vec![b(), c()])]),
    );
    check("((a = x))", a());
}

#[test]
fn keyword_case_does_not_matter() {
    assert_eq!(filter("a = 1 AnD b = 2"), filter("a = 1 and b = 2"));
    assert_eq!(filter("a = 1 Or b = 2"), filter("a = 1 OR b = 2"));
}

#[test]
fn having_inbound_and_outbound_references() {
    check(
        r#"object having inR(objectType = Server, "Installed on", depends)"#,
        Expr::Having {
            direction: RefDirection::Inbound,
            filter: Some(Box::new(cmp(
                Path::single(Attr::ObjectType),
                CompareOp::Eq,
                s("Server"),
            ))),
            ref_types: vec!["Installed on".into(), "depends".into()],
            span: Span::default(),
        },
    );
    let outbound = Expr::Having {
        direction: RefDirection::Outbound,
        filter: Some(Box::new(eq("Name", "x"))),
        ref_types: vec![],
        span: Span::default(),
    };
    check("object HAVING outR(Name = x)", outbound.clone());
    check("OBJECT having outboundReferences(Name = x)", outbound);
    check(
        "object having inboundReferences()",
        Expr::Having {
            direction: RefDirection::Inbound,
            filter: None,
            ref_types: vec![],
            span: Span::default(),
        },
    );
    check(
        r#"object having outR(, "Installed on")"#,
        Expr::Having {
            direction: RefDirection::Outbound,
            filter: None,
            ref_types: vec!["Installed on".into()],
            span: Span::default(),
        },
    );
    check(
        "object not having inR(Name = x)",
        Expr::Not(Box::new(Expr::Having {
            direction: RefDirection::Inbound,
            filter: Some(Box::new(eq("Name", "x"))),
            ref_types: vec![],
            span: Span::default(),
        })),
    );
}

#[test]
fn object_without_having_is_an_attribute() {
    check("object = x", eq("object", "x"));
}

#[test]
fn connected_tickets_quoted_or_raw() {
    let expected = Expr::ConnectedTickets("labels IS EMPTY".into(), Span::default());
    check(
        r#"object having connectedTickets("labels IS EMPTY")"#,
        expected.clone(),
    );
    check(
        "object having connectedTickets( labels IS EMPTY )",
        expected,
    );
    check(
        r#"object having connectedTickets(project = "A (B)" AND (status = Done OR x in ('a)')))"#,
        Expr::ConnectedTickets(
            r#"project = "A (B)" AND (status = Done OR x in ('a)'))"#.into(),
            Span::default(),
        ),
    );
    check(
        "object having connectedTickets()",
        Expr::ConnectedTickets(String::new(), Span::default()),
    );
    check(
        "object having connectedTickets(a != b) AND Name = x",
        Expr::And(vec![
            Expr::ConnectedTickets("a != b".into(), Span::default()),
            eq("Name", "x"),
        ]),
    );
}

#[test]
fn custody_functions_parse_and_print() {
    check("object having overdue()", Expr::Overdue);
    check(
        r#"object HAVING checkedOutFor("HR-12", hr-13) OR Name = x"#,
        Expr::Or(vec![
            Expr::CheckedOutFor(vec!["HR-12".into(), "hr-13".into()], Span::default()),
            eq("Name", "x"),
        ]),
    );
    assert_eq!(
        parse_ok("object having OVERDUE()").to_string(),
        "object HAVING overdue()"
    );
    assert_eq!(
        parse_ok("object having checkedoutfor(HR-1)").to_string(),
        r#"object HAVING checkedOutFor("HR-1")"#
    );
    for bad in [
        "object having overdue(1)",
        "object having overdue(",
        "object having checkedOutFor(HR-1,)",
    ] {
        assert!(parse(bad).is_err(), "{bad} parsed");
    }
}

#[test]
fn broken_rule_names_attributes_or_none() {
    check(
        "object having brokenRule()",
        Expr::BrokenRule(Vec::new(), Span::default()),
    );
    check(
        r#"object HAVING BROKENRULE("Serial number", Name) AND Name = x"#,
        Expr::And(vec![
            Expr::BrokenRule(vec!["Serial number".into(), "Name".into()], Span::default()),
            eq("Name", "x"),
        ]),
    );
    assert_eq!(
        parse_ok(r#"object having brokenRule(Serial)"#).to_string(),
        r#"object HAVING brokenRule("Serial")"#
    );
    for bad in [
        "object having brokenRule(Name,)",
        "object having brokenRule(Name Serial)",
        "object having brokenRule((Name))",
    ] {
        assert!(
            matches!(parse(bad).unwrap_err().kind, ErrorKind::Expected { .. }),
            "{bad}"
        );
    }
    assert!(parse("object having brokenRule(Name").is_err());
}

fn date(anchor: DateAnchor, offset: Option<Offset>) -> Value {
    Value::Function(Function::Date { anchor, offset })
}

#[test]
fn date_functions_with_offsets() {
    let created = |value| cmp(Path::single(Attr::Created), CompareOp::Gt, value);
    check(
        "created > now(-7d)",
        created(date(
            DateAnchor::Now,
            Some(Offset {
                negative: true,
                parts: vec![(7, TimeUnit::Days)],
            }),
        )),
    );
    check(
        "created > now(+1h 30m)",
        created(date(
            DateAnchor::Now,
            Some(Offset {
                negative: false,
                parts: vec![(1, TimeUnit::Hours), (30, TimeUnit::Minutes)],
            }),
        )),
    );
    check(
        "created > now(-2h 15m)",
        created(date(
            DateAnchor::Now,
            Some(Offset {
                negative: true,
                parts: vec![(2, TimeUnit::Hours), (15, TimeUnit::Minutes)],
            }),
        )),
    );
    check(
        "created > now(1w)",
        created(date(
            DateAnchor::Now,
            Some(Offset {
                negative: false,
                parts: vec![(1, TimeUnit::Weeks)],
            }),
        )),
    );
    check("created > NOW()", created(date(DateAnchor::Now, None)));
    let names: Vec<&str> = DateAnchor::iter().map(DateAnchor::name).collect();
    assert_eq!(
        names,
        [
            "now",
            "startOfDay",
            "endOfDay",
            "startOfWeek",
            "endOfWeek",
            "startOfMonth",
            "endOfMonth",
            "startOfYear",
            "endOfYear"
        ]
    );
    for anchor in DateAnchor::iter() {
        let name = anchor.name();
        check(&format!("created > {name}()"), created(date(anchor, None)));
        check(
            &format!("created > {}(-30d)", name.to_uppercase()),
            created(date(
                anchor,
                Some(Offset {
                    negative: true,
                    parts: vec![(30, TimeUnit::Days)],
                }),
            )),
        );
    }
}

#[test]
fn user_functions() {
    let owner = |f| cmp(path(&["Owner"]), CompareOp::Eq, Value::Function(f));
    check("Owner = currentUser()", owner(Function::CurrentUser));
    check(
        "Owner = currentReporter()",
        owner(Function::CurrentReporter),
    );
    check(
        r#"Owner = user("alice")"#,
        owner(Function::User(vec!["alice".into()])),
    );
    check(
        r#"Owner in user("alice", bob)"#,
        cmp(
            path(&["Owner"]),
            CompareOp::In,
            Value::Function(Function::User(vec!["alice".into(), "bob".into()])),
        ),
    );
    check(
        r#"Owner in group("jira-users")"#,
        cmp(
            path(&["Owner"]),
            CompareOp::In,
            Value::Function(Function::Group(vec!["jira-users".into()])),
        ),
    );
    check(
        "Owner in (currentUser(), user(x))",
        cmp(
            path(&["Owner"]),
            CompareOp::In,
            Value::List(vec![
                Value::Function(Function::CurrentUser),
                Value::Function(Function::User(vec!["x".into()])),
            ]),
        ),
    );
}

#[test]
fn order_by() {
    let query = parse_ok(r#"objectType = Laptop order by "Installed on".Name desc"#);
    assert_eq!(
        query.order_by,
        vec![OrderKey {
            path: path(&["Installed on", "Name"]),
            direction: SortDirection::Desc,
        }]
    );
    assert_eq!(
        query.to_string(),
        r#"objectType = Laptop ORDER BY "Installed on".Name DESC"#
    );

    let query = parse_ok("ORDER BY label ASC, created DESC, Name");
    assert_eq!(query.filter, None);
    assert_eq!(
        query.order_by,
        vec![
            OrderKey {
                path: Path::single(Attr::Label),
                direction: SortDirection::Asc,
            },
            OrderKey {
                path: Path::single(Attr::Created),
                direction: SortDirection::Desc,
            },
            OrderKey {
                path: path(&["Name"]),
                direction: SortDirection::Asc,
            },
        ]
    );
    assert_eq!(query.to_string(), "ORDER BY label, created DESC, Name");
}

#[test]
fn an_attribute_called_order_is_not_an_order_by() {
    check(
        "order = 5",
        cmp(path(&["order"]), CompareOp::Eq, Value::Number("5".into())),
    );
}

#[test]
fn full_text_extension() {
    check(r#"text ~ "macbook pro""#, Expr::Text("macbook pro".into()));
    check("TEXT ~ macbook", Expr::Text("macbook".into()));
    check("text = x", eq("text", "x"));
}

#[test]
fn printer_quotes_where_needed() {
    let cases = [
        (r#"Name = "and""#, r#"Name = "and""#),
        (r#"Name = "EMPTY""#, r#"Name = "EMPTY""#),
        (r#"Name = "42""#, r#"Name = "42""#),
        (r#"Name = "-7d""#, r#"Name = "-7d""#),
        (r#"Name = "a.b""#, r#"Name = "a.b""#),
        (r#""order" = x"#, r#""order" = x"#),
        (r#"Name = "plain""#, "Name = plain"),
        (
            "name like x or NOT y is empty",
            "name LIKE x OR NOT y IS EMPTY",
        ),
    ];
    for (source, canonical) in cases {
        assert_eq!(parse_ok(source).to_string(), canonical, "{source}");
    }
}

#[test]
fn errors_carry_offset_line_and_column() {
    let source = "Name = x AND\n  Owner = ";
    let error = parse(source).unwrap_err();
    assert_eq!(error.offset, source.len());
    assert_eq!((error.line, error.column), (2, 11));
    assert!(matches!(error.kind, ErrorKind::Expected { .. }));
}

#[test]
fn columns_count_characters_not_bytes() {
    let error = parse("Ort = München )").unwrap_err();
    assert_eq!(error.kind, ErrorKind::UnexpectedCloseParen);
    assert_eq!(error.column, 15);
    assert_eq!(error.offset, 15);
}

#[test]
fn limits_give_errors_not_overflows() {
    let deep = format!("{}a = 1{}", "(".repeat(40), ")".repeat(40));
    assert_eq!(
        parse(&deep).unwrap_err().kind,
        ErrorKind::TooDeep { max: MAX_DEPTH }
    );
    let ok = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(parse(&ok).is_ok());
    let nots = format!("{}a = 1", "NOT ".repeat(1000));
    assert_eq!(
        parse(&nots).unwrap_err().kind,
        ErrorKind::TooDeep { max: MAX_DEPTH }
    );
    let having = "object having inR(".repeat(40);
    assert_eq!(
        parse(&having).unwrap_err().kind,
        ErrorKind::TooDeep { max: MAX_DEPTH }
    );
    let long = format!("Name = \"{}\"", "x".repeat(MAX_QUERY_CHARS));
    let error = parse(&long).unwrap_err();
    assert_eq!(
        error.kind,
        ErrorKind::TooLong {
            chars: MAX_QUERY_CHARS + 9,
            max: MAX_QUERY_CHARS
        }
    );
    assert_eq!(error.offset, MAX_QUERY_CHARS);
    let just_fits = format!("Name = \"{}\"", "x".repeat(MAX_QUERY_CHARS - 9));
    assert!(parse(&just_fits).is_ok());
}
