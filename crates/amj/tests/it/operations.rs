//! Operations: the incident drill (March 2022 replayed under a simulated clock), its mirror
//! without the fault, metrics, the status page, `amj incident`, and the synthetic probe.

use crate::support::{TestApp, TestDb, each_backend};
use amj_jira_sim::Sim;
use amj_ops::alerts::{Rule, Transition};
use amj_ops::clock::Clock;
use amj_server::ops::watch::Sink;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SITES: usize = 6;
const REQUESTS_PER_SITE_PER_MINUTE: usize = 6;
const MINUTE: Duration = Duration::from_secs(60);

/// A stand-in for an alert receiver: records every JSON body POSTed to it.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

async fn receiver() -> Receiver {
    let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
    let recorded = bodies.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let recorded = recorded.clone();
            async move {
                recorded.lock().unwrap().push(body);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Receiver { url, bodies }
}

struct Drill {
    sim: Sim,
    app: TestApp,
    clock: Clock,
    names: Vec<String>,
    hook: Receiver,
}

impl Drill {
    async fn start(db: &TestDb, fault: bool) -> Drill {
        let sim = Sim::start().await.unwrap();
        let hook = receiver().await;
        let clock = Clock::manual(amj_store::now_millis());
        let app = TestApp::start_with(db, &sim, |c| {
            c.clock = clock.clone();
            c.alert_sinks = vec![Sink::Webhook(hook.url.clone())];
            c.faults.set_ignore_rotated_secrets(fault);
        })
        .await;
        let names: Vec<String> = (0..SITES).map(|i| format!("site{i}")).collect();
        for name in &names {
            sim.add_site(name);
            assert_eq!(sim.install(name, &app.target).await.unwrap(), 204);
        }
        Drill {
            sim,
            app,
            clock,
            names,
            hook,
        }
    }

    /// One simulated minute: every site's traffic, then the clock moves and the watch ticks.
    /// Returns the failed requests per site and the tick's transitions.
    async fn minute(&self) -> (Vec<usize>, Vec<Transition>) {
        let mut failed = Vec::new();
        for name in &self.names {
            let mut site_failed = 0;
            for _ in 0..REQUESTS_PER_SITE_PER_MINUTE {
                let (status, _) = self
                    .sim
                    .call_app(name, &self.app.target, "/api/v1/whoami", true)
                    .await
                    .unwrap();
                site_failed += usize::from(status != 200);
            }
            failed.push(site_failed);
        }
        self.clock.advance(MINUTE);
        let report = self.app.state.watch.tick().await;
        assert!(report.database_ready);
        assert!(
            report.delivery_failures.is_empty(),
            "{:?}",
            report.delivery_failures
        );
        (failed, report.transitions)
    }

    async fn status_json(&self) -> Value {
        self.app.get("/status.json").await.json().await.unwrap()
    }
}

fn fired(transitions: &[Transition], rule: Rule) -> usize {
    transitions
        .iter()
        .filter(|t| matches!(t, Transition::Fired(a) if a.key.rule == rule))
        .count()
}

fn resolved(transitions: &[Transition], rule: Rule) -> usize {
    transitions
        .iter()
        .filter(|t| matches!(t, Transition::Resolved { alert, .. } if alert.key.rule == rule))
        .count()
}

/// March 2022, replayed: normal traffic, then a batched secret rollout (two sites a minute)
/// while the app acknowledges rotations but keeps the old secrets. The per-site alert must fire
/// within 5 simulated minutes of the first affected site, open an incident on the status page,
/// and reach the webhook; once the fault is gone and the sites reinstall, it resolves.
#[tokio::test]
async fn incident_drill_alerts_within_five_minutes_and_resolves_after_reinstall() {
    each_backend(|db| async move {
        let drill = Drill::start(&db, true).await;
        for _ in 0..3 {
            let (failed, transitions) = drill.minute().await;
            assert!(failed.iter().all(|f| *f == 0), "normal traffic: {failed:?}");
            assert!(
                transitions.is_empty(),
                "no alert before the rollout: {transitions:?}"
            );
        }

        // The rollout: two sites a minute. Jira switches each to its new secret; the app does
        // not. Then five more minutes of traffic.
        let mut rotated_at = std::collections::HashMap::new();
        let mut alerted_at = std::collections::HashMap::new();
        let mut all = Vec::new();
        let batches: Vec<&[String]> = drill.names.chunks(2).collect();
        for minute in 0..batches.len() + 5 {
            for name in batches.get(minute).copied().unwrap_or_default() {
                assert_eq!(
                    drill
                        .sim
                        .rotate(name, &drill.app.target, false)
                        .await
                        .unwrap(),
                    204
                );
                rotated_at.insert(
                    drill.sim.site(name).unwrap().base_url,
                    drill.clock.now_millis(),
                );
            }
            let (failed, transitions) = drill.minute().await;
            if minute < batches.len() {
                assert!(failed[minute * 2] > 0, "the rotated sites fail: {failed:?}");
            }
            for t in &transitions {
                if let Transition::Fired(alert) = t
                    && alert.key.rule == Rule::SiteAuthFailures
                {
                    let site = alert.site_name.clone().unwrap();
                    assert!(
                        alerted_at.insert(site, drill.clock.now_millis()).is_none(),
                        "fired twice"
                    );
                }
            }
            all.extend(transitions);
        }
        assert_eq!(
            fired(&all, Rule::SiteAuthFailures),
            SITES,
            "one alert per affected site, each exactly once: {all:?}"
        );
        for (site, rotated) in &rotated_at {
            let alerted = alerted_at[site];
            assert!(
                alerted - rotated <= 5 * 60_000,
                "{site} alerted {} s after it was first affected",
                (alerted - rotated) / 1000
            );
        }
        let first_affected = rotated_at.values().min().unwrap();
        let first_alert = alerted_at.values().min().unwrap();
        assert!(first_alert - first_affected <= 5 * 60_000);

        // The status page shows an open incident, naming no site.
        let status = drill.status_json().await;
        let open = status["openIncidents"].as_array().unwrap();
        let incident = open
            .iter()
            .find(|i| i["alertRule"] == "site_auth_failures")
            .unwrap_or_else(|| panic!("an open incident for the alert: {status}"));
        assert_eq!(incident["component"], "auth");
        assert_ne!(status["overall"], "operational");
        let page = drill.app.get("/status").await.text().await.unwrap();
        assert!(page.contains("Requests from some Jira sites are failing authentication"));
        let site = drill.sim.site("site0").unwrap();
        assert!(
            !status.to_string().contains(&site.base_url) && !page.contains(&site.base_url),
            "the public page never names a site"
        );

        // The webhook received the alert, naming the site for the operator.
        let firing: Vec<Value> = drill
            .hook
            .bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b["status"] == "firing" && b["alert"] == "site_auth_failures")
            .cloned()
            .collect();
        assert_eq!(firing.len(), SITES, "{firing:?}");
        assert!(firing.iter().any(|b| b["site"] == site.base_url.as_str()));
        assert!(
            firing[0]["runbook"]
                .as_str()
                .unwrap()
                .ends_with("#site_auth_failures")
        );

        // Metrics show it too: the rule's gauge counts the sites, the refusals their reason.
        let metrics = drill.app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(&format!(
                "amj_alerts_firing{{rule=\"site_auth_failures\"}} {SITES}"
            )),
            "{metrics}"
        );
        assert!(
            metrics
                .contains("amj_auth_requests_total{route_kind=\"api\",outcome=\"bad_signature\"}")
        );

        // Per-site counts are saved each tick, for every instance's admin page and restarts.
        let tenant = drill
            .app
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await
            .unwrap()
            .unwrap();
        let saved = drill
            .app
            .state
            .store
            .auth_counts_since(tenant.id, 0)
            .await
            .unwrap();
        let count = |outcome: &str| {
            saved
                .iter()
                .find(|(o, _)| o == outcome)
                .map_or(0, |(_, n)| *n)
        };
        assert!(count("bad_signature") >= 6, "{saved:?}");
        assert!(count("ok") >= 18, "{saved:?}");

        // Recovery: the fault is fixed and every site reinstalls (a new install carries a new
        // secret, now stored). Failures age out of the window and every alert resolves once.
        drill
            .app
            .state
            .config
            .faults
            .set_ignore_rotated_secrets(false);
        for name in &drill.names {
            assert_eq!(
                drill
                    .sim
                    .rotate(name, &drill.app.target, false)
                    .await
                    .unwrap(),
                204
            );
        }
        let mut after = Vec::new();
        for _ in 0..8 {
            let (failed, transitions) = drill.minute().await;
            assert!(
                failed.iter().all(|f| *f == 0),
                "after reinstall: {failed:?}"
            );
            after.extend(transitions);
            if drill.app.state.monitor.active_alerts().is_empty() {
                break;
            }
        }
        assert!(
            drill.app.state.monitor.active_alerts().is_empty(),
            "still firing: {:?}",
            drill.app.state.monitor.active_alerts()
        );
        assert_eq!(resolved(&after, Rule::SiteAuthFailures), SITES);
        assert_eq!(fired(&after, Rule::SiteAuthFailures), 0, "no flapping");
        let status = drill.status_json().await;
        assert!(
            status["openIncidents"].as_array().unwrap().is_empty(),
            "{status}"
        );
        let resolved_incident = status["recentIncidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["alertRule"] == "site_auth_failures")
            .cloned()
            .expect("the incident is listed as resolved");
        assert_eq!(resolved_incident["status"], "resolved");
        assert!(resolved_incident["updates"].as_array().unwrap().len() >= 2);
        assert!(
            drill
                .hook
                .bodies
                .lock()
                .unwrap()
                .iter()
                .any(|b| b["status"] == "resolved" && b["alert"] == "site_auth_failures")
        );
        drill.app.stop().await;
    })
    .await;
}

