//! The OpenAPI document at `GET /api/v1/openapi.json`: public, OpenAPI 3.1, structurally valid,
//! listing exactly the routes the router serves, and describing what the API really sends and
//! accepts.
//!
//! The document is one database-independent value, so these tests run on SQLite only.

use crate::assets_api::{Api, Auth};
use crate::support::{Backend, TestApp, TestDb};
use amj_jira_sim::Sim;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The operation keys of an OpenAPI 3.1 path item.
const OPERATIONS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn fetch_document(app: &TestApp) -> Value {
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200, "served without credentials");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    response.json().await.unwrap()
}

/// Every `(method, path)` the document describes.
fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in OPERATIONS {
            if item.get(method).is_some() {
                routes.insert((method.to_owned(), path.clone()));
            }
        }
    }
    routes
}

/// The target of a local `$ref` (`#/components/…`), if it resolves.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Follows `$ref`s until a value that is not one.
fn deref<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => match resolve(doc, reference) {
                Some(target) => value = target,
                None => return value,
            },
            None => return value,
        }
    }
    value
}

fn collect_refs(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref"
                    && let Some(reference) = child.as_str()
                {
                    out.push((at.clone(), reference.to_owned()));
                }
                collect_refs(child, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn template_params(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

/// What is wrong with the document's structure; empty when nothing is.
fn structural_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut refs = Vec::new();
    collect_refs(doc, String::new(), &mut refs);
    for (at, reference) in &refs {
        if !reference.starts_with("#/") {
            problems.push(format!("{at}: $ref {reference} is not local"));
        } else if resolve(doc, reference).is_none() {
            problems.push(format!("{at}: $ref {reference} does not resolve"));
        }
    }
    let schemes: BTreeSet<&str> = doc["components"]["securitySchemes"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    let mut operation_ids = BTreeSet::new();
    let Some(paths) = doc["paths"].as_object() else {
        return vec!["no paths".into()];
    };
    for (path, item) in paths {
        if !path.starts_with("/api/v1/") {
            problems.push(format!("{path}: outside /api/v1"));
        }
        let wanted = template_params(path);
        let item_params: Vec<&Value> = item["parameters"]
            .as_array()
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        for method in OPERATIONS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let at = format!("{} {path}", method.to_uppercase());
            match operation["operationId"].as_str() {
                Some(id) if !operation_ids.insert(id.to_owned()) => {
                    problems.push(format!("{at}: duplicate operationId {id}"));
                }
                Some(_) => {}
                None => problems.push(format!("{at}: no operationId")),
            }
            // Responses: at least one, each described.
            match operation["responses"].as_object() {
                Some(responses) if !responses.is_empty() => {
                    for (status, response) in responses {
                        let valid_status = status == "default"
                            || (status.len() == 3
                                && status
                                    .chars()
                                    .next()
                                    .is_some_and(|c| ('1'..='5').contains(&c))
                                && (status[1..].chars().all(|c| c.is_ascii_digit())
                                    || &status[1..] == "XX"));
                        if !valid_status {
                            problems.push(format!("{at}: response status {status:?}"));
                        }
                        if !deref(doc, response)["description"].is_string() {
                            problems.push(format!("{at}: response {status} has no description"));
                        }
                    }
                    if !responses.keys().any(|s| s.starts_with('2')) {
                        problems.push(format!("{at}: no success response"));
                    }
                }
                _ => problems.push(format!("{at}: no responses")),
            }
            // Parameters: unique, and the path ones exactly the template's, all required.
            let mut params: Vec<&Value> = item_params.clone();
            if let Some(own) = operation["parameters"].as_array() {
                params.extend(own);
            }
            let mut seen = BTreeSet::new();
            let mut in_path = BTreeSet::new();
            for param in params {
                let param = deref(doc, param);
                let (Some(name), Some(location)) = (param["name"].as_str(), param["in"].as_str())
                else {
                    problems.push(format!("{at}: parameter without name or in: {param}"));
                    continue;
                };
                if !["path", "query", "header", "cookie"].contains(&location) {
                    problems.push(format!("{at}: parameter {name} in {location:?}"));
                }
                if !seen.insert((name.to_owned(), location.to_owned())) {
                    problems.push(format!("{at}: parameter {name} ({location}) twice"));
                }
                if param.get("schema").is_none() && param.get("content").is_none() {
                    problems.push(format!("{at}: parameter {name} has no schema"));
                }
                if location == "path" {
                    in_path.insert(name.to_owned());
                    if param["required"] != true {
                        problems.push(format!("{at}: path parameter {name} is not required"));
                    }
                }
            }
            if in_path != wanted {
                problems.push(format!(
                    "{at}: path parameters {in_path:?} but the path has {wanted:?}"
                ));
            }
            if let Some(body) = operation.get("requestBody") {
                let body = deref(doc, body);
                if !body["content"]
                    .as_object()
                    .is_some_and(|c| c.contains_key("application/json"))
                {
                    problems.push(format!("{at}: request body without application/json"));
                }
            }
            // Security: named schemes exist; everything but this document needs credentials.
            let security = operation.get("security").unwrap_or(&doc["security"]);
            let requirements = security.as_array().cloned().unwrap_or_default();
            for requirement in &requirements {
                for name in requirement.as_object().into_iter().flat_map(|r| r.keys()) {
                    if !schemes.contains(name.as_str()) {
                        problems.push(format!("{at}: unknown security scheme {name}"));
                    }
                }
            }
            let anonymous = requirements.is_empty()
                || requirements
                    .iter()
                    .any(|r| r.as_object().is_some_and(serde_json::Map::is_empty));
            if anonymous != (path == "/api/v1/openapi.json") {
                problems.push(format!("{at}: anonymous access is {anonymous}"));
            }
            for tag in operation["tags"].as_array().into_iter().flatten() {
                if !tag.as_str().is_some_and(|t| tags.contains(t)) {
                    problems.push(format!("{at}: undeclared tag {tag}"));
                }
            }
        }
    }
    // OpenAPI 3.0's `nullable` has no meaning in 3.1 (JSON Schema 2020-12 uses type arrays).
    if doc.to_string().contains("\"nullable\":") {
        problems.push("a schema uses OpenAPI 3.0's `nullable`".into());
    }
    problems
}

#[tokio::test]
async fn the_document_is_public_openapi_3_1_and_structurally_valid() {
    let db = TestDb::new(Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let doc = fetch_document(&app).await;
    assert_eq!(
        doc,
        serde_json::to_value(amj_server::web::openapi::document()).unwrap(),
        "serves the generated document"
    );

    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Asset Management for Jira API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["servers"][0]["url"], "/");
    let problems = structural_problems(&doc);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["contextJwt"]["type"], "apiKey");
    assert_eq!(schemes["contextJwt"]["in"], "header");
    assert_eq!(schemes["contextJwt"]["name"], "Authorization");
    assert_eq!(schemes["apiToken"]["type"], "http");
    assert_eq!(schemes["apiToken"]["scheme"], "bearer");

    // The main shapes are described, not left as free-form objects.
    for name in [
        "Problem",
        "FieldError",
        "SchemaDraft",
        "SchemaBody",
        "Status",
        "StatusDraft",
        "AssetTypeDraft",
        "AssetTypeBody",
        "AttributeDraft",
        "AttributeKind",
        "AttributeBody",
        "AssetInput",
        "AssetBody",
        "AssetPageBody",
        "HistoryEntryBody",
        "ReferencesBody",
        "IssueLink",
        "ApiToken",
    ] {
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "no schema {name}"
        );
    }
    let kinds: BTreeSet<&str> = doc["components"]["schemas"]["AttributeKind"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|variant| variant["properties"]["kind"]["enum"][0].as_str())
        .collect();
    assert_eq!(kinds.len(), 15, "every attribute kind: {kinds:?}");
    assert!(kinds.contains("reference") && kinds.contains("ip_address"));

    let list = &doc["paths"]["/api/v1/schemas/{schema}/assets"]["get"];
    let query: BTreeSet<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str())
        .collect();
    let expected: BTreeSet<&str> = [
        "type",
        "status",
        "q",
        "sort",
        "order",
        "cursor",
        "limit",
        "includeArchived",
    ]
    .into();
    assert_eq!(query, expected);
    let page = deref(
        &doc,
        &list["responses"]["200"]["content"]["application/json"]["schema"],
    );
    assert!(page["properties"]["nextCursor"].is_object(), "{page}");
    for status in ["401", "404", "503"] {
        assert!(
            list["responses"][status].is_object(),
            "the list documents {status}"
        );
    }

    app.stop().await;
    db.cleanup().await;
}

