//! The `amj` command line: `serve`, `demo`, `jira-sim`, `secret-key generate` and `bench`.

use amj_bench::bench::{AssetBenchOptions, run_asset_bench};
use amj_bench::seed::{Existing, SeedPlan, ensure_bench_tenant, seed_site};
use amj_connect::install_keys::{ATLASSIAN_KEY_SERVER, HttpInstallKeyStore, KeyServers};
use amj_connect::lifecycle::HostAllowList;
use amj_server::config::{ATLASSIAN_ALL_JS, AppConfig};
use amj_server::web::{AppState, RunningApp};
use amj_store::crypto::MasterKey;
use amj_store::links::IssueRef;
use amj_store::{DatabaseLocation, Store};
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
    Serve(Box<ServeArgs>),
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
    /// Search a site's assets with AQL, as `POST /api/v1/assets/query` does.
    Query(QueryArgs),
    /// Post incidents and postmortems to the status page (/status).
    Incident(crate::incident_cli::IncidentArgs),
    /// Run the synthetic probe: install, page, API call, rotation, again, uninstall.
    Probe(ProbeArgs),
    /// Manage sites directly in the database.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Deploy on Forge: generate the manifest for this server as the app's Forge Remote.
    #[command(subcommand)]
    Forge(crate::forge_cli::ForgeCommand),
}

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// The app's base URL, e.g. https://staging.example.com.
    #[arg(long)]
    pub app_url: String,
    /// Staging: where the probe's simulated Jira (and its install-key server) listens. Start the
    /// app with --install-keys-url http://<this>/keys and allow this host in --allowed-hosts.
    #[arg(long, default_value = "127.0.0.1:8091")]
    pub sim_bind: SocketAddr,
    /// Production: the clientKey `amj tenant add-probe` printed. Then no install is attempted.
    #[arg(long, requires = "probe_secret_file")]
    pub probe_tenant: Option<String>,
    /// Production: the file `amj tenant add-probe` wrote the probe site's secret to.
    #[arg(long, requires = "probe_tenant")]
    pub probe_secret_file: Option<PathBuf>,
    /// Repeat the probe at this interval (e.g. 60s); without it the probe runs once.
    #[arg(long, value_parser = parse_duration)]
    pub every: Option<std::time::Duration>,
    /// With --every: stop after this long (e.g. 24h), print a summary, and fail if any run failed.
    #[arg(long = "for", value_parser = parse_duration, requires = "every")]
    pub for_: Option<std::time::Duration>,
    /// Staging: run the Forge flow too. Start the app with --forge-app-id
    /// ari:cloud:ecosystem::app/5e1f0a7c-4d2b-4c3a-9f10-a11ce5a55e75 and --forge-jwks-url
    /// http://<sim-bind>/forge/jwks.json, and allow the sim's host in --allowed-hosts.
    #[arg(long, conflicts_with = "probe_tenant")]
    pub forge: bool,
    /// The app's database: two failed runs in a row open a "synthetic checks failing" incident on
    /// its status page, and the next passing run resolves it.
    #[arg(long)]
    pub status_database_url: Option<String>,
    /// The master key file for --status-database-url, as for `serve`.
    #[arg(long, requires = "status_database_url")]
    pub status_secret_key_file: Option<PathBuf>,
}

/// Failed runs in a row before the probe opens a status page incident: one failure can be the
/// network between the probe and the app.
const PROBE_FAILURES_BEFORE_INCIDENT: u32 = 2;