/// The mirror drill: the same rollout with traffic, without the fault, raises nothing at all.
#[tokio::test]
async fn a_whole_rollout_with_traffic_raises_no_alert() {
    each_backend(|db| async move {
        let drill = Drill::start(&db, false).await;
        let mut all = Vec::new();
        for _ in 0..2 {
            all.extend(drill.minute().await.1);
        }
        for batch in drill.names.chunks(2) {
            for name in batch {
                assert_eq!(
                    drill
                        .sim
                        .rotate(name, &drill.app.target, false)
                        .await
                        .unwrap(),
                    204
                );
            }
            let (failed, transitions) = drill.minute().await;
            assert!(failed.iter().all(|f| *f == 0), "{failed:?}");
            all.extend(transitions);
        }
        // Past every grace period: a rotation followed by successes never alerts later.
        for _ in 0..6 {
            all.extend(drill.minute().await.1);
        }
        assert!(all.is_empty(), "{all:?}");
        assert!(drill.hook.bodies.lock().unwrap().is_empty());
        let status = drill.status_json().await;
        assert_eq!(status["overall"], "operational", "{status}");
        assert!(status["openIncidents"].as_array().unwrap().is_empty());
        let metrics = drill.app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(&format!("amj_secret_rotations_total {SITES}")),
            "every rotation counted: {metrics}"
        );
        drill.app.stop().await;
    })
    .await;
}

