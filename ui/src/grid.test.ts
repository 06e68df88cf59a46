import { describe, expect, it } from "vitest";
import { gridKey, keptRow } from "./grid";

describe("the list's keyboard model", () => {
  it("moves with the arrows, pages and ends, and never leaves the rows", () => {
    expect(gridKey("ArrowDown", 0, 3)).toEqual({ kind: "move", to: 1 });
    expect(gridKey("ArrowDown", 2, 3)).toEqual({ kind: "move", to: 2 });
    expect(gridKey("ArrowUp", 0, 3)).toEqual({ kind: "move", to: 0 });
    expect(gridKey("ArrowUp", 2, 3)).toEqual({ kind: "move", to: 1 });
    expect(gridKey("PageDown", 5, 50)).toEqual({ kind: "move", to: 15 });
    expect(gridKey("PageDown", 45, 50)).toEqual({ kind: "move", to: 49 });
    expect(gridKey("PageUp", 3, 50)).toEqual({ kind: "move", to: 0 });
    expect(gridKey("Home", 7, 50)).toEqual({ kind: "move", to: 0 });
    expect(gridKey("End", 7, 50)).toEqual({ kind: "move", to: 49 });
  });

  it("opens with Enter and selects with Space; other keys and empty lists do nothing", () => {
    expect(gridKey("Enter", 4, 10)).toEqual({ kind: "open", row: 4 });
    expect(gridKey(" ", 4, 10)).toEqual({ kind: "toggle", row: 4 });
    expect(gridKey("a", 4, 10)).toEqual({ kind: "none" });
    expect(gridKey("ArrowDown", 0, 0)).toEqual({ kind: "none" });
  });

  it("keeps the tab stop on a row that still exists", () => {
    expect(keptRow(4, 10)).toBe(4);
    expect(keptRow(12, 10)).toBe(9);
    expect(keptRow(3, 0)).toBe(0);
  });
});
