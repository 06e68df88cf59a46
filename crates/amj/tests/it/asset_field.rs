//! The Assets field on Forge (issue 14, item 9), on both backends: the edit view's candidates
//! come from the scope a Jira admin set on the field's context (read from Jira, not the
//! browser), and a value changed past the edit view (Forge's validation cannot ask us) is put
//! back within the scope by the app after the issue-updated event, once, with the field's
//! assets linked to the issue so JQL finds it by the field and by `assetKeys`.

use crate::support::each_backend;
use amj_server::descriptor::{Listing, app_descriptor, forge_manifest};
use amj_testkit::api::{Api, Auth};

/// An invocation from the Assets field's views by `account_id`, as Forge signs one.
fn field_view(api: &Api, field: &str, account_id: &str) -> Auth {
    let call = api
        .sim
        .forge_invoke_module(
            &api.site.name,
            amj_server::descriptor::ASSET_FIELD_KEY,
            "jira:customFieldType",
            Some(account_id),
            json!({"type": "jira:customFieldType", "fieldId": field}),
        )
        .unwrap();
    Auth::Forge {
        fit: call.fit,
        system_token: Some(call.system_token),
    }
}
use amj_testkit::wait::wait_until;
use serde_json::{Value, json};
use std::time::Duration;

const CANDIDATES: &str = "/api/v1/asset-field/candidates";

/// Deploys the app's Forge manifest to the simulator (as `forge deploy` does), which creates the
/// Assets field; answers its id.
fn deploy(api: &Api) -> String {
    let config = &api.app.state.config;
    let manifest = forge_manifest(
        &app_descriptor(config),
        config.base_url_str(),
        config
            .forge_app
            .as_ref()
            .expect("test apps are Forge remotes"),
        &Listing::Forge,
    );
    api.sim.deploy_forge_manifest(&manifest);
    let fields = api.sim.forge_fields();
    assert_eq!(fields.len(), 1, "{fields:?}");
    fields[0].id.clone()
}

/// What a Jira admin saves in the field's context settings: laptops of the IT schema.
fn scope_to_laptops(api: &Api, field: &str) {
    api.sim
        .set_field_configuration(
            &api.site.name,
            field,
            &json!({"configuration": {"schema": "IT", "aql": "objectType = Laptop"}}),
        )
        .unwrap();
}

