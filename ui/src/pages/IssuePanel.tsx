import type { ComponentType } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { PageProps } from "../App";
import {
  type Api,
  ApiError,
  type Asset,
  type AssetSummary,
  asAql,
  type HandedOut,
  type IssueSeat,
  type IssueStock,
  type LinkedAsset,
  type Schema,
} from "../api";
import { HolderText, holderAccounts, holderLabel, isOverdue } from "../components/Custody";
import { Lozenge } from "../components/Lozenge";
import { IssueRequests } from "../components/Requests";
import type { Formats } from "../format";
import type { Host, IssueRef } from "../host/types";
import { describe } from "../messages";
import { usePeople } from "../people";

interface Props {
  api: Api;
  host: Host;
  issue: IssueRef;
  formats?: Formats;
  /** The viewer's accountId: a request is for them unless they choose someone else. */
  me?: string | null;
}

type FormComponent = ComponentType<{
  api: Api;
  schema: string;
  onSaved: (asset: Asset) => void;
  onCancel: () => void;
  formats?: Formats;
}>;

/** Creating an asset from the issue: the schemas to choose from, the one chosen, the form. */
interface Creating {
  schemas: Schema[];
  schema: string;
  form: FormComponent;
}

interface Failure {
  message: string;
  retry: () => void;
}

/**
 * The assets of an issue, beside it: linked assets with their status, link by words or AQL,
 * unlink, all in place. After each change the list is read back from the server, so what is
 * shown is what Jira's badge counts.
 */
