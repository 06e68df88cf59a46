//! Requests approved in Jira: the schema's approval policy (`asset_schema.request_policy`), the
//! requests (`asset_request`), the assets set aside for them (`asset_reservation`) and each
//! request's path (`request_event`). The rules are `amj_domain::request`'s; this module applies
//! them in transactions. See docs/ARCHITECTURE.md, "Requests approved in Jira".

use super::Db;
use super::catalog::SchemaModel;
use super::custody::{Held, Idempotent, check_out_in, claim_key, store_response};
use super::db::Tx;
use super::kit::{check_out_kit_in, kit_in, pick_available};
use super::sql::Sql;
use super::{Store, StoreError, now_millis};
use amj_domain::custody::{CheckoutDraft, Holder};
use amj_domain::ids::{AssetId, SchemaId, TenantId, TypeId};
use amj_domain::kit::{KitCheckout, KitPart, KitPick};
use amj_domain::request::{
    ApprovalPolicy, Fulfilment, IssueStatus, RequestDraft, RequestEvent, RequestState, Step,
    Wanted, Why, after, settle,
};
use amj_domain::{AssetKey, HistoryEvent, rules};

/// The actor of what Jira's workflow decided: the app, acting on the issue's status.
pub const WORKFLOW_ACTOR: &str = "app";

/// A request as stored, with what is set aside for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: i64,
    pub schema_id: SchemaId,
    pub issue_id: i64,
    pub issue_key: String,
    pub wanted: Wanted,
    /// What is wanted in words, as it was asked for.
    pub what: String,
    pub account_id: String,
    pub note: String,
    pub state: RequestState,
    pub issue_status: String,
    /// The assets reserved for it: (kit part, key, label).
    pub reserved: Vec<(usize, AssetKey, String)>,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
}

/// One step of a request's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEntry {
    pub at: i64,
    pub actor: String,
    pub event: RequestEvent,
}

/// A request with its path, oldest first: what a verb answers, so the caller reads what it did.
pub type WithHistory = (Request, Vec<RequestEntry>);

/// An asset's reservation: the request, its issue and its person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub request: i64,
    pub issue_key: String,
    pub account_id: String,
}

/// What was read of a request's issue, to settle the request against.
#[derive(Debug, Clone, Copy)]
pub struct IssueSight<'a> {
    pub status: &'a IssueStatus,
    pub key: &'a str,
    /// Jira's `updated` of the read, in ms: an older read than one applied changes nothing.
    pub seen: i64,
    /// Assets the issue names (its Assets field): reserved first when they fit and are free.
    pub preferred: &'a [AssetKey],
}

/// What a settle did: the step it took, or that the read was stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Took(Step),
    /// A newer read of the issue was applied already: this one changes nothing.
    Stale,
}

/// An issue as a route names it: by id (stable when it moves) or by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestIssueRef<'a> {
    Id(i64),
    Key(&'a str),
}

/// The issue a request is made on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIssue {
    pub id: i64,
    pub key: String,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    schema_id: i64,
    issue_id: i64,
    issue_key: String,
    wanted: String,
    what: String,
    account_id: String,
    note: String,
    state: String,
    ever_approved: bool,
    issue_status: String,
    issue_seen: i64,
    created_at: i64,
    created_by: String,
    updated_at: i64,
}

const REQUEST_COLUMNS: &str = "id, schema_id, issue_id, issue_key, wanted, what, account_id, note, \
    state, ever_approved, issue_status, issue_seen, created_at, created_by, updated_at";

fn state_name(state: RequestState) -> &'static str {
    match state {
        RequestState::Pending => "pending",
        RequestState::Approved => "approved",
        RequestState::Fulfilled => "fulfilled",
        RequestState::Released => "released",
    }
}

