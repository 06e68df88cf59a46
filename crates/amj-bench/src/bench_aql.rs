//! `amj bench aql`: AQL queries at a given site size, on the configured backend.
//!
//! Same approach as `amj bench assets` ([`crate::bench`]): the fixture is the seeded site (reused
//! across runs), and the figures are store calls without HTTP. A timed call is what the API does
//! for the first page of `POST /api/v1/assets/query` ([`amj_server::query::run`] without the Jira
//! step): parse, find the schema, resolve, count the matches (up to [`TOTAL_CAP`]) and fetch a
//! 50-row page ([`run_plan`]). Later pages are timed without the count, as the API skips it for
//! them. Every case rotates through several real values (serials, locations, owners, terms, page
//! cursors) so that a warm cache does not answer the same question every time.
//! docs/PERFORMANCE.md, "AQL at 10⁶ assets per site", has the results and targets.

use crate::bench::{DEEP_PAGE, PAGE_SIZE, percentile};
use crate::seed::{Existing, Rng, SCHEMA_KEY, SeedPlan, SeedReport, ensure_catalog, seed_site};
use amj_domain::Value;
use amj_domain::ids::{AttributeId, TenantId};
use amj_server::query::{
    QueryError, QueryRequest, TOTAL_CAP, list_request, prepare, resolve, run_plan,
};
use amj_store::Store;
use amj_store::catalog::SchemaModel;
use anyhow::{Context, anyhow, bail};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The targets at 10⁶ assets per site (the issue's; docs/PERFORMANCE.md).
pub const TARGET_EQUALITY_P95: Duration = Duration::from_millis(20);
pub const TARGET_TWO_HOP_P95: Duration = Duration::from_millis(100);
pub const TARGET_TEXT_P95: Duration = Duration::from_millis(50);
pub const TARGET_ORDER_P95: Duration = Duration::from_millis(50);

/// Untimed runs of each case before its timed ones.
const WARM_UP: usize = 3;
/// A case stops sampling after this long (once it has [`MIN_SAMPLES`]), so that a query taking
/// seconds does not hold the run for an hour; the table says how many samples each case got.
const CASE_BUDGET: Duration = Duration::from_secs(60);
const MIN_SAMPLES: usize = 10;
/// Deep pages rotate through the pages from here to [`DEEP_PAGE`].
const DEEP_FROM: usize = DEEP_PAGE - 99;

#[derive(Debug, Clone)]
pub struct AqlBenchOptions {
    /// The site is topped up to this many assets before measuring.
    pub assets: u64,
    /// Timed calls per query.
    pub samples: usize,
    pub seed: u64,
}

/// The four targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Equality,
    DotPath,
    Text,
    Order,
}

impl Category {
    pub fn target(self) -> Duration {
        match self {
            Category::Equality => TARGET_EQUALITY_P95,
            Category::DotPath => TARGET_TWO_HOP_P95,
            Category::Text => TARGET_TEXT_P95,
            Category::Order => TARGET_ORDER_P95,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Category::Equality => "Equality on an indexed attribute",
            Category::DotPath => "Dot-notation filter (two hops, and one for comparison)",
            Category::Text => "`text ~` on one term",
            Category::Order => "`order by` an attribute, 50-row page",
        }
    }
}

/// One query shape, run with each of `variants` in turn.
#[derive(Debug, Clone)]
struct Case {
    category: Category,
    /// The query as the table shows it, with `<placeholders>` for the rotating values.
    display: String,
    variants: Vec<String>,
    /// Page 1 (timed with its total), or deep pages from a cursor (timed without).
    deep: bool,
}

