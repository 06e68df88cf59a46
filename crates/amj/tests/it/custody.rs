//! Custody end to end on both backends: the policy, check-out and check-in of one asset and in
//! bulk (by key and by scanned serial), nesting, idempotency keys, "my assets", overdue, and
//! concurrent check-outs that must leave one holder at a time.

use crate::support::{codes, each_backend, join_all};
use amj_testkit::api::Api;
use serde_json::{Value, json};

/// The IT schema with Hardware (so Laptop, its subtype) checkoutable, and `n` laptops.
async fn with_laptops(api: &Api, n: usize) -> amj_testkit::api::Catalog {
    let catalog = api.it_schema().await;
    let policy = api
        .ok(
            "PUT",
            "/api/v1/schemas/IT/custody-policy",
            Some(json!({"checkoutableTypes": [catalog.hardware]})),
        )
        .await;
    assert_eq!(policy["checkoutableTypes"], json!([catalog.hardware]));
    for i in 1..=n {
        api.laptop(&format!("Laptop {i}"), &format!("SN-{i}")).await;
    }
    catalog
}

fn person(account: &str) -> Value {
    json!({"kind": "user", "accountId": account})
}

fn today() -> String {
    let days = amj_store::now_millis().div_euclid(86_400_000);
    amj_domain::value::format_date(i32::try_from(days).unwrap()).unwrap()
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
async fn check_out_and_in_with_policy_nesting_and_history() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let ada = api.site.admin_account_id.clone();

        // No policy yet: nothing can be checked out.
        let catalog = api.it_schema().await;
        let policy = api.ok("GET", "/api/v1/schemas/IT/custody-policy", None).await;
        assert_eq!(policy["checkoutableTypes"], json!([]));
        api.laptop("Laptop 1", "SN-1").await;
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-1/checkout", &api.admin, Some(json!({"holder": person(&ada)})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(codes(&body), [("asset".to_owned(), "not_checkoutable".to_owned())]);

        // The policy is validated, and only admins set it.
        let (status, body) = api
            .call("PUT", "/api/v1/schemas/IT/custody-policy", &api.admin, Some(json!({"checkoutableTypes": [999_999]})))
            .await;
        assert_eq!(status, 400, "{body}");
        let statuses = api.ok("GET", "/api/v1/schemas/IT", None).await["statuses"].clone();
        let retired = statuses.as_array().unwrap().iter().find(|s| s["name"] == "Retired").unwrap()["id"].clone();
        let (status, body) = api
            .call("PUT", "/api/v1/schemas/IT/custody-policy", &api.admin, Some(json!({"checkedOutStatus": retired})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("checkedOutStatus".to_owned(), "reference_target".to_owned())]));
        let (status, _) = api
            .call("PUT", "/api/v1/schemas/IT/custody-policy", &api.user, Some(json!({"checkoutableTypes": [catalog.hardware]})))
            .await;
        assert_eq!(status, 403);
        api.ok("PUT", "/api/v1/schemas/IT/custody-policy", Some(json!({"checkoutableTypes": [catalog.hardware]}))).await;
        for i in 2..=4 {
            api.laptop(&format!("Laptop {i}"), &format!("SN-{i}")).await;
        }
        let room = api
            .ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Location", "attributes": {"Name": "Store room"}})))
            .await;
        assert_eq!(room["key"], "IT-5");

        // A bad check-out names each broken rule.
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/IT-1/checkout",
                &api.admin,
                Some(json!({"holder": {"kind": "user", "accountId": "Ada Lovelace"}, "issue": "not-a-key"})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(codes(&body), [("holder".to_owned(), "format".to_owned()), ("issue".to_owned(), "format".to_owned())]);
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-1/checkout", &api.admin, Some(json!({"holder": person(&ada), "due": "2020-01-01"})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("due".to_owned(), "min".to_owned())]));
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-5/checkout", &api.admin, Some(json!({"holder": person(&ada)})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("asset".to_owned(), "not_checkoutable".to_owned())]), "Location is not");

        // Out to Ada, for an issue, due today.
        let out = api
            .ok(
                "POST",
                "/api/v1/assets/IT-1/checkout",
                Some(json!({"holder": person(&ada), "due": today(), "issue": "AM-2", "note": "new starter"})),
            )
            .await;
        assert_eq!(out["asset"], "IT-1");
        assert_eq!(out["label"], "Laptop 1");
        assert_eq!(out["custody"]["holder"], person(&ada));
        assert_eq!(out["custody"]["due"], today());
        assert_eq!(out["custody"]["issue"], "AM-2");
        assert_eq!(out["custody"]["by"], ada);
        let asset = api.ok("GET", "/api/v1/assets/IT-1", None).await;
        assert_eq!(asset["status"]["name"], "In use", "the first In use status, as no status is named");
        assert_eq!(asset["custody"], out["custody"], "the asset's body carries its check-out");
        let listed = api.ok("GET", "/api/v1/schemas/IT/assets?sort=key", None).await;
        let custody: Vec<&Value> = listed["items"].as_array().unwrap().iter().map(|a| &a["custody"]).collect();
        assert_eq!(custody[0], &out["custody"], "and so does a list's");
        assert!(custody[1..].iter().all(|c| c.is_null()), "null when in: {custody:?}");
        let found = api.ok("POST", "/api/v1/assets/query", Some(json!({"aql": "Key = IT-1", "schema": "IT"}))).await;
        assert_eq!(found["items"][0]["custody"], out["custody"], "and a query's");
        // The issue's property lists what was handed out for it, so JQL finds the issue.
        let handed_out = |issue: &str| {
            let id = api.sim.with_data(&api.site.name, |d| d.issue(issue).map(|i| i.id.clone())).flatten().unwrap();
            api.sim
                .with_data(&api.site.name, |d| d.issue_properties.get(&(id, "assets".to_owned())).cloned())
                .flatten()
        };
        assert_eq!(handed_out("AM-2"), Some(json!({"keys": [], "handedOut": ["IT-1"]})));
        // Searched with what the app's descriptor declares, as Jira indexes it.
        let index = api.sim.issue_property_index();
        let jql = api.sim.with_data(&api.site.name, |d| {
            amj_jira_sim::data::search(d, "assetsHandedOut = IT-1", &index, &[])
                .unwrap()
                .iter()
                .map(|i| i.key.clone())
                .collect::<Vec<_>>()
        });
        assert_eq!(jql, Some(vec!["AM-2".to_owned()]));
        // An issue that does not exist is named, and nothing is checked out.
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-2/checkout", &api.admin, Some(json!({"holder": person(&ada), "issue": "AM-999"})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("issue".to_owned(), "reference_target".to_owned())]), "{body}");
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-2/custody", None).await["custody"], Value::Null);
        let hand_outs = api.ok("GET", "/api/v1/custody/issues/am-2", None).await;
        assert_eq!(hand_outs["items"][0]["asset"], "IT-1");
        assert_eq!(hand_outs["items"][0]["returned"], Value::Null);
        assert_eq!(&history_kinds(&api, "IT-1").await[..2], ["checked_out", "status_changed"]);

        // Out already: 409 naming the holder.
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-1/checkout", &api.admin, Some(json!({"holder": {"kind": "location", "key": "IT-5"}})))
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("already_checked_out")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(&ada), "{body}");

        // A dock (IT-2) rides on the laptop, a cable (IT-3) on the dock: both are with Ada.
        api.ok("POST", "/api/v1/assets/IT-2/checkout", Some(json!({"holder": {"kind": "asset", "key": "IT-1"}}))).await;
        api.ok("POST", "/api/v1/assets/IT-3/checkout", Some(json!({"holder": {"kind": "asset", "key": "IT-2"}}))).await;
        let custody = api.ok("GET", "/api/v1/assets/IT-3/custody", None).await;
        assert_eq!(custody["checkoutable"], true);
        assert_eq!(custody["custody"]["holder"], json!({"kind": "asset", "key": "IT-2"}));
        assert_eq!(custody["effectiveHolder"], person(&ada));
        assert_eq!(custody["carriers"], json!(["IT-2", "IT-1"]));
        let mine = api.ok("GET", "/api/v1/custody/mine", None).await;
        let keys: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|i| i["asset"].as_str().unwrap()).collect();
        assert_eq!(keys, ["IT-1", "IT-2", "IT-3"], "held directly first, then what rides on it");
        // AQL finds them the same ways.
        for (aql, expected) in [
            ("holder = currentUser()", vec!["IT-1", "IT-2", "IT-3"]),
            (&format!("holder = \"{ada}\"") as &str, vec!["IT-1", "IT-2", "IT-3"]),
            ("holder = IT-1", vec!["IT-2", "IT-3"]),
            ("holder is empty", vec!["IT-4", "IT-5"]),
            ("object having checkedOutFor(am-2)", vec!["IT-1"]),
            ("due is not empty", vec!["IT-1"]),
            ("object having overdue()", vec![]),
            ("checkedOut > now(-1h) order by Key", vec!["IT-1", "IT-2", "IT-3"]),
        ] {
            let found = api.ok("POST", "/api/v1/assets/query", Some(json!({"aql": aql, "schema": "IT"}))).await;
            let keys: Vec<&str> = found["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect();
            assert_eq!(keys, expected, "{aql}");
        }
        let (status, body) = api.call("GET", "/api/v1/custody/mine", &api.user, None).await;
        assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(0)), "another person holds nothing");

        // No loops: the laptop cannot ride on what rides on it.
        api.ok("POST", "/api/v1/assets/IT-1/checkin", Some(json!({"condition": "good"}))).await;
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-1/checkout", &api.admin, Some(json!({"holder": {"kind": "asset", "key": "IT-3"}})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("holder".to_owned(), "cycle".to_owned())]), "{body}");
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-4/checkout", &api.admin, Some(json!({"holder": {"kind": "asset", "key": "IT-4"}})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("holder".to_owned(), "cycle".to_owned())]), "{body}");
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-4/checkout", &api.admin, Some(json!({"holder": {"kind": "location", "key": "IT-99"}})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("holder".to_owned(), "reference_target".to_owned())]), "{body}");

        // Archiving what is out, or what carries something, is refused.
        let version = api.ok("GET", "/api/v1/assets/IT-2", None).await["version"].clone();
        let (status, body) = api.call("POST", "/api/v1/assets/IT-2/archive", &api.admin, Some(json!({"version": version}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("checked_out")));
        let version = api.ok("GET", "/api/v1/assets/IT-1", None).await["version"].clone();
        let (status, body) = api.call("POST", "/api/v1/assets/IT-1/archive", &api.admin, Some(json!({"version": version}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("holds_assets")));

        // The laptop came back: its loan is kept, with the issue it served; it is Available.
        let custody = api.ok("GET", "/api/v1/assets/IT-1/custody", None).await;
        assert_eq!(custody["custody"], Value::Null);
        assert_eq!(custody["effectiveHolder"], Value::Null);
        let hand_outs = api.ok("GET", "/api/v1/custody/issues/AM-2", None).await;
        assert_eq!(hand_outs["items"][0]["returned"]["condition"], "good", "{hand_outs}");
        assert_eq!(handed_out("AM-2"), Some(json!({"keys": [], "handedOut": ["IT-1"]})), "kept after the check-in");
        let loan = &custody["loans"][0];
        assert_eq!(loan["holder"], person(&ada));
        assert_eq!(loan["issue"], "AM-2");
        assert_eq!(loan["condition"], "good");
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-1", None).await["status"]["name"], "Available");
        let kinds = history_kinds(&api, "IT-1").await;
        assert_eq!(&kinds[..2], ["checked_in", "status_changed"]);
        let (status, body) = api.call("POST", "/api/v1/assets/IT-1/checkin", &api.admin, Some(json!({"condition": "good"}))).await;
        assert_eq!((status, codes(&body)), (400, vec![("asset".to_owned(), "not_checked_out".to_owned())]));

        // Lost: checked in, and its status left for a person to decide.
        api.ok("POST", "/api/v1/assets/IT-4/checkout", Some(json!({"holder": {"kind": "location", "key": "IT-5"}}))).await;
        api.ok("POST", "/api/v1/assets/IT-4/checkin", Some(json!({"condition": "lost", "note": "never came back"}))).await;
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-4", None).await["status"]["name"], "In use");

        // A named status is used instead of the category's first.
        let repair = statuses.as_array().unwrap().iter().find(|s| s["name"] == "In repair").unwrap()["id"].clone();
        api.ok(
            "PUT",
            "/api/v1/schemas/IT/custody-policy",
            Some(json!({"checkoutableTypes": [catalog.laptop], "checkedOutStatus": repair})),
        )
        .await;
        api.ok("POST", "/api/v1/assets/IT-1/checkout", Some(json!({"holder": person(&ada)}))).await;
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-1", None).await["status"]["name"], "In repair");

        // Overdue starts the day after the due day.
        let overdue = api.ok("GET", "/api/v1/custody/overdue", None).await;
        assert_eq!(overdue["items"], json!([]), "due today is not overdue yet");
        let store = &api.app.state.store;
        let tenant = store.tenant_by_client_key(&api.site.client_key).await.unwrap().unwrap().id;
        api.ok("POST", "/api/v1/assets/IT-1/checkin", Some(json!({"condition": "good"}))).await;
        api.ok("POST", "/api/v1/assets/IT-1/checkout", Some(json!({"holder": person(&ada), "due": today()}))).await;
        let today_days = i32::try_from(amj_store::now_millis().div_euclid(86_400_000)).unwrap();
        let tomorrow = store.overdue(tenant, today_days + 1, None, 10).await.unwrap();
        let keys: Vec<String> = tomorrow.iter().map(|h| h.key.to_string()).collect();
        assert_eq!(keys, ["IT-1"]);
        let (status, body) = api.call("GET", "/api/v1/custody/overdue?cursor=nope", &api.admin, None).await;
        assert_eq!((status, codes(&body)), (400, vec![("cursor".to_owned(), "format".to_owned())]));
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn bulk_verbs_are_all_or_none_and_check_in_by_serial() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let ada = api.site.admin_account_id.clone();
        with_laptops(&api, 4).await;
        api.ok(
            "POST",
            "/api/v1/assets/IT-2/checkout",
            Some(json!({"holder": person(&ada)})),
        )
        .await;

        // One asset already out fails the batch: IT-1 stays in.
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/checkouts",
                &api.admin,
                Some(json!({"items": [
                    {"asset": "IT-1", "holder": person(&ada)},
                    {"asset": "IT-2", "holder": person(&ada)}
                ]})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("already_checked_out")),
            "{body}"
        );
        assert_eq!(
            api.ok("GET", "/api/v1/assets/IT-1/custody", None).await["custody"],
            Value::Null
        );
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/checkouts",
                &api.admin,
                Some(json!({"items": [
                    {"asset": "IT-1", "holder": person(&ada)},
                    {"asset": "IT-77", "holder": person(&ada)},
                    {"asset": "IT-3", "holder": person("nobody by name")}
                ]})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            codes(&body),
            [("items[1].asset".to_owned(), "reference_target".to_owned())],
            "unknown keys are named first"
        );

        let out = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/checkouts",
                Some(json!({"items": [
                    {"asset": "IT-1", "holder": person(&ada), "issue": "AM-3"},
                    {"asset": "IT-3", "holder": {"kind": "asset", "key": "IT-1"}}
                ]})),
            )
            .await;
        let keys: Vec<&str> = out["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["asset"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["IT-1", "IT-3"]);

        // Scanned: a key, a serial in another case, and one that matches nothing.
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/schemas/IT/checkins",
                &api.admin,
                Some(json!({"assets": ["IT-1", "sn-3", "SN-404"], "condition": "worn"})),
            )
            .await;
        assert_eq!(
            (status, codes(&body)),
            (
                400,
                vec![("items[2].asset".to_owned(), "reference_target".to_owned())]
            )
        );
        let back = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/checkins",
                Some(json!({"assets": ["IT-1", "sn-3", "SN-2"], "condition": "worn"})),
            )
            .await;
        let keys: Vec<&str> = back["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["asset"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["IT-1", "IT-3", "IT-2"]);
        assert_eq!(back["items"][0]["loan"]["issue"], "AM-3");
        assert_eq!(back["items"][1]["loan"]["condition"], "worn");
        let mine = api.ok("GET", "/api/v1/custody/mine", None).await;
        assert_eq!(mine["items"], json!([]));
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn idempotency_keys_answer_a_retry_once_and_refuse_reuse() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let ada = api.site.admin_account_id.clone();
        with_laptops(&api, 2).await;
        let body = json!({"holder": person(&ada), "note": "retry me"});
        let key = [("Idempotency-Key", "4f1c2a7e-retry")];
        let (status, first, headers) = api
            .app
            .call_with(
                "POST",
                "/api/v1/assets/IT-1/checkout",
                &api.admin,
                Some(body.clone()),
                &key,
            )
            .await;
        assert_eq!(status, 200, "{first}");
        assert!(headers.get("idempotent-replayed").is_none());
        let version = api.ok("GET", "/api/v1/assets/IT-1", None).await["version"].clone();

        // The retry: the same answer, and no second effect (no 409, no new version).
        let (status, again, headers) = api
            .app
            .call_with(
                "POST",
                "/api/v1/assets/IT-1/checkout",
                &api.admin,
                Some(body.clone()),
                &key,
            )
            .await;
        assert_eq!((status, &again), (200, &first));
        assert_eq!(
            headers
                .get("idempotent-replayed")
                .map(|v| v.to_str().unwrap()),
            Some("true")
        );
        assert_eq!(
            api.ok("GET", "/api/v1/assets/IT-1", None).await["version"],
            version
        );

        // The same key for another request is refused, not answered with the first response.
        let (status, refused, _) = api
            .app
            .call_with(
                "POST",
                "/api/v1/assets/IT-2/checkout",
                &api.admin,
                Some(body.clone()),
                &key,
            )
            .await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (422, Some("idempotency_key_reused"))
        );
        assert_eq!(
            api.ok("GET", "/api/v1/assets/IT-2/custody", None).await["custody"],
            Value::Null
        );

        // A failed request leaves its key unused: corrected, it runs.
        let bad = [("Idempotency-Key", "second")];
        let (status, _, _) = api
            .app
            .call_with(
                "POST",
                "/api/v1/assets/IT-2/checkin",
                &api.admin,
                Some(json!({"condition": "good"})),
                &bad,
            )
            .await;
        assert_eq!(status, 400);
        api.ok(
            "POST",
            "/api/v1/assets/IT-2/checkout",
            Some(json!({"holder": person(&ada)})),
        )
        .await;
        let (status, _, _) = api
            .app
            .call_with(
                "POST",
                "/api/v1/assets/IT-2/checkin",
                &api.admin,
                Some(json!({"condition": "good"})),
                &bad,
            )
            .await;
        assert_eq!(status, 200);

        // Concurrent retries of one key: one effect, the same answer for all.
        let key = [("Idempotency-Key", "burst")];
        let calls = (0..6).map(|_| {
            api.app.call_with(
                "POST",
                "/api/v1/schemas/IT/checkouts",
                &api.admin,
                Some(json!({"items": [{"asset": "IT-2", "holder": person(&ada)}]})),
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
        let kinds = history_kinds(&api, "IT-2").await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "checked_out").count(),
            2,
            "{kinds:?}"
        );

        let (status, body, _) = api
            .app
            .call_with(
                "POST",
                "/api/v1/assets/IT-1/checkin",
                &api.admin,
                Some(json!({"condition": "good"})),
                &[("Idempotency-Key", "")],
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("idempotency_key_invalid"))
        );

        // A retry gets the first answer even when what was checked has changed since.
        api.ok(
            "POST",
            "/api/v1/assets/IT-2/checkin",
            Some(json!({"condition": "good"})),
        )
        .await;
        let for_issue = json!({"holder": person(&ada), "issue": "AM-5"});
        let key = [("Idempotency-Key", "issue-gone")];
        let (status, first, _) = api
            .app
            .call_with(
                "POST",
                "/api/v1/assets/IT-2/checkout",
                &api.admin,
                Some(for_issue.clone()),
                &key,
            )
            .await;
        assert_eq!(status, 200, "{first}");
        api.sim.delete_issue(&api.site.name, "AM-5").await.unwrap();
        let (status, again, headers) = api
            .app
            .call_with(
                "POST",
                "/api/v1/assets/IT-2/checkout",
                &api.admin,
                Some(for_issue),
                &key,
            )
            .await;
        assert_eq!(
            (status, &again),
            (200, &first),
            "replayed, not refused for the deleted issue"
        );
        assert_eq!(
            headers
                .get("idempotent-replayed")
                .map(|v| v.to_str().unwrap()),
            Some("true")
        );
        api.stop().await;
    })
    .await;
}

