//! `amj bench page`: the server's time for the Assets list page, the way a user opens it: the
//! site's schemas, the first query with its total, the catalog, and the template, without the
//! network. docs/PERFORMANCE.md records the results.

use amj_connect::TokenKind;
use amj_connect::install_keys::{HttpInstallKeyStore, KeyServers};
use amj_server::auth::Authenticated;
use amj_server::config::AppConfig;
use amj_server::web::AppState;
use amj_server::web::pages::{AssetsQuery, assets_page_html};
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
        // One untimed render warms the catalog cache, as any running server has it warm.
        let html = assets_page_html(&state, &auth, AssetsQuery::with_aql(aql))
            .await
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples.max(1) {
            let started = Instant::now();
            assets_page_html(&state, &auth, AssetsQuery::with_aql(aql))
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
            bytes: html.len(),
        });
    }
    state.store.close().await;
    Ok(out)
}

pub fn markdown(timings: &[PageTiming]) -> String {
    let mut text = String::from("| page | AQL | median | p95 | HTML |\n|---|---|---|---|---|\n");
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
