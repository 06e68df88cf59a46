//! Kits: a schema's named bundles (`kit`, parts as typed JSON) and handing one to a person, all
//! or nothing. A kit's check-out runs each part with the same rules as its own verb (check-out,
//! seat assignment, stock issue) inside one transaction, so any part's refusal undoes the
//! others. See docs/ARCHITECTURE.md, "Kits".

use super::catalog::SchemaModel;
use super::custody::{Held, Idempotent, check_out_in, claim_key, store_response};
use super::db::Tx;
use super::licence::assign_seats_in;
use super::sql::Sql;
use super::stock::move_stock_in;
use super::{Store, StoreError, now_millis};
use amj_domain::custody::{CheckoutDraft, Holder};
use amj_domain::ids::{AssetId, SchemaId, TenantId, TypeId};
use amj_domain::kit::{KitCheckout, KitDraft, KitPart};
use amj_domain::licence::{Assignee, SeatDraft};
use amj_domain::stock::Movement;
use amj_domain::{AssetKey, StatusCategory, ValidationErrors, rules};

/// A kit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kit {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub parts: Vec<KitPart>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a kit's check-out handed out, part by part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitHandout {
    /// The assets checked out, in part order.
    pub assets: Vec<Held>,
    /// The licences a seat was assigned of.
    pub seats: Vec<AssetKey>,
    /// The stock items issued, with how many.
    pub stock: Vec<(AssetKey, i64)>,
}

#[derive(sqlx::FromRow)]
struct KitRow {
    id: i64,
    name: String,
    description: String,
    parts: String,
    created_at: i64,
    updated_at: i64,
}

