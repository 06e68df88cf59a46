import { useEffect, useRef, useState } from "preact/hooks";
import type {
  Api,
  AssetRequest,
  AssetType,
  Kit,
  RequestEvent,
  RequestState,
  Schema,
  StatusCategory,
  Wanted,
} from "../api";
import type { Formats } from "../format";
import { describe } from "../messages";
import { type Person, usePeople } from "../people";
import { Field, FormError, useSubmit } from "./Form";
import { UserPicker } from "./UserPicker";

/** A request's state as a lozenge, coloured like the asset statuses it leads to. */
const STATES: Record<RequestState, { name: string; category: StatusCategory }> = {
  pending: { name: "Waiting for approval", category: "maintenance" },
  approved: { name: "Approved", category: "available" },
  fulfilled: { name: "Handed out", category: "in_use" },
  released: { name: "Closed", category: "retired" },
};

export function RequestLozenge({ state }: { state: RequestState }) {
  const { name, category } = STATES[state];
  return (
    <span class={`amj-lozenge amj-status-${category}`} data-request-state={state}>
      {name}
    </span>
  );
}

const WHY: Record<string, string> = {
  rejected: "the issue rejected it",
  closed: "the issue was closed without approving it",
  cancelled: "it was cancelled",
  issue_deleted: "the issue was deleted",
  unapproved: "the issue left its approving status",
  picked_other: "another asset was handed out instead",
};

function personName(people: ReadonlyMap<string, Person>, accountId: string): string {
  return people.get(accountId)?.name ?? accountId;
}

/** One step of a request's path, in words. */
export function requestEventText(
  event: RequestEvent,
  actor: string,
  people: ReadonlyMap<string, Person>,
): string {
  const list = (assets: string[]) => assets.join(", ");
  switch (event.kind) {
    case "requested": {
      const note = event.note ? ` “${event.note}”` : "";
      return `${personName(people, actor)} asked for ${event.what} for ${personName(people, event.accountId)}.${note}`;
    }
    case "approved":
      return `Approved: the issue moved to ${event.status}.`;
    case "reserved":
      return `Reserved ${list(event.assets)}.`;
    case "none_free":
      return "Approved, but nothing was free to reserve; the hand-out picks what is free then.";
    case "unapproved":
      return `Waiting again: the issue moved to ${event.status}, and the reservation was freed.`;
    case "released": {
      const note = event.note ? ` “${event.note}”` : "";
      return `Closed: ${WHY[event.why] ?? event.why}${event.status ? ` (${event.status})` : ""}.${note}`;
    }
    case "fulfilled":
      return `Handed out ${list(event.assets)} by ${personName(people, actor)}.`;
  }
}

function accountsOf(requests: readonly AssetRequest[]): string[] {
  return requests.flatMap((r) => [
    r.accountId,
    r.createdBy,
    ...(r.history ?? []).map((h) => h.actor),
  ]);
}

interface Choice {
  schemas: Schema[];
  schema: string;
  types: AssetType[];
  kits: Kit[];
  /** Whether the schema's requests are approved by some project's issues. */
  setUp: boolean;
}

