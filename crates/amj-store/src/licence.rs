//! Licence seats: the schema's licence policy, a licence's terms (`licence`), and the seats in
//! use (`licence_seat`).
//!
//! "Seats never exceed the entitlement unless overuse is allowed" is one conditional UPDATE of
//! the licence's `assigned` count, with the same rule as a CHECK constraint behind it: two
//! assignments that race both update the one licence row, so the second sees the first's count
//! (PostgreSQL re-reads the row it waited for; SQLite holds the write lock). See
//! docs/ARCHITECTURE.md, "Licence seats".

use super::catalog::SchemaModel;
use super::custody::{
    Idempotent, Locked, PolicyTypes, assets_by_number, claim_key, invalid, lock_assets,
    replace_policy_types, store_response,
};
use super::db::Tx;
use super::sql::{MAX_PARAMS, Sql};
use super::{Store, StoreError, now_millis};
use amj_domain::ids::{AssetId, SchemaId, TenantId, TypeId};
use amj_domain::licence::{
    Assignee, Compliance, LicencePolicy, LicenceTerms, SeatCounts, SeatDraft, SeatRelease,
};
use amj_domain::{AssetKey, HistoryEvent, ValidationErrors, rules};
use std::collections::{BTreeMap, HashMap};

/// A licence with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Licence {
    pub asset_id: AssetId,
    pub key: AssetKey,
    pub label: String,
    pub terms: LicenceTerms,
    pub assigned: i64,
    /// Assets pointing at it through the schema's installed attribute (0 without one).
    pub installed: i64,
}

impl Licence {
    pub fn compliance(&self) -> Compliance {
        Compliance::of(self.terms.entitled, self.assigned, self.installed)
    }
}

/// A seat in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub id: i64,
    pub assignee: Assignee,
    /// Epoch milliseconds.
    pub assigned_at: i64,
    pub by: String,
    pub issue: Option<String>,
    pub note: String,
}

/// A seat given for a Jira issue, with its licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueSeat {
    pub licence: AssetKey,
    pub licence_label: String,
    pub seat: Seat,
}

#[derive(sqlx::FromRow)]
struct IssueSeatRow {
    #[sqlx(flatten)]
    seat: SeatRow,
    licence_number: i64,
    licence_schema: String,
    licence_label: String,
}

/// The licences of one product, added up.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductCompliance {
    pub product: String,
    pub licences: i64,
    pub compliance: Compliance,
}

/// A seat of a person, with its licence: what reclaiming lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSeat {
    pub licence: AssetKey,
    pub licence_label: String,
    pub account_id: String,
    pub assigned_at: i64,
}

#[derive(sqlx::FromRow)]
struct LicenceRow {
    asset_id: i64,
    number: i64,
    label: String,
    product: String,
    entitled: i64,
    allow_overuse: bool,
    assigned: i64,
    expires_day: Option<i64>,
    renews_day: Option<i64>,
    cost_per_seat_minor: Option<i64>,
    currency: Option<String>,
    installed: i64,
}

impl LicenceRow {
    fn into_licence(self, model: &SchemaModel) -> Result<Licence, StoreError> {
        let day = |d: Option<i64>| {
            d.map(|d| i32::try_from(d).map_err(|_| StoreError::Corrupt(format!("licence day {d}"))))
                .transpose()
        };
        Ok(Licence {
            asset_id: AssetId(self.asset_id),
            key: AssetKey::new(model.schema.key.clone(), self.number),
            label: self.label,
            terms: LicenceTerms {
                product: self.product,
                entitled: self.entitled,
                allow_overuse: self.allow_overuse,
                expires: day(self.expires_day)?,
                renews: day(self.renews_day)?,
                // Hundredths to the wire's decimal: exact for every stored amount.
                cost_per_seat: self.cost_per_seat_minor.map(|c| c as f64 / 100.0),
                currency: self.currency,
            },
            assigned: self.assigned,
            installed: self.installed,
        })
    }
}

/// A licence's installations (`l` is the licence row, `$3` the installed attribute, or -1).
/// Counted where they are kept: an attribute on other assets pointing at licences is one row of
/// the reference counters per licence, whatever the number of installations; an attribute on
/// the licence itself ("Installed on" machines) is its own values, read by primary key.
fn installed_sql(model: &SchemaModel) -> &'static str {
    let on_licence = model
        .licences
        .installed_attribute
        .and_then(|id| model.attribute(id))
        .is_some_and(|a| model.licences.installed_on_licence(&model.types, a));
    if on_licence {
        "(SELECT COUNT(*) FROM asset_value v WHERE v.asset_id = l.asset_id \
         AND v.attribute_id = $3 AND v.v_ref IS NOT NULL)"
    } else {
        "COALESCE((SELECT t.n FROM asset_tally t WHERE t.tenant_id = l.tenant_id \
         AND t.schema_id = l.schema_id AND t.dimension = 'ref' AND t.k1 = $3 \
         AND t.k2 = l.asset_id), 0)"
    }
}

