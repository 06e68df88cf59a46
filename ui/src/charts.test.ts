import { describe, expect, it } from "vitest";
import type { CountsReport, TrendReport } from "./api";
import {
  axisLabel,
  CATEGORY_TOKENS,
  dueRows,
  locationChart,
  monthLabel,
  qualityRows,
  resolveToken,
  statusChart,
  trendChart,
  typeChart,
} from "./charts";
import { formats } from "./format";

const en = formats("en-US", "UTC");
const de = formats("de-DE", "Europe/Berlin");

const BERLIN = {
  attributeId: 9,
  attribute: "Located in",
  top: [{ id: 50, name: "Berlin (IT-50)", count: 700, aql: '"Located in" = IT-50' }],
  other: 400,
  none: 134,
  noneAql: 'objectType IN (Laptop, Server) AND "Located in" IS EMPTY',
};

const counts: CountsReport = {
  total: 1234,
  byType: [
    { id: 2, name: "Laptop", count: 1200, aql: "objectType = Laptop" },
    { id: 3, name: "Server", count: 34, aql: "objectType = Server" },
  ],
  byStatus: [
    { id: 1, name: "Available", count: 1000, aql: "status = Available", category: "available" },
    { id: 4, name: "Retired", count: 234, aql: "status = Retired", category: "retired" },
  ],
  byLocation: BERLIN,
};

describe("the dashboard's chart data", () => {
  it("gives each bar its count and the AQL of its assets", () => {
    const type = typeChart(counts, en);
    expect(type.kind).toBe("bar");
    expect(type.horizontal).toBe(true);
    expect(type.labels).toEqual(["Laptop", "Server"]);
    expect(type.series[0]?.values).toEqual([1200, 34]);
    expect(type.targets[0]).toEqual(["objectType = Laptop", "objectType = Server"]);
    // Numbers in the summary follow the person's locale.
    expect(type.summary).toBe("Assets by type. Laptop: 1,200, Server: 34");
    expect(typeChart(counts, de).summary).toContain("Laptop: 1.200");
  });

  it("colours statuses by their category, whatever they are called", () => {
    const status = statusChart(counts, en);
    expect(status.kind).toBe("doughnut");
    expect(status.series[0]?.colors).toEqual([CATEGORY_TOKENS.available, CATEGORY_TOKENS.retired]);
    expect(status.targets[0]).toEqual(["status = Available", "status = Retired"]);
  });

  it("adds other places without a list, and the unplaced with theirs", () => {
    const location = locationChart(counts, en);
    expect(location?.labels).toEqual(["Berlin (IT-50)", "Other places", "Without a location"]);
    expect(location?.series[0]?.values).toEqual([700, 400, 134]);
    expect(location?.targets[0]).toEqual([
      '"Located in" = IT-50',
      null,
      'objectType IN (Laptop, Server) AND "Located in" IS EMPTY',
    ]);
    expect(locationChart({ ...counts, byLocation: null }, en)).toBeNull();
    const tidy = locationChart({ ...counts, byLocation: { ...BERLIN, other: 0, none: 0 } }, en);
    expect(tidy?.labels).toEqual(["Berlin (IT-50)"]);
  });

  it("puts created and retired side by side, month names in the person's language", () => {
    const trend: TrendReport = {
      months: [
        {
          month: "2026-11",
          created: 5,
          retired: 1,
          createdAql: "created in Nov",
          retiredAql: "retired in Nov",
        },
        {
          month: "2026-12",
          created: 7,
          retired: 0,
          createdAql: "created in Dec",
          retiredAql: "retired in Dec",
        },
      ],
    };
    const chart = trendChart(trend, en, "en-US");
    expect(chart.labels).toEqual(["Nov 2026", "Dec 2026"]);
    expect(chart.series.map((s) => s.label)).toEqual(["Created", "Retired"]);
    expect(chart.series[1]?.values).toEqual([1, 0]);
    expect(chart.targets).toEqual([
      ["created in Nov", "created in Dec"],
      ["retired in Nov", "retired in Dec"],
    ]);
    expect(monthLabel("2026-03", "de-DE")).toBe("März 2026");
    expect(monthLabel("garbage", "en-US")).toBe("garbage");
  });

  it("lists due dates per window and missing values per attribute", () => {
    expect(
      dueRows({
        dates: [
          {
            attributeId: 1,
            attribute: "Warranty end",
            windows: [
              { days: 30, count: 2, aql: "a" },
              { days: 60, count: 5, aql: "b" },
            ],
          },
        ],
      }),
    ).toEqual([
      { attribute: "Warranty end", days: 30, count: 2, aql: "a" },
      { attribute: "Warranty end", days: 60, count: 5, aql: "b" },
    ]);
    expect(
      qualityRows({
        missingRequired: [
          { attributeId: 4, attribute: "Serial", typeName: "Laptop", missing: 3, aql: "q" },
        ],
        outOfBounds: [
          {
            attributeId: 5,
            attribute: "RAM (GB)",
            typeName: "Laptop",
            rule: "max",
            bound: "8",
            count: 2,
            aql: '"RAM (GB)" > 8',
          },
        ],
        unlistedOptions: [
          {
            attributeId: 6,
            attribute: "Accessories",
            typeName: "Hardware",
            values: ["bag", "charger"],
            count: 4,
            aql: "Accessories IN (bag, charger)",
          },
        ],
        brokenPatterns: [
          {
            attributeId: 7,
            attribute: "Serial",
            typeName: "Hardware",
            pattern: "SN-[0-9]+",
            count: 5,
            aql: 'object HAVING brokenRule("Serial")',
          },
        ],
      }),
    ).toEqual([
      { text: "Laptop: Serial is required but missing", aql: "q", count: 3 },
      { text: "Laptop: RAM (GB) above its maximum 8", aql: '"RAM (GB)" > 8', count: 2 },
      {
        text: "Hardware: Accessories holds values no longer among its options (bag, charger)",
        aql: "Accessories IN (bag, charger)",
        count: 4,
      },
      {
        text: "Hardware: Serial does not match its pattern SN-[0-9]+",
        aql: 'object HAVING brokenRule("Serial")',
        count: 5,
      },
    ]);
  });

  it("shortens long axis labels only", () => {
    expect(axisLabel("Laptop")).toBe("Laptop");
    expect(axisLabel("Singapore office, floor 1 (IT-5)")).toBe("Singapore office, flo…");
    expect(axisLabel("Singapore office, floor 1 (IT-5)").length).toBe(22);
  });

  it("reads colours from the page, and falls back to grey without a stylesheet", () => {
    expect(resolveToken("--amj-chart-1", () => " #123456 ")).toBe("#123456");
    expect(resolveToken("--amj-chart-1", () => "")).toBe("grey");
  });
});
