import { describe, expect, it } from "vitest";
import type { Booking } from "./api";
import { coveredDays, daysFrom, keyOrder, localDay, nextHour, timeline, verbs } from "./bookings";

function booking(id: number, start: string, end: string, keys: string[]): Booking {
  return {
    id,
    accountId: "557058:ada",
    start,
    end,
    timeZone: "Europe/Berlin",
    state: "booked",
    phase: "upcoming",
    kit: null,
    issue: null,
    note: "",
    assets: keys.map((key) => ({ key, label: key, typeId: 1, part: null, returnedAt: null })),
    createdAt: start,
    createdBy: "557058:ada",
    pickedUpAt: null,
    pickedUpBy: null,
    closedAt: null,
    closedBy: null,
  };
}

describe("booking calendars", () => {
  it("reads local days in the viewer's zone", () => {
    // 23:30 UTC on 30 March 2031 is already the 31st in Berlin, not yet in New York.
    expect(localDay("2031-03-30T23:30:00Z", "Europe/Berlin")).toBe("2031-03-31");
    expect(localDay("2031-03-30T23:30:00Z", "America/New_York")).toBe("2031-03-30");
  });

  it("covers whole local days across a change to summer time, ends excluded", () => {
    // 29–31 March 2031 in Berlin: from local midnight (UTC+1) to local midnight after the 31st
    // (UTC+2), 71 hours.
    const b = booking(1, "2031-03-28T23:00:00Z", "2031-03-31T22:00:00Z", ["IT-5"]);
    expect(coveredDays(b, "Europe/Berlin")).toEqual(["2031-03-29", "2031-03-31"]);
    // Read in UTC the same instants touch four days.
    expect(coveredDays(b, "UTC")).toEqual(["2031-03-28", "2031-03-31"]);
  });

  it("lays bookings out per asset and day, two on a hand-over day", () => {
    const days = daysFrom("2031-03-04", 4);
    expect(days).toEqual(["2031-03-04", "2031-03-05", "2031-03-06", "2031-03-07"]);
    const rows = timeline(
      [
        booking(1, "2031-03-05T08:00:00Z", "2031-03-06T11:00:00Z", ["IT-10"]),
        booking(2, "2031-03-06T11:00:00Z", "2031-03-09T00:00:00Z", ["IT-10", "IT-2"]),
      ],
      days,
      "Europe/Berlin",
    );
    expect(rows.map((r) => r.key)).toEqual(["IT-2", "IT-10"]);
    const ids = (row: number) => rows[row]?.days.map((d) => d.map((b) => b.id));
    expect(ids(1)).toEqual([[], [1], [1, 2], [2]]);
    expect(ids(0)).toEqual([[], [], [2], [2]]);
  });

  it("orders keys by number and offers the verbs the phase allows", () => {
    expect(["IT-10", "IT-2", "AB-3"].sort(keyOrder)).toEqual(["AB-3", "IT-2", "IT-10"]);
    expect(verbs({ phase: "ready" })).toEqual(["pickup", "cancel"]);
    expect(verbs({ phase: "late" })).toEqual(["return"]);
    expect(verbs({ phase: "returned" })).toEqual([]);
  });

  it("suggests the next whole hour of the wall clock as a local input value", () => {
    const now = new Date("2031-03-29T23:10:00Z");
    // 00:10 in Berlin (winter time): 01:00; a day later the same wall-clock hour, although
    // that day summer time starts at 02:00.
    expect(nextHour(now, "Europe/Berlin")).toBe("2031-03-30T01:00");
    expect(nextHour(now, "Europe/Berlin", 1)).toBe("2031-03-31T01:00");
    // India is UTC+5:30: 04:40 there, so 05:00, not 05:30.
    expect(nextHour(now, "Asia/Kolkata")).toBe("2031-03-30T05:00");
    expect(nextHour(new Date("2031-12-31T23:30:00Z"), "UTC")).toBe("2032-01-01T00:00");
  });
});
