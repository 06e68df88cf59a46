import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Api, AssetType, Booking, FreeAsset, Kit } from "../api";
import { daysFrom, localDay, timeline } from "../bookings";
import { BookingForm, BookingList, Timeline } from "../components/Bookings";
import { Field } from "../components/Form";
import type { Formats } from "../format";
import { describe } from "../messages";
import { usePeople } from "../people";

interface Props {
  api: Api;
  schema: string;
  formats: Formats;
  viewer: string | null;
  onOpen: (key: string) => void;
}

/** The longest window the page shows at once: a timeline wider than a month does not read. */
const DAYS_MAX = 31;
/** Free assets listed before "Show all": enough to choose from, leaving the timeline in view. */
const FREE_SHOWN = 8;

interface Search {
  typeId: string;
  location: string;
  from: string;
  to: string;
}

/** What the page shows for a search. */
interface Shown {
  search: Search;
  free: FreeAsset[];
  bookings: Booking[];
  truncated: boolean;
}

/**
 * Bookings of a schema: what is free over some days (by type and place, read in the viewer's
 * zone), booking it or a kit, a timeline of the days with each booked asset's bookings (a
 * type's calendar, or a location's timeline), and the agenda to pick up, return and cancel.
 */
export function Bookings({ api, schema, formats, viewer, onOpen }: Props) {
  const today = localDay(new Date(), formats.timeZone);
  const [search, setSearch] = useState<Search>({
    typeId: "",
    location: "",
    from: today,
    to: daysFrom(today, 7)[6] ?? today,
  });
  const [types, setTypes] = useState<AssetType[]>([]);
  const [kits, setKits] = useState<Kit[]>([]);
  const [shown, setShown] = useState<Shown | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // What is being booked, and the button that opened the form (focus goes back to it).
  const [booking, setBooking] = useState<{ assets: string[]; kit?: Kit; opener: string } | null>(
    null,
  );
  const [kitChoice, setKitChoice] = useState("");
  const [allFree, setAllFree] = useState(false);
  const [status, setStatus] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  useEffect(() => {
    api
      .types(schema)
      .then(setTypes)
      .catch(() => setTypes([]));
    api
      .kits(schema)
      .then(setKits)
      .catch(() => setKits([]));
  }, [api, schema]);

  const show = useCallback(
    async (asked: Search) => {
      setBusy(true);
      setFailure(null);
      const window = {
        from: asked.from,
        to: asked.to,
        timeZone: formats.timeZone,
        ...(asked.typeId ? { typeId: Number(asked.typeId) } : {}),
        ...(asked.location.trim() ? { location: asked.location.trim().toUpperCase() } : {}),
      };
      try {
        const [free, listed] = await Promise.all([
          api.availability(schema, { ...window, limit: 100 }),
          api.bookings(schema, window),
        ]);
        setShown({
          search: asked,
          free,
          bookings: listed.items,
          truncated: listed.truncated,
        });
      } catch (error) {
        setFailure(describe(error));
      } finally {
        setBusy(false);
      }
    },
    [api, schema, formats.timeZone],
  );

  useEffect(() => {
    void show(search);
    // Only the first search runs by itself; later ones when the form is sent.
  }, [show]);

  const days = shown
    ? daysFrom(
        shown.search.from,
        Math.min(
          DAYS_MAX,
          Math.round((Date.parse(shown.search.to) - Date.parse(shown.search.from)) / 86_400_000) +
            1,
        ),
      )
    : [];
  const rows = shown ? timeline(shown.bookings, days, formats.timeZone) : [];
  const people = usePeople(api, shown ? shown.bookings.map((b) => b.accountId) : []);
  const changed = (message: string) => {
    setStatus(message);
    void show(shown?.search ?? search);
  };
  const nextDay = (day: string) => daysFrom(day, 2)[1] ?? day;

  return (
    <section
      id="amj-bookings"
      aria-labelledby="amj-bookings-title"
      data-state={busy ? "loading" : shown ? "ready" : "loading"}
    >
      <h1 id="amj-bookings-title" ref={heading} tabIndex={-1}>
        Bookings
      </h1>
      <form
        id="amj-bookings-search"
        class="amj-filter-row"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void show(search);
        }}
      >
        <Field id="amj-bookings-type" label="Type" error={undefined}>
          {(a) => (
            <select
              {...a}
              value={search.typeId}
              onChange={(e) => setSearch({ ...search, typeId: e.currentTarget.value })}
            >
              <option value="">Any type that can be checked out</option>
              {types.map((t) => (
                <option key={t.id} value={String(t.id)}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="amj-bookings-location" label="At location (key, optional)" error={undefined}>
          {(a) => (
            <input
              {...a}
              type="text"
              placeholder="IT-7"
              value={search.location}
              onInput={(e) => setSearch({ ...search, location: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field id="amj-bookings-from" label="From" error={undefined}>
          {(a) => (
            <input
              {...a}
              type="date"
              value={search.from}
              onInput={(e) => setSearch({ ...search, from: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field id="amj-bookings-to" label="To" error={undefined}>
          {(a) => (
            <input
              {...a}
              type="date"
              value={search.to}
              onInput={(e) => setSearch({ ...search, to: e.currentTarget.value })}
            />
          )}
        </Field>
        <button type="submit" id="amj-bookings-show" class="amj-button" disabled={busy}>
          Show
        </button>
      </form>
      <output class="amj-subtle amj-status-line" id="amj-bookings-status">
        {status}
      </output>
      {failure && (
        <p class="amj-error" role="alert" id="amj-bookings-failure">
          {failure}
        </p>
      )}
      {booking && (
        <BookingForm
          key={booking.kit ? `kit-${booking.kit.id}` : booking.assets.join(",")}
          api={api}
          schema={schema}
          assets={booking.assets}
          {...(booking.kit ? { kit: { id: booking.kit.id, name: booking.kit.name } } : {})}
          formats={formats}
          person={viewer}
          start={`${shown?.search.from ?? search.from}T00:00`}
          end={`${nextDay(shown?.search.to ?? search.to)}T00:00`}
          idPrefix="amj-bookings-book"
          onDone={(made) => {
            setBooking(null);
            changed(`Booked: #${made.id}, ${made.assets.map((a) => a.key).join(", ")}.`);
            // The asset booked is no longer free, so its button goes: the heading takes focus.
            setTimeout(() => heading.current?.focus(), 0);
          }}
          onCancel={() => {
            const opener = booking.opener;
            setBooking(null);
            setTimeout(() => document.getElementById(opener)?.focus(), 0);
          }}
        />
      )}
      {shown && (
        <>
          <h2>Free then</h2>
          {shown.free.length === 0 ? (
            <p class="amj-subtle" id="amj-bookings-none-free">
              Nothing of that is free over those days.
            </p>
          ) : (
            <ul class="amj-linked" id="amj-bookings-free" aria-label="Free assets">
              {(allFree ? shown.free : shown.free.slice(0, FREE_SHOWN)).map((a) => (
                <li key={a.key}>
                  <button type="button" class="amj-link-button" onClick={() => onOpen(a.key)}>
                    {a.key}
                  </button>{" "}
                  {a.label} <span class="amj-subtle">({a.status})</span>{" "}
                  <button
                    type="button"
                    class="amj-button amj-subtle-button"
                    id={`amj-bookings-book-${a.key}`}
                    aria-label={`Book ${a.key}`}
                    onClick={() =>
                      setBooking({ assets: [a.key], opener: `amj-bookings-book-${a.key}` })
                    }
                  >
                    Book…
                  </button>
                </li>
              ))}
            </ul>
          )}
          {!allFree && shown.free.length > FREE_SHOWN && (
            <button
              type="button"
              id="amj-bookings-all-free"
              class="amj-button amj-subtle-button"
              onClick={() => setAllFree(true)}
            >
              Show all {shown.free.length} free
            </button>
          )}
          {kits.length > 0 && (
            <div class="amj-filter-row">
              <Field id="amj-bookings-kit" label="Or book a kit" error={undefined}>
                {(a) => (
                  <select
                    {...a}
                    value={kitChoice}
                    onChange={(e) => setKitChoice(e.currentTarget.value)}
                  >
                    <option value="">Choose a kit</option>
                    {kits.map((k) => (
                      <option key={k.id} value={String(k.id)}>
                        {k.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <button
                type="button"
                class="amj-button"
                id="amj-bookings-book-kit"
                disabled={!kitChoice}
                onClick={() => {
                  const kit = kits.find((k) => String(k.id) === kitChoice);
                  if (kit) {
                    setBooking({ assets: [], kit, opener: "amj-bookings-book-kit" });
                  }
                }}
              >
                Book kit…
              </button>
            </div>
          )}
          <h2>Timeline</h2>
          {rows.length === 0 ? (
            <p class="amj-subtle">Nothing is booked over those days.</p>
          ) : (
            <Timeline
              id="amj-bookings-timeline"
              rows={rows}
              days={days}
              people={people}
              timeZone={formats.timeZone}
            />
          )}
          <h2>Agenda</h2>
          {shown.truncated && (
            <p class="amj-subtle">Only the first bookings are shown: narrow the search.</p>
          )}
          <BookingList
            api={api}
            schema={schema}
            bookings={shown.bookings}
            people={people}
            formats={formats}
            onChanged={changed}
            onOpen={onOpen}
          />
        </>
      )}
    </section>
  );
}
