import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import type { Api, CountsReport, DueReport, QualityReport, TrendReport } from "../api";
import { dueRows, locationChart, qualityRows, statusChart, trendChart, typeChart } from "../charts";
import { ChartView } from "../components/ChartView";
import type { Formats } from "../format";
import { describe } from "../messages";

/** The dashboard's charts, each of which a dashboard gadget can show alone. */
export type DashboardChart = "type" | "status" | "location" | "trend" | "due" | "quality";

export const DASHBOARD_CHARTS: [DashboardChart, string][] = [
  ["type", "Assets by type"],
  ["status", "Assets by status"],
  ["location", "Assets by location"],
  ["trend", "Created and retired per month"],
  ["due", "Falling due"],
  ["quality", "Data quality"],
];

export interface DashboardProps {
  /** Just this chart, without the page's heading (the dashboard gadget). */
  only?: DashboardChart;
  api: Api;
  schema: string;
  schemaName: string;
  locale: string;
  formats: Formats;
  /** Opens the asset list filtered by a slice's AQL. */
  onOpen: (aql: string) => void;
}

/** Each report loads on its own: one failing leaves the others on screen. */
type Loaded<T> =
  | { state: "loading" }
  | { state: "failed"; message: string }
  | { state: "ready"; value: T };

/** A report that is only loaded when its chart is shown (`null` when it is not). */
function useWantedReport<T>(wanted: boolean, load: () => Promise<T>): Loaded<T | null> {
  return useReport<T | null>(
    useCallback(() => (wanted ? load() : Promise.resolve(null)), [wanted, load]),
  );
}

function useReport<T>(load: () => Promise<T>): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    let current = true;
    setLoaded({ state: "loading" });
    load()
      .then((value) => current && setLoaded({ state: "ready", value }))
      .catch(
        (error: unknown) => current && setLoaded({ state: "failed", message: describe(error) }),
      );
    return () => {
      current = false;
    };
  }, [load]);
  return loaded;
}

function Card({
  id,
  title,
  loaded,
  children,
}: {
  id: string;
  title: string;
  loaded: Loaded<unknown>;
  children: () => preact.ComponentChildren;
}) {
  return (
    <section class="amj-card" aria-labelledby={`${id}-title`} id={id} data-state={loaded.state}>
      <h2 id={`${id}-title`}>{title}</h2>
      {loaded.state === "loading" && <p class="amj-subtle">Loading…</p>}
      {loaded.state === "failed" && (
        <p class="amj-error" role="alert">
          Could not load this figure: {loaded.message}
        </p>
      )}
      {loaded.state === "ready" && children()}
    </section>
  );
}

/**
 * The schema's dashboard: counts by type, status and location, what was created and retired
 * month by month, what falls due, and what is missing. Every figure comes from the reports API,
 * which answers from maintained counters, and every bar opens the list of exactly its assets.
 */
