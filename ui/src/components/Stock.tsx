import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, Assignee, ItemStock, Movement, StockCounts } from "../api";
import type { Formats } from "../format";
import type { Person } from "../people";
import { usePeople } from "../people";
import { Field, FormError, useSubmit } from "./Form";
import { UserPicker } from "./UserPicker";

type Verb = Movement["kind"];

const VERBS: [Verb, string][] = [
  ["receive", "Receive"],
  ["issue", "Issue"],
  ["return", "Return"],
  ["move", "Move"],
  ["count", "Count"],
];

/** An item's totals in words a person reads at a glance. */
export function stockText(counts: StockCounts): string {
  const issued = counts.issued > 0 ? ` · ${counts.issued} issued` : "";
  const below =
    counts.belowMinimum > 0
      ? ` · ${counts.belowMinimum} location${counts.belowMinimum === 1 ? "" : "s"} below minimum`
      : "";
  return `${counts.quantity} on the shelves${issued}${below}`;
}

function partyText(party: Assignee, people: ReadonlyMap<string, Person>): string {
  return party.kind === "user" ? (people.get(party.accountId)?.name ?? party.accountId) : party.key;
}

/** A whole number from a field, or one the server refuses in its own words. */
function whole(text: string): number {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isInteger(n) ? n : -1;
}

