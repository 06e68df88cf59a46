//! The simulator itself must be strict, or passing against it would prove nothing: it refuses an
//! invalid descriptor with a precise message, and it rejects app→Jira calls that real Jira would.

use crate::support::{TestApp, each_backend};
use amj_jira_sim::{Sim, SimError};

async fn serve_json(body: serde_json::Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/atlassian-connect.json",
        listener.local_addr().unwrap()
    );
    let router = axum::Router::new().route(
        "/atlassian-connect.json",
        axum::routing::get(move || async move { axum::Json(body) }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

#[tokio::test]
async fn an_invalid_descriptor_is_refused_with_a_precise_message() {
    let sim = Sim::start().await.unwrap();
    let broken = serde_json::json!({
        "key": "bad key!", "name": "x", "baseUrl": "http://127.0.0.1:9", "authentication": {"type": "jwt"},
        "lifecycle": {"installed": "installed"}, "scopes": ["READ", "ROOT"],
        "modules": {"webhooks": [{"event": "jira:issue_deleted", "url": "/hook"}]}
    });
    let error = sim
        .register_app(&serve_json(broken).await)
        .await
        .unwrap_err();
    let SimError::InvalidDescriptor(message) = error else {
        panic!("{error}")
    };
    for expected in [
        "key \"bad key!\"",
        "lifecycle.installed \"installed\" must be a path",
        "scope \"ROOT\"",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing from: {message}"
        );
    }
    let not_json = sim
        .register_app(&serve_json(serde_json::json!([1, 2])).await)
        .await
        .unwrap_err();
    assert!(
        matches!(not_json, SimError::InvalidDescriptor(_)),
        "{not_json}"
    );
}

#[tokio::test]
async fn app_calls_with_a_wrong_qsh_or_stale_secret_are_rejected_and_recorded() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let target = sim
            .register_app(&format!("{}/atlassian-connect.json", app.base_url))
            .await
            .unwrap();
        sim.add_site("acme");
        sim.install("acme", &target).await.unwrap();
        let site = sim.site("acme").unwrap();
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await
            .unwrap()
            .unwrap();
        // Sign for /myself, send to /serverInfo.
        let signed_for = url::Url::parse(&format!("{}/rest/api/3/myself", site.base_url)).unwrap();
        let header = app
            .state
            .jira
            .authorization_for(&tenant, "GET", &signed_for)
            .unwrap();
        let response = reqwest::Client::new()
            .get(format!("{}/rest/api/3/serverInfo", site.base_url))
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let call = sim.calls().pop().unwrap();
        assert!(call.failure.unwrap().contains("qsh_mismatch"));
        // A stale secret.
        sim.set_site_secret("acme", "ATCO-newer");
        assert!(
            app.state
                .jira
                .get::<serde_json::Value>(&tenant, "/rest/api/3/myself")
                .await
                .is_err()
        );
        assert!(
            sim.calls()
                .pop()
                .unwrap()
                .failure
                .unwrap()
                .contains("bad_signature")
        );
        app.stop().await;
    })
    .await;
}

/// (identifier, retry header) of one webhook delivery.
type Delivery = (String, Option<String>);

