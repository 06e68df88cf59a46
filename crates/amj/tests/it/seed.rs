//! The demo and benchmark seed, on every backend: what it creates, that every value it writes is
//! one the API would accept, that it is deterministic, and that it reuses what it made before.

use crate::support::each_backend;
use amj_bench::seed::{Existing, SeedPlan, ensure_bench_tenant, seed_site};
use amj_domain::ids::TenantId;
use amj_domain::{Mode, ValidationContext, validate_values};
use amj_store::Store;
use amj_store::assets::{AssetFilter, AssetRecord, ListRequest, Sort};
use amj_store::catalog::SchemaModel;
use amj_store::links::IssueRef;

async fn all_assets(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    sort: Sort,
) -> Vec<AssetRecord> {
    let mut out = Vec::new();
    let mut request = ListRequest {
        filter: AssetFilter::default(),
        sort,
        limit: 37,
        ..ListRequest::default()
    };
    loop {
        let page = store.list_assets(tenant, model, &request).await.unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => return out,
        }
    }
}

/// The demo's stock items (`seed::STOCK_ITEMS`).
const STOCK_ITEMS: usize = 6;

#[tokio::test]
async fn demo_seed_creates_valid_linked_assets_and_is_reusable() {
    each_backend(|db| async move {
        let store = db.store().await;
        let tenant = ensure_bench_tenant(&store, "seed-site", "amj")
            .await
            .unwrap();
        assert_eq!(
            ensure_bench_tenant(&store, "seed-site", "amj")
                .await
                .unwrap(),
            tenant,
            "an existing site is reused, not reinstalled"
        );
        let mut plan = SeedPlan::demo();
        plan.issues = vec![IssueRef {
            id: 10001,
            key: "AM-1".into(),
            summary: "Laptop for the new designer".into(),
        }];
        let report = seed_site(&store, tenant, &plan).await.unwrap();
        assert!(report.schema_created);
        assert_eq!(report.assets_before, 0);
        assert_eq!(report.assets_created, 60);
        assert_eq!(report.links_created, 15, "every 4th asset");
        assert_eq!(report.by_type.values().sum::<u64>(), 60);
        assert_eq!(report.by_type.get("Location"), Some(&5));
        for kind in ["Laptop", "Monitor", "Server", "Software licence"] {
            assert!(
                report.by_type.get(kind).is_some_and(|n| *n > 0),
                "{kind}: {report:?}"
            );
        }

        let model = store
            .schema_model(tenant, report.schema_id)
            .await
            .unwrap()
            .unwrap();
        let assets = all_assets(&store, tenant, &model, Sort::Key).await;
        // The 60 and the demo's stock items, counted by location with minimums.
        assert_eq!(assets.len(), 60 + STOCK_ITEMS);
        let stocked: Vec<&AssetRecord> = assets
            .iter()
            .filter(|a| model.stock.kind_of(&model.types, a.type_id).is_some())
            .collect();
        assert_eq!(stocked.len(), STOCK_ITEMS);
        let below = store
            .below_minimum(tenant, &model, None, 100)
            .await
            .unwrap();
        assert!(!below.is_empty(), "something is below its minimum");
        let mut lent = 0;
        for item in &stocked {
            let stock = store
                .item_stock(tenant, &model, item.id, item.type_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stock.levels.len(), 2, "{}: kept at two locations", item.key);
            assert_eq!(
                stock.counts.quantity,
                stock.levels.iter().map(|l| l.quantity).sum::<i64>()
            );
            lent += stock.out.len();
        }
        assert!(lent > 0, "some accessories are out with people");
        let kits = store.kits(tenant, report.schema_id).await.unwrap();
        assert_eq!(kits.len(), 1, "the demo's kit for new starters");
        assert_eq!(kits[0].parts.len(), 3);
        let fresh = store
            .schema_model(tenant, report.schema_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            fresh.requests.as_ref().map(|p| p.project.as_str()),
            Some("AM"),
            "requests on the simulator's AM issues are approved by its workflow"
        );
        let mut statuses = std::collections::HashSet::new();
        for asset in &assets {
            statuses.insert(asset.status_id);
            let attributes = model.effective_attributes(asset.type_id);
            let ctx = ValidationContext {
                attributes: &attributes,
                statuses: &model.statuses,
            };
            let input = asset.values.to_api_json(&attributes);
            let validated = validate_values(&ctx, &input, None, Mode::Create)
                .unwrap_or_else(|e| panic!("{}: {e}: {input:?}", asset.key));
            assert_eq!(
                validated, asset.values,
                "{} round-trips through validation",
                asset.key
            );
            let label = model.types.label_attribute(asset.type_id).unwrap();
            assert_eq!(
                asset.values.get(label),
                [amj_domain::Value::Text(asset.label.clone())],
                "the label is the Name value"
            );
        }
        assert!(statuses.len() >= 2, "statuses are spread");
        let linked = store.assets_of_issue(tenant, 10001).await.unwrap();
        assert_eq!(linked.len(), 15, "links use the plan's issues");

        // References point at real assets: licences at hardware, hardware at locations.
        let (refs, _) = store
            .inbound_references(tenant, &model, assets[0].id, None, 500)
            .await
            .unwrap();
        assert!(!refs.is_empty(), "the first location has hardware in it");

        // Sorting by the unique serial number lists every hardware asset in serial order.
        let serial = model
            .attributes
            .iter()
            .find(|a| a.name == "Serial number")
            .unwrap()
            .id;
        let by_serial = all_assets(&store, tenant, &model, Sort::Attribute(serial)).await;
        assert_eq!(by_serial.len(), 60 + STOCK_ITEMS);
        let serials: Vec<String> = by_serial
            .iter()
            .filter_map(|a| match a.values.get(serial).first() {
                Some(amj_domain::Value::Text(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let mut sorted = serials.clone();
        sorted.sort();
        assert_eq!(serials, sorted);

        // Topping up a full site adds nothing; adding more extends the same schema.
        let again = seed_site(&store, tenant, &plan).await.unwrap();
        assert!(!again.schema_created);
        assert_eq!(
            (again.assets_before, again.assets_created),
            (60 + STOCK_ITEMS as i64, 0)
        );
        let mut more = SeedPlan::demo();
        more.assets = 30;
        more.existing = Existing::Add;
        let added = seed_site(&store, tenant, &more).await.unwrap();
        assert_eq!(
            (added.assets_before, added.assets_created),
            (60 + STOCK_ITEMS as i64, 30)
        );
        assert_eq!(
            store.count_assets(tenant, report.schema_id).await.unwrap(),
            90 + STOCK_ITEMS as i64
        );

        // The same plan on another site gives the same data.
        let other = ensure_bench_tenant(&store, "seed-site-2", "amj")
            .await
            .unwrap();
        let twin = seed_site(&store, other, &plan).await.unwrap();
        let twin_model = store
            .schema_model(other, twin.schema_id)
            .await
            .unwrap()
            .unwrap();
        let twin_assets = all_assets(&store, other, &twin_model, Sort::Key).await;
        let view = |assets: &[AssetRecord],
                    model: &SchemaModel|
         -> Vec<(String, String, serde_json::Value)> {
            assets
                .iter()
                .map(|a| {
                    let attributes = model.effective_attributes(a.type_id);
                    (
                        a.key.to_string(),
                        a.label.clone(),
                        serde_json::Value::Object(a.values.to_api_json(&attributes)),
                    )
                })
                .collect()
        };
        assert_eq!(view(&twin_assets, &twin_model), view(&assets, &model));
        store.close().await;
    })
    .await;
}

/// `amj bench reports --serial-pattern`: the tightened pattern's breaking values are what the
/// quality figure counts, and the seeded pattern is back afterwards.
#[tokio::test]
async fn bench_reports_tightens_the_serial_pattern_and_puts_it_back() {
    each_backend(|db| async move {
        let store = db.store().await;
        let tenant = ensure_bench_tenant(&store, "bench-reports-site", "amj")
            .await
            .unwrap();
        let report = seed_site(&store, tenant, &SeedPlan::large(400))
            .await
            .unwrap();
        let model = store
            .schema_model(tenant, report.schema_id)
            .await
            .unwrap()
            .unwrap();
        let strict = "(DL|PF)-[A-Z0-9]{8}";
        let pattern = amj_domain::TextPattern::of(&amj_domain::AttributeKind::Text {
            regex: Some(strict.to_owned()),
        })
        .unwrap();
        let serial = model
            .attributes
            .iter()
            .find(|a| a.name == "Serial number")
            .unwrap()
            .id;
        let breaking = all_assets(&store, tenant, &model, Sort::Key)
            .await
            .iter()
            .filter(|a| {
                a.values.get(serial).iter().any(|v| match v {
                    amj_domain::Value::Text(t) => !pattern.allows(t),
                    _ => false,
                })
            })
            .count();
        assert!(
            breaking > 0,
            "the seed has other makers than Dell and Lenovo"
        );
        let timings = amj_bench::bench_reports::run_reports_bench(
            db.store().await,
            "bench-reports-site",
            2,
            Some(strict),
        )
        .await
        .unwrap();
        let quality = timings.iter().find(|t| t.what == "quality").unwrap();
        assert!(
            quality
                .sample
                .contains(&format!("{breaking} breaking a pattern")),
            "{}",
            quality.sample
        );
        assert_eq!(timings.iter().filter(|t| !t.per_view).count(), 2);
        let after = store
            .schema_model(tenant, report.schema_id)
            .await
            .unwrap()
            .unwrap();
        let kind = &after.attribute(serial).unwrap().kind;
        assert_eq!(
            kind,
            &amj_domain::AttributeKind::Text {
                regex: Some(amj_bench::seed::SERIAL_PATTERN.to_owned())
            }
        );
        store.close().await;
    })
    .await;
}

/// `amj bench custody`: it tops the open check-outs up to `--open` (a quarter overdue), its
/// timed check-outs all come back in, and it answers real lists; the demo's seed lends too.
#[tokio::test]
async fn bench_custody_tops_up_check_outs_and_leaves_the_timed_ones_in() {
    each_backend(|db| async move {
        let store = db.store().await;
        let tenant = ensure_bench_tenant(&store, "bench-custody-site", "amj")
            .await
            .unwrap();
        let mut plan = SeedPlan::large(300);
        plan.checkouts_every = 10;
        seed_site(&store, tenant, &plan).await.unwrap();
        let seeded = store.open_checkouts(tenant).await.unwrap();
        assert!(seeded > 0, "the seed lends every tenth laptop or monitor");
        let timings = amj_bench::bench_custody::run_custody_bench(
            db.store().await,
            "bench-custody-site",
            3,
            u64::try_from(seeded).unwrap() + 20,
        )
        .await
        .unwrap();
        let whats: Vec<&str> = timings.iter().map(|t| t.what).collect();
        assert_eq!(
            whats,
            ["check-out", "check-in", "my assets", "overdue (first page)"]
        );
        assert_eq!(
            store.open_checkouts(tenant).await.unwrap(),
            seeded + 20,
            "topped up to --open; every timed check-out came back"
        );
        let overdue = &timings[3].sample;
        assert!(!overdue.starts_with("0 rows"), "{overdue}");
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn bench_licences_gives_terms_and_seats_and_frees_the_timed_ones() {
    each_backend(|db| async move {
        let store = db.store().await;
        let tenant = ensure_bench_tenant(&store, "bench-licence-site", "amj")
            .await
            .unwrap();
        seed_site(&store, tenant, &SeedPlan::large(300))
            .await
            .unwrap();
        let run = || async {
            amj_bench::bench_licences::run_licence_bench(
                db.store().await,
                "bench-licence-site",
                3,
                40,
                12,
            )
            .await
            .unwrap()
        };
        let timings = run().await;
        let whats: Vec<&str> = timings.iter().map(|t| t.what).collect();
        assert_eq!(
            whats,
            [
                "licence compliance view",
                "compliance per product",
                "assign a seat",
                "free a seat"
            ]
        );
        assert!(
            timings[0].sample.starts_with("40 of "),
            "topped up to --seats; every timed seat was freed: {}",
            timings[0].sample
        );
        let schema = store.list_schemas(tenant).await.unwrap()[0].id;
        let model = store.schema_model(tenant, schema).await.unwrap().unwrap();
        let products = store.compliance_by_product(tenant, &model).await.unwrap();
        let licences: i64 = products.iter().map(|p| p.licences).sum();
        // Twelve seeded licences with terms, and the bench's own (if the seed had twelve).
        assert!(
            (2..=13).contains(&licences),
            "{licences} licences: {products:?}"
        );
        // A second run finds its licence and the terms again: nothing more is made.
        let again = run().await;
        assert!(again[0].sample.starts_with("40 of "), "{}", again[0].sample);
        let products = store.compliance_by_product(tenant, &model).await.unwrap();
        assert_eq!(products.iter().map(|p| p.licences).sum::<i64>(), licences);
        store.close().await;
    })
    .await;
}
