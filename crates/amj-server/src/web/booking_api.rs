//! `/api/v1/schemas/{schema}/bookings…` and `/availability`: booking assets (or a kit) for a
//! person over a time range, the calendars and timelines that list bookings, the search for
//! what is free, and the verbs that move a booking on: pickup (a check-out), return (a
//! check-in, whole or in part) and cancel. Booking, pickup and return take an
//! `Idempotency-Key`; a cancel needs none (a second one is a 409 that says it is cancelled).
//!
//! Times are read in the caller's time zone (`timeZone`, the person's Jira profile zone, which
//! the front end sends), so "3–7 March" means those days where the person is.

use super::AppState;
use super::caller::{ApiJson, ApiQuery, Caller};
use super::custody_api::{once, replay};
use super::error::AppError;
use super::resource::SiteSchema;
use super::shared::resolve_issue;
use amj_domain::aql::Filter;
use amj_domain::booking::{BookingDraft, BookingState, Phase, Zone};
use amj_domain::custody::{Condition, NOTE_MAX};
use amj_domain::ids::TypeId;
use amj_domain::value::format_datetime;
use amj_domain::{AssetKey, ValidationErrors, rules};
use amj_store::booking::{AvailabilityQuery, Booking, BookingQuery, ReturnPlan};
use amj_store::catalog::SchemaModel;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

type ApiResult<T> = Result<T, AppError>;

/// The widest window a listing or a search covers: a year's calendar, and a little.
const WINDOW_MAX_DAYS: i64 = 400;
/// Most rows a listing returns when no limit is given, and at most.
const LIST_DEFAULT: usize = 500;
/// Most assets an availability search returns when no limit is given, and at most.
const FREE_DEFAULT: usize = 50;
const FREE_MAX: usize = 500;

/// A booking, with where it stands now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingBody {
    pub id: i64,
    /// The person it is for.
    pub account_id: String,
    /// RFC 3339, UTC; the range is half-open.
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    /// The zone it was booked in: its due day at pickup is the last local day.
    pub time_zone: String,
    pub state: BookingState,
    /// The state read against the clock: `missed` (never picked up) and `late` (not all back
    /// by the end) are derived, never stored.
    pub phase: Phase,
    /// The kit it was booked as, if any.
    #[schema(required = true)]
    pub kit: Option<BookedKitBody>,
    #[schema(required = true)]
    pub issue: Option<String>,
    pub note: String,
    pub assets: Vec<BookedAssetBody>,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub created_by: String,
    #[schema(required = true, format = DateTime)]
    pub picked_up_at: Option<String>,
    #[schema(required = true)]
    pub picked_up_by: Option<String>,
    /// When it was returned or cancelled.
    #[schema(required = true, format = DateTime)]
    pub closed_at: Option<String>,
    #[schema(required = true)]
    pub closed_by: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BookedKitBody {
    pub id: i64,
    pub name: String,
}

/// One asset a booking holds.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookedAssetBody {
    #[schema(example = "IT-42")]
    pub key: String,
    pub label: String,
    pub type_id: i64,
    /// The kit part it stands for (from 0), when the booking is a kit's.
    #[schema(required = true)]
    pub part: Option<i64>,
    /// When it came back, once it has.
    #[schema(required = true, format = DateTime)]
    pub returned_at: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BookingsBody {
    pub items: Vec<BookingBody>,
    /// The window as read, RFC 3339.
    #[schema(format = DateTime)]
    pub from: String,
    #[schema(format = DateTime)]
    pub to: String,
    /// Whether more bookings fell in the window than the limit let through.
    pub truncated: bool,
}

/// An asset free over the range asked about.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FreeAssetBody {
    #[schema(example = "IT-42")]
    pub key: String,
    pub label: String,
    pub type_id: i64,
    /// The asset's status now.
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityBody {
    pub items: Vec<FreeAssetBody>,
    #[schema(format = DateTime)]
    pub from: String,
    #[schema(format = DateTime)]
    pub to: String,
}

