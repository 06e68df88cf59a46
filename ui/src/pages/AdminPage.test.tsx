import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type AssetType } from "../api";
import { formats } from "../format";
import type { ApiRequest, ApiResponse } from "../host/types";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { AdminPage, typeTree } from "./AdminPage";

/** A site with nothing yet, as a Forge-first site starts. */
function emptySite() {
  const schemas: { id: number; key: string; name: string; description: string }[] = [];
  const types: AssetType[] = [];
  const statuses: { id: number; name: string; category: string }[] = [];
  const tokens: {
    id: number;
    name: string;
    prefix: string;
    readOnly: boolean;
    revokedAt: null | number;
  }[] = [];
  let next = 1;
  return (request: ApiRequest): ApiResponse => {
    const body = request.body as Record<string, unknown>;
    const route = `${request.method} ${request.path}`;
    switch (route) {
      case "GET /api/v1/schemas":
        return { status: 200, body: { schemas } };
      case "POST /api/v1/schemas":
        if (!/^[A-Z][A-Z0-9]{1,9}$/.test(String(body.key))) {
          return {
            status: 400,
            body: {
              error: {
                code: "invalid",
                message: "bad",
                details: [{ field: "key", rule: "format", message: "2–10 capitals" }],
              },
            },
          };
        }
        schemas.push({
          id: next++,
          key: String(body.key),
          name: String(body.name),
          description: "",
        });
        return { status: 201, body: schemas[schemas.length - 1] };
      case "GET /api/v1/schemas/IT/types":
        return { status: 200, body: { types } };
      case "POST /api/v1/schemas/IT/types":
        types.push({
          id: next++,
          name: String(body.name),
          parentId: (body.parentId as number) ?? null,
          isAbstract: Boolean(body.isAbstract),
          attributes: [],
        });
        return { status: 201, body: types[types.length - 1] };
      case "GET /api/v1/schemas/IT/statuses":
        return { status: 200, body: { statuses } };
      case "POST /api/v1/schemas/IT/statuses":
        statuses.push({ id: next++, name: String(body.name), category: String(body.category) });
        return { status: 201, body: statuses[statuses.length - 1] };
      case "GET /api/v1/tokens":
        return { status: 200, body: { items: tokens } };
      case "POST /api/v1/tokens":
        tokens.push({
          id: next++,
          name: String(body.name),
          prefix: "amj_ab",
          readOnly: Boolean(body.readOnly),
          revokedAt: null,
        });
        return { status: 201, body: { ...tokens[tokens.length - 1], token: "amj_abcdef123" } };
      case "GET /api/v1/admin/connection":
        return {
          status: 200,
          body: {
            platform: "forge",
            siteUrl: "https://acme.atlassian.net",
            installedAt: "2026-12-01T10:00:00Z",
            lastRotationAt: null,
            lastSuccessAt: null,
            failures: [{ reason: "expired", count: 1200 }],
            events: [
              { at: "2026-12-01T10:00:00Z", kind: "forge_first_seen", detail: "provisioned" },
            ],
            installations: [
              {
                id: "ari:cloud:ecosystem::installation/1",
                tokenExpiresAt: null,
                lastEventAt: null,
                lastTriggerAt: null,
                dormantAt: null,
                dormantReason: null,
              },
            ],
          },
        };
    }
    const attribute = request.path.match(/^\/api\/v1\/schemas\/IT\/types\/(\d+)\/attributes$/);
    if (request.method === "POST" && attribute) {
      const type = types.find((t) => t.id === Number(attribute[1]));
      type?.attributes.push({
        id: next++,
        typeId: type.id,
        name: String(body.name),
        kind: body.kind as "text",
        required: Boolean(body.required),
        unique: false,
        options: body.options as string[],
        multiple: Boolean(body.multiple),
      });
      return { status: 201, body: {} };
    }
    const attributeItem = request.path.match(/^\/api\/v1\/schemas\/IT\/attributes\/(\d+)$/);
    if (request.method === "PUT" && attributeItem) {
      for (const type of types) {
        const index = type.attributes.findIndex((a) => a.id === Number(attributeItem[1]));
        const current = type.attributes[index];
        if (current) {
          type.attributes[index] = { ...current, ...(body as object) };
          return { status: 200, body: type.attributes[index] };
        }
      }
    }
    const typeItem = request.path.match(/^\/api\/v1\/schemas\/IT\/types\/(\d+)$/);
    if (typeItem) {
      const index = types.findIndex((t) => t.id === Number(typeItem[1]));
      if (request.method === "PUT" && index >= 0) {
        types[index] = { ...(types[index] as AssetType), name: String(body.name) };
        return { status: 200, body: types[index] };
      }
      if (request.method === "DELETE" && index >= 0) {
        types.splice(index, 1);
        return { status: 204, body: null };
      }
    }
    const statusItem = request.path.match(/^\/api\/v1\/schemas\/IT\/statuses\/(\d+)$/);
    if (statusItem && request.method === "DELETE") {
      return {
        status: 409,
        body: { error: { code: "in_use", message: "3 assets have this status" } },
      };
    }
    const revoke = request.path.match(/^\/api\/v1\/tokens\/(\d+)$/);
    if (request.method === "DELETE" && revoke) {
      const token = tokens.find((t) => t.id === Number(revoke[1]));
      if (token) {
        token.revokedAt = 1;
      }
      return { status: 204, body: null };
    }
    return { status: 404, body: { error: { code: "not_found", message: route } } };
  };
}

