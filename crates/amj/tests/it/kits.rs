//! Kits end to end on both backends: defining a kit (checked against the schema), handing it
//! to a person in one action with parts picked by rule or by hand, and all or nothing: a part
//! that cannot be handed out leaves every other part as it was, even when two kits race for
//! the last dock.

use crate::support::{codes, each_backend, join_all};
use amj_testkit::api::Api;
use serde_json::{Value, json};

struct Setup {
    people: Vec<String>,
    laptop_type: i64,
    dock_type: i64,
    licence: String,
    toner: String,
    store: String,
}

async fn create(api: &Api, type_name: &str, name: &str) -> String {
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

async fn new_type(api: &Api, name: &str, parent: Option<i64>) -> i64 {
    api.ok(
        "POST",
        "/api/v1/schemas/IT/types",
        Some(json!({"name": name, "icon": "box", "parentId": parent})),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

/// Hardware (laptops and docks) checkoutable, a Software licence with one seat, Toner stock
/// at a store room, two laptops and one dock.
async fn setup(api: &Api) -> Setup {
    let catalog = api.it_schema().await;
    let dock_type = new_type(api, "Dock", Some(catalog.hardware)).await;
    let software = new_type(api, "Software", None).await;
    let toner_type = new_type(api, "Toner", None).await;
    api.ok(
        "PUT",
        "/api/v1/schemas/IT/custody-policy",
        Some(json!({"checkoutableTypes": [catalog.hardware]})),
    )
    .await;
    api.ok(
        "PUT",
        "/api/v1/schemas/IT/licence-policy",
        Some(json!({"licensedTypes": [software]})),
    )
    .await;
    api.ok(
        "PUT",
        "/api/v1/schemas/IT/stock-policy",
        Some(json!({"consumableTypes": [toner_type]})),
    )
    .await;
    let store = create(api, "Location", "Store room").await;
    api.laptop("Laptop 1", "SN-1").await;
    api.laptop("Laptop 2", "SN-2").await;
    create(api, "Dock", "Dock 1").await;
    let licence = create(api, "Software", "Slack").await;
    api.ok(
        "PUT",
        &format!("/api/v1/assets/{licence}/licence"),
        Some(json!({"product": "Slack", "entitled": 1})),
    )
    .await;
    let toner = create(api, "Toner", "Toner").await;
    api.ok(
        "POST",
        &format!("/api/v1/assets/{toner}/stock/movements"),
        Some(json!({"kind": "receive", "location": store, "quantity": 5})),
    )
    .await;
    let people = api
        .sim
        .site_users("acme")
        .unwrap()
        .into_iter()
        .map(|u| u.account_id)
        .collect();
    Setup {
        people,
        laptop_type: catalog.laptop,
        dock_type,
        licence,
        toner,
        store,
    }
}

fn starter(s: &Setup) -> Value {
    json!({
        "name": "New starter",
        "description": "Everything a new colleague needs on day one",
        "parts": [
            {"kind": "asset", "typeId": s.laptop_type},
            {"kind": "asset", "typeId": s.dock_type},
            {"kind": "seat", "licence": s.licence},
            {"kind": "stock", "item": s.toner, "location": s.store, "quantity": 2}
        ]
    })
}

/// Who holds each asset (`null` when it is in), by key.
async fn holders(api: &Api, keys: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for key in keys {
        let body = api.ok("GET", &format!("/api/v1/assets/{key}"), None).await;
        out.push(body["custody"]["holder"].clone());
    }
    out
}

async fn seats_assigned(api: &Api, licence: &str) -> i64 {
    api.ok("GET", &format!("/api/v1/assets/{licence}/licence"), None)
        .await["compliance"]["assigned"]
        .as_i64()
        .unwrap()
}

async fn toner_left(api: &Api, toner: &str) -> i64 {
    api.ok("GET", &format!("/api/v1/assets/{toner}/stock"), None)
        .await["counts"]["quantity"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_kit_hands_out_every_part_or_none() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;
        let kits = "/api/v1/schemas/IT/kits";

        // A kit is checked against the schema, and only admins define one.
        let location_type = api.ok("GET", "/api/v1/schemas/IT", None).await["types"]
            .as_array().unwrap().iter().find(|t| t["name"] == "Location").unwrap()["id"].clone();
        let bad = json!({"name": " ", "parts": [
            {"kind": "asset", "typeId": location_type},
            {"kind": "seat", "licence": "IT-2"},
            {"kind": "stock", "item": s.store, "location": s.toner, "quantity": 1}
        ]});
        let (status, body) = api.call("POST", kits, &api.admin, Some(bad)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            codes(&body),
            [("name".into(), "required".into())],
            "the draft's own rules come first"
        );
        let bad = json!({"name": "Odd", "parts": [
            {"kind": "asset", "typeId": location_type},
            {"kind": "seat", "licence": "IT-2"},
            {"kind": "stock", "item": s.store, "location": s.toner, "quantity": 1}
        ]});
        let (status, body) = api.call("POST", kits, &api.admin, Some(bad)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            codes(&body),
            [
                ("parts[0]".into(), "reference_target".into()),
                ("parts[1]".into(), "reference_target".into()),
                ("parts[2]".into(), "reference_target".into()),
                ("parts[2]".into(), "reference_target".into()),
            ]
        );
        let (status, _) = api.call("POST", kits, &api.user, Some(starter(&s))).await;
        assert_eq!(status, 403);
        let (status, kit) = api.call("POST", kits, &api.admin, Some(starter(&s))).await;
        assert_eq!(status, 201, "{kit}");
        assert_eq!(kit["parts"], starter(&s)["parts"]);
        let (status, body) = api.call("POST", kits, &api.admin, Some(starter(&s))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("kit_name_taken")));
        let listed = api.ok("GET", kits, None).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let kit_path = format!("{kits}/{}", kit["id"]);
        assert_eq!(api.ok("GET", &kit_path, None).await, kit);
        let checkout = format!("{kit_path}/checkout");

        // Handed out in one action: the first available laptop, the dock, a seat and toner.
        let handout = api
            .ok("POST", &checkout, Some(json!({"accountId": s.people[0], "issue": "AM-1", "due": null})))
            .await;
        let assets: Vec<&str> = handout["assets"].as_array().unwrap().iter().map(|a| a["asset"].as_str().unwrap()).collect();
        assert_eq!(assets, ["IT-2", "IT-4"], "Laptop 1 (IT-2) by rule, then the dock: {handout}");
        assert_eq!(handout["seats"], json!([s.licence]));
        assert_eq!(handout["stock"], json!([{"item": s.toner, "quantity": 2}]));
        assert_eq!(handout["assets"][0]["custody"]["issue"], "AM-1");
        assert_eq!(handout["assets"][0]["custody"]["note"], "Kit New starter");
        let person = json!({"kind": "user", "accountId": s.people[0]});
        assert_eq!(holders(&api, &["IT-2", "IT-3", "IT-4"]).await, [person.clone(), Value::Null, person.clone()]);
        assert_eq!((seats_assigned(&api, &s.licence).await, toner_left(&api, &s.toner).await), (1, 3));
        let for_issue = api.ok("GET", "/api/v1/custody/issues/AM-1", None).await;
        assert_eq!(
            (for_issue["items"].as_array().unwrap().len(), for_issue["seats"].as_array().unwrap().len(), for_issue["stock"].as_array().unwrap().len()),
            (2, 1, 1),
            "{for_issue}"
        );

        // No dock left: the whole kit is refused, naming the part, and nothing else moved.
        let (status, body) = api.call("POST", &checkout, &api.admin, Some(json!({"accountId": s.people[1]}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("kit_part_unavailable")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("Part 2: no Dock"), "{body}");
        assert_eq!(holders(&api, &["IT-3"]).await, [Value::Null], "the laptop picked first was put back");

        // A dock, but no seat left: refused at part 3; the laptop and dock stay in.
        let dock2 = create(&api, "Dock", "Dock 2").await;
        let (status, body) = api.call("POST", &checkout, &api.admin, Some(json!({"accountId": s.people[1]}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("seats_exhausted")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("Part 3:"), "{body}");
        assert_eq!(holders(&api, &["IT-3", dock2.as_str()]).await, [Value::Null, Value::Null]);
        assert_eq!((seats_assigned(&api, &s.licence).await, toner_left(&api, &s.toner).await), (1, 3));

        // Picked by hand: the part must be of its type.
        api.ok("PUT", &format!("/api/v1/assets/{}/licence", s.licence), Some(json!({"product": "Slack", "entitled": 3}))).await;
        let (status, body) = api
            .call("POST", &checkout, &api.admin, Some(json!({"accountId": s.people[1], "picks": [{"part": 0, "asset": dock2}]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("parts[0]".into(), "reference_target".into())]), "{body}");
        let (status, body) = api
            .call("POST", &checkout, &api.admin, Some(json!({"accountId": s.people[1], "picks": [{"part": 2, "asset": dock2}]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("picks[0]".into(), "reference_target".into())]), "a seat is not picked: {body}");
        let handout = api
            .ok("POST", &checkout, Some(json!({"accountId": s.people[1], "picks": [{"part": 1, "asset": dock2}], "note": "desk 4"})))
            .await;
        let assets: Vec<&str> = handout["assets"].as_array().unwrap().iter().map(|a| a["asset"].as_str().unwrap()).collect();
        assert_eq!(assets, ["IT-3", dock2.as_str()]);
        assert_eq!(handout["assets"][1]["custody"]["note"], "Kit New starter: desk 4");
        assert_eq!((seats_assigned(&api, &s.licence).await, toner_left(&api, &s.toner).await), (2, 1));

        // Out of toner: refused at part 4, with what the shelf holds.
        create(&api, "Laptop", "Laptop 3").await;
        create(&api, "Dock", "Dock 3").await;
        let (status, body) = api.call("POST", &checkout, &api.admin, Some(json!({"accountId": s.people[2]}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("insufficient_stock")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("Part 4:"), "{body}");
        assert_eq!(seats_assigned(&api, &s.licence).await, 2, "the seat of part 3 was given back");

        // Renamed, then deleted: what it handed out stays out.
        let mut renamed = starter(&s);
        renamed["name"] = json!("Starter kit");
        assert_eq!(api.ok("PUT", &kit_path, Some(renamed)).await["name"], "Starter kit");
        let (status, _) = api.call("DELETE", &kit_path, &api.admin, None).await;
        assert_eq!(status, 204);
        let (status, body) = api.call("GET", &kit_path, &api.admin, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("kit_not_found")));
        assert_eq!(holders(&api, &["IT-2"]).await, [person]);
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn two_kits_racing_for_the_last_dock_one_wins_whole() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;
        api.ok(
            "PUT",
            &format!("/api/v1/assets/{}/licence", s.licence),
            Some(json!({"product": "Slack", "entitled": 10})),
        )
        .await;
        let kit = api
            .ok("POST", "/api/v1/schemas/IT/kits", Some(starter(&s)))
            .await;
        let checkout = format!("/api/v1/schemas/IT/kits/{}/checkout", kit["id"]);
        let calls = s
            .people
            .iter()
            .take(4)
            .map(|p| api.call("POST", &checkout, &api.admin, Some(json!({"accountId": p}))));
        let answers = join_all(calls.collect()).await;
        let won: Vec<&Value> = answers
            .iter()
            .filter(|(st, _)| *st == 200)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(won.len(), 1, "one dock, one kit: {answers:?}");
        for (status, body) in answers.iter().filter(|(st, _)| *st != 200) {
            assert_eq!(*status, 409, "{body}");
        }
        // Exactly the winner's parts are out: one laptop, the dock, one seat, two toner.
        let held = holders(&api, &["IT-2", "IT-3", "IT-4"]).await;
        assert_eq!(held.iter().filter(|h| !h.is_null()).count(), 2, "{held:?}");
        assert!(
            !held[2].is_null(),
            "the dock went with the winner: {held:?}"
        );
        assert_eq!(
            (
                seats_assigned(&api, &s.licence).await,
                toner_left(&api, &s.toner).await
            ),
            (1, 3)
        );
        api.stop().await;
    })
    .await;
}
