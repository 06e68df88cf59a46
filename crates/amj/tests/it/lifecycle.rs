//! Scenarios A1–A14 of docs/CONNECT.md §9: installation and lifecycle.

use crate::support::{TestApp, each_backend, error_code};
use amj_connect::jwt::Unverified;
use amj_jira_sim::{ClaimTweaks, KeyServerMode, Signing, Sim, Site};

async fn page_status(sim: &Sim, app: &TestApp, site: &str) -> u16 {
    let site = sim.site(site).unwrap();
    let url = sim.iframe_url(&site, &app.target, "/pages/assets").unwrap();
    app.http.get(url).send().await.unwrap().status().as_u16()
}

async fn installed(app: &TestApp, client_key: &str) -> Option<amj_store::Tenant> {
    app.state
        .store
        .tenant_by_client_key(client_key)
        .await
        .unwrap()
}

#[tokio::test]
async fn a1_signed_install_is_stored_before_204_and_then_verifies() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        assert_eq!(sim.install("acme", &app.target).await.unwrap(), 204);
        let tenant = installed(&app, &site.client_key).await.expect("stored");
        assert_eq!(tenant.shared_secret.expose(), site.shared_secret);
        assert_eq!(tenant.base_url, site.base_url);
        assert_eq!(tenant.product_type.as_deref(), Some("jira"));
        assert!(
            tenant
                .installation_id
                .as_deref()
                .unwrap()
                .starts_with("ari:cloud:ecosystem::installation/")
        );
        assert!(tenant.installed && tenant.enabled);
        assert_eq!(page_status(&sim, &app, "acme").await, 200);
        let events = app
            .state
            .store
            .lifecycle_events(tenant.id, None, 10)
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "installed");
        assert!(
            !events[0].detail.contains(&site.shared_secret),
            "the log holds a fingerprint, never the secret"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a2_unsigned_hs256_none_and_kidless_installs_are_refused() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        let none = ClaimTweaks::default();
        // No token.
        let response = app
            .http
            .post(format!("{}/installed", app.base_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "missing_token");
        // HS256, signed with the very secret it carries.
        let hs = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::SharedSecret(site.shared_secret.clone()),
                &none,
            )
            .unwrap()
            .unwrap();
        let response = app.post_with_jwt("/installed", &hs, body.clone()).await;
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "alg_not_allowed");
        // alg none: the RS256 token with its header swapped and signature dropped.
        let rs = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &none,
            )
            .unwrap()
            .unwrap();
        let claims = rs.split('.').nth(1).unwrap();
        let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");
        let response = app
            .post_with_jwt("/installed", &alg_none, body.clone())
            .await;
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "alg_not_allowed");
        // RS256 without kid.
        let kidless = format!(
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{claims}.{}",
            rs.split('.').nth(2).unwrap()
        );
        let response = app
            .post_with_jwt("/installed", &kidless, body.clone())
            .await;
        assert_eq!(response.status(), 401);
        assert!(
            installed(&app, &site.client_key).await.is_none(),
            "nothing stored"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a3_key_server_failures_refuse_and_recovery_accepts() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        for (mode, code) in [
            (KeyServerMode::NotFound, "unknown_key"),
            (KeyServerMode::ServerError, "key_fetch_failed"),
            (KeyServerMode::Hang, "key_fetch_failed"),
        ] {
            sim.set_key_server_mode(mode);
            let body =
                sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
            let token = sim
                .lifecycle_token(
                    &site,
                    &app.target,
                    "/installed",
                    &Signing::InstallKey,
                    &ClaimTweaks::default(),
                )
                .unwrap()
                .unwrap();
            let started = std::time::Instant::now();
            let response = app.post_with_jwt("/installed", &token, body).await;
            assert_eq!(response.status(), 401, "{mode:?}");
            assert_eq!(error_code(response).await, code, "{mode:?}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "key fetches time out within seconds"
            );
            assert!(installed(&app, &site.client_key).await.is_none());
        }
        sim.set_key_server_mode(KeyServerMode::Normal);
        assert_eq!(
            sim.install("acme", &app.target).await.unwrap(),
            204,
            "a failed fetch is not cached"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a4_audience_must_be_our_base_url_with_trailing_slash_tolerated() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        let evil = ClaimTweaks {
            aud: Some("https://evil.example".into()),
            ..Default::default()
        };
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &evil,
            )
            .unwrap()
            .unwrap();
        let response = app.post_with_jwt("/installed", &token, body.clone()).await;
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "wrong_audience");
        let slash = ClaimTweaks {
            aud: Some(format!("{}/", app.base_url)),
            ..Default::default()
        };
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &slash,
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            app.post_with_jwt("/installed", &token, body).await.status(),
            204
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a5_body_and_token_disagree_changes_neither_site() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let c1 = sim.add_site("one");
        let c2 = sim.add_site("two");
        sim.install("one", &app.target).await.unwrap();
        sim.install("two", &app.target).await.unwrap();
        let body = sim.lifecycle_payload(&c2, &app.target, "installed", Some("EVIL"));
        let token = sim
            .lifecycle_token(
                &c1,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &ClaimTweaks::default(),
            )
            .unwrap()
            .unwrap();
        let response = app.post_with_jwt("/installed", &token, body).await;
        assert_eq!(response.status(), 403);
        assert_eq!(error_code(response).await, "client_key_mismatch");
        assert_eq!(
            installed(&app, &c1.client_key)
                .await
                .unwrap()
                .shared_secret
                .expose(),
            c1.shared_secret
        );
        assert_eq!(
            installed(&app, &c2.client_key)
                .await
                .unwrap()
                .shared_secret
                .expose(),
            c2.shared_secret
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a6_qsh_for_another_path_or_context_qsh_is_refused() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        for qsh in [
            amj_connect::qsh::qsh("POST", "/uninstalled", None, ""),
            "context-qsh".to_owned(),
        ] {
            let tweaks = ClaimTweaks {
                qsh: Some(qsh),
                ..Default::default()
            };
            let token = sim
                .lifecycle_token(
                    &site,
                    &app.target,
                    "/installed",
                    &Signing::InstallKey,
                    &tweaks,
                )
                .unwrap()
                .unwrap();
            let response = app.post_with_jwt("/installed", &token, body.clone()).await;
            assert_eq!(response.status(), 401);
            assert_eq!(error_code(response).await, "qsh_mismatch");
        }
        assert!(installed(&app, &site.client_key).await.is_none());
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a7_expiry_leeway_is_thirty_seconds() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        let late = ClaimTweaks {
            exp_offset: Some(-60),
            iat_offset: Some(-240),
            ..Default::default()
        };
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &late,
            )
            .unwrap()
            .unwrap();
        let response = app.post_with_jwt("/installed", &token, body.clone()).await;
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "expired");
        let just = ClaimTweaks {
            exp_offset: Some(-10),
            iat_offset: Some(-190),
            ..Default::default()
        };
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &just,
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            app.post_with_jwt("/installed", &token, body).await.status(),
            204
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a8_event_type_must_match_the_endpoint() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let body =
            sim.lifecycle_payload(&site, &app.target, "uninstalled", Some(&site.shared_secret));
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &ClaimTweaks::default(),
            )
            .unwrap()
            .unwrap();
        let response = app.post_with_jwt("/installed", &token, body).await;
        assert_eq!(response.status(), 400);
        assert_eq!(error_code(response).await, "invalid_lifecycle_payload");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a9_forged_installs_never_overwrite_a_site() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        let forged = sim.lifecycle_payload(&site, &app.target, "installed", Some("EVIL"));
        let none = ClaimTweaks::default();
        let attacker_keys = amj_jira_sim::InstallKeys::new("attacker").unwrap();
        let (kid, key) = attacker_keys.current().unwrap();
        let attempts = [
            None,
            sim.lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::SharedSecret("EVIL".into()),
                &none,
            )
            .unwrap(),
            sim.lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::ForeignKey(kid, key),
                &none,
            )
            .unwrap(),
        ];
        for token in attempts {
            let mut request = app
                .http
                .post(format!("{}/installed", app.base_url))
                .json(&forged);
            if let Some(token) = &token {
                request = request.header("Authorization", format!("JWT {token}"));
            }
            assert_eq!(request.send().await.unwrap().status(), 401);
        }
        assert_eq!(
            installed(&app, &site.client_key)
                .await
                .unwrap()
                .shared_secret
                .expose(),
            site.shared_secret
        );
        assert_eq!(
            page_status(&sim, &app, "acme").await,
            200,
            "the real secret still works"
        );
        let mut evil_site = site.clone();
        evil_site.shared_secret = "EVIL".into();
        let evil_url = sim
            .iframe_url(&evil_site, &app.target, "/pages/assets")
            .unwrap();
        assert_eq!(
            app.http.get(evil_url).send().await.unwrap().status(),
            401,
            "EVIL-signed requests fail"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a10_uninstall_marks_keeps_the_secret_and_refuses_unsigned() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        let body = sim.lifecycle_payload(&site, &app.target, "uninstalled", None);
        let unsigned = app
            .http
            .post(format!("{}/uninstalled", app.base_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(unsigned.status(), 401);
        assert!(installed(&app, &site.client_key).await.unwrap().installed);
        assert_eq!(sim.uninstall("acme", &app.target).await.unwrap(), 204);
        let tenant = installed(&app, &site.client_key).await.unwrap();
        assert!(!tenant.installed);
        assert_eq!(
            tenant.shared_secret.expose(),
            site.shared_secret,
            "the secret is kept"
        );
        let response = app
            .http
            .get(sim.iframe_url(&site, &app.target, "/pages/assets").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "tenant_uninstalled");
        // A validly signed uninstall for a site we never knew: 204, and no record appears.
        let stranger = sim.add_site("stranger");
        assert_eq!(sim.uninstall("stranger", &app.target).await.unwrap(), 204);
        assert!(installed(&app, &stranger.client_key).await.is_none());
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a11_reinstall_after_uninstall_uses_the_new_secret_only() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let s1 = sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        sim.uninstall("acme", &app.target).await.unwrap();
        assert_eq!(sim.rotate("acme", &app.target, false).await.unwrap(), 204);
        let s2 = sim.site("acme").unwrap();
        assert_ne!(s1.shared_secret, s2.shared_secret);
        let tenant = installed(&app, &s1.client_key).await.unwrap();
        assert!(tenant.installed);
        assert_eq!(tenant.shared_secret.expose(), s2.shared_secret);
        assert_eq!(page_status(&sim, &app, "acme").await, 200);
        let old = app
            .http
            .get(sim.iframe_url(&s1, &app.target, "/pages/assets").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(old.status(), 401);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a12_duplicate_and_concurrent_installs_leave_one_row() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &ClaimTweaks::default(),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            app.post_with_jwt("/installed", &token, body.clone())
                .await
                .status(),
            204
        );
        assert_eq!(
            app.post_with_jwt("/installed", &token, body.clone())
                .await
                .status(),
            204,
            "redelivery is idempotent"
        );
        let concurrent: Vec<_> = (0..6)
            .map(|_| {
                let request = app
                    .http
                    .post(format!("{}/installed", app.base_url))
                    .header("Authorization", format!("JWT {token}"))
                    .json(&body);
                async move { request.send().await.unwrap().status() }
            })
            .collect();
        for status in futures_join_all(concurrent).await {
            assert_eq!(status, 204);
        }
        // Many different sites at once all succeed.
        let names: Vec<String> = (0..8).map(|i| format!("site{i}")).collect();
        for name in &names {
            sim.add_site(name);
        }
        let installs: Vec<_> = names
            .iter()
            .map(|n| {
                let (sim, target, name) = (sim.clone(), app.target.clone(), n.clone());
                async move { sim.install(&name, &target).await }
            })
            .collect();
        for status in futures_join_all(installs).await {
            assert_eq!(status.unwrap(), 204);
        }
        assert_eq!(app.state.store.count_installed_tenants().await.unwrap(), 9);
        let tenant = installed(&app, &site.client_key).await.unwrap();
        assert_eq!(tenant.shared_secret.expose(), site.shared_secret);
        app.stop().await;
    })
    .await;
}

