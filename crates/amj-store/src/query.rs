//! Compiles a resolved AQL plan ([`amj_domain::aql::Plan`]) to SQL for either backend.
//!
//! Each plan node becomes one SQL shape, and every value is bound. Conditions on attribute values
//! become `a.id IN (SELECT asset_id FROM asset_value …)`, so the planner can start from the value
//! index when the condition is selective (`Serial = X`) instead of testing every asset of the
//! schema; "has a value" uses `EXISTS`, since nearly every asset has one and a semi-join per row
//! is cheaper than materialising them all. Full text uses FTS5 on SQLite and a `tsvector` on
//! PostgreSQL, over the same document of lowercase words (see `amj_domain::aql::search_document`),
//! so both backends see identical tokens.

use super::StoreError;
use super::catalog::SchemaModel;
use super::sql::Sql;
use amj_domain::StorageClass;
use amj_domain::ValidationErrors;
use amj_domain::aql::{
    AssetCond, Cmp, CustodyCond, Filter, LicenceCond, SortField, SortValue, StockCond, TextCond,
    ValueCond,
};
use amj_domain::custody::NESTING_MAX;
use amj_domain::ids::TenantId;
use std::cell::Cell;

/// How deep the plan may nest: each level is a subquery, and the parser's own limit (32) keeps
/// queries far below this, but a plan built in code must not make an unbounded statement either.
const MAX_NESTING: usize = 64;

pub(crate) struct Compiler<'m> {
    pub tenant: TenantId,
    pub model: &'m SchemaModel,
    pub postgres: bool,
    aliases: Cell<usize>,
}

impl<'m> Compiler<'m> {
    pub fn new(tenant: TenantId, model: &'m SchemaModel, postgres: bool) -> Self {
        Self {
            tenant,
            model,
            postgres,
            aliases: Cell::new(0),
        }
    }

    /// A table alias no other part of the statement uses.
    fn alias(&self, prefix: &str) -> String {
        let n = self.aliases.get() + 1;
        self.aliases.set(n);
        format!("{prefix}{n}")
    }

    /// Appends `filter` as a boolean expression over the asset row `asset` (a table alias).
    pub fn filter(&self, sql: &mut Sql, filter: &Filter, asset: &str) -> Result<(), StoreError> {
        self.filter_at(sql, filter, asset, 0)
    }