/// Random interleavings of concurrent check-outs and check-ins: whatever wins, an asset has one
/// holder at a time, each success is in its history exactly once, and its status agrees.
#[tokio::test]
async fn concurrent_check_outs_keep_one_holder() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        with_laptops(&api, 3).await;
        let people: Vec<String> = api
            .sim
            .site_users("acme")
            .unwrap()
            .into_iter()
            .map(|u| u.account_id)
            .collect();

        // Many people at once for one laptop: exactly one wins; the rest learn who.
        let calls = people.iter().cycle().take(8).map(|p| {
            api.call(
                "POST",
                "/api/v1/assets/IT-1/checkout",
                &api.admin,
                Some(json!({"holder": person(p)})),
            )
        });
        let answers = join_all(calls.collect()).await;
        let winners: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == 200)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(winners.len(), 1, "{answers:?}");
        let holder = winners[0]["custody"]["holder"]["accountId"]
            .as_str()
            .unwrap();
        for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(
                (*status, body["error"]["code"].as_str()),
                (409, Some("already_checked_out"))
            );
            assert!(
                body["error"]["message"].as_str().unwrap().contains(holder),
                "{body}"
            );
        }

        // Rounds of random verbs on three laptops, each round sent at once.
        let mut rng =
            amj_testkit::rng::seeded("concurrent_check_outs_keep_one_holder", 0x5eed_c0de);
        let mut outs = [0usize; 3];
        let mut ins = [0usize; 3];
        for _ in 0..6 {
            let ops: Vec<(usize, bool, String)> = (0..6)
                .map(|_| {
                    let asset = rng.index(3);
                    let out = rng.percent(50);
                    (asset, out, people[rng.index(people.len())].clone())
                })
                .collect();
            let api = &api;
            let calls = ops.iter().map(|(asset, out, p)| {
                let key = format!("IT-{}", asset + 1);
                async move {
                    if *out {
                        api.call(
                            "POST",
                            &format!("/api/v1/assets/{key}/checkout"),
                            &api.admin,
                            Some(json!({"holder": person(p)})),
                        )
                        .await
                    } else {
                        api.call(
                            "POST",
                            &format!("/api/v1/assets/{key}/checkin"),
                            &api.admin,
                            Some(json!({"condition": "good"})),
                        )
                        .await
                    }
                }
            });
            for ((asset, out, _), (status, body)) in ops.iter().zip(join_all(calls.collect()).await)
            {
                match status {
                    200 if *out => outs[*asset] += 1,
                    200 => ins[*asset] += 1,
                    409 | 400 => {}
                    other => panic!("a verb answered {other}: {body}"),
                }
            }
        }
        outs[0] += 1; // the race above
        for asset in 0..3 {
            let key = format!("IT-{}", asset + 1);
            let kinds = history_kinds(&api, &key).await;
            let out_events = kinds.iter().filter(|k| *k == "checked_out").count();
            let in_events = kinds.iter().filter(|k| *k == "checked_in").count();
            assert_eq!(
                (out_events, in_events),
                (outs[asset], ins[asset]),
                "{key}: {kinds:?}"
            );
            // Newest first: check-outs and check-ins alternate, as one holder at a time requires.
            let verbs: Vec<&String> = kinds.iter().filter(|k| k.starts_with("checked_")).collect();
            assert!(verbs.windows(2).all(|w| w[0] != w[1]), "{key}: {verbs:?}");
            let custody = api
                .ok("GET", &format!("/api/v1/assets/{key}/custody"), None)
                .await;
            let is_out = outs[asset] > ins[asset];
            assert_eq!(outs[asset] - ins[asset], usize::from(is_out));
            assert_eq!(custody["custody"].is_object(), is_out, "{key}");
            let status =
                api.ok("GET", &format!("/api/v1/assets/{key}"), None).await["status"]["name"]
                    .clone();
            assert_eq!(status, if is_out { "In use" } else { "Available" }, "{key}");
        }
        api.stop().await;
    })
    .await;
}

