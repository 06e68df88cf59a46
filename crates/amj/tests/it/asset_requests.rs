//! Requests approved in Jira, end to end on both backends: asked on an issue, settled by the
//! issue's workflow as the simulator moves it (Connect webhooks), reserved, fulfilled with one
//! call, cancelled, released; reservations hold against check-outs and kits; and cues that
//! repeat or come out of order settle where the issue's newest status leads.

use crate::support::{codes, each_backend};
use amj_domain::request::{IssueStatus, RequestState, StatusCategoryKey};
use amj_store::request::{IssueSight, Settled};
use amj_testkit::api::{Api, Auth};
use amj_testkit::wait::wait_until;
use serde_json::{Value, json};
use std::time::Duration;

const REQUESTS: &str = "/api/v1/schemas/IT/requests";

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

struct Setup {
    laptop_type: i64,
    location_type: i64,
    person: String,
    /// The ordinary user `api.user` calls as.
    asker: String,
    laptops: Vec<String>,
}

async fn setup(api: &Api) -> Setup {
    let catalog = api.it_schema().await;
    api.ok(
        "PUT",
        "/api/v1/schemas/IT/custody-policy",
        Some(json!({"checkoutableTypes": [catalog.hardware]})),
    )
    .await;
    let mut laptops = Vec::new();
    for (name, serial) in [("Laptop 1", "SN-1"), ("Laptop 2", "SN-2")] {
        laptops.push(
            api.laptop(name, serial).await["key"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let users = api.sim.site_users(&api.site.name).unwrap();
    let asker = users
        .iter()
        .find(|u| u.account_id != api.site.admin_account_id)
        .unwrap()
        .account_id
        .clone();
    let person = users
        .iter()
        .rev()
        .find(|u| u.account_id != asker)
        .unwrap()
        .account_id
        .clone();
    Setup {
        laptop_type: catalog.laptop,
        location_type: catalog.location,
        person,
        asker,
        laptops,
    }
}

async fn set_policy(api: &Api) {
    api.ok(
        "PUT",
        "/api/v1/schemas/IT/request-policy",
        Some(json!({"project": "AM", "approveStatuses": ["Approved"], "rejectStatuses": ["Declined"]})),
    )
    .await;
}

fn ask(issue: &str, type_id: i64, person: &str) -> Value {
    json!({"issue": issue, "wanted": {"kind": "type", "typeId": type_id}, "accountId": person, "note": "for the new designer"})
}

async fn request(api: &Api, id: i64) -> Value {
    api.ok("GET", &format!("{REQUESTS}/{id}"), None).await
}

fn kinds(request: &Value) -> Vec<String> {
    request["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn move_issue(api: &Api, issue: &str, status: &str) {
    let delivered = api
        .sim
        .transition_issue(&api.site.name, issue, status)
        .await
        .unwrap();
    assert_eq!(delivered, [204], "the webhook of {issue} → {status}");
}

async fn history_kinds(api: &Api, asset: &str) -> Vec<String> {
    // Newest first.
    api.ok(
        "GET",
        &format!("/api/v1/assets/{asset}/history?limit=100"),
        None,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_request_is_approved_by_its_issue_reserved_and_fulfilled() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;

        let (status, body) = api
            .call(
                "POST",
                REQUESTS,
                &api.user,
                Some(ask("AM-1", s.laptop_type, &s.person)),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (409, "requests_not_set_up"),
            "{body}"
        );
        set_policy(&api).await;

        // Bad asks are refused, each naming its field.
        for (bad, field) in [
            (ask("OPS-1", s.laptop_type, &s.person), "issue"),
            (ask("AM-1", s.location_type, &s.person), "wanted.typeId"),
            (ask("AM-1", 99_999, &s.person), "wanted.typeId"),
            (ask("AM-1", s.laptop_type, "Ada"), "accountId"),
            (ask(" ", s.laptop_type, &s.person), "issue"),
        ] {
            let (status, body) = api.call("POST", REQUESTS, &api.user, Some(bad)).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(codes(&body)[0].0, field, "{body}");
        }
        let (status, body) = api
            .call(
                "POST",
                REQUESTS,
                &api.user,
                Some(ask("AM-404", s.laptop_type, &s.person)),
            )
            .await;
        assert_eq!(status, 400, "an issue that does not exist: {body}");

        // Asked by an ordinary user; the issue is in To Do, so it waits.
        let (status, asked) = api
            .call(
                "POST",
                REQUESTS,
                &api.user,
                Some(ask("am-1", s.laptop_type, &s.person)),
            )
            .await;
        assert_eq!(status, 200, "{asked}");
        let id = asked["id"].as_i64().unwrap();
        assert_eq!(asked["issue"], "AM-1");
        assert_eq!(asked["what"], "a Laptop");
        let pending = request(&api, id).await;
        assert_eq!(pending["state"], "pending", "{pending}");
        assert_eq!(
            pending["issueStatus"], "To Do",
            "settled at once against the issue"
        );
        let (status, body) = api
            .call(
                "POST",
                &format!("{REQUESTS}/{id}/fulfil"),
                &api.admin,
                Some(json!({})),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (409, "request_not_approved"),
            "{body}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().contains("To Do"),
            "{body}"
        );

        // The workflow approves it: the first free laptop is set aside for the person.
        move_issue(&api, "AM-1", "Approved").await;
        let approved = request(&api, id).await;
        assert_eq!(approved["state"], "approved", "{approved}");
        assert_eq!(approved["reserved"][0]["asset"], s.laptops[0].as_str());
        let (status, body) = api
            .call(
                "POST",
                &format!("/api/v1/assets/{}/checkout", s.laptops[0]),
                &api.admin,
                Some(json!({"holder": {"kind": "user", "accountId": s.asker}})),
            )
            .await;
        assert_eq!((status, code(&body)), (409, "asset_reserved"), "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("AM-1"),
            "{body}"
        );
        let custody = api
            .ok(
                "GET",
                &format!("/api/v1/assets/{}/custody", s.laptops[0]),
                None,
            )
            .await;
        assert_eq!(
            custody["reservation"],
            json!({"request": id, "issue": "AM-1", "accountId": s.person}),
            "the asset says what it is set aside for"
        );

        // Back to In Progress before anything was handed out: pending again, laptop freed;
        // approved again: reserved again.
        move_issue(&api, "AM-1", "In Progress").await;
        let waiting = request(&api, id).await;
        assert_eq!(waiting["state"], "pending");
        assert_eq!(waiting["reserved"], json!([]));
        let custody = api
            .ok(
                "GET",
                &format!("/api/v1/assets/{}/custody", s.laptops[0]),
                None,
            )
            .await;
        assert_eq!(custody["reservation"], Value::Null);
        move_issue(&api, "AM-1", "Approved").await;

        // Re-checking (a repeated cue) changes nothing.
        let before = request(&api, id).await;
        for _ in 0..2 {
            api.ok("POST", &format!("{REQUESTS}/{id}/recheck"), None)
                .await;
        }
        assert_eq!(request(&api, id).await, before);

        // One call hands it out: the reserved laptop, to the person, for the issue.
        let (status, body) = api
            .call(
                "POST",
                &format!("{REQUESTS}/{id}/fulfil"),
                &api.user,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 403, "fulfilling is for asset editors: {body}");
        let done = api
            .ok(
                "POST",
                &format!("{REQUESTS}/{id}/fulfil"),
                Some(json!({"note": "with charger"})),
            )
            .await;
        assert_eq!(done["state"], "fulfilled", "{done}");
        let custody = api
            .ok(
                "GET",
                &format!("/api/v1/assets/{}/custody", s.laptops[0]),
                None,
            )
            .await;
        assert_eq!(
            custody["custody"]["holder"]["accountId"],
            s.person.as_str(),
            "{custody}"
        );
        assert_eq!(custody["custody"]["issue"], "AM-1");
        assert_eq!(
            custody["custody"]["note"],
            format!("Request #{id}: with charger")
        );

        // Done after the hand-out: it stays fulfilled.
        move_issue(&api, "AM-1", "Done").await;
        let on_issue = api.ok("GET", "/api/v1/issues/AM-1/requests", None).await;
        let by_id = api.ok("GET", "/api/v1/issues/10001/requests", None).await;
        assert_eq!(on_issue, by_id, "the issue by key or by id");
        let (status, _) = api
            .call(
                "GET",
                "/api/v1/issues/not%20a%20key/requests",
                &api.admin,
                None,
            )
            .await;
        assert_eq!(status, 400);
        let item = &on_issue["items"][0];
        assert_eq!(item["state"], "fulfilled");
        assert_eq!(
            kinds(item),
            [
                "requested",
                "approved",
                "reserved",
                "unapproved",
                "approved",
                "reserved",
                "fulfilled"
            ]
        );
        assert_eq!(item["history"][0]["actor"], s.asker.as_str());
        assert_eq!(item["history"][6]["event"]["assets"], json!([s.laptops[0]]));
        let asset_history = history_kinds(&api, &s.laptops[0]).await;
        assert_eq!(
            asset_history[..5],
            [
                "checked_out",
                "status_changed",
                "reserved",
                "unreserved",
                "reserved"
            ],
            "{asset_history:?}"
        );
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn rejected_cancelled_and_deleted_requests_free_what_they_held() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;
        set_policy(&api).await;
        let asked = |issue: &'static str| {
            let api = &api;
            let body = ask(issue, s.laptop_type, &s.person);
            async move {
                api.ok("POST", REQUESTS, Some(body)).await["id"]
                    .as_i64()
                    .unwrap()
            }
        };

        // Approved and reserved, then declined: released, laptop free again.
        let declined = asked("AM-2").await;
        move_issue(&api, "AM-2", "Approved").await;
        assert_eq!(
            request(&api, declined).await["reserved"][0]["asset"],
            s.laptops[0].as_str()
        );
        move_issue(&api, "AM-2", "Declined").await;
        let released = request(&api, declined).await;
        assert_eq!(released["state"], "released");
        assert_eq!(released["reserved"], json!([]));
        let last = released["history"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(
            last["event"],
            json!({"kind": "released", "why": "rejected", "status": "Declined", "note": ""})
        );
        assert_eq!(history_kinds(&api, &s.laptops[0]).await[0], "unreserved");
        // Settled for good: approving again does nothing.
        move_issue(&api, "AM-2", "Approved").await;
        assert_eq!(request(&api, declined).await["state"], "released");

        // Done without approval closes it.
        let closed = asked("AM-3").await;
        move_issue(&api, "AM-3", "Done").await;
        let body = request(&api, closed).await;
        assert_eq!(
            (
                body["state"].as_str(),
                kinds(&body).last().map(String::as_str)
            ),
            (Some("released"), Some("released"))
        );
        assert_eq!(body["history"][1]["event"]["why"], "closed");

        // Cancelled by whoever asked (an ordinary user), not by another ordinary user.
        let (status, mine) = api
            .call(
                "POST",
                REQUESTS,
                &api.user,
                Some(ask("AM-5", s.laptop_type, &s.person)),
            )
            .await;
        assert_eq!(status, 200);
        let mine = mine["id"].as_i64().unwrap();
        let other = api
            .sim
            .site_users(&api.site.name)
            .unwrap()
            .into_iter()
            .find(|u| u.account_id != s.asker && u.account_id != api.site.admin_account_id)
            .unwrap();
        let stranger = Auth::Jwt(
            api.sim
                .context_token(&api.site, Some(&other.account_id))
                .unwrap(),
        );
        let cancel = format!("{REQUESTS}/{mine}/cancel");
        let (status, _) = api.call("POST", &cancel, &stranger, Some(json!({}))).await;
        assert_eq!(status, 403);
        let (status, body) = api
            .call(
                "POST",
                &cancel,
                &api.user,
                Some(json!({"note": "x".repeat(5000)})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let (status, body) = api
            .call(
                "POST",
                &cancel,
                &api.user,
                Some(json!({"note": "not needed after all"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["state"], "released");
        let (status, body) = api.call("POST", &cancel, &api.user, Some(json!({}))).await;
        assert_eq!((status, code(&body)), (409, "request_closed"));

        // The issue is deleted: its live request is released and its laptop freed.
        let deleted = asked("AM-6").await;
        move_issue(&api, "AM-6", "Approved").await;
        let held = request(&api, deleted).await["reserved"][0]["asset"].clone();
        assert!(held.is_string());
        assert_eq!(
            api.sim.delete_issue(&api.site.name, "AM-6").await.unwrap(),
            [204]
        );
        let body = request(&api, deleted).await;
        assert_eq!(body["state"], "released");
        assert_eq!(kinds(&body).last().unwrap(), "released");
        assert_eq!(
            body["history"].as_array().unwrap().last().unwrap()["event"]["why"],
            "issue_deleted"
        );

        // The queue lists the live ones; states filter; bad filters and cursors are refused.
        let queue = api
            .ok("GET", &format!("{REQUESTS}?state=pending,approved"), None)
            .await;
        assert_eq!(queue["items"], json!([]));
        let all = api.ok("GET", &format!("{REQUESTS}?limit=2"), None).await;
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
        let next = all["nextCursor"].as_str().unwrap();
        let rest = api
            .ok("GET", &format!("{REQUESTS}?cursor={next}"), None)
            .await;
        assert_eq!(rest["items"].as_array().unwrap().len(), 2);
        let (status, _) = api
            .call("GET", &format!("{REQUESTS}?state=lost"), &api.admin, None)
            .await;
        assert_eq!(status, 400);
        let (status, _) = api
            .call("GET", &format!("{REQUESTS}/nope"), &api.admin, None)
            .await;
        assert_eq!(status, 404);
        api.stop().await;
    })
    .await;
}

/// A kit request reserves one asset per asset part; a reserved asset is skipped by a kit's
/// pick by rule; when nothing was free to reserve, fulfilment picks whatever is free then, and
/// a hand pick replaces a reservation (freeing it, and saying so).
#[tokio::test]
async fn kits_and_hand_picks_fulfil_requests() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;
        set_policy(&api).await;
        let kit = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/kits",
                Some(json!({"name": "Starter", "parts": [{"kind": "asset", "typeId": s.laptop_type}]})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let by_kit = api
            .ok(
                "POST",
                REQUESTS,
                Some(json!({"issue": "AM-1", "wanted": {"kind": "kit", "kit": kit}, "accountId": s.person})),
            )
            .await;
        assert_eq!(by_kit["what"], "the kit Starter");
        let kit_request = by_kit["id"].as_i64().unwrap();
        move_issue(&api, "AM-1", "Approved").await;
        assert_eq!(request(&api, kit_request).await["reserved"][0]["asset"], s.laptops[0].as_str());

        // A kit handed out by hand meanwhile takes the other laptop, not the reserved one.
        let handed = api
            .ok(
                "POST",
                &format!("/api/v1/schemas/IT/kits/{kit}/checkout"),
                Some(json!({"accountId": s.asker})),
            )
            .await;
        assert_eq!(handed["assets"][0]["asset"], s.laptops[1].as_str());

        // A second request finds nothing free: approved, none reserved, and said so.
        let second = api.ok("POST", REQUESTS, Some(ask("AM-2", s.laptop_type, &s.person))).await["id"]
            .as_i64()
            .unwrap();
        move_issue(&api, "AM-2", "Approved").await;
        let body = request(&api, second).await;
        assert_eq!((body["state"].as_str(), &body["reserved"]), (Some("approved"), &json!([])));
        assert_eq!(kinds(&body).last().unwrap(), "none_free");
        let (status, body) = api
            .call("POST", &format!("{REQUESTS}/{second}/fulfil"), &api.admin, Some(json!({})))
            .await;
        assert_eq!((status, code(&body)), (409, "none_available"), "{body}");

        // The kit request is fulfilled with the laptop picked by hand: the reserved one is freed
        // (its history says why), the picked one handed out.
        api.ok("POST", &format!("/api/v1/assets/{}/checkin", s.laptops[1]), Some(json!({"condition": "good"})))
            .await;
        let (status, body) = api
            .call(
                "POST",
                &format!("{REQUESTS}/{kit_request}/fulfil"),
                &api.admin,
                Some(json!({"picks": [{"part": 1, "asset": s.laptops[1]}]})),
            )
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("picks[0]".into(), "reference_target".into())]));
        let done = api
            .ok(
                "POST",
                &format!("{REQUESTS}/{kit_request}/fulfil"),
                Some(json!({"picks": [{"part": 0, "asset": s.laptops[1]}]})),
            )
            .await;
        assert_eq!(done["state"], "fulfilled", "{done}");
        let history = api
            .ok("GET", &format!("/api/v1/assets/{}/history", s.laptops[0]), None)
            .await;
        let newest = &history["items"][0];
        assert_eq!(newest["kind"], "unreserved");
        assert_eq!(newest["why"], "picked_other");
        // Now the first laptop is free: the second request takes it on fulfilment.
        let done = api.ok("POST", &format!("{REQUESTS}/{second}/fulfil"), Some(json!({}))).await;
        assert_eq!(done["state"], "fulfilled");
        assert_eq!(
            api.ok("GET", &format!("/api/v1/assets/{}/custody", s.laptops[0]), None)
                .await["custody"]["issue"],
            "AM-2"
        );
        api.stop().await;
    })
    .await;
}

/// Jira's reads are ordered by the issue's `updated`: a read older than one applied changes
/// nothing, so two cues handled in the opposite order to the issue's changes still end where
/// the newest status leads, and applying one read many times is applying it once.
#[tokio::test]
async fn stale_and_repeated_reads_settle_to_the_newest_status() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;
        set_policy(&api).await;
        let id = api
            .ok(
                "POST",
                REQUESTS,
                Some(ask("AM-6", s.laptop_type, &s.person)),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let store = &api.app.state.store;
        let tenant = store
            .tenant_by_client_key(&api.site.client_key)
            .await
            .unwrap()
            .unwrap()
            .id;
        let model = store
            .schema_model_by_key(tenant, &amj_domain::SchemaKey::parse("IT").unwrap())
            .await
            .unwrap()
            .unwrap();
        let at = |status: &str, category| IssueStatus {
            project: "AM".into(),
            status: status.into(),
            category,
        };
        let base = 2_000_000_000_000_i64;
        let approved = at("Approved", StatusCategoryKey::Indeterminate);
        let todo = at("To Do", StatusCategoryKey::New);
        // Newest first: approved at t+2, then the older "To Do" read at t+1 arrives late.
        for _ in 0..3 {
            store
                .settle_request(
                    tenant,
                    &model,
                    id,
                    &IssueSight {
                        status: &approved,
                        key: "AM-6",
                        seen: base + 2,
                        preferred: &[],
                    },
                )
                .await
                .unwrap();
        }
        let stale = store
            .settle_request(
                tenant,
                &model,
                id,
                &IssueSight {
                    status: &todo,
                    key: "AM-6",
                    seen: base + 1,
                    preferred: &[],
                },
            )
            .await
            .unwrap();
        assert_eq!(stale, Settled::Stale);
        let body = request(&api, id).await;
        assert_eq!(body["state"], "approved");
        assert_eq!(body["reserved"].as_array().unwrap().len(), 1);
        assert_eq!(
            kinds(&body),
            ["requested", "approved", "reserved"],
            "three deliveries of one read act once"
        );
        // A newer read decides.
        let declined = at("Declined", StatusCategoryKey::Done);
        store
            .settle_request(
                tenant,
                &model,
                id,
                &IssueSight {
                    status: &declined,
                    key: "AM-6",
                    seen: base + 3,
                    preferred: &[],
                },
            )
            .await
            .unwrap();
        let request_now = store.request(tenant, &model, id).await.unwrap().unwrap();
        assert_eq!(request_now.state, RequestState::Released);
        assert!(request_now.reserved.is_empty());
        api.stop().await;
    })
    .await;
}

/// An event that never came (Jira gives up on a webhook it cannot deliver): the sweep re-reads
/// the issues of live requests not read for a while, and settles them against what Jira says.
#[tokio::test]
async fn the_sweep_settles_requests_whose_event_was_lost() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;
        set_policy(&api).await;
        let id = api
            .ok(
                "POST",
                REQUESTS,
                Some(ask("AM-6", s.laptop_type, &s.person)),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        // Approved in Jira without a word to the app.
        api.sim
            .with_data(&api.site.name, |d| {
                let issue = d.issues.iter_mut().find(|i| i.key == "AM-6").unwrap();
                issue.status = "Approved".into();
                issue.updated += 1000;
            })
            .unwrap();
        let store = &api.app.state.store;
        let jira = &api.app.state.jira;
        let now = amj_store::now_millis();
        // Read a moment ago: not due yet.
        let read = amj_server::requests::sweep(jira, store, now - 60_000)
            .await
            .unwrap();
        assert_eq!(read, 0);
        assert_eq!(request(&api, id).await["state"], "pending");
        // Due: read, settled, reserved.
        let read = amj_server::requests::sweep(jira, store, now + 1)
            .await
            .unwrap();
        assert_eq!(read, 1);
        let body = request(&api, id).await;
        assert_eq!(body["state"], "approved", "{body}");
        assert_eq!(body["reserved"][0]["asset"], s.laptops[0].as_str());
        // Just read: the next sweep leaves it.
        assert_eq!(
            amj_server::requests::sweep(jira, store, now + 1)
                .await
                .unwrap(),
            0
        );
        // A request whose schema lost its rule is read once a round, not every sweep.
        api.ok(
            "POST",
            REQUESTS,
            Some(ask("AM-5", s.laptop_type, &s.person)),
        )
        .await;
        api.ok("DELETE", "/api/v1/schemas/IT/request-policy", None)
            .await;
        let later = amj_store::now_millis() + 1;
        // What the first sweep reads is stamped after `later`, so the second sees it as read.
        while amj_store::now_millis() <= later {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            amj_server::requests::sweep(jira, store, later)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            amj_server::requests::sweep(jira, store, later)
                .await
                .unwrap(),
            0
        );
        api.stop().await;
    })
    .await;
}

