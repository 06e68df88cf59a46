//! Bookings end to end on both backends: booking assets or a kit for a person over a range read
//! in their time zone, never two bookings of one asset at once (whatever races), pickup as a
//! check-out and return as a check-in (a kit in parts), what a booking does to plain
//! check-outs, and the availability search and calendars.

use crate::support::{codes, each_backend, join_all};
use amj_domain::booking::Zone;
use amj_domain::value::{format_datetime, parse_datetime};
use amj_testkit::api::Api;
use serde_json::{Value, json};

const HOUR: i64 = 60 * 60 * 1000;
const DAY: i64 = 24 * HOUR;
const BOOKINGS: &str = "/api/v1/schemas/IT/bookings";

fn now() -> i64 {
    amj_store::now_millis()
}

/// An instant `offset` from now, whole minutes, as RFC 3339.
fn at(offset: i64) -> String {
    let millis = (now() + offset) / 60_000 * 60_000;
    format_datetime(millis).unwrap()
}

fn millis(text: &Value) -> i64 {
    parse_datetime(text.as_str().unwrap()).unwrap()
}

fn people(api: &Api) -> Vec<String> {
    api.sim
        .site_users("acme")
        .unwrap()
        .into_iter()
        .map(|u| u.account_id)
        .collect()
}

/// The IT schema with Hardware checkoutable, `n` laptops (IT-1…), and a location.
async fn laptops(api: &Api, n: usize) -> amj_testkit::api::Catalog {
    let catalog = api.it_schema().await;
    api.ok(
        "PUT",
        "/api/v1/schemas/IT/custody-policy",
        Some(json!({"checkoutableTypes": [catalog.hardware]})),
    )
    .await;
    for i in 1..=n {
        api.laptop(&format!("Laptop {i}"), &format!("SN-{i}")).await;
    }
    catalog
}

async fn book(api: &Api, body: Value) -> (u16, Value) {
    api.call("POST", BOOKINGS, &api.admin, Some(body)).await
}

async fn history_kinds(api: &Api, key: &str) -> Vec<String> {
    api.ok(
        "GET",
        &format!("/api/v1/assets/{key}/history?limit=100"),
        None,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Random rounds of bookings and cancellations sent at once, on a small grid of hours so that
/// many collide: whatever wins, no two live bookings of an asset share an instant, every
/// booking answered 201 is listed (and none that was refused), and each refusal is an overlap.
#[tokio::test]
async fn bookings_of_one_asset_never_overlap_whatever_races() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        laptops(&api, 2).await;
        let people = people(&api);
        let base = (now() + 30 * DAY) / HOUR * HOUR;
        let mut rng = amj_testkit::rng::seeded("bookings_never_overlap", 0xb00c_1a9e);
        let mut accepted: Vec<(i64, String)> = Vec::new();
        let mut cancelled = 0usize;
        for round in 0..8 {
            let api = &api;
            let ops: Vec<Value> = (0..8)
                .map(|_| {
                    let start = base + rng.index(24) as i64 * HOUR;
                    let length = 1 + rng.index(6) as i64;
                    json!({
                        "accountId": people[rng.index(people.len())],
                        "start": format_datetime(start).unwrap(),
                        "end": format_datetime(start + length * HOUR).unwrap(),
                        "assets": [format!("IT-{}", 1 + rng.index(2))],
                    })
                })
                .collect();
            // Every other round also cancels one of the bookings made so far, at the same time.
            let cancel = (round % 2 == 1 && !accepted.is_empty())
                .then(|| accepted.remove(rng.index(accepted.len())));
            let calls = ops.iter().map(|body| book(api, body.clone()));
            let cancelling = async {
                match &cancel {
                    Some((id, _)) => Some(
                        api.call("POST", &format!("{BOOKINGS}/{id}/cancel"), &api.admin, None)
                            .await,
                    ),
                    None => None,
                }
            };
            let (answers, cancelled_now) = tokio::join!(join_all(calls.collect()), cancelling);
            if let Some((status, body)) = cancelled_now {
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["state"], "cancelled");
                cancelled += 1;
            }
            for (status, body) in answers {
                match status {
                    201 => accepted.push((
                        body["id"].as_i64().unwrap(),
                        body["assets"][0]["key"].as_str().unwrap().to_owned(),
                    )),
                    409 => assert_eq!(body["error"]["code"], "booking_overlap", "{body}"),
                    other => panic!("a booking answered {other}: {body}"),
                }
            }
        }
        assert!(
            accepted.len() >= 4,
            "the grid leaves room for some: {accepted:?}"
        );
        assert!(cancelled >= 1);
        for asset in ["IT-1", "IT-2"] {
            let listed = api
                .ok(
                    "GET",
                    &format!(
                        "{BOOKINGS}?from={}&to={}&asset={asset}",
                        format_datetime(base - DAY).unwrap(),
                        format_datetime(base + 3 * DAY).unwrap()
                    ),
                    None,
                )
                .await;
            let items = listed["items"].as_array().unwrap();
            let mut ids: Vec<i64> = items.iter().map(|b| b["id"].as_i64().unwrap()).collect();
            let mut expected: Vec<i64> = accepted
                .iter()
                .filter(|(_, key)| key == asset)
                .map(|(id, _)| *id)
                .collect();
            ids.sort_unstable();
            expected.sort_unstable();
            assert_eq!(
                ids, expected,
                "{asset}: every accepted, uncancelled booking is listed"
            );
            let ranges: Vec<(i64, i64)> = items
                .iter()
                .map(|b| (millis(&b["start"]), millis(&b["end"])))
                .collect();
            for (i, a) in ranges.iter().enumerate() {
                for b in &ranges[i + 1..] {
                    assert!(a.1 <= b.0 || b.1 <= a.0, "{asset}: {a:?} and {b:?} overlap");
                }
            }
            // The history has one "booked" per booking made, cancelled ones included.
            let kinds = history_kinds(&api, asset).await;
            assert!(kinds.iter().filter(|k| *k == "booked").count() >= expected.len());
        }
        api.stop().await;
    })
    .await;
}

