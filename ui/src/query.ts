/**
 * The list's query, apart from the page: what the person typed, the type chosen in the tree and
 * the column sorted, composed into the AQL the server runs, and kept in the host URL as a path.
 * Pure functions, so the rules are unit-tested without a page.
 */

export type SortDirection = "ASC" | "DESC";

export interface ListState {
  schema: string | null;
  /** The type chosen in the tree; `null` for every type. */
  type: string | null;
  /** What the person typed. */
  aql: string;
  sort: { key: string; dir: SortDirection } | null;
}

export const EMPTY_LIST: ListState = { schema: null, type: null, aql: "", sort: null };

/** A name as AQL takes it: bare when it can be, quoted otherwise. */
export function quoteName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
    ? name
    : `"${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The typed query without a trailing `ORDER BY`, and that `ORDER BY` (a sorted column replaces it). */
export function splitOrder(text: string): { where: string; order: string } {
  const match = /\border\s+by\b/i.exec(text);
  if (!match) {
    return { where: text.trim(), order: "" };
  }
  return { where: text.slice(0, match.index).trim(), order: text.slice(match.index).trim() };
}

/** The AQL the server runs for this state. */
export function composeQuery(state: ListState): string {
  const { where, order } = splitOrder(state.aql);
  const conditions: string[] = [];
  if (state.type) {
    conditions.push(`objectType = ${quoteName(state.type)}`);
  }
  if (where) {
    conditions.push(state.type ? `(${where})` : where);
  }
  const orderBy = state.sort ? `ORDER BY ${quoteName(state.sort.key)} ${state.sort.dir}` : order;
  return `${conditions.join(" AND ")} ${orderBy}`.trim();
}

/** The column headers that sort, and the AQL name each sorts by (attributes sort by name). */
const SORT_KEYS: Record<string, string> = {
  Key: "Key",
  Label: "label",
  Created: "created",
  Updated: "updated",
};
/** Custody's columns, beside the built-in ones: who holds an asset, until when, since when. */
export const CUSTODY_COLUMNS = ["Holder", "Due", "Checked out"] as const;
/** A licence's seats, for lists of licences. */
export const SEAT_COLUMNS = ["Seats entitled", "Seats assigned", "Seats free"] as const;

/** A stock item's totals, for lists of stock (AQL's `quantity` and `belowMinimum`). */
export const STOCK_COLUMNS = ["Quantity", "Below minimum"] as const;

const UNSORTABLE = new Set<string>([
  "Type",
  "Status",
  ...CUSTODY_COLUMNS,
  ...SEAT_COLUMNS,
  ...STOCK_COLUMNS,
]);

export function sortKeyOf(column: string): string | null {
  return SORT_KEYS[column] ?? (UNSORTABLE.has(column) ? null : column);
}

/** Clicking a sorted column turns its direction; another column starts ascending. */
export function nextSort(current: ListState["sort"], key: string): NonNullable<ListState["sort"]> {
  return current?.key === key && current.dir === "ASC" ? { key, dir: "DESC" } : { key, dir: "ASC" };
}

/** The list's place in the host URL: `/` with the non-empty parts as parameters. */
export function listPath(state: ListState): string {
  const params = new URLSearchParams();
  if (state.schema) params.set("schema", state.schema);
  if (state.type) params.set("type", state.type);
  if (state.aql.trim()) params.set("aql", state.aql.trim());
  if (state.sort) params.set("sort", `${state.sort.key} ${state.sort.dir}`);
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

export function parseListPath(path: string): ListState {
  const at = path.indexOf("?");
  if (!(path.startsWith("/") && (at === -1 ? path === "/" : at === 1))) {
    return EMPTY_LIST;
  }
  const params = new URLSearchParams(at === -1 ? "" : path.slice(at + 1));
  const sort = /^(.+) (ASC|DESC)$/.exec(params.get("sort") ?? "");
  return {
    schema: params.get("schema") || null,
    type: params.get("type") || null,
    aql: params.get("aql") ?? "",
    sort: sort?.[1] && sort[2] ? { key: sort[1], dir: sort[2] as SortDirection } : null,
  };
}

/** UTF-8 byte offsets (the server's) and UTF-16 offsets (the input's), both ways. */
export function byteOffset(text: string, chars: number): number {
  return new TextEncoder().encode(text.slice(0, chars)).length;
}

export function charOffset(text: string, bytes: number): number {
  return new TextDecoder().decode(new TextEncoder().encode(text).slice(0, bytes)).length;
}

export interface Completion {
  label: string;
  insert: string;
  kind: string;
}

/** Puts a completion in place of the bytes the server said it replaces; answers the new text
 *  and where the caret goes (after the insert and one space). */
export function applyCompletion(
  text: string,
  replace: { replaceStart: number; replaceEnd: number },
  item: Completion,
): { text: string; caret: number } {
  const start = charOffset(text, replace.replaceStart);
  const end = charOffset(text, replace.replaceEnd);
  const rest = text.slice(end).replace(/^ /, "");
  return {
    text: `${text.slice(0, start)}${item.insert} ${rest}`,
    caret: start + item.insert.length + 1,
  };
}

/** The columns a list shows by default: the built-in ones, then the first few attributes. */
export const BUILT_IN_COLUMNS = ["Key", "Label", "Type", "Status"] as const;

export function defaultColumns(attributes: string[]): string[] {
  return [...BUILT_IN_COLUMNS, ...attributes.filter((a) => a !== "Name").slice(0, 3)];
}

/** Chosen columns are kept per schema in the browser; a blocked storage keeps the defaults. */
export function loadColumns(storage: Storage | null, schema: string, fallback: string[]): string[] {
  try {
    const saved: unknown = JSON.parse(storage?.getItem(`amj.columns.${schema}`) ?? "null");
    if (Array.isArray(saved) && saved.length > 0 && saved.every((c) => typeof c === "string")) {
      return saved;
    }
  } catch {
    // Storage may be blocked in a third-party frame.
  }
  return fallback;
}

export function saveColumns(storage: Storage | null, schema: string, columns: string[]) {
  try {
    storage?.setItem(`amj.columns.${schema}`, JSON.stringify(columns));
  } catch {
    // As above: the choice then lasts as long as the page.
  }
}

/** The dashboard's place in the host URL: `/dashboard`, with the schema when there is one. */
export function dashboardPath(schema: string | null): string {
  return schema ? `/dashboard?${new URLSearchParams({ schema })}` : "/dashboard";
}

/** The schema of a dashboard path (`""` for none), or `null` when `path` is not the dashboard. */
export function dashboardOfPath(path: string): string | null {
  const match = /^\/dashboard(?:\?(.*))?$/.exec(path);
  if (!match) {
    return null;
  }
  return new URLSearchParams(match[1] ?? "").get("schema") ?? "";
}

/** The custody lists (and licence compliance) the asset page shows besides the list and the
 *  dashboard. */
export type CustodyList =
  | "mine"
  | "overdue"
  | "licences"
  | "restock"
  | "kits"
  | "requests"
  | "bookings";

export function custodyPath(list: CustodyList): string {
  return `/custody/${list}`;
}

/** Which custody list a path shows, or `null` when it shows none. */
export function custodyOfPath(path: string): CustodyList | null {
  const match = /^\/custody\/(mine|overdue|licences|restock|kits|requests|bookings)\/?$/.exec(path);
  return match ? (match[1] as CustodyList) : null;
}
