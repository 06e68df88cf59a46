import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, AssetCustody, CheckoutDraft, Condition, Holder } from "../api";
import type { Formats } from "../format";
import type { Person } from "../people";
import { Field, FormError, useSubmit } from "./Form";
import { PersonName } from "./PersonName";
import { UserPicker } from "./UserPicker";

/** Today as `YYYY-MM-DD` in UTC, the day due dates are kept in. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Overdue from the day after the due day, as the server derives it. */
export function isOverdue(due: string | null, today: string = todayUtc()): boolean {
  return due !== null && due < today;
}

/** The accountIds a custody view names, for fetching their display names. */
export function holderAccounts(holders: (Holder | null | undefined)[]): string[] {
  return holders.flatMap((h) => (h?.kind === "user" ? [h.accountId] : []));
}

/** A holder in words: a person by name, a location or carrier by key. */
export function HolderText({
  holder,
  people,
}: {
  holder: Holder;
  people: ReadonlyMap<string, Person>;
}) {
  switch (holder.kind) {
    case "user":
      return <PersonName id={holder.accountId} people={people} />;
    case "location":
      return <>{holder.key} (location)</>;
    case "asset":
      return <>{holder.key}</>;
  }
}

/** A holder as plain text, for history lines. */
export function holderLabel(holder: Holder, people: ReadonlyMap<string, Person>): string {
  switch (holder.kind) {
    case "user":
      return people.get(holder.accountId)?.name ?? "someone";
    case "location":
      return `${holder.key} (location)`;
    case "asset":
      return holder.key;
  }
}

const CONDITIONS: [Condition, string][] = [
  ["good", "Good"],
  ["worn", "Worn"],
  ["damaged", "Damaged"],
  ["lost", "Lost (not returned)"],
];

interface PanelProps {
  api: Api;
  assetKey: string;
  custody: AssetCustody;
  people: ReadonlyMap<string, Person>;
  formats: Formats;
  /** Archived assets cannot be checked out. */
  disabled: boolean;
  /** After a check-out or check-in: the asset, its status and history changed. */
  onChanged: () => void;
}

/**
 * Who has the asset, and the check-out and check-in forms. The forms open in place (no modal
 * to trap focus in a Jira frame); focus moves to their first field and back to the button that
 * opened them when they close.
 */
export function CustodyPanel({
  api,
  assetKey,
  custody,
  people,
  formats,
  disabled,
  onChanged,
}: PanelProps) {
  const [open, setOpen] = useState<"out" | "in" | null>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(null);
    setTimeout(() => opener.current?.focus(), 0);
  };
  if (!custody.checkoutable && custody.custody === null) {
    return null;
  }
  const current = custody.custody;
  return (
    <section id="amj-custody" aria-label="Custody" class="amj-custody">
      {current ? (
        <p id="amj-custody-state">
          Checked out to <HolderText holder={current.holder} people={people} />
          {custody.effectiveHolder && custody.carriers.length > 0 && (
            <>
              {" "}
              (with <HolderText holder={custody.effectiveHolder} people={people} />)
            </>
          )}{" "}
          since {formats.dateTime(current.since)}
          {current.due && (
            <>
              , due {current.due}
              {isOverdue(current.due) && (
                <>
                  {" "}
                  <span class="amj-lozenge amj-status-retired" id="amj-custody-overdue">
                    Overdue
                  </span>
                </>
              )}
            </>
          )}
          {current.issue && <>, for {current.issue}</>}.
        </p>
      ) : (
        <p id="amj-custody-state" class="amj-subtle">
          Not checked out.
        </p>
      )}
      {custody.reservation && (
        <p id="amj-custody-reserved">
          <span class="amj-lozenge amj-status-maintenance">Reserved</span> for{" "}
          <HolderText
            holder={{ kind: "user", accountId: custody.reservation.accountId }}
            people={people}
          />
          : request #{custody.reservation.request} on {custody.reservation.issue}. It is handed out
          from the Requests queue.
        </p>
      )}
      {custody.loans.length > 0 && (
        <details id="amj-loans">
          <summary>Past loans ({custody.loans.length})</summary>
          <ul class="amj-linked">
            {custody.loans.map((loan) => (
              <li key={`${loan.since}:${loan.returnedAt}`}>
                <HolderText holder={loan.holder} people={people} />, {formats.dateTime(loan.since)}{" "}
                – {formats.dateTime(loan.returnedAt)} ({loan.condition})
                {loan.issue && <>, for {loan.issue}</>}
                {loan.returnNote && <span class="amj-subtle"> “{loan.returnNote}”</span>}
              </li>
            ))}
          </ul>
        </details>
      )}
      {open === null && !disabled && (
        <button
          type="button"
          id={current ? "amj-checkin" : "amj-checkout"}
          class="amj-button"
          ref={opener}
          onClick={() => setOpen(current ? "in" : "out")}
        >
          {current ? "Check in" : "Check out"}
        </button>
      )}
      {open === "out" && (
        <CheckoutForm
          api={api}
          assetKey={assetKey}
          onDone={() => {
            setOpen(null);
            onChanged();
          }}
          onCancel={close}
        />
      )}
      {open === "in" && (
        <CheckinForm
          api={api}
          assetKey={assetKey}
          onDone={() => {
            setOpen(null);
            onChanged();
          }}
          onCancel={close}
        />
      )}
    </section>
  );
}

