//! The alert rules are written twice: the built-in evaluator (`amj_ops::alerts`, run with
//! the defaults of the `amj serve` flags) and the Prometheus rules in `ops/prometheus/alerts.yml`
//! (which promtool tests with `alerts_test.yml`). These tests fail when the two drift apart.
//!
//! For each evaluator rule, "agree" means that its counterpart in alerts.yml (`COUNTERPARTS`):
//!
//! - is defined once, and every alert in alerts.yml is a counterpart or in `PROMETHEUS_ONLY`;
//! - has the rule's code as its `rule` label and the rule's severity as its `severity` label, and
//!   the table of rules in docs/RUNBOOK.md gives the same severity;
//! - links to `--runbook-url`'s default, `#`, the rule's anchor, which is a heading of
//!   docs/RUNBOOK.md;
//! - reads the metric the rule's observations are counted in, with the same filter;
//! - compares with the evaluator's default thresholds, with the same comparison (`>` or `>=`);
//! - uses the rule's windows: its ranges `[…]`, `offset`s and `for:` are exactly the rule's;
//! - states the same numbers in its summary and description. The per-site rules are evaluated
//!   inside the app (sites are never Prometheus labels) and Prometheus only reads
//!   `amj_alerts_firing`, so for them the text is the only place their thresholds appear.
//!
//! The thresholds are those `amj serve` runs with: clap's declared defaults of the five
//! `--alert-…` flags, the rest from `AlertConfig::default()`. Another test checks that the flags'
//! defaults are `AlertConfig::default()`'s.
//!
//! alerts.yml is read with a small reader of the YAML it is written in (block mappings, plain and
//! quoted scalars, `|` and `>-` blocks) and its expressions with a small PromQL tokenizer, so no
//! dependency is needed. `the_check_catches_drift` shows that each kind of drift is reported.

use amj::cli::{Cli, OpsArgs};
use amj_ops::alerts::{AlertConfig, BASELINE_MINUTES, Rule};
use std::path::Path;

const ALERTS_YML: &str = "ops/prometheus/alerts.yml";
const RUNBOOK: &str = "docs/RUNBOOK.md";

/// Each evaluator rule and its counterpart in alerts.yml.
const COUNTERPARTS: [(Rule, &str); 11] = [
    (Rule::SiteAuthFailures, "AmjSiteAuthFailures"),
    (Rule::SiteSilentAfterRotation, "AmjSiteSilentAfterRotation"),
    (Rule::GlobalAuthFailureSpike, "AmjGlobalAuthFailureSpike"),
    (Rule::InstallKeyFetchFailures, "AmjInstallKeyFetchFailures"),
    (Rule::DatabaseNotReady, "AmjDatabaseNotReady"),
    (Rule::LifecycleServerError, "AmjLifecycleServerError"),
    (Rule::SyntheticProbeFailing, "AmjSyntheticProbeFailing"),
    (Rule::ForgeJwksFetchFailing, "AmjForgeJwksFetchFailing"),
    (Rule::ForgeTokenMissing, "AmjForgeTokenMissing"),
    (Rule::ForgeTriggerSilent, "AmjForgeTriggerSilent"),
    (Rule::ForgeLinkMissing, "AmjForgeLinkMissing"),
];

/// The alerts only Prometheus has: (alert, its `rule` label and runbook anchor, severity).
const PROMETHEUS_ONLY: [(&str, &str, &str); 2] = [
    // The app is down or cannot be scraped. A stopped process evaluates nothing and sends
    // nothing, so only something outside it can tell.
    ("AmjDown", "amjdown", "critical"),
    // The evaluator's own notifications fail. An alert about that, sent through the same sinks,
    // might not arrive either, so Prometheus watches amj_alert_notifications_total instead.
    (
        "AmjAlertDeliveryFailing",
        "alert_delivery_failing",
        "warning",
    ),
];

#[test]
fn serve_flag_defaults_are_the_evaluator_defaults() {
    assert_eq!(
        serve_defaults(),
        AlertConfig::default(),
        "the `amj serve --alert-…` flag defaults (cli.rs) differ from AlertConfig::default()"
    );
    let ops = OpsArgs::default();
    let defaults = AlertConfig::default();
    assert_eq!(
        (
            ops.alert_site_failure_ratio,
            ops.alert_site_window_minutes,
            ops.alert_site_min_requests,
            ops.alert_rotation_grace_minutes,
            ops.alert_global_factor,
        ),
        (
            defaults.site_failure_ratio,
            defaults.site_window_minutes,
            defaults.site_min_requests,
            defaults.rotation_grace_minutes,
            defaults.global_factor,
        ),
        "OpsArgs::default() differs from AlertConfig::default()"
    );
    assert_eq!(ops.runbook_url, serve_flag_default::<String>("runbook_url"));
}