/** One movement of the item's stock; errors stand next to their fields. */
function MovementForm({
  api,
  assetKey,
  stock,
  start,
  onDone,
  onCancel,
}: {
  api: Api;
  assetKey: string;
  stock: ItemStock;
  /** The verb (and recipient, for a return) it opens with. */
  start: { verb: Verb; party?: Assignee };
  onDone: (stock: ItemStock) => void;
  onCancel: () => void;
}) {
  const [verb, setVerb] = useState<Verb>(start.verb);
  const firstLocation = stock.levels[0]?.location ?? "";
  const [location, setLocation] = useState(firstLocation);
  const [to, setTo] = useState("");
  const [quantity, setQuantity] = useState("1");
  const [partyKind, setPartyKind] = useState<Assignee["kind"]>(
    start.party?.kind ?? (stock.kind === "component" ? "asset" : "user"),
  );
  const [person, setPerson] = useState(start.party?.kind === "user" ? start.party.accountId : "");
  const [key, setKey] = useState(start.party?.kind === "asset" ? start.party.key : "");
  const [issue, setIssue] = useState("");
  const [note, setNote] = useState("");
  const first = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    first.current?.querySelector<HTMLInputElement>("input:checked")?.focus();
  }, []);
  const verbs = VERBS.filter(([v]) => v !== "return" || stock.kind !== "consumable");
  const { errors, busy, submit } = useSubmit(async () => {
    const party: Assignee =
      partyKind === "user"
        ? { kind: "user", accountId: person.trim() }
        : { kind: "asset", key: key.trim().toUpperCase() };
    const at = location.trim().toUpperCase();
    const n = whole(quantity);
    const extra = {
      ...(issue.trim() ? { issue: issue.trim().toUpperCase() } : {}),
      note: note.trim(),
    };
    const movement: Movement =
      verb === "receive"
        ? { kind: verb, location: at, quantity: n, ...extra }
        : verb === "issue"
          ? { kind: verb, location: at, quantity: n, to: party, ...extra }
          : verb === "return"
            ? { kind: verb, location: at, quantity: n, from: party, note: note.trim() }
            : verb === "move"
              ? {
                  kind: verb,
                  from: at,
                  to: to.trim().toUpperCase(),
                  quantity: n,
                  note: note.trim(),
                }
              : { kind: verb, location: at, counted: n, note: note.trim() };
    onDone(await api.moveStock(assetKey, movement));
  });
  const locationError = verb === "move" ? errors.fields.from : errors.fields.location;
  const partyError = verb === "issue" ? errors.fields.to : errors.fields.from;
  return (
    <form
      id="amj-stock-form"
      class="amj-form"
      aria-label={`Move stock of ${assetKey}`}
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <fieldset ref={first} class="amj-radios">
        <legend>Movement</legend>
        {verbs.map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="amj-stock-verb"
              id={`amj-stock-verb-${value}`}
              value={value}
              checked={verb === value}
              onChange={() => setVerb(value)}
            />{" "}
            {label}
          </label>
        ))}
      </fieldset>
      <Field
        id="amj-stock-location"
        label={verb === "move" ? "From location (key)" : "Location (key)"}
        error={locationError}
      >
        {(a) => (
          <input
            {...a}
            type="text"
            placeholder="IT-7"
            list="amj-stock-locations"
            value={location}
            onInput={(e) => setLocation(e.currentTarget.value)}
          />
        )}
      </Field>
      <datalist id="amj-stock-locations">
        {stock.levels.map((l) => (
          <option key={l.location} value={l.location}>
            {l.locationLabel}
          </option>
        ))}
      </datalist>
      {verb === "move" && (
        <Field id="amj-stock-to" label="To location (key)" error={errors.fields.to}>
          {(a) => (
            <input
              {...a}
              type="text"
              placeholder="IT-8"
              list="amj-stock-locations"
              value={to}
              onInput={(e) => setTo(e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      <Field
        id="amj-stock-quantity"
        label={verb === "count" ? "Counted" : "Quantity"}
        error={verb === "count" ? errors.fields.counted : errors.fields.quantity}
      >
        {(a) => (
          <input
            {...a}
            type="number"
            min={0}
            step={1}
            value={quantity}
            onInput={(e) => setQuantity(e.currentTarget.value)}
          />
        )}
      </Field>
      {(verb === "issue" || verb === "return") && (
        <>
          <fieldset class="amj-radios">
            <legend>{verb === "issue" ? "Issue to" : "Returned by"}</legend>
            {(
              [
                ["user", "A person"],
                ["asset", "An asset"],
              ] as [Assignee["kind"], string][]
            ).map(([value, label]) => (
              <label key={value}>
                <input
                  type="radio"
                  name="amj-stock-party-kind"
                  id={`amj-stock-party-${value}`}
                  value={value}
                  checked={partyKind === value}
                  onChange={() => setPartyKind(value)}
                />{" "}
                {label}
              </label>
            ))}
          </fieldset>
          {partyKind === "user" ? (
            <Field id="amj-stock-person" label="Person" error={partyError}>
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
          ) : (
            <Field id="amj-stock-asset" label="Asset (key)" error={partyError}>
              {(a) => (
                <input
                  {...a}
                  type="text"
                  placeholder="IT-42"
                  value={key}
                  onInput={(e) => setKey(e.currentTarget.value)}
                />
              )}
            </Field>
          )}
        </>
      )}
      {(verb === "issue" || verb === "receive") && (
        <Field id="amj-stock-issue" label="For Jira issue (optional)" error={errors.fields.issue}>
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
      )}
      <Field id="amj-stock-note" label="Note (optional)" error={errors.fields.note}>
        {(a) => (
          <input {...a} type="text" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        )}
      </Field>
      <FormError
        id="amj-stock-error"
        message={errors.form ?? errors.fields.kind ?? errors.fields.asset ?? null}
      />
      <button type="submit" id="amj-stock-submit" class="amj-button" disabled={busy}>
        {VERBS.find(([v]) => v === verb)?.[1] ?? "Save"}
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** The least a location should hold; 0 removes the minimum. */
function MinimumForm({
  api,
  assetKey,
  stock,
  onDone,
  onCancel,
}: {
  api: Api;
  assetKey: string;
  stock: ItemStock;
  onDone: (stock: ItemStock) => void;
  onCancel: () => void;
}) {
  const [location, setLocation] = useState(stock.levels[0]?.location ?? "");
  const [minimum, setMinimum] = useState(String(stock.levels[0]?.minimum ?? 0));
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const { errors, busy, submit } = useSubmit(async () => {
    onDone(await api.setStockMinimum(assetKey, location.trim().toUpperCase(), whole(minimum)));
  });
  return (
    <form
      id="amj-minimum-form"
      class="amj-form"
      aria-label={`Minimum stock of ${assetKey}`}
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <Field id="amj-minimum-location" label="Location (key)" error={errors.fields.location}>
        {(a) => (
          <input
            {...a}
            ref={first}
            type="text"
            placeholder="IT-7"
            list="amj-stock-locations"
            value={location}
            onInput={(e) => setLocation(e.currentTarget.value)}
          />
        )}
      </Field>
      <datalist id="amj-stock-locations">
        {stock.levels.map((l) => (
          <option key={l.location} value={l.location}>
            {l.locationLabel}
          </option>
        ))}
      </datalist>
      <Field id="amj-minimum-value" label="Minimum (0: none)" error={errors.fields.minimum}>
        {(a) => (
          <input
            {...a}
            type="number"
            min={0}
            step={1}
            value={minimum}
            onInput={(e) => setMinimum(e.currentTarget.value)}
          />
        )}
      </Field>
      <FormError id="amj-minimum-error" message={errors.form ?? errors.fields.asset ?? null} />
      <button type="submit" id="amj-minimum-submit" class="amj-button" disabled={busy}>
        Set minimum
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

type Form = { kind: "move"; verb: Verb; party?: Assignee } | { kind: "minimum" } | null;

/**
 * A stock item on its asset's page: its totals, every location's level against its minimum,
 * what is out with whom, and forms to move stock and set a minimum.
 */
export function StockPanel({
  api,
  assetKey,
  formats,
  disabled,
  onChanged,
}: {
  api: Api;
  assetKey: string;
  formats: Formats;
  disabled: boolean;
  /** After stock moved (the asset's history has grown). */
  onChanged?: () => void;
}) {
  const [stock, setStock] = useState<ItemStock | "failed" | undefined>(undefined);
  const [form, setForm] = useState<Form>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);

  useEffect(() => {
    let current = true;
    setStock(undefined);
    api
      .stock(assetKey)
      .then((found) => current && setStock(found))
      .catch(() => current && setStock("failed"));
    return () => {
      current = false;
    };
  }, [api, assetKey]);
  const people = usePeople(
    api,
    stock === undefined || stock === "failed"
      ? []
      : stock.out.flatMap((o) => (o.assignee.kind === "user" ? [o.assignee.accountId] : [])),
  );
  useEffect(() => {
    if (form === null && refocus.current && opener.current) {
      refocus.current = false;
      opener.current.focus();
    }
  });
  const close = () => {
    refocus.current = true;
    setForm(null);
  };
  const changed = (after: ItemStock) => {
    setStock(after);
    close();
    onChanged?.();
  };

  if (stock === undefined) {
    return <p class="amj-subtle">Loading the stock…</p>;
  }
  if (stock === "failed") {
    return (
      <p class="amj-subtle" id="amj-stock-failed">
        This item's stock could not be read just now.
      </p>
    );
  }
  return (
    <section id="amj-stock" aria-labelledby="amj-stock-heading" class="amj-custody">
      <h2 id="amj-stock-heading">Stock</h2>
      <p id="amj-stock-summary">
        <span class="amj-lozenge">{stock.kind}</span> {stockText(stock.counts)}
      </p>
      {form?.kind === "move" ? (
        <MovementForm
          api={api}
          assetKey={assetKey}
          stock={stock}
          start={form}
          onDone={changed}
          onCancel={close}
        />
      ) : form?.kind === "minimum" ? (
        <MinimumForm
          api={api}
          assetKey={assetKey}
          stock={stock}
          onDone={changed}
          onCancel={close}
        />
      ) : (
        !disabled && (
          <p>
            <button
              type="button"
              id="amj-move-stock"
              class="amj-button"
              ref={opener}
              onClick={() =>
                setForm({ kind: "move", verb: stock.levels.length > 0 ? "issue" : "receive" })
              }
            >
              Move stock
            </button>{" "}
            <button
              type="button"
              id="amj-set-minimum"
              class="amj-button amj-subtle-button"
              onClick={() => setForm({ kind: "minimum" })}
            >
              Set a minimum
            </button>
          </p>
        )
      )}
      {stock.levels.length === 0 ? (
        <p class="amj-subtle" id="amj-levels-empty">
          None kept anywhere yet: receive some to start.
        </p>
      ) : (
        <table class="amj-table" id="amj-levels">
          <caption>Levels</caption>
          <thead>
            <tr>
              <th scope="col">Location</th>
              <th scope="col">Quantity</th>
              <th scope="col">Minimum</th>
            </tr>
          </thead>
          <tbody>
            {stock.levels.map((level) => (
              <tr key={level.location} data-location={level.location}>
                <td>
                  {level.location} <span class="amj-subtle">{level.locationLabel}</span>
                </td>
                <td>
                  {level.quantity}
                  {level.belowMinimum && (
                    <>
                      {" "}
                      <span class="amj-lozenge amj-lozenge-danger">Below minimum</span>
                    </>
                  )}
                </td>
                <td>{level.minimum > 0 ? level.minimum : <span class="amj-subtle">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {stock.out.length > 0 && (
        <table class="amj-table" id="amj-stock-out">
          <caption>Out</caption>
          <thead>
            <tr>
              <th scope="col">With</th>
              <th scope="col">Quantity</th>
              <th scope="col">Since</th>
              <th scope="col">
                <span class="amj-visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {stock.out.map((out) => {
              const name = partyText(out.assignee, people);
              return (
                <tr key={name} data-out={name}>
                  <td>{name}</td>
                  <td>{out.quantity}</td>
                  <td>{formats.dateTime(out.since)}</td>
                  <td>
                    {!disabled && (
                      <button
                        type="button"
                        class="amj-button amj-subtle-button"
                        aria-label={`Return from ${name}`}
                        onClick={() =>
                          setForm({ kind: "move", verb: "return", party: out.assignee })
                        }
                      >
                        Return
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
