//! Licence seats end to end on both backends: the policy, terms, assigning and freeing seats,
//! compliance per licence and per product (installations counted through a reference
//! attribute), reclaiming the seats of people Jira marks inactive, idempotency keys, and
//! concurrent assignments that must never pass the entitlement.

use crate::support::{codes, each_backend, join_all};
use amj_testkit::api::Api;
use serde_json::{Value, json};

fn person(account: &str) -> Value {
    json!({"kind": "user", "accountId": account})
}

/// The IT schema plus a Software type that is licensed, with laptops pointing at their
/// software through "Installed software" (the installed attribute). Answers the people of the
/// site.
async fn with_software(api: &Api) -> Vec<String> {
    let catalog = api.it_schema().await;
    let software = api
        .ok(
            "POST",
            "/api/v1/schemas/IT/types",
            Some(json!({"name": "Software", "icon": "box"})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let installed = api
        .ok(
            "POST",
            &format!("/api/v1/schemas/IT/types/{}/attributes", catalog.laptop),
            Some(json!({
                "name": "Installed software", "kind": "reference", "targetType": software,
                "referenceType": "runs"
            })),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let policy = json!({"licensedTypes": [software], "installedAttribute": installed});
    let stored = api
        .ok(
            "PUT",
            "/api/v1/schemas/IT/licence-policy",
            Some(policy.clone()),
        )
        .await;
    assert_eq!(stored, policy);
    api.sim
        .site_users("acme")
        .unwrap()
        .into_iter()
        .map(|u| u.account_id)
        .collect()
}

async fn software(api: &Api, name: &str) -> String {
    api.ok(
        "POST",
        "/api/v1/schemas/IT/assets",
        Some(json!({"type": "Software", "attributes": {"Name": name}})),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn terms(product: &str, entitled: i64) -> Value {
    json!({"product": product, "entitled": entitled, "costPerSeat": 12.5, "currency": "EUR"})
}

async fn history_kinds(api: &Api, key: &str) -> Vec<String> {
    let history = api
        .ok(
            "GET",
            &format!("/api/v1/assets/{key}/history?limit=100"),
            None,
        )
        .await;
    history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn terms_seats_and_compliance() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let people = with_software(&api).await;

        // The policy is checked: the installed attribute must be a reference to a licence.
        let (status, body) = api
            .call("PUT", "/api/v1/schemas/IT/licence-policy", &api.admin, Some(json!({"licensedTypes": [999_999]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("licensedTypes".into(), "reference_target".into())]));
        let policy = api.ok("GET", "/api/v1/schemas/IT/licence-policy", None).await;
        let (status, _) = api
            .call("PUT", "/api/v1/schemas/IT/licence-policy", &api.user, Some(policy.clone()))
            .await;
        assert_eq!(status, 403, "only admins set the policy");

        let acrobat = software(&api, "Acrobat 2026").await;
        let laptop = api.laptop("Laptop 1", "SN-1").await["key"].as_str().unwrap().to_owned();

        // No terms yet; a laptop is no licence.
        let (status, body) = api.call("GET", &format!("/api/v1/assets/{acrobat}/licence"), &api.admin, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("licence_not_found")));
        let (status, body) = api
            .call("PUT", &format!("/api/v1/assets/{laptop}/licence"), &api.admin, Some(terms("X", 1)))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("asset".into(), "not_licensed".into())]), "{body}");
        let (status, body) = api
            .call("POST", &format!("/api/v1/assets/{acrobat}/seats"), &api.admin, Some(json!({"assignees": [person(&people[0])]})))
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("licence_not_found")), "{body}");

        // Bad terms name each broken rule.
        let (status, body) = api
            .call(
                "PUT",
                &format!("/api/v1/assets/{acrobat}/licence"),
                &api.admin,
                Some(json!({"product": "", "entitled": -2, "costPerSeat": 1.234})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            codes(&body),
            [
                ("product".into(), "required".into()),
                ("entitled".into(), "min".into()),
                ("costPerSeat".into(), "format".into()),
                ("currency".into(), "required".into()),
            ]
        );

        let set = api.ok("PUT", &format!("/api/v1/assets/{acrobat}/licence"), Some(terms("Acrobat Pro", 2))).await;
        assert_eq!(set["compliance"], json!({"entitled": 2, "assigned": 0, "installed": 0, "free": 2, "gap": 2, "breach": false}));
        assert_eq!(set["totalCost"], json!(25.0));
        assert_eq!(set["terms"]["costPerSeat"], json!(12.5));

        // Two seats fit; a third is refused, saying how many are free.
        let assigned = api
            .ok(
                "POST",
                &format!("/api/v1/assets/{acrobat}/seats"),
                Some(json!({"assignees": [person(&people[0]), {"kind": "asset", "key": laptop}], "issue": "AM-1", "note": "onboarding"})),
            )
            .await;
        assert_eq!(assigned["items"].as_array().unwrap().len(), 2);
        assert_eq!(assigned["items"][0]["issue"], "AM-1");
        assert_eq!(assigned["licence"]["compliance"]["free"], 0);
        // The issue lists the seats given for it, and its property names the licence for JQL.
        let for_issue = api.ok("GET", "/api/v1/custody/issues/AM-1", None).await;
        let seat_rows: Vec<(&str, &Value)> = for_issue["seats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["licence"].as_str().unwrap(), &s["assignee"]))
            .collect();
        assert_eq!(seat_rows, [(acrobat.as_str(), &person(&people[0])), (acrobat.as_str(), &json!({"kind": "asset", "key": laptop}))]);
        let issue_id = api.sim.with_data(&api.site.name, |d| d.issue("AM-1").map(|i| i.id.clone())).flatten().unwrap();
        let property = api
            .sim
            .with_data(&api.site.name, |d| d.issue_properties.get(&(issue_id, "assets".to_owned())).cloned())
            .flatten();
        assert_eq!(property, Some(json!({"keys": [], "handedOut": [acrobat]})));
        let (status, body) = api
            .call("POST", &format!("/api/v1/assets/{acrobat}/seats"), &api.admin, Some(json!({"assignees": [person(&people[1])]})))
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("seats_exhausted")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("0 free seats of 2"), "{body}");
        let (status, body) = api
            .call("POST", &format!("/api/v1/assets/{acrobat}/seats"), &api.admin, Some(json!({"assignees": [person(&people[0])]})))
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("seat_already_assigned")), "{body}");

        // Bad assignments: a name for an accountId, an unknown asset, a missing issue.
        let (status, body) = api
            .call(
                "POST",
                &format!("/api/v1/assets/{acrobat}/seats"),
                &api.admin,
                Some(json!({"assignees": [{"kind": "user", "accountId": "Ada Lovelace"}], "issue": "AM-1"})),
            )
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("assignees[0]".into(), "format".into())]));
        let (status, body) = api
            .call("POST", &format!("/api/v1/assets/{acrobat}/seats"), &api.admin, Some(json!({"assignees": [person(&people[1])], "issue": "AM-999"})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("issue".into(), "reference_target".into())]));
        api.ok("PUT", &format!("/api/v1/assets/{acrobat}/licence"), Some(terms("Acrobat Pro", 3))).await;
        let (status, body) = api
            .call("POST", &format!("/api/v1/assets/{acrobat}/seats"), &api.admin, Some(json!({"assignees": [{"kind": "asset", "key": "IT-99"}]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("assignees[0]".into(), "reference_target".into())]), "{body}");

        // Lowering the entitlement below the seats in use is refused, unless overuse is allowed;
        // then assigning past it is a breach, not a refusal.
        let (status, body) = api
            .call("PUT", &format!("/api/v1/assets/{acrobat}/licence"), &api.admin, Some(terms("Acrobat Pro", 1)))
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("seats_in_use")), "{body}");
        let mut overuse = terms("Acrobat Pro", 1);
        overuse["allowOveruse"] = json!(true);
        api.ok("PUT", &format!("/api/v1/assets/{acrobat}/licence"), Some(overuse)).await;
        let over = api
            .ok("POST", &format!("/api/v1/assets/{acrobat}/seats"), Some(json!({"assignees": [person(&people[1])]})))
            .await;
        assert_eq!(
            over["licence"]["compliance"],
            json!({"entitled": 1, "assigned": 3, "installed": 0, "free": 0, "gap": -2, "breach": true})
        );

        // Installations come from the laptops' "Installed software".
        for i in 2..=5 {
            api.ok(
                "POST",
                "/api/v1/schemas/IT/assets",
                Some(json!({"type": "Laptop", "attributes": {"Name": format!("Laptop {i}"), "Serial number": format!("SN-{i}"), "Installed software": [acrobat]}})),
            )
            .await;
        }
        let licence = api.ok("GET", &format!("/api/v1/assets/{acrobat}/licence"), None).await;
        assert_eq!(licence["compliance"]["installed"], 4);
        assert_eq!(licence["compliance"]["gap"], -3, "used is the larger of assigned and installed");

        // Per product: a second purchase of the same product adds up; another product stands alone.
        let second = software(&api, "Acrobat 2026 (top-up)").await;
        api.ok("PUT", &format!("/api/v1/assets/{second}/licence"), Some(terms("Acrobat Pro", 5))).await;
        let office = software(&api, "Office").await;
        api.ok("PUT", &format!("/api/v1/assets/{office}/licence"), Some(terms("Office", 10))).await;
        // A retired licence entitles no one: it is left out, and its seats cannot be given.
        let retired = api
            .ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Software", "status": "Retired", "attributes": {"Name": "Office 2019"}})))
            .await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        api.ok("PUT", &format!("/api/v1/assets/{retired}/licence"), Some(terms("Office", 50))).await;
        let (status, body) = api
            .call("POST", &format!("/api/v1/assets/{retired}/seats"), &api.admin, Some(json!({"assignees": [person(&people[0])]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("asset".into(), "retired".into())]), "{body}");
        let products = api.ok("GET", "/api/v1/schemas/IT/licences/compliance", None).await;
        assert_eq!(
            products["items"],
            json!([
                {"product": "Acrobat Pro", "licences": 2, "compliance": {"entitled": 6, "assigned": 3, "installed": 4, "free": 3, "gap": 2, "breach": false}},
                {"product": "Office", "licences": 1, "compliance": {"entitled": 10, "assigned": 0, "installed": 0, "free": 10, "gap": 10, "breach": false}},
            ])
        );
        let page = api.ok("GET", "/api/v1/schemas/IT/licences?product=Acrobat%20Pro&limit=1", None).await;
        assert_eq!(page["items"][0]["asset"], acrobat);
        let cursor = page["nextCursor"].as_str().unwrap();
        let rest = api
            .ok("GET", &format!("/api/v1/schemas/IT/licences?product=Acrobat%20Pro&limit=1&cursor={cursor}"), None)
            .await;
        assert_eq!(rest["items"][0]["asset"], second);

        // Seats page in assignment order; freeing needs a seat, and frees all or none.
        let first = api.ok("GET", &format!("/api/v1/assets/{acrobat}/seats?limit=2"), None).await;
        assert_eq!(first["items"][0]["assignee"], person(&people[0]));
        assert_eq!(first["items"][1]["assignee"], json!({"kind": "asset", "key": laptop}));
        let cursor = first["nextCursor"].as_str().unwrap();
        let last = api.ok("GET", &format!("/api/v1/assets/{acrobat}/seats?limit=2&cursor={cursor}"), None).await;
        assert_eq!(last["items"].as_array().unwrap().len(), 1);
        assert_eq!(last["nextCursor"], Value::Null);
        let (status, body) = api
            .call(
                "POST",
                &format!("/api/v1/assets/{acrobat}/seats/release"),
                &api.admin,
                Some(json!({"assignees": [person(&people[0]), person(&people[2])]})),
            )
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("assignees[1]".into(), "no_seat".into())]), "{body}");
        let freed = api
            .ok("POST", &format!("/api/v1/assets/{acrobat}/seats/release"), Some(json!({"assignees": [person(&people[0])], "note": "left the team"})))
            .await;
        assert_eq!(freed["compliance"]["assigned"], 2);

        let kinds = history_kinds(&api, &acrobat).await;
        for (kind, count) in [("licence_changed", 3), ("seat_assigned", 3), ("seat_released", 1)] {
            assert_eq!(kinds.iter().filter(|k| *k == kind).count(), count, "{kind}: {kinds:?}");
        }

        // "My assets" lists the seats the signed-in person holds.
        let me = api.site.admin_account_id.clone();
        let mine = api.ok("GET", "/api/v1/custody/mine", None).await;
        assert_eq!(mine["seats"], json!([]));
        api.ok("PUT", &format!("/api/v1/assets/{acrobat}/licence"), Some(terms("Acrobat Pro", 5))).await;
        api.ok("POST", &format!("/api/v1/assets/{acrobat}/seats"), Some(json!({"assignees": [person(&me)]}))).await;
        let mine = api.ok("GET", "/api/v1/custody/mine", None).await;
        let seats: Vec<(&str, &str)> = mine["seats"].as_array().unwrap().iter().map(|s| (s["licence"].as_str().unwrap(), s["label"].as_str().unwrap())).collect();
        assert_eq!(seats, [(acrobat.as_str(), "Acrobat 2026")]);

        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn seats_of_people_who_left_are_reclaimed() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let people = with_software(&api).await;
        let (a, b) = (software(&api, "Figma").await, software(&api, "Slack").await);
        for licence in [&a, &b] {
            api.ok(
                "PUT",
                &format!("/api/v1/assets/{licence}/licence"),
                Some(terms(licence, 5)),
            )
            .await;
            api.ok(
                "POST",
                &format!("/api/v1/assets/{licence}/seats"),
                Some(json!({"assignees": [person(&people[0]), person(&people[1])]})),
            )
            .await;
        }
        let none = api
            .ok("GET", "/api/v1/schemas/IT/licences/reclaimable", None)
            .await;
        assert_eq!(none["items"], json!([]), "everyone is active");

        api.sim.set_user_active("acme", &people[1], false).unwrap();
        let listed = api
            .ok("GET", "/api/v1/schemas/IT/licences/reclaimable", None)
            .await;
        let rows: Vec<(&str, &str)> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["licence"].as_str().unwrap(),
                    r["accountId"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (a.as_str(), people[1].as_str()),
                (b.as_str(), people[1].as_str())
            ]
        );
        assert!(
            !listed["items"][0]["displayName"]
                .as_str()
                .unwrap()
                .is_empty()
        );

        // Jira is asked again: an active person's seats are never reclaimed.
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/licences/reclaim",
                &api.admin,
                Some(json!({"accountIds": [people[0], people[1]]})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("user_active")),
            "{body}"
        );
        let (status, _) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/licences/reclaim",
                &api.user,
                Some(json!({"accountIds": [people[1]]})),
            )
            .await;
        assert_eq!(status, 403);
        let done = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/licences/reclaim",
                Some(json!({"accountIds": [people[1]]})),
            )
            .await;
        assert_eq!(done["freed"], 2);
        for licence in [&a, &b] {
            let l = api
                .ok("GET", &format!("/api/v1/assets/{licence}/licence"), None)
                .await;
            assert_eq!(l["compliance"]["assigned"], 1);
            assert!(
                history_kinds(&api, licence)
                    .await
                    .contains(&"seat_released".to_owned())
            );
        }
        let after = api
            .ok("GET", "/api/v1/schemas/IT/licences/reclaimable", None)
            .await;
        assert_eq!(after["items"], json!([]));
        api.stop().await;
    })
    .await;
}

