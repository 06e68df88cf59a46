//! The dashboard's reports on both backends: after a random mix of creates, edits, archives and
//! restores, every figure equals the number of assets its own AQL lists. The counters are
//! maintained by the writes; the query reads the assets, so the two are independent.

use crate::assets_api::Api;
use crate::support::each_backend;
use amj_domain::value::format_date;
use amj_testkit::rng::seeded;
use serde_json::{Value, json};

/// What the query API counts for `aql` (exact on a site this small).
async fn listed(api: &Api, aql: &str) -> i64 {
    let body = api
        .ok(
            "POST",
            "/api/v1/assets/query",
            Some(json!({"aql": aql, "schema": "IT", "limit": 1})),
        )
        .await;
    assert_eq!(body["totalExact"], true, "{aql}: {body}");
    body["total"].as_i64().unwrap()
}

fn today() -> i64 {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    i64::try_from(millis).unwrap() / 86_400_000
}

fn date(days: i64) -> String {
    format_date(i32::try_from(days).unwrap()).unwrap()
}

#[tokio::test]
async fn every_figure_counts_what_its_aql_lists() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let catalog = api.it_schema().await;
        let attribute = |type_id: i64, body: Value| {
            let api = &api;
            async move {
                api.ok(
                    "POST",
                    &format!("/api/v1/schemas/IT/types/{type_id}/attributes"),
                    Some(body),
                )
                .await["id"]
                    .as_i64()
                    .unwrap()
            }
        };
        let warranty = attribute(
            catalog.hardware,
            json!({"name": "Warranty end", "kind": "date"}),
        )
        .await;
        // A multi-select whose options change after assets chose them (below).
        attribute(
            catalog.hardware,
            json!({"name": "Accessories", "kind": "select", "multiple": true,
                   "options": ["Dock", "Mouse", "Bag", "Charger"]}),
        )
        .await;
        let laptop_attributes = api
            .ok(
                "GET",
                &format!("/api/v1/schemas/IT/types/{}/attributes", catalog.laptop),
                None,
            )
            .await;
        let attribute_id = |name: &str| {
            laptop_attributes["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == name)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let purchased = attribute_id("Purchased");
        let located_in = attribute_id("Located in");
        api.ok(
            "POST",
            "/api/v1/schemas/IT/types",
            Some(json!({"name": "Server", "parentId": catalog.hardware, "icon": "server"})),
        )
        .await;
        let mut places = Vec::new();
        for name in ["Berlin", "Paris", "Oslo"] {
            let place = api
                .ok(
                    "POST",
                    "/api/v1/schemas/IT/assets",
                    Some(json!({"type": "Location", "attributes": {"Name": name}})),
                )
                .await;
            places.push(place["key"].as_str().unwrap().to_owned());
        }

        let mut rng = seeded("reports", 13);
        let statuses = ["Available", "In use", "In repair", "Retired"];
        let today = today();
        let mut created = places.len() as i64;
        let mut retirements = 0;
        let mut hardware: Vec<(String, bool, &str)> = Vec::new();
        // Its own sequence, so the rest of the mix is what it was before Accessories existed.
        let mut accessories_rng = seeded("reports-accessories", 13);
        let mut unlisted_held: Vec<bool> = Vec::new();
        let mut unlisted_values = std::collections::BTreeSet::new();
        for i in 0..36 {
            let status = *rng.pick(&statuses).unwrap();
            let mut attributes =
                json!({"Name": format!("Box {i}"), "Serial number": format!("SN-{i}")});
            if rng.percent(80) {
                attributes["Located in"] = json!(rng.pick(&places).unwrap());
            }
            if rng.percent(75) {
                attributes["Warranty end"] = json!(date(today + rng.range(-20, 120)));
            }
            let chosen: Vec<&str> = ["Dock", "Mouse", "Bag", "Charger"]
                .into_iter()
                .filter(|_| accessories_rng.percent(30))
                .collect();
            let old: Vec<&str> = chosen
                .iter()
                .copied()
                .filter(|a| *a == "Bag" || *a == "Charger")
                .collect();
            unlisted_held.push(!old.is_empty());
            unlisted_values.extend(old.iter().map(|a| a.to_lowercase()));
            if !chosen.is_empty() {
                attributes["Accessories"] = json!(chosen);
            }
            let laptop = rng.percent(60);
            if laptop && rng.percent(50) {
                attributes["Purchased"] = json!(date(today - rng.range(0, 900)));
            }
            let body = api
                .ok(
                    "POST",
                    "/api/v1/schemas/IT/assets",
                    Some(json!({
                        "type": if laptop { "Laptop" } else { "Server" },
                        "status": status,
                        "attributes": attributes,
                    })),
                )
                .await;
            created += 1;
            if status == "Retired" {
                retirements += 1;
            }
            hardware.push((body["key"].as_str().unwrap().to_owned(), false, status));
        }
        for _ in 0..40 {
            let index = rng.index(hardware.len());
            let (key, archived, status) = hardware[index].clone();
            let current = api.ok("GET", &format!("/api/v1/assets/{key}"), None).await;
            let version = current["version"].as_i64().unwrap();
            // Archived assets cannot be edited, only restored.
            match if archived { 0 } else { rng.below(4) } {
                0 => {
                    let action = if archived { "restore" } else { "archive" };
                    api.ok(
                        "POST",
                        &format!("/api/v1/assets/{key}/{action}"),
                        Some(json!({"version": version})),
                    )
                    .await;
                    hardware[index].1 = !archived;
                }
                1 => {
                    let next = *rng.pick(&statuses).unwrap();
                    api.ok(
                        "PATCH",
                        &format!("/api/v1/assets/{key}"),
                        Some(json!({"version": version, "status": next})),
                    )
                    .await;
                    // The counter holds assets retired this month and still retired.
                    match (status == "Retired", next == "Retired") {
                        (false, true) => retirements += 1,
                        (true, false) => retirements -= 1,
                        _ => {}
                    }
                    hardware[index].2 = next;
                }
                2 => {
                    let place = if rng.percent(25) {
                        Value::Null
                    } else {
                        json!(rng.pick(&places).unwrap())
                    };
                    api.ok(
                        "PATCH",
                        &format!("/api/v1/assets/{key}"),
                        Some(json!({"version": version, "attributes": {"Located in": place}})),
                    )
                    .await;
                }
                _ => {
                    let due = if rng.percent(20) {
                        Value::Null
                    } else {
                        json!(date(today + rng.range(-5, 100)))
                    };
                    api.ok(
                        "PATCH",
                        &format!("/api/v1/assets/{key}"),
                        Some(json!({"version": version, "attributes": {"Warranty end": due}})),
                    )
                    .await;
                }
            }
        }
        // Purchased becomes required after the fact: the assets without it are what data
        // quality reports.
        api.ok(
            "PUT",
            &format!("/api/v1/schemas/IT/attributes/{purchased}"),
            Some(json!({"name": "Purchased", "kind": "date", "required": true})),
        )
        .await;
        // RAM's bounds tighten after laptops were written with 16 GB: those are out of bounds.
        let ram = attribute_id("RAM (GB)");
        let sixteen = 4 + rng.index(4) as i64;
        for i in 0..sixteen {
            api.ok(
                "POST",
                "/api/v1/schemas/IT/assets",
                Some(json!({"type": "Laptop", "attributes": {
                    "Name": format!("Workstation {i}"), "Serial number": format!("WS-{i}"),
                    "Purchased": date(today), "RAM (GB)": 16
                }})),
            )
            .await;
            created += 1;
        }
        api.ok(
            "PUT",
            &format!("/api/v1/schemas/IT/attributes/{ram}"),
            Some(json!({"name": "RAM (GB)", "kind": "integer", "min": 1, "max": 8})),
        )
        .await;
        // Bag is dropped and Charger renamed: the assets holding either are what data quality
        // reports, with both old values in the slice.
        let accessories = attribute_id("Accessories");
        api.ok(
            "PUT",
            &format!("/api/v1/schemas/IT/attributes/{accessories}"),
            Some(
                json!({"name": "Accessories", "kind": "select", "multiple": true,
                        "options": ["Dock", "Mouse", "Power supply"]}),
            ),
        )
        .await;
        // Serial numbers get a stricter pattern: one digit after SN-. Box 10 onwards and every
        // workstation (WS-…) break it.
        let serial = attribute_id("Serial number");
        let serial_rule = |regex: Option<&str>| {
            json!({"name": "Serial number", "kind": "text", "regex": regex, "unique": true})
        };
        api.ok(
            "PUT",
            &format!("/api/v1/schemas/IT/attributes/{serial}"),
            Some(serial_rule(Some("SN-[0-9]"))),
        )
        .await;
        let settings = json!({"locationAttribute": located_in, "lifecycleDates": [warranty]});
        assert_eq!(
            api.ok("PUT", "/api/v1/reports/IT/settings", Some(settings.clone()))
                .await,
            settings
        );
        assert_eq!(
            api.ok("GET", "/api/v1/reports/IT/settings", None).await,
            settings
        );

        let counts = api.ok("GET", "/api/v1/reports/IT/counts", None).await;
        let live = hardware.iter().filter(|(_, archived, _)| !archived).count() as i64
            + places.len() as i64
            + sixteen;
        assert_eq!(counts["total"], live, "{counts}");
        let mut by_status = 0;
        for slice in counts["byStatus"].as_array().unwrap() {
            let aql = slice["aql"].as_str().unwrap();
            assert_eq!(
                slice["count"].as_i64().unwrap(),
                listed(&api, aql).await,
                "{aql}"
            );
            by_status += slice["count"].as_i64().unwrap();
        }
        assert_eq!(by_status, live);
        let by_type = counts["byType"].as_array().unwrap();
        assert_eq!(by_type.len(), 3, "Laptop, Server, Location: {counts}");
        for slice in by_type {
            let aql = slice["aql"].as_str().unwrap();
            assert_eq!(
                slice["count"].as_i64().unwrap(),
                listed(&api, aql).await,
                "{aql}"
            );
        }
        let location = &counts["byLocation"];
        assert_eq!(location["attribute"], "Located in");
        let mut placed = 0;
        for slice in location["top"].as_array().unwrap() {
            let aql = slice["aql"].as_str().unwrap();
            assert_eq!(
                slice["count"].as_i64().unwrap(),
                listed(&api, aql).await,
                "{aql}"
            );
            placed += slice["count"].as_i64().unwrap();
        }
        assert_eq!(location["other"], 0, "three places all fit the top ten");
        let unplaced = listed(&api, location["noneAql"].as_str().unwrap()).await;
        assert_eq!(location["none"], unplaced);
        assert_eq!(
            location["noneAql"],
            r#"objectType IN (Laptop, Server) AND "Located in" IS EMPTY"#
        );
        assert_eq!(placed + unplaced + places.len() as i64, live);

        let due = api.ok("GET", "/api/v1/reports/IT/due", None).await;
        let windows = due["dates"][0]["windows"].as_array().unwrap();
        assert_eq!(due["dates"][0]["attribute"], "Warranty end");
        assert_eq!(windows.len(), 3);
        let mut previous = 0;
        for window in windows {
            let aql = window["aql"].as_str().unwrap();
            let count = window["count"].as_i64().unwrap();
            assert_eq!(count, listed(&api, aql).await, "{aql}");
            assert!(count >= previous, "windows include the shorter ones");
            previous = count;
        }
        assert!(
            previous > 0,
            "the random dates put some within 90 days: {due}"
        );

        let quality = api.ok("GET", "/api/v1/reports/IT/quality", None).await;
        let missing = &quality["missingRequired"][0];
        assert_eq!(missing["attribute"], "Purchased", "{quality}");
        assert_eq!(missing["typeName"], "Laptop");
        let aql = missing["aql"].as_str().unwrap();
        assert!(missing["missing"].as_i64().unwrap() > 0);
        assert_eq!(
            missing["missing"].as_i64().unwrap(),
            listed(&api, aql).await,
            "{aql}"
        );

        let bounds = &quality["outOfBounds"];
        assert_eq!(bounds.as_array().unwrap().len(), 1, "{quality}");
        assert_eq!(bounds[0]["attribute"], "RAM (GB)");
        assert_eq!(bounds[0]["rule"], "max");
        assert_eq!(bounds[0]["bound"], "8");
        assert_eq!(bounds[0]["count"], sixteen);
        let aql = bounds[0]["aql"].as_str().unwrap();
        assert_eq!(aql, r#""RAM (GB)" > 8"#);
        assert_eq!(listed(&api, aql).await, sixteen);

        let unlisted = &quality["unlistedOptions"];
        assert_eq!(unlisted.as_array().unwrap().len(), 1, "{quality}");
        assert_eq!(unlisted[0]["attribute"], "Accessories");
        // As the search index keeps them, which is what the slice matches.
        assert_eq!(unlisted[0]["values"], json!(unlisted_values));
        let expected = hardware
            .iter()
            .zip(&unlisted_held)
            .filter(|((_, archived, _), held)| !archived && **held)
            .count() as i64;
        assert!(expected > 0, "the mix holds some: {quality}");
        assert_eq!(unlisted[0]["count"], expected, "{quality}");
        let aql = unlisted[0]["aql"].as_str().unwrap();
        let expected_aql = match unlisted_values.iter().collect::<Vec<_>>().as_slice() {
            [one] => format!("Accessories = {one}"),
            many => format!(
                "Accessories IN ({})",
                many.iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        assert_eq!(aql, expected_aql);
        assert_eq!(listed(&api, aql).await, expected, "{aql}");

        let broken = |quality: &Value| -> i64 {
            match quality["brokenPatterns"].as_array().unwrap().as_slice() {
                [] => 0,
                [one] => {
                    assert_eq!(one["attribute"], "Serial number", "{quality}");
                    assert_eq!(one["pattern"], "SN-[0-9]");
                    assert_eq!(one["aql"], r#"object HAVING brokenRule("Serial number")"#);
                    one["count"].as_i64().unwrap()
                }
                more => panic!("one attribute has a pattern: {more:?}"),
            }
        };
        let breaking: Vec<&String> = hardware
            .iter()
            .enumerate()
            .filter(|(i, (_, archived, _))| *i >= 10 && !archived)
            .map(|(_, (key, _, _))| key)
            .collect();
        let expected = breaking.len() as i64 + sixteen;
        assert_eq!(broken(&quality), expected, "{quality}");
        let aql = r#"object HAVING brokenRule("Serial number")"#;
        assert_eq!(listed(&api, aql).await, expected);
        // Clearing a value mends it; editing something else leaves it breaking.
        for (key, change, mended) in [
            (breaking[0], json!({"Serial number": null}), 1),
            (breaking[1], json!({"Name": "Renamed"}), 0),
        ] {
            let before = broken(&api.ok("GET", "/api/v1/reports/IT/quality", None).await);
            let current = api.ok("GET", &format!("/api/v1/assets/{key}"), None).await;
            api.ok(
                "PATCH",
                &format!("/api/v1/assets/{key}"),
                Some(json!({"version": current["version"], "attributes": change})),
            )
            .await;
            let after = broken(&api.ok("GET", "/api/v1/reports/IT/quality", None).await);
            assert_eq!(after, before - mended, "{key}: {change}");
            assert_eq!(listed(&api, aql).await, after);
        }
        // Archiving takes an asset out of the figure, restoring brings it back.
        let current = api.ok("GET", &format!("/api/v1/assets/{}", breaking[1]), None).await;
        let archived = api
            .ok(
                "POST",
                &format!("/api/v1/assets/{}/archive", breaking[1]),
                Some(json!({"version": current["version"]})),
            )
            .await;
        let quality_now = api.ok("GET", "/api/v1/reports/IT/quality", None).await;
        assert_eq!(broken(&quality_now), expected - 2, "{quality_now}");
        api.ok(
            "POST",
            &format!("/api/v1/assets/{}/restore", breaking[1]),
            Some(json!({"version": archived["version"]})),
        )
        .await;
        // Dropping the pattern drops the figure.
        api.ok(
            "PUT",
            &format!("/api/v1/schemas/IT/attributes/{serial}"),
            Some(serial_rule(None)),
        )
        .await;
        let quality_now = api.ok("GET", "/api/v1/reports/IT/quality", None).await;
        assert_eq!(broken(&quality_now), 0, "{quality_now}");
        assert_eq!(listed(&api, aql).await, 0);

        let trend = api
            .ok("GET", "/api/v1/reports/IT/trend?months=3", None)
            .await;
        let months = trend["months"].as_array().unwrap();
        assert_eq!(months.len(), 3);
        let this_month = &months[2];
        assert_eq!(this_month["created"], created, "{trend}");
        assert_eq!(this_month["retired"], retirements, "{trend}");
        assert_eq!(months[0]["created"], 0);
        let aql = this_month["createdAql"].as_str().unwrap();
        // Archived assets were created too, but the list leaves them out by default.
        assert_eq!(listed(&api, aql).await, live);
        let retired_live = hardware
            .iter()
            .filter(|(_, archived, status)| !archived && *status == "Retired")
            .count() as i64;
        assert!(retired_live > 0, "the mix retires some assets");
        let aql = this_month["retiredAql"].as_str().unwrap();
        assert_eq!(listed(&api, aql).await, retired_live, "{aql}");
        assert_eq!(
            listed(&api, "retired IS NOT EMPTY").await,
            retired_live,
            "only assets in Retired have a retirement date"
        );

        for (key, _, status) in hardware.iter().take(12) {
            let body = api.ok("GET", &format!("/api/v1/assets/{key}"), None).await;
            assert_eq!(
                body["retired"].is_string(),
                *status == "Retired",
                "{key} in {status}: {body}"
            );
        }

        // A status that joins the Retired category retires its assets now; leaving it takes
        // them back, so the bar and its slice still agree.
        let in_repair = hardware
            .iter()
            .filter(|(_, _, status)| *status == "In repair")
            .count() as i64;
        let in_repair_live = hardware
            .iter()
            .filter(|(_, archived, status)| !archived && *status == "In repair")
            .count() as i64;
        assert!(in_repair_live > 0, "the mix leaves some assets in repair");
        let statuses_body = api.ok("GET", "/api/v1/schemas/IT/statuses", None).await;
        let repair_id = statuses_body["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "In repair")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        for (category, retired, listed_now) in [
            (
                "retired",
                retirements + in_repair,
                retired_live + in_repair_live,
            ),
            ("maintenance", retirements, retired_live),
        ] {
            api.ok(
                "PUT",
                &format!("/api/v1/schemas/IT/statuses/{repair_id}"),
                Some(json!({"name": "In repair", "category": category})),
            )
            .await;
            let trend = api
                .ok("GET", "/api/v1/reports/IT/trend?months=1", None)
                .await;
            let month = &trend["months"][0];
            assert_eq!(month["retired"], retired, "{category}: {trend}");
            let aql = month["retiredAql"].as_str().unwrap();
            assert_eq!(listed(&api, aql).await, listed_now, "{category}: {aql}");
        }

        // Bad input is refused with the field named.
        let (status, body) = api
            .call("GET", "/api/v1/reports/IT/trend?months=0", &api.admin, None)
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_months"))
        );
        let (status, body) = api
            .call(
                "PUT",
                "/api/v1/reports/IT/settings",
                &api.admin,
                Some(json!({"locationAttribute": warranty, "lifecycleDates": [located_in]})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let fields: Vec<&str> = body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["locationAttribute", "lifecycleDates[0]"]);
        // Only an admin marks attributes; anyone reads the figures.
        let (status, _) = api
            .call(
                "PUT",
                "/api/v1/reports/IT/settings",
                &api.user,
                Some(settings),
            )
            .await;
        assert_eq!(status, 403);
        let (status, _) = api
            .call("GET", "/api/v1/reports/IT/counts", &api.user, None)
            .await;
        assert_eq!(status, 200);
        let (status, body) = api
            .call("GET", "/api/v1/reports/NOPE/counts", &api.admin, None)
            .await;
        assert_eq!(status, 404, "{body}");
        api.stop().await;
    })
    .await;
}
