import type { ComponentType } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  type Api,
  ApiError,
  type AssetSummary,
  type AssetType,
  type AttributeDef,
  type Schema,
  type Status,
} from "../api";
import { AqlEditor } from "../components/AqlEditor";
import { HolderText, holderAccounts, isOverdue } from "../components/Custody";
import { Lozenge } from "../components/Lozenge";
import { PeopleValue } from "../components/PersonName";
import { SavedViews } from "../components/SavedViews";
import { StatusSelect } from "../components/StatusSelect";
import { csvName, seatText, stockText, toCsv } from "../csv";
import { type Formats, valueText } from "../format";
import { gridKey, keptRow } from "../grid";
import { assetOfPath, assetPath, type Host, type HostHistory } from "../host/types";
import { TypeIcon } from "../icons";
import { describe } from "../messages";
import { accountIdsOf, type Person, usePeople } from "../people";
import {
  BUILT_IN_COLUMNS,
  CUSTODY_COLUMNS,
  type CustodyList,
  composeQuery,
  custodyOfPath,
  custodyPath,
  dashboardOfPath,
  dashboardPath,
  defaultColumns,
  EMPTY_LIST,
  type ListState,
  listPath,
  loadColumns,
  nextSort,
  parseListPath,
  SEAT_COLUMNS,
  STOCK_COLUMNS,
  saveColumns,
  sortKeyOf,
} from "../query";
import { listOf } from "../views";
import { AssetForm } from "./AssetForm";

interface Props {
  api: Api;
  host: Host;
  formats: Formats;
  context?: { locale: string; accountId?: string | null };
}

type DashboardComponent = ComponentType<import("./Dashboard").DashboardProps>;
type CustodyListsComponent = typeof import("./CustodyLists").CustodyLists;
type AssetDetailComponent = typeof import("./AssetDetail").AssetDetail;

interface Page {
  items: AssetSummary[];
  nextCursor: string | null;
}

const PAGE = 50;

const BULK_KINDS = new Set<AttributeDef["kind"]>([
  "text",
  "integer",
  "decimal",
  "boolean",
  "date",
  "url",
  "email",
  "ip_address",
  "select",
]);

/** The browser's storage, where the frame may use it. */
function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * The asset list: a type tree beside an AQL search (checked and completed while typing), the
 * matching assets a page at a time in chosen and sortable columns, bulk changes, and an asset's
 * detail. The detail is a view of this page, not a new page: a new page load inside Jira needs
 * a new signed URL from the host. Where the person is (the query, or an opened asset) is kept
 * in the host's URL, so a reload, a shared link or the panel's link lands there, and the
 * browser's back button steps back through it.
 */
