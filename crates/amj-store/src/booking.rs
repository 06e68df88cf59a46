//! Bookings (issue 15): `booking` (who, when, for what, and where it is in its life) and
//! `booking_asset` (the assets it holds, each with the booking's range).
//!
//! No overlap is the table's constraint, not a check-then-write: an exclusion constraint on
//! PostgreSQL, and triggers on SQLite, whose single writer makes the trigger's check and the
//! row one step. The store's own look first names the booking in the way; the constraint is
//! what holds under concurrency (see docs/ARCHITECTURE.md, "Bookings").
//!
//! Pickup is a check-out (of the kit, when the booking is a kit's) in the same transaction as
//! the booking's move to `picked_up`; return is a check-in, and any check-in of a picked-up
//! asset lets go of its booking (`release_returned`), so a booking is never left open by an
//! asset that came back another way.

use super::catalog::SchemaModel;
use super::custody::{
    Held, Idempotent, Loan, check_in_in, check_out_in, claim_key, lock_assets, store_response,
};
use super::db::Tx;
use super::kit::{KitHandout, check_out_kit_in, kit_in};
use super::query::Compiler;
use super::sql::Sql;
use super::{Store, StoreError, now_millis};
use amj_domain::aql::Filter;
use amj_domain::booking::{BookingPlan, BookingState, PICKUP_EARLY_MILLIS, Phase, Zone, phase};
use amj_domain::custody::{CheckinDraft, CheckoutDraft, Condition, Holder};
use amj_domain::ids::{AssetId, TenantId, TypeId};
use amj_domain::kit::{KitCheckout, KitPart, KitPick};
use amj_domain::{AssetKey, HistoryEvent, ValidationErrors, rules};
use std::collections::{HashMap, HashSet};

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// Most bookings one listing returns: a calendar's window of a busy type.
pub const LIST_MAX: usize = 2_000;

/// A booking with its assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: i64,
    pub account_id: String,
    pub start: i64,
    pub end: i64,
    pub time_zone: String,
    /// The kit it was booked as: its id and name then.
    pub kit: Option<(i64, String)>,
    pub issue: Option<String>,
    pub note: String,
    pub state: BookingState,
    pub created_at: i64,
    pub created_by: String,
    pub picked_up_at: Option<i64>,
    pub picked_up_by: Option<String>,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    pub assets: Vec<BookedAsset>,
}

impl Booking {
    pub fn phase(&self, now: i64) -> Phase {
        phase(self.state, self.start, self.end, now)
    }
}

/// One asset a booking holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedAsset {
    pub asset_id: AssetId,
    pub key: AssetKey,
    pub label: String,
    pub type_id: TypeId,
    /// The kit part it stands for (from 0), when the booking is a kit's.
    pub part: Option<i64>,
    /// When it came back; set once it has.
    pub returned_at: Option<i64>,
    /// Whether the booking has let go of it: cancelled, returned, or missed (over without a
    /// pickup, let go when another booking of the asset is made).
    pub released: bool,
}

/// Which bookings a listing wants. The window is half-open like the bookings.
#[derive(Debug, Clone, Default)]
pub struct BookingQuery<'a> {
    pub from: i64,
    pub to: i64,
    pub asset: Option<AssetId>,
    pub account: Option<&'a str>,
    /// Bookings holding an asset of one of these types (subtypes included by the caller).
    pub types: Option<Vec<TypeId>>,
    /// Bookings holding an asset that matches this AQL filter (a location's assets).
    pub filter: Option<&'a Filter>,
    pub include_cancelled: bool,
    pub limit: usize,
}

/// "Which assets are free then": assets that may be booked over `[start, end)`.
#[derive(Debug, Clone)]
pub struct AvailabilityQuery<'a> {
    pub start: i64,
    pub end: i64,
    /// The zone the search is read in: an asset out until a due day is free from the next
    /// local day.
    pub zone: Zone,
    /// Types asked for (with their subtypes); none: every checkoutable type.
    pub types: Vec<TypeId>,
    pub filter: Option<&'a Filter>,
    pub limit: usize,
}

/// An asset free over the range asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeAsset {
    pub asset_id: AssetId,
    pub key: AssetKey,
    pub label: String,
    pub type_id: TypeId,
    pub status_id: i64,
}

/// What a return gives back: some of a booking's assets, or (none named) all still out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPlan {
    pub assets: Vec<AssetKey>,
    pub condition: Condition,
    pub note: String,
}

/// A booking that has not been picked up yet, in the way of a check-out.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct BookedAhead {
    pub asset_id: i64,
    pub booking_id: i64,
    pub starts_at: i64,
    pub time_zone: String,
}

impl BookedAhead {
    pub(crate) fn zone(&self) -> Zone {
        Zone::parse(&self.time_zone).unwrap_or_else(Zone::utc)
    }
}

#[derive(sqlx::FromRow)]
struct BookingRow {
    id: i64,
    account_id: String,
    starts_at: i64,
    ends_at: i64,
    time_zone: String,
    kit_id: Option<i64>,
    kit_name: Option<String>,
    issue_key: Option<String>,
    note: String,
    state: String,
    created_at: i64,
    created_by: String,
    picked_up_at: Option<i64>,
    picked_up_by: Option<String>,
    closed_at: Option<i64>,
    closed_by: Option<String>,
}

const BOOKING_COLUMNS: &str = "b.id, b.account_id, b.starts_at, b.ends_at, b.time_zone, \
    b.kit_id, b.kit_name, b.issue_key, b.note, b.state, b.created_at, b.created_by, \
    b.picked_up_at, b.picked_up_by, b.closed_at, b.closed_by";

