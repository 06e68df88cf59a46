//! `amj bench assets`: the asset store's latencies at a given size, on the configured backend.
//!
//! This is a command rather than a criterion benchmark because its fixture (a site with a million
//! assets) takes minutes to build and must be reused across runs, and because it has to run
//! against PostgreSQL servers as well as SQLite files. It measures the store calls a request
//! makes, without HTTP, so the figures isolate the queries. Every figure is a median and a p95 of
//! `samples` timed calls; docs/PERFORMANCE.md has the results and the targets.

use crate::seed::{Catalog, Existing, SeedPlan, SeedReport, ensure_catalog, seed_site};
use amj_domain::ids::{StatusId, TenantId};
use amj_domain::{AttributeKind, HistoryEvent, Value, diff_values};
use amj_store::Store;
use amj_store::assets::{AssetChange, AssetFilter, ListRequest, Sort};
use anyhow::{Context, anyhow};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The targets at 10⁶ assets per site (docs/PERFORMANCE.md).
pub const TARGET_GET_P95: Duration = Duration::from_millis(2);
pub const TARGET_LIST_P95: Duration = Duration::from_millis(20);
pub const TARGET_INSERT_PER_SEC: f64 = 20_000.0;
pub const TARGET_RSS_BYTES: u64 = 300 * 1024 * 1024;

/// Rows per list page, as the UI asks.
pub const PAGE_SIZE: u32 = 50;
/// The deep page measured: its fetch starts from the cursor of the page before it.
pub const DEEP_PAGE: usize = 500;

#[derive(Debug, Clone)]
pub struct AssetBenchOptions {
    /// The site is topped up to this many assets before measuring.
    pub assets: u64,
    /// Timed calls per operation.
    pub samples: usize,
    /// Extra 1,000-asset batches inserted (and kept) to measure the bulk insert rate.
    pub insert_batches: u64,
    pub seed: u64,
}

/// One measured operation.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub operation: String,
    pub times: Vec<Duration>,
    /// Whether the target applies, and which.
    pub target: Option<Duration>,
}

/// The nearest-rank percentile `p` (0–100) of `times`; zero when empty.
pub fn percentile(times: &[Duration], p: u32) -> Duration {
    if times.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let rank = (sorted.len() * p as usize).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

impl Measurement {
    pub fn median(&self) -> Duration {
        percentile(&self.times, 50)
    }

    pub fn p95(&self) -> Duration {
        percentile(&self.times, 95)
    }
}

#[derive(Debug, Clone)]
pub struct AssetBenchReport {
    pub backend: &'static str,
    pub assets: i64,
    pub seed: Option<SeedReport>,
    pub measurements: Vec<Measurement>,
    /// Per-batch times of the measured 1,000-asset inserts, with their sizes.
    pub inserts: Vec<(usize, Duration)>,
    pub rss_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// Assets per second of each batch of at least half the full size (the small first batches of
/// locations would only measure the per-transaction overhead).
fn rates(batches: &[(usize, Duration)]) -> Vec<f64> {
    let full = batches.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let mut rates: Vec<f64> = batches
        .iter()
        .filter(|(n, d)| *n * 2 >= full && !d.is_zero())
        .map(|(n, d)| *n as f64 / d.as_secs_f64())
        .collect();
    rates.sort_by(f64::total_cmp);
    rates
}

impl AssetBenchReport {
    /// The results as a markdown table, ready for docs/PERFORMANCE.md.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} assets in the site, {}:\n",
            self.assets, self.backend
        );
        let _ = writeln!(
            out,
            "| operation | samples | median | p95 | target (p95) | |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for m in &self.measurements {
            let (target, met) = match m.target {
                Some(t) => (format!("< {}", ms(t)), verdict(m.p95() < t)),
                None => ("—".to_owned(), ""),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {target} | {met} |",
                m.operation,
                m.times.len(),
                ms(m.median()),
                ms(m.p95()),
            );
        }
        let mut insert_row = |name: &str, batches: &[(usize, Duration)]| {
            let rates = rates(batches);
            if rates.is_empty() {
                return;
            }
            // Low percentiles of a rate are its slow batches: the rate's "p95" is its 5th percentile.
            let median = rates[rates.len() / 2];
            let slow = rates[(rates.len() * 5 / 100).min(rates.len() - 1)];
            let _ = writeln!(
                out,
                "| {name} | {} batches | {median:.0} assets/s | {slow:.0} assets/s (slowest 5%) | ≥ {TARGET_INSERT_PER_SEC:.0} assets/s | {} |",
                rates.len(),
                verdict(median >= TARGET_INSERT_PER_SEC),
            );
        };
        if let Some(seed) = &self.seed
            && !seed.batches.is_empty()
        {
            insert_row("bulk insert while seeding (1,000 per batch)", &seed.batches);
        }
        insert_row(
            &format!("bulk insert at {} (1,000 per batch)", self.assets),
            &self.inserts,
        );
        let mb = |b: u64| format!("{:.0} MB", b as f64 / 1024.0 / 1024.0);
        if let (Some(rss), Some(peak)) = (self.rss_bytes, self.peak_rss_bytes) {
            let _ = writeln!(
                out,
                "| process RSS (VmRSS / peak VmHWM) | — | {} | {} | < {} | {} |",
                mb(rss),
                mb(peak),
                mb(TARGET_RSS_BYTES),
                verdict(peak < TARGET_RSS_BYTES),
            );
        }
        out
    }
}

