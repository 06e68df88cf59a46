//! `amj bench custody`: check-out and check-in, "my assets" and the overdue list on a seeded
//! site that has `--open` check-outs open (10⁵ by default), as the store answers them, without
//! the network. Targets (issue 14): a check-out p95 < 10 ms on SQLite and < 20 ms on
//! PostgreSQL; "my assets" and a page of the overdue list p95 < 20 ms. docs/PERFORMANCE.md
//! records the results.

use amj_domain::aql::{AssetCond, CustodyCond, Filter};
use amj_domain::custody::{CheckinDraft, CheckoutDraft, Condition, CustodyPolicy, Holder};
use amj_domain::ids::{AssetId, TypeId};
use amj_store::assets::{AssetFilter, ListRequest, Sort};
use amj_store::{Store, now_millis};
use anyhow::Context;
use std::time::{Duration, Instant};

pub struct CustodyTiming {
    pub what: &'static str,
    pub median: Duration,
    pub p95: Duration,
    pub target: Duration,
    /// What the answer held, to show it did real work.
    pub sample: String,
}

/// The people the bench lends to: a few hold most, as a real site's IT staff and power users do.
fn person(i: u64) -> String {
    format!("557058:bench-person-{:04}", i % 2_000)
}

/// The `p`th percentile of `times` (sorted here), by nearest rank.
pub fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    times[(times.len() * p / 100).min(times.len() - 1)]
}

/// The site's first schema with something to lend: a site seeded before custody existed gets
/// laptops and monitors made lendable, as the seed does now. Answers the model and the
/// lendable types.
pub async fn lendable_model(
    store: &Store,
    tenant: amj_domain::ids::TenantId,
) -> anyhow::Result<(std::sync::Arc<amj_store::catalog::SchemaModel>, Vec<TypeId>)> {
    let schemas = store.list_schemas(tenant).await?;
    let schema = schemas.first().context("the site has no schema")?;
    let mut model = store
        .schema_model(tenant, schema.id)
        .await?
        .context("the schema has no model")?;
    if model.custody.checkoutable_types.is_empty() {
        // A site seeded before custody existed: lend laptops and monitors, as the seed does now.
        let types: Vec<TypeId> = model
            .types
            .types()
            .filter(|t| t.name == "Laptop" || t.name == "Monitor")
            .map(|t| t.id)
            .collect();
        anyhow::ensure!(
            !types.is_empty(),
            "the seeded schema has no Laptop or Monitor type"
        );
        let policy = CustodyPolicy {
            checkoutable_types: types,
            checked_out_status: None,
            available_status: None,
        };
        store.set_custody_policy(tenant, schema.id, &policy).await?;
        model = store
            .schema_model(tenant, schema.id)
            .await?
            .context("the schema has no model")?;
    }
    let lendable: Vec<TypeId> = model
        .types
        .types()
        .filter(|t| model.custody.is_checkoutable(&model.types, t.id))
        .map(|t| t.id)
        .collect();
    Ok((model, lendable))
}