/// Book, pick up (a check-out due on the booking's last local day), return (a check-in): the
/// booking's life, and what it does to plain check-outs meanwhile.
#[tokio::test]
async fn a_booking_is_picked_up_and_returned() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        laptops(&api, 3).await;
        let people = people(&api);
        let (ada, bob) = (&people[0], &people[1]);

        // From an hour ago (it may start a little in the past) for two days, in Berlin.
        let (status, booking) = book(
            &api,
            json!({"accountId": ada, "start": at(-HOUR), "end": at(2 * DAY),
                   "assets": ["IT-1"], "timeZone": "Europe/Berlin", "issue": "AM-1",
                   "note": "Conference"}),
        )
        .await;
        assert_eq!(status, 201, "{booking}");
        assert_eq!(booking["state"], "booked");
        assert_eq!(booking["phase"], "ready");
        assert_eq!(booking["timeZone"], "Europe/Berlin");
        assert_eq!(booking["assets"][0]["key"], "IT-1");
        assert_eq!(booking["issue"], "AM-1");
        let id = booking["id"].as_i64().unwrap();
        let path = format!("{BOOKINGS}/{id}");
        assert_eq!(api.ok("GET", &path, None).await, booking);

        // Booked now: a plain check-out is refused and told to pick the booking up...
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/IT-1/checkout",
                &api.admin,
                Some(json!({"holder": {"kind": "user", "accountId": bob}})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("asset_booked"))
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("booking #{id}"))
        );
        // ...and the asset is not offered as free then.
        let free = api
            .ok(
                "GET",
                &format!(
                    "/api/v1/schemas/IT/availability?from={}&to={}",
                    at(0),
                    at(DAY)
                ),
                None,
            )
            .await;
        let keys: Vec<&str> = free["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["IT-2", "IT-3"]);

        // A booking that starts in three days cannot be picked up yet; it can be cancelled.
        let (_, later) = book(
            &api,
            json!({"accountId": bob, "start": at(3 * DAY), "end": at(4 * DAY), "assets": ["IT-2"]}),
        )
        .await;
        let later_id = later["id"].as_i64().unwrap();
        assert_eq!(later["phase"], "upcoming");
        let (status, body) = api
            .call(
                "POST",
                &format!("{BOOKINGS}/{later_id}/pickup"),
                &api.admin,
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("booking_not_ready")),
            "{body}"
        );
        // A check-out of IT-2 due before that booking starts is fine; one with no due day is not.
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/IT-2/checkout",
                &api.admin,
                Some(json!({"holder": {"kind": "user", "accountId": ada}})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("asset_booked")),
            "{body}"
        );
        let due = Zone::utc().day_of(now() + DAY).unwrap();
        let due = amj_domain::value::format_date(due).unwrap();
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/assets/IT-2/checkout",
                &api.admin,
                Some(json!({"holder": {"kind": "user", "accountId": ada}, "due": due})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        api.ok(
            "POST",
            "/api/v1/assets/IT-2/checkin",
            Some(json!({"condition": "good"})),
        )
        .await;
        let cancelled = api
            .ok("POST", &format!("{BOOKINGS}/{later_id}/cancel"), None)
            .await;
        assert_eq!(
            (cancelled["state"].as_str(), cancelled["phase"].as_str()),
            (Some("cancelled"), Some("cancelled"))
        );
        let (status, body) = api
            .call(
                "POST",
                &format!("{BOOKINGS}/{later_id}/cancel"),
                &api.admin,
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("booking_not_booked"))
        );

        // Pickup: a check-out to Ada, due on the booking's last day in Berlin, for its issue.
        let picked = api.ok("POST", &format!("{path}/pickup"), None).await;
        assert_eq!(
            (picked["state"].as_str(), picked["phase"].as_str()),
            (Some("picked_up"), Some("out"))
        );
        assert!(picked["pickedUpAt"].is_string());
        let custody = api.ok("GET", "/api/v1/assets/IT-1/custody", None).await;
        assert_eq!(
            custody["custody"]["holder"],
            json!({"kind": "user", "accountId": ada})
        );
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let last_day = berlin.day_of(millis(&booking["end"]) - 1).unwrap();
        assert_eq!(
            custody["custody"]["due"],
            amj_domain::value::format_date(last_day).unwrap()
        );
        assert_eq!(custody["custody"]["issue"], "AM-1");
        assert_eq!(
            custody["custody"]["note"],
            format!("Booking #{id}: Conference")
        );
        let (status, body) = api
            .call("POST", &format!("{path}/pickup"), &api.admin, None)
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("booking_not_booked"))
        );

        // Return: a check-in, and the booking is done; its range no longer holds the laptop.
        let returned = api
            .ok(
                "POST",
                &format!("{path}/return"),
                Some(json!({"condition": "worn", "note": "Sticker"})),
            )
            .await;
        assert_eq!(returned["state"], "returned");
        assert!(returned["assets"][0]["returnedAt"].is_string());
        assert!(api.ok("GET", "/api/v1/assets/IT-1/custody", None).await["custody"].is_null());
        let kinds: Vec<String> = history_kinds(&api, "IT-1")
            .await
            .into_iter()
            .filter(|k| k != "status_changed")
            .collect();
        assert_eq!(kinds, ["checked_in", "checked_out", "booked", "created"]);
        let (status, _) = book(
            &api,
            json!({"accountId": bob, "start": at(HOUR), "end": at(DAY), "assets": ["IT-1"]}),
        )
        .await;
        assert_eq!(status, 201, "a returned booking lets go of its range");
        let (status, body) = api
            .call(
                "POST",
                &format!("{path}/return"),
                &api.admin,
                Some(json!({"condition": "good"})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("booking_not_out"))
        );
        api.stop().await;
    })
    .await;
}