/// A tiny join-all, to avoid a dependency for one helper.
async fn futures_join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a13_store_failure_answers_5xx_never_2xx() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        app.state.store.close().await;
        let status = sim.install("acme", &app.target).await.unwrap();
        assert_eq!(status, 503);
        assert!(
            !sim.site("acme").unwrap().installed,
            "the host marks the install failed"
        );
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status(), 503);
        assert_eq!(
            app.get("/healthz").await.status(),
            200,
            "liveness does not depend on the database"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a14_legacy_mode_accepts_old_secret_signed_reinstall_only_when_enabled() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let strict = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        // Without legacy mode, an unsigned first install is refused.
        let body = sim.lifecycle_payload(
            &site,
            &strict.target,
            "installed",
            Some(&site.shared_secret),
        );
        assert_eq!(
            strict
                .http
                .post(format!("{}/installed", strict.base_url))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        strict.stop().await;

        let app = TestApp::start_with(&db, &sim, |c| c.legacy_installs = true).await;
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        assert_eq!(
            app.http
                .post(format!("{}/installed", app.base_url))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status(),
            204
        );
        // Reinstall with S2, HS256-signed with S1.
        let s2 = "ATCO-second-secret".to_owned();
        let body = sim.lifecycle_payload(&site, &app.target, "installed", Some(&s2));
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::SharedSecret(site.shared_secret.clone()),
                &ClaimTweaks::default(),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            app.post_with_jwt("/installed", &token, body).await.status(),
            204
        );
        assert_eq!(
            installed(&app, &site.client_key)
                .await
                .unwrap()
                .shared_secret
                .expose(),
            s2
        );
        // A legacy reinstall signed with anything but the stored secret is refused.
        let body = sim.lifecycle_payload(&site, &app.target, "installed", Some("EVIL"));
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::SharedSecret("EVIL".into()),
                &ClaimTweaks::default(),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            app.post_with_jwt("/installed", &token, body).await.status(),
            401
        );
        assert_eq!(
            installed(&app, &site.client_key)
                .await
                .unwrap()
                .shared_secret
                .expose(),
            s2
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn replayed_older_install_never_rolls_back_the_secret() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let old_body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        let early = ClaimTweaks {
            iat_offset: Some(-5),
            ..Default::default()
        };
        let old_token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &early,
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            app.post_with_jwt("/installed", &old_token, old_body.clone())
                .await
                .status(),
            204
        );
        assert_eq!(sim.rotate("acme", &app.target, false).await.unwrap(), 204);
        let current = sim.site("acme").unwrap().shared_secret;
        let replay = app.post_with_jwt("/installed", &old_token, old_body).await;
        assert_eq!(replay.status(), 409);
        assert_eq!(error_code(replay).await, "stale_lifecycle_event");
        assert_eq!(
            installed(&app, &site.client_key)
                .await
                .unwrap()
                .shared_secret
                .expose(),
            current
        );
        app.stop().await;
    })
    .await;
}