    fn filter_at(
        &self,
        sql: &mut Sql,
        filter: &Filter,
        asset: &str,
        depth: usize,
    ) -> Result<(), StoreError> {
        if depth > MAX_NESTING {
            return Err(invalid("aql", "too_deep", "the query nests too deeply"));
        }
        match filter {
            Filter::Const(true) => {
                sql.push("1 = 1");
            }
            Filter::Const(false) => {
                sql.push("1 = 0");
            }
            Filter::And(parts) | Filter::Or(parts) => {
                let (joiner, empty) = if matches!(filter, Filter::And(_)) {
                    (" AND ", "1 = 1")
                } else {
                    (" OR ", "1 = 0")
                };
                if parts.is_empty() {
                    sql.push(empty);
                    return Ok(());
                }
                sql.push("(");
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        sql.push(joiner);
                    }
                    self.filter_at(sql, part, asset, depth + 1)?;
                }
                sql.push(")");
            }
            Filter::Not(inner) => {
                sql.push("NOT (");
                self.filter_at(sql, inner, asset, depth + 1)?;
                sql.push(")");
            }
            Filter::Asset(cond) => self.asset_cond(sql, cond, asset),
            Filter::Value { attributes, cond } => {
                if attributes.is_empty() {
                    sql.push("1 = 0");
                    return Ok(());
                }
                let v = self.alias("v");
                let ids = attributes.iter().map(|a| a.0);
                if *cond == ValueCond::Exists {
                    sql.push(&format!(
                        "EXISTS (SELECT 1 FROM asset_value {v} WHERE {v}.asset_id = {asset}.id AND {v}.attribute_id IN "
                    ))
                    .bind_list(ids)
                    .push(")");
                    return Ok(());
                }
                if let ValueCond::TextExact(text) = cond {
                    // The index holds lowercased text; the exact value is in the asset's JSON.
                    sql.push("(");
                    self.value_in(sql, &v, asset, attributes.iter().map(|a| a.0), |sql| {
                        sql.push(&format!(" AND {v}.v_text = "))
                            .bind(amj_domain::aql::index_text(text));
                    });
                    sql.push(" AND ");
                    self.exact_json(sql, asset, attributes.iter().map(|a| a.0), text);
                    sql.push(")");
                    return Ok(());
                }
                self.value_in(sql, &v, asset, ids, |sql| match cond {
                    ValueCond::Text(text) => {
                        sql.push(" AND ");
                        text_cond(sql, &format!("{v}.v_text"), text);
                    }
                    ValueCond::Int(cmp) => {
                        sql.push(" AND ");
                        cmp_sql(sql, &format!("{v}.v_int"), cmp);
                    }
                    ValueCond::Num(cmp) => {
                        sql.push(" AND ");
                        cmp_sql(sql, &format!("{v}.v_num"), cmp);
                    }
                    ValueCond::Exists | ValueCond::TextExact(_) => {}
                });
            }
            Filter::Refers { attributes, target } => {
                self.reference(sql, asset, attributes, Direction::Outbound, target, depth)?;
            }
            Filter::ReferredBy { attributes, source } => {
                self.reference(sql, asset, attributes, Direction::Inbound, source, depth)?;
            }
            Filter::Jql { .. } => {
                return Err(invalid(
                    "aql",
                    "unresolved",
                    "connectedTickets(…) must be resolved through Jira before the query runs",
                ));
            }
            Filter::Linked(None) => {
                let l = self.alias("l");
                sql.push(&format!(
                    "EXISTS (SELECT 1 FROM asset_issue_link {l} WHERE {l}.tenant_id = "
                ))
                .bind(self.tenant.0)
                .push(&format!(" AND {l}.asset_id = {asset}.id)"));
            }
            Filter::Linked(Some(issues)) => {
                if issues.is_empty() {
                    sql.push("1 = 0");
                    return Ok(());
                }
                let l = self.alias("l");
                sql.push(&format!(
                    "{asset}.id IN (SELECT {l}.asset_id FROM asset_issue_link {l} WHERE {l}.tenant_id = "
                ))
                .bind(self.tenant.0)
                .push(&format!(" AND {l}.issue_id IN "))
                .bind_list(issues.iter().copied())
                .push(")");
            }
            Filter::BrokenRule(attributes) => {
                // Driven from the markers (few next to the site) rather than probed per asset.
                let r = self.alias("r");
                sql.push(&format!(
                    "{asset}.id IN (SELECT {r}.asset_id FROM asset_rule_break {r} WHERE {r}.tenant_id = "
                ))
                .bind(self.tenant.0);
                if let Some(ids) = attributes {
                    if ids.is_empty() {
                        sql.push(" AND 1 = 0");
                    } else {
                        sql.push(&format!(" AND {r}.attribute_id IN "))
                            .bind_list(ids.iter().map(|a| a.0));
                    }
                }
                sql.push(")");
            }
            Filter::Custody(cond) => self.custody(sql, cond, asset),
            Filter::Licence(cond) => self.licence(sql, cond, asset),
            Filter::Stock(cond) => self.stock(sql, cond, asset),
            Filter::Text(terms) => {
                if terms.is_empty() {
                    sql.push("1 = 1");
                    return Ok(());
                }
                if self.postgres {
                    let s = self.alias("fts");
                    // Terms are letters and digits only (search_terms), so quoting each one makes
                    // a tsquery that cannot be malformed; it is still bound, never spliced. The
                    // cast keeps the words as they are: to_tsquery would run PostgreSQL's parser,
                    // which the stored tsvector does not go through either.
                    let query = terms
                        .iter()
                        .map(|t| format!("'{t}':*"))
                        .collect::<Vec<_>>()
                        .join(" & ");
                    sql.push(&format!(
                        "{asset}.id IN (SELECT {s}.asset_id FROM asset_search {s} WHERE {s}.tenant_id = "
                    ))
                    .bind(self.tenant.0)
                    .push(&format!(" AND {s}.tsv @@ CAST("))
                    .bind(query)
                    .push(" AS tsquery))");
                } else {
                    let query = terms
                        .iter()
                        .map(|t| format!("\"{t}\"*"))
                        .collect::<Vec<_>>()
                        .join(" AND ");
                    sql.push(&format!(
                        "{asset}.id IN (SELECT rowid FROM asset_fts WHERE asset_fts MATCH "
                    ))
                    .bind(query)
                    .push(")");
                }
            }
        }
        Ok(())
    }

    /// A reference through `attributes` from this asset to one matching `other` (outbound), or
    /// from one matching `other` to this asset (inbound).
    fn reference(
        &self,
        sql: &mut Sql,
        asset: &str,
        attributes: &[amj_domain::ids::AttributeId],
        direction: Direction,
        other: &Filter,
        depth: usize,
    ) -> Result<(), StoreError> {
        if attributes.is_empty() {
            sql.push("1 = 0");
            return Ok(());
        }
        let (this_end, other_end) = match direction {
            Direction::Outbound => ("asset_id", "v_ref"),
            Direction::Inbound => ("v_ref", "asset_id"),
        };
        let v = self.alias("v");
        sql.push(&format!(
            "{asset}.id IN (SELECT {v}.{this_end} FROM asset_value {v} WHERE {v}.tenant_id = "
        ))
        .bind(self.tenant.0)
        .push(&format!(" AND {v}.attribute_id IN "))
        .bind_list(attributes.iter().map(|a| a.0))
        .push(&format!(" AND {v}.v_ref IS NOT NULL"));
        if *other != Filter::Const(true) {
            let o = self.alias("o");
            sql.push(&format!(" AND {v}.{other_end} IN ("));
            self.assets_matching(sql, &o, &format!("{o}.id"), other, depth)?;
            sql.push(")");
        }
        sql.push(")");
        Ok(())
    }

    /// `SELECT <column> FROM asset <alias> WHERE <tenant and schema> AND <filter>`: the ids of a
    /// schema's assets (archived ones included: a reference to an archived asset still exists).
    fn assets_matching(
        &self,
        sql: &mut Sql,
        alias: &str,
        column: &str,
        filter: &Filter,
        depth: usize,
    ) -> Result<(), StoreError> {
        sql.push(&format!(
            "SELECT {column} FROM asset {alias} WHERE {alias}.tenant_id = "
        ))
        .bind(self.tenant.0)
        .push(&format!(" AND {alias}.schema_id = "))
        .bind(self.model.schema.id.0)
        .push(" AND ");
        self.filter_at(sql, filter, alias, depth + 1)
    }

    /// `asset.id IN (SELECT asset_id FROM asset_value v WHERE tenant AND attribute IN (…) <more>)`.
    fn value_in(
        &self,
        sql: &mut Sql,
        v: &str,
        asset: &str,
        attributes: impl IntoIterator<Item = i64>,
        more: impl FnOnce(&mut Sql),
    ) {
        sql.push(&format!(
            "{asset}.id IN (SELECT {v}.asset_id FROM asset_value {v} WHERE {v}.tenant_id = "
        ))
        .bind(self.tenant.0)
        .push(&format!(" AND {v}.attribute_id IN "))
        .bind_list(attributes);
        more(sql);
        sql.push(")");
    }

    /// Whether one of the attributes' stored values (in the asset's JSON) is exactly `text`.
    fn exact_json(
        &self,
        sql: &mut Sql,
        asset: &str,
        attributes: impl IntoIterator<Item = i64>,
        text: &str,
    ) {
        let keys: Vec<String> = attributes.into_iter().map(|a| a.to_string()).collect();
        let (e, x) = (self.alias("e"), self.alias("x"));
        if self.postgres {
            sql.push(&format!(
                "EXISTS (SELECT 1 FROM jsonb_each({asset}.attrs::jsonb) {e}, jsonb_array_elements_text({e}.value) {x} WHERE {e}.key IN "
            ))
            .bind_list(keys)
            .push(&format!(" AND {x} = "))
            .bind(text)
            .push(")");
        } else {
            sql.push(&format!(
                "EXISTS (SELECT 1 FROM json_each({asset}.attrs) {e}, json_each({e}.value) {x} WHERE {e}.key IN "
            ))
            .bind_list(keys)
            .push(&format!(" AND {x}.type = 'text' AND {x}.value = "))
            .bind(text)
            .push(")");
        }
    }

    fn asset_cond(&self, sql: &mut Sql, cond: &AssetCond, asset: &str) {
        match cond {
            AssetCond::TypeIn(ids) => {
                in_list(sql, &format!("{asset}.type_id"), ids.iter().map(|t| t.0))
            }
            AssetCond::StatusIn(ids) => {
                in_list(sql, &format!("{asset}.status_id"), ids.iter().map(|s| s.0))
            }
            AssetCond::Number(cmp) => cmp_sql(sql, &format!("{asset}.number"), cmp),
            AssetCond::Label(text) => text_cond(sql, &format!("{asset}.label_sort"), text),
            AssetCond::LabelExact(text) => {
                sql.push(&format!("{asset}.label = ")).bind(text.as_str());
            }
            AssetCond::Created(cmp) => cmp_sql(sql, &format!("{asset}.created_at"), cmp),
            AssetCond::Updated(cmp) => cmp_sql(sql, &format!("{asset}.updated_at"), cmp),
            AssetCond::Retired(None) => {
                sql.push(&format!("{asset}.retired_at IS NOT NULL"));
            }
            AssetCond::Retired(Some(cmp)) => {
                // Spelled out so that NOT of it holds for assets never retired, as it does for
                // an attribute without a value (a bare comparison with NULL is neither).
                sql.push(&format!("({asset}.retired_at IS NOT NULL AND "));
                cmp_sql(sql, &format!("{asset}.retired_at"), cmp);
                sql.push(")");
            }
        }
    }

    /// A condition on the check-out in force, driven from `asset_custody` (open check-outs are
    /// few next to the site). Holders are followed through carriers: `holder = currentUser()`
    /// finds the dock on the person's laptop, as "my assets" does.
    fn custody(&self, sql: &mut Sql, cond: &CustodyCond, asset: &str) {
        let c = self.alias("c");
        let base = |sql: &mut Sql| {
            sql.push(&format!(
                "SELECT {c}.asset_id FROM asset_custody {c} WHERE {c}.tenant_id = "
            ))
            .bind(self.tenant.0);
        };
        match cond {
            CustodyCond::HolderAccount(_) | CustodyCond::HolderAsset(_) => {
                let held = self.alias("held");
                let n = self.alias("c");
                sql.push(&format!(
                    "{asset}.id IN (WITH RECURSIVE {held}(id, depth) AS (\
                     SELECT {c}.asset_id, 0 FROM asset_custody {c} WHERE {c}.tenant_id = "
                ))
                .bind(self.tenant.0);
                match cond {
                    CustodyCond::HolderAccount(accounts) => {
                        sql.push(&format!(" AND {c}.holder_account IN "))
                            .bind_list(accounts.iter().map(String::as_str));
                    }
                    CustodyCond::HolderAsset(numbers) => {
                        let h = self.alias("h");
                        sql.push(&format!(
                            " AND {c}.holder_asset_id IN (SELECT {h}.id FROM asset {h} \
                             WHERE {h}.tenant_id = "
                        ))
                        .bind(self.tenant.0)
                        .push(&format!(" AND {h}.schema_id = "))
                        .bind(self.model.schema.id.0)
                        .push(&format!(" AND {h}.number IN "))
                        .bind_list(numbers.iter().copied())
                        .push(")");
                    }
                    _ => {}
                }
                // The first step has depth 0, so the walk stops at NESTING_MAX carriers.
                let limit = i64::try_from(NESTING_MAX).unwrap_or(8);
                sql.push(&format!(
                    " UNION ALL SELECT {n}.asset_id, {held}.depth + 1 FROM asset_custody {n} \
                     JOIN {held} ON {n}.holder_asset_id = {held}.id \
                     WHERE {n}.holder_kind = 'asset' AND {held}.depth < "
                ))
                .bind(limit)
                .push(&format!(") SELECT id FROM {held})"));
                return;
            }
            _ => {}
        }
        sql.push(&format!("{asset}.id IN ("));
        base(sql);
        match cond {
            CustodyCond::Out => {}
            CustodyCond::HasDue => {
                sql.push(&format!(" AND {c}.due_day IS NOT NULL"));
            }
            CustodyCond::Due(cmp) => {
                sql.push(&format!(" AND {c}.due_day IS NOT NULL AND "));
                cmp_sql(sql, &format!("{c}.due_day"), cmp);
            }
            CustodyCond::Since(cmp) => {
                sql.push(" AND ");
                cmp_sql(sql, &format!("{c}.since"), cmp);
            }
            CustodyCond::DueBefore(day) => {
                sql.push(&format!(" AND {c}.due_day < ")).bind(*day);
            }
            CustodyCond::ForIssue(issues) => {
                sql.push(&format!(" AND {c}.issue_key IN "))
                    .bind_list(issues.iter().map(String::as_str));
            }
            CustodyCond::HolderAccount(_) | CustodyCond::HolderAsset(_) => {}
        }
        sql.push(")");
    }

    /// A condition on a licence's seats, driven from `licence` (one row per licence, by the
    /// site): licences are few next to the assets they are among.
    fn licence(&self, sql: &mut Sql, cond: &LicenceCond, asset: &str) {
        let l = self.alias("l");
        sql.push(&format!(
            "{asset}.id IN (SELECT {l}.asset_id FROM licence {l} WHERE {l}.tenant_id = "
        ))
        .bind(self.tenant.0);
        match cond {
            LicenceCond::Licensed => {}
            LicenceCond::Entitled(cmp) => {
                sql.push(" AND ");
                cmp_sql(sql, &format!("{l}.entitled"), cmp);
            }
            LicenceCond::Assigned(cmp) => {
                sql.push(" AND ");
                cmp_sql(sql, &format!("{l}.assigned"), cmp);
            }
            LicenceCond::Free(cmp) => {
                sql.push(" AND ");
                cmp_sql(
                    sql,
                    &format!(
                        "(CASE WHEN {l}.entitled > {l}.assigned \
                         THEN {l}.entitled - {l}.assigned ELSE 0 END)"
                    ),
                    cmp,
                );
            }
        }
        sql.push(")");
    }

    /// A condition on a stock item's totals, driven from `stock_item` (one row per item that
    /// moved): stock items are few next to the assets they are among.
    fn stock(&self, sql: &mut Sql, cond: &StockCond, asset: &str) {
        let s = self.alias("s");
        sql.push(&format!(
            "{asset}.id IN (SELECT {s}.asset_id FROM stock_item {s} WHERE {s}.tenant_id = "
        ))
        .bind(self.tenant.0);
        match cond {
            StockCond::Stocked => {}
            StockCond::Quantity(cmp) => {
                sql.push(" AND ");
                cmp_sql(sql, &format!("{s}.quantity"), cmp);
            }
            StockCond::BelowMinimum(true) => {
                sql.push(&format!(" AND {s}.below_minimum > 0"));
            }
            StockCond::BelowMinimum(false) => {
                sql.push(&format!(" AND {s}.below_minimum = 0"));
            }
        }
        sql.push(")");
    }

    /// A scalar SQL expression for one sort key of the asset `asset`: the first value the key's
    /// path reaches, or NULL.
    pub fn sort_expr(&self, sql: &mut Sql, key: &SortValue, asset: &str) {
        // Each hop replaces "the id of the current asset" with "the id of the first asset it
        // refers to through the hop's attributes".
        let mut current = format!("{asset}.id");
        for hop in &key.hops {
            let v = self.alias("h");
            let mut next = Sql::default();
            next.push(&format!(
                "(SELECT {v}.v_ref FROM asset_value {v} WHERE {v}.asset_id = {current} AND {v}.attribute_id IN "
            ));
            let ids: Vec<String> = hop.iter().map(|a| a.0.to_string()).collect();
            // Attribute ids are our own integers, not user input; they are written as literals so
            // that the nested text can be composed without renumbering placeholders.
            next.push(&format!(
                "({}) AND {v}.v_ref IS NOT NULL ORDER BY {v}.ord, {v}.attribute_id LIMIT 1)",
                ids.join(", ")
            ));
            current = next.text;
        }
        let asset_column = |column: &str| -> String {
            if key.hops.is_empty() {
                format!("{asset}.{column}")
            } else {
                let r = self.alias("r");
                format!("(SELECT {r}.{column} FROM asset {r} WHERE {r}.id = {current})")
            }
        };
        // Names sort by code point on both backends, as label_sort and v_text do; PostgreSQL's
        // catalog name columns have the database's collation otherwise.
        let collate = if self.postgres { " COLLATE \"C\"" } else { "" };
        let expr = match &key.field {
            SortField::Number => asset_column("number"),
            SortField::Label => asset_column("label_sort"),
            SortField::Created => asset_column("created_at"),
            SortField::Updated => asset_column("updated_at"),
            SortField::Status => {
                let st = self.alias("st");
                format!(
                    "(SELECT {st}.name_lower{collate} FROM asset_status {st} WHERE {st}.id = {})",
                    asset_column("status_id")
                )
            }
            SortField::Type => {
                let ty = self.alias("ty");
                format!(
                    "(SELECT {ty}.name_lower{collate} FROM asset_type {ty} WHERE {ty}.id = {})",
                    asset_column("type_id")
                )
            }
            SortField::Attribute { attributes, class } => {
                let column = match class {
                    StorageClass::Text => "v_text",
                    StorageClass::Integer => "v_int",
                    StorageClass::Number => "v_num",
                    StorageClass::Reference => "v_ref",
                };
                let v = self.alias("sv");
                let ids: Vec<String> = attributes.iter().map(|a| a.0.to_string()).collect();
                format!(
                    "(SELECT {v}.{column} FROM asset_value {v} WHERE {v}.asset_id = {current} AND {v}.attribute_id IN ({}) ORDER BY {v}.ord, {v}.attribute_id LIMIT 1)",
                    ids.join(", ")
                )
            }
        };
        sql.push(&expr);
    }
}

