//! `amj bench bookings`: the availability search and booking calendars on a seeded site that
//! has `--bookings` bookings (10⁵ by default) spread over a year, as the API's handlers run them
//! (AQL resolved per call, then the store) without the network. Target (issue 15): "any laptop
//! free these days at this place" p95 < 50 ms at 10⁶ assets with 10⁵ bookings.
//! docs/PERFORMANCE.md records the results.

use crate::bench_custody::{CustodyTiming as Timing, lendable_model, percentile};
use crate::rng::Rng;
use amj_domain::aql::Filter;
use amj_domain::booking::{BookingPlan, Zone};
use amj_domain::ids::{AssetId, TenantId};
use amj_domain::{AssetKey, Schema};
use amj_server::query::{QueryError, QueryRequest, prepare, resolve, run_plan};
use amj_store::booking::{AvailabilityQuery, BookingQuery};
use amj_store::catalog::SchemaModel;
use amj_store::{Store, StoreError, now_millis};
use anyhow::{Context, anyhow};
use std::time::{Duration, Instant};

const HOUR: i64 = 60 * 60 * 1000;
const DAY: i64 = 24 * HOUR;

fn query_error(e: QueryError) -> anyhow::Error {
    match e {
        QueryError::Aql { error, query } => anyhow!("{}", error.render(&query)),
        other => anyhow!(other),
    }
}

/// The filter an AQL text resolves to in the schema, as the handler resolves it per call.
async fn filter_of(
    store: &Store,
    tenant: TenantId,
    schema: &Schema,
    aql: &str,
) -> anyhow::Result<Filter> {
    let (query, model) = prepare(store, tenant, aql, Some(schema.key.as_str()))
        .await
        .map_err(query_error)?;
    Ok(resolve(&query, aql, &model, None)
        .map_err(query_error)?
        .filter)
}

