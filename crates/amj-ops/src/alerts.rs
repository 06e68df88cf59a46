//! The built-in alert evaluator: the rules that would have caught March 2022 within minutes,
//! without a Prometheus server.
//!
//! The evaluator is fed observations (requests and their auth outcome, secret rotations,
//! install-key fetches, readiness checks, lifecycle answers) with their time, and is asked to
//! evaluate at a time. Time is always passed in, never read from a clock, so the incident drill
//! can run a day of simulated minutes in a second and every rule is testable at its edges.
//!
//! Memory is bounded: per site it keeps one counter pair per minute of the longest window, and
//! at most [`MAX_TRACKED_SITES`] sites (the least recently seen are dropped first). Nothing here
//! becomes a Prometheus label.
//!
//! Each alert fires once, stays active while its condition holds, and resolves once: the
//! notifier gets exactly one `Fired` and one `Resolved` per incident.

use amj_domain::ids::TenantId;
use std::collections::{BTreeMap, HashMap, VecDeque};

pub const MINUTE_MILLIS: i64 = 60_000;
/// The per-site memory bound: beyond it the sites seen least recently are forgotten.
pub const MAX_TRACKED_SITES: usize = 100_000;
/// The global baseline covers a day (the Prometheus rule's `[1d]`).
pub const BASELINE_MINUTES: i64 = 24 * 60;

/// Thresholds, from configuration. The defaults are the ones the runbook explains.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertConfig {
    /// A site's auth failure ratio above this (0–1) over `site_window_minutes` fires
    /// [`Rule::SiteAuthFailures`], when the site made at least `site_min_requests` requests.
    pub site_failure_ratio: f64,
    pub site_window_minutes: i64,
    pub site_min_requests: u64,
    /// After a secret rotation, a site whose requests keep arriving but none succeeds for this
    /// long fires [`Rule::SiteSilentAfterRotation`].
    pub rotation_grace_minutes: i64,
    /// The global 401 ratio over `global_window_minutes` above `global_factor` times its 24-hour
    /// baseline (and above `global_min_ratio`) fires [`Rule::GlobalAuthFailureSpike`], with at
    /// least `global_min_requests` requests in the window.
    pub global_factor: f64,
    pub global_window_minutes: i64,
    pub global_min_requests: u64,
    pub global_min_ratio: f64,
    /// This many install-key fetch failures within `key_window_minutes` fires
    /// [`Rule::InstallKeyFetchFailures`].
    pub key_failures: u64,
    pub key_window_minutes: i64,
    /// Readiness failing continuously for this long fires [`Rule::DatabaseNotReady`].
    pub database_down_minutes: i64,
    /// A lifecycle callback answered 5xx within this window fires [`Rule::LifecycleServerError`]
    /// for the site; it resolves when the window has passed without another.
    pub lifecycle_window_minutes: i64,
    /// This many Forge JWKS fetch failures within `key_window_minutes` fires
    /// [`Rule::ForgeJwksFetchFailing`].
    pub jwks_failures: u64,
    /// A Forge installation active within `forge_token_grace_minutes` that holds no valid system
    /// token fires [`Rule::ForgeTokenMissing`]; one whose scheduled trigger has not run for
    /// `forge_trigger_silent_minutes` fires [`Rule::ForgeTriggerSilent`].
    pub forge_token_grace_minutes: i64,
    pub forge_trigger_silent_minutes: i64,
    /// Where `docs/RUNBOOK.md` is published; alerts link to its sections.
    pub runbook_url: String,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            site_failure_ratio: 0.5,
            site_window_minutes: 5,
            site_min_requests: 5,
            rotation_grace_minutes: 5,
            global_factor: 5.0,
            global_window_minutes: 5,
            global_min_requests: 50,
            global_min_ratio: 0.05,
            key_failures: 3,
            key_window_minutes: 10,
            database_down_minutes: 1,
            lifecycle_window_minutes: 15,
            jwks_failures: 3,
            forge_token_grace_minutes: 60,
            forge_trigger_silent_minutes: 180,
            runbook_url: "docs/RUNBOOK.md".to_owned(),
        }
    }
}

