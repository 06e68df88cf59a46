import { useEffect, useState } from "preact/hooks";
import type { Api, Booking, Condition } from "../api";
import {
  type BookingVerb,
  daysFrom,
  localDay,
  nextHour,
  phaseLabel,
  phaseLozenge,
  type TimelineRow,
  timeline,
  verbs,
} from "../bookings";
import type { Formats } from "../format";
import { describe } from "../messages";
import { type Person, usePeople } from "../people";
import { Field, FormError, useSubmit } from "./Form";
import { PersonName } from "./PersonName";
import { UserPicker } from "./UserPicker";

/**
 * Booking forms and lists, shared by an asset's page (its own bookings) and the bookings page
 * (what is free, a type's or a location's timeline). Times are typed in the viewer's zone and
 * sent as local times with that zone, which the server reads; shown times are the viewer's too.
 */

interface FormProps {
  api: Api;
  schema: string;
  /** What is booked: these assets, or (with `kit`) a kit. */
  assets: string[];
  kit?: { id: number; name: string };
  formats: Formats;
  /** Start and end as `datetime-local` values, when the caller already knows them. */
  start?: string;
  end?: string;
  /** The person to book for at first: the viewer, who may always book for themselves. */
  person?: string | null;
  idPrefix: string;
  onDone: (booking: Booking) => void;
  onCancel: () => void;
}

