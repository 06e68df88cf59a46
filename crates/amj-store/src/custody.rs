//! Custody: the check-out in force per asset (`asset_custody`), the loans that ended
//! (`asset_loan`), the schema's custody policy, and idempotency keys for the verbs.
//!
//! One holder at a time is the table's primary key, not a check-then-write: two check-outs of
//! one asset that race both lock the asset row first (PostgreSQL) or hold the write lock
//! (SQLite), so the second sees the first's row and is refused with its holder named; the key
//! is the backstop. See docs/ARCHITECTURE.md, "Custody".

use super::catalog::SchemaModel;
use super::db::Tx;
use super::sql::Sql;
use super::tally::{Dimension, TallyDelta};
use super::{Store, StoreError, now_millis};
use amj_domain::custody::{
    CheckinDraft, CheckoutDraft, Condition, Custody, CustodyPolicy, Holder, NESTING_MAX,
};
use amj_domain::ids::{AssetId, SchemaId, StatusId, TenantId, TypeId};
use amj_domain::{AssetKey, HistoryEvent, ValidationErrors, rules};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The PostgreSQL advisory lock that serialises check-outs onto carriers, per site: "carr" in
/// ASCII in the high half, the tenant in the low.
const CARRIER_LOCK: i64 = 0x6361_7272;

/// How long a used idempotency key answers with its first response. A client retries within
/// minutes; a day covers a retry queue that waited out an outage.
pub const IDEMPOTENCY_TTL_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// A check-out that ended, as the asset's loans and an issue's hand-outs list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Loan {
    #[serde(flatten)]
    pub custody: Custody,
    /// When it came back (RFC 3339 on the wire).
    #[serde(with = "amj_domain::custody::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub returned_at: i64,
    pub returned_by: String,
    pub condition: Condition,
    pub return_note: String,
}

/// An asset handed out for a Jira issue: out now (`returned: None`), or a loan that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedOut {
    pub asset_id: AssetId,
    pub key: AssetKey,
    pub label: String,
    pub custody: Custody,
    pub returned: Option<Loan>,
}

/// An asset's check-out in force, with the asset's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub asset_id: AssetId,
    pub key: AssetKey,
    pub label: String,
    pub custody: Custody,
}

/// Renders a verb's outcome as the response to store: its status and JSON body.
pub type Render<'a, T> = dyn Fn(&T) -> Result<(u16, String), StoreError> + Send + Sync + 'a;

/// What a verb sent with `Idempotency-Key` stores: the key, what the request was, and how to
/// render the response, which is written in the verb's own transaction.
pub struct Idempotent<'a, T: ?Sized> {
    pub key: &'a str,
    pub request_hash: &'a str,
    pub render: &'a Render<'a, T>,
}

/// A stored response to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub status: u16,
    pub body: String,
}

/// What a lookup of an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUse {
    /// Unused (or expired): go ahead.
    Fresh,
    /// Used by this same request: answer with its response.
    Replay(Replay),
    /// Used by another request: refuse, never answer with the other's response.
    Mismatch,
}

#[derive(sqlx::FromRow)]
struct CustodyRow {
    asset_id: i64,
    holder_kind: String,
    holder_account: Option<String>,
    holder_asset_id: Option<i64>,
    holder_number: Option<i64>,
    holder_schema: Option<String>,
    since: i64,
    by_actor: String,
    due_day: Option<i64>,
    issue_key: Option<String>,
    note: String,
}

const CUSTODY_COLUMNS: &str = "c.asset_id, c.holder_kind, c.holder_account, c.holder_asset_id, \
    h.number AS holder_number, hs.schema_key AS holder_schema, c.since, c.by_actor, c.due_day, \
    c.issue_key, c.note";

/// Ended loans with their holder assets' keys, for [`LoanRow`].
const LOAN_SELECT: &str = "SELECT l.asset_id, l.holder_kind, l.holder_account, \
    l.holder_asset_id, h.number AS holder_number, hs.schema_key AS holder_schema, l.since, \
    l.by_actor, l.due_day, l.issue_key, l.note, l.returned_at, l.returned_by, \
    l.return_condition, l.return_note FROM asset_loan l \
    LEFT JOIN asset h ON h.id = l.holder_asset_id \
    LEFT JOIN asset_schema hs ON hs.id = h.schema_id";

/// The joins that name a holder asset by key.
const HOLDER_JOINS: &str = "LEFT JOIN asset h ON h.id = c.holder_asset_id \
    LEFT JOIN asset_schema hs ON hs.id = h.schema_id";

impl CustodyRow {
    fn holder(&self) -> Result<Holder, StoreError> {
        let asset_key = || -> Result<AssetKey, StoreError> {
            match (&self.holder_schema, self.holder_number) {
                (Some(schema), Some(number)) => AssetKey::parse(&format!("{schema}-{number}"))
                    .map_err(|e| StoreError::Corrupt(format!("holder key: {e}"))),
                _ => Err(StoreError::Corrupt(format!(
                    "asset {} is held by a missing asset",
                    self.asset_id
                ))),
            }
        };
        Ok(match (self.holder_kind.as_str(), &self.holder_account) {
            ("user", Some(account)) => Holder::User {
                account_id: account.clone(),
            },
            ("location", _) => Holder::Location { key: asset_key()? },
            ("asset", _) => Holder::Asset { key: asset_key()? },
            (kind, _) => {
                return Err(StoreError::Corrupt(format!(
                    "asset {} has holder kind {kind:?}",
                    self.asset_id
                )));
            }
        })
    }

    fn custody(&self) -> Result<Custody, StoreError> {
        Ok(Custody {
            holder: self.holder()?,
            since: self.since,
            by: self.by_actor.clone(),
            due: self.due_day.map(day).transpose()?,
            issue: self.issue_key.clone(),
            note: self.note.clone(),
        })
    }
}

fn day(value: i64) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| StoreError::Corrupt(format!("day {value} is out of range")))
}

fn condition_name(condition: Condition) -> &'static str {
    match condition {
        Condition::Good => "good",
        Condition::Worn => "worn",
        Condition::Damaged => "damaged",
        Condition::Lost => "lost",
    }
}