/// The Berlin location's key: an asset outside a laptops-only scope.
async fn berlin(api: &Api) -> String {
    api.ok(
        "POST",
        "/api/v1/schemas/IT/assets",
        Some(json!({"type": "Location", "attributes": {"Name": "Berlin"}})),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Moves the site to Forge and deploys the manifest there; answers the Assets field's id.
fn on_forge(api: &Api) -> String {
    api.sim.forge_upgrade(&api.site.name).unwrap();
    deploy(api)
}

/// A laptop's key.
async fn laptop(api: &Api, name: &str, serial: &str) -> String {
    api.laptop(name, serial).await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn keys_of(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page of candidates: {page}"))
        .iter()
        .map(|a| a["key"].as_str().unwrap().to_owned())
        .collect()
}

fn field_value(api: &Api, issue: &str, field: &str) -> Option<Value> {
    api.sim
        .with_data(&api.site.name, |d| {
            let id = d.issue(issue).unwrap().id.clone();
            d.field_values.get(&(id, field.to_owned())).cloned()
        })
        .unwrap()
}

#[tokio::test]
async fn candidates_follow_the_admins_scope_read_from_jira() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let one = laptop(&api, "Laptop alpha", "SN-1").await;
        let two = laptop(&api, "Laptop beta", "SN-2").await;
        let berlin = berlin(&api).await;
        let field = on_forge(&api);
        let person = Auth::forge_page(&api.sim, &api.site.name, None);
        let ask = |query: String| {
            let api = &api;
            let person = person.clone();
            async move {
                api.call("GET", &format!("{CANDIDATES}{query}"), &person, None)
                    .await
            }
        };

        // No scope yet: the edit view says so rather than offering everything.
        let (status, body) = ask(format!("?field={field}&issue=10001")).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "field_not_configured");

        scope_to_laptops(&api, &field);
        let (status, all) = ask(format!("?field={field}&issue=10001")).await;
        assert_eq!(status, 200, "{all}");
        assert_eq!(
            all["scope"],
            json!({"schema": "IT", "aql": "objectType = Laptop"})
        );
        assert_eq!(keys_of(&all), [one.clone(), two.clone()], "labels in order");
        assert!(
            !keys_of(&all).contains(&berlin),
            "the location is out of scope"
        );
        let (_, typed) = ask(format!("?field={field}&issue=10001&q=beta")).await;
        assert_eq!(keys_of(&typed), [two.as_str()]);
        let (_, by_key) = ask(format!("?field={field}&q={}", one.to_lowercase())).await;
        assert_eq!(keys_of(&by_key), [one.as_str()], "a key in any case");
        // What was typed cannot widen the scope: it is a quoted value, never AQL.
        let (_, sneaky) = ask(format!(
            "?field={field}&q=%22%20OR%20objectType%20%3D%20Location%20OR%20label%20%3D%20%22"
        ))
        .await;
        assert!(keys_of(&sneaky).is_empty(), "{sneaky}");

        // The admin's query is wrong: named as the admin's, not the person's.
        api.sim
            .set_field_configuration(
                &api.site.name,
                &field,
                &json!({"configuration": {"schema": "IT", "aql": "objectType = "}}),
            )
            .unwrap();
        let (status, body) = ask(format!("?field={field}")).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "field_scope_invalid");

        // Bad input from the caller.
        for query in [
            "?field=summary".to_owned(),
            format!("?field={field}&limit=0"),
            format!("?field={field}&limit=51"),
            "?q=x".to_owned(),
        ] {
            let (status, body) = ask(query.clone()).await;
            assert_eq!(status, 400, "{query}: {body}");
        }
        api.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_value_outside_the_scope_is_put_back_within_it_once() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let laptop = laptop(&api, "Laptop alpha", "SN-1").await;
        let berlin = berlin(&api).await;
        let field = on_forge(&api);
        // Without a scope nothing is known to be out of it: the value is left alone.
        api.sim
            .set_field_value(&api.site.name, "AM-3", &field, &json!([berlin]))
            .await
            .unwrap();
        wait_until(Duration::from_secs(20), || async {
            api.app.state.store.forge_event_backlog().await.unwrap() == (0, 0)
        })
        .await;
        assert_eq!(field_value(&api, "AM-3", &field), Some(json!([berlin])));
        scope_to_laptops(&api, &field);
        let puts = || {
            api.sim
                .calls()
                .iter()
                .filter(|c| c.method == "PUT" && c.path.ends_with(&format!("{field}/value")))
                .count()
        };

        // Someone saves the laptop, a location, a key of no asset, a string that is no key and
        // a key of another schema (a script, an import, an old scope): Jira keeps it, and
        // tells the app.
        let statuses = api
            .sim
            .set_field_value(
                &api.site.name,
                "AM-1",
                &field,
                &json!([laptop, berlin, "IT-999", "not a key", "HR-1"]),
            )
            .await
            .unwrap();
        assert_eq!(statuses, [204], "delivered as a Forge event");
        wait_until(Duration::from_secs(20), || async {
            field_value(&api, "AM-1", &field) == Some(json!([laptop]))
        })
        .await;
        // The app's own write made another event; reviewing it changes nothing more.
        wait_until(Duration::from_secs(20), || async {
            api.app.state.store.forge_event_backlog().await.unwrap() == (0, 0)
        })
        .await;
        assert_eq!(puts(), 1, "one correction, no loop");
        assert_eq!(field_value(&api, "AM-1", &field), Some(json!([laptop])));

        // The laptop is linked to the issue, and JQL finds the issue by the field and by the
        // issue property the links write.
        let (status, linked) = api
            .call("GET", "/api/v1/issues/10001/assets", &api.admin, None)
            .await;
        assert_eq!(status, 200, "{linked}");
        assert_eq!(linked["items"][0]["key"], laptop.as_str(), "{linked}");
        let index = api.sim.issue_property_index();
        let fields = api.sim.forge_fields();
        let found = |jql: String| {
            api.sim
                .with_data(&api.site.name, |d| {
                    amj_jira_sim::data::search(d, &jql, &index, &fields)
                        .unwrap()
                        .iter()
                        .map(|i| i.key.clone())
                        .collect::<Vec<_>>()
                })
                .unwrap()
        };
        assert_eq!(found(format!("cf[10100] = \"{laptop}\"")), ["AM-1"]);
        assert_eq!(
            found(format!("Assets in (\"{laptop}\", \"IT-7\")")),
            ["AM-1"]
        );
        // AM-1's location was removed; AM-3's was saved before there was a scope.
        assert_eq!(found(format!("cf[10100] = \"{berlin}\"")), ["AM-3"]);
        wait_until(Duration::from_secs(20), || async {
            found(format!("assetKeys = \"{laptop}\"")) == ["AM-1"]
        })
        .await;

        // The scope narrows after the laptop was chosen: the laptop stays (it was within the
        // scope when chosen, and is linked), while a newly added asset is checked.
        let second = api.laptop("Laptop beta", "SN-2").await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        api.sim
            .set_field_configuration(
                &api.site.name,
                &field,
                &json!({"configuration": {"schema": "IT", "aql": "label = \"Nothing\""}}),
            )
            .unwrap();
        api.sim
            .set_field_value(&api.site.name, "AM-1", &field, &json!([laptop, second]))
            .await
            .unwrap();
        wait_until(Duration::from_secs(20), || async {
            field_value(&api, "AM-1", &field) == Some(json!([laptop]))
        })
        .await;
        scope_to_laptops(&api, &field);

        // A value within the scope is left alone.
        let before = puts();
        api.sim
            .set_field_value(&api.site.name, "AM-2", &field, &json!([laptop]))
            .await
            .unwrap();
        wait_until(Duration::from_secs(20), || async {
            api.app.state.store.forge_event_backlog().await.unwrap() == (0, 0)
        })
        .await;
        assert_eq!(puts(), before);
        assert_eq!(field_value(&api, "AM-2", &field), Some(json!([laptop])));
        api.stop().await;
    })
    .await;
}