/// Up to `n` asset keys matching `aql`, page by page (a page holds at most 500), so that the
/// bench's bookings spread over as many assets as a real site's would.
async fn keys_of(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    aql: &str,
    n: usize,
) -> anyhow::Result<Vec<(AssetId, AssetKey)>> {
    let filter = filter_of(store, tenant, &model.schema, aql).await?;
    let mut out = Vec::new();
    let mut cursor = None;
    while out.len() < n {
        let request = QueryRequest {
            aql: aql.to_owned(),
            schema: Some(model.schema.key.to_string()),
            limit: 500,
            cursor: cursor.take(),
            include_archived: false,
        };
        let plan = amj_domain::aql::Plan {
            filter: filter.clone(),
            order: amj_domain::aql::Order::Key,
            descending: false,
        };
        let (page, _) = run_plan(store, tenant, model, plan, &request).await?;
        out.extend(page.items.into_iter().map(|a| (a.id, a.key)));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    out.truncate(n);
    Ok(out)
}

/// Tops the site's bookings up to `bookings`, then times each search `samples` times after a
/// warm-up round (the median and p95 against the issue's target).
pub async fn run_bookings_bench(
    store: Store,
    client_key: &str,
    samples: usize,
    bookings: u64,
) -> anyhow::Result<Vec<Timing>> {
    let tenant = store
        .tenant_by_client_key(client_key)
        .await?
        .with_context(|| format!("no site {client_key:?}: seed it with `amj bench seed` first"))?
        .id;
    let (model, lendable) = lendable_model(&store, tenant).await?;
    let laptop = model
        .types
        .types()
        .find(|t| t.name == "Laptop")
        .map(|t| t.id)
        .context("the seeded schema has no Laptop type")?;
    let located_in = model
        .attributes
        .iter()
        .find(|a| a.name == "Located in")
        .map(|a| a.name.clone())
        .context("the seeded schema has no \"Located in\"")?;
    let places = keys_of(&store, tenant, &model, "objectType = Location", 20).await?;
    anyhow::ensure!(!places.is_empty(), "the seeded schema has no locations");
    let mut rng = Rng::new(0xb00c_1a9e);
    let now = now_millis() / HOUR * HOUR;
    let person = |i: u64| format!("557058:bench-person-{:04}", i % 2_000);

    // Top up to `bookings` bookings of lendable assets over the coming year: 1 to 7 days each,
    // starting on a random hour; a clash with an earlier one is skipped, as a person would pick
    // another time.
    let lendable_aql = format!(
        "objectType IN ({})",
        lendable
            .iter()
            .filter_map(|t| model.asset_type(*t))
            .map(|t| format!("\"{}\"", t.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Live ones only: the seed retires some, which a booking refuses.
    let targets = keys_of(
        &store,
        tenant,
        &model,
        &format!("{lendable_aql} AND status != Retired"),
        100_000,
    )
    .await?;
    anyhow::ensure!(
        !targets.is_empty(),
        "nothing can be booked on the seeded site"
    );
    let have_before = store.booking_count(tenant).await?;
    let mut have = have_before;
    let started_topup = Instant::now();
    let mut clashes = 0u64;
    let mut in_a_row = 0u64;
    let mut n = have;
    while have < bookings {
        anyhow::ensure!(
            in_a_row < 10_000,
            "{have} bookings made, and the last 10,000 tries clashed: the year is full"
        );
        n += 1;
        let (_, key) = &targets[rng.index(targets.len())];
        let start = now + i64::try_from(rng.below(365 * 24)).unwrap_or(0) * HOUR;
        let end = start + (1 + i64::try_from(rng.below(7)).unwrap_or(0)) * DAY;
        let plan = BookingPlan {
            account_id: person(n),
            start,
            end,
            zone: Zone::utc(),
            assets: vec![key.clone()],
            kit: None,
            issue: None,
            note: String::new(),
        };
        match store
            .create_booking(tenant, &model, &plan, "amj-bench", None)
            .await
        {
            Ok(_) => {
                have += 1;
                in_a_row = 0;
            }
            // Taken then, or out past the start (the seed lends some): another time.
            Err(StoreError::Conflict { .. } | StoreError::InvalidRows(_)) => {
                clashes += 1;
                in_a_row += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let topup = started_topup.elapsed();

    // The timed searches: a laptop free over a random 5-day window from next week, anywhere, at
    // a location, and with an attribute condition; an asset's calendar; a type's month.
    let window = |rng: &mut Rng| {
        let start = now + (7 + i64::try_from(rng.below(300)).unwrap_or(0)) * DAY;
        (start, start + 5 * DAY)
    };
    let mut anywhere = Vec::new();
    let mut at_place = Vec::new();
    let mut with_aql = Vec::new();
    let mut asset_calendar = Vec::new();
    let mut type_month = Vec::new();
    let (mut free_any, mut free_place, mut free_aql, mut in_calendar, mut in_month) =
        (0, 0, 0, 0, 0);
    for i in 0..=samples.max(1) {
        let (start, end) = window(&mut rng);
        let started = Instant::now();
        let found = store
            .available(
                tenant,
                &model,
                &AvailabilityQuery {
                    start,
                    end,
                    zone: amj_domain::booking::Zone::utc(),
                    types: vec![laptop],
                    filter: None,
                    limit: 50,
                },
            )
            .await?;
        let any_took = started.elapsed();

        let (_, place) = &places[rng.index(places.len())];
        let started = Instant::now();
        let filter = filter_of(
            &store,
            tenant,
            &model.schema,
            &format!("\"{located_in}\" = {place}"),
        )
        .await?;
        let here = store
            .available(
                tenant,
                &model,
                &AvailabilityQuery {
                    start,
                    end,
                    zone: amj_domain::booking::Zone::utc(),
                    types: vec![laptop],
                    filter: Some(&filter),
                    limit: 50,
                },
            )
            .await?;
        let place_took = started.elapsed();

        let started = Instant::now();
        let filter = filter_of(&store, tenant, &model.schema, "\"RAM (GB)\" >= 16").await?;
        let big = store
            .available(
                tenant,
                &model,
                &AvailabilityQuery {
                    start,
                    end,
                    zone: amj_domain::booking::Zone::utc(),
                    types: vec![laptop],
                    filter: Some(&filter),
                    limit: 50,
                },
            )
            .await?;
        let aql_took = started.elapsed();

        let (asset, _) = &targets[rng.index(targets.len())];
        let started = Instant::now();
        let calendar = store
            .bookings(
                tenant,
                &model,
                &BookingQuery {
                    from: now - 7 * DAY,
                    to: now + 120 * DAY,
                    asset: Some(*asset),
                    limit: 500,
                    ..BookingQuery::default()
                },
            )
            .await?;
        let calendar_took = started.elapsed();

        let started = Instant::now();
        let month = store
            .bookings(
                tenant,
                &model,
                &BookingQuery {
                    from: start,
                    to: start + 31 * DAY,
                    types: Some(model.types.descendants_and_self(laptop)),
                    limit: 500,
                    ..BookingQuery::default()
                },
            )
            .await?;
        let month_took = started.elapsed();
        // The first round warms the caches, as a running server has them warm.
        if i > 0 {
            anywhere.push(any_took);
            at_place.push(place_took);
            with_aql.push(aql_took);
            asset_calendar.push(calendar_took);
            type_month.push(month_took);
        }
        free_any = found.len();
        free_place = here.len();
        free_aql = big.len();
        in_calendar = in_calendar.max(calendar.len());
        in_month = month.len();
    }
    let timing = |what, mut times: Vec<Duration>, target: u64, sample: String| Timing {
        what,
        median: percentile(&mut times, 50),
        p95: percentile(&mut times, 95),
        target: Duration::from_millis(target),
        sample,
    };
    let out = vec![
        timing(
            "free laptops, 5 days",
            anywhere,
            50,
            format!(
                "{free_any} of 50 asked; {have} bookings ({} made in {:.1} s, {clashes} clashes skipped)",
                have - have_before,
                topup.as_secs_f64()
            ),
        ),
        timing(
            "free laptops at a location",
            at_place,
            50,
            format!("{free_place} found"),
        ),
        timing(
            "free laptops with RAM ≥ 16",
            with_aql,
            50,
            format!("{free_aql} found"),
        ),
        timing(
            "an asset's calendar (4 months)",
            asset_calendar,
            50,
            format!("up to {in_calendar} bookings"),
        ),
        timing(
            "the Laptop type's month",
            type_month,
            50,
            format!("{in_month} bookings (capped at 500)"),
        ),
    ];
    store.close().await;
    Ok(out)
}
