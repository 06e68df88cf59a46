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
  type: { id: 2, name: "Laptop" },
  status: { name: "In use", category: "in_use" },
  attributes: { "Serial number": `SN-${n}`, Owner: "557058:ada" },
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
    if (request.path.startsWith("/api/v1/jira/users/bulk?accountIds=")) {
      const asked = decodeURIComponent(request.path.split("=")[1] ?? "").split(",");
      const ada = {
        accountId: "557058:ada",
        displayName: "Ada Lovelace",
        avatarUrl: "https://a/ada",
      };
      return { status: 200, body: { items: asked.includes(ada.accountId) ? [ada] : [] } };
    }
    if (request.path === "/api/v1/schemas/IT/types") {
      return {
        status: 200,
        body: {
          types: [
            { id: 1, name: "Hardware", parentId: null, isAbstract: true, attributes: [] },
            {
              id: 2,
              name: "Laptop",
              parentId: 1,
              isAbstract: false,
              attributes: [
                {
                  id: 5,
                  typeId: 2,
                  name: "Serial number",
                  kind: "text",
                  required: true,
                  unique: true,
                },
                {
                  id: 6,
                  typeId: 2,
                  name: "Owner",
                  kind: "jira_user",
                  required: false,
                  unique: false,
                },
              ],
            },
          ],
        },
      };
    }
    if (request.path.startsWith("/api/v1/aql/validate?")) {
      const aql = new URLSearchParams(request.path.split("?")[1]).get("aql") ?? "";
      const partial = /objectType = (\w*)$/.exec(aql);
      return {
        status: 200,
        body: {
          valid: !aql.includes("Laptp") && !partial?.[1]?.startsWith("Lap"),
          error: aql.includes("Laptp")
            ? {
                message: "no type",
                line: 1,
                column: 14,
                offset: 13,
                excerpt: "no type Laptp; did you mean Laptop?",
              }
            : null,
          completions: {
            replaceStart: partial ? aql.length - (partial[1]?.length ?? 0) : aql.length,
            replaceEnd: aql.length,
            items: partial ? [{ label: "Laptop", insert: "Laptop", kind: "type" }] : [],
          },
        },
      };
    }
    if (request.path.endsWith("/references")) {
      return {
        status: 200,
        body: {
          outbound: [
            {
              attribute: "Dock",
              referenceType: "connects to",
              key: "IT-9",
              label: "Dock 9",
              archived: false,
            },
          ],
          inbound: [],
          nextInboundCursor: null,
        },
      };
    }
    if (request.path === "/api/v1/assets/IT-2") {
      return { status: 200, body: asset(2) };
    }
    if (request.path === "/api/v1/schemas/IT/statuses") {
      return { status: 200, body: { statuses: [] } };
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
const rows = () => [...document.querySelectorAll("#amj-rows tr")].map((r) => r.textContent);
const headers = () => [...document.querySelectorAll("#amj-head th")].map((h) => h.textContent);

async function type(text: string) {
  const input = $("#amj-aql") as HTMLInputElement;
  input.value = text;
  input.setSelectionRange(text.length, text.length);
  await act(() => {
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

function key(target: HTMLElement, name: string) {
  target.dispatchEvent(
    new KeyboardEvent("keydown", { key: name, bubbles: true, cancelable: true }),
  );
}

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
    expect($("#amj-count").textContent).toBe("1–2 of 1.234");
    expect(host.calls.some((c) => c.path === "/api/v1/schemas/IT/types")).toBe(true);
    expect(headers()).toEqual(["", "Key", "Label", "Type", "Status", "Serial number", "Owner"]);
    expect(rows()[0]).toContain("SN-1");
    await until(() => rows()[0]?.includes("Ada Lovelace") === true);
    expect(
      (document.querySelector("[data-account='557058:ada'] img") as HTMLImageElement).src,
    ).toBe("https://a/ada");

    await act(() => $("#amj-next").click());
    await until(() => rows().length === 1);
    expect($("#amj-count").textContent).toBe("51–51 of 1.234");
    expect(($("#amj-next") as HTMLButtonElement).disabled).toBe(true);
    const paged = host.calls.find((c) => (c.body as { cursor?: string } | undefined)?.cursor);
    expect(paged?.body).toEqual({ aql: "", schema: "IT", limit: 50, cursor: "c2" });
    await act(() => $("#amj-prev").click());
    await until(() => rows().length === 2);

    await type("objectType = Laptp");
    await act(() => {
      $("#amj-search").dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
    });
    await until(() => $("#amj-assets")?.dataset.state === "invalid");
    expect($("#amj-aql-error").textContent).toBe("no type Laptp");
    expect($("#amj-aql").getAttribute("aria-invalid")).toBe("true");
    expect(rows().length).toBe(2);
  });

  it("jumps to the search with / from anywhere but a field", async () => {
    await show(fakeHost(server()));
    await until(() => rows().length === 2);
    const row = $("#amj-rows tr[data-key='IT-1']");
    row.focus();
    await act(() => key(row, "/"));
    expect(document.activeElement?.id).toBe("amj-aql");
    // Typed into a field, / is just a character.
    const value = $("#amj-aql") as HTMLInputElement;
    const typed = new KeyboardEvent("keydown", { key: "/", bubbles: true, cancelable: true });
    value.dispatchEvent(typed);
    expect(typed.defaultPrevented).toBe(false);
  });

  it("suggests while typing and takes a suggestion by keyboard", async () => {
    const host = fakeHost(server());
    await show(host);
    await until(() => rows().length === 2);
    const input = $("#amj-aql") as HTMLInputElement;
    input.focus();
    await type("objectType = Lap");
    await until(() => !$("#amj-completions").hidden);
    expect($("#amj-completions").textContent).toContain("Laptop");
    expect(input.getAttribute("aria-expanded")).toBe("true");
    await act(() => key(input, "ArrowDown"));
    expect(input.getAttribute("aria-activedescendant")).toBe("amj-completion-0");
    await act(() => key(input, "Enter"));
    expect(input.value).toBe("objectType = Laptop ");
    await until(() => $("#amj-completions").hidden);
    // Enter with nothing suggested searches.
    await act(() => key(input, "Enter"));
    await until(() =>
      host.calls.some(
        (c) => (c.body as { aql?: string } | undefined)?.aql === "objectType = Laptop",
      ),
    );
  });

  it("filters by the type tree, sorts by a header, keeps both in the host URL, and remembers columns", async () => {
    window.localStorage.clear();
    const host = fakeHost(server());
    await show(host);
    await until(() => rows().length === 2);
    await act(() => $("#amj-type-tree [data-type='Laptop']").click());
    await until(() => host.historyOf.pushed.length === 1);
    expect(host.historyOf.pushed[0]).toBe("/?schema=IT&type=Laptop");
    expect($("#amj-type-tree [data-type='Laptop']").getAttribute("aria-current")).toBe("true");
    expect($("h1").textContent).toBe("Laptop");
    await until(() => rows().length === 2);
    await act(() => $("#Key-sort").click());
    await until(() => document.querySelector("th[aria-sort=ascending]") !== null);
    const last = host.calls.filter((c) => c.path === "/api/v1/assets/query").pop();
    expect((last?.body as { aql: string }).aql).toBe("objectType = Laptop ORDER BY Key ASC");
    expect(host.historyOf.pushed.pop()).toBe("/?schema=IT&type=Laptop&sort=Key+ASC");

    // The column chooser: a choice shows at once and is kept for the schema.
    const owner = [...document.querySelectorAll("#amj-column-list label")].find(
      (l) => l.textContent === "Owner",
    ) as HTMLLabelElement;
    await act(() => ($(`#${owner.htmlFor}`) as HTMLInputElement).click());
    expect(headers()).not.toContain("Owner");
    expect(JSON.parse(window.localStorage.getItem("amj.columns.IT") ?? "[]")).not.toContain(
      "Owner",
    );
    render(null, root);
    await show(fakeHost(server(), fakeHistory("/?schema=IT&aql=Owner%20%3D%20x")));
    await until(() => rows().length === 2);
    expect(headers()).not.toContain("Owner");
    // A shared link's query is searched and shown in the box.
    expect(($("#amj-aql") as HTMLInputElement).value).toBe("Owner = x");
  });

  it("opens an asset with its values, issues and history, and goes back to its row", async () => {
    await show(fakeHost(server()));
    await until(() => rows().length === 2);
    await act(() => $("[data-open='IT-2']").click());
    await until(() => document.querySelector("#amj-detail") !== null);
    expect($("#amj-assets").dataset.state).toBe("detail");
    expect($("#amj-detail-title").textContent).toContain("Laptop 2");
    expect($("#amj-detail-attributes").textContent).toContain("SN-2");
    await until(() => $("#amj-detail-attributes").textContent?.includes("Ada Lovelace") === true);
    expect($("#amj-detail-issues").textContent).toContain("AM-1");
    expect($("#amj-detail-history").textContent).toContain("Status: In stock → In use.");
    expect(document.activeElement?.id).toBe("amj-detail-title");
    expect($("#amj-detail-references").textContent).toContain("Refers to");
    expect($("#amj-detail-references").textContent).toContain("Dock 9");

    await act(() => $("#amj-back").click());
    await until(() => $("#amj-assets")?.dataset.state === "ready");
    expect(document.activeElement?.getAttribute("data-key")).toBe("IT-2");
  });

  it("moves through the rows with the keyboard: one tab stop, arrows, Space selects, Enter opens", async () => {
    const host = fakeHost(server());
    await show(host);
    await until(() => rows().length === 2);
    const row = (key: string) => $(`#amj-rows tr[data-key='${key}']`);
    // One row is the grid's only tab stop; the boxes and links inside are not.
    expect(row("IT-1").tabIndex).toBe(0);
    expect(row("IT-2").tabIndex).toBe(-1);
    expect(($("input[aria-label='Select IT-1']") as HTMLInputElement).tabIndex).toBe(-1);
    row("IT-1").focus();
    await act(() => key(row("IT-1"), "ArrowDown"));
    expect(document.activeElement).toBe(row("IT-2"));
    expect(row("IT-2").tabIndex).toBe(0);
    expect(row("IT-1").tabIndex).toBe(-1);
    await act(() => key(row("IT-2"), " "));
    expect($("#amj-selected-count").textContent).toBe("1 asset selected");
    expect(row("IT-2").getAttribute("aria-selected")).toBe("true");
    await act(() => key(row("IT-2"), "Home"));
    expect(document.activeElement).toBe(row("IT-1"));
    await act(() => key(row("IT-1"), "End"));
    await act(() => key(row("IT-2"), "Enter"));
    await until(() => $("#amj-assets")?.dataset.state === "detail");
    expect(host.historyOf.pushed.pop()).toBe("/asset/IT-2");
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
    expect(host.historyOf.pushed).toEqual(["/?schema=IT"]);
    await act(() => $("[data-open='IT-2']").click());
    expect(host.historyOf.pushed).toEqual(["/?schema=IT", "/asset/IT-2"]);
    // The browser's back button closes it again.
    await act(() => host.historyOf.back("/?schema=IT"));
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

  it("selects every match of the query, not just the page, and sets an attribute on all of them", async () => {
    const host = fakeHost(
      server((r) => {
        if (r.path === "/api/v1/schemas/IT/statuses") {
          return {
            status: 200,
            body: { statuses: [{ id: 6, name: "In stock", category: "available" }] },
          };
        }
        if (r.path === "/api/v1/schemas/IT/assets/bulk-edit") {
          return { status: 200, body: { items: [] } };
        }
        return undefined;
      }),
    );
    await show(host);
    await until(() => rows().length === 2);
    await act(() => ($("#amj-select-all") as HTMLInputElement).click());
    await until(() => document.querySelector("#amj-select-matches") !== null);
    expect($("#amj-select-matches").textContent).toBe("Select all 1.234 assets that match");
    await act(() => $("#amj-select-matches").click());
    expect($("#amj-selected-count").textContent).toBe("All 1.234 assets that match are selected");
    expect(document.querySelector("#amj-bulk-archive")).toBeNull();

    const attribute = $("#amj-bulk-attr") as HTMLSelectElement;
    attribute.value = "Serial number";
    await act(() => {
      attribute.dispatchEvent(new Event("change", { bubbles: true }));
    });
    const value = $("#amj-bulk-value") as HTMLInputElement;
    value.value = "SN-NEW";
    await act(() => {
      value.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(() => $("#amj-bulk-set").click());
    await until(
      () => $("#amj-bulk-result").textContent === "Set Serial number to SN-NEW on 1.234 assets.",
    );
    const edit = host.calls.find((c) => c.path === "/api/v1/schemas/IT/assets/bulk-edit");
    expect(edit?.body).toEqual({
      aql: "",
      expected: 1234,
      attributes: { "Serial number": "SN-NEW" },
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
