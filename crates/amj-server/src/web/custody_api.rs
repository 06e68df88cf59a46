//! `/api/v1/…` for custody: the schema's custody policy, check-out and check-in (one asset, or
//! many in one call, by key or scanned serial), an asset's custody and loans, "my assets" and
//! the overdue list. Every verb takes an `Idempotency-Key`.

use super::AppState;
use super::caller::{ApiJson, ApiQuery, Caller};
use super::error::AppError;
use super::resource::{SiteAsset, SiteSchema};
use amj_domain::custody::{CheckinDraft, CheckoutDraft, Condition, Custody, CustodyPolicy, Holder};
use amj_domain::{AssetId, AssetKey, ValidationErrors, rules};
use amj_store::StoreError;
use amj_store::catalog::SchemaModel;
use amj_store::custody::{HandedOut, Held, Idempotent, KeyUse, Loan};
use amj_store::links::IssueRef;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

type ApiResult<T> = Result<T, AppError>;

/// Most assets one bulk verb takes: a cart of laptops, a returned box of docks.
pub const BULK_MAX: usize = 500;
/// Longest idempotency key: a UUID fits many times over.
const KEY_MAX: usize = 255;
/// Most rows "my assets" and a page of the overdue list return.
const LIST_MAX: usize = 500;

/// The header clients send to make a verb safe to retry (draft-ietf-httpapi-idempotency-key).
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// One asset's check-out in force.
#[derive(Serialize, ToSchema)]
pub struct HeldBody {
    #[schema(example = "IT-42")]
    pub asset: String,
    /// The asset's label, for lists that show it without a second call.
    pub label: String,
    pub custody: Custody,
}

#[derive(Serialize, ToSchema)]
pub struct HeldItemsBody {
    pub items: Vec<HeldBody>,
}

/// What the signed-in person has: assets checked out to them (and what rides on them), the
/// licence seats they hold, and the accessories lent to them.
#[derive(Serialize, ToSchema)]
pub struct MyAssetsBody {
    pub items: Vec<HeldBody>,
    pub seats: Vec<MySeatBody>,
    pub stock: Vec<MyStockBody>,
}

/// A licence seat the person holds.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MySeatBody {
    #[schema(example = "SW-3")]
    pub licence: String,
    pub label: String,
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub assigned_at: i64,
}

/// Stock lent to the person and not yet back.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyStockBody {
    #[schema(example = "IT-31")]
    pub item: String,
    pub label: String,
    pub quantity: i64,
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub since: i64,
}

/// A page of the overdue list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverduePageBody {
    pub items: Vec<HeldBody>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// A check-out that ended, with its asset.
#[derive(Serialize, ToSchema)]
pub struct LoanBody {
    #[schema(example = "IT-42")]
    pub asset: String,
    pub loan: Loan,
}

#[derive(Serialize, ToSchema)]
pub struct LoanItemsBody {
    pub items: Vec<LoanBody>,
}

/// An asset's custody: who has it, whom it is really with, and its past loans.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetCustodyBody {
    /// Whether its type can be checked out at all.
    pub checkoutable: bool,
    /// The check-out in force; `null` when it is in.
    #[schema(required = true)]
    pub custody: Option<Custody>,
    /// Whom it is really with: its holder, or its carriers' holder when it rides on another
    /// asset (a dock on a laptop): a person, a location, or the top carrier when nobody holds
    /// that. `null` when it is in.
    #[schema(required = true)]
    pub effective_holder: Option<Holder>,
    /// The carriers between it and its effective holder, nearest first.
    pub carriers: Vec<String>,
    /// Its ended loans, newest first (at most 50).
    pub loans: Vec<Loan>,
    /// The approved request it is set aside for; `null` when none. Only that request's
    /// fulfilment checks it out.
    #[schema(required = true)]
    pub reservation: Option<ReservationBody>,
}

/// An asset set aside for an approved request.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationBody {
    pub request: i64,
    #[schema(example = "AM-12")]
    pub issue: String,
    /// Whom the request is for.
    pub account_id: String,
}

/// How a loan ended.
#[derive(Serialize, ToSchema)]
pub struct ReturnedBody {
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
    pub by: String,
    pub condition: Condition,
    pub note: String,
}

/// An asset handed out for an issue: out now (`returned` is `null`), or back.
#[derive(Serialize, ToSchema)]
pub struct HandedOutBody {
    #[schema(example = "IT-42")]
    pub asset: String,
    pub label: String,
    pub custody: Custody,
    #[schema(required = true)]
    pub returned: Option<ReturnedBody>,
}