/// The staging probe plays Jira against the app: it passes against a healthy app and fails,
/// at the step after the rotation and saying why, against the app with the March-2022 fault.
#[tokio::test]
async fn the_probe_passes_a_healthy_app_and_names_the_failing_step_of_a_faulty_one() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let run = amj::probe::probe_staging(&sim, &app.base_url, 1).await;
    assert!(run.ok(), "{}", run.summary());
    let names: Vec<&str> = run.steps.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "descriptor",
            "install",
            "page",
            "api",
            "rotate",
            "page after rotation",
            "api after rotation",
            "uninstall"
        ]
    );
    // The Forge flow: an invocation, a Jira call with its system token, a key rotation.
    let run = amj::probe::probe_forge(&sim, &app.base_url, 1).await;
    assert!(run.ok(), "{}", run.summary());
    let names: Vec<&str> = run.steps.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "forge install",
            "forge api",
            "forge jira call",
            "forge key rotation",
            "forge api after rotation"
        ]
    );
    // With the cached-JWKS fault, the flow fails after the rotation and says where.
    app.state.config.faults.set_never_refetch_jwks(true);
    let run = amj::probe::probe_forge(&sim, &app.base_url, 2).await;
    let failure = run.first_failure().unwrap();
    assert_eq!(
        failure.name,
        "forge api after rotation",
        "{}",
        run.summary()
    );
    assert!(failure.detail.contains("401"), "{}", failure.detail);
    app.state.config.faults.set_never_refetch_jwks(false);

    app.state.config.faults.set_ignore_rotated_secrets(true);
    let run = amj::probe::probe_staging(&sim, &app.base_url, 2).await;
    assert!(!run.ok());
    let failure = run.first_failure().unwrap();
    assert_eq!(failure.name, "page after rotation", "{}", run.summary());
    assert!(failure.detail.contains("401"), "{}", failure.detail);
    assert!(run.summary().starts_with("FAILED at page after rotation"));
    app.stop().await;
    db.cleanup().await;
}