/// A picked-up asset that comes back through a plain check-in lets go of its booking too.
#[tokio::test]
async fn a_plain_check_in_returns_the_booking() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        laptops(&api, 2).await;
        let ada = people(&api)[0].clone();
        let (_, booking) = book(
            &api,
            json!({"accountId": ada, "start": at(0), "end": at(DAY), "assets": ["IT-1", "IT-2"]}),
        )
        .await;
        let path = format!("{BOOKINGS}/{}", booking["id"]);
        api.ok("POST", &format!("{path}/pickup"), None).await;
        api.ok(
            "POST",
            "/api/v1/assets/IT-1/checkin",
            Some(json!({"condition": "good"})),
        )
        .await;
        let partly = api.ok("GET", &path, None).await;
        assert_eq!(partly["state"], "picked_up");
        assert!(partly["assets"][0]["returnedAt"].is_string());
        assert!(partly["assets"][1]["returnedAt"].is_null());
        api.ok(
            "POST",
            "/api/v1/assets/IT-2/checkin",
            Some(json!({"condition": "good"})),
        )
        .await;
        assert_eq!(api.ok("GET", &path, None).await["state"], "returned");
        api.stop().await;
    })
    .await;
}

/// A kit is booked part by part (a free asset of each asset part's type), picked up as the
/// kit (its seat too), and may come back in parts.
#[tokio::test]
async fn a_kit_is_booked_picked_up_and_returned_in_parts() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let catalog = laptops(&api, 2).await;
        let dock = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/types",
                Some(json!({"name": "Dock", "parentId": catalog.hardware, "icon": "box"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let software = api
            .ok("POST", "/api/v1/schemas/IT/types", Some(json!({"name": "Software", "icon": "box"})))
            .await["id"]
            .as_i64()
            .unwrap();
        api.ok("PUT", "/api/v1/schemas/IT/licence-policy", Some(json!({"licensedTypes": [software]}))).await;
        api.ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Dock", "attributes": {"Name": "Dock 1"}}))).await;
        let licence = api
            .ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Software", "attributes": {"Name": "Slack"}})))
            .await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        api.ok("PUT", &format!("/api/v1/assets/{licence}/licence"), Some(json!({"product": "Slack", "entitled": 2}))).await;
        let kit = api
            .ok(
                "POST",
                "/api/v1/schemas/IT/kits",
                Some(json!({"name": "Travel", "parts": [
                    {"kind": "asset", "typeId": catalog.laptop},
                    {"kind": "seat", "licence": licence},
                    {"kind": "asset", "typeId": dock}
                ]})),
            )
            .await;
        let people = people(&api);

        // IT-1 is booked by someone else then, so the kit takes IT-2 and the dock.
        book(&api, json!({"accountId": people[1], "start": at(0), "end": at(DAY), "assets": ["IT-1"]})).await;
        let (status, booking) = book(
            &api,
            json!({"accountId": people[0], "start": at(0), "end": at(DAY), "kit": kit["id"]}),
        )
        .await;
        assert_eq!(status, 201, "{booking}");
        assert_eq!(booking["kit"]["name"], "Travel");
        let booked: Vec<(&str, i64)> = booking["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["key"].as_str().unwrap(), a["part"].as_i64().unwrap()))
            .collect();
        assert_eq!(booked, [("IT-2", 0), ("IT-3", 2)]);
        // No second laptop is free then: a second kit booking is refused by part.
        let (status, body) = book(
            &api,
            json!({"accountId": people[0], "start": at(HOUR), "end": at(2 * HOUR), "kit": kit["id"]}),
        )
        .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("kit_part_unavailable")), "{body}");

        let path = format!("{BOOKINGS}/{}", booking["id"]);
        api.ok("POST", &format!("{path}/pickup"), None).await;
        let seats = api.ok("GET", &format!("/api/v1/assets/{licence}/licence"), None).await;
        assert_eq!(seats["compliance"]["assigned"], 1, "the kit's seat is handed out at pickup");
        for key in ["IT-2", "IT-3"] {
            let custody = api.ok("GET", &format!("/api/v1/assets/{key}/custody"), None).await;
            assert_eq!(custody["custody"]["holder"]["accountId"], people[0].as_str());
        }

        // The dock comes back first; the laptop later.
        let (status, body) = api
            .call("POST", &format!("{path}/return"), &api.admin, Some(json!({"assets": ["IT-9"], "condition": "good"})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(codes(&body), [("items[0].assets".into(), "reference_target".into())]);
        let partly = api
            .ok("POST", &format!("{path}/return"), Some(json!({"assets": ["IT-3"], "condition": "good"})))
            .await;
        assert_eq!((partly["state"].as_str(), partly["phase"].as_str()), (Some("picked_up"), Some("out")));
        let (status, body) = api
            .call("POST", &format!("{path}/return"), &api.admin, Some(json!({"assets": ["IT-3"], "condition": "good"})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(codes(&body), [("items[0].assets".into(), "already_returned".into())]);
        assert!(api.ok("GET", "/api/v1/assets/IT-3/custody", None).await["custody"].is_null());
        let done = api
            .ok("POST", &format!("{path}/return"), Some(json!({"condition": "good"})))
            .await;
        assert_eq!(done["state"], "returned");
        api.stop().await;
    })
    .await;
}

/// Availability by type, location (through the report settings' location attribute) and AQL,
/// over a range read in a time zone; a person's calendar and a location's timeline; what may
/// not be booked, and by whom.
#[tokio::test]
async fn availability_and_calendars_answer_by_type_place_and_time() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let catalog = laptops(&api, 0).await;
        let attributes = api
            .ok("GET", &format!("/api/v1/schemas/IT/types/{}/attributes", catalog.hardware), None)
            .await;
        let located_in = attributes["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "Located in")
            .unwrap()["id"]
            .clone();
        let place = |name: &str| {
            let api = &api;
            let name = name.to_owned();
            async move {
                api.ok("POST", "/api/v1/schemas/IT/assets", Some(json!({"type": "Location", "attributes": {"Name": name}})))
                    .await["key"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let berlin = place("Berlin").await; // IT-1
        let paris = place("Paris").await; // IT-2
        for (name, serial, at_place, ram) in [
            ("B1", "SN-1", &berlin, 16),
            ("B2", "SN-2", &berlin, 32),
            ("P1", "SN-3", &paris, 16),
        ] {
            api.ok(
                "POST",
                "/api/v1/schemas/IT/assets",
                Some(json!({"type": "Laptop", "attributes": {"Name": name, "Serial number": serial,
                    "Located in": at_place, "RAM (GB)": ram}})),
            )
            .await;
        }
        let people = people(&api);
        let free = |query: String| {
            let api = &api;
            async move {
                let (status, body) = api
                    .call("GET", &format!("/api/v1/schemas/IT/availability?{query}"), &api.user, None)
                    .await;
                assert_eq!(status, 200, "{query}: {body}");
                body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["key"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        // No location attribute yet: a search by location says what to set.
        let (status, body) = api
            .call("GET", &format!("/api/v1/schemas/IT/availability?from=2031-03-03&to=2031-03-07&location={berlin}"), &api.user, None)
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("location_not_configured")));
        api.ok("PUT", "/api/v1/reports/IT/settings", Some(json!({"locationAttribute": located_in, "lifecycleDates": []}))).await;

        // 3–7 March 2031 in Berlin: B1 is booked over the 5th (local), so only B2 is free.
        let (status, b1) = book(
            &api,
            json!({"accountId": people[0], "start": "2031-03-05T09:00", "end": "2031-03-05T17:00",
                   "assets": ["IT-3"], "timeZone": "Europe/Berlin"}),
        )
        .await;
        assert_eq!(status, 201, "{b1}");
        assert_eq!(b1["start"], "2031-03-05T08:00:00Z", "09:00 in Berlin in winter is 08:00 UTC");
        let laptop = catalog.laptop;
        assert_eq!(
            free(format!("from=2031-03-03&to=2031-03-07&timeZone=Europe/Berlin&typeId={laptop}&location={berlin}")).await,
            ["IT-4"]
        );
        assert_eq!(
            free(format!("from=2031-03-03&to=2031-03-07&timeZone=Europe/Berlin&typeId={laptop}")).await,
            ["IT-4", "IT-5"]
        );
        // The 6th onwards it is free again; and by AQL, 32 GB ones only.
        assert_eq!(
            free(format!("from=2031-03-06&to=2031-03-07&timeZone=Europe/Berlin&location={berlin}")).await,
            ["IT-3", "IT-4"]
        );
        let aql = "%22RAM%20(GB)%22%20%3E%3D%2032";
        assert_eq!(free(format!("from=2031-03-03&to=2031-03-07&aql={aql}")).await, ["IT-4"]);
        // The booking ends 17:00 Berlin: from 17:00 it is free (ranges are half-open), at 16:59 not.
        assert_eq!(
            free(format!("from=2031-03-05T17:00&to=2031-03-05T18:00&timeZone=Europe/Berlin&location={berlin}")).await,
            ["IT-3", "IT-4"]
        );
        assert_eq!(
            free(format!("from=2031-03-05T16:59&to=2031-03-05T18:00&timeZone=Europe/Berlin&location={berlin}")).await,
            ["IT-4"]
        );

        // Across the change to summer time (30 March 2031 in Berlin): 29–31 March is 71 hours.
        let (status, dst) = book(
            &api,
            json!({"accountId": people[1], "start": "2031-03-29", "end": "2031-03-31",
                   "assets": ["IT-5"], "timeZone": "Europe/Berlin"}),
        )
        .await;
        assert_eq!(status, 201, "{dst}");
        assert_eq!((dst["start"].as_str(), dst["end"].as_str()), (Some("2031-03-28T23:00:00Z"), Some("2031-03-31T22:00:00Z")));
        assert_eq!(millis(&dst["end"]) - millis(&dst["start"]), 71 * HOUR);
        // The next booking may start on 1 April at local midnight, the instant this one ends...
        let (status, _) = book(
            &api,
            json!({"accountId": people[0], "start": "2031-04-01", "end": "2031-04-01",
                   "assets": ["IT-5"], "timeZone": "Europe/Berlin"}),
        )
        .await;
        assert_eq!(status, 201);
        // ...but not at 23:30 on the 31st, which is still this one's.
        let (status, body) = book(
            &api,
            json!({"accountId": people[0], "start": "2031-03-31T23:30", "end": "2031-04-01T01:00",
                   "assets": ["IT-5"], "timeZone": "Europe/Berlin"}),
        )
        .await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("booking_overlap")));
        assert!(body["error"]["message"].as_str().unwrap().contains("2031-03-29 00:00 Europe/Berlin"), "{body}");

        // Calendars: the type's for March, a person's, a location's timeline.
        let list = |query: String| {
            let api = &api;
            async move {
                let body = api.ok("GET", &format!("{BOOKINGS}?{query}"), None).await;
                body["items"].as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect::<Vec<_>>()
            }
        };
        let (b1, dst) = (b1["id"].as_i64().unwrap(), dst["id"].as_i64().unwrap());
        assert_eq!(list(format!("from=2031-03-01&to=2031-03-31&timeZone=Europe/Berlin&typeId={laptop}")).await, [b1, dst]);
        assert_eq!(list(format!("from=2031-03-01&to=2031-03-31&location={berlin}")).await, [b1]);
        assert_eq!(list(format!("from=2031-03-01&to=2031-03-31&timeZone=Europe/Berlin&location={paris}")).await, [dst]);
        assert_eq!(list(format!("from=2031-03-01&to=2031-03-31&timeZone=Europe/Berlin&accountId={}", people[1])).await, [dst]);
        assert_eq!(list("from=2031-03-06&to=2031-03-28&asset=IT-3".into()).await, Vec::<i64>::new());

        // Bad input is named: the window, the zone, the type, the key.
        for (query, field) in [
            ("from=soon&to=2031-03-07", "from"),
            ("from=2031-03-07&to=2031-03-03", "to"),
            ("from=2031-01-01&to=2033-01-01", "to"),
            ("from=2031-03-03&to=2031-03-07&timeZone=Mars", "timeZone"),
            ("from=2031-03-03&to=2031-03-07&typeId=999999", "typeId"),
            ("from=2031-03-03&to=2031-03-07&location=Berlin", "location"),
            ("from=2031-03-03&to=2031-03-07&limit=0", "limit"),
        ] {
            let (status, body) = api
                .call("GET", &format!("/api/v1/schemas/IT/availability?{query}"), &api.user, None)
                .await;
            assert_eq!(status, 400, "{query}: {body}");
            assert_eq!(codes(&body)[0].0, field, "{query}: {body}");
        }
        let (status, body) = book(
            &api,
            json!({"accountId": "Jane", "start": "2031-03-07", "end": "2031-03-03", "assets": []}),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(
            codes(&body),
            [("accountId".into(), "format".into()), ("assets".into(), "required".into()), ("end".into(), "min".into())]
        );
        let (status, body) = book(
            &api,
            json!({"accountId": people[0], "start": "2031-05-01", "end": "2031-05-02", "assets": ["IT-1"]}),
        )
        .await;
        assert_eq!(status, 400, "a location is not checkoutable: {body}");
        assert_eq!(codes(&body), [("items[0].asset".into(), "not_checkoutable".into())]);

        // A user books for themselves, not for others, and cancels only their own.
        let me = api.sim.site_users("acme").unwrap().into_iter().find(|u| u.account_id != api.site.admin_account_id).unwrap().account_id;
        let other = people.iter().find(|p| **p != me).unwrap();
        let mine = json!({"accountId": me, "start": "2031-06-01", "end": "2031-06-02", "assets": ["IT-4"]});
        let (status, own) = api.call("POST", BOOKINGS, &api.user, Some(mine)).await;
        assert_eq!(status, 201, "{own}");
        let theirs = json!({"accountId": other, "start": "2031-06-03", "end": "2031-06-04", "assets": ["IT-4"]});
        let (status, body) = api.call("POST", BOOKINGS, &api.user, Some(theirs.clone())).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("edit_not_allowed")));
        let (_, theirs) = book(&api, theirs).await;
        let (status, _) = api.call("POST", &format!("{BOOKINGS}/{}/cancel", theirs["id"]), &api.user, None).await;
        assert_eq!(status, 403);
        let (status, _) = api.call("POST", &format!("{BOOKINGS}/{}/pickup", own["id"]), &api.user, None).await;
        assert_eq!(status, 403, "pickup is a hand-out: IT does it");
        let (status, body) = api.call("POST", &format!("{BOOKINGS}/{}/cancel", own["id"]), &api.user, None).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("cancelled")));
        let (status, body) = api.call("GET", &format!("{BOOKINGS}/999999"), &api.user, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("booking_not_found")));
        api.stop().await;
    })
    .await;
}

