//! The `amj` command line: `serve`, `demo`, `jira-sim`, `secret-key generate` and `bench`.

use crate::bench::{AssetBenchOptions, run_asset_bench};
use crate::config::{ATLASSIAN_ALL_JS, AppConfig};
use crate::crypto::MasterKey;
use crate::seed::{Existing, SeedPlan, ensure_bench_tenant, seed_site};
use crate::store::links::IssueRef;
use crate::store::{DatabaseLocation, Store};
use crate::web::{AppState, build_app, serve};
use amj_connect::install_keys::{ATLASSIAN_KEY_SERVER, HttpInstallKeyStore, KeyServers};
use amj_connect::lifecycle::HostAllowList;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "amj",
    version,
    about = "Asset Management for Jira: the app server and its tools"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the app server.
    Serve(ServeArgs),
    /// Try the app without Jira: the app on SQLite under ./data, inside a simulated Jira.
    Demo(DemoArgs),
    /// Run the Jira simulator alone, installing an app from its descriptor URL.
    JiraSim(JiraSimArgs),
    /// Manage the master key that encrypts shared secrets at rest.
    #[command(subcommand)]
    SecretKey(SecretKeyCommand),
    /// Fill a site with generated assets and measure the asset store (docs/PERFORMANCE.md).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Add generated IT assets to a site (created as a synthetic install when absent).
    Seed(BenchSeedArgs),
    /// Top a site up to --assets assets, then time gets, updates, list pages and bulk inserts.
    Assets(BenchAssetsArgs),
}

/// The app key bench sites are installed under, as `serve` uses by default.
const BENCH_APP_KEY: &str = "asset-management-for-jira";

#[derive(Debug, Clone, Args)]
pub struct BenchSeedArgs {
    /// sqlite://<file> or postgres://… (no default: seeding writes a lot into it).
    #[arg(long)]
    pub database_url: String,
    /// The site's clientKey. A site that is not installed gets a synthetic install that can never
    /// authenticate a request.
    #[arg(long, value_parser = parse_client_key)]
    pub tenant: String,
    /// How many assets to add.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub assets: u64,
    /// Link every n-th new asset to a (made-up) Jira issue; 0 for none.
    #[arg(long, default_value_t = 1000)]
    pub link_every: u64,
    /// Assets per transaction.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub batch: u64,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The master key file, as for `serve` (required with PostgreSQL).
    #[arg(long, env = "AMJ_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchAssetsArgs {
    /// sqlite://<file> or postgres://… Use a database of its own: the bench adds data.
    #[arg(long)]
    pub database_url: String,
    /// The clientKey of the benchmark site (a synthetic install when absent).
    #[arg(long, default_value = "amj-bench-site", value_parser = parse_client_key)]
    pub tenant: String,
    /// The site is topped up to this many assets first (reused when it has them).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub assets: u64,
    /// Timed calls per operation.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub samples: u64,
    /// 1,000-asset batches inserted to measure the insert rate (they stay in the site).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=1000))]
    pub insert_batches: u64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The master key file, as for `serve` (required with PostgreSQL).
    #[arg(long, env = "AMJ_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
}

/// A clientKey as installs carry it: 1 to 255 characters, no control characters.
fn parse_client_key(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.len() > 255 || trimmed.chars().any(char::is_control) {
        return Err("a clientKey is 1 to 255 characters without control characters".into());
    }
    Ok(trimmed.to_owned())
}