fn amj() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_amj"))
}

fn sqlite_url(db: &TestDb) -> String {
    match &db.location {
        amj_store::DatabaseLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
        amj_store::DatabaseLocation::Postgres(url) => url.clone(),
    }
}

/// Production mode: `amj tenant add-probe` registers a probe site in the database; `amj probe`
/// then signs as it, and a wrong secret fails with a clear message and a non-zero exit.
// Multi-threaded: the blocking CLI calls must not stall the app this runtime serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_probe_then_probe_production_from_the_command_line() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let dir = std::env::temp_dir().join(format!(
        "amj-probe-{}-{}",
        std::process::id(),
        sim.base_url().len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("master.key");
    std::fs::write(&key_file, &db.master_key).unwrap();
    let secret_file = dir.join("probe.secret");
    let out = amj()
        .args(["tenant", "add-probe", "--database-url", &sqlite_url(&db)])
        .arg("--secret-key-file")
        .arg(&key_file)
        .arg("--secret-file")
        .arg(&secret_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client_key = stdout
        .split_whitespace()
        .find(|w| w.starts_with("amj-probe-"))
        .unwrap()
        .to_owned();
    let again = amj()
        .args(["tenant", "add-probe", "--database-url", &sqlite_url(&db)])
        .arg("--secret-key-file")
        .arg(&key_file)
        .arg("--secret-file")
        .arg(&secret_file)
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing secret file is never overwritten"
    );

    let out = amj()
        .args([
            "probe",
            "--app-url",
            &app.base_url,
            "--probe-tenant",
            &client_key,
        ])
        .arg("--probe-secret-file")
        .arg(&secret_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("probe run 1: ok"), "{stdout}");
    assert!(stdout.contains("1 runs, 0 failed"), "{stdout}");

    let wrong = dir.join("wrong.secret");
    std::fs::write(&wrong, "0".repeat(64)).unwrap();
    let out = amj()
        .args([
            "probe",
            "--app-url",
            &app.base_url,
            "--probe-tenant",
            &client_key,
        ])
        .arg("--probe-secret-file")
        .arg(&wrong)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!out.status.success());
    assert!(
        stdout.contains("FAILED at page: the page answered HTTP 401"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("1 of 1 probe runs failed"), "{stderr}");

    // Fed to the status page: two failures in a row open an incident, a pass resolves it.
    let probe_with_status = |secret: &std::path::Path, extra: &[&str]| {
        amj()
            .args([
                "probe",
                "--app-url",
                &app.base_url,
                "--probe-tenant",
                &client_key,
            ])
            .arg("--probe-secret-file")
            .arg(secret)
            .args(["--status-database-url", &sqlite_url(&db)])
            .arg("--status-secret-key-file")
            .arg(&key_file)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = probe_with_status(&wrong, &["--every", "200ms", "--for", "1s"]);
    assert!(!out.status.success());
    // ... and the app's alerting: the next tick fires the probe's alert for the sinks.
    let report = app.state.watch.tick().await;
    assert!(
        report
            .transitions
            .iter()
            .any(|t| matches!(t, Transition::Fired(a)
            if a.key.rule == Rule::SyntheticProbeFailing && a.summary.contains("\"page\""))),
        "{:?}",
        report.transitions
    );
    let status: Value = app.get("/status.json").await.json().await.unwrap();
    // (The probe site's refused requests may also raise the per-site alert: they are failures.)
    let probe_incident = status["openIncidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["alertRule"] == "synthetic_probe")
        .cloned()
        .unwrap_or_else(|| panic!("the probe's incident is open: {status}"));
    assert!(
        probe_incident["updates"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"page\"")
    );
    let out = probe_with_status(&secret_file, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let status: Value = app.get("/status.json").await.json().await.unwrap();
    assert!(
        !status["openIncidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["alertRule"] == "synthetic_probe"),
        "{status}"
    );
    let resolved = status["recentIncidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["alertRule"] == "synthetic_probe")
        .cloned()
        .unwrap_or_else(|| panic!("the probe's incident is resolved: {status}"));
    assert_eq!(resolved["status"], "resolved");
    let report = app.state.watch.tick().await;
    assert!(
        report
            .transitions
            .iter()
            .any(|t| matches!(t, Transition::Resolved { alert, .. }
            if alert.key.rule == Rule::SyntheticProbeFailing)),
        "{:?}",
        report.transitions
    );
    let _ = std::fs::remove_dir_all(&dir);
    app.stop().await;
    db.cleanup().await;
}

/// Operators post incidents from the command line; every instance's page shows them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_from_the_command_line_show_on_the_status_page() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let dir = std::env::temp_dir().join(format!(
        "amj-incident-{}-{}",
        std::process::id(),
        sim.base_url().len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("master.key");
    std::fs::write(&key_file, &db.master_key).unwrap();
    let url = sqlite_url(&db);
    let run = |args: &[&str]| {
        let out = amj()
            .arg("incident")
            .args(args)
            .args(["--database-url", &url])
            .arg("--secret-key-file")
            .arg(&key_file)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, stdout, stderr) = run(&[
        "open",
        "--title",
        "Slow asset pages",
        "--impact",
        "minor",
        "--component",
        "app",
        "--message",
        "Pages take seconds to load; we are looking into it.",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let opened: Value = serde_json::from_str(stdout.trim()).unwrap();
    let id = opened["id"].as_i64().unwrap().to_string();
    assert_eq!(opened["status"], "investigating");

    let status: Value = app.get("/status.json").await.json().await.unwrap();
    assert_eq!(status["openIncidents"][0]["title"], "Slow asset pages");
    let app_state = status["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "app")
        .unwrap()["state"]
        .clone();
    assert_eq!(app_state, "degraded_performance");

    let (ok, _, stderr) = run(&[
        "update",
        &id,
        "--status",
        "identified",
        "--message",
        "A missing index.",
    ]);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = run(&[
        "resolve",
        &id,
        "--message",
        "The index is back; pages are fast.",
    ]);
    assert!(ok, "{stderr}");
    let postmortem = dir.join("pm.md");
    std::fs::write(&postmortem, "What happened: a migration dropped an index.").unwrap();
    let (ok, _, stderr) = run(&["postmortem", &id, "--file", postmortem.to_str().unwrap()]);
    assert!(ok, "{stderr}");

    // The background jobs report in with each tick; a page before any shows them late.
    app.state.watch.tick().await;
    let page = app.get("/status").await;
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let page = page.text().await.unwrap();
    for text in [
        "Slow asset pages",
        "The index is back; pages are fast.",
        "A missing index.",
        "What happened: a migration dropped an index.",
        "UTC",
        "All systems operational",
    ] {
        assert!(page.contains(text), "{text:?} missing from the status page");
    }

    // Mistakes are clear and change nothing.
    let (ok, _, stderr) = run(&["update", &id, "--status", "monitoring", "--message", "late"]);
    assert!(!ok);
    assert!(stderr.contains("was resolved"), "{stderr}");
    let (ok, _, stderr) = run(&["update", "999", "--status", "monitoring", "--message", "x"]);
    assert!(!ok);
    assert!(stderr.contains("no incident 999"), "{stderr}");
    let (ok, _, stderr) = run(&[
        "open",
        "--title",
        "x",
        "--impact",
        "huge",
        "--component",
        "app",
        "--message",
        "x",
    ]);
    assert!(!ok);
    assert!(stderr.contains("none, minor, major, critical"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
    app.stop().await;
    db.cleanup().await;
}

/// `/metrics` speaks the Prometheus text format, counts by route template, and carries no site.
#[tokio::test]
async fn metrics_count_routes_auth_and_lifecycle_without_naming_sites() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    sim.add_site("acme");
    sim.install("acme", &app.target).await.unwrap();
    let (status, _) = sim
        .call_app("acme", &app.target, "/api/v1/whoami", true)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let refused = app.get_with_jwt("/api/v1/whoami", "not-a-token").await;
    assert_eq!(refused.status(), 401);
    app.state.watch.tick().await;
    let response = app.get("/metrics").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    for expected in [
        "amj_http_requests_total{method=\"GET\",route=\"/api/v1/whoami\",status=\"2xx\"} 1",
        "amj_http_requests_total{method=\"GET\",route=\"/api/v1/whoami\",status=\"4xx\"} 1",
        "amj_auth_requests_total{route_kind=\"api\",outcome=\"ok\"} 1",
        "amj_auth_requests_total{route_kind=\"api\",outcome=\"malformed\"} 1",
        "amj_lifecycle_events_total{event=\"installed\",outcome=\"ok\"} 1",
        "amj_lifecycle_events_total{event=\"installed\",outcome=\"error\"} 0",
        "amj_install_key_fetches_total{outcome=\"ok\"} 1",
        "amj_db_ready 1",
        "amj_http_request_duration_seconds_bucket",
        "amj_db_query_duration_seconds_count{query=\"ping\"} 1",
        "amj_alerts_firing{rule=\"site_auth_failures\"} 0",
        "# EOF",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let acme = sim.site("acme").unwrap();
    assert!(!text.contains(&acme.client_key) && !text.contains(&acme.base_url));
    app.stop().await;
    db.cleanup().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the demo even when an assertion fails first.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `amj probe` passes against `amj demo`, with the probe site `amj tenant add-probe` registers in
/// the demo's database (the demo's installs come from its own simulated Jira).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_passes_against_amj_demo() {
    let dir = std::env::temp_dir().join(format!(
        "amj-demo-probe-{}-{}",
        std::process::id(),
        free_port()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let app_url = format!("http://127.0.0.1:{}", free_port());
    let demo = Child(
        amj()
            .arg("demo")
            .arg("--data-dir")
            .arg(&dir)
            .args(["--bind", app_url.trim_start_matches("http://")])
            .args(["--sim-bind", &format!("127.0.0.1:{}", free_port())])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let ready = amj_testkit::wait_for(Duration::from_secs(60), || async {
        let response = http.get(format!("{app_url}/readyz")).send().await.ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
    assert!(ready.is_ok(), "amj demo did not become ready at {app_url}");
    let secret_file = dir.join("probe.secret");
    let out = amj()
        .args(["tenant", "add-probe"])
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("amj.db").display()))
        .arg("--secret-file")
        .arg(&secret_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client_key = stdout
        .split_whitespace()
        .find(|w| w.starts_with("amj-probe-"))
        .unwrap()
        .to_owned();
    let out = amj()
        .args([
            "probe",
            "--app-url",
            &app_url,
            "--probe-tenant",
            &client_key,
        ])
        .arg("--probe-secret-file")
        .arg(&secret_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("probe run 1: ok"), "{stdout}");
    let status: Value = http
        .get(format!("{app_url}/status.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["overall"], "operational", "{status}");
    drop(demo);
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `--ops-bind`, `/metrics` leaves the public listener for the operations one.
#[tokio::test]
async fn ops_bind_moves_metrics_off_the_public_listener() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start_with(&db, &sim, |c| c.ops_separate = true).await;
    let public = app.get("/metrics").await;
    assert_eq!(public.status(), 404);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ops_url = format!("http://{}", listener.local_addr().unwrap());
    let ops = amj_server::web::build_ops_app(app.state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, ops).await;
    });
    let text = reqwest::get(format!("{ops_url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "amj_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"4xx\"} 1"
        ),
        "{text}"
    );
    assert_eq!(
        reqwest::get(format!("{ops_url}/readyz"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        reqwest::get(format!("{ops_url}/status"))
            .await
            .unwrap()
            .status(),
        404,
        "the status page stays public"
    );
    app.stop().await;
    db.cleanup().await;
}