export function Dashboard({
  api,
  schema,
  schemaName,
  locale,
  formats,
  onOpen,
  only,
}: DashboardProps) {
  // A gadget asks only for the figures of its one chart.
  const shows = (chart: DashboardChart) => only === undefined || only === chart;
  const counts = useWantedReport<CountsReport>(
    shows("type") || shows("status") || shows("location"),
    useCallback(() => api.counts(schema), [api, schema]),
  );
  const trend = useWantedReport<TrendReport>(
    shows("trend"),
    useCallback(() => api.trend(schema, 12), [api, schema]),
  );
  const due = useWantedReport<DueReport>(
    shows("due"),
    useCallback(() => api.due(schema), [api, schema]),
  );
  const quality = useWantedReport<QualityReport>(
    shows("quality"),
    useCallback(() => api.quality(schema), [api, schema]),
  );

  const specs = useMemo(
    () =>
      counts.state === "ready" && counts.value
        ? {
            type: typeChart(counts.value, formats),
            status: statusChart(counts.value, formats),
            location: locationChart(counts.value, formats),
          }
        : null,
    [counts, formats],
  );
  const trendSpec = useMemo(
    () =>
      trend.state === "ready" && trend.value ? trendChart(trend.value, formats, locale) : null,
    [trend, formats, locale],
  );

  return (
    <section
      id="amj-dashboard"
      aria-labelledby={only ? undefined : "amj-dashboard-heading"}
      aria-label={only ? `${schemaName}: ${chartTitle(only)}` : undefined}
    >
      {!only && (
        <>
          <nav aria-label="Breadcrumbs" class="amj-breadcrumbs">
            <ol>
              <li>Assets</li>
              <li>{schemaName}</li>
              <li aria-current="page">Dashboard</li>
            </ol>
          </nav>
          <h1 id="amj-dashboard-heading">Dashboard</h1>
        </>
      )}
      {!only && counts.state === "ready" && counts.value && (
        <p id="amj-dashboard-total" class="amj-subtle">
          {formats.count(counts.value.total)} {counts.value.total === 1 ? "asset" : "assets"} in use
          or in stock (archived ones are not counted)
        </p>
      )}
      <div class="amj-cards">
        {shows("type") && (
          <Card id="amj-by-type" title={chartTitle("type")} loaded={counts}>
            {() =>
              specs && specs.type.labels.length > 0 ? (
                <ChartView
                  id="amj-chart-type"
                  spec={specs.type}
                  formats={formats}
                  onOpen={onOpen}
                />
              ) : (
                <p class="amj-subtle">No assets yet.</p>
              )
            }
          </Card>
        )}
        {shows("status") && (
          <Card id="amj-by-status" title={chartTitle("status")} loaded={counts}>
            {() =>
              specs && (
                <ChartView
                  id="amj-chart-status"
                  spec={specs.status}
                  formats={formats}
                  onOpen={onOpen}
                />
              )
            }
          </Card>
        )}
        {shows("location") && (
          <Card id="amj-by-location" title={chartTitle("location")} loaded={counts}>
            {() =>
              specs?.location ? (
                <ChartView
                  id="amj-chart-location"
                  spec={specs.location}
                  formats={formats}
                  onOpen={onOpen}
                />
              ) : (
                <p class="amj-subtle">
                  A site admin can choose which attribute holds the location, under Settings →
                  Dashboard.
                </p>
              )
            }
          </Card>
        )}
        {shows("trend") && (
          <Card id="amj-trend" title={chartTitle("trend")} loaded={trend}>
            {() =>
              trendSpec && (
                <ChartView
                  id="amj-chart-trend"
                  spec={trendSpec}
                  formats={formats}
                  onOpen={onOpen}
                />
              )
            }
          </Card>
        )}
        {shows("due") && (
          <Card id="amj-due" title={chartTitle("due")} loaded={due}>
            {() =>
              due.state === "ready" && due.value && due.value.dates.length > 0 ? (
                <DueTable due={due.value} formats={formats} onOpen={onOpen} />
              ) : (
                <p class="amj-subtle">
                  A site admin can mark warranty and end-of-life dates under Settings → Dashboard.
                </p>
              )
            }
          </Card>
        )}
        {shows("quality") && (
          <Card id="amj-quality" title={chartTitle("quality")} loaded={quality}>
            {() => {
              const rows =
                quality.state === "ready" && quality.value ? qualityRows(quality.value) : [];
              return rows.length === 0 ? (
                <p class="amj-subtle">
                  No rule is broken: required values are there, and values keep their attributes'
                  rules.
                </p>
              ) : (
                <ul class="amj-quality">
                  {rows.map((row) => (
                    <li key={row.aql}>
                      <button
                        type="button"
                        class="amj-link-button"
                        data-aql={row.aql}
                        onClick={() => onOpen(row.aql)}
                      >
                        {row.text}
                      </button>{" "}
                      <span class="amj-count">{formats.count(row.count)}</span>
                    </li>
                  ))}
                </ul>
              );
            }}
          </Card>
        )}
      </div>
    </section>
  );
}

function DueTable({
  due,
  formats,
  onOpen,
}: {
  due: DueReport;
  formats: Formats;
  onOpen: (aql: string) => void;
}) {
  const rows = dueRows(due);
  const windows = [...new Set(rows.map((r) => r.days))];
  const attributes = [...new Set(rows.map((r) => r.attribute))];
  return (
    <table class="amj-table amj-due">
      <thead>
        <tr>
          <th scope="col">Date</th>
          {windows.map((days) => (
            <th scope="col" key={days}>
              Next {days} days
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {attributes.map((attribute) => (
          <tr key={attribute}>
            <th scope="row">{attribute}</th>
            {windows.map((days) => {
              const row = rows.find((r) => r.attribute === attribute && r.days === days);
              return (
                <td key={days}>
                  {row && (
                    <button
                      type="button"
                      class="amj-link-button"
                      data-aql={row.aql}
                      aria-label={`${attribute} in the next ${days} days: ${formats.count(row.count)}`}
                      onClick={() => onOpen(row.aql)}
                    >
                      {formats.count(row.count)}
                    </button>
                  )}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function chartTitle(chart: DashboardChart): string {
  return DASHBOARD_CHARTS.find(([c]) => c === chart)?.[1] ?? chart;
}