/// The `/api/v1` paths of the app's router, read from the router itself. axum has no API to
/// list routes, but its `Debug` output names every registered path; if a new axum prints
/// differently, this fails loudly (it finds no routes) rather than passing.
fn router_api_paths(router: &axum::Router) -> BTreeSet<String> {
    let debug = format!("{router:?}");
    let mut paths = BTreeSet::new();
    let mut rest = debug.as_str();
    while let Some(start) = rest.find("\"/api/v1/") {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        paths.insert(after[..end].to_owned());
        rest = &after[end..];
    }
    paths
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_router_serves() {
    let db = TestDb::new(Backend::Sqlite).await;
    let sim = Sim::start().await.unwrap();
    let app = TestApp::start(&db, &sim).await;
    let doc = fetch_document(&app).await;

    // Paths: those the app's router (built as `serve` gets it) has registered under /api/v1.
    let paths = router_api_paths(&amj_server::web::build_app(app.state.clone()));
    assert!(
        paths.contains("/api/v1/whoami") && paths.len() > 10,
        "could not read the router's paths: {paths:?}"
    );
    // Methods: ask the running app. Without credentials a served method answers 401 (this
    // document 200); a method the path does not serve answers 405. HEAD follows GET.
    let mut served = BTreeSet::new();
    for path in &paths {
        let concrete = path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in OPERATIONS.iter().filter(|m| **m != "head") {
            let response = app
                .http
                .request(
                    reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    format!("{}{concrete}", app.base_url),
                )
                .send()
                .await
                .unwrap();
            match response.status().as_u16() {
                405 => {}
                200 | 401 => {
                    served.insert(((*method).to_owned(), path.clone()));
                }
                other => panic!("{method} {concrete} answered {other}: not a route probe"),
            }
        }
    }
    let documented: BTreeSet<(String, String)> = documented_routes(&doc)
        .into_iter()
        .filter(|(method, _)| method != "head")
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not documented: {undocumented:?}\ndocumented but not served: {unserved:?}"
    );
    assert!(served.len() >= 38, "{} routes", served.len());

    app.stop().await;
    db.cleanup().await;
}

// ----- real traffic against the documented schemas -----

/// Checks a JSON value against a schema of the document with a complete JSON Schema 2020-12
/// validator (OpenAPI 3.1's dialect). The schema is compiled inside a copy of the document's
/// `components`, so its local `$ref`s (`#/components/…`) resolve as they do in the document.
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let root = match schema {
        Value::Object(keywords) => {
            let mut root = keywords.clone();
            root.insert("components".into(), doc["components"].clone());
            Value::Object(root)
        }
        other => other.clone(),
    };
    match jsonschema::draft202012::options().build(&root) {
        Ok(validator) => errors.extend(
            validator
                .iter_errors(value)
                .map(|e| format!("{at} at {:?}: {e}", e.instance_path().as_str())),
        ),
        Err(e) => errors.push(format!("{at}: the documented schema does not compile: {e}")),
    }
}

