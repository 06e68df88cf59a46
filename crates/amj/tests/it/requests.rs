//! Scenarios C1–C6: host→app request tokens, and the API and page contracts.

use crate::support::{TestApp, each_backend, error_code};
use amj_connect::{AuthReason, RouteKind};
use amj_jira_sim::Sim;
use amj_server::web::api::{Platform, WhoAmI};

async fn installed_app(db: &crate::support::TestDb) -> (Sim, TestApp, amj_jira_sim::Site) {
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(db, &sim).await;
    sim.add_site("acme");
    assert_eq!(sim.install("acme", &app.target).await.unwrap(), 204);
    let site = sim.site("acme").unwrap();
    (sim, app, site)
}

/// A Connect page as Jira frames it: its status, CSP and body.
async fn framed_page(
    sim: &Sim,
    app: &TestApp,
    site: &amj_jira_sim::Site,
    path: &str,
) -> (u16, String, String) {
    let url = sim.iframe_url(site, &app.target, path).unwrap();
    let response = app.http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let csp = response
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, csp, response.text().await.unwrap())
}

#[tokio::test]
async fn c1_iframe_get_with_context_parameters() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let (status, csp, html) = framed_page(
            &sim,
            &app,
            &site,
            "/pages/issue-glance?issueKey=AM-1&issueId=10001",
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            csp.contains(&format!("frame-ancestors {}", sim.base_url())),
            "{csp}"
        );
        assert!(html.contains("AM-1"));
        assert!(html.contains("name=\"amj-context-token\""));
        app.stop().await;
    })
    .await;
}