impl KitRow {
    fn into_kit(self) -> Result<Kit, StoreError> {
        let parts = serde_json::from_str(&self.parts)
            .map_err(|e| StoreError::Corrupt(format!("kit {} parts: {e}", self.id)))?;
        Ok(Kit {
            id: self.id,
            name: self.name,
            description: self.description,
            parts,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const KIT_SELECT: &str = "SELECT id, name, description, parts, created_at, updated_at FROM kit WHERE tenant_id = $1 \
     AND schema_id = $2";

fn name_taken(name: &str) -> StoreError {
    StoreError::Conflict {
        code: "kit_name_taken",
        message: format!("a kit named {name:?} already exists in this schema"),
    }
}

fn encode_parts(parts: &[KitPart]) -> Result<String, StoreError> {
    serde_json::to_string(parts).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn part_error(part: usize, rule: &'static str, message: String) -> StoreError {
    StoreError::Invalid(ValidationErrors::single(
        format!("parts[{part}]"),
        rule,
        message,
    ))
}

/// The asset of the schema numbered `key`: (id, type, archived).
async fn asset_of(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    key: &AssetKey,
) -> Result<Option<(i64, i64, bool)>, StoreError> {
    if key.schema != model.schema.key {
        return Ok(None);
    }
    let sql = Sql::new(
        "SELECT id, type_id, archived FROM asset WHERE tenant_id = $1 AND schema_id = $2 \
         AND number = $3",
    )
    .arg(tenant.0)
    .arg(model.schema.id.0)
    .arg(key.number);
    tx.fetch_optional(&sql).await
}

/// The first available asset of `type_id` (or a subtype) not yet chosen: in an "Available"
/// status, neither archived nor retired, not checked out and not reserved for a request. On
/// PostgreSQL an asset another kit is taking right now is skipped rather than waited for.
///
/// `preferred` assets come first when they qualify (the ones an issue's Assets field names),
/// then the lowest-numbered.
pub(crate) async fn pick_available(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    type_id: TypeId,
    chosen: &[i64],
    preferred: &[i64],
) -> Result<Option<i64>, StoreError> {
    let types = model.types.descendants_and_self(type_id);
    let available: Vec<i64> = model
        .statuses
        .iter()
        .filter(|s| s.category == StatusCategory::Available)
        .map(|s| s.id.0)
        .collect();
    if types.is_empty() || available.is_empty() {
        return Ok(None);
    }
    let mut sql = Sql::new("SELECT a.id FROM asset a WHERE a.tenant_id = ");
    sql.bind(tenant.0)
        .push(" AND a.schema_id = ")
        .bind(model.schema.id.0)
        .push(" AND a.type_id IN ")
        .bind_list(types.iter().map(|t| t.0))
        .push(" AND a.status_id IN ")
        .bind_list(available.iter().copied())
        .push(" AND a.archived = ")
        .bind(false)
        .push(
            " AND a.retired_at IS NULL AND NOT EXISTS \
             (SELECT 1 FROM asset_custody c WHERE c.asset_id = a.id) AND NOT EXISTS \
             (SELECT 1 FROM asset_reservation r WHERE r.asset_id = a.id)",
        )
        // Nor one someone has booked and not yet picked up: picking by rule never takes an
        // asset from a booking, however far ahead.
        .push(
            " AND NOT EXISTS (SELECT 1 FROM booking_asset ba JOIN booking b \
             ON b.id = ba.booking_id WHERE ba.asset_id = a.id AND NOT ba.released \
             AND b.state = 'booked' AND ba.ends_at > ",
        )
        .bind(super::now_millis())
        .push(")");
    if !chosen.is_empty() {
        sql.push(" AND a.id NOT IN ")
            .bind_list(chosen.iter().copied());
    }
    sql.push(" ORDER BY ");
    if !preferred.is_empty() {
        sql.push("CASE WHEN a.id IN ")
            .bind_list(preferred.iter().copied())
            .push(" THEN 0 ELSE 1 END, ");
    }
    sql.push("a.number LIMIT 1");
    if tx.is_postgres() {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    Ok(tx.fetch_optional::<(i64,)>(&sql).await?.map(|(id,)| id))
}

/// A kit read inside a transaction (a request's fulfilment).
pub(crate) async fn kit_in(
    tx: &mut Tx,
    tenant: TenantId,
    schema: SchemaId,
    id: i64,
) -> Result<Option<Kit>, StoreError> {
    let sql = Sql::new(&format!("{KIT_SELECT} AND id = $3"))
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id);
    let row: Option<KitRow> = tx.fetch_optional(&sql).await?;
    row.map(KitRow::into_kit).transpose()
}

/// A part's refusal, named by the part: the verb's own errors say which asset and why.
fn in_part(part: usize, error: StoreError) -> StoreError {
    let named = |errors: Vec<amj_domain::FieldError>| {
        StoreError::Invalid(ValidationErrors(
            errors
                .into_iter()
                .map(|mut e| {
                    e.message = format!("Part {}: {}", part + 1, e.message);
                    e.field = format!("parts[{part}]");
                    e
                })
                .collect(),
        ))
    };
    match error {
        StoreError::Invalid(errors) => named(errors.0),
        StoreError::InvalidRows(rows) => named(rows.into_iter().flat_map(|(_, e)| e.0).collect()),
        StoreError::Conflict { code, message } | StoreError::NotFound { code, message } => {
            StoreError::Conflict {
                code,
                message: format!("Part {}: {message}", part + 1),
            }
        }
        other => other,
    }
}

impl Store {
    /// The schema's kits, by name.
    pub async fn kits(&self, tenant: TenantId, schema: SchemaId) -> Result<Vec<Kit>, StoreError> {
        let sql = Sql::new(&format!("{KIT_SELECT} ORDER BY name_key"))
            .arg(tenant.0)
            .arg(schema.0);
        let rows: Vec<KitRow> = self.db().fetch_all(&sql).await?;
        rows.into_iter().map(KitRow::into_kit).collect()
    }

    pub async fn kit(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: i64,
    ) -> Result<Option<Kit>, StoreError> {
        let sql = Sql::new(&format!("{KIT_SELECT} AND id = $3"))
            .arg(tenant.0)
            .arg(schema.0)
            .arg(id);
        let row: Option<KitRow> = self.db().fetch_optional(&sql).await?;
        row.map(KitRow::into_kit).transpose()
    }

    /// Creates a kit (validated and checked against the schema by the caller).
    pub async fn create_kit(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        draft: &KitDraft,
    ) -> Result<Kit, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        let insert = Sql::new(
            "INSERT INTO kit (tenant_id, schema_id, name, name_key, description, parts, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(draft.name.as_str())
        .arg(draft.name.to_lowercase())
        .arg(draft.description.as_str())
        .arg(encode_parts(&draft.parts)?)
        .arg(now);
        tx.execute(&insert).await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                name_taken(&draft.name)
            }
            other => other,
        })?;
        let sql = Sql::new(&format!("{KIT_SELECT} AND name_key = $3"))
            .arg(tenant.0)
            .arg(schema.0)
            .arg(draft.name.to_lowercase());
        let row: KitRow = tx.fetch_one(&sql).await?;
        tx.commit().await?;
        row.into_kit()
    }

    /// Replaces a kit's name, description and parts; `None` when there is no such kit.
    pub async fn update_kit(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: i64,
        draft: &KitDraft,
    ) -> Result<Option<Kit>, StoreError> {
        let sql = Sql::new(
            "UPDATE kit SET name = $4, name_key = $5, description = $6, parts = $7, \
             updated_at = $8 WHERE tenant_id = $1 AND schema_id = $2 AND id = $3",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(id)
        .arg(draft.name.as_str())
        .arg(draft.name.to_lowercase())
        .arg(draft.description.as_str())
        .arg(encode_parts(&draft.parts)?)
        .arg(now_millis());
        let changed = self.db().execute(&sql).await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                name_taken(&draft.name)
            }
            other => other,
        })?;
        if changed == 0 {
            return Ok(None);
        }
        self.kit(tenant, schema, id).await
    }

    /// Deletes a kit (what it handed out stays handed out); whether there was one.
    pub async fn delete_kit(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        id: i64,
    ) -> Result<bool, StoreError> {
        let sql = Sql::new("DELETE FROM kit WHERE tenant_id = $1 AND schema_id = $2 AND id = $3")
            .arg(tenant.0)
            .arg(schema.0)
            .arg(id);
        Ok(self.db().execute(&sql).await? > 0)
    }

