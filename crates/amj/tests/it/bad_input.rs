//! Bad input of every kind gets a clear 4xx and changes no tenant.

use crate::support::{TestApp, each_backend, error_code};
use amj_jira_sim::{ClaimTweaks, Signing, Sim};

#[tokio::test]
async fn truncated_garbage_and_oversized_tokens_are_clear_401s() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        let site = sim.site("acme").unwrap();
        let good = sim.context_token(&site, None).unwrap();
        let truncated = &good[..good.len() / 2];
        let huge = "a".repeat(20_000);
        for token in [truncated, "garbage", "a.b.c", "....", huge.as_str()] {
            let response = app.get_with_jwt("/api/v1/whoami", token).await;
            assert_eq!(response.status(), 401, "{}", &token[..token.len().min(20)]);
            let code = error_code(response).await;
            assert!(
                ["malformed", "bad_signature"].contains(&code.as_str()),
                "{code}"
            );
        }
        let bearer = app
            .http
            .get(format!("{}/api/v1/whoami", app.base_url))
            .header("Authorization", "Bearer x")
            .send()
            .await
            .unwrap();
        assert_eq!(bearer.status(), 401);
        // A 1 MB header never reaches the application: the HTTP layer refuses it.
        let megabyte = "a".repeat(1024 * 1024);
        let response = app
            .http
            .get(format!("{}/api/v1/whoami", app.base_url))
            .header("Authorization", format!("JWT {megabyte}"))
            .send()
            .await;
        match response {
            Ok(r) => assert!(r.status().is_client_error(), "{}", r.status()),
            Err(e) => assert!(e.is_request() || e.is_connect() || e.is_body(), "{e}"),
        }
        assert_eq!(
            app.get("/healthz").await.status(),
            200,
            "the server is still up"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn malformed_lifecycle_bodies_get_400_and_change_nothing() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
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
        for body in ["not json", "{}", "[]", "{\"clientKey\": 5}"] {
            let response = app
                .http
                .post(format!("{}/installed", app.base_url))
                .header("Authorization", format!("JWT {token}"))
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{body}");
            assert_eq!(error_code(response).await, "invalid_lifecycle_payload");
        }
        let mut wrong_key = sim.lifecycle_payload(&site, &app.target, "installed", Some("x"));
        wrong_key["key"] = "someone-else".into();
        assert_eq!(
            app.post_with_jwt("/installed", &token, wrong_key)
                .await
                .status(),
            400
        );
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tenant.shared_secret.expose(), site.shared_secret);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_path_traversal_kid_is_refused_before_any_fetch() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let site = sim.add_site("acme");
        let body =
            sim.lifecycle_payload(&site, &app.target, "installed", Some(&site.shared_secret));
        let (_, key) = sim.keys().current().unwrap();
        let token = sim
            .lifecycle_token(
                &site,
                &app.target,
                "/installed",
                &Signing::ForeignKey("../../x".into(), key),
                &ClaimTweaks::default(),
            )
            .unwrap()
            .unwrap();
        let before = sim.keys().requests();
        let response = app.post_with_jwt("/installed", &token, body).await;
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "malformed");
        assert_eq!(sim.keys().requests(), before);
        assert!(
            app.state
                .store
                .tenant_by_client_key(&site.client_key)
                .await
                .unwrap()
                .is_none()
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_and_static_files_get_json_404s() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let response = app.get("/nope").await;
        assert_eq!(response.status(), 404);
        assert_eq!(error_code(response).await, "not_found");
        assert_eq!(
            app.get("/static/..%2F..%2Fetc%2Fpasswd").await.status(),
            404
        );
        assert_eq!(app.get("/static/app.css").await.status(), 200);
        app.stop().await;
    })
    .await;
}
