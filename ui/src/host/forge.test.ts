import { describe, expect, it, vi } from "vitest";
import {
  type ForgeBridge,
  type ForgeContext,
  type ForgeLocation,
  forgeHost,
  forgePage,
} from "./forge";

function fakeBridge(context: Partial<ForgeContext> = {}, history = fakeHistory("/")) {
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
      createHistory: vi.fn(async () => history),
      submit: vi.fn(async (_payload: unknown) => {}),
    },
    router: { navigate: vi.fn(async (_location: ForgeLocation) => {}) },
    showFlag: vi.fn(),
  };
  return bridge;
}

/** A `history` v4 stand-in, as Forge's runtime hands one to `createHistory`. */
function fakeHistory(start: string) {
  const listeners: ((location: { pathname: string }) => void)[] = [];
  const history = {
    location: { pathname: start },
    push: vi.fn((path: string) => {
      history.location = { pathname: path };
    }),
    listen: (listener: (location: { pathname: string }) => void) => {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
    /** The person pressed back. */
    back(path: string) {
      history.location = { pathname: path };
      for (const listener of [...listeners]) {
        listener(history.location);
      }
    },
  };
  return history;
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

  it("keeps the opened asset in Forge's history and hears back and forward", async () => {
    const history = fakeHistory("/asset/IT-7");
    const host = forgeHost(fakeBridge({}, history));
    const ours = await host.history();
    expect(ours.path()).toBe("/asset/IT-7");
    const heard: string[] = [];
    const stop = ours.listen((path) => heard.push(path));
    ours.push("/asset/IT-8");
    expect(history.push).toHaveBeenCalledWith("/asset/IT-8");
    expect(ours.path()).toBe("/asset/IT-8");
    history.back("/asset/IT-7");
    // history v4 keeps the query in `search`.
    history.location = { pathname: "/", search: "?aql=x" } as { pathname: string };
    expect(ours.path()).toBe("/?aql=x");
    stop();
    history.back("");
    expect(heard).toEqual(["/asset/IT-7"]);
    expect(ours.path()).toBe("/");
  });

  it("opens issues and assets through Forge's router, and flags a refusal", async () => {
    const bridge = fakeBridge();
    const host = forgeHost(bridge);
    host.openIssue("AM-3");
    host.openAsset("IT 1/2");
    expect(bridge.router.navigate).toHaveBeenNthCalledWith(1, {
      target: "issue",
      issueKey: "AM-3",
    });
    expect(bridge.router.navigate).toHaveBeenNthCalledWith(2, {
      target: "module",
      moduleKey: "assets",
      path: "/asset/IT%201%2F2",
    });
    bridge.router.navigate.mockRejectedValueOnce(new Error("no such issue"));
    host.openIssue("AM-404");
    await vi.waitFor(() =>
      expect(bridge.showFlag).toHaveBeenCalledWith(
        expect.objectContaining({ type: "error", title: expect.stringContaining("no such issue") }),
      ),
    );
  });

  it("gives the Assets field its value and configuration, and view.submit for both views", async () => {
    const editing = fakeBridge({
      moduleKey: "asset-field",
      extension: {
        type: "jira:customFieldType",
        issue: { id: 10001, key: "AM-1" },
        fieldId: "customfield_10100",
        fieldValue: ["IT-1"],
        configuration: { schema: "IT" },
        entryPoint: "edit",
      },
    });
    const context = await forgeHost(editing).context();
    expect(context.page).toBe("field-edit");
    expect(context.issue).toEqual({ id: "10001", key: "AM-1" });
    expect(context.field?.id).toBe("customfield_10100");
    expect(context.field?.value).toEqual(["IT-1"]);
    await context.field?.submit(["IT-2"]);
    expect(editing.view.submit).toHaveBeenCalledWith(["IT-2"]);

    const configuring = fakeBridge({
      moduleKey: "asset-field",
      extension: {
        type: "jira:customFieldType",
        fieldId: "customfield_10100",
        entryPoint: "contextConfig",
      },
    });
    const config = await forgeHost(configuring).context();
    expect(config.page).toBe("field-config");
    expect(config.field?.configuration).toBeNull();
    const viewing = fakeBridge({
      moduleKey: "asset-field",
      extension: {
        type: "jira:customFieldType",
        issue: { id: 10001, key: "AM-1" },
        fieldId: "customfield_10100",
        fieldValue: ["IT-1"],
      },
    });
    expect((await forgeHost(viewing).context()).page).toBe("field-view");
    // Other modules carry no field.
    expect((await forgeHost(fakeBridge()).context()).field).toBeUndefined();
  });

  it("gives a gadget its saved configuration, its entry point, and view.submit to save", async () => {
    const placed = fakeBridge({
      moduleKey: "assets-gadget",
      extension: { type: "jira:dashboardGadget", gadgetConfiguration: {} },
    });
    const host = forgeHost(placed);
    expect((await host.context()).page).toBe("gadget");
    const fresh = host.gadget();
    expect(fresh?.editing).toBe(false);
    expect(await fresh?.settings()).toBeNull();

    const configured = { schema: "IT", chart: "status" };
    const editing = fakeBridge({
      moduleKey: "assets-gadget",
      extension: {
        type: "jira:dashboardGadget",
        gadgetConfiguration: configured,
        entryPoint: "edit",
      },
    });
    const editHost = forgeHost(editing);
    await editHost.context();
    const gadget = editHost.gadget();
    expect(gadget?.editing).toBe(true);
    expect(await gadget?.settings()).toEqual(configured);
    await gadget?.save({ schema: "IT", chart: "type" });
    expect(editing.view.submit).toHaveBeenCalledWith({ schema: "IT", chart: "type" });
    expect(editing.view.getContext).toHaveBeenCalledTimes(1);

    // Other modules have no gadget; the list opens through the router at a search.
    const pageBridge = fakeBridge();
    const page = forgeHost(pageBridge);
    await page.context();
    expect(page.gadget()).toBeNull();
    page.openList("/?schema=IT&aql=status+%3D+Retired");
    expect(pageBridge.router.navigate).toHaveBeenCalledWith({
      target: "module",
      moduleKey: "assets",
      path: "/?schema=IT&aql=status+%3D+Retired",
    });

    // A context that failed to load is asked for again, not kept.
    const flaky = fakeBridge();
    flaky.view.getContext.mockRejectedValueOnce(new Error("bridge not ready"));
    const retried = forgeHost(flaky);
    await expect(retried.context()).rejects.toThrow("bridge not ready");
    expect((await retried.context()).page).toBe("issue-panel");
  });
});