export function AssetsPage({ api, host, formats, context }: Props) {
  const [view, setView] = useState<"list" | "dashboard" | CustodyList>("list");
  // The dashboard is a chunk of its own, fetched the first time it is shown.
  const [dashboard, setDashboard] = useState<{ page: DashboardComponent } | null>(null);
  // "My assets" and "Overdue" are a chunk of their own too.
  const [custodyLists, setCustodyLists] = useState<{ page: CustodyListsComponent } | null>(null);
  // An asset's detail is a chunk of its own as well: the list's first view does without it.
  const [detail, setDetail] = useState<{ page: AssetDetailComponent } | null>(null);
  // Live assets per exact type, for the tree; `null` until known (or if the figures fail).
  const [typeCounts, setTypeCounts] = useState<Map<string, number> | null>(null);
  const [schemas, setSchemas] = useState<Schema[] | null>(null);
  const [types, setTypes] = useState<AssetType[]>([]);
  const [list, setList] = useState<ListState>(EMPTY_LIST);
  const [typed, setTyped] = useState("");
  const [page, setPage] = useState<Page | null>(null);
  const [pageIndex, setPageIndex] = useState(0);
  const cursors = useRef<(string | null)[]>([null]);
  const [total, setTotal] = useState<{ n: number | null; exact: boolean | null }>({
    n: null,
    exact: null,
  });
  const [queryError, setQueryError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [columns, setColumns] = useState<string[]>([...BUILT_IN_COLUMNS]);
  // Selected assets by key, with the version each was read at.
  const [selected, setSelected] = useState<Map<string, number>>(new Map());
  const [statuses, setStatuses] = useState<Status[]>([]);
  const [bulkMessage, setBulkMessage] = useState("");
  // "Select all" went past the page: the change is to every match of the query.
  const [allMatches, setAllMatches] = useState(false);
  const lastOpened = useRef<string | null>(null);
  const history = useRef<HostHistory | null>(null);
  const focusAfterPaging = useRef(false);
  // The row that is the grid's tab stop (see grid.ts).
  const [activeRow, setActiveRow] = useState(0);

  // Attributes a bulk change can set: single values people type or pick.
  const editable = useMemo(() => {
    const seen = new Map<string, AttributeDef>();
    for (const type of types) {
      for (const attribute of type.attributes) {
        if (BULK_KINDS.has(attribute.kind) && !attribute.multiple && !seen.has(attribute.name)) {
          seen.set(attribute.name, attribute);
        }
      }
    }
    return [...seen.values()];
  }, [types]);
  const attributes = useMemo(() => {
    const names: string[] = [];
    for (const type of types) {
      for (const attribute of type.attributes) {
        if (!names.includes(attribute.name)) {
          names.push(attribute.name);
        }
      }
    }
    return names;
  }, [types]);

  /** Runs the list's query for page `index` (0 starts over and counts). */
  const run = useCallback(
    async (state: ListState, index: number) => {
      if (!state.schema) {
        return;
      }
      setBusy(true);
      setFailure(null);
      try {
        const cursor = index === 0 ? null : (cursors.current[index] ?? null);
        const options = cursor
          ? { schema: state.schema, limit: PAGE, cursor }
          : { schema: state.schema, limit: PAGE };
        const found = await api.query(composeQuery(state), options);
        setQueryError(null);
        if (index === 0) {
          cursors.current = [null];
          setSelected(new Map());
          setAllMatches(false);
          setTotal({ n: found.total, exact: found.totalExact });
        }
        cursors.current[index + 1] = found.nextCursor;
        setPageIndex(index);
        setPage({ items: found.items, nextCursor: found.nextCursor });
      } catch (error) {
        if (error instanceof ApiError && error.status === 400) {
          setQueryError(error.aqlExcerpt ?? error.message);
        } else {
          setFailure(`Could not search: ${describe(error)}`);
        }
      } finally {
        setBusy(false);
      }
    },
    [api],
  );

  /**
   * The tree's counts, from the reports API's maintained counters. They depend on the schema's
   * assets, not on the search, so they are asked when the schema is shown and after this page
   * creates or archives assets, not with every search.
   */
  const refreshCounts = useCallback(
    (schema: string) => {
      api
        .counts(schema)
        .then((c) => setTypeCounts(new Map(c.byType.map((s) => [s.name, s.count]))))
        .catch(() => setTypeCounts(null));
    },
    [api],
  );

  /** Shows the list for `state`: its types and columns when the schema changes, then page 1. */
  const showList = useCallback(
    async (state: ListState, schemaChanged: boolean) => {
      setList(state);
      setTyped(state.aql);
      if (state.schema && schemaChanged) {
        refreshCounts(state.schema);
        try {
          const found = await api.types(state.schema);
          setTypes(found);
          const names = [...new Set(found.flatMap((t) => t.attributes.map((a) => a.name)))];
          setColumns(loadColumns(storage(), state.schema, defaultColumns(names)));
          setStatuses([]);
        } catch (error) {
          setFailure(`Could not load the types: ${describe(error)}`);
          return;
        }
      }
      await run(state, 0);
    },
    [api, run, refreshCounts],
  );

  /** Moves to a list state, and records it in the host URL. */
  const go = (state: ListState) => {
    const schemaChanged = state.schema !== list.schema;
    setView("list");
    history.current?.push(listPath(state));
    void showList(state, schemaChanged);
  };

  const showDashboard = () => {
    setView("dashboard");
    setOpen(null);
    history.current?.push(dashboardPath(list.schema));
  };

  const showCustody = (which: CustodyList) => {
    setView(which);
    setOpen(null);
    history.current?.push(custodyPath(which));
  };

  const start = useCallback(async () => {
    setFailure(null);
    let where = "/";
    try {
      history.current = await host.history();
      where = history.current.path();
    } catch {
      // A host without history still shows the list; places are then not in its URL.
    }
    try {
      const found = await api.schemas();
      setSchemas(found);
      const onDashboard = dashboardOfPath(where);
      const onCustody = custodyOfPath(where);
      const asked =
        onDashboard === null && onCustody === null
          ? parseListPath(where)
          : { ...EMPTY_LIST, schema: onDashboard || null };
      if (onDashboard !== null) {
        setView("dashboard");
      } else if (onCustody !== null) {
        setView(onCustody);
      }
      const schema =
        found.find((s) => s.key.toLowerCase() === asked.schema?.toLowerCase())?.key ??
        found[0]?.key ??
        null;
      setOpen(assetOfPath(where));
      if (schema) {
        await showList({ ...asked, schema }, true);
      }
    } catch (error) {
      setFailure(`Could not load the schemas: ${describe(error)}`);
    }
  }, [api, host, showList]);

  useEffect(() => {
    void start();
  }, [start]);

  // Back and forward move through the host URL's places.
  useEffect(() => {
    const current = history.current;
    if (!current) {
      return;
    }
    return current.listen((path) => {
      const asset = assetOfPath(path);
      setOpen(asset);
      const onDashboard = dashboardOfPath(path);
      const onCustody = custodyOfPath(path);
      setView(onDashboard !== null ? "dashboard" : (onCustody ?? "list"));
      if (asset === null && onDashboard === null && onCustody === null) {
        const asked = parseListPath(path);
        const state = { ...asked, schema: asked.schema ?? list.schema };
        if (listPath(state) !== listPath(list)) {
          void showList(state, state.schema !== list.schema);
        }
      }
    });
  }, [list, showList, schemas]);

  const show = (key: string | null) => {
    setOpen(key);
    const back = view !== "list" && view !== "dashboard" ? custodyPath(view) : listPath(list);
    history.current?.push(key === null ? back : assetPath(key));
  };

  useEffect(() => host.resize(), [host, page, open, queryError, failure, creating, view]);
  useEffect(() => {
    if (view !== "list" && view !== "dashboard" && custodyLists === null) {
      import("./CustodyLists")
        .then((m) => setCustodyLists({ page: m.CustodyLists }))
        .catch((error: unknown) => setFailure(`Could not load the list: ${describe(error)}`));
    }
  }, [view, custodyLists]);
  useEffect(() => {
    if (open !== null && detail === null) {
      import("./AssetDetail")
        .then((m) => setDetail({ page: m.AssetDetail }))
        .catch((error: unknown) => setFailure(`Could not load the asset: ${describe(error)}`));
    }
  }, [open, detail]);
  useEffect(() => {
    if (view === "dashboard" && dashboard === null) {
      import("./Dashboard")
        .then((m) => setDashboard({ page: m.Dashboard }))
        .catch((error: unknown) => setFailure(`Could not load the dashboard: ${describe(error)}`));
    }
  }, [view, dashboard]);
  // `/` jumps to the search from anywhere on the page but a field, as in Jira.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing = target?.closest("input, textarea, select, [contenteditable='true']");
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        const box = document.getElementById("amj-aql");
        if (box) {
          event.preventDefault();
          box.focus();
        }
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  // When the first rows are on screen, for the time-to-first-rows measurement.
  const marked = useRef(false);
  useEffect(() => {
    if (page && !marked.current) {
      marked.current = true;
      performance.mark?.("amj-rows");
    }
  }, [page]);
  // Back from an asset, focus returns to the row it was opened from, once: not on every later
  // page load, which would take focus from wherever the person is.
  useEffect(() => {
    const key = lastOpened.current;
    if (open === null && !creating && key && page) {
      const row = document.querySelector<HTMLElement>(
        `#amj-rows tr[data-key="${CSS.escape(key)}"]`,
      );
      if (row) {
        row.focus();
        lastOpened.current = null;
      }
    }
  }, [open, creating, page]);
  // Paging by keyboard: on the last page Next is disabled, so focus moves to Previous.
  useEffect(() => {
    if (focusAfterPaging.current && !busy) {
      focusAfterPaging.current = false;
      const next = document.getElementById("amj-next") as HTMLButtonElement | null;
      (next && !next.disabled ? next : document.getElementById("amj-prev"))?.focus();
    }
  }, [busy, page]);
  // The statuses the bulk bar offers, once something is selected.
  useEffect(() => {
    if (list.schema && selected.size > 0 && statuses.length === 0) {
      api
        .statuses(list.schema)
        .then(setStatuses)
        .catch(() => setStatuses([]));
    }
  }, [api, list.schema, selected.size, statuses.length]);

  // Jira user columns hold accountIds; the page's people are asked for at once, by name and
  // avatar.
  const userColumns = new Set(
    types.flatMap((t) => t.attributes.filter((a) => a.kind === "jira_user").map((a) => a.name)),
  );
  const people = usePeople(
    api,
    (page?.items ?? []).flatMap((asset) => [
      ...columns
        .filter((c) => userColumns.has(c))
        .flatMap((c) => accountIdsOf(asset.attributes?.[c])),
      ...(columns.includes("Holder") ? holderAccounts([asset.custody?.holder]) : []),
    ]),
  );
  if (creating && list.schema) {
    return (
      <section id="amj-assets" data-state="form">
        <AssetForm
          api={api}
          formats={formats}
          schema={list.schema}
          onSaved={(created) => {
            setCreating(false);
            lastOpened.current = null;
            show(created.key);
            void run(list, 0);
            refreshCounts(list.schema ?? created.schema);
          }}
          onCancel={() => setCreating(false)}
        />
      </section>
    );
  }
  if (open !== null) {
    return (
      <section id="amj-assets" data-state="detail">
        {detail ? (
          <detail.page
            api={api}
            assetKey={open}
            formats={formats}
            viewer={context?.accountId ?? null}
            onBack={() => show(null)}
            onOpenIssue={(key) => host.openIssue(key)}
            onOpenAsset={(key) => show(key)}
          />
        ) : failure ? (
          <p class="amj-error" role="alert">
            {failure}
          </p>
        ) : (
          <p class="amj-subtle">Loading…</p>
        )}
      </section>
    );
  }
  if (schemas !== null && schemas.length === 0) {
    return (
      <section id="amj-assets" data-state="empty" aria-labelledby="amj-empty-heading">
        <h1 id="amj-empty-heading">No assets yet</h1>
        <p>
          Create a schema and an asset type in the app's settings, or import a CSV, and your assets
          will be listed here.
        </p>
      </section>
    );
  }

  const state =
    schemas === null || busy || page === null ? "loading" : queryError ? "invalid" : "ready";
  const toggle = (asset: AssetSummary, on: boolean) =>
    setSelected((current) => {
      const next = new Map(current);
      if (on) {
        next.set(asset.key, asset.version);
      } else {
        next.delete(asset.key);
      }
      return next;
    });
  const chosen = [...selected].map(([key, version]) => ({ key, version }));
  const schemaName = schemas?.find((s) => s.key === list.schema)?.name ?? list.schema ?? "";
  const pickColumn = (name: string, on: boolean) => {
    const next = on ? [...columns, name] : columns.filter((c) => c !== name);
    const kept = next.length > 0 ? next : ["Key"];
    setColumns(kept);
    if (list.schema) {
      saveColumns(storage(), list.schema, kept);
    }
  };
  const page0 = page ?? { items: [], nextCursor: null };

  return (
    <div class="amj-layout">
      <nav id="amj-nav" aria-label="Asset types" class="amj-nav">
        {schemas && schemas.length > 1 && (
          <label>
            Schema{" "}
            <select
              id="amj-schema"
              value={list.schema ?? ""}
              onChange={(event) =>
                go({ ...EMPTY_LIST, schema: event.currentTarget.value, aql: typed })
              }
            >
              {schemas.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <button
          type="button"
          id="amj-open-dashboard"
          class="amj-tree-item"
          aria-current={view === "dashboard" ? "page" : undefined}
          onClick={showDashboard}
        >
          Dashboard
        </button>
        <button
          type="button"
          id="amj-open-mine"
          class="amj-tree-item"
          aria-current={view === "mine" ? "page" : undefined}
          onClick={() => showCustody("mine")}
        >
          My assets
        </button>
        <button
          type="button"
          id="amj-open-overdue"
          class="amj-tree-item"
          aria-current={view === "overdue" ? "page" : undefined}
          onClick={() => showCustody("overdue")}
        >
          Overdue
        </button>
        <button
          type="button"
          id="amj-open-licences"
          class="amj-tree-item"
          aria-current={view === "licences" ? "page" : undefined}
          onClick={() => showCustody("licences")}
        >
          Licences
        </button>
        <button
          type="button"
          id="amj-open-restock"
          class="amj-tree-item"
          aria-current={view === "restock" ? "page" : undefined}
          onClick={() => showCustody("restock")}
        >
          Restock
        </button>
        <button
          type="button"
          id="amj-open-kits"
          class="amj-tree-item"
          aria-current={view === "kits" ? "page" : undefined}
          onClick={() => showCustody("kits")}
        >
          Kits
        </button>
        <button
          type="button"
          id="amj-open-bookings"
          class="amj-tree-item"
          aria-current={view === "bookings" ? "page" : undefined}
          onClick={() => showCustody("bookings")}
        >
          Bookings
        </button>
        <button
          type="button"
          id="amj-open-requests"
          class="amj-tree-item"
          aria-current={view === "requests" ? "page" : undefined}
          onClick={() => showCustody("requests")}
        >
          Requests
        </button>
        <TypeTree
          types={types}
          formats={formats}
          counts={typeCounts}
          chosen={view === "list" ? list.type : undefined}
          onChoose={(type) => go({ ...list, aql: typed, type })}
        />
      </nav>
      {view !== "list" && view !== "dashboard" ? (
        <div id="amj-assets" data-state={view} class="amj-main">
          {failure && (
            <p class="amj-error" role="alert">
              {failure}
            </p>
          )}
          {custodyLists ? (
            <custodyLists.page
              api={api}
              formats={formats}
              list={view}
              schema={list.schema}
              viewer={context?.accountId ?? null}
              onOpen={(key) => show(key)}
            />
          ) : (
            !failure && <p class="amj-subtle">Loading…</p>
          )}
        </div>
      ) : view === "dashboard" ? (
        <div id="amj-assets" data-state="dashboard" class="amj-main">
          {failure && (
            <p class="amj-error" role="alert">
              {failure}
            </p>
          )}
          {dashboard && list.schema ? (
            <dashboard.page
              api={api}
              schema={list.schema}
              schemaName={schemaName}
              locale={context?.locale ?? navigator.language}
              formats={formats}
              onOpen={(aql: string) => go({ ...EMPTY_LIST, schema: list.schema, aql })}
            />
          ) : (
            !failure && <p class="amj-subtle">Loading…</p>
          )}
        </div>
      ) : (
        <section id="amj-assets" data-state={state} aria-busy={busy}>
          <nav aria-label="Breadcrumbs" class="amj-breadcrumbs">
            <ol>
              <li>Assets</li>
              <li>{schemaName}</li>
              {list.type && <li aria-current="page">{list.type}</li>}
            </ol>
          </nav>
          <h1>{list.type ?? "All assets"}</h1>
          {list.schema && (
            <button type="button" id="amj-new" class="amj-button" onClick={() => setCreating(true)}>
              New asset
            </button>
          )}
          <search>
            <form
              id="amj-search"
              class="amj-search-row"
              noValidate
              onSubmit={(event) => {
                event.preventDefault();
                go({ ...list, aql: typed });
              }}
            >
              {list.schema && (
                <AqlEditor
                  api={api}
                  schema={list.schema}
                  value={typed}
                  onInput={setTyped}
                  onSubmit={() => go({ ...list, aql: typed })}
                  searchError={queryError}
                />
              )}
              <button type="submit" class="amj-button">
                Search
              </button>
            </form>
          </search>
          {list.schema && (
            <SavedViews
              api={api}
              schema={list.schema}
              shown={{ list, columns }}
              onApply={(view) => {
                const schema = list.schema ?? "";
                setColumns(view.columns);
                saveColumns(storage(), schema, view.columns);
                go(listOf(view, schema));
              }}
            />
          )}
          <div class="amj-search-row">
            <p id="amj-count" class="amj-subtle">
              {page ? countText(pageIndex, page0.items.length, total, formats) : ""}
            </p>
            <button
              type="button"
              id="amj-export"
              class="amj-button amj-subtle-button"
              disabled={!page || page0.items.length === 0}
              onClick={() => exportPage(columns, page0.items, list.schema ?? "assets", pageIndex)}
            >
              Export page as CSV
            </button>
            <details id="amj-columns" class="amj-columns">
              <summary>Columns</summary>
              <fieldset id="amj-column-list">
                <legend class="amj-visually-hidden">Columns to show</legend>
                {[
                  ...BUILT_IN_COLUMNS,
                  "Updated",
                  ...CUSTODY_COLUMNS,
                  ...SEAT_COLUMNS,
                  ...STOCK_COLUMNS,
                  // A user attribute named like a built-in column is shadowed by it, as in AQL.
                  ...attributes.filter((a) => !(STOCK_COLUMNS as readonly string[]).includes(a)),
                ].map((name, i) => (
                  <div key={name}>
                    <input
                      type="checkbox"
                      id={`amj-column-${i}`}
                      checked={columns.includes(name)}
                      onChange={(e) => pickColumn(name, e.currentTarget.checked)}
                    />
                    <label for={`amj-column-${i}`}>{name}</label>
                  </div>
                ))}
              </fieldset>
            </details>
          </div>
          {selected.size > 0 && list.schema && (
            <BulkBar
              api={api}
              schema={list.schema}
              aql={composeQuery(list)}
              chosen={chosen}
              pageSize={page0.items.length}
              total={total}
              allMatches={allMatches}
              onAllMatches={setAllMatches}
              statuses={statuses}
              attributes={editable}
              formats={formats}
              onDone={async (message) => {
                setBulkMessage(message);
                await run(list, 0);
                if (list.schema) {
                  refreshCounts(list.schema);
                }
              }}
              onClear={() => setSelected(new Map())}
            />
          )}
          <output id="amj-bulk-result" class="amj-subtle amj-status-line">
            {bulkMessage}
          </output>
          <p id="amj-grid-help" class="amj-visually-hidden">
            Arrow keys move between assets, Enter opens one, Space selects it.
          </p>
          {/* biome-ignore lint/a11y: a table that is also an ARIA grid (its rows are focused and selected), as the WAI-ARIA grid pattern allows; axe checks the result in the browser tests */}
          <table
            class="amj-table"
            id="amj-table"
            role="grid"
            aria-label="Assets"
            aria-describedby="amj-grid-help"
            aria-multiselectable="true"
          >
            <thead>
              <tr id="amj-head">
                <th scope="col">
                  <input
                    type="checkbox"
                    id="amj-select-all"
                    aria-label="Select every asset on this page"
                    checked={
                      page0.items.length > 0 && page0.items.every((a) => selected.has(a.key))
                    }
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      for (const asset of page0.items) {
                        toggle(asset, on);
                      }
                    }}
                  />
                </th>
                {columns.map((column) => (
                  <ColumnHeader
                    key={column}
                    column={column}
                    sort={list.sort}
                    onSort={(key) => go({ ...list, aql: typed, sort: nextSort(list.sort, key) })}
                  />
                ))}
              </tr>
            </thead>
            <tbody id="amj-rows">
              {page0.items.map((asset, i) => (
                <tr
                  key={asset.key}
                  id={asset.key}
                  data-key={asset.key}
                  tabIndex={i === keptRow(activeRow, page0.items.length) ? 0 : -1}
                  aria-selected={selected.has(asset.key)}
                  onFocus={() => setActiveRow(i)}
                  onKeyDown={(event) => {
                    if (event.target !== event.currentTarget) {
                      return;
                    }
                    const action = gridKey(event.key, i, page0.items.length);
                    if (action.kind === "none") {
                      return;
                    }
                    event.preventDefault();
                    const row = page0.items[action.kind === "move" ? action.to : action.row];
                    if (!row) {
                      return;
                    }
                    if (action.kind === "move") {
                      setActiveRow(action.to);
                      document
                        .querySelector<HTMLElement>(
                          `#amj-rows tr[data-key="${CSS.escape(row.key)}"]`,
                        )
                        ?.focus();
                    } else if (action.kind === "open") {
                      lastOpened.current = row.key;
                      show(row.key);
                    } else {
                      toggle(row, !selected.has(row.key));
                    }
                  }}
                >
                  <td>
                    <input
                      type="checkbox"
                      tabIndex={-1}
                      aria-label={`Select ${asset.key}`}
                      checked={selected.has(asset.key)}
                      onChange={(e) => toggle(asset, e.currentTarget.checked)}
                    />
                  </td>
                  {columns.map((column) => (
                    <td key={column}>
                      {column === "Key" ? (
                        <button
                          type="button"
                          class="amj-link-button"
                          data-open={asset.key}
                          tabIndex={-1}
                          onClick={() => {
                            lastOpened.current = asset.key;
                            show(asset.key);
                          }}
                        >
                          {asset.key}
                        </button>
                      ) : (
                        <Cell
                          asset={asset}
                          column={column}
                          formats={formats}
                          people={userColumns.has(column) || column === "Holder" ? people : null}
                        />
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {page && page0.items.length === 0 && (
            <p id="amj-empty-result" class="amj-subtle">
              No assets match.
            </p>
          )}
          <nav aria-label="Pages" class="amj-search-row">
            <button
              type="button"
              id="amj-prev"
              class="amj-button amj-subtle-button"
              disabled={busy || pageIndex === 0}
              onClick={() => {
                focusAfterPaging.current = true;
                void run(list, pageIndex - 1);
              }}
            >
              Previous
            </button>
            <button
              type="button"
              id="amj-next"
              class="amj-button amj-subtle-button"
              disabled={busy || !page0.nextCursor}
              onClick={() => {
                focusAfterPaging.current = true;
                void run(list, pageIndex + 1);
              }}
            >
              Next
            </button>
          </nav>
          {failure && (
            <div id="amj-error" class="amj-error" role="alert">
              <p id="amj-error-text">{failure}</p>
              <button
                type="button"
                id="amj-retry"
                class="amj-button"
                onClick={() => (list.schema ? void run(list, 0) : void start())}
              >
                Retry
              </button>
            </div>
          )}
        </section>
      )}
    </div>
  );
}

/** The types of the schema as a tree (by parent), each choosing the list's type. */
function TypeTree({
  types,
  formats,
  counts,
  chosen,
  onChoose,
}: {
  types: AssetType[];
  formats: Formats;
  /** Live assets per exact type: what choosing the type lists. */
  counts: Map<string, number> | null;
  /** `undefined` when the list is not showing, so no item is current. */
  chosen: string | null | undefined;
  onChoose: (type: string | null) => void;
}) {
  const count = (type: AssetType) => {
    const n = counts?.get(type.name) ?? (counts ? 0 : null);
    return n === null || type.isAbstract ? null : (
      <span class="amj-count" data-count={n}>
        {formats.count(n)}
      </span>
    );
  };
  const children = (parent: number | null): AssetType[] =>
    types.filter((t) => t.parentId === parent).sort((a, b) => a.name.localeCompare(b.name));
  const branch = (parent: number | null) => {
    const below = children(parent);
    return below.length === 0 ? null : (
      <ul>
        {below.map((type) => (
          <li key={type.id}>
            <button
              type="button"
              class="amj-tree-item"
              data-type={type.name}
              aria-current={chosen === type.name ? "true" : undefined}
              onClick={() => onChoose(type.name)}
            >
              <TypeIcon icon={type.icon} /> {type.name} {count(type)}
            </button>
            {branch(type.id)}
          </li>
        ))}
      </ul>
    );
  };
  return (
    <div id="amj-type-tree" class="amj-tree">
      <button
        type="button"
        class="amj-tree-item"
        data-type=""
        aria-current={chosen === null ? "true" : undefined}
        onClick={() => onChoose(null)}
      >
        All types
      </button>
      {branch(null)}
    </div>
  );
}

function ColumnHeader({
  column,
  sort,
  onSort,
}: {
  column: string;
  sort: ListState["sort"];
  onSort: (key: string) => void;
}) {
  const key = sortKeyOf(column);
  if (key === null) {
    return <th scope="col">{column}</th>;
  }
  const sorted = sort?.key === key ? sort.dir : null;
  return (
    <th
      scope="col"
      aria-sort={sorted === "ASC" ? "ascending" : sorted === "DESC" ? "descending" : "none"}
    >
      <button
        type="button"
        class="amj-sort"
        id={`${column}-sort`}
        aria-label={`Sort by ${column}`}
        onClick={() => onSort(key)}
      >
        {column}
        {sorted === "ASC" ? " ▲" : sorted === "DESC" ? " ▼" : ""}
      </button>
    </th>
  );
}

function Cell({
  asset,
  column,
  formats,
  people,
}: {
  asset: AssetSummary;
  column: string;
  formats: Formats;
  /** For a Jira user column: the people its accountIds name. */
  people: ReadonlyMap<string, Person> | null;
}) {
  switch (column) {
    case "Label":
      return <>{asset.label}</>;
    case "Type":
      return <>{asset.type.name}</>;
    case "Status":
      return <Lozenge name={asset.status.name} category={asset.status.category} />;
    case "Updated":
      return <>{formats.dateTime(asset.updated.at)}</>;
    case "Holder":
      return asset.custody ? (
        <HolderText holder={asset.custody.holder} people={people ?? new Map()} />
      ) : (
        <span class="amj-subtle">—</span>
      );
    case "Due":
      return asset.custody?.due ? (
        <>
          {asset.custody.due}
          {isOverdue(asset.custody.due) && (
            <>
              {" "}
              <span class="amj-lozenge amj-status-retired">Overdue</span>
            </>
          )}
        </>
      ) : (
        <span class="amj-subtle">—</span>
      );
    case "Checked out":
      return asset.custody ? <>{formats.dateTime(asset.custody.since)}</> : <>—</>;
    case "Seats entitled":
    case "Seats assigned":
    case "Seats free":
      return <>{seatText(asset, column)}</>;
    case "Quantity":
      return <>{stockText(asset, column)}</>;
    case "Below minimum":
      return asset.stock && asset.stock.belowMinimum > 0 ? (
        <span class="amj-lozenge amj-lozenge-danger">Below minimum</span>
      ) : (
        <>{stockText(asset, column)}</>
      );
    default: {
      const value = asset.attributes?.[column];
      return people ? (
        <PeopleValue ids={accountIdsOf(value)} people={people} />
      ) : (
        <>{valueText(value)}</>
      );
    }
  }
}

/**
 * Downloads the page on screen as CSV (the columns shown, in order). Whole-query exports belong
 * to the import/export API; until it exists, the page is what a person can take away.
 */
function exportPage(columns: string[], items: AssetSummary[], schema: string, pageIndex: number) {
  const blob = new Blob([toCsv(columns, items)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = csvName(schema, pageIndex);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function countText(
  pageIndex: number,
  shown: number,
  total: { n: number | null; exact: boolean | null },
  formats: Formats,
): string {
  if (shown === 0) {
    return "No assets";
  }
  const first = pageIndex * PAGE + 1;
  const range = `${formats.count(first)}–${formats.count(first + shown - 1)}`;
  if (total.n === null) {
    return `${range} shown`;
  }
  const of = total.exact ? formats.count(total.n) : `more than ${formats.count(total.n)}`;
  return `${range} of ${of}`;
}

interface BulkBarProps {
  api: Api;
  schema: string;
  /** The list's query as it ran, for a change to every match. */
  aql: string;
  chosen: { key: string; version: number }[];
  pageSize: number;
  total: { n: number | null; exact: boolean | null };
  allMatches: boolean;
  onAllMatches: (all: boolean) => void;
  statuses: Status[];
  attributes: AttributeDef[];
  formats: Formats;
  onDone: (message: string) => Promise<void>;
  onClear: () => void;
}

/** The change to make to the chosen assets, or to every match of the query: a status, or one
 *  attribute's value. All or nothing, as the API does it. */
function BulkBar(props: BulkBarProps) {
  const { api, schema, chosen, total, allMatches, statuses, attributes, formats } = props;
  const [status, setStatus] = useState("");
  const [attribute, setAttribute] = useState("");
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const noun = (n: number) => `${formats.count(n)} ${n === 1 ? "asset" : "assets"}`;
  const everyMatch = total.exact && total.n !== null ? total.n : null;
  const count = allMatches && everyMatch !== null ? everyMatch : chosen.length;
  const chosenStatus = status || (statuses[0] ? String(statuses[0].id) : "");
  const def = attributes.find((a) => a.name === attribute) ?? attributes[0];

  const apply = async (
    what: string,
    change: { status?: number; attributes?: Record<string, unknown> },
    done: string,
  ) => {
    setError(null);
    try {
      if (allMatches && everyMatch !== null) {
        await api.bulkEdit(schema, { aql: props.aql, expected: everyMatch, ...change });
      } else if (change.status !== undefined) {
        await api.bulkStatus(schema, chosen, change.status);
      } else {
        await api.bulkAttributes(schema, chosen, change.attributes ?? {});
      }
      await props.onDone(done);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 409
          ? "Some of these assets changed since the list was loaded, so nothing was changed. Search again and retry."
          : failure instanceof ApiError && failure.fields.length > 0
            ? `Nothing was changed: ${failure.fields[0]?.message ?? failure.message}.`
            : `Could not ${what}: ${describe(failure)}`,
      );
    }
  };
  const typed = (): unknown => {
    if (!def || value === "") {
      return null;
    }
    if (def.kind === "integer" || def.kind === "decimal") {
      const n = Number(value);
      return Number.isNaN(n) ? value : n;
    }
    if (def.kind === "boolean") {
      return value === "true";
    }
    return value;
  };

  return (
    <fieldset id="amj-bulk" class="amj-bulk">
      <legend class="amj-visually-hidden">Change the selected assets</legend>
      <div class="amj-search-row">
        <span id="amj-selected-count">
          {allMatches ? `All ${noun(count)} that match are selected` : `${noun(count)} selected`}
        </span>
        {!allMatches &&
          everyMatch !== null &&
          everyMatch > chosen.length &&
          chosen.length >= props.pageSize && (
            <button
              type="button"
              id="amj-select-matches"
              class="amj-link-button"
              onClick={() => props.onAllMatches(true)}
            >
              Select all {noun(everyMatch)} that match
            </button>
          )}
        {!allMatches && total.n !== null && !total.exact && chosen.length >= props.pageSize && (
          <span class="amj-subtle">
            More than {formats.count(total.n)} match: narrow the search to change them all at once.
          </span>
        )}
        <button type="button" id="amj-bulk-clear" class="amj-link-button" onClick={props.onClear}>
          Clear selection
        </button>
      </div>
      <div class="amj-search-row">
        <label for="amj-bulk-status">Status</label>
        <StatusSelect
          id="amj-bulk-status"
          value={chosenStatus}
          statuses={statuses}
          onChange={setStatus}
        />
        <button
          type="button"
          id="amj-bulk-apply"
          class="amj-button"
          disabled={!chosenStatus}
          onClick={() => {
            const name = statuses.find((s) => String(s.id) === chosenStatus)?.name ?? "";
            void apply(
              "change the status",
              { status: Number(chosenStatus) },
              `Changed the status of ${noun(count)} to ${name}.`,
            );
          }}
        >
          Set status
        </button>
        {!allMatches && (
          <button
            type="button"
            id="amj-bulk-archive"
            class="amj-button amj-subtle-button"
            onClick={() =>
              void (async () => {
                setError(null);
                try {
                  for (const item of chosen) {
                    await api.archive(item.key, item.version);
                  }
                  await props.onDone(`Archived ${noun(chosen.length)}.`);
                } catch (failure) {
                  setError(`Could not archive them: ${describe(failure)}`);
                }
              })()
            }
          >
            Archive
          </button>
        )}
      </div>
      {def && (
        <div class="amj-search-row">
          <label for="amj-bulk-attr">Attribute</label>
          <select
            id="amj-bulk-attr"
            value={def.name}
            onChange={(e) => {
              setAttribute(e.currentTarget.value);
              setValue("");
            }}
          >
            {attributes.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
          <label for="amj-bulk-value">New value</label>
          <BulkValue def={def} value={value} onChange={setValue} />
          <button
            type="button"
            id="amj-bulk-set"
            class="amj-button"
            onClick={() =>
              void apply(
                `set ${def.name}`,
                { attributes: { [def.name]: typed() } },
                value === ""
                  ? `Cleared ${def.name} on ${noun(count)}.`
                  : `Set ${def.name} to ${value} on ${noun(count)}.`,
              )
            }
          >
            {value === "" ? "Clear value" : "Set value"}
          </button>
        </div>
      )}
      {error && (
        <p id="amj-bulk-error" class="amj-field-message" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** The value control for a bulk change, by the attribute's kind. */
function BulkValue({
  def,
  value,
  onChange,
}: {
  def: AttributeDef;
  value: string;
  onChange: (value: string) => void;
}) {
  if (def.kind === "select" || def.kind === "boolean") {
    const options =
      def.kind === "boolean"
        ? [
            ["true", "Yes"],
            ["false", "No"],
          ]
        : (def.options ?? []).map((o) => [o, o]);
    return (
      <select id="amj-bulk-value" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">(empty)</option>
        {options.map(([v, label]) => (
          <option key={v} value={v}>
            {label}
          </option>
        ))}
      </select>
    );
  }
  const type =
    def.kind === "integer" || def.kind === "decimal"
      ? "number"
      : def.kind === "date"
        ? "date"
        : "text";
  return (
    <input
      id="amj-bulk-value"
      type={type}
      step={def.kind === "decimal" ? "any" : undefined}
      value={value}
      placeholder="(empty clears it)"
      onInput={(e) => onChange(e.currentTarget.value)}
    />
  );
}
