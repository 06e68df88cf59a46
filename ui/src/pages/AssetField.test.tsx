import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api } from "../api";
import { formats } from "../format";
import type { ApiRequest, HostContext, HostField } from "../host/types";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import {
  AssetFieldConfig,
  AssetFieldEdit,
  AssetFieldView,
  fieldKeys,
  readScope,
} from "./AssetField";

function field(
  value: unknown,
  configuration: unknown = null,
): HostField & { submitted: unknown[] } {
  const submitted: unknown[] = [];
  return {
    id: "customfield_10100",
    value,
    configuration,
    submitted,
    async submit(payload: unknown) {
      submitted.push(payload);
    },
  };
}

function contextWith(f: HostField, page: HostContext["page"]): HostContext {
  return {
    platform: "forge",
    page,
    siteUrl: "https://acme.atlassian.net",
    accountId: "557058:amara",
    locale: "en-US",
    timeZone: "UTC",
    issue: { id: "10001", key: "AM-1" },
    field: f,
  };
}

const laptops = [
  { key: "IT-1", label: "Laptop alpha", status: { name: "In stock", category: "available" } },
  { key: "IT-2", label: "Laptop beta", status: { name: "In stock", category: "available" } },
];
const old = { key: "IT-9", label: "Old laptop", status: { name: "In use", category: "in_use" } };
const scope = { schema: "IT", aql: "objectType = Laptop" };

function candidates(request: ApiRequest) {
  const url = new URL(request.path, "https://x");
  if (url.pathname === "/api/v1/asset-field/assets") {
    const keys = (url.searchParams.get("keys") ?? "").split(",");
    return {
      status: 200,
      body: { scope, items: [...laptops, old].filter((a) => keys.includes(a.key)) },
    };
  }
  if (url.pathname !== "/api/v1/asset-field/candidates") {
    return { status: 404, body: { error: { code: "not_found", message: request.path } } };
  }
  const q = (url.searchParams.get("q") ?? "").toLowerCase();
  const items = laptops.filter((a) => q === "" || a.label.toLowerCase().includes(q));
  return { status: 200, body: { scope, items } };
}

const $ = (s: string) => document.querySelector(s) as HTMLElement;