/// Many assignments at once, and random rounds of assignments and releases: the seats in use
/// never pass the entitlement, the count always equals the seats listed, and a retry with an
/// idempotency key has one effect.
#[tokio::test]
async fn concurrent_assignments_never_exceed_the_entitlement() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let people = with_software(&api).await;
        let licence = software(&api, "CAD").await;
        api.ok(
            "PUT",
            &format!("/api/v1/assets/{licence}/licence"),
            Some(terms("CAD", 3)),
        )
        .await;
        let seats = format!("/api/v1/assets/{licence}/seats");

        let calls = people.iter().take(8).map(|p| {
            api.call(
                "POST",
                &seats,
                &api.admin,
                Some(json!({"assignees": [person(p)]})),
            )
        });
        let answers = join_all(calls.collect()).await;
        let won = answers.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(won, 3, "{answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(
                (*status, body["error"]["code"].as_str()),
                (409, Some("seats_exhausted")),
                "{body}"
            );
        }

        let mut rng = amj_testkit::rng::seeded("concurrent_assignments_never_exceed", 0x5ea7);
        for _ in 0..5 {
            let ops: Vec<(bool, String)> = (0..6)
                .map(|_| {
                    (
                        rng.percent(60),
                        people[rng.index(people.len().min(8))].clone(),
                    )
                })
                .collect();
            let api = &api;
            let seats = &seats;
            let calls = ops.iter().map(|(assign, p)| async move {
                let path = if *assign {
                    seats.clone()
                } else {
                    format!("{seats}/release")
                };
                api.call(
                    "POST",
                    &path,
                    &api.admin,
                    Some(json!({"assignees": [person(p)]})),
                )
                .await
            });
            for (status, body) in join_all(calls.collect()).await {
                assert!(matches!(status, 200 | 409 | 400), "{status}: {body}");
            }
            let now = api
                .ok("GET", &format!("/api/v1/assets/{licence}/licence"), None)
                .await;
            let assigned = now["compliance"]["assigned"].as_i64().unwrap();
            assert!(assigned <= 3, "{now}");
            let listed = api.ok("GET", &format!("{seats}?limit=500"), None).await;
            assert_eq!(
                listed["items"].as_array().unwrap().len() as i64,
                assigned,
                "{listed}"
            );
        }

        // Retries of one key: one effect, the same answer each time.
        let listed = api.ok("GET", &format!("{seats}?limit=500"), None).await;
        for item in listed["items"].as_array().unwrap() {
            api.ok(
                "POST",
                &format!("{seats}/release"),
                Some(json!({"assignees": [item["assignee"]]})),
            )
            .await;
        }
        let key = [("Idempotency-Key", "seat-burst")];
        let calls = (0..5).map(|_| {
            api.app.call_with(
                "POST",
                &seats,
                &api.admin,
                Some(json!({"assignees": [person(&people[0])]})),
                &key,
            )
        });
        let answers = join_all(calls.collect()).await;
        for (status, body, _) in &answers {
            assert_eq!(
                (*status, body),
                (200, &answers[0].1),
                "every retry answers as the first did"
            );
        }
        let now = api
            .ok("GET", &format!("/api/v1/assets/{licence}/licence"), None)
            .await;
        assert_eq!(now["compliance"]["assigned"], 1);
        let (status, body, _) = api
            .app
            .call_with(
                "POST",
                &seats,
                &api.admin,
                Some(json!({"assignees": [person(&people[1])]})),
                &key,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("idempotency_key_reused"))
        );
        api.stop().await;
    })
    .await;
}