/// Opens or resolves the probe's incident after a run.
async fn report_probe(
    store: &Store,
    consecutive_failures: u32,
    report: &crate::probe::ProbeRun,
) -> anyhow::Result<()> {
    use amj_ops::status::{Component, Impact, IncidentStatus};
    let now = amj_store::now_millis();
    let open = store
        .open_alert_incident(amj_server::ops::watch::PROBE_INCIDENT_RULE)
        .await?;
    match (open, report.ok()) {
        (None, false) if consecutive_failures >= PROBE_FAILURES_BEFORE_INCIDENT => {
            let step = report.first_failure().map_or("a step", |s| s.name);
            let message = format!(
                "Synthetic checks of the Jira connection fail at \"{step}\". We are investigating."
            );
            store
                .open_incident(
                    &amj_store::incidents::NewIncident {
                        title: "Synthetic checks of the Jira connection are failing",
                        impact: Impact::Major,
                        component: Component::Auth,
                        status: IncidentStatus::Investigating,
                        message: &message,
                        alert_rule: Some(amj_server::ops::watch::PROBE_INCIDENT_RULE),
                    },
                    now,
                )
                .await?;
        }
        (Some(id), true) => {
            store
                .update_incident(
                    id,
                    IncidentStatus::Resolved,
                    "Synthetic checks of the Jira connection pass again.",
                    now,
                )
                .await?;
        }
        _ => {}
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Register the production probe's site: a clientKey and a secret that only the probe holds.
    AddProbe(AddProbeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AddProbeArgs {
    /// sqlite://<file> or postgres://…
    #[arg(
        long,
        env = "AMJ_DATABASE_URL",
        default_value = "sqlite://./data/amj.db"
    )]
    pub database_url: String,
    /// The master key file, as for `serve` (required with PostgreSQL).
    #[arg(long, env = "AMJ_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Where to write the probe site's shared secret (created with mode 0600; must not exist).
    #[arg(long)]
    pub secret_file: PathBuf,
    /// The app key the app serves under.
    #[arg(long, env = "AMJ_APP_KEY", default_value = "asset-management-for-jira")]
    pub app_key: String,
}

pub async fn run_incident(args: crate::incident_cli::IncidentArgs) -> anyhow::Result<()> {
    let store = bench_store(&args.database_url, args.secret_key_file.as_deref()).await?;
    let result = crate::incident_cli::run_incident(args, &store).await;
    store.close().await;
    result
}

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// The AQL query, e.g. 'objectType = Laptop AND Owner IS EMPTY ORDER BY label'.
    pub aql: String,
    /// The site: its name as `amj demo` prints it (acme), its base URL
    /// (https://acme.atlassian.net) or its clientKey.
    #[arg(long)]
    pub site: String,
    /// The schema's key; optional when the query says objectSchema = KEY or the site has one.
    #[arg(long)]
    pub schema: Option<String>,
    /// sqlite://<file> or postgres://…
    #[arg(
        long,
        env = "AMJ_DATABASE_URL",
        default_value = "sqlite://./data/amj.db"
    )]
    pub database_url: String,
    /// The master key file, as for `serve` (required with PostgreSQL).
    #[arg(long, env = "AMJ_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// The app key, which signs the Jira search of connectedTickets(…).
    #[arg(long, env = "AMJ_APP_KEY", default_value = "asset-management-for-jira")]
    pub app_key: String,
    /// At most this many assets (all pages are read up to it).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
    /// Also match archived assets.
    #[arg(long)]
    pub include_archived: bool,
    /// Print JSON lines (one asset per line) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only check the query: print its errors, or "valid".
    #[arg(long)]
    pub validate: bool,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Add generated IT assets to a site (created as a synthetic install when absent).
    Seed(BenchSeedArgs),
    /// Top a site up to --assets assets, then time gets, updates, list pages and bulk inserts.
    Assets(BenchAssetsArgs),
    /// Top a site up to --assets assets, then time AQL queries: equality, dot paths, full text
    /// and ORDER BY.
    Aql(BenchAqlArgs),
    /// Time the server's work for the Assets list page on a seeded site (see `bench seed`).
    Page(BenchPageArgs),
    /// Time each dashboard figure (the reports API) on a seeded site (see `bench seed`).
    Reports(BenchReportsArgs),
    /// Time check-out, check-in, "my assets" and the overdue list on a seeded site, after
    /// topping its open check-outs up to --open.
    Custody(BenchCustodyArgs),
    /// Time the availability search and booking calendars on a seeded site, after topping its
    /// bookings up to --bookings.
    Bookings(BenchBookingsArgs),
    /// Time a licence's compliance view with --seats seats in use, the per-product view, and
    /// assigning and freeing a seat, on a seeded site.
    Licences(BenchLicencesArgs),
    /// Time full Forge invocation-token authentication against one bare RSA-2048 verification,
    /// at growing numbers of installations.
    Fit(BenchFitArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BenchFitArgs {
    /// sqlite://<file> or postgres://… of its own (installations are added to it). Default: a
    /// fresh SQLite file in a temporary directory, removed afterwards.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Installation counts to measure at, comma-separated, ascending.
    #[arg(long, value_delimiter = ',', default_value = "10,1000,100000", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub installations: Vec<u64>,
    /// Alternating rounds per count.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub rounds: u64,
    /// Tokens per round.
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u64).range(1..=20_000))]
    pub tokens: u64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The master key file, as for `serve` (required with PostgreSQL).
    #[arg(long, env = "AMJ_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchPageArgs {
    /// sqlite://<file> or postgres://… holding a seeded site.
    #[arg(long)]
    pub database_url: String,
    /// The seeded site's clientKey.
    #[arg(long, default_value = "amj-bench-site", value_parser = parse_client_key)]
    pub tenant: String,
    /// Timed renders per page.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub samples: u64,
    /// The master key file, as for `serve` (required with PostgreSQL).
    #[arg(long, env = "AMJ_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchReportsArgs {
    #[command(flatten)]
    pub site: BenchPageArgs,
    /// Before timing, give the seeded "Serial number" this stricter pattern, so that data
    /// quality counts the values that break it (the change, which tests every stored value
    /// once, is timed too). The seeded pattern is put back at the end.
    #[arg(long)]
    pub serial_pattern: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchCustodyArgs {
    #[command(flatten)]
    pub site: BenchPageArgs,
    /// Open check-outs to have before timing (laptops and monitors are lent, 500 per
    /// transaction; a quarter of them overdue).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub open: u64,
}

