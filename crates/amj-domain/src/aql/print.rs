//! Prints a query as canonical AQL: upper-case operators and keywords, canonical function and
//! keyword-attribute names, quotes only where a bare word would be misread.
//!
//! The contract is `parse(&query.to_string()) == Ok(query)` for every tree the parser can
//! produce (the property tests check it), so a saved filter can be stored as its canonical text
//! and a UI can rebuild the text from a tree it edited.

use std::fmt::{self, Display, Formatter, Write as _};

use super::ast::{
    Attr, CompareOp, Expr, Function, Offset, OrderKey, Path, Query, RefDirection, SortDirection,
    Value,
};
use super::lexer::is_word_char;

/// Words that cannot stand bare as a value or attribute name, because the parser reads them as
/// keywords in some position.
const RESERVED: [&str; 16] = [
    "and",
    "or",
    "not",
    "in",
    "is",
    "like",
    "empty",
    "order",
    "by",
    "asc",
    "desc",
    "having",
    "startswith",
    "endswith",
    "object",
    "text",
];

/// Whether `s` reads back as the same bare word (not a number, keyword or several tokens).
fn is_bare(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    !first.is_ascii_digit()
        && first != '-'
        && s.chars().all(is_word_char)
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

/// Writes `s` as a double-quoted string with `"` and `\` escaped.
fn write_quoted(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

/// Writes `s` bare if that reads back the same, quoted otherwise.
fn write_word(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    if is_bare(s) {
        f.write_str(s)
    } else {
        write_quoted(f, s)
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(filter) = &self.filter {
            write!(f, "{filter}")?;
            if !self.order_by.is_empty() {
                f.write_char(' ')?;
            }
        }
        if !self.order_by.is_empty() {
            f.write_str("ORDER BY ")?;
            for (i, key) in self.order_by.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{key}")?;
            }
        }
        Ok(())
    }
}

impl Display for OrderKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        match self.direction {
            SortDirection::Asc => Ok(()),
            SortDirection::Desc => f.write_str(" DESC"),
        }
    }
}

/// Writes `expr` in parentheses if it is an `AND` or `OR`, which would otherwise bind
/// differently where it stands.
fn write_grouped(f: &mut Formatter<'_>, expr: &Expr) -> fmt::Result {
    match expr {
        Expr::And(_) | Expr::Or(_) => write!(f, "({expr})"),
        _ => write!(f, "{expr}"),
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(operands) => {
                for (i, operand) in operands.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    // An AND binds tighter than OR and needs no parentheses, but a nested OR was
                    // parenthesised in the source (the parser flattens the others) and keeps them.
                    match operand {
                        Expr::Or(_) => write!(f, "({operand})")?,
                        _ => write!(f, "{operand}")?,
                    }
                }
                Ok(())
            }
            Expr::And(operands) => {
                for (i, operand) in operands.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" AND ")?;
                    }
                    write_grouped(f, operand)?;
                }
                Ok(())
            }
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                write_grouped(f, inner)
            }
            Expr::Compare {
                path, op, value, ..
            } => write!(f, "{path} {op} {value}"),
            Expr::Having {
                direction,
                filter,
                ref_types,
                ..
            } => {
                let name = match direction {
                    RefDirection::Inbound => "inR",
                    RefDirection::Outbound => "outR",
                };
                write!(f, "object HAVING {name}(")?;
                if let Some(filter) = filter {
                    write!(f, "{filter}")?;
                }
                // Every reference type follows a comma, even after an empty filter: `inR(, "x")`.
                for ref_type in ref_types {
                    f.write_str(", ")?;
                    write_quoted(f, ref_type)?;
                }
                f.write_char(')')
            }
            Expr::ConnectedTickets(jql, _) => {
                f.write_str("object HAVING connectedTickets(")?;
                write_quoted(f, jql)?;
                f.write_char(')')
            }
            Expr::Overdue => f.write_str("object HAVING overdue()"),
            Expr::CheckedOutFor(keys, _) => {
                f.write_str("object HAVING checkedOutFor(")?;
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_quoted(f, key)?;
                }
                f.write_char(')')
            }
            Expr::BrokenRule(names, _) => {
                f.write_str("object HAVING brokenRule(")?;
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_quoted(f, name)?;
                }
                f.write_char(')')
            }
            Expr::Text(words) => {
                f.write_str("text ~ ")?;
                write_quoted(f, words)
            }
        }
    }
}

impl Display for Path {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("\"\"");
        }
        for (i, attr) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            write!(f, "{attr}")?;
        }
        Ok(())
    }
}

impl Display for Attr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Attr::Named(name) = self {
            // A named attribute that is spelled like a keyword must be quoted to stay named.
            return if Attr::keyword(name).is_some() {
                write_quoted(f, name)
            } else {
                write_word(f, name)
            };
        }
        let name = Attr::KEYWORDS
            .iter()
            .find(|(attr, _)| attr == self)
            .map_or("", |(_, name)| name);
        f.write_str(name)
    }
}

impl Display for CompareOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompareOp::Eq => "=",
            CompareOp::EqCase => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Gt => ">",
            CompareOp::Le => "<=",
            CompareOp::Ge => ">=",
            CompareOp::Like => "LIKE",
            CompareOp::NotLike => "NOT LIKE",
            CompareOp::In => "IN",
            CompareOp::NotIn => "NOT IN",
            CompareOp::StartsWith => "STARTSWITH",
            CompareOp::EndsWith => "ENDSWITH",
            CompareOp::Is => "IS",
            CompareOp::IsNot => "IS NOT",
        })
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write_word(f, s),
            Value::Number(n) => f.write_str(n),
            Value::List(items) => {
                f.write_char('(')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(')')
            }
            Value::Function(function) => write!(f, "{function}"),
            Value::Empty => f.write_str("EMPTY"),
        }
    }
}

/// Writes `name("a", "b")`.
fn write_call(f: &mut Formatter<'_>, name: &str, args: &[String]) -> fmt::Result {
    write!(f, "{name}(")?;
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_quoted(f, arg)?;
    }
    f.write_char(')')
}

impl Display for Function {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Function::Date { anchor, offset } => {
                write!(f, "{}(", anchor.name())?;
                if let Some(offset) = offset {
                    write!(f, "{offset}")?;
                }
                f.write_char(')')
            }
            Function::CurrentUser => f.write_str("currentUser()"),
            Function::CurrentReporter => f.write_str("currentReporter()"),
            Function::User(names) => write_call(f, "user", names),
            Function::Group(names) => write_call(f, "group", names),
            Function::ObjectTypeAndChildren(name) => {
                write_call(f, "objectTypeAndChildren", std::slice::from_ref(name))
            }
        }
    }
}

impl Display for Offset {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char(if self.negative { '-' } else { '+' })?;
        for (i, (amount, unit)) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            write!(f, "{amount}{}", unit.suffix())?;
        }
        Ok(())
    }
}
