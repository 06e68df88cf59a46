import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type Asset } from "../api";
import { formats } from "../format";
import type { ApiRequest, ApiResponse } from "../host/types";
import { mountRoot, until } from "../testing/dom";
import { fakeHistory, fakeHost } from "../testing/fakeHost";
import { historyText } from "./AssetDetail";
import { AssetsPage } from "./AssetsPage";

const asset = (n: number): Asset => ({
  key: `IT-${n}`,
  id: n,
  label: `Laptop ${n}`,
  schema: "IT",
  type: { name: "Laptop" },
  status: { name: "In use", category: "in_use" },
  attributes: { "Serial number": `SN-${n}`, Owner: { displayName: "Ada Lovelace" } },
  version: 1,
  archived: false,
  created: { at: "2026-12-01T09:00:00Z", by: "app" },
  updated: { at: "2026-12-06T23:30:00Z", by: "app" },
});

function server(answer?: (request: ApiRequest) => ApiResponse | undefined) {
  return (request: ApiRequest): ApiResponse => {
    const special = answer?.(request);
    if (special) {
      return special;
    }
    if (request.path === "/api/v1/schemas") {
      return {
        status: 200,
        body: { schemas: [{ id: 1, key: "IT", name: "IT assets", description: "" }] },
      };
    }
    if (request.path === "/api/v1/assets/query") {
      const { aql, cursor } = request.body as { aql: string; cursor?: string };
      if (aql === "objectType = Laptp") {
        return {
          status: 400,
          body: {
            error: { code: "aql_invalid", message: "bad", aql: { excerpt: "no type Laptp" } },
          },
        };
      }
      return cursor
        ? {
            status: 200,
            body: {
              schema: "IT",
              items: [asset(3)],
              nextCursor: null,
              total: null,
              totalExact: null,
            },
          }
        : {
            status: 200,
            body: {
              schema: "IT",
              items: [asset(1), asset(2)],
              nextCursor: "c2",
              total: 1234,
              totalExact: true,
            },
          };
    }
    if (request.path === "/api/v1/assets/IT-2") {
      return { status: 200, body: asset(2) };
    }
    if (request.path === "/api/v1/assets/IT-2/issues") {
      return {
        status: 200,
        body: {
          items: [
            {
              issueId: 10001,
              issueKey: "AM-1",
              issueSummary: "New laptop",
              linkedAt: 0,
              linkedBy: "x",
            },
          ],
        },
      };
    }
    if (request.path === "/api/v1/assets/IT-2/history") {
      return {
        status: 200,
        body: {
          items: [
            {
              id: 2,
              at: "2026-12-02T10:00:00Z",
              actor: "x",
              kind: "status_changed",
              old: "In stock",
              new: "In use",
            },
          ],
        },
      };
    }
    return { status: 404, body: { error: { code: "not_found", message: `no ${request.path}` } } };
  };
}

const $ = (selector: string) => document.querySelector(selector) as HTMLElement;
const rows = () => [...document.querySelectorAll("#amj-rows tbody tr")].map((r) => r.textContent);

