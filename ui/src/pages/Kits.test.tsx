import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type Kit } from "../api";
import { handoutText, partText } from "../kits";
import { custodyOfPath, custodyPath } from "../query";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { KitSettings } from "./KitSettings";
import { Kits } from "./Kits";

const $ = (s: string) => document.querySelector(s) as HTMLElement;

async function type(selector: string, text: string) {
  await act(() => {
    const input = $(selector) as HTMLInputElement;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

const TYPES = [
  {
    id: 2,
    schemaId: 1,
    parentId: null,
    name: "Laptop",
    icon: "laptop",
    description: "",
    isAbstract: false,
    attributes: [],
  },
];

const STARTER: Kit = {
  id: 7,
  name: "New starter",
  description: "Day one",
  parts: [
    { kind: "asset", typeId: 2 },
    { kind: "seat", licence: "IT-5" },
    { kind: "stock", item: "IT-6", location: "IT-1", quantity: 2 },
  ],
};

describe("kits", () => {
  const root = mountRoot();

  it("says what a kit holds and what it handed out", () => {
    // biome-ignore lint/suspicious/noExplicitAny: a minimal type for the words
    const types = TYPES as any;
    expect(STARTER.parts.map((p) => partText(p, types))).toEqual([
      "Laptop",
      "a seat of IT-5",
      "2 × IT-6 from IT-1",
    ]);
    expect(
      handoutText(
        {
          kit: "New starter",
          assets: [
            {
              asset: "IT-2",
              label: "Laptop 1",
              custody: {
                holder: { kind: "user", accountId: "a" },
                since: "2026-12-07T10:00:00Z",
                by: "app",
                due: null,
                issue: null,
                note: "",
              },
            },
          ],
          seats: ["IT-5"],
          stock: [{ item: "IT-6", quantity: 2 }],
        },
        "Ada",
      ),
    ).toBe("Handed New starter to Ada: IT-2 Laptop 1, a seat of IT-5, 2 × IT-6.");
    expect(custodyOfPath(custodyPath("kits"))).toBe("kits");
  });

  it("hands a kit to a person, and shows a refused part in words", async () => {
    let refuse = true;
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/schemas/IT/kits") {
        return { status: 200, body: { items: [STARTER] } };
      }
      if (request.path === "/api/v1/schemas/IT/types") {
        return { status: 200, body: { types: TYPES } };
      }
      if (request.path.startsWith("/api/v1/jira/users/bulk")) {
        return { status: 200, body: { items: [{ accountId: "557058:ada", displayName: "Ada" }] } };
      }
      if (request.path.startsWith("/api/v1/jira/users?")) {
        return {
          status: 200,
          body: { items: [{ accountId: "557058:ada", displayName: "Ada" }] },
        };
      }
      if (request.path === "/api/v1/schemas/IT/kits/7/checkout") {
        if (refuse) {
          refuse = false;
          return {
            status: 409,
            body: {
              error: { code: "kit_part_unavailable", message: "Part 1: no Laptop is available" },
            },
          };
        }
        return {
          status: 200,
          body: { kit: "New starter", assets: [], seats: ["IT-5"], stock: [] },
        };
      }
      return { status: 200, body: { items: [] } };
    });
    await act(() => render(<Kits api={new Api(host)} schema="IT" />, root));
    await until(() => $("[data-kit='New starter']") !== null);
    expect($("[data-kit='New starter']").textContent).toContain("a seat of IT-5");
    await act(() => $("[data-hand-out='7']").click());
    await type("#amj-kit-person", "Ad");
    await until(() => document.querySelector("[aria-label='People found'] button") !== null, 2000);
    await act(() => ($("[aria-label='People found'] button") as HTMLButtonElement).click());
    await type("#amj-kit-issue", "am-1");
    await act(() => $("#amj-kit-submit").click());
    await until(() => !$("#amj-kit-error").hidden);
    expect($("#amj-kit-error").textContent).toBe("Part 1: no Laptop is available.");
    // The laptop part, picked by hand.
    expect(document.querySelector("label[for='amj-kit-pick-0']")?.textContent).toContain("Laptop");
    expect(document.querySelector("#amj-kit-pick-1")).toBeNull();
    await type("#amj-kit-pick-0", "it-9");
    await act(() => $("#amj-kit-submit").click());
    await until(() => $("#amj-kit-form") === null);
    expect($("#amj-kits-status").textContent).toBe("Handed New starter to Ada: a seat of IT-5.");
    expect(document.activeElement).toBe($("[data-hand-out='7']"));
    const sent = host.calls.filter((c) => c.method === "POST").at(-1);
    expect(sent?.body).toEqual({
      accountId: "557058:ada",
      due: null,
      issue: "AM-1",
      note: "",
      picks: [{ part: 0, asset: "IT-9" }],
    });
  });

  it("lets an admin define a kit part by part, with the server's refusal by part", async () => {
    const saved: unknown[] = [];
    const host = fakeHost((request) => {
      if (request.path === "/api/v1/schemas/IT/kits" && request.method === "POST") {
        saved.push(request.body);
        if (saved.length === 1) {
          return {
            status: 400,
            body: {
              error: {
                code: "validation_failed",
                message: "Part 2: IT-2 is not a licence",
                details: [
                  {
                    field: "parts[1]",
                    rule: "reference_target",
                    message: "Part 2: IT-2 is not a licence",
                  },
                ],
              },
            },
          };
        }
        return { status: 201, body: { ...STARTER, parts: [] } };
      }
      return { status: 200, body: { items: [] } };
    });
    const messages: string[] = [];
    await act(() =>
      render(
        <KitSettings
          api={new Api(host)}
          schema="IT"
          // biome-ignore lint/suspicious/noExplicitAny: a minimal type list
          types={TYPES as any}
          onChanged={async (m) => {
            messages.push(m);
          }}
        />,
        root,
      ),
    );
    await act(() => $("#amj-new-kit").click());
    await type("#amj-kit-name", "New starter");
    await act(() => $("#amj-kit-add-part").click());
    await act(() => $("#amj-kit-add-part").click());
    await act(() => {
      const kind = $("#amj-kit-part-2-kind") as HTMLSelectElement;
      kind.value = "seat";
      kind.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await type("#amj-kit-part-2-licence", "it-2");
    await act(() => $("#amj-kit-save").click());
    await until(() => !$("#amj-kit-part-2-kind-error").hidden);
    expect($("#amj-kit-part-2-kind-error").textContent).toBe("Part 2: IT-2 is not a licence");
    expect(saved[0]).toEqual({
      name: "New starter",
      description: "",
      parts: [
        { kind: "asset", typeId: 2 },
        { kind: "seat", licence: "IT-2" },
      ],
    });
    await type("#amj-kit-part-2-licence", "IT-5");
    await act(() => $("#amj-kit-save").click());
    await until(() => $("#amj-kit-editor") === null);
    expect(messages).toEqual(["Saved the kit New starter."]);
  });
});
