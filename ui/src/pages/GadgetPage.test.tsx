import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api } from "../api";
import { formats } from "../format";
import type { HostContext } from "../host/types";
import { mountRoot, until } from "../testing/dom";
import { fakeGadget, fakeHost } from "../testing/fakeHost";
import { GadgetPage, readSettings } from "./GadgetPage";

const context: HostContext = {
  platform: "forge",
  page: "gadget",
  siteUrl: "https://acme.atlassian.net",
  accountId: null,
  locale: "en-US",
  timeZone: "UTC",
  issue: null,
};

const counts = {
  total: 7,
  byType: [{ id: 2, name: "Laptop", count: 7, aql: "objectType = Laptop" }],
  byStatus: [{ id: 1, name: "In use", category: "in_use", count: 7, aql: 'status = "In use"' }],
  byLocation: null,
};

describe("the dashboard gadget", () => {
  const root = mountRoot();
  const show = (host: ReturnType<typeof fakeHost>) =>
    act(() => {
      render(
        <GadgetPage
          api={new Api(host)}
          host={host}
          context={context}
          formats={formats("en-US", "UTC")}
        />,
        root,
      );
    });

  it("asks for its settings first, then shows one chart whose bars open the list", async () => {
    const gadget = fakeGadget();
    const host = fakeHost(
      (request) => {
        if (request.path === "/api/v1/schemas") {
          return {
            status: 200,
            body: {
              schemas: [
                { id: 1, key: "IT", name: "IT assets", description: "" },
                { id: 2, key: "HR", name: "People things", description: "" },
              ],
            },
          };
        }
        if (request.path === "/api/v1/reports/HR/counts") {
          return { status: 200, body: counts };
        }
        return { status: 404, body: { error: { code: "not_found", message: request.path } } };
      },
      undefined,
      gadget,
    );
    await show(host);
    const $ = (s: string) => document.querySelector(s) as HTMLElement;
    await until(() => $("#amj-gadget-form") !== null);
    const set = async (id: string, value: string) => {
      const select = $(id) as HTMLSelectElement;
      select.value = value;
      await act(() => {
        select.dispatchEvent(new Event("change", { bubbles: true }));
      });
    };
    await set("#amj-gadget-schema", "HR");
    await set("#amj-gadget-chart", "status");
    await act(() => {
      $("#amj-gadget-form").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    await until(() => $("#amj-gadget")?.dataset.state === "view");
    expect(gadget.saved).toEqual([{ schema: "HR", chart: "status" }]);
    expect($("#amj-gadget").dataset.chart).toBe("status");
    await until(() => document.querySelector("[data-aql='status = \"In use\"']") !== null);
    // Only the chart's own figures are asked for.
    expect(host.calls.map((c) => c.path)).toEqual(["/api/v1/schemas", "/api/v1/reports/HR/counts"]);
    expect($("h1").textContent).toBe("Assets by status: People things");
    await act(() => $("[data-aql='status = \"In use\"']").click());
    expect(host.opened).toEqual(["list:/?schema=HR&aql=status+%3D+%22In+use%22"]);

    // Jira's Configure brings the settings back, as they were.
    await act(() => gadget.edit());
    await until(() => $("#amj-gadget-form") !== null);
    expect(($("#amj-gadget-schema") as HTMLSelectElement).value).toBe("HR");
    expect(($("#amj-gadget-chart") as HTMLSelectElement).value).toBe("status");
  });

  it("shows saved settings at once, without asking", async () => {
    const host = fakeHost(
      (request) =>
        request.path === "/api/v1/reports/IT/trend?months=12"
          ? { status: 200, body: { months: [] } }
          : { status: 503, body: { error: { code: "unavailable", message: "down" } } },
      undefined,
      fakeGadget({ schema: "IT", chart: "trend" }),
    );
    await show(host);
    await until(() => document.querySelector("#amj-trend") !== null);
    expect(document.querySelector("#amj-gadget-form")).toBeNull();
    // The schemas could not be listed: the chart stays, named by the schema's key.
    expect(document.querySelector("h1")?.textContent).toBe("Created and retired per month: IT");
  });

  it("shows the form when Jira opened it to edit", async () => {
    const host = fakeHost(
      (request) =>
        request.path === "/api/v1/schemas"
          ? { status: 200, body: { schemas: [{ id: 1, key: "IT", name: "IT", description: "" }] } }
          : { status: 200, body: { months: [] } },
      undefined,
      fakeGadget({ schema: "IT", chart: "trend" }, true),
    );
    await show(host);
    await until(() => document.querySelector("#amj-gadget-form") !== null);
    expect((document.querySelector("#amj-gadget-chart") as HTMLSelectElement).value).toBe("trend");
  });

  it("points to Jira's Edit when its view cannot save (Forge) and nothing is set yet", async () => {
    const host = fakeHost(
      () => ({ status: 200, body: { schemas: [] } }),
      undefined,
      fakeGadget(null, false, false),
    );
    await show(host);
    await until(() => document.querySelector("#amj-gadget-unset") !== null);
    expect(document.querySelector("#amj-gadget-form")).toBeNull();
  });

  it("ignores settings it does not understand", () => {
    expect(readSettings({ schema: "IT", chart: "type" })).toEqual({ schema: "IT", chart: "type" });
    expect(readSettings({ schema: "IT", chart: "pie" })).toBeNull();
    expect(readSettings({ chart: "type" })).toBeNull();
    expect(readSettings("IT")).toBeNull();
    expect(readSettings(null)).toBeNull();
  });
});
