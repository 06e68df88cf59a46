/**
 * The dashboard's chart data: the reports API's figures turned into what a chart draws, with the
 * AQL each bar opens. Pure, so the mapping is unit-tested without a canvas; the chart library
 * only ever sees a {@link ChartSpec}.
 */
import type {
  CountsReport,
  DueReport,
  ProductCompliance,
  QualityReport,
  StatusCategory,
  TrendReport,
} from "./api";
import type { Formats } from "./format";

/** One series of bars (or the one ring of a doughnut). */
export interface Series {
  label: string;
  values: number[];
  /** A design token per bar, or one for the whole series. */
  colors: string[] | string;
}

export interface ChartSpec {
  kind: "bar" | "doughnut";
  /** Bars run across the chart: long category names stay readable. */
  horizontal: boolean;
  labels: string[];
  series: Series[];
  /** The AQL each bar lists, by label index; `null` where a bar has no list (e.g. "Other"). */
  targets: (string | null)[][];
  /** What a screen reader hears for the chart as a whole. */
  summary: string;
}

/**
 * Chart colours, as the app's CSS variables: styles.css points each at Atlassian's chart token
 * (`--ds-chart-categorical-1`, `--ds-chart-success`, …) with a fallback, so the host's theme,
 * light or dark, decides the colour. Read at draw time with {@link resolveToken}.
 */
export const CATEGORICAL = [
  "--amj-chart-1",
  "--amj-chart-2",
  "--amj-chart-3",
  "--amj-chart-4",
  "--amj-chart-5",
  "--amj-chart-6",
] as const;

/** Each status category keeps its colour in every schema, as Jira's lozenges do. */
export const CATEGORY_TOKENS: Record<StatusCategory, string> = {
  available: "--amj-chart-success",
  in_use: "--amj-chart-information",
  maintenance: "--amj-chart-warning",
  retired: "--amj-chart-neutral",
};

const NEUTRAL = "--amj-chart-neutral";

function categorical(i: number): string {
  return CATEGORICAL[i % CATEGORICAL.length] ?? NEUTRAL;
}

function listing(labels: string[], values: number[], formats: Formats): string {
  return labels.map((l, i) => `${l}: ${formats.count(values[i] ?? 0)}`).join(", ");
}

/** Live assets by exact type, largest first. */
export function typeChart(counts: CountsReport, formats: Formats): ChartSpec {
  const labels = counts.byType.map((s) => s.name);
  const values = counts.byType.map((s) => s.count);
  return {
    kind: "bar",
    horizontal: true,
    labels,
    series: [{ label: "Assets", values, colors: labels.map((_, i) => categorical(i)) }],
    targets: [counts.byType.map((s) => s.aql)],
    summary: `Assets by type. ${listing(labels, values, formats)}`,
  };
}

/** Every status in the schema's order, coloured by its category. */
export function statusChart(counts: CountsReport, formats: Formats): ChartSpec {
  const labels = counts.byStatus.map((s) => s.name);
  const values = counts.byStatus.map((s) => s.count);
  return {
    kind: "doughnut",
    horizontal: false,
    labels,
    series: [
      {
        label: "Assets",
        values,
        colors: counts.byStatus.map((s) => CATEGORY_TOKENS[s.category] ?? NEUTRAL),
      },
    ],
    targets: [counts.byStatus.map((s) => s.aql)],
    summary: `Assets by status. ${listing(labels, values, formats)}`,
  };
}

/**
 * The largest locations, then "Other" (no single list: it is many places) and "No location"
 * when there are any; `null` until an admin marks the location attribute.
 */
export function locationChart(counts: CountsReport, formats: Formats): ChartSpec | null {
  const location = counts.byLocation;
  if (!location) {
    return null;
  }
  const labels = location.top.map((s) => s.name);
  const values = location.top.map((s) => s.count);
  const targets: (string | null)[] = location.top.map((s) => s.aql);
  if (location.other > 0) {
    labels.push("Other places");
    values.push(location.other);
    targets.push(null);
  }
  if (location.none > 0) {
    labels.push("Without a location");
    values.push(location.none);
    targets.push(location.noneAql);
  }
  return {
    kind: "bar",
    horizontal: true,
    labels,
    series: [{ label: "Assets", values, colors: labels.map((_, i) => categorical(i)) }],
    targets: [targets],
    summary: `Assets by ${location.attribute}. ${listing(labels, values, formats)}`,
  };
}