/// (VmRSS, VmHWM) of this process in bytes, from /proc (Linux only).
pub fn memory() -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn timed<T, F>(f: F) -> anyhow::Result<(Duration, T)>
where
    F: std::future::Future<Output = Result<T, amj_store::StoreError>>,
{
    let start = Instant::now();
    let out = f.await?;
    Ok((start.elapsed(), out))
}

/// Seeds (or reuses) the site and measures. Inserted batches stay in the site, so the next run
/// measures a slightly larger one; the report says how large.
pub async fn run_asset_bench(
    store: &Store,
    tenant: TenantId,
    options: &AssetBenchOptions,
) -> anyhow::Result<AssetBenchReport> {
    let backend = match store.db() {
        amj_store::Db::Sqlite(_) => "SQLite",
        amj_store::Db::Postgres(_) => "PostgreSQL",
    };
    let mut plan = SeedPlan::large(options.assets);
    plan.existing = Existing::TopUp;
    plan.seed = options.seed;
    let seed = seed_site(store, tenant, &plan).await?;
    tracing::info!("{}", seed.summary());
    if seed.assets_created > 0
        && let amj_store::Db::Postgres(pool) = store.db()
    {
        // Fresh statistics, as autovacuum takes within a minute of a bulk load on a default
        // server. Without them the planner guesses that a site has a few dozen assets, sorts
        // whole sites for one page and scans for unique values (seconds per call at 10⁶); a
        // server running with autovacuum off (as test servers often do) would measure that.
        sqlx::query("ANALYZE asset, asset_value, asset_event, asset_issue_link")
            .execute(pool)
            .await?;
    }
    let (catalog, _) = ensure_catalog(store, tenant).await?;
    let model = catalog.model.clone();
    let schema = model.schema.id;
    let count = store.count_assets(tenant, schema).await?;
    let samples = options.samples.max(1);
    let mut rng = crate::seed::Rng::new(options.seed ^ 0x5EED);
    let random_number = |rng: &mut crate::seed::Rng| {
        1 + i64::try_from(rng.below(u64::try_from(count).unwrap_or(1))).unwrap_or(0)
    };
    let mut measurements = Vec::new();

    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (t, _) = timed(store.schema_model(tenant, schema)).await?;
        times.push(t);
    }
    measurements.push(Measurement {
        operation: "catalog check (`schema_model`, cached)".into(),
        times,
        target: None,
    });

    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let number = random_number(&mut rng);
        let (t, found) = timed(store.asset_by_key(tenant, &model, number)).await?;
        found.with_context(|| format!("asset {number} of {count} is missing"))?;
        times.push(t);
    }
    measurements.push(Measurement {
        operation: "get by key (random keys)".into(),
        times,
        target: Some(TARGET_GET_P95),
    });

    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        let number = random_number(&mut rng);
        let asset = store
            .asset_by_key(tenant, &model, number)
            .await?
            .with_context(|| format!("asset {number} is missing"))?;
        let attributes = model.effective_attributes(asset.type_id);
        let mut values = asset.values.clone();
        // Change a number the asset has (price, seats…) and its status: a typical edit.
        if let Some(def) = attributes.iter().find(|a| {
            matches!(
                a.kind,
                AttributeKind::Decimal { .. } | AttributeKind::Integer { .. }
            ) && !values.get(a.id).is_empty()
        }) {
            let value = match def.kind {
                AttributeKind::Decimal { .. } => Value::Decimal(100.0 + (i % 900) as f64),
                _ => Value::Integer(1 + (i % 64) as i64),
            };
            values.set(def.id, vec![value]);
        }
        let status = other_status(&catalog, asset.status_id);
        let mut events = diff_values(&attributes, &asset.values, &values);
        if status != asset.status_id {
            let name = |id: StatusId| model.status(id).map(|s| s.name.clone()).unwrap_or_default();
            events.push(HistoryEvent::StatusChanged {
                old: name(asset.status_id),
                new: name(status),
            });
        }
        let change = AssetChange {
            id: asset.id,
            expected_version: asset.version,
            status_id: status,
            label: asset.label.clone(),
            values,
            events,
        };
        let (t, _) = timed(store.update_assets(tenant, &model, &[change], "amj-bench")).await?;
        times.push(t);
    }
    measurements.push(Measurement {
        operation: "update one asset (version-checked)".into(),
        times,
        target: None,
    });

    let rarest = rarest_status(&catalog)
        .or_else(|| model.statuses.first().map(|s| s.id))
        .context("the schema has no statuses")?;
    let rarest_name = model
        .status(rarest)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let sorts: Vec<(String, Sort)> = vec![
        ("key".into(), Sort::Key),
        ("label".into(), Sort::Label),
        ("updated".into(), Sort::Updated),
        (
            "Serial number (text attribute)".into(),
            Sort::Attribute(catalog.serial),
        ),
        (
            "Purchased (date attribute)".into(),
            Sort::Attribute(catalog.purchased),
        ),
        (
            "Purchase price (decimal attribute)".into(),
            Sort::Attribute(catalog.price),
        ),
    ];
    for (name, sort) in &sorts {
        let request = ListRequest {
            filter: AssetFilter::default(),
            sort: sort.clone(),
            descending: false,
            cursor: None,
            limit: PAGE_SIZE,
        };
        measurements.push(
            list_measurement(
                store,
                tenant,
                &model,
                &request,
                1,
                samples,
                &format!("list page 1 by {name}"),
            )
            .await?,
        );
        if count >= i64::from(PAGE_SIZE) * DEEP_PAGE as i64 {
            measurements.push(
                list_measurement(
                    store,
                    tenant,
                    &model,
                    &request,
                    DEEP_PAGE,
                    samples,
                    &format!("list page {DEEP_PAGE} by {name}"),
                )
                .await?,
            );
        }
    }
    for (name, sort) in [
        ("key", Sort::Key),
        ("Purchased", Sort::Attribute(catalog.purchased)),
    ] {
        let request = ListRequest {
            filter: AssetFilter {
                status_ids: Some(vec![rarest]),
                ..AssetFilter::default()
            },
            sort,
            descending: false,
            cursor: None,
            limit: PAGE_SIZE,
        };
        measurements.push(
            list_measurement(
                store,
                tenant,
                &model,
                &request,
                1,
                samples,
                &format!("list page 1, status = {rarest_name}, by {name}"),
            )
            .await?,
        );
    }
    let hardware = catalog
        .model
        .types
        .types()
        .find(|t| t.name == "Hardware")
        .map(|t| catalog.model.types.descendants_and_self(t.id))
        .context("the schema has no type Hardware")?;
    let request = ListRequest {
        filter: AssetFilter {
            type_ids: Some(hardware),
            ..AssetFilter::default()
        },
        sort: Sort::Key,
        descending: false,
        cursor: None,
        limit: PAGE_SIZE,
    };
    measurements.push(
        list_measurement(
            store,
            tenant,
            &model,
            &request,
            1,
            samples,
            "list page 1, type = Hardware (and its subtypes), by key",
        )
        .await?,
    );
    let request = ListRequest {
        filter: AssetFilter {
            text: Some("LT-BER".into()),
            ..AssetFilter::default()
        },
        sort: Sort::Label,
        descending: false,
        cursor: None,
        limit: PAGE_SIZE,
    };
    measurements.push(
        list_measurement(
            store,
            tenant,
            &model,
            &request,
            1,
            samples,
            "list page 1, label starts with \"LT-BER\", by label",
        )
        .await?,
    );

    let mut inserts = Vec::new();
    if options.insert_batches > 0 {
        let mut plan = SeedPlan::large(options.insert_batches * 1000);
        plan.existing = Existing::Add;
        plan.link_every = 0;
        plan.batch = 1000;
        plan.seed = options.seed.wrapping_add(1);
        let report = seed_site(store, tenant, &plan).await?;
        inserts = report.batches;
    }
    let (rss_bytes, peak_rss_bytes) = memory();
    Ok(AssetBenchReport {
        backend,
        assets: count,
        seed: Some(seed),
        measurements,
        inserts,
        rss_bytes,
        peak_rss_bytes,
    })
}

