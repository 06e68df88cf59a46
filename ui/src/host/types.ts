/**
 * What a page may ask of the Jira host it runs in. Only `host/` knows whether that host is
 * Connect (the `AP` script) or Forge (`@forge/bridge`): pages see this interface alone, so the
 * same bundle runs in both and each page is tested against fake hosts.
 */

export type Platform = "connect" | "forge";

/** The product's pages; each host module (Connect URL, Forge module key) maps to one. */
export type PageName =
  | "issue-panel"
  | "assets"
  | "admin"
  | "gadget"
  | "field-view"
  | "field-edit"
  | "field-config";

export interface IssueRef {
  id: string;
  key: string;
}

export interface HostContext {
  platform: Platform;
  page: PageName;
  /** The Jira site the page is shown in. */
  siteUrl: string;
  /** The viewer; `null` when Jira did not say (anonymous access). */
  accountId: string | null;
  /** BCP 47, for dates and numbers. */
  locale: string;
  /** IANA, for dates. */
  timeZone: string;
  /** The issue an issue-view module was opened on. */
  issue: IssueRef | null;
  /** The Assets field (Forge only): its edit view or its context configuration. */
  field?: HostField;
}

/**
 * A Forge custom field's view: its id, its value on the issue, the context's configuration, and
 * `submit`, which hands Jira the new value (edit) or `{configuration}` (context configuration).
 */
export interface HostField {
  id: string;
  value: unknown;
  configuration: unknown;
  submit(payload: unknown): Promise<void>;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiRequest {
  method: HttpMethod;
  /** Our API path with its query string, such as `/api/v1/assets/query`. */
  path: string;
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  /** The parsed JSON body; `null` for an empty one. */
  body: unknown;
}

export type FlagKind = "success" | "info" | "warning" | "error";

/**
 * Where the person is within a page (an opened asset), kept in the host's own URL: a reload or
 * a shared link of the Jira page comes back to it, and the browser's back button leaves it.
 * Paths are the app's, such as `/asset/IT-12`; `/` is the page itself.
 */
export interface HostHistory {
  path(): string;
  push(path: string): void;
  /** Called on back and forward; answers a function that stops listening. */
  listen(onChange: (path: string) => void): () => void;
}

export interface Host {
  readonly platform: Platform;
  context(): Promise<HostContext>;
  /** Calls our server as the viewer; the host adds the credentials. Rejects only when the
   *  server could not be reached: an HTTP error is an answer. */
  request(request: ApiRequest): Promise<ApiResponse>;
  /** Fits the iframe to the content after it changed size. */
  resize(): void;
  /** A transient message in the host's own style. */
  flag(title: string, kind: FlagKind): void;
  /** Applies Jira's light or dark theme (the `--ds-*` design tokens). */
  enableTheme(): Promise<void>;
  /** The page's place in the host URL (see {@link HostHistory}). */
  history(): Promise<HostHistory>;
  /** Shows an issue in Jira, in place of the app's page. */
  openIssue(key: string): void;
  /** Shows the asset list with one asset opened, from another page (the issue panel). */
  openAsset(key: string): void;
  /** Shows the asset list at `path` of its history (a search: `query.ts`'s `listPath`), from
   *  another page (the dashboard gadget). */
  openList(path: string): void;
  /** The dashboard gadget's own settings; `null` on every other page. */
  gadget(): HostGadget | null;
}

/**
 * A placed dashboard gadget's settings, kept by Jira for that gadget: Forge's gadget
 * configuration (`view.submit`), Connect's dashboard item property (written in the viewer's
 * session). What they hold is the page's business; the host keeps them.
 */
export interface HostGadget {
  /** Whether Jira opened the gadget to be configured (Forge's edit entry point). */
  readonly editing: boolean;
  /** Whether settings can be saved from the gadget's view too (Connect); Forge saves only from
   *  its edit entry point, which Jira opens from the gadget's Edit. */
  readonly savesInView: boolean;
  /** The saved settings, or `null` before the first save. */
  settings(): Promise<unknown>;
  /** Saves the settings. Forge shows the gadget's view again by itself. */
  save(settings: unknown): Promise<void>;
  /** Jira's Configure on a Connect gadget; Forge reloads the frame at its edit entry point. */
  onEdit(callback: () => void): void;
}

/** The app path of an opened asset, and back. */
export function assetPath(key: string): string {
  return `/asset/${encodeURIComponent(key)}`;
}

export function assetOfPath(path: string): string | null {
  const match = /^\/asset\/([^/?#]+)\/?$/.exec(path);
  if (!match?.[1]) {
    return null;
  }
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

const PAGE_NAMES: readonly PageName[] = [
  "issue-panel",
  "assets",
  "admin",
  "gadget",
  "field-view",
  "field-edit",
  "field-config",
];

/** Connect module URLs name the page in a meta tag the boot page carries; Forge's module keys
 *  map to one too (`forge.ts`). */
export function pageName(value: string | null | undefined): PageName | null {
  return PAGE_NAMES.find((p) => p === value) ?? null;
}
