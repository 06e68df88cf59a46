//! `amj bench fit`: full Forge invocation-token authentication against the physical limit, one
//! bare RSA-2048 signature verification, measured in the same run on the same tokens.
//!
//! Full authentication is what every Forge call pays: parse the JWT, find the key by `kid`,
//! verify RS256, check the claims, and find the installation's tenant (a cache hit once warm).
//! The target (issue 12) is within 1.3× of the bare verification, flat from 10 to 100k
//! installations. Rounds alternate the two measurements, so machine noise hits both alike;
//! the report quotes medians over rounds and their ratio.

use amj_connect::RouteKind;
use amj_connect::forge::jwks::parse_jwks;
use amj_connect::forge::{AppAri, FitConfig, FitKey, FitKeys};
use amj_jira_sim::forge::{ForgeSigner, Invocation};
use amj_jira_sim::forge_host::SIM_FORGE_APP;
use amj_server::auth::forge::{ForgeAuthenticator, held_tokens};
use amj_server::auth::{AuthCounters, TenantDirectory};
use amj_store::Store;
use amj_store::forge::ForgeSighting;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct FitBenchOptions {
    /// Installation counts to measure at, ascending.
    pub installations: Vec<u64>,
    /// Alternating rounds per count.
    pub rounds: usize,
    /// Tokens per round (each verified once by each method).
    pub tokens: usize,
    pub seed: u64,
}

#[derive(Debug, Clone)]
pub struct FitBenchRow {
    pub installations: u64,
    /// Median over rounds of the mean time per token, in microseconds.
    pub bare_us: f64,
    /// `verify_fit` alone: parse, key look-up, RS256 and the claims, without the installation.
    pub verify_us: f64,
    pub full_us: f64,
    /// Median over rounds of full / bare.
    pub ratio: f64,
}

/// The keys of the bench's own signer, held in memory: a JWKS fetch is not what is measured
/// (a warm `HttpJwks` answers from memory too).
struct StaticKeys(HashMap<String, FitKey>);

#[async_trait::async_trait]
impl FitKeys for StaticKeys {
    async fn key(&self, kid: &str) -> Result<FitKey, amj_connect::AuthError> {
        self.0.get(kid).cloned().ok_or_else(|| {
            amj_connect::AuthError::new(amj_connect::AuthReason::UnknownKey, "unknown kid")
        })
    }
}

const CLOUD_ID: &str = "0b5e7c1a-bench-4c3a-9f10-a11ce5a55e75";
const API_BASE_URL: &str =
    "https://api.atlassian.com/ex/jira/0b5e7c1a-bench-4c3a-9f10-a11ce5a55e75";

