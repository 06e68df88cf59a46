//! Scenarios D1 and D2: the app's own calls to Jira.

use crate::support::{TestApp, each_backend};
use amj_connect::jwt::Unverified;
use amj_jira_sim::Sim;
use amj_server::jira::JiraError;

#[tokio::test]
async fn d1_outbound_calls_are_header_signed_short_lived_and_verified_by_jira() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        let site = sim.site("acme").unwrap();
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await
            .unwrap()
            .unwrap();
        let body = app
            .state
            .jira
            .get::<serde_json::Value>(&tenant, "/rest/api/3/myself?expand=groups")
            .await
            .unwrap();
        assert_eq!(body["accountType"], "app");
        let call = sim.calls().pop().unwrap();
        assert_eq!((call.status, call.failure), (200, None));
        let url = url::Url::parse(&format!(
            "{}/rest/api/3/myself?expand=groups",
            site.base_url
        ))
        .unwrap();
        let header = app
            .state
            .jira
            .authorization_for(&tenant, "GET", &url)
            .unwrap();
        let token = header.strip_prefix("JWT ").unwrap();
        let claims = Unverified::parse(token).unwrap().claims;
        assert_eq!(claims.iss, app.target.key);
        assert!(claims.exp - claims.iat <= 180);
        assert_eq!(
            claims.qsh.unwrap(),
            amj_connect::qsh::qsh("GET", "/rest/api/3/myself", Some("expand=groups"), "")
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn d2_a_401_from_jira_is_counted_and_never_retried() {
    each_backend(|db| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();
        let site = sim.site("acme").unwrap();
        sim.set_site_secret("acme", "ATCO-rotated-behind-our-back");
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await
            .unwrap()
            .unwrap();
        let before = sim.calls().len();
        let error = app
            .state
            .jira
            .get::<serde_json::Value>(&tenant, "/rest/api/3/myself")
            .await
            .unwrap_err();
        assert!(matches!(error, JiraError::Unauthorized), "{error}");
        assert_eq!(
            sim.calls().len(),
            before + 1,
            "exactly one attempt: no guessing"
        );
        assert_eq!(app.state.counters.outbound_unauthorized(), 1);
        assert_eq!(
            app.state.counters.tenant(tenant.id).outbound_unauthorized,
            1
        );
        app.stop().await;
    })
    .await;
}
