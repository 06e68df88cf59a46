//! The dashboard's figures, as `GET /api/v1/reports/{schema}/…` serves them and the dashboard
//! page draws them.
//!
//! Every figure comes from maintained counters ([`amj_store::tally`]) or from a range walk of one
//! attribute's value index, never from a scan of the schema's assets, so a view costs the same at
//! ten assets and at a million. Each slice carries the AQL that lists its assets, so a chart
//! links to exactly what it counts.

use amj_domain::report::{
    self, ReportSettings, last_months, slice_created_in, slice_due_within, slice_missing,
    slice_reference, slice_retired_in, slice_status, slice_type,
};
use amj_domain::{AttributeId, TenantId};
use amj_domain::{AttributeKind, StatusCategory};
use amj_store::catalog::SchemaModel;
use amj_store::tally::Tallies;
use amj_store::{Store, StoreError};
use serde::Serialize;

/// The due-date windows the dashboard shows, in days from today.
pub const DUE_WINDOWS: [u32; 3] = [30, 60, 90];
/// The locations shown by name; the rest are summed as "other".
pub const TOP_LOCATIONS: usize = 10;
const DAY_MILLIS: i64 = 86_400_000;

/// One bar or slice of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Slice {
    /// The type, status or asset id the slice stands for.
    pub id: i64,
    pub name: String,
    pub count: i64,
    /// The AQL that lists the slice's assets.
    pub aql: String,
}