/** An axis label short enough to leave the bars room; the list beneath keeps the full name. */
export function axisLabel(label: string, max = 22): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/** Month names in the person's locale, e.g. "Nov 2026" for "2026-11". */
export function monthLabel(month: string, locale: string): string {
  const [year, number] = month.split("-").map(Number);
  if (!year || !number) {
    return month;
  }
  return new Intl.DateTimeFormat(locale, {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(year, number - 1, 1)));
}

/**
 * Created and retired per month, side by side. A bar lists its assets: those created in the
 * month, or those retired in it and still retired (what the retired counter holds).
 */
export function trendChart(trend: TrendReport, formats: Formats, locale: string): ChartSpec {
  const labels = trend.months.map((m) => monthLabel(m.month, locale));
  const created = trend.months.map((m) => m.created);
  const retired = trend.months.map((m) => m.retired);
  return {
    kind: "bar",
    horizontal: false,
    labels,
    series: [
      { label: "Created", values: created, colors: categorical(0) },
      { label: "Retired", values: retired, colors: NEUTRAL },
    ],
    targets: [trend.months.map((m) => m.createdAql), trend.months.map((m) => m.retiredAql)],
    summary: `Assets created per month. ${listing(labels, created, formats)}. Retired per month. ${listing(labels, retired, formats)}`,
  };
}

/** One row per marked date and window, for the "falling due" table. */
export interface DueRow {
  attribute: string;
  days: number;
  count: number;
  aql: string;
}

export function dueRows(due: DueReport): DueRow[] {
  return due.dates.flatMap((d) =>
    d.windows.map((w) => ({ attribute: d.attribute, days: w.days, count: w.count, aql: w.aql })),
  );
}

/**
 * One line per required attribute that some assets lack, per bound that values break, per
 * select that holds values no longer among its options, and per pattern that values break.
 */
export function qualityRows(
  quality: QualityReport,
): { text: string; aql: string; count: number }[] {
  return [
    ...quality.missingRequired.map((m) => ({
      text: `${m.typeName}: ${m.attribute} is required but missing`,
      aql: m.aql,
      count: m.missing,
    })),
    ...quality.outOfBounds.map((b) => ({
      text: `${b.typeName}: ${b.attribute} ${b.rule === "min" ? "below its minimum" : "above its maximum"} ${b.bound}`,
      aql: b.aql,
      count: b.count,
    })),
    ...quality.unlistedOptions.map((u) => ({
      text: `${u.typeName}: ${u.attribute} holds ${u.values.length === 1 ? "a value" : "values"} no longer among its options (${u.values.join(", ")})`,
      aql: u.aql,
      count: u.count,
    })),
    ...quality.brokenPatterns.map((p) => ({
      text: `${p.typeName}: ${p.attribute} does not match its pattern ${p.pattern}`,
      aql: p.aql,
      count: p.count,
    })),
  ];
}

/** A chart variable's colour as the page resolved it (grey if the stylesheet is missing). */
export function resolveToken(token: string, read: (name: string) => string): string {
  return read(token).trim() || "grey";
}

/**
 * Licence compliance per product: seats entitled beside seats used (the larger of assigned and
 * installed), so a product whose second bar is longer is in breach.
 */
export function complianceChart(products: ProductCompliance[], formats: Formats): ChartSpec {
  const labels = products.map((p) => axisLabel(p.product));
  const entitled = products.map((p) => p.compliance.entitled);
  const used = products.map((p) => Math.max(p.compliance.assigned, p.compliance.installed));
  const breaches = products.filter((p) => p.compliance.breach).map((p) => p.product);
  return {
    kind: "bar",
    horizontal: true,
    labels,
    series: [
      { label: "Entitled", values: entitled, colors: "--amj-chart-information" },
      {
        label: "Used",
        values: used,
        colors: products.map((p) =>
          p.compliance.breach ? "--amj-chart-danger" : "--amj-chart-success",
        ),
      },
    ],
    targets: [products.map(() => null), products.map(() => null)],
    summary: `Seats entitled and used per product. ${products
      .map(
        (p, i) =>
          `${p.product}: ${formats.count(entitled[i] ?? 0)} entitled, ${formats.count(used[i] ?? 0)} used`,
      )
      .join("; ")}.${breaches.length > 0 ? ` Over the entitlement: ${breaches.join(", ")}.` : ""}`,
  };
}