/** The form that asks for an asset or a kit on the issue. */
function RequestForm({
  api,
  issueKey,
  me,
  onDone,
  onCancel,
}: {
  api: Api;
  issueKey: string;
  me: string | null;
  onDone: (request: AssetRequest) => void;
  onCancel: () => void;
}) {
  const [choice, setChoice] = useState<Choice | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [wanted, setWanted] = useState("");
  const [person, setPerson] = useState(me ?? "");
  const [note, setNote] = useState("");

  const load = async (schemas: Schema[], schema: string) => {
    const [types, policy, kits, approval] = await Promise.all([
      api.types(schema),
      api.custodyPolicy(schema),
      api.kits(schema),
      api.requestPolicy(schema),
    ]);
    const checkoutable = (t: AssetType) => {
      for (let at: AssetType | undefined = t, depth = 0; at && depth < 64; depth += 1) {
        if (policy.checkoutableTypes.includes(at.id)) {
          return true;
        }
        const parent: number | null = at.parentId;
        at = parent === null ? undefined : types.find((x) => x.id === parent);
      }
      return false;
    };
    setChoice({
      schemas,
      schema,
      types: types.filter(checkoutable),
      kits,
      setUp: approval !== null && approval !== undefined,
    });
    setWanted("");
  };
  useEffect(() => {
    api
      .schemas()
      .then(async (schemas) => {
        const first = schemas[0];
        if (!first) {
          setLoadError("There is no schema yet; a site admin adds one in Settings.");
          return;
        }
        await load(schemas, first.key);
      })
      .catch((error: unknown) => setLoadError(describe(error)));
  }, [api]);
  useEffect(() => {
    if (choice) {
      document.getElementById("amj-request-what")?.focus();
    }
  }, [choice?.schema]);

  const { errors, busy, submit } = useSubmit(async () => {
    if (!choice) {
      return;
    }
    const [kind, id] = wanted.split(":");
    const what: Wanted =
      kind === "kit" ? { kind: "kit", kit: Number(id) } : { kind: "type", typeId: Number(id) };
    const request = await api.createRequest(choice.schema, {
      issue: issueKey,
      wanted: what,
      accountId: person.trim(),
      note: note.trim(),
    });
    onDone(request);
  });
  if (loadError) {
    return (
      <p class="amj-error" role="alert">
        Could not open the request form: {loadError}
      </p>
    );
  }
  if (!choice) {
    return <p class="amj-subtle">Loading…</p>;
  }
  const whatError =
    errors.fields["wanted.typeId"] ?? errors.fields["wanted.kit"] ?? errors.fields.wanted;
  return (
    <form
      id="amj-request-form"
      class="amj-form"
      aria-label={`Request an asset on ${issueKey}`}
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      {choice.schemas.length > 1 && (
        <div class="amj-field">
          <label for="amj-request-schema">Schema</label>
          <select
            id="amj-request-schema"
            value={choice.schema}
            onChange={(e) =>
              void load(choice.schemas, e.currentTarget.value).catch((error: unknown) =>
                setLoadError(describe(error)),
              )
            }
          >
            {choice.schemas.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
      )}
      {!choice.setUp && (
        <p id="amj-request-not-set-up" class="amj-subtle">
          Requests are not set up in this schema yet: a site admin chooses, in the settings'
          Requests section, which project's issues approve them.
        </p>
      )}
      <Field id="amj-request-what" label="What" error={whatError}>
        {(a) => (
          <select {...a} value={wanted} onChange={(e) => setWanted(e.currentTarget.value)}>
            <option value="">Choose an asset type or a kit</option>
            {choice.types.length > 0 && (
              <optgroup label="Any available asset of a type">
                {choice.types.map((t) => (
                  <option key={t.id} value={`type:${t.id}`}>
                    {t.name}
                  </option>
                ))}
              </optgroup>
            )}
            {choice.kits.length > 0 && (
              <optgroup label="Kits">
                {choice.kits.map((k) => (
                  <option key={k.id} value={`kit:${k.id}`}>
                    {k.name}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        )}
      </Field>
      <Field id="amj-request-person" label="For" error={errors.fields.accountId}>
        {(a) => (
          <UserPicker
            id={a.id}
            api={api}
            value={person}
            multiple={false}
            describedBy={a["aria-describedby"]}
            invalid={a["aria-invalid"]}
            onChange={setPerson}
          />
        )}
      </Field>
      <Field id="amj-request-note" label="Note (optional)" error={errors.fields.note}>
        {(a) => (
          <input {...a} type="text" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        )}
      </Field>
      <FormError id="amj-request-error" message={errors.form ?? null} />
      <button
        type="submit"
        id="amj-request-submit"
        class="amj-button"
        disabled={busy || wanted === "" || !choice.setUp}
      >
        Request
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** A request's path, oldest first. */
function RequestHistory({
  request,
  people,
  formats,
}: {
  request: AssetRequest;
  people: ReadonlyMap<string, Person>;
  formats: Formats | undefined;
}) {
  return (
    <ol class="amj-request-history" aria-label={`Request #${request.id} history`}>
      {(request.history ?? []).map((h, i) => (
        <li key={`${request.id}:${i}`}>
          <span class="amj-subtle">{formats ? formats.dateTime(h.at) : h.at}</span>{" "}
          {requestEventText(h.event, h.actor, people)}
        </li>
      ))}
    </ol>
  );
}

/**
 * The issue's requests: ask for an asset of a type or a kit for a person; the issue's workflow
 * approves it (the schema's request settings say how), an admin hands it out. Each request
 * shows its whole path.
 */
export function IssueRequests({
  api,
  issueKey,
  me,
  formats,
  onChange,
}: {
  api: Api;
  issueKey: string;
  me: string | null;
  formats?: Formats;
  onChange?: () => void;
}) {
  const [requests, setRequests] = useState<AssetRequest[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  // Focus goes back to "Request…" once the form has closed and the button is there again.
  const refocus = useRef(false);
  useEffect(() => {
    if (!asking && refocus.current) {
      refocus.current = false;
      opener.current?.focus();
    }
  }, [asking]);
  const people = usePeople(api, accountsOf(requests ?? []));

  const load = () =>
    api
      .issueRequests(issueKey)
      .then((found) => {
        setRequests(found);
        setFailure(null);
      })
      .catch((error: unknown) => setFailure(describe(error)));
  useEffect(() => {
    void load();
  }, [api, issueKey]);
  useEffect(() => onChange?.(), [requests, asking, failure, onChange]);

  const cancel = async (request: AssetRequest) => {
    setBusy(true);
    try {
      await api.cancelRequest(request.schema, request.id, "");
      setStatus(`Cancelled request #${request.id}.`);
      await load();
    } catch (error) {
      setStatus(`Could not cancel request #${request.id}: ${describe(error)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      id="amj-requests"
      aria-labelledby="amj-requests-heading"
      data-state={requests === null ? "loading" : "ready"}
    >
      <h2 id="amj-requests-heading" class="amj-compact">
        Requests on {issueKey}
      </h2>
      {failure && (
        <p class="amj-subtle" id="amj-requests-failed">
          The requests on {issueKey} could not be read just now: {failure}
        </p>
      )}
      {requests !== null && requests.length > 0 && (
        <ul id="amj-request-list" class="amj-linked">
          {requests.map((r) => (
            <li key={r.id} data-request={r.id} data-state={r.state}>
              <RequestLozenge state={r.state} /> <strong>#{r.id}</strong> {r.what} for{" "}
              {personName(people, r.accountId)}
              {r.reserved.length > 0 && (
                <span class="amj-subtle">
                  {" "}
                  · reserved {r.reserved.map((x) => `${x.asset} ${x.label}`).join(", ")}
                </span>
              )}
              {(r.state === "pending" || r.state === "approved") && (
                <>
                  {" "}
                  <button
                    type="button"
                    class="amj-button amj-subtle-button"
                    aria-label={`Cancel request #${r.id}`}
                    disabled={busy}
                    onClick={() => void cancel(r)}
                  >
                    Cancel
                  </button>
                </>
              )}
              <RequestHistory request={r} people={people} formats={formats} />
            </li>
          ))}
        </ul>
      )}
      {asking ? (
        <RequestForm
          api={api}
          issueKey={issueKey}
          me={me}
          onDone={(request) => {
            refocus.current = true;
            setAsking(false);
            setStatus(
              `Requested ${request.what} (#${request.id}); the issue's workflow approves it.`,
            );
            void load();
          }}
          onCancel={() => {
            refocus.current = true;
            setAsking(false);
          }}
        />
      ) : (
        <button
          type="button"
          id="amj-request-open"
          ref={opener}
          class="amj-button amj-subtle-button"
          onClick={() => {
            setStatus("");
            setAsking(true);
          }}
        >
          Request an asset or a kit
        </button>
      )}
      <output id="amj-requests-status" class="amj-subtle amj-status-line">
        {status}
      </output>
    </section>
  );
}

/**
 * The fulfilment queue: a schema's requests waiting for their issue or approved, oldest first.
 * An approved one is handed out with one click (what it reserved, to its person, for its
 * issue).
 */
export function RequestQueue({
  api,
  schema,
  formats,
  onOpen,
}: {
  api: Api;
  schema: string;
  formats: Formats;
  onOpen: (key: string) => void;
}) {
  const [requests, setRequests] = useState<AssetRequest[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState<number | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const people = usePeople(api, accountsOf(requests ?? []));

  // Waiting and approved ones by default; every request when asked (handed out, closed).
  const [all, setAll] = useState(false);
  const [next, setNext] = useState<string | null>(null);
  const states: RequestState[] = all ? [] : ["pending", "approved"];
  const load = () =>
    api
      .requests(schema, states)
      .then((page) => {
        setRequests(page.items);
        setNext(page.nextCursor ?? null);
        setFailure(null);
      })
      .catch((error: unknown) => setFailure(describe(error)));
  const more = async () => {
    if (next === null) {
      return;
    }
    try {
      const page = await api.requests(schema, states, next);
      setRequests((shown) => [...(shown ?? []), ...page.items]);
      setNext(page.nextCursor ?? null);
    } catch (error) {
      setStatus(`Could not load more requests: ${describe(error)}`);
    }
  };
  useEffect(() => {
    setRequests(null);
    void load();
  }, [api, schema, all]);
  useEffect(() => heading.current?.focus(), []);

  const act = async (request: AssetRequest, what: "fulfil" | "cancel" | "recheck") => {
    setBusy(request.id);
    try {
      if (what === "fulfil") {
        const done = await api.fulfilRequest(schema, request.id, {});
        const handed = (done.history ?? []).find((h) => h.event.kind === "fulfilled");
        setStatus(
          `Handed out request #${request.id} to ${personName(people, request.accountId)}${
            handed?.event.kind === "fulfilled" ? `: ${handed.event.assets.join(", ")}` : ""
          }.`,
        );
      } else if (what === "cancel") {
        await api.cancelRequest(schema, request.id, "");
        setStatus(`Cancelled request #${request.id}.`);
      } else {
        const now = await api.recheckRequest(schema, request.id);
        setStatus(
          `Request #${request.id}: ${STATES[now.state].name} (${now.issue} is in ${now.issueStatus}).`,
        );
      }
      await load();
      heading.current?.focus();
    } catch (error) {
      setStatus(`Could not ${what} request #${request.id}: ${describe(error)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section id="amj-request-queue" data-state={requests ? "ready" : "loading"}>
      <h1 id="amj-request-queue-title" ref={heading} tabIndex={-1}>
        Requests
      </h1>
      <p class="amj-subtle">
        Asked for on Jira issues and approved by their workflow; hand out an approved one with one
        click.
      </p>
      {failure && (
        <p class="amj-error" role="alert">
          Could not load the requests: {failure}
        </p>
      )}
      {requests === null && !failure && <p class="amj-subtle">Loading…</p>}
      <div class="amj-field amj-check">
        <input
          type="checkbox"
          id="amj-request-queue-all"
          checked={all}
          onChange={(e) => setAll(e.currentTarget.checked)}
        />
        <label for="amj-request-queue-all">Show handed out and closed requests too</label>
      </div>
      {requests !== null && requests.length === 0 && (
        <p class="amj-subtle" id="amj-request-queue-empty">
          {all ? "No requests yet." : "No requests are waiting."}
        </p>
      )}
      <output id="amj-request-queue-status" class="amj-status-line">
        {status}
      </output>
      {requests !== null && requests.length > 0 && (
        <table class="amj-table" id="amj-request-table">
          <caption class="amj-visually-hidden">Requests waiting or approved, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">Issue</th>
              <th scope="col">For</th>
              <th scope="col">State</th>
              <th scope="col">Reserved</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} data-request={r.id} data-state={r.state}>
                <td>
                  #{r.id} {r.what}
                  <br />
                  <span class="amj-subtle">{formats.dateTime(r.createdAt)}</span>
                </td>
                <td>
                  {r.issue}
                  {r.issueStatus && <span class="amj-subtle"> · {r.issueStatus}</span>}
                </td>
                <td>{personName(people, r.accountId)}</td>
                <td>
                  <RequestLozenge state={r.state} />
                </td>
                <td>
                  {r.reserved.map((x) => (
                    <button
                      key={x.asset}
                      type="button"
                      class="amj-link-button"
                      onClick={() => onOpen(x.asset)}
                    >
                      {x.asset}
                    </button>
                  ))}
                  {r.reserved.length === 0 && <span class="amj-subtle">—</span>}
                </td>
                <td>
                  {r.state === "approved" && (
                    <button
                      type="button"
                      class="amj-button"
                      data-fulfil={r.id}
                      aria-label={`Hand out request #${r.id}`}
                      disabled={busy !== null}
                      onClick={() => void act(r, "fulfil")}
                    >
                      Hand out
                    </button>
                  )}{" "}
                  <button
                    type="button"
                    class="amj-button amj-subtle-button"
                    aria-label={`Check ${r.issue} now for request #${r.id}`}
                    disabled={busy !== null}
                    onClick={() => void act(r, "recheck")}
                  >
                    Check issue
                  </button>{" "}
                  <button
                    type="button"
                    class="amj-button amj-subtle-button"
                    aria-label={`Cancel request #${r.id}`}
                    disabled={busy !== null}
                    onClick={() => void act(r, "cancel")}
                  >
                    Cancel
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next !== null && (
        <button
          type="button"
          id="amj-request-queue-more"
          class="amj-button amj-subtle-button"
          onClick={() => void more()}
        >
          Show more
        </button>
      )}
    </section>
  );
}
