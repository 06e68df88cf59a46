//! What the routes promise whatever their handler: admin views refuse non-admins, every answer
//! carries the security headers, and a database outage under a warm app is a 503 everywhere.

use crate::assets_api::{Api, Auth};
use crate::isolation::{Route, attacked_routes, shape};
use crate::support::{Backend, TestApp, TestDb, each_backend, postgres_url};
use amj_jira_sim::Sim;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The identifiers a route template names, filled from a seeded site.
struct Fixture {
    schema: String,
    key: String,
    type_id: i64,
    attribute: i64,
    status: i64,
    issue: i64,
    token: i64,
    view: i64,
}

impl Fixture {
    async fn seed(api: &Api) -> Fixture {
        api.it_schema().await;
        api.laptop("fixture-1", "FIX-1").await;
        let linked = api
            .ok(
                "POST",
                "/api/v1/assets/IT-1/issues",
                Some(serde_json::json!({"issue": "AM-1"})),
            )
            .await;
        let token = api
            .ok(
                "POST",
                "/api/v1/tokens",
                Some(serde_json::json!({"name": "fixture"})),
            )
            .await;
        let view = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/views",
                Some(serde_json::json!({"name": "fixture", "columns": ["Key"], "shared": true})),
            )
            .await;
        let schema = api.ok("GET", "/api/v1/schemas/IT", None).await;
        let laptop = schema["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "Laptop")
            .unwrap();
        Fixture {
            schema: "IT".into(),
            key: "IT-1".into(),
            type_id: laptop["id"].as_i64().unwrap(),
            attribute: laptop["attributes"][0]["id"].as_i64().unwrap(),
            status: schema["statuses"][0]["id"].as_i64().unwrap(),
            issue: linked["issue"]["id"].as_i64().unwrap(),
            token: token["id"].as_i64().unwrap(),
            view: view["id"].as_i64().unwrap(),
        }
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("{schema}", &self.schema)
            .replace("{key}", &self.key)
            .replace("{type}", &self.type_id.to_string())
            .replace("{attribute}", &self.attribute.to_string())
            .replace("{status}", &self.status.to_string())
            .replace("{issue}", &self.issue.to_string())
            .replace("{issueKey}", "AM-1")
            .replace("{token}", &self.token.to_string())
            .replace("{view}", &self.view.to_string())
    }

    fn call(&self, route: &Route) -> (String, String, Option<Value>) {
        let body = route
            .body
            .as_deref()
            .map(|b| serde_json::from_str(&self.fill(b)).unwrap());
        (route.method.clone(), self.fill(&route.path), body)
    }
}

