//! A hand-written recursive-descent parser.
//!
//! Hand-written rather than generated so that every error can say, in the user's terms, what was
//! expected where, and so that the crate stays free of parser dependencies. Recursion is bounded
//! by [`MAX_DEPTH`] and the input by [`MAX_QUERY_CHARS`], so a hostile query gets an error, never a
//! stack overflow.
//!
//! Precedence, loosest first: `OR`, `AND`, `NOT`, then a comparison or a parenthesised group.

use super::ast::{
    Attr, CompareOp, DateAnchor, Expr, Function, Offset, OrderKey, Path, Query, RefDirection,
    SortDirection, Span, Spans, TimeUnit, Value,
};
use super::error::{ErrorKind, ParseError};
use super::lexer::{Lexer, Tok, Token};

/// The longest query accepted, in characters. Queries come from search boxes and saved filters;
/// anything longer is a mistake or an attack, and bounding it bounds parsing time.
pub const MAX_QUERY_CHARS: usize = 10_000;

/// The deepest nesting of parentheses, `NOT`s and `HAVING` sub-queries accepted. Each level costs
/// a few stack frames; 32 is far beyond what people write and far below what overflows a stack.
pub const MAX_DEPTH: usize = 32;

/// Parses a query. The empty (or all-blank) query is valid and matches everything.
pub fn parse(source: &str) -> Result<Query, ParseError> {
    if let Some((offset, _)) = source.char_indices().nth(MAX_QUERY_CHARS) {
        return Err(ParseError::new(
            ErrorKind::TooLong {
                chars: source.chars().count(),
                max: MAX_QUERY_CHARS,
            },
            source,
            offset,
        ));
    }
    let mut parser = Parser {
        src: source,
        lexer: Lexer::new(source),
        peeked: None,
        depth: 0,
        last_end: 0,
    };
    parser.query()
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    depth: usize,
    /// Where the last consumed token ended, to close spans.
    last_end: usize,
}

fn is_word(tok: &Tok, word: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
}

impl<'a> Parser<'a> {
    fn error(&self, kind: ErrorKind, offset: usize) -> ParseError {
        ParseError::new(kind, self.src, offset)
    }

