//! AQL over the REST API and the CLI, on both backends: results, totals and paging, positioned
//! errors, validation with completions, full text kept current, `connectedTickets` through the
//! simulated Jira's search, and tenant isolation.

use crate::assets_api::{Api, Auth};
use crate::support::each_backend;
use serde_json::{Value, json};

fn keys(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {body}"))
        .iter()
        .map(|a| a["key"].as_str().unwrap().to_owned())
        .collect()
}

/// The AQL calls these tests make, on the shared API client.
trait AqlCalls {
    async fn query(&self, aql: &str) -> (u16, Value);
    /// A query with the request body as given, as the site admin.
    async fn query_with(&self, body: Value) -> (u16, Value);
    async fn query_keys(&self, aql: &str) -> Vec<String>;
    /// Laptops IT-2..IT-5 and locations IT-1 (Berlin) and IT-6 (Paris).
    async fn fleet(&self);
}

impl AqlCalls for Api {
    async fn query(&self, aql: &str) -> (u16, Value) {
        self.query_with(json!({"aql": aql, "schema": "IT"})).await
    }

    /// A query with the request body as given, as the site admin.
    async fn query_with(&self, body: Value) -> (u16, Value) {
        self.call("POST", "/api/v1/assets/query", &self.admin, Some(body))
            .await
    }

    async fn query_keys(&self, aql: &str) -> Vec<String> {
        let (status, body) = self.query(aql).await;
        assert_eq!(status, 200, "{aql}: {body}");
        keys(&body)
    }

    /// Laptops IT-2..IT-5 and locations IT-1 (Berlin) and IT-6 (Paris).
    async fn fleet(&self) {
        self.it_schema().await;
        let location = |name: &str| json!({"type": "Location", "attributes": {"Name": name}});
        self.ok(
            "POST",
            "/api/v1/schemas/IT/assets",
            Some(location("Berlin office")),
        )
        .await;
        let laptop = |name: &str, serial: &str, ram: i64, place: Option<&str>| {
            let mut attributes = json!({"Name": name, "Serial number": serial, "RAM (GB)": ram});
            if let Some(place) = place {
                attributes["Located in"] = json!(place);
            }
            json!({"type": "Laptop", "attributes": attributes})
        };
        for body in [
            laptop("MacBook Pro 14", "MBP-1", 16, Some("IT-1")),
            laptop("MacBook Air", "MBA-2", 8, None),
            laptop("ThinkPad X1", "TP-3", 32, Some("IT-1")),
            laptop("Dell XPS", "DX-4", 16, None),
        ] {
            self.ok("POST", "/api/v1/schemas/IT/assets", Some(body))
                .await;
        }
        self.ok(
            "POST",
            "/api/v1/schemas/IT/assets",
            Some(location("Paris office")),
        )
        .await;
    }
}