/// Live (not archived) assets by type, status and location.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CountsReport {
    /// Live assets in the schema.
    pub total: i64,
    /// By exact type (a subtype's assets count for the subtype only), largest first.
    pub by_type: Vec<Slice>,
    /// Every status of the schema, in its order, with the status category.
    pub by_status: Vec<StatusSlice>,
    /// `null` until an admin marks the location attribute.
    pub by_location: Option<LocationCounts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusSlice {
    #[serde(flatten)]
    pub slice: Slice,
    pub category: StatusCategory,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationCounts {
    pub attribute_id: i64,
    pub attribute: String,
    /// The largest locations; `id` is the location asset's id, `name` its label and key.
    pub top: Vec<Slice>,
    /// Live assets at some other location.
    pub other: i64,
    /// Live assets with no location.
    pub none: i64,
    /// The assets with no location.
    pub none_aql: String,
}

/// Assets created and retired per month.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrendReport {
    /// Oldest first, ending with the current month (UTC).
    pub months: Vec<MonthFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonthFigures {
    /// `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub month: String,
    /// Assets created in the month, whether archived since or not.
    pub created: i64,
    /// Assets that moved into a status of the Retired category during the month and are still
    /// retired (one restored since takes its month back).
    pub retired: i64,
    /// The assets created in the month.
    pub created_aql: String,
    /// The assets retired in the month: AQL's `retired`, when each moved into Retired.
    pub retired_aql: String,
}

/// What falls due soon among the date attributes an admin marked.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DueReport {
    /// Empty until an admin marks date attributes (`PUT …/report-settings`).
    pub dates: Vec<DueDates>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DueDates {
    pub attribute_id: i64,
    pub attribute: String,
    /// From today to 30, 60 and 90 days ahead, each window including the shorter ones.
    pub windows: Vec<DueWindow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DueWindow {
    pub days: u32,
    pub count: i64,
    pub aql: String,
}

/// Data quality: required values that are missing, and values that break a rule tightened
/// after they were written (bounds, options, patterns).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QualityReport {
    /// Required attributes that some live assets lack, most missing first. Values written before
    /// an attribute became required are what this finds.
    pub missing_required: Vec<MissingValues>,
    /// Numbers below an attribute's minimum or above its maximum: values written before the
    /// bound was tightened (every write since is checked against it).
    pub out_of_bounds: Vec<OutOfBounds>,
    /// Select values that are no longer among the attribute's options: chosen before the option
    /// was removed or renamed.
    pub unlisted_options: Vec<UnlistedOptions>,
    /// Text values that break their attribute's pattern: written before it was tightened. The
    /// values were tested once when the pattern changed; each write since keeps this true.
    pub broken_patterns: Vec<BrokenPattern>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BrokenPattern {
    pub attribute_id: i64,
    pub attribute: String,
    pub type_name: String,
    /// The pattern as the attribute defines it now.
    pub pattern: String,
    /// Live assets whose value does not match it.
    pub count: i64,
    pub aql: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnlistedOptions {
    pub attribute_id: i64,
    pub attribute: String,
    pub type_name: String,
    /// The values held that are not options any more, as the search index keeps them
    /// (trimmed, lower case): what the slice's AQL matches.
    pub values: Vec<String>,
    /// Live assets holding at least one of them.
    pub count: i64,
    pub aql: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutOfBounds {
    pub attribute_id: i64,
    pub attribute: String,
    pub type_name: String,
    /// `min` or `max`.
    pub rule: &'static str,
    /// The bound, as the attribute defines it now.
    pub bound: String,
    pub count: i64,
    pub aql: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MissingValues {
    pub attribute_id: i64,
    pub attribute: String,
    /// The type that declares the attribute (its subtypes inherit it).
    pub type_name: String,
    pub missing: i64,
    pub aql: String,
}

/// Counts by type, status and (when marked) location.
pub async fn counts(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    settings: &ReportSettings,
) -> Result<CountsReport, StoreError> {
    let tallies = store.tallies(tenant, model.schema.id).await?;
    let mut report = counts_from(model, &tallies);
    if let Some(attribute) = settings
        .location_attribute
        .and_then(|id| model.attribute(id))
        .filter(|a| matches!(a.kind, AttributeKind::Reference { .. }))
    {
        let (top, with_location) = store
            .reference_counts(tenant, model.schema.id, attribute.id, TOP_LOCATIONS)
            .await?;
        let listed: i64 = top.iter().map(|c| c.count).sum();
        let filled = tallies.filled.get(&attribute.id).copied().unwrap_or(0);
        let expected = expected_for(model, &tallies, attribute.type_id);
        report.by_location = Some(LocationCounts {
            attribute_id: attribute.id.0,
            attribute: attribute.name.clone(),
            top: top
                .into_iter()
                .map(|c| Slice {
                    id: c.target.0,
                    aql: slice_reference(&attribute.name, &c.key),
                    name: format!("{} ({})", c.label, c.key),
                    count: c.count,
                })
                .collect(),
            // A multi-valued location counts an asset once per place, so "other" is what the
            // per-place counts leave, and "none" what the filled counter leaves.
            other: (with_location - listed).max(0),
            none: (expected - filled).max(0),
            none_aql: slice_missing(&concrete_types(model, attribute.type_id), &attribute.name),
        });
    }
    Ok(report)
}

/// The part of [`counts`] that needs only the counters: pure, so it is unit-tested.
pub fn counts_from(model: &SchemaModel, tallies: &Tallies) -> CountsReport {
    let mut by_type: Vec<Slice> = model
        .types
        .types()
        .filter_map(|t| {
            let count = tallies.by_type.get(&t.id).copied().unwrap_or(0);
            (count > 0).then(|| Slice {
                id: t.id.0,
                name: t.name.clone(),
                count,
                aql: slice_type(&t.name),
            })
        })
        .collect();
    by_type.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    let by_status = model
        .statuses
        .iter()
        .map(|s| StatusSlice {
            slice: Slice {
                id: s.id.0,
                name: s.name.clone(),
                count: tallies.by_status.get(&s.id).copied().unwrap_or(0),
                aql: slice_status(&s.name),
            },
            category: s.category,
        })
        .collect();
    CountsReport {
        total: tallies.by_type.values().sum(),
        by_type,
        by_status,
        by_location: None,
    }
}

/// Live assets that have an attribute declared on `type_id`: those of the type and its subtypes.
fn expected_for(model: &SchemaModel, tallies: &Tallies, type_id: amj_domain::TypeId) -> i64 {
    model
        .types
        .descendants_and_self(type_id)
        .iter()
        .map(|t| tallies.by_type.get(t).copied().unwrap_or(0))
        .sum()
}

/// The names of the types that can hold assets with an attribute declared on `type_id`.
fn concrete_types(model: &SchemaModel, type_id: amj_domain::TypeId) -> Vec<&str> {
    model
        .types
        .descendants_and_self(type_id)
        .iter()
        .filter_map(|t| model.types.get(*t))
        .filter(|t| !t.is_abstract)
        .map(|t| t.name.as_str())
        .collect()
}

/// Created and retired assets for the last `months` months.
pub async fn trend(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    months: usize,
    now_millis: i64,
) -> Result<TrendReport, StoreError> {
    let tallies = store.tallies(tenant, model.schema.id).await?;
    Ok(trend_from(&tallies, months, now_millis))
}

pub fn trend_from(tallies: &Tallies, months: usize, now_millis: i64) -> TrendReport {
    TrendReport {
        months: last_months(now_millis, months)
            .into_iter()
            .filter_map(|month| {
                Some(MonthFigures {
                    month: format!("{:04}-{:02}", month / 100, month % 100),
                    created: tallies.created.get(&month).copied().unwrap_or(0),
                    retired: tallies.retired.get(&month).copied().unwrap_or(0),
                    created_aql: slice_created_in(month)?,
                    retired_aql: slice_retired_in(month)?,
                })
            })
            .collect(),
    }
}

/// For each marked date attribute, how many live assets fall due in 30, 60 and 90 days.
pub async fn due(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    settings: &ReportSettings,
    now_millis: i64,
) -> Result<DueReport, StoreError> {
    let today = now_millis.div_euclid(DAY_MILLIS);
    let mut dates = Vec::new();
    for attribute in settings
        .lifecycle_dates
        .iter()
        .filter_map(|id| model.attribute(*id))
    {
        // Dates are indexed as days since 1970, datetimes as milliseconds.
        let scale = match attribute.kind {
            AttributeKind::Date => 1,
            AttributeKind::Datetime => DAY_MILLIS,
            _ => continue,
        };
        let bounds: Vec<i64> = DUE_WINDOWS
            .iter()
            .map(|d| (today + i64::from(*d) + 1) * scale)
            .collect();
        let counts = store
            .count_values_between(tenant, attribute.id, today * scale, &bounds)
            .await?;
        dates.push(DueDates {
            attribute_id: attribute.id.0,
            attribute: attribute.name.clone(),
            windows: DUE_WINDOWS
                .iter()
                .zip(counts)
                .map(|(days, count)| DueWindow {
                    days: *days,
                    count,
                    aql: slice_due_within(&attribute.name, *days),
                })
                .collect(),
        });
    }
    Ok(DueReport { dates })
}

/// Required values missing (from the counters), then what breaks a tightened rule (from the
/// value indexes, walking only what breaks it).
pub async fn quality(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
) -> Result<QualityReport, StoreError> {
    let tallies = store.tallies(tenant, model.schema.id).await?;
    let mut report = quality_from(model, &tallies);
    for attribute in &model.attributes {
        if let AttributeKind::Select { options, multiple } = &attribute.kind
            && let Some(unlisted) =
                unlisted_options(store, tenant, model, attribute, options, *multiple).await?
        {
            report.unlisted_options.push(unlisted);
            continue;
        }
        #[allow(clippy::cast_precision_loss)] // Integer bounds are far below 2^53.
        let (decimal, min, max) = match attribute.kind {
            AttributeKind::Integer { min, max } => {
                (false, min.map(|m| m as f64), max.map(|m| m as f64))
            }
            AttributeKind::Decimal { min, max } => (true, min, max),
            _ => continue,
        };
        if min.is_none() && max.is_none() {
            continue;
        }
        let Some(declared_by) = model.types.get(attribute.type_id) else {
            continue;
        };
        let (below, above) = store
            .count_numbers_outside(tenant, attribute.id, decimal, min, max)
            .await?;
        for (rule, bound, count) in [("min", min, below), ("max", max, above)] {
            let Some(bound) = bound else { continue };
            if count > 0 {
                let bound = report::number_text(bound);
                report.out_of_bounds.push(OutOfBounds {
                    attribute_id: attribute.id.0,
                    attribute: attribute.name.clone(),
                    type_name: declared_by.name.clone(),
                    rule,
                    aql: report::slice_out_of_bound(&attribute.name, rule == "min", &bound),
                    bound,
                    count,
                });
            }
        }
    }
    let patterned: std::collections::HashSet<AttributeId> = model
        .attributes
        .iter()
        .filter(|a| matches!(a.kind, AttributeKind::Text { regex: Some(_) }))
        .map(|a| a.id)
        .collect();
    let broken = store.rule_break_counts(tenant, &patterned).await?;
    for attribute in &model.attributes {
        let (
            AttributeKind::Text {
                regex: Some(pattern),
            },
            Some(count),
            Some(declared_by),
        ) = (
            &attribute.kind,
            broken.get(&attribute.id),
            model.types.get(attribute.type_id),
        )
        else {
            continue;
        };
        report.broken_patterns.push(BrokenPattern {
            attribute_id: attribute.id.0,
            attribute: attribute.name.clone(),
            type_name: declared_by.name.clone(),
            pattern: pattern.clone(),
            count: *count,
            aql: report::slice_broken_rule(&attribute.name),
        });
    }
    report.broken_patterns.sort_by(|a, b| {
        by_count_then_attribute((a.count, a.attribute_id), (b.count, b.attribute_id))
    });
    report.out_of_bounds.sort_by(|a, b| {
        by_count_then_attribute((a.count, a.attribute_id), (b.count, b.attribute_id))
    });
    report.unlisted_options.sort_by(|a, b| {
        by_count_then_attribute((a.count, a.attribute_id), (b.count, b.attribute_id))
    });
    Ok(report)
}

/// A select attribute holds few distinct values (each was an option once, and a select has at
/// most `OPTIONS_MAX` at a time), so they are read by a loose index scan and compared with
/// today's options. The bound only guards against a history of thousands of renamed options.
const SELECT_VALUES_READ: i64 = 5_000;

async fn unlisted_options(
    store: &Store,
    tenant: TenantId,
    model: &SchemaModel,
    attribute: &amj_domain::AttributeDef,
    options: &[String],
    multiple: bool,
) -> Result<Option<UnlistedOptions>, StoreError> {
    let Some(declared_by) = model.types.get(attribute.type_id) else {
        return Ok(None);
    };
    let listed: std::collections::HashSet<String> = options
        .iter()
        .map(|o| amj_domain::value::index_text(o))
        .collect();
    let unlisted: Vec<String> = store
        .distinct_text_values(tenant, attribute.id, SELECT_VALUES_READ)
        .await?
        .into_iter()
        .filter(|v| !listed.contains(v))
        .collect();
    // Values only archived assets hold are not shown: the list would not find them.
    let values = store
        .texts_held_live(tenant, attribute.id, &unlisted)
        .await?;
    let count = store
        .count_assets_with_texts(tenant, attribute.id, &values, multiple)
        .await?;
    if count == 0 {
        return Ok(None);
    }
    Ok(Some(UnlistedOptions {
        attribute_id: attribute.id.0,
        attribute: attribute.name.clone(),
        type_name: declared_by.name.clone(),
        aql: report::slice_values_in(&attribute.name, &values),
        values,
        count,
    }))
}

/// Largest first, then in attribute order, so the list is stable between loads.
fn by_count_then_attribute(a: (i64, i64), b: (i64, i64)) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then(a.1.cmp(&b.1))
}

pub fn quality_from(model: &SchemaModel, tallies: &Tallies) -> QualityReport {
    let mut missing_required: Vec<MissingValues> = model
        .attributes
        .iter()
        .filter(|a| a.required)
        .filter_map(|a| {
            let declared_by = model.types.get(a.type_id)?;
            let expected = expected_for(model, tallies, a.type_id);
            let missing = expected - tallies.filled.get(&a.id).copied().unwrap_or(0);
            if missing <= 0 {
                return None;
            }
            let types = concrete_types(model, a.type_id);
            Some(MissingValues {
                attribute_id: a.id.0,
                attribute: a.name.clone(),
                type_name: declared_by.name.clone(),
                missing,
                aql: slice_missing(&types, &a.name),
            })
        })
        .collect();
    missing_required.sort_by(|a, b| {
        b.missing
            .cmp(&a.missing)
            .then(a.attribute_id.cmp(&b.attribute_id))
    });
    QualityReport {
        missing_required,
        out_of_bounds: Vec::new(),
        unlisted_options: Vec::new(),
        broken_patterns: Vec::new(),
    }
}