#[test]
fn alerts_yml_agrees_with_the_evaluator() {
    let problems = disagreements(
        &repo_file(ALERTS_YML),
        &repo_file(RUNBOOK),
        &serve_defaults(),
        &runbook_base(),
    );
    assert!(
        problems.is_empty(),
        "{ALERTS_YML} and the built-in evaluator (ops/alerts.rs, with the `amj serve` defaults) \
         disagree:\n- {}",
        problems.join("\n- ")
    );
}

#[test]
fn the_check_catches_drift() {
    let yml = repo_file(ALERTS_YML);
    let runbook = repo_file(RUNBOOK);

    // alerts.yml drifts: (what it says, what it would say instead, the alert to report).
    let edits = [
        ("[10m])) >= 3", "[10m])) >= 4", "AmjInstallKeyFetchFailures"),
        ("[10m])) >= 3", "[10m])) > 3", "AmjInstallKeyFetchFailures"),
        (
            "{outcome=\"failed\"}[10m]",
            "{outcome=\"failed\"}[15m]",
            "AmjInstallKeyFetchFailures",
        ),
        (") > 0.05", ") > 0.1", "AmjGlobalAuthFailureSpike"),
        ("> 5 * (", "> 4 * (", "AmjGlobalAuthFailureSpike"),
        (">= 50", ">= 100", "AmjGlobalAuthFailureSpike"),
        (
            "[1d] offset 5m",
            "[1d] offset 10m",
            "AmjGlobalAuthFailureSpike",
        ),
        (
            "[1d] offset 5m",
            "[7d] offset 5m",
            "AmjGlobalAuthFailureSpike",
        ),
        (
            "{route_kind!=\"lifecycle\",outcome!=\"ok\"}[5m]",
            "{outcome!=\"ok\"}[5m]",
            "AmjGlobalAuthFailureSpike",
        ),
        ("for: 1m", "for: 2m", "AmjDatabaseNotReady"),
        (
            "amj_db_ready == 0",
            "amj_db_ready == 1",
            "AmjDatabaseNotReady",
        ),
        (
            "rule: database_not_ready",
            "rule: database_down",
            "AmjDatabaseNotReady",
        ),
        (
            "{outcome=\"error\"}[15m]",
            "{outcome=\"error\"}[10m]",
            "AmjLifecycleServerError",
        ),
        (
            "{outcome=\"error\"}[15m]",
            "{outcome=\"refused\"}[15m]",
            "AmjLifecycleServerError",
        ),
        (
            "severity: warning\n          rule: lifecycle_server_error",
            "severity: critical\n          rule: lifecycle_server_error",
            "AmjLifecycleServerError",
        ),
        (
            "amj_alerts_firing{rule=\"site_silent_after_rotation\"}",
            "amj_alerts_firing{rule=\"site_auth_failures\"}",
            "AmjSiteSilentAfterRotation",
        ),
        (
            "amj_alerts_firing{rule=\"site_auth_failures\"} > 0",
            "amj_alerts_firing{rule=\"site_auth_failures\"} > 1",
            "AmjSiteAuthFailures",
        ),
        (
            "the last 5 minutes (at least 5 requests each)",
            "the last 10 minutes (at least 5 requests each)",
            "AmjSiteAuthFailures",
        ),
        (
            "RUNBOOK.md#install_key_fetch_failures",
            "RUNBOOK.md#install-key-fetch-failures",
            "AmjInstallKeyFetchFailures",
        ),
        ("RUNBOOK.md#amjdown", "RUNBOOK.md#amj-down", "AmjDown"),
        ("alert: AmjDown", "alert: AmjIsDown", "AmjIsDown"),
        ("alert: AmjDown", "alert: AmjIsDown", "AmjDown"),
    ];
    let defaults = serve_defaults();
    for (from, to, alert) in edits {
        assert!(
            yml.contains(from),
            "this test is out of date: {ALERTS_YML} no longer says {from:?}"
        );
        let drifted = yml.replacen(from, to, 1);
        assert_caught(
            &drifted,
            &runbook,
            &defaults,
            alert,
            &format!("{from:?} -> {to:?}"),
        );
    }

    // The evaluator's defaults drift.
    let configs = [
        (
            AlertConfig {
                key_failures: 4,
                ..serve_defaults()
            },
            "AmjInstallKeyFetchFailures",
        ),
        (
            AlertConfig {
                global_window_minutes: 10,
                ..serve_defaults()
            },
            "AmjGlobalAuthFailureSpike",
        ),
        (
            AlertConfig {
                site_window_minutes: 10,
                ..serve_defaults()
            },
            "AmjSiteAuthFailures",
        ),
        (
            AlertConfig {
                site_failure_ratio: 0.6,
                ..serve_defaults()
            },
            "AmjSiteAuthFailures",
        ),
        (
            AlertConfig {
                database_down_minutes: 2,
                ..serve_defaults()
            },
            "AmjDatabaseNotReady",
        ),
        (
            AlertConfig {
                lifecycle_window_minutes: 30,
                ..serve_defaults()
            },
            "AmjLifecycleServerError",
        ),
    ];
    for (config, alert) in configs {
        assert_caught(&yml, &runbook, &config, alert, &format!("{config:?}"));
    }

    // The runbook drifts.
    let runbook_edits = [
        ("\n## amjdown\n", "\n## amj down\n", "AmjDown"),
        (
            "| `database_not_ready` | critical |",
            "| `database_not_ready` | warning |",
            "AmjDatabaseNotReady",
        ),
    ];
    for (from, to, alert) in runbook_edits {
        assert!(
            runbook.contains(from),
            "this test is out of date: {RUNBOOK} no longer says {from:?}"
        );
        assert_caught(
            &yml,
            &runbook.replacen(from, to, 1),
            &defaults,
            alert,
            &format!("{RUNBOOK}: {from:?} -> {to:?}"),
        );
    }
}