/// "Which assets were used for project X over a period": the JQL's issues, and the check-outs
/// for them that were out at some time in the period.
#[tokio::test]
async fn a_report_lists_what_was_used_for_some_jira_work_over_a_period() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let ada = api.site.admin_account_id.clone();
        with_laptops(&api, 3).await;
        for (key, issue) in [("IT-1", "AM-1"), ("IT-2", "OPS-1"), ("IT-3", "AM-2")] {
            api.ok(
                "POST",
                &format!("/api/v1/assets/{key}/checkout"),
                Some(json!({"holder": person(&ada), "issue": issue})),
            )
            .await;
        }
        api.ok(
            "POST",
            "/api/v1/assets/IT-3/checkin",
            Some(json!({"condition": "good"})),
        )
        .await;
        let report = |query: String| {
            let api = &api;
            async move {
                let body = api
                    .ok("GET", &format!("/api/v1/custody/report?{query}"), None)
                    .await;
                let keys: Vec<String> = body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        format!(
                            "{}{}",
                            i["asset"].as_str().unwrap(),
                            if i["returned"].is_null() {
                                ""
                            } else {
                                " (back)"
                            }
                        )
                    })
                    .collect();
                (body["issues"].as_u64().unwrap(), keys)
            }
        };
        // The JQL runs with the app's access: not for everyone.
        let (status, _) = api
            .call(
                "GET",
                "/api/v1/custody/report?jql=project%20%3D%20AM",
                &api.user,
                None,
            )
            .await;
        assert_eq!(status, 403);
        let (issues, keys) = report("jql=project%20%3D%20AM".into()).await;
        assert!(issues >= 2, "the simulator's AM issues");
        assert_eq!(keys, ["IT-1", "IT-3 (back)"]);
        assert_eq!(
            report("jql=key%20%3D%20OPS-1".into()).await,
            (1, vec!["IT-2".to_owned()])
        );
        let day = |offset: i64| {
            let days = amj_store::now_millis().div_euclid(86_400_000) + offset;
            amj_domain::value::format_date(i32::try_from(days).unwrap()).unwrap()
        };
        // Tomorrow on: what is still out; IT-3 came back today.
        assert_eq!(
            report(format!("jql=project%20%3D%20AM&from={}", day(1)))
                .await
                .1,
            ["IT-1"]
        );
        // Up to yesterday: nothing had gone out yet.
        assert!(
            report(format!("jql=project%20%3D%20AM&to={}", day(-1)))
                .await
                .1
                .is_empty()
        );
        assert_eq!(
            report(format!(
                "jql=project%20%3D%20AM&from={}&to={}",
                day(0),
                day(0)
            ))
            .await
            .1,
            ["IT-1", "IT-3 (back)"]
        );
        for (query, field) in [
            ("jql=nosuchfield%20%3D%201", "jql"),
            ("jql=project%20%3D%20AM&from=2026-13-01", "from"),
            (
                &format!("jql=project%20%3D%20AM&from={}&to={}", day(1), day(0)) as &str,
                "to",
            ),
            ("jql=%20", "jql"),
        ] {
            let (status, body) = api
                .call(
                    "GET",
                    &format!("/api/v1/custody/report?{query}"),
                    &api.admin,
                    None,
                )
                .await;
            assert_eq!(status, 400, "{query}: {body}");
            assert_eq!(codes(&body)[0].0, field, "{query}: {body}");
        }
        api.stop().await;
    })
    .await;
}

