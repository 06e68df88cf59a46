import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type ItemStock } from "../api";
import { formats } from "../format";
import { historyText } from "../pages/AssetDetail";
import { CustodyLists } from "../pages/CustodyLists";
import { Restock } from "../pages/Restock";
import { custodyOfPath, custodyPath } from "../query";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { StockPanel, stockText } from "./Stock";

const $ = (s: string) => document.querySelector(s) as HTMLElement;

async function type(selector: string, text: string) {
  await act(() => {
    const input = $(selector) as HTMLInputElement;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

function stock(store: number, minimum: number, out = 0): ItemStock {
  return {
    asset: "IT-31",
    kind: "accessory",
    counts: { quantity: store, issued: out, belowMinimum: store < minimum ? 1 : 0 },
    levels: [
      {
        location: "IT-1",
        locationLabel: "Main store",
        quantity: store,
        minimum,
        belowMinimum: store < minimum,
      },
    ],
    out:
      out > 0
        ? [
            {
              assignee: { kind: "asset", key: "IT-9" },
              quantity: out,
              since: "2026-12-07T10:00:00Z",
            },
          ]
        : [],
  };
}

describe("stock", () => {
  const root = mountRoot();

  it("says how an item stands and what each movement did", () => {
    expect(stockText({ quantity: 7, issued: 0, belowMinimum: 0 })).toBe("7 on the shelves");
    expect(stockText({ quantity: 2, issued: 3, belowMinimum: 2 })).toBe(
      "2 on the shelves · 3 issued · 2 locations below minimum",
    );
    const base = { id: 1, at: null, actor: "app" };
    const name = () => "Ada";
    expect(
      historyText(
        {
          ...base,
          kind: "stock_issued",
          location: "IT-1",
          quantity: 3,
          level: 4,
          to: { kind: "user", accountId: "a" },
          issue: "HR-1",
        },
        undefined,
        name,
      ),
    ).toBe("Issued 3 from IT-1 to Ada, for HR-1.");
    expect(
      historyText({ ...base, kind: "stock_counted", location: "IT-2", before: 4, after: 2 }),
    ).toBe("Counted 2 at IT-2 (the books said 4).");
    expect(
      historyText({ ...base, kind: "stock_moved", from: "IT-1", to: "IT-2", quantity: 4 }),
    ).toBe("Moved 4 from IT-1 to IT-2.");
    expect(custodyOfPath(custodyPath("restock"))).toBe("restock");
  });

  it("issues stock, refuses more than is there in words, and takes it back", async () => {
    let current = stock(5, 3);
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/assets/IT-31/stock") {
        return { status: 200, body: current };
      }
      if (request.path === "/api/v1/assets/IT-31/stock/movements") {
        const movement = request.body as { kind: string; quantity: number };
        if (movement.quantity < 1) {
          return {
            status: 400,
            body: {
              error: {
                code: "validation_failed",
                message: "Quantity: must be 1 to 1000000000",
                details: [
                  { field: "quantity", rule: "min", message: "Quantity: must be 1 to 1000000000" },
                ],
              },
            },
          };
        }
        if (movement.kind === "issue" && movement.quantity > current.counts.quantity) {
          return {
            status: 409,
            body: {
              error: { code: "insufficient_stock", message: "IT-1 holds 5 of IT-31; 9 asked" },
            },
          };
        }
        current =
          movement.kind === "issue"
            ? stock(current.counts.quantity - movement.quantity, 3, movement.quantity)
            : stock(current.counts.quantity + movement.quantity, 3);
        return { status: 200, body: current };
      }
      return { status: 200, body: { items: [] } };
    });
    await act(() =>
      render(
        <StockPanel
          api={new Api(host)}
          assetKey="IT-31"
          formats={formats("en-US", "UTC")}
          disabled={false}
        />,
        root,
      ),
    );
    await until(() => $("#amj-stock-summary") !== null);
    expect($("#amj-stock-summary").textContent).toContain("5 on the shelves");

    const issue = async (quantity: string) => {
      await act(() => $("#amj-move-stock").click());
      await act(() => $("#amj-stock-verb-issue").click());
      await act(() => $("#amj-stock-party-asset").click());
      await type("#amj-stock-asset", "it-9");
      await type("#amj-stock-quantity", quantity);
      await act(() => $("#amj-stock-submit").click());
    };
    await issue("0");
    await until(() => !$("#amj-stock-quantity-error").hidden);
    expect($("#amj-stock-quantity-error").textContent).toBe("Quantity: must be 1 to 1000000000");
    await type("#amj-stock-quantity", "9");
    await act(() => $("#amj-stock-submit").click());
    await until(() => !$("#amj-stock-error").hidden);
    expect($("#amj-stock-error").textContent).toBe("IT-1 holds 5 of IT-31; 9 asked.");
    await act(() => {
      $("#amj-stock-form").dispatchEvent(
        new KeyboardEvent("keydown", { key: "Escape", bubbles: true }),
      );
    });
    expect($("#amj-stock-form")).toBeNull();

    await issue("3");
    await until(() => $("[data-out='IT-9']") !== null);
    expect($("#amj-stock-summary").textContent).toContain("2 on the shelves · 3 issued");
    expect($("[data-location='IT-1']").textContent).toContain("Below minimum");
    expect(document.activeElement).toBe($("#amj-move-stock"));
    const issued = host.calls.filter((c) => c.method === "POST").at(-1);
    expect(issued?.body).toEqual({
      kind: "issue",
      location: "IT-1",
      quantity: 3,
      to: { kind: "asset", key: "IT-9" },
      note: "",
    });

    // "Return" opens the form for that recipient.
    await act(() => ($("[aria-label='Return from IT-9']") as HTMLButtonElement).click());
    expect(($("#amj-stock-verb-return") as HTMLInputElement).checked).toBe(true);
    expect(($("#amj-stock-asset") as HTMLInputElement).value).toBe("IT-9");
  });

  it("shows seats held and stock lent in My assets", async () => {
    const host = fakeHost((request) =>
      request.path === "/api/v1/custody/mine"
        ? {
            status: 200,
            body: {
              items: [],
              seats: [{ licence: "SW-3", label: "Acrobat", assignedAt: "2026-12-01T09:00:00Z" }],
              stock: [
                { item: "IT-31", label: "Headset", quantity: 2, since: "2026-12-02T09:00:00Z" },
              ],
            },
          }
        : { status: 200, body: { items: [] } },
    );
    const opened: string[] = [];
    await act(() =>
      render(
        <CustodyLists
          api={new Api(host)}
          formats={formats("en-US", "UTC")}
          list="mine"
          onOpen={(k) => opened.push(k)}
        />,
        root,
      ),
    );
    await until(() => $("#amj-my-stock") !== null);
    expect($("#amj-custody-empty")).toBeNull();
    expect($("#amj-my-seats [data-asset='SW-3']").textContent).toContain("Acrobat");
    expect($("#amj-my-stock [data-asset='IT-31']").textContent).toContain("Headset2");
    await act(() => ($("[data-open='IT-31']") as HTMLButtonElement).click());
    expect(opened).toEqual(["IT-31"]);
  });

  it("lists what to restock with how many to order", async () => {
    const host = fakeHost(() => ({
      status: 200,
      body: {
        items: [
          {
            item: "IT-31",
            itemLabel: "Toner",
            location: "IT-1",
            locationLabel: "Main store",
            quantity: 1,
            minimum: 5,
            short: 4,
          },
        ],
        nextCursor: null,
      },
    }));
    const opened: string[] = [];
    await act(() =>
      render(<Restock api={new Api(host)} schema="IT" onOpen={(k) => opened.push(k)} />, root),
    );
    await until(() => $("#amj-restock-table") !== null);
    expect($("[data-item='IT-31']").textContent).toContain("Main store");
    await act(() => ($("[data-open='IT-31']") as HTMLButtonElement).click());
    expect(opened).toEqual(["IT-31"]);
  });
});