/// Asserts that `disagreements` reports `alert` for this drift (`what`).
fn assert_caught(yml: &str, runbook: &str, config: &AlertConfig, alert: &str, what: &str) {
    let problems = disagreements(yml, runbook, config, &runbook_base());
    let prefix = format!("{alert}: ");
    assert!(
        problems.iter().any(|p| p.starts_with(prefix.as_str())),
        "{what}: not reported against {alert}: {problems:?}"
    );
}

/// A file of the repository.
fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The declared default of an `amj serve` flag, by its clap id (the field's name): what
/// `amj serve` runs with when neither the flag nor its environment variable is given.
fn serve_flag_default<T: std::str::FromStr>(id: &str) -> T {
    let cli = <Cli as clap::CommandFactory>::command();
    let serve = cli
        .find_subcommand("serve")
        .expect("an `amj serve` command");
    let arg = serve
        .get_arguments()
        .find(|a| a.get_id() == id)
        .unwrap_or_else(|| panic!("`amj serve` has no {id} flag"));
    let text = arg
        .get_default_values()
        .first()
        .and_then(|v| v.as_os_str().to_str())
        .unwrap_or_else(|| panic!("`amj serve`'s {id} flag has no default"));
    text.parse()
        .unwrap_or_else(|_| panic!("`amj serve`'s {id} default {text:?} does not parse"))
}

/// The alert thresholds `amj serve` runs with by default.
fn serve_defaults() -> AlertConfig {
    AlertConfig {
        site_failure_ratio: serve_flag_default("alert_site_failure_ratio"),
        site_window_minutes: serve_flag_default("alert_site_window_minutes"),
        site_min_requests: serve_flag_default("alert_site_min_requests"),
        rotation_grace_minutes: serve_flag_default("alert_rotation_grace_minutes"),
        global_factor: serve_flag_default("alert_global_factor"),
        ..AlertConfig::default()
    }
}

/// Where `amj serve`'s alerts link to by default (`--runbook-url`, as the app trims it).
fn runbook_base() -> String {
    serve_flag_default::<String>("runbook_url")
        .trim_end_matches('/')
        .to_owned()
}

// ------------------------------------------------------------------------------- the checks

/// What an alert is: its rule code (the `rule` label), runbook anchor and severity.
struct Identity<'a> {
    code: &'a str,
    anchor: &'a str,
    severity: &'a str,
}

/// What a condition's right-hand side must be.
enum Rhs {
    /// This number.
    Is(f64),
    /// This factor times the baseline: `F * (…)`.
    TimesBaseline(f64),
}