#[tokio::test]
async fn queries_filter_order_count_and_page() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.fleet().await;
        assert_eq!(api.query_keys("objectType = Laptop").await, ["IT-2", "IT-3", "IT-4", "IT-5"]);
        assert_eq!(api.query_keys("Name like macbook").await, ["IT-2", "IT-3"]);
        assert_eq!(api.query_keys(r#""RAM (GB)" >= 16 AND Name != "dell xps""#).await, ["IT-2", "IT-4"]);
        assert_eq!(api.query_keys(r#""Located in".Name startswith berlin"#).await, ["IT-2", "IT-4"]);
        assert_eq!(api.query_keys(r#""Located in" IS EMPTY AND objectType = Laptop"#).await, ["IT-3", "IT-5"]);
        assert_eq!(api.query_keys(r#"object having inR(Name like thinkpad, "located in")"#).await, ["IT-1"]);
        assert_eq!(
            api.query_keys(r#"objectType = Laptop ORDER BY "RAM (GB)" DESC"#).await,
            ["IT-4", "IT-5", "IT-2", "IT-3"],
            "ties go by key, in the order's direction"
        );
        assert_eq!(
            api.query_keys(r#"objectType = Laptop ORDER BY "Located in".Name, label DESC"#).await,
            ["IT-4", "IT-2", "IT-3", "IT-5"],
            "assets without a location sort last"
        );

        // Paging: the total comes with the first page only, and the cursor walks the rest.
        let (status, first) = api.query_with(json!({"aql": "objectType = Laptop ORDER BY label", "limit": 3})).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["schema"], "IT", "the only schema is the default");
        assert_eq!((first["total"].clone(), first["totalExact"].clone()), (json!(4), json!(true)));
        assert_eq!(keys(&first), ["IT-5", "IT-3", "IT-2", ]);
        let (_, second) = api.query_with(json!({"aql": "objectType = Laptop ORDER BY label", "limit": 3, "cursor": first["nextCursor"]})).await;
        assert_eq!(keys(&second), ["IT-4"]);
        assert_eq!(second["nextCursor"], Value::Null);
        assert_eq!(second["total"], Value::Null);

        // Archived assets leave results unless asked for.
        let version = api.ok("GET", "/api/v1/assets/IT-5", None).await["version"].clone();
        api.ok("POST", "/api/v1/assets/IT-5/archive", Some(json!({"version": version}))).await;
        assert_eq!(api.query_keys("Name like dell").await, Vec::<String>::new());
        let (_, body) = api.query_with(json!({"aql": "Name like dell", "includeArchived": true})).await;
        assert_eq!(keys(&body), ["IT-5"]);
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn full_text_follows_every_write() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.fleet().await;
        assert_eq!(
            api.query_keys(r#"text ~ "macbook""#).await,
            ["IT-2", "IT-3"]
        );
        assert_eq!(
            api.query_keys(r#"text ~ "MAC pro""#).await,
            ["IT-2"],
            "every word, as a prefix"
        );
        assert_eq!(api.query_keys(r#"text ~ "office""#).await, ["IT-1", "IT-6"]);
        assert_eq!(
            api.query_keys(r#"text ~ "book""#).await,
            Vec::<String>::new(),
            "words start where words start"
        );
        let asset = api.ok("GET", "/api/v1/assets/IT-3", None).await;
        api.ok(
            "PATCH",
            "/api/v1/assets/IT-3",
            Some(json!({"version": asset["version"], "attributes": {"Name": "Spare laptop"}})),
        )
        .await;
        assert_eq!(api.query_keys(r#"text ~ "macbook""#).await, ["IT-2"]);
        assert_eq!(api.query_keys(r#"text ~ "spare""#).await, ["IT-3"]);
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn mistakes_come_back_with_a_position_and_a_suggestion() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.fleet().await;
        let (status, body) = api
            .query(r#"objectType = Laptop AND "Serail number" = X"#)
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "aql_invalid");
        let aql = &body["error"]["aql"];
        assert_eq!(
            aql["message"],
            "unknown attribute `Serail number`; did you mean `Serial number`?"
        );
        assert_eq!(
            (
                aql["line"].clone(),
                aql["column"].clone(),
                aql["offset"].clone()
            ),
            (json!(1), json!(25), json!(24))
        );
        assert!(
            aql["excerpt"]
                .as_str()
                .unwrap()
                .ends_with("|                         ^"),
            "{aql}"
        );

        let (status, body) = api.query(r#""RAM (GB)" > lots"#).await;
        assert_eq!(status, 400);
        assert_eq!(
            body["error"]["aql"]["message"],
            "type mismatch: `RAM (GB)` expects an integer, but `lots` is text"
        );
        let (status, body) = api.query("Name = (").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("aql_invalid")),
            "{body}"
        );
        let deep = format!("{}Name = x{}", "(".repeat(200), ")".repeat(200));
        let (status, body) = api.query(&deep).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("nests deeper"),
            "{body}"
        );

        let (status, body) = api.query_with(json!({"aql": "", "schema": "NOPE"})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("schema_not_found"))
        );
        let (status, body) = api.query_with(json!({"aql": "", "limit": 0})).await;
        assert_eq!(status, 400, "{body}");
        let (status, _) = api
            .query_with(json!({"aql": "", "cursor": "garbage"}))
            .await;
        assert_eq!(status, 400);
        let (status, _) = api.query_with(json!({"query": "x"})).await;
        assert_eq!(status, 400, "unknown fields are refused");

        // A second schema makes the schema necessary, unless the query names it.
        api.ok(
            "POST",
            "/api/v1/schemas",
            Some(json!({"key": "HR", "name": "HR"})),
        )
        .await;
        let (status, body) = api.query_with(json!({"aql": "Name like mac"})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("schema_required")),
            "{body}"
        );
        let (status, body) = api
            .query_with(json!({"aql": "objectSchema = IT AND Name like mac"}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(keys(&body), ["IT-2", "IT-3"]);
        api.stop().await;
    })
    .await;
}

async fn validate(api: &Api, aql: &str) -> (u16, Value) {
    let path = format!(
        "/api/v1/aql/validate?schema=IT&aql={}",
        url::form_urlencoded::byte_serialize(aql.as_bytes()).collect::<String>()
    );
    api.call("GET", &path, &api.user, None).await
}

#[tokio::test]
async fn validate_reports_errors_and_completes() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.fleet().await;
        let (status, body) = validate(&api, "objectType = Laptop").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["valid"].clone(), body["error"].clone()),
            (json!(true), Value::Null)
        );

        let (_, body) = validate(&api, "status = ").await;
        assert_eq!(body["valid"], false);
        assert_eq!(body["error"]["column"], 10);
        let labels: Vec<&str> = body["completions"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["label"].as_str().unwrap())
            .collect();
        assert!(labels.contains(&"In repair"), "{body}");
        assert!(
            body["completions"]["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["kind"] == "status"),
            "{body}"
        );

        let (_, body) = validate(&api, "objectType = Laptop AND Ser").await;
        assert_eq!(
            body["completions"]["items"][0]["insert"], "\"Serial number\"",
            "{body}"
        );
        assert_eq!(body["completions"]["replaceStart"], 24);
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn connected_tickets_asks_jira_which_issues_match() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.fleet().await;
        for (asset, issue) in [("IT-2", "AM-1"), ("IT-3", "OPS-1"), ("IT-4", "AM-2")] {
            api.ok(
                "POST",
                &format!("/api/v1/assets/{asset}/issues"),
                Some(json!({"issue": issue})),
            )
            .await;
        }
        assert_eq!(
            api.query_keys(r#"object having connectedTickets("project = AM")"#)
                .await,
            ["IT-2", "IT-4"]
        );
        assert_eq!(
            api.query_keys("object having connectedTickets(key = OPS-1) OR Name like dell")
                .await,
            ["IT-3", "IT-5"]
        );
        assert_eq!(
            api.query_keys("object having connectedTickets()").await,
            ["IT-2", "IT-3", "IT-4"]
        );
        let bad = r#"Name like x AND object having connectedTickets("bogus ~~ clause")"#;
        let (status, body) = api.query(bad).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Jira rejected the JQL"),
            "{body}"
        );
        assert_eq!(
            body["error"]["aql"]["column"],
            bad.find("connectedTickets").unwrap() + 1
        );
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn queries_see_only_their_own_site() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.fleet().await;
        // A read-only token of the first site, for the end of the test.
        let token = api
            .ok(
                "POST",
                "/api/v1/tokens",
                Some(json!({"name": "ci", "readOnly": true})),
            )
            .await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let Api { sim, app, .. } = api;
        let other = Api::on(sim, app, "globex").await;
        other.it_schema().await;
        other
            .ok(
                "POST",
                "/api/v1/schemas/IT/assets",
                Some(json!({"type": "Laptop", "attributes": {"Name": "MacBook Globex"}})),
            )
            .await;
        for aql in [
            "Name like macbook",
            r#"text ~ "macbook""#,
            "object having inR()",
            r#""Located in".Name like office"#,
        ] {
            let (status, body) = other.query(aql).await;
            assert_eq!(status, 200, "{aql}: {body}");
            let labels: Vec<&str> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["label"].as_str().unwrap())
                .collect();
            assert!(
                labels
                    .iter()
                    .all(|l| !l.contains("MacBook Pro") && !l.contains("office")),
                "{aql}: {labels:?}"
            );
        }
        assert_eq!(other.query_keys(r#"text ~ "macbook""#).await, ["IT-1"]);
        let Api { sim, app, .. } = other;
        let api = Api::on_existing(sim, app, "acme");
        assert_eq!(
            api.query_keys(r#"text ~ "macbook""#).await,
            ["IT-2", "IT-3"]
        );
        // An API token reads too, without a user: currentUser() is an error, not "nobody".
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/query",
                &Auth::Bearer(token),
                Some(json!({"aql": "Owner = currentUser()"})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("currentUser()")
        );
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn amj_query_searches_from_the_command_line() {
    let db = crate::support::TestDb::new(crate::support::Backend::Sqlite).await;
    let api = Api::start(&db).await;
    api.fleet().await;
    let Api { sim, app, site, .. } = api;
    let (client_key, base_url) = (site.client_key, site.base_url);
    app.stop().await;
    let crate::support::TestDb {
        location,
        master_key,
        ..
    } = &db;
    let amj_store::DatabaseLocation::Sqlite(path) = location else {
        unreachable!()
    };
    let key_file = path.with_file_name("cli.key");
    std::fs::write(&key_file, master_key).unwrap();
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_amj"));
        command
            .arg("query")
            .args(["--database-url", &format!("sqlite://{}", path.display())])
            .args(["--secret-key-file", key_file.to_str().unwrap()])
            .args(args)
            .env_remove("RUST_LOG");
        let out = command.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = run(&["--site", &client_key, "Name like macbook ORDER BY label"]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("IT-3 ") && lines[0].contains("MacBook Air"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("IT-2 "), "{stdout}");
    assert!(stderr.contains("2 shown of 2 matching"), "{stderr}");

    // By base URL, as JSON lines, limited.
    let (ok, stdout, stderr) = run(&[
        "--site",
        &base_url,
        "--json",
        "--limit",
        "1",
        "objectType = Laptop",
    ]);
    assert!(ok, "{stderr}");
    let first: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(first["key"], "IT-2");

    let (ok, stdout, stderr) = run(&["--site", &client_key, "--validate", "objectType = Laptop"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "valid");
    for bad in [
        vec!["--site", &client_key, r#""Serail number" = x"#],
        vec!["--site", &client_key, "--validate", "Name = ("],
    ] {
        let (ok, _, stderr) = run(&bad);
        assert!(!ok, "{bad:?} should fail");
        assert!(
            stderr.contains("error:") && stderr.contains('^'),
            "{stderr}"
        );
        assert!(!stderr.contains("error: error:"), "{stderr}");
        assert!(!stderr.contains(" INFO "), "no routine logs: {stderr}");
    }
    // By the site's name, as the demo prints it (`acme` for `…/sites/acme`).
    let name = base_url.trim_end_matches('/').rsplit('/').next().unwrap();
    let (ok, stdout, stderr) = run(&["--site", name, "--limit", "1", "objectType = Laptop"]);
    assert!(ok, "--site {name}: {stderr}");
    assert!(stdout.starts_with("IT-"), "{stdout}");
    let (ok, _, stderr) = run(&["--site", "nobody", "Name = x"]);
    assert!(!ok);
    assert!(stderr.contains("--site"), "{stderr}");
    drop(sim);
    db.cleanup().await;
}

#[tokio::test]
async fn counts_stop_at_a_thousand_and_both_sort_strategies_agree() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        // 1,100 laptops; every tenth has RAM 64, the rest 8, 16 or 32 by turns.
        for batch in 0..2 {
            let items: Vec<Value> = (0..550)
                .map(|i| {
                    let n = batch * 550 + i;
                    let ram = if n % 10 == 0 { 64 } else { [8, 16, 32][n % 3] };
                    json!({"type": "Laptop", "attributes": {"Name": format!("Laptop {n:04}"), "RAM (GB)": ram}})
                })
                .collect();
            api.ok(
                "POST",
                "/api/v1/schemas/IT/assets/bulk",
                Some(json!({"items": items})),
            )
            .await;
        }
        let first_page = |aql: &'static str| {
            let api = &api;
            async move {
                let (status, body) = api.query_with(json!({"aql": aql, "limit": 5})).await;
                assert_eq!(status, 200, "{aql}: {body}");
                body
            }
        };
        // More than 1,000 match: the count stops and says so; the page walks the RAM index.
        let many = first_page(r#"objectType = Laptop ORDER BY "RAM (GB)" DESC"#).await;
        assert_eq!((many["total"].clone(), many["totalExact"].clone()), (json!(1000), json!(false)));
        // 110 match: counted exactly, and sorted as a set. Same order rules either way: by value,
        // then by key in the order's direction.
        let few = first_page(r#""RAM (GB)" = 64 ORDER BY "RAM (GB)" DESC"#).await;
        assert_eq!((few["total"].clone(), few["totalExact"].clone()), (json!(110), json!(true)));
        assert_eq!(keys(&few), ["IT-1091", "IT-1081", "IT-1071", "IT-1061", "IT-1051"]);
        assert_eq!(keys(&many), keys(&few), "the 64 GB laptops lead both");
        // Walk the rest of the small set through its (offset) cursor: every page in order.
        let mut all = keys(&few);
        let mut cursor = few["nextCursor"].clone();
        while !cursor.is_null() {
            let (_, page) = api
                .query_with(json!({"aql": r#""RAM (GB)" = 64 ORDER BY "RAM (GB)" DESC"#, "limit": 50, "cursor": cursor}))
                .await;
            all.extend(keys(&page));
            cursor = page["nextCursor"].clone();
        }
        let expected: Vec<String> = (0..110).rev().map(|i| format!("IT-{}", i * 10 + 1)).collect();
        assert_eq!(all, expected);
        api.stop().await;
    })
    .await;
}
