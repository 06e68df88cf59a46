//! The asset list page as the server renders it: the first rows arrive inside the HTML, a bad
//! query is explained next to the search box before any script runs, and an empty site says
//! what to do next.

use crate::support::{TestApp, TestDb, each_backend};
use amj_bench::seed::{SeedPlan, seed_site};
use amj_jira_sim::Sim;
use serde_json::Value;

fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// The value of `attribute` on the element with `id`.
fn attribute(html: &str, id: &str, attribute: &str) -> Option<String> {
    let element = &html[html.find(&format!("id=\"{id}\""))?..];
    let start = element.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let end = start + element[start..].find('"')?;
    Some(unescape(&element[start..end]))
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

#[tokio::test]
async fn the_asset_list_renders_its_first_rows_and_explains_a_bad_query_inline() {
    each_backend(|db: TestDb| async move {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(&db, &sim).await;
        for name in ["acme", "globex"] {
            sim.add_site(name);
            sim.install(name, &app.target).await.unwrap();
        }
        let acme = sim.site("acme").unwrap();
        let tenant = app
            .state
            .store
            .tenant_by_client_key(&acme.client_key)
            .await
            .unwrap()
            .unwrap();
        seed_site(&app.state.store, tenant.id, &SeedPlan::demo())
            .await
            .unwrap();

        let html = page(&app, &sim, "acme", "/pages/assets").await;
        let initial: Value =
            serde_json::from_str(&attribute(&html, "amj-assets", "data-json").unwrap()).unwrap();
        assert_eq!(
            initial["items"].as_array().unwrap().len(),
            50,
            "the first page, in the HTML"
        );
        assert_eq!(initial["total"], 60);
        assert!(initial["nextCursor"].is_string());
        let attributes: Value =
            serde_json::from_str(&attribute(&html, "amj-assets", "data-attributes").unwrap())
                .unwrap();
        assert!(attributes.as_array().unwrap().len() >= 5, "{attributes}");
        assert!(
            html.contains("<option value=\"Laptop\">"),
            "the type picker lists the types"
        );
        assert!(html.contains("/static/assets.js"));
        assert!(
            !html.contains("aria-invalid"),
            "a valid query is not marked invalid"
        );

        // A query in the URL (as Jira passes it, `ac.`-prefixed) is run on the server.
        let html = page(
            &app,
            &sim,
            "acme",
            "/pages/assets?ac.aql=objectType%20%3D%20Laptop",
        )
        .await;
        let initial: Value =
            serde_json::from_str(&attribute(&html, "amj-assets", "data-json").unwrap()).unwrap();
        let items = initial["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(
            items.iter().all(|a| a["type"]["name"] == "Laptop"),
            "{initial}"
        );
        assert!(
            html.contains("value=\"objectType = Laptop\""),
            "the box shows the query"
        );

        // A mistake is explained next to the box, with its position and a suggestion.
        let html = page(
            &app,
            &sim,
            "acme",
            "/pages/assets?aql=objectType%20%3D%20Laptp",
        )
        .await;
        assert!(html.contains("aria-invalid=\"true\""));
        let error_start = html.find("id=\"amj-aql-error\"").unwrap();
        let error = &html[error_start..error_start + html[error_start..].find("</pre>").unwrap()];
        assert!(!error.contains(" hidden"), "{error}");
        assert!(
            unescape(error).contains("Laptop"),
            "a did-you-mean: {error}"
        );
        assert!(error.contains('^'), "a caret under the mistake: {error}");

        // A site without schemas gets a next step, not an empty table.
        let html = page(&app, &sim, "globex", "/pages/assets").await;
        assert!(html.contains("No assets yet"));
        assert!(html.contains("import a CSV"));
        assert!(!html.contains("id=\"amj-assets\""));

        let script = app.get("/static/assets.js").await;
        assert_eq!(script.status(), 200);
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