/// Which end of a reference the filtered asset is.
#[derive(Clone, Copy)]
enum Direction {
    Outbound,
    Inbound,
}

fn invalid(field: &str, rule: &'static str, message: &str) -> StoreError {
    StoreError::Invalid(ValidationErrors::single(field, rule, message))
}

fn in_list(sql: &mut Sql, column: &str, values: impl ExactSizeIterator<Item = i64>) {
    if values.len() == 0 {
        sql.push("1 = 0");
        return;
    }
    sql.push(column).push(" IN ").bind_list(values);
}

/// `column <op> value`, for the typed comparisons.
fn cmp_sql<T>(sql: &mut Sql, column: &str, cmp: &Cmp<T>)
where
    T: Clone + Into<super::sql::Param>,
{
    let (op, value) = match cmp {
        Cmp::Eq(v) => (" = ", v),
        Cmp::Lt(v) => (" < ", v),
        Cmp::Le(v) => (" <= ", v),
        Cmp::Gt(v) => (" > ", v),
        Cmp::Ge(v) => (" >= ", v),
        Cmp::In(values) => {
            if values.is_empty() {
                sql.push("1 = 0");
            } else {
                sql.push(column)
                    .push(" IN ")
                    .bind_list(values.iter().cloned());
            }
            return;
        }
    };
    sql.push(column).push(op).bind(value.clone());
}

