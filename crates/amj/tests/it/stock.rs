//! Stock end to end on both backends: the policy, levels per location, every movement
//! (receive, issue, return, move, count), minimums and the "below minimum" list, what was
//! issued for a Jira issue, idempotency keys, and concurrent movements that must never take a
//! quantity below zero.

use crate::support::{codes, each_backend, join_all};
use amj_testkit::api::Api;
use serde_json::{Value, json};

fn person(account: &str) -> Value {
    json!({"kind": "user", "accountId": account})
}

/// The IT schema plus Toner (consumable), Headset (accessory) and Memory (component) types,
/// and two locations. Answers the people of the site and the location keys.
async fn with_stock(api: &Api) -> (Vec<String>, String, String) {
    api.it_schema().await;
    let mut ids = Vec::new();
    for name in ["Toner", "Headset", "Memory"] {
        let id = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/types",
                Some(json!({"name": name, "icon": "box"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        ids.push(id);
    }
    let policy = json!({
        "consumableTypes": [ids[0]], "accessoryTypes": [ids[1]], "componentTypes": [ids[2]]
    });
    let stored = api
        .ok(
            "PUT",
            "/api/v1/schemas/IT/stock-policy",
            Some(policy.clone()),
        )
        .await;
    assert_eq!(stored, policy);
    let store = location(api, "Main store").await;
    let floor = location(api, "Floor 2").await;
    let people = api
        .sim
        .site_users("acme")
        .unwrap()
        .into_iter()
        .map(|u| u.account_id)
        .collect();
    (people, store, floor)
}

async fn location(api: &Api, name: &str) -> String {
    asset(api, "Location", name).await
}

async fn asset(api: &Api, type_name: &str, name: &str) -> String {
    api.ok(
        "POST",
        "/api/v1/schemas/IT/assets",
        Some(json!({"type": type_name, "attributes": {"Name": name}})),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// (location, quantity, minimum) of each level.
fn levels(stock: &Value) -> Vec<(String, i64, i64)> {
    stock["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["location"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
                l["minimum"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn moved(api: &Api, item: &str, movement: Value) -> (u16, Value) {
    api.call(
        "POST",
        &format!("/api/v1/assets/{item}/stock/movements"),
        &api.admin,
        Some(movement),
    )
    .await
}

#[tokio::test]
async fn levels_movements_minimums_and_what_an_issue_was_given() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let (people, store, floor) = with_stock(&api).await;

        // The policy is checked, and only admins set it.
        let (status, body) = api
            .call("PUT", "/api/v1/schemas/IT/stock-policy", &api.admin, Some(json!({"consumableTypes": [999_999]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("consumableTypes".into(), "reference_target".into())]));
        let policy = api.ok("GET", "/api/v1/schemas/IT/stock-policy", None).await;
        let (status, body) = api
            .call("PUT", "/api/v1/schemas/IT/stock-policy", &api.admin, Some(json!({"consumableTypes": policy["accessoryTypes"], "accessoryTypes": policy["accessoryTypes"]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("accessoryTypes".into(), "duplicate_value".into())]), "a type is one kind");
        let (status, _) = api
            .call("PUT", "/api/v1/schemas/IT/stock-policy", &api.user, Some(policy.clone()))
            .await;
        assert_eq!(status, 403, "only admins set the policy");

        let toner = asset(&api, "Toner", "Toner HP 305A").await;
        let laptop = api.laptop("Laptop 1", "SN-1").await["key"].as_str().unwrap().to_owned();

        // A laptop is no stock item.
        let (status, body) = api.call("GET", &format!("/api/v1/assets/{laptop}/stock"), &api.admin, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("not_stock")), "{body}");
        let (status, body) = moved(&api, &laptop, json!({"kind": "receive", "location": store, "quantity": 1})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("not_stock")), "{body}");
        // Before anything moved, an item has no levels.
        let empty = api.ok("GET", &format!("/api/v1/assets/{toner}/stock"), None).await;
        assert_eq!(empty["kind"], "consumable");
        assert_eq!(empty["counts"], json!({"quantity": 0, "issued": 0, "belowMinimum": 0}));

        // Bad movements name each broken rule; a location must be a location.
        let (status, body) = moved(&api, &toner, json!({"kind": "receive", "location": toner, "quantity": 0, "issue": "nope"})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(codes(&body), [("quantity".into(), "min".into()), ("location".into(), "cycle".into()), ("issue".into(), "format".into())]);
        let (status, body) = moved(&api, &toner, json!({"kind": "receive", "location": laptop, "quantity": 1})).await;
        assert_eq!(status, 200, "any asset but a stock item can hold stock: {body}");
        let (status, body) = moved(&api, &toner, json!({"kind": "count", "location": laptop, "counted": 0})).await;
        assert_eq!(status, 200, "{body}");
        let other = asset(&api, "Toner", "Toner HP 410X").await;
        let (status, body) = moved(&api, &toner, json!({"kind": "receive", "location": other, "quantity": 1})).await;
        assert_eq!((status, codes(&body)), (400, vec![("location".into(), "reference_target".into())]), "{body}");
        let (status, body) = moved(&api, &toner, json!({"kind": "receive", "location": "IT-9999", "quantity": 1})).await;
        assert_eq!((status, codes(&body)), (400, vec![("location".into(), "reference_target".into())]), "{body}");
        let (status, body) = moved(&api, &toner, json!({"kind": "teleport", "location": store})).await;
        assert_eq!(status, 400, "{body}");

        // Receive, issue for an issue, refuse more than is there.
        let received = moved(&api, &toner, json!({"kind": "receive", "location": store, "quantity": 10, "note": "PO 17"})).await.1;
        assert_eq!(levels(&received), [(store.clone(), 10, 0), (laptop.clone(), 0, 0)], "by key");
        assert_eq!(received["counts"]["quantity"], 10);
        let issued = moved(&api, &toner, json!({"kind": "issue", "location": store, "quantity": 3, "to": person(&people[0]), "issue": "AM-1"})).await;
        assert_eq!(issued.0, 200, "{}", issued.1);
        assert_eq!(issued.1["counts"], json!({"quantity": 7, "issued": 0, "belowMinimum": 0}), "a consumable is used up");
        let (status, body) = moved(&api, &toner, json!({"kind": "issue", "location": store, "quantity": 8, "to": person(&people[0])})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("insufficient_stock")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("holds 7"), "{body}");
        let (status, body) = moved(&api, &toner, json!({"kind": "issue", "location": store, "quantity": 1, "to": person(&people[0]), "issue": "AM-999"})).await;
        assert_eq!((status, codes(&body)), (400, vec![("issue".into(), "reference_target".into())]), "the issue must exist: {body}");
        let (status, body) = moved(&api, &toner, json!({"kind": "return", "location": store, "quantity": 1, "from": person(&people[0])})).await;
        assert_eq!((status, codes(&body)), (400, vec![("kind".into(), "not_returnable".into())]), "{body}");

        // Move and count.
        let after_move = moved(&api, &toner, json!({"kind": "move", "from": store, "to": floor, "quantity": 4})).await.1;
        assert_eq!(levels(&after_move), [(store.clone(), 3, 0), (floor.clone(), 4, 0), (laptop.clone(), 0, 0)]);
        let (status, body) = moved(&api, &toner, json!({"kind": "move", "from": floor, "to": store, "quantity": 5})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("insufficient_stock")), "{body}");
        let counted = moved(&api, &toner, json!({"kind": "count", "location": floor, "counted": 2, "note": "two missing"})).await.1;
        assert_eq!(counted["counts"]["quantity"], 5);

        // Minimums: a level under its minimum is listed, with how many to order.
        let (status, body) = api
            .call("PUT", &format!("/api/v1/assets/{toner}/stock/minimum"), &api.admin, Some(json!({"location": store, "minimum": -1})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("minimum".into(), "min".into())]));
        let with_minimum = api.ok("PUT", &format!("/api/v1/assets/{toner}/stock/minimum"), Some(json!({"location": store, "minimum": 5}))).await;
        assert_eq!(with_minimum["counts"]["belowMinimum"], 1);
        assert_eq!(with_minimum["levels"][0]["belowMinimum"], true);
        let below = api.ok("GET", "/api/v1/schemas/IT/stock/below-minimum", None).await;
        assert_eq!(below["items"], json!([{"item": toner, "itemLabel": "Toner HP 305A", "location": store, "locationLabel": "Main store", "quantity": 3, "minimum": 5, "short": 2}]));
        moved(&api, &toner, json!({"kind": "receive", "location": store, "quantity": 2})).await;
        let below = api.ok("GET", "/api/v1/schemas/IT/stock/below-minimum", None).await;
        assert_eq!(below["items"], json!([]), "exactly the minimum is enough");

        // The asset body carries the totals.
        let body = api.ok("GET", &format!("/api/v1/assets/{toner}"), None).await;
        assert_eq!(body["stock"], json!({"quantity": 7, "issued": 0, "belowMinimum": 0}));
        assert_eq!(api.ok("GET", &format!("/api/v1/assets/{laptop}"), None).await["stock"], Value::Null);

        // The log, newest first, pages; the history has each movement.
        let log = api.ok("GET", &format!("/api/v1/assets/{toner}/stock/movements?limit=3"), None).await;
        let kinds: Vec<&str> = log["items"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["receive", "count", "move"]);
        let rest = api
            .ok("GET", &format!("/api/v1/assets/{toner}/stock/movements?cursor={}", log["nextCursor"].as_str().unwrap()), None)
            .await;
        let kinds: Vec<&str> = rest["items"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["issue", "receive", "count", "receive"]);
        assert_eq!(rest["items"][0]["party"], person(&people[0]));
        assert_eq!(rest["items"][0]["issue"], "AM-1");
        let history = api.ok("GET", &format!("/api/v1/assets/{toner}/history?limit=100"), None).await;
        let events: Vec<&str> = history["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        for kind in ["stock_received", "stock_issued", "stock_moved", "stock_counted", "stock_minimum_changed"] {
            assert!(events.contains(&kind), "{kind} in {events:?}");
        }
        let counted_event = history["items"].as_array().unwrap().iter().find(|e| e["kind"] == "stock_counted" && e["location"] == floor.as_str()).unwrap();
        assert_eq!((counted_event["before"].as_i64(), counted_event["after"].as_i64()), (Some(4), Some(2)));

        // The issue lists what was issued for it, and its property names the item for JQL.
        let for_issue = api.ok("GET", "/api/v1/custody/issues/AM-1", None).await;
        assert_eq!(for_issue["stock"].as_array().unwrap().len(), 1, "{for_issue}");
        assert_eq!((for_issue["stock"][0]["item"].as_str(), for_issue["stock"][0]["quantity"].as_i64()), (Some(toner.as_str()), Some(3)));
        let issue_id = api.sim.with_data(&api.site.name, |d| d.issue("AM-1").map(|i| i.id.clone())).flatten().unwrap();
        let property = api
            .sim
            .with_data(&api.site.name, |d| d.issue_properties.get(&(issue_id, "assets".to_owned())).cloned())
            .flatten();
        assert_eq!(property, Some(json!({"keys": [], "handedOut": [toner]})));

        // Accessories come back; components go into assets.
        let headset = asset(&api, "Headset", "Jabra Evolve").await;
        moved(&api, &headset, json!({"kind": "receive", "location": store, "quantity": 4})).await;
        let lent = moved(&api, &headset, json!({"kind": "issue", "location": store, "quantity": 2, "to": person(&people[1])})).await.1;
        assert_eq!(lent["counts"], json!({"quantity": 2, "issued": 2, "belowMinimum": 0}));
        assert_eq!(lent["out"][0]["assignee"], person(&people[1]));
        assert_eq!(lent["out"][0]["quantity"], 2);
        let (status, body) = moved(&api, &headset, json!({"kind": "return", "location": floor, "quantity": 3, "from": person(&people[1])})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("not_issued")), "{body}");
        let (status, body) = moved(&api, &headset, json!({"kind": "return", "location": floor, "quantity": 1, "from": person(&people[0])})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("not_issued")), "nobody else returns it: {body}");
        moved(&api, &headset, json!({"kind": "return", "location": floor, "quantity": 1, "from": person(&people[1])})).await;
        let back = moved(&api, &headset, json!({"kind": "return", "location": floor, "quantity": 1, "from": person(&people[1]), "note": "spare"})).await.1;
        assert_eq!(back["counts"], json!({"quantity": 4, "issued": 0, "belowMinimum": 0}));
        assert_eq!(back["out"], json!([]));
        // "My assets" lists what is lent to the signed-in person.
        let me = api.site.admin_account_id.clone();
        moved(&api, &headset, json!({"kind": "issue", "location": floor, "quantity": 2, "to": person(&me)})).await;
        let mine = api.ok("GET", "/api/v1/custody/mine", None).await;
        let lent: Vec<(&str, &str, i64)> = mine["stock"].as_array().unwrap().iter().map(|s| (s["item"].as_str().unwrap(), s["label"].as_str().unwrap(), s["quantity"].as_i64().unwrap())).collect();
        assert_eq!(lent, [(headset.as_str(), "Jabra Evolve", 2)]);
        moved(&api, &headset, json!({"kind": "return", "location": floor, "quantity": 2, "from": person(&me)})).await;
        assert_eq!(api.ok("GET", "/api/v1/custody/mine", None).await["stock"], json!([]));
        let memory = asset(&api, "Memory", "16 GB DDR5").await;
        moved(&api, &memory, json!({"kind": "receive", "location": store, "quantity": 2})).await;
        let (status, body) = moved(&api, &memory, json!({"kind": "issue", "location": store, "quantity": 1, "to": person(&people[1])})).await;
        assert_eq!((status, codes(&body)), (400, vec![("to".into(), "component_to_asset".into())]), "{body}");
        let fitted = moved(&api, &memory, json!({"kind": "issue", "location": store, "quantity": 1, "to": {"kind": "asset", "key": laptop}})).await.1;
        assert_eq!(fitted["out"][0]["assignee"], json!({"kind": "asset", "key": laptop}));

        // A person without edit rights moves nothing.
        let (status, _) = api
            .call("POST", &format!("/api/v1/assets/{toner}/stock/movements"), &api.user, Some(json!({"kind": "receive", "location": store, "quantity": 1})))
            .await;
        assert_eq!(status, 403);
        api.stop().await;
    })
    .await;
}

/// Stock totals equal the sum of the levels, and no level is negative.
fn assert_consistent(stock: &Value) {
    let levels = levels(stock);
    let sum: i64 = levels.iter().map(|l| l.1).sum();
    assert!(levels.iter().all(|l| l.1 >= 0), "{stock}");
    assert_eq!(stock["counts"]["quantity"].as_i64(), Some(sum), "{stock}");
    let below = levels.iter().filter(|l| l.1 < l.2).count() as i64;
    assert_eq!(
        stock["counts"]["belowMinimum"].as_i64(),
        Some(below),
        "{stock}"
    );
    let out: i64 = stock["out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(stock["counts"]["issued"].as_i64(), Some(out), "{stock}");
}

#[tokio::test]
async fn concurrent_movements_never_take_a_quantity_below_zero() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let (people, store, floor) = with_stock(&api).await;
        let headset = asset(&api, "Headset", "Jabra Evolve").await;
        let path = format!("/api/v1/assets/{headset}/stock/movements");
        moved(&api, &headset, json!({"kind": "receive", "location": store, "quantity": 5})).await;
        api.ok("PUT", &format!("/api/v1/assets/{headset}/stock/minimum"), Some(json!({"location": floor, "minimum": 2}))).await;

        // Eight take one each from five: exactly five win.
        let calls = (0..8).map(|i| {
            api.call(
                "POST",
                &path,
                &api.admin,
                Some(json!({"kind": "issue", "location": store, "quantity": 1, "to": person(&people[i % people.len()])})),
            )
        });
        let answers = join_all(calls.collect()).await;
        let won = answers.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(won, 5, "{answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
            assert_eq!((*status, body["error"]["code"].as_str()), (409, Some("insufficient_stock")), "{body}");
        }
        let now = api.ok("GET", &format!("/api/v1/assets/{headset}/stock"), None).await;
        assert_eq!(now["counts"]["issued"], 5);
        assert_consistent(&now);

        // Random interleavings of every movement keep every invariant.
        let mut rng = amj_testkit::rng::seeded("concurrent_movements_never_below_zero", 0x570c);
        let places = [store.clone(), floor.clone()];
        for _ in 0..5 {
            let ops: Vec<Value> = (0..8)
                .map(|_| {
                    let at = &places[rng.index(2)];
                    let other = &places[rng.index(2)];
                    let who = person(&people[rng.index(people.len().min(4))]);
                    let n = 1 + rng.index(3) as i64;
                    match rng.index(5) {
                        0 => json!({"kind": "receive", "location": at, "quantity": n}),
                        1 => json!({"kind": "issue", "location": at, "quantity": n, "to": who}),
                        2 => json!({"kind": "return", "location": at, "quantity": n, "from": who}),
                        3 if at != other => json!({"kind": "move", "from": at, "to": other, "quantity": n}),
                        _ => json!({"kind": "count", "location": at, "counted": rng.index(4)}),
                    }
                })
                .collect();
            let api = &api;
            let path = &path;
            let calls = ops.iter().map(|op| async move { api.call("POST", path, &api.admin, Some(op.clone())).await });
            for (status, body) in join_all(calls.collect()).await {
                assert!(matches!(status, 200 | 409), "{status}: {body}");
                if status == 200 {
                    assert_consistent(&body);
                }
            }
            assert_consistent(&api.ok("GET", &format!("/api/v1/assets/{headset}/stock"), None).await);
        }

        // Retries of one key: one effect, the same answer each time.
        let before = api.ok("GET", &format!("/api/v1/assets/{headset}/stock"), None).await;
        let key = [("Idempotency-Key", "receive-burst")];
        let receive = json!({"kind": "receive", "location": store, "quantity": 7});
        let calls = (0..5).map(|_| api.app.call_with("POST", &path, &api.admin, Some(receive.clone()), &key));
        let answers = join_all(calls.collect()).await;
        for (status, body, _) in &answers {
            assert_eq!((*status, body), (200, &answers[0].1), "every retry answers as the first did");
        }
        let after = api.ok("GET", &format!("/api/v1/assets/{headset}/stock"), None).await;
        assert_eq!(after["counts"]["quantity"].as_i64().unwrap(), before["counts"]["quantity"].as_i64().unwrap() + 7);
        let (status, body, _) = api
            .app
            .call_with("POST", &path, &api.admin, Some(json!({"kind": "receive", "location": store, "quantity": 1})), &key)
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("idempotency_key_reused")));
        api.stop().await;
    })
    .await;
}
