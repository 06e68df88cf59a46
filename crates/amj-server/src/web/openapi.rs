//! The REST API's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json`.
//!
//! It is generated from the code: each API handler carries a `#[utoipa::path]` annotation, and
//! [`super::api_router`] registers the handlers with `utoipa_axum::routes!`, which takes a route's
//! path and methods from that same annotation. The router and the document are two outputs of
//! one list, so they cannot drift apart.
//!
//! The `…Body` types below are what the handlers return, errors included (`Problem`), so the
//! document describes the bytes on the wire by construction; the integration tests still check
//! real responses against the document. Input types derive their schemas where they are defined,
//! the domain's behind its `openapi` feature.

use amj_domain::ids::{AttributeId, StatusId, TypeId};
use amj_domain::{AttributeKind, FieldError, HistoryEvent, Status, StatusCategory};
use amj_store::api_tokens::ApiToken;
use amj_store::assets::ReferenceEntry;
use amj_store::links::{IssueLink, IssueRef};
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::LazyLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDoc, Ref, RefOr};
use utoipa::{IntoParams, Modify, OpenApi, ToResponse, ToSchema};

/// The name of the Connect JWT security scheme in the document. (`#[utoipa::path]` takes only
/// literals, so annotations spell it out; the tests check every name they use is defined.)
pub const JWT_SCHEME: &str = "contextJwt";
/// The name of the API token security scheme in the document.
pub const TOKEN_SCHEME: &str = "apiToken";
/// The name of the Forge Invocation Token security scheme in the document.
pub const FIT_SCHEME: &str = "forgeInvocationToken";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Asset Management for Jira API",
        version = env!("CARGO_PKG_VERSION"),
        description = "Schemas, statuses, asset types and attributes; assets with their history, \
            references and Jira issue links; and API tokens, for one Jira site.\n\n\
            Authenticate with `Authorization: JWT <context token>` (from a page of the app inside \
            Jira, or an app-signed call) or `Authorization: Bearer amj_…` (an API token created by \
            a Jira site admin), or, through Forge, `Authorization: Bearer <Forge Invocation Token>` \
            with the installation's `x-forge-oauth-system` token beside it. Every error answers `{\"error\":{\"code\",\"message\",\"details\"?}}`."
    ),
    servers((url = "/", description = "This app")),
    security(("contextJwt" = []), ("apiToken" = []), ("forgeInvocationToken" = [])),
    modifiers(&SecuritySchemes),
    components(
        schemas(Problem, ProblemDetail, FieldError),
        responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unprocessable, BadGateway, Unavailable)
    ),
    tags(
        (name = "meta", description = "Who is calling, and this document"),
        (name = "schemas", description = "Schemas group types, statuses and assets; their key prefixes asset keys"),
        (name = "statuses", description = "The statuses of a schema"),
        (name = "types", description = "Asset types and their inheritance"),
        (name = "attributes", description = "Attribute definitions of asset types"),
        (name = "assets", description = "Assets: create, read, update, archive, in bulk too"),
        (name = "issue links", description = "Links between assets and Jira issues"),
        (name = "custody", description = "Check-out and check-in: who holds an asset, since when, until when and for which issue; every verb takes an Idempotency-Key"),
        (name = "licences", description = "Licence seats: terms, seat assignments to people and assets, compliance per licence and per product, and reclaiming the seats of people who left; every verb takes an Idempotency-Key"),
        (name = "stock", description = "Quantity-tracked items (consumables, accessories, components): levels per location, movements (receive, issue, return, move, count) that never take a quantity below zero, minimums and what is below them; movements take an Idempotency-Key"),
        (name = "kits", description = "Kits: named bundles of assets (picked by rule or by hand), licence seats and stock, handed to a person in one action, all or nothing; the check-out takes an Idempotency-Key"),
        (name = "bookings", description = "Bookings: assets or a kit reserved for a person over a time range (never two at once), the calendars that list them, what is free when, and pickup (a check-out) and return (a check-in, in parts for a kit); booking, pickup and return take an Idempotency-Key"),
        (name = "requests", description = "Requests approved in Jira: how an issue's workflow (a status category or statuses of a project) approves or rejects what people ask for from it"),
        (name = "asset field", description = "The Assets field on Forge issues: what its edit view may offer, within the scope a Jira admin set on the field's context"),
        (name = "query", description = "AQL, the asset query language: search, validate and complete"),
        (name = "saved views", description = "Saved views of the asset list: a query, its columns and sort, a person's own or shared with the site"),
        (name = "reports", description = "The dashboard's figures, from maintained counters: each slice carries the AQL of its assets"),
        (name = "API tokens", description = "Tokens for scripts outside Jira; managed by site admins")
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            JWT_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`JWT <token>`: an Atlassian Connect context token (from `AP.context.getToken()` \
                 in one of the app's pages) or a JWT signed by the app for the site. Only in this \
                 header, never in the query string.",
            ))),
        );
        components.add_security_scheme(
            TOKEN_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("amj_…")
                    .description(Some(
                        "`Bearer amj_…`: an API token created by a Jira site admin. Read-only \
                         tokens may only read; tokens cannot manage tokens.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            FIT_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`Bearer <FIT>`: a Forge Invocation Token, RS256-signed by Forge for this \
                         app, as `invokeRemote` sends it. Accepted when the server runs with \
                         `--forge-app-id`. Forge adds the installation's system token in \
                         `x-forge-oauth-system`; the app keeps it to call Jira.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Adds what every authenticated operation can answer: 401 without valid credentials, and 503
/// when the database or Jira cannot be reached. Runs on the assembled document, after the routes'
/// operations are in it.
pub fn add_common_responses(openapi: &mut OpenApiDoc) {
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
            &mut item.query,
        ];
        for operation in operations.into_iter().flatten() {
            let public = operation
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| r == &Default::default()));
            if public {
                continue;
            }
            let responses = &mut operation.responses.responses;
            responses
                .entry("401".into())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Unauthorized")));
            responses
                .entry("503".into())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Unavailable")));
        }
    }
}