fn parse_state(name: &str) -> Result<RequestState, StoreError> {
    Ok(match name {
        "pending" => RequestState::Pending,
        "approved" => RequestState::Approved,
        "fulfilled" => RequestState::Fulfilled,
        "released" => RequestState::Released,
        other => return Err(StoreError::Corrupt(format!("request state {other:?}"))),
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl RequestRow {
    fn state(&self) -> Result<RequestState, StoreError> {
        parse_state(&self.state)
    }

    fn into_request(self, reserved: Vec<(usize, AssetKey, String)>) -> Result<Request, StoreError> {
        let wanted = serde_json::from_str(&self.wanted)
            .map_err(|e| StoreError::Corrupt(format!("request {} wanted: {e}", self.id)))?;
        Ok(Request {
            state: self.state()?,
            id: self.id,
            schema_id: SchemaId(self.schema_id),
            issue_id: self.issue_id,
            issue_key: self.issue_key,
            wanted,
            what: self.what,
            account_id: self.account_id,
            note: self.note,
            issue_status: self.issue_status,
            reserved,
            created_at: self.created_at,
            created_by: self.created_by,
            updated_at: self.updated_at,
        })
    }
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        code: "request_not_found",
        message: format!("no request #{id} in this schema"),
    }
}

/// The reservations among `assets`: (asset, request, issue key). Check-outs refuse these.
pub(crate) async fn reservations_of(
    tx: &mut Tx,
    assets: &[i64],
) -> Result<Vec<(i64, i64, String)>, StoreError> {
    if assets.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT r.asset_id, r.request_id, q.issue_key FROM asset_reservation r \
         JOIN asset_request q ON q.id = r.request_id WHERE r.asset_id IN ",
    );
    sql.bind_list(assets.iter().copied());
    tx.fetch_all(&sql).await
}

/// Reserved assets of requests, with keys and labels: (request, part, key, label).
async fn reserved_of(
    db: &Db,
    schema_key: &amj_domain::SchemaKey,
    requests: &[i64],
) -> Result<Vec<(i64, usize, AssetKey, String)>, StoreError> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT r.request_id, r.part, a.number, a.label FROM asset_reservation r \
         JOIN asset a ON a.id = r.asset_id WHERE r.request_id IN ",
    );
    sql.bind_list(requests.iter().copied());
    sql.push(" ORDER BY r.request_id, r.part");
    let rows: Vec<(i64, i64, i64, String)> = db.fetch_all(&sql).await?;
    rows.into_iter()
        .map(|(request, part, number, label)| {
            let part = usize::try_from(part)
                .map_err(|_| StoreError::Corrupt(format!("reservation part {part}")))?;
            Ok((
                request,
                part,
                AssetKey::new(schema_key.clone(), number),
                label,
            ))
        })
        .collect()
}

async fn with_reserved(
    db: &Db,
    model: &SchemaModel,
    rows: Vec<RequestRow>,
) -> Result<Vec<Request>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let reserved = reserved_of(db, &model.schema.key, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let mine = reserved
                .iter()
                .filter(|(request, ..)| *request == row.id)
                .map(|(_, part, key, label)| (*part, key.clone(), label.clone()))
                .collect();
            row.into_request(mine)
        })
        .collect()
}

async fn lock_request(
    tx: &mut Tx,
    tenant: TenantId,
    schema: Option<SchemaId>,
    id: i64,
) -> Result<Option<RequestRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {REQUEST_COLUMNS} FROM asset_request WHERE tenant_id = "
    ));
    sql.bind(tenant.0).push(" AND id = ").bind(id);
    if let Some(schema) = schema {
        sql.push(" AND schema_id = ").bind(schema.0);
    }
    sql.push(tx.for_update());
    tx.fetch_optional(&sql).await
}

async fn log(
    tx: &mut Tx,
    tenant: TenantId,
    request: i64,
    now: i64,
    actor: &str,
    event: &RequestEvent,
) -> Result<(), StoreError> {
    let insert = Sql::new(
        "INSERT INTO request_event (tenant_id, request_id, at, actor, event) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .arg(tenant.0)
    .arg(request)
    .arg(now)
    .arg(actor)
    .arg(json(event)?);
    tx.execute(&insert).await?;
    Ok(())
}

async fn set_state(
    tx: &mut Tx,
    id: i64,
    state: RequestState,
    ever_approved: bool,
    now: i64,
) -> Result<(), StoreError> {
    let update = Sql::new(
        "UPDATE asset_request SET state = $2, ever_approved = $3, updated_at = $4 WHERE id = $1",
    )
    .arg(id)
    .arg(state_name(state))
    .arg(ever_approved)
    .arg(now);
    tx.execute(&update).await?;
    Ok(())
}

/// The asset ids of a request's asset parts: one for a type, one per asset part of a kit.
fn asset_parts(wanted: &Wanted, kit_parts: Option<&[KitPart]>) -> Vec<(usize, TypeId)> {
    match (wanted, kit_parts) {
        (Wanted::Type { type_id }, _) => vec![(0, *type_id)],
        (Wanted::Kit { .. }, Some(parts)) => parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                KitPart::Asset { type_id } => Some((i, *type_id)),
                _ => None,
            })
            .collect(),
        (Wanted::Kit { .. }, None) => Vec::new(),
    }
}

