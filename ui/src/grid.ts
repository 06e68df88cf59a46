/**
 * The list's keyboard model (the ARIA grid pattern, by row): one row is the grid's single tab
 * stop, the arrows and Home/End move it, Enter opens the row and Space selects it. Pure, so the
 * rules are unit-tested apart from the table.
 */

export type GridAction =
  | { kind: "move"; to: number }
  | { kind: "open"; row: number }
  | { kind: "toggle"; row: number }
  | { kind: "none" };

/** What a key does on row `row` of `count` rows; `page` is how far PageUp/PageDown move. */
export function gridKey(key: string, row: number, count: number, page = 10): GridAction {
  if (count === 0) {
    return { kind: "none" };
  }
  const clamp = (n: number) => Math.max(0, Math.min(count - 1, n));
  switch (key) {
    case "ArrowDown":
      return { kind: "move", to: clamp(row + 1) };
    case "ArrowUp":
      return { kind: "move", to: clamp(row - 1) };
    case "PageDown":
      return { kind: "move", to: clamp(row + page) };
    case "PageUp":
      return { kind: "move", to: clamp(row - page) };
    case "Home":
      return { kind: "move", to: 0 };
    case "End":
      return { kind: "move", to: count - 1 };
    case "Enter":
      return { kind: "open", row: clamp(row) };
    case " ":
      return { kind: "toggle", row: clamp(row) };
    default:
      return { kind: "none" };
  }
}

/** The row that keeps the tab stop when the rows change: the same index if it still exists. */
export function keptRow(active: number, count: number): number {
  return count === 0 ? 0 : Math.min(Math.max(active, 0), count - 1);
}