describe("the Assets field", () => {
  const root = mountRoot();

  it("reads only lists of keys and saved scopes", () => {
    expect(fieldKeys(["IT-1", 2, "IT-3"])).toEqual(["IT-1", "IT-3"]);
    expect(fieldKeys(null)).toEqual([]);
    expect(fieldKeys("IT-1")).toEqual([]);
    expect(readScope({ schema: "IT", aql: " " })).toEqual({ schema: "IT" });
    expect(readScope({ schema: "IT", aql: "objectType = Laptop" })).toEqual({
      schema: "IT",
      aql: "objectType = Laptop",
    });
    expect(readScope({ aql: "x" })).toBeNull();
    expect(readScope(null)).toBeNull();
  });

  it("shows the chosen assets with their status and name, each opening the asset", async () => {
    const host = fakeHost(candidates);
    await act(() => {
      render(
        <AssetFieldView
          api={new Api(host)}
          host={host}
          context={contextWith(field(["IT-1", "IT-404"]), "field-view")}
          formats={formats("en-US", "UTC")}
        />,
        root,
      );
    });
    await until(() => $("#amj-field-view")?.dataset.state === "ready");
    expect(host.calls[0]?.path).toContain("keys=IT-1%2CIT-404");
    expect($("[data-key='IT-1']").textContent).toContain("Laptop alpha");
    expect($("[data-key='IT-404']").textContent).toBe("IT-404 (not among this field's assets)");
    await act(() => ($("[data-open='IT-1']") as HTMLButtonElement).click());
    expect(host.opened).toEqual(["asset:IT-1"]);
  });

  it("offers assets within the scope, adds and removes them, and submits the keys", async () => {
    const f = field(["IT-9"]);
    const host = fakeHost(candidates);
    await act(() => {
      render(
        <AssetFieldEdit
          api={new Api(host)}
          host={host}
          context={contextWith(f, "field-edit")}
          formats={formats("en-US", "UTC")}
        />,
        root,
      );
    });
    await until(() => $("#amj-field-offers") !== null);
    // The saved key is named, looked up within the field's scope.
    await until(() => $("#amj-field-chosen").textContent?.includes("Old laptop") === true);
    const lookup = host.calls.find((c) => c.path.startsWith("/api/v1/asset-field/assets"));
    expect(lookup?.path).toBe(
      "/api/v1/asset-field/assets?field=customfield_10100&keys=IT-9&issue=10001",
    );
    // The issue goes with the question: its context decides the scope.
    expect(host.calls.find((c) => c.path.includes("candidates"))?.path).toContain("issue=10001");
    const search = $("#amj-field-search") as HTMLInputElement;
    search.value = "beta";
    await act(() => {
      search.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await until(() => $("#amj-field-offers [data-key='IT-1']") === null);
    // Enter takes the first offer, and does not save the field half chosen.
    await act(() => {
      search.dispatchEvent(
        new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }),
      );
    });
    expect($("#amj-field-chosen").textContent).toContain("IT-2");
    expect(f.submitted).toEqual([]);
    expect(document.activeElement).toBe(search);
    await act(() => ($("[aria-label='Remove IT-9']") as HTMLButtonElement).click());
    expect(document.activeElement).toBe(search);
    await act(() => {
      $("#amj-field-edit").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    await until(() => f.submitted.length === 1);
    expect(f.submitted).toEqual([["IT-2"]]);
  });

  it("says when the admin has not set a scope", async () => {
    const host = fakeHost(() => ({
      status: 409,
      body: { error: { code: "field_not_configured", message: "no scope" } },
    }));
    await act(() => {
      render(
        <AssetFieldEdit
          api={new Api(host)}
          host={host}
          context={contextWith(field(null), "field-edit")}
          formats={formats("en-US", "UTC")}
        />,
        root,
      );
    });
    await until(() => $("#amj-field-problem") !== null);
    expect($("#amj-field-problem").textContent).toContain("A Jira admin sets");
    expect($("#amj-field-empty").textContent).toBe("No assets chosen.");
  });

  it("saves a scope only after its query ran, and names a query that does not", async () => {
    const f = field(null, { schema: "HR" });
    let aqlAsked = "";
    const host = fakeHost((request) => {
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
      const body = request.body as { aql: string; schema: string };
      aqlAsked = body.aql;
      if (body.aql.includes("nonsense")) {
        return {
          status: 400,
          body: { error: { code: "aql_invalid", message: "unknown attribute nonsense" } },
        };
      }
      return {
        status: 200,
        body: { schema: body.schema, items: [], nextCursor: null, total: 12, totalExact: true },
      };
    });
    await act(() => {
      render(
        <AssetFieldConfig
          api={new Api(host)}
          host={host}
          context={contextWith(f, "field-config")}
          formats={formats("en-US", "UTC")}
        />,
        root,
      );
    });
    await until(() => $("#amj-field-config") !== null);
    expect(($("#amj-field-schema") as HTMLSelectElement).value).toBe("HR");
    const aql = $("#amj-field-aql") as HTMLInputElement;
    const submit = async (text: string) => {
      aql.value = text;
      await act(() => {
        aql.dispatchEvent(new Event("input", { bubbles: true }));
      });
      await act(() => {
        $("#amj-field-config").dispatchEvent(
          new Event("submit", { bubbles: true, cancelable: true }),
        );
      });
    };
    await submit("nonsense = 1");
    await until(() => $("#amj-field-aql-error")?.hidden === false);
    expect($("#amj-field-aql-error").textContent).toContain("unknown attribute");
    expect(f.submitted).toEqual([]);
    await submit("objectType = Laptop");
    await until(() => f.submitted.length === 1);
    expect(aqlAsked).toBe("objectType = Laptop");
    expect(f.submitted).toEqual([{ configuration: { schema: "HR", aql: "objectType = Laptop" } }]);
    expect($("#amj-field-matches").textContent).toBe("12 assets match.");
  });
});