/// The field feeds the request flow: a request approved on an issue whose Assets field names a
/// laptop reserves that laptop (when it fits and is free), not merely the first one free.
#[tokio::test]
async fn an_approved_request_reserves_the_laptop_the_field_names() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        let catalog = api.it_schema().await;
        api.ok(
            "PUT",
            "/api/v1/schemas/IT/custody-policy",
            Some(json!({"checkoutableTypes": [catalog.hardware]})),
        )
        .await;
        api.ok(
            "PUT",
            "/api/v1/schemas/IT/request-policy",
            Some(json!({"project": "AM", "approveStatuses": ["Approved"], "rejectStatuses": ["Declined"]})),
        )
        .await;
        let mut laptops = Vec::new();
        for (name, serial) in [("Laptop 1", "SN-1"), ("Laptop 2", "SN-2"), ("Laptop 3", "SN-3")] {
            laptops.push(laptop(&api, name, serial).await);
        }
        let field = on_forge(&api);
        scope_to_laptops(&api, &field);
        // The customer named the second laptop on the request.
        api.sim
            .set_field_value(&api.site.name, "AM-2", &field, &json!([laptops[1]]))
            .await
            .unwrap();
        let person = api.sim.site_users(&api.site.name).unwrap()[0]
            .account_id
            .clone();
        let admin = Auth::forge_page(&api.sim, &api.site.name, None);
        let ask = json!({"issue": "AM-2", "wanted": {"kind": "type", "typeId": catalog.laptop}, "accountId": person});
        let (status, asked) = api
            .call("POST", "/api/v1/schemas/IT/requests", &admin, Some(ask))
            .await;
        assert_eq!(status, 200, "{asked}");
        let id = asked["id"].as_i64().unwrap();
        api.sim
            .transition_issue(&api.site.name, "AM-2", "Approved")
            .await
            .unwrap();
        let read = || async {
            let (status, body) = api
                .call(
                    "GET",
                    &format!("/api/v1/schemas/IT/requests/{id}"),
                    &Auth::forge_page(&api.sim, &api.site.name, None),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{body}");
            body
        };
        wait_until(Duration::from_secs(20), || async {
            read().await["state"] == "approved"
        })
        .await;
        let approved = read().await;
        assert_eq!(
            approved["reserved"][0]["asset"],
            laptops[1].as_str(),
            "{approved}"
        );
        api.stop().await;
    })
    .await;
}