/// An install token for `site`, signed like Jira's, with its `iat`.
fn install_token(sim: &Sim, app: &TestApp, site: &Site, tweaks: &ClaimTweaks) -> (String, i64) {
    let token = sim
        .lifecycle_token(
            site,
            &app.target,
            "/installed",
            &Signing::InstallKey,
            tweaks,
        )
        .unwrap()
        .unwrap();
    let iat = Unverified::parse(&token).unwrap().claims.iat;
    (token, iat)
}

/// Two different install tokens signed in the same second: the same `iat`, as when Jira (or a
/// harness) installs twice within one second.
fn same_second_install_tokens(sim: &Sim, app: &TestApp, site: &Site) -> (String, String) {
    loop {
        let (first, first_iat) = install_token(sim, app, site, &ClaimTweaks::default());
        let (second, second_iat) = install_token(sim, app, site, &ClaimTweaks::default());
        if first_iat == second_iat {
            assert_ne!(first, second, "two installs are two different tokens");
            return (first, second);
        }
    }
}

async fn stored_secret(app: &TestApp, client_key: &str) -> String {
    installed(app, client_key)
        .await
        .unwrap()
        .shared_secret
        .expose()
        .to_owned()
}

/// The outside harness's attack: two installs with the same `iat` (different tokens), then a
/// replay of the first. Deciding "older" by `iat` alone let the replay roll the secret back.
#[tokio::test]
async fn a15_same_second_replay_of_the_first_install_never_rolls_back_the_secret() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let (first, second) = same_second_install_tokens(&sim, &app, &site);
        let first_body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some("ATCO-first-secret"));
        let second_body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some("ATCO-second-secret"));
        let status = |r: reqwest::Response| r.status().as_u16();
        assert_eq!(
            status(
                app.post_with_jwt("/installed", &first, first_body.clone())
                    .await
            ),
            204
        );
        assert_eq!(
            status(
                app.post_with_jwt("/installed", &second, second_body.clone())
                    .await
            ),
            204,
            "a different token of the same second, never seen before, is applied"
        );
        assert_eq!(
            stored_secret(&app, &site.client_key).await,
            "ATCO-second-secret"
        );

        let replay = app
            .post_with_jwt("/installed", &first, first_body.clone())
            .await;
        assert_eq!(replay.status(), 409);
        assert_eq!(error_code(replay).await, "stale_lifecycle_event");
        assert_eq!(
            stored_secret(&app, &site.client_key).await,
            "ATCO-second-secret",
            "the replay of the first install never rolls the site back"
        );

        // The applied token carrying the first install's body is no re-delivery either.
        let grafted = app.post_with_jwt("/installed", &second, first_body).await;
        assert_eq!(grafted.status(), 409);
        assert_eq!(error_code(grafted).await, "stale_lifecycle_event");
        assert_eq!(
            stored_secret(&app, &site.client_key).await,
            "ATCO-second-secret"
        );

        // The exact re-delivery of the applied install stays idempotent.
        assert_eq!(
            status(app.post_with_jwt("/installed", &second, second_body).await),
            204
        );
        assert_eq!(
            stored_secret(&app, &site.client_key).await,
            "ATCO-second-secret"
        );
        let tenant = installed(&app, &site.client_key).await.unwrap();
        let kinds: Vec<String> = app
            .state
            .store
            .lifecycle_events(tenant.id, None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            ["installed", "secret_rotated", "installed", "installed"],
            "refused replays leave no trace in the log; the re-delivery is logged"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a15_replay_of_an_older_install_after_a_newer_one_is_refused() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let early = |seconds: i64| ClaimTweaks {
            iat_offset: Some(-seconds),
            ..Default::default()
        };
        let (old, _) = install_token(&sim, &app, &site, &early(10));
        let (unseen_old, _) = install_token(&sim, &app, &site, &early(5));
        let (new, _) = install_token(&sim, &app, &site, &ClaimTweaks::default());
        let body =
            |secret: &str| sim.lifecycle_payload(&site, &app.target, "installed", Some(secret));
        assert_eq!(
            app.post_with_jwt("/installed", &old, body("ATCO-old"))
                .await
                .status(),
            204
        );
        assert_eq!(
            app.post_with_jwt("/installed", &new, body("ATCO-new"))
                .await
                .status(),
            204
        );
        for (token, secret) in [(&old, "ATCO-old"), (&unseen_old, "ATCO-unseen")] {
            let replay = app.post_with_jwt("/installed", token, body(secret)).await;
            assert_eq!(replay.status(), 409);
            assert_eq!(error_code(replay).await, "stale_lifecycle_event");
            assert_eq!(stored_secret(&app, &site.client_key).await, "ATCO-new");
        }
        app.stop().await;
    })
    .await;
}