/// The alert rules. Each has a stable code (the variant's name in snake_case) and a section of the
/// runbook.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::IntoStaticStr, strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Rule {
    SiteAuthFailures,
    SiteSilentAfterRotation,
    GlobalAuthFailureSpike,
    InstallKeyFetchFailures,
    DatabaseNotReady,
    LifecycleServerError,
    /// `amj probe --status-database-url` reports two failed runs in a row.
    SyntheticProbeFailing,
    /// Forge's signing keys cannot be fetched: a key rotation now would lock Forge sites out.
    ForgeJwksFetchFailing,
    /// An active Forge installation holds no valid system token: background work for the site
    /// (issue properties, permission checks) cannot reach Jira.
    ForgeTokenMissing,
    /// A Forge installation's hourly scheduled trigger has stopped.
    ForgeTriggerSilent,
    /// A site reached through Forge has a tenant apart from its Connect tenant: its Forge users
    /// see none of the Connect data.
    ForgeLinkMissing,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: [Rule; 11] = [
        Rule::SiteAuthFailures,
        Rule::SiteSilentAfterRotation,
        Rule::GlobalAuthFailureSpike,
        Rule::InstallKeyFetchFailures,
        Rule::DatabaseNotReady,
        Rule::LifecycleServerError,
        Rule::SyntheticProbeFailing,
        Rule::ForgeJwksFetchFailing,
        Rule::ForgeTokenMissing,
        Rule::ForgeTriggerSilent,
        Rule::ForgeLinkMissing,
    ];

    pub fn code(self) -> &'static str {
        self.into()
    }

    /// The runbook section's anchor (its heading, as GitHub renders anchors).
    pub fn runbook_anchor(self) -> &'static str {
        self.code()
    }

    /// `critical` pages someone; `warning` does not.
    pub fn severity(self) -> &'static str {
        match self {
            Rule::SiteAuthFailures
            | Rule::SiteSilentAfterRotation
            | Rule::GlobalAuthFailureSpike
            | Rule::DatabaseNotReady
            | Rule::SyntheticProbeFailing
            | Rule::ForgeLinkMissing => "critical",
            Rule::InstallKeyFetchFailures
            | Rule::LifecycleServerError
            | Rule::ForgeJwksFetchFailing
            | Rule::ForgeTokenMissing
            | Rule::ForgeTriggerSilent => "warning",
        }
    }
}

/// Something that happened, at `at` (epoch milliseconds).
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// An authenticated (or refused) request to the app. `site` is `None` when the token named
    /// no known site.
    Request {
        site: Option<Site>,
        /// Authenticated (`true`), or refused as unauthenticated (`false`).
        ok: bool,
        at: i64,
    },
    /// A verified install replaced the site's shared secret.
    SecretRotated {
        site: Site,
        at: i64,
    },
    InstallKeyFetch {
        ok: bool,
        at: i64,
    },
    Readiness {
        ready: bool,
        at: i64,
    },
    /// What the synthetic probe last reported (through the shared database): its failing step,
    /// or `None` when it passes.
    Probe {
        failing: Option<String>,
        at: i64,
    },
    /// A lifecycle callback and the status the app answered.
    Lifecycle {
        site: Site,
        status: u16,
        at: i64,
    },
    /// A fetch of Forge's signing keys.
    JwksFetch {
        ok: bool,
        at: i64,
    },
    /// The Forge installations as the store holds them now: replaces the previous snapshot.
    ForgeInstallations {
        installations: Vec<ForgeInstallationHealth>,
    },
}

/// What the alert rules need to know of one Forge installation. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ForgeInstallationHealth {
    pub site: Site,
    pub installation_id: String,
    pub first_seen_at: i64,
    /// The last invocation of any kind (UI call, event or trigger).
    pub last_active_at: i64,
    pub last_trigger_at: Option<i64>,
    /// When the stored system token expires; `None` without one.
    pub token_expires_at: Option<i64>,
    pub dormant: bool,
    /// The site's Forge tenant is apart from a Connect tenant of the same site.
    pub link_missing: bool,
}

/// A site as alerts name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Site {
    pub id: TenantId,
    /// The base URL, for people.
    pub name: String,
}

/// Which alert: a rule, for one site or for the whole deployment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertKey {
    pub rule: Rule,
    pub site: Option<TenantId>,
}

impl AlertKey {
    /// Stable across instances and restarts: sinks such as PagerDuty deduplicate on it.
    pub fn dedup_key(&self) -> String {
        match self.site {
            Some(site) => format!("amj:{}:site-{}", self.rule.code(), site.0),
            None => format!("amj:{}", self.rule.code()),
        }
    }
}

/// An alert that is firing.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub key: AlertKey,
    pub site_name: Option<String>,
    pub summary: String,
    pub started_at: i64,
    pub runbook: String,
}

/// What the notifier is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Fired(Alert),
    Resolved { alert: Alert, at: i64 },
}

/// Counts of one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Minute {
    minute: i64,
    ok: u64,
    failed: u64,
}

/// Per-minute counts, oldest first, at most `keep` minutes.
#[derive(Debug, Clone, Default)]
struct Window {
    minutes: VecDeque<Minute>,
}

