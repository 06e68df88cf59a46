//! Stock: the schema's stock policy (`stock_type`), how many of an item each location holds
//! (`stock_level`), what is issued and not yet back (`stock_out`), an item's totals
//! (`stock_item`) and every movement (`stock_move`).
//!
//! "A quantity never goes negative" is one conditional UPDATE per level taken from
//! (`quantity >= n`), with a CHECK constraint behind it. A movement also locks its item's asset
//! row first, so movements of one item run one after the other and the item's totals, recounted
//! at the end of each, are always those of the committed levels. See docs/ARCHITECTURE.md,
//! "Stock".

use super::catalog::SchemaModel;
use super::custody::{Idempotent, Locked, claim_key, lock_assets, store_response};
use super::db::Tx;
use super::sql::Sql;
use super::{Store, StoreError, now_millis};
use amj_domain::ids::{AssetId, SchemaId, TenantId, TypeId};
use amj_domain::licence::Assignee;
use amj_domain::stock::{
    MinimumDraft, Movement, QUANTITY_MAX, StockCounts, StockKind, StockPolicy,
};
use amj_domain::{AssetKey, HistoryEvent, ValidationErrors, rules};
use std::collections::HashMap;

/// How many of an item one location holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub location: AssetKey,
    pub location_label: String,
    pub quantity: i64,
    pub minimum: i64,
}

/// Issued to someone and not yet back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockOut {
    pub assignee: Assignee,
    pub quantity: i64,
    /// Epoch milliseconds of the first issue still out.
    pub since: i64,
}

/// An item's stock: its totals, every location's level and what is out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStock {
    pub kind: StockKind,
    pub counts: StockCounts,
    pub levels: Vec<StockLevel>,
    pub out: Vec<StockOut>,
}

/// One recorded movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMove {
    pub id: i64,
    pub item: AssetKey,
    pub item_label: String,
    /// `receive`, `issue`, `return`, `move` or `count`.
    pub kind: String,
    pub location: AssetKey,
    pub to_location: Option<AssetKey>,
    pub party: Option<Assignee>,
    /// How many moved; for a count, how many were found.
    pub quantity: i64,
    /// The location's quantity after (the source's, for a move).
    pub level: i64,
    pub at: i64,
    pub by: String,
    pub issue: Option<String>,
    pub note: String,
}

/// A level under its minimum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BelowMinimum {
    /// The level's row id: the list's cursor.
    pub id: i64,
    pub item: AssetKey,
    pub item_label: String,
    pub location: AssetKey,
    pub location_label: String,
    pub quantity: i64,
    pub minimum: i64,
}

/// An asset of the schema named in a movement, as found (not locked: a location or a recipient
/// is only read, so movements of different items never wait for each other on it).
struct Named {
    id: i64,
    label: String,
    type_id: i64,
    archived: bool,
}

fn not_stock(model: &SchemaModel, asset: &Locked, key: &AssetKey) -> ValidationErrors {
    let type_id = TypeId(asset.type_id);
    let name = model
        .asset_type(type_id)
        .map_or_else(|| type_id.0.to_string(), |t| t.name.clone());
    ValidationErrors::single(
        "asset",
        "not_stock",
        format!("{key}: {name} assets are not stock items (see the schema's stock settings)"),
    )
}

fn asset_not_found(id: AssetId) -> StoreError {
    StoreError::NotFound {
        code: "asset_not_found",
        message: format!("asset {} does not exist", id.0),
    }
}

fn party_kind(party: &Assignee) -> &'static str {
    match party {
        Assignee::User { .. } => "user",
        Assignee::Asset { .. } => "asset",
    }
}

/// Locks the item's asset and answers its key and stock kind.
async fn lock_item(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    id: AssetId,
) -> Result<(Locked, AssetKey, StockKind), StoreError> {
    let mut locked = lock_assets(tx, tenant, model, &[id.0]).await?;
    let asset = locked.remove(&id.0).ok_or_else(|| asset_not_found(id))?;
    let key = AssetKey::new(model.schema.key.clone(), asset.number);
    if asset.archived {
        return Err(StoreError::Invalid(ValidationErrors::single(
            "asset",
            rules::REFERENCE_TARGET,
            format!("{key} is archived"),
        )));
    }
    let Some(kind) = model.stock.kind_of(&model.types, TypeId(asset.type_id)) else {
        return Err(StoreError::Invalid(not_stock(model, &asset, &key)));
    };
    Ok((asset, key, kind))
}

