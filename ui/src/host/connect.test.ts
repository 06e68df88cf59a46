import { describe, expect, it, vi } from "vitest";
import {
  type ConnectAp,
  type ConnectBoot,
  connectHost,
  parseBody,
  readConnectBoot,
} from "./connect";

const boot: ConnectBoot = {
  baseUrl: "https://amj.example.com",
  token: "first",
  page: "issue-panel",
  siteUrl: "https://acme.atlassian.net",
  accountId: "5b10ac8d82e05b22cc7d4ef5",
  issue: { id: "10001", key: "AM-1" },
  path: null,
  gadget: null,
};

function json(status: number, body: unknown) {
  return new Response(body === null ? null : JSON.stringify(body), { status });
}

describe("the Connect host", () => {
  it("reads what the boot page carries", () => {
    document.head.innerHTML = `
      <meta name="amj-base-url" content="https://amj.example.com">
      <meta name="amj-context-token" content="tok">
      <meta name="amj-page" content="issue-panel">
      <meta name="amj-site-url" content="https://acme.atlassian.net">
      <meta name="amj-issue-id" content="10001">
      <meta name="amj-issue-key" content="AM-1">`;
    expect(readConnectBoot(document)).toEqual({
      baseUrl: "https://amj.example.com",
      token: "tok",
      page: "issue-panel",
      siteUrl: "https://acme.atlassian.net",
      accountId: null,
      issue: { id: "10001", key: "AM-1" },
      path: null,
      gadget: null,
    });
    document.head.innerHTML = "";
    expect(readConnectBoot(document)).toBeNull();
  });

  it("calls the API with the page's token, and retries once with a fresh one on 401", async () => {
    const seen: string[] = [];
    const fetcher = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get("Authorization") ?? "";
      seen.push(auth);
      return auth === "JWT fresh"
        ? json(200, { ok: true })
        : json(401, { error: { code: "expired", message: "old" } });
    });
    const ap: ConnectAp = { context: { getToken: (callback) => callback("fresh") } };
    const host = connectHost(boot, () => ap, fetcher as unknown as typeof fetch);
    const response = await host.request({ method: "POST", path: "/api/v1/x", body: { a: 1 } });
    expect(response).toEqual({ status: 200, body: { ok: true } });
    expect(seen).toEqual(["JWT first", "JWT fresh"]);
    const [url, init] = fetcher.mock.calls[1] ?? [];
    expect(url).toBe("https://amj.example.com/api/v1/x");
    expect(init?.body).toBe('{"a":1}');
    expect(new Headers(init?.headers).get("Content-Type")).toBe("application/json");
  });

  it("answers the 401 when Jira gives no fresh token", async () => {
    const fetcher = vi.fn(async () => json(401, { error: { code: "expired", message: "old" } }));
    const host = connectHost(boot, () => undefined, fetcher as unknown as typeof fetch);
    const response = await host.request({ method: "GET", path: "/api/v1/whoami" });
    expect(response.status).toBe(401);
    expect(fetcher).toHaveBeenCalledTimes(1);
  });

  it("takes locale and time zone from Jira, the page from the boot page", async () => {
    const ap: ConnectAp = {
      user: {
        getLocale: (callback) => callback("de_DE"),
        getTimeZone: (callback) => callback("Europe/Berlin"),
      },
    };
    const host = connectHost(boot, () => ap, fetch);
    const context = await host.context();
    expect(context).toMatchObject({
      platform: "connect",
      page: "issue-panel",
      locale: "de-DE",
      timeZone: "Europe/Berlin",
      issue: { id: "10001", key: "AM-1" },
    });
    await expect(connectHost({ ...boot, page: "nope" }, () => ap, fetch).context()).rejects.toThrow(
      /unknown page/,
    );
  });

  it("uses AP for resize, flags and theme", async () => {
    const ap = {
      resize: vi.fn(),
      flag: { create: vi.fn() },
      theming: { initializeTheming: vi.fn() },
    };
    const host = connectHost(boot, () => ap, fetch);
    host.resize();
    host.flag("Linked IT-1.", "success");
    await host.enableTheme();
    expect(ap.resize).toHaveBeenCalledOnce();
    expect(ap.flag.create).toHaveBeenCalledWith({
      title: "Linked IT-1.",
      type: "success",
      close: "auto",
    });
    expect(ap.theming.initializeTheming).toHaveBeenCalledOnce();
  });

  it("keeps a body that is not JSON as text", () => {
    expect(parseBody("")).toBeNull();
    expect(parseBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseBody("<html>Bad gateway</html>")).toBe("<html>Bad gateway</html>");
  });

  it("keeps the opened asset in AP.history's state and hears the host's popState", async () => {
    let state = "asset/IT-7";
    let popped: ((event: unknown) => void) | undefined;
    const ap: ConnectAp = {
      history: {
        getState: (_type, callback) => callback(state),
        pushState: vi.fn((next: string) => {
          state = next;
        }),
        popState: (callback) => {
          popped = callback;
        },
      },
    };
    const host = connectHost(boot, () => ap, vi.fn());
    const history = await host.history();
    expect(history.path()).toBe("/asset/IT-7");
    const heard: string[] = [];
    history.listen((path) => heard.push(path));
    history.push("/asset/IT-8");
    expect(ap.history?.pushState).toHaveBeenCalledWith("/asset/IT-8");
    state = "";
    popped?.({ oldURL: "#!/asset/IT-8", newURL: "#!" });
    await vi.waitFor(() => expect(heard).toEqual(["/"]));
    expect(history.path()).toBe("/");
  });

  it("reads a state answered at once, else starts where the link asked, else at /", async () => {
    const sync: ConnectAp = { history: { getState: () => "/asset/IT-9" } };
    const asked = { ...boot, path: "/asset/IT-3" };
    expect((await connectHost(asked, () => sync, vi.fn()).history()).path()).toBe("/asset/IT-9");
    expect((await connectHost(asked, () => ({}), vi.fn()).history()).path()).toBe("/asset/IT-3");
    expect((await connectHost(boot, () => ({}), vi.fn()).history()).path()).toBe("/");
  });

  it("opens issues and the list at an asset through AP.navigator", () => {
    const go = vi.fn();
    const host = connectHost(boot, () => ({ navigator: { go } }), vi.fn());
    host.openIssue("AM-3");
    host.openAsset('IT-"1');
    expect(go).toHaveBeenNthCalledWith(1, "issue", { issueKey: "AM-3" });
    expect(go).toHaveBeenNthCalledWith(2, "addonmodule", {
      moduleKey: "assets",
      customData: { path: "/asset/IT-%221" },
    });
  });

  it("keeps a gadget's settings as its dashboard item property, in the viewer's session", async () => {
    const properties = new Map<string, string>();
    const asked: { url: string; type: string; data?: string }[] = [];
    let editors: (() => void)[] = [];
    const ap: ConnectAp = {
      request: async (options) => {
        asked.push(options);
        if (options.type === "PUT") {
          properties.set(options.url, options.data ?? "");
          return { body: "" };
        }
        const value = properties.get(options.url);
        if (value === undefined) {
          throw Object.assign(new Error("404"), { xhr: { status: 404 } });
        }
        return { body: JSON.stringify({ key: "amj-gadget", value: JSON.parse(value) }) };
      },
      jira: { DashboardItem: { onDashboardItemEdit: (callback) => editors.push(callback) } },
    };
    const placed = { ...boot, page: "gadget", gadget: { dashboardId: "10000", itemId: "20000" } };
    const host = connectHost(placed, () => ap, fetch);
    const gadget = host.gadget();
    expect(gadget?.editing).toBe(false);
    expect(await gadget?.settings()).toBeNull();
    await gadget?.save({ schema: "IT", chart: "type" });
    expect(await gadget?.settings()).toEqual({ schema: "IT", chart: "type" });
    expect(asked[1]).toEqual({
      url: "/rest/api/3/dashboard/10000/items/20000/properties/amj-gadget",
      type: "PUT",
      data: '{"schema":"IT","chart":"type"}',
      contentType: "application/json",
    });
    let configuring = false;
    gadget?.onEdit(() => {
      configuring = true;
    });
    for (const editor of editors) {
      editor();
    }
    expect(configuring).toBe(true);
    editors = [];

    // A refusal other than "not there yet" is an error the page shows.
    const refusing: ConnectAp = {
      request: async () => {
        throw Object.assign(new Error("403"), { xhr: { status: 403 } });
      },
    };
    await expect(
      connectHost(placed, () => refusing, fetch)
        .gadget()
        ?.settings(),
    ).rejects.toThrow("403");
    expect(connectHost(boot, () => ap, fetch).gadget()).toBeNull();
  });

  it("opens the list at a search through the navigator", () => {
    const go = vi.fn();
    const host = connectHost(boot, () => ({ navigator: { go } }), fetch);
    host.openList("/?schema=IT&aql=status+%3D+Retired");
    expect(go).toHaveBeenCalledWith("addonmodule", {
      moduleKey: "assets",
      customData: { path: "/?schema=IT&aql=status+%3D+Retired" },
    });
  });
});
