//! The March-2022 regression: scenarios B1, B3 and B5, and rotation across two app instances.

use crate::support::{Backend, TestApp, TestDb, each_backend, error_code, postgres_url};
use amj_jira_sim::Sim;
use amj_server::web::api::WhoAmI;

async fn page(sim: &Sim, app: &TestApp, site: &amj_jira_sim::Site) -> u16 {
    app.http
        .get(sim.iframe_url(site, &app.target, "/pages/assets").unwrap())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn b1_rotation_takes_effect_at_once_even_with_a_warm_cache() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        let s1 = sim.site("acme").unwrap();
        assert_eq!(
            page(&sim, &app, &s1).await,
            200,
            "warms the tenant cache with S1"
        );
        assert_eq!(sim.rotate("acme", &app.target, false).await.unwrap(), 204);
        let s2 = sim.site("acme").unwrap();
        assert_ne!(s1.shared_secret, s2.shared_secret);
        assert_eq!(
            app.state
                .store
                .tenant_by_client_key(&s2.client_key)
                .await
                .unwrap()
                .unwrap()
                .shared_secret
                .expose(),
            s2.shared_secret,
            "committed before the 204"
        );
        assert_eq!(page(&sim, &app, &s2).await, 200, "iframe signed with S2");
        let hook = sim
            .host_token(&s2, "POST", "/webhooks/issue-updated", None)
            .unwrap();
        assert_eq!(
            app.post_with_jwt(
                "/webhooks/issue-updated",
                &hook,
                serde_json::json!({"issue": {"id": "10001", "key": "AM-1", "fields": {"summary": "s"}}})
            )
                .await
                .status(),
            204,
            "webhook signed with S2"
        );
        assert_eq!(
            sim.set_enabled("acme", &app.target, true).await.unwrap(),
            204,
            "enabled signed with S2"
        );
        let stale = app
            .http
            .get(sim.iframe_url(&s1, &app.target, "/pages/assets").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 401, "S1 is dead");
        assert_eq!(error_code(stale).await, "bad_signature");
        // App→Jira after the rotation is signed with S2; the simulator verifies it with S2.
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&s2.client_key)
            .await
            .unwrap()
            .unwrap();
        app.state
            .jira
            .get::<serde_json::Value>(&tenant, "/rest/api/3/myself")
            .await
            .expect("Jira accepts our S2-signed call");
        let events = app
            .state
            .store
            .lifecycle_events(tenant.id, None, 10)
            .await
            .unwrap();
        assert!(
            events.iter().any(|e| e.kind == "secret_rotated"),
            "the log records the rotation"
        );
        assert!(tenant.secret_rotated_at.is_some());
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn b3_restart_between_rotation_and_traffic() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        sim.rotate("acme", &app.target, false).await.unwrap();
        app.stop().await;
        let restarted = TestApp::start(&db, &sim).await;
        let site = sim.site("acme").unwrap();
        let url = sim
            .iframe_url(&site, &restarted.target, "/pages/assets")
            .unwrap();
        assert_eq!(
            restarted.http.get(url).send().await.unwrap().status(),
            200,
            "the secret lives in durable storage"
        );
        restarted.stop().await;
    })
    .await;
}

#[tokio::test]
async fn b5_a_site_rename_moves_outbound_calls_to_the_new_base_url() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        let renamed = sim.rename_site("acme", "acme-corp").unwrap();
        assert_eq!(
            sim.rotate("acme-corp", &app.target, false).await.unwrap(),
            204
        );
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&renamed.client_key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tenant.base_url, renamed.base_url);
        app.state
            .jira
            .get::<serde_json::Value>(&tenant, "/rest/api/3/myself")
            .await
            .unwrap();
        let last = sim.calls().pop().unwrap();
        assert_eq!(last.path, "/sites/acme-corp/rest/api/3/myself");
        assert_eq!(last.status, 200);
        let events = app
            .state
            .store
            .lifecycle_events(tenant.id, None, 10)
            .await
            .unwrap();
        assert!(events.iter().any(|e| e.kind == "base_url_changed"));
        app.stop().await;
    })
    .await;
}

