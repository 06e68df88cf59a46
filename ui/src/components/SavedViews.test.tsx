import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { Api, type SavedView } from "../api";
import { EMPTY_LIST } from "../query";
import { mountRoot, until } from "../testing/dom";
import { fakeHost } from "../testing/fakeHost";
import { SavedViews } from "./SavedViews";

const LAPTOPS: SavedView = {
  id: 7,
  name: "Laptops",
  aql: "objectType = Laptop",
  columns: ["Key"],
  sort: null,
  shared: true,
  owner: "557058:admin",
  editable: false,
  updated: "2026-12-06T10:00:00Z",
};

describe("the saved views picker", () => {
  const root = mountRoot();

  it("applies a view, saves the screen under a name, and says why a save was refused", async () => {
    let saved = 0;
    const host = fakeHost((request) => {
      if (request.method === "GET") {
        return { status: 200, body: { views: [LAPTOPS] } };
      }
      const draft = request.body as { name: string };
      if (draft.name === "Laptops") {
        return {
          status: 409,
          body: {
            error: {
              code: "view_name_taken",
              message: 'a shared view named "Laptops" exists already',
            },
          },
        };
      }
      saved += 1;
      return { status: 201, body: { ...LAPTOPS, ...draft, id: 8, editable: true, shared: false } };
    });
    const applied: SavedView[] = [];
    const shown = {
      list: { ...EMPTY_LIST, schema: "IT", aql: "status = Retired" },
      columns: ["Key", "Label"],
    };
    render(
      <SavedViews api={new Api(host)} schema="IT" shown={shown} onApply={(v) => applied.push(v)} />,
      root,
    );
    await until(() => root.querySelector('option[value="7"]') !== null);
    const picker = root.querySelector<HTMLSelectElement>("#amj-view-picker");
    expect(picker?.value).toBe("");
    expect(root.querySelector("optgroup")?.getAttribute("label")).toBe("Shared with everyone");
    expect(root.querySelector("#amj-view-delete")).toBeNull();
    await act(async () => {
      if (picker) {
        picker.value = "7";
        picker.dispatchEvent(new Event("change"));
      }
    });
    expect(applied.map((v) => v.name)).toEqual(["Laptops"]);

    await act(async () => {
      root.querySelector<HTMLButtonElement>("#amj-view-save")?.click();
    });
    const name = root.querySelector<HTMLInputElement>("#amj-view-name");
    await act(async () => {
      if (name) {
        name.value = "Laptops";
        name.dispatchEvent(new Event("input"));
      }
    });
    await act(async () => {
      root.querySelector<HTMLFormElement>("#amj-view-form")?.requestSubmit();
    });
    await until(() => root.querySelector<HTMLElement>("#amj-view-error")?.hidden === false);
    expect(root.querySelector("#amj-view-error")?.textContent).toContain("exists already");
    expect(saved).toBe(0);

    await act(async () => {
      if (name) {
        name.value = "Retired";
        name.dispatchEvent(new Event("input"));
      }
    });
    await act(async () => {
      root.querySelector<HTMLFormElement>("#amj-view-form")?.requestSubmit();
    });
    await until(() => root.querySelector("#amj-view-form") === null);
    expect(saved).toBe(1);
    const posted = host.calls.find(
      (c) => c.method === "POST" && (c.body as { name: string }).name === "Retired",
    );
    expect(posted?.body).toEqual({
      name: "Retired",
      aql: "status = Retired",
      columns: ["Key", "Label"],
      sort: null,
      shared: false,
    });
    expect(root.textContent).toContain("Saved the view Retired.");
  });
});
