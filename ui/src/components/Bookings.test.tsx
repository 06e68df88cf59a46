import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type Booking } from "../api";
import { formats } from "../format";
import type { ApiRequest } from "../host/types";
import { historyText } from "../pages/AssetDetail";
import { Bookings } from "../pages/Bookings";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { AssetBookings } from "./Bookings";

const $ = (s: string) => document.querySelector(s) as HTMLElement;

async function type(selector: string, text: string) {
  await act(() => {
    const input = $(selector) as HTMLInputElement;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

function booking(id: number, phase: Booking["phase"], state: Booking["state"]): Booking {
  return {
    id,
    accountId: "557058:ada",
    start: "2031-03-05T08:00:00Z",
    end: "2031-03-05T16:00:00Z",
    timeZone: "Europe/Berlin",
    state,
    phase,
    kit: null,
    issue: "HR-1",
    note: "",
    assets: [{ key: "IT-3", label: "Laptop", typeId: 2, part: null, returnedAt: null }],
    createdAt: "2031-03-01T08:00:00Z",
    createdBy: "557058:ada",
    pickedUpAt: null,
    pickedUpBy: null,
    closedAt: null,
    closedBy: null,
  };
}

describe("bookings", () => {
  const root = mountRoot();

  it("tells bookings in the history, in the viewer's time", () => {
    const base = { id: 1, at: null, actor: "app" };
    expect(
      historyText(
        {
          ...base,
          kind: "booked",
          booking: 7,
          accountId: "557058:ada",
          start: "2031-03-05T08:00:00Z",
          end: "2031-03-05T16:00:00Z",
        },
        undefined,
        () => "Ada",
        (iso) => formats("en-GB", "Europe/Berlin").dateTime(iso),
      ),
    ).toBe("Booked for Ada: 5 Mar 2031, 09:00 – 5 Mar 2031, 17:00 (booking #7).");
    expect(historyText({ ...base, kind: "booking_cancelled", booking: 7 })).toBe(
      "Booking #7 cancelled.",
    );
  });

  it("books an asset in the viewer's zone, shows refusals, and offers the verbs of each phase", async () => {
    let listed: Booking[] = [booking(4, "ready", "booked")];
    const booked: ApiRequest[] = [];
    const host = fakeHost((request) => {
      if (request.method === "GET" && request.path.startsWith("/api/v1/schemas/IT/bookings?")) {
        return { status: 200, body: { items: listed, from: "", to: "", truncated: false } };
      }
      if (request.method === "GET" && request.path.startsWith("/api/v1/jira/users")) {
        return { status: 200, body: { users: [] } };
      }
      if (request.method === "POST" && request.path === "/api/v1/schemas/IT/bookings") {
        booked.push(request);
        const body = request.body as { end: string };
        if (body.end < "2031-03-06") {
          return {
            status: 409,
            body: {
              error: {
                code: "booking_overlap",
                message: "IT-3 is already booked from 2031-03-05 09:00 to 2031-03-05 17:00",
              },
            },
          };
        }
        const made = { ...booking(9, "upcoming", "booked"), id: 9 };
        listed = [...listed, made];
        return { status: 201, body: made };
      }
      if (request.method === "POST" && request.path === "/api/v1/schemas/IT/bookings/4/pickup") {
        listed = [booking(4, "out", "picked_up"), ...listed.slice(1)];
        return { status: 200, body: listed[0] };
      }
      return { status: 404, body: { error: { code: "not_found", message: request.path } } };
    });
    let changed = 0;
    await act(() =>
      render(
        <AssetBookings
          api={new Api(host)}
          assetKey="IT-3"
          formats={formats("en-GB", "Europe/Berlin")}
          viewer="557058:ada"
          disabled={false}
          onChanged={() => {
            changed += 1;
          }}
        />,
        root,
      ),
    );
    await until(() => document.querySelector("#amj-booking-4") !== null);
    // The window asked for is the asset's; a ready booking may be picked up or cancelled.
    expect(host.calls[0]?.path).toContain("asset=IT-3");
    expect($("#amj-booking-4").textContent).toContain("Ready for pickup");
    expect(document.querySelector("#amj-booking-4-pickup")).not.toBeNull();
    expect(document.querySelector("#amj-booking-4-cancel")).not.toBeNull();
    expect(document.querySelector("#amj-booking-4-return")).toBeNull();

    // Book: the times go as typed, with the viewer's zone; an overlap is shown on the form.
    await act(() => $("#amj-book-open").click());
    expect(document.activeElement?.id).toBe("amj-book-person");
    await type("#amj-book-start", "2031-03-05T10:00");
    await type("#amj-book-end", "2031-03-05T12:00");
    await act(() => ($("#amj-book-form") as HTMLFormElement).requestSubmit());
    await until(() => $("#amj-book-error").textContent !== "");
    expect($("#amj-book-error").textContent).toContain("already booked");
    expect(booked[0]?.body).toMatchObject({
      accountId: "557058:ada",
      start: "2031-03-05T10:00",
      end: "2031-03-05T12:00",
      assets: ["IT-3"],
      timeZone: "Europe/Berlin",
    });
    await type("#amj-book-end", "2031-03-07T12:00");
    await act(() => ($("#amj-book-form") as HTMLFormElement).requestSubmit());
    await until(() => document.querySelector("#amj-booking-9") !== null);
    expect($("#amj-asset-bookings-status").textContent).toBe("Booked: #9.");
    expect(changed).toBe(1);

    // Pick up: the booking moves on, and only return is offered.
    await act(() => $("#amj-booking-4-pickup").click());
    await until(() => document.querySelector("#amj-booking-4-return") !== null);
    expect($("#amj-booking-4").getAttribute("data-phase")).toBe("out");
    expect(changed).toBe(2);
    await until(() => document.activeElement?.id === "amj-booking-4-return");
  });
});

describe("the bookings page", () => {
  const root = mountRoot();

  it("finds what is free, lays bookings out by day and books in the viewer's zone", async () => {
    const free = [{ key: "IT-5", label: "Laptop 5", typeId: 2, status: "Available" }];
    const listed = [
      {
        ...booking(4, "upcoming", "booked"),
        start: "2031-03-04T23:00:00Z",
        end: "2031-03-06T23:00:00Z",
      },
    ];
    const host = fakeHost((request) => {
      if (request.path.startsWith("/api/v1/schemas/IT/types")) {
        return { status: 200, body: { types: [{ id: 2, name: "Laptop", parentId: null }] } };
      }
      if (request.path.startsWith("/api/v1/schemas/IT/kits")) {
        return { status: 200, body: { items: [] } };
      }
      if (request.path.startsWith("/api/v1/schemas/IT/availability?")) {
        return { status: 200, body: { items: free, from: "", to: "" } };
      }
      if (request.method === "GET" && request.path.startsWith("/api/v1/schemas/IT/bookings?")) {
        return { status: 200, body: { items: listed, from: "", to: "", truncated: false } };
      }
      if (request.method === "POST" && request.path === "/api/v1/schemas/IT/bookings") {
        return { status: 201, body: { ...booking(9, "upcoming", "booked"), id: 9 } };
      }
      return { status: 200, body: { users: [] } };
    });
    await act(() =>
      render(
        <Bookings
          api={new Api(host)}
          schema="IT"
          formats={formats("en-GB", "Europe/Berlin")}
          viewer="557058:ada"
          onOpen={() => {}}
        />,
        root,
      ),
    );
    await until(() => $("#amj-bookings").getAttribute("data-state") === "ready");
    expect(document.activeElement?.id).toBe("amj-bookings-title");
    // Searched in the viewer's zone, a week from today.
    const searched = host.calls.find((c) => c.path.includes("/availability?"))?.path ?? "";
    expect(searched).toContain("timeZone=Europe%2FBerlin");
    // The booking covers the 5th and 6th in Berlin (23:00 UTC is the next local day).
    await type("#amj-bookings-from", "2031-03-04");
    await type("#amj-bookings-to", "2031-03-07");
    await act(() => ($("#amj-bookings-search") as HTMLFormElement).requestSubmit());
    await until(() => document.querySelectorAll("#amj-bookings-timeline tbody td").length === 4);
    const cells = [...document.querySelectorAll("#amj-bookings-timeline tbody td")].map((td) =>
      td.hasAttribute("data-booked"),
    );
    expect(cells).toEqual([false, true, true, false]);

    // Book the free laptop over the days shown; focus goes back to the heading.
    await act(() => $("#amj-bookings-book-IT-5").click());
    expect(($("#amj-bookings-book-start") as HTMLInputElement).value).toBe("2031-03-04T00:00");
    expect(($("#amj-bookings-book-end") as HTMLInputElement).value).toBe("2031-03-08T00:00");
    await act(() => ($("#amj-bookings-book-form") as HTMLFormElement).requestSubmit());
    await until(() => $("#amj-bookings-status").textContent?.startsWith("Booked: #9") ?? false);
    const made = host.calls.find((c) => c.method === "POST");
    expect(made?.body).toMatchObject({ assets: ["IT-5"], timeZone: "Europe/Berlin" });
    await until(() => document.activeElement?.id === "amj-bookings-title");
  });
});

describe("an asset's calendar", () => {
  const root = mountRoot();

  it("shows the next four weeks of the asset, day by day", async () => {
    const now = Date.now();
    const today = {
      ...booking(5, "ready", "booked"),
      start: new Date(now - 3_600_000).toISOString(),
      end: new Date(now + 36 * 3_600_000).toISOString(),
    };
    const host = fakeHost((request) =>
      request.path.startsWith("/api/v1/schemas/IT/bookings?")
        ? { status: 200, body: { items: [today], from: "", to: "", truncated: false } }
        : { status: 200, body: { users: [] } },
    );
    await act(() =>
      render(
        <AssetBookings
          api={new Api(host)}
          assetKey="IT-3"
          formats={formats("en-GB", "UTC")}
          viewer={null}
          disabled={false}
          onChanged={() => {}}
        />,
        root,
      ),
    );
    await until(() => document.querySelector("#amj-asset-calendar") !== null);
    const cells = [...document.querySelectorAll("#amj-asset-calendar tbody td")];
    expect(cells).toHaveLength(28);
    expect(cells[0]?.hasAttribute("data-booked")).toBe(true);
    expect(cells[3]?.hasAttribute("data-booked")).toBe(false);
    expect(cells[0]?.textContent).toContain("#5");
  });
});