/// Carriers nest at most 8 deep, counting what already rides on an asset; "my assets" and AQL
/// agree on everything riding on a person's asset, down to the deepest level.
#[tokio::test]
async fn nesting_is_bounded_and_my_assets_agree_with_aql_to_the_deepest_level() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let ada = api.site.admin_account_id.clone();
        with_laptops(&api, 11).await;
        api.ok("POST", "/api/v1/assets/IT-1/checkout", Some(json!({"holder": person(&ada)}))).await;
        // IT-2 rides on IT-1, IT-3 on IT-2, … IT-9 on IT-8: eight carriers above IT-9.
        for k in 2..=9 {
            api.ok(
                "POST",
                &format!("/api/v1/assets/IT-{k}/checkout"),
                Some(json!({"holder": {"kind": "asset", "key": format!("IT-{}", k - 1)}})),
            )
            .await;
        }
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-10/checkout", &api.admin, Some(json!({"holder": {"kind": "asset", "key": "IT-9"}})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("holder".to_owned(), "cycle".to_owned())]), "a ninth carrier: {body}");
        let mine = api.ok("GET", "/api/v1/custody/mine", None).await;
        let mut keys: Vec<String> = mine["items"].as_array().unwrap().iter().map(|i| i["asset"].as_str().unwrap().to_owned()).collect();
        keys.sort_by_key(|k| k[3..].parse::<u32>().unwrap());
        let expected: Vec<String> = (1..=9).map(|k| format!("IT-{k}")).collect();
        assert_eq!(keys, expected, "the deepest rider is Ada's too");
        let found = api
            .ok("POST", "/api/v1/assets/query", Some(json!({"aql": "holder = currentUser() ORDER BY Key", "schema": "IT", "limit": 50})))
            .await;
        let mut aql: Vec<String> = found["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_owned()).collect();
        aql.sort_by_key(|k| k[3..].parse::<u32>().unwrap());
        assert_eq!(aql, expected, "AQL's walk reaches as deep as my assets");
        let custody = api.ok("GET", "/api/v1/assets/IT-9/custody", None).await;
        assert_eq!(custody["effectiveHolder"], person(&ada));
        assert_eq!(custody["carriers"].as_array().unwrap().len(), 8);

        // IT-1 carries eight levels: it cannot itself ride on anything now.
        api.ok("POST", "/api/v1/assets/IT-1/checkin", Some(json!({"condition": "good"}))).await;
        let (status, body) = api
            .call("POST", "/api/v1/assets/IT-1/checkout", &api.admin, Some(json!({"holder": {"kind": "asset", "key": "IT-11"}})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("holder".to_owned(), "cycle".to_owned())]), "{body}");
        api.ok("POST", "/api/v1/assets/IT-1/checkout", Some(json!({"holder": person(&ada)}))).await;

        // A status someone chose while it was out is kept at check-in.
        let version = api.ok("GET", "/api/v1/assets/IT-1", None).await["version"].clone();
        api.ok("PATCH", "/api/v1/assets/IT-1", Some(json!({"version": version, "status": "In repair"}))).await;
        api.ok("POST", "/api/v1/assets/IT-1/checkin", Some(json!({"condition": "damaged"}))).await;
        assert_eq!(api.ok("GET", "/api/v1/assets/IT-1", None).await["status"]["name"], "In repair");
        api.stop().await;
    })
    .await;
}
