import { describe, expect, it } from "vitest";
import type { SavedView } from "./api";
import { EMPTY_LIST } from "./query";
import { activeView, draftOf, listOf, viewQuery } from "./views";

const view = (over: Partial<SavedView>): SavedView => ({
  id: 1,
  name: "Laptops",
  aql: "objectType = Laptop",
  columns: ["Key", "Label"],
  sort: { key: "Key", dir: "DESC" },
  shared: false,
  owner: "557058:a",
  editable: true,
  updated: "2026-12-06T10:00:00Z",
  ...over,
});

describe("saved views and the list", () => {
  const list = {
    ...EMPTY_LIST,
    schema: "IT",
    aql: "objectType = Laptop",
    sort: { key: "Key", dir: "DESC" as const },
  };

  it("knows the view on screen until the query, sort or columns change", () => {
    const views = [view({}), view({ id: 2, name: "Other", aql: "status = Retired" })];
    expect(activeView(views, { list, columns: ["Key", "Label"] })?.id).toBe(1);
    expect(
      activeView(views, {
        list: { ...list, aql: " objectType = Laptop " },
        columns: ["Key", "Label"],
      })?.id,
    ).toBe(1);
    expect(activeView(views, { list, columns: ["Label", "Key"] })).toBeNull();
    expect(
      activeView(views, { list: { ...list, sort: null }, columns: ["Key", "Label"] }),
    ).toBeNull();
    expect(
      activeView(views, {
        list: { ...list, aql: "objectType = Monitor" },
        columns: ["Key", "Label"],
      }),
    ).toBeNull();
  });

  it("folds the tree's type into the query it keeps", () => {
    expect(viewQuery({ ...list, type: null })).toBe("objectType = Laptop");
    expect(viewQuery({ ...list, type: "Laptop", aql: "" })).toBe("objectType = Laptop");
    expect(viewQuery({ ...list, type: "Software licence", aql: "Seats > 5" })).toBe(
      'objectType = "Software licence" AND (Seats > 5)',
    );
    // A typed ORDER BY stays last, outside the parentheses, so the view's query parses.
    expect(viewQuery({ ...list, type: "Laptop", aql: "Owner IS EMPTY order by label" })).toBe(
      "objectType = Laptop AND (Owner IS EMPTY) order by label",
    );
    const typed = { list: { ...list, type: "Laptop", aql: "" }, columns: ["Key", "Label"] };
    expect(activeView([view({})], typed)?.id).toBe(1);
  });

  it("saves what is on screen and opens a view as a typed query", () => {
    expect(draftOf({ list, columns: ["Key"] }, "Mine", true)).toEqual({
      name: "Mine",
      aql: "objectType = Laptop",
      columns: ["Key"],
      sort: { key: "Key", dir: "DESC" },
      shared: true,
    });
    expect(listOf(view({}), "IT")).toEqual({
      schema: "IT",
      type: null,
      aql: "objectType = Laptop",
      sort: { key: "Key", dir: "DESC" },
    });
  });
});