fn parse_condition(name: &str) -> Result<Condition, StoreError> {
    Ok(match name {
        "good" => Condition::Good,
        "worn" => Condition::Worn,
        "damaged" => Condition::Damaged,
        "lost" => Condition::Lost,
        other => return Err(StoreError::Corrupt(format!("condition {other:?}"))),
    })
}

fn holder_kind(holder: &Holder) -> &'static str {
    match holder {
        Holder::User { .. } => "user",
        Holder::Location { .. } => "location",
        Holder::Asset { .. } => "asset",
    }
}

/// An asset as a verb finds it, locked for the verb's transaction.
pub(crate) struct Locked {
    pub(crate) id: i64,
    pub(crate) number: i64,
    pub(crate) label: String,
    pub(crate) type_id: i64,
    pub(crate) status_id: i64,
    pub(crate) archived: bool,
    pub(crate) retired_at: Option<i64>,
}

/// Whom a holder was, for the message of a refused check-out.
fn describe(holder: &Holder) -> String {
    match holder {
        Holder::User { account_id } => format!("the person {account_id}"),
        Holder::Location { key } => format!("the location {key}"),
        Holder::Asset { key } => key.to_string(),
    }
}

pub(crate) fn invalid(
    row: usize,
    field: &str,
    rule: &'static str,
    message: String,
) -> (usize, ValidationErrors) {
    (row, ValidationErrors::single(field, rule, message))
}