/// What comes back of a picked-up booking.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookingReturn {
    /// The assets that come back (`IT-42`); all still out when empty or absent. A kit may come
    /// back in parts.
    #[serde(default)]
    pub assets: Vec<String>,
    pub condition: Condition,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct BookingListParams {
    /// The window's start: a date (`2030-03-01`, in `timeZone`), a local time, or RFC 3339.
    pub from: String,
    /// The window's end, the same forms; a date alone is the end of that day.
    pub to: String,
    /// The IANA zone dates and local times are read in; `UTC` when absent.
    pub time_zone: Option<String>,
    /// Only bookings of this asset (`IT-42`): its calendar.
    pub asset: Option<String>,
    /// Only bookings of assets of this type or its subtypes: a type's calendar.
    pub type_id: Option<i64>,
    /// Only bookings of assets at this location (`IT-7`), by the schema's location attribute
    /// (report settings): a location's timeline.
    pub location: Option<String>,
    /// Only bookings of assets matching this AQL.
    pub aql: Option<String>,
    /// Only this person's bookings.
    pub account_id: Option<String>,
    /// Cancelled bookings too (default: not).
    pub include_cancelled: Option<bool>,
    /// 1 to 2,000; 500 when absent.
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AvailabilityParams {
    /// The range's start: a date (in `timeZone`), a local time, or RFC 3339.
    pub from: String,
    /// The range's end, the same forms; a date alone is the end of that day.
    pub to: String,
    /// The IANA zone dates and local times are read in (`UTC` when absent). It also says the
    /// range's first local day: an asset out on a loan due before that day is free.
    pub time_zone: Option<String>,
    /// Assets of this type or its subtypes; every checkoutable type when absent.
    pub type_id: Option<i64>,
    /// Assets at this location (`IT-7`), by the schema's location attribute.
    pub location: Option<String>,
    /// Assets matching this AQL too (`"Screen size" = 14`).
    pub aql: Option<String>,
    /// 1 to 500; 50 when absent.
    pub limit: Option<usize>,
}

fn instant_text(millis: i64) -> String {
    format_datetime(millis).unwrap_or_else(|| millis.to_string())
}

pub(super) fn booking_body(booking: &Booking, now: i64) -> BookingBody {
    BookingBody {
        id: booking.id,
        account_id: booking.account_id.clone(),
        start: instant_text(booking.start),
        end: instant_text(booking.end),
        time_zone: booking.time_zone.clone(),
        state: booking.state,
        phase: booking.phase(now),
        kit: booking.kit.as_ref().map(|(id, name)| BookedKitBody {
            id: *id,
            name: name.clone(),
        }),
        issue: booking.issue.clone(),
        note: booking.note.clone(),
        assets: booking
            .assets
            .iter()
            .map(|a| BookedAssetBody {
                key: a.key.to_string(),
                label: a.label.clone(),
                type_id: a.type_id.0,
                part: a.part,
                returned_at: a.returned_at.map(instant_text),
            })
            .collect(),
        created_at: instant_text(booking.created_at),
        created_by: booking.created_by.clone(),
        picked_up_at: booking.picked_up_at.map(instant_text),
        picked_up_by: booking.picked_up_by.clone(),
        closed_at: booking.closed_at.map(instant_text),
        closed_by: booking.closed_by.clone(),
    }
}

fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> AppError {
    AppError::Validation(ValidationErrors::single(field, rule, message))
}

/// Reads a window (`from`, `to` in `zone`): both times, `to` after `from`, at most
/// [`WINDOW_MAX_DAYS`] apart.
fn window(from: &str, to: &str, zone: Option<&str>) -> ApiResult<(i64, i64, Zone)> {
    let zone = match zone {
        None => Zone::utc(),
        Some(name) => Zone::parse(name).ok_or_else(|| {
            invalid(
                "timeZone",
                rules::OPTION,
                format!("timeZone: {name:?} is not an IANA time zone such as Europe/Berlin"),
            )
        })?,
    };
    let start = zone.instant(from, false).ok_or_else(|| {
        invalid(
            "from",
            rules::FORMAT,
            format!("from: {from:?} is not a time"),
        )
    })?;
    let end = zone
        .instant(to, true)
        .ok_or_else(|| invalid("to", rules::FORMAT, format!("to: {to:?} is not a time")))?;
    if end <= start {
        return Err(invalid("to", rules::MIN, "to: must be after from"));
    }
    if end - start > WINDOW_MAX_DAYS * 24 * 60 * 60 * 1000 {
        return Err(invalid(
            "to",
            rules::MAX,
            format!("to: the window spans at most {WINDOW_MAX_DAYS} days"),
        ));
    }
    Ok((start, end, zone))
}

fn limit(asked: Option<usize>, default: usize, max: usize) -> ApiResult<usize> {
    let limit = asked.unwrap_or(default);
    if limit == 0 || limit > max {
        return Err(invalid(
            "limit",
            rules::MAX,
            format!("limit: must be 1 to {max}"),
        ));
    }
    Ok(limit)
}

fn type_filter(model: &SchemaModel, type_id: Option<i64>) -> ApiResult<Option<Vec<TypeId>>> {
    let Some(id) = type_id else {
        return Ok(None);
    };
    if model.asset_type(TypeId(id)).is_none() {
        return Err(invalid(
            "typeId",
            rules::REFERENCE_TARGET,
            format!("typeId: no type {id} in schema {}", model.schema.key),
        ));
    }
    Ok(Some(model.types.descendants_and_self(TypeId(id))))
}

/// The AQL a listing or a search narrows by: a location (through the schema's location
/// attribute) and the caller's own query, each resolved on its own so an error's position is
/// in the text the caller wrote.
async fn asset_filter(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    location: Option<&str>,
    aql: Option<&str>,
) -> ApiResult<Option<Filter>> {
    let mut parts = Vec::new();
    if let Some(location) = location {
        let key = AssetKey::parse(location.trim()).map_err(|_| {
            invalid(
                "location",
                rules::FORMAT,
                format!("location: {location:?} is not an asset key such as IT-7"),
            )
        })?;
        let settings = state
            .store
            .report_settings(caller.tenant_id(), model.schema.id)
            .await?;
        let attribute = settings
            .location_attribute
            .and_then(|id| model.attribute(id))
            .ok_or_else(|| AppError::Conflict {
                code: "location_not_configured",
                message: format!(
                    "schema {} has no location attribute: choose one in its report settings",
                    model.schema.key
                ),
            })?;
        let text = amj_domain::report::slice_reference(&attribute.name, &key.to_string());
        parts.push(resolve_aql(state, caller, model, &text).await?);
    }
    if let Some(text) = aql.map(str::trim).filter(|t| !t.is_empty()) {
        parts.push(resolve_aql(state, caller, model, text).await?);
    }
    Ok(match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Filter::And(parts)),
    })
}

