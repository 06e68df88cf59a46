import { useCallback, useEffect, useState } from "preact/hooks";
import type { Api, SavedView } from "../api";
import { describe } from "../messages";
import { activeView, draftOf, type Shown } from "../views";
import { Field, FormError, useSubmit } from "./Form";

/**
 * The list's saved views: a picker of the person's own and the shared ones, saving what is on
 * screen (query, sort and columns) under a name, optionally for everyone, and deleting a view
 * one may. The picker shows the view on screen until the person changes the list.
 */
export function SavedViews({
  api,
  schema,
  shown,
  onApply,
}: {
  api: Api;
  schema: string;
  shown: Shown;
  onApply: (view: SavedView) => void;
}) {
  const [views, setViews] = useState<SavedView[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [said, setSaid] = useState("");

  const load = useCallback(async () => {
    try {
      setViews(await api.views(schema));
      setFailure(null);
    } catch (error) {
      setFailure(`Could not load the saved views: ${describe(error)}`);
    }
  }, [api, schema]);
  useEffect(() => {
    void load();
  }, [load]);

  const active = activeView(views, shown);
  const { errors, busy, submit } = useSubmit(async () => {
    const saved = await api.saveView(schema, draftOf(shown, name, shared));
    setViews((current) => [...current, saved]);
    setSaving(false);
    setName("");
    setShared(false);
    setSaid(`Saved the view ${saved.name}.`);
    void load();
  });

  const mine = views.filter((v) => !v.shared);
  const everyone = views.filter((v) => v.shared);
  return (
    <div id="amj-views" class="amj-views">
      <label for="amj-view-picker">View</label>
      <select
        id="amj-view-picker"
        value={active ? String(active.id) : ""}
        onChange={(event) => {
          const view = views.find((v) => String(v.id) === event.currentTarget.value);
          if (view) {
            onApply(view);
          }
        }}
      >
        <option value="">Unsaved view</option>
        {mine.length > 0 && (
          <optgroup label="Your views">
            {mine.map((v) => (
              <option key={v.id} value={String(v.id)}>
                {v.name}
              </option>
            ))}
          </optgroup>
        )}
        {everyone.length > 0 && (
          <optgroup label="Shared with everyone">
            {everyone.map((v) => (
              <option key={v.id} value={String(v.id)}>
                {v.name}
              </option>
            ))}
          </optgroup>
        )}
      </select>
      {!saving && (
        <button
          type="button"
          id="amj-view-save"
          class="amj-button"
          onClick={() => {
            setSaving(true);
            setSaid("");
          }}
        >
          Save view
        </button>
      )}
      {active?.editable && !saving && (
        <button
          type="button"
          id="amj-view-delete"
          class="amj-button"
          onClick={async () => {
            try {
              await api.deleteView(schema, active.id);
              setViews((current) => current.filter((v) => v.id !== active.id));
              setSaid(`Deleted the view ${active.name}.`);
            } catch (error) {
              setFailure(`Could not delete the view: ${describe(error)}`);
            }
          }}
        >
          Delete view
        </button>
      )}
      {saving && (
        <form id="amj-view-form" class="amj-view-form" noValidate onSubmit={submit}>
          <Field id="amj-view-name" label="Name of the view" error={errors.fields.name}>
            {(props) => (
              <input
                {...props}
                type="text"
                value={name}
                maxLength={100}
                // Opening the form is asking to type the name.
                // biome-ignore lint/a11y/noAutofocus: the form opens on request
                autoFocus
                onInput={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
          <div class="amj-field">
            <input
              type="checkbox"
              id="amj-view-shared"
              checked={shared}
              onChange={(e) => setShared(e.currentTarget.checked)}
            />
            <label for="amj-view-shared">Share with everyone on this site</label>
          </div>
          <FormError
            id="amj-view-error"
            message={
              errors.form ??
              (errors.fields.aql ? `The query cannot be saved: ${errors.fields.aql}` : null)
            }
          />
          <button type="submit" class="amj-button amj-primary" disabled={busy}>
            Save
          </button>
          <button type="button" class="amj-button" onClick={() => setSaving(false)}>
            Cancel
          </button>
        </form>
      )}
      <output class="amj-visually-hidden" aria-live="polite">
        {said}
      </output>
      {failure && (
        <p class="amj-error" role="alert">
          {failure}
        </p>
      )}
    </div>
  );
}