#[derive(sqlx::FromRow)]
struct AssetRow {
    booking_id: i64,
    asset_id: i64,
    number: i64,
    label: String,
    type_id: i64,
    part: Option<i64>,
    released: bool,
    returned_at: Option<i64>,
}

fn assets_sql(ids: &[i64]) -> Sql {
    let mut sql = Sql::new(
        "SELECT ba.booking_id, ba.asset_id, a.number, a.label, a.type_id, ba.part, \
         ba.released, ba.returned_at FROM booking_asset ba JOIN asset a ON a.id = ba.asset_id \
         WHERE ba.booking_id IN ",
    );
    sql.bind_list(ids.iter().copied())
        .push(" ORDER BY ba.booking_id, ba.part, a.number");
    sql
}

fn assemble(
    model: &SchemaModel,
    rows: Vec<BookingRow>,
    assets: Vec<AssetRow>,
) -> Result<Vec<Booking>, StoreError> {
    let mut by_booking: HashMap<i64, Vec<BookedAsset>> = HashMap::new();
    for a in assets {
        by_booking
            .entry(a.booking_id)
            .or_default()
            .push(BookedAsset {
                asset_id: AssetId(a.asset_id),
                key: AssetKey::new(model.schema.key.clone(), a.number),
                label: a.label,
                type_id: TypeId(a.type_id),
                part: a.part,
                returned_at: a.returned_at,
                released: a.released,
            });
    }
    rows.into_iter()
        .map(|r| {
            let state = r.state.parse::<BookingState>().map_err(|_| {
                StoreError::Corrupt(format!("booking {} has state {:?}", r.id, r.state))
            })?;
            Ok(Booking {
                id: r.id,
                account_id: r.account_id,
                start: r.starts_at,
                end: r.ends_at,
                time_zone: r.time_zone,
                kit: r.kit_id.map(|id| (id, r.kit_name.unwrap_or_default())),
                issue: r.issue_key,
                note: r.note,
                state,
                created_at: r.created_at,
                created_by: r.created_by,
                picked_up_at: r.picked_up_at,
                picked_up_by: r.picked_up_by,
                closed_at: r.closed_at,
                closed_by: r.closed_by,
                assets: by_booking.remove(&r.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The types an availability search looks in: those asked for (with subtypes), or all, that
/// can be checked out.
fn bookable_types(model: &SchemaModel, asked: &[TypeId]) -> Vec<i64> {
    let candidates: Vec<TypeId> = if asked.is_empty() {
        model.types.types().map(|t| t.id).collect()
    } else {
        let mut all: Vec<TypeId> = asked
            .iter()
            .flat_map(|t| model.types.descendants_and_self(*t))
            .collect();
        all.sort_unstable_by_key(|t| t.0);
        all.dedup();
        all
    };
    candidates
        .into_iter()
        .filter(|t| model.custody.is_checkoutable(&model.types, *t))
        .map(|t| t.0)
        .collect()
}

/// Where a range starts, as the rules of being free read it.
struct Span {
    start: i64,
    end: i64,
    /// The range's first local day (days since 1970-01-01): a loan due before it is back.
    first_day: i64,
    now: i64,
    /// Today in the same zone: a loan due before it is overdue.
    today: i64,
}

impl Span {
    fn new(start: i64, end: i64, zone: &Zone, now: i64) -> Span {
        let day = |at: i64| zone.day_of(at).map_or(at.div_euclid(DAY_MILLIS), i64::from);
        Span {
            start,
            end,
            first_day: day(start),
            now,
            today: day(now),
        }
    }

    /// Whether a loan in force lets the asset be booked over this span: one a picked-up booking
    /// made is back by that booking's end, an instant (a same-day turnaround); any other by its
    /// due day, which must come before the span's first local day and not be past (overdue:
    /// no one can say when it comes back). Never for a span that has begun: the asset is out.
    fn lets_through(&self, due: Option<i64>, picked_up_until: Option<i64>) -> bool {
        if self.start <= self.now {
            return false;
        }
        match (picked_up_until, due) {
            (Some(until), _) => until <= self.start && until > self.now,
            (None, Some(day)) => day < self.first_day && day >= self.today,
            (None, None) => false,
        }
    }
}

/// Appends the conditions that make asset `a` free over a span: live; no booking holds it then
/// (a booking missed, never picked up and over, holds nothing); not set aside for a request;
/// and any loan in force lets it through ([`Span::lets_through`], the same rule in SQL). A
/// check-out draws the same line the other way.
fn free_between(sql: &mut Sql, span: &Span) {
    sql.push(" AND a.archived = ")
        .bind(false)
        .push(
            " AND a.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM booking_asset ba \
             JOIN booking b ON b.id = ba.booking_id \
             WHERE ba.asset_id = a.id AND NOT ba.released AND ba.starts_at < ",
        )
        .bind(span.end)
        .push(" AND ba.ends_at > ")
        .bind(span.start)
        .push(" AND (ba.ends_at > ")
        .bind(span.now)
        .push(
            " OR b.state <> 'booked')) \
             AND NOT EXISTS (SELECT 1 FROM asset_reservation r WHERE r.asset_id = a.id) \
             AND NOT EXISTS (SELECT 1 FROM asset_custody c WHERE c.asset_id = a.id",
        );
    if span.start > span.now {
        sql.push(
            " AND NOT EXISTS (SELECT 1 FROM booking_asset pa JOIN booking pb \
             ON pb.id = pa.booking_id WHERE pa.asset_id = a.id AND NOT pa.released \
             AND pb.state = 'picked_up' AND pa.ends_at <= ",
        )
        .bind(span.start)
        .push(" AND pa.ends_at > ")
        .bind(span.now)
        .push(
            ") AND NOT (c.due_day IS NOT NULL AND NOT EXISTS (SELECT 1 FROM booking_asset qa \
             JOIN booking qb ON qb.id = qa.booking_id WHERE qa.asset_id = a.id \
             AND NOT qa.released AND qb.state = 'picked_up') AND c.due_day < ",
        )
        .bind(span.first_day)
        .push(" AND c.due_day >= ")
        .bind(span.today)
        .push(")");
    }
    sql.push(")");
}

fn overlap_error(
    model: &SchemaModel,
    clashes: &[(i64, i64, i64, i64, String)],
    numbers: &HashMap<i64, i64>,
) -> StoreError {
    let message = clashes
        .iter()
        .map(|(asset, booking, start, end, zone)| {
            let zone = Zone::parse(zone).unwrap_or_else(Zone::utc);
            let key = numbers
                .get(asset)
                .map(|n| AssetKey::new(model.schema.key.clone(), *n).to_string())
                .unwrap_or_else(|| format!("asset {asset}"));
            format!(
                "{key} is already booked from {} to {} (booking #{booking})",
                zone.describe(*start),
                zone.describe(*end)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    StoreError::Conflict {
        code: "booking_overlap",
        message,
    }
}

/// The constraint's refusal (PostgreSQL's exclusion violation, SQLite's trigger) as the same
/// conflict the store's own look gives: a race lost is the same answer as a clash seen.
fn overlap_violation(e: StoreError) -> StoreError {
    match e {
        StoreError::Database(sqlx::Error::Database(db))
            if db.code().as_deref() == Some("23P01")
                || db.message().contains("booking_overlap") =>
        {
            StoreError::Conflict {
                code: "booking_overlap",
                message: "an asset of this booking was booked over the same time by another \
                          request just now"
                    .to_owned(),
            }
        }
        other => other,
    }
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        code: "booking_not_found",
        message: format!("booking {id} does not exist"),
    }
}

/// Reads a booking inside a write, locked on PostgreSQL (SQLite's write lock already is).
async fn booking_in(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    id: i64,
) -> Result<Option<Booking>, StoreError> {
    booking_read(tx, tenant, model, id, true).await
}

/// Reads a booking inside a write, locking it on PostgreSQL when `lock` says so.
async fn booking_read(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    id: i64,
    lock: bool,
) -> Result<Option<Booking>, StoreError> {
    let sql = Sql::new(&format!(
        "SELECT {BOOKING_COLUMNS} FROM booking b WHERE b.id = $1 AND b.tenant_id = $2 \
         AND b.schema_id = $3{}",
        if lock { tx.for_update() } else { "" }
    ))
    .arg(id)
    .arg(tenant.0)
    .arg(model.schema.id.0);
    let Some(row): Option<BookingRow> = tx.fetch_optional(&sql).await? else {
        return Ok(None);
    };
    let assets: Vec<AssetRow> = tx.fetch_all(&assets_sql(&[id])).await?;
    Ok(assemble(model, vec![row], assets)?.pop())
}

/// Locks a booking for a verb that moves its assets: the assets first, then the booking, the
/// order every check-in takes them (asset, then the booking it lets go of), so a pickup or a
/// return and a plain check-in of the same asset never wait on each other in a circle.
async fn lock_booking(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    id: i64,
) -> Result<Booking, StoreError> {
    let peek = booking_read(tx, tenant, model, id, false)
        .await?
        .ok_or_else(|| not_found(id))?;
    let held: Vec<i64> = peek.assets.iter().map(|a| a.asset_id.0).collect();
    lock_assets(tx, tenant, model, &held).await?;
    booking_in(tx, tenant, model, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Bookings not yet picked up that hold any of `ids` after `now`, for a check-out's look ahead.
pub(crate) async fn booked_ahead(
    tx: &mut Tx,
    ids: &[i64],
    now: i64,
) -> Result<Vec<BookedAhead>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(
            "SELECT ba.asset_id, ba.booking_id, ba.starts_at, b.time_zone FROM booking_asset ba \
             JOIN booking b ON b.id = ba.booking_id WHERE ba.asset_id IN ",
        );
        sql.bind_list(chunk.iter().copied())
            .push(" AND NOT ba.released AND b.state = 'booked' AND ba.ends_at > ")
            .bind(now)
            .push(" ORDER BY ba.starts_at");
        out.extend(tx.fetch_all::<BookedAhead>(&sql).await?);
    }
    Ok(out)
}

/// The end of the picked-up booking still holding each of `ids`: inside a pickup, its own
/// booking (moved on in the same transaction, the asset not yet out).
pub(crate) async fn picked_up_until(
    tx: &mut Tx,
    ids: &[i64],
) -> Result<HashMap<i64, i64>, StoreError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(
            "SELECT ba.asset_id, ba.ends_at FROM booking_asset ba JOIN booking b \
             ON b.id = ba.booking_id WHERE ba.asset_id IN ",
        );
        sql.bind_list(chunk.iter().copied())
            .push(" AND NOT ba.released AND b.state = 'picked_up'");
        out.extend(tx.fetch_all::<(i64, i64)>(&sql).await?);
    }
    Ok(out)
}

/// Lets go of the assets just checked in from the picked-up bookings that held them, and
/// returns each booking whose last asset this was.
pub(crate) async fn release_returned(
    tx: &mut Tx,
    ids: &[i64],
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(500) {
        let mut find = Sql::new(
            "SELECT DISTINCT ba.booking_id FROM booking_asset ba JOIN booking b \
             ON b.id = ba.booking_id WHERE ba.asset_id IN ",
        );
        find.bind_list(chunk.iter().copied())
            .push(" AND NOT ba.released AND b.state = 'picked_up'");
        let bookings: Vec<(i64,)> = tx.fetch_all(&find).await?;
        if bookings.is_empty() {
            continue;
        }
        let booking_ids: Vec<i64> = bookings.into_iter().map(|(id,)| id).collect();
        let mut release = Sql::new("UPDATE booking_asset SET released = ");
        release
            .bind(true)
            .push(", returned_at = ")
            .bind(now)
            .push(" WHERE NOT released AND asset_id IN ")
            .bind_list(chunk.iter().copied())
            .push(" AND booking_id IN ")
            .bind_list(booking_ids.iter().copied());
        tx.execute(&release).await?;
        close_if_all_back(tx, &booking_ids, actor, now).await?;
    }
    Ok(())
}

async fn close_if_all_back(
    tx: &mut Tx,
    booking_ids: &[i64],
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    let mut close = Sql::new("UPDATE booking SET state = 'returned', closed_at = ");
    close
        .bind(now)
        .push(", closed_by = ")
        .bind(actor)
        .push(" WHERE state = 'picked_up' AND id IN ")
        .bind_list(booking_ids.iter().copied())
        .push(
            " AND NOT EXISTS (SELECT 1 FROM booking_asset ba WHERE ba.booking_id = booking.id \
             AND NOT ba.released)",
        );
    tx.execute(&close).await?;
    Ok(())
}

async fn record(
    tx: &mut Tx,
    tenant: TenantId,
    events: Vec<(i64, HistoryEvent)>,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    let encoded = events
        .into_iter()
        .map(|(id, e)| {
            serde_json::to_string(&e)
                .map(|e| (id, e))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    super::assets::insert_events(tx, tenant, now, actor, &encoded).await
}

fn conflict(code: &'static str, message: String) -> StoreError {
    StoreError::Conflict { code, message }
}

impl Store {
    /// Books assets (or one free asset per asset part of a kit) for a person over the plan's
    /// range, all or none. Refused (409) when an asset is booked then, out past the start
    /// (or overdue), or set aside for a request; per row (`InvalidRows`) when an asset is not
    /// of the schema or cannot be checked out at all.
    pub async fn create_booking(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        plan: &BookingPlan,
        actor: &str,
        idempotent: Option<&Idempotent<'_, Booking>>,
    ) -> Result<Booking, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        // (asset id, kit part) in booking order.
        let mut chosen: Vec<(i64, Option<i64>)> = Vec::new();
        let mut kit_name = None;
        if let Some(kit_id) = plan.kit {
            let kit = kit_in(&mut tx, tenant, model.schema.id, kit_id)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    code: "kit_not_found",
                    message: format!("kit {kit_id} does not exist"),
                })?;
            let mut taken: Vec<i64> = Vec::new();
            for (part, piece) in kit.parts.iter().enumerate() {
                let KitPart::Asset { type_id } = piece else {
                    // Seats and stock are not booked: they are handed out at pickup.
                    continue;
                };
                let found = pick_free(&mut tx, tenant, model, *type_id, &taken, plan).await?;
                let Some(id) = found else {
                    let name = model
                        .asset_type(*type_id)
                        .map_or_else(|| format!("type {}", type_id.0), |t| t.name.clone());
                    return Err(conflict(
                        "kit_part_unavailable",
                        format!("Part {}: no {name} is free over that time", part + 1),
                    ));
                };
                taken.push(id);
                chosen.push((id, Some(part as i64)));
            }
            if chosen.is_empty() {
                return Err(StoreError::Invalid(ValidationErrors::single(
                    "kit",
                    rules::REFERENCE_TARGET,
                    format!("Kit: {} has no asset parts to book", kit.name),
                )));
            }
            kit_name = Some(kit.name);
        } else {
            let numbers: Vec<i64> = plan
                .assets
                .iter()
                .filter(|k| k.schema == model.schema.key)
                .map(|k| k.number)
                .collect();
            let found =
                super::custody::assets_by_number(&mut tx, tenant, model.schema.id, &numbers)
                    .await?;
            let mut errors = Vec::new();
            for (row, key) in plan.assets.iter().enumerate() {
                match (key.schema == model.schema.key)
                    .then(|| found.get(&key.number))
                    .flatten()
                {
                    Some((id, _)) => chosen.push((*id, None)),
                    None => errors.push(super::custody::invalid(
                        row,
                        "assets",
                        rules::REFERENCE_TARGET,
                        format!("{key} is not an asset of this schema"),
                    )),
                }
            }
            if !errors.is_empty() {
                return Err(StoreError::InvalidRows(errors));
            }
        }
        let ids: Vec<i64> = chosen.iter().map(|(id, _)| *id).collect();
        let locked = lock_assets(&mut tx, tenant, model, &ids).await?;
        let mut errors = Vec::new();
        for (row, (id, _)) in chosen.iter().enumerate() {
            let Some(asset) = locked.get(id) else {
                return Err(StoreError::NotFound {
                    code: "asset_not_found",
                    message: format!("asset {id} does not exist"),
                });
            };
            let key = AssetKey::new(model.schema.key.clone(), asset.number);
            if let Err(e) = super::custody::check_checkoutable(model, asset, &key) {
                errors.push((row, e));
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::InvalidRows(errors));
        }
        let numbers: HashMap<i64, i64> = locked.iter().map(|(id, a)| (*id, a.number)).collect();
        let key_of = |id: i64| {
            numbers
                .get(&id)
                .map(|n| AssetKey::new(model.schema.key.clone(), *n).to_string())
                .unwrap_or_else(|| format!("asset {id}"))
        };
        // A booking missed (never picked up, and over) holds nothing: its rows let go, so the
        // constraint does not hold a range no one will use against this one.
        // Their bookings are locked first, as a cancel locks its booking before its rows, so
        // the two never wait on each other's rows in a circle.
        let mut lapsed = Sql::new(
            "SELECT DISTINCT b.id FROM booking b JOIN booking_asset ba ON ba.booking_id = b.id \
             WHERE b.tenant_id = ",
        );
        lapsed
            .bind(tenant.0)
            .push(" AND b.state = 'booked' AND NOT ba.released AND ba.ends_at <= ")
            .bind(now)
            .push(" AND ba.asset_id IN ")
            .bind_list(ids.iter().copied())
            .push(" ORDER BY b.id");
        let lapsed: Vec<(i64,)> = tx.fetch_all(&lapsed).await?;
        if !lapsed.is_empty() {
            let lapsed: Vec<i64> = lapsed.into_iter().map(|(id,)| id).collect();
            if tx.is_postgres() {
                let mut lock = Sql::new("SELECT id FROM booking WHERE id IN ");
                lock.bind_list(lapsed.iter().copied())
                    .push(" ORDER BY id FOR UPDATE");
                tx.fetch_all::<(i64,)>(&lock).await?;
            }
            let mut missed = Sql::new("UPDATE booking_asset SET released = ");
            missed
                .bind(true)
                .push(" WHERE NOT released AND ends_at <= ")
                .bind(now)
                .push(" AND asset_id IN ")
                .bind_list(ids.iter().copied())
                .push(" AND booking_id IN ")
                .bind_list(lapsed.iter().copied());
            tx.execute(&missed).await?;
        }
        // Booked then by someone else: named with the booking that holds it.
        let mut clash = Sql::new(
            "SELECT ba.asset_id, ba.booking_id, ba.starts_at, ba.ends_at, b.time_zone \
             FROM booking_asset ba JOIN booking b ON b.id = ba.booking_id WHERE ba.asset_id IN ",
        );
        clash
            .bind_list(ids.iter().copied())
            .push(" AND NOT ba.released AND ba.starts_at < ")
            .bind(plan.end)
            .push(" AND ba.ends_at > ")
            .bind(plan.start)
            .push(" ORDER BY ba.asset_id, ba.starts_at");
        let clashes: Vec<(i64, i64, i64, i64, String)> = tx.fetch_all(&clash).await?;
        if !clashes.is_empty() {
            return Err(overlap_error(model, &clashes, &numbers));
        }
        // Out past the start, or set aside for a request.
        let mut out = Sql::new("SELECT asset_id, due_day FROM asset_custody WHERE asset_id IN ");
        out.bind_list(ids.iter().copied());
        let outs: Vec<(i64, Option<i64>)> = tx.fetch_all(&out).await?;
        let span = Span::new(plan.start, plan.end, &plan.zone, now);
        let picked_up = picked_up_until(&mut tx, &ids).await?;
        let day = |d: i64| {
            i32::try_from(d)
                .ok()
                .and_then(amj_domain::value::format_date)
                .unwrap_or_else(|| d.to_string())
        };
        let mut refusals: Vec<String> = outs
            .into_iter()
            .filter(|(id, due)| !span.lets_through(*due, picked_up.get(id).copied()))
            .map(|(id, due)| match (picked_up.get(&id), due) {
                (Some(until), _) => format!(
                    "{} is out on a booking until {}, after this one starts",
                    key_of(id),
                    plan.zone.describe(*until)
                ),
                (None, None) => format!("{} is checked out with no due date", key_of(id)),
                (None, Some(d)) if d < span.today => format!(
                    "{} is overdue (due {}): it cannot be promised until it is back",
                    key_of(id),
                    day(d)
                ),
                (None, Some(d)) => format!(
                    "{} is checked out until {}, when the booking has begun",
                    key_of(id),
                    day(d)
                ),
            })
            .collect();
        let reserved = super::request::reservations_of(&mut tx, &ids).await?;
        refusals.extend(reserved.iter().map(|(asset, request, issue)| {
            format!(
                "{} is reserved for request #{request} on {issue}",
                key_of(*asset)
            )
        }));
        if !refusals.is_empty() {
            return Err(conflict("asset_unavailable", refusals.join("; ")));
        }
        let insert = Sql::new(
            "INSERT INTO booking (tenant_id, schema_id, account_id, starts_at, ends_at, \
             time_zone, kit_id, kit_name, issue_key, note, state, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'booked', $11, $12) RETURNING id",
        )
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(plan.account_id.as_str())
        .arg(plan.start)
        .arg(plan.end)
        .arg(plan.zone.name())
        .arg(plan.kit)
        .arg(kit_name)
        .arg(plan.issue.as_deref())
        .arg(plan.note.as_str())
        .arg(now)
        .arg(actor);
        let (booking_id,): (i64,) = tx.fetch_one(&insert).await?;
        let extent = Sql::new(
            "INSERT INTO booking_extent (tenant_id, schema_id, longest) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, schema_id) DO UPDATE SET longest = CASE \
             WHEN excluded.longest > booking_extent.longest THEN excluded.longest \
             ELSE booking_extent.longest END",
        )
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(plan.end - plan.start);
        tx.execute(&extent).await?;
        let mut events = Vec::with_capacity(chosen.len());
        for (asset, part) in &chosen {
            let row = Sql::new(
                "INSERT INTO booking_asset (booking_id, asset_id, tenant_id, part, starts_at, \
                 ends_at, released) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .arg(booking_id)
            .arg(*asset)
            .arg(tenant.0)
            .arg(*part)
            .arg(plan.start)
            .arg(plan.end)
            .arg(false);
            tx.execute(&row).await.map_err(overlap_violation)?;
            events.push((
                *asset,
                HistoryEvent::Booked {
                    booking: booking_id,
                    account_id: plan.account_id.clone(),
                    start: plan.start,
                    end: plan.end,
                },
            ));
        }
        record(&mut tx, tenant, events, actor, now).await?;
        let booking = booking_in(&mut tx, tenant, model, booking_id)
            .await?
            .ok_or_else(|| not_found(booking_id))?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&booking)?).await?;
        }
        tx.commit().await?;
        Ok(booking)
    }

    /// The site's bookings that were not cancelled, in every schema (the bench's top-up).
    pub async fn booking_count(&self, tenant: TenantId) -> Result<u64, StoreError> {
        let sql =
            Sql::new("SELECT COUNT(*) FROM booking WHERE tenant_id = $1 AND state <> 'cancelled'")
                .arg(tenant.0);
        let (count,): (i64,) = self.db().fetch_one(&sql).await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    pub async fn booking(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: i64,
    ) -> Result<Option<Booking>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {BOOKING_COLUMNS} FROM booking b WHERE b.id = $1 AND b.tenant_id = $2 \
             AND b.schema_id = $3"
        ))
        .arg(id)
        .arg(tenant.0)
        .arg(model.schema.id.0);
        let Some(row): Option<BookingRow> = self.db().fetch_optional(&sql).await? else {
            return Ok(None);
        };
        let assets: Vec<AssetRow> = self.db().fetch_all(&assets_sql(&[id])).await?;
        Ok(assemble(model, vec![row], assets)?.pop())
    }

    /// The bookings over a window, by start: an asset's or a person's calendar, a type's, or
    /// (through an AQL filter on the location attribute) a location's timeline. At most
    /// `limit` rows, and never more than [`LIST_MAX`] + 1, so that a caller asking for one more
    /// than it shows can tell the list was cut.
    pub async fn bookings(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        query: &BookingQuery<'_>,
    ) -> Result<Vec<Booking>, StoreError> {
        // The longest booking of the schema bounds how far before the window one may start.
        let extent =
            Sql::new("SELECT longest FROM booking_extent WHERE tenant_id = $1 AND schema_id = $2")
                .arg(tenant.0)
                .arg(model.schema.id.0);
        let longest: i64 = self
            .db()
            .fetch_optional::<(i64,)>(&extent)
            .await?
            .map_or(0, |(l,)| l);
        let mut sql = Sql::new(&format!(
            "SELECT {BOOKING_COLUMNS} FROM booking b WHERE b.tenant_id = "
        ));
        sql.bind(tenant.0)
            .push(" AND b.schema_id = ")
            .bind(model.schema.id.0)
            .push(" AND b.starts_at < ")
            .bind(query.to)
            .push(" AND b.ends_at > ")
            .bind(query.from)
            // No booking of the schema is longer than its extent, so the start index's range
            // is bounded too: a week's view of week-long bookings scans two weeks.
            .push(" AND b.starts_at >= ")
            .bind(query.from.saturating_sub(longest));
        if !query.include_cancelled {
            sql.push(" AND b.state <> 'cancelled'");
        }
        if let Some(account) = query.account {
            sql.push(" AND b.account_id = ").bind(account);
        }
        if let Some(asset) = query.asset {
            // An asset's calendar starts from its own few bookings, not the schema's window.
            sql.push(" AND b.id IN (SELECT booking_id FROM booking_asset WHERE asset_id = ")
                .bind(asset.0)
                .push(")");
        }
        if query.asset.is_some() || query.types.is_some() || query.filter.is_some() {
            sql.push(
                " AND EXISTS (SELECT 1 FROM booking_asset ba JOIN asset a ON a.id = ba.asset_id \
                 WHERE ba.booking_id = b.id",
            );
            if let Some(asset) = query.asset {
                sql.push(" AND ba.asset_id = ").bind(asset.0);
            }
            if let Some(types) = &query.types {
                if types.is_empty() {
                    sql.push(" AND 1 = 0");
                } else {
                    sql.push(" AND a.type_id IN ")
                        .bind_list(types.iter().map(|t| t.0));
                }
            }
            if let Some(filter) = query.filter {
                let compiler = Compiler::new(tenant, model, self.db().is_postgres());
                sql.push(" AND ");
                compiler.filter(&mut sql, filter, "a")?;
            }
            sql.push(")");
        }
        sql.push(" ORDER BY b.starts_at, b.id LIMIT ")
            .bind(i64::try_from(query.limit.min(LIST_MAX + 1)).unwrap_or(0));
        let rows: Vec<BookingRow> = self.db().fetch_all(&sql).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut assets = Vec::new();
        for chunk in ids.chunks(500) {
            assets.extend(self.db().fetch_all::<AssetRow>(&assets_sql(chunk)).await?);
        }
        assemble(model, rows, assets)
    }

    /// Assets free over a range, by key: the availability search.
    pub async fn available(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        query: &AvailabilityQuery<'_>,
    ) -> Result<Vec<FreeAsset>, StoreError> {
        let types = bookable_types(model, &query.types);
        if types.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT a.id, a.number, a.label, a.type_id, a.status_id FROM asset a \
             WHERE a.tenant_id = ",
        );
        sql.bind(tenant.0)
            .push(" AND a.schema_id = ")
            .bind(model.schema.id.0)
            .push(" AND a.type_id IN ")
            .bind_list(types.iter().copied());
        free_between(
            &mut sql,
            &Span::new(query.start, query.end, &query.zone, now_millis()),
        );
        if let Some(filter) = query.filter {
            let compiler = Compiler::new(tenant, model, self.db().is_postgres());
            sql.push(" AND ");
            compiler.filter(&mut sql, filter, "a")?;
        }
        sql.push(" ORDER BY a.number LIMIT ")
            .bind(i64::try_from(query.limit).unwrap_or(0));
        let rows: Vec<(i64, i64, String, i64, i64)> = self.db().fetch_all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(|(id, number, label, type_id, status_id)| FreeAsset {
                asset_id: AssetId(id),
                key: AssetKey::new(model.schema.key.clone(), number),
                label,
                type_id: TypeId(type_id),
                status_id,
            })
            .collect())
    }

    /// Calls a booking off before pickup; its assets are free over its range again.
    pub async fn cancel_booking(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: i64,
        actor: &str,
    ) -> Result<Booking, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        let booking = booking_in(&mut tx, tenant, model, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if booking.state != BookingState::Booked {
            return Err(conflict(
                "booking_not_booked",
                format!(
                    "booking #{id} is {}: only a booking not yet picked up can be cancelled",
                    booking.state.as_str().replace('_', " ")
                ),
            ));
        }
        let update = Sql::new(
            "UPDATE booking SET state = 'cancelled', closed_at = $2, closed_by = $3 WHERE id = $1",
        )
        .arg(id)
        .arg(now)
        .arg(actor);
        tx.execute(&update).await?;
        let release = Sql::new("UPDATE booking_asset SET released = $2 WHERE booking_id = $1")
            .arg(id)
            .arg(true);
        tx.execute(&release).await?;
        let events = booking
            .assets
            .iter()
            .map(|a| (a.asset_id.0, HistoryEvent::BookingCancelled { booking: id }))
            .collect();
        record(&mut tx, tenant, events, actor, now).await?;
        let booking = booking_in(&mut tx, tenant, model, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        tx.commit().await?;
        Ok(booking)
    }

    /// Hands a booking's assets to its person: a check-out of each (of the kit, seats and stock
    /// included, when it was booked as one), due on the booking's last local day. Refused
    /// (409) before a day ahead of its start, after its end, or when it is not booked; by the
    /// check-out's own rules (archived, retired, no longer checkoutable) otherwise.
    pub async fn pick_up_booking(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: i64,
        actor: &str,
        idempotent: Option<&Idempotent<'_, Booking>>,
    ) -> Result<Booking, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let booking = lock_booking(&mut tx, tenant, model, id).await?;
        let zone = Zone::parse(&booking.time_zone).ok_or_else(|| {
            StoreError::Corrupt(format!("booking {id} has zone {:?}", booking.time_zone))
        })?;
        match booking.phase(now) {
            Phase::Ready => {}
            Phase::Upcoming => {
                return Err(conflict(
                    "booking_not_ready",
                    format!(
                        "booking #{id} can be picked up from {}",
                        zone.describe(booking.start - PICKUP_EARLY_MILLIS)
                    ),
                ));
            }
            Phase::Missed => {
                return Err(conflict(
                    "booking_missed",
                    format!(
                        "booking #{id} ended at {} without a pickup: book again",
                        zone.describe(booking.end)
                    ),
                ));
            }
            _ => {
                return Err(conflict(
                    "booking_not_booked",
                    format!(
                        "booking #{id} is {}",
                        booking.state.as_str().replace('_', " ")
                    ),
                ));
            }
        }
        // Moved on first, so the check-out's look ahead sees only other bookings.
        let update = Sql::new(
            "UPDATE booking SET state = 'picked_up', picked_up_at = $2, picked_up_by = $3 \
             WHERE id = $1",
        )
        .arg(id)
        .arg(now)
        .arg(actor);
        tx.execute(&update).await?;
        // The range is half-open: a booking that ends at midnight is due the day before.
        let due = zone.day_of(booking.end - 1);
        let note = if booking.note.is_empty() {
            format!("Booking #{id}")
        } else {
            format!("Booking #{id}: {}", booking.note)
        };
        let kit = match &booking.kit {
            Some((kit_id, _)) => kit_in(&mut tx, tenant, model.schema.id, *kit_id).await?,
            None => None,
        };
        let parts: Option<Vec<KitPick>> = booking
            .assets
            .iter()
            .map(|a| {
                a.part
                    .and_then(|p| usize::try_from(p).ok())
                    .map(|part| KitPick {
                        part,
                        asset: a.key.clone(),
                    })
            })
            .collect();
        match (kit, parts) {
            // The kit as it stands, if its asset parts are still the ones booked.
            (Some(kit), Some(picks))
                if picks
                    .iter()
                    .all(|p| matches!(kit.parts.get(p.part), Some(KitPart::Asset { .. })))
                    && kit
                        .parts
                        .iter()
                        .filter(|p| matches!(p, KitPart::Asset { .. }))
                        .count()
                        == picks.len() =>
            {
                let draft = KitCheckout {
                    account_id: booking.account_id.clone(),
                    due,
                    issue: booking.issue.clone(),
                    note: note.clone(),
                    picks,
                };
                let _: KitHandout =
                    check_out_kit_in(&mut tx, tenant, model, &kit, &draft, actor, now).await?;
            }
            _ => {
                let items: Vec<(AssetId, CheckoutDraft)> = booking
                    .assets
                    .iter()
                    .map(|a| {
                        (
                            a.asset_id,
                            CheckoutDraft {
                                holder: Holder::User {
                                    account_id: booking.account_id.clone(),
                                },
                                due,
                                issue: booking.issue.clone(),
                                note: note.clone(),
                            },
                        )
                    })
                    .collect();
                let _: Vec<Held> = check_out_in(&mut tx, tenant, model, &items, actor, now).await?;
            }
        }
        let booking = booking_in(&mut tx, tenant, model, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&booking)?).await?;
        }
        tx.commit().await?;
        Ok(booking)
    }

    /// Takes back some or all of a picked-up booking's assets: a check-in of each still out.
    /// A kit may come back in parts; the booking is returned with its last asset.
    pub async fn return_booking(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: i64,
        plan: &ReturnPlan,
        actor: &str,
        idempotent: Option<&Idempotent<'_, Booking>>,
    ) -> Result<Booking, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let booking = lock_booking(&mut tx, tenant, model, id).await?;
        if booking.state != BookingState::PickedUp {
            return Err(conflict(
                "booking_not_out",
                format!(
                    "booking #{id} is {}: only a picked-up booking can be returned",
                    booking.state.as_str().replace('_', " ")
                ),
            ));
        }
        let outstanding: Vec<&BookedAsset> =
            booking.assets.iter().filter(|a| !a.released).collect();
        let wanted: Vec<&BookedAsset> = if plan.assets.is_empty() {
            outstanding
        } else {
            let mut errors = Vec::new();
            let mut picked = Vec::new();
            let mut seen = HashSet::new();
            for (row, key) in plan.assets.iter().enumerate() {
                match booking.assets.iter().find(|a| &a.key == key) {
                    _ if !seen.insert(key) => errors.push(super::custody::invalid(
                        row,
                        "assets",
                        rules::DUPLICATE_VALUE,
                        format!("{key} is listed twice"),
                    )),
                    None => errors.push(super::custody::invalid(
                        row,
                        "assets",
                        rules::REFERENCE_TARGET,
                        format!("{key} is not part of booking #{id}"),
                    )),
                    Some(a) if a.released => errors.push(super::custody::invalid(
                        row,
                        "assets",
                        "already_returned",
                        format!("{key} has already come back"),
                    )),
                    Some(a) => picked.push(a),
                }
            }
            if !errors.is_empty() {
                return Err(StoreError::InvalidRows(errors));
            }
            picked
        };
        let ids: Vec<i64> = wanted.iter().map(|a| a.asset_id.0).collect();
        // Checked in by this booking's person: the others (checked in another way since, or
        // handed to someone else) only let go of the booking.
        let mut held = Sql::new(
            "SELECT asset_id FROM asset_custody WHERE holder_account = $1 AND asset_id IN ",
        )
        .arg(booking.account_id.as_str());
        held.bind_list(ids.iter().copied());
        let out: HashSet<i64> = tx
            .fetch_all::<(i64,)>(&held)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        let items: Vec<(AssetId, CheckinDraft)> = wanted
            .iter()
            .filter(|a| out.contains(&a.asset_id.0))
            .map(|a| {
                (
                    a.asset_id,
                    CheckinDraft {
                        condition: plan.condition,
                        note: plan.note.clone(),
                    },
                )
            })
            .collect();
        if !items.is_empty() {
            let _: Vec<(AssetKey, Loan)> =
                check_in_in(&mut tx, tenant, model, &items, actor, now).await?;
        }
        let rest: Vec<i64> = ids.into_iter().filter(|a| !out.contains(a)).collect();
        if !rest.is_empty() {
            let mut release = Sql::new("UPDATE booking_asset SET released = ");
            release
                .bind(true)
                .push(", returned_at = ")
                .bind(now)
                .push(" WHERE booking_id = ")
                .bind(id)
                .push(" AND asset_id IN ")
                .bind_list(rest.iter().copied());
            tx.execute(&release).await?;
            close_if_all_back(&mut tx, &[id], actor, now).await?;
        }
        let booking = booking_in(&mut tx, tenant, model, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&booking)?).await?;
        }
        tx.commit().await?;
        Ok(booking)
    }
}