/// The licence columns with the installed count.
fn licence_select(model: &SchemaModel) -> String {
    format!(
        "SELECT l.asset_id, a.number, a.label, l.product, l.entitled, l.allow_overuse, \
         l.assigned, l.expires_day, l.renews_day, l.cost_per_seat_minor, l.currency, \
         {} AS installed FROM licence l JOIN asset a ON a.id = l.asset_id",
        installed_sql(model)
    )
}

#[derive(sqlx::FromRow)]
struct SeatRow {
    id: i64,
    assignee_kind: String,
    assignee_account: Option<String>,
    assignee_number: Option<i64>,
    assignee_schema: Option<String>,
    assigned_at: i64,
    by_actor: String,
    issue_key: Option<String>,
    note: String,
}

impl SeatRow {
    fn into_seat(self) -> Result<Seat, StoreError> {
        let assignee = match (
            self.assignee_kind.as_str(),
            self.assignee_account,
            self.assignee_schema,
            self.assignee_number,
        ) {
            ("user", Some(account_id), _, _) => Assignee::User { account_id },
            ("asset", _, Some(schema), Some(number)) => Assignee::Asset {
                key: AssetKey::parse(&format!("{schema}-{number}"))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            },
            (kind, ..) => {
                return Err(StoreError::Corrupt(format!(
                    "seat {} has an unreadable assignee ({kind})",
                    self.id
                )));
            }
        };
        Ok(Seat {
            id: self.id,
            assignee,
            assigned_at: self.assigned_at,
            by: self.by_actor,
            issue: self.issue_key,
            note: self.note,
        })
    }
}

const SEAT_SELECT: &str = "SELECT s.id, s.assignee_kind, s.assignee_account, \
    h.number AS assignee_number, hs.schema_key AS assignee_schema, s.assigned_at, s.by_actor, \
    s.issue_key, s.note FROM licence_seat s LEFT JOIN asset h ON h.id = s.assignee_asset_id \
    LEFT JOIN asset_schema hs ON hs.id = h.schema_id";

fn installed_param(model: &SchemaModel) -> i64 {
    model.licences.installed_attribute.map_or(-1, |a| a.0)
}

fn not_licence(model: &SchemaModel, asset: &Locked, key: &AssetKey) -> Option<ValidationErrors> {
    let type_id = TypeId(asset.type_id);
    if asset.archived {
        return Some(ValidationErrors::single(
            "asset",
            rules::REFERENCE_TARGET,
            format!("{key} is archived"),
        ));
    }
    if !model.licences.is_licensed(&model.types, type_id) {
        let name = model
            .asset_type(type_id)
            .map_or_else(|| type_id.0.to_string(), |t| t.name.clone());
        return Some(ValidationErrors::single(
            "asset",
            "not_licensed",
            format!("{key}: {name} assets are not licences (see the schema's licence settings)"),
        ));
    }
    None
}

fn asset_not_found(id: AssetId) -> StoreError {
    StoreError::NotFound {
        code: "asset_not_found",
        message: format!("asset {} does not exist", id.0),
    }
}

fn no_terms(key: &AssetKey) -> StoreError {
    StoreError::NotFound {
        code: "licence_not_found",
        message: format!("{key} has no licence terms yet: set its entitled seats first"),
    }
}

