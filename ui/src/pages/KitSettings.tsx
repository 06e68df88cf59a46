import { useEffect, useState } from "preact/hooks";
import type { Api, AssetType, Kit, KitDraft, KitPart } from "../api";
import { Field, FormError, useSubmit } from "../components/Form";
import { partText } from "../kits";
import { describe } from "../messages";

interface Props {
  api: Api;
  schema: string;
  types: AssetType[];
  onChanged: (message: string) => Promise<void>;
}

const BLANK: KitDraft = { name: "", description: "", parts: [] };

function blankPart(kind: KitPart["kind"], types: AssetType[]): KitPart {
  switch (kind) {
    case "asset":
      return { kind, typeId: types.find((t) => !t.isAbstract)?.id ?? 0 };
    case "seat":
      return { kind, licence: "" };
    default:
      return { kind, item: "", location: "", quantity: 1 };
  }
}

/** One part's inputs; `n` numbers it for labels and ids. */
function PartEditor({
  part,
  n,
  types,
  error,
  onChange,
  onRemove,
}: {
  part: KitPart;
  n: number;
  types: AssetType[];
  error: string | undefined;
  onChange: (part: KitPart) => void;
  onRemove: () => void;
}) {
  const id = `amj-kit-part-${n}`;
  return (
    <fieldset class="amj-kit-part" data-part={n}>
      <legend>Part {n}</legend>
      <Field id={`${id}-kind`} label="Kind" error={error}>
        {(a) => (
          <select
            {...a}
            value={part.kind}
            onChange={(e) => onChange(blankPart(e.currentTarget.value as KitPart["kind"], types))}
          >
            <option value="asset">An asset of a type</option>
            <option value="seat">A licence seat</option>
            <option value="stock">Stock</option>
          </select>
        )}
      </Field>
      {part.kind === "asset" && (
        <Field id={`${id}-type`} label="Type" error={undefined}>
          {(a) => (
            <select
              {...a}
              value={String(part.typeId)}
              onChange={(e) => onChange({ kind: "asset", typeId: Number(e.currentTarget.value) })}
            >
              {types.map((t) => (
                <option key={t.id} value={String(t.id)}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {part.kind === "seat" && (
        <Field id={`${id}-licence`} label="Licence (key)" error={undefined}>
          {(a) => (
            <input
              {...a}
              type="text"
              placeholder="SW-3"
              value={part.licence}
              onInput={(e) =>
                onChange({ kind: "seat", licence: e.currentTarget.value.trim().toUpperCase() })
              }
            />
          )}
        </Field>
      )}
      {part.kind === "stock" && (
        <>
          <Field id={`${id}-item`} label="Item (key)" error={undefined}>
            {(a) => (
              <input
                {...a}
                type="text"
                placeholder="IT-31"
                value={part.item}
                onInput={(e) =>
                  onChange({ ...part, item: e.currentTarget.value.trim().toUpperCase() })
                }
              />
            )}
          </Field>
          <Field id={`${id}-location`} label="From location (key)" error={undefined}>
            {(a) => (
              <input
                {...a}
                type="text"
                placeholder="IT-1"
                value={part.location}
                onInput={(e) =>
                  onChange({ ...part, location: e.currentTarget.value.trim().toUpperCase() })
                }
              />
            )}
          </Field>
          <Field id={`${id}-quantity`} label="Quantity" error={undefined}>
            {(a) => (
              <input
                {...a}
                type="number"
                min={1}
                step={1}
                value={String(part.quantity)}
                onInput={(e) => {
                  const q = Number(e.currentTarget.value);
                  onChange({ ...part, quantity: Number.isInteger(q) ? q : 0 });
                }}
              />
            )}
          </Field>
        </>
      )}
      <button type="button" class="amj-button amj-subtle-button" onClick={onRemove}>
        Remove part {n}
      </button>
    </fieldset>
  );
}

/**
 * The schema's kits: named bundles of assets (by type), licence seats and stock, handed to a
 * person in one action from the Kits list. Admins define, change and delete them here.
 */
export function KitSettings({ api, schema, types, onChanged }: Props) {
  const [kits, setKits] = useState<Kit[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // The kit being edited (`null` id: a new one), or none.
  const [editing, setEditing] = useState<{ id: number | null; draft: KitDraft } | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    api
      .kits(schema)
      .then((found) => current && setKits(found))
      .catch((error: unknown) => current && setFailure(describe(error)));
    return () => {
      current = false;
    };
  }, [api, schema, attempt]);
  const form = useSubmit(async () => {
    if (editing === null) {
      return;
    }
    if (editing.id === null) {
      await api.createKit(schema, editing.draft);
    } else {
      await api.updateKit(schema, editing.id, editing.draft);
    }
    setEditing(null);
    setAttempt((n) => n + 1);
    await onChanged(`Saved the kit ${editing.draft.name.trim()}.`);
  });
  const remove = async (kit: Kit) => {
    try {
      await api.deleteKit(schema, kit.id);
      setAttempt((n) => n + 1);
      await onChanged(`Deleted the kit ${kit.name}.`);
    } catch (error) {
      setFailure(describe(error));
    }
  };
  const setDraft = (draft: KitDraft) => editing && setEditing({ ...editing, draft });
  return (
    <section aria-labelledby="kit-settings-heading" id="amj-kit-settings">
      <h2 id="kit-settings-heading">Kits</h2>
      {failure && (
        <p class="amj-error" role="alert">
          {failure}
        </p>
      )}
      {kits !== null && kits.length > 0 && (
        <ul id="amj-kit-settings-list">
          {kits.map((kit) => (
            <li key={kit.id} data-kit={kit.name}>
              <strong>{kit.name}</strong>: {kit.parts.map((p) => partText(p, types)).join(", ")}{" "}
              <button
                type="button"
                class="amj-button amj-subtle-button"
                aria-label={`Edit the kit ${kit.name}`}
                onClick={() =>
                  setEditing({
                    id: kit.id,
                    draft: { name: kit.name, description: kit.description, parts: kit.parts },
                  })
                }
              >
                Edit
              </button>{" "}
              <button
                type="button"
                class="amj-button amj-subtle-button"
                aria-label={`Delete the kit ${kit.name}`}
                onClick={() => void remove(kit)}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {editing === null ? (
        <button
          type="button"
          id="amj-new-kit"
          class="amj-button"
          onClick={() => setEditing({ id: null, draft: BLANK })}
        >
          New kit
        </button>
      ) : (
        <form id="amj-kit-editor" class="amj-admin-form" noValidate onSubmit={form.submit}>
          <Field id="amj-kit-name" label="Name" error={form.errors.fields.name}>
            {(a) => (
              <input
                {...a}
                type="text"
                value={editing.draft.name}
                onInput={(e) => setDraft({ ...editing.draft, name: e.currentTarget.value })}
              />
            )}
          </Field>
          <Field
            id="amj-kit-description"
            label="Description (optional)"
            error={form.errors.fields.description}
          >
            {(a) => (
              <input
                {...a}
                type="text"
                value={editing.draft.description}
                onInput={(e) => setDraft({ ...editing.draft, description: e.currentTarget.value })}
              />
            )}
          </Field>
          {editing.draft.parts.map((part, i) => (
            <PartEditor
              // Parts have no identity of their own; their place is what the server names too.
              key={i}
              part={part}
              n={i + 1}
              types={types}
              error={form.errors.fields[`parts[${i}]`]}
              onChange={(changed) =>
                setDraft({
                  ...editing.draft,
                  parts: editing.draft.parts.map((p, j) => (j === i ? changed : p)),
                })
              }
              onRemove={() =>
                setDraft({
                  ...editing.draft,
                  parts: editing.draft.parts.filter((_, j) => j !== i),
                })
              }
            />
          ))}
          <p>
            <button
              type="button"
              id="amj-kit-add-part"
              class="amj-button amj-subtle-button"
              onClick={() =>
                setDraft({
                  ...editing.draft,
                  parts: [...editing.draft.parts, blankPart("asset", types)],
                })
              }
            >
              Add a part
            </button>
          </p>
          <FormError
            id="amj-kit-editor-error"
            message={form.errors.form ?? form.errors.fields.parts ?? null}
          />
          <button type="submit" id="amj-kit-save" class="amj-button" disabled={form.busy}>
            Save kit
          </button>{" "}
          <button
            type="button"
            class="amj-button amj-subtle-button"
            onClick={() => setEditing(null)}
          >
            Cancel
          </button>
        </form>
      )}
    </section>
  );
}