impl Store {
    /// Replaces a schema's custody policy (validated by the caller against the model), bumping
    /// the catalog so every instance applies it from its next request.
    pub async fn set_custody_policy(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        policy: &CustodyPolicy,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin_write().await?;
        let update = Sql::new(
            "UPDATE asset_schema SET checked_out_status_id = $3, available_status_id = $4 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(policy.checked_out_status.map(|s| s.0))
        .arg(policy.available_status.map(|s| s.0));
        tx.execute(&update).await?;
        replace_policy_types(
            &mut tx,
            PolicyTypes::Custody,
            tenant,
            schema,
            &policy.checkoutable_types,
        )
        .await?;
        super::catalog::bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await
    }

    /// Forgets idempotency keys past their time, on every site; the count removed.
    pub async fn prune_idempotency_keys(&self) -> Result<u64, StoreError> {
        let sql = Sql::new("DELETE FROM idempotency_key WHERE created_at < $1")
            .arg(now_millis() - IDEMPOTENCY_TTL_MILLIS);
        self.db().execute(&sql).await
    }

    /// How many check-outs are open on the site.
    pub async fn open_checkouts(&self, tenant: TenantId) -> Result<i64, StoreError> {
        let sql = Sql::new("SELECT COUNT(*) FROM asset_custody WHERE tenant_id = $1").arg(tenant.0);
        let (count,): (i64,) = self.db().fetch_one(&sql).await?;
        Ok(count)
    }

    /// Whether anything was ever checked out for a Jira issue on the site.
    pub async fn any_hand_outs(&self, tenant: TenantId) -> Result<bool, StoreError> {
        let sql = Sql::new(
            "SELECT EXISTS (SELECT 1 FROM asset_custody WHERE tenant_id = $1 \
             AND issue_key IS NOT NULL) OR EXISTS (SELECT 1 FROM asset_loan \
             WHERE tenant_id = $1 AND issue_key IS NOT NULL)",
        )
        .arg(tenant.0);
        let (any,): (bool,) = self.db().fetch_one(&sql).await?;
        Ok(any)
    }

    /// What an idempotency key was used for, if it was (and has not expired).
    pub async fn idempotency_key_use(
        &self,
        tenant: TenantId,
        key: &str,
        request_hash: &str,
    ) -> Result<KeyUse, StoreError> {
        let sql = Sql::new(
            "SELECT request_hash, status, response FROM idempotency_key \
             WHERE tenant_id = $1 AND idem_key = $2 AND created_at >= $3",
        )
        .arg(tenant.0)
        .arg(key)
        .arg(now_millis() - IDEMPOTENCY_TTL_MILLIS);
        let found: Option<(String, i64, String)> = self.db().fetch_optional(&sql).await?;
        Ok(match found {
            None => KeyUse::Fresh,
            Some((hash, _, _)) if hash != request_hash => KeyUse::Mismatch,
            Some((_, status, body)) => KeyUse::Replay(Replay {
                status: u16::try_from(status).map_err(|_| {
                    StoreError::Corrupt(format!("idempotent response status {status}"))
                })?,
                body,
            }),
        })
    }

    /// Checks assets out, all or none: each to its holder, moving it to the schema's checked-out
    /// status. Refused (409) when any is already out, naming its holder; refused per row (422)
    /// when an asset cannot be checked out or a holder cannot hold it.
    pub async fn check_out(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        items: &[(AssetId, CheckoutDraft)],
        actor: &str,
        idempotent: Option<&Idempotent<'_, [Held]>>,
    ) -> Result<Vec<Held>, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let held = check_out_in(&mut tx, tenant, model, items, actor, now).await?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&held)?).await?;
        }
        tx.commit().await?;
        Ok(held)
    }

    /// Checks assets in, all or none: each must be out. The loan is kept (`asset_loan`); the
    /// asset returns to the schema's available status from an "in use" one, unless it came back
    /// lost, which leaves its status for a person to decide (usually Retired), as does a status
    /// someone chose while it was out (in repair, retired). Assets it carries stay with it.
    pub async fn check_in(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        items: &[(AssetId, CheckinDraft)],
        actor: &str,
        idempotent: Option<&Idempotent<'_, [(AssetKey, Loan)]>>,
    ) -> Result<Vec<(AssetKey, Loan)>, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let loans = check_in_in(&mut tx, tenant, model, items, actor, now).await?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&loans)?).await?;
        }
        tx.commit().await?;
        Ok(loans)
    }

    /// The check-outs in force of some assets (of any schema), by asset.
    pub async fn custody_of(
        &self,
        tenant: TenantId,
        assets: &[AssetId],
    ) -> Result<HashMap<AssetId, Custody>, StoreError> {
        let mut out = HashMap::new();
        for chunk in assets.chunks(500) {
            // By id alone, as in `keys_and_labels`; the tenant is checked on each row.
            let mut sql = Sql::new(&format!(
                "SELECT {CUSTODY_COLUMNS}, c.tenant_id FROM asset_custody c {HOLDER_JOINS} \
                 WHERE c.asset_id IN "
            ));
            sql.bind_list(chunk.iter().map(|a| a.0));
            let rows: Vec<TenantCustodyRow> = self.db().fetch_all(&sql).await?;
            for row in rows.into_iter().filter(|r| r.tenant_id == tenant.0) {
                out.insert(AssetId(row.custody.asset_id), row.custody.custody()?);
            }
        }
        Ok(out)
    }

    /// Whom an asset is really with: its holder, or its carrier's holder, followed up to
    /// [`NESTING_MAX`] carriers. The chain is the carriers passed, nearest first.
    pub async fn effective_holder(
        &self,
        tenant: TenantId,
        asset: AssetId,
    ) -> Result<Option<(Holder, Vec<AssetKey>)>, StoreError> {
        let mut current = asset.0;
        let mut chain = Vec::new();
        let mut holder = None;
        for _ in 0..=NESTING_MAX {
            let sql = Sql::new(&format!(
                "SELECT {CUSTODY_COLUMNS} FROM asset_custody c {HOLDER_JOINS} \
                 WHERE c.asset_id = $1 AND c.tenant_id = $2"
            ))
            .arg(current)
            .arg(tenant.0);
            let Some(row): Option<CustodyRow> = self.db().fetch_optional(&sql).await? else {
                break;
            };
            let found = row.holder()?;
            match (&found, row.holder_asset_id) {
                (Holder::Asset { key }, Some(next)) => {
                    chain.push(key.clone());
                    current = next;
                    holder = Some(found);
                }
                _ => return Ok(Some((found, chain))),
            }
        }
        Ok(holder.map(|h| (h, chain)))
    }

    /// What a person holds, directly or through a carrier they hold (the dock on their
    /// laptop), in any schema: nearest first, then by asset. At most `limit` assets.
    pub async fn held_by_person(
        &self,
        tenant: TenantId,
        account_id: &str,
        limit: usize,
    ) -> Result<Vec<Held>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {CUSTODY_COLUMNS} FROM asset_custody c {HOLDER_JOINS} \
             WHERE c.tenant_id = $1 AND c.holder_account = $2 ORDER BY c.asset_id LIMIT $3"
        ))
        .arg(tenant.0)
        .arg(account_id)
        .arg(i64::try_from(limit).unwrap_or(i64::MAX));
        let mut level: Vec<CustodyRow> = self.db().fetch_all(&sql).await?;
        let mut rows = Vec::new();
        for _ in 0..NESTING_MAX {
            if level.is_empty() || rows.len() >= limit {
                break;
            }
            let carriers: Vec<i64> = level.iter().map(|r| r.asset_id).collect();
            rows.append(&mut level);
            for chunk in carriers.chunks(500) {
                let mut sql = Sql::new(&format!(
                    "SELECT {CUSTODY_COLUMNS} FROM asset_custody c {HOLDER_JOINS} \
                     WHERE c.holder_kind = 'asset' AND c.holder_asset_id IN "
                ));
                sql.bind_list(chunk.iter().copied())
                    .push(" ORDER BY c.asset_id");
                level.extend(self.db().fetch_all::<CustodyRow>(&sql).await?);
            }
        }
        // The last level fetched is the deepest the AQL walk reaches too (NESTING_MAX carriers).
        rows.append(&mut level);
        rows.truncate(limit);
        self.with_keys(tenant, rows).await
    }

    /// Check-outs due before `today` (days since the epoch), most overdue first; `after` is
    /// the last (due day, asset) of the previous page.
    pub async fn overdue(
        &self,
        tenant: TenantId,
        today: i32,
        after: Option<(i32, i64)>,
        limit: usize,
    ) -> Result<Vec<Held>, StoreError> {
        let mut sql = Sql::new(&format!(
            "SELECT {CUSTODY_COLUMNS} FROM asset_custody c {HOLDER_JOINS} WHERE c.tenant_id = "
        ));
        sql.bind(tenant.0)
            .push(" AND c.due_day IS NOT NULL AND c.due_day < ")
            .bind(i64::from(today));
        if let Some((due, asset)) = after {
            sql.push(" AND (c.due_day > ")
                .bind(i64::from(due))
                .push(" OR (c.due_day = ")
                .bind(i64::from(due))
                .push(" AND c.asset_id > ")
                .bind(asset)
                .push("))");
        }
        sql.push(" ORDER BY c.due_day, c.asset_id LIMIT ")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<CustodyRow> = self.db().fetch_all(&sql).await?;
        self.with_keys(tenant, rows).await
    }

    /// The loans of an asset that ended, newest first.
    pub async fn loans_of(
        &self,
        tenant: TenantId,
        asset: AssetId,
        limit: usize,
    ) -> Result<Vec<Loan>, StoreError> {
        let sql = Sql::new(&format!(
            "{LOAN_SELECT} WHERE l.asset_id = $1 AND l.tenant_id = $2 \
             ORDER BY l.since DESC, l.id DESC LIMIT $3"
        ))
        .arg(asset.0)
        .arg(tenant.0)
        .arg(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<LoanRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter().map(LoanRow::into_loan).collect()
    }

    /// The assets scanned, by what was scanned: an asset key of the schema, or the value of one
    /// of its unique text attributes (a serial number, an asset tag), compared as unique
    /// values are (ignoring case). Scans that match nothing are absent.
    pub async fn assets_by_scan(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        scans: &[&str],
    ) -> Result<HashMap<String, AssetId>, StoreError> {
        let mut out = HashMap::new();
        let mut by_number: HashMap<i64, Vec<&str>> = HashMap::new();
        let mut texts: HashMap<String, Vec<&str>> = HashMap::new();
        for scan in scans {
            match AssetKey::parse(scan) {
                Ok(key) if key.schema == model.schema.key => {
                    by_number.entry(key.number).or_default().push(scan)
                }
                _ => texts
                    .entry(amj_domain::value::index_text(scan))
                    .or_default()
                    .push(scan),
            }
        }
        let numbers: Vec<i64> = by_number.keys().copied().collect();
        for chunk in numbers.chunks(500) {
            let mut sql = Sql::new("SELECT number, id FROM asset WHERE tenant_id = ");
            sql.bind(tenant.0)
                .push(" AND schema_id = ")
                .bind(model.schema.id.0)
                .push(" AND number IN ")
                .bind_list(chunk.iter().copied());
            let found: Vec<(i64, i64)> = self.db().fetch_all(&sql).await?;
            for (number, id) in found {
                for scan in by_number.get(&number).into_iter().flatten() {
                    out.insert((*scan).to_owned(), AssetId(id));
                }
            }
        }
        let unique: Vec<i64> = model
            .attributes
            .iter()
            .filter(|a| a.unique && a.kind.storage() == amj_domain::StorageClass::Text)
            .map(|a| a.id.0)
            .collect();
        let wanted: Vec<String> = texts.keys().cloned().collect();
        if unique.is_empty() {
            return Ok(out);
        }
        for chunk in wanted.chunks(400) {
            // The unique index serves this: text values are held there as the index text.
            let mut sql = Sql::new("SELECT v_unique, asset_id FROM asset_value WHERE tenant_id = ");
            sql.bind(tenant.0)
                .push(" AND attribute_id IN ")
                .bind_list(unique.iter().copied())
                .push(" AND v_unique IN ")
                .bind_list(chunk.iter().map(String::as_str));
            let found: Vec<(String, i64)> = self.db().fetch_all(&sql).await?;
            for (text, id) in found {
                for scan in texts.get(&text).into_iter().flatten() {
                    out.entry((*scan).to_owned()).or_insert(AssetId(id));
                }
            }
        }
        Ok(out)
    }

    /// What was handed out for a Jira issue (its key, upper case), in every schema: what is
    /// out for it now, then the loans that ended, newest first; at most `limit` of each.
    pub async fn handed_out_for_issue(
        &self,
        tenant: TenantId,
        issue_key: &str,
        limit: usize,
    ) -> Result<Vec<HandedOut>, StoreError> {
        self.handed_out(tenant, &[issue_key.to_owned()], None, limit)
            .await
    }

    /// What was handed out for any of these issues (keys, upper case) and was out at some time
    /// in `window` (epoch milliseconds, from inclusive, to exclusive; `None`: any time): out
    /// now, then the loans that ended, newest first; at most `limit` of each.
    pub async fn handed_out(
        &self,
        tenant: TenantId,
        issue_keys: &[String],
        window: Option<(i64, i64)>,
        limit: usize,
    ) -> Result<Vec<HandedOut>, StoreError> {
        if issue_keys.is_empty() {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (from, to) = window.unwrap_or((i64::MIN, i64::MAX));
        let mut current: Vec<CustodyRow> = Vec::new();
        let mut ended: Vec<LoanRow> = Vec::new();
        for chunk in issue_keys.chunks(500) {
            let mut sql = Sql::new(&format!(
                "SELECT {CUSTODY_COLUMNS} FROM asset_custody c {HOLDER_JOINS} WHERE c.tenant_id = "
            ));
            sql.bind(tenant.0)
                .push(" AND c.issue_key IN ")
                .bind_list(chunk.iter().map(String::as_str))
                .push(" AND c.since < ")
                .bind(to)
                .push(" ORDER BY c.since DESC, c.asset_id LIMIT ")
                .bind(limit);
            current.extend(self.db().fetch_all::<CustodyRow>(&sql).await?);
            let mut sql = Sql::new(&format!("{LOAN_SELECT} WHERE l.tenant_id = "));
            sql.bind(tenant.0)
                .push(" AND l.issue_key IN ")
                .bind_list(chunk.iter().map(String::as_str))
                .push(" AND l.since < ")
                .bind(to)
                .push(" AND l.returned_at >= ")
                .bind(from)
                .push(" ORDER BY l.returned_at DESC, l.id DESC LIMIT ")
                .bind(limit);
            ended.extend(self.db().fetch_all::<LoanRow>(&sql).await?);
        }
        current.sort_by_key(|r| (std::cmp::Reverse(r.since), r.asset_id));
        current.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        ended.sort_by_key(|l| std::cmp::Reverse(l.returned_at));
        ended.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let ended_ids: Vec<i64> = ended.iter().map(|l| l.custody.asset_id).collect();
        let mut out: Vec<HandedOut> = self
            .with_keys(tenant, current)
            .await?
            .into_iter()
            .map(|h| HandedOut {
                asset_id: h.asset_id,
                key: h.key,
                label: h.label,
                custody: h.custody,
                returned: None,
            })
            .collect();
        let keys = self.keys_and_labels(tenant, &ended_ids).await?;
        for row in ended {
            let Some((key, label)) = keys.get(&row.custody.asset_id).cloned() else {
                continue;
            };
            let asset_id = AssetId(row.custody.asset_id);
            let loan = row.into_loan()?;
            out.push(HandedOut {
                asset_id,
                key,
                label,
                custody: loan.custody.clone(),
                returned: Some(loan),
            });
        }
        Ok(out)
    }

    /// The keys of every asset ever handed out for an issue (out now or returned), and of the
    /// licences with seats given for it, sorted: what the issue's `assets` property lists as
    /// `handedOut`, so JQL finds issues by them.
    pub async fn handed_out_keys(
        &self,
        tenant: TenantId,
        issue_key: &str,
    ) -> Result<Vec<String>, StoreError> {
        let sql = Sql::new(
            "SELECT DISTINCT s.schema_key, a.number FROM asset a \
             JOIN asset_schema s ON s.id = a.schema_id \
             WHERE a.id IN (SELECT c.asset_id FROM asset_custody c \
                            WHERE c.tenant_id = $1 AND c.issue_key = $2 \
                            UNION SELECT l.asset_id FROM asset_loan l \
                            WHERE l.tenant_id = $1 AND l.issue_key = $2 \
                            UNION SELECT t.licence_id FROM licence_seat t \
                            WHERE t.tenant_id = $1 AND t.issue_key = $2 \
                            UNION SELECT m.item_id FROM stock_move m \
                            WHERE m.tenant_id = $1 AND m.issue_key = $2 AND m.kind = 'issue') \
             ORDER BY s.schema_key, a.number LIMIT 1000",
        )
        .arg(tenant.0)
        .arg(issue_key);
        let rows: Vec<(String, i64)> = self.db().fetch_all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(|(schema, number)| format!("{schema}-{number}"))
            .collect())
    }

    /// Keys and labels of assets in any schema of the site.
    async fn keys_and_labels(
        &self,
        tenant: TenantId,
        ids: &[i64],
    ) -> Result<HashMap<i64, (AssetKey, String)>, StoreError> {
        let mut keys = HashMap::new();
        for chunk in ids.chunks(500) {
            // By id alone: with the tenant in the WHERE, SQLite's planner walks the tenant's
            // index instead (tens of milliseconds at 10⁶). The tenant is checked below.
            let mut sql = Sql::new(
                "SELECT a.id, a.tenant_id, a.number, s.schema_key, a.label FROM asset a \
                 JOIN asset_schema s ON s.id = a.schema_id WHERE a.id IN ",
            );
            sql.bind_list(chunk.iter().copied());
            let found: Vec<(i64, i64, i64, String, String)> = self.db().fetch_all(&sql).await?;
            for (id, t, number, schema, label) in found {
                if t != tenant.0 {
                    continue;
                }
                let key = AssetKey::parse(&format!("{schema}-{number}"))
                    .map_err(|e| StoreError::Corrupt(format!("asset {id} key: {e}")))?;
                keys.insert(id, (key, label));
            }
        }
        Ok(keys)
    }

    /// The keys of held assets, for rows read across schemas.
    async fn with_keys(
        &self,
        tenant: TenantId,
        rows: Vec<CustodyRow>,
    ) -> Result<Vec<Held>, StoreError> {
        let ids: Vec<i64> = rows.iter().map(|r| r.asset_id).collect();
        let keys = self.keys_and_labels(tenant, &ids).await?;
        rows.into_iter()
            .filter_map(|row| {
                let (key, label) = keys.get(&row.asset_id)?.clone();
                Some(row.custody().map(|custody| Held {
                    asset_id: AssetId(row.asset_id),
                    key,
                    label,
                    custody,
                }))
            })
            .collect()
    }
}

