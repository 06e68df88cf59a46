//! Values that break their attribute's current rule, kept as marker rows (`asset_rule_break`,
//! migration 0011).
//!
//! A text pattern cannot be answered by an index, and testing every value per dashboard view
//! would scan the site. So the test runs once, when the pattern changes, over that attribute's
//! values only, inside the transaction that changes it; after that, each write keeps the markers
//! of the assets it touches true. The dashboard counts markers and AQL's
//! `object HAVING brokenRule(…)` lists them.
//!
//! On PostgreSQL an asset write takes a share lock on its schema row, which the rule change
//! holds exclusively (it bumps `catalog_version` first), so no write can slip between the scan
//! and its commit and leave a marker stale.

use super::db::Tx;
use super::sql::{MAX_PARAMS, Sql};
use super::{Store, StoreError};
use crate::catalog::SchemaModel;
use amj_domain::ids::{AttributeId, TenantId};
use amj_domain::{AttributeValues, TextPattern, Value};
use std::collections::{HashMap, HashSet};

/// Values read per round trip while testing a new pattern.
const SCAN_BATCH: i64 = 5_000;

/// Replaces the markers of `attribute` with those its values earn under `pattern` (`None`: no
/// rule, so none). Returns how many values break it.
pub(crate) async fn rescan(
    tx: &mut Tx,
    tenant: TenantId,
    attribute: AttributeId,
    pattern: Option<&TextPattern>,
) -> Result<u64, StoreError> {
    let clear = Sql::new("DELETE FROM asset_rule_break WHERE tenant_id = $1 AND attribute_id = $2")
        .arg(tenant.0)
        .arg(attribute.0);
    tx.execute(&clear).await?;
    let Some(pattern) = pattern else {
        return Ok(0);
    };
    // The value as written (the index holds it lowercased), read from the asset's document:
    // only this attribute's first value, so a batch moves a few hundred kilobytes.
    let (value, path) = if tx.is_postgres() {
        ("(a.attrs::jsonb -> $3 ->> 0)", attribute.0.to_string())
    } else {
        (
            "json_extract(a.attrs, $3)",
            format!("$.\"{}\"[0]", attribute.0),
        )
    };
    // Keyset pages over the value index: (v_text, asset_id) is its order.
    let mut after: Option<(String, i64)> = None;
    let mut broken = 0u64;
    loop {
        let mut sql = Sql::new(&format!(
            "SELECT v.v_text, v.asset_id, {value} FROM asset_value v JOIN asset a ON a.id = v.asset_id \
             WHERE v.tenant_id = $1 AND v.attribute_id = $2 AND v.v_text IS NOT NULL"
        ))
        .arg(tenant.0)
        .arg(attribute.0)
        .arg(path.as_str());
        if let Some((text, id)) = &after {
            sql.push(" AND (v.v_text, v.asset_id) > (")
                .bind(text.as_str())
                .push(", ")
                .bind(*id)
                .push(")");
        }
        sql.push(" ORDER BY v.v_text, v.asset_id LIMIT ")
            .bind(SCAN_BATCH);
        let rows: Vec<(String, i64, Option<String>)> = tx.fetch_all(&sql).await?;
        let Some((last_text, last_id, _)) = rows.last() else {
            break;
        };
        after = Some((last_text.clone(), *last_id));
        let full = rows.len() as i64 == SCAN_BATCH;
        let breaking: Vec<i64> = rows
            .into_iter()
            .filter(|(_, _, written)| written.as_deref().is_some_and(|w| !pattern.allows(w)))
            .map(|(_, id, _)| id)
            .collect();
        broken += breaking.len() as u64;
        insert(tx, tenant, attribute, &breaking).await?;
        if !full {
            break;
        }
    }
    Ok(broken)
}

async fn insert(
    tx: &mut Tx,
    tenant: TenantId,
    attribute: AttributeId,
    assets: &[i64],
) -> Result<(), StoreError> {
    const PARAMS: usize = 3;
    for chunk in assets.chunks(MAX_PARAMS / PARAMS) {
        let mut sql =
            Sql::new("INSERT INTO asset_rule_break (tenant_id, attribute_id, asset_id) VALUES ");
        for (i, asset) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(tenant.0)
                .push(", ")
                .bind(attribute.0)
                .push(", ")
                .bind(*asset)
                .push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING").one_off();
        tx.execute(&sql).await?;
    }
    Ok(())
}

