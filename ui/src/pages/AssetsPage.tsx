import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type Api, ApiError, type AssetSummary, type Schema, type Status } from "../api";
import { Lozenge } from "../components/Lozenge";
import type { Formats } from "../format";
import { assetOfPath, assetPath, type Host, type HostHistory } from "../host/types";
import { AssetDetail } from "./AssetDetail";
import { AssetForm } from "./AssetForm";
import { describe } from "./IssuePanel";

interface Props {
  api: Api;
  host: Host;
  formats: Formats;
}

interface Results {
  items: AssetSummary[];
  nextCursor: string | null;
  total: number | null;
  totalExact: boolean | null;
}

const PAGE = 50;

/**
 * The asset list: a schema, an AQL search with its error in place, the matching assets a page
 * at a time, and an asset's detail. The detail is a view of this page, not a new page: a new
 * page load inside Jira needs a new signed URL from the host. The opened asset is kept in the
 * host's URL (`/asset/KEY`), so a reload, a shared link or the panel's "open" lands on it and
 * the browser's back button closes it.
 */
export function AssetsPage({ api, host, formats }: Props) {
  const [schemas, setSchemas] = useState<Schema[] | null>(null);
  const [schema, setSchema] = useState<string | null>(null);
  const [aql, setAql] = useState("");
  const [results, setResults] = useState<Results | null>(null);
  const [queryError, setQueryError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  // Selected assets by key, with the version each was read at.
  const [selected, setSelected] = useState<Map<string, number>>(new Map());
  const [statuses, setStatuses] = useState<Status[]>([]);
  const [bulkStatus, setBulkStatus] = useState("");
  const [bulkMessage, setBulkMessage] = useState("");
  const [bulkError, setBulkError] = useState<string | null>(null);
  const lastOpened = useRef<string | null>(null);
  const history = useRef<HostHistory | null>(null);

  // The host URL names the opened asset; back and forward follow it.
  useEffect(() => {
    let stop: (() => void) | undefined;
    let gone = false;
    host
      .history()
      .then((found) => {
        if (gone) {
          return;
        }
        history.current = found;
        setOpen(assetOfPath(found.path()));
        stop = found.listen((path) => setOpen(assetOfPath(path)));
      })
      .catch(() => {
        // A host without history still shows the list; opened assets are then not in its URL.
      });
    return () => {
      gone = true;
      stop?.();
    };
  }, [host]);
  const show = useCallback((key: string | null) => {
    setOpen(key);
    history.current?.push(key === null ? "/" : assetPath(key));
  }, []);

  const run = useCallback(
    async (query: string, inSchema: string, cursor: string | null) => {
      setBusy(true);
      setFailure(null);
      try {
        const options = cursor
          ? { schema: inSchema, limit: PAGE, cursor }
          : { schema: inSchema, limit: PAGE };
        const page = await api.query(query, options);
        setQueryError(null);
        if (!cursor) {
          setSelected(new Map());
        }
        setResults((previous) => ({
          items: cursor && previous ? [...previous.items, ...page.items] : page.items,
          nextCursor: page.nextCursor,
          total: cursor && previous ? previous.total : page.total,
          totalExact: cursor && previous ? previous.totalExact : page.totalExact,
        }));
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

  const start = useCallback(async () => {
    setFailure(null);
    try {
      const found = await api.schemas();
      setSchemas(found);
      const first = found[0];
      if (first) {
        setSchema(first.key);
        await run("", first.key, null);
      }
    } catch (error) {
      setFailure(`Could not load the schemas: ${describe(error)}`);
    }
  }, [api, run]);

  useEffect(() => {
    void start();
  }, [start]);
  useEffect(() => host.resize(), [host, results, open, queryError, failure]);
  // Back from an asset, focus returns to the row it was opened from.
  useEffect(() => {
    if (open === null && lastOpened.current) {
      document
        .querySelector<HTMLElement>(`[data-open="${CSS.escape(lastOpened.current)}"]`)
        ?.focus();
    }
  }, [open]);

  // The statuses the bulk bar offers, once something is selected.
  useEffect(() => {
    if (schema && selected.size > 0 && statuses.length === 0) {
      api
        .statuses(schema)
        .then((found) => {
          setStatuses(found);
          setBulkStatus(found[0] ? String(found[0].id) : "");
        })
        .catch((e: unknown) => setBulkError(`The statuses could not be loaded: ${describe(e)}`));
    }
  }, [api, schema, selected.size, statuses.length]);

  if (creating && schema) {
    return (
      <section id="amj-assets" data-state="form">
        <AssetForm
          api={api}
          schema={schema}
          onSaved={(created) => {
            setCreating(false);
            lastOpened.current = null;
            show(created.key);
            void run(aql.trim(), schema, null);
          }}
          onCancel={() => setCreating(false)}
        />
      </section>
    );
  }
  if (open !== null) {
    return (
      <section id="amj-assets" data-state="detail">
        <AssetDetail
          api={api}
          assetKey={open}
          formats={formats}
          onBack={() => show(null)}
          onOpenIssue={(key) => host.openIssue(key)}
        />
      </section>
    );
  }

  const state = schemas === null || busy ? "loading" : "ready";
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
  const bulk = async (what: string, action: () => Promise<void>, done: string) => {
    setBulkError(null);
    try {
      await action();
      setBulkMessage(done);
      if (schema) {
        await run(aql.trim(), schema, null);
      }
    } catch (error) {
      setBulkError(
        error instanceof ApiError && error.status === 409
          ? "Some of these assets changed since the list was loaded, so nothing was changed. Search again and retry."
          : `Could not ${what}: ${describe(error)}`,
      );
    }
  };
  const chosen = [...selected].map(([key, version]) => ({ key, version }));
  const noun = (n: number) => `${formats.count(n)} ${n === 1 ? "asset" : "assets"}`;

  const submit = (event: Event) => {
    event.preventDefault();
    if (schema) {
      void run(aql.trim(), schema, null);
    }
  };
  return (
    <section id="amj-assets" data-state={state} aria-busy={busy}>
      <h1>Assets</h1>
      {schema && (
        <button type="button" id="amj-new" class="amj-button" onClick={() => setCreating(true)}>
          New asset
        </button>
      )}
      <search>
        <form id="amj-search" class="amj-search-row" noValidate onSubmit={submit}>
          {schemas && schemas.length > 1 && (
            <label>
              Schema{" "}
              <select
                id="amj-schema"
                value={schema ?? ""}
                onChange={(event) => {
                  const key = event.currentTarget.value;
                  setSchema(key);
                  void run(aql.trim(), key, null);
                }}
              >
                {schemas.map((s) => (
                  <option key={s.key} value={s.key}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label for="amj-aql">Search with AQL</label>
          <input
            id="amj-aql"
            type="text"
            autocomplete="off"
            spellcheck={false}
            placeholder='objectType = Laptop AND Status = "In use"'
            value={aql}
            onInput={(event) => setAql(event.currentTarget.value)}
            aria-describedby="amj-aql-error"
            aria-invalid={queryError !== null}
          />
          <button type="submit" class="amj-button">
            Search
          </button>
          <p id="amj-aql-error" class="amj-field-message" role="alert" hidden={queryError === null}>
            {queryError}
          </p>
        </form>
      </search>
      {results && (
        <>
          <p id="amj-count" class="amj-subtle">
            {countText(results, formats)}
          </p>
          {selected.size > 0 && schema && (
            <fieldset id="amj-bulk" class="amj-search-row amj-bulk">
              <legend class="amj-visually-hidden">Change the selected assets</legend>
              <span id="amj-selected-count">{noun(selected.size)} selected</span>
              <label for="amj-bulk-status">Status</label>
              <select
                id="amj-bulk-status"
                value={bulkStatus}
                onChange={(e) => setBulkStatus(e.currentTarget.value)}
              >
                {statuses.map((s) => (
                  <option key={s.id} value={String(s.id)}>
                    {s.name}
                  </option>
                ))}
              </select>
              <button
                type="button"
                id="amj-bulk-apply"
                class="amj-button"
                disabled={!bulkStatus}
                onClick={() => {
                  const name = statuses.find((s) => String(s.id) === bulkStatus)?.name ?? "";
                  void bulk(
                    "change the status",
                    () => api.bulkStatus(schema, chosen, Number(bulkStatus)),
                    `Changed the status of ${noun(chosen.length)} to ${name}.`,
                  );
                }}
              >
                Set status
              </button>
              <button
                type="button"
                id="amj-bulk-archive"
                class="amj-button amj-subtle-button"
                onClick={() =>
                  void bulk(
                    "archive them",
                    async () => {
                      for (const item of chosen) {
                        await api.archive(item.key, item.version);
                      }
                    },
                    `Archived ${noun(chosen.length)}.`,
                  )
                }
              >
                Archive
              </button>
              {bulkError && (
                <p id="amj-bulk-error" class="amj-field-message" role="alert">
                  {bulkError}
                </p>
              )}
            </fieldset>
          )}
          <output id="amj-bulk-result" class="amj-subtle amj-status-line">
            {bulkMessage}
          </output>
          <table class="amj-table" id="amj-rows">
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    id="amj-select-all"
                    aria-label="Select every asset on this page"
                    checked={
                      results.items.length > 0 && results.items.every((a) => selected.has(a.key))
                    }
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      for (const asset of results.items) {
                        toggle(asset, on);
                      }
                    }}
                  />
                </th>
                <th scope="col">Key</th>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {results.items.map((asset) => (
                <tr key={asset.key}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${asset.key}`}
                      checked={selected.has(asset.key)}
                      onChange={(e) => toggle(asset, e.currentTarget.checked)}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      class="amj-link-button"
                      data-open={asset.key}
                      onClick={() => {
                        lastOpened.current = asset.key;
                        show(asset.key);
                      }}
                    >
                      {asset.key}
                    </button>
                  </td>
                  <td>{asset.label}</td>
                  <td>{asset.type.name}</td>
                  <td>
                    <Lozenge name={asset.status.name} category={asset.status.category} />
                  </td>
                  <td>{formats.dateTime(asset.updated.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {results.nextCursor && schema && (
            <button
              type="button"
              id="amj-more"
              class="amj-button amj-subtle-button"
              disabled={busy}
              onClick={() => void run(aql.trim(), schema, results.nextCursor)}
            >
              Show more
            </button>
          )}
        </>
      )}
      {failure && (
        <div id="amj-error" class="amj-error" role="alert">
          <p id="amj-error-text">{failure}</p>
          <button
            type="button"
            id="amj-retry"
            class="amj-button"
            onClick={() => (schema ? void run(aql.trim(), schema, null) : void start())}
          >
            Retry
          </button>
        </div>
      )}
    </section>
  );
}

function countText(results: Results, formats: Formats): string {
  if (results.total === null) {
    return `${formats.count(results.items.length)} shown`;
  }
  const total = results.totalExact
    ? formats.count(results.total)
    : `More than ${formats.count(results.total)}`;
  const noun = results.total === 1 && results.totalExact ? "asset" : "assets";
  return `${total} ${noun}; ${formats.count(results.items.length)} shown`;
}
