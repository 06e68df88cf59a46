import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, AssetType, Kit } from "../api";
import { Field, FormError, useSubmit } from "../components/Form";
import { UserPicker } from "../components/UserPicker";
import { handoutText, partText } from "../kits";
import { describe } from "../messages";
import { usePeople } from "../people";

interface Props {
  api: Api;
  schema: string;
}

/** Hands one kit to a person; errors stand next to their fields, a refused part above. */
function HandOutForm({
  api,
  schema,
  kit,
  types,
  onDone,
  onCancel,
}: {
  api: Api;
  schema: string;
  kit: Kit;
  types: AssetType[];
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const [person, setPerson] = useState("");
  // Asset keys picked by hand, by part index; an empty one is picked by rule.
  const [picks, setPicks] = useState<Record<number, string>>({});
  const [due, setDue] = useState("");
  const [issue, setIssue] = useState("");
  const [note, setNote] = useState("");
  const people = usePeople(api, person ? [person] : []);
  useEffect(() => document.getElementById("amj-kit-person")?.focus(), []);
  const { errors, busy, submit } = useSubmit(async () => {
    const handout = await api.checkOutKit(schema, kit.id, {
      accountId: person.trim(),
      due: due || null,
      ...(issue.trim() ? { issue: issue.trim().toUpperCase() } : {}),
      note: note.trim(),
      ...(Object.values(picks).some((k) => k.trim())
        ? {
            picks: Object.entries(picks)
              .filter(([, key]) => key.trim())
              .map(([part, key]) => ({ part: Number(part), asset: key.trim().toUpperCase() })),
          }
        : {}),
    });
    onDone(handoutText(handout, people.get(person)?.name ?? person));
  });
  // A refused part is named by the server ("Part 2: …"): it belongs to the whole form.
  const partError = Object.entries(errors.fields)
    .filter(([field]) => field.startsWith("parts[") || field.startsWith("picks["))
    .map(([, message]) => message)
    .join(" ");
  return (
    <form
      id="amj-kit-form"
      class="amj-form"
      aria-label={`Hand out ${kit.name}`}
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <Field id="amj-kit-person" label="To" error={errors.fields.accountId}>
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
      {kit.parts.map((part, i) =>
        part.kind === "asset" ? (
          <Field
            key={`pick-${i}`}
            id={`amj-kit-pick-${i}`}
            label={`${partText(part, types)}: asset key (optional; else the first available)`}
            error={undefined}
          >
            {(a) => (
              <input
                {...a}
                type="text"
                placeholder="IT-42"
                value={picks[i] ?? ""}
                onInput={(e) => {
                  const key = e.currentTarget.value;
                  setPicks((current) => ({ ...current, [i]: key }));
                }}
              />
            )}
          </Field>
        ) : null,
      )}
      <Field id="amj-kit-due" label="Due back (optional)" error={errors.fields.due}>
        {(a) => (
          <input {...a} type="date" value={due} onInput={(e) => setDue(e.currentTarget.value)} />
        )}
      </Field>
      <Field id="amj-kit-issue" label="For Jira issue (optional)" error={errors.fields.issue}>
        {(a) => (
          <input
            {...a}
            type="text"
            placeholder="HR-12"
            value={issue}
            onInput={(e) => setIssue(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id="amj-kit-note" label="Note (optional)" error={errors.fields.note}>
        {(a) => (
          <input {...a} type="text" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        )}
      </Field>
      <FormError id="amj-kit-error" message={errors.form ?? (partError || null)} />
      <button type="submit" id="amj-kit-submit" class="amj-button" disabled={busy}>
        Hand out
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

/**
 * The schema's kits, each handed to a person in one action: its assets picked by rule (the
 * first available of each type), its seats assigned and its stock issued, all or nothing.
 */
export function Kits({ api, schema }: Props) {
  const [kits, setKits] = useState<Kit[] | null>(null);
  const [types, setTypes] = useState<AssetType[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [status, setStatus] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  const opener = useRef<number | null>(null);

  useEffect(() => {
    let current = true;
    setKits(null);
    setFailure(null);
    Promise.all([api.kits(schema), api.types(schema).catch(() => [] as AssetType[])])
      .then(([found, catalog]) => {
        if (current) {
          setKits(found);
          setTypes(catalog);
        }
      })
      .catch((error: unknown) => current && setFailure(describe(error)));
    return () => {
      current = false;
    };
  }, [api, schema]);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    if (open === null && opener.current !== null) {
      document.querySelector<HTMLElement>(`[data-hand-out="${opener.current}"]`)?.focus();
      opener.current = null;
    }
  }, [open]);
  const close = () => {
    opener.current = open;
    setOpen(null);
  };

  return (
    <section id="amj-kits" data-state={kits ? "ready" : "loading"}>
      <h1 id="amj-kits-title" ref={heading} tabIndex={-1}>
        Kits
      </h1>
      {failure && (
        <p class="amj-error" role="alert">
          Could not load the kits: {failure}
        </p>
      )}
      {kits === null && !failure && <p class="amj-subtle">Loading…</p>}
      {kits !== null && kits.length === 0 && (
        <p class="amj-subtle" id="amj-kits-empty">
          No kits in this schema yet. An admin defines them in the settings' Kits section.
        </p>
      )}
      <output id="amj-kits-status" class="amj-status-line">
        {status}
      </output>
      {kits !== null && kits.length > 0 && (
        <ul id="amj-kit-list" class="amj-linked">
          {kits.map((kit) => (
            <li key={kit.id} data-kit={kit.name}>
              <strong>{kit.name}</strong>
              {kit.description && <span class="amj-subtle"> · {kit.description}</span>}
              <br />
              <span class="amj-subtle">{kit.parts.map((p) => partText(p, types)).join(", ")}</span>
              {open === kit.id ? (
                <HandOutForm
                  api={api}
                  schema={schema}
                  kit={kit}
                  types={types}
                  onDone={(message) => {
                    setStatus(message);
                    close();
                  }}
                  onCancel={close}
                />
              ) : (
                <p>
                  <button
                    type="button"
                    class="amj-button"
                    data-hand-out={kit.id}
                    aria-label={`Hand out ${kit.name}`}
                    onClick={() => {
                      setStatus("");
                      setOpen(kit.id);
                    }}
                  >
                    Hand out
                  </button>
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