    fn peek(&mut self) -> Result<&Token, ParseError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        Ok(self.peeked.insert(token))
    }

    /// The token after the peeked one, without consuming either.
    fn peek2(&mut self) -> Result<Token, ParseError> {
        self.peek()?;
        self.lexer.clone().next_token()
    }

    fn bump(&mut self) -> Result<Token, ParseError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        self.last_end = token.end;
        Ok(token)
    }

    fn peek_is_word(&mut self, word: &str) -> Result<bool, ParseError> {
        Ok(is_word(&self.peek()?.tok, word))
    }

    /// How an error message names a token: its source text in backticks, or "the end of the
    /// query".
    fn describe(&self, token: &Token) -> String {
        if token.tok == Tok::Eof {
            return "the end of the query".to_owned();
        }
        let text = &self.src[token.start..token.end];
        if text.chars().count() > 40 {
            let short: String = text.chars().take(40).collect();
            format!("`{short}…`")
        } else {
            format!("`{text}`")
        }
    }

    fn expected(&self, expected: &str, found: &Token) -> ParseError {
        self.error(
            ErrorKind::Expected {
                expected: expected.to_owned(),
                found: self.describe(found),
            },
            found.start,
        )
    }

    fn enter(&mut self, offset: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(ErrorKind::TooDeep { max: MAX_DEPTH }, offset));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `)` closing the `(` at `open`: a missing one is reported at the `(` when the query simply
    /// ends, and at the offending token otherwise.
    fn close_paren(&mut self, open: usize, expected: &str) -> Result<(), ParseError> {
        let token = self.bump()?;
        match token.tok {
            Tok::RParen => Ok(()),
            Tok::Eof => Err(self.error(ErrorKind::UnclosedParen, open)),
            _ => Err(self.expected(expected, &token)),
        }
    }

    fn at_order_by(&mut self) -> Result<bool, ParseError> {
        Ok(self.peek_is_word("order")? && is_word(&self.peek2()?.tok, "by"))
    }

    fn query(&mut self) -> Result<Query, ParseError> {
        let filter = if self.peek()?.tok == Tok::Eof || self.at_order_by()? {
            None
        } else {
            Some(self.or()?)
        };
        let mut order_by = Vec::new();
        if self.at_order_by()? {
            self.bump()?;
            self.bump()?;
            loop {
                let path = self.path()?;
                let direction = if self.peek_is_word("asc")? {
                    self.bump()?;
                    SortDirection::Asc
                } else if self.peek_is_word("desc")? {
                    self.bump()?;
                    SortDirection::Desc
                } else {
                    SortDirection::Asc
                };
                order_by.push(OrderKey { path, direction });
                if self.peek()?.tok != Tok::Comma {
                    break;
                }
                self.bump()?;
            }
        }
        let token = self.bump()?;
        match token.tok {
            Tok::Eof => Ok(Query { filter, order_by }),
            Tok::RParen => Err(self.error(ErrorKind::UnexpectedCloseParen, token.start)),
            _ if !order_by.is_empty() => {
                Err(self.expected("`,`, ASC, DESC or the end of the query", &token))
            }
            _ => Err(self.expected("AND, OR, ORDER BY or the end of the query", &token)),
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut operands = vec![self.and()?];
        while self.peek_is_word("or")? {
            self.bump()?;
            operands.push(self.and()?);
        }
        Ok(match <[Expr; 1]>::try_from(operands) {
            Ok([only]) => only,
            Err(operands) => Expr::Or(operands),
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut operands = vec![self.not()?];
        while self.peek_is_word("and")? {
            self.bump()?;
            operands.push(self.not()?);
        }
        Ok(match <[Expr; 1]>::try_from(operands) {
            Ok([only]) => only,
            Err(operands) => Expr::And(operands),
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if !self.peek_is_word("not")? {
            return self.primary();
        }
        let token = self.bump()?;
        self.enter(token.start)?;
        let inner = self.not()?;
        self.leave();
        Ok(Expr::Not(Box::new(inner)))
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let token = self.bump()?;
        match &token.tok {
            Tok::LParen => {
                self.enter(token.start)?;
                let inner = self.or()?;
                self.leave();
                self.close_paren(token.start, "`)`, AND or OR")?;
                Ok(inner)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("object") => {
                if self.peek_is_word("having")? {
                    self.bump()?;
                    return self.having();
                }
                if self.peek_is_word("not")? && is_word(&self.peek2()?.tok, "having") {
                    self.bump()?;
                    self.bump()?;
                    return Ok(Expr::Not(Box::new(self.having()?)));
                }
                self.comparison(token)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("text") && self.peek()?.tok == Tok::Tilde => {
                self.bump()?;
                let value = self.bump()?;
                match value.tok {
                    Tok::Str(s) | Tok::Word(s) => Ok(Expr::Text(s)),
                    _ => Err(self.expected("the words to search for after `~`", &value)),
                }
            }
            Tok::Word(_) | Tok::Str(_) | Tok::Number(_) => self.comparison(token),
            Tok::RParen => Err(self.error(ErrorKind::UnexpectedCloseParen, token.start)),
            _ => Err(self.expected("an attribute, `(` or NOT", &token)),
        }
    }

    /// One path segment from an already consumed token.
    fn segment(&self, token: &Token) -> Result<Attr, ParseError> {
        match &token.tok {
            Tok::Word(w) => Ok(Attr::keyword(w).unwrap_or_else(|| Attr::Named(w.clone()))),
            Tok::Str(s) => Ok(Attr::Named(s.clone())),
            Tok::Number(n) => Ok(Attr::Named(n.clone())),
            _ => Err(self.expected("an attribute name", token)),
        }
    }

    /// The rest of a path whose first segment is `first`.
    fn path_from(&mut self, first: &Token) -> Result<Path, ParseError> {
        let mut segments = vec![self.segment(first)?];
        let mut spans = vec![Span {
            start: first.start,
            end: first.end,
        }];
        while self.peek()?.tok == Tok::Dot {
            self.bump()?;
            let token = self.bump()?;
            match token.tok {
                Tok::Word(_) | Tok::Str(_) | Tok::Number(_) => {
                    segments.push(self.segment(&token)?);
                    spans.push(Span {
                        start: token.start,
                        end: token.end,
                    });
                }
                _ => return Err(self.expected("an attribute name after `.`", &token)),
            }
        }
        Ok(Path(segments, Spans(spans)))
    }

    fn path(&mut self) -> Result<Path, ParseError> {
        let first = self.bump()?;
        match first.tok {
            Tok::Word(_) | Tok::Str(_) | Tok::Number(_) => self.path_from(&first),
            _ => Err(self.expected("an attribute name", &first)),
        }
    }

    fn comparison(&mut self, first: Token) -> Result<Expr, ParseError> {
        let path = self.path_from(&first)?;
        let op = self.operator()?;
        let value_start = self.peek()?.start;
        let value = match op {
            CompareOp::Is | CompareOp::IsNot => {
                let token = self.bump()?;
                if !is_word(&token.tok, "empty") {
                    return Err(self.expected("EMPTY", &token));
                }
                Value::Empty
            }
            CompareOp::In | CompareOp::NotIn => self.list_or_function()?,
            _ => self.value()?,
        };
        Ok(Expr::Compare {
            path,
            op,
            value,
            value_span: Span {
                start: value_start,
                end: self.last_end,
            },
        })
    }

    fn operator(&mut self) -> Result<CompareOp, ParseError> {
        let token = self.bump()?;
        let op = match &token.tok {
            Tok::Eq => CompareOp::Eq,
            Tok::EqEq => CompareOp::EqCase,
            Tok::Ne => CompareOp::Ne,
            Tok::Lt => CompareOp::Lt,
            Tok::Gt => CompareOp::Gt,
            Tok::Le => CompareOp::Le,
            Tok::Ge => CompareOp::Ge,
            Tok::Tilde => return Err(self.error(ErrorKind::TildeNeedsText, token.start)),
            Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                "like" => CompareOp::Like,
                "in" => CompareOp::In,
                "startswith" => CompareOp::StartsWith,
                "endswith" => CompareOp::EndsWith,
                "is" => {
                    if self.peek_is_word("not")? {
                        self.bump()?;
                        CompareOp::IsNot
                    } else {
                        CompareOp::Is
                    }
                }
                "not" => {
                    let next = self.bump()?;
                    if is_word(&next.tok, "like") {
                        CompareOp::NotLike
                    } else if is_word(&next.tok, "in") {
                        CompareOp::NotIn
                    } else {
                        return Err(self.expected("LIKE or IN after NOT", &next));
                    }
                }
                _ => {
                    return Err(self.error(
                        ErrorKind::UnknownOperator(self.describe(&token)),
                        token.start,
                    ));
                }
            },
            _ => return Err(self.expected("an operator such as = or LIKE", &token)),
        };
        Ok(op)
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        let token = self.bump()?;
        match token.tok {
            Tok::Str(s) => Ok(Value::Str(s)),
            Tok::Number(n) => Ok(Value::Number(n)),
            // A connective where a value belongs is a forgotten value, not the value "AND".
            Tok::Word(ref w)
                if ["and", "or", "not"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                Err(self.expected("a value", &token))
            }
            Tok::Word(w) if self.peek()?.tok == Tok::LParen => {
                Ok(Value::Function(self.function(&w, token.start)?))
            }
            Tok::Word(w) => Ok(Value::Str(w)),
            _ => Err(self.expected("a value", &token)),
        }
    }

    fn list_or_function(&mut self) -> Result<Value, ParseError> {
        let token = self.peek()?.clone();
        match token.tok {
            Tok::LParen => {
                self.bump()?;
                let mut items = Vec::new();
                loop {
                    if self.peek()?.tok == Tok::Eof {
                        return Err(self.error(ErrorKind::UnclosedParen, token.start));
                    }
                    items.push(self.value()?);
                    let next = self.bump()?;
                    match next.tok {
                        Tok::Comma => {}
                        Tok::RParen => return Ok(Value::List(items)),
                        Tok::Eof => return Err(self.error(ErrorKind::UnclosedParen, token.start)),
                        _ => return Err(self.expected("`,` or `)`", &next)),
                    }
                }
            }
            Tok::Word(_) if self.peek2()?.tok == Tok::LParen => self.value(),
            _ => Err(self.expected("`(` and a list of values after IN", &token)),
        }
    }

    /// A function call whose name was consumed and whose `(` is the peeked token.
    fn function(&mut self, name: &str, name_start: usize) -> Result<Function, ParseError> {
        let open = self.bump()?.start;
        let lower = name.to_ascii_lowercase();
        if let Ok(anchor) = name.parse::<DateAnchor>() {
            let offset = self.offset(open)?;
            return Ok(Function::Date { anchor, offset });
        }
        match lower.as_str() {
            "currentuser" | "currentreporter" => {
                let token = self.bump()?;
                match token.tok {
                    Tok::RParen => {}
                    Tok::Eof => return Err(self.error(ErrorKind::UnclosedParen, open)),
                    _ => {
                        return Err(self.error(
                            ErrorKind::BadArguments {
                                function: if lower == "currentuser" {
                                    "currentUser"
                                } else {
                                    "currentReporter"
                                },
                                message: "takes no arguments".to_owned(),
                            },
                            token.start,
                        ));
                    }
                }
                Ok(if lower == "currentuser" {
                    Function::CurrentUser
                } else {
                    Function::CurrentReporter
                })
            }
            "user" => Ok(Function::User(self.names(open, "user")?)),
            "group" => Ok(Function::Group(self.names(open, "group")?)),
            "objecttypeandchildren" => {
                let names = self.names(open, "objectTypeAndChildren")?;
                match <[String; 1]>::try_from(names) {
                    Ok([name]) => Ok(Function::ObjectTypeAndChildren(name)),
                    Err(_) => Err(self.error(
                        ErrorKind::BadArguments {
                            function: "objectTypeAndChildren",
                            message: "takes exactly one object type name or id".to_owned(),
                        },
                        open,
                    )),
                }
            }
            _ => Err(self.error(ErrorKind::UnknownFunction(name.to_owned()), name_start)),
        }
    }

    /// One or more comma-separated names (quoted, bare or numeric ids) and the closing `)`.
    fn names(&mut self, open: usize, function: &'static str) -> Result<Vec<String>, ParseError> {
        let mut names = Vec::new();
        loop {
            let token = self.bump()?;
            match token.tok {
                Tok::Str(s) | Tok::Word(s) | Tok::Number(s) => names.push(s),
                Tok::Eof => return Err(self.error(ErrorKind::UnclosedParen, open)),
                _ => {
                    return Err(self.error(
                        ErrorKind::BadArguments {
                            function,
                            message: format!("expected a name, found {}", self.describe(&token)),
                        },
                        token.start,
                    ));
                }
            }
            if self.peek()?.tok != Tok::Comma {
                break;
            }
            self.bump()?;
        }
        self.close_paren(open, "`,` or `)`")?;
        Ok(names)
    }

    /// The optional offset of a date function, e.g. `-7d` or `+1h 30m`, and the closing `)`.
    fn offset(&mut self, open: usize) -> Result<Option<Offset>, ParseError> {
        let mut negative = false;
        let mut signed = false;
        let mut parts = Vec::new();
        loop {
            let token = self.bump()?;
            let word = match &token.tok {
                Tok::RParen => break,
                Tok::Eof => return Err(self.error(ErrorKind::UnclosedParen, open)),
                Tok::Plus if !signed && parts.is_empty() => {
                    signed = true;
                    continue;
                }
                Tok::Word(w) => w.as_str(),
                _ => {
                    let text = self.src[token.start..token.end].to_owned();
                    return Err(self.error(ErrorKind::BadOffset(text), token.start));
                }
            };
            let bad = || self.error(ErrorKind::BadOffset(word.to_owned()), token.start);
            let mut body = word;
            if let Some(rest) = word.strip_prefix('-') {
                if signed || !parts.is_empty() {
                    return Err(bad());
                }
                negative = true;
                signed = true;
                body = rest;
            }
            let Some(unit_char) = body.chars().last() else {
                return Err(bad());
            };
            let unit = match unit_char.to_ascii_lowercase() {
                'm' => TimeUnit::Minutes,
                'h' => TimeUnit::Hours,
                'd' => TimeUnit::Days,
                'w' => TimeUnit::Weeks,
                _ => return Err(bad()),
            };
            let digits = &body[..body.len() - unit_char.len_utf8()];
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let amount = digits.parse::<u32>().map_err(|_| bad())?;
            parts.push((amount, unit));
        }
        if parts.is_empty() {
            if signed {
                return Err(self.error(ErrorKind::BadOffset("+".to_owned()), open + 1));
            }
            return Ok(None);
        }
        Ok(Some(Offset { negative, parts }))
    }

    /// `inR(…)`, `outR(…)`, `connectedTickets(…)`, `brokenRule(…)`, `overdue()` or
    /// `checkedOutFor(…)` after `object HAVING`.
    fn having(&mut self) -> Result<Expr, ParseError> {
        let name = self.bump()?;
        let span = Span {
            start: name.start,
            end: name.end,
        };
        let kind = match &name.tok {
            Tok::Word(w) => w.to_ascii_lowercase(),
            _ => String::new(),
        };
        let direction = match kind.as_str() {
            "inr" | "inboundreferences" => Some(RefDirection::Inbound),
            "outr" | "outboundreferences" => Some(RefDirection::Outbound),
            "connectedtickets" | "brokenrule" | "overdue" | "checkedoutfor" => None,
            _ => {
                return Err(self.expected(
                    "inR(…), outR(…), connectedTickets(…), brokenRule(…), overdue() or \
                     checkedOutFor(…) after HAVING",
                    &name,
                ));
            }
        };
        let open = self.bump()?;
        if open.tok != Tok::LParen {
            return Err(self.expected("`(`", &open));
        }
        let Some(direction) = direction else {
            match kind.as_str() {
                "brokenrule" => return self.broken_rule(open.start),
                "overdue" => {
                    self.close_paren(open.start, "`)`: overdue() takes nothing")?;
                    return Ok(Expr::Overdue);
                }
                "checkedoutfor" => {
                    let (keys, span) = self.listed(open.start, "an issue key")?;
                    return Ok(Expr::CheckedOutFor(keys, span));
                }
                _ => {}
            }
            return self.connected_tickets(open.start, span);
        };
        self.enter(open.start)?;
        let filter = match self.peek()?.tok {
            Tok::RParen | Tok::Comma => None,
            _ => Some(Box::new(self.or()?)),
        };
        self.leave();
        let mut ref_types = Vec::new();
        while self.peek()?.tok == Tok::Comma {
            self.bump()?;
            let token = self.bump()?;
            match token.tok {
                Tok::Str(s) | Tok::Word(s) => ref_types.push(s),
                _ => return Err(self.expected("a reference type name", &token)),
            }
        }
        self.close_paren(open.start, "`,`, `)`, AND or OR")?;
        Ok(Expr::Having {
            direction,
            filter,
            ref_types,
            span,
        })
    }

    /// The attribute names of `brokenRule(…)`, quoted or bare, separated by commas.
    fn broken_rule(&mut self, open: usize) -> Result<Expr, ParseError> {
        let (names, span) = self.listed(open, "an attribute name")?;
        Ok(Expr::BrokenRule(names, span))
    }

    /// Words or quoted strings up to the `)` that closes `open`, separated by commas (none at
    /// all is allowed); `what` says what each is, for errors.
    fn listed(&mut self, open: usize, what: &str) -> Result<(Vec<String>, Span), ParseError> {
        let mut names = Vec::new();
        let mut span = Span {
            start: open,
            end: open + 1,
        };
        if self.peek()?.tok != Tok::RParen {
            loop {
                let token = self.bump()?;
                match token.tok {
                    Tok::Str(s) | Tok::Word(s) => names.push(s),
                    _ => return Err(self.expected(what, &token)),
                }
                span.end = token.end;
                if self.peek()?.tok != Tok::Comma {
                    break;
                }
                self.bump()?;
            }
        }
        self.close_paren(open, "`,` or `)`")?;
        Ok((names, span))
    }

    /// The JQL of `connectedTickets(…)`: one quoted string, or the raw text up to the matching
    /// `)`. Nothing is peeked when this is called, so the lexer stands right after the `(`.
    fn connected_tickets(&mut self, open: usize, span: Span) -> Result<Expr, ParseError> {
        let mut ahead = self.lexer.clone();
        if let Ok(Token {
            tok: Tok::Str(jql), ..
        }) = ahead.next_token()
            && matches!(
                ahead.next_token(),
                Ok(Token {
                    tok: Tok::RParen,
                    ..
                })
            )
        {
            self.lexer = ahead;
            return Ok(Expr::ConnectedTickets(jql, span));
        }
        let raw = self.lexer.raw_until_close_paren(open)?;
        Ok(Expr::ConnectedTickets(raw.trim().to_owned(), span))
    }
}
