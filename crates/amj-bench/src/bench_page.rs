//! `amj bench page`: the server's time for the Assets list's first view, the way the front end
//! opens it: the site's schemas, the schema's types (the catalog) and the first query with its
//! total, each as its API handler runs it, without the network. docs/PERFORMANCE.md records
//! the results.

use amj_connect::TokenKind;
use amj_connect::install_keys::{HttpInstallKeyStore, KeyServers};
use amj_server::auth::Authenticated;
use amj_server::config::AppConfig;
use amj_server::web::AppState;
use amj_store::Store;
use anyhow::Context;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The pages timed: what the page shows first, and two searches people type.
pub const PAGE_QUERIES: &[(&str, &str)] = &[
    ("the list as opened (no query)", ""),
    ("a type", "objectType = Laptop"),
    ("a rare serial", "\"Serial number\" = \"DL-00000000\""),
];

pub struct PageTiming {
    pub what: &'static str,
    pub aql: &'static str,
    pub median: Duration,
    pub p95: Duration,
    pub bytes: usize,
}

pub async fn run_page_bench(
    store: Store,
    client_key: &str,
    samples: usize,
) -> anyhow::Result<Vec<PageTiming>> {
    let tenant = store
        .tenant_by_client_key(client_key)
        .await?
        .with_context(|| format!("no site {client_key:?}: seed it with `amj bench seed` first"))?;
    let base_url = url::Url::parse("http://127.0.0.1:8080")?;
    let keys = HttpInstallKeyStore::new(KeyServers::Fixed("http://127.0.0.1:9/keys".into()))?;
    let state = AppState::new(AppConfig::local(base_url), store, Arc::new(keys))?;
    let auth = Authenticated {
        tenant: Arc::new(tenant),
        account_id: None,
        token_kind: TokenKind::UrlBound,
    };
    let mut out = Vec::new();
    for (what, aql) in PAGE_QUERIES {
        // One untimed view warms the catalog cache, as any running server has it warm.
        let bytes = first_view(&state, &auth, aql)
            .await
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples.max(1) {
            let started = Instant::now();
            first_view(&state, &auth, aql)
                .await
                .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
            times.push(started.elapsed());
        }
        times.sort();
        out.push(PageTiming {
            what,
            aql,
            median: times[times.len() / 2],
            p95: times[(times.len() * 95 / 100).min(times.len() - 1)],
            bytes,
        });
    }
    state.store.close().await;
    Ok(out)
}

/// The three answers the list's first view waits for (`GET /api/v1/schemas`, `GET
/// /api/v1/schemas/{key}/types`, `POST /api/v1/assets/query`), with their JSON bodies; answers
/// their total size.
async fn first_view(state: &AppState, auth: &Authenticated, aql: &str) -> anyhow::Result<usize> {
    let tenant = &auth.tenant;
    let schemas = state.store.list_schemas(tenant.id).await?;
    let schema = schemas.first().context("the site has no schema")?;
    let model = state
        .store
        .schema_model(tenant.id, schema.id)
        .await?
        .context("the schema has no model")?;
    let request = amj_server::query::QueryRequest {
        aql: aql.to_owned(),
        schema: Some(schema.key.as_str().to_owned()),
        limit: 50,
        cursor: None,
        include_archived: false,
    };
    let result = amj_server::query::run(
        &state.store,
        &state.jira,
        tenant,
        auth.account_id.clone(),
        &request,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let page = amj_server::web::query_page_body(&result);
    Ok(serde_json::to_vec(&schemas)?.len()
        + serde_json::to_vec(&model.types.types().collect::<Vec<_>>())?.len()
        + serde_json::to_vec(&page)?.len())
}

pub fn markdown(timings: &[PageTiming]) -> String {
    let mut text = String::from("| page | AQL | median | p95 | JSON |\n|---|---|---|---|---|\n");
    for t in timings {
        text.push_str(&format!(
            "| {} | {} | {:.1} ms | {:.1} ms | {} KB |\n",
            t.what,
            if t.aql.is_empty() {
                "(none)".to_owned()
            } else {
                format!("`{}`", t.aql)
            },
            t.median.as_secs_f64() * 1000.0,
            t.p95.as_secs_f64() * 1000.0,
            t.bytes / 1024
        ));
    }
    text
}
