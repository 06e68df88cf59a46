//! The asset REST API end to end: catalog, assets, validation, versions, bulk atomicity,
//! references, issue links and webhooks, permissions and API tokens, on both backends.

use crate::support::each_backend;
pub use amj_testkit::api::{Api, Auth};
use serde_json::{Value, json};

fn rules(body: &Value) -> Vec<(String, String)> {
    body["error"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["rule"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn catalog_and_asset_lifecycle_with_history() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let catalog = api.it_schema().await;
        let (status, body) = api
            .call("POST", "/api/v1/schemas", &api.admin, Some(json!({"key": "IT", "name": "Again"})))
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("schema_key_taken")));

        let schema = api.ok("GET", "/api/v1/schemas/IT", None).await;
        assert_eq!(schema["statuses"].as_array().unwrap().len(), 4, "default statuses");
        let laptop_type = api
            .ok("GET", &format!("/api/v1/schemas/IT/types/{}", catalog.laptop), None)
            .await;
        let names: Vec<&str> = laptop_type["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(&names[..3], ["Name", "Serial number", "Located in"], "inherited first");
        assert_eq!(laptop_type["attributes"][0]["inherited"], true);

        let created = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/assets",
                Some(json!({"type": "Laptop", "attributes": {
                    "Name": "Ada's laptop", "Serial number": "SN-1", "RAM (GB)": 32,
                    "Purchased": "2025-03-01", "Tags": ["vip", "Loaner"], "Price": 1999.5,
                    "Encrypted": true, "Last seen": "2026-11-24T10:15:00+01:00",
                    "Vendor page": "https://example.com/x", "Support email": "help@example.com",
                    "IP": "10.0.0.7", "Notes": "line one\nline two", "Project": "AM"
                }})),
            )
            .await;
        assert_eq!(created["key"], "IT-1");
        assert_eq!(created["label"], "Ada's laptop");
        assert_eq!(created["version"], 1);
        assert_eq!(created["status"]["name"], "Available");
        assert_eq!(created["attributes"]["Tags"], json!(["VIP", "Loaner"]), "normalised to the option's spelling");
        assert_eq!(created["attributes"]["Last seen"], "2026-11-24T09:15:00Z", "normalised to UTC");
        assert_eq!(created["created"]["by"], json!(api.site.admin_account_id));

        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/assets",
                &api.admin,
                Some(json!({"type": "Hardware", "attributes": {"Name": "x"}})),
            )
            .await;
        assert_eq!(status, 400);
        assert!(rules(&body).contains(&("type".into(), "abstract_type".into())), "{body}");

        let fetched = api.ok("GET", "/api/v1/assets/IT-1", None).await;
        assert_eq!(fetched, created);

        let patched = api
            .ok(
                "PATCH",
                "/api/v1/assets/IT-1",
                Some(json!({"version": 1, "status": "In use", "attributes": {"RAM (GB)": 64, "Notes": null}})),
            )
            .await;
        assert_eq!(patched["version"], 2);
        assert_eq!(patched["attributes"]["RAM (GB)"], 64);
        assert!(patched["attributes"].get("Notes").is_none(), "null clears");
        assert_eq!(patched["attributes"]["Serial number"], "SN-1", "untouched by PATCH");

        // A stale version is refused and loses nothing.
        let (status, body) = api
            .call(
                "PATCH",
                "/api/v1/assets/IT-1",
                &api.admin,
                Some(json!({"version": 1, "attributes": {"RAM (GB)": 8}})),
            )
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("stale_version")));
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-1", None).await["attributes"]["RAM (GB)"], 64);

        // PUT replaces: omitted attributes are cleared, required ones must be there.
        let (status, body) = api
            .call("PUT", "/api/v1/assets/IT-1", &api.admin, Some(json!({"version": 2, "attributes": {"RAM (GB)": 16}})))
            .await;
        assert_eq!(status, 400);
        assert!(rules(&body).contains(&("Name".into(), "required".into())), "{body}");
        let replaced = api
            .ok("PUT", "/api/v1/assets/IT-1", Some(json!({"version": 2, "attributes": {"Name": "Ada's laptop", "RAM (GB)": 16}})))
            .await;
        assert!(replaced["attributes"].get("Serial number").is_none());

        let archived = api.ok("POST", "/api/v1/assets/IT-1/archive", Some(json!({"version": 3}))).await;
        assert_eq!(archived["archived"], true);
        let (status, body) = api
            .call("PATCH", "/api/v1/assets/IT-1", &api.admin, Some(json!({"version": 4, "attributes": {"RAM (GB)": 8}})))
            .await;
        assert_eq!(status, 400, "{body}");
        let list = api.ok("GET", "/api/v1/schemas/IT/assets", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 0, "archived assets leave default lists");
        let list = api.ok("GET", "/api/v1/schemas/IT/assets?includeArchived=true", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        api.ok("POST", "/api/v1/assets/IT-1/restore", Some(json!({"version": 4}))).await;

        let history = api.ok("GET", "/api/v1/assets/IT-1/history?limit=3", None).await;
        let kinds: Vec<&str> = history["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["restored", "archived", "attribute_changed"], "newest first");
        let cursor = history["nextCursor"].as_i64().unwrap();
        let rest = api.ok("GET", &format!("/api/v1/assets/IT-1/history?cursor={cursor}&limit=100"), None).await;
        let kinds: Vec<&str> = rest["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.last(), Some(&"created"));
        assert!(kinds.contains(&"status_changed"));
        let ram = rest["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["attribute"] == "RAM (GB)" && e["new"] == 64)
            .unwrap();
        assert_eq!(ram["old"], json!(32));
        assert_eq!(ram["actor"], json!(api.site.admin_account_id));
        assert!(rest["nextCursor"].is_null());
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn every_validation_rule_names_the_attribute_and_the_rule() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/assets",
                &api.admin,
                Some(json!({"type": "Laptop", "status": "Lost", "attributes": {
                    "Serial number": "lower case", "RAM (GB)": 0, "Purchased": "2025-02-30",
                    "Tags": ["Nope"], "Owner": "bad id!", "Price": -1, "Encrypted": "yes",
                    "Last seen": "yesterday", "Vendor page": "ftp://x", "Support email": "no-at",
                    "IP": "999.1.1.1", "Project": "no spaces!", "Colour": "red", "Located in": ["IT-1", "IT-2"]
                }})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "validation_failed");
        let found = rules(&body);
        for (field, rule) in [
            ("Name", "required"),
            ("Serial number", "regex"),
            ("RAM (GB)", "min"),
            ("Purchased", "format"),
            ("Tags", "option"),
            ("Owner", "format"),
            ("Price", "min"),
            ("Encrypted", "format"),
            ("Last seen", "format"),
            ("Vendor page", "format"),
            ("Support email", "format"),
            ("IP", "format"),
            ("Project", "format"),
            ("Colour", "unknown_attribute"),
            ("Located in", "cardinality"),
            ("status", "option"),
        ] {
            assert!(
                found.iter().any(|(f, r)| f == field && r == rule),
                "expected {field}/{rule} in {found:?}"
            );
        }
        // Text limits.
        let long = "A".repeat(256);
        let (status, body) = api
            .call("POST", "/api/v1/schemas/IT/assets", &api.admin,
                Some(json!({"type": "Laptop", "attributes": {"Name": long}})))
            .await;
        assert_eq!(status, 400);
        assert!(rules(&body).iter().any(|(f, r)| f == "Name" && r == "max_length"), "{body}");

        // Uniqueness is checked against stored assets.
        api.laptop("One", "SN-1").await;
        let (status, body) = api
            .call("POST", "/api/v1/schemas/IT/assets", &api.admin,
                Some(json!({"type": "Laptop", "attributes": {"Name": "Two", "Serial number": "SN-1"}})))
            .await;
        assert_eq!(status, 400);
        assert!(rules(&body).contains(&("Serial number".into(), "unique".into())), "{body}");

        // Bad JSON and unknown fields are 400s with our problem body.
        let response = api
            .app
            .http
            .post(format!("{}/api/v1/schemas/IT/assets", api.app.base_url))
            .header("Authorization", match &api.admin { Auth::Jwt(t) => format!("JWT {t}"), _ => unreachable!() })
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(crate::support::error_code(response).await, "invalid_json");
        let (status, body) = api
            .call("POST", "/api/v1/schemas/IT/assets", &api.admin, Some(json!({"type": "Laptop", "colour": 1})))
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_json")));
        let (status, body) = api.call("GET", "/api/v1/schemas/IT/assets?limit=9999", &api.admin, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("validation_failed")));
        let (status, _) = api.call("GET", "/api/v1/schemas/IT/assets?cursor=garbage", &api.admin, None).await;
        assert_eq!(status, 400);
        let (status, _) = api.call("GET", "/api/v1/assets/NOPE-1", &api.admin, None).await;
        assert_eq!(status, 404);
        let (status, _) = api.call("GET", "/api/v1/assets/not a key", &api.admin, None).await;
        assert_eq!(status, 404);

        // Catalog rules: a bad attribute definition, a duplicate name along the chain, a cycle.
        let (status, body) = api
            .call("POST", "/api/v1/schemas/IT/types/1/attributes", &api.admin,
                Some(json!({"name": "Serial NUMBER", "kind": "text"})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(rules(&body).iter().any(|(_, r)| r == "duplicate_name"), "{body}");
        let (status, body) = api
            .call("POST", "/api/v1/schemas/IT/types/1/attributes", &api.admin,
                Some(json!({"name": "Bad", "kind": "integer", "min": 5, "max": 1})))
            .await;
        assert_eq!(status, 400, "{body}");
        let (status, body) = api
            .call("PUT", "/api/v1/schemas/IT/types/1", &api.admin,
                Some(json!({"name": "Hardware", "parentId": 2, "isAbstract": true})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(rules(&body).iter().any(|(_, r)| r == "cycle"), "{body}");
        let (status, body) = api
            .call("POST", "/api/v1/schemas", &api.admin, Some(json!({"key": "it", "name": "x"})))
            .await;
        assert_eq!(status, 400, "{body}");
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn bulk_writes_are_atomic_and_keys_have_no_gaps() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let item = |name: &str, serial: &str| json!({"type": "Laptop", "attributes": {"Name": name, "Serial number": serial}});
        let (status, body) = api
            .call("POST", "/api/v1/schemas/IT/assets/bulk", &api.admin,
                Some(json!({"items": [item("a", "S-1"), item("b", "bad serial"), item("c", "S-1")]})))
            .await;
        assert_eq!(status, 400, "{body}");
        let fields: Vec<String> = rules(&body).into_iter().map(|(f, _)| f).collect();
        assert!(fields.contains(&"items[1].Serial number".to_owned()), "{fields:?}");
        let list = api.ok("GET", "/api/v1/schemas/IT/assets", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing written");

        // In-request duplicates of a unique value are caught too.
        let (status, body) = api
            .call("POST", "/api/v1/schemas/IT/assets/bulk", &api.admin,
                Some(json!({"items": [item("a", "S-1"), item("c", "S-1")]})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(rules(&body).iter().any(|(f, r)| f == "items[1].Serial number" && r == "unique"), "{body}");

        let items: Vec<Value> = (0..300).map(|i| item(&format!("L{i:03}"), &format!("S-{i}"))).collect();
        let created = api.ok("POST", "/api/v1/schemas/IT/assets/bulk", Some(json!({"items": items}))).await;
        let keys: Vec<&str> = created["items"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap()).collect();
        assert_eq!(keys.first(), Some(&"IT-1"), "failed attempts used no numbers");
        assert_eq!(keys.last(), Some(&"IT-300"));

        // Concurrent single creates still get consecutive keys.
        let mut tasks = Vec::new();
        for i in 0..12 {
            let http = api.app.http.clone();
            let url = format!("{}/api/v1/schemas/IT/assets", api.app.base_url);
            let Auth::Jwt(token) = api.admin.clone() else { unreachable!() };
            tasks.push(tokio::spawn(async move {
                let response = http
                    .post(url)
                    .header("Authorization", format!("JWT {token}"))
                    .json(&json!({"type": "Laptop", "attributes": {"Name": format!("C{i}")}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                let body: Value = response.json().await.unwrap();
                body["key"].as_str().unwrap().to_owned()
            }));
        }
        let mut numbers: Vec<i64> = Vec::new();
        for task in tasks {
            let key = task.await.unwrap();
            numbers.push(key.trim_start_matches("IT-").parse().unwrap());
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (301..=312).collect::<Vec<_>>());

        // Bulk update: one stale row fails everything and names the row.
        let (status, body) = api
            .call("PATCH", "/api/v1/schemas/IT/assets/bulk", &api.admin, Some(json!({"items": [
                {"key": "IT-1", "version": 1, "attributes": {"RAM (GB)": 8}},
                {"key": "IT-2", "version": 7, "attributes": {"RAM (GB)": 8}},
            ]})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(rules(&body).iter().any(|(f, r)| f == "items[1].version" && r == "stale_version"), "{body}");
        assert!(api.ok("GET", "/api/v1/assets/IT-1", None).await["attributes"].get("RAM (GB)").is_none());
        let updated = api
            .ok("PATCH", "/api/v1/schemas/IT/assets/bulk", Some(json!({"items": [
                {"key": "IT-1", "version": 1, "attributes": {"RAM (GB)": 8}},
                {"key": "IT-2", "version": 1, "status": "Retired"},
            ]})))
            .await;
        assert_eq!(updated["items"][1]["status"]["name"], "Retired");
        let (status, _) = api
            .call("POST", "/api/v1/schemas/IT/assets/bulk", &api.admin, Some(json!({"items": []})))
            .await;
        assert_eq!(status, 400);
        let too_many: Vec<Value> = (0..1001).map(|i| item(&format!("x{i}"), "")).collect();
        let (status, _) = api
            .call("POST", "/api/v1/schemas/IT/assets/bulk", &api.admin, Some(json!({"items": too_many})))
            .await;
        assert_eq!(status, 400);
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn lists_sort_filter_and_paginate_by_cursor() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let items: Vec<Value> = (0..45)
            .map(|i| {
                let mut attributes = json!({"Name": format!("Laptop {:02}", 44 - i)});
                if i % 3 != 0 {
                    attributes["RAM (GB)"] = json!((i * 7) % 50 + 1);
                }
                json!({"type": "Laptop", "status": if i % 2 == 0 { "Available" } else { "In use" }, "attributes": attributes})
            })
            .collect();
        api.ok("POST", "/api/v1/schemas/IT/assets/bulk", Some(json!({"items": items}))).await;
        api.ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Location", "attributes": {"Name": "Depot"}}))).await;

        let walk = |query: String| {
            let api = &api;
            async move {
                let mut out: Vec<Value> = Vec::new();
                let mut cursor: Option<String> = None;
                let mut pages = 0;
                loop {
                    let mut path = format!("/api/v1/schemas/IT/assets?limit=7&{query}");
                    if let Some(c) = &cursor {
                        path.push_str(&format!("&cursor={c}"));
                    }
                    let page = api.ok("GET", &path, None).await;
                    out.extend(page["items"].as_array().unwrap().iter().cloned());
                    pages += 1;
                    assert!(pages < 50, "pagination must end");
                    match page["nextCursor"].as_str() {
                        Some(c) => cursor = Some(c.to_owned()),
                        None => break,
                    }
                }
                out
            }
        };
        let by_key = walk("sort=key".into()).await;
        assert_eq!(by_key.len(), 46);
        let keys: Vec<i64> = by_key.iter().map(|a| a["key"].as_str().unwrap()[3..].parse().unwrap()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));

        let by_label = walk("sort=label&type=Laptop".into()).await;
        let labels: Vec<&str> = by_label.iter().map(|a| a["label"].as_str().unwrap()).collect();
        let mut sorted = labels.clone();
        sorted.sort_unstable();
        assert_eq!(labels.len(), 45, "type filter");
        assert_eq!(labels, sorted);

        let by_ram = walk("sort=RAM%20(GB)&order=desc&type=Hardware".into()).await;
        assert_eq!(by_ram.len(), 45, "subtypes included; every asset listed once");
        let rams: Vec<Option<i64>> = by_ram.iter().map(|a| a["attributes"]["RAM (GB)"].as_i64()).collect();
        let with: Vec<i64> = rams.iter().flatten().copied().collect();
        assert_eq!(with.len(), 30);
        assert!(with.windows(2).all(|w| w[0] >= w[1]), "descending: {with:?}");
        assert!(rams[30..].iter().all(Option::is_none), "assets without a value come last");
        let mut distinct: Vec<&str> = by_ram.iter().map(|a| a["key"].as_str().unwrap()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 45);

        let in_use = walk("status=In%20use".into()).await;
        assert_eq!(in_use.len(), 22);
        assert!(in_use.iter().all(|a| a["status"]["name"] == "In use"));
        let found = api.ok("GET", "/api/v1/schemas/IT/assets?q=laptop%200", None).await;
        assert_eq!(found["items"].as_array().unwrap().len(), 10, "label prefix, case-insensitive");
        let found = api.ok("GET", "/api/v1/schemas/IT/assets?q=IT-46", None).await;
        assert_eq!(found["items"][0]["label"], "Depot", "exact key");
        let (status, body) = api.call("GET", "/api/v1/schemas/IT/assets?sort=Colour", &api.admin, None).await;
        assert_eq!(status, 400, "{body}");
        let (status, _) = api.call("GET", "/api/v1/schemas/IT/assets?type=Nope", &api.admin, None).await;
        assert_eq!(status, 400);
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn references_are_listed_both_ways_and_checked() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let depot = api.ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Location", "attributes": {"Name": "Depot"}}))).await;
        assert_eq!(depot["key"], "IT-1");
        let laptop = api
            .ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Laptop", "attributes": {"Name": "L", "Located in": "IT-1"}})))
            .await;
        assert_eq!(laptop["attributes"]["Located in"], "IT-1");
        let refs = api.ok("GET", "/api/v1/assets/IT-2/references", None).await;
        assert_eq!(refs["outbound"][0]["key"], "IT-1");
        assert_eq!(refs["outbound"][0]["referenceType"], "located in");
        assert_eq!(refs["outbound"][0]["label"], "Depot");
        let refs = api.ok("GET", "/api/v1/assets/IT-1/references", None).await;
        assert_eq!(refs["inbound"][0]["key"], "IT-2");
        assert_eq!(refs["inbound"][0]["referenceType"], "located in");

        for (target, why) in [("IT-99", "does not exist"), ("IT-2", "is a Laptop"), ("XX-1", "does not exist")] {
            let (status, body) = api
                .call("POST", "/api/v1/schemas/IT/assets", &api.admin,
                    Some(json!({"type": "Laptop", "attributes": {"Name": "M", "Located in": target}})))
                .await;
            assert_eq!(status, 400, "{target}: {body}");
            assert!(rules(&body).contains(&("Located in".into(), "reference_target".into())), "{body}");
            assert!(body["error"]["message"].as_str().unwrap().contains(why), "{body}");
        }
        let (status, body) = api
            .call("PATCH", "/api/v1/assets/IT-2", &api.admin, Some(json!({"version": 1, "attributes": {"Located in": "IT-2"}})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(rules(&body).contains(&("references".into(), "reference_target".into())), "{body}");
        assert!(body.to_string().contains("cannot reference itself"), "{body}");
        // Another schema's asset with the same number is not "itself": only its own error shows.
        let (status, body) = api
            .call("PATCH", "/api/v1/assets/IT-2", &api.admin, Some(json!({"version": 1, "attributes": {"Located in": "XX-2"}})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(!body.to_string().contains("cannot reference itself"), "{body}");

        // Archiving a referenced asset keeps the reference (shown as archived), and new
        // references to it are refused.
        api.ok("POST", "/api/v1/assets/IT-1/archive", Some(json!({"version": 1}))).await;
        let refs = api.ok("GET", "/api/v1/assets/IT-2/references", None).await;
        assert_eq!(refs["outbound"][0]["archived"], true);
        let (status, body) = api
            .call("POST", "/api/v1/schemas/IT/assets", &api.admin,
                Some(json!({"type": "Laptop", "attributes": {"Name": "N", "Located in": "IT-1"}})))
            .await;
        assert_eq!(status, 400);
        assert!(body["error"]["message"].as_str().unwrap().contains("archived"), "{body}");
        // The asset that already points at it can still be edited, keeping the reference.
        let holder = api.ok("GET", "/api/v1/assets/IT-2", None).await;
        let edited = api
            .ok("PATCH", "/api/v1/assets/IT-2",
                Some(json!({"version": holder["version"], "attributes": {"Name": "Kept"}})))
            .await;
        assert_eq!(edited["attributes"]["Located in"], "IT-1", "{edited}");
        // Types that references point at cannot be deleted.
        let location = api.ok("GET", "/api/v1/schemas/IT/types", None).await["types"]
            .as_array().unwrap().iter().find(|t| t["name"] == "Location").unwrap()["id"].as_i64().unwrap();
        let (status, body) = api.call("DELETE", &format!("/api/v1/schemas/IT/types/{location}"), &api.admin, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("type_referenced")));
        // In a batch where another row references IT-n, an update of IT-n that points at XX-n
        // (another schema's asset of the same number) is told the target is missing, not that
        // it references itself.
        let other = api
            .ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Laptop", "attributes": {"Name": "O"}})))
            .await;
        let other_key = other["key"].as_str().unwrap().to_owned();
        let number = other_key.trim_start_matches("IT-").to_owned();
        let (status, body) = api
            .call("PATCH", "/api/v1/schemas/IT/assets/bulk", &api.admin, Some(json!({"items": [
                {"key": other_key, "version": other["version"], "attributes": {"Located in": format!("XX-{number}")}},
                {"key": "IT-2", "version": edited["version"], "attributes": {"Located in": other_key}},
            ]})))
            .await;
        assert_eq!(status, 400, "{body}");
        let found = rules(&body);
        assert!(found.contains(&("items[0].Located in".into(), "reference_target".into())), "{body}");
        assert!(found.contains(&("items[1].Located in".into(), "reference_target".into())), "{body}");
        assert!(!found.iter().any(|(field, _)| field == "items[0].references"), "{body}");
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn issue_links_write_the_searchable_property_and_follow_webhooks() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.laptop("One", "S-1").await;
        api.laptop("Two", "S-2").await;
        let linked = api
            .ok(
                "POST",
                "/api/v1/assets/IT-1/issues",
                Some(json!({"issue": "AM-1"})),
            )
            .await;
        assert_eq!(linked["created"], true);
        assert_eq!(linked["propertySynced"], true);
        let issue_id = linked["issue"]["id"].as_i64().unwrap();
        api.ok(
            "POST",
            "/api/v1/assets/IT-2/issues",
            Some(json!({"issue": issue_id})),
        )
        .await;
        let again = api
            .ok(
                "POST",
                "/api/v1/assets/IT-2/issues",
                Some(json!({"issue": "AM-1"})),
            )
            .await;
        assert_eq!(again["created"], false, "linking twice is harmless");
        let (status, _) = api
            .call(
                "POST",
                "/api/v1/assets/IT-2/issues",
                &api.admin,
                Some(json!({"issue": "AM-9999"})),
            )
            .await;
        assert_eq!(status, 404);

        let property = api
            .sim
            .with_data("acme", |d| {
                d.issue_properties
                    .get(&(issue_id.to_string(), "assets".to_owned()))
                    .cloned()
            })
            .flatten();
        assert_eq!(
            property,
            Some(json!({"keys": ["IT-1", "IT-2"], "handedOut": []}))
        );
        let of_issue = api
            .ok("GET", &format!("/api/v1/issues/{issue_id}/assets"), None)
            .await;
        assert_eq!(of_issue["items"].as_array().unwrap().len(), 2);

        // The issue moves project: its key changes, and the webhook refreshes the cached key.
        let statuses = api.sim.move_issue("acme", "AM-1", "OPS").await.unwrap();
        assert_eq!(statuses, vec![204]);
        let links = api.ok("GET", "/api/v1/assets/IT-1/issues", None).await;
        let new_key = links["items"][0]["issueKey"].as_str().unwrap().to_owned();
        assert!(new_key.starts_with("OPS-"), "{links}");

        api.ok(
            "DELETE",
            &format!("/api/v1/assets/IT-2/issues/{issue_id}"),
            None,
        )
        .await;
        let property = api
            .sim
            .with_data("acme", |d| {
                d.issue_properties
                    .get(&(issue_id.to_string(), "assets".to_owned()))
                    .cloned()
            })
            .flatten();
        assert_eq!(property, Some(json!({"keys": ["IT-1"], "handedOut": []})));

        // The issue is deleted: links go, and the history says why.
        let statuses = api.sim.delete_issue("acme", &new_key).await.unwrap();
        assert_eq!(statuses, vec![204]);
        let links = api.ok("GET", "/api/v1/assets/IT-1/issues", None).await;
        assert_eq!(links["items"].as_array().unwrap().len(), 0);
        let history = api.ok("GET", "/api/v1/assets/IT-1/history", None).await;
        assert_eq!(history["items"][0]["kind"], "unlinked");
        assert_eq!(history["items"][0]["reason"], "issue deleted in Jira");
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn webhook_deliveries_are_applied_once() {
    each_backend(|db| async move {
        let store = db.store().await;
        let api = Api::start(&db).await;
        api.it_schema().await;
        api.laptop("One", "S-1").await;
        let linked = api.ok("POST", "/api/v1/assets/IT-1/issues", Some(json!({"issue": "AM-2"}))).await;
        let issue_id = linked["issue"]["id"].as_i64().unwrap();
        // The same delivery twice (a Jira retry): the second changes nothing.
        let post = |identifier: &'static str| {
            let api = &api;
            async move {
                let path = "/webhooks/issue-deleted";
                let token = api.sim.host_token(&api.site, "POST", path, None).unwrap();
                api.app
                    .http
                    .post(format!("{}{path}", api.app.base_url))
                    .header("Authorization", format!("JWT {token}"))
                    .header("X-Atlassian-Webhook-Identifier", identifier)
                    .json(&json!({"webhookEvent": "jira:issue_deleted", "issue": {"id": issue_id.to_string(), "key": "AM-2"}}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(post("delivery-1").await, 204);
        // Relink, then replay the old delivery: the replay must not remove the new link.
        api.ok("POST", "/api/v1/assets/IT-1/issues", Some(json!({"issue": issue_id}))).await;
        assert_eq!(post("delivery-1").await, 204);
        let links = api.ok("GET", "/api/v1/assets/IT-1/issues", None).await;
        assert_eq!(links["items"].as_array().unwrap().len(), 1, "a replayed delivery is not applied twice");
        assert_eq!(post("delivery-2").await, 204);
        let links = api.ok("GET", "/api/v1/assets/IT-1/issues", None).await;
        assert_eq!(links["items"].as_array().unwrap().len(), 0);
        // A webhook without an issue is a clear 400, not a 500.
        let path = "/webhooks/issue-deleted";
        let token = api.sim.host_token(&api.site, "POST", path, None).unwrap();
        let response = api.app.http.post(format!("{}{path}", api.app.base_url))
            .header("Authorization", format!("JWT {token}"))
            .json(&json!({"webhookEvent": "jira:issue_deleted"}))
            .send().await.unwrap();
        assert_eq!(response.status(), 400);
        // A moved issue without its summary is refused, never cached as an empty summary.
        let path = "/webhooks/issue-updated";
        let token = api.sim.host_token(&api.site, "POST", path, None).unwrap();
        let response = api.app.http.post(format!("{}{path}", api.app.base_url))
            .header("Authorization", format!("JWT {token}"))
            .json(&json!({"webhookEvent": "jira:issue_updated", "issue": {"id": issue_id.to_string(), "key": "AM-9"}}))
            .send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(crate::support::error_code(response).await, "invalid_webhook");
        // Old deliveries are pruned.
        assert!(store.prune_webhook_deliveries(-1).await.unwrap() >= 2);
        store.close().await;
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn permissions_follow_jira_and_api_tokens_are_scoped() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        // Ordinary users may read but not manage schemas.
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas",
                &api.user,
                Some(json!({"key": "IT", "name": "IT"})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("admin_required"))
        );
        api.it_schema().await;
        let (status, _) = api.call("GET", "/api/v1/schemas/IT", &api.user, None).await;
        assert_eq!(status, 200);
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/assets",
                &api.user,
                Some(json!({"type": "Laptop", "attributes": {"Name": "mine"}})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("edit_not_allowed"))
        );
        api.ok(
            "PUT",
            "/api/v1/schemas/IT",
            Some(json!({"name": "IT assets", "usersCanEdit": true})),
        )
        .await;
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/assets",
                &api.user,
                Some(json!({"type": "Laptop", "attributes": {"Name": "mine"}})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, _) = api
            .call("DELETE", "/api/v1/schemas/IT/types/1", &api.user, None)
            .await;
        assert_eq!(status, 403);
        // Managing API tokens needs a site admin too.
        let (status, _) = api.call("GET", "/api/v1/tokens", &api.user, None).await;
        assert_eq!(status, 403);

        // API tokens: created by an admin, shown once, stored hashed.
        let issued = api
            .ok(
                "POST",
                "/api/v1/tokens",
                Some(json!({"name": "import script"})),
            )
            .await;
        let secret = issued["token"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("amj_"));
        let reader = api
            .ok(
                "POST",
                "/api/v1/tokens",
                Some(json!({"name": "dashboard", "readOnly": true})),
            )
            .await;
        let reader_secret = reader["token"].as_str().unwrap().to_owned();
        let listed = api.ok("GET", "/api/v1/tokens", None).await;
        assert!(!listed.to_string().contains(&secret), "never shown again");
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);

        let script = Auth::Bearer(secret.clone());
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/assets",
                &script,
                Some(json!({"type": "Laptop", "attributes": {"Name": "scripted"}})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["created"]["by"], format!("api-token:{}", issued["id"]));
        let dashboard = Auth::Bearer(reader_secret);
        let (status, _) = api
            .call("GET", "/api/v1/assets/IT-2", &dashboard, None)
            .await;
        assert_eq!(status, 200);
        let (status, body) = api
            .call(
                "PATCH",
                "/api/v1/assets/IT-2",
                &dashboard,
                Some(json!({"version": 1, "attributes": {}})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("read_only_token"))
        );
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/tokens",
                &script,
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("user_required"))
        );
        let (status, body) = api
            .call(
                "GET",
                "/api/v1/schemas",
                &Auth::Bearer("amj_nope".into()),
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("invalid_api_token"))
        );

        api.ok("DELETE", &format!("/api/v1/tokens/{}", issued["id"]), None)
            .await;
        let (status, _) = api.call("GET", "/api/v1/schemas", &script, None).await;
        assert_eq!(status, 401, "revoked");
        let (status, _) = api
            .call(
                "DELETE",
                &format!("/api/v1/tokens/{}", issued["id"]),
                &api.admin,
                None,
            )
            .await;
        assert_eq!(status, 404);
        let (status, _) = api.call("GET", "/api/v1/schemas", &Auth::None, None).await;
        assert_eq!(status, 401);
        api.stop().await;
    })
    .await;
}

/// "Select all" in the list means every match of the query: one call changes them all in one
/// transaction, only if the query still matches what the person saw, and never archived ones
/// or more than a thousand.
#[tokio::test]
async fn every_match_of_a_query_changes_at_once_or_not_at_all() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        for i in 0..7 {
            api.laptop(&format!("L{i}"), &format!("S-{i}")).await;
        }
        api.ok("POST", "/api/v1/assets/IT-7/archive", Some(json!({"version": 1})))
            .await;
        let edit = |body: Value| api.call("POST", "/api/v1/schemas/IT/assets/bulk-edit", &api.admin, Some(body));

        // The person saw 5 matches; there are 6 (IT-7 is archived): nothing changes.
        let (status, body) = edit(json!({"aql": "objectType = Laptop", "expected": 5, "status": "Retired"})).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "matches_changed");
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-1", None).await["version"], 1);

        let (status, body) = edit(json!({
            "aql": "objectType = Laptop", "expected": 6, "status": "Retired", "attributes": {"RAM (GB)": 16}
        }))
        .await;
        assert_eq!(status, 200, "{body}");
        let changed: Vec<&str> = body["items"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap()).collect();
        assert_eq!(changed, ["IT-1", "IT-2", "IT-3", "IT-4", "IT-5", "IT-6"]);
        for key in changed {
            let asset = api.ok("GET", &format!("/api/v1/assets/{key}"), None).await;
            assert_eq!(asset["status"]["name"], "Retired", "{asset}");
            assert_eq!(asset["attributes"]["RAM (GB)"], 16, "{asset}");
        }
        let archived = api.ok("GET", "/api/v1/assets/IT-7", None).await;
        assert_ne!(archived["status"]["name"], "Retired", "archived assets are not matches");

        // A value one asset cannot take fails all of them.
        let (status, body) = edit(json!({"aql": "objectType = Laptop", "attributes": {"RAM (GB)": "lots"}})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-1", None).await["attributes"]["RAM (GB)"], 16);

        // Nothing to change, a bad query, and a read-only token are refused.
        let (status, body) = edit(json!({"aql": "objectType = Laptop"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("nothing_to_change")), "{body}");
        let (status, body) = edit(json!({"aql": "objectType = Laptp", "status": "Retired"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("aql_invalid")), "{body}");
        let (status, _) = api
            .call("POST", "/api/v1/schemas/IT/assets/bulk-edit", &api.user, Some(json!({"aql": "", "status": "Retired"})))
            .await;
        assert_eq!(status, 403, "an ordinary user may not edit this schema");

        // More than a thousand matches is a query to narrow, not a change to make.
        let items: Vec<Value> = (0..1000)
            .map(|i| json!({"type": "Laptop", "attributes": {"Name": format!("B{i}"), "Serial number": format!("B-{i}")}}))
            .collect();
        api.ok("POST", "/api/v1/schemas/IT/assets/bulk", Some(json!({"items": items}))).await;
        let (status, body) = edit(json!({"aql": "objectType = Laptop", "status": "In stock"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("too_many_matches")), "{body}");
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-1", None).await["status"]["name"], "Retired");
    })
    .await;
}