/// `amj bench bookings`: the site to time on, and how many bookings it should have first.
#[derive(Debug, Clone, Args)]
pub struct BenchBookingsArgs {
    #[command(flatten)]
    pub site: BenchPageArgs,
    /// Bookings to have before timing: laptops and monitors booked for 1 to 7 days over the
    /// coming year, one transaction each (a clash is skipped).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub bookings: u64,
}

#[derive(Debug, Clone, Args)]
pub struct BenchLicencesArgs {
    #[command(flatten)]
    pub site: BenchPageArgs,
    /// Seats in use on the bench's licence before timing (assigned 500 per call).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub seats: u64,
    /// Seeded software licences to give terms (their product and Seats) before timing, so the
    /// per-product view adds up this many.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub licences: u64,
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

#[derive(Debug, Clone, Args)]
pub struct BenchAqlArgs {
    /// sqlite://<file> or postgres://… Use a database of its own: the bench adds data.
    #[arg(long)]
    pub database_url: String,
    /// The clientKey of the benchmark site (a synthetic install when absent).
    #[arg(long, default_value = "amj-bench-site", value_parser = parse_client_key)]
    pub tenant: String,
    /// The site is topped up to this many assets first (reused when it has them).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub assets: u64,
    /// Timed calls per query (a query slower than a minute in all gets fewer, at least 10).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub samples: u64,
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
    /// Our Forge app's id (a UUID, or ari:cloud:ecosystem::app/<uuid>). When set, Forge
    /// Invocation Tokens for this app are accepted on /api/v1 and /forge/events.
    #[arg(long, env = "AMJ_FORGE_APP_ID")]
    pub forge_app_id: Option<String>,
    /// Where Forge publishes the keys that sign invocation tokens.
    #[arg(long, env = "AMJ_FORGE_JWKS_URL", default_value = amj_connect::forge::JWKS_PRODUCTION)]
    pub forge_jwks_url: String,
    #[command(flatten)]
    pub ops: OpsArgs,
}

/// Metrics, alerting and the status page. Thresholds are explained in docs/RUNBOOK.md.
#[derive(Debug, Clone, Args)]
pub struct OpsArgs {
    /// Serve /metrics on this separate address (e.g. 127.0.0.1:9090) instead of the public one.
    #[arg(long, env = "AMJ_OPS_BIND")]
    pub ops_bind: Option<SocketAddr>,
    /// POST alerts as JSON to this URL.
    #[arg(long, env = "AMJ_ALERT_WEBHOOK_URL")]
    pub alert_webhook_url: Option<String>,
    /// POST alerts to this Slack-compatible incoming webhook.
    #[arg(long, env = "AMJ_ALERT_SLACK_URL")]
    pub alert_slack_url: Option<String>,
    /// Send alerts to PagerDuty (Events API v2) with this routing key.
    #[arg(long, env = "AMJ_ALERT_PAGERDUTY_ROUTING_KEY")]
    pub alert_pagerduty_routing_key: Option<String>,
    /// The PagerDuty Events API endpoint.
    #[arg(long, env = "AMJ_ALERT_PAGERDUTY_URL", default_value = amj_server::ops::watch::PAGERDUTY_EVENTS_URL)]
    pub alert_pagerduty_url: String,
    /// How often readiness is checked and the alert rules are evaluated.
    #[arg(long, env = "AMJ_ALERT_EVERY", default_value = "15s", value_parser = parse_duration)]
    pub alert_every: std::time::Duration,
    /// A site's auth failure ratio (0-1) above which it alerts.
    #[arg(long, env = "AMJ_ALERT_SITE_FAILURE_RATIO", default_value_t = 0.5, value_parser = parse_ratio)]
    pub alert_site_failure_ratio: f64,
    /// The window of the per-site failure ratio, in minutes.
    #[arg(long, env = "AMJ_ALERT_SITE_WINDOW_MINUTES", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..=1440))]
    pub alert_site_window_minutes: i64,
    /// The fewest requests in that window for the ratio to count.
    #[arg(long, env = "AMJ_ALERT_SITE_MIN_REQUESTS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub alert_site_min_requests: u64,
    /// Minutes without a success after a secret rotation, while requests arrive, before alerting.
    #[arg(long, env = "AMJ_ALERT_ROTATION_GRACE_MINUTES", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..=1440))]
    pub alert_rotation_grace_minutes: i64,
    /// Alert when the global 401 ratio exceeds this many times its 24-hour baseline.
    #[arg(long, env = "AMJ_ALERT_GLOBAL_FACTOR", default_value_t = 5.0, value_parser = parse_factor)]
    pub alert_global_factor: f64,
    /// Where docs/RUNBOOK.md is published; alerts link to its sections.
    #[arg(
        long,
        env = "AMJ_RUNBOOK_URL",
        default_value = "https://github.com/amj/amj/blob/main/docs/RUNBOOK.md"
    )]
    pub runbook_url: String,
}