impl Window {
    fn add(&mut self, at: i64, ok: bool, keep: i64) {
        let minute = at.div_euclid(MINUTE_MILLIS);
        match self.minutes.back_mut() {
            Some(last) if last.minute == minute => {}
            Some(last) if last.minute > minute => {
                // A late observation: count it in its own minute if still kept.
                if let Some(slot) = self.minutes.iter_mut().find(|m| m.minute == minute) {
                    bump(slot, ok);
                }
                return;
            }
            _ => self.minutes.push_back(Minute {
                minute,
                ..Minute::default()
            }),
        }
        if let Some(last) = self.minutes.back_mut() {
            bump(last, ok);
        }
        self.prune(minute, keep);
    }

    fn prune(&mut self, current_minute: i64, keep: i64) {
        while self
            .minutes
            .front()
            .is_some_and(|m| m.minute <= current_minute - keep)
        {
            self.minutes.pop_front();
        }
    }

    /// (ok, failed) over the `span` minutes ending with the minute of `now`.
    fn totals(&self, now: i64, span: i64) -> (u64, u64) {
        let current = now.div_euclid(MINUTE_MILLIS);
        self.minutes
            .iter()
            .filter(|m| m.minute > current - span && m.minute <= current)
            .fold((0, 0), |(ok, failed), m| (ok + m.ok, failed + m.failed))
    }
}

fn bump(minute: &mut Minute, ok: bool) {
    if ok {
        minute.ok += 1;
    } else {
        minute.failed += 1;
    }
}

#[derive(Debug, Clone, Default)]
struct SiteState {
    name: String,
    requests: Window,
    last_seen: i64,
    /// The last rotation, with what happened since: (at, successes, requests).
    rotation: Option<(i64, u64, u64)>,
    last_lifecycle_5xx: Option<(i64, u16)>,
}

/// The evaluator. Feed it with [`AlertEvaluator::observe`], ask it with
/// [`AlertEvaluator::evaluate`].
#[derive(Debug)]
pub struct AlertEvaluator {
    config: AlertConfig,
    sites: HashMap<TenantId, SiteState>,
    global: Window,
    key_fetches: Window,
    /// Since when readiness has failed without a success in between.
    not_ready_since: Option<i64>,
    /// The synthetic probe's failure, while it lasts.
    probe_failing: Option<String>,
    jwks_fetches: Window,
    forge: Vec<ForgeInstallationHealth>,
    active: BTreeMap<AlertKey, Alert>,
}