fn other_status(catalog: &Catalog, current: StatusId) -> StatusId {
    catalog
        .model
        .statuses
        .iter()
        .map(|s| s.id)
        .find(|id| *id != current)
        .unwrap_or(current)
}

/// The status the seed gives least often: a selective filter, the hard case for a sorted page.
fn rarest_status(catalog: &Catalog) -> Option<StatusId> {
    catalog
        .model
        .statuses
        .iter()
        .find(|s| s.category == amj_domain::StatusCategory::Maintenance)
        .map(|s| s.id)
}

/// Times fetching page `page` of `request`: the cursor of the page before it is found once (by
/// walking the pages), then the same fetch is timed `samples` times.
async fn list_measurement(
    store: &Store,
    tenant: TenantId,
    model: &amj_store::catalog::SchemaModel,
    request: &ListRequest,
    page: usize,
    samples: usize,
    operation: &str,
) -> anyhow::Result<Measurement> {
    let mut request = request.clone();
    for walked in 1..page {
        let result = store.list_assets(tenant, model, &request).await?;
        request.cursor = Some(
            result
                .next_cursor
                .ok_or_else(|| anyhow!("{operation}: the list ended at page {walked}"))?,
        );
    }
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (t, result) = timed(store.list_assets(tenant, model, &request)).await?;
        if result.items.is_empty() {
            return Err(anyhow!("{operation}: the page is empty"));
        }
        times.push(t);
    }
    Ok(Measurement {
        operation: operation.to_owned(),
        times,
        target: Some(TARGET_LIST_P95),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&times, 50), Duration::from_millis(50));
        assert_eq!(percentile(&times, 95), Duration::from_millis(95));
        assert_eq!(
            percentile(&[Duration::from_millis(7)], 95),
            Duration::from_millis(7)
        );
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }
}
