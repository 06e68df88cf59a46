//! The request path's window onto operations: every authentication outcome, lifecycle answer and
//! rotation goes to the metrics and to the alert evaluator, stamped by the operations clock.

use amj_connect::install_keys::InstallKeyStore;
use amj_connect::{AuthReason, RouteKind};
use amj_domain::ids::TenantId;
use amj_ops::alerts::{Alert, AlertConfig, AlertEvaluator, Observation, Rule, Site, Transition};
use amj_ops::clock::Clock;
use amj_ops::metrics::{AuthLabels, LifecycleLabels, Metrics, RuleLabels};
use amj_store::Tenant;
use amj_store::auth_history::{AuthCount, HOUR_MILLIS};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

pub struct Monitor {
    pub metrics: Metrics,
    pub clock: Clock,
    evaluator: Mutex<AlertEvaluator>,
    keys: Arc<dyn InstallKeyStore>,
    /// Key-fetch failures already passed to the evaluator.
    key_failures_seen: AtomicU64,
    /// Forge's key set, when the app accepts Forge calls, and its failures already passed on.
    jwks: std::sync::OnceLock<Arc<amj_connect::forge::HttpJwks>>,
    jwks_failures_seen: AtomicU64,
    /// Per-site outcome counts not yet written to the database, by (site, hour, outcome).
    pending_auth: Mutex<HashMap<(TenantId, i64, &'static str), u64>>,
}

/// The most pending per-site counts kept between flushes; beyond it new ones are dropped (and
/// logged) rather than let a database outage grow memory without bound.
const MAX_PENDING_AUTH: usize = 100_000;

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("clock", &self.clock)
            .finish()
    }
}

fn site(tenant: &Tenant) -> Site {
    Site {
        id: tenant.id,
        name: tenant.base_url.clone(),
    }
}

impl Monitor {
    pub fn new(config: AlertConfig, clock: Clock, keys: Arc<dyn InstallKeyStore>) -> Self {
        Self {
            metrics: Metrics::new(Arc::clone(&keys)),
            clock,
            evaluator: Mutex::new(AlertEvaluator::new(config)),
            keys,
            key_failures_seen: AtomicU64::new(0),
            jwks: std::sync::OnceLock::new(),
            jwks_failures_seen: AtomicU64::new(0),
            pending_auth: Mutex::new(HashMap::new()),
        }
    }

    /// A poisoned lock only means a panic elsewhere mid-update; the counts are still usable.
    fn evaluator(&self) -> MutexGuard<'_, AlertEvaluator> {
        self.evaluator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn observe(&self, observation: Observation) {
        self.evaluator().observe(observation);
    }

    /// An authentication outcome: `refused` is the reason, or `None` for success.
    pub fn auth(&self, kind: RouteKind, refused: Option<AuthReason>, tenant: Option<&Tenant>) {
        self.metrics
            .auth_requests
            .get_or_create(&AuthLabels {
                route_kind: kind.label(),
                outcome: refused.map_or("ok", AuthReason::code),
            })
            .inc();
        // Installs are verified by the key server, not by the site's secret: their outcomes
        // belong to the key-fetch and lifecycle rules, not to the site's request ratio.
        if kind == RouteKind::Lifecycle {
            return;
        }
        let at = self.clock.now_millis();
        if let Some(tenant) = tenant
            && let Ok(mut pending) = self.pending_auth.lock()
        {
            let key = (
                tenant.id,
                at.div_euclid(HOUR_MILLIS),
                refused.map_or("ok", AuthReason::code),
            );
            if pending.len() < MAX_PENDING_AUTH || pending.contains_key(&key) {
                *pending.entry(key).or_default() += 1;
            } else {
                tracing::warn!(
                    "per-site auth counts are not being saved fast enough; dropping some"
                );
            }
        }
        self.observe(Observation::Request {
            site: tenant.map(site),
            ok: refused.is_none(),
            at,
        });
    }

    pub fn secret_rotated(&self, tenant: &Tenant) {
        self.metrics.secret_rotations.inc();
        self.observe(Observation::SecretRotated {
            site: site(tenant),
            at: self.clock.now_millis(),
        });
    }