/// The installed attribute may live on the licence itself (its "Installed on" machines): each
/// value is one installation, and the policy refuses an attribute that neither licences have
/// nor points at them.
#[tokio::test]
async fn installations_counted_from_the_licences_own_list() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let catalog = api.it_schema().await;
        let software = api
            .ok("POST", "/api/v1/schemas/IT/types", Some(json!({"name": "Software", "icon": "box"})))
            .await["id"]
            .as_i64()
            .unwrap();
        let installed_on = api
            .ok(
                "POST",
                &format!("/api/v1/schemas/IT/types/{software}/attributes"),
                Some(json!({"name": "Installed on", "kind": "reference", "targetType": catalog.hardware, "referenceType": "installed on"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let located_in = api.ok("GET", &format!("/api/v1/schemas/IT/types/{}", catalog.laptop), None).await["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "Located in")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let (status, body) = api
            .call("PUT", "/api/v1/schemas/IT/licence-policy", &api.admin, Some(json!({"licensedTypes": [software], "installedAttribute": located_in})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("installedAttribute".into(), "reference_target".into())]), "{body}");
        api.ok("PUT", "/api/v1/schemas/IT/licence-policy", Some(json!({"licensedTypes": [software], "installedAttribute": installed_on})))
            .await;

        let laptops: Vec<String> = {
            let mut keys = Vec::new();
            for i in 1..=3 {
                keys.push(api.laptop(&format!("Laptop {i}"), &format!("SN-{i}")).await["key"].as_str().unwrap().to_owned());
            }
            keys
        };
        let licence = api
            .ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Software", "attributes": {"Name": "CAD", "Installed on": laptops}})))
            .await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let set = api.ok("PUT", &format!("/api/v1/assets/{licence}/licence"), Some(terms("CAD", 2))).await;
        assert_eq!(set["compliance"]["installed"], 3);
        assert_eq!(set["compliance"]["breach"], true, "three installs on two seats");
        let products = api.ok("GET", "/api/v1/schemas/IT/licences/compliance", None).await;
        assert_eq!(products["items"][0]["compliance"]["installed"], 3);
        api.stop().await;
    })
    .await;
}
