//! Values that break their attribute's current rule, kept as marker rows (`asset_rule_break`,
//! migration 0011).
//!
//! A text pattern cannot be answered by an index, and testing every value per dashboard view
//! would scan the site. So the test runs once, when the pattern changes, over the schema's
//! assets; after that, each write keeps the markers of the assets it touches true. The dashboard counts markers and AQL's
//! `object HAVING brokenRule(…)` lists them.
//!
//! The test does not hold the write lock: the change itself only clears the attribute's markers;
//! the values are then read in pages by asset id, outside any write, and only the ones that
//! break the pattern are read again, locked, inside a short write that marks them. So a write
//! made meanwhile is either seen by that second read or finds the marker and keeps it true.
//! At 10⁶ assets the whole test takes seconds (docs/PERFORMANCE.md) while writes go on.

use super::db::Tx;
use super::sql::{MAX_PARAMS, Sql};
use super::{Store, StoreError};
use crate::catalog::SchemaModel;
use amj_domain::ids::{AttributeId, SchemaId, TenantId};
use amj_domain::{AttributeValues, TextPattern, Value};
use std::collections::{HashMap, HashSet};

/// Values read per round trip while testing a new pattern.
const SCAN_BATCH: i64 = 5_000;
/// Values that break it, marked per write.
const MARK_BATCH: usize = 5_000;

/// Drops the markers of `attribute`, inside the transaction that changes its rule.
pub(crate) async fn clear(
    tx: &mut Tx,
    tenant: TenantId,
    attribute: AttributeId,
) -> Result<(), StoreError> {
    let clear = Sql::new("DELETE FROM asset_rule_break WHERE tenant_id = $1 AND attribute_id = $2")
        .arg(tenant.0)
        .arg(attribute.0);
    tx.execute(&clear).await?;
    Ok(())
}

/// The first value of `attribute` as written (the index holds it lowercased), read from the
/// asset's document: `$N` is the path that [`value_path`] gives.
fn value_expr(postgres: bool, n: usize) -> String {
    if postgres {
        format!("(a.attrs::jsonb -> ${n} ->> 0)")
    } else {
        format!("json_extract(a.attrs, ${n})")
    }
}

fn value_path(postgres: bool, attribute: AttributeId) -> String {
    if postgres {
        attribute.0.to_string()
    } else {
        format!("$.\"{}\"[0]", attribute.0)
    }
}

impl Store {
    /// Tests the values of `attribute` (of `schema`) against its new pattern and marks those
    /// that break it, after the change committed with its markers cleared. `definition` is the
    /// stored definition being tested for: if another change replaced it meanwhile, this stops
    /// (that change tests its own). Returns how many values were marked.
    pub(crate) async fn mark_broken_values(
        &self,
        tenant: TenantId,
        schema: SchemaId,
        attribute: AttributeId,
        definition: &str,
        pattern: &TextPattern,
    ) -> Result<u64, StoreError> {
        let postgres = self.db().is_postgres();
        let path = value_path(postgres, attribute);
        let mut after = 0i64;
        let mut marked = 0u64;
        let mut candidates: Vec<i64> = Vec::new();
        loop {
            let page = Sql::new(&format!(
                "SELECT a.id, {} FROM asset a \
                 WHERE a.tenant_id = $1 AND a.schema_id = $2 AND a.id > $3 \
                 ORDER BY a.id LIMIT $5",
                value_expr(postgres, 4)
            ))
            .arg(tenant.0)
            .arg(schema.0)
            .arg(after)
            .arg(path.as_str())
            .arg(SCAN_BATCH);
            let rows: Vec<(i64, Option<String>)> = self.db().fetch_all(&page).await?;
            let Some((last, _)) = rows.last() else {
                if !candidates.is_empty()
                    && let Some(n) = self
                        .mark_candidates(tenant, attribute, definition, pattern, &candidates)
                        .await?
                {
                    marked += n;
                }
                break;
            };
            after = *last;
            let full = rows.len() as i64 == SCAN_BATCH;
            candidates.extend(
                rows.into_iter()
                    .filter(|(_, written)| written.as_deref().is_some_and(|w| !pattern.allows(w)))
                    .map(|(id, _)| id),
            );
            // Marked a few thousand at a time: one short write each, not one per page.
            if candidates.len() >= MARK_BATCH || !full {
                match self
                    .mark_candidates(tenant, attribute, definition, pattern, &candidates)
                    .await?
                {
                    Some(n) => marked += n,
                    None => return Ok(marked),
                }
                candidates.clear();
            }
            if !full {
                break;
            }
        }
        Ok(marked)
    }

    /// One short write: the rule is still `definition`, and each candidate, read again and
    /// locked, still breaks it. `None` when the rule changed meanwhile.
    async fn mark_candidates(
        &self,
        tenant: TenantId,
        attribute: AttributeId,
        definition: &str,
        pattern: &TextPattern,
        candidates: &[i64],
    ) -> Result<Option<u64>, StoreError> {
        let mut tx = self.db().begin_write().await?;
        let lock = if tx.is_postgres() { " FOR SHARE" } else { "" };
        let current = Sql::new(&format!(
            "SELECT definition FROM asset_attribute WHERE tenant_id = $1 AND id = $2{lock}"
        ))
        .arg(tenant.0)
        .arg(attribute.0);
        let current: Option<(String,)> = tx.fetch_optional(&current).await?;
        if current.is_none_or(|(d,)| d != definition) {
            return Ok(None);
        }
        let postgres = tx.is_postgres();
        let mut breaking = Vec::new();
        for chunk in candidates.chunks(MARK_BATCH) {
            // By primary key only: with the tenant in the condition too, SQLite's planner may
            // walk the tenant's index (every asset of the site) to test the list against.
            let mut sql = Sql::new(&format!(
                "SELECT a.id, a.tenant_id, {} FROM asset a WHERE a.id IN ",
                value_expr(postgres, 1)
            ))
            .arg(value_path(postgres, attribute));
            sql.bind_list(chunk.iter().copied())
                .push(tx.for_update())
                .one_off();
            let rows: Vec<(i64, i64, Option<String>)> = tx.fetch_all(&sql).await?;
            breaking.extend(
                rows.into_iter()
                    .filter(|(_, owner, written)| {
                        *owner == tenant.0 && written.as_deref().is_some_and(|w| !pattern.allows(w))
                    })
                    .map(|(id, _, _)| id),
            );
        }
        insert(&mut tx, tenant, attribute, &breaking).await?;
        tx.commit().await?;
        Ok(Some(breaking.len() as u64))
    }
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
    // One statement per attribute and 500 assets, not one per marker: a bulk edit that mends a
    // thousand values is a couple of round trips.
    let mut by_attribute: HashMap<i64, Vec<i64>> = HashMap::new();
    for (asset, attribute) in mended {
        by_attribute.entry(attribute).or_default().push(asset);
    }
    for (attribute, assets) in by_attribute {
        for chunk in assets.chunks(500) {
            let mut delete = Sql::new("DELETE FROM asset_rule_break WHERE tenant_id = ");
            delete
                .bind(tenant.0)
                .push(" AND attribute_id = ")
                .bind(attribute)
                .push(" AND asset_id IN ")
                .bind_list(chunk.iter().copied());
            tx.execute(&delete).await?;
        }
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