#[test]
fn the_schema_check_refuses_bodies_that_do_not_fit() {
    let doc = serde_json::to_value(amj_server::web::openapi::document()).unwrap();
    let check = |name: &str, value: Value| {
        let mut errors = Vec::new();
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        validate(&doc, &schema, &value, name, &mut errors);
        errors
    };
    assert_eq!(
        check("Problem", json!({"error": {"code": "x", "message": "y"}})),
        Vec::<String>::new()
    );
    assert!(!check("Problem", json!({"error": {"code": 1, "message": "y"}})).is_empty());
    assert!(!check("Problem", json!({"error": {"message": "y"}})).is_empty());
    let draft = json!({"name": "RAM", "kind": "integer", "min": 1});
    assert_eq!(check("AttributeDraft", draft), Vec::<String>::new());
    assert!(!check("AttributeDraft", json!({"name": "RAM", "kind": "integr"})).is_empty());
    assert!(!check("AttributeDraft", json!({"name": "At", "kind": "reference"})).is_empty());
    assert!(!check("AssetInput", json!({"type": "Laptop", "colour": "red"})).is_empty());
    assert!(!check("AssetPageBody", json!({"items": []})).is_empty());
    assert_eq!(
        check("AssetPageBody", json!({"items": [], "nextCursor": null})),
        Vec::<String>::new()
    );
    assert!(
        !check(
            "HistoryEntryBody",
            json!({"id": 1, "at": null, "actor": "a", "kind": "moved"})
        )
        .is_empty()
    );
}

/// Calls the API and checks the request and response bodies against the document. Remembers
/// which operations and statuses it saw.
struct Checker<'a> {
    api: &'a Api,
    doc: Value,
    seen: BTreeMap<(String, String), BTreeSet<u16>>,
    errors: Vec<String>,
}

impl Checker<'_> {
    /// `template` is the documented path; `args` fill its `{…}` segments in order.
    async fn call(
        &mut self,
        method: &str,
        template: &str,
        args: &[&str],
        query: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut args = args.iter();
        let path = template
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    (*args.next().expect("an argument per path parameter")).to_owned()
                } else {
                    s.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let (status, response) = self
            .api
            .call(method, &format!("{path}{query}"), auth, body.clone())
            .await;
        let key = (method.to_lowercase(), template.to_owned());
        self.seen.entry(key.clone()).or_default().insert(status);
        let at = format!("{method} {path}{query} -> {status}");
        let Some(operation) = self.doc["paths"][template].get(&key.0).cloned() else {
            self.errors.push(format!("{at}: not in the document"));
            return (status, response);
        };
        if (200..300).contains(&status)
            && let Some(body) = &body
        {
            let schema = &deref(&self.doc, &operation["requestBody"])["content"]["application/json"]
                ["schema"];
            if schema.is_null() {
                self.errors
                    .push(format!("{at}: sent a body the document does not describe"));
            } else {
                validate(
                    &self.doc,
                    schema,
                    body,
                    &format!("{at} request"),
                    &mut self.errors,
                );
            }
        }
        let documented = operation["responses"]
            .get(status.to_string())
            .or_else(|| operation["responses"].get("default"));
        let Some(documented) = documented else {
            self.errors
                .push(format!("{at}: status not documented: {response}"));
            return (status, response);
        };
        let documented = deref(&self.doc, documented);
        match documented["content"]["application/json"].get("schema") {
            Some(schema) => validate(
                &self.doc,
                schema,
                &response,
                &format!("{at} response"),
                &mut self.errors,
            ),
            None if response.is_null() => {}
            None => self
                .errors
                .push(format!("{at}: body {response} where none is documented")),
        }
        (status, response)
    }

    #[allow(clippy::too_many_arguments)]
    async fn expect(
        &mut self,
        want: u16,
        method: &str,
        template: &str,
        args: &[&str],
        query: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> Value {
        let (status, response) = self.call(method, template, args, query, auth, body).await;
        assert_eq!(
            status, want,
            "{method} {template} {args:?}{query}: {response}"
        );
        response
    }

    async fn ok(
        &mut self,
        method: &str,
        template: &str,
        args: &[&str],
        body: Option<Value>,
    ) -> Value {
        let admin = self.api.admin.clone();
        let (status, response) = self.call(method, template, args, "", &admin, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {template} {args:?}: {status} {response}"
        );
        response
    }
}

