import {
  type ApiRequest,
  type ApiResponse,
  assetPath,
  type FlagKind,
  type Host,
  type HostContext,
  type HostGadget,
  type HostHistory,
  type IssueRef,
  pageName,
} from "./types";

/** The part of Connect's `all.js` we use. */
export interface ConnectAp {
  context?: { getToken?: (callback: (token: string) => void) => void };
  resize?: () => void;
  flag?: { create?: (options: { title: string; type: string; close: string }) => unknown };
  theming?: { initializeTheming?: () => void };
  navigator?: { go?: (target: string, context: Record<string, unknown>) => void };
  /** Page modules only: the state is the host URL's `#!` fragment. */
  history?: {
    getState?: (type: "hash", callback: (state: string) => void) => unknown;
    pushState?: (state: string) => void;
    popState?: (callback: (event: unknown) => void) => void;
  };
  user?: {
    getLocale?: (callback: (locale: string) => void) => void;
    getTimeZone?: (callback: (timeZone: string) => void) => void;
  };
  /** Jira's REST API in the viewer's session. */
  request?: (options: {
    url: string;
    type: string;
    data?: string;
    contentType?: string;
  }) => Promise<{ body: string }>;
  jira?: {
    DashboardItem?: { onDashboardItemEdit?: (callback: () => void) => void };
  };
}

/** The dashboard item property a Connect gadget keeps its settings in. The frame reads and
 *  writes it in the viewer's session; the server never does, so only the front end names it. */
export const GADGET_PROPERTY = "amj-gadget";

/** What our server's boot page put in the document for the bundle (see `web::ui`). */
export interface ConnectBoot {
  baseUrl: string;
  token: string;
  page: string;
  siteUrl: string;
  accountId: string | null;
  issue: IssueRef | null;
  /** Where the page starts when the host URL holds no state: the `customData` Jira handed on. */
  path: string | null;
  /** A dashboard gadget's place: the ids its settings are kept under. */
  gadget: { dashboardId: string; itemId: string } | null;
}

export function readConnectBoot(doc: Document): ConnectBoot | null {
  const meta = (name: string) =>
    doc.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? null;
  const baseUrl = meta("amj-base-url");
  const token = meta("amj-context-token");
  const page = meta("amj-page");
  if (baseUrl === null || token === null || page === null) {
    return null;
  }
  const issueId = meta("amj-issue-id");
  const issueKey = meta("amj-issue-key");
  return {
    baseUrl,
    token,
    page,
    siteUrl: meta("amj-site-url") ?? "",
    accountId: meta("amj-account-id") || null,
    issue: issueId && issueKey ? { id: issueId, key: issueKey } : null,
    path: meta("amj-path") || null,
    gadget: (() => {
      const dashboardId = meta("amj-dashboard-id");
      const itemId = meta("amj-dashboard-item-id");
      return dashboardId && itemId ? { dashboardId, itemId } : null;
    })(),
  };
}

/** A REST failure from `AP.request`: its status, when the bridge said. */
function requestStatus(error: unknown): number | null {
  const xhr = (error as { xhr?: { status?: unknown } } | null)?.xhr;
  return typeof xhr?.status === "number" ? xhr.status : null;
}

/** The gadget's settings as a dashboard item property, read and written through `AP.request`
 *  (the viewer's session: the property belongs to their dashboard, not to the app). */
function connectGadget(
  place: { dashboardId: string; itemId: string },
  ap: () => ConnectAp | undefined,
): HostGadget {
  const url = `/rest/api/3/dashboard/${encodeURIComponent(place.dashboardId)}/items/${encodeURIComponent(place.itemId)}/properties/${GADGET_PROPERTY}`;
  const request = () => {
    const call = ap()?.request;
    if (!call) {
      throw new Error("Jira's bridge offers no AP.request here");
    }
    return call;
  };
  return {
    editing: false,
    savesInView: true,
    async settings() {
      try {
        const { body } = await request()({ url, type: "GET" });
        return (JSON.parse(body) as { value?: unknown }).value ?? null;
      } catch (error) {
        if (requestStatus(error) === 404) {
          return null;
        }
        throw error;
      }
    },
    async save(settings: unknown) {
      await request()({
        url,
        type: "PUT",
        data: JSON.stringify(settings),
        contentType: "application/json",
      });
    },
    onEdit(callback: () => void) {
      ap()?.jira?.DashboardItem?.onDashboardItemEdit?.(callback);
    },
  };
}

