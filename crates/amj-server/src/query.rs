//! AQL end to end: parse, pick the schema, resolve against it, answer `connectedTickets` through
//! Jira's search, and run the plan. The REST handlers and `amj query` share this, so a query
//! means the same everywhere.

use crate::jira::{JiraClient, JiraError};
use amj_domain::aql::{
    self, Attr, Catalog, CompareOp, Completions, Context, ErrorKind, Expr, Filter, Order,
    ParseError, Plan, Value,
};
use amj_domain::ids::TenantId;
use amj_store::assets::{AssetFilter, AssetPage, ListRequest, Sort};
use amj_store::catalog::SchemaModel;
use amj_store::{Store, StoreError, Tenant};
use std::sync::Arc;

/// Counting stops here: past it the API reports "more than 1,000", which a person reads as
/// "refine the search", and counting further costs more than the page itself (about 5 µs a
/// match on SQLite: 50 ms for 10,000; docs/PERFORMANCE.md).
pub const TOTAL_CAP: u32 = 1_000;

/// `connectedTickets(…)` answers through at most this many Jira issues; a JQL matching more is
/// refused with a message to narrow it, rather than silently cut.
pub const MAX_LINKED_ISSUES: usize = 1_000;

#[derive(Debug, Clone, Default)]
pub struct QueryRequest {
    pub aql: String,
    /// A schema key; optional when the query says `objectSchema = KEY` or the site has one schema.
    pub schema: Option<String>,
    pub limit: u32,
    pub cursor: Option<String>,
    pub include_archived: bool,
}

