//! The pages Jira frames under Connect: each boots the front end's bundle with what it needs
//! (the context token, the page, its issue or starting place), and the bundle is served.

use crate::support::{TestApp, TestDb, each_backend};
use amj_jira_sim::Sim;
use serde_json::Value;

fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

async fn page(app: &TestApp, sim: &Sim, site: &str, path: &str) -> String {
    let site = sim.site(site).unwrap();
    let response = app
        .http
        .get(sim.iframe_url(&site, &app.target, path).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// The list and settings pages boot the front end's bundle (as the issue panel does), at the
/// place the link asked for: Jira hands `AP.navigator.go` custom data on as `ac.*` parameters,
/// and a search or an opened asset becomes the bundle's starting path.
#[tokio::test]
async fn the_list_and_settings_boot_the_bundle_where_the_link_asked() {
    each_backend(|db: TestDb| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();

        let html = page(&app, &sim, "acme", "/pages/assets").await;
        assert_eq!(meta(&html, "amj-page").as_deref(), Some("assets"));
        assert_eq!(meta(&html, "amj-path").as_deref(), Some(""));
        assert!(meta(&html, "amj-context-token").is_some_and(|t| t.starts_with("eyJ")));
        assert!(!html.contains("/static/assets.js"), "the old page is gone");
        assert!(
            html.contains(&format!("{}/ui/assets/", app.base_url)),
            "absolute bundle URLs"
        );

        for (asked, start) in [
            (
                "/pages/assets?ac.aql=objectType%20%3D%20Laptop",
                "/?aql=objectType+%3D+Laptop",
            ),
            ("/pages/assets?aql=x&schema=IT", "/?schema=IT&aql=x"),
            ("/pages/assets?ac.path=%2Fasset%2FIT-3", "/asset/IT-3"),
            // Only a path of the app's own is taken.
            ("/pages/assets?ac.path=https%3A%2F%2Fevil.example", ""),
        ] {
            let html = page(&app, &sim, "acme", asked).await;
            assert_eq!(meta(&html, "amj-path").as_deref(), Some(start), "{asked}");
        }

        let html = page(&app, &sim, "acme", "/pages/admin").await;
        assert_eq!(meta(&html, "amj-page").as_deref(), Some("admin"));
        app.stop().await;
    })
    .await;
}

/// The user picker asks Jira, as the app, for users matching what was typed.
#[tokio::test]
async fn the_user_picker_searches_jira_users() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    sim.add_site("acme");
    sim.install("acme", &app.target).await.unwrap();
    let user = sim.site_users("acme").unwrap().remove(0);
    let first_name = user
        .display_name
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let (status, body) = sim
        .call_app(
            "acme",
            &app.target,
            &format!("/api/v1/jira/users?query={first_name}"),
            true,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let items = body["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|u| u["accountId"] == user.account_id.as_str()
                && u["displayName"] == user.display_name.as_str()),
        "{body}"
    );
    let (status, body) = sim
        .call_app("acme", &app.target, "/api/v1/jira/users?query=%20", true)
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("invalid_query"), "{body}");

    // Who did what is shown by name and avatar: accountIds in, display names and Jira's avatar
    // out, unknown ones left out.
    let (status, body) = sim
        .call_app(
            "acme",
            &app.target,
            &format!(
                "/api/v1/jira/users/bulk?accountIds={},557058:nobody",
                user.account_id
            ),
            true,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let site = sim.site("acme").unwrap();
    let avatar = format!(
        "{}/_sim/avatar/{}",
        site.base_url,
        user.account_id.replace(':', "%3A")
    );
    assert_eq!(
        body["items"],
        serde_json::json!([{
            "accountId": user.account_id, "displayName": user.display_name, "avatarUrl": avatar
        }])
    );
    let svg = reqwest::get(&avatar).await.unwrap();
    assert_eq!(svg.status(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    for bad in ["", "a,b%20c", &vec!["x"; 51].join(",")] {
        let (status, body) = sim
            .call_app(
                "acme",
                &app.target,
                &format!("/api/v1/jira/users/bulk?accountIds={bad}"),
                true,
            )
            .await
            .unwrap();
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("invalid_account_ids"), "{body}");
    }
    app.stop().await;
    db.cleanup().await;
}

/// The value of the `<meta name=…>` the bundle's Connect host reads.
fn meta(html: &str, name: &str) -> Option<String> {
    let tag = &html[html.find(&format!("<meta name=\"{name}\""))?..];
    let start = tag.find("content=\"")? + "content=\"".len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

#[tokio::test]
async fn the_issue_panel_boots_the_bundle_with_its_issue_and_the_bundle_is_served_immutable() {
    each_backend(|db: TestDb| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        sim.add_site("acme");
        sim.install("acme", &app.target).await.unwrap();

        // A key that would break out of an attribute is escaped, not executed.
        let hostile = "AM-1\"><script>alert(1)</script>";
        let path = format!(
            "/pages/issue-glance?issueKey={}&issueId=10001",
            url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>()
        );
        let html = page(&app, &sim, "acme", &path).await;
        assert_eq!(meta(&html, "amj-page").as_deref(), Some("issue-panel"));
        assert_eq!(meta(&html, "amj-issue-id").as_deref(), Some("10001"));
        assert_eq!(meta(&html, "amj-issue-key").as_deref(), Some(hostile));
        assert!(!html.contains("<script>alert"), "{html}");
        assert_eq!(
            meta(&html, "amj-base-url").as_deref(),
            Some(app.base_url.as_str())
        );
        assert!(!meta(&html, "amj-context-token").unwrap().is_empty());

        // Every script and stylesheet the page names is served, content-hashed and immutable.
        let prefix = format!("{}/ui/", app.base_url);
        let assets: Vec<&str> = html
            .split(['"', '\''])
            .filter_map(|part| part.strip_prefix(prefix.as_str()))
            .collect();
        assert!(
            assets.iter().any(|a| a.ends_with(".js")),
            "the page loads the bundle: {html}"
        );
        assert!(
            !html.contains("\"./assets/"),
            "every bundle URL is absolute: {html}"
        );
        for asset in assets {
            let url = format!("{prefix}{asset}");
            let response = app.http.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            assert_eq!(
                response.headers()["cache-control"],
                "public, max-age=31536000, immutable"
            );
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                kind.starts_with(if asset.ends_with(".css") {
                    "text/css"
                } else {
                    "text/javascript"
                }),
                "{asset}: {kind}"
            );
        }
        let missing = app
            .http
            .get(format!("{}/ui/assets/nothing-here.js", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        let body: Value = missing.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");

        // Without an issue the page still boots; the bundle says what is wrong.
        let html = page(&app, &sim, "acme", "/pages/issue-glance?issueKey=&issueId=").await;
        assert_eq!(meta(&html, "amj-issue-id"), None);
        app.stop().await;
    })
    .await;
}
