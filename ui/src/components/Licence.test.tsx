import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type Licence, type Seat } from "../api";
import { complianceChart } from "../charts";
import { formats } from "../format";
import { historyText } from "../pages/AssetDetail";
import { LicenceCompliance } from "../pages/LicenceCompliance";
import { custodyOfPath, custodyPath } from "../query";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { complianceText, LicencePanel } from "./Licence";

const $ = (s: string) => document.querySelector(s) as HTMLElement;

async function type(selector: string, text: string) {
  await act(() => {
    const input = $(selector) as HTMLInputElement;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

function licence(assigned: number, entitled: number): Licence {
  const free = Math.max(entitled - assigned, 0);
  return {
    asset: "SW-1",
    label: "Acrobat",
    terms: {
      product: "Acrobat Pro",
      entitled,
      allowOveruse: false,
      expires: null,
      renews: null,
      costPerSeat: 12.5,
      currency: "EUR",
    },
    compliance: {
      entitled,
      assigned,
      installed: 0,
      free,
      gap: entitled - assigned,
      breach: assigned > entitled,
    },
    expired: false,
    totalCost: entitled * 12.5,
  };
}

const refusal = (status: number, code: string, message: string, field?: string) => ({
  status,
  body: {
    error: {
      code,
      message,
      ...(field ? { details: [{ field, rule: "min", message }] } : {}),
    },
  },
});

describe("licences", () => {
  const root = mountRoot();

  it("says how a licence stands", () => {
    expect(complianceText(licence(3, 10).compliance)).toBe("3 of 10 seats assigned · 7 free");
    const installed = { ...licence(3, 10).compliance, installed: 4 };
    expect(complianceText(installed)).toBe("3 of 10 seats assigned · 4 installed · 7 free");
    const base = { id: 1, at: null, actor: "app" };
    const name = () => "Ada";
    expect(
      historyText(
        {
          ...base,
          kind: "seat_assigned",
          assignee: { kind: "user", accountId: "a" },
          issue: "HR-1",
        },
        undefined,
        name,
      ),
    ).toBe("Seat assigned to Ada, for HR-1.");
    expect(
      historyText({ ...base, kind: "seat_released", assignee: { kind: "asset", key: "IT-4" } }),
    ).toBe("Seat of IT-4 freed.");
  });

  it("sets terms, refuses a seat past the entitlement in words, and frees one", async () => {
    let current: Licence | null = null;
    let seats: Seat[] = [];
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/assets/SW-1/licence" && request.method === "GET") {
        return current === null
          ? refusal(404, "licence_not_found", "SW-1 has no licence terms yet")
          : { status: 200, body: current };
      }
      if (request.path === "/api/v1/assets/SW-1/licence") {
        const terms = request.body as { entitled: number };
        if (terms.entitled < 0) {
          return refusal(400, "validation_failed", "Entitled seats: must be 0 or more", "entitled");
        }
        current = licence(0, terms.entitled);
        return { status: 200, body: current };
      }
      if (request.path.startsWith("/api/v1/assets/SW-1/seats/release")) {
        seats = [];
        current = licence(0, 1);
        return { status: 200, body: current };
      }
      if (request.path === "/api/v1/assets/SW-1/seats" && request.method === "POST") {
        if (seats.length >= 1) {
          return refusal(409, "seats_exhausted", "SW-1 has 0 free seats of 1; 1 asked");
        }
        seats = [
          {
            assignee: { kind: "asset", key: "IT-9" },
            assignedAt: "2026-12-07T10:00:00Z",
            by: "app",
            issue: null,
            note: "",
          },
        ];
        current = licence(1, 1);
        return { status: 200, body: { items: seats, licence: current } };
      }
      if (request.path.startsWith("/api/v1/assets/SW-1/seats")) {
        return { status: 200, body: { items: seats, nextCursor: null } };
      }
      return { status: 200, body: { items: [] } };
    });
    await act(() =>
      render(
        <LicencePanel
          api={new Api(host)}
          assetKey="SW-1"
          label="Acrobat"
          formats={formats("en-US", "UTC")}
          disabled={false}
        />,
        root,
      ),
    );
    // No terms yet: the form asks for them, the product prefilled with the asset's label.
    await until(() => $("#amj-licence-form") !== null);
    expect(($("#amj-licence-product") as HTMLInputElement).value).toBe("Acrobat");
    await type("#amj-licence-entitled", "-1");
    await act(() => $("#amj-licence-save").click());
    await until(() => !$("#amj-licence-entitled-error").hidden);
    expect($("#amj-licence-entitled-error").textContent).toBe("Entitled seats: must be 0 or more");
    expect($("#amj-licence-entitled").getAttribute("aria-invalid")).toBe("true");
    await type("#amj-licence-entitled", "1");
    await act(() => $("#amj-licence-save").click());
    await until(() => $("#amj-licence-summary") !== null);
    expect($("#amj-licence-summary").textContent).toContain("0 of 1 seats assigned · 1 free");

    // A seat to an asset; then a second, past the entitlement, is refused in words.
    const assign = async (key: string) => {
      await act(() => $("#amj-assign-seat").click());
      await act(() => $("#amj-assignee-kind-asset").click());
      await type("#amj-assignee-key", key);
      await act(() => $("#amj-seat-submit").click());
    };
    await assign("it-9");
    await until(() => $("[data-seat='IT-9']") !== null);
    expect($("#amj-licence-summary").textContent).toContain("1 of 1 seats assigned · 0 free");
    expect(document.activeElement).toBe($("#amj-assign-seat"));
    await assign("IT-10");
    await until(() => !$("#amj-seat-error").hidden);
    expect($("#amj-seat-error").textContent).toBe("SW-1 has 0 free seats of 1; 1 asked.");
    await act(() => {
      $("#amj-seat-form").dispatchEvent(
        new KeyboardEvent("keydown", { key: "Escape", bubbles: true }),
      );
    });
    expect($("#amj-seat-form")).toBeNull();

    // Freeing it.
    await act(() => ($("[aria-label='Free the seat of IT-9']") as HTMLButtonElement).click());
    await until(() => $("#amj-seats-empty") !== null);
    expect($("#amj-licence-summary").textContent).toContain("0 of 1 seats assigned · 1 free");
    const assigned = host.calls.find((c) => c.method === "POST" && c.path.endsWith("/seats"));
    expect(assigned?.body).toEqual({ assignees: [{ kind: "asset", key: "IT-9" }], note: "" });
  });

  it("charts compliance per product, lists a product's licences, and frees seats of leavers", async () => {
    const f = formats("en-US", "UTC");
    expect(custodyOfPath(custodyPath("licences"))).toBe("licences");
    const products = [
      { product: "Acrobat Pro", licences: 2, compliance: licence(3, 6).compliance },
      {
        product: "Office",
        licences: 1,
        compliance: { ...licence(2, 1).compliance, installed: 4, gap: -3 },
      },
    ];
    const spec = complianceChart(products, f);
    expect(spec.series.map((s) => s.values)).toEqual([
      [6, 1],
      [3, 4],
    ]);
    expect(spec.summary).toContain("Over the entitlement: Office.");
    let reclaimable = [
      {
        licence: "SW-2",
        licenceLabel: "Office",
        accountId: "557058:gone",
        displayName: "Sam Gone",
        assignedAt: "2026-01-01T00:00:00Z",
      },
    ];
    const host = fakeHost((request) => {
      if (request.path.endsWith("/licences/compliance")) {
        return { status: 200, body: { items: products } };
      }
      if (request.path.endsWith("/licences/reclaimable")) {
        return { status: 200, body: { items: reclaimable } };
      }
      if (request.path.endsWith("/licences/reclaim")) {
        reclaimable = [];
        return { status: 200, body: { freed: 1 } };
      }
      if (request.path.startsWith("/api/v1/schemas/IT/licences?product=Office")) {
        return {
          status: 200,
          body: { items: [{ ...licence(2, 1), asset: "SW-2" }], nextCursor: null },
        };
      }
      return { status: 404, body: { error: { code: "not_found", message: "no" } } };
    });
    const opened: string[] = [];
    await act(() =>
      render(
        <LicenceCompliance
          api={new Api(host)}
          schema="IT"
          formats={f}
          onOpen={(k) => opened.push(k)}
        />,
        root,
      ),
    );
    await until(() => $("#amj-compliance-table") !== null);
    expect(document.activeElement).toBe($("#amj-licences-title"));
    const office = $("[data-product='Office']");
    expect(office.textContent).toContain("Over by 3");
    expect($("[data-product='Acrobat Pro']").textContent).toContain("Compliant");
    await act(() => (office.querySelector("button") as HTMLButtonElement).click());
    await until(() => $("[data-licence='SW-2']") !== null);
    expect(office.querySelector("button")?.getAttribute("aria-expanded")).toBe("true");
    await act(() => ($("[data-licence='SW-2'] button") as HTMLButtonElement).click());
    expect(opened).toEqual(["SW-2"]);

    await until(() => $("#amj-reclaim-all") !== null);
    expect($("#amj-reclaim-table").textContent).toContain("Sam Gone");
    await act(() => $("#amj-reclaim-all").click());
    await until(() => $("#amj-reclaim-empty") !== null);
    expect($("#amj-licences-status").textContent).toBe("Freed 1 seat.");
    const reclaim = host.calls.find((c) => c.path.endsWith("/licences/reclaim"));
    expect(reclaim?.body).toEqual({ accountIds: ["557058:gone"] });
  });
});
