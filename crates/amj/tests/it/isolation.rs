//! Tenant isolation as a property: whatever route another site calls, with whatever of our ids,
//! it never sees our data and never changes it.

use crate::assets_api::{Api, Auth};
use crate::support::each_backend;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// A plausible request body for each request schema of the document, with placeholders for the
/// victim's identifiers, so that an attack gets past validation to the data. A route whose
/// request schema is not here fails `every_documented_route_is_attacked_or_excused`.
const BODIES: &[(&str, &str)] = &[
    (
        "QueryInput",
        r#"{"aql":"Name IS NOT EMPTY","schema":"{schema}"}"#,
    ),
    ("SchemaDraft", r#"{"key":"ZZ","name":"stolen"}"#),
    ("SchemaUpdate", r#"{"name":"stolen","usersCanEdit":true}"#),
    ("StatusDraft", r#"{"name":"Stolen","category":"retired"}"#),
    ("AssetTypeDraft", r#"{"name":"Stolen"}"#),
    ("TypeUpdateInput", r#"{"name":"Stolen"}"#),
    ("AttributeDraft", r#"{"name":"Stolen","kind":"text"}"#),
    (
        "AssetInput",
        r#"{"type":{type},"attributes":{"Name":"stolen"}}"#,
    ),
    (
        "BulkCreate",
        r#"{"items":[{"type":{type},"attributes":{"Name":"stolen"}}]}"#,
    ),
    (
        "BulkUpdate",
        r#"{"items":[{"key":"{key}","version":1,"attributes":{"Name":"stolen"}}]}"#,
    ),
    (
        "BulkEdit",
        r#"{"aql":"Name IS NOT EMPTY","attributes":{"Name":"stolen"}}"#,
    ),
    (
        "AssetUpdateInput",
        r#"{"version":1,"attributes":{"Name":"stolen"}}"#,
    ),
    ("VersionOnly", r#"{"version":1}"#),
    ("LinkInput", r#"{"issue":{issue}}"#),
    ("TokenInput", r#"{"name":"stolen"}"#),
    ("ReportSettings", r#"{"lifecycleDates":[]}"#),
    ("AttributeOrder", r#"{"attributes":[{attribute}]}"#),
    ("CustodyPolicy", r#"{"checkoutableTypes":[{type}]}"#),
    (
        "CheckoutDraft",
        r#"{"holder":{"kind":"user","accountId":"557058:thief"}}"#,
    ),
    ("CheckinDraft", r#"{"condition":"good"}"#),
    (
        "BulkCheckoutBody",
        r#"{"items":[{"asset":"{key}","holder":{"kind":"user","accountId":"557058:thief"}}]}"#,
    ),
    (
        "BulkCheckinBody",
        r#"{"assets":["{key}"],"condition":"good"}"#,
    ),
    ("LicencePolicy", r#"{"licensedTypes":[{type}]}"#),
    ("LicenceTerms", r#"{"product":"stolen","entitled":1}"#),
    (
        "SeatDraft",
        r#"{"assignees":[{"kind":"user","accountId":"557058:thief"}]}"#,
    ),
    (
        "SeatRelease",
        r#"{"assignees":[{"kind":"user","accountId":"557058:thief"}]}"#,
    ),
    ("ReclaimRequest", r#"{"accountIds":["557058:thief"]}"#),
    ("StockPolicy", r#"{"consumableTypes":[{type}]}"#),
    (
        "Movement",
        r#"{"kind":"receive","location":"{key}","quantity":1}"#,
    ),
    ("MinimumDraft", r#"{"location":"{key}","minimum":1}"#),
    (
        "KitDraft",
        r#"{"name":"stolen","parts":[{"kind":"asset","typeId":{type}}]}"#,
    ),
    ("KitCheckout", r#"{"accountId":"557058:thief"}"#),
    (
        "BookingDraft",
        r#"{"accountId":"557058:thief","start":"2031-01-05","end":"2031-01-20","assets":["{key}"]}"#,
    ),
    ("BookingReturn", r#"{"condition":"good"}"#),
    (
        "ApprovalPolicy",
        r#"{"project":"AM","approveStatuses":["Stolen"]}"#,
    ),
    (
        "RequestDraft",
        r#"{"issue":"AM-1","wanted":{"kind":"type","typeId":{type}},"accountId":"557058:thief"}"#,
    ),
    ("Fulfilment", r#"{"note":"stolen"}"#),
    ("Cancellation", r#"{"note":"stolen"}"#),
    // Shared, so that an ordinary user is refused it too (the hardening test's rule).
    (
        "SavedViewDraft",
        r#"{"name":"stolen","columns":["Key"],"shared":true}"#,
    ),
];

/// Values for the documented query parameters an attack sets (others are left out).
const QUERY_VALUES: &[(&str, &str)] = &[
    ("aql", "Name%20IS%20NOT%20EMPTY"),
    ("schema", "{schema}"),
    ("version", "1"),
    ("includeArchived", "true"),
    ("sort", "label"),
    ("jql", "project%20%3D%20AM"),
    ("field", "customfield_10100"),
    ("keys", "{key}"),
    ("from", "2031-01-01"),
    ("to", "2031-02-01"),
];

/// One attack: a method, a path with placeholders, and a body.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub body: Option<String>,
}

/// The routes to attack, derived from the OpenAPI document, which is built from the router's own
/// route list: every API route is attacked unless `NO_SITE_DATA` says why not, so a new route is
/// covered the day it is added. Path parameters become the victim's placeholders (`{id}` named
/// by the segment before it), query parameters and bodies come from the tables above; anything
/// this cannot fill fails loudly.
pub fn attacked_routes() -> Vec<Route> {
    let document = serde_json::to_value(amj_server::web::openapi::document()).unwrap();
    let mut routes = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let method = method.to_uppercase();
            if NO_SITE_DATA
                .iter()
                .any(|(m, p, _)| *m == method && shape(p) == shape(template))
            {
                continue;
            }
            let mut path = String::new();
            let mut previous = "";
            for segment in template.split('/').filter(|s| !s.is_empty()) {
                let filled = match (segment, previous) {
                    ("{id}", "types") => "{type}",
                    ("{id}", "statuses") => "{status}",
                    ("{id}", "attributes") => "{attribute}",
                    ("{id}", "tokens") => "{token}",
                    ("{id}", "views") => "{view}",
                    ("{id}", "kits") => "{kit}",
                    ("{id}", "bookings") => "{booking}",
                    ("{id}", "requests") => "{request}",
                    ("{schema}" | "{key}" | "{issue}" | "{issueKey}", _) => segment,
                    (other, _) if other.starts_with('{') => {
                        panic!("teach the isolation test to fill {other} in {template}")
                    }
                    (other, _) => other,
                };
                path.push('/');
                path.push_str(filled);
                previous = segment;
            }
            let query: Vec<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| {
                    let name = p["name"].as_str()?;
                    let value = QUERY_VALUES.iter().find(|(n, _)| *n == name);
                    if value.is_none() && p["required"] == true {
                        panic!(
                            "teach the isolation test a value for {name} of {method} {template}"
                        );
                    }
                    value.map(|(n, v)| format!("{n}={v}"))
                })
                .collect();
            if !query.is_empty() {
                path = format!("{path}?{}", query.join("&"));
            }
            let body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .map(|reference| {
                    let name = reference.rsplit('/').next().unwrap_or(reference);
                    BODIES
                        .iter()
                        .find(|(schema, _)| *schema == name)
                        .map(|(_, body)| (*body).to_owned())
                        .unwrap_or_else(|| {
                            panic!(
                                "add a body for {name} ({method} {template}) to isolation::BODIES"
                            )
                        })
                });
            routes.push(Route { method, path, body });
        }
    }
    routes
}

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
    (
        "GET",
        "/api/v1/jira/users/bulk",
        "names from the caller's own Jira, with the caller's site's credentials",
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
fn every_documented_route_is_attacked_or_excused() {
    let routes = attacked_routes();
    assert!(routes.len() > 30, "could not read the document: {routes:?}");
    let document = serde_json::to_value(amj_server::web::openapi::document()).unwrap();
    let documented: std::collections::BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            ["get", "put", "post", "delete", "patch"]
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(|m| (m.to_uppercase(), shape(path)))
        })
        .collect();
    for (method, path, _) in NO_SITE_DATA {
        assert!(
            documented.contains(&((*method).to_owned(), shape(path))),
            "excused but not served: {method} {path}"
        );
    }
    assert_eq!(
        routes.len() + NO_SITE_DATA.len(),
        documented.len(),
        "every documented route is attacked or excused, once"
    );
    // The control: writes are attacked with bodies, and a derived path is filled as expected.
    assert!(
        routes
            .iter()
            .any(|r| r.method == "DELETE" && r.path == "/api/v1/schemas/{schema}/types/{type}")
    );
    assert!(routes.iter().any(|r| r.method == "POST"
        && r.path == "/api/v1/schemas/{schema}/assets"
        && r.body.is_some()));
    assert!(
        routes
            .iter()
            .any(|r| r.path.starts_with("/api/v1/aql/validate?aql="))
    );
}

struct Victim {
    schemas: Vec<String>,
    keys: Vec<String>,
    types: Vec<i64>,
    attributes: Vec<i64>,
    statuses: Vec<i64>,
    issues: Vec<i64>,
    tokens: Vec<i64>,
    views: Vec<i64>,
    kits: Vec<i64>,
    requests: Vec<i64>,
    bookings: Vec<i64>,
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
        for path in [
            format!("/api/v1/schemas/{key}/views"),
            format!("/api/v1/schemas/{key}/kits"),
            format!("/api/v1/schemas/{key}/requests"),
            format!("/api/v1/schemas/{key}/bookings?from=2030-12-01&to=2031-12-01"),
            format!("/api/v1/reports/{key}/counts"),
            format!("/api/v1/reports/{key}/settings"),
        ] {
            out.insert(path.clone(), api.ok("GET", &path, None).await);
        }
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
        let mut views = Vec::new();
        for shared in [true, false] {
            let view = alpha
                .ok(
                    "POST",
                    "/api/v1/schemas/IT/views",
                    Some(json!({"name": format!("alpha {shared}"), "columns": ["Key"], "shared": shared})),
                )
                .await;
            views.push(view["id"].as_i64().unwrap());
        }
        // A kit of laptops (checkoutable for it), which an attacker must neither see nor use.
        let laptop_type = alpha.ok("GET", "/api/v1/schemas/IT", None).await["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "Laptop")
            .unwrap()["id"]
            .clone();
        alpha
            .ok(
                "PUT",
                "/api/v1/schemas/IT/custody-policy",
                Some(json!({"checkoutableTypes": [laptop_type]})),
            )
            .await;
        let kit = alpha
            .ok(
                "POST",
                "/api/v1/schemas/IT/kits",
                Some(json!({"name": "alpha kit", "parts": [{"kind": "asset", "typeId": laptop_type}]})),
            )
            .await;
        let kits = vec![kit["id"].as_i64().unwrap()];
        alpha
            .ok(
                "PUT",
                "/api/v1/schemas/IT/request-policy",
                Some(json!({"project": "AM", "approveStatuses": ["Approved"]})),
            )
            .await;
        let person = alpha.site.admin_account_id.clone();
        let asked = alpha
            .ok(
                "POST",
                "/api/v1/schemas/IT/requests",
                Some(json!({"issue": "AM-1", "wanted": {"kind": "type", "typeId": laptop_type}, "accountId": person, "note": "alpha request"})),
            )
            .await;
        let requests = vec![asked["id"].as_i64().unwrap()];
        let booked = alpha
            .ok(
                "POST",
                "/api/v1/schemas/IT/bookings",
                Some(json!({"accountId": person, "start": "2031-01-10", "end": "2031-01-12", "assets": ["IT-2"], "note": "alpha booking"})),
            )
            .await;
        let bookings = vec![booked["id"].as_i64().unwrap()];
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
            views,
            kits,
            requests,
            bookings,
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
        // Beta also runs the Forge version: its invocation tokens are a third way in.
        beta.sim.forge_install("beta", None).unwrap();
        let beta_bearer = Auth::Bearer(beta_token["token"].as_str().unwrap().to_owned());
        let attackers = ["connect-admin", "api-token", "forge"];
        let attacker_auth = |which: &str| match which {
            "connect-admin" => beta.admin.clone(),
            "api-token" => beta_bearer.clone(),
            // A fresh invocation, as Forge mints one per call.
            _ => Auth::forge_page(&beta.sim, "beta", None),
        };

        let (_, who) = beta
            .call("GET", "/api/v1/whoami", &attacker_auth("forge"), None)
            .await;
        assert_eq!(
            who["clientKey"],
            beta.site.client_key.as_str(),
            "Forge reaches beta: {who}"
        );

        let routes = attacked_routes();
        let strategy = (
            0..routes.len(),
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
        let mut by_attacker = std::collections::BTreeMap::new();
        for _ in 0..300 {
            let (route, schema, key, type_, attribute, status, issue, attacker) =
                strategy.new_tree(&mut runner).unwrap().current();
            let Route {
                method,
                path: template,
                body,
            } = &routes[route];
            let fill = |s: &str| {
                s.replace("{schema}", &victim.schemas[schema])
                    .replace("{key}", &victim.keys[key])
                    .replace("{type}", &victim.types[type_].to_string())
                    .replace("{attribute}", &victim.attributes[attribute].to_string())
                    .replace("{status}", &victim.statuses[status].to_string())
                    .replace("{issue}", &victim.issues[issue].to_string())
                    .replace("{issueKey}", "AM-1")
                    .replace("{token}", &victim.tokens[0].to_string())
                    .replace("{view}", &victim.views[attacker % victim.views.len()].to_string())
                    .replace("{kit}", &victim.kits[attacker % victim.kits.len()].to_string())
                    .replace("{request}", &victim.requests[0].to_string())
                    .replace("{booking}", &victim.bookings[0].to_string())
            };
            let path = fill(template);
            let body = body
                .as_deref()
                .map(|b| serde_json::from_str::<Value>(&fill(b)).unwrap());
            let auth = attacker_auth(attackers[attacker]);
            let (code, response) = beta.call(method, &path, &auth, body).await;
            *statuses.entry(code).or_insert(0) += 1;
            *by_attacker.entry(attackers[attacker]).or_insert(0) += 1;
            assert!(
                code != 401,
                "{} was refused: {method} {path}: {response}",
                attackers[attacker]
            );
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
        assert_eq!(
            by_attacker.len(),
            attackers.len(),
            "every way in was tried: {by_attacker:?}"
        );

        let Api { sim, app, .. } = beta;
        let alpha = Api::on_existing(sim, app, "acme");
        let after = snapshot(&alpha).await;
        assert_eq!(before, after, "the other site's calls changed nothing here");
        alpha.stop().await;
    })
    .await;
}