/// The constraint under the store's own check: rows written straight to the database that
/// would overlap are refused (PostgreSQL's exclusion constraint, SQLite's trigger), while a
/// range that only touches, or a released one, is let through.
#[tokio::test]
async fn the_database_itself_refuses_overlapping_bookings() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        laptops(&api, 2).await;
        let ada = people(&api)[0].clone();
        let (_, first) = book(&api, json!({"accountId": ada, "start": "2031-01-10", "end": "2031-01-11", "assets": ["IT-1"]})).await;
        let (_, second) = book(&api, json!({"accountId": ada, "start": "2031-01-10", "end": "2031-01-11", "assets": ["IT-2"]})).await;
        let (start, end) = (millis(&first["start"]), millis(&first["end"]));
        let store = db.store().await;
        // (starts, ends, released) rows for IT-1 under the second booking.
        let attempt = |from: i64, to: i64, released: bool| {
            let store = &store;
            let booking = second["id"].as_i64().unwrap();
            async move {
                let sql = "INSERT INTO booking_asset (booking_id, asset_id, tenant_id, starts_at, \
                           ends_at, released) SELECT $1, a.id, a.tenant_id, $2, $3, $4 FROM asset a \
                           JOIN asset_schema s ON s.id = a.schema_id WHERE a.number = 1 \
                           AND s.schema_key = 'IT'";
                let outcome = match store.db() {
                    amj_store::Db::Sqlite(pool) => sqlx::query(sql).bind(booking).bind(from).bind(to).bind(released).execute(pool).await.map(|_| ()),
                    amj_store::Db::Postgres(pool) => sqlx::query(sql).bind(booking).bind(from).bind(to).bind(released).execute(pool).await.map(|_| ()),
                };
                outcome.map_err(|e| e.to_string())
            }
        };
        let refused = attempt(start + HOUR, end + HOUR, false).await.unwrap_err();
        assert!(
            refused.contains("booking_asset_no_overlap") || refused.contains("booking_overlap"),
            "{refused}"
        );
        attempt(start - HOUR, start + 1, false).await.unwrap_err();
        // Touching (the half-open range ends where the other starts) is fine, as is a released row.
        attempt(end, end + HOUR, false).await.unwrap();
        let store2 = &store;
        let clear = "DELETE FROM booking_asset WHERE starts_at = $1";
        match store2.db() {
            amj_store::Db::Sqlite(pool) => { sqlx::query(clear).bind(end).execute(pool).await.unwrap(); }
            amj_store::Db::Postgres(pool) => { sqlx::query(clear).bind(end).execute(pool).await.unwrap(); }
        }
        attempt(start, end, true).await.unwrap();

        // A booking missed (its end passed, never picked up) holds nothing: moved into the past
        // here, as the clock would move it, a booking over the same hours of today is made.
        let missed_start = now() - 3 * HOUR;
        let moved = "UPDATE booking SET starts_at = $1, ends_at = $2 WHERE id = $3";
        let moved_rows = "UPDATE booking_asset SET starts_at = $1, ends_at = $2 WHERE booking_id = $3";
        let id = first["id"].as_i64().unwrap();
        for sql in [moved, moved_rows] {
            match store.db() {
                amj_store::Db::Sqlite(pool) => { sqlx::query(sql).bind(missed_start).bind(missed_start + HOUR).bind(id).execute(pool).await.unwrap(); }
                amj_store::Db::Postgres(pool) => { sqlx::query(sql).bind(missed_start).bind(missed_start + HOUR).bind(id).execute(pool).await.unwrap(); }
            }
        }
        assert_eq!(api.ok("GET", &format!("{BOOKINGS}/{id}"), None).await["phase"], "missed");
        let from = format_datetime(missed_start - HOUR).unwrap();
        let free = api
            .ok("GET", &format!("/api/v1/schemas/IT/availability?from={from}&to={}", at(DAY)), None)
            .await;
        assert_eq!(free["items"][0]["key"], "IT-1", "a missed booking holds nothing: {free}");
        let (status, body) = book(
            &api,
            json!({"accountId": ada, "start": from, "end": at(DAY), "assets": ["IT-1"]}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        api.stop().await;
    })
    .await;
}

