//! `amj bench licences`: a licence with `--seats` seats in use (10⁴ by default) on a seeded
//! site, among `--licences` licences with terms (10⁴), as the store answers it, without the
//! network: its compliance view (terms, counts and the first page of seats), the per-product
//! view over every licence, and assigning and freeing one seat. Target
//! (issue 14): the compliance view of a licence with 10⁴ seats p95 < 50 ms. docs/PERFORMANCE.md
//! records the results.

use crate::bench_custody::{CustodyTiming, markdown as timings_markdown, percentile};
use amj_domain::aql::{AssetCond, Filter, LicenceCond};
use amj_domain::licence::{Assignee, LicencePolicy, LicenceTerms, SeatDraft, SeatRelease};
use amj_domain::{AttributeValues, StatusCategory, TypeId, Value};
use amj_store::Store;
use amj_store::assets::NewAsset;
use amj_store::assets::{AssetFilter, ListRequest, Sort};
use anyhow::Context;
use std::time::{Duration, Instant};

/// The product the bench's licence is of; a second run finds it again.
const PRODUCT: &str = "Bench Suite Enterprise";

fn person(i: usize) -> String {
    format!("557058:bench-seat-{i:06}")
}

pub async fn run_licence_bench(
    store: Store,
    client_key: &str,
    samples: usize,
    seats: usize,
    licences: usize,
) -> anyhow::Result<Vec<CustodyTiming>> {
    let tenant = store
        .tenant_by_client_key(client_key)
        .await?
        .with_context(|| format!("no site {client_key:?}: seed it with `amj bench seed` first"))?
        .id;
    let schemas = store.list_schemas(tenant).await?;
    let schema = schemas.first().context("the site has no schema")?;
    let mut model = store
        .schema_model(tenant, schema.id)
        .await?
        .context("the schema has no model")?;
    let licence_type: TypeId = model
        .types
        .types()
        .find(|t| t.name == "Software licence")
        .map(|t| t.id)
        .context("the seeded schema has no Software licence type")?;
    if !model.licences.is_licensed(&model.types, licence_type) {
        let installed = model
            .attributes
            .iter()
            .find(|a| a.type_id == licence_type && a.name == "Installed on")
            .map(|a| a.id);
        let policy = LicencePolicy {
            licensed_types: vec![licence_type],
            installed_attribute: installed,
        };
        store.set_licence_policy(tenant, schema.id, &policy).await?;
        model = store
            .schema_model(tenant, schema.id)
            .await?
            .context("the schema has no model")?;
    }
    // Terms for `licences` of the seeded licences (their product and Seats), so the per-product
    // view adds up a real number of licences; found by AQL's own "has no licence terms".
    let started_terms = Instant::now();
    let mut with_terms = 0_usize;
    let seats_attribute = model
        .effective_attributes(licence_type)
        .into_iter()
        .find(|a| a.name == "Seats")
        .map(|a| a.id);
    let without_terms = Filter::And(vec![
        Filter::Asset(AssetCond::TypeIn(vec![licence_type])),
        Filter::Not(Box::new(Filter::Licence(LicenceCond::Licensed))),
        // Retired licences are left out of compliance, so they are not given terms here.
        Filter::Not(Box::new(Filter::Asset(AssetCond::Retired(None)))),
    ]);
    let have = store.compliance_by_product(tenant, &model).await?;
    let mut want = licences.saturating_sub(
        have.iter()
            .map(|p| usize::try_from(p.licences).unwrap_or(0))
            .sum::<usize>(),
    );
    while want > 0 {
        let page = store
            .list_assets(
                tenant,
                &model,
                &ListRequest {
                    filter: AssetFilter {
                        aql: Some(without_terms.clone()),
                        ..AssetFilter::default()
                    },
                    sort: Sort::Key,
                    descending: false,
                    cursor: None,
                    limit: u32::try_from(want.min(500)).unwrap_or(500),
                },
            )
            .await?;
        if page.items.is_empty() {
            break;
        }
        for asset in &page.items {
            let entitled = seats_attribute
                .and_then(|id| match asset.values.get(id).first() {
                    Some(Value::Integer(n)) => Some(*n),
                    _ => None,
                })
                .unwrap_or(10);
            let product = asset
                .label
                .split(" (")
                .next()
                .unwrap_or("Unknown")
                .to_owned();
            let terms = LicenceTerms {
                product,
                entitled,
                allow_overuse: false,
                expires: None,
                renews: None,
                cost_per_seat: Some(9.99),
                currency: Some("EUR".to_owned()),
            };
            store
                .set_licence_terms(tenant, &model, asset.id, &terms, "amj-bench")
                .await?;
            with_terms += 1;
        }
        want = want.saturating_sub(page.items.len());
    }
    let terms_took = started_terms.elapsed();

    // The bench's licence: found by its product, or made.
    let found = store
        .licences(tenant, &model, Some(PRODUCT), None, 1)
        .await?
        .into_iter()
        .next();
    let entitled = i64::try_from(seats + samples + 10).context("seats")?;
    let licence = match found {
        Some(l) => l.asset_id,
        None => {
            let attribute = |name: &str| {
                model
                    .effective_attributes(licence_type)
                    .into_iter()
                    .find(|a| a.name == name)
                    .map(|a| a.id)
                    .with_context(|| format!("the licence type has no {name} attribute"))
            };
            let mut values = AttributeValues::default();
            values.set(attribute("Name")?, vec![Value::Text(PRODUCT.to_owned())]);
            values.set(attribute("Vendor")?, vec![Value::Text("Adobe".to_owned())]);
            values.set(attribute("Seats")?, vec![Value::Integer(entitled)]);
            let status_id = model
                .statuses
                .iter()
                .find(|s| s.category == StatusCategory::InUse)
                .or_else(|| model.statuses.first())
                .map(|s| s.id)
                .context("the schema has no status")?;
            let input = NewAsset {
                type_id: licence_type,
                status_id,
                label: PRODUCT.to_owned(),
                values,
            };
            let created = store
                .create_assets(tenant, &model, &[input], "amj-bench")
                .await?;
            created.first().context("no licence created")?.id
        }
    };
    let terms = LicenceTerms {
        product: PRODUCT.to_owned(),
        entitled,
        allow_overuse: false,
        expires: None,
        renews: None,
        cost_per_seat: Some(42.5),
        currency: Some("EUR".to_owned()),
    };
    store
        .set_licence_terms(tenant, &model, licence, &terms, "amj-bench")
        .await?;

    // Top up to `seats` seats, 500 per call.
    let started_topup = Instant::now();
    let mut have = store
        .licence(tenant, &model, licence)
        .await?
        .context("the licence has no terms")?
        .assigned;
    let want = i64::try_from(seats).context("seats")?;
    while have < want {
        let n = usize::try_from((want - have).min(500)).unwrap_or(500);
        let from = usize::try_from(have).unwrap_or(0);
        let draft = SeatDraft {
            assignees: (from..from + n)
                .map(|i| Assignee::User {
                    account_id: person(i),
                })
                .collect(),
            issue: None,
            note: String::new(),
        };
        let (after, _) = store
            .assign_seats(tenant, &model, licence, &draft, "amj-bench", None)
            .await?;
        have = after.assigned;
    }
    let topup = started_topup.elapsed();

    let mut views = Vec::new();
    let mut products = Vec::new();
    let mut assigns = Vec::new();
    let mut frees = Vec::new();
    let mut sample = String::new();
    let mut product_rows = 0;
    let mut total_licences = 0;
    for i in 0..=samples.max(1) {
        let started = Instant::now();
        let view = store
            .licence(tenant, &model, licence)
            .await?
            .context("the licence vanished")?;
        let page = store.seats(tenant, licence, None, 100).await?;
        let took = started.elapsed();
        let started = Instant::now();
        let rollup = store.compliance_by_product(tenant, &model).await?;
        let product_took = started.elapsed();
        let extra = Assignee::User {
            account_id: person(seats + i),
        };
        let draft = SeatDraft {
            assignees: vec![extra.clone()],
            issue: Some("HR-1".to_owned()),
            note: String::new(),
        };
        let started = Instant::now();
        store
            .assign_seats(tenant, &model, licence, &draft, "amj-bench", None)
            .await?;
        let assign_took = started.elapsed();
        let release = SeatRelease {
            assignees: vec![extra],
            note: String::new(),
        };
        let started = Instant::now();
        store
            .release_seats(tenant, &model, licence, &release, "amj-bench", None)
            .await?;
        let free_took = started.elapsed();
        // The first round warms the caches, as a running server has them warm.
        if i > 0 {
            views.push(took);
            products.push(product_took);
            assigns.push(assign_took);
            frees.push(free_took);
        }
        let c = view.compliance();
        sample = format!(
            "{} of {} seats assigned, {} installed; {} seats on the first page (topped up in {:.1} s)",
            c.assigned,
            c.entitled,
            c.installed,
            page.len(),
            topup.as_secs_f64()
        );
        product_rows = rollup.len();
        total_licences = rollup.iter().map(|p| p.licences).sum::<i64>();
    }
    let timing = |what, mut times: Vec<Duration>, target, sample: String| CustodyTiming {
        what,
        median: percentile(&mut times, 50),
        p95: percentile(&mut times, 95),
        target,
        sample,
    };
    let verb_target = if store.is_postgres() {
        Duration::from_millis(20)
    } else {
        Duration::from_millis(10)
    };
    let out = vec![
        timing(
            "licence compliance view",
            views,
            Duration::from_millis(50),
            sample,
        ),
        timing(
            "compliance per product",
            products,
            Duration::from_millis(50),
            format!(
                "{product_rows} products, {total_licences} licences ({with_terms} given terms \
                 now, in {:.1} s)",
                terms_took.as_secs_f64()
            ),
        ),
        timing("assign a seat", assigns, verb_target, "one seat".to_owned()),
        timing("free a seat", frees, verb_target, "one seat".to_owned()),
    ];
    store.close().await;
    Ok(out)
}

pub fn markdown(timings: &[CustodyTiming]) -> String {
    timings_markdown(timings)
}
