import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, Assignee, Compliance, Licence, LicenceTerms, Seat } from "../api";
import type { Formats } from "../format";
import { describe } from "../messages";
import type { Person } from "../people";
import { usePeople } from "../people";
import { Field, FormError, useSubmit } from "./Form";
import { UserPicker } from "./UserPicker";

/** How a licence stands, in words a person reads at a glance. */
export function complianceText(c: Compliance): string {
  const installed = c.installed > 0 ? ` · ${c.installed} installed` : "";
  return `${c.assigned} of ${c.entitled} seats assigned${installed} · ${c.free} free`;
}

/** The gap as a lozenge: a shortfall is a breach, room to spare is fine. */
export function GapLozenge({ compliance }: { compliance: Compliance }) {
  return compliance.breach ? (
    <span class="amj-lozenge amj-lozenge-danger" data-breach="true">
      {`Over by ${-compliance.gap}`}
    </span>
  ) : (
    <span class="amj-lozenge amj-status-available" data-breach="false">
      Compliant
    </span>
  );
}

/** Seats used against the entitlement, as a bar (a meter for assistive technology). */
export function SeatMeter({ compliance, label }: { compliance: Compliance; label: string }) {
  const used = Math.max(compliance.assigned, compliance.installed);
  const max = Math.max(compliance.entitled, used, 1);
  return (
    <meter
      class="amj-seat-meter"
      aria-label={label}
      min={0}
      max={max}
      high={compliance.entitled}
      optimum={0}
      value={used}
    />
  );
}

function assigneeText(assignee: Assignee, people: ReadonlyMap<string, Person>): string {
  return assignee.kind === "user"
    ? (people.get(assignee.accountId)?.name ?? assignee.accountId)
    : assignee.key;
}

const BLANK: LicenceTerms = {
  product: "",
  entitled: 1,
  allowOveruse: false,
  expires: null,
  renews: null,
  costPerSeat: null,
  currency: null,
};