#[derive(sqlx::FromRow)]
struct TenantCustodyRow {
    #[sqlx(flatten)]
    custody: CustodyRow,
    tenant_id: i64,
}

#[derive(sqlx::FromRow)]
struct LoanRow {
    #[sqlx(flatten)]
    custody: CustodyRow,
    returned_at: i64,
    returned_by: String,
    return_condition: String,
    return_note: String,
}

impl LoanRow {
    fn into_loan(self) -> Result<Loan, StoreError> {
        Ok(Loan {
            custody: self.custody.custody()?,
            returned_at: self.returned_at,
            returned_by: self.returned_by,
            condition: parse_condition(&self.return_condition)?,
            return_note: self.return_note,
        })
    }
}

/// Whether an asset may be checked out at all: live, of a checkoutable type, not retired.
pub(crate) fn check_checkoutable(
    model: &SchemaModel,
    asset: &Locked,
    key: &AssetKey,
) -> Result<(), ValidationErrors> {
    let type_id = TypeId(asset.type_id);
    if asset.archived {
        return Err(ValidationErrors::single(
            "asset",
            rules::REFERENCE_TARGET,
            format!("{key} is archived"),
        ));
    }
    if !model.custody.is_checkoutable(&model.types, type_id) {
        let name = model
            .asset_type(type_id)
            .map_or_else(|| type_id.0.to_string(), |t| t.name.clone());
        return Err(ValidationErrors::single(
            "asset",
            "not_checkoutable",
            format!(
                "{key}: {name} assets cannot be checked out (see the schema's custody settings)"
            ),
        ));
    }
    if asset.retired_at.is_some() {
        return Err(ValidationErrors::single(
            "asset",
            "retired",
            format!("{key} is retired"),
        ));
    }
    Ok(())
}