/// The ids of the schema's assets among `keys`; keys of other schemas or of no asset are left
/// out.
async fn asset_ids_of(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    keys: &[AssetKey],
) -> Result<Vec<i64>, StoreError> {
    let numbers: Vec<i64> = keys
        .iter()
        .filter(|k| k.schema == model.schema.key)
        .map(|k| k.number)
        .collect();
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id FROM asset WHERE tenant_id = ");
    sql.bind(tenant.0)
        .push(" AND schema_id = ")
        .bind(model.schema.id.0)
        .push(" AND number IN ")
        .bind_list(numbers.iter().copied());
    let rows: Vec<(i64,)> = tx.fetch_all(&sql).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Sets aside one available asset per asset part, all or none, those in `preferred` first.
/// `None` when some part found nothing free (nothing is reserved then).
async fn reserve(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    row: &RequestRow,
    wanted: &Wanted,
    preferred: &[AssetKey],
    now: i64,
) -> Result<Option<Vec<String>>, StoreError> {
    // Only the workflow reserves.
    let actor = WORKFLOW_ACTOR;
    let preferred = asset_ids_of(tx, tenant, model, preferred).await?;
    let kit = match wanted {
        Wanted::Kit { kit } => kit_in(tx, tenant, model.schema.id, *kit).await?,
        Wanted::Type { .. } => None,
    };
    let parts = asset_parts(wanted, kit.as_ref().map(|k| k.parts.as_slice()));
    let mut chosen: Vec<(usize, i64)> = Vec::new();
    for (part, type_id) in parts {
        let taken: Vec<i64> = chosen.iter().map(|(_, id)| *id).collect();
        match pick_available(tx, tenant, model, type_id, &taken, &preferred).await? {
            Some(id) => chosen.push((part, id)),
            None => return Ok(None),
        }
    }
    let mut keys = Vec::with_capacity(chosen.len());
    let mut events = Vec::with_capacity(chosen.len());
    for (part, asset) in &chosen {
        let insert = Sql::new(
            "INSERT INTO asset_reservation (asset_id, tenant_id, request_id, part, since) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(*asset)
        .arg(tenant.0)
        .arg(row.id)
        .arg(i64::try_from(*part).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .arg(now);
        tx.execute(&insert).await?;
        let number: (i64,) = tx
            .fetch_one(&Sql::new("SELECT number FROM asset WHERE id = $1").arg(*asset))
            .await?;
        keys.push(AssetKey::new(model.schema.key.clone(), number.0).to_string());
        events.push((
            *asset,
            json(&HistoryEvent::Reserved {
                request: row.id,
                issue: row.issue_key.clone(),
                account_id: row.account_id.clone(),
            })?,
        ));
    }
    super::assets::insert_events(tx, tenant, now, actor, &events).await?;
    Ok(Some(keys))
}

/// Frees a request's reservations (all, or all but `keep`), each with its asset's history.
async fn unreserve(
    tx: &mut Tx,
    tenant: TenantId,
    row: &RequestRow,
    why: Why,
    keep: &[i64],
    now: i64,
    actor: &str,
) -> Result<(), StoreError> {
    let held: Vec<(i64,)> = tx
        .fetch_all(
            &Sql::new("SELECT asset_id FROM asset_reservation WHERE request_id = $1").arg(row.id),
        )
        .await?;
    let mut events = Vec::new();
    for (asset,) in held {
        let delete = Sql::new("DELETE FROM asset_reservation WHERE asset_id = $1").arg(asset);
        tx.execute(&delete).await?;
        if !keep.contains(&asset) {
            events.push((
                asset,
                json(&HistoryEvent::Unreserved {
                    request: row.id,
                    issue: row.issue_key.clone(),
                    why,
                })?,
            ));
        }
    }
    super::assets::insert_events(tx, tenant, now, actor, &events).await
}

async fn is_reserved(tx: &mut Tx, request: i64) -> Result<bool, StoreError> {
    let found: Option<(i64,)> = tx
        .fetch_optional(
            &Sql::new("SELECT asset_id FROM asset_reservation WHERE request_id = $1 LIMIT 1")
                .arg(request),
        )
        .await?;
    Ok(found.is_some())
}

impl Store {
    /// Sets or clears (`None`) a schema's request approval policy (validated by the caller),
    /// bumping the catalog so every instance applies it from its next request.
    pub async fn set_request_policy(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        policy: Option<&ApprovalPolicy>,
    ) -> Result<(), StoreError> {
        let text = policy.map(json).transpose()?;
        let mut tx = self.db().begin_write().await?;
        let update = Sql::new(
            "UPDATE asset_schema SET request_policy = $3 WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(text);
        tx.execute(&update).await?;
        super::catalog::bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await
    }

    /// Records a pending request on an issue (validated and checked against the schema by the
    /// caller). `what` is what is wanted in words, for the issue's history.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_request(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        issue: &RequestIssue,
        draft: &RequestDraft,
        what: &str,
        actor: &str,
        idempotent: Option<&Idempotent<'_, Request>>,
    ) -> Result<Request, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let insert = Sql::new(&format!(
            "INSERT INTO asset_request (tenant_id, schema_id, issue_id, issue_key, wanted, what, \
             account_id, note, state, ever_approved, issue_status, issue_seen, checked_at, \
             created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             'pending', $9, '', 0, 0, $10, $11, $10) RETURNING {REQUEST_COLUMNS}"
        ))
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(issue.id)
        .arg(issue.key.to_uppercase())
        .arg(json(&draft.wanted)?)
        .arg(what)
        .arg(draft.account_id.as_str())
        .arg(draft.note.trim())
        .arg(false)
        .arg(now)
        .arg(actor);
        let row: RequestRow = tx.fetch_one(&insert).await?;
        log(
            &mut tx,
            tenant,
            row.id,
            now,
            actor,
            &RequestEvent::Requested {
                what: what.to_owned(),
                account_id: draft.account_id.clone(),
                note: draft.note.trim().to_owned(),
            },
        )
        .await?;
        let request = row.into_request(Vec::new())?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&request)?).await?;
        }
        tx.commit().await?;
        Ok(request)
    }

    /// The request an asset is set aside for, if any.
    pub async fn reservation_of(
        &self,
        tenant: TenantId,
        asset: AssetId,
    ) -> Result<Option<Reservation>, StoreError> {
        let sql = Sql::new(
            "SELECT q.id, q.issue_key, q.account_id FROM asset_reservation r \
             JOIN asset_request q ON q.id = r.request_id \
             WHERE r.asset_id = $1 AND r.tenant_id = $2",
        )
        .arg(asset.0)
        .arg(tenant.0);
        let row: Option<(i64, String, String)> = self.db().fetch_optional(&sql).await?;
        Ok(row.map(|(request, issue_key, account_id)| Reservation {
            request,
            issue_key,
            account_id,
        }))
    }

    /// The live (pending or approved) requests on an issue: (id, schema), for settling.
    pub async fn live_requests_of_issue(
        &self,
        tenant: TenantId,
        issue_id: i64,
    ) -> Result<Vec<(i64, SchemaId)>, StoreError> {
        let sql = Sql::new(
            "SELECT id, schema_id FROM asset_request WHERE tenant_id = $1 AND issue_id = $2 \
             AND state IN ('pending', 'approved') ORDER BY id",
        )
        .arg(tenant.0)
        .arg(issue_id);
        let rows: Vec<(i64, i64)> = self.db().fetch_all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(|(id, schema)| (id, SchemaId(schema)))
            .collect())
    }

    /// Records that a request's issue was read at `now` though nothing was settled (no rule,
    /// or Jira no longer has the issue), so the sweep does not read it again every round.
    pub async fn mark_checked(
        &self,
        tenant: TenantId,
        id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql =
            Sql::new("UPDATE asset_request SET checked_at = $3 WHERE tenant_id = $1 AND id = $2")
                .arg(tenant.0)
                .arg(id)
                .arg(now);
        self.db().execute(&sql).await?;
        Ok(())
    }

    /// Issues with live requests the app has not read since `before` (ms), across sites,
    /// least recently read first: what the sweep re-reads, in case an event was lost.
    pub async fn issues_unchecked_since(
        &self,
        before: i64,
        limit: u32,
    ) -> Result<Vec<(TenantId, i64)>, StoreError> {
        let sql = Sql::new(
            "SELECT tenant_id, issue_id, MIN(checked_at) AS oldest FROM asset_request \
             WHERE state IN ('pending', 'approved') AND checked_at < $1 \
             GROUP BY tenant_id, issue_id ORDER BY oldest LIMIT $2",
        )
        .arg(before)
        .arg(i64::from(limit));
        let rows: Vec<(i64, i64, i64)> = self.db().fetch_all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(|(tenant, issue, _)| (TenantId(tenant), issue))
            .collect())
    }

    /// Settles one request against its issue's status as read from Jira at `seen` (Jira's
    /// `updated`, ms): the domain's [`settle`] decides, this applies it. A read older than
    /// the one last applied is stale and changes nothing, so cues handled in any order end
    /// where the newest read leads. `issue_key` refreshes the cached key (a moved issue).
    pub async fn settle_request(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: i64,
        sight: &IssueSight<'_>,
    ) -> Result<Settled, StoreError> {
        let IssueSight {
            status: issue,
            key: issue_key,
            seen,
            ..
        } = *sight;
        let now = now_millis();
        let Some(policy) = &model.requests else {
            // No rule (an admin removed it): requests stay as they are until one is set; the
            // issue was read all the same, so the sweep leaves it for an hour.
            self.mark_checked(tenant, id, now).await?;
            return Ok(Settled::Took(Step::Nothing));
        };
        let actor = WORKFLOW_ACTOR;
        let mut tx = self.db().begin_write().await?;
        let Some(row) = lock_request(&mut tx, tenant, Some(model.schema.id), id).await? else {
            return Err(not_found(id));
        };
        if seen < row.issue_seen {
            let checked = Sql::new("UPDATE asset_request SET checked_at = $2 WHERE id = $1")
                .arg(row.id)
                .arg(now);
            tx.execute(&checked).await?;
            tx.commit().await?;
            return Ok(Settled::Stale);
        }
        let state = row.state()?;
        let verdict = policy.verdict(issue, row.ever_approved);
        let reserved = is_reserved(&mut tx, row.id).await?;
        let step = settle(state, reserved, verdict);
        let refresh = Sql::new(
            "UPDATE asset_request SET issue_status = $2, issue_seen = $3, issue_key = $4, \
             checked_at = $5 WHERE id = $1",
        )
        .arg(row.id)
        .arg(issue.status.as_str())
        .arg(seen)
        .arg(issue_key.to_uppercase())
        .arg(now);
        tx.execute(&refresh).await?;
        let wanted: Wanted = serde_json::from_str(&row.wanted)
            .map_err(|e| StoreError::Corrupt(format!("request {} wanted: {e}", row.id)))?;
        let mut ever_approved = row.ever_approved;
        match step {
            Step::Reserve | Step::RetryReserve => {
                if step == Step::Reserve {
                    ever_approved = true;
                    let approved = RequestEvent::Approved {
                        status: issue.status.clone(),
                    };
                    log(&mut tx, tenant, row.id, now, actor, &approved).await?;
                }
                match reserve(&mut tx, tenant, model, &row, &wanted, sight.preferred, now).await? {
                    Some(assets) => {
                        let event = RequestEvent::Reserved { assets };
                        log(&mut tx, tenant, row.id, now, actor, &event).await?;
                    }
                    // Said once; a retry that finds nothing again stays quiet.
                    None if step == Step::Reserve => {
                        log(&mut tx, tenant, row.id, now, actor, &RequestEvent::NoneFree).await?;
                    }
                    None => {}
                }
            }
            Step::Release => {
                let why = policy.why_released(issue);
                unreserve(&mut tx, tenant, &row, why, &[], now, actor).await?;
                let event = RequestEvent::Released {
                    why,
                    status: Some(issue.status.clone()),
                    note: String::new(),
                };
                log(&mut tx, tenant, row.id, now, actor, &event).await?;
            }
            Step::Unreserve => {
                unreserve(&mut tx, tenant, &row, Why::Unapproved, &[], now, actor).await?;
                let event = RequestEvent::Unapproved {
                    status: issue.status.clone(),
                };
                log(&mut tx, tenant, row.id, now, actor, &event).await?;
            }
            Step::Nothing => {}
        }
        if step != Step::Nothing {
            set_state(&mut tx, row.id, after(state, step), ever_approved, now).await?;
        }
        tx.commit().await?;
        Ok(Settled::Took(step))
    }

    /// Releases the live requests of a deleted issue, freeing what they reserved.
    pub async fn release_requests_of_issue(
        &self,
        tenant: TenantId,
        issue_id: i64,
    ) -> Result<usize, StoreError> {
        let live = self.live_requests_of_issue(tenant, issue_id).await?;
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        let mut released = 0;
        for (id, _) in live {
            let Some(row) = lock_request(&mut tx, tenant, None, id).await? else {
                continue;
            };
            if !matches!(row.state()?, RequestState::Pending | RequestState::Approved) {
                continue;
            }
            let why = Why::IssueDeleted;
            unreserve(&mut tx, tenant, &row, why, &[], now, WORKFLOW_ACTOR).await?;
            let event = RequestEvent::Released {
                why,
                status: None,
                note: String::new(),
            };
            log(&mut tx, tenant, row.id, now, WORKFLOW_ACTOR, &event).await?;
            set_state(
                &mut tx,
                row.id,
                RequestState::Released,
                row.ever_approved,
                now,
            )
            .await?;
            released += 1;
        }
        tx.commit().await?;
        Ok(released)
    }

    /// Cancels a live request, freeing what it reserved. A fulfilled or released one is a 409.
    pub async fn cancel_request(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: i64,
        note: &str,
        actor: &str,
    ) -> Result<Request, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        let row = lock_request(&mut tx, tenant, Some(model.schema.id), id)
            .await?
            .ok_or_else(|| not_found(id))?;
        closed_refusal(&row)?;
        let why = Why::Cancelled;
        unreserve(&mut tx, tenant, &row, why, &[], now, actor).await?;
        let event = RequestEvent::Released {
            why,
            status: None,
            note: note.trim().to_owned(),
        };
        log(&mut tx, tenant, row.id, now, actor, &event).await?;
        set_state(
            &mut tx,
            row.id,
            RequestState::Released,
            row.ever_approved,
            now,
        )
        .await?;
        let row = lock_request(&mut tx, tenant, Some(model.schema.id), id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let request = row.into_request(Vec::new())?;
        tx.commit().await?;
        Ok(request)
    }

    /// Hands an approved request out in one action: what it reserved (or, part by part, what
    /// `fulfilment.picks` names, or whatever is free now when nothing could be reserved) is
    /// checked out to its person for its issue, a kit by the kit's own rules. All or nothing;
    /// a pending request is a 409 naming the issue's status.
    pub async fn fulfil_request(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: i64,
        fulfilment: &Fulfilment,
        actor: &str,
        idempotent: Option<&Idempotent<'_, WithHistory>>,
    ) -> Result<WithHistory, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let row = lock_request(&mut tx, tenant, Some(model.schema.id), id)
            .await?
            .ok_or_else(|| not_found(id))?;
        closed_refusal(&row)?;
        if row.state()? == RequestState::Pending {
            let status = if row.issue_status.is_empty() {
                String::new()
            } else {
                format!(" (it is in {})", row.issue_status)
            };
            return Err(StoreError::Conflict {
                code: "request_not_approved",
                message: format!(
                    "request #{} waits for {} to approve it{status}",
                    row.id, row.issue_key
                ),
            });
        }
        let wanted: Wanted = serde_json::from_str(&row.wanted)
            .map_err(|e| StoreError::Corrupt(format!("request {} wanted: {e}", row.id)))?;
        let reserved: Vec<(i64, i64)> = tx
            .fetch_all(
                &Sql::new("SELECT part, asset_id FROM asset_reservation WHERE request_id = $1")
                    .arg(row.id),
            )
            .await?;
        // Hand picks win over the reservation; the assets they replace are freed (and say so).
        let mut picks: Vec<(usize, i64)> = Vec::new();
        for pick in &fulfilment.picks {
            let found: Option<(i64,)> = if pick.asset.schema == model.schema.key {
                tx.fetch_optional(
                    &Sql::new(
                        "SELECT id FROM asset WHERE tenant_id = $1 AND schema_id = $2 \
                         AND number = $3",
                    )
                    .arg(tenant.0)
                    .arg(model.schema.id.0)
                    .arg(pick.asset.number),
                )
                .await?
            } else {
                None
            };
            let Some((asset,)) = found else {
                return Err(StoreError::Invalid(amj_domain::ValidationErrors::single(
                    format!("picks[{}]", pick.part),
                    rules::REFERENCE_TARGET,
                    format!("{} is not an asset of this schema", pick.asset),
                )));
            };
            picks.push((pick.part, asset));
        }
        let mut chosen: Vec<(usize, i64)> = Vec::new();
        for (part, asset) in &reserved {
            let part = usize::try_from(*part)
                .map_err(|_| StoreError::Corrupt(format!("reservation part {part}")))?;
            if !picks.iter().any(|(p, _)| *p == part) {
                chosen.push((part, *asset));
            }
        }
        chosen.extend(picks.iter().copied());
        let keep: Vec<i64> = chosen.iter().map(|(_, a)| *a).collect();
        unreserve(&mut tx, tenant, &row, Why::PickedOther, &keep, now, actor).await?;
        let note = if fulfilment.note.trim().is_empty() {
            format!("Request #{}", row.id)
        } else {
            format!("Request #{}: {}", row.id, fulfilment.note.trim())
        };
        let handed: Vec<Held> = match &wanted {
            Wanted::Type { type_id } => {
                let asset = match chosen.first() {
                    Some((_, asset)) => *asset,
                    None => pick_available(&mut tx, tenant, model, *type_id, &[], &[])
                        .await?
                        .ok_or_else(|| {
                            let name = model
                                .asset_type(*type_id)
                                .map_or_else(|| format!("type {}", type_id.0), |t| t.name.clone());
                            StoreError::Conflict {
                                code: "none_available",
                                message: format!(
                                    "no {name} is available to hand out (in an Available \
                                     status, not checked out and not reserved); pick one by hand"
                                ),
                            }
                        })?,
                };
                let checkout = CheckoutDraft {
                    holder: Holder::User {
                        account_id: row.account_id.clone(),
                    },
                    due: fulfilment.due,
                    issue: Some(row.issue_key.clone()),
                    note,
                };
                check_out_in(
                    &mut tx,
                    tenant,
                    model,
                    &[(AssetId(asset), checkout)],
                    actor,
                    now,
                )
                .await?
            }
            Wanted::Kit { kit } => {
                let kit = kit_in(&mut tx, tenant, model.schema.id, *kit)
                    .await?
                    .ok_or_else(|| StoreError::Conflict {
                        code: "kit_not_found",
                        message: format!("the kit of request #{} was deleted", row.id),
                    })?;
                let mut kit_picks = Vec::with_capacity(chosen.len());
                for (part, asset) in &chosen {
                    let number: (i64,) = tx
                        .fetch_one(&Sql::new("SELECT number FROM asset WHERE id = $1").arg(*asset))
                        .await?;
                    kit_picks.push(KitPick {
                        part: *part,
                        asset: AssetKey::new(model.schema.key.clone(), number.0),
                    });
                }
                let checkout = KitCheckout {
                    account_id: row.account_id.clone(),
                    due: fulfilment.due,
                    issue: Some(row.issue_key.clone()),
                    note: fulfilment.note.clone(),
                    picks: kit_picks,
                };
                check_out_kit_in(&mut tx, tenant, model, &kit, &checkout, actor, now)
                    .await?
                    .assets
            }
        };
        let event = RequestEvent::Fulfilled {
            assets: handed.iter().map(|h| h.key.to_string()).collect(),
        };
        log(&mut tx, tenant, row.id, now, actor, &event).await?;
        set_state(
            &mut tx,
            row.id,
            RequestState::Fulfilled,
            row.ever_approved,
            now,
        )
        .await?;
        let row = lock_request(&mut tx, tenant, Some(model.schema.id), id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let history = events_tx(&mut tx, tenant, id).await?;
        let done = (row.into_request(Vec::new())?, history);
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&done)?).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// One request of the schema, with what it reserved.
    pub async fn request(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: i64,
    ) -> Result<Option<Request>, StoreError> {
        let db = self.db();
        let sql = Sql::new(&format!(
            "SELECT {REQUEST_COLUMNS} FROM asset_request WHERE tenant_id = $1 \
             AND schema_id = $2 AND id = $3"
        ))
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(id);
        let Some(row) = db.fetch_optional::<RequestRow>(&sql).await? else {
            return Ok(None);
        };
        Ok(with_reserved(db, model, vec![row]).await?.pop())
    }

    /// A schema's requests in `states`, oldest first (the fulfilment queue), after `after`.
    pub async fn requests(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        states: &[RequestState],
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Request>, StoreError> {
        let db = self.db();
        let mut sql = Sql::new(&format!(
            "SELECT {REQUEST_COLUMNS} FROM asset_request WHERE tenant_id = "
        ));
        sql.bind(tenant.0)
            .push(" AND schema_id = ")
            .bind(model.schema.id.0);
        if !states.is_empty() {
            sql.push(" AND state IN ")
                .bind_list(states.iter().map(|s| state_name(*s)));
        }
        if let Some(after) = after {
            sql.push(" AND id > ").bind(after);
        }
        sql.push(" ORDER BY id LIMIT ").bind(i64::from(limit));
        let rows: Vec<RequestRow> = db.fetch_all(&sql).await?;
        with_reserved(db, model, rows).await
    }

    /// An issue's requests (the issue by id, or by key), in every schema of the site, newest
    /// first, each with its schema's key and its path.
    pub async fn requests_of_issue(
        &self,
        tenant: TenantId,
        issue: &RequestIssueRef<'_>,
    ) -> Result<Vec<(amj_domain::SchemaKey, Request, Vec<RequestEntry>)>, StoreError> {
        let db = self.db();
        let sql = match issue {
            RequestIssueRef::Id(id) => Sql::new(&format!(
                "SELECT {REQUEST_COLUMNS} FROM asset_request WHERE tenant_id = $1 \
                 AND issue_id = $2 ORDER BY id DESC LIMIT 100"
            ))
            .arg(tenant.0)
            .arg(*id),
            RequestIssueRef::Key(key) => Sql::new(&format!(
                "SELECT {REQUEST_COLUMNS} FROM asset_request WHERE tenant_id = $1 \
                 AND issue_key = $2 ORDER BY id DESC LIMIT 100"
            ))
            .arg(tenant.0)
            .arg(key.to_uppercase()),
        };
        let rows: Vec<RequestRow> = db.fetch_all(&sql).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let schema_key: Option<(String,)> = db
                .fetch_optional(
                    &Sql::new(
                        "SELECT schema_key FROM asset_schema WHERE tenant_id = $1 AND id = $2",
                    )
                    .arg(tenant.0)
                    .arg(row.schema_id),
                )
                .await?;
            let Some((schema_key,)) = schema_key else {
                continue;
            };
            let schema_key = amj_domain::SchemaKey::parse(&schema_key)
                .map_err(|e| StoreError::Corrupt(format!("schema key: {e}")))?;
            let reserved = reserved_of(db, &schema_key, &[row.id])
                .await?
                .into_iter()
                .map(|(_, part, key, label)| (part, key, label))
                .collect();
            let id = row.id;
            let request = row.into_request(reserved)?;
            let entries = events_in(db, tenant, id).await?;
            out.push((schema_key, request, entries));
        }
        Ok(out)
    }

    /// A request's path, oldest first.
    pub async fn request_events(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<Vec<RequestEntry>, StoreError> {
        let db = self.db();
        events_in(db, tenant, id).await
    }
}