async fn resolve_aql(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    text: &str,
) -> ApiResult<Filter> {
    let query = amj_domain::aql::parse(text).map_err(|error| AppError::Aql {
        error,
        query: text.to_owned(),
    })?;
    let mut plan = crate::query::resolve(&query, text, model, caller.account_id())?;
    crate::query::answer_jql(&mut plan.filter, text, &state.jira, &caller.tenant).await?;
    Ok(plan.filter)
}

fn booking_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| not_found(id))
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound {
        code: "booking_not_found",
        message: format!("no booking {id:?} in this schema"),
    }
}

/// Whether the caller books or cancels for themselves: any Jira user may; doing it for
/// someone else needs the right to edit the schema's assets, as a check-out does.
async fn require_for(
    state: &AppState,
    caller: &Caller,
    model: &SchemaModel,
    account_id: &str,
) -> ApiResult<()> {
    caller.require_write()?;
    if caller.account_id().as_deref() == Some(account_id) {
        return Ok(());
    }
    caller.require_asset_edit(state, &model.schema).await
}

/// The bookings over a window: an asset's calendar (`asset`), a type's (`typeId`), a
/// location's timeline (`location`), a person's (`accountId`), or all of the schema's.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/bookings",
    tag = "bookings",
    params(super::openapi::SchemaPath, BookingListParams),
    responses(
        (status = 200, description = "The bookings that overlap the window, by start", body = BookingsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn list_bookings(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiQuery(params): ApiQuery<BookingListParams>,
) -> ApiResult<Json<BookingsBody>> {
    let (from, to, _) = window(&params.from, &params.to, params.time_zone.as_deref())?;
    let limit = limit(params.limit, LIST_DEFAULT, amj_store::booking::LIST_MAX)?;
    let asset = match &params.asset {
        Some(key) => {
            let parsed = AssetKey::parse(key.trim()).map_err(|_| {
                invalid(
                    "asset",
                    rules::FORMAT,
                    format!("asset: {key:?} is not an asset key such as IT-42"),
                )
            })?;
            let found = (parsed.schema == model.schema.key).then_some(parsed.number);
            let found = match found {
                Some(number) => {
                    state
                        .store
                        .asset_by_key(caller.tenant_id(), &model, number)
                        .await?
                }
                None => None,
            }
            .ok_or_else(|| AppError::NotFound {
                code: "asset_not_found",
                message: format!("no asset {parsed} in schema {}", model.schema.key),
            })?;
            Some(found.id)
        }
        None => None,
    };
    let types = type_filter(&model, params.type_id)?;
    let filter = asset_filter(
        &state,
        &caller,
        &model,
        params.location.as_deref(),
        params.aql.as_deref(),
    )
    .await?;
    let query = BookingQuery {
        from,
        to,
        asset,
        account: params.account_id.as_deref(),
        types,
        filter: filter.as_ref(),
        include_cancelled: params.include_cancelled.unwrap_or(false),
        limit: limit + 1,
    };
    let mut found = state
        .store
        .bookings(caller.tenant_id(), &model, &query)
        .await?;
    let truncated = found.len() > limit;
    found.truncate(limit);
    let now = amj_store::now_millis();
    Ok(Json(BookingsBody {
        items: found.iter().map(|b| booking_body(b, now)).collect(),
        from: instant_text(from),
        to: instant_text(to),
        truncated,
    }))
}

/// Assets free over a range: "any 14-inch laptop free 3–7 March at Berlin". Free means live,
/// of a checkoutable type, booked by nobody then, not set aside for a request, and not
/// checked out past the start.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/availability",
    tag = "bookings",
    params(super::openapi::SchemaPath, AvailabilityParams),
    responses(
        (status = 200, description = "Free assets, by key", body = AvailabilityBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn availability(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    ApiQuery(params): ApiQuery<AvailabilityParams>,
) -> ApiResult<Json<AvailabilityBody>> {
    let (from, to, zone) = window(&params.from, &params.to, params.time_zone.as_deref())?;
    let limit = limit(params.limit, FREE_DEFAULT, FREE_MAX)?;
    let types = type_filter(&model, params.type_id)?.unwrap_or_default();
    let filter = asset_filter(
        &state,
        &caller,
        &model,
        params.location.as_deref(),
        params.aql.as_deref(),
    )
    .await?;
    let started = std::time::Instant::now();
    let free = state
        .store
        .available(
            caller.tenant_id(),
            &model,
            &AvailabilityQuery {
                start: from,
                end: to,
                zone,
                types,
                filter: filter.as_ref(),
                limit,
            },
        )
        .await?;
    state
        .monitor
        .metrics
        .record_query("availability", started.elapsed().as_secs_f64());
    Ok(Json(AvailabilityBody {
        items: free
            .into_iter()
            .map(|a| FreeAssetBody {
                key: a.key.to_string(),
                label: a.label,
                type_id: a.type_id.0,
                status: model
                    .status(amj_domain::StatusId(a.status_id))
                    .map_or_else(|| a.status_id.to_string(), |s| s.name.clone()),
            })
            .collect(),
        from: instant_text(from),
        to: instant_text(to),
    }))
}

/// Books assets, or a kit (one free asset per asset part), for a person. Anyone may book for
/// themselves; booking for someone else needs the right to edit assets. 409 when an asset is
/// booked then (naming the booking), out past the start, or reserved for a request.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/bookings",
    tag = "bookings",
    params(super::openapi::SchemaPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = BookingDraft,
    responses(
        (status = 201, description = "The booking", body = BookingBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn create_booking(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    headers: HeaderMap,
    ApiJson(draft): ApiJson<BookingDraft>,
) -> ApiResult<Response> {
    let path = format!("/api/v1/schemas/{}/bookings", model.schema.key);
    if let Some(response) = replay(&state, &caller, &headers, &path, &draft).await? {
        return Ok(created(response));
    }
    let mut plan = draft
        .plan(amj_store::now_millis())
        .map_err(AppError::Validation)?;
    require_for(&state, &caller, &model, &plan.account_id).await?;
    if let Some(key) = &draft.issue {
        plan.issue = Some(resolve_issue(&state, &caller, key).await?.key);
    }
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &draft,
        |booking: &Booking| Ok(booking_body(booking, amj_store::now_millis())),
        async |idem| {
            state
                .store
                .create_booking(caller.tenant_id(), &model, &plan, &caller.actor(), idem)
                .await
                .map(Box::new)
        },
    )
    .await?;
    Ok(created(response))
}

/// A booking made, first time or replayed: the stored response is the verb's 200.
fn created(mut response: Response) -> Response {
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::CREATED;
    }
    response
}

#[utoipa::path(
    get,
    path = "/api/v1/schemas/{schema}/bookings/{id}",
    tag = "bookings",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 200, description = "The booking", body = BookingBody),
        (status = 404, response = super::openapi::NotFound)
    )
)]
pub async fn get_booking(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<BookingBody>> {
    let booking = state
        .store
        .booking(caller.tenant_id(), &model, booking_id(&id)?)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(booking_body(&booking, amj_store::now_millis())))
}

/// Calls a booking off before pickup: its person may, and anyone who may edit assets.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/bookings/{id}/cancel",
    tag = "bookings",
    params(super::openapi::SchemaItemPath),
    responses(
        (status = 200, description = "The cancelled booking", body = BookingBody),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict)
    )
)]
pub async fn cancel_booking(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<BookingBody>> {
    let number = booking_id(&id)?;
    let booking = state
        .store
        .booking(caller.tenant_id(), &model, number)
        .await?
        .ok_or_else(|| not_found(&id))?;
    require_for(&state, &caller, &model, &booking.account_id).await?;
    let cancelled = state
        .store
        .cancel_booking(caller.tenant_id(), &model, number, &caller.actor())
        .await?;
    Ok(Json(booking_body(&cancelled, amj_store::now_millis())))
}

/// Hands the booking's assets to its person (of the kit, with its seats and stock, when booked
/// as one), due on the booking's last local day. From a day before its start until its end.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/bookings/{id}/pickup",
    tag = "bookings",
    params(super::openapi::SchemaItemPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    responses(
        (status = 200, description = "The picked-up booking", body = BookingBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn pick_up(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let number = booking_id(&id)?;
    let path = format!(
        "/api/v1/schemas/{}/bookings/{number}/pickup",
        model.schema.key
    );
    if let Some(response) = replay(&state, &caller, &headers, &path, &()).await? {
        return Ok(response);
    }
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &(),
        |booking: &Booking| Ok(booking_body(booking, amj_store::now_millis())),
        async |idem| {
            state
                .store
                .pick_up_booking(caller.tenant_id(), &model, number, &caller.actor(), idem)
                .await
                .map(Box::new)
        },
    )
    .await?;
    sync_issue(&state, &caller, &model, number).await;
    Ok(response)
}

/// Takes back some or all of a picked-up booking's assets: a kit may come back in parts. The
/// booking is returned with its last asset.
#[utoipa::path(
    post,
    path = "/api/v1/schemas/{schema}/bookings/{id}/return",
    tag = "bookings",
    params(super::openapi::SchemaItemPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request answer the first response again")),
    request_body = BookingReturn,
    responses(
        (status = 200, description = "The booking after the return", body = BookingBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = super::openapi::Unprocessable)
    )
)]
pub async fn return_booking(
    State(state): State<AppState>,
    SiteSchema { caller, model }: SiteSchema,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(draft): ApiJson<BookingReturn>,
) -> ApiResult<Response> {
    caller.require_asset_edit(&state, &model.schema).await?;
    let number = booking_id(&id)?;
    let path = format!(
        "/api/v1/schemas/{}/bookings/{number}/return",
        model.schema.key
    );
    if let Some(response) = replay(&state, &caller, &headers, &path, &draft).await? {
        return Ok(response);
    }
    let mut errors = ValidationErrors::default();
    let mut assets = Vec::with_capacity(draft.assets.len());
    for (i, key) in draft.assets.iter().enumerate() {
        match AssetKey::parse(key.trim()) {
            Ok(key) => assets.push(key),
            Err(_) => errors.push(
                format!("assets[{i}]"),
                rules::FORMAT,
                format!("Assets: {key:?} is not an asset key such as IT-42"),
            ),
        }
    }
    if draft.note.chars().count() > NOTE_MAX {
        errors.push(
            "note",
            rules::MAX_LENGTH,
            format!("Note: must be at most {NOTE_MAX} characters"),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let plan = ReturnPlan {
        assets,
        condition: draft.condition,
        note: draft.note.trim().to_owned(),
    };
    let response = once(
        &state,
        &caller,
        &headers,
        &path,
        &draft,
        |booking: &Booking| Ok(booking_body(booking, amj_store::now_millis())),
        async |idem| {
            state
                .store
                .return_booking(
                    caller.tenant_id(),
                    &model,
                    number,
                    &plan,
                    &caller.actor(),
                    idem,
                )
                .await
                .map(Box::new)
        },
    )
    .await?;
    sync_issue(&state, &caller, &model, number).await;
    Ok(response)
}

/// The booking's issue lists what is handed out for it (its property), as a check-out's does.
async fn sync_issue(state: &AppState, caller: &Caller, model: &SchemaModel, id: i64) {
    let Ok(Some(booking)) = state.store.booking(caller.tenant_id(), model, id).await else {
        return;
    };
    let Some(key) = booking.issue else {
        return;
    };
    if let Ok(issue) = resolve_issue(state, caller, &key).await {
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