/// What the counterpart of an evaluator rule must say, given the evaluator's thresholds.
struct Expected {
    /// The metric the rule's observations are counted in, and a label matcher every selector of
    /// it must have (`None`: any).
    metric: &'static str,
    matcher: Option<String>,
    /// The conditions joined by `and`, in order: the comparison and its right-hand side.
    conditions: Vec<(&'static str, Rhs)>,
    /// The windows, in minutes: of the range selectors, of the `offset`s, and `for:` (0: none).
    ranges: Vec<i64>,
    offsets: Vec<i64>,
    for_minutes: i64,
    /// What the summary or the description must say (case-insensitively).
    phrases: Vec<String>,
}

/// A rule the app evaluates itself, seen through `amj_alerts_firing`: the number of sites (or of
/// instances, for the probe) it is firing for. The app applies the thresholds and the windows;
/// Prometheus fires as soon as the app does, and resolves with it.
fn firing_gauge(rule: Rule, phrases: Vec<String>) -> Expected {
    Expected {
        metric: "amj_alerts_firing",
        matcher: Some(format!("rule=\"{}\"", rule.code())),
        conditions: vec![(">", Rhs::Is(0.0))],
        ranges: Vec::new(),
        offsets: Vec::new(),
        for_minutes: 0,
        phrases,
    }
}

/// The counterpart of `rule`, from the evaluator's thresholds `c` (see `AlertEvaluator::evaluate`).
fn expected(rule: Rule, c: &AlertConfig) -> Expected {
    match rule {
        // Failure ratio > site_failure_ratio over site_window_minutes, with at least
        // site_min_requests requests.
        Rule::SiteAuthFailures => firing_gauge(
            rule,
            vec![
                more_than(c.site_failure_ratio),
                format!("last {}", minutes(c.site_window_minutes)),
                format!("at least {} requests", c.site_min_requests),
            ],
        ),
        // Requests but no success for rotation_grace_minutes after a rotation.
        Rule::SiteSilentAfterRotation => firing_gauge(
            rule,
            vec![format!("within {}", minutes(c.rotation_grace_minutes))],
        ),
        // The probe counts its failed runs itself (cli.rs); the evaluator only passes its
        // verdict on, so there is no threshold of the evaluator's to check.
        Rule::SyntheticProbeFailing => firing_gauge(rule, Vec::new()),
        // Failure ratio over global_window_minutes > global_min_ratio and > global_factor times
        // the ratio of the BASELINE_MINUTES before the window, with at least
        // global_min_requests requests in the window. Installs (route kind `lifecycle`) are not
        // observed as requests (ops/monitor.rs).
        Rule::GlobalAuthFailureSpike => Expected {
            metric: "amj_auth_requests_total",
            matcher: Some("route_kind!=\"lifecycle\"".to_owned()),
            conditions: vec![
                (">", Rhs::Is(c.global_min_ratio)),
                (">", Rhs::TimesBaseline(c.global_factor)),
                (">=", Rhs::Is(c.global_min_requests as f64)),
            ],
            ranges: vec![c.global_window_minutes, BASELINE_MINUTES],
            // The baseline ends where the window starts, so a spike cannot raise its own bar.
            offsets: vec![c.global_window_minutes],
            for_minutes: 0,
            phrases: vec![
                format!("last {}", minutes(c.global_window_minutes)),
                format!("more than {} times", c.global_factor),
                format!("{} hours before", BASELINE_MINUTES / 60),
                format!("above {}", percent(c.global_min_ratio)),
            ],
        },
        // At least key_failures failed fetches within key_window_minutes.
        Rule::InstallKeyFetchFailures => Expected {
            metric: "amj_install_key_fetches_total",
            matcher: Some("outcome=\"failed\"".to_owned()),
            conditions: vec![(">=", Rhs::Is(c.key_failures as f64))],
            ranges: vec![c.key_window_minutes],
            offsets: Vec::new(),
            for_minutes: 0,
            phrases: vec![format!("last {}", minutes(c.key_window_minutes))],
        },
        // Not ready, without a success in between, for database_down_minutes.
        Rule::DatabaseNotReady => Expected {
            metric: "amj_db_ready",
            matcher: None,
            conditions: vec![("==", Rhs::Is(0.0))],
            ranges: Vec::new(),
            offsets: Vec::new(),
            for_minutes: c.database_down_minutes,
            phrases: vec![format!("for {}", minutes(c.database_down_minutes))],
        },
        // At least jwks_failures failed JWKS fetches within key_window_minutes.
        Rule::ForgeJwksFetchFailing => Expected {
            metric: "amj_forge_jwks_fetches_total",
            matcher: Some("outcome=\"failed\"".to_owned()),
            conditions: vec![(">=", Rhs::Is(c.jwks_failures as f64))],
            ranges: vec![c.key_window_minutes],
            offsets: Vec::new(),
            for_minutes: 0,
            phrases: vec![format!("last {}", minutes(c.key_window_minutes))],
        },
        // Active within forge_token_grace_minutes with no valid token.
        Rule::ForgeTokenMissing => firing_gauge(
            rule,
            vec![format!("last {}", minutes(c.forge_token_grace_minutes))],
        ),
        // No scheduled trigger for forge_trigger_silent_minutes.
        Rule::ForgeTriggerSilent => firing_gauge(
            rule,
            vec![format!("for {}", minutes(c.forge_trigger_silent_minutes))],
        ),
        Rule::ForgeLinkMissing => firing_gauge(rule, Vec::new()),
        // A 5xx answer (outcome `error`, ops/monitor.rs) within lifecycle_window_minutes.
        Rule::LifecycleServerError => Expected {
            metric: "amj_lifecycle_events_total",
            matcher: Some("outcome=\"error\"".to_owned()),
            conditions: vec![(">", Rhs::Is(0.0))],
            ranges: vec![c.lifecycle_window_minutes],
            offsets: Vec::new(),
            for_minutes: 0,
            phrases: vec![format!("last {}", minutes(c.lifecycle_window_minutes))],
        },
    }
}

/// Where alerts.yml and docs/RUNBOOK.md disagree with the evaluator's thresholds `c`: one line
/// each, starting with the alert's name (or the rule's code).
fn disagreements(yml: &str, runbook: &str, c: &AlertConfig, runbook_base: &str) -> Vec<String> {
    let alerts = match yaml_alerts(yml) {
        Ok(alerts) => alerts,
        Err(e) => return vec![format!("{ALERTS_YML}: {e}")],
    };
    let runbook = Runbook::parse(runbook);
    let mut problems = Vec::new();

    for rule in Rule::ALL {
        if !COUNTERPARTS.iter().any(|(r, _)| *r == rule) {
            problems.push(format!(
                "{}: an evaluator rule without a Prometheus counterpart in COUNTERPARTS",
                rule.code()
            ));
        }
    }
    let known: Vec<&str> = COUNTERPARTS
        .iter()
        .map(|(_, name)| *name)
        .chain(PROMETHEUS_ONLY.iter().map(|(name, _, _)| *name))
        .collect();
    for (name, _) in &alerts {
        if !known.contains(&name.as_str()) {
            problems.push(format!(
                "{name}: in {ALERTS_YML}, but neither an evaluator rule's counterpart \
                 (COUNTERPARTS) nor a Prometheus-only alert (PROMETHEUS_ONLY)"
            ));
        }
    }
    for name in &known {
        let count = alerts.iter().filter(|(n, _)| n.as_str() == *name).count();
        if count != 1 {
            problems.push(format!("{name}: defined {count} times in {ALERTS_YML}"));
        }
    }

    for (rule, name) in COUNTERPARTS {
        let Some((_, alert)) = alerts.iter().find(|(n, _)| n.as_str() == name) else {
            continue;
        };
        let id = Identity {
            code: rule.code(),
            anchor: rule.runbook_anchor(),
            severity: rule.severity(),
        };
        check_identity(&mut problems, name, alert, &id, &runbook, runbook_base);
        check_rule(&mut problems, name, alert, rule, c);
    }
    for (name, code, severity) in PROMETHEUS_ONLY {
        let Some((_, alert)) = alerts.iter().find(|(n, _)| n.as_str() == name) else {
            continue;
        };
        let id = Identity {
            code,
            anchor: code,
            severity,
        };
        check_identity(&mut problems, name, alert, &id, &runbook, runbook_base);
    }
    problems
}

/// The alert's labels and runbook link.
fn check_identity(
    problems: &mut Vec<String>,
    name: &str,
    alert: &Yaml,
    id: &Identity<'_>,
    runbook: &Runbook,
    runbook_base: &str,
) {
    let rule_label = alert.scalar(&["labels", "rule"]);
    if rule_label != Some(id.code) {
        problems.push(format!(
            "{name}: its rule label is {rule_label:?}, but the rule's code is {:?}",
            id.code
        ));
    }
    let severity = alert.scalar(&["labels", "severity"]);
    if severity != Some(id.severity) {
        problems.push(format!(
            "{name}: its severity is {severity:?}, but the rule's is {:?}",
            id.severity
        ));
    }
    let documented = runbook.severity(id.code);
    if documented != Some(id.severity) {
        problems.push(format!(
            "{name}: {RUNBOOK}'s table of rules gives {} the severity {documented:?}, not {:?}",
            id.code, id.severity
        ));
    }
    let link = format!("{runbook_base}#{}", id.anchor);
    let runbook_url = alert.scalar(&["annotations", "runbook_url"]);
    if runbook_url != Some(link.as_str()) {
        problems.push(format!(
            "{name}: its runbook_url is {runbook_url:?}, but the app links to {link:?}"
        ));
    }
    if !runbook.anchors.iter().any(|a| a.as_str() == id.anchor) {
        problems.push(format!(
            "{name}: {RUNBOOK} has no heading whose anchor is #{}",
            id.anchor
        ));
    }
}

/// The alert's expression, `for:` and text against the rule's thresholds and windows.
fn check_rule(problems: &mut Vec<String>, name: &str, alert: &Yaml, rule: Rule, c: &AlertConfig) {
    let want = expected(rule, c);
    let toks = match tokens(alert.scalar(&["expr"]).unwrap_or_default()) {
        Ok(toks) => toks,
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            return;
        }
    };

