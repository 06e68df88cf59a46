import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type AssetCustody } from "../api";
import { formats } from "../format";
import { historyText } from "../pages/AssetDetail";
import { CustodyLists } from "../pages/CustodyLists";
import { custodyOfPath, custodyPath } from "../query";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { CustodyPanel, isOverdue, todayUtc } from "./Custody";

const $ = (s: string) => document.querySelector(s) as HTMLElement;

async function type(selector: string, text: string) {
  await act(() => {
    const input = $(selector) as HTMLInputElement;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

describe("custody", () => {
  const root = mountRoot();

  it("is overdue from the day after the due day", () => {
    expect(todayUtc(new Date("2026-12-07T23:59:00Z"))).toBe("2026-12-07");
    expect(isOverdue("2026-12-07", "2026-12-07")).toBe(false);
    expect(isOverdue("2026-12-06", "2026-12-07")).toBe(true);
    expect(isOverdue(null, "2026-12-07")).toBe(false);
  });

  it("tells check-outs and check-ins in the history", () => {
    const base = { id: 1, at: null, actor: "app" };
    const name = (h: { kind: string; key?: string }) => (h.kind === "user" ? "Ada" : String(h.key));
    expect(
      historyText(
        {
          ...base,
          kind: "checked_out",
          holder: { kind: "user", accountId: "557058:ada" },
          due: "2026-12-24",
          issue: "HR-1",
          note: "",
        },
        undefined,
        name,
      ),
    ).toBe("Checked out to Ada, due 2026-12-24, for HR-1.");
    expect(
      historyText(
        {
          ...base,
          kind: "checked_in",
          holder: { kind: "location", key: "IT-7" },
          condition: "worn",
          issue: null,
          note: "scuffed",
        },
        undefined,
        name,
      ),
    ).toBe("Checked in from IT-7, worn. “scuffed”");
  });

  it("round-trips the custody lists' paths", () => {
    expect(custodyOfPath(custodyPath("mine"))).toBe("mine");
    expect(custodyOfPath("/custody/overdue/")).toBe("overdue");
    expect(custodyOfPath("/custody/all")).toBeNull();
    expect(custodyOfPath("/dashboard")).toBeNull();
  });

  it("checks out to a location with the fields the server refused shown beside them", async () => {
    const custody: AssetCustody = {
      checkoutable: true,
      custody: null,
      effectiveHolder: null,
      carriers: [],
      loans: [],
    };
    let changed = 0;
    const host = fakeHost((request) => {
      const body = request.body as { holder: { key?: string } };
      if (body.holder.key === "IT-99") {
        return {
          status: 400,
          body: {
            error: {
              code: "validation_failed",
              message: "1 problem",
              details: [
                {
                  field: "holder",
                  rule: "reference_target",
                  message: "Holder: IT-99 is not an asset of this schema",
                },
              ],
            },
          },
        };
      }
      return { status: 200, body: { asset: "IT-1", label: "L", custody: {} } };
    });
    await act(() =>
      render(
        <CustodyPanel
          api={new Api(host)}
          assetKey="IT-1"
          custody={custody}
          people={new Map()}
          formats={formats("en-US", "UTC")}
          disabled={false}
          onChanged={() => {
            changed += 1;
          }}
        />,
        root,
      ),
    );
    expect($("#amj-custody-state").textContent).toBe("Not checked out.");
    await act(() => $("#amj-checkout").click());
    expect(document.activeElement?.id).toBe("amj-holder-kind-user");
    await act(() => $("#amj-holder-kind-location").click());
    await type("#amj-holder-key", "it-99");
    await type("#amj-checkout-issue", "hr-12");
    await act(() => $("#amj-checkout-submit").click());
    await until(() => !($("#amj-holder-key-error") as HTMLElement).hidden);
    expect($("#amj-holder-key-error").textContent).toBe(
      "Holder: IT-99 is not an asset of this schema",
    );
    expect($("#amj-holder-key").getAttribute("aria-invalid")).toBe("true");
    await type("#amj-holder-key", "IT-7");
    await act(() => $("#amj-checkout-submit").click());
    await until(() => changed === 1);
    expect(host.calls.map((c) => [c.method, c.path, c.body])).toEqual([
      [
        "POST",
        "/api/v1/assets/IT-1/checkout",
        { holder: { kind: "location", key: "IT-99" }, issue: "HR-12" },
      ],
      [
        "POST",
        "/api/v1/assets/IT-1/checkout",
        { holder: { kind: "location", key: "IT-7" }, issue: "HR-12" },
      ],
    ]);
  });

  it("says when an asset is reserved for a request", async () => {
    const custody: AssetCustody = {
      checkoutable: true,
      custody: null,
      effectiveHolder: null,
      carriers: [],
      loans: [],
      reservation: { request: 3, issue: "AM-1", accountId: "557058:ada" },
    };
    await act(() =>
      render(
        <CustodyPanel
          api={new Api(fakeHost(() => ({ status: 500, body: {} })))}
          assetKey="IT-1"
          custody={custody}
          people={new Map([["557058:ada", { name: "Ada", avatar: null }]])}
          formats={formats("en-US", "UTC")}
          disabled={false}
          onChanged={() => {}}
        />,
        root,
      ),
    );
    expect($("#amj-custody-reserved").textContent).toContain("for Ada: request #3 on AM-1.");
  });

  it("shows who has it, overdue, and checks in with a condition; Escape cancels", async () => {
    const custody: AssetCustody = {
      checkoutable: true,
      custody: {
        holder: { kind: "asset", key: "IT-9" },
        since: "2026-12-01T09:00:00Z",
        by: "557058:ada",
        due: "2020-01-02",
        issue: "HR-3",
        note: "",
      },
      effectiveHolder: { kind: "user", accountId: "557058:ada" },
      carriers: ["IT-9"],
      loans: [
        {
          holder: { kind: "location", key: "IT-5" },
          since: "2026-11-01T09:00:00Z",
          by: "app",
          due: null,
          issue: "AM-2",
          note: "",
          returnedAt: "2026-11-03T09:00:00Z",
          returnedBy: "app",
          condition: "worn",
          returnNote: "scuffed",
        },
      ],
    };
    let changed = 0;
    const host = fakeHost(() => ({ status: 200, body: { asset: "IT-1", loan: {} } }));
    await act(() =>
      render(
        <CustodyPanel
          api={new Api(host)}
          assetKey="IT-1"
          custody={custody}
          people={new Map([["557058:ada", { name: "Ada", avatar: null }]])}
          formats={formats("en-US", "UTC")}
          disabled={false}
          onChanged={() => {
            changed += 1;
          }}
        />,
        root,
      ),
    );
    expect($("#amj-custody-state").textContent).toBe(
      "Checked out to IT-9 (with Ada) since Dec 1, 2026, 9:00 AM, due 2020-01-02 Overdue, for HR-3.",
    );
    expect($("#amj-loans li").textContent).toBe(
      "IT-5 (location), Nov 1, 2026, 9:00 AM – Nov 3, 2026, 9:00 AM (worn), for AM-2 “scuffed”",
    );
    await act(() => $("#amj-checkin").click());
    expect(document.activeElement?.id).toBe("amj-checkin-condition");
    await act(() => {
      $("#amj-checkin-form").dispatchEvent(
        new KeyboardEvent("keydown", { key: "Escape", bubbles: true }),
      );
    });
    await until(() => document.activeElement?.id === "amj-checkin");
    await act(() => $("#amj-checkin").click());
    await act(() => {
      const select = $("#amj-checkin-condition") as HTMLSelectElement;
      select.value = "damaged";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await type("#amj-checkin-note", "cracked hinge");
    await act(() => $("#amj-checkin-submit").click());
    await until(() => changed === 1);
    expect(host.calls.map((c) => c.body)).toEqual([
      { condition: "damaged", note: "cracked hinge" },
    ]);
  });

  it("lists my assets and pages through the overdue list", async () => {
    const held = (asset: string, due: string | null) => ({
      asset,
      label: `Label of ${asset}`,
      custody: {
        holder: { kind: "user", accountId: "557058:ada" },
        since: "2026-12-01T09:00:00Z",
        by: "app",
        due,
        issue: null,
        note: "",
      },
    });
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/custody/mine") {
        return { status: 200, body: { items: [] } };
      }
      if (request.path === "/api/v1/custody/overdue") {
        return {
          status: 200,
          body: { items: [held("IT-1", "2020-01-01")], nextCursor: "18262.1" },
        };
      }
      if (request.path === "/api/v1/custody/overdue?cursor=18262.1") {
        return { status: 200, body: { items: [held("IT-2", "2020-01-03")], nextCursor: null } };
      }
      return { status: 200, body: { items: [] } };
    });
    const opened: string[] = [];
    const api = new Api(host);
    await act(() =>
      render(
        <CustodyLists
          api={api}
          formats={formats("en-US", "UTC")}
          list="mine"
          onOpen={(k) => opened.push(k)}
        />,
        root,
      ),
    );
    await until(() => $("#amj-custody-empty") !== null);
    expect($("#amj-custody-empty").textContent).toBe("You hold no assets.");
    expect(document.activeElement?.id).toBe("amj-custody-list-title");
    await act(() =>
      render(
        <CustodyLists
          api={api}
          formats={formats("en-US", "UTC")}
          list="overdue"
          onOpen={(k) => opened.push(k)}
        />,
        root,
      ),
    );
    await until(() => $("[data-asset='IT-1']") !== null);
    await act(() => $("#amj-custody-more").click());
    await until(() => $("[data-asset='IT-2']") !== null);
    expect($("#amj-custody-more")).toBeNull();
    await act(() => $("[data-open='IT-2']").click());
    expect(opened).toEqual(["IT-2"]);
  });
});
