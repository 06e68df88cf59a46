import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type AssetType, type CustodyPolicy, type Status } from "../api";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { CustodySettings } from "./CustodySettings";

const $ = (s: string) => document.querySelector(s) as HTMLElement;

describe("the check-out settings", () => {
  const root = mountRoot();

  it("names types (subtypes follow), offers no retiring status, and saves the policy", async () => {
    const types: AssetType[] = [
      { id: 1, name: "Hardware", parentId: null, isAbstract: true, attributes: [] },
      { id: 2, name: "Laptop", parentId: 1, isAbstract: false, attributes: [] },
      { id: 3, name: "Location", parentId: null, isAbstract: false, attributes: [] },
    ];
    const statuses: Status[] = [
      { id: 10, name: "Available", category: "available" },
      { id: 11, name: "Lent", category: "in_use" },
      { id: 12, name: "Retired", category: "retired" },
    ];
    let policy: CustodyPolicy = {
      checkoutableTypes: [],
      checkedOutStatus: null,
      availableStatus: null,
    };
    const host = fakeHost((request) => {
      if (request.method === "PUT") {
        policy = request.body as CustodyPolicy;
      }
      return { status: 200, body: policy };
    });
    const messages: string[] = [];
    await act(() =>
      render(
        <CustodySettings
          api={new Api(host)}
          schema="IT"
          types={types}
          statuses={statuses}
          onChanged={async (m) => {
            messages.push(m);
          }}
        />,
        root,
      ),
    );
    await until(() => $("#amj-custody-form") !== null);
    const box = (name: string) => $(`[data-custody-type='${name}']`) as HTMLInputElement;
    expect(box("Laptop").checked).toBe(false);
    await act(() => box("Hardware").click());
    expect(box("Laptop").checked).toBe(true);
    expect(box("Laptop").disabled).toBe(true);
    const options = [...document.querySelectorAll("#amj-custody-out-status option")].map(
      (o) => o.textContent,
    );
    expect(options).toEqual(["The first “In use” status", "Available", "Lent"]);
    await act(() => {
      const select = $("#amj-custody-out-status") as HTMLSelectElement;
      select.value = "11";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await act(() => $("#amj-custody-save").click());
    await until(() => messages.length === 1);
    expect(host.calls.filter((c) => c.method === "PUT").map((c) => [c.path, c.body])).toEqual([
      [
        "/api/v1/schemas/IT/custody-policy",
        { checkoutableTypes: [1], checkedOutStatus: 11, availableStatus: null },
      ],
    ]);
  });
});