#[tokio::test]
async fn no_admin_view_answers_a_non_admin() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let fixture = Fixture::seed(&api).await;
        let someone = api
            .sim
            .site_users("acme")
            .unwrap()
            .into_iter()
            .find(|u| u.account_id != api.site.admin_account_id)
            .unwrap();

        // Pages: every admin page the descriptor declares, which is what Jira frames.
        let descriptor: Value = api
            .app
            .get("/atlassian-connect.json")
            .await
            .json()
            .await
            .unwrap();
        let mut pages: Vec<String> = descriptor["modules"]["adminPages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["url"].as_str().unwrap().to_owned())
            .collect();
        if let Some(url) = descriptor["modules"]["configurePage"]["url"].as_str() {
            pages.push(url.to_owned());
        }
        assert!(!pages.is_empty(), "the descriptor declares admin pages");
        for page in &pages {
            let as_user = api
                .sim
                .iframe_url_as(&api.site, &api.app.target, page, Some(&someone.account_id))
                .unwrap();
            let response = api
                .app
                .http
                .get(&as_user)
                .header("Accept", "text/html")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{page} as a non-admin");
            let html = response.text().await.unwrap();
            assert!(!html.contains("Connection health"), "{page}: {html}");
            assert!(html.contains("site admins"), "{page}: {html}");
            // The control: the same page opens for the site admin.
            let as_admin = api
                .sim
                .iframe_url(&api.site, &api.app.target, page)
                .unwrap();
            let response = api.app.http.get(&as_admin).send().await.unwrap();
            assert_eq!(response.status(), 200, "{page} as the site admin");
        }

        // API: every operation the document says can answer 403 refuses an ordinary user of a
        // schema that does not let users edit. The list of calls must cover each of them.
        let document: Value = api
            .app
            .get("/api/v1/openapi.json")
            .await
            .json()
            .await
            .unwrap();
        let mut guarded = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if operation["responses"].get("403").is_some() {
                    guarded.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        assert!(guarded.len() >= 10, "{guarded:?}");
        let routes = attacked_routes();
        let missing: Vec<String> = guarded
            .iter()
            .filter(|(method, path)| {
                !routes
                    .iter()
                    .any(|r| &r.method == method && shape(&r.path) == shape(path))
            })
            .map(|(m, p)| format!("{m} {p}"))
            .collect();
        assert!(
            missing.is_empty(),
            "these operations document a 403 but isolation::attacked_routes has no call for them: {missing:?}"
        );
        for route in &routes {
            if !guarded
                .iter()
                .any(|(m, p)| *m == route.method && shape(p) == shape(&route.path))
            {
                continue;
            }
            let (method, path, body) = fixture.call(route);
            let (status, answer) = api.call(&method, &path, &api.user, body).await;
            assert!(
                !(200..300).contains(&status),
                "{method} {path} answered {status} to a non-admin: {answer}"
            );
        }
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let db = TestDb::new(Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    for path in [
        "/nowhere",
        "/api/v1/schemas",
        "/pages/admin",
        "/status",
        "/healthz",
        "/atlassian-connect.json",
        "/static/app.css",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        // Over plain http, as here, no HSTS: a browser would remember it for the host.
        assert!(headers.get("strict-transport-security").is_none(), "{path}");
        let cache = headers["cache-control"].to_str().unwrap().to_owned();
        if path.starts_with("/static/") {
            assert!(cache.starts_with("public"), "{path}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{path} ({})", response.status());
        }
    }
    app.stop().await;
    db.cleanup().await;
}

/// A TCP proxy in front of PostgreSQL that can be cut, as a stopped server is: new connections
/// refused, pooled ones terminated by the server.
struct PgProxy {
    port: u16,
    tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl PgProxy {
    async fn start(port: u16) -> PgProxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let pipes = Arc::clone(&tasks);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect("127.0.0.1:5432").await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                pipes.lock().unwrap().push(pipe.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        PgProxy { port, tasks }
    }

    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test]
async fn a_database_outage_is_a_503_on_every_asset_route() {
    let Some(admin_url) = postgres_url() else {
        return;
    };
    let db = TestDb::new(Backend::Postgres).await;
    let amj_store::DatabaseLocation::Postgres(direct) = db.location.clone() else {
        unreachable!("a PostgreSQL test database")
    };
    let proxy = PgProxy::start(0).await;
    let mut proxied = url::Url::parse(&direct).unwrap();
    proxied.set_port(Some(proxy.port)).unwrap();
    let via_proxy = db.at(amj_store::DatabaseLocation::Postgres(proxied.to_string()));
    let api = Api::start(&via_proxy).await;
    let fixture = Fixture::seed(&api).await;

    // Warm the pool and the caches with every read, as a running app is.
    let routes = attacked_routes();
    for route in routes.iter().filter(|r| r.method == "GET") {
        let (method, path, body) = fixture.call(route);
        let (status, answer) = api.call(&method, &path, &api.admin, body).await;
        assert!(status < 500, "{method} {path} before the outage: {answer}");
    }
    assert!(
        api.app.state.store.pool_usage().0 > 0,
        "the pool holds connections"
    );

    proxy.cut();
    let name = url::Url::parse(&direct)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;

    // Every call at once: each waits for the pool's acquire timeout.
    let calls = routes.iter().map(|route| {
        let (method, path, body) = fixture.call(route);
        let api = &api;
        async move {
            let auth = Auth::clone(&api.admin);
            let (status, answer) = api.call(&method, &path, &auth, body).await;
            (method, path, status, answer)
        }
    });
    let answers = tokio::time::timeout(
        Duration::from_secs(120),
        crate::support::join_all(calls.collect()),
    )
    .await
    .expect("the outage answers came within 2 minutes");
    let mut wrong = Vec::new();
    for (method, path, status, answer) in answers {
        if status != 503 || answer["error"]["code"] != "store_unavailable" {
            wrong.push(format!("{method} {path}: {status} {answer}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "not a 503 during the outage:\n{}",
        wrong.join("\n")
    );
    let response = api
        .app
        .get(&format!("/api/v1/assets/{}", fixture.key))
        .await;
    assert_eq!(response.status(), 401, "no credentials is still a 401");
    let Auth::Jwt(admin_token) = &api.admin else {
        unreachable!("the admin calls with a context JWT")
    };
    let raw = api
        .app
        .get_with_jwt(&format!("/api/v1/assets/{}", fixture.key), admin_token)
        .await;
    assert_eq!(raw.status(), 503);
    assert_eq!(raw.headers()["retry-after"], "5");

    // The database comes back on the same address: the app recovers without a restart.
    let back = PgProxy::start(proxy.port).await;
    crate::support::wait_until(Duration::from_secs(30), || async {
        let (status, _) = api
            .call(
                "GET",
                &format!("/api/v1/assets/{}", fixture.key),
                &api.admin,
                None,
            )
            .await;
        status == 200
    })
    .await;
    api.stop().await;
    back.cut();
    db.cleanup().await;
}
