//! The operations loop: every few seconds it checks the database, evaluates the alert rules,
//! notifies the sinks of what fired or resolved, and opens or resolves the status page's
//! incidents. Tests and drills call [`Watch::tick`] directly, under a manual clock.

use super::monitor::Monitor;
use super::notify::{self, Payload};
use amj_ops::alerts::{Rule, Transition};
use amj_ops::status::{IncidentStatus, alert_incident, alert_update_message};
use amj_store::Store;
use amj_store::incidents::NewIncident;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::{Duration, Instant};

pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";
/// The alert rule name of the incident `amj probe --status-database-url` keeps open while it fails.
pub const PROBE_INCIDENT_RULE: &str = "synthetic_probe";
/// A Forge installation with no invocation at all (UI call, event or trigger) for this long is
/// taken as uninstalled and marked dormant; the next valid invocation wakes it.
pub const FORGE_DORMANT_AFTER_MS: i64 = 24 * 3_600_000;
/// How often the watch reads every Forge installation's health (one query over all of them).
pub const FORGE_CHECK_EVERY_MS: i64 = 60_000;

/// Where alerts go besides the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// Our own JSON body, POSTed.
    Webhook(String),
    /// A Slack-compatible incoming webhook.
    Slack(String),
    /// PagerDuty Events API v2.
    PagerDuty { routing_key: String, url: String },
}

impl Sink {
    fn label(&self) -> &'static str {
        match self {
            Sink::Webhook(_) => "webhook",
            Sink::Slack(_) => "slack",
            Sink::PagerDuty { .. } => "pagerduty",
        }
    }
}

/// What one tick saw and did, for tests and the log.
#[derive(Debug, Default)]
pub struct TickReport {
    pub database_ready: bool,
    pub transitions: Vec<Transition>,
    /// Sink deliveries that failed, as `sink: error`.
    pub delivery_failures: Vec<String>,
}

pub struct Watch {
    store: Store,
    monitor: Arc<Monitor>,
    sinks: Vec<Sink>,
    /// Names this deployment in PagerDuty events.
    source: String,
    http: reqwest::Client,
    pub every: Duration,
    last_tick_at: AtomicI64,
    last_prune_hour: AtomicI64,
    /// When the Forge installations were last read (ops clock): their rules work in minutes and
    /// hours, so once a minute is enough, whatever `every` is.
    last_forge_at: AtomicI64,
    /// Serialises ticks: the background loop and a test's manual tick never interleave.
    running: tokio::sync::Mutex<()>,
}

