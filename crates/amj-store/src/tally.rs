//! Maintained counters behind the dashboard and the type tree's counts (table `asset_tally`, see
//! migration 0007 for what each dimension counts).
//!
//! Every write that changes what an asset counts towards adds a [`TallyDelta`] and applies it in
//! its own transaction, so the counters are exactly as committed as the assets: a rolled-back
//! write leaves them untouched. A report then reads a few hundred counter rows at any site size,
//! where a `GROUP BY` over a million assets would take seconds per view.

use super::db::Tx;
use super::sql::{MAX_PARAMS, Sql};
use super::{Store, StoreError};
use amj_domain::ids::{AssetId, AttributeId, SchemaId, StatusId, TenantId, TypeId};
use amj_domain::report::{ReportSettings, month_of_millis};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One kind of counter; the spelling is the `dimension` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Dimension {
    Type,
    Status,
    Filled,
    Ref,
    Created,
    Retired,
}

impl Dimension {
    fn as_str(self) -> &'static str {
        match self {
            Dimension::Type => "type",
            Dimension::Status => "status",
            Dimension::Filled => "filled",
            Dimension::Ref => "ref",
            Dimension::Created => "created",
            Dimension::Retired => "retired",
        }
    }
}

/// Counter changes gathered over one write, applied once at its end: a batch of a thousand
/// assets of one type touches one `type` row once, not a thousand times.
#[derive(Debug, Default)]
pub(crate) struct TallyDelta {
    // Ordered, so concurrent writers lock counter rows in the same order and cannot deadlock.
    counts: BTreeMap<(Dimension, i64, i64), i64>,
}

impl TallyDelta {
    pub(crate) fn add(&mut self, dimension: Dimension, k1: i64, k2: i64, n: i64) {
        *self.counts.entry((dimension, k1, k2)).or_insert(0) += n;
    }

    /// What one live (not archived) asset counts towards, with `sign` +1 as it starts counting
    /// (created, restored, or its new state after an edit) and −1 as it stops. `values` are its
    /// index rows as (attribute, referenced asset), several per multi-valued attribute.
    pub(crate) fn live(
        &mut self,
        sign: i64,
        type_id: i64,
        status_id: i64,
        values: impl IntoIterator<Item = (i64, Option<i64>)>,
    ) {
        self.add(Dimension::Type, type_id, 0, sign);
        self.add(Dimension::Status, status_id, 0, sign);
        let mut filled = BTreeSet::new();
        let mut refs = BTreeSet::new();
        for (attribute, reference) in values {
            filled.insert(attribute);
            if let Some(target) = reference {
                refs.insert((attribute, target));
            }
        }
        for attribute in filled {
            self.add(Dimension::Filled, attribute, 0, sign);
        }
        for (attribute, target) in refs {
            self.add(Dimension::Ref, attribute, target, sign);
        }
    }

    /// An asset's `retired_at` went from `before` to `after`. The `retired` counter of a month
    /// is the number of assets whose `retired_at` falls in it, so the bar and its slice
    /// (`retired >= … AND retired < …`) always agree: a move out of Retired takes back the
    /// month the asset was retired in.
    pub(crate) fn retired_moved(&mut self, before: Option<i64>, after: Option<i64>) {
        if before == after {
            return;
        }
        if let Some(at) = before {
            self.add(Dimension::Retired, month_of_millis(at), 0, -1);
        }
        if let Some(at) = after {
            self.add(Dimension::Retired, month_of_millis(at), 0, 1);
        }
    }

    pub(crate) async fn apply(
        self,
        tx: &mut Tx,
        tenant: TenantId,
        schema: SchemaId,
    ) -> Result<(), StoreError> {
        let changes: Vec<_> = self.counts.into_iter().filter(|(_, n)| *n != 0).collect();
        const PARAMS: usize = 6;
        for chunk in changes.chunks(MAX_PARAMS / PARAMS) {
            let mut sql = Sql::new(
                "INSERT INTO asset_tally (tenant_id, schema_id, dimension, k1, k2, n) VALUES ",
            );
            for (i, ((dimension, k1, k2), n)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(tenant.0)
                    .push(", ")
                    .bind(schema.0)
                    .push(", ")
                    .bind(dimension.as_str())
                    .push(", ")
                    .bind(*k1)
                    .push(", ")
                    .bind(*k2)
                    .push(", ")
                    .bind(*n)
                    .push(")");
            }
            sql.push(
                " ON CONFLICT (tenant_id, schema_id, dimension, k1, k2) \
                 DO UPDATE SET n = asset_tally.n + excluded.n",
            )
            .one_off();
            tx.execute(&sql).await?;
        }
        Ok(())
    }
}