type HolderKind = Holder["kind"];

/** The check-out form: a holder (a person, a location or a carrying asset), due, issue, note. */
export function CheckoutForm({
  api,
  assetKey,
  onDone,
  onCancel,
}: {
  api: Api;
  assetKey: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [kind, setKind] = useState<HolderKind>("user");
  const [person, setPerson] = useState("");
  const [key, setKey] = useState("");
  const [due, setDue] = useState("");
  const [issue, setIssue] = useState("");
  const [note, setNote] = useState("");
  const first = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    first.current?.querySelector<HTMLInputElement>("input:checked")?.focus();
  }, []);
  const { errors, busy, submit } = useSubmit(async () => {
    const holder: Holder =
      kind === "user"
        ? { kind, accountId: person.trim() }
        : { kind, key: key.trim().toUpperCase() };
    const draft: CheckoutDraft = { holder };
    if (due) {
      draft.due = due;
    }
    if (issue.trim()) {
      draft.issue = issue.trim().toUpperCase();
    }
    if (note.trim()) {
      draft.note = note.trim();
    }
    await api.checkOut(assetKey, draft);
    onDone();
  });
  return (
    <form
      id="amj-checkout-form"
      class="amj-form"
      aria-label={`Check out ${assetKey}`}
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
        <legend>Check out to</legend>
        {(
          [
            ["user", "A person"],
            ["location", "A location"],
            ["asset", "Another asset"],
          ] as [HolderKind, string][]
        ).map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="amj-holder-kind"
              id={`amj-holder-kind-${value}`}
              value={value}
              checked={kind === value}
              onChange={() => setKind(value)}
            />{" "}
            {label}
          </label>
        ))}
      </fieldset>
      {kind === "user" ? (
        <Field id="amj-holder-person" label="Person" error={errors.fields.holder}>
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
        <Field
          id="amj-holder-key"
          label={kind === "location" ? "Location (asset key)" : "Asset (key)"}
          error={errors.fields.holder}
        >
          {(a) => (
            <input
              {...a}
              type="text"
              placeholder="IT-7"
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      <Field id="amj-checkout-due" label="Due back (optional)" error={errors.fields.due}>
        {(a) => (
          <input
            {...a}
            type="date"
            min={todayUtc()}
            value={due}
            onInput={(e) => setDue(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id="amj-checkout-issue" label="For Jira issue (optional)" error={errors.fields.issue}>
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
      <Field id="amj-checkout-note" label="Note (optional)" error={errors.fields.note}>
        {(a) => <textarea {...a} value={note} onInput={(e) => setNote(e.currentTarget.value)} />}
      </Field>
      <FormError id="amj-checkout-error" message={errors.form ?? errors.fields.asset ?? null} />
      <button type="submit" id="amj-checkout-submit" class="amj-button" disabled={busy}>
        Check out
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** The check-in form: the condition it came back in, and a note. */
export function CheckinForm({
  api,
  assetKey,
  onDone,
  onCancel,
}: {
  api: Api;
  assetKey: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [condition, setCondition] = useState<Condition>("good");
  const [note, setNote] = useState("");
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);
  const { errors, busy, submit } = useSubmit(async () => {
    await api.checkIn(assetKey, condition, note.trim());
    onDone();
  });
  return (
    <form
      id="amj-checkin-form"
      class="amj-form"
      aria-label={`Check in ${assetKey}`}
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <div class="amj-field">
        <label for="amj-checkin-condition">Condition</label>
        <select
          id="amj-checkin-condition"
          ref={first}
          value={condition}
          onChange={(e) => setCondition(e.currentTarget.value as Condition)}
        >
          {CONDITIONS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <Field id="amj-checkin-note" label="Note (optional)" error={errors.fields.note}>
        {(a) => <textarea {...a} value={note} onInput={(e) => setNote(e.currentTarget.value)} />}
      </Field>
      <FormError id="amj-checkin-error" message={errors.form ?? errors.fields.asset ?? null} />
      <button type="submit" id="amj-checkin-submit" class="amj-button" disabled={busy}>
        Check in
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
