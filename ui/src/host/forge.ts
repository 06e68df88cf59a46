import {
  type ApiRequest,
  type ApiResponse,
  assetPath,
  type FlagKind,
  type Host,
  type HostContext,
  type HostGadget,
  type HostHistory,
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
    createHistory(): Promise<ForgeHistory>;
    /** A gadget's edit entry point: saves its configuration and shows the view again. */
    submit(payload: unknown): Promise<void>;
  };
  router: { navigate(location: ForgeLocation): Promise<void> };
  showFlag(options: { id: string; title: string; type: FlagKind; isAutoDismiss: boolean }): unknown;
}

/** The `history` v4 object `view.createHistory()` answers: paths under the page's URL. */
export interface ForgeHistory {
  location: ForgeHistoryLocation;
  push(path: string): void;
  listen(listener: (location: ForgeHistoryLocation) => void): () => void;
}

/** `history` keeps a pushed path's query apart, in `search`. */
interface ForgeHistoryLocation {
  pathname: string;
  search?: string;
}

function pathOf(location: ForgeHistoryLocation): string {
  return `${location.pathname || "/"}${location.search ?? ""}`;
}

/** The `router.navigate` targets we use (`NavigationLocation` in `@forge/bridge`). */
export type ForgeLocation =
  | { target: "issue"; issueKey: string }
  | { target: "module"; moduleKey: string; path?: string };

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
    /** `jira:dashboardGadget`: its saved configuration (`{}` before the first submit). */
    gadgetConfiguration?: unknown;
    /** `"edit"` when Jira opened the gadget's edit entry point or a field's edit view;
     *  `"contextConfig"` for a field's context configuration. */
    entryPoint?: string;
    /** `jira:customFieldType`: the field, its value on the issue, the context's settings. */
    fieldId?: string;
    fieldValue?: unknown;
    configuration?: unknown;
  };
}

/** The manifest's module keys (`amj-server`'s `descriptor.rs`) and the pages they show. */
const MODULES: Record<string, PageName> = {
  assets: "assets",
  "assets-admin": "admin",
  "issue-assets": "issue-panel",
  "assets-gadget": "gadget",
  "asset-field": "field-view",
};

export function forgePage(moduleKey: string): PageName | null {
  return pageName(MODULES[moduleKey]);
}

function forgeModule(page: PageName): string {
  return Object.entries(MODULES).find(([, p]) => p === page)?.[0] ?? page;
}

/** A navigation the host refused is reported in place, as a flag: the page stays usable. */
function navigate(bridge: ForgeBridge, location: ForgeLocation) {
  bridge.router.navigate(location).catch((error: unknown) => {
    flags += 1;
    bridge.showFlag({
      id: `amj-${flags}`,
      title: `Jira did not open that page: ${error instanceof Error ? error.message : String(error)}`,
      type: "error",
      isAutoDismiss: true,
    });
  });
}

let flags = 0;

/**
 * The Forge host: every API call goes through `invokeRemote`, which Forge signs with an
 * invocation token and the site's system token; the page never holds a credential. Forge sizes
 * the iframe itself.
 */
export function forgeHost(bridge: ForgeBridge): Host {
  // The context is read once: a gadget's configuration and entry point come with it.
  let context: Promise<ForgeContext> | null = null;
  const readContext = () => {
    // A failed read is not kept: the next call asks again.
    context ??= bridge.view.getContext().catch((error: unknown) => {
      context = null;
      throw error;
    });
    return context;
  };
  let gadget: HostGadget | null = null;
  return {
    platform: "forge",
    async context(): Promise<HostContext> {
      const context = await readContext();
      let page = forgePage(context.moduleKey);
      const extension = context.extension;
      const field =
        extension.type === "jira:customFieldType" && typeof extension.fieldId === "string"
          ? {
              id: extension.fieldId,
              value: extension.fieldValue ?? null,
              configuration: extension.configuration ?? null,
              async submit(payload: unknown) {
                await bridge.view.submit(payload);
              },
            }
          : undefined;
      // One resource for the field's three views: the entry point tells them apart.
      if (field && extension.entryPoint === "edit") {
        page = "field-edit";
      } else if (field && extension.entryPoint === "contextConfig") {
        page = "field-config";
      }
      if (context.extension.type === "jira:dashboardGadget") {
        const extension = context.extension;
        gadget = {
          editing: extension.entryPoint === "edit",
          savesInView: false,
          async settings() {
            const saved = extension.gadgetConfiguration;
            const empty =
              saved === null ||
              saved === undefined ||
              (typeof saved === "object" && Object.keys(saved).length === 0);
            return empty ? null : saved;
          },
          async save(settings: unknown) {
            await bridge.view.submit(settings);
          },
          onEdit() {
            // Forge opens the edit entry point in a fresh frame.
          },
        };
      }
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
        ...(field ? { field } : {}),
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
    async history(): Promise<HostHistory> {
      const history = await bridge.view.createHistory();
      return {
        path: () => pathOf(history.location),
        push: (path) => history.push(path),
        listen: (onChange) => history.listen((location) => onChange(pathOf(location))),
      };
    },
    openIssue(key: string) {
      navigate(bridge, { target: "issue", issueKey: key });
    },
    openAsset(key: string) {
      navigate(bridge, {
        target: "module",
        moduleKey: forgeModule("assets"),
        path: assetPath(key),
      });
    },
    openList(path: string) {
      navigate(bridge, { target: "module", moduleKey: forgeModule("assets"), path });
    },
    gadget() {
      return gadget;
    },
  };
}