/// The first asset of `type_id` (or a subtype) free over the plan's range and not yet taken by
/// this booking. On PostgreSQL an asset another booking is taking right now is skipped.
async fn pick_free(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    type_id: TypeId,
    taken: &[i64],
    plan: &BookingPlan,
) -> Result<Option<i64>, StoreError> {
    let types = bookable_types(model, &[type_id]);
    if types.is_empty() {
        return Ok(None);
    }
    let mut sql = Sql::new("SELECT a.id FROM asset a WHERE a.tenant_id = ");
    sql.bind(tenant.0)
        .push(" AND a.schema_id = ")
        .bind(model.schema.id.0)
        .push(" AND a.type_id IN ")
        .bind_list(types.iter().copied());
    free_between(
        &mut sql,
        &Span::new(plan.start, plan.end, &plan.zone, now_millis()),
    );
    // A kit is picked from assets fit to hand out: none under repair, whatever their dates.
    let maintenance: Vec<i64> = model
        .statuses
        .iter()
        .filter(|s| s.category == amj_domain::StatusCategory::Maintenance)
        .map(|s| s.id.0)
        .collect();
    if !maintenance.is_empty() {
        sql.push(" AND a.status_id NOT IN ")
            .bind_list(maintenance.iter().copied());
    }
    if !taken.is_empty() {
        sql.push(" AND a.id NOT IN ")
            .bind_list(taken.iter().copied());
    }
    sql.push(" ORDER BY a.number LIMIT 1");
    if tx.is_postgres() {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    Ok(tx.fetch_optional::<(i64,)>(&sql).await?.map(|(id,)| id))
}