    /// Hands a kit to a person, all or none: its asset parts are checked out (picked by hand,
    /// or the first available asset of the type), its seats assigned and its stock issued, each
    /// by the rules of its own verb, in one transaction. A part that cannot be handed out
    /// refuses the whole kit, naming the part.
    pub async fn check_out_kit(
        &self,
        tenant: TenantId,
        model: &SchemaModel,
        kit: &Kit,
        draft: &KitCheckout,
        actor: &str,
        idempotent: Option<&Idempotent<'_, KitHandout>>,
    ) -> Result<KitHandout, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        if let Some(idem) = idempotent {
            claim_key(&mut tx, tenant, idem.key, idem.request_hash, now).await?;
        }
        let handout = check_out_kit_in(&mut tx, tenant, model, kit, draft, actor, now).await?;
        if let Some(idem) = idempotent {
            store_response(&mut tx, tenant, idem.key, (idem.render)(&handout)?).await?;
        }
        tx.commit().await?;
        Ok(handout)
    }
}

/// Hands a kit out inside the caller's transaction (the kit verb's, or a request's
/// fulfilment): the rules of [`Store::check_out_kit`], without its key and commit.
pub(crate) async fn check_out_kit_in(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    kit: &Kit,
    draft: &KitCheckout,
    actor: &str,
    now: i64,
) -> Result<KitHandout, StoreError> {
    let person = Assignee::User {
        account_id: draft.account_id.clone(),
    };
    let note = if draft.note.trim().is_empty() {
        format!("Kit {}", kit.name)
    } else {
        format!("Kit {}: {}", kit.name, draft.note.trim())
    };
    let mut chosen: Vec<i64> = Vec::new();
    let mut handout = KitHandout {
        assets: Vec::new(),
        seats: Vec::new(),
        stock: Vec::new(),
    };
    for (part, piece) in kit.parts.iter().enumerate() {
        match piece {
            KitPart::Asset { type_id } => {
                let type_name = model
                    .asset_type(*type_id)
                    .map_or_else(|| format!("type {}", type_id.0), |t| t.name.clone());
                let id = match draft.pick_for(part) {
                    Some(key) => match asset_of(tx, tenant, model, key).await? {
                        Some((id, asset_type, false))
                            if model
                                .types
                                .descendants_and_self(*type_id)
                                .contains(&TypeId(asset_type)) =>
                        {
                            id
                        }
                        Some((_, _, false)) => {
                            return Err(part_error(
                                part,
                                rules::REFERENCE_TARGET,
                                format!("Part {}: {key} is not a {type_name}", part + 1),
                            ));
                        }
                        _ => {
                            return Err(part_error(
                                part,
                                rules::REFERENCE_TARGET,
                                format!(
                                    "Part {}: {key} is not an asset of this schema in use",
                                    part + 1
                                ),
                            ));
                        }
                    },
                    None => pick_available(tx, tenant, model, *type_id, &chosen, &[])
                        .await?
                        .ok_or_else(|| StoreError::Conflict {
                            code: "kit_part_unavailable",
                            message: format!(
                                "Part {}: no {type_name} is available (in an Available \
                                     status and not checked out)",
                                part + 1
                            ),
                        })?,
                };
                chosen.push(id);
                let checkout = CheckoutDraft {
                    holder: Holder::User {
                        account_id: draft.account_id.clone(),
                    },
                    due: draft.due,
                    issue: draft.issue.clone(),
                    note: note.clone(),
                };
                let held = check_out_in(tx, tenant, model, &[(AssetId(id), checkout)], actor, now)
                    .await
                    .map_err(|e| in_part(part, e))?;
                handout.assets.extend(held);
            }
            KitPart::Seat { licence } => {
                let Some((id, _, _)) = asset_of(tx, tenant, model, licence).await? else {
                    return Err(part_error(
                        part,
                        rules::REFERENCE_TARGET,
                        format!(
                            "Part {}: {licence} is not an asset of this schema",
                            part + 1
                        ),
                    ));
                };
                let seat = SeatDraft {
                    assignees: vec![person.clone()],
                    issue: draft.issue.clone(),
                    note: note.clone(),
                };
                assign_seats_in(tx, tenant, model, AssetId(id), &seat, actor, now)
                    .await
                    .map_err(|e| in_part(part, e))?;
                handout.seats.push(licence.clone());
            }
            KitPart::Stock {
                item,
                location,
                quantity,
            } => {
                let Some((id, _, _)) = asset_of(tx, tenant, model, item).await? else {
                    return Err(part_error(
                        part,
                        rules::REFERENCE_TARGET,
                        format!("Part {}: {item} is not an asset of this schema", part + 1),
                    ));
                };
                let movement = Movement::Issue {
                    location: location.clone(),
                    quantity: *quantity,
                    to: person.clone(),
                    issue: draft.issue.clone(),
                    note: note.clone(),
                };
                move_stock_in(tx, tenant, model, AssetId(id), &movement, actor, now)
                    .await
                    .map_err(|e| in_part(part, e))?;
                handout.stock.push((item.clone(), *quantity));
            }
        }
    }
    Ok(handout)
}