/// The schema's assets with these keys; keys of another schema are not found.
async fn named_assets(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    keys: &[&AssetKey],
) -> Result<HashMap<i64, Named>, StoreError> {
    let numbers: Vec<i64> = keys
        .iter()
        .filter(|k| k.schema == model.schema.key)
        .map(|k| k.number)
        .collect();
    if numbers.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql =
        Sql::new("SELECT number, id, label, type_id, archived FROM asset WHERE tenant_id = ");
    sql.bind(tenant.0)
        .push(" AND schema_id = ")
        .bind(model.schema.id.0)
        .push(" AND number IN ")
        .bind_list(numbers.iter().copied());
    let found: Vec<(i64, i64, String, i64, bool)> = tx.fetch_all(&sql).await?;
    Ok(found
        .into_iter()
        .map(|(number, id, label, type_id, archived)| {
            (
                number,
                Named {
                    id,
                    label,
                    type_id,
                    archived,
                },
            )
        })
        .collect())
}

/// A location a movement names: an asset of the schema that is not itself stock. `emptying`
/// allows an archived one (stock may still be taken out of a store that closed).
fn location_id(
    model: &SchemaModel,
    found: &HashMap<i64, Named>,
    field: &str,
    key: &AssetKey,
    emptying: bool,
    errors: &mut ValidationErrors,
) -> Option<i64> {
    let named = (key.schema == model.schema.key)
        .then(|| found.get(&key.number))
        .flatten();
    match named {
        None => errors.push(
            field,
            rules::REFERENCE_TARGET,
            format!("{key} is not an asset of this schema"),
        ),
        Some(n) if n.archived && !emptying => errors.push(
            field,
            rules::REFERENCE_TARGET,
            format!("{key} ({}) is archived", n.label),
        ),
        Some(n)
            if model
                .stock
                .kind_of(&model.types, TypeId(n.type_id))
                .is_some() =>
        {
            errors.push(
                field,
                rules::REFERENCE_TARGET,
                format!("{key} ({}) is a stock item, not a location", n.label),
            )
        }
        Some(n) => return Some(n.id),
    }
    None
}

/// The recipient asset of an issue or a return, by id; `None` for a person.
fn party_asset(
    model: &SchemaModel,
    found: &HashMap<i64, Named>,
    field: &str,
    party: &Assignee,
    errors: &mut ValidationErrors,
) -> Option<i64> {
    let Assignee::Asset { key } = party else {
        return None;
    };
    let named = (key.schema == model.schema.key)
        .then(|| found.get(&key.number))
        .flatten();
    match named {
        None => errors.push(
            field,
            rules::REFERENCE_TARGET,
            format!("{key} is not an asset of this schema"),
        ),
        Some(n) if n.archived => errors.push(
            field,
            rules::REFERENCE_TARGET,
            format!("{key} ({}) is archived", n.label),
        ),
        Some(n) => return Some(n.id),
    }
    None
}

/// A location's quantity of the item (0 without a row).
async fn level_at(tx: &mut Tx, item: i64, location: i64) -> Result<(i64, i64), StoreError> {
    let sql = Sql::new(
        "SELECT quantity, minimum FROM stock_level WHERE item_id = $1 AND location_id = $2",
    )
    .arg(item)
    .arg(location);
    Ok(tx
        .fetch_optional::<(i64, i64)>(&sql)
        .await?
        .unwrap_or((0, 0)))
}