#[derive(Debug, Subcommand)]
pub enum SecretKeyCommand {
    /// Print a new random master key (base64). Store it in a file and pass --secret-key-file.
    Generate,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The app's public base URL: the descriptor's baseUrl and the audience of install tokens.
    /// Defaults to http://<bind>.
    #[arg(long, env = "AMJ_BASE_URL")]
    pub base_url: Option<String>,
    /// The address to listen on.
    #[arg(long, env = "AMJ_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// sqlite://<file> (created on first run) or postgres://…
    #[arg(
        long,
        env = "AMJ_DATABASE_URL",
        default_value = "sqlite://./data/amj.db"
    )]
    pub database_url: String,
    /// Base URL of the install-key server that signs installed/uninstalled callbacks. The default
    /// follows Atlassian's routing by site domain, with fallback.
    #[arg(long, env = "AMJ_INSTALL_KEYS_URL", default_value = ATLASSIAN_KEY_SERVER)]
    pub install_keys_url: String,
    /// The app key in the descriptor; also the issuer of our calls to Jira.
    #[arg(long, env = "AMJ_APP_KEY", default_value = "asset-management-for-jira")]
    pub app_key: String,
    /// File holding the base64 master key that encrypts shared secrets at rest. Required with
    /// PostgreSQL; with SQLite one is created next to the database file when omitted.
    #[arg(long, env = "AMJ_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Comma-separated host globs that may install the app. Others are refused before any key is
    /// fetched.
    #[arg(long, env = "AMJ_ALLOWED_HOSTS", default_value = HostAllowList::ATLASSIAN_CLOUD)]
    pub allowed_hosts: String,
    /// Clock-skew leeway for token times, in seconds.
    #[arg(long, env = "AMJ_JWT_LEEWAY_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=300))]
    pub jwt_leeway_secs: u32,
    /// Accept the pre-2021 install scheme (unsigned first install, HS256 reinstall). Unsafe;
    /// only for hosts that do not sign installs.
    #[arg(long, env = "AMJ_LEGACY_INSTALLS")]
    pub legacy_installs: bool,
    /// Where pages load the host bridge (AP) from.
    #[arg(long, env = "AMJ_AP_JS_URL", default_value = ATLASSIAN_ALL_JS)]
    pub ap_js_url: String,
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("s").is_err());
    }
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Folder for the demo database and its master key.
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
    /// The address the app listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The address the simulated Jira listens on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub sim_bind: SocketAddr,
    /// Keep rotating every site's secret at this interval (e.g. 30s, 5m), to show nothing breaks.
    #[arg(long, value_parser = parse_duration)]
    pub rotate_every: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Args)]
pub struct JiraSimArgs {
    /// The address the simulator listens on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub bind: SocketAddr,
    /// The app's descriptor. Start the app with --install-keys-url http://<bind>/keys and
    /// --ap-js-url http://<bind>/atlassian-connect/all.js so it trusts this simulator.
    #[arg(long)]
    pub app_descriptor_url: String,
    /// Comma-separated names of the sites to create and install.
    #[arg(long, default_value = "acme,globex")]
    pub sites: String,
}

/// `30s`, `5m`, `1h`, `250ms`: a positive duration for flags.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 5m or 1h"))?;
    let duration = match unit {
        "ms" => std::time::Duration::from_millis(n),
        "s" | "" => std::time::Duration::from_secs(n),
        "m" => std::time::Duration::from_secs(n * 60),
        "h" => std::time::Duration::from_secs(n * 3600),
        _ => return Err(format!("{text:?}: the unit must be ms, s, m or h")),
    };
    if duration.is_zero() {
        return Err("the duration must be greater than zero".into());
    }
    Ok(duration)
}

/// Everything `serve` needs, resolved and checked.
pub struct Prepared {
    pub state: AppState,
    pub bind: SocketAddr,
}

pub async fn prepare(args: &ServeArgs) -> anyhow::Result<Prepared> {
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let base_url = url::Url::parse(&base_url)
        .with_context(|| format!("--base-url {base_url:?} is not an absolute URL"))?;
    if !matches!(base_url.scheme(), "http" | "https") || base_url.query().is_some() {
        bail!("--base-url must be an http(s) URL without a query");
    }
    let allowed_hosts = HostAllowList::parse(&args.allowed_hosts)
        .map_err(|e| anyhow::anyhow!("--allowed-hosts: {e}"))?;
    let location = DatabaseLocation::parse(&args.database_url)
        .map_err(|e| anyhow::anyhow!("--database-url: {e}"))?;
    let master_key = master_key_for(args.secret_key_file.as_deref(), &location)?;
    let store = Store::connect(&location, Arc::new(master_key))
        .await
        .context("cannot open the database")?;
    let keys = HttpInstallKeyStore::new(KeyServers::from_config(&args.install_keys_url))?;
    let mut config = AppConfig::local(base_url);
    config.app_key = args.app_key.clone();
    config.allowed_hosts = allowed_hosts;
    config.jwt_leeway_secs = i64::from(args.jwt_leeway_secs);
    config.legacy_installs = args.legacy_installs;
    config.ap_js_url = args.ap_js_url.clone();
    if config.legacy_installs {
        tracing::warn!(
            "legacy installs are accepted: an unsigned first install can claim any new site"
        );
    }
    let state = AppState::new(config, store, Arc::new(keys))?;
    state.tenants.spawn_invalidation_listener();
    Ok(Prepared {
        state,
        bind: args.bind,
    })
}