/// The index rows of some assets as (asset, attribute, referenced asset), read before a write
/// replaces them so that their counters can be taken back.
pub(crate) async fn value_rows_of(
    tx: &mut Tx,
    tenant: TenantId,
    assets: &[i64],
) -> Result<HashMap<i64, Vec<(i64, Option<i64>)>>, StoreError> {
    let mut rows: HashMap<i64, Vec<(i64, Option<i64>)>> = HashMap::new();
    for chunk in assets.chunks(500) {
        let mut sql =
            Sql::new("SELECT asset_id, attribute_id, v_ref FROM asset_value WHERE tenant_id = ");
        sql.bind(tenant.0)
            .push(" AND asset_id IN ")
            .bind_list(chunk.iter().copied())
            .one_off();
        let found: Vec<(i64, i64, Option<i64>)> = tx.fetch_all(&sql).await?;
        for (asset, attribute, reference) in found {
            rows.entry(asset).or_default().push((attribute, reference));
        }
    }
    Ok(rows)
}

/// The counters of one schema, read for a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tallies {
    /// Live assets of exactly each type (not counting subtypes).
    pub by_type: HashMap<TypeId, i64>,
    pub by_status: HashMap<StatusId, i64>,
    /// Live assets with at least one value for each attribute.
    pub filled: HashMap<AttributeId, i64>,
    /// Assets created per `yyyymm` month (UTC).
    pub created: BTreeMap<i64, i64>,
    /// Assets retired per `yyyymm` month (UTC) and still retired: those whose `retired_at`
    /// falls in it.
    pub retired: BTreeMap<i64, i64>,
}

/// One referenced asset and how many live assets point at it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceCount {
    pub target: AssetId,
    pub key: String,
    pub label: String,
    pub count: i64,
}