    let found_selectors = selectors(&toks, want.metric);
    if found_selectors.is_empty() {
        problems.push(format!(
            "{name}: its expression does not read {}",
            want.metric
        ));
    }
    if let Some(matcher) = &want.matcher {
        for found in &found_selectors {
            if !found.split(',').any(|m| m == matcher.as_str()) {
                problems.push(format!(
                    "{name}: {}{{{found}}} lacks {matcher}, as the evaluator counts",
                    want.metric
                ));
            }
        }
    }

    match conditions(&toks) {
        Err(e) => problems.push(format!("{name}: {e}")),
        Ok(found) if found.len() != want.conditions.len() => problems.push(format!(
            "{name}: its expression has {} conditions joined by `and`, the rule {}",
            found.len(),
            want.conditions.len()
        )),
        Ok(found) => {
            for (got, (op, rhs)) in found.iter().zip(&want.conditions) {
                let agrees = got.op == *op
                    && match rhs {
                        Rhs::Is(x) => got.rhs == [Tok::Number(*x)],
                        Rhs::TimesBaseline(f) => {
                            got.rhs.len() > 2
                                && got
                                    .rhs
                                    .starts_with(&[Tok::Number(*f), Tok::Op("*".to_owned())])
                        }
                    };
                if !agrees {
                    let wanted = match rhs {
                        Rhs::Is(x) => format!("{op} {x}"),
                        Rhs::TimesBaseline(f) => format!("{op} {f} * (the baseline)"),
                    };
                    problems.push(format!(
                        "{name}: `{} {} {}` should compare `{wanted}`, as the evaluator does",
                        render(&got.lhs),
                        got.op,
                        render(&got.rhs)
                    ));
                }
            }
        }
    }