/// The dashboard gadget boots the bundle for its dashboard item; the page may show Jira's
/// avatars (the site's own, Atlassian's avatar service); ids that are not Jira's are refused.
#[tokio::test]
async fn c1_gadget_boots_for_its_dashboard_item() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let (status, csp, html) = framed_page(
            &sim,
            &app,
            &site,
            "/pages/gadget?dashboardId=10000&dashboardItemId=20000",
        )
        .await;
        assert_eq!(status, 200);
        let img = csp
            .split(';')
            .find(|d| d.trim().starts_with("img-src"))
            .unwrap_or_default()
            .to_owned();
        assert!(img.contains(sim.base_url()), "{csp}");
        assert!(img.contains("https://*.atl-paas.net"), "{csp}");
        assert!(
            html.contains(r#"<meta name="amj-page" content="gadget">"#),
            "{html}"
        );
        assert!(html.contains(r#"<meta name="amj-dashboard-id" content="10000">"#));
        assert!(html.contains(r#"<meta name="amj-dashboard-item-id" content="20000">"#));

        let url = sim
            .iframe_url(
                &site,
                &app.target,
                "/pages/gadget?dashboardId=10000&dashboardItemId=x%22%3E",
            )
            .unwrap();
        let response = app.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(error_code(response).await, "invalid_gadget");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn c2_tampered_query_is_refused() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let url = sim
            .iframe_url(&site, &app.target, "/pages/issue-glance?issueKey=AM-1")
            .unwrap();
        let tampered = url.replace("issueKey=AM-1", "issueKey=AM-2");
        let response = app.http.get(tampered).send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            format!("JWT realm=\"{}\"", app.target.key).as_str()
        );
        assert_eq!(error_code(response).await, "qsh_mismatch");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn c3_unknown_issuer_and_uninstalled_site() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let stranger = sim.add_site("stranger");
        let response = app
            .http
            .get(
                sim.iframe_url(&stranger, &app.target, "/pages/assets")
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "unknown_issuer");
        sim.uninstall("acme", &app.target).await.unwrap();
        let token = sim.context_token(&site, None).unwrap();
        let response = app.get_with_jwt("/api/v1/whoami", &token).await;
        assert_eq!(response.status(), 401);
        assert_eq!(error_code(response).await, "tenant_uninstalled");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn c4_context_tokens_only_on_context_routes() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let token = sim.context_token(&site, Some("557058:user-1")).unwrap();
        let response = app.get_with_jwt("/api/v1/whoami", &token).await;
        assert_eq!(response.status(), 200);
        let who: WhoAmI = response.json().await.unwrap();
        assert_eq!(
            who,
            WhoAmI {
                platform: Platform::Connect,
                installation_id: None,
                cloud_id: None,
                client_key: Some(site.client_key.clone()),
                base_url: Some(site.base_url.clone()),
                account_id: Some("557058:user-1".into())
            }
        );
        let page = app.get(&format!("/pages/assets?jwt={token}")).await;
        assert_eq!(page.status(), 401, "iframe route");
        assert_eq!(error_code(page).await, "qsh_mismatch");
        let hook = app
            .post_with_jwt("/webhooks/issue-deleted", &token, serde_json::json!({}))
            .await;
        assert_eq!(hook.status(), 401, "webhook route");
        let body = sim.lifecycle_payload(&site, &app.target, "enabled", None);
        assert_eq!(
            app.post_with_jwt("/enabled", &token, body).await.status(),
            401,
            "lifecycle route"
        );
        // Our API also takes an exact-qsh token, and never a query-string one.
        let exact = sim
            .host_token(&site, "GET", "/api/v1/whoami", None)
            .unwrap();
        assert_eq!(
            app.get_with_jwt("/api/v1/whoami", &exact).await.status(),
            200
        );
        let query = app.get(&format!("/api/v1/whoami?jwt={token}")).await;
        assert_eq!(query.status(), 401);
        assert_eq!(error_code(query).await, "missing_token");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn c6_algorithm_confusion_is_refused_and_typ_is_optional() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let token = sim.context_token(&site, None).unwrap();
        let (_, rest) = token.split_once('.').unwrap();
        for header in ["eyJhbGciOiJSUzI1NiJ9", "eyJhbGciOiJub25lIn0"] {
            let response = app
                .get_with_jwt("/api/v1/whoami", &format!("{header}.{rest}"))
                .await;
            assert_eq!(response.status(), 401);
            assert_eq!(error_code(response).await, "alg_not_allowed");
        }
        let claims: serde_json::Value = {
            use base64::Engine as _;
            let part = rest.split('.').next().unwrap();
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(part)
                    .unwrap(),
            )
            .unwrap()
        };
        let header = jsonwebtoken::Header {
            typ: None,
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        };
        let untyped = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(site.shared_secret.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            app.get_with_jwt("/api/v1/whoami", &untyped).await.status(),
            200
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn page_embeds_a_context_token_its_own_api_calls_accept() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let html = app
            .http
            .get(sim.iframe_url(&site, &app.target, "/pages/assets").unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = "name=\"amj-context-token\" content=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let token = &html[start..start + html[start..].find('"').unwrap()];
        let response = app.get_with_jwt("/api/v1/whoami", token).await;
        assert_eq!(response.status(), 200);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn auth_outcomes_are_counted_per_route_kind_reason_and_site() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let counters = &app.state.counters;
        let before = counters.failures(RouteKind::Iframe, AuthReason::QshMismatch);
        let url = sim
            .iframe_url(&site, &app.target, "/pages/issue-glance?issueKey=AM-1")
            .unwrap()
            .replace("AM-1", "AM-9");
        app.http.get(url).send().await.unwrap();
        assert_eq!(
            counters.failures(RouteKind::Iframe, AuthReason::QshMismatch),
            before + 1
        );
        let ok_before = counters.successes(RouteKind::Iframe);
        app.http
            .get(sim.iframe_url(&site, &app.target, "/pages/assets").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(counters.successes(RouteKind::Iframe), ok_before + 1);
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await
            .unwrap()
            .unwrap();
        let health = counters.tenant(tenant.id);
        assert_eq!(
            health.failures_by_reason[AuthReason::QshMismatch.index()],
            1
        );
        assert!(health.last_success_at.is_some());
        app.stop().await;
    })
    .await;
}

/// The settings page's connection-health panel, as its API answers it for a site's admin: the
/// secret rotation in the log and the platform; once the site is reached through Forge, its
/// installation and the link. Never a secret or a token.
#[tokio::test]
async fn admin_page_shows_connection_health() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        sim.rotate("acme", &app.target, false).await.unwrap();
        let site = sim.site(&site.name).unwrap();
        async fn health(sim: &Sim, app: &TestApp, admin: &str) -> String {
            let token = sim.context_token(&sim.site("acme").unwrap(), Some(admin));
            let response = app
                .http
                .get(format!("{}/api/v1/admin/connection", app.base_url))
                .header("Authorization", format!("JWT {}", token.unwrap()))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
        let admin = site.admin_account_id.clone();
        let body = health(&sim, &app, &admin).await;
        assert!(body.contains("secret_rotated"), "{body}");
        assert!(!body.contains(&site.shared_secret));
        assert!(body.contains("\"platform\":\"connect\""), "{body}");
        assert!(body.contains("\"installations\":[]"), "{body}");

        // Once the site is reached through Forge, the panel shows its installation, the
        // token's expiry and the platform; never the token.
        let installation = format!("ari:cloud:ecosystem::installation/{}", site.client_key);
        sim.forge_install("acme", Some(installation.clone()))
            .unwrap();
        let call = sim
            .forge_invoke("acme", "amj-assets", Some(&site.admin_account_id))
            .unwrap();
        let who = app
            .http
            .get(format!("{}/api/v1/whoami", app.base_url))
            .header("Authorization", format!("Bearer {}", call.fit))
            .header("x-forge-oauth-system", &call.system_token)
            .send()
            .await
            .unwrap();
        assert_eq!(who.status(), 200);
        let body = health(&sim, &app, &admin).await;
        assert!(
            body.contains("\"platform\":\"connect_and_forge\""),
            "{body}"
        );
        assert!(body.contains(&installation));
        assert!(body.contains("forge_installation_linked"));
        assert!(!body.contains("\"tokenExpiresAt\":null"), "{body}");
        assert!(!body.contains(&call.system_token));

        // The page itself boots the bundle's settings for the admin.
        let html = app
            .http
            .get(sim.iframe_url(&site, &app.target, "/pages/admin").unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("<meta name=\"amj-page\" content=\"admin\">"),
            "{html}"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn descriptor_declares_signed_install_and_our_modules() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        let descriptor: serde_json::Value = app
            .get("/atlassian-connect.json")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(descriptor["baseUrl"], app.base_url);
        assert_eq!(descriptor["apiMigrations"]["signed-install"], true);
        assert_eq!(descriptor["apiMigrations"]["context-qsh"], true);
        assert_eq!(descriptor["lifecycle"]["installed"], "/installed");
        assert_eq!(
            descriptor["modules"]["generalPages"][0]["url"],
            "/pages/assets"
        );
        assert_eq!(
            descriptor["modules"]["adminPages"][0]["url"],
            "/pages/admin"
        );
        assert!(
            descriptor["modules"]["jiraIssueGlances"][0]["target"]["url"]
                .as_str()
                .unwrap()
                .starts_with("/pages/issue-glance")
        );
        let events: Vec<&str> = descriptor["modules"]["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["event"].as_str().unwrap())
            .collect();
        assert_eq!(events, ["jira:issue_deleted", "jira:issue_updated"]);
        let parsed: amj_connect::descriptor::Descriptor =
            serde_json::from_value(descriptor).unwrap();
        parsed.validate().unwrap();
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_database_outage_during_authentication_is_503_not_401() {
    each_backend(|db| async move {
        let (sim, app, _site) = installed_app(&db).await;
        // A site the cache has never seen must be read from the database, which is down.
        let other = sim.add_site("other");
        sim.install("other", &app.target).await.unwrap();
        let other = sim.site(&other.name).unwrap();
        app.state.tenants.clear();
        app.state.store.close().await;
        let token = sim.context_token(&other, None).unwrap();
        let response = app.get_with_jwt("/api/v1/whoami", &token).await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "5");
        assert_eq!(error_code(response).await, "store_unavailable");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn refused_pages_are_readable_for_browsers_and_json_for_everyone_else() {
    each_backend(|db| async move {
        let (sim, app, site) = installed_app(&db).await;
        let url = sim
            .iframe_url(&site, &app.target, "/pages/assets")
            .unwrap()
            .replace("jwt=", "jwt=x");
        let browser = app
            .http
            .get(&url)
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap();
        assert_eq!(browser.status(), 401);
        assert!(
            browser.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = browser.text().await.unwrap();
        assert!(html.contains("data-error-code=\"malformed\""), "{html}");
        assert!(html.contains("could not verify its connection to Jira"));
        let client = app.http.get(&url).send().await.unwrap();
        assert_eq!(client.status(), 401);
        assert_eq!(error_code(client).await, "malformed");
        app.stop().await;
    })
    .await;
}
