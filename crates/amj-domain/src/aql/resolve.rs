//! Resolution: a parsed query, checked against one schema, becomes a typed [`Plan`].
//!
//! Every name is looked up (case-insensitively) and every value is converted to the attribute's
//! kind here, so that an error can say exactly what is wrong, where, and what was probably meant:
//!
//! ```text
//! error: unknown attribute `Serail`; did you mean `Serial`?
//!  --> line 1, column 1
//! ```
//!
//! Attribute names are looked up among the attributes that assets in scope can have: at the start
//! of a path, every type of the schema; after a reference, the reference's target type and its
//! subtypes. A name several types share (`Name` on Laptop and on Location) means all of them.

use super::ast::{
    Attr, CompareOp, DateAnchor, Expr, Function, OrderKey, Path, Query, RefDirection,
    SortDirection, Span, TimeUnit, Value,
};
use super::error::{ErrorKind, ParseError};
use super::plan::{
    AssetCond, Cmp, CustodyCond, Filter, LicenceCond, Order, Plan, SortField, SortKey, SortValue,
    StockCond, TextCond, ValueCond, search_terms,
};
use crate::ids::{AttributeId, StatusId, TypeId};
use crate::value::{index_text, parse_date, parse_datetime};
use crate::{AssetKey, AttributeDef, AttributeKind, Schema, Status, TypeTree};
use std::collections::HashSet;
use time::{Duration, OffsetDateTime, Time};

/// What resolution needs to know about a schema.
#[derive(Debug, Clone, Copy)]
pub struct Catalog<'a> {
    pub schema: &'a Schema,
    pub statuses: &'a [Status],
    pub types: &'a TypeTree,
    /// Every attribute of every type of the schema.
    pub attributes: &'a [AttributeDef],
}

/// Facts about the request that functions such as `now()` and `currentUser()` depend on.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Epoch milliseconds; the date functions count from here, in UTC.
    pub now_millis: i64,
    /// The Atlassian accountId of the person asking, if a person is asking.
    pub current_user: Option<String>,
}

const DAY_MILLIS: i64 = 86_400_000;

/// Resolves `query` (parsed from `source`) against `catalog`.
pub fn resolve(
    query: &Query,
    source: &str,
    catalog: &Catalog<'_>,
    context: &Context,
) -> Result<Plan, ParseError> {
    let resolver = Resolver {
        source,
        catalog,
        context,
        all_types: catalog.types.types().map(|t| t.id).collect(),
    };
    let filter = match &query.filter {
        Some(expr) => resolver.expr(expr)?,
        None => Filter::Const(true),
    };
    let (order, descending) = resolver.order(&query.order_by)?;
    Ok(Plan {
        filter,
        order,
        descending,
    })
}

/// The names a query may use for attributes at the start of a path: keywords and the schema's
/// attribute names, sorted and without duplicates. Editors complete from this list.
pub fn attribute_names(catalog: &Catalog<'_>) -> Vec<String> {
    let mut names: Vec<String> = Attr::KEYWORDS
        .iter()
        .map(|(_, name)| (*name).to_owned())
        .collect();
    let mut seen: HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let mut attributes: Vec<&str> = catalog.attributes.iter().map(|a| a.name.as_str()).collect();
    attributes.sort_unstable();
    for name in attributes {
        if seen.insert(name.to_lowercase()) {
            names.push(name.to_owned());
        }
    }
    names
}

struct Resolver<'a> {
    source: &'a str,
    catalog: &'a Catalog<'a>,
    context: &'a Context,
    all_types: Vec<TypeId>,
}

/// A path followed through its references.
struct Walk<'a, 'p> {
    /// The reference attributes of each hop.
    hops: Vec<Vec<AttributeId>>,
    terminal: Terminal<'a>,
    last: &'p Attr,
    /// Where the last segment was written.
    span: Span,
}

/// The end of a path: a built-in field or the attributes a name means.
enum Terminal<'a> {
    Keyword(Attr),
    Attributes(Vec<&'a AttributeDef>),
}

impl<'a> Resolver<'a> {
    fn error(&self, kind: ErrorKind, span: Span) -> ParseError {
        ParseError::new(kind, self.source, span.start)
    }