/// After a write: the markers of `written` assets whose value now keeps the rule (mended,
/// cleared, or the attribute lost its pattern) go. A value the write left as it was keeps its
/// marker: PATCH does not re-validate values it does not name.
pub(crate) async fn after_write(
    tx: &mut Tx,
    tenant: TenantId,
    model: &SchemaModel,
    written: &[(i64, &AttributeValues)],
) -> Result<(), StoreError> {
    let values: HashMap<i64, &AttributeValues> = written.iter().copied().collect();
    let ids: Vec<i64> = values.keys().copied().collect();
    let mut patterns: HashMap<i64, Option<TextPattern>> = HashMap::new();
    let mut mended: Vec<(i64, i64)> = Vec::new();
    for chunk in ids.chunks(500) {
        let mut sql =
            Sql::new("SELECT asset_id, attribute_id FROM asset_rule_break WHERE tenant_id = ");
        sql.bind(tenant.0)
            .push(" AND asset_id IN ")
            .bind_list(chunk.iter().copied())
            .one_off();
        let marked: Vec<(i64, i64)> = tx.fetch_all(&sql).await?;
        for (asset, attribute) in marked {
            let pattern = patterns.entry(attribute).or_insert_with(|| {
                model
                    .attribute(AttributeId(attribute))
                    .and_then(|a| TextPattern::of(&a.kind))
            });
            let keeps = match (pattern, values.get(&asset)) {
                (Some(pattern), Some(values)) => {
                    values.get(AttributeId(attribute)).iter().all(|v| match v {
                        Value::Text(text) => pattern.allows(text),
                        _ => true,
                    })
                }
                _ => true,
            };
            if keeps {
                mended.push((asset, attribute));
            }
        }
    }
    for (asset, attribute) in mended {
        let delete = Sql::new(
            "DELETE FROM asset_rule_break \
             WHERE tenant_id = $1 AND attribute_id = $2 AND asset_id = $3",
        )
        .arg(tenant.0)
        .arg(attribute)
        .arg(asset);
        tx.execute(&delete).await?;
    }
    Ok(())
}

impl Store {
    /// Live assets per attribute holding a value that breaks its current rule. Markers are
    /// counted from their primary key, and those of archived assets (found through the partial
    /// index of archived assets) are taken away, as [`Store::count_assets_with_texts`] does.
    pub async fn rule_break_counts(
        &self,
        tenant: TenantId,
        attributes: &HashSet<AttributeId>,
    ) -> Result<HashMap<AttributeId, i64>, StoreError> {
        let mut counts = HashMap::new();
        if attributes.is_empty() {
            return Ok(counts);
        }
        let mut all =
            Sql::new("SELECT attribute_id, COUNT(*) FROM asset_rule_break WHERE tenant_id = ");
        all.bind(tenant.0)
            .push(" AND attribute_id IN ")
            .bind_list(attributes.iter().map(|a| a.0))
            .push(" GROUP BY attribute_id")
            .one_off();
        let rows: Vec<(i64, i64)> = self.db().fetch_all(&all).await?;
        for (attribute, n) in rows {
            counts.insert(AttributeId(attribute), n);
        }
        let mut archived = Sql::new(
            "SELECT r.attribute_id, COUNT(*) FROM asset a JOIN asset_rule_break r \
             ON r.asset_id = a.id WHERE a.tenant_id = ",
        );
        archived
            .bind(tenant.0)
            .push(" AND a.archived AND r.attribute_id IN ")
            .bind_list(attributes.iter().map(|a| a.0))
            .push(" GROUP BY r.attribute_id")
            .one_off();
        let rows: Vec<(i64, i64)> = self.db().fetch_all(&archived).await?;
        for (attribute, n) in rows {
            if let Some(count) = counts.get_mut(&AttributeId(attribute)) {
                *count -= n;
            }
        }
        counts.retain(|_, n| *n > 0);
        Ok(counts)
    }
}
