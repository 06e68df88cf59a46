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
});
