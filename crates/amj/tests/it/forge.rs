//! Forge Remote: FIT authentication on the API, installations as tenants (provisioning, the
//! link with Connect, reinstalls under new ids), system tokens and the Jira client's Forge mode,
//! and the durable event queue. On SQLite and PostgreSQL.

use crate::support::{TestApp, each_backend, wait_until};
use amj_connect::lifecycle::HostAllowList;
use amj_jira_sim::Sim;
use amj_testkit::api::{Api, Auth};
use amj_testkit::db::TestDb;
use serde_json::{Value, json};
use std::time::Duration;

/// A site that has only the Forge version: added to the simulator, never Connect-installed.
async fn forge_only(db: &TestDb, name: &str) -> (Sim, TestApp, String) {
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(db, &sim).await;
    sim.add_site(name);
    let installation = sim.forge_install(name, None).unwrap();
    (sim, app, installation)
}

async fn lifecycle_kinds(app: &TestApp, tenant: i64) -> Vec<String> {
    app.state
        .store
        .lifecycle_events(amj_domain::ids::TenantId(tenant), None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn an_unknown_installation_is_provisioned_not_refused() {
    each_backend(|db| async move {
        let (sim, app, installation) = forge_only(&db, "acme").await;
        let site = sim.site("acme").unwrap();
        let auth = Auth::forge_page(&sim, "acme", None);
        let (status, who) = app.call("GET", "/api/v1/whoami", &auth, None).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(who["platform"], "forge");
        assert_eq!(who["installationId"], installation.as_str());
        assert_eq!(who["cloudId"], site.cloud_id.as_str());
        assert_eq!(who["baseUrl"], site.base_url.as_str());
        assert_eq!(
            who["clientKey"],
            Value::Null,
            "no Connect install: no clientKey"
        );
        assert_eq!(who["accountId"], site.admin_account_id.as_str());

        // A second invocation reaches the same tenant; the log says "first seen" once.
        let again = Auth::forge_page(&sim, "acme", None);
        let (status, _) = app.call("GET", "/api/v1/whoami", &again, None).await;
        assert_eq!(status, 200);
        let record = app
            .state
            .store
            .forge_installation(&installation)
            .await
            .unwrap()
            .unwrap();
        let kinds = lifecycle_kinds(&app, record.tenant_id).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "forge_first_seen").count(),
            1,
            "{kinds:?}"
        );

        // A site only Forge reaches accepts no Connect token, even one naming its tenant.
        let tenant = app
            .state
            .store
            .tenant(amj_domain::ids::TenantId(record.tenant_id))
            .await
            .unwrap()
            .unwrap();
        assert!(!tenant.connect);
        assert!(tenant.client_key.starts_with("forge:"));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn fit_refusals_name_their_reason() {
    each_backend(|db| async move {
        let (sim, app, _) = forge_only(&db, "acme").await;
        let garbage = Auth::Forge {
            fit: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln".into(),
            system_token: None,
        };
        let (status, body) = app.call("GET", "/api/v1/whoami", &garbage, None).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "malformed", "{body}");

        // An unknown kid while the JWKS cannot be fetched.
        sim.forge()
            .set_mode(amj_jira_sim::forge::JwksMode::Unavailable);
        sim.forge().rotate_now().unwrap();
        let (status, body) = app
            .call(
                "GET",
                "/api/v1/whoami",
                &Auth::forge_page(&sim, "acme", None),
                None,
            )
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "key_fetch_failed", "{body}");
        let failures = app.state.counters.failures(
            amj_connect::RouteKind::ForgeApi,
            amj_connect::AuthReason::KeyFetchFailed,
        );
        assert_eq!(failures, 1);
        app.stop().await;

        // A server without --forge-app-id refuses FITs, clearly.
        let plain = TestApp::start_with(&db, &sim, |c| c.forge_app = None).await;
        sim.forge().set_mode(amj_jira_sim::forge::JwksMode::Normal);
        let (status, body) = plain
            .call(
                "GET",
                "/api/v1/whoami",
                &Auth::forge_page(&sim, "acme", None),
                None,
            )
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "wrong_audience", "{body}");
        plain.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_connect_site_upgraded_to_forge_keeps_its_data() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.laptop("Connect laptop", "C-1").await;
        let connect_key = api.site.client_key.clone();

        // The upgrade as Atlassian does it: Connect is uninstalled silently and the Forge
        // installation starts under the id the Connect `installed` carried.
        let declared = format!("ari:cloud:ecosystem::installation/{connect_key}");
        api.sim.forge_install("acme", Some(declared.clone())).unwrap();
        let forge = Auth::forge_page(&api.sim, "acme", None);
        let (status, who) = api.app.call("GET", "/api/v1/whoami", &forge, None).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(who["clientKey"], connect_key.as_str(), "linked to the Connect install");
        let (status, assets) = api.app.call("GET", "/api/v1/schemas/IT/assets", &forge, None).await;
        assert_eq!(status, 200, "{assets}");
        assert_eq!(assets["items"][0]["attributes"]["Name"], "Connect laptop");

        // Writes through Forge land in the same data that Connect sees.
        let (status, created) = api.app.call("POST",
            "/api/v1/schemas/IT/assets",
            &forge,
            Some(json!({"type": "Laptop", "attributes": {"Name": "Forge laptop", "Serial number": "F-1"}})),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let seen = api.ok("GET", "/api/v1/schemas/IT/assets", None).await;
        assert_eq!(seen["items"].as_array().unwrap().len(), 2);

        // A reinstall under a new installation id (no Connect `installed` names it) joins the
        // site by cloud id, and the log keeps the previous id.
        let fresh = api.sim.forge_install("acme", None).unwrap();
        let event_only = api.sim.forge_invoke("acme", "amj-events", None).unwrap();
        let auth = Auth::Forge {
            fit: event_only.fit,
            system_token: None,
        };
        let (status, who) = api.app.call("GET", "/api/v1/whoami", &auth, None).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(who["installationId"], fresh.as_str());
        assert_eq!(who["clientKey"], connect_key.as_str());
        let (_, assets) = api.app.call("GET", "/api/v1/schemas/IT/assets", &auth, None).await;
        assert_eq!(assets["items"].as_array().unwrap().len(), 2, "no data lost on reinstall");
        let record = api.app.state.store.forge_installation(&fresh).await.unwrap().unwrap();
        let events = api
            .app
            .state
            .store
            .lifecycle_events(amj_domain::ids::TenantId(record.tenant_id), None, 50)
            .await
            .unwrap();
        let linked = events
            .iter()
            .find(|e| e.kind == "forge_installation_linked" && e.detail.contains(&fresh))
            .expect("the new installation is logged");
        assert!(linked.detail.contains("\"linkedBy\":\"cloud_id\""), "{}", linked.detail);
        assert!(linked.detail.contains(&declared), "previous id kept: {}", linked.detail);
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn forge_first_then_connect_install_joins_one_tenant() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.register_app(&format!("{}/atlassian-connect.json", app.base_url))
            .await
            .unwrap();
        let site = sim.add_site("acme");
        // Forge reaches the site first, under the id its Connect install will declare.
        let declared = format!("ari:cloud:ecosystem::installation/{}", site.client_key);
        sim.forge_install("acme", Some(declared)).unwrap();
        let forge = Auth::forge_page(&sim, "acme", None);
        let (status, _) = app
            .call(
                "POST",
                "/api/v1/schemas",
                &forge,
                Some(json!({"key": "IT", "name": "IT"})),
            )
            .await;
        assert_eq!(status, 201);
        // Then the Connect `installed` carrying that installationId: the Forge tenant becomes
        // this clientKey's, data and all.
        assert_eq!(sim.install("acme", &app.target).await.unwrap(), 204);
        let api = Api::on_existing(sim.clone(), app, "acme");
        let schemas = api.ok("GET", "/api/v1/schemas", None).await;
        assert_eq!(schemas["schemas"][0]["key"], "IT", "{schemas}");
        let (status, who) = api
            .app
            .call(
                "GET",
                "/api/v1/whoami",
                &Auth::forge_page(&sim, "acme", None),
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(who["clientKey"], site.client_key.as_str());
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn jira_calls_use_the_system_token_at_the_api_base_url() {
    each_backend(|db| async move {
        let (sim, app, installation) = forge_only(&db, "acme").await;
        let cloud_id = sim.cloud_id("acme").unwrap();
        let auth = Auth::forge_page(&sim, "acme", None);
        let (status, users) = app
            .call("GET", "/api/v1/jira/users?query=a", &auth, None)
            .await;
        assert_eq!(status, 200, "{users}");
        assert!(!users["items"].as_array().unwrap().is_empty());
        let last = sim.calls().last().cloned().unwrap();
        assert!(
            last.path
                .starts_with(&format!("/ex/jira/{cloud_id}/rest/api/3/user/search")),
            "{last:?}"
        );
        assert_eq!(last.status, 200, "{last:?}");

        // The longest-lived token is kept: a later call with a shorter one does not replace it.
        let held = app
            .state
            .store
            .forge_system_token(
                app.state
                    .store
                    .forge_installation(&installation)
                    .await
                    .unwrap()
                    .map(|i| amj_domain::ids::TenantId(i.tenant_id))
                    .unwrap(),
                0,
            )
            .await
            .unwrap()
            .unwrap();
        let short = sim.mint_system_token("acme", 600).unwrap();
        let fit = sim
            .forge_invoke("acme", "amj-assets", Some("557058:x"))
            .unwrap()
            .fit;
        let (status, _) = app
            .call(
                "GET",
                "/api/v1/whoami",
                &Auth::Forge {
                    fit,
                    system_token: Some(short),
                },
                None,
            )
            .await;
        assert_eq!(status, 200);
        let tenant = amj_domain::ids::TenantId(
            app.state
                .store
                .forge_installation(&installation)
                .await
                .unwrap()
                .unwrap()
                .tenant_id,
        );
        let now_held = app
            .state
            .store
            .forge_system_token(tenant, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now_held.expose(), held.expose());

        // Jira revokes the tokens: the 401 marks the installation dormant and the token is never
        // sent again; the next invocation brings a new one and wakes it.
        sim.revoke_system_tokens("acme");
        let no_token = Auth::Forge {
            fit: sim
                .forge_invoke("acme", "amj-assets", Some("557058:x"))
                .unwrap()
                .fit,
            system_token: None,
        };
        let (status, body) = app
            .call("GET", "/api/v1/jira/users?query=a", &no_token, None)
            .await;
        assert_eq!(status, 502, "{body}");
        assert_eq!(body["error"]["code"], "jira_rejected_app");
        let record = app
            .state
            .store
            .forge_installation(&installation)
            .await
            .unwrap()
            .unwrap();
        assert!(record.dormant_at.is_some());
        assert!(
            app.state
                .store
                .forge_system_token(tenant, 0)
                .await
                .unwrap()
                .is_none()
        );
        let calls_before = sim.calls().len();
        let no_token = Auth::Forge {
            fit: sim
                .forge_invoke("acme", "amj-assets", Some("557058:x"))
                .unwrap()
                .fit,
            system_token: None,
        };
        let (status, body) = app
            .call("GET", "/api/v1/jira/users?query=a", &no_token, None)
            .await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "forge_token_unavailable");
        assert_eq!(
            sim.calls().len(),
            calls_before,
            "no call without a valid token"
        );
        let fresh = Auth::forge_page(&sim, "acme", None);
        let (status, _) = app
            .call("GET", "/api/v1/jira/users?query=a", &fresh, None)
            .await;
        assert_eq!(status, 200);
        let record = app
            .state
            .store
            .forge_installation(&installation)
            .await
            .unwrap()
            .unwrap();
        assert!(
            record.dormant_at.is_none(),
            "a valid invocation wakes the installation"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn expiring_tokens_are_never_sent() {
    each_backend(|db| async move {
        let (sim, app, _) = forge_only(&db, "acme").await;
        // A token that expires within the safety margin is as good as none.
        let short = sim.mint_system_token("acme", 10).unwrap();
        let fit = sim
            .forge_invoke("acme", "amj-assets", Some("557058:x"))
            .unwrap()
            .fit;
        let calls_before = sim.calls().len();
        let (status, body) = app
            .call(
                "GET",
                "/api/v1/jira/users?query=a",
                &Auth::Forge {
                    fit,
                    system_token: Some(short),
                },
                None,
            )
            .await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "forge_token_unavailable");
        assert_eq!(sim.calls().len(), calls_before);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_api_base_url_outside_the_allowed_hosts_is_never_called() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start_with(&db, &sim, |c| {
            c.allowed_hosts = HostAllowList::parse("localhost").unwrap();
        })
        .await;
        sim.add_site("acme");
        sim.forge_install("acme", None).unwrap();
        let (status, body) = app
            .call(
                "GET",
                "/api/v1/jira/users?query=a",
                &Auth::forge_page(&sim, "acme", None),
                None,
            )
            .await;
        assert_eq!(status, 502, "{body}");
        assert_eq!(body["error"]["code"], "jira_host_not_allowed");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("127.0.0.1"),
            "{body}"
        );
        assert!(sim.calls().is_empty(), "{:?}", sim.calls());
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn two_installations_see_only_their_own_site() {
    each_backend(|db| async move {
        let (sim, app, _) = forge_only(&db, "acme").await;
        sim.add_site("globex");
        sim.forge_install("globex", None).unwrap();
        let acme = Auth::forge_page(&sim, "acme", None);
        let globex = Auth::forge_page(&sim, "globex", None);
        let (status, _) = app
            .call(
                "POST",
                "/api/v1/schemas",
                &acme,
                Some(json!({"key": "ACME", "name": "Acme"})),
            )
            .await;
        assert_eq!(status, 201);
        let (status, body) = app.call("GET", "/api/v1/schemas", &globex, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["schemas"].as_array().unwrap().len(), 0, "{body}");
        let (status, _) = app.call("GET", "/api/v1/schemas/ACME", &globex, None).await;
        assert_eq!(status, 404);
        app.stop().await;
    })
    .await;
}

fn deleted_event(issue_id: &str, retry: u32) -> Value {
    json!({
        "eventType": "avi:jira:deleted:issue",
        "issue": {"id": issue_id, "key": "AM-1", "fields": {"summary": "gone"}},
        "timestamp": "2026-12-06T12:00:00.000Z",
        "retryContext": {"retryCount": retry, "retryReason": "TIMEOUT_ERROR", "retryData": null}
    })
}

#[tokio::test]
async fn events_are_deduplicated_and_applied_after_the_answer() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.laptop("One", "S-1").await;
        let linked = api
            .ok(
                "POST",
                "/api/v1/assets/IT-1/issues",
                Some(json!({"issue": "AM-1"})),
            )
            .await;
        let issue_id = linked["issue"]["id"].as_i64().unwrap().to_string();
        api.sim
            .forge_install(
                "acme",
                Some(format!(
                    "ari:cloud:ecosystem::installation/{}",
                    api.site.client_key
                )),
            )
            .unwrap();
        for retry in 0..2 {
            let event = api
                .sim
                .forge_invoke("acme", "amj-issue-events", None)
                .unwrap();
            let auth = Auth::Forge {
                fit: event.fit,
                system_token: Some(event.system_token),
            };
            let (status, body) = api
                .app
                .call(
                    "POST",
                    "/forge/events",
                    &auth,
                    Some(deleted_event(&issue_id, retry)),
                )
                .await;
            assert_eq!(status, 204, "{body}");
        }
        // Forge's documented envelope, with the event under `payload`, is read too.
        let event = api
            .sim
            .forge_invoke("acme", "amj-issue-events", None)
            .unwrap();
        let wrapped = json!({"payload": deleted_event(&issue_id, 0)});
        let (status, _) = api
            .app
            .call(
                "POST",
                "/forge/events",
                &Auth::Forge {
                    fit: event.fit,
                    system_token: None,
                },
                Some(wrapped),
            )
            .await;
        assert_eq!(status, 204);
        wait_until(Duration::from_secs(20), || async {
            let links = api.ok("GET", "/api/v1/assets/IT-1/issues", None).await;
            links["items"].as_array().unwrap().is_empty()
        })
        .await;
        // Two distinct events were queued (the retry was not): both are worked off.
        wait_until(Duration::from_secs(20), || async {
            api.app.state.store.forge_event_backlog().await.unwrap() == (0, 0)
        })
        .await;
        let deliveries = api.app.state.store.forge_event_deliveries().await.unwrap();
        assert_eq!(deliveries, [2, 1], "the retry was counted, not queued");

        // Unsigned events are refused.
        let (status, body) = api
            .app
            .call(
                "POST",
                "/forge/events",
                &Auth::None,
                Some(deleted_event(&issue_id, 0)),
            )
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "missing_token");
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_queued_event_survives_a_restart() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.laptop("One", "S-1").await;
        let linked = api
            .ok(
                "POST",
                "/api/v1/assets/IT-1/issues",
                Some(json!({"issue": "AM-1"})),
            )
            .await;
        let issue_id = linked["issue"]["id"].as_i64().unwrap().to_string();
        let tenant = api
            .app
            .state
            .store
            .tenant_by_client_key(&api.site.client_key)
            .await
            .unwrap()
            .unwrap();
        let sim = api.sim.clone();
        api.stop().await;
        // Stored as the handler stores it, by an instance that then died before the work.
        let store = db.store().await;
        let body = deleted_event(&issue_id, 0).to_string();
        store
            .enqueue_forge_event(
                tenant.id,
                "ari:cloud:ecosystem::installation/x",
                "avi:jira:deleted:issue",
                &body,
                "k1",
            )
            .await
            .unwrap();
        store.close().await;
        let app = TestApp::start(&db, &sim).await;
        let api = Api::on_existing(sim, app, "acme");
        wait_until(Duration::from_secs(20), || async {
            let links = api.ok("GET", "/api/v1/assets/IT-1/issues", None).await;
            links["items"].as_array().unwrap().is_empty()
        })
        .await;
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn scheduled_triggers_are_recorded_as_signs_of_life() {
    each_backend(|db| async move {
        let (sim, app, installation) = forge_only(&db, "acme").await;
        let trigger = sim.forge_invoke("acme", "amj-hourly", None).unwrap();
        let auth = Auth::Forge {
            fit: trigger.fit,
            system_token: Some(trigger.system_token),
        };
        let (status, body) = app
            .call("POST", "/forge/events", &auth, Some(json!({})))
            .await;
        assert_eq!(status, 204, "{body}");
        let record = app
            .state
            .store
            .forge_installation(&installation)
            .await
            .unwrap()
            .unwrap();
        assert!(record.last_trigger_at.is_some());
        assert!(
            record.system_token_exp.is_some(),
            "the trigger's token is kept"
        );
        app.stop().await;
    })
    .await;
}

/// Fifty sites on Connect move to Forge in batches while every site keeps calling, and Forge's
/// signing key rotates half-way (published, then signing, then the old one retired). No
/// correctly signed call is refused, and every site keeps its one tenant.
#[tokio::test]
async fn fifty_sites_upgrade_under_traffic_and_a_key_rotation_without_a_401() {
    each_backend(|db| async move {
        const SITES: usize = 50;
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.register_app(&format!("{}/atlassian-connect.json", app.base_url))
            .await
            .unwrap();
        let names: Vec<String> = (0..SITES).map(|n| format!("site{n}")).collect();
        for name in &names {
            sim.add_site(name);
            assert_eq!(sim.install(name, &app.target).await.unwrap(), 204);
        }
        let upgraded = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashSet::<
            String,
        >::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // Continuous traffic: each site in turn, through whichever platform it is on now.
        let traffic = {
            let (sim, upgraded, stop, done) =
                (sim.clone(), upgraded.clone(), stop.clone(), done.clone());
            let (http, base) = (app.http.clone(), app.base_url.clone());
            let names = names.clone();
            tokio::spawn(async move {
                let mut calls = 0_u32;
                let mut refused = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for name in &names {
                        let on_forge = upgraded.lock().unwrap().contains(name);
                        let site = sim.site(name).unwrap();
                        let request = http.get(format!("{base}/api/v1/whoami"));
                        let request = if on_forge {
                            let call = sim
                                .forge_invoke(name, "amj-assets", Some(&site.admin_account_id))
                                .unwrap();
                            request
                                .header("Authorization", format!("Bearer {}", call.fit))
                                .header("x-forge-oauth-system", call.system_token)
                        } else {
                            let token = sim
                                .context_token(&site, Some(&site.admin_account_id))
                                .unwrap();
                            request.header("Authorization", format!("JWT {token}"))
                        };
                        let response = request.send().await.unwrap();
                        calls += 1;
                        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if response.status() != 200 {
                            refused.push(format!(
                                "{name} (forge: {on_forge}): {}",
                                response.text().await.unwrap()
                            ));
                        }
                    }
                }
                (calls, refused)
            })
        };
        // The rollout in five batches; the key rotates between batches two and three.
        for (batch, chunk) in names.chunks(SITES / 5).enumerate() {
            if batch == 2 {
                let next = sim.forge().publish_next().unwrap();
                go_round(&done, SITES).await;
                assert!(sim.forge().activate(&next));
            }
            for name in chunk {
                let client_key = sim.site(name).unwrap().client_key;
                sim.forge_install(
                    name,
                    Some(format!("ari:cloud:ecosystem::installation/{client_key}")),
                )
                .unwrap();
                upgraded.lock().unwrap().insert(name.clone());
            }
            // Let the traffic go round every site at least once on its new platform.
            go_round(&done, SITES).await;
            if batch == 3 {
                sim.forge().retire_inactive();
            }
        }
        go_round(&done, SITES).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (calls, refused) = traffic.await.unwrap();
        assert!(
            calls as usize >= 3 * SITES,
            "the traffic ran: {calls} calls"
        );
        assert!(
            refused.is_empty(),
            "{} of {calls} calls refused: {:?}",
            refused.len(),
            &refused[..refused.len().min(5)]
        );
        // Every site reached its Connect tenant through Forge.
        for name in &names {
            let site = sim.site(name).unwrap();
            let (status, who) = app
                .call(
                    "GET",
                    "/api/v1/whoami",
                    &Auth::forge_page(&sim, name, None),
                    None,
                )
                .await;
            assert_eq!(status, 200);
            assert_eq!(who["clientKey"], site.client_key.as_str(), "{name}");
        }
        let failures: u64 = amj_connect::AuthReason::ALL
            .iter()
            .map(|r| {
                app.state
                    .counters
                    .failures(amj_connect::RouteKind::ForgeApi, *r)
            })
            .sum();
        assert_eq!(failures, 0);
        assert!(
            app.state
                .counters
                .successes(amj_connect::RouteKind::ForgeApi)
                >= SITES as u64
        );
        // The new key was fetched when it first signed.
        let jwks = app.state.forge.as_ref().unwrap().jwks.as_ref().unwrap();
        assert!(jwks.kids().contains(&sim.forge().active_kid().unwrap()));
        assert!(
            jwks.stats
                .fetched
                .load(std::sync::atomic::Ordering::Relaxed)
                >= 2
        );
        app.stop().await;
    })
    .await;
}

/// Waits until the traffic has made `calls` more calls.
async fn go_round(done: &std::sync::atomic::AtomicUsize, calls: usize) {
    let target = done.load(std::sync::atomic::Ordering::Relaxed) + calls;
    wait_until(Duration::from_secs(60), || async {
        done.load(std::sync::atomic::Ordering::Relaxed) >= target
    })
    .await;
}

/// Two stateless instances on one PostgreSQL: an installation provisioned through one is the
/// same tenant through the other, a system token kept by one is used by the other, each holds
/// Forge's keys across a rotation, and a Connect install through one re-links what the other
/// has cached at once (by NOTIFY, not after the cache's lifetime).
#[tokio::test]
async fn two_instances_share_installations_and_tokens() {
    if crate::support::postgres_url().is_none() {
        return;
    }
    let db = TestDb::new(crate::support::Backend::Postgres).await;
    let sim = Sim::start().await.unwrap();
    let a = TestApp::start(&db, &sim).await;
    let b = TestApp::start(&db, &sim).await;
    sim.register_app(&format!("{}/atlassian-connect.json", a.base_url))
        .await
        .unwrap();
    let site = sim.add_site("acme");
    let declared = format!("ari:cloud:ecosystem::installation/{}", site.client_key);
    sim.forge_install("acme", Some(declared.clone())).unwrap();

    // Forge reaches the site first, through B (which caches it), with a system token.
    let (status, who_b) = b
        .call(
            "GET",
            "/api/v1/whoami",
            &Auth::forge_page(&sim, "acme", None),
            None,
        )
        .await;
    assert_eq!(status, 200, "{who_b}");
    assert_eq!(who_b["clientKey"], Value::Null);
    // A, without a token of its own in the request, calls Jira with the one B kept.
    let fit_only = Auth::Forge {
        fit: sim
            .forge_invoke("acme", "amj-assets", Some(&site.admin_account_id))
            .unwrap()
            .fit,
        system_token: None,
    };
    let (status, users) = a
        .call("GET", "/api/v1/jira/users?query=a", &fit_only, None)
        .await;
    assert_eq!(status, 200, "{users}");
    let (_, who_a) = a
        .call(
            "GET",
            "/api/v1/whoami",
            &Auth::forge_page(&sim, "acme", None),
            None,
        )
        .await;
    assert_eq!(who_a["installationId"], who_b["installationId"]);

    // Forge rotates its key: both instances fetch it when it first signs.
    sim.forge().rotate_now().unwrap();
    for app in [&a, &b] {
        let (status, body) = app
            .call(
                "GET",
                "/api/v1/whoami",
                &Auth::forge_page(&sim, "acme", None),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // The Connect install, through A, adopts the Forge tenant; B follows without waiting for
    // its cache to expire.
    assert_eq!(sim.install("acme", &a.target).await.unwrap(), 204);
    wait_until(Duration::from_secs(10), || async {
        let (_, who) = b
            .call(
                "GET",
                "/api/v1/whoami",
                &Auth::forge_page(&sim, "acme", None),
                None,
            )
            .await;
        who["clientKey"] == site.client_key.as_str()
    })
    .await;
    a.stop().await;
    b.stop().await;
}

/// Forge's first call after the upgrade may name no site (a trigger, an event) and carry a new
/// installation id no Connect install declared: it gets a tenant of its own. The first page
/// call names the site, and the installation moves to the site's Connect tenant and its data.
#[tokio::test]
async fn an_installation_first_seen_without_a_site_joins_it_on_the_first_page_call() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.laptop("Kept", "K-1").await;
        let fresh = api.sim.forge_install("acme", None).unwrap();
        let trigger = api.sim.forge_invoke("acme", "amj-hourly", None).unwrap();
        let auth = Auth::Forge {
            fit: trigger.fit,
            system_token: Some(trigger.system_token),
        };
        let (status, _) = api
            .app
            .call("POST", "/forge/events", &auth, Some(json!({})))
            .await;
        assert_eq!(status, 204);
        let alone = api
            .app
            .state
            .store
            .forge_installation(&fresh)
            .await
            .unwrap()
            .unwrap();
        let page = Auth::forge_page(&api.sim, "acme", None);
        let (status, who) = api.app.call("GET", "/api/v1/whoami", &page, None).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(who["clientKey"], api.site.client_key.as_str(), "{who}");
        let (_, assets) = api
            .app
            .call("GET", "/api/v1/schemas/IT/assets", &page, None)
            .await;
        assert_eq!(assets["items"][0]["attributes"]["Name"], "Kept");
        let kinds = lifecycle_kinds(&api.app, alone.tenant_id).await;
        assert!(
            kinds.contains(&"forge_installation_moved_out".to_owned()),
            "{kinds:?}"
        );
        let health = api.app.state.store.forge_health().await.unwrap();
        assert!(health.iter().all(|h| !h.link_missing), "{health:?}");
        api.stop().await;
    })
    .await;
}

/// Forge sites calling every simulated minute while Forge rotates its signing key. `faulty`:
/// the app never refetches its keys (the cached-JWKS bug).
async fn key_rotation_drill(
    db: &TestDb,
    faulty: bool,
) -> (Vec<amj_ops::alerts::Transition>, Value, i64) {
    use amj_ops::clock::Clock;
    const SITES: usize = 4;
    let sim = Sim::start().await.unwrap();
    let clock = Clock::manual(amj_store::now_millis());
    let app = TestApp::start_with(db, &sim, |c| {
        c.clock = clock.clone();
        c.faults.set_never_refetch_jwks(faulty);
    })
    .await;
    let names: Vec<String> = (0..SITES).map(|n| format!("site{n}")).collect();
    for name in &names {
        sim.add_site(name);
        sim.forge_install(name, None).unwrap();
    }
    // The key set is fetched at start; wait for it so the first calls are not a race.
    let jwks = app
        .state
        .forge
        .as_ref()
        .unwrap()
        .jwks
        .as_ref()
        .unwrap()
        .clone();
    wait_until(Duration::from_secs(10), || async {
        !jwks.kids().is_empty()
    })
    .await;
    let mut transitions = Vec::new();
    let mut rotated_at = 0;
    for minute in 0..8 {
        if minute == 2 {
            sim.forge().rotate_now().unwrap();
            rotated_at = clock.now_millis();
        }
        for name in &names {
            for _ in 0..6 {
                let (status, body) = app
                    .call(
                        "GET",
                        "/api/v1/whoami",
                        &Auth::forge_page(&sim, name, None),
                        None,
                    )
                    .await;
                if !faulty || minute < 2 {
                    assert_eq!(status, 200, "minute {minute}: {body}");
                }
            }
        }
        clock.advance(Duration::from_secs(60));
        let report = app.state.watch.tick().await;
        if minute < 2 {
            assert!(report.transitions.is_empty(), "{:?}", report.transitions);
        }
        transitions.extend(report.transitions);
    }
    let status: Value = app.get("/status.json").await.json().await.unwrap();
    app.stop().await;
    (transitions, status, rotated_at)
}

/// The negative control of the key rotation: an app that never refetches Forge's keys fails
/// every site at the rotation, and the per-site alert fires within 5 simulated minutes and
/// opens an incident on the status page. Without the fault the same rotation raises nothing.
#[tokio::test]
async fn a_jwks_that_is_never_refetched_alerts_within_five_minutes() {
    each_backend(|db| async move {
        let (transitions, status, rotated_at) = key_rotation_drill(&db, true).await;
        let fired: Vec<_> = transitions
            .iter()
            .filter_map(|t| match t {
                amj_ops::alerts::Transition::Fired(a) => Some(a),
                amj_ops::alerts::Transition::Resolved { .. } => None,
            })
            .collect();
        let site_alerts = fired
            .iter()
            .filter(|a| a.key.rule == amj_ops::alerts::Rule::SiteAuthFailures)
            .count();
        assert_eq!(site_alerts, 4, "one per site: {fired:?}");
        for alert in &fired {
            assert!(
                alert.started_at - rotated_at <= 5 * 60_000,
                "{} fired {} s after the rotation",
                alert.summary,
                (alert.started_at - rotated_at) / 1000
            );
        }
        let open = status["openIncidents"].as_array().unwrap();
        assert!(
            open.iter().any(|i| i["alertRule"] == "site_auth_failures"),
            "{status}"
        );

        // The mirror, on a database of its own (the incident above stays in this one).
        let clean = TestDb::new(db.backend()).await;
        let (transitions, status, _) = key_rotation_drill(&clean, false).await;
        assert!(transitions.is_empty(), "{transitions:?}");
        assert!(
            status["openIncidents"].as_array().unwrap().is_empty(),
            "{status}"
        );
    })
    .await;
}

/// The simulator's Forge fault controls, over HTTP as the control page and drills use them:
/// the silent upgrade from Connect, a JWKS outage during a rotation, and revoked tokens.
#[tokio::test]
async fn the_simulators_forge_controls_drive_the_faults() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let control = |path: &str| {
            let url = format!("{}/_sim/forge/{path}", api.sim.base_url());
            let http = api.app.http.clone();
            async move {
                let response = http
                    .post(url)
                    .header("accept", "application/json")
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (
                    status,
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
        };
        let (status, upgraded) = control("sites/acme/upgrade").await;
        assert_eq!(status, 200, "{upgraded}");
        assert!(
            !api.sim.site("acme").unwrap().installed,
            "Connect is gone, silently"
        );
        // The control page shows the site's Forge installation and offers the same actions.
        let page = api
            .app
            .http
            .get(format!("{}/_sim", api.sim.base_url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(upgraded["installationId"].as_str().unwrap()),
            "{page}"
        );
        assert!(
            page.contains("action=\"/_sim/forge/sites/acme/upgrade\""),
            "{page}"
        );
        let (status, who) = api
            .app
            .call(
                "GET",
                "/api/v1/whoami",
                &Auth::forge_page(&api.sim, "acme", None),
                None,
            )
            .await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(who["installationId"], upgraded["installationId"]);
        assert_eq!(who["clientKey"], api.site.client_key.as_str());

        // A JWKS outage while Forge rotates: the new key cannot be fetched...
        assert_eq!(control("keys/outage").await.0, 200);
        assert_eq!(control("keys/rotate").await.0, 200);
        let (status, body) = api
            .app
            .call(
                "GET",
                "/api/v1/whoami",
                &Auth::forge_page(&api.sim, "acme", None),
                None,
            )
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "key_fetch_failed");
        // ...and once the JWKS is back, the next fetch (after the 10 s cooldown) recovers.
        assert_eq!(control("keys/restore").await.0, 200);
        wait_until(Duration::from_secs(30), || async {
            api.app
                .call(
                    "GET",
                    "/api/v1/whoami",
                    &Auth::forge_page(&api.sim, "acme", None),
                    None,
                )
                .await
                .0
                == 200
        })
        .await;

        // Revoked tokens: Jira refuses the stored one, and the app says so.
        assert_eq!(control("sites/acme/revoke-tokens").await.0, 200);
        let fit = api
            .sim
            .forge_invoke("acme", "amj-assets", Some("557058:x"))
            .unwrap()
            .fit;
        let (status, body) = api
            .app
            .call(
                "GET",
                "/api/v1/jira/users?query=a",
                &Auth::Forge {
                    fit,
                    system_token: None,
                },
                None,
            )
            .await;
        assert_eq!(status, 502, "{body}");
        assert_eq!(body["error"]["code"], "jira_rejected_app");
        assert_eq!(control("sites/nowhere/upgrade").await.0, 404);
        assert_eq!(control("keys/explode").await.0, 404);
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_connection_health_api_shows_the_platform_and_installations_to_admins_only() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let health = api.ok("GET", "/api/v1/admin/connection", None).await;
        assert_eq!(health["platform"], "connect");
        assert_eq!(health["installations"], json!([]));
        assert!(health["installedAt"].as_str().unwrap().ends_with('Z'));
        assert_eq!(health["events"][0]["kind"], "installed");

        let (status, body) = api
            .call("GET", "/api/v1/admin/connection", &api.user, None)
            .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"]["code"], "admin_required");

        // After the move to Forge, the admin sees it through Forge too: the installation, its
        // token's expiry, never the token.
        let installation = api.sim.forge_upgrade("acme").unwrap();
        let (status, health) = api
            .call(
                "GET",
                "/api/v1/admin/connection",
                &Auth::forge_page(&api.sim, "acme", None),
                None,
            )
            .await;
        assert_eq!(status, 200, "{health}");
        assert_eq!(health["platform"], "connect_and_forge");
        assert_eq!(health["installations"][0]["id"], installation.as_str());
        assert!(health["installations"][0]["tokenExpiresAt"].is_string());
        assert!(!health.to_string().contains("ey"), "no token in {health}");
    })
    .await;
}

/// A remote that fails on cue, to watch Forge's delivery from the outside: each answer in
/// `script` is used once (0 means "never answer"), then 204.
async fn scripted_remote(
    script: Vec<u16>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::routing::{get, post};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let descriptor = amj_server::descriptor::app_descriptor(&amj_server::config::AppConfig::local(
        url::Url::parse(&base).unwrap(),
    ));
    let script = std::sync::Arc::new(std::sync::Mutex::new(script.into_iter()));
    let router = axum::Router::new()
        .route(
            "/atlassian-connect.json",
            get(move || {
                let descriptor = descriptor.clone();
                async move { axum::Json(descriptor) }
            }),
        )
        .route(
            "/forge/events",
            post({
                let seen = seen.clone();
                move |axum::Json(body): axum::Json<Value>| {
                    let seen = seen.clone();
                    let script = script.clone();
                    async move {
                        seen.lock().unwrap().push(body);
                        let next = script.lock().unwrap().next().unwrap_or(204);
                        if next == 0 {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                        }
                        axum::http::StatusCode::from_u16(next).unwrap()
                    }
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, seen)
}

#[tokio::test]
async fn the_simulated_forge_retries_failed_and_timed_out_event_deliveries() {
    let sim = Sim::start().await.unwrap();
    let (remote, seen) = scripted_remote(vec![503, 0]).await;
    sim.register_app(&format!("{remote}/atlassian-connect.json"))
        .await
        .unwrap();
    sim.add_site("acme");
    sim.forge_install("acme", None).unwrap();
    let statuses = sim
        .forge_deliver_event(
            "acme",
            "avi:jira:deleted:issue",
            json!({"issue": {"id": "10001", "key": "AM-1"}}),
            Duration::from_millis(10),
        )
        .await
        .unwrap();
    assert_eq!(
        statuses,
        [503, 0, 204],
        "a failure, a timeout, then delivered"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(seen[0].get("retryContext").is_none());
    assert_eq!(seen[1]["retryContext"]["retryCount"], 1);
    assert_eq!(seen[1]["retryContext"]["retryReason"], "FUNCTION_ERROR");
    assert_eq!(seen[2]["retryContext"]["retryReason"], "TIMEOUT_ERROR");
    assert!(
        seen.iter()
            .all(|b| b["eventType"] == "avi:jira:deleted:issue")
    );

    // A remote that never recovers gets the first delivery and four retries, then no more.
    let (remote, seen) = scripted_remote(vec![500; 10]).await;
    sim.register_app(&format!("{remote}/atlassian-connect.json"))
        .await
        .unwrap();
    let statuses = sim
        .forge_deliver_event("acme", "avi:jira:deleted:issue", json!({}), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(statuses, [500; 5]);
    assert_eq!(seen.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn a_deleted_issue_on_a_forge_site_drops_its_links_through_a_forge_event() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.laptop("One", "S-1").await;
        api.ok(
            "POST",
            "/api/v1/assets/IT-1/issues",
            Some(json!({"issue": "AM-1"})),
        )
        .await;
        api.sim.forge_upgrade("acme").unwrap();
        // Jira sends a Forge event now, not a webhook.
        assert_eq!(api.sim.delete_issue("acme", "AM-1").await.unwrap(), [204]);
        let forge = Auth::forge_page(&api.sim, "acme", None);
        wait_until(Duration::from_secs(10), || async {
            let (_, issues) = api
                .call("GET", "/api/v1/assets/IT-1/issues", &forge, None)
                .await;
            issues["items"].as_array().is_some_and(Vec::is_empty)
        })
        .await;
        assert!(
            api.sim
                .calls()
                .iter()
                .any(|c| c.method == "FORGE EVENT" && c.status == 204)
        );
    })
    .await;
}

/// One site moved from Connect to Forge, with the store's link-dropping fault on or off:
/// what its users get through Forge (AM-1's linked assets and `whoami`, each with its status),
/// and the alert transitions of the next few watch ticks.
async fn move_drill(
    db: &TestDb,
    drop_links: bool,
) -> ((u16, Value), (u16, Value), Vec<amj_ops::alerts::Transition>) {
    use amj_ops::clock::Clock;
    let sim = Sim::start().await.unwrap();
    let clock = Clock::manual(amj_store::now_millis());
    let app = TestApp::start_with(db, &sim, |c| c.clock = clock.clone()).await;
    sim.register_app(&format!("{}/atlassian-connect.json", app.base_url))
        .await
        .unwrap();
    let api = Api::on(sim, app, "acme").await;
    api.it_schema().await;
    api.laptop("One", "S-1").await;
    let linked = api
        .ok(
            "POST",
            "/api/v1/assets/IT-1/issues",
            Some(json!({"issue": "AM-1"})),
        )
        .await;
    let issue = linked["issue"]["id"].as_i64().unwrap();
    api.app
        .state
        .store
        .faults()
        .drop_forge_links
        .store(drop_links, std::sync::atomic::Ordering::Relaxed);
    api.sim.forge_upgrade("acme").unwrap();
    let forge = Auth::forge_page(&api.sim, "acme", None);
    let who = api.call("GET", "/api/v1/whoami", &forge, None).await;
    let assets = api
        .call(
            "GET",
            &format!("/api/v1/issues/{issue}/assets"),
            &forge,
            None,
        )
        .await;
    let mut transitions = Vec::new();
    for _ in 0..3 {
        clock.advance(Duration::from_secs(61));
        transitions.extend(api.app.state.watch.tick().await.transitions);
    }
    api.app.stop().await;
    (assets, who, transitions)
}

/// The negative control of the move to Forge: a store that drops the Connect↔Forge link gives
/// the moved site a new, empty tenant. Its people get a clear refusal that says so (409
/// `forge_link_missing`), never an empty site, and the critical `forge_link_missing` alert fires
/// for that site at the next Forge check (within a simulated minute). Without the fault the same
/// move keeps the data and raises nothing.
#[tokio::test]
async fn a_dropped_connect_forge_link_is_refused_clearly_and_caught_within_a_minute() {
    each_backend(|db| async move {
        let ((status, assets), (who_status, who), transitions) = move_drill(&db, true).await;
        assert_eq!(status, 409, "{assets}");
        assert_eq!(assets["error"]["code"], "forge_link_missing", "{assets}");
        assert!(
            assets["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("Connect installation")),
            "{assets}"
        );
        assert!(assets.get("items").is_none(), "no empty list: {assets}");
        assert_eq!(who_status, 409, "{who}");
        let fired: Vec<_> = transitions
            .iter()
            .filter_map(|t| match t {
                amj_ops::alerts::Transition::Fired(a) => Some(a),
                amj_ops::alerts::Transition::Resolved { .. } => None,
            })
            .collect();
        assert!(
            fired
                .iter()
                .any(|a| a.key.rule == amj_ops::alerts::Rule::ForgeLinkMissing),
            "{fired:?}"
        );

        let clean = TestDb::new(db.backend()).await;
        let ((status, assets), (_, who), transitions) = move_drill(&clean, false).await;
        assert_eq!(status, 200, "{assets}");
        assert_eq!(
            assets["items"].as_array().map(Vec::len),
            Some(1),
            "the moved site keeps its links: {assets}"
        );
        assert!(who["clientKey"].is_string(), "{who}");
        assert!(transitions.is_empty(), "{transitions:?}");
    })
    .await;
}

/// The same rule under Connect, where a person has no token of their own: the app reads the
/// issue with its own access, then asks Jira (`permissions/check`) whether this person may
/// browse it. An issue they may not see is "not found", with nothing of it in the answer.
#[tokio::test]
async fn a_person_cannot_link_an_issue_they_may_not_see_through_connect() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.ok(
            "PUT",
            "/api/v1/schemas/IT",
            Some(json!({"name": "IT assets", "usersCanEdit": true})),
        )
        .await;
        api.laptop("One", "S-1").await;
        let admin = api.site.admin_account_id.clone();
        api.sim.restrict_project("acme", "OPS", &[&admin]);
        let ops = api
            .sim
            .with_data("acme", |d| {
                d.issues
                    .iter()
                    .find(|i| i.project_key == "OPS")
                    .map(|i| i.key.clone())
            })
            .flatten()
            .expect("the seeded site has an OPS issue");
        let link = |issue: &str| Some(json!({"issue": issue}));

        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-1/issues", &api.user, link(&ops))
            .await;
        assert_eq!(status, 404, "{body}");
        assert!(!body.to_string().contains("summary"), "{body}");
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/IT-1/issues",
                &api.user,
                link("AM-1"),
            )
            .await;
        assert_eq!(status, 201, "an issue they may see links: {body}");
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-1/issues", &api.admin, link(&ops))
            .await;
        assert_eq!(status, 201, "the admin may see OPS: {body}");
    })
    .await;
}

/// What a person does themselves through Forge is checked with their own permissions: linking
/// reads the issue with their `x-forge-oauth-user` token, so an issue they may not see is not
/// found (its summary never comes back through the app), while one they may see links. Without
/// a user token the app's own access applies, as before.
#[tokio::test]
async fn a_person_cannot_link_an_issue_they_may_not_see_through_forge() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.ok(
            "PUT",
            "/api/v1/schemas/IT",
            Some(json!({"name": "IT assets", "usersCanEdit": true})),
        )
        .await;
        api.laptop("One", "S-1").await;
        api.sim.forge_upgrade("acme").unwrap();
        let admin = api.site.admin_account_id.clone();
        let someone = api
            .sim
            .site_users("acme")
            .unwrap()
            .into_iter()
            .find(|u| u.account_id != admin)
            .unwrap()
            .account_id;
        // OPS is the admins' project only.
        api.sim.restrict_project("acme", "OPS", &[&admin]);
        let ops = api
            .sim
            .with_data("acme", |d| {
                d.issues
                    .iter()
                    .find(|i| i.project_key == "OPS")
                    .map(|i| i.key.clone())
            })
            .flatten()
            .expect("the seeded site has an OPS issue");

        let person = Auth::forge_person(&api.sim, "acme", &someone);
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/IT-1/issues",
                &person,
                Some(json!({"issue": ops})),
            )
            .await;
        assert_eq!(status, 404, "{body}");
        assert!(!body.to_string().contains("summary"), "{body}");
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/IT-1/issues",
                &Auth::forge_person(&api.sim, "acme", &someone),
                Some(json!({"issue": "AM-1"})),
            )
            .await;
        assert_eq!(status, 201, "an issue they may see links: {body}");
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/IT-1/issues",
                &Auth::forge_person(&api.sim, "acme", &admin),
                Some(json!({"issue": ops})),
            )
            .await;
        assert_eq!(status, 201, "the admin may see OPS: {body}");
        // The person's token is theirs alone: the site's credentials were never blamed.
        let tenant = api
            .app
            .state
            .store
            .tenant_by_client_key(&api.site.client_key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            api.app
                .state
                .counters
                .tenant(tenant.id)
                .outbound_unauthorized,
            0
        );
    })
    .await;
}