impl Default for OpsArgs {
    fn default() -> Self {
        Self {
            ops_bind: None,
            alert_webhook_url: None,
            alert_slack_url: None,
            alert_pagerduty_routing_key: None,
            alert_pagerduty_url: amj_server::ops::watch::PAGERDUTY_EVENTS_URL.to_owned(),
            alert_every: std::time::Duration::from_secs(15),
            alert_site_failure_ratio: 0.5,
            alert_site_window_minutes: 5,
            alert_site_min_requests: 5,
            alert_rotation_grace_minutes: 5,
            alert_global_factor: 5.0,
            runbook_url: "https://github.com/amj/amj/blob/main/docs/RUNBOOK.md".to_owned(),
        }
    }
}

impl OpsArgs {
    fn apply(&self, config: &mut AppConfig) -> anyhow::Result<()> {
        use amj_server::ops::watch::Sink;
        let url = |flag: &str, text: &str| -> anyhow::Result<String> {
            let parsed = url::Url::parse(text)
                .map_err(|e| anyhow::anyhow!("{flag} {text:?} is not a URL: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("{flag} must be an http(s) URL");
            }
            Ok(text.to_owned())
        };
        if let Some(u) = &self.alert_webhook_url {
            config
                .alert_sinks
                .push(Sink::Webhook(url("--alert-webhook-url", u)?));
        }
        if let Some(u) = &self.alert_slack_url {
            config
                .alert_sinks
                .push(Sink::Slack(url("--alert-slack-url", u)?));
        }
        if let Some(key) = &self.alert_pagerduty_routing_key {
            if key.trim().is_empty() {
                bail!("--alert-pagerduty-routing-key is empty");
            }
            config.alert_sinks.push(Sink::PagerDuty {
                routing_key: key.clone(),
                url: url("--alert-pagerduty-url", &self.alert_pagerduty_url)?,
            });
        }
        config.watch_every = self.alert_every;
        config.ops_separate = self.ops_bind.is_some();
        let alerts = &mut config.alerts;
        alerts.site_failure_ratio = self.alert_site_failure_ratio;
        alerts.site_window_minutes = self.alert_site_window_minutes;
        alerts.site_min_requests = self.alert_site_min_requests;
        alerts.rotation_grace_minutes = self.alert_rotation_grace_minutes;
        alerts.global_factor = self.alert_global_factor;
        alerts.runbook_url = self.runbook_url.trim_end_matches('/').to_owned();
        Ok(())
    }
}

fn parse_ratio(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(r) if (0.0..1.0).contains(&r) => Ok(r),
        _ => Err(format!(
            "{text:?} is not a ratio between 0 and 1 (e.g. 0.5)"
        )),
    }
}

fn parse_factor(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(f) if f >= 1.0 && f.is_finite() => Ok(f),
        _ => Err(format!("{text:?} is not a factor of at least 1 (e.g. 5)")),
    }
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
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("30").is_err(), "a bare number has no unit");
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
    /// Install the sites as the Forge version, as a new customer would (no Connect install):
    /// their pages are Custom UI, and the app's first Forge call from each site creates it. The
    /// app must accept this simulator's invocation tokens (the flags printed at start).
    #[arg(long)]
    pub forge: bool,
}

/// `30s`, `5m`, `1h 30m`, `250ms`: a positive duration for flags, as `humantime` reads them.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let duration = humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration like 30s, 5m or 1h ({e})"))?;
    if duration.is_zero() {
        return Err("the duration must be greater than zero".into());
    }
    Ok(duration)
}