const EVENTS_SQL: &str = "SELECT at, actor, event FROM request_event WHERE tenant_id = $1 \
    AND request_id = $2 ORDER BY id";

async fn events_in(db: &Db, tenant: TenantId, id: i64) -> Result<Vec<RequestEntry>, StoreError> {
    let sql = Sql::new(EVENTS_SQL).arg(tenant.0).arg(id);
    let rows: Vec<(i64, String, String)> = db.fetch_all(&sql).await?;
    rows.into_iter().map(entry).collect()
}

/// A request's path inside a write (a verb's answer).
async fn events_tx(
    tx: &mut Tx,
    tenant: TenantId,
    id: i64,
) -> Result<Vec<RequestEntry>, StoreError> {
    let sql = Sql::new(EVENTS_SQL).arg(tenant.0).arg(id);
    let rows: Vec<(i64, String, String)> = tx.fetch_all(&sql).await?;
    rows.into_iter().map(entry).collect()
}

fn entry((at, actor, event): (i64, String, String)) -> Result<RequestEntry, StoreError> {
    let event = serde_json::from_str(&event)
        .map_err(|e| StoreError::Corrupt(format!("request event: {e}")))?;
    Ok(RequestEntry { at, actor, event })
}

/// A fulfilled or released request is settled for good.
fn closed_refusal(row: &RequestRow) -> Result<(), StoreError> {
    match row.state()? {
        RequestState::Fulfilled | RequestState::Released => Err(StoreError::Conflict {
            code: "request_closed",
            message: format!(
                "request #{} is already {}",
                row.id,
                state_name(row.state()?)
            ),
        }),
        _ => Ok(()),
    }
}