    if let Some(p) = windows_problem("range windows", &ranges(&toks), &want.ranges) {
        problems.push(format!("{name}: {p}"));
    }
    if let Some(p) = windows_problem("offsets", &offsets(&toks), &want.offsets) {
        problems.push(format!("{name}: {p}"));
    }
    let for_ = alert.scalar(&["for"]);
    if for_.map_or(Some(0), duration_secs) != Some(want.for_minutes * 60) {
        problems.push(format!(
            "{name}: its `for:` is {for_:?}, but the rule's is {} (0: none)",
            prom_duration(want.for_minutes)
        ));
    }

    let text = format!(
        "{} {}",
        alert
            .scalar(&["annotations", "summary"])
            .unwrap_or_default(),
        alert
            .scalar(&["annotations", "description"])
            .unwrap_or_default()
    )
    .to_lowercase();
    for phrase in &want.phrases {
        if !text.contains(phrase.to_lowercase().as_str()) {
            problems.push(format!(
                "{name}: its summary and description do not say {phrase:?}, as the evaluator's \
                 thresholds would"
            ));
        }
    }
}

/// Whether the durations are exactly the windows (each of them used, nothing else), in minutes.
fn windows_problem(what: &str, found: &[&str], windows: &[i64]) -> Option<String> {
    let expected: Vec<i64> = windows.iter().map(|m| m * 60).collect();
    let secs: Vec<Option<i64>> = found.iter().map(|&d| duration_secs(d)).collect();
    let only_those = secs
        .iter()
        .all(|s| s.is_some_and(|s| expected.contains(&s)));
    let all_used = expected.iter().all(|e| secs.contains(&Some(*e)));
    if only_those && all_used {
        None
    } else {
        let windows: Vec<String> = windows.iter().map(|m| prom_duration(*m)).collect();
        Some(format!(
            "its {what} are {found:?}, but the rule's are {windows:?}"
        ))
    }
}

fn minutes(n: i64) -> String {
    if n == 1 {
        "1 minute".to_owned()
    } else {
        format!("{n} minutes")
    }
}

fn percent(ratio: f64) -> String {
    format!("{}%", (ratio * 10_000.0).round() / 100.0)
}

fn more_than(ratio: f64) -> String {
    if ratio == 0.5 {
        "more than half".to_owned()
    } else {
        format!("more than {}", percent(ratio))
    }
}

/// Minutes as a Prometheus duration, for messages.
fn prom_duration(minutes: i64) -> String {
    if minutes != 0 && minutes % (24 * 60) == 0 {
        format!("{}d", minutes / (24 * 60))
    } else if minutes != 0 && minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// A Prometheus duration (`90s`, `5m`, `1h30m`, `1d`) in seconds.
fn duration_secs(text: &str) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    let mut total = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let per = match &rest[..unit] {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            "y" => 31_536_000,
            _ => return None,
        };
        total += n * per;
        rest = &rest[unit..];
    }
    Some(total)
}

// ---------------------------------------------------------------------------- docs/RUNBOOK.md

/// docs/RUNBOOK.md, as the checks need it.
struct Runbook {
    /// The anchors of its headings, as GitHub makes them.
    anchors: Vec<String>,
    /// The rows of its tables whose first cell starts with a code: (code, second cell). In the
    /// table of rules, the second cell is the severity.
    severities: Vec<(String, String)>,
}

impl Runbook {
    fn parse(text: &str) -> Self {
        let mut anchors = Vec::new();
        let mut severities = Vec::new();
        let mut in_code = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
            } else if in_code {
                continue;
            } else if let Some(heading) = line.strip_prefix('#') {
                anchors.push(github_anchor(heading.trim_start_matches('#')));
            } else if let Some(row) = line.strip_prefix("| `") {
                let mut cells = row.split('|').map(str::trim);
                let code = cells
                    .next()
                    .unwrap_or_default()
                    .split('`')
                    .next()
                    .unwrap_or_default();
                let second = cells.next().unwrap_or_default();
                severities.push((code.to_owned(), second.to_owned()));
            }
        }
        Self {
            anchors,
            severities,
        }
    }

    fn severity(&self, code: &str) -> Option<&str> {
        self.severities
            .iter()
            .find(|(c, _)| c.as_str() == code)
            .map(|(_, severity)| severity.as_str())
    }
}

