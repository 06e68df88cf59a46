import {
  type ApiRequest,
  type ApiResponse,
  type FlagKind,
  type Host,
  type HostContext,
  type PageName,
  pageName,
} from "./types";

/** The part of `@forge/bridge` we use, so tests can stand in for Forge. */
export interface ForgeBridge {
  invokeRemote(input: {
    path: string;
    method: ApiRequest["method"];
    headers?: Record<string, string>;
    body?: unknown;
  }): Promise<{ status?: number; body?: unknown; headers?: Record<string, string> }>;
  view: {
    getContext(): Promise<ForgeContext>;
    theme: { enable(): Promise<void> };
  };
  showFlag(options: { id: string; title: string; type: FlagKind; isAutoDismiss: boolean }): unknown;
}

/** The fields of Forge's `FullContext` we read. */
export interface ForgeContext {
  accountId?: string;
  siteUrl: string;
  locale: string;
  timezone: string;
  moduleKey: string;
  extension: {
    type?: string;
    issue?: { id?: string | number; key?: string };
  };
}

/** The manifest's module keys (`amj-server`'s `descriptor.rs`) and the pages they show. */
const MODULES: Record<string, PageName> = {
  assets: "assets",
  "assets-admin": "admin",
  "issue-assets": "issue-panel",
};

export function forgePage(moduleKey: string): PageName | null {
  return pageName(MODULES[moduleKey]);
}

let flags = 0;

/**
 * The Forge host: every API call goes through `invokeRemote`, which Forge signs with an
 * invocation token and the site's system token; the page never holds a credential. Forge sizes
 * the iframe itself.
 */
export function forgeHost(bridge: ForgeBridge): Host {
  return {
    platform: "forge",
    async context(): Promise<HostContext> {
      const context = await bridge.view.getContext();
      const page = forgePage(context.moduleKey);
      if (page === null) {
        throw new Error(`unknown module ${JSON.stringify(context.moduleKey)}`);
      }
      const issue = context.extension.issue;
      return {
        platform: "forge",
        page,
        siteUrl: context.siteUrl,
        accountId: context.accountId ?? null,
        locale: context.locale.replace("_", "-"),
        timeZone: context.timezone,
        issue:
          issue?.id !== undefined && issue.key !== undefined
            ? { id: String(issue.id), key: issue.key }
            : null,
      };
    },
    async request(request: ApiRequest): Promise<ApiResponse> {
      const input: Parameters<ForgeBridge["invokeRemote"]>[0] = {
        path: request.path,
        method: request.method,
        headers: { Accept: "application/json" },
      };
      if (request.body !== undefined) {
        input.headers = { Accept: "application/json", "Content-Type": "application/json" };
        input.body = request.body;
      }
      const response = await bridge.invokeRemote(input);
      // Forge answers a failed proxying without a status: the remote was not reached.
      if (typeof response.status !== "number") {
        throw new Error("the app's server could not be reached through Forge");
      }
      return { status: response.status, body: response.body ?? null };
    },
    resize() {
      // Forge's iframe resizer follows the content.
    },
    flag(title: string, kind: FlagKind) {
      flags += 1;
      bridge.showFlag({ id: `amj-${flags}`, title, type: kind, isAutoDismiss: true });
    },
    async enableTheme() {
      await bridge.view.theme.enable();
    },
  };
}