/** The licence's terms, edited in a form; errors stand next to their fields. */
function TermsForm({
  api,
  assetKey,
  terms,
  label,
  onDone,
  onCancel,
}: {
  api: Api;
  assetKey: string;
  terms: LicenceTerms | null;
  label: string;
  onDone: (licence: Licence) => void;
  onCancel: (() => void) | null;
}) {
  const start = terms ?? { ...BLANK, product: label };
  const [product, setProduct] = useState(start.product);
  const [entitled, setEntitled] = useState(String(start.entitled));
  const [overuse, setOveruse] = useState(start.allowOveruse);
  const [expires, setExpires] = useState(start.expires ?? "");
  const [renews, setRenews] = useState(start.renews ?? "");
  const [cost, setCost] = useState(start.costPerSeat === null ? "" : String(start.costPerSeat));
  const [currency, setCurrency] = useState(start.currency ?? "");
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const { errors, busy, submit } = useSubmit(async () => {
    const seats = Number(entitled);
    const perSeat = cost.trim() === "" ? null : Number(cost);
    onDone(
      await api.setLicence(assetKey, {
        product: product.trim(),
        // An entry that is no number is sent as one the server refuses with its own words.
        entitled: Number.isFinite(seats) ? seats : -1,
        allowOveruse: overuse,
        expires: expires || null,
        renews: renews || null,
        costPerSeat:
          perSeat !== null && Number.isFinite(perSeat) ? perSeat : perSeat === null ? null : -1,
        currency: currency.trim() ? currency.trim().toUpperCase() : null,
      }),
    );
  });
  return (
    <form
      id="amj-licence-form"
      class="amj-form"
      aria-label={`Licence terms of ${assetKey}`}
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape" && onCancel) {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <Field id="amj-licence-product" label="Product" error={errors.fields.product}>
        {(a) => (
          <input
            {...a}
            ref={first}
            type="text"
            value={product}
            onInput={(e) => setProduct(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id="amj-licence-entitled" label="Entitled seats" error={errors.fields.entitled}>
        {(a) => (
          <input
            {...a}
            type="number"
            min={0}
            step={1}
            value={entitled}
            onInput={(e) => setEntitled(e.currentTarget.value)}
          />
        )}
      </Field>
      <div class="amj-field amj-check">
        <input
          id="amj-licence-overuse"
          type="checkbox"
          checked={overuse}
          onChange={(e) => setOveruse(e.currentTarget.checked)}
        />
        <label for="amj-licence-overuse">
          Allow overuse (seats past the entitlement show as a breach instead of being refused)
        </label>
      </div>
      <Field id="amj-licence-expires" label="Expires (optional)" error={errors.fields.expires}>
        {(a) => (
          <input
            {...a}
            type="date"
            value={expires}
            onInput={(e) => setExpires(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id="amj-licence-renews" label="Renews (optional)" error={errors.fields.renews}>
        {(a) => (
          <input
            {...a}
            type="date"
            value={renews}
            onInput={(e) => setRenews(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        id="amj-licence-cost"
        label="Cost per seat (optional)"
        error={errors.fields.costPerSeat}
      >
        {(a) => (
          <input
            {...a}
            type="number"
            min={0}
            step={0.01}
            value={cost}
            onInput={(e) => setCost(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id="amj-licence-currency" label="Currency" error={errors.fields.currency}>
        {(a) => (
          <input
            {...a}
            type="text"
            placeholder="EUR"
            maxLength={3}
            value={currency}
            onInput={(e) => setCurrency(e.currentTarget.value)}
          />
        )}
      </Field>
      <FormError id="amj-licence-error" message={errors.form ?? errors.fields.asset ?? null} />
      <button type="submit" id="amj-licence-save" class="amj-button" disabled={busy}>
        Save licence
      </button>
      {onCancel && (
        <>
          {" "}
          <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
            Cancel
          </button>
        </>
      )}
    </form>
  );
}

/** Assigns one seat to a person or an asset, optionally for a Jira issue. */
function AssignForm({
  api,
  assetKey,
  onDone,
  onCancel,
}: {
  api: Api;
  assetKey: string;
  onDone: (licence: Licence) => void;
  onCancel: () => void;
}) {
  const [kind, setKind] = useState<Assignee["kind"]>("user");
  const [person, setPerson] = useState("");
  const [key, setKey] = useState("");
  const [issue, setIssue] = useState("");
  const first = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    first.current?.querySelector<HTMLInputElement>("input:checked")?.focus();
  }, []);
  const { errors, busy, submit } = useSubmit(async () => {
    const assignee: Assignee =
      kind === "user"
        ? { kind, accountId: person.trim() }
        : { kind, key: key.trim().toUpperCase() };
    const done = await api.assignSeats(
      assetKey,
      [assignee],
      issue.trim() ? issue.trim().toUpperCase() : null,
      "",
    );
    onDone(done.licence);
  });
  const assigneeError = errors.fields["assignees[0]"] ?? errors.fields.assignees;
  return (
    <form
      id="amj-seat-form"
      class="amj-form"
      aria-label={`Assign a seat of ${assetKey}`}
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
        <legend>Assign a seat to</legend>
        {(
          [
            ["user", "A person"],
            ["asset", "An asset"],
          ] as [Assignee["kind"], string][]
        ).map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="amj-assignee-kind"
              id={`amj-assignee-kind-${value}`}
              value={value}
              checked={kind === value}
              onChange={() => setKind(value)}
            />{" "}
            {label}
          </label>
        ))}
      </fieldset>
      {kind === "user" ? (
        <Field id="amj-assignee-person" label="Person" error={assigneeError}>
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
        <Field id="amj-assignee-key" label="Asset (key)" error={assigneeError}>
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
      <Field id="amj-seat-issue" label="For Jira issue (optional)" error={errors.fields.issue}>
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
      <FormError id="amj-seat-error" message={errors.form ?? errors.fields.asset ?? null} />
      <button type="submit" id="amj-seat-submit" class="amj-button" disabled={busy}>
        Assign seat
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

/**
 * A licence on its asset's page: how it stands (seats assigned, installed, free, the gap),
 * its terms, and its seats, with forms to set the terms, assign a seat and free one.
 */
export function LicencePanel({
  api,
  assetKey,
  label,
  formats,
  disabled,
  onChanged,
}: {
  api: Api;
  assetKey: string;
  label: string;
  formats: Formats;
  disabled: boolean;
  /** After terms or seats change (the asset's history has grown). */
  onChanged?: () => void;
}) {
  const [licence, setLicence] = useState<Licence | null | "failed" | undefined>(undefined);
  const [seats, setSeats] = useState<Seat[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [form, setForm] = useState<"terms" | "assign" | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const opener = useRef<HTMLButtonElement>(null);
  // After a form closes, focus returns to "Assign a seat" once it is back on the page.
  const refocus = useRef(false);
  const shownKey = useRef<string | null>(null);

  useEffect(() => {
    let current = true;
    // Another licence's figures must not show while this one loads; a reload keeps them.
    if (shownKey.current !== assetKey) {
      shownKey.current = assetKey;
      setLicence(undefined);
    }
    Promise.all([api.licence(assetKey), api.seats(assetKey)])
      .then(([found, page]) => {
        if (current) {
          setLicence(found);
          setSeats(page.items);
          setNext(page.nextCursor);
        }
      })
      .catch(() => current && setLicence("failed"));
    return () => {
      current = false;
    };
  }, [api, assetKey, attempt]);
  const people = usePeople(
    api,
    seats.flatMap((s) => (s.assignee.kind === "user" ? [s.assignee.accountId] : [])),
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
  const changed = (after: Licence) => {
    setLicence(after);
    close();
    setAttempt((n) => n + 1);
    onChanged?.();
  };
  const release = async (seat: Seat) => {
    setFailure(null);
    try {
      setLicence(await api.releaseSeats(assetKey, [seat.assignee]));
      setAttempt((n) => n + 1);
      onChanged?.();
    } catch (error) {
      setFailure(`Could not free the seat: ${describe(error)}`);
    }
  };
  const more = async () => {
    if (next === null) {
      return;
    }
    try {
      const page = await api.seats(assetKey, next);
      setSeats((current) => [...current, ...page.items]);
      setNext(page.nextCursor);
    } catch (error) {
      setFailure(`Could not load more seats: ${describe(error)}`);
    }
  };

  if (licence === undefined) {
    return <p class="amj-subtle">Loading the licence…</p>;
  }
  if (licence === "failed") {
    return (
      <p class="amj-subtle" id="amj-licence-failed">
        This licence could not be read just now.
      </p>
    );
  }
  return (
    <section id="amj-licence" aria-labelledby="amj-licence-heading" class="amj-custody">
      <h2 id="amj-licence-heading">Licence</h2>
      {licence === null ? (
        form === "terms" || !disabled ? (
          <>
            <p class="amj-subtle">No terms yet: set the entitled seats to start assigning.</p>
            <TermsForm
              api={api}
              assetKey={assetKey}
              terms={null}
              label={label}
              onDone={changed}
              onCancel={null}
            />
          </>
        ) : (
          <p class="amj-subtle">No terms yet.</p>
        )
      ) : (
        <>
          <p id="amj-licence-summary">
            <strong>{licence.terms.product}</strong>: {complianceText(licence.compliance)}{" "}
            <GapLozenge compliance={licence.compliance} />
            {licence.expired && (
              <>
                {" "}
                <span class="amj-lozenge amj-status-retired">Expired</span>
              </>
            )}
          </p>
          <SeatMeter
            compliance={licence.compliance}
            label={`Seats used of ${licence.terms.product}`}
          />
          <p class="amj-subtle">
            {licence.terms.allowOveruse ? "Overuse allowed" : "No overuse"}
            {licence.terms.expires && ` · expires ${licence.terms.expires}`}
            {licence.terms.renews && ` · renews ${licence.terms.renews}`}
            {licence.terms.costPerSeat !== null &&
              ` · ${licence.terms.costPerSeat} ${licence.terms.currency ?? ""} a seat`}
            {licence.totalCost !== undefined &&
              ` (${licence.totalCost} ${licence.terms.currency ?? ""} in all)`}
          </p>
          {form === "terms" ? (
            <TermsForm
              api={api}
              assetKey={assetKey}
              terms={licence.terms}
              label={label}
              onDone={changed}
              onCancel={close}
            />
          ) : form === "assign" ? (
            <AssignForm api={api} assetKey={assetKey} onDone={changed} onCancel={close} />
          ) : (
            !disabled && (
              <p>
                <button
                  type="button"
                  id="amj-assign-seat"
                  class="amj-button"
                  ref={opener}
                  onClick={() => setForm("assign")}
                >
                  Assign a seat
                </button>{" "}
                <button
                  type="button"
                  id="amj-edit-licence"
                  class="amj-button amj-subtle-button"
                  onClick={() => setForm("terms")}
                >
                  Edit terms
                </button>
              </p>
            )
          )}
          {failure && (
            <p class="amj-error" role="alert">
              {failure}
            </p>
          )}
          {seats.length === 0 ? (
            <p class="amj-subtle" id="amj-seats-empty">
              No seats assigned.
            </p>
          ) : (
            <table class="amj-table" id="amj-seats">
              <caption>Seats</caption>
              <thead>
                <tr>
                  <th scope="col">Assigned to</th>
                  <th scope="col">Since</th>
                  <th scope="col">Issue</th>
                  <th scope="col">
                    <span class="amj-visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {seats.map((seat) => {
                  const name = assigneeText(seat.assignee, people);
                  return (
                    <tr key={name} data-seat={name}>
                      <td>{name}</td>
                      <td>{formats.dateTime(seat.assignedAt)}</td>
                      <td>{seat.issue ?? <span class="amj-subtle">—</span>}</td>
                      <td>
                        {!disabled && (
                          <button
                            type="button"
                            class="amj-button amj-subtle-button"
                            aria-label={`Free the seat of ${name}`}
                            onClick={() => void release(seat)}
                          >
                            Free
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {next !== null && (
            <button type="button" class="amj-button" onClick={() => void more()}>
              Show more seats
            </button>
          )}
        </>
      )}
    </section>
  );
}