/// A condition on an indexed-text column.
fn text_cond(sql: &mut Sql, column: &str, cond: &TextCond) {
    match cond {
        TextCond::Cmp(cmp) => cmp_sql(sql, column, cmp),
        TextCond::Contains(x) => {
            sql.push(column)
                .push(" LIKE ")
                .bind(format!("%{}%", escape_like(x)))
                .push(" ESCAPE '\\'");
        }
        TextCond::StartsWith(x) => prefix_range(sql, column, x),
        TextCond::EndsWith(x) => {
            sql.push(column)
                .push(" LIKE ")
                .bind(format!("%{}", escape_like(x)))
                .push(" ESCAPE '\\'");
        }
    }
}

/// `column` starts with `prefix`, as a range the index answers: from the prefix up to the first
/// string that sorts after everything starting with it (both backends compare text by code
/// point: SQLite's BINARY collation, PostgreSQL's "C").
pub(crate) fn prefix_range(sql: &mut Sql, column: &str, prefix: &str) {
    sql.push("(").push(column).push(" >= ").bind(prefix);
    if let Some(upper) = prefix_successor(prefix) {
        sql.push(" AND ").push(column).push(" < ").bind(upper);
    }
    sql.push(")");
}

/// The least string greater than every string that starts with `prefix`: the prefix with its
/// last character incremented, after dropping trailing U+10FFFF (which cannot be incremented).
/// `None` when there is no such string (the empty prefix, or only U+10FFFF): every string
/// from `prefix` on qualifies.
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Escapes LIKE's wildcards so that user text matches literally.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successors_bound_exactly_the_strings_with_the_prefix() {
        assert_eq!(prefix_successor("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_successor(""), None);
        assert_eq!(prefix_successor("\u{10FFFF}"), None);
        let upper = prefix_successor("zz").unwrap();
        for s in ["zz", "zz\u{10FFFF}top", "zzz"] {
            assert!(s >= "zz" && s < upper.as_str(), "{s:?}");
        }
        assert!("z{" >= upper.as_str());
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