describe("the asset list", () => {
  const root = mountRoot();

  const show = (host: ReturnType<typeof fakeHost>) =>
    act(() =>
      render(
        <AssetsPage api={new Api(host)} host={host} formats={formats("de-DE", "Europe/Berlin")} />,
        root,
      ),
    );

  it("lists, counts in the viewer's locale, pages on, and explains a bad query", async () => {
    const host = fakeHost(server());
    await show(host);
    await until(() => $("#amj-assets")?.dataset.state === "ready" && rows().length === 2);
    expect($("#amj-count").textContent).toBe("1.234 assets; 2 shown");
    // Updated 23:30 UTC is the next day in Berlin.
    expect(rows()[0]).toContain("07.12.2026");

    await act(() => $("#amj-more").click());
    await until(() => rows().length === 3);
    expect(document.querySelector("#amj-more")).toBeNull();
    const paged = host.calls.find((c) => (c.body as { cursor?: string } | undefined)?.cursor);
    expect(paged?.body).toEqual({ aql: "", schema: "IT", limit: 50, cursor: "c2" });

    const input = $("#amj-aql") as HTMLInputElement;
    input.value = "objectType = Laptp";
    await act(() => {
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(() => {
      $("#amj-search").dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
    });
    await until(() => !$("#amj-aql-error").hidden);
    expect($("#amj-aql-error").textContent).toBe("no type Laptp");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(rows().length).toBe(3);
  });

  it("opens an asset with its values, issues and history, and goes back to its row", async () => {
    await show(fakeHost(server()));
    await until(() => rows().length === 2);
    await act(() => $("[data-open='IT-2']").click());
    await until(() => document.querySelector("#amj-detail") !== null);
    expect($("#amj-assets").dataset.state).toBe("detail");
    expect($("#amj-detail-title").textContent).toContain("Laptop 2");
    expect($("#amj-detail-attributes").textContent).toContain("SN-2");
    expect($("#amj-detail-attributes").textContent).toContain("Ada Lovelace");
    expect($("#amj-detail-issues").textContent).toContain("AM-1");
    expect($("#amj-detail-history").textContent).toContain("Status: In stock → In use.");
    expect(document.activeElement?.id).toBe("amj-detail-title");

    await act(() => $("#amj-back").click());
    await until(() => $("#amj-assets")?.dataset.state === "ready");
    expect(document.activeElement?.getAttribute("data-open")).toBe("IT-2");
  });

  it("keeps the opened asset in the host URL, follows back and forward, and opens issues in Jira", async () => {
    const host = fakeHost(server(), fakeHistory("/asset/IT-2"));
    await show(host);
    // A reload or shared link of /asset/IT-2 lands on the asset.
    await until(() => document.querySelector("#amj-detail") !== null);
    expect($("#amj-detail-title").textContent).toContain("Laptop 2");
    await act(() => $("[data-issue='AM-1']").click());
    expect(host.opened).toEqual(["issue:AM-1"]);

    await act(() => $("#amj-back").click());
    await until(() => $("#amj-assets")?.dataset.state === "ready" && rows().length === 2);
    expect(host.historyOf.pushed).toEqual(["/"]);
    await act(() => $("[data-open='IT-2']").click());
    expect(host.historyOf.pushed).toEqual(["/", "/asset/IT-2"]);
    // The browser's back button closes it again.
    await act(() => host.historyOf.back("/"));
    await until(() => $("#amj-assets")?.dataset.state === "ready");
    await act(() => host.historyOf.back("/asset/IT-2"));
    await until(() => document.querySelector("#amj-detail") !== null);
  });

  it("says what to do on a site with no schema, and offers a retry when the server fails", async () => {
    await show(
      fakeHost(
        server((r) =>
          r.path === "/api/v1/schemas" ? { status: 200, body: { schemas: [] } } : undefined,
        ),
      ),
    );
    await until(() => $("#amj-assets")?.dataset.state === "empty");
    expect(root.textContent).toContain("No assets yet");
    render(null, root);

    let down = true;
    await show(
      fakeHost(
        server((r) =>
          down && r.path === "/api/v1/assets/query"
            ? {
                status: 503,
                body: {
                  error: { code: "database_unavailable", message: "The database is unavailable" },
                },
              }
            : undefined,
        ),
      ),
    );
    await until(() => document.querySelector("#amj-error") !== null);
    expect($("#amj-error-text").textContent).toBe("Could not search: The database is unavailable.");
    down = false;
    await act(() => $("#amj-retry").click());
    await until(() => rows().length === 2);
    expect(document.querySelector("#amj-error")).toBeNull();
  });

  it("changes the status of the selected assets at once, and explains a concurrent change", async () => {
    let stale = true;
    const host = fakeHost(
      server((r) => {
        if (r.path === "/api/v1/schemas/IT/statuses") {
          return {
            status: 200,
            body: {
              statuses: [
                { id: 6, name: "In stock", category: "available" },
                { id: 9, name: "Retired", category: "retired" },
              ],
            },
          };
        }
        if (r.method === "PATCH") {
          return stale
            ? { status: 409, body: { error: { code: "stale_version", message: "changed" } } }
            : { status: 200, body: { items: [] } };
        }
        return undefined;
      }),
    );
    await show(host);
    await until(() => rows().length === 2);
    expect(document.querySelector("#amj-bulk")).toBeNull();
    await act(() => ($("input[aria-label='Select IT-1']") as HTMLInputElement).click());
    await act(() => ($("input[aria-label='Select IT-2']") as HTMLInputElement).click());
    await until(() => ($("#amj-bulk-status") as HTMLSelectElement)?.options.length === 2);
    expect($("#amj-selected-count").textContent).toBe("2 assets selected");
    expect(($("#amj-select-all") as HTMLInputElement).checked).toBe(true);
    const status = $("#amj-bulk-status") as HTMLSelectElement;
    status.value = "9";
    await act(() => {
      status.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await act(() => $("#amj-bulk-apply").click());
    await until(() => document.querySelector("#amj-bulk-error") !== null);
    expect($("#amj-bulk-error").textContent).toContain("nothing was changed");

    stale = false;
    await act(() => $("#amj-bulk-apply").click());
    await until(
      () => $("#amj-bulk-result").textContent === "Changed the status of 2 assets to Retired.",
    );
    const patch = host.calls.filter((c) => c.method === "PATCH").pop();
    expect(patch?.path).toBe("/api/v1/schemas/IT/assets/bulk");
    expect(patch?.body).toEqual({
      items: [
        { key: "IT-1", version: 1, status: 9 },
        { key: "IT-2", version: 1, status: 9 },
      ],
    });
    // The list is read again and the selection cleared.
    await until(() => document.querySelector("#amj-bulk") === null);
  });

  it("reads every kind of history entry", () => {
    const base = { id: 1, at: null, actor: "x" };
    expect(historyText({ ...base, kind: "created" })).toBe("Created.");
    expect(
      historyText({ ...base, kind: "attribute_changed", attribute: "RAM", old: null, new: 16 }),
    ).toBe("RAM: (empty) → 16.");
    expect(historyText({ ...base, kind: "linked", issueKey: "AM-1" })).toBe("Linked to AM-1.");
    expect(historyText({ ...base, kind: "archived" })).toBe("archived");
  });
});
