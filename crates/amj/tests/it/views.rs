//! Saved views on both backends: a person's own views stay theirs, shared ones are shown to all
//! and changed only by their owner or an admin, queries are checked before they are kept, and
//! API tokens read the shared ones only.

use crate::assets_api::{Api, Auth};
use crate::support::each_backend;
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<String> {
    list["views"]
        .as_array()
        .unwrap_or_else(|| panic!("no views in {list}"))
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

fn view(name: &str, shared: bool) -> Value {
    json!({
        "name": name,
        "aql": "objectType = Laptop",
        "columns": ["Key", "Label", "Serial number"],
        "sort": {"key": "Serial number", "dir": "DESC"},
        "shared": shared,
    })
}

#[tokio::test]
async fn views_are_personal_or_shared_and_checked_before_they_are_kept() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let url = "/api/v1/schemas/IT/views";

        // A person's own view: shown to them, editable, invisible to everyone else.
        let (status, mine) = api
            .call("POST", url, &api.user, Some(view(" My laptops ", false)))
            .await;
        assert_eq!(status, 201, "{mine}");
        assert_eq!(mine["name"], "My laptops", "names are trimmed");
        assert_eq!(mine["sort"], json!({"key": "Serial number", "dir": "DESC"}));
        assert_eq!(mine["editable"], true);
        let (_, list) = api.call("GET", url, &api.user, None).await;
        assert_eq!(names(&list), ["My laptops"]);
        assert_eq!(
            list["views"][0]["columns"],
            json!(["Key", "Label", "Serial number"])
        );
        assert!(
            names(&api.ok("GET", url, None).await).is_empty(),
            "not the admin's to see"
        );
        let mine_url = format!("{url}/{}", mine["id"]);
        let (status, body) = api
            .call(
                "PUT",
                &mine_url,
                &api.admin,
                Some(view("Taken over", false)),
            )
            .await;
        assert_eq!(
            status, 404,
            "another person's view does not exist for them: {body}"
        );

        // Names are unique per person, and among shared views.
        let (status, body) = api
            .call("POST", url, &api.user, Some(view("my LAPTOPS", false)))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("view_name_taken"))
        );
        let (status, _) = api
            .call("POST", url, &api.admin, Some(view("My laptops", false)))
            .await;
        assert_eq!(
            status, 201,
            "the admin has a view of the same name of their own"
        );

        // Queries and drafts are checked before anything is kept.
        let mut broken = view("Broken", false);
        broken["aql"] = json!("objectType = Laptp");
        let (status, body) = api.call("POST", url, &api.user, Some(broken)).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Laptop"),
            "{body}"
        );
        let (status, body) = api
            .call(
                "POST",
                url,
                &api.user,
                Some(json!({"name": " ", "columns": ["Key", "Key"]})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let fields: Vec<&str> = body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["name", "columns[1]"]);
        let (status, _) = api
            .call(
                "POST",
                url,
                &api.user,
                Some(json!({"name": "x", "columns": ["Key"], "colour": 1})),
            )
            .await;
        assert_eq!(status, 400, "unknown fields are refused");

        // Sharing takes the right to edit the schema's assets (not granted to users here).
        let (status, body) = api
            .call(
                "POST",
                url,
                &api.user,
                Some(view("Everyone's laptops", true)),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("edit_not_allowed"))
        );
        let shared = api.ok("POST", url, Some(view("Fleet", true))).await;
        let (_, list) = api.call("GET", url, &api.user, None).await;
        assert_eq!(
            names(&list),
            ["My laptops", "Fleet"],
            "own views first, then shared"
        );
        assert_eq!(list["views"][1]["editable"], false);
        let shared_url = format!("{url}/{}", shared["id"]);
        let (status, body) = api
            .call("PUT", &shared_url, &api.user, Some(view("Mine now", true)))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("view_not_yours"))
        );
        let (status, _) = api.call("DELETE", &shared_url, &api.user, None).await;
        assert_eq!(status, 403);

        // The owner changes their view; deleting it twice finds nothing the second time.
        let mut changed = view("Laptops by serial", false);
        changed["sort"] = Value::Null;
        changed["columns"] = json!(["Key"]);
        let (status, body) = api.call("PUT", &mine_url, &api.user, Some(changed)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["sort"], Value::Null);
        assert_eq!(body["columns"], json!(["Key"]));
        let (status, _) = api.call("DELETE", &mine_url, &api.user, None).await;
        assert_eq!(status, 204);
        let (status, _) = api.call("DELETE", &mine_url, &api.user, None).await;
        assert_eq!(status, 404);
        let (status, _) = api
            .call("DELETE", &format!("{url}/not-a-number"), &api.user, None)
            .await;
        assert_eq!(status, 404);

        // API tokens see the shared views only, and cannot keep views of their own.
        let issued = api
            .ok("POST", "/api/v1/tokens", Some(json!({"name": "report"})))
            .await;
        let token = Auth::Bearer(issued["token"].as_str().unwrap().to_owned());
        let (status, list) = api.call("GET", url, &token, None).await;
        assert_eq!(status, 200);
        assert_eq!(names(&list), ["Fleet"]);
        let (status, body) = api
            .call("POST", url, &token, Some(view("Scripted", false)))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("user_required"))
        );

        // The admin may change and delete the shared view.
        let (status, _) = api
            .call(
                "PUT",
                &shared_url,
                &api.admin,
                Some(view("Whole fleet", true)),
            )
            .await;
        assert_eq!(status, 200);
        let (status, _) = api.call("DELETE", &shared_url, &api.admin, None).await;
        assert_eq!(status, 204);
        api.stop().await;
    })
    .await;
}