/// Due days are local days: in Tokyo a booking that ends at 08:00 is picked up although the
/// next one starts at 08:00 the same morning (UTC midnight lies between), and a plain loan due
/// on the first local day of a booking to come is refused while one due the day before is not.
#[tokio::test]
async fn hand_overs_follow_local_days_east_of_utc() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        laptops(&api, 2).await;
        let people = people(&api);
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        // The first 08:00 in Tokyo at least two hours away.
        let today = tokyo.day_of(now()).unwrap();
        let eight = (today..today + 3)
            .map(|d| {
                let date = amj_domain::value::format_date(d).unwrap();
                tokyo.instant(&format!("{date}T08:00"), false).unwrap()
            })
            .find(|t| *t > now() + 2 * HOUR)
            .unwrap();
        let rfc = |t: i64| format_datetime(t).unwrap();
        let (status, first) = book(
            &api,
            json!({"accountId": people[0], "start": at(-HOUR), "end": rfc(eight),
                   "assets": ["IT-1"], "timeZone": "Asia/Tokyo"}),
        )
        .await;
        assert_eq!(status, 201, "{first}");
        let (status, next) = book(
            &api,
            json!({"accountId": people[1], "start": rfc(eight), "end": rfc(eight + 4 * HOUR),
                   "assets": ["IT-1"], "timeZone": "Asia/Tokyo"}),
        )
        .await;
        assert_eq!(status, 201, "{next}");
        let picked = api
            .ok("POST", &format!("{BOOKINGS}/{}/pickup", first["id"]), None)
            .await;
        assert_eq!(picked["state"], "picked_up");
        let due =
            api.ok("GET", "/api/v1/assets/IT-1/custody", None).await["custody"]["due"].clone();
        let eight_day = tokyo.day_of(eight).unwrap();
        assert_eq!(due, amj_domain::value::format_date(eight_day).unwrap());

        // IT-2 is booked from 08:00 on that day: a loan due that day would keep it into the
        // booking; due the day before, it is back in time.
        book(
            &api,
            json!({"accountId": people[1], "start": rfc(eight), "end": rfc(eight + 4 * HOUR),
                   "assets": ["IT-2"], "timeZone": "Asia/Tokyo"}),
        )
        .await;
        let lend = |due: i32| {
            let api = &api;
            let person = people[0].clone();
            async move {
                api.call(
                    "POST",
                    "/api/v1/assets/IT-2/checkout",
                    &api.admin,
                    Some(json!({"holder": {"kind": "user", "accountId": person},
                                "due": amj_domain::value::format_date(due).unwrap()})),
                )
                .await
            }
        };
        let (status, body) = lend(eight_day).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("asset_booked")),
            "{body}"
        );
        if eight_day > Zone::utc().day_of(now()).unwrap() {
            let (status, body) = lend(eight_day - 1).await;
            assert_eq!(status, 200, "{body}");
        }
        api.stop().await;
    })
    .await;
}