/// Forge's key rotation as a batched rollout over a time-scaled day, under traffic: the new key
/// is published before any site's invocations are signed with it, sites move to it batch by
/// batch, and the old key is retired after a grace period. No valid invocation is refused.
#[tokio::test]
async fn a_batched_forge_key_rollout_under_traffic_refuses_nothing() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let sites: Vec<String> = (0..6).map(|n| format!("site{n}")).collect();
        for site in &sites {
            sim.add_site(site);
            sim.forge_install(site, None).unwrap();
        }
        let old = sim.forge().active_kid().unwrap();
        let rollout = {
            let sim = sim.clone();
            tokio::spawn(async move {
                sim.forge_key_rollout(Duration::from_secs(2), 3, Duration::from_millis(300))
                    .await
            })
        };
        let mut calls = 0;
        while !rollout.is_finished() {
            for site in &sites {
                let (status, body) = app
                    .call(
                        "GET",
                        "/api/v1/whoami",
                        &Auth::forge_page(&sim, site, None),
                        None,
                    )
                    .await;
                assert_eq!(status, 200, "{site} during the rollout: {body}");
                calls += 1;
            }
        }
        let (new, batches) = rollout.await.unwrap().unwrap();
        assert!(batches.len() > 1, "{batches:?}");
        assert!(calls >= sites.len(), "traffic ran during the rollout");
        let kids: Vec<String> = sim
            .forge()
            .jwks()
            .unwrap()
            .keys
            .iter()
            .map(|k| k.kid.clone())
            .collect();
        assert_eq!(
            kids,
            std::slice::from_ref(&new),
            "the old key {old} is retired"
        );
        for site in &sites {
            let (status, _) = app
                .call(
                    "GET",
                    "/api/v1/whoami",
                    &Auth::forge_page(&sim, site, None),
                    None,
                )
                .await;
            assert_eq!(status, 200);
        }
        app.stop().await;
    })
    .await;
}