/// Adds `n` at a location, creating its level (the item is locked, so no other movement of it
/// creates the row meanwhile). Refuses going past [`QUANTITY_MAX`].
#[allow(clippy::too_many_arguments)]
async fn put(
    tx: &mut Tx,
    tenant: TenantId,
    schema: SchemaId,
    item: i64,
    location: (i64, &AssetKey),
    n: i64,
    now: i64,
) -> Result<i64, StoreError> {
    let (quantity, _) = level_at(tx, item, location.0).await?;
    if quantity + n > QUANTITY_MAX {
        return Err(StoreError::Invalid(ValidationErrors::single(
            "quantity",
            rules::MAX,
            format!(
                "{} would hold {} of it: at most {QUANTITY_MAX}",
                location.1,
                quantity + n
            ),
        )));
    }
    let update = Sql::new(
        "UPDATE stock_level SET quantity = quantity + $3, updated_at = $4 \
         WHERE item_id = $1 AND location_id = $2",
    )
    .arg(item)
    .arg(location.0)
    .arg(n)
    .arg(now);
    if tx.execute(&update).await? == 0 {
        let insert = Sql::new(
            "INSERT INTO stock_level (tenant_id, schema_id, item_id, location_id, quantity, \
             minimum, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(item)
        .arg(location.0)
        .arg(n)
        .arg(now);
        tx.execute(&insert).await?;
    }
    Ok(quantity + n)
}

/// Takes `n` from a location: one conditional UPDATE, so the quantity cannot go below zero
/// whatever else runs. Zero rows is a 409 naming what is there.
async fn take(
    tx: &mut Tx,
    item: (i64, &AssetKey),
    location: (i64, &AssetKey),
    n: i64,
    now: i64,
) -> Result<i64, StoreError> {
    let update = Sql::new(
        "UPDATE stock_level SET quantity = quantity - $3, updated_at = $4 \
         WHERE item_id = $1 AND location_id = $2 AND quantity >= $3",
    )
    .arg(item.0)
    .arg(location.0)
    .arg(n)
    .arg(now);
    let taken = tx.execute(&update).await? == 1;
    let (quantity, _) = level_at(tx, item.0, location.0).await?;
    if taken {
        Ok(quantity)
    } else {
        Err(StoreError::Conflict {
            code: "insufficient_stock",
            message: format!("{} holds {quantity} of {}; {n} asked", location.1, item.1),
        })
    }
}

/// The recipient's row of what is out, as (account, asset id).
fn party_columns(party: &Assignee, asset: Option<i64>) -> (Option<String>, Option<i64>) {
    match party {
        Assignee::User { account_id } => (Some(account_id.clone()), None),
        Assignee::Asset { .. } => (None, asset),
    }
}

fn party_filter(sql: &mut Sql, account: &Option<String>, asset: Option<i64>) {
    match (account, asset) {
        (Some(account), _) => sql.push(" AND assignee_account = ").bind(account.clone()),
        (None, asset) => sql.push(" AND assignee_asset_id = ").bind(asset),
    };
}

/// Records `n` more as out with the recipient.
async fn lend(
    tx: &mut Tx,
    tenant: TenantId,
    item: i64,
    party: &Assignee,
    asset: Option<i64>,
    n: i64,
    now: i64,
) -> Result<(), StoreError> {
    let (account, asset) = party_columns(party, asset);
    let mut update = Sql::new("UPDATE stock_out SET quantity = quantity + ");
    update.bind(n).push(" WHERE item_id = ").bind(item);
    party_filter(&mut update, &account, asset);
    if tx.execute(&update).await? == 0 {
        let insert = Sql::new(
            "INSERT INTO stock_out (tenant_id, item_id, assignee_kind, assignee_account, \
             assignee_asset_id, quantity, since) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .arg(tenant.0)
        .arg(item)
        .arg(party_kind(party))
        .arg(account)
        .arg(asset)
        .arg(n)
        .arg(now);
        tx.execute(&insert).await?;
    }
    Ok(())
}

/// Takes `n` back from the recipient: they must have at least that many out.
async fn take_back(
    tx: &mut Tx,
    item: (i64, &AssetKey),
    party: &Assignee,
    asset: Option<i64>,
    n: i64,
) -> Result<(), StoreError> {
    let (account, asset) = party_columns(party, asset);
    let mut update = Sql::new("UPDATE stock_out SET quantity = quantity - ");
    update
        .bind(n)
        .push(" WHERE item_id = ")
        .bind(item.0)
        .push(" AND quantity >= ")
        .bind(n);
    party_filter(&mut update, &account, asset);
    if tx.execute(&update).await? == 0 {
        let mut held = Sql::new("SELECT quantity FROM stock_out WHERE item_id = ");
        held.bind(item.0);
        party_filter(&mut held, &account, asset);
        let out = tx
            .fetch_optional::<(i64,)>(&held)
            .await?
            .map_or(0, |(q,)| q);
        return Err(StoreError::Conflict {
            code: "not_issued",
            message: format!("{party} has {out} of {} out; {n} returned", item.1),
        });
    }
    let mut empty = Sql::new("DELETE FROM stock_out WHERE quantity = 0 AND item_id = ");
    empty.bind(item.0);
    party_filter(&mut empty, &account, asset);
    tx.execute(&empty).await?;
    Ok(())
}

/// Recounts the item's totals from its levels and what is out (the item is locked).
async fn retotal(tx: &mut Tx, item: i64) -> Result<(), StoreError> {
    let sql = Sql::new(
        "UPDATE stock_item SET \
         quantity = (SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM stock_level \
         WHERE item_id = $1), \
         below_minimum = (SELECT COUNT(*) FROM stock_level WHERE item_id = $1 \
         AND quantity < minimum), \
         issued = (SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM stock_out \
         WHERE item_id = $1) \
         WHERE asset_id = $1",
    )
    .arg(item);
    tx.execute(&sql).await?;
    Ok(())
}

/// The item's totals row, created on its first movement.
async fn ensure_item(
    tx: &mut Tx,
    tenant: TenantId,
    schema: SchemaId,
    item: i64,
) -> Result<(), StoreError> {
    let sql = Sql::new(
        "INSERT INTO stock_item (asset_id, tenant_id, schema_id) VALUES ($1, $2, $3) \
         ON CONFLICT (asset_id) DO NOTHING",
    )
    .arg(item)
    .arg(tenant.0)
    .arg(schema.0);
    tx.execute(&sql).await?;
    Ok(())
}

/// A movement as recorded in `stock_move`.
struct Record<'a> {
    kind: &'static str,
    location: i64,
    to_location: Option<i64>,
    party: Option<(&'a Assignee, Option<i64>)>,
    quantity: i64,
    level: i64,
    issue: Option<&'a str>,
    note: &'a str,
}

async fn record(
    tx: &mut Tx,
    tenant: TenantId,
    item: i64,
    r: Record<'_>,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    let (kind, account, asset) = match r.party {
        Some((party, asset)) => {
            let (account, asset) = party_columns(party, asset);
            (Some(party_kind(party)), account, asset)
        }
        None => (None, None, None),
    };
    let sql = Sql::new(
        "INSERT INTO stock_move (tenant_id, item_id, kind, location_id, to_location_id, \
         assignee_kind, assignee_account, assignee_asset_id, quantity, level, at, by_actor, \
         issue_key, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .arg(tenant.0)
    .arg(item)
    .arg(r.kind)
    .arg(r.location)
    .arg(r.to_location)
    .arg(kind)
    .arg(account)
    .arg(asset)
    .arg(r.quantity)
    .arg(r.level)
    .arg(now)
    .arg(actor)
    .arg(r.issue)
    .arg(r.note);
    tx.execute(&sql).await?;
    Ok(())
}

async fn history(
    tx: &mut Tx,
    tenant: TenantId,
    item: i64,
    event: HistoryEvent,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    let encoded = serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    super::assets::insert_events(tx, tenant, now, actor, &[(item, encoded)]).await
}

#[derive(sqlx::FromRow)]
struct LevelRow {
    number: i64,
    label: String,
    quantity: i64,
    minimum: i64,
}

#[derive(sqlx::FromRow)]
struct OutRow {
    assignee_kind: String,
    assignee_account: Option<String>,
    assignee_number: Option<i64>,
    quantity: i64,
    since: i64,
}

fn party_of(
    model: &SchemaModel,
    kind: Option<&str>,
    account: Option<String>,
    number: Option<i64>,
) -> Result<Option<Assignee>, StoreError> {
    Ok(match (kind, account, number) {
        (None, ..) => None,
        (Some("user"), Some(account_id), _) => Some(Assignee::User { account_id }),
        (Some("asset"), _, Some(number)) => Some(Assignee::Asset {
            key: AssetKey::new(model.schema.key.clone(), number),
        }),
        (Some(kind), ..) => {
            return Err(StoreError::Corrupt(format!(
                "stock recipient of kind {kind:?} without its id"
            )));
        }
    })
}

/// The three reads that make an item's stock: totals, levels, what is out.
fn stock_queries(tenant: TenantId, item: i64) -> [Sql; 3] {
    [
        Sql::new(
            "SELECT quantity, issued, below_minimum FROM stock_item \
             WHERE asset_id = $1 AND tenant_id = $2",
        )
        .arg(item)
        .arg(tenant.0),
        Sql::new(
            "SELECT a.number, a.label, l.quantity, l.minimum FROM stock_level l \
             JOIN asset a ON a.id = l.location_id WHERE l.item_id = $1 AND l.tenant_id = $2 \
             ORDER BY a.number",
        )
        .arg(item)
        .arg(tenant.0),
        Sql::new(
            "SELECT o.assignee_kind, o.assignee_account, h.number AS assignee_number, \
             o.quantity, o.since FROM stock_out o LEFT JOIN asset h ON h.id = o.assignee_asset_id \
             WHERE o.item_id = $1 AND o.tenant_id = $2 ORDER BY o.since, o.id",
        )
        .arg(item)
        .arg(tenant.0),
    ]
}

fn assemble(
    model: &SchemaModel,
    kind: StockKind,
    counts: Option<(i64, i64, i64)>,
    levels: Vec<LevelRow>,
    out: Vec<OutRow>,
) -> Result<ItemStock, StoreError> {
    let counts = counts
        .map(|(quantity, issued, below_minimum)| StockCounts {
            quantity,
            issued,
            below_minimum,
        })
        .unwrap_or_default();
    Ok(ItemStock {
        kind,
        counts,
        levels: levels
            .into_iter()
            .map(|l| StockLevel {
                location: AssetKey::new(model.schema.key.clone(), l.number),
                location_label: l.label,
                quantity: l.quantity,
                minimum: l.minimum,
            })
            .collect(),
        out: out
            .into_iter()
            .map(|o| {
                let assignee = party_of(
                    model,
                    Some(&o.assignee_kind),
                    o.assignee_account,
                    o.assignee_number,
                )?
                .ok_or_else(|| StoreError::Corrupt("stock out without a recipient".into()))?;
                Ok(StockOut {
                    assignee,
                    quantity: o.quantity,
                    since: o.since,
                })
            })
            .collect::<Result<_, StoreError>>()?,
    })
}

/// The item's stock as this transaction sees it.
async fn read_stock(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    item: i64,
    kind: StockKind,
) -> Result<ItemStock, StoreError> {
    let [counts, levels, out] = stock_queries(tenant, item);
    let counts = tx.fetch_optional(&counts).await?;
    let levels = tx.fetch_all(&levels).await?;
    let out = tx.fetch_all(&out).await?;
    assemble(model, kind, counts, levels, out)
}

#[derive(sqlx::FromRow)]
struct MoveRow {
    id: i64,
    item_number: i64,
    item_label: String,
    kind: String,
    location_number: i64,
    to_number: Option<i64>,
    assignee_kind: Option<String>,
    assignee_account: Option<String>,
    assignee_number: Option<i64>,
    quantity: i64,
    level: i64,
    at: i64,
    by_actor: String,
    issue_key: Option<String>,
    note: String,
    schema_key: String,
}

const MOVE_SELECT: &str = "SELECT m.id, i.number AS item_number, i.label AS item_label, m.kind, \
    l.number AS location_number, t.number AS to_number, m.assignee_kind, m.assignee_account, \
    h.number AS assignee_number, m.quantity, m.level, m.at, m.by_actor, m.issue_key, m.note, \
    s.schema_key FROM stock_move m JOIN asset i ON i.id = m.item_id \
    JOIN asset_schema s ON s.id = i.schema_id JOIN asset l ON l.id = m.location_id \
    LEFT JOIN asset t ON t.id = m.to_location_id LEFT JOIN asset h ON h.id = m.assignee_asset_id";

impl MoveRow {
    fn into_move(self) -> Result<StockMove, StoreError> {
        let key = |n: i64| {
            AssetKey::parse(&format!("{}-{n}", self.schema_key))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let party = match (self.assignee_kind.as_deref(), self.assignee_account) {
            (None, _) => None,
            (Some("user"), Some(account_id)) => Some(Assignee::User { account_id }),
            (Some("asset"), _) => Some(Assignee::Asset {
                key: key(self.assignee_number.ok_or_else(|| {
                    StoreError::Corrupt(format!("stock move {} lost its recipient", self.id))
                })?)?,
            }),
            (Some(kind), _) => {
                return Err(StoreError::Corrupt(format!(
                    "stock move {} has recipient kind {kind:?}",
                    self.id
                )));
            }
        };
        Ok(StockMove {
            id: self.id,
            item: key(self.item_number)?,
            item_label: self.item_label,
            kind: self.kind,
            location: key(self.location_number)?,
            to_location: self.to_number.map(key).transpose()?,
            party,
            quantity: self.quantity,
            level: self.level,
            at: self.at,
            by: self.by_actor,
            issue: self.issue_key,
            note: self.note,
        })
    }
}

/// Moves an item's stock inside the caller's transaction (a verb's, or a kit's with its other
/// parts): the rules of [`Store::move_stock`], without its key and commit.
pub(crate) async fn move_stock_in(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    id: AssetId,
    movement: &Movement,
    actor: &str,
    now: i64,
) -> Result<ItemStock, StoreError> {
    let schema = model.schema.id;
    let (asset, key, kind) = lock_item(tx, tenant, model, id).await?;
    movement.validate(&key, kind).map_err(StoreError::Invalid)?;
    let mut named: Vec<&AssetKey> = movement.locations();
    if let Some(Assignee::Asset { key }) = movement.party() {
        named.push(key);
    }
    let found = named_assets(tx, tenant, model, &named).await?;
    let mut errors = ValidationErrors::default();
    let item = (asset.id, &key);
    ensure_item(tx, tenant, schema, asset.id).await?;
    let (record_row, event) = match movement {
        Movement::Receive {
            location,
            quantity,
            issue,
            note,
        } => {
            let at = location_id(model, &found, "location", location, false, &mut errors);
            let Some(at) = at else {
                return Err(StoreError::Invalid(errors));
            };
            let level = put(tx, tenant, schema, asset.id, (at, location), *quantity, now).await?;
            (
                Record {
                    kind: "receive",
                    location: at,
                    to_location: None,
                    party: None,
                    quantity: *quantity,
                    level,
                    issue: issue.as_deref(),
                    note,
                },
                HistoryEvent::StockReceived {
                    location: location.clone(),
                    quantity: *quantity,
                    level,
                    issue: issue.clone(),
                    note: note.clone(),
                },
            )
        }
        Movement::Issue {
            location,
            quantity,
            to,
            issue,
            note,
        } => {
            let at = location_id(model, &found, "location", location, true, &mut errors);
            let recipient = party_asset(model, &found, "to", to, &mut errors);
            let Some(at) = at.filter(|_| errors.is_empty()) else {
                return Err(StoreError::Invalid(errors));
            };
            let level = take(tx, item, (at, location), *quantity, now).await?;
            if kind.comes_back() {
                lend(tx, tenant, asset.id, to, recipient, *quantity, now).await?;
            }
            (
                Record {
                    kind: "issue",
                    location: at,
                    to_location: None,
                    party: Some((to, recipient)),
                    quantity: *quantity,
                    level,
                    issue: issue.as_deref(),
                    note,
                },
                HistoryEvent::StockIssued {
                    location: location.clone(),
                    quantity: *quantity,
                    level,
                    to: to.clone(),
                    issue: issue.clone(),
                    note: note.clone(),
                },
            )
        }
        Movement::Return {
            location,
            quantity,
            from,
            note,
        } => {
            let at = location_id(model, &found, "location", location, false, &mut errors);
            // The recipient may have been archived since: what it has out still comes back.
            let recipient = match from {
                Assignee::Asset { key: from_key } => (from_key.schema == model.schema.key)
                    .then(|| found.get(&from_key.number).map(|n| n.id))
                    .flatten()
                    .or_else(|| {
                        errors.push(
                            "from",
                            rules::REFERENCE_TARGET,
                            format!("{from_key} is not an asset of this schema"),
                        );
                        None
                    }),
                Assignee::User { .. } => None,
            };
            let Some(at) = at.filter(|_| errors.is_empty()) else {
                return Err(StoreError::Invalid(errors));
            };
            take_back(tx, item, from, recipient, *quantity).await?;
            let level = put(tx, tenant, schema, asset.id, (at, location), *quantity, now).await?;
            (
                Record {
                    kind: "return",
                    location: at,
                    to_location: None,
                    party: Some((from, recipient)),
                    quantity: *quantity,
                    level,
                    issue: None,
                    note,
                },
                HistoryEvent::StockReturned {
                    location: location.clone(),
                    quantity: *quantity,
                    level,
                    from: from.clone(),
                    note: note.clone(),
                },
            )
        }
        Movement::Move {
            from,
            to,
            quantity,
            note,
        } => {
            let source = location_id(model, &found, "from", from, true, &mut errors);
            let target = location_id(model, &found, "to", to, false, &mut errors);
            let (Some(source), Some(target)) = (source, target) else {
                return Err(StoreError::Invalid(errors));
            };
            let level = take(tx, item, (source, from), *quantity, now).await?;
            put(tx, tenant, schema, asset.id, (target, to), *quantity, now).await?;
            (
                Record {
                    kind: "move",
                    location: source,
                    to_location: Some(target),
                    party: None,
                    quantity: *quantity,
                    level,
                    issue: None,
                    note,
                },
                HistoryEvent::StockMoved {
                    from: from.clone(),
                    to: to.clone(),
                    quantity: *quantity,
                    note: note.clone(),
                },
            )
        }
        Movement::Count {
            location,
            counted,
            note,
        } => {
            let at = location_id(model, &found, "location", location, true, &mut errors);
            let Some(at) = at else {
                return Err(StoreError::Invalid(errors));
            };
            let (before, _) = level_at(tx, asset.id, at).await?;
            if *counted > before {
                put(
                    tx,
                    tenant,
                    schema,
                    asset.id,
                    (at, location),
                    counted - before,
                    now,
                )
                .await?;
            } else if *counted < before {
                take(tx, item, (at, location), before - counted, now).await?;
            } else if before == 0 {
                // A count of nothing where nothing was kept still records the location.
                put(tx, tenant, schema, asset.id, (at, location), 0, now).await?;
            }
            (
                Record {
                    kind: "count",
                    location: at,
                    to_location: None,
                    party: None,
                    quantity: *counted,
                    level: *counted,
                    issue: None,
                    note,
                },
                HistoryEvent::StockCounted {
                    location: location.clone(),
                    before,
                    after: *counted,
                    note: note.clone(),
                },
            )
        }
    };
    record(tx, tenant, asset.id, record_row, actor, now).await?;
    retotal(tx, asset.id).await?;
    history(tx, tenant, asset.id, event, actor, now).await?;
    read_stock(tx, tenant, model, asset.id, kind).await
}

impl Store {
    /// Replaces a schema's stock policy (validated by the caller against the model), bumping
    /// the catalog so every instance applies it from its next request.
    pub async fn set_stock_policy(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        policy: &StockPolicy,
    ) -> Result<(), StoreError> {
        let mut tx = self.db().begin_write().await?;
        let clear = Sql::new("DELETE FROM stock_type WHERE tenant_id = $1 AND schema_id = $2")
            .arg(tenant.0)
            .arg(schema.0);
        tx.execute(&clear).await?;
        for (type_id, kind) in policy.typed() {
            let row = Sql::new(
                "INSERT INTO stock_type (tenant_id, schema_id, type_id, kind) \
                 VALUES ($1, $2, $3, $4)",
            )
            .arg(tenant.0)
            .arg(schema.0)
            .arg(type_id.0)
            .arg(kind.name());
            tx.execute(&row).await?;
        }
        super::catalog::bump_catalog(&mut tx, tenant, schema).await?;
        tx.commit().await
    }

    /// An item's stock; `None` when the asset is not a stock item.
    pub async fn item_stock(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: AssetId,
        type_id: TypeId,
    ) -> Result<Option<ItemStock>, StoreError> {
        let Some(kind) = model.stock.kind_of(&model.types, type_id) else {
            return Ok(None);
        };
        // Outside a transaction: a movement committing between the reads shows a moment later.
        let [counts, levels, out] = stock_queries(tenant, id.0);
        let counts = self.db().fetch_optional(&counts).await?;
        let levels = self.db().fetch_all(&levels).await?;
        let out = self.db().fetch_all(&out).await?;
        assemble(model, kind, counts, levels, out).map(Some)
    }

    /// Moves an item's stock: receive, issue, return, move or count, as one transaction. A
    /// take beyond what a location holds (or a return beyond what the recipient has out) is a
    /// 409 naming what there is. Returns the item's stock after.
    pub async fn move_stock(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: AssetId,
        movement: &Movement,
        actor: &str,
        idempotent: Option<&Idempotent<'_, ItemStock>>,
    ) -> Result<ItemStock, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let stock = move_stock_in(&mut tx, tenant, model, id, movement, actor, now).await?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&stock)?).await?;
        }
        tx.commit().await?;
        Ok(stock)
    }

    /// Sets the least a location should hold of the item (0: none). Returns the stock after.
    pub async fn set_stock_minimum(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        id: AssetId,
        draft: &MinimumDraft,
        actor: &str,
    ) -> Result<ItemStock, StoreError> {
        let now = now_millis();
        let schema = model.schema.id;
        let mut tx = self.db().begin_write().await?;
        let (asset, key, kind) = lock_item(&mut tx, tenant, model, id).await?;
        draft.validate(&key).map_err(StoreError::Invalid)?;
        let found = named_assets(&mut tx, tenant, model, &[&draft.location]).await?;
        let mut errors = ValidationErrors::default();
        let Some(at) = location_id(
            model,
            &found,
            "location",
            &draft.location,
            false,
            &mut errors,
        ) else {
            return Err(StoreError::Invalid(errors));
        };
        ensure_item(&mut tx, tenant, schema, asset.id).await?;
        let (_, old) = level_at(&mut tx, asset.id, at).await?;
        if old != draft.minimum {
            // A level row for the location, so the minimum has somewhere to live.
            put(
                &mut tx,
                tenant,
                schema,
                asset.id,
                (at, &draft.location),
                0,
                now,
            )
            .await?;
            let set = Sql::new(
                "UPDATE stock_level SET minimum = $3, updated_at = $4 \
                 WHERE item_id = $1 AND location_id = $2",
            )
            .arg(asset.id)
            .arg(at)
            .arg(draft.minimum)
            .arg(now);
            tx.execute(&set).await?;
            retotal(&mut tx, asset.id).await?;
            let event = HistoryEvent::StockMinimumChanged {
                location: draft.location.clone(),
                old,
                new: draft.minimum,
            };
            history(&mut tx, tenant, asset.id, event, actor, now).await?;
        }
        let stock = read_stock(&mut tx, tenant, model, asset.id, kind).await?;
        tx.commit().await?;
        Ok(stock)
    }

    /// A page of an item's movements, newest first (`before`: the previous page's last id).
    pub async fn stock_moves(
        &self,
        tenant: TenantId,
        item: AssetId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StockMove>, StoreError> {
        let sql = Sql::new(&format!(
            "{MOVE_SELECT} WHERE m.item_id = $1 AND m.tenant_id = $2 AND m.id < $3 \
             ORDER BY m.id DESC LIMIT $4"
        ))
        .arg(item.0)
        .arg(tenant.0)
        .arg(before.unwrap_or(i64::MAX))
        .arg(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<MoveRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter().map(MoveRow::into_move).collect()
    }

    /// Stock issued for a Jira issue (by key), in every schema, oldest first.
    pub async fn stock_for_issue(
        &self,
        tenant: TenantId,
        issue_key: &str,
    ) -> Result<Vec<StockMove>, StoreError> {
        let sql = Sql::new(&format!(
            "{MOVE_SELECT} WHERE m.tenant_id = $1 AND m.issue_key = $2 AND m.kind = 'issue' \
             ORDER BY m.id LIMIT 500"
        ))
        .arg(tenant.0)
        .arg(issue_key);
        let rows: Vec<MoveRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter().map(MoveRow::into_move).collect()
    }

    /// A page of the schema's levels below their minimum, in the order they were first kept
    /// (`after`: the previous page's last id). Archived items are left out.
    pub async fn below_minimum(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<BelowMinimum>, StoreError> {
        // `quantity < minimum` exactly as the partial index says, so the index serves it.
        let sql = Sql::new(
            "SELECT l.id, i.number, i.label, a.number, a.label, l.quantity, l.minimum \
             FROM stock_level l JOIN asset i ON i.id = l.item_id \
             JOIN asset a ON a.id = l.location_id \
             WHERE l.tenant_id = $1 AND l.schema_id = $2 AND quantity < minimum AND l.id > $3 \
             AND i.archived = $4 ORDER BY l.id LIMIT $5",
        )
        .arg(tenant.0)
        .arg(model.schema.id.0)
        .arg(after.unwrap_or(0))
        .arg(false)
        .arg(i64::try_from(limit).unwrap_or(i64::MAX));
        type Row = (i64, i64, String, i64, String, i64, i64);
        let rows: Vec<Row> = self.db().fetch_all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, item, item_label, location, location_label, quantity, minimum)| {
                    BelowMinimum {
                        id,
                        item: AssetKey::new(model.schema.key.clone(), item),
                        item_label,
                        location: AssetKey::new(model.schema.key.clone(), location),
                        location_label,
                        quantity,
                        minimum,
                    }
                },
            )
            .collect())
    }

    /// The stock totals of those of `ids` that have moved. Addressed by id alone (the primary
    /// key), the tenant checked on each row.
    pub async fn stock_counts_of(
        &self,
        tenant: TenantId,
        ids: &[AssetId],
    ) -> Result<HashMap<AssetId, StockCounts>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(
                "SELECT asset_id, tenant_id, quantity, issued, below_minimum FROM stock_item \
                 WHERE asset_id IN ",
            );
            sql.bind_list(chunk.iter().map(|id| id.0));
            let rows: Vec<(i64, i64, i64, i64, i64)> = self.db().fetch_all(&sql).await?;
            out.extend(rows.into_iter().filter(|r| r.1 == tenant.0).map(
                |(id, _, quantity, issued, below_minimum)| {
                    (
                        AssetId(id),
                        StockCounts {
                            quantity,
                            issued,
                            below_minimum,
                        },
                    )
                },
            ));
        }
        Ok(out)
    }
}

/// Accessories and components out with a person, with their item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonStock {
    pub item: AssetKey,
    pub item_label: String,
    pub quantity: i64,
    pub since: i64,
}

impl Store {
    /// What a person has out of stock (accessories lent, components never go to people), in
    /// every schema, oldest first.
    pub async fn stock_out_of_person(
        &self,
        tenant: TenantId,
        account_id: &str,
        limit: usize,
    ) -> Result<Vec<PersonStock>, StoreError> {
        let sql = Sql::new(
            "SELECT s.schema_key, a.number, a.label, o.quantity, o.since FROM stock_out o \
             JOIN asset a ON a.id = o.item_id JOIN asset_schema s ON s.id = a.schema_id \
             WHERE o.tenant_id = $1 AND o.assignee_account = $2 ORDER BY o.since, o.id LIMIT $3",
        )
        .arg(tenant.0)
        .arg(account_id)
        .arg(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<(String, i64, String, i64, i64)> = self.db().fetch_all(&sql).await?;
        rows.into_iter()
            .map(|(schema, number, item_label, quantity, since)| {
                Ok(PersonStock {
                    item: AssetKey::parse(&format!("{schema}-{number}"))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    item_label,
                    quantity,
                    since,
                })
            })
            .collect()
    }
}
