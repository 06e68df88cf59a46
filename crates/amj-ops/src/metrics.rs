//! Prometheus metrics, in an explicit registry owned by the app (never a process-global
//! recorder, so test apps running side by side stay apart).
//!
//! No series carries a site: 10⁵ sites would be 10⁵ series per metric. Per-site health lives in
//! the bounded alert evaluator and the admin page; Prometheus sees totals, and the number of
//! sites each built-in rule is firing for (`amj_alerts_firing`).

use amj_connect::install_keys::InstallKeyStore;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AuthLabels {
    pub route_kind: &'static str,
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LifecycleLabels {
    pub event: &'static str,
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueryLabels {
    pub query: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    pub rule: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SinkLabels {
    pub sink: &'static str,
    pub outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Every metric the app exports. Names are registered without `_total`: the encoder adds it to
/// counters, so `amj_http_requests` is scraped as `amj_http_requests_total`.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub auth_requests: Family<AuthLabels, Counter>,
    pub lifecycle_events: Family<LifecycleLabels, Counter>,
    pub secret_rotations: Counter,
    pub jira_requests: Family<StatusLabels, Counter>,
    pub db_ready: Gauge,
    pub db_pool_connections: Family<StateLabels, Gauge>,
    pub db_query_duration: Family<QueryLabels, Histogram>,
    pub alerts_firing: Family<RuleLabels, Gauge>,
    pub alert_notifications: Family<SinkLabels, Counter>,
    /// Fetches of Forge's JWKS, by outcome; fed from the key set's own counters.
    pub forge_jwks_fetches: Family<OutcomeLabels, Counter>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new(keys: Arc<dyn InstallKeyStore>) -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let auth_requests = Family::<AuthLabels, Counter>::default();
        let lifecycle_events = Family::<LifecycleLabels, Counter>::default();
        let secret_rotations = Counter::default();
        let jira_requests = Family::<StatusLabels, Counter>::default();
        let db_ready = Gauge::default();
        let db_pool_connections = Family::<StateLabels, Gauge>::default();
        let db_query_duration =
            Family::<QueryLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let alerts_firing = Family::<RuleLabels, Gauge>::default();
        let alert_notifications = Family::<SinkLabels, Counter>::default();
        let forge_jwks_fetches = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "amj_http_requests",
            "HTTP requests answered, by method, route template and status class",
            http_requests.clone(),
        );
        registry.register(
            "amj_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route template",
            http_duration.clone(),
        );
        registry.register(
            "amj_auth_requests",
            "Authentication outcomes, by route kind and outcome (ok or the refusal's reason code)",
            auth_requests.clone(),
        );
        registry.register(
            "amj_lifecycle_events",
            "Lifecycle callbacks, by event and outcome (ok, refused, error = answered 5xx)",
            lifecycle_events.clone(),
        );
        registry.register(
            "amj_secret_rotations",
            "Verified installs that replaced a site's shared secret",
            secret_rotations.clone(),
        );
        registry.register(
            "amj_jira_requests",
            "Calls from the app to Jira, by status (2xx, 401, 4xx, 5xx, error = no answer)",
            jira_requests.clone(),
        );
        registry.register(
            "amj_db_ready",
            "1 when the last readiness check reached the database, else 0",
            db_ready.clone(),
        );
        registry.register(
            "amj_db_pool_connections",
            "Database pool connections, by state (idle, in_use)",
            db_pool_connections.clone(),
        );
        registry.register(
            "amj_db_query_duration_seconds",
            "Database query latency, by query (ping, aql)",
            db_query_duration.clone(),
        );
        registry.register(
            "amj_alerts_firing",
            "Alerts of each built-in rule firing now; per-site rules count sites",
            alerts_firing.clone(),
        );
        registry.register(
            "amj_alert_notifications",
            "Alert notifications sent, by sink and outcome",
            alert_notifications.clone(),
        );
        registry.register(
            "amj_forge_jwks_fetches",
            "Fetches of Forge's signing keys (JWKS), by outcome (ok, failed)",
            forge_jwks_fetches.clone(),
        );
        for outcome in ["ok", "failed"] {
            let _ = forge_jwks_fetches.get_or_create(&OutcomeLabels { outcome });
        }
        registry.register_collector(Box::new(KeyFetchCollector(keys)));
        // Series that alerts compute `increase()` over exist from the start at zero, so the first
        // failure after a restart is an increase Prometheus can see.
        for route_kind in amj_connect::RouteKind::ALL {
            for outcome in
                std::iter::once("ok").chain(amj_connect::AuthReason::ALL.iter().map(|r| r.code()))
            {
                let _ = auth_requests.get_or_create(&AuthLabels {
                    route_kind: route_kind.label(),
                    outcome,
                });
            }
        }
        for event in ["installed", "uninstalled", "enabled", "disabled"] {
            for outcome in ["ok", "refused", "error"] {
                let _ = lifecycle_events.get_or_create(&LifecycleLabels { event, outcome });
            }
        }
        for status in ["2xx", "401", "4xx", "5xx", "error"] {
            let _ = jira_requests.get_or_create(&StatusLabels { status });
        }
        for sink in ["log", "webhook", "slack", "pagerduty"] {
            for outcome in ["ok", "failed"] {
                let _ = alert_notifications.get_or_create(&SinkLabels { sink, outcome });
            }
        }
        Self {
            registry,
            http_requests,
            http_duration,
            auth_requests,
            lifecycle_events,
            secret_rotations,
            jira_requests,
            db_ready,
            db_pool_connections,
            db_query_duration,
            alerts_firing,
            alert_notifications,
            forge_jwks_fetches,
        }
    }

    /// Brings the JWKS fetch counters up to the key set's totals.
    pub fn set_jwks_fetches(&self, fetched: u64, failed: u64) {
        for (outcome, total) in [("ok", fetched), ("failed", failed)] {
            let counter = self
                .forge_jwks_fetches
                .get_or_create(&OutcomeLabels { outcome });
            let held = counter.get();
            if total > held {
                counter.inc_by(total - held);
            }
        }
    }

    /// The OpenMetrics text exposition, which Prometheus scrapes.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    pub fn record_http(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = match status {
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            500..=599 => "5xx",
            _ => "1xx",
        };
        self.http_requests
            .get_or_create(&HttpLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// `status` is `None` when Jira never answered.
    pub fn record_jira(&self, status: Option<u16>) {
        let status = match status {
            Some(200..=299) => "2xx",
            Some(401) => "401",
            Some(400..=499) => "4xx",
            Some(500..=599) => "5xx",
            Some(_) => "other",
            None => "error",
        };
        self.jira_requests
            .get_or_create(&StatusLabels { status })
            .inc();
    }

    pub fn record_query(&self, query: &'static str, seconds: f64) {
        self.db_query_duration
            .get_or_create(&QueryLabels { query })
            .observe(seconds);
    }

    pub fn set_pool(&self, idle: usize, in_use: usize) {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.db_pool_connections
            .get_or_create(&StateLabels { state: "idle" })
            .set(gauge(idle));
        self.db_pool_connections
            .get_or_create(&StateLabels { state: "in_use" })
            .set(gauge(in_use));
    }
}

/// Install-key fetches are counted inside the key store (a platform crate with no metrics of its
/// own); this reads its counters at each scrape.
struct KeyFetchCollector(Arc<dyn InstallKeyStore>);

impl std::fmt::Debug for KeyFetchCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyFetchCollector")
    }
}

impl Collector for KeyFetchCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let Some(stats) = self.0.fetch_stats() else {
            return Ok(());
        };
        let mut family = encoder.encode_descriptor(
            "amj_install_key_fetches",
            "Install-key fetches from the key server, by outcome (ok, not_found, failed)",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for (outcome, value) in [
            ("ok", stats.fetched.load(Relaxed)),
            ("not_found", stats.not_found.load(Relaxed)),
            ("failed", stats.failed.load(Relaxed)),
        ] {
            let labels = [("outcome", outcome)];
            ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