/// The document as served: the routes' operations, the shared components and common responses.
pub fn document() -> OpenApiDoc {
    let (_, mut openapi) = super::api_router().split_for_parts();
    add_common_responses(&mut openapi);
    openapi
}

static DOCUMENT_JSON: LazyLock<Result<Bytes, String>> = LazyLock::new(|| {
    serde_json::to_vec(&document())
        .map(Bytes::from)
        .map_err(|e| e.to_string())
});

/// This document. Public: it describes the API and holds nothing of any site.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    operation_id = "openapi",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object))
)]
pub async fn openapi_json() -> Response {
    match &*DOCUMENT_JSON {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not serialize the OpenAPI document");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

// ----- errors -----

/// The body of every error.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "validation_failed", "message": "Name: is required", "details": [{"field": "name", "rule": "required", "message": "Name: is required"}]}}))]
pub struct Problem {
    pub error: ProblemDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemDetail {
    /// A stable, machine-readable reason, e.g. `validation_failed`, `schema_not_found`,
    /// `stale_version`, `expired`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// Every failing field and rule; only with `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub details: Option<Vec<FieldError>>,
    /// Where an AQL query went wrong; only with `aql_invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub aql: Option<AqlErrorBody>,
}

/// The position of an AQL error, for editors to underline and people to read.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AqlErrorBody {
    /// The message without the position.
    pub message: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Byte offset into the query.
    pub offset: usize,
    /// The line of the query with a caret under the error, as plain text.
    pub excerpt: String,
}

/// The result of `POST /api/v1/assets/query`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryPageBody {
    /// The key of the schema the query ran in.
    pub schema: String,
    pub items: Vec<AssetBody>,
    /// Pass as `cursor` with the same `aql` for the next page; `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// How many assets match, on the first page only (`null` on later pages). Counting stops at
    /// 1,000; `totalExact` says whether it stopped.
    #[schema(required = true)]
    pub total: Option<i64>,
    #[schema(required = true)]
    pub total_exact: Option<bool>,
}

/// The result of `GET /api/v1/aql/validate`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AqlValidationBody {
    pub valid: bool,
    /// The first error, if the query is not valid.
    #[schema(required = true)]
    pub error: Option<AqlErrorBody>,
    pub completions: CompletionsBody,
}

/// Suggestions at the cursor and the part of the query they replace.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompletionsBody {
    pub replace_start: usize,
    pub replace_end: usize,
    pub items: Vec<CompletionBody>,
}

#[derive(Serialize, ToSchema)]
pub struct CompletionBody {
    pub label: String,
    pub insert: String,
    /// `attribute`, `keyword`, `status`, `type` or `value`.
    pub kind: String,
}

/// The request is malformed (not JSON, unknown fields, bad query) or breaks the model's rules
/// (`validation_failed`, with every failing field in `details`).
#[derive(ToResponse)]
pub struct BadRequest(pub Problem);

/// The credentials are missing, malformed, expired, revoked or not signed by the site.
#[derive(ToResponse)]
#[response(headers(("WWW-Authenticate" = String, description = "`JWT realm=\"<app key>\"`")))]
pub struct Unauthorized(pub Problem);

/// The caller may not do this: only Jira site admins (or read-write API tokens) manage schemas;
/// editing assets may be limited to admins; read-only tokens only read.
#[derive(ToResponse)]
pub struct Forbidden(pub Problem);

/// No such schema, status, type, attribute, asset, link or token on this site.
#[derive(ToResponse)]
pub struct NotFound(pub Problem);