    fn expr(&self, expr: &Expr) -> Result<Filter, ParseError> {
        Ok(match expr {
            Expr::And(parts) => Filter::And(
                parts
                    .iter()
                    .map(|p| self.expr(p))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(parts) => Filter::Or(
                parts
                    .iter()
                    .map(|p| self.expr(p))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(inner) => Filter::Not(Box::new(self.expr(inner)?)),
            Expr::Compare {
                path,
                op,
                value,
                value_span,
            } => self.compare(path, *op, value, *value_span)?,
            Expr::Having {
                direction,
                filter,
                ref_types,
                span,
            } => {
                let attributes = self.reference_attributes(ref_types, *span)?;
                let inner = match filter {
                    Some(f) => self.expr(f)?,
                    None => Filter::Const(true),
                };
                match direction {
                    RefDirection::Outbound => Filter::Refers {
                        attributes,
                        target: Box::new(inner),
                    },
                    RefDirection::Inbound => Filter::ReferredBy {
                        attributes,
                        source: Box::new(inner),
                    },
                }
            }
            Expr::ConnectedTickets(jql, span) => {
                if jql.trim().is_empty() {
                    Filter::Linked(None)
                } else {
                    Filter::Jql {
                        jql: jql.clone(),
                        offset: span.start,
                    }
                }
            }
            Expr::Overdue => Filter::Custody(CustodyCond::DueBefore(
                self.context.now_millis.div_euclid(DAY_MILLIS),
            )),
            Expr::CheckedOutFor(keys, span) => {
                if keys.is_empty() {
                    return Err(self.error(
                        ErrorKind::Resolve(
                            "checkedOutFor(…) needs at least one issue key, such as \"HR-12\""
                                .to_owned(),
                        ),
                        *span,
                    ));
                }
                let mut issues = Vec::with_capacity(keys.len());
                for key in keys {
                    let key = key.trim().to_uppercase();
                    if !crate::custody::is_issue_key(&key) {
                        return Err(self.error(
                            ErrorKind::Resolve(format!(
                                "checkedOutFor(…): {key:?} is not a Jira issue key such as HR-12"
                            )),
                            *span,
                        ));
                    }
                    issues.push(key);
                }
                issues.sort();
                issues.dedup();
                Filter::Custody(CustodyCond::ForIssue(issues))
            }
            Expr::BrokenRule(names, span) => {
                if names.is_empty() {
                    Filter::BrokenRule(None)
                } else {
                    let mut ids = Vec::new();
                    for name in names {
                        let found = self.attributes_named(&self.all_types, name);
                        if found.is_empty() {
                            return Err(self.unknown_attribute(&self.all_types, name, *span));
                        }
                        ids.extend(found.iter().map(|a| a.id));
                    }
                    ids.sort();
                    ids.dedup();
                    Filter::BrokenRule(Some(ids))
                }
            }
            Expr::Text(words) => {
                let terms = search_terms(words);
                if terms.is_empty() {
                    return Err(self.error(
                        ErrorKind::Resolve(
                            "`text ~` needs at least one word of letters or digits".to_owned(),
                        ),
                        Span::default(),
                    ));
                }
                Filter::Text(terms)
            }
        })
    }

    /// Reference attributes with one of the named reference types (all of them for none).
    fn reference_attributes(
        &self,
        ref_types: &[String],
        span: Span,
    ) -> Result<Vec<AttributeId>, ParseError> {
        let references: Vec<(&AttributeDef, &str)> = self
            .catalog
            .attributes
            .iter()
            .filter_map(|a| match &a.kind {
                AttributeKind::Reference { reference_type, .. } => {
                    Some((a, reference_type.as_str()))
                }
                _ => None,
            })
            .collect();
        if ref_types.is_empty() {
            return Ok(references.iter().map(|(a, _)| a.id).collect());
        }
        let mut out = Vec::new();
        for wanted in ref_types {
            let matching: Vec<AttributeId> = references
                .iter()
                .filter(|(_, t)| t.to_lowercase() == wanted.to_lowercase())
                .map(|(a, _)| a.id)
                .collect();
            if matching.is_empty() {
                let known: Vec<&str> = references.iter().map(|(_, t)| *t).collect();
                return Err(self.error(
                    ErrorKind::Unknown {
                        what: "reference type",
                        name: wanted.clone(),
                        suggestion: suggest(wanted, known.iter().copied()),
                    },
                    span,
                ));
            }
            out.extend(matching);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Attributes named `name` that an asset of one of `scope`'s types has.
    fn attributes_named(&self, scope: &[TypeId], name: &str) -> Vec<&'a AttributeDef> {
        let declaring: HashSet<TypeId> = scope
            .iter()
            .flat_map(|t| self.catalog.types.ancestors_and_self(*t))
            .collect();
        let lower = name.to_lowercase();
        self.catalog
            .attributes
            .iter()
            .filter(|a| declaring.contains(&a.type_id) && a.name.to_lowercase() == lower)
            .collect()
    }

    fn unknown_attribute(&self, scope: &[TypeId], name: &str, span: Span) -> ParseError {
        let declaring: HashSet<TypeId> = scope
            .iter()
            .flat_map(|t| self.catalog.types.ancestors_and_self(*t))
            .collect();
        let candidates = self
            .catalog
            .attributes
            .iter()
            .filter(|a| declaring.contains(&a.type_id))
            .map(|a| a.name.as_str())
            .chain(Attr::KEYWORDS.iter().map(|(_, n)| *n));
        self.error(
            ErrorKind::Unknown {
                what: "attribute",
                name: name.to_owned(),
                suggestion: suggest(name, candidates),
            },
            span,
        )
    }

    /// Follows a path's references: the attributes of each hop and the path's last segment.
    fn walk<'p>(&self, path: &'p Path) -> Result<Walk<'a, 'p>, ParseError> {
        let mut scope = self.all_types.clone();
        let mut hops = Vec::new();
        let segments = &path.0;
        let Some((last, init)) = segments.split_last() else {
            return Err(self.error(
                ErrorKind::Resolve("an empty attribute path".to_owned()),
                Span::default(),
            ));
        };
        for (index, segment) in init.iter().enumerate() {
            let span = path.span(index);
            let Attr::Named(name) = segment else {
                return Err(self.error(
                    ErrorKind::Resolve(format!(
                        "{} is not a reference, so `.` cannot follow it",
                        describe_attr(segment)
                    )),
                    span,
                ));
            };
            let found = self.attributes_named(&scope, name);
            if found.is_empty() {
                return Err(self.unknown_attribute(&scope, name, span));
            }
            let mut next_scope = Vec::new();
            let mut hop = Vec::new();
            for attribute in &found {
                match &attribute.kind {
                    AttributeKind::Reference { target_type, .. } => {
                        hop.push(attribute.id);
                        next_scope.extend(self.catalog.types.descendants_and_self(*target_type));
                    }
                    other => {
                        return Err(self.error(
                            ErrorKind::Resolve(format!(
                                "`{}` is {} attribute, not a reference, so `.` cannot follow it",
                                attribute.name,
                                with_article(kind_label(other))
                            )),
                            span,
                        ));
                    }
                }
            }
            next_scope.sort();
            next_scope.dedup();
            scope = next_scope;
            hops.push(hop);
        }
        let span = path.span(segments.len() - 1);
        let terminal = match last {
            Attr::Named(name) => {
                let found = self.attributes_named(&scope, name);
                if found.is_empty() {
                    return Err(self.unknown_attribute(&scope, name, span));
                }
                Terminal::Attributes(found)
            }
            keyword => Terminal::Keyword(keyword.clone()),
        };
        Ok(Walk {
            hops,
            terminal,
            last,
            span,
        })
    }

    fn compare(
        &self,
        path: &Path,
        op: CompareOp,
        value: &Value,
        value_span: Span,
    ) -> Result<Filter, ParseError> {
        let Walk {
            hops,
            terminal,
            last,
            span: attr_span,
        } = self.walk(path)?;
        let has = match &terminal {
            Terminal::Keyword(Attr::Retired) => Filter::Asset(AssetCond::Retired(None)),
            Terminal::Keyword(Attr::Holder | Attr::CheckedOut) => Filter::Custody(CustodyCond::Out),
            Terminal::Keyword(Attr::Due) => Filter::Custody(CustodyCond::HasDue),
            Terminal::Keyword(Attr::SeatsEntitled | Attr::SeatsAssigned | Attr::SeatsFree) => {
                Filter::Licence(LicenceCond::Licensed)
            }
            Terminal::Keyword(Attr::Quantity | Attr::BelowMinimum) => {
                Filter::Stock(StockCond::Stocked)
            }
            Terminal::Keyword(_) => Filter::Const(true),
            Terminal::Attributes(attributes) => Filter::Value {
                attributes: attributes.iter().map(|a| a.id).collect(),
                cond: ValueCond::Exists,
            },
        };
        let wrap = |filter: Filter| {
            hops.iter()
                .rev()
                .fold(filter, |target, hop| Filter::Refers {
                    attributes: hop.clone(),
                    target: Box::new(target),
                })
        };
        let (positive, negated) = match op {
            CompareOp::Is | CompareOp::IsNot => {
                if *value != Value::Empty {
                    return Err(self.error(
                        ErrorKind::Resolve("IS and IS NOT only take EMPTY".to_owned()),
                        value_span,
                    ));
                }
                return Ok(if op == CompareOp::Is {
                    Filter::Not(Box::new(wrap(has)))
                } else {
                    wrap(has)
                });
            }
            CompareOp::Ne => (CompareOp::Eq, true),
            CompareOp::NotLike => (CompareOp::Like, true),
            CompareOp::NotIn => (CompareOp::In, true),
            other => (other, false),
        };
        if *value == Value::Empty {
            return Err(self.error(
                ErrorKind::Resolve(
                    "EMPTY only works with IS and IS NOT, as in `Owner IS EMPTY`".to_owned(),
                ),
                value_span,
            ));
        }
        let values = self.values(positive, value, value_span)?;
        for value in &values {
            let unsupported = match value {
                Value::Function(Function::Group(_)) => Some(
                    "group(…) is not supported yet: list the members with user(\"accountId\", …)",
                ),
                Value::Function(Function::CurrentReporter) => Some(
                    "currentReporter() is not supported yet: it needs the issue a query runs for",
                ),
                _ => None,
            };
            if let Some(message) = unsupported {
                return Err(self.error(ErrorKind::Resolve(message.to_owned()), value_span));
            }
        }
        let condition = match &terminal {
            Terminal::Keyword(keyword) => {
                self.keyword_condition(keyword, positive, &values, value_span, attr_span)?
            }
            Terminal::Attributes(attributes) => {
                self.attribute_condition(attributes, last, positive, &values, value_span)?
            }
        };
        Ok(if negated {
            Filter::And(vec![wrap(has), Filter::Not(Box::new(wrap(condition)))])
        } else {
            wrap(condition)
        })
    }

    /// The right-hand side as a flat list: `IN (…)` and multi-valued functions give several.
    fn values<'v>(
        &self,
        op: CompareOp,
        value: &'v Value,
        span: Span,
    ) -> Result<Vec<&'v Value>, ParseError> {
        match value {
            Value::List(items) => {
                if op != CompareOp::In {
                    return Err(self.error(
                        ErrorKind::Resolve("a list of values needs IN or NOT IN".to_owned()),
                        span,
                    ));
                }
                Ok(items.iter().collect())
            }
            other => Ok(vec![other]),
        }
    }