export function IssuePanel({ api, host, issue, formats, me = null }: Props) {
  const [creating, setCreating] = useState<Creating | null>(null);
  const [linked, setLinked] = useState<LinkedAsset[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [results, setResults] = useState<AssetSummary[] | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const search = useRef<HTMLInputElement>(null);
  // What was checked out for this issue; "failed" if it could not be read (links still show).
  const [handedOut, setHandedOut] = useState<HandedOut[] | "failed" | null>(null);
  const [seats, setSeats] = useState<IssueSeat[]>([]);
  const [stock, setStock] = useState<IssueStock[]>([]);
  useEffect(() => {
    let current = true;
    api
      .handedOut(issue.key)
      .then((found) => {
        if (current) {
          setHandedOut(found.items);
          setSeats(found.seats);
          setStock(found.stock);
        }
      })
      .catch(() => current && setHandedOut("failed"));
    return () => {
      current = false;
    };
  }, [api, issue.key]);
  const people = usePeople(
    api,
    Array.isArray(handedOut)
      ? holderAccounts([
          ...handedOut.map((h) => h.custody.holder),
          ...seats.map((s) => s.assignee),
          ...stock.flatMap((s) => (s.party ? [s.party] : [])),
        ])
      : [],
  );

  const refresh = useCallback(async () => {
    setLinked(await api.issueAssets(issue.id));
  }, [api, issue.id]);

  const load = useCallback(() => {
    setFailure(null);
    refresh().catch((error: unknown) =>
      setFailure({ message: `Could not load the linked assets: ${describe(error)}`, retry: load }),
    );
  }, [refresh]);

  useEffect(load, [load]);
  // Jira sizes a Connect iframe only when asked.
  useEffect(() => host.resize(), [host, linked, results, failure, searchError, handedOut]);
  const resize = useCallback(() => host.resize(), [host]);

  const change = async (what: string, action: () => Promise<void>, done: string) => {
    setBusy(true);
    setFailure(null);
    try {
      await action();
      await refresh();
      setStatus(done);
      search.current?.focus();
    } catch (error) {
      setFailure({
        message: `Could not ${what}: ${describe(error)}`,
        retry: () => void change(what, action, done),
      });
    } finally {
      setBusy(false);
    }
  };

  const link = (key: string) =>
    change(
      `link ${key}`,
      async () => {
        await api.link(key, issue.key);
        setResults(null);
      },
      `Linked ${key}.`,
    );
  /** Opens the form for a new asset; the form is a chunk of its own, fetched on first use. */
  const startCreating = async () => {
    setFailure(null);
    try {
      const [schemas, module] = await Promise.all([api.schemas(), import("./AssetForm")]);
      const first = schemas[0];
      if (!first) {
        setFailure({
          message:
            "There is no schema to create an asset in yet; a site admin adds one in Settings.",
          retry: () => void startCreating(),
        });
        return;
      }
      setCreating({ schemas, schema: first.key, form: module.AssetForm });
    } catch (error) {
      setFailure({
        message: `Could not open the form: ${describe(error)}`,
        retry: () => void startCreating(),
      });
    }
  };
  const created = (asset: Asset) => {
    setCreating(null);
    void change(
      `link ${asset.key}`,
      () => api.link(asset.key, issue.key),
      `Created ${asset.key} and linked it.`,
    );
  };

  const unlink = (key: string) =>
    change(`unlink ${key}`, () => api.unlink(key, issue.id), `Unlinked ${key}.`);

  const find = async (event: Event) => {
    event.preventDefault();
    const text = search.current?.value.trim() ?? "";
    if (!text) {
      return;
    }
    setSearchError(null);
    try {
      setResults((await api.query(asAql(text), 10)).items);
    } catch (error) {
      setResults(null);
      setSearchError(
        error instanceof ApiError && error.aqlExcerpt ? error.aqlExcerpt : describe(error),
      );
    }
  };

  const state = busy ? "busy" : linked === null ? "loading" : creating ? "creating" : "ready";
  if (creating) {
    const Form = creating.form;
    return (
      <section id="amj-glance" data-state={state} data-issue-key={issue.key}>
        <p class="amj-subtle">The new asset will be linked to {issue.key}.</p>
        {creating.schemas.length > 1 && (
          <div class="amj-field">
            <label for="amj-create-schema">Schema</label>
            <select
              id="amj-create-schema"
              value={creating.schema}
              onChange={(e) => setCreating({ ...creating, schema: e.currentTarget.value })}
            >
              {creating.schemas.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <Form
          key={creating.schema}
          api={api}
          schema={creating.schema}
          {...(formats ? { formats } : {})}
          onSaved={created}
          onCancel={() => setCreating(null)}
        />
      </section>
    );
  }
  return (
    <section id="amj-glance" data-state={state} data-issue-key={issue.key} aria-busy={busy}>
      <h1 class="amj-compact">Assets linked to {issue.key}</h1>
      {linked === null && failure === null && <p class="amj-subtle">Loading…</p>}
      {linked !== null && (
        <>
          <ul id="amj-linked" class="amj-linked">
            {linked.map((asset) => (
              <li key={asset.key} data-key={asset.key}>
                <Lozenge name={asset.status.name} category={asset.status.category} />{" "}
                <button
                  type="button"
                  class="amj-link-button"
                  data-open={asset.key}
                  onClick={() => host.openAsset(asset.key)}
                >
                  {asset.key}
                </button>{" "}
                {asset.label}{" "}
                <button
                  type="button"
                  class="amj-button amj-subtle-button amj-unlink"
                  aria-label={`Unlink ${asset.key}`}
                  disabled={busy}
                  onClick={() => void unlink(asset.key)}
                >
                  Unlink
                </button>
              </li>
            ))}
          </ul>
          <p id="amj-linked-empty" class="amj-subtle" hidden={linked.length > 0}>
            No assets are linked to this issue.
          </p>
        </>
      )}
      {handedOut === "failed" && (
        <p class="amj-subtle" id="amj-handed-out-failed">
          What was handed out for {issue.key} could not be read just now.
        </p>
      )}
      {Array.isArray(handedOut) && handedOut.length + seats.length + stock.length > 0 && (
        <section aria-labelledby="amj-handed-out-heading">
          <h2 id="amj-handed-out-heading" class="amj-compact">
            Handed out for {issue.key}
          </h2>
          <ul id="amj-handed-out" class="amj-linked">
            {handedOut.map((h) => (
              <li key={`${h.asset}:${h.custody.since}`} data-key={h.asset}>
                <button
                  type="button"
                  class="amj-link-button"
                  data-open={h.asset}
                  onClick={() => host.openAsset(h.asset)}
                >
                  {h.asset}
                </button>{" "}
                {h.label} · <HolderText holder={h.custody.holder} people={people} />
                {h.returned ? (
                  <span class="amj-subtle">
                    {" "}
                    · back {formats ? formats.dateTime(h.returned.at) : h.returned.at} (
                    {h.returned.condition})
                  </span>
                ) : (
                  <>
                    {" "}
                    · out
                    {h.custody.due && <> until {h.custody.due}</>}
                    {isOverdue(h.custody.due) && (
                      <>
                        {" "}
                        <span class="amj-lozenge amj-status-retired">Overdue</span>
                      </>
                    )}
                  </>
                )}
              </li>
            ))}
            {seats.map((seat) => (
              <li
                key={`seat:${seat.licence}:${seat.assignedAt}:${holderLabel(seat.assignee, people)}`}
                data-key={seat.licence}
              >
                <button
                  type="button"
                  class="amj-link-button"
                  data-open={seat.licence}
                  onClick={() => host.openAsset(seat.licence)}
                >
                  {seat.licence}
                </button>{" "}
                {seat.label} · a seat for <HolderText holder={seat.assignee} people={people} />
              </li>
            ))}
            {stock.map((issued) => (
              <li key={`stock:${issued.item}:${issued.at}`} data-key={issued.item}>
                <button
                  type="button"
                  class="amj-link-button"
                  data-open={issued.item}
                  onClick={() => host.openAsset(issued.item)}
                >
                  {issued.item}
                </button>{" "}
                {issued.itemLabel} · {issued.quantity} issued
                {issued.party && (
                  <>
                    {" "}
                    to <HolderText holder={issued.party} people={people} />
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <search>
        <form id="amj-link-form" noValidate onSubmit={(event) => void find(event)}>
          <label for="amj-link-search">Link an asset</label>
          <input
            id="amj-link-search"
            ref={search}
            type="text"
            autocomplete="off"
            placeholder="Name, serial, or AQL such as objectType = Laptop"
            aria-describedby="amj-link-error"
            aria-invalid={searchError !== null}
          />
          <button type="submit" class="amj-button">
            Find
          </button>
          <p
            id="amj-link-error"
            class="amj-field-message"
            role="alert"
            hidden={searchError === null}
          >
            {searchError}
          </p>
        </form>
      </search>
      <ul id="amj-link-results" class="amj-linked" aria-label="Assets found">
        {results?.length === 0 && <li class="amj-subtle">Nothing matches.</li>}
        {results?.map((asset) => (
          <li key={asset.key}>
            <strong>{asset.key}</strong> {asset.label}{" "}
            <button
              type="button"
              class="amj-button"
              aria-label={`Link ${asset.key}`}
              disabled={busy}
              onClick={() => void link(asset.key)}
            >
              Link
            </button>
          </li>
        ))}
      </ul>
      <button
        type="button"
        id="amj-create-asset"
        class="amj-button amj-subtle-button"
        disabled={busy}
        onClick={() => void startCreating()}
      >
        Create an asset for this issue
      </button>
      <IssueRequests
        api={api}
        issueKey={issue.key}
        me={me}
        {...(formats ? { formats } : {})}
        onChange={resize}
      />
      <output id="amj-glance-status" class="amj-subtle amj-status-line">
        {status}
      </output>
      {failure && (
        <div id="amj-error" class="amj-error" role="alert">
          <p id="amj-error-text">{failure.message}</p>
          <button type="button" id="amj-retry" class="amj-button" onClick={failure.retry}>
            Retry
          </button>
        </div>
      )}
    </section>
  );
}

/** The panel as a page: Jira says which issue it is on. */
export function IssuePanelPage({ api, host, context, formats }: PageProps) {
  return context.issue ? (
    <IssuePanel
      api={api}
      host={host}
      issue={context.issue}
      formats={formats}
      me={context.accountId}
    />
  ) : (
    <p role="alert">This panel belongs on an issue; Jira did not say which one.</p>
  );
}