/// A heading's anchor as GitHub makes it: lower case, spaces to hyphens, other punctuation
/// dropped.
fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            _ if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------------------------ alerts.yml's YAML

/// A value of the YAML subset alerts.yml is written in.
#[derive(Debug)]
enum Yaml {
    Scalar(String),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, v)| v),
            Yaml::Scalar(_) => None,
        }
    }

    /// The scalar at a path of keys, e.g. `["labels", "severity"]`.
    fn scalar(&self, path: &[&str]) -> Option<&str> {
        let mut node = self;
        for key in path {
            node = node.get(key)?;
        }
        match node {
            Yaml::Scalar(s) => Some(s.as_str()),
            Yaml::Map(_) => None,
        }
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let text = line.trim();
    text.is_empty() || text.starts_with('#')
}

/// The alerts of alerts.yml in file order, with their names: each `- alert:` item of its rule
/// groups, as a mapping.
fn yaml_alerts(yml: &str) -> Result<Vec<(String, Yaml)>, String> {
    let lines: Vec<&str> = yml.lines().collect();
    let mut alerts = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let dash = indent_of(lines[i]);
        let first = lines[i][dash..]
            .strip_prefix("- ")
            .filter(|rest| rest.starts_with("alert:"));
        i += 1;
        let Some(first) = first else {
            continue;
        };
        // The item's keys line up with `alert`, two columns right of the dash.
        let keys = dash + 2;
        let mut item = vec![format!("{}{first}", " ".repeat(keys))];
        while i < lines.len() && (lines[i].trim().is_empty() || indent_of(lines[i]) >= keys) {
            item.push(lines[i].to_owned());
            i += 1;
        }
        let alert = parse_map(&item, keys)?;
        let name = alert
            .scalar(&["alert"])
            .ok_or("an alert without a name")?
            .to_owned();
        alerts.push((name, alert));
    }
    Ok(alerts)
}

/// The mapping whose keys are at `indent` in these lines.
fn parse_map(lines: &[String], indent: usize) -> Result<Yaml, String> {
    let mut entries = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        i += 1;
        if is_blank_or_comment(line) {
            continue;
        }
        if indent_of(line) != indent {
            return Err(format!("unexpected indentation: {line:?}"));
        }
        let Some((key, value)) = line.trim().split_once(':') else {
            return Err(format!("not a `key: value` line: {line:?}"));
        };
        // What belongs to the key: the lines after it that are blank or indented deeper.
        let start = i;
        while i < lines.len() && (lines[i].trim().is_empty() || indent_of(&lines[i]) > indent) {
            i += 1;
        }
        let body = &lines[start..i];
        let value = match value.trim() {
            "|" | "|-" => Yaml::Scalar(block(body, "\n")),
            ">" | ">-" => Yaml::Scalar(block(body, " ")),
            "" => {
                let inner = body
                    .iter()
                    .find(|l| !is_blank_or_comment(l.as_str()))
                    .map_or(indent + 2, |l| indent_of(l.as_str()));
                parse_map(body, inner)?
            }
            plain if body.iter().all(|l| is_blank_or_comment(l.as_str())) => {
                Yaml::Scalar(unquote(plain)?)
            }
            other => return Err(format!("a multi-line plain scalar: {other:?}")),
        };
        entries.push((key.trim().to_owned(), value));
    }
    Ok(Yaml::Map(entries))
}

/// A `|` or `>-` block: its lines without their common indentation, joined.
fn block(body: &[String], separator: &str) -> String {
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent_of(l.as_str()))
        .min()
        .unwrap_or(0);
    body.iter()
        .map(|l| l.get(indent..).unwrap_or_default().trim_end())
        .collect::<Vec<_>>()
        .join(separator)
        .trim()
        .to_owned()
}

/// A plain or quoted scalar on one line.
fn unquote(text: &str) -> Result<String, String> {
    if let Some(inner) = text.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .ok_or_else(|| format!("an unterminated string: {text}"))?;
        // The only escapes alerts.yml uses.
        Ok(inner.replace("\\\"", "\"").replace("\\\\", "\\"))
    } else if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner
            .strip_suffix('\'')
            .ok_or_else(|| format!("an unterminated string: {text}"))?;
        Ok(inner.replace("''", "'"))
    } else {
        // A ` #` starts a comment.
        Ok(text
            .split_once(" #")
            .map_or(text, |(value, _)| value)
            .trim()
            .to_owned())
    }
}

// ------------------------------------------------------------------------------------ PromQL