pub struct QueryResult {
    pub model: Arc<SchemaModel>,
    pub page: AssetPage,
    /// The page's assets' check-outs in force and licence seats.
    pub holdings: std::collections::HashMap<amj_domain::ids::AssetId, crate::assets::Holdings>,
    /// The number of matches, on the first page only (later pages reuse the first's).
    pub total: Option<(i64, bool)>,
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query itself is wrong: the error has a position, and `query` is the query text.
    #[error("{error}")]
    Aql { error: ParseError, query: String },
    #[error("{0}")]
    NoSchema(String),
    #[error("{0}")]
    UnknownSchema(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Jira could not answer connectedTickets: {0}")]
    Jira(JiraError),
}

impl QueryError {
    fn aql(error: ParseError, source: &str) -> Self {
        QueryError::Aql {
            error,
            query: source.to_owned(),
        }
    }
}

/// Parses a query and finds the schema it runs in.
pub async fn prepare(
    store: &Store,
    tenant: TenantId,
    aql_text: &str,
    schema: Option<&str>,
) -> Result<(aql::Query, Arc<SchemaModel>), QueryError> {
    let query = aql::parse(aql_text).map_err(|e| QueryError::aql(e, aql_text))?;
    let schemas = store.list_schemas(tenant).await?;
    let key = match schema.map(str::trim).filter(|s| !s.is_empty()) {
        Some(key) => key.to_owned(),
        None => match schema_named_in(&query) {
            Some(name) => name,
            None => match schemas.as_slice() {
                [only] => only.key.as_str().to_owned(),
                [] => {
                    return Err(QueryError::NoSchema(
                        "this site has no asset schemas yet; create one first".to_owned(),
                    ));
                }
                _ => {
                    return Err(QueryError::NoSchema(
                            "this site has several schemas: pass `schema`, or add `objectSchema = KEY` to the query"
                                .to_owned(),
                        ));
                }
            },
        },
    };
    let found = schemas.iter().find(|s| {
        s.key.as_str().eq_ignore_ascii_case(&key) || s.name.to_lowercase() == key.to_lowercase()
    });
    let Some(found) = found else {
        return Err(QueryError::UnknownSchema(format!(
            "no schema `{key}` on this site"
        )));
    };
    let model = store
        .schema_model(tenant, found.id)
        .await?
        .ok_or_else(|| QueryError::UnknownSchema(format!("no schema `{key}` on this site")))?;
    Ok((query, model))
}

/// `objectSchema = X` as a top-level condition (alone or in a top-level AND).
fn schema_named_in(query: &aql::Query) -> Option<String> {
    let conjuncts: Vec<&Expr> = match &query.filter {
        Some(Expr::And(parts)) => parts.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    conjuncts.into_iter().find_map(|expr| match expr {
        Expr::Compare {
            path,
            op: CompareOp::Eq | CompareOp::EqCase,
            value: Value::Str(name) | Value::Number(name),
            ..
        } if matches!(
            path.0.as_slice(),
            [Attr::ObjectSchema | Attr::ObjectSchemaId]
        ) =>
        {
            Some(name.clone())
        }
        _ => None,
    })
}

pub fn catalog(model: &SchemaModel) -> Catalog<'_> {
    Catalog {
        schema: &model.schema,
        statuses: &model.statuses,
        types: &model.types,
        attributes: &model.attributes,
    }
}

/// Resolves a parsed query against its schema.
pub fn resolve(
    query: &aql::Query,
    source: &str,
    model: &SchemaModel,
    current_user: Option<String>,
) -> Result<Plan, QueryError> {
    let context = Context {
        now_millis: amj_store::now_millis(),
        current_user,
    };
    aql::resolve(query, source, &catalog(model), &context).map_err(|e| QueryError::aql(e, source))
}

/// Replaces every `connectedTickets(<JQL>)` with the issues Jira's search finds for it.
pub async fn answer_jql(
    filter: &mut Filter,
    source: &str,
    jira: &JiraClient,
    tenant: &Tenant,
) -> Result<(), QueryError> {
    // Iterative, so a deeply nested plan cannot overflow the stack here either.
    let mut pending: Vec<&mut Filter> = vec![filter];
    while let Some(node) = pending.pop() {
        match node {
            Filter::And(parts) | Filter::Or(parts) => pending.extend(parts.iter_mut()),
            Filter::Not(inner) => pending.push(inner),
            Filter::Refers { target: inner, .. } | Filter::ReferredBy { source: inner, .. } => {
                pending.push(inner)
            }
            Filter::Jql { jql, offset } => {
                let issues = search_issue_ids(jira, tenant, jql, *offset, source).await?;
                *node = Filter::Linked(Some(issues));
            }
            _ => {}
        }
    }
    Ok(())
}

async fn search_issue_ids(
    jira: &JiraClient,
    tenant: &Tenant,
    jql: &str,
    offset: usize,
    source: &str,
) -> Result<Vec<i64>, QueryError> {
    let at = |message: String| {
        QueryError::aql(
            ParseError::new(ErrorKind::Resolve(message), source, offset),
            source,
        )
    };
    let found = crate::issues::search_issues(jira, tenant, jql, MAX_LINKED_ISSUES)
        .await
        .map_err(|e| match e {
            // Jira's 400 is about the JQL, which is the user's to fix: show its own words.
            crate::issues::JqlError::Rejected(message) => at(format!(
                "Jira rejected the JQL of connectedTickets: {message}"
            )),
            crate::issues::JqlError::TooMany(limit) => at(format!(
                "connectedTickets matches more than {limit} Jira issues; narrow its JQL"
            )),
            crate::issues::JqlError::Jira(other) => QueryError::Jira(other),
        })?;
    let mut ids: Vec<i64> = found.into_iter().filter_map(|(id, _)| id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The list request a plan runs as.
pub fn list_request(plan: Plan, request: &QueryRequest) -> ListRequest {
    let sort = match plan.order {
        Order::Key => Sort::Key,
        Order::Label => Sort::Label,
        Order::Created => Sort::Created,
        Order::Updated => Sort::Updated,
        Order::Attribute(ids) => Sort::Attributes(ids),
        Order::Keys(keys) => Sort::Keys(keys),
    };
    ListRequest {
        filter: AssetFilter {
            include_archived: request.include_archived,
            aql: Some(plan.filter),
            ..AssetFilter::default()
        },
        sort,
        descending: plan.descending,
        cursor: request.cursor.clone(),
        limit: request.limit,
    }
}

/// Runs a query for a caller: the page, and on the first page the total.
pub async fn run(
    store: &Store,
    jira: &JiraClient,
    tenant: &Tenant,
    current_user: Option<String>,
    request: &QueryRequest,
) -> Result<QueryResult, QueryError> {
    let (query, model) = prepare(store, tenant.id, &request.aql, request.schema.as_deref()).await?;
    let mut plan = resolve(&query, &request.aql, &model, current_user)?;
    answer_jql(&mut plan.filter, &request.aql, jira, tenant).await?;
    let (page, total) = run_plan(store, tenant.id, &model, plan, request).await?;
    let ids: Vec<_> = page.items.iter().map(|a| a.id).collect();
    let holdings = crate::assets::holdings(store, tenant.id, &ids).await?;
    Ok(QueryResult {
        model,
        page,
        total,
        holdings,
    })
}

/// One page of a resolved plan (its `connectedTickets` answered), and on the first page the
/// total: the part of [`run`] after resolution, which the differential test drives directly.
pub async fn run_plan(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    plan: Plan,
    request: &QueryRequest,
) -> Result<(AssetPage, Option<(i64, bool)>), StoreError> {
    let mut list = list_request(plan, request);
    let total = if request.cursor.is_none() {
        Some(
            store
                .count_matching(tenant, model, &list.filter, TOTAL_CAP)
                .await?,
        )
    } else {
        None
    };
    // An attribute sort walks the attribute's index and filters as it goes, which is fast when
    // many assets match and slow when few do (the walk passes over the others). When the first
    // page's count says few match, sorting just those is faster; the cursor remembers the choice.
    let few_match = match (&total, request.cursor.as_deref()) {
        (Some((_, exact)), _) => *exact,
        (None, Some(cursor)) => amj_store::assets::is_offset_cursor(cursor),
        (None, None) => false,
    };
    let filtered = !matches!(list.filter.aql, None | Some(Filter::Const(true)));
    if few_match && filtered {
        let attributes = match &list.sort {
            Sort::Attribute(one) => Some(vec![*one]),
            Sort::Attributes(many) => Some(many.clone()),
            _ => None,
        };
        if let Some(attributes) = attributes {
            list.sort = Sort::AttributesComputed {
                attributes,
                descending: list.descending,
            };
        }
    }
    let page = store.list_assets(tenant, model, &list).await?;
    Ok((page, total))
}

/// What an editor needs while the user types: the errors (if any) and completions at `position`.
pub struct Validation {
    pub error: Option<ParseError>,
    pub completions: Completions,
}

/// Checks a query without running it (and without asking Jira about `connectedTickets`).
pub async fn validate(
    store: &Store,
    tenant: TenantId,
    aql_text: &str,
    schema: Option<&str>,
    position: Option<usize>,
    current_user: Option<String>,
) -> Result<Validation, QueryError> {
    let position = position.unwrap_or(aql_text.len());
    // The schema is needed for completions even when the query does not parse yet.
    let model = match prepare(store, tenant, aql_text, schema).await {
        Ok((_, model)) => model,
        Err(QueryError::Aql { .. }) => {
            let (_, model) = prepare(store, tenant, "", schema).await?;
            model
        }
        Err(other) => return Err(other),
    };
    let completions = aql::complete(aql_text, position, &catalog(&model));
    let error = match aql::parse(aql_text) {
        Err(e) => Some(e),
        Ok(query) => resolve(&query, aql_text, &model, current_user)
            .err()
            .and_then(|e| match e {
                QueryError::Aql { error, .. } => Some(error),
                _ => None,
            }),
    };
    Ok(Validation { error, completions })
}
