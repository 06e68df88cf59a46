//! `amj bench reports`: the server's time for each dashboard figure on a seeded site, as the
//! reports API computes it (counters and index range walks), without the network. The target is
//! < 200 ms p95 per figure at 10⁶ assets; docs/PERFORMANCE.md records the results.

use amj_domain::report::ReportSettings;
use amj_server::reports;
use amj_store::{Store, now_millis};
use anyhow::Context;
use std::time::{Duration, Instant};

/// The target per figure, p95.
pub const TARGET: Duration = Duration::from_millis(200);

pub struct ReportTiming {
    pub what: &'static str,
    pub median: Duration,
    pub p95: Duration,
    /// A figure from the answer, to show it computed something real.
    pub sample: String,
    /// Whether [`TARGET`] applies: a figure per view does; a one-off rule change does not.
    pub per_view: bool,
}

/// Puts `pattern` on the seeded "Serial number" (one transaction that tests every stored value
/// and keeps a marker per value that breaks it), timed once.
async fn set_serial_pattern(
    store: &Store,
    tenant: amj_domain::TenantId,
    model: &amj_store::catalog::SchemaModel,
    pattern: &str,
    what: &'static str,
) -> anyhow::Result<ReportTiming> {
    let serial = model
        .attributes
        .iter()
        .find(|a| {
            a.name == "Serial number" && matches!(a.kind, amj_domain::AttributeKind::Text { .. })
        })
        .context("the seeded schema has no text attribute \"Serial number\"")?;
    let draft = amj_domain::AttributeDraft {
        name: serial.name.clone(),
        kind: amj_domain::AttributeKind::Text {
            regex: Some(pattern.to_owned()),
        },
        required: serial.required,
        unique: serial.unique,
        description: serial.description.clone(),
    };
    draft
        .validate()
        .map_err(|e| anyhow::anyhow!("--serial-pattern: {e}"))?;
    let started = Instant::now();
    store
        .update_attribute(tenant, model.schema.id, serial.id, &draft)
        .await?;
    let took = started.elapsed();
    Ok(ReportTiming {
        what,
        median: took,
        p95: took,
        sample: format!("\"Serial number\" now {pattern}"),
        per_view: false,
    })
}

/// `serial_pattern`: first tighten "Serial number" to this pattern (timed), so that quality
/// counts values that break it; the seeded pattern is put back at the end (timed too).
pub async fn run_reports_bench(
    store: Store,
    client_key: &str,
    samples: usize,
    serial_pattern: Option<&str>,
) -> anyhow::Result<Vec<ReportTiming>> {
    let tenant = store
        .tenant_by_client_key(client_key)
        .await?
        .with_context(|| format!("no site {client_key:?}: seed it with `amj bench seed` first"))?;
    let schemas = store.list_schemas(tenant.id).await?;
    let schema = schemas.first().context("the site has no schema")?;
    let mut model = store
        .schema_model(tenant.id, schema.id)
        .await?
        .context("the schema has no model")?;
    let mut out = Vec::new();
    if let Some(pattern) = serial_pattern {
        out.push(
            set_serial_pattern(
                &store,
                tenant.id,
                &model,
                pattern,
                "pattern change (one-off)",
            )
            .await?,
        );
        model = store
            .schema_model(tenant.id, schema.id)
            .await?
            .context("the schema has no model")?;
    }
    let settings: ReportSettings = store.report_settings(tenant.id, schema.id).await?;
    anyhow::ensure!(
        settings.location_attribute.is_some() && !settings.lifecycle_dates.is_empty(),
        "the seeded schema has no dashboard settings; seed a new database"
    );
    for what in ["counts", "trend", "due", "quality"] {
        let mut times = Vec::with_capacity(samples);
        let mut sample = String::new();
        // One untimed run warms the page cache, as a running server has it warm.
        for i in 0..=samples.max(1) {
            let started = Instant::now();
            let figure = match what {
                "counts" => {
                    let c = reports::counts(&store, tenant.id, &model, &settings).await?;
                    format!(
                        "{} assets, {} types, {} places shown",
                        c.total,
                        c.by_type.len(),
                        c.by_location.map_or(0, |l| l.top.len())
                    )
                }
                "trend" => {
                    let t = reports::trend(&store, tenant.id, &model, 12, now_millis()).await?;
                    format!(
                        "{} created in 12 months",
                        t.months.iter().map(|m| m.created).sum::<i64>()
                    )
                }
                "due" => {
                    let d =
                        reports::due(&store, tenant.id, &model, &settings, now_millis()).await?;
                    format!(
                        "{} due in 90 days",
                        d.dates
                            .iter()
                            .filter_map(|d| d.windows.last())
                            .map(|w| w.count)
                            .sum::<i64>()
                    )
                }
                _ => {
                    let q = reports::quality(&store, tenant.id, &model).await?;
                    format!(
                        "{} attributes with missing values, {} outside bounds, {} assets holding \
                         unlisted options, {} breaking a pattern",
                        q.missing_required.len(),
                        q.out_of_bounds.iter().map(|b| b.count).sum::<i64>(),
                        q.unlisted_options.iter().map(|u| u.count).sum::<i64>(),
                        q.broken_patterns.iter().map(|b| b.count).sum::<i64>()
                    )
                }
            };
            if i > 0 {
                times.push(started.elapsed());
            }
            sample = figure;
        }
        times.sort();
        out.push(ReportTiming {
            what,
            median: times[times.len() / 2],
            p95: times[(times.len() * 95 / 100).min(times.len() - 1)],
            sample,
            per_view: true,
        });
    }
    if serial_pattern.is_some() {
        out.push(
            set_serial_pattern(
                &store,
                tenant.id,
                &model,
                crate::seed::SERIAL_PATTERN,
                "pattern put back",
            )
            .await?,
        );
    }
    store.close().await;
    Ok(out)
}

pub fn markdown(timings: &[ReportTiming]) -> String {
    let mut text =
        String::from("| figure | median | p95 | target (p95) | answer |\n|---|---|---|---|---|\n");
    for t in timings {
        text.push_str(&format!(
            "| {} | {:.2} ms | {:.2} ms | < {} ms {} | {} |\n",
            t.what,
            t.median.as_secs_f64() * 1000.0,
            t.p95.as_secs_f64() * 1000.0,
            TARGET.as_millis(),
            match (t.per_view, t.p95 < TARGET) {
                (false, _) => "(not a view: no target)",
                (true, true) => "met",
                (true, false) => "**missed**",
            },
            t.sample
        ));
    }
    text
}