pub async fn run_custody_bench(
    store: Store,
    client_key: &str,
    samples: usize,
    open: u64,
) -> anyhow::Result<Vec<CustodyTiming>> {
    let tenant = store
        .tenant_by_client_key(client_key)
        .await?
        .with_context(|| format!("no site {client_key:?}: seed it with `amj bench seed` first"))?
        .id;
    let (model, lendable) = lendable_model(&store, tenant).await?;
    // Live, not retired, not out: what can be lent.
    let available = Filter::And(vec![
        Filter::Asset(AssetCond::TypeIn(lendable)),
        Filter::Not(Box::new(Filter::Asset(AssetCond::Retired(None)))),
        Filter::Not(Box::new(Filter::Custody(CustodyCond::Out))),
    ]);
    let today = i32::try_from(now_millis().div_euclid(86_400_000)).context("today")?;

    // Top up to `open` check-outs, 500 per transaction: every fourth is due in the past.
    let mut have = store.open_checkouts(tenant).await?;
    let started_topup = Instant::now();
    let mut n = u64::try_from(have).unwrap_or(0);
    // Lent assets fall behind the cursor, so each batch reads on from the last.
    let mut cursor = None;
    while u64::try_from(have).unwrap_or(0) < open {
        let want = (open - u64::try_from(have).unwrap_or(0)).min(500);
        let page = store
            .list_assets(
                tenant,
                &model,
                &ListRequest {
                    filter: AssetFilter {
                        aql: Some(available.clone()),
                        ..AssetFilter::default()
                    },
                    sort: Sort::Key,
                    descending: false,
                    cursor: cursor.take(),
                    limit: u32::try_from(want).unwrap_or(500),
                },
            )
            .await?;
        anyhow::ensure!(
            !page.items.is_empty(),
            "only {have} assets could be lent; seed more with `amj bench seed`"
        );
        let items: Vec<(AssetId, CheckoutDraft)> = page
            .items
            .iter()
            .map(|a| {
                n += 1;
                let due = i32::try_from(n % 60).map(|d| today + d - 15).ok();
                (
                    a.id,
                    CheckoutDraft {
                        holder: Holder::User {
                            account_id: person(n),
                        },
                        due,
                        issue: n
                            .is_multiple_of(10)
                            .then(|| format!("HR-{}", n % 5_000 + 1)),
                        note: String::new(),
                    },
                )
            })
            .collect();
        store
            .check_out(tenant, &model, &items, "amj-bench", None)
            .await?;
        have += i64::try_from(items.len()).unwrap_or(0);
        cursor = page.next_cursor;
        anyhow::ensure!(
            cursor.is_some() || u64::try_from(have).unwrap_or(0) >= open,
            "only {have} assets could be lent; seed more with `amj bench seed`"
        );
    }
    let topup = started_topup.elapsed();

    // The timed assets: lendable ones, each checked out and straight back in.
    let page = store
        .list_assets(
            tenant,
            &model,
            &ListRequest {
                filter: AssetFilter {
                    aql: Some(available.clone()),
                    ..AssetFilter::default()
                },
                sort: Sort::Key,
                descending: true,
                cursor: None,
                limit: u32::try_from(samples.clamp(1, 1000)).unwrap_or(200),
            },
        )
        .await?;
    anyhow::ensure!(!page.items.is_empty(), "nothing left to lend");
    let mut outs = Vec::new();
    let mut ins = Vec::new();
    for (i, asset) in page
        .items
        .iter()
        .cycle()
        .take(samples.max(1) + 1)
        .enumerate()
    {
        let draft = CheckoutDraft {
            holder: Holder::User {
                account_id: person(u64::try_from(i).unwrap_or(0)),
            },
            due: Some(today + 7),
            issue: Some("HR-1".to_owned()),
            note: String::new(),
        };
        let started = Instant::now();
        store
            .check_out(tenant, &model, &[(asset.id, draft)], "amj-bench", None)
            .await?;
        let out = started.elapsed();
        let back = CheckinDraft {
            condition: Condition::Good,
            note: String::new(),
        };
        let started = Instant::now();
        store
            .check_in(tenant, &model, &[(asset.id, back)], "amj-bench", None)
            .await?;
        // The first cycle warms the caches, as a running server has them warm.
        if i > 0 {
            outs.push(out);
            ins.push(started.elapsed());
        }
    }
    let mut mine = Vec::new();
    let mut mine_sample = 0;
    let mut overdue = Vec::new();
    let mut overdue_sample = 0;
    for i in 0..=samples.max(1) {
        let who = person(u64::try_from(i * 7).unwrap_or(0));
        let started = Instant::now();
        let held = store.held_by_person(tenant, &who, 500).await?;
        let took = started.elapsed();
        let started = Instant::now();
        let late = store.overdue(tenant, today, None, 100).await?;
        if i > 0 {
            mine.push(took);
            overdue.push(started.elapsed());
        }
        mine_sample = mine_sample.max(held.len());
        overdue_sample = late.len();
    }
    let target = if store.is_postgres() {
        Duration::from_millis(20)
    } else {
        Duration::from_millis(10)
    };
    let timing = |what, mut times: Vec<Duration>, target, sample: String| CustodyTiming {
        what,
        median: percentile(&mut times, 50),
        p95: percentile(&mut times, 95),
        target,
        sample,
    };
    let out = vec![
        timing(
            "check-out",
            outs,
            target,
            format!(
                "{have} open check-outs (topped up in {:.1} s)",
                topup.as_secs_f64()
            ),
        ),
        timing("check-in", ins, target, "the loan kept".to_owned()),
        timing(
            "my assets",
            mine,
            Duration::from_millis(20),
            format!("up to {mine_sample} held by one person"),
        ),
        timing(
            "overdue (first page)",
            overdue,
            Duration::from_millis(20),
            format!("{overdue_sample} rows"),
        ),
    ];
    store.close().await;
    Ok(out)
}

pub fn markdown(timings: &[CustodyTiming]) -> String {
    let mut text = String::from(
        "| operation | median | p95 | target (p95) | answer |\n|---|---|---|---|---|\n",
    );
    for t in timings {
        text.push_str(&format!(
            "| {} | {:.2} ms | {:.2} ms | < {} ms {} | {} |\n",
            t.what,
            t.median.as_secs_f64() * 1000.0,
            t.p95.as_secs_f64() * 1000.0,
            t.target.as_millis(),
            if t.p95 < t.target {
                "met"
            } else {
                "**missed**"
            },
            t.sample
        ));
    }
    text
}