impl AlertEvaluator {
    pub fn new(config: AlertConfig) -> Self {
        Self {
            config,
            sites: HashMap::new(),
            global: Window::default(),
            key_fetches: Window::default(),
            not_ready_since: None,
            probe_failing: None,
            jwks_fetches: Window::default(),
            forge: Vec::new(),
            active: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> &AlertConfig {
        &self.config
    }

    /// The alerts firing now, in a stable order.
    pub fn active(&self) -> impl Iterator<Item = &Alert> {
        self.active.values()
    }

    pub fn tracked_sites(&self) -> usize {
        self.sites.len()
    }

    fn site_mut(&mut self, site: &Site, at: i64) -> &mut SiteState {
        if !self.sites.contains_key(&site.id) && self.sites.len() >= MAX_TRACKED_SITES {
            // Forget the site seen least recently (an O(n) scan, only when the map is full).
            if let Some(oldest) = self
                .sites
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(id, _)| *id)
            {
                self.sites.remove(&oldest);
            }
        }
        let state = self.sites.entry(site.id).or_default();
        state.name.clone_from(&site.name);
        state.last_seen = state.last_seen.max(at);
        state
    }

    pub fn observe(&mut self, observation: Observation) {
        let keep_site = self.config.site_window_minutes.max(1);
        let keep_global = BASELINE_MINUTES + self.config.global_window_minutes;
        let keep_keys = self.config.key_window_minutes.max(1);
        match observation {
            Observation::Request { site, ok, at } => {
                self.global.add(at, ok, keep_global);
                if let Some(site) = site {
                    let state = self.site_mut(&site, at);
                    state.requests.add(at, ok, keep_site);
                    if let Some((rotated_at, successes, requests)) = &mut state.rotation
                        && at >= *rotated_at
                    {
                        *requests += 1;
                        if ok {
                            *successes += 1;
                        }
                    }
                }
            }
            Observation::SecretRotated { site, at } => {
                self.site_mut(&site, at).rotation = Some((at, 0, 0));
            }
            Observation::InstallKeyFetch { ok, at } => {
                // Only failures matter; successes are not kept.
                if !ok {
                    self.key_fetches.add(at, false, keep_keys);
                }
            }
            Observation::Readiness { ready, at } => {
                if ready {
                    self.not_ready_since = None;
                } else {
                    self.not_ready_since.get_or_insert(at);
                }
            }
            Observation::Probe { failing, .. } => {
                self.probe_failing = failing;
            }
            Observation::Lifecycle { site, status, at } => {
                if status >= 500 {
                    self.site_mut(&site, at).last_lifecycle_5xx = Some((at, status));
                }
            }
            Observation::JwksFetch { ok, at } => {
                if !ok {
                    self.jwks_fetches.add(at, false, keep_keys);
                }
            }
            Observation::ForgeInstallations { installations } => {
                self.forge = installations;
            }
        }
    }

    /// Evaluates every rule at `now` and returns what changed since the last evaluation.
    pub fn evaluate(&mut self, now: i64) -> Vec<Transition> {
        let mut firing: BTreeMap<AlertKey, (Option<String>, String)> = BTreeMap::new();
        let c = &self.config;
        for (id, state) in &self.sites {
            let site = Some(*id);
            let (ok, failed) = state.requests.totals(now, c.site_window_minutes);
            let total = ok + failed;
            if total >= c.site_min_requests && total > 0 {
                let ratio = failed as f64 / total as f64;
                if ratio > c.site_failure_ratio {
                    firing.insert(
                        AlertKey {
                            rule: Rule::SiteAuthFailures,
                            site,
                        },
                        (
                            Some(state.name.clone()),
                            format!(
                                "{}: {failed} of {total} requests failed authentication in the last {} minutes",
                                state.name, c.site_window_minutes
                            ),
                        ),
                    );
                }
            }
            if let Some((rotated_at, successes, requests)) = state.rotation
                && successes == 0
                && requests > 0
                && now - rotated_at >= c.rotation_grace_minutes * MINUTE_MILLIS
            {
                firing.insert(
                    AlertKey {
                        rule: Rule::SiteSilentAfterRotation,
                        site,
                    },
                    (
                        Some(state.name.clone()),
                        format!(
                            "{}: no request has succeeded in the {} minutes since its secret was rotated ({requests} arrived)",
                            state.name,
                            (now - rotated_at) / MINUTE_MILLIS
                        ),
                    ),
                );
            }
            if let Some((at, status)) = state.last_lifecycle_5xx
                && now - at < c.lifecycle_window_minutes * MINUTE_MILLIS
            {
                firing.insert(
                    AlertKey {
                        rule: Rule::LifecycleServerError,
                        site,
                    },
                    (
                        Some(state.name.clone()),
                        format!("{}: a lifecycle callback was answered {status}", state.name),
                    ),
                );
            }
        }
        if let Some(summary) = self.global_spike(now) {
            firing.insert(
                AlertKey {
                    rule: Rule::GlobalAuthFailureSpike,
                    site: None,
                },
                (None, summary),
            );
        }
        let (_, key_failures) = self.key_fetches.totals(now, c.key_window_minutes);
        if key_failures >= c.key_failures {
            firing.insert(
                AlertKey {
                    rule: Rule::InstallKeyFetchFailures,
                    site: None,
                },
                (
                    None,
                    format!(
                        "{key_failures} install-key fetches failed in the last {} minutes: installs cannot be verified",
                        c.key_window_minutes
                    ),
                ),
            );
        }
        if let Some(since) = self.not_ready_since
            && now - since >= c.database_down_minutes * MINUTE_MILLIS
        {
            firing.insert(
                AlertKey {
                    rule: Rule::DatabaseNotReady,
                    site: None,
                },
                (
                    None,
                    format!(
                        "the database has not been ready for {} minutes",
                        (now - since) / MINUTE_MILLIS
                    ),
                ),
            );
        }

        let (_, jwks_failures) = self.jwks_fetches.totals(now, c.key_window_minutes);
        if jwks_failures >= c.jwks_failures {
            firing.insert(
                AlertKey {
                    rule: Rule::ForgeJwksFetchFailing,
                    site: None,
                },
                (
                    None,
                    format!(
                        "{jwks_failures} fetches of Forge's signing keys failed in the last {} minutes: a key rotation now would refuse Forge calls",
                        c.key_window_minutes
                    ),
                ),
            );
        }
        for (key, value) in forge_alerts(&self.forge, c, now) {
            firing.entry(key).or_insert(value);
        }

        if let Some(failing) = &self.probe_failing {
            firing.insert(
                AlertKey {
                    rule: Rule::SyntheticProbeFailing,
                    site: None,
                },
                (None, format!("the synthetic probe is failing: {failing}")),
            );
        }

        let mut transitions = Vec::new();
        let resolved: Vec<AlertKey> = self
            .active
            .keys()
            .filter(|k| !firing.contains_key(k))
            .cloned()
            .collect();
        for key in resolved {
            if let Some(alert) = self.active.remove(&key) {
                transitions.push(Transition::Resolved { alert, at: now });
            }
        }
        for (key, (site_name, summary)) in firing {
            if let Some(active) = self.active.get_mut(&key) {
                // Still firing: keep the first start, refresh the numbers.
                active.summary = summary;
                continue;
            }
            let alert = Alert {
                runbook: format!("{}#{}", self.config.runbook_url, key.rule.runbook_anchor()),
                key: key.clone(),
                site_name,
                summary,
                started_at: now,
            };
            self.active.insert(key, alert.clone());
            transitions.push(Transition::Fired(alert));
        }
        transitions
    }

    /// The global 401 ratio of the last window against the day before it.
    fn global_spike(&self, now: i64) -> Option<String> {
        let c = &self.config;
        let (ok, failed) = self.global.totals(now, c.global_window_minutes);
        let total = ok + failed;
        if total < c.global_min_requests || total == 0 {
            return None;
        }
        let ratio = failed as f64 / total as f64;
        let (day_ok, day_failed) = self
            .global
            .totals(now, BASELINE_MINUTES + c.global_window_minutes);
        // The baseline excludes the window itself, so a spike cannot raise its own bar.
        let base_ok = day_ok - ok;
        let base_failed = day_failed - failed;
        let base_total = base_ok + base_failed;
        let baseline = if base_total == 0 {
            0.0
        } else {
            base_failed as f64 / base_total as f64
        };
        (ratio > c.global_min_ratio && ratio > c.global_factor * baseline).then(|| {
            format!(
                "{:.1}% of requests failed authentication in the last {} minutes, against {:.2}% over the day before",
                ratio * 100.0,
                c.global_window_minutes,
                baseline * 100.0
            )
        })
    }
}

/// The per-site Forge rules over the latest installation snapshot. A site with several
/// installations fires once per rule.
fn forge_alerts(
    installations: &[ForgeInstallationHealth],
    c: &AlertConfig,
    now: i64,
) -> Vec<(AlertKey, (Option<String>, String))> {
    let mut out = Vec::new();
    for i in installations.iter().filter(|i| !i.dormant) {
        let site = Some(i.site.id);
        let name = Some(i.site.name.clone());
        let token_valid = i.token_expires_at.is_some_and(|exp| exp > now);
        let established = now - i.first_seen_at >= c.forge_token_grace_minutes * MINUTE_MILLIS;
        let active = now - i.last_active_at < c.forge_token_grace_minutes * MINUTE_MILLIS;
        if !token_valid && established && active {
            out.push((
                AlertKey {
                    rule: Rule::ForgeTokenMissing,
                    site,
                },
                (
                    name.clone(),
                    format!(
                        "{}: active in the last {} minutes but holds no valid system token (installation {})",
                        i.site.name, c.forge_token_grace_minutes, i.installation_id
                    ),
                ),
            ));
        }
        let last_trigger = i.last_trigger_at.unwrap_or(i.first_seen_at);
        if now - last_trigger >= c.forge_trigger_silent_minutes * MINUTE_MILLIS {
            out.push((
                AlertKey {
                    rule: Rule::ForgeTriggerSilent,
                    site,
                },
                (
                    name.clone(),
                    format!(
                        "{}: no scheduled trigger for {} minutes (installation {})",
                        i.site.name,
                        (now - last_trigger) / MINUTE_MILLIS,
                        i.installation_id
                    ),
                ),
            ));
        }
        if i.link_missing {
            out.push((
                AlertKey {
                    rule: Rule::ForgeLinkMissing,
                    site,
                },
                (
                    name,
                    format!(
                        "{}: Forge installation {} has a tenant apart from the site's Connect tenant",
                        i.site.name, i.installation_id
                    ),
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod forge_tests {
    use super::*;

    const T0: i64 = 1_795_516_200_000;

    fn health(site: i64) -> ForgeInstallationHealth {
        ForgeInstallationHealth {
            site: Site {
                id: TenantId(site),
                name: format!("https://site{site}.atlassian.net"),
            },
            installation_id: format!("ari:cloud:ecosystem::installation/{site}"),
            first_seen_at: T0,
            last_active_at: T0,
            last_trigger_at: Some(T0),
            token_expires_at: Some(T0 + 2 * 3_600_000),
            dormant: false,
            link_missing: false,
        }
    }

    fn fired(e: &mut AlertEvaluator, now: i64) -> Vec<(Rule, Option<i64>)> {
        e.evaluate(now)
            .into_iter()
            .filter_map(|t| match t {
                Transition::Fired(a) => Some((a.key.rule, a.key.site.map(|s| s.0))),
                Transition::Resolved { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_healthy_installation_fires_nothing() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        e.observe(Observation::ForgeInstallations {
            installations: vec![health(1)],
        });
        assert!(fired(&mut e, T0 + 30 * MINUTE_MILLIS).is_empty());
    }

    #[test]
    fn an_active_site_without_a_token_fires_after_the_grace() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        let mut h = health(1);
        h.token_expires_at = Some(T0 + 10 * MINUTE_MILLIS);
        h.last_active_at = T0 + 50 * MINUTE_MILLIS;
        e.observe(Observation::ForgeInstallations {
            installations: vec![h.clone()],
        });
        assert!(fired(&mut e, T0 + 59 * MINUTE_MILLIS).is_empty(), "grace");
        assert_eq!(
            fired(&mut e, T0 + 60 * MINUTE_MILLIS),
            [(Rule::ForgeTokenMissing, Some(1))]
        );
        // Dormant installations (uninstalled, as far as we know) never fire.
        h.dormant = true;
        e.observe(Observation::ForgeInstallations {
            installations: vec![h],
        });
        let resolved = e.evaluate(T0 + 61 * MINUTE_MILLIS);
        assert!(
            matches!(&resolved[..], [Transition::Resolved { alert, .. }] if alert.key.rule == Rule::ForgeTokenMissing)
        );
    }

    #[test]
    fn a_silent_trigger_and_a_missing_link_fire_per_site() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        let mut silent = health(1);
        silent.last_trigger_at = Some(T0);
        let mut unlinked = health(2);
        unlinked.link_missing = true;
        unlinked.last_trigger_at = Some(T0 + 179 * MINUTE_MILLIS);
        e.observe(Observation::ForgeInstallations {
            installations: vec![silent, unlinked],
        });
        let mut got = fired(&mut e, T0 + 180 * MINUTE_MILLIS);
        got.sort();
        // The token expired after 2 hours, but the sites were last active at T0: no token alert.
        assert_eq!(
            got,
            [
                (Rule::ForgeTriggerSilent, Some(1)),
                (Rule::ForgeLinkMissing, Some(2)),
            ]
        );
    }

    #[test]
    fn jwks_failures_fire_at_the_threshold() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        for n in 0..2 {
            e.observe(Observation::JwksFetch {
                ok: false,
                at: T0 + n,
            });
        }
        assert!(fired(&mut e, T0 + 10).is_empty());
        e.observe(Observation::JwksFetch {
            ok: false,
            at: T0 + 20,
        });
        assert_eq!(
            fired(&mut e, T0 + 30),
            [(Rule::ForgeJwksFetchFailing, None)]
        );
        // Ten minutes later the window is clean again.
        let resolved = e.evaluate(T0 + 11 * MINUTE_MILLIS);
        assert_eq!(resolved.len(), 1);
    }
}

#[cfg(test)]
mod probe_tests {
    use super::*;

    #[test]
    fn a_failing_probe_fires_once_and_resolves_when_it_passes() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        e.observe(Observation::Probe {
            failing: None,
            at: 0,
        });
        assert!(e.evaluate(60_000).is_empty());
        e.observe(Observation::Probe {
            failing: Some("page after rotation".into()),
            at: 60_000,
        });
        let fired = e.evaluate(120_000);
        assert!(
            matches!(&fired[..], [Transition::Fired(a)] if a.key.rule == Rule::SyntheticProbeFailing
            && a.summary.contains("page after rotation"))
        );
        assert!(e.evaluate(180_000).is_empty(), "fires once");
        e.observe(Observation::Probe {
            failing: None,
            at: 180_000,
        });
        let resolved = e.evaluate(240_000);
        assert!(
            matches!(&resolved[..], [Transition::Resolved { alert, .. }] if alert.key.rule == Rule::SyntheticProbeFailing)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// The codes name runbook sections and Prometheus alerts: renaming a variant must not change
    /// one unnoticed.
    #[test]
    fn rules_are_all_listed_and_codes_pinned() {
        assert_eq!(Rule::iter().collect::<Vec<_>>(), Rule::ALL);
        let codes: Vec<_> = Rule::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                "site_auth_failures",
                "site_silent_after_rotation",
                "global_auth_failure_spike",
                "install_key_fetch_failures",
                "database_not_ready",
                "lifecycle_server_error",
                "synthetic_probe_failing",
                "forge_jwks_fetch_failing",
                "forge_token_missing",
                "forge_trigger_silent",
                "forge_link_missing",
            ]
        );
    }

    const T0: i64 = 1_795_516_200_000;

    fn site(n: i64) -> Site {
        Site {
            id: TenantId(n),
            name: format!("https://site{n}.atlassian.net"),
        }
    }

    fn minutes(n: i64) -> i64 {
        T0 + n * MINUTE_MILLIS
    }

    fn requests(e: &mut AlertEvaluator, s: &Site, at: i64, ok: u64, failed: u64) {
        for i in 0..ok + failed {
            e.observe(Observation::Request {
                site: Some(s.clone()),
                ok: i < ok,
                at,
            });
        }
    }

    fn fired(transitions: &[Transition]) -> Vec<(Rule, Option<i64>)> {
        transitions
            .iter()
            .filter_map(|t| match t {
                Transition::Fired(a) => Some((a.key.rule, a.key.site.map(|s| s.0))),
                Transition::Resolved { .. } => None,
            })
            .collect()
    }

    fn resolved(transitions: &[Transition]) -> Vec<(Rule, Option<i64>)> {
        transitions
            .iter()
            .filter_map(|t| match t {
                Transition::Resolved { alert, .. } => {
                    Some((alert.key.rule, alert.key.site.map(|s| s.0)))
                }
                Transition::Fired(_) => None,
            })
            .collect()
    }

    #[test]
    fn site_failure_ratio_fires_above_the_threshold_with_enough_requests() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        let s = site(1);
        // 2 of 4 failed: a majority would be needed, and 4 < 5 requests anyway.
        requests(&mut e, &s, minutes(0), 2, 2);
        assert!(e.evaluate(minutes(0)).is_empty());
        // 2 of 5 failed: enough requests, but 40% is not above 50%.
        requests(&mut e, &s, minutes(0), 1, 0);
        assert!(e.evaluate(minutes(0)).is_empty());
        // Exactly 50%: not above.
        requests(&mut e, &s, minutes(1), 0, 1);
        assert!(e.evaluate(minutes(1)).is_empty());
        requests(&mut e, &s, minutes(1), 0, 1);
        let t = e.evaluate(minutes(1));
        assert_eq!(fired(&t), [(Rule::SiteAuthFailures, Some(1))]);
        let Transition::Fired(alert) = &t[0] else {
            unreachable!()
        };
        assert!(
            alert.summary.contains("4 of 7 requests"),
            "{}",
            alert.summary
        );
        assert_eq!(alert.runbook, "docs/RUNBOOK.md#site_auth_failures");
        assert_eq!(alert.key.dedup_key(), "amj:site_auth_failures:site-1");
        // Deduplicated while it holds.
        requests(&mut e, &s, minutes(2), 0, 3);
        assert!(e.evaluate(minutes(2)).is_empty());
        assert_eq!(e.active().count(), 1);
        // The window slides past the failures: resolved once.
        requests(&mut e, &s, minutes(7), 10, 0);
        let t = e.evaluate(minutes(7));
        assert_eq!(resolved(&t), [(Rule::SiteAuthFailures, Some(1))]);
        assert!(e.evaluate(minutes(8)).is_empty());
    }

    #[test]
    fn other_sites_do_not_count_towards_a_site() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        requests(&mut e, &site(1), minutes(0), 0, 3);
        requests(&mut e, &site(2), minutes(0), 0, 3);
        assert!(
            e.evaluate(minutes(0)).is_empty(),
            "3 requests each is below the minimum"
        );
    }

    #[test]
    fn silence_after_a_rotation_fires_only_while_requests_arrive() {
        let config = AlertConfig {
            site_min_requests: 1_000, // keep the ratio rule out of this test
            ..AlertConfig::default()
        };
        let mut e = AlertEvaluator::new(config);
        let s = site(1);
        requests(&mut e, &s, minutes(0), 5, 0);
        e.observe(Observation::SecretRotated {
            site: s.clone(),
            at: minutes(1),
        });
        // No requests at all after the rotation: nothing to say.
        assert!(e.evaluate(minutes(10)).is_empty());
        requests(&mut e, &s, minutes(11), 0, 2);
        // Four minutes after the failures but ten after the rotation: the grace has passed.
        assert_eq!(
            fired(&e.evaluate(minutes(11))),
            [(Rule::SiteSilentAfterRotation, Some(1))]
        );
        // One success resolves it.
        requests(&mut e, &s, minutes(12), 1, 0);
        assert_eq!(
            resolved(&e.evaluate(minutes(12))),
            [(Rule::SiteSilentAfterRotation, Some(1))]
        );

        // Within the grace period, failures alone do not fire it.
        let mut e = AlertEvaluator::new(AlertConfig {
            site_min_requests: 1_000,
            ..AlertConfig::default()
        });
        e.observe(Observation::SecretRotated {
            site: s.clone(),
            at: minutes(0),
        });
        requests(&mut e, &s, minutes(1), 0, 4);
        assert!(e.evaluate(minutes(4)).is_empty());
        assert_eq!(
            fired(&e.evaluate(minutes(5))),
            [(Rule::SiteSilentAfterRotation, Some(1))],
            "exactly at the grace period"
        );
    }

    #[test]
    fn the_global_rule_compares_with_the_day_before() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        let s = site(1);
        // A day at a 2% failure rate: 100 requests a minute... sampled every 10 minutes.
        for m in (0..BASELINE_MINUTES).step_by(10) {
            requests(&mut e, &s, minutes(m), 98, 2);
        }
        assert!(e.evaluate(minutes(BASELINE_MINUTES - 1)).is_empty());
        // 9% now: above 5% (the floor) but not 5× 2%.
        let now = BASELINE_MINUTES + 2;
        requests(&mut e, &site(2), minutes(now), 91, 9);
        assert!(!fired(&e.evaluate(minutes(now))).contains(&(Rule::GlobalAuthFailureSpike, None)));
        // 20% now: 10× the baseline.
        requests(&mut e, &site(3), minutes(now), 69, 31);
        let t = e.evaluate(minutes(now));
        assert!(
            fired(&t).contains(&(Rule::GlobalAuthFailureSpike, None)),
            "{t:?}"
        );
    }

    #[test]
    fn the_global_rule_needs_enough_requests() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        for n in 0..49 {
            requests(&mut e, &site(n), minutes(0), 0, 1);
        }
        assert!(!fired(&e.evaluate(minutes(0))).contains(&(Rule::GlobalAuthFailureSpike, None)));
        requests(&mut e, &site(99), minutes(0), 0, 1);
        assert!(fired(&e.evaluate(minutes(0))).contains(&(Rule::GlobalAuthFailureSpike, None)));
    }

    #[test]
    fn install_key_failures_count_within_their_window() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        for m in [0, 4] {
            e.observe(Observation::InstallKeyFetch {
                ok: false,
                at: minutes(m),
            });
        }
        e.observe(Observation::InstallKeyFetch {
            ok: true,
            at: minutes(5),
        });
        assert!(e.evaluate(minutes(5)).is_empty(), "two failures");
        e.observe(Observation::InstallKeyFetch {
            ok: false,
            at: minutes(9),
        });
        assert_eq!(
            fired(&e.evaluate(minutes(9))),
            [(Rule::InstallKeyFetchFailures, None)]
        );
        // The first failure leaves the 10-minute window at minute 10.
        assert_eq!(
            resolved(&e.evaluate(minutes(10))),
            [(Rule::InstallKeyFetchFailures, None)]
        );
    }

    #[test]
    fn the_database_must_stay_down_for_the_configured_time() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        e.observe(Observation::Readiness {
            ready: false,
            at: minutes(0),
        });
        assert!(e.evaluate(minutes(0) + 59_999).is_empty());
        e.observe(Observation::Readiness {
            ready: false,
            at: minutes(1),
        });
        assert_eq!(
            fired(&e.evaluate(minutes(1))),
            [(Rule::DatabaseNotReady, None)]
        );
        e.observe(Observation::Readiness {
            ready: true,
            at: minutes(2),
        });
        assert_eq!(
            resolved(&e.evaluate(minutes(2))),
            [(Rule::DatabaseNotReady, None)]
        );
    }