/// The master key: from `--secret-key-file`, else (SQLite only) the one next to the database,
/// created on first use. PostgreSQL has no default: every instance must share one key.
fn master_key_for(
    secret_key_file: Option<&Path>,
    location: &DatabaseLocation,
) -> anyhow::Result<MasterKey> {
    Ok(match (secret_key_file, location) {
        (Some(path), _) => MasterKey::load(path)?,
        (None, DatabaseLocation::Sqlite(db_path)) => {
            let key_path = db_path
                .parent()
                .map(|p| p.join("master.key"))
                .unwrap_or_else(|| PathBuf::from("master.key"));
            let (key, created) = MasterKey::load_or_create(&key_path)?;
            if created {
                tracing::warn!(path = %key_path.display(), "created a new master key for shared secrets; back it up with the database");
            } else {
                tracing::info!(path = %key_path.display(), "using the master key next to the database");
            }
            key
        }
        (None, DatabaseLocation::Postgres(_)) => bail!(
            "PostgreSQL needs --secret-key-file (or AMJ_SECRET_KEY_FILE): every instance must share one master key. \
             Create one with `amj secret-key generate`."
        ),
    })
}

pub async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let prepared = prepare(&args).await?;
    let listener = tokio::net::TcpListener::bind(prepared.bind)
        .await
        .with_context(|| format!("cannot listen on {}", prepared.bind))?;
    tracing::info!(bind = %prepared.bind, base_url = prepared.state.config.base_url_str(), "serving");
    let store = prepared.state.store.clone();
    serve(listener, build_app(prepared.state), shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

pub async fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    let sim = amj_jira_sim::Sim::start_on(args.sim_bind).await?;
    let serve_args = ServeArgs {
        base_url: None,
        bind: args.bind,
        database_url: format!("sqlite://{}", args.data_dir.join("amj.db").display()),
        install_keys_url: sim.key_server_url(),
        app_key: "asset-management-for-jira".to_owned(),
        secret_key_file: None,
        allowed_hosts: HostAllowList::LOOPBACK.to_owned(),
        jwt_leeway_secs: 30,
        legacy_installs: false,
        ap_js_url: sim.ap_js_url(),
    };
    let prepared = prepare(&serve_args).await?;
    let listener = tokio::net::TcpListener::bind(prepared.bind)
        .await
        .with_context(|| format!("cannot listen on {}", prepared.bind))?;
    let base = prepared.state.config.base_url_str().to_owned();
    let store = prepared.state.store.clone();
    let server = tokio::spawn(serve(
        listener,
        build_app(prepared.state),
        shutdown_signal(),
    ));
    let app = sim
        .register_app(&format!("{base}/atlassian-connect.json"))
        .await
        .context("the simulated Jira refused the app")?;
    for site in ["acme", "globex"] {
        sim.add_site(site);
        let status = sim.install(site, &app).await?;
        if status != 204 {
            bail!("installing the app on the simulated site {site} failed with HTTP {status}");
        }
        // An empty site shows nothing of the app, so each gets a small fleet of assets. A failure
        // here leaves the site empty but the demo running.
        match seed_demo_site(&sim, &store, site).await {
            Ok(summary) => tracing::info!(site, "{summary}"),
            Err(e) => {
                tracing::warn!(site, error = %format!("{e:#}"), "could not fill the demo site with assets")
            }
        }
    }
    println!("Asset Management for Jira is running inside a simulated Jira.");
    println!();
    println!("  Open {}/sites/acme", sim.base_url());
    println!();
    println!("  app:  {base} (descriptor at /atlassian-connect.json)");
    println!(
        "  data: {} (SQLite, with its master key)",
        args.data_dir.display()
    );
    println!("  sites: acme and globex, installed with signed installs and their own secrets.");
    println!(
        "  assets: each site has a schema \"IT\" with laptops, servers, monitors, licences and locations."
    );
    if let Some(every) = args.rotate_every {
        println!("  rotating every site's secret every {every:?}, as Atlassian's rollouts do.");
        let (sim, app) = (sim.clone(), app.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                for site in sim.installed_sites() {
                    match sim.rotate(&site, &app, false).await {
                        Ok(status) => {
                            tracing::info!(site, status, "simulated Jira rotated the site's secret")
                        }
                        Err(e) => tracing::warn!(site, error = %e, "secret rotation failed"),
                    }
                }
            }
        });
    }
    println!("Press Ctrl-C to stop.");
    server.await??;
    store.close().await;
    Ok(())
}