#[derive(Serialize, ToSchema)]
pub struct HandedOutItemsBody {
    pub items: Vec<HandedOutBody>,
    /// Licence seats given for the issue (and not freed since).
    pub seats: Vec<IssueSeatBody>,
    /// Stock issued for the issue, oldest first (at most 500).
    pub stock: Vec<super::stock_api::MoveBody>,
}

/// A licence seat given for an issue.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueSeatBody {
    #[schema(example = "SW-3")]
    pub licence: String,
    pub label: String,
    pub assignee: amj_domain::licence::Assignee,
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub assigned_at: i64,
}

/// One asset of a bulk check-out: its key, and the check-out (as the single verb takes it).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkCheckoutItem {
    #[schema(example = "IT-42")]
    pub asset: String,
    pub holder: Holder,
    /// The day it is due back, `YYYY-MM-DD` (UTC), if any.
    #[serde(default)]
    #[schema(format = Date)]
    pub due: Option<String>,
    #[serde(default)]
    pub issue: Option<String>,
    #[serde(default)]
    pub note: String,
}

impl BulkCheckoutItem {
    /// The check-out it asks for; a due day that is not a date is named with the row.
    fn draft(&self) -> Result<CheckoutDraft, ValidationErrors> {
        let due = match &self.due {
            None => None,
            Some(text) => Some(amj_domain::value::parse_date(text).ok_or_else(|| {
                ValidationErrors::single(
                    "due",
                    rules::FORMAT,
                    format!("Due: {text:?} is not a YYYY-MM-DD date"),
                )
            })?),
        };
        Ok(CheckoutDraft {
            holder: self.holder.clone(),
            due,
            issue: self.issue.clone(),
            note: self.note.clone(),
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCheckoutBody {
    pub items: Vec<BulkCheckoutItem>,
}

/// A bulk check-in: what was scanned, each an asset key or the value of a unique text
/// attribute (a serial number), all coming back in one condition.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkCheckinBody {
    #[schema(example = json!(["IT-42", "SN-5CG1234XYZ"]))]
    pub assets: Vec<String>,
    pub condition: Condition,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueParams {
    /// From the previous page's `nextCursor`.
    pub cursor: Option<String>,
    /// At most 500; 100 if unset.
    pub limit: Option<usize>,
}

fn held_body(held: Held) -> HeldBody {
    HeldBody {
        asset: held.key.to_string(),
        label: held.label,
        custody: held.custody,
    }
}

/// The idempotency key of a verb, if sent: printable ASCII, at most 255 characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let bad = || AppError::BadRequest {
        code: "idempotency_key_invalid",
        message: format!(
            "Idempotency-Key: must be 1 to {KEY_MAX} printable ASCII characters, such as a UUID"
        ),
    };
    let text = value.to_str().map_err(|_| bad())?.trim().trim_matches('"');
    if text.is_empty() || text.len() > KEY_MAX || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(text.to_owned()))
}

/// What identifies a request for its idempotency key: the verb's path and its parsed body, so
/// whitespace or key order does not make a retry look like another request.
fn request_hash(path: &str, body: &impl Serialize) -> ApiResult<String> {
    let bytes = serde_json::to_vec(body).map_err(AppError::internal)?;
    let mut input = path.as_bytes().to_vec();
    input.push(0);
    input.extend_from_slice(&bytes);
    Ok(hex::encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input).as_ref(),
    ))
}