/** A body that is not JSON (a proxy's error page) is kept as text for the error message. */
export function parseBody(text: string): unknown {
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The app path kept in Connect's history state (`/` when there is none). */
function statePath(state: string | null | undefined): string {
  return state ? (state.startsWith("/") ? state : `/${state}`) : "/";
}

/** Asks AP with a callback, giving up after `ms` (the bridge may never answer outside Jira). */
function ask<T>(call: ((callback: (value: T) => void) => void) | undefined, ms = 1000) {
  return new Promise<T | null>((resolve) => {
    if (!call) {
      resolve(null);
      return;
    }
    const timer = setTimeout(() => resolve(null), ms);
    call((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

const FLAG_TYPES: Record<FlagKind, string> = {
  success: "success",
  info: "info",
  warning: "warning",
  error: "error",
};

/**
 * The Connect host: our API called with the context token the boot page was rendered with.
 * When that token is refused (it expired, or the site's secret rotated since the page loaded),
 * a fresh one comes from `AP.context.getToken()` and the call is retried once.
 */
export function connectHost(
  boot: ConnectBoot,
  ap: () => ConnectAp | undefined,
  fetcher: typeof fetch,
): Host {
  let token = boot.token;
  const gadget = boot.gadget ? connectGadget(boot.gadget, ap) : null;
  const freshToken = async () => {
    const fresh = await ask(ap()?.context?.getToken?.bind(ap()?.context), 5000);
    if (!fresh) {
      return false;
    }
    token = fresh;
    return true;
  };
  const send = async (request: ApiRequest): Promise<Response> => {
    const headers: Record<string, string> = {
      Accept: "application/json",
      Authorization: `JWT ${token}`,
    };
    const init: RequestInit = { method: request.method, headers };
    if (request.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(request.body);
    }
    return fetcher(boot.baseUrl + request.path, init);
  };
  return {
    platform: "connect",
    async context(): Promise<HostContext> {
      const page = pageName(boot.page);
      if (page === null) {
        throw new Error(`unknown page ${JSON.stringify(boot.page)}`);
      }
      const user = ap()?.user;
      const [locale, timeZone] = await Promise.all([
        ask(user?.getLocale?.bind(user)),
        ask(user?.getTimeZone?.bind(user)),
      ]);
      return {
        platform: "connect",
        page,
        siteUrl: boot.siteUrl,
        accountId: boot.accountId,
        locale: (locale ?? navigator.language).replace("_", "-"),
        timeZone: timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
        issue: boot.issue,
      };
    },
    async request(request: ApiRequest): Promise<ApiResponse> {
      let response = await send(request);
      if (response.status === 401 && (await freshToken())) {
        response = await send(request);
      }
      return { status: response.status, body: parseBody(await response.text()) };
    },
    resize() {
      ap()?.resize?.();
    },
    flag(title: string, kind: FlagKind) {
      ap()?.flag?.create?.({ title, type: FLAG_TYPES[kind], close: "auto" });
    },
    async enableTheme() {
      ap()?.theming?.initializeTheming?.();
    },
    async history(): Promise<HostHistory> {
      const readState = () => {
        const history = ap()?.history;
        return ask<string>(
          history?.getState
            ? (callback) => {
                // Older hosts answer at once instead of calling back.
                const now = history.getState?.("hash", callback);
                if (typeof now === "string") {
                  callback(now);
                }
              }
            : undefined,
        );
      };
      // The host URL's own state wins (a reload); otherwise where the link asked to start.
      const state = await readState();
      let path = state ? statePath(state) : (boot.path ?? "/");
      const listeners = new Set<(path: string) => void>();
      ap()?.history?.popState?.(() => {
        void readState().then((state) => {
          path = statePath(state);
          for (const listener of listeners) {
            listener(path);
          }
        });
      });
      return {
        path: () => path,
        push: (next) => {
          path = next;
          ap()?.history?.pushState?.(next);
        },
        listen: (onChange) => {
          listeners.add(onChange);
          return () => listeners.delete(onChange);
        },
      };
    },
    openIssue(key: string) {
      ap()?.navigator?.go?.("issue", { issueKey: key });
    },
    openAsset(key: string) {
      // Jira hands customData to the list page's URL (`ac.path`), where it starts.
      ap()?.navigator?.go?.("addonmodule", {
        moduleKey: "assets",
        customData: { path: assetPath(key) },
      });
    },
    openList(path: string) {
      ap()?.navigator?.go?.("addonmodule", { moduleKey: "assets", customData: { path } });
    },
    gadget() {
      return gadget;
    },
  };
}