fn installation_id(n: u64) -> String {
    format!("ari:cloud:ecosystem::installation/bench-{n}")
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Adds installations `from..to` of the bench site, in one statement.
async fn add_installations(
    store: &Store,
    tenant_id: i64,
    from: u64,
    to: u64,
) -> anyhow::Result<()> {
    if from >= to {
        return Ok(());
    }
    // Seen "in the future": warming the cache must not turn into a write per installation
    // (a sighting older than a minute is rewritten), and this database is the bench's own.
    let seen = amj_store::now_millis() + 86_400_000;
    let sql = "WITH RECURSIVE seq(n) AS (SELECT $1 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < $2) \
         INSERT INTO forge_installation (installation_id, tenant_id, cloud_id, api_base_url, \
         environment, first_seen_at, last_seen_at) \
         SELECT 'ari:cloud:ecosystem::installation/bench-' || n, $3, $4, $5, 'PRODUCTION', $6, $6 FROM seq";
    let from = i64::try_from(from)?;
    let to = i64::try_from(to)?;
    match store.db() {
        amj_store::Db::Sqlite(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(from)
                .bind(to)
                .bind(tenant_id)
                .bind(CLOUD_ID)
                .bind(API_BASE_URL)
                .bind(seen)
                .execute(pool)
                .await?;
        }
        amj_store::Db::Postgres(pool) => {
            let sql = sql.replace("SELECT $1 UNION", "SELECT $1::bigint UNION");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(from)
                .bind(to)
                .bind(tenant_id)
                .bind(CLOUD_ID)
                .bind(API_BASE_URL)
                .bind(seen)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        f64::midpoint(values[n / 2 - 1], values[n / 2])
    }
}

/// One bare RS256 verification of a token with an already parsed key, as `openssl speed
/// rsa2048` measures it: the physical limit.
fn bare_verify(token: &str, public: &ParsedPublicKey) -> bool {
    let Some((message, signature)) = token.rsplit_once('.') else {
        return false;
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    public.verify_sig(message.as_bytes(), &signature).is_ok()
}

pub async fn run_fit_bench(
    store: Store,
    options: &FitBenchOptions,
) -> anyhow::Result<Vec<FitBenchRow>> {
    let signer = ForgeSigner::new("bench").map_err(|e| anyhow::anyhow!("{e}"))?;
    let jwks = signer
        .jwks()
        .ok_or_else(|| anyhow::anyhow!("the bench signer publishes no keys"))?;
    let jwks_body = serde_json::to_vec(&jwks)?;
    let keys = parse_jwks(&jwks_body).map_err(|e| anyhow::anyhow!("{e}"))?;
    let jwk = jwks
        .keys
        .first()
        .ok_or_else(|| anyhow::anyhow!("the bench signer publishes no keys"))?;
    let public = RsaPublicKeyComponents {
        n: URL_SAFE_NO_PAD.decode(&jwk.n)?,
        e: URL_SAFE_NO_PAD.decode(&jwk.e)?,
    }
    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
    .map_err(|e| anyhow::anyhow!("the bench key does not parse: {e}"))?;
    let directory = Arc::new(TenantDirectory::new(
        store.clone(),
        Duration::from_secs(3600),
    ));
    let app = AppAri::parse(SIM_FORGE_APP).map_err(|e| anyhow::anyhow!(e))?;
    let keys = Arc::new(StaticKeys(keys));
    let fit_config = FitConfig::new(app.clone());
    let auth = ForgeAuthenticator::new(
        FitConfig::new(app.clone()),
        Arc::clone(&keys) as Arc<dyn FitKeys>,
        None,
        Arc::clone(&directory),
        Arc::new(AuthCounters::default()),
        "amj-bench".to_owned(),
        held_tokens(),
    );
    // The site, provisioned the way a first FIT does it.
    let first = installation_id(0);
    let site = store
        .resolve_forge_installation(&ForgeSighting {
            installation_id: &first,
            cloud_id: CLOUD_ID,
            api_base_url: API_BASE_URL,
            site_url: None,
            environment: Some("PRODUCTION"),
            app_key: "amj-bench",
        })
        .await?;
    let tenant_id = site.tenant.id.0;
    let mut rng = crate::rng::Rng::new(options.seed);
    let mut rows = Vec::new();
    let mut held = 1_u64;
    for &count in &options.installations {
        add_installations(&store, tenant_id, held, count).await?;
        // Warm the cache with every installation, as a running instance has it.
        for n in held..count {
            let id = installation_id(n);
            directory
                .forge_tenant(&ForgeSighting {
                    installation_id: &id,
                    cloud_id: CLOUD_ID,
                    api_base_url: API_BASE_URL,
                    site_url: None,
                    environment: Some("PRODUCTION"),
                    app_key: "amj-bench",
                })
                .await?;
        }
        held = held.max(count);
        let mut bare = Vec::with_capacity(options.rounds);
        let mut full = Vec::with_capacity(options.rounds);
        let mut verify = Vec::with_capacity(options.rounds);
        let mut ratios = Vec::with_capacity(options.rounds);
        for _ in 0..options.rounds {
            // Minted per round: FITs live 25 seconds.
            let now = unix_now();
            let mut tokens = Vec::with_capacity(options.tokens);
            for _ in 0..options.tokens {
                let n = rng.below(count);
                let invocation = Invocation {
                    app_ari: app.as_str().to_owned(),
                    installation_id: installation_id(n),
                    api_base_url: API_BASE_URL.to_owned(),
                    module_type: "core:endpoint".to_owned(),
                    module_key: "amj-ui".to_owned(),
                    principal: None,
                    context: None,
                };
                tokens.push(
                    signer
                        .mint(&invocation, now)
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
            }
            let started = Instant::now();
            let mut verified = 0_usize;
            for token in &tokens {
                verified += usize::from(bare_verify(std::hint::black_box(token), &public));
            }
            let bare_us = started.elapsed().as_secs_f64() * 1e6 / tokens.len() as f64;
            anyhow::ensure!(verified == tokens.len(), "a bench token did not verify");
            let started = Instant::now();
            for token in &tokens {
                let fit = amj_connect::forge::verify_fit(
                    std::hint::black_box(token),
                    keys.as_ref(),
                    &fit_config,
                )
                .await
                .map_err(|e| anyhow::anyhow!("a bench token was refused: {e}"))?;
                std::hint::black_box(fit);
            }
            verify.push(started.elapsed().as_secs_f64() * 1e6 / tokens.len() as f64);
            let started = Instant::now();
            for token in &tokens {
                let invocation = auth
                    .authenticate(RouteKind::ForgeApi, std::hint::black_box(token))
                    .await
                    .map_err(|e| anyhow::anyhow!("a bench token was refused: {e}"))?;
                std::hint::black_box(invocation);
            }
            let full_us = started.elapsed().as_secs_f64() * 1e6 / tokens.len() as f64;
            bare.push(bare_us);
            full.push(full_us);
            ratios.push(full_us / bare_us);
        }
        rows.push(FitBenchRow {
            installations: count,
            bare_us: median(&mut bare),
            verify_us: median(&mut verify),
            full_us: median(&mut full),
            ratio: median(&mut ratios),
        });
    }
    Ok(rows)
}

pub fn markdown(rows: &[FitBenchRow], options: &FitBenchOptions) -> String {
    let mut out = format!(
        "FIT authentication, {} rounds of {} tokens per row (medians over rounds)\n\n\
         | installations | bare RSA-2048 verify (µs) | verify_fit (µs) | full FIT auth (µs) | ratio full / bare |\n|---:|---:|---:|---:|---:|\n",
        options.rounds, options.tokens
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.2}× |\n",
            row.installations, row.bare_us, row.verify_us, row.full_us, row.ratio
        ));
    }
    out
}
