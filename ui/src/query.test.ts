import { describe, expect, it } from "vitest";
import {
  applyCompletion,
  byteOffset,
  charOffset,
  composeQuery,
  defaultColumns,
  EMPTY_LIST,
  listPath,
  loadColumns,
  nextSort,
  parseListPath,
  quoteName,
  saveColumns,
  sortKeyOf,
  splitOrder,
} from "./query";

describe("the list's query", () => {
  it("quotes names only when AQL needs it", () => {
    expect(quoteName("Laptop")).toBe("Laptop");
    expect(quoteName("Serial number")).toBe('"Serial number"');
    expect(quoteName('A "b" \\c')).toBe('"A \\"b\\" \\\\c"');
  });

  it("composes the typed query with the chosen type and the sorted column", () => {
    expect(composeQuery(EMPTY_LIST)).toBe("");
    expect(composeQuery({ ...EMPTY_LIST, aql: "Status = Broken" })).toBe("Status = Broken");
    expect(composeQuery({ ...EMPTY_LIST, type: "Docking station", aql: "a = 1 OR b = 2" })).toBe(
      'objectType = "Docking station" AND (a = 1 OR b = 2)',
    );
    // A sorted column replaces the typed ORDER BY; without one the typed order stays.
    expect(composeQuery({ ...EMPTY_LIST, aql: "x = 1 order by label desc" })).toBe(
      "x = 1 order by label desc",
    );
    expect(
      composeQuery({
        ...EMPTY_LIST,
        aql: "x = 1 ORDER BY label",
        sort: { key: "Serial number", dir: "DESC" },
      }),
    ).toBe('x = 1 ORDER BY "Serial number" DESC');
    expect(splitOrder("  ORDER BY Key ")).toEqual({ where: "", order: "ORDER BY Key" });
  });

  it("sorts built-in columns by their AQL names, attributes by name, and flips on a second click", () => {
    expect(sortKeyOf("Label")).toBe("label");
    expect(sortKeyOf("Warranty end")).toBe("Warranty end");
    expect(sortKeyOf("Status")).toBeNull();
    expect(nextSort(null, "Key")).toEqual({ key: "Key", dir: "ASC" });
    expect(nextSort({ key: "Key", dir: "ASC" }, "Key")).toEqual({ key: "Key", dir: "DESC" });
    expect(nextSort({ key: "Key", dir: "DESC" }, "Key")).toEqual({ key: "Key", dir: "ASC" });
    expect(nextSort({ key: "Key", dir: "ASC" }, "label")).toEqual({ key: "label", dir: "ASC" });
  });

  it("keeps the list in a path that survives a round trip, and ignores other paths", () => {
    const state = {
      schema: "IT",
      type: "Laptop",
      aql: 'Owner = currentUser() AND "Serial number" ~ "5&6"',
      sort: { key: "Warranty end", dir: "DESC" as const },
    };
    const path = listPath(state);
    expect(path.startsWith("/?")).toBe(true);
    expect(parseListPath(path)).toEqual(state);
    expect(listPath(EMPTY_LIST)).toBe("/");
    expect(parseListPath("/")).toEqual(EMPTY_LIST);
    expect(parseListPath("/asset/IT-1")).toEqual(EMPTY_LIST);
    expect(parseListPath("/?sort=bogus")).toEqual(EMPTY_LIST);
  });

  it("converts between the server's byte offsets and the input's characters", () => {
    const text = 'Name = "Café ☕" AND ';
    expect(byteOffset(text, text.length)).toBe(new TextEncoder().encode(text).length);
    expect(charOffset(text, byteOffset(text, 13))).toBe(13);
  });

  it("puts a completion in place of what it replaces, with the caret after it", () => {
    const text = "objectType = Lap AND x";
    const done = applyCompletion(
      text,
      { replaceStart: 13, replaceEnd: 16 },
      { label: "Laptop", insert: "Laptop", kind: "type" },
    );
    expect(done).toEqual({ text: "objectType = Laptop AND x", caret: 20 });
    // After a multi-byte character the offsets are still right.
    const cafe = "☕ = Caf";
    const bytes = byteOffset(cafe, cafe.length);
    expect(bytes).toBe(cafe.length + 2);
    expect(
      applyCompletion(
        cafe,
        { replaceStart: bytes - 3, replaceEnd: bytes },
        {
          label: "Café",
          insert: '"Café"',
          kind: "value",
        },
      ).text,
    ).toBe('☕ = "Café" ');
  });

  it("remembers the chosen columns per schema, and falls back when storage fails", () => {
    const fallback = defaultColumns(["Name", "Serial number", "Owner", "Model", "Cost"]);
    expect(fallback).toEqual(["Key", "Label", "Type", "Status", "Serial number", "Owner", "Model"]);
    const items = new Map<string, string>();
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => items.set(k, v),
    } as unknown as Storage;
    expect(loadColumns(storage, "IT", fallback)).toBe(fallback);
    saveColumns(storage, "IT", ["Key", "Cost"]);
    expect(loadColumns(storage, "IT", fallback)).toEqual(["Key", "Cost"]);
    expect(loadColumns(storage, "HR", fallback)).toBe(fallback);
    items.set("amj.columns.IT", "{not json");
    expect(loadColumns(storage, "IT", fallback)).toBe(fallback);
    const blocked = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("SecurityError");
      },
    } as unknown as Storage;
    expect(loadColumns(blocked, "IT", fallback)).toBe(fallback);
    expect(() => saveColumns(blocked, "IT", ["Key"])).not.toThrow();
  });
});
