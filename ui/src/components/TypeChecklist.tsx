import type { AssetType } from "../api";
import { typeTree } from "../pages/AdminPage";

/**
 * Types to tick, as a tree. A type under a ticked one is covered already (policies name a type
 * for its subtypes too), so it shows ticked and fixed.
 */
export function TypeChecklist({
  types,
  named,
  legend,
  prefix,
  onChange,
}: {
  types: AssetType[];
  named: number[];
  legend: string;
  /** Ids and data attributes are `amj-${prefix}-type-…` and `data-${prefix}-type`. */
  prefix: string;
  onChange: (named: number[]) => void;
}) {
  const set = new Set(named);
  const inherited = (type: AssetType): boolean => {
    let parent = types.find((t) => t.id === type.parentId);
    while (parent) {
      if (set.has(parent.id)) {
        return true;
      }
      const next = parent.parentId;
      parent = types.find((t) => t.id === next);
    }
    return false;
  };
  return (
    <fieldset>
      <legend>{legend}</legend>
      {typeTree(types).map(({ type, depth }) => {
        const fromParent = inherited(type);
        const id = `amj-${prefix}-type-${type.id}`;
        return (
          <div
            key={type.id}
            class="amj-field amj-check"
            style={{ paddingInlineStart: `${depth}em` }}
          >
            <input
              id={id}
              type="checkbox"
              {...{ [`data-${prefix}-type`]: type.name }}
              checked={set.has(type.id) || fromParent}
              disabled={fromParent}
              onChange={(e) =>
                onChange(
                  e.currentTarget.checked
                    ? [...named, type.id]
                    : named.filter((n) => n !== type.id),
                )
              }
            />
            <label for={id}>
              {type.name}
              {fromParent && <span class="amj-subtle"> (as its parent)</span>}
            </label>
          </div>
        );
      })}
    </fieldset>
  );
}