/// Checks assets out inside the caller's transaction (a verb's, or a kit's with its other
/// parts): the rules of [`Store::check_out`], without its key and commit.
pub(crate) async fn check_out_in(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    items: &[(AssetId, CheckoutDraft)],
    actor: &str,
    now: i64,
) -> Result<Vec<Held>, StoreError> {
    let ids: Vec<i64> = items.iter().map(|(id, _)| id.0).collect();
    let locked = lock_assets(tx, tenant, model, &ids).await?;
    if let Some((id, _)) = items.iter().find(|(id, _)| !locked.contains_key(&id.0)) {
        return Err(StoreError::NotFound {
            code: "asset_not_found",
            message: format!("asset {} does not exist", id.0),
        });
    }
    // Only the site's own assets, which `locked` holds, are looked at from here on.
    let current = custody_rows(tx, &ids).await?;
    if tx.is_postgres() && items.iter().any(|(_, d)| d.holder.asset().is_some()) {
        // Carrier chains span rows this write does not lock: two check-outs that would close
        // a loop (A onto B, B onto A) take turns on the site's carrier lock instead.
        let lock = Sql::new("SELECT pg_advisory_xact_lock($1)")
            .arg(CARRIER_LOCK.wrapping_shl(32) ^ tenant.0);
        tx.execute(&lock).await?;
    }
    let mut taken = Vec::new();
    for (id, _) in items {
        if let (Some(row), Some(asset)) = (current.get(&id.0), locked.get(&id.0)) {
            let key = AssetKey::new(model.schema.key.clone(), asset.number);
            taken.push(format!(
                "{key} is already checked out to {}",
                describe(&row.holder()?)
            ));
        }
    }
    if !taken.is_empty() {
        return Err(StoreError::Conflict {
            code: "already_checked_out",
            message: taken.join("; "),
        });
    }
    // Assets set aside for an approved request go to its person only, by its fulfilment
    // (which frees the reservation in this same transaction before it checks out).
    let reserved = super::request::reservations_of(tx, &ids).await?;
    if !reserved.is_empty() {
        let message = reserved
            .iter()
            .filter_map(|(asset, request, issue)| {
                locked.get(asset).map(|a| {
                    format!(
                        "{} is reserved for request #{request} on {issue}",
                        AssetKey::new(model.schema.key.clone(), a.number)
                    )
                })
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(StoreError::Conflict {
            code: "asset_reserved",
            message,
        });
    }
    // A booking holds its asset over its range: a check-out may not take the asset from under
    // one that has begun, nor keep it into one to come. A plain check-out's due day must come
    // before that booking's first local day (the loan may be kept all of its due day); a
    // pickup's own booking, moved on to picked up in this transaction, ends where the next
    // one may start, which the overlap constraint already holds.
    let ahead = super::booking::booked_ahead(tx, &ids, now).await?;
    let picking_up = super::booking::picked_up_until(tx, &ids).await?;
    let mut clashes = Vec::new();
    for (id, draft) in items {
        let Some(asset) = locked.get(&id.0) else {
            continue;
        };
        for booked in ahead.iter().filter(|b| b.asset_id == id.0) {
            let clash = if booked.starts_at <= now {
                true
            } else if let Some(until) = picking_up.get(&id.0) {
                *until > booked.starts_at
            } else {
                let first_day = booked.zone().day_of(booked.starts_at);
                match (draft.due, first_day) {
                    (Some(due), Some(day)) => due >= day,
                    _ => true,
                }
            };
            if clash {
                clashes.push(format!(
                    "{} is booked from {} (booking #{}): pick that booking up, or set a due \
                     date before it",
                    AssetKey::new(model.schema.key.clone(), asset.number),
                    booked.zone().describe(booked.starts_at),
                    booked.booking_id
                ));
            }
        }
    }
    if !clashes.is_empty() {
        return Err(StoreError::Conflict {
            code: "asset_booked",
            message: clashes.join("; "),
        });
    }
    // Holder assets, by number within the schema.
    let numbers: Vec<i64> = items
        .iter()
        .filter_map(|(_, d)| d.holder.asset())
        .filter(|k| k.schema == model.schema.key)
        .map(|k| k.number)
        .collect();
    let holders = assets_by_number(tx, tenant, model.schema.id, &numbers).await?;
    let out_status = model.custody.out_status(&model.statuses);
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (row, (id, draft)) in items.iter().enumerate() {
        let Some(asset) = locked.get(&id.0) else {
            return Err(StoreError::NotFound {
                code: "asset_not_found",
                message: format!("asset {} does not exist", id.0),
            });
        };
        let key = AssetKey::new(model.schema.key.clone(), asset.number);
        if !seen.insert(id.0) {
            errors.push(invalid(
                row,
                "asset",
                rules::DUPLICATE_VALUE,
                format!("{key} is listed twice"),
            ));
            continue;
        }
        if let Err(e) = check_checkoutable(model, asset, &key) {
            errors.push((row, e));
            continue;
        }
        if let Some(holder_key) = draft.holder.asset() {
            let found = (holder_key.schema == model.schema.key)
                .then(|| holders.get(&holder_key.number))
                .flatten();
            match found {
                None => errors.push(invalid(
                    row,
                    "holder",
                    rules::REFERENCE_TARGET,
                    format!("Holder: {holder_key} is not an asset of this schema"),
                )),
                Some((_, true)) => errors.push(invalid(
                    row,
                    "holder",
                    rules::REFERENCE_TARGET,
                    format!("Holder: {holder_key} is archived"),
                )),
                Some((_, false)) => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::InvalidRows(errors));
    }
    let mut held = Vec::with_capacity(items.len());
    let mut moves = Vec::new();
    for (row, (id, draft)) in items.iter().enumerate() {
        let Some(asset) = locked.get(&id.0) else {
            continue;
        };
        let key = AssetKey::new(model.schema.key.clone(), asset.number);
        let holder_asset = draft
            .holder
            .asset()
            .and_then(|k| holders.get(&k.number))
            .map(|(id, _)| *id);
        if let (Holder::Asset { .. }, Some(carrier)) = (&draft.holder, holder_asset) {
            // Earlier rows of this batch are already written, so a batch cannot build a loop.
            let below = depth_below(tx, asset.id).await?;
            check_no_loop(tx, asset.id, carrier, below)
                .await?
                .map_err(|message| {
                    StoreError::InvalidRows(vec![invalid(row, "holder", rules::CYCLE, message)])
                })?;
        }
        let insert = Sql::new(
            "INSERT INTO asset_custody (asset_id, tenant_id, schema_id, holder_kind, \
             holder_account, holder_asset_id, since, by_actor, due_day, issue_key, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .arg(asset.id)
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(holder_kind(&draft.holder))
        .arg(match &draft.holder {
            Holder::User { account_id } => Some(account_id.as_str()),
            _ => None,
        })
        .arg(holder_asset)
        .arg(now)
        .arg(actor)
        .arg(draft.due.map(i64::from))
        .arg(draft.issue.as_deref())
        .arg(draft.note.as_str());
        tx.execute(&insert).await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                StoreError::Conflict {
                    code: "already_checked_out",
                    message: format!("{key} was checked out by another request just now"),
                }
            }
            other => other,
        })?;
        let custody = Custody {
            holder: draft.holder.clone(),
            since: now,
            by: actor.to_owned(),
            due: draft.due,
            issue: draft.issue.clone(),
            note: draft.note.clone(),
        };
        moves.push((
            asset,
            out_status,
            HistoryEvent::CheckedOut {
                holder: draft.holder.clone(),
                due: draft.due,
                issue: draft.issue.clone(),
                note: draft.note.clone(),
            },
        ));
        held.push(Held {
            asset_id: AssetId(asset.id),
            key,
            label: asset.label.clone(),
            custody,
        });
    }
    finish(tx, tenant, model, moves, actor, now).await?;
    Ok(held)
}

/// Checks assets in inside the caller's transaction (the verb's, or a booking's return): the
/// rules of [`Store::check_in`], without its key and commit. A booking that was picked up lets
/// go of each asset that comes back, however it comes back, and is returned with its last.
pub(crate) async fn check_in_in(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    items: &[(AssetId, CheckinDraft)],
    actor: &str,
    now: i64,
) -> Result<Vec<(AssetKey, Loan)>, StoreError> {
    let ids: Vec<i64> = items.iter().map(|(id, _)| id.0).collect();
    let locked = lock_assets(tx, tenant, model, &ids).await?;
    let current = custody_rows(tx, &ids).await?;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (row, (id, _)) in items.iter().enumerate() {
        let Some(asset) = locked.get(&id.0) else {
            return Err(StoreError::NotFound {
                code: "asset_not_found",
                message: format!("asset {} does not exist", id.0),
            });
        };
        let key = AssetKey::new(model.schema.key.clone(), asset.number);
        if !seen.insert(id.0) {
            errors.push(invalid(
                row,
                "asset",
                rules::DUPLICATE_VALUE,
                format!("{key} is listed twice"),
            ));
        } else if !current.contains_key(&id.0) {
            errors.push(invalid(
                row,
                "asset",
                "not_checked_out",
                format!("{key} is not checked out"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::InvalidRows(errors));
    }
    let available = model.custody.available_status(&model.statuses);
    let mut loans = Vec::with_capacity(items.len());
    let mut moves = Vec::new();
    for (id, draft) in items {
        let (Some(asset), Some(row)) = (locked.get(&id.0), current.get(&id.0)) else {
            continue;
        };
        let custody = row.custody()?;
        let insert = Sql::new(
            "INSERT INTO asset_loan (tenant_id, schema_id, asset_id, holder_kind, \
             holder_account, holder_asset_id, since, by_actor, due_day, issue_key, note, \
             returned_at, returned_by, return_condition, return_note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(asset.id)
        .arg(row.holder_kind.as_str())
        .arg(row.holder_account.as_deref())
        .arg(row.holder_asset_id)
        .arg(row.since)
        .arg(row.by_actor.as_str())
        .arg(row.due_day)
        .arg(row.issue_key.as_deref())
        .arg(row.note.as_str())
        .arg(now)
        .arg(actor)
        .arg(condition_name(draft.condition))
        .arg(draft.note.as_str());
        tx.execute(&insert).await?;
        let delete = Sql::new("DELETE FROM asset_custody WHERE asset_id = $1").arg(asset.id);
        tx.execute(&delete).await?;
        // Back to available only from an "in use" status, where check-outs put it: a status
        // someone chose while it was out (in repair, retired) is theirs to change.
        let in_use = model
            .status(StatusId(asset.status_id))
            .is_some_and(|s| s.category == amj_domain::StatusCategory::InUse);
        let to = (draft.condition != Condition::Lost && in_use)
            .then_some(available)
            .flatten();
        moves.push((
            asset,
            to,
            HistoryEvent::CheckedIn {
                holder: custody.holder.clone(),
                condition: draft.condition,
                issue: custody.issue.clone(),
                note: draft.note.clone(),
            },
        ));
        loans.push((
            AssetKey::new(model.schema.key.clone(), asset.number),
            Loan {
                custody,
                returned_at: now,
                returned_by: actor.to_owned(),
                condition: draft.condition,
                return_note: draft.note.clone(),
            },
        ));
    }
    finish(tx, tenant, model, moves, actor, now).await?;
    super::booking::release_returned(tx, &ids, actor, now).await?;
    Ok(loans)
}

/// Reads and locks the assets a verb acts on. Addressed by id alone (SQLite's planner would
/// otherwise walk the tenant index); the tenant and schema are checked here.
pub(crate) async fn lock_assets(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    ids: &[i64],
) -> Result<HashMap<i64, Locked>, StoreError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(
            "SELECT id, tenant_id, schema_id, number, label, type_id, status_id, archived, \
             retired_at FROM asset WHERE id IN ",
        );
        sql.bind_list(chunk.iter().copied())
            .push(" ORDER BY id")
            .push(tx.for_update());
        type Found = (i64, i64, i64, i64, String, i64, i64, bool, Option<i64>);
        let found: Vec<Found> = tx.fetch_all(&sql).await?;
        for (id, t, schema, number, label, type_id, status_id, archived, retired_at) in found {
            if t == tenant.0 && schema == model.schema.id.0 {
                out.insert(
                    id,
                    Locked {
                        id,
                        number,
                        label,
                        type_id,
                        status_id,
                        archived,
                        retired_at,
                    },
                );
            }
        }
    }
    Ok(out)
}

async fn custody_rows(tx: &mut Tx, ids: &[i64]) -> Result<HashMap<i64, CustodyRow>, StoreError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(&format!(
            "SELECT {CUSTODY_COLUMNS} FROM asset_custody c {HOLDER_JOINS} WHERE c.asset_id IN "
        ));
        sql.bind_list(chunk.iter().copied());
        let rows: Vec<CustodyRow> = tx.fetch_all(&sql).await?;
        out.extend(rows.into_iter().map(|r| (r.asset_id, r)));
    }
    Ok(out)
}

/// Assets of the schema by number: (id, archived).
pub(crate) async fn assets_by_number(
    tx: &mut Tx,
    tenant: TenantId,
    schema: SchemaId,
    numbers: &[i64],
) -> Result<HashMap<i64, (i64, bool)>, StoreError> {
    let mut out = HashMap::new();
    for chunk in numbers.chunks(500) {
        let mut sql = Sql::new("SELECT number, id, archived FROM asset WHERE tenant_id = ");
        sql.bind(tenant.0)
            .push(" AND schema_id = ")
            .bind(schema.0)
            .push(" AND number IN ")
            .bind_list(chunk.iter().copied())
            // Locked, so a holder cannot be archived while something is checked out to it.
            .push(tx.for_update());
        let found: Vec<(i64, i64, bool)> = tx.fetch_all(&sql).await?;
        out.extend(found.into_iter().map(|(n, id, a)| (n, (id, a))));
    }
    Ok(out)
}

/// How many levels of assets ride on `asset` (0: none), at most [`NESTING_MAX`] + 1.
async fn depth_below(tx: &mut Tx, asset: i64) -> Result<usize, StoreError> {
    let mut level = vec![asset];
    for depth in 0..=NESTING_MAX {
        let mut next = Vec::new();
        for chunk in level.chunks(500) {
            let mut sql = Sql::new(
                "SELECT asset_id FROM asset_custody WHERE holder_kind = 'asset' \
                 AND holder_asset_id IN ",
            );
            sql.bind_list(chunk.iter().copied());
            let found: Vec<(i64,)> = tx.fetch_all(&sql).await?;
            next.extend(found.into_iter().map(|(id,)| id));
        }
        if next.is_empty() {
            return Ok(depth);
        }
        level = next;
    }
    Ok(NESTING_MAX + 1)
}

/// Refuses a carrier that is (or is carried by) the asset itself, or a chain too deep counting
/// the `below` levels already riding on the asset; the message names the loop.
async fn check_no_loop(
    tx: &mut Tx,
    asset: i64,
    carrier: i64,
    below: usize,
) -> Result<Result<(), String>, StoreError> {
    let mut current = carrier;
    for depth in 0..=NESTING_MAX.saturating_sub(below) {
        if current == asset {
            return Ok(Err(
                "Holder: the asset would carry itself (its holder is carried by it)".to_owned(),
            ));
        }
        if depth == NESTING_MAX.saturating_sub(below) {
            break;
        }
        let sql = Sql::new(
            "SELECT holder_asset_id FROM asset_custody \
             WHERE asset_id = $1 AND holder_kind = 'asset'",
        )
        .arg(current);
        match tx.fetch_optional::<(Option<i64>,)>(&sql).await? {
            Some((Some(next),)) => current = next,
            _ => return Ok(Ok(())),
        }
    }
    Ok(Err(format!(
        "Holder: carriers would nest more than {NESTING_MAX} deep"
    )))
}

/// The status moves, history and counters every verb ends with. Each asset's version goes up
/// (custody is part of what an editor sees), its status moves where `to` says, and its history
/// gets the status change (if any) and then the verb's own event.
async fn finish(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    moves: Vec<(&Locked, Option<StatusId>, HistoryEvent)>,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    let retired = |s: i64| {
        model
            .status(StatusId(s))
            .is_some_and(|s| s.category == amj_domain::StatusCategory::Retired)
    };
    let name = |s: i64| {
        model
            .status(StatusId(s))
            .map_or_else(|| s.to_string(), |s| s.name.clone())
    };
    let mut tally = TallyDelta::default();
    let mut events = Vec::with_capacity(moves.len() * 2);
    for (asset, to, event) in moves {
        let status = to.map_or(asset.status_id, |s| s.0);
        let retired_at = match (retired(asset.status_id), retired(status)) {
            (false, true) => Some(now),
            (_, false) => None,
            (true, true) => asset.retired_at,
        };
        let update = Sql::new(
            "UPDATE asset SET status_id = $2, version = version + 1, updated_at = $3, \
             updated_by = $4, retired_at = $5 WHERE id = $1",
        )
        .arg(asset.id)
        .arg(status)
        .arg(now)
        .arg(actor)
        .arg(retired_at);
        tx.execute(&update).await?;
        if status != asset.status_id {
            events.push((
                asset.id,
                HistoryEvent::StatusChanged {
                    old: name(asset.status_id),
                    new: name(status),
                },
            ));
            if !asset.archived {
                tally.add(Dimension::Status, asset.status_id, 0, -1);
                tally.add(Dimension::Status, status, 0, 1);
            }
        }
        tally.retired_moved(asset.retired_at, retired_at);
        events.push((asset.id, event));
    }
    tally.apply(tx, tenant, model.schema.id).await?;
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

/// A policy's list of types, each kept in a table of its own.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PolicyTypes {
    /// Types that can be checked out (`custody_type`).
    Custody,
    /// Types that are licences (`licence_type`).
    Licence,
}

/// Replaces the schema's rows of a policy's type list (duplicates dropped), in the policy's
/// transaction.
pub(crate) async fn replace_policy_types(
    tx: &mut Tx,
    which: PolicyTypes,
    tenant: TenantId,
    schema: SchemaId,
    types: &[TypeId],
) -> Result<(), StoreError> {
    // Table names are ours, never input: the values are bound.
    let (clear, insert) = match which {
        PolicyTypes::Custody => (
            "DELETE FROM custody_type WHERE tenant_id = $1 AND schema_id = $2",
            "INSERT INTO custody_type (tenant_id, schema_id, type_id) VALUES ($1, $2, $3)",
        ),
        PolicyTypes::Licence => (
            "DELETE FROM licence_type WHERE tenant_id = $1 AND schema_id = $2",
            "INSERT INTO licence_type (tenant_id, schema_id, type_id) VALUES ($1, $2, $3)",
        ),
    };
    tx.execute(&Sql::new(clear).arg(tenant.0).arg(schema.0))
        .await?;
    let distinct: HashSet<i64> = types.iter().map(|t| t.0).collect();
    for type_id in distinct {
        let row = Sql::new(insert).arg(tenant.0).arg(schema.0).arg(type_id);
        tx.execute(&row).await?;
    }
    Ok(())
}

/// Takes an idempotency key inside the verb's transaction, so that the key and the effect
/// commit together. A key another request holds (committed, or in a transaction this one waits
/// for) fails the insert: the caller replays that request's response.
pub(crate) async fn claim_key(
    tx: &mut Tx,
    tenant: TenantId,
    key: &str,
    request_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    // Only this key, if it expired: purging the site's other expired keys here would make
    // concurrent verbs queue on the same rows (`prune_idempotency_keys` does that, on a timer).
    let expired = Sql::new(
        "DELETE FROM idempotency_key WHERE tenant_id = $1 AND idem_key = $2 AND created_at < $3",
    )
    .arg(tenant.0)
    .arg(key)
    .arg(now - IDEMPOTENCY_TTL_MILLIS);
    tx.execute(&expired).await?;
    let insert = Sql::new(
        "INSERT INTO idempotency_key (tenant_id, idem_key, request_hash, status, response, \
         created_at) VALUES ($1, $2, $3, 0, '', $4)",
    )
    .arg(tenant.0)
    .arg(key)
    .arg(request_hash)
    .arg(now);
    tx.execute(&insert).await.map_err(|e| match e {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::IdempotencyKeyUsed
        }
        other => other,
    })?;
    Ok(())
}

pub(crate) async fn store_response(
    tx: &mut Tx,
    tenant: TenantId,
    key: &str,
    (status, body): (u16, String),
) -> Result<(), StoreError> {
    let update = Sql::new(
        "UPDATE idempotency_key SET status = $3, response = $4 \
         WHERE tenant_id = $1 AND idem_key = $2",
    )
    .arg(tenant.0)
    .arg(key)
    .arg(i64::from(status))
    .arg(body);
    tx.execute(&update).await?;
    Ok(())
}
