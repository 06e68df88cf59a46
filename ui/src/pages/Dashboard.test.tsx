import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it, vi } from "vitest";
import { Api } from "../api";
import { formats } from "../format";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { Dashboard } from "./Dashboard";

// A test page has no canvas; the figures' lists are what these tests read.
vi.mock("../chartjs", () => ({
  draw: () => ({ destroy: () => {} }),
}));

const COUNTS = {
  total: 3,
  byType: [{ id: 2, name: "Laptop", count: 3, aql: "objectType = Laptop" }],
  byStatus: [{ id: 1, name: "In use", count: 3, aql: 'status = "In use"', category: "in_use" }],
  byLocation: null,
};

describe("the dashboard", () => {
  const root = mountRoot();

  it("opens the list of a slice, and keeps the other figures when one fails", async () => {
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/reports/IT/counts") {
        return { status: 200, body: COUNTS };
      }
      if (request.path.startsWith("/api/v1/reports/IT/trend")) {
        return {
          status: 200,
          body: {
            months: [
              { month: "2026-12", created: 3, retired: 0, createdAql: "c", retiredAql: "r" },
            ],
          },
        };
      }
      if (request.path === "/api/v1/reports/IT/due") {
        return {
          status: 200,
          body: {
            dates: [
              {
                attributeId: 5,
                attribute: "Warranty end",
                windows: [{ days: 30, count: 1, aql: "due30" }],
              },
            ],
          },
        };
      }
      return { status: 503, body: { error: { code: "unavailable", message: "try later" } } };
    });
    const opened: string[] = [];
    render(
      <Dashboard
        api={new Api(host)}
        schema="IT"
        schemaName="IT assets"
        locale="en-US"
        formats={formats("en-US", "UTC")}
        onOpen={(aql) => opened.push(aql)}
      />,
      root,
    );
    await until(() => root.querySelector("#amj-by-type [data-aql]") !== null);
    expect(root.querySelector("#amj-dashboard-total")?.textContent).toContain("3 assets");
    // The location card says who can turn it on, instead of an empty chart.
    expect(root.querySelector("#amj-by-location")?.textContent).toContain("Settings → Dashboard");
    await until(() => root.querySelector("#amj-quality [role=alert]") !== null);
    expect(root.querySelector("#amj-quality")?.textContent).toContain("try later");
    await until(() => root.querySelector("#amj-due [data-aql]") !== null);

    await act(async () => {
      root
        .querySelector<HTMLButtonElement>('#amj-by-type [data-aql="objectType = Laptop"]')
        ?.click();
    });
    await act(async () => {
      root.querySelector<HTMLButtonElement>("#amj-by-status [data-aql]")?.click();
    });
    await act(async () => {
      root.querySelector<HTMLButtonElement>("#amj-due [data-aql]")?.click();
    });
    expect(opened).toEqual(["objectType = Laptop", 'status = "In use"', "due30"]);
    expect(root.querySelector("#amj-due button")?.getAttribute("aria-label")).toBe(
      "Warranty end in the next 30 days: 1",
    );
  });
});