#[tokio::test]
async fn real_requests_and_responses_match_the_documented_schemas() {
    let db = TestDb::new(Backend::Sqlite).await;
    let api = Api::start(&db).await;
    let doc = fetch_document(&api.app).await;
    let mut c = Checker {
        api: &api,
        doc: doc.clone(),
        seen: BTreeMap::new(),
        errors: Vec::new(),
    };
    let admin = api.admin.clone();
    let user = api.user.clone();

    c.ok("GET", "/api/v1/whoami", &[], None).await;
    c.ok("GET", "/api/v1/admin/connection", &[], None).await;
    c.expect(403, "GET", "/api/v1/admin/connection", &[], "", &user, None)
        .await;
    let admin_auth = c.api.admin.clone();
    c.expect(
        200,
        "GET",
        "/api/v1/jira/users",
        &[],
        "?query=a",
        &admin_auth,
        None,
    )
    .await;
    c.expect(
        400,
        "GET",
        "/api/v1/jira/users",
        &[],
        "?query=",
        &admin_auth,
        None,
    )
    .await;
    // The Assets field is Forge's: on this Connect site it has no scope.
    c.expect(
        409,
        "GET",
        "/api/v1/asset-field/candidates",
        &[],
        "?field=customfield_10100&q=lap",
        &admin_auth,
        None,
    )
    .await;
    c.expect(
        400,
        "GET",
        "/api/v1/asset-field/candidates",
        &[],
        "?field=summary",
        &admin_auth,
        None,
    )
    .await;
    c.expect(
        409,
        "GET",
        "/api/v1/asset-field/assets",
        &[],
        "?field=customfield_10100&keys=IT-1",
        &admin_auth,
        None,
    )
    .await;
    c.expect(
        400,
        "GET",
        "/api/v1/asset-field/assets",
        &[],
        "?field=customfield_10100&keys=",
        &admin_auth,
        None,
    )
    .await;
    let someone = format!("?accountIds={},557058:nobody", c.api.site.admin_account_id);
    c.expect(
        200,
        "GET",
        "/api/v1/jira/users/bulk",
        &[],
        &someone,
        &admin_auth,
        None,
    )
    .await;
    c.expect(
        400,
        "GET",
        "/api/v1/jira/users/bulk",
        &[],
        "?accountIds=",
        &admin_auth,
        None,
    )
    .await;
    c.call("GET", "/api/v1/openapi.json", &[], "", &Auth::None, None)
        .await;
    c.ok("GET", "/api/v1/schemas", &[], None).await;

    // The catalog.
    c.ok(
        "POST",
        "/api/v1/schemas",
        &[],
        Some(json!({"key": "IT", "name": "IT assets", "description": "Hardware"})),
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/schemas",
        &[],
        Some(json!({"key": "TMP", "name": "Scratch"})),
    )
    .await;
    c.ok(
        "PUT",
        "/api/v1/schemas/{schema}",
        &["IT"],
        Some(json!({"name": "IT assets", "usersCanEdit": false})),
    )
    .await;
    c.ok("DELETE", "/api/v1/schemas/{schema}", &["TMP"], None)
        .await;
    c.ok("GET", "/api/v1/schemas/{schema}/statuses", &["IT"], None)
        .await;
    let lost = c
        .ok(
            "POST",
            "/api/v1/schemas/{schema}/statuses",
            &["IT"],
            Some(json!({"name": "Lost", "category": "retired"})),
        )
        .await["id"]
        .to_string();
    c.ok(
        "PUT",
        "/api/v1/schemas/{schema}/statuses/{id}",
        &["IT", &lost],
        Some(json!({"name": "Missing", "category": "retired"})),
    )
    .await;
    c.ok(
        "DELETE",
        "/api/v1/schemas/{schema}/statuses/{id}",
        &["IT", &lost],
        None,
    )
    .await;

    let types = "/api/v1/schemas/{schema}/types";
    let hardware = c
        .ok(
            "POST",
            types,
            &["IT"],
            Some(json!({"name": "Hardware", "isAbstract": true, "icon": "box"})),
        )
        .await["id"]
        .to_string();
    let location = c
        .ok("POST", types, &["IT"], Some(json!({"name": "Location"})))
        .await["id"]
        .to_string();
    let laptop = c
        .ok("POST", types, &["IT"], Some(json!({"name": "Laptop", "parentId": hardware.parse::<i64>().unwrap(), "icon": "laptop"})))
        .await["id"]
        .to_string();
    let scratch = c
        .ok("POST", types, &["IT"], Some(json!({"name": "Scratch"})))
        .await["id"]
        .to_string();
    let attributes = "/api/v1/schemas/{schema}/types/{id}/attributes";
    let location_id: i64 = location.parse().unwrap();
    for (on, draft) in [
        (
            &hardware,
            json!({"name": "Serial number", "kind": "text", "regex": "^[A-Z0-9-]+$", "unique": true, "description": "As printed"}),
        ),
        (
            &hardware,
            json!({"name": "Located in", "kind": "reference", "targetType": location_id, "referenceType": "located in", "max": 1}),
        ),
        (
            &laptop,
            json!({"name": "RAM (GB)", "kind": "integer", "min": 1, "max": 1024, "required": false}),
        ),
        (
            &laptop,
            json!({"name": "Price", "kind": "decimal", "min": 0}),
        ),
        (&laptop, json!({"name": "Purchased", "kind": "date"})),
        (&laptop, json!({"name": "Last seen", "kind": "datetime"})),
        (
            &laptop,
            json!({"name": "Tags", "kind": "select", "options": ["Loaner", "VIP"], "multiple": true}),
        ),
        (&laptop, json!({"name": "Owner", "kind": "jira_user"})),
        (&laptop, json!({"name": "Encrypted", "kind": "boolean"})),
        (&laptop, json!({"name": "Condition", "kind": "status"})),
    ] {
        c.ok("POST", attributes, &["IT", on], Some(draft)).await;
    }
    let temporary = c
        .ok(
            "POST",
            attributes,
            &["IT", &scratch],
            Some(json!({"name": "Notes", "kind": "textarea"})),
        )
        .await["id"]
        .to_string();
    c.ok(
        "PUT",
        "/api/v1/schemas/{schema}/attributes/{id}",
        &["IT", &temporary],
        Some(json!({"name": "Remarks", "kind": "textarea"})),
    )
    .await;
    c.ok(
        "DELETE",
        "/api/v1/schemas/{schema}/attributes/{id}",
        &["IT", &temporary],
        None,
    )
    .await;
    c.ok(
        "DELETE",
        "/api/v1/schemas/{schema}/types/{id}",
        &["IT", &scratch],
        None,
    )
    .await;
    c.ok("GET", attributes, &["IT", &laptop], None).await;
    c.ok("GET", types, &["IT"], None).await;
    let laptop_type = c
        .ok(
            "GET",
            "/api/v1/schemas/{schema}/types/{id}",
            &["IT", &laptop],
            None,
        )
        .await;
    let name_attribute = laptop_type["attributes"][0]["id"].as_i64().unwrap();
    c.ok(
        "PUT",
        "/api/v1/schemas/{schema}/types/{id}",
        &["IT", &laptop],
        Some(json!({"name": "Laptop", "parentId": hardware.parse::<i64>().unwrap(), "icon": "laptop", "labelAttributeId": name_attribute})),
    )
    .await;
    c.ok("GET", "/api/v1/schemas/{schema}", &["IT"], None).await;

    // Assets.
    let assets = "/api/v1/schemas/{schema}/assets";
    c.ok(
        "POST",
        assets,
        &["IT"],
        Some(json!({"type": "Location", "attributes": {"Name": "Depot"}})),
    )
    .await;
    let laptop_asset = c
        .ok(
            "POST",
            assets,
            &["IT"],
            Some(json!({"type": laptop.parse::<i64>().unwrap(), "status": "In use", "attributes": {
                "Name": "Ada's laptop", "Serial number": "SN-1", "Located in": "IT-1", "RAM (GB)": 32,
                "Price": 1999.5, "Purchased": "2025-03-01", "Last seen": "2026-11-24T10:15:00Z",
                "Tags": ["VIP"], "Owner": api.site.admin_account_id, "Encrypted": true
            }})),
        )
        .await;
    assert_eq!(laptop_asset["key"], "IT-2");
    c.ok("POST", "/api/v1/schemas/{schema}/assets/bulk", &["IT"], Some(json!({"items": [
        {"type": "Laptop", "attributes": {"Name": "Spare 1"}},
        {"type": "Laptop", "status": "Available", "attributes": {"Name": "Spare 2", "Serial number": "SN-3"}}
    ]})))
    .await;
    c.ok("PATCH", "/api/v1/schemas/{schema}/assets/bulk", &["IT"], Some(json!({"items": [
        {"key": "IT-3", "version": 1, "attributes": {"RAM (GB)": 8}},
        {"key": "IT-4", "version": 1, "status": "In repair", "attributes": {"Serial number": null}}
    ]})))
    .await;
    let (_, page) = c
        .call(
            "GET",
            assets,
            &["IT"],
            "?limit=2&sort=key&order=asc",
            &admin,
            None,
        )
        .await;
    let cursor = page["nextCursor"].as_str().expect("a next page").to_owned();
    c.call(
        "GET",
        assets,
        &["IT"],
        &format!("?limit=2&cursor={cursor}"),
        &admin,
        None,
    )
    .await;
    c.call(
        "GET",
        assets,
        &["IT"],
        "?type=Laptop&status=In%20use&q=Ada&includeArchived=true",
        &admin,
        None,
    )
    .await;
    let asset = "/api/v1/assets/{key}";
    c.ok("GET", asset, &["IT-2"], None).await;
    c.ok(
        "PATCH",
        asset,
        &["IT-2"],
        Some(json!({"version": 1, "attributes": {"RAM (GB)": 64}})),
    )
    .await;
    c.ok("PUT", asset, &["IT-2"], Some(json!({"version": 2, "status": "In use", "attributes": {
        "Name": "Ada's laptop", "Serial number": "SN-1", "Located in": "IT-1", "Tags": ["VIP", "Loaner"]
    }})))
    .await;
    c.ok(
        "POST",
        "/api/v1/assets/{key}/archive",
        &["IT-3"],
        Some(json!({"version": 2})),
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/assets/{key}/restore",
        &["IT-3"],
        Some(json!({"version": 3})),
    )
    .await;
    c.call("DELETE", asset, &["IT-4"], "?version=2", &admin, None)
        .await;
    c.call(
        "GET",
        "/api/v1/assets/{key}/history",
        &["IT-2"],
        "?limit=2",
        &admin,
        None,
    )
    .await;
    c.ok("GET", "/api/v1/assets/{key}/references", &["IT-2"], None)
        .await;
    c.ok("GET", "/api/v1/assets/{key}/references", &["IT-1"], None)
        .await;

    // Issue links.
    let issues = "/api/v1/assets/{key}/issues";
    let linked = c
        .ok("POST", issues, &["IT-2"], Some(json!({"issue": "AM-1"})))
        .await;
    let issue_id = linked["issue"]["id"].to_string();
    c.ok(
        "POST",
        issues,
        &["IT-2"],
        Some(json!({"issue": issue_id.parse::<i64>().unwrap()})),
    )
    .await;
    c.ok("GET", issues, &["IT-2"], None).await;
    c.ok("GET", "/api/v1/issues/{issue}/assets", &[&issue_id], None)
        .await;
    c.ok("GET", "/api/v1/assets/{key}/history", &["IT-2"], None)
        .await;
    c.ok(
        "DELETE",
        "/api/v1/assets/{key}/issues/{issue}",
        &["IT-2", &issue_id],
        None,
    )
    .await;

    // API tokens.
    let token = c
        .ok(
            "POST",
            "/api/v1/tokens",
            &[],
            Some(json!({"name": "import script", "readOnly": true})),
        )
        .await;
    let secret = token["token"].as_str().unwrap().to_owned();
    c.ok("GET", "/api/v1/tokens", &[], None).await;
    let bearer = Auth::Bearer(secret);
    c.call("GET", asset, &["IT-2"], "", &bearer, None).await;
    c.call(
        "PATCH",
        asset,
        &["IT-2"],
        "",
        &bearer,
        Some(json!({"version": 3, "attributes": {}})),
    )
    .await;
    c.ok(
        "DELETE",
        "/api/v1/tokens/{id}",
        &[&token["id"].to_string()],
        None,
    )
    .await;

    // Errors keep to the problem body.
    let invalid = c
        .expect(
            400,
            "POST",
            "/api/v1/schemas",
            &[],
            "",
            &admin,
            Some(json!({"key": "it!", "name": ""})),
        )
        .await;
    assert!(
        invalid["error"]["details"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "{invalid}"
    );
    c.expect(400, "GET", assets, &["IT"], "?limit=0", &admin, None)
        .await;
    c.expect(404, "GET", asset, &["IT-99"], "", &admin, None)
        .await;
    c.expect(
        404,
        "GET",
        "/api/v1/schemas/{schema}",
        &["NOPE"],
        "",
        &admin,
        None,
    )
    .await;
    c.expect(
        409,
        "PATCH",
        asset,
        &["IT-2"],
        "",
        &admin,
        Some(json!({"version": 1, "attributes": {}})),
    )
    .await;
    c.expect(
        403,
        "POST",
        "/api/v1/schemas",
        &[],
        "",
        &user,
        Some(json!({"key": "HW", "name": "Hardware"})),
    )
    .await;
    // AQL: a page, a positioned error, and validation with completions.
    let found = c
        .ok(
            "POST",
            "/api/v1/assets/query",
            &[],
            Some(json!({"aql": "objectType = Laptop ORDER BY label", "schema": "IT", "limit": 1})),
        )
        .await;
    assert_eq!(found["totalExact"], true, "{found}");
    c.expect(
        400,
        "POST",
        "/api/v1/assets/query",
        &[],
        "",
        &admin,
        Some(json!({"aql": "Serail = x", "schema": "IT"})),
    )
    .await;
    c.call(
        "GET",
        "/api/v1/aql/validate",
        &[],
        "?schema=IT&aql=status%20%3D%20",
        &user,
        None,
    )
    .await;
    c.expect(401, "GET", "/api/v1/schemas", &[], "", &Auth::None, None)
        .await;
    c.expect(
        401,
        "GET",
        "/api/v1/whoami",
        &[],
        "",
        &Auth::Bearer("amj_nope".into()),
        None,
    )
    .await;

    // The designer's attribute order: reversed, then a stale list refused.
    let schema = c.ok("GET", "/api/v1/schemas/{schema}", &["IT"], None).await;
    let laptop = schema["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Laptop")
        .unwrap()
        .clone();
    let laptop_id = laptop["id"].to_string();
    let mut own: Vec<i64> = laptop["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["typeId"] == laptop["id"])
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    own.reverse();
    let reordered = c
        .ok(
            "PUT",
            "/api/v1/schemas/{schema}/types/{id}/attribute-order",
            &["IT", &laptop_id],
            Some(json!({"attributes": own})),
        )
        .await;
    let shown: Vec<i64> = reordered["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["typeId"] == laptop["id"])
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        shown, own,
        "the type's own attributes come back in the new order"
    );
    c.expect(
        409,
        "PUT",
        "/api/v1/schemas/{schema}/types/{id}/attribute-order",
        &["IT", &laptop_id],
        "",
        &admin,
        Some(json!({"attributes": &own[1..]})),
    )
    .await;

    // Saved views.
    let view = c
        .ok(
            "POST",
            "/api/v1/schemas/{schema}/views",
            &["IT"],
            Some(json!({
                "name": "Big laptops", "aql": "objectType = Laptop", "columns": ["Key", "Label"],
                "sort": {"key": "Key", "dir": "DESC"}, "shared": true
            })),
        )
        .await;
    let view_id = view["id"].to_string();
    c.ok("GET", "/api/v1/schemas/{schema}/views", &["IT"], None)
        .await;
    c.ok(
        "PUT",
        "/api/v1/schemas/{schema}/views/{id}",
        &["IT", &view_id],
        Some(json!({"name": "Laptops", "columns": ["Key"], "sort": null})),
    )
    .await;
    c.ok(
        "DELETE",
        "/api/v1/schemas/{schema}/views/{id}",
        &["IT", &view_id],
        None,
    )
    .await;

    // The dashboard's reports, and their settings.
    c.ok(
        "PUT",
        "/api/v1/reports/{schema}/settings",
        &["IT"],
        Some(json!({"locationAttribute": null, "lifecycleDates": []})),
    )
    .await;
    for report in ["counts", "due", "quality", "settings"] {
        c.ok(
            "GET",
            &format!("/api/v1/reports/{{schema}}/{report}"),
            &["IT"],
            None,
        )
        .await;
    }
    c.call(
        "GET",
        "/api/v1/reports/{schema}/trend",
        &["IT"],
        "?months=6",
        &user,
        None,
    )
    .await;
    c.expect(
        400,
        "GET",
        "/api/v1/reports/{schema}/trend",
        &["IT"],
        "?months=99",
        &user,
        None,
    )
    .await;

    // Last: it changes every laptop's version.
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/assets/bulk-edit",
        &["IT"],
        Some(json!({
            "aql": "objectType = Laptop", "attributes": {"RAM (GB)": 32}
        })),
    )
    .await;

    // Custody: the policy, the verbs (one and bulk, with an idempotency key's replay), reads.
    let policy = "/api/v1/schemas/{schema}/custody-policy";
    c.ok("GET", policy, &["IT"], None).await;
    c.ok(
        "PUT",
        policy,
        &["IT"],
        Some(json!({"checkoutableTypes": [hardware.parse::<i64>().unwrap()]})),
    )
    .await;
    let someone = c.api.site.admin_account_id.clone();
    c.ok(
        "POST",
        "/api/v1/assets/{key}/checkout",
        &["IT-2"],
        Some(
            json!({"holder": {"kind": "user", "accountId": someone}, "issue": "AM-1", "note": "n"}),
        ),
    )
    .await;
    c.expect(
        409,
        "POST",
        "/api/v1/assets/{key}/checkout",
        &["IT-2"],
        "",
        &admin,
        Some(json!({"holder": {"kind": "location", "key": "IT-1"}})),
    )
    .await;
    c.ok("GET", "/api/v1/assets/{key}/custody", &["IT-2"], None)
        .await;
    c.ok("GET", "/api/v1/custody/mine", &[], None).await;
    c.ok("GET", "/api/v1/custody/overdue", &[], None).await;
    c.call(
        "GET",
        "/api/v1/custody/report",
        &[],
        "?jql=project%20%3D%20AM&from=2026-01-01",
        &admin,
        None,
    )
    .await;
    c.ok("GET", "/api/v1/custody/issues/{issueKey}", &["AM-1"], None)
        .await;
    c.ok(
        "POST",
        "/api/v1/assets/{key}/checkin",
        &["IT-2"],
        Some(json!({"condition": "worn"})),
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/checkouts",
        &["IT"],
        Some(json!({"items": [{"asset": "IT-2", "holder": {"kind": "location", "key": "IT-1"}}]})),
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/checkins",
        &["IT"],
        Some(json!({"assets": ["IT-2"], "condition": "good"})),
    )
    .await;

    // Licence seats: the policy, a licence's terms and seats, the schema's licence views.
    let licence_policy = "/api/v1/schemas/{schema}/licence-policy";
    c.ok("GET", licence_policy, &["IT"], None).await;
    c.ok(
        "PUT",
        licence_policy,
        &["IT"],
        Some(json!({"licensedTypes": [location_id]})),
    )
    .await;
    c.ok(
        "PUT",
        "/api/v1/assets/{key}/licence",
        &["IT-1"],
        Some(json!({
            "product": "Depot pass", "entitled": 1, "costPerSeat": 9.5, "currency": "EUR",
            "expires": "2030-01-01", "renews": "2029-12-01"
        })),
    )
    .await;
    c.ok("GET", "/api/v1/assets/{key}/licence", &["IT-1"], None)
        .await;
    c.ok(
        "POST",
        "/api/v1/assets/{key}/seats",
        &["IT-1"],
        Some(json!({"assignees": [{"kind": "user", "accountId": someone}], "issue": "AM-1"})),
    )
    .await;
    c.expect(
        409,
        "POST",
        "/api/v1/assets/{key}/seats",
        &["IT-1"],
        "",
        &admin,
        Some(json!({"assignees": [{"kind": "asset", "key": "IT-2"}]})),
    )
    .await;
    c.ok("GET", "/api/v1/assets/{key}/seats", &["IT-1"], None)
        .await;
    c.ok("GET", "/api/v1/schemas/{schema}/licences", &["IT"], None)
        .await;
    c.ok(
        "GET",
        "/api/v1/schemas/{schema}/licences/compliance",
        &["IT"],
        None,
    )
    .await;
    c.ok(
        "GET",
        "/api/v1/schemas/{schema}/licences/reclaimable",
        &["IT"],
        None,
    )
    .await;
    c.expect(
        422,
        "POST",
        "/api/v1/schemas/{schema}/licences/reclaim",
        &["IT"],
        "",
        &admin,
        Some(json!({"accountIds": [someone]})),
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/assets/{key}/seats/release",
        &["IT-1"],
        Some(json!({"assignees": [{"kind": "user", "accountId": someone}]})),
    )
    .await;

    // Stock: laptops counted as accessories, kept at the location IT-1.
    let stock_policy = "/api/v1/schemas/{schema}/stock-policy";
    c.ok("GET", stock_policy, &["IT"], None).await;
    c.ok(
        "PUT",
        stock_policy,
        &["IT"],
        Some(json!({"accessoryTypes": [laptop["id"]]})),
    )
    .await;
    let movements = "/api/v1/assets/{key}/stock/movements";
    c.ok(
        "POST",
        movements,
        &["IT-2"],
        Some(json!({"kind": "receive", "location": "IT-1", "quantity": 3, "issue": "AM-1"})),
    )
    .await;
    c.ok(
        "POST",
        movements,
        &["IT-2"],
        Some(json!({"kind": "issue", "location": "IT-1", "quantity": 1, "to": {"kind": "user", "accountId": someone}, "issue": "AM-1"})),
    )
    .await;
    c.expect(
        409,
        "POST",
        movements,
        &["IT-2"],
        "",
        &admin,
        Some(json!({"kind": "issue", "location": "IT-1", "quantity": 9, "to": {"kind": "user", "accountId": someone}})),
    )
    .await;
    c.ok(
        "PUT",
        "/api/v1/assets/{key}/stock/minimum",
        &["IT-2"],
        Some(json!({"location": "IT-1", "minimum": 5})),
    )
    .await;
    c.ok("GET", "/api/v1/assets/{key}/stock", &["IT-2"], None)
        .await;
    c.ok("GET", movements, &["IT-2"], None).await;
    c.ok(
        "GET",
        "/api/v1/schemas/{schema}/stock/below-minimum",
        &["IT"],
        None,
    )
    .await;
    c.ok("GET", "/api/v1/assets/{key}", &["IT-2"], None).await;
    c.ok("GET", "/api/v1/custody/issues/{issueKey}", &["AM-1"], None)
        .await;

    // Kits: one of laptops, handed out with IT-2 picked by hand, then deleted.
    let kits = "/api/v1/schemas/{schema}/kits";
    let kit_parts = json!([{"kind": "asset", "typeId": laptop["id"]}]);
    let kit = c
        .ok(
            "POST",
            kits,
            &["IT"],
            Some(json!({"name": "Starter", "parts": kit_parts})),
        )
        .await;
    let kit_id = kit["id"].to_string();
    let one_kit = "/api/v1/schemas/{schema}/kits/{id}";
    c.ok("GET", kits, &["IT"], None).await;
    c.ok("GET", one_kit, &["IT", &kit_id], None).await;
    c.ok(
        "PUT",
        one_kit,
        &["IT", &kit_id],
        Some(json!({"name": "Starter kit", "description": "Day one", "parts": kit_parts})),
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/kits/{id}/checkout",
        &["IT", &kit_id],
        Some(
            json!({"accountId": someone, "issue": "AM-1", "picks": [{"part": 0, "asset": "IT-2"}]}),
        ),
    )
    .await;
    c.ok("DELETE", one_kit, &["IT", &kit_id], None).await;

    // The request approval policy: unset, set, read back, cleared.
    let request_policy = "/api/v1/schemas/{schema}/request-policy";
    c.ok("GET", request_policy, &["IT"], None).await;
    c.ok(
        "PUT",
        request_policy,
        &["IT"],
        Some(json!({"project": "AM", "approveCategory": "done", "rejectStatuses": ["Declined"]})),
    )
    .await;
    c.ok("GET", request_policy, &["IT"], None).await;
    c.ok("DELETE", request_policy, &["IT"], None).await;

    // Requests: AM-2 is In Progress, which approves at once; fulfilled, and one cancelled.
    c.ok(
        "PUT",
        request_policy,
        &["IT"],
        Some(json!({"project": "AM", "approveCategory": "indeterminate"})),
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/assets/{key}/checkin",
        &["IT-2"],
        Some(json!({"condition": "good"})),
    )
    .await;
    let requests = "/api/v1/schemas/{schema}/requests";
    let ask = json!({"issue": "AM-2", "wanted": {"kind": "type", "typeId": laptop["id"]}, "accountId": someone, "note": "new starter"});
    let asked = c.ok("POST", requests, &["IT"], Some(ask.clone())).await;
    let request_id = asked["id"].to_string();
    c.ok("GET", requests, &["IT"], None).await;
    let one_request = "/api/v1/schemas/{schema}/requests/{id}";
    c.ok("GET", one_request, &["IT", &request_id], None).await;
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/requests/{id}/recheck",
        &["IT", &request_id],
        None,
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/requests/{id}/fulfil",
        &["IT", &request_id],
        Some(json!({"note": "handed over"})),
    )
    .await;
    let second = c.ok("POST", requests, &["IT"], Some(ask)).await["id"].to_string();
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/requests/{id}/cancel",
        &["IT", &second],
        Some(json!({"note": "duplicate"})),
    )
    .await;
    c.ok("GET", "/api/v1/issues/{issue}/requests", &["AM-2"], None)
        .await;

    // Bookings: a fresh laptop booked from now, refused twice (overlap, bad input), listed,
    // searched, picked up and returned; a second booking cancelled.
    let loaner = c
        .ok(
            "POST",
            "/api/v1/schemas/{schema}/assets",
            &["IT"],
            Some(json!({"type": "Laptop", "attributes": {"Name": "Loaner", "Serial number": "LOAN-1"}})),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let soon =
        |offset: i64| amj_domain::value::format_datetime(amj_store::now_millis() + offset).unwrap();
    let day = 24 * 60 * 60 * 1000;
    let bookings = "/api/v1/schemas/{schema}/bookings";
    let draft = json!({"accountId": someone, "start": soon(0), "end": soon(day),
        "assets": [loaner], "timeZone": "Europe/Berlin", "issue": "AM-1", "note": "Trip"});
    let booking = c
        .expect(
            201,
            "POST",
            bookings,
            &["IT"],
            "",
            &admin,
            Some(draft.clone()),
        )
        .await;
    let booking_id = booking["id"].to_string();
    c.expect(409, "POST", bookings, &["IT"], "", &admin, Some(draft))
        .await;
    c.expect(
        400,
        "POST",
        bookings,
        &["IT"],
        "",
        &admin,
        Some(json!({"accountId": "nobody", "start": "soon", "end": "later", "assets": []})),
    )
    .await;
    let window = format!(
        "?from={}&to={}&timeZone=Europe/Berlin",
        soon(-day),
        soon(2 * day)
    );
    c.expect(200, "GET", bookings, &["IT"], &window, &admin, None)
        .await;
    c.expect(400, "GET", bookings, &["IT"], "?from=x&to=y", &admin, None)
        .await;
    c.expect(
        200,
        "GET",
        "/api/v1/schemas/{schema}/availability",
        &["IT"],
        &format!(
            "{window}&typeId={}&aql=Name%20IS%20NOT%20EMPTY",
            laptop["id"]
        ),
        &admin,
        None,
    )
    .await;
    let one_booking = "/api/v1/schemas/{schema}/bookings/{id}";
    c.ok("GET", one_booking, &["IT", &booking_id], None).await;
    c.expect(404, "GET", one_booking, &["IT", "999999"], "", &admin, None)
        .await;
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/bookings/{id}/pickup",
        &["IT", &booking_id],
        None,
    )
    .await;
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/bookings/{id}/return",
        &["IT", &booking_id],
        Some(json!({"assets": [loaner], "condition": "good", "note": "back"})),
    )
    .await;
    let later = c
        .expect(
            201,
            "POST",
            bookings,
            &["IT"],
            "",
            &admin,
            Some(json!({"accountId": someone, "start": soon(3 * day), "end": soon(4 * day), "assets": [loaner]})),
        )
        .await["id"]
        .to_string();
    c.ok(
        "POST",
        "/api/v1/schemas/{schema}/bookings/{id}/cancel",
        &["IT", &later],
        None,
    )
    .await;

    let errors = std::mem::take(&mut c.errors);
    assert!(
        errors.is_empty(),
        "{} mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );
    let unexercised: Vec<_> = documented_routes(&doc)
        .into_iter()
        .filter(|route| !c.seen.contains_key(route))
        .collect();
    assert!(
        unexercised.is_empty(),
        "add these operations to this test so their schemas are checked: {unexercised:?}"
    );
    api.stop().await;
    db.cleanup().await;
}