fn encode(events: Vec<(i64, HistoryEvent)>) -> Result<Vec<(i64, String)>, StoreError> {
    events
        .into_iter()
        .map(|(id, e)| {
            serde_json::to_string(&e)
                .map(|e| (id, e))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

/// Locks the licence's asset and checks it is a licence of the schema.
async fn lock_licence(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    id: AssetId,
) -> Result<(Locked, AssetKey), StoreError> {
    let mut locked = lock_assets(tx, tenant, model, &[id.0]).await?;
    let asset = locked.remove(&id.0).ok_or_else(|| asset_not_found(id))?;
    let key = AssetKey::new(model.schema.key.clone(), asset.number);
    if let Some(errors) = not_licence(model, &asset, &key) {
        return Err(StoreError::Invalid(errors));
    }
    Ok((asset, key))
}

/// The licence row in this transaction (locked on PostgreSQL).
async fn read_licence(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    id: AssetId,
) -> Result<Option<Licence>, StoreError> {
    let sql = Sql::new(&format!(
        "{} WHERE l.asset_id = $1 AND l.tenant_id = $2",
        licence_select(model)
    ))
    .arg(id.0)
    .arg(tenant.0)
    .arg(installed_param(model));
    let row: Option<LicenceRow> = tx.fetch_optional(&sql).await?;
    row.map(|r| r.into_licence(model)).transpose()
}

/// The assets among `assignees`, by number within the schema: (id, archived). A key of another
/// schema is not found.
async fn assignee_assets(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    assignees: &[Assignee],
) -> Result<HashMap<i64, (i64, bool)>, StoreError> {
    let numbers: Vec<i64> = assignees
        .iter()
        .filter_map(|a| match a {
            Assignee::Asset { key } if key.schema == model.schema.key => Some(key.number),
            _ => None,
        })
        .collect();
    assets_by_number(tx, tenant, model.schema.id, &numbers).await
}

/// Each assignee's asset id, or the row's error.
fn resolve_assignees(
    model: &SchemaModel,
    assignees: &[Assignee],
    assets: &HashMap<i64, (i64, bool)>,
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut errors = Vec::new();
    let mut ids = Vec::with_capacity(assignees.len());
    for (row, assignee) in assignees.iter().enumerate() {
        match assignee {
            Assignee::User { .. } => ids.push(None),
            Assignee::Asset { key } => {
                let found = (key.schema == model.schema.key)
                    .then(|| assets.get(&key.number))
                    .flatten();
                match found {
                    None => errors.push(invalid(
                        row,
                        "assignee",
                        rules::REFERENCE_TARGET,
                        format!("{key} is not an asset of this schema"),
                    )),
                    Some((_, true)) => errors.push(invalid(
                        row,
                        "assignee",
                        rules::REFERENCE_TARGET,
                        format!("{key} is archived"),
                    )),
                    Some((id, false)) => ids.push(Some(*id)),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(StoreError::InvalidRows(errors))
    }
}

/// The seats of `licence` held by these assignees: seat id per (account or asset id).
async fn seats_held(
    tx: &mut Tx,
    licence: AssetId,
    accounts: &[&str],
    assets: &[i64],
) -> Result<HashMap<SeatOf, i64>, StoreError> {
    let mut out = HashMap::new();
    for chunk in accounts.chunks(500) {
        let mut sql = Sql::new("SELECT id, assignee_account FROM licence_seat WHERE licence_id = ");
        sql.bind(licence.0)
            .push(" AND assignee_account IN ")
            .bind_list(chunk.iter().map(|a| a.to_string()));
        let rows: Vec<(i64, String)> = tx.fetch_all(&sql).await?;
        out.extend(rows.into_iter().map(|(id, a)| (SeatOf::Account(a), id)));
    }
    for chunk in assets.chunks(500) {
        let mut sql =
            Sql::new("SELECT id, assignee_asset_id FROM licence_seat WHERE licence_id = ");
        sql.bind(licence.0)
            .push(" AND assignee_asset_id IN ")
            .bind_list(chunk.iter().copied());
        let rows: Vec<(i64, i64)> = tx.fetch_all(&sql).await?;
        out.extend(rows.into_iter().map(|(id, a)| (SeatOf::Asset(a), id)));
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SeatOf {
    Account(String),
    Asset(i64),
}

fn seat_of(assignee: &Assignee, asset: Option<i64>) -> Option<SeatOf> {
    match (assignee, asset) {
        (Assignee::User { account_id }, _) => Some(SeatOf::Account(account_id.clone())),
        (Assignee::Asset { .. }, Some(id)) => Some(SeatOf::Asset(id)),
        (Assignee::Asset { .. }, None) => None,
    }
}

/// A seat verb's assignees, resolved in its transaction.
struct Resolved {
    /// Each assignee's asset id, in order (`None` for a person).
    ids: Vec<Option<i64>>,
    accounts: Vec<String>,
    asset_ids: Vec<i64>,
    /// The seats of the licence they hold now.
    held: HashMap<SeatOf, i64>,
}

/// Checks the licence has terms, resolves the assignees (a row error for an asset that is not
/// there) and reads the seats they hold.
async fn resolve_seats(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    licence: AssetId,
    key: &AssetKey,
    assignees: &[Assignee],
) -> Result<Resolved, StoreError> {
    if read_licence(tx, tenant, model, licence).await?.is_none() {
        return Err(no_terms(key));
    }
    let assets = assignee_assets(tx, tenant, model, assignees).await?;
    let ids = resolve_assignees(model, assignees, &assets)?;
    let (accounts, asset_ids) = split_keys(assignees, &ids);
    let refs: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let held = seats_held(tx, licence, &refs, &asset_ids).await?;
    Ok(Resolved {
        ids,
        accounts,
        asset_ids,
        held,
    })
}

fn split_keys(assignees: &[Assignee], ids: &[Option<i64>]) -> (Vec<String>, Vec<i64>) {
    let accounts = assignees
        .iter()
        .filter_map(|a| match a {
            Assignee::User { account_id } => Some(account_id.clone()),
            Assignee::Asset { .. } => None,
        })
        .collect();
    (accounts, ids.iter().flatten().copied().collect())
}

/// Assigns seats inside the caller's transaction (a verb's, or a kit's with its other parts):
/// the rules of [`Store::assign_seats`], without its key and commit.
pub(crate) async fn assign_seats_in(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    id: AssetId,
    draft: &SeatDraft,
    actor: &str,
    now: i64,
) -> Result<(Licence, Vec<Seat>), StoreError> {
    let (asset, key) = lock_licence(tx, tenant, model, id).await?;
    if asset.retired_at.is_some() {
        return Err(StoreError::Invalid(ValidationErrors::single(
            "asset",
            "retired",
            format!("{key} is retired: its seats cannot be assigned"),
        )));
    }
    let Resolved {
        ids,
        accounts,
        asset_ids,
        held,
    } = resolve_seats(tx, tenant, model, id, &key, &draft.assignees).await?;
    let account_refs: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let taken: Vec<String> = draft
        .assignees
        .iter()
        .zip(&ids)
        .filter(|(a, asset)| seat_of(a, **asset).is_some_and(|s| held.contains_key(&s)))
        .map(|(a, _)| format!("{a} already holds a seat of {key}"))
        .collect();
    if !taken.is_empty() {
        return Err(StoreError::Conflict {
            code: "seat_already_assigned",
            message: taken.join("; "),
        });
    }
    let n = i64::try_from(draft.assignees.len())
        .map_err(|_| StoreError::Corrupt("too many assignees".into()))?;
    // The invariant, decided by the row itself: a concurrent assignment that committed first
    // is counted here, whichever backend.
    let take = Sql::new(
        "UPDATE licence SET assigned = assigned + $3 WHERE asset_id = $1 AND tenant_id = $2 \
         AND (allow_overuse OR assigned + $3 <= entitled)",
    )
    .arg(id.0)
    .arg(tenant.0)
    .arg(n);
    if tx.execute(&take).await? == 0 {
        let now_held = read_licence(tx, tenant, model, id)
            .await?
            .ok_or_else(|| no_terms(&key))?;
        let free = (now_held.terms.entitled - now_held.assigned).max(0);
        return Err(StoreError::Conflict {
            code: "seats_exhausted",
            message: format!(
                "{key} has {free} free seat{} of {} entitled; {n} asked. Free seats, buy \
                 more, or allow overuse",
                if free == 1 { "" } else { "s" },
                now_held.terms.entitled
            ),
        });
    }
    const PARAMS: usize = 9;
    let rows: Vec<(&Assignee, Option<i64>)> =
        draft.assignees.iter().zip(ids.iter().copied()).collect();
    for chunk in rows.chunks(MAX_PARAMS / PARAMS) {
        let mut sql = Sql::new(
            "INSERT INTO licence_seat (tenant_id, licence_id, assignee_kind, \
             assignee_account, assignee_asset_id, assigned_at, by_actor, issue_key, note) \
             VALUES ",
        );
        for (i, (assignee, asset_id)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let (kind, account) = match assignee {
                Assignee::User { account_id } => ("user", Some(account_id.clone())),
                Assignee::Asset { .. } => ("asset", None),
            };
            sql.push("(")
                .bind(tenant.0)
                .push(", ")
                .bind(id.0)
                .push(", ")
                .bind(kind)
                .push(", ")
                .bind(account)
                .push(", ")
                .bind(*asset_id)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(actor)
                .push(", ")
                .bind(draft.issue.clone())
                .push(", ")
                .bind(draft.note.as_str())
                .push(")");
        }
        sql.one_off();
        tx.execute(&sql).await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                StoreError::Conflict {
                    code: "seat_already_assigned",
                    message: format!(
                        "a seat of {key} was given to one of these just now by another request"
                    ),
                }
            }
            other => other,
        })?;
    }
    let events = draft
        .assignees
        .iter()
        .map(|a| {
            (
                asset.id,
                HistoryEvent::SeatAssigned {
                    assignee: a.clone(),
                    issue: draft.issue.clone(),
                    note: draft.note.clone(),
                },
            )
        })
        .collect();
    super::assets::insert_events(tx, tenant, now, actor, &encode(events)?).await?;
    let licence = read_licence(tx, tenant, model, id)
        .await?
        .ok_or_else(|| no_terms(&key))?;
    let mut seats = Vec::with_capacity(draft.assignees.len());
    let held = seats_held(tx, id, &account_refs, &asset_ids).await?;
    for (assignee, asset_id) in draft.assignees.iter().zip(&ids) {
        let seat = seat_of(assignee, *asset_id)
            .and_then(|s| held.get(&s))
            .ok_or_else(|| StoreError::Corrupt(format!("{assignee}: seat not written")))?;
        seats.push(Seat {
            id: *seat,
            assignee: assignee.clone(),
            assigned_at: now,
            by: actor.to_owned(),
            issue: draft.issue.clone(),
            note: draft.note.clone(),
        });
    }
    Ok((licence, seats))
}

impl Store {
    /// Replaces a schema's licence policy (validated by the caller against the model), bumping
    /// the catalog so every instance applies it from its next request.
    pub async fn set_licence_policy(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        policy: &LicencePolicy,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin_write().await?;
        let update = Sql::new(
            "UPDATE asset_schema SET installed_attribute_id = $3 WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(policy.installed_attribute.map(|a| a.0));
        tx.execute(&update).await?;
        replace_policy_types(
            &mut tx,
            PolicyTypes::Licence,
            tenant,
            schema,
            &policy.licensed_types,
        )
        .await?;
        super::catalog::bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await
    }

    /// A licence's terms and counts; `None` when none were set. Addressed by asset id (the
    /// primary key), with the tenant checked in the same statement.
    pub async fn licence(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: AssetId,
    ) -> Result<Option<Licence>, StoreError> {
        let sql = Sql::new(&format!(
            "{} WHERE l.asset_id = $1 AND l.tenant_id = $2",
            licence_select(model)
        ))
        .arg(id.0)
        .arg(tenant.0)
        .arg(installed_param(model));
        let row: Option<LicenceRow> = self.db().fetch_optional(&sql).await?;
        row.map(|r| r.into_licence(model)).transpose()
    }

    /// Sets a licence's terms (validated by the caller). Lowering the entitlement below the
    /// seats in use is refused unless overuse is allowed: seats are freed first, never silently.
    pub async fn set_licence_terms(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: AssetId,
        terms: &LicenceTerms,
        actor: &str,
    ) -> Result<Licence, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        let (asset, key) = lock_licence(&mut tx, tenant, model, id).await?;
        let before = read_licence(&mut tx, tenant, model, id).await?;
        let assigned = before.as_ref().map_or(0, |l| l.assigned);
        if !terms.allow_overuse && terms.entitled < assigned {
            return Err(StoreError::Conflict {
                code: "seats_in_use",
                message: format!(
                    "{key} has {assigned} seats assigned: free {} of them first, or allow overuse",
                    assigned - terms.entitled
                ),
            });
        }
        let product = terms.product.trim();
        let sql = if before.is_some() {
            Sql::new(
                "UPDATE licence SET product = $3, entitled = $4, allow_overuse = $5, \
                 expires_day = $6, renews_day = $7, cost_per_seat_minor = $8, currency = $9 \
                 WHERE asset_id = $1 AND tenant_id = $2",
            )
        } else {
            Sql::new(
                "INSERT INTO licence (asset_id, tenant_id, product, entitled, allow_overuse, \
                 expires_day, renews_day, cost_per_seat_minor, currency, schema_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
        }
        .arg(asset.id)
        .arg(tenant.0)
        .arg(product)
        .arg(terms.entitled)
        .arg(terms.allow_overuse)
        .arg(terms.expires.map(i64::from))
        .arg(terms.renews.map(i64::from))
        .arg(terms.cost_minor())
        .arg(terms.currency.as_deref());
        let sql = if before.is_some() {
            sql
        } else {
            sql.arg(model.schema.id.0)
        };
        tx.execute(&sql).await?;
        let after = read_licence(&mut tx, tenant, model, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("{key}: licence row not written")))?;
        if before.as_ref().map(|l| &l.terms) != Some(&after.terms) {
            let event = HistoryEvent::LicenceChanged {
                terms: after.terms.clone(),
            };
            let events = encode(vec![(asset.id, event)])?;
            super::assets::insert_events(&mut tx, tenant, now, actor, &events).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Assigns seats of a licence, all or none. Past the entitlement (and overuse not allowed)
    /// is a 409 saying how many seats are free; an assignee who already holds a seat is a 409
    /// too. Returns the licence after, and the new seats in the order asked.
    pub async fn assign_seats(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: AssetId,
        draft: &SeatDraft,
        actor: &str,
        idempotent: Option<&Idempotent<'_, (Licence, Vec<Seat>)>>,
    ) -> Result<(Licence, Vec<Seat>), StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let done = assign_seats_in(&mut tx, tenant, model, id, draft, actor, now).await?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&done)?).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Frees seats of a licence, all or none: every assignee must hold one.
    pub async fn release_seats(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: AssetId,
        release: &SeatRelease,
        actor: &str,
        idempotent: Option<&Idempotent<'_, Licence>>,
    ) -> Result<Licence, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let (asset, key) = lock_licence(&mut tx, tenant, model, id).await?;
        let Resolved { ids, held, .. } =
            resolve_seats(&mut tx, tenant, model, id, &key, &release.assignees).await?;
        let mut errors = Vec::new();
        let mut seat_ids = Vec::new();
        for (row, (assignee, asset_id)) in release.assignees.iter().zip(&ids).enumerate() {
            match seat_of(assignee, *asset_id).and_then(|s| held.get(&s)) {
                Some(seat) => seat_ids.push(*seat),
                None => errors.push(invalid(
                    row,
                    "assignee",
                    "no_seat",
                    format!("{assignee} holds no seat of {key}"),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::InvalidRows(errors));
        }
        free_seats(&mut tx, tenant, &[(id, seat_ids)]).await?;
        let events = release
            .assignees
            .iter()
            .map(|a| {
                (
                    asset.id,
                    HistoryEvent::SeatReleased {
                        assignee: a.clone(),
                        note: release.note.clone(),
                    },
                )
            })
            .collect();
        super::assets::insert_events(&mut tx, tenant, now, actor, &encode(events)?).await?;
        let licence = read_licence(&mut tx, tenant, model, id)
            .await?
            .ok_or_else(|| no_terms(&key))?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&licence)?).await?;
        }
        tx.commit().await?;
        Ok(licence)
    }

    /// The seat counts of those of `ids` that are licences with terms. Addressed by id alone
    /// (the primary key; SQLite's planner would otherwise walk the tenant's rows), the tenant
    /// checked on each row.
    pub async fn seats_of(
        &self,
        tenant: TenantId,
        ids: &[AssetId],
    ) -> Result<HashMap<AssetId, SeatCounts>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(
                "SELECT asset_id, tenant_id, entitled, assigned FROM licence WHERE asset_id IN ",
            );
            sql.bind_list(chunk.iter().map(|id| id.0));
            let rows: Vec<(i64, i64, i64, i64)> = self.db().fetch_all(&sql).await?;
            out.extend(rows.into_iter().filter(|(_, t, _, _)| *t == tenant.0).map(
                |(id, _, entitled, assigned)| (AssetId(id), SeatCounts::of(entitled, assigned)),
            ));
        }
        Ok(out)
    }

    /// The seats given for a Jira issue (by key), in every schema, oldest first.
    pub async fn seats_for_issue(
        &self,
        tenant: TenantId,
        issue_key: &str,
        limit: usize,
    ) -> Result<Vec<IssueSeat>, StoreError> {
        let sql = Sql::new(
            "SELECT s.id, s.assignee_kind, s.assignee_account, h.number AS assignee_number, \
             hs.schema_key AS assignee_schema, s.assigned_at, s.by_actor, s.issue_key, s.note, \
             la.number AS licence_number, ls.schema_key AS licence_schema, \
             la.label AS licence_label FROM licence_seat s \
             JOIN asset la ON la.id = s.licence_id JOIN asset_schema ls ON ls.id = la.schema_id \
             LEFT JOIN asset h ON h.id = s.assignee_asset_id \
             LEFT JOIN asset_schema hs ON hs.id = h.schema_id \
             WHERE s.tenant_id = $1 AND s.issue_key = $2 ORDER BY s.id LIMIT $3",
        )
        .arg(tenant.0)
        .arg(issue_key)
        .arg(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<IssueSeatRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter()
            .map(|r| {
                let licence =
                    AssetKey::parse(&format!("{}-{}", r.licence_schema, r.licence_number))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(IssueSeat {
                    licence,
                    licence_label: r.licence_label,
                    seat: r.seat.into_seat()?,
                })
            })
            .collect()
    }

    /// A page of a licence's seats in assignment order, after seat `after`.
    pub async fn seats(
        &self,
        tenant: TenantId,
        licence: AssetId,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Seat>, StoreError> {
        let sql = Sql::new(&format!(
            "{SEAT_SELECT} WHERE s.licence_id = $1 AND s.tenant_id = $2 AND s.id > $3 \
             ORDER BY s.id LIMIT $4"
        ))
        .arg(licence.0)
        .arg(tenant.0)
        .arg(after.unwrap_or(0))
        .arg(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<SeatRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter().map(SeatRow::into_seat).collect()
    }

    /// A page of the schema's licences in use (neither archived nor retired), by product then
    /// key, optionally of one product.
    pub async fn licences(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        product: Option<&str>,
        after: Option<(&str, i64)>,
        limit: usize,
    ) -> Result<Vec<Licence>, StoreError> {
        let mut sql = Sql::new(&format!(
            "{} WHERE l.tenant_id = $1 AND l.schema_id = $2 AND a.archived = $4 AND a.retired_at IS NULL",
            licence_select(model)
        ))
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(installed_param(model))
        .arg(false);
        if let Some(product) = product {
            sql.push(" AND l.product = ").bind(product);
        }
        if let Some((product, asset)) = after {
            sql.push(" AND (l.product > ")
                .bind(product)
                .push(" OR (l.product = ")
                .bind(product)
                .push(" AND l.asset_id > ")
                .bind(asset)
                .push("))");
        }
        sql.push(" ORDER BY l.product, l.asset_id LIMIT ")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<LicenceRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter().map(|r| r.into_licence(model)).collect()
    }

    /// Every product's licences in use added up (archived and retired ones left out: a retired
    /// licence entitles no one), by product name.
    pub async fn compliance_by_product(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
    ) -> Result<Vec<ProductCompliance>, StoreError> {
        let sql = Sql::new(
            // SUM is NUMERIC on PostgreSQL: the sums fit i64, so they are cast back.
            &format!(
                "SELECT l.product, COUNT(*), CAST(SUM(l.entitled) AS BIGINT), \
                 CAST(SUM(l.assigned) AS BIGINT), CAST(SUM({}) AS BIGINT) FROM licence l \
                 JOIN asset a ON a.id = l.asset_id WHERE l.tenant_id = $1 AND l.schema_id = $2 \
                 AND a.archived = $4 AND a.retired_at IS NULL GROUP BY l.product ORDER BY l.product",
                installed_sql(model)
            ),
        )
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(installed_param(model))
        .arg(false);
        let rows: Vec<(String, i64, i64, i64, i64)> = self.db().fetch_all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(
                |(product, licences, entitled, assigned, installed)| ProductCompliance {
                    product,
                    licences,
                    compliance: Compliance::of(entitled, assigned, installed),
                },
            )
            .collect())
    }

    /// The people holding seats of the schema's licences, each once.
    pub async fn seat_accounts(
        &self,
        tenant: TenantId,
        schema: SchemaId,
    ) -> Result<Vec<String>, StoreError> {
        let sql = Sql::new(
            "SELECT DISTINCT s.assignee_account FROM licence_seat s \
             JOIN licence l ON l.asset_id = s.licence_id \
             WHERE s.tenant_id = $1 AND l.schema_id = $2 AND s.assignee_account IS NOT NULL \
             ORDER BY s.assignee_account",
        )
        .arg(tenant.0)
        .arg(schema.0);
        let rows: Vec<(String,)> = self.db().fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(a,)| a).collect())
    }

    /// The seats these people hold on the schema's licences.
    pub async fn seats_of_accounts(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        accounts: &[String],
    ) -> Result<Vec<AccountSeat>, StoreError> {
        let mut out = Vec::new();
        for chunk in accounts.chunks(500) {
            let mut sql = Sql::new(
                "SELECT a.number, a.label, s.assignee_account, s.assigned_at FROM licence_seat s \
                 JOIN licence l ON l.asset_id = s.licence_id JOIN asset a ON a.id = l.asset_id \
                 WHERE s.tenant_id = ",
            );
            sql.bind(tenant.0)
                .push(" AND l.schema_id = ")
                .bind(model.schema.id.0)
                .push(" AND s.assignee_account IN ")
                .bind_list(chunk.iter().cloned())
                .push(" ORDER BY s.assignee_account, a.number");
            let rows: Vec<(i64, String, String, i64)> = self.db().fetch_all(&sql).await?;
            out.extend(
                rows.into_iter()
                    .map(|(number, label, account_id, assigned_at)| AccountSeat {
                        licence: AssetKey::new(model.schema.key.clone(), number),
                        licence_label: label,
                        account_id,
                        assigned_at,
                    }),
            );
        }
        Ok(out)
    }

    /// Frees every seat these people hold on the schema's licences, in one transaction, with a
    /// `SeatReleased` on each licence's history. The count freed.
    pub async fn reclaim_seats(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        accounts: &[String],
        note: &str,
        actor: &str,
    ) -> Result<usize, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        let mut by_licence: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
        for chunk in accounts.chunks(500) {
            let mut sql = Sql::new(
                "SELECT s.licence_id, s.id, s.assignee_account FROM licence_seat s \
                 JOIN licence l ON l.asset_id = s.licence_id WHERE s.tenant_id = ",
            );
            sql.bind(tenant.0)
                .push(" AND l.schema_id = ")
                .bind(model.schema.id.0)
                .push(" AND s.assignee_account IN ")
                .bind_list(chunk.iter().cloned());
            let rows: Vec<(i64, i64, String)> = tx.fetch_all(&sql).await?;
            for (licence, seat, account) in rows {
                by_licence.entry(licence).or_default().push((seat, account));
            }
        }
        let freed: Vec<(AssetId, Vec<i64>)> = by_licence
            .iter()
            .map(|(l, seats)| (AssetId(*l), seats.iter().map(|(s, _)| *s).collect()))
            .collect();
        free_seats(&mut tx, tenant, &freed).await?;
        let events: Vec<(i64, HistoryEvent)> = by_licence
            .into_iter()
            .flat_map(|(licence, seats)| {
                seats.into_iter().map(move |(_, account_id)| {
                    (
                        licence,
                        HistoryEvent::SeatReleased {
                            assignee: Assignee::User { account_id },
                            note: note.to_owned(),
                        },
                    )
                })
            })
            .collect();
        let count = events.len();
        super::assets::insert_events(&mut tx, tenant, now, actor, &encode(events)?).await?;
        tx.commit().await?;
        Ok(count)
    }
}

