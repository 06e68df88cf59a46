import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type Asset } from "../api";
import { formats } from "../format";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { AssetDetail } from "./AssetDetail";

describe("an asset's detail", () => {
  const root = mountRoot();

  it("archives and restores with the version it read, and says why when refused", async () => {
    let asset: Asset = {
      key: "IT-1",
      id: 1,
      label: "Laptop",
      schema: "IT",
      type: { id: 2, name: "Laptop" },
      status: { id: 7, name: "In use", category: "in_use" },
      attributes: {},
      version: 1,
      archived: false,
      created: { at: null, by: "x" },
      updated: { at: null, by: "x" },
    };
    let refuse = false;
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/assets/IT-1") {
        return { status: 200, body: asset };
      }
      if (request.path.endsWith("/issues") || request.path.endsWith("/history")) {
        return { status: 200, body: { items: [] } };
      }
      if (request.path.endsWith("/references")) {
        return { status: 200, body: { outbound: [], inbound: [], nextInboundCursor: null } };
      }
      const { version } = request.body as { version: number };
      if (refuse || version !== asset.version) {
        return {
          status: 409,
          body: { error: { code: "stale_version", message: "someone changed it" } },
        };
      }
      asset = { ...asset, archived: request.path.endsWith("/archive"), version: asset.version + 1 };
      return { status: 200, body: asset };
    });
    await act(() =>
      render(
        <AssetDetail
          api={new Api(host)}
          assetKey="IT-1"
          formats={formats("en-US", "UTC")}
          onBack={() => {}}
          onOpenIssue={() => {}}
        />,
        root,
      ),
    );
    const $ = (s: string) => document.querySelector(s) as HTMLElement;
    await until(() => $("#amj-archive") !== null);
    expect($("#amj-archive").textContent).toBe("Archive");
    await act(() => $("#amj-archive").click());
    await until(() => $("#amj-archived") !== null);
    expect($("#amj-archive").textContent).toBe("Restore");
    expect(($("#amj-edit") as HTMLButtonElement).disabled).toBe(true);

    refuse = true;
    await act(() => $("#amj-archive").click());
    await until(() => $("#amj-action-error") !== null);
    expect($("#amj-action-error").textContent).toBe("Could not restore IT-1: someone changed it.");
    refuse = false;
    await act(() => $("#amj-archive").click());
    await until(() => $("#amj-archived") === null && $("#amj-archive")?.textContent === "Archive");
    expect(host.calls.filter((c) => c.method === "POST").map((c) => [c.path, c.body])).toEqual([
      ["/api/v1/assets/IT-1/archive", { version: 1 }],
      ["/api/v1/assets/IT-1/restore", { version: 2 }],
      ["/api/v1/assets/IT-1/restore", { version: 2 }],
    ]);
  });

  it("edits one value in place, through someone else's save", async () => {
    let asset: Asset = {
      key: "IT-1",
      id: 1,
      label: "Laptop",
      schema: "IT",
      type: { id: 2, name: "Laptop" },
      status: { id: 7, name: "In use", category: "in_use" },
      attributes: { "Serial number": "A1" },
      version: 1,
      archived: false,
      created: { at: null, by: "x" },
      updated: { at: null, by: "x" },
    };
    const serial = { id: 11, name: "Serial number", kind: "text", required: false, unique: true };
    const patches: unknown[] = [];
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/schemas/IT/types") {
        return {
          status: 200,
          body: {
            types: [
              { id: 2, name: "Laptop", parentId: null, isAbstract: false, attributes: [serial] },
            ],
          },
        };
      }
      if (request.path === "/api/v1/schemas/IT/statuses") {
        return { status: 200, body: { statuses: [] } };
      }
      if (request.path === "/api/v1/schemas/IT/licence-policy") {
        return { status: 200, body: { licensedTypes: [], installedAttribute: null } };
      }
      if (request.method === "PATCH") {
        patches.push(request.body);
        const { version, attributes } = request.body as {
          version: number;
          attributes: Record<string, unknown>;
        };
        if (version !== asset.version) {
          return { status: 409, body: { error: { code: "stale_version", message: "changed" } } };
        }
        asset = {
          ...asset,
          version: version + 1,
          attributes: { ...asset.attributes, ...attributes },
        };
        return { status: 200, body: asset };
      }
      if (request.path === "/api/v1/assets/IT-1") {
        return { status: 200, body: asset };
      }
      if (request.path.endsWith("/references")) {
        return { status: 200, body: { outbound: [], inbound: [], nextInboundCursor: null } };
      }
      if (request.path.endsWith("/custody")) {
        return {
          status: 200,
          body: {
            checkoutable: false,
            custody: null,
            effectiveHolder: null,
            carriers: [],
            loans: [],
          },
        };
      }
      return { status: 200, body: { items: [] } };
    });
    await act(() =>
      render(
        <AssetDetail
          api={new Api(host)}
          assetKey="IT-1"
          formats={formats("en-US", "UTC")}
          onBack={() => {}}
          onOpenIssue={() => {}}
        />,
        root,
      ),
    );
    const $ = (s: string) => document.querySelector(s) as HTMLElement;
    await until(() => $('[data-edit-attribute="Serial number"]') !== null);
    await act(() => $('[data-edit-attribute="Serial number"]').click());
    const input = $("#amj-inline-field") as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    expect(input.value).toBe("A1");
    // Someone else saves first.
    asset = { ...asset, version: 2, attributes: { "Serial number": "Z9" } };
    await act(() => {
      input.value = "B2";
      input.dispatchEvent(new Event("input"));
    });
    await act(() => $("#amj-inline-save").click());
    await until(() => $("#amj-inline-conflict") !== null);
    expect($("#amj-inline-conflict").textContent).toContain("Z9");
    await act(() => $("#amj-inline-overwrite").click());
    await until(() => $("#amj-inline") === null);
    expect($('[data-value="Serial number"]').textContent).toBe("B2");
    expect(patches).toEqual([
      { version: 1, attributes: { "Serial number": "B2" } },
      { version: 2, attributes: { "Serial number": "B2" } },
    ]);
    expect(document.activeElement).toBe($('[data-edit-attribute="Serial number"]'));

    // The tabs: one tab stop, the arrows move and show.
    const tab = $("#amj-tab-attributes");
    expect(tab.getAttribute("aria-selected")).toBe("true");
    expect($("#amj-panel-history").hidden).toBe(true);
    await act(() => {
      tab.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    });
    expect($("#amj-tab-history").getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe($("#amj-tab-history"));
    expect($("#amj-panel-history").hidden).toBe(false);
    expect($("#amj-panel-attributes").hidden).toBe(true);
    await act(() => {
      $("#amj-tab-history").dispatchEvent(
        new KeyboardEvent("keydown", { key: "Home", bubbles: true }),
      );
    });
    expect($("#amj-panel-attributes").hidden).toBe(false);

    // Escape leaves the value as it was.
    await act(() => $('[data-edit-attribute="Serial number"]').click());
    await act(() => {
      $("#amj-inline-field").dispatchEvent(
        new KeyboardEvent("keydown", { key: "Escape", bubbles: true }),
      );
    });
    expect($("#amj-inline")).toBeNull();
    expect(patches.length).toBe(2);
  });

  it("shows people by name and avatar, and references by key and label", async () => {
    const asset: Asset = {
      key: "IT-3",
      id: 3,
      label: "Laptop",
      schema: "IT",
      type: { id: 2, name: "Laptop" },
      status: { id: 7, name: "In use", category: "in_use" },
      attributes: { Owner: ["557058:amy", "557058:bob"], "Located in": "IT-2" },
      version: 2,
      archived: false,
      created: { at: null, by: "app" },
      updated: { at: null, by: "557058:bob" },
    };
    const opened: string[] = [];
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/assets/IT-3") {
        return { status: 200, body: asset };
      }
      if (request.path.endsWith("/issues")) {
        return { status: 200, body: { items: [] } };
      }
      if (request.path.endsWith("/history")) {
        const change = { kind: "attribute_changed", attribute: "Owner", old: "557058:amy" };
        return {
          status: 200,
          body: {
            items: [
              { id: 9, at: null, actor: "557058:bob", ...change, new: asset.attributes.Owner },
            ],
          },
        };
      }
      if (request.path.endsWith("/references")) {
        const lisbon = { attribute: "Located in", referenceType: "located in", key: "IT-2" };
        return {
          status: 200,
          body: {
            outbound: [{ ...lisbon, label: "Lisbon office", archived: false }],
            inbound: [],
            nextInboundCursor: null,
          },
        };
      }
      if (request.path === "/api/v1/schemas/IT/types") {
        const owner = { id: 4, typeId: 2, name: "Owner", kind: "jira_user", multiple: true };
        const place = { id: 5, typeId: 2, name: "Located in", kind: "reference", targetType: 1 };
        return {
          status: 200,
          body: {
            types: [
              {
                id: 2,
                name: "Laptop",
                parentId: null,
                isAbstract: false,
                attributes: [
                  { ...owner, required: false, unique: false },
                  { ...place, required: false, unique: false },
                ],
              },
            ],
          },
        };
      }
      if (request.path === "/api/v1/schemas/IT/statuses") {
        return { status: 200, body: { statuses: [] } };
      }
      if (request.path === "/api/v1/schemas/IT/licence-policy") {
        return { status: 200, body: { licensedTypes: [], installedAttribute: null } };
      }
      if (request.path.startsWith("/api/v1/jira/users/bulk")) {
        const asked = decodeURIComponent(request.path.split("=")[1] ?? "").split(",");
        const known = [
          { accountId: "557058:amy", displayName: "Amy Admin", avatarUrl: "https://a/amy" },
          { accountId: "557058:bob", displayName: "Bob Builder" },
        ];
        return { status: 200, body: { items: known.filter((u) => asked.includes(u.accountId)) } };
      }
      return { status: 404, body: { error: { code: "not_found", message: request.path } } };
    });
    await act(() =>
      render(
        <AssetDetail
          api={new Api(host)}
          assetKey="IT-3"
          formats={formats("en-US", "UTC")}
          onBack={() => {}}
          onOpenIssue={() => {}}
          onOpenAsset={(key) => opened.push(key)}
        />,
        root,
      ),
    );
    const $ = (s: string) => document.querySelector(s) as HTMLElement;
    await until(() => $("[data-value=Owner]")?.textContent === "Amy Admin, Bob Builder");
    const avatar = $("[data-value=Owner] [data-account='557058:amy'] img") as HTMLImageElement;
    expect(avatar.src).toBe("https://a/amy");
    expect(avatar.alt).toBe("");
    // Bob has no avatar: his name alone.
    expect($("[data-value=Owner] [data-account='557058:bob'] img")).toBeNull();
    expect($("#amj-detail-updated-by").textContent).toBe("Bob Builder");
    expect($("#amj-detail-history").textContent).toContain(
      "Bob Builder: Owner: Amy Admin → Amy Admin, Bob Builder.",
    );
    expect(root.textContent).not.toContain("557058:");
    expect($("[data-value='Located in']").textContent).toBe("IT-2 Lisbon office");
    await act(() => $("[data-value-reference='IT-2']").click());
    expect(opened).toEqual(["IT-2"]);
    // Each account was asked for once.
    const asked = host.calls
      .filter((c) => c.path.startsWith("/api/v1/jira/users/bulk"))
      .flatMap((c) => decodeURIComponent(c.path.split("=")[1] ?? "").split(","));
    expect(asked.sort()).toEqual(["557058:amy", "557058:bob"]);
  });
});