impl Watch {
    pub fn new(
        store: Store,
        monitor: Arc<Monitor>,
        sinks: Vec<Sink>,
        source: String,
        every: Duration,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("amj/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            store,
            monitor,
            sinks,
            source,
            http,
            every,
            last_tick_at: AtomicI64::new(0),
            last_prune_hour: AtomicI64::new(0),
            last_forge_at: AtomicI64::new(0),
            running: tokio::sync::Mutex::new(()),
        })
    }

    /// When the last tick finished, by the operations clock.
    pub fn last_tick_at(&self) -> Option<i64> {
        Some(self.last_tick_at.load(Relaxed)).filter(|at| *at > 0)
    }

    /// Runs ticks forever, at `every`. The first runs at once so readiness is known early.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(self.every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let report = self.tick().await;
                for failure in &report.delivery_failures {
                    tracing::warn!(failure, "alert notification failed");
                }
            }
        })
    }

    pub async fn tick(&self) -> TickReport {
        let _running = self.running.lock().await;
        let mut report = TickReport::default();
        let started = Instant::now();
        let ping = tokio::time::timeout(Duration::from_secs(5), self.store.ping()).await;
        report.database_ready = matches!(ping, Ok(Ok(())));
        self.monitor
            .metrics
            .record_query("ping", started.elapsed().as_secs_f64());
        self.monitor.readiness(report.database_ready);
        let (idle, in_use) = self.store.pool_usage();
        self.monitor.metrics.set_pool(idle, in_use);
        self.monitor.collect_key_fetches();
        self.monitor.collect_jwks_fetches();
        if report.database_ready {
            self.observe_probe().await;
            self.observe_forge().await;
        }
        if report.database_ready {
            self.save_auth_counts().await;
        }
        report.transitions = self.monitor.evaluate();
        for transition in &report.transitions {
            notify::log(transition);
            self.monitor
                .metrics
                .alert_notifications
                .get_or_create(&amj_ops::metrics::SinkLabels {
                    sink: "log",
                    outcome: "ok",
                })
                .inc();
            for sink in &self.sinks {
                let outcome = self.deliver(sink, transition).await;
                self.monitor
                    .metrics
                    .alert_notifications
                    .get_or_create(&amj_ops::metrics::SinkLabels {
                        sink: sink.label(),
                        outcome: if outcome.is_ok() { "ok" } else { "failed" },
                    })
                    .inc();
                if let Err(e) = outcome {
                    report
                        .delivery_failures
                        .push(format!("{}: {e}", sink.label()));
                }
            }
            if report.database_ready
                && let Err(e) = self.record_incident(transition).await
            {
                tracing::warn!(error = %e, "could not update the status page's incidents");
            }
        }
        self.last_tick_at
            .store(self.monitor.clock.now_millis(), Relaxed);
        report
    }

    /// Passes the Forge installations' health to the evaluator, and marks dormant those silent
    /// for longer than [`FORGE_DORMANT_AFTER_MS`] (Forge sends no reliable uninstall event).
    async fn observe_forge(&self) {
        let tick_at = self.monitor.clock.now_millis();
        if tick_at - self.last_forge_at.load(Relaxed) < FORGE_CHECK_EVERY_MS {
            return;
        }
        self.last_forge_at.store(tick_at, Relaxed);
        let now = amj_store::now_millis();
        let health = match self.store.forge_health().await {
            Ok(health) => health,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the Forge installations' health");
                return;
            }
        };
        let mut installations = Vec::with_capacity(health.len());
        for h in health {
            let last_active = h.last_seen_at.max(h.last_trigger_at.unwrap_or(0));
            let mut dormant = h.dormant;
            if !dormant && now - last_active > FORGE_DORMANT_AFTER_MS {
                match self
                    .store
                    .mark_forge_dormant(&h.installation_id, "no_invocation_for_a_day")
                    .await
                {
                    Ok(_) => dormant = true,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not mark a silent Forge installation dormant")
                    }
                }
            }
            installations.push(amj_ops::alerts::ForgeInstallationHealth {
                site: amj_ops::alerts::Site {
                    id: amj_domain::ids::TenantId(h.tenant_id),
                    name: h.site_name,
                },
                installation_id: h.installation_id,
                first_seen_at: h.first_seen_at,
                last_active_at: last_active,
                last_trigger_at: h.last_trigger_at,
                token_expires_at: h.system_token_exp,
                dormant,
                link_missing: h.link_missing,
            });
        }
        self.monitor.forge_installations(installations);
        match self
            .store
            .prune_forge_events(now - amj_store::forge::FORGE_EVENT_KEEP_MS)
            .await
        {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "dropped Forge events applied over a week ago"),
            Err(e) => tracing::warn!(error = %e, "could not drop old Forge events"),
        }
    }

    /// Writes the per-site counts gathered since the last tick, and once an hour drops those
    /// older than a week.
    async fn save_auth_counts(&self) {
        let counts = self.monitor.take_auth_counts();
        if !counts.is_empty()
            && let Err(e) = self.store.add_auth_counts(&counts).await
        {
            tracing::warn!(error = %e, "could not save per-site auth counts; keeping them for the next tick");
            self.monitor.restore_auth_counts(counts);
        }
        let hour = self
            .monitor
            .clock
            .now_millis()
            .div_euclid(amj_store::auth_history::HOUR_MILLIS);
        if self.last_prune_hour.swap(hour, Relaxed) != hour {
            if let Err(e) = self.store.prune_auth_counts(hour).await {
                tracing::warn!(error = %e, "could not prune old per-site auth counts");
            }
            // Keys answer retries for a day; the verbs only ever delete their own.
            match self.store.prune_idempotency_keys().await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "dropped idempotency keys over a day old"),
                Err(e) => tracing::warn!(error = %e, "could not drop old idempotency keys"),
            }
        }
    }

    async fn deliver(&self, sink: &Sink, transition: &Transition) -> Result<(), String> {
        let (url, body) = match sink {
            Sink::Webhook(url) => (url, Payload::Webhook(notify::webhook_payload(transition))),
            Sink::Slack(url) => (url, Payload::Slack(notify::slack_payload(transition))),
            Sink::PagerDuty { routing_key, url } => (
                url,
                Payload::PagerDuty(notify::pagerduty_payload(
                    transition,
                    routing_key,
                    &self.source,
                )),
            ),
        };
        // One retry: a sink that drops a single request should not lose an alert.
        let mut last_error = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            match self.http.post(url).json(&body).send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => last_error = format!("HTTP {}", response.status()),
                Err(e) => last_error = e.without_url().to_string(),
            }
        }
        Err(last_error)
    }

    /// The probe reports through the shared database (`amj probe --status-database-url` keeps an
    /// open incident while it fails); this turns that into an alert, so it reaches the sinks.
    async fn observe_probe(&self) {
        let failing = match self.store.open_alert_incident(PROBE_INCIDENT_RULE).await {
            Ok(Some(id)) => match self.store.incident(id).await {
                Ok(incident) => Some(
                    incident
                        .updates
                        .last()
                        .map_or_else(|| incident.title.clone(), |u| u.message.clone()),
                ),
                Err(_) => Some(String::from("see the status page")),
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the synthetic probe's state");
                return;
            }
        };
        self.monitor.probe(failing);
    }

    /// Alerts open one public incident per rule, and resolve it when no alert of the rule is
    /// left. Sites are counted, never named: the page is public.
    async fn record_incident(&self, transition: &Transition) -> Result<(), amj_store::StoreError> {
        let now = self.monitor.clock.now_millis();
        let (rule, fired) = match transition {
            Transition::Fired(alert) => (alert.key.rule, true),
            Transition::Resolved { alert, .. } => (alert.key.rule, false),
        };
        if rule == Rule::SyntheticProbeFailing {
            // The probe keeps its own incident; a second one would say the same thing twice.
            return Ok(());
        }
        let firing = self.firing(rule);
        let message = alert_update_message(rule, firing, fired);
        let open = self.store.open_alert_incident(rule.code()).await?;
        match (open, fired) {
            (Some(id), true) => {
                self.store
                    .update_incident(id, IncidentStatus::Investigating, &message, now)
                    .await?;
            }
            (None, true) => {
                let public = alert_incident(rule);
                let opened = self
                    .store
                    .open_incident(
                        &NewIncident {
                            title: public.title,
                            impact: public.impact,
                            component: public.component,
                            status: IncidentStatus::Investigating,
                            message: &message,
                            alert_rule: Some(rule.code()),
                        },
                        now,
                    )
                    .await?;
                if opened.is_some() {
                    tracing::info!(rule = rule.code(), "opened a status page incident");
                }
            }
            (Some(id), false) => {
                let status = if firing == 0 {
                    IncidentStatus::Resolved
                } else {
                    IncidentStatus::Monitoring
                };
                self.store
                    .update_incident(id, status, &message, now)
                    .await?;
            }
            (None, false) => {}
        }
        Ok(())
    }

    fn firing(&self, rule: Rule) -> usize {
        self.monitor
            .active_alerts()
            .iter()
            .filter(|a| a.key.rule == rule)
            .count()
    }
}