/// One measured query shape.
#[derive(Debug, Clone)]
pub struct AqlMeasurement {
    pub category: Category,
    pub query: String,
    pub variants: usize,
    /// The first page of a query with its total, or a deep page from a cursor.
    pub deep: bool,
    /// Whole calls: parse, resolve, (on page 1) the total, and the page.
    pub times: Vec<Duration>,
    /// The capped count alone, timed separately after each call (page 1 only): how much of a
    /// call the total is.
    pub count_times: Vec<Duration>,
    /// Exact match counts of (up to [`EXACT_COUNTS`]) variants, counted without a cap, untimed.
    pub sizes: Vec<i64>,
    /// The rows of the pages seen (fewest, most).
    pub rows: (usize, usize),
}

impl AqlMeasurement {
    pub fn median(&self) -> Duration {
        percentile(&self.times, 50)
    }

    pub fn p95(&self) -> Duration {
        percentile(&self.times, 95)
    }

    pub fn met(&self) -> bool {
        self.p95() < self.category.target()
    }

    /// The matches as the table shows them: one number, or the range over the variants.
    pub fn matches(&self) -> String {
        if self.deep {
            return format!("pages {DEEP_FROM}–{DEEP_PAGE}");
        }
        match (self.sizes.iter().min(), self.sizes.iter().max()) {
            (Some(a), Some(b)) if a == b => thousands(*a),
            (Some(a), Some(b)) => format!("{}–{}", thousands(*a), thousands(*b)),
            _ => "—".to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AqlBenchReport {
    pub backend: &'static str,
    pub assets: i64,
    pub seed: Option<SeedReport>,
    pub measurements: Vec<AqlMeasurement>,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

impl AqlBenchReport {
    /// The results as markdown tables, one per target, ready for docs/PERFORMANCE.md.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} assets in the site, {}. A call: parse, resolve, (page 1) the total counted up to {}, and a 50-row page.\n",
            thousands(self.assets),
            self.backend,
            thousands(i64::from(TOTAL_CAP))
        );
        let categories: BTreeSet<Category> = self.measurements.iter().map(|m| m.category).collect();
        for category in categories {
            let _ = writeln!(
                out,
                "{} (target p95 < {}):\n",
                category.title(),
                ms(category.target())
            );
            let _ = writeln!(
                out,
                "| query | values | matches | samples | median | p95 | the total alone (median) | |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
            for m in self.measurements.iter().filter(|m| m.category == category) {
                let count = if m.count_times.is_empty() {
                    "—".to_owned()
                } else {
                    ms(percentile(&m.count_times, 50))
                };
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} | {} | {count} | {} |",
                    m.query.replace('|', "\\|"),
                    m.variants,
                    m.matches(),
                    m.times.len(),
                    ms(m.median()),
                    ms(m.p95()),
                    if m.met() { "met" } else { "**missed**" },
                );
            }
            out.push('\n');
        }
        out
    }
}

/// One call as the API makes it, timed.
struct Call {
    elapsed: Duration,
    rows: usize,
    next_cursor: Option<String>,
}

fn query_error(e: QueryError) -> anyhow::Error {
    match e {
        QueryError::Aql { error, query } => anyhow!("{}", error.render(&query)),
        other => anyhow!(other),
    }
}

fn request(aql: &str, cursor: Option<String>, limit: u32) -> QueryRequest {
    QueryRequest {
        aql: aql.to_owned(),
        schema: Some(SCHEMA_KEY.to_owned()),
        limit,
        cursor,
        include_archived: false,
    }
}

/// What `POST /api/v1/assets/query` does for `aql` from `cursor` (page 1: with the total),
/// without HTTP and Jira, timed from start to end.
async fn call(
    store: &Store,
    tenant: TenantId,
    aql: &str,
    cursor: Option<String>,
) -> anyhow::Result<Call> {
    let start = Instant::now();
    let (query, model) = prepare(store, tenant, aql, Some(SCHEMA_KEY))
        .await
        .map_err(query_error)?;
    let plan = resolve(&query, aql, &model, None).map_err(query_error)?;
    let (page, _total) = run_plan(
        store,
        tenant,
        &model,
        plan,
        &request(aql, cursor, PAGE_SIZE),
    )
    .await?;
    Ok(Call {
        elapsed: start.elapsed(),
        rows: page.items.len(),
        next_cursor: page.next_cursor,
    })
}

/// The count of `aql`'s matches up to `cap`, and how long that count alone took (parsing and
/// resolving excluded).
async fn count(
    store: &Store,
    tenant: TenantId,
    aql: &str,
    cap: u32,
) -> anyhow::Result<(Duration, i64)> {
    let (query, model) = prepare(store, tenant, aql, Some(SCHEMA_KEY))
        .await
        .map_err(query_error)?;
    let plan = resolve(&query, aql, &model, None).map_err(query_error)?;
    let list = list_request(plan, &request(aql, None, PAGE_SIZE));
    let start = Instant::now();
    let (n, _) = store
        .count_matching(tenant, &model, &list.filter, cap)
        .await?;
    Ok((start.elapsed(), n))
}

/// Seeds (or reuses) the site and times the queries.
pub async fn run_aql_bench(
    store: &Store,
    tenant: TenantId,
    options: &AqlBenchOptions,
) -> anyhow::Result<AqlBenchReport> {
    let backend = match store.db() {
        amj_store::Db::Sqlite(_) => "SQLite",
        amj_store::Db::Postgres(_) => "PostgreSQL",
    };
    let mut plan = SeedPlan::large(options.assets);
    plan.existing = Existing::TopUp;
    plan.seed = options.seed;
    let seed = seed_site(store, tenant, &plan).await?;
    tracing::info!("{}", seed.summary());
    if let amj_store::Db::Postgres(pool) = store.db() {
        // Statistics, as autovacuum would have them a minute after a bulk load (see `amj bench
        // assets`): after this seed, or when they describe a smaller site. The store analyses
        // a new site once, at a few hundred assets, and a server with autovacuum off (as test
        // servers often are) never again, so after `amj bench seed` they are that old.
        let (estimate,): (f32,) =
            sqlx::query_as("SELECT reltuples FROM pg_class WHERE relname = 'asset'")
                .fetch_one(pool)
                .await?;
        let actual = store.count_assets(tenant, seed.schema_id).await?;
        if seed.assets_created > 0 || f64::from(estimate) < actual as f64 * 0.9 {
            tracing::info!("analysing the asset tables");
            sqlx::query("ANALYZE asset, asset_value, asset_search, asset_event, asset_issue_link")
                .execute(pool)
                .await?;
        }
    }
    let (catalog, _) = ensure_catalog(store, tenant).await?;
    let model = catalog.model.clone();
    let count = store.count_assets(tenant, model.schema.id).await?;
    let samples = options.samples.max(1);
    let mut rng = Rng::new(options.seed ^ 0xA91);
    let values = Values::collect(
        store,
        tenant,
        &model,
        catalog.serial,
        count,
        samples,
        &mut rng,
    )
    .await?;
    let cases = cases(&values);
    let mut measurements = Vec::new();
    for case in &cases {
        tracing::info!(query = %case.display, "timing");
        let m = measure(store, tenant, case, samples).await?;
        tracing::info!(
            query = %case.display,
            median = %ms(m.median()),
            p95 = %ms(m.p95()),
            matches = %m.matches(),
            "timed"
        );
        measurements.push(m);
    }
    Ok(AqlBenchReport {
        backend,
        assets: count,
        seed: Some(seed),
        measurements,
    })
}

/// Real values of the site to put in the queries, read before timing.
struct Values {
    serials: Vec<String>,
    owners: Vec<String>,
    locations: Vec<String>,
    countries: Vec<String>,
}

fn attribute_named(model: &SchemaModel, name: &str) -> Vec<AttributeId> {
    model
        .attributes
        .iter()
        .filter(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.id)
        .collect()
}

fn texts(values: &[Value]) -> impl Iterator<Item = &str> {
    values.iter().filter_map(|v| match v {
        Value::Text(t) | Value::User(t) => Some(t.as_str()),
        _ => None,
    })
}

impl Values {
    async fn collect(
        store: &Store,
        tenant: TenantId,
        model: &SchemaModel,
        serial: AttributeId,
        count: i64,
        samples: usize,
        rng: &mut Rng,
    ) -> anyhow::Result<Values> {
        let owner = attribute_named(model, "Owner");
        let country = attribute_named(model, "Country");
        let wanted = samples + WARM_UP;
        let mut serials = Vec::with_capacity(wanted);
        let mut owners = BTreeSet::new();
        let span = u64::try_from(count).unwrap_or(0);
        for _ in 0..wanted * 20 {
            if serials.len() >= wanted {
                break;
            }
            let number = 1 + i64::try_from(rng.below(span)).unwrap_or(0);
            let Some(asset) = store.asset_by_key(tenant, model, number).await? else {
                continue;
            };
            serials.extend(texts(asset.values.get(serial)).map(str::to_owned));
            for id in &owner {
                owners.extend(texts(asset.values.get(*id)).map(str::to_owned));
            }
        }
        if serials.is_empty() {
            bail!("the site has no hardware with a serial number: is it seeded?");
        }
        // Every location (the seed makes one per 2,000 assets), with the countries they are in.
        let mut locations = Vec::new();
        let mut countries = BTreeSet::new();
        let mut cursor = None;
        loop {
            let aql = "objectType = Location";
            let (query, model) = prepare(store, tenant, aql, Some(SCHEMA_KEY))
                .await
                .map_err(query_error)?;
            let plan = resolve(&query, aql, &model, None).map_err(query_error)?;
            let request = QueryRequest {
                aql: aql.to_owned(),
                schema: Some(SCHEMA_KEY.to_owned()),
                limit: 500,
                cursor: cursor.take(),
                include_archived: false,
            };
            let page = store
                .list_assets(tenant, &model, &list_request(plan, &request))
                .await?;
            for asset in &page.items {
                locations.push(asset.label.clone());
                for id in &country {
                    countries.extend(texts(asset.values.get(*id)).map(str::to_owned));
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        if locations.is_empty() || countries.is_empty() {
            bail!("the site has no locations with a country: is it seeded?");
        }
        // Shuffled, so the rotation does not walk the locations in key order (city by city).
        for i in (1..locations.len()).rev() {
            let j = usize::try_from(rng.below(i as u64 + 1)).unwrap_or(0);
            locations.swap(i, j);
        }
        Ok(Values {
            serials,
            owners: owners.into_iter().collect(),
            locations,
            countries: countries.into_iter().collect(),
        })
    }
}

/// An AQL string literal.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The queries, per target. A case's calls rotate through its variants.
fn cases(values: &Values) -> Vec<Case> {
    let each = |pool: &[String], f: &dyn Fn(&str) -> String| -> Vec<String> {
        pool.iter().map(|v| f(v)).collect()
    };
    let fixed = |aql: &str| vec![aql.to_owned()];
    let case = |category, display: &str, variants: Vec<String>, deep| Case {
        category,
        display: display.to_owned(),
        variants,
        deep,
    };
    // The word of a serial after its maker's prefix: unique in the site.
    let serial_words: Vec<String> = values
        .serials
        .iter()
        .map(|s| s.rsplit('-').next().unwrap_or(s).to_owned())
        .collect();
    let manufacturers: Vec<String> = ["Dell", "Lenovo", "HP", "Apple"]
        .map(str::to_owned)
        .to_vec();
    let ram: Vec<String> = ["8", "16", "32", "64", "128", "256"]
        .map(str::to_owned)
        .to_vec();
    let medium_terms: Vec<String> = ["figma", "zoom", "slack", "adobe", "supermicro", "cisco"]
        .map(str::to_owned)
        .to_vec();
    let common_terms: Vec<String> = ["windows", "dell", "lenovo", "macos"]
        .map(str::to_owned)
        .to_vec();
    vec![
        case(
            Category::Equality,
            "\"Serial number\" = <serial>",
            each(&values.serials, &|s| {
                format!("\"Serial number\" = {}", quoted(s))
            }),
            false,
        ),
        case(
            Category::Equality,
            "Owner = <accountId>",
            each(&values.owners, &|o| format!("Owner = {}", quoted(o))),
            false,
        ),
        case(
            Category::Equality,
            "Manufacturer = <Dell, Lenovo, HP, Apple>",
            each(&manufacturers, &|m| format!("Manufacturer = {m}")),
            false,
        ),
        case(
            Category::Equality,
            "\"RAM (GB)\" = <8 … 256> (Laptop's and Server's)",
            each(&ram, &|r| format!("\"RAM (GB)\" = {r}")),
            false,
        ),
        case(
            Category::DotPath,
            "\"Located in\".Name = <location> (one hop)",
            each(&values.locations, &|l| {
                format!("\"Located in\".Name = {}", quoted(l))
            }),
            false,
        ),
        case(
            Category::DotPath,
            "objectType = \"Software licence\" AND \"Installed on\".\"Located in\".Name = <location>",
            each(&values.locations, &|l| {
                format!(
                    "objectType = \"Software licence\" AND \"Installed on\".\"Located in\".Name = {}",
                    quoted(l)
                )
            }),
            false,
        ),
        case(
            Category::DotPath,
            "\"Installed on\".\"Located in\".Country = <country>",
            each(&values.countries, &|c| {
                format!("\"Installed on\".\"Located in\".Country = {}", quoted(c))
            }),
            false,
        ),
        case(
            Category::Text,
            "text ~ <a serial's word> (unique)",
            each(&serial_words, &|w| format!("text ~ {}", quoted(w))),
            false,
        ),
        case(
            Category::Text,
            "text ~ <figma, zoom, slack, adobe, supermicro, cisco>",
            each(&medium_terms, &|t| format!("text ~ {t}")),
            false,
        ),
        case(
            Category::Text,
            "text ~ <windows, dell, lenovo, macos>",
            each(&common_terms, &|t| format!("text ~ {t}")),
            false,
        ),
        case(
            Category::Order,
            "ORDER BY \"Serial number\" (text)",
            fixed("ORDER BY \"Serial number\""),
            false,
        ),
        case(
            Category::Order,
            "ORDER BY \"Serial number\" (text)",
            fixed("ORDER BY \"Serial number\""),
            true,
        ),
        case(
            Category::Order,
            "ORDER BY Purchased (date)",
            fixed("ORDER BY Purchased"),
            false,
        ),
        case(
            Category::Order,
            "ORDER BY Purchased (date)",
            fixed("ORDER BY Purchased"),
            true,
        ),
        case(
            Category::Order,
            "ORDER BY \"Purchase price\" DESC (decimal)",
            fixed("ORDER BY \"Purchase price\" DESC"),
            false,
        ),
        case(
            Category::Order,
            "ORDER BY \"Purchase price\" DESC (decimal)",
            fixed("ORDER BY \"Purchase price\" DESC"),
            true,
        ),
        case(
            Category::Order,
            "ORDER BY Name (the label attribute of 3 root types)",
            fixed("ORDER BY Name"),
            false,
        ),
        case(
            Category::Order,
            "objectType = Laptop AND \"Operating system\" = \"Ubuntu 24.04\" ORDER BY \"Purchase price\" DESC",
            fixed(
                "objectType = Laptop AND \"Operating system\" = \"Ubuntu 24.04\" ORDER BY \"Purchase price\" DESC",
            ),
            false,
        ),
        case(
            Category::Order,
            "Owner = <accountId> ORDER BY Purchased DESC",
            each(&values.owners, &|o| {
                format!("Owner = {} ORDER BY Purchased DESC", quoted(o))
            }),
            false,
        ),
        case(
            Category::Order,
            "\"Located in\".Name = <location> ORDER BY \"Purchase price\"",
            each(&values.locations, &|l| {
                format!(
                    "\"Located in\".Name = {} ORDER BY \"Purchase price\"",
                    quoted(l)
                )
            }),
            false,
        ),
    ]
}

/// How many variants of a case get an exact (uncapped, untimed) count for the table.
const EXACT_COUNTS: usize = 10;

/// Times a case: warm-up calls, then up to `samples` timed ones (fewer if it exceeds
/// [`CASE_BUDGET`]), rotating through its variants (deep pages: through the cursors of pages
/// [`DEEP_FROM`]..=[`DEEP_PAGE`]).
async fn measure(
    store: &Store,
    tenant: TenantId,
    case: &Case,
    samples: usize,
) -> anyhow::Result<AqlMeasurement> {
    // (query, cursor) per variant.
    let mut runs: Vec<(String, Option<String>)> = Vec::new();
    if case.deep {
        let aql = case
            .variants
            .first()
            .context("a deep-page case needs its query")?;
        let mut cursor = None;
        for page in 1..DEEP_PAGE {
            let result = call(store, tenant, aql, cursor.clone()).await?;
            cursor = Some(
                result
                    .next_cursor
                    .ok_or_else(|| anyhow!("{}: the list ended at page {page}", case.display))?,
            );
            if page + 1 >= DEEP_FROM {
                runs.push((aql.clone(), cursor.clone()));
            }
        }
    } else {
        runs.extend(case.variants.iter().map(|v| (v.clone(), None)));
    }
    if runs.is_empty() {
        bail!("{}: no values to query", case.display);
    }
    let mut sizes = Vec::new();
    if !case.deep {
        for (aql, _) in runs.iter().take(EXACT_COUNTS) {
            sizes.push(count(store, tenant, aql, u32::MAX - 1).await?.1);
        }
    }
    // Warm-ups use the variants at the end, the timed calls start from the first.
    for i in 0..WARM_UP.min(runs.len()) {
        let (aql, cursor) = &runs[runs.len() - 1 - i];
        call(store, tenant, aql, cursor.clone()).await?;
    }
    let started = Instant::now();
    let mut m = AqlMeasurement {
        category: case.category,
        query: case.display.clone(),
        variants: runs.len(),
        deep: case.deep,
        times: Vec::with_capacity(samples),
        count_times: Vec::with_capacity(samples),
        sizes,
        rows: (usize::MAX, 0),
    };
    for i in 0..samples {
        if i >= MIN_SAMPLES && started.elapsed() > CASE_BUDGET {
            tracing::warn!(
                query = %case.display,
                samples = i,
                "stopped sampling: over the time budget"
            );
            break;
        }
        let (aql, cursor) = &runs[i % runs.len()];
        let result = call(store, tenant, aql, cursor.clone()).await?;
        m.times.push(result.elapsed);
        m.rows = (m.rows.0.min(result.rows), m.rows.1.max(result.rows));
        if !case.deep {
            m.count_times
                .push(count(store, tenant, aql, TOTAL_CAP).await?.0);
        }
    }
    if case.deep && m.rows.0 == 0 {
        bail!("{}: a deep page was empty", case.display);
    }
    // The variants the timed calls used, not those the pool had.
    m.variants = m.variants.min(m.times.len());
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(-12_345), "-12,345");
    }

    #[test]
    fn aql_literals_escape_quotes() {
        assert_eq!(
            quoted("Berlin office, floor 3"),
            "\"Berlin office, floor 3\""
        );
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn every_case_parses() {
        let values = Values {
            serials: vec!["DL-0A1B2C3D".into(), "C02-ZZZZ0000".into()],
            owners: vec!["557058:seed-0001".into()],
            locations: vec!["São Paulo office, floor 2".into()],
            countries: vec!["United Kingdom".into()],
        };
        for case in cases(&values) {
            assert!(!case.variants.is_empty(), "{}", case.display);
            for aql in &case.variants {
                amj_domain::aql::parse(aql).unwrap_or_else(|e| panic!("{aql}: {}", e.render(aql)));
            }
        }
    }
}