/// How a loan in force and a booking to come meet: a loan due on the booking's first day keeps
/// the asset into it (refused both ways), one due the day before does not; a picked-up booking
/// that ends at noon lets the asset be booked again that afternoon (a same-day turnaround); and
/// a retried booking answers as the first did.
#[tokio::test]
async fn loans_and_bookings_meet_on_local_days_and_instants() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        laptops(&api, 3).await;
        let people = people(&api);
        let utc = Zone::utc();
        let d = utc.day_of(now()).unwrap() + 3;
        let date = |day: i32| amj_domain::value::format_date(day).unwrap();
        let lend = |key: &'static str, due: i32| {
            let api = &api;
            let person = people[0].clone();
            async move {
                api.call(
                    "POST",
                    &format!("/api/v1/assets/{key}/checkout"),
                    &api.admin,
                    Some(json!({"holder": {"kind": "user", "accountId": person}, "due": date(due)})),
                )
                .await
            }
        };
        // IT-1 booked from 13:00 on day D (UTC): a loan due D is refused, due D-1 is not.
        book(
            &api,
            json!({"accountId": people[1], "start": format!("{}T13:00", date(d)),
                   "end": format!("{}T17:00", date(d)), "assets": ["IT-1"]}),
        )
        .await;
        let (status, body) = lend("IT-1", d).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("asset_booked")), "{body}");
        let (status, body) = lend("IT-1", d - 1).await;
        assert_eq!(status, 200, "{body}");

        // IT-2 is out until day D: a booking from D is refused, one from D+1 is made, and the
        // search agrees.
        let (status, body) = lend("IT-2", d).await;
        assert_eq!(status, 200, "{body}");
        let over = |from: i32| {
            json!({"accountId": people[1], "start": date(from), "end": date(from),
                   "assets": ["IT-2"]})
        };
        let (status, body) = book(&api, over(d)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("asset_unavailable")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("IT-2 is checked out until"));
        let free = |from: i32| {
            let api = &api;
            async move {
                api.ok(
                    "GET",
                    &format!("/api/v1/schemas/IT/availability?from={}&to={}", date(from), date(from)),
                    None,
                )
                .await["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["key"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        assert!(!free(d).await.contains(&"IT-2".to_owned()));
        assert!(free(d + 1).await.contains(&"IT-2".to_owned()));
        let (status, body) = book(&api, over(d + 1)).await;
        assert_eq!(status, 201, "{body}");

        // A same-day turnaround: IT-3 picked up until two hours from now is bookable from then.
        let (_, first) = book(
            &api,
            json!({"accountId": people[0], "start": at(-HOUR), "end": at(2 * HOUR), "assets": ["IT-3"]}),
        )
        .await;
        api.ok("POST", &format!("{BOOKINGS}/{}/pickup", first["id"]), None).await;
        let then = format!("from={}&to={}", at(2 * HOUR), at(4 * HOUR));
        let found = api.ok("GET", &format!("/api/v1/schemas/IT/availability?{then}"), None).await;
        assert!(found.to_string().contains("IT-3"), "free once the pickup's booking ends: {found}");
        let found = api
            .ok("GET", &format!("/api/v1/schemas/IT/availability?from={}&to={}", at(HOUR), at(4 * HOUR)), None)
            .await;
        assert!(!found.to_string().contains("IT-3"), "not while it is out: {found}");
        let later = json!({"accountId": people[1], "start": at(2 * HOUR), "end": at(4 * HOUR), "assets": ["IT-3"]});
        let key = [("Idempotency-Key", "turnaround-1")];
        let (status, made, _) = api.app.call_with("POST", BOOKINGS, &api.admin, Some(later.clone()), &key).await;
        assert_eq!(status, 201, "{made}");
        let (status, again, headers) = api.app.call_with("POST", BOOKINGS, &api.admin, Some(later), &key).await;
        assert_eq!((status, again["id"].clone()), (201, made["id"].clone()), "a retry answers as the first");
        assert_eq!(headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
        api.stop().await;
    })
    .await;
}