/// The change conflicts with the current state: a duplicate, something still in use, an archived
/// asset, or a stale `version` (someone changed it since you read it).
#[derive(ToResponse)]
pub struct Conflict(pub Problem);

/// The request cannot be used as sent: an `Idempotency-Key` already used for another request.
#[derive(ToResponse)]
pub struct Unprocessable(pub Problem);

/// Jira answered, but not usefully: it refused the app's credentials for the site, or sent
/// something the app cannot read.
#[derive(ToResponse)]
pub struct BadGateway(pub Problem);

/// The database, or Jira (for a permission check or an issue), cannot be reached; retry.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = String, description = "Seconds to wait")))]
pub struct Unavailable(pub Problem);

// ----- path and query parameters -----

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SchemaPath {
    /// The schema's key, e.g. `IT`.
    pub schema: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SchemaItemPath {
    /// The schema's key, e.g. `IT`.
    pub schema: String,
    /// The numeric id of the status, type or attribute.
    pub id: i64,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AssetPath {
    /// The asset's key, e.g. `IT-42`.
    pub key: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AssetIssuePath {
    /// The asset's key, e.g. `IT-42`.
    pub key: String,
    /// The numeric Jira issue id.
    pub issue: i64,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IssuePath {
    /// The numeric Jira issue id.
    pub issue: i64,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenPath {
    /// The token's id.
    pub id: i64,
}

// ----- shared input shapes -----

/// An id (integer), or a name (string, matched case-insensitively).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum IdOrName {
    Id(i64),
    Name(String),
}

/// A Jira issue key (`PROJ-12`) or numeric issue id.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum IssueKeyOrId {
    Id(i64),
    Key(String),
}

// ----- catalog responses -----

/// A schema.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaBody {
    pub id: i64,
    /// The prefix of its asset keys: an uppercase letter, then uppercase letters or digits.
    #[schema(example = "IT")]
    pub key: String,
    pub name: String,
    pub description: String,
    /// Whether plain Jira users (not only site admins) may create and edit its assets.
    pub users_can_edit: bool,
}

/// A schema with its statuses and types (each with its effective attributes).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaDetailBody {
    pub id: i64,
    #[schema(example = "IT")]
    pub key: String,
    pub name: String,
    pub description: String,
    pub users_can_edit: bool,
    pub statuses: Vec<Status>,
    pub types: Vec<AssetTypeBody>,
}

#[derive(Serialize, ToSchema)]
pub struct SchemaListBody {
    pub schemas: Vec<SchemaBody>,
}

#[derive(Serialize, ToSchema)]
pub struct StatusListBody {
    pub statuses: Vec<Status>,
}

/// An asset type with its effective attributes: its own and those it inherits.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetTypeBody {
    pub id: TypeId,
    pub name: String,
    /// The type it inherits from; `null` for a root type.
    #[schema(required = true)]
    pub parent_id: Option<TypeId>,
    pub icon: String,
    pub description: String,
    /// Abstract types have no assets of their own, only of their subtypes.
    pub is_abstract: bool,
    /// The text attribute whose value labels its assets (own or inherited); `null` labels them
    /// by key.
    #[schema(required = true)]
    pub label_attribute_id: Option<AttributeId>,
    /// The ids of its direct subtypes.
    pub children: Vec<TypeId>,
    pub attributes: Vec<AttributeBody>,
}

#[derive(Serialize, ToSchema)]
pub struct TypeListBody {
    pub types: Vec<AssetTypeBody>,
}

/// An attribute definition: its kind's fields (`kind` and that kind's constraints) beside the
/// common ones.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttributeBody {
    pub id: AttributeId,
    /// The type that declares it; subtypes inherit it.
    pub type_id: TypeId,
    pub name: String,
    #[serde(flatten)]
    pub kind: AttributeKind,
    pub required: bool,
    pub unique: bool,
    pub description: String,
    /// Order within the declaring type.
    pub position: i32,
    /// In a type's attribute list: whether it is declared by an ancestor type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub inherited: Option<bool>,
    /// For `reference` attributes: the name of the target type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AttributeListBody {
    pub attributes: Vec<AttributeBody>,
}

// ----- assets -----

#[derive(Serialize, ToSchema)]
pub struct AssetTypeRef {
    pub id: TypeId,
    #[schema(required = true)]
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AssetStatusRef {
    pub id: StatusId,
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(required = true)]
    pub category: Option<StatusCategory>,
}

/// When and by whom.
#[derive(Serialize, ToSchema)]
pub struct Stamp {
    /// RFC 3339, UTC.
    #[schema(required = true, format = DateTime)]
    pub at: Option<String>,
    /// A Jira accountId, `app`, or `api-token:<id>`.
    pub by: String,
}