/// On Forge, issue events arrive through the durable queue: a transition settles the request
/// when the worker gets to it, and a late, repeated delivery of an older event (its body still
/// saying "To Do") changes nothing, because the app reads the issue's status from Jira.
#[tokio::test]
async fn forge_events_settle_requests_and_a_late_old_event_changes_nothing() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;
        set_policy(&api).await;
        api.sim.forge_upgrade(&api.site.name).unwrap();
        let admin = Auth::forge_page(&api.sim, &api.site.name, None);
        let (status, asked) = api
            .call(
                "POST",
                REQUESTS,
                &admin,
                Some(ask("AM-2", s.laptop_type, &s.person)),
            )
            .await;
        assert_eq!(status, 200, "{asked}");
        let id = asked["id"].as_i64().unwrap();
        let read = |auth: Auth| {
            let api = &api;
            async move {
                let (status, body) = api
                    .call("GET", &format!("{REQUESTS}/{id}"), &auth, None)
                    .await;
                assert_eq!(status, 200, "{body}");
                body
            }
        };
        // The event the app will hear late: the issue as it was, still in progress.
        let old = api
            .sim
            .with_data(&api.site.name, |d| {
                let issue = d.issue("AM-2").unwrap().clone();
                d.issue_json(&issue, &api.site.base_url)
            })
            .unwrap();
        assert_eq!(
            api.sim
                .transition_issue(&api.site.name, "AM-2", "Approved")
                .await
                .unwrap(),
            [204],
            "delivered as a Forge event"
        );
        wait_until(Duration::from_secs(20), || async {
            read(Auth::forge_page(&api.sim, &api.site.name, None)).await["state"] == "approved"
        })
        .await;
        let approved = read(Auth::forge_page(&api.sim, &api.site.name, None)).await;
        assert_eq!(approved["reserved"][0]["asset"], s.laptops[0].as_str());

        // The old event, delivered now (twice): settled against Jira's current status.
        for _ in 0..2 {
            let statuses = api
                .sim
                .forge_deliver_event(
                    &api.site.name,
                    "avi:jira:updated:issue",
                    json!({"issue": old, "timestamp": "2026-12-07T09:00:00.000Z"}),
                    Duration::from_millis(10),
                )
                .await
                .unwrap();
            assert_eq!(statuses, [204]);
        }
        wait_until(Duration::from_secs(20), || async {
            api.app.state.store.forge_event_backlog().await.unwrap() == (0, 0)
        })
        .await;
        assert_eq!(
            read(Auth::forge_page(&api.sim, &api.site.name, None)).await,
            approved,
            "nothing moved"
        );
        api.sim
            .transition_issue(&api.site.name, "AM-2", "Declined")
            .await
            .unwrap();
        wait_until(Duration::from_secs(20), || async {
            read(Auth::forge_page(&api.sim, &api.site.name, None)).await["state"] == "released"
        })
        .await;
        api.stop().await;
    })
    .await;
}