/// A PromQL token.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A metric, function, keyword or label name.
    Name(String),
    Number(f64),
    /// A duration outside brackets, as after `offset`.
    Duration(String),
    /// What is inside `{…}`, without spaces.
    Matchers(String),
    /// What is inside `[…]`.
    Range(String),
    Str(String),
    Op(String),
    Open,
    Close,
    Comma,
}

const COMPARISONS: [&str; 6] = [">", ">=", "<", "<=", "==", "!="];

/// The tokens of a PromQL expression.
fn tokens(expr: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        i += 1;
        match c {
            _ if c.is_whitespace() => {}
            '(' => toks.push(Tok::Open),
            ')' => toks.push(Tok::Close),
            ',' => toks.push(Tok::Comma),
            '{' | '[' | '"' | '\'' | '`' => {
                let close = match c {
                    '{' => '}',
                    '[' => ']',
                    quote => quote,
                };
                let end = chars[i..]
                    .iter()
                    .position(|&d| d == close)
                    .map(|n| i + n)
                    .ok_or_else(|| format!("an unclosed {c} in {expr:?}"))?;
                let inner: String = chars[i..end].iter().collect();
                i = end + 1;
                toks.push(match c {
                    '{' => Tok::Matchers(inner.split_whitespace().collect()),
                    '[' => Tok::Range(inner.trim().to_owned()),
                    _ => Tok::Str(inner),
                });
            }
            _ if c.is_ascii_digit() || c == '.' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                toks.push(match text.parse::<f64>() {
                    Ok(n) => Tok::Number(n),
                    Err(_) => Tok::Duration(text),
                });
            }
            _ if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                toks.push(Tok::Name(chars[start..i].iter().collect()));
            }
            _ => {
                let pair: String = chars[start..chars.len().min(start + 2)].iter().collect();
                let op = if [">=", "<=", "==", "!=", "=~", "!~"].contains(&pair.as_str()) {
                    i += 1;
                    pair
                } else if "+-*/%^<>".contains(c) {
                    c.to_string()
                } else {
                    return Err(format!("unexpected {c:?} in {expr:?}"));
                };
                toks.push(Tok::Op(op));
            }
        }
    }
    Ok(toks)
}

/// Tokens as PromQL text again, for messages.
fn render(toks: &[Tok]) -> String {
    let parts: Vec<String> = toks
        .iter()
        .map(|t| match t {
            Tok::Name(s) | Tok::Duration(s) | Tok::Op(s) => s.clone(),
            Tok::Number(n) => n.to_string(),
            Tok::Matchers(s) => format!("{{{s}}}"),
            Tok::Range(s) => format!("[{s}]"),
            Tok::Str(s) => format!("{s:?}"),
            Tok::Open => "(".to_owned(),
            Tok::Close => ")".to_owned(),
            Tok::Comma => ",".to_owned(),
        })
        .collect();
    parts.join(" ")
}

/// One condition of an expression: `lhs op rhs`.
struct Comparison {
    lhs: Vec<Tok>,
    op: String,
    rhs: Vec<Tok>,
}

/// The conditions of an expression: its parts between top-level `and`s, each split at its
/// top-level comparison.
fn conditions(toks: &[Tok]) -> Result<Vec<Comparison>, String> {
    let mut parts = Vec::new();
    let mut depth = 0_i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => depth -= 1,
            Tok::Name(n) if depth == 0 && n == "and" => {
                parts.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&toks[start..]);
    parts.into_iter().map(comparison).collect()
}

fn comparison(part: &[Tok]) -> Result<Comparison, String> {
    let mut depth = 0_i32;
    let mut found = Vec::new();
    for (i, t) in part.iter().enumerate() {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => depth -= 1,
            Tok::Op(op) if depth == 0 && COMPARISONS.contains(&op.as_str()) => {
                found.push((i, op.clone()));
            }
            _ => {}
        }
    }
    let [(at, op)] = found.as_slice() else {
        return Err(format!("not one comparison in `{}`", render(part)));
    };
    Ok(Comparison {
        lhs: part[..*at].to_vec(),
        op: op.clone(),
        rhs: part[*at + 1..].to_vec(),
    })
}

/// The label matchers of each selector of `metric` ("" for none).
fn selectors<'a>(toks: &'a [Tok], metric: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if matches!(t, Tok::Name(n) if n == metric) {
            found.push(match toks.get(i + 1) {
                Some(Tok::Matchers(m)) => m.as_str(),
                _ => "",
            });
        }
    }
    found
}

/// The durations of the range selectors.
fn ranges(toks: &[Tok]) -> Vec<&str> {
    toks.iter()
        .filter_map(|t| match t {
            Tok::Range(r) => Some(r.as_str()),
            _ => None,
        })
        .collect()
}

/// The durations of the `offset`s.
fn offsets(toks: &[Tok]) -> Vec<&str> {
    toks.windows(2)
        .filter_map(|w| match w {
            [Tok::Name(n), Tok::Duration(d)] if n == "offset" => Some(d.as_str()),
            _ => None,
        })
        .collect()
}
