/**
 * Saved views and the list's state: which view the list is showing (if any), so the picker
 * says so, and the draft that saves what is on screen. Pure, so the rules are unit-tested.
 */
import type { SavedView, SavedViewDraft } from "./api";
import { composeQuery, type ListState } from "./query";

/** What a view fixes about the list: its query, sort and columns. */
export interface Shown {
  list: ListState;
  columns: string[];
}

function sameSort(a: ListState["sort"], b: SavedView["sort"]): boolean {
  return (a?.key ?? null) === (b?.key ?? null) && (a?.dir ?? null) === (b?.dir ?? null);
}

/**
 * The view whose query, sort and columns are on screen, or `null` once the person changed any
 * of them. A type chosen in the tree is part of the query a view keeps, so with one chosen no
 * view matches unless it was saved so.
 */
export function activeView(views: SavedView[], shown: Shown): SavedView | null {
  const aql = viewQuery(shown.list);
  return (
    views.find(
      (v) =>
        v.aql.trim() === aql &&
        sameSort(shown.list.sort, v.sort) &&
        v.columns.length === shown.columns.length &&
        v.columns.every((c, i) => c === shown.columns[i]),
    ) ?? null
  );
}

/**
 * The query a view keeps for the list: the tree's type folded into the typed query, as the list
 * itself composes it (a typed `ORDER BY` stays last), without the clicked column's sort, which a
 * view keeps apart.
 */
export function viewQuery(list: ListState): string {
  return composeQuery({ ...list, sort: null });
}

export function draftOf(shown: Shown, name: string, shared: boolean): SavedViewDraft {
  return {
    name,
    aql: viewQuery(shown.list),
    columns: shown.columns,
    sort: shown.list.sort,
    shared,
  };
}

/** The list state a view opens: its query typed, no type chosen, its sort. */
export function listOf(view: SavedView, schema: string): ListState {
  return { schema, type: null, aql: view.aql, sort: view.sort };
}