/// A stored response, answered again.
fn replayed(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// A retry's stored response, looked up before anything else is checked: a retry must get the
/// first answer even when what was checked has changed since (the due day is now past, the
/// issue was deleted). `None` when there is no key, or it is unused.
pub(super) async fn replay(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    path: &str,
    request: &impl Serialize,
) -> ApiResult<Option<Response>> {
    let Some(key) = idempotency_key(headers)? else {
        return Ok(None);
    };
    let hash = keyed_hash(caller, path, request)?;
    match state
        .store
        .idempotency_key_use(caller.tenant_id(), &key, &hash)
        .await?
    {
        KeyUse::Replay(r) => Ok(Some(replayed(r.status, r.body))),
        KeyUse::Mismatch => Err(key_reused()),
        KeyUse::Fresh => Ok(None),
    }
}

/// The request's hash, keyed by who asks too: another caller reusing a key is another
/// request, never a replay.
fn keyed_hash(caller: &Caller, path: &str, request: &impl Serialize) -> ApiResult<String> {
    request_hash(&format!("{}\u{0}{path}", caller.actor()), request)
}

fn key_reused() -> AppError {
    AppError::Unprocessable {
        code: "idempotency_key_reused",
        message: "Idempotency-Key: this key was used for another request; use a new key for \
                  each distinct request"
            .into(),
    }
}

/// Runs a verb at most once per idempotency key, after [`replay`] answered known keys: the key
/// is claimed in the verb's transaction, and a concurrent request that claimed it first is
/// answered as it was.
pub(super) async fn once<T: ?Sized + Sync, B: Serialize>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    path: &str,
    request: &impl Serialize,
    render: impl Fn(&T) -> ApiResult<B> + Send + Sync,
    run: impl AsyncFnOnce(Option<&Idempotent<'_, T>>) -> Result<Box<T>, StoreError>,
) -> ApiResult<Response>
where
    Box<T>: Send,
{
    let tenant = caller.tenant_id();
    let Some(key) = idempotency_key(headers)? else {
        let done = run(None).await?;
        return Ok(Json(render(&done)?).into_response());
    };
    // Every verb asked `replay` first, so the key was unused a moment ago; a request that took
    // it since is found below, when this one's claim fails.
    let hash = keyed_hash(caller, path, request)?;
    let stored = |done: &T| -> Result<(u16, String), StoreError> {
        let body = render(done).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        serde_json::to_string(&body)
            .map(|text| (200, text))
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    let idem = Idempotent {
        key: &key,
        request_hash: &hash,
        render: &stored,
    };
    match run(Some(&idem)).await {
        Ok(done) => Ok(Json(render(&done)?).into_response()),
        // A concurrent request with this key committed first: answer as it was answered.
        Err(StoreError::IdempotencyKeyUsed) => {
            match state.store.idempotency_key_use(tenant, &key, &hash).await? {
                KeyUse::Replay(r) => Ok(replayed(r.status, r.body)),
                KeyUse::Mismatch => Err(key_reused()),
                KeyUse::Fresh => Err(AppError::Conflict {
                    code: "idempotency_key_in_use",
                    message: "Idempotency-Key: a request with this key is still running; retry \
                              shortly"
                        .into(),
                }),
            }
        }
        Err(other) => Err(other.into()),
    }
}

/// The assets of a bulk call by key, in order; a key that is not of this schema is named in
/// the row's error.
async fn ids_of_keys(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    keys: &[&str],
) -> ApiResult<Vec<AssetId>> {
    let parsed: Vec<Option<AssetKey>> = keys
        .iter()
        .map(|k| {
            AssetKey::parse(k.trim())
                .ok()
                .filter(|k| k.schema == model.schema.key)
        })
        .collect();
    let numbers: Vec<i64> = parsed.iter().flatten().map(|k| k.number).collect();
    let found = state
        .store
        .assets_by_numbers(caller.tenant_id(), model, &numbers)
        .await?;
    let by_number: HashMap<i64, AssetId> =
        found.into_iter().map(|a| (a.key.number, a.id)).collect();
    let mut ids = Vec::with_capacity(keys.len());
    let mut errors = Vec::new();
    for (row, (key, parsed)) in keys.iter().zip(&parsed).enumerate() {
        match parsed.as_ref().and_then(|k| by_number.get(&k.number)) {
            Some(id) => ids.push(*id),
            None => errors.push((
                row,
                ValidationErrors::single(
                    "asset",
                    rules::REFERENCE_TARGET,
                    format!("{key:?} is not an asset of schema {}", model.schema.key),
                ),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(crate::assets::rows_to_errors(
            errors, true,
        )));
    }
    Ok(ids)
}

/// Most distinct Jira issues one call may name: each is read from Jira.
const ISSUES_MAX: usize = 20;

/// The issues check-outs name, as Jira has them now: each must exist and be visible to the
/// caller (named in the row's error otherwise), and its key is written as Jira spells it (an
/// issue moved to another project has a new key). Answers the issues, for their property.
async fn resolve_issues(
    state: &AppState,
    caller: &Caller,
    drafts: &mut [CheckoutDraft],
    bulk: bool,
) -> ApiResult<Vec<IssueRef>> {
    let mut wanted: Vec<String> = drafts.iter().filter_map(|d| d.issue.clone()).collect();
    wanted.sort();
    wanted.dedup();
    if wanted.len() > ISSUES_MAX {
        return Err(AppError::Validation(ValidationErrors::single(
            "items",
            rules::CARDINALITY,
            format!("items: name at most {ISSUES_MAX} different issues in one call"),
        )));
    }
    let mut found: HashMap<String, IssueRef> = HashMap::new();
    let mut errors = Vec::new();
    for key in &wanted {
        match crate::issues::fetch_issue(
            &state.jira,
            &caller.tenant,
            caller.issue_viewer(),
            &serde_json::Value::String(key.clone()),
        )
        .await
        {
            Ok(issue) => {
                found.insert(key.clone(), issue);
            }
            Err(crate::issues::IssueError::NotFound(_)) => {
                for (row, draft) in drafts.iter().enumerate() {
                    if draft.issue.as_deref() == Some(key) {
                        errors.push((
                            row,
                            ValidationErrors::single(
                                "issue",
                                rules::REFERENCE_TARGET,
                                format!("Issue: {key} does not exist, or you cannot see it"),
                            ),
                        ));
                    }
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|(row, _)| *row);
        return Err(AppError::Validation(crate::assets::rows_to_errors(
            errors, bulk,
        )));
    }
    for draft in drafts.iter_mut() {
        if let Some(issue) = draft.issue.as_ref().and_then(|k| found.get(k)) {
            draft.issue = Some(issue.key.clone());
        }
    }
    Ok(found.into_values().collect())
}

/// Writes the `assets` property of each issue whose hand-outs changed, so JQL's
/// `assetsHandedOut` finds it. Failures are logged (as for links): the verb is done.
async fn sync_issues(state: &AppState, caller: &Caller, issues: &[IssueRef]) {
    for issue in issues {
        crate::issues::sync_issue_property(
            &state.jira,
            &state.store,
            &state.config.app_key,
            &caller.tenant,
            issue.id,
            &issue.key,
        )
        .await;
    }
}

/// The issues the check-outs of some assets are for (read before they are checked in), as
/// the app reads them (the person checking in need not see them), for their property; issues
/// Jira no longer has are left out.
async fn issues_of_custody(
    state: &AppState,
    caller: &Caller,
    assets: &[AssetId],
) -> ApiResult<Vec<String>> {
    let held = state.store.custody_of(caller.tenant_id(), assets).await?;
    let mut keys: Vec<String> = held.into_values().filter_map(|c| c.issue).collect();
    keys.sort_unstable();
    keys.dedup();
    Ok(keys)
}

async fn issues_by_key(state: &AppState, caller: &Caller, keys: &[String]) -> Vec<IssueRef> {
    let mut out = Vec::new();
    for key in keys.iter().take(ISSUES_MAX) {
        if let Ok(issue) = crate::issues::fetch_issue(
            &state.jira,
            &caller.tenant,
            crate::issues::Viewer::App,
            &serde_json::Value::String(key.clone()),
        )
        .await
        {
            out.push(issue);
        }
    }
    out
}

fn check_bulk(len: usize) -> ApiResult<()> {
    if len == 0 || len > BULK_MAX {
        return Err(AppError::Validation(ValidationErrors::single(
            "items",
            rules::CARDINALITY,
            format!("items: send 1 to {BULK_MAX} assets"),
        )));
    }
    Ok(())
}

pub(super) fn today() -> i32 {
    i32::try_from(amj_store::now_millis().div_euclid(86_400_000)).unwrap_or(i32::MAX)
}

// ----- policy -----

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/custody-policy",
    tag = "custody",
    params(super::openapi::SchemaPath),
    responses(
        (status = 200, description = "Which types can be checked out, and the statuses check-out and check-in move to", body = CustodyPolicy),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_policy(SiteSchema { model, .. }: SiteSchema) -> ApiResult<Json<CustodyPolicy>> {
    Ok(Json(model.custody.clone()))
}

/// Asset admins only. Types name their subtypes too; unset statuses mean the schema's first
/// "In use" and "Available" statuses.
#[utoipa::path(
    put,
    path = "/api/v1/schemas/{schema}/custody-policy",
    tag = "custody",
    params(super::openapi::SchemaPath),
    request_body = CustodyPolicy,
    responses(
        (status = 200, description = "The policy as stored", body = CustodyPolicy),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn put_policy(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiJson(policy): ApiJson<CustodyPolicy>,
) -> ApiResult<Json<CustodyPolicy>> {
    caller.require_admin(&state).await?;
    policy
        .validate(&model.types, &model.statuses)
        .map_err(AppError::Validation)?;
    let mut policy = policy;
    policy.checkoutable_types.sort_by_key(|t| t.0);
    policy.checkoutable_types.dedup();
    state
        .store
        .set_custody_policy(caller.tenant_id(), model.schema.id, &policy)
        .await?;
    Ok(Json(policy))
}

// ----- verbs -----

fn check_drafts<'a>(
    items: impl Iterator<Item = (&'a AssetKey, &'a CheckoutDraft)>,
) -> ApiResult<()> {
    let today = today();
    let errors: Vec<(usize, ValidationErrors)> = items
        .enumerate()
        .filter_map(|(row, (key, draft))| draft.validate(key, today).err().map(|e| (row, e)))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(AppError::Validation(crate::assets::rows_to_errors(
        errors, true,
    )))
}

/// Hands an asset to a person, a location or another asset. 409 if it is already out, naming
/// its holder.
#[utoipa::path(
    post,
    path = "/api/v1/assets/{key}/checkout",
    tag = "custody",
    params(super::openapi::AssetPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = CheckoutDraft,
    responses(
        (status = 200, description = "The check-out", body = HeldBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn check_out(
    State(state): State<AppState>,
    target: SiteAsset,
    headers: HeaderMap,
    ApiJson(draft): ApiJson<CheckoutDraft>,
) -> ApiResult<Response> {
    let SiteAsset {
        caller,
        model,
        asset,
        ..
    } = target;
    caller.require_asset_edit(&state, &model.schema).await?;
    let path = format!("/api/v1/assets/{}/checkout", asset.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &draft).await? {
        return Ok(response);
    }
    let today = today();
    draft
        .validate(&asset.key, today)
        .map_err(AppError::Validation)?;
    let request = draft.clone();
    let mut drafts = [draft];
    let issues = resolve_issues(&state, &caller, &mut drafts, false).await?;
    let [draft] = drafts;
    let items = [(asset.id, draft)];
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &request,
        |held: &[Held]| {
            let first = held
                .first()
                .ok_or_else(|| AppError::internal_msg("no check-out"))?;
            Ok(held_body(first.clone()))
        },
        async |idem| {
            state
                .store
                .check_out(caller.tenant_id(), &model, &items, &caller.actor(), idem)
                .await
                .map(Vec::into_boxed_slice)
        },
    )
    .await
    .map_err(single)?;
    sync_issues(&state, &caller, &issues).await;
    Ok(response)
}

/// A single-asset verb reports its errors without the `items[n]` prefix of bulk calls.
fn single(e: AppError) -> AppError {
    match e {
        AppError::Validation(errors) => AppError::Validation(ValidationErrors(
            errors
                .0
                .into_iter()
                .map(|mut e| {
                    if let Some(rest) = e.field.strip_prefix("items[0].") {
                        e.field = rest.to_owned();
                    }
                    e
                })
                .collect(),
        )),
        other => other,
    }
}

/// Takes an asset back, recording its condition. It returns to the schema's available status,
/// unless it came back lost.
#[utoipa::path(
    post,
    path = "/api/v1/assets/{key}/checkin",
    tag = "custody",
    params(super::openapi::AssetPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = CheckinDraft,
    responses(
        (status = 200, description = "The loan that ended", body = LoanBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn check_in(
    State(state): State<AppState>,
    target: SiteAsset,
    headers: HeaderMap,
    ApiJson(draft): ApiJson<CheckinDraft>,
) -> ApiResult<Response> {
    let SiteAsset {
        caller,
        model,
        asset,
        ..
    } = target;
    caller.require_asset_edit(&state, &model.schema).await?;
    let path = format!("/api/v1/assets/{}/checkin", asset.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &draft).await? {
        return Ok(response);
    }
    draft.validate().map_err(AppError::Validation)?;
    let issues = issues_of_custody(&state, &caller, &[asset.id]).await?;
    let items = [(asset.id, draft)];
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &items[0].1,
        |loans: &[(AssetKey, Loan)]| {
            let (key, loan) = loans
                .first()
                .ok_or_else(|| AppError::internal_msg("no check-in"))?;
            Ok(LoanBody {
                asset: key.to_string(),
                loan: loan.clone(),
            })
        },
        async |idem| {
            state
                .store
                .check_in(caller.tenant_id(), &model, &items, &caller.actor(), idem)
                .await
                .map(Vec::into_boxed_slice)
        },
    )
    .await
    .map_err(single)?;
    sync_issues(
        &state,
        &caller,
        &issues_by_key(&state, &caller, &issues).await,
    )
    .await;
    Ok(response)
}

/// Checks out many assets in one call, all or none.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/checkouts",
    tag = "custody",
    params(super::openapi::SchemaPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = BulkCheckoutBody,
    responses(
        (status = 200, description = "The check-outs, in the order sent", body = HeldItemsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn bulk_check_out(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BulkCheckoutBody>,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    check_bulk(body.items.len())?;
    let keys: Vec<&str> = body.items.iter().map(|i| i.asset.as_str()).collect();
    let ids = ids_of_keys(&state, &caller, &model, &keys).await?;
    let parsed: Vec<AssetKey> = body
        .items
        .iter()
        .map(|i| AssetKey::parse(i.asset.trim()))
        .collect::<Result<_, _>>()
        .map_err(|e| AppError::internal_msg(e.to_string()))?;
    let mut drafts = Vec::with_capacity(body.items.len());
    let mut errors = Vec::new();
    for (row, item) in body.items.iter().enumerate() {
        match item.draft() {
            Ok(draft) => drafts.push(draft),
            Err(e) => errors.push((row, e)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(crate::assets::rows_to_errors(
            errors, true,
        )));
    }
    let path = format!("/api/v1/schemas/{}/checkouts", model.schema.key);
    let request: Vec<(String, CheckoutDraft)> = body
        .items
        .iter()
        .zip(&drafts)
        .map(|(i, d)| (i.asset.trim().to_owned(), d.clone()))
        .collect();
    if let Some(response) = replay(&state, &caller, &headers, &path, &request).await? {
        return Ok(response);
    }
    check_drafts(parsed.iter().zip(&drafts))?;
    let issues = resolve_issues(&state, &caller, &mut drafts, true).await?;
    let items: Vec<(AssetId, CheckoutDraft)> = ids.into_iter().zip(drafts).collect();
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &request,
        |held: &[Held]| {
            Ok(HeldItemsBody {
                items: held.iter().cloned().map(held_body).collect(),
            })
        },
        async |idem| {
            state
                .store
                .check_out(caller.tenant_id(), &model, &items, &caller.actor(), idem)
                .await
                .map(Vec::into_boxed_slice)
        },
    )
    .await?;
    sync_issues(&state, &caller, &issues).await;
    Ok(response)
}

/// Checks in what was scanned, all or none: each entry an asset key or a unique text value
/// such as a serial number.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/checkins",
    tag = "custody",
    params(super::openapi::SchemaPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = BulkCheckinBody,
    responses(
        (status = 200, description = "The loans that ended, in the order scanned", body = LoanItemsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn bulk_check_in(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BulkCheckinBody>,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    check_bulk(body.assets.len())?;
    let path = format!("/api/v1/schemas/{}/checkins", model.schema.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &body).await? {
        return Ok(response);
    }
    let draft = CheckinDraft {
        condition: body.condition,
        note: body.note.clone(),
    };
    draft.validate().map_err(AppError::Validation)?;
    let scans: Vec<&str> = body.assets.iter().map(|s| s.trim()).collect();
    let found = state
        .store
        .assets_by_scan(caller.tenant_id(), &model, &scans)
        .await?;
    let mut items = Vec::with_capacity(scans.len());
    let mut errors = Vec::new();
    for (row, scan) in scans.iter().enumerate() {
        match found.get(*scan) {
            Some(id) => items.push((*id, draft.clone())),
            None => errors.push((
                row,
                ValidationErrors::single(
                    "asset",
                    rules::REFERENCE_TARGET,
                    format!(
                        "{scan:?} is neither an asset key of {} nor a unique value (such as a \
                         serial number) of one",
                        model.schema.key
                    ),
                ),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(crate::assets::rows_to_errors(
            errors, true,
        )));
    }
    let ids: Vec<AssetId> = items.iter().map(|(id, _)| *id).collect();
    let issues = issues_of_custody(&state, &caller, &ids).await?;
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &body,
        |loans: &[(AssetKey, Loan)]| {
            Ok(LoanItemsBody {
                items: loans
                    .iter()
                    .map(|(key, loan)| LoanBody {
                        asset: key.to_string(),
                        loan: loan.clone(),
                    })
                    .collect(),
            })
        },
        async |idem| {
            state
                .store
                .check_in(caller.tenant_id(), &model, &items, &caller.actor(), idem)
                .await
                .map(Vec::into_boxed_slice)
        },
    )
    .await?;
    sync_issues(
        &state,
        &caller,
        &issues_by_key(&state, &caller, &issues).await,
    )
    .await;
    Ok(response)
}

// ----- reads -----

#[utoipa::path(
    get,
    path = "/api/v1/assets/{key}/custody",
    tag = "custody",
    params(super::openapi::AssetPath),
    responses(
        (status = 200, description = "Who has the asset, whom it is really with, and its past loans", body = AssetCustodyBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn asset_custody(
    State(state): State<AppState>,
    SiteAsset {
        caller,
        model,
        asset,
        ..
    }: SiteAsset,
) -> ApiResult<Json<AssetCustodyBody>> {
    let tenant = caller.tenant_id();
    let mut current = state.store.custody_of(tenant, &[asset.id]).await?;
    let effective = state.store.effective_holder(tenant, asset.id).await?;
    let loans = state.store.loans_of(tenant, asset.id, 50).await?;
    let reservation = state
        .store
        .reservation_of(tenant, asset.id)
        .await?
        .map(|r| ReservationBody {
            request: r.request,
            issue: r.issue_key,
            account_id: r.account_id,
        });
    let (effective_holder, carriers) = match effective {
        Some((holder, chain)) => (
            Some(holder),
            chain.iter().map(ToString::to_string).collect(),
        ),
        None => (None, Vec::new()),
    };
    Ok(Json(AssetCustodyBody {
        checkoutable: model.custody.is_checkoutable(&model.types, asset.type_id),
        custody: current.remove(&asset.id),
        effective_holder,
        carriers,
        loans,
        reservation,
    }))
}

/// What the signed-in person holds, in every schema: checked out to them, or riding on
/// something checked out to them (the dock on their laptop); and the licence seats they hold
/// and the accessories lent to them.
#[utoipa::path(
    get,
    path = "/api/v1/custody/mine",
    tag = "custody",
    responses(
        (status = 200, description = "The caller's assets, seats and stock, at most 500 of each", body = MyAssetsBody),
        (status = 400, response = super::openapi::BadRequest)
    )
)]
pub async fn my_assets(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<MyAssetsBody>> {
    let account = caller.account_id().ok_or_else(|| AppError::BadRequest {
        code: "no_user",
        message: "\"my assets\" needs a signed-in Jira user; API tokens act for no one".into(),
    })?;
    let tenant = caller.tenant_id();
    let held = state
        .store
        .held_by_person(tenant, &account, LIST_MAX)
        .await?;
    let seats = state
        .store
        .seats_of_person(tenant, &account, LIST_MAX)
        .await?;
    let stock = state
        .store
        .stock_out_of_person(tenant, &account, LIST_MAX)
        .await?;
    Ok(Json(MyAssetsBody {
        items: held.into_iter().map(held_body).collect(),
        seats: seats
            .into_iter()
            .map(|s| MySeatBody {
                licence: s.licence.to_string(),
                label: s.licence_label,
                assigned_at: s.assigned_at,
            })
            .collect(),
        stock: stock
            .into_iter()
            .map(|s| MyStockBody {
                item: s.item.to_string(),
                label: s.item_label,
                quantity: s.quantity,
                since: s.since,
            })
            .collect(),
    }))
}

/// Check-outs past their due day, in every schema, most overdue first.
#[utoipa::path(
    get,
    path = "/api/v1/custody/overdue",
    tag = "custody",
    params(OverdueParams),
    responses(
        (status = 200, description = "A page of overdue check-outs", body = OverduePageBody),
        (status = 400, response = super::openapi::BadRequest)
    )
)]
pub async fn overdue(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<OverdueParams>,
) -> ApiResult<Json<OverduePageBody>> {
    let limit = params.limit.unwrap_or(100);
    if limit == 0 || limit > LIST_MAX {
        return Err(AppError::Validation(ValidationErrors::single(
            "limit",
            rules::MAX,
            format!("limit: must be 1 to {LIST_MAX}"),
        )));
    }
    let after = params
        .cursor
        .as_deref()
        .map(|c| {
            c.split_once('.')
                .and_then(|(d, a)| Some((d.parse::<i32>().ok()?, a.parse::<i64>().ok()?)))
                .ok_or_else(|| {
                    AppError::Validation(ValidationErrors::single(
                        "cursor",
                        rules::FORMAT,
                        "cursor: is not a cursor this API returned",
                    ))
                })
        })
        .transpose()?;
    let tenant = caller.tenant_id();
    let held = state.store.overdue(tenant, today(), after, limit).await?;
    let next_cursor = (held.len() == limit)
        .then(|| held.last())
        .flatten()
        .and_then(|h| Some(format!("{}.{}", h.custody.due?, h.asset_id.0)));
    Ok(Json(OverduePageBody {
        items: held.into_iter().map(held_body).collect(),
        next_cursor,
    }))
}

/// What was handed out for a Jira issue, in every schema: what is out for it now, then what
/// came back (newest first), at most 200 of each. The issue is named by its key.
#[utoipa::path(
    get,
    path = "/api/v1/custody/issues/{issueKey}",
    tag = "custody",
    params(("issueKey" = String, Path, description = "The issue's key, such as HR-12")),
    responses(
        (status = 200, description = "The assets handed out for the issue", body = HandedOutItemsBody),
        (status = 400, response = super::openapi::BadRequest)
    )
)]
pub async fn issue_hand_outs(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(issue): axum::extract::Path<String>,
) -> ApiResult<Json<HandedOutItemsBody>> {
    let key = issue.trim().to_uppercase();
    if !amj_domain::custody::is_issue_key(&key) {
        return Err(AppError::Validation(ValidationErrors::single(
            "issue",
            rules::FORMAT,
            format!("issue: {issue:?} is not an issue key such as HR-12"),
        )));
    }
    let found = state
        .store
        .handed_out_for_issue(caller.tenant_id(), &key, 200)
        .await?;
    let seats = state
        .store
        .seats_for_issue(caller.tenant_id(), &key, 200)
        .await?;
    let stock = state
        .store
        .stock_for_issue(caller.tenant_id(), &key)
        .await?;
    Ok(Json(HandedOutItemsBody {
        stock: stock.into_iter().map(super::stock_api::move_body).collect(),
        items: found.into_iter().map(handed_out_body).collect(),
        seats: seats
            .into_iter()
            .map(|s| IssueSeatBody {
                licence: s.licence.to_string(),
                label: s.licence_label,
                assignee: s.seat.assignee,
                assigned_at: s.seat.assigned_at,
            })
            .collect(),
    }))
}

fn handed_out_body(h: HandedOut) -> HandedOutBody {
    HandedOutBody {
        asset: h.key.to_string(),
        label: h.label,
        custody: h.custody,
        returned: h.returned.map(|loan| ReturnedBody {
            at: loan.returned_at,
            by: loan.returned_by,
            condition: loan.condition,
            note: loan.return_note,
        }),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The issues to report on, as Jira's JQL: `project = AM`, `parent = AM-12` (an epic's
    /// issues), `sprint in openSprints()`… At most 1,000 issues.
    pub jql: String,
    /// The first day of the period, `YYYY-MM-DD` (UTC); unset: from the start.
    pub from: Option<String>,
    /// The last day of the period, `YYYY-MM-DD` (UTC), included; unset: until today.
    pub to: Option<String>,
}

/// The assets used for some Jira work over a period.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustodyReportBody {
    /// How many issues the JQL found.
    pub issues: usize,
    /// What was out for those issues at some time in the period: out now first, then what
    /// came back, newest first (at most 1,000 of each).
    pub items: Vec<HandedOutBody>,
}

/// Which assets were used for a project, an epic, or any JQL, over a period: the check-outs
/// for the issues the JQL finds that were out at some time between `from` and `to`. Asset
/// admins only: the JQL runs with the app's access to Jira.
#[utoipa::path(
    get,
    path = "/api/v1/custody/report",
    tag = "custody",
    params(ReportParams),
    responses(
        (status = 200, description = "The assets handed out for the issues in the period", body = CustodyReportBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden)
    )
)]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> ApiResult<Json<CustodyReportBody>> {
    // The JQL runs with the app's access to Jira, so its answer (and the count of issues it
    // found) could tell a person about issues they cannot browse: admins only.
    caller.require_admin(&state).await?;
    let bad = |field: &str, message: String| {
        AppError::Validation(ValidationErrors::single(field, rules::FORMAT, message))
    };
    let day = |field: &'static str, text: &Option<String>| -> ApiResult<Option<i64>> {
        text.as_deref()
            .map(|t| {
                amj_domain::value::parse_date(t.trim())
                    .map(|d| i64::from(d) * 86_400_000)
                    .ok_or_else(|| bad(field, format!("{field}: {t:?} is not a YYYY-MM-DD date")))
            })
            .transpose()
    };
    let from = day("from", &params.from)?.unwrap_or(i64::MIN);
    // The last day is included: the window ends at the next midnight.
    let to = day("to", &params.to)?.map_or(i64::MAX, |t| t + 86_400_000);
    if from >= to {
        return Err(AppError::Validation(ValidationErrors::single(
            "to",
            rules::MIN,
            "to: must be on or after from",
        )));
    }
    if params.jql.trim().is_empty() {
        return Err(bad(
            "jql",
            "jql: say which issues, such as project = AM".into(),
        ));
    }
    // A site that never handed anything out for an issue needs no search of Jira.
    if !state.store.any_hand_outs(caller.tenant_id()).await? {
        return Ok(Json(CustodyReportBody {
            issues: 0,
            items: Vec::new(),
        }));
    }
    let found = crate::issues::search_issues(&state.jira, &caller.tenant, &params.jql, 1_000)
        .await
        .map_err(|e| match e {
            crate::issues::JqlError::Rejected(message) => {
                bad("jql", format!("jql: Jira rejected it: {message}"))
            }
            crate::issues::JqlError::TooMany(limit) => {
                AppError::Validation(ValidationErrors::single(
                    "jql",
                    rules::MAX,
                    format!("jql: it matches more than {limit} issues; narrow it"),
                ))
            }
            crate::issues::JqlError::Jira(source) => AppError::Jira {
                action: super::error::JiraAction::Call,
                source,
            },
        })?;
    let mut keys: Vec<String> = found
        .into_iter()
        .filter_map(|(_, key)| key.map(|k| k.to_uppercase()))
        .collect();
    keys.sort();
    keys.dedup();
    let items = state
        .store
        .handed_out(caller.tenant_id(), &keys, Some((from, to)), 1_000)
        .await?;
    Ok(Json(CustodyReportBody {
        issues: keys.len(),
        items: items.into_iter().map(handed_out_body).collect(),
    }))
}