/// Applied Forge events are dropped a week on, so the queue does not grow forever; events not
/// applied yet stay. Forge's redeliveries come within minutes, well inside the week.
#[tokio::test]
async fn applied_forge_events_are_pruned_after_a_week_and_pending_ones_stay() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let store = &api.app.state.store;
        let tenant = store
            .tenant_by_client_key(&api.site.client_key)
            .await
            .unwrap()
            .unwrap();
        let mut ids = Vec::new();
        for n in 0..3 {
            let queued = store
                .enqueue_forge_event(
                    tenant.id,
                    "inst",
                    "avi:jira:deleted:issue",
                    "{}",
                    &format!("event-{n}"),
                )
                .await
                .unwrap();
            ids.push(queued.id);
        }
        store.finish_forge_event(ids[0], Ok(())).await.unwrap();
        store.finish_forge_event(ids[1], Ok(())).await.unwrap();
        // Nothing applied is older than a week yet.
        let week_ago = amj_store::now_millis() - amj_store::forge::FORGE_EVENT_KEEP_MS;
        assert_eq!(store.prune_forge_events(week_ago).await.unwrap(), 0);
        // A week later, the two applied ones go and the pending one stays.
        let later = amj_store::now_millis() + 1;
        assert_eq!(store.prune_forge_events(later).await.unwrap(), 2);
        assert_eq!(store.forge_event_deliveries().await.unwrap(), [1]);
        assert_eq!(store.forge_event_backlog().await.unwrap(), (1, 0));
    })
    .await;
}