/// Approvals racing for the last laptop reserve it once; a check-out racing a reservation
/// never leaves the laptop both out and reserved.
#[tokio::test]
async fn concurrent_approvals_reserve_the_last_laptop_once() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let s = setup(&api).await;
        set_policy(&api).await;
        // One laptop free: the other is out.
        api.ok(
            "POST",
            &format!("/api/v1/assets/{}/checkout", s.laptops[1]),
            Some(json!({"holder": {"kind": "user", "accountId": s.asker}})),
        )
        .await;
        let mut ids = Vec::new();
        for issue in ["AM-1", "AM-2", "AM-3", "AM-5", "AM-6"] {
            ids.push(
                api.ok("POST", REQUESTS, Some(ask(issue, s.laptop_type, &s.person)))
                    .await["id"]
                    .as_i64()
                    .unwrap(),
            );
        }
        let store = &api.app.state.store;
        let tenant = store
            .tenant_by_client_key(&api.site.client_key)
            .await
            .unwrap()
            .unwrap()
            .id;
        let model = store
            .schema_model_by_key(tenant, &amj_domain::SchemaKey::parse("IT").unwrap())
            .await
            .unwrap()
            .unwrap();
        let approved = IssueStatus {
            project: "AM".into(),
            status: "Approved".into(),
            category: StatusCategoryKey::Indeterminate,
        };
        let seen = amj_store::now_millis() + 10_000;
        let settles = ids.iter().map(|id| {
            let (model, approved) = (&model, &approved);
            async move {
                store
                    .settle_request(
                        tenant,
                        model,
                        *id,
                        &IssueSight {
                            status: approved,
                            key: "AM-1",
                            seen,
                            preferred: &[],
                        },
                    )
                    .await
            }
        });
        // A direct check-out of the same laptop races them.
        let path = format!("/api/v1/assets/{}/checkout", s.laptops[0]);
        let checkout = api.call(
            "POST",
            &path,
            &api.admin,
            Some(json!({"holder": {"kind": "user", "accountId": s.asker}})),
        );
        let (outcomes, (status, body)) =
            tokio::join!(crate::support::join_all(settles.collect()), checkout);
        for outcome in outcomes {
            outcome.unwrap();
        }
        let mut reserved = 0;
        for id in &ids {
            let body = request(&api, *id).await;
            assert_eq!(body["state"], "approved");
            reserved += body["reserved"].as_array().unwrap().len();
        }
        let custody = api
            .ok(
                "GET",
                &format!("/api/v1/assets/{}/custody", s.laptops[0]),
                None,
            )
            .await;
        let out = !custody["custody"].is_null();
        let held = !custody["reservation"].is_null();
        assert!(!(out && held), "never both out and reserved: {custody}");
        match status {
            200 => assert_eq!((out, reserved), (true, 0), "the check-out won: {body}"),
            409 => assert_eq!((out, reserved), (false, 1), "a request won: {body}"),
            other => panic!("the check-out answered {other}: {body}"),
        }
        api.stop().await;
    })
    .await;
}
