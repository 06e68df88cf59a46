/**
 * Dates and numbers in the viewer's locale and time zone, from the host's context: never the
 * browser's defaults, which in Jira's iframe are the machine's, not the user's profile.
 */
export interface Formats {
  dateTime(iso: string | null): string;
  count(value: number): string;
  /** The viewer's IANA zone (UTC when the host gave none that is valid), for calendars. */
  timeZone: string;
}

export function formats(locale: string, timeZone: string): Formats {
  const safeLocale = supported(locale) ? locale : "en-US";
  const zone = validZone(timeZone) ? timeZone : "UTC";
  const dateTime = new Intl.DateTimeFormat(safeLocale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: zone,
  });
  const count = new Intl.NumberFormat(safeLocale);
  return {
    dateTime: (iso) => {
      if (!iso) {
        return "—";
      }
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
    },
    count: (value) => count.format(value),
    timeZone: zone,
  };
}

function supported(locale: string): boolean {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([locale]).length > 0;
  } catch {
    return false;
  }
}

function validZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** An attribute value as text: arrays joined, objects (users) by their name. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) {
    return "";
  }
  if (Array.isArray(value)) {
    return value.map(valueText).join(", ");
  }
  if (typeof value === "object") {
    const named = value as { displayName?: unknown; name?: unknown; key?: unknown };
    for (const field of [named.displayName, named.name, named.key]) {
      if (typeof field === "string") {
        return field;
      }
    }
    return JSON.stringify(value);
  }
  return String(value);
}