/// Two stateless instances on one PostgreSQL: rotate through one, serve from the other.
#[tokio::test]
async fn rotation_through_one_instance_is_seen_by_another() {
    if postgres_url().is_none() {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let sim = Sim::start().await.unwrap();
    let a = TestApp::start(&db, &sim).await;
    let b = TestApp::start(&db, &sim).await;
    sim.add_site("acme");
    sim.install("acme", &a.target).await.unwrap();
    let s1 = sim.site("acme").unwrap();
    let whoami = |app: &TestApp, site: &amj_jira_sim::Site| {
        let token = sim.context_token(site, None).unwrap();
        let request = app
            .http
            .get(format!("{}/api/v1/whoami", app.base_url))
            .header("Authorization", format!("JWT {token}"));
        async move { request.send().await.unwrap() }
    };
    assert_eq!(
        whoami(&b, &s1).await.status(),
        200,
        "B's cache is warm with S1"
    );
    assert_eq!(
        sim.rotate("acme", &a.target, false).await.unwrap(),
        204,
        "rotated through A"
    );
    let s2 = sim.site("acme").unwrap();
    let response = whoami(&b, &s2).await;
    assert_eq!(response.status(), 200, "B accepts S2 at once");
    let body: WhoAmI = response.json().await.unwrap();
    assert_eq!(body.client_key, Some(s2.client_key));
    // B learns of the rotation through NOTIFY and drops S1 too.
    let dropped = amj_testkit::wait_for(std::time::Duration::from_secs(5), || async {
        (whoami(&b, &s1).await.status() == 401).then_some(())
    })
    .await;
    assert!(
        dropped.is_ok(),
        "B still accepts S1 five seconds after the rotation"
    );
    a.stop().await;
    b.stop().await;
    db.cleanup().await;
}

/// B2: fifty sites rotate in random batches over a time-scaled day while traffic keeps flowing;
/// not one correctly signed request may fail, from the first batch to the last.
#[tokio::test]
async fn b2_batched_rollout_of_fifty_sites_under_traffic_has_zero_401s() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let names: Vec<String> = (0..50).map(|i| format!("site-{i:02}")).collect();
        for name in &names {
            sim.add_site(name);
            assert_eq!(sim.install(name, &app.target).await.unwrap(), 204);
        }
        let before: Vec<String> = names
            .iter()
            .map(|n| sim.site(n).unwrap().shared_secret)
            .collect();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let (sim, target, names, stop) =
                    (sim.clone(), app.target.clone(), names.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut outcomes = Vec::new();
                    let mut i = worker;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        i = (i * 7 + 3) % names.len();
                        let (path, context) = if i % 2 == 0 {
                            ("/api/v1/whoami", true)
                        } else {
                            ("/pages/assets", false)
                        };
                        let (status, body) = sim
                            .call_app(&names[i], &target, path, context)
                            .await
                            .unwrap();
                        outcomes.push((names[i].clone(), status, body));
                    }
                    outcomes
                })
            })
            .collect();
        let plan = amj_jira_sim::RolloutPlan {
            day: std::time::Duration::from_secs(3),
            batches: 6,
            switch_regardless: false,
        };
        let report = sim.rollout(&app.target, &plan).await.unwrap();
        // Traffic keeps flowing for a moment after the last batch: a window of load that is
        // measured, not a wait for something to happen.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut outcomes = Vec::new();
        for worker in workers {
            outcomes.extend(worker.await.unwrap());
        }
        assert!(
            report.batches.len() > 1,
            "rolled out in batches: {:?}",
            report.batches.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert_eq!(report.statuses.len(), 50);
        assert!(
            report.statuses.iter().all(|(_, s)| *s == 204),
            "{:?}",
            report.statuses
        );
        let failures: Vec<_> = outcomes
            .iter()
            .filter(|(_, status, _)| *status != 200)
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} requests failed, e.g. {:?}",
            failures.len(),
            outcomes.len(),
            failures.first()
        );
        assert!(
            outcomes.len() >= 100,
            "traffic kept flowing: {} requests",
            outcomes.len()
        );
        for (name, old) in names.iter().zip(before) {
            let site = sim.site(name).unwrap();
            assert_ne!(site.shared_secret, old, "{name} rotated");
            let stored = app
                .state
                .store
                .tenant_by_client_key(&site.client_key)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                stored.shared_secret.expose(),
                site.shared_secret,
                "{name} stored its new secret"
            );
        }
        assert_eq!(
            app.state
                .counters
                .total_failures(amj_connect::AuthReason::BadSignature),
            0
        );
        app.stop().await;
    })
    .await;
}

/// The March-2022 bug, injected: the app acknowledges rotations but keeps the old secret. Every
/// rotated site then fails, visibly, per site and reason.
#[tokio::test]
async fn ignoring_rotated_secrets_fails_every_rotated_site_visibly() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app =
            TestApp::start_with(&db, &sim, |c| c.faults.set_ignore_rotated_secrets(true)).await;
        sim.add_site("acme");
        sim.add_site("globex");
        sim.install("acme", &app.target).await.unwrap();
        sim.install("globex", &app.target).await.unwrap();
        assert_eq!(
            sim.rotate("acme", &app.target, false).await.unwrap(),
            204,
            "the bug acknowledges the rotation"
        );
        let (status, body) = sim
            .call_app("acme", &app.target, "/api/v1/whoami", true)
            .await
            .unwrap();
        assert_eq!(status, 401);
        assert!(body.contains("bad_signature"), "{body}");
        let (status, _) = sim
            .call_app("globex", &app.target, "/api/v1/whoami", true)
            .await
            .unwrap();
        assert_eq!(
            status, 200,
            "sites not yet rotated still work, which is why it went unnoticed"
        );
        let acme = sim.site("acme").unwrap();
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&acme.client_key)
            .await
            .unwrap()
            .unwrap();
        let health = app.state.counters.tenant(tenant.id);
        assert!(health.failures_by_reason[amj_connect::AuthReason::BadSignature.index()] >= 1);
        app.stop().await;
    })
    .await;
}