/** Books assets (or a kit) for a person; errors stand next to their fields. */
export function BookingForm({
  api,
  schema,
  assets,
  kit,
  formats,
  start: initialStart,
  end: initialEnd,
  person: initialPerson,
  idPrefix,
  onDone,
  onCancel,
}: FormProps) {
  const now = new Date();
  const [person, setPerson] = useState(initialPerson ?? "");
  const [start, setStart] = useState(initialStart ?? nextHour(now, formats.timeZone));
  const [end, setEnd] = useState(initialEnd ?? nextHour(now, formats.timeZone, 1));
  const [issue, setIssue] = useState("");
  const [note, setNote] = useState("");
  const id = (name: string) => `${idPrefix}-${name}`;
  useEffect(() => document.getElementById(`${idPrefix}-person`)?.focus(), [idPrefix]);
  const { errors, busy, submit } = useSubmit(async () => {
    const booking = await api.book(schema, {
      accountId: person.trim(),
      start,
      end,
      ...(kit ? { kit: kit.id } : { assets }),
      timeZone: formats.timeZone,
      ...(issue.trim() ? { issue: issue.trim().toUpperCase() } : {}),
      note: note.trim(),
    });
    onDone(booking);
  });
  // Refusals of no field shown here (an asset's, "items[0].asset"; the zone) belong to the
  // whole form, so that none goes unseen.
  const shown = ["accountId", "start", "end", "issue", "note"];
  const assetError = Object.entries(errors.fields)
    .filter(([field]) => !shown.includes(field))
    .map(([, message]) => message)
    .join(" ");
  const what = kit ? `kit ${kit.name}` : assets.join(", ");
  return (
    <form
      id={id("form")}
      class="amj-form"
      aria-label={`Book ${what}`}
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <Field id={id("person")} label="For" error={errors.fields.accountId}>
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
      <Field id={id("start")} label={`From (${formats.timeZone})`} error={errors.fields.start}>
        {(a) => (
          <input
            {...a}
            type="datetime-local"
            value={start}
            onInput={(e) => setStart(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id={id("end")} label={`Until (${formats.timeZone})`} error={errors.fields.end}>
        {(a) => (
          <input
            {...a}
            type="datetime-local"
            value={end}
            onInput={(e) => setEnd(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id={id("issue")} label="For Jira issue (optional)" error={errors.fields.issue}>
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
      <Field id={id("note")} label="Note (optional)" error={errors.fields.note}>
        {(a) => (
          <input {...a} type="text" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        )}
      </Field>
      <FormError id={id("error")} message={errors.form ?? (assetError || null)} />
      <button type="submit" id={id("submit")} class="amj-button" disabled={busy}>
        Book {what}
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

const CONDITIONS: [Condition, string][] = [
  ["good", "Good"],
  ["worn", "Worn"],
  ["damaged", "Damaged"],
  ["lost", "Lost (not returned)"],
];

/** Takes back a picked-up booking: every asset still out, or those ticked (a kit in parts). */
function ReturnForm({
  api,
  schema,
  booking,
  onDone,
  onCancel,
}: {
  api: Api;
  schema: string;
  booking: Booking;
  onDone: (booking: Booking) => void;
  onCancel: () => void;
}) {
  const out = booking.assets.filter((a) => a.returnedAt === null);
  const [chosen, setChosen] = useState<string[]>(out.map((a) => a.key));
  const [condition, setCondition] = useState<Condition>("good");
  const [note, setNote] = useState("");
  const prefix = `amj-booking-${booking.id}-back`;
  useEffect(() => document.getElementById(`${prefix}-condition`)?.focus(), [prefix]);
  const { errors, busy, submit } = useSubmit(async () => {
    onDone(await api.returnBooking(schema, booking.id, { assets: chosen, condition, note }));
  });
  const rowError = Object.entries(errors.fields)
    .filter(([field]) => field.startsWith("items[") || field.startsWith("assets"))
    .map(([, message]) => message)
    .join(" ");
  return (
    <form
      id={prefix}
      class="amj-form"
      aria-label={`Return booking #${booking.id}`}
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      {out.length > 1 && (
        <fieldset>
          <legend>What comes back</legend>
          {out.map((a) => (
            <label key={a.key} class="amj-check">
              <input
                type="checkbox"
                checked={chosen.includes(a.key)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  setChosen((now) => (on ? [...now, a.key] : now.filter((k) => k !== a.key)));
                }}
              />{" "}
              {a.key} {a.label}
            </label>
          ))}
        </fieldset>
      )}
      <Field id={`${prefix}-condition`} label="Condition" error={errors.fields.condition}>
        {(a) => (
          <select
            {...a}
            value={condition}
            onChange={(e) => setCondition(e.currentTarget.value as Condition)}
          >
            {CONDITIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id={`${prefix}-note`} label="Note (optional)" error={errors.fields.note}>
        {(a) => (
          <input {...a} type="text" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        )}
      </Field>
      <FormError id={`${prefix}-error`} message={errors.form ?? (rowError || null)} />
      <button
        type="submit"
        id={`${prefix}-submit`}
        class="amj-button"
        disabled={busy || chosen.length === 0}
      >
        Return
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

const VERB_LABELS: Record<BookingVerb, string> = {
  pickup: "Pick up",
  return: "Return",
  cancel: "Cancel booking",
};

/**
 * Bookings as an agenda: what, for whom, when (in the viewer's zone), where each stands, and
 * the verbs its phase allows. Pickup and cancel act at once; return opens its form in place.
 */
export function BookingList({
  api,
  schema,
  bookings,
  people,
  formats,
  onChanged,
  onOpen,
}: {
  api: Api;
  schema: string;
  bookings: Booking[];
  people: ReadonlyMap<string, Person>;
  formats: Formats;
  onChanged: (message: string) => void;
  onOpen?: (key: string) => void;
}) {
  const [returning, setReturning] = useState<number | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // One verb at a time: a second press while the first is on its way would be refused.
  const [acting, setActing] = useState<number | null>(null);
  // After a pickup its button goes: focus moves to the Return button once the list has it.
  const [refocus, setRefocus] = useState<string | null>(null);
  useEffect(() => {
    const target = refocus ? document.getElementById(refocus) : null;
    if (target) {
      target.focus();
      setRefocus(null);
    }
  }, [bookings, refocus]);
  const act = async (booking: Booking, verb: BookingVerb) => {
    setFailure(null);
    if (verb === "return") {
      setReturning(booking.id);
      return;
    }
    setActing(booking.id);
    try {
      const done =
        verb === "pickup"
          ? await api.pickUpBooking(schema, booking.id)
          : await api.cancelBooking(schema, booking.id);
      if (verb === "pickup") {
        setRefocus(`amj-booking-${done.id}-return`);
      }
      onChanged(`Booking #${done.id}: ${phaseLabel(done.phase).toLowerCase()}.`);
    } catch (error) {
      setFailure(`Booking #${booking.id}: ${describe(error)}`);
    } finally {
      setActing(null);
    }
  };
  if (bookings.length === 0) {
    return <p class="amj-subtle">No bookings in this window.</p>;
  }
  return (
    <>
      <FormError id="amj-bookings-error" message={failure} />
      <ul class="amj-linked amj-bookings" aria-label="Bookings">
        {bookings.map((b) => (
          <li key={b.id} id={`amj-booking-${b.id}`} data-phase={b.phase}>
            <span class={`amj-lozenge ${phaseLozenge(b.phase)}`}>{phaseLabel(b.phase)}</span>{" "}
            <strong>#{b.id}</strong>{" "}
            {b.assets.map((a, i) => (
              <span key={a.key}>
                {i > 0 && ", "}
                {onOpen ? (
                  <button type="button" class="amj-link-button" onClick={() => onOpen(a.key)}>
                    {a.key}
                  </button>
                ) : (
                  a.key
                )}{" "}
                {a.label}
                {a.returnedAt && " (back)"}
              </span>
            ))}
            {b.kit && <> (kit {b.kit.name})</>} for <PersonName id={b.accountId} people={people} />,{" "}
            {formats.dateTime(b.start)} – {formats.dateTime(b.end)}
            {b.issue && <>, {b.issue}</>}
            {b.note && <> “{b.note}”</>}{" "}
            {verbs(b).map((verb) => (
              <button
                key={verb}
                type="button"
                id={`amj-booking-${b.id}-${verb}`}
                class="amj-button amj-subtle-button"
                aria-label={`${VERB_LABELS[verb]} #${b.id}`}
                disabled={acting !== null}
                onClick={() => void act(b, verb)}
              >
                {VERB_LABELS[verb]}
              </button>
            ))}
            {returning === b.id && (
              <ReturnForm
                api={api}
                schema={schema}
                booking={b}
                onDone={(done) => {
                  setReturning(null);
                  onChanged(`Booking #${done.id}: ${phaseLabel(done.phase).toLowerCase()}.`);
                }}
                onCancel={() => {
                  setReturning(null);
                  document.getElementById(`amj-booking-${b.id}-return`)?.focus();
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

const dayLabel = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  day: "numeric",
  timeZone: "UTC",
});

/**
 * Days across, booked assets down: each cell holds the bookings that cover that local day,
 * as lozenges in their phase's colour, with the person and phase written out for screen
 * readers. It scrolls sideways in a narrow frame or on a phone.
 */
export function Timeline({
  id,
  rows,
  days,
  people,
  timeZone,
}: {
  id: string;
  rows: TimelineRow[];
  days: string[];
  people: ReadonlyMap<string, Person>;
  timeZone: string;
}) {
  return (
    // Focusable, so that the keyboard can scroll it sideways (a region that scrolls must be).
    <section
      class="amj-table-scroll"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region needs keyboard access
      tabIndex={0}
      aria-label={`Bookings by day, in ${timeZone}`}
    >
      <table id={id} class="amj-table amj-timeline">
        <caption class="amj-visually-hidden">Booked assets by day, in {timeZone}</caption>
        <thead>
          <tr>
            <th scope="col">Asset</th>
            {days.map((day) => (
              <th scope="col" key={day}>
                {dayLabel.format(new Date(`${day}T00:00:00Z`))}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">
                {row.key} {row.label}
              </th>
              {row.days.map((here, i) => (
                <td key={days[i]} data-booked={here.length > 0 ? "true" : undefined}>
                  {here.map((b) => (
                    <span
                      key={b.id}
                      class={`amj-lozenge ${phaseLozenge(b.phase)}`}
                      title={`#${b.id} ${people.get(b.accountId)?.name ?? ""}`}
                    >
                      #{b.id}
                      <span class="amj-visually-hidden">
                        {" "}
                        {people.get(b.accountId)?.name ?? "someone"}, {phaseLabel(b.phase)}
                      </span>
                    </span>
                  ))}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** How far an asset's page looks back and ahead for its bookings. */
const ASSET_BACK_DAYS = 7;
const ASSET_AHEAD_DAYS = 120;
/** The asset's calendar strip: the next four weeks, day by day. */
const CALENDAR_DAYS = 28;

/**
 * An asset's bookings (a week back, four months ahead) and the form to book it. Booking,
 * pickup and return change its custody and history too, so the page is told (`onChanged`).
 */
export function AssetBookings({
  api,
  assetKey,
  formats,
  viewer,
  disabled,
  onChanged,
}: {
  api: Api;
  assetKey: string;
  formats: Formats;
  /** The signed-in person, who is booked for unless another is chosen. */
  viewer: string | null;
  disabled: boolean;
  onChanged: () => void;
}) {
  const schema = assetKey.slice(0, assetKey.lastIndexOf("-"));
  const [bookings, setBookings] = useState<Booking[] | "failed" | null>(null);
  const [booking, setBooking] = useState(false);
  const [status, setStatus] = useState("");
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    const now = Date.now();
    const day = 24 * 60 * 60 * 1000;
    api
      .bookings(schema, {
        asset: assetKey,
        from: new Date(now - ASSET_BACK_DAYS * day).toISOString(),
        to: new Date(now + ASSET_AHEAD_DAYS * day).toISOString(),
      })
      .then((found) => current && setBookings(found.items))
      .catch(() => current && setBookings("failed"));
    return () => {
      current = false;
    };
  }, [api, schema, assetKey, attempt]);
  const changed = (message: string) => {
    setStatus(message);
    setAttempt((n) => n + 1);
    onChanged();
  };
  const names = usePeople(api, Array.isArray(bookings) ? bookings.map((b) => b.accountId) : []);
  // The next four weeks of this asset, day by day, when anything is booked in them.
  const calendarDays = daysFrom(localDay(new Date(), formats.timeZone), CALENDAR_DAYS);
  const calendar = Array.isArray(bookings)
    ? timeline(
        bookings.filter((b) => b.phase !== "cancelled"),
        calendarDays,
        formats.timeZone,
      ).filter((row) => row.key === assetKey && row.days.some((d) => d.length > 0))
    : [];
  return (
    <section id="amj-asset-bookings" aria-labelledby="amj-asset-bookings-title">
      <h2 id="amj-asset-bookings-title">Bookings</h2>
      <output class="amj-subtle amj-status-line" id="amj-asset-bookings-status">
        {status}
      </output>
      {calendar.length > 0 && (
        <Timeline
          id="amj-asset-calendar"
          rows={calendar}
          days={calendarDays}
          people={names}
          timeZone={formats.timeZone}
        />
      )}
      {bookings === "failed" ? (
        <p class="amj-subtle">The bookings could not be read just now.</p>
      ) : bookings === null ? (
        <p class="amj-subtle">Loading…</p>
      ) : (
        <BookingList
          api={api}
          schema={schema}
          bookings={bookings}
          people={names}
          formats={formats}
          onChanged={changed}
        />
      )}
      {booking ? (
        <BookingForm
          api={api}
          schema={schema}
          assets={[assetKey]}
          formats={formats}
          person={viewer}
          idPrefix="amj-book"
          onDone={(made) => {
            setBooking(false);
            changed(`Booked: #${made.id}.`);
            setTimeout(() => document.getElementById("amj-book-open")?.focus(), 0);
          }}
          onCancel={() => {
            setBooking(false);
            setTimeout(() => document.getElementById("amj-book-open")?.focus(), 0);
          }}
        />
      ) : (
        <button
          type="button"
          id="amj-book-open"
          class="amj-button"
          disabled={disabled}
          onClick={() => setBooking(true)}
        >
          Book…
        </button>
      )}
    </section>
  );
}