/// Fills a simulated site with the demo plan, with the site's own people as owners and its own
/// issues as links, so the glance and the asset pages show names and issues that exist.
async fn seed_demo_site(
    sim: &amj_jira_sim::Sim,
    store: &Store,
    site: &str,
) -> anyhow::Result<String> {
    let client_key = sim.site(site)?.client_key;
    let tenant = store
        .tenant_by_client_key(&client_key)
        .await?
        .with_context(|| format!("the site {site} is not in the database after its install"))?;
    let mut plan = SeedPlan::demo();
    plan.users = sim
        .site_users(site)?
        .into_iter()
        .map(|u| u.account_id)
        .collect();
    plan.issues = sim
        .with_data(site, |d| {
            d.issues
                .iter()
                .filter_map(|i| {
                    Some(IssueRef {
                        id: i.id.parse().ok()?,
                        key: i.key.clone(),
                        summary: i.summary.clone(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(seed_site(store, tenant.id, &plan).await?.summary())
}

/// Opens the store for `amj bench`, with the same master-key rules as `serve`.
async fn bench_store(database_url: &str, secret_key_file: Option<&Path>) -> anyhow::Result<Store> {
    let location = DatabaseLocation::parse(database_url)
        .map_err(|e| anyhow::anyhow!("--database-url: {e}"))?;
    let master_key = master_key_for(secret_key_file, &location)?;
    Store::connect(&location, Arc::new(master_key))
        .await
        .context("cannot open the database")
}

pub async fn run_bench(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Seed(args) => {
            let store = bench_store(&args.database_url, args.secret_key_file.as_deref()).await?;
            let tenant = ensure_bench_tenant(&store, &args.tenant, BENCH_APP_KEY).await?;
            let plan = SeedPlan {
                assets: args.assets,
                link_every: args.link_every,
                batch: usize::try_from(args.batch).unwrap_or(1000),
                seed: args.seed,
                existing: Existing::Add,
                ..SeedPlan::large(args.assets)
            };
            let report = seed_site(&store, tenant, &plan).await;
            store.close().await;
            println!("{}", report?.summary());
            Ok(())
        }
        BenchCommand::Assets(args) => {
            let store = bench_store(&args.database_url, args.secret_key_file.as_deref()).await?;
            let tenant = ensure_bench_tenant(&store, &args.tenant, BENCH_APP_KEY).await?;
            let options = AssetBenchOptions {
                assets: args.assets,
                samples: usize::try_from(args.samples).unwrap_or(200),
                insert_batches: args.insert_batches,
                seed: args.seed,
            };
            let report = run_asset_bench(&store, tenant, &options).await;
            store.close().await;
            let report = report?;
            if let Some(seed) = &report.seed {
                println!("{}\n", seed.summary());
            }
            print!("{}", report.markdown());
            Ok(())
        }
    }
}

pub async fn run_jira_sim(args: JiraSimArgs) -> anyhow::Result<()> {
    let sim = amj_jira_sim::Sim::start_on(args.bind).await?;
    println!("Simulated Jira Cloud at {}", sim.base_url());
    println!(
        "  install keys: {}  (the app's --install-keys-url)",
        sim.key_server_url()
    );
    println!(
        "  AP bridge:    {}  (the app's --ap-js-url)",
        sim.ap_js_url()
    );
    let app = sim
        .register_app(&args.app_descriptor_url)
        .await
        .context("the app's descriptor was refused")?;
    for site in args
        .sites
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        sim.add_site(site);
        let status = sim.install(site, &app).await?;
        if status == 204 || status == 200 {
            println!("  installed on {}/sites/{site}", sim.base_url());
        } else {
            bail!(
                "installing on {site} failed with HTTP {status}: is the app started with this simulator's --install-keys-url?"
            );
        }
    }
    println!("Press Ctrl-C to stop.");
    shutdown_signal().await;
    Ok(())
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
}