/// An asset.
#[derive(Serialize, ToSchema)]
pub struct AssetBody {
    #[schema(example = "IT-42")]
    pub key: String,
    pub id: i64,
    /// The schema's key.
    pub schema: String,
    #[serde(rename = "type")]
    pub asset_type: AssetTypeRef,
    /// The value of the type's label attribute, or the key.
    pub label: String,
    pub status: AssetStatusRef,
    /// Values by attribute name; attributes without a value are left out. Multi-valued
    /// attributes (multiple selects and users, references) are arrays. Dates are `YYYY-MM-DD`,
    /// datetimes RFC 3339, references asset keys, statuses ids.
    #[schema(value_type = Object, example = json!({"Serial number": "SN-1", "RAM (GB)": 16}))]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Send it back with a change: a change to a newer version is refused with 409.
    pub version: i64,
    pub archived: bool,
    pub created: Stamp,
    pub updated: Stamp,
    /// When it moved into its Retired-category status (RFC 3339); `null` in any other status.
    /// AQL's `retired` compares this.
    #[schema(required = true)]
    pub retired: Option<String>,
    /// The check-out in force (who holds it, since when, until when, for which issue); `null`
    /// when it is in. AQL's `holder`, `due` and `checkedOut` compare this.
    #[schema(required = true)]
    pub custody: Option<amj_domain::custody::Custody>,
    /// For a licence with terms, its seats (entitled, assigned, free); `null` otherwise. AQL's
    /// `seatsEntitled`, `seatsAssigned` and `seatsFree` compare these.
    #[schema(required = true)]
    pub seats: Option<amj_domain::licence::SeatCounts>,
    /// For a stock item that has moved, its totals (on the shelves, issued, locations below
    /// their minimum); `null` otherwise. AQL's `quantity` and `belowMinimum` compare these.
    #[schema(required = true)]
    pub stock: Option<amj_domain::stock::StockCounts>,
}

/// A page of assets.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetPageBody {
    pub items: Vec<AssetBody>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// The assets a bulk call created or updated, in the order sent.
#[derive(Serialize, ToSchema)]
pub struct AssetItemsBody {
    pub items: Vec<AssetBody>,
}

/// One change of an asset. Names and values are as they were at the time.
#[derive(Serialize, ToSchema)]
pub struct HistoryEntryBody {
    pub id: i64,
    /// RFC 3339, UTC.
    #[schema(required = true, format = DateTime)]
    pub at: Option<String>,
    /// A Jira accountId, `app`, or `api-token:<id>`.
    pub actor: String,
    #[serde(flatten)]
    pub event: HistoryEvent,
}

/// A page of an asset's history, newest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPageBody {
    pub items: Vec<HistoryEntryBody>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<i64>,
}

/// A reference from this asset to another.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboundReferenceBody {
    pub attribute_id: AttributeId,
    pub attribute: String,
    /// How the link reads, e.g. "installed on".
    pub reference_type: String,
    /// The target asset's key.
    pub key: String,
    /// `null` when the target no longer exists.
    #[schema(required = true)]
    pub label: Option<String>,
    #[schema(required = true)]
    pub archived: Option<bool>,
}

/// What this asset references, and a page of what references it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReferencesBody {
    pub outbound: Vec<OutboundReferenceBody>,
    pub inbound: Vec<ReferenceEntry>,
    /// Pass as `cursor` for the next page of `inbound`; `null` on the last page.
    #[schema(required = true)]
    pub next_inbound_cursor: Option<i64>,
}

// ----- issue links -----

#[derive(Serialize, ToSchema)]
pub struct IssueLinksBody {
    pub items: Vec<IssueLink>,
}

/// The link, and whether the issue's `assets` property (searchable in JQL) was updated.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkResultBody {
    pub issue: IssueRef,
    /// `false` when the link already existed.
    pub created: bool,
    pub property_synced: bool,
}

/// An asset linked to an issue.
#[derive(Serialize, ToSchema)]
pub struct IssueAssetBody {
    pub key: String,
    pub id: i64,
    pub label: String,
    pub archived: bool,
    pub status: IssueAssetStatus,
}

/// The asset's status, for lozenges.
#[derive(Serialize, ToSchema)]
pub struct IssueAssetStatus {
    pub name: String,
    /// available, in_use, maintenance or retired.
    pub category: String,
}

#[derive(Serialize, ToSchema)]
pub struct IssueAssetsBody {
    pub items: Vec<IssueAssetBody>,
}

// ----- API tokens -----

#[derive(Serialize, ToSchema)]
pub struct TokenListBody {
    pub items: Vec<ApiToken>,
}

/// A new token, with its secret: shown this once, never again.
#[derive(Serialize, ToSchema)]
pub struct CreatedTokenBody {
    #[serde(flatten)]
    pub details: ApiToken,
    /// The secret to send as `Authorization: Bearer …`.
    #[schema(example = "amj_…")]
    pub token: String,
}