impl Store {
    /// Every counter of a schema except the per-reference ones (which can be many; see
    /// [`Store::reference_counts`]).
    pub async fn tallies(&self, tenant: TenantId, schema: SchemaId) -> Result<Tallies, StoreError> {
        let sql = Sql::new(
            "SELECT dimension, k1, n FROM asset_tally \
             WHERE tenant_id = $1 AND schema_id = $2 AND dimension <> 'ref' AND n <> 0",
        )
        .arg(tenant.0)
        .arg(schema.0);
        let rows: Vec<(String, i64, i64)> = self.db().fetch_all(&sql).await?;
        let mut tallies = Tallies::default();
        for (dimension, k1, n) in rows {
            match dimension.as_str() {
                "type" => {
                    tallies.by_type.insert(TypeId(k1), n);
                }
                "status" => {
                    tallies.by_status.insert(StatusId(k1), n);
                }
                "filled" => {
                    tallies.filled.insert(AttributeId(k1), n);
                }
                "created" => {
                    tallies.created.insert(k1, n);
                }
                "retired" => {
                    tallies.retired.insert(k1, n);
                }
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "unknown tally dimension {other:?}"
                    )));
                }
            }
        }
        Ok(tallies)
    }

    /// The live assets per target of one reference attribute, the `limit` largest first, and the
    /// total over all targets (the rest is `total` minus the listed counts).
    pub async fn reference_counts(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        attribute: AttributeId,
        limit: usize,
    ) -> Result<(Vec<ReferenceCount>, i64), StoreError> {
        let sql = Sql::new(
            "SELECT k2, n FROM asset_tally WHERE tenant_id = $1 AND schema_id = $2 \
             AND dimension = 'ref' AND k1 = $3 AND n > 0",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(attribute.0);
        let mut rows: Vec<(i64, i64)> = self.db().fetch_all(&sql).await?;
        let total = rows.iter().map(|(_, n)| n).sum();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.truncate(limit);
        if rows.is_empty() {
            return Ok((Vec::new(), total));
        }
        let mut names = Sql::new(
            "SELECT a.id, s.schema_key, a.number, a.label FROM asset a \
             JOIN asset_schema s ON s.id = a.schema_id AND s.tenant_id = a.tenant_id \
             WHERE a.tenant_id = ",
        );
        names
            .bind(tenant.0)
            .push(" AND a.id IN ")
            .bind_list(rows.iter().map(|(id, _)| *id))
            .one_off();
        let found: Vec<(i64, String, i64, String)> = self.db().fetch_all(&names).await?;
        let found: HashMap<i64, (String, i64, String)> = found
            .into_iter()
            .map(|(id, schema, number, label)| (id, (schema, number, label)))
            .collect();
        let counts = rows
            .into_iter()
            .filter_map(|(id, count)| {
                found
                    .get(&id)
                    .map(|(schema, number, label)| ReferenceCount {
                        target: AssetId(id),
                        key: format!("{schema}-{number}"),
                        label: label.clone(),
                        count,
                    })
            })
            .collect();
        Ok((counts, total))
    }

    /// How many live assets have a value of a date or datetime attribute in `[from, before)`,
    /// for each bound in `before` (ascending). Walks the attribute's value index over that range
    /// only, so the cost follows what falls due, not the size of the site.
    pub async fn count_values_between(
        &self,
        tenant: TenantId,
        attribute: AttributeId,
        from: i64,
        before: &[i64],
    ) -> Result<Vec<i64>, StoreError> {
        let Some(last) = before.last() else {
            return Ok(Vec::new());
        };
        let mut sql = Sql::new("SELECT ");
        for (i, bound) in before.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("COALESCE(SUM(CASE WHEN v.v_int < ")
                .bind(*bound)
                .push(" THEN 1 ELSE 0 END), 0)");
        }
        sql.push(
            " FROM asset_value v JOIN asset a ON a.id = v.asset_id \
             WHERE v.tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND v.attribute_id = ")
        .bind(attribute.0)
        .push(" AND v.v_int IS NOT NULL AND v.v_int >= ")
        .bind(from)
        .push(" AND v.v_int < ")
        .bind(*last)
        .push(" AND v.ord = 0 AND NOT a.archived")
        .one_off();
        let counts: Vec<i64> = match before.len() {
            1 => {
                let (a,): (i64,) = self.db().fetch_one(&sql).await?;
                vec![a]
            }
            2 => {
                let (a, b): (i64, i64) = self.db().fetch_one(&sql).await?;
                vec![a, b]
            }
            3 => {
                let (a, b, c): (i64, i64, i64) = self.db().fetch_one(&sql).await?;
                vec![a, b, c]
            }
            n => {
                return Err(StoreError::Corrupt(format!(
                    "count_values_between takes 1 to 3 bounds, not {n}"
                )));
            }
        };
        Ok(counts)
    }

    /// How many live assets hold a number of `attribute` below `below` and above `above` (either
    /// bound may be absent): two walks of the attribute's value index from the bound outwards, so
    /// the cost is what breaks the bound, not the attribute's size. `decimal` picks the column.
    pub async fn count_numbers_outside(
        &self,
        tenant: TenantId,
        attribute: AttributeId,
        decimal: bool,
        below: Option<f64>,
        above: Option<f64>,
    ) -> Result<(i64, i64), StoreError> {
        let column = if decimal { "v_num" } else { "v_int" };
        let mut counts = (0, 0);
        for (bound, op, slot) in [(below, "<", 0), (above, ">", 1)] {
            let Some(bound) = bound else {
                continue;
            };
            // Number attributes are single-valued: one row per holder.
            let sql = live_holders(tenant, attribute, false, |sql, alias| {
                sql.push(&format!(
                    "{alias}{column} IS NOT NULL AND {alias}{column} {op} "
                ));
                if decimal {
                    sql.bind(bound);
                } else {
                    // An integer bound from the definition is whole; `as` keeps it exact.
                    #[allow(clippy::cast_possible_truncation)]
                    sql.bind(bound as i64);
                }
            });
            let (n,): (i64,) = self.db().fetch_one(&sql).await?;
            if slot == 0 {
                counts.0 = n;
            } else {
                counts.1 = n;
            }
        }
        Ok(counts)
    }

    /// The distinct text values `attribute` holds (live or archived assets), at most `limit`,
    /// in the database's order. One index seek per distinct value (a loose index scan), so a
    /// select attribute with a handful of options costs a handful of seeks at any site size;
    /// the order is the database's own, so no collation is assumed here.
    pub async fn distinct_text_values(
        &self,
        tenant: TenantId,
        attribute: AttributeId,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sql = Sql::new(
            "WITH RECURSIVE walk(v, n) AS ( \
               SELECT (SELECT MIN(v_text) FROM asset_value \
                       WHERE tenant_id = $1 AND attribute_id = $2 AND v_text IS NOT NULL), 1 \
               UNION ALL \
               SELECT (SELECT MIN(x.v_text) FROM asset_value x \
                       WHERE x.tenant_id = $1 AND x.attribute_id = $2 AND x.v_text > w.v), \
                      w.n + 1 \
               FROM walk w WHERE w.v IS NOT NULL AND w.n < $3) \
             SELECT v FROM walk WHERE v IS NOT NULL",
        )
        .arg(tenant.0)
        .arg(attribute.0)
        .arg(limit);
        let rows: Vec<(String,)> = self.db().fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(v,)| v).collect())
    }

    /// How many live assets hold any of `values` in `attribute` (see [`live_holders`]).
    /// `multiple`: an asset may hold several of the values, so holders are counted once each.
    pub async fn count_assets_with_texts(
        &self,
        tenant: TenantId,
        attribute: AttributeId,
        values: &[String],
        multiple: bool,
    ) -> Result<i64, StoreError> {
        if values.is_empty() {
            return Ok(0);
        }
        let sql = live_holders(tenant, attribute, multiple, |sql, alias| {
            sql.push(&format!("{alias}v_text IN "))
                .bind_list(values.iter().map(String::as_str));
        });
        let (n,): (i64,) = self.db().fetch_one(&sql).await?;
        Ok(n)
    }

    /// Of `values`, those some live asset holds in `attribute`: two grouped reads of the value
    /// index (every holder per value, then the archived ones), not one count per value.
    pub async fn texts_held_live(
        &self,
        tenant: TenantId,
        attribute: AttributeId,
        values: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let mut all = Sql::new("SELECT v_text, COUNT(*) FROM asset_value WHERE tenant_id = ");
        all.bind(tenant.0)
            .push(" AND attribute_id = ")
            .bind(attribute.0)
            .push(" AND v_text IN ")
            .bind_list(values.iter().map(String::as_str))
            .push(" GROUP BY v_text")
            .one_off();
        let mut held: HashMap<String, i64> = self.db().fetch_all(&all).await?.into_iter().collect();
        let mut archived = Sql::new(
            "SELECT v.v_text, COUNT(*) FROM asset a JOIN asset_value v ON v.asset_id = a.id \
             WHERE a.tenant_id = ",
        );
        archived
            .bind(tenant.0)
            .push(" AND a.archived AND v.attribute_id = ")
            .bind(attribute.0)
            .push(" AND v.v_text IN ")
            .bind_list(values.iter().map(String::as_str))
            .push(" GROUP BY v.v_text")
            .one_off();
        let gone: Vec<(String, i64)> = self.db().fetch_all(&archived).await?;
        for (value, n) in gone {
            if let Some(count) = held.get_mut(&value) {
                *count -= n;
            }
        }
        Ok(values
            .iter()
            .filter(|v| held.get(*v).is_some_and(|n| *n > 0))
            .cloned()
            .collect())
    }

    /// The dashboard settings of a schema; `{}` (nothing marked) until an admin saves some.
    pub async fn report_settings(
        &self,
        tenant: TenantId,
        schema: SchemaId,
    ) -> Result<ReportSettings, StoreError> {
        let sql =
            Sql::new("SELECT report_settings FROM asset_schema WHERE tenant_id = $1 AND id = $2")
                .arg(tenant.0)
                .arg(schema.0);
        let Some((json,)): Option<(String,)> = self.db().fetch_optional(&sql).await? else {
            return Err(StoreError::NotFound {
                code: "schema_not_found",
                message: "no such schema on this site".into(),
            });
        };
        serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Saves validated dashboard settings.
    pub async fn set_report_settings(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        settings: &ReportSettings,
    ) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sql = Sql::new(
            "UPDATE asset_schema SET report_settings = $3 WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.0)
        .arg(schema.0)
        .arg(json);
        let mut tx = self.db().begin_write().await?;
        if tx.execute(&sql).await? == 0 {
            return Err(StoreError::NotFound {
                code: "schema_not_found",
                message: "no such schema on this site".into(),
            });
        }
        tx.commit().await
    }
}

