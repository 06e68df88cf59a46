import type { Booking, BookingPhase } from "./api";

/**
 * Calendar arithmetic for bookings, in the viewer's time zone (their Jira profile's, from the
 * host): the server keeps instants, people think in local days, and a day is 23 or 25 hours
 * when summer time starts or ends. Days are `YYYY-MM-DD` strings, which sort as dates.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

const wallFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of an instant in `timeZone`, read part by part (a locale's date
 *  pattern is not a format to rely on). */
function wallClock(at: Date, timeZone: string): Record<string, string> {
  let format = wallFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    wallFormats.set(timeZone, format);
  }
  const fields: Record<string, string> = {};
  for (const part of format.formatToParts(at)) {
    fields[part.type] = part.value;
  }
  return fields;
}

/** The local day an instant falls on in `timeZone`. */
export function localDay(at: string | Date, timeZone: string): string {
  const f = wallClock(typeof at === "string" ? new Date(at) : at, timeZone);
  return `${f.year}-${f.month}-${f.day}`;
}

/** `count` consecutive days from `first` (calendar days: no zone is involved). */
export function daysFrom(first: string, count: number): string[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  if (Number.isNaN(start)) {
    return [];
  }
  return Array.from({ length: count }, (_, i) =>
    new Date(start + i * DAY_MS).toISOString().slice(0, 10),
  );
}

/** The first and last local day a booking covers: its range is half-open, so one that ends at
 *  midnight does not cover the day that starts then. */
export function coveredDays(
  booking: Pick<Booking, "start" | "end">,
  timeZone: string,
): [string, string] {
  const lastInstant = new Date(Date.parse(booking.end) - 1);
  return [localDay(booking.start, timeZone), localDay(lastInstant, timeZone)];
}

/** One row of a timeline: an asset, and the bookings that cover each day of the window. */
export interface TimelineRow {
  key: string;
  label: string;
  days: Booking[][];
}

/**
 * A timeline of the window's days, one row per booked asset (by key), each day listing the
 * bookings that cover it there (two when one ends and the next starts that day).
 */
export function timeline(bookings: Booking[], days: string[], timeZone: string): TimelineRow[] {
  const rows = new Map<string, TimelineRow>();
  for (const booking of bookings) {
    const [first, last] = coveredDays(booking, timeZone);
    for (const asset of booking.assets) {
      let row = rows.get(asset.key);
      if (!row) {
        row = { key: asset.key, label: asset.label, days: days.map(() => []) };
        rows.set(asset.key, row);
      }
      days.forEach((day, i) => {
        if (day >= first && day <= last) {
          row.days[i]?.push(booking);
        }
      });
    }
  }
  return [...rows.values()].sort((a, b) => keyOrder(a.key, b.key));
}

/** Asset keys in key order: IT-2 before IT-10. */
export function keyOrder(a: string, b: string): number {
  const [sa, na] = splitKey(a);
  const [sb, nb] = splitKey(b);
  return sa === sb ? na - nb : sa < sb ? -1 : 1;
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf("-");
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

const PHASES: Record<BookingPhase, { label: string; lozenge: string }> = {
  upcoming: { label: "Booked", lozenge: "amj-status-available" },
  ready: { label: "Ready for pickup", lozenge: "amj-status-in_use" },
  missed: { label: "Missed", lozenge: "amj-status-retired" },
  out: { label: "Picked up", lozenge: "amj-status-in_use" },
  late: { label: "Late", lozenge: "amj-status-retired" },
  returned: { label: "Returned", lozenge: "amj-status-available" },
  cancelled: { label: "Cancelled", lozenge: "amj-status-retired" },
};

export function phaseLabel(phase: BookingPhase): string {
  return PHASES[phase].label;
}

export function phaseLozenge(phase: BookingPhase): string {
  return PHASES[phase].lozenge;
}

export type BookingVerb = "pickup" | "return" | "cancel";

/** What can be done with a booking now, as the server allows it. */
export function verbs(booking: Pick<Booking, "phase">): BookingVerb[] {
  switch (booking.phase) {
    case "ready":
      return ["pickup", "cancel"];
    case "upcoming":
    case "missed":
      return ["cancel"];
    case "out":
    case "late":
      return ["return"];
    default:
      return [];
  }
}

/**
 * The next whole hour of the wall clock in `timeZone` (plus `addDays` calendar days) as a
 * `datetime-local` value: counted on the wall clock, so a zone half an hour off UTC gets :00,
 * and a day later is the same time of day across a change to summer time.
 */
export function nextHour(now: Date, timeZone: string, addDays = 0): string {
  const f = wallClock(now, timeZone);
  const wall = Date.UTC(
    Number(f.year),
    Number(f.month) - 1,
    Number(f.day) + addDays,
    Number(f.hour) + 1,
  );
  return new Date(wall).toISOString().slice(0, 16);
}