    #[test]
    fn a_lifecycle_5xx_fires_for_its_window() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        e.observe(Observation::Lifecycle {
            site: site(4),
            status: 204,
            at: minutes(0),
        });
        assert!(e.evaluate(minutes(0)).is_empty());
        e.observe(Observation::Lifecycle {
            site: site(4),
            status: 503,
            at: minutes(1),
        });
        let t = e.evaluate(minutes(1));
        assert_eq!(fired(&t), [(Rule::LifecycleServerError, Some(4))]);
        assert!(
            e.evaluate(minutes(15)).is_empty(),
            "still within 15 minutes"
        );
        assert_eq!(
            resolved(&e.evaluate(minutes(16))),
            [(Rule::LifecycleServerError, Some(4))]
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let mut e = AlertEvaluator::new(AlertConfig::default());
        for n in 0..(MAX_TRACKED_SITES as i64 + 10) {
            e.observe(Observation::Request {
                site: Some(site(n)),
                ok: true,
                at: T0 + n,
            });
        }
        assert_eq!(e.tracked_sites(), MAX_TRACKED_SITES);
        // Per-site windows keep only the window's minutes.
        let s = site(0);
        for m in 0..1_000 {
            requests(&mut e, &s, minutes(m), 1, 0);
        }
        assert!(e.sites[&s.id].requests.minutes.len() <= 5);
        assert!(e.global.minutes.len() as i64 <= BASELINE_MINUTES + 5);
    }
}