#[tokio::test]
async fn webhooks_are_signed_carry_an_identifier_and_are_retried_like_jira() {
    use std::sync::atomic::{AtomicU32, Ordering};
    // A stand-in app that fails twice with 503, then accepts: the identifier must not change.
    let seen: std::sync::Arc<std::sync::Mutex<Vec<Delivery>>> = Default::default();
    let attempts = std::sync::Arc::new(AtomicU32::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let descriptor = amj_connect::descriptor::DescriptorBuilder::new("flaky", "Flaky", &base)
        .lifecycle("/installed", "/uninstalled", "/enabled", "/disabled")
        .scopes(&["READ"])
        .webhook("jira:issue_deleted", "/hook?issueKey=${issue.key}")
        .build();
    let (seen2, attempts2) = (seen.clone(), attempts.clone());
    let router = axum::Router::new()
        .route(
            "/atlassian-connect.json",
            axum::routing::get(move || async move { axum::Json(descriptor) }),
        )
        .route(
            "/installed",
            axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap| {
                let (seen, attempts) = (seen2.clone(), attempts2.clone());
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    assert!(header("authorization").unwrap().starts_with("JWT "));
                    seen.lock().unwrap().push((
                        header("x-atlassian-webhook-identifier").unwrap(),
                        header("x-atlassian-webhook-retry"),
                    ));
                    if attempts.fetch_add(1, Ordering::SeqCst) < 2 {
                        axum::http::StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        axum::http::StatusCode::NO_CONTENT
                    }
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let sim = Sim::start().await.unwrap();
    let app = sim
        .register_app(&format!("{base}/atlassian-connect.json"))
        .await
        .unwrap();
    sim.add_site("acme");
    sim.install("acme", &app).await.unwrap();
    let statuses = sim
        .send_webhook(
            "acme",
            "jira:issue_deleted",
            &serde_json::json!({"id": "10001", "key": "AM-1"}),
            5,
        )
        .await
        .unwrap();
    assert_eq!(statuses, vec![204]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|(id, _)| *id == seen[0].0),
        "one identifier across retries"
    );
    assert_eq!(
        seen.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        vec![None, Some("1".into()), Some("2".into())]
    );
}

#[tokio::test]
async fn the_app_accepts_signed_webhooks_and_refuses_bad_ones_with_401_not_5xx() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let target = sim
            .register_app(&format!("{}/atlassian-connect.json", app.base_url))
            .await
            .unwrap();
        sim.add_site("acme");
        sim.install("acme", &target).await.unwrap();
        let issue =
            serde_json::json!({"id": "10001", "key": "AM-1", "fields": {"summary": "Laptop"}});
        assert_eq!(
            sim.send_webhook("acme", "jira:issue_updated", &issue, 3)
                .await
                .unwrap(),
            vec![204]
        );
        assert_eq!(
            sim.send_webhook("acme", "jira:issue_deleted", &issue, 3)
                .await
                .unwrap(),
            vec![204]
        );
        sim.set_site_secret("acme", "ATCO-unknown-to-the-app");
        assert_eq!(
            sim.send_webhook("acme", "jira:issue_deleted", &issue, 3)
                .await
                .unwrap(),
            vec![401],
            "401 is final: no retries"
        );
        assert_eq!(
            sim.calls()
                .iter()
                .filter(|c| c.method == "WEBHOOK" && c.status == 401)
                .count(),
            1
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_jira_rest_subset_answers_the_apps_signed_calls() {
    use amj_server::jira::JiraError;
    use reqwest::Method;
    let db = crate::support::TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let target = sim
        .register_app(&format!("{}/atlassian-connect.json", app.base_url))
        .await
        .unwrap();
    sim.add_site("acme");
    sim.install("acme", &target).await.unwrap();
    let site = sim.site("acme").unwrap();
    let tenant = app
        .state
        .store
        .tenant_by_client_key(&site.client_key)
        .await
        .unwrap()
        .unwrap();
    let jira = &app.state.jira;

    let found = jira
        .get::<serde_json::Value>(
            &tenant,
            "/rest/api/3/search/jql?jql=project%20%3D%20OPS%20AND%20text%20~%20%22licence%22",
        )
        .await
        .unwrap();
    assert_eq!(found["issues"][0]["key"], "OPS-3");
    let posted = jira
        .send(
            &tenant,
            Method::POST,
            "/rest/api/3/search/jql",
            Some(&serde_json::json!({"jql": "issuekey in (AM-1, AM-2)"})),
        )
        .await
        .unwrap();
    assert_eq!(posted["issues"].as_array().unwrap().len(), 2);
    let bad = jira
        .get::<serde_json::Value>(&tenant, "/rest/api/3/search/jql?jql=assignee%20%3D%20me")
        .await
        .unwrap_err();
    assert!(
        matches!(bad, JiraError::Status { status: 400, .. }),
        "{bad}"
    );

    let issue = jira
        .get::<serde_json::Value>(&tenant, "/rest/api/3/issue/AM-1")
        .await
        .unwrap();
    assert_eq!(issue["fields"]["project"]["key"], "AM");
    let users = jira
        .get::<serde_json::Value>(&tenant, "/rest/api/3/user/search?query=wei")
        .await
        .unwrap();
    let account = users[0]["accountId"].as_str().unwrap().to_owned();
    let user = jira
        .get::<serde_json::Value>(&tenant, &format!("/rest/api/3/user?accountId={account}"))
        .await
        .unwrap();
    assert_eq!(user["displayName"], "Wei Chen");
    let permissions = jira
        .get::<serde_json::Value>(
            &tenant,
            "/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS",
        )
        .await
        .unwrap();
    assert_eq!(
        permissions["permissions"]["BROWSE_PROJECTS"]["havePermission"],
        true
    );

    let value = serde_json::json!({"keys": ["IT-42"]});
    jira.send(
        &tenant,
        Method::PUT,
        "/rest/api/3/issue/AM-1/properties/assets",
        Some(&value),
    )
    .await
    .unwrap();
    let stored = jira
        .get::<serde_json::Value>(&tenant, "/rest/api/3/issue/10001/properties/assets")
        .await
        .unwrap();
    assert_eq!(stored["value"], value);
    jira.send(
        &tenant,
        Method::DELETE,
        "/rest/api/3/issue/AM-1/properties/assets",
        None::<&serde_json::Value>,
    )
    .await
    .unwrap();
    assert!(
        jira.get::<serde_json::Value>(&tenant, "/rest/api/3/issue/AM-1/properties/assets")
            .await
            .is_err()
    );

    let path = format!(
        "/rest/atlassian-connect/1/addons/{}/properties/config",
        target.key
    );
    jira.send(
        &tenant,
        Method::PUT,
        &path,
        Some(&serde_json::json!({"v": 1})),
    )
    .await
    .unwrap();
    assert_eq!(
        jira.get::<serde_json::Value>(&tenant, &path).await.unwrap()["value"]["v"],
        1
    );
    let other = jira
        .get::<serde_json::Value>(
            &tenant,
            "/rest/atlassian-connect/1/addons/someone-else/properties/config",
        )
        .await
        .unwrap_err();
    assert!(matches!(other, JiraError::Status { status: 404, .. }));
    assert!(
        sim.calls().iter().all(|c| c.failure.is_none()),
        "every call was correctly signed"
    );
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_control_api_installs_rotates_rolls_out_and_logs() {
    let db = crate::support::TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    sim.register_app(&format!("{}/atlassian-connect.json", app.base_url))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let post = |path: &str, form: &[(&str, &str)]| {
        http.post(format!("{}{path}", sim.base_url()))
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
            .send()
    };
    for name in ["one", "two"] {
        assert_eq!(
            post("/_sim/sites", &[("name", name)])
                .await
                .unwrap()
                .status(),
            201
        );
        let installed: serde_json::Value = post(&format!("/_sim/sites/{name}/install"), &[])
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(installed["appStatus"], 204);
    }
    assert_eq!(
        post("/_sim/sites", &[("name", "Bad Name")])
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        post("/_sim/sites", &[("name", "one")])
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(
        post("/_sim/sites/nobody/rotate", &[])
            .await
            .unwrap()
            .status(),
        404
    );
    let before = sim.site("one").unwrap().shared_secret;
    let rotated: serde_json::Value = post("/_sim/sites/one/rotate", &[])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rotated["appStatus"], 204);
    assert_ne!(sim.site("one").unwrap().shared_secret, before);
    // The clock is skewed and restored before the rollout starts: a rotation signed while the
    // clock is 45 s ahead would be refused (our leeway is 30 s), which is correct, but not what
    // this test counts.
    assert_eq!(
        post("/_sim/clock", &[("skew_secs", "45")])
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(sim.clock_skew(), 45);
    post("/_sim/clock", &[("skew_secs", "0")]).await.unwrap();
    assert_eq!(
        post("/_sim/rollout", &[("day_secs", "1"), ("batches", "2")])
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        post("/_sim/rollout", &[("day_secs", "0"), ("batches", "2")])
            .await
            .unwrap()
            .status(),
        400
    );
    // The rollout runs in the background over a one-second "day"; on a loaded machine it can
    // take longer, so wait for its entries (bounded) rather than sleeping a fixed time.
    let successful_lifecycle_calls = || async {
        let log: serde_json::Value = http
            .get(format!("{}/_sim/log", sim.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["method"] == "LIFECYCLE" && e["status"] == 204)
            .count()
    };
    let _ = amj_testkit::wait_for(std::time::Duration::from_secs(30), || async {
        (successful_lifecycle_calls().await >= 5).then_some(())
    })
    .await;
    let lifecycle = successful_lifecycle_calls().await;
    assert_eq!(
        lifecycle,
        2 + 1 + 2,
        "two installs, one rotation, a two-site rollout"
    );
    let page = http
        .get(format!("{}/_sim", sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Batched rollout") && page.contains("/_sim/sites/two/rotate"));

    // The move to Forge, from the same page: every Connect site ends on Forge.
    assert_eq!(
        post(
            "/_sim/forge/rollout",
            &[("day_secs", "0"), ("batches", "2")]
        )
        .await
        .unwrap()
        .status(),
        400
    );
    assert_eq!(
        post(
            "/_sim/forge/rollout",
            &[("day_secs", "1"), ("batches", "2")]
        )
        .await
        .unwrap()
        .status(),
        202
    );
    amj_testkit::wait_for(std::time::Duration::from_secs(30), || async {
        ["one", "two"]
            .iter()
            .all(|s| sim.forge_installation(s).is_some() && !sim.site(s).unwrap().installed)
            .then_some(())
    })
    .await
    .expect("both sites moved to Forge");
    assert!(page.contains("/_sim/forge/rollout"));
    // Forge's key rotation from the same page: a new key ends up the only one published.
    let old = sim.forge().active_kid().unwrap();
    assert_eq!(
        post(
            "/_sim/forge/keys/rollout",
            &[("day_secs", "1"), ("batches", "2")]
        )
        .await
        .unwrap()
        .status(),
        202
    );
    amj_testkit::wait_for(std::time::Duration::from_secs(30), || async {
        let kids: Vec<String> = sim
            .forge()
            .jwks()?
            .keys
            .into_iter()
            .map(|k| k.kid)
            .collect();
        (kids.len() == 1 && kids[0] != old).then_some(())
    })
    .await
    .expect("the new key replaced the old one");
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn legacy_mode_installs_unsigned_then_reinstalls_signed_with_the_old_secret() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let strict = TestApp::start(&db, &sim).await;
        let target = sim
            .register_app(&format!("{}/atlassian-connect.json", strict.base_url))
            .await
            .unwrap();
        sim.add_site("old-school");
        assert_eq!(
            sim.install_legacy("old-school", &target).await.unwrap(),
            401,
            "refused unless configured"
        );
        strict.stop().await;

        let app = TestApp::start_with(&db, &sim, |c| c.legacy_installs = true).await;
        let target = sim
            .register_app(&format!("{}/atlassian-connect.json", app.base_url))
            .await
            .unwrap();
        assert_eq!(
            sim.install_legacy("old-school", &target).await.unwrap(),
            204,
            "unsigned first install"
        );
        let first = sim.site("old-school").unwrap().shared_secret;
        assert_eq!(
            sim.install_legacy("old-school", &target).await.unwrap(),
            204,
            "HS256 with the previous secret"
        );
        assert_ne!(sim.site("old-school").unwrap().shared_secret, first);
        let (status, _) = sim
            .call_app("old-school", &target, "/api/v1/whoami", true)
            .await
            .unwrap();
        assert_eq!(status, 200, "the new secret is in use");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn changing_simulated_issues_sends_the_webhooks_jira_sends() {
    let db = crate::support::TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let target = sim
        .register_app(&format!("{}/atlassian-connect.json", app.base_url))
        .await
        .unwrap();
    sim.add_site("acme");
    sim.install("acme", &target).await.unwrap();
    let http = reqwest::Client::new();
    let post = |path: String, body: &'static str| {
        http.post(format!("{}{path}", sim.base_url()))
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let moved: serde_json::Value = post("/_sim/sites/acme/issues/AM-2/move".into(), "project=OPS")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(moved["webhookStatuses"], serde_json::json!([204]));
    let issue = sim
        .with_data("acme", |d| d.issue("10002").cloned())
        .flatten()
        .unwrap();
    assert_eq!(issue.key, "OPS-7", "the key changes, the id stays");
    let deleted: serde_json::Value = post("/_sim/sites/acme/issues/OPS-7/delete".into(), "")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["webhookStatuses"], serde_json::json!([204]));
    assert!(
        sim.with_data("acme", |d| d.issue("10002").is_none())
            .unwrap()
    );
    assert_eq!(
        post("/_sim/sites/acme/issues/AM-1/move".into(), "project=")
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        post("/_sim/sites/acme/issues/NOPE-1/delete".into(), "")
            .await
            .unwrap()
            .status(),
        404
    );
    // A transition, from the control API and from the issue page's form.
    let moved: serde_json::Value = post(
        "/_sim/sites/acme/issues/AM-1/transition".into(),
        "status=Approved",
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(moved["webhookStatuses"], serde_json::json!([204]));
    assert_eq!(
        post(
            "/_sim/sites/acme/issues/AM-1/transition".into(),
            "status=Limbo"
        )
        .await
        .unwrap()
        .status(),
        400
    );
    let page = post("/sites/acme/browse/AM-1/transition".into(), "status=Done")
        .await
        .unwrap();
    assert!(page.status().is_success(), "the form shows the issue again");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<strong id=\"sim-issue-status\">Done</strong>"),
        "{html}"
    );
    let hooks: Vec<_> = sim
        .calls()
        .into_iter()
        .filter(|c| c.method == "WEBHOOK")
        .collect();
    assert_eq!(hooks.len(), 4);
    assert!(hooks.iter().all(|c| c.status == 204));
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn install_keys_rotate_to_a_new_kid_and_old_kids_stay_served() {
    let db = crate::support::TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let target = sim
        .register_app(&format!("{}/atlassian-connect.json", app.base_url))
        .await
        .unwrap();
    sim.add_site("acme");
    let (old_kid, _) = sim.keys().current().unwrap();
    assert_eq!(sim.install("acme", &target).await.unwrap(), 204);
    let new_kid = sim.keys().rotate().unwrap();
    assert_ne!(new_kid, old_kid);
    let before = sim.keys().requests();
    assert_eq!(
        sim.rotate("acme", &target, false).await.unwrap(),
        204,
        "signed with the new key"
    );
    assert_eq!(
        sim.keys().requests(),
        before + 1,
        "the app fetched the new kid once"
    );
    assert_eq!(sim.rotate("acme", &target, false).await.unwrap(), 204);
    assert_eq!(
        sim.keys().requests(),
        before + 1,
        "and then served it from its cache"
    );
    let old = reqwest::get(format!("{}/{old_kid}", sim.key_server_url()))
        .await
        .unwrap();
    assert_eq!(old.status(), 200, "old kids stay served");
    assert!(
        old.text()
            .await
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    app.stop().await;
    db.cleanup().await;
}

/// The served descriptor declares the `assets` issue property for JQL, so the app's own searches
/// find linked issues; and only the site admin passes `permissions/check` for ADMINISTER, while
/// `mypermissions` (the app user) never does.
#[tokio::test]
async fn asset_links_are_searchable_and_only_site_admins_administer() {
    use amj_server::jira::JiraError;
    use reqwest::Method;
    let db = crate::support::TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let target = sim
        .register_app(&format!("{}/atlassian-connect.json", app.base_url))
        .await
        .unwrap();
    sim.add_site("acme");
    sim.install("acme", &target).await.unwrap();
    let site = sim.site("acme").unwrap();
    let tenant = app
        .state
        .store
        .tenant_by_client_key(&site.client_key)
        .await
        .unwrap()
        .unwrap();
    let (jira, tenant) = (&app.state.jira, &tenant);

    for (issue, keys) in [("AM-1", vec!["IT-42", "IT-7"]), ("OPS-2", vec!["IT-42"])] {
        jira.send(
            tenant,
            Method::PUT,
            &format!("/rest/api/3/issue/{issue}/properties/assets"),
            Some(&serde_json::json!({ "keys": keys })),
        )
        .await
        .unwrap();
    }
    let search = |jql: &'static str| async move {
        let found = jira
            .send(
                tenant,
                Method::POST,
                "/rest/api/3/search/jql",
                Some(&serde_json::json!({ "jql": jql })),
            )
            .await?;
        Ok::<Vec<String>, JiraError>(
            found["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["key"].as_str().unwrap().to_owned())
                .collect(),
        )
    };
    assert_eq!(
        search("issue.property[assets].keys = \"IT-42\"")
            .await
            .unwrap(),
        ["AM-1", "OPS-2"]
    );
    assert_eq!(
        search("assetKeys in (\"IT-7\") AND project = AM")
            .await
            .unwrap(),
        ["AM-1"]
    );
    let undeclared = search("issue.property[assets].owner = \"x\"")
        .await
        .unwrap_err();
    assert!(
        matches!(undeclared, JiraError::Status { status: 400, .. }),
        "{undeclared}"
    );

    let users = sim.site_users("acme").unwrap();
    let user = users
        .iter()
        .find(|u| u.account_id != site.admin_account_id)
        .unwrap();
    let administers = |account_id: String| async move {
        let granted = jira
            .send(
                tenant,
                Method::POST,
                "/rest/api/3/permissions/check",
                Some(&serde_json::json!({
                    "accountId": account_id,
                    "globalPermissions": ["ADMINISTER"],
                })),
            )
            .await
            .unwrap();
        granted["globalPermissions"] == serde_json::json!(["ADMINISTER"])
    };
    assert!(administers(site.admin_account_id.clone()).await);
    assert!(!administers(user.account_id.clone()).await);
    sim.set_site_admin("acme", &user.account_id, true).unwrap();
    assert!(administers(user.account_id.clone()).await);
    let mine = jira
        .get::<serde_json::Value>(
            tenant,
            "/rest/api/3/mypermissions?permissions=ADMINISTER,BROWSE_PROJECTS",
        )
        .await
        .unwrap();
    assert_eq!(mine["permissions"]["ADMINISTER"]["havePermission"], false);
    assert_eq!(
        mine["permissions"]["BROWSE_PROJECTS"]["havePermission"],
        true
    );
    assert!(
        sim.calls().iter().all(|c| c.failure.is_none()),
        "every call was correctly signed"
    );
    app.stop().await;
    db.cleanup().await;
}

/// The simulator publishes Forge's signing keys as Forge's CDN does: the app's key store reads
/// them, verifies the FITs it mints, keeps them through a CDN outage, and follows a rotation.
#[tokio::test]
async fn the_simulated_forge_jwks_serves_the_app_key_store() {
    use amj_connect::forge::{AppAri, FitConfig, HttpJwks, verify_fit};
    use amj_jira_sim::forge::{Invocation, JwksMode};
    let sim = Sim::start().await.unwrap();
    let app = "ari:cloud:ecosystem::app/0b5e1c2d-3f4a-4b6c-8d9e-0f1a2b3c4d5e";
    let invocation = Invocation {
        app_ari: app.into(),
        installation_id: "ari:cloud:ecosystem::installation/1".into(),
        api_base_url: "https://api.atlassian.com/ex/jira/4f1e2d3c".into(),
        module_type: "core:endpoint".into(),
        module_key: "amj-events".into(),
        principal: None,
        context: None,
    };
    let now = || amj_store::now_millis() / 1000;
    let jwks = HttpJwks::new(&sim.forge_jwks_url()).unwrap();
    let config = FitConfig::new(AppAri::parse(app).unwrap());
    assert_eq!(jwks.refresh().await.unwrap(), 1);
    let fit = verify_fit(
        &sim.forge().mint(&invocation, now()).unwrap(),
        &jwks,
        &config,
    )
    .await
    .unwrap();
    assert_eq!(fit.cloud_id().as_deref(), Some("4f1e2d3c"));
    // Down: a 503 with Retry-After, and the keys held still verify.
    sim.forge().set_mode(JwksMode::Unavailable);
    let down = reqwest::get(sim.forge_jwks_url()).await.unwrap();
    assert_eq!(down.status(), 503);
    assert!(down.headers().contains_key("retry-after"));
    assert!(jwks.refresh().await.is_err());
    assert!(
        verify_fit(
            &sim.forge().mint(&invocation, now()).unwrap(),
            &jwks,
            &config
        )
        .await
        .is_ok()
    );
    // Up again, with a key published ahead of use: held before it signs.
    sim.forge().set_mode(JwksMode::Normal);
    let next = sim.forge().publish_next().unwrap();
    assert_eq!(jwks.refresh().await.unwrap(), 2);
    assert!(sim.forge().activate(&next));
    assert!(
        verify_fit(
            &sim.forge().mint(&invocation, now()).unwrap(),
            &jwks,
            &config
        )
        .await
        .is_ok()
    );
}
