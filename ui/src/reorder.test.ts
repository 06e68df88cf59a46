import { describe, expect, it } from "vitest";
import { keyMove, moveItem, possibleParents } from "./reorder";

describe("the designer's moves", () => {
  it("moves an item and clamps what is out of range", () => {
    expect(moveItem(["a", "b", "c", "d"], 0, 2)).toEqual(["b", "c", "a", "d"]);
    expect(moveItem(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
    expect(moveItem(["a", "b", "c"], 1, 99)).toEqual(["a", "c", "b"]);
    expect(moveItem(["a", "b"], 5, 0)).toEqual(["a", "b"]);
  });

  it("maps the keys of a picked-up item", () => {
    expect(keyMove("ArrowUp", 0, 3)).toBe(0);
    expect(keyMove("ArrowDown", 0, 3)).toBe(1);
    expect(keyMove("ArrowDown", 2, 3)).toBe(2);
    expect(keyMove("End", 0, 3)).toBe(2);
    expect(keyMove("Home", 2, 3)).toBe(0);
    expect(keyMove("x", 1, 3)).toBeNull();
  });

  it("never offers a type its own subtree as a parent", () => {
    const types = [
      { id: 1, parentId: null },
      { id: 2, parentId: 1 },
      { id: 3, parentId: 2 },
      { id: 4, parentId: null },
    ];
    expect(possibleParents(types, 2)).toEqual([null, 1, 4]);
    expect(possibleParents(types, 1)).toEqual([null, 4]);
    expect(possibleParents(types, 3)).toEqual([null, 1, 2, 4]);
  });
});