/// A re-delivery of the install last applied answers 204 and changes nothing: it neither
/// re-enables a site that was disabled since nor resets anything else.
#[tokio::test]
async fn a15_exact_duplicate_install_is_idempotent() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let (token, _) = install_token(&sim, &app, &site, &ClaimTweaks::default());
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        for _ in 0..3 {
            assert_eq!(
                app.post_with_jwt("/installed", &token, body.clone())
                    .await
                    .status(),
                204
            );
        }
        let tenant = installed(&app, &site.client_key).await.unwrap();
        assert_eq!(tenant.shared_secret.expose(), site.shared_secret);
        assert_eq!(tenant.secret_rotated_at, None);
        assert_eq!(
            sim.set_enabled("acme", &app.target, false).await.unwrap(),
            204
        );
        assert_eq!(
            app.post_with_jwt("/installed", &token, body).await.status(),
            204
        );
        let tenant = installed(&app, &site.client_key).await.unwrap();
        assert!(
            !tenant.enabled,
            "a re-delivered install does not undo a later disable"
        );
        assert_eq!(tenant.shared_secret.expose(), site.shared_secret);
        app.stop().await;
    })
    .await;
}

/// Uninstall tokens are accepted once too: after a reinstall in the same second, a replay of the
/// uninstall does not uninstall the site again.
#[tokio::test]
async fn a15_same_second_replay_of_an_uninstall_is_refused() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let body = |event: &str, secret: Option<&str>| {
            sim.lifecycle_payload(&site, &app.target, event, secret)
        };
        let (install, uninstall, reinstall) = loop {
            let (install, a) = install_token(&sim, &app, &site, &ClaimTweaks::default());
            let uninstall = sim
                .lifecycle_token(
                    &site,
                    &app.target,
                    "/uninstalled",
                    &Signing::InstallKey,
                    &ClaimTweaks::default(),
                )
                .unwrap()
                .unwrap();
            let b = Unverified::parse(&uninstall).unwrap().claims.iat;
            let (reinstall, c) = install_token(&sim, &app, &site, &ClaimTweaks::default());
            if a == b && b == c {
                break (install, uninstall, reinstall);
            }
        };
        assert_eq!(
            app.post_with_jwt("/installed", &install, body("installed", Some("ATCO-one")))
                .await
                .status(),
            204
        );
        assert_eq!(
            app.post_with_jwt("/uninstalled", &uninstall, body("uninstalled", None))
                .await
                .status(),
            204
        );
        assert_eq!(
            app.post_with_jwt("/uninstalled", &uninstall, body("uninstalled", None))
                .await
                .status(),
            204,
            "the uninstall's own re-delivery is idempotent"
        );
        assert_eq!(
            app.post_with_jwt(
                "/installed",
                &reinstall,
                body("installed", Some("ATCO-two"))
            )
            .await
            .status(),
            204
        );
        let replay = app
            .post_with_jwt("/uninstalled", &uninstall, body("uninstalled", None))
            .await;
        assert_eq!(replay.status(), 409);
        assert_eq!(error_code(replay).await, "stale_lifecycle_event");
        let tenant = installed(&app, &site.client_key).await.unwrap();
        assert!(tenant.installed, "the replayed uninstall changed nothing");
        assert_eq!(tenant.shared_secret.expose(), "ATCO-two");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn hosts_outside_the_allow_list_are_refused_before_any_key_fetch() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start_with(&db, &sim, |c| {
            c.allowed_hosts =
                amj_connect::lifecycle::HostAllowList::parse("*.atlassian.net").unwrap();
        })
        .await;
        sim.add_site("acme");
        let before = sim.keys().requests();
        let site = sim.site("acme").unwrap();
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::InstallKey,
                &ClaimTweaks::default(),
            )
            .unwrap()
            .unwrap();
        let response = app.post_with_jwt("/installed", &token, body).await;
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "host_not_allowed");
        assert_eq!(sim.keys().requests(), before, "no key was fetched");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn enabled_and_disabled_toggle_access() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        assert_eq!(
            sim.set_enabled("acme", &app.target, false).await.unwrap(),
            204
        );
        let site = sim.site("acme").unwrap();
        let response = app
            .http
            .get(sim.iframe_url(&site, &app.target, "/pages/assets").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "tenant_disabled");
        assert_eq!(
            sim.set_enabled("acme", &app.target, true).await.unwrap(),
            204
        );
        assert_eq!(page_status(&sim, &app, "acme").await, 200);
        app.stop().await;
    })
    .await;
}
