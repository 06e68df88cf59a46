//! Runtime configuration of the app, built by `main` from flags and environment (or literally by
//! tests). Nothing below `main` reads the environment.

use amj_connect::lifecycle::HostAllowList;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Our public base URL: the descriptor's `baseUrl` and the `aud` of install tokens.
    pub base_url: url::Url,
    pub app_key: String,
    pub app_name: String,
    pub allowed_hosts: HostAllowList,
    pub jwt_leeway_secs: i64,
    /// Accept the pre-2021 lifecycle scheme (unsigned first install, reinstall HS256-signed with
    /// the stored secret). Off by default: it is what made install overwrites possible.
    pub legacy_installs: bool,
    /// Lifetime of the context token a page embeds for its own XHR calls.
    pub context_token_ttl_secs: i64,
    /// Where pages load Atlassian's `all.js` from; the simulator serves its own.
    pub ap_js_url: String,
    pub tenant_cache_ttl: std::time::Duration,
    /// Our Forge app: when set, Forge Invocation Tokens for it are accepted.
    pub forge_app: Option<amj_connect::forge::AppAri>,
    /// Where the FIT signing keys are published.
    pub forge_jwks_url: String,
    /// Thresholds of the built-in alert rules.
    pub alerts: amj_ops::alerts::AlertConfig,
    /// Where alerts go besides the log.
    pub alert_sinks: Vec<crate::ops::watch::Sink>,
    /// `/metrics` is served on `--ops-bind` instead of the public listener.
    pub ops_separate: bool,
    /// How often the operations loop checks readiness and evaluates alerts.
    pub watch_every: std::time::Duration,
    /// The operations clock: the system's, or a manual one in drills.
    pub clock: amj_ops::clock::Clock,
    /// Test-only faults. The field exists only with the `fault-injection` feature,
    /// which only the test crates enable, so no flag or environment variable can switch a fault on
    /// in a production build.
    #[cfg(feature = "fault-injection")]
    pub faults: Faults,
}

/// Faults the browser and drill tests inject to prove that failures are visible.
///
/// Each switch is shared by every clone of the configuration, so a drill can turn a fault off in
/// a running app (then have the sites reinstall) and watch its alerts resolve.
#[cfg(feature = "fault-injection")]
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer `installed` with 204 but keep the old secret: the March-2022 bug.
    ignore_rotated_secrets: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Verify FITs only with the Forge keys already held, never refetching on an unknown kid:
    /// the cached-JWKS bug that would lock every Forge site out at Forge's next key rotation.
    never_refetch_jwks: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[cfg(feature = "fault-injection")]
impl Faults {
    pub fn ignore_rotated_secrets(&self) -> bool {
        self.ignore_rotated_secrets
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_ignore_rotated_secrets(&self, on: bool) {
        self.ignore_rotated_secrets
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn never_refetch_jwks(&self) -> bool {
        self.never_refetch_jwks
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_never_refetch_jwks(&self, on: bool) {
        self.never_refetch_jwks
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }
}

pub const ATLASSIAN_ALL_JS: &str = "https://connect-cdn.atl-paas.net/all.js";

impl AppConfig {
    /// A configuration for a local app at `base_url`, allowing loopback sites: what the demo and
    /// the tests start from.
    pub fn local(base_url: url::Url) -> Self {
        Self {
            base_url,
            app_key: "asset-management-for-jira".into(),
            app_name: "Asset Management for Jira".into(),
            allowed_hosts: HostAllowList::loopback(),
            jwt_leeway_secs: 30,
            legacy_installs: false,
            context_token_ttl_secs: 15 * 60,
            ap_js_url: ATLASSIAN_ALL_JS.into(),
            tenant_cache_ttl: std::time::Duration::from_secs(30),
            forge_app: None,
            forge_jwks_url: amj_connect::forge::JWKS_PRODUCTION.into(),
            alerts: amj_ops::alerts::AlertConfig::default(),
            alert_sinks: Vec::new(),
            watch_every: std::time::Duration::from_secs(15),
            ops_separate: false,
            clock: amj_ops::clock::Clock::System,
            #[cfg(feature = "fault-injection")]
            faults: Faults::default(),
        }
    }

    /// The path part of our base URL (`/connect` in `https://x.example/connect`), which the qsh
    /// leaves out.
    pub fn base_path(&self) -> String {
        self.base_url.path().trim_end_matches('/').to_owned()
    }

    pub fn base_url_str(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
}