/// Deletes seats and lowers each licence's count, licences in id order (so that two reclaims
/// lock them in the same order and cannot deadlock).
async fn free_seats(
    tx: &mut Tx,
    tenant: TenantId,
    seats: &[(AssetId, Vec<i64>)],
) -> Result<(), StoreError> {
    for (licence, ids) in seats {
        let mut freed = 0;
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new("DELETE FROM licence_seat WHERE licence_id = ");
            sql.bind(licence.0)
                .push(" AND id IN ")
                .bind_list(chunk.iter().copied());
            freed += tx.execute(&sql).await?;
        }
        let freed = i64::try_from(freed).map_err(|_| StoreError::Corrupt("seat count".into()))?;
        let update = Sql::new(
            "UPDATE licence SET assigned = assigned - $3 WHERE asset_id = $1 AND tenant_id = $2",
        )
        .arg(licence.0)
        .arg(tenant.0)
        .arg(freed);
        tx.execute(&update).await?;
    }
    Ok(())
}

impl Store {
    /// The seats a person holds, in every schema, oldest first: their licences.
    pub async fn seats_of_person(
        &self,
        tenant: TenantId,
        account_id: &str,
        limit: usize,
    ) -> Result<Vec<AccountSeat>, StoreError> {
        let sql = Sql::new(
            "SELECT sc.schema_key, a.number, a.label, s.assigned_at FROM licence_seat s \
             JOIN asset a ON a.id = s.licence_id JOIN asset_schema sc ON sc.id = a.schema_id \
             WHERE s.tenant_id = $1 AND s.assignee_account = $2 ORDER BY s.id LIMIT $3",
        )
        .arg(tenant.0)
        .arg(account_id)
        .arg(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<(String, i64, String, i64)> = self.db().fetch_all(&sql).await?;
        rows.into_iter()
            .map(|(schema, number, licence_label, assigned_at)| {
                Ok(AccountSeat {
                    licence: AssetKey::parse(&format!("{schema}-{number}"))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    licence_label,
                    account_id: account_id.to_owned(),
                    assigned_at,
                })
            })
            .collect()
    }
}