/// `SELECT` of how many live assets have a value row of `attribute` that `condition` (written
/// for a column prefix: `""` or `"v."`) accepts. Every holder is counted from the value index
/// alone (its ranges, no row lookups), then the archived holders, found through the partial
/// index of archived assets (few), are taken away. At 10⁶ assets with 164,048 holders, joining
/// each holder's row to check `archived` took 258 ms; this takes 18-25 ms
/// (docs/PERFORMANCE.md). `distinct`: an asset may have several matching rows.
fn live_holders(
    tenant: TenantId,
    attribute: AttributeId,
    distinct: bool,
    condition: impl Fn(&mut Sql, &str),
) -> Sql {
    let holders = if distinct {
        "COUNT(DISTINCT asset_id)"
    } else {
        "COUNT(*)"
    };
    let mut sql = Sql::new(&format!(
        "SELECT (SELECT {holders} FROM asset_value WHERE tenant_id = "
    ));
    sql.bind(tenant.0)
        .push(" AND attribute_id = ")
        .bind(attribute.0)
        .push(" AND ");
    condition(&mut sql, "");
    sql.push(
        ") - (SELECT COUNT(DISTINCT a.id) FROM asset a JOIN asset_value v \
         ON v.asset_id = a.id WHERE a.tenant_id = ",
    )
    .bind(tenant.0)
    .push(" AND a.archived AND v.attribute_id = ")
    .bind(attribute.0)
    .push(" AND ");
    condition(&mut sql, "v.");
    sql.push(")").one_off();
    sql
}
