import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type Asset, type AssetType, type AttributeDef } from "../api";
import type { ApiRequest, ApiResponse } from "../host/types";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { AssetForm, fromDraft, toDraft } from "./AssetForm";

const attr = (
  id: number,
  name: string,
  kind: AttributeDef["kind"],
  extra: Partial<AttributeDef> = {},
): AttributeDef => ({
  id,
  typeId: 2,
  name,
  kind,
  required: false,
  unique: false,
  ...extra,
});

const laptop: AssetType = {
  id: 2,
  name: "Laptop",
  parentId: 1,
  isAbstract: false,
  attributes: [
    attr(1, "Name", "text", { required: true }),
    attr(2, "RAM (GB)", "integer"),
    attr(3, "Encrypted", "boolean"),
    attr(4, "Size", "select", { options: ["13", "15"] }),
    attr(5, "Bought", "date"),
  ],
};
const hardware: AssetType = {
  id: 1,
  name: "Hardware",
  parentId: null,
  isAbstract: true,
  attributes: [],
};

const it1: Asset = {
  key: "IT-1",
  id: 1,
  label: "Ada's laptop",
  schema: "IT",
  type: { id: 2, name: "Laptop" },
  status: { id: 7, name: "In use", category: "in_use" },
  attributes: { Name: "Ada's laptop", "RAM (GB)": 16, Encrypted: true, Size: "13" },
  version: 3,
  archived: false,
  created: { at: null, by: "x" },
  updated: { at: "2026-12-06T10:00:00Z", by: "557058:bob" },
};

function server(onWrite: (request: ApiRequest) => ApiResponse) {
  return (request: ApiRequest): ApiResponse => {
    if (request.path === "/api/v1/schemas/IT/types") {
      return { status: 200, body: { types: [hardware, laptop] } };
    }
    if (request.path === "/api/v1/jira/users/bulk?accountIds=557058%3Abob") {
      return {
        status: 200,
        body: { items: [{ accountId: "557058:bob", displayName: "Bob Builder" }] },
      };
    }
    if (request.path === "/api/v1/schemas/IT/statuses") {
      return {
        status: 200,
        body: {
          statuses: [
            { id: 6, name: "In stock", category: "available" },
            { id: 7, name: "In use", category: "in_use" },
          ],
        },
      };
    }
    if (request.method === "GET" && request.path === "/api/v1/assets/IT-1") {
      return {
        status: 200,
        body: { ...it1, version: 4, attributes: { ...it1.attributes, "RAM (GB)": 32 } },
      };
    }
    return onWrite(request);
  };
}

const $ = (selector: string) => document.querySelector(selector) as HTMLInputElement;

async function type(selector: string, value: string) {
  const input = $(selector);
  input.value = value;
  await act(() => {
    input.dispatchEvent(
      new Event(input.tagName === "SELECT" ? "change" : "input", { bubbles: true }),
    );
  });
}

describe("the asset form", () => {
  const root = mountRoot();

  it("creates an asset of a concrete type with values of their kinds, and places field errors", async () => {
    let attempts = 0;
    const saved: Asset[] = [];
    const host = fakeHost(
      server(() => {
        attempts += 1;
        if (attempts === 1) {
          return {
            status: 400,
            body: {
              error: {
                code: "invalid",
                message: "bad",
                details: [{ field: "attributes.Name", message: "Name is required" }],
              },
            },
          };
        }
        return { status: 201, body: { ...it1, key: "IT-2" } };
      }),
    );
    await act(() =>
      render(
        <AssetForm
          api={new Api(host)}
          schema="IT"
          onSaved={(a) => saved.push(a)}
          onCancel={() => {}}
        />,
        root,
      ),
    );
    await until(() => document.querySelector("#amj-field-0") !== null);
    // Abstract types hold no assets, so they are not offered.
    expect(
      [...document.querySelectorAll("#amj-form-type option")].map((o) => o.textContent),
    ).toEqual(["Laptop"]);

    await act(() => {
      $("#amj-asset-form").dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
    });
    await until(() => !$("#amj-field-0-error").hidden);
    expect($("#amj-field-0-error").textContent).toBe("Name is required");
    expect($("#amj-field-0").getAttribute("aria-invalid")).toBe("true");

    await type("#amj-field-0", "Grace's laptop");
    await type("#amj-field-1", "32");
    await act(() => $("#amj-field-2").click());
    await type("#amj-field-3", "15");
    await type("#amj-field-4", "2026-12-01");
    await act(() => {
      $("#amj-asset-form").dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
    });
    await until(() => saved.length === 1);
    const sent = host.calls.filter((c) => c.method === "POST").pop();
    expect(sent?.body).toEqual({
      type: 2,
      status: 6,
      attributes: {
        Name: "Grace's laptop",
        "RAM (GB)": 32,
        Encrypted: true,
        Size: "15",
        Bought: "2026-12-01",
      },
    });
  });

  it("explains a concurrent change and overwrites with the newer version when asked", async () => {
    const saved: Asset[] = [];
    const host = fakeHost(
      server((request) => {
        const { version } = request.body as { version: number };
        return version === 3
          ? {
              status: 409,
              body: { error: { code: "stale_version", message: "someone changed it" } },
            }
          : { status: 200, body: { ...it1, version: 5 } };
      }),
    );
    await act(() =>
      render(
        <AssetForm
          api={new Api(host)}
          schema="IT"
          asset={it1}
          onSaved={(a) => saved.push(a)}
          onCancel={() => {}}
        />,
        root,
      ),
    );
    await until(() => $("#amj-field-1")?.value === "16");
    expect(($("#amj-field-2") as HTMLInputElement).checked).toBe(true);
    await type("#amj-field-1", "24");
    await act(() => {
      $("#amj-asset-form").dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
    });
    await until(() => document.querySelector("#amj-conflict") !== null);
    // People are named as Jira knows them, never by accountId.
    await until(() => $("#amj-conflict").textContent?.includes("changed by Bob Builder") ?? false);
    expect($("#amj-conflict").textContent).not.toContain("557058");
    await act(() => $("#amj-conflict-overwrite").click());
    await until(() => saved.length === 1);
    const puts = host.calls
      .filter((c) => c.method === "PUT")
      .map((c) => c.body as { version: number; attributes: Record<string, unknown> });
    expect(puts.map((p) => p.version)).toEqual([3, 4]);
    expect(puts[1]?.attributes["RAM (GB)"]).toBe(24);
  });
});

describe("form values", () => {
  it("round-trip each kind between the API and the controls", () => {
    const when = "2026-12-06T10:30:00.000Z";
    const datetime = attr(9, "Seen", "datetime");
    expect(fromDraft(datetime, toDraft(datetime, when))).toBe(when);
    const refs = attr(10, "Runs on", "reference", { max: null });
    expect(toDraft(refs, ["IT-1", "IT-2"])).toBe("IT-1, IT-2");
    expect(fromDraft(refs, " IT-1 ,IT-2,, ")).toEqual(["IT-1", "IT-2"]);
    const one = attr(11, "Host", "reference", { max: 1 });
    expect(fromDraft(one, "IT-1")).toBe("IT-1");
    expect(fromDraft(attr(12, "RAM", "integer"), "")).toBeUndefined();
    expect(fromDraft(attr(12, "RAM", "integer"), "abc")).toBe("abc");
    const tags = attr(13, "Tags", "select", { options: ["a", "b"], multiple: true });
    expect(toDraft(tags, ["a"])).toEqual(["a"]);
    expect(fromDraft(tags, [])).toBeUndefined();
  });
});