const $ = (selector: string) => document.querySelector(selector) as HTMLElement;

async function type(selector: string, value: string) {
  const input = $(selector) as HTMLInputElement | HTMLSelectElement;
  input.value = value;
  await act(() => {
    input.dispatchEvent(
      new Event(input.tagName === "SELECT" ? "change" : "input", { bubbles: true }),
    );
  });
}

async function submit(form: string) {
  await act(() => {
    $(form).dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
  });
}

describe("the settings page", () => {
  const root = mountRoot();

  it("takes a new site from nothing to a schema with a type, an attribute, a status and a token", async () => {
    const host = fakeHost(emptySite());
    await act(() =>
      render(<AdminPage api={new Api(host)} host={host} formats={formats("en-US", "UTC")} />, root),
    );
    await until(() => $("#amj-admin")?.dataset.state === "ready");
    expect(root.textContent).toContain("No schema yet");

    // The server's field error is shown next to its field.
    await type("#amj-schema-key", "it");
    await type("#amj-schema-name", "IT assets");
    await submit("#amj-schema-form");
    await until(() => !$("#amj-schema-key-error").hidden);
    expect($("#amj-schema-key-error").textContent).toBe("2–10 capitals");
    expect($("#amj-schema-key").getAttribute("aria-invalid")).toBe("true");

    await type("#amj-schema-key", "IT");
    await submit("#amj-schema-form");
    await until(() => $("#amj-admin-status").textContent === "Created the schema IT.");
    expect(($("#amj-admin-schema") as HTMLSelectElement).value).toBe("IT");
    expect($("#amj-schema-key-error").hidden).toBe(true);

    await type("#amj-type-name", "Hardware");
    await act(() => ($("#amj-type-abstract") as HTMLInputElement).click());
    await submit("#amj-type-form");
    await until(() => $("#amj-admin-status").textContent === "Created the type Hardware.");
    await type("#amj-type-name", "Laptop");
    await type("#amj-type-parent", "2");
    await submit("#amj-type-form");
    await until(() => $("#amj-admin-status").textContent === "Created the type Laptop.");
    expect(
      [...document.querySelectorAll("#amj-type-tree .amj-item-name")].map((n) => n.textContent),
    ).toEqual(["Hardware (abstract)", "Laptop"]);

    await type("#amj-attr-type", "3");
    await type("#amj-attr-kind", "select");
    expect(document.querySelector("#amj-attr-options")).not.toBeNull();
    await type("#amj-attr-name", "Size");
    await type("#amj-attr-options", "13\n 15 \n\n16");
    await submit("#amj-attr-form");
    await until(() => $("#amj-admin-status").textContent === "Added the attribute Size.");
    expect($("#amj-attr-rows").textContent).toContain("Size");
    expect($("#amj-attr-rows").textContent).toContain("Select");

    // Edit the attribute: its own rules, prefilled, one option per line (an option may hold a
    // comma); renamed on the way, and the keyboard comes back to its Edit.
    await act(() => ($("button[aria-label='Edit Size']") as HTMLButtonElement).click());
    expect(($("#amj-edit-attr-options") as HTMLTextAreaElement).value).toBe("13\n15\n16");
    expect(document.activeElement?.id).toBe("amj-edit-attr-name");
    await type("#amj-edit-attr-name", "Screen size");
    await type("#amj-edit-attr-options", "13\n15, wide");
    await act(() => ($("#amj-edit-attr-multiple") as HTMLInputElement).click());
    await submit("#amj-edit-attr-form");
    await until(() => $("#amj-admin-status").textContent === "Saved the attribute Screen size.");
    expect(document.querySelector("#amj-edit-attr-form")).toBeNull();
    await until(() => document.activeElement?.getAttribute("aria-label") === "Edit Screen size");
    const put = host.calls.find((c) => c.method === "PUT" && c.path.includes("/attributes/"));
    expect(put?.body).toEqual({
      name: "Screen size",
      kind: "select",
      required: false,
      unique: false,
      description: "",
      options: ["13", "15, wide"],
      multiple: true,
    });

    await type("#amj-status-name", "In use");
    await type("#amj-status-category", "in_use");
    await submit("#amj-status-form");
    await until(() => $("#amj-status-list").textContent?.includes("In use") === true);

    // Rename a type in place; a status in use cannot be deleted, and the page says why.
    await act(() => ($("button[aria-label='Rename Laptop']") as HTMLButtonElement).click());
    await type("input[aria-label='New name for Laptop']", "Notebook");
    await act(() => {
      $("input[aria-label='New name for Laptop']").dispatchEvent(
        new KeyboardEvent("keydown", { key: "Enter", bubbles: true }),
      );
    });
    await until(() => $("#amj-admin-status").textContent === "Renamed Laptop to Notebook.");
    expect(host.calls.find((c) => c.method === "PUT" && c.path.includes("/types/"))?.body).toEqual({
      name: "Notebook",
      parentId: 2,
      icon: "",
      description: "",
      isAbstract: false,
      labelAttributeId: null,
    });
    await act(() => ($("button[aria-label='Delete In use']") as HTMLButtonElement).click());
    await act(() => ($("button[aria-label='Yes, delete In use']") as HTMLButtonElement).click());
    await until(
      () =>
        root.textContent?.includes("Could not delete In use: 3 assets have this status.") === true,
    );
    await act(() => ($("button[aria-label='Delete Hardware']") as HTMLButtonElement).click());
    await act(() => ($("button[aria-label='Yes, delete Hardware']") as HTMLButtonElement).click());
    await until(() => $("#amj-admin-status").textContent === "Deleted the type Hardware.");

    await type("#amj-token-name", "Inventory script");
    await submit("#amj-token-form");
    await until(() => document.querySelector("#amj-token-secret") !== null);
    expect($("#amj-token-secret").textContent).toContain("amj_abcdef123");
    await until(() => $("#amj-token-list").textContent?.includes("Inventory script") === true);
    await act(() =>
      ($("button[aria-label='Revoke Inventory script']") as HTMLButtonElement).click(),
    );
    await until(() => $("#amj-token-list").textContent === "No tokens.");

    expect($("#amj-platform").textContent).toBe("Forge");
    expect($("#amj-failures").textContent).toBe("expired: 1,200");
    expect($("#amj-installations").textContent).toContain("ari:cloud:ecosystem::installation/1");

    const sent = host.calls.find((c) => c.path.endsWith("/attributes"));
    expect(sent?.body).toEqual({
      name: "Size",
      kind: "select",
      required: false,
      unique: false,
      description: "",
      options: ["13", "15", "16"],
      multiple: false,
    });
  });
});

describe("typeTree", () => {
  it("puts children under their parents and survives a cycle", () => {
    const t = (id: number, parentId: number | null): AssetType => ({
      id,
      name: `T${id}`,
      parentId,
      isAbstract: false,
      attributes: [],
    });
    expect(
      typeTree([t(3, 2), t(1, null), t(2, 1), t(4, null)]).map((e) => [e.type.id, e.depth]),
    ).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 0],
    ]);
    expect(typeTree([t(1, 2), t(2, 1)])).toEqual([]);
  });
});