/// A status change on a Forge site reaches the remote as `avi:jira:updated:issue`, with the
/// issue's new status and its category, and the change in the changelog (ids and names).
#[tokio::test]
async fn a_transition_on_a_forge_site_sends_the_status_change_with_its_category() {
    let sim = Sim::start().await.unwrap();
    let (remote, seen) = scripted_remote(Vec::new()).await;
    sim.register_app(&format!("{remote}/atlassian-connect.json"))
        .await
        .unwrap();
    sim.add_site("acme");
    sim.forge_install("acme", None).unwrap();
    let statuses = sim
        .transition_issue("acme", "AM-1", "approved")
        .await
        .unwrap();
    assert_eq!(statuses, [204]);
    let event = seen.lock().unwrap()[0].clone();
    assert_eq!(event["eventType"], "avi:jira:updated:issue");
    assert_eq!(event["issue"]["key"], "AM-1");
    let status = &event["issue"]["fields"]["status"];
    assert_eq!(
        (&status["name"], &status["statusCategory"]["key"]),
        (&json!("Approved"), &json!("indeterminate"))
    );
    assert_eq!(
        event["changelog"]["items"][0],
        json!({"field": "status", "fieldtype": "jira", "fieldId": "status",
               "from": "10000", "fromString": "To Do", "to": "10002", "toString": "Approved"})
    );
    // Already there: nothing changes and nothing is sent. An unknown status is refused.
    assert!(
        sim.transition_issue("acme", "AM-1", "Approved")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(sim.transition_issue("acme", "AM-1", "Limbo").await.is_err());
    assert_eq!(seen.lock().unwrap().len(), 1);
    let declined = sim
        .transition_issue("acme", "AM-1", "Declined")
        .await
        .unwrap();
    assert_eq!(declined, [204]);
    let event = seen.lock().unwrap()[1].clone();
    assert_eq!(
        event["issue"]["fields"]["status"]["statusCategory"]["key"],
        "done"
    );
}
