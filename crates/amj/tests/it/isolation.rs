//! Tenant isolation as a property: whatever route another site calls, with whatever of our ids,
//! it never sees our data and never changes it.

use crate::assets_api::{Api, Auth};
use crate::support::each_backend;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// Every API route that reads or changes a site's data, with placeholders for the victim's
/// identifiers and a plausible body. `every_route_that_holds_site_data_is_attacked` holds this
/// list to the OpenAPI document, which is built from the router's own route list, so a new route
/// cannot be left out.
pub const ROUTES: &[(&str, &str, Option<&str>)] = &[
    (
        "POST",
        "/api/v1/assets/query",
        Some(r#"{"aql":"Name IS NOT EMPTY","schema":"{schema}"}"#),
    ),
    (
        "GET",
        "/api/v1/aql/validate?aql=Name%20IS%20NOT%20EMPTY&schema={schema}",
        None,
    ),
    ("GET", "/api/v1/schemas", None),
    (
        "POST",
        "/api/v1/schemas",
        Some(r#"{"key":"ZZ","name":"stolen"}"#),
    ),
    ("GET", "/api/v1/schemas/{schema}", None),
    (
        "PUT",
        "/api/v1/schemas/{schema}",
        Some(r#"{"name":"stolen","usersCanEdit":true}"#),
    ),
    ("DELETE", "/api/v1/schemas/{schema}", None),
    ("GET", "/api/v1/schemas/{schema}/statuses", None),
    (
        "POST",
        "/api/v1/schemas/{schema}/statuses",
        Some(r#"{"name":"Stolen","category":"retired"}"#),
    ),
    (
        "PUT",
        "/api/v1/schemas/{schema}/statuses/{status}",
        Some(r#"{"name":"Stolen","category":"retired"}"#),
    ),
    ("DELETE", "/api/v1/schemas/{schema}/statuses/{status}", None),
    ("GET", "/api/v1/schemas/{schema}/types", None),
    (
        "POST",
        "/api/v1/schemas/{schema}/types",
        Some(r#"{"name":"Stolen"}"#),
    ),
    ("GET", "/api/v1/schemas/{schema}/types/{type}", None),
    (
        "PUT",
        "/api/v1/schemas/{schema}/types/{type}",
        Some(r#"{"name":"Stolen"}"#),
    ),
    ("DELETE", "/api/v1/schemas/{schema}/types/{type}", None),
    (
        "GET",
        "/api/v1/schemas/{schema}/types/{type}/attributes",
        None,
    ),
    (
        "POST",
        "/api/v1/schemas/{schema}/types/{type}/attributes",
        Some(r#"{"name":"Stolen","kind":"text"}"#),
    ),
    (
        "PUT",
        "/api/v1/schemas/{schema}/attributes/{attribute}",
        Some(r#"{"name":"Stolen","kind":"text"}"#),
    ),
    (
        "DELETE",
        "/api/v1/schemas/{schema}/attributes/{attribute}",
        None,
    ),
    ("GET", "/api/v1/schemas/{schema}/assets", None),
    (
        "GET",
        "/api/v1/schemas/{schema}/assets?includeArchived=true&sort=label",
        None,
    ),
    (
        "POST",
        "/api/v1/schemas/{schema}/assets",
        Some(r#"{"type":{type},"attributes":{"Name":"stolen"}}"#),
    ),
    (
        "POST",
        "/api/v1/schemas/{schema}/assets/bulk",
        Some(r#"{"items":[{"type":{type},"attributes":{"Name":"stolen"}}]}"#),
    ),
    (
        "PATCH",
        "/api/v1/schemas/{schema}/assets/bulk",
        Some(r#"{"items":[{"key":"{key}","version":1,"attributes":{"Name":"stolen"}}]}"#),
    ),
    ("GET", "/api/v1/assets/{key}", None),
    (
        "PUT",
        "/api/v1/assets/{key}",
        Some(r#"{"version":1,"attributes":{"Name":"stolen"}}"#),
    ),
    (
        "PATCH",
        "/api/v1/assets/{key}",
        Some(r#"{"version":1,"attributes":{"Name":"stolen"}}"#),
    ),
    ("DELETE", "/api/v1/assets/{key}?version=1", None),
    (
        "POST",
        "/api/v1/assets/{key}/archive",
        Some(r#"{"version":1}"#),
    ),
    (
        "POST",
        "/api/v1/assets/{key}/restore",
        Some(r#"{"version":1}"#),
    ),
    ("GET", "/api/v1/assets/{key}/history", None),
    ("GET", "/api/v1/assets/{key}/references", None),
    ("GET", "/api/v1/assets/{key}/issues", None),
    (
        "POST",
        "/api/v1/assets/{key}/issues",
        Some(r#"{"issue":{issue}}"#),
    ),
    ("DELETE", "/api/v1/assets/{key}/issues/{issue}", None),
    ("GET", "/api/v1/issues/{issue}/assets", None),
    ("GET", "/api/v1/tokens", None),
    ("POST", "/api/v1/tokens", Some(r#"{"name":"stolen"}"#)),
    ("DELETE", "/api/v1/tokens/{token}", None),
];

/// API routes that hold no site data, with why: they are left out of the attack.
const NO_SITE_DATA: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/openapi.json", "the public API document"),
    (
        "GET",
        "/api/v1/whoami",
        "the caller's own identity, from its own token",
    ),
    (
        "GET",
        "/api/v1/jira/users",
        "a search of the caller's own Jira, with the caller's site's credentials",
    ),
];

/// A path template's shape, to match the route list's templates with the document's: the
/// query string dropped and every parameter name forgotten (`{type}` and `{id}` alike).
pub fn shape(route: &str) -> String {
    let path = route.split('?').next().unwrap_or(route);
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn every_route_that_holds_site_data_is_attacked() {
    let document = serde_json::to_value(amj_server::web::openapi::document()).unwrap();
    let mut served = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                served.insert((method.to_uppercase(), shape(path)));
            }
        }
    }
    assert!(served.len() > 30, "could not read the document: {served:?}");
    let listed: std::collections::BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), shape(path)))
        .chain(
            NO_SITE_DATA
                .iter()
                .map(|(method, path, _)| ((*method).to_owned(), shape(path))),
        )
        .collect();
    let missing: Vec<_> = served.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "add these routes to isolation::ROUTES (or, if they hold no site data, to NO_SITE_DATA \
         with the reason): {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(stale.is_empty(), "listed but not served: {stale:?}");
}

struct Victim {
    schemas: Vec<String>,
    keys: Vec<String>,
    types: Vec<i64>,
    attributes: Vec<i64>,
    statuses: Vec<i64>,
    issues: Vec<i64>,
    tokens: Vec<i64>,
}

/// Everything the victim site can see of itself, to compare before and after the attack.
async fn snapshot(api: &Api) -> Value {
    let mut out = serde_json::Map::new();
    let schemas = api.ok("GET", "/api/v1/schemas", None).await;
    for schema in schemas["schemas"].as_array().unwrap() {
        let key = schema["key"].as_str().unwrap();
        out.insert(
            format!("schema {key}"),
            api.ok("GET", &format!("/api/v1/schemas/{key}"), None).await,
        );
        let assets = api
            .ok(
                "GET",
                &format!("/api/v1/schemas/{key}/assets?includeArchived=true&limit=500"),
                None,
            )
            .await;
        for asset in assets["items"].as_array().unwrap() {
            let asset_key = asset["key"].as_str().unwrap();
            out.insert(format!("asset {asset_key}"), asset.clone());
            out.insert(
                format!("history {asset_key}"),
                api.ok(
                    "GET",
                    &format!("/api/v1/assets/{asset_key}/history?limit=500"),
                    None,
                )
                .await,
            );
            out.insert(
                format!("issues {asset_key}"),
                api.ok("GET", &format!("/api/v1/assets/{asset_key}/issues"), None)
                    .await,
            );
        }
    }
    out.insert("tokens".into(), api.ok("GET", "/api/v1/tokens", None).await);
    Value::Object(out)
}

#[tokio::test]
async fn no_route_returns_or_changes_another_sites_data() {
    each_backend(|db| async move {
        let alpha = Api::start(&db).await;
        // The victim: schemas IT (a key the attacker also uses) and AX, marked "alpha".
        alpha.it_schema().await;
        alpha
            .ok(
                "POST",
                "/api/v1/schemas",
                Some(json!({"key": "AX", "name": "alpha schema"})),
            )
            .await;
        alpha
            .ok(
                "POST",
                "/api/v1/schemas/AX/types",
                Some(json!({"name": "alpha type"})),
            )
            .await;
        for i in 1..=4 {
            alpha
                .laptop(&format!("alpha-{i}"), &format!("ALPHA-{i}"))
                .await;
        }
        alpha
            .ok(
                "POST",
                "/api/v1/schemas/AX/assets",
                Some(json!({"type": "alpha type", "attributes": {"Name": "alpha-ax"}})),
            )
            .await;
        let linked = alpha
            .ok(
                "POST",
                "/api/v1/assets/IT-1/issues",
                Some(json!({"issue": "AM-1"})),
            )
            .await;
        let token = alpha
            .ok(
                "POST",
                "/api/v1/tokens",
                Some(json!({"name": "alpha-token"})),
            )
            .await;
        let it = alpha.ok("GET", "/api/v1/schemas/IT", None).await;
        let ax = alpha.ok("GET", "/api/v1/schemas/AX", None).await;
        let ids = |schema: &Value, list: &str| -> Vec<i64> {
            schema[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect()
        };
        let victim = Victim {
            schemas: vec!["IT".into(), "AX".into(), "NOPE".into()],
            keys: vec![
                "IT-1".into(),
                "IT-2".into(),
                "IT-4".into(),
                "AX-1".into(),
                "IT-99".into(),
            ],
            types: [ids(&it, "types"), ids(&ax, "types")].concat(),
            attributes: it["types"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|t| {
                    t["attributes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a["id"].as_i64().unwrap())
                })
                .collect(),
            statuses: ids(&it, "statuses"),
            issues: vec![linked["issue"]["id"].as_i64().unwrap(), 10002],
            tokens: vec![token["id"].as_i64().unwrap()],
        };
        let before = snapshot(&alpha).await;

        // The attacker: another site of the same app, with its own IT schema and an asset IT-1.
        let Api { sim, app, .. } = alpha;
        let beta = Api::on(sim, app, "beta").await;
        beta.ok(
            "POST",
            "/api/v1/schemas",
            Some(json!({"key": "IT", "name": "beta"})),
        )
        .await;
        beta.ok(
            "POST",
            "/api/v1/schemas/IT/types",
            Some(json!({"name": "Thing"})),
        )
        .await;
        beta.ok(
            "POST",
            "/api/v1/schemas/IT/assets",
            Some(json!({"type": "Thing", "attributes": {"Name": "beta-1"}})),
        )
        .await;
        let beta_token = beta
            .ok(
                "POST",
                "/api/v1/tokens",
                Some(json!({"name": "beta-token"})),
            )
            .await;
        let attackers = [
            beta.admin.clone(),
            Auth::Bearer(beta_token["token"].as_str().unwrap().to_owned()),
        ];

        let strategy = (
            0..ROUTES.len(),
            0..victim.schemas.len(),
            0..victim.keys.len(),
            0..victim.types.len(),
            0..victim.attributes.len(),
            0..victim.statuses.len(),
            0..victim.issues.len(),
            0..attackers.len(),
        );
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            proptest::test_runner::TestRng::deterministic_rng(
                proptest::test_runner::RngAlgorithm::ChaCha,
            ),
        );
        let mut statuses = std::collections::BTreeMap::new();
        for _ in 0..200 {
            let (route, schema, key, type_, attribute, status, issue, attacker) =
                strategy.new_tree(&mut runner).unwrap().current();
            let (method, template, body) = ROUTES[route];
            let fill = |s: &str| {
                s.replace("{schema}", &victim.schemas[schema])
                    .replace("{key}", &victim.keys[key])
                    .replace("{type}", &victim.types[type_].to_string())
                    .replace("{attribute}", &victim.attributes[attribute].to_string())
                    .replace("{status}", &victim.statuses[status].to_string())
                    .replace("{issue}", &victim.issues[issue].to_string())
                    .replace("{token}", &victim.tokens[0].to_string())
            };
            let path = fill(template);
            let body = body.map(|b| serde_json::from_str::<Value>(&fill(b)).unwrap());
            let (code, response) = beta.call(method, &path, &attackers[attacker], body).await;
            *statuses.entry(code).or_insert(0) += 1;
            let text = response.to_string();
            assert!(
                !text.contains("alpha") && !text.contains("ALPHA"),
                "{method} {path} leaked the other site's data: {text}"
            );
            assert!(code != 500, "{method} {path}: {text}");
        }
        // The attack really exercised the routes: some reached beta's own data, most were refused.
        assert!(
            statuses.keys().any(|c| (200..300).contains(c)),
            "{statuses:?}"
        );
        assert!(statuses.keys().any(|c| *c == 404), "{statuses:?}");

        let Api { sim, app, .. } = beta;
        let alpha = Api::on_existing(sim, app, "acme");
        let after = snapshot(&alpha).await;
        assert_eq!(before, after, "the other site's calls changed nothing here");
        alpha.stop().await;
    })
    .await;
}