    fn unsupported(&self, op: CompareOp, what: &str, span: Span) -> ParseError {
        self.error(
            ErrorKind::Resolve(format!("{op} does not apply to {what}")),
            span,
        )
    }

    fn keyword_condition(
        &self,
        keyword: &Attr,
        op: CompareOp,
        values: &[&Value],
        value_span: Span,
        attr_span: Span,
    ) -> Result<Filter, ParseError> {
        let equality = matches!(op, CompareOp::Eq | CompareOp::EqCase | CompareOp::In);
        match keyword {
            Attr::ObjectType | Attr::ObjectTypeId => {
                if !equality {
                    return Err(self.unsupported(op, "objectType", value_span));
                }
                let mut ids = Vec::new();
                for value in values {
                    match value {
                        Value::Function(Function::ObjectTypeAndChildren(name)) => {
                            let id = self.type_named(name, value_span)?;
                            ids.extend(self.catalog.types.descendants_and_self(id));
                        }
                        other => {
                            let text = self.plain(other, "an object type", value_span)?;
                            ids.push(self.type_named(&text, value_span)?);
                        }
                    }
                }
                ids.sort();
                ids.dedup();
                Ok(Filter::Asset(AssetCond::TypeIn(ids)))
            }
            Attr::ObjectSchema | Attr::ObjectSchemaId => {
                if !equality {
                    return Err(self.unsupported(op, "objectSchema", value_span));
                }
                let schema = self.catalog.schema;
                let mut any = false;
                for value in values {
                    let text = self.plain(value, "a schema key, name or id", value_span)?;
                    any |= text.eq_ignore_ascii_case(schema.key.as_str())
                        || text.to_lowercase() == schema.name.to_lowercase()
                        || text == schema.id.0.to_string();
                }
                Ok(Filter::Const(any))
            }
            Attr::Key | Attr::ObjectId => {
                let mut numbers = Vec::new();
                for value in values {
                    let text = self.plain(value, "an asset key such as IT-42", value_span)?;
                    let number = if *keyword == Attr::ObjectId {
                        text.parse::<i64>().ok()
                    } else {
                        match AssetKey::parse(&text) {
                            // A key of another schema names no asset of this one.
                            Ok(key) if key.schema == self.catalog.schema.key => Some(key.number),
                            Ok(_) => None,
                            Err(_) => {
                                return Err(self.error(
                                    ErrorKind::TypeMismatch {
                                        attribute: "Key".to_owned(),
                                        expected: "an asset key such as IT-42".to_owned(),
                                        found: describe_value(value),
                                    },
                                    value_span,
                                ));
                            }
                        }
                    };
                    if *keyword == Attr::ObjectId && number.is_none() {
                        return Err(self.error(
                            ErrorKind::TypeMismatch {
                                attribute: "objectId".to_owned(),
                                expected: "a number".to_owned(),
                                found: describe_value(value),
                            },
                            value_span,
                        ));
                    }
                    numbers.extend(number);
                }
                if numbers.is_empty() {
                    return Ok(Filter::Const(false));
                }
                let cmp = match self.cmp(op, numbers, "Key", value_span)? {
                    Some(cmp) => cmp,
                    None => return Ok(Filter::Const(false)),
                };
                Ok(Filter::Asset(AssetCond::Number(cmp)))
            }
            Attr::Label => {
                if op == CompareOp::EqCase {
                    let text = self.single_text(values, "label", value_span)?;
                    return Ok(Filter::Asset(AssetCond::LabelExact(text)));
                }
                let texts = values
                    .iter()
                    .map(|v| self.plain(v, "text", value_span))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Filter::Asset(AssetCond::Label(
                    self.text_cond(op, texts, "label", value_span)?,
                )))
            }
            Attr::Status => {
                if !equality {
                    return Err(self.unsupported(op, "status", value_span));
                }
                let ids = values
                    .iter()
                    .map(|v| self.status_named(v, value_span))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Filter::Asset(AssetCond::StatusIn(ids)))
            }
            Attr::Created | Attr::Updated | Attr::Retired => {
                let name = match keyword {
                    Attr::Created => "created",
                    Attr::Updated => "updated",
                    _ => "retired",
                };
                let millis = values
                    .iter()
                    .map(|v| self.instant(v, name, value_span))
                    .collect::<Result<Vec<_>, _>>()?;
                let cmp = self
                    .cmp(op, millis, name, value_span)?
                    .ok_or_else(|| self.unsupported(op, name, value_span))?;
                Ok(Filter::Asset(match keyword {
                    Attr::Created => AssetCond::Created(cmp),
                    Attr::Updated => AssetCond::Updated(cmp),
                    _ => AssetCond::Retired(Some(cmp)),
                }))
            }
            Attr::Holder => self.holder_condition(equality, op, values, value_span),
            Attr::Due => {
                let days = values
                    .iter()
                    .map(|v| match v {
                        Value::Str(s) if parse_date(s).is_some() => {
                            Ok(parse_date(s).map_or(0, i64::from))
                        }
                        other => Ok(self
                            .instant(other, "due", value_span)?
                            .div_euclid(DAY_MILLIS)),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let cmp = self
                    .cmp(op, days, "due", value_span)?
                    .ok_or_else(|| self.unsupported(op, "due (a date)", value_span))?;
                Ok(Filter::Custody(CustodyCond::Due(cmp)))
            }
            Attr::CheckedOut => {
                let millis = values
                    .iter()
                    .map(|v| self.instant(v, "checkedOut", value_span))
                    .collect::<Result<Vec<_>, _>>()?;
                let cmp = self
                    .cmp(op, millis, "checkedOut", value_span)?
                    .ok_or_else(|| self.unsupported(op, "checkedOut", value_span))?;
                Ok(Filter::Custody(CustodyCond::Since(cmp)))
            }
            Attr::SeatsEntitled | Attr::SeatsAssigned | Attr::SeatsFree => {
                let name = match keyword {
                    Attr::SeatsEntitled => "seatsEntitled",
                    Attr::SeatsAssigned => "seatsAssigned",
                    _ => "seatsFree",
                };
                let mut numbers = Vec::new();
                for value in values {
                    let text = self.plain(value, "a number", value_span)?;
                    let number = text.parse::<i64>().map_err(|_| {
                        self.error(
                            ErrorKind::TypeMismatch {
                                attribute: name.to_owned(),
                                expected: "a whole number".to_owned(),
                                found: describe_value(value),
                            },
                            value_span,
                        )
                    })?;
                    numbers.push(number);
                }
                let cmp = self
                    .cmp(op, numbers, name, value_span)?
                    .ok_or_else(|| self.unsupported(op, name, value_span))?;
                Ok(Filter::Licence(match keyword {
                    Attr::SeatsEntitled => LicenceCond::Entitled(cmp),
                    Attr::SeatsAssigned => LicenceCond::Assigned(cmp),
                    _ => LicenceCond::Free(cmp),
                }))
            }
            Attr::Quantity => {
                let mut numbers = Vec::new();
                for value in values {
                    let text = self.plain(value, "a number", value_span)?;
                    let number = text.parse::<i64>().map_err(|_| {
                        self.error(
                            ErrorKind::TypeMismatch {
                                attribute: "quantity".to_owned(),
                                expected: "a whole number".to_owned(),
                                found: describe_value(value),
                            },
                            value_span,
                        )
                    })?;
                    numbers.push(number);
                }
                let cmp = self
                    .cmp(op, numbers, "quantity", value_span)?
                    .ok_or_else(|| self.unsupported(op, "quantity", value_span))?;
                Ok(Filter::Stock(StockCond::Quantity(cmp)))
            }
            Attr::BelowMinimum => {
                if !matches!(op, CompareOp::Eq | CompareOp::EqCase) || values.len() != 1 {
                    return Err(self.unsupported(op, "belowMinimum", value_span));
                }
                let text = self.plain(values[0], "true or false", value_span)?;
                let below = match text.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(self.error(
                            ErrorKind::TypeMismatch {
                                attribute: "belowMinimum".to_owned(),
                                expected: "true or false".to_owned(),
                                found: describe_value(values[0]),
                            },
                            value_span,
                        ));
                    }
                };
                Ok(Filter::Stock(StockCond::BelowMinimum(below)))
            }
            Attr::Named(_) => Err(self.error(
                ErrorKind::Resolve("internal: a named attribute reached the keyword path".into()),
                attr_span,
            )),
        }
    }

    /// `holder = …`: people by accountId (`currentUser()`, `user(…)`), holder assets by key.
    /// A key of this schema names an asset; anything else is taken as an accountId.
    fn holder_condition(
        &self,
        equality: bool,
        op: CompareOp,
        values: &[&Value],
        span: Span,
    ) -> Result<Filter, ParseError> {
        if !equality {
            return Err(self.unsupported(op, "holder", span));
        }
        let mut accounts = Vec::new();
        let mut numbers = Vec::new();
        for value in values {
            match value {
                Value::Function(Function::CurrentUser) => {
                    accounts.push(self.context.current_user.clone().ok_or_else(|| {
                        self.error(
                            ErrorKind::Resolve(
                                "currentUser() needs a signed-in user; API tokens have none"
                                    .to_owned(),
                            ),
                            span,
                        )
                    })?)
                }
                Value::Function(Function::User(ids)) => accounts.extend(ids.iter().cloned()),
                Value::Str(s) | Value::Number(s) => match AssetKey::parse(s) {
                    Ok(key) if key.schema == self.catalog.schema.key => numbers.push(key.number),
                    _ => accounts.push(s.clone()),
                },
                other => {
                    return Err(self.error(
                        ErrorKind::TypeMismatch {
                            attribute: "holder".to_owned(),
                            expected: "an accountId, currentUser(), user(…) or an asset key"
                                .to_owned(),
                            found: describe_value(other),
                        },
                        span,
                    ));
                }
            }
        }
        accounts.sort();
        accounts.dedup();
        numbers.sort_unstable();
        numbers.dedup();
        let mut any = Vec::new();
        if !accounts.is_empty() {
            any.push(Filter::Custody(CustodyCond::HolderAccount(accounts)));
        }
        if !numbers.is_empty() {
            any.push(Filter::Custody(CustodyCond::HolderAsset(numbers)));
        }
        Ok(match any.len() {
            1 => any.remove(0),
            _ => Filter::Or(any),
        })
    }

    /// One condition per attribute, merged where attributes share the converted condition.
    fn attribute_condition(
        &self,
        attributes: &[&AttributeDef],
        last: &Attr,
        op: CompareOp,
        values: &[&Value],
        value_span: Span,
    ) -> Result<Filter, ParseError> {
        let mut groups: Vec<(Filter, Vec<AttributeId>)> = Vec::new();
        let mut first_error = None;
        for attribute in attributes {
            match self.one_attribute(attribute, op, values, value_span) {
                Ok(filter) => {
                    // Group attributes whose conditions are the same, to one index probe.
                    let key = match &filter {
                        Filter::Value { cond, .. } => Filter::Value {
                            attributes: Vec::new(),
                            cond: cond.clone(),
                        },
                        Filter::Refers { target, .. } => Filter::Refers {
                            attributes: Vec::new(),
                            target: target.clone(),
                        },
                        other => other.clone(),
                    };
                    match groups.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, ids)) => ids.push(attribute.id),
                        None => groups.push((key, vec![attribute.id])),
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // A value that fits none of the attributes is a mistake; one that fits only some of
        // them (a name that means a date on one type and text on another) simply cannot match
        // the others.
        if groups.is_empty() {
            return Err(first_error.unwrap_or_else(|| {
                self.error(
                    ErrorKind::Resolve(format!("{} matches no attribute", describe_attr(last))),
                    value_span,
                )
            }));
        }
        let mut filters: Vec<Filter> = groups
            .into_iter()
            .map(|(key, ids)| match key {
                Filter::Value { cond, .. } => Filter::Value {
                    attributes: ids,
                    cond,
                },
                Filter::Refers { target, .. } => Filter::Refers {
                    attributes: ids,
                    target,
                },
                other => other,
            })
            .collect();
        Ok(if filters.len() == 1 {
            filters.remove(0)
        } else {
            Filter::Or(filters)
        })
    }

    fn one_attribute(
        &self,
        attribute: &AttributeDef,
        op: CompareOp,
        values: &[&Value],
        span: Span,
    ) -> Result<Filter, ParseError> {
        let name = attribute.name.as_str();
        let value_filter = |cond| Filter::Value {
            attributes: vec![attribute.id],
            cond,
        };
        let mismatch = |value: &Value, expected: &str| {
            self.error(
                ErrorKind::TypeMismatch {
                    attribute: name.to_owned(),
                    expected: expected.to_owned(),
                    found: describe_value(value),
                },
                span,
            )
        };
        match &attribute.kind {
            AttributeKind::Text { .. }
            | AttributeKind::Textarea
            | AttributeKind::Url
            | AttributeKind::Email
            | AttributeKind::IpAddress
            | AttributeKind::Select { .. }
            | AttributeKind::JiraProject
            | AttributeKind::JiraUser { .. } => {
                let is_user = matches!(attribute.kind, AttributeKind::JiraUser { .. });
                let mut texts = Vec::new();
                for value in values {
                    match value {
                        Value::Function(Function::CurrentUser) if is_user => {
                            texts.push(self.context.current_user.clone().ok_or_else(|| {
                                self.error(
                                    ErrorKind::Resolve(
                                        "currentUser() needs a signed-in user; API tokens have none"
                                            .to_owned(),
                                    ),
                                    span,
                                )
                            })?);
                        }
                        Value::Function(Function::User(ids)) if is_user => {
                            texts.extend(ids.iter().cloned())
                        }
                        Value::Str(s) | Value::Number(s) => texts.push(s.clone()),
                        other => {
                            return Err(mismatch(
                                other,
                                if is_user {
                                    "an accountId, currentUser() or user(…)"
                                } else {
                                    "text"
                                },
                            ));
                        }
                    }
                }
                if op == CompareOp::EqCase {
                    let text = self.single_text_owned(texts, name, span)?;
                    return Ok(value_filter(ValueCond::TextExact(text)));
                }
                let op = if texts.len() > 1 { CompareOp::In } else { op };
                Ok(value_filter(ValueCond::Text(
                    self.text_cond(op, texts, name, span)?,
                )))
            }
            AttributeKind::Integer { .. } => {
                let numbers = values
                    .iter()
                    .map(|v| match v {
                        Value::Number(n) | Value::Str(n) => {
                            n.parse::<i64>().map_err(|_| mismatch(v, "an integer"))
                        }
                        other => Err(mismatch(other, "an integer")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let cmp = self
                    .cmp(op, numbers, name, span)?
                    .ok_or_else(|| self.unsupported(op, &format!("`{name}` (an integer)"), span))?;
                Ok(value_filter(ValueCond::Int(cmp)))
            }
            AttributeKind::Decimal { .. } => {
                let numbers = values
                    .iter()
                    .map(|v| match v {
                        Value::Number(n) | Value::Str(n) => n
                            .parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .ok_or_else(|| mismatch(v, "a number")),
                        other => Err(mismatch(other, "a number")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let cmp = self
                    .cmp(op, numbers, name, span)?
                    .ok_or_else(|| self.unsupported(op, &format!("`{name}` (a decimal)"), span))?;
                Ok(value_filter(ValueCond::Num(cmp)))
            }
            AttributeKind::Boolean => {
                if !matches!(op, CompareOp::Eq | CompareOp::EqCase | CompareOp::In) {
                    return Err(self.unsupported(op, &format!("`{name}` (a boolean)"), span));
                }
                let flags = values
                    .iter()
                    .map(|v| match v {
                        Value::Str(s) if s.eq_ignore_ascii_case("true") => Ok(1),
                        Value::Str(s) if s.eq_ignore_ascii_case("false") => Ok(0),
                        other => Err(mismatch(other, "true or false")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(value_filter(ValueCond::Int(in_or_eq(flags))))
            }
            AttributeKind::Date => {
                let days = values
                    .iter()
                    .map(|v| match v {
                        Value::Function(Function::Date { .. }) => {
                            Ok(self.instant(v, name, span)?.div_euclid(DAY_MILLIS))
                        }
                        Value::Str(s) => parse_date(s)
                            .map(i64::from)
                            .ok_or_else(|| mismatch(v, "a date such as 2026-01-31 or now(-7d)")),
                        other => Err(mismatch(other, "a date such as 2026-01-31 or now(-7d)")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let cmp = self
                    .cmp(op, days, name, span)?
                    .ok_or_else(|| self.unsupported(op, &format!("`{name}` (a date)"), span))?;
                Ok(value_filter(ValueCond::Int(cmp)))
            }
            AttributeKind::Datetime => {
                let millis = values
                    .iter()
                    .map(|v| self.instant(v, name, span))
                    .collect::<Result<Vec<_>, _>>()?;
                let cmp = self
                    .cmp(op, millis, name, span)?
                    .ok_or_else(|| self.unsupported(op, &format!("`{name}` (a datetime)"), span))?;
                Ok(value_filter(ValueCond::Int(cmp)))
            }
            AttributeKind::Status => {
                if !matches!(op, CompareOp::Eq | CompareOp::EqCase | CompareOp::In) {
                    return Err(self.unsupported(op, &format!("`{name}` (a status)"), span));
                }
                let ids = values
                    .iter()
                    .map(|v| self.status_named(v, span).map(|s| s.0))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(value_filter(ValueCond::Int(in_or_eq(ids))))
            }
            AttributeKind::Reference { .. } => {
                // A reference compares by the referenced asset's key or label, as in JSM.
                let texts = values
                    .iter()
                    .map(|v| self.plain(v, "an asset key or label", span))
                    .collect::<Result<Vec<_>, _>>()?;
                let target = match op {
                    CompareOp::Eq | CompareOp::In => {
                        let mut numbers = Vec::new();
                        for text in &texts {
                            if let Ok(key) = AssetKey::parse(text)
                                && key.schema == self.catalog.schema.key
                            {
                                numbers.push(key.number);
                            }
                        }
                        let labels = Filter::Asset(AssetCond::Label(self.text_cond(
                            CompareOp::In,
                            texts,
                            name,
                            span,
                        )?));
                        if numbers.is_empty() {
                            labels
                        } else {
                            Filter::Or(vec![
                                Filter::Asset(AssetCond::Number(in_or_eq(numbers))),
                                labels,
                            ])
                        }
                    }
                    CompareOp::EqCase => Filter::Asset(AssetCond::LabelExact(
                        self.single_text_owned(texts, name, span)?,
                    )),
                    CompareOp::Like | CompareOp::StartsWith | CompareOp::EndsWith => {
                        Filter::Asset(AssetCond::Label(self.text_cond(op, texts, name, span)?))
                    }
                    _ => {
                        return Err(self.unsupported(
                            op,
                            &format!("`{name}` (a reference); compare its attributes, e.g. `\"{name}\".Name`"),
                            span,
                        ));
                    }
                };
                Ok(Filter::Refers {
                    attributes: vec![attribute.id],
                    target: Box::new(target),
                })
            }
        }
    }

    /// A typed comparison; `None` for operators that do not compare ordered values (LIKE & co.)
    /// or an empty `IN` list (which matches nothing).
    fn cmp<T>(
        &self,
        op: CompareOp,
        mut values: Vec<T>,
        name: &str,
        span: Span,
    ) -> Result<Option<Cmp<T>>, ParseError> {
        if op == CompareOp::In {
            return Ok(if values.is_empty() {
                None
            } else {
                Some(Cmp::In(values))
            });
        }
        if values.len() != 1 {
            return Err(self.error(
                ErrorKind::Resolve(format!("`{name}` {op} takes one value")),
                span,
            ));
        }
        let Some(value) = values.pop() else {
            return Ok(None);
        };
        Ok(match op {
            CompareOp::Eq | CompareOp::EqCase => Some(Cmp::Eq(value)),
            CompareOp::Lt => Some(Cmp::Lt(value)),
            CompareOp::Le => Some(Cmp::Le(value)),
            CompareOp::Gt => Some(Cmp::Gt(value)),
            CompareOp::Ge => Some(Cmp::Ge(value)),
            _ => None,
        })
    }

    fn text_cond(
        &self,
        op: CompareOp,
        texts: Vec<String>,
        name: &str,
        span: Span,
    ) -> Result<TextCond, ParseError> {
        let mut texts: Vec<String> = texts.iter().map(|t| index_text(t)).collect();
        let single = |texts: &mut Vec<String>| -> Result<String, ParseError> {
            if texts.len() != 1 {
                return Err(self.error(
                    ErrorKind::Resolve(format!("`{name}` {op} takes one value")),
                    span,
                ));
            }
            Ok(texts.pop().unwrap_or_default())
        };
        Ok(match op {
            CompareOp::Like => TextCond::Contains(single(&mut texts)?),
            CompareOp::StartsWith => TextCond::StartsWith(single(&mut texts)?),
            CompareOp::EndsWith => TextCond::EndsWith(single(&mut texts)?),
            other => match self.cmp(other, texts, name, span)? {
                Some(cmp) => TextCond::Cmp(cmp),
                // An empty IN list.
                None => TextCond::Cmp(Cmp::In(Vec::new())),
            },
        })
    }

    fn single_text(&self, values: &[&Value], name: &str, span: Span) -> Result<String, ParseError> {
        let texts = values
            .iter()
            .map(|v| self.plain(v, "text", span))
            .collect::<Result<Vec<_>, _>>()?;
        self.single_text_owned(texts, name, span)
    }

    fn single_text_owned(
        &self,
        mut texts: Vec<String>,
        name: &str,
        span: Span,
    ) -> Result<String, ParseError> {
        match (texts.pop(), texts.is_empty()) {
            (Some(text), true) => Ok(text),
            _ => Err(self.error(
                ErrorKind::Resolve(format!("`{name}` == takes one value")),
                span,
            )),
        }
    }

    /// A bare word, quoted string or number as text; functions are a type mismatch.
    fn plain(&self, value: &Value, expected: &str, span: Span) -> Result<String, ParseError> {
        match value {
            Value::Str(s) | Value::Number(s) => Ok(s.clone()),
            other => Err(self.error(
                ErrorKind::Resolve(format!(
                    "expected {expected}, found {}",
                    describe_value(other)
                )),
                span,
            )),
        }
    }

    fn type_named(&self, name: &str, span: Span) -> Result<TypeId, ParseError> {
        let types = self.catalog.types;
        if let Ok(id) = name.parse::<i64>()
            && types.get(TypeId(id)).is_some()
        {
            return Ok(TypeId(id));
        }
        let lower = name.to_lowercase();
        types
            .types()
            .find(|t| t.name.to_lowercase() == lower)
            .map(|t| t.id)
            .ok_or_else(|| {
                self.error(
                    ErrorKind::Unknown {
                        what: "object type",
                        name: name.to_owned(),
                        suggestion: suggest(name, types.types().map(|t| t.name.as_str())),
                    },
                    span,
                )
            })
    }

    fn status_named(&self, value: &Value, span: Span) -> Result<StatusId, ParseError> {
        let name = self.plain(value, "a status name", span)?;
        let statuses = self.catalog.statuses;
        let lower = name.to_lowercase();
        if let Some(status) = statuses.iter().find(|s| s.name.to_lowercase() == lower) {
            return Ok(status.id);
        }
        if let Ok(id) = name.parse::<i64>()
            && let Some(status) = statuses.iter().find(|s| s.id.0 == id)
        {
            return Ok(status.id);
        }
        Err(self.error(
            ErrorKind::Unknown {
                what: "status",
                name,
                suggestion: suggest(&lower, statuses.iter().map(|s| s.name.as_str())),
            },
            span,
        ))
    }

    /// A point in time in epoch milliseconds: a date function, a date (midnight UTC) or an
    /// RFC 3339 datetime.
    fn instant(&self, value: &Value, name: &str, span: Span) -> Result<i64, ParseError> {
        let mismatch = || {
            self.error(
                ErrorKind::TypeMismatch {
                    attribute: name.to_owned(),
                    expected: "a date or time such as 2026-01-31, 2026-01-31T09:00:00Z or now(-7d)"
                        .to_owned(),
                    found: describe_value(value),
                },
                span,
            )
        };
        match value {
            Value::Function(Function::Date { anchor, offset }) => {
                let offset_millis = offset.as_ref().map_or(0, |o| {
                    let total: i64 = o
                        .parts
                        .iter()
                        .map(|(amount, unit)| {
                            i64::from(*amount)
                                * match unit {
                                    TimeUnit::Minutes => 60_000,
                                    TimeUnit::Hours => 3_600_000,
                                    TimeUnit::Days => DAY_MILLIS,
                                    TimeUnit::Weeks => 7 * DAY_MILLIS,
                                }
                        })
                        .fold(0_i64, i64::saturating_add);
                    if o.negative { -total } else { total }
                });
                let base = anchor_millis(*anchor, self.context.now_millis).ok_or_else(mismatch)?;
                Ok(base.saturating_add(offset_millis))
            }
            Value::Str(s) => parse_date(s)
                .map(|days| i64::from(days) * DAY_MILLIS)
                .or_else(|| parse_datetime(s))
                .ok_or_else(mismatch),
            _ => Err(mismatch()),
        }
    }

    fn order(&self, keys: &[OrderKey]) -> Result<(Order, bool), ParseError> {
        let Some(first) = keys.first() else {
            return Ok((Order::Key, false));
        };
        if keys.len() == 1 && first.path.0.len() == 1 {
            let descending = first.direction == SortDirection::Desc;
            let simple = match &first.path.0[0] {
                Attr::Key | Attr::ObjectId => Some(Order::Key),
                Attr::Label => Some(Order::Label),
                Attr::Created => Some(Order::Created),
                Attr::Updated => Some(Order::Updated),
                Attr::Named(name) => {
                    let found = self.attributes_named(&self.all_types, name);
                    match found.as_slice() {
                        [] => {
                            return Err(self.unknown_attribute(
                                &self.all_types,
                                name,
                                first.path.span(0),
                            ));
                        }
                        [first, rest @ ..]
                            if rest
                                .iter()
                                .all(|a| a.kind.storage() == first.kind.storage()) =>
                        {
                            Some(Order::Attribute(found.iter().map(|a| a.id).collect()))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some(order) = simple {
                return Ok((order, descending));
            }
        }
        let mut sort_keys = Vec::new();
        for key in keys {
            let Walk {
                hops,
                terminal,
                span,
                ..
            } = self.walk(&key.path)?;
            let field = match terminal {
                Terminal::Keyword(Attr::Key | Attr::ObjectId) => SortField::Number,
                Terminal::Keyword(Attr::Label) => SortField::Label,
                Terminal::Keyword(Attr::Created) => SortField::Created,
                Terminal::Keyword(Attr::Updated) => SortField::Updated,
                Terminal::Keyword(Attr::Status) => SortField::Status,
                Terminal::Keyword(Attr::ObjectType | Attr::ObjectTypeId) => SortField::Type,
                Terminal::Keyword(other) => {
                    return Err(self.error(
                        ErrorKind::Resolve(format!("cannot order by {}", describe_attr(&other))),
                        span,
                    ));
                }
                Terminal::Attributes(attributes) => {
                    let class = attributes[0].kind.storage();
                    if attributes.iter().any(|a| a.kind.storage() != class) {
                        return Err(self.error(
                            ErrorKind::Resolve(format!(
                                "cannot order by `{}`: attributes of that name hold different kinds of values",
                                attributes[0].name
                            )),
                            span,
                        ));
                    }
                    SortField::Attribute {
                        attributes: attributes.iter().map(|a| a.id).collect(),
                        class,
                    }
                }
            };
            sort_keys.push(SortKey {
                value: SortValue { hops, field },
                descending: key.direction == SortDirection::Desc,
            });
        }
        Ok((Order::Keys(sort_keys), false))
    }
}

/// `= x` for one value, `IN (…)` for several.
fn in_or_eq<T>(mut values: Vec<T>) -> Cmp<T> {
    if values.len() == 1
        && let Some(v) = values.pop()
    {
        return Cmp::Eq(v);
    }
    Cmp::In(values)
}

fn anchor_millis(anchor: DateAnchor, now_millis: i64) -> Option<i64> {
    let now = OffsetDateTime::from_unix_timestamp(now_millis.div_euclid(1000)).ok()?;
    let date = now.date();
    let start_of = |d: time::Date| d.with_time(Time::MIDNIGHT).assume_utc();
    let end_of = |d: time::Date| start_of(d) + Duration::days(1) - Duration::milliseconds(1);
    let monday = date - Duration::days(i64::from(date.weekday().number_days_from_monday()));
    let first_of_month = date.replace_day(1).ok()?;
    let next_month = if date.month() == time::Month::December {
        time::Date::from_calendar_date(date.year() + 1, time::Month::January, 1).ok()?
    } else {
        time::Date::from_calendar_date(date.year(), date.month().next(), 1).ok()?
    };
    let first_of_year =
        time::Date::from_calendar_date(date.year(), time::Month::January, 1).ok()?;
    let instant = match anchor {
        DateAnchor::Now => return Some(now_millis),
        DateAnchor::StartOfDay => start_of(date),
        DateAnchor::EndOfDay => end_of(date),
        DateAnchor::StartOfWeek => start_of(monday),
        DateAnchor::EndOfWeek => end_of(monday + Duration::days(6)),
        DateAnchor::StartOfMonth => start_of(first_of_month),
        DateAnchor::EndOfMonth => end_of(next_month - Duration::days(1)),
        DateAnchor::StartOfYear => start_of(first_of_year),
        DateAnchor::EndOfYear => {
            end_of(time::Date::from_calendar_date(date.year(), time::Month::December, 31).ok()?)
        }
    };
    i64::try_from(instant.unix_timestamp_nanos() / 1_000_000).ok()
}

/// "a date", "an integer": how messages name a kind.
fn kind_label(kind: &AttributeKind) -> &'static str {
    match kind {
        AttributeKind::Text { .. } | AttributeKind::Textarea => "text",
        AttributeKind::Integer { .. } => "integer",
        AttributeKind::Decimal { .. } => "decimal",
        AttributeKind::Boolean => "boolean",
        AttributeKind::Date => "date",
        AttributeKind::Datetime => "datetime",
        AttributeKind::Url => "URL",
        AttributeKind::Email => "e-mail",
        AttributeKind::IpAddress => "IP address",
        AttributeKind::Select { .. } => "select",
        AttributeKind::JiraUser { .. } => "user",
        AttributeKind::JiraProject => "project",
        AttributeKind::Reference { .. } => "reference",
        AttributeKind::Status => "status",
    }
}

/// "an integer", "a date", "a URL".
fn with_article(label: &str) -> String {
    let vowel = label.starts_with(['a', 'e', 'i', 'o', 'u', 'I']) && !label.starts_with("URL");
    format!("{} {label}", if vowel { "an" } else { "a" })
}

fn describe_attr(attr: &Attr) -> String {
    match attr {
        Attr::Named(name) => format!("`{name}`"),
        keyword => Attr::KEYWORDS
            .iter()
            .find(|(a, _)| a == keyword)
            .map_or_else(|| "this attribute".to_owned(), |(_, n)| format!("`{n}`")),
    }
}

/// How a message names a value: `12` is a number, `"abc"` is text, `now()` a function.
fn describe_value(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("`{n}` is a number"),
        Value::Str(s) => format!("`{s}` is text"),
        Value::List(_) => "a list".to_owned(),
        Value::Empty => "EMPTY".to_owned(),
        Value::Function(f) => format!("`{}` is a function", Value::Function(f.clone())),
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo.
pub fn suggest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    let lower = name.to_lowercase();
    let limit = (lower.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c.to_owned())
}

/// Levenshtein distance over characters, with adjacent transpositions counting as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0_usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}