    /// A lifecycle callback and the status it was answered with. `tenant` is the site when it is
    /// known; a failed first install has none yet and is named by its base URL.
    pub fn lifecycle(
        &self,
        event: &'static str,
        status: u16,
        tenant: Option<&Tenant>,
        base_url: &str,
    ) {
        let outcome = match status {
            200..=299 => "ok",
            500..=599 => "error",
            _ => "refused",
        };
        self.metrics
            .lifecycle_events
            .get_or_create(&LifecycleLabels { event, outcome })
            .inc();
        if status >= 500 {
            self.observe(Observation::Lifecycle {
                site: tenant.map(site).unwrap_or_else(|| Site {
                    id: amj_domain::ids::TenantId(0),
                    name: base_url.to_owned(),
                }),
                status,
                at: self.clock.now_millis(),
            });
        }
    }

    /// Takes the per-site counts gathered since the last call, to be written to the database.
    pub fn take_auth_counts(&self) -> Vec<AuthCount> {
        let Ok(mut pending) = self.pending_auth.lock() else {
            return Vec::new();
        };
        pending
            .drain()
            .map(|((tenant, hour, outcome), count)| (tenant, hour, outcome, count))
            .collect()
    }

    /// The per-site counts not yet saved, without taking them.
    pub fn pending_auth_counts(&self) -> Vec<AuthCount> {
        self.pending_auth
            .lock()
            .map(|p| p.iter().map(|((t, h, o), c)| (*t, *h, *o, *c)).collect())
            .unwrap_or_default()
    }

    /// Puts back counts that could not be written, so an outage delays them instead of losing them.
    pub fn restore_auth_counts(&self, counts: Vec<AuthCount>) {
        if let Ok(mut pending) = self.pending_auth.lock() {
            for (tenant, hour, outcome, count) in counts {
                if pending.len() < MAX_PENDING_AUTH {
                    *pending.entry((tenant, hour, outcome)).or_default() += count;
                }
            }
        }
    }

    pub fn probe(&self, failing: Option<String>) {
        self.observe(Observation::Probe {
            failing,
            at: self.clock.now_millis(),
        });
    }

    pub fn readiness(&self, ready: bool) {
        self.metrics.db_ready.set(i64::from(ready));
        self.observe(Observation::Readiness {
            ready,
            at: self.clock.now_millis(),
        });
    }

    /// Passes key-fetch failures counted by the key store since the last call to the evaluator.
    pub fn collect_key_fetches(&self) {
        let Some(stats) = self.keys.fetch_stats() else {
            return;
        };
        let failed = stats.failed.load(Relaxed);
        let seen = self.key_failures_seen.swap(failed, Relaxed);
        let at = self.clock.now_millis();
        for _ in seen.min(failed)..failed {
            self.observe(Observation::InstallKeyFetch { ok: false, at });
        }
    }

    /// Follows the fetches of Forge's signing keys (`--forge-app-id` set).
    pub fn watch_jwks(&self, jwks: Arc<amj_connect::forge::HttpJwks>) {
        let _ = self.jwks.set(jwks);
    }

    /// Passes JWKS fetch failures since the last call to the evaluator, and the fetch counts to
    /// the metrics.
    pub fn collect_jwks_fetches(&self) {
        let Some(jwks) = self.jwks.get() else {
            return;
        };
        let failed = jwks.stats.failed.load(Relaxed);
        let fetched = jwks.stats.fetched.load(Relaxed);
        self.metrics.set_jwks_fetches(fetched, failed);
        let seen = self.jwks_failures_seen.swap(failed, Relaxed);
        let at = self.clock.now_millis();
        for _ in seen.min(failed)..failed {
            self.observe(Observation::JwksFetch { ok: false, at });
        }
    }

    /// The Forge installations as the store holds them now.
    pub fn forge_installations(
        &self,
        installations: Vec<amj_ops::alerts::ForgeInstallationHealth>,
    ) {
        self.observe(Observation::ForgeInstallations { installations });
    }

    /// Evaluates every rule now, and refreshes `amj_alerts_firing`.
    pub fn evaluate(&self) -> Vec<Transition> {
        let now = self.clock.now_millis();
        let mut evaluator = self.evaluator();
        let transitions = evaluator.evaluate(now);
        for rule in Rule::ALL {
            let firing = evaluator.active().filter(|a| a.key.rule == rule).count();
            self.metrics
                .alerts_firing
                .get_or_create(&RuleLabels { rule: rule.code() })
                .set(i64::try_from(firing).unwrap_or(i64::MAX));
        }
        transitions
    }

    pub fn active_alerts(&self) -> Vec<Alert> {
        self.evaluator().active().cloned().collect()
    }

    pub fn config(&self) -> AlertConfig {
        self.evaluator().config().clone()
    }
}