/// Everything `serve` needs, resolved and checked.
pub struct Prepared {
    pub state: AppState,
    pub bind: SocketAddr,
    pub ops_bind: Option<SocketAddr>,
}

impl Prepared {
    /// Starts the operations loop and, with `--ops-bind`, the metrics listener.
    pub async fn start_operations(&self) -> anyhow::Result<()> {
        std::sync::Arc::clone(&self.state.watch).spawn();
        if let Some(bind) = self.ops_bind {
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on --ops-bind {bind}"))?;
            tracing::info!(%bind, "serving /metrics");
            let app = amj_server::web::build_ops_app(self.state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
        Ok(())
    }
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
    let forge_app = args
        .forge_app_id
        .as_deref()
        .map(amj_connect::forge::AppAri::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--forge-app-id: {e}"))?;
    let jwks_url = url::Url::parse(&args.forge_jwks_url)
        .map_err(|e| anyhow::anyhow!("--forge-jwks-url {:?}: {e}", args.forge_jwks_url))?;
    if !matches!(jwks_url.scheme(), "http" | "https") {
        bail!("--forge-jwks-url must be an http(s) URL");
    }
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
    config.forge_app = forge_app;
    config.forge_jwks_url = args.forge_jwks_url.clone();
    args.ops.apply(&mut config)?;
    if config.legacy_installs {
        tracing::warn!(
            "legacy installs are accepted: an unsigned first install can claim any new site"
        );
    }
    let state = AppState::start(config, store, Arc::new(keys))?;
    Ok(Prepared {
        state,
        bind: args.bind,
        ops_bind: args.ops.ops_bind,
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
    prepared.start_operations().await?;
    RunningApp::spawn(listener, prepared.state)
        .run_until(shutdown_signal())
        .await?;
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
        // The demo's Jira is also its Forge: FITs it signs are accepted, as in production
        // those Forge signs are.
        forge_app_id: Some(amj_jira_sim::forge_host::SIM_FORGE_APP.to_owned()),
        forge_jwks_url: sim.forge_jwks_url(),
        ops: OpsArgs::default(),
    };
    let prepared = prepare(&serve_args).await?;
    prepared.start_operations().await?;
    let listener = tokio::net::TcpListener::bind(prepared.bind)
        .await
        .with_context(|| format!("cannot listen on {}", prepared.bind))?;
    let base = prepared.state.config.base_url_str().to_owned();
    let store = prepared.state.store.clone();
    // The demo's Jira is also its Forge: deploying the manifest creates the Assets field there.
    let manifest = prepared.state.config.forge_app.as_ref().map(|app| {
        amj_server::descriptor::forge_manifest(
            &amj_server::descriptor::app_descriptor(&prepared.state.config),
            &base,
            app,
            &amj_server::descriptor::Listing::Forge,
        )
    });
    let running = RunningApp::spawn(listener, prepared.state);
    let app = sim
        .register_app(&format!("{base}/atlassian-connect.json"))
        .await
        .context("the simulated Jira refused the app")?;
    if let Some(manifest) = &manifest {
        sim.deploy_forge_manifest(manifest);
    }
    // Two sites on the Connect version and one already moved to Forge, side by side: the same
    // data model, two hosts.
    for site in ["acme", "globex", "initech"] {
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
    // Atlassian's upgrade, as on a real site: Connect goes silently, Forge takes over, and the
    // site's first Forge call joins it to its data.
    sim.forge_upgrade("initech")
        .context("moving the simulated site initech to Forge")?;
    // Its Assets field offers laptops, as a Jira admin would set it in the field's context
    // (the context configuration view submits `{configuration}`).
    let scope = amj_server::asset_field::FieldScope {
        schema: "IT".to_owned(),
        aql: Some("objectType = Laptop".to_owned()),
    };
    let submit = serde_json::Value::Object(serde_json::Map::from_iter([(
        "configuration".to_owned(),
        serde_json::to_value(scope)?,
    )]));
    for field in sim.forge_fields() {
        sim.set_field_configuration("initech", &field.id, &submit)
            .context("setting the demo's Assets field scope")?;
    }
    println!("Asset Management for Jira is running inside a simulated Jira.");
    println!();
    println!("  Open {}/sites/acme", sim.base_url());
    println!(
        "  The app's Assets page there: {}/sites/acme/apps/assets",
        sim.base_url()
    );
    println!();
    println!("  app:  {base} (descriptor at /atlassian-connect.json)");
    println!("  ops:  {base}/status (status page) and {base}/metrics (Prometheus)");
    println!(
        "  data: {} (SQLite, with its master key)",
        args.data_dir.display()
    );
    println!("  sites: acme and globex run the Connect version (signed installs, own secrets);");
    println!(
        "         initech runs the Forge version, moved from Connect: {}/sites/initech",
        sim.base_url()
    );
    println!(
        "         its issues have the Assets field (Edit it under Details), scoped to laptops."
    );
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
    running.run_until(shutdown_signal()).await?;
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
    // The demo lends some laptops and monitors, so "My assets" and "Overdue" show something.
    plan.checkouts_every = 5;
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
        BenchCommand::Page(args) => {
            let store = bench_store(&args.database_url, args.secret_key_file.as_deref()).await?;
            let samples = usize::try_from(args.samples).unwrap_or(200);
            let timings =
                amj_bench::bench_page::run_page_bench(store, &args.tenant, samples).await?;
            print!("{}", amj_bench::bench_page::markdown(&timings));
            Ok(())
        }
        BenchCommand::Reports(args) => {
            let site = &args.site;
            let store = bench_store(&site.database_url, site.secret_key_file.as_deref()).await?;
            let samples = usize::try_from(site.samples).unwrap_or(200);
            let timings = amj_bench::bench_reports::run_reports_bench(
                store,
                &site.tenant,
                samples,
                args.serial_pattern.as_deref(),
            )
            .await?;
            print!("{}", amj_bench::bench_reports::markdown(&timings));
            Ok(())
        }
        BenchCommand::Custody(args) => {
            let site = &args.site;
            let store = bench_store(&site.database_url, site.secret_key_file.as_deref()).await?;
            let samples = usize::try_from(site.samples).unwrap_or(200);
            let timings = amj_bench::bench_custody::run_custody_bench(
                store,
                &site.tenant,
                samples,
                args.open,
            )
            .await?;
            print!("{}", amj_bench::bench_custody::markdown(&timings));
            Ok(())
        }
        BenchCommand::Bookings(args) => {
            let site = &args.site;
            let store = bench_store(&site.database_url, site.secret_key_file.as_deref()).await?;
            let samples = usize::try_from(site.samples).unwrap_or(200);
            let timings = amj_bench::bench_bookings::run_bookings_bench(
                store,
                &site.tenant,
                samples,
                args.bookings,
            )
            .await?;
            print!("{}", amj_bench::bench_custody::markdown(&timings));
            Ok(())
        }
        BenchCommand::Licences(args) => {
            let site = &args.site;
            let store = bench_store(&site.database_url, site.secret_key_file.as_deref()).await?;
            let samples = usize::try_from(site.samples).unwrap_or(200);
            let seats = usize::try_from(args.seats).unwrap_or(10_000);
            let licences = usize::try_from(args.licences).unwrap_or(10_000);
            let timings = amj_bench::bench_licences::run_licence_bench(
                store,
                &site.tenant,
                samples,
                seats,
                licences,
            )
            .await?;
            print!("{}", amj_bench::bench_licences::markdown(&timings));
            Ok(())
        }
        BenchCommand::Fit(args) => {
            if args.installations.windows(2).any(|w| w[0] >= w[1]) {
                bail!("--installations must be ascending, e.g. 10,1000,100000");
            }
            let scratch =
                std::env::temp_dir().join(format!("amj-bench-fit-{}", std::process::id()));
            let database_url = match &args.database_url {
                Some(url) => url.clone(),
                None => {
                    std::fs::create_dir_all(&scratch)?;
                    format!("sqlite://{}", scratch.join("fit.db").display())
                }
            };
            let store = bench_store(&database_url, args.secret_key_file.as_deref()).await?;
            let options = amj_bench::bench_fit::FitBenchOptions {
                installations: args.installations.clone(),
                rounds: usize::try_from(args.rounds).unwrap_or(15),
                tokens: usize::try_from(args.tokens).unwrap_or(400),
                seed: args.seed,
            };
            let rows = amj_bench::bench_fit::run_fit_bench(store.clone(), &options).await;
            store.close().await;
            if args.database_url.is_none() {
                let _ = std::fs::remove_dir_all(&scratch);
            }
            print!("{}", amj_bench::bench_fit::markdown(&rows?, &options));
            Ok(())
        }
        BenchCommand::Aql(args) => {
            let store = bench_store(&args.database_url, args.secret_key_file.as_deref()).await?;
            let tenant = ensure_bench_tenant(&store, &args.tenant, BENCH_APP_KEY).await?;
            let options = amj_bench::bench_aql::AqlBenchOptions {
                assets: args.assets,
                samples: usize::try_from(args.samples).unwrap_or(200),
                seed: args.seed,
            };
            let report = amj_bench::bench_aql::run_aql_bench(&store, tenant, &options).await;
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

/// `amj query`: errors print with their caret excerpt and exit non-zero.
pub async fn run_query(args: QueryArgs) -> anyhow::Result<()> {
    let location = DatabaseLocation::parse(&args.database_url)
        .map_err(|e| anyhow::anyhow!("--database-url: {e}"))?;
    if let DatabaseLocation::Sqlite(path) = &location
        && !path.exists()
    {
        bail!("--database-url: {} does not exist", path.display());
    }
    let master_key = master_key_for(args.secret_key_file.as_deref(), &location)?;
    let store = Store::connect(&location, Arc::new(master_key))
        .await
        .context("cannot open the database")?;
    let result = query_command(&store, &args).await;
    store.close().await;
    result
}

async fn query_command(store: &Store, args: &QueryArgs) -> anyhow::Result<()> {
    use amj_server::query::{QueryError, QueryRequest};
    let site = args.site.trim();
    let tenant = find_site(store, site).await?;
    let explain = |e: QueryError| -> anyhow::Error {
        match e {
            QueryError::Aql { error, query } => anyhow::anyhow!("{}", error.render(&query)),
            other => anyhow::anyhow!("{other}"),
        }
    };
    if args.validate {
        let validation = amj_server::query::validate(
            store,
            tenant.id,
            &args.aql,
            args.schema.as_deref(),
            None,
            None,
        )
        .await
        .map_err(explain)?;
        return match validation.error {
            None => {
                println!("valid");
                Ok(())
            }
            Some(error) => Err(anyhow::anyhow!("{}", error.render(&args.aql))),
        };
    }
    let jira = amj_server::jira::JiraClient::new(
        args.app_key.clone(),
        Arc::default(),
        HostAllowList::atlassian_cloud(),
    )?
    .with_forge_tokens(store.clone(), amj_server::auth::forge::held_tokens());
    let mut request = QueryRequest {
        aql: args.aql.clone(),
        schema: args.schema.clone(),
        limit: args.limit.min(500),
        cursor: None,
        include_archived: args.include_archived,
    };
    let mut printed = 0_u32;
    let mut total = None;
    loop {
        let result = amj_server::query::run(store, &jira, &tenant, None, &request)
            .await
            .map_err(explain)?;
        if total.is_none() {
            total = result.total;
        }
        for asset in &result.page.items {
            if printed >= args.limit {
                break;
            }
            if args.json {
                let body = amj_server::assets::asset_body(
                    &result.model,
                    asset,
                    result.holdings.get(&asset.id).cloned().unwrap_or_default(),
                );
                println!("{}", serde_json::to_string(&body)?);
            } else {
                let status = result
                    .model
                    .status(asset.status_id)
                    .map_or("", |s| s.name.as_str());
                let type_name = result
                    .model
                    .asset_type(asset.type_id)
                    .map_or("", |t| t.name.as_str());
                println!(
                    "{:<12} {:<20} {:<14} {}",
                    asset.key.to_string(),
                    type_name,
                    status,
                    asset.label
                );
            }
            printed += 1;
        }
        match result.page.next_cursor {
            Some(cursor) if printed < args.limit => request.cursor = Some(cursor),
            _ => break,
        }
    }
    if !args.json {
        let matched = match total {
            Some((n, true)) => n.to_string(),
            Some((n, false)) => format!("more than {n}"),
            None => "?".to_owned(),
        };
        eprintln!("{printed} shown of {matched} matching");
    }
    Ok(())
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
    println!(
        "  Forge:        --forge-app-id {} --forge-jwks-url {}  (the app's Forge flags)",
        amj_jira_sim::forge_host::SIM_FORGE_APP,
        sim.forge_jwks_url()
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
        if args.forge {
            let installation = sim.forge_install(site, None)?;
            println!(
                "  Forge installation {installation} on {}/sites/{site}",
                sim.base_url()
            );
            continue;
        }
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

pub async fn run_probe(args: ProbeArgs) -> anyhow::Result<()> {
    let app_url = url::Url::parse(&args.app_url)
        .with_context(|| format!("--app-url {:?} is not an absolute URL", args.app_url))?;
    if !matches!(app_url.scheme(), "http" | "https") {
        bail!("--app-url must be an http(s) URL");
    }
    let app_url = args.app_url.trim_end_matches('/').to_owned();
    let production = match (&args.probe_tenant, &args.probe_secret_file) {
        (Some(client_key), Some(file)) => {
            let secret = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read --probe-secret-file {}", file.display()))?;
            let secret = secret.trim().to_owned();
            if secret.len() < 32 {
                bail!(
                    "--probe-secret-file {} does not hold a probe secret",
                    file.display()
                );
            }
            Some(crate::probe::ProbeTenant {
                client_key: client_key.clone(),
                shared_secret: secret,
            })
        }
        _ => None,
    };
    let sim = if production.is_none() {
        let sim = amj_jira_sim::Sim::start_on(args.sim_bind)
            .await
            .context("cannot start the probe's simulated Jira")?;
        println!(
            "probe: simulated Jira at {}; the app must trust install keys from {}",
            sim.base_url(),
            sim.key_server_url()
        );
        if args.forge {
            println!(
                "probe: Forge mode; the app must run with --forge-app-id {} --forge-jwks-url {}",
                amj_jira_sim::forge_host::SIM_FORGE_APP,
                sim.forge_jwks_url()
            );
        }
        Some(sim)
    } else {
        None
    };
    let status_store = match &args.status_database_url {
        Some(url) => Some(bench_store(url, args.status_secret_key_file.as_deref()).await?),
        None => None,
    };
    let mut consecutive_failures = 0_u32;
    let started = std::time::Instant::now();
    let mut runs = 0_u64;
    let mut failures = 0_u64;
    let mut durations = Vec::new();
    loop {
        runs += 1;
        let report = match (&sim, &production) {
            (Some(sim), _) => {
                let mut report = crate::probe::probe_staging(sim, &app_url, runs).await;
                if args.forge && report.ok() {
                    let forge = crate::probe::probe_forge(sim, &app_url, runs).await;
                    report.steps.extend(forge.steps);
                }
                report
            }
            (None, Some(tenant)) => crate::probe::probe_production(&app_url, tenant).await,
            (None, None) => bail!("no probe mode"),
        };
        let total: std::time::Duration = report.steps.iter().map(|s| s.elapsed).sum();
        durations.push(total);
        if report.ok() {
            consecutive_failures = 0;
        } else {
            failures += 1;
            consecutive_failures += 1;
        }
        println!("probe run {runs}: {}", report.summary());
        if let Some(store) = &status_store
            && let Err(e) = report_probe(store, consecutive_failures, &report).await
        {
            eprintln!("probe: could not update the status page: {e:#}");
        }
        let Some(every) = args.every else {
            break;
        };
        if args
            .for_
            .is_none_or(|limit| started.elapsed() + every > limit)
        {
            break;
        }
        tokio::time::sleep(every).await;
    }
    if let Some(store) = status_store {
        store.close().await;
    }
    durations.sort();
    let median = durations
        .get(durations.len() / 2)
        .copied()
        .unwrap_or_default();
    println!(
        "probe summary: {runs} runs, {failures} failed, median {} ms, over {:.0?}",
        median.as_millis(),
        started.elapsed()
    );
    if failures > 0 {
        bail!("{failures} of {runs} probe runs failed");
    }
    Ok(())
}

pub async fn run_tenant(command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::AddProbe(args) => {
            if args.secret_file.exists() {
                bail!(
                    "--secret-file {} already exists; remove it or choose another path",
                    args.secret_file.display()
                );
            }
            let store = bench_store(&args.database_url, args.secret_key_file.as_deref()).await?;
            let mut random = [0_u8; 8];
            aws_lc_rs::rand::fill(&mut random).map_err(|_| anyhow::anyhow!("no randomness"))?;
            let client_key = format!("amj-probe-{}", hex::encode(random));
            let result =
                amj_bench::seed::add_probe_tenant(&store, &client_key, &args.app_key).await;
            store.close().await;
            let secret = result?;
            write_private_file(&args.secret_file, &secret)?;
            println!("registered the probe site {client_key}");
            println!(
                "its secret is in {} (keep it private)",
                args.secret_file.display()
            );
            println!(
                "run: amj probe --app-url <URL> --probe-tenant {client_key} --probe-secret-file {}",
                args.secret_file.display()
            );
            Ok(())
        }
    }
}

fn write_private_file(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// A site by whatever an operator has at hand: its clientKey, its base URL, or its name.
async fn find_site(store: &Store, site: &str) -> anyhow::Result<amj_store::Tenant> {
    if let Some(tenant) = store.tenant_by_client_key(site).await? {
        return Ok(tenant);
    }
    if let Some(tenant) = store.tenant_by_base_url(site).await? {
        return Ok(tenant);
    }
    let mut named = store.tenants_named(site).await?;
    match named.len() {
        1 => Ok(named.remove(0)),
        0 => bail!("--site: no installed site is named {site:?} or has that clientKey or base URL"),
        _ => bail!(
            "--site: {} installed sites are named {site:?}; give one's base URL instead: {}",
            named.len(),
            named
                .iter()
                .map(|t| t.base_url.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
