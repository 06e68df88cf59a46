import { describe, expect, it, vi } from "vitest";
import { type ForgeBridge, type ForgeContext, forgeHost, forgePage } from "./forge";

function fakeBridge(context: Partial<ForgeContext> = {}) {
  const bridge = {
    invokeRemote: vi.fn(async (_input: Parameters<ForgeBridge["invokeRemote"]>[0]) => ({
      status: 200,
      body: { items: [] } as unknown,
      headers: {},
    })),
    view: {
      getContext: vi.fn(async () => ({
        accountId: "5b10ac8d82e05b22cc7d4ef5",
        siteUrl: "https://acme.atlassian.net",
        locale: "en_US",
        timezone: "Pacific/Auckland",
        moduleKey: "issue-assets",
        extension: { type: "jira:issueContext", issue: { id: 10001, key: "AM-1" } },
        ...context,
      })),
      theme: { enable: vi.fn(async () => {}) },
    },
    showFlag: vi.fn(),
  };
  return bridge;
}

describe("the Forge host", () => {
  it("maps the module key and the extension to our context", async () => {
    const host = forgeHost(fakeBridge());
    expect(await host.context()).toEqual({
      platform: "forge",
      page: "issue-panel",
      siteUrl: "https://acme.atlassian.net",
      accountId: "5b10ac8d82e05b22cc7d4ef5",
      locale: "en-US",
      timeZone: "Pacific/Auckland",
      issue: { id: "10001", key: "AM-1" },
    });
    expect(forgePage("assets")).toBe("assets");
    expect(forgePage("assets-admin")).toBe("admin");
    await expect(forgeHost(fakeBridge({ moduleKey: "other" })).context()).rejects.toThrow(
      /unknown module/,
    );
  });

  it("calls the API through invokeRemote, with no credential of its own", async () => {
    const bridge = fakeBridge();
    const host = forgeHost(bridge);
    const response = await host.request({
      method: "POST",
      path: "/api/v1/assets/query",
      body: { aql: "x" },
    });
    expect(response).toEqual({ status: 200, body: { items: [] } });
    expect(bridge.invokeRemote).toHaveBeenCalledWith({
      path: "/api/v1/assets/query",
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: { aql: "x" },
    });
    const sent = JSON.stringify(bridge.invokeRemote.mock.calls);
    expect(sent).not.toMatch(/Authorization/i);
  });

  it("answers HTTP errors, and fails only when the remote was not reached", async () => {
    const bridge = fakeBridge();
    bridge.invokeRemote.mockResolvedValueOnce({
      status: 404,
      body: { error: { code: "x" } },
      headers: {},
    });
    const host = forgeHost(bridge);
    expect((await host.request({ method: "GET", path: "/x" })).status).toBe(404);
    bridge.invokeRemote.mockResolvedValueOnce({} as never);
    await expect(host.request({ method: "GET", path: "/x" })).rejects.toThrow(
      /could not be reached/,
    );
  });

  it("uses Forge's flags and theme", async () => {
    const bridge = fakeBridge();
    const host = forgeHost(bridge);
    host.flag("Linked IT-1.", "success");
    await host.enableTheme();
    expect(bridge.showFlag).toHaveBeenCalledWith(
      expect.objectContaining({ title: "Linked IT-1.", type: "success", isAutoDismiss: true }),
    );
    expect(bridge.view.theme.enable).toHaveBeenCalledOnce();
  });
});
