/**
 * The schema designer's moves, for the mouse (drag and drop) and the keyboard (pick up, arrows,
 * drop) alike: pure, so both paths share one tested model.
 */

/** `list` with the item at `from` moved to `to` (both clamped to the list). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length) {
    return out;
  }
  const [item] = out.splice(from, 1);
  const at = Math.max(0, Math.min(to, out.length));
  if (item !== undefined) {
    out.splice(at, 0, item);
  }
  return out;
}

/** What an arrow key does to a picked-up item at `index` of `length`: its new index. */
export function keyMove(key: string, index: number, length: number): number | null {
  switch (key) {
    case "ArrowUp":
      return Math.max(0, index - 1);
    case "ArrowDown":
      return Math.min(length - 1, index + 1);
    case "Home":
      return 0;
    case "End":
      return length - 1;
    default:
      return null;
  }
}

/**
 * The parents a type may move under: the top level (`null`) and every type outside its own
 * subtree (a type under its own descendant would be a cycle, which the server refuses too).
 */
export function possibleParents(
  types: readonly { id: number; parentId: number | null }[],
  id: number,
): (number | null)[] {
  const below = new Set<number>([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of types) {
      if (t.parentId !== null && below.has(t.parentId) && !below.has(t.id)) {
        below.add(t.id);
        grew = true;
      }
    }
  }
  return [null, ...types.filter((t) => !below.has(t.id)).map((t) => t.id)];
}