/// A portal customer raises a request with the field chosen on the form: the new issue's value
/// is checked as an edited one is (Jira sends "issue created", with no changelog), and what
/// stays is linked to it.
#[tokio::test]
async fn a_portal_request_is_checked_and_linked_when_it_is_created() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let laptop = laptop(&api, "Laptop alpha", "SN-1").await;
        let field = on_forge(&api);
        scope_to_laptops(&api, &field);
        // Jira checks the value's shape on the form, as for an issue.
        assert!(
            api.sim
                .set_portal_draft(&api.site.name, "AM", &field, &json!("IT-1"))
                .is_err()
        );
        api.sim
            .set_portal_draft(&api.site.name, "AM", &field, &json!([laptop, "IT-404"]))
            .unwrap();
        assert!(
            api.sim
                .raise_portal_request(&api.site.name, "AM", "  ")
                .await
                .is_err(),
            "a request needs a summary"
        );
        let key = api
            .sim
            .raise_portal_request(&api.site.name, "AM", "My laptop will not start")
            .await
            .unwrap();
        assert_eq!(key, "AM-7");
        wait_until(Duration::from_secs(20), || async {
            field_value(&api, &key, &field) == Some(json!([laptop]))
        })
        .await;
        let id = api
            .sim
            .with_data(&api.site.name, |d| d.issue(&key).unwrap().id.clone())
            .unwrap();
        wait_until(Duration::from_secs(20), || async {
            let (_, linked) = api
                .call(
                    "GET",
                    &format!("/api/v1/issues/{id}/assets"),
                    &api.admin,
                    None,
                )
                .await;
            linked["items"][0]["key"] == laptop.as_str()
        })
        .await;
        // The form starts empty again.
        assert!(
            api.sim
                .with_data(&api.site.name, |d| d.portal_drafts.is_empty())
                .unwrap()
        );
        api.stop().await;
    })
    .await;
}

/// The field's views may be a portal customer's: their invocations reach the field's own API
/// (which answers key, name and status, within the scope) and nothing else of the app; the
/// schema list and a query run, which the context configuration needs, are a Jira admin's.
#[tokio::test]
async fn the_fields_views_reach_only_the_fields_api() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let one = laptop(&api, "Laptop alpha", "SN-1").await;
        let berlin = berlin(&api).await;
        let field = on_forge(&api);
        scope_to_laptops(&api, &field);
        let customer = api.sim.site_users(&api.site.name).unwrap()[3]
            .account_id
            .clone();
        let admin = api.site.admin_account_id.clone();

        let view = field_view(&api, &field, &customer);
        let (status, shown) = api
            .call(
                "GET",
                &format!("/api/v1/asset-field/assets?field={field}&issue=10001&keys={one},{berlin},nonsense"),
                &view,
                None,
            )
            .await;
        assert_eq!(status, 200, "{shown}");
        // Only what is within the scope, and only what the field shows.
        assert_eq!(keys_of(&shown), [one.as_str()]);
        let item = shown["items"][0].as_object().unwrap();
        let mut fields: Vec<&str> = item.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["key", "label", "status"]);
        let (status, offered) = api
            .call(
                "GET",
                &format!("{CANDIDATES}?field={field}&issue=10001"),
                &field_view(&api, &field, &customer),
                None,
            )
            .await;
        assert_eq!(status, 200, "{offered}");
        assert!(offered["items"][0].get("custody").is_none(), "{offered}");

        for (method, path, body, code) in [
            ("GET", "/api/v1/whoami", None, "field_view_only"),
            ("GET", "/api/v1/schemas/IT/assets", None, "field_view_only"),
            ("GET", "/api/v1/custody/mine", None, "field_view_only"),
            ("GET", "/api/v1/schemas", None, "admin_required"),
            (
                "POST",
                "/api/v1/assets/query",
                Some(json!({"aql": "objectId > 0", "schema": "IT"})),
                "admin_required",
            ),
        ] {
            let (status, refused) = api
                .call(method, path, &field_view(&api, &field, &customer), body)
                .await;
            assert_eq!(status, 403, "{method} {path}: {refused}");
            assert_eq!(refused["error"]["code"], code, "{method} {path}");
        }
        // The context configuration is a Jira admin's: the schemas and a query run.
        for (method, path, body) in [
            ("GET", "/api/v1/schemas", None),
            (
                "POST",
                "/api/v1/assets/query",
                Some(json!({"aql": "objectType = Laptop", "schema": "IT", "limit": 1})),
            ),
        ] {
            let (status, answer) = api
                .call(method, path, &field_view(&api, &field, &admin), body)
                .await;
            assert_eq!(status, 200, "{method} {path}: {answer}");
        }
        // Bad input.
        for query in [
            format!("?field={field}&keys="),
            "?field=summary&keys=IT-1".to_owned(),
            format!("?field={field}&keys={}", vec!["IT-1"; 101].join(",")),
        ] {
            let (status, body) = api
                .call(
                    "GET",
                    &format!("/api/v1/asset-field/assets{query}"),
                    &field_view(&api, &field, &admin),
                    None,
                )
                .await;
            assert_eq!(status, 400, "{query}: {body}");
        }
        api.stop().await;
    })
    .await;
}
